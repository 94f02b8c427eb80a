#include "clock.h"

#include "err.h"

#include <string.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int64_t hq_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hq_mono_ms(void)
{
    return (int64_t)(hq_mono_ns() / 1000000);
}

uint64_t hq_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hq_clock_init_real(hq_clock *c)
{
    c->manual = 0;
    c->now_ms = 0;
}

void hq_clock_init_manual(hq_clock *c, int64_t start_ms)
{
    c->manual = 1;
    c->now_ms = start_ms;
}

int64_t hq_clock_now_ms(const hq_clock *c)
{
    return c->manual ? c->now_ms : hq_wall_ms();
}

int hq_clock_set(hq_clock *c, int64_t ms)
{
    if (!c->manual)
        return HQ_ESTATE;
    if (ms < c->now_ms)
        return HQ_EINVAL;
    c->now_ms = ms;
    return 0;
}

int hq_clock_advance(hq_clock *c, int64_t ms)
{
    if (!c->manual)
        return HQ_ESTATE;
    if (ms < 0 || ms > INT64_MAX - c->now_ms)
        return HQ_EINVAL;
    c->now_ms += ms;
    return 0;
}

int hq_tz_set(const char *zone)
{
    char path[512];
    if (!zone || !*zone || strstr(zone, ".."))
        return HQ_EINVAL;
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    if (access(path, R_OK) != 0)
        return HQ_EINVAL;
    setenv("TZ", zone, 1);
    tzset();
    return 0;
}

void hq_local_tm(int64_t ms, struct tm *out)
{
    time_t t = (time_t)(ms / 1000);
    localtime_r(&t, out);
}

void hq_local_fmt(int64_t ms, char *buf, size_t size)
{
    struct tm tm;
    hq_local_tm(ms, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}
