#include "rules.h"
#include "buf.h"
#include "ident.h"
#include "suggest.h"
#include "worktime.h"

#include "dispatch.h"
#include "mem.h"
#include "retention.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct table_row {
    char *key;
    double value;
} table_row;

typedef struct table {
    char *name;
    table_row *rows;
    size_t n;
} table;

typedef struct type_index {
    const hq_schema *type;
    const hq_rule **rules;
    size_t n;
    hq_dispatch *dispatch; /* which of them an event can match */
} type_index;

struct hq_rules {
    hq_rule *rules;
    size_t nrules;
    type_index *index;
    size_t nindex;
    hq_chain *chains;
    size_t nchains;
    hq_penalty_terms *terms;
    size_t nterms;
    hq_site *sites;
    size_t nsites;
    hq_sensor *sensors;
    size_t nsensors;
    hq_contractor *contractors;
    size_t ncontractors;
    hq_office_unit *office_units;
    size_t noffice_units;
    hq_person *people;
    size_t npeople;
    const hq_person **person_ix; /* people sorted by id (bsearch) */
    struct staff_key {
        char key[41];          /* Z85 public key */
        size_t person;         /* index into people */
    } *keys;
    size_t nkeys;
    hq_perm *perm;
    char *office;
    char *timezone;
    hq_calendar *calendar;
    struct table *tables;
    size_t ntables;
    hq_cond_env env;
    size_t max_for;              /* the most rules of one type */
    /* Lookups by id, sorted views of the arrays above (bsearch). */
    const hq_rule **rule_ix;
    const hq_site **site_ix;
    const hq_sensor **sensor_ix;
    const hq_contractor **contractor_ix;
    hq_retention *retention;     /* NULL: no retention section (retention.h) */
    hq_vocab *vocab;             /* NULL: no vocabulary section (the built-in labels) */
    hq_checklists checklists;    /* the inspection forms (checklist.h) */
};

static const char *const domains[] = {"catering",    "dormitory",   "property",  "energy", "transport",
                                      "procurement", "maintenance", "decisions", "general", NULL};

static bool role_scoped(hq_role r)
{
    return r == HQ_ROLE_SECTION_HEAD || r == HQ_ROLE_CENTRE_HEAD || r == HQ_ROLE_SUPERVISOR ||
           r == HQ_ROLE_CONTRACTOR_CONTACT;
}

static bool is_domain(const char *s)
{
    for (const char *const *d = domains; *d; d++)
        if (strcmp(*d, s) == 0)
            return true;
    return false;
}

/* ---- destruction ---- */

static void rule_fini(hq_rule *r)
{
    free(r->id);
    free(r->file);
    free(r->description);
    free(r->types);
    hq_cond_destroy(&r->when);
    hq_cond_destroy(&r->scope);
    hq_tmpl_destroy(&r->key);
    hq_tmpl_destroy(&r->title);
    hq_tmpl_destroy(&r->description_t);
    hq_tmpl_destroy(&r->contractor);
    hq_tmpl_destroy(&r->site);
    hq_tmpl_destroy(&r->requirement);
    free(r->domain);
    free(r->category);
    hq_schedule_destroy(&r->schedule);
    hq_tmpl_destroy(&r->unit);
    hq_free_strv(r->units, r->nunits);
    free(r->owner);
    free(r->until);
}

static void index_fini(type_index *x)
{
    free(x->rules);
    hq_dispatch_destroy(&x->dispatch);
}

static void chain_fini(hq_chain *c)
{
    for (size_t j = 0; j < c->nsteps; j++)
        free(c->steps[j].roles);
    free(c->steps);
    free(c->name);
}

static void terms_fini(hq_penalty_terms *t)
{
    free(t->name);
    free(t->contract);
}

static void site_fini(hq_site *s)
{
    free(s->id);
    free(s->name);
    free(s->domain);
    free(s->contractor);
    free(s->unit);
}

static void sensor_fini(hq_sensor *s)
{
    free(s->id);
    free(s->site);
    free(s->kind);
}

static void contractor_fini(hq_contractor *c)
{
    free(c->id);
    free(c->name);
    free(c->penalty_terms);
}

static void office_unit_fini(hq_office_unit *u)
{
    free(u->id);
    free(u->name);
    free(u->domain);
}

static void person_fini(hq_person *p)
{
    free(p->id);
    free(p->name);
    for (size_t j = 0; j < p->nroles; j++)
        free((char *)p->roles[j].scope);
    free(p->roles);
}

static void table_fini(table *t)
{
    for (size_t j = 0; j < t->n; j++)
        free(t->rows[j].key);
    free(t->rows);
    free(t->name);
}

void hq_rules_destroy(hq_rules **rp)
{
    hq_rules *r = rp ? *rp : NULL;
    if (!r)
        return;
    hq_retention_destroy(&r->retention);
    hq_vocab_free(r->vocab);
    hq_checklists_fini(&r->checklists);
    HQ_FREE_EACH(r->rules, r->nrules, rule_fini);
    HQ_FREE_EACH(r->index, r->nindex, index_fini);
    free(r->rule_ix);
    free(r->site_ix);
    free(r->sensor_ix);
    free(r->contractor_ix);
    HQ_FREE_EACH(r->chains, r->nchains, chain_fini);
    HQ_FREE_EACH(r->terms, r->nterms, terms_fini);
    HQ_FREE_EACH(r->sites, r->nsites, site_fini);
    HQ_FREE_EACH(r->sensors, r->nsensors, sensor_fini);
    HQ_FREE_EACH(r->contractors, r->ncontractors, contractor_fini);
    HQ_FREE_EACH(r->office_units, r->noffice_units, office_unit_fini);
    HQ_FREE_EACH(r->people, r->npeople, person_fini);
    free(r->person_ix);
    free(r->keys);
    hq_perm_destroy(&r->perm);
    free(r->office);
    free(r->timezone);
    hq_calendar_destroy(&r->calendar);
    HQ_FREE_EACH(r->tables, r->ntables, table_fini);
    free(r);
    *rp = NULL;
}

/* ---- lookups ---- */

size_t hq_rules_count(const hq_rules *r)
{
    return r ? r->nrules : 0;
}

const hq_rule *hq_rules_at(const hq_rules *r, size_t i)
{
    return &r->rules[i];
}

/* bsearch over a sorted array of pointers to structs whose first member
 * is the id (char *). */
static int cmp_id_key(const void *key, const void *elem)
{
    return strcmp(key, **(char *const *const *)elem);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

static const void *find_id(const void *ix, size_t n, const char *id)
{
    if (!ix || !id)
        return NULL;
    const void *const *p = bsearch(id, ix, n, sizeof(void *), cmp_id_key);
    return p ? *p : NULL;
}

const hq_rule *hq_rules_find(const hq_rules *r, const char *id)
{
    if (r && !r->rule_ix) { /* while loading: the index comes at the end */
        for (size_t i = 0; id && i < r->nrules; i++)
            if (strcmp(r->rules[i].id, id) == 0)
                return &r->rules[i];
        return NULL;
    }
    return r ? find_id(r->rule_ix, r->nrules, id) : NULL;
}

const hq_rule *const *hq_rules_for(const hq_rules *r, const hq_schema *type, size_t *n)
{
    for (size_t i = 0; r && i < r->nindex; i++)
        if (r->index[i].type == type) {
            *n = r->index[i].n;
            return r->index[i].rules;
        }
    *n = 0;
    return NULL;
}

#define FIND_BY(fn, T, arr, cnt, field)                                                                            \
    const T *fn(const hq_rules *r, const char *key)                                                                \
    {                                                                                                              \
        for (size_t i = 0; r && key && i < r->cnt; i++)                                                            \
            if (strcmp(r->arr[i].field, key) == 0)                                                                 \
                return &r->arr[i];                                                                                 \
        return NULL;                                                                                               \
    }
FIND_BY(hq_rules_chain, hq_chain, chains, nchains, name)
FIND_BY(hq_rules_penalty_terms, hq_penalty_terms, terms, nterms, name)
FIND_BY(hq_rules_office_unit, hq_office_unit, office_units, noffice_units, id)

/* Registries: sorted views once loaded, a scan while loading. */
#define FIND_SORTED(fn, T, arr, cnt, ix)                                                                           \
    const T *fn(const hq_rules *r, const char *key)                                                                \
    {                                                                                                              \
        if (r && !r->ix) {                                                                                         \
            for (size_t i = 0; key && i < r->cnt; i++)                                                             \
                if (strcmp(r->arr[i].id, key) == 0)                                                                \
                    return &r->arr[i];                                                                             \
            return NULL;                                                                                           \
        }                                                                                                          \
        return r ? find_id(r->ix, r->cnt, key) : NULL;                                                             \
    }
FIND_SORTED(hq_rules_site, hq_site, sites, nsites, site_ix)
FIND_SORTED(hq_rules_sensor, hq_sensor, sensors, nsensors, sensor_ix)
FIND_SORTED(hq_rules_contractor, hq_contractor, contractors, ncontractors, contractor_ix)

size_t hq_rules_sites(const hq_rules *r, const hq_site **out)
{
    *out = r ? r->sites : NULL;
    return r ? r->nsites : 0;
}

size_t hq_rules_people(const hq_rules *r, const hq_person **out)
{
    *out = r->people;
    return r->npeople;
}

static int cmp_person_key(const void *key, const void *elem)
{
    const struct {
        const char *s;
        size_t n;
    } *k = key;
    const char *id = (*(const hq_person *const *)elem)->id;
    int c = strncmp(k->s, id, k->n);
    return c ? c : (id[k->n] ? -1 : 0);
}

const hq_person *hq_rules_person(const hq_rules *r, const char *id, size_t len)
{
    if (!r || !r->person_ix || !id)
        return NULL;
    struct {
        const char *s;
        size_t n;
    } k = {id, len};
    const hq_person *const *p = bsearch(&k, r->person_ix, r->npeople, sizeof *r->person_ix, cmp_person_key);
    return p ? *p : NULL;
}

const char *hq_rules_actor_name(const hq_rules *r, const char *actor)
{
    if (!actor || !*actor || !strcmp(actor, "system"))
        return "系统";
    if (!strcmp(actor, "data") || !strcmp(actor, "auto-recheck"))
        return "监测数据";
    const hq_person *p = hq_rules_person(r, actor, strlen(actor));
    return p && p->name && *p->name ? p->name : actor;
}

const hq_person *hq_rules_person_by_key(const hq_rules *r, const char *z85)
{
    for (size_t i = 0; r && z85 && i < r->nkeys; i++)
        if (!strcmp(r->keys[i].key, z85))
            return &r->people[r->keys[i].person];
    return NULL;
}

size_t hq_rules_staff_key_count(const hq_rules *r)
{
    return r ? r->nkeys : 0;
}

const hq_perm *hq_rules_perm(const hq_rules *r)
{
    return r ? r->perm : NULL;
}

const char *hq_rules_office(const hq_rules *r)
{
    return r && r->office ? r->office : "后勤管理处";
}

const hq_calendar *hq_rules_calendar(const hq_rules *r)
{
    return r->calendar;
}

const hq_checklists *hq_rules_checklists(const hq_rules *r)
{
    return &r->checklists;
}

const char *hq_rules_unit_name(const hq_rules *r, const char *unit)
{
    const hq_site *s = hq_rules_site(r, unit);
    if (s && s->name)
        return s->name;
    const hq_contractor *c = hq_rules_contractor(r, unit);
    if (c && c->name)
        return c->name;
    const hq_office_unit *o = hq_rules_office_unit(r, unit);
    if (o && o->name)
        return o->name;
    return unit;
}

const char *hq_rules_timezone(const hq_rules *r)
{
    return r && r->timezone ? r->timezone : "Asia/Shanghai";
}

size_t hq_rules_resolve_role(const hq_rules *r, hq_role role, const char *scope, const hq_person **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->npeople; i++) {
        const hq_person *p = &r->people[i];
        for (size_t j = 0; j < p->nroles; j++) {
            const hq_person_role *pr = &p->roles[j];
            bool hit = pr->role == role || (role == HQ_ROLE_WORKING_GROUP && pr->role != HQ_ROLE_CONTRACTOR_CONTACT &&
                                            pr->role != HQ_ROLE_COMPLAINANT && pr->role != HQ_ROLE_ADMIN &&
                                            pr->role != HQ_ROLE_VICE_PRESIDENT);
            if (hit && role_scoped(role) && pr->scope && scope && strcmp(pr->scope, scope) != 0)
                hit = false;
            if (hit) {
                if (n < max)
                    out[n] = p;
                n++;
                break;
            }
        }
    }
    return n;
}

/* ---- lookups for conditions (hq_cond_env) ---- */

static bool env_has_registry(void *ctx, const char *name)
{
    (void)ctx;
    return !strcmp(name, "sites") || !strcmp(name, "sensors") || !strcmp(name, "contractors");
}

static bool env_known(void *ctx, const char *reg, const char *key, size_t len)
{
    const hq_rules *r = ctx;
    char k[256];
    if (len >= sizeof k)
        return false;
    memcpy(k, key, len);
    k[len] = '\0';
    if (!strcmp(reg, "sites"))
        return hq_rules_site(r, k) != NULL;
    if (!strcmp(reg, "sensors"))
        return hq_rules_sensor(r, k) != NULL;
    return hq_rules_contractor(r, k) != NULL;
}

static const table *find_table(const hq_rules *r, const char *name)
{
    for (size_t i = 0; i < r->ntables; i++)
        if (!strcmp(r->tables[i].name, name))
            return &r->tables[i];
    return NULL;
}

static bool env_has_table(void *ctx, const char *name)
{
    return find_table(ctx, name) != NULL;
}

static bool env_table_value(void *ctx, const char *name, const char *key, size_t len, double *out)
{
    const table *t = find_table(ctx, name);
    for (size_t i = 0; t && i < t->n; i++)
        if (strlen(t->rows[i].key) == len && !memcmp(t->rows[i].key, key, len)) {
            *out = t->rows[i].value;
            return true;
        }
    return false;
}

/* ---- loading ---- */

/* A reference to check once everything is loaded (a sensor's site, a
 * site's contractor, a contractor's penalty terms), with its place. */
typedef struct xref {
    char kind; /* 's' site, 'c' contractor, 't' penalty terms, 'k' a sensor's kind (the schemas) */
    const hq_ydoc *doc;
    const hq_ynode *n;
    char *owner; /* "sensor cs-001" */
} xref;

typedef struct loader {
    hq_rules *r;
    const hq_schemas *schemas;
    hq_diags *d;
    hq_ydoc **docs;
    size_t ndocs;
    xref *refs;
    size_t nrefs;
    const hq_ydoc *vocab_doc;   /* where the vocabulary section is, for its checks */
    const hq_ynode *vocab_node;
} loader;

static void add_xref(loader *L, char kind, const hq_ydoc *doc, const hq_ynode *n, const char *what, const char *id)
{
    if (!n || n->type != HQ_Y_SCALAR)
        return;
    xref *r = hq_realloc(L->refs, (L->nrefs + 1) * sizeof *r);
    L->refs = r;
    size_t len = strlen(what) + strlen(id) + 2;
    char *owner = hq_malloc(len);
    snprintf(owner, len, "%s %s", what, id);
    L->refs[L->nrefs++] = (xref){kind, doc, n, owner};
}

static char *dup_scalar(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    const char *s;
    if (!n || hq_yget_str(L->d, doc, n, &s) != 0)
        return NULL;
    return hq_strdup(s);
}

static bool ident_ok(const char *s)
{
    return hq_ident_ok(s, SIZE_MAX, "-_.", true);
}

/* Money in yuan (with up to two decimals) to cents. */
static int get_cents(loader *L, const hq_ydoc *doc, const hq_ynode *n, int64_t *out)
{
    double v;
    if (hq_yget_number(L->d, doc, n, &v) != 0)
        return HQ_EINVAL;
    if (v < 0) {
        hq_ydiag(L->d, doc, n, "an amount cannot be negative");
        return HQ_EINVAL;
    }
    if (v > 1e12) { /* keeps v * 100 well inside int64 */
        hq_ydiag(L->d, doc, n, "an amount above 1,000,000,000,000 yuan is not a contract term");
        return HQ_EINVAL;
    }
    *out = (int64_t)(v * 100 + 0.5);
    return 0;
}

static void load_chains(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    static const char *const step_keys[] = {"level", "after", "notify", "accountability", NULL};
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(L->d, doc, n, "chains: expected a mapping of chain names to their steps");
        return;
    }
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *k = hq_ymap_key(n, i), *v = hq_ymap_val(n, i);
        if (hq_rules_chain(L->r, k->str)) {
            hq_ydiag(L->d, doc, k, "chain \"%s\" is defined twice", k->str);
            continue;
        }
        if (v->type != HQ_Y_SEQ || v->len == 0) {
            hq_ydiag(L->d, doc, v, "chain \"%s\": expected a list of steps", k->str);
            continue;
        }
        L->r->chains = hq_realloc(L->r->chains, (L->r->nchains + 1) * sizeof *L->r->chains);
        hq_chain *c = &L->r->chains[L->r->nchains++];
        memset(c, 0, sizeof *c);
        c->name = hq_strdup(k->str);
        c->steps = hq_calloc(v->len, sizeof *c->steps);
        for (size_t j = 0; j < v->len; j++) {
            const hq_ynode *s = v->kids[j];
            if (hq_ycheck_keys(L->d, doc, s, step_keys))
                continue;
            hq_chain_step *st = &c->steps[c->nsteps];
            memset(st, 0, sizeof *st);
            int64_t lv = 0;
            const hq_ynode *x;
            if ((x = hq_yrequire(L->d, doc, s, "level")) && hq_yget_int(L->d, doc, x, &lv) == 0 &&
                (lv < 1 || lv > 9))
                hq_ydiag(L->d, doc, x, "level must be 1 to 9");
            st->level = (int)lv;
            if ((int64_t)c->nsteps + 1 != lv)
                hq_ydiag(L->d, doc, s, "chain \"%s\": steps must be levels 1, 2, 3, ... in order", c->name);
            if ((x = hq_ymap_get(s, "after")))
                hq_yget_wdur(L->d, doc, x, &st->after_ms);
            else if (lv > 1)
                hq_ydiag(L->d, doc, s, "level %lld needs \"after\" (time after the deadline)", (long long)lv);
            /* Comparable only in one kind of time: 2 workdays and 40h may come either way round. */
            if (c->nsteps > 0 && st->after_ms <= c->steps[c->nsteps - 1].after_ms && lv > 2 &&
                hq_wdur_kind_of(st->after_ms) == hq_wdur_kind_of(c->steps[c->nsteps - 1].after_ms))
                hq_ydiag(L->d, doc, s, "level %lld must come later than level %lld", (long long)lv,
                         (long long)lv - 1);
            if ((x = hq_ymap_get(s, "accountability")))
                hq_yget_bool(L->d, doc, x, &st->accountability);
            x = hq_yrequire(L->d, doc, s, "notify");
            if (x && (x->type != HQ_Y_SEQ || x->len == 0)) {
                hq_ydiag(L->d, doc, x, "notify: expected a list of roles");
            } else if (x) {
                st->roles = hq_calloc(x->len, sizeof *st->roles);
                for (size_t m = 0; m < x->len; m++) {
                    const hq_ynode *rn = x->kids[m];
                    if (rn->type != HQ_Y_SCALAR || hq_role_parse(rn->str, &st->roles[st->nroles]) != 0) {
                        hq_ydiag(L->d, doc, rn,
                                 "unknown role \"%s\" (roles: working_group, office_director, deputy_director, "
                                 "section_head, centre_head, supervisor, vice_president, contractor_contact, "
                                 "complainant, admin)",
                                 rn->type == HQ_Y_SCALAR ? rn->str : "?");
                        continue;
                    }
                    st->nroles++;
                }
            }
            c->nsteps++;
        }
    }
}

static void load_terms(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    static const char *const keys[] = {"contract",       "per_overdue_day",     "overdue_cap",
                                       "per_failed_recheck", "failed_recheck_cap", "per_recurrence",
                                       "recurrence_cap", "opinion",             "total_cap",
                                       NULL};
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(L->d, doc, n, "penalty_terms: expected a mapping of names to terms");
        return;
    }
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *k = hq_ymap_key(n, i), *v = hq_ymap_val(n, i);
        if (hq_rules_penalty_terms(L->r, k->str)) {
            hq_ydiag(L->d, doc, k, "penalty terms \"%s\" are defined twice", k->str);
            continue;
        }
        if (hq_ycheck_keys(L->d, doc, v, keys))
            continue;
        L->r->terms = hq_realloc(L->r->terms, (L->r->nterms + 1) * sizeof *L->r->terms);
        hq_penalty_terms *t = &L->r->terms[L->r->nterms++];
        memset(t, 0, sizeof *t);
        t->name = hq_strdup(k->str);
        const hq_ynode *x;
        if ((x = hq_ymap_get(v, "contract")))
            t->contract = dup_scalar(L, doc, x);
        struct {
            const char *key;
            int64_t *dst;
        } amounts[] = {
            {"per_overdue_day", &t->per_overdue_day_cents}, {"overdue_cap", &t->overdue_cap_cents},
            {"per_failed_recheck", &t->per_failed_recheck_cents}, {"failed_recheck_cap", &t->failed_recheck_cap_cents},
            {"per_recurrence", &t->per_recurrence_cents}, {"recurrence_cap", &t->recurrence_cap_cents},
            {"opinion", &t->opinion_cents}, {"total_cap", &t->total_cap_cents},
        };
        for (size_t j = 0; j < sizeof amounts / sizeof *amounts; j++)
            if ((x = hq_ymap_get(v, amounts[j].key)))
                get_cents(L, doc, x, amounts[j].dst);
    }
}

/* The loop the registries share: a list of mappings, each with a unique
 * id.  add() takes the new entry's id (it owns it from then on). */
typedef struct registry {
    const char *what;                 /* "site" */
    const char *const *keys;          /* the keys an entry may have */
    bool (*exists)(const hq_rules *r, const char *id);
    void (*add)(loader *L, const hq_ydoc *doc, const hq_ynode *entry, char *id);
} registry;

static void load_registry(loader *L, const hq_ydoc *doc, const hq_ynode *n, const registry *reg)
{
    if (!hq_yseq(L->d, doc, n, "%ss: expected a list", reg->what))
        return;
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *s = n->kids[i];
        if (hq_ycheck_keys(L->d, doc, s, reg->keys))
            continue;
        char *id = dup_scalar(L, doc, hq_yrequire(L->d, doc, s, "id"));
        if (!id)
            continue;
        if (reg->exists(L->r, id)) {
            hq_ydiag(L->d, doc, s, "%s \"%s\" is defined twice", reg->what, id);
            free(id);
            continue;
        }
        reg->add(L, doc, s, id);
    }
}

static bool site_exists(const hq_rules *r, const char *id)
{
    return hq_rules_site(r, id) != NULL;
}

static void add_site(loader *L, const hq_ydoc *doc, const hq_ynode *s, char *id)
{
    L->r->sites = hq_realloc(L->r->sites, (L->r->nsites + 1) * sizeof *L->r->sites);
    hq_site *st = &L->r->sites[L->r->nsites++];
    memset(st, 0, sizeof *st);
    st->id = id;
    const hq_ynode *x;
    st->name = (x = hq_ymap_get(s, "name")) ? dup_scalar(L, doc, x) : hq_strdup(id);
    if ((x = hq_ymap_get(s, "domain"))) {
        st->domain = dup_scalar(L, doc, x);
        if (st->domain && !is_domain(st->domain))
            hq_ydiag(L->d, doc, x, "unknown domain \"%s\"", st->domain);
    }
    if ((x = hq_ymap_get(s, "contractor"))) {
        st->contractor = dup_scalar(L, doc, x);
        add_xref(L, 'c', doc, x, "site", id);
    }
    if ((x = hq_ymap_get(s, "unit")))
        st->unit = dup_scalar(L, doc, x);
}

static bool sensor_exists(const hq_rules *r, const char *id)
{
    return hq_rules_sensor(r, id) != NULL;
}

/* A sensor's kind is one the readings can have: a value of the kind enum
 * of sensor.reading (issue 20: the registry said drinking_water, which no
 * reading can carry, and nothing caught it). */
static void check_sensor_kind(loader *L, const hq_ydoc *doc, const hq_ynode *x, const char *owner, const char *kind)
{
    const hq_schema *sr = hq_schemas_find(L->schemas, "sensor.reading", 14);
    const hq_field *f = sr ? hq_schema_field(sr, "kind") : NULL;
    if (!f || f->type != HQ_F_ENUM) {
        hq_ydiag(L->d, doc, x, "%s: kind \"%s\": no schema defines sensor kinds (sensor.reading with a kind enum)",
                 owner, kind);
        return;
    }
    for (size_t i = 0; i < f->nvalues; i++)
        if (strcmp(f->values[i], kind) == 0)
            return;
    const char *near = hq_suggest(kind, (const char *const *)f->values, f->nvalues);
    hq_ydiag(L->d, doc, x, "%s: kind \"%s\" is not defined by a schema (not a kind of sensor.reading)%s%s%s",
             owner, kind, near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
}

static void add_sensor(loader *L, const hq_ydoc *doc, const hq_ynode *s, char *id)
{
    L->r->sensors = hq_realloc(L->r->sensors, (L->r->nsensors + 1) * sizeof *L->r->sensors);
    hq_sensor *st = &L->r->sensors[L->r->nsensors++];
    memset(st, 0, sizeof *st);
    st->id = id;
    st->site = dup_scalar(L, doc, hq_yrequire(L->d, doc, s, "site"));
    add_xref(L, 's', doc, hq_ymap_get(s, "site"), "sensor", id);
    const hq_ynode *x;
    if ((x = hq_ymap_get(s, "kind"))) {
        st->kind = dup_scalar(L, doc, x);
        add_xref(L, 'k', doc, x, "sensor", id);
    }
}

static bool contractor_exists(const hq_rules *r, const char *id)
{
    return hq_rules_contractor(r, id) != NULL;
}

static void add_contractor(loader *L, const hq_ydoc *doc, const hq_ynode *s, char *id)
{
    L->r->contractors = hq_realloc(L->r->contractors, (L->r->ncontractors + 1) * sizeof *L->r->contractors);
    hq_contractor *c = &L->r->contractors[L->r->ncontractors++];
    memset(c, 0, sizeof *c);
    c->id = id;
    const hq_ynode *x;
    c->name = (x = hq_ymap_get(s, "name")) ? dup_scalar(L, doc, x) : hq_strdup(id);
    if ((x = hq_ymap_get(s, "penalty_terms"))) {
        c->penalty_terms = dup_scalar(L, doc, x);
        add_xref(L, 't', doc, x, "contractor", id);
    }
}

/* office_units: the sections and service centres of the office (R4, R6
 * "各相关科室、管理服务中心"), the owners of the office's own obligations. */
static bool office_unit_exists(const hq_rules *r, const char *id)
{
    return hq_rules_office_unit(r, id) != NULL;
}

static void add_office_unit(loader *L, const hq_ydoc *doc, const hq_ynode *s, char *id)
{
    if (!ident_ok(id))
        hq_ydiag(L->d, doc, hq_ymap_get(s, "id"), "office unit id \"%s\": use letters, digits, - _ and .", id);
    if (hq_rules_contractor(L->r, id))
        hq_ydiag(L->d, doc, hq_ymap_get(s, "id"), "office unit \"%s\" is also a contractor's id: an office unit "
                 "is a section or centre of the office, never a contractor", id);
    L->r->office_units = hq_realloc(L->r->office_units, (L->r->noffice_units + 1) * sizeof *L->r->office_units);
    hq_office_unit *u = &L->r->office_units[L->r->noffice_units++];
    memset(u, 0, sizeof *u);
    u->id = id;
    const hq_ynode *x;
    u->name = (x = hq_ymap_get(s, "name")) ? dup_scalar(L, doc, x) : hq_strdup(id);
    if ((x = hq_yrequire(L->d, doc, s, "domain"))) {
        u->domain = dup_scalar(L, doc, x);
        if (u->domain && !is_domain(u->domain))
            hq_ydiag(L->d, doc, x, "unknown domain \"%s\"", u->domain);
    }
}

static void load_office_units(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    static const char *const keys[] = {"id", "name", "domain", NULL};
    static const registry reg = {"office unit", keys, office_unit_exists, add_office_unit};
    load_registry(L, doc, n, &reg);
}

static void load_sites(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    static const char *const keys[] = {"id", "name", "domain", "contractor", "unit", NULL};
    static const registry reg = {"site", keys, site_exists, add_site};
    load_registry(L, doc, n, &reg);
}

static void load_sensors(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    static const char *const keys[] = {"id", "site", "kind", NULL};
    static const registry reg = {"sensor", keys, sensor_exists, add_sensor};
    load_registry(L, doc, n, &reg);
}

static void load_contractors(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    static const char *const keys[] = {"id", "name", "penalty_terms", "domains", "contract", NULL};
    static const registry reg = {"contractor", keys, contractor_exists, add_contractor};
    load_registry(L, doc, n, &reg);
}

/* tables: {name: {key: number, ...}, ...} */
static void load_tables(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(L->d, doc, n, "tables: expected a mapping of table names to {key: number}");
        return;
    }
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *k = hq_ymap_key(n, i), *v = hq_ymap_val(n, i);
        if (find_table(L->r, k->str)) {
            hq_ydiag(L->d, doc, k, "table \"%s\" is defined twice", k->str);
            continue;
        }
        if (v->type != HQ_Y_MAP) {
            hq_ydiag(L->d, doc, v, "table \"%s\": expected a mapping of keys to numbers", k->str);
            continue;
        }
        L->r->tables = hq_realloc(L->r->tables, (L->r->ntables + 1) * sizeof *L->r->tables);
        table *t = &L->r->tables[L->r->ntables++];
        t->name = hq_strdup(k->str);
        t->rows = hq_calloc(v->len ? v->len : 1, sizeof *t->rows);
        t->n = 0;
        for (size_t j = 0; j < v->len; j++) {
            double num;
            if (hq_yget_number(L->d, doc, hq_ymap_val(v, j), &num) != 0)
                continue;
            t->rows[t->n].key = hq_strdup(hq_ymap_key(v, j)->str);
            t->rows[t->n++].value = num;
        }
    }
}

static void load_people(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    static const char *const keys[] = {"id",     "name",  "roles", "channels", "working_hours", "title",
                                       "deputy", "email", "phone", "webhook",  NULL}; /* the last four: alertd's */
    if (!hq_yseq(L->d, doc, n, "people: expected a list"))
        return;
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *s = n->kids[i];
        if (hq_ycheck_keys(L->d, doc, s, keys))
            continue;
        char *id = dup_scalar(L, doc, hq_yrequire(L->d, doc, s, "id"));
        if (!id)
            continue;
        for (size_t k = 0; k < L->r->npeople; k++)
            if (!strcmp(L->r->people[k].id, id)) {
                hq_ydiag(L->d, doc, hq_ymap_get(s, "id"), "person \"%s\" is defined twice", id);
                break;
            }
        L->r->people = hq_realloc(L->r->people, (L->r->npeople + 1) * sizeof *L->r->people);
        hq_person *p = &L->r->people[L->r->npeople++];
        memset(p, 0, sizeof *p);
        p->id = id;
        const hq_ynode *x;
        p->name = (x = hq_ymap_get(s, "name")) ? dup_scalar(L, doc, x) : hq_strdup(id);
        x = hq_yrequire(L->d, doc, s, "roles");
        if (!x)
            continue;
        if (!hq_yseq(L->d, doc, x, "roles: expected a list like [office_director] or [section_head:catering]"))
            continue;
        if (x->len == 0)
            hq_ydiag(L->d, doc, x, "person \"%s\" has no role: give at least one (like [supervisor:catering])",
                     id);
        p->roles = hq_calloc(x->len ? x->len : 1, sizeof *p->roles);
        for (size_t j = 0; j < x->len; j++) {
            const char *rs;
            if (hq_yget_str(L->d, doc, x->kids[j], &rs) != 0)
                continue;
            char buf[128];
            snprintf(buf, sizeof buf, "%s", rs);
            char *colon = strchr(buf, ':');
            if (colon)
                *colon++ = '\0';
            hq_person_role *pr = &p->roles[p->nroles];
            if (hq_role_parse(buf, &pr->role) != 0) {
                hq_ydiag(L->d, doc, x->kids[j], "unknown role \"%s\"", buf);
                continue;
            }
            if (role_scoped(pr->role) && !colon) {
                hq_ydiag(L->d, doc, x->kids[j], "role %s needs a scope: %s:<%s>", buf, buf,
                         pr->role == HQ_ROLE_CONTRACTOR_CONTACT ? "contractor" : "domain");
                continue;
            }
            if (!role_scoped(pr->role) && colon) {
                hq_ydiag(L->d, doc, x->kids[j], "role %s takes no scope", buf);
                continue;
            }
            if (colon && pr->role != HQ_ROLE_CONTRACTOR_CONTACT && !is_domain(colon)) {
                hq_ydiag(L->d, doc, x->kids[j], "unknown domain \"%s\"", colon);
                continue;
            }
            pr->scope = colon ? hq_strdup(colon) : NULL;
            p->nroles++;
        }
    }
}

/* A Z85 CURVE public key: 40 characters of the Z85 alphabet (ZMQ RFC 32). */
static bool z85_key_ok(const char *s)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (strlen(s) != 40)
        return false;
    for (; *s; s++)
        if (!strchr(alphabet, *s))
            return false;
    return true;
}

/* staff_keys: [{person, key, description}]: the CURVE keys staff use with
 * houqinctl, each bound to one person (a person may have several). */
static void load_staff_keys(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    static const char *const keys[] = {"person", "key", "description", NULL};
    if (!hq_yseq(L->d, doc, n, "staff_keys: expected a list of {person, key}"))
        return;
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *e = n->kids[i];
        if (hq_ycheck_keys(L->d, doc, e, keys))
            continue;
        const hq_ynode *pn = hq_yrequire(L->d, doc, e, "person"), *kn = hq_yrequire(L->d, doc, e, "key");
        const char *ps, *ks;
        if (!pn || !kn || hq_yget_str(L->d, doc, pn, &ps) || hq_yget_str(L->d, doc, kn, &ks))
            continue;
        const hq_person *p = NULL;
        for (size_t k = 0; k < L->r->npeople; k++)
            if (!strcmp(L->r->people[k].id, ps))
                p = &L->r->people[k];
        if (!p) {
            hq_ydiag(L->d, doc, pn, "unknown person \"%s\" (not in the people of the organisation)", ps);
            continue;
        }
        if (!z85_key_ok(ks)) {
            hq_ydiag(L->d, doc, kn, "key: expected a 40-character Z85 CURVE public key (houqinctl keygen)");
            continue;
        }
        const hq_person *other = NULL;
        for (size_t k = 0; k < L->r->nkeys; k++)
            if (!strcmp(L->r->keys[k].key, ks))
                other = &L->r->people[L->r->keys[k].person];
        if (other) {
            if (other == p)
                hq_ydiag(L->d, doc, kn, "this key of %s is listed twice", ps);
            else
                hq_ydiag(L->d, doc, kn, "this key is bound to two people: %s and %s (one key, one person)",
                         other->id, ps);
            continue;
        }
        struct staff_key *grown = hq_realloc(L->r->keys, (L->r->nkeys + 1) * sizeof *grown);
        L->r->keys = grown;
        memcpy(grown[L->r->nkeys].key, ks, 41);
        grown[L->r->nkeys++].person = (size_t)(p - L->r->people);
    }
}

/* Separation of duties per person: someone who holds a contractor's
 * contact role cannot also hold a role the table lets recheck or close
 * (the decision refuses it anyway; the load says so first). */
static void check_people_duties(loader *L)
{
    const hq_rules *r = L->r;
    if (!r->perm)
        return;
    static const hq_perm_action watched[] = {HQ_PA_RECHECK, HQ_PA_CLOSE, HQ_PA_ACCOUNTABILITY};
    for (size_t i = 0; i < L->ndocs; i++) {
        const hq_ydoc *doc = L->docs[i];
        const hq_ynode *ps = hq_ymap_get(doc->root, "people");
        if (!ps || ps->type != HQ_Y_SEQ)
            continue;
        for (size_t k = 0; k < ps->len; k++) {
            const hq_ynode *idn = hq_ymap_get(ps->kids[k], "id"), *rn = hq_ymap_get(ps->kids[k], "roles");
            if (!idn || idn->type != HQ_Y_SCALAR || !rn)
                continue;
            const hq_person *p = hq_rules_person(r, idn->str, strlen(idn->str));
            if (!p || !hq_perm_is_contractor(p->roles, p->nroles))
                continue;
            for (size_t j = 0; j < p->nroles; j++)
                for (size_t w = 0; w < sizeof watched / sizeof *watched; w++)
                    if (hq_perm_role_may(r->perm, p->roles[j].role, watched[w])) {
                        hq_ydiag(L->d, doc, rn,
                                 "separation of duties: %s is a contractor's contact and also %s, which the "
                                 "permissions let %s: a contractor's person never rechecks, closes or starts "
                                 "accountability",
                                 p->id, hq_role_name(p->roles[j].role), hq_perm_action_name(watched[w]));
                        w = sizeof watched / sizeof *watched;
                        j = p->nroles;
                    }
        }
    }
}

/* ---- rules ---- */

typedef struct tctx {
    loader *L;
    const hq_rule *rule;
    bool no_event; /* templates of issues opened by a timer with no event */
} tctx;

static bool registry_attr(const char *ns, const char *attr)
{
    if (strcmp(ns, "site") == 0)
        return !strcmp(attr, "id") || !strcmp(attr, "name") || !strcmp(attr, "domain") ||
               !strcmp(attr, "contractor") || !strcmp(attr, "unit");
    if (strcmp(ns, "sensor") == 0)
        return !strcmp(attr, "id") || !strcmp(attr, "site") || !strcmp(attr, "kind");
    if (strcmp(ns, "contractor") == 0)
        return !strcmp(attr, "id") || !strcmp(attr, "name");
    return false;
}

/* Template placeholders: data paths of every type, envelope fields, key,
 * rule, and registry attributes site.*, sensor.*, contractor.*. */
static bool tmpl_check(void *ctx, const char *path, char *why, size_t whylen)
{
    tctx *t = ctx;
    if (!strcmp(path, "source") || !strcmp(path, "ts") || !strcmp(path, "type") || !strcmp(path, "id")) {
        if (!t->no_event)
            return true;
        snprintf(why, whylen, "an issue for a missing event has no event (no %s); use unit.id, unit.name, slot",
                 path);
        return false;
    }
    if (!strcmp(path, "key") || !strcmp(path, "rule") || !strcmp(path, "deadline") || !strcmp(path, "office"))
        return true;
    if (!strcmp(path, "until")) {
        if (t->rule->until)
            return true;
        snprintf(why, whylen, "until (the time the condition had to end by) exists only in rules with "
                              "sustained: {until: ...}");
        return false;
    }
    if (!strcmp(path, "unit.id") || !strcmp(path, "unit.name") || !strcmp(path, "slot")) {
        if (t->rule->kind == HQ_RULE_ABSENCE)
            return true;
        snprintf(why, whylen, "unit.id, unit.name and slot exist only in scheduled (absence) rules");
        return false;
    }
    const char *dot = strchr(path, '.');
    if (!dot) {
        snprintf(why, whylen, "unknown name (use data.<field>, source, ts, key, rule, site.name, ...)");
        return false;
    }
    if (strncmp(path, "data.", 5) == 0) {
        if (t->no_event) {
            snprintf(why, whylen, "an issue for a missing event has no event data; use unit.id, unit.name, slot");
            return false;
        }
        for (size_t i = 0; i < t->rule->ntypes; i++)
            if (!hq_schema_field(t->rule->types[i], path + 5)) {
                snprintf(why, whylen, "event type %s has no field %s", t->rule->types[i]->type, path + 5);
                return false;
            }
        return true;
    }
    char ns[32];
    snprintf(ns, sizeof ns, "%.*s", (int)(dot - path), path);
    if (registry_attr(ns, dot + 1))
        return true;
    snprintf(why, whylen, "unknown name (registry attributes: site.id/name/domain/contractor/unit, "
                          "sensor.id/site/kind, contractor.id/name)");
    return false;
}

static hq_tmpl *get_tmpl(loader *L, const hq_ydoc *doc, const hq_ynode *n, const hq_rule *rule)
{
    tctx t = {L, rule, rule->kind == HQ_RULE_ABSENCE && rule->issue_phase};
    return hq_tmpl_compile(doc, n, tmpl_check, &t, L->d);
}

/* ---- literal names: what a rule writes as a plain value must exist ---- */

/* The registries a literal may name (issue 18: `eq: drom-8` and
 * `site: drom-8` used to load and silently never match). */
typedef enum { LIT_SITE, LIT_SENSOR, LIT_CONTRACTOR } lit_kind;

static const char *const lit_names[] = {"site", "sensor", "contractor"};

static bool lit_exists(const loader *L, lit_kind k, const char *v)
{
    switch (k) {
    case LIT_SITE: return hq_rules_site(L->r, v) != NULL;
    case LIT_SENSOR: return hq_rules_sensor(L->r, v) != NULL;
    case LIT_CONTRACTOR: return hq_rules_contractor(L->r, v) != NULL;
    }
    return true;
}

/* Reports an unknown literal at n, with the nearest known name. */
static void lit_check(loader *L, const hq_ydoc *doc, const hq_ynode *n, lit_kind k, const char *where)
{
    if (!n || n->type != HQ_Y_SCALAR || strstr(n->str, "{{") || lit_exists(L, k, n->str))
        return;
    const hq_rules *r = L->r;
    size_t cnt = k == LIT_SITE ? r->nsites : k == LIT_SENSOR ? r->nsensors : r->ncontractors;
    const char **names = hq_calloc(cnt ? cnt : 1, sizeof *names);
    for (size_t i = 0; names && i < cnt; i++)
        names[i] = k == LIT_SITE ? r->sites[i].id : k == LIT_SENSOR ? r->sensors[i].id : r->contractors[i].id;
    const char *near = names ? hq_suggest(n->str, names, cnt) : NULL;
    if (near)
        hq_ydiag(L->d, doc, n, "%s: unknown %s \"%s\" (did you mean \"%s\"?)", where, lit_names[k], n->str, near);
    else
        hq_ydiag(L->d, doc, n, "%s: unknown %s \"%s\" (no %s of the registries has this id)", where, lit_names[k],
                 n->str, lit_names[k]);
    free(names);
}

/* The literal comparisons of a condition's YAML: {field: data.site, eq:
 * X} / ne / in / not_in, through all, any, not and lists.  (Domains,
 * categories and kinds are enums of the schemas, which the condition
 * compiler checks already.) */
static void lit_cond(loader *L, const hq_ydoc *doc, const hq_ynode *n, int depth)
{
    static const struct {
        const char *path;
        lit_kind kind;
    } fields[] = {{"data.site", LIT_SITE},
                  {"data.sensor", LIT_SENSOR},
                  {"data.contractor", LIT_CONTRACTOR}};
    static const char *const ops[] = {"eq", "ne", "in", "not_in"};
    if (!n || depth > 32)
        return;
    if (n->type == HQ_Y_SEQ) {
        for (size_t i = 0; i < n->len; i++)
            lit_cond(L, doc, n->kids[i], depth + 1);
        return;
    }
    if (n->type != HQ_Y_MAP)
        return;
    const hq_ynode *f = hq_ymap_get(n, "field");
    if (!f) {
        static const char *const subs[] = {"all", "any", "not"};
        for (size_t i = 0; i < 3; i++)
            lit_cond(L, doc, hq_ymap_get(n, subs[i]), depth + 1);
        return;
    }
    if (f->type != HQ_Y_SCALAR)
        return;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (strcmp(f->str, fields[i].path))
            continue;
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
            const hq_ynode *v = hq_ymap_get(n, ops[o]);
            if (v && v->type == HQ_Y_SEQ)
                for (size_t k = 0; k < v->len; k++)
                    lit_check(L, doc, v->kids[k], fields[i].kind, f->str);
            else
                lit_check(L, doc, v, fields[i].kind, f->str);
        }
    }
}

/* units: {sites: <domain>|all} | {contractors: all} | [id, ...] */
static void load_units(loader *L, const hq_ydoc *doc, const hq_ynode *n, hq_rule *r)
{
    const hq_ynode *u = hq_yrequire(L->d, doc, n, "units");
    if (!u)
        return;
    if (u->type == HQ_Y_SEQ) {
        r->units = hq_calloc(u->len ? u->len : 1, sizeof *r->units);
        for (size_t i = 0; i < u->len; i++) {
            const char *id;
            if (hq_yget_str(L->d, doc, u->kids[i], &id) != 0)
                continue;
            /* An office unit is a unit too: the office's own obligations
             * per section (issue 20: covert visits per domain). */
            if (!hq_rules_site(L->r, id) && !hq_rules_contractor(L->r, id) && !hq_rules_office_unit(L->r, id)) {
                const char **names =
                    hq_calloc(L->r->nsites + L->r->ncontractors + L->r->noffice_units + 1, sizeof *names);
                size_t k = 0;
                for (size_t j = 0; j < L->r->nsites; j++)
                    names[k++] = L->r->sites[j].id;
                for (size_t j = 0; j < L->r->ncontractors; j++)
                    names[k++] = L->r->contractors[j].id;
                for (size_t j = 0; j < L->r->noffice_units; j++)
                    names[k++] = L->r->office_units[j].id;
                const char *near = hq_suggest(id, names, k);
                if (near)
                    hq_ydiag(L->d, doc, u->kids[i],
                             "unknown unit \"%s\" (not a site, contractor or office unit; did you mean \"%s\"?)", id,
                             near);
                else
                    hq_ydiag(L->d, doc, u->kids[i], "unknown unit \"%s\" (not a site, contractor or office unit)", id);
                free(names);
            }
            r->units[r->nunits++] = hq_strdup(id);
        }
    } else if (u->type == HQ_Y_MAP && u->len == 1) {
        const char *what = hq_ymap_key(u, 0)->str, *which;
        if (hq_yget_str(L->d, doc, hq_ymap_val(u, 0), &which) != 0)
            return;
        if (!strcmp(what, "sites")) {
            r->units = hq_calloc(L->r->nsites ? L->r->nsites : 1, sizeof *r->units);
            for (size_t i = 0; i < L->r->nsites; i++)
                if (!strcmp(which, "all") || (L->r->sites[i].domain && !strcmp(L->r->sites[i].domain, which)))
                    r->units[r->nunits++] = hq_strdup(L->r->sites[i].id);
        } else if (!strcmp(what, "contractors")) {
            /* A contractor is in a domain when it runs a site of the domain. */
            r->units = hq_calloc(L->r->ncontractors ? L->r->ncontractors : 1, sizeof *r->units);
            for (size_t i = 0; i < L->r->ncontractors; i++) {
                bool in = !strcmp(which, "all");
                for (size_t k = 0; k < L->r->nsites && !in; k++) {
                    const hq_site *st = &L->r->sites[k];
                    in = st->contractor && st->domain && !strcmp(st->contractor, L->r->contractors[i].id) &&
                         !strcmp(st->domain, which);
                }
                if (in)
                    r->units[r->nunits++] = hq_strdup(L->r->contractors[i].id);
            }
        } else {
            hq_ydiag(L->d, doc, u, "units: expected {sites: <domain>|all}, {contractors: <domain>|all} or a list");
            return;
        }
        if (r->nunits == 0)
            hq_ydiag(L->d, doc, u, "units: no %s match \"%s\": the rule would never apply", what, which);
    } else {
        hq_ydiag(L->d, doc, u, "units: expected {sites: <domain>|all}, {contractors: <domain>|all} or a list");
    }
}

/* owner: contractor | office:<unit>.  Required on a scheduled rule: whose
 * obligation a slot is decides who gets the issue of a missed one. */
static void load_owner(loader *L, const hq_ydoc *doc, const hq_ynode *n, hq_rule *r)
{
    const hq_ynode *x = hq_ymap_get(n, "owner"), *sch = hq_ymap_get(n, "schedule");
    if (!sch) {
        if (x)
            hq_ydiag(L->d, doc, x, "owner belongs to scheduled (absence) rules (whose obligation a slot is)");
        return;
    }
    if (!x) {
        hq_ydiag(L->d, doc, sch,
                 "a scheduled rule needs an owner: \"owner: contractor\" (the contractor's own obligation: its "
                 "self-inspections, samples, health checks) or \"owner: office:<unit>\" (an inspection of the "
                 "office's own schedule, by a unit of office_units in org.yaml)");
        return;
    }
    const char *s;
    if (hq_yget_str(L->d, doc, x, &s) != 0)
        return;
    if (!strcmp(s, "contractor"))
        return;
    if (strncmp(s, "office:", 7) != 0) {
        hq_ydiag(L->d, doc, x, "owner: expected contractor or office:<unit>, got \"%s\"", s);
        return;
    }
    const char *id = s + 7;
    if (!hq_rules_office_unit(L->r, id)) {
        const char **v = hq_calloc(L->r->noffice_units + 1, sizeof *v);
        for (size_t i = 0; i < L->r->noffice_units; i++)
            v[i] = L->r->office_units[i].id;
        const char *near = hq_suggest(id, v, L->r->noffice_units);
        if (near)
            hq_ydiag(L->d, doc, x, "owner: unknown office unit \"%s\" (office_units in org.yaml; did you mean \"%s\"?)",
                     id, near);
        else
            hq_ydiag(L->d, doc, x, "owner: unknown office unit \"%s\" (office_units in org.yaml)", id);
        free(v);
        return;
    }
    r->owner = hq_strdup(id);
    const hq_ynode *is = hq_ymap_get(n, "issue"), *y;
    if (is && is->type == HQ_Y_MAP) {
        if ((y = hq_ymap_get(is, "contractor")))
            hq_ydiag(L->d, doc, y, "an obligation of the office (owner: office:%s) opens an internal issue against "
                     "the unit, never against a contractor: remove issue.contractor", id);
        if ((y = hq_ymap_get(is, "penalties")))
            hq_ydiag(L->d, doc, y, "an obligation of the office (owner: office:%s) is in no contract: remove "
                     "issue.penalties", id);
    }
}

static const char *const rule_keys[] = {"id",  "description", "on",         "when",     "count", "sustained",
                                        "key", "issue",       "recurrence", "schedule", "units", "unit",
                                        "stale", "scope", "owner", NULL};
static const char *const issue_keys[] = {"title",    "description", "domain",   "contractor", "site",
                                         "category", "severity",    "deadline", "recheck",    "ack_within",
                                         "chain",    "penalties",   "requirement", NULL};

/* sustained: {for: D | until: data.<timestamp field>, clears_after: D}.
 * `until` takes the time from the event: the condition must still hold at
 * that moment (a task not done by its due date).  The field is a timestamp
 * of at least one of the rule's types, not inside a list; an event whose
 * type lacks it, or that leaves it out, cannot start the clock. */
static void load_until(loader *L, const hq_ydoc *doc, const hq_ynode *y, hq_rule *r)
{
    const char *path;
    if (hq_yget_str(L->d, doc, y, &path) != 0)
        return;
    if (strncmp(path, "data.", 5) != 0 || !path[5]) {
        hq_ydiag(L->d, doc, y, "until: expected data.<field>, a timestamp field of the event (e.g. data.due_ms)");
        return;
    }
    bool found = false;
    for (size_t i = 0; i < r->ntypes; i++) {
        const hq_field *f = hq_schema_field(r->types[i], path + 5);
        if (!f)
            continue;
        found = true;
        char pre[256];
        bool in_list = false;
        for (const char *dot = strchr(path + 5, '.'); dot && !in_list; dot = strchr(dot + 1, '.')) {
            snprintf(pre, sizeof pre, "%.*s", (int)(dot - path - 5), path + 5);
            const hq_field *pf = hq_schema_field(r->types[i], pre);
            in_list = pf && pf->type == HQ_F_ARRAY;
        }
        if (in_list) {
            hq_ydiag(L->d, doc, y, "until: %s is inside a list of %s; name one time, not a list of them", path,
                     r->types[i]->type);
            return;
        }
        if (f->type != HQ_F_TIMESTAMP) {
            hq_ydiag(L->d, doc, y, "until: %s is a %s field of %s; expected a timestamp field (ms since the epoch)",
                     path, hq_ftype_name(f->type), r->types[i]->type);
            return;
        }
    }
    if (!found) {
        hq_ydiag(L->d, doc, y, "until: no event type of the rule has a field %s", path);
        return;
    }
    r->until = hq_strdup(path);
}

static void load_sustained(loader *L, const hq_ydoc *doc, const hq_ynode *x, hq_rule *r)
{
    static const char *const sk[] = {"for", "until", "clears_after", NULL};
    if (r->kind == HQ_RULE_COUNT) {
        hq_ydiag(L->d, doc, x, "a rule cannot both count and be sustained");
        return;
    }
    if (hq_ycheck_keys(L->d, doc, x, sk))
        return;
    const hq_ynode *f = hq_ymap_get(x, "for"), *u = hq_ymap_get(x, "until"), *y;
    if (f && u)
        hq_ydiag(L->d, doc, u, "sustained: give \"for\" (a duration) or \"until\" (a time of the event), not both");
    else if (u)
        load_until(L, doc, u, r);
    else if ((f = hq_yrequire(L->d, doc, x, "for")))
        hq_yget_duration_ms(L->d, doc, f, &r->sustained_ms);
    if ((y = hq_ymap_get(x, "clears_after")))
        hq_yget_duration_ms(L->d, doc, y, &r->clears_after_ms);
    r->kind = HQ_RULE_SUSTAINED;
}

/* issue: what an opened issue carries. */
/* x: a mapping with key as its one key; key's value, or NULL (said). */
static const hq_ynode *sole_key(loader *L, const hq_ydoc *doc, const hq_ynode *x, const char *key)
{
    const char *const keys[] = {key, NULL};
    return hq_ycheck_keys(L->d, doc, x, keys) ? NULL : hq_yrequire(L->d, doc, x, key);
}

static void load_issue(loader *L, const hq_ydoc *doc, const hq_ynode *is, hq_rule *r)
{
    if (!is || hq_ycheck_keys(L->d, doc, is, issue_keys))
        return;
    const hq_ynode *x;
    if ((x = hq_yrequire(L->d, doc, is, "title")))
        r->title = get_tmpl(L, doc, x, r);
    if ((x = hq_ymap_get(is, "description")))
        r->description_t = get_tmpl(L, doc, x, r);
    if ((x = hq_ymap_get(is, "requirement")))
        r->requirement = get_tmpl(L, doc, x, r);
    if ((x = hq_ymap_get(is, "contractor"))) {
        r->contractor = get_tmpl(L, doc, x, r);
        lit_check(L, doc, x, LIT_CONTRACTOR, "issue.contractor");
    }
    if ((x = hq_ymap_get(is, "site"))) {
        r->site = get_tmpl(L, doc, x, r);
        lit_check(L, doc, x, LIT_SITE, "issue.site");
    }
    if ((x = hq_yrequire(L->d, doc, is, "domain"))) {
        r->domain = dup_scalar(L, doc, x);
        if (r->domain && !is_domain(r->domain))
            hq_ydiag(L->d, doc, x, "unknown domain \"%s\" (catering, dormitory, property, energy, transport, "
                                  "procurement, maintenance, decisions, general)", r->domain);
    }
    if ((x = hq_ymap_get(is, "category")))
        r->category = dup_scalar(L, doc, x);
    r->severity = HQ_SEV_MEDIUM;
    if ((x = hq_ymap_get(is, "severity"))) {
        const char *s;
        if (hq_yget_str(L->d, doc, x, &s) == 0 && hq_severity_parse(s, &r->severity) != 0)
            hq_ydiag(L->d, doc, x, "unknown severity \"%s\" (low, medium, high, critical)", s);
    }
    if ((x = hq_yrequire(L->d, doc, is, "deadline")) && hq_yget_wdur(L->d, doc, x, &r->deadline_ms) == 0 &&
        r->deadline_ms <= 0)
        hq_ydiag(L->d, doc, x, "deadline must be positive");
    const hq_ynode *y;
    if ((x = hq_ymap_get(is, "recheck")) && (y = sole_key(L, doc, x, "after")))
        hq_yget_wdur(L->d, doc, y, &r->recheck_after_ms);
    if ((x = hq_ymap_get(is, "ack_within")))
        hq_yget_wdur(L->d, doc, x, &r->ack_within_ms);
    if ((x = hq_yrequire(L->d, doc, is, "chain"))) {
        const char *s;
        if (hq_yget_str(L->d, doc, x, &s) == 0 && !(r->chain = hq_rules_chain(L->r, s))) {
            hq_buf names;
            hq_buf_init(&names);
            for (size_t i = 0; i < L->r->nchains; i++)
                hq_buf_printf(&names, "%s%s", i ? ", " : "", L->r->chains[i].name);
            const char *near = NULL;
            const char **v = hq_calloc(L->r->nchains + 1, sizeof *v);
            for (size_t i = 0; v && i < L->r->nchains; i++)
                v[i] = L->r->chains[i].name;
            if (v)
                near = hq_suggest(s, v, L->r->nchains);
            hq_ydiag(L->d, doc, x, "unknown escalation chain \"%s\" (%s%s%sdefined: %s)", s,
                     near ? "did you mean \"" : "", near ? near : "", near ? "\"? " : "",
                     names.len ? names.data : "none");
            free(v);
            hq_buf_fini(&names);
        }
    }
    if ((x = hq_ymap_get(is, "penalties"))) {
        const char *s;
        if (hq_yget_str(L->d, doc, x, &s) == 0 && !(r->penalties = hq_rules_penalty_terms(L->r, s)))
            hq_ydiag(L->d, doc, x, "unknown penalty terms \"%s\"", s);
    }
}

/* A rule's id (well formed, used once), description and event types
 * ("on": one or a list, each with a schema). */
static void load_head(loader *L, const hq_ydoc *doc, const hq_ynode *n, hq_rule *r)
{
    const hq_ynode *x;
    r->id = dup_scalar(L, doc, hq_yrequire(L->d, doc, n, "id"));
    if (r->id && !ident_ok(r->id))
        hq_ydiag(L->d, doc, hq_ymap_get(n, "id"), "rule id \"%s\": use letters, digits, - _ and .", r->id);
    const hq_rule *first = r->id ? hq_rules_find(L->r, r->id) : NULL;
    if (first)
        hq_ydiag(L->d, doc, hq_ymap_get(n, "id"), "rule id \"%s\" is used twice (first at %s:%d:%d)", r->id,
                 first->file, first->line, first->column);
    if ((x = hq_ymap_get(n, "description")))
        r->description = dup_scalar(L, doc, x);
    x = hq_yrequire(L->d, doc, n, "on");
    if (x) {
        size_t cnt = x->type == HQ_Y_SEQ ? x->len : 1;
        r->types = hq_calloc(cnt, sizeof *r->types);
        for (size_t i = 0; i < cnt; i++) {
            const hq_ynode *tn = x->type == HQ_Y_SEQ ? x->kids[i] : x;
            const char *ts;
            if (hq_yget_str(L->d, doc, tn, &ts) != 0)
                continue;
            const hq_schema *s = hq_schemas_find(L->schemas, ts, strlen(ts));
            if (!s)
                hq_ydiag(L->d, doc, tn, "unknown event type \"%s\" (no schema)", ts);
            else
                r->types[r->ntypes++] = s;
        }
    }
}

/* count: at_least events within a window. */
static void load_count(loader *L, const hq_ydoc *doc, const hq_ynode *x, hq_rule *r)
{
    static const char *const ck[] = {"at_least", "within", NULL};
    if (hq_ycheck_keys(L->d, doc, x, ck))
        return;
    int64_t v = 0;
    const hq_ynode *y;
    if ((y = hq_yrequire(L->d, doc, x, "at_least")) && hq_yget_int(L->d, doc, y, &v) == 0 && (v < 1 || v > 1000))
        hq_ydiag(L->d, doc, y, "at_least must be 1 to 1000");
    r->count_n = (unsigned)v;
    if ((y = hq_yrequire(L->d, doc, x, "within")))
        hq_yget_duration_ms(L->d, doc, y, &r->window_ms);
    r->kind = HQ_RULE_COUNT;
}

/* schedule (n's value x): an absence rule, with its units and the unit an
 * expected event is for. */
static void load_schedule(loader *L, const hq_ydoc *doc, const hq_ynode *n, const hq_ynode *x, hq_rule *r)
{
    if (r->kind != HQ_RULE_MATCH)
        hq_ydiag(L->d, doc, x, "a scheduled (absence) rule cannot also count or be sustained");
    r->kind = HQ_RULE_ABSENCE;
    r->schedule = hq_schedule_parse(doc, x, L->r->calendar, L->d);
    load_units(L, doc, n, r);
    const hq_ynode *u = hq_ymap_get(n, "unit");
    r->unit = u ? get_tmpl(L, doc, u, r) : NULL;
    if (!u) {
        bool has_site = true;
        for (size_t i = 0; i < r->ntypes; i++)
            has_site = has_site && hq_schema_field(r->types[i], "site");
        if (has_site)
            r->unit = hq_tmpl_compile_str("{{data.site}}", NULL);
        else
            hq_ydiag(L->d, doc, n, "say which unit an expected event is for, e.g. unit: \"{{data.site}}\"");
    }
    const hq_ynode *key = hq_ymap_get(n, "key");
    if (key)
        hq_ydiag(L->d, doc, key, "a scheduled rule groups its issues per unit; key is not used here (remove it)");
}

/* stale (n's value x): a rule on data that stopped coming, per key. */
static void load_stale(loader *L, const hq_ydoc *doc, const hq_ynode *n, const hq_ynode *x, hq_rule *r)
{
    const hq_ynode *y;
    if (r->kind != HQ_RULE_MATCH)
        hq_ydiag(L->d, doc, x, "a stale-data rule cannot also count, be sustained or scheduled");
    if ((y = sole_key(L, doc, x, "after")))
        hq_yget_duration_ms(L->d, doc, y, &r->stale_ms);
    r->kind = HQ_RULE_STALE;
    if (!hq_ymap_get(n, "key"))
        hq_ydiag(L->d, doc, n, "a stale-data rule needs a key (what must keep reporting, e.g. \"{{data.sensor}}\")");
}

static void load_rule(loader *L, const hq_ydoc *doc, const hq_ynode *n)
{
    size_t before = L->d->count;
    if (hq_ycheck_keys(L->d, doc, n, rule_keys))
        return;
    L->r->rules = hq_realloc(L->r->rules, (L->r->nrules + 1) * sizeof *L->r->rules);
    hq_rule *r = &L->r->rules[L->r->nrules];
    memset(r, 0, sizeof *r);
    r->file = hq_strdup(doc->file);
    r->line = n->line;
    r->column = n->column;
    const hq_ynode *x;
    load_head(L, doc, n, r);
    if (L->d->count > before) {
        rule_fini(r);
        return;
    }
    if ((x = hq_ymap_get(n, "when"))) {
        r->when = hq_cond_compile_env(doc, x, r->types, r->ntypes, &L->r->env, L->d);
        lit_cond(L, doc, x, 0);
    }
    r->kind = HQ_RULE_MATCH;
    if ((x = hq_ymap_get(n, "count")))
        load_count(L, doc, x, r);
    if ((x = hq_ymap_get(n, "sustained")))
        load_sustained(L, doc, x, r);
    if ((x = hq_ymap_get(n, "scope"))) {
        if (r->kind != HQ_RULE_SUSTAINED)
            hq_ydiag(L->d, doc, x, "scope belongs to sustained rules (the events they follow); use when");
        else
        {
            r->scope = hq_cond_compile_env(doc, x, r->types, r->ntypes, &L->r->env, L->d);
            lit_cond(L, doc, x, 0);
        }
    }
    const hq_ynode *y;
    if ((x = hq_ymap_get(n, "recurrence")) && (y = sole_key(L, doc, x, "within")))
        hq_yget_duration_ms(L->d, doc, y, &r->recurrence_window_ms);
    if ((x = hq_ymap_get(n, "schedule")))
        load_schedule(L, doc, n, x, r);
    else if (hq_ymap_get(n, "units") || hq_ymap_get(n, "unit"))
        hq_ydiag(L->d, doc, n, "units/unit belong to scheduled (absence) rules, which need \"schedule\"");
    load_owner(L, doc, n, r);
    if ((x = hq_ymap_get(n, "stale")))
        load_stale(L, doc, n, x, r);
    r->key = (x = hq_ymap_get(n, "key")) ? get_tmpl(L, doc, x, r) : hq_tmpl_compile_str("", NULL);
    r->issue_phase = true;
    if (r->kind == HQ_RULE_SUSTAINED && !hq_ymap_get(n, "key"))
        hq_ydiag(L->d, doc, n, "a sustained rule needs a key (what the condition is tracked per, e.g. \"{{data.sensor}}\")");

    load_issue(L, doc, hq_yrequire(L->d, doc, n, "issue"), r);
    if (L->d->count > before) {
        rule_fini(r);
        return;
    }
    L->r->nrules++;
}

const hq_rules_section hq_rules_sections[] = {
    /* in the order error messages list them */
    {"rules", "the rule set (rules.c)"},
    {"chains", "the rule set"},
    {"penalty_terms", "the rule set"},
    {"sites", "the rule set"},
    {"sensors", "the rule set"},
    {"contractors", "the rule set"},
    {"people", "the rule set (the organisation) and the alert configuration"},
    {"office", "the rule set"},
    {"office_units", "the rule set (the sections and centres that own the office's obligations)"},
    {"timezone", "the rule set"},
    {"evaluation", "the evaluation scheme (report layer)"},
    {"channels", "the alert configuration (alert layer)"},
    {"templates", "the alert configuration"},
    {"policies", "the alert configuration"},
    {"calendar", "the rule set"},
    {"tables", "the rule set"},
    {"permissions", "the rule set (who may do what, perm.c)"},
    {"staff_keys", "the rule set (staff CURVE keys, perm.c)"},
    {"retention", "the rule set (how long events stay in LMDB, retention.c)"},
    {"coverage", "the coverage matrix of the plan's focus points (houqinctl rules check --coverage)"},
    {"vocabulary", "the rule set (the Chinese labels of codes, vocab.c)"},
    {"checklists", "the rule set (the inspection forms of houqin-web, checklist.c)"},
    {NULL, NULL},
};

/* The vocabulary section: {class: {code: label}}, and for the two kinds
 * of categories {class: {domain: {code: label}}} (vocab.h). */
static void load_vocab(loader *L, const hq_ydoc *doc, const hq_ynode *v)
{
    if (L->r->vocab) {
        hq_ydiag(L->d, doc, v, "vocabulary is defined twice (first in %s)", L->vocab_doc->file);
        return;
    }
    char classes[256] = "";
    for (int c = 0; c < HQ_LBL_COUNT; c++)
        snprintf(classes + strlen(classes), sizeof classes - strlen(classes), "%s%s", c ? ", " : "",
                 hq_label_class_name((hq_label_class)c));
    if (v->type != HQ_Y_MAP) {
        hq_ydiag(L->d, doc, v, "vocabulary: expected a map of sections (%s)", classes);
        return;
    }
    L->r->vocab = hq_vocab_new();
    L->vocab_doc = doc;
    L->vocab_node = v;
    for (size_t i = 0; i < v->len; i++) {
        const hq_ynode *k = hq_ymap_key(v, i), *m = hq_ymap_val(v, i);
        hq_label_class c;
        if (hq_label_class_parse(k->str, &c) != 0) {
            hq_ydiag(L->d, doc, k, "vocabulary: unknown section \"%s\" (%s)", k->str, classes);
            continue;
        }
        bool nested = c == HQ_LBL_CATEGORY || c == HQ_LBL_ISSUE_CATEGORY || c == HQ_LBL_VALUE;
        if (m->type != HQ_Y_MAP) {
            hq_ydiag(L->d, doc, m, "vocabulary: %s: expected a map of %s", k->str,
                     nested ? (c == HQ_LBL_VALUE ? "<type>.<field> to maps of values to labels"
                                                 : "domains to maps of codes to labels")
                            : "codes to labels");
            continue;
        }
        for (size_t j = 0; j < m->len; j++) {
            const hq_ynode *code = hq_ymap_key(m, j), *lab = hq_ymap_val(m, j);
            if (!nested) {
                const char *ls;
                if (hq_yget_str(L->d, doc, lab, &ls) != 0)
                    continue;
                if (!*ls)
                    hq_ydiag(L->d, doc, lab, "vocabulary: %s: the label of \"%s\" is empty", k->str, code->str);
                else
                    hq_vocab_set(L->r->vocab, c, code->str, ls);
                continue;
            }
            if (lab->type != HQ_Y_MAP) {
                hq_ydiag(L->d, doc, lab, "vocabulary: %s: %s: expected a map of codes to labels", k->str, code->str);
                continue;
            }
            for (size_t n = 0; n < lab->len; n++) {
                const hq_ynode *cc = hq_ymap_key(lab, n), *cl = hq_ymap_val(lab, n);
                const char *ls;
                if (hq_yget_str(L->d, doc, cl, &ls) != 0)
                    continue;
                char full[192];
                snprintf(full, sizeof full, "%s.%s", code->str, cc->str);
                if (!*ls || strchr(cc->str, '.'))
                    hq_ydiag(L->d, doc, *ls ? cc : cl, "vocabulary: %s: %s", k->str,
                             *ls ? "a code has no dots" : "the label is empty");
                else if (hq_vocab_get(L->r->vocab, c, full))
                    hq_ydiag(L->d, doc, cc, "vocabulary: %s: %s is labelled twice", k->str, full);
                else
                    hq_vocab_set(L->r->vocab, c, full, ls);
            }
        }
    }
}

/* The node of a vocabulary class, for a diagnostic about it. */
static const hq_ynode *vocab_class_node(const loader *L, hq_label_class c)
{
    const hq_ynode *n = hq_ymap_get(L->vocab_node, hq_label_class_name(c));
    return n ? n : L->vocab_node;
}

typedef struct {
    const hq_field *cat, *dom;
    const char *doms[16];
    size_t ndoms;
    const char *cats[32];
    size_t ncats;
    char *buf[48];
    size_t nbuf;
} guardscan;

static void vocab_guard(void *ctx, unsigned guard, const char *path, bool prefix, const char *val, size_t len)
{
    (void)guard;
    guardscan *g = ctx;
    if (prefix || strncmp(path, "data.", 5) || g->nbuf >= sizeof g->buf / sizeof *g->buf)
        return;
    bool isdom = !strcmp(path + 5, g->dom->name), iscat = !strcmp(path + 5, g->cat->name);
    if (isdom && g->ndoms < sizeof g->doms / sizeof *g->doms)
        g->doms[g->ndoms++] = g->buf[g->nbuf++] = hq_strndup(val, len);
    else if (iscat && g->ncats < sizeof g->cats / sizeof *g->cats)
        g->cats[g->ncats++] = g->buf[g->nbuf++] = hq_strndup(val, len);
}

typedef struct {
    const char *cat;
    bool found;
} anyscan;

static void any_domain_cat(void *ctx, const char *code, const char *label)
{
    (void)label;
    anyscan *a = ctx;
    const char *dot = strchr(code, '.');
    if (dot && !strcmp(dot + 1, a->cat))
        a->found = true;
}

/* Whether cat is a complaint category of some domain. */
static bool any_domain_has(const hq_vocab *v, const char *cat)
{
    anyscan a = {cat, false};
    hq_vocab_each(v, HQ_LBL_CATEGORY, any_domain_cat, &a);
    return a.found;
}

typedef struct {
    loader *L;
    const hq_rule *ru;
    const char *where;
} valscan;

/* A {{data.X}} of an issue text whose X is an enum of the rule's types:
 * every value has a label (the text shows it, issueflow.c). */
static void vocab_value_var(void *ctx, const char *path)
{
    valscan *s = ctx;
    const hq_vocab *v = s->L->r->vocab;
    if (strncmp(path, "data.", 5) || strchr(path + 5, '.'))
        return;
    for (size_t t = 0; t < s->ru->ntypes; t++) {
        const hq_schema *sc = s->ru->types[t];
        const hq_field *f = hq_schema_field(sc, path + 5);
        for (size_t e = 0; f && f->type == HQ_F_ENUM && e < f->nvalues; e++) {
            char k[384];
            snprintf(k, sizeof k, "%s.%s.%s", sc->type, f->name, f->values[e]);
            if (!hq_vocab_get(v, HQ_LBL_VALUE, k)) {
                hq_diags_add(s->L->d, s->ru->file, s->ru->line, s->ru->column,
                             "rule %s: the issue's text shows {{%s}} in words, and %s's %s \"%s\" has no label in %s "
                             "(values: %s.%s: {%s: ...})",
                             s->ru->id, path, sc->type, f->name, f->values[e], s->where, sc->type, f->name,
                             f->values[e]);
                return; /* one line per field */
            }
        }
    }
}

/* Every code the rules and schemas use has a label.  With a vocabulary
 * section (which replaces the built-in table): its fixed classes, the
 * domains and issue categories of the rules, the enum values their issue
 * texts show and the domains of a category field's schema.  Always: the complaint categories the rules compare a
 * category field with (a category without a label is one no event can
 * carry, the decoder refuses it (event.c): the rule could never match).
 * Without a vocabulary an issue category with no built-in label is shown
 * as its code (test fixtures, minimal rule sets). */
static void check_vocab(loader *L)
{
    const hq_vocab *v = L->r->vocab;
    const char *where = L->vocab_doc ? L->vocab_doc->file : "the built-in vocabulary";
    for (int c = 0; v && c < HQ_LBL_COUNT; c++) {
        const char *name = hq_label_class_name((hq_label_class)c);
        const char *const *req = hq_vocab_required((hq_label_class)c);
        if (*req && !hq_ymap_get(L->vocab_node, name) && hq_label_class_optional((hq_label_class)c)) {
            for (const char *const *code = req; *code; code++) /* left out: the built-in labels */
                hq_vocab_set(L->r->vocab, (hq_label_class)c, *code, hq_vocab_lookup(NULL, (hq_label_class)c, *code));
            continue;
        }
        if (*req && !hq_ymap_get(L->vocab_node, name)) {
            hq_buf all;
            hq_buf_init(&all);
            for (const char *const *code = req; *code; code++)
                hq_buf_printf(&all, "%s%s", code == req ? "" : ", ", *code);
            hq_ydiag(L->d, L->vocab_doc, L->vocab_node, "vocabulary: no section \"%s\" (it labels %s)", name,
                     all.data);
            hq_buf_fini(&all);
            continue;
        }
        for (const char *const *code = req; *code; code++)
            if (!hq_vocab_get(v, (hq_label_class)c, *code))
                hq_ydiag(L->d, L->vocab_doc, vocab_class_node(L, (hq_label_class)c),
                         "vocabulary: %s: no label for \"%s\"", name, *code);
    }
    for (size_t i = 0; i < L->r->nrules; i++) {
        const hq_rule *ru = &L->r->rules[i];
        if (v && ru->domain && !hq_vocab_lookup(v, HQ_LBL_DOMAIN, ru->domain))
            hq_diags_add(L->d, ru->file, ru->line, ru->column,
                         "rule %s: domain \"%s\" has no label in %s (domains: %s: ...)", ru->id, ru->domain, where,
                         ru->domain);
        valscan vs = {L, ru, where};
        if (v && ru->title)
            hq_tmpl_each_var(ru->title, vocab_value_var, &vs);
        if (v && ru->description_t)
            hq_tmpl_each_var(ru->description_t, vocab_value_var, &vs);
        if (v && ru->requirement)
            hq_tmpl_each_var(ru->requirement, vocab_value_var, &vs);
        if (v && ru->domain && ru->category && *ru->category) {
            char k[192];
            snprintf(k, sizeof k, "%s.%s", ru->domain, ru->category);
            if (!hq_vocab_lookup(v, HQ_LBL_ISSUE_CATEGORY, k) && !hq_vocab_lookup(v, HQ_LBL_CATEGORY, k))
                hq_diags_add(L->d, ru->file, ru->line, ru->column,
                             "rule %s: issue category \"%s\" of %s has no label in %s (issue_categories: %s: "
                             "{%s: ...})",
                             ru->id, ru->category, ru->domain, where, ru->domain, ru->category);
        }
        for (size_t t = 0; t < ru->ntypes; t++) {
            const hq_schema *sc = ru->types[t];
            for (size_t f = 0; f < sc->data.nfields; f++) {
                guardscan g = {.cat = &sc->data.fields[f]};
                if (!g.cat->category_of || !(g.dom = hq_schema_field(sc, g.cat->category_of)))
                    continue;
                if (ru->when)
                    hq_cond_each_guard(ru->when, vocab_guard, &g);
                for (size_t c = 0; c < g.ncats; c++) {
                    bool ok = false;
                    char k[192];
                    for (size_t d = 0; d < g.ndoms && !ok; d++) {
                        snprintf(k, sizeof k, "%s.%s", g.doms[d], g.cats[c]);
                        ok = hq_vocab_lookup(v, HQ_LBL_CATEGORY, k) != NULL;
                    }
                    if (!g.ndoms)
                        ok = any_domain_has(v, g.cats[c]);
                    if (!ok)
                        hq_diags_add(L->d, ru->file, ru->line, ru->column,
                                     "rule %s: compares data.%s with \"%s\", which is no complaint category of %s "
                                     "in %s (no event can carry it; categories: %s: ...)",
                                     ru->id, g.cat->name, g.cats[c], g.ndoms ? g.doms[0] : "any domain", where,
                                     g.ndoms ? g.doms[0] : "<domain>");
                }
                for (size_t b = 0; b < g.nbuf; b++)
                    free(g.buf[b]);
            }
        }
    }
    /* The domains a category field may name. */
    for (size_t i = 0; v && i < hq_schemas_count(L->schemas); i++) {
        const hq_schema *sc = hq_schemas_at(L->schemas, i);
        for (size_t f = 0; f < sc->data.nfields; f++) {
            const hq_field *dom = sc->data.fields[f].category_of ? hq_schema_field(sc, sc->data.fields[f].category_of)
                                                                 : NULL;
            for (size_t e = 0; dom && e < dom->nvalues; e++)
                if (!hq_vocab_get(v, HQ_LBL_DOMAIN, dom->values[e]))
                    hq_ydiag(L->d, L->vocab_doc, vocab_class_node(L, HQ_LBL_DOMAIN),
                             "vocabulary: domains: no label for \"%s\" (a domain of %s)", dom->values[e], sc->file);
        }
    }
}

/* The file sections in dependency order: registries and chains before the
 * rules that name them. */
static void load_section(loader *L, const char *section)
{
    for (size_t i = 0; i < L->ndocs; i++) {
        const hq_ydoc *doc = L->docs[i];
        const hq_ynode *v = hq_ymap_get(doc->root, section);
        if (!v)
            continue;
        if (!strcmp(section, "chains"))
            load_chains(L, doc, v);
        else if (!strcmp(section, "penalty_terms"))
            load_terms(L, doc, v);
        else if (!strcmp(section, "sites"))
            load_sites(L, doc, v);
        else if (!strcmp(section, "sensors"))
            load_sensors(L, doc, v);
        else if (!strcmp(section, "contractors"))
            load_contractors(L, doc, v);
        else if (!strcmp(section, "people"))
            load_people(L, doc, v);
        else if (!strcmp(section, "office_units"))
            load_office_units(L, doc, v);
        else if (!strcmp(section, "staff_keys"))
            load_staff_keys(L, doc, v);
        else if (!strcmp(section, "permissions"))
            hq_perm_parse(&L->r->perm, doc, v, L->d);
        else if (!strcmp(section, "tables"))
            load_tables(L, doc, v);
        else if (!strcmp(section, "vocabulary"))
            load_vocab(L, doc, v);
        else if (!strcmp(section, "checklists"))
            hq_checklists_parse(&L->r->checklists, doc, v, L->d);
        else if (!strcmp(section, "calendar")) {
            if (L->r->calendar)
                hq_ydiag(L->d, doc, v, "calendar is defined twice");
            else
                L->r->calendar = hq_calendar_parse(doc, v, L->d);
        }
        else if (!strcmp(section, "office") || !strcmp(section, "timezone")) {
            char **dst = !strcmp(section, "office") ? &L->r->office : &L->r->timezone;
            if (*dst)
                hq_ydiag(L->d, doc, v, "%s is set twice", section);
            else
                *dst = dup_scalar(L, doc, v);
            if (*dst && dst == &L->r->timezone) {
                char zp[512];
                snprintf(zp, sizeof zp, "/usr/share/zoneinfo/%s", *dst);
                if (strstr(*dst, "..") || access(zp, R_OK) != 0)
                    hq_ydiag(L->d, doc, v, "unknown time zone \"%s\" (a name of the tz database, like Asia/Shanghai)",
                             *dst);
            }
        } else if (!strcmp(section, "rules")) {
            if (v->type != HQ_Y_SEQ)
                hq_ydiag(L->d, doc, v, "rules: expected a list of rules");
            else
                for (size_t j = 0; j < v->len; j++)
                    load_rule(L, doc, v->kids[j]);
        }
    }
}

/* A checklist is for a domain, and its id and items have labels when
 * there is a vocabulary (the form shows them; an inspection app's own
 * codes need none). */
static void check_checklists(loader *L)
{
    const hq_vocab *v = L->r->vocab;
    const char *where = L->vocab_doc ? L->vocab_doc->file : "the vocabulary";
    for (size_t i = 0; i < L->r->checklists.n; i++) {
        const hq_checklist *c = &L->r->checklists.v[i];
        if (!is_domain(c->domain))
            hq_diags_add(L->d, c->file, c->line, c->column, "checklist %s: unknown domain \"%s\"", c->id,
                         c->domain);
        if (v && !hq_vocab_get(v, HQ_LBL_CHECKLIST, c->id))
            hq_diags_add(L->d, c->file, c->line, c->column,
                         "checklist %s has no label in %s (checklists: %s: ...)", c->id, where, c->id);
        for (size_t j = 0; v && j < c->nitems; j++)
            if (!hq_vocab_get(v, HQ_LBL_ITEM, c->items[j].code))
                hq_diags_add(L->d, c->file, c->line, c->column,
                             "checklist %s: item %s has no label in %s (items: %s: ...)", c->id, c->items[j].code,
                             where, c->items[j].code);
    }
}

/* Cross-references that need everything loaded. */
static void check_refs(loader *L)
{
    hq_rules *r = L->r;
    for (size_t i = 0; i < L->nrefs; i++) {
        const xref *x = &L->refs[i];
        const char *v = x->n->str;
        if (x->kind == 's' && !hq_rules_site(r, v))
            hq_ydiag(L->d, x->doc, x->n, "%s: unknown site \"%s\"", x->owner, v);
        else if (x->kind == 'c' && !hq_rules_contractor(r, v))
            hq_ydiag(L->d, x->doc, x->n, "%s: unknown contractor \"%s\"", x->owner, v);
        else if (x->kind == 't' && !hq_rules_penalty_terms(r, v))
            hq_ydiag(L->d, x->doc, x->n, "%s: unknown penalty terms \"%s\"", x->owner, v);
        else if (x->kind == 'k')
            check_sensor_kind(L, x->doc, x->n, x->owner, v);
    }
    /* Every slot of a scheduled rule is someone's: a unit that is a site
     * needs a contractor or a responsible unit (unless the rule names the
     * contractor itself). */
    for (size_t i = 0; i < r->nrules; i++) {
        const hq_rule *ru = &r->rules[i];
        if (ru->kind != HQ_RULE_ABSENCE || ru->contractor || ru->owner)
            continue;
        for (size_t u = 0; u < ru->nunits; u++) {
            const hq_site *st = hq_rules_site(r, ru->units[u]);
            if (st && !(st->contractor && *st->contractor) && !(st->unit && *st->unit))
                hq_diags_add(L->d, ru->file, ru->line, ru->column,
                             "rule %s: site %s has no contractor and no responsible unit: its missed slots would "
                             "be nobody's",
                             ru->id, st->id);
        }
    }
    /* An obligation of the office escalates inside the office. */
    for (size_t i = 0; i < r->nrules; i++) {
        const hq_rule *ru = &r->rules[i];
        if (!ru->owner || !ru->chain)
            continue;
        for (size_t s = 0; s < ru->chain->nsteps; s++)
            for (size_t k = 0; k < ru->chain->steps[s].nroles; k++)
                if (ru->chain->steps[s].roles[k] == HQ_ROLE_CONTRACTOR_CONTACT) {
                    hq_diags_add(L->d, ru->file, ru->line, ru->column,
                                 "rule %s: an obligation of the office (owner: office:%s) escalates inside the "
                                 "office, but chain %s level %d notifies contractor_contact (use a chain without "
                                 "it, like the shipped \"internal\")",
                                 ru->id, ru->owner, ru->chain->name, ru->chain->steps[s].level);
                    k = ru->chain->steps[s].nroles;
                    s = ru->chain->nsteps;
                }
    }
    /* No escalation step may resolve to nobody (for office roles). */
    for (size_t i = 0; i < r->nrules; i++) {
        const hq_rule *ru = &r->rules[i];
        if (!ru->chain)
            continue;
        for (size_t s = 0; s < ru->chain->nsteps; s++)
            for (size_t k = 0; k < ru->chain->steps[s].nroles; k++) {
                hq_role role = ru->chain->steps[s].roles[k];
                if (role == HQ_ROLE_CONTRACTOR_CONTACT || role == HQ_ROLE_COMPLAINANT)
                    continue;
                const hq_person *p;
                if (r->npeople && hq_rules_resolve_role(r, role, ru->domain, &p, 1) == 0)
                    hq_diags_add(L->d, ru->file, ru->line, ru->column,
                                 "rule %s: chain %s level %d notifies %s%s%s, and no one in the organisation "
                                 "holds that role",
                                 ru->id, ru->chain->name, ru->chain->steps[s].level, hq_role_name(role),
                                 role_scoped(role) ? " of " : "", role_scoped(role) ? ru->domain : "");
            }
    }
}

/* A sorted view of n structs of size sz whose first member is the id. */
static int sorted_view(const void *arr, size_t n, size_t sz, const void ***out)
{
    const void **ix = hq_malloc((n ? n : 1) * sizeof *ix);
    for (size_t i = 0; i < n; i++)
        ix[i] = (const char *)arr + i * sz;
    qsort(ix, n, sizeof *ix, cmp_id);
    *out = ix;
    return 0;
}

static int build_index(hq_rules *r)
{
    for (size_t i = 0; i < r->nrules; i++)
        for (size_t t = 0; t < r->rules[i].ntypes; t++) {
            const hq_schema *s = r->rules[i].types[t];
            type_index *ix = NULL;
            for (size_t k = 0; k < r->nindex; k++)
                if (r->index[k].type == s)
                    ix = &r->index[k];
            if (!ix) {
                type_index *grown = hq_realloc(r->index, (r->nindex + 1) * sizeof *r->index);
                r->index = grown;
                ix = &r->index[r->nindex++];
                memset(ix, 0, sizeof *ix);
                ix->type = s;
            }
            const hq_rule **grown = hq_realloc(ix->rules, (ix->n + 1) * sizeof *ix->rules);
            ix->rules = grown;
            ix->rules[ix->n++] = &r->rules[i];
        }
    for (size_t k = 0; k < r->nindex; k++) {
        if (!(r->index[k].dispatch = hq_dispatch_build(r->index[k].rules, r->index[k].n)))
            return HQ_ENOMEM;
        if (r->index[k].n > r->max_for)
            r->max_for = r->index[k].n;
    }
    /* The id members come first in each struct (checked by the casts in
     * cmp_id). */
    _Static_assert(offsetof(hq_rule, id) == 0 && offsetof(hq_site, id) == 0 && offsetof(hq_sensor, id) == 0 &&
                       offsetof(hq_person, id) == 0 &&
                       offsetof(hq_contractor, id) == 0,
                   "ids first");
    if (sorted_view(r->rules, r->nrules, sizeof *r->rules, (const void ***)&r->rule_ix) ||
        sorted_view(r->sites, r->nsites, sizeof *r->sites, (const void ***)&r->site_ix) ||
        sorted_view(r->sensors, r->nsensors, sizeof *r->sensors, (const void ***)&r->sensor_ix) ||
        sorted_view(r->contractors, r->ncontractors, sizeof *r->contractors, (const void ***)&r->contractor_ix))
        return HQ_ENOMEM;
    return 0;
}

size_t hq_rules_select(const hq_rules *r, const hq_event *ev, const hq_rule **out)
{
    for (size_t i = 0; r && i < r->nindex; i++)
        if (r->index[i].type == ev->schema)
            return hq_dispatch_select(r->index[i].dispatch, ev, out);
    return 0;
}

const hq_retention *hq_rules_retention(const hq_rules *r)
{
    return r ? r->retention : NULL;
}

size_t hq_rules_max_for(const hq_rules *r)
{
    return r ? r->max_for : 0;
}

int hq_rules_load(const char *dir, const hq_schemas *schemas, hq_rules **out, hq_diags *d)
{
    const char *file_keys[sizeof hq_rules_sections / sizeof *hq_rules_sections];
    for (size_t i = 0; i < sizeof file_keys / sizeof *file_keys; i++)
        file_keys[i] = hq_rules_sections[i].key;
    loader L = {.schemas = schemas, .d = d};
    L.r = hq_calloc(1, sizeof *L.r);
    L.r->env = (hq_cond_env){L.r, env_has_registry, env_known, env_has_table, env_table_value};
    size_t before = d->count;
    hq_ydocs_load_dir(dir, &L.docs, &L.ndocs, d);
    for (size_t i = 0; i < L.ndocs; i++) {
        const hq_ydoc *doc = L.docs[i];
        if (!doc->root)
            continue;
        hq_ycheck_keys(d, doc, doc->root, file_keys);
    }
    /* Rules point into chains and terms: count them all first so the
     * arrays are never reallocated under a rule. */
    static const char *const order[] = {"office",  "timezone", "calendar", "chains",  "penalty_terms",
                                        "contractors", "sites", "sensors", "people", "office_units", "tables", "permissions", "vocabulary",
                                        "checklists", NULL};
    for (const char *const *s = order; *s; s++)
        load_section(&L, *s);
    /* People are all in: index them, then the sections that name them. */
    if (sorted_view(L.r->people, L.r->npeople, sizeof *L.r->people, (const void ***)&L.r->person_ix) != 0)
        hq_diags_add(d, dir, 0, 0, "out of memory while indexing the people");
    load_section(&L, "staff_keys");
    check_people_duties(&L);
    if (!L.r->calendar && d->count == before)
        L.r->calendar = hq_calendar_default();
    if (d->count == before) {
        /* Rules are appended with realloc: count them first. */
        size_t total = 0;
        for (size_t i = 0; i < L.ndocs; i++) {
            const hq_ynode *v = hq_ymap_get(L.docs[i]->root, "rules");
            if (v && v->type == HQ_Y_SEQ)
                total += v->len;
        }
        L.r->rules = hq_calloc(total ? total : 1, sizeof *L.r->rules);
        load_section(&L, "rules");
        check_refs(&L);
        check_vocab(&L);
        check_checklists(&L);
        if (d->count == before)
            hq_retention_load(L.docs, L.ndocs, L.r, schemas, &L.r->retention, d);
    }
    for (size_t i = 0; i < L.ndocs; i++)
        hq_ydoc_destroy(&L.docs[i]);
    free(L.docs);
    for (size_t i = 0; i < L.nrefs; i++)
        free(L.refs[i].owner);
    free(L.refs);
    if (d->count > before) {
        hq_rules_destroy(&L.r);
        return HQ_EINVAL;
    }
    if (build_index(L.r) != 0) {
        hq_rules_destroy(&L.r);
        hq_diags_add(d, dir, 0, 0, "out of memory while indexing the rules");
        return HQ_ENOMEM;
    }
    /* Its labels are the words every program shows from now on (vocab.h). */
    hq_vocab_install(L.r->vocab);
    *out = L.r;
    return 0;
}

const hq_vocab *hq_rules_vocab(const hq_rules *r)
{
    return r ? r->vocab : NULL;
}
