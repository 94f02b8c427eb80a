/* test_store.c - the LMDB state (lib/store.c), as a specification.
 *
 * Each test gets a fresh temporary directory.  One rule holds throughout:
 * an LMDB environment is never open twice in one process at the same time
 * (POSIX locks are per process: closing one handle drops the other's
 * locks), so a test closes its store before it touches the files with raw
 * LMDB, and anything that must run beside an open environment runs in a
 * child process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "buf.h"
#include "hq_test.h"
#include "mp.h"
#include "outbox.h"
#include "store.h"

typedef struct fixture {
    char *tmp;        /* the temporary directory */
    char state[4096]; /* tmp/state: not there until a store creates it */
    hq_store *store;
    msgpack_sbuffer frames[8];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->tmp = hq_test_tmpdir();
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
    for (int i = 0; i < 8; i++)
        msgpack_sbuffer_init(&f->frames[i]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hq_store_close(&f->store);
    for (int i = 0; i < 8; i++)
        msgpack_sbuffer_destroy(&f->frames[i]);
    hq_test_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

static void open_ok(fixture *f, unsigned flags, uint64_t map_size)
{
    hq_err err = {0};
    if (hq_store_open(f->state, flags, map_size, &f->store, &err) != 0)
        fail_msg("open %s: %s", f->state, err.msg);
}

static MDB_txn *begin(fixture *f, bool write)
{
    MDB_txn *txn = NULL;
    hq_err err = {0};
    if (hq_store_begin(f->store, write, &txn, &err) != 0)
        fail_msg("begin: %s", err.msg);
    return txn;
}

static void commit(fixture *f, MDB_txn *txn)
{
    hq_err err = {0};
    if (hq_store_commit(f->store, txn, &err) != 0)
        fail_msg("commit: %s", err.msg);
}

/* An event as the store sees it: the frame's bytes, its source and id.
 * pad_bytes of padding make the frame as big as wanted. */
static hq_frame make_frame(msgpack_sbuffer *sb, const char *source, const char *id, const char *value,
                           size_t pad_bytes)
{
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    hq_test_pack_str(&pk, "id");
    hq_test_pack_str(&pk, id);
    hq_test_pack_str(&pk, "source");
    hq_test_pack_str(&pk, source);
    hq_test_pack_str(&pk, "value");
    hq_test_pack_str(&pk, value);
    hq_test_pack_str(&pk, "pad");
    msgpack_pack_str(&pk, pad_bytes);
    for (size_t i = 0; i < pad_bytes; i++)
        msgpack_pack_str_body(&pk, "p", 1);
    hq_frame ev = {0};
    ev.raw = sb->data;
    ev.raw_len = sb->size;
    ev.id = id;
    ev.id_len = strlen(id);
    ev.source = source;
    ev.source_len = strlen(source);
    return ev;
}

static uint64_t append_ok(fixture *f, MDB_txn *txn, hq_frame *ev, int64_t stored_ms)
{
    uint64_t seq = 0;
    hq_err err = {0};
    if (hq_store_event_append(f->store, txn, ev, stored_ms, &seq, &err) != 0)
        fail_msg("append: %s", err.msg);
    return seq;
}

static hq_dedup dedup(fixture *f, MDB_txn *txn, const hq_frame *ev, uint64_t *seq)
{
    hq_dedup res;
    hq_err err = {0};
    *seq = 0;
    if (hq_store_dedup_check(f->store, txn, ev, &res, seq, &err) != 0)
        fail_msg("dedup check: %s", err.msg);
    return res;
}

/* Writes meta "format" = value into the (closed) state with raw LMDB. */
static void write_format_raw(const char *dir, const char *value)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi), 0);
    MDB_val k = {6, "format"}, v = {strlen(value), (void *)value};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* ---- opening ---- */

static void test_open_creates_a_state_with_a_format_record(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    assert_string_equal(hq_store_dir(f->store), f->state);
    assert_non_null(hq_store_env(f->store));
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", f->state);
    assert_int_equal(access(path, F_OK), 0);

    MDB_txn *txn = begin(f, false);
    MDB_val v;
    assert_int_equal(hq_store_get(f->store, txn, HQ_DB_META, "format", 6, &v, NULL), 0);
    assert_int_equal(v.mv_size, 1);
    assert_memory_equal(v.mv_data, "2", 1);
    hq_store_stats st;
    assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
    assert_int_equal(st.entries[HQ_DB_EVENTS], 0);
    assert_int_equal(st.entries[HQ_DB_META], 5); /* format, index:audit, index:console, index:eval, timeline:typed */
    assert_int_equal(hq_store_get(f->store, txn, HQ_DB_META, "index:audit", 11, &v, NULL), 0);
    assert_int_equal(hq_store_get(f->store, txn, HQ_DB_META, "index:console", 13, &v, NULL), 0);
    assert_int_equal(hq_store_get(f->store, txn, HQ_DB_META, "index:eval", 10, &v, NULL), 0);
    assert_int_equal(st.last_event_seq, 0);
    assert_int_equal(st.map_size, 1ULL << 30); /* the default map */
    assert_true(st.used_bytes > 0 && st.used_bytes < st.map_size);
    hq_store_abort(f->store, txn);
    hq_store_close(&f->store);
    assert_null(f->store);
    hq_store_close(&f->store); /* accepts NULL */
    hq_store_close(NULL);
    /* Opening it again finds the same state. */
    open_ok(f, 0, 0);
}

static void test_another_format_version_is_refused(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    hq_store_close(&f->store); /* never two handles on one environment */
    write_format_raw(f->state, "99");

    hq_err err = {0};
    char want[4500];
    snprintf(want, sizeof want,
             "%s: state format version 99 is not supported by this build (it knows version %d)", f->state,
             HQ_STORE_FORMAT);
    assert_int_equal(hq_store_open(f->state, 0, 0, &f->store, &err), HQ_EVERSION);
    assert_null(f->store);
    assert_string_equal(err.msg, want);
    assert_int_equal(hq_store_open(f->state, HQ_STORE_RDONLY, 0, &f->store, &err), HQ_EVERSION);
    assert_string_equal(err.msg, want);
    assert_null(f->store);
    /* The refused state was not rewritten: still version 99. */
    write_format_raw(f->state, "2");
    open_ok(f, 0, 0);
}

static void test_readonly_open_of_something_that_is_not_a_state(void **state)
{
    fixture *f = *state;
    hq_err err = {0};
    char want[4500];

    /* A directory that does not exist: not created for a reader. */
    assert_int_equal(hq_store_open(f->state, HQ_STORE_RDONLY, 0, &f->store, &err), HQ_EIO);
    snprintf(want, sizeof want, "%s: No such file or directory", f->state);
    assert_string_equal(err.msg, want);
    assert_int_equal(access(f->state, F_OK), -1);

    /* An empty directory. */
    assert_int_equal(mkdir(f->state, 0750), 0);
    assert_int_equal(hq_store_open(f->state, HQ_STORE_RDONLY, 0, &f->store, &err), HQ_EVERSION);
    snprintf(want, sizeof want, "%s: not a houqin state (no data.mdb)", f->state);
    assert_string_equal(err.msg, want);

    /* Another program's LMDB environment. */
    MDB_env *env;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_open(env, f->state, 0, 0640), 0);
    mdb_env_close(env);
    assert_int_equal(hq_store_open(f->state, HQ_STORE_RDONLY, 0, &f->store, &err), HQ_EVERSION);
    snprintf(want, sizeof want, "%s: not a houqin state (no \"meta\" database)", f->state);
    assert_string_equal(err.msg, want);
    assert_null(f->store);

    /* A file where the directory should be, for a reader and a writer. */
    char file[4200];
    snprintf(file, sizeof file, "%s/file", f->tmp);
    hq_test_write_file(file, "x", 1);
    assert_int_equal(hq_store_open(file, HQ_STORE_RDONLY, 0, &f->store, &err), HQ_EIO);
    snprintf(want, sizeof want, "%s: not a directory", file);
    assert_string_equal(err.msg, want);
    assert_int_equal(hq_store_open(file, 0, 0, &f->store, &err), HQ_EIO);
    assert_string_equal(err.msg, want);
    assert_null(f->store);
}

static void test_readonly_store_reads_but_never_writes(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    MDB_txn *txn = begin(f, true);
    hq_frame ev = make_frame(&f->frames[0], "gw-1", "e-1", "v", 0);
    assert_int_equal(append_ok(f, txn, &ev, 1000), 1);
    commit(f, txn);
    hq_store_close(&f->store);

    open_ok(f, HQ_STORE_RDONLY, 0);
    hq_err err = {0};
    txn = NULL;
    assert_int_equal(hq_store_begin(f->store, true, &txn, &err), HQ_ESTATE);
    assert_string_equal(err.msg, "the state is open read-only");
    assert_null(txn);
    txn = begin(f, false);
    const char *frame;
    size_t len;
    int64_t stored_ms;
    assert_int_equal(hq_store_event_get(f->store, txn, 1, &stored_ms, &frame, &len, NULL), 0);
    assert_int_equal(stored_ms, 1000);
    assert_int_equal(len, ev.raw_len);
    hq_store_abort(f->store, txn);
}

/* ---- the event log ---- */

static void test_append_and_read_back(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    MDB_txn *txn = begin(f, true);
    hq_frame ev[3];
    static const char *const ids[] = {"e-1", "e-2", "e-3"};
    for (int i = 0; i < 3; i++) {
        ev[i] = make_frame(&f->frames[i], "gw-1", ids[i], i == 1 ? "冷库" : "x", (size_t)i * 100);
        assert_int_equal(append_ok(f, txn, &ev[i], 1000 + i), (uint64_t)i + 1);
    }
    commit(f, txn);

    txn = begin(f, false);
    for (int i = 0; i < 3; i++) {
        const char *frame;
        size_t len;
        int64_t stored_ms;
        assert_int_equal(hq_store_event_get(f->store, txn, (uint64_t)i + 1, &stored_ms, &frame, &len, NULL), 0);
        assert_int_equal(stored_ms, 1000 + i);
        assert_int_equal(len, ev[i].raw_len);
        assert_memory_equal(frame, ev[i].raw, len); /* the frame as received */
    }
    /* stored_ms may be skipped. */
    const char *frame;
    size_t len;
    assert_int_equal(hq_store_event_get(f->store, txn, 2, NULL, &frame, &len, NULL), 0);
    hq_err err = {0};
    assert_int_equal(hq_store_event_get(f->store, txn, 4, NULL, &frame, &len, &err), HQ_ENOTFOUND);
    assert_string_equal(err.msg, "events: not found");
    assert_int_equal(hq_store_event_get(f->store, txn, 0, NULL, &frame, &len, NULL), HQ_ENOTFOUND);

    hq_store_stats st;
    assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
    assert_int_equal(st.entries[HQ_DB_EVENTS], 3);
    assert_int_equal(st.entries[HQ_DB_DEDUP], 3);
    assert_int_equal(st.last_event_seq, 3);
    hq_store_abort(f->store, txn);
}

static void test_dedup_new_same_conflict(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    uint64_t seq;
    MDB_txn *txn = begin(f, true);
    hq_frame a = make_frame(&f->frames[0], "gw-1", "e-1", "first", 0);
    assert_int_equal(dedup(f, txn, &a, &seq), HQ_DEDUP_NEW);
    assert_int_equal(append_ok(f, txn, &a, 1), 1);
    /* Within the same transaction already. */
    assert_int_equal(dedup(f, txn, &a, &seq), HQ_DEDUP_SAME);
    assert_int_equal(seq, 1);
    hq_frame b = make_frame(&f->frames[1], "gw-1", "e-2", "second", 0);
    assert_int_equal(append_ok(f, txn, &b, 1), 2);
    commit(f, txn);

    txn = begin(f, false);
    /* A retry: the same bytes. */
    hq_frame retry = make_frame(&f->frames[2], "gw-1", "e-1", "first", 0);
    assert_int_equal(dedup(f, txn, &retry, &seq), HQ_DEDUP_SAME);
    assert_int_equal(seq, 1);
    /* The same id with other content: a conflict, naming the original. */
    hq_frame reused = make_frame(&f->frames[3], "gw-1", "e-1", "changed", 0);
    assert_int_equal(dedup(f, txn, &reused, &seq), HQ_DEDUP_CONFLICT);
    assert_int_equal(seq, 1);
    /* Even a difference of one padding byte. */
    hq_frame longer = make_frame(&f->frames[4], "gw-1", "e-2", "second", 1);
    assert_int_equal(dedup(f, txn, &longer, &seq), HQ_DEDUP_CONFLICT);
    assert_int_equal(seq, 2);
    /* Ids are unique per source. */
    hq_frame other_src = make_frame(&f->frames[5], "gw-2", "e-1", "first", 0);
    assert_int_equal(dedup(f, txn, &other_src, &seq), HQ_DEDUP_NEW);
    hq_frame other_id = make_frame(&f->frames[6], "gw-1", "e-3", "first", 0);
    assert_int_equal(dedup(f, txn, &other_id, &seq), HQ_DEDUP_NEW);
    /* The key is source 0x00 id: "gw-1"+"e-1" is not "gw-"+"1e-1". */
    hq_frame shifted = make_frame(&f->frames[7], "gw-", "1e-1", "first", 0);
    assert_int_equal(dedup(f, txn, &shifted, &seq), HQ_DEDUP_NEW);
    hq_store_abort(f->store, txn);
}

static void test_seq_is_monotonic_across_aborts_and_reopens(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    MDB_txn *txn = begin(f, true);
    hq_frame e1 = make_frame(&f->frames[0], "gw-1", "e-1", "x", 0);
    hq_frame e2 = make_frame(&f->frames[1], "gw-1", "e-2", "x", 0);
    assert_int_equal(append_ok(f, txn, &e1, 1), 1);
    assert_int_equal(append_ok(f, txn, &e2, 1), 2);
    commit(f, txn);

    /* An aborted batch hands out no numbers. */
    txn = begin(f, true);
    hq_frame e3 = make_frame(&f->frames[2], "gw-1", "e-3", "x", 0);
    assert_int_equal(append_ok(f, txn, &e3, 1), 3);
    hq_store_abort(f->store, txn);
    hq_store_abort(f->store, NULL); /* accepts NULL */
    txn = begin(f, true);
    uint64_t seq;
    assert_int_equal(dedup(f, txn, &e3, &seq), HQ_DEDUP_NEW);
    assert_int_equal(append_ok(f, txn, &e3, 1), 3);
    commit(f, txn);
    hq_store_close(&f->store);

    open_ok(f, 0, 0);
    txn = begin(f, true);
    hq_frame e4 = make_frame(&f->frames[3], "gw-1", "e-4", "x", 0);
    assert_int_equal(append_ok(f, txn, &e4, 1), 4);
    /* The outbox has its own sequence; peeking takes nothing. */
    assert_int_equal(hq_store_peek_seq(f->store, txn, HQ_DB_OUTBOX, &seq, NULL), 0);
    assert_int_equal(seq, 1);
    assert_int_equal(hq_store_peek_seq(f->store, txn, HQ_DB_OUTBOX, &seq, NULL), 0);
    assert_int_equal(seq, 1);
    assert_int_equal(hq_store_next_seq(f->store, txn, HQ_DB_OUTBOX, &seq, NULL), 0);
    assert_int_equal(seq, 1);
    assert_int_equal(hq_store_next_seq(f->store, txn, HQ_DB_OUTBOX, &seq, NULL), 0);
    assert_int_equal(seq, 2);
    assert_int_equal(hq_store_peek_seq(f->store, txn, HQ_DB_EVENTS, &seq, NULL), 0);
    assert_int_equal(seq, 5);
    commit(f, txn);
    txn = begin(f, false);
    /* In a read transaction: last key + 1 as well. */
    assert_int_equal(hq_store_peek_seq(f->store, txn, HQ_DB_EVENTS, &seq, NULL), 0);
    assert_int_equal(seq, 5);
    hq_store_stats st;
    assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
    assert_int_equal(st.last_event_seq, 4);
    assert_int_equal(st.entries[HQ_DB_EVENTS], 4);
    hq_store_abort(f->store, txn);
}

/* Appends a batch the way houqind's ingest does: on HQ_EFULL (from a put
 * or from commit) the transaction is gone, the map is grown, and the
 * whole batch is replayed.  Returns how many times the map grew. */
static int append_batch(fixture *f, hq_frame *evs, unsigned n, uint64_t *first_seq)
{
    int grown = 0;
    for (int attempt = 0; attempt < 16; attempt++) {
        MDB_txn *txn = begin(f, true);
        hq_err err = {0};
        int rc = 0;
        for (unsigned i = 0; i < n && rc == 0; i++) {
            hq_dedup dd;
            uint64_t seq;
            rc = hq_store_dedup_check(f->store, txn, &evs[i], &dd, &seq, &err);
            if (rc == 0) {
                assert_int_equal(dd, HQ_DEDUP_NEW); /* nothing of a failed attempt stayed */
                rc = hq_store_event_append(f->store, txn, &evs[i], 1, &seq, &err);
            }
            if (rc == 0 && i == 0)
                *first_seq = seq;
        }
        if (rc == 0)
            rc = hq_store_commit(f->store, txn, &err);
        else
            hq_store_abort(f->store, txn);
        if (rc == 0)
            return grown;
        if (rc != HQ_EFULL)
            fail_msg("batch: %s", err.msg);
        assert_int_equal(hq_store_grow(f->store, &err), 0);
        grown++;
    }
    fail_msg("the map never became big enough");
    return grown;
}

static void test_map_full_grows_and_loses_nothing(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 1 << 20); /* 1 MiB: full after a few hundred events */
    enum { BATCH = 40, BATCHES = 60, PAD = 1500 };
    msgpack_sbuffer *sbs = calloc(BATCH, sizeof *sbs);
    hq_frame *evs = calloc(BATCH, sizeof *evs);
    char (*ids)[32] = calloc(BATCH, sizeof *ids);
    assert_true(sbs && evs && ids);
    for (int i = 0; i < BATCH; i++)
        msgpack_sbuffer_init(&sbs[i]);
    int grown = 0;
    uint64_t next = 1;
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++) {
            snprintf(ids[i], sizeof ids[i], "e-%05d", b * BATCH + i);
            evs[i] = make_frame(&sbs[i], "gw-1", ids[i], ids[i], PAD);
        }
        uint64_t first = 0;
        grown += append_batch(f, evs, BATCH, &first);
        assert_int_equal(first, next); /* no gaps, no numbers lost to a replay */
        next += BATCH;
    }
    assert_true(grown >= 2); /* 2,400 events of ~1.6 KB do not fit in 1 MiB */

    MDB_txn *txn = begin(f, false);
    hq_store_stats st;
    assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
    assert_int_equal(st.entries[HQ_DB_EVENTS], BATCH * BATCHES);
    assert_int_equal(st.entries[HQ_DB_DEDUP], BATCH * BATCHES);
    assert_int_equal(st.last_event_seq, BATCH * BATCHES);
    assert_true(st.map_size >= (1ULL << 20) << grown);
    uint64_t grown_size = st.map_size;
    hq_store_abort(f->store, txn);
    hq_store_close(&f->store);

    /* After a restart every event is there, with its bytes, and the map
     * keeps the size it grew to even though 1 MiB is asked for again. */
    open_ok(f, 0, 1 << 20);
    txn = begin(f, false);
    assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
    assert_int_equal(st.map_size, grown_size);
    for (uint64_t seq = 1; seq <= BATCH * BATCHES; seq++) {
        const char *frame;
        size_t len;
        assert_int_equal(hq_store_event_get(f->store, txn, seq, NULL, &frame, &len, NULL), 0);
        char id[32];
        snprintf(id, sizeof id, "e-%05llu", (unsigned long long)seq - 1);
        msgpack_sbuffer_clear(&sbs[0]);
        hq_frame want = make_frame(&sbs[0], "gw-1", id, id, PAD);
        assert_int_equal(len, want.raw_len);
        assert_memory_equal(frame, want.raw, len);
    }
    hq_store_abort(f->store, txn);
    for (int i = 0; i < BATCH; i++)
        msgpack_sbuffer_destroy(&sbs[i]);
    free(sbs);
    free(evs);
    free(ids);
}

static void test_maybe_grow_grows_ahead_of_need(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 1 << 20);
    hq_err err = {0};
    MDB_txn *txn = begin(f, false);
    hq_store_stats st;
    assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
    hq_store_abort(f->store, txn);
    assert_int_equal(st.map_size, 1 << 20);
    /* Nearly empty: nothing to do. */
    assert_int_equal(hq_store_maybe_grow(f->store, &err), 0);
    txn = begin(f, false);
    assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
    hq_store_abort(f->store, txn);
    assert_int_equal(st.map_size, 1 << 20);
    /* Fill past 80%, then it doubles. */
    unsigned n = 0;
    while (st.used_bytes * 10 <= st.map_size * 8) {
        char id[32];
        snprintf(id, sizeof id, "e-%u", n++);
        hq_frame ev = make_frame(&f->frames[0], "gw-1", id, "x", 4000);
        uint64_t first;
        assert_int_equal(append_batch(f, &ev, 1, &first), 0);
        txn = begin(f, false);
        assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
        hq_store_abort(f->store, txn);
    }
    assert_int_equal(hq_store_maybe_grow(f->store, &err), 0);
    txn = begin(f, false);
    assert_int_equal(hq_store_stats_get(f->store, txn, &st, NULL), 0);
    hq_store_abort(f->store, txn);
    assert_int_equal(st.map_size, 2 << 20);
}

/* ---- counters, wrappers and error codes ---- */

static void test_counters(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    uint64_t v;
    MDB_txn *txn = begin(f, true);
    assert_int_equal(hq_store_counter_next(f->store, txn, "issue:2026", &v, NULL), 0);
    assert_int_equal(v, 1);
    assert_int_equal(hq_store_counter_next(f->store, txn, "issue:2026", &v, NULL), 0);
    assert_int_equal(v, 2);
    assert_int_equal(hq_store_counter_next(f->store, txn, "issue:2027", &v, NULL), 0);
    assert_int_equal(v, 1);
    commit(f, txn);
    /* An aborted transaction hands nothing out. */
    txn = begin(f, true);
    assert_int_equal(hq_store_counter_next(f->store, txn, "issue:2026", &v, NULL), 0);
    assert_int_equal(v, 3);
    hq_store_abort(f->store, txn);
    hq_store_close(&f->store);
    open_ok(f, 0, 0);
    txn = begin(f, true);
    assert_int_equal(hq_store_counter_next(f->store, txn, "issue:2026", &v, NULL), 0);
    assert_int_equal(v, 3);
    /* Stored big-endian under "counter:<name>" in meta. */
    MDB_val raw;
    assert_int_equal(hq_store_get(f->store, txn, HQ_DB_META, "counter:issue:2026", 18, &raw, NULL), 0);
    assert_int_equal(raw.mv_size, 8);
    assert_int_equal(hq_be64_get(raw.mv_data), 3);
    commit(f, txn);
}

static void test_put_get_del(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    hq_err err = {0};
    MDB_txn *txn = begin(f, true);
    MDB_val v;
    assert_int_equal(hq_store_get(f->store, txn, HQ_DB_RULESTATE, "k", 1, &v, &err), HQ_ENOTFOUND);
    assert_string_equal(err.msg, "rulestate: not found");
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_RULESTATE, "k", 1, "value", 5, NULL), 0);
    assert_int_equal(hq_store_get(f->store, txn, HQ_DB_RULESTATE, "k", 1, &v, NULL), 0);
    assert_int_equal(v.mv_size, 5);
    assert_memory_equal(v.mv_data, "value", 5);
    assert_int_equal(hq_store_del(f->store, txn, HQ_DB_RULESTATE, "k", 1, NULL), 0);
    assert_int_equal(hq_store_del(f->store, txn, HQ_DB_RULESTATE, "k", 1, &err), HQ_ENOTFOUND);
    assert_string_equal(err.msg, "rulestate: not found");
    /* Each database is its own key space. */
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_GROUPS, "k", 1, "g", 1, NULL), 0);
    assert_int_equal(hq_store_get(f->store, txn, HQ_DB_ISSUES, "k", 1, &v, NULL), HQ_ENOTFOUND);
    assert_true(hq_store_dbi(f->store, HQ_DB_GROUPS) != hq_store_dbi(f->store, HQ_DB_ISSUES));
    commit(f, txn);
}


/* hq_store_edge: the first or last record of a database; an empty one is
 * HQ_ENOTFOUND with err untouched.  hq_store_cursor opens a cursor. */
static void test_edge_records_and_cursor(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    MDB_txn *txn = begin(f, true);
    MDB_val k, v;
    hq_err err = {0};
    assert_int_equal(hq_store_edge(f->store, txn, HQ_DB_RULESTATE, MDB_FIRST, &k, &v, &err), HQ_ENOTFOUND);
    assert_int_equal(hq_store_edge(f->store, txn, HQ_DB_RULESTATE, MDB_LAST, &k, &v, &err), HQ_ENOTFOUND);
    assert_string_equal(err.msg, "");
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_RULESTATE, "b", 1, "2", 1, NULL), 0);
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_RULESTATE, "a", 1, "1", 1, NULL), 0);
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_RULESTATE, "c", 1, "3", 1, NULL), 0);
    assert_int_equal(hq_store_edge(f->store, txn, HQ_DB_RULESTATE, MDB_FIRST, &k, &v, &err), 0);
    assert_memory_equal(k.mv_data, "a", 1);
    assert_memory_equal(v.mv_data, "1", 1);
    assert_int_equal(hq_store_edge(f->store, txn, HQ_DB_RULESTATE, MDB_LAST, &k, &v, &err), 0);
    assert_memory_equal(k.mv_data, "c", 1);
    assert_memory_equal(v.mv_data, "3", 1);
    MDB_cursor *c = NULL;
    assert_int_equal(hq_store_cursor(f->store, txn, HQ_DB_RULESTATE, &c, &err), 0);
    assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
    assert_memory_equal(k.mv_data, "a", 1);
    mdb_cursor_close(c);
    commit(f, txn);
}

/* ---- the outbox (outbox.h): records under the next sequence number,
 * walked in order by hq_outbox_each ---- */

static uint64_t outbox_add(fixture *f, MDB_txn *txn, const char *kind)
{
    static const hq_role roles[] = {HQ_ROLE_SUPERVISOR};
    hq_alert a = {.ts_ms = 1000, .kind = kind, .issue = "HQ-2026-000001", .rule = "t.rule", .level = 1,
                  .roles = roles, .nroles = 1, .domain = "catering", .contractor = "c1", .site = "s1",
                  .title = "t", .text = "x", .severity = HQ_SEV_HIGH};
    uint64_t seq = 0;
    hq_err err = {0};
    if (hq_outbox_add(f->store, txn, &a, &seq, &err) != 0)
        fail_msg("outbox add: %s", err.msg);
    return seq;
}

/* What a walk saw ("seq:kind ..."), and after how many records it stops. */
typedef struct seen {
    hq_buf b;
    int n, stop_after;
} seen;

static int see(void *ctx, uint64_t seq, const msgpack_object *rec)
{
    seen *s = ctx;
    char *kind = hq_mp_strdup(hq_mp_map_get(rec, "kind"));
    hq_buf_printf(&s->b, "%s%llu:%s", s->n ? " " : "", (unsigned long long)seq, kind ? kind : "?");
    free(kind);
    return ++s->n == s->stop_after;
}

/* Walks the outbox from seq from, stopping after stop_after records (0:
 * never), and checks what the walk saw. */
static void walk_is(fixture *f, MDB_txn *txn, uint64_t from, int stop_after, const char *want)
{
    seen s = {.stop_after = stop_after};
    hq_buf_init(&s.b);
    hq_err err = {0};
    if (hq_outbox_each(f->store, txn, from, see, &s, &err) != 0)
        fail_msg("outbox each: %s", err.msg);
    assert_string_equal(s.b.data ? s.b.data : "", want);
    hq_buf_fini(&s.b);
}

static void test_outbox_each_walks_from_a_seq_and_stops_when_asked(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    MDB_txn *txn = begin(f, true);
    assert_int_equal(outbox_add(f, txn, "opened"), 1);
    assert_int_equal(outbox_add(f, txn, "reminder"), 2);
    assert_int_equal(outbox_add(f, txn, "closed"), 3);
    /* record 4 is an array, 5 is not msgpack: passed over */
    unsigned char key[8];
    hq_be64_put(key, 4);
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_OUTBOX, key, 8, "\x93\x01\x02\x03", 4, NULL), 0);
    hq_be64_put(key, 5);
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_OUTBOX, key, 8, "\xc1", 1, NULL), 0);
    walk_is(f, txn, 1, 0, "1:opened 2:reminder 3:closed");
    walk_is(f, txn, 2, 0, "2:reminder 3:closed");
    walk_is(f, txn, 4, 0, "");
    walk_is(f, txn, 1, 2, "1:opened 2:reminder");
    commit(f, txn);
}

/* hq_store_find: a missing key is no error; hq_store_end commits what
 * went well and aborts what did not; hq_store_dir_ready says why a
 * directory cannot hold a state. */
static void test_find_end_and_dir_ready(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    hq_err err = {0};
    MDB_val v;
    bool found = true;
    MDB_txn *txn = begin(f, true);
    assert_int_equal(hq_store_find(f->store, txn, HQ_DB_RULESTATE, "k", 1, &v, &found, &err), 0);
    assert_false(found);
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_RULESTATE, "k", 1, "kept", 4, NULL), 0);
    assert_int_equal(hq_store_end(f->store, txn, 0, &err), 0);
    txn = begin(f, true);
    assert_int_equal(hq_store_put(f->store, txn, HQ_DB_RULESTATE, "j", 1, "gone", 4, NULL), 0);
    assert_int_equal(hq_store_end(f->store, txn, HQ_EINVAL, &err), HQ_EINVAL); /* aborted */
    txn = begin(f, false);
    assert_int_equal(hq_store_find(f->store, txn, HQ_DB_RULESTATE, "k", 1, &v, &found, &err), 0);
    assert_true(found);
    assert_memory_equal(v.mv_data, "kept", 4);
    assert_int_equal(hq_store_find(f->store, txn, HQ_DB_RULESTATE, "j", 1, &v, &found, &err), 0);
    assert_false(found);
    hq_store_abort(f->store, txn);

    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", f->state);
    assert_int_equal(hq_store_dir_ready(path, false, &err), HQ_EIO);
    char want[4300];
    snprintf(want, sizeof want, "%s: not a directory", path);
    assert_string_equal(err.msg, want);
    snprintf(path, sizeof path, "%s/new", f->tmp);
    assert_int_equal(hq_store_dir_ready(path, true, &err), HQ_EIO); /* a reader does not create */
    assert_int_equal(hq_store_dir_ready(path, false, &err), 0);
    assert_int_equal(hq_store_dir_ready(path, true, &err), 0);
}

static void test_lmdb_codes_map_to_ours(void **state)
{
    (void)state;
    hq_err err = {0};
    assert_int_equal(hq_store_code(MDB_SUCCESS, &err, "x"), 0);
    assert_int_equal(hq_store_code(MDB_NOTFOUND, &err, "events"), HQ_ENOTFOUND);
    assert_string_equal(err.msg, "events: not found");
    assert_int_equal(hq_store_code(MDB_MAP_FULL, &err, "commit"), HQ_EFULL);
    assert_string_equal(err.msg, "commit: storage map full");
    assert_int_equal(hq_store_code(MDB_PANIC, &err, "commit"), HQ_EPANIC);
    assert_int_equal(hq_store_code(EIO, &err, "commit"), HQ_EPANIC);
    assert_string_equal(err.msg, "commit: i/o error");
    assert_int_equal(hq_store_code(MDB_KEYEXIST, &err, "events"), HQ_ESTORE);
    char want[200];
    snprintf(want, sizeof want, "events: %s", mdb_strerror(MDB_KEYEXIST));
    assert_string_equal(err.msg, want);
    assert_int_equal(hq_store_code(MDB_NOTFOUND, NULL, "x"), HQ_ENOTFOUND);
}

/* A reader that died inside a read transaction leaves its slot taken.
 * LMDB resets the reader table only when the opener is alone; with another
 * process still attached the writer must clear dead slots itself. */
static int count_reader_lines(const char *msg, void *ctx)
{
    (void)msg;
    (*(int *)ctx)++;
    return 0;
}

/* Forks a reader of dir that opens the state (and a read transaction when
 * with_txn), writes one byte to the returned pipe, then waits to be killed. */
static pid_t spawn_reader(const char *dir, bool with_txn)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hq_store *s = NULL;
        MDB_txn *txn = NULL;
        close(ready[0]);
        if (hq_store_open(dir, HQ_STORE_RDONLY, 0, &s, NULL) != 0)
            _exit(1);
        if (with_txn && hq_store_begin(s, false, &txn, NULL) != 0)
            _exit(1);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    return pid;
}

static void kill_and_reap(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
}

static void test_stale_reader_slots_are_cleared_at_open(void **state)
{
    fixture *f = *state;
    open_ok(f, 0, 0);
    int cleared = -1;
    assert_int_equal(hq_store_reader_check(f->store, &cleared), 0);
    assert_int_equal(cleared, 0);
    hq_store_close(&f->store); /* the children open it: not two handles here */

    pid_t alive = spawn_reader(f->state, false); /* keeps the environment shared */
    pid_t dead = spawn_reader(f->state, true);
    kill_and_reap(dead);

    open_ok(f, 0, 0);
    /* mdb_reader_list gives "(no active readers)", or a header and one
     * line per taken slot. */
    int lines = 0;
    mdb_reader_list(hq_store_env(f->store), count_reader_lines, &lines);
    assert_int_equal(lines, 1);
    assert_int_equal(hq_store_reader_check(f->store, &cleared), 0);
    assert_int_equal(cleared, 0);
    hq_store_close(&f->store);
    kill_and_reap(alive);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_a_state_with_a_format_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_format_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_open_of_something_that_is_not_a_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_store_reads_but_never_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup_new_same_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_is_monotonic_across_aborts_and_reopens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full_grows_and_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maybe_grow_grows_ahead_of_need, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_get_del, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_records_and_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_each_walks_from_a_seq_and_stops_when_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_end_and_dir_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lmdb_codes_map_to_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_reader_slots_are_cleared_at_open, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
