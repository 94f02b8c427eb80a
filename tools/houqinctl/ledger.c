/* houqinctl ledger: the issue ledger (台账) of a period as CSV or JSON. */
#include "ctl.h"

#include "buf.h"
#include "issue.h"
#include "ledger.h"
#include "period.h"

#include <getopt.h>
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

int cmd_ledger(int argc, char **argv)
{
    enum { O_FROM = 256, O_TO, O_DOMAIN, O_CONTRACTOR, O_PII };
    static const struct option longopts[] = {
        {"from", required_argument, NULL, O_FROM},       {"to", required_argument, NULL, O_TO},
        {"domain", required_argument, NULL, O_DOMAIN},   {"contractor", required_argument, NULL, O_CONTRACTOR},
        {"include-pii", no_argument, NULL, O_PII},       CTL_DOC_LONGOPTS,
        CTL_PII_LONGOPTS,
        {"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0},
    };
    ctl_pii pa = {0};
    ctl_doc o;
    ctl_doc_init(&o);
    const char *from = NULL, *to = NULL, *domain = NULL, *contractor = NULL;
    bool pii = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ctl_doc_option(&o, c, optarg) || ctl_pii_option(&pa, c, optarg))
            continue;
        switch (c) {
        case O_FROM: from = optarg; break;
        case O_TO: to = optarg; break;
        case O_DOMAIN: domain = optarg; break;
        case O_CONTRACTOR: contractor = optarg; break;
        case O_PII: pii = pa.on = true; break;
        case 'h': return ctl_help(ledger_usage);
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return ctl_fail("ledger: unexpected argument \"%s\"", argv[optind]);
    if (!from || !to)
        return ctl_fail("ledger: give --from DATE and --to DATE; see houqinctl ledger --help");
    static const char *const formats[] = {"csv", "json", NULL};
    int fmt = ctl_doc_format(&o, "ledger", formats);
    if (fmt < 0)
        return EXIT_USAGE;
    bool csv = fmt == 0;
    int prc = ctl_pii_check(&pa, "ledger");
    if (prc)
        return prc;
    hq_period p;
    hq_err err;
    if (hq_days_period(from, to, &p, &err) != 0)
        return ctl_fail("ledger: %s", err.msg);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    hq_store *s = NULL;
    MDB_txn *txn = NULL;
    int rc = ctl_doc_open(&o, &schemas, &rules, &s, &txn);
    if (rc)
        return rc;
    MDB_stat ms;
    mdb_stat(txn, hq_store_dbi(s, HQ_DB_ISSUES), &ms);
    ctl_progress pr;
    ctl_progress_begin(&pr, "ledger", ms.ms_entries);
    hq_buf out;
    hq_buf_init(&out);
    if (csv)
        hq_ledger_csv_begin(&out);
    else
        hq_buf_putc(&out, '[');
    MDB_cursor *cur;
    mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_ISSUES), &cur);
    MDB_val k, v;
    size_t n = 0, seen = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        ctl_progress_update(&pr, ++seen);
        hq_issue is;
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, NULL) != 0) {
            hq_issue_fini(&is);
            continue;
        }
        bool keep = is.opened_ms >= p.from_ms && is.opened_ms < p.to_ms &&
                    (!domain || (is.domain && !strcmp(domain, is.domain))) &&
                    (!contractor || (is.contractor && !strcmp(contractor, is.contractor)));
        if (keep) {
            const hq_contractor *ct = is.contractor ? hq_rules_contractor(rules, is.contractor) : NULL;
            const hq_site *st = is.site ? hq_rules_site(rules, is.site) : NULL;
            hq_ledger_names names = {ct ? ct->name : NULL, st ? st->name : NULL};
            if (csv) {
                hq_ledger_csv_row(&out, &is, &names, pii);
            } else {
                if (n)
                    hq_buf_puts(&out, ",\n");
                hq_ledger_json_row(&out, &is, &names, pii);
            }
            n++;
        }
        hq_issue_fini(&is);
    }
    mdb_cursor_close(cur);
    ctl_progress_end(&pr);
    int64_t now_ms = ctl_state_now_ms(s, txn);
    ctl_doc_close(&schemas, &rules, &s, txn);
    if (!csv)
        hq_buf_puts(&out, "]\n");
    rc = ctl_pii_record(&pa, "ledger", argc, argv, now_ms);
    if (rc) {
        hq_buf_fini(&out);
        return rc;
    }
    rc = ctl_doc_write(&o, &out);
    hq_buf_fini(&out);
    return rc;
}
