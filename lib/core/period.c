#include "period.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

int64_t hq_local_midnight(int y, int m, int d)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

int hq_date_parse(const char *s, int64_t *from_ms, int64_t *to_ms, hq_err *err)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) || !digits(s + 5, 2) ||
        !digits(s + 8, 2))
        return hq_err_set(err, HQ_EINVAL, "expected a date like 2026-09-01, got \"%.40s\"", s ? s : "");
    int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return hq_err_set(err, HQ_EINVAL, "no such date: \"%s\"", s);
    *from_ms = hq_local_midnight(y, m, d);
    if (to_ms)
        *to_ms = hq_local_midnight(y, m, d + 1);
    return 0;
}

int hq_month_parse(const char *s, hq_period *p, hq_err *err)
{
    if (!s || strlen(s) != 7 || s[4] != '-' || !digits(s, 4) || !digits(s + 5, 2))
        return hq_err_set(err, HQ_EINVAL, "expected a month like 2026-09, got \"%.40s\"", s ? s : "");
    int y = num(s, 4), m = num(s + 5, 2);
    if (y < 1970 || m < 1 || m > 12)
        return hq_err_set(err, HQ_EINVAL, "no such month: \"%s\"", s);
    p->from_ms = hq_local_midnight(y, m, 1);
    p->to_ms = hq_local_midnight(y, m + 1, 1);
    snprintf(p->id, sizeof p->id, "%s", s);
    return 0;
}

int hq_days_period(const char *from, const char *to, hq_period *p, hq_err *err)
{
    int64_t a = INT64_MIN, b = INT64_MAX, x;
    if (from && hq_date_parse(from, &a, NULL, err) != 0)
        return HQ_EINVAL;
    if (to && hq_date_parse(to, &x, &b, err) != 0)
        return HQ_EINVAL;
    if (a >= b)
        return hq_err_set(err, HQ_EINVAL, "the period ends (%s) before it starts (%s)", to, from);
    p->from_ms = a;
    p->to_ms = b;
    snprintf(p->id, sizeof p->id, "%s..%s", from ? from : "", to ? to : "");
    return 0;
}

void hq_local_date(int64_t ms, char *buf, size_t size)
{
    struct tm tm;
    hq_local_tm(ms, &tm);
    strftime(buf, size, "%Y-%m-%d", &tm);
}

void hq_local_date_zh(int64_t ms, char *buf, size_t size)
{
    struct tm tm;
    hq_local_tm(ms, &tm);
    snprintf(buf, size, "%04d年%02d月%02d日", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}
