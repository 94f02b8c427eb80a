/* backtest.c - replay of a stored event log through a rule set (backtest.h). */
#include "backtest.h"

#include "archive.h"

#include "json.h"
#include "mem.h"
#include "mp.h"
#include "sim.h"

#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1000
#define PROGRESS_EVERY 4096

static void add_skip(hq_backtest *b, uint64_t seq, const hq_event *ev, const char *issue, int refused,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add_skip(hq_backtest *b, uint64_t seq, const hq_event *ev, const char *issue, int refused,
                     const char *fmt, ...)
{
    if (refused)
        b->lifecycle_refused++;
    else
        b->lifecycle_skipped++;
    if (b->nskips >= HQ_BT_MAX_SKIPS)
        return;
    hq_bt_skip *s = &b->skips[b->nskips++];
    memset(s, 0, sizeof *s);
    s->seq = seq;
    s->refused = refused;
    snprintf(s->type, sizeof s->type, "%.*s", (int)ev->type_len, ev->type);
    snprintf(s->issue, sizeof s->issue, "%s", issue ? issue : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
}

/* The frame again, with data.issue set to number. */
static void rewrite_issue(const hq_event *ev, const char *number, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    const msgpack_object *root = ev->root;
    msgpack_pack_map(&pk, root->via.map.size);
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object_kv *kv = &root->via.map.ptr[i];
        msgpack_pack_object(&pk, kv->key);
        if (!hq_mp_str_eq(&kv->key, "data") || kv->val.type != MSGPACK_OBJECT_MAP) {
            msgpack_pack_object(&pk, kv->val);
            continue;
        }
        msgpack_pack_map(&pk, kv->val.via.map.size);
        for (uint32_t j = 0; j < kv->val.via.map.size; j++) {
            const msgpack_object_kv *d = &kv->val.via.map.ptr[j];
            msgpack_pack_object(&pk, d->key);
            if (hq_mp_str_eq(&d->key, "issue"))
                hq_mp_pack_str(&pk, number);
            else
                msgpack_pack_object(&pk, d->val);
        }
    }
}

/* A lifecycle event of the log: find the backtest's issue for the running
 * issue's (rule, key) and apply the event to it. */
static int replay_lifecycle(hq_backtest *b, hq_sim *sim, hq_store *src, MDB_txn *src_txn, uint64_t seq,
                            const hq_event *ev, int64_t at_ms, const hq_rules *rules, hq_err *err)
{
    char *number = hq_mp_strdup(hq_mp_map_get(ev->data, "issue"));
    hq_issue is;
    hq_err lerr = {0};
    int rc = 0;
    if (!number || hq_issue_load(src, src_txn, number, &is, &lerr) != 0) {
        add_skip(b, seq, ev, number, 0, "the running state has no issue %s", number ? number : "(none)");
        free(number);
        return 0;
    }
    /* Timers due by then fire first: the backtest issue may have moved on. */
    MDB_txn *txn;
    hq_group g;
    if ((rc = hq_sim_advance(sim, at_ms, NULL, err)) || (rc = hq_sim_txn(sim, &txn, err)) ||
        (rc = hq_group_get(hq_sim_store(sim), txn, is.rule, is.key, &g, err)))
        goto out;
    if (!hq_rules_find(rules, is.rule)) {
        add_skip(b, seq, ev, number, 0, "rule %s is not in the backtest rules", is.rule);
    } else if (!g.open[0]) {
        add_skip(b, seq, ev, number, 0, "the backtest has no open issue for %s / %s", is.rule, is.key);
    } else {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        rewrite_issue(ev, g.open, &sb);
        /* How the actor was proven is in the running issue's timeline
         * (the entry of this event), not in the stored frame. */
        const char *auth = NULL;
        for (size_t i = 0; i < is.ntimeline && !auth; i++)
            if (is.timeline[i].seq == seq)
                auth = is.timeline[i].auth;
        hq_sim_result res;
        rc = hq_sim_event_marked(sim, sb.data, sb.size, at_ms, auth, &res, err);
        msgpack_sbuffer_destroy(&sb);
        if (rc == 0) {
            if (res.status == HQ_SIM_STORED) {
                b->lifecycle_applied++;
                b->replayed++;
            } else {
                add_skip(b, seq, ev, number, 1, "backtest issue %s: %s", g.open, res.error.msg);
            }
        }
    }
out:
    hq_issue_fini(&is);
    free(number);
    return rc;
}

static int cmp_issue(const void *pa, const void *pb)
{
    const hq_issue *a = pa, *b = pb;
    int c = strcmp(a->rule, b->rule);
    if (!c)
        c = strcmp(a->key, b->key);
    if (!c)
        c = a->opened_ms < b->opened_ms ? -1 : a->opened_ms > b->opened_ms;
    if (!c)
        c = strcmp(a->number, b->number);
    return c;
}

/* Every issue of s (opened within [from, to) when to > 0). */
static int load_issues(hq_store *s, MDB_txn *txn, int64_t from_ms, int64_t to_ms, hq_issue **out, size_t *n,
                       hq_err *err)
{
    MDB_cursor *c;
    MDB_val k, v;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = hq_store_cursor(s, txn, HQ_DB_ISSUES, &c, err);
    if (rc)
        return rc;
    for (int m = mdb_cursor_get(c, &k, &v, MDB_FIRST); m == 0; m = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        hq_issue is;
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, err) != 0) {
            mdb_cursor_close(c);
            return HQ_ESTORE;
        }
        if (is.opened_ms < from_ms || (to_ms > 0 && is.opened_ms >= to_ms)) {
            hq_issue_fini(&is);
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            hq_issue *nv = hq_realloc(*out, cap * sizeof **out);
            *out = nv;
        }
        (*out)[(*n)++] = is;
    }
    mdb_cursor_close(c);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, cmp_issue);
    return 0;
}

static bool same_group(const hq_issue *a, const hq_issue *b)
{
    return !strcmp(a->rule, b->rule) && !strcmp(a->key, b->key);
}

/* Pairs the two sorted lists group by group, in opening order. */
static int compare(hq_backtest *b, hq_err *err)
{
    b->pairs = hq_calloc(b->nbt + b->nrun + 1, sizeof *b->pairs);
    b->only_bt = hq_calloc(b->nbt + 1, sizeof *b->only_bt);
    b->only_run = hq_calloc(b->nrun + 1, sizeof *b->only_run);
    if (!b->pairs || !b->only_bt || !b->only_run)
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    size_t i = 0, j = 0;
    while (i < b->nbt || j < b->nrun) {
        int c = i >= b->nbt ? 1 : j >= b->nrun ? -1 : 0;
        if (!c) {
            c = strcmp(b->bt[i].rule, b->run[j].rule);
            if (!c)
                c = strcmp(b->bt[i].key, b->run[j].key);
        }
        if (c < 0) {
            b->only_bt[b->nonly_bt++] = &b->bt[i++];
        } else if (c > 0) {
            b->only_run[b->nonly_run++] = &b->run[j++];
        } else {
            /* One (rule, key) on both sides: pair in order, the rest unpaired. */
            size_t i0 = i, j0 = j;
            while (i < b->nbt && same_group(&b->bt[i], &b->bt[i0]))
                i++;
            while (j < b->nrun && same_group(&b->run[j], &b->run[j0]))
                j++;
            size_t k;
            for (k = 0; i0 + k < i && j0 + k < j; k++) {
                const hq_issue *x = &b->run[j0 + k], *y = &b->bt[i0 + k];
                unsigned d = 0;
                if (x->severity != y->severity)
                    d |= HQ_BT_SEVERITY;
                if (x->level != y->level)
                    d |= HQ_BT_LEVEL;
                if (x->state != y->state)
                    d |= HQ_BT_STATE;
                b->pairs[b->npairs++] = (hq_bt_pair){x, y, d};
            }
            for (size_t x = i0 + k; x < i; x++)
                b->only_bt[b->nonly_bt++] = &b->bt[x];
            for (size_t x = j0 + k; x < j; x++)
                b->only_run[b->nonly_run++] = &b->run[x];
        }
    }
    return 0;
}

static int sim_start(hq_sim **sim, const hq_backtest_opts *o, const hq_schemas *schemas, const hq_rules *rules,
                     const hq_event_limits *lim, uint64_t map_size, int64_t start_ms, hq_err *err)
{
    hq_sim_opts so = {.parent_dir = o->scratch_dir, .map_size = map_size, .batch = BATCH, .limits = *lim};
    return hq_sim_new(&so, schemas, rules, start_ms, sim, err);
}

/* One stored event of the source log (from LMDB or an archive) replayed
 * into the simulation; events outside [from_ms, to_ms) are skipped. */
static int bt_one(hq_backtest *b, hq_sim **sim, const hq_backtest_opts *o, hq_store *src, MDB_txn *src_txn,
                  const hq_schemas *schemas, const hq_rules *rules, const hq_event_limits *lim, uint64_t map_size,
                  msgpack_zone *zone, uint64_t seq, int64_t stored_ms, const char *frame, size_t len, hq_err *err)
{
    int rc;
    if (stored_ms < o->from_ms || (o->to_ms > 0 && stored_ms >= o->to_ms))
        return 0;
    b->events++;
    if (!*sim) {
        /* A state without an origin record (made before it existed): the
         * history is taken to begin with the first event replayed. */
        b->start_ms = o->from_ms > 0 ? o->from_ms : stored_ms;
        b->start = o->from_ms > 0 ? HQ_BT_START_FROM : HQ_BT_START_FIRST_EVENT;
        if ((rc = sim_start(sim, o, schemas, rules, lim, map_size, b->start_ms, err)))
            return rc;
    }
    if (!b->first_ms)
        b->first_ms = stored_ms;
    b->last_ms = stored_ms;
    msgpack_zone_clear(zone);
    hq_event ev;
    hq_err derr = {0};
    if (hq_event_decode(frame, len, lim, schemas, zone, &ev, &derr) != 0) {
        b->invalid++;
        return 0;
    }
    if (ev.type_len > 6 && !memcmp(ev.type, "issue.", 6))
        return replay_lifecycle(b, *sim, src, src_txn, seq, &ev, stored_ms, rules, err);
    hq_sim_result res;
    if ((rc = hq_sim_event(*sim, frame, len, stored_ms, &res, err)))
        return rc;
    if (res.status == HQ_SIM_STORED)
        b->replayed++;
    else
        b->invalid++;
    return 0;
}

/* The archived months first (archive.h: every event of a segment, in seq
 * order, checked against its manifest before it is read), then LMDB from
 * where the archives end. */
static int bt_archives(hq_backtest *b, hq_sim **sim, const hq_backtest_opts *o, hq_store *src, MDB_txn *src_txn,
                       const hq_schemas *schemas, const hq_rules *rules, const hq_event_limits *lim,
                       uint64_t map_size, msgpack_zone *zone, uint64_t *upto, hq_err *err)
{
    hq_archive_info *a;
    size_t n;
    *upto = 0;
    int rc = hq_archive_list(hq_store_dir(src), &a, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        *upto = a[i].last_seq;
        if (a[i].last_ms < o->from_ms || (o->to_ms > 0 && a[i].first_ms >= o->to_ms))
            continue;
        hq_archive_reader *r;
        if ((rc = hq_archive_reader_open(hq_store_dir(src), &a[i], &r, err)))
            break;
        uint64_t seq;
        int64_t ms;
        const char *frame;
        size_t len;
        while ((rc = hq_archive_reader_next(r, &seq, &ms, &frame, &len, err)) == 1)
            if ((rc = bt_one(b, sim, o, src, src_txn, schemas, rules, lim, map_size, zone, seq, ms, frame, len,
                             err)))
                break;
        hq_archive_reader_close(&r);
    }
    free(a);
    return rc;
}

int hq_backtest_run(hq_store *src, MDB_txn *src_txn, const hq_schemas *schemas, const hq_rules *rules,
                    const hq_backtest_opts *opts, hq_backtest **out, hq_err *err)
{
    hq_backtest_opts o = opts ? *opts : (hq_backtest_opts){0};
    hq_backtest *b = hq_calloc(1, sizeof *b);
    if (!b || !(b->skips = hq_calloc(HQ_BT_MAX_SKIPS, sizeof *b->skips))) {
        free(b);
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    }
    hq_sim *sim = NULL;
    MDB_cursor *cur = NULL;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 8192);
    hq_event_limits lim = hq_event_default_limits;
    lim.max_bytes = 16u << 20; /* what was stored was within the daemon's limits */
    int rc = hq_store_cursor(src, src_txn, HQ_DB_EVENTS, &cur, err);
    if (rc)
        goto out;
    /* The sequence range, for progress. */
    MDB_val k, v;
    uint64_t first = 0, last = 0, done = 0;
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
        last = hq_be64_get(k.mv_data);
    int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (m == 0 && k.mv_size == 8)
        first = hq_be64_get(k.mv_data);
    uint64_t total = last >= first && last ? last - first + 1 : 0;
    hq_store_stats st;
    uint64_t map_size = 256ULL << 20;
    if (hq_store_stats_get(src, src_txn, &st, NULL) == 0 && st.used_bytes * 2 > map_size)
        map_size = st.used_bytes * 2;
    /* The simulation begins where the state's history began (its origin:
     * the daemon's first generation of obligations), so that what the
     * scheduled rules opened before the first event is replayed too; with
     * --from later than that, at --from. */
    int64_t origin = 0;
    if (hq_store_origin_get(src, src_txn, &origin) == 0 && (o.from_ms <= origin || o.from_ms == 0)) {
        b->start_ms = origin;
        b->start = HQ_BT_START_ORIGIN;
    } else if (o.from_ms > 0) {
        b->start_ms = o.from_ms;
        b->start = HQ_BT_START_FROM;
    }
    if (b->start_ms && (rc = sim_start(&sim, &o, schemas, rules, &lim, map_size, b->start_ms, err)))
        goto out;
    uint64_t upto = 0;
    if ((rc = bt_archives(b, &sim, &o, src, src_txn, schemas, rules, &lim, map_size, &zone, &upto, err)))
        goto out;
    if (upto) {
        unsigned char kb[8];
        hq_be64_put(kb, upto + 1);
        k = (MDB_val){8, kb};
        m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    }
    for (; m == 0; m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (o.progress && ++done % PROGRESS_EVERY == 0)
            o.progress(o.ctx, done, total);
        /* events: be64 seq -> be64 stored_ms | frame (store.c's key space) */
        if (k.mv_size != 8 || v.mv_size < 8)
            continue;
        if ((rc = bt_one(b, &sim, &o, src, src_txn, schemas, rules, &lim, map_size, &zone, hq_be64_get(k.mv_data),
                         (int64_t)hq_be64_get(v.mv_data), (const char *)v.mv_data + 8, v.mv_size - 8, err)))
            goto out;
    }
    if (o.progress)
        o.progress(o.ctx, total, total);
    b->end_ms = o.end_ms > b->last_ms ? o.end_ms : b->last_ms;
    if (b->end_ms < b->start_ms)
        b->end_ms = b->start_ms;
    if (sim) {
        if ((rc = hq_sim_advance(sim, b->end_ms, NULL, err)) || (rc = hq_sim_flush(sim, err)))
            goto out;
        b->timers_fired = hq_sim_timers_fired(sim);
        MDB_txn *txn;
        if ((rc = hq_sim_txn(sim, &txn, err)) ||
            (rc = load_issues(hq_sim_store(sim), txn, 0, 0, &b->bt, &b->nbt, err)))
            goto out;
    }
    if ((rc = load_issues(src, src_txn, o.from_ms, o.to_ms, &b->run, &b->nrun, err)))
        goto out;
    rc = compare(b, err);
out:
    if (cur)
        mdb_cursor_close(cur);
    msgpack_zone_destroy(&zone);
    hq_sim_destroy(&sim);
    if (rc == 0) {
        *out = b;
        b = NULL;
    }
    hq_backtest_destroy(&b);
    return rc;
}

void hq_backtest_destroy(hq_backtest **bp)
{
    hq_backtest *b = bp ? *bp : NULL;
    if (!b)
        return;
    for (size_t i = 0; i < b->nbt; i++)
        hq_issue_fini(&b->bt[i]);
    for (size_t i = 0; i < b->nrun; i++)
        hq_issue_fini(&b->run[i]);
    free(b->bt);
    free(b->run);
    free(b->pairs);
    free(b->only_bt);
    free(b->only_run);
    free(b->skips);
    free(b);
    *bp = NULL;
}

/* ---- JSON ---- */

static void brief_json(const hq_issue *is, hq_buf *o)
{
    hq_buf_puts(o, "{\"number\":");
    hq_json_cstr(o, is->number);
    hq_buf_puts(o, ",\"rule\":");
    hq_json_cstr(o, is->rule);
    hq_buf_puts(o, ",\"key\":");
    hq_json_cstr(o, is->key);
    hq_buf_printf(o, ",\"severity\":\"%s\",\"level\":%d,\"state\":\"%s\",\"opened_ms\":%lld,\"title\":",
                  hq_severity_name(is->severity), is->level, hq_issue_state_name(is->state), (long long)is->opened_ms);
    hq_json_cstr(o, is->title);
    hq_buf_putc(o, '}');
}

void hq_backtest_to_json(const hq_backtest *b, hq_buf *o)
{
    size_t same = 0;
    for (size_t i = 0; i < b->npairs; i++)
        same += b->pairs[i].diff == 0;
    static const char *const starts[] = {"none", "origin", "from", "first_event"};
    hq_buf_printf(o, "{\"start_ms\":%lld,\"start\":\"%s\",", (long long)b->start_ms, starts[b->start]);
    hq_buf_printf(o,
                  "\"first_ms\":%lld,\"last_ms\":%lld,\"end_ms\":%lld,"
                  "\"events\":{\"in_range\":%llu,\"replayed\":%llu,\"invalid\":%llu,"
                  "\"lifecycle_applied\":%llu,\"lifecycle_skipped\":%llu,\"lifecycle_refused\":%llu},"
                  "\"timers_fired\":%llu,\"backtest_issues\":%zu,\"running_issues\":%zu,\"same\":%zu,",
                  (long long)b->first_ms, (long long)b->last_ms, (long long)b->end_ms, (unsigned long long)b->events,
                  (unsigned long long)b->replayed, (unsigned long long)b->invalid,
                  (unsigned long long)b->lifecycle_applied, (unsigned long long)b->lifecycle_skipped,
                  (unsigned long long)b->lifecycle_refused, (unsigned long long)b->timers_fired, b->nbt, b->nrun,
                  same);
    hq_buf_puts(o, "\"only_backtest\":[");
    for (size_t i = 0; i < b->nonly_bt; i++) {
        if (i)
            hq_buf_putc(o, ',');
        brief_json(b->only_bt[i], o);
    }
    hq_buf_puts(o, "],\"only_running\":[");
    for (size_t i = 0; i < b->nonly_run; i++) {
        if (i)
            hq_buf_putc(o, ',');
        brief_json(b->only_run[i], o);
    }
    hq_buf_puts(o, "],\"different\":[");
    size_t n = 0;
    for (size_t i = 0; i < b->npairs; i++) {
        const hq_bt_pair *p = &b->pairs[i];
        if (!p->diff)
            continue;
        if (n++)
            hq_buf_putc(o, ',');
        hq_buf_puts(o, "{\"rule\":");
        hq_json_cstr(o, p->running->rule);
        hq_buf_puts(o, ",\"key\":");
        hq_json_cstr(o, p->running->key);
        hq_buf_puts(o, ",\"fields\":[");
        const char *sep = "";
        if (p->diff & HQ_BT_SEVERITY)
            hq_buf_printf(o, "%s\"severity\"", sep), sep = ",";
        if (p->diff & HQ_BT_LEVEL)
            hq_buf_printf(o, "%s\"level\"", sep), sep = ",";
        if (p->diff & HQ_BT_STATE)
            hq_buf_printf(o, "%s\"state\"", sep);
        hq_buf_puts(o, "],\"running\":");
        brief_json(p->running, o);
        hq_buf_puts(o, ",\"backtest\":");
        brief_json(p->backtest, o);
        hq_buf_putc(o, '}');
    }
    hq_buf_puts(o, "],\"skipped\":[");
    for (size_t i = 0; i < b->nskips; i++) {
        const hq_bt_skip *s = &b->skips[i];
        hq_buf_printf(o, "%s{\"seq\":%llu,\"type\":", i ? "," : "", (unsigned long long)s->seq);
        hq_json_cstr(o, s->type);
        hq_buf_puts(o, ",\"issue\":");
        hq_json_cstr(o, s->issue);
        hq_buf_printf(o, ",\"refused\":%s,\"reason\":", s->refused ? "true" : "false");
        hq_json_cstr(o, s->reason);
        hq_buf_putc(o, '}');
    }
    hq_buf_puts(o, "],\"issues\":[");
    for (size_t i = 0; i < b->nbt; i++) {
        if (i)
            hq_buf_putc(o, ',');
        hq_issue_to_json(&b->bt[i], o, false);
    }
    hq_buf_puts(o, "]}");
}
