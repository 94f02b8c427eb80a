/* test_worktime.c - durations in working time (lib/model/worktime.c), as a
 * specification (issue 18 item 7: "deadline: 3 workdays or 8 working hours,
 * counted on the calendar").
 *
 * The calendar is the shipped one's autumn (Asia/Shanghai, 08:00-17:30,
 * Monday to Friday, 国庆节 2026-10-01..07, make-up working days Sunday
 * 2026-09-27 and Saturday 2026-10-10):
 * - across a weekend: Friday 16:00 + 8 working hours is Monday 14:30,
 *   + 3 workdays is Wednesday 17:30;
 * - across the public holiday: 09-30 16:00 + 8 working hours is 10-08
 *   14:30, + 1 workday is 10-08 17:30;
 * - the 调休 Saturday 10-10 and Sunday 09-27 count as working days;
 * - starts outside working hours, a count ending at a closing time;
 * - the grammar (whole numbers, the fraction hint) and the encoding (exact
 *   durations are unchanged, tags survive a round trip);
 * - end to end through a rule test (the engine on the shipped calendar):
 *   deadline, acknowledgement reminder, escalation step and recheck
 *   reminder in working time, each fired and stamped at its due time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"

#include "calendar.h"
#include "clock.h"
#include "rt_fixture.h"
#include "ruletest.h"
#include "worktime.h"
#include "ytree.h"

#include <string.h>

static const char cal_yaml[] = "calendar:\n"
                               "  weekdays: [mon, tue, wed, thu, fri]\n"
                               "  working_hours: \"08:00-17:30\"\n"
                               "  holidays:\n"
                               "    - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}\n"
                               "  workdays: [2026-09-27, 2026-10-10]\n";

static hq_ydoc *doc;
static hq_calendar *cal;

static int setup(void **state)
{
    (void)state;
    if (hq_tz_set("Asia/Shanghai") != 0)
        return -1;
    hq_diags d;
    hq_diags_init(&d);
    hq_err err = {0};
    if (hq_ydoc_load_buf("cal.yaml", cal_yaml, strlen(cal_yaml), NULL, &doc, &err) != 0)
        return -1;
    cal = hq_calendar_parse(doc, hq_ymap_get(doc->root, "calendar"), &d);
    int rc = cal && d.count == 0 ? 0 : -1;
    hq_diags_fini(&d);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    hq_calendar_destroy(&cal);
    hq_ydoc_destroy(&doc);
    return 0;
}

/* Local time in Asia/Shanghai (UTC+8, no DST), computed by hand. */
static int64_t T(int m, int d, int hh, int mm)
{
    return hq_local_instant_ms(hq_day_from_civil(2026, m, d), hh * 60 + mm);
}

static void assert_time(int64_t got, int64_t want)
{
    if (got != want) {
        char a[32], b[32];
        hq_local_fmt(got, a, sizeof a);
        hq_local_fmt(want, b, sizeof b);
        fail_msg("got %s, want %s", a, b);
    }
}

static hq_wdur P(const char *s)
{
    hq_wdur d = 0;
    if (hq_wdur_parse(s, &d) != 0)
        fail_msg("\"%s\" refused", s);
    return d;
}

static void test_weekend(void **state)
{
    (void)state;
    /* 2026-09-11 is a Friday. */
    assert_time(hq_wdur_add(cal, P("8 working hours"), T(9, 11, 16, 0)), T(9, 14, 14, 30));
    assert_time(hq_wdur_add(cal, P("3 workdays"), T(9, 11, 16, 0)), T(9, 16, 17, 30));
    assert_time(hq_wdur_add(cal, P("1 workday"), T(9, 12, 10, 0)), T(9, 14, 17, 30)); /* opened on Saturday */
    /* exact time ignores the calendar: Friday 16:00 + 8h is Saturday 00:00 */
    assert_time(hq_wdur_add(cal, P("8h"), T(9, 11, 16, 0)), T(9, 12, 0, 0));
}

static void test_public_holiday(void **state)
{
    (void)state;
    assert_time(hq_wdur_add(cal, P("8 working hours"), T(9, 30, 16, 0)), T(10, 8, 14, 30));
    assert_time(hq_wdur_add(cal, P("1 workday"), T(9, 30, 10, 0)), T(10, 8, 17, 30));
    assert_time(hq_wdur_add(cal, P("2 working days"), T(9, 30, 10, 0)), T(10, 9, 17, 30));
    /* opened during the holiday: counting starts on the first working day */
    assert_time(hq_wdur_add(cal, P("30 working minutes"), T(10, 3, 12, 0)), T(10, 8, 8, 30));
}

static void test_makeup_days(void **state)
{
    (void)state;
    /* 10-09 is a Friday; the Saturday after is a make-up working day (调休). */
    assert_time(hq_wdur_add(cal, P("3 workdays"), T(9, 30, 10, 0)), T(10, 10, 17, 30));
    assert_time(hq_wdur_add(cal, P("1 working hour"), T(10, 9, 17, 0)), T(10, 10, 8, 30));
    assert_time(hq_wdur_add(cal, P("1 workday"), T(10, 9, 12, 0)), T(10, 10, 17, 30));
    /* the Sunday 09-27 too: Saturday 10:00 + 2 working hours */
    assert_time(hq_wdur_add(cal, P("2 working hours"), T(9, 26, 10, 0)), T(9, 27, 10, 0));
    /* and the Sunday after 10-10 is not */
    assert_time(hq_wdur_add(cal, P("1 workday"), T(10, 10, 9, 0)), T(10, 12, 17, 30));
}

static void test_edges_of_the_day(void **state)
{
    (void)state;
    assert_time(hq_wdur_add(cal, P("1 working hour"), T(9, 14, 7, 0)), T(9, 14, 9, 0));     /* before opening */
    assert_time(hq_wdur_add(cal, P("1 working hour"), T(9, 14, 16, 30)), T(9, 14, 17, 30)); /* ends at closing */
    assert_time(hq_wdur_add(cal, P("1 working hour"), T(9, 14, 20, 0)), T(9, 15, 9, 0));    /* after closing */
    assert_time(hq_wdur_add(cal, P("19 working hours"), T(9, 14, 8, 0)), T(9, 15, 17, 30)); /* two full days */
    assert_time(hq_wdur_add(cal, P("1 workday"), T(9, 14, 23, 59)), T(9, 15, 17, 30));
}

static void test_grammar(void **state)
{
    (void)state;
    hq_wdur d;
    assert_int_equal(hq_wdur_kind_of(P("3 workdays")), HQ_WDUR_WORK_DAYS);
    assert_int_equal(hq_wdur_count(P("3 workdays")), 3);
    assert_int_equal(hq_wdur_kind_of(P("8 working hours")), HQ_WDUR_WORK_MINUTES);
    assert_int_equal(hq_wdur_count(P("8 working hours")), 480);
    assert_int_equal(hq_wdur_count(P("45 working minutes")), 45);
    assert_int_equal(hq_wdur_kind_of(P("48h")), HQ_WDUR_EXACT);
    assert_int_equal(P("1h30m"), 90 * 60000);
    assert_true(P("3 workdays") > 0 && P("1 working minute") > 0); /* "> 0" still means set */
    static const char *const bad[] = {"0 workdays",   "3 weekdays", "1.5 workdays", "three workdays",
                                      "3 workdays x", "-3 workdays", "3workdays",   "", "1.5h"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (hq_wdur_parse(bad[i], &d) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
}

static void test_yaml_message(void **state)
{
    (void)state;
    static const char text[] = "a: 1.5h\nb: 3 weekdays\n";
    hq_ydoc *y = NULL;
    hq_err err = {0};
    assert_int_equal(hq_ydoc_load_buf("r.yaml", text, strlen(text), NULL, &y, &err), 0);
    hq_diags d;
    hq_diags_init(&d);
    hq_wdur w;
    assert_int_equal(hq_yget_wdur(&d, y, hq_ymap_get(y->root, "a"), &w), HQ_EINVAL);
    assert_int_equal(hq_yget_wdur(&d, y, hq_ymap_get(y->root, "b"), &w), HQ_EINVAL);
    assert_int_equal(d.count, 2);
    char buf[512];
    assert_string_equal(hq_err_str(&d.items[0], buf, sizeof buf),
                        "r.yaml:1:4: expected a duration like 30m, 48h, 7d, 1h30m, \"3 workdays\" or \"8 working "
                        "hours\", got \"1.5h\" (whole numbers only: write 1h30m, not 1.5h)");
    assert_string_equal(hq_err_str(&d.items[1], buf, sizeof buf),
                        "r.yaml:2:4: expected a duration like 30m, 48h, 7d, 1h30m, \"3 workdays\" or \"8 working "
                        "hours\", got \"3 weekdays\"");
    hq_diags_fini(&d);
    hq_ydoc_destroy(&y);
}

static void test_format(void **state)
{
    (void)state;
    char b[48];
    hq_wdur_format(P("3 workdays"), b, sizeof b);
    assert_string_equal(b, "3 个工作日");
    hq_wdur_format(P("8 working hours"), b, sizeof b);
    assert_string_equal(b, "8 个工作小时");
    hq_wdur_format(P("90 working minutes"), b, sizeof b);
    assert_string_equal(b, "90 工作分钟");
    hq_wdur_format(P("48h"), b, sizeof b);
    assert_string_equal(b, "2 天");
    hq_wdur_format(P("5h"), b, sizeof b);
    assert_string_equal(b, "5 小时");
}

/* ---- end to end: a rule set with working-time durations ---- */

static const char wt_rules[] =
    "chains:\n"
    "  wt:\n"
    "    - {level: 1, notify: [section_head, contractor_contact]}\n"
    "    - {level: 2, after: 8 working hours, notify: [office_director]}\n"
    "rules:\n"
    "  - id: w.complaint\n"
    "    on: complaint.submitted\n"
    "    key: \"{{data.site}}\"\n"
    "    issue:\n"
    "      title: \"complaint {{data.site}}\"\n"
    "      domain: catering\n"
    "      site: \"{{data.site}}\"\n"
    "      deadline: 3 workdays\n"
    "      ack_within: 2 working hours\n"
    "      recheck: {after: 1 workday}\n"
    "      chain: wt\n";

/* Opened Wednesday 2026-09-30 16:00, before 国庆节: the deadline is the
 * third working day after (10-08, 10-09, and the 调休 Saturday 10-10) at
 * 17:30; the acknowledgement reminder comes after 1.5 h on 09-30 and 0.5 h
 * on 10-08 (08:30); escalation 8 working hours after the deadline: Monday
 * 10-12 (the Sunday between is off) at 16:00; after a rectification on
 * 10-12 17:00 the recheck reminder is due at the end of 10-13.  (The
 * daily overdue reminder of 10-11 stays in exact days.) */
static const char wt_test[] =
    "name: working-time deadline across 国庆节 and a 调休 Saturday\n"
    "start: 2026-09-30T16:00:00+08:00\n"
    "steps:\n"
    "  - event: {type: complaint.submitted, data: {domain: catering, site: canteen-1, category: hygiene, text: x}}\n"
    "  - expect_issue: {rule: w.complaint, opened_at: 2026-09-30T16:00:00+08:00,\n"
    "                   deadline_at: 2026-10-10T17:30:00+08:00}\n"
    "  - at: 2026-10-08T08:29:00+08:00\n"
    "  - expect_no_outbox: {kind: reminder}\n"
    "  - advance: 1m\n"
    "  - expect_outbox: {kind: reminder, at: 2026-10-08T08:30:00+08:00}\n"
    "  - at: 2026-10-10T17:30:00+08:00\n"
    "  - expect_outbox: {kind: overdue, at: 2026-10-10T17:30:00+08:00}\n"
    "  - at: 2026-10-12T15:59:00+08:00\n"
    "  - expect_issue: {rule: w.complaint, level: 1}\n"
    "  - advance: 1m\n"
    "  - expect_outbox: {kind: escalated, level: 2, at: 2026-10-12T16:00:00+08:00}\n"
    "  - advance: 1h\n"
    "  - act: {type: issue.rectified, issue: $1, actor: contact.xinyuan, evidence: 已整改}\n"
    "  - at: 2026-10-13T17:29:00+08:00\n"
    "  - expect_issue: {rule: w.complaint, timeline: [opened, reminder, overdue, reminder, penalty, escalated, rectified]}\n"
    "  - advance: 1m\n"
    "  - expect_outbox: {kind: reminder, at: 2026-10-13T17:30:00+08:00, text_contains: 待复查}\n";

static void test_rule_test_end_to_end(void **state)
{
    (void)state;
    char *tmp = hq_test_tmpdir();
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/rules", tmp);
    hq_rt_rules_dir(dir, wt_rules);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    hq_rt_load(dir, &schemas, &rules);
    snprintf(path, sizeof path, "%s/wt.test.yaml", tmp);
    hq_test_write_file(path, wt_test, strlen(wt_test));
    hq_diags d;
    hq_diags_init(&d);
    hq_ruletests *t = NULL;
    char b[1024];
    if (hq_ruletests_load(path, schemas, rules, &t, &d) != 0)
        fail_msg("load: %s", d.count ? hq_err_str(&d.items[0], b, sizeof b) : "?");
    hq_rt_result res;
    hq_err err = {0};
    hq_ruletest_opts o = {.scratch_dir = tmp};
    assert_int_equal(hq_ruletests_run(t, 0, &o, &res, &d, &err), 0);
    if (res != HQ_RT_PASS)
        fail_msg("%s: %s", hq_rt_result_name(res), d.count ? hq_err_str(&d.items[0], b, sizeof b) : "?");
    hq_ruletests_destroy(&t);
    hq_diags_fini(&d);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    hq_test_rmtree(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekend),          cmocka_unit_test(test_public_holiday),
        cmocka_unit_test(test_makeup_days),      cmocka_unit_test(test_edges_of_the_day),
        cmocka_unit_test(test_grammar),          cmocka_unit_test(test_yaml_message),
        cmocka_unit_test(test_format),           cmocka_unit_test(test_rule_test_end_to_end),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
