/* Log-in to the console and the portal (docs/web.md "Console and portal").
 *
 *   GET  /login      the form (person id of org.yaml and password)
 *   POST /login      checks it; a session cookie and 303 to /console
 *   POST /logout     ends the session (the cookie is cleared)
 *
 * Accounts: the accounts file (lib/net/account.h), written by `houqinctl
 * account`, re-read when its inode, size or mtime change.
 *
 * Sessions are stateless so that any instance sharing the key verifies
 * them: the cookie hq_session is
 *     PERSON ":" METHOD ":" STAMP ":" EXPIRY-HEX ":" HMAC-HEX
 * with HMAC = crypto_auth(key, "sess|" everything before it), METHOD p
 * (password) or s (single sign-on), STAMP the account's stamp (a new
 * password or a lock ends older sessions).  HttpOnly, SameSite=Strict,
 * Path=/, Max-Age the session's life; Secure with --secure-cookies or when
 * the proxy says X-Forwarded-Proto: https.
 *
 * Lock-out: failed log-ins of a person are counted in one small file per
 * person, STATE/web-lockout/PERSON ("count last-ms"), updated under
 * flock, so every instance on the host (or sharing the directory) sees the
 * same count.  After 5 failures, each within 15 minutes of the last, the
 * person cannot log in until 15 minutes after the last failure, or until
 * `houqinctl account unlock`.  Unknown ids are not written to disk (a flood
 * of made-up ids cannot fill it); they and everything else are bounded by
 * the per-address log-in rate (0.2/s, burst 20).  Every log-in, failure
 * and lock-out is logged with the person and the client address. */
#include "web.h"

#include "account.h"
#include "clock.h"
#include "log.h"
#include "mem.h"
#include "mp.h"
#include "ratelimit.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_AFTER 5
#define LOCK_WINDOW_MS (15LL * 60 * 1000)

const hq_person *web_person(const char *id)
{
    if (!id)
        return NULL;
    const hq_person *people;
    size_t n = hq_rules_people(g_web->rules, &people);
    for (size_t i = 0; i < n; i++)
        if (strcmp(people[i].id, id) == 0)
            return &people[i];
    return NULL;
}

/* ---- the accounts file, cached ---- */

static hq_accounts g_acc;
static struct stat g_acc_st;
static bool g_acc_loaded;

/* Copies person's account into *out: true when there is one. */
static bool account_get(const char *person, hq_account *out)
{
    web *w = g_web;
    pthread_mutex_lock(&w->acc_lock);
    struct stat st;
    bool have = stat(w->accounts_path, &st) == 0;
    if (!have) {
        hq_accounts_fini(&g_acc);
        g_acc_loaded = false;
    } else if (!g_acc_loaded || st.st_ino != g_acc_st.st_ino || st.st_size != g_acc_st.st_size ||
               st.st_mtim.tv_sec != g_acc_st.st_mtim.tv_sec || st.st_mtim.tv_nsec != g_acc_st.st_mtim.tv_nsec) {
        hq_accounts a;
        hq_err err;
        if (hq_accounts_read(w->accounts_path, &a, &err) == 0) {
            hq_accounts_fini(&g_acc);
            g_acc = a;
            g_acc_st = st;
            g_acc_loaded = true;
        } else {
            hq_log_err("%s", err.msg); /* the old accounts stay */
        }
    }
    const hq_account *a = hq_accounts_find(&g_acc, person);
    if (a)
        *out = *a;
    pthread_mutex_unlock(&w->acc_lock);
    return a != NULL;
}

/* ---- lock-out ---- */

static int lockout_open(const char *person)
{
    char p[4200];
    mkdir(g_web->lockout_dir, 0700);
    snprintf(p, sizeof p, "%s/%s", g_web->lockout_dir, person);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void lockout_read(int fd, long *count, int64_t *last_ms)
{
    char b[64] = "";
    ssize_t n = pread(fd, b, sizeof b - 1, 0);
    b[n > 0 ? n : 0] = '\0';
    long long l = 0;
    *count = 0;
    if (sscanf(b, "%ld %lld", count, &l) != 2)
        *count = 0;
    *last_ms = l;
}

/* True while person is locked out; *until_ms when it ends. */
static bool locked_out(const char *person, int64_t now, int64_t *until_ms)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", g_web->lockout_dir, person);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    flock(fd, LOCK_SH);
    long count;
    int64_t last;
    lockout_read(fd, &count, &last);
    close(fd);
    *until_ms = last + LOCK_WINDOW_MS;
    return count >= LOCK_AFTER && now < *until_ms;
}

/* Counts a failure; returns the count. */
static long lockout_fail(const char *person, int64_t now)
{
    int fd = lockout_open(person);
    if (fd < 0)
        return 0;
    long count;
    int64_t last;
    lockout_read(fd, &count, &last);
    if (now - last > LOCK_WINDOW_MS)
        count = 0;
    count++;
    char b[64];
    int n = snprintf(b, sizeof b, "%ld %lld\n", count, (long long)now);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, b, (size_t)n, 0) != n)
        hq_log_warn("%s/%s: %s", g_web->lockout_dir, person, strerror(errno));
    close(fd);
    return count;
}

static void lockout_clear(const char *person)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", g_web->lockout_dir, person);
    unlink(p);
}

/* ---- sessions ---- */

#define COOKIE "hq_session"

static void session_mac(const char *body, size_t len, char hex[2 * crypto_auth_BYTES + 1])
{
    unsigned char mac[crypto_auth_BYTES];
    crypto_auth_hmacsha512256_state st;
    crypto_auth_hmacsha512256_init(&st, g_web->secret, sizeof g_web->secret);
    crypto_auth_hmacsha512256_update(&st, (const unsigned char *)"sess|", 5);
    crypto_auth_hmacsha512256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha512256_final(&st, mac);
    sodium_bin2hex(hex, 2 * crypto_auth_BYTES + 1, mac, sizeof mac);
}

static bool https(web_req *r)
{
    if (g_web->cookie_secure)
        return true;
    const char *p = g_web->behind_proxy ? web_header(r, "X-Forwarded-Proto") : NULL;
    return p && strcmp(p, "https") == 0;
}

static void set_cookie(web_req *r, const char *value, int max_age)
{
    char b[600];
    snprintf(b, sizeof b, COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", value, max_age,
             https(r) ? "; Secure" : "");
    free(r->set_cookie);
    r->set_cookie = hq_strdup(b);
}

static void session_make(web_req *r, const char *person, char method, const char *stamp)
{
    char body[256], mac[2 * crypto_auth_BYTES + 1], val[400];
    long long exp = hq_wall_ms() / 1000 + g_web->session_ttl_s;
    int n = snprintf(body, sizeof body, "%s:%c:%s:%llx", person, method, stamp, exp);
    session_mac(body, (size_t)n, mac);
    snprintf(val, sizeof val, "%s:%s", body, mac);
    set_cookie(r, val, g_web->session_ttl_s);
}

static const hq_person *session_check(const char *v)
{
    char buf[400];
    if (!v || strlen(v) >= sizeof buf)
        return NULL;
    snprintf(buf, sizeof buf, "%s", v);
    char *mac = strrchr(buf, ':');
    if (!mac || strlen(mac + 1) != 2 * crypto_auth_BYTES)
        return NULL;
    char want[2 * crypto_auth_BYTES + 1];
    session_mac(buf, (size_t)(mac - buf), want);
    if (sodium_memcmp(want, mac + 1, sizeof want - 1) != 0)
        return NULL;
    *mac = '\0';
    char *f[4], *save = NULL, *p = buf;
    for (int i = 0; i < 4; i++, p = NULL)
        if (!(f[i] = strtok_r(p, ":", &save)))
            return NULL;
    unsigned long long exp = strtoull(f[3], NULL, 16);
    if ((long long)exp <= hq_wall_ms() / 1000)
        return NULL; /* expired */
    const hq_person *person = web_person(f[0]);
    if (!person)
        return NULL;
    if (f[1][0] == 's' && !f[1][1])
        return g_web->sso_header ? person : NULL;
    if (f[1][0] != 'p' || f[1][1])
        return NULL;
    hq_account a;
    char stamp[HQ_ACCOUNT_STAMP_LEN + 1];
    if (!account_get(person->id, &a) || a.locked)
        return NULL;
    hq_account_stamp(&a, stamp);
    return strcmp(stamp, f[2]) == 0 ? person : NULL;
}

const hq_person *web_auth(web_req *r)
{
    web *w = g_web;
    if (w->sso_header && strcmp(r->peer, w->sso_proxy) == 0) {
        const char *id = web_header(r, w->sso_header);
        if (id && *id)
            return web_person(id); /* the proxy vouches for it on every request */
    }
    return session_check(MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE));
}

/* ---- pages ---- */

static enum MHD_Result login_page(web_req *r, unsigned status, const char *person, const char *error)
{
    hq_buf b;
    hq_buf_init(&b);
    hq_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>登录 · 后勤监管</title>"
                    "<style>");
    hq_buf_puts(&b, web_css());
    hq_buf_puts(&b, "</style></head><body><header><h1>后勤服务监管平台</h1><p>");
    web_html(&b, hq_rules_office(g_web->rules) ? hq_rules_office(g_web->rules) : "后勤管理处");
    hq_buf_puts(&b, " · 工作人员与合作企业登录</p></header><main>");
    web_notices(&b, NULL, error);
    char csrf[160];
    web_csrf_make("login", csrf, sizeof csrf);
    hq_buf_puts(&b, "<form class=\"card\" method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"");
    web_html(&b, csrf);
    hq_buf_puts(&b, "\"><label for=\"person\">账号</label><input type=\"text\" id=\"person\" name=\"person\" "
                    "autocomplete=\"username\" autocapitalize=\"none\" required value=\"");
    web_html(&b, person);
    hq_buf_puts(&b, "\"><p class=\"note\">账号即人员编号（如 lin.sup），由后勤管理处分配。</p>"
                    "<label for=\"password\">密码</label><input type=\"password\" id=\"password\" name=\"password\" "
                    "autocomplete=\"current-password\" required>"
                    "<button type=\"submit\" id=\"login\">登录</button></form>"
                    "<p class=\"note\">忘记密码请联系处办公室重置。连续输错 5 次账号将锁定 15 分钟。</p>"
                    "<p class=\"note\"><a href=\"/\">学生和教职工投诉请点此</a></p></main></body></html>\n");
    enum MHD_Result ret = web_reply_buf(r, status, "text/html; charset=utf-8", &b);
    hq_buf_fini(&b);
    return ret;
}

static const char bad_login[] = "账号或密码错误。";

enum MHD_Result web_login(web_req *r)
{
    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
        return login_page(r, 200, NULL, NULL);
    if (strcmp(r->method, "POST") != 0)
        return login_page(r, 405, NULL, "请从登录页面提交。");
    web_form f;
    hq_err err;
    if (r->too_large || web_form_parse(r->body.data ? r->body.data : "", r->body.len, web_header(r, "Content-Type"),
                                       &f, &err) != 0)
        return login_page(r, 400, NULL, "提交的表单无法识别。");
    enum MHD_Result ret;
    const char *person = web_form_get(&f, "person"), *pw = web_form_get(&f, "password");
    const char *shown = person && strlen(person) <= 64 && hq_utf8_valid(person, strlen(person)) ? person : NULL;
    if (!web_csrf_check("login", web_form_get(&f, "csrf"))) {
        ret = login_page(r, 403, shown, "页面已过期，请重新登录。");
        goto out;
    }
    if (!web_rate_take(g_web->rl_login, r->addr)) {
        hq_log_warn("login refused: too many attempts from %s", r->addr);
        ret = login_page(r, 429, shown, "登录尝试过于频繁，请稍后再试。");
        goto out;
    }
    if (!person || !pw || !*person || !*pw) {
        ret = login_page(r, 400, shown, "请填写账号和密码。");
        goto out;
    }
    int64_t now = hq_wall_ms(), until;
    const hq_person *p = hq_account_person_ok(person) ? web_person(person) : NULL;
    hq_account a;
    if (!p || !account_get(p->id, &a)) {
        hq_account_verify_dummy(pw);
        hq_log_notice("login failed for \"%.64s\" from %s: %s", shown ? shown : "?", r->addr,
                      p ? "no account" : "not a person of org.yaml");
        ret = login_page(r, 401, shown, bad_login);
        goto out;
    }
    if (locked_out(p->id, now, &until)) {
        hq_log_warn("login refused for %s from %s: locked out after repeated failures", p->id, r->addr);
        ret = login_page(r, 403, shown, "登录失败次数过多，账号已暂时锁定。请 15 分钟后再试，或请处办公室解锁。");
        goto out;
    }
    if (!hq_account_verify(&a, pw)) {
        long n = a.locked ? 0 : lockout_fail(p->id, now);
        hq_log_notice("login failed for %s from %s: %s (%ld in a row)", p->id, r->addr,
                      a.locked ? "account locked" : "wrong password", n);
        if (n >= LOCK_AFTER)
            hq_log_warn("%s locked out for 15 minutes after %ld failed log-ins (last from %s)", p->id, n,
                           r->addr);
        ret = login_page(r, 401, shown, a.locked ? "该账号已停用，请联系处办公室。" : bad_login);
        goto out;
    }
    lockout_clear(p->id);
    char stamp[HQ_ACCOUNT_STAMP_LEN + 1];
    hq_account_stamp(&a, stamp);
    session_make(r, p->id, 'p', stamp);
    hq_log_notice("login %s from %s", p->id, r->addr);
    ret = web_redirect(r, "/console");
out:
    web_form_fini(&f);
    return ret;
}

enum MHD_Result web_logout(web_req *r)
{
    const hq_person *p = web_auth(r);
    if (strcmp(r->method, "POST") != 0)
        return web_redirect(r, p ? "/console" : "/login");
    web_form f;
    hq_err err;
    bool ok = false;
    if (!r->too_large && web_form_parse(r->body.data ? r->body.data : "", r->body.len, web_header(r, "Content-Type"),
                                        &f, &err) == 0) {
        char purpose[100];
        snprintf(purpose, sizeof purpose, "logout:%s", p ? p->id : "");
        ok = p && web_csrf_check(purpose, web_form_get(&f, "csrf"));
        web_form_fini(&f);
    }
    if (!ok)
        return web_redirect(r, p ? "/console" : "/login");
    hq_log_notice("logout %s from %s", p->id, r->addr);
    set_cookie(r, "", 0);
    return web_redirect(r, "/login");
}
