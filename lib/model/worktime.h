/* worktime.h - durations counted in working time on the calendar:
 * "3 workdays" (三个工作日内) and "8 working hours", for deadlines,
 * reminders (ack_within, recheck after) and escalation delays.
 *
 * A duration of a rule is one int64 (hq_wdur), so that a plan and an
 * issue record keep one integer per duration and stored issues stay
 * readable:
 *
 *   0 .. 2^59          exact milliseconds (what "48h" gives)
 *   HQ_WDUR_MINUTES|n  n working minutes ("8 working hours" is 480)
 *   HQ_WDUR_DAYS|n     n working days
 *
 * Exact durations never reach 2^59 (the duration grammar stops at about
 * 7 * 10^16 ms), and the tags keep every duration positive, so "> 0"
 * still means "set".  Read a duration only through these functions.
 *
 * Counting (hq_wdur_add), in the calendar's zone (the process TZ):
 * - a working day is hq_cal_is_workday(): a working weekday that is not a
 *   holiday, or a make-up working day (调休);
 * - n workdays from an instant: the n-th working day after the instant's
 *   own day, at the end of working hours (opened Friday 16:00 with
 *   "3 workdays": due Wednesday 17:30; the day of opening never counts,
 *   as in 三个工作日内 counted from the day after receipt);
 * - n working minutes: time inside working hours on working days,
 *   starting at the instant (or at the next opening when outside them);
 *   a count that ends exactly at a closing time is due at that closing
 *   (Friday 16:00 + 8 working hours with 08:00-17:30: 1.5 h on Friday,
 *   6.5 h on Monday, due Monday 14:30).
 * A calendar with no working day within 20 years counts in exact time
 * instead (documented, never reached with a real calendar).
 */
#ifndef HQ_WORKTIME_H
#define HQ_WORKTIME_H

#include "calendar.h"
#include "err.h"
#include "ytree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t hq_wdur;

#define HQ_WDUR_MINUTES (INT64_C(1) << 60)
#define HQ_WDUR_DAYS (INT64_C(1) << 61)
#define HQ_WDUR_COUNT_MASK ((INT64_C(1) << 40) - 1)

typedef enum { HQ_WDUR_EXACT, HQ_WDUR_WORK_MINUTES, HQ_WDUR_WORK_DAYS } hq_wdur_kind;

hq_wdur_kind hq_wdur_kind_of(hq_wdur d);
/* The count of its kind: ms, working minutes or working days. */
int64_t hq_wdur_count(hq_wdur d);
hq_wdur hq_wdur_work_minutes(int64_t minutes);
hq_wdur hq_wdur_workdays(int64_t days);

/* from_ms + d, counted on c for working time (see above). */
int64_t hq_wdur_add(const hq_calendar *c, hq_wdur d, int64_t from_ms);

/* "3 workdays", "1 workday", "3 working days", "8 working hours",
 * "30 working minutes", or an exact duration (hq_parse_duration_ms).
 * Whole numbers only.  0 or HQ_EINVAL. */
int hq_wdur_parse(const char *s, hq_wdur *out);
/* The YAML reader: 0, or HQ_EINVAL after a diagnostic that shows both
 * grammars. */
int hq_yget_wdur(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, hq_wdur *out);

/* For people: "3 个工作日", "8 个工作小时", "90 分钟", "48 小时", "2 天". */
void hq_wdur_format(hq_wdur d, char *buf, size_t size);

#endif
