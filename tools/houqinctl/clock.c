/* houqinctl clock: houqind's manual clock, through the control socket
 * (clock.set, clock.advance; status for show). */
#include "ctl.h"

#include "buf.h"
#include "json.h"
#include "mp.h"
#include "ruletest.h"
#include "ytree.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char clock_usage[] =
    "NAME\n"
    "    houqinctl clock - show, set or advance houqind's manual clock\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl clock show [OPTIONS]\n"
    "    houqinctl clock set TIME [OPTIONS]\n"
    "    houqinctl clock advance DURATION [OPTIONS]\n"
    "\n"
    "DESCRIPTION\n"
    "    For houqind started with --clock manual (tests, rehearsals, backtests).\n"
    "    set and advance return when every timer due by the new time has fired,\n"
    "    each at its own due time, and been committed.  TIME is\n"
    "    2026-09-08T10:00+08:00 (seconds and the offset optional; without one,\n"
    "    the local zone), or ms since the epoch; a time earlier than the clock\n"
    "    is accepted only on a state that holds no event yet.  DURATION is 30m,\n"
    "    4h, 7d, 1w2d, ...\n"
    "\n"
    "OPTIONS\n"
    "    --control EP   houqind's control endpoint (default " HQ_DEFAULT_CONTROL ")\n"
    "    --timeout S    wait this many seconds for the reply (default 600: a long\n"
    "                   jump fires many timers)\n"
    "    --curve-server FILE, --curve-key FILE\n"
    "                   CURVE on the control socket, as for houqinctl status\n"
    "    --json         print {clock, clock_ms, time[, next_timer_ms]} as JSON\n"
    "\n"
    "EXAMPLES\n"
    "    houqinctl clock set 2026-09-08T10:00+08:00\n"
    "    houqinctl clock advance 3d\n"
    "    houqinctl clock show --json\n";

static bool get_int(const msgpack_object *map, const char *key, int64_t *out)
{
    return hq_mp_int64(hq_mp_map_get(map, key), out);
}

/* The control request for verb (show, set TIME, advance DURATION) into
 * sb.  Returns 0, or the exit status after saying what is wrong. */
static int clock_request(const char *verb, const char *arg, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int64_t ms = 0;
    if (!strcmp(verb, "show")) {
        if (arg)
            return ctl_fail("clock show: unexpected argument \"%s\"", arg);
        msgpack_pack_map(&pk, 1);
        hq_mp_pack_kv(&pk, "cmd", "status");
        return 0;
    }
    if (strcmp(verb, "set") && strcmp(verb, "advance"))
        return ctl_fail("clock: unknown action \"%s\" (show, set, advance)", verb);
    bool set = verb[0] == 's';
    if (!arg)
        return ctl_fail("clock %s: expected %s", verb, set ? "a TIME like 2026-09-08T10:00+08:00" : "a DURATION like 4h");
    bool ok = set ? (hq_parse_int64(arg, &ms) && ms >= 0) || hq_rt_parse_time(arg, &ms) == 0
                  : hq_parse_duration_ms(arg, &ms) == 0;
    if (!ok)
        return ctl_fail("clock %s: expected %s, got \"%s\"", verb,
                        set ? "a time like 2026-09-08T10:00+08:00 or ms since the epoch"
                            : "a duration like 30m, 4h, 7d or 1w2d",
                        arg);
    msgpack_pack_map(&pk, 2);
    hq_mp_pack_kv(&pk, "cmd", set ? "clock.set" : "clock.advance");
    hq_mp_pack_ki64(&pk, "ms", ms);
    return 0;
}

/* Prints the clock of a reply, as text or JSON.  Returns the exit status. */
static int clock_reply(const char *verb, const msgpack_object *reply, bool json)
{
    const msgpack_object *okv = hq_mp_map_get(reply, "ok");
    int64_t now = 0, next = 0;
    if (!okv || okv->type != MSGPACK_OBJECT_BOOLEAN || !okv->via.boolean) {
        const msgpack_object *e = hq_mp_map_get(reply, "error");
        fprintf(stderr, "houqinctl: clock %s: %.*s\n", verb, e && e->type == MSGPACK_OBJECT_STR ? (int)e->via.str.size : 1,
                e && e->type == MSGPACK_OBJECT_STR ? e->via.str.ptr : "?");
        return EXIT_REFUSED;
    }
    if (!get_int(reply, "clock_ms", &now))
        return ctl_fail("clock %s: the reply has no clock_ms", verb);
    const msgpack_object *kind = hq_mp_map_get(reply, "clock");
    bool has_next = get_int(reply, "next_timer_ms", &next);
    char t[40], tn[40] = "";
    hq_rt_format_time(now, t, sizeof t);
    if (has_next)
        hq_rt_format_time(next, tn, sizeof tn);
    if (json) {
        hq_buf b;
        hq_buf_init(&b);
        hq_buf_puts(&b, "{");
        if (kind && kind->type == MSGPACK_OBJECT_STR)
            hq_buf_printf(&b, "\"clock\":\"%.*s\",", (int)kind->via.str.size, kind->via.str.ptr);
        hq_buf_printf(&b, "\"clock_ms\":%lld,\"time\":\"%s\"", (long long)now, t);
        if (has_next)
            hq_buf_printf(&b, ",\"next_timer_ms\":%lld", (long long)next);
        hq_buf_puts(&b, "}");
        puts(b.data);
        hq_buf_fini(&b);
    } else {
        printf("%s (%lld ms)%s%.*s\n", t, (long long)now, kind ? ", clock " : "",
               kind && kind->type == MSGPACK_OBJECT_STR ? (int)kind->via.str.size : 0,
               kind && kind->type == MSGPACK_OBJECT_STR ? kind->via.str.ptr : "");
        if (has_next)
            printf("next timer %s\n", tn);
    }
    return 0;
}

int cmd_clock(int argc, char **argv)
{
    const char *control = HQ_DEFAULT_CONTROL, *curve_server = NULL, *curve_key = NULL;
    bool json = false;
    int64_t timeout_s = 600;
    const hq_opt opts[] = {
        CTL_CONTROL_OPTIONS(&control, &curve_server, &curve_key),
        {.name = "timeout", .kind = HQ_OPT_I64, .dst = &timeout_s, .min = 1, .max = 86400, .got = true,
         .expect = "expected seconds from 1 to 86400"},
        HQ_OPTION_FLAG("json", 0, &json),
    };
    const char *words[2]; /* the verb and its argument */
    int rc = ctl_parse_operands(opts, argc, argv, clock_usage, "clock",
                                "expected show, set TIME or advance DURATION (houqinctl clock --help)", words, 2);
    if (rc >= 0)
        return rc;
    const char *verb = words[0], *arg = words[1];

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    rc = clock_request(verb, arg, &sb);
    if (rc) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    ctl_control_curve(curve_server, curve_key);
    ctl_reply rp;
    rc = ctl_control_ask(control, sb.data, sb.size, (int)(timeout_s * 1000), &rp);
    msgpack_sbuffer_destroy(&sb);
    if (rc == 0)
        rc = clock_reply(verb, &rp.obj, json);
    ctl_reply_fini(&rp);
    return rc;
}
