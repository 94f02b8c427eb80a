/* schedule.h - calendar-aware schedules of expected events (R6).
 *
 *   schedule:
 *     every: day                 # day | week | month | interval
 *     by: ["18:00"]              # day: deadlines within the day
 *     # week:     by: "mon 12:00"   (the window is the week up to then)
 *     # month:    by: ["15 18:00", "last 18:00"]   (day 1-28 or last)
 *     # interval: interval: 2h, between: "06:00-22:00"
 *     days: workdays             # all (default) | workdays
 *     suspend: [holidays, vacations]
 *     overrides:                 # named calendar periods change the times
 *       - {period: opening, by: ["12:00", "20:00"]}
 *
 * Each slot has a window [start, due]: an expected event inside it
 * satisfies the slot.  A day's first window starts at 00:00, later ones at
 * the previous deadline; a week's starts on Monday 00:00; a month's first
 * starts on its 1st at 00:00, later ones at the previous deadline; an
 * interval's is the interval before its deadline.
 */
#ifndef HQ_SCHEDULE_H
#define HQ_SCHEDULE_H

#include "calendar.h"
#include "err.h"
#include "ytree.h"

#include <stdint.h>

typedef struct hq_schedule hq_schedule;

typedef struct hq_slot {
    int64_t start_ms;
    int64_t due_ms;
} hq_slot;

hq_schedule *hq_schedule_parse(const hq_ydoc *doc, const hq_ynode *n, const hq_calendar *cal, hq_diags *d);
void hq_schedule_destroy(hq_schedule **s);
/* Calls fn for every slot whose deadline is in [from_ms, to_ms), in order.
 * fn returns nonzero to stop. */
void hq_schedule_slots(const hq_schedule *s, const hq_calendar *cal, int64_t from_ms, int64_t to_ms,
                       int (*fn)(void *ctx, const hq_slot *slot), void *ctx);
/* A short description for listings ("daily by 18:00"). */
const char *hq_schedule_describe(const hq_schedule *s);
/* The longest window a slot can have (a month's first window is the whole
 * month): slots must exist from their window's start, so whoever generates
 * them looks at least this far ahead. */
int64_t hq_schedule_span_ms(const hq_schedule *s);

#endif
