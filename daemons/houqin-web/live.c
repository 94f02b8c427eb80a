/* live.c - live updates of the console: houqind's PUB stream as
 * server-sent events (docs/web.md "Live updates").
 *
 * One thread subscribes to houqind's publish socket (SPEC §5: a topic
 * frame "alert.<kind>.<domain>.<severity>" and an outbox record; "hugz"
 * heartbeats with last_seq) and keeps the last LIVE_RING records in a ring,
 * each reduced to what a page needs to know that it changed: the issue,
 * the kind of change, its level and deadline (no title, no text, nothing
 * of the complainant).
 *
 * GET /console/live is an event stream for the logged-in person: a
 * response from a callback that libmicrohttpd calls on a worker thread when
 * the socket can take more.  With nothing to send the callback suspends
 * the connection (no thread is held by a waiting subscriber); the
 * subscriber thread resumes it when a record arrives, when its heartbeat
 * comment is due (which is also how a subscriber that went away is
 * noticed) and when the stream has reached its maximum age (the browser
 * reconnects and the session is checked again).  Each record is sent only
 * to whom may see its issue (scope.c: a contractor only its own), and, with
 * ?issue=N, only that issue's.  A stream that reconnects with Last-Event-ID
 * gets what it missed from the ring, or a "refresh" event when the ring no
 * longer holds it; so does everyone when a heartbeat of houqind shows that
 * records were published that never arrived here (the page reads its state
 * again: the events are hints, the page is the truth).
 *
 * Shutdown: web_live_stop ends every stream (the callback answers end of
 * stream once resumed) and waits until libmicrohttpd has let go of them.
 *
 * GET /console/live.js is the page script: on the dashboard and an issue's
 * page it opens the stream and, on an event, reads the page again and
 * replaces its <main> (on an issue's page not while the person is typing
 * into a form: a line above the page says so).  Without the script the
 * pages work the same, without live updates. */
#include "web.h"

#include "alert_route.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "mp.h"

#include <errno.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>
#include <zmq.h>

#define LIVE_RING 1024
#define LIVE_MAX_AGE_MS (15 * 60 * 1000) /* then the browser reconnects (and is authenticated again) */
#define LIVE_POLL_MS 250

typedef struct live_ev {
    uint64_t seq;      /* houqind's outbox sequence number (0: a refresh) */
    char issue[HQ_ISSUE_NUMBER_SIZE + 1];
    char *domain, *contractor;
    char *frame;       /* the SSE frame (id, event, data) */
    size_t len;
} live_ev;

typedef struct live_sub {
    LIST_ENTRY(live_sub) link; /* in L.subs */
    struct MHD_Connection *conn;
    const hq_person *p;            /* from the rules, which live as long as the process */
    char issue[HQ_ISSUE_NUMBER_SIZE + 1]; /* only this issue's events ("": all) */
    uint64_t pos;                  /* the ring position it reads next */
    int64_t hb_due_ms, end_ms;
    bool suspended, hello, ended, refresh;
    char *pending;                 /* a frame that did not fit the last buffer */
    size_t pending_len, pending_off;
} live_sub;

static struct {
    pthread_mutex_t lock;
    live_ev ring[LIVE_RING];
    uint64_t head;     /* ring positions written so far: [head - LIVE_RING, head) are held */
    uint64_t last_seq; /* the newest outbox seq seen (records or heartbeats) */
    LIST_HEAD(, live_sub) subs;
    size_t nsubs, max;
    int hb_ms;
    bool started, stopping;
    pthread_t thread;
    void *zctx, *sub;
} L = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The notification kind in the vocabulary's words (notices). */
static const char *kind_label(const char *kind)
{
    const char *l = hq_label_find(HQ_LBL_NOTICE, kind);
    return l ? l : "有更新";
}

/* Under L.lock. */
static void ring_push(uint64_t seq, const char *issue, const char *domain, const char *contractor, hq_buf *frame)
{
    live_ev *e = &L.ring[L.head % LIVE_RING];
    free(e->domain);
    free(e->contractor);
    free(e->frame);
    e->seq = seq;
    snprintf(e->issue, sizeof e->issue, "%s", issue);
    e->domain = hq_strdup(domain);
    e->contractor = hq_strdup(contractor);
    e->len = frame->len;
    e->frame = hq_malloc(frame->len + 1);
    memcpy(e->frame, frame->data, frame->len);
    e->frame[frame->len] = '\0';
    L.head++;
}

/* Under L.lock: wakes the suspended streams that have something to do. */
static void wake(bool all)
{
    int64_t now = hq_mono_ms();
    live_sub *s;
    LIST_FOREACH(s, &L.subs, link)
        if (s->suspended && (all || s->pos < L.head || s->refresh || now >= s->hb_due_ms || now >= s->end_ms)) {
            s->suspended = false;
            MHD_resume_connection(s->conn);
        }
}

static void push_refresh(void)
{
    hq_buf f;
    hq_buf_init(&f);
    hq_buf_puts(&f, "event: refresh\ndata: {}\n\n");
    ring_push(0, "", "", "", &f);
    hq_buf_fini(&f);
}

static void on_record(const char *buf, size_t len)
{
    hq_alert_rec r;
    hq_err err = {0};
    if (hq_alert_rec_decode(buf, len, &r, &err) != 0) {
        hq_log_warn("live: a published record that does not decode (%s)", err.msg);
        pthread_mutex_lock(&L.lock);
        push_refresh();
        pthread_mutex_unlock(&L.lock);
        return;
    }
    pthread_mutex_lock(&L.lock);
    if (L.last_seq && r.seq > L.last_seq + 1)
        push_refresh(); /* some were published that did not reach us */
    if (r.seq > L.last_seq)
        L.last_seq = r.seq;
    if (r.issue[0] && strlen(r.issue) <= HQ_ISSUE_NUMBER_SIZE) {
        hq_buf f;
        hq_buf_init(&f);
        hq_buf_printf(&f, "id: %" PRIu64 "\nevent: issue\ndata: {\"seq\":%" PRIu64, r.seq, r.seq);
        hq_json_kstr(&f, "issue", r.issue);
        hq_json_kstr(&f, "kind", r.kind);
        hq_json_kstr(&f, "label", kind_label(r.kind));
        hq_json_kint(&f, "level", r.level);
        hq_json_kint(&f, "ts_ms", r.ts_ms);
        if (r.deadline_ms > 0)
            hq_json_kint(&f, "deadline_ms", r.deadline_ms);
        hq_buf_puts(&f, "}\n\n");
        ring_push(r.seq, r.issue, r.domain, r.contractor, &f);
        hq_buf_fini(&f);
    }
    wake(false);
    pthread_mutex_unlock(&L.lock);
    hq_alert_rec_fini(&r);
}

static void on_hugz(const char *buf, size_t len)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 256);
    msgpack_object o;
    int64_t last = 0;
    if (hq_mp_decode(buf, len, &hq_mp_default_limits, &zone, &o, NULL) == 0 && o.type == MSGPACK_OBJECT_MAP &&
        hq_mp_int64(hq_mp_map_get(&o, "last_seq"), &last) && last > 0) {
        pthread_mutex_lock(&L.lock);
        if (L.last_seq && (uint64_t)last > L.last_seq) {
            push_refresh();
            wake(false);
        }
        if ((uint64_t)last > L.last_seq || (uint64_t)last + 1 < L.last_seq)
            L.last_seq = (uint64_t)last; /* ahead: caught up; far behind: a new houqind state */
        pthread_mutex_unlock(&L.lock);
    }
    msgpack_zone_destroy(&zone);
}

static void *live_main(void *arg)
{
    (void)arg;
    while (true) {
        pthread_mutex_lock(&L.lock);
        bool stop = L.stopping;
        pthread_mutex_unlock(&L.lock);
        if (stop)
            break;
        zmq_pollitem_t it = {.socket = L.sub, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, LIVE_POLL_MS) > 0) {
            for (int n = 0; n < 1000; n++) {
                zmq_msg_t f[2];
                int nf = 0;
                bool more = true, got = true;
                while (more) {
                    zmq_msg_t m;
                    zmq_msg_init(&m);
                    if (zmq_msg_recv(&m, L.sub, nf == 0 ? ZMQ_DONTWAIT : 0) < 0) {
                        zmq_msg_close(&m);
                        got = false;
                        break;
                    }
                    more = zmq_msg_more(&m);
                    if (nf < 2)
                        f[nf++] = m;
                    else
                        zmq_msg_close(&m);
                }
                if (!got && nf == 0)
                    break;
                if (got && nf == 2) {
                    if (zmq_msg_size(&f[0]) == 4 && !memcmp(zmq_msg_data(&f[0]), "hugz", 4))
                        on_hugz(zmq_msg_data(&f[1]), zmq_msg_size(&f[1]));
                    else
                        on_record(zmq_msg_data(&f[1]), zmq_msg_size(&f[1]));
                }
                for (int i = 0; i < nf; i++)
                    zmq_msg_close(&f[i]);
            }
        }
        /* Heartbeats and streams at their maximum age. */
        pthread_mutex_lock(&L.lock);
        wake(false);
        pthread_mutex_unlock(&L.lock);
    }
    return NULL;
}

int web_live_start(const char *ep, unsigned max, int hb_s, hq_err *err)
{
    L.max = max;
    L.hb_ms = hb_s * 1000;
    if (max == 0)
        return 0;
    L.zctx = zmq_ctx_new();
    L.sub = zmq_socket(L.zctx, ZMQ_SUB);
    int zero = 0, hwm = 100000;
    int64_t maxmsg = 1 << 20;
    zmq_setsockopt(L.sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(L.sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(L.sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(L.sub, ZMQ_SUBSCRIBE, "alert.", 6);
    zmq_setsockopt(L.sub, ZMQ_SUBSCRIBE, "hugz", 4);
    if (zmq_connect(L.sub, ep) != 0) {
        hq_err_set(err, HQ_EINVAL, "--subscribe %s: %s", ep, zmq_strerror(errno));
        zmq_close(L.sub);
        zmq_ctx_term(L.zctx);
        L.sub = L.zctx = NULL;
        return HQ_EINVAL;
    }
    if (pthread_create(&L.thread, NULL, live_main, NULL) != 0) {
        hq_err_set(err, HQ_EIO, "cannot start the live updates' thread");
        zmq_close(L.sub);
        zmq_ctx_term(L.zctx);
        L.sub = L.zctx = NULL;
        return HQ_EIO;
    }
    L.started = true;
    return 0;
}

void web_live_stop(int wait_ms)
{
    if (!L.started)
        return;
    pthread_mutex_lock(&L.lock);
    L.stopping = true;
    wake(true);
    pthread_mutex_unlock(&L.lock);
    pthread_join(L.thread, NULL);
    zmq_close(L.sub);
    zmq_ctx_term(L.zctx);
    /* The callbacks answer end of stream; libmicrohttpd frees each
     * response (sub_free) once its connection is done with it. */
    int64_t until = hq_mono_ms() + wait_ms;
    while (true) {
        pthread_mutex_lock(&L.lock);
        size_t n = L.nsubs;
        if (n)
            wake(true);
        pthread_mutex_unlock(&L.lock);
        if (!n || hq_mono_ms() >= until) {
            if (n)
                hq_log_warn("live: %zu stream(s) still open at shutdown", n);
            break;
        }
        usleep(10000);
    }
    for (size_t i = 0; i < LIVE_RING; i++) {
        free(L.ring[i].domain);
        free(L.ring[i].contractor);
        free(L.ring[i].frame);
    }
    memset(L.ring, 0, sizeof L.ring);
    L.started = false;
}

/* ---- one stream ---- */

static bool sub_wants(const live_sub *s, const live_ev *e)
{
    if (e->seq == 0)
        return true; /* a refresh: carries nothing */
    if (s->issue[0] && strcmp(s->issue, e->issue) != 0)
        return false;
    return web_may_see(s->p, e->domain, e->contractor);
}

/* Copies what fits of the pending frame; true when it is all out. */
static bool drain(live_sub *s, char *buf, size_t max, size_t *o)
{
    size_t n = s->pending_len - s->pending_off;
    if (n > max - *o)
        n = max - *o;
    memcpy(buf + *o, s->pending + s->pending_off, n);
    *o += n;
    s->pending_off += n;
    if (s->pending_off < s->pending_len)
        return false;
    free(s->pending);
    s->pending = NULL;
    return true;
}

static void set_pending(live_sub *s, const char *data, size_t len)
{
    s->pending = hq_malloc(len);
    memcpy(s->pending, data, len);
    s->pending_len = len;
    s->pending_off = 0;
}

static ssize_t sub_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    live_sub *s = cls;
    size_t o = 0;
    pthread_mutex_lock(&L.lock);
    int64_t now = hq_mono_ms();
    if (s->pending && !drain(s, buf, max, &o))
        goto out;
    if (L.stopping || s->ended || now >= s->end_ms) {
        s->ended = true;
        pthread_mutex_unlock(&L.lock);
        return o ? (ssize_t)o : MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (!s->hello) {
        s->hello = true;
        set_pending(s, "retry: 3000\n: houqin live\n\n", strlen("retry: 3000\n: houqin live\n\n"));
        if (!drain(s, buf, max, &o))
            goto out;
    }
    if (L.head > LIVE_RING && s->pos < L.head - LIVE_RING) {
        s->pos = L.head - LIVE_RING; /* it fell behind the ring */
        s->refresh = true;
    }
    if (s->refresh) {
        /* The page reads itself again. */
        s->refresh = false;
        static const char rf[] = "event: refresh\ndata: {}\n\n";
        set_pending(s, rf, strlen(rf));
        if (!drain(s, buf, max, &o))
            goto out;
    }
    while (s->pos < L.head) {
        const live_ev *e = &L.ring[s->pos % LIVE_RING];
        s->pos++;
        if (!sub_wants(s, e))
            continue;
        set_pending(s, e->frame, e->len);
        if (!drain(s, buf, max, &o))
            goto out;
    }
    if (o == 0 && now >= s->hb_due_ms) {
        set_pending(s, ": hb\n\n", 6);
        drain(s, buf, max, &o);
    }
out:
    if (o) {
        s->hb_due_ms = now + L.hb_ms;
        pthread_mutex_unlock(&L.lock);
        return (ssize_t)o;
    }
    /* Nothing to send: the subscriber thread resumes it. */
    s->suspended = true;
    MHD_suspend_connection(s->conn);
    pthread_mutex_unlock(&L.lock);
    return 0;
}

static void sub_free(void *cls)
{
    live_sub *s = cls;
    pthread_mutex_lock(&L.lock);
    LIST_REMOVE(s, link);
    L.nsubs--;
    pthread_mutex_unlock(&L.lock);
    free(s->pending);
    free(s);
}

enum MHD_Result web_live(web_req *r)
{
    if (strcmp(r->method, "GET") != 0)
        return web_reply(r, 405, "text/plain; charset=utf-8", "405 只支持 GET\n", strlen("405 只支持 GET\n"));
    const hq_person *p = web_auth(r);
    if (!p)
        return web_reply(r, 401, "text/plain; charset=utf-8", "401 请先登录\n", strlen("401 请先登录\n"));
    const char *issue = web_query(r, "issue");
    if (issue && (!*issue || strlen(issue) > HQ_ISSUE_NUMBER_SIZE))
        return web_reply(r, 400, "text/plain; charset=utf-8", "400 问题编号不对\n", strlen("400 问题编号不对\n"));
    const char *last = web_header(r, "Last-Event-ID");
    pthread_mutex_lock(&L.lock);
    if (!L.started || L.stopping || L.nsubs >= L.max) {
        pthread_mutex_unlock(&L.lock);
        static const char busy[] = "503 实时更新暂不可用，页面内容仍可刷新查看\n";
        return web_reply(r, 503, "text/plain; charset=utf-8", busy, strlen(busy));
    }
    live_sub *s = hq_calloc(1, sizeof *s);
    s->conn = r->conn;
    s->p = p;
    snprintf(s->issue, sizeof s->issue, "%s", issue ? issue : "");
    s->pos = L.head;
    if (last && *last) {
        /* A reconnect: what it missed, if the ring still holds it (the
         * record it saw last among them), else a refresh. */
        uint64_t id = strtoull(last, NULL, 10), lo = L.head > LIVE_RING ? L.head - LIVE_RING : 0;
        bool seen = false;
        uint64_t i = lo;
        for (; i < L.head; i++) {
            uint64_t q = L.ring[i % LIVE_RING].seq;
            if (q == id)
                seen = true;
            else if (q > id)
                break;
        }
        s->pos = i;
        s->refresh = !seen && id != L.last_seq;
    }
    int64_t now = hq_mono_ms();
    s->hb_due_ms = now + L.hb_ms;
    s->end_ms = now + LIVE_MAX_AGE_MS;
    LIST_INSERT_HEAD(&L.subs, s, link);
    L.nsubs++;
    pthread_mutex_unlock(&L.lock);

    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sub_read, s, sub_free);
    if (!resp) {
        sub_free(s);
        return MHD_NO;
    }
    web_headers(resp, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* nginx: pass each event on at once */
    /* No idle timeout on a stream: its heartbeats find a peer that left,
     * and it ends at LIVE_MAX_AGE_MS. */
    MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- the page script ---- */

static const char live_js[] =
    "/* houqin-web: live updates of the dashboard and an issue's page (live.c).\n"
    "   Without this script the pages are the same, only not live. */\n"
    "(function () {\n"
    "  'use strict';\n"
    "  if (!window.EventSource || !window.fetch || !window.DOMParser) return;\n"
    "  var main = document.querySelector('main'), num = document.getElementById('number');\n"
    "  var path = location.pathname, issue = '';\n"
    "  if (/^\\/console\\/issue\\/[^\\/]+$/.test(path) && num) issue = num.textContent.trim();\n"
    "  else if (path !== '/console') return;\n"
    "  if (!main) return;\n"
    "  var bar = document.createElement('p');\n"
    "  bar.id = 'live';\n"
    "  bar.setAttribute('role', 'status');\n"
    "  bar.style.cssText = 'max-width:1100px;margin:0 auto;padding:4px 12px;font-size:13px;color:#86909c';\n"
    "  bar.textContent = '实时更新：连接中…';\n"
    "  main.parentNode.insertBefore(bar, main);\n"
    "  var busy = false, again = '', updates = 0;\n"
    "  function hhmm() {\n"
    "    var d = new Date();\n"
    "    return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2) + ':' +\n"
    "      ('0' + d.getSeconds()).slice(-2);\n"
    "  }\n"
    "  function typing() {\n"
    "    var f = main.querySelectorAll('textarea, input[type=text], input[type=file], input:not([type])');\n"
    "    for (var i = 0; i < f.length; i++) if (f[i].value) return true;\n"
    "    return false;\n"
    "  }\n"
    "  function show(what, stale) {\n"
    "    bar.textContent = stale ? what : '实时更新：' + hhmm() + ' ' + what;\n"
    "    bar.style.color = stale ? '#b26a00' : '#86909c';\n"
    "  }\n"
    "  function refresh(what) {\n"
    "    if (busy) { again = what; return; }\n"
    "    if (issue && typing()) { show('此问题有新进展（' + what + '），请刷新页面后再办理', true); return; }\n"
    "    busy = true;\n"
    "    fetch(location.href, {credentials: 'same-origin', cache: 'no-store'}).then(function (r) {\n"
    "      if (!r.ok || r.redirected) throw new Error('HTTP ' + r.status);\n"
    "      return r.text();\n"
    "    }).then(function (t) {\n"
    "      var m = new DOMParser().parseFromString(t, 'text/html').querySelector('main');\n"
    "      if (!m) throw new Error('no main');\n"
    "      m = document.adoptNode(m);\n"
    "      main.parentNode.replaceChild(m, main);\n"
    "      main = m;\n"
    "      document.body.setAttribute('data-live-updates', String(++updates));\n"
    "      show(what || '已更新', false);\n"
    "    }).catch(function () {\n"
    "      show('此页有更新，请刷新页面', true);\n"
    "    }).then(function () {\n"
    "      busy = false;\n"
    "      if (again) { var w = again; again = ''; refresh(w); }\n"
    "    });\n"
    "  }\n"
    "  var es = new EventSource('/console/live' + (issue ? '?issue=' + encodeURIComponent(issue) : ''));\n"
    "  es.onopen = function () { bar.textContent = '实时更新：已连接'; bar.style.color = '#86909c'; };\n"
    "  es.onerror = function () {\n"
    "    bar.textContent = es.readyState === 2 ? '实时更新已停止，请刷新页面' : '实时更新：连接中断，正在重连…';\n"
    "  };\n"
    "  es.addEventListener('issue', function (e) {\n"
    "    var d = {};\n"
    "    try { d = JSON.parse(e.data); } catch (x) { }\n"
    "    refresh((d.issue || '') + ' ' + (d.label || ''));\n"
    "  });\n"
    "  es.addEventListener('refresh', function () { refresh('已更新'); });\n"
    "  window.addEventListener('pagehide', function () { es.close(); });\n"
    "})();\n";

enum MHD_Result web_live_js(web_req *r)
{
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
        return web_reply(r, 405, "text/plain; charset=utf-8", "405 只支持 GET\n", strlen("405 只支持 GET\n"));
    return web_reply(r, 200, "text/javascript; charset=utf-8", live_js, sizeof live_js - 1);
}
