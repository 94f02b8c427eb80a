/* checklist.c - the `checklists:` section (checklist.h). */
#include "checklist.h"

#include "ident.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

static void checklist_fini(hq_checklist *c)
{
    for (size_t i = 0; i < c->nitems; i++) {
        free(c->items[i].code);
        free(c->items[i].standard);
    }
    free(c->items);
    free(c->id);
    free(c->domain);
    free(c->file);
}

void hq_checklists_fini(hq_checklists *cl)
{
    if (!cl)
        return;
    HQ_FREE_EACH(cl->v, cl->n, checklist_fini);
    cl->v = NULL;
    cl->n = 0;
}

const hq_checklist *hq_checklist_find(const hq_checklists *cl, const char *id)
{
    for (size_t i = 0; cl && id && i < cl->n; i++)
        if (!strcmp(cl->v[i].id, id))
            return &cl->v[i];
    return NULL;
}

/* A code: 1 to 64 bytes of [a-z0-9_.-], as the schemas' item codes. */
static bool code_ok(const char *s)
{
    return hq_ident_ok(s, 64, "_.-", false);
}

static void parse_items(hq_checklist *c, const hq_ydoc *doc, const hq_ynode *items, hq_diags *d)
{
    if (items->type != HQ_Y_MAP || items->len == 0) {
        hq_ydiag(d, doc, items, "checklist %s: items: expected a map of item codes to their standards "
                                "(fs.sample_retention: 食品留样完整…, or {standard: …, severity: high})", c->id);
        return;
    }
    if (items->len > HQ_CHECKLIST_ITEMS_MAX) {
        hq_ydiag(d, doc, items, "checklist %s: %zu items, at most %d on one form", c->id, items->len,
                 HQ_CHECKLIST_ITEMS_MAX);
        return;
    }
    c->items = hq_calloc(items->len, sizeof *c->items);
    for (size_t i = 0; i < items->len; i++) {
        const hq_ynode *k = hq_ymap_key(items, i), *v = hq_ymap_val(items, i);
        if (!code_ok(k->str)) {
            hq_ydiag(d, doc, k, "checklist %s: item code \"%s\": expected 1 to 64 of a-z, 0-9, _ . -", c->id,
                     k->str);
            continue;
        }
        const hq_ynode *sv = v, *sev = NULL;
        if (v->type == HQ_Y_MAP) {
            static const char *const keys[] = {"standard", "severity", NULL};
            if (hq_ycheck_keys(d, doc, v, keys) || !(sv = hq_yrequire(d, doc, v, "standard")))
                continue;
            sev = hq_ymap_get(v, "severity");
        }
        hq_check_item it = {0};
        if (sev && (sev->type != HQ_Y_SCALAR || hq_severity_parse(sev->str, &it.severity) != 0)) {
            hq_ydiag(d, doc, sev, "checklist %s: item %s: severity: expected low, medium, high or critical", c->id,
                     k->str);
            continue;
        }
        it.has_severity = sev != NULL;
        const char *s;
        if (hq_yget_str(d, doc, sv, &s))
            continue;
        if (!*s || strlen(s) > HQ_CHECK_STANDARD_MAX || strchr(s, '\n')) {
            hq_ydiag(d, doc, v, "checklist %s: item %s: the standard must be one line of 1 to %d bytes", c->id,
                     k->str, HQ_CHECK_STANDARD_MAX);
            continue;
        }
        it.code = hq_strdup(k->str);
        it.standard = hq_strdup(s);
        c->items[c->nitems++] = it;
    }
}

void hq_checklists_parse(hq_checklists *cl, const hq_ydoc *doc, const hq_ynode *n, hq_diags *d)
{
    static const char *const keys[] = {"domain", "items", NULL};
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(d, doc, n, "checklists: expected a map of checklist ids (food_safety_daily: {domain, items})");
        return;
    }
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *k = hq_ymap_key(n, i), *v = hq_ymap_val(n, i);
        if (!code_ok(k->str)) {
            hq_ydiag(d, doc, k, "checklists: id \"%s\": expected 1 to 64 of a-z, 0-9, _ . -", k->str);
            continue;
        }
        const hq_checklist *old = hq_checklist_find(cl, k->str);
        if (old) {
            hq_ydiag(d, doc, k, "checklist %s is defined twice (first in %s:%d)", k->str, old->file, old->line);
            continue;
        }
        if (hq_ycheck_keys(d, doc, v, keys))
            continue;
        const hq_ynode *dom = hq_yrequire(d, doc, v, "domain"), *items = hq_yrequire(d, doc, v, "items");
        const char *ds;
        if (!dom || !items || hq_yget_str(d, doc, dom, &ds))
            continue;
        cl->v = hq_realloc(cl->v, (cl->n + 1) * sizeof *cl->v);
        hq_checklist *c = &cl->v[cl->n++];
        *c = (hq_checklist){.id = hq_strdup(k->str), .domain = hq_strdup(ds), .file = hq_strdup(doc->file),
                            .line = k->line, .column = k->column};
        parse_items(c, doc, items, d);
    }
}
