/* houqinctl evaluation: contractor evaluation (考评, R11) for a month or a
 * term, from the scheme in the rules directory and the issues in the state. */
#include "ctl.h"

#include "buf.h"
#include "evaluation.h"
#include "issue.h"
#include "report_html.h"

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

/* The words of the report are the rules' vocabulary (hq_rules_load
 * installs it); rules that do not load leave the built-in labels, as the
 * scheme is all the evaluation needs. */
static void use_vocab_quietly(const char *rules_dir, const char *schemas_dir)
{
    hq_diags vd;
    hq_diags_init(&vd);
    hq_schemas *vs = NULL;
    hq_rules *vr = NULL;
    if (hq_schemas_load_dir(schemas_dir, &vs, &vd) == 0 && hq_rules_load(rules_dir, vs, &vr, &vd) == 0)
        hq_rules_destroy(&vr);
    hq_schemas_destroy(&vs);
    hq_diags_fini(&vd);
}

/* The scheme of rules_dir; 0, or EXIT_USAGE after its first problem (and
 * how many more). */
static int load_scheme(const char *rules_dir, hq_eval_scheme **scheme)
{
    hq_diags d;
    hq_diags_init(&d);
    int rc = 0;
    if (hq_eval_scheme_load(rules_dir, scheme, &d) != 0) {
        char b[700] = "";
        if (d.count)
            hq_err_str(&d.items[0], b, sizeof b);
        rc = d.count > 1 ? ctl_fail("%s (and %zu more problem%s)", b, d.count - 1, d.count > 2 ? "s" : "")
                         : ctl_fail("%s", b);
    }
    hq_diags_fini(&d);
    return rc;
}

/* The period as the report names it: a term's name, 2026年09月 for a
 * month, else its id. */
static void period_name(const hq_eval_scheme *scheme, const char *period, const hq_period *p, char *out,
                        size_t size)
{
    snprintf(out, size, "%s", p->id);
    if (strlen(period) == 7)
        snprintf(out, size, "%.4s年%.2s月", period, period + 5);
    for (size_t i = 0; i < scheme->nterms; i++)
        if (!strcmp(scheme->terms[i].id, period))
            snprintf(out, size, "%s", scheme->terms[i].name);
}

static void add_issue(const hq_issue *is, void *e)
{
    hq_eval_add(e, is);
}

/* The evaluation of the state's issues in period p, named pname. */
static int evaluate(const char *state_dir, const hq_eval_scheme *scheme, const hq_period *p, const char *pname,
                    hq_eval **out)
{
    hq_store *s;
    MDB_txn *txn;
    int rc = ctl_open_state(state_dir, &s, &txn);
    if (rc)
        return rc;
    hq_eval *e = hq_eval_new(scheme, p, pname, ctl_state_now_ms(s, txn));
    for (size_t i = 0; i < scheme->ncontractors; i++)
        hq_eval_contractor(e, scheme->contractors[i].id, scheme->contractors[i].name);
    ctl_each_issue(s, txn, "evaluation", add_issue, e);
    ctl_close_state(&s, txn);
    hq_eval_finish(e);
    *out = e;
    return 0;
}

/* The report in format (csv, json, html; pdf is printed from the html). */
static void render(const hq_eval *e, const char *format, hq_buf *out)
{
    if (!strcmp(format, "csv")) {
        hq_eval_to_csv(e, out);
    } else if (!strcmp(format, "json")) {
        hq_eval_to_json(e, out);
        hq_buf_putc(out, '\n');
    } else {
        hq_eval_to_html(e, out);
    }
}

int cmd_evaluation(int argc, char **argv)
{
    ctl_doc o;
    ctl_doc_init(&o);
    const char *period = NULL;
    const hq_opt opts[] = {HQ_OPTION_STR("period", &period), CTL_DOC_OPTIONS(&o)};
    int prc = ctl_parse_opts(opts, argc, argv, evaluation_usage, "evaluation", NULL);
    if (prc >= 0)
        return prc;
    if (!period)
        return ctl_fail("evaluation: give --period (a month like 2026-09 or a term like 2026-autumn)");
    static const char *const formats[] = {"csv", "json", "html", "pdf", NULL};
    int fmt = ctl_doc_format(&o, "evaluation", formats);
    if (fmt < 0)
        return EXIT_USAGE;
    use_vocab_quietly(o.rules, o.schemas);
    hq_eval_scheme *scheme = NULL;
    int rc = load_scheme(o.rules, &scheme);
    if (rc)
        return rc;
    hq_period p;
    hq_err err;
    if (hq_eval_period(scheme, period, &p, &err) != 0) {
        hq_eval_scheme_destroy(&scheme);
        return ctl_fail("--period: %s", err.msg);
    }
    char pname[128];
    period_name(scheme, period, &p, pname, sizeof pname);
    hq_eval *e = NULL;
    rc = evaluate(o.state, scheme, &p, pname, &e);
    if (rc == 0) {
        hq_buf out;
        hq_buf_init(&out);
        render(e, formats[fmt], &out);
        rc = ctl_doc_emit(&o, "evaluation", fmt == 3, &out);
    }
    hq_eval_destroy(&e);
    hq_eval_scheme_destroy(&scheme);
    return rc;
}
