/* houqinctl obligations: the expected occurrences of scheduled events
 * (R6: daily self-inspections, weekly key inspections) and their states. */
#include "ctl.h"

#include "buf.h"
#include "clock.h"
#include "json.h"
#include "obligation.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

static const char obligations_usage[] =
    "NAME\n"
    "    houqinctl obligations - expected inspections and reports, and whether they came\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl obligations [--state DIR] [--rule ID] [--unit ID] [--status S] [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Each scheduled (absence) rule expects an event per unit per slot; houqind\n"
    "    generates these obligations 14 days ahead from the schedule and the calendar.\n"
    "    A slot is due until its deadline, then satisfied, late (came after a miss)\n"
    "    or missed (which opened an issue).\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR   the state directory (default ./var)\n"
    "    --rule ID     only this rule\n"
    "    --unit ID     only this site or contractor\n"
    "    --status S    due, satisfied, late or missed\n"
    "    --json        one JSON array\n";

typedef struct ob_ctx {
    const char *rule, *unit, *status;
    bool json;
    size_t n;
    hq_buf *out;
} ob_ctx;

static int one(void *vctx, const hq_obligation *o)
{
    ob_ctx *c = vctx;
    const char *st = hq_obligation_state_name(o->state);
    if ((c->rule && strcmp(c->rule, o->rule)) || (c->unit && strcmp(c->unit, o->unit)) ||
        (c->status && strcmp(c->status, st)))
        return 0;
    char from[32], due[32];
    hq_local_fmt(o->start_ms, from, sizeof from);
    hq_local_fmt(o->due_ms, due, sizeof due);
    if (c->json) {
        hq_buf_puts(c->out, c->n ? "," : "");
        hq_buf_puts(c->out, "{\"rule\":");
        hq_json_cstr(c->out, o->rule);
        hq_buf_puts(c->out, ",\"unit\":");
        hq_json_cstr(c->out, o->unit);
        hq_buf_printf(c->out, ",\"start_ms\":%lld,\"due_ms\":%lld,\"state\":\"%s\",\"seq\":%llu}",
                      (long long)o->start_ms, (long long)o->due_ms, st, (unsigned long long)o->seq);
    } else {
        hq_buf_printf(c->out, "%-36s %-14s %-16s %-16s %s\n", o->rule, o->unit, from, due, st);
    }
    c->n++;
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
        HQ_OPTION_FLAG("json", 0, &c.json),
        HQ_OPTION_HELP,
        HQ_OPTION_END,
    };
    int prc = ctl_parse_opts(opts, argc, argv, obligations_usage, "obligations", &ignored);
    if (prc >= 0)
        return prc;
    if (c.status && strcmp(c.status, "due") && strcmp(c.status, "satisfied") && strcmp(c.status, "late") &&
        strcmp(c.status, "missed"))
        return ctl_fail("--status: expected due, satisfied, late or missed, got \"%s\"", c.status);
    hq_store *s;
    MDB_txn *txn;
    hq_err err;
    int orc = ctl_open_state(dir, &s, &txn);
    if (orc)
        return orc;
    hq_buf out;
    hq_buf_init(&out);
    c.out = &out;
    if (c.json)
        hq_buf_putc(&out, '[');
    else
        hq_buf_printf(&out, "%-36s %-14s %-16s %-16s %s\n", "RULE", "UNIT", "FROM", "DUE", "STATE");
    hq_obligation_each(s, txn, one, &c, &err);
    if (c.json)
        hq_buf_puts(&out, "]\n");
    fputs(out.data, stdout);
    hq_buf_fini(&out);
    ctl_close_state(&s, txn);
    return 0;
}
