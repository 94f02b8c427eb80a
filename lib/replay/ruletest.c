/* ruletest.c - rule tests (ruletest.h; the format is in rules/README-tests.md).
 *
 * Two phases.  Loading compiles the YAML into a list of steps and checks
 * everything that can be known without running: keys, values, the clock
 * (which only depends on start, advance and at), the events of `event`
 * and `act` steps against their schemas, the names an expectation uses.
 * Running (ruletest_run.c) feeds the steps to a sim (sim.h) and compares
 * what the scratch state holds with the expectations.  This file: times,
 * packing YAML events into msgpack frames, loading.
 */
#include "ruletest_int.h"

#include "buf.h"
#include "issue.h"
#include "mem.h"
#include "mp.h"
#include "ytree.h"

#include <ctype.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_SOURCE "rule-test"
#define DEFAULT_ACTOR "rule-test"
/* What a reference stands for while the file is checked (no issue exists). */
#define REF_PLACEHOLDER "HQ-2000-000001"

/* The words the engine starts timeline entries and outbox kinds with
 * (engine.c); a test that names another is an error, so that a typo in
 * expect_no_outbox cannot pass.  Keep in step with the engine. */
static const char *const timeline_words[] = {
    "opened",  "acknowledged", "rectified",  "reopened", "closed", "overdue",           "escalated", "accountability",
    "penalty", "reminder",     "occurrence", "comment",  "recurrence", "opinion", "missed-while-down", "late", "missed", "data_resumed",
    "satisfied", "unsolved", "moderated", "merged", NULL,
};
static const char *const outbox_kinds[] = {
    "opened", "reminder", "overdue", "escalated", "accountability", "penalty", "reopened", "closed", "rectified",
    "feedback", "unsolved", NULL,
};

const char *const hq_rt_step_names[ST_COUNT + 1] = {
    "event",         "act",           "advance",       "at",
    "expect_issues", "expect_issue",  "expect_no_issue", "expect_outbox",
    "expect_no_outbox", "expect_rejected", NULL,
};

static const fdef fdefs[] = {
    {"number", K_NUMBER, V_REF, W_ISSUE},
    {"issue", K_ISSUE, V_REF, W_OUTBOX},
    {"rule", K_RULE, V_STR, W_BOTH},
    {"key", K_KEY, V_STR, W_ISSUE},
    {"state", K_STATE, V_STR, W_ISSUE},
    {"kind", K_KIND, V_STR, W_OUTBOX},
    {"domain", K_DOMAIN, V_STR, W_BOTH},
    {"contractor", K_CONTRACTOR, V_STR, W_BOTH},
    {"site", K_SITE, V_STR, W_BOTH},
    {"category", K_CATEGORY, V_STR, W_ISSUE},
    {"owner", K_OWNER, V_STR, W_ISSUE},
    {"severity", K_SEVERITY, V_STR, W_BOTH},
    {"title", K_TITLE, V_STR, W_BOTH},
    {"title_contains", K_TITLE_CONTAINS, V_STR, W_BOTH},
    {"description_contains", K_DESCRIPTION_CONTAINS, V_STR, W_ISSUE},
    {"text_contains", K_TEXT_CONTAINS, V_STR, W_OUTBOX},
    {"level", K_LEVEL, V_INT, W_BOTH},
    {"overdue", K_OVERDUE, V_BOOL, W_ISSUE},
    {"accountability", K_ACCOUNTABILITY, V_BOOL, W_ISSUE},
    {"occurrences", K_OCCURRENCES, V_INT, W_ISSUE},
    {"opened_at", K_OPENED_AT, V_TIME, W_ISSUE},
    {"closed_at", K_CLOSED_AT, V_TIME, W_ISSUE},
    {"deadline_at", K_DEADLINE_AT, V_TIME, W_BOTH},
    {"at", K_AT, V_TIME, W_OUTBOX},
    {"penalty_total", K_PENALTY_TOTAL, V_YUAN, W_ISSUE},
    {"penalties", K_PENALTIES, V_INT, W_ISSUE},
    {"timeline_contains", K_TIMELINE_CONTAINS, V_WORDS, W_ISSUE},
    {"timeline", K_TIMELINE, V_WORDS, W_ISSUE},
    {"roles", K_ROLES, V_WORDS, W_OUTBOX},
    {"roles_include", K_ROLES_INCLUDE, V_WORDS, W_OUTBOX},
};
#define NFDEFS (sizeof fdefs / sizeof *fdefs)









const char *hq_rt_result_name(hq_rt_result r)
{
    return r == HQ_RT_PASS ? "PASS" : r == HQ_RT_FAIL ? "FAIL" : "ERROR";
}

/* ---- times ---- */

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

int hq_rt_parse_time(const char *s, int64_t *ms)
{
    int Y, M, D, h = 0, m = 0, sec = 0, frac = 0;
    if (!s || strlen(s) < 10 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
        !digits(s + 8, 2, &D))
        return HQ_EINVAL;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &m))
            return HQ_EINVAL;
        p += 5;
        if (*p == ':') {
            if (!digits(p + 1, 2, &sec))
                return HQ_EINVAL;
            p += 3;
            if (*p == '.') {
                int nd = 0;
                p++;
                while (isdigit((unsigned char)*p)) {
                    if (nd < 3) {
                        frac = frac * 10 + (*p - '0');
                        nd++;
                    }
                    p++;
                }
                if (nd == 0)
                    return HQ_EINVAL;
                while (nd++ < 3)
                    frac *= 10;
            }
        }
    }
    bool has_off = false;
    int off_s = 0;
    if (*p == 'Z') {
        has_off = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!digits(p, 2, &oh))
            return HQ_EINVAL;
        p += 2;
        if (*p == ':')
            p++;
        if (!digits(p, 2, &om))
            return HQ_EINVAL;
        p += 2;
        if (oh > 23 || om > 59)
            return HQ_EINVAL;
        has_off = true;
        off_s = sign * (oh * 3600 + om * 60);
    }
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 59)
        return HQ_EINVAL;
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_min = m,
                    .tm_sec = sec, .tm_isdst = -1};
    time_t t = has_off ? timegm(&tm) : mktime(&tm);
    if (t == (time_t)-1 && !(Y == 1969 || Y == 1970))
        return HQ_EINVAL;
    if (tm.tm_mday != D || tm.tm_mon != M - 1) /* 2026-02-30 */
        return HQ_EINVAL;
    *ms = (int64_t)(t - off_s) * 1000 + frac;
    return 0;
}

void hq_rt_format_time(int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char date[40];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff;
    char zone[16];
    if (off == 0)
        snprintf(zone, sizeof zone, "Z");
    else
        snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
    if (frac)
        snprintf(buf, size, "%s.%03d%s", date, frac, zone);
    else
        snprintf(buf, size, "%s%s", date, zone);
}

void hq_rt_fmt_duration(int64_t ms, char *buf, size_t size)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{604800000, "w"}, {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof units / sizeof *units && ms > 0; i++)
        if (ms >= units[i].ms) {
            n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%lld%s", (long long)(ms / units[i].ms),
                                  units[i].unit);
            ms %= units[i].ms;
        }
    if (!buf[0])
        snprintf(buf, size, "0s");
}

/* ---- packing YAML into msgpack, guided by the schema ---- */

static const hq_field *field_named(const hq_field *map, const char *name)
{
    if (!map)
        return NULL;
    for (size_t i = 0; i < map->nfields; i++)
        if (!strcmp(map->fields[i].name, name))
            return &map->fields[i];
    return NULL;
}

/* A plain scalar is typed by the field it fills: text for string and
 * enum fields (so that 001 stays "001"), a number for numeric ones, a
 * time like 2026-09-01T08:00:00+08:00 for timestamps.  Without a field
 * (unknown to the schema: validation will say so), YAML's usual reading. */
static void pack_scalar(msgpack_packer *pk, const hq_ynode *n, const hq_field *f)
{
    int64_t iv;
    double dv;
    if (n->quoted || (f && (f->type == HQ_F_STRING || f->type == HQ_F_ENUM))) {
        hq_mp_pack_strn(pk, n->str, n->len);
        return;
    }
    if (f && f->type == HQ_F_TIMESTAMP && !hq_parse_int64(n->str, &iv) && hq_rt_parse_time(n->str, &iv) == 0) {
        msgpack_pack_int64(pk, iv);
        return;
    }
    if (!strcmp(n->str, "null") || !strcmp(n->str, "~"))
        msgpack_pack_nil(pk);
    else if (!strcmp(n->str, "true"))
        msgpack_pack_true(pk);
    else if (!strcmp(n->str, "false"))
        msgpack_pack_false(pk);
    else if (hq_parse_int64(n->str, &iv))
        msgpack_pack_int64(pk, iv);
    else if (hq_parse_double(n->str, &dv))
        msgpack_pack_double(pk, dv);
    else
        hq_mp_pack_strn(pk, n->str, n->len);
}

static void pack_node(msgpack_packer *pk, const hq_ynode *n, const hq_field *f)
{
    switch (n->type) {
    case HQ_Y_SCALAR: pack_scalar(pk, n, f); break;
    case HQ_Y_SEQ:
        msgpack_pack_array(pk, n->len);
        for (size_t i = 0; i < n->len; i++)
            pack_node(pk, n->kids[i], f && f->type == HQ_F_ARRAY ? f->items : NULL);
        break;
    case HQ_Y_MAP:
        msgpack_pack_map(pk, n->len);
        for (size_t i = 0; i < n->len; i++) {
            const hq_ynode *k = hq_ymap_key(n, i);
            hq_mp_pack_strn(pk, k->str, k->len);
            pack_node(pk, hq_ymap_val(n, i), f && f->type == HQ_F_MAP ? field_named(f, k->str) : NULL);
        }
        break;
    }
}

/* Resolves an issue reference ($last, $2, or a number); returns 0 with
 * the number in out, or HQ_ENOTFOUND with the reason in err. */

static bool is_envelope_key(const char *k)
{
    return !strcmp(k, "type") || !strcmp(k, "source") || !strcmp(k, "id") || !strcmp(k, "ts");
}

/* Packs the event of an event/act/expect_rejected step: the envelope, ts
 * (the clock unless the step says), id (made from the line unless the
 * step says), and data with $-references in data.issue resolved. */
int hq_rt_pack_event(const evspec *e, int line, int64_t clock_ms, hq_rt_ref_fn ref, void *ctx, msgpack_sbuffer *sb,
                      hq_err *err)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    char id[40];
    snprintf(id, sizeof id, "rt-L%d", line);
    msgpack_pack_map(&pk, 5);
    hq_mp_pack_str(&pk, "id");
    hq_mp_pack_str(&pk, e->id ? e->id : id);
    hq_mp_pack_str(&pk, "type");
    hq_mp_pack_str(&pk, e->type ? e->type : "");
    hq_mp_pack_str(&pk, "source");
    hq_mp_pack_str(&pk, e->source ? e->source : DEFAULT_SOURCE);
    hq_mp_pack_str(&pk, "ts");
    msgpack_pack_int64(&pk, e->has_ts ? e->ts_ms : clock_ms);
    hq_mp_pack_str(&pk, "data");
    const hq_field *df = e->schema ? &e->schema->data : NULL;
    const hq_ynode *map = e->act ? e->node : e->data;
    size_t n = 0;
    bool add_actor = false;
    if (map && map->type == HQ_Y_MAP)
        for (size_t i = 0; i < map->len; i++)
            if (!e->act || !is_envelope_key(hq_ymap_key(map, i)->str))
                n++;
    if (e->act && !hq_ymap_get(map, "actor") && field_named(df, "actor")) {
        add_actor = true;
        n++;
    }
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; map && map->type == HQ_Y_MAP && i < map->len; i++) {
        const hq_ynode *k = hq_ymap_key(map, i), *v = hq_ymap_val(map, i);
        if (e->act && is_envelope_key(k->str))
            continue;
        hq_mp_pack_strn(&pk, k->str, k->len);
        hq_rt_ref rf;
        if (!strcmp(k->str, "issue") && v->type == HQ_Y_SCALAR && hq_rt_ref_parse(v->str, &rf) == 0) {
            char num[64];
            int rc = ref(ctx, v->str, num, sizeof num, err);
            if (rc) {
                err->line = v->line;
                err->column = v->column;
                return rc;
            }
            hq_mp_pack_str(&pk, num);
        } else {
            pack_node(&pk, v, field_named(df, k->str));
        }
    }
    if (add_actor) {
        hq_mp_pack_str(&pk, "actor");
        hq_mp_pack_str(&pk, DEFAULT_ACTOR);
    }
    return 0;
}

/* The YAML node a validation message's path ("data.items.2.result: ...")
 * names, or the closest one above it. */
const hq_ynode *hq_rt_node_of_path(const evspec *e, const char *msg)
{
    const hq_ynode *n = e->act ? e->node : (e->data ? e->data : e->node);
    if (strncmp(msg, "data", 4) != 0 || (msg[4] != '.' && msg[4] != ':'))
        return e->node;
    const char *p = msg + 4;
    while (*p == '.') {
        p++;
        size_t len = strcspn(p, ".: ");
        char part[128];
        snprintf(part, sizeof part, "%.*s", (int)(len < sizeof part ? len : sizeof part - 1), p);
        const hq_ynode *next = NULL;
        if (n->type == HQ_Y_MAP) {
            next = hq_ymap_get(n, part);
        } else if (n->type == HQ_Y_SEQ) {
            char *end;
            unsigned long ix = strtoul(part, &end, 10);
            if (*part && !*end && ix < n->len)
                next = n->kids[ix];
        }
        if (!next)
            break;
        n = next;
        p += len;
    }
    return n;
}

/* ---- loading ---- */

typedef struct loader {
    hq_ruletests *t;
    hq_diags *d;
    const hq_ydoc *doc;
} loader;

static int placeholder_ref(void *ctx, const char *ref, char *out, size_t size, hq_err *err)
{
    snprintf(out, size, "%s", REF_PLACEHOLDER);
    return 0;
}

int hq_rt_ref_parse(const char *s, hq_rt_ref *out)
{
    memset(out, 0, sizeof *out);
    if (strncmp(s, "HQ-", 3) == 0) {
        out->kind = REF_NUMBER;
        return 0;
    }
    if (s[0] != '$')
        return HQ_EINVAL;
    const char *colon = strchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : strlen(s);
    if (len == 5 && !strncmp(s, "$last", 5)) {
        out->kind = REF_LAST;
    } else {
        char *end;
        long v = strtol(s + 1, &end, 10);
        if (len < 2 || end != s + len || v < 1 || !isdigit((unsigned char)s[1]))
            return HQ_EINVAL;
        out->kind = REF_NTH;
        out->n = v;
    }
    if (colon) {
        if (!colon[1])
            return HQ_EINVAL;
        out->rule = colon + 1;
    }
    return 0;
}

/* Checks an issue reference; adds a diagnostic at n when it is wrong. */
static bool ref_ok(loader *L, const hq_ynode *n, const char *what)
{
    hq_rt_ref ref;
    if (hq_rt_ref_parse(n->str, &ref) != 0) {
        hq_ydiag(L->d, L->doc, n,
                 "%s: expected $last, $N (the Nth issue opened in this test), either of them with :RULE, or a "
                 "number like HQ-2026-000001, got \"%s\"", what, n->str);
        return false;
    }
    if (ref.rule && !hq_rules_find(L->t->rules, ref.rule)) {
        hq_ydiag(L->d, L->doc, n, "%s: unknown rule \"%s\" (not in the rules under test)", what, ref.rule);
        return false;
    }
    return true;
}

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

static void list_text(const char *const *list, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (const char *const *p = list; *p; p++)
        n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", p == list ? "" : ", ", *p);
}

static int get_time(loader *L, const hq_ynode *n, int64_t *ms)
{
    if (!n || n->type != HQ_Y_SCALAR) {
        hq_ydiag(L->d, L->doc, n, "expected a time like 2026-09-01T08:00:00+08:00");
        return HQ_EINVAL;
    }
    if (hq_rt_parse_time(n->str, ms) != 0) {
        hq_ydiag(L->d, L->doc, n, "expected a time like 2026-09-01T08:00:00+08:00, got \"%s\"", n->str);
        return HQ_EINVAL;
    }
    return 0;
}

/* strict: the event must be valid (event and act steps); otherwise it is
 * only packed (expect_rejected). */
static int load_event(loader *L, const hq_ynode *n, bool act, bool strict, int line, int64_t clock_ms, evspec *e)
{
    static const char *const ev_keys[] = {"type", "source", "id", "ts", "data", NULL};
    memset(e, 0, sizeof *e);
    e->act = act;
    e->node = n;
    if (!n || n->type != HQ_Y_MAP) {
        hq_ydiag(L->d, L->doc, n, "expected a mapping with the event's type and fields");
        return HQ_EINVAL;
    }
    int bad = act ? 0 : hq_ycheck_keys(L->d, L->doc, n, ev_keys);
    const hq_ynode *v = hq_yrequire(L->d, L->doc, n, "type");
    if (!v || hq_yget_str(L->d, L->doc, v, &e->type) != 0)
        bad++;
    else if (act && strncmp(e->type, "issue.", 6) != 0) {
        hq_ydiag(L->d, L->doc, v, "act is for lifecycle events (issue.*), got \"%s\"; use event", e->type);
        bad++;
    }
    if ((v = hq_ymap_get(n, "source")) && hq_yget_str(L->d, L->doc, v, &e->source) != 0)
        bad++;
    if ((v = hq_ymap_get(n, "id")) && hq_yget_str(L->d, L->doc, v, &e->id) != 0)
        bad++;
    if ((v = hq_ymap_get(n, "ts"))) {
        e->has_ts = true;
        if (!(v->type == HQ_Y_SCALAR && hq_parse_int64(v->str, &e->ts_ms)) && get_time(L, v, &e->ts_ms) != 0)
            bad++;
    }
    if (!act && (e->data = hq_ymap_get(n, "data")) && e->data->type != HQ_Y_MAP) {
        hq_ydiag(L->d, L->doc, e->data, "data: expected a mapping of the event's fields");
        bad++;
    }
    /* data.issue: a reference ($last, $2, ...) or a number */
    const hq_ynode *data = act ? n : e->data;
    if (data && (v = hq_ymap_get(data, "issue")) && v->type == HQ_Y_SCALAR && (act || v->str[0] == '$') &&
        !ref_ok(L, v, "issue"))
        bad++;
    if (bad)
        return HQ_EINVAL;
    e->schema = hq_schemas_find(L->t->schemas, e->type, strlen(e->type));
    if (!strict)
        return 0;
    if (!e->schema) {
        hq_ydiag(L->d, L->doc, hq_ymap_get(n, "type"), "unknown event type \"%s\" (no schema of that name)", e->type);
        return HQ_EINVAL;
    }
    /* Decode what would be sent, as houqind would. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    hq_err err = {0};
    int rc = hq_rt_pack_event(e, line, clock_ms, placeholder_ref, NULL, &sb, &err);
    if (rc == 0) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        hq_event ev;
        rc = hq_event_decode(sb.data, sb.size, NULL, L->t->schemas, &zone, &ev, &err);
        if (rc)
            hq_ydiag(L->d, L->doc, hq_rt_node_of_path(e, err.msg), "%s event: %s", e->type, err.msg);
        msgpack_zone_destroy(&zone);
    }
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static const fdef *fdef_find(const char *name, unsigned where)
{
    for (size_t i = 0; i < NFDEFS; i++)
        if ((fdefs[i].where & where) && !strcmp(fdefs[i].name, name))
            return &fdefs[i];
    return NULL;
}

static int load_words(loader *L, const fcond *c, const char ***out, size_t *n)
{
    const hq_ynode *v = c->node;
    size_t cnt = v->type == HQ_Y_SEQ ? v->len : 1;
    const char **w = hq_calloc(cnt ? cnt : 1, sizeof *w);
    int bad = 0;
    for (size_t i = 0; i < cnt; i++) {
        const hq_ynode *it = v->type == HQ_Y_SEQ ? v->kids[i] : v;
        if (hq_yget_str(L->d, L->doc, it, &w[i]) != 0) {
            bad++;
            continue;
        }
        if (c->def->id == K_ROLES || c->def->id == K_ROLES_INCLUDE) {
            hq_role r;
            if (hq_role_parse(w[i], &r) != 0) {
                hq_ydiag(L->d, L->doc, it, "unknown role \"%s\"", w[i]);
                bad++;
            }
        } else if (!in_list(timeline_words, w[i])) {
            char list[400];
            list_text(timeline_words, list, sizeof list);
            hq_ydiag(L->d, L->doc, it, "unknown timeline word \"%s\" (expected one of: %s)", w[i], list);
            bad++;
        }
    }
    *out = w;
    *n = cnt;
    return bad ? HQ_EINVAL : 0;
}

/* A string condition's value: a known rule, state, severity or outbox
 * kind where the field names one.  0, or -1 (said). */
static int load_string(loader *L, fcond *c, const hq_ynode *v)
{
    const fdef *def = c->def;
    if (hq_yget_str(L->d, L->doc, v, &c->s) != 0)
        return -1;
    if (def->vt == V_REF && !ref_ok(L, v, def->name))
        return -1;
    if (def->id == K_RULE && !hq_rules_find(L->t->rules, c->s)) {
        hq_ydiag(L->d, L->doc, v, "unknown rule \"%s\" (not in the rules under test)", c->s);
        return -1;
    }
    if (def->id == K_STATE) {
        hq_issue_state s;
        if (strcmp(c->s, "open") != 0 && hq_issue_state_parse(c->s, &s) != 0) {
            hq_ydiag(L->d, L->doc, v, "state: expected opened, acknowledged, rectified, reopened, closed "
                                      "or open (any but closed), got \"%s\"", c->s);
            return -1;
        }
    } else if (def->id == K_SEVERITY) {
        hq_severity s;
        if (hq_severity_parse(c->s, &s) != 0) {
            hq_ydiag(L->d, L->doc, v, "severity: expected low, medium, high or critical, got \"%s\"", c->s);
            return -1;
        }
    } else if (def->id == K_KIND && !in_list(outbox_kinds, c->s)) {
        char list[300];
        list_text(outbox_kinds, list, sizeof list);
        hq_ydiag(L->d, L->doc, v, "kind: unknown outbox kind \"%s\" (expected one of: %s)", c->s, list);
        return -1;
    }
    return 0;
}

/* A condition's value v, read as its field's type says.  0, or -1
 * (said). */
static int load_value(loader *L, fcond *c, const hq_ynode *v)
{
    double y;
    switch (c->def->vt) {
    case V_STR:
    case V_REF: return load_string(L, c, v);
    case V_INT: return hq_yget_int(L->d, L->doc, v, &c->i) != 0 ? -1 : 0;
    case V_BOOL: return hq_yget_bool(L->d, L->doc, v, &c->b) != 0 ? -1 : 0;
    case V_TIME: return get_time(L, v, &c->i) != 0 ? -1 : 0;
    case V_YUAN:
        if (hq_yget_number(L->d, L->doc, v, &y) != 0)
            return -1;
        c->i = llround(y * 100);
        return 0;
    case V_WORDS: return load_words(L, c, &c->words, &c->nwords) != 0 ? -1 : 0;
    }
    return 0;
}

/* Says that step kind has no field k, and lists the fields it has. */
static void unknown_field(loader *L, const hq_ynode *k, unsigned where, step_kind kind, bool allow_count)
{
    char list[700] = "";
    size_t used = 0;
    for (size_t j = 0; j < NFDEFS; j++)
        if (fdefs[j].where & where)
            used += (size_t)snprintf(list + used, used < sizeof list ? sizeof list - used : 0, "%s%s",
                                     used ? ", " : "", fdefs[j].name);
    if (allow_count)
        snprintf(list + used, used < sizeof list ? sizeof list - used : 0, ", count");
    hq_ydiag(L->d, L->doc, k, "%s: unknown field \"%s\" (expected one of: %s)", hq_rt_step_names[kind], k->str,
             list);
}

/* An expectation's mapping: conditions on issue or outbox fields, and
 * count where allowed. */
static int load_filter(loader *L, const hq_ynode *n, unsigned where, step_kind kind, step *st)
{
    if (!n || n->type != HQ_Y_MAP) {
        hq_ydiag(L->d, L->doc, n, "%s: expected a mapping of %s fields", hq_rt_step_names[kind],
                 where == W_ISSUE ? "issue" : "outbox record");
        return HQ_EINVAL;
    }
    bool allow_count = kind == ST_EXPECT_ISSUES || kind == ST_EXPECT_OUTBOX;
    st->conds = hq_calloc(n->len ? n->len : 1, sizeof *st->conds);
    int bad = 0;
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *k = hq_ymap_key(n, i), *v = hq_ymap_val(n, i);
        if (allow_count && !strcmp(k->str, "count")) {
            st->has_count = true;
            if (hq_yget_int(L->d, L->doc, v, &st->count) != 0)
                bad++;
            else if (st->count < 0) {
                hq_ydiag(L->d, L->doc, v, "count: expected 0 or more, got %lld", (long long)st->count);
                bad++;
            }
            continue;
        }
        const fdef *def = fdef_find(k->str, where);
        if (!def) {
            unknown_field(L, k, where, kind, allow_count);
            bad++;
            continue;
        }
        fcond *c = &st->conds[st->nconds++];
        c->def = def;
        c->node = v;
        if (load_value(L, c, v) != 0)
            bad++;
    }
    if (kind == ST_EXPECT_ISSUES && !st->has_count) {
        hq_ydiag(L->d, L->doc, n, "expect_issues: missing required key \"count\" (or write expect_issues: N)");
        bad++;
    }
    return bad ? HQ_EINVAL : 0;
}

static int load_step(loader *L, const hq_ynode *n, int64_t *clock_ms, step *st)
{
    memset(st, 0, sizeof *st);
    st->line = n->line;
    st->column = n->column;
    if (n->type != HQ_Y_MAP || n->len != 1) {
        char list[300];
        list_text(hq_rt_step_names, list, sizeof list);
        hq_ydiag(L->d, L->doc, n, "a step is a mapping with one key, one of: %s", list);
        return HQ_EINVAL;
    }
    const hq_ynode *k = hq_ymap_key(n, 0), *v = hq_ymap_val(n, 0);
    st->val = v;
    int kind = -1;
    for (int i = 0; i < ST_COUNT; i++)
        if (!strcmp(hq_rt_step_names[i], k->str))
            kind = i;
    if (kind < 0) {
        char list[300];
        list_text(hq_rt_step_names, list, sizeof list);
        hq_ydiag(L->d, L->doc, k, "unknown step \"%s\" (expected one of: %s)", k->str, list);
        return HQ_EINVAL;
    }
    st->kind = (step_kind)kind;
    st->clock_ms = *clock_ms;
    switch (st->kind) {
    case ST_EVENT:
    case ST_ACT: return load_event(L, v, st->kind == ST_ACT, true, st->line, *clock_ms, &st->ev);
    case ST_ADVANCE:
        if (hq_yget_duration_ms(L->d, L->doc, v, &st->ms) != 0)
            return HQ_EINVAL;
        if (st->ms <= 0) {
            hq_ydiag(L->d, L->doc, v, "advance: expected a duration above zero like 10m");
            return HQ_EINVAL;
        }
        *clock_ms += st->ms;
        return 0;
    case ST_AT:
        if (get_time(L, v, &st->ms) != 0)
            return HQ_EINVAL;
        if (st->ms < *clock_ms) {
            char now[48], at[48];
            hq_rt_format_time(*clock_ms, now, sizeof now);
            hq_rt_format_time(st->ms, at, sizeof at);
            hq_ydiag(L->d, L->doc, v, "at: the clock cannot go back: it is %s here, %s is earlier", now, at);
            return HQ_EINVAL;
        }
        *clock_ms = st->ms;
        return 0;
    case ST_EXPECT_ISSUES:
        if (v->type == HQ_Y_SCALAR) {
            st->has_count = true;
            if (hq_yget_int(L->d, L->doc, v, &st->count) != 0)
                return HQ_EINVAL;
            if (st->count < 0) {
                hq_ydiag(L->d, L->doc, v, "expect_issues: expected 0 or more, got %lld", (long long)st->count);
                return HQ_EINVAL;
            }
            return 0;
        }
        return load_filter(L, v, W_ISSUE, st->kind, st);
    case ST_EXPECT_ISSUE:
    case ST_EXPECT_NO_ISSUE: return load_filter(L, v, W_ISSUE, st->kind, st);
    case ST_EXPECT_OUTBOX:
    case ST_EXPECT_NO_OUTBOX: return load_filter(L, v, W_OUTBOX, st->kind, st);
    case ST_EXPECT_REJECTED: {
        static const char *const keys[] = {"event", "act", "error_contains", NULL};
        if (hq_ycheck_keys(L->d, L->doc, v, keys))
            return HQ_EINVAL;
        const hq_ynode *e = hq_ymap_get(v, "event"), *a = hq_ymap_get(v, "act"), *c;
        if (!!e == !!a) {
            hq_ydiag(L->d, L->doc, v, "expect_rejected: give the refused event as either event or act");
            return HQ_EINVAL;
        }
        if ((c = hq_ymap_get(v, "error_contains")) && hq_yget_str(L->d, L->doc, c, &st->error_contains) != 0)
            return HQ_EINVAL;
        return load_event(L, e ? e : a, a != NULL, false, st->line, *clock_ms, &st->ev);
    }
    default: return HQ_EINVAL;
    }
}

static int load_test(loader *L, const hq_ynode *n, test *t)
{
    static const char *const keys[] = {"name", "description", "start", "steps", NULL};
    t->line = n ? n->line : 1;
    if (!n || n->type != HQ_Y_MAP) {
        hq_ycheck_keys(L->d, L->doc, n, keys);
        t->name = hq_strdup("");
        return HQ_EINVAL;
    }
    int bad = hq_ycheck_keys(L->d, L->doc, n, keys);
    const char *name = NULL;
    const hq_ynode *v = hq_yrequire(L->d, L->doc, n, "name");
    if (!v || hq_yget_str(L->d, L->doc, v, &name) != 0)
        bad++;
    t->name = hq_strdup(name ? name : "");
    if ((v = hq_ymap_get(n, "description")) && v->type != HQ_Y_SCALAR) {
        hq_ydiag(L->d, L->doc, v, "description: expected text");
        bad++;
    }
    v = hq_yrequire(L->d, L->doc, n, "start");
    if (!v || get_time(L, v, &t->start_ms) != 0)
        return HQ_EINVAL; /* the steps' clock depends on it */
    const hq_ynode *steps = hq_yrequire(L->d, L->doc, n, "steps");
    if (!steps)
        return HQ_EINVAL;
    if (steps->type != HQ_Y_SEQ || steps->len == 0) {
        hq_ydiag(L->d, L->doc, steps, "steps: expected a list of steps");
        return HQ_EINVAL;
    }
    t->steps = hq_calloc(steps->len, sizeof *t->steps);
    int64_t clock_ms = t->start_ms;
    for (size_t i = 0; i < steps->len; i++) {
        if (load_step(L, steps->kids[i], &clock_ms, &t->steps[i]) != 0)
            bad++;
        t->nsteps = i + 1;
    }
    return bad ? HQ_EINVAL : 0;
}

static void test_fini(test *t)
{
    for (size_t i = 0; i < t->nsteps; i++) {
        for (size_t j = 0; j < t->steps[i].nconds; j++)
            free(t->steps[i].conds[j].words);
        free(t->steps[i].conds);
    }
    free(t->steps);
    free(t->name);
}

void hq_ruletests_destroy(hq_ruletests **tp)
{
    hq_ruletests *t = tp ? *tp : NULL;
    if (!t)
        return;
    for (size_t i = 0; i < t->ntests; i++)
        test_fini(&t->tests[i]);
    free(t->tests);
    hq_ydoc_destroy(&t->doc);
    free(t->file);
    free(t);
    *tp = NULL;
}

int hq_ruletests_load(const char *path, const hq_schemas *schemas, const hq_rules *rules, hq_ruletests **out,
                      hq_diags *diags)
{
    hq_ydoc *doc = NULL;
    int rc = hq_ydoc_load_diag(path, NULL, &doc, diags);
    if (rc)
        return rc;
    hq_ruletests *t = hq_calloc(1, sizeof *t);
    t->file = hq_strdup(path);
    t->doc = doc;
    t->schemas = schemas;
    t->rules = rules;
    loader L = {t, diags, doc};
    size_t before = diags->count;
    const hq_ynode *root = doc->root;
    if (!root || root->type != HQ_Y_MAP) {
        hq_diags_add(diags, path, root ? root->line : 1, root ? root->column : 1,
                     "a test file is a mapping: name, start and steps of one test, or tests: a list of them");
    } else if (hq_ymap_get(root, "tests")) {
        static const char *const keys[] = {"tests", NULL};
        const hq_ynode *list = hq_ymap_get(root, "tests");
        if (hq_ycheck_keys(diags, doc, root, keys) == 0) {
            if (list->type != HQ_Y_SEQ || list->len == 0) {
                hq_ydiag(diags, doc, list, "tests: expected a list of tests (each with name, start and steps)");
            } else {
                t->tests = hq_calloc(list->len, sizeof *t->tests);
                for (size_t i = 0; i < list->len; i++) {
                    load_test(&L, list->kids[i], &t->tests[i]);
                    t->ntests = i + 1;
                }
            }
        }
    } else {
        t->tests = hq_calloc(1, sizeof *t->tests);
        t->ntests = 1;
        load_test(&L, root, &t->tests[0]);
    }
    if (diags->count > before || t->ntests == 0) {
        if (diags->count == before)
            hq_diags_add(diags, path, 1, 1, "no tests in the file");
        hq_ruletests_destroy(&t);
        return HQ_EINVAL;
    }
    /* Two tests with one name would make reports ambiguous. */
    for (size_t i = 0; i < t->ntests; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->tests[i].name, t->tests[j].name))
                hq_diags_add(diags, path, t->tests[i].line, 0, "a second test named \"%s\" (the first is at line %d)",
                             t->tests[i].name, t->tests[j].line);
    if (diags->count > before) {
        hq_ruletests_destroy(&t);
        return HQ_EINVAL;
    }
    *out = t;
    return 0;
}

size_t hq_ruletests_count(const hq_ruletests *t)
{
    return t->ntests;
}

const char *hq_ruletests_file(const hq_ruletests *t)
{
    return t->file;
}

const char *hq_ruletests_name(const hq_ruletests *t, size_t i)
{
    return i < t->ntests ? t->tests[i].name : NULL;
}

int hq_ruletests_line(const hq_ruletests *t, size_t i)
{
    return i < t->ntests ? t->tests[i].line : 0;
}
