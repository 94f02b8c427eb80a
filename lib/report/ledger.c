#include "ledger.h"

#include "clock.h"
#include "json.h"
#include "mp.h"

#include <stdio.h>
#include <string.h>

const char *hq_state_label(hq_issue_state s)
{
    return (unsigned)s < HQ_IS_COUNT ? hq_label(HQ_LBL_STATE, hq_issue_state_name(s)) : "?";
}

void hq_csv_field(hq_buf *b, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    bool quote = n && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        hq_buf_append(b, s, n);
        return;
    }
    hq_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            hq_buf_putc(b, '"');
        hq_buf_putc(b, s[i]);
    }
    hq_buf_putc(b, '"');
}

static const char *const csv_cols[] = {
    "编号",       "开立时间",   "领域",     "类别",     "严重程度",   "承办单位编号", "承办单位",
    "地点编号",   "地点",       "标题",     "问题描述", "整改要求",   "状态",         "整改期限",
    "签收时间",   "整改反馈时间", "办结时间", "是否逾期", "升级级别",   "问责",         "发生次数",
    "复查未通过次数", "复发自", "违约金合计(元)", "办结原因", "投诉人联系方式", "处理过程", "规则",
};

void hq_ledger_csv_begin(hq_buf *b)
{
    hq_buf_puts(b, "\xEF\xBB\xBF");
    for (size_t i = 0; i < sizeof csv_cols / sizeof *csv_cols; i++) {
        if (i)
            hq_buf_putc(b, ',');
        hq_csv_field(b, csv_cols[i]);
    }
    hq_buf_puts(b, "\r\n");
}

static void fmt_time(int64_t ms, char *buf, size_t size)
{
    if (ms)
        hq_local_fmt(ms, buf, size);
    else
        buf[0] = '\0';
}

/* The contact, or what stands in its place: words in the CSV people read,
 * the code "(redacted)" in JSON for programs. */
static const char *pii_value(const hq_issue *is, bool include_pii, bool words)
{
    if (!is->complaint_contact || !*is->complaint_contact)
        return NULL;
    return include_pii ? is->complaint_contact : words ? "（已隐去）" : "(redacted)";
}

/* "time actor what" per entry, joined by LF. */
static void timeline_summary(hq_buf *b, const hq_issue *is, const hq_rules *org)
{
    for (size_t i = 0; i < is->ntimeline; i++) {
        const hq_tl_entry *e = &is->timeline[i];
        char t[32];
        hq_local_fmt(e->ts_ms, t, sizeof t);
        hq_buf r;
        hq_buf_init(&r);
        hq_tl_render(e, HQ_TL_STAFF, &r);
        const char *w = r.data ? r.data : "";
        size_t wl = hq_utf8_prefix(w, strlen(w), HQ_LEDGER_WHAT_MAX);
        hq_buf_printf(b, "%s%s %s %.*s%s", i ? "\n" : "", t, hq_rules_actor_name(org, e->actor), (int)wl, w,
                      wl < strlen(w) ? "…" : "");
        hq_buf_fini(&r);
    }
}

void hq_ledger_csv_row(hq_buf *b, const hq_issue *is, const hq_ledger_names *names, bool include_pii)
{
    char t[8][32];
    fmt_time(is->opened_ms, t[0], sizeof t[0]);
    fmt_time(is->deadline_ms, t[1], sizeof t[1]);
    fmt_time(hq_tl_first(is, HQ_TL_ACKNOWLEDGED), t[2], sizeof t[2]);
    fmt_time(hq_tl_last(is, HQ_TL_RECTIFIED), t[3], sizeof t[3]);
    fmt_time(is->closed_ms, t[4], sizeof t[4]);
    char level[16], occ[16], failed[16], pen[32];
    snprintf(level, sizeof level, "%d", is->level);
    snprintf(occ, sizeof occ, "%d", is->occurrences);
    snprintf(failed, sizeof failed, "%d", is->failed_rechecks);
    int64_t p = hq_issue_penalty_total(is);
    snprintf(pen, sizeof pen, "%lld.%02lld", (long long)(p / 100), (long long)(p % 100));
    hq_buf tl;
    hq_buf_init(&tl);
    timeline_summary(&tl, is, names ? names->org : NULL);
    const char *fields[] = {
        is->number,
        t[0],
        hq_domain_label(is->domain),
        hq_category_label(is->domain, is->category),
        hq_severity_label(is->severity),
        is->contractor,
        names && names->contractor ? names->contractor : is->contractor,
        is->site,
        names && names->site ? names->site : is->site,
        is->title,
        is->description,
        is->requirement,
        hq_state_label(is->state),
        t[1],
        t[2],
        t[3],
        t[4],
        is->overdue ? "是" : "否",
        level,
        is->accountability ? "是" : "否",
        occ,
        failed,
        is->recurrence_of,
        pen,
        is->close_reason,
        pii_value(is, include_pii, true),
        tl.data,
        is->rule,
    };
    _Static_assert(sizeof fields / sizeof *fields == sizeof csv_cols / sizeof *csv_cols, "one field per column");
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (i)
            hq_buf_putc(b, ',');
        hq_csv_field(b, fields[i]);
    }
    hq_buf_puts(b, "\r\n");
    hq_buf_fini(&tl);
}

void hq_ledger_json_row(hq_buf *b, const hq_issue *is, const hq_ledger_names *names, bool include_pii)
{
    hq_buf_putc(b, '{');
    hq_json_key(b, "number", true);
    hq_json_cstr(b, is->number);
    hq_json_kms(b, "opened_ms", is->opened_ms);
    hq_json_kstr(b, "domain", is->domain);
    hq_json_kstr(b, "category", is->category);
    hq_json_kstr(b, "severity", hq_severity_name(is->severity));
    hq_json_kstr(b, "contractor", is->contractor);
    hq_json_kstr(b, "contractor_name", names && names->contractor ? names->contractor : is->contractor);
    hq_json_kstr(b, "site", is->site);
    hq_json_kstr(b, "site_name", names && names->site ? names->site : is->site);
    hq_json_kstr(b, "title", is->title);
    hq_json_kstr(b, "description", is->description);
    hq_json_kstr(b, "requirement", is->requirement);
    hq_json_kstr(b, "state", hq_issue_state_name(is->state));
    hq_json_kms(b, "deadline_ms", is->deadline_ms);
    hq_json_kms(b, "acknowledged_ms", hq_tl_first(is, HQ_TL_ACKNOWLEDGED));
    hq_json_kms(b, "rectified_ms", hq_tl_last(is, HQ_TL_RECTIFIED));
    hq_json_kms(b, "closed_ms", is->closed_ms);
    hq_json_kbool(b, "overdue", is->overdue);
    hq_json_kint(b, "level", is->level);
    hq_json_kbool(b, "accountability", is->accountability);
    hq_json_kint(b, "occurrences", is->occurrences);
    hq_json_kint(b, "failed_rechecks", is->failed_rechecks);
    hq_json_kstr(b, "recurrence_of", is->recurrence_of);
    hq_json_kint(b, "penalty_total_cents", hq_issue_penalty_total(is));
    hq_json_kstr(b, "close_reason", is->close_reason);
    hq_json_kstr(b, "complaint_contact", pii_value(is, include_pii, false));
    hq_json_key(b, "timeline", false);
    hq_buf_putc(b, '[');
    for (size_t i = 0; i < is->ntimeline; i++) {
        const hq_tl_entry *e = &is->timeline[i];
        const char *word = hq_tl_kind_name(e->kind);
        hq_buf_puts(b, i ? ",{" : "{");
        hq_json_key(b, "ts_ms", true);
        hq_buf_printf(b, "%lld", (long long)e->ts_ms);
        hq_json_kstr(b, "event", word);
        hq_json_kstr(b, "actor", e->actor);
        hq_buf_putc(b, '}');
    }
    hq_buf_putc(b, ']');
    hq_json_kstr(b, "rule", is->rule);
    hq_json_kstr(b, "key", is->key);
    hq_buf_putc(b, '}');
}
