#include "notice.h"

#include "clock.h"
#include "ledger.h"
#include "period.h"
#include "html.h"

#include <stdio.h>
#include <string.h>

static const char *or_id(const char *name, const char *id)
{
    return name && *name ? name : id && *id ? id : "（未指定）";
}

/* Who did it, as a contractor reads it: the system's own actors in words,
 * people by their account (they signed with it). */
static const char *actor_label(const hq_notice_info *info, const char *actor)
{
    return hq_rules_actor_name(info ? info->org : NULL, actor);
}

static const char *office_of(const hq_notice_info *info)
{
    return info && info->office && *info->office ? info->office : "后勤管理处";
}

/* The closing paragraph of the requirement. */
static void closing(hq_buf *b, const hq_issue *is, const hq_notice_info *info, const char *deadline)
{
    hq_buf_printf(b, "请于 %s 前完成整改，并将整改情况及佐证材料书面反馈%s。", deadline, office_of(info));
    if (is->has_terms && is->terms.contract && *is->terms.contract)
        hq_buf_printf(b, "逾期未整改或复查不合格的，将依据《%s》追究违约责任。", is->terms.contract);
    else
        hq_buf_puts(b, "逾期未整改或复查不合格的，将按合同约定追究违约责任。");
}

/* The notice's dates: opened and deadline as date and time, the date of
 * issue in Chinese. */
typedef struct dates {
    char opened[32], deadline[32], date[32];
} dates;

static void notice_dates(const hq_issue *is, dates *t)
{
    hq_local_fmt(is->opened_ms, t->opened, sizeof t->opened);
    hq_local_fmt(is->deadline_ms, t->deadline, sizeof t->deadline);
    hq_local_date_zh(is->opened_ms, t->date, sizeof t->date);
}

void hq_notice_text(const hq_issue *is, const hq_notice_info *info, hq_buf *b)
{
    dates dt;
    notice_dates(is, &dt);
    hq_buf_printf(b,
                  "                问题整改通知单\n"
                  "\n"
                  "编号：%s\n"
                  "\n"
                  "承办单位：%s\n"
                  "地    点：%s\n"
                  "领    域：%s    问题类别：%s    严重程度：%s\n"
                  "发现时间：%s    整改期限：%s\n"
                  "\n"
                  "一、存在问题\n"
                  "  %s\n",
                  is->number, or_id(info ? info->contractor_name : NULL, is->contractor),
                  or_id(info ? info->site_name : NULL, is->site), hq_domain_label(is->domain),
                  hq_category_label(is->domain, is->category), hq_severity_label(is->severity), dt.opened, dt.deadline,
                  is->title ? is->title : "");
    if (is->description && *is->description)
        hq_buf_printf(b, "  %s\n", is->description);
    hq_buf_puts(b, "\n二、事实依据（处理记录）\n");
    for (size_t i = 0; i < is->ntimeline; i++) {
        char t[32];
        hq_local_fmt(is->timeline[i].ts_ms, t, sizeof t);
        hq_buf_printf(b, "  %zu. %s  %s  ", i + 1, t, actor_label(info, is->timeline[i].actor));
        hq_tl_render(&is->timeline[i], HQ_TL_PUBLIC, b);
        hq_buf_putc(b, '\n');
    }
    hq_buf_puts(b, "\n三、整改要求\n");
    if (is->requirement && *is->requirement)
        hq_buf_printf(b, "  %s\n", is->requirement);
    hq_buf_puts(b, "  ");
    closing(b, is, info, dt.deadline);
    hq_buf_printf(b,
                  "\n\n"
                  "签发单位：%s（盖章）\n"
                  "签发日期：%s\n"
                  "签 发 人：____________\n"
                  "\n"
                  "承办单位签收人：____________    签收日期：______年____月____日\n"
                  "整改完成情况：__________________________________________\n"
                  "复 查 人：____________    复查日期：______年____月____日    复查结论：□ 合格  □ 不合格\n",
                  office_of(info), dt.date);
}

static const char style[] =
    "@page { size: A4; margin: 20mm 18mm; }\n"
    "html { background: #fff; }\n"
    "body { font-family: \"Noto Serif CJK SC\", \"Source Han Serif SC\", \"SimSun\", \"Songti SC\", serif; "
    "color: #000; width: 174mm; margin: 0 auto; font-size: 11pt; line-height: 1.6; }\n"
    "h1 { text-align: center; font-size: 20pt; letter-spacing: 0.3em; margin: 0.4em 0 0.2em; }\n"
    "p.no { text-align: right; margin: 0 0 0.6em; }\n"
    "table { border-collapse: collapse; width: 100%; }\n"
    "th, td { border: 1px solid #000; padding: 4px 6px; vertical-align: top; text-align: left; }\n"
    "th { width: 22mm; white-space: nowrap; font-weight: bold; text-align: center; vertical-align: middle; }\n"
    "ol.evidence { margin: 0; padding-left: 1.4em; }\n"
    "ol.evidence .t { white-space: nowrap; }\n"
    ".sign { margin-top: 1.2em; }\n"
    ".sign p { margin: 0.8em 0; }\n"
    ".line { display: inline-block; min-width: 40mm; border-bottom: 1px solid #000; }\n"
    ".nw { white-space: nowrap; }\n"
    ".right { text-align: right; }\n"
    "tr, .sign { page-break-inside: avoid; break-inside: avoid; }\n";

static void row2(hq_buf *b, const char *h1, const char *v1, const char *h2, const char *v2)
{
    hq_buf_printf(b, "<tr><th>%s</th><td>", h1);
    hq_html_escape(b, v1);
    hq_buf_printf(b, "</td><th>%s</th><td>", h2);
    hq_html_escape(b, v2);
    hq_buf_puts(b, "</td></tr>\n");
}

void hq_notice_html(const hq_issue *is, const hq_notice_info *info, hq_buf *b)
{
    dates dt;
    notice_dates(is, &dt);
    hq_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>问题整改通知单 ");
    hq_html_escape(b, is->number);
    hq_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>问题整改通知单</h1>\n<p class=\"no\">编号：",
                  style);
    hq_html_escape(b, is->number);
    hq_buf_puts(b, "</p>\n<table class=\"form\">\n<tr><th>承办单位</th><td colspan=\"3\">");
    hq_html_escape(b, or_id(info ? info->contractor_name : NULL, is->contractor));
    hq_buf_puts(b, "</td></tr>\n");
    row2(b, "地点", or_id(info ? info->site_name : NULL, is->site), "领域", hq_domain_label(is->domain));
    row2(b, "问题类别", hq_category_label(is->domain, is->category), "严重程度", hq_severity_label(is->severity));
    row2(b, "发现时间", dt.opened, "整改期限", dt.deadline);
    hq_buf_puts(b, "<tr><th>存在问题</th><td colspan=\"3\"><strong>");
    hq_html_escape(b, is->title);
    hq_buf_puts(b, "</strong>");
    if (is->description && *is->description) {
        hq_buf_puts(b, "<br>");
        hq_html_escape(b, is->description);
    }
    hq_buf_puts(b, "</td></tr>\n<tr><th>事实依据</th><td colspan=\"3\"><ol class=\"evidence\">\n");
    for (size_t i = 0; i < is->ntimeline; i++) {
        char t[32];
        hq_local_fmt(is->timeline[i].ts_ms, t, sizeof t);
        hq_buf_printf(b, "<li><span class=\"t\">%s</span> ", t);
        hq_html_escape(b, actor_label(info, is->timeline[i].actor));
        hq_buf_puts(b, "：");
        hq_buf w;
        hq_buf_init(&w);
        hq_tl_render(&is->timeline[i], HQ_TL_PUBLIC, &w);
        hq_html_escape(b, w.data ? w.data : "");
        hq_buf_fini(&w);
        hq_buf_puts(b, "</li>\n");
    }
    hq_buf_puts(b, "</ol></td></tr>\n<tr><th>整改要求</th><td colspan=\"3\">");
    if (is->requirement && *is->requirement) {
        hq_html_escape(b, is->requirement);
        hq_buf_puts(b, "<br>");
    }
    hq_buf buf;
    hq_buf_init(&buf);
    closing(&buf, is, info, dt.deadline);
    hq_html_escape(b, buf.data);
    hq_buf_fini(&buf);
    hq_buf_puts(b, "</td></tr>\n</table>\n<div class=\"sign\">\n<p class=\"right\">签发单位：");
    hq_html_escape(b, office_of(info));
    hq_buf_printf(b, "（盖章）</p>\n<p class=\"right\">签发日期：%s</p>\n"
                     "<p>签发人：<span class=\"line\"></span></p>\n"
                     "<p>承办单位签收人：<span class=\"line\"></span>　签收日期：<span class=\"line\"></span></p>\n"
                     "<p>整改完成情况：<span class=\"line\" style=\"min-width: 120mm\"></span></p>\n"
                     "<p>复查人：<span class=\"line\"></span>　复查日期：<span class=\"line\"></span>　"
                     "<span class=\"nw\">复查结论：□ 合格　□ 不合格</span></p>\n</div>\n</body>\n</html>\n",
                  dt.date);
}
