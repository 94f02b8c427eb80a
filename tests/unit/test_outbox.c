/* test_outbox.c - the durable outbox (lib/state/outbox.c): records added
 * under the next sequence number, read back in order by hq_outbox_each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "hq_test.h"
#include "mp.h"
#include "outbox.h"

typedef struct fixture {
    char *tmp;
    char state[4096];
    hq_store *store;
    MDB_txn *txn;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->tmp = hq_test_tmpdir();
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
    hq_err err = {0};
    if (hq_store_open(f->state, 0, 0, &f->store, &err) != 0 || hq_store_begin(f->store, true, &f->txn, &err) != 0)
        fail_msg("%s", err.msg);
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

static uint64_t add(fixture *f, const char *kind, const char *issue)
{
    static const hq_role roles[] = {HQ_ROLE_SUPERVISOR};
    hq_alert a = {.ts_ms = 1000, .kind = kind, .issue = issue, .rule = "t.rule", .level = 1, .roles = roles,
                  .nroles = 1, .domain = "catering", .contractor = "c1", .site = "s1", .title = "t", .text = "x",
                  .severity = HQ_SEV_HIGH};
    uint64_t seq = 0;
    hq_err err = {0};
    if (hq_outbox_add(f->store, f->txn, &a, &seq, &err) != 0)
        fail_msg("add: %s", err.msg);
    return seq;
}

/* What the walk saw: "seq:kind" for each record, and when to stop. */
typedef struct seen {
    hq_buf b;
    int stop_after;
    int n;
} seen;

static int see(void *ctx, uint64_t seq, const msgpack_object *rec)
{
    seen *s = ctx;
    char *kind = hq_mp_strdup(hq_mp_map_get(rec, "kind"));
    hq_buf_printf(&s->b, "%s%llu:%s", s->n ? " " : "", (unsigned long long)seq, kind ? kind : "?");
    free(kind);
    return ++s->n == s->stop_after;
}

static const char *walk(fixture *f, uint64_t from, int stop_after, seen *s)
{
    hq_buf_init(&s->b);
    s->stop_after = stop_after;
    s->n = 0;
    hq_err err = {0};
    if (hq_outbox_each(f->store, f->txn, from, see, s, &err) != 0)
        fail_msg("each: %s", err.msg);
    return s->b.data ? s->b.data : "";
}

static void test_each_walks_the_records_from_a_seq_in_order(void **state)
{
    fixture *f = *state;
    assert_int_equal(add(f, "opened", "HQ-2026-000001"), 1);
    assert_int_equal(add(f, "reminder", "HQ-2026-000001"), 2);
    assert_int_equal(add(f, "overdue", "HQ-2026-000001"), 3);
    seen s;
    assert_string_equal(walk(f, 1, 0, &s), "1:opened 2:reminder 3:overdue");
    hq_buf_fini(&s.b);
    assert_string_equal(walk(f, 2, 0, &s), "2:reminder 3:overdue");
    hq_buf_fini(&s.b);
    assert_string_equal(walk(f, 4, 0, &s), "");
    hq_buf_fini(&s.b);
}

static void test_each_stops_when_asked_and_passes_over_what_is_not_a_map(void **state)
{
    fixture *f = *state;
    add(f, "opened", "HQ-2026-000001");
    add(f, "closed", "HQ-2026-000001");
    assert_int_equal(add(f, "opened", "HQ-2026-000002"), 3);
    /* records 4 (an array) and 5 (not msgpack) */
    unsigned char key[8];
    hq_err err = {0};
    hq_be64_put(key, 4);
    assert_int_equal(hq_store_put(f->store, f->txn, HQ_DB_OUTBOX, key, 8, "\x93\x01\x02\x03", 4, &err), 0);
    hq_be64_put(key, 5);
    assert_int_equal(hq_store_put(f->store, f->txn, HQ_DB_OUTBOX, key, 8, "\xc1", 1, &err), 0);
    seen s;
    assert_string_equal(walk(f, 1, 0, &s), "1:opened 2:closed 3:opened");
    hq_buf_fini(&s.b);
    assert_string_equal(walk(f, 4, 0, &s), "");
    hq_buf_fini(&s.b);
    assert_string_equal(walk(f, 1, 2, &s), "1:opened 2:closed");
    hq_buf_fini(&s.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_walks_the_records_from_a_seq_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_stops_when_asked_and_passes_over_what_is_not_a_map, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
