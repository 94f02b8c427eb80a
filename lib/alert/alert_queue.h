/* alert_queue.h - houqin-alertd's durable delivery state, in its own LMDB
 * environment (never houqind's).  The key space is documented at the top
 * of alert_queue.c.
 *
 * What it holds: the cursor (every outbox record up to it has been turned
 * into deliveries), the alerts that pending deliveries still need, one
 * pending entry per (alert, recipient, channel) in per-lane order (a lane
 * is a (recipient, channel) pair), and the dead letters.
 *
 * Delivery semantics (docs/alertd.md): routing a record and moving the
 * cursor past it happen in one transaction, so a record is routed exactly
 * once; a delivery is removed only after its channel accepted it, so a
 * crash in between repeats it, with the same idempotency key: at least
 * once towards the sink, once for a sink that honours the key.
 *
 * The caller owns every transaction (begin, the calls, commit); a
 * successful commit is on disk (no MDB_NOSYNC or friends).  HQ_EFULL from a
 * put or commit: the transaction is gone; call hq_alert_queue_grow() and
 * redo the work.  Read-only opens (houqinctl) take HQ_AQ_RDONLY and need
 * write access to lock.mdb, like every LMDB reader.
 */
#ifndef HQ_ALERT_QUEUE_H
#define HQ_ALERT_QUEUE_H

#include "alert_config.h"
#include "alert_route.h"
#include "err.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HQ_AQ_FORMAT 1
/* The most alerts one digest carries (more make several digests). */
#define HQ_DIGEST_MAX 100

enum { HQ_AQ_RDONLY = 1 };

typedef struct hq_alert_queue hq_alert_queue;

/* A pending delivery. */
typedef struct hq_delivery {
    char recipient[HQ_RECIPIENT_MAX + 16];
    char channel[HQ_CHANNEL_NAME_MAX + 1];
    uint64_t seq;            /* the alert; for a sealed digest its first alert */
    hq_audience audience;
    bool urgent;             /* never held by quiet hours, digests or rate limits */
    bool digest;             /* waiting to be gathered into a digest at ready_ms */
    char issue[64];          /* the alert's issue ("" for none, and for a sealed digest): order
                                within a lane is kept only among deliveries of one issue */
    uint8_t sev;             /* the alert's hq_severity (unknown: critical): a later delivery of
                                the same issue with a higher one is not held back by it */
    int64_t ready_ms;        /* policy clock: not before this */
    int64_t next_ms;         /* wall clock: next try not before this (backoff); 0: now */
    int64_t first_ms;        /* wall clock: when it was queued */
    uint32_t tries;          /* failed tries so far */
    char error[256];         /* the last failure ("" before any) */
    size_t nmembers;         /* a sealed digest: the alerts it carries; 0 otherwise */
    uint64_t members[HQ_DIGEST_MAX];
    char note[512];          /* an escalation: why the recipient gets it (put before the text) */
} hq_delivery;

/* A person who has not been reached with an alert yet (policies.failover):
 * removed when one of their own (not shared) channels delivers it; when
 * due_ms passes first, their next fallback channels get it, and after the
 * last, their deputy and the administrators (docs/alertd.md, "Failover").
 * It holds a reference on the alert. */
typedef struct hq_watch {
    uint64_t seq;
    char person[HQ_RECIPIENT_MAX + 16];
    int64_t due_ms;          /* policy clock */
    uint32_t stage;          /* index of the person's first channel entry not used yet */
    hq_audience audience;
    bool urgent;
    uint8_t sev;
    char issue[64];
    char tried[512];         /* what was tried and how it failed, for the escalation and the dead letter */
} hq_watch;

/* A delivery that was given up on (too many tries, a permanent error, or
 * nothing to deliver it with).  Self-contained: it names the alert but
 * never holds a complainant's contact. */
typedef struct hq_dead_letter {
    uint64_t id;             /* order of dying, from 1 */
    uint64_t seq;            /* the alert (a digest: its first) */
    size_t nalerts;          /* 1, or a digest's count */
    char recipient[HQ_RECIPIENT_MAX + 16];
    char channel[HQ_CHANNEL_NAME_MAX + 1];
    char key[256];           /* the idempotency key its tries carried ("" if never tried) */
    uint32_t tries;
    int64_t first_ms, dead_ms; /* wall clock */
    char error[512];
    char kind[32], issue[64], severity[16];
    char title[512];
} hq_dead_letter;

int hq_alert_queue_open(const char *dir, unsigned flags, hq_alert_queue **out, hq_err *err);
/* Closes; accepts NULL and clears the pointer. */
void hq_alert_queue_close(hq_alert_queue **q);
int hq_alert_queue_begin(hq_alert_queue *q, bool write, MDB_txn **txn, hq_err *err);
/* Commits; the txn is freed whatever the result. */
int hq_alert_queue_commit(hq_alert_queue *q, MDB_txn *txn, hq_err *err);
/* Aborts; accepts NULL. */
void hq_alert_queue_abort(hq_alert_queue *q, MDB_txn *txn);
/* Commits txn when rc is 0, else aborts it (txn may then be NULL); returns
 * rc or the commit's code. */
int hq_alert_queue_end(hq_alert_queue *q, MDB_txn *txn, int rc, hq_err *err);
/* Doubles the map (no transaction of this process may be open). */
int hq_alert_queue_grow(hq_alert_queue *q, hq_err *err);

/* Named counters in meta ("cursor", "clock"): a missing one reads 0. */
int hq_alert_queue_meta_get(hq_alert_queue *q, MDB_txn *txn, const char *name, uint64_t *v, hq_err *err);
int hq_alert_queue_meta_put(hq_alert_queue *q, MDB_txn *txn, const char *name, uint64_t v, hq_err *err);

/* Alerts, kept while deliveries refer to them. */
int hq_alert_queue_alert_put(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char *rec, size_t len,
                             uint32_t refs, hq_err *err);
/* *rec is a view, valid until the txn ends or its next write. */
int hq_alert_queue_alert_get(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char **rec, size_t *len,
                             hq_err *err);

/* Adds n references to alert seq, storing rec (len bytes) if it is not
 * stored yet (rec may be NULL when it is known to be stored). */
int hq_alert_queue_alert_ref(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char *rec, size_t len, uint32_t n,
                             hq_err *err);

/* Watches (see hq_watch).  put adds the alert reference for a new watch;
 * del releases it (a missing watch is not an error: *found says). */
int hq_alert_queue_watch_put(hq_alert_queue *q, MDB_txn *txn, const hq_watch *w, bool is_new, hq_err *err);
int hq_alert_queue_watch_get(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char *person, hq_watch *w,
                             bool *found, hq_err *err);
int hq_alert_queue_watch_del(hq_alert_queue *q, MDB_txn *txn, uint64_t seq, const char *person, bool *found,
                             hq_err *err);
/* Calls fn for every watch (seq order) until it returns non-zero. */
int hq_alert_queue_each_watch(hq_alert_queue *q, MDB_txn *txn, int (*fn)(void *ctx, const hq_watch *w), void *ctx,
                              hq_err *err);

/* Pending deliveries. */
int hq_alert_queue_put(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *d, hq_err *err);
int hq_alert_queue_get(hq_alert_queue *q, MDB_txn *txn, const char *recipient, const char *channel, uint64_t seq,
                       hq_delivery *d, hq_err *err);
/* Calls fn for the lane's deliveries in seq order until it returns
 * non-zero.  Delivery order (docs/alertd.md, "Delivery semantics"): the
 * caller keeps seq order only among deliveries of one issue; a delivery is
 * held back only by an earlier pending one of the same issue with a
 * severity at least as high, never by another issue's. */
int hq_alert_queue_lane_each(hq_alert_queue *q, MDB_txn *txn, const char *recipient, const char *channel,
                             int (*fn)(void *ctx, const hq_delivery *d), void *ctx, hq_err *err);
/* Calls fn once per lane that has deliveries. */
int hq_alert_queue_each_lane(hq_alert_queue *q, MDB_txn *txn,
                             void (*fn)(void *ctx, const char *recipient, const char *channel), void *ctx,
                             hq_err *err);
/* Done: the channel accepted d.  Removes it and releases its alerts. */
int hq_alert_queue_complete(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *d, hq_err *err);
/* Given up: removes d (if queued), releases its alerts and writes a dead
 * letter with why, the key its tries carried, and the alert's kind,
 * issue, severity and title. */
int hq_alert_queue_bury(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *d, const char *key, const char *why,
                        int64_t now_ms, hq_err *err);
/* Removes the lane's digest-waiting deliveries in members (no more than
 * HQ_DIGEST_MAX) and queues one sealed digest that carries them, keyed by
 * the first; *sealed receives it.  Their alerts stay referenced. */
int hq_alert_queue_seal_digest(hq_alert_queue *q, MDB_txn *txn, const hq_delivery *const *members, size_t n,
                               hq_delivery *sealed, hq_err *err);

/* Writes a dead letter for something that was never queued (a route with
 * a problem); assigns dl->id. */
int hq_alert_queue_dead_add(hq_alert_queue *q, MDB_txn *txn, hq_dead_letter *dl, hq_err *err);
/* Dead letters, oldest first; stops when fn returns non-zero. */
int hq_alert_queue_each_dead(hq_alert_queue *q, MDB_txn *txn, int (*fn)(void *ctx, const hq_dead_letter *dl),
                             void *ctx, hq_err *err);

typedef struct hq_alert_queue_stats {
    uint64_t cursor, pending, dead, alerts;
} hq_alert_queue_stats;
int hq_alert_queue_stats_get(hq_alert_queue *q, MDB_txn *txn, hq_alert_queue_stats *st, hq_err *err);

#endif
