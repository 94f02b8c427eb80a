/* test_prune: archive-then-delete (lib/state/prune.h, archive.h): closed
 * months go to archives first, only what the policy lets go leaves LMDB,
 * protected events stay, the chain verifies across archives and LMDB, a
 * flipped archive byte is found, and an archive made durable before a
 * crash is adopted, never written twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "buf.h"
#include "hq_test.h"
#include "mem.h"
#include "prune.h"
#include "rules.h"
#include "schema.h"

#include <sys/stat.h>

#define DAY 86400000LL
#define T0 1735689600000LL /* 2025-01-01T00:00:00Z */

typedef struct fx {
    char *dir, *rules;
    hq_schemas *schemas;
    hq_rules *r;
    hq_store *s;
} fx;

static void put_event(hq_store *s, MDB_txn *txn, const char *type, int n, int64_t ts, uint64_t *seq)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    char id[32];
    snprintf(id, sizeof id, "e%d", n);
    msgpack_pack_map(&pk, 5);
    msgpack_pack_str_with_body(&pk, "id", 2), msgpack_pack_str_with_body(&pk, id, strlen(id));
    msgpack_pack_str_with_body(&pk, "type", 4), msgpack_pack_str_with_body(&pk, type, strlen(type));
    msgpack_pack_str_with_body(&pk, "source", 6), msgpack_pack_str_with_body(&pk, "src", 3);
    msgpack_pack_str_with_body(&pk, "ts", 2), msgpack_pack_int64(&pk, ts);
    msgpack_pack_str_with_body(&pk, "data", 4), msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "v", 1), msgpack_pack_int(&pk, n);
    hq_frame fr = {.raw = sb.data, .raw_len = sb.size, .source = "src", .source_len = 3, .id = id,
                   .id_len = strlen(id)};
    hq_err err;
    assert_int_equal(hq_store_event_append(s, txn, &fr, ts, seq, &err), 0);
    msgpack_sbuffer_destroy(&sb);
}

/* 120 days from T0, one sensor reading every 2 hours and a complaint a day. */
static uint64_t fill(hq_store *s, uint64_t *protected_seq)
{
    MDB_txn *txn;
    hq_err err;
    assert_int_equal(hq_store_begin(s, true, &txn, &err), 0);
    uint64_t seq = 0;
    int n = 0;
    for (int64_t t = T0; t < T0 + 120 * DAY; t += 2 * 3600000LL) {
        put_event(s, txn, (t - T0) % DAY == 0 ? "complaint.submitted" : "sensor.reading", n++, t, &seq);
        if (n == 50)
            *protected_seq = seq;
    }
    /* Rule state of a sustained condition pointing at that reading. */
    unsigned char v[33] = {'h'};
    hq_be64_put(v + 9, *protected_seq);
    assert_int_equal(hq_store_put(s, txn, HQ_DB_RULESTATE, "s\0r\0k", 5, v, 33, &err), 0);
    assert_int_equal(hq_store_commit(s, txn, &err), 0);
    return seq;
}

static int setup(void **state)
{
    fx *f = hq_calloc(1, sizeof *f);
    f->dir = hq_test_tmpdir();
    f->rules = hq_test_tmpdir();
    char p[4200];
    snprintf(p, sizeof p, "%s/retention.yaml", f->rules);
    const char *pol = "retention:\n  every: 1d\n  types:\n    sensor.reading: 30d\n";
    hq_test_write_file(p, pol, strlen(pol));
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(hq_schemas_load_dir(hq_test_env("HQ_TEST_SCHEMAS"), &f->schemas, &d), 0);
    assert_int_equal(hq_rules_load(f->rules, f->schemas, &f->r, &d), 0);
    hq_diags_fini(&d);
    hq_err err;
    char sd[4200];
    snprintf(sd, sizeof sd, "%s/state", f->dir);
    assert_int_equal(hq_store_open(sd, 0, 0, &f->s, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    hq_store_close(&f->s);
    hq_rules_destroy(&f->r);
    hq_schemas_destroy(&f->schemas);
    hq_test_rmtree(f->dir);
    hq_test_rmtree(f->rules);
    free(f->dir);
    free(f->rules);
    free(f);
    return 0;
}

static void run(hq_prune *p, const hq_retention *pol, int64_t now)
{
    bool more = true;
    hq_err err;
    hq_prune_kick(p);
    for (int i = 0; more && i < 100000; i++)
        if (hq_prune_step(p, pol, now, 64, &more, &err) != 0)
            fail_msg("prune step: %s", err.msg);
    assert_false(more);
}

/* Verifies archives and LMDB; returns the first bad seq (0: intact). */
static uint64_t verify(hq_store *s, char *why, size_t whylen)
{
    MDB_txn *txn;
    hq_err err;
    assert_int_equal(hq_store_begin(s, false, &txn, &err), 0);
    uint64_t checked, bad, upto, c2;
    unsigned char chain[HQ_CHAIN_BYTES];
    assert_int_equal(hq_archive_verify(hq_store_dir(s), s, txn, &checked, &bad, why, whylen, &upto, chain, &err), 0);
    if (!bad)
        assert_int_equal(hq_store_chain_verify_from(s, txn, upto, chain, &c2, &bad, why, whylen, NULL, NULL, &err), 0);
    hq_store_abort(s, txn);
    return bad;
}

static bool has_event(hq_store *s, uint64_t seq)
{
    MDB_txn *txn;
    hq_err err;
    assert_int_equal(hq_store_begin(s, false, &txn, &err), 0);
    const char *fr;
    size_t len;
    bool found = hq_store_event_get(s, txn, seq, NULL, &fr, &len, &err) == 0;
    hq_store_abort(s, txn);
    return found;
}

static void test_archive_then_delete(void **state)
{
    fx *f = *state;
    const hq_retention *pol = hq_rules_retention(f->r);
    uint64_t prot = 0, last = fill(f->s, &prot);
    hq_prune *p;
    hq_err err;
    assert_int_equal(hq_prune_new(f->s, &p, &err), 0);
    int64_t now = T0 + 120 * DAY; /* 2025-05-01: January..April are over */
    run(p, pol, now);
    const hq_prune_figures *fig = hq_prune_figures_get(p);
    hq_archive_info *a;
    size_t n;
    assert_int_equal(hq_archive_list(hq_store_dir(f->s), &a, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(a[0].name, "2025-01");
    assert_int_equal(a[0].first_seq, 1);
    assert_int_equal(a[3].last_seq, last);
    assert_int_equal(fig->archived_upto, last);
    free(a);
    assert_int_equal(fig->last_removed, 90 * 11 - 1); /* 90 days of readings, less the protected one */
    /* Old readings went, complaints, the protected reading, the young
     * readings and the last event stayed. */
    assert_false(has_event(f->s, 2));
    assert_true(has_event(f->s, 1)); /* a complaint */
    assert_true(has_event(f->s, prot));
    assert_true(has_event(f->s, last));
    assert_true(has_event(f->s, last - 12 * 20)); /* 20 days old */
    char why[512] = "";
    uint64_t bad = verify(f->s, why, sizeof why);
    if (bad)
        fail_msg("verify: %llu: %s", (unsigned long long)bad, why);
    /* The dedup record of a removed event went with it. */
    MDB_txn *txn;
    MDB_val v;
    assert_int_equal(hq_store_begin(f->s, false, &txn, &err), 0);
    assert_int_equal(hq_store_get(f->s, txn, HQ_DB_DEDUP, "src\0e1", 6, &v, &err), HQ_ENOTFOUND);
    assert_int_equal(hq_store_get(f->s, txn, HQ_DB_DEDUP, "src\0e0", 6, &v, &err), 0);
    hq_store_abort(f->s, txn);
    /* Archived events read back in order with their chain. */
    assert_int_equal(hq_archive_list(hq_store_dir(f->s), &a, &n, &err), 0);
    hq_archive_reader *r;
    assert_int_equal(hq_archive_reader_open(hq_store_dir(f->s), &a[1], &r, &err), 0);
    uint64_t seq, cnt = 0;
    int64_t ms;
    const char *fr;
    size_t len;
    int rc;
    while ((rc = hq_archive_reader_next(r, &seq, &ms, &fr, &len, &err)) == 1)
        assert_int_equal(seq, a[1].first_seq + cnt++);
    assert_int_equal(rc, 0);
    assert_int_equal(cnt, a[1].events);
    hq_archive_reader_close(&r);
    /* A second run archives nothing again and removes nothing more. */
    run(p, pol, now + 1000);
    assert_int_equal(fig->last_archived, 0);
    assert_int_equal(fig->last_removed, 0);
    /* One flipped byte in an archive is found. */
    char path[4200];
    snprintf(path, sizeof path, "%s/archive/%s.hqa", hq_store_dir(f->s), a[1].name);
    FILE *fp = fopen(path, "r+b");
    fseek(fp, (long)(a[1].bytes / 2), SEEK_SET);
    int ch = fgetc(fp);
    fseek(fp, (long)(a[1].bytes / 2), SEEK_SET);
    fputc(ch ^ 0x10, fp);
    fclose(fp);
    bad = verify(f->s, why, sizeof why);
    assert_int_equal(bad, a[1].first_seq);
    assert_non_null(strstr(why, "does not match its manifest"));
    assert_int_equal(hq_archive_reader_open(hq_store_dir(f->s), &a[1], &r, &err), HQ_EINVAL);
    free(a);
    hq_prune_destroy(&p);
}

static void test_adopts_after_crash(void **state)
{
    fx *f = *state;
    const hq_retention *pol = hq_rules_retention(f->r);
    uint64_t prot = 0;
    fill(f->s, &prot);
    hq_prune *p;
    hq_err err;
    assert_int_equal(hq_prune_new(f->s, &p, &err), 0);
    run(p, pol, T0 + 40 * DAY); /* January archived; nothing old enough to remove yet but January */
    hq_archive_info *a;
    size_t n;
    assert_int_equal(hq_archive_list(hq_store_dir(f->s), &a, &n, &err), 0);
    assert_int_equal(n, 1);
    int64_t created = a[0].created_ms;
    free(a);
    /* A crash after the manifest was durable, before LMDB recorded it. */
    MDB_txn *txn;
    assert_int_equal(hq_store_begin(f->s, true, &txn, &err), 0);
    assert_int_equal(hq_store_del(f->s, txn, HQ_DB_META, "archive:upto", 12, &err), 0);
    assert_int_equal(hq_store_commit(f->s, txn, &err), 0);
    hq_prune_destroy(&p);
    /* And an interrupted write of the next month. */
    char path[4200];
    snprintf(path, sizeof path, "%s/archive/2025-02.hqa.part", hq_store_dir(f->s));
    hq_test_write_file(path, "junk", 4);
    assert_int_equal(hq_prune_new(f->s, &p, &err), 0);
    run(p, pol, T0 + 70 * DAY);
    assert_int_equal(hq_archive_list(hq_store_dir(f->s), &a, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(a[0].created_ms, created); /* adopted, not rewritten */
    assert_int_equal(a[1].first_seq, a[0].last_seq + 1);
    free(a);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    char why[512] = "";
    uint64_t bad = verify(f->s, why, sizeof why);
    if (bad)
        fail_msg("verify: %llu: %s", (unsigned long long)bad, why);
    hq_prune_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_archive_then_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adopts_after_crash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
