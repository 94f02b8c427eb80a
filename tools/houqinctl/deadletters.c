/* houqinctl deadletters: deliveries houqin-alertd gave up on. */
#include "ctl.h"

#include "alert_queue.h"
#include "buf.h"
#include "clock.h"
#include "json.h"

#include <stdio.h>

static const char deadletters_usage[] =
    "NAME\n"
    "    houqinctl deadletters - alerts houqin-alertd could not deliver\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl deadletters --state DIR [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    After its stated number of tries (or at once on a permanent refusal such\n"
    "    as HTTP 404), houqin-alertd keeps a delivery as a dead letter: the alert,\n"
    "    the recipient and channel, the idempotency key its tries carried, the\n"
    "    tries and the last error.  Complainants' contact data is never stored in\n"
    "    a dead letter.\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR          houqin-alertd's state directory (the one its --state\n"
    "                         names)\n"
    "    --alertd-state DIR   deprecated: the old name of --state, still accepted\n"
    "    --json               one JSON array\n";

typedef struct dl_ctx {
    bool json;
    size_t n;
    hq_buf *out;
} dl_ctx;

static int one(void *vctx, const hq_dead_letter *dl)
{
    dl_ctx *c = vctx;
    char dead[32];
    hq_local_fmt(dl->dead_ms, dead, sizeof dead);
    if (c->json) {
        hq_buf_puts(c->out, c->n ? "," : "");
        hq_buf_printf(c->out, "{\"id\":%llu,\"seq\":%llu,\"alerts\":%zu,\"recipient\":", (unsigned long long)dl->id,
                      (unsigned long long)dl->seq, dl->nalerts);
        hq_json_cstr(c->out, dl->recipient);
        hq_buf_puts(c->out, ",\"channel\":");
        hq_json_cstr(c->out, dl->channel);
        hq_buf_puts(c->out, ",\"key\":");
        hq_json_cstr(c->out, dl->key);
        hq_buf_printf(c->out, ",\"tries\":%u,\"first_ms\":%lld,\"dead_ms\":%lld,\"error\":", dl->tries,
                      (long long)dl->first_ms, (long long)dl->dead_ms);
        hq_json_cstr(c->out, dl->error);
        hq_buf_puts(c->out, ",\"kind\":");
        hq_json_cstr(c->out, dl->kind);
        hq_buf_puts(c->out, ",\"issue\":");
        hq_json_cstr(c->out, dl->issue);
        hq_buf_puts(c->out, ",\"title\":");
        hq_json_cstr(c->out, dl->title);
        hq_buf_putc(c->out, '}');
    } else {
        hq_buf_printf(c->out, "%-5llu %-16s %-7llu %-28s %-10s %-5u %-15s %s\n", (unsigned long long)dl->id, dead,
                      (unsigned long long)dl->seq, dl->recipient, dl->channel, dl->tries, dl->issue, dl->error);
    }
    c->n++;
    return 0;
}

int cmd_deadletters(int argc, char **argv)
{
    const char *dir = NULL;
    dl_ctx c = {0};
    int ignored;
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &dir),
        HQ_OPTION_STR("alertd-state", &dir), /* deprecated alias of --state */
        HQ_OPTION_FLAG("json", 0, &c.json),
    };
    int prc = ctl_parse_opts(opts, argc, argv, deadletters_usage, "deadletters", &ignored);
    if (prc >= 0)
        return prc;
    if (!dir)
        return ctl_fail("deadletters: give --state DIR (houqin-alertd's state directory)");
    hq_alert_queue *q;
    MDB_txn *txn;
    hq_err err;
    if (hq_alert_queue_open(dir, HQ_AQ_RDONLY, &q, &err) != 0)
        return ctl_fail("%s", err.msg);
    if (hq_alert_queue_begin(q, false, &txn, &err) != 0) {
        hq_alert_queue_close(&q);
        return ctl_fail("%s", err.msg);
    }
    hq_buf out;
    hq_buf_init(&out);
    c.out = &out;
    if (c.json)
        hq_buf_putc(&out, '[');
    else
        hq_buf_printf(&out, "%-5s %-16s %-7s %-28s %-10s %-5s %-15s %s\n", "ID", "DEAD", "SEQ", "RECIPIENT", "CHANNEL",
                      "TRIES", "ISSUE", "LAST ERROR");
    int rc = hq_alert_queue_each_dead(q, txn, one, &c, &err);
    if (c.json)
        hq_buf_puts(&out, "]\n");
    if (rc == 0)
        fputs(out.data, stdout);
    hq_buf_fini(&out);
    hq_alert_queue_abort(q, txn);
    hq_alert_queue_close(&q);
    return rc ? ctl_fail("%s", err.msg) : 0;
}
