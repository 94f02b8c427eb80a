/* houqinctl - the command line of the campus logistics office. */
#include "ctl.h"

#include "allowlist.h"

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "mp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static const ctl_cmd commands[] = {
    {"send", cmd_send, "send events (fields as key=value, or JSON lines)"},
    {"status", cmd_status, "ask houqind for its counters and clock"},
    {"clock", cmd_clock, "show, set or advance houqind's manual clock (clock show|set TIME|advance 4h)"},
    {"issues", cmd_issues, "list issues, filtered (table or --json)"},
    {"issue", cmd_issue, "one issue with its whole timeline"},
    {"outbox", cmd_outbox, "the notifications written to the outbox (JSON lines)"},
    {"rules", cmd_rules, "check rules and run rule tests (rules check DIR, rules test FILE...)"},
    {"backtest", cmd_backtest, "replay the stored event log through a rule set and compare"},
    {"obligations", cmd_obligations, "expected inspections and reports (R6) and their states"},
    {"keygen", cmd_keygen, "write a CURVE key pair for houqind or a producer"},
    {"verify", cmd_verify, "check the tamper-evident chains of the event log and timelines"},
    {"deadletters", cmd_deadletters, "alerts houqin-alertd could not deliver"},
    {"ack", cmd_ack, "acknowledge an issue (签收)"},
    {"rectify", cmd_rectify, "report an issue rectified, with evidence (整改反馈)"},
    {"recheck", cmd_recheck, "pass or fail a rectification (复查)"},
    {"comment", cmd_comment, "add a comment to an issue's timeline"},
    {"close", cmd_close, "close an issue by hand, with the reason"},
    {"opinion", cmd_opinion, "record a public-opinion incident about an issue (舆情)"},
    {"accountability", cmd_accountability, "start accountability for an issue (问责)"},
    {"ledger", cmd_ledger, "export the issue ledger of a period (台账; CSV, JSON)"},
    {"notice", cmd_notice, "the rectification notice of an issue (问题整改通知单; text, HTML)"},
    {"evaluation", cmd_evaluation, "contractor evaluation for a month or term (考评; CSV, JSON, HTML)"},
    {"stats", cmd_stats, "counters, rates and lags (also Prometheus textfile format)"},
    {"backup", cmd_backup, "a consistent compacted copy of the state while houqind runs"},
    {"account", cmd_account, "log-in accounts of houqin-web (set, reset, lock, unlock, list)"},
};

static void usage(FILE *f)
{
    fputs("NAME\n"
          "    houqinctl - the command line for Houqin (后勤服务质量监督)\n"
          "\n"
          "SYNOPSIS\n"
          "    houqinctl COMMAND [OPTIONS] [ARGS]\n"
          "    houqinctl COMMAND --help\n"
          "    houqinctl --version      the version and the compiled-in rules and schemas\n"
          "                             directories\n"
          "\n"
          "COMMANDS\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "    %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "EXIT STATUS\n"
          "    0 success; 1 refused (an event rejected, a check failed);\n"
          "    2 bad usage or bad input.\n",
          f);
}

int ctl_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("houqinctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static const char *curve_server_opt, *curve_key_opt;

void ctl_control_curve(const char *server_file, const char *key_file)
{
    curve_server_opt = server_file;
    curve_key_opt = key_file;
}

/* CURVE on s when configured (options, else environment).  Returns 0
 * (*on tells whether CURVE is used) or an exit code, having said why. */
static int control_curve_setup(void *s, bool *on)
{
    const char *server = curve_server_opt ? curve_server_opt : getenv("HQ_CONTROL_CURVE_SERVER");
    const char *key = curve_key_opt ? curve_key_opt : getenv("HQ_CONTROL_CURVE_KEY");
    if (server && !*server)
        server = NULL;
    if (key && !*key)
        key = NULL;
    *on = false;
    if (!server && !key)
        return 0;
    if (!server || !key)
        return ctl_fail("CURVE on the control socket needs both the server's public key (--curve-server, "
                        "HQ_CONTROL_CURVE_SERVER) and an administrator's key pair (--curve-key, HQ_CONTROL_CURVE_KEY)");
    char spub[41], cpub[41], csec[41];
    hq_err err;
    if (hq_keyfile_read(server, spub, NULL, &err) != 0 || hq_keyfile_read(key, cpub, csec, &err) != 0)
        return ctl_fail("%s", err.msg);
    int rc = zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, spub, 40) || zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, cpub, 40) ||
             zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, csec, 40);
    explicit_bzero(csec, sizeof csec);
    if (rc)
        return ctl_fail("CURVE keys not accepted: %s", zmq_strerror(errno));
    *on = true;
    return 0;
}

/* The next handshake event from a monitor socket, 0 when none is ready. */
static unsigned monitor_event(void *mon)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    unsigned ev = 0;
    if (zmq_msg_recv(&m, mon, ZMQ_DONTWAIT) >= 0) {
        uint16_t e;
        if (zmq_msg_size(&m) >= sizeof e) {
            memcpy(&e, zmq_msg_data(&m), sizeof e);
            ev = e;
        }
        while (zmq_msg_more(&m) && zmq_msg_recv(&m, mon, 0) >= 0) {
        }
    }
    zmq_msg_close(&m);
    return ev;
}

int ctl_control_call(const char *endpoint, const char *req, size_t len, int timeout_ms, msgpack_zone *zone,
                     msgpack_object *reply, char **raw_out)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER), *mon = NULL;
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    bool curve = false;
    int rc = control_curve_setup(s, &curve);
    if (rc)
        goto out;
    rc = EXIT_USAGE;
    if (curve) {
        /* Watch the handshake, to tell a refused key from a silent daemon. */
        char mep[64];
        snprintf(mep, sizeof mep, "inproc://houqinctl-monitor-%p", s);
        if (zmq_socket_monitor(s, mep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
            mon = zmq_socket(ctx, ZMQ_PAIR);
            zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
            if (zmq_connect(mon, mep) != 0) {
                zmq_close(mon);
                mon = NULL;
            }
        }
    }
    if (zmq_connect(s, endpoint) != 0) {
        ctl_fail("cannot connect to %s: %s", endpoint, zmq_strerror(errno));
        goto out;
    }
    zmq_send(s, req, len, 0);
    int64_t deadline = hq_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - hq_mono_ms();
        zmq_pollitem_t items[] = {{s, 0, ZMQ_POLLIN, 0}, {mon, 0, ZMQ_POLLIN, 0}};
        if (left <= 0 || zmq_poll(items, mon ? 2 : 1, (long)left) < 0) {
            if (left > 0 && errno == EINTR)
                continue;
            ctl_fail("no answer from houqind at %s within %d ms", endpoint, timeout_ms);
            goto out;
        }
        if (mon && (items[1].revents & ZMQ_POLLIN)) {
            unsigned ev = monitor_event(mon);
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                ctl_fail("houqind at %s refused this key at the CURVE handshake: it is not on the "
                         "administrators' list (--control-keys)", endpoint);
                goto out;
            }
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
                ctl_fail("CURVE handshake with %s failed: wrong server key, or the control socket does not "
                         "use CURVE", endpoint);
                goto out;
            }
        }
        if (items[0].revents & ZMQ_POLLIN)
            break;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
        ctl_fail("no answer from houqind at %s: %s", endpoint, zmq_strerror(errno));
        zmq_msg_close(&m);
        goto out;
    }
    size_t n = zmq_msg_size(&m);
    char *raw = hq_malloc(n ? n : 1);
    memcpy(raw, zmq_msg_data(&m), n);
    zmq_msg_close(&m);
    hq_mp_limits lim = hq_mp_default_limits;
    lim.max_depth = 32;
    lim.max_objects = 1u << 24;
    hq_err err;
    if (hq_mp_decode(raw, n, &lim, zone, reply, &err) != 0 || reply->type != MSGPACK_OBJECT_MAP) {
        ctl_fail("bad reply from houqind: %s", err.msg);
        free(raw);
        goto out;
    }
    *raw_out = raw;
    rc = 0;
out:
    if (mon) {
        zmq_socket_monitor(s, NULL, 0);
        zmq_close(mon);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}

int ctl_control_ask(const char *endpoint, const char *req, size_t len, int timeout_ms, ctl_reply *r)
{
    msgpack_zone_init(&r->zone, 4096);
    r->raw = NULL;
    return ctl_control_call(endpoint, req, len, timeout_ms, &r->zone, &r->obj, &r->raw);
}

int ctl_control_status(const char *endpoint, ctl_reply *r)
{
    static const char req[] = "\x81\xa3" "cmd" "\xa6" "status";
    return ctl_control_ask(endpoint, req, sizeof req - 1, 5000, r);
}

void ctl_reply_fini(ctl_reply *r)
{
    free(r->raw);
    r->raw = NULL;
    msgpack_zone_destroy(&r->zone);
}

int main(int argc, char **argv)
{
    hq_log_init("houqinctl", HQ_LOG_INFO);
    const char *tz = getenv("HQ_TZ");
    hq_tz_set(tz ? tz : "Asia/Shanghai");
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("houqinctl %s\ndefault rules: %s\ndefault schemas: %s\n", HQ_BUILD_VERSION, HQ_DEFAULT_RULES,
               HQ_DEFAULT_SCHEMAS);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    ctl_fail("unknown command \"%s\"; see houqinctl --help", argv[1]);
    return EXIT_USAGE;
}
