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
    const char *state_dir;
    const char *rules_dir;
    const char *schemas_dir;
    const char *ingest_ep;
    const char *publish_ep;
    const char *control_ep;
    bool manual_clock;
    const char *clock_start;  /* --clock manual@TIME, or NULL */
    int64_t clock_start_ms;   /* ... parsed after the rules set the zone */
    bool check_only;
    uint64_t map_size;
    unsigned max_batch;
    hq_event_limits limits;
    int hard_max_bytes;  /* ZMQ_MAXMSGSIZE: above it the peer is dropped */
    int verbose;
    const char *curve_key;   /* the server's key file: CURVE on the ingest socket */
    const char *allow_file;  /* producers' keys, sources and types */
    bool allow_remote;       /* bind a non-loopback address without CURVE */
    double rate_per_s;       /* per-source token bucket; 0 = no limit */
    double rate_burst;
    int64_t ledger_head_ms;  /* send the ledger's head hash this often; 0 = never */
    const char *control_keys; /* administrators' keys: CURVE on the control socket */
} hq_daemon_opts;

typedef struct hq_batch hq_batch;

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
} hq_daemon;

/* ZAP domains: the handler tells the two CURVE sockets apart by these. */
#define HQ_ZAP_DOMAIN_INGEST "houqin"
#define HQ_ZAP_DOMAIN_CONTROL "houqin-control"
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

/* control.c */
/* Handles every ready control request. */
int hq_control_handle(hq_daemon *d);

#endif
