/* web.h - houqin-web: the HTTP side of Houqin (SPEC §6b, §8).
 *
 * One process, libmicrohttpd with an epoll thread pool.  It reads the
 * state read-only (one LMDB environment shared by the workers, reads
 * serialised by a mutex: the pages that read are few and short) and
 * writes only by sending events to houqind's ingest socket: one sender
 * thread owns the DEALER socket, and a request waiting for houqind's
 * durable ack has its connection suspended (the intake) or its worker
 * waiting (the rest), answering only after the ack.  Nothing is kept between requests: CSRF tokens are
 * HMAC-signed, a complaint's secret token is checked against the hash in
 * its stored event.  Several processes may run behind one proxy if they
 * share the secret key file (--secret).
 *
 * Files:
 *   main.c     options, start-up, signals, the router
 *   http.c     requests (body caps), responses (security headers), limits
 *   clients.c  the clients file (--clients): bearer tokens, Open311 keys
 *   intake.c   POST /api/v1/events
 *   open311.c  /open311/v2/ (GeoReport v2, XML and JSON)
 *   pages.c    the public form, receipt, status page, satisfaction
 *   form.c     application/x-www-form-urlencoded and multipart/form-data
 *   photo.c    photo checks, metadata stripping, content-addressed storage
 *   state.c    read-only lookups in the state (complaints, issues)
 *   catalog.c  domains, complaint categories (the vocabulary's words) and sites
 *   send.c     events to houqind (the sender thread, suspended requests)
 *   auth.c     console log-in: accounts, lock-out, signed session cookies, SSO
 *   scope.c    who sees which issue and may do which action (the rules'
 *              permission table, decided as houqind decides)
 *   console.c  the office's console and the contractors' portal (pages)
 *   act.c      actions on an issue, inspection records, the portal link
 *   health.c   the rule set's health page (houqind's control status)
 *   filters.c  saved filters of the ledger, per person (STATE/web-filters)
 *   index.c    the ledger and the evaluation through the state's indexes
 *   live.c     live updates: houqind's PUB stream as server-sent events
 *              (/console/live) and the page script (/console/live.js)
 */
#ifndef HQ_WEB_H
#define HQ_WEB_H

#include "buf.h"
#include "client.h"
#include "err.h"
#include "issue.h"
#include "rules.h"
#include "schema.h"
#include "store.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_MAX_BODY_JSON (1u << 20)    /* intake body */
#define WEB_MAX_BODY_FORM (64u << 10)   /* form without a file */
#define WEB_MAX_BODY_UPLOAD (6u << 20)  /* form with a photo */
#define WEB_MAX_PHOTO (5u << 20)
#define WEB_MAX_EVENTS 1000             /* per intake request */

/* ---- clients.c ---- */
typedef struct web_client {
    char *source, *token;
    char **types;
    size_t ntypes;
    bool open311;
    double rate, burst; /* intake requests per second per client (0: none) */
    struct hq_ratelimit *rl;
} web_client;

typedef struct web_clients {
    web_client *v;
    size_t n;
} web_clients;

/* Loads the clients file; every problem goes to d (file:line:column). */
int web_clients_load(const char *path, web_clients *out, hq_diags *d);
void web_clients_fini(web_clients *c);
/* The client whose token is tok (constant-time compare), or NULL. */
const web_client *web_clients_by_token(const web_clients *c, const char *tok, size_t len);
bool web_client_may_send(const web_client *c, const char *type);

/* ---- the daemon ---- */
typedef struct hq_ratelimit hq_ratelimit;

typedef struct web {
    const char *state_dir, *rules_dir, *schemas_dir, *ingest, *clients_file, *secret_file, *media_dir_opt;
    const char *form_source; /* the source of the public form's events */
    const char *control;     /* houqind's control endpoint (health.c) */
    char media_dir[4096];
    hq_schemas *schemas; /* read at start only, as houqind does */
    /* The rules in use: SIGHUP loads them again and swaps this pointer
     * (pages read it without a lock); the sets it replaces are kept, valid,
     * until exit (retired), as a page may still use them. */
    _Atomic(hq_rules *) rules;
    hq_rules **retired_rules;
    size_t nretired;
    web_clients clients;
    pthread_rwlock_t clients_lock; /* read: a request using clients; write: SIGHUP reload */
    unsigned char secret[32]; /* CSRF HMAC key */
    bool behind_proxy;
    int timeout_s;
    /* state (lazily opened, reads under lock) */
    pthread_rwlock_t state_lock; /* read: a page's LMDB transaction; write: opening, closing, map growth */
    hq_store *store;
    /* rate limits, under lock */
    pthread_mutex_t rl_lock;
    hq_ratelimit *rl_form;   /* per address: POSTs of the public form and Open311 */
    double form_rate, form_burst;
    int send_timeout_ms, send_retries;
    /* CURVE to houqind's ingest (--curve-server, --curve-key), Z85 */
    bool curve;
    char curve_server[41], curve_public[41], curve_secret[41];
    /* console (auth.c) */
    const char *accounts_file, *sso_header, *sso_proxy;
    char accounts_path[4096], lockout_dir[4096];
    int session_ttl_s;
    bool cookie_secure;
    pthread_mutex_t acc_lock;   /* the cached accounts file */
    hq_ratelimit *rl_login;     /* per address, under rl_lock */
} web;

extern web *g_web;

/* ---- http.c ---- */
struct web_req;
typedef enum MHD_Result (*web_resumed_fn)(struct web_req *r);

typedef struct web_req {
    struct MHD_Connection *conn;
    const char *method, *url;
    hq_buf body;
    size_t max_body;
    bool too_large;
    char addr[64]; /* client address (X-Forwarded-For when behind_proxy) */
    char peer[64]; /* the TCP peer's address */
    char *set_cookie; /* a Set-Cookie header for the reply, or NULL */
    /* while events of the request are with the sender (send.c) */
    struct web_job *job;
    web_resumed_fn resumed;  /* the handler calls it once the job is done */
    void *ctx;               /* the caller's state across the suspension */
    void (*ctx_free)(void *ctx);
} web_req;

/* Queues a response with the security headers (CSP, nosniff,
 * frame-ancestors none, Referrer-Policy); takes the body (copied). */
enum MHD_Result web_reply(web_req *r, unsigned status, const char *ctype, const char *body, size_t len);
enum MHD_Result web_reply_buf(web_req *r, unsigned status, const char *ctype, hq_buf *b);
/* The security headers (and Content-Type) of every response. */
void web_headers(struct MHD_Response *resp, const char *ctype);
/* {"error": {"code": code, "message": msg}} */
enum MHD_Result web_reply_json_error(web_req *r, unsigned status, const char *code, const char *msg);
/* The client of the request's "Authorization: Bearer TOKEN", or NULL; the
 * caller holds g_web->clients_lock for reading.  web_reply_unauthorized:
 * the 401 for a missing or unknown token. */
const web_client *web_bearer_client(web_req *r);
/* Calls fn(r) holding g_web->clients_lock for reading (a SIGHUP reload of
 * the clients file waits). */
enum MHD_Result web_with_clients(web_req *r, enum MHD_Result (*fn)(web_req *r));
enum MHD_Result web_reply_unauthorized(web_req *r);
/* GET /api/v1/checklists: the rules' checklists, for inspection apps. */
enum MHD_Result web_checklists(web_req *r);
enum MHD_Result web_redirect(web_req *r, const char *location);
const char *web_header(web_req *r, const char *name);
const char *web_query(web_req *r, const char *name);
/* Takes a token from rl's bucket for key (NULL rl: no limit), under
 * rl_lock (the buckets are shared by the server's threads); false: answer
 * 429.  web_rate_form: the per-address form bucket; web_rate_intake: the
 * client's. */
bool web_rate_take(hq_ratelimit *rl, const char *key);
bool web_rate_form(web_req *r);
bool web_rate_intake(const web_client *c);

/* ---- form.c (pure: no I/O; fuzzed) ---- */
typedef struct web_field {
    char *name, *value;  /* NUL-terminated; value may hold NULs for files */
    size_t value_len;
    char *filename;      /* multipart file part, else NULL */
    char *ctype;         /* multipart part's Content-Type, or NULL */
} web_field;

typedef struct web_form {
    web_field *v;
    size_t n;
} web_form;

#define WEB_FORM_MAX_FIELDS 64
/* Parses an urlencoded body (or query string).  HQ_EINVAL for bad
 * percent escapes, more than WEB_FORM_MAX_FIELDS fields. */
int web_form_parse_urlencoded(const char *body, size_t len, web_form *f, hq_err *err);
/* Parses a multipart/form-data body; ctype is the request's Content-Type
 * (the boundary is taken from it). */
int web_form_parse_multipart(const char *body, size_t len, const char *ctype, web_form *f, hq_err *err);
/* Dispatches on the Content-Type (urlencoded or multipart); HQ_EINVAL
 * for anything else. */
int web_form_parse(const char *body, size_t len, const char *ctype, web_form *f, hq_err *err);
void web_form_fini(web_form *f);
/* The value of name (first occurrence), or NULL; *len may be NULL. */
const char *web_form_get(const web_form *f, const char *name);
const web_field *web_form_field(const web_form *f, const char *name);

/* ---- intake.c ---- */
/* Parses an intake body into events (jansson), pure; used by the fuzz
 * target.  Each item is a JSON object or a parse error. */
typedef struct web_item {
    void *json;        /* json_t * object, or NULL when err is set */
    char err[256];
} web_item;
int web_intake_split(const char *body, size_t len, web_item **items, size_t *n, hq_err *err);
void web_intake_items_free(web_item *items, size_t n);
enum MHD_Result web_intake(web_req *r);

/* ---- send.c ---- */
typedef struct web_out {
    char id[72];
    char *frame;
    size_t len;
} web_out;
/* The sender thread (web_sender_stop waits until every job is answered
 * and, up to wait_ms, until the handlers of the suspended requests ran:
 * call it before MHD_stop_daemon). */
int web_sender_start(hq_err *err);
void web_sender_stop(int wait_ms);
/* Sends the frames (those not NULL) and waits for every reply; replies[i]
 * answers out[i].  Returns 0, or HQ_EIO when houqind's socket cannot be
 * set up or houqin-web is stopping.  Blocks the calling worker. */
int web_send(web_out *out, size_t n, hq_client_reply *replies, hq_err *err);
/* The same without blocking: hands the frames to the sender and suspends
 * r's connection; once every event is answered or given up, replies[] is
 * filled, the connection resumed and the handler calls resumed(r), which
 * queues the response (web_send_result says whether the frames could be
 * sent at all).  out and replies stay the caller's and must live until
 * then (r->ctx, freed with r->ctx_free when the request ends).  Returns 0,
 * or an error (the connection is not suspended then): HQ_EINVAL when no
 * frame is set, HQ_EIO when stopping. */
int web_send_async(web_req *r, web_out *out, size_t n, hq_client_reply *replies, web_resumed_fn resumed,
                   hq_err *err);
bool web_send_ready(web_req *r);
int web_send_result(web_req *r, hq_err *err);
/* Frees r's job once it is done (the handler and completed() call it). */
void web_send_release(web_req *r);
void web_make_id(char *buf, size_t size);
/* A complaint's tracking number: W + yyyymmdd + '-' + 6 chars. */
void web_tracking_new(char *buf, size_t size);

/* ---- catalog.c ---- */
typedef struct web_category {
    const char *domain, *code, *name;
} web_category;
const char *web_domain_name(const char *domain);
const char *const *web_domains(void);
const web_category *web_categories(size_t *n);
/* Builds the categories again from the vocabulary installed now (after a
 * reload of the rules); the lists handed out before stay valid until
 * web_catalog_fini, at exit. */
void web_catalog_reload(void);
void web_catalog_fini(void);
const web_category *web_category_find(const char *domain, const char *code);
size_t web_sites(const hq_site **out);

/* ---- state.c ---- */
typedef struct web_complaint {
    char source[129], id[65];
    uint64_t seq;
    int64_t ts_ms, stored_ms;
    char domain[32], site[65], category[65];
    char *text;
    char token_hash[65];
    char follows[33];
    /* the issue it belongs to, when found */
    bool has_issue;
    bool duplicate; /* closed as a duplicate of another case */
    char issue[24];
    hq_issue_state state;
    int64_t opened_ms, deadline_ms, closed_ms, updated_ms;
    char *outcome; /* issue.closed outcome, when closed */
    char contractor[65];
} web_complaint;
void web_complaint_fini(web_complaint *c);
/* Where a complaint stands, in the four steps the public sees:
 * 0 已受理 (received: no case yet, or its case not yet acknowledged),
 * 1 处理中 (acknowledged or reopened), 2 已整改待复查, 3 已办结. */
int web_complaint_stage(const web_complaint *c);
extern const char *const web_stage_names[4];
/* Finds the complaint (source, id) and its issue.  HQ_ENOTFOUND. */
int web_state_complaint(const char *source, const char *id, web_complaint *c, hq_err *err);
/* Open issues at site that complaints of category belong to:
 * fills numbers and titles (up to max); returns the count. */
typedef struct web_open_issue {
    char number[24];
    char title[256];
    int64_t opened_ms;
    int occurrences;
} web_open_issue;
size_t web_state_open_issues(const char *site, const char *category, web_open_issue *out, size_t max);
bool web_state_issue_open(const char *number, const char *site);
/* Complaints (newest first) of the given sources, for Open311 GET. */
typedef int (*web_complaint_fn)(void *ctx, const web_complaint *c);
int web_state_each_complaint(const char *const *sources, size_t nsources, int64_t from_ms, int64_t to_ms,
                             size_t max_scan, web_complaint_fn fn, void *ctx, hq_err *err);
int64_t web_state_now_ms(void);
/* The ts of the stored event (source, id): true when there is one. */
bool web_state_event_ts(const char *source, const char *id, int64_t *ts_ms);

/* ---- photo.c ---- */
/* Checks (JPEG/PNG/WebP by content, dimensions), strips metadata, and
 * stores the photo under media_dir/ab/cd/<sha256 hex>; hash gets the hex.
 * HQ_EINVAL with a Chinese reason for the person. */
int web_photo_clean(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len, const char **kind,
                    hq_err *err);
int web_photo_store(const char *media_dir, const unsigned char *in, size_t len, char hash[65], hq_err *err);

/* ---- pages.c: filing a complaint (also for Open311) ---- */
typedef struct web_new_complaint {
    const char *source, *id;            /* id: a tracking number */
    const char *domain, *site, *category, *text;
    const char *contact, *name;         /* personal data, optional */
    const char *token_hash;             /* hex, optional */
    const char *follows;                /* issue number, optional */
    const char *location, *channel;     /* optional */
    const char *photos[4];
    size_t nphotos;
    bool anonymous, wants_reply;
} web_new_complaint;
/* Sends the complaint.submitted event and waits for the durable ack. */
int web_file_complaint(const web_new_complaint *nc, hq_client_reply *rep, hq_err *err);
/* ISO 8601 with the offset of the local time zone. */
void web_iso8601(int64_t ms, char *out, size_t size);

/* ---- pages.c, open311.c ---- */
enum MHD_Result web_pages(web_req *r);
enum MHD_Result web_open311(web_req *r);
/* CSRF: a token bound to purpose, valid for 4 hours. */
void web_csrf_make(const char *purpose, char *out, size_t size);
bool web_csrf_check(const char *purpose, const char *tok);

/* ---- auth.c ---- */
/* The person of org.yaml with this id, or NULL. */
const hq_person *web_person(const char *id);
/* The logged-in person (a valid session cookie, or the SSO header from
 * the configured proxy), or NULL. */
const hq_person *web_auth(web_req *r);
enum MHD_Result web_login(web_req *r);   /* GET/POST /login */
enum MHD_Result web_logout(web_req *r);  /* POST /logout */

/* ---- scope.c ---- */
enum { WEB_ACT_ACK, WEB_ACT_RECTIFY, WEB_ACT_PASS, WEB_ACT_FAIL, WEB_ACT_COMMENT, WEB_ACT_CLOSE, WEB_ACT_OPINION,
       WEB_ACT_ACCOUNTABILITY, /* issue.accountability */
       WEB_ACT_MODERATE,       /* complaint.moderated: hide personal details from contractors */
       WEB_ACT_DUPLICATE,      /* issue.closed as a duplicate of another complaint's case */
       WEB_ACT_COUNT };
/* The issue lifecycle action of each web action (houqind's state table). */
extern const hq_issue_action web_act_lifecycle[WEB_ACT_COUNT];
extern const char *const web_act_names[WEB_ACT_COUNT];   /* "ack", "rectify", "pass", ... */
extern const char *const web_act_labels[WEB_ACT_COUNT];  /* Chinese */
bool web_sees_all(const hq_person *p);
bool web_is_contractor(const hq_person *p);
bool web_may_see(const hq_person *p, const char *domain, const char *contractor);
/* NULL when p may do act on the issue (the permission table's decision,
 * as houqind makes it), else the reason in Chinese, written into why. */
const char *web_may_act(const hq_person *p, const hq_issue *is, int act, char *why, size_t size);
bool web_may_inspect(const hq_person *p, const char *domain);
/* Whether the inspection form offers kind (self, key, spot, covert). */
bool web_inspect_kind_ok(const char *kind);
const char *web_person_name(const char *id);

/* ---- console.c, act.c ---- */
enum MHD_Result web_console(web_req *r);
/* After a reload of the rules: the evaluation scheme is loaded again on
 * next use (the old one stays valid until web_console_fini, at exit). */
void web_console_reload(void);
void web_console_fini(void);
enum MHD_Result web_portal(web_req *r); /* /p/... the signed link */
/* The signed link of issue (contractor's portal), valid until exp_s. */
void web_portal_link(const char *number, const char *contractor, int64_t exp_s, char *out, size_t size);
const char *web_css(void);
int web_state_begin(MDB_txn **txn, hq_err *err);
void web_state_end(MDB_txn *txn);
hq_store *web_store(void);

/* "&k=v" with v percent-encoded, into b; nothing when v is NULL or empty. */
void web_url_arg(hq_buf *b, const char *k, const char *v);

/* ---- filters.c ---- */
typedef struct web_filters {
    size_t n;
    struct web_filter {
        char *name, *query; /* query: the ledger's query string */
    } * v;
} web_filters;
/* The person's saved filters (none when the file is missing); HQ_EIO. */
int web_filters_load(const char *person, web_filters *out, hq_err *err);
void web_filters_fini(web_filters *f);
/* The card "我的筛选": the person's filters (apply, delete) and, when
 * query is not NULL, the form that saves it under a name. */
void web_filters_card(hq_buf *b, const hq_person *p, const char *query);
enum MHD_Result web_filters_post(web_req *r, const hq_person *p); /* POST /console/filters */
/* ---- index.c ---- */
/* The ledger's rows when the filter is one contractor's open issues (state
 * "open" or an open state) and the state has the console's indexes: fn
 * gets that contractor's open issues newest first (from before `before`);
 * false when the caller must scan every issue instead. */
bool web_scan_open_of(MDB_txn *txn, const char *state, const char *contractor, const char *before,
                      int (*fn)(void *ctx, const hq_issue *is), void *ctx);
/* The issues an evaluation of [from_ms, to_ms) needs: those that moved at
 * or after from_ms and were opened before to_ms, and those still open, in
 * number order (newest first when newest_first); false when the state has
 * no index (scan every issue). */
bool web_scan_period(MDB_txn *txn, int64_t from_ms, int64_t to_ms, bool newest_first,
                     int (*fn)(void *ctx, const hq_issue *is), void *ctx);
/* The same issues in number order for the evaluation: fn gets each one's
 * evaluation summary (hq_issue_load_summary: only the fields the
 * evaluation reads) where the state has them, else the whole issue. */
bool web_scan_period_summaries(MDB_txn *txn, int64_t from_ms, int64_t to_ms,
                               int (*fn)(void *ctx, const hq_issue *is), void *ctx);

/* ---- live.c ---- */
/* The subscriber thread (SUB to ep); max subscribers at once (0: live
 * updates off), a heartbeat comment every hb_s seconds.  live_stop ends
 * every stream and waits (up to wait_ms) until none is left: call it
 * before MHD_stop_daemon. */
int web_live_start(const char *ep, unsigned max, int hb_s, hq_err *err);
void web_live_stop(int wait_ms);
enum MHD_Result web_live(web_req *r);    /* GET /console/live */
enum MHD_Result web_live_js(web_req *r); /* GET /console/live.js */

/* HTML escaping into b. */
void web_html(hq_buf *b, const char *s);
/* The result of an action, above a page: notice (id="notice", class ok)
 * and error (id="error", class err), each escaped; NULL: none. */
void web_notices(hq_buf *b, const char *notice, const char *error);
/* A table's rows, or when there are none a row across its cols columns
 * that says so (none: HTML, not escaped). */
void web_table_rows(hq_buf *b, const hq_buf *rows, int cols, const char *none);
void web_html_n(hq_buf *b, const char *s, size_t n);

#endif
