/* hq-web-paced: a paced (open-loop) HTTP/1.1 POST client for
 * bench/web_bench.sh (issue 15).  wrk2 is not in Debian, and wrk's own
 * delay() paces each connection separately and measures from the actual
 * send (coordinated omission), so this program does the paced run.
 *
 *   hq-web-paced --port P [--host 127.0.0.1] --kind hq|am [--token T]
 *                [--rate 1000] [--seconds 20] [--connections 16] [--batch 1]
 *                [--nonce N] [--json]
 *
 * Request g is *scheduled* at start + g/rate.  It goes out on the first idle
 * keep-alive connection; when none is idle it waits in a queue, and its
 * latency is still measured from the scheduled time, so that a stall counts
 * against every request it held back.  Waits use a timerfd with an absolute
 * deadline (timer slack 1 us), so 1,000/s are paced to the microsecond.
 * Latencies are recorded for every request (nearest-rank percentiles).
 * The bodies are those of bench/web_post.lua: hq is one sensor.reading event
 * (a JSON array of --batch events when --batch > 1) for POST /api/v1/events
 * with the bearer token; am is one alert for Alertmanager's POST
 * /api/v2/alerts.  Every id is unique (--nonce, a counter).  A reply counts
 * as ok when its status is 200 and, for hq, it holds one "status":"stored"
 * per event.
 *
 * Prints one human line and one line "WEBPACED key=value ..." that
 * web_bench.sh reads.  Exit status 0 when every request was answered ok,
 * 1 otherwise, 2 on a usage error.  Self-contained: libc only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct conn {
    int fd;
    bool busy;
    int64_t sched_ns, sent_ns;
    char out[1 << 16];
    size_t out_len, out_off;
    char in[1 << 16];
    size_t in_len;
} conn;

static const char *host = "127.0.0.1", *kind = "hq", *token = "";
static int port, nconn = 16, batch = 1;
static double rate = 1000, seconds = 20;
static unsigned long long nonce;
static uint64_t counter;
static struct sockaddr_in sa;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return (double)v[k - 1] / 1e6;
}

static int open_conn(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Appends one body to b (the same as web_post.lua). */
static size_t body(char *b, size_t cap)
{
    size_t n = 0;
    long long ts = (long long)time(NULL) * 1000;
    if (strcmp(kind, "am") == 0) {
        counter++;
        return (size_t)snprintf(b, cap,
                                "[{\"labels\":{\"alertname\":\"sensor.reading\",\"id\":\"%012llx-%010llx-%04x\","
                                "\"sensor\":\"cs-001\",\"kind\":\"cold_storage_temp\",\"site\":\"canteen-1\"},"
                                "\"annotations\":{\"value\":\"4.5\",\"unit\":\"C\"},"
                                "\"generatorURL\":\"http://127.0.0.1/bench\"}]",
                                nonce, (unsigned long long)counter, 0xffff);
    }
    if (batch > 1)
        b[n++] = '[';
    for (int i = 0; i < batch; i++) {
        counter++;
        n += (size_t)snprintf(b + n, cap - n,
                              "%s{\"id\":\"%012llx-%010llx-%04x\",\"type\":\"sensor.reading\",\"ts\":%lld,"
                              "\"data\":{\"sensor\":\"cs-001\",\"kind\":\"cold_storage_temp\",\"value\":4.5,"
                              "\"unit\":\"C\",\"site\":\"canteen-1\"}}",
                              i ? "," : "", nonce, (unsigned long long)counter, 0xffff, ts);
    }
    if (batch > 1)
        b[n++] = ']';
    return n;
}

static void build_request(conn *c)
{
    static char b[1 << 15];
    size_t bl = body(b, sizeof b);
    bool am = strcmp(kind, "am") == 0;
    int n = snprintf(c->out, sizeof c->out,
                     "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n%s%s%s"
                     "Content-Length: %zu\r\n\r\n",
                     am ? "/api/v2/alerts" : "/api/v1/events", host, port, am ? "" : "Authorization: Bearer ",
                     am ? "" : token, am ? "" : "\r\n", bl);
    memcpy(c->out + n, b, bl);
    c->out_len = (size_t)n + bl;
    c->out_off = 0;
}

/* 1: a whole response is in c->in (its status in *status, *ok whether it
 * is a good one), 0: not yet, -1: unparseable. */
static int parse_response(conn *c, int *status, bool *ok)
{
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end)
        return c->in_len >= sizeof c->in ? -1 : 0;
    size_t head = (size_t)(end - c->in) + 4;
    if (c->in_len < 12 || strncmp(c->in, "HTTP/1.", 7) != 0)
        return -1;
    *status = atoi(c->in + 9);
    size_t clen = 0;
    bool have = false;
    for (char *p = c->in; p < end;) {
        char *nl = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
        if (!nl)
            break;
        if (strncasecmp(p, "Content-Length:", 15) == 0) {
            clen = strtoull(p + 15, NULL, 10);
            have = true;
        }
        p = nl + 2;
    }
    if (!have && *status != 204)
        return -1; /* neither server sends chunked replies to these requests */
    if (c->in_len < head + clen)
        return c->in_len >= sizeof c->in ? -1 : 0;
    *ok = *status == 200;
    if (*ok && strcmp(kind, "hq") == 0) {
        int stored = 0;
        const char *p = c->in + head, *e = c->in + head + clen;
        while ((p = memmem(p, (size_t)(e - p), "\"status\":\"stored\"", 17)) != NULL) {
            stored++;
            p += 17;
        }
        *ok = stored == batch;
    }
    memmove(c->in, c->in + head + clen, c->in_len - head - clen);
    c->in_len -= head + clen;
    return 1;
}

static void usage(void)
{
    fputs("usage: hq-web-paced --port P [--host 127.0.0.1] --kind hq|am [--token T] [--rate 1000]\n"
          "                    [--seconds 20] [--connections 16] [--batch 1] [--nonce N]\n",
          stderr);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"host", required_argument, NULL, 'H'},    {"port", required_argument, NULL, 'p'},
        {"kind", required_argument, NULL, 'k'},    {"token", required_argument, NULL, 't'},
        {"rate", required_argument, NULL, 'r'},    {"seconds", required_argument, NULL, 's'},
        {"connections", required_argument, NULL, 'c'}, {"batch", required_argument, NULL, 'b'},
        {"nonce", required_argument, NULL, 'n'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (o) {
        case 'H': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'k': kind = optarg; break;
        case 't': token = optarg; break;
        case 'r': rate = atof(optarg); break;
        case 's': seconds = atof(optarg); break;
        case 'c': nconn = atoi(optarg); break;
        case 'b': batch = atoi(optarg); break;
        case 'n': nonce = strtoull(optarg, NULL, 0); break;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
    }
    if (port <= 0 || rate <= 0 || seconds <= 0 || nconn < 1 || nconn > 1024 || batch < 1 || batch > 200 ||
        (strcmp(kind, "hq") != 0 && strcmp(kind, "am") != 0) || (strcmp(kind, "am") == 0 && batch != 1)) {
        usage();
        return 2;
    }
    if (!nonce)
        nonce = (unsigned long long)time(NULL) * 1000;
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "hq-web-paced: --host must be an IPv4 address\n");
        return 2;
    }
    size_t total = (size_t)(rate * seconds + 0.5);
    int64_t *sched_q = calloc(total, sizeof *sched_q); /* queued scheduled times (FIFO) */
    int64_t *lat = calloc(total, sizeof *lat);
    conn *cs = calloc((size_t)nconn, sizeof *cs);
    if (!sched_q || !lat || !cs) {
        fprintf(stderr, "hq-web-paced: out of memory\n");
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC), tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    for (int i = 0; i < nconn; i++) {
        cs[i].fd = open_conn();
        if (cs[i].fd < 0) {
            fprintf(stderr, "hq-web-paced: connect %s:%d: %s\n", host, port, strerror(errno));
            return 1;
        }
        ev.events = EPOLLIN;
        ev.data.u32 = (uint32_t)i;
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    size_t scheduled = 0, qhead = 0, qtail = 0, done = 0, nok = 0, nbad = 0, late = 0, reconnects = 0;
    int64_t max_lag = 0, lat_sum_service = 0;
    int first_bad = 0;
    char first_bad_text[200] = "";
    int64_t start = now_ns() + 20000000; /* 20 ms to settle */
    int64_t interval = (int64_t)(1e9 / rate);
    int64_t stop_wait = 0;
    for (;;) {
        int64_t now = now_ns();
        while (scheduled < total && start + (int64_t)scheduled * interval <= now)
            sched_q[qtail++] = start + (int64_t)(scheduled++) * interval;
        /* Idle connections take the oldest queued requests. */
        for (int i = 0; i < nconn && qhead < qtail; i++) {
            conn *c = &cs[i];
            if (c->busy)
                continue;
            c->busy = true;
            c->sched_ns = sched_q[qhead++];
            build_request(c);
            c->sent_ns = now_ns();
            int64_t lag = c->sent_ns - c->sched_ns;
            if (lag > max_lag)
                max_lag = lag;
            late += lag > 1000000;
            ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
            if (w < 0) {
                w = 0;
            }
            c->out_off = (size_t)w;
            if (c->out_off < c->out_len) { /* the rest when writable */
                ev.events = EPOLLIN | EPOLLOUT;
                ev.data.u32 = (uint32_t)i;
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
        }
        if (done == total)
            break;
        if (scheduled == total && stop_wait == 0)
            stop_wait = now + 10000000000LL; /* 10 s for the last replies */
        if (stop_wait && now > stop_wait)
            break;
        int64_t next = scheduled < total ? start + (int64_t)scheduled * interval : stop_wait;
        struct itimerspec its = {.it_value = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000}};
        timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, -1);
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        for (int k = 0; k < n; k++) {
            uint32_t id = evs[k].data.u32;
            if (id == UINT32_MAX) {
                uint64_t x;
                while (read(tfd, &x, sizeof x) > 0)
                    ;
                continue;
            }
            conn *c = &cs[id];
            if (evs[k].events & EPOLLOUT) {
                ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w > 0)
                    c->out_off += (size_t)w;
                if (c->out_off == c->out_len) {
                    ev.events = EPOLLIN;
                    ev.data.u32 = id;
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
            int status = 0;
            bool ok = false;
            int pr = 0;
            if (r > 0) {
                c->in_len += (size_t)r;
                pr = parse_response(c, &status, &ok);
            } else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (r <= 0 || pr < 0) { /* closed or garbage: the request fails, reconnect */
                if (c->busy) {
                    lat[done++] = now_ns() - c->sched_ns;
                    nbad++;
                    if (!first_bad)
                        first_bad = r <= 0 ? -1 : -2;
                }
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = open_conn();
                reconnects++;
                c->busy = false;
                c->in_len = 0;
                if (c->fd < 0) {
                    fprintf(stderr, "hq-web-paced: reconnect failed: %s\n", strerror(errno));
                    goto out;
                }
                ev.events = EPOLLIN;
                ev.data.u32 = id;
                epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
                continue;
            }
            if (pr == 0)
                continue;
            int64_t t = now_ns();
            lat[done++] = t - c->sched_ns;
            lat_sum_service += t - c->sent_ns;
            c->busy = false;
            if (ok) {
                nok++;
            } else {
                nbad++;
                if (!first_bad) {
                    first_bad = status;
                    snprintf(first_bad_text, sizeof first_bad_text, "%.150s", c->in);
                }
            }
        }
    }
out:;
    int64_t end = now_ns();
    size_t lost = total - done;
    qsort(lat, done, sizeof *lat, cmp64);
    double secs = (double)(end - start) / 1e9;
    double p50 = pct(lat, done, 50), p90 = pct(lat, done, 90), p99 = pct(lat, done, 99),
           p999 = pct(lat, done, 99.9), mx = done ? (double)lat[done - 1] / 1e6 : 0;
    double svc = done ? (double)lat_sum_service / (double)done / 1e6 : 0;
    fprintf(stderr,
            "hq-web-paced: %s %.0f req/s x %.0f s on %d connections: %zu requests, %zu ok, %zu bad, %zu lost; "
            "%.1f req/s; latency from schedule p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f ms; "
            "mean service %.2f ms; %zu sends > 1 ms late (max %.2f ms)\n",
            kind, rate, seconds, nconn, total, nok, nbad, lost, (double)nok / secs, p50, p90, p99, p999, mx, svc,
            late, (double)max_lag / 1e6);
    if (first_bad)
        fprintf(stderr, "hq-web-paced: first bad reply: %d %s\n", first_bad, first_bad_text);
    printf("WEBPACED requests=%zu ok=%zu bad=%zu lost=%zu seconds=%.3f rps=%.1f p50_ms=%.2f p90_ms=%.2f "
           "p99_ms=%.2f p999_ms=%.2f max_ms=%.2f service_ms=%.2f late_sends=%zu max_lag_ms=%.2f reconnects=%zu\n",
           total, nok, nbad, lost, secs, (double)nok / secs, p50, p90, p99, p999, mx, svc, late,
           (double)max_lag / 1e6, reconnects);
    for (int i = 0; i < nconn; i++)
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    return nok == total ? 0 : 1;
}
