/* probe.c - houqin-alertd --probe: does anything answer at the addresses of
 * the configuration?
 *
 *   - each SMTP server (smtp://): a TCP connection and the server's 220
 *     greeting, then QUIT; smtps://: libcurl connects (TLS handshake and
 *     greeting) and stops (CURLOPT_CONNECT_ONLY);
 *   - each webhook URL (channels' `url`, people's own webhooks): an HTTP
 *     HEAD, no redirects followed.  Any HTTP answer but 404 and 410 counts
 *     as reachable (a robot's endpoint may refuse HEAD with 405); a
 *     connection, TLS or time-out failure does not.
 * Every probe is bounded: the channel's connect_timeout (at most 5 s) to
 * connect and its timeout (at most 10 s) in all.  Webhooks are probed all
 * at once (libcurl multi), SMTP servers one after another, each distinct
 * address once.  Addresses that --check already rejected (unparsable,
 * placeholders) are not probed.
 */
#include "alertd.h"

#include "alert_check.h"
#include "clock.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { PROBE_CONNECT_MAX_MS = 5000, PROBE_TOTAL_MAX_MS = 10000 };

static long cap(int64_t v, long max) { return v > 0 && v < max ? (long)v : max; }

/* Connects to host:port within connect_ms (every address getaddrinfo
 * gives, in turn); returns the socket or -1 with the reason in why. */
static int tcp_connect(const hq_url *u, long connect_ms, char *why, size_t whylen)
{
    char port[8];
    snprintf(port, sizeof port, "%u", u->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC}, *res = NULL;
    int rc = getaddrinfo(u->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "cannot resolve %s: %s", u->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    snprintf(why, whylen, "no address for %s", u->host);
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        int e = errno;
        if (e == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            socklen_t sl = sizeof e;
            int n = poll(&p, 1, (int)connect_ms);
            if (n > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
                break;
            if (n == 0)
                snprintf(why, whylen, "no connection to %s port %u within %ld ms", u->host, u->port, connect_ms);
            else
                snprintf(why, whylen, "connecting to %s port %u: %s", u->host, u->port, strerror(e ? e : errno));
        } else {
            snprintf(why, whylen, "connecting to %s port %u: %s", u->host, u->port, strerror(e));
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* smtp://: connect, read the greeting (multi-line replies "220-..." end
 * with "220 ..."), QUIT.  Returns 0 when the server greeted with 220. */
static int probe_smtp_plain(const hq_url *u, long connect_ms, long total_ms, char *why, size_t whylen)
{
    int64_t deadline = hq_mono_ms() + total_ms;
    int fd = tcp_connect(u, connect_ms, why, whylen);
    if (fd < 0)
        return -1;
    char buf[1024];
    size_t len = 0;
    int result = -1;
    for (;;) {
        int64_t left = deadline - hq_mono_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            snprintf(why, whylen, "%s port %u accepted the connection but sent no greeting within %ld ms", u->host,
                     u->port, total_ms);
            break;
        }
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0) {
            snprintf(why, whylen, "%s port %u closed the connection before greeting", u->host, u->port);
            break;
        }
        len += (size_t)n;
        buf[len] = '\0';
        /* Complete lines: "220-..." continues, "220 ..." (or "220") ends the reply. */
        char *end = NULL;
        for (char *line = buf, *nl; !end && (nl = strchr(line, '\n')); line = nl + 1)
            if (nl - line < 5 || line[3] == ' ' || line[3] == '\r')
                end = line;
        if (end) {
            end[strcspn(end, "\r\n")] = '\0';
            if (!strncmp(end, "220", 3)) {
                result = 0;
                snprintf(why, whylen, "%.200s", end);
            } else {
                snprintf(why, whylen, "%s port %u greeted with \"%.120s\", not 220 (an SMTP server that is "
                                      "not ready, or not an SMTP server)",
                         u->host, u->port, end);
            }
            break;
        }
        if (len >= sizeof buf - 1) {
            snprintf(why, whylen, "%s port %u sent no SMTP greeting line", u->host, u->port);
            break;
        }
    }
    if (result == 0 && write(fd, "QUIT\r\n", 6) < 0) {
        /* the greeting was what we came for */
    }
    close(fd);
    return result;
}

/* smtps:// (TLS from the start): libcurl connects, shakes hands, reads the
 * greeting and stops. */
static int probe_smtp_curl(const hq_channel *ch, long connect_ms, long total_ms, char *why, size_t whylen)
{
    CURL *e = curl_easy_init();
    char err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(e, CURLOPT_URL, ch->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
    if (ch->starttls)
        curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    CURLcode rc = curl_easy_perform(e);
    if (rc != CURLE_OK)
        snprintf(why, whylen, "%s", err[0] ? err : curl_easy_strerror(rc));
    else
        snprintf(why, whylen, "connected and greeted");
    curl_easy_cleanup(e);
    return rc == CURLE_OK ? 0 : -1;
}

typedef struct target {
    const char *url;           /* view into the configuration */
    const char *at;
    const hq_channel *ch;
    char what[160];            /* "channel NAME" or "ID on channel NAME" (in the record: the array moves) */
} target;

typedef struct targets {
    target *t;
    size_t n;
} targets;

static void add_target(targets *ts, const char *url, const char *at, const hq_channel *ch, const char *person)
{
    for (size_t i = 0; i < ts->n; i++)
        if (!strcmp(ts->t[i].url, url))
            return; /* each address once */
    hq_url u;
    char buf[256];
    if (hq_url_parse(url, &u, NULL) != 0 ||
        hq_addr_placeholder(url, HQ_ADDR_KIND_URL, buf, sizeof buf)) /* --check reports it */
        return;
    ts->t = hq_realloc(ts->t, (ts->n + 1) * sizeof *ts->t);
    target *t = &ts->t[ts->n++];
    *t = (target){.url = url, .at = at, .ch = ch};
    if (person)
        snprintf(t->what, sizeof t->what, "%s on channel %s", person, ch->name);
    else
        snprintf(t->what, sizeof t->what, "channel %s", ch->name);
}

static size_t header_ignore(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

/* HEAD every webhook at once; returns the failures added to problems. */
static size_t probe_webhooks(const targets *ts, hq_diags *problems, hq_diags *passed)
{
    if (!ts->n)
        return 0;
    CURLM *m = curl_multi_init();
    CURL **easy = hq_calloc(ts->n, sizeof *easy);
    char (*errs)[CURL_ERROR_SIZE] = hq_calloc(ts->n, sizeof *errs);
    for (size_t i = 0; i < ts->n; i++) {
        CURL *e = easy[i] = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, ts->t[i].url);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "houqin-alertd-probe");
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cap(ts->t[i].ch->connect_timeout_ms, PROBE_CONNECT_MAX_MS));
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, cap(ts->t[i].ch->timeout_ms, PROBE_TOTAL_MAX_MS));
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errs[i]);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_ignore);
        curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)&ts->t[i]);
        curl_multi_add_handle(m, e);
    }
    int running = 1;
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(m, NULL, 0, 200, NULL);
    }
    size_t failed = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        target *t;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        size_t i = (size_t)(t - ts->t);
        long status = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        if (msg->data.result != CURLE_OK) {
            failed++;
            hq_diags_add_at(problems, t->at,
                            "%s: probe: HEAD %s failed: %s; fix: check the URL and that the server is up and "
                            "reachable from this machine",
                            t->what, t->url, errs[i][0] ? errs[i] : curl_easy_strerror(msg->data.result));
        } else if (status == 404 || status == 410) {
            failed++;
            hq_diags_add_at(problems, t->at,
                            "%s: probe: HEAD %s: HTTP %ld (no such endpoint); fix: check the URL's path and key",
                            t->what, t->url, status);
        } else if (passed) {
            hq_diags_add_at(passed, t->at, "%s: probe: HEAD %s: HTTP %ld (reachable)", t->what, t->url, status);
        }
    }
    for (size_t i = 0; i < ts->n; i++) {
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(m);
    free(easy);
    free(errs);
    return failed;
}

size_t alertd_probe(const alertd *a, hq_diags *problems, hq_diags *passed)
{
    size_t failed = 0, nch = hq_alert_config_nchannels(a->cfg);
    targets hooks = {0};
    const char **smtp_done = hq_calloc(nch + 1, sizeof *smtp_done);
    size_t nsmtp = 0;
    for (size_t i = 0; i < nch; i++) {
        const hq_channel *ch = hq_alert_config_channel_at(a->cfg, i);
        if (ch->type == HQ_CH_WEBHOOK && ch->url)
            add_target(&hooks, ch->url, ch->at, ch, NULL);
        if (ch->type != HQ_CH_EMAIL || !ch->url)
            continue;
        bool seen = false;
        for (size_t k = 0; k < nsmtp; k++)
            seen = seen || !strcmp(smtp_done[k], ch->url);
        hq_url u;
        char buf[256];
        if (seen || hq_url_parse(ch->url, &u, NULL) != 0 || hq_addr_placeholder(ch->url, HQ_ADDR_KIND_URL, buf, sizeof buf))
            continue;
        smtp_done[nsmtp++] = ch->url;
        char why[512];
        long connect_ms = cap(ch->connect_timeout_ms, PROBE_CONNECT_MAX_MS);
        long total_ms = cap(ch->timeout_ms, PROBE_TOTAL_MAX_MS);
        int rc = !strcmp(u.scheme, "smtp") && !ch->starttls
                     ? probe_smtp_plain(&u, connect_ms, total_ms, why, sizeof why)
                     : probe_smtp_curl(ch, connect_ms, total_ms, why, sizeof why);
        if (rc != 0) {
            failed++;
            hq_diags_add_at(problems, ch->at,
                            "channel %s: probe: %s: %s; fix: check the relay's host and port, and that this "
                            "machine may connect to it",
                            ch->name, ch->url, why);
        } else if (passed) {
            hq_diags_add_at(passed, ch->at, "channel %s: probe: %s: %s", ch->name, ch->url, why);
        }
    }
    free(smtp_done);
    const hq_person *ps;
    size_t np = hq_rules_people(a->rules, &ps);
    for (size_t i = 0; i < np; i++) {
        const hq_alert_person *ap = hq_alert_config_person(a->cfg, ps[i].id);
        for (size_t c = 0; ap && c < ap->nchannels; c++) {
            const hq_person_channel *pc = &ap->channels[c];
            if (pc->channel->type == HQ_CH_WEBHOOK && !pc->channel->url && pc->to)
                add_target(&hooks, pc->to, pc->to_at ? pc->to_at : pc->at, pc->channel, ap->id);
        }
    }
    failed += probe_webhooks(&hooks, problems, passed);
    free(hooks.t);
    return failed;
}
