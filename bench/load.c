/* load.c - the load generator of hq-bench.
 *
 * Each client is a thread with its own DEALER socket.  It keeps up to
 * `window` events in flight (sent, not yet answered), matches every reply to
 * its event by id (replies of different batches may come out of order), and
 * records the latency of every event on the monotonic clock.
 *
 * Full speed (rate 0): closed loop; an event is sent as soon as the window
 * has room; its latency runs from its send to its reply.
 * Paced (rate R): open loop; event g (over all clients) is scheduled at
 * start + g/R; its latency runs from that scheduled time, not from the time
 * it was actually sent, so a stall that holds back later sends (full window,
 * slow wake-up) is charged to those events too (no coordinated omission).
 *
 * Waiting uses the socket's ZMQ_FD with ppoll(), whose timeout has
 * nanosecond resolution (zmq_poll's is in milliseconds, too coarse to pace
 * 10,000 events/s). */
#define _GNU_SOURCE /* ppoll */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <msgpack.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#include <zmq.h>

/* One event in flight. */
typedef struct flight {
    uint64_t hash;
    int64_t t0;      /* ns: send time (full speed) or scheduled time (paced) */
    uint64_t k;      /* index of the event within its client */
    uint8_t idlen;
    char id[HB_ID_MAX + 1];
} flight;

typedef struct client {
    /* set by hb_load_run */
    const hb_load_opts *o;
    unsigned index;
    uint64_t n;                  /* events this client sends */
    void *zctx;
    pthread_barrier_t *barrier;  /* connected, then go */
    const int64_t *start_ns;     /* valid after the second barrier */
    /* working state */
    void *sock;
    int fd;
    flight *slots;               /* window entries */
    uint32_t *free_slots;
    uint32_t nfree;
    int32_t *table;              /* id hash -> slot, linear probing, -1 empty */
    uint32_t mask;
    uint64_t rng[4];
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_zone zone;
    /* results */
    int64_t *lat;                /* n latencies in ns, -1 = no reply */
    uint64_t sent, acked, stored, duplicate, rejected, unmatched, bad;
    int64_t end_ns;              /* time of the last reply */
    int64_t max_lag_ns;
    uint64_t late;               /* sends more than 1 ms behind schedule */
    char first_error[HB_ERR_MAX];
    int failed;
    char error[HB_ERR_MAX];
} client;

/* ---- ids ---- */

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256**: fast, good enough for UUIDv4 test ids. */
static uint64_t rng_next(uint64_t s[4])
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* Seeds s from `seed` (and the client index) or, when seed is 0, from the
 * kernel. */
static void rng_seed(uint64_t s[4], uint64_t seed, unsigned index)
{
    if (seed || getrandom(s, 4 * sizeof *s, 0) != (ssize_t)(4 * sizeof *s)) {
        uint64_t x = seed ? seed * 0x100000001b3ull + index : (uint64_t)hb_now_ns() ^ ((uint64_t)index << 48);
        for (int i = 0; i < 4; i++) /* splitmix64 */
            x += 0x9e3779b97f4a7c15ull, s[i] = (x ^ (x >> 31)) * 0xbf58476d1ce4e5b9ull;
    }
    if (!(s[0] | s[1] | s[2] | s[3]))
        s[0] = 1;
}

static const char hexd[] = "0123456789abcdef";

/* Writes v as exactly `width` lowercase hex digits (high digits dropped). */
static char *put_hex(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--, v >>= 4)
        p[i] = hexd[v & 15];
    return p + width;
}

/* Time-ordered id: 12 hex digits of the ms timestamp, '-', the client's
 * counter in 10 hex digits, '-', the client index in 4 hex digits (28
 * chars).  Sorted byte-wise, ids follow time; one client's ids are strictly
 * increasing. */
static size_t make_ordered_id(char *out, int64_t ms, uint64_t k, unsigned index)
{
    char *p = put_hex(out, (uint64_t)ms, 12);
    *p++ = '-';
    p = put_hex(p, k, 10);
    *p++ = '-';
    p = put_hex(p, index, 4);
    *p = 0;
    return (size_t)(p - out);
}

/* Random UUIDv4 in its 36-char text form. */
static size_t make_uuid4(char *out, uint64_t s[4])
{
    uint8_t b[16];
    uint64_t a = rng_next(s), c = rng_next(s);
    memcpy(b, &a, 8);
    memcpy(b + 8, &c, 8);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hexd[b[i] >> 4];
        *p++ = hexd[b[i] & 15];
    }
    *p = 0;
    return 36;
}

/* ---- the in-flight table: id -> slot ---- */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static void table_insert(client *c, uint32_t slot)
{
    uint32_t i = (uint32_t)c->slots[slot].hash & c->mask;
    while (c->table[i] >= 0)
        i = (i + 1) & c->mask;
    c->table[i] = (int32_t)slot;
}

/* Removes the entry at position i, shifting later entries of its probe run
 * back so that lookups need no tombstones. */
static void table_delete_at(client *c, uint32_t i)
{
    for (;;) {
        c->table[i] = -1;
        uint32_t j = i;
        for (;;) {
            j = (j + 1) & c->mask;
            if (c->table[j] < 0)
                return;
            uint32_t home = (uint32_t)c->slots[c->table[j]].hash & c->mask;
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        c->table[i] = c->table[j];
        i = j;
    }
}

/* Finds the event in flight with this id, removes it from the table and
 * returns its slot, or -1 when no such event is in flight. */
static int32_t table_take(client *c, const char *id, size_t n)
{
    uint64_t h = hash_bytes(id, n);
    for (uint32_t i = (uint32_t)h & c->mask;; i = (i + 1) & c->mask) {
        int32_t s = c->table[i];
        if (s < 0)
            return -1;
        flight *f = &c->slots[s];
        if (f->hash == h && f->idlen == n && memcmp(f->id, id, n) == 0) {
            table_delete_at(c, i);
            return s;
        }
    }
}

/* ---- client set-up ---- */

static int client_error(client *c, const char *what)
{
    snprintf(c->error, sizeof c->error, "client %u: %s: %s", c->index, what,
             errno ? zmq_strerror(errno) : "failed");
    c->failed = 1;
    return -1;
}

/* Allocates the window and the latency array, opens and connects the
 * DEALER.  Returns 0 or -1 (c->error set). */
static int client_open(client *c)
{
    unsigned w = c->o->window;
    uint32_t cap = 16;
    msgpack_sbuffer_init(&c->sb); /* first: client_close destroys them */
    msgpack_packer_init(&c->pk, &c->sb, msgpack_sbuffer_write);
    msgpack_zone_init(&c->zone, 1024);
    while (cap < 2u * w)
        cap <<= 1;
    c->mask = cap - 1;
    c->slots = calloc(w, sizeof *c->slots);
    c->free_slots = calloc(w, sizeof *c->free_slots);
    c->table = malloc(cap * sizeof *c->table);
    c->lat = malloc((c->n ? c->n : 1) * sizeof *c->lat);
    errno = ENOMEM;
    if (!c->slots || !c->free_slots || !c->table || !c->lat)
        return client_error(c, "allocating the window");
    memset(c->table, 0xff, cap * sizeof *c->table);
    for (uint64_t k = 0; k < c->n; k++)
        c->lat[k] = -1;
    for (uint32_t i = 0; i < w; i++)
        c->free_slots[i] = w - 1 - i;
    c->nfree = w;
    rng_seed(c->rng, c->o->seed, c->index);

    c->sock = zmq_socket(c->zctx, ZMQ_DEALER);
    if (!c->sock)
        return client_error(c, "zmq_socket");
    /* The window bounds the queues; a HWM below it would let the server's
     * ROUTER drop replies (it sends with ZMQ_DONTWAIT). */
    int zero = 0;
    size_t fdlen = sizeof c->fd;
    if (zmq_setsockopt(c->sock, ZMQ_SNDHWM, &zero, sizeof zero) ||
        zmq_setsockopt(c->sock, ZMQ_RCVHWM, &zero, sizeof zero) ||
        zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero))
        return client_error(c, "zmq_setsockopt");
    if (zmq_connect(c->sock, c->o->endpoint))
        return client_error(c, "zmq_connect");
    if (zmq_getsockopt(c->sock, ZMQ_FD, &c->fd, &fdlen))
        return client_error(c, "ZMQ_FD");
    return 0;
}

static void client_close(client *c)
{
    if (c->sock)
        zmq_close(c->sock);
    c->sock = NULL;
    msgpack_sbuffer_destroy(&c->sb);
    msgpack_zone_destroy(&c->zone);
    free(c->slots);
    free(c->free_slots);
    free(c->table);
    c->slots = NULL;
    c->free_slots = NULL;
    c->table = NULL;
}

/* ---- sending ---- */

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

#define PACK_LIT(pk, lit) pack_str((pk), (lit), sizeof(lit) - 1)

void hb_pack_event(msgpack_packer *pk, const char *id, size_t idlen, const char *source,
                   int64_t ts_ms)
{
    msgpack_pack_map(pk, 5);
    PACK_LIT(pk, "id");
    pack_str(pk, id, idlen);
    PACK_LIT(pk, "type");
    PACK_LIT(pk, "sensor.reading");
    PACK_LIT(pk, "source");
    pack_str(pk, source, strlen(source));
    PACK_LIT(pk, "ts");
    msgpack_pack_int64(pk, ts_ms);
    PACK_LIT(pk, "data");
    msgpack_pack_map(pk, 5);
    PACK_LIT(pk, "sensor");
    PACK_LIT(pk, "cs-001");
    PACK_LIT(pk, "kind");
    PACK_LIT(pk, "cold_storage_temp");
    PACK_LIT(pk, "value");
    msgpack_pack_double(pk, 4.5);
    PACK_LIT(pk, "unit");
    PACK_LIT(pk, "C");
    PACK_LIT(pk, "site");
    PACK_LIT(pk, "canteen-1");
}

/* Sends event k, whose latency is measured from t0.  The caller checked
 * that the window has room.  Returns 0 or -1 (c->error set). */
static int send_event(client *c, uint64_t k, int64_t t0)
{
    uint32_t s = c->free_slots[--c->nfree];
    flight *f = &c->slots[s];
    int64_t ms = c->o->id_ms ? c->o->id_ms : hb_wall_ms();
    f->idlen = (uint8_t)(c->o->ids == HB_IDS_ORDERED ? make_ordered_id(f->id, ms, k, c->index)
                                                     : make_uuid4(f->id, c->rng));
    f->hash = hash_bytes(f->id, f->idlen);
    f->t0 = t0;
    f->k = k;
    msgpack_sbuffer_clear(&c->sb);
    hb_pack_event(&c->pk, f->id, f->idlen, c->o->source, ms);
    /* Blocking send: with no HWM it only queues, never waits. */
    if (zmq_send(c->sock, c->sb.data, c->sb.size, 0) < 0) {
        c->free_slots[c->nfree++] = s;
        return client_error(c, "zmq_send");
    }
    table_insert(c, s);
    c->sent++;
    return 0;
}

/* ---- replies ---- */

static bool key_is(const msgpack_object_kv *kv, const char *name)
{
    size_t n = strlen(name);
    return kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n &&
           memcmp(kv->key.via.str.ptr, name, n) == 0;
}

static bool str_is(const msgpack_object *o, const char *lit)
{
    size_t n = strlen(lit);
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, lit, n) == 0;
}

/* Accounts one reply frame received at time `now`. */
static void on_reply(client *c, const char *buf, size_t len, int64_t now)
{
    msgpack_object root;
    size_t off = 0;
    msgpack_zone_clear(&c->zone);
    if (msgpack_unpack(buf, len, &off, &c->zone, &root) != MSGPACK_UNPACK_SUCCESS ||
        root.type != MSGPACK_OBJECT_MAP) {
        c->bad++;
        return;
    }
    const msgpack_object *id = NULL, *status = NULL, *error = NULL;
    for (uint32_t i = 0; i < root.via.map.size; i++) {
        const msgpack_object_kv *kv = &root.via.map.ptr[i];
        if (key_is(kv, "id"))
            id = &kv->val;
        else if (key_is(kv, "status"))
            status = &kv->val;
        else if (key_is(kv, "error"))
            error = &kv->val;
    }
    if (!id || id->type != MSGPACK_OBJECT_STR || !status) {
        c->bad++;
        return;
    }
    int32_t s = table_take(c, id->via.str.ptr, id->via.str.size);
    if (s < 0) {
        c->unmatched++;
        return;
    }
    flight *f = &c->slots[s];
    c->lat[f->k] = now - f->t0;
    c->free_slots[c->nfree++] = (uint32_t)s;
    c->acked++;
    c->end_ns = now;
    if (str_is(status, "stored")) {
        c->stored++;
    } else if (str_is(status, "duplicate")) {
        c->duplicate++;
    } else {
        c->rejected++;
        if (!c->first_error[0]) {
            const char *e = error && error->type == MSGPACK_OBJECT_STR ? error->via.str.ptr : "(no error text)";
            int el = error && error->type == MSGPACK_OBJECT_STR ? (int)error->via.str.size : 15;
            snprintf(c->first_error, sizeof c->first_error, "%.*s", el, e);
        }
    }
}

/* Receives every reply that is ready.  Returns the number received, or -1
 * on a socket error (c->error set). */
static int drain_replies(client *c)
{
    int got = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (errno == EAGAIN)
                return got;
            if (errno == EINTR)
                continue;
            return client_error(c, "zmq_msg_recv");
        }
        int64_t now = hb_now_ns();
        if (zmq_msg_more(&m)) {
            c->bad++; /* a reply is one frame: skip the rest of this one */
            while (zmq_msg_more(&m)) {
                zmq_msg_close(&m);
                zmq_msg_init(&m);
                if (zmq_msg_recv(&m, c->sock, 0) < 0)
                    break;
            }
        } else {
            on_reply(c, zmq_msg_data(&m), zmq_msg_size(&m), now);
        }
        zmq_msg_close(&m);
        got++;
    }
}

/* ---- the client loop ---- */

/* Scheduled time of this client's event k when paced. */
static int64_t scheduled(const client *c, uint64_t k)
{
    double g = (double)k * c->o->clients + c->index;
    return *c->start_ns + (int64_t)(g * 1e9 / c->o->rate);
}

static uint64_t in_flight(const client *c) { return c->sent - c->acked; }

/* Sends every event that is due while the window has room.  Returns 0 or -1. */
static int send_due(client *c, int64_t *last_progress)
{
    bool paced = c->o->rate > 0;
    while (c->sent < c->n && in_flight(c) < c->o->window) {
        int64_t now = hb_now_ns(), t0 = now;
        if (paced) {
            t0 = scheduled(c, c->sent);
            if (t0 > now)
                break;
            if (now - t0 > c->max_lag_ns)
                c->max_lag_ns = now - t0;
            c->late += now - t0 > 1000000;
        }
        if (in_flight(c) == 0)
            *last_progress = now;
        if (send_event(c, c->sent, t0))
            return -1;
    }
    return 0;
}

/* Waits on the socket's fd until it signals or `wake` (monotonic ns). */
static void wait_fd(client *c, int64_t wake)
{
    int64_t d = wake - hb_now_ns();
    if (d <= 0)
        return;
    struct timespec ts = {.tv_sec = d / 1000000000, .tv_nsec = d % 1000000000};
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    ppoll(&p, 1, &ts, NULL);
}

/* Runs the send/receive loop until every event is answered or the server
 * stalls.  Returns 0 or -1 (c->error set). */
static int client_loop(client *c)
{
    int64_t stall = (int64_t)(c->o->stall_s * 1e9);
    int64_t last_progress = hb_now_ns();
    while (c->acked < c->n) {
        if (send_due(c, &last_progress))
            return -1;
        int got = drain_replies(c);
        if (got < 0)
            return -1;
        int64_t now = hb_now_ns();
        if (got > 0) {
            last_progress = now;
            continue; /* replies freed window room */
        }
        uint32_t ev = 0;
        size_t evlen = sizeof ev;
        if (zmq_getsockopt(c->sock, ZMQ_EVENTS, &ev, &evlen))
            return client_error(c, "ZMQ_EVENTS");
        if (ev & ZMQ_POLLIN)
            continue;
        int64_t wake = INT64_MAX;
        if (in_flight(c) > 0) {
            if (now - last_progress > stall) {
                errno = 0;
                snprintf(c->error, sizeof c->error,
                         "client %u: no reply for %.0f s with %" PRIu64 " events in flight",
                         c->index, c->o->stall_s, in_flight(c));
                c->failed = 1;
                return -1;
            }
            wake = last_progress + stall + 1;
        }
        if (c->o->rate > 0 && c->sent < c->n && in_flight(c) < c->o->window) {
            int64_t due = scheduled(c, c->sent);
            if (due < wake)
                wake = due;
        }
        wait_fd(c, wake);
    }
    return 0;
}

static void *client_main(void *arg)
{
    client *c = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to the main thread */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); /* 1 us: pacing precision */
    int rc = client_open(c);
    pthread_barrier_wait(c->barrier); /* every socket connected */
    pthread_barrier_wait(c->barrier); /* start time set */
    if (rc == 0)
        client_loop(c);
    client_close(c);
    return NULL;
}

/* ---- results ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values, in ms. */
static double pct_ms(const int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t r = (size_t)ceil(p * (double)n);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return (double)v[r - 1] / 1e6;
}

/* Merges the clients' counters and latencies into r. */
static int merge_results(client *cs, unsigned nc, int64_t start, hb_load_result *r)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < nc; i++)
        total += cs[i].n;
    int64_t *all = malloc((total ? total : 1) * sizeof *all);
    if (!all) {
        snprintf(r->error, sizeof r->error, "out of memory merging latencies");
        return -1;
    }
    size_t n = 0;
    int64_t end = start, lag = 0;
    double sum = 0;
    for (unsigned i = 0; i < nc; i++) {
        client *c = &cs[i];
        for (uint64_t k = 0; c->lat && k < c->n; k++)
            if (c->lat[k] >= 0)
                all[n++] = c->lat[k], sum += (double)c->lat[k];
        r->sent += c->sent;
        r->acked += c->acked;
        r->stored += c->stored;
        r->duplicate += c->duplicate;
        r->rejected += c->rejected;
        r->unmatched += c->unmatched;
        r->bad_replies += c->bad;
        r->lost += c->n - c->acked;
        r->late_sends += c->late;
        if (c->end_ns > end)
            end = c->end_ns;
        if (c->max_lag_ns > lag)
            lag = c->max_lag_ns;
        if (!r->first_error[0] && c->first_error[0])
            memcpy(r->first_error, c->first_error, sizeof r->first_error);
        if (!r->error[0] && c->error[0])
            memcpy(r->error, c->error, sizeof r->error);
        r->failed |= c->failed;
    }
    qsort(all, n, sizeof *all, cmp_i64);
    r->seconds = (double)(end - start) / 1e9;
    r->events_per_s = r->seconds > 0 ? (double)r->acked / r->seconds : 0;
    r->p50_ms = pct_ms(all, n, 0.50);
    r->p99_ms = pct_ms(all, n, 0.99);
    r->p999_ms = pct_ms(all, n, 0.999);
    r->max_ms = n ? (double)all[n - 1] / 1e6 : 0;
    r->mean_ms = n ? sum / (double)n / 1e6 : 0;
    r->max_send_lag_ms = (double)lag / 1e6;
    free(all);
    return 0;
}

int hb_load_run(const hb_load_opts *o, hb_load_result *r)
{
    memset(r, 0, sizeof *r);
    unsigned nc = o->clients;
    client *cs = calloc(nc, sizeof *cs);
    pthread_t *th = calloc(nc, sizeof *th);
    void *zctx = zmq_ctx_new();
    pthread_barrier_t barrier;
    int64_t start = 0;
    if (!cs || !th || !zctx || pthread_barrier_init(&barrier, NULL, nc + 1)) {
        snprintf(r->error, sizeof r->error, "cannot set up %u clients", nc);
        free(cs);
        free(th);
        if (zctx)
            zmq_ctx_term(zctx);
        r->failed = 1;
        return -1;
    }
    unsigned started = 0;
    for (unsigned i = 0; i < nc; i++) {
        cs[i] = (client){.o = o, .index = i, .n = o->events / nc + (i < o->events % nc),
                         .zctx = zctx, .barrier = &barrier, .start_ns = &start};
    }
    for (; started < nc; started++)
        if (pthread_create(&th[started], NULL, client_main, &cs[started]))
            break;
    if (started < nc) {
        /* Cannot happen in practice; the started threads would wait forever
         * at the barrier, so there is no clean way back. */
        fprintf(stderr, "hq-bench: pthread_create failed\n");
        abort();
    }
    pthread_barrier_wait(&barrier);
    start = hb_now_ns() + 1000000; /* 1 ms: the first scheduled send */
    pthread_barrier_wait(&barrier);
    for (unsigned i = 0; i < nc; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    int rc = merge_results(cs, nc, start, r);
    for (unsigned i = 0; i < nc; i++)
        free(cs[i].lat);
    free(cs);
    free(th);
    zmq_ctx_term(zctx);
    if (rc == 0 && !r->failed && r->lost == 0)
        return 0;
    r->failed = 1;
    if (!r->error[0])
        snprintf(r->error, sizeof r->error, "%" PRIu64 " events got no reply", r->lost);
    return -1;
}

/* ---- printing ---- */

void hb_load_print(FILE *f, const char *label, const hb_load_opts *o, const hb_load_result *r)
{
    fprintf(f, "%s: %" PRIu64 " events, %s ids, %u client(s), window %u, %s", label, o->events,
            o->ids == HB_IDS_ORDERED ? "ordered" : "random", o->clients, o->window,
            o->rate > 0 ? "paced at " : "full speed\n");
    if (o->rate > 0)
        fprintf(f, "%.0f events/s (latency from the scheduled send)\n", o->rate);
    fprintf(f, "%s:   throughput %.0f events/s (%" PRIu64 " acked in %.3f s)\n", label,
            r->events_per_s, r->acked, r->seconds);
    fprintf(f, "%s:   ack latency ms: p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n", label,
            r->p50_ms, r->p99_ms, r->p999_ms, r->max_ms, r->mean_ms);
    fprintf(f, "%s:   replies: stored %" PRIu64 "  duplicate %" PRIu64 "  rejected %" PRIu64, label,
            r->stored, r->duplicate, r->rejected);
    if (r->unmatched || r->bad_replies || r->lost)
        fprintf(f, "  unmatched %" PRIu64 "  malformed %" PRIu64 "  lost %" PRIu64, r->unmatched,
                r->bad_replies, r->lost);
    fputc('\n', f);
    if (o->rate > 0)
        fprintf(f, "%s:   sends behind schedule: latest %.3f ms, %" PRIu64 " more than 1 ms late\n",
                label, r->max_send_lag_ms, r->late_sends);
    if (r->first_error[0])
        fprintf(f, "%s:   first rejection: %s\n", label, r->first_error);
    if (r->failed)
        fprintf(f, "%s:   FAILED: %s\n", label, r->error);
}

void hb_load_print_json_members(FILE *f, const hb_load_opts *o, const hb_load_result *r)
{
    fprintf(f, "\"ids\":\"%s\",\"clients\":%u,\"window\":%u,\"rate\":%.0f,\"events\":%" PRIu64,
            o->ids == HB_IDS_ORDERED ? "ordered" : "random", o->clients, o->window, o->rate,
            o->events);
    fprintf(f, ",\"acked\":%" PRIu64 ",\"seconds\":%.6f,\"events_per_s\":%.1f", r->acked,
            r->seconds, r->events_per_s);
    fprintf(f, ",\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"p999_ms\":%.4f,\"max_ms\":%.4f,\"mean_ms\":%.4f",
            r->p50_ms, r->p99_ms, r->p999_ms, r->max_ms, r->mean_ms);
    fprintf(f, ",\"stored\":%" PRIu64 ",\"duplicate\":%" PRIu64 ",\"rejected\":%" PRIu64, r->stored,
            r->duplicate, r->rejected);
    fprintf(f, ",\"unmatched\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"lost\":%" PRIu64,
            r->unmatched, r->bad_replies, r->lost);
    fprintf(f, ",\"max_send_lag_ms\":%.4f,\"late_sends\":%" PRIu64 ",\"failed\":%s",
            r->max_send_lag_ms, r->late_sends, r->failed ? "true" : "false");
    fputs(",\"first_error\":", f);
    hb_json_str(f, r->first_error, strlen(r->first_error));
    fputs(",\"error\":", f);
    hb_json_str(f, r->error, strlen(r->error));
}
