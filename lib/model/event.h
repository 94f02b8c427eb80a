/* event.h - the event envelope: decoding and checking one ingest frame.
 *
 * An event is one msgpack map {id, type, source, ts, data} (SPEC §2).
 * hq_event_decode() runs the safe decoder (mp.h), checks the envelope and
 * validates data against the type's schema.  The hq_event it fills is a
 * view into the frame and the zone: valid while both live.  On a rejection
 * the fields that could be read (id first of all, for the reply) are set.
 */
#ifndef HQ_EVENT_H
#define HQ_EVENT_H

#include "err.h"
#include "frame.h"
#include "mp.h"
#include "schema.h"

#include <stdint.h>

/* Who vouches for data.actor: the transport's word, set by houqind's
 * ingest (perm.h; SPEC §6a).  Zero for events that come from elsewhere
 * (the event log in a backtest, a rule test): nothing is marked. */
typedef enum {
    HQ_AUTH_UNKNOWN,
    HQ_AUTH_NONE,     /* no CURVE: the actor is claimed, not proven */
    HQ_AUTH_KEY,      /* the actor's own staff key */
    HQ_AUTH_GATEWAY,  /* a gateway with on_behalf (the envelope source) acted for the actor */
} hq_auth;

typedef struct hq_event {
    const char *raw;          /* the whole frame */
    size_t raw_len;
    const char *id;           /* not NUL-terminated */
    size_t id_len;
    const char *type;
    size_t type_len;
    const char *source;
    size_t source_len;
    int64_t ts_ms;
    const msgpack_object *root;
    const msgpack_object *data;
    const hq_schema *schema;
    hq_auth auth;             /* set after decoding, by the transport */
} hq_event;

typedef struct hq_event_limits {
    size_t max_bytes;         /* frames larger than this are rejected (default 64 KiB) */
    hq_mp_limits mp;
} hq_event_limits;

extern const hq_event_limits hq_event_default_limits;

/* Decodes and checks buf.  Returns 0, or HQ_EINVAL with err->msg the reason
 * for the "rejected" reply. */
int hq_event_decode(const char *buf, size_t len, const hq_event_limits *lim, const hq_schemas *schemas,
                    msgpack_zone *zone, hq_event *out, hq_err *err);

/* The frame the store keeps of a decoded event (views into ev's frame). */
hq_frame hq_event_frame(const hq_event *ev);

/* Checks an id or source string: 1..max bytes of [A-Za-z0-9._:-]. */
bool hq_event_ident_ok(const char *s, size_t len, size_t max);

#endif
