/* alert_config.c - loading houqin-alertd's channels, templates, policies
 * and per-person settings (see alert_config.h and docs/alertd.md).
 *
 * Two passes over the loaded documents: channels first (everything else
 * names them), then templates, policies and people.  Each YAML mapping is
 * checked against its allowed keys; every problem is a diagnostic at the
 * node's position, and any diagnostic refuses the whole configuration.
 */
#include "alert_config.h"

#include "mem.h"
#include "ytree.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hq_alert_kinds[] = {"opened",  "reminder",  "overdue", "escalated", "accountability",
                                      "penalty", "rectified", "reopened", "closed",   "feedback",
                                      NULL};

const char *const hq_alert_vars[] = {"seq",      "kind",      "kind_name",     "issue",    "rule",
                                     "level",    "domain",    "domain_name",   "contractor", "contractor_id",
                                     "site",     "site_id",   "severity",      "severity_name", "title",
                                     "text",     "deadline",  "time",          "recipient", "office",
                                     "outcome",  NULL};

/* Digest subject and body see the digest, not one alert. */
static const char *const digest_vars[] = {"count", "items", "recipient", "office", "time", NULL};

static const char *const channel_types[] = {"webhook", "email", "command", "file", NULL};
static const char *const langs[] = {"zh", "en", NULL};
static const char *const audiences[] = {"office", "contractor", "complainant", "digest", NULL};
static const char *const formats[] = {"json", "wecom", "dingtalk", NULL};
static const char *const addr_fields[] = {"email", "phone", "webhook", NULL};

const char *hq_addr_field_name(hq_addr_field f) { return addr_fields[f]; }

const char *hq_channel_type_name(hq_channel_type t) { return channel_types[t]; }
const char *hq_lang_name(hq_lang l) { return langs[l]; }
const char *hq_audience_name(hq_audience a) { return audiences[a]; }

static int find_name(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

int hq_audience_parse(const char *s, hq_audience *out)
{
    int i = find_name(audiences, s);
    if (i < 0)
        return HQ_EINVAL;
    *out = (hq_audience)i;
    return 0;
}

typedef struct tmpl_entry {
    hq_audience aud;
    char *kind;                       /* NULL: the audience's default */
    bool have[HQ_LANG_COUNT];
    hq_alert_tmpl t[HQ_LANG_COUNT];
} tmpl_entry;

struct hq_alert_config {
    hq_channel *channels;
    size_t nchannels;
    hq_alert_person *people;
    size_t npeople;
    tmpl_entry *tmpls;
    size_t ntmpls;
    hq_alert_tmpl builtin[HQ_AUD_COUNT][HQ_LANG_COUNT];
    hq_alert_policies pol;
    char **ids, **ids_at;             /* every person id of the files, and where it is written */
    size_t nids;
    hq_ydoc **docs;
    size_t ndocs;
};

typedef struct deputy_ref {
    const hq_ydoc *doc;
    const hq_ynode *node;             /* the deputy's id */
    const char *person;
} deputy_ref;

typedef struct loader {
    hq_alert_config *c;
    hq_diags *d;
    const char **ids;                 /* every person id of the files (views into the documents) */
    size_t nids;
    deputy_ref *deps;
    size_t ndeps;
    deputy_ref *fbs;                  /* fallback entries (person, node), checked against policies.failover */
    size_t nfbs;
    const hq_ydoc *doc;               /* the document being read */
    const hq_ynode *policies_at;      /* first policies mapping, for "defined twice" */
    const hq_ydoc *policies_doc;
} loader;

/* ---- built-in templates ---- */

static const char *const builtin_src[HQ_AUD_COUNT][HQ_LANG_COUNT][3] = {
    [HQ_AUD_OFFICE] = {
        [HQ_LANG_ZH] = {"【{{kind_name}}】{{issue}} {{title}}",
                        "{{recipient}}：\n{{kind_name}}：{{issue}} {{title}}\n"
                        "领域：{{domain_name}}｜承办单位：{{contractor}}｜地点：{{site}}\n"
                        "严重程度：{{severity_name}}｜当前级别：第{{level}}级｜整改期限：{{deadline}}\n"
                        "{{text}}\n—— {{office}}",
                        NULL},
        [HQ_LANG_EN] = {"[{{kind_name}}] {{issue}} {{title}}",
                        "{{recipient}}:\n{{kind_name}}: {{issue}} {{title}}\n"
                        "Domain: {{domain_name}} | Contractor: {{contractor}} | Site: {{site}}\n"
                        "Severity: {{severity_name}} | Level: {{level}} | Deadline: {{deadline}}\n"
                        "{{text}}\n-- {{office}}",
                        NULL},
    },
    [HQ_AUD_CONTRACTOR] = {
        [HQ_LANG_ZH] = {"【{{kind_name}}】整改通知 {{issue}}",
                        "{{contractor}}：\n通知编号：{{issue}}（{{kind_name}}）\n问题：{{title}}\n地点：{{site}}\n"
                        "整改期限：{{deadline}}\n请在期限前完成整改，并通过系统提交整改反馈"
                        "（原因、措施及整改前后照片等证据），注明通知编号 {{issue}}。\n{{text}}\n—— {{office}}",
                        NULL},
        [HQ_LANG_EN] = {"[{{kind_name}}] Rectification notice {{issue}}",
                        "{{contractor}}:\nNotice: {{issue}} ({{kind_name}})\nProblem: {{title}}\nSite: {{site}}\n"
                        "Deadline: {{deadline}}\nRectify the problem before the deadline and submit your "
                        "rectification feedback (cause, measures, before/after photos) quoting {{issue}}.\n"
                        "{{text}}\n-- {{office}}",
                        NULL},
    },
    [HQ_AUD_COMPLAINANT] = {
        [HQ_LANG_ZH] = {"您反映的问题已处理（{{issue}}）",
                        "您好！您反映的问题（{{issue}}）已处理完毕。\n处理结果：{{outcome}}\n感谢您对后勤服务的监督。\n—— {{office}}",
                        NULL},
        [HQ_LANG_EN] = {"Your report has been dealt with ({{issue}})",
                        "The problem you reported ({{issue}}: {{title}}) has been dealt with and the case is "
                        "closed.\nOutcome: {{outcome}}\nThank you for helping us improve campus services.\n-- {{office}}",
                        NULL},
    },
    [HQ_AUD_DIGEST] = {
        [HQ_LANG_ZH] = {"【汇总】{{count}} 条后勤监督提醒",
                        "{{recipient}}：\n以下 {{count}} 条提醒汇总发送：\n{{items}}\n—— {{office}}",
                        "· [{{kind_name}}] {{issue}} {{title}}（{{site}}，期限 {{deadline}}）"},
        [HQ_LANG_EN] = {"[Digest] {{count}} campus services alerts",
                        "{{recipient}}:\n{{count}} alerts, gathered:\n{{items}}\n-- {{office}}",
                        "- [{{kind_name}}] {{issue}} {{title}} ({{site}}, deadline {{deadline}})"},
    },
};

static int compile_builtins(hq_alert_config *c, hq_diags *d)
{
    for (int a = 0; a < HQ_AUD_COUNT; a++)
        for (int l = 0; l < HQ_LANG_COUNT; l++) {
            hq_alert_tmpl *t = &c->builtin[a][l];
            hq_err e = {0};
            t->subject = hq_tmpl_compile_str(builtin_src[a][l][0], &e);
            t->body = hq_tmpl_compile_str(builtin_src[a][l][1], &e);
            t->item = builtin_src[a][l][2] ? hq_tmpl_compile_str(builtin_src[a][l][2], &e) : NULL;
            if (!t->subject || !t->body || (builtin_src[a][l][2] && !t->item)) {
                hq_diags_add(d, "built-in templates", 0, 0, "%s", e.msg);
                return HQ_EINVAL;
            }
        }
    return 0;
}

/* ---- small readers ---- */

static char *dup_str(loader *L, const hq_ynode *n)
{
    const char *s;
    if (!n || hq_yget_str(L->d, L->doc, n, &s) != 0)
        return NULL;
    return hq_strdup(s);
}

/* "file:line:column" of n, owned by the caller. */
static char *where(loader *L, const hq_ynode *n)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s:%d:%d", L->doc->file, n ? n->line : 0, n ? n->column : 0);
    return hq_strdup(buf);
}

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int get_enum(loader *L, const hq_ynode *n, const char *const *names, const char *what, int *out)
{
    const char *s;
    if (hq_yget_str(L->d, L->doc, n, &s) != 0)
        return HQ_EINVAL;
    int i = find_name(names, s);
    if (i < 0) {
        char list[256] = "";
        for (int k = 0; names[k]; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", names[k]);
        hq_ydiag(L->d, L->doc, n, "unknown %s \"%s\" (expected one of %s)", what, s, list);
        return HQ_EINVAL;
    }
    *out = i;
    return 0;
}

static int get_duration(loader *L, const hq_ynode *n, int64_t min_ms, int64_t *out)
{
    if (hq_yget_duration_ms(L->d, L->doc, n, out) != 0)
        return HQ_EINVAL;
    if (*out < min_ms) {
        hq_ydiag(L->d, L->doc, n, "expected at least %lld ms", (long long)min_ms);
        return HQ_EINVAL;
    }
    return 0;
}

static int get_uint(loader *L, const hq_ynode *n, int64_t lo, int64_t hi, unsigned *out)
{
    int64_t v;
    if (hq_yget_int(L->d, L->doc, n, &v) != 0)
        return HQ_EINVAL;
    if (v < lo || v > hi) {
        hq_ydiag(L->d, L->doc, n, "expected a number from %lld to %lld, got %lld", (long long)lo, (long long)hi,
                 (long long)v);
        return HQ_EINVAL;
    }
    *out = (unsigned)v;
    return 0;
}

static int get_severity(loader *L, const hq_ynode *n, hq_severity *out)
{
    const char *s;
    if (hq_yget_str(L->d, L->doc, n, &s) != 0)
        return HQ_EINVAL;
    if (hq_severity_parse(s, out) != 0) {
        hq_ydiag(L->d, L->doc, n, "unknown severity \"%s\" (expected low, medium, high or critical)", s);
        return HQ_EINVAL;
    }
    return 0;
}

/* ---- working hours ---- */

static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static int parse_hhmm(const char *s, int *out)
{
    int h, m;
    char tail;
    if (strlen(s) != 5 || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[3]))
        return HQ_EINVAL;
    if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0))
        return HQ_EINVAL;
    *out = h * 60 + m;
    return 0;
}

static int get_hhmm(loader *L, const hq_ynode *n, int *out)
{
    const char *s;
    if (hq_yget_str(L->d, L->doc, n, &s) != 0)
        return HQ_EINVAL;
    if (parse_hhmm(s, out) != 0) {
        hq_ydiag(L->d, L->doc, n, "expected a time of day like \"08:30\", got \"%s\"", s);
        return HQ_EINVAL;
    }
    return 0;
}

/* A day ("mon") or a range of days ("mon-fri"). */
static int get_days(loader *L, const hq_ynode *n, uint8_t *days)
{
    const char *s;
    if (hq_yget_str(L->d, L->doc, n, &s) != 0)
        return HQ_EINVAL;
    char a[8] = "", b[8] = "";
    const char *dash = strchr(s, '-');
    if (dash) {
        snprintf(a, sizeof a, "%.*s", (int)(dash - s < 7 ? dash - s : 7), s);
        snprintf(b, sizeof b, "%s", dash + 1);
    } else {
        snprintf(a, sizeof a, "%s", s);
        snprintf(b, sizeof b, "%s", s);
    }
    int from = find_name(day_names, a), to = find_name(day_names, b);
    if (from < 0 || to < 0) {
        hq_ydiag(L->d, L->doc, n, "expected a day (mon, tue, ..., sun) or a range like mon-fri, got \"%s\"", s);
        return HQ_EINVAL;
    }
    for (int i = from;; i = (i + 1) % 7) {
        *days |= (uint8_t)(1u << i);
        if (i == to)
            break;
    }
    return 0;
}

static int get_hours(loader *L, const hq_ynode *n, hq_hours *h)
{
    static const char *const keys[] = {"days", "from", "to", NULL};
    memset(h, 0, sizeof *h);
    if (n->type == HQ_Y_SCALAR && strcmp(n->str, "always") == 0) {
        h->always = true;
        return 0;
    }
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(L->d, L->doc, n, "working_hours: expected always or {days: [mon-fri], from: \"08:00\", to: "
                                  "\"18:00\"}");
        return HQ_EINVAL;
    }
    if (hq_ycheck_keys(L->d, L->doc, n, keys))
        return HQ_EINVAL;
    const hq_ynode *days = hq_yrequire(L->d, L->doc, n, "days"), *from = hq_yrequire(L->d, L->doc, n, "from"),
                   *to = hq_yrequire(L->d, L->doc, n, "to");
    if (!days || !from || !to)
        return HQ_EINVAL;
    int rc = 0;
    if (days->type == HQ_Y_SEQ) {
        for (size_t i = 0; i < days->len; i++)
            rc |= get_days(L, days->kids[i], &h->days);
    } else {
        rc |= get_days(L, days, &h->days);
    }
    rc |= get_hhmm(L, from, &h->from_min);
    rc |= get_hhmm(L, to, &h->to_min);
    if (rc)
        return HQ_EINVAL;
    if (h->from_min >= h->to_min) {
        hq_ydiag(L->d, L->doc, to, "working_hours: \"to\" must be later than \"from\" on the same day");
        return HQ_EINVAL;
    }
    if (!h->days) {
        hq_ydiag(L->d, L->doc, days, "working_hours: no days");
        return HQ_EINVAL;
    }
    return 0;
}

/* ---- channels ---- */

static bool valid_channel_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > HQ_CHANNEL_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

static void channel_fini(hq_channel *ch)
{
    free(ch->name);
    free(ch->url);
    free(ch->from);
    free(ch->username);
    if (ch->password) {
        memset(ch->password, 0, strlen(ch->password));
        free(ch->password);
    }
    for (size_t i = 0; i < ch->argc; i++)
        free(ch->argv[i]);
    free(ch->argv);
    free(ch->path);
    free(ch->at);
    free(ch->from_at);
}

static char *get_url(loader *L, const hq_ynode *n, const char *const *schemes)
{
    char *u = dup_str(L, n);
    if (!u)
        return NULL;
    bool ok = false;
    for (int i = 0; schemes[i]; i++)
        ok = ok || strncmp(u, schemes[i], strlen(schemes[i])) == 0;
    if (!ok || has_ctl(u) || strchr(u, ' ')) {
        hq_ydiag(L->d, L->doc, n, "url: expected %s..., got \"%s\"", schemes[0], u);
        free(u);
        return NULL;
    }
    return u;
}

/* An address fit for an SMTP envelope and a header: local@domain, no
 * spaces, angle brackets or control characters. */
static bool valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.') || strlen(s) > 254)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || strchr("<>()[],;:\\\"", *s) || *s == 0x7f)
            return false;
    return true;
}

static char *read_secret(loader *L, const hq_ynode *n)
{
    const char *path;
    if (hq_yget_str(L->d, L->doc, n, &path) != 0)
        return NULL;
    FILE *f = fopen(path, "r");
    char buf[512];
    if (!f || !fgets(buf, sizeof buf, f)) {
        hq_ydiag(L->d, L->doc, n, "password_file: cannot read \"%s\"", path);
        if (f)
            fclose(f);
        return NULL;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    char *s = hq_strdup(buf);
    memset(buf, 0, sizeof buf);
    return s;
}

static void load_channel_type(loader *L, const hq_ynode *m, hq_channel *ch)
{
    static const char *const webhook_keys[] = {"type", "lang", "shared", "parallel", "timeout", "connect_timeout",
                                               "url", "format", "to", "working_hours", NULL};
    static const char *const email_keys[] = {"type", "lang", "shared", "parallel", "timeout", "connect_timeout",
                                             "url", "from", "username", "password_file", "starttls", "to",
                                             "working_hours", NULL};
    static const char *const command_keys[] = {"type", "lang", "shared", "parallel", "timeout", "argv", "to",
                                               "working_hours", NULL};
    static const char *const file_keys[] = {"type", "lang", "shared", "parallel", "path", "to", "working_hours",
                                            NULL};
    static const char *const *const keys[] = {webhook_keys, email_keys, command_keys, file_keys};
    static const char *const http[] = {"http://", "https://", NULL};
    static const char *const smtp[] = {"smtp://", "smtps://", NULL};
    if (hq_ycheck_keys(L->d, L->doc, m, keys[ch->type]))
        return;
    const hq_ynode *x;
    if ((x = hq_ymap_get(m, "to"))) {
        int f;
        if (get_enum(L, x, addr_fields, "person's address field", &f) == 0)
            ch->to_field = f;
        if (ch->to_field == HQ_ADDR_WEBHOOK && ch->type != HQ_CH_WEBHOOK)
            hq_ydiag(L->d, L->doc, x, "to: webhook: only a webhook channel takes a webhook address");
        else if (ch->to_field >= 0 && ch->type == HQ_CH_WEBHOOK && ch->to_field != HQ_ADDR_WEBHOOK)
            hq_ydiag(L->d, L->doc, x, "to: a webhook channel takes its address from the person's webhook");
    }
    switch (ch->type) {
    case HQ_CH_WEBHOOK:
        /* With `to: webhook` each person's own URL is the address. */
        if ((x = hq_ymap_get(m, "url")) || ch->to_field != HQ_ADDR_WEBHOOK) {
            ch->url = get_url(L, hq_yrequire(L->d, L->doc, m, "url"), http);
            free(ch->at);
            ch->at = where(L, hq_ymap_get(m, "url"));
        }
        if ((x = hq_ymap_get(m, "format"))) {
            int f;
            if (get_enum(L, x, formats, "webhook format", &f) == 0)
                ch->format = (hq_webhook_format)f;
        }
        break;
    case HQ_CH_EMAIL:
        ch->url = get_url(L, hq_yrequire(L->d, L->doc, m, "url"), smtp);
        free(ch->at);
        ch->at = where(L, hq_ymap_get(m, "url"));
        if ((x = hq_yrequire(L->d, L->doc, m, "from")) && (ch->from = dup_str(L, x)) && !valid_email(ch->from))
            hq_ydiag(L->d, L->doc, x, "from: expected an e-mail address like alerts@example.edu.cn");
        if (x)
            ch->from_at = where(L, x);
        if ((x = hq_ymap_get(m, "username")))
            ch->username = dup_str(L, x);
        if ((x = hq_ymap_get(m, "password_file")))
            ch->password = read_secret(L, x);
        if ((x = hq_ymap_get(m, "starttls")))
            hq_yget_bool(L->d, L->doc, x, &ch->starttls);
        break;
    case HQ_CH_COMMAND:
        if (!(x = hq_yrequire(L->d, L->doc, m, "argv")))
            break;
        if (x->type != HQ_Y_SEQ || x->len == 0) {
            hq_ydiag(L->d, L->doc, x, "argv: expected a list like [/usr/local/bin/notify, --urgent]");
            break;
        }
        free(ch->at);
        ch->at = where(L, x->kids[0]);
        ch->argv = hq_calloc(x->len + 1, sizeof *ch->argv);
        for (size_t i = 0; i < x->len; i++)
            if ((ch->argv[ch->argc] = dup_str(L, x->kids[i])))
                ch->argc++;
        if (ch->argc && ch->argv[0][0] != '/')
            hq_ydiag(L->d, L->doc, x->kids[0], "argv[0]: expected an absolute path, got \"%s\"", ch->argv[0]);
        break;
    case HQ_CH_FILE:
        if ((x = hq_ymap_get(m, "path"))) {
            free(ch->at);
            ch->at = where(L, x);
        }
        if ((x = hq_yrequire(L->d, L->doc, m, "path")) && (ch->path = dup_str(L, x)) && ch->path[0] != '/')
            hq_ydiag(L->d, L->doc, x, "path: expected an absolute path, got \"%s\"", ch->path);
        break;
    }
}

static void load_channel(loader *L, const hq_ynode *key, const hq_ynode *m)
{
    const char *name = key->str;
    if (!valid_channel_name(name)) {
        hq_ydiag(L->d, L->doc, key, "channel name \"%s\": use 1 to %d of a-z, 0-9, '.', '_', '-'", name,
                 HQ_CHANNEL_NAME_MAX);
        return;
    }
    if (hq_alert_config_channel(L->c, name)) {
        hq_ydiag(L->d, L->doc, key, "channel \"%s\" is defined twice", name);
        return;
    }
    if (m->type != HQ_Y_MAP) {
        hq_ydiag(L->d, L->doc, m, "channel %s: expected a mapping with a type", name);
        return;
    }
    const hq_ynode *t = hq_yrequire(L->d, L->doc, m, "type");
    int type;
    if (!t || get_enum(L, t, channel_types, "channel type", &type) != 0)
        return;
    hq_channel ch = {.type = (hq_channel_type)type, .parallel = 8, .timeout_ms = 10000, .connect_timeout_ms = 5000,
                     .to_field = -1, .at = where(L, key)};
    if (type == HQ_CH_EMAIL || type == HQ_CH_COMMAND)
        ch.timeout_ms = 30000;
    size_t before = L->d->count;
    load_channel_type(L, m, &ch);
    const hq_ynode *x;
    int lang;
    if ((x = hq_ymap_get(m, "lang")) && get_enum(L, x, langs, "language", &lang) == 0)
        ch.lang = (hq_lang)lang;
    if ((x = hq_ymap_get(m, "shared")))
        hq_yget_bool(L->d, L->doc, x, &ch.shared);
    if ((x = hq_ymap_get(m, "parallel")))
        get_uint(L, x, 1, 256, &ch.parallel);
    if ((x = hq_ymap_get(m, "timeout")))
        get_duration(L, x, 100, &ch.timeout_ms);
    if ((x = hq_ymap_get(m, "connect_timeout")))
        get_duration(L, x, 100, &ch.connect_timeout_ms);
    if ((x = hq_ymap_get(m, "working_hours"))) {
        if (!ch.shared)
            hq_ydiag(L->d, L->doc, x, "working_hours: only a shared channel has hours of its own (a person's "
                                      "hours are in their entry of org.yaml)");
        else if (get_hours(L, x, &ch.hours) == 0)
            ch.has_hours = true;
    }
    if (L->d->count > before) {
        channel_fini(&ch);
        return;
    }
    ch.name = hq_strdup(name);
    L->c->channels = hq_realloc(L->c->channels, (L->c->nchannels + 1) * sizeof *L->c->channels);
    L->c->channels[L->c->nchannels++] = ch;
}

static void load_channels(loader *L, const hq_ynode *n)
{
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(L->d, L->doc, n, "channels: expected a mapping of channel names to channels");
        return;
    }
    for (size_t i = 0; i < n->len; i++)
        load_channel(L, hq_ymap_key(n, i), hq_ymap_val(n, i));
}

/* ---- templates ---- */

typedef struct var_check {
    const char *const *vars;
} var_check;

static bool check_var(void *ctx, const char *path, char *why, size_t whylen)
{
    const var_check *vc = ctx;
    if (find_name(vc->vars, path) >= 0)
        return true;
    char list[512] = "";
    for (int k = 0; vc->vars[k]; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", vc->vars[k]);
    snprintf(why, whylen, "unknown placeholder (known: %s)", list);
    return false;
}

static void tmpl_fini(hq_alert_tmpl *t)
{
    hq_tmpl_destroy(&t->subject);
    hq_tmpl_destroy(&t->body);
    hq_tmpl_destroy(&t->item);
}

static int load_tmpl_lang(loader *L, const hq_ynode *m, hq_audience aud, hq_alert_tmpl *t)
{
    static const char *const keys[] = {"subject", "body", NULL};
    static const char *const digest_keys[] = {"subject", "body", "item", NULL};
    if (hq_ycheck_keys(L->d, L->doc, m, aud == HQ_AUD_DIGEST ? digest_keys : keys))
        return HQ_EINVAL;
    var_check alert = {hq_alert_vars}, digest = {digest_vars};
    var_check *outer = aud == HQ_AUD_DIGEST ? &digest : &alert;
    const hq_ynode *s = hq_yrequire(L->d, L->doc, m, "subject"), *b = hq_yrequire(L->d, L->doc, m, "body"), *x;
    if (s)
        t->subject = hq_tmpl_compile(L->doc, s, check_var, outer, L->d);
    if (b)
        t->body = hq_tmpl_compile(L->doc, b, check_var, outer, L->d);
    if ((x = hq_ymap_get(m, "item")))
        t->item = hq_tmpl_compile(L->doc, x, check_var, &alert, L->d);
    if (!t->subject || !t->body || (x && !t->item)) {
        tmpl_fini(t);
        return HQ_EINVAL;
    }
    return 0;
}

static const tmpl_entry *find_tmpl(const hq_alert_config *c, hq_audience aud, const char *kind)
{
    for (size_t i = 0; i < c->ntmpls; i++)
        if (c->tmpls[i].aud == aud &&
            ((!kind && !c->tmpls[i].kind) || (kind && c->tmpls[i].kind && !strcmp(kind, c->tmpls[i].kind))))
            return &c->tmpls[i];
    return NULL;
}

static void load_template(loader *L, const hq_ynode *key, const hq_ynode *m)
{
    char name[128];
    snprintf(name, sizeof name, "%s", key->str);
    char *dot = strchr(name, '.');
    if (dot)
        *dot++ = '\0';
    hq_audience aud;
    if (hq_audience_parse(name, &aud) != 0) {
        hq_ydiag(L->d, L->doc, key,
                 "unknown template \"%s\" (expected office, contractor, complainant, digest, or "
                 "<office|contractor|complainant>.<kind>)",
                 key->str);
        return;
    }
    if (dot && (aud == HQ_AUD_DIGEST || find_name(hq_alert_kinds, dot) < 0)) {
        hq_ydiag(L->d, L->doc, key, "unknown template \"%s\": %s", key->str,
                 aud == HQ_AUD_DIGEST ? "digests have no per-kind templates" : "no such alert kind");
        return;
    }
    if (find_tmpl(L->c, aud, dot)) {
        hq_ydiag(L->d, L->doc, key, "template \"%s\" is defined twice", key->str);
        return;
    }
    if (hq_ycheck_keys(L->d, L->doc, m, langs))
        return;
    tmpl_entry e = {.aud = aud};
    bool ok = true;
    for (int l = 0; l < HQ_LANG_COUNT; l++) {
        const hq_ynode *x = hq_ymap_get(m, langs[l]);
        if (x && load_tmpl_lang(L, x, aud, &e.t[l]) == 0)
            e.have[l] = true;
        else if (x)
            ok = false;
    }
    if (ok && !e.have[HQ_LANG_ZH] && !e.have[HQ_LANG_EN]) {
        hq_ydiag(L->d, L->doc, m, "template \"%s\": expected zh and/or en", key->str);
        ok = false;
    }
    if (!ok) {
        for (int l = 0; l < HQ_LANG_COUNT; l++)
            tmpl_fini(&e.t[l]);
        return;
    }
    e.kind = dot ? hq_strdup(dot) : NULL;
    L->c->tmpls = hq_realloc(L->c->tmpls, (L->c->ntmpls + 1) * sizeof *L->c->tmpls);
    L->c->tmpls[L->c->ntmpls++] = e;
}

static void load_templates(loader *L, const hq_ynode *n)
{
    if (n->type != HQ_Y_MAP) {
        hq_ydiag(L->d, L->doc, n, "templates: expected a mapping of template names to templates");
        return;
    }
    for (size_t i = 0; i < n->len; i++)
        load_template(L, hq_ymap_key(n, i), hq_ymap_val(n, i));
}

/* ---- policies ---- */

static const hq_channel *get_channel_ref(loader *L, const hq_ynode *n)
{
    const char *s;
    if (hq_yget_str(L->d, L->doc, n, &s) != 0)
        return NULL;
    const hq_channel *ch = hq_alert_config_channel(L->c, s);
    if (!ch)
        hq_ydiag(L->d, L->doc, n, "unknown channel \"%s\"", s);
    return ch;
}

static void load_digest(loader *L, const hq_ynode *m, hq_alert_policies *p)
{
    static const char *const keys[] = {"severities", "every", "roles", NULL};
    if (hq_ycheck_keys(L->d, L->doc, m, keys))
        return;
    const hq_ynode *x;
    if ((x = hq_yrequire(L->d, L->doc, m, "every")))
        get_duration(L, x, 60000, &p->digest_every_ms);
    p->digest_severities = 1u << HQ_SEV_LOW;
    if ((x = hq_ymap_get(m, "severities"))) {
        p->digest_severities = 0;
        if (x->type != HQ_Y_SEQ)
            hq_ydiag(L->d, L->doc, x, "severities: expected a list like [low]");
        for (size_t i = 0; x->type == HQ_Y_SEQ && i < x->len; i++) {
            hq_severity s;
            if (get_severity(L, x->kids[i], &s) == 0)
                p->digest_severities |= 1u << s;
        }
    }
    if ((x = hq_ymap_get(m, "roles"))) {
        if (x->type != HQ_Y_SEQ)
            hq_ydiag(L->d, L->doc, x, "roles: expected a list like [office_director, section_head]");
        for (size_t i = 0; x->type == HQ_Y_SEQ && i < x->len; i++) {
            const char *s;
            hq_role r = HQ_ROLE_COUNT;
            if (hq_yget_str(L->d, L->doc, x->kids[i], &s) != 0)
                continue;
            if (hq_role_parse(s, &r) != 0 || r == HQ_ROLE_COMPLAINANT)
                hq_ydiag(L->d, L->doc, x->kids[i], "unknown role \"%s\"%s", s,
                         r == HQ_ROLE_COMPLAINANT ? " (feedback to complainants is never digested)" : "");
            else
                p->digest_roles |= 1u << r;
        }
    }
}

static void load_policy_part(loader *L, const char *k, const hq_ynode *v, hq_alert_policies *p)
{
    static const char *const rate_keys[] = {"max", "per", NULL};
    static const char *const retry_keys[] = {"tries", "first", "max", NULL};
    static const char *const compl_keys[] = {"email", "phone", "other", NULL};
    const hq_ynode *x;
    if (!strcmp(k, "urgent")) {
        get_severity(L, v, &p->urgent_from);
    } else if (!strcmp(k, "quiet_hours")) {
        hq_yget_bool(L->d, L->doc, v, &p->quiet_hours);
    } else if (!strcmp(k, "working_hours")) {
        get_hours(L, v, &p->default_hours);
    } else if (!strcmp(k, "digest")) {
        load_digest(L, v, p);
    } else if (!strcmp(k, "rate_limit") && !hq_ycheck_keys(L->d, L->doc, v, rate_keys)) {
        if ((x = hq_yrequire(L->d, L->doc, v, "max")))
            get_uint(L, x, 1, 100000, &p->rate_max);
        if ((x = hq_yrequire(L->d, L->doc, v, "per")))
            get_duration(L, x, 1000, &p->rate_per_ms);
    } else if (!strcmp(k, "retry") && !hq_ycheck_keys(L->d, L->doc, v, retry_keys)) {
        if ((x = hq_ymap_get(v, "tries")))
            get_uint(L, x, 1, 1000, &p->retry_tries);
        if ((x = hq_ymap_get(v, "first")))
            get_duration(L, x, 10, &p->retry_first_ms);
        if ((x = hq_ymap_get(v, "max")))
            get_duration(L, x, 10, &p->retry_max_ms);
        if (p->retry_max_ms < p->retry_first_ms)
            hq_ydiag(L->d, L->doc, v, "retry: max must not be shorter than first");
    } else if (!strcmp(k, "complainant") && !hq_ycheck_keys(L->d, L->doc, v, compl_keys)) {
        if ((x = hq_ymap_get(v, "email")) && (p->complainant_email = get_channel_ref(L, x)) &&
            p->complainant_email->shared)
            hq_ydiag(L->d, L->doc, x, "complainant feedback cannot go to a shared channel");
        if ((x = hq_ymap_get(v, "phone")) && (p->complainant_phone = get_channel_ref(L, x)) &&
            p->complainant_phone->shared)
            hq_ydiag(L->d, L->doc, x, "complainant feedback cannot go to a shared channel");
        if ((x = hq_ymap_get(v, "other")) && (p->complainant_other = get_channel_ref(L, x)) &&
            (p->complainant_other->shared || p->complainant_other->type == HQ_CH_EMAIL))
            hq_ydiag(L->d, L->doc, x, "complainant.other: expected a command or webhook channel that is not shared "
                                      "(it gets the contact as recipient.to)");
    } else if (!strcmp(k, "failover")) {
        get_duration(L, v, 1000, &p->failover_ms);
    }
}

static void load_policies(loader *L, const hq_ynode *n)
{
    static const char *const keys[] = {"urgent", "quiet_hours", "working_hours", "digest", "rate_limit",
                                       "retry",  "complainant", "failover", NULL};
    if (L->policies_at) {
        hq_ydiag(L->d, L->doc, n, "policies are defined twice (first at %s:%d:%d)", L->policies_doc->file,
                 L->policies_at->line, L->policies_at->column);
        return;
    }
    L->policies_at = n;
    L->policies_doc = L->doc;
    if (hq_ycheck_keys(L->d, L->doc, n, keys))
        return;
    for (size_t i = 0; i < n->len; i++)
        load_policy_part(L, hq_ymap_key(n, i)->str, hq_ymap_val(n, i), &L->c->pol);
}

/* ---- people ---- */

static bool valid_http(const char *s)
{
    return (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) && !has_ctl(s) && !strchr(s, ' ');
}

/* An entry: {channel: NAME, to: ADDRESS, lang: zh|en, fallback: bool}, or
 * just NAME. */
static void load_person_channel(loader *L, const hq_ynode *m, hq_alert_person *p)
{
    static const char *const keys[] = {"channel", "to", "lang", "fallback", NULL};
    const hq_ynode *x = m;
    if (m->type == HQ_Y_MAP) {
        if (hq_ycheck_keys(L->d, L->doc, m, keys))
            return;
        x = hq_yrequire(L->d, L->doc, m, "channel");
    }
    const hq_channel *ch = x ? get_channel_ref(L, x) : NULL;
    if (!ch)
        return;
    hq_person_channel pc = {.channel = ch, .lang = ch->lang};
    int lang;
    const hq_ynode *to = m->type == HQ_Y_MAP ? hq_ymap_get(m, "to") : NULL;
    if (m->type == HQ_Y_MAP && (x = hq_ymap_get(m, "lang")) && get_enum(L, x, langs, "language", &lang) == 0)
        pc.lang = (hq_lang)lang;
    if (m->type == HQ_Y_MAP && (x = hq_ymap_get(m, "fallback")))
        hq_yget_bool(L->d, L->doc, x, &pc.fallback);
    if (to && (pc.to = dup_str(L, to)) && (has_ctl(pc.to) || !*pc.to)) {
        hq_ydiag(L->d, L->doc, to, "to: expected an address without control characters");
        free(pc.to);
        free(pc.to_at);
        return;
    }
    if (pc.to)
        pc.to_at = where(L, to);
    if (!pc.to && ch->to_field >= 0 && p->addr[ch->to_field]) {
        pc.to = hq_strdup(p->addr[ch->to_field]);
        pc.to_at = p->addr_at[ch->to_field] ? hq_strdup(p->addr_at[ch->to_field]) : NULL;
    }
    const hq_ynode *at = to ? to : m;
    if (ch->type == HQ_CH_EMAIL && (!pc.to || !valid_email(pc.to))) {
        hq_ydiag(L->d, L->doc, at, "channel %s is e-mail: expected `to` or the person's `email:` with an address "
                                   "like name@example.edu.cn",
                 ch->name);
        free(pc.to);
        free(pc.to_at);
        return;
    }
    if (ch->type == HQ_CH_WEBHOOK && !ch->url && (!pc.to || !valid_http(pc.to))) {
        hq_ydiag(L->d, L->doc, at, "channel %s takes each person's webhook: expected `to` or the person's "
                                   "`webhook:` with a URL like https://...",
                 ch->name);
        free(pc.to);
        free(pc.to_at);
        return;
    }
    if (ch->to_field >= 0 && !pc.to) {
        hq_ydiag(L->d, L->doc, at, "channel %s needs the person's %s: add `%s:` to %s or `to:` to this entry",
                 ch->name, addr_fields[ch->to_field], addr_fields[ch->to_field], p->id);
        free(pc.to_at);
        return;
    }
    if (pc.fallback && ch->shared) {
        hq_ydiag(L->d, L->doc, at, "fallback: channel %s is shared (a group robot cannot stand in for a person)",
                 ch->name);
        free(pc.to);
        free(pc.to_at);
        return;
    }
    for (size_t i = 0; i < p->nchannels; i++)
        if (p->channels[i].channel == ch) {
            hq_ydiag(L->d, L->doc, m, "channel %s is listed twice for %s", ch->name, p->id);
            free(pc.to);
            free(pc.to_at);
            return;
        }
    pc.at = where(L, m);
    p->channels = hq_realloc(p->channels, (p->nchannels + 1) * sizeof *p->channels);
    p->channels[p->nchannels++] = pc;
}

static void load_person(loader *L, const hq_ynode *m)
{
    if (m->type != HQ_Y_MAP)
        return; /* houqind's loader reports it */
    const hq_ynode *id = hq_ymap_get(m, "id"), *chs = hq_ymap_get(m, "channels"),
                   *wh = hq_ymap_get(m, "working_hours"), *dep = hq_ymap_get(m, "deputy");
    if (!id || id->type != HQ_Y_SCALAR)
        return;
    L->ids = hq_realloc(L->ids, (L->nids + 1) * sizeof *L->ids);
    L->ids[L->nids++] = id->str;
    L->c->ids = hq_realloc(L->c->ids, (L->c->nids + 1) * sizeof *L->c->ids);
    L->c->ids_at = hq_realloc(L->c->ids_at, (L->c->nids + 1) * sizeof *L->c->ids_at);
    L->c->ids[L->c->nids] = hq_strdup(id->str);
    L->c->ids_at[L->c->nids++] = where(L, id);
    const hq_ynode *addr[HQ_ADDR_COUNT];
    bool any = chs || wh || dep;
    for (int f = 0; f < HQ_ADDR_COUNT; f++)
        any = (addr[f] = hq_ymap_get(m, addr_fields[f])) || any;
    if (!any)
        return;
    if (hq_alert_config_person(L->c, id->str)) {
        hq_ydiag(L->d, L->doc, id, "person \"%s\" has alert settings twice", id->str);
        return;
    }
    hq_alert_person p = {.id = hq_strdup(id->str), .at = where(L, id)};
    for (int f = 0; f < HQ_ADDR_COUNT; f++) {
        if (!addr[f] || !(p.addr[f] = dup_str(L, addr[f])))
            continue;
        p.addr_at[f] = where(L, addr[f]);
        bool ok = f == HQ_ADDR_EMAIL ? valid_email(p.addr[f]) : f == HQ_ADDR_WEBHOOK ? valid_http(p.addr[f])
                                                                                     : !has_ctl(p.addr[f]) && *p.addr[f];
        if (!ok)
            hq_ydiag(L->d, L->doc, addr[f], "%s: expected %s, got \"%s\"", addr_fields[f],
                     f == HQ_ADDR_EMAIL ? "an address like name@example.edu.cn"
                     : f == HQ_ADDR_WEBHOOK ? "a URL like https://..." : "a phone number",
                     p.addr[f]);
    }
    if (dep && (p.deputy = dup_str(L, dep))) {
        L->deps = hq_realloc(L->deps, (L->ndeps + 1) * sizeof *L->deps);
        L->deps[L->ndeps++] = (deputy_ref){L->doc, dep, id->str};
    }
    if (chs && chs->type != HQ_Y_SEQ)
        hq_ydiag(L->d, L->doc, chs, "channels: expected a list like [office-mail, {channel: sms, to: "
                                    "\"13800000000\", fallback: true}]");
    for (size_t i = 0; chs && chs->type == HQ_Y_SEQ && i < chs->len; i++)
        load_person_channel(L, chs->kids[i], &p);
    for (size_t i = 0; chs && chs->type == HQ_Y_SEQ && i < chs->len; i++) {
        const hq_ynode *fb = chs->kids[i]->type == HQ_Y_MAP ? hq_ymap_get(chs->kids[i], "fallback") : NULL;
        if (fb) {
            L->fbs = hq_realloc(L->fbs, (L->nfbs + 1) * sizeof *L->fbs);
            L->fbs[L->nfbs++] = (deputy_ref){L->doc, fb, id->str};
        }
    }
    if (wh && get_hours(L, wh, &p.hours) == 0)
        p.has_hours = true;
    L->c->people = hq_realloc(L->c->people, (L->c->npeople + 1) * sizeof *L->c->people);
    L->c->people[L->c->npeople++] = p;
}

static void load_people(loader *L, const hq_ynode *n)
{
    if (n->type != HQ_Y_SEQ)
        return; /* houqind's loader reports it */
    for (size_t i = 0; i < n->len; i++)
        load_person(L, n->kids[i]);
}

/* A deputy is a person of the files, and someone else. */
static void check_deputies(loader *L)
{
    for (size_t i = 0; i < L->ndeps; i++) {
        const deputy_ref *r = &L->deps[i];
        const char *dep = r->node->type == HQ_Y_SCALAR ? r->node->str : "";
        size_t k = 0;
        while (k < L->nids && strcmp(L->ids[k], dep))
            k++;
        if (!strcmp(dep, r->person))
            hq_ydiag(L->d, r->doc, r->node, "deputy: %s cannot be their own deputy", r->person);
        else if (k == L->nids)
            hq_ydiag(L->d, r->doc, r->node, "deputy: unknown person \"%s\"", dep);
    }
    for (size_t i = 0; i < L->nfbs && !L->c->pol.failover_ms; i++)
        if (L->fbs[i].node->type == HQ_Y_SCALAR && !strcmp(L->fbs[i].node->str, "true"))
            hq_ydiag(L->d, L->fbs[i].doc, L->fbs[i].node,
                     "fallback: needs policies.failover (the time after which the next channel is tried)");
}

/* ---- files ---- */

static void load_docs(loader *L)
{
    for (size_t i = 0; i < L->c->ndocs; i++) { /* pass 1: channels */
        L->doc = L->c->docs[i];
        const hq_ynode *r = L->doc->root, *x;
        if (r && r->type == HQ_Y_MAP && (x = hq_ymap_get(r, "channels")))
            load_channels(L, x);
    }
    for (size_t i = 0; i < L->c->ndocs; i++) { /* pass 2: what names channels */
        L->doc = L->c->docs[i];
        const hq_ynode *r = L->doc->root, *x;
        if (!r || r->type != HQ_Y_MAP)
            continue;
        if ((x = hq_ymap_get(r, "templates")))
            load_templates(L, x);
        if ((x = hq_ymap_get(r, "policies")))
            load_policies(L, x);
        if ((x = hq_ymap_get(r, "people")))
            load_people(L, x);
    }
    check_deputies(L);
}

const char *const hq_alert_config_sections[] = {"channels", "templates", "policies", "people", NULL};

int hq_alert_config_load(const char *dir, hq_alert_config **out, hq_diags *diags)
{
    hq_alert_config *c = hq_calloc(1, sizeof *c);
    c->pol = (hq_alert_policies){
        .urgent_from = HQ_SEV_HIGH,
        .quiet_hours = true,
        .default_hours = {.days = 0x3e, .from_min = 8 * 60, .to_min = 18 * 60},
        .retry_tries = 8,
        .retry_first_ms = 30000,
        .retry_max_ms = 3600000,
    };
    size_t before = diags->count;
    loader L = {.c = c, .d = diags};
    if (compile_builtins(c, diags) == 0) {
        hq_ydocs_load_dir(dir, &c->docs, &c->ndocs, diags);
        load_docs(&L);
    }
    free(L.ids);
    free(L.deps);
    free(L.fbs);
    /* The documents are only needed while loading. */
    for (size_t i = 0; i < c->ndocs; i++)
        hq_ydoc_destroy(&c->docs[i]);
    free(c->docs);
    c->docs = NULL;
    c->ndocs = 0;
    if (diags->count > before) {
        hq_alert_config_destroy(&c);
        return HQ_EINVAL;
    }
    /* A digest template from the files without an item line uses the built-in one. */
    for (size_t i = 0; i < c->ntmpls; i++)
        for (int l = 0; l < HQ_LANG_COUNT; l++)
            if (c->tmpls[i].aud == HQ_AUD_DIGEST && c->tmpls[i].have[l] && !c->tmpls[i].t[l].item) {
                hq_err e;
                c->tmpls[i].t[l].item = hq_tmpl_compile_str(builtin_src[HQ_AUD_DIGEST][l][2], &e);
            }
    *out = c;
    return 0;
}

void hq_alert_config_destroy(hq_alert_config **cp)
{
    hq_alert_config *c = cp ? *cp : NULL;
    if (!c)
        return;
    for (size_t i = 0; i < c->nchannels; i++)
        channel_fini(&c->channels[i]);
    free(c->channels);
    for (size_t i = 0; i < c->npeople; i++) {
        for (size_t j = 0; j < c->people[i].nchannels; j++) {
            free(c->people[i].channels[j].to);
            free(c->people[i].channels[j].at);
            free(c->people[i].channels[j].to_at);
        }
        free(c->people[i].channels);
        free(c->people[i].id);
        free(c->people[i].deputy);
        free(c->people[i].at);
        for (int f = 0; f < HQ_ADDR_COUNT; f++) {
            free(c->people[i].addr[f]);
            free(c->people[i].addr_at[f]);
        }
    }
    free(c->people);
    for (size_t i = 0; i < c->nids; i++) {
        free(c->ids[i]);
        free(c->ids_at[i]);
    }
    free(c->ids);
    free(c->ids_at);
    for (size_t i = 0; i < c->ntmpls; i++) {
        for (int l = 0; l < HQ_LANG_COUNT; l++)
            tmpl_fini(&c->tmpls[i].t[l]);
        free(c->tmpls[i].kind);
    }
    free(c->tmpls);
    for (int a = 0; a < HQ_AUD_COUNT; a++)
        for (int l = 0; l < HQ_LANG_COUNT; l++)
            tmpl_fini(&c->builtin[a][l]);
    for (size_t i = 0; i < c->ndocs; i++)
        hq_ydoc_destroy(&c->docs[i]);
    free(c->docs);
    free(c);
    *cp = NULL;
}

const hq_alert_policies *hq_alert_config_policies(const hq_alert_config *c) { return &c->pol; }
size_t hq_alert_config_nchannels(const hq_alert_config *c) { return c->nchannels; }
const hq_channel *hq_alert_config_channel_at(const hq_alert_config *c, size_t i) { return &c->channels[i]; }

const hq_channel *hq_alert_config_channel(const hq_alert_config *c, const char *name)
{
    for (size_t i = 0; i < c->nchannels; i++)
        if (!strcmp(c->channels[i].name, name))
            return &c->channels[i];
    return NULL;
}

const hq_alert_person *hq_alert_config_person(const hq_alert_config *c, const char *id)
{
    for (size_t i = 0; i < c->npeople; i++)
        if (!strcmp(c->people[i].id, id))
            return &c->people[i];
    return NULL;
}

const char *hq_alert_config_person_at(const hq_alert_config *c, const char *id)
{
    for (size_t i = 0; i < c->nids; i++)
        if (!strcmp(c->ids[i], id))
            return c->ids_at[i];
    return NULL;
}

const hq_alert_tmpl *hq_alert_config_template(const hq_alert_config *c, hq_audience aud, const char *kind,
                                              hq_lang lang)
{
    const tmpl_entry *e;
    if (kind && aud != HQ_AUD_DIGEST && (e = find_tmpl(c, aud, kind)) && e->have[lang])
        return &e->t[lang];
    if ((e = find_tmpl(c, aud, NULL)) && e->have[lang])
        return &e->t[lang];
    return &c->builtin[aud][lang];
}
