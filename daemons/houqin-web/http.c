/* Responses with the security headers on every one, request helpers and
 * the per-address and per-source rate limits. */
#include "web.h"

#include "clock.h"
#include "json.h"
#include "ratelimit.h"

#include <string.h>

/* No inline script, no external resource, no framing: the only script is
 * the console's own file (/console/live.js, live.c), which reads the live
 * updates from the same origin (inline CSS by hash would be stricter;
 * style-src 'unsafe-inline' is limited to styles, which cannot run code). */
static const char csp[] = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
                          "script-src 'self'; connect-src 'self'; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

void web_headers(struct MHD_Response *resp, const char *ctype)
{
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

enum MHD_Result web_reply(web_req *r, unsigned status, const char *ctype, const char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    web_headers(resp, ctype);
    if (status == 429)
        MHD_add_response_header(resp, "Retry-After", "10");
    if (r->set_cookie)
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"houqin\"");
    if (r->too_large)
        MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result web_reply_buf(web_req *r, unsigned status, const char *ctype, hq_buf *b)
{
    return web_reply(r, status, ctype, b->data ? b->data : "", b->len);
}

enum MHD_Result web_reply_json_error(web_req *r, unsigned status, const char *code, const char *msg)
{
    hq_buf b;
    hq_buf_init(&b);
    hq_buf_puts(&b, "{\"error\":{\"code\":");
    hq_json_cstr(&b, code);
    hq_buf_puts(&b, ",\"message\":");
    hq_json_cstr(&b, msg);
    hq_buf_puts(&b, "}}\n");
    enum MHD_Result ret = web_reply_buf(r, status, "application/json; charset=utf-8", &b);
    hq_buf_fini(&b);
    return ret;
}

enum MHD_Result web_redirect(web_req *r, const char *location)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Location", location);
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->set_cookie)
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    enum MHD_Result ret = MHD_queue_response(r->conn, 303, resp);
    MHD_destroy_response(resp);
    return ret;
}

const char *web_header(web_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *web_query(web_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool web_rate_take(hq_ratelimit *rl, const char *key)
{
    if (!rl)
        return true;
    pthread_mutex_lock(&g_web->rl_lock);
    bool ok = hq_ratelimit_take(rl, key, strlen(key), hq_mono_ms());
    pthread_mutex_unlock(&g_web->rl_lock);
    return ok;
}

bool web_rate_form(web_req *r)
{
    return web_rate_take(g_web->rl_form, r->addr);
}

bool web_rate_intake(const web_client *c)
{
    return web_rate_take(c->rl, c->source);
}

void web_html_n(hq_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': hq_buf_puts(b, "&amp;"); break;
        case '<': hq_buf_puts(b, "&lt;"); break;
        case '>': hq_buf_puts(b, "&gt;"); break;
        case '"': hq_buf_puts(b, "&quot;"); break;
        case '\'': hq_buf_puts(b, "&#39;"); break;
        default: hq_buf_putc(b, s[i]);
        }
    }
}

void web_html(hq_buf *b, const char *s)
{
    if (s)
        web_html_n(b, s, strlen(s));
}

void web_table_rows(hq_buf *b, const hq_buf *rows, int cols, const char *none)
{
    if (rows->len)
        hq_buf_append(b, rows->data, rows->len);
    else
        hq_buf_printf(b, "<tr><td colspan=\"%d\">%s</td></tr>", cols, none);
}

void web_notices(hq_buf *b, const char *notice, const char *error)
{
    if (notice) {
        hq_buf_puts(b, "<p class=\"ok\" id=\"notice\">");
        web_html(b, notice);
        hq_buf_puts(b, "</p>");
    }
    if (error) {
        hq_buf_puts(b, "<p class=\"err\" id=\"error\">");
        web_html(b, error);
        hq_buf_puts(b, "</p>");
    }
}
