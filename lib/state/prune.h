/* prune.h - the retention run: archive closed months of the event log,
 * then remove from LMDB what the policy lets go (rules/retention.yaml,
 * lib/model/retention.h), in small steps between ingest batches.
 *
 * A run has three phases, each done by repeated hq_prune_step() calls of
 * bounded work, so that the writer is never held long:
 *
 *   ARCHIVE  while the month of event archive:upto+1 has ended: stream its
 *            events (short read transactions) into STATE/archive/NAME.hqa
 *            (archive.h); when the month is complete, make the file and its
 *            manifest durable, then commit archive:upto and archive:chain
 *            in LMDB.  An archive whose manifest exists but which LMDB does
 *            not know yet (a crash between the two) is checked and adopted,
 *            never written twice; an unfinished .part file is redone.
 *   PROTECT  one read transaction collects the seqs that must stay: every
 *            issue's source event and timeline entries, and the events rule
 *            state points at (sustained and stale state: last_seq;
 *            obligation units: the event that satisfied them).
 *   DELETE   walks the log up to archive:upto (never its last event) in
 *            write transactions of at most `budget` removals: an event goes
 *            (with its chain and dedup records) when its type has a
 *            retention, it is older than that by both its ts and its stored
 *            time, and it is not protected.  The walk stops at the first
 *            event younger than the shortest retention.
 *
 * Why the protected set may be computed once per run: new references only
 * ever point at the event being applied (a new one) or at seqs already held
 * in rule state, which PROTECT saw.  Counting windows keep their own
 * timestamps (engine.c), and the loader refuses a retention shorter than a
 * window, so no rule reads an event old enough to be removed.
 *
 * The dedup record of a removed event goes with it: a producer's retry is
 * answered "duplicate" for as long as the event's retention, at least
 * HQ_RETENTION_MIN_MS (7 days).
 *
 * On a failure (disk full while archiving, a storage error) the step
 * returns the error, nothing is deleted that was not archived durably, and
 * the run is tried again after `every`.
 */
#ifndef HQ_PRUNE_H
#define HQ_PRUNE_H

#include "archive.h"
#include "err.h"
#include "retention.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum { HQ_PRUNE_IDLE, HQ_PRUNE_ARCHIVE, HQ_PRUNE_PROTECT, HQ_PRUNE_DELETE } hq_prune_phase;

typedef struct hq_prune_figures {
    int64_t next_run_ms;       /* daemon clock; 0 before the first run */
    int64_t last_run_ms;       /* when the last complete run ended */
    uint64_t archived_upto;    /* archive:upto */
    uint64_t last_archived;    /* events archived by the last run */
    uint64_t last_removed;     /* events removed by the last run */
    uint64_t total_archived, total_removed; /* since this process started */
    hq_prune_phase phase;
    int64_t abandoned_ms;      /* when the last run was abandoned (daemon clock); 0 once a run completes */
    char last_error[320];      /* why it was abandoned ("" when the last run worked), saying that the
                                * events stay in LMDB until the next run */
} hq_prune_figures;

typedef struct hq_prune hq_prune;

/* A run driver for the store (the writer's).  Reads its meta records. */
int hq_prune_new(hq_store *s, hq_prune **out, hq_err *err);
/* Accepts NULL and clears the pointer; an unfinished archive is dropped
 * (the next process redoes it). */
void hq_prune_destroy(hq_prune **p);

/* Does one bounded piece of the run at now_ms (the daemon's clock): about
 * budget events archived, or at most budget removed in one transaction.
 * *more is true while the run has work left (call again soon), false when
 * it is idle until hq_prune_figures().next_run_ms.  policy NULL: nothing
 * to do.  Returns 0, or an error (logged by the caller; the run is
 * abandoned and retried after `every`); HQ_EPANIC/HQ_EFULL come from the
 * store and mean what store.h says. */
int hq_prune_step(hq_prune *p, const hq_retention *policy, int64_t now_ms, unsigned budget, bool *more,
                  hq_err *err);
/* Starts a run at the next step, whatever next_run_ms says. */
void hq_prune_kick(hq_prune *p);
const hq_prune_figures *hq_prune_figures_get(const hq_prune *p);

/* Sizes and retention figures of a state, for status and stats. */
typedef struct hq_state_sizes {
    uint64_t file_bytes;       /* data.mdb on disk (LMDB's high-water mark) */
    uint64_t used_bytes;       /* pages in use, of the map */
    uint64_t events;           /* events in LMDB */
    uint64_t bytes_per_event;  /* used_bytes / events (0 without events) */
    uint64_t archive_bytes;    /* STATE/archive/ */
    uint64_t archived_upto;
    int64_t oldest_event_ms;   /* stored time of the oldest event in LMDB, 0 without */
    int64_t next_run_ms, last_run_ms;
} hq_state_sizes;
int hq_state_sizes_get(hq_store *s, MDB_txn *txn, hq_state_sizes *out, hq_err *err);

/* The retention meta of a state, for readers (status, stats). */
int hq_prune_read_meta(hq_store *s, MDB_txn *txn, uint64_t *archived_upto, int64_t *next_run_ms, int64_t *last_run_ms,
                       hq_err *err);

#endif
