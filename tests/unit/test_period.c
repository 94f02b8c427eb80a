/* test_period.c - local days, months and periods (lib/period.c), as a
 * specification.  Days are days of the configured zone (Asia/Shanghai,
 * UTC+8, no summer time), never of UTC; periods are half-open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "period.h"

/* 2026-09-01 00:00 in Shanghai is 2026-08-31 16:00 UTC. */
#define SEP1_2026 1788192000000LL
#define DAY 86400000LL

static int setup(void **state)
{
    (void)state;
    return hq_tz_set("Asia/Shanghai");
}

static void test_a_date_is_a_local_day(void **state)
{
    (void)state;
    int64_t from, to;
    hq_err err;
    assert_int_equal(hq_date_parse("2026-09-01", &from, &to, &err), 0);
    assert_int_equal(from, SEP1_2026);
    assert_int_equal(to, SEP1_2026 + DAY);
    assert_int_equal(hq_local_midnight(2026, 9, 1), SEP1_2026);
    /* leap days exist in leap years only */
    assert_int_equal(hq_date_parse("2036-02-29", &from, NULL, &err), 0);
    assert_int_equal(hq_date_parse("2026-02-29", &from, NULL, &err), HQ_EINVAL);
    assert_string_equal(err.msg, "no such date: \"2026-02-29\"");
}

static void test_bad_dates_are_refused_with_one_line(void **state)
{
    (void)state;
    static const char *const bad[] = {"2026-9-1", "2026/09/01", "20260901", "2026-13-01", "2026-00-10",
                                      "2026-04-31", "2026-09-01x", " 2026-09-01", "", "yesterday", "1969-12-31"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t f;
        hq_err err = {0};
        assert_int_equal(hq_date_parse(bad[i], &f, NULL, &err), HQ_EINVAL);
        assert_null(strchr(err.msg, '\n'));
        assert_true(strlen(err.msg) > 0);
    }
    hq_err err;
    int64_t f;
    hq_date_parse("2026-9-1", &f, NULL, &err);
    assert_string_equal(err.msg, "expected a date like 2026-09-01, got \"2026-9-1\"");
}

static void test_months_and_day_ranges(void **state)
{
    (void)state;
    hq_period p;
    hq_err err;
    assert_int_equal(hq_month_parse("2026-09", &p, &err), 0);
    assert_int_equal(p.from_ms, SEP1_2026);
    assert_int_equal(p.to_ms, SEP1_2026 + 30 * DAY);
    assert_string_equal(p.id, "2026-09");
    assert_int_equal(hq_month_parse("2026-12", &p, &err), 0);
    assert_int_equal(p.to_ms, hq_local_midnight(2027, 1, 1));
    assert_int_equal(hq_month_parse("2026-13", &p, &err), HQ_EINVAL);
    assert_int_equal(hq_month_parse("2026-9", &p, &err), HQ_EINVAL);
    /* from..to, both days included */
    assert_int_equal(hq_days_period("2026-09-01", "2026-09-30", &p, &err), 0);
    assert_int_equal(p.from_ms, SEP1_2026);
    assert_int_equal(p.to_ms, SEP1_2026 + 30 * DAY);
    assert_int_equal(hq_days_period("2026-09-01", "2026-09-01", &p, &err), 0);
    assert_int_equal(p.to_ms - p.from_ms, DAY);
    assert_int_equal(hq_days_period("2026-09-02", "2026-09-01", &p, &err), HQ_EINVAL);
    /* one side open */
    assert_int_equal(hq_days_period(NULL, "2026-09-01", &p, &err), 0);
    assert_int_equal(p.from_ms, INT64_MIN);
}

static void test_formatting(void **state)
{
    (void)state;
    char b[32];
    hq_local_date(SEP1_2026, b, sizeof b);
    assert_string_equal(b, "2026-09-01");
    hq_local_date(SEP1_2026 - 1, b, sizeof b);
    assert_string_equal(b, "2026-08-31");
    hq_local_date_zh(SEP1_2026 + 10 * 3600000, b, sizeof b);
    assert_string_equal(b, "2026年09月01日");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_date_is_a_local_day),
        cmocka_unit_test(test_bad_dates_are_refused_with_one_line),
        cmocka_unit_test(test_months_and_day_ranges),
        cmocka_unit_test(test_formatting),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
