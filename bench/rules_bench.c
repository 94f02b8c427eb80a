/* hq-rules-bench: what rules cost on ingest (issue 3's benchmark; see
 * bench/README.md).
 *
 *   hq-rules-bench rulesdir --from RULES --out DIR [--synthetic N] [--mix threshold|mixed]
 *       A rules directory: the registry files of RULES (org, escalation,
 *       contractors, calendar) and, with --synthetic, N rules on
 *       sensor.reading with varied conditions (value thresholds per
 *       sensor prefix).  None of them matches hq-bench's event.
 *
 *   hq-rules-bench throughput --houqind P --hq-bench P --schemas S --set NAME=DIR ... [--rounds R]
 *                  [--events N] [--window W] [--tmpdir DIR]
 *       Per round, per set (the order rotates every round): houqind on a
 *       fresh state with that rules directory, `hq-bench load` at full speed
 *       with time-ordered ids, houqind's CPU time during the load.  The
 *       first set is the baseline: the figures are the medians and the
 *       ratios to it.
 *
 *   hq-rules-bench engine --schemas S --set NAME=DIR ... [--events N] [--repeat R] [--tmpdir DIR]
 *       The same event through the engine in-process (decode, dedup, rules,
 *       append; commits every 1000 events without fsync): CPU microseconds
 *       per event, without the disk.
 */
#include "hqb.h"

#include "clock.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>


/* ---- rulesdir ---- */

static const char *const prefixes[50] = {
    "cs-",   "fz-",   "lf-",   "hw-",   "dw-",   "pm-",   "em-",   "wm-",   "ai-",   "sx09-", "sx10-", "sx11-", "sx12-",
    "sx13-", "sx14-", "sx15-", "sx16-", "sx17-", "sx18-", "sx19-", "sx20-", "sx21-", "sx22-", "sx23-", "sx24-", "sx25-",
    "sx26-", "sx27-", "sx28-", "sx29-", "sx30-", "sx31-", "sx32-", "sx33-", "sx34-", "sx35-", "sx36-", "sx37-", "sx38-",
    "sx39-", "sx40-", "sx41-", "sx42-", "sx43-", "sx44-", "sx45-", "sx46-", "sx47-", "sx48-", "sx49-",
};
static const char *const kinds[10] = {
    "cold_storage_temp", "freezer_temp",    "sample_fridge_temp", "prep_room_temp", "room_humidity",
    "hot_water_temp",    "drinking_water_tds", "power_w",         "water_flow",     "voltage",
};
static const char *const sites[6] = {"canteen-1", "canteen-2", "canteen-3", "dorm-1", "dorm-3", "library"};

/* Rule i: five forms of condition, each on a sensor prefix, none true for
 * hq-bench's reading (cs-001, cold_storage_temp, 4.5, canteen-1). */
static void write_rule(FILE *f, unsigned i, bool mixed)
{
    const char *p = prefixes[(i / 5) % 50];
    const char *k = kinds[(i / 3) % 10];
    int t = 5 + (int)(i % 97);
    fprintf(f, "  - id: bench.s%04u\n    description: synthetic rule %u\n    on: sensor.reading\n    when:\n", i, i);
    switch (i % 5) {
    case 0:
        fprintf(f, "      all:\n        - {field: data.sensor, prefix: \"%s\"}\n        - {field: data.value, gt: %d}\n",
                p, t);
        break;
    case 1:
        fprintf(f,
                "      all:\n        - {field: data.kind, eq: %s}\n        - {field: data.sensor, prefix: \"%s\"}\n"
                "        - {field: data.value, ge: %d}\n",
                k, p, t);
        break;
    case 2:
        fprintf(f,
                "      all:\n        - {field: data.sensor, prefix: \"%s\"}\n"
                "        - not: {field: data.value, range: [%d, %d]}\n",
                p, -1 - (int)(i % 10), 8 + (int)(i % 50));
        break;
    case 3:
        fprintf(f,
                "      any:\n        - all: [{field: data.sensor, prefix: \"%s\"}, {field: data.value, lt: %d}]\n"
                "        - all: [{field: data.sensor, prefix: \"%s\"}, {field: data.quality, eq: bad}]\n",
                p, -20 - (int)(i % 30), p);
        break;
    default:
        fprintf(f,
                "      all:\n        - {field: data.site, in: [%s, %s, %s]}\n"
                "        - {field: data.sensor, prefix: \"%s\"}\n        - {field: data.value, gt: %d}\n",
                sites[i % 6], sites[(i + 1) % 6], sites[(i + 2) % 6], p, t);
        break;
    }
    if (mixed && i % 20 == 7) /* scope: the readings a sustained rule follows (rules/README.md) */
        fprintf(f, "    scope: {field: data.sensor, prefix: \"%s\"}\n    sustained: {for: 30m, clears_after: 30m}\n", p);
    else if (mixed && i % 20 == 13)
        fprintf(f, "    count: {at_least: 5, within: 1h}\n");
    fprintf(f,
            "    key: \"{{data.sensor}}\"\n    issue:\n      title: \"synthetic %u: {{data.sensor}} {{data.value}}\"\n"
            "      domain: catering\n      severity: medium\n      deadline: 24h\n      chain: standard\n",
            i);
}

static int cmd_rulesdir(int argc, char **argv)
{
    const char *from = "rules", *out = NULL, *mix = "threshold";
    uint64_t n = 0;
    static const struct option lo[] = {{"from", 1, NULL, 'f'}, {"out", 1, NULL, 'o'}, {"synthetic", 1, NULL, 'n'},
                                       {"mix", 1, NULL, 'm'},  {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 'o': out = optarg; break;
        case 'n':
            if (hqb_parse_u64(optarg, &n) != 0)
                return 2;
            break;
        case 'm': mix = optarg; break;
        default: return 2;
        }
    }
    bool mixed = !strcmp(mix, "mixed");
    if (!out || (!mixed && strcmp(mix, "threshold"))) {
        fprintf(stderr, "usage: hq-rules-bench rulesdir --from RULES --out DIR [--synthetic N] [--mix threshold|mixed]\n");
        return 2;
    }
    if (hqb_copy_registry(from, out) != 0)
        return 1;
    for (unsigned i = 0; i < n; i += 100) {
        char name[64];
        snprintf(name, sizeof name, "synthetic-%03u.yaml", i / 100);
        FILE *f = hqb_fopen_w(out, name);
        if (!f)
            return 1;
        fprintf(f, "# written by hq-rules-bench rulesdir: synthetic rules %u..%u (%s)\nrules:\n", i,
                (unsigned)(i + 100 < n ? i + 100 : n) - 1, mix);
        for (unsigned j = i; j < n && j < i + 100; j++)
            write_rule(f, j, mixed);
        fclose(f);
    }
    printf("rulesdir: %s: registry files of %s and %llu synthetic rules (%s)\n", out, from, (unsigned long long)n,
           mix);
    return 0;
}

/* ---- throughput ---- */

typedef struct run {
    double eps, p50, p99, cpu_us, rss_mib, load;
    bool ok;
} run;

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int one_run(const char *houqind, const char *hqbench, const char *schemas, const hqb_set *st, const char *tmp,
                   uint64_t events, unsigned window, void *zctx, run *r)
{
    memset(r, 0, sizeof *r);
    char *dir = hqb_mkdtemp(tmp, "hqr");
    if (!dir)
        return -1;
    char state[HQB_PATH];
    snprintf(state, sizeof state, "%s/state", dir);
    hqb_hq h;
    int rc = -1;
    if (hqb_hq_start(&h, houqind, state, st->dir, schemas, dir, NULL) != 0 || hqb_hq_wait_ready(&h, zctx, 30) != 0) {
        fprintf(stderr, "%s: houqind did not start\n", st->name);
        hqb_tail(stderr, h.errlog, 5, "    ");
        goto out;
    }
    char ev[32], win[32];
    snprintf(ev, sizeof ev, "%llu", (unsigned long long)events);
    snprintf(win, sizeof win, "%u", window);
    const char *argv[] = {hqbench, "load", "--endpoint", h.ingest, "--events", ev, "--window", win,
                          "--ids", "ordered", "--json", NULL};
    double cpu0 = hqb_proc_cpu_s(h.pid);
    int fd;
    pid_t lp = hqb_spawn((char *const *)argv, &fd, "/dev/null");
    char *outp = lp > 0 ? hqb_read_all(fd) : NULL;
    int lst = lp > 0 ? hqb_wait(lp, NULL) : -1;
    double cpu1 = hqb_proc_cpu_s(h.pid);
    r->rss_mib = hqb_proc_kib(h.pid, "RssAnon") / 1024.0;
    r->load = hqb_loadavg();
    const char *js = outp ? hqb_last_json(outp) : NULL;
    double acked = 0;
    if (lst == 0 && hqb_json_num(js, "events_per_s", &r->eps) && hqb_json_num(js, "p50_ms", &r->p50) &&
        hqb_json_num(js, "p99_ms", &r->p99) && hqb_json_num(js, "acked", &acked) && acked > 0) {
        r->cpu_us = (cpu1 - cpu0) * 1e6 / acked;
        r->ok = true;
        rc = 0;
    } else {
        fprintf(stderr, "%s: hq-bench load failed (status %d)\n", st->name, lst);
    }
    free(outp);
out:
    if (h.pid > 0) {
        int ws = hqb_stop(h.pid, 30, NULL);
        if (ws != 0)
            fprintf(stderr, "%s: houqind exited with status %d\n", st->name, ws);
    }
    hqb_rmtree(dir);
    free(dir);
    sync();
    sleep(1);
    return rc;
}

static int cmd_throughput(int argc, char **argv)
{
    const char *houqind = NULL, *hqbench = NULL, *schemas = "schemas", *tmp = getenv("TMPDIR");
    hqb_set sets[HQB_MAX_SETS];
    int nsets = 0;
    uint64_t rounds = 5, events = 300000, window = 1000;
    static const struct option lo[] = {{"houqind", 1, NULL, 'q'}, {"hq-bench", 1, NULL, 'b'},
                                       {"schemas", 1, NULL, 's'}, {"set", 1, NULL, 'S'},
                                       {"rounds", 1, NULL, 'r'},  {"events", 1, NULL, 'e'},
                                       {"window", 1, NULL, 'w'},  {"tmpdir", 1, NULL, 't'},
                                       {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'q': houqind = optarg; break;
        case 'b': hqbench = optarg; break;
        case 's': schemas = optarg; break;
        case 'S':
            if (hqb_parse_set(optarg, sets, &nsets))
                return 2;
            break;
        case 'r':
            if (hqb_parse_u64(optarg, &rounds) || rounds < 1 || rounds > 100)
                return 2;
            break;
        case 'e':
            if (hqb_parse_u64(optarg, &events) || events < 1000)
                return 2;
            break;
        case 'w':
            if (hqb_parse_u64(optarg, &window) || window < 1)
                return 2;
            break;
        case 't': tmp = optarg; break;
        default: return 2;
        }
    }
    if (!houqind || !hqbench || nsets < 1) {
        fprintf(stderr, "usage: hq-rules-bench throughput --houqind P --hq-bench P --schemas S --set NAME=DIR ...\n"
                        "       [--rounds R] [--events N] [--window W] [--tmpdir DIR]\n");
        return 2;
    }
    if (!tmp)
        tmp = "/tmp";
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    void *zctx = zmq_ctx_new();
    run *runs = calloc(rounds * (size_t)nsets, sizeof *runs);
    printf("throughput: %llu events per run, window %llu, time-ordered ids, %llu round(s); baseline %s\n",
           (unsigned long long)events, (unsigned long long)window, (unsigned long long)rounds, sets[0].name);
    printf("%-5s %-12s %10s %8s %8s %12s %9s %6s\n", "round", "set", "events/s", "p50 ms", "p99 ms", "cpu us/event",
           "RssAnon", "load");
    int failed = 0;
    for (unsigned r = 0; r < rounds && !g_stop; r++) {
        for (int j = 0; j < nsets && !g_stop; j++) {
            int si = (int)((j + r) % (unsigned)nsets);
            run *x = &runs[r * (size_t)nsets + si];
            if (one_run(houqind, hqbench, schemas, &sets[si], tmp, events, (unsigned)window, zctx, x) != 0) {
                failed = 1;
                printf("%-5u %-12s FAILED\n", r + 1, sets[si].name);
                continue;
            }
            printf("%-5u %-12s %10.0f %8.2f %8.2f %12.2f %7.1f M %6.2f\n", r + 1, sets[si].name, x->eps, x->p50,
                   x->p99, x->cpu_us, x->rss_mib, x->load);
            fflush(stdout);
        }
    }
    /* Medians per set, ratios to the baseline. */
    printf("\nmedians over %llu round(s) (min - max); ratio = set / %s\n", (unsigned long long)rounds, sets[0].name);
    printf("%-12s %22s %8s %8s %12s %14s %14s %12s\n", "set", "events/s", "p50 ms", "p99 ms", "cpu us/event",
           "ratio(medians)", "median ratio", "cpu ratio");
    double base_eps = 0, base_cpu = 0;
    for (int s = 0; s < nsets; s++) {
        double eps[100], p50[100], p99[100], cpu[100], ratio[100];
        size_t n = 0, nr = 0;
        for (unsigned r = 0; r < rounds; r++) {
            run *x = &runs[r * (size_t)nsets + s], *b = &runs[r * (size_t)nsets];
            if (!x->ok)
                continue;
            eps[n] = x->eps;
            p50[n] = x->p50;
            p99[n] = x->p99;
            cpu[n] = x->cpu_us;
            n++;
            if (b->ok) {
                ratio[nr++] = x->eps / b->eps;
            }
        }
        double m = hqb_median(eps, n), mc = hqb_median(cpu, n);
        if (s == 0) {
            base_eps = m;
            base_cpu = mc;
        }
        char range[64];
        snprintf(range, sizeof range, "%.0f (%.0f-%.0f)", m, hqb_min(eps, n), hqb_max(eps, n));
        printf("%-12s %22s %8.2f %8.2f %12.2f %14.3f %14.3f %12.2f\n", sets[s].name, range, hqb_median(p50, n),
               hqb_median(p99, n), mc, base_eps > 0 ? m / base_eps : 0, hqb_median(ratio, nr),
               base_cpu > 0 ? mc / base_cpu : 0);
        printf("JSON {\"set\":\"%s\",\"runs\":%zu,\"events_per_s\":%.0f,\"min\":%.0f,\"max\":%.0f,\"p50_ms\":%.3f,"
               "\"p99_ms\":%.3f,\"cpu_us_per_event\":%.3f,\"ratio_of_medians\":%.4f,\"median_ratio\":%.4f}\n",
               sets[s].name, n, m, hqb_min(eps, n), hqb_max(eps, n), hqb_median(p50, n), hqb_median(p99, n), mc,
               base_eps > 0 ? m / base_eps : 0, hqb_median(ratio, nr));
    }
    free(runs);
    zmq_ctx_term(zctx);
    return failed || g_stop;
}

/* ---- engine (in-process) ---- */

static int cmd_engine(int argc, char **argv)
{
    const char *schemas_dir = "schemas", *tmp = getenv("TMPDIR");
    hqb_set sets[HQB_MAX_SETS];
    int nsets = 0;
    uint64_t events = 200000, repeat = 3;
    static const struct option lo[] = {{"schemas", 1, NULL, 's'}, {"set", 1, NULL, 'S'}, {"events", 1, NULL, 'e'},
                                       {"repeat", 1, NULL, 'r'},  {"tmpdir", 1, NULL, 't'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': schemas_dir = optarg; break;
        case 'S':
            if (hqb_parse_set(optarg, sets, &nsets))
                return 2;
            break;
        case 'e':
            if (hqb_parse_u64(optarg, &events) || events < 1)
                return 2;
            break;
        case 'r':
            if (hqb_parse_u64(optarg, &repeat) || repeat < 1 || repeat > 50)
                return 2;
            break;
        case 't': tmp = optarg; break;
        default: return 2;
        }
    }
    if (nsets < 1) {
        fprintf(stderr, "usage: hq-rules-bench engine --schemas S --set NAME=DIR ... [--events N] [--repeat R]\n");
        return 2;
    }
    if (!tmp)
        tmp = "/tmp";
    printf("engine: %llu events per run (hq-bench's reading: cs-001, 4.5 C), in-process, commits of 1000 without "
           "fsync, best and median of %llu\n",
           (unsigned long long)events, (unsigned long long)repeat);
    printf("%-12s %6s %12s %12s %10s\n", "set", "rules", "us/event", "best", "ratio");
    double base = 0;
    int rc = 0;
    for (int s = 0; s < nsets; s++) {
        hq_schemas *schemas = NULL;
        hq_rules *rules = NULL;
        int64_t l0 = hqb_mono_ns();
        if (hqb_load(schemas_dir, sets[s].dir, &schemas, &rules) != 0)
            return 1;
        double load_ms = (hqb_mono_ns() - l0) / 1e6;
        double us[50];
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        for (unsigned r = 0; r < repeat; r++) {
            char *dir = hqb_mkdtemp(tmp, "hqe");
            hqb_eng e;
            hq_err err = {0};
            if (!dir || hqb_eng_open(&e, dir, schemas, rules, 4ULL << 30, true, 1000, &err) != 0) {
                fprintf(stderr, "cannot open a scratch state: %s\n", err.msg);
                return 1;
            }
            int64_t now = hq_wall_ms();
            int64_t t0 = hqb_mono_ns();
            for (uint64_t i = 0; i < events && rc == 0; i++) {
                char id[64];
                snprintf(id, sizeof id, "%012llx-%010llx-0000", (unsigned long long)now, (unsigned long long)i);
                hqb_pack_reading(&sb, id, "hq-bench", now, "cs-001", "cold_storage_temp", 4.5, "canteen-1");
                rc = hqb_eng_event(&e, sb.data, sb.size, now, &err);
            }
            if (rc == 0)
                rc = hqb_eng_commit(&e, &err);
            us[r] = (hqb_mono_ns() - t0) / 1e3 / (double)events;
            if (rc)
                fprintf(stderr, "engine: %s\n", err.msg);
            if (e.opened)
                fprintf(stderr, "note: %s opened %llu issue(s)\n", sets[s].name, (unsigned long long)e.opened);
            hqb_eng_close(&e);
            hqb_rmtree(dir);
            free(dir);
        }
        msgpack_sbuffer_destroy(&sb);
        double m = hqb_median(us, repeat);
        if (s == 0)
            base = m;
        printf("%-12s %6zu %12.2f %12.2f %10.2f   (rules loaded in %.0f ms)\n", sets[s].name, hq_rules_count(rules),
               m, hqb_min(us, repeat), base > 0 ? m / base : 0, load_ms);
        hq_rules_destroy(&rules);
        hq_schemas_destroy(&schemas);
    }
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hq-rules-bench rulesdir|throughput|engine ... (see bench/README.md)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(argv[1], "rulesdir"))
        return cmd_rulesdir(argc - 1, argv + 1);
    if (!strcmp(argv[1], "throughput"))
        return cmd_throughput(argc - 1, argv + 1);
    if (!strcmp(argv[1], "engine"))
        return cmd_engine(argc - 1, argv + 1);
    fprintf(stderr, "hq-rules-bench: unknown mode %s\n", argv[1]);
    return 2;
}
