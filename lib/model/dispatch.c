#include "dispatch.h"

#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One filed value: the rules (positions in rule order) whose guard on the
 * selecting field admits it, exactly or as a prefix. */
typedef struct gkey {
    const char *val; /* a view into a rule's condition */
    size_t len;
    bool prefix;
    uint32_t *pos;
    size_t npos;
} gkey;

struct hq_dispatch {
    const hq_rule **rules;
    size_t n;
    char *field;        /* NULL: no index, every rule is selected */
    gkey *keys;         /* sorted by (prefix, value) */
    size_t nkeys;
    size_t *plens;      /* the distinct lengths of the prefixes */
    size_t nplens;
    uint32_t *always;   /* rules with no guard on the field */
    size_t nalways;
};

const hq_cond *hq_rule_gate(const hq_rule *r)
{
    return r->kind == HQ_RULE_SUSTAINED ? r->scope : r->when;
}

/* ---- building ---- */

typedef struct guard {
    uint32_t pos;
    unsigned id;
    const char *path;
    bool prefix;
    const char *val;
    size_t len;
} guard;

typedef struct collect {
    uint32_t pos;
    guard *g;
    size_t n, cap;
    bool oom;
} collect;

static void collect_one(void *ctx, unsigned id, const char *path, bool prefix, const char *val, size_t len)
{
    collect *c = ctx;
    if (c->oom)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        guard *g = hq_realloc(c->g, cap * sizeof *g);
        c->g = g;
        c->cap = cap;
    }
    c->g[c->n++] = (guard){c->pos, id, path, prefix, val, len};
}

static int by_path(const void *a, const void *b)
{
    const guard *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The order of filed values: exact ones before prefixes, then by bytes,
 * then the shorter first. */
static int cmp_value(bool xp, const char *xv, size_t xl, bool yp, const char *yv, size_t yl)
{
    if (xp != yp)
        return xp ? 1 : -1;
    int c = memcmp(xv, yv, xl < yl ? xl : yl);
    if (c)
        return c;
    return xl < yl ? -1 : xl > yl;
}

static int by_key(const void *a, const void *b)
{
    const guard *x = a, *y = b;
    int c = cmp_value(x->prefix, x->val, x->len, y->prefix, y->val, y->len);
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int by_gkey(const void *a, const void *b)
{
    const gkey *x = a, *y = b;
    return cmp_value(x->prefix, x->val, x->len, y->prefix, y->val, y->len);
}

/* The path guarded by the most rules (ties: the first in path order). */
static const char *best_path(guard *g, size_t n)
{
    if (n == 0)
        return NULL;
    qsort(g, n, sizeof *g, by_path);
    const char *best = NULL;
    size_t best_rules = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, rules = 0;
        uint32_t last = UINT32_MAX;
        for (; j < n && !strcmp(g[j].path, g[i].path); j++)
            if (g[j].pos != last) {
                rules++;
                last = g[j].pos;
            }
        if (rules > best_rules) {
            best_rules = rules;
            best = g[i].path;
        }
        i = j;
    }
    return best;
}

static bool add_pos(gkey *k, uint32_t pos)
{
    if (k->npos && k->pos[k->npos - 1] == pos)
        return true;
    uint32_t *p = hq_realloc(k->pos, (k->npos + 1) * sizeof *p);
    p[k->npos++] = pos;
    k->pos = p;
    return true;
}

static bool file_guards(hq_dispatch *d, guard *g, size_t n)
{
    /* g is sorted by path, then rule: a rule's guards on the field are
     * adjacent.  Each rule is filed under the values of its first guard on
     * the field only (any guard would do: all of them must pass). */
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        for (; j < n && g[j].pos == g[i].pos && !strcmp(g[j].path, g[i].path); j++)
            ;
        if (!strcmp(g[i].path, d->field)) {
            unsigned least = g[i].id;
            for (size_t k = i; k < j; k++)
                least = g[k].id < least ? g[k].id : least;
            for (size_t k = i; k < j; k++)
                if (g[k].id == least)
                    g[m++] = g[k];
        }
        i = j;
    }
    bool *filed = hq_calloc(d->n ? d->n : 1, sizeof *filed);
    qsort(g, m, sizeof *g, by_key);
    for (size_t i = 0; i < m; i++) {
        filed[g[i].pos] = true;
        gkey *last = d->nkeys ? &d->keys[d->nkeys - 1] : NULL;
        if (!last || cmp_value(last->prefix, last->val, last->len, g[i].prefix, g[i].val, g[i].len)) {
            gkey *ks = hq_realloc(d->keys, (d->nkeys + 1) * sizeof *ks);
            d->keys = ks;
            last = &d->keys[d->nkeys++];
            *last = (gkey){g[i].val, g[i].len, g[i].prefix, NULL, 0};
            if (g[i].prefix) {
                size_t p;
                for (p = 0; p < d->nplens && d->plens[p] != g[i].len; p++)
                    ;
                if (p == d->nplens) {
                    size_t *pl = hq_realloc(d->plens, (d->nplens + 1) * sizeof *pl);
                    d->plens = pl;
                    d->plens[d->nplens++] = g[i].len;
                }
            }
        }
        if (!add_pos(last, g[i].pos))
            goto oom;
    }
    d->always = hq_malloc((d->n ? d->n : 1) * sizeof *d->always);
    for (size_t i = 0; i < d->n; i++)
        if (!filed[i])
            d->always[d->nalways++] = (uint32_t)i;
    free(filed);
    return true;
oom:
    free(filed);
    return false;
}

hq_dispatch *hq_dispatch_build(const hq_rule *const *rules, size_t n)
{
    hq_dispatch *d = hq_calloc(1, sizeof *d);
    d->rules = hq_malloc((n ? n : 1) * sizeof *d->rules);
    if (n)
        memcpy(d->rules, rules, n * sizeof *rules);
    d->n = n;
    collect c = {0};
    for (size_t i = 0; i < n; i++) {
        c.pos = (uint32_t)i;
        hq_cond_each_guard(hq_rule_gate(rules[i]), collect_one, &c);
    }
    const char *field = c.oom ? NULL : best_path(c.g, c.n);
    if (field) {
        d->field = hq_strdup(field);
        if (!d->field || !file_guards(d, c.g, c.n)) {
            free(c.g);
            hq_dispatch_destroy(&d);
            return NULL;
        }
    }
    free(c.g);
    if (c.oom)
        hq_dispatch_destroy(&d);
    return d;
}

void hq_dispatch_destroy(hq_dispatch **dp)
{
    hq_dispatch *d = dp ? *dp : NULL;
    if (!d)
        return;
    for (size_t i = 0; i < d->nkeys; i++)
        free(d->keys[i].pos);
    free(d->keys);
    free(d->plens);
    free(d->always);
    free(d->field);
    free(d->rules);
    free(d);
    *dp = NULL;
}

const char *hq_dispatch_field(const hq_dispatch *d)
{
    return d ? d->field : NULL;
}

/* ---- selecting ---- */

static const gkey *find(const hq_dispatch *d, bool prefix, const char *val, size_t len)
{
    const gkey probe = {val, len, prefix, NULL, 0};
    return d->nkeys ? bsearch(&probe, d->keys, d->nkeys, sizeof *d->keys, by_gkey) : NULL;
}

#define MAX_LISTS 16

size_t hq_dispatch_select(const hq_dispatch *d, const hq_event *ev, const hq_rule **out)
{
    msgpack_object tmp;
    const msgpack_object *o = d->field ? hq_event_field(ev, d->field, &tmp) : NULL;
    if (!d->field || !o || o->type == MSGPACK_OBJECT_ARRAY) {
        memcpy(out, d->rules, d->n * sizeof *out);
        return d->n;
    }
    /* The lists that apply, each in rule order: "always", the value's own,
     * and those of its prefixes.  Merged in order; an `any` of an equality
     * and a prefix files one rule twice, which the merge drops. */
    const uint32_t *list[MAX_LISTS];
    size_t len[MAX_LISTS], at[MAX_LISTS] = {0}, nl = 0;
    if (d->nalways) {
        list[nl] = d->always;
        len[nl++] = d->nalways;
    }
    if (o->type == MSGPACK_OBJECT_STR) {
        const char *v = o->via.str.ptr;
        size_t vl = o->via.str.size;
        for (size_t p = 0; p <= d->nplens; p++) {
            const gkey *k = p == 0 ? find(d, false, v, vl) : d->plens[p - 1] <= vl ? find(d, true, v, d->plens[p - 1])
                                                                                 : NULL;
            if (!k)
                continue;
            if (nl == MAX_LISTS) { /* more prefix lengths than lists: every rule (still correct) */
                memcpy(out, d->rules, d->n * sizeof *out);
                return d->n;
            }
            list[nl] = k->pos;
            len[nl++] = k->npos;
        }
    }
    size_t n = 0;
    uint32_t last = UINT32_MAX;
    for (;;) {
        size_t best = nl;
        for (size_t l = 0; l < nl; l++)
            if (at[l] < len[l] && (best == nl || list[l][at[l]] < list[best][at[best]]))
                best = l;
        if (best == nl)
            break;
        uint32_t p = list[best][at[best]++];
        if (p != last)
            out[n++] = d->rules[p];
        last = p;
    }
    return n;
}
