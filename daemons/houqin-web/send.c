/* Events to houqind: one DEALER client per worker thread (thread-local,
 * made on first use), pipelining a request's events and waiting for every
 * reply.  A client whose events timed out is dropped so that the next
 * request starts on a fresh socket. */
#include "web.h"

#include "clock.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Thread_local hq_client *t_client;

void web_send_thread_fini(void)
{
    hq_client_destroy(&t_client);
}

static int client(hq_err *err)
{
    if (t_client)
        return 0;
    hq_client_opts o = {.timeout_ms = g_web->send_timeout_ms, .retries = g_web->send_retries, .window = 1000};
    if (g_web->curve) {
        o.server_key = g_web->curve_server;
        o.public_key = g_web->curve_public;
        o.secret_key = g_web->curve_secret;
    }
    return hq_client_new(g_web->ingest, &o, &t_client, err);
}

int web_send(web_out *out, size_t n, hq_client_reply *replies, hq_err *err)
{
    int rc = client(err);
    if (rc)
        return rc;
    size_t got = 0;
    bool timeout = false;
    for (size_t i = 0; i < n; i++) {
        replies[i].status = HQ_REPLY_TIMEOUT;
        snprintf(replies[i].id, sizeof replies[i].id, "%s", out[i].id);
        replies[i].error[0] = '\0';
    }
    for (size_t i = 0; i < n; i++) {
        if (!out[i].frame)
            continue;
        rc = hq_client_send(t_client, out[i].id, out[i].frame, out[i].len, err);
        if (rc) {
            hq_client_destroy(&t_client);
            return rc;
        }
    }
    while (hq_client_pending(t_client) > 0) {
        hq_client_reply r;
        rc = hq_client_recv(t_client, &r, err);
        if (rc == HQ_ENOTFOUND)
            break;
        if (rc) {
            hq_client_destroy(&t_client);
            return rc;
        }
        if (r.status == HQ_REPLY_TIMEOUT)
            timeout = true;
        for (size_t i = 0; i < n; i++)
            if (out[i].frame && strcmp(out[i].id, r.id) == 0) {
                replies[i] = r;
                got++;
                break;
            }
    }
    if (timeout)
        hq_client_destroy(&t_client);
    return 0;
}

void web_make_id(char *buf, size_t size)
{
    hq_err err;
    if (client(&err) == 0) {
        hq_client_make_id(t_client, buf, size);
        return;
    }
    unsigned char r[6];
    randombytes_buf(r, sizeof r);
    snprintf(buf, size, "%012llx-%02x%02x%02x%02x%02x%02x", (unsigned long long)hq_wall_ms(), r[0], r[1], r[2],
             r[3], r[4], r[5]);
}

void web_tracking_new(char *buf, size_t size)
{
    /* No 0/O, 1/I: read aloud over the phone. */
    static const char al[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    time_t t = (time_t)(hq_wall_ms() / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char rnd[7];
    for (int i = 0; i < 6; i++)
        rnd[i] = al[randombytes_uniform(32)];
    rnd[6] = '\0';
    snprintf(buf, size, "W%04d%02d%02d-%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, rnd);
}
