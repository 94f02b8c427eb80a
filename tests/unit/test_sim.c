/* test_sim.c - the simulated houqind (lib/sim.c), as a specification: the
 * clock, timers at their due times, event results as ingest gives them,
 * grouped commits that survive a full map, scratch and kept states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clock.h"
#include "hq_test.h"
#include "issue.h"
#include "json.h"
#include "rt_fixture.h"
#include "sim.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
/* 2026-09-01T08:00:00+08:00 */
#define T0 1788220800000LL

typedef struct fixture {
    char *tmp;
    char rules_dir[4096];
    hq_schemas *schemas;
    hq_rules *rules;
    hq_sim *sim;
    msgpack_sbuffer sb;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->tmp = hq_test_tmpdir();
    snprintf(f->rules_dir, sizeof f->rules_dir, "%s/rules", f->tmp);
    hq_rt_rules_dir(f->rules_dir, hq_rt_test_rules);
    hq_rt_load(f->rules_dir, &f->schemas, &f->rules);
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);
    msgpack_sbuffer_init(&f->sb);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hq_sim_destroy(&f->sim);
    msgpack_sbuffer_destroy(&f->sb);
    hq_rules_destroy(&f->rules);
    hq_schemas_destroy(&f->schemas);
    hq_test_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

static void new_sim(fixture *f, const hq_sim_opts *o, int64_t start)
{
    hq_sim_opts def = {.parent_dir = f->tmp};
    hq_err err = {0};
    if (hq_sim_new(o ? o : &def, f->schemas, f->rules, start, &f->sim, &err) != 0)
        fail_msg("hq_sim_new: %s", err.msg);
}

/* An event frame in f->sb: data is JSON. */
static void frame(fixture *f, const char *id, const char *type, int64_t ts, const char *data)
{
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
    msgpack_pack_int64(&pk, ts);
    hq_test_pack_str(&pk, "data");
    hq_err err = {0};
    if (hq_json_to_mp("data", data, strlen(data), &pk, &err) != 0)
        fail_msg("data: %s", err.msg);
}

static hq_sim_result send_at(fixture *f, const char *id, const char *type, int64_t at, const char *data)
{
    frame(f, id, type, at, data);
    hq_sim_result res;
    hq_err err = {0};
    if (hq_sim_event(f->sim, f->sb.data, f->sb.size, at, &res, &err) != 0)
        fail_msg("hq_sim_event: %s", err.msg);
    return res;
}

static hq_sim_result cold(fixture *f, const char *id, int64_t at, double value)
{
    char data[200];
    snprintf(data, sizeof data,
             "{\"sensor\": \"cs-001\", \"kind\": \"cold_storage_temp\", \"value\": %.1f, \"unit\": \"C\", "
             "\"site\": \"canteen-1\"}",
             value);
    return send_at(f, id, "sensor.reading", at, data);
}

static hq_sim_result hot(fixture *f, const char *id, const char *sensor, int64_t at)
{
    char data[200];
    snprintf(data, sizeof data,
             "{\"sensor\": \"%s\", \"kind\": \"hot_water_temp\", \"value\": 60, \"unit\": \"C\", \"site\": \"dorm-3\"}",
             sensor);
    return send_at(f, id, "sensor.reading", at, data);
}

static void load_issue(fixture *f, const char *number, hq_issue *is)
{
    MDB_txn *txn;
    hq_err err = {0};
    assert_int_equal(hq_sim_txn(f->sim, &txn, &err), 0);
    if (hq_issue_load(hq_sim_store(f->sim), txn, number, is, &err) != 0)
        fail_msg("issue %s: %s", number, err.msg);
}

static uint64_t next_seq(fixture *f)
{
    MDB_txn *txn;
    uint64_t seq;
    assert_int_equal(hq_sim_txn(f->sim, &txn, NULL), 0);
    assert_int_equal(hq_store_peek_seq(hq_sim_store(f->sim), txn, HQ_DB_EVENTS, &seq, NULL), 0);
    return seq;
}

static void timers_fire_at_their_due_time(void **state)
{
    fixture *f = *state;
    new_sim(f, NULL, T0);
    assert_int_equal(hq_sim_now(f->sim), T0);
    assert_int_equal(cold(f, "a", T0, 9.5).status, HQ_SIM_STORED);
    size_t fired = 0;
    hq_err err = {0};
    /* The sustained timer is due at 08:30; the advance goes to 10:00. */
    assert_int_equal(hq_sim_advance(f->sim, T0 + 2 * HOUR, &fired, &err), 0);
    assert_int_equal(fired, 1);
    assert_int_equal(hq_sim_now(f->sim), T0 + 2 * HOUR);
    hq_issue is;
    load_issue(f, "HQ-2026-000001", &is);
    assert_int_equal(is.opened_ms, T0 + 30 * MIN);
    assert_int_equal(is.deadline_ms, T0 + 30 * MIN + 4 * HOUR);
    assert_int_equal(is.timeline[0].ts_ms, T0 + 30 * MIN);
    assert_false(is.overdue);
    hq_issue_fini(&is);
    /* The deadline at 12:30 fires at 12:30, within a longer advance. */
    assert_int_equal(hq_sim_advance(f->sim, T0 + 10 * HOUR, &fired, &err), 0);
    load_issue(f, "HQ-2026-000001", &is);
    assert_true(is.overdue);
    bool found = false;
    for (size_t i = 0; i < is.ntimeline; i++)
        if (is.timeline[i].kind == HQ_TL_OVERDUE) {
            assert_int_equal(is.timeline[i].ts_ms, T0 + 30 * MIN + 4 * HOUR);
            found = true;
        }
    assert_true(found);
    hq_issue_fini(&is);
    assert_int_equal(hq_sim_timers_fired(f->sim), 1 + fired);
    /* The clock never goes back. */
    assert_int_equal(hq_sim_advance(f->sim, T0, &fired, &err), 0);
    assert_int_equal(fired, 0);
    assert_int_equal(hq_sim_now(f->sim), T0 + 10 * HOUR);
}

static void event_results_are_ingest_replies(void **state)
{
    fixture *f = *state;
    new_sim(f, NULL, T0);
    hq_sim_result r = send_at(f, "bad", "sensor.reading", T0, "{\"sensor\": \"x\"}");
    assert_int_equal(r.status, HQ_SIM_REJECTED);
    assert_non_null(strstr(r.error.msg, "missing required field"));
    r = send_at(f, "nope", "no.such", T0, "{}");
    assert_int_equal(r.status, HQ_SIM_REJECTED);
    /* A lifecycle event about no issue: refused, and its id given back. */
    r = send_at(f, "ack1", "issue.acknowledged", T0, "{\"issue\": \"HQ-2026-000001\", \"actor\": \"x\"}");
    assert_int_equal(r.status, HQ_SIM_REFUSED);
    assert_non_null(strstr(r.error.msg, "no issue HQ-2026-000001"));
    assert_int_equal(next_seq(f), 1);
    r = hot(f, "h1", "hw-1", T0);
    assert_int_equal(r.status, HQ_SIM_STORED);
    assert_int_equal(r.seq, 1);
    assert_int_equal(r.issues_opened, 1);
    r = send_at(f, "ack1", "issue.acknowledged", T0 + MIN, "{\"issue\": \"HQ-2026-000001\", \"actor\": \"x\"}");
    assert_int_equal(r.status, HQ_SIM_STORED);
    assert_int_equal(r.seq, 2);
    /* The same again: a duplicate of seq 2; other content: rejected. */
    r = send_at(f, "ack1", "issue.acknowledged", T0 + MIN, "{\"issue\": \"HQ-2026-000001\", \"actor\": \"x\"}");
    assert_int_equal(r.status, HQ_SIM_DUPLICATE);
    assert_int_equal(r.seq, 2);
    r = send_at(f, "ack1", "issue.acknowledged", T0 + MIN, "{\"issue\": \"HQ-2026-000001\", \"actor\": \"y\"}");
    assert_int_equal(r.status, HQ_SIM_REJECTED);
    assert_non_null(strstr(r.error.msg, "id reused"));
    /* An event earlier than the clock is applied at the clock. */
    r = hot(f, "h2", "hw-2", T0 - HOUR);
    assert_int_equal(r.status, HQ_SIM_STORED);
    MDB_txn *txn;
    int64_t stored;
    const char *fr;
    size_t len;
    assert_int_equal(hq_sim_txn(f->sim, &txn, NULL), 0);
    assert_int_equal(hq_store_event_get(hq_sim_store(f->sim), txn, r.seq, &stored, &fr, &len, NULL), 0);
    assert_int_equal(stored, T0 + MIN);
}

static void a_full_map_is_grown_and_the_batch_replayed(void **state)
{
    fixture *f = *state;
    /* 256 KiB fills up after a few hundred events; commits every 400. */
    hq_sim_opts o = {.parent_dir = f->tmp, .map_size = 256 * 1024, .batch = 400};
    new_sim(f, &o, T0);
    char id[32], sensor[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "e%d", i);
        hq_sim_result r;
        if (i % 100 == 0) {
            snprintf(sensor, sizeof sensor, "hw-%d", i / 100);
            r = hot(f, id, sensor, T0 + i * 1000);
        } else {
            r = cold(f, id, T0 + i * 1000, 4.0);
        }
        assert_int_equal(r.status, HQ_SIM_STORED);
        assert_int_equal(r.seq, (uint64_t)i + 1);
    }
    hq_err err = {0};
    assert_int_equal(hq_sim_flush(f->sim, &err), 0);
    assert_int_equal(next_seq(f), 3001);
    /* The issues were numbered once each, in order, despite the replays. */
    for (int i = 0; i < 30; i++) {
        char num[24], want[32];
        snprintf(num, sizeof num, "HQ-2026-%06d", i + 1);
        snprintf(want, sizeof want, "hw-%d", i);
        hq_issue is;
        load_issue(f, num, &is);
        assert_string_equal(is.key, want);
        hq_issue_fini(&is);
    }
    MDB_envinfo info;
    mdb_env_info(hq_store_env(hq_sim_store(f->sim)), &info);
    assert_true(info.me_mapsize > 256 * 1024);
}

static void scratch_states_go_kept_states_stay(void **state)
{
    fixture *f = *state;
    new_sim(f, NULL, T0);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", hq_sim_dir(f->sim));
    assert_int_equal(strncmp(dir, f->tmp, strlen(f->tmp)), 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    hq_sim_destroy(&f->sim);
    assert_null(f->sim);
    assert_int_not_equal(stat(dir, &st), 0);
    hq_sim_destroy(&f->sim); /* NULL is fine */

    snprintf(dir, sizeof dir, "%s/kept", f->tmp);
    hq_sim_opts o = {.state_dir = dir};
    new_sim(f, &o, T0);
    assert_int_equal(hot(f, "h", "hw-1", T0).status, HQ_SIM_STORED);
    hq_sim_destroy(&f->sim);
    /* A real state: houqinctl can read it. */
    hq_store *s;
    hq_err err = {0};
    assert_int_equal(hq_store_open(dir, HQ_STORE_RDONLY, 0, &s, &err), 0);
    MDB_txn *txn;
    assert_int_equal(hq_store_begin(s, false, &txn, &err), 0);
    hq_issue is;
    assert_int_equal(hq_issue_load(s, txn, "HQ-2026-000001", &is, &err), 0);
    assert_string_equal(is.rule, "t.hot");
    hq_issue_fini(&is);
    hq_store_abort(s, txn);
    hq_store_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(timers_fire_at_their_due_time, setup, teardown),
        cmocka_unit_test_setup_teardown(event_results_are_ingest_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_map_is_grown_and_the_batch_replayed, setup, teardown),
        cmocka_unit_test_setup_teardown(scratch_states_go_kept_states_stay, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
