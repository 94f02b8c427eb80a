#include "report_html.h"

#include "clock.h"
#include "html.h"
#include "ledger.h"

#include <stdio.h>
#include <string.h>

/* Colours of the grades, best first; the last is used for the rest. */
static const char *const grade_colours[] = {"#2e7d32", "#558b2f", "#f9a825", "#c62828"};
static const char *const series_colours[] = {"#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a",
                                             "#00838f", "#5d4037", "#ad1457", "#455a64"};

static const char *grade_colour(const hq_eval_scheme *s, const char *grade)
{
    size_t n = sizeof grade_colours / sizeof *grade_colours;
    for (size_t i = 0; i < s->ngrades; i++)
        if (strcmp(s->grades[i].name, grade) == 0) {
            if (i == s->ngrades - 1)
                return grade_colours[n - 1];
            return grade_colours[i < n - 1 ? i : n - 2];
        }
    return grade_colours[n - 1];
}

static const char *row_name(const hq_eval_row *r)
{
    return r->name ? r->name : r->contractor;
}

/* "70", or "72.5" when it has decimals. */
static void short_points(int64_t cp, char *buf, size_t size)
{
    if (cp % 100 == 0)
        snprintf(buf, size, "%lld", (long long)(cp / 100));
    else if (cp % 10 == 0)
        snprintf(buf, size, "%lld.%lld", (long long)(cp / 100), (long long)(cp % 100 / 10));
    else
        hq_eval_points(cp, buf, size);
}

static void chart_scores(hq_buf *b, const hq_eval *e)
{
    const hq_eval_scheme *s = hq_eval_get_scheme(e);
    const hq_eval_row *rows;
    size_t n = hq_eval_rows(e, &rows);
    const int left = 200, width = 400, rowh = 28, top = 24;
    int h = top + (int)(n ? n : 1) * rowh + 42;
    double base = s->base_cp > 0 ? (double)s->base_cp : 10000.0;
    hq_buf_printf(b,
                  "<svg id=\"chart-scores\" class=\"chart\" role=\"img\" width=\"680\" height=\"%d\" "
                  "viewBox=\"0 0 680 %d\" aria-label=\"各合作企业得分\">\n<title>各合作企业得分</title>\n",
                  h, h);
    /* Grade thresholds: a dashed line with the minimum on top; the
     * legend below names the grades by colour. */
    for (size_t g = 0; g < s->ngrades; g++) {
        double x = left + width * (double)s->grades[g].min_cp / base;
        if (s->grades[g].min_cp <= 0 || s->grades[g].min_cp > s->base_cp)
            continue;
        char p[32];
        short_points(s->grades[g].min_cp, p, sizeof p);
        hq_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
                      "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#666\">%s</text>\n",
                      x, top - 6, x, h - 38, x, top - 10, p);
    }
    for (size_t g = 0; g < s->ngrades; g++) {
        int lx = left + (int)g * 90;
        char p[32];
        short_points(s->grades[g].min_cp, p, sizeof p);
        hq_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">",
                      lx, h - 12, grade_colour(s, s->grades[g].name), lx + 14, h - 3);
        hq_html_escape(b, s->grades[g].name);
        hq_buf_printf(b, " ≥%s</text>", p);
    }
    hq_buf_putc(b, '\n');
    if (!n)
        hq_buf_printf(b, "<text x=\"%d\" y=\"%d\">本期无合作企业</text>\n", left, top + 18);
    for (size_t i = 0; i < n; i++) {
        const hq_eval_row *r = &rows[i];
        int y = top + (int)i * rowh;
        double w = width * (double)r->score_cp / base;
        char p[32];
        hq_eval_points(r->score_cp, p, sizeof p);
        hq_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + 18);
        hq_html_escape(b, row_name(r));
        hq_buf_printf(b, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                         "<title>",
                      left, y + 4, w, rowh - 8, grade_colour(s, r->grade));
        hq_html_escape(b, row_name(r));
        hq_buf_printf(b, "：%s 分，", p);
        hq_html_escape(b, r->grade);
        hq_buf_printf(b, "</title></rect><text x=\"%.1f\" y=\"%d\">%s ", left + w + 6, y + 18, p);
        hq_html_escape(b, r->grade);
        hq_buf_puts(b, "</text>\n");
    }
    hq_buf_printf(b,
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                  left, top - 4, left, h - 38, left, h - 38, left + width, h - 38);
    for (int t = 0; t <= 4; t++) {
        double x = left + width * t / 4.0;
        char p[32];
        short_points((int64_t)(base * t / 4), p, sizeof p);
        hq_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#666\">%s</text>", x, h - 24, p);
    }
    hq_buf_puts(b, "\n</svg>\n");
}

static void chart_domains(hq_buf *b, const hq_eval *e)
{
    size_t nb = hq_eval_buckets(e), nd = hq_eval_domains(e);
    const int left = 48, top = 16, width = 520, height = 220;
    int max = 1;
    for (size_t d = 0; d < nd; d++)
        for (size_t i = 0; i < nb; i++)
            if (hq_eval_count(e, d, i) > max)
                max = hq_eval_count(e, d, i);
    int step = max <= 5 ? 1 : (max + 4) / 5;
    int ymax = ((max + step - 1) / step) * step;
    int h = top + height + 40;
    hq_buf_printf(b,
                  "<svg id=\"chart-domains\" class=\"chart\" role=\"img\" width=\"680\" height=\"%d\" "
                  "viewBox=\"0 0 680 %d\" aria-label=\"各领域问题数\">\n<title>各领域问题数（按%s）</title>\n",
                  h, h, nb > 0 && strlen(hq_eval_bucket_label(e, 0)) == 5 ? "日" : "月");
    for (int v = 0; v <= ymax; v += step) {
        double y = top + height - (double)height * v / ymax;
        hq_buf_printf(b,
                      "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                      "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">%d</text>\n",
                      left, y, left + width, y, left - 6, y + 4, v);
    }
    double dx = nb > 1 ? (double)width / (double)(nb - 1) : 0;
    size_t every = nb > 12 ? (nb + 11) / 12 : 1;
    for (size_t i = 0; i < nb; i++) {
        if (i % every)
            continue;
        double x = nb > 1 ? left + dx * (double)i : left + width / 2.0;
        hq_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#666\">%s</text>", x,
                      top + height + 16, hq_eval_bucket_label(e, i));
    }
    hq_buf_putc(b, '\n');
    if (!nd)
        hq_buf_printf(b, "<text x=\"%d\" y=\"%d\">本期无问题</text>\n", left + 12, top + height / 2);
    size_t nc = sizeof series_colours / sizeof *series_colours;
    for (size_t d = 0; d < nd; d++) {
        const char *col = series_colours[d % nc];
        hq_buf_puts(b, "<g class=\"series\" data-domain=\"");
        hq_html_escape(b, hq_eval_domain(e, d));
        hq_buf_printf(b, "\"><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        for (size_t i = 0; i < nb; i++) {
            double x = nb > 1 ? left + dx * (double)i : left + width / 2.0;
            double y = top + height - (double)height * hq_eval_count(e, d, i) / ymax;
            hq_buf_printf(b, "%s%.1f,%.1f", i ? " " : "", x, y);
        }
        hq_buf_puts(b, "\"/>");
        for (size_t i = 0; i < nb; i++) {
            if (!hq_eval_count(e, d, i))
                continue;
            double x = nb > 1 ? left + dx * (double)i : left + width / 2.0;
            double y = top + height - (double)height * hq_eval_count(e, d, i) / ymax;
            hq_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>", x, y, col);
            hq_html_escape(b, hq_domain_label(hq_eval_domain(e, d)));
            hq_buf_printf(b, " %s：%d</title></circle>", hq_eval_bucket_label(e, i), hq_eval_count(e, d, i));
        }
        int ly = top + 6 + (int)d * 18;
        hq_buf_printf(b,
                      "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                      "<text x=\"%d\" y=\"%d\">",
                      left + width + 16, ly, col, left + width + 34, ly + 11);
        hq_html_escape(b, hq_domain_label(hq_eval_domain(e, d)));
        hq_buf_puts(b, "</text></g>\n");
    }
    hq_buf_printf(b,
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n</svg>\n",
                  left, top, left, top + height, left, top + height, left + width, top + height);
}

static void chart_ontime(hq_buf *b, const hq_eval *e)
{
    const hq_eval_row *rows;
    size_t n = hq_eval_rows(e, &rows);
    const int left = 200, width = 400, rowh = 28, top = 12;
    int h = top + (int)(n ? n : 1) * rowh + 24;
    hq_buf_printf(b,
                  "<svg id=\"chart-ontime\" class=\"chart\" role=\"img\" width=\"680\" height=\"%d\" "
                  "viewBox=\"0 0 680 %d\" aria-label=\"按期整改率\">\n<title>按期整改率</title>\n",
                  h, h);
    if (!n)
        hq_buf_printf(b, "<text x=\"%d\" y=\"%d\">本期无合作企业</text>\n", left, top + 18);
    for (size_t i = 0; i < n; i++) {
        const hq_eval_row *r = &rows[i];
        int y = top + (int)i * rowh;
        hq_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + 18);
        hq_html_escape(b, row_name(r));
        hq_buf_puts(b, "</text>");
        if (!r->due) {
            hq_buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#888\">本期无到期问题</text>\n", left + 6, y + 18);
            continue;
        }
        double rate = (double)r->on_time / r->due;
        double w = width * rate;
        const char *col = rate >= 0.9 ? "#2e7d32" : rate >= 0.7 ? "#f9a825" : "#c62828";
        hq_buf_printf(b,
                      "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>",
                      left, y + 4, w, rowh - 8, col);
        hq_html_escape(b, row_name(r));
        hq_buf_printf(b, "：%d/%d 按期</title></rect><text x=\"%.1f\" y=\"%d\">%.1f%%（%d/%d）</text>\n", r->on_time,
                      r->due, left + w + 6, y + 18, rate * 100, r->on_time, r->due);
    }
    hq_buf_printf(b,
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                  left, top, left, h - 20, left, h - 20, left + width, h - 20);
    for (int t = 0; t <= 4; t++)
        hq_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#666\">%d%%</text>",
                      left + width * t / 4.0, h - 6, t * 25);
    hq_buf_puts(b, "\n</svg>\n");
}

static const char style[] =
    "@page { size: A4; margin: 15mm 12mm; }\n"
    "body { font-family: \"Noto Sans CJK SC\", \"Source Han Sans SC\", \"Microsoft YaHei\", \"PingFang SC\", "
    "sans-serif; color: #222; max-width: 190mm; margin: 0 auto; font-size: 10.5pt; line-height: 1.5; }\n"
    "h1 { font-size: 18pt; text-align: center; margin: 0.6em 0 0.2em; }\n"
    "h2 { font-size: 13pt; border-bottom: 1px solid #888; margin-top: 1.2em; }\n"
    "p.meta { text-align: center; color: #444; }\n"
    "table { border-collapse: collapse; width: 100%; font-size: 9pt; }\n"
    "th, td { border: 1px solid #999; padding: 2px 4px; text-align: center; }\n"
    "th { background: #eee; }\n"
    "td.name { text-align: left; }\n"
    "figure { margin: 0.8em 0; page-break-inside: avoid; break-inside: avoid; }\n"
    "figcaption { font-weight: bold; margin-bottom: 0.3em; }\n"
    "svg.chart { max-width: 100%; height: auto; font-size: 11px; }\n"
    "svg text { font-family: inherit; }\n"
    "ul.rules li { margin: 0.1em 0; }\n"
    "footer { margin-top: 2em; color: #666; font-size: 9pt; text-align: right; }\n";

/* The document's head, the title and the period. */
static void html_head(const hq_eval *e, hq_buf *b)
{
    const hq_eval_scheme *s = hq_eval_get_scheme(e);
    const hq_period *p = hq_eval_get_period(e);
    char from[16], to[16], asof[32], base[32];
    hq_local_date(p->from_ms, from, sizeof from);
    hq_local_date(p->to_ms - 1, to, sizeof to);
    hq_local_fmt(hq_eval_as_of(e) < p->to_ms ? hq_eval_as_of(e) : p->to_ms - 1, asof, sizeof asof);
    hq_eval_points(s->base_cp, base, sizeof base);
    hq_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    hq_html_escape(b, s->name);
    hq_buf_puts(b, " · ");
    hq_html_escape(b, hq_eval_period_name(e));
    hq_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
    hq_html_escape(b, s->name);
    hq_buf_puts(b, "</h1>\n<p class=\"meta\">考评期间：");
    hq_html_escape(b, hq_eval_period_name(e));
    hq_buf_printf(b, "（%s 至 %s）　统计截至：%s　基础分：%s</p>\n", from, to, asof, base);
}

/* 一、得分与排名: one row per contractor. */
static void html_scores(const hq_eval_row *rows, size_t n, hq_buf *b)
{
    hq_buf_puts(b, "<h2>一、得分与排名</h2>\n<table id=\"scores\">\n<thead><tr><th>排名</th><th>合作企业</th>"
                   "<th>得分</th><th>等级</th><th>问题数</th><th>逾期天数</th><th>复查未通过</th><th>复发</th>"
                   "<th>有效投诉</th><th>自查缺失</th><th>问责</th><th>扣分合计</th><th>按期整改率</th>"
                   "<th>违约金(元)</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        const hq_eval_row *r = &rows[i];
        char sc[32], de[32], rate[32] = "—";
        hq_eval_points(r->score_cp, sc, sizeof sc);
        hq_eval_points(r->deductions_cp, de, sizeof de);
        if (r->due)
            snprintf(rate, sizeof rate, "%.1f%%", 100.0 * r->on_time / r->due);
        hq_buf_printf(b, "<tr><td>%d</td><td class=\"name\">", r->rank);
        hq_html_escape(b, row_name(r));
        hq_buf_printf(b, "</td><td>%s</td><td>", sc);
        hq_html_escape(b, r->grade);
        hq_buf_printf(b, "%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>"
                         "<td>%s</td><td>%s</td><td>%lld.%02lld</td></tr>\n",
                      r->vetoes ? "（一票否决）" : "", r->issues, r->overdue_days, r->failed_rechecks,
                      r->recurrences, r->complaints, r->missed_inspections, r->accountability, de, rate,
                      (long long)(r->penalties_cents / 100), (long long)(r->penalties_cents % 100));
    }
    if (!n)
        hq_buf_puts(b, "<tr><td colspan=\"14\">本期无合作企业</td></tr>\n");
    hq_buf_puts(b, "</tbody>\n</table>\n");
}

/* 二、扣分明细: the deductions by cause. */
static void html_deductions(const hq_eval_row *rows, size_t n, hq_buf *b)
{
    hq_buf_puts(b, "<h2>二、扣分明细</h2>\n<table id=\"deductions\">\n<thead><tr><th>合作企业</th>");
    for (int k = 0; k < HQ_EVAL_D_COUNT; k++)
        hq_buf_printf(b, "<th>%s</th>", hq_eval_deduction_label(k));
    hq_buf_puts(b, "<th>合计</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        const hq_eval_row *r = &rows[i];
        hq_buf_puts(b, "<tr><td class=\"name\">");
        hq_html_escape(b, row_name(r));
        hq_buf_puts(b, "</td>");
        hq_eval_put_deductions(b, r, "<td>", "</td>");
        hq_buf_puts(b, "</tr>\n");
    }
    hq_buf_puts(b, "</tbody>\n</table>\n");
}

/* 三、图表. */
static void html_charts(const hq_eval *e, hq_buf *b)
{
    hq_buf_puts(b, "<h2>三、图表</h2>\n<figure>\n<figcaption>图1 各合作企业得分</figcaption>\n");
    chart_scores(b, e);
    hq_buf_printf(b, "</figure>\n<figure>\n<figcaption>图2 各领域问题数（按%s）</figcaption>\n",
                  hq_eval_buckets(e) && strlen(hq_eval_bucket_label(e, 0)) == 5 ? "日" : "月");
    chart_domains(b, e);
    hq_buf_puts(b, "</figure>\n<figure>\n<figcaption>图3 按期整改率</figcaption>\n");
    chart_ontime(b, e);
    hq_buf_puts(b, "</figure>\n");
}

/* 四、评分办法: the scheme in words, and the footer naming its file. */
static void html_scheme(const hq_eval_scheme *s, hq_buf *b)
{
    char base[32];
    hq_eval_points(s->base_cp, base, sizeof base);
    hq_buf_printf(b, "<h2>四、评分办法</h2>\n<ul class=\"rules\">\n<li>基础分 %s 分，按下列各项扣减", base);
    if (s->floor_cp > 0) {
        char fl[32];
        hq_eval_points(s->floor_cp, fl, sizeof fl);
        hq_buf_printf(b, "，最低 %s 分", fl);
    }
    char pt[4][32];
    for (int i = 0; i < 4; i++)
        hq_eval_points(s->severity_cp[i], pt[i], sizeof pt[i]);
    hq_buf_printf(b, "。</li>\n<li>本期开立的问题：轻微 %s、一般 %s、严重 %s、重大 %s 分/件（无整改即撤销的不计）。</li>\n",
                  pt[0], pt[1], pt[2], pt[3]);
    const struct {
        int64_t cp;
        const char *what;
    } items[] = {
        {s->overdue_day_cp, "逾期未整改，每逾期一天（不足一天按一天计）"},
        {s->failed_recheck_cp, "复查未通过，每次"},
        {s->recurrence_cp, "同一问题复发，每次"},
        {s->complaint_cp, "经核实的投诉问题，每件"},
        {s->missed_inspection_cp, "未按要求开展自查，每次"},
        {s->accountability_cp, "启动问责，每件"},
    };
    for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
        char v[32];
        hq_eval_points(items[i].cp, v, sizeof v);
        hq_buf_printf(b, "<li>%s扣 %s 分。</li>\n", items[i].what, v);
    }
    hq_buf_puts(b, "<li>等级：");
    for (size_t g = 0; g < s->ngrades; g++) {
        char v[32];
        hq_eval_points(s->grades[g].min_cp, v, sizeof v);
        hq_buf_puts(b, g ? "，" : "");
        hq_html_escape(b, s->grades[g].name);
        hq_buf_printf(b, " ≥%s 分", v);
    }
    hq_buf_puts(b, "。</li>\n");
    if (s->veto_accountability || s->veto_categories.n) {
        hq_buf_puts(b, "<li>一票否决（等级定为");
        hq_html_escape(b, s->veto_grade ? s->veto_grade : s->ngrades ? s->grades[s->ngrades - 1].name : "");
        hq_buf_puts(b, "）：");
        if (s->veto_accountability)
            hq_buf_puts(b, "本期启动问责");
        for (size_t i = 0; i < s->veto_categories.n; i++) {
            hq_buf_puts(b, i || s->veto_accountability ? "；" : "");
            hq_buf_puts(b, "类别为 ");
            hq_html_escape(b, s->veto_categories.v[i]);
            hq_buf_puts(b, " 的问题");
        }
        hq_buf_puts(b, "。</li>\n");
    }
    hq_buf_puts(b, "<li>违约金按合同条款逐项计收，单独列示，不折算扣分。</li>\n</ul>\n<footer>依据 ");
    const char *slash = s->file ? strrchr(s->file, '/') : NULL;
    hq_html_escape(b, slash ? slash + 1 : s->file);
    hq_buf_puts(b, " 生成 · Houqin 后勤服务质量监督</footer>\n</body>\n</html>\n");
}

void hq_eval_to_html(const hq_eval *e, hq_buf *b)
{
    const hq_eval_row *rows;
    size_t n = hq_eval_rows(e, &rows);
    html_head(e, b);
    html_scores(rows, n, b);
    html_deductions(rows, n, b);
    html_charts(e, b);
    html_scheme(hq_eval_get_scheme(e), b);
}
