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
#include "hash.h"
#include "json.h"
#include "mem.h"

#include <inttypes.h>
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
static int buf_write(void *data, const char *p, size_t n)
{
    hq_buf_append(data, p, n);
    return 0;
}

/* Packs the event at the end of frames (one buffer for the request's
 * events: no allocation per event). */
static void pack_event(const json_t *o, const char *id, bool id_given, const char *source, hq_buf *frames)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, frames, buf_write);
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

typedef struct intake_job {
    size_t n;
    web_out *out;           /* ids; frames point into frames */
    hq_client_reply *rep;
    char (*reasons)[256];   /* refused here, before sending */
    hq_buf frames;
} intake_job;

static void intake_job_free(void *p)
{
    intake_job *j = p;
    if (!j)
        return;
    free(j->out);
    free(j->rep);
    free(j->reasons);
    hq_buf_fini(&j->frames);
    free(j);
}

static uint64_t id_hash(const char *s)
{
    return hq_hash_str(s);
}

/* 200 {"results": [...]} in the order sent, or 503 with "error" when an
 * event was not answered. */
static enum MHD_Result reply_results(web_req *r, const intake_job *j)
{
    bool timeout = false;
    hq_buf b;
    hq_buf_init(&b);
    hq_buf_reserve(&b, 64 + j->n * 64);
    hq_buf_puts(&b, "{\"results\":[");
    for (size_t i = 0; i < j->n; i++) {
        const web_out *o = &j->out[i];
        const hq_client_reply *rp = &j->rep[i];
        hq_buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
        if (o->id[0])
            hq_json_cstr(&b, o->id);
        else
            hq_buf_puts(&b, "null");
        if (!o->frame) {
            hq_buf_puts(&b, ",\"status\":\"rejected\",\"reason\":");
            hq_json_cstr(&b, j->reasons[i]);
        } else if (rp->status == HQ_REPLY_STORED || rp->status == HQ_REPLY_DUPLICATE) {
            hq_buf_printf(&b, ",\"status\":\"%s\",\"seq\":%" PRIu64, hq_reply_status_name(rp->status), rp->seq);
        } else if (rp->status == HQ_REPLY_REJECTED) {
            hq_buf_puts(&b, ",\"status\":\"rejected\",\"reason\":");
            hq_json_cstr(&b, rp->error);
        } else {
            timeout = true;
            hq_buf_puts(&b, ",\"status\":\"timeout\",\"reason\":\"houqind did not answer: retry with the same id\"");
        }
        hq_buf_putc(&b, '}');
    }
    hq_buf_putc(&b, ']');
    if (timeout)
        hq_buf_puts(&b, ",\"error\":\"houqind did not answer every event; retry those with status timeout (same ids)\"");
    hq_buf_puts(&b, "}\n");
    enum MHD_Result ret = web_reply_buf(r, timeout ? 503 : 200, "application/json; charset=utf-8", &b);
    hq_buf_fini(&b);
    return ret;
}

/* The handler on the resumed connection: every event is answered. */
static enum MHD_Result intake_resumed(web_req *r)
{
    hq_err err;
    if (web_send_result(r, &err) != 0)
        return web_reply_json_error(r, 503, "unavailable", err.msg);
    return reply_results(r, r->ctx);
}

static enum MHD_Result intake(web_req *r);

enum MHD_Result web_with_clients(web_req *r, enum MHD_Result (*fn)(web_req *r))
{
    pthread_rwlock_rdlock(&g_web->clients_lock);
    enum MHD_Result ret = fn(r);
    pthread_rwlock_unlock(&g_web->clients_lock);
    return ret;
}

enum MHD_Result web_intake(web_req *r)
{
    return web_with_clients(r, intake);
}

/* Authorisation first, for every event: the code of the refusal (msg
 * says which event and why), or NULL when every event may be sent. */
static const char *refused(const web_client *cl, const web_item *items, size_t n, char *msg, size_t size)
{
    for (size_t i = 0; i < n; i++) {
        json_t *o = items[i].json;
        if (!o || !json_is_object(o))
            continue;
        json_t *src = json_object_get(o, "source"), *ty = json_object_get(o, "type");
        if (src && !(json_is_string(src) && strcmp(json_string_value(src), cl->source) == 0)) {
            snprintf(msg, size, "event %zu: source must be %s (the source of this token), or left out", i,
                     cl->source);
            return "forbidden_source";
        }
        if (json_is_string(ty) && !web_client_may_send(cl, json_string_value(ty))) {
            snprintf(msg, size, "event %zu: client %s may not send events of type %.64s", i, cl->source,
                     json_string_value(ty));
            return "forbidden_type";
        }
    }
    return NULL;
}

/* The job for items: each event packed (with its id, given or made) or
 * refused with its reason; *nsent: how many are to be sent. */
static intake_job *job_new(const web_item *items, size_t n, const web_client *cl, size_t *nsent)
{
    intake_job *job = hq_calloc(1, sizeof *job);
    job->n = n;
    job->out = hq_calloc(n, sizeof *job->out);
    job->rep = hq_calloc(n, sizeof *job->rep);
    job->reasons = hq_calloc(n, sizeof *job->reasons);
    hq_buf_init(&job->frames);
    web_out *out = job->out;
    char (*reasons)[256] = job->reasons;
    size_t *off = hq_calloc(n, sizeof *off), nsend = 0;
    /* The ids packed so far (index + 1, open addressing): the same id twice
     * in one request is refused, in linear time. */
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *ids = hq_calloc(cap, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        off[i] = SIZE_MAX;
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
        size_t k = id_hash(out[i].id) & (cap - 1);
        bool dup = false;
        for (; ids[k]; k = (k + 1) & (cap - 1))
            if (strcmp(out[ids[k] - 1].id, out[i].id) == 0) {
                dup = true;
                break;
            }
        if (dup) {
            snprintf(reasons[i], sizeof reasons[i], "id: appears twice in this request");
            continue;
        }
        ids[k] = (uint32_t)(i + 1);
        off[i] = job->frames.len;
        pack_event(o, out[i].id, id != NULL, cl->source, &job->frames);
        out[i].len = job->frames.len - off[i];
        nsend++;
    }
    free(ids);
    for (size_t i = 0; i < n; i++)
        if (off[i] != SIZE_MAX)
            out[i].frame = job->frames.data + off[i];
    free(off);
    *nsent = nsend;
    return job;
}

const web_client *web_bearer_client(web_req *r)
{
    const char *auth = web_header(r, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    const char *t = auth + 7;
    while (*t == ' ')
        t++;
    return web_clients_by_token(&g_web->clients, t, strlen(t));
}

enum MHD_Result web_reply_unauthorized(web_req *r)
{
    return web_reply_json_error(r, 401, "unauthorized",
                                web_header(r, "Authorization") ? "unknown bearer token"
                                                               : "missing Authorization: Bearer TOKEN");
}

static enum MHD_Result intake(web_req *r)
{
    if (strcmp(r->method, "POST") != 0)
        return web_reply_json_error(r, 405, "method", "use POST");
    const web_client *cl = web_bearer_client(r);
    if (!cl)
        return web_reply_unauthorized(r);
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
    char msg[300];
    const char *forbidden = refused(cl, items, n, msg, sizeof msg);
    if (forbidden) {
        web_intake_items_free(items, n);
        return web_reply_json_error(r, 403, forbidden, msg);
    }
    size_t nsend;
    intake_job *job = job_new(items, n, cl, &nsend);
    web_intake_items_free(items, n);
    if (nsend == 0) {
        enum MHD_Result ret = reply_results(r, job);
        intake_job_free(job);
        return ret;
    }
    /* Suspended until houqind answered every event: intake_resumed. */
    r->ctx = job;
    r->ctx_free = intake_job_free;
    if (web_send_async(r, job->out, n, job->rep, intake_resumed, &err) != 0)
        return web_reply_json_error(r, 503, "unavailable", err.msg);
    return MHD_YES;
}
