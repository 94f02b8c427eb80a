/* test_engine.c - the engine (lib/engine.c) through its API, as a
 * specification: counting windows, grouping into one open issue per rule
 * and key, recurrence after a close, the deadline timer, and lifecycle
 * actions that do not fit.
 *
 * Each test gets a rules directory (the shipped registries, chains and
 * penalty terms, plus the one rule below) and a fresh LMDB state.  Events
 * go in the way houqind's ingest applies them: decoded and validated
 * against the shipped schemas, hq_engine_event() with the sequence number
 * the event will get, then appended to the log, one transaction each (a
 * refused event is aborted, not stored).  Timers fire through
 * hq_engine_fire_due() at the time the test says.
 *
 * Counting windows follow the events' ts; opening, deadlines and
 * recurrence follow the engine's now.  The tests keep the two apart where
 * it matters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clock.h"
#include "engine.h"
#include "hq_test.h"
#include "issue.h"
#include "json.h"
#include "outbox.h"
#include "rt_fixture.h"
#include "store.h"
#include "timer.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* 2026-09-01T08:00:00+08:00 */
#define T0 1788220800000LL

/* Three catering complaints about one site within an hour open an issue
 * for the site; 4 h deadline on the standard chain (level 2 after 24 h
 * overdue, level 3 with accountability after 72 h); a new issue within 30
 * days of the last one closing is a recurrence. */
static const char rules_yaml[] =
    "rules:\n"
    "  - id: t.burst\n"
    "    on: complaint.submitted\n"
    "    when: {field: data.domain, eq: catering}\n"
    "    count: {at_least: 3, within: 1h}\n"
    "    key: \"{{data.site}}\"\n"
    "    recurrence: {within: 30d}\n"
    "    issue: {title: \"complaints about {{data.site}}\", domain: catering, severity: medium,\n"
    "            deadline: 4h, chain: standard}\n"
    /* A cold-storage sensor above 8 for 30 minutes; clears itself after
     * 30 minutes back to normal; it follows cold-storage readings only. */
    "  - id: t.cold\n"
    "    on: sensor.reading\n"
    "    scope: {field: data.kind, eq: cold_storage_temp}\n"
    "    when: {field: data.value, gt: 8}\n"
    "    sustained: {for: 30m, clears_after: 30m}\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue: {title: \"cold {{data.sensor}}\", domain: catering, severity: high, deadline: 4h, chain: urgent}\n"
    /* A task not completed by the due date its own event gives (sustained
     * until a time of the event): a completion report stops the clock,
     * other reports are out of scope, a new due date moves it. */
    "  - id: t.due\n"
    "    on: [decision.task, decision.progress]\n"
    "    scope:\n"
    "      any:\n"
    "        - {field: type, eq: decision.task}\n"
    "        - {field: data.status, eq: completed}\n"
    "    when: {field: type, eq: decision.task}\n"
    "    sustained: {until: data.due_ms}\n"
    "    key: \"{{data.task}}\"\n"
    "    issue: {title: \"{{data.task}} due {{until}}\", domain: decisions, deadline: 2d, chain: standard}\n";

typedef struct fixture {
    char *tmp;
    char rules_dir[4096];
    char state[4096];
    hq_schemas *schemas;
    hq_rules *rules;
    hq_store *store;
    hq_engine *engine;
    MDB_txn *txn; /* a read transaction for the checks, or NULL */
    msgpack_sbuffer sb;
    msgpack_zone zone;
    int ids;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->tmp = hq_test_tmpdir();
    snprintf(f->rules_dir, sizeof f->rules_dir, "%s/rules", f->tmp);
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
    hq_rt_rules_dir(f->rules_dir, rules_yaml);
    hq_rt_load(f->rules_dir, &f->schemas, &f->rules);
    if (hq_tz_set("Asia/Shanghai") != 0)
        return -1;
    hq_err err = {0};
    if (hq_store_open(f->state, 0, 0, &f->store, &err) != 0)
        fail_msg("open: %s", err.msg);
    f->engine = hq_engine_new();
    hq_engine_set_rules(f->engine, f->rules);
    hq_engine_set_started(f->engine, T0 - DAY);
    msgpack_sbuffer_init(&f->sb);
    msgpack_zone_init(&f->zone, 4096);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hq_store_abort(f->store, f->txn);
    hq_engine_destroy(&f->engine);
    hq_store_close(&f->store);
    hq_rules_destroy(&f->rules);
    hq_schemas_destroy(&f->schemas);
    msgpack_zone_destroy(&f->zone);
    msgpack_sbuffer_destroy(&f->sb);
    hq_test_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

/* Ends the read transaction of the checks, if any. */
static void end_read(fixture *f)
{
    hq_store_abort(f->store, f->txn);
    f->txn = NULL;
}

static MDB_txn *rd(fixture *f)
{
    if (!f->txn) {
        hq_err err = {0};
        if (hq_store_begin(f->store, false, &f->txn, &err) != 0)
            fail_msg("begin: %s", err.msg);
    }
    return f->txn;
}

typedef struct sent {
    int rc;          /* hq_engine_event's result */
    hq_err err;
    hq_effects fx;
    uint64_t seq;    /* the event's sequence number (stored or not) */
} sent;

/* Applies one event (data as JSON) at now_ms, as ingest does. */
static sent apply(fixture *f, const char *type, int64_t ts_ms, int64_t now_ms, const char *json)
{
    end_read(f);
    char id[32];
    snprintf(id, sizeof id, "e-%d", ++f->ids);
    msgpack_sbuffer_clear(&f->sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &f->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_test_pack_str(&pk, "id");
    hq_test_pack_str(&pk, id);
    hq_test_pack_str(&pk, "type");
    hq_test_pack_str(&pk, type);
    hq_test_pack_str(&pk, "source");
    hq_test_pack_str(&pk, "test");
    hq_test_pack_str(&pk, "ts");
    msgpack_pack_int64(&pk, ts_ms);
    hq_test_pack_str(&pk, "data");
    hq_err err = {0};
    if (hq_json_to_mp("data", json, strlen(json), &pk, &err) != 0)
        fail_msg("data: %s", err.msg);
    msgpack_zone_clear(&f->zone);
    hq_event ev;
    if (hq_event_decode(f->sb.data, f->sb.size, &hq_event_default_limits, f->schemas, &f->zone, &ev, &err) != 0)
        fail_msg("the test's event is rejected: %s: %s", json, err.msg);
    MDB_txn *txn;
    if (hq_store_begin(f->store, true, &txn, &err) != 0)
        fail_msg("begin: %s", err.msg);
    sent r;
    memset(&r, 0, sizeof r);
    if (hq_store_peek_seq(f->store, txn, HQ_DB_EVENTS, &r.seq, &err) != 0)
        fail_msg("peek: %s", err.msg);
    r.rc = hq_engine_event(f->engine, f->store, txn, &ev, r.seq, now_ms, &r.fx, &r.err);
    if (r.rc != 0) {
        hq_store_abort(f->store, txn);
        return r;
    }
    uint64_t seq = 0;
    hq_frame fr = hq_event_frame(&ev);
    if (hq_store_event_append(f->store, txn, &fr, now_ms, &seq, &err) != 0)
        fail_msg("append: %s", err.msg);
    assert_int_equal(seq, r.seq);
    if (hq_store_commit(f->store, txn, &err) != 0)
        fail_msg("commit: %s", err.msg);
    return r;
}

/* A catering complaint about site with ts; applied at now_ms. */
static sent complaint_at(fixture *f, const char *site, int64_t ts_ms, int64_t now_ms)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"domain\": \"catering\", \"site\": \"%s\", \"category\": \"food_quality\", \"text\": \"饭菜有异味\"}",
             site);
    sent r = apply(f, "complaint.submitted", ts_ms, now_ms, json);
    if (r.rc != 0)
        fail_msg("complaint refused: %s", r.err.msg);
    return r;
}

/* The usual case: the event arrives when it happens. */
static sent complaint(fixture *f, const char *site, int64_t ts_ms)
{
    return complaint_at(f, site, ts_ms, ts_ms);
}

/* A lifecycle event about issue number; the engine's result. */
static sent lifecycle(fixture *f, const char *type, const char *number, int64_t now_ms, const char *extra)
{
    char json[512];
    snprintf(json, sizeof json, "{\"issue\": \"%s\", \"actor\": \"hq-cat-02\"%s%s}", number, extra ? ", " : "",
             extra ? extra : "");
    return apply(f, type, now_ms, now_ms, json);
}

static void close_issue(fixture *f, const char *number, int64_t now_ms)
{
    sent r = lifecycle(f, "issue.closed", number, now_ms, "\"reason\": \"已处理\"");
    if (r.rc != 0)
        fail_msg("close %s: %s", number, r.err.msg);
}

/* Fires every timer due by now_ms; returns how many fired. */
static size_t fire(fixture *f, int64_t now_ms, hq_effects *fx_out)
{
    end_read(f);
    MDB_txn *txn;
    hq_err err = {0};
    if (hq_store_begin(f->store, true, &txn, &err) != 0)
        fail_msg("begin: %s", err.msg);
    size_t fired = 0;
    hq_effects fx = {0};
    if (hq_engine_fire_due(f->engine, f->store, txn, now_ms, 1000, &fired, &fx, &err) != 0)
        fail_msg("fire_due: %s", err.msg);
    if (hq_store_commit(f->store, txn, &err) != 0)
        fail_msg("commit: %s", err.msg);
    assert_int_equal(fx.timers_fired, fired);
    if (fx_out)
        *fx_out = fx;
    return fired;
}

/* The open issue of t.burst for key ("" when none). */
static const char *open_issue(fixture *f, const char *key, char *buf, size_t size)
{
    hq_group g;
    hq_err err = {0};
    if (hq_group_get(f->store, rd(f), "t.burst", key, &g, &err) != 0)
        fail_msg("group: %s", err.msg);
    snprintf(buf, size, "%s", g.open);
    return buf;
}

static void load(fixture *f, const char *number, hq_issue *is)
{
    hq_err err = {0};
    if (hq_issue_load(f->store, rd(f), number, is, &err) != 0)
        fail_msg("load %s: %s", number, err.msg);
}

/* Timeline entries of is of a kind ("occurrence:": the kind's code and a colon). */
static int notes(const hq_issue *is, const char *prefix)
{
    int n = 0;
    char code[32];
    snprintf(code, sizeof code, "%.*s", (int)strcspn(prefix, ":"), prefix);
    if (!strcmp(code, "missed-while-down"))
        snprintf(code, sizeof code, "missed");
    for (size_t i = 0; i < is->ntimeline; i++)
        n += strcmp(hq_tl_kind_name(is->timeline[i].kind), code) == 0;
    return n;
}

/* The words of an entry as staff read them. */
static char *words(const hq_tl_entry *e)
{
    static char out[1024];
    hq_buf b;
    hq_buf_init(&b);
    hq_tl_render(e, HQ_TL_STAFF, &b);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    hq_buf_fini(&b);
    return out;
}

/* The kinds of the outbox records [first, last], comma-separated. */
static const char *outbox_kinds(fixture *f, const hq_effects *fx, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!fx->outbox_first)
        return buf;
    for (uint64_t s = fx->outbox_first; s <= fx->outbox_last; s++) {
        const char *rec;
        size_t len;
        hq_err err = {0};
        if (hq_outbox_get(f->store, rd(f), s, &rec, &len, &err) != 0)
            fail_msg("outbox %llu: %s", (unsigned long long)s, err.msg);
        char topic[256];
        hq_outbox_topic(rec, len, topic, sizeof topic); /* alert.<kind>.<domain>.<severity> */
        const char *k = strchr(topic, '.');
        assert_non_null(k);
        k++;
        size_t kl = strcspn(k, ".");
        if (buf[0])
            strncat(buf, ",", size - strlen(buf) - 1);
        strncat(buf, k, kl < size - strlen(buf) - 1 ? kl : size - strlen(buf) - 1);
    }
    return buf;
}

/* Opens the issue for canteen-1 with three complaints at T0 and returns
 * its number in buf. */
static const char *opened(fixture *f, int64_t at, char *buf, size_t size)
{
    complaint(f, "canteen-1", at);
    complaint(f, "canteen-1", at + MIN);
    sent r = complaint(f, "canteen-1", at + 2 * MIN);
    assert_int_equal(r.fx.issues_opened, 1);
    open_issue(f, "canteen-1", buf, size);
    assert_true(buf[0] != '\0');
    return buf;
}

/* ---- window counting ---- */

static void n_matches_within_the_window_open_one_issue_n_minus_1_do_not(void **state)
{
    fixture *f = *state;
    char num[24], kinds[256];
    sent r = complaint(f, "canteen-1", T0);
    assert_int_equal(r.fx.issues_opened, 0);
    assert_int_equal(r.fx.outbox_first, 0);
    r = complaint(f, "canteen-1", T0 + 20 * MIN);
    assert_int_equal(r.fx.issues_opened, 0);
    assert_string_equal(open_issue(f, "canteen-1", num, sizeof num), "");
    r = complaint(f, "canteen-1", T0 + 40 * MIN);
    assert_int_equal(r.fx.issues_opened, 1);
    assert_string_equal(outbox_kinds(f, &r.fx, kinds, sizeof kinds), "opened");
    assert_string_equal(open_issue(f, "canteen-1", num, sizeof num), "HQ-2026-000001");
    hq_issue is;
    load(f, num, &is);
    assert_int_equal(is.state, HQ_IS_OPENED);
    assert_string_equal(is.rule, "t.burst");
    assert_string_equal(is.key, "canteen-1");
    assert_string_equal(is.title, "complaints about canteen-1");
    assert_string_equal(is.site, "canteen-1");
    assert_string_equal(is.contractor, "xinyuan-catering"); /* from the site registry */
    assert_string_equal(is.domain, "catering");
    assert_int_equal(is.occurrences, 1);
    assert_int_equal(is.level, 1);
    assert_false(is.accountability);
    assert_null(is.recurrence_of);
    assert_int_equal(is.opened_ms, T0 + 40 * MIN);
    assert_int_equal(is.deadline_ms, T0 + 40 * MIN + 4 * HOUR);
    assert_int_equal(is.source_seq, r.seq);
    assert_int_equal(notes(&is, "opened:"), 1);
    hq_issue_fini(&is);
    /* Exactly one issue. */
    size_t open = 0, stuck = 0;
    assert_int_equal(hq_engine_audit(f->store, rd(f), &open, &stuck, NULL, 0, NULL), 0);
    assert_int_equal(open, 1);
    assert_int_equal(stuck, 0); /* it has its deadline */
}

static void a_match_exactly_within_ago_has_left_the_window(void **state)
{
    fixture *f = *state;
    char num[24];
    /* canteen-1: the first complaint is exactly 1 h older than the third:
     * only two are within the window. */
    complaint(f, "canteen-1", T0);
    complaint(f, "canteen-1", T0 + 30 * MIN);
    sent r = complaint(f, "canteen-1", T0 + HOUR);
    assert_int_equal(r.fx.issues_opened, 0);
    assert_string_equal(open_issue(f, "canteen-1", num, sizeof num), "");
    /* canteen-2: one millisecond less, and all three are. */
    complaint(f, "canteen-2", T0);
    complaint(f, "canteen-2", T0 + 30 * MIN);
    r = complaint(f, "canteen-2", T0 + HOUR - 1);
    assert_int_equal(r.fx.issues_opened, 1);
    assert_string_equal(open_issue(f, "canteen-2", num, sizeof num), "HQ-2026-000001");
    /* The window slides: for canteen-1 the complaints at +30 min and +60 min
     * are still in it, so one more before +90 min makes three. */
    r = complaint(f, "canteen-1", T0 + 89 * MIN);
    assert_int_equal(r.fx.issues_opened, 1);
    assert_string_equal(open_issue(f, "canteen-1", num, sizeof num), "HQ-2026-000002");
}

static void different_keys_count_separately(void **state)
{
    fixture *f = *state;
    char num[24];
    complaint(f, "canteen-1", T0);
    complaint(f, "canteen-2", T0 + 1 * MIN);
    complaint(f, "canteen-1", T0 + 2 * MIN);
    complaint(f, "canteen-2", T0 + 3 * MIN);
    complaint(f, "dorm-3", T0 + 4 * MIN);
    /* Four complaints, no site has three. */
    assert_string_equal(open_issue(f, "canteen-1", num, sizeof num), "");
    assert_string_equal(open_issue(f, "canteen-2", num, sizeof num), "");
    /* Events that do not match the condition do not count. */
    sent r = apply(f, "complaint.submitted", T0 + 5 * MIN, T0 + 5 * MIN,
                  "{\"domain\": \"dormitory\", \"site\": \"canteen-1\", \"category\": \"hot_water\", \"text\": \"x\"}");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.fx.issues_opened, 0);
    assert_string_equal(open_issue(f, "canteen-1", num, sizeof num), "");
    r = complaint(f, "canteen-2", T0 + 6 * MIN);
    assert_int_equal(r.fx.issues_opened, 1);
    assert_string_equal(open_issue(f, "canteen-2", num, sizeof num), "HQ-2026-000001");
    assert_string_equal(open_issue(f, "canteen-1", num, sizeof num), "");
    r = complaint(f, "canteen-1", T0 + 7 * MIN);
    assert_int_equal(r.fx.issues_opened, 1);
    assert_string_equal(open_issue(f, "canteen-1", num, sizeof num), "HQ-2026-000002");
    hq_issue is;
    load(f, "HQ-2026-000002", &is);
    assert_string_equal(is.key, "canteen-1");
    assert_int_equal(is.occurrences, 1);
    hq_issue_fini(&is);
}

static void the_window_follows_the_events_ts_not_the_clock(void **state)
{
    fixture *f = *state;
    char num[24];
    /* Arriving together, but two hours apart by ts: no issue. */
    complaint_at(f, "canteen-1", T0, T0 + 5 * HOUR);
    complaint_at(f, "canteen-1", T0 + 2 * HOUR, T0 + 5 * HOUR);
    sent r = complaint_at(f, "canteen-1", T0 + 4 * HOUR, T0 + 5 * HOUR);
    assert_int_equal(r.fx.issues_opened, 0);
    /* Arriving days apart (replayed late), but within the hour by ts. */
    complaint_at(f, "canteen-2", T0, T0);
    complaint_at(f, "canteen-2", T0 + 10 * MIN, T0 + DAY);
    r = complaint_at(f, "canteen-2", T0 + 20 * MIN, T0 + 2 * DAY);
    assert_int_equal(r.fx.issues_opened, 1);
    hq_issue is;
    load(f, open_issue(f, "canteen-2", num, sizeof num), &is);
    assert_int_equal(is.opened_ms, T0 + 2 * DAY); /* opened by the clock */
    hq_issue_fini(&is);
}

static void later_matches_attach_to_the_open_issue_as_occurrences(void **state)
{
    fixture *f = *state;
    char num[24], kinds[64];
    opened(f, T0, num, sizeof num);
    /* Every later match while it is open is one more occurrence, within
     * the window or not; no second issue opens. */
    sent r = complaint(f, "canteen-1", T0 + 3 * MIN);
    assert_int_equal(r.fx.issues_opened, 0);
    assert_string_equal(outbox_kinds(f, &r.fx, kinds, sizeof kinds), "");
    r = complaint(f, "canteen-1", T0 + 4 * MIN);
    assert_int_equal(r.fx.issues_opened, 0);
    r = complaint(f, "canteen-1", T0 + 5 * HOUR);
    assert_int_equal(r.fx.issues_opened, 0);
    char again[24];
    assert_string_equal(open_issue(f, "canteen-1", again, sizeof again), num);
    hq_issue is;
    load(f, num, &is);
    assert_int_equal(is.occurrences, 4);
    assert_int_equal(notes(&is, "occurrence:"), 3);
    /* Each names its event. */
    char want[128];
    snprintf(want, sizeof want, "再次发生（第4次）（事件 %llu）", (unsigned long long)r.seq);
    assert_string_equal(words(&is.timeline[is.ntimeline - 1]), want);
    assert_int_equal(is.timeline[is.ntimeline - 1].seq, r.seq);
    assert_int_equal(hq_issue_verify_timeline(&is), -1);
    hq_issue_fini(&is);
}

static void after_a_close_the_window_starts_from_empty(void **state)
{
    fixture *f = *state;
    char num[24], next[24];
    opened(f, T0, num, sizeof num);
    close_issue(f, num, T0 + HOUR);
    assert_string_equal(open_issue(f, "canteen-1", next, sizeof next), "");
    /* The three that opened it do not count again. */
    sent r = complaint(f, "canteen-1", T0 + HOUR + MIN);
    assert_int_equal(r.fx.issues_opened, 0);
    r = complaint(f, "canteen-1", T0 + HOUR + 2 * MIN);
    assert_int_equal(r.fx.issues_opened, 0);
    r = complaint(f, "canteen-1", T0 + HOUR + 3 * MIN);
    assert_int_equal(r.fx.issues_opened, 1);
    assert_string_equal(open_issue(f, "canteen-1", next, sizeof next), "HQ-2026-000002");
}

/* ---- recurrence ---- */

static void a_new_issue_within_the_recurrence_window_starts_higher_with_accountability(void **state)
{
    fixture *f = *state;
    char first[24], second[24], kinds[256];
    opened(f, T0, first, sizeof first);
    close_issue(f, first, T0 + HOUR);
    int64_t at = T0 + 10 * DAY;
    complaint(f, "canteen-1", at);
    complaint(f, "canteen-1", at + MIN);
    sent r = complaint(f, "canteen-1", at + 2 * MIN);
    assert_int_equal(r.fx.issues_opened, 1);
    assert_string_equal(outbox_kinds(f, &r.fx, kinds, sizeof kinds), "opened,accountability,penalty");
    open_issue(f, "canteen-1", second, sizeof second);
    assert_string_equal(second, "HQ-2026-000002");
    hq_issue is;
    load(f, second, &is);
    assert_int_equal(is.level, 2); /* the standard chain has three levels */
    assert_true(is.accountability);
    assert_string_equal(is.recurrence_of, first);
    assert_int_equal(notes(&is, "recurrence:"), 1);
    assert_int_equal(notes(&is, "accountability:"), 1);
    /* The recurrence penalty of the contractor's terms. */
    const hq_penalty_terms *terms = hq_rules_penalty_terms(f->rules, "catering-contract");
    assert_non_null(terms);
    assert_true(terms->per_recurrence_cents > 0);
    assert_int_equal(is.npenalties, 1);
    assert_int_equal(is.penalties[0].amount_cents, terms->per_recurrence_cents);
    assert_non_null(strstr(is.penalties[0].term, "per_recurrence"));
    assert_int_equal(hq_issue_penalty_total(&is), terms->per_recurrence_cents);
    hq_issue_fini(&is);
    /* The first issue is untouched. */
    load(f, first, &is);
    assert_int_equal(is.state, HQ_IS_CLOSED);
    assert_false(is.accountability);
    hq_issue_fini(&is);
}

static void the_recurrence_window_runs_from_the_close(void **state)
{
    fixture *f = *state;
    char num[24];
    /* Exactly 30 days after the close is still within. */
    opened(f, T0, num, sizeof num);
    int64_t closed = T0 + 3 * DAY;
    close_issue(f, num, closed);
    complaint_at(f, "canteen-1", T0 + 31 * DAY, closed + 30 * DAY);
    complaint_at(f, "canteen-1", T0 + 31 * DAY + MIN, closed + 30 * DAY);
    sent r = complaint_at(f, "canteen-1", T0 + 31 * DAY + 2 * MIN, closed + 30 * DAY);
    assert_int_equal(r.fx.issues_opened, 1);
    hq_issue is;
    load(f, open_issue(f, "canteen-1", num, sizeof num), &is);
    assert_string_equal(is.recurrence_of, "HQ-2026-000001");
    assert_int_equal(is.level, 2);
    hq_issue_fini(&is);
    /* A millisecond later it is not: a new issue at level 1, no accountability,
     * no penalty. */
    closed = T0 + 40 * DAY;
    close_issue(f, num, closed);
    complaint_at(f, "canteen-1", closed, closed + 30 * DAY + 1);
    complaint_at(f, "canteen-1", closed + MIN, closed + 30 * DAY + 1);
    r = complaint_at(f, "canteen-1", closed + 2 * MIN, closed + 30 * DAY + 1);
    assert_int_equal(r.fx.issues_opened, 1);
    load(f, open_issue(f, "canteen-1", num, sizeof num), &is);
    assert_string_equal(is.number, "HQ-2026-000003");
    assert_null(is.recurrence_of);
    assert_int_equal(is.level, 1);
    assert_false(is.accountability);
    assert_int_equal(is.npenalties, 0);
    assert_int_equal(notes(&is, "recurrence:"), 0);
    hq_issue_fini(&is);
}

static void other_keys_are_not_recurrences(void **state)
{
    fixture *f = *state;
    char num[24];
    opened(f, T0, num, sizeof num);
    close_issue(f, num, T0 + HOUR);
    complaint(f, "canteen-2", T0 + 2 * HOUR);
    complaint(f, "canteen-2", T0 + 2 * HOUR + MIN);
    sent r = complaint(f, "canteen-2", T0 + 2 * HOUR + 2 * MIN);
    assert_int_equal(r.fx.issues_opened, 1);
    hq_issue is;
    load(f, open_issue(f, "canteen-2", num, sizeof num), &is);
    assert_null(is.recurrence_of);
    assert_int_equal(is.level, 1);
    assert_false(is.accountability);
    hq_issue_fini(&is);
}

/* ---- the deadline ---- */

static void the_deadline_timer_makes_the_issue_overdue(void **state)
{
    fixture *f = *state;
    char num[24], kinds[256];
    opened(f, T0, num, sizeof num);
    int64_t deadline = T0 + 2 * MIN + 4 * HOUR;
    /* Nothing is due a millisecond before the deadline. */
    assert_int_equal(fire(f, deadline - 1, NULL), 0);
    hq_issue is;
    load(f, num, &is);
    assert_int_equal(is.deadline_ms, deadline);
    assert_false(is.overdue);
    hq_issue_fini(&is);
    /* At the deadline: overdue, with a notification; still level 1 and
     * still opened (overdue is not a state). */
    hq_effects fx;
    assert_int_equal(fire(f, deadline, &fx), 1);
    assert_string_equal(outbox_kinds(f, &fx, kinds, sizeof kinds), "overdue");
    load(f, num, &is);
    assert_true(is.overdue);
    assert_int_equal(is.state, HQ_IS_OPENED);
    assert_int_equal(is.level, 1);
    assert_int_equal(notes(&is, "overdue:"), 1);
    assert_int_equal(notes(&is, "missed-while-down:"), 0);
    /* It still has next steps: the escalation and the daily reminder. */
    assert_true(is.ntimers > 0);
    hq_issue_fini(&is);
    /* Firing again at the same time does nothing more. */
    assert_int_equal(fire(f, deadline, NULL), 0);
    /* 24 h overdue: level 2 of the standard chain. */
    assert_int_equal(fire(f, deadline + DAY - 1, NULL), 0);
    assert_true(fire(f, deadline + DAY, &fx) >= 1);
    assert_non_null(strstr(outbox_kinds(f, &fx, kinds, sizeof kinds), "escalated"));
    load(f, num, &is);
    assert_int_equal(is.level, 2);
    assert_false(is.accountability);
    assert_int_equal(notes(&is, "overdue:"), 1);
    hq_issue_fini(&is);
}

static void a_rectified_issue_does_not_become_overdue(void **state)
{
    fixture *f = *state;
    char num[24];
    opened(f, T0, num, sizeof num);
    sent r = lifecycle(f, "issue.rectified", num, T0 + HOUR, "\"evidence\": \"已更换供应商\"");
    assert_int_equal(r.rc, 0);
    /* The deadline and escalation timers were cancelled; only the recheck
     * reminder (24 h by default) is left. */
    assert_int_equal(fire(f, T0 + 10 * HOUR, NULL), 0);
    hq_issue is;
    load(f, num, &is);
    assert_false(is.overdue);
    assert_int_equal(is.state, HQ_IS_RECTIFIED);
    assert_int_equal(is.ntimers, 1);
    assert_int_equal(is.timers[0].kind, HQ_TIMER_RECHECK);
    hq_issue_fini(&is);
}

static bool has_timer(const hq_issue *is, int kind)
{
    for (size_t i = 0; i < is->ntimers; i++)
        if (is->timers[i].kind == kind)
            return true;
    return false;
}

static void a_failed_recheck_reopens_with_a_new_deadline(void **state)
{
    fixture *f = *state;
    char num[24], kinds[256];
    opened(f, T0, num, sizeof num);
    assert_int_equal(lifecycle(f, "issue.rectified", num, T0 + HOUR, "\"evidence\": \"已整改\"").rc, 0);
    /* Without a deadline from the supervisor: now + the rule's 4 h. */
    sent r = lifecycle(f, "issue.rechecked", num, T0 + 2 * HOUR, "\"result\": \"fail\", \"note\": \"仍有异味\"");
    assert_int_equal(r.rc, 0);
    assert_string_equal(outbox_kinds(f, &r.fx, kinds, sizeof kinds), "reopened,penalty");
    hq_issue is;
    load(f, num, &is);
    assert_int_equal(is.state, HQ_IS_REOPENED);
    assert_int_equal(is.deadline_ms, T0 + 2 * HOUR + 4 * HOUR);
    assert_int_equal(is.failed_rechecks, 1);
    assert_false(is.overdue);
    assert_true(has_timer(&is, HQ_TIMER_DEADLINE));
    assert_true(has_timer(&is, HQ_TIMER_ESCALATE));
    assert_false(has_timer(&is, HQ_TIMER_RECHECK));
    const hq_penalty_terms *terms = hq_rules_penalty_terms(f->rules, "catering-contract");
    assert_int_equal(is.npenalties, 1);
    assert_int_equal(is.penalties[0].amount_cents, terms->per_failed_recheck_cents);
    assert_int_equal(notes(&is, "reopened:"), 1);
    hq_issue_fini(&is);
    /* The new deadline runs. */
    assert_int_equal(fire(f, T0 + 6 * HOUR - 1, NULL), 0);
    assert_int_equal(fire(f, T0 + 6 * HOUR, NULL), 1);
    load(f, num, &is);
    assert_true(is.overdue);
    hq_issue_fini(&is);
    /* With one (schemas/issue.rechecked.yaml: "the new deadline the
     * supervisor sets"): that one; the issue is no longer overdue. */
    assert_int_equal(lifecycle(f, "issue.rectified", num, T0 + 7 * HOUR, "\"evidence\": \"再次整改\"").rc, 0);
    char extra[128];
    snprintf(extra, sizeof extra, "\"result\": \"fail\", \"deadline_ms\": %lld", (long long)(T0 + 3 * DAY));
    assert_int_equal(lifecycle(f, "issue.rechecked", num, T0 + 8 * HOUR, extra).rc, 0);
    load(f, num, &is);
    assert_int_equal(is.state, HQ_IS_REOPENED);
    assert_int_equal(is.deadline_ms, T0 + 3 * DAY);
    assert_false(is.overdue);
    assert_int_equal(is.failed_rechecks, 2);
    hq_issue_fini(&is);
    /* Then a pass closes it and cancels every timer. */
    assert_int_equal(lifecycle(f, "issue.rectified", num, T0 + 9 * HOUR, "\"evidence\": \"三次整改\"").rc, 0);
    r = lifecycle(f, "issue.rechecked", num, T0 + 10 * HOUR, "\"result\": \"pass\"");
    assert_int_equal(r.rc, 0);
    assert_string_equal(outbox_kinds(f, &r.fx, kinds, sizeof kinds), "closed");
    load(f, num, &is);
    assert_int_equal(is.state, HQ_IS_CLOSED);
    assert_int_equal(is.closed_ms, T0 + 10 * HOUR);
    assert_int_equal(is.ntimers, 0);
    hq_issue_fini(&is);
    assert_int_equal(fire(f, T0 + 100 * DAY, NULL), 0);
    size_t open = 9, stuck = 9;
    assert_int_equal(hq_engine_audit(f->store, rd(f), &open, &stuck, NULL, 0, NULL), 0);
    assert_int_equal(open, 0);
    assert_int_equal(stuck, 0);
}

/* ---- lifecycle actions that do not fit ---- */

static void actions_that_do_not_fit_are_refused_and_change_nothing(void **state)
{
    fixture *f = *state;
    char num[24];
    opened(f, T0, num, sizeof num);
    hq_issue before;
    load(f, num, &before);
    uint64_t outbox_next = 0;
    assert_int_equal(hq_store_peek_seq(f->store, rd(f), HQ_DB_OUTBOX, &outbox_next, NULL), 0);
    /* A recheck of an issue never rectified. */
    sent r = lifecycle(f, "issue.rechecked", num, T0 + HOUR, "\"result\": \"pass\"");
    assert_int_equal(r.rc, HQ_ESTATE);
    char want[160];
    snprintf(want, sizeof want, "%s: the issue is opened; a recheck needs a rectification first", num);
    assert_string_equal(r.err.msg, want);
    /* An unknown issue. */
    r = lifecycle(f, "issue.rectified", "HQ-2026-999999", T0 + HOUR, "\"evidence\": \"x\"");
    assert_int_equal(r.rc, HQ_ENOTFOUND);
    assert_string_equal(r.err.msg, "data.issue: no issue HQ-2026-999999");
    /* A second acknowledgement. */
    assert_int_equal(lifecycle(f, "issue.acknowledged", num, T0 + HOUR, NULL).rc, 0);
    r = lifecycle(f, "issue.acknowledged", num, T0 + 2 * HOUR, NULL);
    assert_int_equal(r.rc, HQ_ESTATE);
    snprintf(want, sizeof want, "%s: the issue is acknowledged; acknowledge is not possible", num);
    assert_string_equal(r.err.msg, want);
    /* A closed issue takes comments only. */
    close_issue(f, num, T0 + 3 * HOUR);
    hq_issue_fini(&before);
    load(f, num, &before);
    assert_int_equal(hq_store_peek_seq(f->store, rd(f), HQ_DB_OUTBOX, &outbox_next, NULL), 0);
    r = lifecycle(f, "issue.rechecked", num, T0 + 4 * HOUR, "\"result\": \"fail\"");
    assert_int_equal(r.rc, HQ_ESTATE);
    snprintf(want, sizeof want, "%s: the issue is closed; recheck (fail) is not possible", num);
    assert_string_equal(r.err.msg, want);
    r = lifecycle(f, "issue.opinion", num, T0 + 4 * HOUR, NULL);
    assert_int_equal(r.rc, HQ_ESTATE);
    /* Nothing was written by the refused ones. */
    hq_issue after;
    load(f, num, &after);
    assert_int_equal(after.ntimeline, before.ntimeline);
    assert_int_equal(after.state, HQ_IS_CLOSED);
    uint64_t outbox_now = 0;
    assert_int_equal(hq_store_peek_seq(f->store, rd(f), HQ_DB_OUTBOX, &outbox_now, NULL), 0);
    assert_int_equal(outbox_now, outbox_next);
    hq_issue_fini(&after);
    r = lifecycle(f, "issue.comment", num, T0 + 5 * HOUR, "\"text\": \"已回访\"");
    assert_int_equal(r.rc, 0);
    load(f, num, &after);
    assert_int_equal(after.ntimeline, before.ntimeline + 1);
    assert_int_equal(after.timeline[after.ntimeline - 1].kind, HQ_TL_COMMENT);
    assert_string_equal(words(&after.timeline[after.ntimeline - 1]), "已回访");
    assert_string_equal(after.timeline[after.ntimeline - 1].actor, "hq-cat-02");
    hq_issue_fini(&after);
    hq_issue_fini(&before);
}

/* ---- sustained rules ---- */

/* Applies an event that arrives when it happens; it must be accepted. */
static sent apply_ok(fixture *f, const char *type, int64_t ts_ms, const char *json)
{
    sent r = apply(f, type, ts_ms, ts_ms, json);
    if (r.rc != 0)
        fail_msg("%s refused: %s", type, r.err.msg);
    return r;
}

static sent reading(fixture *f, const char *sensor, const char *kind, double value, int64_t ts_ms)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"sensor\": \"%s\", \"kind\": \"%s\", \"value\": %g, \"unit\": \"C\", \"site\": \"canteen-1\"}",
             sensor, kind, value);
    return apply_ok(f, "sensor.reading", ts_ms, json);
}

/* The open issue of rule for key ("" when none). */
static const char *rule_issue(fixture *f, const char *rule, const char *key, char *buf, size_t size)
{
    hq_group g;
    hq_err err = {0};
    if (hq_group_get(f->store, rd(f), rule, key, &g, &err) != 0)
        fail_msg("group: %s", err.msg);
    snprintf(buf, size, "%s", g.open);
    return buf;
}

static const char *cold_issue(fixture *f, const char *sensor, char *buf, size_t size)
{
    return rule_issue(f, "t.cold", sensor, buf, size);
}

/* Timers up to before_ms open nothing for rule and key; those up to at_ms
 * open its issue (exactly one timer fires); its number in num. */
static void opens_at(fixture *f, const char *rule, const char *key, int64_t before_ms, int64_t at_ms, char *num,
                     size_t size)
{
    assert_int_equal(fire(f, before_ms, NULL), 0);
    assert_string_equal(rule_issue(f, rule, key, num, size), "");
    assert_int_equal(fire(f, at_ms, NULL), 1);
    rule_issue(f, rule, key, num, size);
    assert_true(num[0] != '\0');
}

/* Entries in rulestate (sustained records of t.cold). */
static size_t rule_states(fixture *f)
{
    hq_store_stats st;
    hq_err err = {0};
    if (hq_store_stats_get(f->store, rd(f), &st, &err) != 0)
        fail_msg("stats: %s", err.msg);
    return st.entries[HQ_DB_RULESTATE];
}

static void sustained_opens_after_the_duration_and_out_of_scope_readings_do_not_count(void **state)
{
    fixture *f = *state;
    char num[24];
    /* Quiet readings leave no state at all. */
    reading(f, "cs-1", "cold_storage_temp", 4.5, T0 - HOUR);
    assert_int_equal(rule_states(f), 0);
    reading(f, "cs-1", "cold_storage_temp", 9.5, T0);
    /* A reading of another kind of the same sensor is out of scope: it
     * does not stop the clock (its 2.0 would have, as a false condition). */
    reading(f, "cs-1", "room_humidity", 2.0, T0 + 10 * MIN);
    reading(f, "cs-1", "cold_storage_temp", 9.7, T0 + 20 * MIN);
    opens_at(f, "t.cold", "cs-1", T0 + 29 * MIN, T0 + 30 * MIN, num, sizeof num);
    hq_issue is;
    load(f, num, &is);
    assert_string_equal(is.title, "cold cs-1");
    assert_int_equal(notes(&is, "missed-while-down:"), 0);
    hq_issue_fini(&is);
    /* Back to normal for 30 minutes: rectified by the data, closed by the
     * automatic recheck. */
    reading(f, "cs-1", "cold_storage_temp", 5.0, T0 + 40 * MIN);
    reading(f, "cs-1", "cold_storage_temp", 9.0, T0 + 50 * MIN); /* bad again: the clearing stops */
    reading(f, "cs-1", "cold_storage_temp", 5.0, T0 + 60 * MIN);
    assert_int_equal(fire(f, T0 + 89 * MIN, NULL), 0);
    assert_true(fire(f, T0 + 90 * MIN, NULL) >= 1);
    load(f, num, &is);
    assert_int_equal(is.state, HQ_IS_CLOSED);
    assert_int_equal(notes(&is, "rectified:"), 1);
    assert_int_equal(notes(&is, "closed:"), 1);
    hq_issue_fini(&is);
    /* Nothing is left behind for the key. */
    assert_int_equal(rule_states(f), 0);
}

static void a_rule_timer_that_came_due_while_down_says_so_on_the_issue(void **state)
{
    fixture *f = *state;
    char num[24];
    reading(f, "cs-2", "cold_storage_temp", 9.5, T0);
    /* The daemon was down from T0 + 10 min and starts again at T0 + 2 h. */
    hq_engine_set_started(f->engine, T0 + 2 * HOUR);
    assert_int_equal(fire(f, T0 + 2 * HOUR, NULL), 1);
    cold_issue(f, "cs-2", num, sizeof num);
    assert_true(num[0] != '\0');
    hq_issue is;
    load(f, num, &is);
    assert_int_equal(notes(&is, "missed-while-down:"), 1);
    assert_int_equal(is.opened_ms, T0 + 2 * HOUR);
    hq_issue_fini(&is);
}

/* ---- sustained until a time of the event ---- */

static sent task(fixture *f, const char *id, int64_t due_ms, int64_t ts_ms)
{
    char json[256];
    snprintf(json, sizeof json, "{\"task\": \"%s\", \"title\": \"平价窗口\", \"due_ms\": %lld}", id,
             (long long)due_ms);
    return apply_ok(f, "decision.task", ts_ms, json);
}

static sent progress(fixture *f, const char *id, const char *status, int64_t ts_ms)
{
    char json[256];
    snprintf(json, sizeof json, "{\"task\": \"%s\", \"status\": \"%s\"}", id, status);
    return apply_ok(f, "decision.progress", ts_ms, json);
}

static const char *due_issue(fixture *f, const char *task_id, char *buf, size_t size)
{
    return rule_issue(f, "t.due", task_id, buf, size);
}

static void until_opens_at_the_time_of_the_event_field_not_after_a_duration(void **state)
{
    fixture *f = *state;
    char num[24];
    /* Due in 10 days (2026-09-11 08:00); a routine report is out of scope. */
    task(f, "DB-1", T0 + 10 * DAY, T0);
    progress(f, "DB-1", "in_progress", T0 + 3 * DAY);
    opens_at(f, "t.due", "DB-1", T0 + 10 * DAY - MIN, T0 + 10 * DAY, num, sizeof num);
    hq_issue is;
    load(f, num, &is);
    assert_string_equal(is.title, "DB-1 due 2026-09-11 08:00");
    assert_int_equal(is.opened_ms, T0 + 10 * DAY);
    hq_issue_fini(&is);
}

static void until_is_stopped_by_the_end_and_moved_by_a_new_time(void **state)
{
    fixture *f = *state;
    char num[24];
    /* Completed before the due date: nothing opens, nothing is left. */
    task(f, "DB-2", T0 + 5 * DAY, T0);
    progress(f, "DB-2", "completed", T0 + 4 * DAY);
    assert_int_equal(fire(f, T0 + 30 * DAY, NULL), 0);
    assert_string_equal(due_issue(f, "DB-2", num, sizeof num), "");
    assert_int_equal(rule_states(f), 0);
    /* A new due date (the task sent again) moves the clock both ways. */
    task(f, "DB-3", T0 + 40 * DAY, T0 + 30 * DAY);
    task(f, "DB-3", T0 + 50 * DAY, T0 + 31 * DAY);
    assert_int_equal(fire(f, T0 + 50 * DAY - MIN, NULL), 0);
    task(f, "DB-3", T0 + 45 * DAY, T0 + 32 * DAY); /* brought forward: the later timer is gone */
    assert_int_equal(fire(f, T0 + 45 * DAY, NULL), 1);
    due_issue(f, "DB-3", num, sizeof num);
    assert_true(num[0] != '\0');
    hq_issue is;
    load(f, num, &is);
    assert_string_equal(is.title, "DB-3 due 2026-10-16 08:00");
    hq_issue_fini(&is);
    /* The earlier due date (50 days) comes and goes without a second opening. */
    fire(f, T0 + 60 * DAY, NULL);
    load(f, num, &is);
    assert_int_equal(is.occurrences, 1);
    assert_int_equal(notes(&is, "occurrence:"), 0);
    hq_issue_fini(&is);
    /* A due date already past when the task arrives opens at once. */
    task(f, "DB-4", T0 + 60 * DAY, T0 + 61 * DAY);
    assert_true(fire(f, T0 + 61 * DAY, NULL) >= 1);
    assert_true(due_issue(f, "DB-4", num, sizeof num)[0] != '\0');
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(n_matches_within_the_window_open_one_issue_n_minus_1_do_not),
        T(a_match_exactly_within_ago_has_left_the_window),
        T(different_keys_count_separately),
        T(the_window_follows_the_events_ts_not_the_clock),
        T(later_matches_attach_to_the_open_issue_as_occurrences),
        T(after_a_close_the_window_starts_from_empty),
        T(a_new_issue_within_the_recurrence_window_starts_higher_with_accountability),
        T(the_recurrence_window_runs_from_the_close),
        T(other_keys_are_not_recurrences),
        T(the_deadline_timer_makes_the_issue_overdue),
        T(a_rectified_issue_does_not_become_overdue),
        T(a_failed_recheck_reopens_with_a_new_deadline),
        T(actions_that_do_not_fit_are_refused_and_change_nothing),
        T(sustained_opens_after_the_duration_and_out_of_scope_readings_do_not_count),
        T(a_rule_timer_that_came_due_while_down_says_so_on_the_issue),
        T(until_opens_at_the_time_of_the_event_field_not_after_a_duration),
        T(until_is_stopped_by_the_end_and_moved_by_a_new_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
