/* send.c - the channels.
 *
 * webhook and email: libcurl's multi interface driven by our zmq_poll
 *   (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION): every transfer has its own
 *   timeouts, connections are kept alive and reused, and nothing waits for
 *   a slow server but that server's lane.
 * command: posix_spawn (never fork: a live ZeroMQ context must not be
 *   forked, libzmq#3531), the alert as JSON on stdin through a
 *   non-blocking pipe, exit status 0 = delivered; killed after the
 *   channel's timeout.
 * file: one JSON line appended (O_APPEND) and fsynced.
 *
 * A finished transfer leaves a->inflight for a->done with ok/permanent/
 * error set (sched_on_result); the loop commits the results in groups.
 */
#include "alertd.h"

#include "clock.h"
#include "log.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- bookkeeping ---- */

void xfer_free(xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    curl_slist_free_all(x->rcpt);
    hq_buf_fini(&x->payload);
    if (x->fd_in >= 0)
        close(x->fd_in);
    free(x);
}

static void finish(alertd *a, xfer *x)
{
    for (xfer **pp = &a->inflight; *pp; pp = &(*pp)->next)
        if (*pp == x) {
            *pp = x->next;
            a->ninflight--;
            break;
        }
    sched_on_result(a, x);
}

static void fail(xfer *x, bool permanent, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(xfer *x, bool permanent, const char *fmt, ...)
{
    x->ok = false;
    x->permanent = permanent;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->error, sizeof x->error, fmt, ap);
    va_end(ap);
}

/* ---- libcurl glue ---- */

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e;
    (void)socketp;
    alertd *a = userp;
    size_t i = 0;
    while (i < a->ncfds && a->cfds[i].fd != s)
        i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < a->ncfds)
            a->cfds[i] = a->cfds[--a->ncfds];
        return 0;
    }
    if (i == a->ncfds) {
        if (a->ncfds == a->capcfds) {
            a->capcfds = a->capcfds ? a->capcfds * 2 : 32;
            a->cfds = hq_realloc(a->cfds, a->capcfds * sizeof *a->cfds);
        }
        a->ncfds++;
    }
    a->cfds[i] = (zmq_pollitem_t){.socket = NULL, .fd = s, .events = 0};
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        a->cfds[i].events |= ZMQ_POLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        a->cfds[i].events |= ZMQ_POLLOUT;
    return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    alertd *a = userp;
    a->curl_due_mono = timeout_ms < 0 ? INT64_MAX : hq_mono_ms() + timeout_ms;
    return 0;
}

int send_init(alertd *a)
{
    a->curl_due_mono = INT64_MAX;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    a->multi = curl_multi_init();
    if (!a->multi)
        return -1;
    curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
    curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
    curl_multi_setopt(a->multi, CURLMOPT_MAXCONNECTS, 128L);
    return 0;
}

void send_fini(alertd *a)
{
    send_abort_all(a);
    if (a->multi)
        curl_multi_cleanup(a->multi);
    a->multi = NULL;
    free(a->cfds);
    a->cfds = NULL;
    a->ncfds = a->capcfds = 0;
    curl_global_cleanup();
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n, room = sizeof x->resp - 1 - x->resp_len;
    size_t take = len < room ? len : room;
    memcpy(x->resp + x->resp_len, p, take);
    x->resp_len += take;
    x->resp[x->resp_len] = '\0';
    return len;
}

static size_t read_cb(char *buf, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t room = size * n, left = x->payload.len - x->sent;
    size_t take = left < room ? left : room;
    memcpy(buf, x->payload.data + x->sent, take);
    x->sent += take;
    return take;
}

static CURL *easy_common(xfer *x, const hq_channel *ch, const char *protocols)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, ch->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)ch->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    return e;
}

static bool start_webhook(xfer *x, const hq_channel *ch)
{
    CURL *e = x->easy = easy_common(x, ch, "http,https");
    if (!e)
        return false;
    char h[300];
    snprintf(h, sizeof h, "Idempotency-Key: %s", x->key);
    x->headers = curl_slist_append(x->headers, "Content-Type: application/json; charset=utf-8");
    x->headers = curl_slist_append(x->headers, h);
    x->headers = curl_slist_append(x->headers, "Expect:");
    x->headers = curl_slist_append(x->headers, "User-Agent: houqin-alertd/" HQ_VERSION);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->payload.data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->payload.len);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    return true;
}

static bool start_email(xfer *x, const hq_channel *ch, const char *to)
{
    CURL *e = x->easy = easy_common(x, ch, "smtp,smtps");
    if (!e || !to)
        return false;
    char addr[300];
    snprintf(addr, sizeof addr, "<%s>", ch->from);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, addr);
    snprintf(addr, sizeof addr, "<%s>", to);
    x->rcpt = curl_slist_append(NULL, addr);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpt);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, x);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->payload.len);
    if (ch->starttls)
        curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (ch->username)
        curl_easy_setopt(e, CURLOPT_USERNAME, ch->username);
    if (ch->password)
        curl_easy_setopt(e, CURLOPT_PASSWORD, ch->password);
    return true;
}

/* WeCom and DingTalk robots answer HTTP 200 with {"errcode":N,...}. */
static long robot_errcode(const char *resp)
{
    const char *p = strstr(resp, "\"errcode\"");
    if (!p)
        return 0;
    p += 9;
    while (*p == ' ' || *p == ':')
        p++;
    return strtol(p, NULL, 10);
}

static bool retryable_http(long code)
{
    return code == 408 || code == 409 || code == 425 || code == 429 || code >= 500 || code < 400;
}

static void curl_done(alertd *a, CURL *e, CURLcode res)
{
    xfer *x = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
    long code = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(a->multi, e);
    char msg[256];
    if (res != CURLE_OK) {
        /* Transport errors may quote the server; the complainant's
         * address must not reach the log or the dead letters. */
        if (!x->private_to && x->errbuf[0])
            snprintf(msg, sizeof msg, "%s: %s", curl_easy_strerror(res), x->errbuf);
        else if (code)
            snprintf(msg, sizeof msg, "%s (reply %ld)", curl_easy_strerror(res), code);
        else
            snprintf(msg, sizeof msg, "%s", curl_easy_strerror(res));
        bool smtp_permanent = x->type == HQ_CH_EMAIL && code >= 500 && code < 600;
        fail(x, smtp_permanent, "%s", msg);
    } else if (x->type == HQ_CH_WEBHOOK && (code < 200 || code > 299)) {
        snprintf(msg, sizeof msg, "HTTP %ld", code);
        fail(x, !retryable_http(code), "%s", msg);
    } else if (x->type == HQ_CH_WEBHOOK && x->format != HQ_FMT_JSON && robot_errcode(x->resp) != 0) {
        snprintf(msg, sizeof msg, "the robot answered errcode %ld", robot_errcode(x->resp));
        fail(x, false, "%s", msg);
    } else {
        x->ok = true;
    }
    finish(a, x);
}

static void curl_check(alertd *a)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(a->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            curl_done(a, m->easy_handle, m->data.result);
}

/* ---- command ---- */

static void write_more(xfer *x)
{
    while (x->fd_in >= 0 && x->sent < x->payload.len) {
        ssize_t n = write(x->fd_in, x->payload.data + x->sent, x->payload.len - x->sent);
        if (n > 0) {
            x->sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n < 0 && errno == EAGAIN)
                return;
            break; /* the command closed its stdin: its exit status tells */
        }
    }
    if (x->fd_in >= 0) {
        close(x->fd_in);
        x->fd_in = -1;
    }
}

static char **command_env(const xfer *x)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = hq_calloc(n + 4, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "HOUQIN_", 7) != 0)
            env[k++] = environ[i];
    static char key[300], rcpt[160], chan[80];
    snprintf(key, sizeof key, "HOUQIN_IDEMPOTENCY_KEY=%s", x->key);
    snprintf(rcpt, sizeof rcpt, "HOUQIN_RECIPIENT=%s", x->d.recipient);
    snprintf(chan, sizeof chan, "HOUQIN_CHANNEL=%s", x->d.channel);
    env[k++] = key;
    env[k++] = rcpt;
    env[k++] = chan;
    return env;
}

static bool start_command(xfer *x, const hq_channel *ch)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_init(&at);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    int sigs[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&def, sigs[i]);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    char **env = command_env(x);
    int rc = env ? posix_spawn(&x->pid, ch->argv[0], &fa, &at, ch->argv, env) : ENOMEM;
    free(env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fds[0]);
    if (rc != 0) {
        close(fds[1]);
        x->pid = 0;
        errno = rc;
        return false;
    }
    x->fd_in = fds[1];
    x->deadline_mono = hq_mono_ms() + ch->timeout_ms;
    write_more(x);
    return true;
}

static void command_reaped(xfer *x, int status)
{
    char msg[64];
    if (x->killed) {
        fail(x, false, "%s", "the command timed out and was killed");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        x->ok = true;
    } else if (WIFEXITED(status)) {
        snprintf(msg, sizeof msg, "the command exited with status %d", WEXITSTATUS(status));
        fail(x, false, "%s", msg);
    } else {
        snprintf(msg, sizeof msg, "the command was killed by signal %d", WTERMSIG(status));
        fail(x, false, "%s", msg);
    }
    x->pid = 0;
}

/* ---- file ---- */

static void append_file(xfer *x, const hq_channel *ch)
{
    int fd = open(ch->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        fail(x, false, "open: %s", strerror(errno));
        return;
    }
    size_t off = 0;
    while (off < x->payload.len) {
        ssize_t n = write(fd, x->payload.data + off, x->payload.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(x, false, "write: %s", strerror(errno));
            close(fd);
            return;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0) {
        fail(x, false, "fsync: %s", strerror(errno));
        close(fd);
        return;
    }
    x->ok = close(fd) == 0;
    if (!x->ok)
        fail(x, false, "close: %s", strerror(errno));
}

/* ---- the interface ---- */

void send_start(alertd *a, xfer *x, const hq_channel *ch, const char *to)
{
    x->next = a->inflight;
    a->inflight = x;
    a->ninflight++;
    switch (ch->type) {
    case HQ_CH_WEBHOOK:
    case HQ_CH_EMAIL: {
        bool ok = ch->type == HQ_CH_WEBHOOK ? start_webhook(x, ch) : start_email(x, ch, to);
        if (ok && curl_multi_add_handle(a->multi, x->easy) == CURLM_OK)
            return;
        fail(x, false, "%s", ok ? "libcurl refused the transfer" : "cannot set up the transfer");
        finish(a, x);
        return;
    }
    case HQ_CH_COMMAND:
        if (!start_command(x, ch)) {
            fail(x, false, "cannot run the command: %s", strerror(errno));
            finish(a, x);
        }
        return;
    case HQ_CH_FILE:
        append_file(x, ch);
        finish(a, x);
        return;
    }
}

size_t send_pollitems(alertd *a, zmq_pollitem_t *items, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->ncfds && n < max; i++)
        items[n++] = a->cfds[i];
    for (xfer *x = a->inflight; x && n < max; x = x->next)
        if (x->fd_in >= 0)
            items[n++] = (zmq_pollitem_t){.socket = NULL, .fd = x->fd_in, .events = ZMQ_POLLOUT};
    return n;
}

static xfer *command_by_fd(alertd *a, int fd)
{
    for (xfer *x = a->inflight; x; x = x->next)
        if (x->fd_in == fd)
            return x;
    return NULL;
}

void send_on_poll(alertd *a, const zmq_pollitem_t *items, size_t n)
{
    int running;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].revents)
            continue;
        xfer *x = command_by_fd(a, items[i].fd);
        if (x) {
            write_more(x);
            continue;
        }
        int ev = 0;
        if (items[i].revents & ZMQ_POLLIN)
            ev |= CURL_CSELECT_IN;
        if (items[i].revents & ZMQ_POLLOUT)
            ev |= CURL_CSELECT_OUT;
        if (items[i].revents & ZMQ_POLLERR)
            ev |= CURL_CSELECT_ERR;
        curl_multi_socket_action(a->multi, items[i].fd, ev, &running);
    }
    curl_check(a);
}

void send_tick(alertd *a)
{
    int64_t now = hq_mono_ms();
    int running;
    if (a->curl_due_mono <= now) {
        a->curl_due_mono = INT64_MAX;
        curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        curl_check(a);
    }
    for (xfer *x = a->inflight, *next; x; x = next) {
        next = x->next;
        if (x->type != HQ_CH_COMMAND || x->pid <= 0)
            continue;
        int status;
        pid_t r = waitpid(x->pid, &status, WNOHANG);
        if (r == x->pid) {
            command_reaped(x, status);
            finish(a, x);
        } else if (r < 0 && errno == ECHILD) {
            fail(x, false, "%s", "the command vanished");
            x->pid = 0;
            finish(a, x);
        } else if (now > x->deadline_mono && !x->killed) {
            kill(-x->pid, SIGKILL);
            x->killed = true;
        }
    }
}

long send_timeout_ms(alertd *a)
{
    int64_t now = hq_mono_ms(), t = 1000;
    if (a->curl_due_mono != INT64_MAX)
        t = a->curl_due_mono - now;
    for (const xfer *x = a->inflight; x; x = x->next)
        if (x->type == HQ_CH_COMMAND && x->pid > 0) {
            int64_t d = x->killed ? 100 : x->deadline_mono - now;
            if (d < t)
                t = d;
            if (t > 200)
                t = 200; /* reap promptly even if a SIGCHLD was merged away */
        }
    return t < 0 ? 0 : t > 1000 ? 1000 : (long)t;
}

void send_abort_all(alertd *a)
{
    while (a->inflight) {
        xfer *x = a->inflight;
        a->inflight = x->next;
        if (x->easy)
            curl_multi_remove_handle(a->multi, x->easy);
        if (x->type == HQ_CH_COMMAND && x->pid > 0) {
            kill(-x->pid, SIGTERM);
            waitpid(x->pid, NULL, WNOHANG);
        }
        xfer_free(x);
    }
    a->ninflight = 0;
}
