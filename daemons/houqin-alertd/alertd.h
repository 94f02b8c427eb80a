/* alertd.h - houqin-alertd's shared state, split over main.c (options,
 * start-up, the loop), feed.c (subscription, replay, routing into the
 * queue), sched.c (lanes: what to deliver next, policies, results) and
 * send.c (the channels: libcurl multi for webhook and e-mail, posix_spawn
 * for commands, appends for files).
 *
 * One thread.  Everything waits in one zmq_poll over the SUB and control
 * sockets, a signalfd, libcurl's sockets and command pipes, so a slow or
 * failing sink never blocks anything but its own lane.
 */
#ifndef ALERTD_H
#define ALERTD_H

#include "alert_config.h"
#include "alert_policy.h"
#include "alert_queue.h"
#include "alert_render.h"
#include "alert_route.h"
#include "buf.h"
#include "rules.h"
#include "schema.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <zmq.h>

typedef struct alertd_opts {
    const char *rules_dir, *schemas_dir, *state_dir; /* --rules (or --config), --schemas, --state */
    const char *subscribe_ep, *control_ep;           /* --subscribe, --control */
    bool follow_clock;
    bool check_only;
    bool probe;           /* --probe: --check, and connect to every server */
    unsigned max_in_flight;
    bool verbose;
} alertd_opts;

/* A lane: one (recipient, channel).  Its deliveries go in seq order among
 * those of one issue: a failing or hanging one holds back only later
 * deliveries of its own issue that are not more severe, never another
 * issue's and never another lane (sched.c, docs/alertd.md).  Several may
 * be in flight at once: one non-urgent and two urgent ones. */
typedef struct lane {
    char recipient[HQ_RECIPIENT_MAX + 16];
    char channel[HQ_CHANNEL_NAME_MAX + 1];
    uint64_t hash;
    uint64_t *flying;     /* seqs in flight, or failed with the failure not yet committed */
    size_t nfly, capfly;
    bool dirty;           /* look at it again now */
    bool capped;          /* waiting for a free in-flight slot */
    int64_t wake_policy;  /* policy-clock time to look again (INT64_MAX: none) */
    int64_t wake_wall;    /* wall-clock time to look again (after a read error) */
    hq_rate rate;
    uint64_t *uncommitted; /* delivered, result not yet committed: skip them */
    size_t nunc, capunc;
} lane;

/* A delivery in flight, and then its result. */
typedef struct xfer {
    struct xfer *next;
    hq_delivery d;
    char key[256];
    hq_channel_type type;
    hq_webhook_format format;
    bool private_to;      /* the complainant: keep transport errors generic */
    char channel_name[HQ_CHANNEL_NAME_MAX + 1];
    /* libcurl */
    CURL *easy;
    struct curl_slist *headers, *rcpt;
    hq_buf payload;
    size_t sent;          /* e-mail upload position; command stdin position */
    char resp[512];
    size_t resp_len;
    char errbuf[CURL_ERROR_SIZE];
    /* command */
    pid_t pid;
    int fd_in;
    int64_t deadline_mono;
    bool killed;
    /* result */
    bool ok, permanent;
    char error[256];
} xfer;

typedef struct ctl_state {
    void *sock;
    int pending;          /* 0 idle, 1 status, 2 outbox.range */
    int64_t sent_mono;
    int64_t retry_mono;   /* do not ask before this */
    uint64_t from;        /* outbox.range: what was asked */
    bool complained;      /* "no answer" logged for this outage */
    bool asked_status;    /* the start-up status request went out */
} ctl_state;

typedef struct pending_rec {
    uint64_t seq;
    char *bytes;          /* NULL: pruned by houqind (skip it, loudly) */
    size_t len;
} pending_rec;

typedef struct alertd {
    alertd_opts opts;
    hq_schemas *schemas;
    hq_rules *rules;
    hq_alert_config *cfg;
    hq_alert_queue *q;
    void *zctx, *sub;
    ctl_state ctl;
    bool stopping;

    /* the feed */
    uint64_t cursor;      /* committed: every record <= cursor is routed */
    uint64_t known_last;  /* the highest seq houqind is known to have */
    int64_t clock_ms;     /* --clock follow: houqind's clock as last seen */
    bool warned_behind;
    pending_rec *batch;   /* records cursor+1.. in order, to route */
    size_t nbatch, capbatch;

    /* lanes and deliveries */
    lane **lanes;
    size_t nlanes, caplanes;
    xfer *inflight;       /* list */
    unsigned ninflight;
    xfer *done;           /* results to commit */
    size_t ndone;
    int64_t done_since_mono; /* when the oldest of them came */
    CURLM *multi;
    zmq_pollitem_t *cfds; /* libcurl's sockets */
    size_t ncfds, capcfds;
    int64_t curl_due_mono; /* libcurl's timer (INT64_MAX: none) */

    int64_t watch_next_ms; /* policy clock: the earliest watch due (INT64_MAX: none) */

    /* counters */
    uint64_t n_routed, n_delivered, n_failed, n_dead, n_replays, n_gaps, n_undecodable, n_pruned;
} alertd;

/* main.c */
int64_t alertd_policy_now(const alertd *a);
int alertd_reload(alertd *a);

/* feed.c */
int feed_open(alertd *a);
void feed_close(alertd *a);
/* Reads what the SUB socket has (bounded). */
void feed_on_sub(alertd *a);
/* Reads a control reply. */
void feed_on_ctl(alertd *a);
/* Asks for what is missing, handles control timeouts. */
void feed_tick(alertd *a);
/* Routes the batch (a->nbatch > 0) into the queue inside txn and moves
 * the cursor past it; all[i] receives record i's routes (the caller
 * zero-inits the array). */
int feed_route_txn(alertd *a, MDB_txn *txn, hq_routes *all, hq_err *err);
/* After the commit (or its failure): moves the in-memory cursor, marks
 * lanes, logs problems, empties the batch and frees all[]'s routes. */
void feed_after_commit(alertd *a, hq_routes *all, bool committed, const char *why);

/* sched.c */
/* The person of the organisation with this id, or NULL. */
const hq_person *alertd_person(const hq_rules *r, const char *id);
lane *lane_get(alertd *a, const char *recipient, const char *channel, bool create);
int sched_load_lanes(alertd *a);
/* Frees every lane (at exit). */
void sched_free_lanes(alertd *a);
/* Starts what is due; returns the poll timeout in ms it wants. */
long sched_run(alertd *a);

/* probe.c: connects to each SMTP server (greeting 220) and sends a HEAD to
 * each webhook of the configuration, bounded by the channels' timeouts (at
 * most 5 s to connect, 10 s in all).  Adds each failure to problems and,
 * when passed is not NULL, each success to passed, at the address's
 * file:line:column.  Returns the number of failures. */
size_t alertd_probe(const alertd *a, hq_diags *problems, hq_diags *passed);
/* A transfer finished (called by send.c and for failures found before
 * sending): a delivered one frees its lane at once (its seq is skipped
 * until the result is committed), a failed one keeps the lane until then. */
void sched_on_result(alertd *a, xfer *x);
/* Whether the results in a->done are due for a commit: 512 of them, the
 * oldest 10 ms old, or force. */
bool sched_results_due(const alertd *a, bool force);
/* Records the results in a->done inside txn. */
int sched_results_txn(alertd *a, MDB_txn *txn, int64_t wall, hq_err *err);
/* After the commit: logs, frees the transfers, wakes their lanes. */
void sched_after_commit(alertd *a, int64_t wall);

/* failover.c */
int failover_load(alertd *a);
/* Inside the routing txn: watches the people rec was routed to, and passes
 * it on at once for people without channels. */
int failover_after_route_txn(alertd *a, MDB_txn *txn, const hq_alert_rec *r, const char *rec, size_t len,
                             const hq_routes *routes, hq_err *err);
/* Inside the results txn, after the delivery's own result is recorded. */
int failover_on_result_txn(alertd *a, MDB_txn *txn, const hq_delivery *d, bool ok, const char *error, hq_err *err);
/* Fires the watches that are due (its own write transaction). */
void failover_run(alertd *a);

/* send.c */
int send_init(alertd *a);
void send_fini(alertd *a);
/* Starts x (filled with delivery, key and payload); on a synchronous
 * result (file, or a failure to start) x goes to a->done at once. */
void send_start(alertd *a, xfer *x, const hq_channel *ch, const char *to);
/* Poll items of libcurl sockets and command pipes: appended to items. */
size_t send_pollitems(alertd *a, zmq_pollitem_t *items, size_t max);
/* After zmq_poll: drives the transfers whose items fired. */
void send_on_poll(alertd *a, const zmq_pollitem_t *items, size_t n);
/* Reaps exited commands (after SIGCHLD), kills overdue ones, drives
 * libcurl's timer. */
void send_tick(alertd *a);
long send_timeout_ms(alertd *a);
/* Aborts everything in flight (at stop): results are not recorded, so
 * the deliveries stay pending and are tried again after a restart. */
void send_abort_all(alertd *a);
void xfer_free(xfer *x);

#endif
