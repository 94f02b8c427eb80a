/* period.h - calendar days, months and periods in local time.
 *
 * Staff give dates as YYYY-MM-DD and months as YYYY-MM; they mean days of
 * the configured zone (hq_tz_set; Asia/Shanghai unless set), never of UTC.
 * A period is the half-open range [from_ms, to_ms) of ms since the epoch:
 * the day 2026-09-30 is [2026-09-30 00:00, 2026-10-01 00:00) local time.
 *
 * Parsing is strict: the whole string, four-digit years 1970..9999, real
 * months and days (2026-02-30 is refused).  Errors are one line for err:
 * `expected a date like 2026-09-01, got "2026-9-1"`.
 */
#ifndef HQ_PERIOD_H
#define HQ_PERIOD_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hq_period {
    int64_t from_ms;   /* first ms of the period */
    int64_t to_ms;     /* first ms after it */
    char id[32];       /* how it was named: "2026-09", "2026-autumn", "2026-09-01..2026-09-30" */
} hq_period;

/* Local midnight of y-m-d (m 1..12); days past the month's end roll over,
 * as mktime does (2026-12-32 is 2027-01-01). */
int64_t hq_local_midnight(int y, int m, int d);

/* A date: *from_ms = its local midnight, *to_ms (may be NULL) = the next
 * day's.  HQ_EINVAL with a message otherwise. */
int hq_date_parse(const char *s, int64_t *from_ms, int64_t *to_ms, hq_err *err);
/* A month "2026-09": the period of its days. */
int hq_month_parse(const char *s, hq_period *p, hq_err *err);
/* Days from..to inclusive (either NULL: unbounded on that side). */
int hq_days_period(const char *from, const char *to, hq_period *p, hq_err *err);

/* "2026-09-01" for the local day of ms. */
void hq_local_date(int64_t ms, char *buf, size_t size);
/* "2026年09月01日" for the local day of ms. */
void hq_local_date_zh(int64_t ms, char *buf, size_t size);

#endif
