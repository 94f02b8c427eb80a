/* control.c - the control socket (a ROUTER; SPEC §8).
 *
 * Each request is one msgpack map with "cmd"; each reply one map with "ok"
 * and either results or "error".  Commands are a table of (name, handler).
 */
#include "houqind.h"

#include "log.h"
#include "mp.h"
#include "outbox.h"
#include "zmsg.h"

#include <stdint.h>

#include <msgpack.h>
#include <string.h>
#include <zmq.h>

#define DAY_MS 86400000LL
/* The clock stays inside years 1970..9999: far from int64 overflow in any
 * arithmetic on it, and every time in it can be printed. */
#define MAX_CLOCK_MS 253402300799999LL

typedef struct ctl_req {
    const msgpack_object *args;
    msgpack_packer *pk;
    msgpack_sbuffer *sb;
} ctl_req;

static void reply_error(ctl_req *r, const char *msg)
{
    msgpack_sbuffer_clear(r->sb);
    msgpack_pack_map(r->pk, 2);
    hq_mp_pack_kbool(r->pk, "ok", false);
    hq_mp_pack_kv(r->pk, "error", msg);
}

static int cmd_status(hq_daemon *d, ctl_req *r)
{
    MDB_txn *txn;
    hq_err err;
    hq_store_stats st;
    if (hq_store_begin(d->store, false, &txn, &err) != 0) {
        reply_error(r, err.msg);
        return 0;
    }
    int rc = hq_store_stats_get(d->store, txn, &st, &err);
    hq_store_abort(d->store, txn);
    if (rc) {
        reply_error(r, err.msg);
        return 0;
    }
    size_t open = 0, stuck = 0;
    char first_stuck[32] = "";
    if (hq_store_begin(d->store, false, &txn, &err) == 0) {
        hq_engine_audit(d->store, txn, &open, &stuck, first_stuck, sizeof first_stuck, &err);
        hq_store_abort(d->store, txn);
    }
    msgpack_pack_map(r->pk, 32);
    hq_mp_pack_str(r->pk, "retention");
    hq_retain_pack_status(d, r->pk);
    hq_mp_pack_ku64(r->pk, "rules", hq_rules_count(d->rules));
    /* The rule set in force and the last refused reload (issue 18 item 5):
     * a refused SIGHUP leaves the old rules running, and says so here. */
    hq_mp_pack_kv(r->pk, "rules_dir", d->opts.rules_dir);
    hq_mp_pack_ki64(r->pk, "rules_loaded_ms", d->rules_loaded_ms);
    hq_mp_pack_kbool(r->pk, "reload_refused", d->reload_refused_ms != 0);
    hq_mp_pack_str(r->pk, "reload_refused_ms");
    if (d->reload_refused_ms)
        msgpack_pack_int64(r->pk, d->reload_refused_ms);
    else
        msgpack_pack_nil(r->pk);
    hq_mp_pack_kv(r->pk, "reload_error", d->reload_refused_ms ? d->reload_error : NULL);
    hq_mp_pack_ku64(r->pk, "open_issues", open);
    hq_mp_pack_ku64(r->pk, "stuck_issues", stuck);
    hq_mp_pack_kv(r->pk, "first_stuck", first_stuck);
    hq_mp_pack_str(r->pk, "next_timer_ms");
    if (d->next_due_ms == INT64_MAX)
        msgpack_pack_nil(r->pk);
    else
        msgpack_pack_int64(r->pk, d->next_due_ms);
    hq_mp_pack_ku64(r->pk, "outbox_last", d->outbox_last);
    hq_mp_pack_ku64(r->pk, "timers_fired", d->n_timers);
    hq_mp_pack_kbool(r->pk, "ok", true);
    hq_mp_pack_kv(r->pk, "state", hq_store_dir(d->store));
    hq_mp_pack_kv(r->pk, "clock", d->clock.manual ? "manual" : "real");
    hq_mp_pack_ki64(r->pk, "clock_ms", hq_clock_now_ms(&d->clock));
    hq_mp_pack_ku64(r->pk, "events", st.entries[HQ_DB_EVENTS]);
    hq_mp_pack_ku64(r->pk, "last_seq", st.last_event_seq);
    hq_mp_pack_ku64(r->pk, "issues", st.entries[HQ_DB_ISSUES]);
    hq_mp_pack_ku64(r->pk, "timers", st.entries[HQ_DB_TIMERS]);
    hq_mp_pack_ku64(r->pk, "outbox", st.entries[HQ_DB_OUTBOX]);
    hq_mp_pack_ku64(r->pk, "schemas", hq_schemas_count(d->schemas));
    hq_mp_pack_ku64(r->pk, "stored", d->n_stored);
    hq_mp_pack_ku64(r->pk, "duplicate", d->n_duplicate);
    hq_mp_pack_ku64(r->pk, "rejected", d->n_rejected);
    hq_mp_pack_ku64(r->pk, "batches", d->n_batches);
    hq_mp_pack_ku64(r->pk, "map_size", st.map_size);
    hq_mp_pack_ku64(r->pk, "used_bytes", st.used_bytes);
    /* Who may do what (SPEC §6a): whether actions are checked, and the
     * refusals by reason and by source since the start. */
    hq_mp_pack_kv(r->pk, "permissions", hq_rules_perm(d->rules) ? "on" : "off");
    const hq_refusals *f = &d->refusals;
    hq_mp_pack_str(r->pk, "refusals");
    msgpack_pack_map(r->pk, HQ_PERM_REASON_COUNT - 1);
    for (int i = 1; i < HQ_PERM_REASON_COUNT; i++)
        hq_mp_pack_ku64(r->pk, hq_perm_reason_name((hq_perm_reason)i), f->by_reason[i]);
    hq_mp_pack_str(r->pk, "refusals_by_source");
    msgpack_pack_map(r->pk, f->nsources + (f->other_sources ? 1 : 0));
    for (size_t i = 0; i < f->nsources; i++)
        hq_mp_pack_ku64(r->pk, f->by_source[i].source, f->by_source[i].n);
    if (f->other_sources)
        hq_mp_pack_ku64(r->pk, "(other)", f->other_sources);
    return 0;
}

static int get_ms(ctl_req *r, int64_t *ms)
{
    const msgpack_object *o = hq_mp_map_get(r->args, "ms");
    if (!hq_mp_int64(o, ms)) {
        reply_error(r, "ms: expected an integer number of milliseconds");
        return -1;
    }
    return 0;
}

static void reply_clock(hq_daemon *d, ctl_req *r)
{
    msgpack_pack_map(r->pk, 2);
    hq_mp_pack_kbool(r->pk, "ok", true);
    hq_mp_pack_ki64(r->pk, "clock_ms", hq_clock_now_ms(&d->clock));
}

static int cmd_clock_set(hq_daemon *d, ctl_req *r)
{
    int64_t ms;
    char why[256];
    if (get_ms(r, &ms))
        return 0;
    if (!d->clock.manual)
        reply_error(r, "the clock is real; start houqind with --clock manual");
    else if (ms < 0 || ms > MAX_CLOCK_MS)
        reply_error(r, "ms must be a time between 1970 and 9999");
    else if (ms < d->clock.now_ms && hq_clock_reset(d, ms, why, sizeof why) != 0)
        reply_error(r, why);
    else if (ms >= d->clock.now_ms && hq_clock_move(d, ms) != 0)
        reply_error(r, "timers could not be applied; see the log");
    else
        reply_clock(d, r);
    return 0;
}

static int cmd_clock_advance(hq_daemon *d, ctl_req *r)
{
    int64_t ms;
    if (get_ms(r, &ms))
        return 0;
    if (!d->clock.manual)
        reply_error(r, "the clock is real; start houqind with --clock manual");
    else if (ms < 0 || ms > MAX_CLOCK_MS - d->clock.now_ms)
        reply_error(r, "ms must be positive and keep the clock before the year 10000");
    else if (hq_clock_move(d, d->clock.now_ms + ms) != 0)
        reply_error(r, "timers could not be applied; see the log");
    else
        reply_clock(d, r);
    return 0;
}

/* Fires every timer due at the clock's now, in bounded transactions. */
static int fire_now(hq_daemon *d)
{
    size_t fired;
    do {
        if (hq_ingest_timers_step(d, &fired) != 0)
            return -1;
    } while (fired > 0 && d->next_due_ms <= d->clock.now_ms);
    return 0;
}

int hq_clock_move(hq_daemon *d, int64_t ms)
{
    /* The same walk as the simulator's do_advance(), so that the daemon
     * and a rule test of the same events write the same issues, timelines
     * and outbox: generation first when it is due no later than the next
     * timer, then the timers of one due time, each stamped with it. */
    for (;;) {
        hq_ingest_refresh_due(d);
        int64_t due = d->next_due_ms;
        if (d->next_gen_ms <= ms && d->next_gen_ms <= due) {
            if (d->next_gen_ms > d->clock.now_ms && hq_clock_set(&d->clock, d->next_gen_ms) != 0)
                return -1;
            d->next_gen_ms += DAY_MS;
            if (hq_ingest_generate(d) != 0)
                return -1;
            continue;
        }
        if (due > ms)
            break;
        if (due > d->clock.now_ms && hq_clock_set(&d->clock, due) != 0)
            return -1;
        if (fire_now(d) != 0)
            return -1;
    }
    if (ms > d->clock.now_ms && hq_clock_set(&d->clock, ms) != 0)
        return -1;
    return hq_ingest_save_clock(d);
}

int hq_clock_reset(hq_daemon *d, int64_t ms, char *msg, size_t size)
{
    MDB_txn *txn = NULL;
    hq_err err = {0};
    hq_store_stats st;
    int rc = hq_store_begin(d->store, true, &txn, &err);
    if (rc == 0 && (rc = hq_store_stats_get(d->store, txn, &st, &err)) == 0 && st.entries[HQ_DB_EVENTS]) {
        snprintf(msg, size,
                 "the clock cannot go backwards on a state that holds events (%llu); start on a new state to "
                 "replay an earlier time",
                 (unsigned long long)st.entries[HQ_DB_EVENTS]);
        hq_store_abort(d->store, txn);
        return HQ_ESTATE;
    }
    size_t dropped = 0;
    if (rc == 0)
        rc = hq_engine_obligations_reset(d->store, txn, INT64_MIN, &dropped, &err);
    if (rc == 0) {
        hq_clock_init_manual(&d->clock, ms);
        rc = hq_ingest_save_clock_txn(d, txn, &err);
    }
    if (rc == 0) /* the history now begins here (a backtest starts its clock at it) */
        rc = hq_store_origin_put(d->store, txn, ms, &err);
    rc = hq_store_end(d->store, txn, rc, &err);
    if (rc) {
        snprintf(msg, size, "the clock was not set: %s", err.msg);
        return rc;
    }
    d->started_ms = ms;
    hq_engine_set_started(d->engine, ms);
    d->next_gen_ms = ms + DAY_MS;
    char when[32];
    hq_local_fmt(ms, when, sizeof when);
    hq_log_notice("manual clock set to %s on a state without events; expected events generated again%s", when,
                  st.entries[HQ_DB_ISSUES] ? " (the issues scheduled rules opened stay)" : "");
    return hq_ingest_generate(d) == 0 ? 0 : (snprintf(msg, size, "obligations not generated; see the log"), -1);
}

static int cmd_reload(hq_daemon *d, ctl_req *r)
{
    char msg[1024];
    if (hq_daemon_reload(d, msg, sizeof msg) != 0) {
        reply_error(r, msg);
        return 0;
    }
    msgpack_pack_map(r->pk, 3);
    hq_mp_pack_kbool(r->pk, "ok", true);
    hq_mp_pack_ku64(r->pk, "rules", hq_rules_count(d->rules));
    hq_mp_pack_kv(r->pk, "message", msg);
    return 0;
}

/* outbox.range {from, to}: the records with those sequence numbers, at
 * most 10,000 per request; "missing" lists the ones that do not exist (not
 * yet written, or pruned) so that a subscriber never skips silently. */
static int cmd_outbox_range(hq_daemon *d, ctl_req *r)
{
    int64_t from, to;
    if (!hq_mp_int64(hq_mp_map_get(r->args, "from"), &from) || !hq_mp_int64(hq_mp_map_get(r->args, "to"), &to) ||
        from < 1 || to < from) {
        reply_error(r, "outbox.range needs integers from >= 1 and to >= from");
        return 0;
    }
    if (to - from >= 10000)
        to = from + 9999;
    MDB_txn *txn;
    hq_err err;
    if (hq_store_begin(d->store, false, &txn, &err) != 0) {
        reply_error(r, err.msg);
        return 0;
    }
    uint64_t first_present = 0;
    size_t n = 0;
    for (int64_t q = from; q <= to; q++) {
        const char *rec;
        size_t len;
        if (hq_outbox_get(d->store, txn, (uint64_t)q, &rec, &len, NULL) == 0) {
            if (!first_present)
                first_present = (uint64_t)q;
            n++;
        }
    }
    msgpack_pack_map(r->pk, 5);
    hq_mp_pack_kbool(r->pk, "ok", true);
    hq_mp_pack_ku64(r->pk, "last_seq", d->outbox_last);
    hq_mp_pack_ki64(r->pk, "to", to);
    hq_mp_pack_str(r->pk, "records");
    msgpack_pack_array(r->pk, n);
    for (int64_t q = from; q <= to; q++) {
        const char *rec;
        size_t len;
        if (hq_outbox_get(d->store, txn, (uint64_t)q, &rec, &len, NULL) == 0)
            msgpack_sbuffer_write(r->sb, rec, len); /* already msgpack */
    }
    size_t missing = 0;
    for (int64_t q = from; q <= to && q <= (int64_t)d->outbox_last; q++) {
        const char *rec;
        size_t len;
        if (hq_outbox_get(d->store, txn, (uint64_t)q, &rec, &len, NULL) != 0)
            missing++;
    }
    hq_mp_pack_str(r->pk, "pruned");
    msgpack_pack_array(r->pk, missing);
    for (int64_t q = from; q <= to && q <= (int64_t)d->outbox_last; q++) {
        const char *rec;
        size_t len;
        if (hq_outbox_get(d->store, txn, (uint64_t)q, &rec, &len, NULL) != 0)
            msgpack_pack_int64(r->pk, q);
    }
    hq_store_abort(d->store, txn);
    return 0;
}

/* retention.run {wait: bool}: starts a retention run now; with wait the
 * reply comes when it is over (tests, operators after changing the policy). */
static int cmd_retention_run(hq_daemon *d, ctl_req *r)
{
    const msgpack_object *w = hq_mp_map_get(r->args, "wait");
    bool wait = w && w->type == MSGPACK_OBJECT_BOOLEAN && w->via.boolean;
    if (hq_retain_run(d, wait) != 0) {
        reply_error(r, "retention run failed; see the log and status.retention.error");
        return 0;
    }
    msgpack_pack_map(r->pk, 2);
    hq_mp_pack_kbool(r->pk, "ok", true);
    hq_mp_pack_str(r->pk, "retention");
    hq_retain_pack_status(d, r->pk);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(hq_daemon *, ctl_req *);
} commands[] = {
    {"retention.run", cmd_retention_run},
    {"status", cmd_status},
    {"clock.set", cmd_clock_set},
    {"clock.advance", cmd_clock_advance},
    {"reload", cmd_reload},
    {"outbox.range", cmd_outbox_range},
};

static void handle_one(hq_daemon *d, const char *buf, size_t len, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object root;
    hq_err err = {0};
    ctl_req r = {.pk = &pk, .sb = sb};
    if (hq_mp_decode(buf, len, &hq_mp_default_limits, &zone, &root, &err) != 0) {
        reply_error(&r, err.msg);
    } else if (root.type != MSGPACK_OBJECT_MAP) {
        reply_error(&r, "request is not a map");
    } else {
        r.args = &root;
        const msgpack_object *cmd = hq_mp_map_get(&root, "cmd");
        size_t i, n = sizeof commands / sizeof *commands;
        for (i = 0; i < n; i++)
            if (hq_mp_str_eq(cmd, commands[i].name))
                break;
        if (!cmd || cmd->type != MSGPACK_OBJECT_STR)
            reply_error(&r, "cmd: missing");
        else if (i == n)
            reply_error(&r, "cmd: unknown command");
        else
            commands[i].fn(d, &r);
    }
    msgpack_zone_destroy(&zone);
}

int hq_control_handle(hq_daemon *d)
{
    for (int handled = 0; handled < 64; handled++) {
        zmq_msg_t frames[4];
        int nf, parts = hq_zmsg_recv(d->control, frames, 4, &nf);
        if (parts <= 0)
            return parts;
        bool overflow = parts > 4;
        if (nf < 2) {
            hq_zmsg_close(frames, nf);
            continue;
        }
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        /* With --control-keys the ZAP handler admitted only administrators;
         * checked again here so that a socket set up without CURVE by
         * mistake still serves nobody. */
        const char *uid = d->admins ? zmq_msg_gets(&frames[nf - 1], "User-Id") : NULL;
        if (overflow || (d->admins && (!uid || strncmp(uid, HQ_ADMIN_USER_PREFIX, strlen(HQ_ADMIN_USER_PREFIX))))) {
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            ctl_req r = {.pk = &pk, .sb = &sb};
            reply_error(&r, overflow ? "one request map per message"
                                     : "unauthorised: the control socket is for administrators' keys");
        } else {
            handle_one(d, zmq_msg_data(&frames[nf - 1]), zmq_msg_size(&frames[nf - 1]), &sb);
        }
        bool sent = true;
        for (int i = 0; i < nf - 1; i++) {
            if (!sent || zmq_msg_send(&frames[i], d->control, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&frames[i]);
                sent = false;
            }
        }
        if (sent)
            zmq_send(d->control, sb.data, sb.size, ZMQ_DONTWAIT);
        zmq_msg_close(&frames[nf - 1]);
        msgpack_sbuffer_destroy(&sb);
    }
    return 0;
}
