/* test_calendar.c - the academic calendar (lib/calendar.c), as a
 * specification (issue 4: "unit tests for calendar arithmetic across days,
 * weeks, month ends, a DST-free zone and a zone with DST, holidays and
 * make-up working days").
 *
 * - civil day numbers: known dates, month ends, leap years (2000, 2024,
 *   not 2100, not 2026), year ends, weekdays and week boundaries, and a
 *   round trip over every day from 1970 to 2200;
 * - strict date and time parsing;
 * - holidays and make-up working days (调休), terms, vacations, named
 *   periods, working hours, hq_cal_range for a month and a term;
 * - local instants through the process TZ (hq_tz_set): Asia/Shanghai (no
 *   DST), Europe/Berlin and America/New_York (a slot at 02:30 on the
 *   spring-forward day, the 23-hour and the 25-hour day);
 * - calendar YAML errors with their exact file:line:column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hq_test.h"

#include "calendar.h"
#include "clock.h"
#include "ytree.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* ms of a UTC civil time, computed without the library's own conversion:
 * days from 0000-03-01 by the textbook formula. */
static int64_t utc_ms(int y, int m, int d, int hh, int mm)
{
    /* days since 1970-01-01 (proleptic Gregorian) */
    int a = (14 - m) / 12, yy = y + 4800 - a, mmm = m + 12 * a - 3;
    long jdn = d + (153 * mmm + 2) / 5 + 365L * yy + yy / 4 - yy / 100 + yy / 400 - 32045;
    long days = jdn - 2440588; /* JDN of 1970-01-01 */
    return ((int64_t)days * 86400 + hh * 3600 + mm * 60) * 1000;
}

static hq_day D(int y, int m, int d)
{
    return hq_day_from_civil(y, m, d);
}

static int set_shanghai(void **state)
{
    (void)state;
    return hq_tz_set("Asia/Shanghai") == 0 ? 0 : -1;
}

/* ---- civil day numbers ---- */

static void test_known_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(D(1970, 1, 1), 0);
    assert_int_equal(D(1969, 12, 31), -1);
    assert_int_equal(D(2000, 3, 1), 11017);
    assert_int_equal(D(2024, 2, 29), 19782);
    assert_int_equal(D(2026, 1, 1), 20454);
    assert_int_equal(D(2026, 9, 1), 20697);
    assert_int_equal(D(2026, 10, 1), 20727);
    assert_int_equal(D(2100, 3, 1), 47541);
    int y, m, d;
    hq_day_to_civil(20697, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20260901);
    hq_day_to_civil(-1, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 19691231);
    hq_day_to_civil(19782, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);
}

static void test_month_and_year_ends(void **state)
{
    (void)state;
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++) {
        /* the last day of each month of 2026 is followed by the 1st of the next */
        hq_day last = D(2026, m, len[m - 1]);
        int y2, m2, d2;
        hq_day_to_civil(last + 1, &y2, &m2, &d2);
        assert_int_equal(d2, 1);
        assert_int_equal(m2, m == 12 ? 1 : m + 1);
        assert_int_equal(y2, m == 12 ? 2027 : 2026);
    }
    /* 2026-01-31 + 30 days = 2026-03-02 (February has 28 days) */
    int y, m, d;
    hq_day_to_civil(D(2026, 1, 31) + 30, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20260302);
    /* leap years: 2024 and 2000 have 29 February, 2026 and 2100 do not */
    assert_int_equal(D(2024, 3, 1) - D(2024, 2, 28), 2);
    assert_int_equal(D(2000, 3, 1) - D(2000, 2, 28), 2);
    assert_int_equal(D(2026, 3, 1) - D(2026, 2, 28), 1);
    assert_int_equal(D(2100, 3, 1) - D(2100, 2, 28), 1);
    assert_int_equal(D(2025, 1, 1) - D(2024, 1, 1), 366);
    assert_int_equal(D(2027, 1, 1) - D(2026, 1, 1), 365);
    assert_int_equal(D(2001, 1, 1) - D(2000, 1, 1), 366);
    assert_int_equal(D(2101, 1, 1) - D(2100, 1, 1), 365);
    hq_day_to_civil(D(2026, 12, 31) + 1, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20270101);
    hq_day_to_civil(D(2027, 1, 1) - 1, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20261231);
}

/* Every day from 1970-01-01 to 2200-12-31 against a hand-rolled calendar. */
static void test_round_trip_every_day(void **state)
{
    (void)state;
    int y = 1970, m = 1, d = 1, wd = 3; /* a Thursday */
    for (hq_day day = 0;; day++) {
        int y2, m2, d2;
        hq_day_to_civil(day, &y2, &m2, &d2);
        if (y2 != y || m2 != m || d2 != d)
            fail_msg("day %d: %04d-%02d-%02d, expected %04d-%02d-%02d", day, y2, m2, d2, y, m, d);
        if (hq_day_from_civil(y, m, d) != day)
            fail_msg("%04d-%02d-%02d: day %d, expected %d", y, m, d, hq_day_from_civil(y, m, d), day);
        if (hq_day_weekday(day) != wd)
            fail_msg("%04d-%02d-%02d: weekday %d, expected %d", y, m, d, hq_day_weekday(day), wd);
        if (y == 2200 && m == 12 && d == 31)
            break;
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        int mlen = m == 2 ? (leap ? 29 : 28) : (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;
        if (++d > mlen) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
        wd = (wd + 1) % 7;
    }
}

static void test_weekdays_and_week_boundaries(void **state)
{
    (void)state;
    /* 0 = Monday .. 6 = Sunday */
    assert_int_equal(hq_day_weekday(D(1970, 1, 1)), 3);   /* Thursday */
    assert_int_equal(hq_day_weekday(D(1969, 12, 31)), 2); /* Wednesday (a negative day number) */
    assert_int_equal(hq_day_weekday(D(1969, 12, 29)), 0); /* Monday */
    assert_int_equal(hq_day_weekday(D(2000, 1, 1)), 5);   /* Saturday */
    assert_int_equal(hq_day_weekday(D(2024, 2, 29)), 3);  /* Thursday */
    assert_int_equal(hq_day_weekday(D(2026, 9, 1)), 1);   /* Tuesday */
    assert_int_equal(hq_day_weekday(D(2026, 10, 1)), 3);  /* 国庆节, a Thursday */
    assert_int_equal(hq_day_weekday(D(2026, 9, 27)), 6);  /* Sunday (a make-up working day) */
    assert_int_equal(hq_day_weekday(D(2026, 10, 10)), 5); /* Saturday (a make-up working day) */
    /* Sunday is followed by Monday, across a month and a year end */
    assert_int_equal(hq_day_weekday(D(2026, 5, 31)), 6);
    assert_int_equal(hq_day_weekday(D(2026, 6, 1)), 0);
    assert_int_equal(hq_day_weekday(D(2028, 12, 31)), 6);
    assert_int_equal(hq_day_weekday(D(2029, 1, 1)), 0);
    /* the Monday of a week: day - weekday */
    hq_day fri = D(2026, 10, 2);
    int y, m, d;
    hq_day_to_civil(fri - hq_day_weekday(fri), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20260928);
    hq_day wed = D(2026, 7, 1);
    hq_day_to_civil(wed - hq_day_weekday(wed), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20260629); /* the Monday is in the month before */
}

static void test_parse_dates_and_times(void **state)
{
    (void)state;
    hq_day day = 12345;
    assert_true(hq_day_parse("2026-09-01", &day));
    assert_int_equal(day, 20697);
    assert_true(hq_day_parse("2024-02-29", &day));
    assert_int_equal(day, 19782);
    assert_true(hq_day_parse("2026-12-31", &day));
    static const char *const bad[] = {
        "2026-02-30", "2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
        "2026-01-32", "2026-9-01",  "2026-09-1",  "26-09-01",   "2026/09/01", "2026-09-01x", "2026-09-01 ",
        "",           "tomorrow",   "1969-12-31",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        day = 777;
        if (hq_day_parse(bad[i], &day))
            fail_msg("\"%s\" parsed as a date (day %d)", bad[i], day);
        assert_int_equal(day, 777);
    }
    int m = -1;
    assert_true(hq_minutes_parse("18:00", &m));
    assert_int_equal(m, 1080);
    assert_true(hq_minutes_parse("00:00", &m));
    assert_int_equal(m, 0);
    assert_true(hq_minutes_parse("23:59", &m));
    assert_int_equal(m, 1439);
    assert_true(hq_minutes_parse("24:00", &m));
    assert_int_equal(m, 1440);
    static const char *const badt[] = {"24:01", "25:00", "18:60", "8:00", "18:0", "18:00:00", "1800", "6pm",
                                       "18:0a", "-1:00", "",      "18-00"};
    for (size_t i = 0; i < sizeof badt / sizeof *badt; i++) {
        m = 777;
        if (hq_minutes_parse(badt[i], &m))
            fail_msg("\"%s\" parsed as a time (%d min)", badt[i], m);
    }
}

/* sscanf's %d skips blanks and takes a sign: these look like dates and
 * times to it but are not "2026-09-01" or "18:00". */
static void test_parse_rejects_signs_and_blanks(void **state)
{
    (void)state;
    static const char *const bad[] = {"2026-+9-01", "2026- 9-01", "2026-09-+1", "2026-09- 1", "+2026-09-1",
                                      " 2026-09-1"};
    char accepted[512] = "";
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        hq_day day;
        if (hq_day_parse(bad[i], &day))
            snprintf(accepted + strlen(accepted), sizeof accepted - strlen(accepted), " \"%s\"", bad[i]);
    }
    static const char *const badt[] = {" 8:00", "+8:00", "08:+5", "08: 5"};
    for (size_t i = 0; i < sizeof badt / sizeof *badt; i++) {
        int m;
        if (hq_minutes_parse(badt[i], &m))
            snprintf(accepted + strlen(accepted), sizeof accepted - strlen(accepted), " \"%s\"", badt[i]);
    }
    if (accepted[0])
        fail_msg("accepted as dates or times:%s", accepted);
}

/* ---- calendars from YAML ---- */

typedef struct parsed {
    hq_ydoc *doc;
    hq_diags diags;
    hq_calendar *cal;
} parsed;

static void parse_text(parsed *p, const char *text)
{
    hq_err err = {0};
    memset(p, 0, sizeof *p);
    hq_diags_init(&p->diags);
    if (hq_ydoc_load_buf("cal.yaml", text, strlen(text), NULL, &p->doc, &err) != 0)
        fail_msg("the YAML itself is bad: %s", err.msg);
    p->cal = hq_calendar_parse(p->doc, hq_ymap_get(p->doc->root, "calendar"), &p->diags);
}

static void parsed_fini(parsed *p)
{
    hq_calendar_destroy(&p->cal);
    hq_diags_fini(&p->diags);
    hq_ydoc_destroy(&p->doc);
}

static hq_calendar *cal_ok(const char *text)
{
    parsed p;
    parse_text(&p, text);
    if (p.diags.count) {
        char buf[1024];
        fail_msg("calendar refused: %s", hq_err_str(&p.diags.items[0], buf, sizeof buf));
    }
    assert_non_null(p.cal);
    hq_calendar *c = p.cal;
    p.cal = NULL;
    parsed_fini(&p);
    return c;
}

/* The calendar is refused with exactly these diagnostics (NULL-terminated). */
static void cal_errors(const char *text, ...)
{
    parsed p;
    parse_text(&p, text);
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
    assert_null(p.cal);
    parsed_fini(&p);
}

static const char CAL[] =
    "calendar:\n"
    "  weekdays: [mon, tue, wed, thu, fri]\n"
    "  working_hours: \"08:30-17:00\"\n"
    "  holidays:\n"
    "    - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}\n"
    "    - {name: 元旦, from: 2027-01-01, to: 2027-01-01}\n"
    "  workdays: [2026-09-27, 2026-10-10]\n"
    "  terms:\n"
    "    - {name: 2026-autumn, from: 2026-09-07, to: 2027-01-17}\n"
    "    - {name: 2027-spring, from: 2027-02-22, to: 2027-07-04}\n"
    "  vacations:\n"
    "    - {name: 寒假, from: 2027-01-18, to: 2027-02-21}\n"
    "  periods:\n"
    "    - {name: opening, title: 开学季, from: 2026-08-31, to: 2026-09-13}\n"
    "    - {name: expo, title: 校庆, from: 2026-09-10, to: 2026-09-20}\n";

static void test_default_calendar(void **state)
{
    (void)state;
    hq_calendar *c = hq_calendar_default();
    assert_non_null(c);
    hq_day mon = D(2026, 9, 28);
    for (int i = 0; i < 7; i++)
        assert_int_equal(hq_cal_is_workday(c, mon + i), i < 5);
    assert_false(hq_cal_is_holiday(c, D(2026, 10, 1)));
    assert_true(hq_cal_is_workday(c, D(2026, 10, 1)));
    assert_false(hq_cal_in_vacation(c, D(2026, 8, 1)));
    assert_false(hq_cal_in_term(c, D(2026, 10, 1)));
    assert_false(hq_cal_has_period(c, "opening"));
    assert_false(hq_cal_in_period(c, "opening", D(2026, 9, 1)));
    int from, to;
    hq_cal_working_hours(c, &from, &to);
    assert_int_equal(from, 8 * 60);
    assert_int_equal(to, 17 * 60 + 30);
    hq_calendar_destroy(&c);
    assert_null(c);
    hq_calendar_destroy(&c); /* twice is harmless */
    hq_calendar_destroy(NULL);
}

static void test_holidays_and_makeup_days(void **state)
{
    (void)state;
    hq_calendar *c = cal_ok(CAL);
    /* the week of 2026-09-21 .. 2026-10-11 */
    struct {
        int m, d;
        bool holiday, workday;
    } want[] = {
        {9, 25, false, true},   /* Fri */
        {9, 26, false, false},  /* Sat */
        {9, 27, false, true},   /* Sun, make-up working day (调休) */
        {9, 28, false, true},   /* Mon */
        {9, 30, false, true},   /* Wed */
        {10, 1, true, false},   /* Thu, 国庆节 */
        {10, 3, true, false},   /* Sat, 国庆节 */
        {10, 5, true, false},   /* Mon, 国庆节 */
        {10, 7, true, false},   /* Wed, the last day of 国庆节 */
        {10, 8, false, true},   /* Thu */
        {10, 9, false, true},   /* Fri */
        {10, 10, false, true},  /* Sat, make-up working day */
        {10, 11, false, false}, /* Sun */
        {10, 12, false, true},  /* Mon */
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        hq_day day = D(2026, want[i].m, want[i].d);
        if (hq_cal_is_holiday(c, day) != want[i].holiday)
            fail_msg("2026-%02d-%02d: holiday %d", want[i].m, want[i].d, !want[i].holiday);
        if (hq_cal_is_workday(c, day) != want[i].workday)
            fail_msg("2026-%02d-%02d: workday %d", want[i].m, want[i].d, !want[i].workday);
    }
    /* a one-day holiday on a Friday */
    assert_true(hq_cal_is_holiday(c, D(2027, 1, 1)));
    assert_false(hq_cal_is_workday(c, D(2027, 1, 1)));
    assert_false(hq_cal_is_holiday(c, D(2026, 12, 31)));
    assert_false(hq_cal_is_holiday(c, D(2027, 1, 2)));
    int from, to;
    hq_cal_working_hours(c, &from, &to);
    assert_int_equal(from, 8 * 60 + 30);
    assert_int_equal(to, 17 * 60);
    hq_calendar_destroy(&c);
}

static void test_weekend_working_weekdays(void **state)
{
    (void)state;
    /* a canteen calendar that works Monday to Saturday */
    hq_calendar *c = cal_ok("calendar:\n  weekdays: [sat, mon, tue, wed, thu, fri]\n");
    hq_day mon = D(2026, 11, 30);
    for (int i = 0; i < 7; i++)
        assert_int_equal(hq_cal_is_workday(c, mon + i), i < 6);
    hq_calendar_destroy(&c);
    /* no working weekdays at all: only make-up days work */
    c = cal_ok("calendar:\n  weekdays: []\n  workdays: [2026-12-02]\n");
    for (int i = 0; i < 7; i++)
        assert_int_equal(hq_cal_is_workday(c, mon + i), i == 2);
    hq_calendar_destroy(&c);
}

static void test_terms_vacations_periods(void **state)
{
    (void)state;
    hq_calendar *c = cal_ok(CAL);
    /* terms: inclusive at both ends */
    assert_false(hq_cal_in_term(c, D(2026, 9, 6)));
    assert_true(hq_cal_in_term(c, D(2026, 9, 7)));
    assert_true(hq_cal_in_term(c, D(2026, 12, 31)));
    assert_true(hq_cal_in_term(c, D(2027, 1, 17)));
    assert_false(hq_cal_in_term(c, D(2027, 1, 18)));
    assert_false(hq_cal_in_term(c, D(2027, 2, 21)));
    assert_true(hq_cal_in_term(c, D(2027, 2, 22)));
    /* vacations */
    assert_false(hq_cal_in_vacation(c, D(2027, 1, 17)));
    assert_true(hq_cal_in_vacation(c, D(2027, 1, 18)));
    assert_true(hq_cal_in_vacation(c, D(2027, 2, 1)));
    assert_true(hq_cal_in_vacation(c, D(2027, 2, 21)));
    assert_false(hq_cal_in_vacation(c, D(2027, 2, 22)));
    /* a vacation day is neither a holiday nor, by itself, a non-working day */
    assert_false(hq_cal_is_holiday(c, D(2027, 1, 20)));
    assert_true(hq_cal_is_workday(c, D(2027, 1, 20)));
    /* periods, overlapping each other */
    assert_true(hq_cal_has_period(c, "opening"));
    assert_true(hq_cal_has_period(c, "expo"));
    assert_false(hq_cal_has_period(c, "graduation"));
    assert_false(hq_cal_has_period(c, "开学季")); /* the title is not the name */
    assert_false(hq_cal_in_period(c, "opening", D(2026, 8, 30)));
    assert_true(hq_cal_in_period(c, "opening", D(2026, 8, 31)));
    assert_true(hq_cal_in_period(c, "opening", D(2026, 9, 13)));
    assert_false(hq_cal_in_period(c, "opening", D(2026, 9, 14)));
    assert_true(hq_cal_in_period(c, "expo", D(2026, 9, 12)));
    assert_true(hq_cal_in_period(c, "opening", D(2026, 9, 12)));
    assert_true(hq_cal_in_period(c, "expo", D(2026, 9, 20)));
    assert_false(hq_cal_in_period(c, "expo", D(2026, 9, 21)));
    assert_false(hq_cal_in_period(c, "graduation", D(2026, 9, 12)));
    hq_calendar_destroy(&c);
}

static void test_range_month_and_term(void **state)
{
    (void)state;
    hq_calendar *c = cal_ok(CAL);
    hq_day from = 0, to = 0;
    assert_true(hq_cal_range(c, "2026-09", &from, &to));
    assert_int_equal(from, D(2026, 9, 1));
    assert_int_equal(to, D(2026, 9, 30));
    assert_true(hq_cal_range(c, "2026-02", &from, &to));
    assert_int_equal(to - from + 1, 28);
    assert_true(hq_cal_range(c, "2024-02", &from, &to));
    assert_int_equal(to, D(2024, 2, 29));
    assert_true(hq_cal_range(c, "2026-12", &from, &to));
    assert_int_equal(from, D(2026, 12, 1));
    assert_int_equal(to, D(2026, 12, 31));
    assert_true(hq_cal_range(c, "2027-01", &from, &to));
    assert_int_equal(to, D(2027, 1, 31));
    assert_true(hq_cal_range(c, "2026-autumn", &from, &to));
    assert_int_equal(from, D(2026, 9, 7));
    assert_int_equal(to, D(2027, 1, 17));
    assert_true(hq_cal_range(c, "2027-spring", &from, &to));
    assert_int_equal(from, D(2027, 2, 22));
    assert_int_equal(to, D(2027, 7, 4));
    static const char *const bad[] = {"2026-13", "2026-00", "2026-9", "2026-09-01", "2026", "2025-autumn", "",
                                      "opening", "寒假"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        from = to = 4242;
        if (hq_cal_range(c, bad[i], &from, &to))
            fail_msg("\"%s\" is a range: %d..%d", bad[i], from, to);
    }
    hq_calendar_destroy(&c);
}

/* ---- local instants ---- */

static void test_local_instants_shanghai(void **state)
{
    (void)state;
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);
    hq_day day = D(2026, 9, 1);
    /* UTC+8 all year, no DST */
    assert_int_equal(hq_local_instant_ms(day, 18 * 60), utc_ms(2026, 9, 1, 10, 0));
    assert_int_equal(hq_local_instant_ms(day, 0), utc_ms(2026, 8, 31, 16, 0));
    assert_int_equal(hq_local_instant_ms(day, 24 * 60), hq_local_instant_ms(day + 1, 0));
    assert_int_equal(hq_local_instant_ms(D(2026, 1, 15), 12 * 60), utc_ms(2026, 1, 15, 4, 0));
    assert_int_equal(hq_local_instant_ms(D(2026, 7, 15), 12 * 60), utc_ms(2026, 7, 15, 4, 0));
    /* every day of 2026 has 24 hours */
    for (hq_day d = D(2026, 1, 1); d < D(2027, 1, 1); d++)
        if (hq_local_instant_ms(d + 1, 0) - hq_local_instant_ms(d, 0) != DAY_MS)
            fail_msg("day %d is not 24 hours long in Asia/Shanghai", d);
    /* the local day of an instant: 16:00 UTC is already tomorrow */
    assert_int_equal(hq_local_day(utc_ms(2026, 8, 31, 15, 59)), D(2026, 8, 31));
    assert_int_equal(hq_local_day(utc_ms(2026, 8, 31, 16, 0)), D(2026, 9, 1));
    assert_int_equal(hq_local_day(utc_ms(2026, 12, 31, 16, 0)), D(2027, 1, 1));
    assert_int_equal(hq_local_day(hq_local_instant_ms(day, 23 * 60 + 59)), day);
    char buf[32];
    hq_local_fmt(utc_ms(2026, 9, 1, 10, 0), buf, sizeof buf);
    assert_string_equal(buf, "2026-09-01 18:00");
}

static void test_local_instants_berlin_dst(void **state)
{
    (void)state;
    assert_int_equal(hq_tz_set("Europe/Berlin"), 0);
    /* 2026-03-29: 02:00 CET -> 03:00 CEST (01:00 UTC) */
    hq_day spring = D(2026, 3, 29);
    assert_int_equal(hq_local_instant_ms(spring, 0), utc_ms(2026, 3, 28, 23, 0));
    assert_int_equal(hq_local_instant_ms(spring, 60 + 59), utc_ms(2026, 3, 29, 0, 59));
    assert_int_equal(hq_local_instant_ms(spring, 3 * 60), utc_ms(2026, 3, 29, 1, 0));
    assert_int_equal(hq_local_instant_ms(spring, 18 * 60), utc_ms(2026, 3, 29, 16, 0));
    /* the 23-hour day */
    assert_int_equal(hq_local_instant_ms(spring + 1, 0) - hq_local_instant_ms(spring, 0), 23 * HOUR_MS);
    /* a slot at 02:30, a time that does not exist that day: an instant after
     * 01:59 CET and no later than 03:30 CEST, on that local day */
    int64_t t = hq_local_instant_ms(spring, 2 * 60 + 30);
    assert_true(t > hq_local_instant_ms(spring, 60 + 59));
    assert_true(t >= utc_ms(2026, 3, 29, 1, 0));
    assert_true(t <= utc_ms(2026, 3, 29, 1, 30));
    assert_int_equal(hq_local_day(t), spring);
    /* the day before and the day after are plain +1 days */
    assert_int_equal(hq_local_instant_ms(spring - 1, 18 * 60), utc_ms(2026, 3, 28, 17, 0));
    assert_int_equal(hq_local_instant_ms(spring + 1, 18 * 60), utc_ms(2026, 3, 30, 16, 0));

    /* 2026-10-25: 03:00 CEST -> 02:00 CET: the 25-hour day */
    hq_day fall = D(2026, 10, 25);
    assert_int_equal(hq_local_instant_ms(fall + 1, 0) - hq_local_instant_ms(fall, 0), 25 * HOUR_MS);
    assert_int_equal(hq_local_instant_ms(fall, 0), utc_ms(2026, 10, 24, 22, 0));
    assert_int_equal(hq_local_instant_ms(fall, 18 * 60), utc_ms(2026, 10, 25, 17, 0));
    assert_int_equal(hq_local_instant_ms(fall - 1, 18 * 60), utc_ms(2026, 10, 24, 16, 0));
    /* "by 18:00" two days running is 25 hours apart across the change */
    assert_int_equal(hq_local_instant_ms(fall, 18 * 60) - hq_local_instant_ms(fall - 1, 18 * 60), 25 * HOUR_MS);
    /* 02:30 happens twice; either is acceptable, nothing else */
    t = hq_local_instant_ms(fall, 2 * 60 + 30);
    assert_true(t == utc_ms(2026, 10, 25, 0, 30) || t == utc_ms(2026, 10, 25, 1, 30));
    assert_int_equal(hq_local_day(t), fall);
    /* the local day of the instants of the repeated hour */
    assert_int_equal(hq_local_day(utc_ms(2026, 10, 25, 0, 30)), fall);
    assert_int_equal(hq_local_day(utc_ms(2026, 10, 25, 1, 30)), fall);
    assert_int_equal(hq_local_day(utc_ms(2026, 10, 25, 22, 59)), fall);
    assert_int_equal(hq_local_day(utc_ms(2026, 10, 25, 23, 0)), fall + 1);
    char buf[32];
    hq_local_fmt(utc_ms(2026, 10, 25, 17, 0), buf, sizeof buf);
    assert_string_equal(buf, "2026-10-25 18:00");
    hq_local_fmt(utc_ms(2026, 10, 24, 16, 0), buf, sizeof buf);
    assert_string_equal(buf, "2026-10-24 18:00");
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);
}

static void test_local_instants_new_york_dst(void **state)
{
    (void)state;
    assert_int_equal(hq_tz_set("America/New_York"), 0);
    /* 2026-03-08: 02:00 EST -> 03:00 EDT (07:00 UTC) */
    hq_day spring = D(2026, 3, 8);
    assert_int_equal(hq_local_instant_ms(spring, 60), utc_ms(2026, 3, 8, 6, 0));
    assert_int_equal(hq_local_instant_ms(spring, 3 * 60), utc_ms(2026, 3, 8, 7, 0));
    assert_int_equal(hq_local_instant_ms(spring, 12 * 60), utc_ms(2026, 3, 8, 16, 0));
    assert_int_equal(hq_local_instant_ms(spring + 1, 0) - hq_local_instant_ms(spring, 0), 23 * HOUR_MS);
    int64_t t = hq_local_instant_ms(spring, 2 * 60 + 30);
    assert_true(t > hq_local_instant_ms(spring, 60 + 59) && t <= utc_ms(2026, 3, 8, 7, 30));
    assert_int_equal(hq_local_day(t), spring);
    /* 2026-11-01: 02:00 EDT -> 01:00 EST */
    hq_day fall = D(2026, 11, 1);
    assert_int_equal(hq_local_instant_ms(fall + 1, 0) - hq_local_instant_ms(fall, 0), 25 * HOUR_MS);
    assert_int_equal(hq_local_instant_ms(fall, 18 * 60), utc_ms(2026, 11, 1, 23, 0));
    assert_int_equal(hq_local_instant_ms(fall - 1, 18 * 60), utc_ms(2026, 10, 31, 22, 0));
    assert_int_equal(hq_local_day(utc_ms(2026, 11, 2, 4, 59)), fall);
    assert_int_equal(hq_local_day(utc_ms(2026, 11, 2, 5, 0)), fall + 1);
    assert_int_equal(hq_tz_set("Asia/Shanghai"), 0);
}

static void test_tz_set_refuses_unknown_zones(void **state)
{
    (void)state;
    assert_int_equal(hq_tz_set("Mars/Olympus_Mons"), HQ_EINVAL);
    assert_int_equal(hq_tz_set(""), HQ_EINVAL);
    assert_int_equal(hq_tz_set(NULL), HQ_EINVAL);
    assert_int_equal(hq_tz_set("../../etc/passwd"), HQ_EINVAL);
    /* still Shanghai after the refusals */
    assert_int_equal(hq_local_instant_ms(D(2026, 9, 1), 18 * 60), utc_ms(2026, 9, 1, 10, 0));
}

/* ---- calendar YAML errors: file:line:column ---- */

static void test_error_date_that_does_not_exist(void **state)
{
    (void)state;
    cal_errors("calendar:\n"
               "  holidays:\n"
               "    - {name: x, from: 2026-02-30, to: 2026-03-02}\n",
               "cal.yaml:3:23: expected a date like 2026-09-01, got 2026-02-30", NULL);
    cal_errors("calendar:\n"
               "  workdays: [2026-09-27, 2026-09-31]\n",
               "cal.yaml:2:26: expected a date like 2026-09-01, got 2026-09-31", NULL);
    cal_errors("calendar:\n"
               "  terms:\n"
               "    - name: t\n"
               "      from: 2026-09-07\n"
               "      to: 2027-02-29\n",
               "cal.yaml:5:11: expected a date like 2026-09-01, got 2027-02-29", NULL);
    cal_errors("calendar:\n"
               "  vacations: [{from: 2026-7-5, to: 2026-08-29}]\n",
               "cal.yaml:2:22: expected a date like 2026-09-01, got 2026-7-5", NULL);
}

static void test_error_period_ends_before_it_starts(void **state)
{
    (void)state;
    cal_errors("calendar:\n"
               "  periods:\n"
               "    - {name: opening, from: 2026-08-31, to: 2026-09-13}\n"
               "    - {name: graduation, from: 2027-07-04, to: 2027-06-14}\n",
               "cal.yaml:4:48: period: ends before it starts", NULL);
    cal_errors("calendar:\n"
               "  terms:\n"
               "    - {name: t, from: 2026-09-07, to: 2026-09-06}\n",
               "cal.yaml:3:39: term: ends before it starts", NULL);
    /* one day (from == to) is fine */
    hq_calendar *c = cal_ok("calendar:\n  periods: [{name: expo, from: 2026-10-20, to: 2026-10-20}]\n");
    assert_true(hq_cal_in_period(c, "expo", D(2026, 10, 20)));
    assert_false(hq_cal_in_period(c, "expo", D(2026, 10, 21)));
    hq_calendar_destroy(&c);
}

static void test_error_unknown_weekday(void **state)
{
    (void)state;
    cal_errors("calendar:\n"
               "  weekdays: [mon, tue, wednesday, thu, fri]\n",
               "cal.yaml:2:24: unknown weekday (mon, tue, wed, thu, fri, sat, sun)", NULL);
    cal_errors("calendar:\n"
               "  weekdays:\n"
               "    - mon\n"
               "    - Fri\n",
               "cal.yaml:4:7: unknown weekday (mon, tue, wed, thu, fri, sat, sun)", NULL);
    cal_errors("calendar:\n"
               "  weekdays: mon-fri\n",
               "cal.yaml:2:13: weekdays: expected a list like [mon, tue, wed, thu, fri]", NULL);
}

static void test_error_makeup_day_is_a_holiday(void **state)
{
    (void)state;
    cal_errors("calendar:\n"
               "  workdays: [2026-09-27, 2026-10-03]\n"
               "  holidays:\n"
               "    - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}\n",
               "cal.yaml:2:26: make-up working day is also a holiday", NULL);
}

static void test_error_duplicate_names(void **state)
{
    (void)state;
    cal_errors("calendar:\n"
               "  periods:\n"
               "    - {name: opening, from: 2026-08-31, to: 2026-09-13}\n"
               "    - {name: opening, from: 2027-02-20, to: 2027-03-05}\n",
               "cal.yaml:4:7: period \"opening\" is defined twice", NULL);
    cal_errors("calendar:\n"
               "  terms:\n"
               "    - name: 2026-autumn\n"
               "      from: 2026-09-07\n"
               "      to: 2027-01-17\n"
               "    - name: 2026-autumn\n"
               "      from: 2027-02-22\n"
               "      to: 2027-07-04\n",
               "cal.yaml:6:7: term \"2026-autumn\" is defined twice", NULL);
}

static void test_error_other_mistakes(void **state)
{
    (void)state;
    /* an unknown key, named with its position */
    cal_errors("calendar:\n"
               "  weekdays: [mon]\n"
               "  holiday: []\n",
               "cal.yaml:3:3: unknown key \"holiday\" (expected one of: weekdays, working_hours, holidays, workdays, "
               "terms, vacations, periods)",
               NULL);
    /* an unknown key inside an entry */
    cal_errors("calendar:\n"
               "  periods:\n"
               "    - {name: opening, start: 2026-08-31, to: 2026-09-13}\n",
               "cal.yaml:3:23: unknown key \"start\" (expected one of: name, title, from, to)", NULL);
    /* working hours that end before they start */
    cal_errors("calendar:\n"
               "  working_hours: \"17:30-08:00\"\n",
               "cal.yaml:2:18: working_hours: expected \"08:00-17:30\" (the end after the start)", NULL);
    /* a period without a name */
    cal_errors("calendar:\n"
               "  periods:\n"
               "    - {from: 2026-08-31, to: 2026-09-13}\n",
               "cal.yaml:3:7: period: each entry needs a name", NULL);
    /* several mistakes: every one is reported, in file order by section */
    cal_errors("calendar:\n"
               "  weekdays: [mon, tue, wed, thu, fri, sa]\n"
               "  holidays:\n"
               "    - {name: x, from: 2026-10-01, to: 2026-13-07}\n",
               "cal.yaml:2:39: unknown weekday (mon, tue, wed, thu, fri, sat, sun)",
               "cal.yaml:4:39: expected a date like 2026-09-01, got 2026-13-07", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_day_numbers),
        cmocka_unit_test(test_month_and_year_ends),
        cmocka_unit_test(test_round_trip_every_day),
        cmocka_unit_test(test_weekdays_and_week_boundaries),
        cmocka_unit_test(test_parse_dates_and_times),
        cmocka_unit_test(test_parse_rejects_signs_and_blanks),
        cmocka_unit_test(test_default_calendar),
        cmocka_unit_test(test_holidays_and_makeup_days),
        cmocka_unit_test(test_weekend_working_weekdays),
        cmocka_unit_test(test_terms_vacations_periods),
        cmocka_unit_test(test_range_month_and_term),
        cmocka_unit_test(test_local_instants_shanghai),
        cmocka_unit_test(test_local_instants_berlin_dst),
        cmocka_unit_test(test_local_instants_new_york_dst),
        cmocka_unit_test(test_tz_set_refuses_unknown_zones),
        cmocka_unit_test(test_error_date_that_does_not_exist),
        cmocka_unit_test(test_error_period_ends_before_it_starts),
        cmocka_unit_test(test_error_unknown_weekday),
        cmocka_unit_test(test_error_makeup_day_is_a_holiday),
        cmocka_unit_test(test_error_duplicate_names),
        cmocka_unit_test(test_error_other_mistakes),
    };
    return cmocka_run_group_tests(tests, set_shanghai, NULL);
}
