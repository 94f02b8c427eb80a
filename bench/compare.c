/* compare.c - hq-bench compare: the reference and houqind on the same load,
 * back to back, in one run.
 *
 * For every scenario (full speed with time-ordered ids, full speed with
 * random UUIDv4 ids, paced), first the reference consumer, then houqind:
 * each is started as a child on a fresh state directory under one temporary
 * directory and a free loopback port, probed until it answers (at most
 * 10 s), loaded, stopped with SIGTERM (at most 30 s, then SIGKILL) and its
 * directory removed.  Running the pair back to back keeps both sides of a
 * ratio within a minute of each other: absolute disk figures on the target
 * VM drift by 1.5x within an hour.
 *
 * Every wait is bounded.  Children die with this process
 * (PR_SET_PDEATHSIG); SIGINT/SIGTERM/SIGHUP kill the running child and
 * remove the temporary directory. */
#define _GNU_SOURCE /* nftw, wait4 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define START_TIMEOUT_S 10.0
#define STOP_TIMEOUT_S 30.0
#define STATUS_TIMEOUT_S 3.0
#define SETTLE_MS 1000

/* ---- state shared with the signal handler ---- */

static char g_tmp[160];             /* the temporary directory, "" when none */
static volatile pid_t g_child;      /* the running child, 0 when none */

static void on_fatal_signal(int sig)
{
    pid_t p = g_child;
    if (p > 0) {
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
    }
    if (g_tmp[0]) { /* fork, execv and waitpid are async-signal-safe */
        pid_t r = fork();
        if (r == 0) {
            char *av[] = {(char *)"rm", (char *)"-rf", (char *)"--", g_tmp, NULL};
            execv("/bin/rm", av);
            _exit(127);
        }
        if (r > 0)
            waitpid(r, NULL, 0);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigfillset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* ---- files ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Removes a directory tree (errors ignored: it is a temporary one). */
static void rm_tree(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Prints the last `max` bytes of a file, each line prefixed. */
static void print_tail(const char *path, const char *prefix, long max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > max)
        fseek(f, -max, SEEK_END);
    else
        fseek(f, 0, SEEK_SET);
    char line[1024];
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "%s%s%s", prefix, line, strchr(line, '\n') ? "" : "\n");
    fclose(f);
}

/* Names the file system of dir when it keeps data in memory only. */
static const char *memory_fs(const char *dir)
{
    struct statfs sf;
    if (statfs(dir, &sf) != 0)
        return NULL;
    if ((unsigned long)sf.f_type == 0x01021994ul)
        return "tmpfs";
    if ((unsigned long)sf.f_type == 0x858458f6ul)
        return "ramfs";
    return NULL;
}

/* A loopback TCP port that was free a moment ago, or -1. */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

/* ---- children ---- */

typedef struct child {
    pid_t pid;
    bool exited;
    int status;
    struct rusage ru;
} child;

/* Starts argv[0] with stdout and stderr going to the named files.
 * Returns 0, or -1 when fork failed. */
static int child_spawn(child *c, char *const argv[], const char *out, const char *err)
{
    memset(c, 0, sizeof *c);
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old); /* the handler must see g_child set */
    pid_t pid = fork();
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        return -1;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(127);
        close(fo);
        close(fe);
        execv(argv[0], argv);
        dprintf(2, "hq-bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    c->pid = pid;
    g_child = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

/* Collects the child's exit if it happened (or waits for it when block).
 * Returns true when the child has exited. */
static bool child_reap(child *c, bool block)
{
    if (c->exited)
        return true;
    pid_t r;
    while ((r = wait4(c->pid, &c->status, block ? 0 : WNOHANG, &c->ru)) < 0 && errno == EINTR)
        ;
    if (r == c->pid || (r < 0 && errno == ECHILD)) {
        c->exited = true;
        g_child = 0;
    }
    return c->exited;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* SIGTERM, then at most timeout_s for the exit, then SIGKILL.  Returns true
 * when the child exited by itself with status 0. */
static bool child_stop(child *c, double timeout_s)
{
    if (!child_reap(c, false)) {
        kill(c->pid, SIGTERM);
        int64_t deadline = hb_now_ns() + (int64_t)(timeout_s * 1e9);
        while (!child_reap(c, false) && hb_now_ns() < deadline)
            sleep_ms(10);
        if (!c->exited) {
            kill(c->pid, SIGKILL);
            child_reap(c, true);
            return false;
        }
    }
    return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

static void describe_exit(const child *c, char *buf, size_t n)
{
    if (!c->exited)
        snprintf(buf, n, "still running");
    else if (WIFEXITED(c->status))
        snprintf(buf, n, "exit status %d", WEXITSTATUS(c->status));
    else if (WIFSIGNALED(c->status))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(c->status));
    else
        snprintf(buf, n, "status 0x%x", c->status);
}

/* ---- talking to the server under test ---- */

static const msgpack_object *map_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, key, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

static bool get_uint_field(const msgpack_object *map, const char *key, uint64_t *out)
{
    const msgpack_object *o = map_get(map, key);
    if (!o || (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER))
        return false;
    *out = o->via.u64;
    return true;
}

/* Sends one frame on a fresh DEALER connected to ep and waits for one reply
 * frame (at most timeout_s; while waiting, a child that exits ends the wait).
 * On success the reply is left in *m (initialised by the caller, who closes
 * it; *root's strings point into it), unpacked into *root, and 0 returned;
 * otherwise -1 with err set. */
static int request(const char *ep, const void *frame, size_t len, double timeout_s, child *c,
                   zmq_msg_t *m, msgpack_zone *zone, msgpack_object *root, char *err, size_t errn)
{
    void *ctx = zmq_ctx_new(), *s = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    int zero = 0, rc = -1;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) || zmq_connect(s, ep) ||
        zmq_send(s, frame, len, 0) < 0) {
        snprintf(err, errn, "%s: %s", ep, zmq_strerror(errno));
        goto out;
    }
    int64_t deadline = hb_now_ns() + (int64_t)(timeout_s * 1e9);
    for (;;) {
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) > 0 && zmq_msg_recv(m, s, ZMQ_DONTWAIT) >= 0)
            break;
        if (c && child_reap(c, false)) {
            char why[64];
            describe_exit(c, why, sizeof why);
            snprintf(err, errn, "the server exited while starting (%s)", why);
            goto out;
        }
        if (hb_now_ns() > deadline) {
            snprintf(err, errn, "no reply from %s within %.0f s", ep, timeout_s);
            goto out;
        }
    }
    size_t off = 0;
    if (msgpack_unpack(zmq_msg_data(m), zmq_msg_size(m), &off, zone, root) != MSGPACK_UNPACK_SUCCESS ||
        root->type != MSGPACK_OBJECT_MAP) {
        snprintf(err, errn, "the reply from %s is not a msgpack map", ep);
        goto out;
    }
    rc = 0;
out:
    if (s)
        zmq_close(s);
    if (ctx)
        zmq_ctx_term(ctx);
    return rc;
}

/* Sends a probe event and waits for its reply.  Returns 0 when the server
 * stored it (or called it a duplicate), -1 otherwise (err says why). */
static int probe(const char *ep, child *c, char *err, size_t errn)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_zone zone;
    msgpack_object root;
    char id[48];
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_zone_init(&zone, 1024);
    int n = snprintf(id, sizeof id, "probe-%012" PRIx64 "-%d", (uint64_t)hb_wall_ms(), (int)getpid());
    hb_pack_event(&pk, id, (size_t)n, "hq-bench-probe", hb_wall_ms());
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc = request(ep, sb.data, sb.size, START_TIMEOUT_S, c, &m, &zone, &root, err, errn);
    if (rc == 0) {
        const msgpack_object *st = map_get(&root, "status"), *e = map_get(&root, "error");
        bool good = st && st->type == MSGPACK_OBJECT_STR &&
                    ((st->via.str.size == 6 && memcmp(st->via.str.ptr, "stored", 6) == 0) ||
                     (st->via.str.size == 9 && memcmp(st->via.str.ptr, "duplicate", 9) == 0));
        if (!good) {
            snprintf(err, errn, "the probe event was not stored: %.*s",
                     e && e->type == MSGPACK_OBJECT_STR ? (int)e->via.str.size : 20,
                     e && e->type == MSGPACK_OBJECT_STR ? e->via.str.ptr : "(no error text given)");
            rc = -1;
        }
    }
    zmq_msg_close(&m);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

typedef struct hq_status {
    bool ok;
    uint64_t stored, duplicate, rejected, batches;
} hq_status;

/* Asks houqind's control socket for `status` and keeps the counters. */
static void query_status(const char *ep, hq_status *st)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_zone zone;
    msgpack_object root;
    char err[HB_ERR_MAX];
    memset(st, 0, sizeof *st);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_zone_init(&zone, 1024);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str(&pk, 3);
    msgpack_pack_str_body(&pk, "cmd", 3);
    msgpack_pack_str(&pk, 6);
    msgpack_pack_str_body(&pk, "status", 6);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (request(ep, sb.data, sb.size, STATUS_TIMEOUT_S, NULL, &m, &zone, &root, err, sizeof err) == 0)
        st->ok = get_uint_field(&root, "stored", &st->stored) &&
                 get_uint_field(&root, "batches", &st->batches);
    if (st->ok) {
        get_uint_field(&root, "duplicate", &st->duplicate);
        get_uint_field(&root, "rejected", &st->rejected);
    }
    zmq_msg_close(&m);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- one side of one scenario ---- */

typedef struct scenario {
    const char *key, *title;
    hb_ids ids;
    bool paced;
} scenario;

static const scenario scenarios[] = {
    {"ordered", "full speed, time-ordered ids", HB_IDS_ORDERED, false},
    {"random", "full speed, random UUIDv4 ids", HB_IDS_RANDOM, false},
    {"paced", "paced, time-ordered ids", HB_IDS_ORDERED, true},
};
#define NSCEN (sizeof scenarios / sizeof *scenarios)

typedef struct side {
    bool ran, ok;
    hb_load_opts lo;
    hb_load_result load;
    bool have_batch;
    double batch_mean;    /* events per commit */
    double commit_share;  /* reference only: time in mdb_txn_commit; <0 unknown */
    double cpu_s;         /* user + system CPU of the server process */
    double rss_mib;       /* its peak resident memory */
    char note[HB_ERR_MAX];
} side;

/* The number after "key": in a JSON line, or -1. */
static double json_number(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

/* Reads the reference's statistics line from its stdout file. */
static void read_reference_stats(const char *path, side *sd)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    sd->commit_share = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "{\"mode\":\"reference\"", 19) != 0)
            continue;
        sd->batch_mean = json_number(line, "batch_mean");
        sd->commit_share = json_number(line, "commit_share");
        sd->have_batch = sd->batch_mean >= 0;
    }
    if (f)
        fclose(f);
}

typedef struct paths {
    char dir[192], state[224], out[224], err[224];
    char ep[64], ctl[240], pub[240];
} paths;

static int make_paths(const scenario *sc, bool hq, paths *p, char *err, size_t errn)
{
    int port = free_port();
    if (port < 0) {
        snprintf(err, errn, "no free loopback port: %s", strerror(errno));
        return -1;
    }
    snprintf(p->dir, sizeof p->dir, "%s/%s-%s", g_tmp, sc->key, hq ? "houqind" : "reference");
    if (mkdir(p->dir, 0700) != 0) {
        snprintf(err, errn, "%s: %s", p->dir, strerror(errno));
        return -1;
    }
    snprintf(p->state, sizeof p->state, "%s/state", p->dir);
    snprintf(p->out, sizeof p->out, "%s/stdout", p->dir);
    snprintf(p->err, sizeof p->err, "%s/stderr", p->dir);
    snprintf(p->ep, sizeof p->ep, "tcp://127.0.0.1:%d", port);
    snprintf(p->ctl, sizeof p->ctl, "ipc://%s/ctl", p->dir);
    snprintf(p->pub, sizeof p->pub, "ipc://%s/pub", p->dir);
    return 0;
}

/* Fills argv (at most 40 entries) for the server of this side. */
static void build_argv(const hb_compare_opts *o, bool hq, const paths *p, char **argv)
{
    int n = 0;
    if (!hq) {
        argv[n++] = (char *)o->self;
        argv[n++] = (char *)"reference";
        argv[n++] = (char *)"--endpoint";
        argv[n++] = (char *)p->ep;
        argv[n++] = (char *)"--state";
        argv[n++] = (char *)p->state;
    } else {
        const char *a[] = {o->houqind, "--state", p->state, "--ingest", p->ep, "--control", p->ctl,
                           "--publish", p->pub, "--schemas", o->schemas, "--rules", o->rules};
        for (size_t i = 0; i < sizeof a / sizeof *a; i++)
            argv[n++] = (char *)a[i];
        for (int i = 0; o->hq_args && o->hq_args[i] && n < 38; i++)
            argv[n++] = (char *)o->hq_args[i];
    }
    argv[n] = NULL;
}

static void set_load_opts(const hb_compare_opts *o, const scenario *sc, const char *ep, hb_load_opts *lo)
{
    *lo = (hb_load_opts){.endpoint = ep, .ids = sc->ids, .clients = o->clients,
                         .source = "hq-bench", .stall_s = 30};
    if (sc->paced) {
        lo->rate = o->rate;
        lo->window = o->paced_window;
        lo->events = o->paced_events ? o->paced_events : (uint64_t)(o->rate * 10);
    } else {
        lo->window = o->window;
        lo->events = o->events;
    }
    if (lo->events < lo->clients)
        lo->events = lo->clients;
}

/* Starts the server of one side, loads it, stops it, and fills sd. */
static void run_side(const hb_compare_opts *o, const scenario *sc, bool hq, side *sd)
{
    paths p;
    child c;
    char *argv[40];
    const char *name = hq ? "houqind" : "reference";
    memset(sd, 0, sizeof *sd);
    sd->ran = true;
    sd->commit_share = -1;
    set_load_opts(o, sc, p.ep, &sd->lo); /* p.ep is filled in just below */
    if (make_paths(sc, hq, &p, sd->note, sizeof sd->note)) {
        sd->lo.endpoint = NULL;
        return;
    }
    build_argv(o, hq, &p, argv);
    fprintf(stderr, "hq-bench: %s: %s on %s ...\n", sc->key, name, p.ep);
    if (child_spawn(&c, argv, p.out, p.err)) {
        snprintf(sd->note, sizeof sd->note, "fork: %s", strerror(errno));
        rm_tree(p.dir);
        sd->lo.endpoint = NULL;
        return;
    }
    hq_status before = {0}, after = {0};
    if (probe(p.ep, &c, sd->note, sizeof sd->note) == 0) {
        if (hq)
            query_status(p.ctl, &before);
        int rc = hb_load_run(&sd->lo, &sd->load);
        if (hq)
            query_status(p.ctl, &after);
        sd->ok = rc == 0;
        if (rc)
            snprintf(sd->note, sizeof sd->note, "load: %.200s", sd->load.error);
    }
    bool clean = child_stop(&c, STOP_TIMEOUT_S);
    if (!clean) {
        char why[64];
        describe_exit(&c, why, sizeof why);
        if (sd->ok)
            snprintf(sd->note, sizeof sd->note, "%s did not stop cleanly on SIGTERM (%s)", name, why);
        sd->ok = false;
    }
    sd->cpu_s = (double)c.ru.ru_utime.tv_sec + c.ru.ru_utime.tv_usec / 1e6 +
                (double)c.ru.ru_stime.tv_sec + c.ru.ru_stime.tv_usec / 1e6;
    sd->rss_mib = (double)c.ru.ru_maxrss / 1024.0;
    if (!hq) {
        read_reference_stats(p.out, sd);
    } else if (before.ok && after.ok && after.batches > before.batches) {
        uint64_t ev = (after.stored + after.duplicate + after.rejected) -
                      (before.stored + before.duplicate + before.rejected);
        sd->batch_mean = (double)ev / (double)(after.batches - before.batches);
        sd->have_batch = true;
    }
    if (!sd->ok) {
        fprintf(stderr, "hq-bench: %s: %s failed: %s\n", sc->key, name, sd->note);
        fprintf(stderr, "hq-bench: last lines of its stderr:\n");
        print_tail(p.err, "    | ", 3000);
    }
    rm_tree(p.dir);
    sd->lo.endpoint = NULL; /* it pointed into p */
    /* Let the removal and write-back settle, so that this side's leftovers
     * do not slow the next side down. */
    sync();
    sleep_ms(SETTLE_MS);
}

/* ---- printing ---- */

static double ratio(double a, double b) { return b > 0 ? a / b : 0; }

static void print_row(const char *name, const side *sd)
{
    char batch[16] = "n/a";
    if (sd->have_batch)
        snprintf(batch, sizeof batch, "%.1f", sd->batch_mean);
    if (!sd->ok && sd->load.acked == 0) {
        printf("  %-18s FAILED: %s\n", name, sd->note);
        return;
    }
    const hb_load_result *r = &sd->load;
    printf("  %-18s %10.0f %9.3f %9.3f %9.3f %9.3f %7s %7.2f %7.1f%s\n", name, r->events_per_s,
           r->p50_ms, r->p99_ms, r->p999_ms, r->max_ms, batch, sd->cpu_s, sd->rss_mib,
           sd->ok ? "" : "  (FAILED)");
    if (r->rejected)
        printf("  %-18s %" PRIu64 " rejected, first: %s\n", "", r->rejected, r->first_error);
}

static void print_scenario(const scenario *sc, const side *ref, const side *hq)
{
    const hb_load_opts *lo = &ref->lo;
    printf("\n== %s: %" PRIu64 " events, window %u, %u client(s)", sc->title, lo->events, lo->window,
           lo->clients);
    if (sc->paced)
        printf(", %.0f events/s scheduled; latency from the scheduled send", lo->rate);
    printf(" ==\n");
    printf("  %-18s %10s %9s %9s %9s %9s %7s %7s %7s\n", "", "events/s", "p50 ms", "p99 ms",
           "p99.9 ms", "max ms", "batch", "cpu s", "rss MiB");
    print_row("reference", ref);
    if (ref->commit_share >= 0)
        printf("  %-18s (time in commit: %.0f%% of the reference's active time)\n", "",
               100 * ref->commit_share);
    if (!hq->ran)
        return;
    print_row("houqind", hq);
    if (ref->ok && hq->ok)
        printf("  %-18s %9.2fx %8.2fx %8.2fx %8.2fx %8.2fx\n", "houqind/reference",
               ratio(hq->load.events_per_s, ref->load.events_per_s),
               ratio(hq->load.p50_ms, ref->load.p50_ms), ratio(hq->load.p99_ms, ref->load.p99_ms),
               ratio(hq->load.p999_ms, ref->load.p999_ms), ratio(hq->load.max_ms, ref->load.max_ms));
}

/* The bars of issue 2, as figures beside their thresholds. */
static void print_bars(const side res[][2], const bool *want)
{
    printf("\n== bars (issue 2; every ack durable, producer and daemon on this machine) ==\n");
    bool any = false;
    for (size_t i = 0; i < NSCEN; i++)
        any |= want[i] && res[i][1].ok && res[i][0].ok;
    if (!any)
        printf("  (no run has figures of both houqind and the reference)\n");
    if (want[0] && res[0][1].ok)
        printf("  houqind, time-ordered ids, full speed: %.0f events/s (bar >= 100000: %s; reference %.0f)\n",
               res[0][1].load.events_per_s, res[0][1].load.events_per_s >= 100000 ? "met" : "NOT met",
               res[0][0].load.events_per_s);
    if (want[1] && res[1][1].ok)
        printf("  houqind, random UUIDv4 ids, full speed: %.0f events/s (reported beside it; reference %.0f)\n",
               res[1][1].load.events_per_s, res[1][0].load.events_per_s);
    if (want[2] && res[2][1].ok && res[2][0].ok) {
        double r50 = ratio(res[2][1].load.p50_ms, res[2][0].load.p50_ms);
        printf("  paced: houqind p50 %.3f ms = %.2fx the reference's %.3f ms (bar <= 2x: %s)\n",
               res[2][1].load.p50_ms, r50, res[2][0].load.p50_ms, r50 <= 2 ? "met" : "NOT met");
        printf("  paced: p99 houqind %.3f ms beside the reference's %.3f ms\n", res[2][1].load.p99_ms,
               res[2][0].load.p99_ms);
    }
}

static void print_side_json(const side *sd)
{
    printf("{\"ok\":%s,", sd->ok ? "true" : "false");
    hb_load_print_json_members(stdout, &sd->lo, &sd->load);
    if (sd->have_batch)
        printf(",\"batch_mean\":%.2f", sd->batch_mean);
    if (sd->commit_share >= 0)
        printf(",\"commit_share\":%.4f", sd->commit_share);
    printf(",\"cpu_s\":%.3f,\"max_rss_mib\":%.1f,\"note\":", sd->cpu_s, sd->rss_mib);
    hb_json_str(stdout, sd->note, strlen(sd->note));
    printf("}");
}

static void print_json(const side res[][2], const bool *want)
{
    printf("{\"mode\":\"compare\",\"runs\":{");
    bool first = true;
    for (size_t i = 0; i < NSCEN; i++) {
        if (!want[i])
            continue;
        printf("%s\"%s\":{\"reference\":", first ? "" : ",", scenarios[i].key);
        first = false;
        print_side_json(&res[i][0]);
        if (res[i][1].ran) {
            const hb_load_result *h = &res[i][1].load, *r = &res[i][0].load;
            printf(",\"houqind\":");
            print_side_json(&res[i][1]);
            printf(",\"ratio\":{\"events_per_s\":%.4f,\"p50\":%.4f,\"p99\":%.4f,\"p999\":%.4f}",
                   ratio(h->events_per_s, r->events_per_s), ratio(h->p50_ms, r->p50_ms),
                   ratio(h->p99_ms, r->p99_ms), ratio(h->p999_ms, r->p999_ms));
        }
        printf("}");
    }
    printf("}}\n");
}

/* ---- main ---- */

/* Sets want[i] for every scenario named in the comma list.  Returns 0, or
 * -1 on an unknown name. */
static int parse_runs(const char *list, bool *want)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        for (; i < NSCEN; i++)
            if (strlen(scenarios[i].key) == n && strncmp(p, scenarios[i].key, n) == 0)
                break;
        if (i == NSCEN && n > 0) {
            fprintf(stderr, "hq-bench compare: --runs: unknown run \"%.*s\" (ordered, random, paced)\n",
                    (int)n, p);
            return -1;
        }
        if (n > 0)
            want[i] = true;
        p += n + (p[n] == ',');
    }
    return 0;
}

int hb_compare_main(const hb_compare_opts *o)
{
    bool want[NSCEN] = {0};
    if (parse_runs(o->runs, want))
        return 2;
    if (o->houqind && access(o->houqind, X_OK) != 0) {
        fprintf(stderr, "hq-bench compare: %s: %s\n", o->houqind, strerror(errno));
        return 2;
    }
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/hq-bench.XXXXXX", o->tmp);
    if (strlen(tmpl) >= sizeof g_tmp - 8) {
        fprintf(stderr, "hq-bench compare: --tmpdir %s: too long a path (ipc endpoints live there)\n", o->tmp);
        return 2;
    }
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "hq-bench compare: cannot create a directory in %s: %s\n", o->tmp, strerror(errno));
        return 1;
    }
    snprintf(g_tmp, sizeof g_tmp, "%s", tmpl);
    install_signals();
    const char *memfs = memory_fs(g_tmp);
    if (memfs)
        fprintf(stderr, "hq-bench: WARNING: %s is on %s: commits never reach a disk, the figures "
                        "say nothing about durable ingest (use --tmpdir on a disk)\n", g_tmp, memfs);
    printf("hq-bench compare: state under %s%s; server: %s\n", g_tmp, memfs ? " (IN MEMORY)" : "",
           o->houqind ? o->houqind : "the reference only (no --houqind)");
    fflush(stdout);

    side res[NSCEN][2];
    memset(res, 0, sizeof res);
    int failures = 0;
    for (size_t i = 0; i < NSCEN; i++) {
        if (!want[i])
            continue;
        run_side(o, &scenarios[i], false, &res[i][0]);
        failures += !res[i][0].ok;
        if (o->houqind) {
            run_side(o, &scenarios[i], true, &res[i][1]);
            failures += !res[i][1].ok;
        }
        print_scenario(&scenarios[i], &res[i][0], &res[i][1]);
        fflush(stdout);
    }
    if (o->houqind)
        print_bars(res, want);
    rm_tree(g_tmp);
    g_tmp[0] = 0;
    if (o->json)
        print_json(res, want);
    return failures ? 1 : 0;
}
