/* alert_check.c - what in a loaded alert configuration cannot work (see
 * alert_check.h).
 *
 * One pass over the channels decides, per channel, whether it is broken
 * and why (a short reason kept for the people summary); one pass over the
 * people checks each entry's address and then whether anything is left
 * that works.  Messages: "what is wrong; fix: what to do".
 */
#include "alert_check.h"

#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void hq_diags_add_at(hq_diags *d, const char *at, const char *fmt, ...)
{
    char msg[512], file[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = 0, col = 0;
    if (at) {
        /* "file:line:column", the file possibly holding colons itself. */
        const char *c2 = strrchr(at, ':'), *c1 = NULL;
        for (const char *p = c2 ? c2 - 1 : NULL; p && p >= at; p--)
            if (*p == ':') {
                c1 = p;
                break;
            }
        if (c1 && c2) {
            line = atoi(c1 + 1);
            col = atoi(c2 + 1);
            snprintf(file, sizeof file, "%.*s", (int)(c1 - at), at);
        } else {
            snprintf(file, sizeof file, "%s", at);
        }
    }
    hq_diags_add(d, file, line, col, "%s", msg);
}

/* ---- URLs ---- */

static unsigned default_port(const char *scheme)
{
    static const struct {
        const char *s;
        unsigned port;
    } t[] = {{"http", 80}, {"https", 443}, {"smtp", 25}, {"smtps", 465}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].s, scheme))
            return t[i].port;
    return 0;
}

int hq_url_parse(const char *s, hq_url *out, hq_err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = s;
    if (!isalpha((unsigned char)*p))
        return hq_err_set(err, HQ_EINVAL, "no scheme (expected scheme://host...)");
    size_t n = 0;
    while (isalnum((unsigned char)p[n]) || p[n] == '+' || p[n] == '-' || p[n] == '.')
        n++;
    if (strncmp(p + n, "://", 3) != 0 || n >= sizeof out->scheme)
        return hq_err_set(err, HQ_EINVAL, "no scheme (expected scheme://host...)");
    for (size_t i = 0; i < n; i++)
        out->scheme[i] = (char)tolower((unsigned char)p[i]);
    p += n + 3;
    size_t alen = strcspn(p, "/?#");
    const char *auth = p, *end = p + alen;
    for (const char *q = end; q > auth; q--)
        if (q[-1] == '@') { /* user:password@ */
            auth = q;
            break;
        }
    const char *hend;
    if (*auth == '[') {
        hend = memchr(auth, ']', (size_t)(end - auth));
        if (!hend)
            return hq_err_set(err, HQ_EINVAL, "an IPv6 address without its closing ]");
        for (const char *q = auth + 1; q < hend; q++)
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
                return hq_err_set(err, HQ_EINVAL, "\"%.*s\" is not an IPv6 address", (int)(hend - auth - 1),
                                  auth + 1);
        out->ipv6 = true;
        auth++;
    } else {
        hend = auth;
        while (hend < end && *hend != ':')
            hend++;
    }
    size_t hlen = (size_t)(hend - auth);
    if (hlen == 0)
        return hq_err_set(err, HQ_EINVAL, "no host");
    if (hlen >= sizeof out->host)
        return hq_err_set(err, HQ_EINVAL, "the host name is longer than 255 bytes");
    memcpy(out->host, auth, hlen);
    if (!out->ipv6) {
        for (size_t i = 0; i < hlen; i++) {
            char c = out->host[i];
            if (!isalnum((unsigned char)c) && c != '-' && c != '.' && c != '_')
                return hq_err_set(err, HQ_EINVAL, "host \"%s\": '%c' is not allowed in a host name", out->host,
                                  isprint((unsigned char)c) ? c : '?');
            out->host[i] = (char)tolower((unsigned char)c);
        }
        if (out->host[0] == '.' || out->host[0] == '-' || strstr(out->host, ".."))
            return hq_err_set(err, HQ_EINVAL, "host \"%s\" is not a host name", out->host);
    }
    const char *port = out->ipv6 ? hend + 1 : hend;
    if (port < end) {
        if (*port != ':')
            return hq_err_set(err, HQ_EINVAL, "unexpected \"%.*s\" after the host", (int)(end - port), port);
        port++;
        if (port == end)
            return hq_err_set(err, HQ_EINVAL, "an empty port after ':'");
        unsigned long v = 0;
        for (const char *q = port; q < end; q++) {
            if (!isdigit((unsigned char)*q))
                return hq_err_set(err, HQ_EINVAL, "port \"%.*s\" is not a number", (int)(end - port), port);
            v = v * 10 + (unsigned long)(*q - '0');
            if (v > 65535)
                return hq_err_set(err, HQ_EINVAL, "port %.*s is out of range (1-65535)", (int)(end - port), port);
        }
        if (v == 0)
            return hq_err_set(err, HQ_EINVAL, "port 0 is not a port");
        out->port = (unsigned)v;
    } else {
        out->port = default_port(out->scheme);
    }
    for (const char *q = end; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f)
            return hq_err_set(err, HQ_EINVAL, "a space or control character in the URL");
    return 0;
}

bool hq_host_loopback(const char *host)
{
    if (!strcasecmp(host, "localhost") || !strcmp(host, "::1") || !strcmp(host, "0:0:0:0:0:0:0:1"))
        return true;
    size_t n = strlen(host);
    if (n > 10 && !strcasecmp(host + n - 10, ".localhost"))
        return true;
    unsigned a, b, c, d;
    char tail;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 && c < 256 && d < 256;
}

/* ---- placeholders ---- */

/* Words a sample leaves behind, matched case-insensitively anywhere. */
static const char *const sample_words[] = {"change-me", "changeme", "change_me", "replace-me", "replaceme",
                                           "replace_me", "your-",    "your_",     "yourdomain", "fixme",
                                           "todo",       "xxxx",     "placeholder", "<",        ">",
                                           "...",        "…",        NULL};

static const char *sample_word(const char *s)
{
    for (int i = 0; sample_words[i]; i++) {
        size_t n = strlen(sample_words[i]);
        for (const char *p = s; *p; p++)
            if (!strncasecmp(p, sample_words[i], n))
                return sample_words[i];
    }
    return NULL;
}

/* Reserved for documentation and testing (RFC 2606, RFC 6761) or
 * obviously made up: a label "example", a top-level example, invalid,
 * test, localhost or localdomain.  localhost itself is a mail domain no
 * other machine reaches (in a URL it is loopback, reported elsewhere). */
static const char *domain_placeholder(const char *dom, bool url, char *buf, size_t size)
{
    char d[256];
    snprintf(d, sizeof d, "%s", dom);
    size_t n = strlen(d);
    while (n && d[n - 1] == '.')
        d[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        d[i] = (char)tolower((unsigned char)d[i]);
    if (!url && !strcmp(d, "localhost")) {
        snprintf(buf, size, "localhost is not a domain other machines deliver to");
        return buf;
    }
    const char *tld = strrchr(d, '.');
    tld = tld ? tld + 1 : d;
    static const char *const reserved[] = {"example", "invalid", "test", "localdomain", NULL};
    for (int i = 0; reserved[i]; i++)
        if (!strcmp(tld, reserved[i]) && strcmp(d, tld) != 0) {
            snprintf(buf, size, "%s is a placeholder domain (.%s is reserved: RFC 2606)", dom, reserved[i]);
            return buf;
        }
    for (char *lab = d; lab && *lab;) {
        char *dot = strchr(lab, '.');
        size_t len = dot ? (size_t)(dot - lab) : strlen(lab);
        if (len == 7 && !strncmp(lab, "example", 7)) {
            snprintf(buf, size, "%s is a placeholder domain (example.* is for documentation: RFC 2606)", dom);
            return buf;
        }
        if (len == 11 && !strncmp(lab, "localdomain", 11)) {
            snprintf(buf, size, "%s is a placeholder domain", dom);
            return buf;
        }
        lab = dot ? dot + 1 : NULL;
    }
    return NULL;
}

const char *hq_addr_placeholder(const char *addr, hq_addr_kind kind, char *buf, size_t size)
{
    if (!addr || !*addr)
        return "the address is empty";
    const char *w = sample_word(addr);
    if (w) {
        snprintf(buf, size, "a sample to fill in (it has \"%s\")", w);
        return buf;
    }
    switch (kind) {
    case HQ_ADDR_KIND_EMAIL: {
        const char *at = strrchr(addr, '@');
        return at ? domain_placeholder(at + 1, false, buf, size) : NULL;
    }
    case HQ_ADDR_KIND_URL: {
        hq_url u;
        if (hq_url_parse(addr, &u, NULL) != 0 || u.ipv6)
            return NULL;
        unsigned a, b, c, d;
        char tail;
        if (sscanf(u.host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4) {
            if (a == 0) {
                snprintf(buf, size, "%s is not an address a server listens on", u.host);
                return buf;
            }
            return NULL;
        }
        return domain_placeholder(u.host, true, buf, size);
    }
    case HQ_ADDR_KIND_PHONE: {
        char digits[64];
        size_t n = 0;
        for (const char *p = addr; *p && n + 1 < sizeof digits; p++)
            if (isdigit((unsigned char)*p))
                digits[n++] = *p;
        digits[n] = '\0';
        if (n < 3) {
            snprintf(buf, size, "not a phone number");
            return buf;
        }
        size_t run = 1, longest = 1;
        for (size_t i = 1; i < n; i++) {
            run = digits[i] == digits[i - 1] ? run + 1 : 1;
            if (run > longest)
                longest = run;
        }
        if (longest >= 6) {
            snprintf(buf, size, "looks made up (%zu equal digits in a row)", longest);
            return buf;
        }
        if (strstr(digits, "13800138000")) {
            snprintf(buf, size, "China Mobile's service number, the usual sample");
            return buf;
        }
        return NULL;
    }
    case HQ_ADDR_KIND_OTHER: return NULL;
    }
    return NULL;
}

/* ---- channels ---- */

typedef struct chan_state {
    const char *broken; /* why it cannot work, short; NULL when it may */
    char why[160];
} chan_state;

static void broken(chan_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void broken(chan_state *st, const char *fmt, ...)
{
    if (st->broken)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->why, sizeof st->why, fmt, ap);
    va_end(ap);
    st->broken = st->why;
}

typedef struct checker {
    hq_diags *problems, *notes;
    size_t nproblems;
} checker;

/* Adds to d (when there is one) a diagnostic at "file:line:column". */
static void add_v(hq_diags *d, const char *at, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void add_v(hq_diags *d, const char *at, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (d)
        hq_diags_add_at(d, at, "%s", msg);
}

static void problem(checker *k, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(checker *k, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_v(k->problems, at, fmt, ap);
    va_end(ap);
    k->nproblems++;
}

static void note(checker *k, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(checker *k, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_v(k->notes, at, fmt, ap);
    va_end(ap);
}

/* A webhook or SMTP URL: parses, no placeholder; loopback is a note.
 * Returns false when it cannot work. */
static bool check_url(checker *k, const char *what, const char *url, const char *at, const char *fix,
                      chan_state *st)
{
    hq_url u;
    hq_err e = {0};
    char buf[256];
    if (hq_url_parse(url, &u, &e) != 0) {
        problem(k, at, "%s: %s cannot be parsed: %s; fix: %s", what, url, e.msg, fix);
        broken(st, "URL cannot be parsed");
        return false;
    }
    const char *ph = hq_addr_placeholder(url, HQ_ADDR_KIND_URL, buf, sizeof buf);
    if (ph) {
        problem(k, at, "%s: placeholder address %s: %s; fix: %s", what, url, ph, fix);
        broken(st, "placeholder URL %s", url);
        return false;
    }
    if (hq_host_loopback(u.host))
        note(k, at, "%s: %s is on this machine (loopback): it works only if a server listens there "
                    "(houqin-alertd --probe tries it)",
             what, url);
    return true;
}

static void check_command(checker *k, const hq_channel *ch, chan_state *st)
{
    const char *prog = ch->argv && ch->argc ? ch->argv[0] : NULL;
    struct stat sb;
    if (!prog)
        return;
    if (stat(prog, &sb) != 0) {
        problem(k, ch->at, "channel %s: program %s %s; fix: install the program there, or set argv[0] to where "
                           "it is",
                ch->name, prog, errno == ENOENT || errno == ENOTDIR ? "does not exist" : strerror(errno));
        broken(st, "program %s missing", prog);
    } else if (!S_ISREG(sb.st_mode)) {
        problem(k, ch->at, "channel %s: %s is not a program file; fix: set argv[0] to the program's absolute path",
                ch->name, prog);
        broken(st, "%s is not a program", prog);
    } else if (access(prog, X_OK) != 0) {
        problem(k, ch->at, "channel %s: program %s is not executable by this user (uid %d); fix: chmod a+x %s, or "
                           "make it executable for the user houqin-alertd runs as",
                ch->name, prog, (int)getuid(), prog);
        broken(st, "program %s not executable", prog);
    }
}

static void check_file(checker *k, const hq_channel *ch, chan_state *st)
{
    if (!ch->path)
        return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", ch->path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        problem(k, ch->at, "channel %s: directory %s does not exist; fix: create it, writable by the user "
                           "houqin-alertd runs as, or write the file under alertd's state directory",
                ch->name, dir);
        broken(st, "directory %s missing", dir);
    } else if (!S_ISDIR(sb.st_mode)) {
        problem(k, ch->at, "channel %s: %s is not a directory; fix: choose a path in a directory", ch->name, dir);
        broken(st, "%s is not a directory", dir);
    } else if (stat(ch->path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            problem(k, ch->at, "channel %s: %s is a directory; fix: name a file in it", ch->name, ch->path);
            broken(st, "%s is a directory", ch->path);
        } else if (access(ch->path, W_OK) != 0) {
            problem(k, ch->at, "channel %s: %s is not writable by this user (uid %d); fix: give the user "
                               "houqin-alertd runs as write access to it",
                    ch->name, ch->path, (int)getuid());
            broken(st, "%s not writable", ch->path);
        }
    } else if (access(dir, W_OK | X_OK) != 0) {
        problem(k, ch->at, "channel %s: directory %s is not writable by this user (uid %d); fix: give the user "
                           "houqin-alertd runs as write access to it, or write under alertd's state directory",
                ch->name, dir, (int)getuid());
        broken(st, "directory %s not writable", dir);
    }
}

static void check_channel(checker *k, const hq_channel *ch, chan_state *st)
{
    char what[96], buf[256];
    snprintf(what, sizeof what, "channel %s", ch->name);
    switch (ch->type) {
    case HQ_CH_WEBHOOK:
        if (ch->url)
            check_url(k, what, ch->url, ch->at,
                      ch->format == HQ_FMT_WECOM      ? "the group robot's URL from WeCom (https://qyapi.weixin.qq.com/"
                                                        "cgi-bin/webhook/send?key=...)"
                      : ch->format == HQ_FMT_DINGTALK ? "the group robot's URL from DingTalk (https://oapi.dingtalk."
                                                        "com/robot/send?access_token=...)"
                                                      : "the URL of the system that takes the alerts",
                      st);
        break;
    case HQ_CH_EMAIL: {
        if (ch->url)
            check_url(k, what, ch->url, ch->at, "the campus mail relay, as smtp://HOST:587 or smtps://HOST:465", st);
        const char *ph = ch->from ? hq_addr_placeholder(ch->from, HQ_ADDR_KIND_EMAIL, buf, sizeof buf) : NULL;
        if (ph) {
            problem(k, ch->from_at ? ch->from_at : ch->at,
                    "channel %s: from: placeholder address %s: %s; fix: a sender address of the campus's mail "
                    "domain that the relay accepts",
                    ch->name, ch->from, ph);
            broken(st, "placeholder sender %s", ch->from);
        }
        break;
    }
    case HQ_CH_COMMAND: check_command(k, ch, st); break;
    case HQ_CH_FILE: check_file(k, ch, st); break;
    }
}

/* ---- people ---- */

static hq_addr_kind entry_kind(const hq_person_channel *pc)
{
    const hq_channel *ch = pc->channel;
    if (ch->type == HQ_CH_EMAIL || ch->to_field == HQ_ADDR_EMAIL)
        return HQ_ADDR_KIND_EMAIL;
    if (ch->type == HQ_CH_WEBHOOK || ch->to_field == HQ_ADDR_WEBHOOK)
        return HQ_ADDR_KIND_URL;
    if (ch->to_field == HQ_ADDR_PHONE)
        return HQ_ADDR_KIND_PHONE;
    /* A command channel with an entry's own `to`: judge by its shape. */
    const char *s = pc->to;
    if (strchr(s, '@'))
        return HQ_ADDR_KIND_EMAIL;
    if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8))
        return HQ_ADDR_KIND_URL;
    bool phone = true;
    for (const char *p = s; *p; p++)
        phone = phone && (isdigit((unsigned char)*p) || strchr("+-() ", *p));
    return phone ? HQ_ADDR_KIND_PHONE : HQ_ADDR_KIND_OTHER;
}

static const char *const kind_fix[] = {
    [HQ_ADDR_KIND_EMAIL] = "the person's real e-mail address",
    [HQ_ADDR_KIND_PHONE] = "the person's real mobile number",
    [HQ_ADDR_KIND_URL] = "the real URL of the person's webhook",
    [HQ_ADDR_KIND_OTHER] = "the person's real address on this channel",
};

/* Whether the entry's own address can work (file and shared channels use
 * none). */
static bool check_entry(checker *k, const hq_alert_person *ap, const hq_person_channel *pc, char *why,
                        size_t whylen)
{
    const hq_channel *ch = pc->channel;
    if (ch->type == HQ_CH_FILE || ch->shared || !pc->to)
        return true;
    if (ch->type == HQ_CH_WEBHOOK && ch->url)
        return true; /* the channel's URL is the address; recipient.to is information */
    hq_addr_kind kind = entry_kind(pc);
    const char *at = pc->to_at ? pc->to_at : pc->at;
    char buf[256];
    if (ch->type == HQ_CH_WEBHOOK) {
        chan_state st = {0};
        char what[160];
        snprintf(what, sizeof what, "%s on channel %s", ap->id, ch->name);
        if (!check_url(k, what, pc->to, at, kind_fix[HQ_ADDR_KIND_URL], &st)) {
            snprintf(why, whylen, "%s", st.why);
            return false;
        }
        return true;
    }
    const char *ph = hq_addr_placeholder(pc->to, kind, buf, sizeof buf);
    if (ph) {
        problem(k, at, "%s on channel %s: placeholder address %s: %s; fix: %s", ap->id, ch->name, pc->to, ph,
                kind_fix[kind]);
        snprintf(why, whylen, "placeholder address %s", pc->to);
        return false;
    }
    return true;
}

static size_t channel_index(const hq_alert_config *cfg, const hq_channel *ch)
{
    size_t n = hq_alert_config_nchannels(cfg);
    for (size_t i = 0; i < n; i++)
        if (hq_alert_config_channel_at(cfg, i) == ch)
            return i;
    return n;
}

static void check_person(checker *k, const hq_alert_config *cfg, const hq_person *p, const chan_state *states)
{
    const hq_alert_person *ap = hq_alert_config_person(cfg, p->id);
    const char *at = ap ? ap->at : hq_alert_config_person_at(cfg, p->id);
    if (!ap || !ap->nchannels) {
        problem(k, at, "%s (%s) has no channels: every alert to them becomes a dead letter; fix: add `channels:` "
                       "to their entry in org.yaml",
                p->id, p->name);
        return;
    }
    char tried[512] = "";
    bool works = false;
    for (size_t i = 0; i < ap->nchannels; i++) {
        const hq_person_channel *pc = &ap->channels[i];
        size_t ci = channel_index(cfg, pc->channel);
        char why[200] = "";
        bool ok = check_entry(k, ap, pc, why, sizeof why);
        if (ok && ci < hq_alert_config_nchannels(cfg) && states[ci].broken) {
            ok = false;
            snprintf(why, sizeof why, "%s", states[ci].broken);
        }
        works = works || ok;
        if (!ok)
            snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s: %s", tried[0] ? "; " : "",
                     pc->channel->name, why);
    }
    if (!works)
        problem(k, at, "%s (%s) has no working channel (%s): alerts to them cannot be delivered; fix: make one of "
                       "their channels work (the problems above)",
                p->id, p->name, tried);
}

size_t hq_alert_check(const hq_alert_config *cfg, const hq_person *people, size_t n, hq_diags *problems,
                      hq_diags *notes)
{
    checker k = {.problems = problems, .notes = notes};
    size_t nch = hq_alert_config_nchannels(cfg);
    chan_state *states = hq_calloc(nch ? nch : 1, sizeof *states);
    for (size_t i = 0; i < nch; i++)
        check_channel(&k, hq_alert_config_channel_at(cfg, i), &states[i]);
    for (size_t i = 0; i < n; i++)
        check_person(&k, cfg, &people[i], states);
    free(states);
    return k.nproblems;
}
