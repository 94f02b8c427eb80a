/* The public complaint channel (Chinese, phone-first, no JavaScript, no
 * external resource):
 *
 *   GET  /                     the form (?site=ID pre-fills the site: QR codes)
 *   POST /complaint            files it; first shows open issues of the same
 *                              site and category ("已有同学反映") to follow
 *                              instead; the receipt only after the durable ack
 *   GET  /c/TRACKING/TOKEN     the status page (the secret link)
 *   POST /c/TRACKING/TOKEN     satisfaction after closing (complaint.feedback)
 *
 * The secret token is random (16 bytes, hex); only its BLAKE2b-256 hash
 * (crypto_generichash, 32 bytes, hex) goes into the complaint.submitted
 * event as token_hash, and the status page and feedback check the token
 * against it.  CSRF tokens are stateless: time + HMAC(key, purpose|time). */
#include "web.h"

#include "evaluation.h"

#include "clock.h"
#include "mp.h"

#include <msgpack.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CSRF_TTL_S (4 * 3600)
#define TEXT_MAX_CHARS 2000

/* ---- CSRF ---- */

static void csrf_mac(const char *purpose, uint64_t t, unsigned char mac[crypto_auth_BYTES])
{
    char msg[256];
    int n = snprintf(msg, sizeof msg, "csrf|%s|%llu", purpose, (unsigned long long)t);
    crypto_auth(mac, (const unsigned char *)msg, (size_t)n, g_web->secret);
}

void web_csrf_make(const char *purpose, char *out, size_t size)
{
    uint64_t t = (uint64_t)(hq_wall_ms() / 1000);
    unsigned char mac[crypto_auth_BYTES];
    csrf_mac(purpose, t, mac);
    char hex[2 * crypto_auth_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, size, "%llx.%s", (unsigned long long)t, hex);
}

bool web_csrf_check(const char *purpose, const char *tok)
{
    if (!tok)
        return false;
    char *dot;
    unsigned long long t = strtoull(tok, &dot, 16);
    if (*dot != '.' || strlen(dot + 1) != 2 * crypto_auth_BYTES)
        return false;
    uint64_t now = (uint64_t)(hq_wall_ms() / 1000);
    if (t > now + 60 || now - t > CSRF_TTL_S)
        return false;
    unsigned char mac[crypto_auth_BYTES], got[crypto_auth_BYTES];
    if (sodium_hex2bin(got, sizeof got, dot + 1, 2 * crypto_auth_BYTES, NULL, NULL, NULL) != 0)
        return false;
    csrf_mac(purpose, (uint64_t)t, mac);
    return sodium_memcmp(mac, got, sizeof mac) == 0;
}

/* ---- page frame ---- */

static const char css[] =
    "body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:0;background:#f4f5f7;"
    "color:#1d2129;font-size:16px;line-height:1.6}"
    "header{background:#1f5fa8;color:#fff;padding:12px 16px}header h1{font-size:18px;margin:0}"
    "header p{margin:2px 0 0;font-size:13px;opacity:.9}"
    "main{max-width:560px;margin:0 auto;padding:12px 14px 40px}"
    ".card{background:#fff;border-radius:8px;padding:14px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.06)}"
    "label{display:block;font-weight:600;margin:12px 0 4px}"
    "select,textarea,input[type=text],input[type=tel],input[type=file]{width:100%;box-sizing:border-box;"
    "font-size:16px;padding:10px;border:1px solid #c9cdd4;border-radius:6px;background:#fff}"
    "textarea{min-height:120px}"
    ".note{font-size:13px;color:#4e5969;margin:4px 0}"
    ".err{background:#fff1f0;border:1px solid #f5a3a3;color:#a8071a;padding:10px;border-radius:6px}"
    ".ok{background:#f0fff4;border:1px solid #95d5a8;padding:10px;border-radius:6px}"
    "button{width:100%;font-size:17px;padding:12px;margin-top:16px;border:0;border-radius:6px;"
    "background:#1f5fa8;color:#fff}"
    "button.alt{background:#fff;color:#1f5fa8;border:1px solid #1f5fa8}"
    ".hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}"
    ".steps{list-style:none;padding:0;margin:8px 0}.steps li{padding:6px 0 6px 28px;position:relative;color:#86909c}"
    ".steps li:before{content:'';position:absolute;left:6px;top:13px;width:10px;height:10px;border-radius:50%;"
    "background:#c9cdd4}.steps li.done{color:#1d2129}.steps li.done:before{background:#1f5fa8}"
    ".steps li.now{color:#1f5fa8;font-weight:700}.steps li.now:before{background:#1f5fa8;box-shadow:0 0 0 3px #c6dbf5}"
    ".big{font-size:22px;font-weight:700;letter-spacing:1px}"
    ".link{word-break:break-all;font-size:14px;background:#f2f3f5;padding:8px;border-radius:6px}"
    ".stars label{display:inline;font-weight:400;margin-right:10px}"
    ".radio label{display:inline;font-weight:400;margin-right:16px}";

const char *web_css(void)
{
    return css;
}

static void page_begin(hq_buf *b, const char *title)
{
    hq_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<meta name=\"referrer\" content=\"no-referrer\"><title>");
    web_html(b, title);
    hq_buf_puts(b, "</title><style>");
    hq_buf_puts(b, css);
    hq_buf_puts(b, "</style></head><body><header><h1>后勤服务投诉与建议</h1><p>");
    web_html(b, hq_rules_office(g_web->rules) ? hq_rules_office(g_web->rules) : "后勤管理处");
    hq_buf_puts(b, " · 有问必复</p></header><main>");
}

static void page_end(hq_buf *b)
{
    hq_buf_puts(b, "</main></body></html>\n");
}

static enum MHD_Result send_page(web_req *r, unsigned status, hq_buf *b)
{
    page_end(b);
    enum MHD_Result ret = web_reply_buf(r, status, "text/html; charset=utf-8", b);
    hq_buf_fini(b);
    return ret;
}

static enum MHD_Result error_page(web_req *r, unsigned status, const char *title, const char *msg)
{
    hq_buf b;
    hq_buf_init(&b);
    page_begin(&b, title);
    hq_buf_puts(&b, "<div class=\"card\"><h2>");
    web_html(&b, title);
    hq_buf_puts(&b, "</h2><p class=\"err\">");
    web_html(&b, msg);
    hq_buf_puts(&b, "</p><p><a href=\"/\">返回投诉页面</a></p></div>");
    return send_page(r, status, &b);
}

static void date_text(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, size, "%Y年%m月%d日 %H:%M", &tm);
}

/* ---- the form ---- */

typedef struct vals {
    const char *cat, *site, *text, *contact, *anonymous, *photo_hash;
} vals;

static void option(hq_buf *b, const char *value, const char *label, const char *selected)
{
    hq_buf_puts(b, "<option value=\"");
    web_html(b, value);
    hq_buf_putc(b, '"');
    if (selected && strcmp(selected, value) == 0)
        hq_buf_puts(b, " selected");
    hq_buf_putc(b, '>');
    web_html(b, label);
    hq_buf_puts(b, "</option>");
}

static void hidden(hq_buf *b, const char *name, const char *value)
{
    if (!value)
        return;
    hq_buf_puts(b, "<input type=\"hidden\" name=\"");
    web_html(b, name);
    hq_buf_puts(b, "\" value=\"");
    web_html(b, value);
    hq_buf_puts(b, "\">");
}

/* The complaint as the person filled it in, carried in hidden fields of a
 * follow-up form (the CSRF token first). */
static void hidden_complaint(hq_buf *b, const char *csrf, const vals *v)
{
    const char *const fields[][2] = {
        {"csrf", csrf},       {"site", v->site},           {"category", v->cat},           {"text", v->text},
        {"contact", v->contact}, {"anonymous", v->anonymous}, {"photo_hash", v->photo_hash},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        hidden(b, fields[i][0], fields[i][1]);
}

static enum MHD_Result form_page(web_req *r, unsigned status, const vals *v, const char *error)
{
    hq_buf b;
    hq_buf_init(&b);
    page_begin(&b, "后勤服务投诉");
    web_notices(&b, NULL, error);
    char csrf[160];
    web_csrf_make("complaint", csrf, sizeof csrf);
    hq_buf_puts(&b, "<form class=\"card\" method=\"post\" action=\"/complaint\" enctype=\"multipart/form-data\">");
    hidden(&b, "csrf", csrf);
    hidden(&b, "photo_hash", v->photo_hash);
    /* site, grouped by domain */
    hq_buf_puts(&b, "<label for=\"site\">地点</label><select id=\"site\" name=\"site\" required>"
                    "<option value=\"\">请选择楼宇或场所</option>");
    const hq_site *sites;
    size_t ns = web_sites(&sites);
    for (const char *const *d = web_domains(); *d; d++) {
        bool any = false;
        for (size_t i = 0; i < ns; i++) {
            if (!sites[i].domain || strcmp(sites[i].domain, *d) != 0)
                continue;
            if (!any) {
                hq_buf_puts(&b, "<optgroup label=\"");
                web_html(&b, web_domain_name(*d));
                hq_buf_puts(&b, "\">");
                any = true;
            }
            option(&b, sites[i].id, sites[i].name ? sites[i].name : sites[i].id, v->site);
        }
        if (any)
            hq_buf_puts(&b, "</optgroup>");
    }
    hq_buf_puts(&b, "</select>");
    /* category, grouped by domain: the choice gives the domain too */
    hq_buf_puts(&b, "<label for=\"category\">问题类别</label><select id=\"category\" name=\"category\" required>"
                    "<option value=\"\">请选择问题类别</option>");
    size_t nc;
    const web_category *cats = web_categories(&nc);
    const char *cur = NULL;
    for (size_t i = 0; i < nc; i++) {
        if (!cur || strcmp(cur, cats[i].domain) != 0) {
            if (cur)
                hq_buf_puts(&b, "</optgroup>");
            cur = cats[i].domain;
            hq_buf_puts(&b, "<optgroup label=\"");
            web_html(&b, web_domain_name(cur));
            hq_buf_puts(&b, "\">");
        }
        char val[128];
        snprintf(val, sizeof val, "%s.%s", cats[i].domain, cats[i].code);
        option(&b, val, cats[i].name, v->cat);
    }
    if (cur)
        hq_buf_puts(&b, "</optgroup>");
    hq_buf_puts(&b, "</select>");
    hq_buf_puts(&b, "<label for=\"text\">问题描述</label><textarea id=\"text\" name=\"text\" maxlength=\"2000\" "
                    "required placeholder=\"时间、具体位置（窗口、房间号）、发生了什么\">");
    web_html(&b, v->text);
    hq_buf_puts(&b, "</textarea>");
    hq_buf_puts(&b, "<label for=\"photo\">照片（可选）</label>");
    if (v->photo_hash)
        hq_buf_puts(&b, "<p class=\"note\">已上传一张照片，将随投诉一并提交。</p>");
    else
        hq_buf_puts(&b, "<input type=\"file\" id=\"photo\" name=\"photo\" accept=\"image/jpeg,image/png,image/webp\">"
                        "<p class=\"note\">JPEG、PNG 或 WebP，最大 5 MB；照片中的位置等信息会被自动删除。</p>");
    hq_buf_puts(&b, "<label for=\"contact\">联系方式（可选）</label><input type=\"tel\" id=\"contact\" "
                    "name=\"contact\" maxlength=\"64\" autocomplete=\"tel\" value=\"");
    web_html(&b, v->contact);
    hq_buf_puts(&b, "\"><p class=\"note\">手机号或邮箱，仅用于告知处理结果或核实情况，不会提供给被投诉单位，"
                    "不公开。不填也可以：提交后凭查询链接查看进度。</p>");
    hq_buf_puts(&b, "<div class=\"radio\"><label><input type=\"checkbox\" name=\"anonymous\" value=\"1\"");
    if (v->anonymous)
        hq_buf_puts(&b, " checked");
    hq_buf_puts(&b, "> 匿名提交</label></div>");
    /* honeypot: people never see it; bots fill it in */
    hq_buf_puts(&b, "<div class=\"hp\" aria-hidden=\"true\"><label for=\"website\">网址</label>"
                    "<input type=\"text\" id=\"website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>");
    hq_buf_puts(&b, "<button type=\"submit\" id=\"submit\">提交</button></form>");
    hq_buf_puts(&b, "<p class=\"note\">紧急情况（火灾、人身伤害、食物中毒）请直接拨打校园报警电话。</p>");
    return send_page(r, status, &b);
}

/* ---- filing ---- */

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

int web_file_complaint(const web_new_complaint *nc, hq_client_reply *rep, hq_err *err)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    pack_str(&pk, "id");
    pack_str(&pk, nc->id);
    pack_str(&pk, "type");
    pack_str(&pk, "complaint.submitted");
    pack_str(&pk, "source");
    pack_str(&pk, nc->source);
    pack_str(&pk, "ts");
    msgpack_pack_int64(&pk, web_state_now_ms());
    pack_str(&pk, "data");
    size_t n = 4 + !!nc->contact + !!nc->name + !!nc->token_hash + !!nc->follows + !!nc->location + !!nc->channel +
               (nc->nphotos > 0) + nc->anonymous + 1;
    msgpack_pack_map(&pk, n);
    pack_str(&pk, "domain");
    pack_str(&pk, nc->domain);
    pack_str(&pk, "site");
    pack_str(&pk, nc->site);
    pack_str(&pk, "category");
    pack_str(&pk, nc->category);
    pack_str(&pk, "text");
    pack_str(&pk, nc->text);
#define OPT(k, v)                                                                                                  \
    if (v) {                                                                                                       \
        pack_str(&pk, k);                                                                                          \
        pack_str(&pk, v);                                                                                          \
    }
    OPT("contact", nc->contact)
    OPT("name", nc->name)
    OPT("token_hash", nc->token_hash)
    OPT("follows", nc->follows)
    OPT("location", nc->location)
    OPT("channel", nc->channel)
#undef OPT
    if (nc->nphotos) {
        pack_str(&pk, "photos");
        msgpack_pack_array(&pk, nc->nphotos);
        for (size_t i = 0; i < nc->nphotos; i++) {
            char ref[80];
            snprintf(ref, sizeof ref, "sha256:%s", nc->photos[i]);
            pack_str(&pk, ref);
        }
    }
    if (nc->anonymous) {
        pack_str(&pk, "anonymous");
        msgpack_pack_true(&pk);
    }
    pack_str(&pk, "wants_reply");
    if (nc->wants_reply)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    web_out out = {.frame = sb.data, .len = sb.size};
    snprintf(out.id, sizeof out.id, "%s", nc->id);
    int rc = web_send(&out, 1, rep, err);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool text_ok(const web_field *f)
{
    return !f || (strlen(f->value) == f->value_len && hq_utf8_valid(f->value, f->value_len));
}

static bool hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static enum MHD_Result follow_page(web_req *r, const vals *v, const web_open_issue *iss, size_t n)
{
    hq_buf b;
    hq_buf_init(&b);
    page_begin(&b, "已有同学反映");
    hq_buf_puts(&b, "<div class=\"card\"><h2>已有同学反映</h2><p>这个地点的同类问题已在处理中。"
                    "选择“跟进此问题”，您的反映会计入该问题（同样计入投诉统计），并可单独查询进度。</p></div>");
    char csrf[160];
    web_csrf_make("complaint", csrf, sizeof csrf);
    for (size_t i = 0; i < n; i++) {
        char d[64];
        date_text(iss[i].opened_ms, d, sizeof d);
        hq_buf_puts(&b, "<form class=\"card follow\" method=\"post\" action=\"/complaint\" "
                        "enctype=\"multipart/form-data\"><p><strong>");
        web_html(&b, iss[i].title);
        hq_buf_puts(&b, "</strong></p><p class=\"note\">");
        web_html(&b, d);
        hq_buf_printf(&b, " 起处理中，已有 %d 次反映</p>", iss[i].occurrences > 0 ? iss[i].occurrences : 1);
        hidden_complaint(&b, csrf, v);
        hidden(&b, "follow", iss[i].number);
        hq_buf_puts(&b, "<button type=\"submit\" class=\"follow-btn\">已有同学反映，跟进此问题</button></form>");
    }
    hq_buf_puts(&b, "<form class=\"card\" method=\"post\" action=\"/complaint\" enctype=\"multipart/form-data\">");
    hidden_complaint(&b, csrf, v);
    hidden(&b, "confirm", "new");
    hq_buf_puts(&b, "<p>不是同一个问题？</p><button type=\"submit\" class=\"alt\" id=\"new\">仍然提交新的投诉</button>"
                    "</form>");
    return send_page(r, 200, &b);
}

static enum MHD_Result receipt_page(web_req *r, const char *tracking, const char *token, bool followed)
{
    hq_buf b;
    hq_buf_init(&b);
    page_begin(&b, "投诉已受理");
    char link[200];
    snprintf(link, sizeof link, "/c/%s/%s", tracking, token);
    const char *host = web_header(r, "Host");
    const char *proto = web_header(r, "X-Forwarded-Proto");
    hq_buf_puts(&b, "<div class=\"card\"><p class=\"ok\" id=\"receipt\">");
    hq_buf_puts(&b, followed ? "您的反映已计入正在处理的问题，已受理。" : "您的投诉已受理，我们会尽快处理。");
    hq_buf_puts(&b, "</p><p>受理编号</p><p class=\"big\" id=\"tracking\">");
    web_html(&b, tracking);
    hq_buf_puts(&b, "</p><p>查询进度的专属链接（请保存或截图，只显示这一次；凭链接可查看处理进度并评价）：</p>"
                    "<p class=\"link\"><a id=\"status-link\" href=\"");
    web_html(&b, link);
    hq_buf_puts(&b, "\">");
    if (host) {
        web_html(&b, proto && !strcmp(proto, "https") ? "https://" : "http://");
        web_html(&b, host);
    }
    web_html(&b, link);
    hq_buf_puts(&b, "</a></p><p class=\"note\">链接中含有查询密码，请勿转发给他人。</p></div>");
    return send_page(r, 200, &b);
}

/* The complaint form's values from f (an empty contact or photo hash is
 * none). */
static void read_vals(const web_form *f, vals *v)
{
    v->cat = web_form_get(f, "category");
    v->site = web_form_get(f, "site");
    v->text = web_form_get(f, "text");
    v->contact = web_form_get(f, "contact");
    v->anonymous = web_form_get(f, "anonymous");
    v->photo_hash = web_form_get(f, "photo_hash");
    if (v->photo_hash && !*v->photo_hash)
        v->photo_hash = NULL;
    if (v->contact && !*v->contact)
        v->contact = NULL;
}

enum { DOMAIN_SIZE = 32, CATEGORY_SIZE = 64 };

/* Checks the complaint's site, category (split into domain and category,
 * of DOMAIN_SIZE and CATEGORY_SIZE), words, contact and photo: NULL, or
 * what the person is told. */
static const char *check_vals(const vals *v, char *domain, char *category)
{
    const web_category *cat = NULL;
    const char *dot = v->cat ? strchr(v->cat, '.') : NULL;
    if (dot && (size_t)(dot - v->cat) < DOMAIN_SIZE) {
        snprintf(domain, DOMAIN_SIZE, "%.*s", (int)(dot - v->cat), v->cat);
        snprintf(category, CATEGORY_SIZE, "%s", dot + 1);
        cat = web_category_find(domain, category);
    }
    const hq_site *site = v->site ? hq_rules_site(g_web->rules, v->site) : NULL;
    if (!site)
        return "请从列表中选择地点。";
    if (!cat)
        return "请从列表中选择问题类别。";
    if (!v->text || !*v->text || utf8_chars(v->text) > TEXT_MAX_CHARS)
        return v->text && *v->text ? "问题描述最多 2000 字。" : "请填写问题描述。";
    if (v->contact && strlen(v->contact) > 64)
        return "联系方式太长（最多 64 个字符）。";
    if (v->photo_hash && !hex64(v->photo_hash))
        return "照片信息有误，请重新选择照片。";
    return NULL;
}

static enum MHD_Result post_complaint(web_req *r)
{
    web_form f;
    hq_err err;
    vals v = {0};
    if (r->too_large)
        return form_page(r, 413, &v, "提交的内容过大（照片最大 5 MB），请压缩后重试。");
    if (web_form_parse(r->body.data ? r->body.data : "", r->body.len, web_header(r, "Content-Type"), &f, &err) != 0)
        return form_page(r, 400, &v, "提交的表单无法识别，请重新填写。");
    enum MHD_Result ret;
    for (size_t i = 0; i < f.n; i++)
        if (!f.v[i].filename && !text_ok(&f.v[i])) {
            ret = form_page(r, 400, &v, "提交的文字编码有误（需要 UTF-8），请重新填写。");
            goto out;
        }
    read_vals(&f, &v);
    const char *hp = web_form_get(&f, "website");
    if (hp && *hp) { /* the honeypot: nothing is stored */
        ret = error_page(r, 400, "提交失败", "提交未成功，请刷新页面后重新填写。");
        goto out;
    }
    if (!web_csrf_check("complaint", web_form_get(&f, "csrf"))) {
        ret = form_page(r, 403, &v, "页面已过期，请再次点击“提交”。");
        goto out;
    }
    if (!web_rate_form(r)) {
        ret = form_page(r, 429, &v, "提交过于频繁，请稍后再试。");
        goto out;
    }
    char domain[DOMAIN_SIZE] = "", category[CATEGORY_SIZE] = "";
    const char *wrong = check_vals(&v, domain, category);
    if (wrong) {
        ret = form_page(r, 400, &v, wrong);
        goto out;
    }
    const web_field *ph = web_form_field(&f, "photo");
    char hash[65];
    if (ph && ph->filename && ph->value_len > 0 && !v.photo_hash) {
        if (web_photo_store(g_web->media_dir, (const unsigned char *)ph->value, ph->value_len, hash, &err) != 0) {
            ret = form_page(r, err.code == HQ_EIO ? 503 : 400, &v,
                            err.code == HQ_EIO ? "照片暂时无法保存，请稍后再试。" : err.msg);
            goto out;
        }
        v.photo_hash = hash;
    }
    const char *follow = web_form_get(&f, "follow"), *confirm = web_form_get(&f, "confirm");
    if (follow && *follow) {
        if (!web_state_issue_open(follow, v.site)) {
            ret = form_page(r, 400, &v, "要跟进的问题已办结或不存在，请提交新的投诉。");
            goto out;
        }
    } else {
        follow = NULL;
        if (!confirm || strcmp(confirm, "new") != 0) {
            web_open_issue iss[5];
            size_t n = web_state_open_issues(v.site, category, iss, 5);
            if (n) {
                ret = follow_page(r, &v, iss, n);
                goto out;
            }
        }
    }
    /* File it: a tracking number, a secret token, its hash in the event. */
    char tracking[40], token[33], th[65];
    unsigned char raw[16], h[32];
    web_tracking_new(tracking, sizeof tracking);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(token, sizeof token, raw, sizeof raw);
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(th, sizeof th, h, sizeof h);
    web_new_complaint nc = {.source = g_web->form_source, .id = tracking, .domain = domain, .site = v.site,
                            .category = category, .text = v.text, .contact = v.contact, .token_hash = th,
                            .follows = follow, .channel = "web", .anonymous = v.anonymous != NULL,
                            .wants_reply = v.contact != NULL};
    if (v.photo_hash) {
        nc.photos[0] = v.photo_hash;
        nc.nphotos = 1;
    }
    hq_client_reply rep;
    if (web_file_complaint(&nc, &rep, &err) != 0 || rep.status == HQ_REPLY_TIMEOUT) {
        ret = form_page(r, 503, &v, "系统暂时无法受理投诉（服务未响应），您的投诉尚未提交。请稍后再次点击“提交”，"
                                    "填写的内容已保留。");
        goto out;
    }
    if (rep.status == HQ_REPLY_REJECTED) {
        ret = form_page(r, 400, &v, "投诉未被受理：提交的内容不符合要求，请检查后重试。");
        goto out;
    }
    ret = receipt_page(r, tracking, token, follow != NULL);
out:
    web_form_fini(&f);
    return ret;
}

/* ---- status and satisfaction ---- */


/* Finds the complaint and checks the token; 0 or an HTTP status. */
static unsigned load_by_link(const char *tracking, const char *token, web_complaint *c)
{
    hq_err err;
    if (strlen(token) != 32 || strlen(tracking) > 40)
        return 404;
    int rc = web_state_complaint(g_web->form_source, tracking, c, &err);
    if (rc == HQ_ENOTFOUND)
        return 404;
    if (rc)
        return 503;
    unsigned char h[32];
    char th[65];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(th, sizeof th, h, sizeof h);
    if (strlen(c->token_hash) != 64 || sodium_memcmp(th, c->token_hash, 64) != 0) {
        web_complaint_fini(c);
        return 404;
    }
    return 0;
}

static enum MHD_Result status_page(web_req *r, const web_complaint *c, const char *tracking, const char *token,
                                   const char *notice, const char *error, unsigned status)
{
    hq_buf b;
    hq_buf_init(&b);
    page_begin(&b, "投诉处理进度");
    int st = web_complaint_stage(c);
    char d[64];
    hq_buf_puts(&b, "<div class=\"card\"><p>受理编号 <strong>");
    web_html(&b, tracking);
    hq_buf_puts(&b, "</strong></p><p>当前进度：<span class=\"big\" id=\"stage\">");
    web_html(&b, web_stage_names[st]);
    hq_buf_puts(&b, "</span></p><ol class=\"steps\">");
    for (int i = 0; i < 4; i++)
        hq_buf_printf(&b, "<li class=\"%s\">%s</li>", i < st ? "done" : (i == st ? "now" : ""), web_stage_names[i]);
    hq_buf_puts(&b, "</ol>");
    const hq_site *site = hq_rules_site(g_web->rules, c->site);
    const web_category *cat = web_category_find(c->domain, c->category);
    hq_buf_puts(&b, "<p class=\"note\">地点：");
    web_html(&b, site && site->name ? site->name : "校内");
    hq_buf_puts(&b, "；类别：");
    web_html(&b, cat ? cat->name : "其他");
    date_text(c->stored_ms, d, sizeof d);
    hq_buf_puts(&b, "<br>提交时间：");
    web_html(&b, d);
    if (c->has_issue && st < 3 && c->deadline_ms) {
        date_text(c->deadline_ms, d, sizeof d);
        hq_buf_puts(&b, "<br>整改期限：");
        web_html(&b, d);
    }
    if (c->has_issue && c->updated_ms) {
        date_text(c->updated_ms, d, sizeof d);
        hq_buf_puts(&b, "<br>最近更新：");
        web_html(&b, d);
    }
    if (st == 3 && c->closed_ms) {
        date_text(c->closed_ms, d, sizeof d);
        hq_buf_puts(&b, "<br>办结时间：");
        web_html(&b, d);
    }
    hq_buf_puts(&b, "</p><p class=\"note\">您的描述：");
    web_html(&b, c->text);
    hq_buf_puts(&b, "</p></div>");
    if (st == 3) {
        hq_buf_puts(&b, "<div class=\"card\"><h3>处理结果</h3>");
        if (c->duplicate)
            hq_buf_puts(&b, "<p id=\"duplicate\"><strong>重复投诉：</strong>已与同一问题的投诉合并办理。</p>");
        hq_buf_puts(&b, "<p id=\"outcome\">");
        web_html(&b, c->outcome && *c->outcome ? c->outcome : "问题已整改，经复查合格，已办结。");
        hq_buf_puts(&b, "</p></div>");
    }
    web_notices(&b, notice, error);
    if (st == 3) {
        char purpose[80], csrf[160];
        snprintf(purpose, sizeof purpose, "fb:%s", tracking);
        web_csrf_make(purpose, csrf, sizeof csrf);
        hq_buf_printf(&b, "<form class=\"card\" method=\"post\" action=\"/c/%s/%s\">", tracking, token);
        hidden(&b, "csrf", csrf);
        hq_buf_puts(&b, "<h3>满意度评价</h3>");
        /* computed when read (lib/report/evaluation.h HQ_EVAL_FEEDBACK_DAYS):
         * nothing is stored when the days pass */
        if (c->closed_ms && web_state_now_ms() >= c->closed_ms + HQ_EVAL_FEEDBACK_DAYS * HQ_DAY_MS)
            hq_buf_printf(&b, "<p class=\"note\" id=\"taken-as-solved\">办结已满 %d 天，未评价的视为问题已解决"
                              "（已计入承办单位考评）；您仍可评价。</p>",
                          HQ_EVAL_FEEDBACK_DAYS);
        hq_buf_puts(&b, "<p class=\"note\">办结后 7 天内未评价的，视为问题已解决；之后仍可评价。"
                        "选择“未解决”的，问题会退回科室负责人复核。</p>"
                        "<label>问题解决了吗？</label><div class=\"radio\">"
                        "<label><input type=\"radio\" name=\"solved\" value=\"yes\" id=\"solved-yes\"> 已解决</label>"
                        "<label><input type=\"radio\" name=\"solved\" value=\"no\" id=\"solved-no\"> 未解决</label></div>"
                        "<label for=\"reason\">未解决的原因（选“未解决”时必填）</label>"
                        "<textarea id=\"reason\" name=\"reason\" maxlength=\"1000\"></textarea>"
                        "<label>评分</label><div class=\"stars\">");
        for (int s = 1; s <= 5; s++)
            hq_buf_printf(&b, "<label><input type=\"radio\" name=\"stars\" value=\"%d\" id=\"stars-%d\"> %d星</label>", s,
                          s, s);
        hq_buf_puts(&b, "</div><label for=\"comment\">意见建议（可选）</label>"
                        "<textarea id=\"comment\" name=\"comment\" maxlength=\"1000\"></textarea>"
                        "<button type=\"submit\" id=\"rate\">提交评价</button></form>");
    }
    return send_page(r, status, &b);
}

/* The complaint.feedback event id on complaint c (tracking), into pk;
 * reason, comment: NULL when not given; stars: 0 when not given. */
static void pack_feedback(msgpack_packer *pk, const char *id, const web_complaint *c, const char *tracking,
                          bool solved, const char *reason, int64_t sv, const char *comment)
{
    msgpack_pack_map(pk, 5);
    pack_str(pk, "id");
    pack_str(pk, id);
    pack_str(pk, "type");
    pack_str(pk, "complaint.feedback");
    pack_str(pk, "source");
    pack_str(pk, g_web->form_source);
    pack_str(pk, "ts");
    msgpack_pack_int64(pk, web_state_now_ms());
    pack_str(pk, "data");
    msgpack_pack_map(pk, 3 + (c->has_issue ? 1 : 0) + (reason != NULL) + (sv > 0) + (comment != NULL));
    pack_str(pk, "complaint");
    pack_str(pk, tracking);
    pack_str(pk, "complaint_source");
    pack_str(pk, c->source);
    if (c->has_issue) {
        pack_str(pk, "issue");
        pack_str(pk, c->issue);
    }
    pack_str(pk, "solved");
    if (solved)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    if (reason) {
        pack_str(pk, "reason");
        pack_str(pk, reason);
    }
    if (sv > 0) {
        pack_str(pk, "stars");
        msgpack_pack_int64(pk, sv);
    }
    if (comment) {
        pack_str(pk, "comment");
        pack_str(pk, comment);
    }
}

static enum MHD_Result post_feedback(web_req *r, web_complaint *c, const char *tracking, const char *token)
{
    web_form f;
    hq_err err;
    if (r->too_large || web_form_parse(r->body.data ? r->body.data : "", r->body.len, web_header(r, "Content-Type"),
                                       &f, &err) != 0)
        return status_page(r, c, tracking, token, NULL, "提交的表单无法识别，请重新填写。", 400);
    enum MHD_Result ret;
    char purpose[80];
    snprintf(purpose, sizeof purpose, "fb:%s", tracking);
    const char *solved = web_form_get(&f, "solved"), *reason = web_form_get(&f, "reason"),
               *stars = web_form_get(&f, "stars"), *comment = web_form_get(&f, "comment");
    for (size_t i = 0; i < f.n; i++)
        if (!text_ok(&f.v[i])) {
            ret = status_page(r, c, tracking, token, NULL, "提交的文字编码有误。", 400);
            goto out;
        }
    if (!web_csrf_check(purpose, web_form_get(&f, "csrf"))) {
        ret = status_page(r, c, tracking, token, NULL, "页面已过期，请重新提交评价。", 403);
        goto out;
    }
    if (web_complaint_stage(c) != 3) {
        ret = status_page(r, c, tracking, token, NULL, "问题办结后才能评价。", 409);
        goto out;
    }
    if (!web_rate_form(r)) {
        ret = status_page(r, c, tracking, token, NULL, "提交过于频繁，请稍后再试。", 429);
        goto out;
    }
    if (!solved || (strcmp(solved, "yes") && strcmp(solved, "no"))) {
        ret = status_page(r, c, tracking, token, NULL, "请选择问题是否已解决。", 400);
        goto out;
    }
    if (reason && !*reason)
        reason = NULL;
    if (comment && !*comment)
        comment = NULL;
    if (!strcmp(solved, "no") && !reason) {
        ret = status_page(r, c, tracking, token, NULL, "选择“未解决”时，请填写原因。", 400);
        goto out;
    }
    int64_t sv = 0;
    if (stars && *stars && (!hq_parse_int64(stars, &sv) || sv < 1 || sv > 5)) {
        ret = status_page(r, c, tracking, token, NULL, "评分应为 1 到 5 星。", 400);
        goto out;
    }
    if ((reason && utf8_chars(reason) > 1000) || (comment && utf8_chars(comment) > 1000)) {
        ret = status_page(r, c, tracking, token, NULL, "原因和意见各最多 1000 字。", 400);
        goto out;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    web_out out = {0};
    web_make_id(out.id, sizeof out.id);
    pack_feedback(&pk, out.id, c, tracking, !strcmp(solved, "yes"), reason, sv, comment);
    out.frame = sb.data;
    out.len = sb.size;
    hq_client_reply rep;
    int rc = web_send(&out, 1, &rep, &err);
    msgpack_sbuffer_destroy(&sb);
    if (rc || rep.status == HQ_REPLY_TIMEOUT)
        ret = status_page(r, c, tracking, token, NULL, "系统暂时无法接收评价，请稍后再试。", 503);
    else if (rep.status == HQ_REPLY_REJECTED)
        ret = status_page(r, c, tracking, token, NULL, "评价未被接收，请检查后重试。", 400);
    else
        ret = status_page(r, c, tracking, token, "感谢您的评价！", NULL, 200);
out:
    web_form_fini(&f);
    return ret;
}

static enum MHD_Result complaint_link(web_req *r, const char *rest)
{
    char tracking[48], token[48];
    const char *slash = strchr(rest, '/');
    if (!slash || (size_t)(slash - rest) >= sizeof tracking || strlen(slash + 1) >= sizeof token)
        return error_page(r, 404, "链接无效", "查询链接不完整或已失效，请核对受理回执中的链接。");
    snprintf(tracking, sizeof tracking, "%.*s", (int)(slash - rest), rest);
    snprintf(token, sizeof token, "%s", slash + 1);
    web_complaint c;
    unsigned st = load_by_link(tracking, token, &c);
    if (st == 503)
        return error_page(r, 503, "暂时无法查询", "系统暂时无法查询，请稍后再试。");
    if (st)
        return error_page(r, 404, "链接无效", "查询链接不完整或已失效，请核对受理回执中的链接。");
    enum MHD_Result ret;
    if (strcmp(r->method, "POST") == 0)
        ret = post_feedback(r, &c, tracking, token);
    else
        ret = status_page(r, &c, tracking, token, NULL, NULL, 200);
    web_complaint_fini(&c);
    return ret;
}

enum MHD_Result web_pages(web_req *r)
{
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0,
         post = strcmp(r->method, "POST") == 0;
    if (strcmp(r->url, "/") == 0 && get) {
        vals v = {0};
        const char *site = web_query(r, "site");
        if (site && hq_rules_site(g_web->rules, site))
            v.site = site;
        return form_page(r, 200, &v, NULL);
    }
    if (strcmp(r->url, "/complaint") == 0 && post)
        return post_complaint(r);
    if (strncmp(r->url, "/c/", 3) == 0 && (get || post))
        return complaint_link(r, r->url + 3);
    if (strcmp(r->url, "/") == 0 || strcmp(r->url, "/complaint") == 0)
        return error_page(r, 405, "不支持的请求", "请从投诉页面提交。");
    return error_page(r, 404, "页面不存在", "您访问的页面不存在。");
}
