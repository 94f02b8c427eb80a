/* hq_issue_fixture.h - issues made in memory for the unit tests of the
 * modules that read issues (ledger, evaluation, notice, report_html).
 * Header only; include after <cmocka.h>. */
#ifndef HQ_ISSUE_FIXTURE_H
#define HQ_ISSUE_FIXTURE_H

#include <stdio.h>
#include "clock.h"
#include "issue.h"
#include "period.h"

#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)

/* Local time of y-m-d h:00 in the configured zone. */
static inline int64_t fx_at(int y, int m, int d, int h)
{
    return hq_local_midnight(y, m, d) + h * HOUR_MS;
}

static inline char *fx_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* An opened issue; its timeline starts with "opened:". */
static inline void fx_issue(hq_issue *is, const char *number, const char *contractor, const char *domain,
                            const char *category, hq_severity sev, int64_t opened_ms)
{
    memset(is, 0, sizeof *is);
    snprintf(is->number, sizeof is->number, "%s", number);
    is->rule = fx_dup("test.rule");
    is->key = fx_dup("k");
    is->contractor = fx_dup(contractor);
    is->domain = fx_dup(domain);
    is->category = fx_dup(category);
    is->site = fx_dup("canteen-1");
    is->severity = sev;
    is->title = fx_dup("冷库温度超标");
    is->description = fx_dup("第一食堂冷库温度持续高于 8℃");
    is->requirement = fx_dup("立即检查制冷设备");
    is->opened_ms = opened_ms;
    is->deadline_ms = opened_ms + DAY_MS;
    is->level = 1;
    is->occurrences = 1;
    hq_issue_add(is, opened_ms, "system", 1,
                 &(hq_tl_entry){.kind = HQ_TL_OPENED, .cause = HQ_TLC_RULE, .clause = (char *)"test.rule"});
}

static inline void fx_penalty(hq_issue *is, int64_t ts_ms, int64_t cents, const char *reason)
{
    is->penalties = realloc(is->penalties, (is->npenalties + 1) * sizeof *is->penalties);
    hq_penalty *p = &is->penalties[is->npenalties++];
    p->amount_cents = cents;
    p->reason = strdup(reason);
    p->term = strdup("catering-contract:per_overdue_day");
    p->ts_ms = ts_ms;
}

#endif
