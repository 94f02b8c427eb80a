/* test_timer.c - durable timers (lib/timer.c), as a specification.
 *
 * Each test gets a fresh LMDB state in a temporary directory.  The queue
 * is read the way the engine reads it: hq_timer_first_due() for the next
 * timer due by now, then hq_timer_del() of that timer, until nothing is
 * due.  The order that gives is the contract: due time first, then
 * creation order (the id) for ties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"
#include "store.h"
#include "timer.h"

typedef struct fixture {
    char *tmp;
    char state[4096];
    hq_store *store;
    MDB_txn *txn;
} fixture;

static void open_store(fixture *f)
{
    hq_err err = {0};
    if (hq_store_open(f->state, 0, 0, &f->store, &err) != 0)
        fail_msg("open %s: %s", f->state, err.msg);
}

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

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->tmp = hq_test_tmpdir();
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
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

static uint64_t add(fixture *f, int64_t due_ms, hq_timer_kind kind, const char *issue, int64_t arg)
{
    hq_timer t = {.due_ms = due_ms, .kind = kind, .arg = arg};
    snprintf(t.issue, sizeof t.issue, "%s", issue);
    hq_err err = {0};
    if (hq_timer_add(f->store, f->txn, &t, &err) != 0)
        fail_msg("add: %s", err.msg);
    assert_true(t.id > 0);
    return t.id;
}

/* Takes the first timer due by now off the queue: true and *t, or false. */
static bool pop(fixture *f, int64_t now_ms, hq_timer *t)
{
    hq_err err = {0};
    int rc = hq_timer_first_due(f->store, f->txn, now_ms, t, &err);
    if (rc == HQ_ENOTFOUND)
        return false;
    if (rc != 0)
        fail_msg("first_due: %s", err.msg);
    assert_int_equal(hq_timer_del(f->store, f->txn, t->due_ms, t->id, &err), 0);
    return true;
}

static size_t count_all(fixture *f)
{
    MDB_stat st;
    assert_int_equal(mdb_stat(f->txn, hq_store_dbi(f->store, HQ_DB_TIMERS), &st), 0);
    return st.ms_entries;
}

/* ---- tests ---- */

static void an_empty_queue_has_nothing_due(void **state)
{
    fixture *f = *state;
    hq_timer t;
    int64_t due = 12345;
    assert_int_equal(hq_timer_first_due(f->store, f->txn, INT64_MAX, &t, NULL), HQ_ENOTFOUND);
    assert_int_equal(hq_timer_next_due(f->store, f->txn, &due, NULL), HQ_ENOTFOUND);
    assert_int_equal(due, 12345); /* untouched */
}

static void a_timer_keeps_what_it_was_given(void **state)
{
    fixture *f = *state;
    hq_timer t = {.due_ms = 1773024300000LL, .kind = HQ_TIMER_ESCALATE, .arg = 3};
    snprintf(t.issue, sizeof t.issue, "HQ-2026-000123");
    snprintf(t.rule, sizeof t.rule, "catering.cold-storage");
    snprintf(t.key, sizeof t.key, "cs-001:冷库");
    assert_int_equal(hq_timer_add(f->store, f->txn, &t, NULL), 0);
    assert_int_equal(t.id, 1);
    hq_timer got;
    memset(&got, 0x5a, sizeof got);
    assert_int_equal(hq_timer_first_due(f->store, f->txn, t.due_ms, &got, NULL), 0);
    assert_int_equal(got.due_ms, t.due_ms);
    assert_int_equal(got.id, t.id);
    assert_int_equal(got.kind, HQ_TIMER_ESCALATE);
    assert_string_equal(got.issue, "HQ-2026-000123");
    assert_string_equal(got.rule, "catering.cold-storage");
    assert_string_equal(got.key, "cs-001:冷库");
    assert_int_equal(got.arg, 3);
    /* A rule timer has no issue. */
    hq_timer r = {.due_ms = 5, .kind = HQ_TIMER_SUSTAIN, .arg = -7};
    snprintf(r.rule, sizeof r.rule, "t.cold");
    snprintf(r.key, sizeof r.key, "cs-002");
    assert_int_equal(hq_timer_add(f->store, f->txn, &r, NULL), 0);
    assert_int_equal(r.id, 2);
    assert_true(pop(f, 5, &got));
    assert_int_equal(got.id, r.id);
    assert_int_equal(got.kind, HQ_TIMER_SUSTAIN);
    assert_string_equal(got.issue, "");
    assert_string_equal(got.rule, "t.cold");
    assert_string_equal(got.key, "cs-002");
    assert_int_equal(got.arg, -7);
}

static void ids_grow_and_are_never_reused(void **state)
{
    fixture *f = *state;
    uint64_t a = add(f, 100, HQ_TIMER_DEADLINE, "A", 0);
    uint64_t b = add(f, 50, HQ_TIMER_DEADLINE, "B", 0);
    assert_true(b > a);
    hq_timer t;
    assert_true(pop(f, 1000, &t));
    assert_true(pop(f, 1000, &t));
    commit(f);
    begin(f);
    uint64_t c = add(f, 10, HQ_TIMER_DEADLINE, "C", 0);
    assert_true(c > b); /* the queue was empty: ids still do not start over */
}

static void next_due_and_first_due_see_the_earliest_timer(void **state)
{
    fixture *f = *state;
    add(f, 3000, HQ_TIMER_DEADLINE, "C", 0);
    uint64_t first = add(f, 1000, HQ_TIMER_ACK, "A", 0);
    add(f, 2000, HQ_TIMER_RECHECK, "B", 0);
    int64_t due = 0;
    assert_int_equal(hq_timer_next_due(f->store, f->txn, &due, NULL), 0);
    assert_int_equal(due, 1000);
    hq_timer t;
    /* Not due yet one millisecond before; due at the millisecond. */
    assert_int_equal(hq_timer_first_due(f->store, f->txn, 999, &t, NULL), HQ_ENOTFOUND);
    assert_int_equal(hq_timer_first_due(f->store, f->txn, 1000, &t, NULL), 0);
    assert_int_equal(t.id, first);
    assert_string_equal(t.issue, "A");
    /* first_due does not take the timer off the queue. */
    assert_int_equal(hq_timer_first_due(f->store, f->txn, 5000, &t, NULL), 0);
    assert_int_equal(t.id, first);
    assert_int_equal(count_all(f), 3);
}

static void timers_fire_in_due_order_then_creation_order(void **state)
{
    fixture *f = *state;
    /* Added out of order, with ties at 100 and at 200. */
    struct {
        int64_t due;
        const char *name;
        uint64_t id;
    } in[] = {{300, "e", 0}, {100, "a", 0}, {200, "c", 0}, {100, "b", 0}, {200, "d", 0}, {400, "f", 0}};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++)
        in[i].id = add(f, in[i].due, HQ_TIMER_DEADLINE, in[i].name, 0);
    char order[16] = "";
    hq_timer t;
    int64_t last_due = -1;
    uint64_t last_id = 0;
    while (pop(f, 300, &t)) {
        strcat(order, t.issue);
        assert_true(t.due_ms > last_due || (t.due_ms == last_due && t.id > last_id));
        last_due = t.due_ms;
        last_id = t.id;
    }
    assert_string_equal(order, "abcde");
    /* f (due 400) is still there. */
    int64_t due = 0;
    assert_int_equal(hq_timer_next_due(f->store, f->txn, &due, NULL), 0);
    assert_int_equal(due, 400);
    assert_true(pop(f, 400, &t));
    assert_string_equal(t.issue, "f");
    assert_false(pop(f, INT64_MAX, &t));
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void many_timers_come_out_sorted(void **state)
{
    fixture *f = *state;
    enum { N = 5000 };
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int64_t base = 1773024300000LL;
    for (int i = 0; i < N; i++) {
        /* Few distinct due times, so that ties are common; a spread from
         * under 2^8 to above 2^40 ms tests the byte order of the key. */
        int64_t due = (rnd(&seed) % 4 == 0) ? (int64_t)(rnd(&seed) % 256) : base + (int64_t)(rnd(&seed) % 50) * 1000;
        add(f, due, HQ_TIMER_OVERDUE_DAY, "x", i);
    }
    commit(f);
    begin(f);
    assert_int_equal(count_all(f), N);
    hq_timer t;
    int64_t last_due = -1;
    uint64_t last_id = 0;
    size_t n = 0;
    while (pop(f, INT64_MAX, &t)) {
        if (!(t.due_ms > last_due || (t.due_ms == last_due && t.id > last_id)))
            fail_msg("timer %zu (due %lld, id %llu) after (due %lld, id %llu)", n, (long long)t.due_ms,
                     (unsigned long long)t.id, (long long)last_due, (unsigned long long)last_id);
        /* arg was the creation index; ids are handed out in creation order. */
        assert_int_equal(t.id, (uint64_t)t.arg + 1);
        last_due = t.due_ms;
        last_id = t.id;
        n++;
    }
    assert_int_equal(n, N);
    assert_int_equal(count_all(f), 0);
}

static void key_order_is_numeric_across_byte_boundaries(void **state)
{
    fixture *f = *state;
    /* Little-endian or string order would put 256 before 255 or 2^40 before
     * 2^32 + 1 in the wrong place; big-endian keys order them numerically. */
    static const int64_t dues[] = {(1LL << 40), 256, 255, (1LL << 32) + 1, 1, (1LL << 32), 65535, 65536, 0,
                                   INT64_MAX,   1773024300000LL};
    static const int64_t sorted[] = {0,     1,           255,         256, 65535, 65536, (1LL << 32), (1LL << 32) + 1,
                                     (1LL << 40), 1773024300000LL, INT64_MAX};
    for (size_t i = 0; i < sizeof dues / sizeof *dues; i++)
        add(f, dues[i], HQ_TIMER_DEADLINE, "", 0);
    hq_timer t;
    for (size_t i = 0; i < sizeof sorted / sizeof *sorted; i++) {
        assert_true(pop(f, INT64_MAX, &t));
        assert_int_equal(t.due_ms, sorted[i]);
    }
    assert_false(pop(f, INT64_MAX, &t));
}

static void a_due_time_before_the_epoch_is_due_at_once(void **state)
{
    fixture *f = *state;
    /* Negative due times (a clock set before 1970, an event ts far in the
     * past plus a short duration) must not wrap to the end of the queue as
     * huge unsigned keys: they are due at time 0, before every other. */
    uint64_t late = add(f, 10, HQ_TIMER_DEADLINE, "later", 0);
    uint64_t neg = add(f, -5000, HQ_TIMER_SUSTAIN, "negative", 0);
    uint64_t min = add(f, INT64_MIN, HQ_TIMER_SUSTAIN, "min", 0);
    int64_t due = -1;
    assert_int_equal(hq_timer_next_due(f->store, f->txn, &due, NULL), 0);
    assert_int_equal(due, 0);
    hq_timer t;
    assert_int_equal(hq_timer_first_due(f->store, f->txn, 0, &t, NULL), 0);
    assert_int_equal(t.id, neg);
    assert_string_equal(t.issue, "negative");
    /* It can be deleted by the due time it was added with. */
    assert_int_equal(hq_timer_del(f->store, f->txn, -5000, neg, NULL), 0);
    assert_int_equal(hq_timer_first_due(f->store, f->txn, 0, &t, NULL), 0);
    assert_int_equal(t.id, min);
    assert_true(pop(f, 0, &t));
    assert_false(pop(f, 9, &t));
    assert_true(pop(f, 10, &t));
    assert_int_equal(t.id, late);
    assert_int_equal(count_all(f), 0);
}

static void deleting_removes_exactly_that_timer(void **state)
{
    fixture *f = *state;
    uint64_t a = add(f, 100, HQ_TIMER_DEADLINE, "a", 0);
    uint64_t b = add(f, 100, HQ_TIMER_ESCALATE, "b", 2);
    uint64_t c = add(f, 200, HQ_TIMER_ESCALATE, "c", 3);
    /* Deleting what is not there is fine and touches nothing: an unknown
     * id, a known id under another due time, a due time with no timer. */
    assert_int_equal(hq_timer_del(f->store, f->txn, 100, 999, NULL), 0);
    assert_int_equal(hq_timer_del(f->store, f->txn, 200, a, NULL), 0);
    assert_int_equal(hq_timer_del(f->store, f->txn, 150, b, NULL), 0);
    assert_int_equal(count_all(f), 3);
    /* Deleting the middle one of a tie. */
    assert_int_equal(hq_timer_del(f->store, f->txn, 100, b, NULL), 0);
    assert_int_equal(count_all(f), 2);
    hq_timer t;
    assert_true(pop(f, 1000, &t));
    assert_int_equal(t.id, a);
    assert_true(pop(f, 1000, &t));
    assert_int_equal(t.id, c);
    assert_false(pop(f, 1000, &t));
    /* Twice is fine too. */
    assert_int_equal(hq_timer_del(f->store, f->txn, 200, c, NULL), 0);
    /* On an empty queue. */
    assert_int_equal(hq_timer_del(f->store, f->txn, 0, 0, NULL), 0);
}

static void timers_are_durable_and_an_abort_undoes_them(void **state)
{
    fixture *f = *state;
    uint64_t kept = add(f, 500, HQ_TIMER_RECHECK, "kept", 0);
    commit(f);
    begin(f);
    add(f, 100, HQ_TIMER_DEADLINE, "aborted", 0);
    hq_store_abort(f->store, f->txn);
    f->txn = NULL;
    hq_store_close(&f->store);
    open_store(f);
    begin(f);
    assert_int_equal(count_all(f), 1);
    hq_timer t;
    assert_true(pop(f, 500, &t));
    assert_int_equal(t.id, kept);
    assert_string_equal(t.issue, "kept");
    assert_int_equal(t.kind, HQ_TIMER_RECHECK);
}

static void every_kind_has_a_name_and_a_missed_policy(void **state)
{
    (void)state;
    static const struct {
        hq_timer_kind k;
        const char *name;
        hq_missed_policy missed;
    } kinds[] = {
        /* Deadlines and escalation steps each fire late: every level reached
         * is a fact; reminders collapse into one. */
        {HQ_TIMER_DEADLINE, "deadline", HQ_MISSED_FIRE_LATE},
        {HQ_TIMER_ESCALATE, "escalation", HQ_MISSED_FIRE_LATE},
        {HQ_TIMER_OVERDUE_DAY, "overdue-reminder", HQ_MISSED_COLLAPSE},
        {HQ_TIMER_RECHECK, "recheck-reminder", HQ_MISSED_COLLAPSE},
        {HQ_TIMER_ACK, "acknowledgement-reminder", HQ_MISSED_COLLAPSE},
        {HQ_TIMER_SUSTAIN, "sustained-condition", HQ_MISSED_FIRE_LATE},
        {HQ_TIMER_CLEAR, "self-clearing", HQ_MISSED_FIRE_LATE},
        {HQ_TIMER_OBLIGATION, "obligation-deadline", HQ_MISSED_FIRE_LATE},
        {HQ_TIMER_STALE, "stale-data", HQ_MISSED_FIRE_LATE},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        assert_string_equal(hq_timer_kind_name(kinds[i].k), kinds[i].name);
        assert_int_equal(hq_timer_missed_policy(kinds[i].k), kinds[i].missed);
    }
    assert_string_equal(hq_timer_kind_name((hq_timer_kind)0), "?");
    assert_string_equal(hq_timer_kind_name((hq_timer_kind)99), "?");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(an_empty_queue_has_nothing_due),
        T(a_timer_keeps_what_it_was_given),
        T(ids_grow_and_are_never_reused),
        T(next_due_and_first_due_see_the_earliest_timer),
        T(timers_fire_in_due_order_then_creation_order),
        T(many_timers_come_out_sorted),
        T(key_order_is_numeric_across_byte_boundaries),
        T(a_due_time_before_the_epoch_is_due_at_once),
        T(deleting_removes_exactly_that_timer),
        T(timers_are_durable_and_an_abort_undoes_them),
        cmocka_unit_test(every_kind_has_a_name_and_a_missed_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
