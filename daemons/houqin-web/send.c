/* Events to houqind: one sender thread owns the only DEALER socket.
 *
 * A request hands its events to the sender as one job (web_send_async)
 * and its connection is suspended; the sender sends them, matches every
 * reply by id (a hash table), and resumes the connection once each event
 * of the job is answered or given up.  The handler, called again on the
 * resumed connection, writes the reply (web_req.resumed).  No worker
 * thread waits for houqind, so every connection can have a request in
 * flight and houqind commits them in large batches.  web_send() is the
 * same for a caller that waits (the form, Open311, the console): it
 * blocks its worker until the job is done.
 *
 * Delivery is the client library's (lib/net/client.c, Lazy Pirate): when
 * the oldest event in flight has waited --ack-timeout, the socket is
 * replaced and every event in flight is resent with the same bytes (houqind
 * answers "duplicate" for those it had stored); an event unanswered after
 * 1 + send_retries times --ack-timeout from its first send is given up
 * (HQ_REPLY_TIMEOUT), and the socket is replaced then too so that nothing
 * stale is queued on it.  Events are sent in the order the jobs were
 * handed over, each job's in its own order.  An event whose id is already
 * in flight (a client's retry racing its first try) waits until that one
 * is answered and is then sent itself, so that it gets houqind's own
 * answer. */
#include "web.h"

#include "clock.h"
#include "hash.h"
#include "log.h"
#include "mem.h"
#include "mp.h"

#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define WINDOW 20000 /* events in flight to houqind; later jobs wait in the queue */

typedef struct ev {
    struct web_job *job;
    size_t i;                /* job->out[i] */
    int64_t first_us, sent_us;
    int tries;
    struct ev *prev, *next;  /* in flight, in send order (oldest first) */
    struct ev *hnext;        /* hash chain */
    struct ev *blocked;      /* later events with the same id, sent after this one is answered */
} ev;

struct web_job {
    web_out *out;
    hq_client_reply *rep;
    size_t n, left, next_ev; /* left: events not yet answered; next_ev: the next one to send */
    struct MHD_Connection *conn; /* resumed when done; NULL: a thread waits (web_send) */
    atomic_int done;
    int rc;
    char msg[256];
    struct web_job *next;
    ev ev[];
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;          /* web_send's waiters */
    struct web_job *in_head, *in_tail; /* handed over, under lock */
    bool started, stopping;
    int efd;
    pthread_t thread;
    atomic_long suspended;        /* requests with a job (suspended, or resumed and not yet answered) */
    atomic_ullong counter;        /* web_make_id */
    uint32_t tag;
    /* the sender thread's own */
    void *ctx, *sock;
    struct web_job *q_head, *q_tail; /* taken, not every event sent yet */
    ev **tab;
    size_t nb, count;
    ev *oldest, *newest;
    size_t inflight;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .efd = -1};

static int64_t now_us(void)
{
    return (int64_t)(hq_mono_ns() / 1000);
}

static uint64_t hash_id(const char *s)
{
    return hq_hash_str(s);
}

static const char *ev_id(const ev *e)
{
    return e->job->out[e->i].id;
}

/* ---- the id table (chained, grows) ---- */

static ev *tab_find(const char *id)
{
    for (ev *e = S.tab[hash_id(id) & (S.nb - 1)]; e; e = e->hnext)
        if (strcmp(ev_id(e), id) == 0)
            return e;
    return NULL;
}

static void tab_insert(ev *e)
{
    if (S.count + 1 > S.nb) {
        size_t nb = S.nb * 2;
        ev **t = hq_calloc(nb, sizeof *t);
        for (size_t i = 0; i < S.nb; i++)
            for (ev *x = S.tab[i], *nx; x; x = nx) {
                nx = x->hnext;
                size_t k = hash_id(ev_id(x)) & (nb - 1);
                x->hnext = t[k];
                t[k] = x;
            }
        free(S.tab);
        S.tab = t;
        S.nb = nb;
    }
    size_t k = hash_id(ev_id(e)) & (S.nb - 1);
    e->hnext = S.tab[k];
    S.tab[k] = e;
    S.count++;
}

static void tab_remove(ev *e)
{
    for (ev **p = &S.tab[hash_id(ev_id(e)) & (S.nb - 1)]; *p; p = &(*p)->hnext)
        if (*p == e) {
            *p = e->hnext;
            e->hnext = NULL;
            S.count--;
            return;
        }
}

/* ---- in flight ---- */

static void list_unlink(ev *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        S.oldest = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        S.newest = e->prev;
    e->prev = e->next = NULL;
}

static void list_append(ev *e)
{
    e->prev = S.newest;
    e->next = NULL;
    if (S.newest)
        S.newest->next = e;
    else
        S.oldest = e;
    S.newest = e;
}

static int connect_sock(hq_err *err)
{
    if (S.sock)
        zmq_close(S.sock);
    S.sock = zmq_socket(S.ctx, ZMQ_DEALER);
    if (!S.sock)
        return hq_err_set(err, HQ_EIO, "zmq_socket: %s", zmq_strerror(errno));
    int zero = 0, hwm = 0;
    zmq_setsockopt(S.sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(S.sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(S.sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    web *w = g_web;
    int rc = 0;
    if (w->curve && (zmq_setsockopt(S.sock, ZMQ_CURVE_SERVERKEY, w->curve_server, 40) != 0 ||
                     zmq_setsockopt(S.sock, ZMQ_CURVE_PUBLICKEY, w->curve_public, 40) != 0 ||
                     zmq_setsockopt(S.sock, ZMQ_CURVE_SECRETKEY, w->curve_secret, 40) != 0))
        rc = hq_err_set(err, HQ_EIO, "CURVE keys not accepted: %s", zmq_strerror(errno));
    else if (zmq_connect(S.sock, w->ingest) != 0)
        rc = hq_err_set(err, HQ_EIO, "cannot connect to %s: %s", w->ingest, zmq_strerror(errno));
    if (rc) {
        zmq_close(S.sock);
        S.sock = NULL;
    }
    return rc;
}

static void send_frame(ev *e)
{
    e->sent_us = now_us();
    e->tries++;
    const web_out *o = &e->job->out[e->i];
    /* Never wait here: an event not sent now (no peer yet) is resent when
     * its reply is overdue, like one whose reply was lost. */
    zmq_send(S.sock, o->frame, o->len, ZMQ_DONTWAIT);
}

/* Resumes the request, or wakes web_send's caller.  The job is not
 * touched afterwards: its owner frees it. */
static void job_done(struct web_job *j)
{
    if (j->conn) {
        struct MHD_Connection *conn = j->conn;
        atomic_store_explicit(&j->done, 1, memory_order_release);
        MHD_resume_connection(conn);
    } else {
        pthread_mutex_lock(&S.lock);
        atomic_store_explicit(&j->done, 1, memory_order_release);
        pthread_cond_broadcast(&S.cond);
        pthread_mutex_unlock(&S.lock);
    }
}

static void ev_start(ev *e)
{
    ev *o = tab_find(ev_id(e));
    if (o) {
        while (o->blocked)
            o = o->blocked;
        o->blocked = e;
        return;
    }
    tab_insert(e);
    list_append(e);
    S.inflight++;
    e->tries = 0;
    e->first_us = now_us();
    send_frame(e);
}

/* The answer to e (a reply, or its timeout): the job learns it, and the
 * next event with the same id, if any, goes out. */
static void ev_resolve(ev *e, const hq_client_reply *r)
{
    tab_remove(e);
    list_unlink(e);
    S.inflight--;
    ev *b = e->blocked;
    e->blocked = NULL;
    struct web_job *j = e->job;
    j->rep[e->i] = *r;
    if (--j->left == 0)
        job_done(j); /* e is gone with j from here on */
    if (b)
        ev_start(b); /* keeps b->blocked, the ones after it */
}

static void give_up(ev *e)
{
    hq_client_reply r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "%s", ev_id(e));
    r.status = HQ_REPLY_TIMEOUT;
    snprintf(r.error, sizeof r.error, "no reply from %s after %d tries", g_web->ingest, e->tries);
    r.latency_us = now_us() - e->first_us;
    ev_resolve(e, &r);
}

/* One reply frame from houqind. */
static void on_reply(msgpack_zone *zone, const char *buf, size_t len)
{
    msgpack_object o;
    hq_err e;
    msgpack_zone_clear(zone);
    if (hq_mp_decode(buf, len, &hq_mp_default_limits, zone, &o, &e) != 0 || o.type != MSGPACK_OBJECT_MAP)
        return;
    const msgpack_object *id = hq_mp_map_get(&o, "id");
    const msgpack_object *st = hq_mp_map_get(&o, "status");
    const msgpack_object *seq = hq_mp_map_get(&o, "seq");
    const msgpack_object *er = hq_mp_map_get(&o, "error");
    hq_client_reply r;
    memset(&r, 0, sizeof r);
    if (!id || id->type != MSGPACK_OBJECT_STR || id->via.str.size >= sizeof r.id)
        return;
    memcpy(r.id, id->via.str.ptr, id->via.str.size);
    ev *p = tab_find(r.id);
    if (!p)
        return; /* answered twice after a resend, or given up: ignored */
    r.status = hq_mp_str_eq(st, "stored")      ? HQ_REPLY_STORED
               : hq_mp_str_eq(st, "duplicate") ? HQ_REPLY_DUPLICATE
                                               : HQ_REPLY_REJECTED;
    if (seq && seq->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        r.seq = seq->via.u64;
    if (er && er->type == MSGPACK_OBJECT_STR)
        snprintf(r.error, sizeof r.error, "%.*s", (int)er->via.str.size, er->via.str.ptr);
    r.latency_us = now_us() - p->first_us;
    ev_resolve(p, &r);
}

/* A job that cannot be sent (no socket): answered at once with rc. */
static void job_fail(struct web_job *j, const hq_err *err)
{
    j->rc = err->code ? err->code : HQ_EIO;
    snprintf(j->msg, sizeof j->msg, "%s", err->msg);
    job_done(j);
}

/* Takes the jobs handed over since the last look. */
static void take_jobs(void)
{
    uint64_t v;
    if (read(S.efd, &v, sizeof v) < 0 && errno != EAGAIN)
        hq_log_err("sender: eventfd: %s", strerror(errno));
    pthread_mutex_lock(&S.lock);
    struct web_job *j = S.in_head;
    S.in_head = S.in_tail = NULL;
    pthread_mutex_unlock(&S.lock);
    while (j) {
        struct web_job *next = j->next;
        j->next = NULL;
        hq_err err = {0};
        if (!S.sock && connect_sock(&err) != 0) {
            job_fail(j, &err);
        } else {
            if (S.q_tail)
                S.q_tail->next = j;
            else
                S.q_head = j;
            S.q_tail = j;
        }
        j = next;
    }
}

/* Sends queued events while the window allows. */
static void fill(void)
{
    while (S.q_head && S.inflight < WINDOW) {
        struct web_job *j = S.q_head;
        while (j->next_ev < j->n && !j->out[j->next_ev].frame)
            j->next_ev++;
        if (j->next_ev < j->n) {
            ev *e = &j->ev[j->next_ev++];
            e->job = j;
            e->i = j->next_ev - 1;
            ev_start(e);
        }
        while (j->next_ev < j->n && !j->out[j->next_ev].frame)
            j->next_ev++;
        if (j->next_ev == j->n) { /* every event handed out: off the queue (it may be done already) */
            S.q_head = j->next;
            if (!S.q_head)
                S.q_tail = NULL;
        }
    }
}

/* Gives up overdue events; replaces the socket and resends everything in
 * flight when the oldest reply is overdue (or after a give-up). */
static void timers(void)
{
    int64_t t = (int64_t)g_web->send_timeout_ms * 1000, give = t * (1 + g_web->send_retries);
    int64_t now = now_us();
    bool reconnect = false;
    while (S.oldest && now - S.oldest->first_us >= give) {
        give_up(S.oldest);
        reconnect = true;
    }
    if (S.oldest && now - S.oldest->sent_us >= t)
        reconnect = true;
    if (!reconnect)
        return;
    hq_err err;
    if (connect_sock(&err) != 0) {
        hq_log_err("sender: %s", err.msg);
        return; /* tried again at the next timeout */
    }
    /* In the original order: each goes to the tail as it is resent. */
    size_t n = S.inflight;
    for (size_t i = 0; i < n && S.oldest; i++) {
        ev *e = S.oldest;
        list_unlink(e);
        list_append(e);
        send_frame(e);
    }
}

static long poll_timeout_ms(void)
{
    if (!S.oldest)
        return -1;
    int64_t t = (int64_t)g_web->send_timeout_ms * 1000, give = t * (1 + g_web->send_retries);
    int64_t due = S.oldest->sent_us + t;
    if (S.oldest->first_us + give < due)
        due = S.oldest->first_us + give;
    int64_t ms = (due - now_us() + 999) / 1000;
    return ms < 0 ? 0 : (long)ms;
}

static void *sender(void *arg)
{
    (void)arg;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    for (;;) {
        pthread_mutex_lock(&S.lock);
        bool quit = S.stopping && !S.in_head && !S.q_head && !S.oldest;
        pthread_mutex_unlock(&S.lock);
        if (quit)
            break;
        zmq_pollitem_t it[2] = {{NULL, S.efd, ZMQ_POLLIN, 0}, {S.sock, 0, ZMQ_POLLIN, 0}};
        int n = zmq_poll(it, S.sock ? 2 : 1, poll_timeout_ms());
        if (n < 0 && errno != EINTR) {
            hq_log_err("sender: zmq_poll: %s", zmq_strerror(errno));
            usleep(10000);
        }
        if (n > 0 && S.sock && (it[1].revents & ZMQ_POLLIN)) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, S.sock, ZMQ_DONTWAIT) >= 0)
                on_reply(&zone, zmq_msg_data(&m), zmq_msg_size(&m));
            zmq_msg_close(&m);
        }
        if (n > 0 && (it[0].revents & ZMQ_POLLIN))
            take_jobs();
        timers();
        fill();
    }
    msgpack_zone_destroy(&zone);
    return NULL;
}

int web_sender_start(hq_err *err)
{
    S.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (S.efd < 0)
        return hq_err_set(err, HQ_EIO, "eventfd: %s", strerror(errno));
    S.nb = 1024;
    S.tab = hq_calloc(S.nb, sizeof *S.tab);
    randombytes_buf(&S.tag, sizeof S.tag);
    S.ctx = zmq_ctx_new();
    hq_err e;
    if (connect_sock(&e) != 0)
        hq_log_err("%s (tried again with each request)", e.msg);
    if (pthread_create(&S.thread, NULL, sender, NULL) != 0)
        return hq_err_set(err, HQ_EIO, "cannot start the sender thread");
    pthread_mutex_lock(&S.lock);
    S.started = true;
    pthread_mutex_unlock(&S.lock);
    return 0;
}

void web_sender_stop(int wait_ms)
{
    pthread_mutex_lock(&S.lock);
    bool started = S.started;
    S.stopping = true;
    uint64_t one = 1;
    if (started && write(S.efd, &one, sizeof one) < 0)
        hq_log_err("sender: eventfd: %s", strerror(errno));
    pthread_mutex_unlock(&S.lock);
    if (!started)
        return;
    pthread_join(S.thread, NULL);
    pthread_mutex_lock(&S.lock);
    S.started = false;
    pthread_mutex_unlock(&S.lock);
    /* Every job is done and its connection resumed; MHD_stop_daemon must
     * not meet a suspended connection, so wait for the handlers. */
    for (int i = 0; i < wait_ms / 10 && atomic_load(&S.suspended) > 0; i++)
        usleep(10000);
    if (S.sock)
        zmq_close(S.sock);
    S.sock = NULL;
    zmq_ctx_term(S.ctx);
    S.ctx = NULL;
    free(S.tab);
    S.tab = NULL;
    close(S.efd);
    S.efd = -1;
}

static struct web_job *job_new(web_out *out, size_t n, hq_client_reply *replies)
{
    struct web_job *j = hq_calloc(1, sizeof *j + n * sizeof(ev));
    j->out = out;
    j->rep = replies;
    j->n = n;
    for (size_t i = 0; i < n; i++) {
        replies[i].status = HQ_REPLY_TIMEOUT;
        snprintf(replies[i].id, sizeof replies[i].id, "%s", out[i].id);
        replies[i].error[0] = '\0';
        replies[i].seq = 0;
        j->left += out[i].frame != NULL;
    }
    return j;
}

/* Hands j to the sender; suspends conn first (under the lock, so that the
 * sender cannot resume it before).  HQ_EIO when stopping. */
static int hand_over(struct web_job *j, struct MHD_Connection *conn, hq_err *err)
{
    pthread_mutex_lock(&S.lock);
    if (!S.started || S.stopping) {
        pthread_mutex_unlock(&S.lock);
        return hq_err_set(err, HQ_EIO, "houqin-web is stopping");
    }
    if (conn) {
        j->conn = conn;
        atomic_fetch_add(&S.suspended, 1);
        MHD_suspend_connection(conn);
    }
    bool wake = !S.in_head;
    if (S.in_tail)
        S.in_tail->next = j;
    else
        S.in_head = j;
    S.in_tail = j;
    /* Under the lock: the sender may not quit (and its eventfd close)
     * while a job is handed over. */
    uint64_t one = 1;
    if (wake && write(S.efd, &one, sizeof one) < 0)
        hq_log_err("sender: eventfd: %s", strerror(errno));
    pthread_mutex_unlock(&S.lock);
    return 0;
}

int web_send_async(web_req *r, web_out *out, size_t n, hq_client_reply *replies, web_resumed_fn resumed, hq_err *err)
{
    struct web_job *j = job_new(out, n, replies);
    if (j->left == 0) {
        free(j);
        return hq_err_set(err, HQ_EINVAL, "nothing to send");
    }
    r->resumed = resumed;
    r->job = j;
    int rc = hand_over(j, r->conn, err);
    if (rc) {
        r->job = NULL;
        r->resumed = NULL;
        free(j);
    }
    return rc;
}

bool web_send_ready(web_req *r)
{
    return r->job && atomic_load_explicit(&r->job->done, memory_order_acquire);
}

int web_send_result(web_req *r, hq_err *err)
{
    if (!r->job || !r->job->rc)
        return 0;
    return hq_err_set(err, r->job->rc, "%s", r->job->msg);
}

void web_send_release(web_req *r)
{
    if (!r->job)
        return;
    /* completed() on a request whose job is not done would mean MHD closed
     * a suspended connection, which it does not (web_sender_stop waits). */
    if (!atomic_load_explicit(&r->job->done, memory_order_acquire)) {
        hq_log_err("a request ended while its events were in flight; its job is leaked");
        r->job = NULL;
        return;
    }
    free(r->job);
    r->job = NULL;
    r->resumed = NULL;
    atomic_fetch_sub(&S.suspended, 1);
}

int web_send(web_out *out, size_t n, hq_client_reply *replies, hq_err *err)
{
    struct web_job *j = job_new(out, n, replies);
    if (j->left == 0) {
        free(j);
        return 0;
    }
    int rc = hand_over(j, NULL, err);
    if (rc) {
        free(j);
        return rc;
    }
    pthread_mutex_lock(&S.lock);
    while (!atomic_load_explicit(&j->done, memory_order_acquire))
        pthread_cond_wait(&S.cond, &S.lock);
    pthread_mutex_unlock(&S.lock);
    rc = j->rc ? hq_err_set(err, j->rc, "%s", j->msg) : 0;
    free(j);
    return rc;
}

void web_make_id(char *buf, size_t size)
{
    /* As hq_client_make_id: time-ordered, a per-process counter and tag. */
    unsigned long long c = atomic_fetch_add(&S.counter, 1);
    snprintf(buf, size, "%012llx-%08llx-%08x", (unsigned long long)hq_wall_ms(), c & 0xffffffffULL, S.tag);
}

void web_tracking_new(char *buf, size_t size)
{
    /* No 0/O, 1/I: read aloud over the phone. */
    static const char al[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    time_t t = (time_t)(hq_wall_ms() / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char rnd[7];
    for (int i = 0; i < 6; i++)
        rnd[i] = al[randombytes_uniform(32)];
    rnd[6] = '\0';
    snprintf(buf, size, "W%04d%02d%02d-%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, rnd);
}
