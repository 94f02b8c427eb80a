/* hq-schedule-bench: schedules and sustained rules at scale (issue 4's
 * benchmark; see bench/README.md).
 *
 *   hq-schedule-bench rulesdir --from RULES --out DIR [--sites N] [--sensors M]
 *       DIR/sched      registry + N sites (domain maintenance) + a daily and
 *                      a weekly scheduled rule on them, shaped like the shipped
 *                      catering.daily-self-inspection and weekly-key-inspection
 *       DIR/sus-none   registry + M sensors, no rule
 *       DIR/sus-rule   ... + one sustained rule keyed by sensor (like
 *                      catering.cold-storage-high): M keys
 *       DIR/sus-rules  ... + M sustained rules, one per sensor
 *
 *   hq-schedule-bench generate --schemas S --rules DIR/sched [--term NAME]
 *       In-process: hq_engine_generate over the whole term (one
 *       transaction, then a durable commit), its memory, the state it
 *       writes; then the work at a deadline (every unit's slot missed:
 *       timers fired, issues opened) and of satisfying slots.
 *
 *   hq-schedule-bench idle --houqind P --schemas S --set NAME=DIR ... [--seconds T]
 *       houqind (real clock) on a fresh state per set: the time to ready
 *       (it generates 14 days of obligations first), then its CPU time and
 *       wake-ups over T idle seconds, and RssAnon.
 *
 *   hq-schedule-bench sustained --schemas S --set NAME=DIR ... [--sensors M] [--events N]
 *       In-process cost per sensor.reading, round-robin over M sensors,
 *       quiet (4.5 C: no sustained state) and active (9.5 C: every key's
 *       condition holds, with its state and SUSTAIN timer), against the
 *       first set.
 *
 *   hq-schedule-bench ingest --houqind P --schemas S --set NAME=DIR ... [--sensors M] [--events N] [--rounds R]
 *       The same through houqind: full speed with a window of 1000 un-acked
 *       readings, houqind's CPU time per event and events/s, per set and
 *       values (quiet, active), fresh state per run, medians and ratios to
 *       the first set.
 */
#include "hqb.h"

#include "calendar.h"
#include "clock.h"
#include "timer.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>


/* ---- rulesdir ---- */

static const char sched_rules[] =
    "# written by hq-schedule-bench rulesdir: a daily and a weekly obligation per\n"
    "# maintenance site, shaped like catering/inspections.yaml.\n"
    "rules:\n"
    "  - id: bench.daily-self-inspection\n"
    "    description: 每日自查未按时提交（基准）\n"
    "    on: inspection.submitted\n"
    "    when:\n"
    "      all:\n"
    "        - {field: data.kind, eq: self}\n"
    "        - {field: data.domain, eq: maintenance}\n"
    "    unit: \"{{data.site}}\"\n"
    "    units: {sites: maintenance}\n"
    "    schedule:\n"
    "      every: day\n"
    "      by: [\"18:00\"]\n"
    "      suspend: [vacations]\n"
    "      overrides:\n"
    "        - {period: opening, by: [\"12:00\", \"20:00\"]}\n"
    "        - {period: opening-spring, by: [\"12:00\", \"20:00\"]}\n"
    "    issue:\n"
    "      title: \"{{unit.name}}每日自查缺失（应于 {{slot}} 前提交）\"\n"
    "      description: \"{{unit.name}} 在 {{slot}} 前未提交日常自查记录。\"\n"
    "      domain: maintenance\n"
    "      category: inspection-missing\n"
    "      severity: medium\n"
    "      deadline: 24h\n"
    "      chain: standard\n"
    "  - id: bench.weekly-key-inspection\n"
    "    description: 每周重点检查未开展（基准）\n"
    "    on: inspection.submitted\n"
    "    when:\n"
    "      all:\n"
    "        - {field: data.kind, eq: key}\n"
    "        - {field: data.domain, eq: maintenance}\n"
    "    units: {sites: maintenance}\n"
    "    schedule:\n"
    "      every: week\n"
    "      by: \"fri 18:00\"\n"
    "      suspend: [vacations, holidays]\n"
    "    issue:\n"
    "      title: \"{{unit.name}}本周重点检查未开展\"\n"
    "      domain: maintenance\n"
    "      category: inspection-missing\n"
    "      severity: high\n"
    "      deadline: 48h\n"
    "      chain: standard\n";

static const char sustained_rule[] =
    "# written by hq-schedule-bench rulesdir: one sustained rule keyed by sensor\n"
    "# (like catering.cold-storage-high).\n"
    "rules:\n"
    "  - id: bench.cold-storage-high\n"
    "    on: sensor.reading\n"
    "    scope: {field: data.kind, eq: cold_storage_temp}\n"
    "    when: {field: data.value, gt: 8}\n"
    "    sustained: {for: 30m, clears_after: 30m}\n"
    "    key: \"{{data.sensor}}\"\n"
    "    issue:\n"
    "      title: \"冷库温度超标：{{site.name}} 传感器 {{data.sensor}} {{data.value}}℃\"\n"
    "      domain: catering\n"
    "      category: food-safety\n"
    "      severity: high\n"
    "      deadline: 4h\n"
    "      chain: urgent\n";

static const char *const shipped_sites[3] = {"canteen-1", "canteen-2", "canteen-3"};

static int write_sites(const char *dir, unsigned n)
{
    for (unsigned i = 0; i < n; i += 1000) {
        char name[64];
        snprintf(name, sizeof name, "sites-%03u.yaml", i / 1000);
        FILE *f = hqb_fopen_w(dir, name);
        if (!f)
            return -1;
        fprintf(f, "# written by hq-schedule-bench rulesdir\nsites:\n");
        for (unsigned j = i; j < n && j < i + 1000; j++)
            fprintf(f,
                    "  - {id: bsite-%05u, name: 基准站点%05u, domain: maintenance, contractor: jianxiu-maintenance, "
                    "unit: 维修服务中心}\n",
                    j + 1, j + 1);
        fclose(f);
    }
    return 0;
}

static int write_sensors(const char *dir, unsigned n)
{
    for (unsigned i = 0; i < n; i += 1000) {
        char name[64];
        snprintf(name, sizeof name, "sensors-%03u.yaml", i / 1000);
        FILE *f = hqb_fopen_w(dir, name);
        if (!f)
            return -1;
        fprintf(f, "# written by hq-schedule-bench rulesdir\nsensors:\n");
        for (unsigned j = i; j < n && j < i + 1000; j++)
            fprintf(f, "  - {id: bs-%05u, site: %s, kind: cold_storage_temp}\n", j + 1, shipped_sites[j % 3]);
        fclose(f);
    }
    return 0;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    FILE *f = hqb_fopen_w(dir, name);
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int write_sustained_rules(const char *dir, unsigned n)
{
    for (unsigned i = 0; i < n; i += 500) {
        char name[64];
        snprintf(name, sizeof name, "sustained-%03u.yaml", i / 500);
        FILE *f = hqb_fopen_w(dir, name);
        if (!f)
            return -1;
        fprintf(f, "# written by hq-schedule-bench rulesdir: one sustained rule per sensor\nrules:\n");
        for (unsigned j = i; j < n && j < i + 500; j++)
            fprintf(f,
                    "  - id: bench.cold-storage-high-%05u\n    on: sensor.reading\n"
                    "    scope: {field: data.sensor, eq: bs-%05u}\n    when: {field: data.value, gt: 8}\n"
                    "    sustained: {for: 30m, clears_after: 30m}\n    key: \"{{data.sensor}}\"\n    issue:\n"
                    "      title: \"冷库温度超标：{{site.name}} 传感器 {{data.sensor}} {{data.value}}℃\"\n"
                    "      domain: catering\n      severity: high\n      deadline: 4h\n      chain: urgent\n",
                    j + 1, j + 1);
        fclose(f);
    }
    return 0;
}

static int cmd_rulesdir(int argc, char **argv)
{
    const char *from = "rules", *out = NULL;
    uint64_t sites = 10000, sensors = 5000;
    static const struct option lo[] = {{"from", 1, NULL, 'f'}, {"out", 1, NULL, 'o'}, {"sites", 1, NULL, 'n'},
                                       {"sensors", 1, NULL, 'm'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 'o': out = optarg; break;
        case 'n':
            if (hqb_parse_u64(optarg, &sites) || sites > 99999)
                return 2;
            break;
        case 'm':
            if (hqb_parse_u64(optarg, &sensors) || sensors > 99999)
                return 2;
            break;
        default: return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "usage: hq-schedule-bench rulesdir --from RULES --out DIR [--sites N] [--sensors M]\n");
        return 2;
    }
    char d[4][HQB_PATH];
    static const char *const names[4] = {"sched", "sus-none", "sus-rule", "sus-rules"};
    for (int i = 0; i < 4; i++) {
        snprintf(d[i], sizeof d[i], "%s/%s", out, names[i]);
        if (hqb_copy_registry(from, d[i]) != 0)
            return 1;
    }
    if (write_sites(d[0], (unsigned)sites) || write_text(d[0], "schedules.yaml", sched_rules))
        return 1;
    for (int i = 1; i < 4; i++)
        if (write_sensors(d[i], (unsigned)sensors))
            return 1;
    if (write_text(d[2], "sustained.yaml", sustained_rule) || write_sustained_rules(d[3], (unsigned)sensors))
        return 1;
    printf("rulesdir: %s (%llu sites, a daily and a weekly schedule), %s, %s (one sustained rule), %s (%llu "
           "sustained rules), each with %llu sensors\n",
           d[0], (unsigned long long)sites, d[1], d[2], d[3], (unsigned long long)sensors,
           (unsigned long long)sensors);
    return 0;
}

/* ---- generate ---- */

static long self_kib(const char *field)
{
    return hqb_proc_kib(getpid(), field);
}

static void counts(hqb_eng *e, uint64_t *rulestate, uint64_t *timers, uint64_t *used)
{
    MDB_txn *txn;
    hq_store_stats st;
    hq_err err;
    *rulestate = *timers = *used = 0;
    if (hq_store_begin(e->store, false, &txn, &err) == 0) {
        if (hq_store_stats_get(e->store, txn, &st, &err) == 0) {
            *rulestate = st.entries[HQ_DB_RULESTATE];
            *timers = st.entries[HQ_DB_TIMERS];
            *used = st.used_bytes;
        }
        hq_store_abort(e->store, txn);
    }
}

static int next_due(hqb_eng *e, int64_t *due)
{
    MDB_txn *txn;
    hq_err err;
    int rc = hq_store_begin(e->store, false, &txn, &err);
    if (rc == 0) {
        rc = hq_timer_next_due(e->store, txn, due, &err);
        hq_store_abort(e->store, txn);
    }
    return rc;
}

static void pack_inspection(msgpack_sbuffer *sb, const char *id, int64_t ts, const char *site)
{
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
#define S(x)                                                                                                         \
    do {                                                                                                             \
        size_t l_ = strlen(x);                                                                                       \
        msgpack_pack_str(&pk, l_);                                                                                   \
        msgpack_pack_str_body(&pk, x, l_);                                                                           \
    } while (0)
    msgpack_pack_map(&pk, 5);
    S("id");
    S(id);
    S("type");
    S("inspection.submitted");
    S("source");
    S("hq-schedule-bench");
    S("ts");
    msgpack_pack_int64(&pk, ts);
    S("data");
    msgpack_pack_map(&pk, 5);
    S("kind");
    S("self");
    S("domain");
    S("maintenance");
    S("site");
    S(site);
    S("inspector");
    S("bench");
    S("items");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 2);
    S("code");
    S("M-01");
    S("result");
    S("pass");
#undef S
}

static int cmd_generate(int argc, char **argv)
{
    const char *schemas_dir = "schemas", *rules_dir = NULL, *term = "2026-autumn", *tmp = getenv("TMPDIR");
    static const struct option lo[] = {{"schemas", 1, NULL, 's'}, {"rules", 1, NULL, 'r'}, {"term", 1, NULL, 'T'},
                                       {"tmpdir", 1, NULL, 't'},  {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': schemas_dir = optarg; break;
        case 'r': rules_dir = optarg; break;
        case 'T': term = optarg; break;
        case 't': tmp = optarg; break;
        default: return 2;
        }
    }
    if (!rules_dir) {
        fprintf(stderr, "usage: hq-schedule-bench generate --schemas S --rules DIR [--term NAME] [--tmpdir DIR]\n");
        return 2;
    }
    if (!tmp)
        tmp = "/tmp";
    long a0 = self_kib("RssAnon");
    int64_t t0 = hqb_mono_ns();
    hq_schemas *schemas;
    hq_rules *rules;
    if (hqb_load(schemas_dir, rules_dir, &schemas, &rules) != 0)
        return 1;
    double load_s = (hqb_mono_ns() - t0) / 1e9;
    long a1 = self_kib("RssAnon");
    size_t units = 0, nabs = 0;
    for (size_t i = 0; i < hq_rules_count(rules); i++) {
        const hq_rule *r = hq_rules_at(rules, i);
        if (r->kind == HQ_RULE_ABSENCE) {
            nabs++;
            units += r->nunits;
        }
    }
    printf("generate: rules loaded in %.2f s: %zu rules, %zu scheduled, %zu rule-units; RssAnon +%.1f MiB for the rule "
           "set\n",
           load_s, hq_rules_count(rules), nabs, units, (a1 - a0) / 1024.0);
    hq_day from, to;
    if (!hq_cal_range(hq_rules_calendar(rules), term, &from, &to)) {
        fprintf(stderr, "no term %s in the calendar\n", term);
        return 1;
    }
    int64_t now = hq_local_instant_ms(from, 0), end = hq_local_instant_ms(to + 1, 0);
    char a[32], b[32];
    hq_local_fmt(now, a, sizeof a);
    hq_local_fmt(end, b, sizeof b);
    char *dir = hqb_mkdtemp(tmp, "hqs");
    hqb_eng e;
    hq_err err = {0};
    if (!dir || hqb_eng_open(&e, dir, schemas, rules, 8ULL << 30, false, 1000, &err) != 0) {
        fprintf(stderr, "generate: %s\n", err.msg);
        return 1;
    }
    int rc = hqb_eng_txn(&e, &err);
    size_t created = 0;
    long r0 = self_kib("RssAnon");
    int64_t g0 = hqb_mono_ns();
    if (rc == 0)
        rc = hq_engine_generate(e.engine, e.store, e.txn, now, end - now, &created, &err);
    int64_t g1 = hqb_mono_ns();
    long r1 = self_kib("RssAnon");
    if (rc == 0)
        rc = hqb_eng_commit(&e, &err); /* durable: fsync */
    int64_t g2 = hqb_mono_ns();
    if (rc) {
        fprintf(stderr, "generate: %s\n", err.msg);
        return 1;
    }
    uint64_t rs, tm, used;
    counts(&e, &rs, &tm, &used);
    double gen_s = (g1 - g0) / 1e9, commit_s = (g2 - g1) / 1e9;
    printf("generate: term %s, %s to %s (%.1f days) for %zu rule-units: %zu obligations\n", term, a, b,
           (end - now) / 86400000.0, units, created);
    printf("generate: %.3f s generating + %.3f s durable commit = %.3f s (%.2f us per obligation); RssAnon +%.1f MiB "
           "in the transaction; state %.1f MiB (%.0f bytes per obligation with its timer)\n",
           gen_s, commit_s, gen_s + commit_s, (gen_s + commit_s) * 1e6 / (double)(created ? created : 1),
           (r1 - r0) / 1024.0, used / 1048576.0, (double)used / (double)(created ? created : 1));
    printf("JSON {\"obligations\":%zu,\"generate_s\":%.4f,\"commit_s\":%.4f,\"rss_txn_mib\":%.1f,\"state_mib\":%.1f,"
           "\"rulestate\":%llu,\"timers\":%llu,\"rules_load_s\":%.3f,\"rules_rss_mib\":%.1f}\n",
           created, gen_s, commit_s, (r1 - r0) / 1024.0, used / 1048576.0, (unsigned long long)rs,
           (unsigned long long)tm, load_s, (a1 - a0) / 1024.0);

    /* The work at a deadline: every unit's slot missed (nothing came). */
    int64_t due1 = 0, due2 = 0;
    if (next_due(&e, &due1) == 0) {
        size_t fired = 0;
        uint64_t op0 = e.opened;
        int64_t f0 = hqb_mono_ns();
        rc = hqb_eng_fire(&e, due1, &fired, &err);
        int64_t f1 = hqb_mono_ns();
        hq_local_fmt(due1, a, sizeof a);
        printf("deadline %s, nothing submitted: %zu slots missed, %llu issues opened in %.3f s (%.1f us per slot, "
               "commits of 1000 with fsync)\n",
               a, fired, (unsigned long long)(e.opened - op0), (f1 - f0) / 1e9,
               (f1 - f0) / 1e3 / (double)(fired ? fired : 1));
    }
    /* The next deadline: every unit submits first, then the deadline passes. */
    if (rc == 0 && next_due(&e, &due2) == 0) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        const hq_rule *daily = hq_rules_find(rules, "bench.daily-self-inspection");
        size_t n = daily ? daily->nunits : 0;
        int64_t ts = due2 - 3600000;
        int64_t s0 = hqb_mono_ns();
        for (size_t u = 0; u < n && rc == 0; u++) {
            char id[64];
            snprintf(id, sizeof id, "insp-%lld-%zu", (long long)due2, u);
            pack_inspection(&sb, id, ts, daily->units[u]);
            rc = hqb_eng_event(&e, sb.data, sb.size, ts, &err);
        }
        if (rc == 0)
            rc = hqb_eng_commit(&e, &err);
        int64_t s1 = hqb_mono_ns();
        size_t fired = 0;
        uint64_t op0 = e.opened;
        if (rc == 0)
            rc = hqb_eng_fire(&e, due2, &fired, &err);
        int64_t s2 = hqb_mono_ns();
        hq_local_fmt(due2, a, sizeof a);
        printf("deadline %s, every unit submitted an hour before: %zu events in %.3f s (%.1f us each; a satisfied "
               "slot's timer is deleted); at the deadline %zu timers fired in %.3f s, %llu issues opened\n",
               a, n, (s1 - s0) / 1e9, (s1 - s0) / 1e3 / (double)(n ? n : 1), fired, (s2 - s1) / 1e9,
               (unsigned long long)(e.opened - op0));
        msgpack_sbuffer_destroy(&sb);
        int64_t due3 = 0;
        if (next_due(&e, &due3) == 0) {
            hq_local_fmt(due3, a, sizeof a);
            printf("next timer: %s (%.1f h later): nothing is due in between, so houqind has nothing to do until "
                   "then (it sleeps in zmq_poll until the first timer, at most 1 s at a time)\n",
                   a, (due3 - due2) / 3600000.0);
        }
    }
    if (rc)
        fprintf(stderr, "generate: %s\n", err.msg);
    hqb_eng_close(&e);
    hqb_rmtree(dir);
    free(dir);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return rc ? 1 : 0;
}

/* ---- idle ---- */

static int cmd_idle(int argc, char **argv)
{
    const char *houqind = NULL, *schemas = "schemas", *tmp = getenv("TMPDIR");
    hqb_set sets[HQB_MAX_SETS];
    int nsets = 0;
    uint64_t seconds = 60;
    static const struct option lo[] = {{"houqind", 1, NULL, 'q'}, {"schemas", 1, NULL, 's'}, {"set", 1, NULL, 'S'},
                                       {"seconds", 1, NULL, 'n'}, {"tmpdir", 1, NULL, 't'},  {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'q': houqind = optarg; break;
        case 's': schemas = optarg; break;
        case 'S':
            if (hqb_parse_set(optarg, sets, &nsets))
                return 2;
            break;
        case 'n':
            if (hqb_parse_u64(optarg, &seconds) || seconds < 1)
                return 2;
            break;
        case 't': tmp = optarg; break;
        default: return 2;
        }
    }
    if (!houqind || nsets < 1) {
        fprintf(stderr, "usage: hq-schedule-bench idle --houqind P --schemas S --set NAME=DIR ... [--seconds T]\n");
        return 2;
    }
    if (!tmp)
        tmp = "/tmp";
    void *zctx = zmq_ctx_new();
    int rc = 0;
    printf("idle: houqind, real clock, fresh state; %llu s idle after ready\n", (unsigned long long)seconds);
    printf("%-10s %8s %10s %10s %12s %10s %10s %9s\n", "set", "ready s", "timers", "cpu at rdy", "cpu ms/min",
           "wakeups/s", "RssAnon", "VmHWM");
    for (int s = 0; s < nsets; s++) {
        char *dir = hqb_mkdtemp(tmp, "hqi");
        char state[HQB_PATH];
        snprintf(state, sizeof state, "%s/state", dir);
        hqb_hq h;
        if (hqb_hq_start(&h, houqind, state, sets[s].dir, schemas, dir, NULL) != 0 ||
            hqb_hq_wait_ready(&h, zctx, 120) != 0) {
            printf("%-10s FAILED\n", sets[s].name);
            rc = 1;
        } else {
            double ready = (hqb_mono_ns() - h.started_ns) / 1e9;
            sleep(2);
            double c0 = hqb_proc_cpu_s(h.pid);
            long w0 = hqb_proc_ctxsw(h.pid);
            int64_t t0 = hqb_mono_ns();
            sleep((unsigned)seconds);
            double c1 = hqb_proc_cpu_s(h.pid);
            long w1 = hqb_proc_ctxsw(h.pid);
            double el = (hqb_mono_ns() - t0) / 1e9;
            double rss = hqb_proc_kib(h.pid, "RssAnon") / 1024.0, hwm = hqb_proc_kib(h.pid, "VmHWM") / 1024.0;
            hqb_status st = {0};
            hqb_status_get(zctx, h.control, 30000, &st);
            printf("%-10s %8.3f %10.0f %10.2f %12.1f %10.2f %8.1f M %7.1f M\n", sets[s].name, ready, st.timers, c0,
                   (c1 - c0) * 1000 * 60 / el, (double)(w1 - w0) / el, rss, hwm);
            printf("JSON {\"set\":\"%s\",\"ready_s\":%.3f,\"timers\":%.0f,\"cpu_ms_per_min\":%.2f,\"wakeups_per_s\":%.2f,"
                   "\"rss_anon_mib\":%.2f,\"vmhwm_mib\":%.2f}\n",
                   sets[s].name, ready, st.timers, (c1 - c0) * 1000 * 60 / el, (double)(w1 - w0) / el, rss, hwm);
        }
        if (h.pid > 0)
            hqb_stop(h.pid, 30, NULL);
        hqb_rmtree(dir);
        free(dir);
    }
    zmq_ctx_term(zctx);
    return rc;
}

/* ---- sustained ---- */

static int cmd_sustained(int argc, char **argv)
{
    const char *schemas_dir = "schemas", *tmp = getenv("TMPDIR");
    hqb_set sets[HQB_MAX_SETS];
    int nsets = 0;
    uint64_t sensors = 5000, events = 200000, heavy = 20000, repeat = 3;
    static const struct option lo[] = {{"schemas", 1, NULL, 's'}, {"set", 1, NULL, 'S'},
                                       {"sensors", 1, NULL, 'm'}, {"events", 1, NULL, 'e'},
                                       {"events-heavy", 1, NULL, 'H'}, {"repeat", 1, NULL, 'r'},
                                       {"tmpdir", 1, NULL, 't'},  {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': schemas_dir = optarg; break;
        case 'S':
            if (hqb_parse_set(optarg, sets, &nsets))
                return 2;
            break;
        case 'm':
            if (hqb_parse_u64(optarg, &sensors) || sensors < 1)
                return 2;
            break;
        case 'e':
            if (hqb_parse_u64(optarg, &events) || events < 1)
                return 2;
            break;
        case 'H':
            if (hqb_parse_u64(optarg, &heavy) || heavy < 1)
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
        fprintf(stderr, "usage: hq-schedule-bench sustained --schemas S --set NAME=DIR ... [--sensors M] [--events N]"
                        " [--events-heavy N] [--repeat R]\n");
        return 2;
    }
    if (!tmp)
        tmp = "/tmp";
    printf("sustained: sensor.readings round-robin over %llu sensors, in-process, commits of 1000 without fsync; "
           "median of %llu; sets with more than 100 rules get %llu events\n",
           (unsigned long long)sensors, (unsigned long long)repeat, (unsigned long long)heavy);
    printf("%-10s %6s %-7s %9s %10s %10s %10s %8s\n", "set", "rules", "values", "events", "us/event", "ratio",
           "rulestate", "timers");
    double base[2] = {0, 0};
    int rc = 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int s = 0; s < nsets && rc == 0; s++) {
        hq_schemas *schemas;
        hq_rules *rules;
        if (hqb_load(schemas_dir, sets[s].dir, &schemas, &rules) != 0)
            return 1;
        uint64_t n = hq_rules_count(rules) > 100 ? heavy : events;
        for (int mode = 0; mode < 2 && rc == 0; mode++) {
            double us[50];
            uint64_t rs = 0, tm = 0, used;
            for (unsigned r = 0; r < repeat && rc == 0; r++) {
                char *dir = hqb_mkdtemp(tmp, "hqu");
                hqb_eng e;
                hq_err err = {0};
                if (!dir || hqb_eng_open(&e, dir, schemas, rules, 4ULL << 30, true, 1000, &err) != 0) {
                    fprintf(stderr, "sustained: %s\n", err.msg);
                    return 1;
                }
                int64_t base_ts = hq_wall_ms();
                int64_t step = 1500000 / (int64_t)n; /* all within 25 minutes: no SUSTAIN timer is due */
                if (step < 1)
                    step = 1;
                int64_t t0 = hqb_mono_ns();
                for (uint64_t i = 0; i < n && rc == 0; i++) {
                    char id[64], sensor[32];
                    snprintf(id, sizeof id, "%012llx-%010llx-0001", (unsigned long long)base_ts,
                             (unsigned long long)i);
                    snprintf(sensor, sizeof sensor, "bs-%05llu", (unsigned long long)(i % sensors + 1));
                    int64_t ts = base_ts + (int64_t)i * step;
                    hqb_pack_reading(&sb, id, "hq-schedule-bench", ts, sensor, "cold_storage_temp",
                                     mode ? 9.5 : 4.5, shipped_sites[(i % sensors) % 3]);
                    rc = hqb_eng_event(&e, sb.data, sb.size, ts, &err);
                }
                if (rc == 0)
                    rc = hqb_eng_commit(&e, &err);
                us[r] = (hqb_mono_ns() - t0) / 1e3 / (double)n;
                if (rc)
                    fprintf(stderr, "sustained: %s\n", err.msg);
                if (r == 0)
                    counts(&e, &rs, &tm, &used);
                hqb_eng_close(&e);
                hqb_rmtree(dir);
                free(dir);
            }
            double m = hqb_median(us, repeat);
            if (s == 0)
                base[mode] = m;
            printf("%-10s %6zu %-7s %9llu %10.2f %10.2f %10llu %8llu\n", sets[s].name, hq_rules_count(rules),
                   mode ? "active" : "quiet", (unsigned long long)n, m, base[mode] > 0 ? m / base[mode] : 0,
                   (unsigned long long)rs, (unsigned long long)tm);
            printf("JSON {\"set\":\"%s\",\"values\":\"%s\",\"us_per_event\":%.3f,\"ratio\":%.4f,\"rulestate\":%llu,"
                   "\"timers\":%llu}\n",
                   sets[s].name, mode ? "active" : "quiet", m, base[mode] > 0 ? m / base[mode] : 0,
                   (unsigned long long)rs, (unsigned long long)tm);
        }
        hq_rules_destroy(&rules);
        hq_schemas_destroy(&schemas);
    }
    msgpack_sbuffer_destroy(&sb);
    return rc ? 1 : 0;
}

/* ---- ingest (houqind end to end) ---- */

/* Sends n readings round-robin over the sensors with a window of un-acked
 * events; returns the number stored. */
static uint64_t send_readings(void *zctx, const char *ep, uint64_t n, uint64_t sensors, double value, unsigned window,
                              uint64_t run)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_connect(s, ep);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    uint64_t sent = 0, replies = 0, stored = 0;
    int64_t t = hq_wall_ms();
    while (replies < n) {
        while (sent < n && sent - replies < window) {
            char id[64], sensor[32];
            snprintf(id, sizeof id, "%012llx-%010llx-%04llx", (unsigned long long)t, (unsigned long long)sent,
                     (unsigned long long)(run & 0xffff));
            snprintf(sensor, sizeof sensor, "bs-%05llu", (unsigned long long)(sent % sensors + 1));
            hqb_pack_reading(&sb, id, "hq-schedule-bench", hq_wall_ms(), sensor, "cold_storage_temp", value,
                             shipped_sites[(sent % sensors) % 3]);
            zmq_send(s, sb.data, sb.size, 0);
            sent++;
        }
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 30000) <= 0)
            break;
        char buf[512];
        int r;
        while ((r = zmq_recv(s, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
            replies++;
            if (r > 6)
                for (int i = 0; i + 6 <= r && i < (int)sizeof buf - 6; i++)
                    if (!memcmp(buf + i, "stored", 6)) {
                        stored++;
                        break;
                    }
        }
    }
    msgpack_sbuffer_destroy(&sb);
    zmq_close(s);
    return stored;
}

static int cmd_ingest(int argc, char **argv)
{
    const char *houqind = NULL, *schemas = "schemas", *tmp = getenv("TMPDIR");
    hqb_set sets[HQB_MAX_SETS];
    int nsets = 0;
    uint64_t sensors = 5000, events = 200000, rounds = 3, window = 1000;
    static const struct option lo[] = {{"houqind", 1, NULL, 'q'}, {"schemas", 1, NULL, 's'}, {"set", 1, NULL, 'S'},
                                       {"sensors", 1, NULL, 'm'}, {"events", 1, NULL, 'e'},  {"rounds", 1, NULL, 'r'},
                                       {"window", 1, NULL, 'w'},  {"tmpdir", 1, NULL, 't'},  {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'q': houqind = optarg; break;
        case 's': schemas = optarg; break;
        case 'S':
            if (hqb_parse_set(optarg, sets, &nsets))
                return 2;
            break;
        case 'm':
            if (hqb_parse_u64(optarg, &sensors) || sensors < 1)
                return 2;
            break;
        case 'e':
            if (hqb_parse_u64(optarg, &events) || events < 1)
                return 2;
            break;
        case 'r':
            if (hqb_parse_u64(optarg, &rounds) || rounds < 1 || rounds > 50)
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
    if (!houqind || nsets < 1) {
        fprintf(stderr, "usage: hq-schedule-bench ingest --houqind P --schemas S --set NAME=DIR ... [--sensors M] "
                        "[--events N] [--rounds R] [--window W]\n");
        return 2;
    }
    if (!tmp)
        tmp = "/tmp";
    void *zctx = zmq_ctx_new();
    int nm = nsets * 2;
    double *eps = calloc((size_t)nm * rounds, sizeof *eps), *cpu = calloc((size_t)nm * rounds, sizeof *cpu);
    printf("ingest: houqind, fresh state per run, %llu readings round-robin over %llu sensors, window %llu, %llu "
           "round(s), order rotating\n",
           (unsigned long long)events, (unsigned long long)sensors, (unsigned long long)window,
           (unsigned long long)rounds);
    printf("%-5s %-10s %-7s %10s %14s %6s\n", "round", "set", "values", "events/s", "cpu us/event", "load");
    int rc = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (int j = 0; j < nm; j++) {
            int k = (int)((j + r) % (unsigned)nm), s = k / 2, mode = k % 2;
            char *dir = hqb_mkdtemp(tmp, "hqn");
            char state[HQB_PATH];
            snprintf(state, sizeof state, "%s/state", dir);
            hqb_hq h;
            if (hqb_hq_start(&h, houqind, state, sets[s].dir, schemas, dir, NULL) != 0 ||
                hqb_hq_wait_ready(&h, zctx, 60) != 0) {
                printf("%-5u %-10s FAILED\n", r + 1, sets[s].name);
                rc = 1;
            } else {
                double c0 = hqb_proc_cpu_s(h.pid);
                int64_t t0 = hqb_mono_ns();
                uint64_t st = send_readings(zctx, h.ingest, events, sensors, mode ? 9.5 : 4.5, (unsigned)window, r);
                double el = (hqb_mono_ns() - t0) / 1e9;
                double c1 = hqb_proc_cpu_s(h.pid);
                if (st != events) {
                    printf("%-5u %-10s only %llu of %llu stored\n", r + 1, sets[s].name, (unsigned long long)st,
                           (unsigned long long)events);
                    rc = 1;
                }
                eps[(size_t)k * rounds + r] = (double)st / el;
                cpu[(size_t)k * rounds + r] = (c1 - c0) * 1e6 / (double)events;
                printf("%-5u %-10s %-7s %10.0f %14.2f %6.2f\n", r + 1, sets[s].name, mode ? "active" : "quiet",
                       (double)st / el, (c1 - c0) * 1e6 / (double)events, hqb_loadavg());
            }
            if (h.pid > 0)
                hqb_stop(h.pid, 30, NULL);
            hqb_rmtree(dir);
            free(dir);
            sync();
            sleep(1);
        }
    }
    printf("\nmedians; ratio = set / %s with the same values\n", sets[0].name);
    printf("%-10s %-7s %10s %14s %10s %10s\n", "set", "values", "events/s", "cpu us/event", "cpu ratio", "eps ratio");
    for (int k = 0; k < nm; k++) {
        double me = hqb_median(eps + (size_t)k * rounds, rounds), mc = hqb_median(cpu + (size_t)k * rounds, rounds);
        double be = hqb_median(eps + (size_t)(k % 2) * rounds, rounds),
               bc = hqb_median(cpu + (size_t)(k % 2) * rounds, rounds);
        printf("%-10s %-7s %10.0f %14.2f %10.2f %10.2f\n", sets[k / 2].name, k % 2 ? "active" : "quiet", me, mc,
               bc > 0 ? mc / bc : 0, be > 0 ? me / be : 0);
        printf("JSON {\"set\":\"%s\",\"values\":\"%s\",\"events_per_s\":%.0f,\"cpu_us_per_event\":%.3f,"
               "\"cpu_ratio\":%.4f,\"eps_ratio\":%.4f}\n",
               sets[k / 2].name, k % 2 ? "active" : "quiet", me, mc, bc > 0 ? mc / bc : 0, be > 0 ? me / be : 0);
    }
    free(eps);
    free(cpu);
    zmq_ctx_term(zctx);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hq-schedule-bench rulesdir|generate|idle|sustained|ingest ... (see bench/README.md)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(argv[1], "rulesdir"))
        return cmd_rulesdir(argc - 1, argv + 1);
    if (!strcmp(argv[1], "generate"))
        return cmd_generate(argc - 1, argv + 1);
    if (!strcmp(argv[1], "idle"))
        return cmd_idle(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sustained"))
        return cmd_sustained(argc - 1, argv + 1);
    if (!strcmp(argv[1], "ingest"))
        return cmd_ingest(argc - 1, argv + 1);
    fprintf(stderr, "hq-schedule-bench: unknown mode %s\n", argv[1]);
    return 2;
}
