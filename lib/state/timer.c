#include "timer.h"

#include "buf.h"
#include "mp.h"

#include <msgpack.h>
#include <stdio.h>
#include <string.h>

const char *hq_timer_kind_name(hq_timer_kind k)
{
    switch (k) {
    case HQ_TIMER_DEADLINE: return "deadline";
    case HQ_TIMER_ESCALATE: return "escalation";
    case HQ_TIMER_OVERDUE_DAY: return "overdue-reminder";
    case HQ_TIMER_RECHECK: return "recheck-reminder";
    case HQ_TIMER_ACK: return "acknowledgement-reminder";
    case HQ_TIMER_SUSTAIN: return "sustained-condition";
    case HQ_TIMER_CLEAR: return "self-clearing";
    case HQ_TIMER_OBLIGATION: return "obligation-deadline";
    case HQ_TIMER_STALE: return "stale-data";
    }
    return "?";
}

hq_missed_policy hq_timer_missed_policy(hq_timer_kind k)
{
    /* Deadlines and escalation steps each fire, late, in due order: every
     * level reached is a fact the ledger must show.  Reminders collapse:
     * one reminder for all that were missed (the daily overdue reminder
     * assesses every missed day's penalty at once). */
    switch (k) {
    case HQ_TIMER_OVERDUE_DAY:
    case HQ_TIMER_RECHECK:
    case HQ_TIMER_ACK: return HQ_MISSED_COLLAPSE;
    default: return HQ_MISSED_FIRE_LATE;
    }
}

int hq_timer_add(hq_store *s, MDB_txn *txn, hq_timer *t, hq_err *err)
{
    int rc = hq_store_counter_next(s, txn, "timer", &t->id, err);
    if (rc)
        return rc;
    unsigned char key[16];
    hq_be64_put(key, (uint64_t)(t->due_ms < 0 ? 0 : t->due_ms));
    hq_be64_put(key + 8, t->id);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 5);
    msgpack_pack_int(&pk, t->kind);
    hq_mp_pack_str(&pk, t->issue);
    hq_mp_pack_str(&pk, t->rule);
    hq_mp_pack_str(&pk, t->key);
    msgpack_pack_int64(&pk, t->arg);
    rc = hq_store_put(s, txn, HQ_DB_TIMERS, key, 16, sb.data, sb.size, err);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

int hq_timer_del(hq_store *s, MDB_txn *txn, int64_t due_ms, uint64_t id, hq_err *err)
{
    unsigned char key[16];
    hq_be64_put(key, (uint64_t)(due_ms < 0 ? 0 : due_ms));
    hq_be64_put(key + 8, id);
    int rc = hq_store_del(s, txn, HQ_DB_TIMERS, key, 16, err);
    return rc == HQ_ENOTFOUND ? 0 : rc;
}

static void copy_str(char *dst, size_t size, const msgpack_object *o)
{
    dst[0] = '\0';
    if (o->type == MSGPACK_OBJECT_STR)
        snprintf(dst, size, "%.*s", (int)o->via.str.size, o->via.str.ptr);
}

int hq_timer_next_due(hq_store *s, MDB_txn *txn, int64_t *due_ms, hq_err *err)
{
    MDB_val k, v;
    int rc = hq_store_edge(s, txn, HQ_DB_TIMERS, MDB_FIRST, &k, &v, err);
    if (rc)
        return rc;
    *due_ms = (int64_t)hq_be64_get(k.mv_data);
    return 0;
}

int hq_timer_first_due(hq_store *s, MDB_txn *txn, int64_t now_ms, hq_timer *t, hq_err *err)
{
    MDB_val k, v;
    int rc = hq_store_edge(s, txn, HQ_DB_TIMERS, MDB_FIRST, &k, &v, err);
    if (rc)
        return rc;
    if (k.mv_size != 16)
        return hq_err_set(err, HQ_ESTORE, "timer key of unexpected size");
    int64_t due = (int64_t)hq_be64_get(k.mv_data);
    if (due > now_ms)
        return HQ_ENOTFOUND;
    memset(t, 0, sizeof *t);
    t->due_ms = due;
    t->id = hq_be64_get((unsigned char *)k.mv_data + 8);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 512);
    msgpack_object o;
    size_t off = 0;
    if (msgpack_unpack(v.mv_data, v.mv_size, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS ||
        o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size != 5) {
        msgpack_zone_destroy(&zone);
        return hq_err_set(err, HQ_ESTORE, "timer record does not decode");
    }
    int64_t kind = 0;
    hq_mp_int64(&o.via.array.ptr[0], &kind);
    t->kind = (hq_timer_kind)kind;
    copy_str(t->issue, sizeof t->issue, &o.via.array.ptr[1]);
    copy_str(t->rule, sizeof t->rule, &o.via.array.ptr[2]);
    copy_str(t->key, sizeof t->key, &o.via.array.ptr[3]);
    hq_mp_int64(&o.via.array.ptr[4], &t->arg);
    msgpack_zone_destroy(&zone);
    return 0;
}
