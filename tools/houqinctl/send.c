/* houqinctl send: events from the command line or from JSON lines, sent
 * through the producer API (client.h) and answered one line per event. */
#include "ctl.h"

#include "allowlist.h"
#include "buf.h"
#include "client.h"
#include "clock.h"
#include "json.h"
#include "mem.h"
#include "mp.h"
#include "schema.h"
#include "ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char send_usage[] =
    "NAME\n"
    "    houqinctl send - send events to houqind and wait until each is stored\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl send --type TYPE [--source SRC] [--id ID] [--ts MS] FIELD=VALUE...\n"
    "    houqinctl send --file FILE|-   (JSON lines, one event envelope per line)\n"
    "\n"
    "DESCRIPTION\n"
    "    FIELD=VALUE arguments fill the event's data; a dotted FIELD (a.b=1) makes\n"
    "    nested maps.  Values are typed by the event type's schema (numbers, booleans,\n"
    "    strings); JSON values ([...], {...}) are accepted for lists and maps.\n"
    "    In JSON lines, a missing id, ts or source is filled in (a time-ordered id,\n"
    "    the current time, --source).  Each reply is printed as one line:\n"
    "        stored ID seq=N | duplicate ID seq=N | rejected ID: REASON | timeout ID: REASON\n"
    "    An event with no reply is resent with the same id (Lazy Pirate) and a retry\n"
    "    of a stored event is answered \"duplicate\".\n"
    "\n"
    "OPTIONS\n"
    "    --ingest EP      houqind's ingest endpoint (default " HQ_DEFAULT_INGEST ")\n"
    "    --schemas DIR    schemas used to type FIELD=VALUE (default " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "    --type TYPE      event type (FIELD=VALUE form)\n"
    "    --source SRC     producer id (default houqinctl)\n"
    "    --id ID          event id (default: a new time-ordered id)\n"
    "    --ts MS          event time in ms since the epoch (default: now)\n"
    "    --file FILE      read JSON lines from FILE, or - for stdin\n"
    "    --timeout MS     resend after MS without a reply (default 2500)\n"
    "    --retries N      resends before giving up (default 3)\n"
    "    -q, --quiet      print only rejections and timeouts\n"
    "    --curve-server FILE  houqind's public key file: use CURVE (with --curve-key)\n"
    "    --curve-key FILE     this producer's key pair file (houqinctl keygen)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 every event stored or duplicate; 1 any rejected or timed out; 2 bad usage.\n";

typedef struct kv {
    const char *key;
    const char *val;
} kv;

/* Packs one value typed by its schema field (or guessed without one). */
static int pack_value(msgpack_packer *pk, const hq_field *f, const char *key, const char *v)
{
    int64_t iv;
    double dv;
    if (v[0] == '[' || v[0] == '{')
        goto json;
    if (f) {
        switch (f->type) {
        case HQ_F_INT:
        case HQ_F_TIMESTAMP:
            if (!hq_parse_int64(v, &iv))
                return ctl_fail("%s: expected an integer, got \"%s\"", key, v);
            msgpack_pack_int64(pk, iv);
            return 0;
        case HQ_F_NUMBER:
            if (hq_parse_int64(v, &iv))
                msgpack_pack_int64(pk, iv);
            else if (hq_parse_double(v, &dv))
                msgpack_pack_double(pk, dv);
            else
                return ctl_fail("%s: expected a number, got \"%s\"", key, v);
            return 0;
        case HQ_F_BOOL:
            if (strcmp(v, "true") && strcmp(v, "false"))
                return ctl_fail("%s: expected true or false, got \"%s\"", key, v);
            if (v[0] == 't')
                msgpack_pack_true(pk);
            else
                msgpack_pack_false(pk);
            return 0;
        case HQ_F_MAP:
        case HQ_F_ARRAY:
            goto json;
        default:
            hq_mp_pack_strn(pk, v, strlen(v));
            return 0;
        }
    }
    if (hq_parse_int64(v, &iv))
        msgpack_pack_int64(pk, iv);
    else if (hq_parse_double(v, &dv))
        msgpack_pack_double(pk, dv);
    else if (strcmp(v, "true") == 0)
        msgpack_pack_true(pk);
    else if (strcmp(v, "false") == 0)
        msgpack_pack_false(pk);
    else
        hq_mp_pack_strn(pk, v, strlen(v));
    return 0;
json:;
    hq_err err;
    if (hq_json_to_mp(key, v, strlen(v), pk, &err) != 0)
        return ctl_fail("%s: %s", key, err.msg);
    return 0;
}

/* Packs the kvs whose keys start with prefix (length plen) as a map;
 * dotted keys recurse. */
static int pack_fields(msgpack_packer *pk, const hq_schema *sch, kv *kvs, size_t n, const char *prefix,
                       size_t plen)
{
    /* Collect the distinct next segments, in order of first appearance. */
    const char *seg[256];
    size_t seglen[256], nseg = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(kvs[i].key, prefix, plen) != 0)
            continue;
        const char *rest = kvs[i].key + plen;
        const char *dot = strchr(rest, '.');
        size_t l = dot ? (size_t)(dot - rest) : strlen(rest);
        size_t j;
        for (j = 0; j < nseg; j++)
            if (seglen[j] == l && strncmp(seg[j], rest, l) == 0)
                break;
        if (j == nseg) {
            if (nseg == 256)
                return ctl_fail("too many fields");
            seg[nseg] = rest;
            seglen[nseg++] = l;
        }
    }
    msgpack_pack_map(pk, nseg);
    for (size_t j = 0; j < nseg; j++) {
        hq_mp_pack_strn(pk, seg[j], seglen[j]);
        char sub[512];
        snprintf(sub, sizeof sub, "%.*s%.*s", (int)plen, prefix, (int)seglen[j], seg[j]);
        const kv *leaf = NULL;
        for (size_t i = 0; i < n; i++)
            if (strcmp(kvs[i].key, sub) == 0)
                leaf = &kvs[i];
        if (leaf) {
            const hq_field *f = sch ? hq_schema_field(sch, sub) : NULL;
            int rc = pack_value(pk, f, sub, leaf->val);
            if (rc)
                return rc;
        } else {
            strcat(sub, ".");
            int rc = pack_fields(pk, sch, kvs, n, sub, strlen(sub));
            if (rc)
                return rc;
        }
    }
    return 0;
}

typedef struct send_ctx {
    hq_client *client;
    bool quiet;
    int failed;
    size_t sent;
} send_ctx;

static void print_reply(send_ctx *s, const hq_client_reply *r)
{
    switch (r->status) {
    case HQ_REPLY_STORED:
    case HQ_REPLY_DUPLICATE:
        if (!s->quiet)
            printf("%s %s seq=%llu\n", hq_reply_status_name(r->status), r->id, (unsigned long long)r->seq);
        break;
    default:
        s->failed = 1;
        printf("%s %s: %s\n", hq_reply_status_name(r->status), r->id, r->error);
        break;
    }
}

static int send_frame(send_ctx *s, const char *id, const char *frame, size_t len)
{
    hq_err err;
    if (hq_client_send(s->client, id, frame, len, &err) != 0)
        return ctl_fail("%s", err.msg);
    s->sent++;
    /* Print replies as they come, without letting them pile up. */
    return 0;
}

static int drain(send_ctx *s)
{
    hq_client_reply r;
    hq_err err;
    while (hq_client_pending(s->client) > 0) {
        int rc = hq_client_recv(s->client, &r, &err);
        if (rc == HQ_ENOTFOUND)
            break;
        if (rc)
            return ctl_fail("%s", err.msg);
        print_reply(s, &r);
    }
    return 0;
}

/* One JSON line: fills in id, ts and source when missing, then sends. */
static int send_json_line(send_ctx *s, const char *name, int lineno, const char *line, size_t len,
                          const char *source)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    hq_err err;
    int rc = 0;
    if (hq_json_to_mp(name, line, len, &pk, &err) != 0) {
        char b[700];
        err.line = lineno; /* each line is parsed alone */
        fprintf(stderr, "houqinctl: %s\n", hq_err_str(&err, b, sizeof b));
        s->failed = 1;
        msgpack_sbuffer_destroy(&sb);
        return 0;
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object o;
    size_t off = 0;
    if (msgpack_unpack(sb.data, sb.size, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS ||
        o.type != MSGPACK_OBJECT_MAP) {
        fprintf(stderr, "houqinctl: %s:%d: a line must be a JSON object (an event envelope)\n", name, lineno);
        s->failed = 1;
        goto out;
    }
    const msgpack_object *id = hq_mp_map_get(&o, "id");
    bool add_id = !id, add_ts = !hq_mp_map_get(&o, "ts"), add_src = !hq_mp_map_get(&o, "source");
    char idbuf[72];
    if (id && id->type == MSGPACK_OBJECT_STR && id->via.str.size < sizeof idbuf)
        snprintf(idbuf, sizeof idbuf, "%.*s", (int)id->via.str.size, id->via.str.ptr);
    else if (add_id)
        hq_client_make_id(s->client, idbuf, sizeof idbuf);
    else {
        fprintf(stderr, "houqinctl: %s:%d: id must be a string of at most 64 characters\n", name, lineno);
        s->failed = 1;
        goto out;
    }
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_packer opk;
    msgpack_packer_init(&opk, &out, msgpack_sbuffer_write);
    msgpack_pack_map(&opk, o.via.map.size + add_id + add_ts + add_src);
    for (uint32_t i = 0; i < o.via.map.size; i++) {
        msgpack_pack_object(&opk, o.via.map.ptr[i].key);
        msgpack_pack_object(&opk, o.via.map.ptr[i].val);
    }
    if (add_id) {
        hq_mp_pack_strn(&opk, "id", 2);
        hq_mp_pack_strn(&opk, idbuf, strlen(idbuf));
    }
    if (add_ts) {
        hq_mp_pack_strn(&opk, "ts", 2);
        msgpack_pack_int64(&opk, hq_wall_ms());
    }
    if (add_src) {
        hq_mp_pack_strn(&opk, "source", 6);
        hq_mp_pack_strn(&opk, source, strlen(source));
    }
    rc = send_frame(s, idbuf, out.data, out.size);
    msgpack_sbuffer_destroy(&out);
out:
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static int send_file(send_ctx *s, const char *path, const char *source)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return ctl_fail("%s: cannot open", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        size_t k = 0;
        while (line[k] == ' ' || line[k] == '\t')
            k++;
        if (line[k] == '\0' || line[k] == '#')
            continue;
        rc = send_json_line(s, strcmp(path, "-") == 0 ? "stdin" : path, lineno, line, (size_t)n, source);
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* One event from FIELD=VALUE arguments (typed by the schema of type when
 * the schemas load, else guessed). */
static int send_args(send_ctx *s, const char *schemas_dir, const char *type, const char *source, const char *id,
                     const char *ts, char **args, size_t n)
{
    int rc = 0;
    kv *kvs = hq_calloc(n ? n : 1, sizeof *kvs);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *a = args[i];
        char *eq = strchr(a, '=');
        if (!eq || eq == a)
            rc = ctl_fail("send: expected FIELD=VALUE, got \"%s\"", a);
        else {
            *eq = '\0';
            kvs[i] = (kv){a, eq + 1};
        }
    }
    hq_schemas *schemas = NULL;
    hq_diags diags;
    hq_diags_init(&diags);
    if (rc == 0 && hq_schemas_load_dir(schemas_dir, &schemas, &diags) != 0)
        schemas = NULL; /* untyped: values are guessed */
    hq_diags_fini(&diags);
    const hq_schema *sch = schemas ? hq_schemas_find(schemas, type, strlen(type)) : NULL;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    char idbuf[72];
    if (id)
        snprintf(idbuf, sizeof idbuf, "%s", id);
    else
        hq_client_make_id(s->client, idbuf, sizeof idbuf);
    int64_t tsv = hq_wall_ms();
    if (ts && !hq_parse_int64(ts, &tsv))
        rc = ctl_fail("send: --ts: expected ms since the epoch, got \"%s\"", ts);
    if (rc == 0) {
        msgpack_pack_map(&pk, 5);
        hq_mp_pack_kv(&pk, "id", idbuf);
        hq_mp_pack_kv(&pk, "type", type);
        hq_mp_pack_kv(&pk, "source", source);
        hq_mp_pack_ki64(&pk, "ts", tsv);
        hq_mp_pack_str(&pk, "data");
        rc = pack_fields(&pk, sch, kvs, n, "", 0);
    }
    if (rc == 0)
        rc = send_frame(s, idbuf, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    hq_schemas_destroy(&schemas);
    free(kvs);
    return rc;
}

/* --timeout and --retries as atoi reads them (a number's leading digits). */
static int atoi_arg(const char *arg, void *dst, hq_err *why)
{
    *(int *)dst = atoi(arg);
    return 0;
}

int cmd_send(int argc, char **argv)
{
    const char *curve_server = NULL, *curve_key = NULL;
    char spub[41], cpub[41], csec[41];
    const char *ingest = HQ_DEFAULT_INGEST, *schemas_dir = HQ_DEFAULT_SCHEMAS, *type = NULL,
               *source = "houqinctl", *id = NULL, *ts = NULL, *file = NULL;
    hq_client_opts co = {0};
    send_ctx s = {0};
    const hq_opt opts[] = {
        HQ_OPTION_STR("ingest", &ingest),
        HQ_OPTION_STR("schemas", &schemas_dir),
        HQ_OPTION_STR("type", &type),
        HQ_OPTION_STR("source", &source),
        HQ_OPTION_STR("id", &id),
        HQ_OPTION_STR("ts", &ts),
        HQ_OPTION_STR("file", &file),
        {.name = "timeout", .kind = HQ_OPT_FN, .dst = &co.timeout_ms, .parse = atoi_arg},
        {.name = "retries", .kind = HQ_OPT_FN, .dst = &co.retries, .parse = atoi_arg},
        HQ_OPTION_FLAG("quiet", 'q', &s.quiet),
        HQ_OPTION_STR("curve-server", &curve_server),
        HQ_OPTION_STR("curve-key", &curve_key),
    };
    int first, prc = ctl_parse_opts(opts, argc, argv, send_usage, "send", &first);
    if (prc >= 0)
        return prc;
    if (!file && !type)
        return ctl_fail("send: give --type and FIELD=VALUE arguments, or --file; see houqinctl send --help");
    hq_err err;
    if ((curve_server != NULL) != (curve_key != NULL))
        return ctl_fail("send: --curve-server and --curve-key go together");
    if (curve_server) {
        if (hq_keyfile_read(curve_server, spub, NULL, &err) != 0 || hq_keyfile_read(curve_key, cpub, csec, &err) != 0)
            return ctl_fail("%s", err.msg);
        co.server_key = spub;
        co.public_key = cpub;
        co.secret_key = csec;
    }
    if (hq_client_new(ingest, &co, &s.client, &err) != 0)
        return ctl_fail("%s", err.msg);
    int rc = 0;
    if (file) {
        if (first < argc)
            rc = ctl_fail("send: FIELD=VALUE arguments cannot be combined with --file");
        else
            rc = send_file(&s, file, source);
    } else {
        rc = send_args(&s, schemas_dir, type, source, id, ts, argv + first, (size_t)(argc - first));
    }
    if (rc == 0)
        rc = drain(&s);
    hq_client_destroy(&s.client);
    if (rc)
        return rc;
    return s.failed ? EXIT_REFUSED : 0;
}
