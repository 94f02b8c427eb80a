/* calendar.h - the academic calendar: working days, holidays and make-up
 * working days (调休), terms, vacations and named periods (开学季, 毕业季,
 * major events), in the configured time zone.
 *
 * Dates are civil dates in the calendar's zone; hq_day is a day number
 * (days since 1970-01-01 as a civil date, not as UTC instants), so date
 * arithmetic never touches time zones.  Converting a local date and time
 * to an instant uses the process TZ (hq_tz_set), DST included.
 *
 *   calendar:
 *     weekdays: [mon, tue, wed, thu, fri]      # working weekdays
 *     working_hours: "08:00-17:30"
 *     holidays: [{name: 国庆节, from: 2026-10-01, to: 2026-10-07}]
 *     workdays: [2026-10-10]                   # make-up working days
 *     terms: [{name: 2026-autumn, from: 2026-09-07, to: 2027-01-17}]
 *     vacations: [{name: 寒假, from: 2027-01-18, to: 2027-02-28}]
 *     periods: [{name: opening, title: 开学季, from: 2026-08-31, to: 2026-09-13}]
 */
#ifndef HQ_CALENDAR_H
#define HQ_CALENDAR_H

#include "err.h"
#include "ytree.h"

#include <stdbool.h>
#include <stdint.h>

typedef int32_t hq_day;

typedef struct hq_calendar hq_calendar;

/* Civil date <-> day number; weekday 0 = Monday .. 6 = Sunday. */
hq_day hq_day_from_civil(int y, int m, int d);
void hq_day_to_civil(hq_day day, int *y, int *m, int *d);
int hq_day_weekday(hq_day day);
/* "2026-09-01" -> day; false if not a valid date. */
bool hq_day_parse(const char *s, hq_day *out);
/* "18:00" -> minutes after midnight; false if not HH:MM. */
bool hq_minutes_parse(const char *s, int *out);

/* The instant of a local date and minute of day (process TZ). */
int64_t hq_local_instant_ms(hq_day day, int minute);
/* The local day of an instant. */
hq_day hq_local_day(int64_t ms);

/* Parses the `calendar:` mapping; problems go to diags. */
hq_calendar *hq_calendar_parse(const hq_ydoc *doc, const hq_ynode *n, hq_diags *d);
/* The default: Monday to Friday, 08:00-17:30, nothing else. */
hq_calendar *hq_calendar_default(void);
void hq_calendar_destroy(hq_calendar **c);

bool hq_cal_is_holiday(const hq_calendar *c, hq_day day);
/* A working day: a working weekday that is not a holiday, or a make-up day. */
bool hq_cal_is_workday(const hq_calendar *c, hq_day day);
bool hq_cal_in_vacation(const hq_calendar *c, hq_day day);
bool hq_cal_in_term(const hq_calendar *c, hq_day day);
/* Whether day is in the named period; false for an unknown name. */
bool hq_cal_in_period(const hq_calendar *c, const char *name, hq_day day);
bool hq_cal_has_period(const hq_calendar *c, const char *name);
/* Whether two named periods share a day. */
bool hq_cal_periods_overlap(const hq_calendar *c, const char *a, const char *b);
/* Working hours as minutes after midnight. */
void hq_cal_working_hours(const hq_calendar *c, int *from_min, int *to_min);
/* A term or month range: "2026-autumn" (a term's name) or "2026-09". */
bool hq_cal_range(const hq_calendar *c, const char *name, hq_day *from, hq_day *to);

#endif
