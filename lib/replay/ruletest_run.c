/* ruletest_run.c - running a rule test on a scratch state (ruletest.h)
 * and comparing what it holds with the expectations.
 */
#include "ruletest_int.h"

#include "buf.h"
#include "issue.h"
#include "mem.h"
#include "mp.h"
#include "outbox.h"
#include "sim.h"

#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- running ---- */

typedef struct outrec {
    uint64_t seq;
    int64_t ts_ms, deadline_ms;
    int level;
    char *kind, *issue, *rule, *domain, *contractor, *site, *severity, *title, *text;
    char **roles;
    size_t nroles;
} outrec;

typedef struct run {
    const hq_ruletests *t;
    const test *tc;
    const hq_ruletest_opts *o;
    hq_sim *sim;
    hq_diags *out;
    hq_rt_result result;
    bool stop;
    hq_issue *issues;     /* in number order: the order they were opened */
    bool any_number;      /* expect_rejected: a number need not exist */
    size_t nissues;
    outrec *recs;
    size_t nrecs, caprecs;
} run;

static void trace(run *r, const step *st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void trace(run *r, const step *st, const char *fmt, ...)
{
    if (!r->o || !r->o->trace)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->o->trace(r->o->ctx, r->t->file, st->line, msg);
}

static void fail(run *r, const step *st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(run *r, const step *st, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hq_diags_add(r->out, r->t->file, st->line, 0, "%s", msg);
    if (r->result == HQ_RT_PASS)
        r->result = HQ_RT_FAIL;
}

static void error_at(run *r, int line, int column, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void error_at(run *r, int line, int column, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hq_diags_add(r->out, r->t->file, line, column, "%s", msg);
    r->result = HQ_RT_ERROR;
    r->stop = true;
}

static void issues_clear(run *r)
{
    for (size_t i = 0; i < r->nissues; i++)
        hq_issue_fini(&r->issues[i]);
    free(r->issues);
    r->issues = NULL;
    r->nissues = 0;
}

static void recs_clear(run *r)
{
    for (size_t i = 0; i < r->nrecs; i++) {
        outrec *o = &r->recs[i];
        free(o->kind), free(o->issue), free(o->rule), free(o->domain), free(o->contractor);
        free(o->site), free(o->severity), free(o->title), free(o->text);
        for (size_t j = 0; j < o->nroles; j++)
            free(o->roles[j]);
        free(o->roles);
    }
    free(r->recs);
    r->recs = NULL;
    r->nrecs = 0;
}

/* Keeps the outbox record seq (o) as an outrec of the run (ctx). */
static int add_outrec(void *ctx, uint64_t seq, const msgpack_object *o)
{
    run *r = ctx;
    if (r->nrecs == r->caprecs) {
        r->caprecs = r->caprecs ? r->caprecs * 2 : 16;
        r->recs = hq_realloc(r->recs, r->caprecs * sizeof *r->recs);
    }
    outrec *x = &r->recs[r->nrecs++];
    memset(x, 0, sizeof *x);
    x->seq = seq;
    int64_t iv;
    hq_mp_int64(hq_mp_map_get(o, "ts_ms"), &x->ts_ms);
    hq_mp_int64(hq_mp_map_get(o, "deadline_ms"), &x->deadline_ms);
    if (hq_mp_int64(hq_mp_map_get(o, "level"), &iv))
        x->level = (int)iv;
    x->kind = hq_mp_strdup(hq_mp_map_get(o, "kind"));
    x->issue = hq_mp_strdup(hq_mp_map_get(o, "issue"));
    x->rule = hq_mp_strdup(hq_mp_map_get(o, "rule"));
    x->domain = hq_mp_strdup(hq_mp_map_get(o, "domain"));
    x->contractor = hq_mp_strdup(hq_mp_map_get(o, "contractor"));
    x->site = hq_mp_strdup(hq_mp_map_get(o, "site"));
    x->severity = hq_mp_strdup(hq_mp_map_get(o, "severity"));
    x->title = hq_mp_strdup(hq_mp_map_get(o, "title"));
    x->text = hq_mp_strdup(hq_mp_map_get(o, "text"));
    const msgpack_object *roles = hq_mp_map_get(o, "roles");
    if (roles && roles->type == MSGPACK_OBJECT_ARRAY && roles->via.array.size) {
        x->roles = hq_calloc(roles->via.array.size, sizeof *x->roles);
        for (uint32_t j = 0; j < roles->via.array.size; j++) {
            char *role = hq_mp_strdup(&roles->via.array.ptr[j]);
            if (role)
                x->roles[x->nroles++] = role;
        }
    }
    return 0;
}

/* Reads every issue (in number order: the order they were opened) and
 * every outbox record of the scratch state. */
static int load_state(run *r, hq_err *err)
{
    issues_clear(r);
    recs_clear(r);
    MDB_txn *txn;
    int rc = hq_sim_txn(r->sim, &txn, err);
    if (rc)
        return rc;
    hq_store *s = hq_sim_store(r->sim);
    MDB_cursor *c;
    MDB_val k, v;
    size_t cap = 0;
    if ((rc = hq_store_cursor(s, txn, HQ_DB_ISSUES, &c, err)))
        return rc;
    for (int m = mdb_cursor_get(c, &k, &v, MDB_FIRST); m == 0; m = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (r->nissues == cap) {
            cap = cap ? cap * 2 : 8;
            r->issues = hq_realloc(r->issues, cap * sizeof *r->issues);
        }
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &r->issues[r->nissues], err) != 0) {
            mdb_cursor_close(c);
            return HQ_ESTORE;
        }
        r->nissues++;
    }
    mdb_cursor_close(c);

    r->caprecs = 0;
    return hq_outbox_each(s, txn, 1, add_outrec, r, err);
}

static int resolve_ref(void *ctx, const char *text, char *out, size_t size, hq_err *err)
{
    run *r = ctx;
    hq_rt_ref ref;
    if (hq_rt_ref_parse(text, &ref) != 0)
        return hq_err_set(err, HQ_EINVAL, "%s: not an issue reference", text);
    if (ref.kind == REF_NUMBER) {
        if (r->any_number) {
            snprintf(out, size, "%s", text);
            return 0;
        }
        for (size_t i = 0; i < r->nissues; i++)
            if (!strcmp(r->issues[i].number, text)) {
                snprintf(out, size, "%s", text);
                return 0;
            }
        return hq_err_set(err, HQ_ENOTFOUND, "no issue %s in this test (%zu opened)", text, r->nissues);
    }
    /* The issues of the rule (or all), in the order they were opened. */
    size_t n = 0, want = ref.kind == REF_NTH ? (size_t)ref.n : 0;
    const char *found = NULL;
    for (size_t i = 0; i < r->nissues; i++) {
        if (ref.rule && strcmp(r->issues[i].rule, ref.rule) != 0)
            continue;
        n++;
        if (ref.kind == REF_LAST || n == want)
            found = r->issues[i].number;
        if (n == want)
            break;
    }
    if (!found) {
        if (ref.rule)
            return hq_err_set(err, HQ_ENOTFOUND, "%s: rule %s has opened %zu issue%s so far in this test", text,
                              ref.rule, n, n == 1 ? "" : "s");
        return hq_err_set(err, HQ_ENOTFOUND, "%s: %zu issue%s opened so far in this test", text, n,
                          n == 1 ? "" : "s");
    }
    snprintf(out, size, "%s", found);
    return 0;
}

/* ---- comparing ---- */

/* The expected value as written, for messages. */
static void want_text(const fcond *c, hq_buf *b)
{
    switch (c->def->vt) {
    case V_WORDS:
        hq_buf_putc(b, '[');
        for (size_t i = 0; i < c->nwords; i++)
            hq_buf_printf(b, "%s%s", i ? ", " : "", c->words[i]);
        hq_buf_putc(b, ']');
        break;
    case V_YUAN: hq_buf_printf(b, "%lld.%02lld", (long long)(c->i / 100), (long long)llabs(c->i % 100)); break;
    case V_TIME: {
        char t[48];
        hq_rt_format_time(c->i, t, sizeof t);
        hq_buf_puts(b, t);
        break;
    }
    default: hq_buf_puts(b, c->node->type == HQ_Y_SCALAR ? c->node->str : "?"); break;
    }
}

/* "rule=catering.cold-storage-high state=opened" */
static void filter_text(const step *st, hq_buf *b)
{
    for (size_t i = 0; i < st->nconds; i++) {
        hq_buf_printf(b, "%s%s=", i ? " " : "", st->conds[i].def->name);
        want_text(&st->conds[i], b);
    }
}

static void quote(hq_buf *b, const char *s)
{
    hq_buf_printf(b, "\"%s\"", s ? s : "");
}

static bool str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

/* A timeline entry's kind is the word ("escalated"); "missed-while-down"
 * is the earlier word of "missed". */
static bool entry_is(const hq_tl_entry *e, const char *word)
{
    if (!strcmp(word, "missed-while-down"))
        word = "missed";
    return !strcmp(hq_tl_kind_name(e->kind), word);
}

static void entry_word(const hq_tl_entry *e, hq_buf *b)
{
    hq_buf_puts(b, hq_tl_kind_name(e->kind));
}

static bool words_has(char *const *have, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(have[i], w))
            return true;
    return false;
}

static void words_text(char *const *w, size_t n, hq_buf *b)
{
    hq_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++)
        hq_buf_printf(b, "%s%s", i ? ", " : "", w[i]);
    hq_buf_putc(b, ']');
}

static void timeline_text(const hq_issue *is, hq_buf *b)
{
    hq_buf_putc(b, '[');
    for (size_t i = 0; i < is->ntimeline; i++) {
        if (i)
            hq_buf_puts(b, ", ");
        entry_word(&is->timeline[i], b);
    }
    hq_buf_putc(b, ']');
}

static void time_text(int64_t ms, hq_buf *b)
{
    char t[48];
    if (ms == 0) {
        hq_buf_puts(b, "none");
        return;
    }
    hq_rt_format_time(ms, t, sizeof t);
    hq_buf_puts(b, t);
}

/* Appends "expected NAME WANT, got GOT" to why (after "; " when it has
 * text): WANT bare for codes (state, kind, severity), quoted for texts,
 * in words otherwise. */
static void explain(const fcond *c, const char *ref, const char *got, hq_buf *why)
{
    field_id id = c->def->id;
    bool bare = id == K_STATE || id == K_KIND || id == K_SEVERITY;
    if (why->len)
        hq_buf_puts(why, "; ");
    hq_buf_printf(why, "expected %s ", c->def->name);
    if (c->def->vt == V_STR || c->def->vt == V_REF) {
        if (bare)
            hq_buf_puts(why, c->s);
        else
            quote(why, c->def->vt == V_REF ? ref : c->s);
    } else {
        want_text(c, why);
    }
    hq_buf_printf(why, ", got %s", got);
}

/* The matchers the issue and outbox conditions share; each appends what
 * it found to got, for the explanation. */
static bool match_str(const fcond *c, const char *s, hq_buf *got)
{
    if (c->def->id == K_SEVERITY || c->def->id == K_KIND)
        hq_buf_puts(got, s ? s : "none");
    else
        quote(got, s);
    return str_eq(c->s, s);
}

static bool match_contains(const fcond *c, const char *s, hq_buf *got)
{
    quote(got, s);
    return s && strstr(s, c->s);
}

static bool match_time(const fcond *c, int64_t ms, hq_buf *got)
{
    time_text(ms, got);
    return ms == c->i;
}

static bool match_int(const fcond *c, int64_t i, hq_buf *got)
{
    hq_buf_printf(got, "%lld", (long long)i);
    return i == c->i;
}

static bool match_bool(const fcond *c, bool b, hq_buf *got)
{
    hq_buf_puts(got, b ? "true" : "false");
    return b == c->b;
}

/* The fields read straight from a member: how they compare, and where
 * they are in an issue and in an outbox record (NO: not there).  The
 * others are computed in issue_computed and outbox_computed. */
typedef enum { P_NONE, P_STR, P_CONTAINS, P_INT, P_TIME, P_BOOL } plain_how;
#define NO (-1)
#define IS(m) (ptrdiff_t)offsetof(hq_issue, m)
#define OR(m) (ptrdiff_t)offsetof(outrec, m)
static const struct {
    plain_how how;
    ptrdiff_t issue, rec;
} plain[] = {
    [K_RULE] = {P_STR, IS(rule), OR(rule)},
    [K_KEY] = {P_STR, IS(key), NO},
    [K_KIND] = {P_STR, NO, OR(kind)},
    [K_DOMAIN] = {P_STR, IS(domain), OR(domain)},
    [K_CONTRACTOR] = {P_STR, IS(contractor), OR(contractor)},
    [K_SITE] = {P_STR, IS(site), OR(site)},
    [K_CATEGORY] = {P_STR, IS(category), NO},
    [K_SEVERITY] = {P_STR, NO, OR(severity)}, /* an issue's is a code: issue_computed */
    [K_TITLE] = {P_STR, IS(title), OR(title)},
    [K_TITLE_CONTAINS] = {P_CONTAINS, IS(title), OR(title)},
    [K_DESCRIPTION_CONTAINS] = {P_CONTAINS, IS(description), NO},
    [K_TEXT_CONTAINS] = {P_CONTAINS, NO, OR(text)},
    [K_LEVEL] = {P_INT, IS(level), OR(level)},
    [K_OCCURRENCES] = {P_INT, IS(occurrences), NO},
    [K_OVERDUE] = {P_BOOL, IS(overdue), NO},
    [K_ACCOUNTABILITY] = {P_BOOL, IS(accountability), NO},
    [K_OPENED_AT] = {P_TIME, IS(opened_ms), NO},
    [K_CLOSED_AT] = {P_TIME, IS(closed_ms), NO},
    [K_DEADLINE_AT] = {P_TIME, IS(deadline_ms), OR(deadline_ms)},
    [K_AT] = {P_TIME, NO, OR(ts_ms)},
};
_Static_assert(sizeof(((hq_issue *)0)->level) == sizeof(int) && sizeof(((outrec *)0)->level) == sizeof(int) &&
                   sizeof(((hq_issue *)0)->occurrences) == sizeof(int),
               "P_INT members are int");

/* Compares a field of the plain table with subject (an issue when
 * issue, else an outbox record): false when it is not one of those
 * there, *ok and got otherwise. */
static bool plain_cond(const fcond *c, const void *subject, bool issue, bool *ok, hq_buf *got)
{
    size_t id = (size_t)c->def->id;
    if (id >= sizeof plain / sizeof *plain || plain[id].how == P_NONE)
        return false;
    ptrdiff_t off = issue ? plain[id].issue : plain[id].rec;
    if (off == NO)
        return false;
    const char *m = (const char *)subject + off;
    switch (plain[id].how) {
    case P_STR: *ok = match_str(c, *(char *const *)m, got); break;
    case P_CONTAINS: *ok = match_contains(c, *(char *const *)m, got); break;
    case P_INT: *ok = match_int(c, *(const int *)m, got); break;
    case P_TIME: *ok = match_time(c, *(const int64_t *)m, got); break;
    case P_BOOL: *ok = match_bool(c, *(const bool *)m, got); break;
    default: return false;
    }
    return true;
}
#undef NO
#undef IS
#undef OR

/* The issue's fields that are not plain: appends what it found to got. */
static bool issue_computed(const fcond *c, const hq_issue *is, hq_buf *got)
{
    const char *s;
    int64_t i;
    bool ok;
    switch (c->def->id) {
    case K_OWNER: return match_str(c, is->owner ? is->owner : "contractor", got);
    case K_SEVERITY: return match_str(c, hq_severity_name(is->severity), got);
    case K_STATE:
        s = hq_issue_state_name(is->state);
        hq_buf_puts(got, s);
        return !strcmp(c->s, "open") ? is->state != HQ_IS_CLOSED : !strcmp(c->s, s);
    case K_PENALTIES: return match_int(c, (int64_t)is->npenalties, got);
    case K_PENALTY_TOTAL:
        i = hq_issue_penalty_total(is);
        hq_buf_printf(got, "%lld.%02lld", (long long)(i / 100), (long long)llabs(i % 100));
        return i == c->i;
    case K_TIMELINE_CONTAINS:
        ok = true;
        for (size_t w = 0; w < c->nwords && ok; w++) {
            bool found = false;
            for (size_t e = 0; e < is->ntimeline && !found; e++)
                found = entry_is(&is->timeline[e], c->words[w]);
            ok = found;
        }
        timeline_text(is, got);
        return ok;
    case K_TIMELINE:
        ok = c->nwords == is->ntimeline;
        for (size_t w = 0; w < c->nwords && ok; w++)
            ok = entry_is(&is->timeline[w], c->words[w]);
        timeline_text(is, got);
        return ok;
    default: return false;
    }
}

/* The outbox record's fields that are not plain: its roles. */
static bool outbox_computed(const fcond *c, const outrec *o, hq_buf *got)
{
    bool ok;
    switch (c->def->id) {
    case K_ROLES:
    case K_ROLES_INCLUDE:
        ok = c->def->id == K_ROLES ? o->nroles == c->nwords : true;
        for (size_t w = 0; w < c->nwords && ok; w++)
            ok = words_has(o->roles, o->nroles, c->words[w]);
        /* roles: the same set, in any order */
        for (size_t w = 0; c->def->id == K_ROLES && w < o->nroles && ok; w++) {
            bool found = false;
            for (size_t x = 0; x < c->nwords && !found; x++)
                found = !strcmp(c->words[x], o->roles[w]);
            ok = found;
        }
        words_text(o->roles, o->nroles, got);
        return ok;
    default: return false;
    }
}

/* Compares one condition with an issue (is) or else an outbox record
 * (o); on a mismatch appends "expected X, got Y" to why.  ref is the
 * resolved number for V_REF (an issue's number, a record's issue). */
static bool cond_holds(const fcond *c, const hq_issue *is, const outrec *o, const char *ref, hq_buf *why)
{
    bool ok = false;
    hq_buf got;
    hq_buf_init(&got);
    if (c->def->vt == V_REF) {
        const char *number = is ? is->number : o->issue;
        ok = str_eq(number, ref);
        quote(&got, number);
    } else if (!plain_cond(c, is ? (const void *)is : o, is != NULL, &ok, &got)) {
        ok = is ? issue_computed(c, is, &got) : outbox_computed(c, o, &got);
    }
    if (!ok && why)
        explain(c, ref, got.data, why);
    hq_buf_fini(&got);
    return ok;
}

/* Resolves the references of a step's conditions; refs[i] for cond i.
 * (A step has at most one condition per field: ytree refuses duplicate
 * keys, so MAX_CONDS is never reached by a file that loaded.) */
#define MAX_CONDS 64
static bool resolve_conds(run *r, const step *st, char (*refs)[64])
{
    if (st->nconds > MAX_CONDS) {
        error_at(r, st->line, st->column, "%s: more than %d fields", hq_rt_step_names[st->kind], MAX_CONDS);
        return false;
    }
    for (size_t i = 0; i < st->nconds; i++) {
        refs[i][0] = '\0';
        if (st->conds[i].def->vt != V_REF)
            continue;
        hq_err e = {0};
        if (resolve_ref(r, st->conds[i].s, refs[i], 64, &e) != 0) {
            error_at(r, st->conds[i].node->line, st->conds[i].node->column, "%s: %s", hq_rt_step_names[st->kind], e.msg);
            return false;
        }
    }
    return true;
}

/* How many conditions issue (or record) i misses; why gets the reasons. */
static size_t misses(const step *st, char (*refs)[64], const hq_issue *is, const outrec *o, hq_buf *why)
{
    size_t n = 0;
    for (size_t c = 0; c < st->nconds; c++)
        if (!cond_holds(&st->conds[c], is, o, refs[c], why))
            n++;
    return n;
}

static void issue_brief(const hq_issue *is, hq_buf *b)
{
    hq_buf_printf(b, "%s (%s %s, %s, %s, level %d)", is->number, is->rule, is->key, hq_issue_state_name(is->state),
                  hq_severity_name(is->severity), is->level);
}

static void rec_brief(const outrec *o, hq_buf *b)
{
    char t[48];
    hq_rt_format_time(o->ts_ms, t, sizeof t);
    hq_buf_printf(b, "#%llu %s %s level %lld at %s", (unsigned long long)o->seq, o->kind ? o->kind : "?",
                  o->issue ? o->issue : "", (long long)o->level, t);
}

/* What an expectation step finds among the issues or the outbox
 * records: how many meet every condition (n), the briefs of the first
 * five (got), and the latest of those that miss the fewest (closest). */
typedef struct found {
    char refs[MAX_CONDS][64];
    hq_buf filter, got;
    const char *what; /* the conditions as written, "" for none */
    size_t n, closest;
} found;

/* Fills f for the step over the issues (issues) or the outbox records;
 * false after an error (a reference that does not resolve). */
static bool find(run *r, const step *st, bool issues, found *f)
{
    if (!resolve_conds(r, st, f->refs))
        return false;
    hq_buf_init(&f->filter);
    hq_buf_init(&f->got);
    filter_text(st, &f->filter);
    f->what = f->filter.len ? f->filter.data : "";
    f->n = f->closest = 0;
    size_t best = SIZE_MAX, total = issues ? r->nissues : r->nrecs;
    for (size_t i = 0; i < total; i++) {
        const hq_issue *is = issues ? &r->issues[i] : NULL;
        const outrec *o = issues ? NULL : &r->recs[i];
        size_t m = misses(st, f->refs, is, o, NULL);
        if (m == 0) {
            if (f->n++ < 5) {
                hq_buf_puts(&f->got, f->n > 1 ? ", " : ": ");
                if (is)
                    issue_brief(is, &f->got);
                else
                    rec_brief(o, &f->got);
            }
        } else if (m <= best) {
            best = m;
            f->closest = i;
        }
    }
    return true;
}

static void found_fini(found *f)
{
    hq_buf_fini(&f->filter);
    hq_buf_fini(&f->got);
}

static void check_issues(run *r, const step *st)
{
    found f;
    if (!find(r, st, true, &f))
        return;
    switch (st->kind) {
    case ST_EXPECT_ISSUES:
        if ((int64_t)f.n != st->count)
            fail(r, st, "expect_issues: expected %lld issue%s%s%s%s, got %zu%s%s", (long long)st->count,
                 st->count == 1 ? "" : "s", *f.what ? " (" : "", f.what, *f.what ? ")" : "", f.n, f.got.data,
                 f.n > 5 ? ", ..." : "");
        else
            trace(r, st, "expect_issues: %zu, ok", f.n);
        break;
    case ST_EXPECT_ISSUE:
        if (f.n == 0) {
            if (r->nissues == 0) {
                fail(r, st, "expect_issue: expected an issue%s%s, got no issues", *f.what ? " with " : "", f.what);
            } else {
                hq_buf why;
                hq_buf_init(&why);
                misses(st, f.refs, &r->issues[f.closest], NULL, &why);
                fail(r, st, "expect_issue: %s (%s, the closest of %zu issue%s)", why.data, r->issues[f.closest].number,
                     r->nissues, r->nissues == 1 ? "" : "s");
                hq_buf_fini(&why);
            }
        } else {
            trace(r, st, "expect_issue: ok%s", f.got.data);
        }
        break;
    case ST_EXPECT_NO_ISSUE:
        if (f.n)
            fail(r, st, "expect_no_issue: expected no issue%s%s, got %zu%s%s", *f.what ? " with " : "", f.what, f.n,
                 f.got.data, f.n > 5 ? ", ..." : "");
        else
            trace(r, st, "expect_no_issue: ok");
        break;
    default: break;
    }
    found_fini(&f);
}

static void check_outbox(run *r, const step *st)
{
    found f;
    if (!find(r, st, false, &f))
        return;
    if (st->kind == ST_EXPECT_NO_OUTBOX) {
        if (f.n)
            fail(r, st, "expect_no_outbox: expected no outbox record%s%s, got %zu%s%s", *f.what ? " with " : "", f.what,
                 f.n, f.got.data, f.n > 5 ? ", ..." : "");
        else
            trace(r, st, "expect_no_outbox: ok");
    } else if (st->has_count) {
        if ((int64_t)f.n != st->count)
            fail(r, st, "expect_outbox: expected %lld record%s%s%s, got %zu%s%s", (long long)st->count,
                 st->count == 1 ? "" : "s", *f.what ? " with " : "", f.what, f.n, f.got.data, f.n > 5 ? ", ..." : "");
        else
            trace(r, st, "expect_outbox: %zu, ok", f.n);
    } else if (f.n == 0) {
        if (r->nrecs == 0) {
            fail(r, st, "expect_outbox: expected a record%s%s, got an empty outbox", *f.what ? " with " : "", f.what);
        } else {
            hq_buf why, brief;
            hq_buf_init(&why);
            hq_buf_init(&brief);
            misses(st, f.refs, NULL, &r->recs[f.closest], &why);
            rec_brief(&r->recs[f.closest], &brief);
            fail(r, st, "expect_outbox: %s (%s, the closest of %zu record%s)", why.data, brief.data, r->nrecs,
                 r->nrecs == 1 ? "" : "s");
            hq_buf_fini(&why);
            hq_buf_fini(&brief);
        }
    } else {
        trace(r, st, "expect_outbox: ok%s", f.got.data);
    }
    found_fini(&f);
}

/* Sends the step's event; returns the sim's result, or -1 after an error. */
static int send_event(run *r, const step *st, hq_sim_result *res, hq_err *err)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    hq_err perr = {0};
    r->any_number = st->kind == ST_EXPECT_REJECTED;
    int rc = hq_rt_pack_event(&st->ev, st->line, st->clock_ms, resolve_ref, r, &sb, &perr);
    if (rc) {
        error_at(r, perr.line, perr.column, "%s: %s", hq_rt_step_names[st->kind], perr.msg);
        msgpack_sbuffer_destroy(&sb);
        return -1;
    }
    rc = hq_sim_event(r->sim, sb.data, sb.size, st->clock_ms, res, err);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static int run_step(run *r, const step *st, hq_err *err)
{
    char t[48];
    int rc;
    switch (st->kind) {
    case ST_EVENT:
    case ST_ACT: {
        hq_sim_result res;
        if ((rc = send_event(r, st, &res, err)) != 0)
            return rc < 0 ? 0 : rc;
        if (res.status == HQ_SIM_REJECTED) {
            const hq_ynode *n = hq_rt_node_of_path(&st->ev, res.error.msg);
            error_at(r, n->line, n->column, "%s: the %s event was rejected: %s", hq_rt_step_names[st->kind], st->ev.type,
                     res.error.msg);
        } else if (res.status == HQ_SIM_REFUSED) {
            fail(r, st, "%s: expected the %s event to be accepted, got refused: %s", hq_rt_step_names[st->kind],
                 st->ev.type, res.error.msg);
            r->stop = true;
        } else {
            trace(r, st, "%s %s: %s as seq %llu%s", hq_rt_step_names[st->kind], st->ev.type, hq_sim_status_name(res.status),
                  (unsigned long long)res.seq, res.issues_opened ? ", an issue opened" : "");
        }
        return 0;
    }
    case ST_EXPECT_REJECTED: {
        hq_sim_result res;
        if ((rc = send_event(r, st, &res, err)) != 0)
            return rc < 0 ? 0 : rc;
        if (res.status == HQ_SIM_STORED || res.status == HQ_SIM_DUPLICATE) {
            fail(r, st, "expect_rejected: expected the %s event to be rejected, got %s as seq %llu", st->ev.type,
                 hq_sim_status_name(res.status), (unsigned long long)res.seq);
        } else if (st->error_contains && !strstr(res.error.msg, st->error_contains)) {
            fail(r, st, "expect_rejected: expected an error containing \"%s\", got \"%s\"", st->error_contains,
                 res.error.msg);
        } else {
            trace(r, st, "expect_rejected: %s: %s", hq_sim_status_name(res.status), res.error.msg);
        }
        return 0;
    }
    case ST_ADVANCE:
    case ST_AT: {
        size_t fired = 0;
        int64_t to = st->kind == ST_AT ? st->ms : st->clock_ms + st->ms;
        if ((rc = hq_sim_advance(r->sim, to, &fired, err)))
            return rc;
        hq_rt_format_time(to, t, sizeof t);
        if (st->kind == ST_ADVANCE) {
            char d[32];
            hq_rt_fmt_duration(st->ms, d, sizeof d);
            trace(r, st, "advance %s: now %s, %zu timer%s fired", d, t, fired, fired == 1 ? "" : "s");
        } else {
            trace(r, st, "at %s: %zu timer%s fired", t, fired, fired == 1 ? "" : "s");
        }
        return 0;
    }
    case ST_EXPECT_ISSUES:
    case ST_EXPECT_ISSUE:
    case ST_EXPECT_NO_ISSUE: check_issues(r, st); return 0;
    case ST_EXPECT_OUTBOX:
    case ST_EXPECT_NO_OUTBOX: check_outbox(r, st); return 0;
    default: return 0;
    }
}

int hq_ruletests_run(const hq_ruletests *t, size_t i, const hq_ruletest_opts *opts, hq_rt_result *result,
                     hq_diags *out, hq_err *err)
{
    if (i >= t->ntests)
        return hq_err_set(err, HQ_EINVAL, "no test %zu in %s", i, t->file);
    const test *tc = &t->tests[i];
    run r = {.t = t, .tc = tc, .o = opts, .out = out, .result = HQ_RT_PASS};
    /* Actions are not judged against the permission table (auth unknown):
     * a rule test is about rules; who may act is perm.c's, with its own
     * tests, and a test's actions name no one by default ("rule-test"). */
    hq_sim_opts so = {.parent_dir = opts ? opts->scratch_dir : NULL, .map_size = 64ULL << 20, .batch = 1};
    int rc = hq_sim_new(&so, t->schemas, t->rules, tc->start_ms, &r.sim, err);
    for (size_t s = 0; rc == 0 && s < tc->nsteps && !r.stop; s++) {
        const step *st = &tc->steps[s];
        if ((rc = run_step(&r, st, err)) != 0)
            break;
        /* What the expectations and references see. */
        if (st->kind == ST_EVENT || st->kind == ST_ACT || st->kind == ST_ADVANCE || st->kind == ST_AT ||
            st->kind == ST_EXPECT_REJECTED)
            rc = load_state(&r, err);
    }
    issues_clear(&r);
    recs_clear(&r);
    hq_sim_destroy(&r.sim);
    *result = rc ? HQ_RT_ERROR : r.result;
    return rc;
}
