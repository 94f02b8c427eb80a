/* reference.c - the bare reference consumer of hq-bench.
 *
 * What a minimal durable ingest costs on this machine, so that houqind's
 * figures can be printed as ratios to it measured in the same run (absolute
 * disk figures drift by 1.5x within an hour on the target VM).
 *
 * It does what houqind must do at the least, and nothing more:
 *   - a ROUTER socket (ZMQ_ROUTER_MANDATORY, replies with ZMQ_DONTWAIT);
 *   - group commit: poll, take every ready message (up to --batch, default
 *     1000), decode each with msgpack_unpack, pull `id` and `source`;
 *   - three LMDB puts per stored event, one write transaction per batch:
 *       dedup    "source\0id" -> be64 seq + 16-byte digest   (MDB_NOOVERWRITE:
 *                an existing key answers "duplicate" with the original seq,
 *                or "rejected" when the digest differs);
 *       log      be64 seq -> the raw msgpack frame            (MDB_APPEND);
 *       sources  source -> be64 last seq + be64 wall ms       (per-source record);
 *   - commit with the default, durable flags (no MDB_NOSYNC, MDB_NOMETASYNC,
 *     MDB_MAPASYNC or MDB_WRITEMAP), and only then reply
 *     {"id", "status": "stored", "seq"} to every event of the batch.
 * No validation, no schemas, no rules.  It trusts its input (it is fed by
 * hq-bench load only): do not expose it to anything else.
 *
 * It runs until SIGINT/SIGTERM (or --events N stored), then prints its batch
 * statistics: a human line on stderr and one JSON line on stdout. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <msgpack.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define REF_MAX_PREFIX 4   /* routing id, and REQ's empty delimiter */
#define REF_SOURCE_MAX 256 /* keeps "source\0id" within LMDB's 511 bytes */

enum { ST_PENDING, ST_STORED, ST_DUPLICATE, ST_REJECTED };

typedef struct ref_msg {
    zmq_msg_t prefix[REF_MAX_PREFIX];
    unsigned nprefix;
    zmq_msg_t body;
    bool extra_frames;
    const char *id, *src; /* point into body */
    size_t idlen, srclen;
    uint8_t digest[16];
    uint64_t seq;
    int status;
    const char *error;
} ref_msg;

typedef struct ref {
    const hb_ref_opts *o;
    void *zctx, *sock;
    MDB_env *env;
    MDB_dbi log, dedup, sources;
    uint64_t next_seq;
    ref_msg *batch;
    unsigned n;
    msgpack_zone zone;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    /* statistics */
    uint64_t commits, messages, stored, duplicate, rejected, dropped, batch_max;
    int64_t commit_ns, first_ns, last_ns;
    char err[HB_ERR_MAX];
} ref;

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int fail(ref *r, const char *what, const char *why)
{
    snprintf(r->err, sizeof r->err, "%s: %s", what, why);
    return -1;
}

/* ---- small helpers ---- */

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return k ^ (k >> 33);
}

/* A 128-bit non-cryptographic digest of the frame (8 bytes a step), enough
 * to tell a retry from a reused id in a benchmark. */
static void digest128(const void *data, size_t n, uint8_t out[16])
{
    const uint8_t *s = data;
    uint64_t a = 0x9e3779b97f4a7c15ull ^ n, b = 0x87c37b91114253d5ull;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        a = rotl64(a ^ (w * 0x87c37b91114253d5ull), 31) * 0x4cf5ad432745937full;
        b = rotl64(b + w, 27) * 5 + a;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    a = fmix64(a ^ w);
    b = fmix64(b + w + a);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 8);
}

/* ---- set-up ---- */

static int open_store(ref *r)
{
    int rc;
    MDB_txn *txn;
    if (mkdir(r->o->state, 0755) && errno != EEXIST)
        return fail(r, r->o->state, strerror(errno));
    if ((rc = mdb_env_create(&r->env)) || (rc = mdb_env_set_mapsize(r->env, r->o->map_size)) ||
        (rc = mdb_env_set_maxdbs(r->env, 4)) || (rc = mdb_env_open(r->env, r->o->state, 0, 0644)))
        return fail(r, "mdb_env_open", mdb_strerror(rc));
    int dead = 0;
    mdb_reader_check(r->env, &dead);
    if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)))
        return fail(r, "mdb_txn_begin", mdb_strerror(rc));
    if ((rc = mdb_dbi_open(txn, "log", MDB_CREATE, &r->log)) ||
        (rc = mdb_dbi_open(txn, "dedup", MDB_CREATE, &r->dedup)) ||
        (rc = mdb_dbi_open(txn, "sources", MDB_CREATE, &r->sources))) {
        mdb_txn_abort(txn);
        return fail(r, "mdb_dbi_open", mdb_strerror(rc));
    }
    MDB_cursor *cur;
    MDB_val k, v;
    r->next_seq = 1;
    if ((rc = mdb_cursor_open(txn, r->log, &cur)) == 0) {
        if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
            r->next_seq = get_be64(k.mv_data) + 1;
        mdb_cursor_close(cur);
    }
    if ((rc = mdb_txn_commit(txn)))
        return fail(r, "mdb_txn_commit", mdb_strerror(rc));
    return 0;
}

static int open_socket(ref *r)
{
    int one = 1, zero = 0, linger = 100;
    r->zctx = zmq_ctx_new();
    r->sock = r->zctx ? zmq_socket(r->zctx, ZMQ_ROUTER) : NULL;
    if (!r->sock)
        return fail(r, "zmq_socket", zmq_strerror(errno));
    /* No HWM: the producers' windows bound the queues, and a reply dropped
     * at a HWM would stall a benchmark client until its timeout. */
    if (zmq_setsockopt(r->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) ||
        zmq_setsockopt(r->sock, ZMQ_SNDHWM, &zero, sizeof zero) ||
        zmq_setsockopt(r->sock, ZMQ_RCVHWM, &zero, sizeof zero) ||
        zmq_setsockopt(r->sock, ZMQ_LINGER, &linger, sizeof linger))
        return fail(r, "zmq_setsockopt", zmq_strerror(errno));
    if (zmq_bind(r->sock, r->o->endpoint))
        return fail(r, r->o->endpoint, zmq_strerror(errno));
    return 0;
}

/* ---- one batch ---- */

/* Receives one whole message into m: its routing prefix, then its body.
 * Returns 1 when a message was taken, 0 when none is ready, -1 on error. */
static int recv_message(ref *r, ref_msg *m)
{
    memset(m, 0, sizeof *m);
    bool have_body = false, more = true;
    for (int frame = 0; more; frame++) {
        zmq_msg_t f;
        zmq_msg_init(&f);
        int rc;
        while ((rc = zmq_msg_recv(&f, r->sock, frame == 0 ? ZMQ_DONTWAIT : 0)) < 0 &&
               errno == EINTR && frame > 0)
            ;
        if (rc < 0) {
            zmq_msg_close(&f);
            if (frame == 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
            return fail(r, "zmq_msg_recv", zmq_strerror(errno));
        }
        more = zmq_msg_more(&f);
        bool delimiter = frame > 0 && zmq_msg_size(&f) == 0 && more;
        if (!have_body && (frame == 0 || delimiter) && m->nprefix < REF_MAX_PREFIX) {
            m->prefix[m->nprefix++] = f;
        } else if (!have_body) {
            m->body = f;
            have_body = true;
        } else {
            m->extra_frames = true;
            zmq_msg_close(&f);
        }
    }
    if (!have_body) { /* a routing id alone: answer nothing */
        zmq_msg_init(&m->body);
        m->status = ST_REJECTED;
        m->error = "no body";
    }
    return 1;
}

static bool key_is(const msgpack_object_kv *kv, const char *name, size_t n)
{
    return kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n &&
           memcmp(kv->key.via.str.ptr, name, n) == 0;
}

/* Decodes m's body and pulls id and source (no other check).  Sets
 * m->status to ST_REJECTED with a reason when that is impossible. */
static void decode_message(ref *r, ref_msg *m)
{
    if (m->status != ST_PENDING)
        return;
    if (m->extra_frames) {
        m->status = ST_REJECTED, m->error = "more than one frame";
        return;
    }
    msgpack_object root;
    size_t off = 0;
    if (msgpack_unpack(zmq_msg_data(&m->body), zmq_msg_size(&m->body), &off, &r->zone, &root) !=
            MSGPACK_UNPACK_SUCCESS ||
        root.type != MSGPACK_OBJECT_MAP) {
        m->status = ST_REJECTED, m->error = "not one msgpack map";
        return;
    }
    for (uint32_t i = 0; i < root.via.map.size; i++) {
        const msgpack_object_kv *kv = &root.via.map.ptr[i];
        if (kv->val.type != MSGPACK_OBJECT_STR)
            continue;
        if (key_is(kv, "id", 2))
            m->id = kv->val.via.str.ptr, m->idlen = kv->val.via.str.size;
        else if (key_is(kv, "source", 6))
            m->src = kv->val.via.str.ptr, m->srclen = kv->val.via.str.size;
    }
    if (!m->id || m->idlen < 1 || m->idlen > HB_ID_MAX) {
        m->status = ST_REJECTED, m->error = "id: missing or not 1..64 bytes";
        m->id = NULL, m->idlen = 0;
    } else if (!m->src || m->srclen < 1 || m->srclen > REF_SOURCE_MAX) {
        m->status = ST_REJECTED, m->error = "source: missing or too long";
    } else {
        digest128(zmq_msg_data(&m->body), zmq_msg_size(&m->body), m->digest);
    }
}

/* The three puts of one event.  Returns 0, or an LMDB error code. */
static int put_event(ref *r, MDB_txn *txn, ref_msg *m, uint64_t *seq)
{
    uint8_t key[REF_SOURCE_MAX + 1 + HB_ID_MAX], val[24], seqkey[8], srcval[16];
    memcpy(key, m->src, m->srclen);
    key[m->srclen] = 0;
    memcpy(key + m->srclen + 1, m->id, m->idlen);
    put_be64(val, *seq);
    memcpy(val + 8, m->digest, 16);
    MDB_val k = {m->srclen + 1 + m->idlen, key}, v = {sizeof val, val};
    int rc = mdb_put(txn, r->dedup, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) { /* v now holds the stored value */
        if (v.mv_size == sizeof val && memcmp((uint8_t *)v.mv_data + 8, m->digest, 16) == 0)
            m->status = ST_DUPLICATE, m->seq = get_be64(v.mv_data);
        else
            m->status = ST_REJECTED, m->error = "id reused with different content";
        return 0;
    }
    if (rc)
        return rc;
    put_be64(seqkey, *seq);
    k = (MDB_val){sizeof seqkey, seqkey};
    v = (MDB_val){zmq_msg_size(&m->body), zmq_msg_data(&m->body)};
    if ((rc = mdb_put(txn, r->log, &k, &v, MDB_APPEND)))
        return rc;
    put_be64(srcval, *seq);
    put_be64(srcval + 8, (uint64_t)hb_wall_ms());
    k = (MDB_val){m->srclen, (void *)m->src};
    v = (MDB_val){sizeof srcval, srcval};
    if ((rc = mdb_put(txn, r->sources, &k, &v, 0)))
        return rc;
    m->status = ST_STORED;
    m->seq = (*seq)++;
    return 0;
}

/* Applies the batch in one write transaction and commits it durably.
 * Returns 0, or -1 when nothing of the batch may be acknowledged. */
static int apply_batch(ref *r)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
    if (rc)
        return fail(r, "mdb_txn_begin", mdb_strerror(rc));
    uint64_t seq = r->next_seq;
    for (unsigned i = 0; i < r->n; i++) {
        if (r->batch[i].status == ST_PENDING && (rc = put_event(r, txn, &r->batch[i], &seq))) {
            mdb_txn_abort(txn);
            return fail(r, "mdb_put", mdb_strerror(rc));
        }
    }
    int64_t t = hb_now_ns();
    rc = mdb_txn_commit(txn);
    r->commit_ns += hb_now_ns() - t;
    if (rc)
        return fail(r, "mdb_txn_commit", mdb_strerror(rc));
    r->next_seq = seq;
    r->commits++;
    return 0;
}

static void pack_reply(ref *r, const ref_msg *m)
{
    static const char *names[] = {"rejected", "stored", "duplicate", "rejected"};
    msgpack_packer *pk = &r->pk;
    const char *status = names[m->status];
    msgpack_sbuffer_clear(&r->sb);
    msgpack_pack_map(pk, 3);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "id", 2);
    msgpack_pack_str(pk, m->idlen);
    msgpack_pack_str_body(pk, m->id ? m->id : "", m->idlen);
    msgpack_pack_str(pk, 6);
    msgpack_pack_str_body(pk, "status", 6);
    msgpack_pack_str(pk, strlen(status));
    msgpack_pack_str_body(pk, status, strlen(status));
    if (m->status == ST_STORED || m->status == ST_DUPLICATE) {
        msgpack_pack_str(pk, 3);
        msgpack_pack_str_body(pk, "seq", 3);
        msgpack_pack_uint64(pk, m->seq);
    } else {
        msgpack_pack_str(pk, 5);
        msgpack_pack_str_body(pk, "error", 5);
        msgpack_pack_str(pk, strlen(m->error));
        msgpack_pack_str_body(pk, m->error, strlen(m->error));
    }
}

/* Sends m's reply without blocking (a peer that is gone or full loses it:
 * it will retry) and releases m's frames. */
static void reply_and_release(ref *r, ref_msg *m)
{
    bool ok = zmq_msg_size(&m->body) > 0 || m->status != ST_REJECTED || m->nprefix > 0;
    if (ok)
        pack_reply(r, m);
    for (unsigned i = 0; i < m->nprefix; i++) {
        if (ok && zmq_msg_send(&m->prefix[i], r->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
            continue; /* zmq owns the frame now */
        ok = false;
        zmq_msg_close(&m->prefix[i]);
    }
    if (ok && zmq_send(r->sock, r->sb.data, r->sb.size, ZMQ_DONTWAIT) < 0)
        ok = false;
    if (!ok)
        r->dropped++;
    zmq_msg_close(&m->body);
}

static void count_batch(ref *r)
{
    for (unsigned i = 0; i < r->n; i++) {
        int s = r->batch[i].status;
        r->stored += s == ST_STORED;
        r->duplicate += s == ST_DUPLICATE;
        r->rejected += s == ST_REJECTED;
    }
    r->messages += r->n;
    if (r->n > r->batch_max)
        r->batch_max = r->n;
}

/* Takes every ready message (up to the bound), applies them in one commit,
 * then replies.  Returns 0, or -1 on a fatal error (nothing acknowledged). */
static int one_batch(ref *r)
{
    int rc = 0;
    r->n = 0;
    msgpack_zone_clear(&r->zone);
    while (r->n < r->o->max_batch && (rc = recv_message(r, &r->batch[r->n])) == 1)
        decode_message(r, &r->batch[r->n++]);
    if (rc < 0 || r->n == 0) {
        for (unsigned i = 0; i < r->n; i++)
            zmq_msg_close(&r->batch[i].body);
        return rc < 0 ? -1 : 0;
    }
    if (!r->first_ns)
        r->first_ns = hb_now_ns();
    if (apply_batch(r))
        return -1; /* exit: the frames go with the process */
    count_batch(r);
    for (unsigned i = 0; i < r->n; i++)
        reply_and_release(r, &r->batch[i]);
    r->last_ns = hb_now_ns();
    return 0;
}

/* ---- the loop and the report ---- */

static void report(const ref *r)
{
    double active = r->last_ns > r->first_ns ? (double)(r->last_ns - r->first_ns) / 1e9 : 0;
    double mean = r->commits ? (double)r->messages / (double)r->commits : 0;
    double commit_ms = r->commits ? (double)r->commit_ns / 1e6 / (double)r->commits : 0;
    double share = active > 0 ? (double)r->commit_ns / 1e9 / active : 0;
    fprintf(stderr,
            "reference: %" PRIu64 " events (stored %" PRIu64 ", duplicate %" PRIu64
            ", rejected %" PRIu64 ") in %" PRIu64 " commits: mean batch %.1f, max %" PRIu64
            "; commit %.3f ms mean, %.0f%% of %.3f s active; replies dropped %" PRIu64 "\n",
            r->messages, r->stored, r->duplicate, r->rejected, r->commits, mean, r->batch_max,
            commit_ms, 100 * share, active, r->dropped);
    printf("{\"mode\":\"reference\",\"events\":%" PRIu64 ",\"stored\":%" PRIu64
           ",\"duplicate\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"commits\":%" PRIu64
           ",\"batch_mean\":%.2f,\"batch_max\":%" PRIu64
           ",\"commit_ms_mean\":%.4f,\"commit_share\":%.4f,\"active_s\":%.6f,\"replies_dropped\":%" PRIu64
           "}\n",
           r->messages, r->stored, r->duplicate, r->rejected, r->commits, mean, r->batch_max,
           commit_ms, share, active, r->dropped);
    fflush(stdout);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: zmq_poll returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int run(ref *r)
{
    while (!g_stop && !(r->o->exit_after && r->stored >= r->o->exit_after)) {
        zmq_pollitem_t it = {r->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&it, 1, 250);
        if (rc < 0 && errno != EINTR)
            return fail(r, "zmq_poll", zmq_strerror(errno));
        if (rc > 0 && one_batch(r))
            return -1;
    }
    return 0;
}

int hb_reference_main(const hb_ref_opts *o)
{
    ref r;
    memset(&r, 0, sizeof r);
    r.o = o;
    install_signals();
    msgpack_zone_init(&r.zone, 64 * 1024);
    msgpack_sbuffer_init(&r.sb);
    msgpack_packer_init(&r.pk, &r.sb, msgpack_sbuffer_write);
    r.batch = calloc(o->max_batch, sizeof *r.batch);
    int rc = r.batch ? 0 : fail(&r, "calloc", "out of memory");
    if (rc == 0 && (rc = open_store(&r)) == 0 && (rc = open_socket(&r)) == 0) {
        fprintf(stderr, "reference: listening on %s, state %s, next seq %" PRIu64 "\n",
                o->endpoint, o->state, r.next_seq);
        rc = run(&r);
    }
    if (rc)
        fprintf(stderr, "reference: %s\n", r.err);
    else
        report(&r);
    if (r.sock)
        zmq_close(r.sock);
    if (r.zctx)
        zmq_ctx_term(r.zctx);
    if (r.env)
        mdb_env_close(r.env);
    msgpack_zone_destroy(&r.zone);
    msgpack_sbuffer_destroy(&r.sb);
    free(r.batch);
    return rc ? 1 : 0;
}
