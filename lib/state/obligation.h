/* obligation.h - obligations (R6): the expected occurrences of scheduled
 * events ("this site's daily self-inspection due 2026-09-07 18:00"), with
 * their due windows and states, stored in LMDB.
 *
 * An obligation is one (rule, slot, unit).  The store keeps them per rule
 * and slot, not per unit, so that generating a term costs O(slots):
 *
 *   - one slot record per rule and slot: its window, the deadline's timer
 *     (ONE timer for all the units) and the unit set it expects;
 *   - the unit list once per distinct set (keyed by its hash), shared by
 *     every slot and rule that expects the same units;
 *   - a per-unit record only when something happens to that unit in that
 *     slot (satisfied, late, missed).  A unit of the slot's set with no
 *     record is due.
 *
 * States and the function that moves each:
 *
 *   due ------ hq_obligation_arrived (event in the window) -----> satisfied
 *   due ------ hq_obligation_deadline (the slot's timer) -------> missed
 *   missed --- hq_obligation_arrived (in the window, or within
 *              a day after the deadline) ------------------------> late
 *
 * The deadline is the only work a slot costs before an event arrives: its
 * timer sleeps in the timer tree.  When every unit has submitted before
 * the deadline, the timer is deleted and the deadline costs nothing.
 *
 * The caller owns the transaction.  Functions return 0 or a negative HQ_E*
 * with detail in the optional err.  Key layouts are in lib/store.c.
 */
#ifndef HQ_OBLIGATION_H
#define HQ_OBLIGATION_H

#include "calendar.h"
#include "schedule.h"
#include "store.h"
#include "timer.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { HQ_OBL_DUE, HQ_OBL_SATISFIED, HQ_OBL_LATE, HQ_OBL_MISSED } hq_obligation_state;
/* "due", "satisfied", "late", "missed" ("?" for anything else). */
const char *hq_obligation_state_name(hq_obligation_state s);

typedef struct hq_obligation {
    const char *rule;        /* views, valid during the callback */
    const char *unit;
    int64_t start_ms, due_ms;
    hq_obligation_state state;
    uint64_t seq;            /* the event that satisfied it (or came late), or 0 */
} hq_obligation;

/* Generates rule's slots whose deadlines fall in [max(now, generated so
 * far), now + horizon) and after now, for the units (borrowed; their order
 * is the order the deadline opens issues in).  A slot already stored is
 * left alone.  *created counts the new obligations (slots x units).  The
 * generation mark of the rule is kept in meta ("gen:<rule>"). */
int hq_obligation_generate(hq_store *s, MDB_txn *txn, const char *rule, const char *const *units, size_t nunits,
                           const hq_schedule *sched, const hq_calendar *cal, int64_t now_ms, int64_t horizon_ms,
                           size_t *created, hq_err *err);

typedef struct hq_obligation_hit {
    hq_obligation_state state;  /* SATISFIED or LATE; DUE: no slot took the event */
    int64_t due_ms;             /* the slot's deadline, when one took it */
} hq_obligation_hit;

/* An expected event stamped ts_ms for unit arrived (stored as seq).  The
 * rule's slot whose window [start, due] holds ts_ms takes it: satisfied if
 * the unit was due there, late if it was already missed.  Otherwise the
 * slot just before, if the unit missed it no more than a day before ts_ms,
 * becomes late.  A unit the slot does not expect is ignored. */
int hq_obligation_arrived(hq_store *s, MDB_txn *txn, const char *rule, const char *unit, int64_t ts_ms, uint64_t seq,
                          hq_obligation_hit *hit, hq_err *err);

/* The deadline of a slot: t is its HQ_TIMER_OBLIGATION timer, already
 * deleted by the caller.  Marks the units of the slot's set that are still
 * due as missed, in the set's order, and calls missed(ctx, unit, due_ms)
 * after each (unit is valid during the call; missed may be NULL, and may
 * write to txn).  At most max (>= 1) units are marked per call: when more
 * remain, the slot arms a new timer at the same due time, so the caller's
 * next transaction goes on.  *marked counts the units marked.  A timer
 * whose slot is gone (dropped by hq_obligation_reset) does nothing. */
int hq_obligation_deadline(hq_store *s, MDB_txn *txn, const hq_timer *t, size_t max,
                           int (*missed)(void *ctx, const char *unit, int64_t due_ms), void *ctx, size_t *marked,
                           hq_err *err);

/* Drops the slots whose deadlines are after now_ms and not reached yet,
 * with their timers, and every generation mark, so that the next
 * generation follows a reloaded rule set (units added or removed, a new
 * vacation) or a clock that was set.  Per-unit records stay (a slot
 * generated again finds its satisfied units).  *dropped counts the due
 * obligations dropped. */
int hq_obligation_reset(hq_store *s, MDB_txn *txn, int64_t now_ms, size_t *dropped, hq_err *err);

/* Calls fn for every obligation, in rule, deadline and unit-set order
 * (units with a record the slot's set does not hold, or with no slot
 * left, come after the set's).  fn returns nonzero to stop. */
int hq_obligation_each(hq_store *s, MDB_txn *txn, int (*fn)(void *ctx, const hq_obligation *o), void *ctx,
                       hq_err *err);

#endif
