/* ytree.h - hostile-safe YAML loading into a small tree with positions.
 *
 * libyaml 0.2.5 has no nesting limit (quadratic time on deep input) and
 * turns aliases into a graph that can contain itself.  hq_ydoc_load_*()
 * therefore reads through the event API and builds its own tree with:
 * a file-size cap, a depth cap, a node cap; anchors, aliases, explicit tags
 * and "<<" merge keys refused; duplicate map keys refused; one document per
 * input.  Every node carries its 1-based line and column for diagnostics of
 * the form file:line:column: reason.
 *
 * The tree is owned by its hq_ydoc; nodes are views valid until
 * hq_ydoc_destroy().
 */
#ifndef HQ_YTREE_H
#define HQ_YTREE_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { HQ_Y_SCALAR, HQ_Y_SEQ, HQ_Y_MAP } hq_ytype;

typedef struct hq_ynode hq_ynode;
struct hq_ynode {
    hq_ytype type;
    int line, column;
    bool quoted;      /* scalar written in quotes (a string, never a number) */
    char *str;        /* scalar: NUL-terminated value */
    size_t len;       /* scalar: length; seq: items; map: pairs */
    hq_ynode **kids;  /* seq: len items; map: 2*len nodes, key then value */
};

typedef struct hq_ydoc {
    char *file;       /* the name used in diagnostics */
    hq_ynode *root;   /* NULL for an empty document */
} hq_ydoc;

typedef struct hq_ylimits {
    size_t max_bytes;
    unsigned max_depth;
    size_t max_nodes;
} hq_ylimits;

/* 1 MiB, depth 64, 200,000 nodes. */
extern const hq_ylimits hq_ydefault_limits;

/* Loads a file.  On error returns HQ_EINVAL (or HQ_EIO) with a positioned
 * err and *out untouched.  The caller destroys *out. */
int hq_ydoc_load_file(const char *path, const hq_ylimits *lim, hq_ydoc **out, hq_err *err);
/* hq_ydoc_load_file for loaders that collect diagnostics: the error, if
 * any, is added to diags; returns its code (0 when *out was loaded). */
int hq_ydoc_load_diag(const char *path, const hq_ylimits *lim, hq_ydoc **out, hq_diags *diags);
/* Loads every *.yaml file under dir (recursively, at most 8 levels, in
 * name order; not *.test.yaml, not directories named "tests", not dot
 * files), appending the documents to *docs / *ndocs (the caller destroys
 * them and frees the array).  Problems go to diags: an unreadable
 * directory, a file that does not load, a *.yml file (not loaded). */
void hq_ydocs_load_dir(const char *dir, hq_ydoc ***docs, size_t *ndocs, hq_diags *diags);
/* Loads from memory; name is used in diagnostics. */
int hq_ydoc_load_buf(const char *name, const char *buf, size_t len, const hq_ylimits *lim,
                     hq_ydoc **out, hq_err *err);
/* Frees the document and sets *doc to NULL; accepts NULL. */
void hq_ydoc_destroy(hq_ydoc **doc);

/* Map access.  hq_ymap_get returns the value of key, or NULL. */
const hq_ynode *hq_ymap_get(const hq_ynode *map, const char *key);
static inline const hq_ynode *hq_ymap_key(const hq_ynode *m, size_t i) { return m->kids[2 * i]; }
static inline const hq_ynode *hq_ymap_val(const hq_ynode *m, size_t i) { return m->kids[2 * i + 1]; }

/* Diagnostics at a node's position in doc. */
void hq_ydiag(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reports every key of map not in allowed (NULL-terminated); returns the
 * number of unknown keys.  Reports a non-map node as an error too. */
int hq_ycheck_keys(hq_diags *d, const hq_ydoc *doc, const hq_ynode *map, const char *const *allowed);
/* Reports a missing required key at the map's position; returns the value or NULL. */
const hq_ynode *hq_yrequire(hq_diags *d, const hq_ydoc *doc, const hq_ynode *map, const char *key);
/* True when n is a list; otherwise adds the diagnostic fmt at n. */
bool hq_yseq(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Typed scalar readers.  Each returns 0, or HQ_EINVAL after adding a
 * diagnostic ("expected an integer, got \"x\""). */
int hq_yget_str(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char **out);
/* The diagnostic of those readers, for readers of other kinds: adds
 * "expected WHAT, got \"text\"" ("got a list", "got nothing") at n, with a
 * hint for "1.5h" when duration is set; returns HQ_EINVAL. */
int hq_ywrong(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const char *what, bool duration);
int hq_yget_int(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, int64_t *out);
int hq_yget_number(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, double *out);
int hq_yget_bool(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, bool *out);
/* A duration like 500ms, 90s, 30m, 24h, 7d, 2w or a combination with the
 * units from the largest down, each once (1h30m, 2d12h; not 30m1h). */
int hq_yget_duration_ms(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, int64_t *out);
/* A duration string outside YAML; returns 0 or HQ_EINVAL. */
int hq_parse_duration_ms(const char *s, int64_t *out);
/* Number parsing shared by YAML and JSON scalars: strict, whole string,
 * decimal only (no hex, no inf or nan). */
bool hq_parse_int64(const char *s, int64_t *out);
bool hq_parse_double(const char *s, double *out);

#endif
