#include "client.h"

#include "clock.h"
#include "hash.h"
#include "mem.h"
#include "mp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zmq.h>

typedef struct pending {
    char id[65];
    void *frame;
    size_t len;
    int64_t first_us;
    int64_t sent_us;
    int tries;
    struct pending *prev, *next; /* send order: oldest first */
} pending;

typedef struct ready {
    hq_client_reply r;
    struct ready *next;
} ready;

struct hq_client {
    void *ctx;
    void *sock;
    char *endpoint;
    hq_client_opts o;
    pending **slots;      /* open addressing by id hash; TOMB marks a deleted slot */
    size_t nslots;
    size_t ntomb;
    size_t npending;
    pending *oldest, *newest;
    ready *rq_head, *rq_tail; /* replies collected while the window was full */
    uint64_t counter;
    uint32_t tag;
};

static int64_t now_us(void)
{
    return (int64_t)(hq_mono_ns() / 1000);
}

static uint64_t hash_id(const char *s)
{
    return hq_hash_str(s);
}

static pending tomb_mark;
#define TOMB (&tomb_mark)

/* Finds id's slot: the slot holding it, or (for_insert) where it goes. */
static pending **slot_find(hq_client *c, const char *id, bool for_insert)
{
    size_t i = hash_id(id) & (c->nslots - 1);
    pending **tomb = NULL;
    for (size_t n = 0; n < c->nslots; n++, i = (i + 1) & (c->nslots - 1)) {
        pending **p = &c->slots[i];
        if (!*p)
            return for_insert ? (tomb ? tomb : p) : NULL;
        if (*p == TOMB) {
            if (for_insert && !tomb)
                tomb = p;
            continue;
        }
        if (strcmp((*p)->id, id) == 0)
            return for_insert ? NULL : p;
    }
    return for_insert ? tomb : NULL;
}

/* Rebuilds the table without tombstones. */
static void slots_rehash(hq_client *c)
{
    memset(c->slots, 0, c->nslots * sizeof *c->slots);
    c->ntomb = 0;
    for (pending *p = c->oldest; p; p = p->next)
        *slot_find(c, p->id, true) = p;
}

static int connect_sock(hq_client *c, hq_err *err)
{
    if (c->sock)
        zmq_close(c->sock);
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    int zero = 0, hwm = 0;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (c->o.server_key && (zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, c->o.server_key, 40) != 0 ||
                            zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, c->o.public_key, 40) != 0 ||
                            zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, c->o.secret_key, 40) != 0))
        return hq_err_set(err, HQ_EINVAL, "CURVE keys not accepted: %s", zmq_strerror(errno));
    if (zmq_connect(c->sock, c->endpoint) != 0)
        return hq_err_set(err, HQ_EINVAL, "cannot connect to %s: %s", c->endpoint, zmq_strerror(errno));
    return 0;
}

int hq_client_new(const char *endpoint, const hq_client_opts *opts, hq_client **out, hq_err *err)
{
    hq_client *c = hq_calloc(1, sizeof *c);
    c->o = opts ? *opts : (hq_client_opts){0};
    if (c->o.timeout_ms <= 0)
        c->o.timeout_ms = 2500;
    if (c->o.retries <= 0)
        c->o.retries = 3;
    if (c->o.window == 0)
        c->o.window = 1000;
    c->nslots = 16;
    while (c->nslots < c->o.window * 2 + 2)
        c->nslots *= 2;
    c->slots = hq_calloc(c->nslots, sizeof *c->slots);
    c->endpoint = hq_strdup(endpoint);
    c->ctx = zmq_ctx_new();
    if (getrandom(&c->tag, sizeof c->tag, 0) != sizeof c->tag)
        c->tag = (uint32_t)now_us();
    int rc = connect_sock(c, err);
    if (rc == 0) {
        *out = c;
        c = NULL;
    }
    hq_client_destroy(&c);
    return rc;
}

void hq_client_destroy(hq_client **cp)
{
    hq_client *c = cp ? *cp : NULL;
    if (!c)
        return;
    while (c->oldest) {
        pending *p = c->oldest;
        c->oldest = p->next;
        free(p->frame);
        free(p);
    }
    while (c->rq_head) {
        ready *r = c->rq_head;
        c->rq_head = r->next;
        free(r);
    }
    if (c->sock)
        zmq_close(c->sock);
    if (c->ctx)
        zmq_ctx_term(c->ctx);
    free(c->slots);
    free(c->endpoint);
    free(c);
    *cp = NULL;
}

void hq_client_make_id(hq_client *c, char *buf, size_t size)
{
    snprintf(buf, size, "%012llx-%08llx-%08x", (unsigned long long)hq_wall_ms(),
             (unsigned long long)(c->counter++ & 0xffffffffULL), c->tag);
}

size_t hq_client_pending(const hq_client *c)
{
    return c->npending;
}

const char *hq_reply_status_name(hq_reply_status s)
{
    switch (s) {
    case HQ_REPLY_STORED: return "stored";
    case HQ_REPLY_DUPLICATE: return "duplicate";
    case HQ_REPLY_REJECTED: return "rejected";
    default: return "timeout";
    }
}

static void list_unlink(hq_client *c, pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        c->oldest = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        c->newest = p->prev;
    p->prev = p->next = NULL;
}

static void list_append(hq_client *c, pending *p)
{
    p->prev = c->newest;
    p->next = NULL;
    if (c->newest)
        c->newest->next = p;
    else
        c->oldest = p;
    c->newest = p;
}

static void pending_drop(hq_client *c, pending *p)
{
    pending **slot = slot_find(c, p->id, false);
    if (slot) {
        *slot = TOMB;
        c->ntomb++;
    }
    list_unlink(c, p);
    free(p->frame);
    free(p);
    c->npending--;
}

static int send_frame(hq_client *c, pending *p)
{
    p->sent_us = now_us();
    p->tries++;
    /* A DEALER with no peer (houqind down, or the handshake refused) would
     * block: never wait here.  An event not sent now is resent when its
     * reply is overdue, like one whose reply was lost. */
    if (zmq_send(c->sock, p->frame, p->len, ZMQ_DONTWAIT) < 0 && errno != EAGAIN)
        return -1;
    return 0;
}

/* Parses one reply frame; fills r.  Returns 0 when it names a pending id. */
static int take_reply(hq_client *c, const char *buf, size_t len, hq_client_reply *r)
{
    msgpack_zone zone;
    msgpack_object o;
    hq_err e;
    int rc = -1;
    msgpack_zone_init(&zone, 1024);
    if (hq_mp_decode(buf, len, &hq_mp_default_limits, &zone, &o, &e) == 0 && o.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *id = hq_mp_map_get(&o, "id");
        const msgpack_object *st = hq_mp_map_get(&o, "status");
        const msgpack_object *seq = hq_mp_map_get(&o, "seq");
        const msgpack_object *er = hq_mp_map_get(&o, "error");
        memset(r, 0, sizeof *r);
        if (id && id->type == MSGPACK_OBJECT_STR && id->via.str.size < sizeof r->id) {
            memcpy(r->id, id->via.str.ptr, id->via.str.size);
            pending **slot = slot_find(c, r->id, false);
            if (slot) {
                pending *p = *slot;
                r->status = hq_mp_str_eq(st, "stored")      ? HQ_REPLY_STORED
                            : hq_mp_str_eq(st, "duplicate") ? HQ_REPLY_DUPLICATE
                                                            : HQ_REPLY_REJECTED;
                if (seq && seq->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                    r->seq = seq->via.u64;
                if (er && er->type == MSGPACK_OBJECT_STR)
                    snprintf(r->error, sizeof r->error, "%.*s", (int)er->via.str.size, er->via.str.ptr);
                r->latency_us = now_us() - p->first_us;
                pending_drop(c, p);
                rc = 0;
            }
        }
    }
    msgpack_zone_destroy(&zone);
    return rc; /* replies for unknown ids (answered twice after a resend) are ignored */
}

/* Resends everything after a timeout, on a new socket (Lazy Pirate).
 * Events out of retries are reported as timeouts into r; returns 1 then. */
static int on_timeout(hq_client *c, hq_client_reply *r, hq_err *err)
{
    pending *p = c->oldest;
    if (p->tries > c->o.retries) {
        memset(r, 0, sizeof *r);
        snprintf(r->id, sizeof r->id, "%s", p->id);
        r->status = HQ_REPLY_TIMEOUT;
        snprintf(r->error, sizeof r->error, "no reply from %s after %d tries", c->endpoint, p->tries);
        r->latency_us = now_us() - p->first_us;
        pending_drop(c, p);
        return 1;
    }
    if (connect_sock(c, err) != 0)
        return -1;
    /* Resend in the original order; move each to the tail as it goes. */
    size_t n = c->npending;
    for (size_t i = 0; i < n && c->oldest; i++) {
        pending *q = c->oldest;
        list_unlink(c, q);
        list_append(c, q);
        send_frame(c, q);
    }
    return 0;
}

static int wait_reply(hq_client *c, hq_client_reply *r, hq_err *err)
{
    for (;;) {
        if (c->npending == 0)
            return HQ_ENOTFOUND;
        int64_t wait_ms = (c->oldest->sent_us + (int64_t)c->o.timeout_ms * 1000 - now_us()) / 1000;
        if (wait_ms < 0)
            wait_ms = 0;
        zmq_pollitem_t it = {c->sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, (long)wait_ms);
        if (n < 0 && errno != EINTR)
            return hq_err_set(err, HQ_EIO, "poll: %s", zmq_strerror(errno));
        if (n > 0) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) >= 0) {
                int got = take_reply(c, zmq_msg_data(&m), zmq_msg_size(&m), r);
                if (got == 0) {
                    zmq_msg_close(&m);
                    return 0;
                }
            }
            zmq_msg_close(&m);
            continue;
        }
        if (c->oldest && now_us() - c->oldest->sent_us >= (int64_t)c->o.timeout_ms * 1000) {
            int rc = on_timeout(c, r, err);
            if (rc == 1)
                return 0;
            if (rc < 0)
                return HQ_EIO;
        }
    }
}

int hq_client_recv(hq_client *c, hq_client_reply *r, hq_err *err)
{
    if (c->rq_head) {
        ready *q = c->rq_head;
        c->rq_head = q->next;
        if (!c->rq_head)
            c->rq_tail = NULL;
        *r = q->r;
        free(q);
        return 0;
    }
    return wait_reply(c, r, err);
}

int hq_client_send(hq_client *c, const char *id, const void *frame, size_t len, hq_err *err)
{
    if (strlen(id) > 64)
        return hq_err_set(err, HQ_EINVAL, "id longer than 64 bytes");
    while (c->npending >= c->o.window) {
        ready *q = hq_calloc(1, sizeof *q);
        int rc = wait_reply(c, &q->r, err);
        if (rc) {
            free(q);
            return rc;
        }
        if (c->rq_tail)
            c->rq_tail->next = q;
        else
            c->rq_head = q;
        c->rq_tail = q;
    }
    if (c->npending + c->ntomb + 1 > c->nslots * 3 / 4)
        slots_rehash(c);
    pending **slot = slot_find(c, id, true);
    if (!slot)
        return hq_err_set(err, HQ_EEXIST, "id %s is already pending", id);
    pending *p = hq_calloc(1, sizeof *p);
    if (!p || !(p->frame = hq_malloc(len))) {
        free(p);
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    }
    memcpy(p->frame, frame, len);
    p->len = len;
    snprintf(p->id, sizeof p->id, "%s", id);
    p->first_us = now_us();
    if (*slot == TOMB)
        c->ntomb--;
    *slot = p;
    list_append(c, p);
    c->npending++;
    if (send_frame(c, p) != 0)
        return hq_err_set(err, HQ_EIO, "send: %s", zmq_strerror(errno));
    return 0;
}
