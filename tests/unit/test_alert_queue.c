/* test_alert_queue.c - alertd's durable delivery state (lib/alert_queue.c),
 * as a specification: the cursor and pending deliveries survive a close
 * and reopen; lanes keep seq order; alerts live while deliveries need
 * them; dead letters carry what houqinctl shows; digests seal their
 * members into one delivery.  Each test gets a fresh directory, and the
 * environment is never open twice in one process at the same time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert_queue.h"
#include "hq_test.h"

typedef struct fx {
    char *tmp;
    char dir[4200];
    hq_alert_queue *q;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->tmp = hq_test_tmpdir();
    snprintf(f->dir, sizeof f->dir, "%s/astate", f->tmp);
    hq_err err = {0};
    if (hq_alert_queue_open(f->dir, 0, &f->q, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    hq_alert_queue_close(&f->q);
    hq_test_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

static MDB_txn *begin(fx *f, bool write)
{
    MDB_txn *txn;
    hq_err err = {0};
    assert_int_equal(hq_alert_queue_begin(f->q, write, &txn, &err), 0);
    return txn;
}

static void commit(fx *f, MDB_txn *txn)
{
    hq_err err = {0};
    assert_int_equal(hq_alert_queue_commit(f->q, txn, &err), 0);
}

static void reopen(fx *f)
{
    hq_alert_queue_close(&f->q);
    assert_null(f->q);
    hq_err err = {0};
    assert_int_equal(hq_alert_queue_open(f->dir, 0, &f->q, &err), 0);
}

/* A record the way houqind writes one (enough of it). */
static void record(msgpack_sbuffer *sb, uint64_t seq, const char *issue)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_test_pack_str(&pk, "seq");
    msgpack_pack_uint64(&pk, seq);
    hq_test_pack_str(&pk, "kind");
    hq_test_pack_str(&pk, "opened");
    hq_test_pack_str(&pk, "issue");
    hq_test_pack_str(&pk, issue);
    hq_test_pack_str(&pk, "severity");
    hq_test_pack_str(&pk, "high");
    hq_test_pack_str(&pk, "title");
    hq_test_pack_str(&pk, "冷库温度超标");
}

static void put_alert(fx *f, MDB_txn *txn, uint64_t seq, uint32_t refs)
{
    msgpack_sbuffer sb;
    char issue[32];
    snprintf(issue, sizeof issue, "HQ-2030-%06llu", (unsigned long long)seq);
    record(&sb, seq, issue);
    assert_int_equal(hq_alert_queue_alert_put(f->q, txn, seq, sb.data, sb.size, refs, NULL), 0);
    msgpack_sbuffer_destroy(&sb);
}

static hq_delivery delivery(const char *recipient, const char *channel, uint64_t seq)
{
    hq_delivery d = {.seq = seq, .audience = HQ_AUD_CONTRACTOR, .urgent = true, .ready_ms = 5, .first_ms = 6};
    snprintf(d.recipient, sizeof d.recipient, "%s", recipient);
    snprintf(d.channel, sizeof d.channel, "%s", channel);
    return d;
}

static bool alert_exists(fx *f, MDB_txn *txn, uint64_t seq)
{
    const char *rec;
    size_t len;
    return hq_alert_queue_alert_get(f->q, txn, seq, &rec, &len, NULL) == 0;
}

typedef struct seen {
    uint64_t seqs[16];
    size_t n;
    char lanes[8][160];
    size_t nlanes;
} seen;

static int collect(void *ctx, const hq_delivery *d)
{
    seen *s = ctx;
    s->seqs[s->n++] = d->seq;
    return 0;
}

static void collect_lane(void *ctx, const char *r, const char *c)
{
    seen *s = ctx;
    snprintf(s->lanes[s->nlanes++], sizeof s->lanes[0], "%s/%s", r, c);
}

static void cursor_and_clock_survive_a_reopen(void **state)
{
    fx *f = *state;
    MDB_txn *txn = begin(f, true);
    uint64_t v = 99;
    assert_int_equal(hq_alert_queue_meta_get(f->q, txn, "cursor", &v, NULL), 0);
    assert_int_equal(v, 0); /* a new state starts at 0 */
    assert_int_equal(hq_alert_queue_meta_put(f->q, txn, "cursor", 41, NULL), 0);
    assert_int_equal(hq_alert_queue_meta_put(f->q, txn, "clock", 1899388800000ULL, NULL), 0);
    commit(f, txn);
    reopen(f);
    txn = begin(f, false);
    assert_int_equal(hq_alert_queue_meta_get(f->q, txn, "cursor", &v, NULL), 0);
    assert_int_equal(v, 41);
    assert_int_equal(hq_alert_queue_meta_get(f->q, txn, "clock", &v, NULL), 0);
    assert_int_equal(v, 1899388800000ULL);
    hq_alert_queue_abort(f->q, txn);
}

static void lanes_keep_seq_order(void **state)
{
    fx *f = *state;
    MDB_txn *txn = begin(f, true);
    uint64_t order[] = {12, 3, 7};
    for (int i = 0; i < 3; i++) {
        hq_delivery d = delivery("chen.catering", "mail", order[i]);
        assert_int_equal(hq_alert_queue_put(f->q, txn, &d, NULL), 0);
    }
    hq_delivery d = delivery("chen.catering", "mail-2", 1); /* a lane whose name extends the other's */
    assert_int_equal(hq_alert_queue_put(f->q, txn, &d, NULL), 0);
    d = delivery("complainant:HQ-2030-000001", "sms", 2);
    assert_int_equal(hq_alert_queue_put(f->q, txn, &d, NULL), 0);
    commit(f, txn);
    reopen(f);
    txn = begin(f, false);
    seen s = {0};
    assert_int_equal(hq_alert_queue_lane_each(f->q, txn, "chen.catering", "mail", collect, &s, NULL), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.seqs[0], 3);
    assert_int_equal(s.seqs[1], 7);
    assert_int_equal(s.seqs[2], 12);
    assert_int_equal(hq_alert_queue_each_lane(f->q, txn, collect_lane, &s, NULL), 0);
    assert_int_equal(s.nlanes, 3);
    assert_string_equal(s.lanes[0], "chen.catering/mail");
    assert_string_equal(s.lanes[1], "chen.catering/mail-2");
    assert_string_equal(s.lanes[2], "complainant:HQ-2030-000001/sms");
    hq_delivery got;
    assert_int_equal(hq_alert_queue_get(f->q, txn, "chen.catering", "mail", 7, &got, NULL), 0);
    assert_int_equal(got.audience, HQ_AUD_CONTRACTOR);
    assert_true(got.urgent);
    assert_int_equal(got.ready_ms, 5);
    assert_int_equal(got.first_ms, 6);
    assert_int_equal(hq_alert_queue_get(f->q, txn, "chen.catering", "mail", 8, &got, NULL), HQ_ENOTFOUND);
    hq_alert_queue_abort(f->q, txn);
}

static void alerts_live_while_deliveries_need_them(void **state)
{
    fx *f = *state;
    MDB_txn *txn = begin(f, true);
    put_alert(f, txn, 5, 2);
    hq_delivery a = delivery("a", "mail", 5), b = delivery("b", "mail", 5);
    assert_int_equal(hq_alert_queue_put(f->q, txn, &a, NULL), 0);
    assert_int_equal(hq_alert_queue_put(f->q, txn, &b, NULL), 0);
    commit(f, txn);
    txn = begin(f, true);
    assert_int_equal(hq_alert_queue_complete(f->q, txn, &a, NULL), 0);
    assert_true(alert_exists(f, txn, 5)); /* b still needs it */
    /* A retry: the delivery is put back with its tries and error. */
    b.tries = 2;
    b.next_ms = 123;
    snprintf(b.error, sizeof b.error, "HTTP 500");
    assert_int_equal(hq_alert_queue_put(f->q, txn, &b, NULL), 0);
    commit(f, txn);
    txn = begin(f, true);
    hq_delivery got;
    assert_int_equal(hq_alert_queue_get(f->q, txn, "b", "mail", 5, &got, NULL), 0);
    assert_int_equal(got.tries, 2);
    assert_int_equal(got.next_ms, 123);
    assert_string_equal(got.error, "HTTP 500");
    assert_int_equal(hq_alert_queue_complete(f->q, txn, &got, NULL), 0);
    assert_false(alert_exists(f, txn, 5)); /* released with the last one */
    hq_alert_queue_stats st;
    assert_int_equal(hq_alert_queue_stats_get(f->q, txn, &st, NULL), 0);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.alerts, 0);
    commit(f, txn);
}

typedef struct deads {
    hq_dead_letter v[4];
    size_t n;
} deads;

static int collect_dead(void *ctx, const hq_dead_letter *dl)
{
    deads *d = ctx;
    d->v[d->n++] = *dl;
    return 0;
}

static void dead_letters_say_what_died_and_why(void **state)
{
    fx *f = *state;
    MDB_txn *txn = begin(f, true);
    put_alert(f, txn, 9, 1);
    hq_delivery d = delivery("lin.sup", "hook", 9);
    d.tries = 3;
    assert_int_equal(hq_alert_queue_put(f->q, txn, &d, NULL), 0);
    assert_int_equal(hq_alert_queue_bury(f->q, txn, &d, "9-lin.sup-hook", "HTTP 500", 777, NULL), 0);
    assert_false(alert_exists(f, txn, 9));
    hq_dead_letter never = {.seq = 10, .nalerts = 1, .dead_ms = 778};
    snprintf(never.recipient, sizeof never.recipient, "complainant:HQ-2030-000010");
    snprintf(never.channel, sizeof never.channel, "-");
    snprintf(never.error, sizeof never.error, "feedback without a contact");
    assert_int_equal(hq_alert_queue_dead_add(f->q, txn, &never, NULL), 0);
    commit(f, txn);
    hq_alert_queue_close(&f->q);
    /* houqinctl's view: a read-only open. */
    hq_err err = {0};
    assert_int_equal(hq_alert_queue_open(f->dir, HQ_AQ_RDONLY, &f->q, &err), 0);
    txn = begin(f, false);
    deads got = {0};
    assert_int_equal(hq_alert_queue_each_dead(f->q, txn, collect_dead, &got, NULL), 0);
    hq_alert_queue_abort(f->q, txn);
    assert_int_equal(got.n, 2);
    hq_dead_letter *a = &got.v[0];
    assert_int_equal(a->id, 1);
    assert_int_equal(a->seq, 9);
    assert_string_equal(a->recipient, "lin.sup");
    assert_string_equal(a->channel, "hook");
    assert_string_equal(a->key, "9-lin.sup-hook");
    assert_int_equal(a->tries, 3);
    assert_string_equal(a->error, "HTTP 500");
    assert_int_equal(a->dead_ms, 777);
    assert_string_equal(a->kind, "opened");
    assert_string_equal(a->issue, "HQ-2030-000009");
    assert_string_equal(a->severity, "high");
    assert_string_equal(a->title, "冷库温度超标");
    assert_int_equal(got.v[1].id, 2);
    assert_string_equal(got.v[1].error, "feedback without a contact");
}

static void digests_seal_their_members(void **state)
{
    fx *f = *state;
    MDB_txn *txn = begin(f, true);
    hq_delivery m[3];
    const hq_delivery *mp[3];
    for (int i = 0; i < 3; i++) {
        put_alert(f, txn, 20 + i, 1);
        m[i] = delivery("sun.dorm", "mail", 20 + i);
        m[i].digest = true;
        m[i].urgent = false;
        m[i].ready_ms = 100 + i;
        mp[i] = &m[i];
        assert_int_equal(hq_alert_queue_put(f->q, txn, &m[i], NULL), 0);
    }
    hq_delivery sealed;
    assert_int_equal(hq_alert_queue_seal_digest(f->q, txn, mp, 3, &sealed, NULL), 0);
    commit(f, txn);
    assert_int_equal(sealed.seq, 20);
    assert_int_equal(sealed.nmembers, 3);
    assert_false(sealed.digest);
    txn = begin(f, true);
    seen s = {0};
    assert_int_equal(hq_alert_queue_lane_each(f->q, txn, "sun.dorm", "mail", collect, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    hq_delivery got;
    assert_int_equal(hq_alert_queue_get(f->q, txn, "sun.dorm", "mail", 20, &got, NULL), 0);
    assert_int_equal(got.nmembers, 3);
    assert_int_equal(got.members[2], 22);
    assert_int_equal(got.ready_ms, 102);
    for (int i = 0; i < 3; i++)
        assert_true(alert_exists(f, txn, 20 + i)); /* the digest still needs them */
    assert_int_equal(hq_alert_queue_complete(f->q, txn, &got, NULL), 0);
    for (int i = 0; i < 3; i++)
        assert_false(alert_exists(f, txn, 20 + i));
    /* Only digest-waiting members of one lane can be sealed. */
    hq_delivery x = delivery("sun.dorm", "hook", 30);
    const hq_delivery *xp = &x;
    assert_int_equal(hq_alert_queue_seal_digest(f->q, txn, &xp, 1, &sealed, NULL), HQ_EINVAL);
    hq_alert_queue_abort(f->q, txn);
}

static void another_format_is_refused(void **state)
{
    fx *f = *state;
    hq_alert_queue_close(&f->q);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    MDB_val k = {6, "format"}, v = {1, "9"};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    hq_err err = {0};
    assert_int_equal(hq_alert_queue_open(f->dir, 0, &f->q, &err), HQ_EVERSION);
    assert_non_null(strstr(err.msg, "alertd state format 9 is not supported"));
    /* A directory that is no alertd state at all, read-only. */
    char other[4300];
    snprintf(other, sizeof other, "%s/nothing", f->tmp);
    assert_int_equal(hq_alert_queue_open(other, HQ_AQ_RDONLY, &f->q, &err), HQ_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cursor_and_clock_survive_a_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(lanes_keep_seq_order, setup, teardown),
        cmocka_unit_test_setup_teardown(alerts_live_while_deliveries_need_them, setup, teardown),
        cmocka_unit_test_setup_teardown(dead_letters_say_what_died_and_why, setup, teardown),
        cmocka_unit_test_setup_teardown(digests_seal_their_members, setup, teardown),
        cmocka_unit_test_setup_teardown(another_format_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
