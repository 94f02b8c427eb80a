/* retain_bench.c - hq-retain-bench: what retention costs ingest, how fast
 * it archives, and the bytes per event before and after (issue 19,
 * "Benchmark"; bench/README.md).
 *
 * In one process and one run, on a state on disk:
 *
 *   1. build: OLD sensor readings stored two months before the clock
 *      (sensor.reading: 30d, so all of them are past their retention and
 *      their month has ended), in NOSYNC transactions, then synced;
 *      bytes per event before.
 *   2. archive throughput: the library's archive writer (archive.h) over
 *      the state's log into a scratch directory, with its fsyncs: events/s.
 *   3. ingest rounds, alternating without (A) and with (B) a retention run
 *      in progress, in the order ABBA ABBA ...: each round stores PER new
 *      readings in batches of BATCH events, one write transaction with
 *      fsync per batch, as houqind's ingest commits a batch.  In B rounds a
 *      retention step (hq_prune_step, budget 256 as houqind's retain.c)
 *      runs between batches at most every 100 ms, as houqind does under
 *      steady ingest; in A rounds the run pauses where it is.  The latency
 *      of an event is from the moment its batch could start (the end of the
 *      previous batch, or of the retention step that ran after it: events
 *      arriving meanwhile wait) to its batch's commit: houqind's ack
 *      latency for a producer that always has events queued, without the
 *      socket.  Printed: events/s of each mode (over all its rounds) and
 *      the p50/p99 latency, and the ratios B/A.
 *   4. the run finished idle (steps back to back); bytes per event after:
 *      LMDB used bytes per event left in LMDB, the archives' bytes per
 *      archived event, and a compacted copy's bytes per event.
 *
 *   hq-retain-bench [--rules DIR] [--schemas DIR] [--old N] [--rounds N] [--per-round N] [--batch N]
 *                   [--budget N] [--interval-ms MS] [--tmp DIR]
 */
#include "hqb.h"

#include "archive.h"
#include "clock.h"
#include "mem.h"
#include "prune.h"
#include "retention.h"
#include "store.h"

#include <getopt.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* daemons/houqind/retain.c's: a step's budget, and how often a step runs
 * under steady ingest (--budget, --interval-ms to try others) */
static uint64_t STEP_BUDGET = 256, BUSY_INTERVAL_MS = 100;

static const char POLICY[] = "retention:\n  every: 300d\n  types:\n    sensor.reading: 30d\n";

static int die(const char *what, const hq_err *err)
{
    fprintf(stderr, "hq-retain-bench: %s: %s\n", what, err ? err->msg : "failed");
    return 1;
}

typedef struct mode {
    double *lat;       /* ms, one per event */
    size_t n, cap;
    double busy_s;     /* wall time of its rounds */
    uint64_t steps;    /* retention steps run */
    double step_s;     /* time inside them */
} mode;

static void lat_add(mode *m, double ms, size_t count)
{
    if (m->n + count > m->cap) {
        m->cap = (m->n + count) * 2;
        m->lat = hq_realloc(m->lat, m->cap * sizeof *m->lat);
    }
    for (size_t i = 0; i < count; i++)
        m->lat[m->n++] = ms;
}

/* Pages of the map in use: up to the last page, minus LMDB's free list
 * (what mdb_stat -f counts), in bytes. */
static uint64_t live_bytes(MDB_env *env)
{
    MDB_envinfo ei;
    MDB_stat st;
    MDB_txn *t;
    mdb_env_info(env, &ei);
    mdb_env_stat(env, &st);
    uint64_t pages = ei.me_last_pgno + 1, free_pages = 0;
    if (mdb_txn_begin(env, NULL, MDB_RDONLY, &t) == 0) {
        MDB_cursor *c;
        MDB_val k, v;
        if (mdb_cursor_open(t, 0, &c) == 0) {
            for (int m = mdb_cursor_get(c, &k, &v, MDB_FIRST); m == 0; m = mdb_cursor_get(c, &k, &v, MDB_NEXT))
                free_pages += *(const size_t *)v.mv_data;
            mdb_cursor_close(c);
        }
        mdb_txn_abort(t);
    }
    return (pages - (free_pages < pages ? free_pages : 0)) * st.ms_psize;
}

static double ms_since(int64_t t0_ns)
{
    return (hqb_mono_ns() - t0_ns) / 1e6;
}

int main(int argc, char **argv)
{
    const char *rules_src = "rules", *schemas_dir = "schemas", *tmp = NULL;
    uint64_t old = 300000, rounds = 16, per = 20000, batch = 200;
    static const struct option lo[] = {{"rules", 1, 0, 'r'},     {"schemas", 1, 0, 's'}, {"old", 1, 0, 'o'},
                                       {"rounds", 1, 0, 'n'},    {"per-round", 1, 0, 'p'}, {"batch", 1, 0, 'b'},
                                       {"tmp", 1, 0, 't'},       {"budget", 1, 0, 'g'},
                                       {"interval-ms", 1, 0, 'i'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'r') rules_src = optarg;
        else if (c == 's') schemas_dir = optarg;
        else if (c == 't') tmp = optarg;
        else if (c == 'o' && hqb_parse_u64(optarg, &old) == 0 && old >= 1000) {}
        else if (c == 'n' && hqb_parse_u64(optarg, &rounds) == 0 && rounds >= 2 && rounds % 2 == 0) {}
        else if (c == 'p' && hqb_parse_u64(optarg, &per) == 0 && per >= 1) {}
        else if (c == 'b' && hqb_parse_u64(optarg, &batch) == 0 && batch >= 1) {}
        else if (c == 'g' && hqb_parse_u64(optarg, &STEP_BUDGET) == 0 && STEP_BUDGET >= 1) {}
        else if (c == 'i' && hqb_parse_u64(optarg, &BUSY_INTERVAL_MS) == 0) {}
        else {
            fprintf(stderr, "usage: hq-retain-bench [--rules DIR] [--schemas DIR] [--old N>=1000] [--rounds EVEN] "
                            "[--per-round N] [--batch N] [--budget N] [--interval-ms MS] [--tmp DIR]\n");
            return 2;
        }
    }
    if (!tmp)
        tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *work = hqb_mkdtemp(tmp, "hqr");
    if (!work)
        return die("mkdtemp", NULL);
    char rules_dir[HQB_PATH], state[HQB_PATH], scratch[HQB_PATH], compact[HQB_PATH];
    snprintf(rules_dir, sizeof rules_dir, "%s/rules", work);
    snprintf(state, sizeof state, "%s/state", work);
    snprintf(scratch, sizeof scratch, "%s/scratch", work);
    snprintf(compact, sizeof compact, "%s/compact", work);
    if (hqb_mkdirs(rules_dir) || hqb_copy_registry(rules_src, rules_dir) || hqb_mkdirs(scratch))
        return die("rules directory", NULL);
    FILE *f = hqb_fopen_w(rules_dir, "retention.yaml");
    if (!f)
        return 1;
    fputs(POLICY, f);
    fclose(f);
    hq_schemas *schemas;
    hq_rules *rules;
    if (hqb_load(schemas_dir, rules_dir, &schemas, &rules))
        return 1;
    const hq_retention *pol = hq_rules_retention(rules);
    if (!pol)
        return die("retention", NULL);

    /* 1. the old readings: one every 10 s of the month two months back */
    int64_t now = hq_wall_ms();
    int64_t old0 = now - 62 * 86400000LL;
    hqb_eng e;
    hq_err err = {0};
    if (hqb_eng_open(&e, state, schemas, rules, 8ULL << 30, true, 2000, &err))
        return die("state", &err);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char id[64];
    for (uint64_t i = 0; i < old; i++) {
        int64_t t = old0 + (int64_t)(i * 10000 % (25 * 86400000ULL));
        snprintf(id, sizeof id, "old-%010llu", (unsigned long long)i);
        char sensor[16];
        snprintf(sensor, sizeof sensor, "cs-%03u", (unsigned)(i % 50));
        hqb_pack_reading(&sb, id, "bench", t, sensor, "cold_storage_temp", 4.5, "canteen-1");
        if (hqb_eng_event(&e, sb.data, sb.size, t, &err))
            return die("build", &err);
    }
    if (hqb_eng_commit(&e, &err))
        return die("build commit", &err);
    hqb_eng_close(&e);
    hq_store *s;
    if (hq_store_open(state, 0, 8ULL << 30, &s, &err))
        return die("reopen", &err);
    MDB_txn *rt;
    hq_state_sizes before;
    if (hq_store_begin(s, false, &rt, &err) || hq_state_sizes_get(s, rt, &before, &err))
        return die("sizes", &err);
    hq_store_abort(s, rt);
    printf("state: %llu old readings, data.mdb %.1f MiB, %llu bytes/event in LMDB (used pages / events)\n",
           (unsigned long long)before.events, before.file_bytes / 1048576.0,
           (unsigned long long)before.bytes_per_event);

    /* 2. archive throughput: the writer over the whole log, fsyncs included */
    {
        hq_archive_writer *w;
        static const unsigned char zero[HQ_CHAIN_BYTES];
        int64_t t0 = hqb_mono_ns();
        if (hq_archive_writer_open(scratch, "bench", 1, zero, &w, &err) || hq_store_begin(s, false, &rt, &err))
            return die("archive writer", &err);
        MDB_cursor *cur;
        MDB_val k, v;
        mdb_cursor_open(rt, hq_store_dbi(s, HQ_DB_EVENTS), &cur);
        for (int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0; m = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if (hq_archive_writer_add(w, hq_be64_get(k.mv_data), (int64_t)hq_be64_get(v.mv_data),
                                      (const char *)v.mv_data + 8, v.mv_size - 8, &err))
                return die("archive add", &err);
        mdb_cursor_close(cur);
        hq_store_abort(s, rt);
        uint64_t n = hq_archive_writer_count(w);
        hq_archive_info info;
        if (hq_archive_writer_finish(&w, now, &info, &err))
            return die("archive finish", &err);
        double sec = (hqb_mono_ns() - t0) / 1e9;
        printf("archive: %llu events in %.2f s: %.0f events/s; %.1f MiB compressed, %.1f bytes/event archived\n",
               (unsigned long long)n, sec, n / sec, info.bytes / 1048576.0, (double)info.bytes / (double)n);
        hqb_rmtree(scratch);
    }
    hq_store_close(&s);

    /* 3. ingest rounds, ABBA */
    if (hqb_eng_open(&e, state, schemas, rules, 8ULL << 30, false, (unsigned)batch + 1, &err))
        return die("state", &err);
    hq_prune *p;
    if (hq_prune_new(e.store, &p, &err))
        return die("prune", &err);
    hq_prune_kick(p);
    mode md[2] = {{0}};
    double *round_rate = hq_calloc(rounds, sizeof *round_rate);
    uint64_t seq = 0;
    int64_t last_step = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        int b = (r % 4 == 1 || r % 4 == 2); /* A B B A */
        mode *m = &md[b];
        int64_t r0 = hqb_mono_ns(), ready = r0;
        for (uint64_t done = 0; done < per;) {
            size_t nb = per - done < batch ? per - done : batch;
            for (size_t i = 0; i < nb; i++, seq++) {
                int64_t t = hq_wall_ms();
                snprintf(id, sizeof id, "new-%010llu", (unsigned long long)seq);
                hqb_pack_reading(&sb, id, "bench", t, "cs-001", "cold_storage_temp", 4.5, "canteen-1");
                if (hqb_eng_event(&e, sb.data, sb.size, t, &err))
                    return die("ingest", &err);
            }
            if (hqb_eng_commit(&e, &err))
                return die("commit", &err);
            lat_add(m, ms_since(ready), nb);
            done += nb;
            ready = hqb_mono_ns();
            if (b && (uint64_t)((ready - last_step) / 1000000) >= BUSY_INTERVAL_MS) {
                bool more;
                int64_t s0 = hqb_mono_ns();
                int rc = hq_prune_step(p, pol, hq_wall_ms(), STEP_BUDGET, &more, &err);
                if (rc)
                    return die("retention step", &err);
                last_step = hqb_mono_ns();
                m->steps++;
                m->step_s += (last_step - s0) / 1e9;
                ready = last_step; /* events that came meanwhile waited for the step */
            }
        }
        m->busy_s += (hqb_mono_ns() - r0) / 1e9;
        round_rate[r] = per / ((hqb_mono_ns() - r0) / 1e9);
    }
    /* Adjacent rounds (A B, B A) as pairs: the median of their ratios is
     * less sensitive to the disk's drift than the totals. */
    double *pair = hq_calloc(rounds / 2, sizeof *pair);
    for (uint64_t i = 0; i + 1 < rounds; i += 2) {
        bool b_first = i % 4 == 2;
        pair[i / 2] = b_first ? round_rate[i] / round_rate[i + 1] : round_rate[i + 1] / round_rate[i];
    }
    double pair_med = hqb_median(pair, rounds / 2);
    const hq_prune_figures *fg = hq_prune_figures_get(p);
    static const char *const phases[] = {"idle", "archive", "protect", "delete"};
    double rate[2], p50[2], p99[2];
    for (int i = 0; i < 2; i++) {
        hqb_sort(md[i].lat, md[i].n);
        rate[i] = md[i].n / md[i].busy_s;
        p50[i] = hqb_pct(md[i].lat, md[i].n, 50);
        p99[i] = hqb_pct(md[i].lat, md[i].n, 99);
        printf("%s: %zu events in %.2f s: %.0f events/s; latency p50 %.2f ms, p99 %.2f ms; %llu retention steps "
               "(%.2f s inside them)\n",
               i ? "with retention (B)" : "without (A)       ", md[i].n, md[i].busy_s, rate[i], p50[i], p99[i],
               (unsigned long long)md[i].steps, md[i].step_s);
    }
    printf("ratio B/A: rate %.3f (median of adjacent pairs %.3f; bar >= 0.9), p99 %.2f (bar <= 2); during the rounds the run archived %llu and "
           "removed %llu so far (phase now: %s)\n",
           rate[1] / rate[0], pair_med, p99[1] / p99[0], (unsigned long long)fg->archived_upto,
           (unsigned long long)(fg->total_removed), phases[fg->phase]);

    /* 4. finish the run idle; sizes after */
    int64_t t0 = hqb_mono_ns();
    for (bool more = true; more;)
        if (hq_prune_step(p, pol, hq_wall_ms(), STEP_BUDGET, &more, &err))
            return die("retention step", &err);
    double fin = (hqb_mono_ns() - t0) / 1e9;
    fg = hq_prune_figures_get(p);
    hq_state_sizes after;
    if (hqb_eng_txn(&e, &err) || hq_state_sizes_get(e.store, e.txn, &after, &err))
        return die("sizes", &err);
    hqb_eng_commit(&e, &err);
    uint64_t live = live_bytes(hq_store_env(e.store));
    printf("run finished idle in %.2f s: %llu archived, %llu removed in all\n", fin,
           (unsigned long long)fg->total_archived, (unsigned long long)fg->total_removed);
    /* the compacted copy (what houqinctl backup --compact writes) */
    char sub[HQB_PATH + 16];
    snprintf(sub, sizeof sub, "%s/data.mdb", compact);
    struct stat cs;
    if (hqb_mkdirs(compact) || mdb_env_copy2(hq_store_env(e.store), compact, MDB_CP_COMPACT) || stat(sub, &cs))
        return die("compact copy", NULL);
    uint64_t archived = fg->archived_upto;
    printf("after: %llu events in LMDB, data.mdb %.1f MiB (LMDB does not shrink it, it reuses the freed pages), "
           "%.0f bytes/event in LMDB (pages in use minus the free list / events); compacted copy %.1f MiB, %.0f bytes/event; archives %.1f MiB, %.1f bytes per "
           "archived event\n",
           (unsigned long long)after.events, after.file_bytes / 1048576.0,
           after.events ? (double)live / (double)after.events : 0.0, cs.st_size / 1048576.0,
           after.events ? (double)cs.st_size / (double)after.events : 0.0, after.archive_bytes / 1048576.0,
           archived ? (double)after.archive_bytes / (double)archived : 0.0);
    printf("{\"old\":%llu,\"bytes_per_event_before\":%llu,\"rate_a\":%.0f,\"rate_b\":%.0f,\"rate_ratio\":%.3f,\"rate_ratio_pairs\":%.3f,"
           "\"p99_a_ms\":%.3f,\"p99_b_ms\":%.3f,\"p99_ratio\":%.3f,\"bytes_per_event_after\":%.0f,"
           "\"archive_bytes_per_event\":%.1f}\n",
           (unsigned long long)old, (unsigned long long)before.bytes_per_event, rate[0], rate[1], rate[1] / rate[0],
           pair_med, p99[0], p99[1], p99[1] / p99[0], after.events ? (double)live / (double)after.events : 0.0,
           archived ? (double)after.archive_bytes / (double)archived : 0.0);
    hq_prune_destroy(&p);
    hqb_eng_close(&e);
    msgpack_sbuffer_destroy(&sb);
    free(round_rate);
    free(pair);
    free(md[0].lat);
    free(md[1].lat);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    hqb_rmtree(work);
    free(work);
    return 0;
}
