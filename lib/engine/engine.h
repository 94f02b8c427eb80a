/* engine.h - applies events and due timers to the state.
 *
 * The engine does no I/O and reads no global: the store, the transaction,
 * the rules and the time come in as arguments, and what it decided comes
 * out as effects (the outbox records to publish after the commit).
 *
 * hq_engine_event() is called with the sequence number the event will be
 * stored under, before it is appended.  A lifecycle event the engine
 * cannot apply is refused, and the engine has written nothing (every check
 * comes before the first write):
 *   HQ_ENOTFOUND  data.issue names no issue;
 *   HQ_ESTATE     the action does not fit the issue's state (the
 *                 transition table of issue.h), or repeats what is done;
 *   HQ_EPERM      the actor may not take it (the permission table, authz.h;
 *                 hq_engine_refusal() says why);
 *   HQ_EINVAL     data the schema let through but the action cannot use.
 * hq_engine_refused() tells these from failures of the transaction; the
 * caller rejects the event instead of storing it and gives its dedup claim
 * back.
 */
#ifndef HQ_ENGINE_H
#define HQ_ENGINE_H

#include "event.h"
#include "rules.h"
#include "store.h"

#include <stdint.h>

typedef struct hq_engine hq_engine;

typedef struct hq_effects {
    uint64_t outbox_first;   /* outbox records written: [first, last], 0 when none */
    uint64_t outbox_last;
    size_t issues_opened;
    size_t timers_fired;
} hq_effects;

hq_engine *hq_engine_new(void);
void hq_engine_destroy(hq_engine **e);
/* The rules in force (borrowed; may be NULL: events are stored, nothing opens). */
void hq_engine_set_rules(hq_engine *e, const hq_rules *rules);
/* Timers due before this time were missed while the daemon was down. */
void hq_engine_set_started(hq_engine *e, int64_t started_ms);
/* The last time the daemon was known running before this start (its
 * heartbeat, hq_store_alive_get; 0: unknown).  A timer is missed while
 * down only when it came due after that and before the start; one that
 * fires late otherwise was set by data that arrived late. */
void hq_engine_set_alive(hq_engine *e, int64_t last_alive_ms);

/* After hq_engine_event returned HQ_EPERM: why (perm.h), for the refusal
 * counters; HQ_PERM_OK after anything else. */
hq_perm_reason hq_engine_refusal(const hq_engine *e);

int hq_engine_event(hq_engine *e, hq_store *s, MDB_txn *txn, const hq_event *ev, uint64_t seq, int64_t now_ms,
                    hq_effects *fx, hq_err *err);
/* Fires up to max timers due at now_ms, in due order. *fired counts them
 * (a schedule slot's deadline counts once per unit it marks missed, and
 * marks at most what is left of max); more may be due when *fired == max. */
int hq_engine_fire_due(hq_engine *e, hq_store *s, MDB_txn *txn, int64_t now_ms, size_t max, size_t *fired,
                       hq_effects *fx, hq_err *err);
/* Generates the obligations (expected occurrences of scheduled events)
 * whose deadlines fall before now_ms + horizon_ms and were not generated
 * yet: one record and one deadline timer per rule and slot (obligation.h).
 * *created counts new obligations (slots x units). */
int hq_engine_generate(hq_engine *e, hq_store *s, MDB_txn *txn, int64_t now_ms, int64_t horizon_ms,
                       size_t *created, hq_err *err);

/* Every every_ms (a day, in the shipped unit), when events were stored
 * since the last one: an outbox record "ledger-head" with the head of the
 * event log's hash chain, so that someone outside the office holds a copy. */
int hq_engine_ledger_head(hq_store *s, MDB_txn *txn, int64_t now_ms, int64_t every_ms, hq_effects *fx,
                          hq_err *err);

/* Drops the slots whose deadlines are still ahead (and their timers) and
 * the generation marks, so that the next hq_engine_generate follows a
 * reloaded rule set (sites added or removed, a new vacation); see
 * hq_obligation_reset. */
int hq_engine_obligations_reset(hq_store *s, MDB_txn *txn, int64_t now_ms, size_t *dropped, hq_err *err);

/* Counts issues that are not closed and have no timer scheduled. */
int hq_engine_audit(hq_store *s, MDB_txn *txn, size_t *open, size_t *stuck, char *first_stuck, size_t size,
                    hq_err *err);

/* Whether hq_engine_event's rc is a refusal of the event itself (a
 * lifecycle action that does not fit the issue's state, names no issue,
 * is malformed, or is not permitted): the engine wrote nothing, and the
 * caller answers "rejected" and gives the id's dedup claim back.  Any
 * other nonzero rc is a failure of the transaction. */
static inline bool hq_engine_refused(int rc)
{
    return rc == HQ_ESTATE || rc == HQ_ENOTFOUND || rc == HQ_EINVAL || rc == HQ_EPERM;
}

#endif
