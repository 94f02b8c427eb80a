#include "event.h"

#include "vocab.h"

#include <stdio.h>
#include <string.h>

const hq_event_limits hq_event_default_limits = {
    .max_bytes = 64 * 1024,
    .mp = {.max_depth = 10, .max_objects = 65536, .allow_bin_ext = false},
};

bool hq_event_ident_ok(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

/* The fields with category_of (schema.h): the value must be a category of
 * the event's domain, its code or its label; a label is replaced by the
 * code in the decoded view (the zone's objects, which the decoder made and
 * the event owns), so rules and issues see codes.  The stored frame keeps
 * what was sent: decoding it again maps it again. */
static int check_categories(const hq_schema *s, const msgpack_object *data, hq_err *err)
{
    for (size_t i = 0; i < s->data.nfields; i++) {
        const hq_field *f = &s->data.fields[i];
        if (!f->category_of)
            continue;
        msgpack_object *v = (msgpack_object *)hq_mp_map_get(data, f->name);
        const msgpack_object *dv = hq_mp_map_get(data, f->category_of);
        if (!v || v->type != MSGPACK_OBJECT_STR || !dv || dv->type != MSGPACK_OBJECT_STR)
            continue; /* optional and absent; the schema checked the types */
        char dom[64], text[256];
        snprintf(dom, sizeof dom, "%.*s", (int)dv->via.str.size, dv->via.str.ptr);
        snprintf(text, sizeof text, "%.*s", (int)v->via.str.size, v->via.str.ptr);
        const char *code = hq_category_code(dom, text);
        if (!code) {
            char list[1024];
            size_t tl = hq_utf8_prefix(v->via.str.ptr, v->via.str.size, 64);
            if (hq_category_list(dom, list, sizeof list) == 0)
                return hq_err_set(err, HQ_EINVAL, "%s: %s has no complaint categories in the vocabulary", f->name,
                                  dom);
            return hq_err_set(err, HQ_EINVAL, "%s: unknown category \"%.*s%s\" of %s (one of: %s)", f->name, (int)tl,
                              v->via.str.ptr, tl < v->via.str.size ? "..." : "", dom, list);
        }
        if (strlen(code) != v->via.str.size || memcmp(code, v->via.str.ptr, v->via.str.size)) {
            v->via.str.ptr = code; /* a vocabulary string: valid until exit (vocab.h) */
            v->via.str.size = (uint32_t)strlen(code);
        }
    }
    return 0;
}

static const char *const envelope_keys[] = {"id", "type", "source", "ts", "data"};

int hq_event_decode(const char *buf, size_t len, const hq_event_limits *lim, const hq_schemas *schemas,
                    msgpack_zone *zone, hq_event *ev, hq_err *err)
{
    memset(ev, 0, sizeof *ev);
    ev->raw = buf;
    ev->raw_len = len;
    if (!lim)
        lim = &hq_event_default_limits;
    if (len > lim->max_bytes)
        return hq_err_set(err, HQ_EINVAL, "message too large: %zu bytes, the limit is %zu", len, lim->max_bytes);
    msgpack_object root;
    int rc = hq_mp_decode(buf, len, &lim->mp, zone, &root, err);
    if (rc)
        return rc == HQ_ENOMEM ? rc : HQ_EINVAL;
    msgpack_object *r = msgpack_zone_malloc(zone, sizeof *r);
    if (!r)
        return hq_err_set(err, HQ_ENOMEM, "out of memory");
    *r = root;
    ev->root = r;
    if (r->type != MSGPACK_OBJECT_MAP)
        return hq_err_set(err, HQ_EINVAL, "event is not a map");

    /* id first, so that even a rejection can name the event. */
    const msgpack_object *id = hq_mp_map_get(r, "id");
    if (!id)
        return hq_err_set(err, HQ_EINVAL, "id: missing");
    if (id->type != MSGPACK_OBJECT_STR)
        return hq_err_set(err, HQ_EINVAL, "id: expected a string");
    if (!hq_event_ident_ok(id->via.str.ptr, id->via.str.size, HQ_ID_MAX)) {
        if (id->via.str.size == 0 || id->via.str.size > HQ_ID_MAX)
            return hq_err_set(err, HQ_EINVAL, "id: must be 1 to %d bytes long, got %u", HQ_ID_MAX,
                              id->via.str.size);
        return hq_err_set(err, HQ_EINVAL, "id: only letters, digits and . _ : - are allowed");
    }
    ev->id = id->via.str.ptr;
    ev->id_len = id->via.str.size;

    for (uint32_t i = 0; i < r->via.map.size; i++) {
        const msgpack_object_str *k = &r->via.map.ptr[i].key.via.str;
        bool known = false;
        for (size_t j = 0; j < sizeof envelope_keys / sizeof *envelope_keys && !known; j++)
            known = strlen(envelope_keys[j]) == k->size && memcmp(envelope_keys[j], k->ptr, k->size) == 0;
        if (!known) {
            size_t kl = hq_utf8_prefix(k->ptr, k->size, 64);
            return hq_err_set(err, HQ_EINVAL, "%.*s%s: unknown envelope key (expected id, type, source, ts, data)",
                              (int)kl, k->ptr, kl < k->size ? "..." : "");
        }
    }

    const msgpack_object *src = hq_mp_map_get(r, "source");
    if (!src)
        return hq_err_set(err, HQ_EINVAL, "source: missing");
    if (src->type != MSGPACK_OBJECT_STR)
        return hq_err_set(err, HQ_EINVAL, "source: expected a string");
    if (!hq_event_ident_ok(src->via.str.ptr, src->via.str.size, HQ_SOURCE_MAX))
        return hq_err_set(err, HQ_EINVAL, "source: must be 1 to %d bytes of letters, digits and . _ : -",
                          HQ_SOURCE_MAX);
    ev->source = src->via.str.ptr;
    ev->source_len = src->via.str.size;

    const msgpack_object *ts = hq_mp_map_get(r, "ts");
    if (!ts)
        return hq_err_set(err, HQ_EINVAL, "ts: missing");
    if (ts->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ts->via.u64 > (uint64_t)INT64_MAX)
        return hq_err_set(err, HQ_EINVAL, "ts: expected a non-negative integer (ms since the epoch)");
    ev->ts_ms = (int64_t)ts->via.u64;

    const msgpack_object *type = hq_mp_map_get(r, "type");
    if (!type)
        return hq_err_set(err, HQ_EINVAL, "type: missing");
    if (type->type != MSGPACK_OBJECT_STR)
        return hq_err_set(err, HQ_EINVAL, "type: expected a string");
    ev->type = type->via.str.ptr;
    ev->type_len = type->via.str.size;
    ev->schema = hq_schemas_find(schemas, ev->type, ev->type_len);
    if (!ev->schema) {
        size_t tl = hq_utf8_prefix(ev->type, ev->type_len, 64);
        return hq_err_set(err, HQ_EINVAL, "type: unknown event type \"%.*s%s\"", (int)tl, ev->type,
                          tl < ev->type_len ? "..." : "");
    }

    const msgpack_object *data = hq_mp_map_get(r, "data");
    if (!data)
        return hq_err_set(err, HQ_EINVAL, "data: missing");
    if (data->type != MSGPACK_OBJECT_MAP)
        return hq_err_set(err, HQ_EINVAL, "data: expected a map");
    ev->data = data;
    int vrc = hq_schema_validate(ev->schema, data, err);
    return vrc ? vrc : check_categories(ev->schema, data, err);
}

hq_frame hq_event_frame(const hq_event *ev)
{
    return (hq_frame){.raw = ev->raw,
                      .raw_len = ev->raw_len,
                      .source = ev->source,
                      .source_len = ev->source_len,
                      .id = ev->id,
                      .id_len = ev->id_len};
}
