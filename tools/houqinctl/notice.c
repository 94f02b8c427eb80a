/* houqinctl notice: the rectification notice (问题整改通知单) of an issue. */
#include "ctl.h"

#include "buf.h"
#include "issue.h"
#include "notice.h"

#include <stdio.h>
#include <string.h>

static const char notice_usage[] =
    "NAME\n"
    "    houqinctl notice - the rectification notice of an issue (问题整改通知单)\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl notice NUMBER --format text|html|pdf [--state DIR] [--rules DIR]\n"
    "                     [--output FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    Renders the notice that goes to the contractor: number, contractor and\n"
    "    site (names from the rules), the problem, the evidence (the issue's\n"
    "    timeline), the requirement, the deadline, the contract clause, the issuing\n"
    "    office (the rules' office), the date the issue was opened, and lines for\n"
    "    the signatures of the issuer, the contractor's receipt and the recheck.\n"
    "    The HTML is one self-contained file that loads nothing and prints on A4\n"
    "    (@page size A4).  pdf: that HTML printed to PDF by headless Chromium\n"
    "    (A4, the Chinese fonts of fonts-noto-cjk embedded); Chromium must be\n"
    "    installed (Debian: chromium).  Complainants' personal data is never in a\n"
    "    notice.\n"
    "\n"
    "OPTIONS\n"
    "    --format F       text, html or pdf\n"
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
    ctl_doc o;
    ctl_doc_init(&o);
    const hq_opt opts[] = {CTL_DOC_OPTIONS(&o)};
    const char *number;
    int prc = ctl_parse_operands(opts, argc, argv, notice_usage, "notice",
                                 "give the issue number (like HQ-2026-000123); see houqinctl notice --help",
                                 &number, 1);
    if (prc >= 0)
        return prc;
    if (!ctl_valid_number(number))
        return ctl_fail("notice: \"%s\" is not an issue number (like HQ-2026-000123)", number);
    static const char *const formats[] = {"text", "html", "pdf", NULL};
    int fmt = ctl_doc_format(&o, "notice", formats);
    if (fmt < 0)
        return EXIT_USAGE;
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    hq_store *s = NULL;
    MDB_txn *txn = NULL;
    int rc = ctl_doc_open(&o, &schemas, &rules, &s, &txn);
    if (rc == 0) {
        hq_issue is = {0};
        hq_err err;
        if (hq_issue_load(s, txn, number, &is, &err) != 0) {
            rc = ctl_fail("%s", err.msg);
        } else {
            const hq_contractor *ct = is.contractor ? hq_rules_contractor(rules, is.contractor) : NULL;
            const hq_site *st = is.site ? hq_rules_site(rules, is.site) : NULL;
            hq_notice_info info = {hq_rules_office(rules), ct ? ct->name : NULL, st ? st->name : NULL, rules};
            hq_buf out;
            hq_buf_init(&out);
            if (fmt == 0)
                hq_notice_text(&is, &info, &out);
            else
                hq_notice_html(&is, &info, &out);
            rc = ctl_doc_emit(&o, "notice", fmt == 2, &out);
        }
        hq_issue_fini(&is);
        ctl_doc_close(&schemas, &rules, &s, txn);
    }
    return rc;
}
