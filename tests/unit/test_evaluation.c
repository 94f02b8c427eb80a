/* test_evaluation.c - contractor evaluation (lib/evaluation.c), as a
 * specification: the scheme's format and its diagnostics, periods, and the
 * score of a small case worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "evaluation.h"
#include "rules.h"
#include "hq_issue_fixture.h"
#include "hq_test.h"
#include "mem.h"

static const char scheme_yaml[] =
    "contractors:\n"
    "  - {id: a-co, name: 甲公司, penalty_terms: t}\n"
    "  - {id: b-co, name: 乙公司}\n"
    "  - {id: c-co, name: 丙公司}\n"
    "evaluation:\n"
    "  name: 考评\n"
    "  base: 100\n"
    "  floor: 0\n"
    "  deductions:\n"
    "    severity: {low: 1, medium: 2, high: 5, critical: 10}\n"
    "    overdue_day: 0.5\n"
    "    failed_recheck: 2\n"
    "    recurrence: 3\n"
    "    confirmed_complaint: 1\n"
    "    missed_inspection: 2\n"
    "    accountability: 10\n"
    "  categories:\n"
    "    complaint: [complaints]\n"
    "    missed_inspection: [inspection-missing]\n"
    "  veto:\n"
    "    accountability: true\n"
    "    categories: [food-safety-incident]\n"
    "    grade: 不合格\n"
    "  grades:\n"
    "    - {name: 合格, min: 70}\n"
    "    - {name: 优秀, min: 90}\n"
    "    - {name: 不合格, min: 0}\n"
    "    - {name: 良好, min: 80}\n"
    "  terms:\n"
    "    - {id: 2026-autumn, name: 2026年秋季学期, from: 2026-08-31, to: 2027-01-22}\n";

static int setup(void **state)
{
    (void)state;
    return hq_tz_set("Asia/Shanghai");
}

static hq_eval_scheme *load(const char *yaml, hq_diags *d)
{
    hq_eval_scheme *s = NULL;
    hq_diags_init(d);
    hq_eval_scheme_load_buf("rules/evaluation.yaml", yaml, strlen(yaml), &s, d);
    return s;
}

static void test_the_scheme_loads(void **state)
{
    (void)state;
    hq_diags d;
    hq_eval_scheme *s = load(scheme_yaml, &d);
    assert_int_equal(d.count, 0);
    assert_non_null(s);
    assert_string_equal(s->name, "考评");
    assert_int_equal(s->base_cp, 10000);
    assert_int_equal(s->overdue_day_cp, 50);
    assert_int_equal(s->severity_cp[HQ_SEV_CRITICAL], 1000);
    /* grades sorted, highest first */
    assert_int_equal(s->ngrades, 4);
    assert_string_equal(s->grades[0].name, "优秀");
    assert_string_equal(s->grades[3].name, "不合格");
    assert_int_equal(s->nterms, 1);
    assert_int_equal(s->terms[0].from_ms, hq_local_midnight(2026, 8, 31));
    assert_int_equal(s->terms[0].to_ms, hq_local_midnight(2027, 1, 23));
    assert_int_equal(s->ncontractors, 3);
    assert_string_equal(s->contractors[1].name, "乙公司");
    hq_eval_scheme_destroy(&s);
    assert_null(s);
    hq_diags_fini(&d);
}

/* Every problem is reported with file:line:column; nothing is returned. */
static void expect_error(const char *yaml, int line, const char *needle)
{
    hq_diags d;
    hq_eval_scheme *s = load(yaml, &d);
    assert_null(s);
    assert_true(d.count >= 1);
    bool found = false;
    for (size_t i = 0; i < d.count; i++) {
        char b[700];
        hq_err_str(&d.items[i], b, sizeof b);
        if (strstr(b, needle) && d.items[i].line == line && !strcmp(d.items[i].file, "rules/evaluation.yaml"))
            found = true;
    }
    if (!found) {
        char b[700];
        hq_err_str(&d.items[0], b, sizeof b);
        fail_msg("expected \"%s\" at line %d, got %s", needle, line, b);
    }
    hq_diags_fini(&d);
}

static void test_scheme_errors(void **state)
{
    (void)state;
    expect_error("x: 1\n", 0, "no evaluation scheme");
    expect_error("evaluation: [1]\n", 1, "expected a map");
    expect_error("evaluation:\n  name: x\n  bonus: 3\n  deductions:\n    severity: {low: 1, medium: 2, high: 5, "
                 "critical: 10}\n  grades:\n    - {name: a, min: 0}\n",
                 3, "bonus");
    expect_error("evaluation:\n  name: x\n  deductions:\n    severity: {low: 1, medium: 2, high: 5}\n"
                 "  grades:\n    - {name: a, min: 0}\n",
                 4, "critical");
    expect_error("evaluation:\n  name: x\n  deductions:\n    severity: {low: 1, medium: 2, high: 5, critical: 10}\n"
                 "    overdue_day: -1\n  grades:\n    - {name: a, min: 0}\n",
                 5, "between 0 and");
    expect_error("evaluation:\n  name: x\n  deductions:\n    severity: {low: 1, medium: 2, high: 5, critical: 10}\n"
                 "  grades:\n    - {name: a, min: 60}\n",
                 6, "at most floor");
    expect_error("evaluation:\n  name: x\n  deductions:\n    severity: {low: 1, medium: 2, high: 5, critical: 10}\n"
                 "  grades:\n    - {name: a, min: 0}\n  terms:\n    - {id: 2026-09, name: n, from: 2026-09-01, "
                 "to: 2026-09-30}\n",
                 8, "must not look like a month");
    expect_error("evaluation:\n  name: x\n  deductions:\n    severity: {low: 1, medium: 2, high: 5, critical: 10}\n"
                 "  grades:\n    - {name: a, min: 0}\n  terms:\n    - {id: t, name: n, from: 2026-09-31, "
                 "to: 2026-10-30}\n",
                 8, "no such date");
    expect_error("evaluation:\n  name: x\n  deductions:\n    severity: {low: 1, medium: 2, high: 5, critical: 10}\n"
                 "  veto: {grade: 差}\n  grades:\n    - {name: a, min: 0}\n",
                 5, "not one of the grades");
}

static void test_periods(void **state)
{
    (void)state;
    hq_diags d;
    hq_eval_scheme *s = load(scheme_yaml, &d);
    hq_period p;
    hq_err err;
    assert_int_equal(hq_eval_period(s, "2026-09", &p, &err), 0);
    assert_int_equal(p.from_ms, hq_local_midnight(2026, 9, 1));
    assert_int_equal(hq_eval_period(s, "2026-autumn", &p, &err), 0);
    assert_int_equal(p.from_ms, hq_local_midnight(2026, 8, 31));
    assert_string_equal(p.id, "2026-autumn");
    assert_int_equal(hq_eval_period(s, "2026-spring", &p, &err), HQ_EINVAL);
    assert_non_null(strstr(err.msg, "2026-autumn"));
    assert_int_equal(hq_eval_period(s, "2026-13", &p, &err), HQ_EINVAL);
    hq_eval_scheme_destroy(&s);
    hq_diags_fini(&d);
}

/*
 * September 2026, as of 09-20 12:00:
 *   a-co: #1 high, opened 09-02 09:00, deadline 09-03 09:00, overdue then,
 *         rectified 09-05 10:00 (49 h -> 3 days), failed recheck 09-05 12:00,
 *         closed 09-06;  #2 complaints low, opened 09-10, rectified on time;
 *         #3 medium, opened 09-11, closed by hand with no rectification:
 *         dismissed.  Penalty 300 yuan on 09-04, 100 yuan on 08-30 (not
 *         in September).
 *         high 5 + low 1 + 3 overdue days 1.5 + failed recheck 2 +
 *         confirmed complaint 1 = 10.5 -> 89.50 良好; due 2, on time 1.
 *   b-co: #4 low inspection-missing, opened 08-28, overdue 08-29 09:00, still
 *         open: September share 09-01 00:00 .. 09-20 12:00 = 19.5 days -> 20
 *         days -> 10; #5 critical with a recurrence and an accountability
 *         on 09-15: 10 + 3 + 10 = 23, a veto.  100 - 33 = 67 -> 不合格
 *         (veto or not); due 0 (#5 not due yet).
 *   c-co: nothing: 100, 优秀, rank 1.  An internal issue (no contractor)
 *         counts only in the per-domain series.
 */
static void test_scores_worked_out_by_hand(void **state)
{
    (void)state;
    hq_diags d;
    hq_eval_scheme *s = load(scheme_yaml, &d);
    hq_period p;
    hq_eval_period(s, "2026-09", &p, NULL);
    hq_eval *e = hq_eval_new(s, &p, "2026年09月", fx_at(2026, 9, 20, 12));
    for (size_t i = 0; i < s->ncontractors; i++)
        hq_eval_contractor(e, s->contractors[i].id, s->contractors[i].name);
    hq_issue is[6];
    fx_issue(&is[0], "HQ-2026-000001", "a-co", "catering", "food-safety", HQ_SEV_HIGH, fx_at(2026, 9, 2, 9));
    hq_issue_note(&is[0], fx_at(2026, 9, 3, 9), "system", 0, HQ_TL_OVERDUE, HQ_TLC_NONE, "逾期");
    hq_issue_note(&is[0], fx_at(2026, 9, 5, 10), "a", 2, HQ_TL_RECTIFIED, HQ_TLC_NONE, "已整改");
    hq_issue_note(&is[0], fx_at(2026, 9, 5, 12), "s", 3, HQ_TL_REOPENED, HQ_TLC_NONE, "复查未通过");
    hq_issue_note(&is[0], fx_at(2026, 9, 6, 9), "a", 4, HQ_TL_RECTIFIED, HQ_TLC_NONE, "再次整改");
    hq_issue_note(&is[0], fx_at(2026, 9, 6, 12), "s", 5, HQ_TL_CLOSED, HQ_TLC_RECHECK, "复查通过");
    fx_penalty(&is[0], fx_at(2026, 9, 4, 9), 30000, "逾期第1天");
    fx_penalty(&is[0], fx_at(2026, 8, 30, 9), 10000, "before the month");
    fx_issue(&is[1], "HQ-2026-000002", "a-co", "dormitory", "complaints", HQ_SEV_LOW, fx_at(2026, 9, 10, 9));
    hq_issue_note(&is[1], fx_at(2026, 9, 10, 15), "a", 2, HQ_TL_RECTIFIED, HQ_TLC_NONE, "已处理");
    fx_issue(&is[2], "HQ-2026-000003", "a-co", "catering", "inspection", HQ_SEV_MEDIUM, fx_at(2026, 9, 11, 9));
    hq_issue_note(&is[2], fx_at(2026, 9, 11, 12), "s", 2, HQ_TL_CLOSED, HQ_TLC_MANUAL, "关闭：误报");
    fx_issue(&is[3], "HQ-2026-000004", "b-co", "property", "inspection-missing", HQ_SEV_LOW, fx_at(2026, 8, 28, 9));
    hq_issue_note(&is[3], fx_at(2026, 8, 29, 9), "system", 0, HQ_TL_OVERDUE, HQ_TLC_NONE, "逾期");
    fx_issue(&is[4], "HQ-2026-000005", "b-co", "catering", "inspection", HQ_SEV_CRITICAL, fx_at(2026, 9, 15, 9));
    hq_issue_note(&is[4], fx_at(2026, 9, 15, 9), "system", 1, HQ_TL_RECURRENCE, HQ_TLC_NONE, "再次发生");
    hq_issue_note(&is[4], fx_at(2026, 9, 15, 9), "system", 1, HQ_TL_ACCOUNTABILITY, HQ_TLC_NONE, "启动问责");
    fx_issue(&is[5], "HQ-2026-000006", "", "energy", "outage", HQ_SEV_HIGH, fx_at(2026, 9, 15, 9));
    for (int i = 0; i < 6; i++)
        hq_eval_add(e, &is[i]);
    hq_eval_finish(e);
    const hq_eval_row *r;
    size_t n = hq_eval_rows(e, &r);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].contractor, "c-co");
    assert_int_equal(r[0].score_cp, 10000);
    assert_int_equal(r[0].rank, 1);
    assert_string_equal(r[0].grade, "优秀");
    assert_string_equal(r[1].contractor, "a-co");
    assert_int_equal(r[1].issues, 2);
    assert_int_equal(r[1].dismissed, 1);
    assert_int_equal(r[1].overdue_days, 3);
    assert_int_equal(r[1].failed_rechecks, 1);
    assert_int_equal(r[1].complaints, 1);
    assert_int_equal(r[1].deduct_cp[HQ_EVAL_D_SEVERITY], 600);
    assert_int_equal(r[1].deduct_cp[HQ_EVAL_D_OVERDUE], 150);
    assert_int_equal(r[1].deductions_cp, 1050);
    assert_int_equal(r[1].score_cp, 8950);
    assert_string_equal(r[1].grade, "良好");
    assert_int_equal(r[1].due, 2);
    assert_int_equal(r[1].on_time, 1);
    assert_int_equal(r[1].penalties_cents, 30000);
    assert_int_equal(r[1].rank, 2);
    assert_string_equal(r[2].contractor, "b-co");
    assert_int_equal(r[2].overdue_days, 20);
    assert_int_equal(r[2].missed_inspections, 0); /* #4 was opened in August */
    assert_int_equal(r[2].recurrences, 1);
    assert_int_equal(r[2].accountability, 1);
    assert_int_equal(r[2].vetoes, 1);
    assert_int_equal(r[2].score_cp, 6700);
    assert_string_equal(r[2].grade, "不合格");
    assert_int_equal(r[2].due, 0);
    /* the series: daily buckets; the internal energy issue is in it */
    assert_int_equal(hq_eval_buckets(e), 30);
    assert_string_equal(hq_eval_bucket_label(e, 14), "09-15");
    size_t energy = 99;
    for (size_t i = 0; i < hq_eval_domains(e); i++)
        if (!strcmp(hq_eval_domain(e, i), "energy"))
            energy = i;
    assert_int_not_equal(energy, 99);
    assert_int_equal(hq_eval_count(e, energy, 14), 1);
    hq_buf b;
    hq_buf_init(&b);
    hq_eval_to_csv(e, &b);
    assert_non_null(strstr(b.data, "\r\n2,a-co,甲公司,89.50,良好,否,2,1,0,1,0,3,1,0,1,0,0,1,"));
    hq_buf_reset(&b);
    hq_eval_to_json(e, &b);
    assert_non_null(strstr(b.data, "\"contractor\":\"b-co\",\"name\":\"乙公司\",\"score\":67.00,\"grade\":\"不合格\",\"veto\":true"));
    hq_buf_fini(&b);
    for (int i = 0; i < 6; i++)
        hq_issue_fini(&is[i]);
    hq_eval_destroy(&e);
    assert_null(e);
    hq_eval_scheme_destroy(&s);
    hq_diags_fini(&d);
}

static void test_floor_ties_and_term_buckets(void **state)
{
    (void)state;
    hq_diags d;
    hq_eval_scheme *s = load(scheme_yaml, &d);
    hq_period p;
    hq_eval_period(s, "2026-autumn", &p, NULL);
    hq_eval *e = hq_eval_new(s, &p, NULL, fx_at(2027, 3, 1, 0));
    hq_eval_contractor(e, "b-co", NULL);
    hq_eval_contractor(e, "a-co", NULL);
    hq_issue is[12];
    for (int i = 0; i < 12; i++) {
        char num[24];
        snprintf(num, sizeof num, "HQ-2026-%06d", i + 1);
        fx_issue(&is[i], num, "z-co", "catering", "x", HQ_SEV_CRITICAL, fx_at(2026, 10, 1 + i, 9));
        hq_eval_add(e, &is[i]);
    }
    hq_eval_finish(e);
    const hq_eval_row *r;
    size_t n = hq_eval_rows(e, &r);
    assert_int_equal(n, 3);
    /* a tie shares the rank, ids in order; the floor holds */
    assert_string_equal(r[0].contractor, "a-co");
    assert_string_equal(r[1].contractor, "b-co");
    assert_int_equal(r[0].rank, 1);
    assert_int_equal(r[1].rank, 1);
    assert_string_equal(r[2].contractor, "z-co");
    assert_int_equal(r[2].rank, 3);
    assert_int_equal(r[2].score_cp, 0);
    assert_null(r[0].name);
    /* monthly buckets from the term's first day */
    assert_int_equal(hq_eval_buckets(e), 6);
    assert_string_equal(hq_eval_bucket_label(e, 0), "2026-08");
    assert_string_equal(hq_eval_bucket_label(e, 5), "2027-01");
    assert_int_equal(hq_eval_count(e, 0, 2), 12);
    for (int i = 0; i < 12; i++)
        hq_issue_fini(&is[i]);
    hq_eval_destroy(&e);
    hq_eval_scheme_destroy(&s);
    hq_diags_fini(&d);
}

/* Issue 20: a missed inspection of the office's own schedule is an internal
 * issue (owner "office:<unit>"): it never counts in a contractor's score,
 * even when an old record names a contractor. */
static void test_internal_issues_are_not_evaluated(void **state)
{
    (void)state;
    hq_diags d;
    hq_eval_scheme *s = load(scheme_yaml, &d);
    hq_period p;
    hq_eval_period(s, "2026-autumn", &p, NULL);
    hq_eval *e = hq_eval_new(s, &p, NULL, fx_at(2027, 3, 1, 0));
    hq_eval_contractor(e, "a-co", NULL);
    hq_issue in, out;
    fx_issue(&in, "HQ-2026-000001", "a-co", "catering", "inspection-missing", HQ_SEV_HIGH, fx_at(2026, 10, 1, 9));
    in.owner = hq_strdup("office:catering-section");
    in.accountability = true;
    hq_issue_note(&in, fx_at(2026, 10, 4, 9), "system", 0, HQ_TL_ACCOUNTABILITY, HQ_TLC_NONE, "内部");
    fx_issue(&out, "HQ-2026-000002", "a-co", "catering", "inspection-missing", HQ_SEV_MEDIUM, fx_at(2026, 10, 2, 9));
    hq_eval_add(e, &in);
    hq_eval_add(e, &out);
    hq_eval_finish(e);
    const hq_eval_row *r;
    size_t n = hq_eval_rows(e, &r);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].contractor, "a-co");
    assert_int_equal(r[0].issues, 1);            /* the contractor's own only */
    assert_int_equal(r[0].missed_inspections, 1);
    assert_int_equal(r[0].accountability, 0);
    assert_int_equal(r[0].vetoes, 0);
    assert_int_equal(r[0].score_cp, (100 - 2 - 2) * 100);
    hq_issue_fini(&in);
    hq_issue_fini(&out);
    hq_eval_destroy(&e);
    hq_eval_scheme_destroy(&s);
    hq_diags_fini(&d);
}

static void test_the_shipped_scheme_loads(void **state)
{
    (void)state;
    hq_diags d;
    hq_diags_init(&d);
    hq_eval_scheme *s = NULL;
    int rc = hq_eval_scheme_load(hq_test_env("HQ_TEST_RULES"), &s, &d);
    if (rc) {
        char b[700];
        hq_err_str(&d.items[0], b, sizeof b);
        fail_msg("the shipped scheme: %s", b);
    }
    assert_int_equal(s->base_cp, 10000);
    assert_true(s->nterms >= 2);
    assert_true(s->ncontractors >= 1);
    hq_period p;
    assert_int_equal(hq_eval_period(s, "2026-autumn", &p, NULL), 0);
    assert_int_equal(hq_eval_period(s, "2026-spring", &p, NULL), 0);
    hq_eval_scheme_destroy(&s);
    hq_diags_fini(&d);
}

/* The sections this loader reads belong to the rules directory's format
 * (hq_rules_sections), so the rules loader accepts them. */
static void sections_are_in_the_rules_directory_format(void **state)
{
    (void)state;
    for (const char *const *k = hq_eval_sections; *k; k++) {
        bool listed = false;
        for (const hq_rules_section *r = hq_rules_sections; r->key; r++)
            listed |= strcmp(r->key, *k) == 0;
        if (!listed)
            fail_msg("section %s is not in hq_rules_sections", *k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sections_are_in_the_rules_directory_format),
        cmocka_unit_test(test_the_scheme_loads),
        cmocka_unit_test(test_scheme_errors),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_scores_worked_out_by_hand),
        cmocka_unit_test(test_floor_ties_and_term_buckets),
        cmocka_unit_test(test_internal_issues_are_not_evaluated),
        cmocka_unit_test(test_the_shipped_scheme_loads),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
