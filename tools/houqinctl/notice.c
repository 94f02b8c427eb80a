/* houqinctl notice: the rectification notice (问题整改通知单) of an issue. */
#include "ctl.h"

#include "buf.h"
#include "issue.h"
#include "notice.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char notice_usage[] =
    "NAME\n"
    "    houqinctl notice - the rectification notice of an issue (问题整改通知单)\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl notice NUMBER --format text|html [--state DIR] [--rules DIR]\n"
    "                     [--output FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    Renders the notice that goes to the contractor: number, contractor and\n"
    "    site (names from the rules), the problem, the evidence (the issue's\n"
    "    timeline), the requirement, the deadline, the contract clause, the issuing\n"
    "    office (the rules' office), the date the issue was opened, and lines for\n"
    "    the signatures of the issuer, the contractor's receipt and the recheck.\n"
    "    The HTML is one self-contained file that loads nothing and prints on A4\n"
    "    (@page size A4).  Complainants' personal data is never in a notice.\n"
    "\n"
    "OPTIONS\n"
    "    --format F       text or html\n"
    "    --output FILE    write to FILE instead of stdout\n"
    "    --state DIR      the state directory (default ./var)\n"
    "    --rules DIR      rules for names and the office (default " HQ_DEFAULT_RULES_HELP ")\n"
    "    --schemas DIR    schemas the rules are loaded against (default\n"
    "                     " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "\n"
    "EXIT STATUS\n"
    "    0 written; 2 bad usage, an unknown issue, rules that do not load, or a\n"
    "    state directory that does not exist or is not a houqin state.\n";

int cmd_notice(int argc, char **argv)
{
    enum { O_FORMAT = 256, O_STATE, O_RULES, O_SCHEMAS, O_OUTPUT };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, O_FORMAT}, {"state", required_argument, NULL, O_STATE},
        {"rules", required_argument, NULL, O_RULES},   {"schemas", required_argument, NULL, O_SCHEMAS},
        {"output", required_argument, NULL, O_OUTPUT}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL, *dir = "var", *rules_dir = HQ_DEFAULT_RULES, *schemas_dir = HQ_DEFAULT_SCHEMAS,
               *output = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_FORMAT: format = optarg; break;
        case O_STATE: dir = optarg; break;
        case O_RULES: rules_dir = optarg; break;
        case O_SCHEMAS: schemas_dir = optarg; break;
        case O_OUTPUT: output = optarg; break;
        case 'h': return ctl_help(notice_usage);
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return ctl_fail("notice: give the issue number (like HQ-2026-000123); see houqinctl notice --help");
    const char *number = argv[optind++];
    if (optind < argc)
        return ctl_fail("notice: unexpected argument \"%s\"", argv[optind]);
    if (!ctl_valid_number(number))
        return ctl_fail("notice: \"%s\" is not an issue number (like HQ-2026-000123)", number);
    if (!format)
        return ctl_fail("notice: give --format text or --format html");
    bool html = strcmp(format, "html") == 0;
    if (!html && strcmp(format, "text") != 0)
        return ctl_fail("--format: expected text or html, got \"%s\"", format);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    int rc = ctl_load_rules(rules_dir, schemas_dir, &schemas, &rules);
    if (rc)
        return rc;
    hq_store *s;
    MDB_txn *txn;
    rc = ctl_open_state(dir, &s, &txn);
    if (rc == 0) {
        hq_issue is = {0};
        hq_err err;
        if (hq_issue_load(s, txn, number, &is, &err) != 0) {
            rc = ctl_fail("%s", err.msg);
        } else {
            const hq_contractor *ct = is.contractor ? hq_rules_contractor(rules, is.contractor) : NULL;
            const hq_site *st = is.site ? hq_rules_site(rules, is.site) : NULL;
            hq_notice_info info = {hq_rules_office(rules), ct ? ct->name : NULL, st ? st->name : NULL};
            hq_buf out;
            hq_buf_init(&out);
            if (html)
                hq_notice_html(&is, &info, &out);
            else
                hq_notice_text(&is, &info, &out);
            FILE *f = output ? fopen(output, "wb") : stdout;
            if (!f)
                rc = ctl_fail("%s: cannot write", output);
            else {
                fwrite(out.data, 1, out.len, f);
                if (output && fclose(f) != 0)
                    rc = ctl_fail("%s: cannot write", output);
            }
            hq_buf_fini(&out);
        }
        hq_issue_fini(&is);
        ctl_close_state(&s, txn);
    }
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return rc;
}
