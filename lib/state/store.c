/* store.c - the LMDB environment and its key space.
 *
 * The key space (every database of the environment; all integers are
 * big-endian so that byte order is numeric order):
 *
 *   meta       "format"                     -> decimal format version ("2"; 1 stored
 *                                              obligations per unit, with a timer each)
 *              "counter:<name>"             -> be64 last value handed out
 *              "gen:<rule>"                 -> be64 ms: obligations generated up to here
 *              "count:open"                 -> be64 issues not closed (issue.c)
 *              "index:audit"                -> "1": the audit indexes exist (written
 *                                              at creation; older states are scanned once)
 *              "index:console"              -> "1": the console's indexes exist (o, a
 *                                              below; written at creation; older states
 *                                              are scanned once at houqind's start)
 *              "index:eval"                 -> "1": every issue has its evaluation summary
 *                                              (e below; written at creation; older states
 *                                              are scanned once at houqind's start)
 *              "timeline:typed"             -> "1": timeline entries are typed records
 *                                              (written at creation; older states are
 *                                              upgraded once at houqind's start, issue.h)
 *              "uptime"                     -> be64 ms: the last time houqind was known
 *                                              running (its heartbeat; engine.h)
 *              "clock"                      -> be64 ms: the manual clock's time at the
 *                                              last commit (hq_store_clock_get/put), so a
 *                                              restarted daemon and the readers use it
 *              "head_sent"                  -> be64 ms | be64 seq: when the daily ledger
 *                                              head (the chain's last hash) was last
 *                                              published, and at which event (engine.c)
 *              "origin"                     -> be64 ms: the clock when the state's history
 *                                              began: its first generation of obligations,
 *                                              before any event (hq_store_origin_mark); a
 *                                              clock reset on a state without events moves
 *                                              it.  Backtests start their clock here.
 *   events     be64 seq                     -> be64 stored_ms | msgpack frame as received
 *   dedup      source 0x00 id               -> be64 seq | 16-byte BLAKE2b of the frame
 *   issues     number ("HQ-2026-000123")    -> msgpack issue record (issue.c)
 *   groups     rule 0x00 key                -> msgpack group record: the open issue of a
 *                                              (rule, key), the last closed one (issue.c)
 *   issue_idx  kind 0x00 value 0x00 number  -> "" (secondary indexes: s=state,
 *                                              d=domain, c=contractor, n=open with no
 *                                              next step scheduled, o=open issues of a
 *                                              contractor, value ""; issue.c)
 *              'a' 0x00 be64 last number    -> be64 opened_ms: every issue by its last
 *                                              activity (the be64 is the ms with the
 *                                              sign bit flipped, so it sorts; issue.c)
 *              'e' 0x00 0x00 number         -> the evaluation's summary of the issue
 *                                              (binary, issue.c "the evaluation's summary")
 *   timers     be64 due_ms | be64 id        -> msgpack timer record (timer.c); the first
 *                                              entry is the next due, ties in id order
 *   outbox     be64 seq                     -> msgpack outbox record (outbox.c)
 *   rulestate  kind 0x00 rule 0x00 key      -> per-rule state: counting windows (w),
 *                                              sustained conditions (s, c), stale data (l)
 *                                              (engine.c)
 *              'O' 0x00 rule 0x00 be64 due_ms
 *                                           -> an obligation slot: its window, its one
 *                                              deadline timer, its unit set (obligation.c)
 *              'P' 0x00 rule 0x00 be64 due_ms unit
 *                                           -> one unit's obligation in that slot, once
 *                                              something happened (satisfied, late, missed)
 *              'U' 0x00 16-byte set id      -> a unit set, shared by the slots expecting it
 *   chain      be64 seq                     -> 32-byte BLAKE2b chain hash of the event log
 *                                              (tamper evidence; hq_store_chain_verify)
 *
 * Retention (prune.c, archive.c) removes old events with their chain and
 * dedup records once they are in a monthly archive under STATE/archive/;
 * the log then starts above 1 and has gaps where archived events left.
 * Its meta records:
 *   meta       "archive:upto"               -> be64 the last seq in an archive
 *              "archive:chain"              -> 32-byte chain hash at that seq
 *              "prune:next"                 -> be64 ms: when the next retention run starts
 *              "prune:last"                 -> msgpack map: the last run's figures
 *
 * Event log and dedup index are append-mostly for producers whose ids grow
 * with time (the client library makes such ids): each batch then touches
 * the right edge of both trees instead of random leaves.
 */
#include "store.h"

#include "buf.h"
#include "mem.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const char *const db_names[HQ_DB_COUNT] = {
    "meta", "events", "dedup", "issues", "groups", "issue_idx", "timers", "outbox", "rulestate", "chain",
};

struct hq_store {
    MDB_env *env;
    MDB_dbi dbi[HQ_DB_COUNT];
    char *dir;
    bool rdonly;
    MDB_txn *wtxn;                  /* the write txn the seq cache belongs to */
    unsigned char chain_head[32];   /* chain hash of the last event in wtxn ... */
    bool chain_loaded;              /* ... once loaded in this txn */
    uint64_t seq_cache[HQ_DB_COUNT]; /* next seq in wtxn; 0 = not loaded */
};

int hq_store_code(int rc, hq_err *err, const char *what)
{
    switch (rc) {
    case MDB_SUCCESS: return 0;
    case MDB_NOTFOUND:
        /* Common and expected on hot paths (rule state lookups): no printf. */
        if (err) {
            err->code = HQ_ENOTFOUND;
            err->line = err->column = 0;
            err->file[0] = '\0';
            size_t wl = strlen(what);
            if (wl > sizeof err->msg - 12)
                wl = sizeof err->msg - 12;
            memcpy(err->msg, what, wl);
            memcpy(err->msg + wl, ": not found", 12);
        }
        return HQ_ENOTFOUND;
    case MDB_MAP_FULL: return hq_err_set(err, HQ_EFULL, "%s: storage map full", what);
    case MDB_PANIC: return hq_err_set(err, HQ_EPANIC, "%s: lmdb panic: %s", what, mdb_strerror(rc));
    /* A full disk is not a full map: growing the map cannot help, and the
     * batch is refused ("unavailable") until space returns. */
    case ENOSPC: return hq_err_set(err, HQ_ESTORE, "%s: no space left on device", what);
    case EIO: return hq_err_set(err, HQ_EPANIC, "%s: i/o error", what);
    default: return hq_err_set(err, HQ_ESTORE, "%s: %s", what, mdb_strerror(rc));
    }
}

static int check_format(hq_store *s, MDB_txn *txn, hq_err *err)
{
    MDB_val k = {6, (void *)"format"}, v;
    int rc = mdb_get(txn, s->dbi[HQ_DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        if (s->rdonly)
            return hq_err_set(err, HQ_EVERSION, "%s: not a houqin state (no format record)", s->dir);
        char ver[16];
        int n = snprintf(ver, sizeof ver, "%d", HQ_STORE_FORMAT);
        MDB_val nv = {(size_t)n, ver};
        rc = mdb_put(txn, s->dbi[HQ_DB_META], &k, &nv, 0);
        /* A new state has every index from its first issue on, and a
         * typed timeline (issue.h). */
        static const char *const marks[] = {"index:audit", "index:console", "index:eval", "timeline:typed"};
        for (size_t i = 0; rc == 0 && i < sizeof marks / sizeof *marks; i++) {
            MDB_val mk = {strlen(marks[i]), (void *)marks[i]}, mv = {1, (void *)"1"};
            rc = mdb_put(txn, s->dbi[HQ_DB_META], &mk, &mv, 0);
        }
        return hq_store_code(rc, err, "write format record");
    }
    if (rc)
        return hq_store_code(rc, err, "read format record");
    char ver[16] = "";
    memcpy(ver, v.mv_data, v.mv_size < sizeof ver - 1 ? v.mv_size : sizeof ver - 1);
    if (atoi(ver) != HQ_STORE_FORMAT)
        return hq_err_set(err, HQ_EVERSION,
                          "%s: state format version %s is not supported by this build (it knows version %d)",
                          s->dir, ver, HQ_STORE_FORMAT);
    return 0;
}

int hq_store_dir_ready(const char *dir, bool rdonly, hq_err *err)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (rdonly || errno != ENOENT)
            return hq_err_set(err, HQ_EIO, "%s: %s", dir, strerror(errno));
        if (mkdir(dir, 0770) != 0)
            return hq_err_set(err, HQ_EIO, "%s: cannot create: %s", dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return hq_err_set(err, HQ_EIO, "%s: not a directory", dir);
    }
    return 0;
}

int hq_store_env_open(const char *dir, bool rdonly, unsigned maxdbs, unsigned maxreaders, uint64_t map_size,
                      const char *what, MDB_env **env, hq_err *err)
{
    *env = NULL;
    int rc = mdb_env_create(env);
    if (rc) {
        *env = NULL;
        return hq_store_code(rc, err, "mdb_env_create");
    }
    mdb_env_set_maxdbs(*env, maxdbs);
    if (maxreaders)
        mdb_env_set_maxreaders(*env, maxreaders);
    /* A new state starts with map_size; an existing one keeps the size
     * recorded in it (grown by earlier runs). */
    char datafile[4096];
    struct stat st;
    snprintf(datafile, sizeof datafile, "%s/data.mdb", dir);
    if (!rdonly && stat(datafile, &st) != 0)
        mdb_env_set_mapsize(*env, map_size);
    rc = mdb_env_open(*env, dir, MDB_NOTLS | (rdonly ? MDB_RDONLY : 0), 0660);
    if (rc) {
        int code = hq_store_code(rc, err, what);
        hq_err_prefix(err, "%s", dir);
        mdb_env_close(*env);
        *env = NULL;
        return code;
    }
    if (!rdonly) {
        int dead = 0;
        mdb_reader_check(*env, &dead);
    }
    return 0;
}

int hq_store_env_begin(MDB_env *env, bool write, MDB_txn **txn, hq_err *err)
{
    int rc = mdb_txn_begin(env, NULL, write ? 0 : MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        mdb_env_set_mapsize(env, 0);
        rc = mdb_txn_begin(env, NULL, write ? 0 : MDB_RDONLY, txn);
    }
    return hq_store_code(rc, err, "begin");
}

int hq_store_env_grow(MDB_env *env, hq_err *err)
{
    MDB_envinfo info;
    mdb_env_info(env, &info);
    return hq_store_code(mdb_env_set_mapsize(env, info.me_mapsize * 2), err, "grow the map");
}

/* The map of a new state, and the least a writer runs with. */
#define DEFAULT_MAP_SIZE (1ULL << 30)

int hq_store_open(const char *dir, unsigned flags, uint64_t map_size, hq_store **out, hq_err *err)
{
    bool rdonly = flags & HQ_STORE_RDONLY;
    int rc = hq_store_dir_ready(dir, rdonly, err);
    if (rc)
        return rc;
    if (rdonly) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/data.mdb", dir);
        if (stat(p, &st) != 0)
            return hq_err_set(err, HQ_EVERSION, "%s: not a houqin state (no data.mdb)", dir);
    }
    if (sodium_init() < 0)
        return hq_err_set(err, HQ_EIO, "libsodium failed to initialise");
    hq_store *s = hq_calloc(1, sizeof *s);
    s->dir = hq_strdup(dir);
    s->rdonly = rdonly;
    uint64_t want = map_size ? map_size : DEFAULT_MAP_SIZE;
    rc = hq_store_env_open(dir, rdonly, HQ_DB_COUNT + 4, 254, want, "open state", &s->env, err);
    if (rc) {
        free(s->dir);
        free(s);
        return rc;
    }
    if (!rdonly) {
        /* A map larger than asked for (grown by an earlier run) is kept. */
        MDB_envinfo info;
        mdb_env_info(s->env, &info);
        if (info.me_mapsize < want)
            mdb_env_set_mapsize(s->env, want);
    }
    MDB_txn *txn;
    rc = hq_store_env_begin(s->env, !rdonly, &txn, err);
    if (rc) {
        hq_store_close(&s);
        return rc;
    }
    for (int i = 0; i < HQ_DB_COUNT && rc == 0; i++) {
        rc = mdb_dbi_open(txn, db_names[i], rdonly ? 0 : MDB_CREATE, &s->dbi[i]);
        if (rc == MDB_NOTFOUND && rdonly) {
            mdb_txn_abort(txn);
            hq_store_close(&s);
            return hq_err_set(err, HQ_EVERSION, "%s: not a houqin state (no \"%s\" database)", dir, db_names[i]);
        }
    }
    int code = rc ? hq_store_code(rc, err, "open databases") : check_format(s, txn, err);
    if (code) {
        mdb_txn_abort(txn);
        hq_store_close(&s);
        return code;
    }
    rc = mdb_txn_commit(txn);
    if (rc) {
        code = hq_store_code(rc, err, "commit");
        hq_store_close(&s);
        return code;
    }
    *out = s;
    return 0;
}

void hq_store_close(hq_store **sp)
{
    hq_store *s = sp ? *sp : NULL;
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    free(s->dir);
    free(s);
    *sp = NULL;
}

MDB_dbi hq_store_dbi(const hq_store *s, enum hq_db db)
{
    return s->dbi[db];
}

int hq_store_cursor(hq_store *s, MDB_txn *txn, enum hq_db db, MDB_cursor **c, hq_err *err)
{
    return hq_store_code(mdb_cursor_open(txn, s->dbi[db], c), err, db_names[db]);
}

int hq_store_edge(hq_store *s, MDB_txn *txn, enum hq_db db, MDB_cursor_op op, MDB_val *k, MDB_val *v, hq_err *err)
{
    MDB_cursor *c;
    int rc = hq_store_cursor(s, txn, db, &c, err);
    if (rc)
        return rc;
    rc = mdb_cursor_get(c, k, v, op);
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? HQ_ENOTFOUND : hq_store_code(rc, err, db_names[db]);
}

const char *hq_store_dir(const hq_store *s)
{
    return s->dir;
}

MDB_env *hq_store_env(const hq_store *s)
{
    return s->env;
}

int hq_store_begin(hq_store *s, bool write, MDB_txn **txn, hq_err *err)
{
    if (write && s->rdonly)
        return hq_err_set(err, HQ_ESTATE, "the state is open read-only");
    for (int tries = 0; tries < 3; tries++) {
        int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, txn);
        if (rc == MDB_MAP_RESIZED) {
            /* The writer grew the map: adopt its size and try again. */
            mdb_env_set_mapsize(s->env, 0);
            continue;
        }
        if (rc)
            return hq_store_code(rc, err, "begin transaction");
        if (write) {
            s->wtxn = *txn;
            memset(s->seq_cache, 0, sizeof s->seq_cache);
            s->chain_loaded = false;
        }
        return 0;
    }
    return hq_err_set(err, HQ_ESTORE, "begin transaction: the map kept being resized");
}

int hq_store_begin_shared(hq_store *s, MDB_txn **txn, hq_err *err)
{
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED)
        return hq_err_set(err, HQ_EAGAIN, "begin transaction: houqind grew the map; adopt it and begin again");
    return rc ? hq_store_code(rc, err, "begin transaction") : 0;
}

void hq_store_adopt_map(hq_store *s)
{
    mdb_env_set_mapsize(s->env, 0);
}

/* Below this much free space on the state's file system, an I/O error
 * from a commit is taken for a full disk. */
#define FULL_DISK_BYTES (4u << 20)

/* Whether a commit's EIO was a full disk: LMDB 0.9.24 reports a short page
 * write (the last free blocks taken by part of a commit) as EIO, like a
 * failing disk.  A commit whose data pages did not all reach the file never
 * wrote its meta page, so the environment is still at the last commit.  It
 * is a full disk when the file system has (almost) no free space and a
 * write transaction still begins (after a failed meta write LMDB answers
 * MDB_PANIC to everything: that stays fatal). */
static bool full_disk(hq_store *s, uint64_t *free_bytes)
{
    struct statvfs vfs;
    if (statvfs(s->dir, &vfs) != 0)
        return false;
    *free_bytes = (uint64_t)(geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) * vfs.f_frsize;
    if (*free_bytes >= FULL_DISK_BYTES)
        return false;
    MDB_txn *t;
    if (mdb_txn_begin(s->env, NULL, 0, &t) != 0)
        return false;
    mdb_txn_abort(t);
    return true;
}

int hq_store_commit(hq_store *s, MDB_txn *txn, hq_err *err)
{
    if (txn == s->wtxn)
        s->wtxn = NULL;
    int rc = mdb_txn_commit(txn);
    uint64_t free_bytes;
    /* (ENOSPC: the commit's first write found no block at all; the same
     * full disk, said the same way) */
    if ((rc == EIO || rc == ENOSPC) && full_disk(s, &free_bytes))
        return hq_err_set(err, HQ_ESTORE, "commit: no space left on device (the file system is full, %llu bytes free)",
                          (unsigned long long)free_bytes);
    return hq_store_code(rc, err, "commit");
}

void hq_store_abort(hq_store *s, MDB_txn *txn)
{
    if (!txn)
        return;
    if (txn == s->wtxn)
        s->wtxn = NULL;
    mdb_txn_abort(txn);
}

int hq_store_end(hq_store *s, MDB_txn *txn, int rc, hq_err *err)
{
    if (rc == 0)
        return hq_store_commit(s, txn, err);
    hq_store_abort(s, txn);
    return rc;
}

int hq_store_grow(hq_store *s, hq_err *err)
{
    return hq_store_env_grow(s->env, err);
}

int hq_store_maybe_grow(hq_store *s, hq_err *err)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(s->env, &info);
    mdb_env_stat(s->env, &st);
    uint64_t used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    if (used * 10 > (uint64_t)info.me_mapsize * 8)
        return hq_store_grow(s, err);
    return 0;
}

int hq_store_reader_check(hq_store *s, int *cleared)
{
    int dead = 0;
    int rc = mdb_reader_check(s->env, &dead);
    if (cleared)
        *cleared = dead;
    return rc ? HQ_ESTORE : 0;
}

int hq_store_put(hq_store *s, MDB_txn *txn, enum hq_db db, const void *k, size_t kl, const void *v, size_t vl,
                 hq_err *err)
{
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    return hq_store_code(mdb_put(txn, s->dbi[db], &key, &val, 0), err, db_names[db]);
}

int hq_store_get(hq_store *s, MDB_txn *txn, enum hq_db db, const void *k, size_t kl, MDB_val *v, hq_err *err)
{
    MDB_val key = {kl, (void *)k};
    return hq_store_code(mdb_get(txn, s->dbi[db], &key, v), err, db_names[db]);
}

int hq_store_del(hq_store *s, MDB_txn *txn, enum hq_db db, const void *k, size_t kl, hq_err *err)
{
    MDB_val key = {kl, (void *)k};
    return hq_store_code(mdb_del(txn, s->dbi[db], &key, NULL), err, db_names[db]);
}

int hq_store_find(hq_store *s, MDB_txn *txn, enum hq_db db, const void *k, size_t kl, MDB_val *v, bool *found,
                  hq_err *err)
{
    int rc = hq_store_get(s, txn, db, k, kl, v, err);
    *found = rc == 0;
    return rc == HQ_ENOTFOUND ? 0 : rc;
}

int hq_store_get_seq(hq_store *s, MDB_txn *txn, enum hq_db db, uint64_t seq, MDB_val *v, hq_err *err)
{
    unsigned char key[8];
    hq_be64_put(key, seq);
    return hq_store_get(s, txn, db, key, 8, v, err);
}

int hq_store_next_seq(hq_store *s, MDB_txn *txn, enum hq_db db, uint64_t *seq, hq_err *err)
{
    if (txn != s->wtxn || s->seq_cache[db] == 0) {
        MDB_val k, v;
        int rc = hq_store_edge(s, txn, db, MDB_LAST, &k, &v, err);
        if (rc && rc != HQ_ENOTFOUND)
            return rc;
        uint64_t next = rc == 0 && k.mv_size == 8 ? hq_be64_get(k.mv_data) + 1 : 1;
        if (txn != s->wtxn) {
            *seq = next;
            return 0;
        }
        s->seq_cache[db] = next;
    }
    *seq = s->seq_cache[db]++;
    return 0;
}

int hq_store_peek_seq(hq_store *s, MDB_txn *txn, enum hq_db db, uint64_t *seq, hq_err *err)
{
    int rc = hq_store_next_seq(s, txn, db, seq, err);
    if (rc == 0 && txn == s->wtxn)
        s->seq_cache[db]--;
    return rc;
}

int hq_store_counter_next(hq_store *s, MDB_txn *txn, const char *name, uint64_t *val, hq_err *err)
{
    char key[128];
    int kl = snprintf(key, sizeof key, "counter:%s", name);
    MDB_val v;
    uint64_t cur = 0;
    int rc = hq_store_get(s, txn, HQ_DB_META, key, (size_t)kl, &v, err);
    if (rc == 0 && v.mv_size == 8)
        cur = hq_be64_get(v.mv_data);
    else if (rc && rc != HQ_ENOTFOUND)
        return rc;
    unsigned char nb[8];
    hq_be64_put(nb, cur + 1);
    rc = hq_store_put(s, txn, HQ_DB_META, key, (size_t)kl, nb, 8, err);
    if (rc)
        return rc;
    *val = cur + 1;
    return 0;
}

/* source 0x00 id; returns the key length. */
static size_t dedup_key(const hq_frame *fr, unsigned char *key)
{
    memcpy(key, fr->source, fr->source_len);
    key[fr->source_len] = 0;
    memcpy(key + fr->source_len + 1, fr->id, fr->id_len);
    return fr->source_len + 1 + fr->id_len;
}

int hq_store_dedup_check(hq_store *s, MDB_txn *txn, const hq_frame *fr, hq_dedup *res, uint64_t *seq,
                         hq_err *err)
{
    unsigned char key[HQ_SOURCE_MAX + 1 + HQ_ID_MAX];
    size_t kl = dedup_key(fr, key);
    MDB_val v;
    int rc = hq_store_get(s, txn, HQ_DB_DEDUP, key, kl, &v, err);
    if (rc == HQ_ENOTFOUND) {
        *res = HQ_DEDUP_NEW;
        return 0;
    }
    if (rc)
        return rc;
    if (v.mv_size != 8 + HQ_DIGEST_BYTES)
        return hq_err_set(err, HQ_ESTORE, "dedup record of unexpected size %zu", v.mv_size);
    unsigned char digest[HQ_DIGEST_BYTES];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)fr->raw, fr->raw_len, NULL, 0);
    *seq = hq_be64_get(v.mv_data);
    *res = memcmp(digest, (const unsigned char *)v.mv_data + 8, HQ_DIGEST_BYTES) == 0 ? HQ_DEDUP_SAME
                                                                                      : HQ_DEDUP_CONFLICT;
    return 0;
}

static void event_digest(hq_frame *fr, unsigned char out[HQ_DIGEST_BYTES]);

int hq_store_event_append(hq_store *s, MDB_txn *txn, hq_frame *fr, int64_t stored_ms, uint64_t *seq,
                          hq_err *err)
{
    uint64_t n;
    int rc = hq_store_peek_seq(s, txn, HQ_DB_EVENTS, &n, err);
    if (rc == 0)
        rc = hq_store_event_put(s, txn, fr, stored_ms, n, err);
    if (rc)
        return rc;
    unsigned char dkey[HQ_SOURCE_MAX + 1 + HQ_ID_MAX];
    size_t dkl = dedup_key(fr, dkey);
    unsigned char dval[8 + HQ_DIGEST_BYTES];
    hq_be64_put(dval, n);
    event_digest(fr, dval + 8);
    rc = hq_store_put(s, txn, HQ_DB_DEDUP, dkey, dkl, dval, sizeof dval, err);
    if (rc)
        return rc;
    *seq = n;
    return 0;
}

static void event_digest(hq_frame *fr, unsigned char out[HQ_DIGEST_BYTES])
{
    if (fr->has_digest) {
        memcpy(out, fr->digest, HQ_DIGEST_BYTES);
        return;
    }
    crypto_generichash(out, HQ_DIGEST_BYTES, (const unsigned char *)fr->raw, fr->raw_len, NULL, 0);
    memcpy(fr->digest, out, HQ_DIGEST_BYTES);
    fr->has_digest = true;
}

static void chain_link(const unsigned char prev[32], uint64_t seq, int64_t stored_ms,
                       const unsigned char digest[HQ_DIGEST_BYTES], unsigned char out[32])
{
    unsigned char buf[32 + 8 + 8 + HQ_DIGEST_BYTES];
    memcpy(buf, prev, 32);
    hq_be64_put(buf + 32, seq);
    hq_be64_put(buf + 40, (uint64_t)stored_ms);
    memcpy(buf + 48, digest, HQ_DIGEST_BYTES);
    crypto_generichash(out, 32, buf, sizeof buf, NULL, 0);
}

void hq_store_chain_next(const unsigned char prev[32], uint64_t seq, int64_t stored_ms, const char *frame, size_t len,
                         unsigned char out[32])
{
    unsigned char dg[HQ_DIGEST_BYTES];
    crypto_generichash(dg, sizeof dg, (const unsigned char *)frame, len, NULL, 0);
    chain_link(prev, seq, stored_ms, dg, out);
}

int hq_store_event_remove(hq_store *s, MDB_txn *txn, uint64_t seq, const char *source, size_t source_len,
                          const char *id, size_t id_len, hq_err *err)
{
    unsigned char key[8];
    hq_be64_put(key, seq);
    int rc = hq_store_del(s, txn, HQ_DB_EVENTS, key, 8, err);
    if (rc == 0)
        rc = hq_store_del(s, txn, HQ_DB_CHAIN, key, 8, err);
    if (rc || source_len > HQ_SOURCE_MAX || id_len > HQ_ID_MAX)
        return rc;
    unsigned char dkey[HQ_SOURCE_MAX + 1 + HQ_ID_MAX];
    memcpy(dkey, source, source_len);
    dkey[source_len] = 0;
    memcpy(dkey + source_len + 1, id, id_len);
    MDB_val v;
    rc = hq_store_get(s, txn, HQ_DB_DEDUP, dkey, source_len + 1 + id_len, &v, err);
    if (rc == HQ_ENOTFOUND)
        return 0;
    if (rc == 0 && v.mv_size >= 8 && hq_be64_get(v.mv_data) == seq)
        rc = hq_store_del(s, txn, HQ_DB_DEDUP, dkey, source_len + 1 + id_len, err);
    return rc;
}

int hq_store_chain_head(hq_store *s, MDB_txn *txn, uint64_t *seq, unsigned char head[32], hq_err *err)
{
    MDB_val k, v;
    int rc = hq_store_edge(s, txn, HQ_DB_CHAIN, MDB_LAST, &k, &v, err);
    if (rc == HQ_ENOTFOUND) {
        *seq = 0;
        memset(head, 0, 32);
        return 0;
    }
    if (rc)
        return rc;
    if (k.mv_size != 8 || v.mv_size != 32)
        return hq_err_set(err, HQ_ESTORE, "chain record of unexpected size");
    *seq = hq_be64_get(k.mv_data);
    memcpy(head, v.mv_data, 32);
    return 0;
}

int hq_store_chain_verify(hq_store *s, MDB_txn *txn, uint64_t *checked, uint64_t *bad_seq, char *why, size_t whylen,
                          void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx, hq_err *err)
{
    static const unsigned char zero[32];
    return hq_store_chain_verify_from(s, txn, 0, zero, checked, bad_seq, why, whylen, progress, ctx, err);
}

int hq_store_chain_verify_from(hq_store *s, MDB_txn *txn, uint64_t after, const unsigned char after_chain[32],
                               uint64_t *checked, uint64_t *bad_seq, char *why, size_t whylen,
                               void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx, hq_err *err)
{
    MDB_cursor *ce, *cc;
    MDB_val ek, ev, ck, cv;
    unsigned char prev[32], h[32], dg[HQ_DIGEST_BYTES], from[8];
    memcpy(prev, after_chain, 32);
    hq_be64_put(from, after + 1);
    MDB_stat st;
    mdb_stat(txn, s->dbi[HQ_DB_EVENTS], &st);
    *checked = 0;
    *bad_seq = 0;
    int rc = hq_store_cursor(s, txn, HQ_DB_EVENTS, &ce, err);
    if (rc)
        return rc;
    if ((rc = hq_store_cursor(s, txn, HQ_DB_CHAIN, &cc, err))) {
        mdb_cursor_close(ce);
        return rc;
    }
    ek = (MDB_val){8, from};
    ck = (MDB_val){8, from};
    int re = mdb_cursor_get(ce, &ek, &ev, MDB_SET_RANGE), rcn = mdb_cursor_get(cc, &ck, &cv, MDB_SET_RANGE);
    uint64_t expect = after + 1;
    while (re == 0 || rcn == 0) {
        uint64_t seq = re == 0 && ek.mv_size == 8 ? hq_be64_get(ek.mv_data) : 0;
        uint64_t cseq = rcn == 0 && ck.mv_size == 8 ? hq_be64_get(ck.mv_data) : 0;
        if (re != 0 || rcn != 0 || seq != cseq || seq != expect) {
            *bad_seq = expect;
            snprintf(why, whylen, "%s", re != 0 ? "a chain record without its event (an event was deleted)"
                                        : rcn != 0 ? "an event without its chain record"
                                                   : "a gap or a record out of place in the log");
            break;
        }
        if (ev.mv_size < 8 || cv.mv_size != 32) {
            *bad_seq = seq;
            snprintf(why, whylen, "a record of unexpected size");
            break;
        }
        crypto_generichash(dg, sizeof dg, (const unsigned char *)ev.mv_data + 8, ev.mv_size - 8, NULL, 0);
        chain_link(prev, seq, (int64_t)hq_be64_get(ev.mv_data), dg, h);
        if (memcmp(h, cv.mv_data, 32) != 0) {
            *bad_seq = seq;
            snprintf(why, whylen, "the event's content or time does not match the chain (altered)");
            break;
        }
        memcpy(prev, h, 32);
        (*checked)++;
        expect++;
        if (progress && (*checked & 0xffff) == 0)
            progress(ctx, *checked, st.ms_entries);
        re = mdb_cursor_get(ce, &ek, &ev, MDB_NEXT);
        rcn = mdb_cursor_get(cc, &ck, &cv, MDB_NEXT);
    }
    mdb_cursor_close(ce);
    mdb_cursor_close(cc);
    return 0;
}

int hq_store_dedup_claim(hq_store *s, MDB_txn *txn, hq_frame *fr, uint64_t seq, hq_dedup *res,
                         uint64_t *orig_seq, hq_err *err)
{
    unsigned char dkey[HQ_SOURCE_MAX + 1 + HQ_ID_MAX];
    size_t dkl = dedup_key(fr, dkey);
    unsigned char dval[8 + HQ_DIGEST_BYTES];
    hq_be64_put(dval, seq);
    event_digest(fr, dval + 8);
    MDB_val k = {dkl, dkey}, v = {sizeof dval, dval};
    int rc = mdb_put(txn, s->dbi[HQ_DB_DEDUP], &k, &v, MDB_NOOVERWRITE);
    if (rc == 0) {
        *res = HQ_DEDUP_NEW;
        return 0;
    }
    if (rc != MDB_KEYEXIST)
        return hq_store_code(rc, err, "dedup");
    /* v now holds the existing record. */
    if (v.mv_size != 8 + HQ_DIGEST_BYTES)
        return hq_err_set(err, HQ_ESTORE, "dedup record of unexpected size %zu", v.mv_size);
    *orig_seq = hq_be64_get(v.mv_data);
    *res = memcmp(dval + 8, (const unsigned char *)v.mv_data + 8, HQ_DIGEST_BYTES) == 0 ? HQ_DEDUP_SAME
                                                                                        : HQ_DEDUP_CONFLICT;
    return 0;
}

int hq_store_dedup_release(hq_store *s, MDB_txn *txn, hq_frame *fr, hq_err *err)
{
    unsigned char dkey[HQ_SOURCE_MAX + 1 + HQ_ID_MAX];
    size_t dkl = dedup_key(fr, dkey);
    return hq_store_del(s, txn, HQ_DB_DEDUP, dkey, dkl, err);
}

static int chain_extend(hq_store *s, MDB_txn *txn, hq_frame *fr, uint64_t seq, int64_t stored_ms, hq_err *err)
{
    if (txn != s->wtxn || !s->chain_loaded) {
        uint64_t last;
        int rc = hq_store_chain_head(s, txn, &last, s->chain_head, err);
        if (rc)
            return rc;
        if (last + 1 != seq)
            return hq_err_set(err, HQ_ESTORE, "the chain ends at %llu, not before event %llu",
                              (unsigned long long)last, (unsigned long long)seq);
        s->chain_loaded = txn == s->wtxn;
    }
    unsigned char dg[HQ_DIGEST_BYTES], key[8];
    event_digest(fr, dg);
    chain_link(s->chain_head, seq, stored_ms, dg, s->chain_head);
    hq_be64_put(key, seq);
    MDB_val k = {8, key}, v = {32, s->chain_head};
    return hq_store_code(mdb_put(txn, s->dbi[HQ_DB_CHAIN], &k, &v, MDB_APPEND), err, "chain");
}

int hq_store_event_put(hq_store *s, MDB_txn *txn, hq_frame *fr, int64_t stored_ms, uint64_t seq,
                       hq_err *err)
{
    uint64_t n;
    int rc = hq_store_next_seq(s, txn, HQ_DB_EVENTS, &n, err);
    if (rc)
        return rc;
    if (n != seq)
        return hq_err_set(err, HQ_ESTORE, "event seq %llu is not the next (%llu)", (unsigned long long)seq,
                          (unsigned long long)n);
    unsigned char key[8];
    hq_be64_put(key, n);
    MDB_val k = {8, key}, v = {8 + fr->raw_len, NULL};
    rc = mdb_put(txn, s->dbi[HQ_DB_EVENTS], &k, &v, MDB_RESERVE | MDB_APPEND);
    if (rc)
        return hq_store_code(rc, err, "events");
    hq_be64_put(v.mv_data, (uint64_t)stored_ms);
    memcpy((unsigned char *)v.mv_data + 8, fr->raw, fr->raw_len);
    return chain_extend(s, txn, fr, seq, stored_ms, err);
}

/* A time kept in meta under key (8 bytes, big-endian ms): HQ_ENOTFOUND
 * when it was never written. */
static int meta_ms_get(hq_store *s, MDB_txn *txn, const char *key, int64_t *ms)
{
    MDB_val v;
    if (hq_store_get(s, txn, HQ_DB_META, key, strlen(key), &v, NULL) != 0 || v.mv_size != 8)
        return HQ_ENOTFOUND;
    *ms = (int64_t)hq_be64_get(v.mv_data);
    return 0;
}

static int meta_ms_put(hq_store *s, MDB_txn *txn, const char *key, int64_t ms, hq_err *err)
{
    unsigned char v[8];
    hq_be64_put(v, (uint64_t)ms);
    return hq_store_put(s, txn, HQ_DB_META, key, strlen(key), v, 8, err);
}

int hq_store_clock_get(hq_store *s, MDB_txn *txn, int64_t *ms)
{
    return meta_ms_get(s, txn, "clock", ms);
}

int hq_store_clock_put(hq_store *s, MDB_txn *txn, int64_t ms, hq_err *err)
{
    return meta_ms_put(s, txn, "clock", ms, err);
}

int hq_store_alive_get(hq_store *s, MDB_txn *txn, int64_t *ms)
{
    *ms = 0;
    return meta_ms_get(s, txn, "uptime", ms);
}

int hq_store_alive_put(hq_store *s, MDB_txn *txn, int64_t ms, hq_err *err)
{
    return meta_ms_put(s, txn, "uptime", ms, err);
}

int hq_store_origin_get(hq_store *s, MDB_txn *txn, int64_t *ms)
{
    return meta_ms_get(s, txn, "origin", ms);
}

int hq_store_origin_put(hq_store *s, MDB_txn *txn, int64_t ms, hq_err *err)
{
    return meta_ms_put(s, txn, "origin", ms, err);
}

int hq_store_origin_mark(hq_store *s, MDB_txn *txn, int64_t now_ms, hq_err *err)
{
    int64_t ms;
    if (hq_store_origin_get(s, txn, &ms) == 0)
        return 0;
    /* A state that already holds (or held) events began before now: its
     * origin is unknown, and a guess would be wrong. */
    uint64_t next;
    MDB_val v;
    int rc = hq_store_peek_seq(s, txn, HQ_DB_EVENTS, &next, err);
    if (rc)
        return rc;
    if (next > 1)
        return 0;
    rc = hq_store_get(s, txn, HQ_DB_META, "archive:upto", 12, &v, NULL);
    if (rc == 0)
        return 0;
    return hq_store_origin_put(s, txn, now_ms, err);
}

int hq_store_event_get(hq_store *s, MDB_txn *txn, uint64_t seq, int64_t *stored_ms, const char **frame,
                       size_t *len, hq_err *err)
{
    MDB_val v;
    int rc = hq_store_get_seq(s, txn, HQ_DB_EVENTS, seq, &v, err);
    if (rc)
        return rc;
    if (v.mv_size < 8)
        return hq_err_set(err, HQ_ESTORE, "event %llu: record too short", (unsigned long long)seq);
    if (stored_ms)
        *stored_ms = (int64_t)hq_be64_get(v.mv_data);
    *frame = (const char *)v.mv_data + 8;
    *len = v.mv_size - 8;
    return 0;
}

int hq_store_stats_get(hq_store *s, MDB_txn *txn, hq_store_stats *st, hq_err *err)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < HQ_DB_COUNT; i++) {
        MDB_stat ms;
        int rc = mdb_stat(txn, s->dbi[i], &ms);
        if (rc)
            return hq_store_code(rc, err, db_names[i]);
        st->entries[i] = ms.ms_entries;
    }
    MDB_envinfo info;
    MDB_stat es;
    mdb_env_info(s->env, &info);
    mdb_env_stat(s->env, &es);
    st->map_size = info.me_mapsize;
    st->used_bytes = (uint64_t)(info.me_last_pgno + 1) * es.ms_psize;
    MDB_val k, v;
    if (hq_store_edge(s, txn, HQ_DB_EVENTS, MDB_LAST, &k, &v, NULL) == 0 && k.mv_size == 8)
        st->last_event_seq = hq_be64_get(k.mv_data);
    return 0;
}
