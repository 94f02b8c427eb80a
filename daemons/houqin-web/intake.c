/* POST /api/v1/events: HTTP intake for campus systems (SPEC §8).
 *
 *   Authorization: Bearer TOKEN        (the clients file binds it to a source
 *                                       and the event types it may send)
 *   Content-Type: application/json     one event object, or an array of them
 *                 application/x-ndjson one event object per line (also
 *                                       application/jsonl, or JSON lines sent
 *                                       as application/json)
 *
 * Reply 200 {"results": [{"id", "status", "seq"?, "reason"?}]} in the order
 * sent, written only after houqind answered every event (stored means
 * durable).  Errors of the whole request: 401 (no or unknown token), 403 (an
 * event of a type the client may not send, or naming another source:
 * nothing is sent), 405, 413 (body over 1 MiB or over 1,000 events), 415,
 * 429 (the client's rate), 400 (no event at all could be read), 503
 * (houqind did not answer: the results say which events are "timeout";
 * retry with the same ids, stored ones answer "duplicate").
 *
 * A missing id is generated (time-ordered) and a missing ts is the current
 * time, as `houqinctl send` does; a missing source is the client's.  An
 * event with an id but no ts whose (source, id) is already stored gets the
 * stored event's ts, so that a retry is byte-identical and answered
 * "duplicate" (houqind compares the bytes). */
#include "web.h"

#include "clock.h"
#include "json.h"
#include "mem.h"

#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_json(msgpack_packer *pk, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(j));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v)
        {
            pack_str(pk, k, strlen(k));
            pack_json(pk, v);
        }
        break;
    }
    case JSON_ARRAY: {
        msgpack_pack_array(pk, json_array_size(j));
        size_t i;
        json_t *v;
        json_array_foreach((json_t *)j, i, v) pack_json(pk, v);
        break;
    }
    case JSON_STRING: pack_str(pk, json_string_value(j), json_string_length(j)); break;
    case JSON_INTEGER: msgpack_pack_int64(pk, json_integer_value(j)); break;
    case JSON_REAL: msgpack_pack_double(pk, json_real_value(j)); break;
    case JSON_TRUE: msgpack_pack_true(pk); break;
    case JSON_FALSE: msgpack_pack_false(pk); break;
    case JSON_NULL: msgpack_pack_nil(pk); break;
    }
}

/* Packs the envelope: id, type, source, ts, data first (in that order),
 * then any other key (houqind rejects those with a reason). */
static void pack_event(const json_t *o, const char *id, bool id_given, const char *source, web_out *out)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    static const char *const order[] = {"id", "type", "source", "ts", "data", NULL};
    size_t extra = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        bool known = false;
        for (int i = 0; order[i]; i++)
            known |= strcmp(k, order[i]) == 0;
        extra += !known;
    }
    bool has_type = json_object_get(o, "type") != NULL, has_data = json_object_get(o, "data") != NULL;
    msgpack_pack_map(&pk, 3 + has_type + has_data + extra);
    pack_str(&pk, "id", 2);
    pack_str(&pk, id, strlen(id));
    if (has_type) {
        pack_str(&pk, "type", 4);
        pack_json(&pk, json_object_get(o, "type"));
    }
    pack_str(&pk, "source", 6);
    pack_str(&pk, source, strlen(source));
    pack_str(&pk, "ts", 2);
    json_t *ts = json_object_get(o, "ts");
    int64_t stored_ts;
    if (ts)
        pack_json(&pk, ts);
    else if (id_given && web_state_event_ts(source, id, &stored_ts))
        msgpack_pack_int64(&pk, stored_ts); /* a retry without ts: the same bytes again */
    else
        msgpack_pack_int64(&pk, hq_wall_ms());
    if (has_data) {
        pack_str(&pk, "data", 4);
        pack_json(&pk, json_object_get(o, "data"));
    }
    json_object_foreach((json_t *)o, k, v)
    {
        bool known = false;
        for (int i = 0; order[i]; i++)
            known |= strcmp(k, order[i]) == 0;
        if (!known) {
            pack_str(&pk, k, strlen(k));
            pack_json(&pk, v);
        }
    }
    out->frame = sb.data; /* taken over; freed with free() */
    out->len = sb.size;
}

static bool ctype_ok(const char *ct)
{
    if (!ct)
        return false;
    static const char *const ok[] = {"application/json", "application/x-ndjson", "application/jsonl",
                                     "application/jsonlines", "application/x-jsonlines", NULL};
    for (int i = 0; ok[i]; i++) {
        size_t n = strlen(ok[i]);
        if (strncasecmp(ct, ok[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
            return true;
    }
    return false;
}

static enum MHD_Result intake(web_req *r);

enum MHD_Result web_intake(web_req *r)
{
    pthread_rwlock_rdlock(&g_web->clients_lock);
    enum MHD_Result ret = intake(r);
    pthread_rwlock_unlock(&g_web->clients_lock);
    return ret;
}

static enum MHD_Result intake(web_req *r)
{
    if (strcmp(r->method, "POST") != 0)
        return web_reply_json_error(r, 405, "method", "use POST");
    const char *auth = web_header(r, "Authorization");
    const web_client *cl = NULL;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *t = auth + 7;
        while (*t == ' ')
            t++;
        cl = web_clients_by_token(&g_web->clients, t, strlen(t));
    }
    if (!cl)
        return web_reply_json_error(r, 401, "unauthorized",
                                    auth ? "unknown bearer token" : "missing Authorization: Bearer TOKEN");
    if (r->too_large)
        return web_reply_json_error(r, 413, "too_large", "the body is over 1 MiB");
    if (!ctype_ok(web_header(r, "Content-Type")))
        return web_reply_json_error(r, 415, "media_type",
                                    "send application/json (an event or an array) or application/x-ndjson");
    if (!web_rate_intake(cl))
        return web_reply_json_error(r, 429, "rate_limited", "too many requests for this client; retry later");
    web_item *items;
    size_t n;
    hq_err err;
    int rc = web_intake_split(r->body.data, r->body.len, &items, &n, &err);
    if (rc == HQ_ELIMIT)
        return web_reply_json_error(r, 413, "too_many_events", err.msg);
    if (rc)
        return web_reply_json_error(r, 400, "bad_json", err.msg);
    /* Authorisation first, for every event: nothing is sent when any one
     * is refused. */
    for (size_t i = 0; i < n; i++) {
        json_t *o = items[i].json;
        if (!o || !json_is_object(o))
            continue;
        json_t *src = json_object_get(o, "source"), *ty = json_object_get(o, "type");
        char msg[300];
        if (src && !(json_is_string(src) && strcmp(json_string_value(src), cl->source) == 0)) {
            snprintf(msg, sizeof msg, "event %zu: source must be %s (the source of this token), or left out", i,
                     cl->source);
            web_intake_items_free(items, n);
            return web_reply_json_error(r, 403, "forbidden_source", msg);
        }
        if (json_is_string(ty) && !web_client_may_send(cl, json_string_value(ty))) {
            snprintf(msg, sizeof msg, "event %zu: client %s may not send events of type %.64s", i, cl->source,
                     json_string_value(ty));
            web_intake_items_free(items, n);
            return web_reply_json_error(r, 403, "forbidden_type", msg);
        }
    }
    web_out *out = hq_calloc(n, sizeof *out);
    hq_client_reply *rep = hq_calloc(n, sizeof *rep);
    char (*reasons)[256] = hq_calloc(n, sizeof *reasons);
    if (!out || !rep || !reasons)
        abort();
    for (size_t i = 0; i < n; i++) {
        json_t *o = items[i].json;
        if (!o) {
            snprintf(reasons[i], sizeof reasons[i], "malformed JSON: %s", items[i].err);
            continue;
        }
        if (!json_is_object(o)) {
            snprintf(reasons[i], sizeof reasons[i], "event is not a JSON object");
            continue;
        }
        if (!json_is_string(json_object_get(o, "type"))) {
            snprintf(reasons[i], sizeof reasons[i], "type: missing or not a string");
            json_t *id = json_object_get(o, "id");
            if (json_is_string(id))
                snprintf(out[i].id, sizeof out[i].id, "%.64s", json_string_value(id));
            continue;
        }
        json_t *id = json_object_get(o, "id");
        if (id) {
            if (!json_is_string(id) || json_string_length(id) < 1 || json_string_length(id) > 64) {
                snprintf(reasons[i], sizeof reasons[i], "id: must be a string of 1 to 64 bytes");
                continue;
            }
            snprintf(out[i].id, sizeof out[i].id, "%s", json_string_value(id));
        } else {
            web_make_id(out[i].id, sizeof out[i].id);
        }
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup |= out[j].frame && strcmp(out[j].id, out[i].id) == 0;
        if (dup) {
            snprintf(reasons[i], sizeof reasons[i], "id: appears twice in this request");
            continue;
        }
        pack_event(o, out[i].id, id != NULL, cl->source, &out[i]);
    }
    web_intake_items_free(items, n);
    rc = web_send(out, n, rep, &err);
    enum MHD_Result ret;
    if (rc) {
        ret = web_reply_json_error(r, 503, "unavailable", err.msg);
    } else {
        bool timeout = false;
        json_t *res = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_object();
            json_object_set_new(e, "id", out[i].id[0] ? json_string(out[i].id) : json_null());
            if (!out[i].frame) {
                json_object_set_new(e, "status", json_string("rejected"));
                json_object_set_new(e, "reason", json_string(reasons[i]));
            } else if (rep[i].status == HQ_REPLY_STORED || rep[i].status == HQ_REPLY_DUPLICATE) {
                json_object_set_new(e, "status", json_string(hq_reply_status_name(rep[i].status)));
                json_object_set_new(e, "seq", json_integer((json_int_t)rep[i].seq));
            } else if (rep[i].status == HQ_REPLY_REJECTED) {
                json_object_set_new(e, "status", json_string("rejected"));
                json_object_set_new(e, "reason", json_string(rep[i].error));
            } else {
                timeout = true;
                json_object_set_new(e, "status", json_string("timeout"));
                json_object_set_new(e, "reason",
                                    json_string("houqind did not answer: retry with the same id"));
            }
            json_array_append_new(res, e);
        }
        json_t *top = json_object();
        json_object_set_new(top, "results", res);
        if (timeout)
            json_object_set_new(top, "error", json_string("houqind did not answer every event; retry those "
                                                          "with status timeout (same ids)"));
        char *txt = json_dumps(top, JSON_COMPACT);
        json_decref(top);
        hq_buf b;
        hq_buf_init(&b);
        hq_buf_puts(&b, txt ? txt : "{}");
        hq_buf_putc(&b, '\n');
        free(txt);
        ret = web_reply_buf(r, timeout ? 503 : 200, "application/json; charset=utf-8", &b);
        hq_buf_fini(&b);
    }
    for (size_t i = 0; i < n; i++)
        free(out[i].frame);
    free(out);
    free(rep);
    free(reasons);
    return ret;
}
