/* feed.c - following houqind's outbox: subscribe first, then replay.
 *
 * The zguide's Clone pattern (SPEC §5, reliability-hazards §2.4):
 *   1. connect the SUB socket (topics "alert." and "hugz") before asking
 *      for anything, so nothing published from then on is missed;
 *   2. ask the control socket for status (houqind's last outbox seq and
 *      clock), then for outbox.range (cursor, last] in chunks;
 *   3. a live record that is the next one is taken as is; one that leaves
 *      a gap, a heartbeat whose last_seq is ahead of us, or a message that
 *      does not decode, all lead to a replay of what is missing;
 *   4. records are routed into the queue and the cursor moves past them in
 *      one LMDB transaction: only a committed cursor is trusted.
 * Records houqind has pruned are answered as "pruned": they are skipped
 * with an error in the log, never silently.
 */
#include "alertd.h"

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "mp.h"
#include "zmsg.h"

#include <errno.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CTL_IDLE, CTL_STATUS, CTL_RANGE };
#define CTL_TIMEOUT_MS 5000
#define BATCH_MAX 2000
#define RANGE_MAX 10000

static const hq_mp_limits reply_limits = {.max_depth = 8, .max_objects = 1u << 23, .allow_bin_ext = false};

static void *ctl_socket(alertd *a)
{
    void *s = zmq_socket(a->zctx, ZMQ_DEALER);
    int zero = 0;
    int64_t maxmsg = 256LL << 20;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (zmq_connect(s, a->opts.control_ep) != 0) {
        hq_log_err("cannot connect to houqind's control socket %s: %s", a->opts.control_ep, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

int feed_open(alertd *a)
{
    a->sub = zmq_socket(a->zctx, ZMQ_SUB);
    int zero = 0, hwm = 200000;
    int64_t maxmsg = 16LL << 20;
    zmq_setsockopt(a->sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(a->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(a->sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(a->sub, ZMQ_SUBSCRIBE, "alert.", 6);
    zmq_setsockopt(a->sub, ZMQ_SUBSCRIBE, "hugz", 4);
    if (zmq_connect(a->sub, a->opts.subscribe_ep) != 0) {
        hq_log_err("cannot connect to houqind's publish socket %s: %s", a->opts.subscribe_ep, zmq_strerror(errno));
        return -1;
    }
    a->ctl.sock = ctl_socket(a);
    return a->ctl.sock ? 0 : -1;
}

void feed_close(alertd *a)
{
    if (a->sub)
        zmq_close(a->sub);
    if (a->ctl.sock)
        zmq_close(a->ctl.sock);
    a->sub = a->ctl.sock = NULL;
    for (size_t i = 0; i < a->nbatch; i++)
        free(a->batch[i].bytes);
    free(a->batch);
    a->batch = NULL;
    a->nbatch = a->capbatch = 0;
}

static uint64_t batch_end(const alertd *a)
{
    return a->nbatch ? a->batch[a->nbatch - 1].seq : a->cursor;
}

static void batch_add(alertd *a, uint64_t seq, const char *bytes, size_t len)
{
    if (a->nbatch == a->capbatch) {
        a->capbatch = a->capbatch ? a->capbatch * 2 : 256;
        a->batch = hq_realloc(a->batch, a->capbatch * sizeof *a->batch);
    }
    pending_rec *p = &a->batch[a->nbatch++];
    p->seq = seq;
    p->len = len;
    p->bytes = NULL;
    if (bytes) {
        p->bytes = hq_malloc(len ? len : 1);
        memcpy(p->bytes, bytes, len);
    }
}

static void note_last(alertd *a, uint64_t last)
{
    if (last > a->known_last)
        a->known_last = last;
}

static void note_clock(alertd *a, int64_t ms)
{
    if (ms > a->clock_ms)
        a->clock_ms = ms;
}

/* ---- the SUB socket ---- */

static void on_hugz(alertd *a, const char *buf, size_t len)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 256);
    msgpack_object o;
    hq_err err = {0};
    int64_t last = 0, clock = 0;
    if (hq_mp_decode(buf, len, &hq_mp_default_limits, &zone, &o, &err) == 0 && o.type == MSGPACK_OBJECT_MAP &&
        hq_mp_int64(hq_mp_map_get(&o, "last_seq"), &last) && last >= 0) {
        note_last(a, (uint64_t)last);
        if (hq_mp_int64(hq_mp_map_get(&o, "clock_ms"), &clock) && a->opts.follow_clock)
            note_clock(a, clock);
        if ((uint64_t)last < a->cursor && !a->warned_behind) {
            hq_log_warn("houqind's last outbox record is %" PRId64 " but alertd has routed up to %" PRIu64
                        ": is this a different or restored houqind state? New records below %" PRIu64
                        " will not be delivered",
                        last, a->cursor, a->cursor + 1);
            a->warned_behind = true;
        }
    } else {
        hq_log_warn("a heartbeat that does not decode: %s", err.msg[0] ? err.msg : "not a map with last_seq");
    }
    msgpack_zone_destroy(&zone);
}

static void on_live(alertd *a, const char *buf, size_t len)
{
    hq_alert_rec r;
    hq_err err = {0};
    if (hq_alert_rec_decode(buf, len, &r, &err) != 0) {
        /* We cannot tell which one it was: replay from the next one. */
        a->n_undecodable++;
        hq_log_warn("a published alert does not decode (%s); asking houqind for what follows %" PRIu64, err.msg,
                    batch_end(a));
        note_last(a, batch_end(a) + 1);
        return;
    }
    uint64_t seq = r.seq;
    if (a->opts.follow_clock)
        note_clock(a, r.ts_ms);
    hq_alert_rec_fini(&r);
    note_last(a, seq);
    if (seq == batch_end(a) + 1 && a->nbatch < BATCH_MAX)
        batch_add(a, seq, buf, len);
    else if (seq > batch_end(a) + 1)
        a->n_gaps++; /* the replay fills it (known_last is ahead now) */
}

void feed_on_sub(alertd *a)
{
    for (int n = 0; n < 5000; n++) {
        zmq_msg_t f[2];
        int nf, parts = hq_zmsg_recv(a->sub, f, 2, &nf);
        if (parts <= 0)
            return;
        if (parts == 2 && zmq_msg_size(&f[0]) == 4 && !memcmp(zmq_msg_data(&f[0]), "hugz", 4))
            on_hugz(a, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]));
        else if (parts == 2)
            on_live(a, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]));
        else {
            a->n_undecodable++;
            hq_log_warn("a published message of %d frame(s), expected 2; asking for what follows %" PRIu64,
                        parts, batch_end(a));
            note_last(a, batch_end(a) + 1);
        }
        hq_zmsg_close(f, nf);
    }
}

/* ---- the control socket ---- */

static void ctl_send(alertd *a, int what, uint64_t from, uint64_t to)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, what == CTL_RANGE ? 3 : 1);
    hq_mp_pack_kv(&pk, "cmd", what == CTL_RANGE ? "outbox.range" : "status");
    if (what == CTL_RANGE) {
        hq_mp_pack_ku64(&pk, "from", from);
        hq_mp_pack_ku64(&pk, "to", to);
    }
    if (zmq_send(a->ctl.sock, sb.data, sb.size, ZMQ_DONTWAIT) >= 0) {
        a->ctl.pending = what;
        a->ctl.sent_mono = hq_mono_ms();
        a->ctl.from = from;
    } else {
        a->ctl.retry_mono = hq_mono_ms() + 1000;
    }
    msgpack_sbuffer_destroy(&sb);
}

static void on_status(alertd *a, const msgpack_object *o)
{
    int64_t last = 0, clock = 0;
    if (hq_mp_int64(hq_mp_map_get(o, "outbox_last"), &last) && last > 0)
        note_last(a, (uint64_t)last);
    if (a->opts.follow_clock && hq_mp_int64(hq_mp_map_get(o, "clock_ms"), &clock))
        note_clock(a, clock);
}

static bool in_list(const msgpack_object *arr, uint64_t seq)
{
    for (uint32_t i = 0; arr && arr->type == MSGPACK_OBJECT_ARRAY && i < arr->via.array.size; i++)
        if (arr->via.array.ptr[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER && arr->via.array.ptr[i].via.u64 == seq)
            return true;
    return false;
}

static void on_range(alertd *a, const msgpack_object *o)
{
    const msgpack_object *recs = hq_mp_map_get(o, "records"), *pruned = hq_mp_map_get(o, "pruned");
    int64_t last = 0, to = 0;
    hq_mp_int64(hq_mp_map_get(o, "last_seq"), &last);
    hq_mp_int64(hq_mp_map_get(o, "to"), &to);
    if (last > 0)
        note_last(a, (uint64_t)last);
    if (!recs || recs->type != MSGPACK_OBJECT_ARRAY)
        return;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    uint32_t i = 0;
    /* Walk the asked range in order: a record, a pruned seq, or the end. */
    for (uint64_t seq = a->ctl.from; to > 0 && seq <= (uint64_t)to && a->nbatch < BATCH_MAX; seq++) {
        if (seq <= batch_end(a))
            continue; /* live records got here first */
        const msgpack_object *r = i < recs->via.array.size ? &recs->via.array.ptr[i] : NULL;
        const msgpack_object *rs = r && r->type == MSGPACK_OBJECT_MAP ? hq_mp_map_get(r, "seq") : NULL;
        while (r && rs && rs->type == MSGPACK_OBJECT_POSITIVE_INTEGER && rs->via.u64 < seq) {
            r = ++i < recs->via.array.size ? &recs->via.array.ptr[i] : NULL;
            rs = r && r->type == MSGPACK_OBJECT_MAP ? hq_mp_map_get(r, "seq") : NULL;
        }
        if (r && rs && rs->type == MSGPACK_OBJECT_POSITIVE_INTEGER && rs->via.u64 == seq) {
            msgpack_sbuffer_clear(&sb);
            msgpack_pack_object(&pk, *r);
            batch_add(a, seq, sb.data, sb.size);
            i++;
        } else if (in_list(pruned, seq)) {
            a->n_pruned++;
            hq_log_err("outbox record %" PRIu64 " was pruned by houqind before alertd saw it: its alert is lost "
                       "(raise houqind's outbox retention)",
                       seq);
            batch_add(a, seq, NULL, 0);
        } else {
            break; /* not written yet */
        }
    }
    msgpack_sbuffer_destroy(&sb);
}

void feed_on_ctl(alertd *a)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, a->ctl.sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        int what = a->ctl.pending;
        a->ctl.pending = CTL_IDLE;
        if (a->ctl.complained)
            hq_log_notice("houqind's control socket answers again");
        a->ctl.complained = false;
        msgpack_zone zone;
        msgpack_zone_init(&zone, 65536);
        msgpack_object o;
        hq_err err = {0};
        if (hq_mp_decode(zmq_msg_data(&m), zmq_msg_size(&m), &reply_limits, &zone, &o, &err) != 0 ||
            o.type != MSGPACK_OBJECT_MAP) {
            hq_log_warn("a control reply that does not decode: %s", err.msg);
            a->ctl.retry_mono = hq_mono_ms() + 1000;
        } else if (hq_mp_map_get(&o, "ok") && hq_mp_map_get(&o, "ok")->type == MSGPACK_OBJECT_BOOLEAN &&
                   hq_mp_map_get(&o, "ok")->via.boolean) {
            if (what == CTL_STATUS)
                on_status(a, &o);
            else if (what == CTL_RANGE) {
                size_t before = a->nbatch;
                on_range(a, &o);
                if (a->nbatch == before) /* nothing new yet: do not ask again at once */
                    a->ctl.retry_mono = hq_mono_ms() + 1000;
            }
        } else {
            const msgpack_object *e = hq_mp_map_get(&o, "error");
            hq_log_warn("houqind refused a %s request: %.*s", what == CTL_RANGE ? "outbox.range" : "status",
                        e && e->type == MSGPACK_OBJECT_STR ? (int)e->via.str.size : 7,
                        e && e->type == MSGPACK_OBJECT_STR ? e->via.str.ptr : "unknown");
            a->ctl.retry_mono = hq_mono_ms() + 1000;
        }
        msgpack_zone_destroy(&zone);
        zmq_msg_close(&m);
    }
}

void feed_tick(alertd *a)
{
    int64_t now = hq_mono_ms();
    if (a->ctl.pending && now - a->ctl.sent_mono > CTL_TIMEOUT_MS) {
        /* A fresh socket, so that a late reply is never taken for the
         * answer to the next request. */
        if (!a->ctl.complained)
            hq_log_notice("houqind's control socket %s does not answer; retrying", a->opts.control_ep);
        a->ctl.complained = true;
        zmq_close(a->ctl.sock);
        a->ctl.sock = ctl_socket(a);
        a->ctl.pending = CTL_IDLE;
        a->ctl.retry_mono = now + 1000;
    }
    if (a->ctl.pending || now < a->ctl.retry_mono || !a->ctl.sock || a->nbatch >= BATCH_MAX)
        return;
    if (!a->ctl.asked_status) {
        a->ctl.asked_status = true;
        ctl_send(a, CTL_STATUS, 0, 0);
    } else if (a->known_last > batch_end(a)) {
        uint64_t from = batch_end(a) + 1;
        a->n_replays++;
        hq_log_debug("asking houqind for outbox records %" PRIu64 "..%" PRIu64, from, a->known_last);
        ctl_send(a, CTL_RANGE, from, from + RANGE_MAX - 1);
    }
}

/* ---- routing into the queue ---- */

static void dead_from_route(const hq_alert_rec *r, const hq_route *rt, hq_dead_letter *dl)
{
    memset(dl, 0, sizeof *dl);
    dl->seq = r->seq;
    dl->nalerts = 1;
    dl->first_ms = dl->dead_ms = hq_wall_ms();
    snprintf(dl->recipient, sizeof dl->recipient, "%s", rt->recipient);
    snprintf(dl->channel, sizeof dl->channel, "%s", rt->channel);
    snprintf(dl->error, sizeof dl->error, "%s", rt->problem);
    snprintf(dl->kind, sizeof dl->kind, "%s", r->kind);
    snprintf(dl->issue, sizeof dl->issue, "%s", r->issue);
    snprintf(dl->severity, sizeof dl->severity, "%s", r->severity);
    size_t n = hq_utf8_prefix(r->title, strlen(r->title), sizeof dl->title - 1);
    memcpy(dl->title, r->title, n);
    dl->title[n] = '\0';
}

/* Routes one record inside txn.  *routes receives what was decided. */
static int route_one(alertd *a, MDB_txn *txn, const pending_rec *p, hq_routes *routes, hq_err *err)
{
    hq_alert_rec r;
    hq_err derr = {0};
    if (!p->bytes)
        return 0; /* pruned */
    if (hq_alert_rec_decode(p->bytes, p->len, &r, &derr) != 0 || r.seq != p->seq) {
        a->n_undecodable++;
        hq_log_err("outbox record %" PRIu64 " does not decode (%s); skipped", p->seq,
                   derr.msg[0] ? derr.msg : "its seq does not match");
        if (derr.code == 0)
            hq_alert_rec_fini(&r);
        return 0;
    }
    if (a->opts.follow_clock)
        note_clock(a, r.ts_ms);
    int64_t now = alertd_policy_now(a);
    hq_alert_route(a->rules, a->cfg, &r, now, routes);
    uint32_t refs = 0;
    for (size_t i = 0; i < routes->n; i++)
        refs += routes->v[i].problem ? 0 : 1;
    int rc = refs ? hq_alert_queue_alert_put(a->q, txn, p->seq, p->bytes, p->len, refs, err) : 0;
    for (size_t i = 0; rc == 0 && i < routes->n; i++) {
        const hq_route *rt = &routes->v[i];
        if (rt->problem) {
            hq_dead_letter dl;
            dead_from_route(&r, rt, &dl);
            rc = hq_alert_queue_dead_add(a->q, txn, &dl, err);
            continue;
        }
        hq_delivery d = {.seq = p->seq, .audience = rt->audience, .urgent = rt->urgent, .digest = rt->digest,
                         .ready_ms = rt->ready_ms, .first_ms = hq_wall_ms()};
        hq_severity sev = HQ_SEV_CRITICAL;
        hq_severity_parse(r.severity, &sev);
        d.sev = (uint8_t)sev;
        snprintf(d.issue, sizeof d.issue, "%s", r.issue);
        snprintf(d.recipient, sizeof d.recipient, "%s", rt->recipient);
        snprintf(d.channel, sizeof d.channel, "%s", rt->channel);
        rc = hq_alert_queue_put(a->q, txn, &d, err);
    }
    if (rc == 0)
        rc = failover_after_route_txn(a, txn, &r, p->bytes, p->len, routes, err);
    hq_alert_rec_fini(&r);
    return rc;
}

static void after_route(alertd *a, const pending_rec *p, const hq_routes *routes)
{
    for (size_t i = 0; i < routes->n; i++) {
        const hq_route *rt = &routes->v[i];
        if (rt->problem) {
            a->n_dead++;
            hq_log_warn("alert %" PRIu64 " for %s: %s; dead-lettered", p->seq, rt->recipient, rt->problem);
            continue;
        }
        lane *l = lane_get(a, rt->recipient, rt->channel, true);
        l->dirty = true;
    }
    a->n_routed++;
}

int feed_route_txn(alertd *a, MDB_txn *txn, hq_routes *all, hq_err *err)
{
    size_t n = a->nbatch;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        hq_routes_fini(&all[i]); /* a retried transaction starts afresh */
        rc = route_one(a, txn, &a->batch[i], &all[i], err);
    }
    if (rc == 0)
        rc = hq_alert_queue_meta_put(a->q, txn, "cursor", a->batch[n - 1].seq, err);
    if (rc == 0 && a->opts.follow_clock)
        rc = hq_alert_queue_meta_put(a->q, txn, "clock", (uint64_t)a->clock_ms, err);
    return rc;
}

void feed_after_commit(alertd *a, hq_routes *all, bool committed, const char *why)
{
    size_t n = a->nbatch;
    if (committed) {
        a->cursor = a->batch[n - 1].seq;
        for (size_t i = 0; i < n; i++)
            after_route(a, &a->batch[i], &all[i]);
    } else {
        /* The cursor stays where it was: the records are asked for again. */
        hq_log_err("routing outbox records %" PRIu64 "..%" PRIu64 ": %s", a->batch[0].seq, a->batch[n - 1].seq,
                   why);
    }
    for (size_t i = 0; i < n; i++) {
        hq_routes_fini(&all[i]);
        free(a->batch[i].bytes);
    }
    a->nbatch = 0;
}
