/* houqind.h - the daemon's shared state, split over main.c (options,
 * start-up, the loop), ingest.c (group commit of events) and control.c
 * (the control socket). */
#ifndef HOUQIND_H
#define HOUQIND_H

#include "allowlist.h"
#include "clock.h"
#include "ratelimit.h"
#include "engine.h"
#include "rules.h"
#include "event.h"
#include "schema.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct hq_daemon_opts {
    const char *state_dir, *rules_dir, *schemas_dir; /* --state, --rules, --schemas */
    const char *ingest_ep, *publish_ep, *control_ep; /* --ingest, --publish, --control */
    bool manual_clock;
    const char *clock_start;  /* --clock manual@TIME, or NULL */
    int64_t clock_start_ms;   /* ... parsed after the rules set the zone */
    bool check_only;
    uint64_t map_size;
    unsigned max_batch;
    hq_event_limits limits;
    int hard_max_bytes;  /* ZMQ_MAXMSGSIZE: above it the peer is dropped */
    bool verbose;
    const char *curve_key;   /* the server's key file: CURVE on the ingest socket */
    const char *allow_file;  /* producers' keys, sources and types */
    bool allow_remote;       /* bind a non-loopback address without CURVE */
    double rate_per_s;       /* per-source token bucket; 0 = no limit */
    double rate_burst;
    int64_t ledger_head_ms;  /* send the ledger's head hash this often; 0 = never */
    const char *control_keys; /* administrators' keys: CURVE on the control socket */
} hq_daemon_opts;

typedef struct hq_batch hq_batch;
struct hq_prune;

/* Refusals of actions (perm.h), counted by reason and by source for
 * status and houqinctl stats; the log of them is rate-limited. */
#define HQ_REFUSAL_SOURCES 64
typedef struct hq_refusals {
    uint64_t by_reason[HQ_PERM_REASON_COUNT];
    struct {
        char source[65];
        uint64_t n;
    } by_source[HQ_REFUSAL_SOURCES];
    size_t nsources;
    uint64_t other_sources;    /* sources beyond the first HQ_REFUSAL_SOURCES */
    int64_t log_window_ms;     /* the start of the current one-second log window */
    unsigned logged_in_window;
    uint64_t not_logged;       /* refusals not logged since the last line */
} hq_refusals;

typedef struct hq_daemon {
    hq_daemon_opts opts;
    hq_store *store;
    hq_schemas *schemas;
    hq_rules *rules;
    hq_engine *engine;
    hq_clock clock;
    int64_t next_due_ms;     /* the next timer's due time, INT64_MAX when none */
    int64_t next_gen_ms;     /* manual clock: the next daily generation of obligations */
    uint64_t outbox_last;    /* the last outbox seq published */
    void *zctx;
    void *ingest;
    void *control;
    void *publish;
    hq_batch *batch;
    void *zap;               /* the ZAP handler (REP on inproc://zeromq.zap.01) */
    hq_allowlist *allow;     /* NULL when CURVE is off */
    hq_ratelimit *rate;
    bool stopping;
    bool unavailable;        /* storage failed: reject until a commit works */
    /* counters for status */
    uint64_t n_stored, n_duplicate, n_rejected, n_batches, n_replies_dropped, n_timers, n_opened;
    int64_t started_ms;
    int64_t rules_loaded_ms;   /* wall clock: when the rule set in force was loaded */
    int64_t reload_refused_ms; /* wall clock of the last refused reload since then, 0 if none */
    char reload_error[640];    /* its message, with the first error */
    hq_allowlist *admins;    /* administrators (--control-keys); NULL when the control socket has no CURVE */
    char curve_secret[41];   /* the server's CURVE secret key (Z85), "" without --curve-key */
    hq_refusals refusals;
    struct hq_prune *prune;  /* the retention run (retain.c) */
    int64_t retain_last_step_ms;
} hq_daemon;

/* ZAP domains: the handler tells the two CURVE sockets apart by these. */
#define HQ_ZAP_DOMAIN_INGEST "houqin"
#define HQ_ZAP_DOMAIN_CONTROL "houqin-control"
/* The ZAP User-Id of a staff member's key (staff_keys of the rules):
 * this prefix and the person id. */
#define HQ_STAFF_USER_PREFIX "person:"
/* The ZAP User-Id of an administrator on the control socket: this prefix
 * and the name from --control-keys. */
#define HQ_ADMIN_USER_PREFIX "admin:"

/* ingest.c */
int hq_ingest_init(hq_daemon *d);
void hq_ingest_fini(hq_daemon *d);
/* Takes every ready message (up to max_batch), applies them in one write
 * transaction, commits, then replies.  Returns 0, or HQ_EPANIC when the
 * store is unusable (the caller exits without replying). */
int hq_ingest_batch(hq_daemon *d);

/* Fires every timer due at the clock's now, in bounded batches (each one
 * transaction), publishing what they wrote (clock.advance). */
int hq_ingest_timers(hq_daemon *d);
/* Fires one bounded batch of due timers in one transaction (*fired of
 * them), so that the main loop serves ingest between batches.  Returns 0,
 * HQ_EPANIC, or -1 when the batch failed (logged). */
int hq_ingest_timers_step(hq_daemon *d, size_t *fired);
/* After a reload: drops future obligations and generates them anew. */
int hq_ingest_regenerate(hq_daemon *d);
/* Generates obligations ahead (a 14-day horizon) in one transaction. */
int hq_ingest_generate(hq_daemon *d);
/* Moves a manual clock forward to ms the way the rule-test simulator
 * does (lib/replay/sim.c): obligations are generated once per simulated
 * day from the clock's start, and every timer fires at its own due time,
 * in due order, stamped with it; a jump of any length is a sequence of
 * those steps, each its own transaction (bounded memory).  Returns 0, or
 * -1 when timers could not be applied (logged). */
int hq_clock_move(hq_daemon *d, int64_t ms);
/* Sets a manual clock to any time, earlier too, on a state that holds no
 * event (SPEC §8): the expected events not yet due are dropped and
 * generated again from ms; issues that scheduled rules opened meanwhile
 * stay (they are the record of what happened).  Returns 0, or HQ_ESTATE
 * with the reason in msg when the state holds an event. */
int hq_clock_reset(hq_daemon *d, int64_t ms, char *msg, size_t size);
/* Writes the manual clock into the state (a restart resumes from it). */
int hq_ingest_save_clock(hq_daemon *d);
/* The same, inside the caller's write transaction. */
int hq_ingest_save_clock_txn(hq_daemon *d, MDB_txn *txn, hq_err *err);
/* Refreshes next_due_ms from the store. */
void hq_ingest_refresh_due(hq_daemon *d);
/* Publishes outbox records (first..last] that are new, then a heartbeat. */
void hq_publish_outbox(hq_daemon *d, uint64_t first, uint64_t last);
void hq_publish_heartbeat(hq_daemon *d);

/* main.c: reloads the rules; a rule set that does not validate is refused
 * and the running one stays.  Returns 0 or the number of errors. */
int hq_daemon_reload(hq_daemon *d, char *msg, size_t size);

/* main.c: answers pending ZAP requests (CURVE handshakes). */
void hq_zap_handle(hq_daemon *d);

/* actor.c: who acts (SPEC §6a) */
/* For an event of an action type (hq_perm_action_of_type >= 0) received on
 * a connection with ZAP user id user_id (NULL without CURVE): checks that
 * the transport may name data.actor (a staff key only its own person, a
 * producer only with on_behalf), decides pii_export (no issue involved),
 * and sets ev->auth.  Returns HQ_PERM_OK, or the reason with msg set. */
hq_perm_reason hq_actor_check(const hq_daemon *d, const char *user_id, hq_event *ev, hq_perm_action a, char *msg,
                              size_t size);
/* Counts a refusal by reason and source, and logs it (at most a few
 * lines a second; the rest are counted and summed up in the next line). */
void hq_refusal_note(hq_daemon *d, hq_perm_reason r, const hq_event *ev, const char *msg);
/* Cross-checks the rule set's staff keys and the key lists: a key is one
 * person's, one producer's or one administrator's; on_behalf roles exist.
 * Problems go to diags. */
void hq_actor_check_keys(const hq_rules *rules, const hq_allowlist *allow, const hq_allowlist *admins,
                         hq_diags *diags);
/* retain.c: the retention run between ingest batches (lib/state/prune.h). */
int hq_retain_init(hq_daemon *d);
void hq_retain_fini(hq_daemon *d);
/* One bounded step when one is due (idle: the loop had nothing else to
 * do; otherwise at most one step per 20 ms).  *more while the run has
 * work left.  Returns HQ_EPANIC when the store is unusable, else 0 (other
 * failures are logged and the run is retried after `every`). */
int hq_retain_step(hq_daemon *d, bool idle, bool *more);
/* Starts a run now; with wait, runs it to the end before returning
 * (control command retention.run).  -1 when the run failed. */
int hq_retain_run(hq_daemon *d, bool wait);
/* The "retention" member of the status reply: sizes, and the run. */
struct msgpack_packer;
void hq_retain_pack_status(hq_daemon *d, struct msgpack_packer *pk);

/* control.c */
/* Handles every ready control request. */
int hq_control_handle(hq_daemon *d);

#endif
