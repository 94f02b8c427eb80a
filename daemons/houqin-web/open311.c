/* Open311 GeoReport v2 under /open311/v2/ (XML and JSON, by the suffix):
 *
 *   GET  services.xml|json              the complaint categories (service_code
 *                                       "domain.category", Chinese names, group =
 *                                       the domain)
 *   POST requests.xml|json              form-encoded; api_key = the token of a
 *                                       client with open311: true; exactly one
 *                                       location: address_id (a site id),
 *                                       address_string (a site's name or id) or
 *                                       lat+long
 *   GET  requests.xml|json              recent requests (service_request_id=a,b;
 *                                       service_code, status, start_date,
 *                                       end_date)
 *   GET  requests/{id}.xml|json         one request
 *
 * Codes and ids are strings; errors are the spec's list of {code,
 * description} with 400/403/404 (an unknown service_code is 404).
 * jurisdiction_id is accepted, empty or not (one jurisdiction).  status is
 * open or closed; status_notes carries the finer Chinese stage.  Without a
 * valid api_key, GET omits the description (the complainant's own words)
 * and never shows contact data. */
#define _GNU_SOURCE
#include "web.h"

#include "clock.h"
#include "ident.h"
#include "json.h"
#include "mp.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct ow {
    hq_buf b;
    bool xml;
    int items, fields;
} ow;

static void ow_begin(ow *w, const char *list)
{
    hq_buf_init(&w->b);
    w->items = 0;
    if (w->xml)
        hq_buf_printf(&w->b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s>", list);
    else
        hq_buf_putc(&w->b, '[');
}

static void ow_item(ow *w, const char *item)
{
    if (w->xml)
        hq_buf_printf(&w->b, "<%s>", item);
    else
        hq_buf_puts(&w->b, w->items ? ",{" : "{");
    w->items++;
    w->fields = 0;
}

static void ow_item_end(ow *w, const char *item)
{
    if (w->xml)
        hq_buf_printf(&w->b, "</%s>", item);
    else
        hq_buf_putc(&w->b, '}');
}

static void xml_text(hq_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': hq_buf_puts(b, "&amp;"); break;
        case '<': hq_buf_puts(b, "&lt;"); break;
        case '>': hq_buf_puts(b, "&gt;"); break;
        case '"': hq_buf_puts(b, "&quot;"); break;
        default: hq_buf_putc(b, *s);
        }
    }
}

/* A field; kind 's' string (NULL: empty element / null), 'n' a raw
 * number or boolean. */
static void ow_field(ow *w, const char *name, const char *val, char kind)
{
    if (w->xml) {
        if (!val)
            hq_buf_printf(&w->b, "<%s/>", name);
        else {
            hq_buf_printf(&w->b, "<%s>", name);
            xml_text(&w->b, val);
            hq_buf_printf(&w->b, "</%s>", name);
        }
    } else {
        if (w->fields)
            hq_buf_putc(&w->b, ',');
        hq_json_cstr(&w->b, name);
        hq_buf_putc(&w->b, ':');
        if (!val)
            hq_buf_puts(&w->b, "null");
        else if (kind == 'n')
            hq_buf_puts(&w->b, val);
        else
            hq_json_cstr(&w->b, val);
    }
    w->fields++;
}

static void ow_end(ow *w, const char *list)
{
    if (w->xml)
        hq_buf_printf(&w->b, "</%s>\n", list);
    else
        hq_buf_puts(&w->b, "]\n");
}

static enum MHD_Result ow_send(web_req *r, ow *w, unsigned status)
{
    enum MHD_Result ret = web_reply_buf(r, status, w->xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8",
                                        &w->b);
    hq_buf_fini(&w->b);
    return ret;
}

static enum MHD_Result o311_error(web_req *r, bool xml, unsigned status, const char *desc)
{
    ow w = {.xml = xml};
    char code[8];
    snprintf(code, sizeof code, "%u", status);
    ow_begin(&w, "errors");
    ow_item(&w, "error");
    ow_field(&w, "code", code, 'n');
    ow_field(&w, "description", desc, 's');
    ow_item_end(&w, "error");
    ow_end(&w, "errors");
    return ow_send(r, &w, status);
}

void web_iso8601(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char z[8];
    strftime(z, sizeof z, "%z", &tm); /* +0800 */
    char b[40];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s%.3s:%.2s", b, z, z + 3);
}

static const char *stage_name(const web_complaint *c)
{
    return web_stage_names[web_complaint_stage(c)];
}

/* ---- services ---- */

static enum MHD_Result services(web_req *r, bool xml)
{
    ow w = {.xml = xml};
    size_t n;
    const web_category *cats = web_categories(&n);
    ow_begin(&w, "services");
    for (size_t i = 0; i < n; i++) {
        char code[96], name[256];
        snprintf(code, sizeof code, "%s.%s", cats[i].domain, cats[i].code);
        snprintf(name, sizeof name, "%s", cats[i].name);
        ow_item(&w, "service");
        ow_field(&w, "service_code", code, 's');
        ow_field(&w, "service_name", name, 's');
        char desc[400];
        snprintf(desc, sizeof desc, "%s：%s（地点用 address_id 给出校园地点编号）", web_domain_name(cats[i].domain),
                 cats[i].name);
        ow_field(&w, "description", desc, 's');
        ow_field(&w, "metadata", "false", 'n');
        ow_field(&w, "type", "realtime", 's');
        ow_field(&w, "keywords", cats[i].code, 's');
        ow_field(&w, "group", web_domain_name(cats[i].domain), 's');
        ow_item_end(&w, "service");
    }
    ow_end(&w, "services");
    return ow_send(r, &w, 200);
}

/* ---- requests ---- */

static const web_client *api_client(const char *key)
{
    if (!key)
        return NULL;
    const web_client *c = web_clients_by_token(&g_web->clients, key, strlen(key));
    return c && c->open311 ? c : NULL;
}

static void request_item(ow *w, const web_complaint *c, bool with_description)
{
    char code[160], dt[40];
    ow_item(w, "request");
    ow_field(w, "service_request_id", c->id, 's');
    ow_field(w, "status", c->has_issue && c->state == HQ_IS_CLOSED ? "closed" : "open", 's');
    ow_field(w, "status_notes", stage_name(c), 's');
    const web_category *cat = web_category_find(c->domain, c->category);
    ow_field(w, "service_name", cat ? cat->name : c->category, 's');
    snprintf(code, sizeof code, "%s.%s", c->domain, c->category);
    ow_field(w, "service_code", code, 's');
    ow_field(w, "description", with_description ? c->text : NULL, 's');
    const hq_site *site = hq_rules_site(g_web->rules, c->site);
    const hq_contractor *k = c->contractor[0] ? hq_rules_contractor(g_web->rules, c->contractor) : NULL;
    ow_field(w, "agency_responsible", site && site->unit ? site->unit : (k ? k->name : hq_rules_office(g_web->rules)),
             's');
    ow_field(w, "service_notice", NULL, 's');
    web_iso8601(c->stored_ms, dt, sizeof dt);
    ow_field(w, "requested_datetime", dt, 's');
    web_iso8601(c->has_issue ? c->updated_ms : c->stored_ms, dt, sizeof dt);
    ow_field(w, "updated_datetime", dt, 's');
    if (c->has_issue && c->state != HQ_IS_CLOSED && c->deadline_ms) {
        web_iso8601(c->deadline_ms, dt, sizeof dt);
        ow_field(w, "expected_datetime", dt, 's');
    } else
        ow_field(w, "expected_datetime", NULL, 's');
    ow_field(w, "address", site ? site->name : c->site, 's');
    ow_field(w, "address_id", c->site, 's');
    ow_field(w, "zipcode", NULL, 's');
    ow_field(w, "lat", NULL, 'n');
    ow_field(w, "long", NULL, 'n');
    ow_field(w, "media_url", NULL, 's');
    ow_item_end(w, "request");
}

/* Sources whose complaints Open311 shows: the Open311 clients and the
 * public form. */
static size_t sources(const char **out, size_t max)
{
    size_t n = 0;
    out[n++] = g_web->form_source;
    for (size_t i = 0; i < g_web->clients.n && n < max; i++)
        if (g_web->clients.v[i].open311)
            out[n++] = g_web->clients.v[i].source;
    return n;
}

static bool id_ok(const char *s)
{
    return hq_ident_ok(s, 64, "-._:", true);
}

static int find_request(const char *id, web_complaint *c)
{
    const char *src[64];
    size_t ns = sources(src, 64);
    hq_err err;
    for (size_t i = 0; i < ns; i++) {
        if (web_state_complaint(src[i], id, c, &err) == 0)
            return 0;
        web_complaint_fini(c);
    }
    return HQ_ENOTFOUND;
}

static enum MHD_Result one_request(web_req *r, bool xml, const char *id)
{
    web_complaint c;
    if (!id_ok(id) || find_request(id, &c) != 0)
        return o311_error(r, xml, 404, "service_request_id not found");
    ow w = {.xml = xml};
    ow_begin(&w, "service_requests");
    request_item(&w, &c, api_client(web_query(r, "api_key")) != NULL);
    ow_end(&w, "service_requests");
    web_complaint_fini(&c);
    return ow_send(r, &w, 200);
}

typedef struct list_ctx {
    ow *w;
    const char *code, *status;
    bool desc;
    size_t n, max;
} list_ctx;

static int list_one(void *ctx, const web_complaint *c)
{
    list_ctx *l = ctx;
    char code[160];
    snprintf(code, sizeof code, "%s.%s", c->domain, c->category);
    if (l->code && strcmp(l->code, code) != 0)
        return 0;
    const char *st = c->has_issue && c->state == HQ_IS_CLOSED ? "closed" : "open";
    if (l->status && strcmp(l->status, st) != 0)
        return 0;
    request_item(l->w, c, l->desc);
    return ++l->n >= l->max;
}

static bool parse_date(const char *s, int64_t *ms)
{
    struct tm tm = {0};
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e) {
        memset(&tm, 0, sizeof tm);
        e = strptime(s, "%Y-%m-%d", &tm);
        if (!e || *e)
            return false;
        tm.tm_isdst = -1;
        *ms = (int64_t)mktime(&tm) * 1000;
        return true;
    }
    int off = 0;
    if (*e == 'Z')
        e++;
    else if ((*e == '+' || *e == '-') && strlen(e) >= 6 && e[3] == ':') {
        off = ((e[1] - '0') * 10 + (e[2] - '0')) * 3600 + ((e[4] - '0') * 10 + (e[5] - '0')) * 60;
        if (*e == '-')
            off = -off;
        e += 6;
    } else if (*e) {
        return false;
    }
    if (*e)
        return false;
    *ms = ((int64_t)timegm(&tm) - off) * 1000;
    return true;
}

static enum MHD_Result list_requests(web_req *r, bool xml)
{
    const char *ids = web_query(r, "service_request_id");
    bool desc = api_client(web_query(r, "api_key")) != NULL;
    ow w = {.xml = xml};
    if (ids && *ids) {
        ow_begin(&w, "service_requests");
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", ids);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            web_complaint c;
            if (id_ok(t) && find_request(t, &c) == 0) {
                request_item(&w, &c, desc);
                web_complaint_fini(&c);
            }
        }
        ow_end(&w, "service_requests");
        return ow_send(r, &w, 200);
    }
    int64_t to = 0, from = 0;
    const char *sd = web_query(r, "start_date"), *ed = web_query(r, "end_date"), *st = web_query(r, "status");
    if (sd && *sd && !parse_date(sd, &from))
        return o311_error(r, xml, 400, "start_date: expected ISO 8601 (2026-03-09T08:00:00+08:00)");
    if (ed && *ed && !parse_date(ed, &to))
        return o311_error(r, xml, 400, "end_date: expected ISO 8601");
    if (st && *st && strcmp(st, "open") && strcmp(st, "closed"))
        return o311_error(r, xml, 400, "status: expected open or closed");
    if (!from)
        from = (to ? to : web_state_now_ms()) - 90LL * 86400 * 1000; /* the spec's default window */
    ow_begin(&w, "service_requests");
    const char *src[64];
    size_t ns = sources(src, 64);
    const char *code = web_query(r, "service_code");
    list_ctx l = {&w, code && *code ? code : NULL, st && *st ? st : NULL, desc, 0, 1000};
    hq_err err;
    web_state_each_complaint(src, ns, from, to, 200000, list_one, &l, &err);
    ow_end(&w, "service_requests");
    return ow_send(r, &w, 200);
}

static bool valid_utf8(const char *s)
{
    return !s || hq_utf8_valid(s, strlen(s));
}

enum { SITE_SIZE = 65, LOCATION_SIZE = 200 };

/* The request's one location: a campus site id, an address that names a
 * site, or coordinates (site "unlocated").  Fills site and location (of
 * SITE_SIZE and LOCATION_SIZE); NULL, or what is wrong. */
static const char *locate(const web_form *f, char *site, char *location)
{
    const char *addr_id = web_form_get(f, "address_id"), *addr = web_form_get(f, "address_string"),
               *lat = web_form_get(f, "lat"), *lon = web_form_get(f, "long");
    int nloc = (addr_id && *addr_id) + (addr && *addr) + ((lat && *lat) || (lon && *lon));
    const hq_site *sites;
    size_t nsites = web_sites(&sites);
    if (nloc != 1)
        return nloc ? "give exactly one location: address_id, address_string, or lat and long"
                    : "location required: address_id (a campus site id), address_string, or lat and long";
    if (addr_id && *addr_id) {
        if (!hq_rules_site(g_web->rules, addr_id))
            return "address_id: not a campus site id (see docs/web.md)";
        snprintf(site, SITE_SIZE, "%s", addr_id);
    } else if (addr && *addr) {
        for (size_t i = 0; i < nsites && !site[0]; i++)
            if (strcmp(sites[i].id, addr) == 0 || (sites[i].name && strstr(addr, sites[i].name)))
                snprintf(site, SITE_SIZE, "%s", sites[i].id);
        if (!site[0])
            return "address_string: names no campus site; use address_id";
        snprintf(location, LOCATION_SIZE, "%.190s", addr);
    } else {
        char *e1 = NULL, *e2 = NULL;
        double la = lat ? strtod(lat, &e1) : 1000, lo = lon ? strtod(lon, &e2) : 1000;
        if (!lat || !lon || *e1 || *e2 || la < -90 || la > 90 || lo < -180 || lo > 180)
            return "lat and long: both required, in decimal degrees";
        /* Sites carry no coordinates: the office places it (site
         * "unlocated", the position kept in location). */
        snprintf(site, SITE_SIZE, "unlocated");
        snprintf(location, LOCATION_SIZE, "lat %.6f, long %.6f", la, lo);
    }
    return NULL;
}

static enum MHD_Result post_request(web_req *r, bool xml)
{
    web_form f;
    hq_err err;
    if (r->too_large)
        return o311_error(r, xml, 400, "request too large");
    const char *ct = web_header(r, "Content-Type");
    if (web_form_parse(r->body.data ? r->body.data : "", r->body.len, ct, &f, &err) != 0)
        return o311_error(r, xml, 400, err.msg);
    for (size_t i = 0; i < f.n; i++)
        if (!f.v[i].filename && (!valid_utf8(f.v[i].value) || strlen(f.v[i].value) != f.v[i].value_len)) {
            web_form_fini(&f);
            return o311_error(r, xml, 400, "text must be UTF-8");
        }
    enum MHD_Result ret;
    pthread_rwlock_rdlock(&g_web->clients_lock);
    const char *key = web_form_get(&f, "api_key");
    const web_client *cl = api_client(key);
    const char *code = web_form_get(&f, "service_code"), *desc = web_form_get(&f, "description"),
               *email = web_form_get(&f, "email"), *phone = web_form_get(&f, "phone"),
               *first = web_form_get(&f, "first_name"), *last = web_form_get(&f, "last_name");
    char domain[64] = "", category[64] = "", site[SITE_SIZE] = "", location[LOCATION_SIZE] = "", contact[128] = "", name[64] = "";
    const web_category *cat = NULL;
    if (!cl) {
        ret = o311_error(r, xml, 403, key && *key ? "api_key not valid for Open311" : "api_key required");
        goto out;
    }
    if (!web_rate_form(r) || !web_rate_intake(cl)) {
        ret = o311_error(r, xml, 429, "too many requests; retry later");
        goto out;
    }
    if (!code || !*code) {
        ret = o311_error(r, xml, 400, "service_code required");
        goto out;
    }
    const char *dot = strchr(code, '.');
    if (dot && (size_t)(dot - code) < sizeof domain) {
        snprintf(domain, sizeof domain, "%.*s", (int)(dot - code), code);
        snprintf(category, sizeof category, "%s", dot + 1);
        cat = web_category_find(domain, category);
    }
    if (!cat) {
        ret = o311_error(r, xml, 404, "service_code not found");
        goto out;
    }
    const char *wrong = locate(&f, site, location);
    if (wrong) {
        ret = o311_error(r, xml, 400, wrong);
        goto out;
    }
    if (!desc || !*desc) {
        ret = o311_error(r, xml, 400, "description required");
        goto out;
    }
    if (phone && *phone)
        snprintf(contact, sizeof contact, "%.120s", phone);
    else if (email && *email)
        snprintf(contact, sizeof contact, "%.120s", email);
    if ((first && *first) || (last && *last))
        snprintf(name, sizeof name, "%.30s%s%.30s", first ? first : "", (first && *first && last && *last) ? " " : "",
                 last ? last : "");
    char id[40];
    web_tracking_new(id, sizeof id);
    web_new_complaint nc = {.source = cl->source, .id = id, .domain = domain, .site = site, .category = category,
                            .text = desc, .contact = contact[0] ? contact : NULL, .name = name[0] ? name : NULL,
                            .location = location[0] ? location : NULL, .channel = "app",
                            .wants_reply = contact[0] != 0};
    hq_client_reply rep;
    if (web_file_complaint(&nc, &rep, &err) != 0 || rep.status == HQ_REPLY_TIMEOUT) {
        ret = o311_error(r, xml, 503, "the complaint service is unavailable; nothing was stored, try again");
        goto out;
    }
    if (rep.status == HQ_REPLY_REJECTED) {
        char m[600];
        snprintf(m, sizeof m, "rejected: %s", rep.error);
        ret = o311_error(r, xml, 400, m);
        goto out;
    }
    ow w = {.xml = xml};
    ow_begin(&w, "service_requests");
    ow_item(&w, "request");
    ow_field(&w, "service_request_id", id, 's');
    ow_field(&w, "service_notice", "已受理，请用编号查询处理进度", 's');
    ow_field(&w, "account_id", NULL, 's');
    ow_item_end(&w, "request");
    ow_end(&w, "service_requests");
    ret = ow_send(r, &w, 201);
out:
    pthread_rwlock_unlock(&g_web->clients_lock);
    web_form_fini(&f);
    return ret;
}

enum MHD_Result web_open311(web_req *r)
{
    const char *p = r->url + strlen("/open311/v2/");
    const char *dot = strrchr(p, '.');
    bool xml;
    if (dot && strcmp(dot, ".xml") == 0)
        xml = true;
    else if (dot && strcmp(dot, ".json") == 0)
        xml = false;
    else
        return o311_error(r, true, 404, "unknown resource: use services.xml|json, requests.xml|json");
    size_t base = (size_t)(dot - p);
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0,
         post = strcmp(r->method, "POST") == 0;
    if (base == 8 && strncmp(p, "services", 8) == 0) {
        if (!get)
            return o311_error(r, xml, 405, "use GET");
        return services(r, xml);
    }
    if (base == 8 && strncmp(p, "requests", 8) == 0) {
        if (post)
            return post_request(r, xml);
        if (get) {
            pthread_rwlock_rdlock(&g_web->clients_lock);
            enum MHD_Result ret = list_requests(r, xml);
            pthread_rwlock_unlock(&g_web->clients_lock);
            return ret;
        }
        return o311_error(r, xml, 405, "use GET or POST");
    }
    if (base > 9 && strncmp(p, "requests/", 9) == 0) {
        if (!get)
            return o311_error(r, xml, 405, "use GET");
        char id[80];
        if (base - 9 >= sizeof id)
            return o311_error(r, xml, 404, "service_request_id not found");
        snprintf(id, sizeof id, "%.*s", (int)(base - 9), p + 9);
        pthread_rwlock_rdlock(&g_web->clients_lock);
        enum MHD_Result ret = one_request(r, xml, id);
        pthread_rwlock_unlock(&g_web->clients_lock);
        return ret;
    }
    return o311_error(r, xml, 404, "unknown resource");
}
