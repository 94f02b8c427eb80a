/* houqind - the rules daemon: ingest, rules, issues, timers, alert outbox.
 *
 * main.c holds options, start-up and the loop; signals arrive through a
 * signalfd polled with the sockets, so handlers never run arbitrary code. */
#include "houqind.h"

#include "buf.h"
#include "ytree.h"
#include "log.h"
#include "cmdline.h"
#include "loop.h"
#include "ruletest.h"
#include "service.h"
#include "zmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static const char usage[] =
    "NAME\n"
    "    houqind - campus logistics supervision daemon (后勤服务质量监督)\n"
    "\n"
    "SYNOPSIS\n"
    "    houqind [OPTIONS]\n"
    "    houqind --check [--rules DIR] [--schemas DIR]\n"
    "\n"
    "DESCRIPTION\n"
    "    Receives events over ZeroMQ (one msgpack map per message on a ROUTER\n"
    "    socket), validates them against the schemas, stores them durably in\n"
    "    LMDB and acknowledges each one only after its transaction committed.\n"
    "    houqind is the only writer of the state directory; houqinctl reads it.\n"
    "\n"
    "OPTIONS\n"
    "    --state DIR        state directory (default ./var)\n"
    "    --rules DIR        rules directory (default " HQ_DEFAULT_RULES_HELP ")\n"
    "    --schemas DIR      schemas directory (default " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "    --ingest EP        ingest ROUTER endpoint (default tcp://127.0.0.1:7601)\n"
    "    --publish EP       alert PUB endpoint (default tcp://127.0.0.1:7602)\n"
    "    --control EP       control ROUTER endpoint (default tcp://127.0.0.1:7603)\n"
    "    --clock real|manual|manual@TIME\n"
    "                       manual: time moves only by clock.set/clock.advance on\n"
    "                       the control socket (tests, backtests); it resumes where\n"
    "                       the state's last run left it.  manual@2026-09-08T10:00+08:00\n"
    "                       starts it there: on a state that holds no event yet at that\n"
    "                       time (earlier too), else forward from the saved clock\n"
    "    --check            load and validate schemas and rules, print a summary,\n"
    "                       exit 0 if all is well and 1 otherwise\n"
    "    --max-batch N      events per write transaction (default 1000)\n"
    "    --max-message-bytes N\n"
    "                       larger events are rejected with a reply (default 65536)\n"
    "    --map-size BYTES   initial LMDB map size (default 1 GiB; grows by itself)\n"
    "    --curve-key FILE   the server's CURVE key pair (houqinctl keygen): encrypt and\n"
    "                       authenticate the ingest socket (with --allow) and the\n"
    "                       control socket (with --control-keys); one server key for both\n"
    "    --allow FILE       allow-list of producer keys, each bound to a source id and\n"
    "                       the event types it may send (reloaded with SIGHUP)\n"
    "    --control-keys FILE\n"
    "                       administrators' public keys (administrators: [{name, key}]):\n"
    "                       the control socket then requires CURVE and accepts only\n"
    "                       these keys, never a producer's (reloaded with SIGHUP); needed\n"
    "                       for a control endpoint other than ipc:// or loopback\n"
    "    --allow-remote     bind a non-loopback ingest address without CURVE (refused\n"
    "                       otherwise)\n"
    "    --ledger-head DURATION\n"
    "                       send the event log's hash-chain head as a \"ledger-head\"\n"
    "                       alert this often (e.g. 24h; default off) when events came\n"
    "    --rate-limit N[:B] at most N events/s per source, bursts of B (default off);\n"
    "                       more is rejected with \"rate limited\"\n"
    "    -v, --verbose      log debug messages\n"
    "    -h, --help         this text\n"
    "    --version          the version and the compiled-in rules and schemas directories\n"
    "\n"
    "CONTROL SOCKET (--control)\n"
    "    One msgpack map per request, {\"cmd\": NAME, args...}; one map per reply,\n"
    "    {\"ok\": true, results...} or {\"ok\": false, \"error\": TEXT}.  houqinctl clock\n"
    "    and houqinctl stats speak it.\n"
    "    status             counts (events, issues, timers, outbox, stored, rejected...),\n"
    "                       clock, clock_ms (the daemon's now), next_timer_ms, and the\n"
    "                       rule set in force: rules_dir, rules_loaded_ms, and the\n"
    "                       last refused reload (reload_refused, reload_refused_ms,\n"
    "                       reload_error: its first error), until a reload succeeds\n"
    "    clock.set {ms}     manual clock: move to ms (ms since the epoch).  Forward,\n"
    "                       every timer fires at its own due time, in order; back,\n"
    "                       only on a state that holds no event, issue or alert\n"
    "    clock.advance {ms} manual clock: move forward by ms; the reply comes after\n"
    "                       every timer due by then has been applied and committed\n"
    "    reload             reload the rules (as SIGHUP); refused with the errors if\n"
    "                       the new set does not validate, and the running one stays\n"
    "    outbox.range {from, to}\n"
    "                       the outbox records with those sequence numbers (at most\n"
    "                       10,000), and the ones pruned\n"
    "\n"
    "SIGNALS\n"
    "    SIGTERM, SIGINT    finish the batch in hand (commit, reply) and exit 0\n"
    "    SIGHUP             reload rules (a rule set that does not validate is refused)\n"
    "\n"
    HQ_CMDLINE_EXIT_HELP "\n"
    "    (a full disk is not one: houqind refuses events until space returns).\n"
    "\n"
    HQ_CMDLINE_LOGGING_HELP;

static int parse_clock(const char *arg, void *dst, hq_err *why)
{
    hq_daemon_opts *o = dst;
    if (strcmp(arg, "manual") == 0) {
        o->manual_clock = true;
    } else if (strncmp(arg, "manual@", 7) == 0) {
        o->manual_clock = true;
        o->clock_start = arg + 7;
    } else if (strcmp(arg, "real") != 0) {
        return -1;
    }
    return 0;
}

static int parse_ledger_head(const char *arg, void *dst, hq_err *why)
{
    int64_t *ms = dst;
    return hq_parse_duration_ms(arg, ms) != 0 || *ms < 60000 ? -1 : 0;
}

/* N or N:BURST, both positive (the burst at least 1). */
static int parse_rate(const char *arg, void *dst, hq_err *why)
{
    hq_daemon_opts *o = dst;
    char *end;
    o->rate_per_s = strtod(arg, &end);
    o->rate_burst = o->rate_per_s;
    if (*end == ':')
        o->rate_burst = strtod(end + 1, &end);
    return *end || o->rate_per_s <= 0 || o->rate_burst < 1 ? -1 : 0;
}

static int parse_opts(int argc, char **argv, hq_daemon_opts *o)
{
    *o = (hq_daemon_opts){
        .state_dir = "var",
        .rules_dir = HQ_DEFAULT_RULES,
        .schemas_dir = HQ_DEFAULT_SCHEMAS,
        .ingest_ep = HQ_DEFAULT_INGEST,
        .publish_ep = HQ_DEFAULT_PUBLISH,
        .control_ep = HQ_DEFAULT_CONTROL,
        .max_batch = 1000,
        .limits = hq_event_default_limits,
        .hard_max_bytes = 1 << 20,
    };
    const hq_opt opts[] = {
        HQ_CMDLINE_DIRS(&o->state_dir, &o->rules_dir, &o->schemas_dir),
        HQ_OPTION_STR("ingest", &o->ingest_ep),
        HQ_OPTION_STR("publish", &o->publish_ep),
        HQ_OPTION_STR("control", &o->control_ep),
        {.name = "clock", .kind = HQ_OPT_FN, .dst = o, .parse = parse_clock, .got = true,
         .expect = "expected real, manual or manual@TIME (manual@2026-09-08T10:00+08:00)"},
        HQ_OPTION_FLAG("check", 0, &o->check_only),
        {.name = "max-batch", .kind = HQ_OPT_UINT, .dst = &o->max_batch, .min = 1, .max = 100000,
         .expect = "expected 1..100000"},
        {.name = "max-message-bytes", .kind = HQ_OPT_SIZE, .dst = &o->limits.max_bytes, .min = 256, .max = 1 << 20,
         .expect = "expected 256..1048576"},
        {.name = "map-size", .kind = HQ_OPT_U64, .dst = &o->map_size, .min = 1 << 20, .max = INT64_MAX,
         .expect = "expected a byte count of at least 1048576"},
        HQ_OPTION_STR("curve-key", &o->curve_key),
        HQ_OPTION_STR("allow", &o->allow_file),
        HQ_OPTION_FLAG("allow-remote", 0, &o->allow_remote),
        {.name = "rate-limit", .kind = HQ_OPT_FN, .dst = o, .parse = parse_rate,
         .expect = "expected N or N:BURST, positive"},
        {.name = "ledger-head", .kind = HQ_OPT_FN, .dst = &o->ledger_head_ms, .parse = parse_ledger_head,
         .expect = "expected a duration of at least 1m, like 24h"},
        HQ_OPTION_STR("control-keys", &o->control_keys),
        HQ_OPTION_FLAG("verbose", 'v', &o->verbose),
    };
    if (hq_cmdline_parse("houqind", usage, opts, argc, argv) != 0)
        return -1;
    if (o->curve_key && !o->allow_file && !o->control_keys) {
        fprintf(stderr, "houqind: --curve-key needs --allow (ingest), --control-keys (control) or both\n");
        return -1;
    }
    if ((o->allow_file || o->control_keys) && !o->curve_key) {
        fprintf(stderr, "houqind: --%s needs --curve-key (the server's key pair)\n",
                o->allow_file ? "allow" : "control-keys");
        return -1;
    }
    return 0;
}

static int load_keys(hq_daemon *d, const hq_rules *rules, hq_allowlist **allow, hq_allowlist **admins);
static int setup_curve(hq_daemon *d, void *sock, const char *domain);


static int load_config(hq_daemon *d)
{
    hq_diags diags;
    hq_diags_init(&diags);
    int rc = hq_schemas_load_dir(d->opts.schemas_dir, &d->schemas, &diags);
    if (rc == 0)
        rc = hq_rules_load(d->opts.rules_dir, d->schemas, &d->rules, &diags);
    if (rc == 0 && hq_tz_set(hq_rules_timezone(d->rules)) != 0) {
        hq_diags_add(&diags, d->opts.rules_dir, 0, 0, "unknown time zone \"%s\"", hq_rules_timezone(d->rules));
        rc = HQ_EINVAL;
    }
    if (rc) {
        hq_log_diags(&diags);
        hq_log_err("%zu error(s) in the configuration; not started", diags.count);
        hq_rules_destroy(&d->rules);
        hq_schemas_destroy(&d->schemas);
    }
    hq_diags_fini(&diags);
    return rc;
}

static int record_reload(hq_daemon *d, char *msg, size_t size);

/* A reload, told to systemd: RELOADING=1 (with the CLOCK_MONOTONIC time
 * that systemd 253's Type=notify-reload asks for; 252 ignores it) before,
 * READY=1 and a STATUS= saying how it went after, also when the new rule
 * set was refused and the running one stays. */
int hq_daemon_reload(hq_daemon *d, char *msg, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading rules from %s",
               (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000, d->opts.rules_dir);
    int rc = record_reload(d, msg, size);
    sd_notifyf(0, "READY=1\nSTATUS=%s; %s", d->unavailable ? "storage unavailable, refusing events" : "accepting events",
               msg);
    return rc;
}

static int reload_rules(hq_daemon *d, char *msg, size_t size)
{
    hq_diags diags;
    hq_diags_init(&diags);
    hq_rules *nr = NULL;
    int rc = hq_rules_load(d->opts.rules_dir, d->schemas, &nr, &diags);
    if (rc) {
        hq_log_diags(&diags);
        char first[600] = "";
        if (diags.count)
            hq_err_str(&diags.items[0], first, sizeof first);
        snprintf(msg, size, "reload refused: %zu error(s); the running rules stay. first: %s", diags.count, first);
        hq_log_err("%s", msg);
        int n = (int)diags.count;
        hq_diags_fini(&diags);
        return n ? n : 1;
    }
    hq_diags_fini(&diags);
    hq_allowlist *na = NULL, *nadm = NULL;
    if (load_keys(d, nr, &na, &nadm) != 0) {
        snprintf(msg, size, "reload refused: the key lists (--allow, --control-keys) do not validate; "
                 "the running ones and the running rules stay");
        hq_log_err("%s", msg);
        hq_rules_destroy(&nr);
        return 1;
    }
    if (hq_tz_set(hq_rules_timezone(nr)) != 0) {
        snprintf(msg, size, "reload refused: unknown time zone \"%s\"; the running rules stay", hq_rules_timezone(nr));
        hq_log_err("%s", msg);
        hq_tz_set(hq_rules_timezone(d->rules));
        hq_rules_destroy(&nr);
        hq_allowlist_destroy(&na);
        hq_allowlist_destroy(&nadm);
        return 1;
    }
    if (d->opts.allow_file) {
        hq_allowlist_destroy(&d->allow);
        d->allow = na;
    }
    if (d->opts.control_keys) {
        hq_allowlist_destroy(&d->admins);
        d->admins = nadm;
    }
    hq_engine_set_rules(d->engine, nr);
    hq_rules_destroy(&d->rules);
    d->rules = nr;
    hq_ingest_regenerate(d);
    snprintf(msg, size, "reloaded: %zu rules from %s", hq_rules_count(nr), d->opts.rules_dir);
    hq_log_notice("%s", msg);
    return 0;
}

static int record_reload(hq_daemon *d, char *msg, size_t size)
{
    int rc = reload_rules(d, msg, size);
    if (rc == 0) {
        d->rules_loaded_ms = hq_wall_ms();
        d->reload_refused_ms = 0;
        d->reload_error[0] = '\0';
    } else {
        /* status shows it until a reload succeeds (issue 18 item 5) */
        d->reload_refused_ms = hq_wall_ms();
        snprintf(d->reload_error, sizeof d->reload_error, "%s", msg);
    }
    return rc;
}

static void *bind_socket(hq_daemon *d, int type, const char *ep, const char *what)
{
    void *s = zmq_socket(d->zctx, type);
    int zero = 0, one = 1, hwm = 100000;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (type == ZMQ_ROUTER) {
        zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        int64_t maxmsg = d->opts.hard_max_bytes;
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
        int hs = 5000;
        zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &hs, sizeof hs);
    }
    bool ingest = strcmp(what, "ingest") == 0, control = strcmp(what, "control") == 0;
    if (s == NULL || (ingest && d->allow && setup_curve(d, s, HQ_ZAP_DOMAIN_INGEST) != 0) ||
        (control && d->admins && setup_curve(d, s, HQ_ZAP_DOMAIN_CONTROL) != 0)) {
        if (s)
            zmq_close(s);
        return NULL;
    }
    if (zmq_bind(s, ep) != 0) {
        hq_log_err("cannot bind the %s socket to %s: %s", what, ep, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    /* An ipc control socket is for administrators: owner and group only
     * (the systemd unit puts it in RuntimeDirectory, group houqin). */
    if (control && strncmp(ep, "ipc://", 6) == 0 && chmod(ep + 6, 0660) != 0)
        hq_log_warn("cannot restrict %s to mode 0660: %s", ep + 6, strerror(errno));
    return s;
}

/* Whether a ZeroMQ endpoint only listens on this machine. */
static bool endpoint_local(const char *ep)
{
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
        return true;
    if (strncmp(ep, "tcp://", 6) != 0)
        return false;
    const char *h = ep + 6;
    return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost:", 10) == 0 || strncmp(h, "[::1]:", 6) == 0 ||
           strncmp(h, "::1:", 4) == 0;
}

#define ZMQ_ZAP_ENFORCE_DOMAIN_OPT 93 /* a draft constant that Debian's 4.3.4 honours: fail closed */

/* ZAP (RFC 27): one request per CURVE handshake.  Frames: version, request
 * id, domain, address, routing id, mechanism, client public key (32 bytes).
 * Reply: version, request id, status code, status text, user id, metadata.
 * libzmq has one handler per context, so the domain tells the sockets
 * apart: on the ingest socket (HQ_ZAP_DOMAIN_INGEST) the producer's key
 * must be on --allow and the user id is its source, which ingest checks on
 * every event; on the control socket (HQ_ZAP_DOMAIN_CONTROL) the key must
 * be on --control-keys and the user id is "admin:<name>".  A key is looked
 * up only in its socket's list, so a producer's key never opens the
 * control socket. */
void hq_zap_handle(hq_daemon *d)
{
    for (;;) {
        zmq_msg_t f[8];
        int n;
        if (hq_zmsg_recv(d->zap, f, 8, &n) <= 0)
            return;
        const char *status = "400", *text = "unknown key", *who = "a client";
        char z85[41] = "", user[sizeof HQ_ADMIN_USER_PREFIX + 256] = "";
        const hq_allowlist *list = NULL;
        bool admin = false;
        if (n >= 3) {
            size_t dl = zmq_msg_size(&f[2]);
            const char *dom = zmq_msg_data(&f[2]);
            if (dl == strlen(HQ_ZAP_DOMAIN_INGEST) && memcmp(dom, HQ_ZAP_DOMAIN_INGEST, dl) == 0) {
                list = d->allow;
                who = "a producer key";
            } else if (dl == strlen(HQ_ZAP_DOMAIN_CONTROL) && memcmp(dom, HQ_ZAP_DOMAIN_CONTROL, dl) == 0) {
                list = d->admins;
                admin = true;
                who = "a key on the control socket";
            }
        }
        if (!list) {
            text = "unknown ZAP domain";
        } else if (n >= 7 && zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
                   zmq_msg_size(&f[6]) == 32) {
            zmq_z85_encode(z85, zmq_msg_data(&f[6]), 32);
            const hq_producer *p = hq_allowlist_by_key(list, z85);
            const hq_person *staff = !p && !admin ? hq_rules_person_by_key(d->rules, z85) : NULL;
            if (p) {
                status = "200";
                text = "OK";
                snprintf(user, sizeof user, "%s%s", admin ? HQ_ADMIN_USER_PREFIX : "", p->source);
                if (admin)
                    hq_log_info("administrator %s connected to the control socket", p->source);
            } else if (staff) {
                /* A staff member's key (staff_keys of the rules): the user id
                 * names the person, whom ingest makes the actor. */
                status = "200";
                text = "OK";
                snprintf(user, sizeof user, "%s%s", HQ_STAFF_USER_PREFIX, staff->id);
            } else if (admin && hq_allowlist_by_key(d->allow, z85)) {
                text = "a producer key may not use the control socket";
            }
        } else {
            text = "CURVE required";
        }
        if (strcmp(status, "200") != 0)
            hq_log_notice("refused %s %s: %s", who, z85[0] ? z85 : "(none)", text);
        zmq_send(d->zap, "1.0", 3, ZMQ_SNDMORE);
        if (n >= 2)
            zmq_send(d->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
        else
            zmq_send(d->zap, "", 0, ZMQ_SNDMORE);
        zmq_send(d->zap, status, 3, ZMQ_SNDMORE);
        zmq_send(d->zap, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(d->zap, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(d->zap, "", 0, 0);
        hq_zmsg_close(f, n);
    }
}

/* Loads the producers' allow-list and the administrators' keys (each when
 * configured; the other stays NULL).  A key on both lists is refused: a
 * producer's key must not open the control socket, so an administrator
 * who also sends events has a key for each.  Returns 0, or -1 with every
 * problem logged and nothing loaded. */
static int load_keys(hq_daemon *d, const hq_rules *rules, hq_allowlist **allow, hq_allowlist **admins)
{
    hq_diags diags;
    hq_diags_init(&diags);
    *allow = *admins = NULL;
    int rc = 0;
    if (d->opts.allow_file && hq_allowlist_load(d->opts.allow_file, allow, &diags) != 0)
        rc = -1;
    if (d->opts.control_keys && hq_adminlist_load(d->opts.control_keys, admins, &diags) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < hq_allowlist_count(*admins); i++) {
        const hq_producer *a = hq_allowlist_at(*admins, i), *p = hq_allowlist_by_key(*allow, a->key);
        if (p)
            hq_diags_add(&diags, d->opts.control_keys, 0, 0,
                         "administrator \"%s\" has the key of producer \"%s\" (%s): give the administrator "
                         "a key of their own",
                         a->source, p->source, d->opts.allow_file);
    }
    /* Staff keys (the rules) against both lists; on_behalf roles exist. */
    if (rc == 0)
        hq_actor_check_keys(rules, *allow, *admins, &diags);
    if (diags.count) {
        hq_log_diags(&diags);
        rc = -1;
        hq_allowlist_destroy(allow);
        hq_allowlist_destroy(admins);
    }
    hq_diags_fini(&diags);
    return rc;
}

/* CURVE on a socket, authenticated by the ZAP handler (bound before any
 * CURVE socket, in main) under the socket's domain.  The socket is told
 * to fail closed if the handler is ever missing (libzmq 4.3.4 otherwise
 * accepts any key without a handler). */
static int setup_curve(hq_daemon *d, void *sock, const char *domain)
{
    int one = 1;
    if (!d->zap || zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, d->curve_secret, 40) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0) {
        hq_log_err("cannot set up CURVE (%s): %s", domain, d->zap ? zmq_strerror(errno) : "no ZAP handler");
        return -1;
    }
    if (zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN_OPT, &one, sizeof one) != 0)
        hq_log_warn("ZMQ_ZAP_ENFORCE_DOMAIN not supported by this libzmq");
    return 0;
}

/* Reads the server key pair, loads the key lists and binds the ZAP
 * handler: all before any CURVE socket is bound. */
static int start_curve(hq_daemon *d)
{
    char pub[41];
    hq_err err;
    if (hq_keyfile_read(d->opts.curve_key, pub, d->curve_secret, &err) != 0) {
        hq_log_err("%s", err.msg);
        return -1;
    }
    if (load_keys(d, d->rules, &d->allow, &d->admins) != 0)
        return -1;
    d->zap = zmq_socket(d->zctx, ZMQ_REP);
    int zero = 0;
    zmq_setsockopt(d->zap, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(d->zap, "inproc://zeromq.zap.01") != 0) {
        hq_log_err("cannot bind the ZAP handler: %s", zmq_strerror(errno));
        return -1;
    }
    if (d->allow)
        hq_log_info("CURVE on the ingest socket: server key %s, %zu producers allowed", pub,
                    hq_allowlist_count(d->allow));
    if (d->admins)
        hq_log_info("CURVE on the control socket: server key %s, %zu administrators allowed", pub,
                    hq_allowlist_count(d->admins));
    return 0;
}

static void handle_signals(hq_daemon *d, int sfd)
{
    hq_signal sig;
    unsigned no;
    while ((sig = hq_signals_next(sfd, &no)) != HQ_SIG_NONE) {
        if (sig == HQ_SIG_STOP) {
            hq_log_notice("signal %u: stopping", no);
            d->stopping = true;
        } else if (sig == HQ_SIG_RELOAD) {
            char msg[1024];
            hq_daemon_reload(d, msg, sizeof msg);
        }
    }
}

static int run(hq_daemon *d)
{
    hq_watchdog wd;
    int sfd = hq_loop_ready(false, &wd, "accepting events");
    if (sfd < 0)
        return 1;
    int64_t last_reader_check = hq_mono_ms(), last_status = 0;
    int status = 0;
    int64_t last_hb = 0;
    hq_ingest_refresh_due(d);
    size_t fired;
    if (hq_ingest_timers_step(d, &fired) == HQ_EPANIC) { /* what came due while down */
        close(sfd);
        return 2;
    }
    hq_ingest_generate(d);
    if (d->clock.manual && d->opts.clock_start && d->opts.clock_start_ms > d->clock.now_ms &&
        hq_clock_move(d, d->opts.clock_start_ms) != 0) /* --clock manual@TIME, forward */
        hq_log_err("--clock manual@%s: timers could not be applied", d->opts.clock_start);
    int64_t last_gen = hq_mono_ms();
    bool retain_more = false;
    while (!d->stopping) {
        long timeout = retain_more ? 0 : 1000;
        if (d->next_due_ms <= hq_clock_now_ms(&d->clock))
            timeout = 0; /* more timers due: one batch per turn, ingest in between */
        else if (!d->clock.manual && d->next_due_ms != INT64_MAX) {
            int64_t wait = d->next_due_ms - hq_clock_now_ms(&d->clock);
            timeout = wait < 0 ? 0 : wait < 1000 ? (long)wait : 1000;
        }
        zmq_pollitem_t items[] = {
            {d->ingest, 0, ZMQ_POLLIN, 0},
            {d->control, 0, ZMQ_POLLIN, 0},
            {NULL, sfd, ZMQ_POLLIN, 0},
            {d->zap, 0, ZMQ_POLLIN, 0},
        };
        int rc = hq_loop_poll(items, d->zap ? 4 : 3, timeout);
        if (rc < 0) {
            status = 2;
            break;
        }
        if (items[2].revents & ZMQ_POLLIN)
            handle_signals(d, sfd);
        if (d->zap && (items[3].revents & ZMQ_POLLIN))
            hq_zap_handle(d);
        if (items[0].revents & ZMQ_POLLIN) {
            if (hq_ingest_batch(d) == HQ_EPANIC) {
                status = 2;
                break;
            }
        }
        if (items[1].revents & ZMQ_POLLIN)
            hq_control_handle(d);
        /* Retention between batches: freely when nothing came, rationed
         * under load (retain.c). */
        if (hq_retain_step(d, rc == 0, &retain_more) == HQ_EPANIC) {
            status = 2;
            break;
        }
        if (d->next_due_ms <= hq_clock_now_ms(&d->clock) && hq_ingest_timers_step(d, &fired) == HQ_EPANIC) {
            status = 2;
            break;
        }
        int64_t now = hq_mono_ms();
        if (now - last_gen >= 3600000) {
            hq_ingest_generate(d);
            last_gen = now;
        }
        if (now - last_hb >= 1000) {
            hq_publish_heartbeat(d);
            last_hb = now;
        }
        hq_watchdog_tick(&wd, now);
        if (now - last_status >= 10000) {
            sd_notifyf(0, "STATUS=%s; %llu stored, %llu rejected, %llu timers fired, outbox %llu",
                       d->unavailable ? "storage unavailable, refusing events" : "accepting events",
                       (unsigned long long)d->n_stored, (unsigned long long)d->n_rejected,
                       (unsigned long long)d->n_timers, (unsigned long long)d->outbox_last);
            last_status = now;
        }
        if (now - last_reader_check > 60000) {
            int cleared = 0;
            hq_store_reader_check(d->store, &cleared);
            if (cleared)
                hq_log_notice("cleared %d stale reader slot(s)", cleared);
            last_reader_check = now;
        }
    }
    sd_notify(0, "STOPPING=1");
    close(sfd);
    return status;
}

/* The clock: a manual one resumes where the state's last run left it, or
 * starts at --clock manual@TIME (on a state without events at TIME, earlier
 * too; on one with events only forward, in run()).  Returns 0, or 1 with
 * the problem logged. */
static int start_clock(hq_daemon *d)
{
    if (d->opts.clock_start && (hq_rt_parse_time(d->opts.clock_start, &d->opts.clock_start_ms) != 0 ||
                                d->opts.clock_start_ms < 0)) {
        hq_log_err("--clock manual@%s: expected a time like 2026-09-08T10:00+08:00", d->opts.clock_start);
        return 1;
    }
    if (d->opts.manual_clock) {
        int64_t start = hq_wall_ms();
        MDB_txn *txn;
        if (hq_store_begin(d->store, false, &txn, NULL) == 0) {
            hq_store_clock_get(d->store, txn, &start);
            hq_store_abort(d->store, txn);
        }
        hq_clock_init_manual(&d->clock, start);
    } else {
        hq_clock_init_real(&d->clock);
    }
    d->started_ms = hq_clock_now_ms(&d->clock);
    d->rules_loaded_ms = hq_wall_ms();
    hq_engine_set_started(d->engine, d->started_ms);
    d->next_gen_ms = d->started_ms + 86400000LL;
    if (d->opts.clock_start) {
        char why[256];
        int rc = hq_clock_reset(d, d->opts.clock_start_ms, why, sizeof why);
        if (rc != 0 && !(rc == HQ_ESTATE && d->opts.clock_start_ms >= d->clock.now_ms)) {
            hq_log_err("--clock manual@%s: %s", d->opts.clock_start, why);
            return 1;
        }
    }
    return 0;
}

/* The engine on the state, and the clock.  Returns 0, or the exit status
 * with the problem logged. */
static int open_state(hq_daemon *d)
{
    d->engine = hq_engine_new();
    hq_engine_set_rules(d->engine, d->rules);
    hq_err err = {0};
    if (hq_store_open(d->opts.state_dir, 0, d->opts.map_size, &d->store, &err) != 0) {
        hq_log_err("%s", err.msg);
        return err.code == HQ_EVERSION ? 1 : 2;
    }
    if (start_clock(d) != 0)
        return 1;
    /* The outbox's last sequence, for the publisher's heartbeat. */
    MDB_txn *txn;
    uint64_t next;
    if (hq_store_begin(d->store, false, &txn, NULL) == 0) {
        if (hq_store_peek_seq(d->store, txn, HQ_DB_OUTBOX, &next, NULL) == 0)
            d->outbox_last = next - 1;
        hq_store_abort(d->store, txn);
    }
    return 0;
}

/* Refuses endpoints that would let others in without CURVE.  Returns 0,
 * or -1 with the reason logged. */
static int check_endpoints(const hq_daemon *d)
{
    if (!d->opts.allow_file && !d->opts.allow_remote && !endpoint_local(d->opts.ingest_ep)) {
        hq_log_err("refusing to bind %s without CURVE: give --curve-key and --allow, or --allow-remote",
                   d->opts.ingest_ep);
        return -1;
    }
    /* The control socket is for administrators only (SPEC §7): off this
     * machine that takes CURVE with their keys; --allow-remote does not
     * cover it. */
    if (!d->opts.control_keys && !endpoint_local(d->opts.control_ep)) {
        hq_log_err("refusing to bind the control socket %s without CURVE: give --curve-key and --control-keys, "
                   "or use an ipc:// endpoint",
                   d->opts.control_ep);
        return -1;
    }
    if (!d->opts.control_keys && strncmp(d->opts.control_ep, "tcp://", 6) == 0)
        hq_log_notice("the control socket %s can be reached by every local user; prefer ipc:// (mode 0660) "
                      "or --control-keys",
                      d->opts.control_ep);
    return 0;
}

/* Sets up ingest, CURVE and the sockets, runs the loop until a stop and
 * takes them down again.  Returns the exit status. */
static int serve(hq_daemon *d)
{
    int status = 1;
    d->rate = hq_ratelimit_new(d->opts.rate_per_s, d->opts.rate_burst);
    d->zctx = zmq_ctx_new();
    if (hq_ingest_init(d) == 0 && (!d->opts.curve_key || start_curve(d) == 0)) {
        d->control = bind_socket(d, ZMQ_ROUTER, d->opts.control_ep, "control");
        d->publish = d->control ? bind_socket(d, ZMQ_PUB, d->opts.publish_ep, "publish") : NULL;
        d->ingest = d->publish ? bind_socket(d, ZMQ_ROUTER, d->opts.ingest_ep, "ingest") : NULL;
    }
    if (d->ingest)
        hq_log_info("started: state %s, %zu schemas from %s, %zu rules from %s, ingest %s, control %s, publish %s, "
                    "clock %s",
                    d->opts.state_dir, hq_schemas_count(d->schemas), d->opts.schemas_dir, hq_rules_count(d->rules),
                    d->opts.rules_dir, d->opts.ingest_ep, d->opts.control_ep, d->opts.publish_ep,
                    d->clock.manual ? "manual" : "real");
    if (d->ingest && hq_retain_init(d) == 0) {
        status = run(d);
        hq_log_info("stopped: %llu stored, %llu duplicate, %llu rejected in %llu batches",
                    (unsigned long long)d->n_stored, (unsigned long long)d->n_duplicate,
                    (unsigned long long)d->n_rejected, (unsigned long long)d->n_batches);
    }
    void *socks[] = {d->zap, d->ingest, d->publish, d->control};
    for (size_t i = 0; i < sizeof socks / sizeof socks[0]; i++)
        if (socks[i])
            zmq_close(socks[i]);
    zmq_ctx_term(d->zctx);
    hq_ingest_fini(d);
    hq_retain_fini(d);
    return status;
}

int main(int argc, char **argv)
{
    hq_daemon d = {0};
    if (parse_opts(argc, argv, &d.opts) != 0)
        return 1;
    hq_log_init("houqind", d.opts.verbose ? HQ_LOG_DEBUG : HQ_LOG_INFO);
    if (load_config(&d) != 0)
        return 1;
    int status = 0;
    if (d.opts.check_only)
        printf("configuration OK: %zu schemas in %s, %zu rules in %s\n", hq_schemas_count(d.schemas),
               d.opts.schemas_dir, hq_rules_count(d.rules), d.opts.rules_dir);
    else if ((status = open_state(&d)) == 0)
        status = check_endpoints(&d) == 0 ? serve(&d) : 1;
    hq_allowlist_destroy(&d.allow);
    hq_allowlist_destroy(&d.admins);
    explicit_bzero(d.curve_secret, sizeof d.curve_secret);
    hq_ratelimit_destroy(&d.rate);
    hq_store_close(&d.store);
    hq_engine_destroy(&d.engine);
    hq_rules_destroy(&d.rules);
    hq_schemas_destroy(&d.schemas);
    return status;
}
