#include "schedule.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { EVERY_DAY, EVERY_WEEK, EVERY_INTERVAL, EVERY_MONTH } every_kind;

#define MAX_TIMES 48

typedef struct times {
    int by[MAX_TIMES];      /* minutes after midnight, ascending (month: in mday order) */
    int mday[MAX_TIMES];    /* month: the day of each deadline, 1-28, or 0 for the last day */
    int nby;
    int weekday;            /* week: 0 = Monday */
    int interval_min;       /* interval */
    int between_from, between_to;
} times;

typedef struct override {
    char *period;
    times t;
} override;

struct hq_schedule {
    every_kind every;
    times t;
    bool workdays_only;
    bool suspend_holidays, suspend_vacations;
    override *ov;
    size_t nov;
    char desc[128];
};

void hq_schedule_destroy(hq_schedule **sp)
{
    hq_schedule *s = sp ? *sp : NULL;
    if (!s)
        return;
    for (size_t i = 0; i < s->nov; i++)
        free(s->ov[i].period);
    free(s->ov);
    free(s);
    *sp = NULL;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static const char *const wd[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* A month's deadlines sort by day, the last day after every numbered one. */
static int month_key(const times *t, int i)
{
    return (t->mday[i] ? t->mday[i] : 32) * 24 * 60 + t->by[i];
}

/* How many deadlines by lists (one scalar or a list), or 0 after a
 * diagnostic: none given (missing says what is needed), or too many. */
static size_t by_count(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const hq_ynode *by, const char *missing,
                       const char *per)
{
    if (!by) {
        hq_ydiag(d, doc, n, "%s", missing);
        return 0;
    }
    size_t cnt = by->type == HQ_Y_SEQ ? by->len : 1;
    if (cnt > MAX_TIMES) {
        hq_ydiag(d, doc, by, "at most %d deadlines %s", MAX_TIMES, per);
        return 0;
    }
    return cnt;
}

/* month: by "<day> HH:MM" or a list of them, day 1 to 28 (in every month)
 * or last.  Several deadlines split the month: each window starts at the
 * previous deadline (two deadlines: at least two events, one in each part). */
static void parse_month(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, const hq_ynode *by, times *t)
{
    size_t cnt = by_count(d, doc, n, by, "a monthly schedule needs \"by\" like \"last 18:00\" or \"15 18:00\" (or a list)",
                          "a month");
    for (size_t i = 0; i < cnt; i++) {
        const hq_ynode *x = by->type == HQ_Y_SEQ ? by->kids[i] : by;
        char day[8], hm[8], *end;
        int m;
        long md = -1;
        if (x->type == HQ_Y_SCALAR && sscanf(x->str, "%7s %7s", day, hm) == 2) {
            md = !strcmp(day, "last") ? 0 : strtol(day, &end, 10);
            if (md != 0 && (*end || md < 1 || md > 28))
                md = -1;
        }
        if (md < 0 || !hq_minutes_parse(hm, &m) || m == 0) {
            hq_ydiag(d, doc, x, "expected \"<day> HH:MM\" with a day from 1 to 28 (in every month) or last, like "
                                "\"last 18:00\"");
            continue;
        }
        t->mday[t->nby] = (int)md;
        t->by[t->nby] = m;
        for (int j = 0; j < t->nby; j++)
            if (month_key(t, j) == month_key(t, t->nby))
                hq_ydiag(d, doc, x, "two deadlines at %s make the same slot", x->str);
        t->nby++;
    }
    for (int i = 1; i < t->nby; i++) /* insertion sort by (day, time): a handful of deadlines */
        for (int j = i; j > 0 && month_key(t, j - 1) > month_key(t, j); j--) {
            int a = t->by[j], b = t->mday[j];
            t->by[j] = t->by[j - 1];
            t->mday[j] = t->mday[j - 1];
            t->by[j - 1] = a;
            t->mday[j - 1] = b;
        }
}

/* Reads by / interval / between for the given kind into t. */
static void parse_times(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, every_kind k, times *t)
{
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *key = hq_ymap_key(n, i);
        bool interval_key = !strcmp(key->str, "between") || !strcmp(key->str, "interval");
        if (k != EVERY_INTERVAL && interval_key)
            hq_ydiag(d, doc, key, "\"%s\" belongs to interval schedules (every: interval)", key->str);
        if (k == EVERY_INTERVAL && !strcmp(key->str, "by"))
            hq_ydiag(d, doc, key, "\"by\" belongs to daily, weekly and monthly schedules; an interval schedule has "
                                  "interval and between");
    }
    const hq_ynode *by = hq_ymap_get(n, "by");
    if (k == EVERY_DAY) {
        size_t cnt = by_count(d, doc, n, by, "a daily schedule needs \"by\" (a time like \"18:00\" or a list of times)",
                              "a day (use an interval schedule)");
        for (size_t i = 0; i < cnt; i++) {
            const hq_ynode *x = by->type == HQ_Y_SEQ ? by->kids[i] : by;
            int m;
            if (x->type != HQ_Y_SCALAR || !hq_minutes_parse(x->str, &m) || m == 0) {
                hq_ydiag(d, doc, x, "expected a time like \"18:00\" (00:01 to 24:00)");
                continue;
            }
            for (int j = 0; j < t->nby; j++)
                if (t->by[j] == m)
                    hq_ydiag(d, doc, x, "two deadlines at %s make the same slot", x->str);
            t->by[t->nby++] = m;
        }
        qsort(t->by, (size_t)t->nby, sizeof *t->by, cmp_int);
    } else if (k == EVERY_MONTH) {
        parse_month(d, doc, n, by, t);
    } else if (k == EVERY_WEEK) {
        char day[8], hm[8];
        if (!by || by->type != HQ_Y_SCALAR || sscanf(by->str, "%3s %5s", day, hm) != 2) {
            hq_ydiag(d, doc, by ? by : n, "a weekly schedule needs \"by\" like \"fri 18:00\"");
            return;
        }
        t->weekday = -1;
        for (int i = 0; i < 7; i++)
            if (!strcmp(day, wd[i]))
                t->weekday = i;
        int m;
        if (t->weekday < 0 || !hq_minutes_parse(hm, &m) || m == 0)
            hq_ydiag(d, doc, by, "expected \"<mon..sun> HH:MM\", got \"%s\"", by->str);
        else
            t->by[t->nby++] = m;
    } else {
        const hq_ynode *iv = hq_ymap_get(n, "interval"), *bw = hq_ymap_get(n, "between");
        int64_t ms = 0;
        if (!iv) {
            hq_ydiag(d, doc, n, "an interval schedule needs \"interval\" (like 2h)");
            return;
        }
        if (hq_yget_duration_ms(d, doc, iv, &ms) != 0)
            return;
        if (ms < 60000 || ms % 60000 || ms > 86400000) {
            hq_ydiag(d, doc, iv, "interval: whole minutes, from 1m to 24h");
            return;
        }
        t->interval_min = (int)(ms / 60000);
        t->between_from = 0;
        t->between_to = 24 * 60;
        bool between_ok = true;
        if (bw) {
            char a[8], b[8];
            between_ok = false;
            if (bw->type != HQ_Y_SCALAR || sscanf(bw->str, "%5[0-9:]-%5[0-9:]", a, b) != 2 ||
                !hq_minutes_parse(a, &t->between_from) || !hq_minutes_parse(b, &t->between_to))
                hq_ydiag(d, doc, bw, "between: expected \"06:00-22:00\"");
            else if (t->between_to <= t->between_from)
                hq_ydiag(d, doc, bw, "between: the slot ends before it starts");
            else
                between_ok = true;
        }
        if (between_ok && t->between_to - t->between_from < t->interval_min)
            hq_ydiag(d, doc, iv, "interval is longer than the \"between\" range");
    }
}

hq_schedule *hq_schedule_parse(const hq_ydoc *doc, const hq_ynode *n, const hq_calendar *cal, hq_diags *d)
{
    static const char *const keys[] = {"every", "by", "interval", "between", "days", "suspend", "overrides", NULL};
    static const char *const okeys[] = {"period", "by", "interval", "between", NULL};
    size_t before = d->count;
    if (hq_ycheck_keys(d, doc, n, keys))
        return NULL;
    hq_schedule *s = hq_calloc(1, sizeof *s);
    const hq_ynode *x = hq_yrequire(d, doc, n, "every");
    const char *ev = "day";
    if (x && hq_yget_str(d, doc, x, &ev) == 0) {
        if (!strcmp(ev, "day"))
            s->every = EVERY_DAY;
        else if (!strcmp(ev, "week"))
            s->every = EVERY_WEEK;
        else if (!strcmp(ev, "interval"))
            s->every = EVERY_INTERVAL;
        else if (!strcmp(ev, "month"))
            s->every = EVERY_MONTH;
        else
            hq_ydiag(d, doc, x, "every: expected day, week, month or interval, got \"%s\"", ev);
    }
    parse_times(d, doc, n, s->every, &s->t);
    if ((x = hq_ymap_get(n, "days"))) {
        const char *v;
        if (hq_yget_str(d, doc, x, &v) == 0) {
            if (!strcmp(v, "workdays") && (s->every == EVERY_WEEK || s->every == EVERY_MONTH))
                hq_ydiag(d, doc, x, "days: workdays is for daily and interval schedules; a %s one names "
                                    "its day (suspend: [holidays] skips holidays)",
                         s->every == EVERY_WEEK ? "weekly" : "monthly");
            else if (!strcmp(v, "workdays"))
                s->workdays_only = true;
            else if (strcmp(v, "all"))
                hq_ydiag(d, doc, x, "days: expected all or workdays");
        }
    }
    if ((x = hq_ymap_get(n, "suspend"))) {
        for (size_t i = 0; x->type == HQ_Y_SEQ && i < x->len; i++) {
            const hq_ynode *y = x->kids[i];
            if (y->type == HQ_Y_SCALAR && !strcmp(y->str, "holidays"))
                s->suspend_holidays = true;
            else if (y->type == HQ_Y_SCALAR && !strcmp(y->str, "vacations"))
                s->suspend_vacations = true;
            else
                hq_ydiag(d, doc, y, "suspend: expected holidays or vacations");
        }
        if (x->type != HQ_Y_SEQ)
            hq_ydiag(d, doc, x, "suspend: expected a list, like [holidays, vacations]");
    }
    if ((x = hq_ymap_get(n, "overrides")) && hq_yseq(d, doc, x, "overrides: expected a list of {period, by}")) {
        s->ov = hq_calloc(x->len ? x->len : 1, sizeof *s->ov);
        for (size_t i = 0; i < x->len; i++) {
            const hq_ynode *o = x->kids[i];
            if (hq_ycheck_keys(d, doc, o, okeys))
                continue;
            const hq_ynode *p = hq_yrequire(d, doc, o, "period");
            const char *ps;
            if (!p || hq_yget_str(d, doc, p, &ps) != 0)
                continue;
            if (cal && !hq_cal_has_period(cal, ps))
                hq_ydiag(d, doc, p, "unknown calendar period \"%s\"", ps);
            for (size_t j = 0; j < s->nov; j++) {
                if (!strcmp(s->ov[j].period, ps))
                    hq_ydiag(d, doc, p, "period \"%s\" is overridden twice", ps);
                else if (cal && hq_cal_periods_overlap(cal, s->ov[j].period, ps))
                    hq_ydiag(d, doc, p, "periods \"%s\" and \"%s\" overlap: on their common days two overrides "
                                        "would apply", s->ov[j].period, ps);
            }
            override *ov = &s->ov[s->nov++];
            ov->period = hq_strdup(ps);
            parse_times(d, doc, o, s->every, &ov->t);
        }
    }
    if (s->every == EVERY_DAY && s->t.nby)
        snprintf(s->desc, sizeof s->desc, "daily by %02d:%02d%s", s->t.by[s->t.nby - 1] / 60, s->t.by[s->t.nby - 1] % 60,
                 s->t.nby > 1 ? " (several deadlines)" : "");
    else if (s->every == EVERY_WEEK && s->t.nby)
        snprintf(s->desc, sizeof s->desc, "weekly by %s %02d:%02d", wd[s->t.weekday < 0 ? 0 : s->t.weekday],
                 s->t.by[0] / 60, s->t.by[0] % 60);
    else if (s->every == EVERY_MONTH && s->t.nby) {
        char day[8];
        int last = s->t.nby - 1;
        snprintf(day, sizeof day, "%d", s->t.mday[last]);
        snprintf(s->desc, sizeof s->desc, "monthly by %s %02d:%02d%s", s->t.mday[last] ? day : "last",
                 s->t.by[last] / 60, s->t.by[last] % 60, s->t.nby > 1 ? " (several deadlines)" : "");
    } else
        snprintf(s->desc, sizeof s->desc, "every %d min", s->t.interval_min);
    if (d->count > before)
        hq_schedule_destroy(&s);
    return s;
}

const char *hq_schedule_describe(const hq_schedule *s)
{
    return s->desc;
}

int64_t hq_schedule_span_ms(const hq_schedule *s)
{
    static const int64_t day = 86400000LL;
    return s->every == EVERY_MONTH ? 31 * day : s->every == EVERY_WEEK ? 7 * day : day;
}

static const times *times_for(const hq_schedule *s, const hq_calendar *cal, hq_day day)
{
    for (size_t i = 0; i < s->nov; i++)
        if (hq_cal_in_period(cal, s->ov[i].period, day))
            return &s->ov[i].t;
    return &s->t;
}

/* The slots of a monthly schedule that fall due on day: a month follows
 * the times in force on its first day; the first window starts then, each
 * later one at the previous deadline.  Returns fn's nonzero to stop. */
static int month_slot(const hq_schedule *s, const hq_calendar *cal, hq_day day, int64_t from_ms, int64_t to_ms,
                      int (*fn)(void *ctx, const hq_slot *slot), void *ctx)
{
    int y, m, dd;
    hq_day_to_civil(day, &y, &m, &dd);
    hq_day first = hq_day_from_civil(y, m, 1);
    hq_day last = hq_day_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
    const times *t = times_for(s, cal, first);
    int64_t prev = hq_local_instant_ms(first, 0);
    for (int i = 0; i < t->nby; i++) {
        hq_day due_day = t->mday[i] ? first + t->mday[i] - 1 : last;
        hq_slot slot = {prev, hq_local_instant_ms(due_day, t->by[i])};
        prev = slot.due_ms;
        if (due_day == day && slot.due_ms >= from_ms && slot.due_ms < to_ms) {
            int rc = fn(ctx, &slot);
            if (rc)
                return rc;
        }
    }
    return 0;
}

void hq_schedule_slots(const hq_schedule *s, const hq_calendar *cal, int64_t from_ms, int64_t to_ms,
                       int (*fn)(void *ctx, const hq_slot *slot), void *ctx)
{
    hq_day first = hq_local_day(from_ms) - 1, last = hq_local_day(to_ms) + 1;
    for (hq_day day = first; day <= last; day++) {
        if (s->suspend_holidays && hq_cal_is_holiday(cal, day))
            continue;
        if (s->suspend_vacations && hq_cal_in_vacation(cal, day))
            continue;
        if (s->every != EVERY_WEEK && s->workdays_only && !hq_cal_is_workday(cal, day))
            continue;
        const times *t = times_for(s, cal, day);
        hq_slot slot;
        if (s->every == EVERY_DAY) {
            int prev = 0;
            for (int i = 0; i < t->nby; i++) {
                slot.start_ms = hq_local_instant_ms(day, prev);
                slot.due_ms = hq_local_instant_ms(day, t->by[i]);
                prev = t->by[i];
                if (slot.due_ms >= from_ms && slot.due_ms < to_ms && fn(ctx, &slot))
                    return;
            }
        } else if (s->every == EVERY_MONTH) {
            if (month_slot(s, cal, day, from_ms, to_ms, fn, ctx))
                return;
        } else if (s->every == EVERY_WEEK) {
            /* A week follows the times in force on its Monday, so that a
             * period starting mid-week never gives a week two slots or none. */
            t = times_for(s, cal, day - hq_day_weekday(day));
            if (hq_day_weekday(day) != t->weekday || !t->nby)
                continue;
            slot.start_ms = hq_local_instant_ms(day - hq_day_weekday(day), 0);
            slot.due_ms = hq_local_instant_ms(day, t->by[0]);
            if (slot.due_ms >= from_ms && slot.due_ms < to_ms && fn(ctx, &slot))
                return;
        } else {
            /* Windows tile the range even across a DST change: a deadline
             * that falls on the same instant as the previous one (the hour
             * skipped in spring) is left out. */
            int64_t prev = hq_local_instant_ms(day, t->between_from);
            for (int m = t->between_from + t->interval_min; m <= t->between_to; m += t->interval_min) {
                slot.due_ms = hq_local_instant_ms(day, m);
                if (slot.due_ms <= prev)
                    continue;
                slot.start_ms = prev;
                prev = slot.due_ms;
                if (slot.due_ms >= from_ms && slot.due_ms < to_ms && fn(ctx, &slot))
                    return;
            }
        }
    }
}
