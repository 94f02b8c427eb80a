/* /console/health: the rule set's health (docs/web.md "Rule set health"),
 * from houqind's control `status` (SPEC §8): the rules in force and when
 * they were loaded, the last refused reload and why, whether actions are
 * checked, and the refusals by reason and by source since houqind started.
 *
 * One DEALER per request on houqin-web's own ZeroMQ context, a 2 s bound;
 * houqind not answering is a page that says so (503).  The control socket
 * is an administrators' socket: houqin-web needs to reach it (--control,
 * the ipc endpoint's group); with --control-keys (CURVE) this page is not
 * available.  Office staff only (not a contractor's person). */
#include "mem.h"
#include "web.h"

#include "clock.h"
#include "mp.h"

#include <msgpack.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

enum MHD_Result web_console_error(web_req *r, const hq_person *p, unsigned status, const char *msg);
void web_console_begin(hq_buf *b, const char *title, const hq_person *p, int nav);
enum MHD_Result web_console_send(web_req *r, unsigned status, hq_buf *b);

static void *g_ctx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void ctx_init(void)
{
    g_ctx = zmq_ctx_new();
}

/* {"cmd":"status"} to houqind; 0 with the reply unpacked into up, or -1. */
/* Asks houqind's control socket for its status.  The unpacked objects
 * point into *frame (msgpack strings are not copied), which the caller
 * frees after them. */
static int status_call(msgpack_unpacked *up, char **frame)
{
    *frame = NULL;
    pthread_once(&g_once, ctx_init);
    void *s = g_ctx ? zmq_socket(g_ctx, ZMQ_DEALER) : NULL;
    if (!s)
        return -1;
    int zero = 0, rc = -1;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    static const char req[] = "\x81\xa3"
                              "cmd\xa6"
                              "status";
    if (zmq_connect(s, g_web->control) == 0 && zmq_send(s, req, sizeof req - 1, 0) >= 0) {
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 2000) == 1) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, 0) >= 0) {
                size_t n = zmq_msg_size(&m);
                *frame = hq_malloc(n ? n : 1);
                memcpy(*frame, zmq_msg_data(&m), n);
                if (msgpack_unpack_next(up, *frame, n, NULL) == MSGPACK_UNPACK_SUCCESS &&
                    up->data.type == MSGPACK_OBJECT_MAP)
                    rc = 0;
            }
            zmq_msg_close(&m);
        }
    }
    zmq_close(s);
    return rc;
}

static uint64_t num(const msgpack_object *map, const char *k)
{
    const msgpack_object *o = hq_mp_map_get(map, k);
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 : 0;
}

static void str(hq_buf *b, const msgpack_object *map, const char *k)
{
    const msgpack_object *o = hq_mp_map_get(map, k);
    if (o && o->type == MSGPACK_OBJECT_STR)
        web_html_n(b, o->via.str.ptr, o->via.str.size);
    else
        hq_buf_puts(b, "—");
}

static void when(hq_buf *b, const msgpack_object *map, const char *k)
{
    int64_t ms;
    char t[64];
    if (!hq_mp_int64(hq_mp_map_get(map, k), &ms) || ms <= 0) {
        hq_buf_puts(b, "—");
        return;
    }
    hq_local_fmt(ms, t, sizeof t);
    web_html(b, t);
}

/* Chinese words of the refusal reasons (perm.h hq_perm_reason names). */
static const char *reason_label(const char *name, size_t len)
{
    static const char *const map[][2] = {
        {"unknown_actor", "操作人不是组织中的人员"},
        {"role", "角色无此权限"},
        {"scope", "超出所负责的领域或单位"},
        {"separation_contractor", "监管分离：合作企业不能复查、办结"},
        {"separation_self_recheck", "监管分离：整改人不能复查通过自己的整改"},
        {"key_mismatch", "密钥与操作人不符"},
        {"not_gateway", "来源无代办权限"},
        {"gateway_role", "代办网关不能代此角色"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strlen(map[i][0]) == len && !memcmp(map[i][0], name, len))
            return map[i][1];
    return NULL;
}

static void counts(hq_buf *b, const msgpack_object *o, bool reasons, const char *id)
{
    hq_buf_printf(b, "<table id=\"%s\"><tr><th>%s</th><th>次数</th></tr>", id, reasons ? "原因" : "来源");
    size_t shown = 0;
    for (uint32_t i = 0; o && o->type == MSGPACK_OBJECT_MAP && i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            continue;
        if (reasons && kv->val.via.u64 == 0)
            continue;
        const char *label = reasons ? reason_label(kv->key.via.str.ptr, kv->key.via.str.size) : NULL;
        hq_buf_puts(b, "<tr><td>");
        if (label)
            web_html(b, label);
        hq_buf_puts(b, label ? " <code>" : "<code>");
        web_html_n(b, kv->key.via.str.ptr, kv->key.via.str.size);
        hq_buf_printf(b, "</code></td><td>%llu</td></tr>", (unsigned long long)kv->val.via.u64);
        shown++;
    }
    if (!shown)
        hq_buf_puts(b, "<tr><td colspan=\"2\">无</td></tr>");
    hq_buf_puts(b, "</table>");
}

enum MHD_Result web_health(web_req *r, const hq_person *p);
enum MHD_Result web_health(web_req *r, const hq_person *p)
{
    if (web_is_contractor(p))
        return web_console_error(r, p, 404, "页面不存在。");
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    char *frame;
    if (status_call(&up, &frame) != 0) {
        msgpack_unpacked_destroy(&up);
        free(frame);
        return web_console_error(r, p, 503, "无法从 houqind 的控制接口读取运行状态（--control），请稍后再试或联系系统管理员。");
    }
    const msgpack_object *st = &up.data;
    hq_buf b;
    hq_buf_init(&b);
    web_console_begin(&b, "规则运行状态", p, 5 /* NAV_HEALTH */);
    hq_buf_puts(&b, "<div class=\"card\"><h3>规则</h3><dl id=\"rules\"><dt>已加载规则</dt><dd id=\"rules-count\">");
    hq_buf_printf(&b, "%llu 条", (unsigned long long)num(st, "rules"));
    hq_buf_puts(&b, "</dd><dt>规则目录</dt><dd>");
    str(&b, st, "rules_dir");
    hq_buf_puts(&b, "</dd><dt>加载时间</dt><dd>");
    when(&b, st, "rules_loaded_ms");
    hq_buf_puts(&b, "</dd><dt>权限检查</dt><dd id=\"permissions\">");
    hq_buf_puts(&b, hq_mp_str_eq(hq_mp_map_get(st, "permissions"), "on") ? "已启用（permissions.yaml）" : "未启用");
    hq_buf_puts(&b, "</dd></dl></div><div class=\"card\"><h3>上次被拒绝的重新加载</h3>");
    const msgpack_object *refused = hq_mp_map_get(st, "reload_refused");
    if (refused && refused->type == MSGPACK_OBJECT_BOOLEAN && refused->via.boolean) {
        hq_buf_puts(&b, "<p class=\"err\" id=\"reload-refused\">");
        when(&b, st, "reload_refused_ms");
        hq_buf_puts(&b, "：新规则有错误，未生效，仍按原规则运行。</p><pre class=\"scroll\" id=\"reload-error\">");
        str(&b, st, "reload_error");
        hq_buf_puts(&b, "</pre>");
    } else {
        hq_buf_puts(&b, "<p id=\"reload-refused\">无（自启动以来每次重新加载均成功）</p>");
    }
    hq_buf_puts(&b, "</div><div class=\"card\"><h3>被拒绝的操作（自 houqind 启动）</h3>");
    counts(&b, hq_mp_map_get(st, "refusals"), true, "refusals");
    counts(&b, hq_mp_map_get(st, "refusals_by_source"), false, "refusals-by-source");
    hq_buf_printf(&b, "</div><div class=\"card\"><h3>事件</h3><dl><dt>已存储</dt><dd>%llu</dd><dt>重复</dt><dd>%llu</dd>"
                      "<dt>被拒绝</dt><dd id=\"rejected\">%llu</dd><dt>未办结问题</dt><dd>%llu</dd>"
                      "<dt>卡住的问题</dt><dd>%llu</dd></dl></div>",
                  (unsigned long long)num(st, "stored"), (unsigned long long)num(st, "duplicate"),
                  (unsigned long long)num(st, "rejected"), (unsigned long long)num(st, "open_issues"),
                  (unsigned long long)num(st, "stuck_issues"));
    msgpack_unpacked_destroy(&up);
    free(frame);
    return web_console_send(r, 200, &b);
}
