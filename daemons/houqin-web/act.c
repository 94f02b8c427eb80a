/* Actions on an issue, inspection records, and the contractor's signed
 * link (docs/web.md "Console and portal").
 *
 * An action is checked here (CSRF bound to the person and the issue, the
 * issue visible to the person, the person's role, the issue's state, the
 * page not stale: the form carries the timeline length it was made from)
 * and then sent as the lifecycle event (schemas/README.md issue.*) with
 * data.actor = the person, as the web's source acting on behalf of people;
 * houqind decides again (the identity issue's permission table).  The page
 * says "done" only after houqind's durable ack (303 to the issue page with
 * ?done=ACTION), and a refusal in words.  On an issue a complaint opened,
 * staff may also hide personal details from contractors (moderate:
 * complaint.moderated) and close it as a duplicate of another issue they
 * see (duplicate: issue.closed, resolution duplicate, duplicate_of).
 *
 *   /p/NUMBER/EXPIRY-HEX/MAC   the signed link of a rectification notice:
 *   MAC = HMAC(key, "portal|NUMBER|CONTRACTOR|EXPIRY"); it lets the
 *   contractor's contact (the person of org.yaml with the role
 *   contractor_contact:CONTRACTOR) see that one issue and acknowledge or
 *   report rectification, without an account, until EXPIRY. */
#include "web.h"

#include "clock.h"
#include "ledger.h"
#include "log.h"
#include "mp.h"

#include <msgpack.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result web_issue_page(web_req *r, const hq_person *p, const char *number, const char *post, bool link_only,
                               const char *notice, const char *error, unsigned status);
enum MHD_Result web_console_error(web_req *r, const hq_person *p, unsigned status, const char *msg);
int web_issue_load(const char *number, const hq_person *p, hq_issue *is, char (*photos)[65], size_t *nphotos);
void web_console_begin(hq_buf *b, const char *title, const hq_person *p, int nav);
enum MHD_Result web_console_send(web_req *r, unsigned status, hq_buf *b);
enum MHD_Result web_photo(web_req *r, const hq_person *p, const char *number, const char *hex);
bool web_issue_complaint(const hq_issue *is, char **text);

static bool fields_ok(const web_form *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (!f->v[i].filename && (strlen(f->v[i].value) != f->v[i].value_len ||
                                  !hq_utf8_valid(f->v[i].value, f->v[i].value_len)))
            return false;
    return true;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* Sends one event (map of the envelope with data); the reply in rep.
 * Returns 0 stored/duplicate, 1 rejected (reason in rep), -1 no answer. */
/* An event being packed: a fresh id, its buffer and packer. */
typedef struct act_event {
    char id[72];
    msgpack_sbuffer sb;
    msgpack_packer pk;
} act_event;

static void event_begin(act_event *ev)
{
    web_make_id(ev->id, sizeof ev->id);
    msgpack_sbuffer_init(&ev->sb);
    msgpack_packer_init(&ev->pk, &ev->sb, msgpack_sbuffer_write);
}

/* Sends the event and frees its buffer: 0 stored (or a duplicate), 1
 * refused by houqind (rep->error says why), -1 no answer in time. */
static int event_send(act_event *ev, hq_client_reply *rep)
{
    web_out out = {.frame = ev->sb.data, .len = ev->sb.size};
    snprintf(out.id, sizeof out.id, "%s", ev->id);
    hq_err err;
    int rc = web_send(&out, 1, rep, &err) != 0 || rep->status == HQ_REPLY_TIMEOUT ? -1
             : rep->status == HQ_REPLY_REJECTED                                    ? 1
                                                                                   : 0;
    msgpack_sbuffer_destroy(&ev->sb);
    return rc;
}

static void envelope(msgpack_packer *pk, const char *id, const char *type)
{
    msgpack_pack_map(pk, 5);
    hq_mp_pack_kv(pk, "id", id);
    hq_mp_pack_kv(pk, "type", type);
    hq_mp_pack_kv(pk, "source", g_web->form_source);
    hq_mp_pack_str(pk, "ts");
    msgpack_pack_int64(pk, web_state_now_ms());
    hq_mp_pack_str(pk, "data");
}

/* What a person submits for an action: the form's values. */
typedef struct act_input {
    int act; /* WEB_ACT_* */
    const char *text, *outcome;
    const char *redacted; /* moderation: the complaint's words without the personal details */
    bool hide_photos;     /* moderation: its photos hidden */
    const char *dup;      /* a duplicate: the other case, which the person sees */
    char hash[65];        /* the photo stored, or "" */
} act_input;

/* Reads form f for action in->act on is into in and stores its photo.
 * NULL when the action may be sent, else what the person is told, with
 * the HTTP *status (m: room for a message made here). */
static const char *check_input(const web_form *f, const hq_person *p, const hq_issue *is, act_input *in, hq_err *err,
                               unsigned *status, char *m, size_t msize)
{
    const char *tl = web_form_get(f, "tl");
    int64_t tlv;
    if (!tl || !hq_parse_int64(tl, &tlv) || tlv != (int64_t)is->ntimeline) {
        *status = 409;
        return "您打开页面后，此问题已有新的进展（见下方处理经过），操作未提交。请确认最新情况后再办理。";
    }
    hq_issue_state to;
    if (hq_issue_next_state(is->state, web_act_lifecycle[in->act], &to, NULL) != 0) {
        snprintf(m, msize, "问题当前为“%s”，不能%s。", hq_state_label(is->state), web_act_labels[in->act]);
        *status = 409;
        return m;
    }
    if (in->act == WEB_ACT_ACCOUNTABILITY && is->accountability) {
        *status = 409;
        return "此问题已启动问责，无需重复启动。";
    }
    if ((in->act == WEB_ACT_MODERATE || in->act == WEB_ACT_DUPLICATE) && !web_issue_complaint(is, NULL)) {
        *status = 400;
        return "此问题不是由投诉开立的，不能办理此项。";
    }
    in->text = nonempty(web_form_get(f, "text"));
    in->outcome = nonempty(web_form_get(f, "outcome"));
    if (!in->text && in->act != WEB_ACT_ACK && in->act != WEB_ACT_PASS) {
        *status = 400;
        return in->act == WEB_ACT_MODERATE || in->act == WEB_ACT_DUPLICATE || in->act == WEB_ACT_ACCOUNTABILITY
                   ? "请填写理由。"
                   : "请填写说明。";
    }
    /* moderation: the complaint's words without the personal details, and/or its photos hidden */
    in->redacted = in->act == WEB_ACT_MODERATE ? nonempty(web_form_get(f, "redacted")) : NULL;
    in->hide_photos = in->act == WEB_ACT_MODERATE && nonempty(web_form_get(f, "hide_photos"));
    if (in->act == WEB_ACT_MODERATE && !in->redacted && !in->hide_photos) {
        *status = 400;
        return "请修改投诉文字（删去个人信息）或选择隐去照片。";
    }
    if (in->redacted && strlen(in->redacted) > 12000) {
        *status = 400;
        return "投诉文字太长（最多 4000 字）。";
    }
    /* a duplicate: the other case, which the person sees */
    in->dup = in->act == WEB_ACT_DUPLICATE ? nonempty(web_form_get(f, "duplicate_of")) : NULL;
    if (in->act == WEB_ACT_DUPLICATE) {
        hq_issue other;
        if (!in->dup || !strcmp(in->dup, is->number) || web_issue_load(in->dup, p, &other, NULL, NULL) != 0) {
            *status = 400;
            return in->dup && !strcmp(in->dup, is->number) ? "不能标记为与自身重复。"
                                                           : "请填写重复的问题编号（须为您可查看的问题）。";
        }
        hq_issue_fini(&other);
    }
    if ((in->text && strlen(in->text) > 8000) || (in->outcome && strlen(in->outcome) > 6000)) {
        *status = 400;
        return "说明太长（最多 2000 字）。";
    }
    bool photo = in->act != WEB_ACT_MODERATE && in->act != WEB_ACT_DUPLICATE && in->act != WEB_ACT_ACCOUNTABILITY;
    const web_field *ph = photo ? web_form_field(f, "photo") : NULL;
    if (ph && ph->filename && ph->value_len > 0) {
        if (web_photo_store(g_web->media_dir, (const unsigned char *)ph->value, ph->value_len, in->hash, err) != 0) {
            *status = err->code == HQ_EIO ? 503 : 400;
            return err->code == HQ_EIO ? "照片暂时无法保存，请稍后再试。" : err->msg;
        }
    }
    return NULL;
}

/* The event of action in on is by p, id id, into pk. */
static void pack_action(msgpack_packer *pk, const char *id, const act_input *in, const hq_issue *is,
                        const hq_person *p)
{
    static const char *const types[WEB_ACT_COUNT] = {"issue.acknowledged", "issue.rectified", "issue.rechecked",
                                                     "issue.rechecked", "issue.comment", "issue.closed",
                                                     "issue.opinion", "issue.accountability",
                                                     "complaint.moderated", "issue.closed"};
    envelope(pk, id, types[in->act]);
    size_t n = 2 + (in->text != NULL) + (in->hash[0] != 0);
    if (in->act == WEB_ACT_PASS || in->act == WEB_ACT_FAIL)
        n += 2;
    if (in->act == WEB_ACT_CLOSE)
        n += 1 + (in->outcome != NULL);
    if (in->act == WEB_ACT_OPINION)
        n += 1;
    if (in->act == WEB_ACT_MODERATE)
        n += (in->redacted != NULL) + in->hide_photos;
    if (in->act == WEB_ACT_DUPLICATE)
        n += 3;
    msgpack_pack_map(pk, n);
    hq_mp_pack_kv(pk, "issue", is->number);
    hq_mp_pack_kv(pk, "actor", p->id);
    static const char *const text_key[WEB_ACT_COUNT] = {"note",    "evidence", "note",   "note",  "text",
                                                        "reason",  "summary",  "reason", "reason", "reason"};
    if (in->text)
        hq_mp_pack_kv(pk, text_key[in->act], in->text);
    if (in->hash[0]) {
        char ref[80];
        snprintf(ref, sizeof ref, "sha256:%s", in->hash);
        hq_mp_pack_str(pk, "photos");
        msgpack_pack_array(pk, 1);
        hq_mp_pack_str(pk, ref);
    }
    if (in->act == WEB_ACT_PASS || in->act == WEB_ACT_FAIL) {
        hq_mp_pack_kv(pk, "result", in->act == WEB_ACT_PASS ? "pass" : "fail");
        hq_mp_pack_kv(pk, "method", "on_site");
    }
    if (in->act == WEB_ACT_CLOSE) {
        hq_mp_pack_kv(pk, "resolution", "resolved");
        if (in->outcome)
            hq_mp_pack_kv(pk, "outcome", in->outcome);
    }
    if (in->act == WEB_ACT_OPINION)
        hq_mp_pack_kv(pk, "platform", "other");
    if (in->redacted)
        hq_mp_pack_kv(pk, "text", in->redacted);
    if (in->hide_photos) {
        hq_mp_pack_str(pk, "hide_photos");
        msgpack_pack_true(pk);
    }
    if (in->act == WEB_ACT_DUPLICATE) {
        hq_mp_pack_kv(pk, "resolution", "duplicate");
        hq_mp_pack_kv(pk, "duplicate_of", in->dup);
        hq_mp_pack_kv(pk, "outcome", "该问题已有同学反映，学校正在一并处理，本投诉不再单独办理。感谢您的监督。");
    }
}

enum MHD_Result web_issue_post(web_req *r, const hq_person *p, const char *number, const char *post, bool link_only);
enum MHD_Result web_issue_post(web_req *r, const hq_person *p, const char *number, const char *post, bool link_only)
{
    web_form f;
    hq_err err;
    if (r->too_large)
        return web_issue_page(r, p, number, post, link_only, NULL, "提交的内容过大（照片最大 5 MB）。", 413);
    if (web_form_parse(r->body.data ? r->body.data : "", r->body.len, web_header(r, "Content-Type"), &f, &err) != 0)
        return web_issue_page(r, p, number, post, link_only, NULL, "提交的表单无法识别，请重新填写。", 400);
    enum MHD_Result ret;
    hq_issue is;
    bool loaded = false;
    char purpose[160];
    snprintf(purpose, sizeof purpose, "act:%s:%s", p->id, number);
    if (!fields_ok(&f)) {
        ret = web_issue_page(r, p, number, post, link_only, NULL, "提交的文字编码有误（需要 UTF-8）。", 400);
        goto out;
    }
    if (!web_csrf_check(purpose, web_form_get(&f, "csrf"))) {
        hq_log_notice("action on %s by %s refused: no valid CSRF token (from %s)", number, p->id, r->addr);
        ret = web_issue_page(r, p, number, post, link_only, NULL, "页面已过期或来源无法确认，操作未提交。请刷新页面后重试。",
                             403);
        goto out;
    }
    const char *an = web_form_get(&f, "action");
    int act = -1;
    for (int a = 0; an && a < WEB_ACT_COUNT; a++)
        if (!strcmp(an, web_act_names[a]))
            act = a;
    if (act < 0 || (link_only && act != WEB_ACT_ACK && act != WEB_ACT_RECTIFY)) {
        ret = web_issue_page(r, p, number, post, link_only, NULL, "不支持的操作。", 400);
        goto out;
    }
    int st = web_issue_load(number, p, &is, NULL, NULL);
    if (st) {
        ret = web_console_error(r, link_only ? NULL : p, st, st == 404 ? "没有这个问题，或您无权查看。"
                                                                        : "暂时无法读取数据，请稍后再试。");
        goto out;
    }
    loaded = true;
    char whybuf[300];
    const char *why = web_may_act(p, &is, act, whybuf, sizeof whybuf);
    if (why) {
        hq_log_notice("%s on %s by %s refused: not permitted", web_act_names[act], number, p->id);
        ret = web_issue_page(r, p, number, post, link_only, NULL, why, 403);
        goto out;
    }
    act_input in = {.act = act};
    unsigned status = 400;
    char msg[200];
    const char *refused = check_input(&f, p, &is, &in, &err, &status, msg, sizeof msg);
    if (refused) {
        ret = web_issue_page(r, p, number, post, link_only, NULL, refused, status);
        goto out;
    }
    act_event ev;
    event_begin(&ev);
    pack_action(&ev.pk, ev.id, &in, &is, p);
    hq_client_reply rep;
    int sr = event_send(&ev, &rep);
    if (sr < 0) {
        ret = web_issue_page(r, p, number, post, link_only, NULL, "系统暂时未响应，操作尚未提交。请稍后再试。", 503);
    } else if (sr > 0) {
        char m[700];
        snprintf(m, sizeof m, "操作未被受理：%s", rep.error[0] ? rep.error : "不符合规则");
        hq_log_notice("%s on %s by %s rejected by houqind: %s", web_act_names[act], number, p->id, rep.error);
        ret = web_issue_page(r, p, number, post, link_only, NULL, m, 409);
    } else {
        hq_log_info("%s on %s by %s stored (%s)", web_act_names[act], number, p->id, ev.id);
        char loc[300];
        snprintf(loc, sizeof loc, "%s?done=%s", post, web_act_names[act]);
        ret = web_redirect(r, loc);
    }
out:
    if (loaded)
        hq_issue_fini(&is);
    web_form_fini(&f);
    return ret;
}

/* ---- inspection records ---- */

/* The kinds of inspection the form offers (joint inspections come from
 * the inspection apps of the departments involved). */
static const struct {
    const char *code, *words;
} inspect_kinds[] = {{"self", "日常自查"}, {"key", "重点检查"}, {"spot", "抽查"}, {"covert", "暗访"}, {NULL, NULL}};

bool web_inspect_kind_ok(const char *kind)
{
    for (size_t i = 0; kind && inspect_kinds[i].code; i++)
        if (!strcmp(kind, inspect_kinds[i].code))
            return true;
    return false;
}

/* The checklist chosen for site cur: id when it is one of the domain's,
 * else the domain's only one; NULL when there is no choice yet.
 * *ndomain: how many checklists the domain has. */
static const hq_checklist *chosen_checklist(const hq_site *cur, const char *id, size_t *ndomain)
{
    const hq_checklists *cl = hq_rules_checklists(g_web->rules);
    const hq_checklist *only = NULL, *c = hq_checklist_find(cl, id);
    *ndomain = 0;
    for (size_t i = 0; i < cl->n; i++)
        if (!strcmp(cl->v[i].domain, cur->domain)) {
            only = &cl->v[i];
            ++*ndomain;
        }
    if (c && !strcmp(c->domain, cur->domain))
        return c;
    return *ndomain == 1 ? only : NULL;
}

/* Step 1: the site (those of the person's domains). */
static void inspect_sites(hq_buf *b, const hq_person *p)
{
    const hq_site *sites;
    size_t ns = web_sites(&sites);
    hq_buf_puts(b, "<form class=\"card\" method=\"get\" action=\"/console/inspect\"><label for=\"site\">检查地点</label>"
                   "<select id=\"site\" name=\"site\" required>");
    size_t n = 0;
    for (size_t i = 0; i < ns; i++) {
        if (!sites[i].domain || !web_may_inspect(p, sites[i].domain))
            continue;
        n++;
        hq_buf_puts(b, "<option value=\"");
        web_html(b, sites[i].id);
        hq_buf_puts(b, "\">");
        web_html(b, hq_domain_label(sites[i].domain));
        hq_buf_puts(b, " · ");
        web_html(b, sites[i].name ? sites[i].name : sites[i].id);
        hq_buf_puts(b, "</option>");
    }
    hq_buf_puts(b, "</select>");
    if (!n)
        hq_buf_puts(b, "<p class=\"note\">您的岗位没有需要填报检查的地点。</p>");
    hq_buf_puts(b, "<button type=\"submit\" id=\"choose\">下一步</button></form>");
}

/* Step 2: the checklist, when the site's domain has several (or none). */
static void inspect_checklists(hq_buf *b, const hq_site *cur, size_t ndomain, const char *kind)
{
    hq_buf_puts(b, "<form class=\"card\" method=\"get\" action=\"/console/inspect\"><h3>");
    web_html(b, cur->name ? cur->name : cur->id);
    hq_buf_puts(b, "</h3>");
    if (!ndomain) {
        hq_buf_puts(b, "<p class=\"note\" id=\"no-checklist\">该领域尚未配置检查表（规则目录的 checklists），"
                       "请联系系统管理员。</p></form>");
        return;
    }
    hq_buf_puts(b, "<input type=\"hidden\" name=\"site\" value=\"");
    web_html(b, cur->id);
    if (web_inspect_kind_ok(kind)) { /* from the obligations page's link: kept for the next step */
        hq_buf_puts(b, "\"><input type=\"hidden\" name=\"kind\" value=\"");
        web_html(b, kind);
    }
    hq_buf_puts(b, "\"><label for=\"checklist\">检查表</label><select id=\"checklist\" name=\"checklist\" required>");
    const hq_checklists *cl = hq_rules_checklists(g_web->rules);
    for (size_t i = 0; i < cl->n; i++) {
        if (strcmp(cl->v[i].domain, cur->domain))
            continue;
        hq_buf_puts(b, "<option value=\"");
        web_html(b, cl->v[i].id);
        hq_buf_puts(b, "\">");
        web_html(b, hq_label(HQ_LBL_CHECKLIST, cl->v[i].id));
        hq_buf_printf(b, "（%zu 项）</option>", cl->v[i].nitems);
    }
    hq_buf_puts(b, "</select><button type=\"submit\" id=\"choose-checklist\">下一步</button></form>");
}

static enum MHD_Result inspect_page(web_req *r, const hq_person *p, const char *site, const char *checklist,
                                    const char *notice, const char *error, unsigned status)
{
    hq_buf b;
    hq_buf_init(&b);
    web_console_begin(&b, "填报检查记录", p, 4);
    web_notices(&b, notice, error);
    const hq_site *cur = site ? hq_rules_site(g_web->rules, site) : NULL;
    if (cur && (!cur->domain || !web_may_inspect(p, cur->domain)))
        cur = NULL;
    if (!cur) {
        inspect_sites(&b, p);
        return web_console_send(r, status, &b);
    }
    size_t ndomain;
    const hq_checklist *c = chosen_checklist(cur, checklist, &ndomain);
    if (!c) {
        inspect_checklists(&b, cur, ndomain, web_query(r, "kind"));
        return web_console_send(r, status, &b);
    }
    char purpose[100], csrf[160];
    snprintf(purpose, sizeof purpose, "inspect:%s", p->id);
    web_csrf_make(purpose, csrf, sizeof csrf);
    hq_buf_puts(&b, "<form class=\"card\" method=\"post\" action=\"/console/inspect\" enctype=\"multipart/form-data\">"
                    "<input type=\"hidden\" name=\"csrf\" value=\"");
    web_html(&b, csrf);
    hq_buf_puts(&b, "\"><input type=\"hidden\" name=\"site\" value=\"");
    web_html(&b, cur->id);
    hq_buf_puts(&b, "\"><input type=\"hidden\" name=\"checklist\" value=\"");
    web_html(&b, c->id);
    hq_buf_puts(&b, "\"><h3>");
    web_html(&b, cur->name ? cur->name : cur->id);
    hq_buf_puts(&b, "</h3><p id=\"checklist-name\">检查表：");
    web_html(&b, hq_label(HQ_LBL_CHECKLIST, c->id));
    if (ndomain > 1) {
        hq_buf_puts(&b, " <a href=\"/console/inspect?site=");
        web_html(&b, cur->id);
        hq_buf_puts(&b, "\">换一张</a>");
    }
    hq_buf_puts(&b, "</p><label for=\"kind\">检查类型</label><select id=\"kind\" name=\"kind\">");
    const char *want = web_query(r, "kind"); /* the obligations page's link names it */
    for (size_t i = 0; inspect_kinds[i].code; i++)
        hq_buf_printf(&b, "<option value=\"%s\"%s>%s</option>", inspect_kinds[i].code,
                      want && !strcmp(want, inspect_kinds[i].code) ? " selected" : "", inspect_kinds[i].words);
    hq_buf_puts(&b, "</select><table><tr><th>检查项</th><th style=\"white-space:nowrap\">合格</th>"
                    "<th style=\"white-space:nowrap\">不合格</th></tr>");
    for (size_t i = 0; i < c->nitems; i++) {
        const hq_check_item *it = &c->items[i];
        hq_buf_puts(&b, "<tr><td><b>");
        web_html(&b, hq_label(HQ_LBL_ITEM, it->code));
        hq_buf_puts(&b, "</b><br><span class=\"note\">");
        web_html(&b, it->standard);
        hq_buf_puts(&b, "</span></td><td><input type=\"radio\" name=\"i:");
        web_html(&b, it->code);
        hq_buf_printf(&b, "\" value=\"pass\" id=\"pass-%zu\" checked aria-label=\"合格\"></td><td><input type=\"radio\" "
                          "name=\"i:",
                      i);
        web_html(&b, it->code);
        hq_buf_printf(&b, "\" value=\"fail\" id=\"fail-%zu\" aria-label=\"不合格\"></td></tr>", i);
    }
    hq_buf_puts(&b, "</table><label for=\"summary\">情况说明（不合格项请写明问题和位置）</label>"
                    "<textarea id=\"summary\" name=\"summary\" maxlength=\"2000\"></textarea>"
                    "<label for=\"photo\">照片（可选）</label><input type=\"file\" id=\"photo\" name=\"photo\" "
                    "accept=\"image/jpeg,image/png,image/webp\"><button type=\"submit\" id=\"submit-inspection\">提交检查记录"
                    "</button></form>");
    return web_console_send(r, status, &b);
}

/* The inspection.submitted event of the form f on checklist c (a failed
 * item gets the photo, and its severity when the checklist gives one);
 * returns the number of failed items. */
static size_t inspection_event(act_event *ev, const web_form *f, const hq_site *s, const hq_person *p,
                               const hq_checklist *c, const char *kind, const char *summary, const char *hash)
{
    size_t nfail = 0;
    event_begin(ev);
    msgpack_packer *pk = &ev->pk;
    envelope(pk, ev->id, "inspection.submitted");
    msgpack_pack_map(pk, 6 + (summary != NULL));
    hq_mp_pack_kv(pk, "kind", kind);
    hq_mp_pack_kv(pk, "domain", s->domain);
    hq_mp_pack_kv(pk, "site", s->id);
    hq_mp_pack_kv(pk, "inspector", p->id);
    hq_mp_pack_kv(pk, "checklist", c->id);
    if (summary)
        hq_mp_pack_kv(pk, "summary", summary);
    hq_mp_pack_str(pk, "items");
    msgpack_pack_array(pk, c->nitems);
    for (size_t i = 0; i < c->nitems; i++) {
        const hq_check_item *it = &c->items[i];
        char name[80];
        snprintf(name, sizeof name, "i:%s", it->code);
        const char *v = web_form_get(f, name);
        bool fail = v && !strcmp(v, "fail");
        nfail += fail;
        bool sev = fail && it->has_severity;
        msgpack_pack_map(pk, 3 + (fail && hash[0]) + sev);
        hq_mp_pack_kv(pk, "code", it->code);
        hq_mp_pack_kv(pk, "title", it->standard);
        hq_mp_pack_kv(pk, "result", fail ? "fail" : "pass");
        if (sev)
            hq_mp_pack_kv(pk, "severity", hq_severity_name(it->severity));
        if (fail && hash[0]) {
            char ref[80];
            snprintf(ref, sizeof ref, "sha256:%s", hash);
            hq_mp_pack_str(pk, "photos");
            msgpack_pack_array(pk, 1);
            hq_mp_pack_str(pk, ref);
        }
    }
    return nfail;
}

enum MHD_Result web_inspect(web_req *r, const hq_person *p);
enum MHD_Result web_inspect(web_req *r, const hq_person *p)
{
    if (web_is_contractor(p))
        return web_console_error(r, p, 403, "检查记录由后勤管理处及各中心工作人员填报。");
    if (strcmp(r->method, "POST") != 0)
        return inspect_page(r, p, web_query(r, "site"), web_query(r, "checklist"), NULL, NULL, 200);
    web_form f;
    hq_err err;
    if (r->too_large ||
        web_form_parse(r->body.data ? r->body.data : "", r->body.len, web_header(r, "Content-Type"), &f, &err) != 0)
        return inspect_page(r, p, NULL, NULL, NULL, "提交的表单无法识别（照片最大 5 MB）。", 400);
    enum MHD_Result ret;
    const char *site = web_form_get(&f, "site"), *kind = web_form_get(&f, "kind"),
               *checklist = web_form_get(&f, "checklist"), *summary = nonempty(web_form_get(&f, "summary"));
    char purpose[100];
    snprintf(purpose, sizeof purpose, "inspect:%s", p->id);
    const hq_site *s = site ? hq_rules_site(g_web->rules, site) : NULL;
    if (!fields_ok(&f)) {
        ret = inspect_page(r, p, site, checklist, NULL, "提交的文字编码有误。", 400);
        goto out;
    }
    if (!web_csrf_check(purpose, web_form_get(&f, "csrf"))) {
        ret = inspect_page(r, p, site, checklist, NULL, "页面已过期，请重新填写。", 403);
        goto out;
    }
    if (!s || !s->domain || !web_may_inspect(p, s->domain)) {
        ret = inspect_page(r, p, NULL, NULL, NULL, "请选择您负责的检查地点。", 403);
        goto out;
    }
    const hq_checklist *c = hq_checklist_find(hq_rules_checklists(g_web->rules), checklist);
    if (!c || strcmp(c->domain, s->domain)) {
        ret = inspect_page(r, p, site, NULL, NULL, "请选择该地点的检查表。", 400);
        goto out;
    }
    if (!web_inspect_kind_ok(kind)) {
        ret = inspect_page(r, p, site, checklist, NULL, "请选择检查类型。", 400);
        goto out;
    }
    if (summary && strlen(summary) > 8000) {
        ret = inspect_page(r, p, site, checklist, NULL, "情况说明最多 2000 字。", 400);
        goto out;
    }
    char hash[65] = "";
    const web_field *ph = web_form_field(&f, "photo");
    if (ph && ph->filename && ph->value_len > 0 &&
        web_photo_store(g_web->media_dir, (const unsigned char *)ph->value, ph->value_len, hash, &err) != 0) {
        ret = inspect_page(r, p, site, checklist, NULL, err.code == HQ_EIO ? "照片暂时无法保存。" : err.msg, 400);
        goto out;
    }
    act_event ev;
    size_t nfail = inspection_event(&ev, &f, s, p, c, kind, summary, hash);
    hq_client_reply rep;
    int sr = event_send(&ev, &rep);
    if (sr < 0)
        ret = inspect_page(r, p, site, checklist, NULL, "系统暂时未响应，检查记录尚未提交。请稍后再试。", 503);
    else if (sr > 0) {
        char m[700];
        snprintf(m, sizeof m, "检查记录未被受理：%s", rep.error);
        ret = inspect_page(r, p, site, checklist, NULL, m, 409);
    } else {
        char m[200];
        snprintf(m, sizeof m, "检查记录已提交（%s，%zu 项，其中不合格 %zu 项）。", hq_label(HQ_LBL_CHECKLIST, c->id),
                 c->nitems, nfail);
        hq_log_info("inspection at %s by %s stored (%s)", s->id, p->id, ev.id);
        ret = inspect_page(r, p, NULL, NULL, m, NULL, 200);
    }
out:
    web_form_fini(&f);
    return ret;
}

/* ---- the signed link ---- */

static void link_mac(const char *number, const char *contractor, long long exp, char hex[65])
{
    char msg[300];
    int n = snprintf(msg, sizeof msg, "portal|%s|%s|%llx", number, contractor, exp);
    unsigned char mac[crypto_auth_BYTES];
    crypto_auth(mac, (const unsigned char *)msg, (size_t)n, g_web->secret);
    sodium_bin2hex(hex, 65, mac, sizeof mac);
}

void web_portal_link(const char *number, const char *contractor, int64_t exp_s, char *out, size_t size)
{
    char mac[65];
    link_mac(number, contractor, (long long)exp_s, mac);
    snprintf(out, size, "/p/%s/%llx/%s", number, (long long)exp_s, mac);
}

enum MHD_Result web_portal(web_req *r)
{
    char number[HQ_ISSUE_NUMBER_SIZE + 1], exph[20], mac[65], base[200];
    const char *u = r->url + 3;
    const char *s1 = strchr(u, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    const char *s3 = s2 ? strchr(s2 + 1, '/') : NULL;
    size_t l3 = s2 ? (s3 ? (size_t)(s3 - s2 - 1) : strlen(s2 + 1)) : 0;
    if (!s1 || !s2 || (size_t)(s1 - u) >= sizeof number || (size_t)(s2 - s1 - 1) >= sizeof exph || l3 != 64)
        return web_console_error(r, NULL, 404, "链接无效或已过期。");
    snprintf(number, sizeof number, "%.*s", (int)(s1 - u), u);
    snprintf(exph, sizeof exph, "%.*s", (int)(s2 - s1 - 1), s1 + 1);
    snprintf(mac, sizeof mac, "%.64s", s2 + 1);
    snprintf(base, sizeof base, "/p/%s/%s/%s", number, exph, mac);
    long long exp = strtoll(exph, NULL, 16);
    hq_issue is;
    if (exp <= hq_wall_ms() / 1000 || web_issue_load(number, NULL, &is, NULL, NULL) != 0)
        return web_console_error(r, NULL, 404, "链接无效或已过期。");
    char want[65];
    link_mac(number, is.contractor ? is.contractor : "", exp, want);
    /* the contractor's contact: the person who acts through the link */
    const hq_person *people, *who = NULL;
    size_t np = hq_rules_resolve_role(g_web->rules, HQ_ROLE_CONTRACTOR_CONTACT, is.contractor, &people, 1);
    if (np)
        who = &people[0];
    hq_issue_fini(&is);
    if (sodium_memcmp(want, mac, 64) != 0 || !who)
        return web_console_error(r, NULL, 404, "链接无效或已过期。");
    if (s3 && !strncmp(s3, "/photo/", 7) && strlen(s3 + 7) == 64)
        return web_photo(r, who, number, s3 + 7);
    if (s3)
        return web_console_error(r, NULL, 404, "链接无效或已过期。");
    if (!strcmp(r->method, "POST"))
        return web_issue_post(r, who, number, base, true);
    const char *done = web_query(r, "done");
    return web_issue_page(r, who, number, base, true,
                          done && (!strcmp(done, "ack") || !strcmp(done, "rectify"))
                              ? (!strcmp(done, "ack") ? "已签收，已记入处理经过。" : "整改反馈已提交，等待复查。")
                              : NULL,
                          NULL, 200);
}
