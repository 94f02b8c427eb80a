/* sim.h - a simulated houqind: the engine on a scratch state with a
 * simulated clock, for rule tests (ruletest.h) and backtests (backtest.h).
 *
 * A sim owns a fresh state in a new directory (mkdtemp under parent_dir)
 * and removes it in hq_sim_destroy().  The scratch state is not durable
 * (MDB_NOSYNC): nobody relies on it after a crash.  With state_dir, the
 * sim writes a real, durable state there instead and leaves it in place
 * (tests build stored logs for backtests that way).
 *
 * Time.  The clock only moves forward.  hq_sim_advance(to) moves it to
 * `to` the way houqind on a real clock lives through that span: every
 * timer fires at its own due time, in due order (ties in creation order),
 * and obligations (expected events of absence rules) are generated a
 * horizon ahead once per simulated day, as houqind does.  A timer that
 * comes due in the past (a sustained condition of an event whose ts is
 * older than the clock) fires at once, late, as in houqind.  The daily
 * ledger-head record (houqind --ledger-head) is not simulated: it says
 * nothing about the rules.
 *
 * Events.  hq_sim_event() first advances to at_ms (every timer due by
 * then fires first), then applies the frame exactly as houqind's ingest
 * does: decode and validate against the schemas, peek the next sequence
 * number, claim (source, id) in the dedup index, hq_engine_event(), append
 * to the log.  A frame that does not decode is REJECTED; one the engine
 * refuses (a lifecycle action that does not fit) is REFUSED; in both cases
 * nothing was written.  The return value is for failures of the sim
 * itself (storage, memory), never for a refused event; after such a
 * failure the operations since the last commit are lost and the sim is
 * only good for hq_sim_destroy().
 *
 * Transactions.  Operations go into one write transaction that is
 * committed every `batch` operations (1: after each) and by
 * hq_sim_flush().  hq_sim_txn() hands out the transaction in progress for
 * reads (views valid until the next sim call).  When the map fills up,
 * the sim grows it and replays the uncommitted operations, which the
 * engine (deterministic for a given state) applies the same way again.
 */
#ifndef HQ_SIM_H
#define HQ_SIM_H

#include "engine.h"
#include "rules.h"
#include "schema.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

/* How far ahead obligations are generated; houqind's horizon. */
#define HQ_SIM_HORIZON_MS (14 * 86400000LL)

typedef struct hq_sim hq_sim;

typedef struct hq_sim_opts {
    const char *parent_dir;  /* where the scratch state goes (NULL: $TMPDIR or /tmp) */
    const char *state_dir;   /* instead: this state, kept (NULL: a scratch one) */
    uint64_t map_size;       /* initial map size (0: 256 MiB) */
    unsigned batch;          /* operations per commit (0: 1) */
    hq_event_limits limits;  /* zero: hq_event_default_limits */
    /* How the events count as having reached houqind (event.h).
     * HQ_AUTH_UNKNOWN (zero): a replay of a stored log, whose actions were
     * judged when they were stored and are not judged again (backtest).
     * HQ_AUTH_NONE: fresh events, judged as houqind judges them on a
     * socket without CURVE (rule tests, the clock equivalence test). */
    hq_auth auth;
} hq_sim_opts;

typedef enum { HQ_SIM_STORED, HQ_SIM_DUPLICATE, HQ_SIM_REJECTED, HQ_SIM_REFUSED } hq_sim_status;
const char *hq_sim_status_name(hq_sim_status s);

typedef struct hq_sim_result {
    hq_sim_status status;
    uint64_t seq;            /* STORED, DUPLICATE: the event's sequence number */
    size_t issues_opened;    /* by this event and the timers fired before it */
    size_t timers_fired;
    hq_err error;            /* REJECTED, REFUSED: the reason */
} hq_sim_result;

/* Creates the scratch state, with the clock at start_ms.  schemas and
 * rules are borrowed and must outlive the sim.  Obligations are generated
 * from start_ms on. */
int hq_sim_new(const hq_sim_opts *opts, const hq_schemas *schemas, const hq_rules *rules, int64_t start_ms,
               hq_sim **out, hq_err *err);
/* Closes and removes the scratch state; accepts NULL and clears the pointer. */
void hq_sim_destroy(hq_sim **s);

int64_t hq_sim_now(const hq_sim *s);
/* Moves the clock to to_ms (no-op when it is not later), firing timers;
 * *fired (may be NULL) counts them. */
int hq_sim_advance(hq_sim *s, int64_t to_ms, size_t *fired, hq_err *err);
/* Applies one event frame at at_ms (the clock is moved there first; an
 * earlier at_ms is applied at the clock). */
int hq_sim_event(hq_sim *s, const char *frame, size_t len, int64_t at_ms, hq_sim_result *res, hq_err *err);
/* As hq_sim_event, for an action replayed from a stored log (a backtest):
 * the timeline entries it writes for data.actor are marked with auth (the
 * mark the running state's timeline gave the same action: "key",
 * "via:<source>", "unauthenticated"), since the stored frame does not say
 * how the actor was proven.  auth NULL: hq_sim_event. */
int hq_sim_event_marked(hq_sim *s, const char *frame, size_t len, int64_t at_ms, const char *auth,
                        hq_sim_result *res, hq_err *err);
/* Commits what is pending. */
int hq_sim_flush(hq_sim *s, hq_err *err);
/* The write transaction in progress (begun if none), for reads. */
int hq_sim_txn(hq_sim *s, MDB_txn **txn, hq_err *err);

hq_store *hq_sim_store(hq_sim *s);
const char *hq_sim_dir(const hq_sim *s);
size_t hq_sim_timers_fired(const hq_sim *s);

#endif
