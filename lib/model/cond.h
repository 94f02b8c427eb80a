/* cond.h - rule conditions: compiled once from YAML, evaluated per event.
 *
 * A condition is one of
 *   {field: PATH, OP: VALUE}   OP: eq ne lt le gt ge in not_in range exists prefix
 *                              known unknown (a registry) above_table
 *   {all: [COND...]}  {any: [COND...]}  {not: COND}
 * and a list of conditions means all of them.  PATH is data.<field>[.<field>...]
 * (a path that crosses an array matches when any item matches), or one of
 * the envelope's source, ts, type, id.  At compile time every data path is
 * checked against the schemas of the rule's event types, and every value
 * against the field's type (an enum value must be one of the enum's).
 *
 * An hq_cond owns its children and values; hq_cond_destroy() frees the tree.
 */
#ifndef HQ_COND_H
#define HQ_COND_H

#include "err.h"
#include "event.h"
#include "schema.h"
#include "ytree.h"

#include <stdbool.h>

typedef struct hq_cond hq_cond;

/* What conditions may look up beyond the event: registries for
 * {field: data.site, known: sites} / {unknown: sites}, and tables of
 * numbers for {field: data.price_fen, above_table: {table: approved-prices,
 * key: data.item}}.  Owned by the caller; must outlive the conditions. */
typedef struct hq_cond_env {
    void *ctx;
    bool (*has_registry)(void *ctx, const char *name);
    bool (*known)(void *ctx, const char *registry, const char *key, size_t len);
    bool (*has_table)(void *ctx, const char *table);
    bool (*table_value)(void *ctx, const char *table, const char *key, size_t len, double *out);
} hq_cond_env;

/* Compiles n.  schemas[0..nschemas) are the schemas of the event types the
 * rule listens to; data paths must exist in each.  Problems go to diags
 * (file:line:column); returns NULL if there was any. */
hq_cond *hq_cond_compile(const hq_ydoc *doc, const hq_ynode *n, const hq_schema *const *schemas,
                         size_t nschemas, hq_diags *diags);
/* Same, with registry and table lookups available. */
hq_cond *hq_cond_compile_env(const hq_ydoc *doc, const hq_ynode *n, const hq_schema *const *schemas,
                             size_t nschemas, const hq_cond_env *env, hq_diags *diags);
void hq_cond_destroy(hq_cond **c);
bool hq_cond_eval(const hq_cond *c, const hq_event *ev);

/* The guards of a condition: the conjuncts every event that satisfies it
 * must satisfy and that compare a field with text, {field: P, eq: "x"},
 * {in: [...]} (equality) or {prefix: "x"}, and an `any` whose every
 * branch has such a guard on the same field.  fn is called once per value,
 * with a number that tells the conjuncts apart (0, 1, ...); a conjunct
 * with any value that is not text is no guard.  Rules are indexed by them
 * (rules.c): only an event whose P could pass meets the rule. */
typedef void (*hq_guard_fn)(void *ctx, unsigned guard, const char *path, bool prefix, const char *val, size_t len);
void hq_cond_each_guard(const hq_cond *c, hq_guard_fn fn, void *ctx);

/* Resolves an envelope or data path against an event (views into it).
 * Envelope fields are returned in *tmp (which must outlive the result). */
const msgpack_object *hq_event_field(const hq_event *ev, const char *path, msgpack_object *tmp);

/* Checks that path names something the schemas have; adds a diagnostic at
 * node n if not.  Returns the field of the first schema (NULL for envelope
 * paths).  *ok is set false on error. */
const hq_field *hq_cond_check_path(const hq_ydoc *doc, const hq_ynode *n, const char *path,
                                   const hq_schema *const *schemas, size_t nschemas, hq_diags *diags, bool *ok);

#endif
