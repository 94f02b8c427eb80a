/* hqb.h - helpers shared by the rule, timer and schedule benchmarks
 * (hq-rules-bench, hq-timers-bench, hq-schedule-bench; see bench/README.md).
 *
 * Unlike hq-bench, these programs link libhouqin: they build rules
 * directories and states with the library itself (the engine, the store)
 * and measure the library in-process as well as houqind end to end.
 *
 *   files      rules directories written from the shipped registry files
 *   children   houqind and hq-bench as child processes that die with us
 *   /proc      CPU time, RssAnon, VmHWM, context switches of a process
 *   control    one request to houqind's control socket
 *   engine     the engine on a state in-process, as houqind's ingest
 *              applies an event (decode, dedup, engine, append)
 */
#ifndef HQB_H
#define HQB_H

#include "engine.h"
#include "rules.h"
#include "schema.h"
#include "store.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#define HQB_PATH 1024

/* ---- clocks, numbers ---- */

int64_t hqb_mono_ns(void);
int64_t hqb_wall_us(void);   /* CLOCK_REALTIME in microseconds */
/* Nearest-rank percentile of a sorted array (p in 0..100); 0 when n == 0. */
double hqb_pct(const double *sorted, size_t n, double p);
void hqb_sort(double *v, size_t n);
/* Median (sorts a copy); 0 when n == 0. */
double hqb_median(const double *v, size_t n);
double hqb_min(const double *v, size_t n);
double hqb_max(const double *v, size_t n);
/* "1000", "1k", "1M" -> value; -1 on a bad number. */
int hqb_parse_u64(const char *s, uint64_t *out);
/* A named rules directory of a benchmark (--set NAME=DIR). */
#define HQB_MAX_SETS 8
typedef struct hqb_set {
    char name[64];
    const char *dir; /* a view into the argument */
} hqb_set;
/* Appends NAME=DIR to sets[*n]; -1 (with a message) when malformed or full. */
int hqb_parse_set(const char *arg, hqb_set *sets, int *n);

/* ---- files ---- */

int hqb_mkdirs(const char *path);
/* rm -rf path (no error when absent). */
int hqb_rmtree(const char *path);
int hqb_copy_file(const char *src, const char *dst);
/* Copies a rules directory: every *.yaml below src, except rule tests
 * (*.test.yaml, folders named tests). */
int hqb_copy_rules(const char *src, const char *dst);
/* The registry files of a rules directory, without any rule: org.yaml,
 * escalation.yaml, contractors.yaml and calendar.yaml of src. */
int hqb_copy_registry(const char *src, const char *dst);
/* A new directory parent/prefixXXXXXX; the path is malloc'ed. */
char *hqb_mkdtemp(const char *parent, const char *prefix);
/* Bytes the file occupies on disk (st_blocks * 512), or -1. */
int64_t hqb_disk_bytes(const char *path);
/* Drops the file's pages from the page cache (a cold start for it). */
int hqb_drop_cache(const char *path);
/* Opens dir/name for writing (creates or truncates); NULL after a message. */
FILE *hqb_fopen_w(const char *dir, const char *name);

/* ---- child processes ---- */

/* Starts argv[0] with stdout to *out_fd (a pipe; NULL: inherit) and stderr
 * to stderr_path (NULL: inherit).  The child gets SIGTERM when we die. */
pid_t hqb_spawn(char *const argv[], int *out_fd, const char *stderr_path);
/* SIGTERM, then waits up to timeout_s (then SIGKILL).  Fills ru (may be
 * NULL) and returns the wait status, or -1. */
int hqb_stop(pid_t pid, double timeout_s, struct rusage *ru);
/* Waits for a child to exit on its own; returns the wait status. */
int hqb_wait(pid_t pid, struct rusage *ru);
/* Reads everything from fd into a malloc'ed string and closes fd. */
char *hqb_read_all(int fd);
/* The last line of s that starts with '{'. */
const char *hqb_last_json(const char *s);
/* A number member of a flat JSON object ("events_per_s":123.4). */
bool hqb_json_num(const char *json, const char *key, double *out);
/* Prints the last n lines of a file, each prefixed. */
void hqb_tail(FILE *f, const char *path, int n, const char *prefix);

/* ---- /proc ---- */

/* CPU seconds of pid so far, all threads: the scheduler's run time
 * (/proc/pid/task/N/schedstat, ns), else user + system (/proc/pid/stat). */
double hqb_proc_cpu_s(pid_t pid);
/* A "Name:  N kB" field of /proc/pid/status, in KiB; -1 when absent. */
long hqb_proc_kib(pid_t pid, const char *field);
/* The 1-minute load average (other work on the machine). */
double hqb_loadavg(void);
/* voluntary + involuntary context switches (wake-ups) of pid. */
long hqb_proc_ctxsw(pid_t pid);

/* ---- houqind ---- */

/* A free TCP port on 127.0.0.1. */
int hqb_free_port(void);

typedef struct hqb_hq {
    pid_t pid;
    char ingest[64];
    char control[HQB_PATH + 8];
    char publish[HQB_PATH + 8];
    char errlog[HQB_PATH];
    int64_t started_ns;
} hqb_hq;

/* Starts houqind on state (created if absent) with its sockets and log in
 * rundir.  extra: more arguments, NULL-terminated (may be NULL). */
int hqb_hq_start(hqb_hq *h, const char *houqind, const char *state, const char *rules, const char *schemas,
                 const char *rundir, const char *const *extra);

typedef struct hqb_status {
    double clock_ms, issues, timers, open_issues, stored, duplicate, rejected, batches, timers_fired, rules;
} hqb_status;

/* One {cmd: status} on the control socket; 0 or -1 (no answer in time). */
int hqb_status_get(void *zctx, const char *control, int timeout_ms, hqb_status *st);
/* Sends one sensor.reading to the ingest socket and waits for its reply;
 * 0 when it was stored or duplicate. */
int hqb_probe(void *zctx, const char *ingest, int timeout_ms);
/* Waits until houqind answers status (or exits, or timeout_s passes).
 * Returns 0 when ready. */
int hqb_hq_wait_ready(hqb_hq *h, void *zctx, double timeout_s);

/* ---- events ---- */

/* Packs a sensor.reading (SPEC 2 and 8) into sb (cleared first). */
void hqb_pack_reading(msgpack_sbuffer *sb, const char *id, const char *source, int64_t ts_ms, const char *sensor,
                      const char *kind, double value, const char *site);

/* ---- the engine in-process ---- */

/* Loads schemas and rules (printing every diagnostic) and sets the rules'
 * time zone.  Returns 0 or -1. */
int hqb_load(const char *schemas_dir, const char *rules_dir, hq_schemas **schemas, hq_rules **rules);

typedef struct hqb_eng {
    hq_store *store;
    hq_engine *engine;
    const hq_schemas *schemas;
    const hq_rules *rules;
    MDB_txn *txn;
    msgpack_zone zone;
    hq_event_limits lim;
    unsigned batch;       /* operations per commit */
    unsigned in_txn;
    uint64_t stored, duplicate, rejected, refused, opened;
} hqb_eng;

/* Opens (creates) a state in dir.  nosync: MDB_NOSYNC (a scratch state;
 * hqb_eng_close syncs before closing).  map_size: the initial map (no
 * growing: make it large enough). */
int hqb_eng_open(hqb_eng *e, const char *dir, const hq_schemas *schemas, const hq_rules *rules, uint64_t map_size,
                 bool nosync, unsigned batch, hq_err *err);
/* Applies one frame at now_ms as houqind's ingest does. */
int hqb_eng_event(hqb_eng *e, const char *frame, size_t len, int64_t now_ms, hq_err *err);
/* Fires every timer due at now_ms (in transactions of `batch` timers). */
int hqb_eng_fire(hqb_eng *e, int64_t now_ms, size_t *fired, hq_err *err);
/* Begins the write transaction if none is open. */
int hqb_eng_txn(hqb_eng *e, hq_err *err);
int hqb_eng_commit(hqb_eng *e, hq_err *err);
void hqb_eng_close(hqb_eng *e);

#endif
