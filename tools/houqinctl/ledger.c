/* houqinctl ledger: the issue ledger (台账) of a period as CSV or JSON. */
#include "ctl.h"

#include "buf.h"
#include "issue.h"
#include "ledger.h"
#include "period.h"

#include <stdio.h>
#include <string.h>

static const char ledger_usage[] =
    "NAME\n"
    "    houqinctl ledger - export the issue ledger (台账) of a period\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl ledger --from DATE --to DATE --format csv|json [--domain D]\n"
    "                     [--contractor C] [--state DIR] [--rules DIR]\n"
    "                     [--include-pii --actor PERSON [--purpose TEXT] [--ingest EP]\n"
    "                      [--curve-server FILE --curve-key FILE]]\n"
    "\n"
    "DESCRIPTION\n"
    "    One row per issue opened from DATE to DATE (both whole days, local time),\n"
    "    in the order of their numbers: number, opening time, domain, category,\n"
    "    severity, contractor and site (ids and names from the rules), title,\n"
    "    description, requirement, state, deadline, the times of acknowledgement,\n"
    "    rectification feedback and closing, overdue, escalation level,\n"
    "    accountability, occurrences, failed rechecks, recurrence, penalties,\n"
    "    closing reason, the complainant's contact, and the timeline (one line per\n"
    "    entry: time, actor, what happened).\n"
    "\n"
    "    CSV is UTF-8 with a byte order mark (so that spreadsheet programs read the\n"
    "    Chinese text), RFC 4180 quoting and CRLF line ends, with Chinese headers.\n"
    "    JSON is one array of objects with English keys (times in ms since the\n"
    "    epoch).  The state is read in one consistent snapshot while houqind runs.\n"
    "    A progress bar is drawn on stderr when it is a terminal.\n"
    "\n"
    CTL_PII_TEXT
    "\n"
    "OPTIONS\n"
    "    --from DATE          first day (YYYY-MM-DD)\n"
    "    --to DATE            last day (YYYY-MM-DD), included\n"
    "    --format F           csv or json\n"
    "    --domain D           only issues of this domain\n"
    "    --contractor C       only issues of this contractor id\n"
    "    --include-pii        include complainants' contact data (personal data: only\n"
    "                         for authorised staff); otherwise it reads \"（已隐去）\"\n"
    "                         (CSV) or \"(redacted)\" (JSON)\n"
    CTL_PII_HELP
    "    --output FILE        write to FILE instead of stdout\n"
    "    --state DIR          the state directory (default ./var)\n"
    "    --rules DIR          rules for contractor and site names (default\n"
    "                         " HQ_DEFAULT_RULES_HELP ")\n"
    "    --schemas DIR        schemas the rules are loaded against (default\n"
    "                         " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "\n"
    "EXIT STATUS\n"
    "    0 written (possibly no rows); 1 the access to personal data was refused\n"
    "    or not recorded (nothing written); 2 bad usage, a bad date, rules that do not\n"
    "    load, or a state directory that does not exist or is not a houqin state.\n";

/* What the ledger lists, and where its rows go. */
typedef struct ledger {
    hq_period p;
    const char *domain, *contractor; /* NULL: any */
    const hq_rules *rules;           /* for the names */
    bool csv, pii;
    hq_buf *out;
    size_t rows;
} ledger;

static bool listed(const ledger *l, const hq_issue *is)
{
    return is->opened_ms >= l->p.from_ms && is->opened_ms < l->p.to_ms &&
           (!l->domain || (is->domain && !strcmp(l->domain, is->domain))) &&
           (!l->contractor || (is->contractor && !strcmp(l->contractor, is->contractor)));
}

static void add_row(const hq_issue *is, void *ctx)
{
    ledger *l = ctx;
    if (!listed(l, is))
        return;
    const hq_contractor *ct = is->contractor ? hq_rules_contractor(l->rules, is->contractor) : NULL;
    const hq_site *st = is->site ? hq_rules_site(l->rules, is->site) : NULL;
    hq_ledger_names names = {ct ? ct->name : NULL, st ? st->name : NULL, l->rules};
    if (l->csv) {
        hq_ledger_csv_row(l->out, is, &names, l->pii);
    } else {
        if (l->rows)
            hq_buf_puts(l->out, ",\n");
        hq_ledger_json_row(l->out, is, &names, l->pii);
    }
    l->rows++;
}

/* The rows of the state's issues into l->out, between the CSV header or
 * the JSON array's brackets; *now_ms is the state's clock. */
static int list_rows(const ctl_doc *o, ledger *l, int64_t *now_ms)
{
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    hq_store *s = NULL;
    MDB_txn *txn = NULL;
    int rc = ctl_doc_open(o, &schemas, &rules, &s, &txn);
    if (rc)
        return rc;
    l->rules = rules;
    if (l->csv)
        hq_ledger_csv_begin(l->out);
    else
        hq_buf_putc(l->out, '[');
    ctl_each_issue(s, txn, "ledger", add_row, l);
    *now_ms = ctl_state_now_ms(s, txn);
    ctl_doc_close(&schemas, &rules, &s, txn);
    l->rules = NULL;
    if (!l->csv)
        hq_buf_puts(l->out, "]\n");
    return 0;
}

int cmd_ledger(int argc, char **argv)
{
    ctl_pii pa = {0};
    ctl_doc o;
    ctl_doc_init(&o);
    const char *from = NULL, *to = NULL;
    ledger l = {0};
    const hq_opt opts[] = {
        HQ_OPTION_STR("from", &from),
        HQ_OPTION_STR("to", &to),
        HQ_OPTION_STR("domain", &l.domain),
        HQ_OPTION_STR("contractor", &l.contractor),
        HQ_OPTION_FLAG("include-pii", 0, &pa.on),
        CTL_DOC_OPTIONS(&o),
        CTL_PII_OPTIONS(&pa),
    };
    int prc = ctl_parse_opts(opts, argc, argv, ledger_usage, "ledger", NULL);
    if (prc >= 0)
        return prc;
    if (!from || !to)
        return ctl_fail("ledger: give --from DATE and --to DATE; see houqinctl ledger --help");
    static const char *const formats[] = {"csv", "json", NULL};
    int fmt = ctl_doc_format(&o, "ledger", formats);
    if (fmt < 0)
        return EXIT_USAGE;
    l.csv = fmt == 0;
    l.pii = pa.on;
    int rc = ctl_pii_check(&pa, "ledger");
    if (rc)
        return rc;
    hq_err err;
    if (hq_days_period(from, to, &l.p, &err) != 0)
        return ctl_fail("ledger: %s", err.msg);
    hq_buf out;
    hq_buf_init(&out);
    l.out = &out;
    int64_t now_ms = 0;
    rc = list_rows(&o, &l, &now_ms);
    if (rc == 0)
        rc = ctl_pii_record(&pa, "ledger", argc, argv, now_ms);
    if (rc == 0)
        rc = ctl_doc_write(&o, &out);
    hq_buf_fini(&out);
    return rc;
}
