/* json.h - JSON in and out.
 *
 * Out: escaping and a msgpack-object-to-JSON writer, into an hq_buf.
 * In: JSON text to msgpack, parsed with libyaml (JSON is YAML's flow
 * style), through ytree's hostile-input limits; quoted scalars are
 * strings, plain ones are null, true, false or numbers.
 */
#ifndef HQ_JSON_H
#define HQ_JSON_H

#include "buf.h"
#include "err.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

/* Appends s as a JSON string literal (with quotes). */
void hq_json_str(hq_buf *b, const char *s, size_t len);
static inline void hq_json_cstr(hq_buf *b, const char *s) { hq_json_str(b, s, s ? __builtin_strlen(s) : 0); }
/* Members of an object being written: "KEY": (after a comma unless
 * first), then a value: a string (NULL: null), an integer, a boolean, or
 * a time in ms (0: null). */
void hq_json_key(hq_buf *b, const char *k, bool first);
void hq_json_kstr(hq_buf *b, const char *k, const char *v);
void hq_json_kint(hq_buf *b, const char *k, int64_t v);
void hq_json_kbool(hq_buf *b, const char *k, bool v);
void hq_json_kms(hq_buf *b, const char *k, int64_t ms);
/* Appends o as JSON. */
void hq_json_from_mp(hq_buf *b, const msgpack_object *o);
/* Parses one JSON value and packs it.  err names the line and column. */
int hq_json_to_mp(const char *name, const char *text, size_t len, msgpack_packer *pk, hq_err *err);

#endif
