/* houqin-alertd - alert delivery: follows houqind's outbox and delivers
 * every alert to every recipient on every channel, once per (alert,
 * recipient, channel) as far as the sink's idempotency allows.
 *
 * main.c holds options, start-up and the loop; signals arrive through a
 * signalfd polled with the sockets, so handlers never run arbitrary code.
 */
#include "alertd.h"

#include "alert_check.h"

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "cmdline.h"
#include "loop.h"
#include "service.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static const char usage[] =
    "NAME\n"
    "    houqin-alertd - deliver houqind's alerts to people (告警推送)\n"
    "\n"
    "SYNOPSIS\n"
    "    houqin-alertd [OPTIONS]\n"
    "    houqin-alertd --check [--probe] [--rules DIR] [--schemas DIR]\n"
    "\n"
    "DESCRIPTION\n"
    "    Subscribes to houqind's alert PUB socket, replays what it missed from\n"
    "    houqind's control socket (outbox.range), resolves each alert's roles to\n"
    "    people through the organisation file, and delivers it on each person's\n"
    "    channels: webhook (plain JSON, WeCom or DingTalk robots), e-mail (SMTP),\n"
    "    command (alert JSON on stdin) or file (JSON lines).  Contractor contacts\n"
    "    get the rectification notice, office staff the supervisor's version,\n"
    "    the complainant of a closed complaint the outcome through the contact\n"
    "    they gave.  Quiet hours, digests and rate limits follow the policies.\n"
    "\n"
    "    Its cursor and every pending delivery live in its own LMDB state and\n"
    "    survive restarts.  Delivery is at least once; every try of one alert to\n"
    "    one recipient on one channel carries the same idempotency key\n"
    "    (<seq>-<recipient>-<channel>: HTTP header Idempotency-Key, e-mail\n"
    "    Message-ID, HOUQIN_IDEMPOTENCY_KEY for commands, idempotency_key in\n"
    "    JSON), so a sink that honours it sees each alert once.  Failed tries\n"
    "    are retried with exponential backoff and end in the dead letters\n"
    "    (houqinctl deadletters).  See docs/alertd.md.\n"
    "\n"
    "OPTIONS\n"
    "    --rules DIR, --config DIR\n"
    "                       rules directory: the organisation (people, roles,\n"
    "                       channels, working hours) and alerts.yaml (channels,\n"
    "                       templates, policies) (default " HQ_DEFAULT_RULES_HELP ")\n"
    "    --schemas DIR      schemas directory, for loading the rules (default\n"
    "                       " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "    --state DIR        alertd's own state directory (default ./var-alertd);\n"
    "                       never houqind's\n"
    "    --subscribe EP     houqind's alert PUB endpoint (default tcp://127.0.0.1:7602)\n"
    "    --control EP       houqind's control endpoint (default tcp://127.0.0.1:7603)\n"
    "    --clock real|follow\n"
    "                       the clock of quiet hours, digests, rate limits,\n"
    "                       failover and retry backoff: real (default) or\n"
    "                       follow houqind's clock as its heartbeats report it\n"
    "                       (a manual clock in tests and backtests)\n"
    "    --max-in-flight N  deliveries in flight at once (default 256)\n"
    "    --check            load and validate the configuration, then report what\n"
    "                       cannot work, each as FILE:LINE:COLUMN with the fix:\n"
    "                       command programs missing or not executable, file\n"
    "                       channels whose directory is missing or not writable,\n"
    "                       URLs that do not parse, placeholder addresses\n"
    "                       (example.*, .invalid, CHANGE-ME, made-up phone\n"
    "                       numbers, empty), people without a working channel;\n"
    "                       loopback servers are noted.  Exit 0 if nothing was\n"
    "                       found, 1 otherwise\n"
    "    --probe            --check, and connect: each SMTP server must greet\n"
    "                       with 220, each webhook answer an HTTP HEAD (not 404\n"
    "                       or 410), within the channel's timeouts (at most 5 s\n"
    "                       to connect, 10 s in all)\n"
    "    -v, --verbose      log debug messages (one per delivery)\n"
    "    -h, --help         this text\n"
    "    --version          the version and the compiled-in rules and schemas directories\n"
    "\n"
    "SIGNALS\n"
    "    SIGTERM, SIGINT    stop taking new deliveries, let those in flight finish\n"
    "                       (at most 5 s), record the results and exit 0\n"
    "    SIGHUP             reload the configuration (one that does not validate\n"
    "                       is refused and the running one stays)\n"
    "\n"
    HQ_CMDLINE_EXIT_HELP ".\n"
    "\n"
    HQ_CMDLINE_LOGGING_HELP
    "    A complainant's contact never appears in the log.\n";

static int parse_clock(const char *arg, void *dst, hq_err *why)
{
    bool *follow = dst;
    *follow = !strcmp(arg, "follow");
    return *follow || !strcmp(arg, "real") ? 0 : -1;
}

static int parse_opts(int argc, char **argv, alertd_opts *o)
{
    *o = (alertd_opts){
        .rules_dir = HQ_DEFAULT_RULES,
        .schemas_dir = HQ_DEFAULT_SCHEMAS,
        .state_dir = "var-alertd",
        .subscribe_ep = HQ_DEFAULT_PUBLISH,
        .control_ep = HQ_DEFAULT_CONTROL,
        .max_in_flight = 256,
    };
    const hq_opt opts[] = {
        HQ_CMDLINE_DIRS(&o->state_dir, &o->rules_dir, &o->schemas_dir),
        HQ_OPTION_STR("config", &o->rules_dir),
        HQ_OPTION_STR("subscribe", &o->subscribe_ep),
        HQ_OPTION_STR("control", &o->control_ep),
        {.name = "clock", .kind = HQ_OPT_FN, .dst = &o->follow_clock, .parse = parse_clock, .got = true,
         .expect = "expected real or follow"},
        HQ_OPTION_FLAG("check", 0, &o->check_only),
        HQ_OPTION_FLAG("probe", 0, &o->probe),
        {.name = "max-in-flight", .kind = HQ_OPT_UINT, .dst = &o->max_in_flight, .min = 1, .max = 4096,
         .expect = "expected 1..4096"},
        HQ_OPTION_FLAG("verbose", 'v', &o->verbose),
    };
    if (hq_cmdline_parse("houqin-alertd", usage, opts, argc, argv) != 0)
        return -1;
    if (o->probe) /* --probe is --check, and connect */
        o->check_only = true;
    return 0;
}

int64_t alertd_policy_now(const alertd *a)
{
    return a->opts.follow_clock ? a->clock_ms : hq_wall_ms();
}

/* ---- configuration ---- */


/* Loads rules and alert configuration from the rules directory into *r
 * and *c; nothing is kept on failure. */
static int load(alertd *a, hq_rules **r, hq_alert_config **c)
{
    hq_diags diags;
    hq_diags_init(&diags);
    int rc = hq_rules_load(a->opts.rules_dir, a->schemas, r, &diags);
    if (rc == 0 && hq_tz_set(hq_rules_timezone(*r)) != 0) {
        hq_diags_add(&diags, a->opts.rules_dir, 0, 0, "unknown time zone \"%s\"", hq_rules_timezone(*r));
        rc = HQ_EINVAL;
    }
    if (rc == 0)
        rc = hq_alert_config_load(a->opts.rules_dir, c, &diags);
    if (rc) {
        hq_log_diags(&diags);
        hq_log_err("%zu error(s) in the configuration in %s", diags.count, a->opts.rules_dir);
        hq_rules_destroy(r);
    }
    hq_diags_fini(&diags);
    return rc;
}

/* People who hold a role but have no channel: alerts to them are
 * dead-lettered, so say it at start-up. */
static void warn_unreachable(alertd *a)
{
    const hq_person *ps;
    size_t n = hq_rules_people(a->rules, &ps);
    for (size_t i = 0; i < n; i++) {
        const hq_alert_person *ap = hq_alert_config_person(a->cfg, ps[i].id);
        if (!ap || !ap->nchannels)
            hq_log_warn("%s (%s) has no alert channels: alerts to them will be dead-lettered", ps[i].id,
                        ps[i].name);
    }
}

int alertd_reload(alertd *a)
{
    hq_rules *r = NULL;
    hq_alert_config *c = NULL;
    if (load(a, &r, &c) != 0) {
        hq_log_err("reload refused; the running configuration stays");
        return -1;
    }
    hq_rules_destroy(&a->rules);
    hq_alert_config_destroy(&a->cfg);
    a->rules = r;
    a->cfg = c;
    for (size_t i = 0; i < a->nlanes; i++)
        a->lanes[i]->dirty = true;
    hq_log_notice("reloaded the configuration from %s: %zu channels", a->opts.rules_dir,
                  hq_alert_config_nchannels(c));
    warn_unreachable(a);
    return 0;
}

static void print_diags(const hq_diags *d, const char *prefix)
{
    char line[1024];
    for (size_t i = 0; i < d->count; i++) {
        hq_err e = d->items[i];
        char msg[sizeof e.msg];
        snprintf(msg, sizeof msg, "%s%s", prefix, d->items[i].msg);
        snprintf(e.msg, sizeof e.msg, "%s", msg);
        printf("%s\n", hq_err_str(&e, line, sizeof line));
    }
}

/* --check (and --probe): what cannot work, on stdout, one line each;
 * exit status 1 when anything was found. */
static int check_only(alertd *a)
{
    const hq_person *ps;
    size_t n = hq_rules_people(a->rules, &ps), reachable = 0;
    for (size_t i = 0; i < n; i++) {
        const hq_alert_person *ap = hq_alert_config_person(a->cfg, ps[i].id);
        reachable += ap && ap->nchannels;
    }
    hq_diags problems, notes, passed;
    hq_diags_init(&problems);
    hq_diags_init(&notes);
    hq_diags_init(&passed);
    size_t found = hq_alert_check(a->cfg, ps, n, &problems, &notes);
    if (a->opts.probe) {
        if (send_init(a) != 0) {
            hq_log_err("libcurl failed to initialise");
            found++;
        } else {
            found += alertd_probe(a, &problems, &passed);
        }
    }
    print_diags(&problems, "");
    print_diags(&notes, "note: ");
    print_diags(&passed, "");
    if (found)
        printf("%zu problem(s): this configuration cannot deliver every alert (%zu channels, %zu of %zu people "
               "with channels, in %s)\n",
               found, hq_alert_config_nchannels(a->cfg), reachable, n, a->opts.rules_dir);
    else
        printf("configuration OK: %zu channels, %zu of %zu people with channels, in %s%s\n",
               hq_alert_config_nchannels(a->cfg), reachable, n, a->opts.rules_dir,
               a->opts.probe ? "; every server answered" : "");
    hq_diags_fini(&problems);
    hq_diags_fini(&notes);
    hq_diags_fini(&passed);
    return found ? 1 : 0;
}

/* ---- the loop ---- */

static void handle_signals(alertd *a, int sfd)
{
    hq_signal sig;
    unsigned no;
    while ((sig = hq_signals_next(sfd, &no)) != HQ_SIG_NONE) {
        if (sig == HQ_SIG_STOP) {
            if (!a->stopping)
                hq_log_notice("signal %u: stopping", no);
            a->stopping = true;
        } else if (sig == HQ_SIG_RELOAD) {
            alertd_reload(a);
        } /* SIGCHLD: send_tick reaps */
    }
}

static void notify_status(alertd *a)
{
    char st[256];
    snprintf(st, sizeof st,
             "STATUS=cursor %" PRIu64 ", houqind at %" PRIu64 ", %u in flight, %" PRIu64 " delivered, %" PRIu64
             " dead",
             a->cursor, a->known_last, a->ninflight, a->n_delivered, a->n_dead);
    sd_notify(0, st);
}

/* The loop's one write transaction (at most one per iteration): the
 * records to route, and the delivery results that are due.  Routing must
 * be on disk before its deliveries start; results are committed in
 * groups (sched_results_due), and a delivered one frees its lane at
 * once, so that a lane never waits for the disk between two deliveries.
 * A crash loses at most the uncommitted results: those deliveries are
 * made again, with the same idempotency keys.  Returns HQ_EPANIC when the
 * state cannot be written. */
static int commit_point(alertd *a, bool force)
{
    bool route = a->nbatch > 0, results = sched_results_due(a, force || route);
    if (!route && !results)
        return 0;
    hq_routes *all = route ? hq_calloc(a->nbatch, sizeof *all) : NULL;
    int64_t wall = hq_wall_ms();
    hq_err err = {0};
    int rc;
    for (int tries = 0;; tries++) {
        MDB_txn *txn = NULL;
        rc = hq_alert_queue_begin(a->q, true, &txn, &err);
        if (rc == 0 && route)
            rc = feed_route_txn(a, txn, all, &err);
        if (rc == 0 && results)
            rc = sched_results_txn(a, txn, wall, &err);
        rc = hq_alert_queue_end(a->q, txn, rc, &err);
        if (rc != HQ_EFULL || tries == 8 || hq_alert_queue_grow(a->q, &err) != 0)
            break;
    }
    if (route)
        feed_after_commit(a, all, rc == 0, err.msg);
    free(all);
    if (rc == 0 && results)
        sched_after_commit(a, wall);
    if (rc) {
        hq_log_err("alertd's state cannot be written: %s", err.msg);
        return HQ_EPANIC;
    }
    return 0;
}

enum { MAX_ITEMS = 1024 };

static int run(alertd *a)
{
    hq_watchdog wd;
    int sfd = hq_loop_ready(true, &wd, "delivering alerts");
    if (sfd < 0)
        return 1;
    int64_t last_status = 0, stop_by = 0;
    int status = 0;
    zmq_pollitem_t *items = hq_calloc(MAX_ITEMS, sizeof *items);
    long timeout = 0;
    while (items) {
        items[0] = (zmq_pollitem_t){a->sub, 0, ZMQ_POLLIN, 0};
        items[1] = (zmq_pollitem_t){a->ctl.sock, 0, ZMQ_POLLIN, 0};
        items[2] = (zmq_pollitem_t){NULL, sfd, ZMQ_POLLIN, 0};
        size_t n = 3 + send_pollitems(a, items + 3, MAX_ITEMS - 3);
        long t = send_timeout_ms(a);
        if (t < timeout)
            timeout = t;
        timeout = hq_watchdog_timeout(&wd, timeout); /* wake up to ping in time */
        if (hq_loop_poll(items, (int)n, timeout) < 0) {
            status = 2;
            break;
        }
        if (items[2].revents & ZMQ_POLLIN)
            handle_signals(a, sfd);
        if (items[0].revents & ZMQ_POLLIN)
            feed_on_sub(a);
        if (items[1].revents & ZMQ_POLLIN)
            feed_on_ctl(a);
        send_on_poll(a, items + 3, n - 3);
        send_tick(a);
        feed_tick(a);
        if (commit_point(a, a->stopping) == HQ_EPANIC) {
            status = 2;
            break;
        }
        timeout = 1000;
        if (!a->stopping)
            timeout = sched_run(a);
        if (a->nbatch)
            timeout = 0;
        if (a->done) {
            int64_t left = 10 - (hq_mono_ms() - a->done_since_mono);
            if (left < timeout)
                timeout = left < 0 ? 0 : (long)left;
        }
        int64_t now = hq_mono_ms();
        hq_watchdog_tick(&wd, now);
        if (now - last_status >= 5000) {
            notify_status(a);
            last_status = now;
        }
        if (a->stopping) {
            if (!stop_by) {
                stop_by = now + 5000;
                sd_notify(0, "STOPPING=1");
            }
            if (!a->ninflight || now >= stop_by)
                break;
            timeout = 100;
        }
    }
    if (status == 0 && commit_point(a, true) == HQ_EPANIC)
        status = 2;
    if (status == 0 && a->ninflight)
        hq_log_notice("%u deliveries still in flight at stop: they are tried again at the next start",
                      a->ninflight);
    send_abort_all(a);
    free(items);
    close(sfd);
    return status;
}

static int start(alertd *a)
{
    hq_err err = {0};
    if (hq_alert_queue_open(a->opts.state_dir, 0, &a->q, &err) != 0) {
        hq_log_err("%s", err.msg);
        return err.code == HQ_EVERSION ? 1 : 2;
    }
    MDB_txn *txn;
    uint64_t clock = 0;
    if (hq_alert_queue_begin(a->q, false, &txn, &err) == 0) {
        hq_alert_queue_meta_get(a->q, txn, "cursor", &a->cursor, &err);
        hq_alert_queue_meta_get(a->q, txn, "clock", &clock, &err);
        hq_alert_queue_abort(a->q, txn);
    }
    a->clock_ms = (int64_t)clock;
    a->known_last = a->cursor;
    if (send_init(a) != 0) {
        hq_log_err("libcurl failed to initialise");
        return 2;
    }
    a->zctx = zmq_ctx_new();
    if (feed_open(a) != 0 || sched_load_lanes(a) != 0 || failover_load(a) != 0)
        return 2;
    hq_log_info("started: state %s, cursor %" PRIu64 ", %zu lanes pending, subscribe %s, control %s, clock %s",
                a->opts.state_dir, a->cursor, a->nlanes, a->opts.subscribe_ep, a->opts.control_ep,
                a->opts.follow_clock ? "follow" : "real");
    warn_unreachable(a);
    return run(a);
}

static void cleanup(alertd *a)
{
    feed_close(a);
    if (a->zctx)
        zmq_ctx_term(a->zctx);
    if (a->multi)
        send_fini(a);
    while (a->done) {
        xfer *x = a->done;
        a->done = x->next;
        xfer_free(x);
    }
    sched_free_lanes(a);
    hq_alert_queue_close(&a->q);
    hq_alert_config_destroy(&a->cfg);
    hq_rules_destroy(&a->rules);
    hq_schemas_destroy(&a->schemas);
}

int main(int argc, char **argv)
{
    alertd a = {0};
    if (parse_opts(argc, argv, &a.opts) != 0)
        return 1;
    hq_log_init("houqin-alertd", a.opts.verbose ? HQ_LOG_DEBUG : HQ_LOG_INFO);
    srand((unsigned)hq_mono_ns() ^ (unsigned)getpid());
    hq_diags diags;
    hq_diags_init(&diags);
    int rc = hq_schemas_load_dir(a.opts.schemas_dir, &a.schemas, &diags);
    if (rc) {
        hq_log_diags(&diags);
        hq_log_err("%zu error(s) in the schemas in %s", diags.count, a.opts.schemas_dir);
    }
    hq_diags_fini(&diags);
    if (rc || load(&a, &a.rules, &a.cfg) != 0) {
        cleanup(&a);
        return 1;
    }
    if (a.opts.check_only) {
        int status = check_only(&a);
        cleanup(&a);
        return status;
    }
    int status = start(&a);
    hq_log_info("stopped: cursor %" PRIu64 ", %" PRIu64 " alerts routed, %" PRIu64 " delivered, %" PRIu64
                " failed tries, %" PRIu64 " dead-lettered, %" PRIu64 " replays, %" PRIu64 " pruned",
                a.cursor, a.n_routed, a.n_delivered, a.n_failed, a.n_dead, a.n_replays, a.n_pruned);
    cleanup(&a);
    return status;
}
