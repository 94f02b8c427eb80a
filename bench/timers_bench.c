/* hq-timers-bench: one million pending timers (issue 3's benchmark; see
 * bench/README.md).
 *
 *   hq-timers-bench rulesdir --from RULES --out DIR
 *       DIR/build: the registry files of RULES and the rule bench.timer
 *       (a sensor.reading of a tm- sensor opens one issue per sensor, due
 *       in 30 days, on the standard chain: a deadline timer and two
 *       escalation timers per issue).  DIR/run: the shipped rules (tests
 *       left out) and bench.timer, for houqind.
 *
 *   hq-timers-bench build --state DIR --schemas S --rules DIR/build --issues N [--batch B]
 *       Opens N issues in a new state in-process (the engine, as ingest
 *       would, commits of B events without fsync, one sync at the end).
 *       Their deadlines are spread over 20 days starting 3 days from now,
 *       so none comes due during the runs below.
 *
 *   hq-timers-bench run --houqind P --hq-bench P --state DIR --schemas S --add-rules DIR/build
 *                       --rules DIR/run [--due-rate R] [--due-seconds T] [--rate E] [--starts N]
 *       1. Start-up: houqind on the state, N times (every other one after
 *          dropping the state file from the page cache): the time to its
 *          first ingest reply, then to its first status reply, and RssAnon.
 *       2. Firing lag: adds R*T issues whose deadlines come due at R/s from
 *          a few seconds after start, starts houqind (real clock), sends E
 *          events/s (`hq-bench load --rate E`) meanwhile, and takes every
 *          "overdue" outbox record off the publish socket: the lag is the
 *          time from the deadline to the record's arrival (committed and
 *          published), and to its ts_ms (the daemon's clock when it fired).
 *          RssAnon is sampled every 100 ms.
 */
#include "hqb.h"

#include "clock.h"
#include "mp.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define DAY_MS 86400000LL
#define DEADLINE_MS (30 * DAY_MS)

static const char timer_rule[] =
    "# written by hq-timers-bench rulesdir: one issue per tm- sensor, each with a\n"
    "# deadline timer and two escalation timers (the standard chain).\n"
    "rules:\n"
    "  - id: bench.timer\n"
    "    description: hq-timers-bench issue\n"
    "    on: sensor.reading\n"
    "    when: {field: data.sensor, prefix: \"tm-\"}\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue:\n"
    "      title: \"timer bench {{data.sensor}}\"\n"
    "      description: \"reading {{data.value}}{{data.unit}} at {{data.site}}\"\n"
    "      domain: catering\n"
    "      category: bench\n"
    "      severity: low\n"
    "      deadline: 30d\n"
    "      chain: standard\n";

static int write_rule(const char *dir)
{
    FILE *f = hqb_fopen_w(dir, "bench-timers.yaml");
    if (!f)
        return -1;
    fputs(timer_rule, f);
    return fclose(f);
}

static int cmd_rulesdir(int argc, char **argv)
{
    const char *from = "rules", *out = NULL;
    static const struct option lo[] = {{"from", 1, NULL, 'f'}, {"out", 1, NULL, 'o'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 'o': out = optarg; break;
        default: return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "usage: hq-timers-bench rulesdir --from RULES --out DIR\n");
        return 2;
    }
    char b[HQB_PATH], r[HQB_PATH];
    snprintf(b, sizeof b, "%s/build", out);
    snprintf(r, sizeof r, "%s/run", out);
    if (hqb_copy_registry(from, b) || write_rule(b) || hqb_copy_rules(from, r) || write_rule(r))
        return 1;
    printf("rulesdir: %s (registry + bench.timer), %s (shipped rules + bench.timer)\n", b, r);
    return 0;
}

/* Opens issues tm-<tag>-<i> for i in [0, n), issue i due at due(i). */
typedef int64_t (*due_fn)(void *ctx, uint64_t i);

static int open_issues(hqb_eng *e, const char *tag, uint64_t n, due_fn due, void *ctx, bool progress, hq_err *err)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = 0;
    int64_t t0 = hqb_mono_ns();
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        char id[64];
        snprintf(id, sizeof id, "tm-%s-%08llu", tag, (unsigned long long)i);
        int64_t now = due(ctx, i) - DEADLINE_MS;
        hqb_pack_reading(&sb, id, "hq-timers-bench", now, id, "cold_storage_temp", 4.5, "canteen-1");
        rc = hqb_eng_event(e, sb.data, sb.size, now, err);
        if (progress && (i + 1) % 100000 == 0)
            fprintf(stderr, "build: %llu issues, %.1f s\n", (unsigned long long)(i + 1),
                    (hqb_mono_ns() - t0) / 1e9);
    }
    if (rc == 0)
        rc = hqb_eng_commit(e, err);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

typedef struct spread {
    int64_t from;
    double step;
} spread;

static int64_t spread_due(void *ctx, uint64_t i)
{
    spread *s = ctx;
    return s->from + (int64_t)((double)i * s->step);
}

static void print_counts(hqb_eng *e, const char *state)
{
    MDB_txn *txn;
    hq_store_stats st;
    hq_err err;
    if (hq_store_begin(e->store, false, &txn, &err) == 0) {
        if (hq_store_stats_get(e->store, txn, &st, &err) == 0) {
            char p[HQB_PATH];
            snprintf(p, sizeof p, "%s/data.mdb", state);
            printf("state: %llu events, %llu issues, %llu pending timers, %llu outbox records; %.0f MiB used, "
                   "data.mdb %.0f MiB on disk\n",
                   (unsigned long long)st.entries[HQ_DB_EVENTS], (unsigned long long)st.entries[HQ_DB_ISSUES],
                   (unsigned long long)st.entries[HQ_DB_TIMERS], (unsigned long long)st.entries[HQ_DB_OUTBOX],
                   st.used_bytes / 1048576.0, hqb_disk_bytes(p) / 1048576.0);
        }
        hq_store_abort(e->store, txn);
    }
}

static int cmd_build(int argc, char **argv)
{
    const char *state = NULL, *schemas_dir = "schemas", *rules_dir = NULL;
    uint64_t issues = 1000000, batch = 20000;
    static const struct option lo[] = {{"state", 1, NULL, 'd'}, {"schemas", 1, NULL, 's'}, {"rules", 1, NULL, 'r'},
                                       {"issues", 1, NULL, 'n'}, {"batch", 1, NULL, 'b'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': state = optarg; break;
        case 's': schemas_dir = optarg; break;
        case 'r': rules_dir = optarg; break;
        case 'n':
            if (hqb_parse_u64(optarg, &issues) || issues < 1)
                return 2;
            break;
        case 'b':
            if (hqb_parse_u64(optarg, &batch) || batch < 1)
                return 2;
            break;
        default: return 2;
        }
    }
    if (!state || !rules_dir) {
        fprintf(stderr, "usage: hq-timers-bench build --state DIR --schemas S --rules DIR/build --issues N\n");
        return 2;
    }
    hq_schemas *schemas;
    hq_rules *rules;
    if (hqb_load(schemas_dir, rules_dir, &schemas, &rules) != 0)
        return 1;
    hqb_eng e;
    hq_err err = {0};
    if (hqb_eng_open(&e, state, schemas, rules, 32ULL << 30, true, (unsigned)batch, &err) != 0) {
        fprintf(stderr, "build: %s\n", err.msg);
        return 1;
    }
    spread s = {hq_wall_ms() + 3 * DAY_MS, 20.0 * DAY_MS / (double)issues};
    char tag[32];
    snprintf(tag, sizeof tag, "%llx", (unsigned long long)hq_wall_ms());
    int64_t t0 = hqb_mono_ns();
    int rc = open_issues(&e, tag, issues, spread_due, &s, true, &err);
    int64_t t1 = hqb_mono_ns();
    mdb_env_sync(hq_store_env(e.store), 1);
    int64_t t2 = hqb_mono_ns();
    if (rc)
        fprintf(stderr, "build: %s\n", err.msg);
    printf("build: %llu issues opened in %.1f s (%.1f us each), sync %.1f s\n", (unsigned long long)e.opened,
           (t1 - t0) / 1e9, (t1 - t0) / 1e3 / (double)issues, (t2 - t1) / 1e9);
    print_counts(&e, state);
    hqb_eng_close(&e);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return rc ? 1 : 0;
}

/* ---- run ---- */

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

typedef struct startup {
    double ingest_s, status_s, rss_ready, rss_status;
} startup;

static void *dealer(void *zctx, const char *ep)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int zero = 0, ivl = 5;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_connect(s, ep);
    return s;
}

static bool wait_reply(void *s, pid_t pid, double timeout_s)
{
    int64_t end = hqb_mono_ns() + (int64_t)(timeout_s * 1e9);
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    while (hqb_mono_ns() < end && !g_stop) {
        if (zmq_poll(&it, 1, 2) > 0) {
            char buf[4096];
            zmq_recv(s, buf, sizeof buf, 0);
            return true;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return false;
    }
    return false;
}

/* Start-up to the first ingest reply, then to the first status reply. */
static int measure_startup(const char *houqind, const char *state, const char *rules, const char *schemas,
                           const char *rundir, void *zctx, startup *su)
{
    hqb_hq h;
    if (hqb_hq_start(&h, houqind, state, rules, schemas, rundir, NULL) != 0)
        return -1;
    void *in = dealer(zctx, h.ingest);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char id[64];
    snprintf(id, sizeof id, "probe-%lld", (long long)hqb_wall_us());
    hqb_pack_reading(&sb, id, "hq-timers-bench", hq_wall_ms(), "cs-001", "cold_storage_temp", 4.5, "canteen-1");
    zmq_send(in, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
    int rc = -1;
    if (wait_reply(in, h.pid, 60)) {
        su->ingest_s = (hqb_mono_ns() - h.started_ns) / 1e9;
        su->rss_ready = hqb_proc_kib(h.pid, "RssAnon") / 1024.0;
        void *ctl = dealer(zctx, h.control);
        static const char req[] = "\x81\xa3" "cmd" "\xa6" "status";
        zmq_send(ctl, req, sizeof req - 1, 0);
        if (wait_reply(ctl, h.pid, 120)) {
            su->status_s = (hqb_mono_ns() - h.started_ns) / 1e9;
            su->rss_status = hqb_proc_kib(h.pid, "RssAnon") / 1024.0;
            rc = 0;
        }
        zmq_close(ctl);
    }
    zmq_close(in);
    if (rc)
        hqb_tail(stderr, h.errlog, 5, "    houqind: ");
    int ws = hqb_stop(h.pid, 60, NULL);
    if (ws != 0)
        fprintf(stderr, "houqind exited with status %d\n", ws);
    return rc;
}

typedef struct window {
    int64_t first_due;
    uint64_t count;
    double rate;
} window;

static int64_t window_due(void *ctx, uint64_t i)
{
    window *w = ctx;
    return w->first_due + (int64_t)((double)i * 1000.0 / w->rate);
}

static int add_window(const char *state, const char *schemas_dir, const char *rules_dir, window *w, double lead_s)
{
    hq_schemas *schemas;
    hq_rules *rules;
    if (hqb_load(schemas_dir, rules_dir, &schemas, &rules) != 0)
        return -1;
    hqb_eng e;
    hq_err err = {0};
    int rc = hqb_eng_open(&e, state, schemas, rules, 0, true, 100000, &err);
    if (rc == 0) {
        char tag[32];
        snprintf(tag, sizeof tag, "w%llx", (unsigned long long)hq_wall_ms());
        int64_t t0 = hqb_mono_ns();
        /* due times are fixed once the issues are written: start counting after */
        w->first_due = hq_wall_ms() + (int64_t)(lead_s * 1000) + 2000; /* + the time to write them */
        rc = open_issues(&e, tag, w->count, window_due, w, false, &err);
        mdb_env_sync(hq_store_env(e.store), 1);
        printf("lag: added %llu issues due from %+.1f s at %.0f/s (written in %.2f s)\n", (unsigned long long)w->count,
               (w->first_due - hq_wall_ms()) / 1e3, w->rate, (hqb_mono_ns() - t0) / 1e9);
        hqb_eng_close(&e);
    }
    if (rc)
        fprintf(stderr, "add: %s\n", err.msg);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return rc;
}

static int cmd_run(int argc, char **argv)
{
    const char *houqind = NULL, *hqbench = NULL, *state = NULL, *schemas = "schemas", *add_rules = NULL,
               *rules = NULL, *tmp = getenv("TMPDIR");
    uint64_t due_rate = 200, due_seconds = 60, rate = 1000, starts = 4;
    double lead_s = 5;
    static const struct option lo[] = {
        {"houqind", 1, NULL, 'q'}, {"hq-bench", 1, NULL, 'b'},    {"state", 1, NULL, 'd'},
        {"schemas", 1, NULL, 's'}, {"add-rules", 1, NULL, 'a'},   {"rules", 1, NULL, 'r'},
        {"due-rate", 1, NULL, 'R'}, {"due-seconds", 1, NULL, 'T'}, {"rate", 1, NULL, 'E'},
        {"starts", 1, NULL, 'n'},  {"lead", 1, NULL, 'l'},        {"tmpdir", 1, NULL, 't'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'q': houqind = optarg; break;
        case 'b': hqbench = optarg; break;
        case 'd': state = optarg; break;
        case 's': schemas = optarg; break;
        case 'a': add_rules = optarg; break;
        case 'r': rules = optarg; break;
        case 'R':
            if (hqb_parse_u64(optarg, &due_rate) || due_rate < 1)
                return 2;
            break;
        case 'T':
            if (hqb_parse_u64(optarg, &due_seconds) || due_seconds < 1)
                return 2;
            break;
        case 'E':
            if (hqb_parse_u64(optarg, &rate))
                return 2;
            break;
        case 'n':
            if (hqb_parse_u64(optarg, &starts))
                return 2;
            break;
        case 'l': lead_s = atof(optarg); break;
        case 't': tmp = optarg; break;
        default: return 2;
        }
    }
    if (!houqind || !hqbench || !state || !add_rules || !rules) {
        fprintf(stderr, "usage: hq-timers-bench run --houqind P --hq-bench P --state DIR --schemas S --add-rules DIR "
                        "--rules DIR\n       [--due-rate R] [--due-seconds T] [--rate E] [--starts N] [--lead S]\n");
        return 2;
    }
    if (!tmp)
        tmp = "/tmp";
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    void *zctx = zmq_ctx_new();
    char *rundir = hqb_mkdtemp(tmp, "hqt");
    if (!rundir)
        return 1;
    char mdb[HQB_PATH];
    snprintf(mdb, sizeof mdb, "%s/data.mdb", state);
    int rc = 0;

    /* 1. start-up */
    double max_ready = 0;
    for (unsigned i = 0; i < starts && !g_stop; i++) {
        bool cold = i % 2 == 1;
        if (cold && hqb_drop_cache(mdb) != 0)
            fprintf(stderr, "cannot drop %s from the page cache: %s\n", mdb, strerror(errno));
        startup su = {0};
        if (measure_startup(houqind, state, rules, schemas, rundir, zctx, &su) != 0) {
            printf("start-up %u: FAILED\n", i + 1);
            rc = 1;
            continue;
        }
        if (su.ingest_s > max_ready)
            max_ready = su.ingest_s;
        printf("start-up %u (%s cache): first ingest reply %.3f s, first status reply %.3f s; RssAnon %.1f MiB at "
               "ready, %.1f MiB after status\n",
               i + 1, cold ? "cold" : "warm", su.ingest_s, su.status_s, su.rss_ready, su.rss_status);
        printf("JSON {\"startup\":%u,\"cold\":%s,\"ingest_s\":%.4f,\"status_s\":%.4f,\"rss_ready_mib\":%.2f,"
               "\"rss_status_mib\":%.2f}\n",
               i + 1, cold ? "true" : "false", su.ingest_s, su.status_s, su.rss_ready, su.rss_status);
    }
    if (g_stop)
        goto out;

    /* 2. firing lag */
    window w = {0, due_rate * due_seconds, (double)due_rate};
    if (lead_s < 2 * max_ready + 2)
        lead_s = 2 * max_ready + 2;
    if (add_window(state, schemas, add_rules, &w, lead_s) != 0) {
        rc = 1;
        goto out;
    }
    int64_t last_due = window_due(&w, w.count - 1);
    hqb_hq h;
    if (hqb_hq_start(&h, houqind, state, rules, schemas, rundir, NULL) != 0) {
        rc = 1;
        goto out;
    }
    void *sub = zmq_socket(zctx, ZMQ_SUB);
    int zero = 0, ivl = 5;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "alert.overdue", 13);
    zmq_connect(sub, h.publish);
    if (hqb_probe(zctx, h.ingest, 60000) != 0) {
        fprintf(stderr, "houqind did not answer\n");
        hqb_tail(stderr, h.errlog, 5, "    houqind: ");
        hqb_stop(h.pid, 30, NULL);
        zmq_close(sub);
        rc = 1;
        goto out;
    }
    double ready_s = (hqb_mono_ns() - h.started_ns) / 1e9;
    double rss_ready = hqb_proc_kib(h.pid, "RssAnon") / 1024.0;
    /* The load: from now until 2 s after the last deadline. */
    pid_t lp = 0;
    int lfd = -1;
    char loadlog[HQB_PATH] = "";
    uint64_t events = 0;
    if (rate > 0) {
        events = (uint64_t)((double)rate * ((last_due - hq_wall_ms()) / 1e3 + 2));
        char ev[32], rt[32];
        snprintf(ev, sizeof ev, "%llu", (unsigned long long)events);
        snprintf(rt, sizeof rt, "%llu", (unsigned long long)rate);
        const char *la[] = {hqbench, "load", "--endpoint", h.ingest, "--events", ev,     "--rate",
                            rt,      "--window", "10000", "--ids", "ordered", "--json", NULL};
        snprintf(loadlog, sizeof loadlog, "%s/load.log", rundir);
        lp = hqb_spawn((char *const *)la, &lfd, loadlog);
    }
    printf("lag: houqind answered after %.3f s (RssAnon %.1f MiB); first deadline in %.1f s; %llu events at %llu/s "
           "meanwhile\n",
           ready_s, rss_ready, (w.first_due - hq_wall_ms()) / 1e3, (unsigned long long)events,
           (unsigned long long)rate);
    double *lag = malloc(w.count * sizeof *lag), *lagf = malloc(w.count * sizeof *lagf);
    size_t n = 0, other = 0;
    double rss_max = rss_ready;
    double cpu0 = hqb_proc_cpu_s(h.pid);
    int64_t end_ms = last_due + 15000;
    while (!g_stop && n < w.count && hq_wall_ms() < end_ms) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) > 0) {
            for (;;) {
                zmq_msg_t topic, rec;
                zmq_msg_init(&topic);
                zmq_msg_init(&rec);
                if (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close(&topic);
                    zmq_msg_close(&rec);
                    break;
                }
                int64_t at_us = hqb_wall_us();
                if (zmq_msg_more(&topic) && zmq_msg_recv(&rec, sub, 0) >= 0) {
                    msgpack_zone zone;
                    msgpack_zone_init(&zone, 2048);
                    msgpack_object o;
                    hq_err err;
                    int64_t due = 0, ts = 0;
                    hq_mp_limits lim = hq_mp_default_limits;
                    if (hq_mp_decode(zmq_msg_data(&rec), zmq_msg_size(&rec), &lim, &zone, &o, &err) == 0 &&
                        hq_mp_int64(hq_mp_map_get(&o, "deadline_ms"), &due) &&
                        hq_mp_int64(hq_mp_map_get(&o, "ts_ms"), &ts) && due >= w.first_due && due <= last_due &&
                        n < w.count) {
                        lag[n] = at_us / 1e3 - (double)due;
                        lagf[n] = (double)(ts - due);
                        n++;
                    } else {
                        other++;
                    }
                    msgpack_zone_destroy(&zone);
                }
                zmq_msg_close(&topic);
                zmq_msg_close(&rec);
            }
        }
        double rss = hqb_proc_kib(h.pid, "RssAnon") / 1024.0;
        if (rss > rss_max)
            rss_max = rss;
    }
    double cpu1 = hqb_proc_cpu_s(h.pid);
    char *lout = NULL;
    if (lp > 0) {
        lout = hqb_read_all(lfd);
        hqb_wait(lp, NULL);
    }
    double rss_end = hqb_proc_kib(h.pid, "RssAnon") / 1024.0;
    long hwm = hqb_proc_kib(h.pid, "VmHWM");
    hqb_status st = {0};
    hqb_status_get(zctx, h.control, 120000, &st);
    double rss_after_status = hqb_proc_kib(h.pid, "RssAnon") / 1024.0;
    zmq_close(sub);
    int ws = hqb_stop(h.pid, 60, NULL);
    if (ws != 0)
        fprintf(stderr, "houqind exited with status %d\n", ws);

    hqb_sort(lag, n);
    hqb_sort(lagf, n);
    printf("lag: %zu of %llu deadlines seen (%zu other overdue records); pending timers %.0f, issues %.0f, open %.0f\n",
           n, (unsigned long long)w.count, other, st.timers, st.issues, st.open_issues);
    printf("lag: due -> committed and published, ms: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n", hqb_pct(lag, n, 50),
           hqb_pct(lag, n, 99), hqb_pct(lag, n, 99.9), n ? lag[n - 1] : 0);
    printf("lag: due -> the daemon's clock at firing (ts_ms), ms: p50 %.0f  p99 %.0f  max %.0f\n",
           hqb_pct(lagf, n, 50), hqb_pct(lagf, n, 99), n ? lagf[n - 1] : 0);
    printf("lag: houqind RssAnon %.1f MiB at ready, %.1f MiB max during the window, %.1f MiB at the end, %.1f MiB "
           "after a status (VmHWM %.1f MiB, file pages of the map included); CPU %.2f s over the window\n",
           rss_ready, rss_max, rss_end, rss_after_status, hwm / 1024.0, cpu1 - cpu0);
    const char *js = lout ? hqb_last_json(lout) : NULL;
    double eps = 0, p50 = 0, p99 = 0, acked = 0, rej = 0, lost = 0;
    if (js && hqb_json_num(js, "events_per_s", &eps) && hqb_json_num(js, "p50_ms", &p50) &&
        hqb_json_num(js, "p99_ms", &p99) && hqb_json_num(js, "acked", &acked)) {
        hqb_json_num(js, "rejected", &rej);
        hqb_json_num(js, "lost", &lost);
        printf("lag: the load meanwhile: %.0f of %llu events acked (%.0f rejected, %.0f lost) at %.0f/s, ack latency "
               "from the scheduled send p50 %.2f ms, p99 %.2f ms\n",
               acked, (unsigned long long)events, rej, lost, eps, p50, p99);
    } else if (rate > 0) {
        printf("lag: the load did not report\n");
    }
    if (rate > 0 && (acked < (double)events || rej > 0))
        hqb_tail(stdout, loadlog, 6, "lag:   load: ");
    printf("JSON {\"due_rate\":%llu,\"deadlines\":%llu,\"seen\":%zu,\"lag_p50_ms\":%.3f,\"lag_p99_ms\":%.3f,"
           "\"lag_p999_ms\":%.3f,\"lag_max_ms\":%.3f,\"fire_p99_ms\":%.0f,\"rss_ready_mib\":%.2f,\"rss_max_mib\":%.2f,"
           "\"rss_after_status_mib\":%.2f,\"timers\":%.0f,\"issues\":%.0f,\"events_per_s\":%.0f,\"event_p99_ms\":%.3f}\n",
           (unsigned long long)due_rate, (unsigned long long)w.count, n, hqb_pct(lag, n, 50), hqb_pct(lag, n, 99),
           hqb_pct(lag, n, 99.9), n ? lag[n - 1] : 0, hqb_pct(lagf, n, 99), rss_ready, rss_max, rss_after_status,
           st.timers, st.issues, eps, p99);
    if (n < w.count)
        rc = 1;
    free(lout);
    free(lag);
    free(lagf);
out:
    hqb_rmtree(rundir);
    free(rundir);
    zmq_ctx_term(zctx);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hq-timers-bench rulesdir|build|run ... (see bench/README.md)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(argv[1], "rulesdir"))
        return cmd_rulesdir(argc - 1, argv + 1);
    if (!strcmp(argv[1], "build"))
        return cmd_build(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    fprintf(stderr, "hq-timers-bench: unknown mode %s\n", argv[1]);
    return 2;
}
