#include "evaluation.h"

#include "clock.h"

#include "json.h"
#include "ledger.h"
#include "mem.h"
#include "ytree.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- the scheme ---- */

static void strlist_fini(hq_strlist *l)
{
    hq_free_strv(l->v, l->n);
    l->v = NULL;
    l->n = 0;
}

static bool strlist_has(const hq_strlist *l, const char *s)
{
    for (size_t i = 0; s && i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

static void grade_fini(hq_eval_grade *g)
{
    free(g->name);
}

static void term_fini(hq_eval_term *t)
{
    free(t->id);
    free(t->name);
}

static void party_fini(struct hq_eval_party *p)
{
    free(p->id);
    free(p->name);
}

void hq_eval_scheme_destroy(hq_eval_scheme **sp)
{
    hq_eval_scheme *s = sp ? *sp : NULL;
    if (!s)
        return;
    free(s->name);
    free(s->file);
    free(s->veto_grade);
    strlist_fini(&s->complaint_categories);
    strlist_fini(&s->missed_inspection_categories);
    strlist_fini(&s->veto_categories);
    HQ_FREE_EACH(s->grades, s->ngrades, grade_fini);
    HQ_FREE_EACH(s->terms, s->nterms, term_fini);
    HQ_FREE_EACH(s->contractors, s->ncontractors, party_fini);
    free(s);
    *sp = NULL;
}

/* Points: a number >= 0 with at most two decimals' worth of meaning. */
static void get_points(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, int64_t *out)
{
    double v;
    if (!n || hq_yget_number(d, doc, n, &v) != 0)
        return;
    if (v < 0 || v > 1e6) {
        hq_ydiag(d, doc, n, "expected points between 0 and 1000000, got %s", n->str);
        return;
    }
    *out = llround(v * 100);
}

static void get_strlist(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, hq_strlist *out)
{
    if (!n)
        return;
    if (n->type != HQ_Y_SEQ) {
        hq_ydiag(d, doc, n, "expected a list of names");
        return;
    }
    strlist_fini(out);
    out->v = hq_calloc(n->len ? n->len : 1, sizeof *out->v);
    for (size_t i = 0; i < n->len; i++) {
        const char *s;
        if (hq_yget_str(d, doc, n->kids[i], &s) == 0)
            out->v[out->n++] = hq_strdup(s);
    }
}

static bool looks_like_month(const char *s)
{
    return strlen(s) == 7 && s[4] == '-';
}

/* deductions: {severity: {low, medium, high, critical}, and one amount
 * for each of the other causes}. */
static void parse_deductions(hq_diags *d, const hq_ydoc *doc, const hq_ynode *de, hq_eval_scheme *s)
{
    static const char *const dkeys[] = {"severity",     "overdue_day",       "failed_recheck",
                                        "recurrence",   "confirmed_complaint", "missed_inspection",
                                        "accountability", NULL};
    const struct {
        const char *key;
        int64_t *cp;
    } amounts[] = {
        {"overdue_day", &s->overdue_day_cp},       {"failed_recheck", &s->failed_recheck_cp},
        {"recurrence", &s->recurrence_cp},         {"confirmed_complaint", &s->complaint_cp},
        {"missed_inspection", &s->missed_inspection_cp}, {"accountability", &s->accountability_cp},
    };
    if (hq_ycheck_keys(d, doc, de, dkeys))
        return;
    const hq_ynode *sv = hq_yrequire(d, doc, de, "severity");
    if (sv) {
        static const char *const sk[] = {"low", "medium", "high", "critical", NULL};
        if (hq_ycheck_keys(d, doc, sv, sk) == 0)
            for (int i = 0; i < 4; i++)
                get_points(d, doc, hq_yrequire(d, doc, sv, sk[i]), &s->severity_cp[i]);
    }
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++)
        get_points(d, doc, hq_ymap_get(de, amounts[i].key), amounts[i].cp);
}

/* veto: {accountability, categories, grade}. */
static void parse_veto(hq_diags *d, const hq_ydoc *doc, const hq_ynode *veto, hq_eval_scheme *s)
{
    static const char *const vk[] = {"accountability", "categories", "grade", NULL};
    if (hq_ycheck_keys(d, doc, veto, vk))
        return;
    const hq_ynode *x;
    const char *str;
    if ((x = hq_ymap_get(veto, "accountability")))
        hq_yget_bool(d, doc, x, &s->veto_accountability);
    get_strlist(d, doc, hq_ymap_get(veto, "categories"), &s->veto_categories);
    if ((x = hq_ymap_get(veto, "grade")) && hq_yget_str(d, doc, x, &str) == 0)
        s->veto_grade = hq_strdup(str);
}

/* grades: a non-empty list of {name, min}, kept highest first; the lowest
 * must cover the floor. */
static void parse_grades(hq_diags *d, const hq_ydoc *doc, const hq_ynode *gr, hq_eval_scheme *s)
{
    if (gr->type != HQ_Y_SEQ) {
        hq_ydiag(d, doc, gr, "expected a list of {name, min}");
        return;
    }
    if (gr->len == 0) {
        hq_ydiag(d, doc, gr, "at least one grade is needed");
        return;
    }
    s->grades = hq_calloc(gr->len, sizeof *s->grades);
    for (size_t i = 0; i < gr->len; i++) {
        const hq_ynode *g = gr->kids[i];
        static const char *const gk[] = {"name", "min", NULL};
        if (hq_ycheck_keys(d, doc, g, gk))
            continue;
        const hq_ynode *n = hq_yrequire(d, doc, g, "name"), *m = hq_yrequire(d, doc, g, "min");
        const char *str;
        if (!n || !m || hq_yget_str(d, doc, n, &str) != 0)
            continue;
        int64_t min = -1;
        get_points(d, doc, m, &min);
        if (min < 0)
            continue;
        for (size_t j = 0; j < s->ngrades; j++) {
            if (strcmp(s->grades[j].name, str) == 0)
                hq_ydiag(d, doc, n, "grade \"%s\" given twice", str);
            if (s->grades[j].min_cp == min)
                hq_ydiag(d, doc, m, "two grades with min %s", m->str);
        }
        s->grades[s->ngrades].name = hq_strdup(str);
        s->grades[s->ngrades++].min_cp = min;
    }
    /* Highest first. */
    for (size_t i = 1; i < s->ngrades; i++)
        for (size_t j = i; j > 0 && s->grades[j - 1].min_cp < s->grades[j].min_cp; j--) {
            hq_eval_grade t = s->grades[j];
            s->grades[j] = s->grades[j - 1];
            s->grades[j - 1] = t;
        }
    if (s->ngrades && s->grades[s->ngrades - 1].min_cp > s->floor_cp)
        hq_ydiag(d, doc, gr, "the lowest grade's min must be at most floor (every score needs a grade)");
}

/* One term {id, name, from, to} (dates, both days included) appended to
 * s->terms, unless it has a problem. */
static void parse_term(hq_diags *d, const hq_ydoc *doc, const hq_ynode *t, hq_eval_scheme *s)
{
    static const char *const tk[] = {"id", "name", "from", "to", NULL};
    if (hq_ycheck_keys(d, doc, t, tk))
        return;
    const hq_ynode *id = hq_yrequire(d, doc, t, "id"), *nm = hq_yrequire(d, doc, t, "name"),
                   *fr = hq_yrequire(d, doc, t, "from"), *to = hq_yrequire(d, doc, t, "to");
    const char *ids, *nms, *frs, *tos;
    if (!id || !nm || !fr || !to || hq_yget_str(d, doc, id, &ids) || hq_yget_str(d, doc, nm, &nms) ||
        hq_yget_str(d, doc, fr, &frs) || hq_yget_str(d, doc, to, &tos))
        return;
    if (looks_like_month(ids) || !*ids) {
        hq_ydiag(d, doc, id, "a term id must not look like a month (YYYY-MM): \"%s\"", ids);
        return;
    }
    hq_err e;
    int64_t a, b, unused;
    if (hq_date_parse(frs, &a, NULL, &e) != 0) {
        hq_ydiag(d, doc, fr, "%s", e.msg);
        return;
    }
    if (hq_date_parse(tos, &unused, &b, &e) != 0) {
        hq_ydiag(d, doc, to, "%s", e.msg);
        return;
    }
    if (b <= a) {
        hq_ydiag(d, doc, to, "the term ends before it starts");
        return;
    }
    for (size_t j = 0; j < s->nterms; j++)
        if (strcmp(s->terms[j].id, ids) == 0) {
            hq_ydiag(d, doc, id, "term \"%s\" given twice", ids);
            return;
        }
    hq_eval_term *nt = &s->terms[s->nterms++];
    nt->id = hq_strdup(ids);
    nt->name = hq_strdup(nms);
    nt->from_ms = a;
    nt->to_ms = b;
}

static void parse_scheme(hq_diags *d, const hq_ydoc *doc, const hq_ynode *ev, hq_eval_scheme *s)
{
    static const char *const keys[] = {"name", "base", "floor", "deductions", "categories", "veto", "grades",
                                       "terms", NULL};
    if (hq_ycheck_keys(d, doc, ev, keys))
        return;
    const hq_ynode *x;
    const char *str;
    if ((x = hq_yrequire(d, doc, ev, "name")) && hq_yget_str(d, doc, x, &str) == 0)
        s->name = hq_strdup(str);
    s->base_cp = 10000;
    if ((x = hq_ymap_get(ev, "base")))
        get_points(d, doc, x, &s->base_cp);
    if ((x = hq_ymap_get(ev, "floor")))
        get_points(d, doc, x, &s->floor_cp);
    if (s->floor_cp > s->base_cp)
        hq_ydiag(d, doc, x, "floor is above base");
    if ((x = hq_yrequire(d, doc, ev, "deductions")))
        parse_deductions(d, doc, x, s);
    if ((x = hq_ymap_get(ev, "categories"))) {
        static const char *const ck[] = {"complaint", "missed_inspection", NULL};
        if (hq_ycheck_keys(d, doc, x, ck) == 0) {
            get_strlist(d, doc, hq_ymap_get(x, "complaint"), &s->complaint_categories);
            get_strlist(d, doc, hq_ymap_get(x, "missed_inspection"), &s->missed_inspection_categories);
        }
    }
    const hq_ynode *veto = hq_ymap_get(ev, "veto");
    if (veto)
        parse_veto(d, doc, veto, s);
    if ((x = hq_yrequire(d, doc, ev, "grades")))
        parse_grades(d, doc, x, s);
    if (s->veto_grade) {
        bool found = false;
        for (size_t i = 0; i < s->ngrades; i++)
            found |= strcmp(s->grades[i].name, s->veto_grade) == 0;
        if (!found && s->ngrades)
            hq_ydiag(d, doc, hq_ymap_get(veto, "grade"), "veto grade \"%s\" is not one of the grades",
                     s->veto_grade);
    }
    const hq_ynode *tm = hq_ymap_get(ev, "terms");
    if (tm && tm->type != HQ_Y_SEQ) {
        hq_ydiag(d, doc, tm, "expected a list of {id, name, from, to}");
    } else if (tm) {
        s->terms = hq_calloc(tm->len ? tm->len : 1, sizeof *s->terms);
        for (size_t i = 0; i < tm->len; i++)
            parse_term(d, doc, tm->kids[i], s);
    }
}

typedef struct scan {
    hq_diags *d;
    hq_eval_scheme *s;
    char *where;            /* file:line:col of the first evaluation key */
} scan;

static void scan_doc(scan *sc, const hq_ydoc *doc)
{
    if (!doc->root || doc->root->type != HQ_Y_MAP)
        return;
    const hq_ynode *ev = NULL, *cs = NULL;
    for (size_t i = 0; i < doc->root->len; i++) {
        if (strcmp(hq_ymap_key(doc->root, i)->str, hq_eval_sections[0]) == 0)
            ev = hq_ymap_val(doc->root, i);
        if (strcmp(hq_ymap_key(doc->root, i)->str, "contractors") == 0)
            cs = hq_ymap_val(doc->root, i);
    }
    for (size_t i = 0; cs && cs->type == HQ_Y_SEQ && i < cs->len; i++) {
        const hq_ynode *c = cs->kids[i];
        const hq_ynode *id = c->type == HQ_Y_MAP ? hq_ymap_get(c, "id") : NULL;
        const hq_ynode *nm = c->type == HQ_Y_MAP ? hq_ymap_get(c, "name") : NULL;
        if (!id || id->type != HQ_Y_SCALAR)
            continue;
        hq_eval_scheme *s = sc->s;
        s->contractors = hq_realloc(s->contractors, (s->ncontractors + 1) * sizeof *s->contractors);
        s->contractors[s->ncontractors].id = hq_strdup(id->str);
        s->contractors[s->ncontractors++].name = nm && nm->type == HQ_Y_SCALAR ? hq_strdup(nm->str) : NULL;
    }
    if (!ev)
        return;
    if (sc->where) {
        hq_ydiag(sc->d, doc, ev, "a second evaluation scheme (the first is at %s)", sc->where);
        return;
    }
    char w[600];
    snprintf(w, sizeof w, "%s:%d:%d", doc->file, ev->line, ev->column);
    sc->where = hq_strdup(w);
    sc->s->file = hq_strdup(doc->file);
    if (ev->type != HQ_Y_MAP)
        hq_ydiag(sc->d, doc, ev, "evaluation: expected a map");
    else
        parse_scheme(sc->d, doc, ev, sc->s);
}

static int finish_load(scan *sc, const char *where, hq_eval_scheme **out, size_t before)
{
    if (!sc->where && sc->d->count == before)
        hq_diags_add(sc->d, where, 0, 0, "no evaluation scheme (a top-level \"evaluation:\" key) found");
    free(sc->where);
    if (sc->d->count > before) {
        hq_eval_scheme_destroy(&sc->s);
        return HQ_EINVAL;
    }
    *out = sc->s;
    return 0;
}

const char *const hq_eval_sections[] = {"evaluation", NULL};

int hq_eval_scheme_load(const char *rules_dir, hq_eval_scheme **out, hq_diags *d)
{
    size_t before = d->count;
    scan sc = {d, hq_calloc(1, sizeof(hq_eval_scheme)), NULL};
    hq_ydoc **docs = NULL;
    size_t ndocs = 0;
    hq_ydocs_load_dir(rules_dir, &docs, &ndocs, d);
    for (size_t i = 0; i < ndocs; i++) {
        scan_doc(&sc, docs[i]);
        hq_ydoc_destroy(&docs[i]);
    }
    free(docs);
    return finish_load(&sc, rules_dir, out, before);
}

int hq_eval_scheme_load_buf(const char *name, const char *yaml, size_t len, hq_eval_scheme **out, hq_diags *d)
{
    size_t before = d->count;
    scan sc = {d, hq_calloc(1, sizeof(hq_eval_scheme)), NULL};
    hq_ydoc *doc = NULL;
    hq_err e;
    if (hq_ydoc_load_buf(name, yaml, len, NULL, &doc, &e) != 0)
        hq_diags_add_err(d, &e);
    else
        scan_doc(&sc, doc);
    hq_ydoc_destroy(&doc);
    return finish_load(&sc, name, out, before);
}

int hq_eval_period(const hq_eval_scheme *s, const char *spec, hq_period *p, hq_err *err)
{
    if (spec && looks_like_month(spec))
        return hq_month_parse(spec, p, err);
    for (size_t i = 0; spec && i < s->nterms; i++)
        if (strcmp(s->terms[i].id, spec) == 0) {
            p->from_ms = s->terms[i].from_ms;
            p->to_ms = s->terms[i].to_ms;
            snprintf(p->id, sizeof p->id, "%s", spec);
            return 0;
        }
    char known[512] = "";
    size_t off = 0;
    for (size_t i = 0; i < s->nterms && off < sizeof known - 64; i++)
        off += (size_t)snprintf(known + off, sizeof known - off, "%s%s", i ? ", " : "", s->terms[i].id);
    return hq_err_set(err, HQ_EINVAL, "unknown period \"%.64s\": give a month like 2026-09 or a term of %s (%s)",
                      spec ? spec : "", s->file ? s->file : "the scheme", s->nterms ? known : "none defined");
}

/* ---- the computation ---- */

static const char *const dnames[HQ_EVAL_D_COUNT] = {"severity",   "overdue_days",       "failed_rechecks",
                                                    "recurrences", "confirmed_complaints", "missed_inspections",
                                                    "accountability"};
static const char *const dlabels[HQ_EVAL_D_COUNT] = {"问题扣分", "逾期扣分", "复查未通过扣分", "复发扣分",
                                                     "有效投诉扣分", "自查缺失扣分", "问责扣分"};

const char *hq_eval_deduction_name(int d)
{
    return d >= 0 && d < HQ_EVAL_D_COUNT ? dnames[d] : "?";
}

const char *hq_eval_deduction_label(int d)
{
    return d >= 0 && d < HQ_EVAL_D_COUNT ? dlabels[d] : "?";
}

typedef struct row_ext {
    hq_eval_row r;
    bool registered, touched;
} row_ext;

struct hq_eval {
    const hq_eval_scheme *s;
    hq_period p;
    char *period_name;
    int64_t as_of;
    row_ext *rows;
    size_t nrows;
    hq_eval_row *out;          /* ranked copy, after finish */
    int64_t *bucket_from;      /* nbuckets + 1 entries: the last is p.to_ms */
    char (*bucket_label)[16];
    size_t nbuckets;
    char **domains;
    size_t ndomains;
    int *counts;               /* ndomains x nbuckets */
    bool finished;
    size_t ranked;
};

hq_eval *hq_eval_new(const hq_eval_scheme *s, const hq_period *p, const char *period_name, int64_t as_of_ms)
{
    hq_eval *e = hq_calloc(1, sizeof *e);
    e->s = s;
    e->p = *p;
    e->period_name = hq_strdup(period_name ? period_name : p->id);
    e->as_of = as_of_ms;
    struct tm tm;
    hq_local_tm(p->from_ms, &tm);
    bool daily = p->to_ms - p->from_ms <= 31 * HQ_DAY_MS + 3600 * 1000;
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
    for (;;) {
        int64_t start = daily ? hq_local_midnight(y, m, d + (int)e->nbuckets)
                              : e->nbuckets == 0 ? p->from_ms : hq_local_midnight(y, m + (int)e->nbuckets, 1);
        if (start >= p->to_ms || e->nbuckets >= 400)
            break;
        e->bucket_from = hq_realloc(e->bucket_from, (e->nbuckets + 2) * sizeof *e->bucket_from);
        e->bucket_label = hq_realloc(e->bucket_label, (e->nbuckets + 1) * sizeof *e->bucket_label);
        e->bucket_from[e->nbuckets] = start;
        struct tm bt;
        hq_local_tm(start, &bt);
        if (daily)
            snprintf(e->bucket_label[e->nbuckets], 16, "%02d-%02d", bt.tm_mon + 1, bt.tm_mday);
        else
            snprintf(e->bucket_label[e->nbuckets], 16, "%04d-%02d", bt.tm_year + 1900, bt.tm_mon + 1);
        e->nbuckets++;
    }
    if (e->bucket_from)
        e->bucket_from[e->nbuckets] = p->to_ms;
    return e;
}

static void row_fini(row_ext *x)
{
    free(x->r.contractor);
    free(x->r.name);
}

void hq_eval_destroy(hq_eval **ep)
{
    hq_eval *e = ep ? *ep : NULL;
    if (!e)
        return;
    HQ_FREE_EACH(e->rows, e->nrows, row_fini);
    free(e->out);
    free(e->bucket_from);
    free(e->bucket_label);
    hq_free_strv(e->domains, e->ndomains);
    free(e->counts);
    free(e->period_name);
    free(e);
    *ep = NULL;
}

static row_ext *row_for(hq_eval *e, const char *id)
{
    for (size_t i = 0; i < e->nrows; i++)
        if (strcmp(e->rows[i].r.contractor, id) == 0)
            return &e->rows[i];
    e->rows = hq_realloc(e->rows, (e->nrows + 1) * sizeof *e->rows);
    row_ext *r = &e->rows[e->nrows++];
    memset(r, 0, sizeof *r);
    r->r.contractor = hq_strdup(id);
    return r;
}

void hq_eval_contractor(hq_eval *e, const char *id, const char *name)
{
    row_ext *r = row_for(e, id);
    r->registered = true;
    if (name && !r->r.name)
        r->r.name = hq_strdup(name);
}

static void count_domain(hq_eval *e, const char *domain, int64_t ts)
{
    if (!e->nbuckets)
        return;
    size_t b = 0;
    while (b + 1 < e->nbuckets && ts >= e->bucket_from[b + 1])
        b++;
    const char *dn = domain && *domain ? domain : "general";
    size_t d;
    for (d = 0; d < e->ndomains; d++)
        if (strcmp(e->domains[d], dn) == 0)
            break;
    if (d == e->ndomains) {
        e->domains = hq_realloc(e->domains, (e->ndomains + 1) * sizeof *e->domains);
        e->domains[e->ndomains++] = hq_strdup(dn);
        e->counts = hq_realloc(e->counts, e->ndomains * e->nbuckets * sizeof *e->counts);
        memset(e->counts + d * e->nbuckets, 0, e->nbuckets * sizeof *e->counts);
    }
    e->counts[d * e->nbuckets + b]++;
}

static int64_t clip_days(const hq_eval *e, int64_t a, int64_t b)
{
    int64_t end = e->p.to_ms < e->as_of ? e->p.to_ms : e->as_of;
    if (a < e->p.from_ms)
        a = e->p.from_ms;
    if (b > end)
        b = end;
    if (b <= a)
        return 0;
    return (b - a + HQ_DAY_MS - 1) / HQ_DAY_MS;
}

static bool in_period(const hq_eval *e, int64_t ts)
{
    return ts >= e->p.from_ms && ts < e->p.to_ms && ts <= e->as_of;
}

/* Closed without any rectification feedback before the closing. */
static bool dismissed(const hq_issue *is)
{
    for (size_t i = 0; i < is->ntimeline; i++) {
        if ((&is->timeline[i])->kind == HQ_TL_RECTIFIED)
            return false;
        if ((&is->timeline[i])->kind == HQ_TL_CLOSED)
            return true;
    }
    return false;
}

/* An internal issue: the office's own obligation missed (owner
 * "office:<unit>"), never a contractor's. */
static bool internal_issue(const hq_issue *is)
{
    return is->owner && !strncmp(is->owner, "office:", 7);
}

/* What an issue opened in the period counts: itself, its severity, its
 * category (complaint, missed inspection, veto), and whether it was due
 * and settled on time by as_of. */
static void count_opened(const hq_eval *e, const hq_issue *is, hq_eval_row *add)
{
    const hq_eval_scheme *s = e->s;
    add->issues = 1;
    add->by_severity[(unsigned)is->severity < 4 ? is->severity : 0] = 1;
    if (strlist_has(&s->complaint_categories, is->category))
        add->complaints = 1;
    if (strlist_has(&s->missed_inspection_categories, is->category))
        add->missed_inspections = 1;
    if (strlist_has(&s->veto_categories, is->category))
        add->vetoes++;
    bool overdue = false, settled = false;
    for (size_t i = 0; i < is->ntimeline; i++) {
        const hq_tl_entry *t = &is->timeline[i];
        if (t->ts_ms > e->as_of)
            break;
        if (t->kind == HQ_TL_OVERDUE)
            overdue = true;
        if (t->kind == HQ_TL_RECTIFIED || t->kind == HQ_TL_CLOSED)
            settled = true;
    }
    if (overdue || settled) {
        add->due = 1;
        add->on_time = !overdue;
    }
}

/* What the issue's timeline counts in the period, whenever the issue was
 * opened: rechecks failed, recurrences, accountability, overdue days,
 * complainants' answers (and silence taken as solved). */
static void count_timeline(const hq_eval *e, const hq_issue *is, hq_eval_row *add)
{
    const hq_eval_scheme *s = e->s;
    bool in_span = false, answered = false;
    int64_t span_from = 0;
    for (size_t i = 0; i < is->ntimeline; i++) {
        const hq_tl_entry *t = &is->timeline[i];
        bool in = in_period(e, t->ts_ms);
        bool ok = t->kind == HQ_TL_SATISFIED, no = t->kind == HQ_TL_UNSOLVED;
        if ((ok || no) && t->ts_ms <= is->closed_ms + HQ_EVAL_FEEDBACK_DAYS * HQ_DAY_MS)
            answered = true;
        if (in && ok)
            add->fb_solved++;
        if (in && no)
            add->fb_unsolved++;
        if (in && t->kind == HQ_TL_REOPENED)
            add->failed_rechecks++;
        if (in && t->kind == HQ_TL_RECURRENCE)
            add->recurrences++;
        if (in && t->kind == HQ_TL_ACCOUNTABILITY) {
            add->accountability++;
            if (s->veto_accountability)
                add->vetoes++;
        }
        if (t->kind == HQ_TL_OVERDUE && !in_span) {
            in_span = true;
            span_from = t->ts_ms;
        } else if ((t->kind == HQ_TL_RECTIFIED || t->kind == HQ_TL_CLOSED) && in_span) {
            add->overdue_days += (int)clip_days(e, span_from, t->ts_ms);
            in_span = false;
        }
    }
    if (in_span)
        add->overdue_days += (int)clip_days(e, span_from, e->as_of);
    /* silence taken as solved: a complaint closed in the period, no answer
     * within the days, and those days over by as_of */
    if (is->state == HQ_IS_CLOSED && !answered && in_period(e, is->closed_ms) &&
        strlist_has(&s->complaint_categories, is->category) &&
        is->closed_ms + HQ_EVAL_FEEDBACK_DAYS * HQ_DAY_MS <= e->as_of)
        add->fb_taken = 1;
}

static void row_add(hq_eval_row *r, const hq_eval_row *add)
{
    r->issues += add->issues;
    for (int i = 0; i < 4; i++)
        r->by_severity[i] += add->by_severity[i];
    r->complaints += add->complaints;
    r->missed_inspections += add->missed_inspections;
    r->vetoes += add->vetoes;
    r->due += add->due;
    r->on_time += add->on_time;
    r->failed_rechecks += add->failed_rechecks;
    r->recurrences += add->recurrences;
    r->accountability += add->accountability;
    r->overdue_days += add->overdue_days;
    r->fb_solved += add->fb_solved;
    r->fb_unsolved += add->fb_unsolved;
    r->fb_taken += add->fb_taken;
}

void hq_eval_add(hq_eval *e, const hq_issue *is)
{
    if (internal_issue(is))
        return; /* not in any contractor's score, nor in the series of contractors' issues */
    bool opened_in = in_period(e, is->opened_ms);
    if (opened_in)
        count_domain(e, is->domain, is->opened_ms);
    if (!is->contractor || !*is->contractor)
        return;
    row_ext *rx = NULL;
    int64_t pen = 0;
    for (size_t i = 0; i < is->npenalties; i++)
        if (in_period(e, is->penalties[i].ts_ms))
            pen += is->penalties[i].amount_cents;
    if (pen) {
        rx = row_for(e, is->contractor);
        rx->r.penalties_cents += pen;
        rx->touched = true;
    }
    if (dismissed(is)) {
        if (opened_in) {
            rx = rx ? rx : row_for(e, is->contractor);
            rx->r.dismissed++;
            rx->touched = true;
        }
        return;
    }
    hq_eval_row add = {0};
    if (opened_in)
        count_opened(e, is, &add);
    count_timeline(e, is, &add);
    bool touched = opened_in || add.failed_rechecks || add.recurrences || add.accountability || add.overdue_days ||
                   add.fb_solved || add.fb_unsolved || add.fb_taken;
    if (!touched)
        return;
    rx = rx ? rx : row_for(e, is->contractor);
    rx->touched = true;
    row_add(&rx->r, &add);
}

static int cmp_rank(const void *a, const void *b)
{
    const hq_eval_row *x = a, *y = b;
    if (x->score_cp != y->score_cp)
        return x->score_cp > y->score_cp ? -1 : 1;
    return strcmp(x->contractor, y->contractor);
}

void hq_eval_finish(hq_eval *e)
{
    if (e->finished)
        return;
    e->finished = true;
    const hq_eval_scheme *s = e->s;
    e->out = hq_calloc(e->nrows ? e->nrows : 1, sizeof *e->out);
    size_t n = 0;
    for (size_t i = 0; i < e->nrows; i++) {
        row_ext *rx = &e->rows[i];
        if (!rx->registered && !rx->touched)
            continue;
        hq_eval_row *r = &rx->r;
        int64_t sev = 0;
        for (int k = 0; k < 4; k++)
            sev += r->by_severity[k] * s->severity_cp[k];
        r->deduct_cp[HQ_EVAL_D_SEVERITY] = sev;
        r->deduct_cp[HQ_EVAL_D_OVERDUE] = r->overdue_days * s->overdue_day_cp;
        r->deduct_cp[HQ_EVAL_D_FAILED_RECHECK] = r->failed_rechecks * s->failed_recheck_cp;
        r->deduct_cp[HQ_EVAL_D_RECURRENCE] = r->recurrences * s->recurrence_cp;
        r->deduct_cp[HQ_EVAL_D_COMPLAINT] = r->complaints * s->complaint_cp;
        r->deduct_cp[HQ_EVAL_D_MISSED_INSPECTION] = r->missed_inspections * s->missed_inspection_cp;
        r->deduct_cp[HQ_EVAL_D_ACCOUNTABILITY] = r->accountability * s->accountability_cp;
        r->deductions_cp = 0;
        for (int k = 0; k < HQ_EVAL_D_COUNT; k++)
            r->deductions_cp += r->deduct_cp[k];
        r->score_cp = s->base_cp - r->deductions_cp;
        if (r->score_cp < s->floor_cp)
            r->score_cp = s->floor_cp;
        r->grade = s->ngrades ? s->grades[s->ngrades - 1].name : "";
        for (size_t g = 0; g < s->ngrades; g++)
            if (r->score_cp >= s->grades[g].min_cp) {
                r->grade = s->grades[g].name;
                break;
            }
        if (r->vetoes)
            r->grade = s->veto_grade ? s->veto_grade : s->ngrades ? s->grades[s->ngrades - 1].name : "";
        e->out[n++] = *r;
    }
    qsort(e->out, n, sizeof *e->out, cmp_rank);
    for (size_t i = 0; i < n; i++)
        e->out[i].rank = i && e->out[i].score_cp == e->out[i - 1].score_cp ? e->out[i - 1].rank : (int)i + 1;
    e->ranked = n; /* out holds views of the strings owned by rows */
}

size_t hq_eval_rows(const hq_eval *e, const hq_eval_row **rows)
{
    *rows = e->out;
    return e->ranked;
}

const hq_period *hq_eval_get_period(const hq_eval *e)
{
    return &e->p;
}

const char *hq_eval_period_name(const hq_eval *e)
{
    return e->period_name;
}

const hq_eval_scheme *hq_eval_get_scheme(const hq_eval *e)
{
    return e->s;
}

int64_t hq_eval_as_of(const hq_eval *e)
{
    return e->as_of;
}

size_t hq_eval_buckets(const hq_eval *e)
{
    return e->nbuckets;
}

const char *hq_eval_bucket_label(const hq_eval *e, size_t b)
{
    return b < e->nbuckets ? e->bucket_label[b] : "";
}

size_t hq_eval_domains(const hq_eval *e)
{
    return e->ndomains;
}

const char *hq_eval_domain(const hq_eval *e, size_t d)
{
    return d < e->ndomains ? e->domains[d] : "";
}

int hq_eval_count(const hq_eval *e, size_t d, size_t b)
{
    return d < e->ndomains && b < e->nbuckets ? e->counts[d * e->nbuckets + b] : 0;
}

void hq_eval_points(int64_t cp, char *buf, size_t size)
{
    const char *sign = cp < 0 ? "-" : "";
    if (cp < 0)
        cp = -cp;
    snprintf(buf, size, "%s%lld.%02lld", sign, (long long)(cp / 100), (long long)(cp % 100));
}

void hq_eval_put_deductions(hq_buf *b, const hq_eval_row *r, const char *pre, const char *post)
{
    char p[32];
    for (int k = 0; k < HQ_EVAL_D_COUNT; k++) {
        hq_eval_points(r->deduct_cp[k], p, sizeof p);
        hq_buf_printf(b, "%s%s%s", pre, p, post);
    }
    hq_eval_points(r->deductions_cp, p, sizeof p);
    hq_buf_printf(b, "%s%s%s", pre, p, post);
}

/* "85.7%" of on_time/due, or "" when nothing was due. */
static void rate_str(const hq_eval_row *r, char *buf, size_t size)
{
    if (!r->due)
        buf[0] = '\0';
    else
        snprintf(buf, size, "%.1f%%", 100.0 * r->on_time / r->due);
}

void hq_eval_to_csv(const hq_eval *e, hq_buf *b)
{
    static const char *const head[] = {"排名", "承办单位编号", "承办单位", "得分", "等级", "一票否决", "问题数",
                                       "轻微", "一般", "严重", "重大", "逾期天数", "复查未通过", "复发",
                                       "有效投诉", "自查缺失", "问责", "未确认(已撤销)"};
    hq_buf_puts(b, "\xEF\xBB\xBF");
    for (size_t i = 0; i < sizeof head / sizeof *head; i++) {
        if (i)
            hq_buf_putc(b, ',');
        hq_csv_field(b, head[i]);
    }
    for (int k = 0; k < HQ_EVAL_D_COUNT; k++) {
        hq_buf_putc(b, ',');
        hq_csv_field(b, dlabels[k]);
    }
    hq_buf_puts(b, ",扣分合计,应按期整改数,按期整改数,按期整改率,违约金合计(元),考评期间\r\n");
    const hq_eval_row *rows;
    size_t n = hq_eval_rows(e, &rows);
    for (size_t i = 0; i < n; i++) {
        const hq_eval_row *r = &rows[i];
        char score[32], rate[16];
        hq_eval_points(r->score_cp, score, sizeof score);
        rate_str(r, rate, sizeof rate);
        hq_buf_printf(b, "%d,", r->rank);
        hq_csv_field(b, r->contractor);
        hq_buf_putc(b, ',');
        hq_csv_field(b, r->name ? r->name : r->contractor);
        hq_buf_printf(b, ",%s,", score);
        hq_csv_field(b, r->grade);
        hq_buf_printf(b, ",%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", r->vetoes ? "是" : "否", r->issues,
                      r->by_severity[0], r->by_severity[1], r->by_severity[2], r->by_severity[3], r->overdue_days,
                      r->failed_rechecks, r->recurrences, r->complaints, r->missed_inspections, r->accountability,
                      r->dismissed);
        hq_eval_put_deductions(b, r, ",", "");
        hq_buf_printf(b, ",%d,%d,%s,%lld.%02lld,", r->due, r->on_time, rate,
                      (long long)(r->penalties_cents / 100), (long long)(r->penalties_cents % 100));
        hq_csv_field(b, e->period_name);
        hq_buf_puts(b, "\r\n");
    }
}

void hq_eval_to_json(const hq_eval *e, hq_buf *b)
{
    const hq_eval_scheme *s = e->s;
    char from[16], to[16], pts[32];
    hq_local_date(e->p.from_ms, from, sizeof from);
    hq_local_date(e->p.to_ms - 1, to, sizeof to);
    hq_buf_puts(b, "{\"scheme\":");
    hq_json_cstr(b, s->name);
    hq_buf_puts(b, ",\"period\":{\"id\":");
    hq_json_cstr(b, e->p.id);
    hq_buf_puts(b, ",\"name\":");
    hq_json_cstr(b, e->period_name);
    hq_buf_printf(b, ",\"from\":\"%s\",\"to\":\"%s\",\"from_ms\":%lld,\"to_ms\":%lld,\"as_of_ms\":%lld}", from, to,
                  (long long)e->p.from_ms, (long long)e->p.to_ms, (long long)e->as_of);
    hq_eval_points(s->base_cp, pts, sizeof pts);
    hq_buf_printf(b, ",\"base\":%s,\"contractors\":[", pts);
    const hq_eval_row *rows;
    size_t n = hq_eval_rows(e, &rows);
    for (size_t i = 0; i < n; i++) {
        const hq_eval_row *r = &rows[i];
        hq_eval_points(r->score_cp, pts, sizeof pts);
        hq_buf_printf(b, "%s{\"rank\":%d,\"contractor\":", i ? "," : "", r->rank);
        hq_json_cstr(b, r->contractor);
        hq_buf_puts(b, ",\"name\":");
        hq_json_cstr(b, r->name ? r->name : r->contractor);
        hq_buf_printf(b, ",\"score\":%s,\"grade\":", pts);
        hq_json_cstr(b, r->grade);
        hq_buf_printf(b,
                      ",\"veto\":%s,\"counts\":{\"issues\":%d,\"low\":%d,\"medium\":%d,\"high\":%d,\"critical\":%d,"
                      "\"overdue_days\":%d,\"failed_rechecks\":%d,\"recurrences\":%d,\"confirmed_complaints\":%d,"
                      "\"missed_inspections\":%d,\"accountability\":%d,\"vetoes\":%d,\"dismissed\":%d}",
                      r->vetoes ? "true" : "false", r->issues, r->by_severity[0], r->by_severity[1],
                      r->by_severity[2], r->by_severity[3], r->overdue_days, r->failed_rechecks, r->recurrences,
                      r->complaints, r->missed_inspections, r->accountability, r->vetoes, r->dismissed);
        hq_buf_puts(b, ",\"deductions\":{");
        for (int k = 0; k < HQ_EVAL_D_COUNT; k++) {
            hq_eval_points(r->deduct_cp[k], pts, sizeof pts);
            hq_buf_printf(b, "%s\"%s\":%s", k ? "," : "", dnames[k], pts);
        }
        hq_eval_points(r->deductions_cp, pts, sizeof pts);
        hq_buf_printf(b, ",\"total\":%s}", pts);
        hq_buf_printf(b, ",\"on_time\":{\"due\":%d,\"on_time\":%d,\"rate\":", r->due, r->on_time);
        if (r->due)
            hq_buf_printf(b, "%.4f}", (double)r->on_time / r->due);
        else
            hq_buf_puts(b, "null}");
        int fb = r->fb_solved + r->fb_unsolved + r->fb_taken;
        hq_buf_printf(b, ",\"satisfaction\":{\"solved\":%d,\"unsolved\":%d,\"taken_as_solved\":%d,\"rate\":",
                      r->fb_solved, r->fb_unsolved, r->fb_taken);
        if (fb)
            hq_buf_printf(b, "%.4f}", (double)(r->fb_solved + r->fb_taken) / fb);
        else
            hq_buf_puts(b, "null}");
        hq_buf_printf(b, ",\"penalties_cents\":%lld}", (long long)r->penalties_cents);
    }
    hq_buf_puts(b, "],\"series\":{\"buckets\":[");
    for (size_t i = 0; i < e->nbuckets; i++)
        hq_buf_printf(b, "%s\"%s\"", i ? "," : "", e->bucket_label[i]);
    hq_buf_puts(b, "],\"domains\":{");
    for (size_t d = 0; d < e->ndomains; d++) {
        hq_buf_puts(b, d ? "," : "");
        hq_json_cstr(b, e->domains[d]);
        hq_buf_puts(b, ":[");
        for (size_t i = 0; i < e->nbuckets; i++)
            hq_buf_printf(b, "%s%d", i ? "," : "", e->counts[d * e->nbuckets + i]);
        hq_buf_putc(b, ']');
    }
    hq_buf_puts(b, "}}}");
}
