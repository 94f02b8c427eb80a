/* test_report_html.c - HTML escaping and the evaluation report
 * (lib/report_html.c), as a specification: self-contained (nothing loaded
 * from anywhere), printable on A4, three inline SVG charts with ids, and
 * every text escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hq_issue_fixture.h"
#include "html.h"
#include "report_html.h"

static int setup(void **state)
{
    (void)state;
    return hq_tz_set("Asia/Shanghai");
}

static void test_escaping(void **state)
{
    (void)state;
    hq_buf b;
    hq_buf_init(&b);
    hq_html_escape(&b, "<a href='x'>\"&\"</a> 食堂");
    assert_string_equal(b.data, "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt; 食堂");
    hq_html_escape(&b, NULL);
    hq_buf_fini(&b);
}

static const char yaml[] = "evaluation:\n"
                           "  name: 考评 <报告>\n"
                           "  deductions:\n"
                           "    severity: {low: 1, medium: 2, high: 5, critical: 10}\n"
                           "    overdue_day: 0.5\n"
                           "  grades:\n"
                           "    - {name: 合格, min: 60}\n"
                           "    - {name: 不合格, min: 0}\n";

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_the_report(void **state)
{
    (void)state;
    hq_diags d;
    hq_diags_init(&d);
    hq_eval_scheme *s = NULL;
    assert_int_equal(hq_eval_scheme_load_buf("evaluation.yaml", yaml, strlen(yaml), &s, &d), 0);
    hq_period p;
    hq_eval_period(s, "2026-09", &p, NULL);
    hq_eval *e = hq_eval_new(s, &p, "2026年09月", fx_at(2026, 10, 1, 0));
    hq_eval_contractor(e, "a-co", "甲<公司>");
    hq_eval_contractor(e, "b-co", "乙公司");
    hq_issue is[2];
    fx_issue(&is[0], "HQ-2026-000001", "a-co", "catering", "x", HQ_SEV_HIGH, fx_at(2026, 9, 2, 9));
    hq_issue_note(&is[0], fx_at(2026, 9, 2, 12), "a", 2, HQ_TL_RECTIFIED, HQ_TLC_NONE, "done");
    fx_issue(&is[1], "HQ-2026-000002", "b-co", "dormitory", "x", HQ_SEV_LOW, fx_at(2026, 9, 20, 9));
    hq_issue_note(&is[1], fx_at(2026, 9, 21, 9), "system", 0, HQ_TL_OVERDUE, HQ_TLC_NONE, "late");
    for (int i = 0; i < 2; i++)
        hq_eval_add(e, &is[i]);
    hq_eval_finish(e);
    hq_buf b;
    hq_buf_init(&b);
    hq_eval_to_html(e, &b);
    const char *h = b.data;
    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(h, "@page { size: A4;"));
    assert_int_equal(count(h, "<svg id=\"chart-scores\""), 1);
    assert_int_equal(count(h, "<svg id=\"chart-domains\""), 1);
    assert_int_equal(count(h, "<svg id=\"chart-ontime\""), 1);
    assert_int_equal(count(h, "<svg "), 3);
    assert_int_equal(count(h, "</svg>"), 3);
    assert_int_equal(count(h, "<polyline"), 2); /* two domains */
    assert_int_equal(count(h, "class=\"bar\""), 4); /* two scores, two on-time rates */
    for (const char *bad = "src=\0href=\0url(\0<script\0@import\0http\0"; *bad; bad += strlen(bad) + 1)
        if (strstr(h, bad))
            fail_msg("the report contains \"%s\"", bad);
    assert_non_null(strstr(h, "甲&lt;公司&gt;"));
    assert_non_null(strstr(h, "考评 &lt;报告&gt;"));
    assert_null(strstr(h, "甲<公司>"));
    assert_non_null(strstr(h, "95.00"));
    assert_non_null(strstr(h, "</html>\n"));
    hq_buf_fini(&b);
    for (int i = 0; i < 2; i++)
        hq_issue_fini(&is[i]);
    hq_eval_destroy(&e);
    hq_eval_scheme_destroy(&s);
    hq_diags_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_the_report),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
