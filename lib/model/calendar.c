#include "calendar.h"

#include "clock.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct span {
    char *name;
    char *title;
    hq_day from, to;
} span;

typedef struct spans {
    span *v;
    size_t n;
} spans;

struct hq_calendar {
    bool weekdays[7];
    int work_from, work_to;
    spans holidays, terms, vacations, periods;
    hq_day *workdays;
    size_t nworkdays;
};

/* Howard Hinnant's days_from_civil / civil_from_days. */
hq_day hq_day_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153u * (unsigned)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int)doe - 719468;
}

void hq_day_to_civil(hq_day z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = (int)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

int hq_day_weekday(hq_day day)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    int w = (day + 3) % 7;
    return w < 0 ? w + 7 : w;
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool hq_day_parse(const char *s, hq_day *out)
{
    int y, m, d;
    char tail;
    /* Exactly YYYY-MM-DD: no signs, no blanks (sscanf alone takes " 9"). */
    if (strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return false;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return false;
    if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1970 || y > 2200)
        return false;
    hq_day day = hq_day_from_civil(y, m, d);
    int y2, m2, d2;
    hq_day_to_civil(day, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d)
        return false; /* 2026-02-30 */
    *out = day;
    return true;
}

bool hq_minutes_parse(const char *s, int *out)
{
    int h, m;
    char tail;
    if (strlen(s) != 5 || !digits(s, 2) || s[2] != ':' || !digits(s + 3, 2))
        return false;
    if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 || m < 0 || m > 59 ||
        (h == 24 && m != 0))
        return false;
    *out = h * 60 + m;
    return true;
}

int64_t hq_local_instant_ms(hq_day day, int minute)
{
    int y, m, d;
    hq_day_to_civil(day, &y, &m, &d);
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_isdst = -1; /* let the zone decide (DST) */
    return (int64_t)mktime(&tm) * 1000;
}

hq_day hq_local_day(int64_t ms)
{
    struct tm tm;
    hq_local_tm(ms, &tm);
    return hq_day_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static void spans_fini(spans *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].title);
    }
    free(s->v);
}

void hq_calendar_destroy(hq_calendar **cp)
{
    hq_calendar *c = cp ? *cp : NULL;
    if (!c)
        return;
    spans_fini(&c->holidays);
    spans_fini(&c->terms);
    spans_fini(&c->vacations);
    spans_fini(&c->periods);
    free(c->workdays);
    free(c);
    *cp = NULL;
}

hq_calendar *hq_calendar_default(void)
{
    hq_calendar *c = hq_calloc(1, sizeof *c);
    for (int i = 0; i < 5; i++)
        c->weekdays[i] = true;
    c->work_from = 8 * 60;
    c->work_to = 17 * 60 + 30;
    return c;
}

static const char *const wd_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static bool get_day(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, hq_day *out)
{
    if (!n || n->type != HQ_Y_SCALAR || !hq_day_parse(n->str, out)) {
        hq_ydiag(d, doc, n, "expected a date like 2026-09-01, got %s", n && n->type == HQ_Y_SCALAR ? n->str : "?");
        return false;
    }
    return true;
}

static void parse_spans(hq_diags *d, const hq_ydoc *doc, const hq_ynode *n, spans *out, const char *what,
                        bool named)
{
    static const char *const keys[] = {"name", "title", "from", "to", NULL};
    if (n->type != HQ_Y_SEQ) {
        hq_ydiag(d, doc, n, "%s: expected a list of {name, from, to}", what);
        return;
    }
    out->v = hq_calloc(n->len ? n->len : 1, sizeof *out->v);
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *e = n->kids[i];
        if (hq_ycheck_keys(d, doc, e, keys))
            continue;
        span sp = {0};
        const hq_ynode *x = hq_ymap_get(e, "name");
        if (x && x->type == HQ_Y_SCALAR)
            sp.name = hq_strdup(x->str);
        else if (named)
            hq_ydiag(d, doc, e, "%s: each entry needs a name", what);
        if ((x = hq_ymap_get(e, "title")) && x->type == HQ_Y_SCALAR)
            sp.title = hq_strdup(x->str);
        const hq_ynode *f = hq_yrequire(d, doc, e, "from"), *t = hq_yrequire(d, doc, e, "to");
        bool ok = f && t && get_day(d, doc, f, &sp.from) && get_day(d, doc, t, &sp.to);
        if (ok && sp.to < sp.from) {
            hq_ydiag(d, doc, t, "%s: ends before it starts", what);
            ok = false;
        }
        if (!ok) {
            free(sp.name);
            free(sp.title);
            continue;
        }
        for (size_t j = 0; named && sp.name && j < out->n; j++)
            if (out->v[j].name && !strcmp(out->v[j].name, sp.name))
                hq_ydiag(d, doc, e, "%s \"%s\" is defined twice", what, sp.name);
        out->v[out->n++] = sp;
    }
}

hq_calendar *hq_calendar_parse(const hq_ydoc *doc, const hq_ynode *n, hq_diags *d)
{
    static const char *const keys[] = {"weekdays", "working_hours", "holidays", "workdays",
                                       "terms",    "vacations",     "periods",  NULL};
    size_t before = d->count;
    if (hq_ycheck_keys(d, doc, n, keys))
        return NULL;
    hq_calendar *c = hq_calendar_default();
    const hq_ynode *x;
    if ((x = hq_ymap_get(n, "weekdays"))) {
        memset(c->weekdays, 0, sizeof c->weekdays);
        if (x->type != HQ_Y_SEQ)
            hq_ydiag(d, doc, x, "weekdays: expected a list like [mon, tue, wed, thu, fri]");
        for (size_t i = 0; x->type == HQ_Y_SEQ && i < x->len; i++) {
            int k;
            for (k = 0; k < 7; k++)
                if (x->kids[i]->type == HQ_Y_SCALAR && !strcmp(x->kids[i]->str, wd_names[k]))
                    break;
            if (k == 7)
                hq_ydiag(d, doc, x->kids[i], "unknown weekday (mon, tue, wed, thu, fri, sat, sun)");
            else
                c->weekdays[k] = true;
        }
    }
    if ((x = hq_ymap_get(n, "working_hours"))) {
        char a[8], b[8];
        if (x->type != HQ_Y_SCALAR || sscanf(x->str, "%5[0-9:]-%5[0-9:]", a, b) != 2 ||
            !hq_minutes_parse(a, &c->work_from) || !hq_minutes_parse(b, &c->work_to) || c->work_to <= c->work_from)
            hq_ydiag(d, doc, x, "working_hours: expected \"08:00-17:30\" (the end after the start)");
    }
    if ((x = hq_ymap_get(n, "holidays")))
        parse_spans(d, doc, x, &c->holidays, "holiday", false);
    if ((x = hq_ymap_get(n, "terms")))
        parse_spans(d, doc, x, &c->terms, "term", true);
    if ((x = hq_ymap_get(n, "vacations")))
        parse_spans(d, doc, x, &c->vacations, "vacation", false);
    if ((x = hq_ymap_get(n, "periods")))
        parse_spans(d, doc, x, &c->periods, "period", true);
    if ((x = hq_ymap_get(n, "workdays")) &&
        hq_yseq(d, doc, x, "workdays: expected a list of dates (make-up working days)")) {
        c->workdays = hq_calloc(x->len ? x->len : 1, sizeof *c->workdays);
        for (size_t i = 0; i < x->len; i++) {
            hq_day day;
            if (get_day(d, doc, x->kids[i], &day)) {
                if (hq_cal_is_holiday(c, day))
                    hq_ydiag(d, doc, x->kids[i], "make-up working day is also a holiday");
                c->workdays[c->nworkdays++] = day;
            }
        }
    }
    if (d->count > before)
        hq_calendar_destroy(&c);
    return c;
}

static const span *find(const spans *s, hq_day day)
{
    for (size_t i = 0; i < s->n; i++)
        if (day >= s->v[i].from && day <= s->v[i].to)
            return &s->v[i];
    return NULL;
}

bool hq_cal_is_holiday(const hq_calendar *c, hq_day day)
{
    return find(&c->holidays, day) != NULL;
}

bool hq_cal_is_workday(const hq_calendar *c, hq_day day)
{
    for (size_t i = 0; i < c->nworkdays; i++)
        if (c->workdays[i] == day)
            return true;
    return c->weekdays[hq_day_weekday(day)] && !hq_cal_is_holiday(c, day);
}

bool hq_cal_in_vacation(const hq_calendar *c, hq_day day)
{
    return find(&c->vacations, day) != NULL;
}

bool hq_cal_in_term(const hq_calendar *c, hq_day day)
{
    return find(&c->terms, day) != NULL;
}

bool hq_cal_has_period(const hq_calendar *c, const char *name)
{
    for (size_t i = 0; i < c->periods.n; i++)
        if (!strcmp(c->periods.v[i].name, name))
            return true;
    return false;
}

bool hq_cal_in_period(const hq_calendar *c, const char *name, hq_day day)
{
    for (size_t i = 0; i < c->periods.n; i++)
        if (!strcmp(c->periods.v[i].name, name) && day >= c->periods.v[i].from && day <= c->periods.v[i].to)
            return true;
    return false;
}

void hq_cal_working_hours(const hq_calendar *c, int *from_min, int *to_min)
{
    *from_min = c->work_from;
    *to_min = c->work_to;
}

bool hq_cal_periods_overlap(const hq_calendar *c, const char *a, const char *b)
{
    for (size_t i = 0; i < c->periods.n; i++)
        for (size_t j = 0; j < c->periods.n; j++) {
            const span *x = &c->periods.v[i], *y = &c->periods.v[j];
            if (!strcmp(x->name, a) && !strcmp(y->name, b) && x->from <= y->to && y->from <= x->to)
                return true;
        }
    return false;
}

bool hq_cal_range(const hq_calendar *c, const char *name, hq_day *from, hq_day *to)
{
    for (size_t i = 0; i < c->terms.n; i++)
        if (!strcmp(c->terms.v[i].name, name)) {
            *from = c->terms.v[i].from;
            *to = c->terms.v[i].to;
            return true;
        }
    int y, m;
    char tail;
    if (sscanf(name, "%4d-%2d%c", &y, &m, &tail) == 2 && strlen(name) == 7 && m >= 1 && m <= 12) {
        *from = hq_day_from_civil(y, m, 1);
        *to = (m == 12 ? hq_day_from_civil(y + 1, 1, 1) : hq_day_from_civil(y, m + 1, 1)) - 1;
        return true;
    }
    return false;
}
