/* hq_tev.h - an event made in memory from JSON data, for the unit tests
 * of modules that look at events (cond, dispatch).  Header only; include
 * after <cmocka.h> and hq_test.h. */
#ifndef HQ_TEV_H
#define HQ_TEV_H

#include "event.h"
#include "json.h"
#include "mp.h"
#include "schema.h"

typedef struct hq_tev {
    msgpack_sbuffer sb;
    msgpack_zone zone;
    msgpack_object data;
    hq_event ev;
} hq_tev;

/* An event of the type of schema (named type) with the envelope given and
 * data as JSON; valid until hq_tev_fini(t).  Fails the test when the JSON
 * does not convert. */
static inline hq_event *hq_tev_make(hq_tev *t, const hq_schema *schema, const char *type, const char *source,
                                    const char *id, int64_t ts_ms, const char *json)
{
    msgpack_sbuffer_init(&t->sb);
    msgpack_zone_init(&t->zone, 1024);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &t->sb, msgpack_sbuffer_write);
    hq_err err = {0};
    if (hq_json_to_mp("data", json, strlen(json), &pk, &err) != 0)
        fail_msg("data %s: %s", json, err.msg);
    hq_mp_limits lim = hq_mp_default_limits;
    if (hq_mp_decode(t->sb.data, t->sb.size, &lim, &t->zone, &t->data, &err) != 0)
        fail_msg("data %s: %s", json, err.msg);
    memset(&t->ev, 0, sizeof t->ev);
    t->ev.type = type;
    t->ev.type_len = strlen(type);
    t->ev.source = source;
    t->ev.source_len = strlen(source);
    t->ev.id = id;
    t->ev.id_len = strlen(id);
    t->ev.ts_ms = ts_ms;
    t->ev.data = &t->data;
    t->ev.schema = schema;
    return &t->ev;
}

static inline void hq_tev_fini(hq_tev *t)
{
    msgpack_zone_destroy(&t->zone);
    msgpack_sbuffer_destroy(&t->sb);
}

#endif
