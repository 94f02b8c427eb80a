/* houqinctl stats: the state's counters (events, issues by state, timers,
 * outbox), the ingest rate, and houqin-alertd's lag; for people, as JSON, or
 * in node_exporter's textfile-collector format. */
#include "ctl.h"

#include "alert_queue.h"
#include "buf.h"
#include "clock.h"
#include "issue.h"
#include "json.h"
#include "mp.h"
#include "prune.h"
#include "ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char stats_usage[] =
    "NAME\n"
    "    houqinctl stats - counters of the state and of houqin-alertd\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl stats [--state DIR] [--control EP [--interval MS]] [--window S]\n"
    "                    [--alertd-state DIR] [--json | --prometheus [--output FILE]]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the state (read-only, one snapshot): events stored, issues by state\n"
    "    (and how many open ones are overdue or under accountability), pending\n"
    "    timers and how late the first one is, the outbox, the map size.\n"
    "\n"
    "    Events per second: with --control, from two status samples of houqind\n"
    "    taken --interval ms apart; otherwise from the stored time of the log's\n"
    "    tail: the events stored in the last --window seconds before the state's\n"
    "    clock (the manual clock houqind saved, else now), divided by the window.\n"
    "\n"
    "    With --control, houqind's status also gives the rule set in force (its\n"
    "    directory, how many rules, when loaded) and the last refused reload\n"
    "    (when, and its first error) until a reload succeeds; the state alone\n"
    "    does not hold them.\n"
    "\n"
    "    With --alertd-state, houqin-alertd's state is read too: its cursor, its\n"
    "    lag behind houqind's outbox (records not yet routed), pending deliveries\n"
    "    and dead letters.  A directory that does not exist is skipped with a note.\n"
    "\n"
    "    --prometheus writes the metrics in the text format of node_exporter's\n"
    "    textfile collector (# HELP and # TYPE lines, names prefixed houqin_);\n"
    "    with --output the file is written beside and renamed into place, so that\n"
    "    the collector never reads half a file.\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR          houqind's state directory (default ./var)\n"
    "    --control EP         houqind's control endpoint, for the rate from two samples\n"
    "    --interval MS        ms between the two samples (default 1000)\n"
    "    --curve-server FILE, --curve-key FILE\n"
    "                         CURVE on the control socket, as for houqinctl status\n"
    "    --window S           seconds of log tail for the rate without --control (default 60)\n"
    "    --alertd-state DIR   houqin-alertd's state directory\n"
    "    --json               one JSON object\n"
    "    --prometheus         node_exporter textfile-collector format\n"
    "    --output FILE        write to FILE (atomically) instead of stdout\n"
    "\n"
    "EXIT STATUS\n"
    "    0 written; 2 bad usage, no answer on --control, or a state directory that\n"
    "    does not exist or is not a houqin state.\n";

typedef struct stats {
    uint64_t events, last_seq, issues[HQ_IS_COUNT], open, overdue, accountability, timers, outbox, outbox_last;
    uint64_t map_size, used_bytes;
    int64_t now_ms, next_due_ms; /* next_due_ms 0: no timer */
    double rate;
    const char *rate_method;
    bool alertd;
    const char *alertd_note;
    hq_alert_queue_stats aq;
    hq_state_sizes sizes;
} stats;

/* Refusals of actions (SPEC §6a), from houqind's status (with --control). */
#define MAX_COUNTS 80
typedef struct counts {
    size_t n;
    char name[MAX_COUNTS][72];
    uint64_t v[MAX_COUNTS];
} counts;
typedef struct refusals {
    bool have;
    counts by_reason, by_source;
} refusals;

static void read_counts(const msgpack_object *m, counts *c)
{
    c->n = 0;
    if (!m || m->type != MSGPACK_OBJECT_MAP)
        return;
    for (uint32_t i = 0; i < m->via.map.size && c->n < MAX_COUNTS; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key;
        int64_t v;
        if (k->type != MSGPACK_OBJECT_STR || !hq_mp_int64(&m->via.map.ptr[i].val, &v))
            continue;
        snprintf(c->name[c->n], sizeof c->name[c->n], "%.*s", (int)(k->via.str.size > 64 ? 64 : k->via.str.size),
                 k->via.str.ptr);
        c->v[c->n++] = (uint64_t)v;
    }
}

static refusals g_refusals;

/* The rule set in force and the last refused reload, from houqind's status
 * (with --control; issue 18 item 5). */
typedef struct rules_info {
    bool have;
    uint64_t count;
    char dir[1024];
    int64_t loaded_ms;
    int64_t refused_ms; /* 0: no reload refused since the last one that worked */
    char error[1024];   /* the refusal's first error */
} rules_info;

static rules_info g_rules;

static void read_rules(const msgpack_object *reply)
{
    const msgpack_object *d = hq_mp_map_get(reply, "rules_dir");
    if (!d || d->type != MSGPACK_OBJECT_STR)
        return; /* a houqind from before these keys */
    rules_info *r = &g_rules;
    memset(r, 0, sizeof *r);
    r->have = true;
    snprintf(r->dir, sizeof r->dir, "%.*s", (int)d->via.str.size, d->via.str.ptr);
    int64_t v;
    if (hq_mp_int64(hq_mp_map_get(reply, "rules"), &v))
        r->count = (uint64_t)v;
    if (hq_mp_int64(hq_mp_map_get(reply, "rules_loaded_ms"), &v))
        r->loaded_ms = v;
    if (hq_mp_int64(hq_mp_map_get(reply, "reload_refused_ms"), &v))
        r->refused_ms = v;
    const msgpack_object *e = hq_mp_map_get(reply, "reload_error");
    if (r->refused_ms && e && e->type == MSGPACK_OBJECT_STR)
        snprintf(r->error, sizeof r->error, "%.*s", (int)e->via.str.size, e->via.str.ptr);
}

static int count_cb(void *ctx, const char *number)
{
    (void)number;
    (*(uint64_t *)ctx)++;
    return 0;
}

typedef struct open_ctx {
    hq_store *s;
    MDB_txn *txn;
    stats *st;
} open_ctx;

static int open_cb(void *ctx, const char *number)
{
    open_ctx *o = ctx;
    hq_issue is = {0};
    if (hq_issue_load(o->s, o->txn, number, &is, NULL) == 0) {
        o->st->overdue += is.overdue;
        o->st->accountability += is.accountability;
    }
    hq_issue_fini(&is);
    return 0;
}

static int read_state(const char *dir, int64_t window_s, stats *st)
{
    hq_store *s;
    MDB_txn *txn;
    int rc = ctl_open_state(dir, &s, &txn);
    if (rc)
        return rc;
    hq_store_stats ss;
    hq_err err;
    if (hq_store_stats_get(s, txn, &ss, &err) != 0) {
        ctl_close_state(&s, txn);
        return ctl_fail("%s", err.msg);
    }
    st->events = ss.entries[HQ_DB_EVENTS];
    st->last_seq = ss.last_event_seq;
    st->timers = ss.entries[HQ_DB_TIMERS];
    st->outbox = ss.entries[HQ_DB_OUTBOX];
    st->map_size = ss.map_size;
    st->used_bytes = ss.used_bytes;
    st->now_ms = ctl_state_now_ms(s, txn);
    hq_state_sizes_get(s, txn, &st->sizes, NULL);
    for (int i = 0; i < HQ_IS_COUNT; i++)
        hq_issue_each_in_state(s, txn, (hq_issue_state)i, count_cb, &st->issues[i], NULL);
    open_ctx oc = {s, txn, st};
    for (int i = 0; i < HQ_IS_COUNT; i++)
        if (i != HQ_IS_CLOSED) {
            st->open += st->issues[i];
            hq_issue_each_in_state(s, txn, (hq_issue_state)i, open_cb, &oc, NULL);
        }
    MDB_cursor *c;
    MDB_val k, v;
    if (mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_OUTBOX), &c) == 0) {
        if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
            st->outbox_last = hq_be64_get(k.mv_data);
        mdb_cursor_close(c);
    }
    if (mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_TIMERS), &c) == 0) {
        if (mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0 && k.mv_size >= 8)
            st->next_due_ms = (int64_t)hq_be64_get(k.mv_data);
        mdb_cursor_close(c);
    }
    if (!st->rate_method) {
        /* The log's tail: events stored within the window before now. */
        uint64_t n = 0;
        int64_t since = st->now_ms - window_s * 1000;
        if (mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_EVENTS), &c) == 0) {
            for (int m = mdb_cursor_get(c, &k, &v, MDB_LAST); m == 0 && n < 10000000;
                 m = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
                if (v.mv_size < 8)
                    continue;
                int64_t stored = (int64_t)hq_be64_get(v.mv_data);
                if (stored < since)
                    break;
                if (stored <= st->now_ms)
                    n++;
            }
            mdb_cursor_close(c);
        }
        st->rate = (double)n / (double)window_s;
        st->rate_method = "log";
    }
    ctl_close_state(&s, txn);
    return 0;
}

static int sample(const char *ep, uint64_t *seq)
{
    ctl_reply rp;
    int rc = ctl_control_status(ep, &rp);
    const msgpack_object *reply = &rp.obj;
    if (rc == 0) {
        int64_t v = 0;
        if (!hq_mp_int64(hq_mp_map_get(reply, "last_seq"), &v))
            rc = ctl_fail("status reply from %s has no last_seq", ep);
        *seq = (uint64_t)v;
        const msgpack_object *r = hq_mp_map_get(reply, "refusals");
        if (r) {
            g_refusals.have = true;
            read_counts(r, &g_refusals.by_reason);
            read_counts(hq_mp_map_get(reply, "refusals_by_source"), &g_refusals.by_source);
        }
        read_rules(reply);
    }
    ctl_reply_fini(&rp);
    return rc;
}

static void read_alertd(const char *dir, stats *st)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        st->alertd_note = "no alertd state there; skipped";
        return;
    }
    hq_alert_queue *q;
    hq_err err;
    MDB_txn *txn;
    if (hq_alert_queue_open(dir, HQ_AQ_RDONLY, &q, &err) != 0) {
        st->alertd_note = "not an alertd state; skipped";
        return;
    }
    if (hq_alert_queue_begin(q, false, &txn, &err) == 0) {
        if (hq_alert_queue_stats_get(q, txn, &st->aq, &err) == 0)
            st->alertd = true;
        hq_alert_queue_abort(q, txn);
    }
    hq_alert_queue_close(&q);
    if (!st->alertd)
        st->alertd_note = "could not be read; skipped";
}

static uint64_t alertd_lag(const stats *st)
{
    return st->outbox_last > st->aq.cursor ? st->outbox_last - st->aq.cursor : 0;
}

static double timer_lag_s(const stats *st)
{
    return st->next_due_ms && st->next_due_ms < st->now_ms ? (st->now_ms - st->next_due_ms) / 1000.0 : 0.0;
}

static void metric(hq_buf *b, const char *name, const char *type, const char *help)
{
    hq_buf_printf(b, "# HELP houqin_%s %s\n# TYPE houqin_%s %s\n", name, help, name, type);
}

/* A metric without labels: its HELP and TYPE lines and its value. */
static void metric_u64(hq_buf *b, const char *name, const char *type, const char *help, uint64_t v)
{
    metric(b, name, type, help);
    hq_buf_printf(b, "houqin_%s %llu\n", name, (unsigned long long)v);
}

static void metric_f(hq_buf *b, const char *name, const char *type, const char *help, double v)
{
    metric(b, name, type, help);
    hq_buf_printf(b, "houqin_%s %.3f\n", name, v);
}

/* A label value in the text format: \\, \" and \n escaped; at most max
 * bytes of s, cut at a UTF-8 character boundary. */
static void label_value(hq_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' || s[i] == '"')
            hq_buf_printf(b, "\\%c", s[i]);
        else if (s[i] == '\n')
            hq_buf_puts(b, "\\n");
        else
            hq_buf_putc(b, s[i]);
    }
}

static void prometheus_rules(hq_buf *b)
{
    const rules_info *r = &g_rules;
    metric(b, "rules", "gauge", "Rules in force in houqind, labelled with their directory.");
    hq_buf_puts(b, "houqin_rules{dir=\"");
    label_value(b, r->dir, 512);
    hq_buf_printf(b, "\"} %llu\n", (unsigned long long)r->count);
    metric_f(b, "rules_loaded_timestamp_seconds", "gauge",
             "When the rules in force were loaded.", r->loaded_ms / 1000.0);
    metric(b, "rules_reload_refused", "gauge",
           "1 when the last reload was refused (the rules loaded before stay in force), labelled with its first "
           "error; 0 otherwise.");
    if (r->refused_ms) {
        hq_buf_puts(b, "houqin_rules_reload_refused{error=\"");
        label_value(b, r->error, 300);
        hq_buf_puts(b, "\"} 1\n");
    } else {
        hq_buf_puts(b, "houqin_rules_reload_refused 0\n");
    }
    metric_f(b, "rules_reload_refused_timestamp_seconds", "gauge",
             "When the last reload was refused (0: none since the rules in force were loaded).",
             r->refused_ms / 1000.0);
}

static void prometheus(hq_buf *b, const stats *st)
{
    metric_u64(b, "events_total", "counter", "Events stored in the log.", st->events);
    metric_u64(b, "last_event_seq", "gauge", "Sequence number of the last stored event.", st->last_seq);
    metric(b, "events_per_second", "gauge", "Events stored per second (two status samples, or the log tail).");
    hq_buf_printf(b, "houqin_events_per_second{method=\"%s\"} %.3f\n", st->rate_method, st->rate);
    metric(b, "issues", "gauge", "Issues by state.");
    for (int i = 0; i < HQ_IS_COUNT; i++)
        hq_buf_printf(b, "houqin_issues{state=\"%s\"} %llu\n", hq_issue_state_name((hq_issue_state)i),
                      (unsigned long long)st->issues[i]);
    metric_u64(b, "issues_open", "gauge", "Issues in any state but closed.", st->open);
    metric_u64(b, "issues_overdue", "gauge", "Open issues past their deadline.", st->overdue);
    metric_u64(b, "issues_accountability", "gauge", "Open issues under accountability.", st->accountability);
    metric_u64(b, "timers_pending", "gauge", "Durable timers waiting to fire.", st->timers);
    metric_f(b, "timer_lag_seconds", "gauge",
             "How far the first pending timer is past due (0 when none is).", timer_lag_s(st));
    metric_u64(b, "outbox_records", "gauge", "Records in the alert outbox.", st->outbox);
    metric_u64(b, "outbox_last_seq", "gauge", "Sequence number of the last outbox record.", st->outbox_last);
    metric_u64(b, "state_map_bytes", "gauge", "Size of the LMDB map.", st->map_size);
    metric_u64(b, "state_used_bytes", "gauge", "Bytes of the LMDB map in use.", st->used_bytes);
    if (g_refusals.have) {
        metric(b, "refusals_total", "counter", "Actions refused (who may do what), by reason, since houqind started.");
        for (size_t i = 0; i < g_refusals.by_reason.n; i++)
            hq_buf_printf(b, "houqin_refusals_total{reason=\"%s\"} %llu\n", g_refusals.by_reason.name[i],
                          (unsigned long long)g_refusals.by_reason.v[i]);
        metric(b, "refusals_by_source_total", "counter", "Actions refused, by the source that sent them.");
        for (size_t i = 0; i < g_refusals.by_source.n; i++)
            hq_buf_printf(b, "houqin_refusals_by_source_total{source=\"%s\"} %llu\n", g_refusals.by_source.name[i],
                          (unsigned long long)g_refusals.by_source.v[i]);
    }
    metric_u64(b, "state_file_bytes", "gauge",
               "Size of data.mdb on disk (LMDB's high-water mark; retention keeps it flat).", st->sizes.file_bytes);
    metric_u64(b, "state_bytes_per_event", "gauge",
               "Used LMDB bytes per event held in LMDB.", st->sizes.bytes_per_event);
    metric_u64(b, "state_events", "gauge", "Events held in LMDB (the rest are in the archives).", st->sizes.events);
    metric_u64(b, "archive_bytes", "gauge",
               "Size of the monthly event archives under STATE/archive/.", st->sizes.archive_bytes);
    metric_u64(b, "archived_upto_seq", "gauge",
               "Last event sequence number held in an archive.", st->sizes.archived_upto);
    metric_f(b, "oldest_event_timestamp_seconds", "gauge",
             "Stored time of the oldest event kept in LMDB.", st->sizes.oldest_event_ms / 1000.0);
    metric_f(b, "retention_next_run_timestamp_seconds", "gauge",
             "When the next retention run starts (0: no policy or never ran).", st->sizes.next_run_ms / 1000.0);
    if (g_rules.have)
        prometheus_rules(b);
    if (st->alertd) {
        metric_u64(b, "alertd_cursor", "gauge", "Last outbox record houqin-alertd has routed.", st->aq.cursor);
        metric_u64(b, "alertd_lag_records", "gauge",
                   "Outbox records houqin-alertd has not routed yet.", alertd_lag(st));
        metric_u64(b, "alertd_pending_deliveries", "gauge", "Deliveries waiting in houqin-alertd.", st->aq.pending);
        metric_u64(b, "alertd_dead_letters", "gauge", "Deliveries houqin-alertd gave up on.", st->aq.dead);
    }
}

static void json(hq_buf *b, const stats *st)
{
    hq_buf_printf(b, "{\"events\":%llu,\"last_seq\":%llu,\"events_per_second\":%.3f,\"rate_method\":\"%s\",\"issues\":{",
                  (unsigned long long)st->events, (unsigned long long)st->last_seq, st->rate, st->rate_method);
    for (int i = 0; i < HQ_IS_COUNT; i++)
        hq_buf_printf(b, "%s\"%s\":%llu", i ? "," : "", hq_issue_state_name((hq_issue_state)i),
                      (unsigned long long)st->issues[i]);
    hq_buf_printf(b,
                  "},\"open\":%llu,\"overdue\":%llu,\"accountability\":%llu,\"timers\":%llu,\"timer_lag_s\":%.3f,"
                  "\"next_timer_ms\":",
                  (unsigned long long)st->open, (unsigned long long)st->overdue,
                  (unsigned long long)st->accountability, (unsigned long long)st->timers, timer_lag_s(st));
    if (st->next_due_ms)
        hq_buf_printf(b, "%lld", (long long)st->next_due_ms);
    else
        hq_buf_puts(b, "null");
    hq_buf_printf(b, ",\"outbox\":%llu,\"outbox_last\":%llu,\"map_size\":%llu,\"used_bytes\":%llu,",
                  (unsigned long long)st->outbox, (unsigned long long)st->outbox_last,
                  (unsigned long long)st->map_size, (unsigned long long)st->used_bytes);
    hq_buf_printf(b, "\"state_file_bytes\":%llu,\"bytes_per_event\":%llu,\"state_events\":%llu,\"archive_bytes\":%llu,"
                     "\"archived_upto\":%llu,\"oldest_event_ms\":%lld,\"retention_next_run_ms\":%lld,\"alertd\":",
                  (unsigned long long)st->sizes.file_bytes, (unsigned long long)st->sizes.bytes_per_event,
                  (unsigned long long)st->sizes.events, (unsigned long long)st->sizes.archive_bytes,
                  (unsigned long long)st->sizes.archived_upto, (long long)st->sizes.oldest_event_ms,
                  (long long)st->sizes.next_run_ms);
    if (st->alertd)
        hq_buf_printf(b, "{\"cursor\":%llu,\"lag\":%llu,\"pending\":%llu,\"dead\":%llu}",
                      (unsigned long long)st->aq.cursor, (unsigned long long)alertd_lag(st),
                      (unsigned long long)st->aq.pending, (unsigned long long)st->aq.dead);
    else
        hq_buf_puts(b, "null");
    if (g_rules.have) {
        hq_buf_puts(b, ",\"rules\":{\"dir\":");
        hq_json_cstr(b, g_rules.dir);
        hq_buf_printf(b, ",\"count\":%llu,\"loaded_ms\":%lld,\"reload_refused\":%s,\"reload_refused_ms\":",
                      (unsigned long long)g_rules.count, (long long)g_rules.loaded_ms,
                      g_rules.refused_ms ? "true" : "false");
        if (g_rules.refused_ms) {
            hq_buf_printf(b, "%lld,\"reload_error\":", (long long)g_rules.refused_ms);
            hq_json_cstr(b, g_rules.error);
        } else {
            hq_buf_puts(b, "null,\"reload_error\":null");
        }
        hq_buf_putc(b, '}');
    }
    if (g_refusals.have) {
        const counts *cs[2] = {&g_refusals.by_reason, &g_refusals.by_source};
        for (int k = 0; k < 2; k++) {
            hq_buf_printf(b, ",\"%s\":{", k ? "refusals_by_source" : "refusals");
            for (size_t i = 0; i < cs[k]->n; i++)
                hq_buf_printf(b, "%s\"%s\":%llu", i ? "," : "", cs[k]->name[i], (unsigned long long)cs[k]->v[i]);
            hq_buf_puts(b, "}");
        }
    }
    hq_buf_puts(b, "}\n");
}

static void human(hq_buf *b, const stats *st, const char *dir, int interval_ms, int64_t window_s)
{
    hq_buf_printf(b, "state            %s\n", dir);
    if (g_rules.have) {
        char t[32];
        hq_local_fmt(g_rules.loaded_ms, t, sizeof t);
        hq_buf_printf(b, "rules            %llu from %s, loaded %s\n", (unsigned long long)g_rules.count, g_rules.dir,
                      t);
        if (g_rules.refused_ms) {
            hq_local_fmt(g_rules.refused_ms, t, sizeof t);
            hq_buf_printf(b, "reload refused   %s (the rules above stay in force): %s\n", t, g_rules.error);
        } else {
            hq_buf_puts(b, "reload refused   no\n");
        }
    } else {
        hq_buf_puts(b, "rules            (ask houqind: --control EP)\n");
    }
    hq_buf_printf(b, "events           %llu (last seq %llu)\n", (unsigned long long)st->events,
                  (unsigned long long)st->last_seq);
    if (!strcmp(st->rate_method, "control"))
        hq_buf_printf(b, "events/s         %.1f (two status samples %d ms apart)\n", st->rate, interval_ms);
    else
        hq_buf_printf(b, "events/s         %.1f (stored in the last %lld s of the log)\n", st->rate,
                      (long long)window_s);
    hq_buf_puts(b, "issues          ");
    for (int i = 0; i < HQ_IS_COUNT; i++)
        hq_buf_printf(b, " %s %llu%s", hq_issue_state_name((hq_issue_state)i), (unsigned long long)st->issues[i],
                      i + 1 < HQ_IS_COUNT ? "," : "");
    hq_buf_printf(b, "\n                 open %llu, overdue %llu, accountability %llu\n",
                  (unsigned long long)st->open, (unsigned long long)st->overdue,
                  (unsigned long long)st->accountability);
    hq_buf_printf(b, "timers pending   %llu", (unsigned long long)st->timers);
    if (st->next_due_ms) {
        char t[32];
        hq_local_fmt(st->next_due_ms, t, sizeof t);
        hq_buf_printf(b, " (next due %s, %.1f s late)", t, timer_lag_s(st));
    }
    hq_buf_printf(b, "\noutbox           %llu records (last seq %llu)\n", (unsigned long long)st->outbox,
                  (unsigned long long)st->outbox_last);
    if (st->alertd)
        hq_buf_printf(b, "alertd           cursor %llu, lag %llu records, %llu pending deliveries, %llu dead letters\n",
                      (unsigned long long)st->aq.cursor, (unsigned long long)alertd_lag(st),
                      (unsigned long long)st->aq.pending, (unsigned long long)st->aq.dead);
    else if (st->alertd_note)
        hq_buf_printf(b, "alertd           %s\n", st->alertd_note);
    hq_buf_printf(b, "map              %.1f MiB used of %.1f MiB\n", st->used_bytes / 1048576.0,
                  st->map_size / 1048576.0);
    hq_buf_printf(b, "state file       %.1f MiB, %llu events in LMDB, %llu bytes/event\n",
                  st->sizes.file_bytes / 1048576.0, (unsigned long long)st->sizes.events,
                  (unsigned long long)st->sizes.bytes_per_event);
    hq_buf_printf(b, "archives         %.1f MiB, events 1..%llu archived\n", st->sizes.archive_bytes / 1048576.0,
                  (unsigned long long)st->sizes.archived_upto);
    char when[32] = "-";
    if (st->sizes.next_run_ms) {
        time_t t = (time_t)(st->sizes.next_run_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    }
    hq_buf_printf(b, "retention        next run %s\n", when);
}

/* Writes to path.tmp.PID and renames it into place. */
static int write_atomic(const char *path, const hq_buf *b)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ctl_fail("%s: cannot write", tmp);
    bool ok = fwrite(b->data, 1, b->len, f) == b->len;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return ctl_fail("%s: cannot write", path);
    }
    return 0;
}

int cmd_stats(int argc, char **argv)
{
    const char *dir = "var", *control = NULL, *alertd = NULL, *output = NULL, *cserver = NULL, *ckey = NULL;
    int64_t interval = 1000, window = 60;
    enum { HUMAN, JSON, PROMETHEUS };
    int fmt = HUMAN;
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
        CTL_CONTROL_OPTIONS(&control, &cserver, &ckey),
        {.name = "interval", .kind = HQ_OPT_I64, .dst = &interval, .min = 10, .max = 600000, .got = true,
         .expect = "expected 10 to 600000 ms"},
        {.name = "window", .kind = HQ_OPT_I64, .dst = &window, .min = 1, .max = 86400 * 30, .got = true,
         .expect = "expected seconds (1 or more)"},
        HQ_OPTION_STR("alertd-state", &alertd),
        {.name = "json", .kind = HQ_OPT_CHOICE, .dst = &fmt, .min = JSON},
        {.name = "prometheus", .kind = HQ_OPT_CHOICE, .dst = &fmt, .min = PROMETHEUS},
        HQ_OPTION_STR("output", &output),
    };
    int rc = ctl_parse_opts(opts, argc, argv, stats_usage, "stats", NULL);
    if (rc >= 0)
        return rc;
    stats st = {0};
    ctl_control_curve(cserver, ckey);
    if (control) {
        uint64_t a, b;
        rc = sample(control, &a);
        if (rc)
            return rc;
        int64_t t0 = hq_mono_ms();
        struct timespec ts = {interval / 1000, (interval % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if ((rc = sample(control, &b)))
            return rc;
        int64_t dt = hq_mono_ms() - t0;
        st.rate = dt > 0 ? (double)(b - a) * 1000.0 / (double)dt : 0;
        st.rate_method = "control";
    }
    rc = read_state(dir, window, &st);
    if (rc)
        return rc;
    if (alertd)
        read_alertd(alertd, &st);
    hq_buf out;
    hq_buf_init(&out);
    if (fmt == PROMETHEUS)
        prometheus(&out, &st);
    else if (fmt == JSON)
        json(&out, &st);
    else
        human(&out, &st, dir, (int)interval, window);
    if (output)
        rc = write_atomic(output, &out);
    else
        fwrite(out.data, 1, out.len, stdout);
    hq_buf_fini(&out);
    return rc;
}
