#include "worktime.h"

#include <stdio.h>
#include <string.h>

#define MIN_MS 60000LL
/* How far the counting looks for working time before it gives up. */
#define MAX_DAYS_SCANNED (20 * 366)

hq_wdur_kind hq_wdur_kind_of(hq_wdur d)
{
    if (d > 0 && (d & HQ_WDUR_DAYS))
        return HQ_WDUR_WORK_DAYS;
    if (d > 0 && (d & HQ_WDUR_MINUTES))
        return HQ_WDUR_WORK_MINUTES;
    return HQ_WDUR_EXACT;
}

int64_t hq_wdur_count(hq_wdur d)
{
    return hq_wdur_kind_of(d) == HQ_WDUR_EXACT ? d : d & HQ_WDUR_COUNT_MASK;
}

hq_wdur hq_wdur_work_minutes(int64_t minutes)
{
    return HQ_WDUR_MINUTES | (minutes & HQ_WDUR_COUNT_MASK);
}

hq_wdur hq_wdur_workdays(int64_t days)
{
    return HQ_WDUR_DAYS | (days & HQ_WDUR_COUNT_MASK);
}

static int64_t add_workdays(const hq_calendar *c, int64_t n, int64_t from_ms)
{
    if (n <= 0)
        return from_ms;
    int from_min, to_min;
    hq_cal_working_hours(c, &from_min, &to_min);
    hq_day day = hq_local_day(from_ms);
    int64_t counted = 0;
    for (int i = 0; i < MAX_DAYS_SCANNED; i++) {
        day++;
        if (hq_cal_is_workday(c, day) && ++counted == n)
            return hq_local_instant_ms(day, to_min);
    }
    return from_ms + n * 86400000LL;
}

static int64_t add_work_minutes(const hq_calendar *c, int64_t minutes, int64_t from_ms)
{
    if (minutes <= 0)
        return from_ms;
    int from_min, to_min;
    hq_cal_working_hours(c, &from_min, &to_min);
    int64_t left = minutes * MIN_MS;
    hq_day day = hq_local_day(from_ms);
    for (int i = 0; i < MAX_DAYS_SCANNED; i++, day++) {
        if (!hq_cal_is_workday(c, day))
            continue;
        int64_t open = hq_local_instant_ms(day, from_min), close = hq_local_instant_ms(day, to_min);
        int64_t at = from_ms > open ? from_ms : open;
        if (at >= close)
            continue;
        if (close - at >= left)
            return at + left;
        left -= close - at;
    }
    return from_ms + minutes * MIN_MS;
}

int64_t hq_wdur_add(const hq_calendar *c, hq_wdur d, int64_t from_ms)
{
    switch (hq_wdur_kind_of(d)) {
    case HQ_WDUR_WORK_DAYS: return add_workdays(c, hq_wdur_count(d), from_ms);
    case HQ_WDUR_WORK_MINUTES: return add_work_minutes(c, hq_wdur_count(d), from_ms);
    case HQ_WDUR_EXACT: break;
    }
    return from_ms + d;
}

int hq_wdur_parse(const char *s, hq_wdur *out)
{
    static const struct {
        const char *unit;
        int kind; /* 'd' days, 'h' hours, 'm' minutes */
    } units[] = {{"workday", 'd'},       {"workdays", 'd'},      {"working day", 'd'},
                 {"working days", 'd'},  {"working hour", 'h'},  {"working hours", 'h'},
                 {"working minute", 'm'}, {"working minutes", 'm'}};
    const char *p = s;
    int64_t v = 0;
    if (*p < '0' || *p > '9')
        return HQ_EINVAL;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        if (v > 1000000)
            return HQ_EINVAL;
    }
    if (*p != ' ')
        return hq_parse_duration_ms(s, out);
    while (*p == ' ')
        p++;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (strcmp(p, units[i].unit))
            continue;
        if (v <= 0)
            return HQ_EINVAL;
        *out = units[i].kind == 'd'   ? hq_wdur_workdays(v)
               : units[i].kind == 'h' ? hq_wdur_work_minutes(v * 60)
                                      : hq_wdur_work_minutes(v);
        return 0;
    }
    return HQ_EINVAL;
}

int hq_yget_wdur(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, hq_wdur *out)
{
    if (n && n->type == HQ_Y_SCALAR && hq_wdur_parse(n->str, out) == 0)
        return 0;
    return hq_ywrong(d, doc, n,
                     "a duration like 30m, 48h, 7d, 1h30m, \"3 workdays\" or \"8 working hours\"", true);
}

void hq_wdur_format(hq_wdur d, char *buf, size_t size)
{
    int64_t n = hq_wdur_count(d);
    switch (hq_wdur_kind_of(d)) {
    case HQ_WDUR_WORK_DAYS: snprintf(buf, size, "%lld 个工作日", (long long)n); return;
    case HQ_WDUR_WORK_MINUTES:
        if (n % 60 == 0)
            snprintf(buf, size, "%lld 个工作小时", (long long)(n / 60));
        else
            snprintf(buf, size, "%lld 工作分钟", (long long)n);
        return;
    case HQ_WDUR_EXACT: break;
    }
    if (n % 86400000LL == 0 && n > 0)
        snprintf(buf, size, "%lld 天", (long long)(n / 86400000LL));
    else if (n % 3600000LL == 0)
        snprintf(buf, size, "%lld 小时", (long long)(n / 3600000LL));
    else
        snprintf(buf, size, "%lld 分钟", (long long)(n / MIN_MS));
}
