/* houqinctl status: houqind's counters and clock, from the control socket. */
#include "ctl.h"

#include "buf.h"
#include "clock.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char status_usage[] =
    "NAME\n"
    "    houqinctl status - houqind's counters, state directory and clock\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl status [--control EP] [--curve-server FILE --curve-key FILE] [--json]\n"
    "\n"
    "OPTIONS\n"
    "    --control EP   houqind's control endpoint (default " HQ_DEFAULT_CONTROL ")\n"
    "    --curve-server FILE\n"
    "                   houqind's public key file: use CURVE (when houqind runs with\n"
    "                   --control-keys); default $HQ_CONTROL_CURVE_SERVER\n"
    "    --curve-key FILE\n"
    "                   an administrator's key pair file (houqinctl keygen) whose public\n"
    "                   key is on houqind's --control-keys list; default $HQ_CONTROL_CURVE_KEY\n"
    "    --json         print the reply as one JSON object\n"
    "\n"
    "    Times (the fields whose names end in _ms) are shown in local time\n"
    "    (2036-03-03 09:00:05; - for none); --json keeps them as milliseconds\n"
    "    since 1970.\n";

/* A field's value as a person reads it: a time in local time, a string
 * as it is, anything else as JSON. */
static void human_value(hq_buf *b, const msgpack_object *k, const msgpack_object *v)
{
    bool time = k->type == MSGPACK_OBJECT_STR && k->via.str.size > 3 &&
                memcmp(k->via.str.ptr + k->via.str.size - 3, "_ms", 3) == 0;
    if (time && (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER || v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)) {
        struct tm tm;
        char t[32];
        hq_local_tm(v->via.i64, &tm);
        strftime(t, sizeof t, "%Y-%m-%d %H:%M:%S", &tm);
        hq_buf_puts(b, t);
    } else if (time && v->type == MSGPACK_OBJECT_NIL) {
        hq_buf_putc(b, '-');
    } else if (v->type == MSGPACK_OBJECT_STR) {
        hq_buf_append(b, v->via.str.ptr, v->via.str.size);
    } else {
        hq_json_from_mp(b, v);
    }
}

int cmd_status(int argc, char **argv)
{
    const char *control = HQ_DEFAULT_CONTROL, *curve_server = NULL, *curve_key = NULL;
    bool json = false;
    const hq_opt opts[] = {
        CTL_CONTROL_OPTIONS(&control, &curve_server, &curve_key),
        HQ_OPTION_FLAG("json", 0, &json),
    };
    int rc = ctl_parse_opts(opts, argc, argv, status_usage, "status", NULL);
    if (rc >= 0)
        return rc;
    ctl_control_curve(curve_server, curve_key);
    ctl_reply rp;
    rc = ctl_control_status(control, &rp);
    const msgpack_object *reply = &rp.obj;
    if (rc == 0) {
        hq_buf b;
        hq_buf_init(&b);
        if (json) {
            hq_json_from_mp(&b, reply);
            puts(b.data);
        } else {
            for (uint32_t i = 0; i < reply->via.map.size; i++) {
                hq_buf_reset(&b);
                human_value(&b, &reply->via.map.ptr[i].key, &reply->via.map.ptr[i].val);
                printf("%-12.*s %s\n", (int)reply->via.map.ptr[i].key.via.str.size,
                       reply->via.map.ptr[i].key.via.str.ptr, b.data);
            }
        }
        hq_buf_fini(&b);
    }
    ctl_reply_fini(&rp);
    return rc;
}
