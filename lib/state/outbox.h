/* outbox.h - the durable outbox of notifications.
 *
 * Every notification the engine decides is written here, in the same
 * transaction as the change that caused it, under the next sequence
 * number; houqind publishes records after the commit, and a subscriber
 * that missed some asks for the range (SPEC §5).  A record is a msgpack
 * map: seq, ts_ms, kind, issue, rule, level, roles, domain, contractor,
 * site, severity, title, text, deadline_ms (and complaint-only fields).
 */
#ifndef HQ_OUTBOX_H
#define HQ_OUTBOX_H

#include "vocab.h"
#include "store.h"

#include <msgpack.h>

#include <stdint.h>

typedef struct hq_alert {
    int64_t ts_ms;
    const char *kind;        /* opened, reminder, overdue, escalated, accountability, penalty,
                                reopened, closed, feedback, ... */
    const char *issue;
    const char *rule;
    int level;
    const hq_role *roles;
    size_t nroles;
    const char *domain, *contractor, *site, *title, *text;
    hq_severity severity;
    int64_t deadline_ms;
    const char *contact;     /* complainant feedback only (personal data) */
    const char *outcome;     /* complainant feedback only: the outcome given at closing, or NULL */
} hq_alert;

int hq_outbox_add(hq_store *s, MDB_txn *txn, const hq_alert *a, uint64_t *seq, hq_err *err);
/* A view of record seq (valid until the txn ends). */
int hq_outbox_get(hq_store *s, MDB_txn *txn, uint64_t seq, const char **rec, size_t *len, hq_err *err);
/* Calls fn for each record from seq from on, in order, unpacked (a map;
 * one that is not is passed over; rec is valid during the call); fn
 * returns nonzero to stop.  0, or an error of the store. */
int hq_outbox_each(hq_store *s, MDB_txn *txn, uint64_t from,
                   int (*fn)(void *ctx, uint64_t seq, const msgpack_object *rec), void *ctx, hq_err *err);
/* The topic a record is published under: "alert.<kind>.<domain>.<severity>". */
void hq_outbox_topic(const char *rec, size_t len, char *out, size_t size);

#endif
