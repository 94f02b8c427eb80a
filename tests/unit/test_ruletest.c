/* test_ruletest.c - rule tests (lib/ruletest.c, lib/ruletest_run.c), as a
 * specification of the format in rules/README-tests.md.
 *
 * Each test writes a rules directory (the shipped registry files plus the
 * two small rules below) and test files into a temporary directory, loads
 * and runs them in-process, and checks the results and the exact
 * diagnostics: file:line: for failures, file:line:column: for errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clock.h"
#include "hq_test.h"
#include "rt_fixture.h"
#include "ruletest.h"

typedef struct fixture {
    char *tmp;
    char rules_dir[4096];
    hq_schemas *schemas;
    hq_rules *rules;
    hq_ruletests *t;
    hq_diags d;
    char path[4096];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->tmp = hq_test_tmpdir();
    snprintf(f->rules_dir, sizeof f->rules_dir, "%s/rules", f->tmp);
    hq_rt_rules_dir(f->rules_dir, hq_rt_test_rules);
    hq_rt_load(f->rules_dir, &f->schemas, &f->rules);
    hq_diags_init(&f->d);
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hq_ruletests_destroy(&f->t);
    hq_rules_destroy(&f->rules);
    hq_schemas_destroy(&f->schemas);
    hq_diags_fini(&f->d);
    hq_test_rmtree(f->tmp);
    free(f->tmp);
    free(f);
    return 0;
}

/* Writes text as tmp/name and loads it; returns the load's result. */
static int load(fixture *f, const char *name, const char *text)
{
    snprintf(f->path, sizeof f->path, "%s/%s", f->tmp, name);
    hq_test_write_file(f->path, text, strlen(text));
    hq_ruletests_destroy(&f->t);
    hq_diags_fini(&f->d);
    hq_diags_init(&f->d);
    return hq_ruletests_load(f->path, f->schemas, f->rules, &f->t, &f->d);
}

static void load_ok(fixture *f, const char *text)
{
    if (load(f, "t.test.yaml", text) != 0) {
        char b[1024];
        fail_msg("load: %s", f->d.count ? hq_err_str(&f->d.items[0], b, sizeof b) : "?");
    }
}

/* Runs test i; returns the result, with the diagnostics in f->d. */
static hq_rt_result run(fixture *f, size_t i)
{
    hq_diags_fini(&f->d);
    hq_diags_init(&f->d);
    hq_rt_result res;
    hq_err err = {0};
    hq_ruletest_opts o = {.scratch_dir = f->tmp};
    if (hq_ruletests_run(f->t, i, &o, &res, &f->d, &err) != 0)
        fail_msg("run: %s", err.msg);
    return res;
}

/* The diagnostics, one per line. */
static char *diags_text(const hq_diags *d)
{
    hq_buf b;
    hq_buf_init(&b);
    for (size_t i = 0; i < d->count; i++) {
        char line[1200];
        hq_buf_printf(&b, "%s\n", hq_err_str(&d->items[i], line, sizeof line));
    }
    char *s = hq_buf_steal(&b);
    return s ? s : strdup("");
}

/* Checks that the diagnostics are exactly the lines in want, with "@"
 * standing for the test file's path. */
static void diags_are(fixture *f, const char *want)
{
    hq_buf w;
    hq_buf_init(&w);
    for (const char *p = want; *p; p++) {
        if (*p == '@')
            hq_buf_puts(&w, f->path);
        else
            hq_buf_putc(&w, *p);
    }
    const char *wd = w.data ? w.data : "";
    char *got = diags_text(&f->d);
    if (strcmp(got, wd) != 0)
        fail_msg("diagnostics:\n%s\nwanted:\n%s", got, wd);
    free(got);
    hq_buf_fini(&w);
}

#define COLD(v) "{type: sensor.reading, source: gw, data: {sensor: cs-001, kind: cold_storage_temp, value: " #v ", unit: C, site: canteen-1}}"
#define HOT(v) "{type: sensor.reading, source: gw, data: {sensor: hw-1, kind: hot_water_temp, value: " #v ", unit: C, site: dorm-3}}"

/* ---- times ---- */

static void times_parse_in_every_form(void **state)
{
    (void)state;
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);
    int64_t a, b;
    assert_int_equal(hq_rt_parse_time("2026-09-01T00:00:00Z", &a), 0);
    assert_int_equal(a, 1788220800000LL);
    const char *same[] = {"2026-09-01T08:00:00+08:00", "2026-09-01T08:00+08:00", "2026-09-01 08:00",
                          "2026-09-01T08:00:00.000+0800", "2026-08-31T19:00:00-05:00", "2026-09-01T08:00:00"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        assert_int_equal(hq_rt_parse_time(same[i], &b), 0);
        assert_int_equal(b, a);
    }
    assert_int_equal(hq_rt_parse_time("2026-09-01", &b), 0); /* local midnight */
    assert_int_equal(b, a - 8 * 3600000LL);
    assert_int_equal(hq_rt_parse_time("2026-09-01T08:00:00.25+08:00", &b), 0);
    assert_int_equal(b, a + 250);
    const char *bad[] = {"", "yesterday", "2026-02-30", "2026-13-01", "2026-09-01T24:00", "2026-09-01T08",
                         "2026-09-01T08:00+8", "2026-09-01T08:00:00.+08:00", "2026-09-01T08:00:00+08:00x", "26-09-01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (hq_rt_parse_time(bad[i], &b) == 0)
            fail_msg("\"%s\" parsed", bad[i]);
    char buf[64];
    hq_rt_format_time(a, buf, sizeof buf);
    assert_string_equal(buf, "2026-09-01T08:00:00+08:00");
    hq_rt_format_time(a + 5, buf, sizeof buf);
    assert_string_equal(buf, "2026-09-01T08:00:00.005+08:00");
}

/* ---- running ---- */

static void a_passing_test_passes(void **state)
{
    fixture *f = *state;
    load_ok(f, "# comment\n"
               "name: sustained 30 minutes opens one issue\n"
               "start: 2026-09-01T08:00:00+08:00\n"
               "steps:\n"
               "  - event: " COLD(9.5) "\n"
               "  - advance: 29m\n"
               "  - expect_issues: 0\n"
               "  - advance: 2m\n"
               "  - expect_issues: 1\n"
               "  - expect_issue: {number: $1, rule: t.cold, key: cs-001, state: opened, severity: medium,\n"
               "                  level: 1, site: canteen-1, contractor: xinyuan-catering, title: cold cs-001,\n"
               "                  opened_at: 2026-09-01T08:30:00+08:00, deadline_at: 2026-09-01T12:30+08:00,\n"
               "                  overdue: false, accountability: false, occurrences: 1, penalties: 0,\n"
               "                  penalty_total: 0, timeline: [opened], timeline_contains: [opened]}\n"
               "  - expect_outbox: {issue: $last, kind: opened, level: 1, at: 2026-09-01T08:30:00+08:00,\n"
               "                   roles: [contractor_contact, supervisor, centre_head, section_head],\n"
               "                   roles_include: [section_head], rule: t.cold, count: 1}\n"
               "  - expect_no_outbox: {kind: overdue}\n"
               "  - at: 2026-09-01T12:30:00+08:00\n"
               "  - expect_issue: {number: $last:t.cold, overdue: true, timeline: [opened, overdue]}\n"
               "  - expect_outbox: {kind: overdue, at: 2026-09-01T12:30:00+08:00}\n");
    assert_int_equal(hq_ruletests_count(f->t), 1);
    assert_string_equal(hq_ruletests_name(f->t, 0), "sustained 30 minutes opens one issue");
    assert_int_equal(hq_ruletests_line(f->t, 0), 2);
    assert_int_equal(run(f, 0), HQ_RT_PASS);
    diags_are(f, "");
}

static void failures_name_the_step_line(void **state)
{
    fixture *f = *state;
    load_ok(f, "name: wrong expectations\n"
               "start: 2026-09-01T08:00:00+08:00\n"
               "steps:\n"
               "  - event: " HOT(60) "\n"
               "  - expect_issue: {rule: t.hot, severity: critical, level: 2}\n"
               "  - expect_issues: {rule: t.hot, count: 2}\n"
               "  - expect_no_issue: {key: hw-1}\n"
               "  - expect_outbox: {kind: overdue}\n"
               "  - expect_outbox: {kind: opened, count: 3}\n"
               "  - expect_issue: {rule: t.cold}\n"
               "  - expect_issue: {number: $1, state: closed}\n");
    assert_int_equal(run(f, 0), HQ_RT_FAIL);
    diags_are(f, "@:5: expect_issue: expected severity critical, got high; expected level 2, got 1 "
                 "(HQ-2026-000001, the closest of 1 issue)\n"
                 "@:6: expect_issues: expected 2 issues (rule=t.hot), got 1: HQ-2026-000001 (t.hot hw-1, opened, "
                 "high, level 1)\n"
                 "@:7: expect_no_issue: expected no issue with key=hw-1, got 1: HQ-2026-000001 (t.hot hw-1, opened, "
                 "high, level 1)\n"
                 "@:8: expect_outbox: expected kind overdue, got opened (#1 opened HQ-2026-000001 level 1 at "
                 "2026-09-01T08:00:00+08:00, the closest of 1 record)\n"
                 "@:9: expect_outbox: expected 3 records with kind=opened, got 1: #1 opened HQ-2026-000001 level 1 "
                 "at 2026-09-01T08:00:00+08:00\n"
                 "@:10: expect_issue: expected rule \"t.cold\", got \"t.hot\" (HQ-2026-000001, the closest of 1 "
                 "issue)\n"
                 "@:11: expect_issue: expected state closed, got opened (HQ-2026-000001, the closest of 1 issue)\n");
}

static void nothing_at_all_is_reported_plainly(void **state)
{
    fixture *f = *state;
    load_ok(f, "name: empty\n"
               "start: 2026-09-01T08:00:00+08:00\n"
               "steps:\n"
               "  - expect_issue: {rule: t.hot}\n"
               "  - expect_outbox: {kind: opened}\n"
               "  - expect_issues: 0\n");
    assert_int_equal(run(f, 0), HQ_RT_FAIL);
    diags_are(f, "@:4: expect_issue: expected an issue with rule=t.hot, got no issues\n"
                 "@:5: expect_outbox: expected a record with kind=opened, got an empty outbox\n");
}

static void lifecycle_acts_and_rejections(void **state)
{
    fixture *f = *state;
    load_ok(f, "name: lifecycle\n"
               "start: 2026-09-01T08:00:00+08:00\n"
               "steps:\n"
               "  - event: " HOT(60) "\n"
               "  - act: {type: issue.acknowledged, issue: $last}\n"
               "  - act: {type: issue.rectified, issue: $1:t.hot, actor: contact.xinyuan, evidence: done}\n"
               "  - expect_issue: {number: $1, state: rectified, timeline: [opened, acknowledged, rectified]}\n"
               "  - expect_rejected: {act: {type: issue.acknowledged, issue: $1}, error_contains: rectified}\n"
               "  - expect_rejected:\n"
               "      event: {type: sensor.reading, data: {sensor: x, kind: cold_storage_temp, value: hot, unit: C,\n"
               "              site: canteen-1}}\n"
               "      error_contains: \"data.value: expected a number\"\n"
               "  - expect_rejected: {event: {type: no.such.type, data: {}}, error_contains: type}\n"
               "  - expect_rejected: {act: {type: issue.comment, issue: HQ-2026-999999, text: x},\n"
               "                     error_contains: no issue HQ-2026-999999}\n"
               "  - act: {type: issue.rechecked, issue: $1, result: pass}\n"
               "  - expect_issue: {number: $1, state: closed, closed_at: 2026-09-01T08:00:00+08:00}\n"
               "  - expect_rejected: {act: {type: issue.acknowledged, issue: $1}, error_contains: zzz}\n"
               "  - expect_rejected: {event: " HOT(70) "}\n"
               "  - act: {type: issue.rectified, issue: $1, evidence: again}\n"
               "  - expect_issues: 5\n");
    assert_int_equal(run(f, 0), HQ_RT_FAIL);
    char *got = diags_text(&f->d);
    /* the refused comment does not contain zzz; the event is accepted (a
     * new issue); the last act is refused, which ends the test */
    char want[4][300];
    snprintf(want[0], sizeof want[0], "%s:18: expect_rejected: expected an error containing \"zzz\", got \"", f->path);
    snprintf(want[1], sizeof want[1], "%s:19: expect_rejected: expected the sensor.reading event to be rejected, "
             "got stored as seq ", f->path);
    snprintf(want[2], sizeof want[2], "%s:20: act: expected the issue.rectified event to be accepted, got refused: ",
             f->path);
    for (int i = 0; i < 3; i++)
        if (!strstr(got, want[i]))
            fail_msg("no \"%s\" in:\n%s", want[i], got);
    assert_null(strstr(got, ":21:"));
    assert_int_equal(f->d.count, 3);
    free(got);
}

static void references_that_do_not_resolve_are_errors(void **state)
{
    fixture *f = *state;
    load_ok(f, "tests:\n"
               "  - name: third of one\n"
               "    start: 2026-09-01T08:00:00+08:00\n"
               "    steps:\n"
               "      - event: " HOT(60) "\n"
               "      - expect_issue: {number: $3}\n"
               "      - expect_issues: 7\n"
               "  - name: last of a rule that opened none\n"
               "    start: 2026-09-01T08:00:00+08:00\n"
               "    steps:\n"
               "      - event: " HOT(60) "\n"
               "      - act: {type: issue.acknowledged, issue: $last:t.cold}\n"
               "  - name: a number never opened\n"
               "    start: 2026-09-01T08:00:00+08:00\n"
               "    steps:\n"
               "      - expect_outbox: {issue: HQ-2026-000042}\n");
    assert_int_equal(hq_ruletests_count(f->t), 3);
    assert_int_equal(run(f, 0), HQ_RT_ERROR);
    diags_are(f, "@:6:32: expect_issue: $3: 1 issue opened so far in this test\n");
    assert_int_equal(run(f, 1), HQ_RT_ERROR);
    diags_are(f, "@:12:48: act: $last:t.cold: rule t.cold has opened 0 issues so far in this test\n");
    assert_int_equal(run(f, 2), HQ_RT_ERROR);
    diags_are(f, "@:16:32: expect_outbox: no issue HQ-2026-000042 in this test (0 opened)\n");
}

static void events_take_the_clock_or_their_own_ts(void **state)
{
    fixture *f = *state;
    /* A reading 40 minutes old: the sustained condition is timed from its
     * ts, and the timer, due in the past, fires at once (late), as in
     * houqind.  The same event again is a duplicate (not an error); the
     * same id with other content is rejected. */
    load_ok(f, "name: ts\n"
               "start: 2026-09-01T08:00:00+08:00\n"
               "steps:\n"
               "  - advance: 1h\n"
               "  - event: {type: sensor.reading, id: r1, source: gw, ts: 2026-09-01T08:20:00+08:00,\n"
               "            data: {sensor: cs-001, kind: cold_storage_temp, value: 9, unit: C, site: canteen-1}}\n"
               "  - expect_issue: {rule: t.cold, opened_at: 2026-09-01T09:00:00+08:00}\n"
               "  - event: {type: sensor.reading, id: r1, source: gw, ts: 2026-09-01T08:20:00+08:00,\n"
               "            data: {sensor: cs-001, kind: cold_storage_temp, value: 9, unit: C, site: canteen-1}}\n"
               "  - expect_rejected: {event: {type: sensor.reading, id: r1, source: gw, ts: 1,\n"
               "            data: {sensor: cs-001, kind: cold_storage_temp, value: 9, unit: C, site: canteen-1}},\n"
               "            error_contains: id reused}\n");
    hq_rt_result res = run(f, 0);
    diags_are(f, "");
    assert_int_equal(res, HQ_RT_PASS);
}

/* ---- loading ---- */

static void every_problem_is_reported_with_its_position(void **state)
{
    fixture *f = *state;
    assert_int_equal(load(f, "bad.test.yaml",
                          "name: bad\n"
                          "start: 2026-09-01T08:00:00+08:00\n"
                          "colour: red\n"
                          "steps:\n"
                          "  - event: {type: sensor.reading, data: {sensor: s, kind: cold_storage_temp, value: 1, unit: C}}\n"
                          "  - event: {type: sensor.readin}\n"
                          "  - act: {type: sensor.reading}\n"
                          "  - advance: soon\n"
                          "  - at: 2026-08-01T00:00:00+08:00\n"
                          "  - expect_issue: {rule: t.nope, sate: x, severity: dire, state: shut}\n"
                          "  - expect_issues: {rule: t.hot}\n"
                          "  - expect_outbox: {kind: opend, roles: [boss]}\n"
                          "  - expect_issue: {timeline_contains: [opend], level: high, overdue: maybe}\n"
                          "  - expect_issue: {number: last}\n"
                          "  - expect_no_issue: {count: 1}\n"
                          "  - expect_rejected: {error_contains: x}\n"
                          "  - act: {type: issue.comment, issue: $last:t.none, text: x}\n"
                          "  - wait: 5m\n"
                          "  - {advance: 1m, at: 2026-09-02}\n"),
                     HQ_EINVAL);
    diags_are(f,
              "@:3:1: unknown key \"colour\" (expected one of: name, description, start, steps)\n"
              "@:5:41: sensor.reading event: data.site: missing required field\n"
              "@:6:19: unknown event type \"sensor.readin\" (no schema of that name)\n"
              "@:7:17: act is for lifecycle events (issue.*), got \"sensor.reading\"; use event\n"
              "@:8:14: expected a duration like 30m, 48h or 7d, got \"soon\"\n"
              "@:9:9: at: the clock cannot go back: it is 2026-09-01T08:00:00+08:00 here, "
              "2026-08-01T00:00:00+08:00 is earlier\n"
              "@:10:26: unknown rule \"t.nope\" (not in the rules under test)\n"
              "@:10:34: expect_issue: unknown field \"sate\" (expected one of: number, rule, key, state, domain, "
              "contractor, site, category, owner, severity, title, title_contains, description_contains, level, overdue, "
              "accountability, occurrences, opened_at, closed_at, deadline_at, penalty_total, penalties, "
              "timeline_contains, timeline)\n"
              "@:10:53: severity: expected low, medium, high or critical, got \"dire\"\n"
              "@:10:66: state: expected opened, acknowledged, rectified, reopened, closed or open (any but closed), "
              "got \"shut\"\n"
              "@:11:20: expect_issues: missing required key \"count\" (or write expect_issues: N)\n"
              "@:12:27: kind: unknown outbox kind \"opend\" (expected one of: opened, reminder, overdue, escalated, "
              "accountability, penalty, reopened, closed, rectified, feedback, unsolved)\n"
              "@:12:42: unknown role \"boss\"\n"
              "@:13:40: unknown timeline word \"opend\" (expected one of: opened, acknowledged, rectified, reopened, "
              "closed, overdue, escalated, accountability, penalty, reminder, occurrence, comment, recurrence, "
              "opinion, missed-while-down, late, missed, data_resumed, satisfied, unsolved, moderated, merged)\n"
              "@:13:55: expected an integer, got \"high\"\n"
              "@:13:70: expected true or false, got \"maybe\"\n"
              "@:14:28: number: expected $last, $N (the Nth issue opened in this test), either of them with :RULE, "
              "or a number like HQ-2026-000001, got \"last\"\n"
              "@:15:23: expect_no_issue: unknown field \"count\" (expected one of: number, rule, key, state, domain, "
              "contractor, site, category, owner, severity, title, title_contains, description_contains, level, overdue, "
              "accountability, occurrences, opened_at, closed_at, deadline_at, penalty_total, penalties, "
              "timeline_contains, timeline)\n"
              "@:16:22: expect_rejected: give the refused event as either event or act\n"
              "@:17:39: issue: unknown rule \"t.none\" (not in the rules under test)\n"
              "@:18:5: unknown step \"wait\" (expected one of: event, act, advance, at, expect_issues, expect_issue, "
              "expect_no_issue, expect_outbox, expect_no_outbox, expect_rejected)\n"
              "@:19:5: a step is a mapping with one key, one of: event, act, advance, at, expect_issues, "
              "expect_issue, expect_no_issue, expect_outbox, expect_no_outbox, expect_rejected\n");
    assert_null(f->t);
}

static void file_level_problems(void **state)
{
    fixture *f = *state;
    assert_int_equal(load(f, "a.test.yaml", "- just a list\n"), HQ_EINVAL);
    diags_are(f, "@:1:1: a test file is a mapping: name, start and steps of one test, or tests: a list of them\n");
    assert_int_equal(load(f, "b.test.yaml", "tests: []\n"), HQ_EINVAL);
    diags_are(f, "@:1:8: tests: expected a list of tests (each with name, start and steps)\n");
    assert_int_equal(load(f, "c.test.yaml",
                          "tests:\n"
                          "  - {name: one, start: 2026-09-01, steps: [{advance: 1m}]}\n"
                          "  - {name: one, start: 2026-09-01, steps: [{advance: 1m}]}\n"
                          "  - {name: two, steps: [{advance: 1m}]}\n"
                          "  - {name: three, start: 2026-09-01, steps: []}\n"),
                     HQ_EINVAL);
    diags_are(f, "@:4:5: missing required key \"start\"\n"
                 "@:5:45: steps: expected a list of steps\n");
    assert_int_equal(load(f, "d.test.yaml",
                          "tests:\n"
                          "  - {name: one, start: 2026-09-01, steps: [{advance: 1m}]}\n"
                          "  - {name: one, start: 2026-09-01, steps: [{advance: 1m}]}\n"),
                     HQ_EINVAL);
    diags_are(f, "@:3: a second test named \"one\" (the first is at line 2)\n");
    assert_int_equal(load(f, "e.test.yaml", "name: [x\n"), HQ_EINVAL);
    assert_int_equal(f->d.count, 1);
    assert_non_null(strstr(f->d.items[0].file, "e.test.yaml"));
    snprintf(f->path, sizeof f->path, "%s/missing.test.yaml", f->tmp);
    hq_diags_fini(&f->d);
    hq_diags_init(&f->d);
    assert_int_not_equal(hq_ruletests_load(f->path, f->schemas, f->rules, &f->t, &f->d), 0);
    assert_int_equal(f->d.count, 1);
}

static void plain_scalars_follow_the_schema(void **state)
{
    fixture *f = *state;
    /* sensor 007 stays "007" (a string field), value 60 is a number,
     * a quoted "60" is a string and is refused. */
    load_ok(f, "name: types\n"
               "start: 2026-09-01T08:00:00+08:00\n"
               "steps:\n"
               "  - event: {type: sensor.reading, data: {sensor: 007, kind: hot_water_temp, value: 60, unit: C,\n"
               "            site: dorm-3}}\n"
               "  - expect_issue: {rule: t.hot, key: \"007\", title: hot 007 60}\n"
               "  - expect_rejected: {event: {type: sensor.reading, data: {sensor: a, kind: hot_water_temp,\n"
               "            value: \"60\", unit: C, site: dorm-3}}, error_contains: data.value}\n");
    assert_int_equal(run(f, 0), HQ_RT_PASS);
    diags_are(f, "");
}

static void collect(void *ctx, const char *file, int line, const char *what)
{
    hq_buf_printf(ctx, "%d: %s\n", line, what);
}

static void trace_sees_every_step(void **state)
{
    fixture *f = *state;
    load_ok(f, "name: trace\n"
               "start: 2026-09-01T08:00:00+08:00\n"
               "steps:\n"
               "  - event: " COLD(9) "\n"
               "  - advance: 1h30m\n"
               "  - expect_issues: 1\n"
               "  - at: 2026-09-01T12:30:00+08:00\n"
               "  - expect_outbox: {kind: overdue}\n");
    hq_buf b;
    hq_buf_init(&b);
    hq_ruletest_opts o = {.scratch_dir = f->tmp, .trace = collect, .ctx = &b};
    hq_rt_result res;
    hq_err err = {0};
    assert_int_equal(hq_ruletests_run(f->t, 0, &o, &res, &f->d, &err), 0);
    assert_int_equal(res, HQ_RT_PASS);
    assert_string_equal(b.data, "4: event sensor.reading: stored as seq 1\n"
                                "5: advance 1h30m: now 2026-09-01T09:30:00+08:00, 1 timer fired\n"
                                "6: expect_issues: 1, ok\n"
                                "7: at 2026-09-01T12:30:00+08:00: 1 timer fired\n"
                                "8: expect_outbox: ok: #2 overdue HQ-2026-000001 level 1 at 2026-09-01T12:30:00+08:00\n");
    hq_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(times_parse_in_every_form),
        cmocka_unit_test_setup_teardown(a_passing_test_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_name_the_step_line, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_at_all_is_reported_plainly, setup, teardown),
        cmocka_unit_test_setup_teardown(lifecycle_acts_and_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(references_that_do_not_resolve_are_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(events_take_the_clock_or_their_own_ts, setup, teardown),
        cmocka_unit_test_setup_teardown(every_problem_is_reported_with_its_position, setup, teardown),
        cmocka_unit_test_setup_teardown(file_level_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(plain_scalars_follow_the_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(trace_sees_every_step, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
