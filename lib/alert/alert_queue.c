/* alert_queue.c - houqin-alertd's LMDB environment and its key space.
 *
 * The key space (alertd's own environment, by default
 * /var/lib/houqin-alertd; integers big-endian so that byte order is
 * numeric order; "‖" is concatenation):
 *
 *   meta    "format"   -> decimal format version ("1")
 *           "cursor"   -> be64: every outbox record with seq <= cursor has
 *                         been routed: its deliveries are in queue, were
 *                         delivered, or are in dead
 *           "clock"    -> be64: the policy clock when last routed (ms; with
 *                         --clock follow, houqind's clock)
 *           "dead_id"  -> be64: the last dead-letter id handed out
 *   alerts  be64 seq   -> be32 refs ‖ the outbox record (msgpack, as houqind
 *                         wrote it): kept while refs pending deliveries
 *                         (a sealed digest counts once per alert it
 *                         carries) need it, deleted at 0
 *   queue   recipient ‖ 0x00 ‖ channel ‖ 0x00 ‖ be64 seq
 *                      -> msgpack map, one pending delivery:
 *                         {audience: "office"|"contractor"|"complainant",
 *                          urgent: bool, digest: bool, ready_ms: int,
 *                          next_ms: int, first_ms: int, tries: int,
 *                          error: str, members: [seq, ...],
 *                          issue: str, sev: int, note: str}
 *                         A lane is one (recipient, channel); its entries
 *                         sort by seq.  Delivery order is seq order among
 *                         the entries of one issue only (issue "" is one
 *                         group; entries written before issue and sev
 *                         existed read as issue "" and critical), so a
 *                         failing delivery holds back only later ones of
 *                         its own issue that are not more severe.  members
 *                         is non-empty for a sealed digest (keyed by its
 *                         first alert).
 *   watch   be64 seq ‖ person
 *                      -> msgpack map, a person not reached yet with alert
 *                         seq (policies.failover):
 *                         {due_ms, stage, audience, urgent, sev, issue,
 *                          tried}; holds one reference on the alert
 *   dead    be64 id    -> msgpack map, one dead letter:
 *                         {seq, alerts, recipient, channel, key, tries,
 *                          first_ms, dead_ms, error, kind, issue,
 *                          severity, title}
 *                         (never a complainant's contact: their recipient
 *                         is "complainant:<issue>")
 *
 * Times: ready_ms is on the policy clock (houqind's with --clock follow);
 * next_ms, first_ms and dead_ms are wall-clock ms.
 *
 * Readers (houqinctl deadletters) open with HQ_AQ_RDONLY and walk dead
 * with hq_alert_queue_each_dead().
 */
#include "alert_queue.h"

#include "buf.h"
#include "mem.h"
#include "mp.h"
#include "store.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DB_META, DB_ALERTS, DB_QUEUE, DB_DEAD, DB_WATCH, DB_COUNT };
static const char *const db_names[DB_COUNT] = {"meta", "alerts", "queue", "dead", "watch"};

struct hq_alert_queue {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    bool rdonly;
    bool no_watch;
    char *dir;
};

static int code(int rc, hq_err *err, const char *what)
{
    return hq_store_code(rc, err, what);
}

/* A record of the queue's databases: a map of nkeys packed into sb by pk
 * after rec_begin, then written under key (and sb freed) by rec_put. */
static void rec_begin(msgpack_sbuffer *sb, msgpack_packer *pk, uint32_t nkeys)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(pk, nkeys);
}

static int rec_put(hq_alert_queue *q, MDB_txn *txn, int db, const void *key, size_t kl, msgpack_sbuffer *sb,
                   const char *what, hq_err *err)
{
    MDB_val k = {kl, (void *)key}, v = {sb->size, sb->data};
    int rc = mdb_put(txn, q->dbi[db], &k, &v, 0);
    msgpack_sbuffer_destroy(sb);
    return code(rc, err, what);
}

/* ---- open, close, transactions ---- */

static int check_format(hq_alert_queue *q, MDB_txn *txn, hq_err *err)
{
    MDB_val k = {6, (void *)"format"}, v;
    int rc = mdb_get(txn, q->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND && !q->rdonly) {
        char ver[16];
        int n = snprintf(ver, sizeof ver, "%d", HQ_AQ_FORMAT);
        MDB_val nv = {(size_t)n, ver};
        return code(mdb_put(txn, q->dbi[DB_META], &k, &nv, 0), err, "write format record");
    }
    if (rc == MDB_NOTFOUND)
        return hq_err_set(err, HQ_EVERSION, "%s: not a houqin-alertd state (no format record)", q->dir);
    if (rc)
        return code(rc, err, "read format record");
    char ver[16] = "";
    memcpy(ver, v.mv_data, v.mv_size < sizeof ver - 1 ? v.mv_size : sizeof ver - 1);
    if (atoi(ver) != HQ_AQ_FORMAT)
        return hq_err_set(err, HQ_EVERSION, "%s: alertd state format %s is not supported (this build knows %d)",
                          q->dir, ver, HQ_AQ_FORMAT);
    return 0;
}

static int open_dbs(hq_alert_queue *q, hq_err *err)
{
    MDB_txn *txn;
    int rc = hq_store_env_begin(q->env, !q->rdonly, &txn, err);
    if (rc)
        return rc;
    for (int i = 0; i < DB_COUNT && rc == 0; i++) {
        rc = mdb_dbi_open(txn, db_names[i], q->rdonly ? 0 : MDB_CREATE, &q->dbi[i]);
        if (rc == MDB_NOTFOUND && i == DB_WATCH) {
            rc = 0; /* a state from before watches, read-only: none to read */
            q->no_watch = true;
            continue;
        }
        if (rc == MDB_NOTFOUND) {
            mdb_txn_abort(txn);
            return hq_err_set(err, HQ_EVERSION, "%s: not a houqin-alertd state (no \"%s\" database)", q->dir,
                              db_names[i]);
        }
    }
    int c = rc ? code(rc, err, "open databases") : check_format(q, txn, err);
    if (c) {
        mdb_txn_abort(txn);
        return c;
    }
    return code(mdb_txn_commit(txn), err, "commit");
}

int hq_alert_queue_open(const char *dir, unsigned flags, hq_alert_queue **out, hq_err *err)
{
    bool rdonly = flags & HQ_AQ_RDONLY;
    int rc = hq_store_dir_ready(dir, rdonly, err);
    if (rc)
        return rc;
    hq_alert_queue *q = hq_calloc(1, sizeof *q);
    q->dir = hq_strdup(dir);
    q->rdonly = rdonly;
    rc = hq_store_env_open(dir, rdonly, DB_COUNT + 2, 0, 256ULL << 20, "open alertd state", &q->env, err);
    if (rc == 0)
        rc = open_dbs(q, err);
    if (rc == 0) {
        *out = q;
        q = NULL;
    }
    hq_alert_queue_close(&q);
    return rc;
}

void hq_alert_queue_close(hq_alert_queue **qp)
{
    hq_alert_queue *q = qp ? *qp : NULL;
    if (!q)
        return;
    if (q->env)
        mdb_env_close(q->env);
    free(q->dir);
    free(q);
    *qp = NULL;
}

int hq_alert_queue_begin(hq_alert_queue *q, bool write, MDB_txn **txn, hq_err *err)
{
    return hq_store_env_begin(q->env, write, txn, err);
}

int hq_alert_queue_commit(hq_alert_queue *q, MDB_txn *txn, hq_err *err)
{
    (void)q;
    return code(mdb_txn_commit(txn), err, "commit");
}

void hq_alert_queue_abort(hq_alert_queue *q, MDB_txn *txn)
{
    (void)q;
    if (txn)
        mdb_txn_abort(txn);
}

int hq_alert_queue_end(hq_alert_queue *q, MDB_txn *txn, int rc, hq_err *err)
{
    if (rc == 0)
        return hq_alert_queue_commit(q, txn, err);
    hq_alert_queue_abort(q, txn);
    return rc;
}

int hq_alert_queue_grow(hq_alert_queue *q, hq_err *err)
{
    return hq_store_env_grow(q->env, err);
}

/* ---- meta ---- */

int hq_alert_queue_meta_get(hq_alert_queue *q, MDB_txn *txn, const char *name, uint64_t *v, hq_err *err)
{
    MDB_val k = {strlen(name), (void *)name}, val;
    int rc = mdb_get(txn, q->dbi[DB_META], &k, &val);
    *v = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return code(rc, err, name);
    if (val.mv_size != 8)
        return hq_err_set(err, HQ_ESTORE, "meta %s: %zu bytes, expected 8", name, val.mv_size);
    *v = hq_be64_get(val.mv_data);
    return 0;
}

int hq_alert_queue_meta_put(hq_alert_queue *q, MDB_txn *txn, const char *name, uint64_t v, hq_err *err)
{
    unsigned char b[8];
    hq_be64_put(b, v);
    MDB_val k = {strlen(name), (void *)name}, val = {8, b};
    return code(mdb_put(txn, q->dbi[DB_META], &k, &val, 0), err, name);
}

/* ---- alerts ---- */

int hq_alert_queue_alert_put(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char *rec, size_t len,
                             uint32_t refs, hq_err *err)
{
    unsigned char kb[8];
    hq_be64_put(kb, seq);
    MDB_val k = {8, kb}, v = {len + 4, NULL};
    int rc = mdb_put(txn, q->dbi[DB_ALERTS], &k, &v, MDB_RESERVE);
    if (rc)
        return code(rc, err, "store alert");
    hq_be32_put(v.mv_data, refs);
    memcpy((char *)v.mv_data + 4, rec, len);
    return 0;
}

int hq_alert_queue_alert_get(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char **rec, size_t *len,
                             hq_err *err)
{
    unsigned char kb[8];
    hq_be64_put(kb, seq);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(txn, q->dbi[DB_ALERTS], &k, &v);
    if (rc)
        return code(rc, err, "alert");
    if (v.mv_size < 4)
        return hq_err_set(err, HQ_ESTORE, "alert %llu: truncated record", (unsigned long long)seq);
    *rec = (const char *)v.mv_data + 4;
    *len = v.mv_size - 4;
    return 0;
}

static int alert_unref(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, hq_err *err)
{
    unsigned char kb[8];
    hq_be64_put(kb, seq);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(txn, q->dbi[DB_ALERTS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0; /* nothing to release */
    if (rc || v.mv_size < 4)
        return rc ? code(rc, err, "alert") : hq_err_set(err, HQ_ESTORE, "alert: truncated record");
    uint32_t refs = hq_be32_get(v.mv_data);
    if (refs <= 1)
        return code(mdb_del(txn, q->dbi[DB_ALERTS], &k, NULL), err, "release alert");
    /* Rewrite in place: a put with the same size. */
    char *copy = hq_malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    hq_be32_put((unsigned char *)copy, refs - 1);
    MDB_val nv = {v.mv_size, copy};
    rc = mdb_put(txn, q->dbi[DB_ALERTS], &k, &nv, 0);
    free(copy);
    return code(rc, err, "release alert");
}

int hq_alert_queue_alert_ref(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char *rec, size_t len, uint32_t n,
                             hq_err *err)
{
    unsigned char kb[8];
    hq_be64_put(kb, seq);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(txn, q->dbi[DB_ALERTS], &k, &v);
    if (rc == MDB_NOTFOUND) {
        if (!rec)
            return hq_err_set(err, HQ_ESTORE, "alert %llu is not stored", (unsigned long long)seq);
        return hq_alert_queue_alert_put(q, txn, seq, rec, len, n, err);
    }
    if (rc || v.mv_size < 4)
        return rc ? code(rc, err, "alert") : hq_err_set(err, HQ_ESTORE, "alert: truncated record");
    char *copy = hq_malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    hq_be32_put((unsigned char *)copy, hq_be32_get(v.mv_data) + n);
    MDB_val nv = {v.mv_size, copy};
    rc = mdb_put(txn, q->dbi[DB_ALERTS], &k, &nv, 0);
    free(copy);
    return code(rc, err, "reference alert");
}

/* ---- deliveries ---- */

/* recipient 0x00 channel 0x00 be64 seq; returns the length. */
static size_t lane_key(unsigned char *out, size_t size, const char *recipient, const char *channel, uint64_t seq)
{
    size_t r = strlen(recipient), c = strlen(channel);
    if (r + c + 10 > size)
        return 0;
    memcpy(out, recipient, r + 1);
    memcpy(out + r + 1, channel, c + 1);
    hq_be64_put(out + r + c + 2, seq);
    return r + c + 10;
}

static bool split_key(const MDB_val *k, hq_delivery *d)
{
    const char *p = k->mv_data;
    size_t n = k->mv_size;
    if (n < 12)
        return false;
    size_t r = strnlen(p, n - 8);
    if (r >= n - 8 || r >= sizeof d->recipient)
        return false;
    size_t c = strnlen(p + r + 1, n - 8 - r - 1);
    if (r + 1 + c + 1 + 8 != n || c >= sizeof d->channel)
        return false;
    memcpy(d->recipient, p, r + 1);
    memcpy(d->channel, p + r + 1, c + 1);
    d->seq = hq_be64_get((const unsigned char *)p + r + c + 2);
    return true;
}

static void copy_str(const msgpack_object *map, const char *key, char *out, size_t size)
{
    const msgpack_object *o = hq_mp_map_get(map, key);
    out[0] = '\0';
    if (o && o->type == MSGPACK_OBJECT_STR) {
        size_t n = hq_utf8_prefix(o->via.str.ptr, o->via.str.size, size - 1);
        memcpy(out, o->via.str.ptr, n);
        out[n] = '\0';
    }
}

static int64_t get_int(const msgpack_object *map, const char *key)
{
    int64_t v = 0;
    hq_mp_int64(hq_mp_map_get(map, key), &v);
    return v;
}

static bool get_bool(const msgpack_object *map, const char *key)
{
    const msgpack_object *o = hq_mp_map_get(map, key);
    return o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

/* The record's audience; the office when it names none known. */
static hq_audience get_audience(const msgpack_object *map)
{
    char aud[16];
    hq_audience a;
    copy_str(map, "audience", aud, sizeof aud);
    return hq_audience_parse(aud, &a) == 0 ? a : HQ_AUD_OFFICE;
}

/* Unpacks a record of the queue's databases into o, from zone (which the
 * caller destroys): 0, or an error (not_map when it is not a map). */
static int rec_decode(const MDB_val *v, msgpack_zone *zone, msgpack_object *o, const char *not_map, hq_err *err)
{
    msgpack_zone_init(zone, 1024);
    int rc = hq_mp_decode(v->mv_data, v->mv_size, &hq_mp_default_limits, zone, o, err);
    if (rc == 0 && o->type != MSGPACK_OBJECT_MAP)
        rc = hq_err_set(err, HQ_ESTORE, "%s", not_map);
    return rc;
}

static int decode_delivery(const MDB_val *k, const MDB_val *v, hq_delivery *d, hq_err *err)
{
    memset(d, 0, sizeof *d);
    if (!split_key(k, d))
        return hq_err_set(err, HQ_ESTORE, "queue: malformed key of %zu bytes", k->mv_size);
    msgpack_zone zone;
    msgpack_object o;
    int rc = rec_decode(v, &zone, &o, "queue: entry is not a map", err);
    if (rc == 0) {
        d->audience = get_audience(&o);
        d->urgent = get_bool(&o, "urgent");
        d->digest = get_bool(&o, "digest");
        d->ready_ms = get_int(&o, "ready_ms");
        d->next_ms = get_int(&o, "next_ms");
        d->first_ms = get_int(&o, "first_ms");
        d->tries = (uint32_t)get_int(&o, "tries");
        copy_str(&o, "error", d->error, sizeof d->error);
        copy_str(&o, "issue", d->issue, sizeof d->issue);
        copy_str(&o, "note", d->note, sizeof d->note);
        d->sev = hq_mp_map_get(&o, "sev") ? (uint8_t)get_int(&o, "sev") : (uint8_t)HQ_SEV_CRITICAL;
        const msgpack_object *m = hq_mp_map_get(&o, "members");
        for (uint32_t i = 0; m && m->type == MSGPACK_OBJECT_ARRAY && i < m->via.array.size && i < HQ_DIGEST_MAX;
             i++)
            if (m->via.array.ptr[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                d->members[d->nmembers++] = m->via.array.ptr[i].via.u64;
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

int hq_alert_queue_put(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *d, hq_err *err)
{
    unsigned char kb[256];
    size_t kl = lane_key(kb, sizeof kb, d->recipient, d->channel, d->seq);
    if (!kl)
        return hq_err_set(err, HQ_EINVAL, "queue: recipient and channel too long");
    msgpack_sbuffer sb;
    msgpack_packer pk;
    rec_begin(&sb, &pk, 12);
    hq_mp_pack_kv(&pk, "note", d->note);
    hq_mp_pack_kv(&pk, "issue", d->issue);
    hq_mp_pack_ki64(&pk, "sev", d->sev);
    hq_mp_pack_kv(&pk, "audience", hq_audience_name(d->audience));
    hq_mp_pack_kbool(&pk, "urgent", d->urgent);
    hq_mp_pack_kbool(&pk, "digest", d->digest);
    hq_mp_pack_ki64(&pk, "ready_ms", d->ready_ms);
    hq_mp_pack_ki64(&pk, "next_ms", d->next_ms);
    hq_mp_pack_ki64(&pk, "first_ms", d->first_ms);
    hq_mp_pack_ki64(&pk, "tries", d->tries);
    hq_mp_pack_kv(&pk, "error", d->error);
    hq_mp_pack_str(&pk, "members");
    msgpack_pack_array(&pk, d->nmembers);
    for (size_t i = 0; i < d->nmembers; i++)
        msgpack_pack_uint64(&pk, d->members[i]);
    return rec_put(q, txn, DB_QUEUE, kb, kl, &sb, "queue delivery", err);
}

int hq_alert_queue_get(hq_alert_queue *q, MDB_txn *txn, const char *recipient, const char *channel, uint64_t seq,
                       hq_delivery *d, hq_err *err)
{
    unsigned char kb[256];
    size_t kl = lane_key(kb, sizeof kb, recipient, channel, seq);
    if (!kl)
        return hq_err_set(err, HQ_ENOTFOUND, "queue: no such delivery");
    MDB_val k = {kl, kb}, v;
    int rc = mdb_get(txn, q->dbi[DB_QUEUE], &k, &v);
    if (rc)
        return code(rc, err, "delivery");
    return decode_delivery(&k, &v, d, err);
}

static int queue_del(hq_alert_queue *q, MDB_txn *txn, const char *recipient, const char *channel, uint64_t seq,
                     hq_err *err)
{
    unsigned char kb[256];
    size_t kl = lane_key(kb, sizeof kb, recipient, channel, seq);
    MDB_val k = {kl, kb};
    int rc = kl ? mdb_del(txn, q->dbi[DB_QUEUE], &k, NULL) : MDB_NOTFOUND;
    return rc == MDB_NOTFOUND ? 0 : code(rc, err, "remove delivery");
}

int hq_alert_queue_lane_each(hq_alert_queue *q, MDB_txn *txn, const char *recipient, const char *channel,
                             int (*fn)(void *ctx, const hq_delivery *d), void *ctx, hq_err *err)
{
    unsigned char kb[256];
    size_t kl = lane_key(kb, sizeof kb, recipient, channel, 0);
    if (!kl)
        return 0;
    size_t prefix = kl - 8;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, q->dbi[DB_QUEUE], &c);
    if (rc)
        return code(rc, err, "cursor");
    MDB_val k = {kl, kb}, v;
    hq_delivery *d = hq_malloc(sizeof *d);
    int ret = d ? 0 : hq_err_set(err, HQ_ENOMEM, "out of memory");
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); ret == 0 && rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != kl || memcmp(k.mv_data, kb, prefix) != 0)
            break;
        if ((ret = decode_delivery(&k, &v, d, err)) != 0)
            break;
        if (fn(ctx, d))
            break;
    }
    if (ret == 0 && rc != 0 && rc != MDB_NOTFOUND)
        ret = code(rc, err, "lane");
    free(d);
    mdb_cursor_close(c);
    return ret;
}

int hq_alert_queue_each_lane(hq_alert_queue *q, MDB_txn *txn,
                             void (*fn)(void *ctx, const char *recipient, const char *channel), void *ctx,
                             hq_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, q->dbi[DB_QUEUE], &c);
    if (rc)
        return code(rc, err, "cursor");
    MDB_val k, v;
    hq_delivery d;
    unsigned char next[256];
    rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == 0) {
        if (!split_key(&k, &d)) {
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
            continue;
        }
        fn(ctx, d.recipient, d.channel);
        /* Jump past the lane: recipient 0x00 channel 0x01 sorts after all its entries. */
        size_t kl = lane_key(next, sizeof next, d.recipient, d.channel, 0) - 8;
        next[kl - 1] = 0x01;
        k.mv_data = next;
        k.mv_size = kl;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : code(rc, err, "lanes");
}

static int release(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *d, hq_err *err)
{
    int rc = 0;
    if (d->nmembers)
        for (size_t i = 0; rc == 0 && i < d->nmembers; i++)
            rc = alert_unref(q, txn, d->members[i], err);
    else
        rc = alert_unref(q, txn, d->seq, err);
    return rc;
}

int hq_alert_queue_complete(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *d, hq_err *err)
{
    int rc = queue_del(q, txn, d->recipient, d->channel, d->seq, err);
    return rc ? rc : release(q, txn, d, err);
}

/* ---- watches ---- */

static size_t watch_key(unsigned char *out, size_t size, uint64_t seq, const char *person)
{
    size_t n = strlen(person);
    if (n + 8 > size)
        return 0;
    hq_be64_put(out, seq);
    memcpy(out + 8, person, n);
    return n + 8;
}

int hq_alert_queue_watch_put(hq_alert_queue *q, MDB_txn *txn, const hq_watch *w, bool is_new, hq_err *err)
{
    unsigned char kb[160];
    size_t kl = watch_key(kb, sizeof kb, w->seq, w->person);
    if (!kl)
        return hq_err_set(err, HQ_EINVAL, "watch: person id too long");
    if (is_new) {
        int rc = hq_alert_queue_alert_ref(q, txn, w->seq, NULL, 0, 1, err);
        if (rc)
            return rc;
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    rec_begin(&sb, &pk, 7);
    hq_mp_pack_ki64(&pk, "due_ms", w->due_ms);
    hq_mp_pack_ki64(&pk, "stage", w->stage);
    hq_mp_pack_kv(&pk, "audience", hq_audience_name(w->audience));
    hq_mp_pack_kbool(&pk, "urgent", w->urgent);
    hq_mp_pack_ki64(&pk, "sev", w->sev);
    hq_mp_pack_kv(&pk, "issue", w->issue);
    hq_mp_pack_kv(&pk, "tried", w->tried);
    return rec_put(q, txn, DB_WATCH, kb, kl, &sb, "watch", err);
}

static int decode_watch(const MDB_val *k, const MDB_val *v, hq_watch *w, hq_err *err)
{
    memset(w, 0, sizeof *w);
    if (k->mv_size <= 8 || k->mv_size - 8 >= sizeof w->person)
        return hq_err_set(err, HQ_ESTORE, "watch: malformed key");
    w->seq = hq_be64_get(k->mv_data);
    memcpy(w->person, (const char *)k->mv_data + 8, k->mv_size - 8);
    msgpack_zone zone;
    msgpack_object o;
    int rc = rec_decode(v, &zone, &o, "watch: not a map", err);
    if (rc == 0) {
        w->due_ms = get_int(&o, "due_ms");
        w->stage = (uint32_t)get_int(&o, "stage");
        w->audience = get_audience(&o);
        w->urgent = get_bool(&o, "urgent");
        w->sev = (uint8_t)get_int(&o, "sev");
        copy_str(&o, "issue", w->issue, sizeof w->issue);
        copy_str(&o, "tried", w->tried, sizeof w->tried);
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

int hq_alert_queue_watch_get(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char *person, hq_watch *w,
                             bool *found, hq_err *err)
{
    *found = false;
    unsigned char kb[160];
    size_t kl = watch_key(kb, sizeof kb, seq, person);
    if (!kl || q->no_watch)
        return 0;
    MDB_val k = {kl, kb}, v;
    int rc = mdb_get(txn, q->dbi[DB_WATCH], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return code(rc, err, "watch");
    *found = true;
    return decode_watch(&k, &v, w, err);
}

int hq_alert_queue_watch_del(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char *person, bool *found,
                             hq_err *err)
{
    *found = false;
    unsigned char kb[160];
    size_t kl = watch_key(kb, sizeof kb, seq, person);
    if (!kl || q->no_watch)
        return 0;
    MDB_val k = {kl, kb};
    int rc = mdb_del(txn, q->dbi[DB_WATCH], &k, NULL);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return code(rc, err, "remove watch");
    *found = true;
    return alert_unref(q, txn, seq, err);
}

int hq_alert_queue_each_watch(hq_alert_queue *q, MDB_txn *txn, int (*fn)(void *ctx, const hq_watch *w), void *ctx,
                              hq_err *err)
{
    if (q->no_watch)
        return 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, q->dbi[DB_WATCH], &c);
    if (rc)
        return code(rc, err, "cursor");
    MDB_val k, v;
    hq_watch w;
    int ret = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if ((ret = decode_watch(&k, &v, &w, err)) != 0 || fn(ctx, &w))
            break;
    if (ret == 0 && rc != 0 && rc != MDB_NOTFOUND)
        ret = code(rc, err, "watches");
    mdb_cursor_close(c);
    return ret;
}

/* ---- dead letters ---- */

static int dead_put(hq_alert_queue *q, MDB_txn *txn, hq_dead_letter *dl, hq_err *err)
{
    uint64_t id;
    int rc = hq_alert_queue_meta_get(q, txn, "dead_id", &id, err);
    if (rc == 0)
        rc = hq_alert_queue_meta_put(q, txn, "dead_id", ++id, err);
    if (rc)
        return rc;
    dl->id = id;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    rec_begin(&sb, &pk, 13);
    hq_mp_pack_ki64(&pk, "seq", (int64_t)dl->seq);
    hq_mp_pack_ki64(&pk, "alerts", (int64_t)dl->nalerts);
    hq_mp_pack_kv(&pk, "recipient", dl->recipient);
    hq_mp_pack_kv(&pk, "channel", dl->channel);
    hq_mp_pack_kv(&pk, "key", dl->key);
    hq_mp_pack_ki64(&pk, "tries", dl->tries);
    hq_mp_pack_ki64(&pk, "first_ms", dl->first_ms);
    hq_mp_pack_ki64(&pk, "dead_ms", dl->dead_ms);
    hq_mp_pack_kv(&pk, "error", dl->error);
    hq_mp_pack_kv(&pk, "kind", dl->kind);
    hq_mp_pack_kv(&pk, "issue", dl->issue);
    hq_mp_pack_kv(&pk, "severity", dl->severity);
    hq_mp_pack_kv(&pk, "title", dl->title);
    unsigned char kb[8];
    hq_be64_put(kb, id);
    return rec_put(q, txn, DB_DEAD, kb, 8, &sb, "dead letter", err);
}

static void fill_from_alert(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, hq_dead_letter *dl)
{
    const char *rec = NULL;
    size_t len = 0;
    hq_alert_rec r;
    if (hq_alert_queue_alert_get(q, txn, seq, &rec, &len, NULL) != 0 || hq_alert_rec_decode(rec, len, &r, NULL) != 0)
        return;
    snprintf(dl->kind, sizeof dl->kind, "%s", r.kind);
    snprintf(dl->issue, sizeof dl->issue, "%s", r.issue);
    snprintf(dl->severity, sizeof dl->severity, "%s", r.severity);
    size_t n = hq_utf8_prefix(r.title, strlen(r.title), sizeof dl->title - 1);
    memcpy(dl->title, r.title, n);
    dl->title[n] = '\0';
    hq_alert_rec_fini(&r);
}

int hq_alert_queue_bury(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *d, const char *key, const char *why,
                        int64_t now_ms, hq_err *err)
{
    hq_dead_letter dl = {
        .seq = d->seq,
        .nalerts = d->nmembers ? d->nmembers : 1,
        .tries = d->tries,
        .first_ms = d->first_ms,
        .dead_ms = now_ms,
    };
    snprintf(dl.recipient, sizeof dl.recipient, "%s", d->recipient);
    snprintf(dl.channel, sizeof dl.channel, "%s", d->channel);
    snprintf(dl.key, sizeof dl.key, "%s", key ? key : "");
    size_t n = why ? hq_utf8_prefix(why, strlen(why), sizeof dl.error - 1) : 0;
    memcpy(dl.error, why ? why : "", n);
    dl.error[n] = '\0';
    fill_from_alert(q, txn, d->seq, &dl);
    int rc = dead_put(q, txn, &dl, err);
    if (rc == 0)
        rc = queue_del(q, txn, d->recipient, d->channel, d->seq, err);
    if (rc == 0)
        rc = release(q, txn, d, err);
    return rc;
}

int hq_alert_queue_seal_digest(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *const *members, size_t n,
                               hq_delivery *sealed, hq_err *err)
{
    if (n == 0 || n > HQ_DIGEST_MAX)
        return hq_err_set(err, HQ_EINVAL, "a digest carries 1 to %d alerts", HQ_DIGEST_MAX);
    *sealed = *members[0];
    sealed->digest = false;
    sealed->urgent = false;
    sealed->tries = 0;
    sealed->next_ms = 0;
    sealed->error[0] = '\0';
    sealed->issue[0] = '\0'; /* a digest spans issues: ordered with the lane's other issue-less ones */
    sealed->nmembers = n;
    for (size_t i = 0; i < n; i++) {
        const hq_delivery *m = members[i];
        if (!m->digest || strcmp(m->recipient, sealed->recipient) || strcmp(m->channel, sealed->channel))
            return hq_err_set(err, HQ_EINVAL, "digest member %llu is not waiting in this lane",
                              (unsigned long long)m->seq);
        sealed->members[i] = m->seq;
        if (m->ready_ms > sealed->ready_ms)
            sealed->ready_ms = m->ready_ms;
        if (m->first_ms < sealed->first_ms)
            sealed->first_ms = m->first_ms;
        int rc = queue_del(q, txn, m->recipient, m->channel, m->seq, err);
        if (rc)
            return rc;
    }
    return hq_alert_queue_put(q, txn, sealed, err);
}

static int decode_dead(const MDB_val *k, const MDB_val *v, hq_dead_letter *dl, hq_err *err)
{
    memset(dl, 0, sizeof *dl);
    if (k->mv_size != 8)
        return hq_err_set(err, HQ_ESTORE, "dead: malformed key");
    dl->id = hq_be64_get(k->mv_data);
    char not_map[48];
    snprintf(not_map, sizeof not_map, "dead letter %llu: not a map", (unsigned long long)dl->id);
    msgpack_zone zone;
    msgpack_object o;
    int rc = rec_decode(v, &zone, &o, not_map, err);
    if (rc == 0) {
        dl->seq = (uint64_t)get_int(&o, "seq");
        dl->nalerts = (size_t)get_int(&o, "alerts");
        copy_str(&o, "recipient", dl->recipient, sizeof dl->recipient);
        copy_str(&o, "channel", dl->channel, sizeof dl->channel);
        copy_str(&o, "key", dl->key, sizeof dl->key);
        dl->tries = (uint32_t)get_int(&o, "tries");
        dl->first_ms = get_int(&o, "first_ms");
        dl->dead_ms = get_int(&o, "dead_ms");
        copy_str(&o, "error", dl->error, sizeof dl->error);
        copy_str(&o, "kind", dl->kind, sizeof dl->kind);
        copy_str(&o, "issue", dl->issue, sizeof dl->issue);
        copy_str(&o, "severity", dl->severity, sizeof dl->severity);
        copy_str(&o, "title", dl->title, sizeof dl->title);
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

int hq_alert_queue_dead_add(hq_alert_queue *q, MDB_txn *txn, hq_dead_letter *dl, hq_err *err)
{
    return dead_put(q, txn, dl, err);
}

int hq_alert_queue_each_dead(hq_alert_queue *q, MDB_txn *txn, int (*fn)(void *ctx, const hq_dead_letter *dl),
                             void *ctx, hq_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, q->dbi[DB_DEAD], &c);
    if (rc)
        return code(rc, err, "cursor");
    MDB_val k, v;
    hq_dead_letter *dl = hq_malloc(sizeof *dl);
    int ret = dl ? 0 : hq_err_set(err, HQ_ENOMEM, "out of memory");
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); ret == 0 && rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if ((ret = decode_dead(&k, &v, dl, err)) != 0 || fn(ctx, dl))
            break;
    }
    if (ret == 0 && rc != 0 && rc != MDB_NOTFOUND)
        ret = code(rc, err, "dead letters");
    free(dl);
    mdb_cursor_close(c);
    return ret;
}

int hq_alert_queue_stats_get(hq_alert_queue *q, MDB_txn *txn, hq_alert_queue_stats *st, hq_err *err)
{
    memset(st, 0, sizeof *st);
    MDB_stat s;
    int rc = hq_alert_queue_meta_get(q, txn, "cursor", &st->cursor, err);
    if (rc)
        return rc;
    if ((rc = mdb_stat(txn, q->dbi[DB_QUEUE], &s)) != 0)
        return code(rc, err, "stat");
    st->pending = s.ms_entries;
    if ((rc = mdb_stat(txn, q->dbi[DB_DEAD], &s)) != 0)
        return code(rc, err, "stat");
    st->dead = s.ms_entries;
    if ((rc = mdb_stat(txn, q->dbi[DB_ALERTS], &s)) != 0)
        return code(rc, err, "stat");
    st->alerts = s.ms_entries;
    return 0;
}
