#define _GNU_SOURCE /* memmem */
/* The office's console and the contractors' portal (docs/web.md "Console
 * and portal").  Every page needs a logged-in person (auth.c) and shows
 * only what scope.c lets that person see; an issue the person may not see
 * is answered 404, as an issue that does not exist.
 *
 *   GET  /console                    dashboard
 *   GET  /console/ledger[.csv]       the ledger 台账 (filters; CSV export)
 *   GET  /console/issue/N            an issue: facts, timeline, photos,
 *                                    penalties, the actions the person may do
 *   POST /console/issue/N            an action (act.c)
 *   GET  /console/issue/N/notice     the printable rectification notice
 *   GET  /console/photo/N/HEX        a photo of one of the issue's events
 *   GET  /console/obligations        inspections due, done and missed
 *   GET  /console/evaluation         the evaluation of a month or term
 *   GET|POST /console/inspect        an inspection record from a phone
 *   POST /console/filters            the person's saved filters (filters.c)
 *
 * Reads are short read transactions of the shared read-only store
 * (state.c); nothing is written here. */
#include "web.h"

#include "clock.h"
#include "evaluation.h"
#include "ledger.h"
#include "mem.h"
#include "mp.h"
#include "notice.h"
#include "obligation.h"

#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_ROWS 50

static const char ccss[] =
    "main{max-width:1100px}header{display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px}"
    "header .who{margin-left:auto;font-size:13px}header form{display:inline}"
    "header .who button{width:auto;margin:0 0 0 8px;padding:3px 10px;font-size:13px;background:#fff;color:#1f5fa8}"
    "nav{background:#fff;border-bottom:1px solid #e5e6eb;overflow-x:auto;white-space:nowrap}"
    "nav a{display:inline-block;padding:10px 12px;color:#1d2129;text-decoration:none}"
    "nav a.on{color:#1f5fa8;border-bottom:2px solid #1f5fa8;font-weight:600}"
    "table{border-collapse:collapse;width:100%;font-size:14px}th,td{padding:6px 8px;border-bottom:1px solid #e5e6eb;"
    "text-align:left;vertical-align:top}th{background:#f7f8fa;font-weight:600}"
    ".scroll{overflow-x:auto}.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}"
    ".kpi{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}"
    ".kpi b{display:block;font-size:26px;color:#1f5fa8}.kpi.bad b{color:#c62828}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}"
    ".late{color:#c62828;font-weight:600}.soon{color:#b26a00}.tag{display:inline-block;padding:0 6px;border-radius:4px;"
    "background:#e8f0fb;color:#1f5fa8;font-size:12px}.tag.closed{background:#eee;color:#666}"
    ".tag.reopened,.tag.opened{background:#fdecea;color:#c62828}"
    ".filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end}.filters label{margin:0;font-size:13px}"
    ".filters select,.filters input{width:auto;padding:6px}.filters button{width:auto;margin:0;padding:7px 16px}"
    ".tl{list-style:none;padding:0;margin:0}.tl li{border-left:3px solid #c6dbf5;padding:4px 0 8px 10px}"
    ".tl time{color:#86909c;font-size:13px;display:block}.photos img{max-width:160px;max-height:160px;margin:4px;"
    "border-radius:4px;border:1px solid #e5e6eb}.acts form{border-top:1px solid #e5e6eb;padding-top:6px}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0}dt{color:#86909c}dd{margin:0}"
    "a.btn{display:inline-block;padding:6px 12px;border:1px solid #1f5fa8;border-radius:6px;text-decoration:none}"
    ".saved{list-style:none;padding:0;margin:0 0 8px}.saved li{display:flex;align-items:center;gap:10px;padding:4px 0;"
    "border-bottom:1px solid #e5e6eb}.saved form{margin:0 0 0 auto}.saved button{width:auto;margin:0;padding:3px 10px;"
    "font-size:13px}label.check{font-weight:normal}";

typedef enum { NAV_DASH, NAV_LEDGER, NAV_OBL, NAV_EVAL, NAV_INSPECT, NAV_HEALTH, NAV_NONE } nav_item;

void web_console_begin(hq_buf *b, const char *title, const hq_person *p, int nav);
void web_console_begin(hq_buf *b, const char *title, const hq_person *p, int nav)
{
    hq_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    web_html(b, title);
    hq_buf_puts(b, " · 后勤监管</title><style>");
    hq_buf_puts(b, web_css());
    hq_buf_puts(b, ccss);
    hq_buf_puts(b, "</style>");
    if (p) /* live updates (live.c) */
        hq_buf_puts(b, "<script src=\"/console/live.js\" defer></script>");
    hq_buf_puts(b, "</head><body><header><h1>");
    bool ctr = p && web_is_contractor(p);
    hq_buf_puts(b, ctr ? "合作企业服务平台" : "后勤服务监管平台");
    hq_buf_puts(b, "</h1>");
    if (p) {
        char purpose[100], csrf[160];
        snprintf(purpose, sizeof purpose, "logout:%s", p->id);
        web_csrf_make(purpose, csrf, sizeof csrf);
        hq_buf_puts(b, "<span class=\"who\" id=\"who\">");
        web_html(b, p->name ? p->name : p->id);
        hq_buf_puts(b, "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"");
        web_html(b, csrf);
        hq_buf_puts(b, "\"><button type=\"submit\" id=\"logout\">退出</button></form></span></header><nav>");
        static const char *const href[] = {"/console", "/console/ledger", "/console/obligations",
                                           "/console/evaluation", "/console/inspect", "/console/health"};
        static const char *const staff[] = {"概览", "台账", "检查任务", "考评", "填报检查", "运行状态"};
        static const char *const mine[] = {"概览", "我的问题", NULL, "考评", NULL, NULL};
        for (int i = 0; i < 6; i++) {
            const char *label = ctr ? mine[i] : staff[i];
            if (!label)
                continue;
            hq_buf_printf(b, "<a href=\"%s\"%s>%s</a>", href[i], i == nav ? " class=\"on\"" : "", label);
        }
        hq_buf_puts(b, "</nav><main>");
    } else {
        hq_buf_puts(b, "</header><main>");
    }
}

enum MHD_Result web_console_send(web_req *r, unsigned status, hq_buf *b);
enum MHD_Result web_console_send(web_req *r, unsigned status, hq_buf *b)
{
    hq_buf_puts(b, "</main></body></html>\n");
    enum MHD_Result ret = web_reply_buf(r, status, "text/html; charset=utf-8", b);
    hq_buf_fini(b);
    return ret;
}

enum MHD_Result web_console_error(web_req *r, const hq_person *p, unsigned status, const char *msg);
enum MHD_Result web_console_error(web_req *r, const hq_person *p, unsigned status, const char *msg)
{
    hq_buf b;
    hq_buf_init(&b);
    web_console_begin(&b, "提示", p, NAV_NONE);
    hq_buf_puts(&b, "<div class=\"card\"><p class=\"err\" id=\"error\">");
    web_html(&b, msg);
    hq_buf_puts(&b, "</p><p><a href=\"/console\">返回概览</a></p></div>");
    return web_console_send(r, status, &b);
}

/* "剩余 3小时20分" / "超期 1天2小时" */
static void left_text(int64_t due_ms, int64_t now, hq_buf *b)
{
    int64_t d = due_ms - now, a = d < 0 ? -d : d;
    int64_t days = a / HQ_DAY_MS, hours = (a % HQ_DAY_MS) / HQ_HOUR_MS, mins = (a % HQ_HOUR_MS) / HQ_MINUTE_MS;
    hq_buf_printf(b, "<span class=\"%s\">%s ", d < 0 ? "late" : (d < 4 * HQ_HOUR_MS ? "soon" : ""),
                  d < 0 ? "已超期" : "剩余");
    if (days)
        hq_buf_printf(b, "%lld天", (long long)days);
    if (days < 3)
        hq_buf_printf(b, "%lld小时", (long long)hours);
    if (!days)
        hq_buf_printf(b, "%lld分", (long long)mins);
    hq_buf_puts(b, "</span>");
}

static void when(hq_buf *b, int64_t ms)
{
    char t[64];
    if (!ms) {
        hq_buf_puts(b, "—");
        return;
    }
    hq_local_fmt(ms, t, sizeof t);
    web_html(b, t);
}

static const char *contractor_name(const char *id)
{
    const hq_contractor *c = id && *id ? hq_rules_contractor(g_web->rules, id) : NULL;
    return c && c->name ? c->name : (id && *id ? id : "（本单位）");
}

/* The responsible unit of a key: "office:<unit>" (an internal issue's
 * owner) names the office's section or centre (org.yaml office_units),
 * anything else a contractor. */
static const char *unit_key_name(const char *key)
{
    if (key && !strncmp(key, "office:", 7)) {
        const hq_office_unit *u = hq_rules_office_unit(g_web->rules, key + 7);
        return u && u->name ? u->name : key + 7;
    }
    return contractor_name(key);
}

/* Who answers for an issue: its contractor, or for an internal issue the
 * office unit that owns it. */
static const char *unit_key(const hq_issue *is)
{
    return is->owner && !strncmp(is->owner, "office:", 7) ? is->owner : is->contractor;
}

static const char *unit_name(const hq_issue *is)
{
    return unit_key_name(unit_key(is));
}

static const char *site_name(const char *id)
{
    const hq_site *s = id ? hq_rules_site(g_web->rules, id) : NULL;
    return s && s->name ? s->name : (id ? id : "");
}

static void state_tag(hq_buf *b, const hq_issue *is)
{
    hq_buf_printf(b, "<span class=\"tag %s\">", hq_issue_state_name(is->state));
    web_html(b, hq_state_label(is->state));
    hq_buf_puts(b, "</span>");
}

static bool visible(const hq_person *p, const hq_issue *is)
{
    return web_may_see(p, is->domain, is->contractor);
}

/* Iterates the issues newest first (numbers sort by year and sequence). */
typedef int (*issue_fn)(void *ctx, const hq_issue *is);
static int each_issue(MDB_txn *txn, bool newest_first, const char *before, issue_fn fn, void *ctx)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, hq_store_dbi(web_store(), HQ_DB_ISSUES), &cur) != 0)
        return HQ_ESTORE;
    MDB_val k, v;
    int mrc;
    if (before && *before) {
        k.mv_data = (void *)before;
        k.mv_size = strlen(before);
        mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        mrc = mrc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    } else {
        mrc = mdb_cursor_get(cur, &k, &v, newest_first ? MDB_LAST : MDB_FIRST);
    }
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, newest_first ? MDB_PREV : MDB_NEXT)) {
        hq_issue is;
        int stop = 0;
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, NULL) == 0)
            stop = fn(ctx, &is);
        hq_issue_fini(&is);
        if (stop)
            break;
    }
    mdb_cursor_close(cur);
    return 0;
}

/* ---- dashboard ---- */

#define TREND_DAYS 14
#define MAX_KEYS 64

typedef struct kv {
    const char *key;
    int n;
} kv;

typedef struct dash {
    const hq_person *p;
    int64_t now, day0;
    int open, overdue, closed30, reopened30;
    kv domains[MAX_KEYS], contractors[MAX_KEYS];
    size_t ndomains, ncontractors;
    int levels[8];
    int trend[TREND_DAYS];
    hq_buf overdue_rows;
    int overdue_shown;
    char *keys[2 * MAX_KEYS]; /* owned copies */
    size_t nkeys;
} dash;

static void count(dash *d, kv *t, size_t *n, const char *key)
{
    key = key && *key ? key : "";
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].key, key) == 0) {
            t[i].n++;
            return;
        }
    if (*n < MAX_KEYS && d->nkeys < 2 * MAX_KEYS) {
        d->keys[d->nkeys] = hq_strdup(key);
        t[*n].key = d->keys[d->nkeys++];
        t[(*n)++].n = 1;
    }
}

static int dash_issue(void *ctx, const hq_issue *is)
{
    dash *d = ctx;
    if (!visible(d->p, is))
        return 0;
    if (is->opened_ms >= d->day0 - (TREND_DAYS - 1) * HQ_DAY_MS && is->opened_ms < d->day0 + HQ_DAY_MS)
        d->trend[(is->opened_ms - (d->day0 - (TREND_DAYS - 1) * HQ_DAY_MS)) / HQ_DAY_MS]++;
    if (is->state == HQ_IS_CLOSED) {
        if (is->closed_ms >= d->now - 30 * HQ_DAY_MS) {
            d->closed30++;
            d->reopened30 += is->failed_rechecks > 0;
        }
        return 0;
    }
    d->open++;
    count(d, d->domains, &d->ndomains, is->domain);
    count(d, d->contractors, &d->ncontractors, unit_key(is));
    d->levels[is->level < 1 ? 1 : (is->level > 7 ? 7 : is->level)]++;
    bool late = is->deadline_ms && is->deadline_ms < d->now;
    if (late)
        d->overdue++;
    if (is->deadline_ms && is->deadline_ms < d->now + HQ_DAY_MS && d->overdue_shown < 30) {
        hq_buf *b = &d->overdue_rows;
        d->overdue_shown++;
        hq_buf_printf(b, "<tr><td><a href=\"/console/issue/%s\">%s</a></td><td>", is->number, is->number);
        web_html(b, is->title);
        hq_buf_puts(b, "</td><td>");
        web_html(b, unit_name(is));
        hq_buf_printf(b, "</td><td>%d</td><td>", is->level);
        left_text(is->deadline_ms, d->now, b);
        hq_buf_puts(b, "</td></tr>");
    }
    return 0;
}

typedef struct obl_week {
    const hq_person *p;
    int64_t from, to;
    int missed, done;
} obl_week;

static int obl_week_fn(void *ctx, const hq_obligation *o)
{
    obl_week *w = ctx;
    if (o->due_ms < w->from || o->due_ms >= w->to)
        return 0;
    const hq_rule *rule = hq_rules_find(g_web->rules, o->rule);
    if (web_is_contractor(w->p) || !web_may_see(w->p, rule ? rule->domain : NULL, NULL))
        return 0;
    if (o->state == HQ_OBL_MISSED)
        w->missed++;
    else if (o->state != HQ_OBL_DUE)
        w->done++;
    return 0;
}

/* Complaint feedback of the last 30 days (the newest 20,000 events). */
static void satisfaction(MDB_txn *txn, int64_t now, int *answers, int *solved, double *stars)
{
    *answers = *solved = 0;
    *stars = 0;
    int nstars = 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, hq_store_dbi(web_store(), HQ_DB_EVENTS), &cur) != 0)
        return;
    MDB_val k, v;
    int n = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST); mrc == 0 && n < 20000;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV), n++) {
        if (v.mv_size < 8)
            continue;
        if ((int64_t)hq_be64_get(v.mv_data) < now - 30 * HQ_DAY_MS)
            break;
        if (!memmem((const char *)v.mv_data + 8, v.mv_size - 8, "complaint.feedback", 18))
            continue;
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object ev;
        size_t off = 0;
        if (msgpack_unpack((const char *)v.mv_data + 8, v.mv_size - 8, &off, &zone, &ev) == MSGPACK_UNPACK_SUCCESS &&
            hq_mp_str_eq(hq_mp_map_get(&ev, "type"), "complaint.feedback")) {
            const msgpack_object *s = hq_mp_path(&ev, "data.solved");
            int64_t st;
            (*answers)++;
            *solved += s && s->type == MSGPACK_OBJECT_BOOLEAN && s->via.boolean;
            if (hq_mp_int64(hq_mp_path(&ev, "data.stars"), &st)) {
                *stars += (double)st;
                nstars++;
            }
        }
        msgpack_zone_destroy(&zone);
    }
    mdb_cursor_close(cur);
    if (nstars)
        *stars /= nstars;
}

static void table_kv(hq_buf *b, const char *title, const char *col, kv *t, size_t n, bool contractors)
{
    hq_buf_puts(b, "<div class=\"card\"><h3>");
    web_html(b, title);
    hq_buf_printf(b, "</h3><table><tr><th>%s</th><th>未办结</th></tr>", col);
    for (size_t i = 0; i < n; i++) {
        hq_buf_puts(b, "<tr><td>");
        web_html(b, contractors ? unit_key_name(t[i].key) : hq_domain_label(t[i].key));
        hq_buf_printf(b, "</td><td>%d</td></tr>", t[i].n);
    }
    if (!n)
        hq_buf_puts(b, "<tr><td colspan=\"2\">无</td></tr>");
    hq_buf_puts(b, "</table></div>");
}

static enum MHD_Result dashboard(web_req *r, const hq_person *p)
{
    int64_t now = web_state_now_ms();
    dash d = {.p = p, .now = now};
    struct tm tm;
    hq_local_tm(now, &tm);
    d.day0 = hq_local_midnight(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    hq_buf_init(&d.overdue_rows);
    obl_week ow = {.p = p, .from = d.day0 - ((tm.tm_wday + 6) % 7) * HQ_DAY_MS, .to = now};
    int answers = 0, solved = 0;
    double stars = 0;
    MDB_txn *txn;
    hq_err err;
    if (web_state_begin(&txn, &err) != 0) {
        hq_buf_fini(&d.overdue_rows);
        return web_console_error(r, p, 503, "暂时无法读取数据（服务尚未就绪），请稍后再试。");
    }
    int64_t since = d.day0 - (TREND_DAYS - 1) * HQ_DAY_MS; /* what dash_issue counts: index.c */
    if (!web_scan_period(txn, since < now - 30 * HQ_DAY_MS ? since : now - 30 * HQ_DAY_MS, INT64_MAX, true,
                         dash_issue, &d))
        each_issue(txn, true, NULL, dash_issue, &d);
    hq_obligation_each(web_store(), txn, obl_week_fn, &ow, NULL);
    if (!web_is_contractor(p))
        satisfaction(txn, now, &answers, &solved, &stars);
    web_state_end(txn);

    hq_buf b;
    hq_buf_init(&b);
    web_console_begin(&b, "概览", p, NAV_DASH);
    char t[64];
    hq_local_fmt(now, t, sizeof t);
    hq_buf_puts(&b, "<p class=\"note\">数据时间：");
    web_html(&b, t);
    hq_buf_puts(&b, "</p><div class=\"kpis\">");
    hq_buf_printf(&b, "<div class=\"kpi\"><b id=\"kpi-open\">%d</b>未办结问题</div>", d.open);
    hq_buf_printf(&b, "<div class=\"kpi%s\"><b id=\"kpi-overdue\">%d</b>已超期</div>", d.overdue ? " bad" : "",
                  d.overdue);
    if (!web_is_contractor(p)) {
        hq_buf_printf(&b, "<div class=\"kpi%s\"><b id=\"kpi-missed\">%d</b>本周未完成检查</div>",
                      ow.missed ? " bad" : "", ow.missed);
        if (answers)
            hq_buf_printf(&b, "<div class=\"kpi\"><b>%d%%</b>投诉人满意（近30天 %d 份评价%s", 100 * solved / answers,
                          answers, stars > 0 ? "，" : "）</div>");
        else
            hq_buf_puts(&b, "<div class=\"kpi\"><b>—</b>投诉人满意（近30天无评价）</div>");
        if (answers && stars > 0)
            hq_buf_printf(&b, "平均 %.1f 星）</div>", stars);
    }
    if (d.closed30)
        hq_buf_printf(&b, "<div class=\"kpi\"><b>%d%%</b>复查不通过后重新整改（近30天办结 %d 件）</div>",
                      100 * d.reopened30 / d.closed30, d.closed30);
    else
        hq_buf_puts(&b, "<div class=\"kpi\"><b>—</b>复查不通过率（近30天无办结）</div>");
    hq_buf_puts(&b, "</div>");
    /* overdue and due within a day */
    hq_buf_puts(&b, "<div class=\"card\"><h3>超期与即将到期</h3><div class=\"scroll\"><table id=\"overdue\">"
                    "<tr><th>编号</th><th>问题</th><th>责任单位</th><th>督办级别</th><th>期限</th></tr>");
    web_table_rows(&b, &d.overdue_rows, 5, "没有超期或 24 小时内到期的问题。");
    hq_buf_puts(&b, "</table></div></div>");
    web_filters_card(&b, p, NULL);
    hq_buf_puts(&b, "<div class=\"grid\">");
    table_kv(&b, "按领域", "领域", d.domains, d.ndomains, false);
    table_kv(&b, "按责任单位", "责任单位", d.contractors, d.ncontractors, true);
    hq_buf_puts(&b, "<div class=\"card\"><h3>按督办级别</h3><table><tr><th>级别</th><th>未办结</th></tr>");
    for (int l = 1; l < 8; l++)
        if (d.levels[l])
            hq_buf_printf(&b, "<tr><td>第 %d 级</td><td>%d</td></tr>", l, d.levels[l]);
    hq_buf_puts(&b, "</table></div>");
    /* the trend: issues opened per day, an inline SVG bar chart */
    int max = 1;
    for (int i = 0; i < TREND_DAYS; i++)
        max = d.trend[i] > max ? d.trend[i] : max;
    hq_buf_puts(&b, "<div class=\"card\"><h3>近 14 天新增问题</h3><svg id=\"trend\" viewBox=\"0 0 300 120\" "
                    "width=\"100%\" role=\"img\" aria-label=\"近14天每日新增问题数\">");
    for (int i = 0; i < TREND_DAYS; i++) {
        int h = d.trend[i] * 90 / max;
        hq_buf_printf(&b, "<rect x=\"%d\" y=\"%d\" width=\"16\" height=\"%d\" fill=\"#1f5fa8\"><title>%d</title></rect>",
                      4 + i * 21, 100 - h, h, d.trend[i]);
        if (d.trend[i])
            hq_buf_printf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%d</text>", 12 + i * 21,
                          96 - h, d.trend[i]);
        if (i % 3 == 1 || i == TREND_DAYS - 1) {
            struct tm dt;
            hq_local_tm(d.day0 - (TREND_DAYS - 1 - i) * HQ_DAY_MS, &dt);
            hq_buf_printf(&b, "<text x=\"%d\" y=\"115\" font-size=\"9\" text-anchor=\"middle\">%d/%d</text>",
                          12 + i * 21, dt.tm_mon + 1, dt.tm_mday);
        }
    }
    hq_buf_puts(&b, "<line x1=\"0\" y1=\"100\" x2=\"300\" y2=\"100\" stroke=\"#c9cdd4\"/></svg></div></div>");
    hq_buf_fini(&d.overdue_rows);
    for (size_t i = 0; i < d.nkeys; i++)
        free(d.keys[i]);
    return web_console_send(r, 200, &b);
}

/* ---- the ledger ---- */

typedef struct lfilter {
    const hq_person *p;
    const char *state, *domain, *contractor, *q;
    bool overdue;
    int64_t now;
    size_t max, n;
    char last[HQ_ISSUE_NUMBER_SIZE];
    bool more;
    hq_buf *out;
    bool csv;
} lfilter;

static bool ledger_match(lfilter *f, const hq_issue *is)
{
    if (!visible(f->p, is))
        return false;
    if (f->state && *f->state) {
        if (!strcmp(f->state, "open") ? is->state == HQ_IS_CLOSED
                                      : strcmp(f->state, hq_issue_state_name(is->state)) != 0)
            return false;
    }
    if (f->domain && *f->domain && (!is->domain || strcmp(f->domain, is->domain)))
        return false;
    if (f->contractor && *f->contractor && (!is->contractor || strcmp(f->contractor, is->contractor)))
        return false;
    if (f->overdue && !(is->state != HQ_IS_CLOSED && is->deadline_ms && is->deadline_ms < f->now))
        return false;
    if (f->q && *f->q && !strstr(is->number, f->q) && !(is->title && strstr(is->title, f->q)))
        return false;
    return true;
}

static int ledger_row(void *ctx, const hq_issue *is)
{
    lfilter *f = ctx;
    if (!ledger_match(f, is))
        return 0;
    if (f->csv) {
        hq_ledger_names nm = {.contractor = unit_name(is), .site = site_name(is->site), .org = g_web->rules};
        hq_ledger_csv_row(f->out, is, &nm, false);
        return 0;
    }
    if (f->n == f->max) {
        f->more = true;
        return 1;
    }
    f->n++;
    snprintf(f->last, sizeof f->last, "%s", is->number);
    hq_buf *b = f->out;
    hq_buf_printf(b, "<tr><td><a href=\"/console/issue/%s\">%s</a></td><td>", is->number, is->number);
    web_html(b, is->title);
    hq_buf_puts(b, "</td><td>");
    state_tag(b, is);
    hq_buf_puts(b, "</td><td>");
    web_html(b, hq_domain_label(is->domain));
    hq_buf_puts(b, "</td><td>");
    web_html(b, unit_name(is));
    hq_buf_puts(b, "</td><td>");
    when(b, is->opened_ms);
    hq_buf_puts(b, "</td><td>");
    if (is->state == HQ_IS_CLOSED)
        when(b, is->closed_ms);
    else if (is->deadline_ms)
        left_text(is->deadline_ms, f->now, b);
    hq_buf_puts(b, "</td></tr>");
    return 0;
}

void web_url_arg(hq_buf *b, const char *k, const char *v)
{
    if (!v || !*v)
        return;
    hq_buf_printf(b, "&%s=", k);
    for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("-._", *s))
            hq_buf_putc(b, (char)*s);
        else
            hq_buf_printf(b, "%%%02X", *s);
    }
}

static void sel(hq_buf *b, const char *name, const char *label, const char *cur, const char *const *vals,
                const char *const *labels, size_t n)
{
    hq_buf_printf(b, "<label>%s<br><select name=\"%s\" id=\"f-%s\"><option value=\"\">全部</option>", label, name,
                  name);
    for (size_t i = 0; i < n; i++) {
        hq_buf_puts(b, "<option value=\"");
        web_html(b, vals[i]);
        hq_buf_puts(b, cur && !strcmp(cur, vals[i]) ? "\" selected>" : "\">");
        web_html(b, labels[i]);
        hq_buf_puts(b, "</option>");
    }
    hq_buf_puts(b, "</select></label>");
}

static enum MHD_Result ledger(web_req *r, const hq_person *p, bool csv)
{
    lfilter f = {.p = p, .state = web_query(r, "state"), .domain = web_query(r, "domain"),
                 .contractor = web_query(r, "contractor"), .q = web_query(r, "q"),
                 .overdue = web_query(r, "overdue") && !strcmp(web_query(r, "overdue"), "1"),
                 .now = web_state_now_ms(), .max = PAGE_ROWS, .csv = csv};
    const char *before = web_query(r, "before");
    hq_buf rows;
    hq_buf_init(&rows);
    f.out = &rows;
    if (csv)
        hq_ledger_csv_begin(&rows);
    MDB_txn *txn;
    hq_err err;
    if (web_state_begin(&txn, &err) != 0) {
        hq_buf_fini(&rows);
        return web_console_error(r, p, 503, "暂时无法读取数据（服务尚未就绪），请稍后再试。");
    }
    if (!web_scan_open_of(txn, f.state, f.contractor, csv ? NULL : before, ledger_row, &f)) /* index.c */
        each_issue(txn, true, csv ? NULL : before, ledger_row, &f);
    web_state_end(txn);
    if (csv) {
        struct MHD_Response *resp;
        (void)resp;
        enum MHD_Result ret = web_reply_buf(r, 200, "text/csv; charset=utf-8", &rows);
        hq_buf_fini(&rows);
        return ret;
    }
    hq_buf b;
    hq_buf_init(&b);
    web_console_begin(&b, web_is_contractor(p) ? "我的问题" : "问题台账", p, NAV_LEDGER);
    web_notices(&b,
                web_query(r, "saved") ? "筛选条件已保存，可在“我的筛选”中一键使用。"
                : web_query(r, "deleted") ? "已删除筛选条件。"
                                          : NULL,
                NULL);
    hq_buf_puts(&b, "<form class=\"card filters\" method=\"get\" action=\"/console/ledger\">");
    static const char *const sv[] = {"open", "opened", "acknowledged", "rectified", "reopened", "closed"};
    const char *sl[6] = {"未办结"}; /* open: every state but closed */
    for (size_t i = 1; i < 6; i++)
        sl[i] = hq_label(HQ_LBL_STATE, sv[i]);
    sel(&b, "state", "状态", f.state, sv, sl, 6);
    if (!web_is_contractor(p)) {
        const char *const *doms = web_domains();
        size_t nd = 0;
        const char *dl[16];
        for (; doms[nd] && nd < 16; nd++)
            dl[nd] = hq_domain_label(doms[nd]);
        sel(&b, "domain", "领域", f.domain, doms, dl, nd);
        const hq_person *people;
        size_t np = hq_rules_people(g_web->rules, &people);
        const char *cv[64], *cl[64];
        size_t nc = 0;
        for (size_t i = 0; i < np; i++)
            for (size_t j = 0; j < people[i].nroles && nc < 64; j++)
                if (people[i].roles[j].role == HQ_ROLE_CONTRACTOR_CONTACT && people[i].roles[j].scope) {
                    cv[nc] = people[i].roles[j].scope;
                    cl[nc++] = contractor_name(people[i].roles[j].scope);
                }
        sel(&b, "contractor", "责任单位", f.contractor, cv, cl, nc);
    }
    hq_buf_printf(&b, "<label><input type=\"checkbox\" name=\"overdue\" value=\"1\"%s> 仅超期</label>",
                  f.overdue ? " checked" : "");
    hq_buf_puts(&b, "<label>编号或标题<br><input type=\"text\" name=\"q\" value=\"");
    web_html(&b, f.q);
    hq_buf_puts(&b, "\"></label><button type=\"submit\">筛选</button></form>");
    hq_buf args;
    hq_buf_init(&args);
    web_url_arg(&args, "state", f.state);
    web_url_arg(&args, "domain", f.domain);
    web_url_arg(&args, "contractor", f.contractor);
    web_url_arg(&args, "overdue", f.overdue ? "1" : NULL);
    web_url_arg(&args, "q", f.q);
    web_filters_card(&b, p, args.len ? args.data + 1 : "");
    hq_buf_puts(&b, "<div class=\"card\"><p><a class=\"btn\" id=\"csv\" href=\"/console/ledger.csv?x=1");
    if (args.len)
        web_html_n(&b, args.data, args.len);
    hq_buf_puts(&b, "\">导出 CSV</a></p><div class=\"scroll\"><table id=\"ledger\"><tr><th>编号</th><th>问题</th>"
                    "<th>状态</th><th>领域</th><th>责任单位</th><th>发现时间</th><th>期限/办结</th></tr>");
    web_table_rows(&b, &rows, 7, "没有符合条件的问题。");
    hq_buf_puts(&b, "</table></div>");
    if (f.more) {
        hq_buf_printf(&b, "<p><a class=\"btn\" id=\"next\" href=\"/console/ledger?before=%s", f.last);
        if (args.len)
            web_html_n(&b, args.data, args.len);
        hq_buf_puts(&b, "\">下一页</a></p>");
    }
    hq_buf_puts(&b, "</div>");
    hq_buf_fini(&args);
    hq_buf_fini(&rows);
    return web_console_send(r, 200, &b);
}

/* ---- an issue ---- */

/* Whether moderation hid the complaint's photos from contractors. */
static bool photos_moderated(const hq_issue *is)
{
    for (size_t i = 0; i < is->ntimeline; i++)
        if (is->timeline[i].kind == HQ_TL_MODERATED && (is->timeline[i].count & HQ_TL_MOD_PHOTOS))
            return true;
    return false;
}

/* The photo hashes of the issue's events (data.photos "sha256:HEX");
 * hide_source leaves out those of the event that opened it (a
 * complaint's, hidden by moderation). */
static size_t issue_photos(MDB_txn *txn, const hq_issue *is, char (*out)[65], size_t max, bool hide_source)
{
    size_t n = 0;
    for (size_t i = 0; i <= is->ntimeline && n < max; i++) {
        uint64_t seq = i < is->ntimeline ? is->timeline[i].seq : is->source_seq;
        if (!seq || (hide_source && seq == is->source_seq))
            continue;
        const char *frame;
        size_t len;
        int64_t sm;
        if (hq_store_event_get(web_store(), txn, seq, &sm, &frame, &len, NULL) != 0)
            continue;
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object ev;
        size_t off = 0;
        if (msgpack_unpack(frame, len, &off, &zone, &ev) == MSGPACK_UNPACK_SUCCESS) {
            const msgpack_object *ph = hq_mp_path(&ev, "data.photos");
            if (ph && ph->type == MSGPACK_OBJECT_ARRAY)
                for (uint32_t j = 0; j < ph->via.array.size && n < max; j++) {
                    const msgpack_object *s = &ph->via.array.ptr[j];
                    if (s->type != MSGPACK_OBJECT_STR || s->via.str.size != 71 || memcmp(s->via.str.ptr, "sha256:", 7))
                        continue;
                    bool dup = false;
                    for (size_t k = 0; k < n; k++)
                        dup |= !memcmp(out[k], s->via.str.ptr + 7, 64);
                    if (!dup) {
                        memcpy(out[n], s->via.str.ptr + 7, 64);
                        out[n++][64] = '\0';
                    }
                }
        }
        msgpack_zone_destroy(&zone);
    }
    return n;
}

/* Whether a complaint (complaint.submitted) opened the issue; text (if
 * not NULL) gets a copy of its words (the caller frees it). */
bool web_issue_complaint(const hq_issue *is, char **text);
bool web_issue_complaint(const hq_issue *is, char **text)
{
    if (text)
        *text = NULL;
    MDB_txn *txn;
    hq_err err;
    if (!is->source_seq || web_state_begin(&txn, &err) != 0)
        return false;
    const char *frame;
    size_t len;
    int64_t sm;
    bool yes = false;
    if (hq_store_event_get(web_store(), txn, is->source_seq, &sm, &frame, &len, NULL) == 0) {
        msgpack_zone zone;
        msgpack_zone_init(&zone, 1024);
        msgpack_object ev;
        size_t off = 0;
        if (msgpack_unpack(frame, len, &off, &zone, &ev) == MSGPACK_UNPACK_SUCCESS &&
            hq_mp_str_eq(hq_mp_map_get(&ev, "type"), "complaint.submitted")) {
            yes = true;
            if (text)
                *text = hq_mp_strdup(hq_mp_path(&ev, "data.text"));
        }
        msgpack_zone_destroy(&zone);
    }
    web_state_end(txn);
    return yes;
}

/* Loads a visible issue: 0, 404 (none, or not the person's), 503. */
int web_issue_load(const char *number, const hq_person *p, hq_issue *is, char (*photos)[65], size_t *nphotos);
int web_issue_load(const char *number, const hq_person *p, hq_issue *is, char (*photos)[65], size_t *nphotos)
{
    memset(is, 0, sizeof *is);
    if (strlen(number) >= HQ_ISSUE_NUMBER_SIZE)
        return 404;
    MDB_txn *txn;
    hq_err err;
    if (web_state_begin(&txn, &err) != 0)
        return 503;
    int rc = hq_issue_load(web_store(), txn, number, is, NULL);
    if (rc == 0 && p && !visible(p, is))
        rc = HQ_ENOTFOUND;
    if (rc == 0 && photos)
        *nphotos = issue_photos(txn, is, photos, 20, p && web_is_contractor(p) && photos_moderated(is));
    web_state_end(txn);
    if (rc)
        hq_issue_fini(is);
    return rc == 0 ? 0 : (rc == HQ_ENOTFOUND ? 404 : 503);
}

static void act_form(hq_buf *b, const char *post, const char *csrf, const hq_issue *is, int act, bool upload,
                     const char *original)
{
    hq_buf_printf(b, "<form method=\"post\" action=\"%s\" id=\"form-%s\"%s>", post, web_act_names[act],
                  upload ? " enctype=\"multipart/form-data\"" : "");
    hq_buf_printf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><input type=\"hidden\" name=\"tl\" "
                     "value=\"%zu\"><input type=\"hidden\" name=\"action\" value=\"%s\"><h3>%s</h3>",
                  csrf, is->ntimeline, web_act_names[act], web_act_labels[act]);
    static const char *const prompt[WEB_ACT_COUNT] = {
        "签收说明（可选）", "整改情况（必填：做了什么，有何凭证）", "复查说明（可选）", "复查发现的问题（必填）",
        "备注内容（必填）", "办结理由（必填）", "舆情内容（必填）", "问责理由（必填）",
        "理由（必填，仅工作人员可见）", "理由（必填）"};
    hq_buf_printf(b, "<label for=\"text-%s\">%s</label><textarea id=\"text-%s\" name=\"text\" maxlength=\"2000\""
                     "%s></textarea>",
                  web_act_names[act], prompt[act], web_act_names[act],
                  act == WEB_ACT_ACK || act == WEB_ACT_PASS ? "" : " required");
    if (act == WEB_ACT_CLOSE)
        hq_buf_puts(b, "<label for=\"outcome\">告知投诉人的处理结果（可选）</label>"
                       "<textarea id=\"outcome\" name=\"outcome\" maxlength=\"2000\"></textarea>");
    if (act == WEB_ACT_MODERATE) {
        /* the original stays in the event log; contractors read this instead */
        hq_buf_puts(b, "<label for=\"redacted\">合作企业看到的投诉文字（删去姓名、电话、学号等个人信息）</label>"
                       "<textarea id=\"redacted\" name=\"redacted\" maxlength=\"4000\">");
        web_html(b, original ? original : "");
        hq_buf_puts(b, "</textarea><label class=\"check\"><input type=\"checkbox\" id=\"hide_photos\" "
                       "name=\"hide_photos\" value=\"1\"> 对合作企业隐去投诉照片</label>");
    }
    if (act == WEB_ACT_DUPLICATE)
        hq_buf_puts(b, "<label for=\"duplicate_of\">与哪个问题重复（问题编号）</label><input type=\"text\" "
                       "id=\"duplicate_of\" name=\"duplicate_of\" maxlength=\"31\" required "
                       "placeholder=\"HQ-2026-000123\"><p class=\"note\">此投诉将关闭并链接到该问题；投诉人查询时会看到已合并办理。</p>");
    if (upload)
        hq_buf_printf(b, "<label for=\"photo-%s\">照片（可选）</label><input type=\"file\" id=\"photo-%s\" name=\"photo\" "
                         "accept=\"image/jpeg,image/png,image/webp\">",
                      web_act_names[act], web_act_names[act]);
    hq_buf_printf(b, "<button type=\"submit\" id=\"do-%s\"%s>%s</button></form>", web_act_names[act],
                  act == WEB_ACT_FAIL || act == WEB_ACT_DUPLICATE ? " class=\"alt\"" : "", web_act_labels[act]);
}

/* The issue page's facts: number, state, unit, site, dates, level. */
static void issue_facts(hq_buf *b, const hq_issue *is, int64_t now)
{
    hq_buf_puts(b, "<dl><dt>编号</dt><dd id=\"number\">");
    web_html(b, is->number);
    hq_buf_puts(b, "</dd><dt>状态</dt><dd id=\"state\">");
    state_tag(b, is);
    if (is->overdue && is->state != HQ_IS_CLOSED)
        hq_buf_puts(b, " <span class=\"late\">超期</span>");
    hq_buf_puts(b, "</dd><dt>领域</dt><dd>");
    web_html(b, hq_domain_label(is->domain));
    hq_buf_puts(b, "</dd><dt>责任单位</dt><dd>");
    web_html(b, unit_name(is));
    hq_buf_puts(b, "</dd><dt>地点</dt><dd>");
    web_html(b, site_name(is->site));
    hq_buf_puts(b, "</dd><dt>严重程度</dt><dd>");
    web_html(b, hq_severity_label(is->severity));
    hq_buf_puts(b, "</dd><dt>发现时间</dt><dd>");
    when(b, is->opened_ms);
    if (is->state == HQ_IS_CLOSED) {
        hq_buf_puts(b, "</dd><dt>办结时间</dt><dd>");
        when(b, is->closed_ms);
    } else {
        hq_buf_puts(b, "</dd><dt>整改期限</dt><dd id=\"deadline\">");
        when(b, is->deadline_ms);
        if (is->deadline_ms) {
            hq_buf_puts(b, "（");
            left_text(is->deadline_ms, now, b);
            hq_buf_puts(b, "）");
        }
    }
    hq_buf_printf(b, "</dd><dt>督办级别</dt><dd id=\"level\">第 %d 级</dd><dt>发生次数</dt><dd>%d</dd></dl>", is->level,
                  is->occurrences);
}

/* The issue page's timeline and penalties; public: in the words a
 * contractor reads. */
static void issue_history(hq_buf *b, const hq_issue *is, bool public)
{
    hq_buf_puts(b, "<div class=\"card\"><h3>处理经过</h3><ol class=\"tl\" id=\"timeline\">");
    for (size_t i = 0; i < is->ntimeline; i++) {
        const hq_tl_entry *e = &is->timeline[i];
        hq_buf_puts(b, "<li><time>");
        when(b, e->ts_ms);
        if (e->actor && *e->actor) {
            hq_buf_puts(b, " · ");
            web_html(b, web_person_name(e->actor));
        }
        hq_buf_puts(b, "</time>");
        {
            hq_buf w;
            hq_buf_init(&w);
            hq_tl_render(e, public ? HQ_TL_PUBLIC : HQ_TL_STAFF, &w);
            web_html(b, w.data ? w.data : "");
            hq_buf_fini(&w);
        }
        hq_buf_puts(b, "</li>");
    }
    hq_buf_puts(b, "</ol></div>");
    if (is->npenalties) {
        hq_buf_puts(b, "<div class=\"card\"><h3>违约扣款</h3><table><tr><th>时间</th><th>金额（元）</th><th>原因</th></tr>");
        for (size_t i = 0; i < is->npenalties; i++) {
            hq_buf_puts(b, "<tr><td>");
            when(b, is->penalties[i].ts_ms);
            hq_buf_printf(b, "</td><td>%lld.%02lld</td><td>", (long long)(is->penalties[i].amount_cents / 100),
                          (long long)(is->penalties[i].amount_cents % 100));
            web_html(b, is->penalties[i].reason);
            hq_buf_puts(b, "</td></tr>");
        }
        hq_buf_puts(b, "</table></div>");
    }
}

/* The issue page.  post: where the forms go (the console's issue path, or
 * the portal link); link_only limits the actions to ack and rectify. */
enum MHD_Result web_issue_page(web_req *r, const hq_person *p, const char *number, const char *post, bool link_only,
                               const char *notice, const char *error, unsigned status);
enum MHD_Result web_issue_page(web_req *r, const hq_person *p, const char *number, const char *post, bool link_only,
                               const char *notice, const char *error, unsigned status)
{
    hq_issue is;
    char photos[20][65];
    size_t nph = 0;
    int st = web_issue_load(number, p, &is, photos, &nph);
    if (st)
        return web_console_error(r, link_only ? NULL : p, st,
                                 st == 404 ? "没有这个问题，或您无权查看。" : "暂时无法读取数据，请稍后再试。");
    int64_t now = web_state_now_ms();
    hq_buf b;
    hq_buf_init(&b);
    web_console_begin(&b, is.number, link_only ? NULL : p, NAV_LEDGER);
    web_notices(&b, notice, error);
    hq_buf_puts(&b, "<div class=\"card\"><h2 id=\"title\">");
    web_html(&b, is.title);
    hq_buf_puts(&b, "</h2>");
    issue_facts(&b, &is, now);
    hq_buf_puts(&b, "<p>");
    web_html(&b, is.description);
    hq_buf_puts(&b, "</p>");
    /* staff: a complaint's own words, and after moderation the original */
    char *original = NULL;
    bool complaint = !link_only && !web_is_contractor(p) && web_issue_complaint(&is, &original);
    if (original && *original && is.description && !strstr(is.description, original)) {
        hq_buf_puts(&b, "<details id=\"original\"><summary>投诉原文（仅工作人员可见，已对合作企业隐去个人信息）</summary><p>");
        web_html(&b, original);
        hq_buf_puts(&b, "</p></details>");
    }
    if (is.requirement && *is.requirement) {
        hq_buf_puts(&b, "<p><strong>整改要求（需反馈）：</strong>");
        web_html(&b, is.requirement);
        hq_buf_puts(&b, "</p>");
    }
    if (!link_only)
        hq_buf_printf(&b, "<p><a class=\"btn\" id=\"notice-link\" href=\"/console/issue/%s/notice\">打印整改通知单</a></p>",
                      is.number);
    hq_buf_puts(&b, "</div>");
    if (nph) {
        hq_buf_puts(&b, "<div class=\"card photos\"><h3>照片</h3>");
        for (size_t i = 0; i < nph; i++)
            hq_buf_printf(&b, "<a href=\"%s/photo/%s\"><img src=\"%s/photo/%s\" alt=\"照片 %zu\"></a>", post, photos[i],
                          post, photos[i], i + 1);
        hq_buf_puts(&b, "</div>");
    }
    /* a contractor reads the public words: no rule ids, no event numbers */
    issue_history(&b, &is, link_only || !p || web_is_contractor(p));
    /* the actions this person may do now */
    char purpose[160], csrf[160], why[300];
    snprintf(purpose, sizeof purpose, "act:%s:%s", p->id, is.number);
    web_csrf_make(purpose, csrf, sizeof csrf);
    hq_buf acts;
    hq_buf_init(&acts);
    for (int a = 0; a < WEB_ACT_COUNT; a++) {
        if (link_only && a != WEB_ACT_ACK && a != WEB_ACT_RECTIFY)
            continue;
        if (web_may_act(p, &is, a, why, sizeof why))
            continue;
        hq_issue_state to;
        if (hq_issue_next_state(is.state, web_act_lifecycle[a], &to, NULL) != 0)
            continue;
        if (a == WEB_ACT_ACCOUNTABILITY && is.accountability)
            continue;
        if ((a == WEB_ACT_MODERATE || a == WEB_ACT_DUPLICATE) && !complaint)
            continue;
        act_form(&acts, post, csrf, &is, a, a == WEB_ACT_RECTIFY || a == WEB_ACT_FAIL || a == WEB_ACT_COMMENT,
                 original);
    }
    free(original);
    if (acts.len) {
        hq_buf_puts(&b, "<div class=\"card acts\" id=\"actions\"><h3>办理</h3>");
        hq_buf_append(&b, acts.data, acts.len);
        hq_buf_puts(&b, "</div>");
    }
    hq_buf_fini(&acts);
    hq_issue_fini(&is);
    return web_console_send(r, status, &b);
}

enum MHD_Result web_photo(web_req *r, const hq_person *p, const char *number, const char *hex);
enum MHD_Result web_photo(web_req *r, const hq_person *p, const char *number, const char *hex)
{
    hq_issue is;
    char photos[20][65];
    size_t nph = 0;
    if (web_issue_load(number, p, &is, photos, &nph) != 0)
        return web_reply(r, 404, "text/plain; charset=utf-8", "404\n", 4);
    hq_issue_fini(&is);
    bool ok = false;
    for (size_t i = 0; i < nph; i++)
        ok |= strcmp(photos[i], hex) == 0;
    char path[4300];
    snprintf(path, sizeof path, "%s/%.2s/%.2s/%s", g_web->media_dir, hex, hex + 2, hex);
    int fd = ok ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size > WEB_MAX_PHOTO) {
        if (fd >= 0)
            close(fd);
        return web_reply(r, 404, "text/plain; charset=utf-8", "404\n", 4);
    }
    char *buf = hq_malloc((size_t)st.st_size + 1);
    ssize_t n = read(fd, buf, (size_t)st.st_size);
    close(fd);
    const char *ct = n > 3 && (unsigned char)buf[0] == 0xFF ? "image/jpeg"
                     : n > 3 && buf[1] == 'P'               ? "image/png"
                                                            : "image/webp";
    enum MHD_Result ret = web_reply(r, 200, ct, buf, n > 0 ? (size_t)n : 0);
    free(buf);
    return ret;
}

static enum MHD_Result notice_page(web_req *r, const hq_person *p, const char *number)
{
    hq_issue is;
    int st = web_issue_load(number, p, &is, NULL, NULL);
    if (st)
        return web_console_error(r, p, st, "没有这个问题，或您无权查看。");
    hq_notice_info info = {.office = hq_rules_office(g_web->rules),
                           .contractor_name = unit_name(&is), .site_name = site_name(is.site),
                           .org = g_web->rules};
    hq_buf b;
    hq_buf_init(&b);
    hq_notice_html(&is, &info, &b);
    if (!web_is_contractor(p) && is.contractor && *is.contractor && is.state != HQ_IS_CLOSED) {
        /* the signed link for a contractor's person without an account */
        int64_t exp = hq_wall_ms() / 1000 + 14 * 86400;
        char link[400];
        web_portal_link(is.number, is.contractor, exp, link, sizeof link);
        hq_buf tail;
        hq_buf_init(&tail);
        hq_buf_puts(&tail, "<p style=\"font-size:12px;word-break:break-all\" id=\"portal-link\">"
                           "网上签收与整改反馈（14 天内有效，仅限本问题）：");
        const char *host = web_header(r, "Host");
        hq_buf_puts(&tail, "http://");
        web_html(&tail, host ? host : "");
        web_html(&tail, link);
        hq_buf_puts(&tail, "</p>");
        char *body = strstr(b.data, "</body>");
        if (body) {
            size_t at = (size_t)(body - b.data);
            hq_buf out;
            hq_buf_init(&out);
            hq_buf_append(&out, b.data, at);
            hq_buf_append(&out, tail.data, tail.len);
            hq_buf_puts(&out, b.data + at);
            hq_buf_fini(&b);
            b = out;
        }
        hq_buf_fini(&tail);
    }
    hq_issue_fini(&is);
    enum MHD_Result ret = web_reply_buf(r, 200, "text/html; charset=utf-8", &b);
    hq_buf_fini(&b);
    return ret;
}

/* ---- obligations ---- */

typedef struct obl_list {
    const hq_person *p;
    int64_t from, to;
    hq_buf *b;
    int n;
} obl_list;

/* What a scheduled rule expects of the event that meets a slot: the
 * checklist and the kind its conditions require ({field: data.checklist,
 * eq: X}, {field: data.kind, eq: self}), each when exactly one value. */
typedef struct obl_expect {
    char checklist[65], kind[16];
    int nchecklist, nkind;
} obl_expect;

static void expect_guard(void *ctx, unsigned guard, const char *path, bool prefix, const char *val, size_t len)
{
    (void)guard;
    obl_expect *e = ctx;
    if (prefix)
        return;
    if (!strcmp(path, "data.checklist") && len < sizeof e->checklist) {
        snprintf(e->checklist, sizeof e->checklist, "%.*s", (int)len, val);
        e->nchecklist++;
    } else if (!strcmp(path, "data.kind") && len < sizeof e->kind) {
        snprintf(e->kind, sizeof e->kind, "%.*s", (int)len, val);
        e->nkind++;
    }
}

/* A link to the inspection form that meets the slot, with the site, the
 * kind and the checklist the rule requires filled in: for a slot still due
 * or missed of the office's own schedule (owner: office:UNIT; the
 * contractors' self-inspections come from their own apps), at a site the
 * person inspects, when the form can send what the rule requires (a
 * checklist of the rules' checklists, a kind the form offers). */
static void obl_link(hq_buf *b, const hq_person *p, const hq_rule *rule, const hq_obligation *o)
{
    if ((o->state != HQ_OBL_DUE && o->state != HQ_OBL_MISSED) || !rule || !rule->owner)
        return;
    const hq_site *site = hq_rules_site(g_web->rules, o->unit);
    if (!site || !site->domain || !web_may_inspect(p, site->domain))
        return;
    obl_expect e = {0};
    if (rule->when)
        hq_cond_each_guard(rule->when, expect_guard, &e);
    const hq_checklist *c = e.nchecklist == 1 ? hq_checklist_find(hq_rules_checklists(g_web->rules), e.checklist) : NULL;
    if (e.nchecklist > 1 || (e.nchecklist == 1 && (!c || strcmp(c->domain, site->domain))) || e.nkind > 1 ||
        (e.nkind == 1 && !web_inspect_kind_ok(e.kind)))
        return;
    hq_buf_puts(b, " <a class=\"btn\" style=\"white-space:nowrap;padding:2px 8px\" href=\"/console/inspect?site=");
    web_html(b, site->id);
    if (c) {
        hq_buf_puts(b, "&amp;checklist=");
        web_html(b, c->id);
    }
    if (e.nkind == 1) {
        hq_buf_puts(b, "&amp;kind=");
        web_html(b, e.kind);
    }
    hq_buf_puts(b, "\">填报</a>");
}

static int obl_row(void *ctx, const hq_obligation *o)
{
    obl_list *l = ctx;
    if (o->due_ms < l->from || o->due_ms >= l->to || l->n >= 500)
        return 0;
    const hq_rule *rule = hq_rules_find(g_web->rules, o->rule);
    if (!web_may_see(l->p, rule ? rule->domain : NULL, NULL))
        return 0;
    l->n++;
    hq_buf *b = l->b;
    hq_buf_puts(b, "<tr><td>");
    when(b, o->due_ms);
    hq_buf_puts(b, "</td><td>");
    web_html(b, rule && rule->description ? rule->description : o->rule);
    hq_buf_puts(b, "</td><td>");
    web_html(b, hq_rules_unit_name(g_web->rules, o->unit));
    hq_buf_printf(b, "</td><td class=\"%s\">%s", o->state == HQ_OBL_MISSED ? "late" : "",
                  hq_label(HQ_LBL_OBLIGATION, hq_obligation_state_name(o->state)));
    obl_link(b, l->p, rule, o);
    hq_buf_puts(b, "</td></tr>");
    return 0;
}

static enum MHD_Result obligations(web_req *r, const hq_person *p)
{
    int64_t now = web_state_now_ms();
    hq_buf rows;
    hq_buf_init(&rows);
    obl_list l = {.p = p, .from = now - 3 * HQ_DAY_MS, .to = now + 2 * HQ_DAY_MS, .b = &rows};
    MDB_txn *txn;
    hq_err err;
    if (web_state_begin(&txn, &err) != 0) {
        hq_buf_fini(&rows);
        return web_console_error(r, p, 503, "暂时无法读取数据，请稍后再试。");
    }
    hq_obligation_each(web_store(), txn, obl_row, &l, NULL);
    web_state_end(txn);
    hq_buf b;
    hq_buf_init(&b);
    web_console_begin(&b, "检查任务", p, NAV_OBL);
    hq_buf_puts(&b, "<div class=\"card\"><h3>近 3 天与未来 2 天的检查任务</h3><p class=\"note\">"
                    "按时提交检查记录即完成任务；未完成的会生成问题。<a href=\"/console/inspect\">填报检查记录</a></p>"
                    "<div class=\"scroll\"><table id=\"obligations\"><tr><th>截止时间</th><th>任务</th><th>单位</th>"
                    "<th>状态</th></tr>");
    web_table_rows(&b, &rows, 4, "这段时间没有检查任务。");
    hq_buf_puts(&b, "</table></div></div>");
    hq_buf_fini(&rows);
    return web_console_send(r, 200, &b);
}

/* ---- evaluation ---- */

/* The evaluation scheme, loaded on first use; a reload of the rules
 * retires it (kept until exit: a page may be using it) so that the next
 * evaluation loads the new one. */
static pthread_mutex_t g_eval_lock = PTHREAD_MUTEX_INITIALIZER;
static hq_eval_scheme *g_scheme;
static hq_eval_scheme **g_retired;
static size_t g_nretired;

void web_console_reload(void)
{
    pthread_mutex_lock(&g_eval_lock);
    if (g_scheme) {
        g_retired = hq_realloc(g_retired, (g_nretired + 1) * sizeof *g_retired);
        g_retired[g_nretired++] = g_scheme;
        g_scheme = NULL;
    }
    pthread_mutex_unlock(&g_eval_lock);
}

void web_console_fini(void)
{
    web_console_reload();
    for (size_t i = 0; i < g_nretired; i++)
        hq_eval_scheme_destroy(&g_retired[i]);
    free(g_retired);
    g_retired = NULL;
    g_nretired = 0;
}

static int eval_add(void *ctx, const hq_issue *is)
{
    hq_eval_add(ctx, is);
    return 0;
}

static enum MHD_Result evaluation(web_req *r, const hq_person *p)
{
    pthread_mutex_lock(&g_eval_lock);
    if (!g_scheme) {
        hq_diags d;
        hq_diags_init(&d);
        hq_eval_scheme_load(g_web->rules_dir, &g_scheme, &d);
        hq_diags_fini(&d);
    }
    const hq_eval_scheme *sc = g_scheme;
    pthread_mutex_unlock(&g_eval_lock);
    if (!sc)
        return web_console_error(r, p, 503, "考评方案未能加载（rules/evaluation.yaml），请联系管理员。");
    int64_t now = web_state_now_ms();
    const char *period = web_query(r, "period");
    char month[16];
    struct tm tm;
    hq_local_tm(now, &tm);
    snprintf(month, sizeof month, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    if (!period || !*period || strlen(period) > 40)
        period = month;
    hq_period per;
    hq_err err;
    if (hq_eval_period(sc, period, &per, &err) != 0)
        return web_console_error(r, p, 400, "考评期间应为月份（如 2026-03）或学期编号。");
    char pname[128];
    snprintf(pname, sizeof pname, "%s", period);
    if (strlen(period) == 7)
        snprintf(pname, sizeof pname, "%.4s年%.2s月", period, period + 5);
    for (size_t i = 0; i < sc->nterms; i++)
        if (!strcmp(sc->terms[i].id, period))
            snprintf(pname, sizeof pname, "%s", sc->terms[i].name);
    hq_eval *e = hq_eval_new(sc, &per, pname, now);
    for (size_t i = 0; i < sc->ncontractors; i++)
        hq_eval_contractor(e, sc->contractors[i].id, sc->contractors[i].name);
    MDB_txn *txn;
    if (web_state_begin(&txn, &err) != 0) {
        hq_eval_destroy(&e);
        return web_console_error(r, p, 503, "暂时无法读取数据，请稍后再试。");
    }
    if (!web_scan_period_summaries(txn, per.from_ms, per.to_ms, eval_add, e)) /* index.c */
        each_issue(txn, false, NULL, eval_add, e);
    web_state_end(txn);
    hq_eval_finish(e);
    hq_buf b;
    hq_buf_init(&b);
    web_console_begin(&b, "考评", p, NAV_EVAL);
    hq_buf_puts(&b, "<form class=\"card filters\" method=\"get\" action=\"/console/evaluation\"><label>期间（月份或学期）<br>"
                    "<input type=\"text\" name=\"period\" value=\"");
    web_html(&b, period);
    hq_buf_puts(&b, "\"></label><button type=\"submit\">查看</button></form><div class=\"card\"><h3>");
    web_html(&b, pname);
    hq_buf_puts(&b, " 合作企业考评</h3><div class=\"scroll\"><table id=\"evaluation\"><tr><th>排名</th><th>单位</th>"
                    "<th>得分</th><th>等级</th><th>问题</th><th>复查不通过</th><th>超期天数</th><th>按时整改</th>"
                    "<th>投诉人满意</th><th>扣款（元）</th></tr>");
    const hq_eval_row *rows;
    size_t n = hq_eval_rows(e, &rows);
    for (size_t i = 0; i < n; i++) {
        const hq_eval_row *x = &rows[i];
        if (web_is_contractor(p) && !web_may_see(p, NULL, x->contractor))
            continue;
        char pts[32];
        hq_eval_points(x->score_cp, pts, sizeof pts);
        hq_buf_printf(&b, "<tr><td>%d</td><td>", x->rank);
        web_html(&b, x->name ? x->name : x->contractor);
        hq_buf_printf(&b, "</td><td>%s</td><td>", pts);
        web_html(&b, x->grade);
        hq_buf_printf(&b, "</td><td>%d</td><td>%d</td><td>%d</td><td>%d/%d</td>", x->issues, x->failed_rechecks,
                      x->overdue_days, x->on_time, x->due);
        /* satisfied (answered + taken as solved after the days) of all */
        int fb = x->fb_solved + x->fb_unsolved + x->fb_taken;
        if (fb)
            hq_buf_printf(&b, "<td class=\"fb\" title=\"确认解决 %d，未解决 %d，逾期未评价视为解决 %d\">%d/%d</td>",
                          x->fb_solved, x->fb_unsolved, x->fb_taken, x->fb_solved + x->fb_taken, fb);
        else
            hq_buf_puts(&b, "<td class=\"fb\">—</td>");
        hq_buf_printf(&b, "<td>%lld.%02lld</td></tr>", (long long)(x->penalties_cents / 100),
                      (long long)(x->penalties_cents % 100));
    }
    hq_buf_puts(&b, "</table></div></div>");
    hq_eval_destroy(&e);
    return web_console_send(r, 200, &b);
}

/* ---- the router ---- */

enum MHD_Result web_issue_post(web_req *r, const hq_person *p, const char *number, const char *post, bool link_only);
enum MHD_Result web_inspect(web_req *r, const hq_person *p);
enum MHD_Result web_health(web_req *r, const hq_person *p);

static bool hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

enum MHD_Result web_console(web_req *r)
{
    const hq_person *p = web_auth(r);
    if (!p)
        return web_redirect(r, "/login");
    const char *u = r->url;
    bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"), post = !strcmp(r->method, "POST");
    if (!strcmp(u, "/console") && get)
        return dashboard(r, p);
    if (!strcmp(u, "/console/ledger") && get)
        return ledger(r, p, false);
    if (!strcmp(u, "/console/ledger.csv") && get)
        return ledger(r, p, true);
    if (!strcmp(u, "/console/obligations") && get)
        return obligations(r, p);
    if (!strcmp(u, "/console/evaluation") && get)
        return evaluation(r, p);
    if (!strcmp(u, "/console/inspect") && (get || post))
        return web_inspect(r, p);
    if (!strcmp(u, "/console/health") && get)
        return web_health(r, p);
    if (!strcmp(u, "/console/filters") && post)
        return web_filters_post(r, p);
    if (!strncmp(u, "/console/issue/", 15)) {
        char number[HQ_ISSUE_NUMBER_SIZE + 1], path[80];
        const char *rest = u + 15, *slash = strchr(rest, '/');
        size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
        if (len == 0 || len >= sizeof number)
            return web_console_error(r, p, 404, "没有这个问题，或您无权查看。");
        snprintf(number, sizeof number, "%.*s", (int)len, rest);
        snprintf(path, sizeof path, "/console/issue/%s", number);
        if (!slash && get) {
            const char *done = web_query(r, "done");
            char msg[120] = "";
            for (int a = 0; done && a < WEB_ACT_COUNT; a++)
                if (!strcmp(done, web_act_names[a]))
                    snprintf(msg, sizeof msg, "已办理：%s（已记入处理经过）。", web_act_labels[a]);
            return web_issue_page(r, p, number, path, false, msg[0] ? msg : NULL, NULL, 200);
        }
        if (!slash && post)
            return web_issue_post(r, p, number, path, false);
        if (slash && !strcmp(slash, "/notice") && get)
            return notice_page(r, p, number);
        if (slash && !strncmp(slash, "/photo/", 7) && get && hex64(slash + 7))
            return web_photo(r, p, number, slash + 7);
    }
    return web_console_error(r, p, 404, "页面不存在。");
}
