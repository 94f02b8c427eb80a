/* client.h - the producer API: send events to houqind and know they are
 * durably stored (the Lazy Pirate pattern of the zguide, chapter 4).
 *
 *   hq_client *c;
 *   hq_client_new("tcp://127.0.0.1:7601", NULL, &c, &err);
 *   hq_client_make_id(c, id, sizeof id);           // time-ordered
 *   ... pack an event map with that id into frame ...
 *   hq_client_send(c, id, frame, len, &err);       // pipelined, copied
 *   while (hq_client_pending(c) > 0)
 *       hq_client_recv(c, &reply, &err);           // one reply per event
 *   hq_client_destroy(&c);
 *
 * Every event stays pending until its reply comes.  When the oldest
 * pending event has waited timeout_ms, the client drops its socket,
 * connects a new one and resends every pending event with the same bytes
 * (so the daemon answers "duplicate" for those it had stored).  After
 * `retries` resends an event is given up and reported as HQ_REPLY_TIMEOUT.
 *
 * Ids from hq_client_make_id() grow with time (12 hex digits of the ms
 * clock, a per-client counter, a random client tag), which keeps the
 * daemon's dedup index append-mostly: see schemas/README.md.
 */
#ifndef HQ_CLIENT_H
#define HQ_CLIENT_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hq_client hq_client;

typedef struct hq_client_opts {
    int timeout_ms;   /* resend after this long without a reply (2500) */
    int retries;      /* resends before giving up (3) */
    size_t window;    /* hq_client_send waits for replies above this many pending (1000) */
    /* CURVE (all three, Z85, or none): the server's public key and this
     * producer's key pair (see allowlist.h for key files). */
    const char *server_key, *public_key, *secret_key;
} hq_client_opts;

typedef enum { HQ_REPLY_STORED, HQ_REPLY_DUPLICATE, HQ_REPLY_REJECTED, HQ_REPLY_TIMEOUT } hq_reply_status;

typedef struct hq_client_reply {
    char id[65];
    hq_reply_status status;
    uint64_t seq;        /* stored, duplicate */
    char error[512];     /* rejected, timeout */
    int64_t latency_us;  /* from the first send to the reply */
} hq_client_reply;

int hq_client_new(const char *endpoint, const hq_client_opts *opts, hq_client **out, hq_err *err);
/* Closes the socket; pending events are forgotten.  Accepts NULL. */
void hq_client_destroy(hq_client **c);
/* Writes a new time-ordered id (at most 40 bytes) into buf. */
void hq_client_make_id(hq_client *c, char *buf, size_t size);
/* Sends a packed event whose "id" is id; the frame is copied.  When the
 * window is full, replies are collected first and handed out later by
 * hq_client_recv. HQ_EEXIST if id is already pending. */
int hq_client_send(hq_client *c, const char *id, const void *frame, size_t len, hq_err *err);
/* Waits for the next reply (resending as described above).  HQ_ENOTFOUND
 * when nothing is pending. */
int hq_client_recv(hq_client *c, hq_client_reply *reply, hq_err *err);
size_t hq_client_pending(const hq_client *c);
const char *hq_reply_status_name(hq_reply_status s);

#endif
