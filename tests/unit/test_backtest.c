/* test_backtest.c - replaying a stored log through another rule set
 * (lib/backtest.c), as a specification.
 *
 * The stored log is made by a sim that keeps its state (sim.h state_dir)
 * on rule set A (rt_fixture.h's t.hot and t.cold); the backtests run on
 * A again (nothing differs) and on B, where t.hot needs more than 70 and
 * is critical, and a rule t.warm (above 55) is new:
 *
 *   09:00 hw-1 at 60       A: t.hot opens     B: t.warm opens
 *   09:00 hw-2 at 80       A: t.hot (high)    B: t.hot (critical), t.warm
 *   09:00 cs-001 at 9.5    both: t.cold at 09:30
 *   10:00 rectified hw-1's and cs-001's issues: hw-1's has no t.hot
 *         counterpart in B (skipped), cs-001's is applied in both
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backtest.h"
#include "clock.h"
#include "hq_test.h"
#include "json.h"
#include "rt_fixture.h"
#include "sim.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
/* 2026-09-01T09:00:00+08:00 */
#define T0 1788224400000LL

static const char rules_b[] =
    "rules:\n"
    "  - id: t.hot\n"
    "    on: sensor.reading\n"
    "    when: [{field: data.kind, eq: hot_water_temp}, {field: data.value, gt: 70}]\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue: {title: \"hot {{data.sensor}}\", domain: catering, severity: critical, deadline: 4h,\n"
    "            chain: standard}\n"
    "  - id: t.warm\n"
    "    on: sensor.reading\n"
    "    when: [{field: data.kind, eq: hot_water_temp}, {field: data.value, gt: 55}]\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue: {title: \"warm {{data.sensor}}\", domain: catering, severity: low, deadline: 4h, chain: standard}\n"
    "  - id: t.cold\n"
    "    on: sensor.reading\n"
    "    when: [{field: data.kind, eq: cold_storage_temp}, {field: data.value, gt: 8}]\n"
    "    sustained: {for: 30m}\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue: {title: \"cold {{data.sensor}}\", domain: catering, deadline: 4h, chain: urgent}\n";

typedef struct fixture {
    char *tmp;
    char state[4096];
    hq_schemas *schemas;
    hq_rules *a, *b;
    hq_store *src;
    MDB_txn *txn;
    hq_backtest *bt;
} fixture;

static void send_event(hq_sim *sim, const char *id, const char *type, int64_t at, const char *data)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_test_pack_str(&pk, "id");
    hq_test_pack_str(&pk, id);
    hq_test_pack_str(&pk, "type");
    hq_test_pack_str(&pk, type);
    hq_test_pack_str(&pk, "source");
    hq_test_pack_str(&pk, "test");
    hq_test_pack_str(&pk, "ts");
    msgpack_pack_int64(&pk, at);
    hq_test_pack_str(&pk, "data");
    hq_err err = {0};
    assert_int_equal(hq_json_to_mp("data", data, strlen(data), &pk, &err), 0);
    hq_sim_result res;
    if (hq_sim_event(sim, sb.data, sb.size, at, &res, &err) != 0 || res.status != HQ_SIM_STORED)
        fail_msg("%s: %s %s", id, hq_sim_status_name(res.status), res.error.msg[0] ? res.error.msg : err.msg);
    msgpack_sbuffer_destroy(&sb);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->tmp = hq_test_tmpdir();
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/rules-a", f->tmp);
    snprintf(b, sizeof b, "%s/rules-b", f->tmp);
    hq_rt_rules_dir(a, hq_rt_test_rules);
    hq_rt_rules_dir(b, rules_b);
    hq_rt_load(a, &f->schemas, &f->a);
    hq_rt_load(b, &f->schemas, &f->b);
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);

    /* The stored log, on rule set A. */
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
    hq_sim_opts o = {.state_dir = f->state};
    hq_sim *sim = NULL;
    hq_err err = {0};
    assert_int_equal(hq_sim_new(&o, f->schemas, f->a, T0, &sim, &err), 0);
    static const char hot[] = "{\"sensor\": \"%s\", \"kind\": \"hot_water_temp\", \"value\": %d, \"unit\": \"C\", "
                              "\"site\": \"dorm-3\"}";
    char d[300];
    snprintf(d, sizeof d, hot, "hw-1", 60);
    send_event(sim, "h1", "sensor.reading", T0, d);
    snprintf(d, sizeof d, hot, "hw-2", 80);
    send_event(sim, "h2", "sensor.reading", T0, d);
    send_event(sim, "c1", "sensor.reading", T0,
         "{\"sensor\": \"cs-001\", \"kind\": \"cold_storage_temp\", \"value\": 9.5, \"unit\": \"C\", "
         "\"site\": \"canteen-1\"}");
    /* HQ-2026-000001 hw-1, 000002 hw-2, 000003 cs-001 (at 09:30) */
    send_event(sim, "r1", "issue.rectified", T0 + HOUR,
         "{\"issue\": \"HQ-2026-000001\", \"actor\": \"x\", \"evidence\": \"ok\"}");
    send_event(sim, "r3", "issue.rectified", T0 + HOUR,
         "{\"issue\": \"HQ-2026-000003\", \"actor\": \"x\", \"evidence\": \"ok\"}");
    assert_int_equal(hq_sim_advance(sim, T0 + 2 * HOUR, NULL, &err), 0);
    hq_sim_destroy(&sim);

    assert_int_equal(hq_store_open(f->state, HQ_STORE_RDONLY, 0, &f->src, &err), 0);
    assert_int_equal(hq_store_begin(f->src, false, &f->txn, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hq_backtest_destroy(&f->bt);
    hq_store_abort(f->src, f->txn);
    hq_store_close(&f->src);
    hq_rules_destroy(&f->a);
    hq_rules_destroy(&f->b);
    hq_schemas_destroy(&f->schemas);
    hq_test_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

static void run(fixture *f, const hq_rules *rules, int64_t from, int64_t to, int64_t end)
{
    hq_backtest_destroy(&f->bt);
    hq_backtest_opts o = {.from_ms = from, .to_ms = to, .end_ms = end, .scratch_dir = f->tmp};
    hq_err err = {0};
    if (hq_backtest_run(f->src, f->txn, f->schemas, rules, &o, &f->bt, &err) != 0)
        fail_msg("backtest: %s", err.msg);
}

static void the_same_rules_reproduce_the_state(void **state)
{
    fixture *f = *state;
    run(f, f->a, 0, 0, T0 + 2 * HOUR);
    hq_backtest *b = f->bt;
    assert_int_equal(b->events, 5);
    assert_int_equal(b->replayed, 5);
    assert_int_equal(b->invalid, 0);
    assert_int_equal(b->lifecycle_applied, 2);
    assert_int_equal(b->lifecycle_skipped + b->lifecycle_refused, 0);
    assert_int_equal(b->first_ms, T0);
    assert_int_equal(b->last_ms, T0 + HOUR);
    assert_int_equal(b->end_ms, T0 + 2 * HOUR);
    assert_int_equal(b->nbt, 3);
    assert_int_equal(b->nrun, 3);
    assert_int_equal(b->npairs, 3);
    for (size_t i = 0; i < b->npairs; i++)
        assert_int_equal(b->pairs[i].diff, 0);
    assert_int_equal(b->nonly_bt + b->nonly_run, 0);
}

static void another_rule_set_differs_as_documented(void **state)
{
    fixture *f = *state;
    run(f, f->b, 0, 0, T0 + 2 * HOUR);
    hq_backtest *b = f->bt;
    /* only in the running state: t.hot hw-1 */
    assert_int_equal(b->nonly_run, 1);
    assert_string_equal(b->only_run[0]->rule, "t.hot");
    assert_string_equal(b->only_run[0]->key, "hw-1");
    /* only in the backtest: t.warm hw-1 and hw-2, in key order */
    assert_int_equal(b->nonly_bt, 2);
    assert_string_equal(b->only_bt[0]->rule, "t.warm");
    assert_string_equal(b->only_bt[0]->key, "hw-1");
    assert_string_equal(b->only_bt[1]->key, "hw-2");
    /* in both: t.cold cs-001 (the same, rectified on both sides) and t.hot
     * hw-2 (severity high -> critical) */
    assert_int_equal(b->npairs, 2);
    const hq_bt_pair *cold = !strcmp(b->pairs[0].running->rule, "t.cold") ? &b->pairs[0] : &b->pairs[1];
    const hq_bt_pair *hot = cold == &b->pairs[0] ? &b->pairs[1] : &b->pairs[0];
    assert_int_equal(cold->diff, 0);
    assert_int_equal(cold->backtest->state, HQ_IS_RECTIFIED);
    assert_string_equal(hot->running->key, "hw-2");
    assert_int_equal(hot->diff, HQ_BT_SEVERITY);
    assert_int_equal(hot->running->severity, HQ_SEV_HIGH);
    assert_int_equal(hot->backtest->severity, HQ_SEV_CRITICAL);
    /* the rectification of hw-1's t.hot issue had nowhere to go */
    assert_int_equal(b->lifecycle_applied, 1);
    assert_int_equal(b->lifecycle_skipped, 1);
    assert_int_equal(b->nskips, 1);
    assert_int_equal(b->skips[0].seq, 4);
    assert_string_equal(b->skips[0].type, "issue.rectified");
    assert_string_equal(b->skips[0].issue, "HQ-2026-000001");
    assert_string_equal(b->skips[0].reason, "the backtest has no open issue for t.hot / hw-1");

    hq_buf j;
    hq_buf_init(&j);
    hq_backtest_to_json(b, &j);
    assert_non_null(strstr(j.data, "\"only_running\":[{\"number\":\"HQ-2026-000001\",\"rule\":\"t.hot\","
                                   "\"key\":\"hw-1\",\"severity\":\"high\",\"level\":1,\"state\":\"rectified\""));
    assert_non_null(strstr(j.data, "\"fields\":[\"severity\"]"));
    assert_non_null(strstr(j.data, "\"skipped\":[{\"seq\":4,\"type\":\"issue.rectified\",\"issue\":"
                                   "\"HQ-2026-000001\",\"refused\":false,"));
    assert_non_null(strstr(j.data, "\"events\":{\"in_range\":5,\"replayed\":4,\"invalid\":0,"
                                   "\"lifecycle_applied\":1,\"lifecycle_skipped\":1,\"lifecycle_refused\":0}"));
    hq_buf_fini(&j);
}

static void a_range_limits_both_sides(void **state)
{
    fixture *f = *state;
    /* From 09:30: only the two rectifications, whose issues the backtest
     * never opened; the running issues opened from 09:30: cs-001's. */
    run(f, f->a, T0 + 30 * MIN, 0, T0 + 2 * HOUR);
    hq_backtest *b = f->bt;
    assert_int_equal(b->events, 2);
    assert_int_equal(b->lifecycle_skipped, 2);
    assert_int_equal(b->nbt, 0);
    assert_int_equal(b->nrun, 1);
    assert_int_equal(b->nonly_run, 1);
    assert_string_equal(b->only_run[0]->key, "cs-001");
    /* Up to 09:15: the three readings; the cold issue is not opened by
     * then on either side. */
    run(f, f->a, 0, T0 + 15 * MIN, T0 + 15 * MIN);
    b = f->bt;
    assert_int_equal(b->events, 3);
    assert_int_equal(b->nbt, 2);
    assert_int_equal(b->nrun, 2);
    assert_int_equal(b->npairs, 2);
    assert_int_equal(b->end_ms, T0 + 15 * MIN);
    /* Nothing in range at all. */
    run(f, f->b, T0 + 5 * HOUR, 0, T0 + 6 * HOUR);
    assert_int_equal(f->bt->events, 0);
    assert_int_equal(f->bt->nbt + f->bt->nrun, 0);
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
    uint64_t *last = ctx;
    assert_true(done <= total);
    *last = done;
}

static void progress_is_reported_to_the_end(void **state)
{
    fixture *f = *state;
    uint64_t last = 0;
    hq_backtest_opts o = {.scratch_dir = f->tmp, .progress = progress, .ctx = &last};
    hq_err err = {0};
    assert_int_equal(hq_backtest_run(f->src, f->txn, f->schemas, f->a, &o, &f->bt, &err), 0);
    assert_int_equal(last, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_same_rules_reproduce_the_state, setup, teardown),
        cmocka_unit_test_setup_teardown(another_rule_set_differs_as_documented, setup, teardown),
        cmocka_unit_test_setup_teardown(a_range_limits_both_sides, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_is_reported_to_the_end, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
