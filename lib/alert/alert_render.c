/* alert_render.c - templates to text, text to channel payloads. */
#include "alert_render.h"

#include "clock.h"
#include "json.h"
#include "mp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- names ---- */

static const char *const kind_names[][3] = {
    {"opened", "新整改通知", "New rectification notice"},
    {"reminder", "提醒", "Reminder"},
    {"overdue", "逾期", "Overdue"},
    {"escalated", "升级", "Escalated"},
    {"accountability", "启动问责", "Accountability started"},
    {"penalty", "违约金", "Penalty"},
    {"rectified", "已整改待复查", "Rectified, awaiting recheck"},
    {"reopened", "复查未通过，重新整改", "Recheck failed, reopened"},
    {"closed", "已办结", "Closed"},
    {"feedback", "处理结果反馈", "Outcome"},
    {"unsolved", "投诉人反馈未解决", "Complainant: not solved"},
    {NULL, NULL, NULL},
};

static const char *const severity_names[][3] = {
    {"low", "低", "low"}, {"medium", "中", "medium"}, {"high", "高", "high"}, {"critical", "严重", "critical"},
    {NULL, NULL, NULL},
};

static const char *const domain_names[][3] = {
    {"catering", "餐饮服务", "catering"},
    {"dormitory", "学生公寓", "dormitories"},
    {"property", "物业服务", "property services"},
    {"energy", "能源保障", "energy"},
    {"transport", "交通运输", "transport"},
    {"procurement", "采购供应", "procurement"},
    {"maintenance", "维修工程", "maintenance"},
    {"decisions", "决策落实", "decisions"},
    {"general", "综合", "general"},
    {NULL, NULL, NULL},
};

static const char *lookup(const char *const (*t)[3], const char *k, hq_lang lang)
{
    for (size_t i = 0; t[i][0]; i++)
        if (!strcmp(t[i][0], k))
            return t[i][1 + lang];
    return k;
}

/* Chinese words come from the one vocabulary (vocab.h), so that a
 * severity, a domain or a kind reads the same in an alert as in the
 * notice and the reports; the English ones are this file's. */
const char *hq_alert_kind_name(const char *kind, hq_lang lang)
{
    return lang == HQ_LANG_ZH ? hq_label(HQ_LBL_NOTICE, kind) : lookup(kind_names, kind, lang);
}
const char *hq_alert_severity_name(const char *s, hq_lang lang)
{
    return lang == HQ_LANG_ZH ? hq_label(HQ_LBL_SEVERITY, s) : lookup(severity_names, s, lang);
}
const char *hq_alert_domain_name(const char *d, hq_lang lang)
{
    return lang == HQ_LANG_ZH ? hq_label(HQ_LBL_DOMAIN, d) : lookup(domain_names, d, lang);
}

void hq_alert_msg_fini(hq_alert_msg *m)
{
    free(m->subject);
    free(m->body);
    m->subject = m->body = NULL;
}

/* ---- template variables ---- */

typedef struct rctx {
    const hq_rules *rules;
    const hq_alert_msg *m;
    const hq_alert_rec *rec;    /* the alert being rendered (NULL for a digest's frame) */
    const char *items;          /* digest: the rendered lines */
} rctx;

static void put_time(hq_buf *out, int64_t ms, hq_lang lang)
{
    if (ms <= 0) {
        hq_buf_puts(out, lang == HQ_LANG_ZH ? "无" : "none");
        return;
    }
    char t[32];
    hq_local_fmt(ms, t, sizeof t);
    hq_buf_puts(out, t);
}

static const char *office(const rctx *c)
{
    const char *o = c->rules ? hq_rules_office(c->rules) : NULL;
    return o && *o ? o : c->m->lang == HQ_LANG_ZH ? "后勤管理处" : "Campus Services Office";
}

static const char *contractor_name(const rctx *c, const hq_alert_rec *r)
{
    const hq_contractor *k = c->rules && *r->contractor ? hq_rules_contractor(c->rules, r->contractor) : NULL;
    if (k && k->name)
        return k->name;
    if (*r->contractor)
        return r->contractor;
    return c->m->lang == HQ_LANG_ZH ? "未指定" : "unassigned";
}

static const char *site_name(const rctx *c, const hq_alert_rec *r)
{
    const hq_site *s = c->rules && *r->site ? hq_rules_site(c->rules, r->site) : NULL;
    if (s && s->name)
        return s->name;
    return *r->site ? r->site : "-";
}

static bool resolve_common(const rctx *c, const char *p, hq_buf *out)
{
    hq_lang lang = c->m->lang;
    if (!strcmp(p, "recipient"))
        hq_buf_puts(out, c->m->recipient_name ? c->m->recipient_name : "");
    else if (!strcmp(p, "office"))
        hq_buf_puts(out, office(c));
    else if (!strcmp(p, "count"))
        hq_buf_printf(out, "%zu", c->m->nrecs);
    else if (!strcmp(p, "items"))
        hq_buf_puts(out, c->items ? c->items : "");
    else if (!strcmp(p, "time") && !c->rec)
        put_time(out, c->m->nrecs ? c->m->recs[c->m->nrecs - 1]->ts_ms : 0, lang);
    else
        return false;
    return true;
}

static bool resolve(void *ctx, const char *p, hq_buf *out)
{
    const rctx *c = ctx;
    const hq_alert_rec *r = c->rec;
    hq_lang lang = c->m->lang;
    if (resolve_common(c, p, out))
        return true;
    if (!r)
        return false;
    if (!strcmp(p, "seq")) hq_buf_printf(out, "%" PRIu64, r->seq);
    else if (!strcmp(p, "kind")) hq_buf_puts(out, r->kind);
    else if (!strcmp(p, "kind_name")) hq_buf_puts(out, hq_alert_kind_name(r->kind, lang));
    else if (!strcmp(p, "issue")) hq_buf_puts(out, r->issue);
    else if (!strcmp(p, "rule")) hq_buf_puts(out, r->rule);
    else if (!strcmp(p, "level")) hq_buf_printf(out, "%d", r->level);
    else if (!strcmp(p, "domain")) hq_buf_puts(out, r->domain);
    else if (!strcmp(p, "domain_name")) hq_buf_puts(out, hq_alert_domain_name(r->domain, lang));
    else if (!strcmp(p, "contractor")) hq_buf_puts(out, contractor_name(c, r));
    else if (!strcmp(p, "contractor_id")) hq_buf_puts(out, r->contractor);
    else if (!strcmp(p, "site")) hq_buf_puts(out, site_name(c, r));
    else if (!strcmp(p, "site_id")) hq_buf_puts(out, r->site);
    else if (!strcmp(p, "severity")) hq_buf_puts(out, r->severity);
    else if (!strcmp(p, "severity_name")) hq_buf_puts(out, hq_alert_severity_name(r->severity, lang));
    else if (!strcmp(p, "title")) hq_buf_puts(out, r->title);
    else if (!strcmp(p, "text")) hq_buf_puts(out, r->text);
    else if (!strcmp(p, "outcome")) hq_buf_puts(out, r->outcome && *r->outcome ? r->outcome : r->title);
    else if (!strcmp(p, "deadline")) put_time(out, r->deadline_ms, lang);
    else if (!strcmp(p, "time")) put_time(out, r->ts_ms, lang);
    else return false;
    return true;
}

void hq_alert_render_text(const hq_alert_config *cfg, const hq_rules *rules, hq_alert_msg *m)
{
    hq_buf s, b;
    hq_buf_init(&s);
    hq_buf_init(&b);
    rctx c = {.rules = rules, .m = m};
    if (m->digest) {
        const hq_alert_tmpl *t = hq_alert_config_template(cfg, HQ_AUD_DIGEST, NULL, m->lang);
        hq_buf items;
        hq_buf_init(&items);
        for (size_t i = 0; i < m->nrecs; i++) {
            if (i)
                hq_buf_putc(&items, '\n');
            rctx ic = {.rules = rules, .m = m, .rec = m->recs[i]};
            hq_tmpl_render(t->item, resolve, &ic, &items);
        }
        c.items = items.data;
        hq_tmpl_render(t->subject, resolve, &c, &s);
        hq_tmpl_render(t->body, resolve, &c, &b);
        hq_buf_fini(&items);
    } else {
        const hq_alert_rec *r = m->nrecs ? m->recs[0] : NULL;
        const hq_alert_tmpl *t = hq_alert_config_template(cfg, m->audience, r ? r->kind : NULL, m->lang);
        c.rec = r;
        hq_tmpl_render(t->subject, resolve, &c, &s);
        hq_tmpl_render(t->body, resolve, &c, &b);
    }
    hq_buf_append(&s, "", 0); /* never NULL, even when a template renders nothing */
    hq_buf_append(&b, "", 0);
    /* A subject is one line. */
    for (size_t i = 0; i < s.len; i++)
        if (s.data[i] == '\n' || s.data[i] == '\r')
            s.data[i] = ' ';
    free(m->subject);
    free(m->body);
    m->subject = hq_buf_steal(&s);
    m->body = hq_buf_steal(&b);
    hq_buf_fini(&s);
    hq_buf_fini(&b);
}

/* ---- keys ---- */

/* Keys travel in HTTP and mail headers: no control characters. */
static void key_clean(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '_';
}

void hq_alert_key(uint64_t seq, const char *recipient, const char *channel, char *out, size_t size)
{
    snprintf(out, size, "%" PRIu64 "-%s-%s", seq, recipient, channel);
    key_clean(out);
}

void hq_alert_digest_key(uint64_t first, uint64_t last, const char *recipient, const char *channel, char *out,
                         size_t size)
{
    snprintf(out, size, "digest-%" PRIu64 "-%" PRIu64 "-%s-%s", first, last, recipient, channel);
    key_clean(out);
}

/* ---- JSON ---- */

static void kv_str(hq_buf *b, const char *k, const char *v, bool comma)
{
    if (comma)
        hq_buf_putc(b, ',');
    hq_json_cstr(b, k);
    hq_buf_putc(b, ':');
    hq_json_cstr(b, v ? v : "");
}

static void kv_int(hq_buf *b, const char *k, int64_t v)
{
    hq_buf_putc(b, ',');
    hq_json_cstr(b, k);
    hq_buf_printf(b, ":%" PRId64, v);
}

/* One alert's fields; never its contact. */
static void rec_fields(hq_buf *b, const hq_alert_rec *r)
{
    hq_buf_printf(b, "\"seq\":%" PRIu64, r->seq);
    kv_str(b, "kind", r->kind, true);
    kv_str(b, "issue", r->issue, true);
    kv_str(b, "rule", r->rule, true);
    kv_int(b, "level", r->level);
    kv_str(b, "domain", r->domain, true);
    kv_str(b, "contractor", r->contractor, true);
    kv_str(b, "site", r->site, true);
    kv_str(b, "severity", r->severity, true);
    kv_str(b, "title", r->title, true);
    kv_int(b, "deadline_ms", r->deadline_ms);
    kv_int(b, "ts_ms", r->ts_ms);
}

void hq_alert_render_json(const hq_alert_msg *m, hq_buf *out)
{
    hq_buf_putc(out, '{');
    kv_str(out, "idempotency_key", m->key, false);
    if (m->digest) {
        hq_buf_puts(out, ",\"digest\":true");
        hq_buf_printf(out, ",\"count\":%zu,\"alerts\":[", m->nrecs);
        for (size_t i = 0; i < m->nrecs; i++) {
            hq_buf_puts(out, i ? ",{" : "{");
            rec_fields(out, m->recs[i]);
            hq_buf_putc(out, '}');
        }
        hq_buf_putc(out, ']');
    } else if (m->nrecs) {
        hq_buf_putc(out, ',');
        rec_fields(out, m->recs[0]);
    }
    kv_str(out, "audience", hq_audience_name(m->audience), true);
    kv_str(out, "lang", hq_lang_name(m->lang), true);
    kv_str(out, "channel", m->channel ? m->channel->name : "", true);
    hq_buf_puts(out, ",\"recipient\":{");
    kv_str(out, "id", m->recipient, false);
    kv_str(out, "name", m->recipient_name, true);
    if (m->to)
        kv_str(out, "to", m->to, true);
    hq_buf_putc(out, '}');
    kv_str(out, "subject", m->subject, true);
    kv_str(out, "text", m->body, true);
    hq_buf_putc(out, '}');
}

void hq_alert_render_webhook(const hq_alert_msg *m, hq_buf *out)
{
    hq_webhook_format f = m->channel ? m->channel->format : HQ_FMT_JSON;
    if (f == HQ_FMT_JSON) {
        hq_alert_render_json(m, out);
        return;
    }
    /* WeCom (企业微信) and DingTalk (钉钉) group robots take the same text
     * message shape: {"msgtype":"text","text":{"content":...}}. */
    hq_buf content;
    hq_buf_init(&content);
    hq_buf_puts(&content, m->subject ? m->subject : "");
    hq_buf_putc(&content, '\n');
    hq_buf_puts(&content, m->body ? m->body : "");
    hq_buf_puts(out, "{\"msgtype\":\"text\",\"text\":{\"content\":");
    hq_json_str(out, content.data, content.len);
    hq_buf_puts(out, "}}");
    hq_buf_fini(&content);
}

/* ---- MIME ---- */

void hq_base64(const void *data, size_t len, hq_buf *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    hq_buf_append(out, "", 0); /* terminated even when empty */
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        char q[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63], i + 1 < len ? tab[(v >> 6) & 63] : '=',
                     i + 2 < len ? tab[v & 63] : '='};
        hq_buf_append(out, q, 4);
    }
}

static bool plain_header_text(const char *s)
{
    if (strstr(s, "=?"))
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

void hq_rfc2047(const char *s, hq_buf *out)
{
    if (plain_header_text(s) && strlen(s) < 900) {
        hq_buf_puts(out, s);
        return;
    }
    /* Words of at most 39 input bytes: "=?UTF-8?B?" + 52 base64 + "?=" is
     * 64 bytes, so even the first line ("Subject: " and a word) stays
     * within 76 (RFC 2047 allows 75 per word). */
    size_t len = strlen(s), i = 0;
    bool first = true;
    while (i < len) {
        size_t n = len - i < 39 ? len - i : 39;
        while (n > 0 && i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80)
            n--; /* do not cut a UTF-8 sequence */
        if (n == 0)
            n = len - i < 39 ? len - i : 39;
        if (!first)
            hq_buf_puts(out, "\r\n ");
        hq_buf_puts(out, "=?UTF-8?B?");
        hq_base64(s + i, n, out);
        hq_buf_puts(out, "?=");
        i += n;
        first = false;
    }
}

/* Message-ID local part: the key with anything outside dot-atom text
 * replaced, and no leading, trailing or doubled dot. */
static void msgid_local(const char *key, hq_buf *out)
{
    char prev = '.';
    for (const char *p = key; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
        if (!ok || (c == '.' && prev == '.'))
            c = '_';
        hq_buf_putc(out, c);
        prev = c;
    }
    if (out->len && out->data[out->len - 1] == '.')
        out->data[out->len - 1] = '_';
}

static void header(hq_buf *out, const char *name, const char *value)
{
    hq_buf_printf(out, "%s: %s\r\n", name, value);
}

void hq_alert_render_mime(const hq_alert_msg *m, int64_t date_ms, hq_buf *out)
{
    const char *from = m->channel && m->channel->from ? m->channel->from : "houqin-alertd@localhost";
    const char *domain = strchr(from, '@') ? strchr(from, '@') + 1 : "localhost";
    char date[64];
    struct tm tm;
    hq_local_tm(date_ms, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
    header(out, "Date", date);
    header(out, "From", from);
    header(out, "To", m->to ? m->to : "undisclosed-recipients:;");
    hq_buf_puts(out, "Subject: ");
    hq_rfc2047(m->subject ? m->subject : "", out);
    hq_buf_puts(out, "\r\nMessage-ID: <");
    msgid_local(m->key ? m->key : "alert", out);
    hq_buf_printf(out, "@%s>\r\n", domain);
    header(out, "X-Houqin-Idempotency-Key", m->key ? m->key : "");
    header(out, "Auto-Submitted", "auto-generated");
    header(out, "MIME-Version", "1.0");
    header(out, "Content-Type", "text/plain; charset=UTF-8");
    header(out, "Content-Transfer-Encoding", "base64");
    hq_buf_puts(out, "\r\n");
    hq_buf b64;
    hq_buf_init(&b64);
    const char *body = m->body ? m->body : "";
    hq_base64(body, strlen(body), &b64);
    for (size_t i = 0; i < b64.len; i += 76) {
        hq_buf_append(out, b64.data + i, b64.len - i < 76 ? b64.len - i : 76);
        hq_buf_puts(out, "\r\n");
    }
    hq_buf_fini(&b64);
}
