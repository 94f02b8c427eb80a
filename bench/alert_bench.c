/* alert_bench.c - hq-alert-bench: houqin-alertd's delivery benchmark.
 *
 * Runs the real houqind and houqin-alertd on a temporary state and rules
 * directory and a local keep-alive webhook sink (an epoll HTTP/1.1 server
 * in this process that answers every POST with 200), and prints:
 *
 *   1. throughput: E complaints are acknowledged by houqind first (each
 *      opens an issue: one alert for the section head, K supervisors and
 *      the contractor's contact, K+2 webhook deliveries); then alertd is
 *      started and drains them: deliveries/s from its first delivery to
 *      its last (and from its start, replay included);
 *   2. latency: M complaints paced at R/s through the running pair: the
 *      time from houqind's "stored" acknowledgement of each event to the
 *      sink receiving its alert (first and all of its K+2 deliveries),
 *      p50/p99/max;
 *   3. one person's channel failing: alertd reloads (SIGHUP) a configuration
 *      in which supervisor sup0's only channel is a webhook that never
 *      answers (its requests time out after 2 s and are retried), then M
 *      more complaints at R/s, all urgent: the time from the ack to the
 *      last delivery to everyone else (K+1 deliveries), p50/p99/max.
 *
 * Self-contained on libzmq and msgpack-c (like hq-bench it does not link
 * libhouqin).  Figures only; it never fails on them.  Usage: see usage[].
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

extern char **environ;

static const char usage[] =
    "usage: hq-alert-bench --houqind PATH --alertd PATH --schemas DIR --rules DIR\n"
    "                      [--events E] [--recipients K] [--rate R] [--paced-events M]\n"
    "                      [--tmpdir DIR] [--json]\n"
    "  --events E        alerts for the throughput run (default 5000)\n"
    "  --recipients K    supervisors per alert; each alert makes K+2 deliveries (default 8)\n"
    "  --rate R          alerts/s of the latency run (default 100)\n"
    "  --paced-events M  alerts in the latency run and in the failing-channel run (default 1000)\n"
    "  --rules DIR       the shipped rules (escalation.yaml and contractors.yaml are copied)\n";

typedef struct opts {
    const char *houqind, *alertd, *schemas, *rules, *tmpdir;
    long events, recipients, paced;
    double rate;
    bool json;
} opts;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "hq-alert-bench: %s\n", what);
    exit(1);
}

/* ---- the webhook sink ---- */

#define MAX_EVENTS (1 << 20)

typedef struct sink {
    int lfd, ep;
    int port;
    atomic_long deliveries;
    atomic_long hung;          /* requests to /hang, left unanswered */
    atomic_llong last_ns, first_ns;
    /* per event: arrivals (index = event number; phase b: offset) */
    atomic_llong *first_at, *last_at;
    atomic_int *count;
    volatile bool stop;
} sink;

typedef struct conn {
    int fd;
    char buf[65536];
    size_t len;
} conn;

/* The event number from the body: "title":"bench b123" or "bench p123"
 * (phase b numbers start at MAX_EVENTS/2). */
static long event_of(const char *body, size_t n)
{
    const char *p = memmem(body, n, "\"title\":\"bench ", 15);
    if (!p || p + 16 >= body + n)
        return -1;
    p += 15;
    long base = *p == 'p' ? MAX_EVENTS / 2 : *p == 'f' ? MAX_EVENTS / 4 * 3 : 0;
    return base + strtol(p + 1, NULL, 10);
}

static void answer(sink *s, conn *c, const char *body, size_t blen)
{
    int64_t t = now_ns();
    long e = event_of(body, blen);
    if (e >= 0 && e < MAX_EVENTS) {
        long long zero = 0;
        atomic_compare_exchange_strong(&s->first_at[e], &zero, t);
        atomic_store(&s->last_at[e], t);
        atomic_fetch_add(&s->count[e], 1);
    }
    long long z = 0;
    atomic_compare_exchange_strong(&s->first_ns, &z, t);
    atomic_store(&s->last_ns, t);
    atomic_fetch_add(&s->deliveries, 1);
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
    ssize_t w = write(c->fd, ok, sizeof ok - 1);
    (void)w;
}

/* Handles every complete request in c->buf; false: close the connection. */
static bool serve(sink *s, conn *c)
{
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end)
            return c->len < sizeof c->buf;
        size_t hlen = (size_t)(end - c->buf) + 4;
        long clen = 0;
        for (char *p = c->buf; p < end; p++)
            if ((p == c->buf || p[-1] == '\n') && !strncasecmp(p, "content-length:", 15))
                clen = strtol(p + 15, NULL, 10);
        if (clen < 0 || hlen + (size_t)clen > sizeof c->buf)
            return false;
        if (c->len < hlen + (size_t)clen)
            return true;
        /* The failing person's webhook (phase 3): never answers. */
        if (strncmp(c->buf, "POST /hang", 10) != 0)
            answer(s, c, c->buf + hlen, (size_t)clen);
        else
            atomic_fetch_add(&s->hung, 1);
        memmove(c->buf, c->buf + hlen + clen, c->len - hlen - (size_t)clen);
        c->len -= hlen + (size_t)clen;
    }
}

static void *sink_main(void *arg)
{
    sink *s = arg;
    struct epoll_event evs[64];
    while (!s->stop) {
        int n = epoll_wait(s->ep, evs, 64, 100);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                int fd;
                while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    conn *c = calloc(1, sizeof *c);
                    c->fd = fd;
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            conn *c = evs[i].data.ptr;
            bool keep = true;
            for (;;) {
                ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
                if (r > 0) {
                    c->len += (size_t)r;
                    if (!(keep = serve(s, c)))
                        break;
                } else {
                    keep = r < 0 && errno == EAGAIN;
                    break;
                }
            }
            if (!keep) {
                close(c->fd);
                free(c);
            }
        }
    }
    return NULL;
}

static void sink_start(sink *s)
{
    s->first_at = calloc(MAX_EVENTS, sizeof *s->first_at);
    s->last_at = calloc(MAX_EVENTS, sizeof *s->last_at);
    s->count = calloc(MAX_EVENTS, sizeof *s->count);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 512) ||
        getsockname(s->lfd, (struct sockaddr *)&a, &al))
        die("cannot listen on 127.0.0.1");
    s->port = ntohs(a.sin_port);
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev);
    pthread_t t;
    pthread_create(&t, NULL, sink_main, s);
    pthread_detach(t);
}

/* ---- files and processes ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write the rules directory");
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", from_dir, name);
    FILE *f = fopen(p, "r");
    if (!f)
        die("cannot read a shipped rules file (escalation.yaml, contractors.yaml)");
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    write_file(to_dir, name, buf);
    free(buf);
}

static void make_rules(const opts *o, const char *dir, int port, bool failing)
{
    mkdir(dir, 0755);
    copy_file(o->rules, dir, "escalation.yaml");
    copy_file(o->rules, dir, "contractors.yaml");
    size_t cap = 4096 + (size_t)o->recipients * 160;
    char *org = malloc(cap);
    int n = snprintf(org, cap,
                     "office: 后勤管理处\ntimezone: Asia/Shanghai\npeople:\n"
                     "  - {id: director, name: 处长, roles: [office_director], channels: [{channel: hook}]}\n"
                     "  - {id: deputy, name: 副处长, roles: [deputy_director], channels: [{channel: hook}]}\n"
                     "  - {id: vp, name: 副校长, roles: [vice_president], channels: [{channel: hook}]}\n"
                     "  - {id: head, name: 科长, roles: [section_head:catering], channels: [{channel: hook}]}\n"
                     "  - {id: centre, name: 主任, roles: [centre_head:catering], channels: [{channel: hook}]}\n"
                     "  - {id: contact, name: 项目经理, roles: [\"contractor_contact:xinyuan-catering\"], "
                     "channels: [{channel: hook}]}\n");
    for (long i = 0; i < o->recipients; i++)
        n += snprintf(org + n, cap - (size_t)n,
                      "  - {id: sup%ld, name: 监督员%ld, roles: [supervisor:catering], channels: [{channel: %s}]}\n",
                      i, i, failing && i == 0 ? "broken" : "hook");
    write_file(dir, "org.yaml", org);
    free(org);
    char alerts[1024];
    snprintf(alerts, sizeof alerts,
             "channels:\n  hook: {type: webhook, url: \"http://127.0.0.1:%d/hook\", timeout: 10s, parallel: 256}\n"
             "  broken: {type: webhook, url: \"http://127.0.0.1:%d/hang\", timeout: 2s}\n"
             "policies:\n  urgent: low\n  quiet_hours: false\n  retry: {tries: 20, first: 100ms, max: 1s}\n",
             port, port);
    write_file(dir, "alerts.yaml", alerts);
    write_file(dir, "bench.yaml",
               "rules:\n  - id: bench.complaint\n    description: one issue per complaint\n"
               "    on: complaint.submitted\n    when: {field: data.category, eq: bench}\n"
               "    key: \"{{data.text}}\"\n    issue:\n      title: \"bench {{data.text}}\"\n"
               "      domain: catering\n      category: bench\n      severity: high\n      deadline: 48h\n"
               "      chain: standard\n");
}

static pid_t spawn(char *const argv[], const char *log, char **env)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, env ? env : environ) != 0)
        die("cannot start a daemon");
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 300; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- houqind ---- */

static msgpack_sbuffer *pack_req(const char *cmd)
{
    msgpack_sbuffer *sb = msgpack_sbuffer_new();
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "cmd", 3);
    msgpack_pack_str_with_body(&pk, cmd, strlen(cmd));
    return sb;
}

static void wait_houqind(void *ctx, const char *ep)
{
    for (int i = 0; i < 100; i++) {
        void *s = zmq_socket(ctx, ZMQ_DEALER);
        int zero = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        zmq_connect(s, ep);
        msgpack_sbuffer *sb = pack_req("status");
        zmq_send(s, sb->data, sb->size, 0);
        msgpack_sbuffer_free(sb);
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        bool ok = zmq_poll(&it, 1, 200) == 1;
        zmq_close(s);
        if (ok)
            return;
    }
    die("houqind did not answer status");
}

static void pack_event(msgpack_packer *pk, const char *id, int64_t ts)
{
    msgpack_pack_map(pk, 5);
    msgpack_pack_str_with_body(pk, "id", 2);
    msgpack_pack_str_with_body(pk, id, strlen(id));
    msgpack_pack_str_with_body(pk, "type", 4);
    msgpack_pack_str_with_body(pk, "complaint.submitted", 19);
    msgpack_pack_str_with_body(pk, "source", 6);
    msgpack_pack_str_with_body(pk, "alert-bench", 11);
    msgpack_pack_str_with_body(pk, "ts", 2);
    msgpack_pack_int64(pk, ts);
    msgpack_pack_str_with_body(pk, "data", 4);
    msgpack_pack_map(pk, 4);
    msgpack_pack_str_with_body(pk, "domain", 6);
    msgpack_pack_str_with_body(pk, "catering", 8);
    msgpack_pack_str_with_body(pk, "site", 4);
    msgpack_pack_str_with_body(pk, "canteen-1", 9);
    msgpack_pack_str_with_body(pk, "category", 8);
    msgpack_pack_str_with_body(pk, "bench", 5);
    msgpack_pack_str_with_body(pk, "text", 4);
    msgpack_pack_str_with_body(pk, id, strlen(id));
}

/* Sends n events named <prefix><i>, at most window un-acked, paced at
 * rate/s (0: full speed); ack_ns[i] gets each "stored" time. */
static void send_events(void *ctx, const char *ep, char prefix, long n, double rate, long window, int64_t *ack_ns)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(s, ep);
    long sent = 0, acked = 0;
    int64_t start = now_ns(), last_progress = now_ns();
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t ts = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    while (acked < n) {
        while (sent < n && sent - acked < window) {
            if (rate > 0 && now_ns() < start + (int64_t)(sent * 1e9 / rate))
                break;
            char id[32];
            snprintf(id, sizeof id, "%c%ld", prefix, sent);
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            pack_event(&pk, id, ts);
            zmq_send(s, sb.data, sb.size, 0);
            msgpack_sbuffer_destroy(&sb);
            sent++;
        }
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        long wait_ms = 100;
        if (rate > 0 && sent < n) {
            int64_t due = start + (int64_t)(sent * 1e9 / rate) - now_ns();
            wait_ms = due <= 0 ? 0 : due / 1000000;
        }
        zmq_poll(&it, 1, wait_ms);
        zmq_msg_t m;
        zmq_msg_init(&m);
        while (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) >= 0) {
            int64_t t = now_ns();
            msgpack_unpacked u;
            msgpack_unpacked_init(&u);
            if (msgpack_unpack_next(&u, zmq_msg_data(&m), zmq_msg_size(&m), NULL) == MSGPACK_UNPACK_SUCCESS &&
                u.data.type == MSGPACK_OBJECT_MAP) {
                for (uint32_t i = 0; i < u.data.via.map.size; i++) {
                    msgpack_object k = u.data.via.map.ptr[i].key, v = u.data.via.map.ptr[i].val;
                    if (k.type == MSGPACK_OBJECT_STR && k.via.str.size == 2 && !memcmp(k.via.str.ptr, "id", 2) &&
                        v.type == MSGPACK_OBJECT_STR && v.via.str.size > 1) {
                        long e = strtol(v.via.str.ptr + 1, NULL, 10);
                        if (e >= 0 && e < n)
                            ack_ns[e] = t;
                    }
                }
            }
            msgpack_unpacked_destroy(&u);
            acked++;
            last_progress = t;
        }
        zmq_msg_close(&m);
        if (now_ns() - last_progress > 60000000000LL)
            die("houqind stopped acknowledging events");
    }
    zmq_close(s);
}

/* ---- alertd ---- */

static pid_t start_alertd(const opts *o, const char *tmp, const char *rules, const char *pub, const char *ctl)
{
    char state[4096], log[4096], npath[4096];
    snprintf(state, sizeof state, "%s/astate", tmp);
    snprintf(log, sizeof log, "%s/alertd.log", tmp);
    snprintf(npath, sizeof npath, "%s/notify", tmp);
    int ns = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", npath);
    unlink(npath);
    if (bind(ns, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("cannot bind the notify socket");
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **env = calloc(ne + 2, sizeof *env);
    memcpy(env, environ, ne * sizeof *env);
    char nenv[4200];
    snprintf(nenv, sizeof nenv, "NOTIFY_SOCKET=%s", npath);
    env[ne] = nenv;
    char *argv[] = {(char *)o->alertd, "--state", state, "--rules", (char *)rules, "--schemas", (char *)o->schemas,
                    "--subscribe", (char *)pub, "--control", (char *)ctl, NULL};
    pid_t pid = spawn(argv, log, env);
    free(env);
    struct timeval tv = {30, 0};
    setsockopt(ns, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[512];
    for (;;) {
        ssize_t r = recv(ns, buf, sizeof buf - 1, 0);
        if (r <= 0)
            die("alertd did not send READY=1 (see alertd.log in the temporary directory)");
        buf[r] = '\0';
        if (strstr(buf, "READY=1"))
            break;
    }
    close(ns);
    return pid;
}

static void wait_deliveries(sink *s, long want)
{
    long last = -1;
    int64_t progress = now_ns();
    while (atomic_load(&s->deliveries) < want) {
        long d = atomic_load(&s->deliveries);
        if (d != last) {
            last = d;
            progress = now_ns();
        }
        if (now_ns() - progress > 60000000000LL) {
            fprintf(stderr, "hq-alert-bench: stalled at %ld of %ld deliveries\n", d, want);
            exit(1);
        }
        usleep(1000);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(int64_t *v, long n, double p)
{
    long i = (long)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

/* ---- main ---- */

static void parse(int argc, char **argv, opts *o)
{
    static const struct option lo[] = {
        {"houqind", 1, NULL, 'H'}, {"alertd", 1, NULL, 'A'},       {"schemas", 1, NULL, 'S'},
        {"rules", 1, NULL, 'R'},   {"events", 1, NULL, 'e'},       {"recipients", 1, NULL, 'k'},
        {"rate", 1, NULL, 'r'},    {"paced-events", 1, NULL, 'm'}, {"tmpdir", 1, NULL, 't'},
        {"json", 0, NULL, 'j'},    {"help", 0, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    *o = (opts){.events = 5000, .recipients = 8, .paced = 1000, .rate = 100, .tmpdir = getenv("TMPDIR")};
    if (!o->tmpdir)
        o->tmpdir = "/tmp";
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'H': o->houqind = optarg; break;
        case 'A': o->alertd = optarg; break;
        case 'S': o->schemas = optarg; break;
        case 'R': o->rules = optarg; break;
        case 'e': o->events = atol(optarg); break;
        case 'k': o->recipients = atol(optarg); break;
        case 'r': o->rate = atof(optarg); break;
        case 'm': o->paced = atol(optarg); break;
        case 't': o->tmpdir = optarg; break;
        case 'j': o->json = true; break;
        default: fputs(usage, c == 'h' ? stdout : stderr); exit(c == 'h' ? 0 : 2);
        }
    }
    if (!o->houqind || !o->alertd || !o->schemas || !o->rules || o->events < 1 || o->paced < 1 || o->rate <= 0 ||
        o->recipients < 1 || o->events >= MAX_EVENTS / 2 || o->paced >= MAX_EVENTS / 4) {
        fputs(usage, stderr);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    opts o;
    parse(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/hq-abench-XXXXXX", o.tmpdir);
    char *tmp = mkdtemp(tmpl);
    if (!tmp)
        die("cannot make a temporary directory");
    static sink s;
    sink_start(&s);
    char rules[4200], state[4200], log[4200], in[4200], pub[4200], ctl[4200];
    snprintf(rules, sizeof rules, "%s/rules", tmp);
    make_rules(&o, rules, s.port, false);
    snprintf(state, sizeof state, "%s/hstate", tmp);
    snprintf(log, sizeof log, "%s/houqind.log", tmp);
    snprintf(in, sizeof in, "ipc://%s/in", tmp);
    snprintf(pub, sizeof pub, "ipc://%s/pub", tmp);
    snprintf(ctl, sizeof ctl, "ipc://%s/ctl", tmp);
    char *hargv[] = {(char *)o.houqind, "--state", state, "--rules", rules, "--schemas", (char *)o.schemas,
                     "--ingest", in, "--publish", pub, "--control", ctl, NULL};
    pid_t hq = spawn(hargv, log, NULL);
    void *ctx = zmq_ctx_new();
    wait_houqind(ctx, ctl);
    long per = o.recipients + 2;

    /* 1. throughput: alerts waiting in houqind's outbox, alertd drains them. */
    int64_t *ack = calloc((size_t)(o.events > o.paced ? o.events : o.paced), sizeof *ack);
    send_events(ctx, in, 'b', o.events, 0, 1000, ack);
    int64_t t0 = now_ns();
    pid_t ad = start_alertd(&o, tmp, rules, pub, ctl);
    long want = o.events * per;
    wait_deliveries(&s, want);
    double from_first = (double)(atomic_load(&s.last_ns) - atomic_load(&s.first_ns)) / 1e9;
    double from_start = (double)(atomic_load(&s.last_ns) - t0) / 1e9;
    double tput = (double)want / from_first, tput_start = (double)want / from_start;

    /* 2. latency: paced events through the running pair. */
    memset(ack, 0, (size_t)o.paced * sizeof *ack);
    send_events(ctx, in, 'p', o.paced, o.rate, 1000, ack);
    wait_deliveries(&s, want + o.paced * per);
    int64_t *first = calloc((size_t)o.paced, sizeof *first), *all = calloc((size_t)o.paced, sizeof *all);
    long nl = 0;
    for (long i = 0; i < o.paced; i++) {
        long e = MAX_EVENTS / 2 + i;
        if (!ack[i] || atomic_load(&s.count[e]) != per)
            continue;
        first[nl] = atomic_load(&s.first_at[e]) - ack[i];
        all[nl] = atomic_load(&s.last_at[e]) - ack[i];
        nl++;
    }
    qsort(first, (size_t)nl, sizeof *first, cmp_i64);
    qsort(all, (size_t)nl, sizeof *all, cmp_i64);

    /* 3. one person's channel hangs: everyone else's urgent alerts. */
    make_rules(&o, rules, s.port, true);
    char alog[4200];
    snprintf(alog, sizeof alog, "%s/alertd.log", tmp);
    kill(ad, SIGHUP);
    for (int i = 0;; i++) {
        char cmd[4400];
        snprintf(cmd, sizeof cmd, "grep -q 'reloaded the configuration' '%s'", alog);
        if (system(cmd) == 0)
            break;
        if (i == 100)
            die("alertd did not reload the configuration (see alertd.log)");
        usleep(100000);
    }
    long before = atomic_load(&s.deliveries), others = per - 1;
    memset(ack, 0, (size_t)o.paced * sizeof *ack);
    send_events(ctx, in, 'f', o.paced, o.rate, 1000, ack);
    wait_deliveries(&s, before + o.paced * others);
    int64_t *fail_all = calloc((size_t)o.paced, sizeof *fail_all);
    long nf = 0;
    for (long i = 0; i < o.paced; i++) {
        long e = MAX_EVENTS / 4 * 3 + i;
        if (!ack[i] || atomic_load(&s.count[e]) != others)
            continue;
        fail_all[nf++] = atomic_load(&s.last_at[e]) - ack[i];
    }
    qsort(fail_all, (size_t)nf, sizeof *fail_all, cmp_i64);
    long hung = atomic_load(&s.hung);
    stop(ad);
    stop(hq);
    s.stop = true;

    printf("alertd throughput: %ld deliveries (%ld alerts x %ld recipients) to a keep-alive webhook sink: "
           "%.0f deliveries/s from the first delivery to the last (%.2f s), %.0f/s from alertd's start (%.2f s, "
           "replay included)\n",
           want, o.events, per, tput, from_first, tput_start, from_start);
    if (nl)
        printf("ack -> webhook latency at %.0f alerts/s (%ld alerts, %ld deliveries each): first delivery p50 %.1f "
               "ms, p99 %.1f ms, max %.1f ms; all deliveries of an alert p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
               o.rate, nl, per, pct(first, nl, 0.5), pct(first, nl, 0.99), pct(first, nl, 1.0), pct(all, nl, 0.5),
               pct(all, nl, 0.99), pct(all, nl, 1.0));
    if (nf)
        printf("one person's channel hanging (%ld tries to it, none answered): ack -> delivery to everyone else at "
               "%.0f alerts/s (%ld urgent alerts, %ld other deliveries each): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
               hung, o.rate, nf, others, pct(fail_all, nf, 0.5), pct(fail_all, nf, 0.99), pct(fail_all, nf, 1.0));
    if (o.json && nf)
        printf("{\"failing_channel_alerts\":%ld,\"failing_tries\":%ld,\"others_p50_ms\":%.2f,"
               "\"others_p99_ms\":%.2f,\"others_max_ms\":%.2f}\n",
               nf, hung, pct(fail_all, nf, 0.5), pct(fail_all, nf, 0.99), pct(fail_all, nf, 1.0));
    if (o.json && nl)
        printf("{\"deliveries\":%ld,\"alerts\":%ld,\"per_alert\":%ld,\"deliveries_per_s\":%.0f,"
               "\"deliveries_per_s_from_start\":%.0f,\"rate\":%.0f,\"latency_alerts\":%ld,"
               "\"first_p50_ms\":%.2f,\"first_p99_ms\":%.2f,\"first_max_ms\":%.2f,"
               "\"all_p50_ms\":%.2f,\"all_p99_ms\":%.2f,\"all_max_ms\":%.2f}\n",
               want, o.events, per, tput, tput_start, o.rate, nl, pct(first, nl, 0.5), pct(first, nl, 0.99),
               pct(first, nl, 1.0), pct(all, nl, 0.5), pct(all, nl, 0.99), pct(all, nl, 1.0));
    zmq_ctx_term(ctx);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "hq-alert-bench: could not remove %s\n", tmp);
    free(first);
    free(all);
    free(fail_all);
    free(ack);
    return 0;
}
