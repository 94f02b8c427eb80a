/* mp.h - safe decoding of untrusted msgpack frames, and lookups in them.
 *
 * msgpack-c 4.0.0 allocates from a container's declared count before it
 * reads any element (msgpack/msgpack-c#1013: the 5-byte frame dd ff ff ff ff
 * asks for tens of GiB), has a fixed depth of 32 that fails with NOMEM, and
 * accepts trailing bytes, duplicate keys, invalid UTF-8 and NaN.  So every
 * frame first goes through hq_mp_prescan(), which allocates nothing and
 * checks: every declared count fits in the bytes left, depth and object
 * count within limits, no reserved byte, exactly one object using every
 * byte.  Only then does hq_mp_decode() call the library, and it checks the
 * result: map keys are unique strings, strings are UTF-8, floats are finite.
 *
 * Decoded objects live in the caller's msgpack_zone and point into the
 * caller's buffer (they are views): both must outlive the object.
 */
#ifndef HQ_MP_H
#define HQ_MP_H

#include "err.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hq_mp_limits {
    unsigned max_depth;    /* containers nested deeper than this are refused
                            * (empty ones count; at most 32, msgpack-c's own
                            * limit, whatever is asked) */
    unsigned max_objects;  /* total objects in the frame */
    bool allow_bin_ext;    /* bin and ext types (events never use them) */
} hq_mp_limits;

/* Depth 10 (the envelope, data, and 8 levels inside), 65,536 objects. */
extern const hq_mp_limits hq_mp_default_limits;

/* The non-allocating structural check described above.  err->msg is a
 * reason fit for a "rejected" reply ("malformed msgpack: truncated at byte 7"). */
int hq_mp_prescan(const char *buf, size_t len, const hq_mp_limits *lim, hq_err *err);

/* prescan, unpack into zone, check keys/UTF-8/floats.  On success *out is a
 * view into buf and zone. */
int hq_mp_decode(const char *buf, size_t len, const hq_mp_limits *lim, msgpack_zone *zone,
                 msgpack_object *out, hq_err *err);

/* Checks that s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool hq_utf8_valid(const char *s, size_t len);
/* The length of the longest prefix of s[0..len) of at most max bytes that
 * does not cut a UTF-8 sequence: for quoting untrusted strings in messages
 * ("%.*s") without producing invalid UTF-8. */
size_t hq_utf8_prefix(const char *s, size_t len, size_t max);
/* len less a trailing partial UTF-8 sequence (a text cut by snprintf). */
size_t hq_utf8_whole(const char *s, size_t len);

/* Lookups.  Return views into the object, or NULL. */
const msgpack_object *hq_mp_map_get(const msgpack_object *map, const char *key);
const msgpack_object *hq_mp_map_getn(const msgpack_object *map, const char *key, size_t klen);
/* A dotted path ("data.items.0.code" style: a part of decimal digits
 * indexes an array; a part "items[result=fail]" is the first item of the
 * array items that is a map whose result is the text fail). */
const msgpack_object *hq_mp_path(const msgpack_object *root, const char *path);
bool hq_mp_str_eq(const msgpack_object *o, const char *s);
/* The object's numeric value as a double; false when it is not a number. */
bool hq_mp_number(const msgpack_object *o, double *out);
/* The object's integer value; false when it is not an integer that fits. */
bool hq_mp_int64(const msgpack_object *o, int64_t *out);
/* A malloc'd NUL-terminated copy of a string object, or NULL. */
char *hq_mp_strdup(const msgpack_object *o);

/* Packing strings: n bytes; a C string (NULL packs nil); a key and its
 * string value (NULL value packs nil). */
void hq_mp_pack_strn(msgpack_packer *pk, const char *s, size_t n);
void hq_mp_pack_str(msgpack_packer *pk, const char *s);
void hq_mp_pack_kv(msgpack_packer *pk, const char *k, const char *v);
/* A key and its number or boolean (a status reply's members). */
void hq_mp_pack_ku64(msgpack_packer *pk, const char *k, uint64_t v);
void hq_mp_pack_ki64(msgpack_packer *pk, const char *k, int64_t v);
void hq_mp_pack_kbool(msgpack_packer *pk, const char *k, bool v);

#endif
