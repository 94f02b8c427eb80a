/* perm_bench.c - hq-perm-bench: what the permission check costs on the
 * action path (issue 13, "Benchmark": under 5% of the action rate).
 *
 * In one process and one run: the shipped rules (with their permission
 * table), a store on disk, three catering issues opened by failed
 * inspections, then rounds of lifecycle actions (issue.comment by the
 * catering section head) applied by the engine, each round in one write
 * transaction committed with fsync.  Rounds alternate between the two
 * modes, so that the growing timelines and the disk weigh on both alike:
 *   checked:   ev.auth = HQ_AUTH_NONE, as houqind's ingest sets it: the
 *              person is looked up and the table decides (authz.h);
 *   unchecked: ev.auth = HQ_AUTH_UNKNOWN: the engine skips the check.
 * Printed: actions per second of each mode (medians over the rounds) and
 * the cost of the check, 1 - checked/unchecked.
 *
 *   hq-perm-bench [--rules DIR] [--schemas DIR] [--rounds N] [--per-round N] [--tmp DIR]
 */
#include "hqb.h"

#include "engine.h"
#include "event.h"
#include "mem.h"
#include "rules.h"
#include "schema.h"
#include "store.h"

#include <getopt.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pk_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* One event: envelope and a data map of string pairs (kv, NULL-ended);
 * items: an inspection's failed item when not NULL. */
static void build(msgpack_sbuffer *sb, const char *id, const char *type, const char *const *kv, bool item)
{
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    pk_str(&pk, "id"), pk_str(&pk, id);
    pk_str(&pk, "type"), pk_str(&pk, type);
    pk_str(&pk, "source"), pk_str(&pk, "bench");
    pk_str(&pk, "ts"), msgpack_pack_int64(&pk, 1773022500000LL);
    size_t n = 0;
    while (kv[2 * n])
        n++;
    pk_str(&pk, "data");
    msgpack_pack_map(&pk, n + (item ? 1 : 0));
    for (size_t i = 0; i < n; i++)
        pk_str(&pk, kv[2 * i]), pk_str(&pk, kv[2 * i + 1]);
    if (item) {
        pk_str(&pk, "items");
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 2);
        pk_str(&pk, "code"), pk_str(&pk, "fs.storage");
        pk_str(&pk, "result"), pk_str(&pk, "fail");
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *rules_dir = "rules", *schemas_dir = "schemas", *tmp = NULL;
    uint64_t rounds = 20, per = 500;
    static const struct option lo[] = {{"rules", 1, 0, 'r'},  {"schemas", 1, 0, 's'}, {"rounds", 1, 0, 'n'},
                                       {"per-round", 1, 0, 'p'}, {"tmp", 1, 0, 't'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'r') rules_dir = optarg;
        else if (c == 's') schemas_dir = optarg;
        else if (c == 't') tmp = optarg;
        else if (c == 'n' && hqb_parse_u64(optarg, &rounds) == 0 && rounds >= 2) {}
        else if (c == 'p' && hqb_parse_u64(optarg, &per) == 0 && per >= 1) {}
        else {
            fprintf(stderr, "usage: hq-perm-bench [--rules DIR] [--schemas DIR] [--rounds N>=2] [--per-round N] "
                            "[--tmp DIR]\n");
            return 2;
        }
    }
    hq_diags d;
    hq_diags_init(&d);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    if (hq_schemas_load_dir(schemas_dir, &schemas, &d) || hq_rules_load(rules_dir, schemas, &rules, &d)) {
        char line[700];
        fprintf(stderr, "hq-perm-bench: %s\n", d.count ? hq_err_str(&d.items[0], line, sizeof line) : "load failed");
        return 1;
    }
    if (!hq_rules_perm(rules)) {
        fprintf(stderr, "hq-perm-bench: %s has no permission table: nothing to measure\n", rules_dir);
        return 1;
    }
    if (!tmp)
        tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *dir = hqb_mkdtemp(tmp, "hqp");
    hq_store *store;
    hq_err err = {0};
    if (!dir || hq_store_open(dir, 0, 1ULL << 30, &store, &err)) {
        fprintf(stderr, "hq-perm-bench: store: %s\n", err.msg);
        return 1;
    }
    hq_engine *e = hq_engine_new();
    hq_engine_set_rules(e, rules);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 8192);
    msgpack_sbuffer sb[3];
    hq_event ev;
    uint64_t seq = 1;
    int64_t now = 1773022500000LL;
    /* Three issues. */
    static const char *const sites[] = {"canteen-1", "canteen-2", "canteen-3"};
    MDB_txn *txn;
    hq_effects fx;
    if (hq_store_begin(store, true, &txn, &err))
        return 1;
    for (int i = 0; i < 3; i++) {
        msgpack_sbuffer_init(&sb[i]);
        const char *kv[] = {"kind", "spot", "domain", "catering", "site", sites[i], "inspector", "lin.sup", NULL};
        char id[32];
        snprintf(id, sizeof id, "open-%d", i);
        build(&sb[i], id, "inspection.submitted", kv, true);
        if (hq_event_decode(sb[i].data, sb[i].size, &hq_event_default_limits, schemas, &zone, &ev, &err) ||
            hq_engine_event(e, store, txn, &ev, seq++, now, &fx, &err)) {
            fprintf(stderr, "hq-perm-bench: opening: %s\n", err.msg);
            return 1;
        }
    }
    if (hq_store_commit(store, txn, &err))
        return 1;
    /* The actions: one decoded comment per issue, reused. */
    hq_event act[3];
    for (int i = 0; i < 3; i++) {
        char number[24], id[32];
        snprintf(number, sizeof number, "HQ-2026-%06d", i + 1);
        snprintf(id, sizeof id, "comment-%d", i);
        const char *kv[] = {"issue", number, "actor", "chen.catering", "text", "请举一反三，排查各食堂冷藏库。", NULL};
        build(&sb[i], id, "issue.comment", kv, false);
        if (hq_event_decode(sb[i].data, sb[i].size, &hq_event_default_limits, schemas, &zone, &act[i], &err)) {
            fprintf(stderr, "hq-perm-bench: %s\n", err.msg);
            return 1;
        }
    }
    double *rate[2] = {hq_calloc(rounds, sizeof(double)), hq_calloc(rounds, sizeof(double))};
    double *ratio = hq_calloc(rounds, sizeof(double));
    for (uint64_t r = 0; r < 2 * rounds; r++) {
        int mode = (int)((r + r / 2) % 2); /* ABBA ABBA: neither mode always goes first */
        for (int i = 0; i < 3; i++)
            act[i].auth = mode == 0 ? HQ_AUTH_NONE : HQ_AUTH_UNKNOWN;
        int64_t t0 = hqb_mono_ns();
        if (hq_store_begin(store, true, &txn, &err))
            return 1;
        for (uint64_t k = 0; k < per; k++) {
            if (hq_engine_event(e, store, txn, &act[k % 3], seq++, now, &fx, &err)) {
                fprintf(stderr, "hq-perm-bench: action: %s\n", err.msg);
                return 1;
            }
        }
        if (hq_store_commit(store, txn, &err)) {
            fprintf(stderr, "hq-perm-bench: commit: %s\n", err.msg);
            return 1;
        }
        double s = (double)(hqb_mono_ns() - t0) / 1e9;
        rate[mode][r / 2] = (double)per / s;
    }
    /* Each pair of adjacent rounds (one per mode) gives a ratio: the
     * machine's drift between pairs cancels out. */
    for (uint64_t i = 0; i < rounds; i++)
        ratio[i] = rate[0][i] / rate[1][i];
    qsort(ratio, rounds, sizeof(double), cmp_d);
    double cost = 1.0 - ratio[rounds / 2];
    qsort(rate[0], rounds, sizeof(double), cmp_d);
    qsort(rate[1], rounds, sizeof(double), cmp_d);
    double chk = rate[0][rounds / 2], unchk = rate[1][rounds / 2];
    printf("hq-perm-bench: %llu rounds x %llu lifecycle actions (issue.comment) per mode, one txn + fsync per round\n",
           (unsigned long long)rounds, (unsigned long long)per);
    printf("  with the check     %10.0f actions/s (median of rounds; min %.0f, max %.0f)\n", chk, rate[0][0],
           rate[0][rounds - 1]);
    printf("  without the check  %10.0f actions/s (median of rounds; min %.0f, max %.0f)\n", unchk, rate[1][0],
           rate[1][rounds - 1]);
    printf("  cost of the check  %9.1f%% (median over adjacent round pairs of 1 - checked/unchecked; bar: under 5%%)\n",
           100.0 * cost);
    printf("{\"checked_per_s\":%.0f,\"unchecked_per_s\":%.0f,\"cost\":%.4f}\n", chk, unchk, cost);
    hq_engine_destroy(&e);
    hq_store_close(&store);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    hqb_rmtree(dir);
    free(dir);
    return 0;
}
