/* test_schedule.c - calendar-aware schedules (lib/schedule.c), as a
 * specification (issue 4 items 2 and 3, "Bad input").
 *
 * Slots are checked against instants computed here, independently of the
 * library (Asia/Shanghai is UTC+8 all year):
 * - daily: one deadline, several deadlines a day (windows from 00:00, then
 *   from the previous deadline), "24:00";
 * - weekly: the window starts on Monday 00:00;
 * - interval: every 2h between 06:00 and 22:00, without between, 90m;
 * - days: workdays with a holiday, a make-up Sunday and a make-up Saturday;
 * - suspend: holidays, vacations, both, for daily and weekly schedules;
 * - overrides per period: twice a day in opening season, an hourly
 *   interval during an event, a weekly override, one slot per week even
 *   when a period starts mid-week, overlapping periods;
 * - DST (Europe/Berlin): "by 02:30" on the spring-forward day, the 25-hour
 *   day, hourly slots that tile the day;
 * - load errors with file:line:column: a slot that ends before it starts,
 *   an unknown period, two deadlines in the same slot, bad times and
 *   intervals, unknown keys and values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"

#include "calendar.h"
#include "clock.h"
#include "schedule.h"
#include "ytree.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

static int64_t utc_ms(int y, int m, int d, int hh, int mm)
{
    int a = (14 - m) / 12, yy = y + 4800 - a, mmm = m + 12 * a - 3;
    long jdn = d + (153 * mmm + 2) / 5 + 365L * yy + yy / 4 - yy / 100 + yy / 400 - 32045;
    long days = jdn - 2440588;
    return ((int64_t)days * 86400 + hh * 3600 + mm * 60) * 1000;
}

/* A local time in Asia/Shanghai (UTC+8, no DST). */
static int64_t SH(int y, int m, int d, int hh, int mm)
{
    return utc_ms(y, m, d, hh, mm) - 8 * HOUR_MS;
}

static int set_shanghai(void **state)
{
    (void)state;
    return hq_tz_set("Asia/Shanghai") == 0 ? 0 : -1;
}

static int reset_zone(void **state)
{
    (void)state;
    return hq_tz_set("Asia/Shanghai") == 0 ? 0 : -1;
}

/* ---- the calendar and schedules from YAML ---- */

static const char CAL[] =
    "calendar:\n"
    "  holidays:\n"
    "    - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}\n"
    "  workdays: [2026-09-27, 2026-10-10]\n"
    "  terms: [{name: 2026-autumn, from: 2026-09-07, to: 2027-01-17}]\n"
    "  vacations: [{name: 寒假, from: 2027-01-18, to: 2027-02-21}]\n"
    "  periods:\n"
    "    - {name: opening, title: 开学季, from: 2026-08-31, to: 2026-09-13}\n"
    "    - {name: expo, title: 校庆, from: 2026-10-20, to: 2026-10-22}\n"
    "    - {name: midweek, from: 2026-11-12, to: 2026-11-15}\n"
    "    - {name: festival, from: 2026-09-10, to: 2026-09-20}\n";

static hq_calendar *the_cal(void)
{
    hq_ydoc *doc = NULL;
    hq_err err = {0};
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(hq_ydoc_load_buf("cal.yaml", CAL, strlen(CAL), NULL, &doc, &err), 0);
    hq_calendar *c = hq_calendar_parse(doc, hq_ymap_get(doc->root, "calendar"), &d);
    if (d.count) {
        char buf[1024];
        fail_msg("calendar: %s", hq_err_str(&d.items[0], buf, sizeof buf));
    }
    assert_non_null(c);
    hq_diags_fini(&d);
    hq_ydoc_destroy(&doc);
    return c;
}

typedef struct parsed {
    hq_ydoc *doc;
    hq_diags diags;
    hq_schedule *s;
} parsed;

static void parse_text(parsed *p, const char *text, const hq_calendar *cal)
{
    hq_err err = {0};
    memset(p, 0, sizeof *p);
    hq_diags_init(&p->diags);
    if (hq_ydoc_load_buf("s.yaml", text, strlen(text), NULL, &p->doc, &err) != 0)
        fail_msg("the YAML itself is bad: %s", err.msg);
    p->s = hq_schedule_parse(p->doc, hq_ymap_get(p->doc->root, "schedule"), cal, &p->diags);
}

static void parsed_fini(parsed *p)
{
    hq_schedule_destroy(&p->s);
    hq_diags_fini(&p->diags);
    hq_ydoc_destroy(&p->doc);
}

static hq_schedule *sched_ok(const char *text, const hq_calendar *cal)
{
    parsed p;
    parse_text(&p, text, cal);
    if (p.diags.count) {
        char buf[1024];
        fail_msg("schedule refused: %s", hq_err_str(&p.diags.items[0], buf, sizeof buf));
    }
    assert_non_null(p.s);
    hq_schedule *s = p.s;
    p.s = NULL;
    parsed_fini(&p);
    return s;
}

/* Refused with exactly these diagnostics (NULL-terminated). */
static void sched_errors(const char *text, ...)
{
    hq_calendar *cal = the_cal();
    parsed p;
    parse_text(&p, text, cal);
    va_list ap;
    va_start(ap, text);
    size_t i = 0;
    const char *want;
    char buf[1024];
    while ((want = va_arg(ap, const char *))) {
        if (i >= p.diags.count)
            fail_msg("expected diagnostic %zu: %s; got only %zu", i + 1, want, p.diags.count);
        hq_err_str(&p.diags.items[i], buf, sizeof buf);
        if (strcmp(buf, want) != 0)
            fail_msg("diagnostic %zu:\n  got:  %s\n  want: %s", i + 1, buf, want);
        i++;
    }
    va_end(ap);
    if (p.diags.count != i)
        fail_msg("%zu diagnostics, expected %zu; the next: %s", p.diags.count, i,
                 hq_err_str(&p.diags.items[i], buf, sizeof buf));
    assert_null(p.s);
    parsed_fini(&p);
    hq_calendar_destroy(&cal);
}

/* Refused; the first diagnostic is want (more may follow). */
static void sched_error_first(const char *text, const char *want)
{
    hq_calendar *cal = the_cal();
    parsed p;
    parse_text(&p, text, cal);
    char buf[1024];
    if (p.diags.count == 0)
        fail_msg("accepted; expected: %s", want);
    hq_err_str(&p.diags.items[0], buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("diagnostic 1:\n  got:  %s\n  want: %s", buf, want);
    assert_null(p.s);
    parsed_fini(&p);
    hq_calendar_destroy(&cal);
}

/* Refused with exactly one diagnostic, at pos ("s.yaml:4:3: "), whose
 * text contains each of the words (NULL-terminated): for checks whose exact
 * wording is the implementation's to choose. */
static void sched_error_at(const char *text, const char *pos, ...)
{
    hq_calendar *cal = the_cal();
    parsed p;
    parse_text(&p, text, cal);
    char buf[1024];
    if (p.diags.count != 1)
        fail_msg("%zu diagnostics, expected one at %s%s%s", p.diags.count, pos, p.diags.count ? "; the first: " : "",
                 p.diags.count ? hq_err_str(&p.diags.items[0], buf, sizeof buf) : "");
    hq_err_str(&p.diags.items[0], buf, sizeof buf);
    if (strncmp(buf, pos, strlen(pos)) != 0)
        fail_msg("the diagnostic is not at %s: %s", pos, buf);
    va_list ap;
    va_start(ap, pos);
    const char *w;
    while ((w = va_arg(ap, const char *)))
        if (!strstr(buf + strlen(pos), w))
            fail_msg("the diagnostic does not say \"%s\": %s", w, buf);
    va_end(ap);
    assert_null(p.s);
    parsed_fini(&p);
    hq_calendar_destroy(&cal);
}

/* ---- slots ---- */

#define MAX_SLOTS 512

typedef struct slots {
    hq_slot v[MAX_SLOTS];
    size_t n;
    size_t stop_after; /* 0: never stop */
} slots;

static int collect_one(void *ctx, const hq_slot *slot)
{
    slots *s = ctx;
    assert_true(s->n < MAX_SLOTS);
    s->v[s->n++] = *slot;
    return s->stop_after && s->n >= s->stop_after;
}

static slots *collect(const hq_schedule *s, const hq_calendar *cal, int64_t from, int64_t to)
{
    slots *out = calloc(1, sizeof *out);
    assert_non_null(out);
    hq_schedule_slots(s, cal, from, to, collect_one, out);
    return out;
}

static void print_slots(const slots *got)
{
    for (size_t i = 0; i < got->n; i++) {
        char a[32], b[32];
        hq_local_fmt(got->v[i].start_ms, a, sizeof a);
        hq_local_fmt(got->v[i].due_ms, b, sizeof b);
        print_message("  slot %zu: [%s, %s]\n", i, a, b);
    }
}

/* want: pairs (start, due), n of them. */
static void expect_slots(const slots *got, const int64_t *want, size_t n)
{
    bool ok = got->n == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = got->v[i].start_ms == want[2 * i] && got->v[i].due_ms == want[2 * i + 1];
    if (!ok) {
        print_message("got %zu slots:\n", got->n);
        print_slots(got);
        print_message("wanted %zu:\n", n);
        for (size_t i = 0; i < n; i++) {
            char a[32], b[32];
            hq_local_fmt(want[2 * i], a, sizeof a);
            hq_local_fmt(want[2 * i + 1], b, sizeof b);
            print_message("  slot %zu: [%s, %s]\n", i, a, b);
        }
        fail_msg("slots differ");
    }
}

/* The due days (yyyymmdd, local) of the slots. */
static void expect_due_days(const slots *got, const int *want, size_t n)
{
    bool ok = got->n == n;
    for (size_t i = 0; ok && i < n; i++) {
        int y, m, d;
        hq_day_to_civil(hq_local_day(got->v[i].due_ms), &y, &m, &d);
        ok = y * 10000 + m * 100 + d == want[i];
    }
    if (!ok) {
        print_message("got %zu slots:\n", got->n);
        print_slots(got);
        print_message("wanted due days:");
        for (size_t i = 0; i < n; i++)
            print_message(" %d", want[i]);
        print_message("\n");
        fail_msg("due days differ");
    }
}

static void test_daily_one_deadline(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    static const char *const forms[] = {"schedule: {every: day, by: \"18:00\"}\n",
                                        "schedule:\n  every: day\n  by: [\"18:00\"]\n"};
    for (size_t f = 0; f < 2; f++) {
        hq_schedule *s = sched_ok(forms[f], cal);
        assert_string_equal(hq_schedule_describe(s), "daily by 18:00");
        slots *got = collect(s, cal, SH(2026, 11, 2, 0, 0), SH(2026, 11, 5, 0, 0));
        int64_t want[] = {SH(2026, 11, 2, 0, 0), SH(2026, 11, 2, 18, 0), SH(2026, 11, 3, 0, 0),
                          SH(2026, 11, 3, 18, 0), SH(2026, 11, 4, 0, 0), SH(2026, 11, 4, 18, 0)};
        expect_slots(got, want, 3);
        free(got);
        /* [from, to): a deadline at from is in, one at to is out */
        got = collect(s, cal, SH(2026, 11, 2, 18, 0), SH(2026, 11, 4, 18, 0));
        int64_t want2[] = {SH(2026, 11, 2, 0, 0), SH(2026, 11, 2, 18, 0), SH(2026, 11, 3, 0, 0),
                           SH(2026, 11, 3, 18, 0)};
        expect_slots(got, want2, 2);
        free(got);
        /* an empty range, a range inside one window */
        got = collect(s, cal, SH(2026, 11, 2, 18, 1), SH(2026, 11, 3, 17, 59));
        assert_int_equal(got->n, 0);
        free(got);
        /* across a month end and a year end (no calendar entries there) */
        got = collect(s, cal, SH(2026, 12, 31, 12, 0), SH(2027, 1, 2, 12, 0));
        int64_t want3[] = {SH(2026, 12, 31, 0, 0), SH(2026, 12, 31, 18, 0), SH(2027, 1, 1, 0, 0),
                           SH(2027, 1, 1, 18, 0)};
        expect_slots(got, want3, 2);
        free(got);
        hq_schedule_destroy(&s);
    }
    hq_calendar_destroy(&cal);
}

static void test_daily_several_deadlines(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    /* listed out of order: sorted */
    hq_schedule *s = sched_ok("schedule: {every: day, by: [\"18:00\", \"08:00\", \"12:00\"]}\n", cal);
    slots *got = collect(s, cal, SH(2026, 11, 2, 0, 0), SH(2026, 11, 4, 0, 0));
    int64_t want[] = {
        SH(2026, 11, 2, 0, 0),  SH(2026, 11, 2, 8, 0),  SH(2026, 11, 2, 8, 0),  SH(2026, 11, 2, 12, 0),
        SH(2026, 11, 2, 12, 0), SH(2026, 11, 2, 18, 0), SH(2026, 11, 3, 0, 0),  SH(2026, 11, 3, 8, 0),
        SH(2026, 11, 3, 8, 0),  SH(2026, 11, 3, 12, 0), SH(2026, 11, 3, 12, 0), SH(2026, 11, 3, 18, 0),
    };
    expect_slots(got, want, 6);
    free(got);
    hq_schedule_destroy(&s);
    /* "24:00": the whole day, due at the next midnight */
    s = sched_ok("schedule: {every: day, by: \"24:00\"}\n", cal);
    got = collect(s, cal, SH(2026, 11, 2, 0, 1), SH(2026, 11, 4, 0, 1));
    int64_t want2[] = {SH(2026, 11, 2, 0, 0), SH(2026, 11, 3, 0, 0), SH(2026, 11, 3, 0, 0), SH(2026, 11, 4, 0, 0)};
    expect_slots(got, want2, 2);
    free(got);
    hq_schedule_destroy(&s);
    /* the callback stops the walk */
    s = sched_ok("schedule: {every: day, by: [\"08:00\", \"12:00\", \"18:00\"]}\n", cal);
    got = calloc(1, sizeof *got);
    got->stop_after = 4;
    hq_schedule_slots(s, cal, SH(2026, 11, 2, 0, 0), SH(2026, 11, 9, 0, 0), collect_one, got);
    assert_int_equal(got->n, 4);
    assert_int_equal(got->v[3].due_ms, SH(2026, 11, 3, 8, 0));
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
}

static void test_weekly(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    hq_schedule *s = sched_ok("schedule: {every: week, by: \"fri 18:00\"}\n", cal);
    assert_string_equal(hq_schedule_describe(s), "weekly by fri 18:00");
    /* 2026-11-02 is a Monday */
    slots *got = collect(s, cal, SH(2026, 11, 1, 0, 0), SH(2026, 11, 22, 0, 0));
    int64_t want[] = {SH(2026, 11, 2, 0, 0),  SH(2026, 11, 6, 18, 0), SH(2026, 11, 9, 0, 0),
                      SH(2026, 11, 13, 18, 0), SH(2026, 11, 16, 0, 0), SH(2026, 11, 20, 18, 0)};
    expect_slots(got, want, 3);
    free(got);
    /* a week across a month end: the window starts in the month before */
    got = collect(s, cal, SH(2026, 12, 1, 0, 0), SH(2026, 12, 5, 0, 0));
    int64_t want2[] = {SH(2026, 11, 30, 0, 0), SH(2026, 12, 4, 18, 0)};
    expect_slots(got, want2, 1);
    free(got);
    hq_schedule_destroy(&s);
    /* every Monday by 12:00: a window of 12 hours */
    s = sched_ok("schedule: {every: week, by: \"mon 12:00\"}\n", cal);
    got = collect(s, cal, SH(2026, 11, 2, 12, 0), SH(2026, 11, 16, 12, 0));
    int64_t want3[] = {SH(2026, 11, 2, 0, 0), SH(2026, 11, 2, 12, 0), SH(2026, 11, 9, 0, 0),
                       SH(2026, 11, 9, 12, 0)};
    expect_slots(got, want3, 2);
    free(got);
    hq_schedule_destroy(&s);
    /* Sunday 24:00: the whole week */
    s = sched_ok("schedule: {every: week, by: \"sun 24:00\"}\n", cal);
    got = collect(s, cal, SH(2026, 11, 2, 0, 1), SH(2026, 11, 10, 0, 0));
    int64_t want4[] = {SH(2026, 11, 2, 0, 0), SH(2026, 11, 9, 0, 0)};
    expect_slots(got, want4, 1);
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
}

/* Monthly: deadlines on a day of the month (1-28, or the last); several
 * split the month, each window from the previous deadline; a deadline in
 * a vacation is skipped, and the next window still starts at it. */
static void test_monthly(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    hq_schedule *s = sched_ok("schedule: {every: month, by: [\"last 18:00\", \"15 18:00\"], suspend: [vacations]}\n", cal);
    assert_string_equal(hq_schedule_describe(s), "monthly by last 18:00 (several deadlines)");
    assert_int_equal(hq_schedule_span_ms(s), 31 * DAY_MS);
    slots *got = collect(s, cal, SH(2026, 10, 1, 0, 0), SH(2027, 3, 1, 0, 0));
    int64_t want[] = {SH(2026, 10, 1, 0, 0),   SH(2026, 10, 15, 18, 0), SH(2026, 10, 15, 18, 0),
                      SH(2026, 10, 31, 18, 0), SH(2026, 11, 1, 0, 0),   SH(2026, 11, 15, 18, 0),
                      SH(2026, 11, 15, 18, 0), SH(2026, 11, 30, 18, 0), SH(2026, 12, 1, 0, 0),
                      SH(2026, 12, 15, 18, 0), SH(2026, 12, 15, 18, 0), SH(2026, 12, 31, 18, 0),
                      SH(2027, 1, 1, 0, 0),    SH(2027, 1, 15, 18, 0),  SH(2027, 2, 15, 18, 0),
                      SH(2027, 2, 28, 18, 0)};
    /* January's last day and February's 15th are in the winter vacation */
    expect_slots(got, want, 8);
    free(got);
    hq_schedule_destroy(&s);
    s = sched_ok("schedule: {every: month, by: \"1 09:00\"}\n", cal);
    assert_string_equal(hq_schedule_describe(s), "monthly by 1 09:00");
    got = collect(s, cal, SH(2027, 2, 1, 9, 0), SH(2027, 3, 2, 0, 0));
    int64_t want2[] = {SH(2027, 2, 1, 0, 0), SH(2027, 2, 1, 9, 0), SH(2027, 3, 1, 0, 0), SH(2027, 3, 1, 9, 0)};
    expect_slots(got, want2, 2);
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
    sched_errors("schedule:\n  every: month\n  by: [\"29 18:00\", \"last 6pm\", \"15th 18:00\", \"15 18:00\"]\n",
                 "s.yaml:3:8: expected \"<day> HH:MM\" with a day from 1 to 28 (in every month) or last, like \"last 18:00\"",
                 "s.yaml:3:20: expected \"<day> HH:MM\" with a day from 1 to 28 (in every month) or last, like \"last 18:00\"",
                 "s.yaml:3:32: expected \"<day> HH:MM\" with a day from 1 to 28 (in every month) or last, like \"last 18:00\"",
                 NULL);
    sched_errors("schedule:\n  every: month\n  days: workdays\n  by: \"last 18:00\"\n",
                 "s.yaml:3:9: days: workdays is for daily and interval schedules; a monthly one names its day "
                 "(suspend: [holidays] skips holidays)",
                 NULL);
    sched_errors("schedule:\n  every: month\n",
                 "s.yaml:2:3: a monthly schedule needs \"by\" like \"last 18:00\" or \"15 18:00\" (or a list)", NULL);
}

static void test_interval(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    hq_schedule *s = sched_ok("schedule: {every: interval, interval: 2h, between: \"06:00-22:00\"}\n", cal);
    assert_string_equal(hq_schedule_describe(s), "every 120 min");
    slots *got = collect(s, cal, SH(2026, 11, 2, 0, 0), SH(2026, 11, 3, 0, 0));
    int64_t want[16];
    for (int i = 0; i < 8; i++) {
        want[2 * i] = SH(2026, 11, 2, 6 + 2 * i, 0);
        want[2 * i + 1] = SH(2026, 11, 2, 8 + 2 * i, 0);
    }
    expect_slots(got, want, 8);
    free(got);
    /* two days: nothing between 22:00 and 06:00 */
    got = collect(s, cal, SH(2026, 11, 2, 21, 0), SH(2026, 11, 3, 9, 0));
    int64_t want2[] = {SH(2026, 11, 2, 20, 0), SH(2026, 11, 2, 22, 0), SH(2026, 11, 3, 6, 0), SH(2026, 11, 3, 8, 0)};
    expect_slots(got, want2, 2);
    free(got);
    hq_schedule_destroy(&s);
    /* no between: the whole day, 12 slots, the last due at midnight */
    s = sched_ok("schedule: {every: interval, interval: 2h}\n", cal);
    got = collect(s, cal, SH(2026, 11, 2, 0, 1), SH(2026, 11, 3, 0, 1));
    assert_int_equal(got->n, 12);
    assert_int_equal(got->v[0].start_ms, SH(2026, 11, 2, 0, 0));
    assert_int_equal(got->v[0].due_ms, SH(2026, 11, 2, 2, 0));
    assert_int_equal(got->v[11].due_ms, SH(2026, 11, 3, 0, 0));
    for (size_t i = 1; i < got->n; i++)
        assert_int_equal(got->v[i].start_ms, got->v[i - 1].due_ms);
    free(got);
    hq_schedule_destroy(&s);
    /* 90 minutes in 16 hours: 10 whole slots, the last due at 21:00 */
    s = sched_ok("schedule: {every: interval, interval: 1h30m, between: \"06:00-22:00\"}\n", cal);
    got = collect(s, cal, SH(2026, 11, 2, 0, 0), SH(2026, 11, 3, 0, 0));
    assert_int_equal(got->n, 10);
    assert_int_equal(got->v[0].due_ms, SH(2026, 11, 2, 7, 30));
    assert_int_equal(got->v[9].start_ms, SH(2026, 11, 2, 19, 30));
    assert_int_equal(got->v[9].due_ms, SH(2026, 11, 2, 21, 0));
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
}

static void test_workdays_with_holiday_and_makeup_days(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    hq_schedule *s = sched_ok("schedule: {every: day, by: \"18:00\", days: workdays}\n", cal);
    /* 2026-09-26 (Sat) .. 2026-10-12 (Mon): 国庆节 10-01..07; make-up days
     * Sunday 09-27 and Saturday 10-10 */
    slots *got = collect(s, cal, SH(2026, 9, 26, 0, 0), SH(2026, 10, 13, 0, 0));
    static const int days[] = {20260927, 20260928, 20260929, 20260930, 20261008, 20261009, 20261010, 20261012};
    expect_due_days(got, days, sizeof days / sizeof *days);
    /* the make-up Saturday's window is that Saturday */
    assert_int_equal(got->v[6].start_ms, SH(2026, 10, 10, 0, 0));
    assert_int_equal(got->v[6].due_ms, SH(2026, 10, 10, 18, 0));
    free(got);
    hq_schedule_destroy(&s);
    /* days: all (the default) and days: all spelled out */
    s = sched_ok("schedule: {every: day, by: \"18:00\", days: all}\n", cal);
    got = collect(s, cal, SH(2026, 9, 26, 0, 0), SH(2026, 10, 13, 0, 0));
    assert_int_equal(got->n, 17);
    free(got);
    hq_schedule_destroy(&s);
    /* an interval schedule on working days only */
    s = sched_ok("schedule: {every: interval, interval: 4h, between: \"08:00-16:00\", days: workdays}\n", cal);
    got = collect(s, cal, SH(2026, 10, 9, 0, 0), SH(2026, 10, 13, 0, 0));
    static const int days2[] = {20261009, 20261009, 20261010, 20261010, 20261012, 20261012};
    expect_due_days(got, days2, 6);
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
}

static void test_suspend(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    /* holidays: every day but 10-01..07 (make-up days and weekends count) */
    hq_schedule *s = sched_ok("schedule: {every: day, by: \"18:00\", suspend: [holidays]}\n", cal);
    slots *got = collect(s, cal, SH(2026, 9, 29, 0, 0), SH(2026, 10, 10, 0, 0));
    static const int days[] = {20260929, 20260930, 20261008, 20261009};
    expect_due_days(got, days, 4);
    free(got);
    /* vacations are not holidays */
    got = collect(s, cal, SH(2027, 1, 17, 0, 0), SH(2027, 1, 19, 0, 0));
    assert_int_equal(got->n, 2);
    free(got);
    hq_schedule_destroy(&s);
    /* vacations: nothing from 2027-01-18 to 02-21 */
    s = sched_ok("schedule: {every: day, by: \"18:00\", suspend: [vacations]}\n", cal);
    got = collect(s, cal, SH(2027, 1, 16, 0, 0), SH(2027, 2, 24, 0, 0));
    static const int days2[] = {20270116, 20270117, 20270222, 20270223};
    expect_due_days(got, days2, 4);
    free(got);
    got = collect(s, cal, SH(2026, 10, 1, 0, 0), SH(2026, 10, 3, 0, 0));
    assert_int_equal(got->n, 2); /* holidays are not vacations */
    free(got);
    hq_schedule_destroy(&s);
    /* both */
    s = sched_ok("schedule:\n  every: day\n  by: \"18:00\"\n  suspend: [vacations, holidays]\n", cal);
    got = collect(s, cal, SH(2026, 9, 30, 0, 0), SH(2026, 10, 9, 0, 0));
    static const int days3[] = {20260930, 20261008};
    expect_due_days(got, days3, 2);
    free(got);
    got = collect(s, cal, SH(2027, 1, 18, 0, 0), SH(2027, 2, 22, 0, 0));
    assert_int_equal(got->n, 0);
    free(got);
    hq_schedule_destroy(&s);
    /* weekly: the Friday of 国庆节 and the Fridays of the winter vacation */
    s = sched_ok("schedule: {every: week, by: \"fri 18:00\", suspend: [vacations, holidays]}\n", cal);
    got = collect(s, cal, SH(2026, 9, 21, 0, 0), SH(2026, 10, 12, 0, 0));
    static const int days4[] = {20260925, 20261009};
    expect_due_days(got, days4, 2);
    free(got);
    got = collect(s, cal, SH(2027, 1, 11, 0, 0), SH(2027, 3, 1, 0, 0));
    static const int days5[] = {20270115, 20270226};
    expect_due_days(got, days5, 2);
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
}

static void test_override_doubles_frequency_in_opening_season(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    hq_schedule *s = sched_ok("schedule:\n"
                              "  every: day\n"
                              "  by: [\"18:00\"]\n"
                              "  suspend: [vacations]\n"
                              "  overrides:\n"
                              "    - {period: opening, by: [\"12:00\", \"20:00\"]}\n",
                              cal);
    /* opening: 2026-08-31 .. 2026-09-13 */
    slots *got = collect(s, cal, SH(2026, 8, 30, 0, 0), SH(2026, 9, 1, 0, 0));
    int64_t want[] = {SH(2026, 8, 30, 0, 0),  SH(2026, 8, 30, 18, 0), SH(2026, 8, 31, 0, 0),
                      SH(2026, 8, 31, 12, 0), SH(2026, 8, 31, 12, 0), SH(2026, 8, 31, 20, 0)};
    expect_slots(got, want, 3);
    free(got);
    got = collect(s, cal, SH(2026, 9, 13, 0, 0), SH(2026, 9, 15, 0, 0));
    int64_t want2[] = {SH(2026, 9, 13, 0, 0),  SH(2026, 9, 13, 12, 0), SH(2026, 9, 13, 12, 0),
                       SH(2026, 9, 13, 20, 0), SH(2026, 9, 14, 0, 0),  SH(2026, 9, 14, 18, 0)};
    expect_slots(got, want2, 3);
    free(got);
    /* the whole season: 14 days x 2 */
    got = collect(s, cal, SH(2026, 8, 31, 0, 0), SH(2026, 9, 14, 0, 0));
    assert_int_equal(got->n, 28);
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
}

static void test_override_interval_and_weekly(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    /* hourly during the expo (10-20 .. 10-22), every 2 hours otherwise */
    hq_schedule *s = sched_ok("schedule:\n"
                              "  every: interval\n"
                              "  interval: 2h\n"
                              "  between: \"06:00-22:00\"\n"
                              "  overrides:\n"
                              "    - {period: expo, interval: 1h, between: \"07:00-23:00\"}\n",
                              cal);
    slots *got = collect(s, cal, SH(2026, 10, 19, 0, 0), SH(2026, 10, 20, 0, 0));
    assert_int_equal(got->n, 8);
    free(got);
    got = collect(s, cal, SH(2026, 10, 20, 0, 0), SH(2026, 10, 21, 0, 0));
    assert_int_equal(got->n, 16);
    assert_int_equal(got->v[0].start_ms, SH(2026, 10, 20, 7, 0));
    assert_int_equal(got->v[0].due_ms, SH(2026, 10, 20, 8, 0));
    assert_int_equal(got->v[15].due_ms, SH(2026, 10, 20, 23, 0));
    free(got);
    hq_schedule_destroy(&s);
    /* weekly: by Wednesday noon in opening season, Friday otherwise */
    s = sched_ok("schedule:\n"
                 "  every: week\n"
                 "  by: \"fri 18:00\"\n"
                 "  overrides:\n"
                 "    - {period: opening, by: \"wed 12:00\"}\n",
                 cal);
    got = collect(s, cal, SH(2026, 8, 24, 0, 0), SH(2026, 9, 21, 0, 0));
    int64_t want[] = {SH(2026, 8, 24, 0, 0), SH(2026, 8, 28, 18, 0), SH(2026, 8, 31, 0, 0), SH(2026, 9, 2, 12, 0),
                      SH(2026, 9, 7, 0, 0),  SH(2026, 9, 9, 12, 0),  SH(2026, 9, 14, 0, 0), SH(2026, 9, 18, 18, 0)};
    expect_slots(got, want, 4);
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
}

/* A weekly schedule is one slot a week.  When a period with a weekly
 * override starts or ends mid-week, the week still has exactly one slot
 * (either deadline), never none and never two with overlapping windows.
 * Period "midweek" is Thursday 2026-11-12 .. Sunday 11-15. */
static void test_override_weekly_period_midweek(void **state)
{
    (void)state;
    hq_calendar *cal = the_cal();
    static const char *const texts[] = {
        /* Friday is in the period (override: Monday), Monday is not (default: Friday): none? */
        "schedule:\n  every: week\n  by: \"fri 18:00\"\n  overrides:\n    - {period: midweek, by: \"mon 12:00\"}\n",
        /* Monday is not in the period (default Monday), Friday is (override Friday): two? */
        "schedule:\n  every: week\n  by: \"mon 12:00\"\n  overrides:\n    - {period: midweek, by: \"fri 18:00\"}\n",
    };
    char problems[1024] = "";
    for (size_t i = 0; i < 2; i++) {
        hq_schedule *s = sched_ok(texts[i], cal);
        for (int w = 0; w < 3; w++) {
            int64_t mon = SH(2026, 11, 2, 0, 0) + w * 7 * DAY_MS;
            slots *got = collect(s, cal, mon, mon + 7 * DAY_MS);
            if (got->n != 1) {
                char d[32];
                hq_local_fmt(mon, d, sizeof d);
                snprintf(problems + strlen(problems), sizeof problems - strlen(problems),
                         "\n  schedule %zu, the week of %.10s: %zu slots", i + 1, d, got->n);
                print_slots(got);
            }
            free(got);
        }
        hq_schedule_destroy(&s);
    }
    hq_calendar_destroy(&cal);
    if (problems[0])
        fail_msg("a weekly schedule must have one slot a week:%s", problems);
}

/* Two overridden periods that overlap (opening 08-31..09-13 and festival
 * 09-10..09-20): on 09-10..09-13 the schedule has two definitions.  Issue 4
 * "Bad input": an overlapping override is a load error with file:line:column
 * (here: at the second override's period, naming both periods). */
static void test_override_overlapping_periods_refused(void **state)
{
    (void)state;
    sched_error_at("schedule:\n"
                   "  every: day\n"
                   "  by: \"18:00\"\n"
                   "  overrides:\n"
                   "    - {period: opening, by: [\"12:00\", \"20:00\"]}\n"
                   "    - {period: festival, by: [\"10:00\", \"16:00\", \"21:00\"]}\n",
                   "s.yaml:6:16: ", "festival", "opening", NULL);
}

/* ---- DST ---- */

static void test_dst_berlin(void **state)
{
    (void)state;
    assert_int_equal(hq_tz_set("Europe/Berlin"), 0);
    hq_calendar *cal = the_cal();
    /* "by 02:30" on the spring-forward day (2026-03-29, no 02:30 that day):
     * one slot that day, after the day before's and before the next one's,
     * with a window that starts at local midnight */
    hq_schedule *s = sched_ok("schedule: {every: day, by: \"02:30\"}\n", cal);
    slots *got = collect(s, cal, utc_ms(2026, 3, 27, 23, 0), utc_ms(2026, 3, 30, 23, 0));
    assert_int_equal(got->n, 3);
    assert_int_equal(got->v[0].due_ms, utc_ms(2026, 3, 28, 1, 30)); /* 02:30 CET */
    assert_int_equal(got->v[2].due_ms, utc_ms(2026, 3, 30, 0, 30)); /* 02:30 CEST */
    assert_int_equal(got->v[1].start_ms, utc_ms(2026, 3, 28, 23, 0)); /* 00:00 CET */
    assert_true(got->v[1].due_ms >= utc_ms(2026, 3, 29, 1, 0) && got->v[1].due_ms <= utc_ms(2026, 3, 29, 1, 30));
    assert_int_equal(hq_local_day(got->v[1].due_ms), hq_day_from_civil(2026, 3, 29));
    free(got);
    hq_schedule_destroy(&s);
    /* "by 18:00" across the fall-back (2026-10-25): 25 hours between the
     * deadlines, a 19-hour window that day */
    s = sched_ok("schedule: {every: day, by: \"18:00\"}\n", cal);
    got = collect(s, cal, utc_ms(2026, 10, 23, 22, 0), utc_ms(2026, 10, 26, 23, 0));
    assert_int_equal(got->n, 3);
    assert_int_equal(got->v[0].due_ms, utc_ms(2026, 10, 24, 16, 0));
    assert_int_equal(got->v[1].due_ms, utc_ms(2026, 10, 25, 17, 0));
    assert_int_equal(got->v[2].due_ms, utc_ms(2026, 10, 26, 17, 0));
    assert_int_equal(got->v[1].due_ms - got->v[1].start_ms, 19 * HOUR_MS);
    assert_int_equal(got->v[2].due_ms - got->v[2].start_ms, 18 * HOUR_MS);
    free(got);
    hq_schedule_destroy(&s);
    /* weekly by Monday 12:00 right after the fall-back: the window starts
     * at Monday 00:00 CET (23:00 UTC the day before) */
    s = sched_ok("schedule: {every: week, by: \"mon 12:00\"}\n", cal);
    got = collect(s, cal, utc_ms(2026, 10, 26, 0, 0), utc_ms(2026, 10, 27, 0, 0));
    assert_int_equal(got->n, 1);
    assert_int_equal(got->v[0].start_ms, utc_ms(2026, 10, 25, 23, 0));
    assert_int_equal(got->v[0].due_ms, utc_ms(2026, 10, 26, 11, 0));
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);
}

/* Hourly slots tile each local day: every window starts at the previous
 * deadline, deadlines strictly increase, no window is empty, the first
 * starts at local midnight and the last ends at the next one - also on
 * the 23-hour and the 25-hour day. */
static void tile_check(hq_day day, char *problems, size_t size)
{
    hq_calendar *cal = the_cal();
    hq_schedule *s = sched_ok("schedule: {every: interval, interval: 1h}\n", cal);
    int64_t d0 = hq_local_instant_ms(day, 0), d1 = hq_local_instant_ms(day + 1, 0);
    slots *got = collect(s, cal, d0 + 1, d1 + 1);
    int y, m, d;
    hq_day_to_civil(day, &y, &m, &d);
    bool bad = got->n == 0 || got->v[0].start_ms != d0 || got->v[got->n - 1].due_ms != d1;
    for (size_t i = 0; i < got->n; i++) {
        bad = bad || got->v[i].due_ms <= got->v[i].start_ms;
        if (i)
            bad = bad || got->v[i].start_ms != got->v[i - 1].due_ms || got->v[i].due_ms <= got->v[i - 1].due_ms;
    }
    if (bad) {
        snprintf(problems + strlen(problems), size - strlen(problems), "\n  %04d-%02d-%02d: %zu slots", y, m, d,
                 got->n);
        print_message("%04d-%02d-%02d:\n", y, m, d);
        for (size_t i = 0; i < got->n; i++)
            print_message("  [%lld, %lld] UTC ms (%+lld min)\n", (long long)got->v[i].start_ms,
                          (long long)got->v[i].due_ms, (long long)((got->v[i].due_ms - got->v[i].start_ms) / MIN_MS));
    }
    free(got);
    hq_schedule_destroy(&s);
    hq_calendar_destroy(&cal);
}

static void test_dst_hourly_slots_tile_the_day(void **state)
{
    (void)state;
    char problems[512] = "";
    assert_int_equal(hq_tz_set("Europe/Berlin"), 0);
    tile_check(hq_day_from_civil(2026, 3, 28), problems, sizeof problems);
    tile_check(hq_day_from_civil(2026, 3, 29), problems, sizeof problems); /* 23 hours */
    tile_check(hq_day_from_civil(2026, 10, 25), problems, sizeof problems); /* 25 hours */
    assert_int_equal(hq_tz_set("America/New_York"), 0);
    tile_check(hq_day_from_civil(2026, 3, 8), problems, sizeof problems);
    tile_check(hq_day_from_civil(2026, 11, 1), problems, sizeof problems);
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);
    tile_check(hq_day_from_civil(2026, 3, 29), problems, sizeof problems);
    if (problems[0])
        fail_msg("hourly slots do not tile the day (a duplicate deadline or an empty window):%s", problems);
}

/* ---- load errors: file:line:column ---- */

static void test_error_slot_ends_before_it_starts(void **state)
{
    (void)state;
    sched_error_first("schedule:\n"
                      "  every: interval\n"
                      "  interval: 2h\n"
                      "  between: \"22:00-06:00\"\n",
                      "s.yaml:4:12: between: the slot ends before it starts");
    sched_error_first("schedule:\n"
                      "  every: interval\n"
                      "  interval: 2h\n"
                      "  between: \"06:00-22:00\"\n"
                      "  overrides:\n"
                      "    - {period: expo, interval: 1h, between: \"12:00-12:00\"}\n",
                      "s.yaml:6:45: between: the slot ends before it starts");
    /* an interval longer than the range it is in */
    sched_errors("schedule:\n"
                 "  every: interval\n"
                 "  interval: 3h\n"
                 "  between: \"06:00-08:00\"\n",
                 "s.yaml:3:13: interval is longer than the \"between\" range", NULL);
}

static void test_error_unknown_period(void **state)
{
    (void)state;
    sched_errors("schedule:\n"
                 "  every: day\n"
                 "  by: \"18:00\"\n"
                 "  overrides:\n"
                 "    - {period: opening, by: [\"12:00\", \"20:00\"]}\n"
                 "    - {period: exams, by: [\"12:00\"]}\n",
                 "s.yaml:6:16: unknown calendar period \"exams\"", NULL);
    sched_errors("schedule:\n"
                 "  every: day\n"
                 "  by: \"18:00\"\n"
                 "  overrides:\n"
                 "    - period: 开学季\n"
                 "      by: \"12:00\"\n",
                 "s.yaml:5:15: unknown calendar period \"开学季\"", NULL);
    /* the same period overridden twice */
    sched_errors("schedule:\n"
                 "  every: day\n"
                 "  by: \"18:00\"\n"
                 "  overrides:\n"
                 "    - {period: opening, by: \"12:00\"}\n"
                 "    - {period: opening, by: \"20:00\"}\n",
                 "s.yaml:6:16: period \"opening\" is overridden twice", NULL);
}

static void test_error_two_deadlines_same_slot(void **state)
{
    (void)state;
    sched_errors("schedule:\n"
                 "  every: day\n"
                 "  by: \"18:00\"\n"
                 "  overrides:\n"
                 "    - {period: opening, by: [\"12:00\", \"20:00\", \"12:00\"]}\n",
                 "s.yaml:5:48: two deadlines at 12:00 make the same slot", NULL);
    sched_errors("schedule:\n"
                 "  every: day\n"
                 "  by:\n"
                 "    - \"08:00\"\n"
                 "    - \"08:00\"\n",
                 "s.yaml:5:7: two deadlines at 08:00 make the same slot", NULL);
}

static void test_error_bad_times(void **state)
{
    (void)state;
    static const struct {
        const char *by, *col;
    } daily[] = {{"\"25:00\"", "8"}, {"\"18:60\"", "8"}, {"6pm", "8"}, {"\"00:00\"", "8"}, {"\"8:00\"", "8"},
                 {"18", "8"}};
    for (size_t i = 0; i < sizeof daily / sizeof *daily; i++) {
        char text[256], want[256];
        snprintf(text, sizeof text, "schedule:\n  every: day\n  by: [%s]\n", daily[i].by);
        snprintf(want, sizeof want, "s.yaml:3:%s: expected a time like \"18:00\" (00:01 to 24:00)", daily[i].col);
        sched_errors(text, want, NULL);
    }
    sched_errors("schedule:\n  every: week\n  by: \"friday 18:00\"\n",
                 "s.yaml:3:7: expected \"<mon..sun> HH:MM\", got \"friday 18:00\"", NULL);
    sched_errors("schedule:\n  every: week\n  by: \"fri 6pm\"\n",
                 "s.yaml:3:7: expected \"<mon..sun> HH:MM\", got \"fri 6pm\"", NULL);
    sched_errors("schedule:\n  every: week\n  by: fri\n",
                 "s.yaml:3:7: a weekly schedule needs \"by\" like \"fri 18:00\"", NULL);
    sched_errors("schedule:\n  every: week\n  by: [\"fri 18:00\"]\n",
                 "s.yaml:3:7: a weekly schedule needs \"by\" like \"fri 18:00\"", NULL);
    sched_errors("schedule:\n  every: interval\n  interval: 90s\n",
                 "s.yaml:3:13: interval: whole minutes, from 1m to 24h", NULL);
    sched_errors("schedule:\n  every: interval\n  interval: 25h\n",
                 "s.yaml:3:13: interval: whole minutes, from 1m to 24h", NULL);
    sched_errors("schedule:\n  every: interval\n  interval: 2h\n  between: \"6-22\"\n",
                 "s.yaml:4:12: between: expected \"06:00-22:00\"", NULL);
    sched_errors("schedule:\n  every: day\n", "s.yaml:2:3: a daily schedule needs \"by\" (a time like \"18:00\" or a "
                                               "list of times)",
                 NULL);
    sched_errors("schedule:\n  every: interval\n  between: \"06:00-22:00\"\n",
                 "s.yaml:2:3: an interval schedule needs \"interval\" (like 2h)", NULL);
}

/* One mistake, one diagnostic: a reversed "between" is not also an
 * interval "longer than the range", and a bad duration is not also a bad
 * interval. */
static void test_error_one_mistake_one_diagnostic(void **state)
{
    (void)state;
    sched_errors("schedule:\n  every: interval\n  interval: 2h\n  between: \"22:00-06:00\"\n",
                 "s.yaml:4:12: between: the slot ends before it starts", NULL);
    sched_errors("schedule:\n  every: interval\n  interval: 2x\n",
                 "s.yaml:3:13: expected a duration like 30m, 48h or 7d, got \"2x\"", NULL);
}

static void test_error_unknown_keys_and_values(void **state)
{
    (void)state;
    sched_errors("schedule:\n  evry: day\n  by: \"18:00\"\n",
                 "s.yaml:2:3: unknown key \"evry\" (expected one of: every, by, interval, between, days, suspend, "
                 "overrides)",
                 NULL);
    sched_errors("schedule:\n"
                 "  every: day\n"
                 "  by: \"18:00\"\n"
                 "  overrides:\n"
                 "    - {period: opening, times: [\"12:00\", \"20:00\"]}\n",
                 "s.yaml:5:25: unknown key \"times\" (expected one of: period, by, interval, between)", NULL);
    sched_errors("schedule:\n  every: fortnight\n  by: \"18:00\"\n",
                 "s.yaml:2:10: every: expected day, week, month or interval, got \"fortnight\"", NULL);
    sched_errors("schedule:\n  every: day\n  by: \"18:00\"\n  days: weekends\n",
                 "s.yaml:4:9: days: expected all or workdays", NULL);
    sched_errors("schedule:\n  every: day\n  by: \"18:00\"\n  suspend: [holidays, weekends]\n",
                 "s.yaml:4:23: suspend: expected holidays or vacations", NULL);
    sched_errors("schedule:\n  every: day\n  by: \"18:00\"\n  suspend: holidays\n",
                 "s.yaml:4:12: suspend: expected a list, like [holidays, vacations]", NULL);
    sched_errors("schedule:\n  every: day\n  by: \"18:00\"\n  overrides: {period: opening, by: \"12:00\"}\n",
                 "s.yaml:4:14: overrides: expected a list of {period, by}", NULL);
    sched_errors("schedule:\n  by: \"18:00\"\n", "s.yaml:2:3: missing required key \"every\"", NULL);
    /* A weekly deadline names its day: workdays would mean nothing. */
    sched_error_first("schedule:\n  every: week\n  by: \"fri 18:00\"\n  days: workdays\n",
                      "s.yaml:4:9: days: workdays is for daily and interval schedules; a weekly one names its day "
                      "(suspend: [holidays] skips holidays)");
    /* More deadlines than a day holds are refused, not cut short. */
    char text[1024] = "schedule:\n  every: day\n  by: [";
    for (int i = 1; i <= 49; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s\"%02d:%02d\"", i > 1 ? ", " : "",
                 i * 29 / 60, i * 29 % 60);
    strcat(text, "]\n");
    sched_error_first(text, "s.yaml:3:7: at most 48 deadlines a day (use an interval schedule)");
}

/* Keys that mean nothing for the kind of schedule are mistakes, not
 * silently ignored ("between" on a daily schedule reads as if it limited
 * the day). */
static void test_error_keys_of_another_kind(void **state)
{
    (void)state;
    sched_error_at("schedule:\n  every: day\n  by: \"18:00\"\n  between: \"06:00-22:00\"\n", "s.yaml:4:3: ",
                   "between", NULL);
    sched_error_at("schedule:\n  every: interval\n  interval: 2h\n  by: \"18:00\"\n", "s.yaml:4:3: ", "by", NULL);
    sched_error_at("schedule:\n  every: week\n  by: \"fri 18:00\"\n  interval: 2h\n", "s.yaml:4:3: ", "interval",
                   NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily_one_deadline),
        cmocka_unit_test(test_daily_several_deadlines),
        cmocka_unit_test(test_weekly),
        cmocka_unit_test(test_monthly),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_workdays_with_holiday_and_makeup_days),
        cmocka_unit_test(test_suspend),
        cmocka_unit_test(test_override_doubles_frequency_in_opening_season),
        cmocka_unit_test(test_override_interval_and_weekly),
        cmocka_unit_test(test_override_weekly_period_midweek),
        cmocka_unit_test(test_override_overlapping_periods_refused),
        cmocka_unit_test_teardown(test_dst_berlin, reset_zone),
        cmocka_unit_test_teardown(test_dst_hourly_slots_tile_the_day, reset_zone),
        cmocka_unit_test(test_error_slot_ends_before_it_starts),
        cmocka_unit_test(test_error_unknown_period),
        cmocka_unit_test(test_error_two_deadlines_same_slot),
        cmocka_unit_test(test_error_bad_times),
        cmocka_unit_test(test_error_one_mistake_one_diagnostic),
        cmocka_unit_test(test_error_unknown_keys_and_values),
        cmocka_unit_test(test_error_keys_of_another_kind),
    };
    return cmocka_run_group_tests(tests, set_shanghai, NULL);
}
