#include "cond.h"

#include "mem.h"
#include "mp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { C_ALL, C_ANY, C_NOT, C_CMP } cond_kind;
typedef enum {
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN, OP_RANGE, OP_EXISTS, OP_PREFIX,
    OP_KNOWN, OP_UNKNOWN, OP_ABOVE_TABLE
} cond_op;
typedef enum { V_NUM, V_STR, V_BOOL } val_kind;

typedef struct cval {
    val_kind kind;
    double num;
    bool b;
    char *str;
    size_t len;
} cval;

struct hq_cond {
    cond_kind kind;
    cond_op op;
    char *path;          /* as written */
    const char *dpath;   /* below data., or NULL for envelope paths */
    cval *vals;
    size_t nvals;
    bool exists;         /* OP_EXISTS: expected presence */
    char *registry;      /* OP_KNOWN, OP_UNKNOWN */
    char *table;         /* OP_ABOVE_TABLE: the table ... */
    char *keypath;       /* ... and the event path of the key */
    const hq_cond_env *env;
    hq_cond **kids;
    size_t nkids;
};

static const char *const op_names[] = {"eq",     "ne",    "lt",      "le",     "gt",         "ge",
                                       "in",     "not_in", "range",  "exists", "prefix",     "known",
                                       "unknown", "above_table"};
#define NOPS (sizeof op_names / sizeof *op_names)

void hq_cond_destroy(hq_cond **cp)
{
    hq_cond *c = cp ? *cp : NULL;
    if (!c)
        return;
    for (size_t i = 0; i < c->nkids; i++)
        hq_cond_destroy(&c->kids[i]);
    free(c->kids);
    for (size_t i = 0; i < c->nvals; i++)
        free(c->vals[i].str);
    free(c->vals);
    free(c->path);
    free(c->registry);
    free(c->table);
    free(c->keypath);
    free(c);
    *cp = NULL;
}

static bool is_envelope(const char *p)
{
    return strcmp(p, "source") == 0 || strcmp(p, "ts") == 0 || strcmp(p, "type") == 0 || strcmp(p, "id") == 0;
}

const hq_field *hq_cond_check_path(const hq_ydoc *doc, const hq_ynode *n, const char *path,
                                   const hq_schema *const *schemas, size_t nschemas, hq_diags *diags, bool *ok)
{
    if (is_envelope(path))
        return NULL;
    if (strncmp(path, "data.", 5) != 0 || path[5] == '\0') {
        hq_ydiag(diags, doc, n, "field \"%s\": expected data.<field> or one of source, ts, type, id", path);
        *ok = false;
        return NULL;
    }
    if (strchr(path, '[')) {
        hq_ydiag(diags, doc, n, "field \"%s\": a selector [field=value] is for templates; a condition on "
                                "data.items.result already looks at every item",
                 path);
        *ok = false;
        return NULL;
    }
    const hq_field *first = NULL;
    for (size_t i = 0; i < nschemas; i++) {
        const hq_field *f = hq_schema_field(schemas[i], path + 5);
        if (!f) {
            hq_ydiag(diags, doc, n, "field \"%s\": event type %s has no such field", path, schemas[i]->type);
            *ok = false;
            return NULL;
        }
        if (!first)
            first = f;
    }
    return first;
}

/* Whether the enum field at data path of any of the types lists value: a
 * rule on several types may name a value that only one of them has (a
 * decision.progress status in a rule on decision.task and
 * decision.progress). */
static bool some_enum_lists(const hq_schema *const *schemas, size_t ns, const char *path, const char *value)
{
    for (size_t k = 0; k < ns; k++) {
        const hq_field *g = hq_schema_field(schemas[k], path + 5);
        for (size_t i = 0; g && g->type == HQ_F_ENUM && i < g->nvalues; i++)
            if (strcmp(g->values[i], value) == 0)
                return true;
    }
    return false;
}

static int parse_val(const hq_ydoc *doc, const hq_ynode *n, const hq_field *f, const char *path, cval *v,
                     const hq_schema *const *schemas, size_t ns, hq_diags *d)
{
    if (n->type != HQ_Y_SCALAR) {
        hq_ydiag(d, doc, n, "%s: expected a single value", path);
        return HQ_EINVAL;
    }
    bool numeric_field = f && (f->type == HQ_F_INT || f->type == HQ_F_NUMBER || f->type == HQ_F_TIMESTAMP);
    bool is_ts = strcmp(path, "ts") == 0;
    /* The envelope's source, id and type are text, like a data text field:
     * an unquoted 42 is the text "42" on every text field. */
    bool text_env = !f && is_envelope(path) && !is_ts;
    if (!n->quoted && hq_parse_double(n->str, &v->num) && (numeric_field || is_ts || (!f && !text_env))) {
        v->kind = V_NUM;
        if (f && !numeric_field) {
            hq_ydiag(d, doc, n, "%s is a %s field; compare it with a text value", path, hq_ftype_name(f->type));
            return HQ_EINVAL;
        }
        return 0;
    }
    if (!n->quoted && (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0) &&
        ((!f && !text_env) || (f && f->type == HQ_F_BOOL))) {
        v->kind = V_BOOL;
        v->b = n->str[0] == 't';
        return 0;
    }
    if (numeric_field || is_ts) {
        hq_ydiag(d, doc, n, "%s is a number; expected a number, got \"%s\"", path, n->str);
        return HQ_EINVAL;
    }
    if (f && f->type == HQ_F_BOOL) {
        hq_ydiag(d, doc, n, "%s is a boolean; expected true or false, got \"%s\"", path, n->str);
        return HQ_EINVAL;
    }
    if (f && f->type == HQ_F_ENUM) {
        if (!some_enum_lists(schemas, ns, path, n->str)) {
            hq_ydiag(d, doc, n, "%s: \"%s\" is not one of the field's values", path, n->str);
            return HQ_EINVAL;
        }
    }
    v->kind = V_STR;
    v->str = hq_strdup(n->str);
    v->len = n->len;
    return 0;
}

static hq_cond *compile_env(const hq_ydoc *doc, const hq_ynode *n, const hq_schema *const *schemas, size_t ns,
                            const hq_cond_env *env, hq_diags *d);

static hq_cond *compile_list(const hq_ydoc *doc, const hq_ynode *n, cond_kind k, const hq_schema *const *schemas,
                             size_t ns, const hq_cond_env *env, hq_diags *d)
{
    hq_cond *c = hq_calloc(1, sizeof *c);
    c->kind = k;
    if (n->type != HQ_Y_SEQ || n->len == 0) {
        hq_ydiag(d, doc, n, "%s: expected a non-empty list of conditions", k == C_ALL ? "all" : "any");
        return c;
    }
    c->kids = hq_calloc(n->len, sizeof *c->kids);
    for (size_t i = 0; i < n->len; i++) {
        hq_cond *kid = compile_env(doc, n->kids[i], schemas, ns, env, d);
        if (kid)
            c->kids[c->nkids++] = kid;
    }
    return c;
}

/* not: one condition, negated. */
static hq_cond *compile_not(const hq_ydoc *doc, const hq_ynode *v, const hq_schema *const *schemas, size_t ns,
                            const hq_cond_env *env, hq_diags *d)
{
    hq_cond *c = hq_calloc(1, sizeof *c);
    c->kind = C_NOT;
    hq_cond *kid = compile_env(doc, v, schemas, ns, env, d);
    if (kid) {
        c->kids = hq_calloc(1, sizeof *c->kids);
        c->kids[c->nkids++] = kid;
    }
    return c;
}

/* known / unknown: a registry of the rule set, on a text field. */
static void compile_registry(const hq_ydoc *doc, hq_cond *c, const hq_field *f, const hq_ynode *opk,
                             const hq_ynode *opv, hq_diags *d)
{
    const char *reg;
    if (hq_yget_str(d, doc, opv, &reg) != 0)
        return;
    if (!c->env || !c->env->has_registry(c->env->ctx, reg))
        hq_ydiag(d, doc, opv, "%s: unknown registry \"%s\" (sites, sensors, contractors)", opk->str, reg);
    else if (f && f->type != HQ_F_STRING && !(f->type == HQ_F_ARRAY && f->items && f->items->type == HQ_F_STRING))
        hq_ydiag(d, doc, opv, "%s: %s is not a text field (or a list of texts)", opk->str, c->path);
    c->registry = hq_strdup(reg);
}

/* above_table: {table, key}, on a number field. */
static void compile_above_table(const hq_ydoc *doc, hq_cond *c, const hq_field *f, const hq_ynode *opv,
                                const hq_schema *const *schemas, size_t ns, hq_diags *d)
{
    static const char *const tk[] = {"table", "key", NULL};
    const hq_ynode *tn, *kn;
    const char *ts, *ks;
    if (hq_ycheck_keys(d, doc, opv, tk) || !(tn = hq_yrequire(d, doc, opv, "table")) ||
        !(kn = hq_yrequire(d, doc, opv, "key")) || hq_yget_str(d, doc, tn, &ts) || hq_yget_str(d, doc, kn, &ks))
        return;
    if (!c->env || !c->env->has_table(c->env->ctx, ts))
        hq_ydiag(d, doc, tn, "above_table: unknown table \"%s\" (define it under tables:)", ts);
    bool pok = true;
    hq_cond_check_path(doc, kn, ks, schemas, ns, d, &pok);
    if (f && f->type != HQ_F_INT && f->type != HQ_F_NUMBER)
        hq_ydiag(d, doc, opv, "above_table: %s is not a number field", c->path);
    c->table = hq_strdup(ts);
    c->keypath = hq_strdup(ks);
}

/* in, not_in, range: a list of values ([low, high] for range). */
static void compile_list_values(const hq_ydoc *doc, hq_cond *c, const hq_field *f, const hq_ynode *opk,
                                const hq_ynode *opv, const hq_schema *const *schemas, size_t ns, hq_diags *d)
{
    if (opv->type != HQ_Y_SEQ || opv->len == 0 || (c->op == OP_RANGE && opv->len != 2)) {
        hq_ydiag(d, doc, opv, c->op == OP_RANGE ? "range: expected [low, high]" : "%s: expected a list of values",
                 opk->str);
        return;
    }
    c->vals = hq_calloc(opv->len, sizeof *c->vals);
    for (size_t i = 0; i < opv->len; i++)
        if (parse_val(doc, opv->kids[i], f, c->path, &c->vals[c->nvals], schemas, ns, d) == 0)
            c->nvals++;
    if (c->op == OP_RANGE && c->nvals == 2) {
        if (c->vals[0].kind != V_NUM || c->vals[1].kind != V_NUM)
            hq_ydiag(d, doc, opv, "range: expected two numbers");
        else if (c->vals[0].num > c->vals[1].num)
            hq_ydiag(d, doc, opv, "range: low is greater than high");
    }
}

/* The other operators: one value (a number for lt, le, gt, ge; a text for
 * prefix). */
static void compile_value(const hq_ydoc *doc, hq_cond *c, const hq_field *f, const hq_ynode *opk,
                          const hq_ynode *opv, const hq_schema *const *schemas, size_t ns, hq_diags *d)
{
    c->vals = hq_calloc(1, sizeof *c->vals);
    if (parse_val(doc, opv, f, c->path, &c->vals[0], schemas, ns, d) == 0)
        c->nvals = 1;
    if (c->nvals && c->op >= OP_LT && c->op <= OP_GE && c->vals[0].kind != V_NUM)
        hq_ydiag(d, doc, opv, "%s: expected a number", opk->str);
    if (c->nvals && c->op == OP_PREFIX && c->vals[0].kind != V_STR)
        hq_ydiag(d, doc, opv, "prefix: expected a text value");
}

/* {field: PATH, OP: VALUE}: the field and its one operator. */
static hq_cond *compile_cmp(const hq_ydoc *doc, const hq_ynode *n, const hq_schema *const *schemas, size_t ns,
                            const hq_cond_env *env, hq_diags *d)
{
    const hq_ynode *fn = hq_ymap_get(n, "field");
    if (!fn || fn->type != HQ_Y_SCALAR) {
        hq_ydiag(d, doc, n, "a condition needs \"field\" and one operator (eq, ne, lt, le, gt, ge, in, not_in, "
                            "range, exists, prefix, known, unknown, above_table), or all/any/not");
        return NULL;
    }
    if (n->len != 2) {
        hq_ydiag(d, doc, n, "a condition has \"field\" and exactly one operator");
        return NULL;
    }
    const hq_ynode *opk = hq_ymap_key(n, 0) == fn ? NULL : hq_ymap_key(n, 0);
    const hq_ynode *opv = NULL;
    for (size_t i = 0; i < n->len; i++)
        if (strcmp(hq_ymap_key(n, i)->str, "field") != 0) {
            opk = hq_ymap_key(n, i);
            opv = hq_ymap_val(n, i);
        }
    size_t op;
    for (op = 0; op < NOPS; op++)
        if (strcmp(op_names[op], opk->str) == 0)
            break;
    if (op == NOPS) {
        hq_ydiag(d, doc, opk, "unknown operator \"%s\" (expected eq, ne, lt, le, gt, ge, in, not_in, range, "
                              "exists, prefix, known, unknown or above_table)", opk->str);
        return NULL;
    }
    bool ok = true;
    const hq_field *f = hq_cond_check_path(doc, fn, fn->str, schemas, ns, d, &ok);
    if (!ok)
        return NULL;
    hq_cond *c = hq_calloc(1, sizeof *c);
    c->kind = C_CMP;
    c->op = (cond_op)op;
    c->path = hq_strdup(fn->str);
    c->dpath = strncmp(c->path, "data.", 5) == 0 ? c->path + 5 : NULL;
    c->env = env;
    size_t before = d->count;
    switch (c->op) {
    case OP_KNOWN:
    case OP_UNKNOWN: compile_registry(doc, c, f, opk, opv, d); break;
    case OP_ABOVE_TABLE: compile_above_table(doc, c, f, opv, schemas, ns, d); break;
    case OP_EXISTS: hq_yget_bool(d, doc, opv, &c->exists); break;
    case OP_IN:
    case OP_NOT_IN:
    case OP_RANGE: compile_list_values(doc, c, f, opk, opv, schemas, ns, d); break;
    default: compile_value(doc, c, f, opk, opv, schemas, ns, d); break;
    }
    if (d->count > before) {
        hq_cond_destroy(&c);
        return NULL;
    }
    return c;
}

static hq_cond *compile_one(const hq_ydoc *doc, const hq_ynode *n, const hq_schema *const *schemas, size_t ns,
                            const hq_cond_env *env, hq_diags *d)
{
    if (n->type == HQ_Y_SEQ)
        return compile_list(doc, n, C_ALL, schemas, ns, env, d);
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(d, doc, n, "expected a condition: {field: ..., eq: ...}, all, any or not");
        return NULL;
    }
    const hq_ynode *v;
    if ((v = hq_ymap_get(n, "all")) || (v = hq_ymap_get(n, "any"))) {
        if (n->len != 1) {
            hq_ydiag(d, doc, n, "all/any must be alone in their mapping");
            return NULL;
        }
        return compile_list(doc, v, hq_ymap_get(n, "all") ? C_ALL : C_ANY, schemas, ns, env, d);
    }
    if ((v = hq_ymap_get(n, "not"))) {
        if (n->len != 1) {
            hq_ydiag(d, doc, n, "not must be alone in its mapping");
            return NULL;
        }
        return compile_not(doc, v, schemas, ns, env, d);
    }
    return compile_cmp(doc, n, schemas, ns, env, d);
}

static hq_cond *compile_env(const hq_ydoc *doc, const hq_ynode *n, const hq_schema *const *schemas, size_t ns,
                            const hq_cond_env *env, hq_diags *d)
{
    size_t before = d->count;
    hq_cond *c = compile_one(doc, n, schemas, ns, env, d);
    if (c && d->count > before)
        hq_cond_destroy(&c);
    return c;
}

hq_cond *hq_cond_compile_env(const hq_ydoc *doc, const hq_ynode *n, const hq_schema *const *schemas, size_t ns,
                             const hq_cond_env *env, hq_diags *d)
{
    return compile_env(doc, n, schemas, ns, env, d);
}

hq_cond *hq_cond_compile(const hq_ydoc *doc, const hq_ynode *n, const hq_schema *const *schemas, size_t ns,
                         hq_diags *d)
{
    return compile_env(doc, n, schemas, ns, NULL, d);
}

/* ---- guards ---- */

typedef struct gval {
    unsigned id;
    const char *path;
    bool prefix;
    const char *val;
    size_t len;
} gval;

typedef struct glist {
    gval *v;
    size_t n, cap;
} glist;

static void glist_add(glist *l, unsigned id, const char *path, bool prefix, const char *val, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        gval *v = hq_realloc(l->v, cap * sizeof *v);
        if (!v)
            return; /* fewer guards: a weaker filter, never a wrong one */
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (gval){id, path, prefix, val, len};
}

/* Appends the guards of c to l, numbering conjuncts from *next.  An `any`
 * is a guard on P when each of its branches has one on P: the union of
 * their values (the first such path). */
static void guards_of(const hq_cond *c, glist *l, unsigned *next)
{
    if (c->kind == C_ALL) {
        for (size_t i = 0; i < c->nkids; i++)
            guards_of(c->kids[i], l, next);
        return;
    }
    if (c->kind == C_ANY && c->nkids > 0) {
        glist *kl = hq_calloc(c->nkids, sizeof *kl);
        for (size_t i = 0; i < c->nkids; i++) {
            unsigned kn = 0;
            guards_of(c->kids[i], &kl[i], &kn);
        }
        for (size_t a = 0; a < kl[0].n; a++) {
            const char *path = kl[0].v[a].path;
            bool everywhere = true;
            for (size_t i = 1; i < c->nkids && everywhere; i++) {
                bool has = false;
                for (size_t b = 0; b < kl[i].n && !has; b++)
                    has = strcmp(kl[i].v[b].path, path) == 0;
                everywhere = has;
            }
            if (!everywhere)
                continue;
            unsigned g = (*next)++;
            for (size_t i = 0; i < c->nkids; i++) {
                /* Branch i's first guard on the path, with all its values. */
                unsigned first = 0;
                bool seen = false;
                for (size_t b = 0; b < kl[i].n; b++) {
                    const gval *v = &kl[i].v[b];
                    if (strcmp(v->path, path) != 0 || (seen && v->id != first))
                        continue;
                    first = v->id;
                    seen = true;
                    glist_add(l, g, v->path, v->prefix, v->val, v->len);
                }
            }
            break;
        }
        for (size_t i = 0; i < c->nkids; i++)
            free(kl[i].v);
        free(kl);
        return;
    }
    if (c->kind != C_CMP || (c->op != OP_EQ && c->op != OP_IN && c->op != OP_PREFIX) || c->nvals == 0)
        return;
    for (size_t i = 0; i < c->nvals; i++)
        if (c->vals[i].kind != V_STR)
            return;
    unsigned g = (*next)++;
    for (size_t i = 0; i < c->nvals; i++)
        glist_add(l, g, c->path, c->op == OP_PREFIX, c->vals[i].str, c->vals[i].len);
}

void hq_cond_each_guard(const hq_cond *c, hq_guard_fn fn, void *ctx)
{
    if (!c)
        return;
    glist l = {0};
    unsigned next = 0;
    guards_of(c, &l, &next);
    for (size_t i = 0; i < l.n; i++)
        fn(ctx, l.v[i].id, l.v[i].path, l.v[i].prefix, l.v[i].val, l.v[i].len);
    free(l.v);
}

/* ---- evaluation ---- */

const msgpack_object *hq_event_field(const hq_event *ev, const char *path, msgpack_object *tmp)
{
    if (strncmp(path, "data.", 5) == 0)
        return hq_mp_path(ev->data, path + 5);
    if (strcmp(path, "ts") == 0) {
        tmp->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        tmp->via.u64 = (uint64_t)ev->ts_ms;
        return tmp;
    }
    tmp->type = MSGPACK_OBJECT_STR;
    if (strcmp(path, "source") == 0) {
        tmp->via.str.ptr = ev->source;
        tmp->via.str.size = (uint32_t)ev->source_len;
    } else if (strcmp(path, "type") == 0) {
        tmp->via.str.ptr = ev->type;
        tmp->via.str.size = (uint32_t)ev->type_len;
    } else if (strcmp(path, "id") == 0) {
        tmp->via.str.ptr = ev->id;
        tmp->via.str.size = (uint32_t)ev->id_len;
    } else {
        return NULL;
    }
    return tmp;
}

static bool val_eq(const cval *v, const msgpack_object *o)
{
    double x;
    switch (v->kind) {
    case V_NUM: return hq_mp_number(o, &x) && x == v->num;
    case V_BOOL: return o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean == v->b;
    case V_STR:
        return o->type == MSGPACK_OBJECT_STR && o->via.str.size == v->len &&
               memcmp(o->via.str.ptr, v->str, v->len) == 0;
    }
    return false;
}

/* The table key of an above_table comparison: a sibling of the compared
 * value when both paths differ only in their last part (data.items.code
 * beside data.items.unit_price_fen: the same item), else from the event. */
static const msgpack_object *table_key(const hq_cond *c, const hq_event *ev, const msgpack_object *parent,
                                       msgpack_object *tmp)
{
    const char *a = strrchr(c->path, '.'), *b = strrchr(c->keypath, '.');
    if (parent && a && b && a - c->path == b - c->keypath && !strncmp(c->path, c->keypath, (size_t)(a - c->path)))
        return hq_mp_map_get(parent, b + 1);
    return ev ? hq_event_field(ev, c->keypath, tmp) : NULL;
}

/* The comparison on one value (not an array); ev for table keys. */
static bool cmp_scalar_ev(const hq_cond *c, const msgpack_object *o, const hq_event *ev,
                          const msgpack_object *parent)
{
    double x, limit;
    switch (c->op) {
    case OP_KNOWN:
    case OP_UNKNOWN: {
        if (o->type != MSGPACK_OBJECT_STR || !c->env)
            return false;
        bool k = c->env->known(c->env->ctx, c->registry, o->via.str.ptr, o->via.str.size);
        return c->op == OP_KNOWN ? k : !k;
    }
    case OP_ABOVE_TABLE: {
        msgpack_object tmp;
        const msgpack_object *key = table_key(c, ev, parent, &tmp);
        if (!key || key->type != MSGPACK_OBJECT_STR || !c->env || !hq_mp_number(o, &x))
            return false;
        if (!c->env->table_value(c->env->ctx, c->table, key->via.str.ptr, key->via.str.size, &limit))
            return false; /* no approved value: nothing to compare with */
        return x > limit;
    }
    default:
        break;
    }
    switch (c->op) {
    case OP_EQ: return val_eq(&c->vals[0], o);
    case OP_NE: return !val_eq(&c->vals[0], o);
    case OP_LT: return hq_mp_number(o, &x) && x < c->vals[0].num;
    case OP_LE: return hq_mp_number(o, &x) && x <= c->vals[0].num;
    case OP_GT: return hq_mp_number(o, &x) && x > c->vals[0].num;
    case OP_GE: return hq_mp_number(o, &x) && x >= c->vals[0].num;
    case OP_IN:
    case OP_NOT_IN: {
        bool in = false;
        for (size_t i = 0; i < c->nvals && !in; i++)
            in = val_eq(&c->vals[i], o);
        return c->op == OP_IN ? in : !in;
    }
    case OP_RANGE: return hq_mp_number(o, &x) && x >= c->vals[0].num && x <= c->vals[1].num;
    case OP_PREFIX:
        return o->type == MSGPACK_OBJECT_STR && o->via.str.size >= c->vals[0].len &&
               memcmp(o->via.str.ptr, c->vals[0].str, c->vals[0].len) == 0;
    case OP_EXISTS: return true;
    default: return false;
    }
}

/* Walks path from o; arrays on the way fan out: any item may match. */
static bool match_path(const hq_cond *c, const msgpack_object *o, const char *p, bool *found, const hq_event *ev)
{
    const msgpack_object *parent = NULL; /* the map holding the value */
    while (*p) {
        if (o->type == MSGPACK_OBJECT_ARRAY) {
            const char *dot = strchr(p, '.');
            size_t n = dot ? (size_t)(dot - p) : strlen(p);
            bool digits = n > 0;
            for (size_t i = 0; i < n; i++)
                digits = digits && p[i] >= '0' && p[i] <= '9';
            if (!digits) {
                for (uint32_t i = 0; i < o->via.array.size; i++)
                    if (match_path(c, &o->via.array.ptr[i], p, found, ev))
                        return true;
                return false;
            }
        }
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (o->type == MSGPACK_OBJECT_MAP) {
            parent = o;
            o = hq_mp_map_getn(o, p, n);
        } else if (o->type == MSGPACK_OBJECT_ARRAY) {
            unsigned long i = strtoul(p, NULL, 10);
            o = i < o->via.array.size ? &o->via.array.ptr[i] : NULL;
        } else {
            o = NULL;
        }
        if (!o)
            return false;
        p += n;
        if (*p == '.')
            p++;
    }
    if (o->type == MSGPACK_OBJECT_NIL)
        return false;
    *found = true;
    if (o->type == MSGPACK_OBJECT_ARRAY && c->op != OP_EXISTS) {
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (cmp_scalar_ev(c, &o->via.array.ptr[i], ev, parent))
                return true;
        return false;
    }
    return cmp_scalar_ev(c, o, ev, parent);
}

bool hq_cond_eval(const hq_cond *c, const hq_event *ev)
{
    switch (c->kind) {
    case C_ALL:
        for (size_t i = 0; i < c->nkids; i++)
            if (!hq_cond_eval(c->kids[i], ev))
                return false;
        return true;
    case C_ANY:
        for (size_t i = 0; i < c->nkids; i++)
            if (hq_cond_eval(c->kids[i], ev))
                return true;
        return false;
    case C_NOT: return c->nkids && !hq_cond_eval(c->kids[0], ev);
    case C_CMP: break;
    }
    bool found = false, m;
    if (c->dpath) {
        m = match_path(c, ev->data, c->dpath, &found, ev);
    } else {
        msgpack_object tmp;
        const msgpack_object *o = hq_event_field(ev, c->path, &tmp);
        found = o != NULL;
        m = o && cmp_scalar_ev(c, o, ev, NULL);
    }
    if (c->op == OP_EXISTS)
        return found == c->exists;
    if (!found)
        return c->op == OP_NE || c->op == OP_NOT_IN; /* absent differs from any value */
    return m;
}
