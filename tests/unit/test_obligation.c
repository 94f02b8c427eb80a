/* test_obligation.c - obligations stored per rule and slot
 * (lib/obligation.c), as a specification (R6; issue 4 item 3):
 *
 * - generation stores one record and ONE timer per rule and slot, the unit
 *   list once per distinct set, nothing per unit; it is idempotent and
 *   follows the generation mark; deadlines already past are left out;
 * - an expected event in a slot's window satisfies its unit; a unit the
 *   slot does not expect, or a second event, changes nothing;
 * - when every unit came before the deadline, the slot's timer is gone;
 * - the deadline marks the units still due missed, in the set's order,
 *   calling back for each (the engine opens the issues), in slices of at
 *   most max units with the timer armed again in between;
 * - an event after the deadline, stamped in the window or within a day
 *   after it, makes the missed slot late;
 * - a reset drops the slots still ahead with their timers and keeps what
 *   happened; generating again after it follows a new unit list;
 * - the listing: every unit of every slot, due when nothing happened, then
 *   the records of units the slot does not expect.
 *
 * Times are local to Asia/Shanghai (UTC+8, no DST), computed here without
 * the library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"

#include "calendar.h"
#include "clock.h"
#include "obligation.h"
#include "schedule.h"
#include "store.h"
#include "timer.h"
#include "ytree.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* 2026-09-07 00:00 +08:00, a Monday */
#define MON (1788739200000LL - 8 * HOUR_MS)

#define MAX_LISTED 64

typedef struct listed {
    char rule[64], unit[64];
    int64_t start_ms, due_ms;
    hq_obligation_state state;
    uint64_t seq;
} listed;

typedef struct fixture {
    char *tmp;
    char state[4096];
    hq_store *store;
    MDB_txn *txn;
    hq_calendar *cal;
    hq_schedule *daily;   /* by 12:00 and 18:00, every day */
    hq_schedule *weekly;  /* by fri 18:00 */
    listed got[MAX_LISTED];
    size_t n;
    char called[16][64];  /* units the deadline called back for */
    int64_t called_due[16];
    size_t ncalled;
} fixture;

static hq_schedule *sched(const char *text)
{
    hq_ydoc *doc = NULL;
    hq_err err = {0};
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(hq_ydoc_load_buf("s.yaml", text, strlen(text), NULL, &doc, &err), 0);
    hq_schedule *s = hq_schedule_parse(doc, hq_ymap_get(doc->root, "schedule"), NULL, &d);
    assert_int_equal(d.count, 0);
    assert_non_null(s);
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
    return s;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (hq_tz_set("Asia/Shanghai") != 0)
        return -1;
    f->tmp = hq_test_tmpdir();
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
    hq_err err = {0};
    if (hq_store_open(f->state, 0, 0, &f->store, &err) != 0 || hq_store_begin(f->store, true, &f->txn, &err) != 0)
        fail_msg("%s", err.msg);
    f->cal = hq_calendar_default();
    f->daily = sched("schedule: {every: day, by: [\"12:00\", \"18:00\"]}\n");
    f->weekly = sched("schedule: {every: week, by: \"fri 18:00\"}\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hq_store_abort(f->store, f->txn);
    hq_store_close(&f->store);
    hq_schedule_destroy(&f->daily);
    hq_schedule_destroy(&f->weekly);
    hq_calendar_destroy(&f->cal);
    hq_test_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

static size_t generate(fixture *f, const char *rule, const char *const *units, size_t n, const hq_schedule *s,
                       int64_t now_ms, int64_t horizon_ms)
{
    size_t created = 99;
    hq_err err = {0};
    if (hq_obligation_generate(f->store, f->txn, rule, units, n, s, f->cal, now_ms, horizon_ms, &created, &err))
        fail_msg("generate: %s", err.msg);
    return created;
}

static uint64_t entries(fixture *f, enum hq_db db)
{
    hq_store_stats st;
    assert_int_equal(hq_store_stats_get(f->store, f->txn, &st, NULL), 0);
    return st.entries[db];
}

static int collect(void *ctx, const hq_obligation *o)
{
    fixture *f = ctx;
    assert_true(f->n < MAX_LISTED);
    listed *l = &f->got[f->n++];
    snprintf(l->rule, sizeof l->rule, "%s", o->rule);
    snprintf(l->unit, sizeof l->unit, "%s", o->unit);
    l->start_ms = o->start_ms;
    l->due_ms = o->due_ms;
    l->state = o->state;
    l->seq = o->seq;
    return 0;
}

static void list(fixture *f)
{
    f->n = 0;
    assert_int_equal(hq_obligation_each(f->store, f->txn, collect, f, NULL), 0);
}

/* The listed obligation of (unit, due); fails when it is not listed once. */
static const listed *find(fixture *f, const char *rule, const char *unit, int64_t due_ms)
{
    const listed *hit = NULL;
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->got[i].rule, rule) && !strcmp(f->got[i].unit, unit) && f->got[i].due_ms == due_ms) {
            if (hit)
                fail_msg("%s %s %lld listed twice", rule, unit, (long long)due_ms);
            hit = &f->got[i];
        }
    if (!hit)
        fail_msg("%s %s %lld not listed", rule, unit, (long long)due_ms);
    return hit;
}

static hq_obligation_hit arrive(fixture *f, const char *rule, const char *unit, int64_t ts_ms, uint64_t seq)
{
    hq_obligation_hit hit = {HQ_OBL_MISSED, -1};
    hq_err err = {0};
    if (hq_obligation_arrived(f->store, f->txn, rule, unit, ts_ms, seq, &hit, &err))
        fail_msg("arrived: %s", err.msg);
    return hit;
}

static int on_missed(void *ctx, const char *unit, int64_t due_ms)
{
    fixture *f = ctx;
    assert_true(f->ncalled < 16);
    snprintf(f->called[f->ncalled], sizeof f->called[0], "%s", unit);
    f->called_due[f->ncalled++] = due_ms;
    return 0;
}

/* Fires the first timer due at now_ms as the engine does (deleted, then
 * the deadline); returns the units marked, or -1 when none is due. */
static long fire(fixture *f, int64_t now_ms, size_t max)
{
    hq_timer t;
    hq_err err = {0};
    int rc = hq_timer_first_due(f->store, f->txn, now_ms, &t, &err);
    if (rc == HQ_ENOTFOUND)
        return -1;
    assert_int_equal(rc, 0);
    assert_int_equal(t.kind, HQ_TIMER_OBLIGATION);
    assert_int_equal(hq_timer_del(f->store, f->txn, t.due_ms, t.id, NULL), 0);
    size_t marked = 99;
    if (hq_obligation_deadline(f->store, f->txn, &t, max, on_missed, f, &marked, &err))
        fail_msg("deadline: %s", err.msg);
    return (long)marked;
}

static int64_t next_due(fixture *f)
{
    int64_t due = -1;
    int rc = hq_timer_next_due(f->store, f->txn, &due, NULL);
    return rc == HQ_ENOTFOUND ? -1 : due;
}

static const char *const ABC[] = {"a", "b", "c"};

/* ---- generation ---- */

static void test_generation_stores_one_record_and_one_timer_per_slot(void **state)
{
    fixture *f = *state;
    /* Two days: four slots of three units. */
    assert_int_equal(generate(f, "r.daily", ABC, 3, f->daily, MON, 2 * DAY_MS), 12);
    assert_int_equal(entries(f, HQ_DB_TIMERS), 4);
    assert_int_equal(entries(f, HQ_DB_RULESTATE), 4 + 1); /* the slots and one unit set */
    assert_int_equal(next_due(f), MON + 12 * HOUR_MS);
    list(f);
    assert_int_equal(f->n, 12);
    /* In deadline order, each slot's units in the set's order, all due. */
    const int64_t due[4] = {MON + 12 * HOUR_MS, MON + 18 * HOUR_MS, MON + DAY_MS + 12 * HOUR_MS,
                            MON + DAY_MS + 18 * HOUR_MS};
    const int64_t start[4] = {MON, MON + 12 * HOUR_MS, MON + DAY_MS, MON + DAY_MS + 12 * HOUR_MS};
    for (size_t i = 0; i < 12; i++) {
        assert_string_equal(f->got[i].rule, "r.daily");
        assert_string_equal(f->got[i].unit, ABC[i % 3]);
        assert_int_equal(f->got[i].due_ms, due[i / 3]);
        assert_int_equal(f->got[i].start_ms, start[i / 3]);
        assert_int_equal(f->got[i].state, HQ_OBL_DUE);
        assert_int_equal(f->got[i].seq, 0);
    }
    /* Again: nothing new.  A day later: only the day that came into range. */
    assert_int_equal(generate(f, "r.daily", ABC, 3, f->daily, MON, 2 * DAY_MS), 0);
    assert_int_equal(generate(f, "r.daily", ABC, 3, f->daily, MON + DAY_MS, 2 * DAY_MS), 6);
    assert_int_equal(entries(f, HQ_DB_TIMERS), 6);
}

static void test_deadlines_already_past_are_not_generated(void **state)
{
    fixture *f = *state;
    assert_int_equal(generate(f, "r.daily", ABC, 3, f->daily, MON + 13 * HOUR_MS, 12 * HOUR_MS), 3);
    list(f);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->got[0].due_ms, MON + 18 * HOUR_MS);
    /* A deadline exactly now is past too. */
    assert_int_equal(generate(f, "r.other", ABC, 3, f->daily, MON + 18 * HOUR_MS, HOUR_MS), 0);
}

static void test_rules_with_the_same_units_share_one_set(void **state)
{
    fixture *f = *state;
    static const char *const BA[] = {"b", "a"};
    generate(f, "r.daily", ABC, 3, f->daily, MON, DAY_MS);  /* 2 slots */
    generate(f, "r.again", ABC, 3, f->daily, MON, DAY_MS);  /* 2 slots, the same set */
    assert_int_equal(entries(f, HQ_DB_RULESTATE), 4 + 1);
    generate(f, "r.weekly", BA, 2, f->weekly, MON, 7 * DAY_MS); /* 1 slot, another set */
    assert_int_equal(entries(f, HQ_DB_RULESTATE), 5 + 2);
    assert_int_equal(entries(f, HQ_DB_TIMERS), 5);
    list(f);
    assert_int_equal(f->n, 12 + 2);
    /* rules in byte order: r.again, r.daily, r.weekly; the weekly slot's units in its order */
    assert_string_equal(f->got[0].rule, "r.again");
    assert_string_equal(f->got[12].rule, "r.weekly");
    assert_string_equal(f->got[12].unit, "b");
    assert_int_equal(f->got[12].start_ms, MON);
    assert_int_equal(f->got[12].due_ms, MON + 4 * DAY_MS + 18 * HOUR_MS);
}

/* ---- events ---- */

static void test_an_event_in_the_window_satisfies_its_unit_only(void **state)
{
    fixture *f = *state;
    generate(f, "r.daily", ABC, 3, f->daily, MON, DAY_MS);
    hq_obligation_hit h = arrive(f, "r.daily", "b", MON + 10 * HOUR_MS, 7);
    assert_int_equal(h.state, HQ_OBL_SATISFIED);
    assert_int_equal(h.due_ms, MON + 12 * HOUR_MS);
    /* The window holds its deadline. */
    h = arrive(f, "r.daily", "c", MON + 12 * HOUR_MS, 8);
    assert_int_equal(h.state, HQ_OBL_SATISFIED);
    assert_int_equal(h.due_ms, MON + 12 * HOUR_MS);
    /* A second event exactly at a deadline already met counts for the
     * next window, which starts there. */
    h = arrive(f, "r.daily", "c", MON + 12 * HOUR_MS, 13);
    assert_int_equal(h.state, HQ_OBL_SATISFIED);
    assert_int_equal(h.due_ms, MON + 18 * HOUR_MS);
    /* A unit the rule does not expect, a second event, another rule: nothing. */
    assert_int_equal(arrive(f, "r.daily", "z", MON + 10 * HOUR_MS, 9).state, HQ_OBL_DUE);
    assert_int_equal(arrive(f, "r.daily", "b", MON + 11 * HOUR_MS, 10).state, HQ_OBL_DUE);
    assert_int_equal(arrive(f, "r.none", "b", MON + 11 * HOUR_MS, 11).state, HQ_OBL_DUE);
    list(f);
    assert_int_equal(f->n, 6);
    assert_int_equal(find(f, "r.daily", "a", MON + 12 * HOUR_MS)->state, HQ_OBL_DUE);
    const listed *b = find(f, "r.daily", "b", MON + 12 * HOUR_MS);
    assert_int_equal(b->state, HQ_OBL_SATISFIED);
    assert_int_equal(b->seq, 7);
    assert_int_equal(b->start_ms, MON);
    assert_int_equal(find(f, "r.daily", "c", MON + 12 * HOUR_MS)->seq, 8);
    assert_int_equal(find(f, "r.daily", "b", MON + 18 * HOUR_MS)->state, HQ_OBL_DUE);
    assert_int_equal(find(f, "r.daily", "c", MON + 18 * HOUR_MS)->seq, 13);
    /* Before any window of the rule: nothing. */
    assert_int_equal(arrive(f, "r.daily", "a", MON - HOUR_MS, 12).state, HQ_OBL_DUE);
}

static void test_when_every_unit_came_the_deadline_costs_nothing(void **state)
{
    fixture *f = *state;
    generate(f, "r.daily", ABC, 3, f->daily, MON, DAY_MS);
    assert_int_equal(entries(f, HQ_DB_TIMERS), 2);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(arrive(f, "r.daily", ABC[i], MON + 9 * HOUR_MS, 1 + i).state, HQ_OBL_SATISFIED);
    assert_int_equal(entries(f, HQ_DB_TIMERS), 1);
    assert_int_equal(next_due(f), MON + 18 * HOUR_MS);
    assert_int_equal(fire(f, MON + 12 * HOUR_MS, 100), -1);
    list(f);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(find(f, "r.daily", ABC[i], MON + 12 * HOUR_MS)->state, HQ_OBL_SATISFIED);
}

/* ---- deadlines ---- */

static void test_the_deadline_marks_the_units_still_due_missed_in_set_order(void **state)
{
    fixture *f = *state;
    static const char *const CAB[] = {"c", "a", "b"};
    generate(f, "r.daily", CAB, 3, f->daily, MON, DAY_MS);
    arrive(f, "r.daily", "a", MON + 11 * HOUR_MS, 5);
    assert_int_equal(fire(f, MON + 12 * HOUR_MS, 100), 2);
    assert_int_equal(f->ncalled, 2);
    assert_string_equal(f->called[0], "c");
    assert_string_equal(f->called[1], "b");
    assert_int_equal(f->called_due[0], MON + 12 * HOUR_MS);
    assert_int_equal(f->called_due[1], MON + 12 * HOUR_MS);
    list(f);
    assert_int_equal(find(f, "r.daily", "c", MON + 12 * HOUR_MS)->state, HQ_OBL_MISSED);
    assert_int_equal(find(f, "r.daily", "b", MON + 12 * HOUR_MS)->state, HQ_OBL_MISSED);
    const listed *a = find(f, "r.daily", "a", MON + 12 * HOUR_MS);
    assert_int_equal(a->state, HQ_OBL_SATISFIED);
    assert_int_equal(a->seq, 5);
    assert_int_equal(find(f, "r.daily", "b", MON + 12 * HOUR_MS)->start_ms, MON);
    /* The next slot is untouched, its timer next. */
    assert_int_equal(find(f, "r.daily", "c", MON + 18 * HOUR_MS)->state, HQ_OBL_DUE);
    assert_int_equal(next_due(f), MON + 18 * HOUR_MS);
    assert_int_equal(fire(f, MON + 12 * HOUR_MS, 100), -1);
}

static void test_an_event_after_the_deadline_makes_the_slot_late(void **state)
{
    fixture *f = *state;
    generate(f, "r.daily", ABC, 3, f->daily, MON, DAY_MS);
    assert_int_equal(fire(f, MON + 12 * HOUR_MS, 100), 3);
    /* b inspected at 11:50, the record arrives after the deadline. */
    hq_obligation_hit h = arrive(f, "r.daily", "b", MON + 11 * HOUR_MS + 50 * MIN_MS, 21);
    assert_int_equal(h.state, HQ_OBL_LATE);
    assert_int_equal(h.due_ms, MON + 12 * HOUR_MS);
    /* c inspects at 12:30: that is the next slot's window, satisfied there. */
    h = arrive(f, "r.daily", "c", MON + 12 * HOUR_MS + 30 * MIN_MS, 22);
    assert_int_equal(h.state, HQ_OBL_SATISFIED);
    assert_int_equal(h.due_ms, MON + 18 * HOUR_MS);
    list(f);
    const listed *b = find(f, "r.daily", "b", MON + 12 * HOUR_MS);
    assert_int_equal(b->state, HQ_OBL_LATE);
    assert_int_equal(b->seq, 21);
    assert_int_equal(find(f, "r.daily", "c", MON + 12 * HOUR_MS)->state, HQ_OBL_MISSED);
    /* Late once: a second late record changes nothing. */
    assert_int_equal(arrive(f, "r.daily", "b", MON + 11 * HOUR_MS + 55 * MIN_MS, 23).state, HQ_OBL_DUE);
    list(f);
    assert_int_equal(find(f, "r.daily", "b", MON + 12 * HOUR_MS)->seq, 21);
}

static void test_between_windows_a_miss_within_a_day_becomes_late(void **state)
{
    fixture *f = *state;
    static const char *const AB[] = {"a", "b"};
    const int64_t fri = MON + 4 * DAY_MS + 18 * HOUR_MS;
    generate(f, "r.weekly", AB, 2, f->weekly, MON, 14 * DAY_MS);
    assert_int_equal(fire(f, fri, 100), 2);
    /* Saturday 10:00 (within a day of Friday 18:00): late. */
    hq_obligation_hit h = arrive(f, "r.weekly", "a", fri + 16 * HOUR_MS, 31);
    assert_int_equal(h.state, HQ_OBL_LATE);
    assert_int_equal(h.due_ms, fri);
    /* Sunday 10:00: too late to count. */
    assert_int_equal(arrive(f, "r.weekly", "b", fri + 40 * HOUR_MS, 32).state, HQ_OBL_DUE);
    list(f);
    assert_int_equal(find(f, "r.weekly", "a", fri)->state, HQ_OBL_LATE);
    assert_int_equal(find(f, "r.weekly", "b", fri)->state, HQ_OBL_MISSED);
    assert_int_equal(find(f, "r.weekly", "b", fri + 7 * DAY_MS)->state, HQ_OBL_DUE);
}

static void test_a_deadline_marks_at_most_max_units_per_call(void **state)
{
    fixture *f = *state;
    static const char *const U[] = {"u1", "u2", "u3", "u4", "u5"};
    generate(f, "r.daily", U, 5, f->daily, MON, 12 * HOUR_MS + 1);
    assert_int_equal(entries(f, HQ_DB_TIMERS), 1);
    assert_int_equal(fire(f, MON + 12 * HOUR_MS, 2), 2);
    /* The slot waits again at its own due time, for the rest. */
    assert_int_equal(entries(f, HQ_DB_TIMERS), 1);
    assert_int_equal(next_due(f), MON + 12 * HOUR_MS);
    /* u4 inspected at 11:59 and the record arrives between the slices:
     * not marked yet, so still on time. */
    assert_int_equal(arrive(f, "r.daily", "u4", MON + 11 * HOUR_MS + 59 * MIN_MS, 40).state, HQ_OBL_SATISFIED);
    assert_int_equal(fire(f, MON + 12 * HOUR_MS, 2), 2);
    assert_int_equal(fire(f, MON + 12 * HOUR_MS, 2), -1);
    assert_int_equal(f->ncalled, 4);
    static const char *const want[] = {"u1", "u2", "u3", "u5"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(f->called[i], want[i]);
    list(f);
    assert_int_equal(find(f, "r.daily", "u4", MON + 12 * HOUR_MS)->state, HQ_OBL_SATISFIED);
    assert_int_equal(find(f, "r.daily", "u5", MON + 12 * HOUR_MS)->state, HQ_OBL_MISSED);
    /* A record of u1 now is late. */
    assert_int_equal(arrive(f, "r.daily", "u1", MON + 11 * HOUR_MS, 41).state, HQ_OBL_LATE);
}

/* ---- reset ---- */

static void test_reset_drops_the_slots_ahead_and_keeps_what_happened(void **state)
{
    fixture *f = *state;
    generate(f, "r.daily", ABC, 3, f->daily, MON, 2 * DAY_MS);
    assert_int_equal(fire(f, MON + 12 * HOUR_MS, 100), 3);
    arrive(f, "r.daily", "a", MON + 13 * HOUR_MS, 50); /* the 18:00 slot */
    /* A timer of the 18:00 slot, as it was before the reset. */
    hq_timer old;
    assert_int_equal(hq_timer_first_due(f->store, f->txn, MON + 18 * HOUR_MS, &old, NULL), 0);
    size_t dropped = 0;
    assert_int_equal(hq_obligation_reset(f->store, f->txn, MON + 12 * HOUR_MS + 1, &dropped, NULL), 0);
    assert_int_equal(dropped, 2 + 3 + 3);
    assert_int_equal(entries(f, HQ_DB_TIMERS), 0);
    list(f);
    assert_int_equal(f->n, 3 + 1); /* the 12:00 slot, and a's record of the 18:00 one */
    assert_int_equal(find(f, "r.daily", "b", MON + 12 * HOUR_MS)->state, HQ_OBL_MISSED);
    const listed *a = find(f, "r.daily", "a", MON + 18 * HOUR_MS);
    assert_int_equal(a->state, HQ_OBL_SATISFIED);
    assert_int_equal(a->start_ms, MON + 12 * HOUR_MS);
    /* A timer whose slot is gone does nothing. */
    size_t marked = 99;
    assert_int_equal(hq_obligation_deadline(f->store, f->txn, &old, 100, on_missed, f, &marked, NULL), 0);
    assert_int_equal(marked, 0);
    assert_int_equal(f->ncalled, 3);
    /* Generated again, with a unit more: a keeps its record and d is expected. */
    static const char *const ABCD[] = {"a", "b", "c", "d"};
    assert_int_equal(generate(f, "r.daily", ABCD, 4, f->daily, MON + 12 * HOUR_MS + 1, 36 * HOUR_MS), 3 * 4);
    list(f);
    assert_int_equal(f->n, 3 + 12);
    a = find(f, "r.daily", "a", MON + 18 * HOUR_MS);
    assert_int_equal(a->state, HQ_OBL_SATISFIED);
    assert_int_equal(a->seq, 50);
    assert_int_equal(find(f, "r.daily", "d", MON + 18 * HOUR_MS)->state, HQ_OBL_DUE);
    /* The past slot kept its set: d was not expected at 12:00. */
    for (size_t i = 0; i < f->n; i++)
        assert_false(!strcmp(f->got[i].unit, "d") && f->got[i].due_ms == MON + 12 * HOUR_MS);
    /* a counts as come: b, c and d still make the deadline's work. */
    assert_int_equal(fire(f, MON + 18 * HOUR_MS, 100), 3);
}

static void test_a_slot_generated_again_with_everyone_come_has_no_timer(void **state)
{
    fixture *f = *state;
    generate(f, "r.daily", ABC, 3, f->daily, MON, 12 * HOUR_MS + 1);
    for (size_t i = 0; i < 3; i++)
        arrive(f, "r.daily", ABC[i], MON + 9 * HOUR_MS, 1 + i);
    size_t dropped = 99;
    assert_int_equal(hq_obligation_reset(f->store, f->txn, MON + 10 * HOUR_MS, &dropped, NULL), 0);
    assert_int_equal(dropped, 0);
    generate(f, "r.daily", ABC, 3, f->daily, MON + 10 * HOUR_MS, 2 * HOUR_MS + 1);
    assert_int_equal(entries(f, HQ_DB_TIMERS), 0);
    list(f);
    assert_int_equal(f->n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(f->got[i].state, HQ_OBL_SATISFIED);
}

/* ---- listing ---- */

static int stop_after_two(void *ctx, const hq_obligation *o)
{
    (void)o;
    return ++*(int *)ctx == 2;
}

static void test_the_listing_shows_units_the_slot_does_not_expect_after_its_set(void **state)
{
    fixture *f = *state;
    generate(f, "r.daily", ABC, 3, f->daily, MON, 12 * HOUR_MS + 1);
    arrive(f, "r.daily", "a", MON + 9 * HOUR_MS, 60);
    size_t dropped;
    assert_int_equal(hq_obligation_reset(f->store, f->txn, MON + 10 * HOUR_MS, &dropped, NULL), 0);
    static const char *const CB[] = {"c", "b"};
    assert_int_equal(generate(f, "r.daily", CB, 2, f->daily, MON + 10 * HOUR_MS, 2 * HOUR_MS + 1), 2);
    list(f);
    assert_int_equal(f->n, 3);
    assert_string_equal(f->got[0].unit, "c");
    assert_string_equal(f->got[1].unit, "b");
    assert_string_equal(f->got[2].unit, "a");
    assert_int_equal(f->got[2].state, HQ_OBL_SATISFIED);
    assert_int_equal(f->got[2].seq, 60);
    int calls = 0;
    assert_int_equal(hq_obligation_each(f->store, f->txn, stop_after_two, &calls, NULL), 0);
    assert_int_equal(calls, 2);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(hq_obligation_state_name(HQ_OBL_DUE), "due");
    assert_string_equal(hq_obligation_state_name(HQ_OBL_SATISFIED), "satisfied");
    assert_string_equal(hq_obligation_state_name(HQ_OBL_LATE), "late");
    assert_string_equal(hq_obligation_state_name(HQ_OBL_MISSED), "missed");
    assert_string_equal(hq_obligation_state_name((hq_obligation_state)9), "?");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_generation_stores_one_record_and_one_timer_per_slot),
        T(test_deadlines_already_past_are_not_generated),
        T(test_rules_with_the_same_units_share_one_set),
        T(test_an_event_in_the_window_satisfies_its_unit_only),
        T(test_when_every_unit_came_the_deadline_costs_nothing),
        T(test_the_deadline_marks_the_units_still_due_missed_in_set_order),
        T(test_an_event_after_the_deadline_makes_the_slot_late),
        T(test_between_windows_a_miss_within_a_day_becomes_late),
        T(test_a_deadline_marks_at_most_max_units_per_call),
        T(test_reset_drops_the_slots_ahead_and_keeps_what_happened),
        T(test_a_slot_generated_again_with_everyone_come_has_no_timer),
        T(test_the_listing_shows_units_the_slot_does_not_expect_after_its_set),
        cmocka_unit_test(test_state_names),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
