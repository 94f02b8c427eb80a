/* alert_policy.c - working hours, digest intervals, backoff, rate limits. */
#include "alert_policy.h"

#include "clock.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t local_ms(const struct tm *base, int add_days, int minute_of_day)
{
    struct tm t = *base;
    t.tm_mday += add_days;
    t.tm_hour = minute_of_day / 60;
    t.tm_min = minute_of_day % 60;
    t.tm_sec = 0;
    t.tm_isdst = -1;
    return (int64_t)mktime(&t) * 1000;
}

static bool day_on(const hq_hours *h, int wday)
{
    return h->days & (1u << wday);
}

bool hq_hours_open(const hq_hours *h, int64_t now_ms)
{
    if (h->always)
        return true;
    struct tm tm;
    hq_local_tm(now_ms, &tm);
    int m = tm.tm_hour * 60 + tm.tm_min;
    return day_on(h, tm.tm_wday) && m >= h->from_min && m < h->to_min;
}

int64_t hq_hours_next_open(const hq_hours *h, int64_t now_ms)
{
    if (h->always || !h->days || hq_hours_open(h, now_ms))
        return now_ms;
    struct tm tm;
    hq_local_tm(now_ms, &tm);
    int m = tm.tm_hour * 60 + tm.tm_min;
    if (day_on(h, tm.tm_wday) && m < h->from_min)
        return local_ms(&tm, 0, h->from_min);
    for (int d = 1; d <= 7; d++)
        if (day_on(h, (tm.tm_wday + d) % 7))
            return local_ms(&tm, d, h->from_min);
    return now_ms; /* unreachable: days is not empty */
}

int64_t hq_digest_due(int64_t now_ms, int64_t every_ms)
{
    struct tm tm;
    hq_local_tm(now_ms, &tm);
    int64_t midnight = local_ms(&tm, 0, 0);
    if (every_ms <= 0)
        return now_ms + 1;
    int64_t since = now_ms - midnight;
    if (since < 0)
        since = 0;
    return midnight + (since / every_ms + 1) * every_ms;
}

int64_t hq_retry_backoff_ms(int64_t first_ms, int64_t max_ms, unsigned tries, unsigned jitter_permille)
{
    int64_t d = first_ms > 0 ? first_ms : 1;
    for (unsigned i = 1; i < tries && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    return d + d * (int64_t)(jitter_permille % 1001) / 1000;
}

void hq_rate_init(hq_rate *r)
{
    memset(r, 0, sizeof *r);
}

void hq_rate_fini(hq_rate *r)
{
    free(r->sent);
    memset(r, 0, sizeof *r);
}

int64_t hq_rate_next_ms(const hq_rate *r, unsigned max, int64_t per_ms, int64_t now_ms)
{
    if (!max || per_ms <= 0 || r->cap != max || r->n < max)
        return now_ms;
    int64_t free_at = r->sent[r->head] + per_ms; /* the oldest of the last max sends leaves the window */
    return free_at > now_ms ? free_at : now_ms;
}

void hq_rate_note(hq_rate *r, unsigned max, int64_t now_ms)
{
    if (!max)
        return;
    if (r->cap != max) {
        /* Resize: keep the newest sends that fit. */
        int64_t *ns = hq_calloc(max, sizeof *ns);
        unsigned keep = r->n < max ? r->n : max, skip = r->n - keep;
        for (unsigned i = 0; i < keep; i++)
            ns[i] = r->sent[(r->head + skip + i) % r->cap];
        free(r->sent);
        r->sent = ns;
        r->cap = max;
        r->head = 0;
        r->n = keep;
    }
    if (r->n < r->cap) {
        r->sent[(r->head + r->n) % r->cap] = now_ms;
        r->n++;
    } else {
        r->sent[r->head] = now_ms;
        r->head = (r->head + 1) % r->cap;
    }
}
