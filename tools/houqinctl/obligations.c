/* houqinctl obligations: the expected occurrences of scheduled events
 * (R6: daily self-inspections, weekly key inspections) and their states. */
#include "ctl.h"

#include "buf.h"
#include "clock.h"
#include "json.h"
#include "mem.h"
#include "obligation.h"
#include "store.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char obligations_usage[] =
    "NAME\n"
    "    houqinctl obligations - expected inspections and reports, and whether they came\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl obligations [--state DIR] [--rule ID] [--unit ID] [--status S]\n"
    "                          [--summary | --json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Each scheduled (absence) rule expects an event per unit per slot; houqind\n"
    "    generates these obligations 14 days ahead from the schedule and the calendar.\n"
    "    A slot is due until its deadline, then satisfied, late (came after a miss)\n"
    "    or missed (which opened an issue); the list shows the state's label from\n"
    "    the vocabulary (section obligations: 待完成, 已完成, 逾期补交, 未完成) and\n"
    "    its code.\n"
    "\n"
    "    The text output starts with a summary, the obligations counted by state\n"
    "    for each domain and unit, with the total, then lists them one a line.\n"
    "    The options filter both; --status missed lists only the missed ones.\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR   the state directory (default ./var)\n"
    "    --rule ID     only this rule\n"
    "    --unit ID     only this site or contractor\n"
    "    --status S    due, satisfied, late or missed\n"
    "    --summary     the summary only, without the list\n"
    "    --json        one JSON array (no summary)\n";

enum { N_STATES = HQ_OBL_MISSED + 1 };

/* The counts of one domain and unit, or of all (domain and unit NULL). */
typedef struct ob_count {
    char *domain, *unit;
    size_t n[N_STATES];
} ob_count;

typedef struct ob_ctx {
    const char *rule, *unit, *status;
    bool json, summary;
    size_t n;
    hq_buf *out;
    ob_count all, *counts;
    size_t ncounts;
} ob_ctx;

/* Counts o under its domain (the rule id up to its first dot) and unit. */
static void count(ob_ctx *c, const hq_obligation *o)
{
    const char *dot = strchr(o->rule, '.');
    size_t dlen = dot ? (size_t)(dot - o->rule) : strlen(o->rule);
    c->all.n[o->state]++;
    for (size_t i = 0; i < c->ncounts; i++) {
        ob_count *k = &c->counts[i];
        if (strlen(k->domain) == dlen && !strncmp(k->domain, o->rule, dlen) && !strcmp(k->unit, o->unit)) {
            k->n[o->state]++;
            return;
        }
    }
    c->counts = hq_realloc(c->counts, (c->ncounts + 1) * sizeof *c->counts);
    ob_count *k = &c->counts[c->ncounts++];
    *k = (ob_count){.domain = hq_strndup(o->rule, dlen), .unit = hq_strdup(o->unit)};
    k->n[o->state]++;
}

static int by_domain_unit(const void *a, const void *b)
{
    const ob_count *x = a, *y = b;
    int d = strcmp(x->domain, y->domain);
    return d ? d : strcmp(x->unit, y->unit);
}

static void summary_row(hq_buf *out, const ob_count *k, const char *what)
{
    size_t total = 0;
    for (int i = 0; i < N_STATES; i++)
        total += k->n[i];
    hq_buf_printf(out, "%9zu %9zu %9zu %9zu %9zu  %s\n", k->n[HQ_OBL_DUE], k->n[HQ_OBL_SATISFIED], k->n[HQ_OBL_LATE],
                  k->n[HQ_OBL_MISSED], total, what);
}

/* The summary: a row per domain (its label, then its code) and unit,
 * sorted, and the total; frees the counts. */
static void summary(ob_ctx *c, hq_buf *out)
{
    qsort(c->counts, c->ncounts, sizeof *c->counts, by_domain_unit);
    hq_buf_printf(out, "%9s %9s %9s %9s %9s  %s\n", "DUE", "SATISFIED", "LATE", "MISSED", "TOTAL", "DOMAIN / UNIT");
    hq_buf what;
    hq_buf_init(&what);
    for (size_t i = 0; i < c->ncounts; i++) {
        ob_count *k = &c->counts[i];
        hq_buf_reset(&what);
        hq_buf_printf(&what, "%s（%s） / %s", hq_domain_label(k->domain), k->domain, k->unit);
        summary_row(out, k, what.data);
        free(k->domain);
        free(k->unit);
    }
    hq_buf_fini(&what);
    summary_row(out, &c->all, "合计（all）");
    free(c->counts);
    c->counts = NULL;
    c->ncounts = 0;
}

static int one(void *vctx, const hq_obligation *o)
{
    ob_ctx *c = vctx;
    const char *st = hq_obligation_state_name(o->state);
    if ((c->rule && strcmp(c->rule, o->rule)) || (c->unit && strcmp(c->unit, o->unit)) ||
        (c->status && strcmp(c->status, st)))
        return 0;
    c->n++;
    if (!c->json)
        count(c, o);
    if (c->summary)
        return 0;
    char from[32], due[32];
    hq_local_fmt(o->start_ms, from, sizeof from);
    hq_local_fmt(o->due_ms, due, sizeof due);
    if (c->json) {
        hq_buf_puts(c->out, c->n > 1 ? "," : "");
        hq_buf_puts(c->out, "{\"rule\":");
        hq_json_cstr(c->out, o->rule);
        hq_buf_puts(c->out, ",\"unit\":");
        hq_json_cstr(c->out, o->unit);
        hq_buf_printf(c->out, ",\"start_ms\":%lld,\"due_ms\":%lld,\"state\":\"%s\",\"seq\":%llu}",
                      (long long)o->start_ms, (long long)o->due_ms, st, (unsigned long long)o->seq);
    } else {
        hq_buf_printf(c->out, "%-36s %-14s %-16s %-16s %s（%s）\n", o->rule, o->unit, from, due,
                      hq_label(HQ_LBL_OBLIGATION, st), st);
    }
    return 0;
}

/* The state's obligations that pass c's filters, as c asks. */
static int list(hq_store *s, MDB_txn *txn, void *ctx)
{
    ob_ctx *c = ctx;
    hq_err err;
    hq_buf out;
    hq_buf_init(&out);
    c->out = &out;
    if (c->json)
        hq_buf_putc(&out, '[');
    else if (!c->summary)
        hq_buf_printf(&out, "\n%-36s %-14s %-16s %-16s %s\n", "RULE", "UNIT", "FROM", "DUE", "STATE");
    hq_obligation_each(s, txn, one, c, &err);
    if (c->json)
        hq_buf_puts(&out, "]\n");
    if (!c->json) {
        hq_buf head;
        hq_buf_init(&head);
        summary(c, &head);
        fputs(head.data, stdout);
        hq_buf_fini(&head);
    }
    if (out.len) /* --summary: no list */
        fputs(out.data, stdout);
    hq_buf_fini(&out);
    return 0;
}

int cmd_obligations(int argc, char **argv)
{
    const char *dir = "var";
    ob_ctx c = {0};
    int ignored;
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
        HQ_OPTION_STR("rule", &c.rule),
        HQ_OPTION_STR("unit", &c.unit),
        HQ_OPTION_STR("status", &c.status),
        HQ_OPTION_FLAG("summary", 0, &c.summary),
        HQ_OPTION_FLAG("json", 0, &c.json),
    };
    int prc = ctl_parse_opts(opts, argc, argv, obligations_usage, "obligations", &ignored);
    if (prc >= 0)
        return prc;
    if (c.summary && c.json)
        return ctl_fail("obligations: --summary is for the text output; --json lists every obligation");
    if (c.status && strcmp(c.status, "due") && strcmp(c.status, "satisfied") && strcmp(c.status, "late") &&
        strcmp(c.status, "missed"))
        return ctl_fail("--status: expected due, satisfied, late or missed, got \"%s\"", c.status);
    return ctl_with_state(dir, list, &c);
}
