/* ingest.c - group commit of events from the ingest ROUTER.
 *
 * One batch: receive every message that is ready (up to max_batch) without
 * blocking, decode and validate each (outside the transaction: it does not
 * depend on the state), then one write transaction applies them all, then
 * commit, and only after a successful commit the replies go out.  If the
 * map fills up (from a put or from commit), the transaction is gone: grow
 * the map and replay the whole batch.  Replies are sent with ZMQ_DONTWAIT
 * on a ROUTER_MANDATORY socket: a producer that never reads its replies
 * loses them (and retries) instead of stalling the daemon.
 */
#include "houqind.h"
#include "issue.h"

#include "log.h"
#include "mem.h"
#include "mp.h"
#include "outbox.h"
#include "timer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_PREFIX 4 /* routing frames kept for the reply (id, delimiter) */

typedef enum { R_PENDING, R_STORED, R_DUPLICATE, R_REJECTED } reply_status;

typedef struct item {
    zmq_msg_t prefix[MAX_PREFIX];
    int nprefix;
    zmq_msg_t body;
    bool has_body;
    int nbody;            /* body frames received (must be 1) */
    bool decoded;         /* decode and validation passed */
    const char *user_id;  /* the ZAP User-Id (the key's source), or NULL */
    hq_event ev;
    reply_status status;
    uint64_t seq;
    char error[512];      /* as long as an hq_err's message */
} item;

struct hq_batch {
    item *items;
    unsigned cap;
    unsigned n;
    msgpack_zone zone;
    msgpack_sbuffer sbuf;
};

/* A state written before the typed timeline (issue.h) is upgraded in
 * place, once, after a copy of it is kept beside it as
 * <state>.before-typed-timeline (an LMDB environment copy). */
static int hq_ingest_upgrade_timelines(hq_daemon *d)
{
    MDB_txn *txn;
    hq_err err = {0};
    bool typed = true;
    int rc = hq_store_begin(d->store, false, &txn, &err);
    if (rc == 0) {
        rc = hq_issue_timeline_typed(d->store, txn, &typed, &err);
        hq_store_abort(d->store, txn);
    }
    if (rc || typed) {
        if (rc)
            hq_log_err("timeline format not read: %s", err.msg);
        return rc;
    }
    char backup[4096];
    snprintf(backup, sizeof backup, "%s.before-typed-timeline", d->opts.state_dir);
    if (mkdir(backup, 0750) != 0 && errno != EEXIST) {
        hq_log_err("cannot create %s for the copy before the timeline upgrade: %s", backup, strerror(errno));
        return HQ_EIO;
    }
    int mrc = mdb_env_copy2(hq_store_env(d->store), backup, MDB_CP_COMPACT);
    if (mrc != 0) {
        hq_log_err("cannot copy the state to %s before the timeline upgrade: %s", backup, mdb_strerror(mrc));
        return HQ_EIO;
    }
    size_t scanned = 0, broken = 0;
    rc = hq_store_begin(d->store, true, &txn, &err);
    if (rc == 0)
        rc = hq_store_end(d->store, txn, hq_issue_timeline_upgrade(d->store, txn, &scanned, &broken, &err), &err);
    if (rc) {
        hq_log_err("timelines not upgraded: %s (the state is unchanged; a copy is in %s)", err.msg, backup);
        return rc;
    }
    hq_log_notice("typed the timelines of %zu issues (once, for a state of the earlier format; a copy of it is in "
                  "%s)%s",
                  scanned, backup, broken ? "; some chains did not verify before the upgrade (houqinctl verify)" : "");
    return 0;
}

int hq_ingest_init(hq_daemon *d)
{
    hq_batch *b = hq_calloc(1, sizeof *b);
    b->cap = d->opts.max_batch;
    b->items = hq_calloc(b->cap, sizeof *b->items);
    msgpack_zone_init(&b->zone, 64 * 1024);
    msgpack_sbuffer_init(&b->sbuf);
    d->batch = b;
    /* A state from before the audit indexes gets them now, once. */
    MDB_txn *txn;
    hq_err err = {0};
    size_t scanned = 0;
    int rc = hq_store_begin(d->store, true, &txn, &err);
    if (rc == 0)
        rc = hq_store_end(d->store, txn, hq_issue_index_upgrade(d->store, txn, &scanned, &err), &err);
    if (rc) {
        hq_log_err("issue indexes not upgraded: %s", err.msg);
        return rc;
    }
    if (scanned)
        hq_log_notice("built the audit indexes over %zu issues (once, for an older state)", scanned);
    /* When it last ran: timers due between then and now were missed. */
    if ((rc = hq_store_begin(d->store, false, &txn, &err)) == 0) {
        int64_t alive = 0;
        hq_store_alive_get(d->store, txn, &alive);
        hq_store_abort(d->store, txn);
        hq_engine_set_alive(d->engine, alive);
    }
    return hq_ingest_upgrade_timelines(d);
}

void hq_ingest_fini(hq_daemon *d)
{
    hq_batch *b = d->batch;
    if (!b)
        return;
    msgpack_zone_destroy(&b->zone);
    msgpack_sbuffer_destroy(&b->sbuf);
    free(b->items);
    free(b);
    d->batch = NULL;
}

static void item_release(item *it)
{
    for (int i = 0; i < it->nprefix; i++)
        zmq_msg_close(&it->prefix[i]);
    if (it->has_body)
        zmq_msg_close(&it->body);
    it->nprefix = 0;
    it->has_body = false;
}

/* Receives one whole multipart message into it.  Returns 1 when a message
 * was read, 0 when none was ready, -1 on a socket error. */
static int recv_one(void *sock, item *it)
{
    memset(it, 0, sizeof *it);
    bool first = true, in_body = false;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, first ? ZMQ_DONTWAIT : 0) < 0) {
            int e = errno;
            zmq_msg_close(&m);
            if (first && e == EAGAIN)
                return 0;
            return -1;
        }
        bool more = zmq_msg_more(&m);
        if (first) {
            it->prefix[it->nprefix++] = m; /* the routing id */
            first = false;
        } else if (!in_body && zmq_msg_size(&m) == 0 && more && it->nprefix < MAX_PREFIX) {
            it->prefix[it->nprefix++] = m; /* REQ's empty delimiter */
            in_body = true;
        } else {
            in_body = true;
            it->nbody++;
            if (!it->has_body) {
                it->body = m;
                it->has_body = true;
                it->user_id = zmq_msg_gets(&it->body, "User-Id");
            } else {
                zmq_msg_close(&m); /* extra frames: counted and refused */
            }
        }
        if (!more)
            return 1;
    }
}

static void reject(item *it, const char *msg)
{
    it->status = R_REJECTED;
    snprintf(it->error, sizeof it->error, "%s", msg);
}

/* Decodes and validates every item; independent of the state. */
static void decode_all(hq_daemon *d)
{
    hq_batch *b = d->batch;
    for (unsigned i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        it->status = R_PENDING;
        if (it->nbody != 1) {
            char msg[96];
            snprintf(msg, sizeof msg, "message has %d frames: send one msgpack map per message", it->nbody);
            reject(it, msg);
            continue;
        }
        hq_err err = {0};
        if (hq_event_decode(zmq_msg_data(&it->body), zmq_msg_size(&it->body), &d->opts.limits, d->schemas,
                            &b->zone, &it->ev, &err) != 0) {
            reject(it, err.msg);
            continue;
        }
        int action = hq_perm_action_of_type(it->ev.type, it->ev.type_len);
        const char *person = it->user_id && !strncmp(it->user_id, HQ_STAFF_USER_PREFIX, strlen(HQ_STAFF_USER_PREFIX))
                                 ? it->user_id + strlen(HQ_STAFF_USER_PREFIX)
                                 : NULL;
        if (d->allow && person) {
            /* A staff key: its events carry the person as source, and are actions. */
            char msg[300];
            if (it->ev.source_len != strlen(person) || memcmp(it->ev.source, person, it->ev.source_len)) {
                snprintf(msg, sizeof msg, "source: \"%.*s\" is not the person this staff key is bound to (\"%s\")",
                         (int)(it->ev.source_len > 64 ? 64 : it->ev.source_len), it->ev.source, person);
                reject(it, msg);
                continue;
            }
            if (action < 0 || action == HQ_PA_FEEDBACK) {
                snprintf(msg, sizeof msg, "type: a staff key sends actions on issues (issue.*) and audit.pii_access, "
                         "not %.*s", (int)it->ev.type_len, it->ev.type);
                reject(it, msg);
                continue;
            }
        } else if (d->allow) {
            /* CURVE: the key decides the source and what it may send. */
            const hq_producer *p = it->user_id ? hq_allowlist_by_source(d->allow, it->user_id, strlen(it->user_id))
                                               : NULL;
            char msg[300];
            if (!p) {
                reject(it, "unauthorised: the connection has no producer key on the allow-list");
                continue;
            }
            if (it->ev.source_len != strlen(p->source) || memcmp(it->ev.source, p->source, it->ev.source_len)) {
                snprintf(msg, sizeof msg, "source: \"%.*s\" is not the source bound to this producer's key (\"%s\")",
                         (int)(it->ev.source_len > 64 ? 64 : it->ev.source_len), it->ev.source, p->source);
                reject(it, msg);
                continue;
            }
            if (!hq_producer_may_send(p, it->ev.type, it->ev.type_len)) {
                snprintf(msg, sizeof msg, "type: source \"%s\" may not send %.*s events", p->source,
                         (int)it->ev.type_len, it->ev.type);
                reject(it, msg);
                continue;
            }
        }
        if (action >= 0) {
            /* Who acts: the transport's part (actor.c); the engine decides the rest. */
            hq_perm_reason why = hq_actor_check(d, it->user_id, &it->ev, (hq_perm_action)action, it->error,
                                                sizeof it->error);
            if (why != HQ_PERM_OK) {
                it->status = R_REJECTED;
                hq_refusal_note(d, why, &it->ev, it->error);
                continue;
            }
        }
        if (!hq_ratelimit_take(d->rate, it->ev.source, it->ev.source_len, hq_mono_ms())) {
            reject(it, "rate limited: this source sends faster than its limit; retry later");
            continue;
        }
        it->decoded = true;
    }
}

#define TIMERS_PER_TXN 1000

/* Fires the timers due by now_ms, within what is left of the batch's
 * budget: the timers that came due before an event fire before it. */
static int fire_due_now(hq_daemon *d, MDB_txn *txn, int64_t now_ms, size_t *budget, size_t *fired, hq_effects *fx,
                        hq_err *err)
{
    int64_t due;
    int rc = hq_timer_next_due(d->store, txn, &due, err);
    if (rc == HQ_ENOTFOUND || (rc == 0 && due > now_ms) || *budget == 0)
        return 0;
    if (rc)
        return rc;
    size_t n = 0;
    rc = hq_engine_fire_due(d->engine, d->store, txn, now_ms, *budget, &n, fx, err);
    *budget -= n < *budget ? n : *budget;
    *fired += n;
    return rc;
}

/* Applies the decoded items to txn.  Every timer due by now fires before
 * the next event, as in the simulator (sim.h) and in any batching: an old
 * event whose sustained condition is already due opens its issue before
 * the next event of the batch is applied, so that what houqind stores
 * does not depend on how the events happened to be batched, and a
 * backtest reproduces it.  Returns 0 or an HQ_E* code that ends the
 * transaction (HQ_EFULL: grow and replay). */
static int apply_all(hq_daemon *d, MDB_txn *txn, int64_t now_ms, size_t *budget, size_t *fired, hq_effects *fx,
                     hq_err *err)
{
    hq_batch *b = d->batch;
    for (unsigned i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        if (!it->decoded)
            continue;
        int frc = fire_due_now(d, txn, now_ms, budget, fired, fx, err);
        if (frc)
            return frc;
        hq_dedup dd;
        uint64_t seq = 0, next;
        hq_frame fr = hq_event_frame(&it->ev);
        int rc = hq_store_peek_seq(d->store, txn, HQ_DB_EVENTS, &next, err);
        if (rc == 0)
            rc = hq_store_dedup_claim(d->store, txn, &fr, next, &dd, &seq, err);
        if (rc)
            return rc;
        if (dd == HQ_DEDUP_SAME) {
            it->status = R_DUPLICATE;
            it->seq = seq;
            continue;
        }
        if (dd == HQ_DEDUP_CONFLICT) {
            it->status = R_REJECTED;
            snprintf(it->error, sizeof it->error,
                     "id reused with different content (the first event with this id is seq %llu)",
                     (unsigned long long)seq);
            continue;
        }
        hq_err eerr = {0};
        rc = hq_engine_event(d->engine, d->store, txn, &it->ev, next, now_ms, fx, &eerr);
        if (hq_engine_refused(rc)) {
            /* A lifecycle event that does not fit, or an actor who may
             * not: the engine wrote nothing; give the id back so that a
             * corrected retry works. */
            it->status = R_REJECTED;
            snprintf(it->error, sizeof it->error, "%s", eerr.msg);
            if (rc == HQ_EPERM)
                hq_refusal_note(d, hq_engine_refusal(d->engine), &it->ev, it->error);
            if ((rc = hq_store_dedup_release(d->store, txn, &fr, err)))
                return rc;
            continue;
        }
        if (rc) {
            *err = eerr;
            return rc;
        }
        seq = next;
        rc = hq_store_event_put(d->store, txn, &fr, now_ms, seq, err);
        if (rc)
            return rc;
        it->status = R_STORED;
        it->seq = seq;
    }
    return 0;
}

static void send_reply(hq_daemon *d, item *it)
{
    hq_batch *b = d->batch;
    msgpack_sbuffer_clear(&b->sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b->sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    hq_mp_pack_strn(&pk, "id", 2);
    if (it->ev.id)
        hq_mp_pack_strn(&pk, it->ev.id, it->ev.id_len);
    else
        msgpack_pack_nil(&pk);
    hq_mp_pack_strn(&pk, "status", 6);
    switch (it->status) {
    case R_STORED: hq_mp_pack_strn(&pk, "stored", 6); break;
    case R_DUPLICATE: hq_mp_pack_strn(&pk, "duplicate", 9); break;
    default: hq_mp_pack_strn(&pk, "rejected", 8); break;
    }
    if (it->status == R_STORED || it->status == R_DUPLICATE) {
        hq_mp_pack_strn(&pk, "seq", 3);
        msgpack_pack_uint64(&pk, it->seq);
    } else {
        hq_mp_pack_strn(&pk, "error", 5);
        hq_mp_pack_strn(&pk, it->error, hq_utf8_whole(it->error, strlen(it->error)));
    }
    for (int i = 0; i < it->nprefix; i++) {
        if (zmq_msg_send(&it->prefix[i], d->ingest, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            d->n_replies_dropped++;
            return; /* gone or at its HWM: the producer will retry */
        }
    }
    if (zmq_send(d->ingest, b->sbuf.data, b->sbuf.size, ZMQ_DONTWAIT) < 0)
        d->n_replies_dropped++;
}

/* Persists the manual clock so that a restarted daemon resumes from it. */
static int save_clock(hq_daemon *d, MDB_txn *txn, hq_err *err)
{
    if (!d->clock.manual)
        return 0;
    return hq_store_clock_put(d->store, txn, d->clock.now_ms, err);
}

/* One write transaction: the received events (if any), then up to
 * max_timers due timers; commit; retry on a full map.  Returns 0, or the
 * error that ended it (the items are marked accordingly). */
static int run_txn(hq_daemon *d, size_t max_timers, hq_effects *fx, size_t *fired, hq_err *err)
{
    hq_batch *b = d->batch;
    int rc = 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        MDB_txn *txn = NULL;
        int64_t now_ms = hq_clock_now_ms(&d->clock);
        memset(fx, 0, sizeof *fx);
        *fired = 0;
        hq_store_maybe_grow(d->store, NULL);
        rc = hq_store_begin(d->store, true, &txn, err);
        if (rc == 0) {
            size_t budget = TIMERS_PER_TXN;
            rc = apply_all(d, txn, now_ms, &budget, fired, fx, err);
            if (rc == 0 && max_timers && budget) {
                size_t n = 0;
                rc = hq_engine_fire_due(d->engine, d->store, txn, now_ms, max_timers < budget ? max_timers : budget,
                                        &n, fx, err);
                *fired += n;
            }
            if (rc == 0)
                rc = save_clock(d, txn, err);
            if (rc == 0) /* the heartbeat: running at now_ms (engine.h) */
                rc = hq_store_alive_put(d->store, txn, now_ms, err);
            rc = hq_store_end(d->store, txn, rc, err);
        }
        if (rc != HQ_EFULL)
            break;
        /* Nothing of this batch is applied: grow and replay it whole. */
        for (unsigned i = 0; i < b->n; i++)
            if (b->items[i].decoded)
                b->items[i].status = R_PENDING;
        hq_err gerr;
        if (hq_store_grow(d->store, &gerr) != 0) {
            hq_log_err("cannot grow the map: %s", gerr.msg);
            break;
        }
        hq_log_notice("map full; grown, replaying a batch of %u events", b->n);
    }
    return rc;
}

int hq_ingest_save_clock_txn(hq_daemon *d, MDB_txn *txn, hq_err *err)
{
    return save_clock(d, txn, err);
}

int hq_ingest_save_clock(hq_daemon *d)
{
    if (!d->clock.manual)
        return 0;
    MDB_txn *txn;
    hq_err err = {0};
    int rc = hq_store_begin(d->store, true, &txn, &err);
    if (rc == 0)
        rc = hq_store_end(d->store, txn, save_clock(d, txn, &err), &err);
    if (rc)
        hq_log_err("the manual clock was not saved: %s", err.msg);
    return rc;
}

void hq_ingest_refresh_due(hq_daemon *d)
{
    MDB_txn *txn;
    d->next_due_ms = INT64_MAX;
    if (hq_store_begin(d->store, false, &txn, NULL) == 0) {
        int64_t due;
        if (hq_timer_next_due(d->store, txn, &due, NULL) == 0)
            d->next_due_ms = due;
        hq_store_abort(d->store, txn);
    }
}

static void after_commit(hq_daemon *d, const hq_effects *fx, size_t fired)
{
    d->n_timers += fired;
    d->n_opened += fx->issues_opened;
    if (fx->outbox_first)
        hq_publish_outbox(d, fx->outbox_first, fx->outbox_last);
    hq_ingest_refresh_due(d);
}

#define HORIZON_MS (14 * 86400000LL)

int hq_ingest_regenerate(hq_daemon *d)
{
    hq_err err = {0};
    size_t dropped = 0;
    MDB_txn *txn;
    int rc = hq_store_begin(d->store, true, &txn, &err);
    if (rc == 0) {
        rc = hq_engine_obligations_reset(d->store, txn, hq_clock_now_ms(&d->clock), &dropped, &err);
        rc = hq_store_end(d->store, txn, rc, &err);
    }
    if (rc) {
        hq_log_err("obligations not reset after reload: %s", err.msg);
        return rc;
    }
    if (dropped)
        hq_log_info("reload: %zu future obligations dropped, regenerating", dropped);
    return hq_ingest_generate(d);
}

int hq_ingest_generate(hq_daemon *d)
{
    hq_err err = {0};
    size_t created = 0;
    int rc = 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        MDB_txn *txn;
        hq_store_maybe_grow(d->store, NULL);
        if ((rc = hq_store_begin(d->store, true, &txn, &err)))
            break;
        hq_effects fx = {0};
        rc = hq_engine_generate(d->engine, d->store, txn, hq_clock_now_ms(&d->clock), HORIZON_MS, &created, &err);
        if (rc == 0) /* the first generation on a new state is where its history begins */
            rc = hq_store_origin_mark(d->store, txn, hq_clock_now_ms(&d->clock), &err);
        if (rc == 0 && d->opts.ledger_head_ms > 0)
            rc = hq_engine_ledger_head(d->store, txn, hq_clock_now_ms(&d->clock), d->opts.ledger_head_ms, &fx, &err);
        if (rc == 0) {
            rc = hq_store_commit(d->store, txn, &err);
            if (rc == 0 && fx.outbox_first)
                hq_publish_outbox(d, fx.outbox_first, fx.outbox_last);
        } else {
            hq_store_abort(d->store, txn);
        }
        if (rc != HQ_EFULL || hq_store_grow(d->store, NULL) != 0)
            break;
    }
    if (rc)
        hq_log_err("obligations not generated: %s", err.msg);
    else if (created)
        hq_log_info("generated %zu obligations (expected inspections and reports)", created);
    hq_ingest_refresh_due(d);
    return rc;
}

int hq_ingest_timers_step(hq_daemon *d, size_t *fired)
{
    *fired = 0;
    d->batch->n = 0;
    if (d->next_due_ms > hq_clock_now_ms(&d->clock))
        return 0;
    hq_effects fx;
    hq_err err = {0};
    int rc = run_txn(d, TIMERS_PER_TXN, &fx, fired, &err);
    if (rc) {
        hq_log_err("timers not applied: %s", err.msg);
        /* Try again in a second rather than spin on a full disk. */
        d->next_due_ms = hq_clock_now_ms(&d->clock) + 1000;
        return rc == HQ_EPANIC ? rc : -1;
    }
    after_commit(d, &fx, *fired);
    return 0;
}

int hq_ingest_timers(hq_daemon *d)
{
    for (;;) {
        size_t fired;
        int rc = hq_ingest_timers_step(d, &fired);
        if (rc)
            return rc == HQ_EPANIC ? rc : 0;
        if (fired == 0)
            return 0;
    }
}

int hq_ingest_batch(hq_daemon *d)
{
    hq_batch *b = d->batch;
    b->n = 0;
    msgpack_zone_clear(&b->zone);
    while (b->n < b->cap) {
        int rc = recv_one(d->ingest, &b->items[b->n]);
        if (rc <= 0)
            break;
        b->n++;
    }
    if (b->n == 0)
        return 0;
    decode_all(d);

    hq_err err = {0};
    hq_effects fx;
    size_t fired = 0;
    /* Timers due now ride along in the same transaction. */
    size_t max_timers = d->next_due_ms <= hq_clock_now_ms(&d->clock) ? TIMERS_PER_TXN : 0;
    int rc = run_txn(d, max_timers, &fx, &fired, &err);
    if (rc == HQ_EPANIC) {
        hq_log_err("storage failed, exiting without acknowledging the batch: %s", err.msg);
        for (unsigned i = 0; i < b->n; i++)
            item_release(&b->items[i]);
        return HQ_EPANIC;
    }
    if (rc) {
        /* Nothing was stored: say so instead of acknowledging. */
        if (!d->unavailable)
            hq_log_err("batch not stored: %s", err.msg);
        d->unavailable = true;
        for (unsigned i = 0; i < b->n; i++) {
            item *it = &b->items[i];
            if (it->decoded) {
                it->status = R_REJECTED;
                snprintf(it->error, sizeof it->error, "unavailable: %s; retry later", err.msg);
            }
        }
    } else if (d->unavailable) {
        hq_log_notice("storage works again");
        d->unavailable = false;
    }
    for (unsigned i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        switch (it->status) {
        case R_STORED: d->n_stored++; break;
        case R_DUPLICATE: d->n_duplicate++; break;
        default: d->n_rejected++; break;
        }
        send_reply(d, it);
        item_release(it);
    }
    d->n_batches++;
    if (rc == 0)
        after_commit(d, &fx, fired);
    return 0;
}

/* ---- publishing (SPEC §5): topic frame, then the record; heartbeats ---- */

void hq_publish_outbox(hq_daemon *d, uint64_t first, uint64_t last)
{
    MDB_txn *txn;
    if (hq_store_begin(d->store, false, &txn, NULL) != 0)
        return;
    for (uint64_t seq = first; seq <= last; seq++) {
        const char *rec;
        size_t len;
        if (hq_outbox_get(d->store, txn, seq, &rec, &len, NULL) != 0)
            continue;
        char topic[160];
        hq_outbox_topic(rec, len, topic, sizeof topic);
        zmq_send(d->publish, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(d->publish, rec, len, ZMQ_DONTWAIT);
    }
    hq_store_abort(d->store, txn);
    if (last > d->outbox_last)
        d->outbox_last = last;
}

void hq_publish_heartbeat(hq_daemon *d)
{
    /* "hugz" with the latest outbox seq: a subscriber that lost the last
     * alert can tell (the zguide's Clone pattern). */
    unsigned char buf[32];
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    hq_mp_pack_strn(&pk, "last_seq", 8);
    msgpack_pack_uint64(&pk, d->outbox_last);
    hq_mp_pack_strn(&pk, "clock_ms", 8);
    msgpack_pack_int64(&pk, hq_clock_now_ms(&d->clock));
    (void)buf;
    zmq_send(d->publish, "hugz", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(d->publish, sb.data, sb.size, ZMQ_DONTWAIT);
    msgpack_sbuffer_destroy(&sb);
}
