/* frame.h - one event as the store sees it: the bytes of its msgpack frame
 * and its dedup identity (source, id), nothing decoded.  The event layer
 * fills one from a decoded event (hq_event_frame); the store's log and
 * dedup index take nothing else, so the state layer does not depend on
 * schemas or msgpack.
 *
 * All pointers are views: valid while the frame they point into lives.
 */
#ifndef HQ_FRAME_H
#define HQ_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#define HQ_DIGEST_BYTES 16
#define HQ_ID_MAX 64      /* bytes of an event id */
#define HQ_SOURCE_MAX 128 /* bytes of a source id */

typedef struct hq_frame {
    const char *raw;          /* the whole msgpack frame */
    size_t raw_len;
    const char *source;       /* not NUL-terminated */
    size_t source_len;
    const char *id;           /* not NUL-terminated */
    size_t id_len;
    /* BLAKE2b-128 of raw, computed once by the store and kept here so that
     * claiming the id and appending the frame hash it once. */
    unsigned char digest[HQ_DIGEST_BYTES];
    bool has_digest;
} hq_frame;

#endif
