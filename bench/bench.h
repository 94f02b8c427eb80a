/* bench.h - hq-bench: the ingest benchmark of houqind.
 *
 * Three parts, one per file:
 *   load.c       the load generator (DEALER clients with a window of
 *                un-acked events, full speed or paced, latency per event);
 *   reference.c  the bare reference consumer (ROUTER, decode, three LMDB
 *                puts per event, group commit, durable ack);
 *   compare.c    one run that measures the reference and houqind back to
 *                back and prints houqind's figures as ratios to it.
 * hq_bench.c holds main(), the option parsing and the small helpers below.
 *
 * The bench is self-contained on libzmq, msgpack-c and LMDB: it does not
 * link libhouqin, so it builds while the library is being changed. */
#ifndef HQ_BENCH_H
#define HQ_BENCH_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HB_ID_MAX 64       /* SPEC 2: ids are 1..64 bytes */
#define HB_ERR_MAX 256

/* ---- helpers (hq_bench.c) ---- */

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t hb_now_ns(void);
/* CLOCK_REALTIME in milliseconds since the Unix epoch. */
int64_t hb_wall_ms(void);
/* Writes s as a JSON string literal (quotes and escapes included). */
void hb_json_str(FILE *f, const char *s, size_t n);
/* Parses a non-negative decimal integer with an optional k/M suffix
 * (1000, 1000000).  Returns 0, or -1 when s is not such a number. */
int hb_parse_u64(const char *s, uint64_t *out);
/* Parses a non-negative finite decimal number.  Returns 0 or -1. */
int hb_parse_double(const char *s, double *out);

/* ---- load generator (load.c) ---- */

/* Packs one sensor.reading event (SPEC 2 and 8: sensor cs-001, kind
 * cold_storage_temp, value 4.5 C, site canteen-1) with this envelope. */
void hb_pack_event(msgpack_packer *pk, const char *id, size_t idlen, const char *source,
                   int64_t ts_ms);

typedef enum { HB_IDS_ORDERED, HB_IDS_RANDOM } hb_ids;

typedef struct hb_load_opts {
    const char *endpoint;  /* where houqind (or the reference) listens */
    uint64_t events;       /* total over all clients, >= clients */
    unsigned window;       /* un-acked events in flight per client, >= 1 */
    double rate;           /* total events/s over all clients; 0 = full speed */
    hb_ids ids;
    unsigned clients;      /* threads, each with its own DEALER */
    const char *source;    /* the envelope's source */
    double stall_s;        /* give up when no reply came for this long */
    int64_t id_ms;         /* fixed ts and ordered-id time part; 0 = the clock */
    uint64_t seed;         /* random ids: fixed seed (+ client index); 0 = random */
} hb_load_opts;

typedef struct hb_load_result {
    uint64_t sent, acked, stored, duplicate, rejected;
    uint64_t unmatched;    /* replies whose id was not in flight */
    uint64_t bad_replies;  /* replies that were not a well-formed map */
    uint64_t lost;         /* events without a reply when the run ended */
    double seconds;        /* first scheduled send to last reply */
    double events_per_s;   /* acked / seconds */
    double p50_ms, p99_ms, p999_ms, max_ms, mean_ms;
    double max_send_lag_ms; /* paced: latest send behind its schedule */
    uint64_t late_sends;   /* paced: sends more than 1 ms behind schedule */
    char first_error[HB_ERR_MAX]; /* the first "rejected" reply's error */
    int failed;            /* non-zero: the run did not complete */
    char error[HB_ERR_MAX];
} hb_load_result;

/* Runs the load described by o and fills r.  Returns 0 when every event got
 * a reply, -1 otherwise (r->error says why; the figures cover what was
 * acknowledged).  Prints nothing. */
int hb_load_run(const hb_load_opts *o, hb_load_result *r);
/* Prints r as a few human lines, each prefixed by label. */
void hb_load_print(FILE *f, const char *label, const hb_load_opts *o, const hb_load_result *r);
/* Prints r as the members of a JSON object (no braces) on one line. */
void hb_load_print_json_members(FILE *f, const hb_load_opts *o, const hb_load_result *r);

/* ---- reference consumer (reference.c) ---- */

typedef struct hb_ref_opts {
    const char *endpoint;
    const char *state;     /* LMDB environment directory, created if absent */
    uint64_t exit_after;   /* exit once this many events were stored; 0 = never */
    unsigned max_batch;    /* messages taken per commit, at most */
    uint64_t map_size;     /* LMDB map size in bytes */
} hb_ref_opts;

/* Runs the reference consumer until SIGINT/SIGTERM or exit_after, then
 * prints its batch statistics (a human line to stderr and a JSON line to
 * stdout).  Returns the process exit status. */
int hb_reference_main(const hb_ref_opts *o);

/* ---- compare (compare.c) ---- */

typedef struct hb_compare_opts {
    const char *houqind;   /* path of the daemon; NULL = reference only */
    const char *schemas;
    const char *rules;
    const char *tmp;       /* parent of the temporary directory */
    const char *self;      /* path of this executable (for the reference child) */
    uint64_t events;       /* per full-speed run */
    uint64_t paced_events; /* per paced run; 0 = 10 s at the rate */
    double rate;           /* the paced run's rate */
    unsigned window;       /* full-speed window */
    unsigned paced_window;
    unsigned clients;
    const char *runs;      /* comma list of ordered,random,paced */
    const char **hq_args;  /* extra houqind arguments, NULL-terminated */
    bool json;
} hb_compare_opts;

/* Runs the comparison and prints the figures.  Returns the exit status. */
int hb_compare_main(const hb_compare_opts *o);

#endif
