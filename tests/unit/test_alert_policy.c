/* test_alert_policy.c - the time arithmetic of alert policies
 * (lib/alert_policy.c), as a specification.  Times are in Asia/Shanghai
 * (UTC+8, no daylight saving), the zone of the shipped organisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert_policy.h"
#include "clock.h"
#include "hq_test.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* 2030-03-11 00:00 Asia/Shanghai, a Monday. */
static const int64_t MON = 1899388800000LL;

static int64_t at(int day, int hh, int mm)
{
    return MON + day * DAY + hh * HOUR + mm * MIN;
}

static const hq_hours office = {.days = 0x3e, .from_min = 8 * 60, .to_min = 18 * 60}; /* Mon-Fri 08-18 */

static void monday_is_monday(void **state)
{
    (void)state;
    struct tm tm;
    hq_local_tm(MON, &tm);
    assert_int_equal(tm.tm_wday, 1);
    assert_int_equal(tm.tm_hour, 0);
}

static void inside_working_hours_is_now(void **state)
{
    (void)state;
    assert_true(hq_hours_open(&office, at(0, 8, 0)));
    assert_true(hq_hours_open(&office, at(0, 17, 59)));
    assert_false(hq_hours_open(&office, at(0, 18, 0)));
    assert_int_equal(hq_hours_next_open(&office, at(2, 12, 34)), at(2, 12, 34));
}

static void before_opening_waits_for_today(void **state)
{
    (void)state;
    assert_int_equal(hq_hours_next_open(&office, at(0, 7, 0)), at(0, 8, 0));
    assert_int_equal(hq_hours_next_open(&office, at(0, 0, 0)), at(0, 8, 0));
}

static void evening_and_weekend_wait_for_the_next_working_day(void **state)
{
    (void)state;
    assert_int_equal(hq_hours_next_open(&office, at(0, 22, 0)), at(1, 8, 0));  /* Mon 22:00 -> Tue */
    assert_int_equal(hq_hours_next_open(&office, at(4, 18, 30)), at(7, 8, 0)); /* Fri -> Mon */
    assert_int_equal(hq_hours_next_open(&office, at(5, 10, 0)), at(7, 8, 0));  /* Sat -> Mon */
    assert_int_equal(hq_hours_next_open(&office, at(6, 23, 59)), at(7, 8, 0)); /* Sun -> Mon */
}

static void always_and_single_days(void **state)
{
    (void)state;
    hq_hours always = {.always = true};
    assert_true(hq_hours_open(&always, at(6, 3, 0)));
    assert_int_equal(hq_hours_next_open(&always, at(6, 3, 0)), at(6, 3, 0));
    hq_hours sunday = {.days = 0x01, .from_min = 9 * 60, .to_min = 10 * 60};
    assert_int_equal(hq_hours_next_open(&sunday, at(0, 9, 30)), at(6, 9, 0));
    assert_int_equal(hq_hours_next_open(&sunday, at(6, 10, 0)), at(13, 9, 0));
}

static void digests_close_every_interval_from_midnight(void **state)
{
    (void)state;
    assert_int_equal(hq_digest_due(at(0, 9, 10), 4 * HOUR), at(0, 12, 0));
    assert_int_equal(hq_digest_due(at(0, 11, 59), 4 * HOUR), at(0, 12, 0));
    assert_int_equal(hq_digest_due(at(0, 12, 0), 4 * HOUR), at(0, 16, 0)); /* always later than now */
    assert_int_equal(hq_digest_due(at(0, 23, 30), 4 * HOUR), at(1, 0, 0));
    assert_int_equal(hq_digest_due(at(0, 0, 5), 15 * MIN), at(0, 0, 15));
}

static void backoff_doubles_up_to_the_cap(void **state)
{
    (void)state;
    assert_int_equal(hq_retry_backoff_ms(100, 1000, 1, 0), 100);
    assert_int_equal(hq_retry_backoff_ms(100, 1000, 2, 0), 200);
    assert_int_equal(hq_retry_backoff_ms(100, 1000, 3, 0), 400);
    assert_int_equal(hq_retry_backoff_ms(100, 1000, 4, 0), 800);
    assert_int_equal(hq_retry_backoff_ms(100, 1000, 5, 0), 1000);
    assert_int_equal(hq_retry_backoff_ms(100, 1000, 1000, 0), 1000);
    /* jitter: up to a tenth on top */
    assert_int_equal(hq_retry_backoff_ms(100, 1000, 1, 100), 110);
    assert_int_equal(hq_retry_backoff_ms(30000, 1800000, 30, 50), 1890000);
}

static void rate_limit_is_a_sliding_window(void **state)
{
    (void)state;
    hq_rate r;
    hq_rate_init(&r);
    assert_int_equal(hq_rate_next_ms(&r, 3, 1000, 0), 0);
    hq_rate_note(&r, 3, 0);
    hq_rate_note(&r, 3, 100);
    assert_int_equal(hq_rate_next_ms(&r, 3, 1000, 200), 200); /* two of three used */
    hq_rate_note(&r, 3, 200);
    assert_int_equal(hq_rate_next_ms(&r, 3, 1000, 300), 1000); /* full: the first leaves at 1000 */
    assert_int_equal(hq_rate_next_ms(&r, 3, 1000, 1000), 1000);
    hq_rate_note(&r, 3, 1000);
    assert_int_equal(hq_rate_next_ms(&r, 3, 1000, 1050), 1100); /* now the one at 100 is the oldest */
    /* no limit */
    assert_int_equal(hq_rate_next_ms(&r, 0, 1000, 5), 5);
    assert_int_equal(hq_rate_next_ms(&r, 3, 0, 5), 5);
    /* a changed max resizes the ring and keeps the newest sends */
    hq_rate_note(&r, 2, 1200);
    assert_int_equal(r.cap, 2);
    assert_int_equal(hq_rate_next_ms(&r, 2, 1000, 1300), 2000);
    hq_rate_fini(&r);
}

int main(void)
{
    if (hq_tz_set("Asia/Shanghai") != 0) {
        fprintf(stderr, "no Asia/Shanghai in the tz database\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(monday_is_monday),
        cmocka_unit_test(inside_working_hours_is_now),
        cmocka_unit_test(before_opening_waits_for_today),
        cmocka_unit_test(evening_and_weekend_wait_for_the_next_working_day),
        cmocka_unit_test(always_and_single_days),
        cmocka_unit_test(digests_close_every_interval_from_midnight),
        cmocka_unit_test(backoff_doubles_up_to_the_cap),
        cmocka_unit_test(rate_limit_is_a_sliding_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
