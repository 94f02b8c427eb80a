/* test_issue.c - issues (lib/issue.c), as a specification: the transition
 * table (every action in every state, allowed or refused with its reason),
 * the record's round trip through the store, issue numbers, the indexes by
 * state, domain and contractor, and the audit's indexes (the count of open
 * issues and the list of open issues with no next step scheduled), and
 * the evaluation's summary of each issue.
 *
 * Each storage test gets a fresh LMDB state in a temporary directory.  The
 * domain and contractor indexes have no reader in the library yet, so they
 * are read raw, by the key layout store.c documents for issue_idx
 * (kind 0x00 value 0x00 number).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "hq_issue_fixture.h"
#include "hq_test.h"
#include "issue.h"
#include "mem.h"
#include "store.h"

/* ---- the transition table ---- */

enum { SAME = -1, NO = -2 };

/* What each action does in each state: the next state, SAME (allowed,
 * the state does not change) or NO (refused).  Rows: actions; columns:
 * opened, acknowledged, rectified, reopened, closed.  This is the table of
 * rules/README.md 12.2. */
static const int table[HQ_ACT_COUNT][HQ_IS_COUNT] = {
    [HQ_ACT_ACK] = {HQ_IS_ACKNOWLEDGED, NO, NO, HQ_IS_ACKNOWLEDGED, NO},
    [HQ_ACT_RECTIFY] = {HQ_IS_RECTIFIED, HQ_IS_RECTIFIED, NO, HQ_IS_RECTIFIED, NO},
    [HQ_ACT_RECHECK_PASS] = {NO, NO, HQ_IS_CLOSED, NO, NO},
    [HQ_ACT_RECHECK_FAIL] = {NO, NO, HQ_IS_REOPENED, NO, NO},
    [HQ_ACT_COMMENT] = {SAME, SAME, SAME, SAME, SAME},
    [HQ_ACT_CLOSE] = {HQ_IS_CLOSED, HQ_IS_CLOSED, HQ_IS_CLOSED, HQ_IS_CLOSED, NO},
    [HQ_ACT_OPINION] = {SAME, SAME, SAME, SAME, NO},
    /* accountability may come after closing too (问责 often follows) */
    [HQ_ACT_ACCOUNTABILITY] = {SAME, SAME, SAME, SAME, SAME},
    /* personal details may be hidden from contractors at any time */
    [HQ_ACT_MODERATE] = {SAME, SAME, SAME, SAME, SAME},
};

/* The reason given for each refusal, as the producer reads it. */
static const char *refusal(hq_issue_action a, hq_issue_state s)
{
    static char buf[256];
    static const char *const acts[HQ_ACT_COUNT] = {"acknowledge", "rectify", "recheck (pass)", "recheck (fail)",
                                                   "comment", "close", "public-opinion report",
                                                   "accountability", "moderate"};
    static const char *const states[HQ_IS_COUNT] = {"opened", "acknowledged", "rectified", "reopened", "closed"};
    if (s == HQ_IS_CLOSED)
        snprintf(buf, sizeof buf, "the issue is closed; %s is not possible", acts[a]);
    else if (a == HQ_ACT_RECHECK_PASS || a == HQ_ACT_RECHECK_FAIL)
        snprintf(buf, sizeof buf, "the issue is %s; a recheck needs a rectification first", states[s]);
    else if (a == HQ_ACT_RECTIFY)
        snprintf(buf, sizeof buf, "the issue is already rectified and waits for its recheck");
    else
        snprintf(buf, sizeof buf, "the issue is %s; %s is not possible", states[s], acts[a]);
    return buf;
}

static void every_allowed_transition(void **state)
{
    (void)state;
    int allowed = 0;
    for (int a = 0; a < HQ_ACT_COUNT; a++)
        for (int s = 0; s < HQ_IS_COUNT; s++) {
            if (table[a][s] == NO)
                continue;
            hq_issue_state to = (hq_issue_state)99;
            hq_err err = {0};
            int rc = hq_issue_next_state((hq_issue_state)s, (hq_issue_action)a, &to, &err);
            if (rc != 0)
                fail_msg("%s in state %s refused: %s", hq_issue_action_name((hq_issue_action)a),
                         hq_issue_state_name((hq_issue_state)s), err.msg);
            int want = table[a][s] == SAME ? s : table[a][s];
            if ((int)to != want)
                fail_msg("%s in state %s: went to %s, expected %s", hq_issue_action_name((hq_issue_action)a),
                         hq_issue_state_name((hq_issue_state)s), hq_issue_state_name(to),
                         hq_issue_state_name((hq_issue_state)want));
            assert_int_equal(err.code, 0);
            allowed++;
        }
    assert_int_equal(allowed, 30); /* 20 before issue 13, + accountability and moderation in all five states */
}

static void every_refused_transition_with_its_reason(void **state)
{
    (void)state;
    int refused = 0;
    for (int a = 0; a < HQ_ACT_COUNT; a++)
        for (int s = 0; s < HQ_IS_COUNT; s++) {
            if (table[a][s] != NO)
                continue;
            hq_issue_state to = (hq_issue_state)99;
            hq_err err = {0};
            int rc = hq_issue_next_state((hq_issue_state)s, (hq_issue_action)a, &to, &err);
            if (rc != HQ_ESTATE)
                fail_msg("%s in state %s: rc %d, expected HQ_ESTATE", hq_issue_action_name((hq_issue_action)a),
                         hq_issue_state_name((hq_issue_state)s), rc);
            assert_int_equal(err.code, HQ_ESTATE);
            assert_string_equal(err.msg, refusal((hq_issue_action)a, (hq_issue_state)s));
            assert_int_equal(to, 99); /* untouched */
            /* The detail is optional. */
            assert_int_equal(hq_issue_next_state((hq_issue_state)s, (hq_issue_action)a, &to, NULL), HQ_ESTATE);
            refused++;
        }
    assert_int_equal(refused, 15);
}

static void the_refusals_of_the_manual_read_as_written(void **state)
{
    (void)state;
    /* The replies rules/README.md 12.2 quotes. */
    static const struct {
        hq_issue_state s;
        hq_issue_action a;
        const char *msg;
    } cases[] = {
        {HQ_IS_REOPENED, HQ_ACT_RECHECK_PASS, "the issue is reopened; a recheck needs a rectification first"},
        {HQ_IS_RECTIFIED, HQ_ACT_RECTIFY, "the issue is already rectified and waits for its recheck"},
        {HQ_IS_CLOSED, HQ_ACT_CLOSE, "the issue is closed; close is not possible"},
        {HQ_IS_CLOSED, HQ_ACT_OPINION, "the issue is closed; public-opinion report is not possible"},
        {HQ_IS_CLOSED, HQ_ACT_RECHECK_FAIL, "the issue is closed; recheck (fail) is not possible"},
        {HQ_IS_ACKNOWLEDGED, HQ_ACT_ACK, "the issue is acknowledged; acknowledge is not possible"},
        {HQ_IS_OPENED, HQ_ACT_RECHECK_FAIL, "the issue is opened; a recheck needs a rectification first"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hq_issue_state to;
        hq_err err = {0};
        assert_int_equal(hq_issue_next_state(cases[i].s, cases[i].a, &to, &err), HQ_ESTATE);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

static void the_whole_life_of_an_issue(void **state)
{
    (void)state;
    /* opened -> acknowledged -> rectified -> reopened -> rectified -> closed,
     * with comments and an opinion on the way; then only comments. */
    static const struct {
        hq_issue_action a;
        hq_issue_state after;
    } steps[] = {
        {HQ_ACT_COMMENT, HQ_IS_OPENED},          {HQ_ACT_ACK, HQ_IS_ACKNOWLEDGED},
        {HQ_ACT_OPINION, HQ_IS_ACKNOWLEDGED},    {HQ_ACT_RECTIFY, HQ_IS_RECTIFIED},
        {HQ_ACT_RECHECK_FAIL, HQ_IS_REOPENED},   {HQ_ACT_ACK, HQ_IS_ACKNOWLEDGED},
        {HQ_ACT_RECTIFY, HQ_IS_RECTIFIED},       {HQ_ACT_RECHECK_PASS, HQ_IS_CLOSED},
        {HQ_ACT_COMMENT, HQ_IS_CLOSED},
    };
    hq_issue_state s = HQ_IS_OPENED;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        assert_int_equal(hq_issue_next_state(s, steps[i].a, &s, NULL), 0);
        assert_int_equal(s, steps[i].after);
    }
}

static void state_and_action_names(void **state)
{
    (void)state;
    static const char *const names[] = {"opened", "acknowledged", "rectified", "reopened", "closed"};
    for (int s = 0; s < HQ_IS_COUNT; s++) {
        assert_string_equal(hq_issue_state_name((hq_issue_state)s), names[s]);
        hq_issue_state p = (hq_issue_state)99;
        assert_int_equal(hq_issue_state_parse(names[s], &p), 0);
        assert_int_equal(p, s);
    }
    assert_string_equal(hq_issue_state_name(HQ_IS_COUNT), "?");
    hq_issue_state p = (hq_issue_state)99;
    assert_int_equal(hq_issue_state_parse("overdue", &p), HQ_EINVAL); /* not a state */
    assert_int_equal(hq_issue_state_parse("Opened", &p), HQ_EINVAL);
    assert_int_equal(hq_issue_state_parse("", &p), HQ_EINVAL);
    assert_int_equal(p, 99);
    assert_string_equal(hq_issue_action_name(HQ_ACT_ACK), "acknowledge");
    assert_string_equal(hq_issue_action_name(HQ_ACT_OPINION), "public-opinion report");
}

/* ---- storage fixture ---- */

typedef struct fixture {
    char *tmp;
    char state[4096];
    hq_store *store;
    MDB_txn *txn;
} fixture;

static void begin(fixture *f)
{
    hq_err err = {0};
    if (hq_store_begin(f->store, true, &f->txn, &err) != 0)
        fail_msg("begin: %s", err.msg);
}

static void commit(fixture *f)
{
    hq_err err = {0};
    int rc = hq_store_commit(f->store, f->txn, &err);
    f->txn = NULL;
    if (rc != 0)
        fail_msg("commit: %s", err.msg);
}

static void open_store(fixture *f)
{
    hq_err err = {0};
    if (hq_store_open(f->state, 0, 0, &f->store, &err) != 0)
        fail_msg("open %s: %s", f->state, err.msg);
}

static int setup(void **state)
{
    fixture *f = hq_calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->tmp = hq_test_tmpdir();
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
    if (hq_tz_set("Asia/Shanghai") != 0)
        return -1;
    open_store(f);
    begin(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hq_store_abort(f->store, f->txn);
    hq_store_close(&f->store);
    hq_test_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

/* A new issue (is_new), opened, with no timers. */
static void new_issue(hq_issue *is, const char *number, const char *contractor, const char *domain)
{
    fx_issue(is, number, contractor, domain, "test", HQ_SEV_MEDIUM, fx_at(2026, 3, 9, 9));
    is->is_new = true;
}

static void save(fixture *f, hq_issue *is)
{
    hq_err err = {0};
    if (hq_issue_save(f->store, f->txn, is, &err) != 0)
        fail_msg("save %s: %s", is->number, err.msg);
}

static void load(fixture *f, const char *number, hq_issue *is)
{
    hq_err err = {0};
    if (hq_issue_load(f->store, f->txn, number, is, &err) != 0)
        fail_msg("load %s: %s", number, err.msg);
}

/* Saves a new issue in the given state with ntimers timer refs. */
static void put_issue(fixture *f, const char *number, const char *contractor, const char *domain,
                      hq_issue_state st, size_t ntimers)
{
    hq_issue is;
    new_issue(&is, number, contractor, domain);
    is.state = st;
    if (ntimers) {
        is.timers = hq_calloc(ntimers, sizeof *is.timers);
        for (size_t i = 0; i < ntimers; i++)
            is.timers[i] = (hq_timer_ref){is.deadline_ms + (int64_t)i, 100 + i, 1};
        is.ntimers = ntimers;
    }
    save(f, &is);
    hq_issue_fini(&is);
}

/* Moves a stored issue to state st (and sets its timer refs to ntimers). */
static void move(fixture *f, const char *number, hq_issue_state st, size_t ntimers)
{
    hq_issue is;
    load(f, number, &is);
    is.state = st;
    free(is.timers);
    is.timers = ntimers ? hq_calloc(ntimers, sizeof *is.timers) : NULL;
    for (size_t i = 0; i < ntimers; i++)
        is.timers[i] = (hq_timer_ref){is.deadline_ms + (int64_t)i, 200 + i, 1};
    is.ntimers = ntimers;
    save(f, &is);
    hq_issue_fini(&is);
}

typedef struct list {
    char got[1024];
    int n;
    int stop_after; /* 0: never */
} list;

static int collect(void *ctx, const char *number)
{
    list *l = ctx;
    strncat(l->got, number, sizeof l->got - strlen(l->got) - 1);
    strncat(l->got, " ", sizeof l->got - strlen(l->got) - 1);
    l->n++;
    return l->stop_after && l->n >= l->stop_after;
}

static const char *in_state(fixture *f, hq_issue_state st, list *l)
{
    memset(l, 0, sizeof *l);
    assert_int_equal(hq_issue_each_in_state(f->store, f->txn, st, collect, l, NULL), 0);
    return l->got;
}

static const char *stuck(fixture *f, list *l)
{
    memset(l, 0, sizeof *l);
    assert_int_equal(hq_issue_each_stuck(f->store, f->txn, collect, l, NULL), 0);
    return l->got;
}

static uint64_t open_count(fixture *f)
{
    uint64_t n = 999;
    hq_err err = {0};
    if (hq_issue_open_count(f->store, f->txn, &n, &err) != 0)
        fail_msg("open_count: %s", err.msg);
    return n;
}

/* The numbers under kind/value in issue_idx, read raw (store.c key space). */
static const char *raw_index(fixture *f, char kind, const char *value, list *l)
{
    memset(l, 0, sizeof *l);
    char prefix[256];
    int pl = snprintf(prefix, sizeof prefix, "%c%c%s%c", kind, 0, value, 0);
    MDB_cursor *c;
    assert_int_equal(mdb_cursor_open(f->txn, hq_store_dbi(f->store, HQ_DB_ISSUE_IDX), &c), 0);
    MDB_val k = {(size_t)pl, prefix}, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size > (size_t)pl && memcmp(k.mv_data, prefix, (size_t)pl) == 0) {
        char number[64];
        snprintf(number, sizeof number, "%.*s", (int)(k.mv_size - (size_t)pl), (char *)k.mv_data + pl);
        collect(l, number);
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return l->got;
}

static void meta_del(fixture *f, const char *key)
{
    assert_int_equal(hq_store_del(f->store, f->txn, HQ_DB_META, key, strlen(key), NULL), 0);
}

/* Removes an index as a version without it left the state: its marker and
 * the issue_idx entries of the given kinds. */
static void forget_index(fixture *f, const char *marker, const char *kinds)
{
    meta_del(f, marker);
    MDB_cursor *c;
    assert_int_equal(mdb_cursor_open(f->txn, hq_store_dbi(f->store, HQ_DB_ISSUE_IDX), &c), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if (((const char *)k.mv_data)[0] && strchr(kinds, ((const char *)k.mv_data)[0]))
            assert_int_equal(mdb_cursor_del(c, 0), 0);
    mdb_cursor_close(c);
}

/* ---- storage tests ---- */

static void a_saved_issue_loads_back_whole(void **state)
{
    fixture *f = *state;
    hq_issue is;
    new_issue(&is, "HQ-2026-000007", "xinyuan-catering", "catering");
    is.state = HQ_IS_REOPENED;
    is.severity = HQ_SEV_CRITICAL;
    is.closed_ms = 0;
    is.overdue = true;
    is.accountability = true;
    is.level = 3;
    is.occurrences = 12;
    is.failed_rechecks = 2;
    is.recurrence_of = hq_strdup("HQ-2026-000001");
    is.close_reason = hq_strdup("误报");
    is.source_seq = 4242;
    is.complaint_contact = hq_strdup("138-0000-1234");
    is.deadline_dur_ms = 72 * HOUR_MS;
    is.recheck_after_ms = 24 * HOUR_MS;
    is.ack_within_ms = 4 * HOUR_MS;
    is.clears_after_ms = 3600000;
    is.chain_name = hq_strdup("standard");
    is.nchain = 2;
    is.chain = hq_calloc(2, sizeof *is.chain);
    is.chain[0] = (hq_chain_step){.level = 1, .after_ms = 0, .nroles = 2, .accountability = false};
    is.chain[0].roles = hq_calloc(2, sizeof(hq_role));
    is.chain[0].roles[0] = HQ_ROLE_SECTION_HEAD;
    is.chain[0].roles[1] = HQ_ROLE_CONTRACTOR_CONTACT;
    is.chain[1] = (hq_chain_step){.level = 3, .after_ms = 72 * HOUR_MS, .nroles = 1, .accountability = true};
    is.chain[1].roles = hq_calloc(1, sizeof(hq_role));
    is.chain[1].roles[0] = HQ_ROLE_VICE_PRESIDENT;
    is.has_terms = true;
    is.terms = (hq_penalty_terms){hq_strdup("catering-contract"), hq_strdup("餐饮服务合同第十二条"), 50000, 500000, 100000,
                                  500000, 200000, 1000000, 1000000, 3000000};
    fx_penalty(&is, is.opened_ms + DAY_MS, 50000, "逾期第1天");
    hq_issue_note(&is, is.opened_ms + HOUR_MS, "contact.xinyuan", 77, HQ_TL_ACKNOWLEDGED, HQ_TLC_NONE, "承办单位已签收整改通知");
    is.ntimers = 2;
    is.timers = hq_calloc(2, sizeof *is.timers);
    is.timers[0] = (hq_timer_ref){is.deadline_ms, 11, 1};
    is.timers[1] = (hq_timer_ref){is.deadline_ms + 24 * HOUR_MS, 12, 2};
    save(f, &is);
    commit(f);
    /* Across a close and reopen of the state. */
    hq_store_close(&f->store);
    open_store(f);
    begin(f);
    hq_issue got;
    load(f, "HQ-2026-000007", &got);
    assert_string_equal(got.number, is.number);
    assert_string_equal(got.rule, "test.rule");
    assert_string_equal(got.key, "k");
    assert_int_equal(got.state, HQ_IS_REOPENED);
    assert_int_equal(got.stored_state, HQ_IS_REOPENED);
    assert_false(got.is_new);
    assert_string_equal(got.domain, "catering");
    assert_string_equal(got.contractor, "xinyuan-catering");
    assert_string_equal(got.site, "canteen-1");
    assert_string_equal(got.category, "test");
    assert_int_equal(got.severity, HQ_SEV_CRITICAL);
    assert_string_equal(got.title, is.title);
    assert_string_equal(got.description, is.description);
    assert_string_equal(got.requirement, is.requirement);
    assert_int_equal(got.opened_ms, is.opened_ms);
    assert_int_equal(got.deadline_ms, is.deadline_ms);
    assert_int_equal(got.closed_ms, 0);
    assert_true(got.overdue);
    assert_true(got.accountability);
    assert_int_equal(got.level, 3);
    assert_int_equal(got.occurrences, 12);
    assert_int_equal(got.failed_rechecks, 2);
    assert_string_equal(got.recurrence_of, "HQ-2026-000001");
    assert_string_equal(got.close_reason, "误报");
    assert_int_equal(got.source_seq, 4242);
    assert_string_equal(got.complaint_contact, "138-0000-1234");
    assert_int_equal(got.deadline_dur_ms, 72 * HOUR_MS);
    assert_int_equal(got.recheck_after_ms, 24 * HOUR_MS);
    assert_int_equal(got.ack_within_ms, 4 * HOUR_MS);
    assert_int_equal(got.clears_after_ms, 3600000);
    assert_string_equal(got.chain_name, "standard");
    assert_int_equal(got.nchain, 2);
    assert_int_equal(got.chain[0].level, 1);
    assert_int_equal(got.chain[0].nroles, 2);
    assert_int_equal(got.chain[0].roles[1], HQ_ROLE_CONTRACTOR_CONTACT);
    assert_false(got.chain[0].accountability);
    assert_int_equal(got.chain[1].level, 3);
    assert_int_equal(got.chain[1].after_ms, 72 * HOUR_MS);
    assert_int_equal(got.chain[1].roles[0], HQ_ROLE_VICE_PRESIDENT);
    assert_true(got.chain[1].accountability);
    assert_ptr_equal(hq_issue_step(&got, 3), &got.chain[1]);
    assert_null(hq_issue_step(&got, 2));
    assert_true(got.has_terms);
    assert_string_equal(got.terms.name, "catering-contract");
    assert_string_equal(got.terms.contract, "餐饮服务合同第十二条");
    assert_int_equal(got.terms.per_overdue_day_cents, 50000);
    assert_int_equal(got.terms.overdue_cap_cents, 500000);
    assert_int_equal(got.terms.per_failed_recheck_cents, 100000);
    assert_int_equal(got.terms.failed_recheck_cap_cents, 500000);
    assert_int_equal(got.terms.per_recurrence_cents, 200000);
    assert_int_equal(got.terms.recurrence_cap_cents, 1000000);
    assert_int_equal(got.terms.opinion_cents, 1000000);
    assert_int_equal(got.terms.total_cap_cents, 3000000);
    assert_int_equal(got.npenalties, 1);
    assert_int_equal(got.penalties[0].amount_cents, 50000);
    assert_string_equal(got.penalties[0].reason, "逾期第1天");
    assert_string_equal(got.penalties[0].term, "catering-contract:per_overdue_day");
    assert_int_equal(got.penalties[0].ts_ms, is.opened_ms + DAY_MS);
    assert_int_equal(hq_issue_penalty_total(&got), 50000);
    assert_int_equal(got.ntimeline, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(got.timeline[i].ts_ms, is.timeline[i].ts_ms);
        assert_int_equal(got.timeline[i].kind, is.timeline[i].kind);
        assert_string_equal(got.timeline[i].text ? got.timeline[i].text : "", is.timeline[i].text ? is.timeline[i].text : "");
        assert_string_equal(got.timeline[i].actor, is.timeline[i].actor);
        assert_int_equal(got.timeline[i].seq, is.timeline[i].seq);
        assert_memory_equal(got.timeline[i].hash, is.timeline[i].hash, 32);
    }
    assert_string_equal(got.timeline[1].actor, "contact.xinyuan");
    assert_int_equal(got.timeline[1].seq, 77);
    assert_int_equal(hq_issue_verify_timeline(&got), -1);
    assert_int_equal(got.ntimers, 2);
    assert_int_equal(got.timers[1].due_ms, is.timers[1].due_ms);
    assert_int_equal(got.timers[1].id, 12);
    assert_int_equal(got.timers[1].kind, 2);
    hq_issue_fini(&got);
    hq_issue_fini(&is);
}

static void a_missing_issue_is_not_found(void **state)
{
    fixture *f = *state;
    hq_issue is;
    hq_err err = {0};
    assert_int_equal(hq_issue_load(f->store, f->txn, "HQ-2026-999999", &is, &err), HQ_ENOTFOUND);
    assert_string_equal(err.msg, "no issue HQ-2026-999999");
    /* The transaction is still good: a miss is not a storage failure. */
    put_issue(f, "HQ-2026-000001", "c", "catering", HQ_IS_OPENED, 1);
    load(f, "HQ-2026-000001", &is);
    hq_issue_fini(&is);
    commit(f);
    begin(f);
}

static void an_empty_number_is_not_found(void **state)
{
    /* LMDB refuses empty keys; an empty number is simply no issue (the
     * engine loads "" when an event names none). */
    fixture *f = *state;
    hq_issue is;
    hq_err err = {0};
    assert_int_equal(hq_issue_load(f->store, f->txn, "", &is, &err), HQ_ENOTFOUND);
    assert_string_equal(err.msg, "no issue ");
}

static void the_timeline_is_tamper_evident(void **state)
{
    (void)state;
    hq_issue is;
    new_issue(&is, "HQ-2026-000001", "c", "catering");
    hq_issue_note(&is, is.opened_ms + 1, "a", 2, HQ_TL_COMMENT, HQ_TLC_NONE, "one");
    hq_issue_note(&is, is.opened_ms + 2, NULL, 3, HQ_TL_COMMENT, HQ_TLC_NONE, "two");
    assert_string_equal(is.timeline[2].actor, "system");
    assert_string_equal(is.timeline[2].text, "two");
    assert_int_equal(hq_issue_verify_timeline(&is), -1);
    /* Editing an entry breaks the chain from there. */
    is.timeline[1].ts_ms++;
    assert_int_equal(hq_issue_verify_timeline(&is), 1);
    is.timeline[1].ts_ms--;
    assert_int_equal(hq_issue_verify_timeline(&is), -1);
    is.timeline[2].seq = 4;
    assert_int_equal(hq_issue_verify_timeline(&is), 2);
    is.timeline[2].seq = 3;
    /* The first entry is bound to the issue number. */
    is.number[sizeof "HQ-2026-00000" - 1] = '2';
    assert_int_equal(hq_issue_verify_timeline(&is), 0);
    hq_issue_fini(&is);
}

static void numbers_count_per_year_and_are_never_reused(void **state)
{
    fixture *f = *state;
    char n[24];
    assert_int_equal(hq_issue_number_new(f->store, f->txn, 2026, n, sizeof n, NULL), 0);
    assert_string_equal(n, "HQ-2026-000001");
    assert_int_equal(hq_issue_number_new(f->store, f->txn, 2026, n, sizeof n, NULL), 0);
    assert_string_equal(n, "HQ-2026-000002");
    assert_int_equal(hq_issue_number_new(f->store, f->txn, 2027, n, sizeof n, NULL), 0);
    assert_string_equal(n, "HQ-2027-000001");
    commit(f);
    hq_store_close(&f->store);
    open_store(f);
    begin(f);
    assert_int_equal(hq_issue_number_new(f->store, f->txn, 2026, n, sizeof n, NULL), 0);
    assert_string_equal(n, "HQ-2026-000003");
}

static void the_state_index_follows_every_save(void **state)
{
    fixture *f = *state;
    list l;
    put_issue(f, "HQ-2026-000001", "xinyuan-catering", "catering", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000002", "anju-property", "dormitory", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000003", "xinyuan-catering", "catering", HQ_IS_OPENED, 1);
    assert_string_equal(in_state(f, HQ_IS_OPENED, &l), "HQ-2026-000001 HQ-2026-000002 HQ-2026-000003 ");
    assert_string_equal(in_state(f, HQ_IS_ACKNOWLEDGED, &l), "");
    move(f, "HQ-2026-000002", HQ_IS_ACKNOWLEDGED, 1);
    assert_string_equal(in_state(f, HQ_IS_OPENED, &l), "HQ-2026-000001 HQ-2026-000003 ");
    assert_string_equal(in_state(f, HQ_IS_ACKNOWLEDGED, &l), "HQ-2026-000002 ");
    move(f, "HQ-2026-000002", HQ_IS_RECTIFIED, 1);
    move(f, "HQ-2026-000002", HQ_IS_REOPENED, 1);
    move(f, "HQ-2026-000001", HQ_IS_CLOSED, 0);
    assert_string_equal(in_state(f, HQ_IS_OPENED, &l), "HQ-2026-000003 ");
    assert_string_equal(in_state(f, HQ_IS_ACKNOWLEDGED, &l), "");
    assert_string_equal(in_state(f, HQ_IS_RECTIFIED, &l), "");
    assert_string_equal(in_state(f, HQ_IS_REOPENED, &l), "HQ-2026-000002 ");
    assert_string_equal(in_state(f, HQ_IS_CLOSED, &l), "HQ-2026-000001 ");
    /* A save that does not change the state keeps the issue where it is. */
    move(f, "HQ-2026-000003", HQ_IS_OPENED, 2);
    assert_string_equal(in_state(f, HQ_IS_OPENED, &l), "HQ-2026-000003 ");
    /* The callback stops the walk. */
    move(f, "HQ-2026-000002", HQ_IS_CLOSED, 0);
    memset(&l, 0, sizeof l);
    l.stop_after = 1;
    assert_int_equal(hq_issue_each_in_state(f->store, f->txn, HQ_IS_CLOSED, collect, &l, NULL), 0);
    assert_string_equal(l.got, "HQ-2026-000001 ");
    /* The index survives a commit. */
    commit(f);
    begin(f);
    assert_string_equal(in_state(f, HQ_IS_CLOSED, &l), "HQ-2026-000001 HQ-2026-000002 ");
}

static void domain_and_contractor_indexes(void **state)
{
    fixture *f = *state;
    list l;
    put_issue(f, "HQ-2026-000001", "xinyuan-catering", "catering", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000002", "anju-property", "dormitory", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000003", "xinyuan-catering", "catering", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000004", "anju-property", "property", HQ_IS_OPENED, 1);
    assert_string_equal(raw_index(f, 'd', "catering", &l), "HQ-2026-000001 HQ-2026-000003 ");
    assert_string_equal(raw_index(f, 'd', "dormitory", &l), "HQ-2026-000002 ");
    assert_string_equal(raw_index(f, 'd', "property", &l), "HQ-2026-000004 ");
    assert_string_equal(raw_index(f, 'd', "energy", &l), "");
    assert_string_equal(raw_index(f, 'c', "xinyuan-catering", &l), "HQ-2026-000001 HQ-2026-000003 ");
    assert_string_equal(raw_index(f, 'c', "anju-property", &l), "HQ-2026-000002 HQ-2026-000004 ");
    /* A value is not a prefix of another. */
    assert_string_equal(raw_index(f, 'c', "anju", &l), "");
    /* Moving through states does not touch them; closed issues stay listed. */
    move(f, "HQ-2026-000001", HQ_IS_CLOSED, 0);
    move(f, "HQ-2026-000003", HQ_IS_RECTIFIED, 1);
    assert_string_equal(raw_index(f, 'd', "catering", &l), "HQ-2026-000001 HQ-2026-000003 ");
    assert_string_equal(raw_index(f, 'c', "xinyuan-catering", &l), "HQ-2026-000001 HQ-2026-000003 ");
}

static void the_open_count_is_kept_by_every_save(void **state)
{
    fixture *f = *state;
    assert_int_equal(open_count(f), 0);
    put_issue(f, "HQ-2026-000001", "c", "catering", HQ_IS_OPENED, 1);
    assert_int_equal(open_count(f), 1);
    put_issue(f, "HQ-2026-000002", "c", "catering", HQ_IS_OPENED, 0);
    put_issue(f, "HQ-2026-000003", "c", "catering", HQ_IS_OPENED, 1);
    assert_int_equal(open_count(f), 3);
    /* Saves between open states change nothing. */
    move(f, "HQ-2026-000001", HQ_IS_OPENED, 2);
    move(f, "HQ-2026-000001", HQ_IS_ACKNOWLEDGED, 1);
    move(f, "HQ-2026-000001", HQ_IS_RECTIFIED, 1);
    move(f, "HQ-2026-000001", HQ_IS_REOPENED, 1);
    assert_int_equal(open_count(f), 3);
    /* Closing: one fewer; saving a closed issue again: no change. */
    move(f, "HQ-2026-000001", HQ_IS_CLOSED, 0);
    assert_int_equal(open_count(f), 2);
    move(f, "HQ-2026-000001", HQ_IS_CLOSED, 0);
    assert_int_equal(open_count(f), 2);
    move(f, "HQ-2026-000003", HQ_IS_CLOSED, 0);
    assert_int_equal(open_count(f), 1);
    /* A new issue stored already closed is not open. */
    put_issue(f, "HQ-2026-000004", "c", "catering", HQ_IS_CLOSED, 0);
    assert_int_equal(open_count(f), 1);
    /* An aborted save leaves the count as it was. */
    commit(f);
    begin(f);
    put_issue(f, "HQ-2026-000005", "c", "catering", HQ_IS_OPENED, 1);
    assert_int_equal(open_count(f), 2);
    hq_store_abort(f->store, f->txn);
    begin(f);
    assert_int_equal(open_count(f), 1);
    move(f, "HQ-2026-000002", HQ_IS_CLOSED, 0);
    assert_int_equal(open_count(f), 0);
}

static void open_issues_with_no_next_step_are_listed(void **state)
{
    fixture *f = *state;
    list l;
    put_issue(f, "HQ-2026-000001", "c", "catering", HQ_IS_OPENED, 0); /* no timer: stuck */
    put_issue(f, "HQ-2026-000002", "c", "catering", HQ_IS_OPENED, 1); /* a deadline: fine */
    put_issue(f, "HQ-2026-000003", "c", "catering", HQ_IS_CLOSED, 0); /* closed: fine */
    put_issue(f, "HQ-2026-000004", "c", "catering", HQ_IS_RECTIFIED, 0);
    assert_string_equal(stuck(f, &l), "HQ-2026-000001 HQ-2026-000004 ");
    /* Scheduling a step takes it off the list ... */
    move(f, "HQ-2026-000001", HQ_IS_OPENED, 1);
    assert_string_equal(stuck(f, &l), "HQ-2026-000004 ");
    /* ... losing every step puts it back ... */
    move(f, "HQ-2026-000002", HQ_IS_ACKNOWLEDGED, 0);
    assert_string_equal(stuck(f, &l), "HQ-2026-000002 HQ-2026-000004 ");
    /* ... and closing takes it off for good. */
    move(f, "HQ-2026-000004", HQ_IS_CLOSED, 0);
    move(f, "HQ-2026-000002", HQ_IS_CLOSED, 0);
    assert_string_equal(stuck(f, &l), "");
    /* A loaded issue knows how it is indexed. */
    hq_issue is;
    load(f, "HQ-2026-000001", &is);
    assert_false(is.stored_stuck);
    hq_issue_fini(&is);
    put_issue(f, "HQ-2026-000005", "c", "catering", HQ_IS_REOPENED, 0);
    load(f, "HQ-2026-000005", &is);
    assert_true(is.stored_stuck);
    hq_issue_fini(&is);
}

/* The state as a version without the audit indexes left it: the issues,
 * but no meta "index:audit", no "count:open" and no 'n' index entries. */
static void forget_audit_indexes(fixture *f)
{
    meta_del(f, "index:audit");
    meta_del(f, "count:open");
    list l;
    stuck(f, &l);
    char *save_ptr = NULL;
    for (char *n = strtok_r(l.got, " ", &save_ptr); n; n = strtok_r(NULL, " ", &save_ptr)) {
        char key[64];
        int kl = snprintf(key, sizeof key, "n%c%c%s", 0, 0, n);
        assert_int_equal(hq_store_del(f->store, f->txn, HQ_DB_ISSUE_IDX, key, (size_t)kl, NULL), 0);
    }
    assert_string_equal(stuck(f, &l), "");
    assert_int_equal(open_count(f), 0);
}

static void the_audit_indexes_are_built_once_for_an_old_state(void **state)
{
    fixture *f = *state;
    size_t scanned = 99;
    list l;
    /* A new state has them from the start: nothing to do. */
    assert_int_equal(hq_issue_index_upgrade(f->store, f->txn, &scanned, NULL), 0);
    assert_int_equal(scanned, 0);
    put_issue(f, "HQ-2026-000001", "c", "catering", HQ_IS_OPENED, 0);       /* open, stuck */
    put_issue(f, "HQ-2026-000002", "c", "catering", HQ_IS_ACKNOWLEDGED, 2); /* open */
    put_issue(f, "HQ-2026-000003", "c", "catering", HQ_IS_CLOSED, 0);       /* closed */
    put_issue(f, "HQ-2026-000004", "c", "catering", HQ_IS_REOPENED, 0);     /* open, stuck */
    put_issue(f, "HQ-2026-000005", "c", "catering", HQ_IS_CLOSED, 0);       /* closed */
    assert_int_equal(open_count(f), 3);
    assert_int_equal(hq_issue_index_upgrade(f->store, f->txn, &scanned, NULL), 0);
    assert_int_equal(scanned, 0);
    commit(f);
    begin(f);
    forget_audit_indexes(f);
    commit(f);
    begin(f);
    /* The first call scans every issue and rebuilds both. */
    hq_err err = {0};
    if (hq_issue_index_upgrade(f->store, f->txn, &scanned, &err) != 0)
        fail_msg("upgrade: %s", err.msg);
    assert_int_equal(scanned, 5);
    assert_int_equal(open_count(f), 3);
    assert_string_equal(stuck(f, &l), "HQ-2026-000001 HQ-2026-000004 ");
    commit(f);
    begin(f);
    /* The second is a no-op, whatever changed since. */
    put_issue(f, "HQ-2026-000006", "c", "catering", HQ_IS_OPENED, 0);
    assert_int_equal(open_count(f), 4);
    scanned = 99;
    assert_int_equal(hq_issue_index_upgrade(f->store, f->txn, &scanned, NULL), 0);
    assert_int_equal(scanned, 0);
    assert_int_equal(open_count(f), 4);
    assert_string_equal(stuck(f, &l), "HQ-2026-000001 HQ-2026-000004 HQ-2026-000006 ");
    /* Saves after the upgrade keep both right. */
    move(f, "HQ-2026-000001", HQ_IS_CLOSED, 0);
    assert_int_equal(open_count(f), 3);
    assert_string_equal(stuck(f, &l), "HQ-2026-000004 HQ-2026-000006 ");
}

static void an_upgrade_of_a_state_with_no_issues(void **state)
{
    fixture *f = *state;
    size_t scanned = 99;
    meta_del(f, "index:audit");
    assert_int_equal(hq_issue_index_upgrade(f->store, f->txn, &scanned, NULL), 0);
    assert_int_equal(scanned, 0);
    assert_int_equal(open_count(f), 0);
    /* The marker is written: the next call does not scan. */
    put_issue(f, "HQ-2026-000001", "c", "catering", HQ_IS_OPENED, 0);
    meta_del(f, "count:open");
    assert_int_equal(hq_issue_index_upgrade(f->store, f->txn, &scanned, NULL), 0);
    assert_int_equal(scanned, 0);
    assert_int_equal(open_count(f), 0);
}

static void penalties_respect_their_caps(void **state)
{
    (void)state;
    hq_issue is;
    new_issue(&is, "HQ-2026-000001", "c", "catering");
    is.has_terms = true;
    is.terms.name = hq_strdup("t");
    is.terms.contract = hq_strdup("第九条");
    is.terms.total_cap_cents = 2500;
    /* The kind's cap: 1000 per day, at most 1500 in all. */
    assert_int_equal(hq_issue_penalize(&is, 1, 1000, 1500, "per_overdue_day", "day 1"), 1000);
    assert_int_equal(hq_issue_penalize(&is, 2, 1000, 1500, "per_overdue_day", "day 2"), 500);
    assert_int_equal(hq_issue_penalize(&is, 3, 1000, 1500, "per_overdue_day", "day 3"), 0);
    assert_int_equal(is.npenalties, 2);
    assert_string_equal(is.penalties[1].term, "t:per_overdue_day 第九条");
    assert_string_equal(is.penalties[1].reason, "day 2");
    assert_int_equal(is.penalties[1].ts_ms, 2);
    /* The total cap across kinds. */
    assert_int_equal(hq_issue_penalize(&is, 4, 800, 0, "per_failed_recheck", "recheck"), 800);
    assert_int_equal(hq_issue_penalize(&is, 5, 800, 0, "opinion", "opinion"), 200);
    assert_int_equal(hq_issue_penalize(&is, 6, 800, 0, "opinion", "opinion"), 0);
    assert_int_equal(hq_issue_penalty_total(&is), 2500);
    /* Nothing for nothing. */
    assert_int_equal(hq_issue_penalize(&is, 7, 0, 0, "opinion", "none"), 0);
    assert_int_equal(hq_issue_penalize(&is, 7, -5, 0, "opinion", "none"), 0);
    assert_int_equal(is.npenalties, 4);
    hq_issue_fini(&is);
}

static void json_shows_personal_data_only_when_asked(void **state)
{
    (void)state;
    hq_issue is;
    new_issue(&is, "HQ-2026-000009", "xinyuan-catering", "catering");
    is.complaint_contact = hq_strdup("138-0000-1234");
    hq_buf b;
    hq_buf_init(&b);
    hq_issue_to_json(&is, &b, false);
    assert_non_null(strstr(b.data, "\"number\":\"HQ-2026-000009\""));
    assert_non_null(strstr(b.data, "\"state\":\"opened\""));
    assert_null(strstr(b.data, "138-0000-1234"));
    assert_null(strstr(b.data, "complaint_contact"));
    hq_buf_reset(&b);
    hq_issue_to_json(&is, &b, true);
    assert_non_null(strstr(b.data, "\"complaint_contact\":\"138-0000-1234\""));
    hq_buf_fini(&b);
    hq_issue_fini(&is);
}

/* ---- the console's indexes (houqin-web's ledger and evaluation) ---- */

static const char *open_of(fixture *f, const char *contractor, bool newest_first, const char *before, list *l)
{
    memset(l, 0, sizeof *l);
    assert_int_equal(hq_issue_each_open_of(f->store, f->txn, contractor, newest_first, before, collect, l, NULL), 0);
    return l->got;
}

static int collect_active(void *ctx, const char *number, int64_t opened_ms)
{
    (void)opened_ms;
    return collect(ctx, number);
}

static const char *active_since(fixture *f, int64_t from, list *l)
{
    memset(l, 0, sizeof *l);
    assert_int_equal(hq_issue_each_active_since(f->store, f->txn, from, collect_active, l, NULL), 0);
    return l->got;
}

/* Loads number, adds a comment at ts, saves. */
static void touch(fixture *f, const char *number, int64_t ts)
{
    hq_issue is;
    load(f, number, &is);
    hq_issue_add(&is, ts, "lin.sup", 0, &(hq_tl_entry){.kind = HQ_TL_COMMENT, .text = "x"});
    save(f, &is);
    hq_issue_fini(&is);
}

static void the_console_indexes_follow_every_save(void **state)
{
    fixture *f = *state;
    list l;
    bool yes = false;
    assert_int_equal(hq_issue_console_indexed(f->store, f->txn, &yes, NULL), 0);
    assert_true(yes); /* a new state has them */
    int64_t t0 = fx_at(2026, 3, 9, 9); /* new_issue's opening time */
    put_issue(f, "HQ-2026-000001", "xinyuan-catering", "catering", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000002", "hexiang-catering", "catering", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000003", "xinyuan-catering", "catering", HQ_IS_ACKNOWLEDGED, 1);
    put_issue(f, "HQ-2026-000004", "xinyuan-catering", "catering", HQ_IS_CLOSED, 0); /* never open */
    put_issue(f, "HQ-2026-000005", "xinyuan-catering", "catering", HQ_IS_REOPENED, 1);
    /* The open issues of one contractor, either way, and a page after a number. */
    assert_string_equal(open_of(f, "xinyuan-catering", false, NULL, &l), "HQ-2026-000001 HQ-2026-000003 HQ-2026-000005 ");
    assert_string_equal(open_of(f, "xinyuan-catering", true, NULL, &l), "HQ-2026-000005 HQ-2026-000003 HQ-2026-000001 ");
    assert_string_equal(open_of(f, "xinyuan-catering", true, "HQ-2026-000005", &l), "HQ-2026-000003 HQ-2026-000001 ");
    assert_string_equal(open_of(f, "xinyuan-catering", true, "HQ-2026-000004", &l), "HQ-2026-000003 HQ-2026-000001 ");
    assert_string_equal(open_of(f, "hexiang-catering", true, NULL, &l), "HQ-2026-000002 ");
    assert_string_equal(open_of(f, "xinyuan", true, NULL, &l), ""); /* not a prefix match */
    assert_string_equal(open_of(f, "nobody", true, NULL, &l), "");
    /* Between open states: still listed; closed: gone. */
    move(f, "HQ-2026-000001", HQ_IS_RECTIFIED, 1);
    move(f, "HQ-2026-000003", HQ_IS_CLOSED, 0);
    assert_string_equal(open_of(f, "xinyuan-catering", true, NULL, &l), "HQ-2026-000005 HQ-2026-000001 ");
    /* By last activity: all at t0; a comment moves one later, once. */
    assert_string_equal(active_since(f, t0, &l),
                        "HQ-2026-000001 HQ-2026-000002 HQ-2026-000003 HQ-2026-000004 HQ-2026-000005 ");
    assert_string_equal(active_since(f, t0 + 1, &l), "");
    touch(f, "HQ-2026-000002", t0 + 5 * DAY_MS);
    touch(f, "HQ-2026-000004", t0 + 3 * DAY_MS);
    assert_string_equal(active_since(f, t0 + 1, &l), "HQ-2026-000004 HQ-2026-000002 ");
    assert_string_equal(active_since(f, t0 + 4 * DAY_MS, &l), "HQ-2026-000002 ");
    assert_string_equal(active_since(f, t0, &l),
                        "HQ-2026-000001 HQ-2026-000003 HQ-2026-000005 HQ-2026-000004 HQ-2026-000002 ");
    /* Closing at a later time moves it too; a penalty counts as activity. */
    hq_issue is;
    load(f, "HQ-2026-000005", &is);
    assert_int_equal(is.stored_last_ms, t0);
    is.state = HQ_IS_CLOSED;
    is.closed_ms = t0 + 6 * DAY_MS;
    save(f, &is);
    hq_issue_fini(&is);
    load(f, "HQ-2026-000001", &is);
    hq_issue_penalize(&is, t0 + 7 * DAY_MS, 100, 0, "overdue", "超期");
    save(f, &is);
    assert_int_equal(hq_issue_last_ms(&is), t0 + 7 * DAY_MS);
    hq_issue_fini(&is);
    assert_string_equal(active_since(f, t0 + 4 * DAY_MS, &l), "HQ-2026-000002 HQ-2026-000005 HQ-2026-000001 ");
    assert_string_equal(open_of(f, "xinyuan-catering", true, NULL, &l), "HQ-2026-000001 ");
    /* Times before 1970 still sort (the sign bit is flipped). */
    put_issue(f, "HQ-2026-000006", "hexiang-catering", "catering", HQ_IS_OPENED, 1);
    load(f, "HQ-2026-000006", &is);
    is.opened_ms = -DAY_MS;
    hq_tl_entry *e = &is.timeline[0];
    e->ts_ms = -DAY_MS;
    save(f, &is);
    hq_issue_fini(&is);
    assert_string_equal(active_since(f, -2 * DAY_MS, &l),
                        "HQ-2026-000006 HQ-2026-000003 HQ-2026-000004 HQ-2026-000002 HQ-2026-000005 HQ-2026-000001 ");
}

static void the_console_indexes_are_built_once_for_an_old_state(void **state)
{
    fixture *f = *state;
    list l;
    put_issue(f, "HQ-2026-000001", "xinyuan-catering", "catering", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000002", "xinyuan-catering", "catering", HQ_IS_CLOSED, 0);
    put_issue(f, "HQ-2026-000003", "hexiang-catering", "catering", HQ_IS_REOPENED, 1);
    /* As a version without them left the state: no marker, no entries. */
    forget_index(f, "index:console", "oa");
    bool yes = true;
    assert_int_equal(hq_issue_console_indexed(f->store, f->txn, &yes, NULL), 0);
    assert_false(yes);
    assert_string_equal(open_of(f, "xinyuan-catering", true, NULL, &l), "");
    assert_string_equal(active_since(f, 0, &l), "");
    size_t scanned = 0;
    hq_err err = {0};
    if (hq_issue_index_upgrade(f->store, f->txn, &scanned, &err) != 0)
        fail_msg("upgrade: %s", err.msg);
    assert_int_equal(scanned, 3);
    assert_int_equal(hq_issue_console_indexed(f->store, f->txn, &yes, NULL), 0);
    assert_true(yes);
    assert_string_equal(open_of(f, "xinyuan-catering", true, NULL, &l), "HQ-2026-000001 ");
    assert_string_equal(open_of(f, "hexiang-catering", true, NULL, &l), "HQ-2026-000003 ");
    assert_string_equal(active_since(f, 0, &l), "HQ-2026-000001 HQ-2026-000002 HQ-2026-000003 ");
    /* Once: the next call scans nothing. */
    assert_int_equal(hq_issue_index_upgrade(f->store, f->txn, &scanned, NULL), 0);
    assert_int_equal(scanned, 0);
}

/* ---- the evaluation's summary ---- */

static void summary(fixture *f, const char *number, hq_issue_summary *sum)
{
    hq_err err = {0};
    if (hq_issue_load_summary(f->store, f->txn, number, sum, &err) != 0)
        fail_msg("summary of %s: %s", number, err.msg);
}

/* What the evaluation reads of is equals what the summary gives, and
 * nothing else is set. */
static void assert_summary_of(const hq_issue *is, const hq_issue_summary *sum)
{
    const hq_issue *g = &sum->is;
    assert_string_equal(g->number, is->number);
    assert_int_equal(g->state, is->state);
    assert_int_equal(g->severity, is->severity);
    assert_int_equal(g->opened_ms, is->opened_ms);
    assert_int_equal(g->closed_ms, is->closed_ms);
    const char *want[4] = {is->owner, is->domain, is->contractor, is->category};
    const char *got[4] = {g->owner, g->domain, g->contractor, g->category};
    for (int i = 0; i < 4; i++) {
        if (!want[i])
            assert_null(got[i]);
        else
            assert_string_equal(got[i], want[i]);
    }
    assert_int_equal(g->npenalties, is->npenalties);
    for (size_t i = 0; i < is->npenalties; i++) {
        assert_int_equal(g->penalties[i].ts_ms, is->penalties[i].ts_ms);
        assert_int_equal(g->penalties[i].amount_cents, is->penalties[i].amount_cents);
        assert_null(g->penalties[i].reason);
    }
    assert_int_equal(g->ntimeline, is->ntimeline);
    for (size_t i = 0; i < is->ntimeline; i++) {
        assert_int_equal(g->timeline[i].ts_ms, is->timeline[i].ts_ms);
        assert_int_equal(g->timeline[i].kind, is->timeline[i].kind);
        assert_null(g->timeline[i].actor);
    }
    assert_null(g->title);
    assert_null(g->site);
    assert_null(g->rule);
    assert_int_equal(g->ntimers, 0);
    assert_int_equal(g->nchain, 0);
}

static void the_summary_follows_every_save(void **state)
{
    fixture *f = *state;
    bool yes = false;
    assert_int_equal(hq_issue_summarized(f->store, f->txn, &yes, NULL), 0);
    assert_true(yes); /* a new state has them from the start */
    hq_issue a, b;
    new_issue(&a, "HQ-2026-000001", "xinyuan-catering", "catering");
    a.severity = HQ_SEV_CRITICAL;
    fx_penalty(&a, a.opened_ms + DAY_MS, 50000, "逾期第1天");
    hq_issue_note(&a, a.opened_ms + HOUR_MS, "contact.xinyuan", 7, HQ_TL_ACKNOWLEDGED, HQ_TLC_NONE, "签收");
    hq_issue_note(&a, a.opened_ms + 2 * DAY_MS, "", 0, HQ_TL_OVERDUE, HQ_TLC_NONE, NULL);
    save(f, &a);
    new_issue(&b, "HQ-2026-000002", NULL, "");
    b.owner = hq_strdup("office:canteen-1");
    save(f, &b);
    hq_issue_summary sum = {0};
    summary(f, "HQ-2026-000001", &sum);
    assert_summary_of(&a, &sum);
    /* the same memory serves the next one, with fewer entries */
    summary(f, "HQ-2026-000002", &sum);
    assert_summary_of(&b, &sum);
    assert_string_equal(sum.is.owner, "office:canteen-1");
    assert_null(sum.is.contractor);
    assert_string_equal(sum.is.domain, "");
    /* a later save: rectified, closed, answered, one more penalty */
    hq_issue_note(&a, a.opened_ms + 3 * DAY_MS, "contact.xinyuan", 8, HQ_TL_RECTIFIED, HQ_TLC_NONE, "已更换压缩机");
    hq_issue_note(&a, a.opened_ms + 4 * DAY_MS, "li.supervisor", 9, HQ_TL_CLOSED, HQ_TLC_NONE, NULL);
    hq_issue_note(&a, a.opened_ms + 5 * DAY_MS, "", 10, HQ_TL_SATISFIED, HQ_TLC_NONE, NULL);
    fx_penalty(&a, a.opened_ms + 2 * DAY_MS, 70000, "逾期第2天");
    a.state = HQ_IS_CLOSED;
    a.closed_ms = a.opened_ms + 4 * DAY_MS;
    save(f, &a);
    summary(f, "HQ-2026-000001", &sum);
    assert_summary_of(&a, &sum);
    assert_int_equal(sum.is.timeline[sum.is.ntimeline - 1].kind, HQ_TL_SATISFIED);
    assert_int_equal(sum.is.npenalties, 2);
    hq_issue_summary_fini(&sum);
    hq_issue_fini(&a);
    hq_issue_fini(&b);
}

static void a_missing_or_broken_summary_is_an_error(void **state)
{
    fixture *f = *state;
    hq_issue_summary sum = {0};
    hq_err err = {0};
    assert_int_equal(hq_issue_load_summary(f->store, f->txn, "HQ-2026-000009", &sum, &err), HQ_ENOTFOUND);
    assert_int_equal(hq_issue_load_summary(f->store, f->txn, "", &sum, NULL), HQ_ENOTFOUND);
    put_issue(f, "HQ-2026-000001", "c", "catering", HQ_IS_OPENED, 0);
    char key[64];
    int kl = snprintf(key, sizeof key, "e%c%cHQ-2026-000001", 0, 0);
    /* cut short, then of another version */
    MDB_val v;
    assert_int_equal(hq_store_get(f->store, f->txn, HQ_DB_ISSUE_IDX, key, (size_t)kl, &v, NULL), 0);
    unsigned char copy[512];
    assert_true(v.mv_size <= sizeof copy);
    memcpy(copy, v.mv_data, v.mv_size);
    size_t len = v.mv_size;
    assert_int_equal(hq_store_put(f->store, f->txn, HQ_DB_ISSUE_IDX, key, (size_t)kl, copy, len - 3, NULL), 0);
    assert_int_equal(hq_issue_load_summary(f->store, f->txn, "HQ-2026-000001", &sum, &err), HQ_ESTORE);
    assert_non_null(strstr(err.msg, "HQ-2026-000001"));
    copy[0] = 2;
    assert_int_equal(hq_store_put(f->store, f->txn, HQ_DB_ISSUE_IDX, key, (size_t)kl, copy, len, NULL), 0);
    assert_int_equal(hq_issue_load_summary(f->store, f->txn, "HQ-2026-000001", &sum, NULL), HQ_ESTORE);
    hq_issue_summary_fini(&sum);
}

static void the_summaries_are_built_once_for_an_old_state(void **state)
{
    fixture *f = *state;
    put_issue(f, "HQ-2026-000001", "xinyuan-catering", "catering", HQ_IS_OPENED, 1);
    put_issue(f, "HQ-2026-000002", "xinyuan-catering", "catering", HQ_IS_CLOSED, 0);
    /* As a version with the console's indexes but no summaries left it. */
    forget_index(f, "index:eval", "e");
    bool yes = true;
    assert_int_equal(hq_issue_summarized(f->store, f->txn, &yes, NULL), 0);
    assert_false(yes);
    hq_issue_summary sum = {0};
    assert_int_equal(hq_issue_load_summary(f->store, f->txn, "HQ-2026-000001", &sum, NULL), HQ_ENOTFOUND);
    size_t scanned = 0;
    hq_err err = {0};
    if (hq_issue_index_upgrade(f->store, f->txn, &scanned, &err) != 0)
        fail_msg("upgrade: %s", err.msg);
    assert_int_equal(scanned, 2);
    assert_int_equal(hq_issue_summarized(f->store, f->txn, &yes, NULL), 0);
    assert_true(yes);
    hq_issue is;
    for (int i = 1; i <= 2; i++) {
        char n[32];
        snprintf(n, sizeof n, "HQ-2026-00000%d", i);
        load(f, n, &is);
        summary(f, n, &sum);
        assert_summary_of(&is, &sum);
        hq_issue_fini(&is);
    }
    /* Once: the next call scans nothing. */
    assert_int_equal(hq_issue_index_upgrade(f->store, f->txn, &scanned, NULL), 0);
    assert_int_equal(scanned, 0);
    hq_issue_summary_fini(&sum);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allowed_transition),
        cmocka_unit_test(every_refused_transition_with_its_reason),
        cmocka_unit_test(the_refusals_of_the_manual_read_as_written),
        cmocka_unit_test(the_whole_life_of_an_issue),
        cmocka_unit_test(state_and_action_names),
        T(a_saved_issue_loads_back_whole),
        T(a_missing_issue_is_not_found),
        T(an_empty_number_is_not_found),
        cmocka_unit_test(the_timeline_is_tamper_evident),
        T(numbers_count_per_year_and_are_never_reused),
        T(the_state_index_follows_every_save),
        T(domain_and_contractor_indexes),
        T(the_open_count_is_kept_by_every_save),
        T(open_issues_with_no_next_step_are_listed),
        T(the_audit_indexes_are_built_once_for_an_old_state),
        T(an_upgrade_of_a_state_with_no_issues),
        T(the_console_indexes_follow_every_save),
        T(the_console_indexes_are_built_once_for_an_old_state),
        T(the_summary_follows_every_save),
        T(a_missing_or_broken_summary_is_an_error),
        T(the_summaries_are_built_once_for_an_old_state),
        cmocka_unit_test(penalties_respect_their_caps),
        cmocka_unit_test(json_shows_personal_data_only_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
