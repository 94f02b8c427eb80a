/* houqinctl backtest: the stored event log replayed through a rule set on
 * a simulated clock in a scratch state, compared with what the running
 * rules opened (backtest.h). */
#include "ctl.h"

#include "backtest.h"
#include "buf.h"
#include "clock.h"
#include "ruletest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char backtest_usage[] =
    "NAME\n"
    "    houqinctl backtest - what a rule set would have opened on the stored events\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl backtest --rules DIR [--schemas DIR] [--state DIR] [--from T] [--to T]\n"
    "                       [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Replays the event log of the state (opened read-only: houqind may be\n"
    "    running) through the rules in DIR, in a scratch state on a simulated\n"
    "    clock.  The clock starts where the state's history began (its origin:\n"
    "    houqind's first generation of expected events, before any event), so\n"
    "    the issues scheduled rules opened before the first event are replayed\n"
    "    too; with --from, at T.  A state made before the origin was recorded\n"
    "    starts at its first event (the report says which).  Each event is\n"
    "    applied at the time houqind stored it, every timer that came due in\n"
    "    between fired at its due time first, expected events generated daily,\n"
    "    as houqind does; after the last event the clock runs on to --to, or\n"
    "    to the state's clock (a manual clock saved in it, else now).  With the\n"
    "    rules houqind ran, the backtest reproduces its issues.\n"
    "\n"
    "    Then it compares the issues the backtest opened with the\n"
    "    ones in the state, grouped by rule and key and paired in the order they\n"
    "    were opened: only in the backtest, only in the running state, and in\n"
    "    both with a different severity, escalation level or state.\n"
    "\n"
    "    Lifecycle events in the log (issue.acknowledged, issue.rectified, ...)\n"
    "    name the running state's issues: each is applied to the backtest's open\n"
    "    issue of the same rule and key.  When there is none, or the backtest\n"
    "    issue does not take it, it is skipped and listed with the reason.\n"
    "\n"
    "    A progress bar is shown on stderr when it is a terminal.\n"
    "\n"
    "OPTIONS\n"
    "    --rules DIR      the rule set to try (required)\n"
    "    --schemas DIR    event schemas (default " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "    --state DIR      the state whose log is replayed (default ./var)\n"
    "    --from T, --to T only events stored in [T, T'); the running state's\n"
    "                     issues compared are those opened in that range.\n"
    "                     T: 2026-09-01, 2026-09-01T08:00, ...+08:00, or ms\n"
    "    --json           one JSON object: start_ms, start (origin, from,\n"
    "                     first_event or none), first_ms, last_ms, end_ms, events\n"
    "                     {in_range, replayed, invalid, lifecycle_applied,\n"
    "                     lifecycle_skipped, lifecycle_refused}, timers_fired,\n"
    "                     backtest_issues, running_issues, same, only_backtest,\n"
    "                     only_running ([{number, rule, key, severity, level,\n"
    "                     state, opened_ms, title}]), different ([{rule, key,\n"
    "                     fields, running, backtest}]), skipped ([{seq, type,\n"
    "                     issue, refused, reason}]), issues (the backtest's\n"
    "                     issues as houqinctl issue --json shows them)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the backtest ran (whatever the differences); 2 bad usage, or the\n"
    "    rules, schemas or state cannot be read.\n";

static int parse_time_arg(const char *opt, const char *s, int64_t *ms)
{
    if (hq_parse_int64(s, ms) || hq_rt_parse_time(s, ms) == 0)
        return 0;
    return ctl_fail("%s: expected a time like 2026-09-01, 2026-09-01T08:00 or 2026-09-01T08:00:00+08:00, got \"%s\"",
                    opt, s);
}

typedef struct progress_ctx {
    ctl_progress bar;
    bool started;
} progress_ctx;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_ctx *p = ctx;
    if (!p->started) {
        ctl_progress_begin(&p->bar, "backtest", total);
        p->started = true;
    }
    ctl_progress_update(&p->bar, done);
}

static void fmt(int64_t ms, char *buf, size_t size)
{
    if (ms)
        hq_local_fmt(ms, buf, size);
    else
        snprintf(buf, size, "-");
}

static void issue_row(const hq_issue *is, hq_buf *o)
{
    char t[32];
    fmt(is->opened_ms, t, sizeof t);
    hq_buf_printf(o, "  %-15s %-34s %-14s %-9s %-12s L%-2d %s  %s\n", is->number, is->rule, is->key,
                  hq_severity_name(is->severity), hq_issue_state_name(is->state), is->level, t,
                  is->title ? is->title : "");
}

static void print_text(const hq_backtest *b, const char *rules_dir, const char *state_dir)
{
    char f[32], l[32], e[32];
    fmt(b->first_ms, f, sizeof f);
    fmt(b->last_ms, l, sizeof l);
    fmt(b->end_ms, e, sizeof e);
    size_t same = 0, diff = 0;
    for (size_t i = 0; i < b->npairs; i++) {
        same += b->pairs[i].diff == 0;
        diff += b->pairs[i].diff != 0;
    }
    hq_buf o;
    hq_buf_init(&o);
    hq_buf_printf(&o, "backtest of the rules in %s over the event log of %s\n", rules_dir, state_dir);
    char st[32];
    fmt(b->start_ms, st, sizeof st);
    static const char *const why[] = {"nothing to replay", "the state's origin", "--from",
                                      "the first event: the state has no origin record"};
    hq_buf_printf(&o, "  clock started at %s (%s)\n", st, why[b->start]);
    hq_buf_printf(&o, "  events %s .. %s: %llu in range, %llu replayed, %llu invalid for these schemas\n", f, l,
                  (unsigned long long)b->events, (unsigned long long)b->replayed, (unsigned long long)b->invalid);
    hq_buf_printf(&o,
                  "  lifecycle events: %llu applied to the backtest's issue of the same rule and key, %llu skipped "
                  "(no such issue), %llu refused\n",
                  (unsigned long long)b->lifecycle_applied, (unsigned long long)b->lifecycle_skipped,
                  (unsigned long long)b->lifecycle_refused);
    hq_buf_printf(&o, "  clock run to %s; %llu timers fired\n", e, (unsigned long long)b->timers_fired);
    hq_buf_printf(&o,
                  "issues: the backtest opened %zu, the running rules %zu: %zu the same, %zu different, %zu only in "
                  "the backtest, %zu only in the running state\n",
                  b->nbt, b->nrun, same, diff, b->nonly_bt, b->nonly_run);
    if (b->nonly_bt) {
        hq_buf_printf(&o, "\nonly in the backtest (%zu):\n", b->nonly_bt);
        for (size_t i = 0; i < b->nonly_bt; i++)
            issue_row(b->only_bt[i], &o);
    }
    if (b->nonly_run) {
        hq_buf_printf(&o, "\nonly in the running state (%zu):\n", b->nonly_run);
        for (size_t i = 0; i < b->nonly_run; i++)
            issue_row(b->only_run[i], &o);
    }
    if (diff) {
        hq_buf_printf(&o, "\ndifferent (%zu): running -> backtest\n", diff);
        for (size_t i = 0; i < b->npairs; i++) {
            const hq_bt_pair *p = &b->pairs[i];
            if (!p->diff)
                continue;
            hq_buf_printf(&o, "  %s %s (running %s, backtest %s):", p->running->rule, p->running->key,
                          p->running->number, p->backtest->number);
            if (p->diff & HQ_BT_SEVERITY)
                hq_buf_printf(&o, " severity %s -> %s;", hq_severity_name(p->running->severity),
                              hq_severity_name(p->backtest->severity));
            if (p->diff & HQ_BT_LEVEL)
                hq_buf_printf(&o, " level %d -> %d;", p->running->level, p->backtest->level);
            if (p->diff & HQ_BT_STATE)
                hq_buf_printf(&o, " state %s -> %s;", hq_issue_state_name(p->running->state),
                              hq_issue_state_name(p->backtest->state));
            o.data[o.len - 1] = '\n';
        }
    }
    if (b->nskips) {
        uint64_t n = b->lifecycle_skipped + b->lifecycle_refused;
        hq_buf_printf(&o, "\nlifecycle events not applied (%llu%s):\n", (unsigned long long)n,
                      n > b->nskips ? ", the first listed" : "");
        for (size_t i = 0; i < b->nskips; i++)
            hq_buf_printf(&o, "  seq %llu %s %s: %s\n", (unsigned long long)b->skips[i].seq, b->skips[i].type,
                          b->skips[i].issue, b->skips[i].reason);
    }
    fputs(o.data, stdout);
    hq_buf_fini(&o);
}

int cmd_backtest(int argc, char **argv)
{
    const char *rules_dir = NULL, *schemas_dir = HQ_DEFAULT_SCHEMAS, *state_dir = "var";
    const char *from = NULL, *to = NULL;
    bool json = false;
    const hq_opt opts[] = {
        HQ_OPTION_STR("rules", &rules_dir),
        HQ_OPTION_STR("schemas", &schemas_dir),
        HQ_OPTION_STR("state", &state_dir),
        HQ_OPTION_STR("from", &from),
        HQ_OPTION_STR("to", &to),
        HQ_OPTION_FLAG("json", 0, &json),
    };
    int prc = ctl_parse_opts(opts, argc, argv, backtest_usage, "backtest", NULL);
    if (prc >= 0)
        return prc;
    if (!rules_dir)
        return ctl_fail("backtest: --rules DIR is required (the rule set to try)");
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    int rc = ctl_load_rules(rules_dir, schemas_dir, &schemas, &rules);
    if (rc)
        return rc;
    if (hq_tz_set(hq_rules_timezone(rules)) != 0) {
        rc = ctl_fail("%s: unknown time zone \"%s\"", rules_dir, hq_rules_timezone(rules));
        goto out;
    }
    hq_backtest_opts o = {0};
    if ((from && (rc = parse_time_arg("--from", from, &o.from_ms))) ||
        (to && (rc = parse_time_arg("--to", to, &o.to_ms))))
        goto out;
    if (to && o.to_ms <= o.from_ms) {
        rc = ctl_fail("--to must be later than --from");
        goto out;
    }
    hq_store *s = NULL;
    MDB_txn *txn = NULL;
    if ((rc = ctl_open_state(state_dir, &s, &txn)))
        goto out;
    o.end_ms = to ? o.to_ms : ctl_state_now_ms(s, txn);
    progress_ctx pc = {0};
    o.progress = on_progress;
    o.ctx = &pc;
    hq_backtest *b = NULL;
    hq_err err = {0};
    int brc = hq_backtest_run(s, txn, schemas, rules, &o, &b, &err);
    if (pc.started)
        ctl_progress_end(&pc.bar);
    ctl_close_state(&s, txn);
    if (brc) {
        rc = ctl_fail("backtest: %s", err.msg);
        goto out;
    }
    if (json) {
        hq_buf out;
        hq_buf_init(&out);
        hq_backtest_to_json(b, &out);
        puts(out.data);
        hq_buf_fini(&out);
    } else {
        print_text(b, rules_dir, state_dir);
    }
    hq_backtest_destroy(&b);
out:
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return rc;
}
