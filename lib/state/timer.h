/* timer.h - durable timers in LMDB.
 *
 * One mechanism for every kind (deadlines, escalation steps, daily overdue
 * reminders, recheck and acknowledgement reminders, sustained conditions
 * and self-clearing).  Keys are be64(due_ms) | be64(id) in a plain
 * database (not DUPSORT), so the first cursor entry is the next due and
 * ties fire in creation order.  Timers are added, fired and deleted inside
 * the caller's write transaction, together with their effects.
 */
#ifndef HQ_TIMER_H
#define HQ_TIMER_H

#include "store.h"
#include "vocab.h"

#include <stdint.h>

typedef enum {
    HQ_TIMER_DEADLINE = 1,   /* the issue becomes overdue */
    HQ_TIMER_ESCALATE,       /* move to level arg */
    HQ_TIMER_OVERDUE_DAY,    /* daily reminder of an overdue issue, with its penalty */
    HQ_TIMER_RECHECK,        /* a rectification waits for its recheck */
    HQ_TIMER_ACK,            /* the notice waits for its acknowledgement */
    HQ_TIMER_SUSTAIN,        /* a condition has held for the rule's duration */
    HQ_TIMER_CLEAR,          /* a condition has been false for clears_after */
    HQ_TIMER_OBLIGATION,     /* an expected event's deadline (arg: the slot's due_ms) */
    HQ_TIMER_STALE,          /* a key may have stopped reporting */
} hq_timer_kind;

/* What a timer missed while the daemon was down does. */
typedef enum { HQ_MISSED_FIRE_LATE, HQ_MISSED_COLLAPSE } hq_missed_policy;

typedef struct hq_timer {
    int64_t due_ms;
    uint64_t id;
    hq_timer_kind kind;
    char issue[HQ_ISSUE_NUMBER_SIZE];      /* the issue it belongs to, or "" */
    char rule[128];      /* for rule-state timers */
    char key[256];
    int64_t arg;         /* level for ESCALATE */
} hq_timer;

const char *hq_timer_kind_name(hq_timer_kind k);
hq_missed_policy hq_timer_missed_policy(hq_timer_kind k);

/* Adds t (due_ms, kind, issue/rule/key, arg set by the caller); fills t->id. */
int hq_timer_add(hq_store *s, MDB_txn *txn, hq_timer *t, hq_err *err);
/* Deletes a timer (not found is fine). */
int hq_timer_del(hq_store *s, MDB_txn *txn, int64_t due_ms, uint64_t id, hq_err *err);
/* The first timer due at or before now: 0, or HQ_ENOTFOUND. */
int hq_timer_first_due(hq_store *s, MDB_txn *txn, int64_t now_ms, hq_timer *t, hq_err *err);
/* The due time of the next timer: 0, or HQ_ENOTFOUND. */
int hq_timer_next_due(hq_store *s, MDB_txn *txn, int64_t *due_ms, hq_err *err);

#endif
