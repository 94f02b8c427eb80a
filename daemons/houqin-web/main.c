/* houqin-web - the HTTP side of Houqin: the public complaint channel,
 * Open311 GeoReport v2 and the HTTP intake (SPEC §6b, §8; docs/web.md).
 *
 * main.c holds options, start-up, signals (a signalfd read by the main
 * thread, which otherwise only pings the watchdog) and the router that
 * libmicrohttpd's worker threads call. */
#include "web.h"

#include "clock.h"
#include "log.h"
#include "allowlist.h"
#include "mem.h"
#include "cmdline.h"
#include "ratelimit.h"
#include "service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

web *g_web;

static const char usage[] =
    "NAME\n"
    "    houqin-web - the HTTP side of Houqin: complaint form, Open311, HTTP intake,\n"
    "    the office's console and the contractors' portal\n"
    "\n"
    "SYNOPSIS\n"
    "    houqin-web [OPTIONS]\n"
    "\n"
    "DESCRIPTION\n"
    "    Serves the public complaint form (/), the receipt and the status page of a\n"
    "    complaint (by its secret link), Open311 GeoReport v2 (/open311/v2/) and\n"
    "    the HTTP intake for campus systems (POST /api/v1/events; GET\n"
    "    /api/v1/checklists: the rules' inspection checklists), and for people of\n"
    "    org.yaml who log in (/login) the console and portal (/console, /p/...).\n"
    "    Reads the state read-only; writes only by sending events to houqind's\n"
    "    ingest socket, and\n"
    "    answers only after houqind acknowledged them as durably stored.  Meant to\n"
    "    run behind a reverse proxy (nginx) that terminates TLS; see docs/web.md.\n"
    "\n"
    "OPTIONS\n"
    "    --listen ADDR:PORT  where to listen (default 127.0.0.1:7680; IPv4)\n"
    "    --state DIR         houqind's state directory, read-only (default ./var)\n"
    "    --rules DIR         rules: sites and their names (default " HQ_DEFAULT_RULES_HELP ")\n"
    "    --schemas DIR       schemas (default " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "    --ingest EP         houqind's ingest endpoint (default tcp://127.0.0.1:7601)\n"
    "    --clients FILE      the clients file: bearer tokens of the intake and the\n"
    "                        Open311 api_keys (clients: [{source, token, types,\n"
    "                        open311}]); without it the intake and Open311 POST\n"
    "                        refuse every request (401/403)\n"
    "    --secret FILE       32-byte key for CSRF tokens (default STATE/web.key,\n"
    "                        created at first start); share it between instances\n"
    "    --media DIR         where photos are stored (default STATE/media)\n"
    "    --source NAME       the source of the public form's events (default\n"
    "                        houqin-web)\n"
    "    --threads N         worker threads (default 4)\n"
    "    --timeout S         idle connection timeout in seconds (default 15)\n"
    "    --max-connections N total connections (default 512)\n"
    "    --per-ip N          connections per client address (default 32)\n"
    "    --form-rate R[:B]   POSTs of the form and Open311 per address: R a second on\n"
    "                        average, B at once (default 0.5:20; 0 switches it off)\n"
    "    --behind-proxy      take the client address from X-Forwarded-For (the last\n"
    "                        address) when the peer is loopback\n"
    "    --control EP        houqind's control endpoint, for the rule set's health\n"
    "                        page /console/health (default tcp://127.0.0.1:7603)\n"
    "    --curve-server FILE houqind's public key file (houqinctl keygen): send events\n"
    "                        over CURVE, with --curve-key\n"
    "    --curve-key FILE    houqin-web's key pair; its public key is houqin-web's\n"
    "                        entry in houqind's allow-list, which needs on_behalf\n"
    "                        for the console's actions (docs/web.md \"CURVE\")\n"
    "    --ack-timeout MS    wait this long for houqind's ack before one retry\n"
    "                        (default 2500)\n"
    "  console and portal (docs/web.md \"Console and portal\"):\n"
    "    --subscribe EP      houqind's publish endpoint, for the live updates of the\n"
    "                        dashboard and an issue's page (/console/live, server-sent\n"
    "                        events; default tcp://127.0.0.1:7602)\n"
    "    --live-max N        live streams open at once (default 64; 0 switches the\n"
    "                        live updates off: the pages stay as they were loaded)\n"
    "    --live-heartbeat S  a comment on each idle stream every S seconds (default\n"
    "                        15; 1 to 300), which also finds a browser that left\n"
    "    --accounts FILE     log-in accounts, written by houqinctl account (default\n"
    "                        STATE/web-accounts); failed log-ins are counted in\n"
    "                        STATE/web-lockout/, shared by every instance\n"
    "    --session-hours H   sessions expire H hours after log-in (default 8)\n"
    "    --secure-cookies    always mark the session cookie Secure (it is whenever\n"
    "                        --behind-proxy and X-Forwarded-Proto is https)\n"
    "    --sso-header NAME   trust NAME (the person id of org.yaml) as set by the\n"
    "                        campus single-sign-on proxy; needs --sso-proxy\n"
    "    --sso-proxy ADDR    the proxy's address: only its requests may carry NAME\n"
    "    -v, --verbose       log debug messages\n"
    "    --help              this text\n"
    "    --version           the version and the compiled-in rules and schemas\n"
    "                        directories\n"
    "\n"
    "SIGNALS\n"
    "    SIGTERM, SIGINT stop (requests in progress finish); SIGHUP loads the\n"
    "    rules directory again (the vocabulary's words, people, permissions,\n"
    "    sites, the evaluation scheme; the schemas and the time zone are read at\n"
    "    start only) and the clients file; what has errors is refused and the\n"
    "    old stays.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 on a clean stop, 1 on a configuration error.\n";

/* ---- per-request state and the router ---- */

static void addr_of(web_req *r)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    r->addr[0] = '\0';
    bool loop = false;
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const void *)sa;
            inet_ntop(AF_INET, &in->sin_addr, r->addr, sizeof r->addr);
            loop = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
        } else if (sa->sa_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const void *)sa;
            inet_ntop(AF_INET6, &in6->sin6_addr, r->addr, sizeof r->addr);
            loop = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        }
    }
    snprintf(r->peer, sizeof r->peer, "%s", r->addr);
    if (g_web->behind_proxy && loop) {
        const char *xff = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-For");
        if (xff && *xff) {
            const char *last = strrchr(xff, ',');
            last = last ? last + 1 : xff;
            while (*last == ' ')
                last++;
            snprintf(r->addr, sizeof r->addr, "%.63s", last);
        }
    }
}

static size_t body_cap(const char *url)
{
    if (strncmp(url, "/api/", 5) == 0)
        return WEB_MAX_BODY_JSON;
    return WEB_MAX_BODY_UPLOAD;
}

static enum MHD_Result route(web_req *r)
{
    const char *u = r->url;
    if (strcmp(u, "/api/v1/events") == 0)
        return web_intake(r);
    if (strcmp(u, "/api/v1/checklists") == 0)
        return web_checklists(r);
    if (strncmp(u, "/open311/v2/", 12) == 0)
        return web_open311(r);
    if (strcmp(u, "/healthz") == 0)
        return web_reply(r, 200, "text/plain; charset=utf-8", "ok\n", 3);
    if (strcmp(u, "/login") == 0)
        return web_login(r);
    if (strcmp(u, "/logout") == 0)
        return web_logout(r);
    if (strcmp(u, "/console/live") == 0)
        return web_live(r);
    if (strcmp(u, "/console/live.js") == 0)
        return web_live_js(r);
    if (strcmp(u, "/console") == 0 || strncmp(u, "/console/", 9) == 0)
        return web_console(r);
    if (strncmp(u, "/p/", 3) == 0)
        return web_portal(r);
    return web_pages(r);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    web_req *r = *con_cls;
    if (!r) {
        r = hq_calloc(1, sizeof *r);
        r->conn = conn;
        r->method = method;
        r->url = url;
        hq_buf_init(&r->body);
        r->max_body = body_cap(url);
        addr_of(r);
        *con_cls = r;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > r->max_body)
            r->too_large = true; /* answered once the (discarded) body is read */
        return MHD_YES;
    }
    if (r->job) {
        /* Called again on the resumed connection: the sender answered
         * every event (web_send_async). */
        if (!web_send_ready(r))
            return MHD_YES;
        web_resumed_fn fn = r->resumed;
        enum MHD_Result ret = fn(r);
        web_send_release(r);
        return ret;
    }
    if (*upload_size) {
        if (!r->too_large && r->body.len + *upload_size <= r->max_body)
            hq_buf_append(&r->body, upload, *upload_size);
        else {
            r->too_large = true;
            if (r->body.data) {
                hq_buf_fini(&r->body);
                hq_buf_init(&r->body);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_large && strncmp(url, "/api/", 5) != 0)
        return web_reply(r, 413, "text/plain; charset=utf-8", "413 请求内容过大 (request too large)\n",
                         strlen("413 请求内容过大 (request too large)\n"));
    return route(r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    web_req *r = *con_cls;
    if (r) {
        web_send_release(r);
        if (r->ctx_free)
            r->ctx_free(r->ctx);
        hq_buf_fini(&r->body);
        free(r->set_cookie);
        free(r);
        *con_cls = NULL;
    }
}

/* ---- start-up ---- */

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) != 1)
        return -1;
    return 0;
}

static int load_secret(web *w, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        unsigned char k[32];
        randombytes_buf(k, sizeof k);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (write(fd, k, sizeof k) != (ssize_t)sizeof k || fsync(fd) != 0) {
                close(fd);
                unlink(path);
                return -1;
            }
            close(fd);
            hq_log_notice("created the CSRF key %s", path);
        }
        fd = open(path, O_RDONLY | O_CLOEXEC); /* another instance may have won the race */
    }
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, w->secret, sizeof w->secret);
    close(fd);
    return n == (ssize_t)sizeof w->secret ? 0 : -1;
}

static int parse_rate(const char *s, double *rate, double *burst)
{
    char *end;
    *rate = strtod(s, &end);
    if (end == s || *rate < 0)
        return -1;
    *burst = *rate * 10 < 1 ? 1 : *rate * 10;
    if (*end == ':') {
        *burst = strtod(end + 1, &end);
        if (*burst < 1)
            return -1;
    }
    return *end ? -1 : 0;
}

static int load_clients(web *w)
{
    if (!w->clients_file)
        return 0;
    hq_diags d;
    hq_diags_init(&d);
    web_clients c;
    int rc = web_clients_load(w->clients_file, &c, &d);
    for (size_t i = 0; i < d.count; i++) {
        char b[700];
        fprintf(stderr, "houqin-web: %s\n", hq_err_str(&d.items[i], b, sizeof b));
    }
    hq_diags_fini(&d);
    if (rc)
        return rc;
    web_clients_fini(&w->clients);
    w->clients = c;
    return 0;
}

/* The command line's values that are not the web's own fields. */
typedef struct web_opts {
    const char *listen, *curve_server, *curve_key, *subscribe;
    unsigned threads, maxconn, perip, timeout_s, ack_timeout_ms, session_hours, live_max, live_hb;
    bool verbose;
} web_opts;

static int parse_form_rate(const char *arg, void *dst, hq_err *why)
{
    web *w = dst;
    (void)why;
    return parse_rate(arg, &w->form_rate, &w->form_burst);
}

#define WEB_UINT(n, d, lo, hi, e)                                                                          \
    {.name = (n), .kind = HQ_OPT_UINT, .dst = (1 ? (d) : (unsigned *)0), .min = (lo), .max = (hi), .expect = (e)}

/* Fills w and o from the command line, the defaults first; the pairs of
 * options that go together are checked and the CURVE keys read.  -1 after
 * saying why on stderr (--help and --version exit). */
static int parse_opts(int argc, char **argv, web *w, web_opts *o)
{
    w->state_dir = "var";
    w->rules_dir = HQ_DEFAULT_RULES;
    w->schemas_dir = HQ_DEFAULT_SCHEMAS;
    w->ingest = HQ_DEFAULT_INGEST;
    w->control = HQ_DEFAULT_CONTROL;
    w->form_source = "houqin-web";
    w->form_rate = 0.5;
    w->form_burst = 20;
    w->send_retries = 1;
    *o = (web_opts){
        .listen = "127.0.0.1:7680",
        .subscribe = HQ_DEFAULT_PUBLISH,
        .threads = 4,
        .maxconn = 512,
        .perip = 32,
        .timeout_s = 15,
        .ack_timeout_ms = 2500,
        .session_hours = 8,
        .live_max = 64,
        .live_hb = 15,
    };
    const hq_opt opts[] = {
        HQ_OPTION_STR("listen", &o->listen),
        HQ_CMDLINE_DIRS(&w->state_dir, &w->rules_dir, &w->schemas_dir),
        HQ_OPTION_STR("ingest", &w->ingest),
        HQ_OPTION_STR("clients", &w->clients_file),
        HQ_OPTION_STR("secret", &w->secret_file),
        HQ_OPTION_STR("media", &w->media_dir_opt),
        HQ_OPTION_STR("source", &w->form_source),
        WEB_UINT("threads", &o->threads, 1, 256, "expected 1..256"),
        WEB_UINT("timeout", &o->timeout_s, 1, INT_MAX, "expected a number of seconds, at least 1"),
        WEB_UINT("max-connections", &o->maxconn, 1, INT_MAX, "expected a number, at least 1"),
        WEB_UINT("per-ip", &o->perip, 1, INT_MAX, "expected a number, at least 1"),
        {.name = "form-rate", .kind = HQ_OPT_FN, .dst = w, .parse = parse_form_rate, .expect = "expected R or R:B",
         .got = true},
        HQ_OPTION_FLAG("behind-proxy", 0, &w->behind_proxy),
        WEB_UINT("ack-timeout", &o->ack_timeout_ms, 100, INT_MAX, "expected a number of milliseconds, at least 100"),
        HQ_OPTION_STR("accounts", &w->accounts_file),
        WEB_UINT("session-hours", &o->session_hours, 1, 168, "1 to 168"),
        HQ_OPTION_FLAG("secure-cookies", 0, &w->cookie_secure),
        HQ_OPTION_STR("sso-header", &w->sso_header),
        HQ_OPTION_STR("sso-proxy", &w->sso_proxy),
        HQ_OPTION_STR("curve-server", &o->curve_server),
        HQ_OPTION_STR("curve-key", &o->curve_key),
        HQ_OPTION_STR("control", &w->control),
        HQ_OPTION_STR("subscribe", &o->subscribe),
        WEB_UINT("live-max", &o->live_max, 0, 100000, "expected 0..100000"),
        WEB_UINT("live-heartbeat", &o->live_hb, 1, 300, "expected 1..300 (seconds)"),
        HQ_OPTION_FLAG("verbose", 'v', &o->verbose),
    };
    if (hq_cmdline_parse("houqin-web", usage, opts, argc, argv) != 0)
        return -1;
    w->timeout_s = (int)o->timeout_s;
    w->send_timeout_ms = (int)o->ack_timeout_ms;
    w->session_ttl_s = (int)o->session_hours * 3600;
    if ((w->sso_header != NULL) != (w->sso_proxy != NULL)) {
        fprintf(stderr, "houqin-web: --sso-header and --sso-proxy go together\n");
        return -1;
    }
    if ((o->curve_server != NULL) != (o->curve_key != NULL)) {
        fprintf(stderr, "houqin-web: --curve-server and --curve-key go together\n");
        return -1;
    }
    if (o->curve_server) {
        hq_err kerr;
        if (hq_keyfile_read(o->curve_server, w->curve_server, NULL, &kerr) != 0 ||
            hq_keyfile_read(o->curve_key, w->curve_public, w->curve_secret, &kerr) != 0) {
            char b[700];
            fprintf(stderr, "houqin-web: %s\n", hq_err_str(&kerr, b, sizeof b));
            return -1;
        }
        w->curve = true;
    }
    return 0;
}

/* Loads what the pages need before the server starts: the schemas and
 * rules (and their time zone), the clients, the CSRF key; sets the paths
 * under the state directory, the locks and the rate limits.  -1 after
 * saying why on stderr. */
static int prepare(web *w)
{
    hq_diags d;
    hq_diags_init(&d);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    int rc = hq_schemas_load_dir(w->schemas_dir, &schemas, &d);
    if (rc == 0)
        rc = hq_rules_load(w->rules_dir, schemas, &rules, &d);
    for (size_t i = 0; i < d.count; i++) {
        char b[700];
        fprintf(stderr, "houqin-web: %s\n", hq_err_str(&d.items[i], b, sizeof b));
    }
    hq_diags_fini(&d);
    w->schemas = schemas;
    w->rules = rules;
    if (rc)
        return -1;
    /* Dates on the pages in the office's time zone (the rules'), whatever
     * the machine's is; set before any thread starts (setenv). */
    if (hq_tz_set(hq_rules_timezone(w->rules)) != 0) {
        fprintf(stderr, "houqin-web: unknown time zone \"%s\" in the rules\n", hq_rules_timezone(w->rules));
        return -1;
    }
    if (load_clients(w) != 0)
        return -1;
    static char secret_path[4096];
    snprintf(secret_path, sizeof secret_path, "%s/web.key", w->state_dir);
    if (!w->secret_file) {
        mkdir(w->state_dir, 0770);
        w->secret_file = secret_path;
    }
    if (load_secret(w, w->secret_file) != 0) {
        fprintf(stderr, "houqin-web: %s: cannot read or create the 32-byte key: %s\n", w->secret_file,
                strerror(errno));
        return -1;
    }
    snprintf(w->media_dir, sizeof w->media_dir, "%s", w->media_dir_opt ? w->media_dir_opt : "");
    if (!w->media_dir_opt)
        snprintf(w->media_dir, sizeof w->media_dir, "%s/media", w->state_dir);
    snprintf(w->accounts_path, sizeof w->accounts_path, "%s", w->accounts_file ? w->accounts_file : "");
    if (!w->accounts_file)
        snprintf(w->accounts_path, sizeof w->accounts_path, "%s/web-accounts", w->state_dir);
    snprintf(w->lockout_dir, sizeof w->lockout_dir, "%s/web-lockout", w->state_dir);
    pthread_mutex_init(&w->acc_lock, NULL);
    w->rl_login = hq_ratelimit_new(0.2, 20);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&w->state_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&w->rl_lock, NULL);
    pthread_rwlock_init(&w->clients_lock, NULL);
    if (w->form_rate > 0)
        w->rl_form = hq_ratelimit_new(w->form_rate, w->form_burst);
    return 0;
}

/* SIGHUP: the rules directory loaded again (the vocabulary's words,
 * people, permissions, sites, the evaluation scheme), against the schemas
 * of the start, as houqind reloads; on any error the old rules stay.  The
 * rule sets replaced are retired, not freed: a page in progress may still
 * read them.  The time zone is set once at start (setenv is not
 * thread-safe): a changed one takes a restart. */
static void reload_rules(web *w)
{
    hq_log_notice("reloading the rules from %s", w->rules_dir);
    hq_diags d;
    hq_diags_init(&d);
    hq_rules *rules = NULL;
    int rc = hq_rules_load(w->rules_dir, w->schemas, &rules, &d);
    hq_log_diags(&d);
    size_t nerr = d.count;
    hq_diags_fini(&d);
    if (rc) {
        hq_log_err("rules not reloaded (%zu errors above); the old rules stay", nerr);
        return;
    }
    if (strcmp(hq_rules_timezone(rules), hq_rules_timezone(w->rules)) != 0)
        hq_log_warn("the rules' time zone changed to %s: pages keep %s until houqin-web restarts",
                       hq_rules_timezone(rules), hq_rules_timezone(w->rules));
    w->retired_rules = hq_realloc(w->retired_rules, (w->nretired + 1) * sizeof *w->retired_rules);
    w->retired_rules[w->nretired++] = atomic_exchange(&w->rules, rules);
    web_catalog_reload();
    web_console_reload();
    hq_log_notice("rules reloaded: %zu rules", hq_rules_count(rules));
}

/* Serves until SIGTERM or SIGINT; SIGHUP reloads the rules and the
 * clients file. */
static void serve(web *w, int sigfd, const char *listen_s)
{
    char st[256];
    snprintf(st, sizeof st, "READY=1\nSTATUS=listening on %s", listen_s);
    sd_notify(0, st);
    hq_watchdog wd;
    hq_watchdog_init(&wd, hq_mono_ms());
    bool stop = false;
    while (!stop) {
        struct pollfd p = {.fd = sigfd, .events = POLLIN};
        poll(&p, 1, (int)hq_watchdog_timeout(&wd, 5000));
        hq_watchdog_tick(&wd, hq_mono_ms());
        unsigned no;
        hq_signal sig;
        while ((sig = hq_signals_next(sigfd, &no)) != HQ_SIG_NONE) {
            if (sig == HQ_SIG_STOP) {
                hq_log_notice("signal %u: stopping", no);
                stop = true;
            } else if (sig == HQ_SIG_RELOAD) {
                sd_notify(0, "RELOADING=1");
                reload_rules(w);
                hq_log_notice("reloading %s", w->clients_file ? w->clients_file : "(no clients file)");
                /* Workers hold the read lock while they use a client. */
                pthread_rwlock_wrlock(&w->clients_lock);
                if (load_clients(w) != 0)
                    hq_log_err("%s: not reloaded (errors above); the old clients stay", w->clients_file);
                pthread_rwlock_unlock(&w->clients_lock);
                sd_notify(0, st);
            }
        }
    }
}

int main(int argc, char **argv)
{
    static web w;
    g_web = &w;
    web_opts o;
    if (parse_opts(argc, argv, &w, &o) != 0)
        return 1;
    hq_log_init("houqin-web", o.verbose ? HQ_LOG_DEBUG : HQ_LOG_INFO);
    if (sodium_init() < 0) {
        fprintf(stderr, "houqin-web: libsodium does not start\n");
        return 1;
    }
    struct sockaddr_in sa;
    if (parse_listen(o.listen, &sa) != 0) {
        fprintf(stderr, "houqin-web: --listen: expected ADDR:PORT (IPv4), got \"%s\"\n", o.listen);
        return 1;
    }
    if (prepare(&w) != 0)
        return 1;
    int sigfd = hq_signals_open(false);
    if (sigfd < 0) {
        fprintf(stderr, "houqin-web: signalfd: %s\n", strerror(errno));
        return 1;
    }
    hq_err serr;
    if (web_sender_start(&serr) != 0) {
        fprintf(stderr, "houqin-web: %s\n", serr.msg);
        return 1;
    }
    if (web_live_start(o.subscribe, o.live_max, (int)o.live_hb, &serr) != 0) {
        web_sender_stop(0);
        fprintf(stderr, "houqin-web: %s\n", serr.msg);
        return 1;
    }
    /* libmicrohttpd's defaults are unsafe for a public server (no
     * connection timeout, no per-address limit): every limit is set. */
    struct MHD_Daemon *d_http = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, &w, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_THREAD_POOL_SIZE, o.threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)w.timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, o.maxconn, MHD_OPTION_PER_IP_CONNECTION_LIMIT, o.perip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u, MHD_OPTION_END);
    if (!d_http) {
        web_live_stop(0);
        web_sender_stop(0);
        fprintf(stderr, "houqin-web: cannot listen on %s: %s\n", o.listen, strerror(errno));
        return 1;
    }
    hq_log_notice("listening on http://%s (%u threads), ingest %s, state %s", o.listen, o.threads, w.ingest,
                  w.state_dir);
    serve(&w, sigfd, o.listen);
    sd_notify(0, "STOPPING=1");
    /* Requests in flight are answered (or time out) before MHD stops: it
     * must not meet a suspended connection (nor a live stream). */
    web_live_stop(5000);
    web_sender_stop(10000);
    MHD_stop_daemon(d_http);
    pthread_rwlock_wrlock(&w.state_lock);
    hq_store_close(&w.store);
    pthread_rwlock_unlock(&w.state_lock);
    hq_ratelimit_destroy(&w.rl_form);
    hq_ratelimit_destroy(&w.rl_login);
    web_clients_fini(&w.clients);
    web_console_fini();
    web_catalog_fini();
    hq_rules *rules = atomic_exchange(&w.rules, NULL);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&w.schemas);
    for (size_t i = 0; i < w.nretired; i++)
        hq_rules_destroy(&w.retired_rules[i]);
    free(w.retired_rules);
    close(sigfd);
    hq_log_notice("stopped");
    return 0;
}
