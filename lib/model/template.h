/* template.h - text templates with {{path}} placeholders.
 *
 * "冷库温度超标：{{data.site}} {{data.value}}°C" is compiled once into
 * literal and variable parts; rendering appends to an hq_buf.  Variables
 * are resolved by the caller's callback, so the engine decides what a path
 * means (event fields, the grouping key, registry attributes like
 * site.name).  At compile time a check callback refuses unknown paths.
 *
 * Besides {{path}}: {{path|yuan}} and {{path|unit}} format the value (fen
 * as yuan with two decimals; the unit C as ℃); {{?path}}text{{/?}} is a
 * section, shown only when path has a value that is neither empty nor
 * false (sections do not nest); a path part may select an item of an
 * array, "data.items[result=fail].code" (what it means is the resolver's).
 */
#ifndef HQ_TEMPLATE_H
#define HQ_TEMPLATE_H

#include "buf.h"
#include "err.h"
#include "ytree.h"

#include <stdbool.h>

typedef struct hq_tmpl hq_tmpl;

/* Returns true if path is known; otherwise fills why (a reason). */
typedef bool (*hq_tmpl_check_fn)(void *ctx, const char *path, char *why, size_t whylen);
/* Appends the value of path to out; returns false if it has none. */
typedef bool (*hq_tmpl_resolve_fn)(void *ctx, const char *path, hq_buf *out);

/* Compiles the scalar node n (text in s).  Problems go to diags. */
hq_tmpl *hq_tmpl_compile(const hq_ydoc *doc, const hq_ynode *n, hq_tmpl_check_fn check, void *ctx,
                         hq_diags *diags);
/* Compiles plain text with no position (for built-in templates). */
hq_tmpl *hq_tmpl_compile_str(const char *s, hq_err *err);
void hq_tmpl_destroy(hq_tmpl **t);
/* Renders; unresolved variables render as empty text. */
void hq_tmpl_render(const hq_tmpl *t, hq_tmpl_resolve_fn resolve, void *ctx, hq_buf *out);
/* The same, where sections ({{?path}}, {{?path=value}}) test the value that
 * test resolves: a caller whose resolve writes values in words (labels
 * for codes) tests the codes as stored, which is what rules compare. */
void hq_tmpl_render_tested(const hq_tmpl *t, hq_tmpl_resolve_fn resolve, hq_tmpl_resolve_fn test, void *ctx,
                           hq_buf *out);
/* The template's source text. */
const char *hq_tmpl_source(const hq_tmpl *t);
/* Calls fn for each variable path (for checks done by the caller). */
void hq_tmpl_each_var(const hq_tmpl *t, void (*fn)(void *ctx, const char *path), void *ctx);

#endif
