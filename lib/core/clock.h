/* clock.h - the daemon's notion of now.
 *
 * A real clock reads CLOCK_REALTIME.  A manual clock only moves when told
 * (hq_clock_set, hq_clock_advance), so that tests and backtests run weeks of
 * timers in milliseconds.  Times are ms since the Unix epoch; days, hours and
 * "by 18:00" are a calendar's business (see calendar.h), never UTC's.
 */
#ifndef HQ_CLOCK_H
#define HQ_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Exact durations in milliseconds (calendar days with their time zone and
 * working time are calendar.h's). */
#define HQ_MINUTE_MS 60000LL
#define HQ_HOUR_MS 3600000LL
#define HQ_DAY_MS 86400000LL

typedef struct hq_clock {
    int manual;       /* 0: real time, 1: manual */
    int64_t now_ms;   /* the manual clock's time */
} hq_clock;

void hq_clock_init_real(hq_clock *c);
void hq_clock_init_manual(hq_clock *c, int64_t start_ms);
int64_t hq_clock_now_ms(const hq_clock *c);
/* Manual clocks only; a real clock ignores these and returns HQ_ESTATE.
 * Time never goes backwards: set to an earlier time is HQ_EINVAL. */
int hq_clock_set(hq_clock *c, int64_t ms);
int hq_clock_advance(hq_clock *c, int64_t ms);

/* The wall clock and a monotonic clock, in ms, for programs. */
int64_t hq_wall_ms(void);
int64_t hq_mono_ms(void);
uint64_t hq_mono_ns(void);

/* Local time in the configured zone (Asia/Shanghai unless set).  Sets TZ
 * for the process: call once at start-up, before any other thread runs.
 * HQ_EINVAL if the zone is not in the system's tz database. */
int hq_tz_set(const char *zone);
/* Broken-down local time of ms. */
void hq_local_tm(int64_t ms, struct tm *out);
/* "2026-11-27 21:00" in local time. */
void hq_local_fmt(int64_t ms, char *buf, size_t size);

#endif
