/* houqinctl evaluation: contractor evaluation (考评, R11) for a month or a
 * term, from the scheme in the rules directory and the issues in the state. */
#include "ctl.h"

#include "buf.h"
#include "evaluation.h"
#include "issue.h"
#include "report_html.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char evaluation_usage[] =
    "NAME\n"
    "    houqinctl evaluation - contractor evaluation for a month or a term (考评)\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl evaluation --period 2026-09|2026-autumn|2026-spring\n"
    "                         --format csv|json|html|pdf [--state DIR] [--rules DIR]\n"
    "                         [--output FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    Scores every contractor of the rules for the period with the scheme of\n"
    "    the rules directory (the `evaluation:` key; rules/evaluation.yaml ships\n"
    "    it): a base score less deductions for the issues opened in the period by\n"
    "    severity, for each overdue day, failed recheck, recurrence, confirmed\n"
    "    complaint, missed self-inspection and accountability case; veto items cap\n"
    "    the grade; penalties assessed in the period are summed.  Contractors are\n"
    "    ranked by score.  An issue closed without any rectification feedback\n"
    "    (a false alarm, a withdrawn complaint) does not count.\n"
    "\n"
    "    A period is a month (YYYY-MM) or a term id of the scheme (its terms are\n"
    "    date ranges).  Events up to the state's clock are counted.\n"
    "\n"
    "    csv: one row per contractor, UTF-8 with a byte order mark, RFC 4180.\n"
    "    json: one object with the period, the ranked contractors (counts,\n"
    "    deductions, score, grade, on-time rate, penalties) and the per-domain\n"
    "    series.  html: a self-contained report (no network needed) with tables\n"
    "    and SVG charts: scores by contractor, issues per domain over time,\n"
    "    on-time rectification rate; it prints on A4.\n"
    "\n"
    "OPTIONS\n"
    "    --period P       a month like 2026-09, or a term like 2026-autumn\n"
    "    --format F       csv, json, html or pdf (the HTML printed to PDF by headless\n"
    "                     Chromium: A4, Chinese fonts embedded; needs chromium)\n"
    "    --output FILE    write to FILE instead of stdout\n"
    "    --state DIR      the state directory (default ./var)\n"
    "    --rules DIR      the rules directory with the scheme and the vocabulary\n"
    "                     (default " HQ_DEFAULT_RULES_HELP ")\n"
    "    --schemas DIR    schemas the rules are loaded against, for their\n"
    "                     vocabulary (default " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "\n"
    "EXIT STATUS\n"
    "    0 written; 2 bad usage, an unknown period, a scheme that does not load,\n"
    "    or a state directory that does not exist or is not a houqin state.\n";

int cmd_evaluation(int argc, char **argv)
{
    enum { O_PERIOD = 256 };
    static const struct option longopts[] = {
        {"period", required_argument, NULL, O_PERIOD}, CTL_DOC_LONGOPTS, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ctl_doc o;
    ctl_doc_init(&o);
    const char *period = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ctl_doc_option(&o, c, optarg))
            continue;
        if (c == O_PERIOD)
            period = optarg;
        else
            return c == 'h' ? ctl_help(evaluation_usage) : EXIT_USAGE;
    }
    if (optind < argc)
        return ctl_fail("evaluation: unexpected argument \"%s\"", argv[optind]);
    if (!period)
        return ctl_fail("evaluation: give --period (a month like 2026-09 or a term like 2026-autumn)");
    static const char *const formats[] = {"csv", "json", "html", "pdf", NULL};
    int fmt = ctl_doc_format(&o, "evaluation", formats);
    if (fmt < 0)
        return EXIT_USAGE;
    const char *rules_dir = o.rules;
    /* The words of the report are the rules' vocabulary (hq_rules_load
     * installs it); rules that do not load leave the built-in labels, as
     * the scheme is all the evaluation needs. */
    hq_diags vd;
    hq_diags_init(&vd);
    hq_schemas *vs = NULL;
    hq_rules *vr = NULL;
    if (hq_schemas_load_dir(o.schemas, &vs, &vd) == 0 && hq_rules_load(rules_dir, vs, &vr, &vd) == 0)
        hq_rules_destroy(&vr);
    hq_schemas_destroy(&vs);
    hq_diags_fini(&vd);
    hq_diags d;
    hq_diags_init(&d);
    hq_eval_scheme *scheme = NULL;
    if (hq_eval_scheme_load(rules_dir, &scheme, &d) != 0) {
        char b[700] = "";
        if (d.count)
            hq_err_str(&d.items[0], b, sizeof b);
        int rc = d.count > 1 ? ctl_fail("%s (and %zu more problem%s)", b, d.count - 1, d.count > 2 ? "s" : "") : ctl_fail("%s", b);
        hq_diags_fini(&d);
        return rc;
    }
    hq_diags_fini(&d);
    hq_period p;
    hq_err err;
    if (hq_eval_period(scheme, period, &p, &err) != 0) {
        hq_eval_scheme_destroy(&scheme);
        return ctl_fail("--period: %s", err.msg);
    }
    char pname[128];
    snprintf(pname, sizeof pname, "%s", p.id);
    if (strlen(period) == 7)
        snprintf(pname, sizeof pname, "%.4s年%.2s月", period, period + 5);
    for (size_t i = 0; i < scheme->nterms; i++)
        if (!strcmp(scheme->terms[i].id, period))
            snprintf(pname, sizeof pname, "%s", scheme->terms[i].name);
    hq_store *s;
    MDB_txn *txn;
    int rc = ctl_open_state(o.state, &s, &txn);
    if (rc) {
        hq_eval_scheme_destroy(&scheme);
        return rc;
    }
    hq_eval *e = hq_eval_new(scheme, &p, pname, ctl_state_now_ms(s, txn));
    for (size_t i = 0; i < scheme->ncontractors; i++)
        hq_eval_contractor(e, scheme->contractors[i].id, scheme->contractors[i].name);
    MDB_stat ms;
    mdb_stat(txn, hq_store_dbi(s, HQ_DB_ISSUES), &ms);
    ctl_progress pr;
    ctl_progress_begin(&pr, "evaluation", ms.ms_entries);
    MDB_cursor *cur;
    mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_ISSUES), &cur);
    MDB_val k, v;
    size_t seen = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        ctl_progress_update(&pr, ++seen);
        hq_issue is;
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, NULL) == 0)
            hq_eval_add(e, &is);
        hq_issue_fini(&is);
    }
    mdb_cursor_close(cur);
    ctl_progress_end(&pr);
    ctl_close_state(&s, txn);
    hq_eval_finish(e);
    hq_buf out, pdf;
    hq_buf_init(&out);
    hq_buf_init(&pdf);
    if (fmt == 0)
        hq_eval_to_csv(e, &out);
    else if (fmt == 1) {
        hq_eval_to_json(e, &out);
        hq_buf_putc(&out, '\n');
    } else
        hq_eval_to_html(e, &out);
    if (fmt == 3)
        rc = ctl_doc_pdf("evaluation", &out, &pdf);
    if (rc == 0)
        rc = ctl_doc_write(&o, fmt == 3 ? &pdf : &out);
    hq_buf_fini(&pdf);
    hq_buf_fini(&out);
    hq_eval_destroy(&e);
    hq_eval_scheme_destroy(&scheme);
    return rc;
}
