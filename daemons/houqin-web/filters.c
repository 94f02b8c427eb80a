/* Saved filters of the ledger, per person (docs/web.md "Saved filters").
 *
 * A person names the ledger's current filter (state, domain, responsible
 * unit, overdue only, number or title), finds it again on the ledger and
 * the dashboard, applies it with one click and deletes it.  The filters
 * are the person's own: they live in STATE/web-filters/PERSON (the person
 * of the session; no request names another), one a line,
 *
 *   NAME TAB QUERY LF
 *
 * QUERY being the ledger's query string rebuilt from the known keys only.
 * The file is replaced whole (lib/core/file.h: temporary file, fsync,
 * rename), and a change is a read-modify-write under PERSON.lock, so that
 * several houqin-web instances sharing the state directory never lose one
 * another's change and a reader never sees half a file.
 *
 *   POST /console/filters   op=save (name, query) or op=delete (name); CSRF
 *                           bound to the person; 303 to the ledger after.
 */
#include "web.h"

#include "account.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "mp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILTERS 20
#define MAX_NAME 120   /* bytes: 40 Chinese characters */
#define MAX_QUERY 1000

enum MHD_Result web_console_error(web_req *r, const hq_person *p, unsigned status, const char *msg);

void web_filters_fini(web_filters *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].query);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

/* The file of a person; false when the id cannot name a file. */
static bool path_of(const char *person, char *out, size_t size)
{
    if (!hq_account_person_ok(person) || person[0] == '.')
        return false;
    return (size_t)snprintf(out, size, "%s/web-filters/%s", g_web->state_dir, person) < size;
}

/* A name: 1..MAX_NAME bytes of UTF-8 without control characters. */
static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > MAX_NAME || !hq_utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* The ledger's query string of the form's known keys, in a fixed order
 * and percent-encoded (web_url_arg), without the leading '&'. */
static void canonical(const web_form *f, hq_buf *out)
{
    static const char *const keys[] = {"state", "domain", "contractor", "overdue", "q"};
    hq_buf b;
    hq_buf_init(&b);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *v = web_form_get(f, keys[i]);
        if (i == 3 && v && strcmp(v, "1"))
            v = NULL;
        web_url_arg(&b, keys[i], v);
    }
    if (b.len)
        hq_buf_append(out, b.data + 1, b.len - 1);
    hq_buf_fini(&b);
}

typedef struct load_ctx {
    const char *path;
    web_filters *out;
} load_ctx;

static int load_line(void *ctx, char *line, int lineno)
{
    load_ctx *c = ctx;
    char *tab = strchr(line, '\t');
    if (tab)
        *tab = '\0';
    if (!tab || !name_ok(line) || strlen(tab + 1) > MAX_QUERY) {
        hq_log_warn("%s:%d: not a saved filter (NAME TAB QUERY); skipped", c->path, lineno);
        return 0;
    }
    c->out->v = hq_realloc(c->out->v, (c->out->n + 1) * sizeof *c->out->v);
    c->out->v[c->out->n].name = hq_strdup(line);
    c->out->v[c->out->n++].query = hq_strdup(tab + 1);
    return c->out->n == MAX_FILTERS; /* no more than that */
}

int web_filters_load(const char *person, web_filters *out, hq_err *err)
{
    out->v = NULL;
    out->n = 0;
    char path[4200];
    if (!path_of(person, path, sizeof path))
        return 0;
    load_ctx c = {.path = path, .out = out};
    int rc = hq_file_each_line(path, MAX_NAME + MAX_QUERY + 8, load_line, &c, err);
    return rc < 0 ? rc : 0;
}

static int store(const char *path, const web_filters *f, hq_err *err)
{
    hq_buf b;
    hq_buf_init(&b);
    hq_buf_puts(&b, "# houqin-web: saved filters of one person (NAME TAB QUERY); written by houqin-web.\n");
    for (size_t i = 0; i < f->n; i++)
        hq_buf_printf(&b, "%s\t%s\n", f->v[i].name, f->v[i].query);
    int rc = hq_file_replace(path, b.data, b.len, 0600, err);
    hq_buf_fini(&b);
    return rc;
}

void web_filters_card(hq_buf *b, const hq_person *p, const char *query)
{
    web_filters fs;
    hq_err err;
    if (web_filters_load(p->id, &fs, &err) != 0)
        hq_log_warn("%s", err.msg);
    char purpose[100], csrf[160];
    snprintf(purpose, sizeof purpose, "filters:%s", p->id);
    web_csrf_make(purpose, csrf, sizeof csrf);
    hq_buf_puts(b, "<div class=\"card\" id=\"filters\"><h3>我的筛选</h3>");
    if (!fs.n)
        hq_buf_puts(b, "<p class=\"note\">还没有保存的筛选条件（在“台账”页面筛选后，可命名保存）。</p>");
    else
        hq_buf_puts(b, "<ul class=\"saved\">");
    for (size_t i = 0; i < fs.n; i++) {
        hq_buf_printf(b, "<li><a id=\"filter-%zu\" href=\"/console/ledger?", i + 1);
        web_html(b, fs.v[i].query);
        hq_buf_puts(b, "\">");
        web_html(b, fs.v[i].name);
        hq_buf_puts(b, "</a><form method=\"post\" action=\"/console/filters\"><input type=\"hidden\" name=\"csrf\" value=\"");
        web_html(b, csrf);
        hq_buf_puts(b, "\"><input type=\"hidden\" name=\"op\" value=\"delete\"><input type=\"hidden\" name=\"name\" value=\"");
        web_html(b, fs.v[i].name);
        hq_buf_printf(b, "\"><button type=\"submit\" class=\"alt\" id=\"delete-filter-%zu\">删除</button></form></li>", i + 1);
    }
    if (fs.n)
        hq_buf_puts(b, "</ul>");
    if (query) {
        hq_buf_puts(b, "<form class=\"filters\" method=\"post\" action=\"/console/filters\"><input type=\"hidden\" "
                       "name=\"csrf\" value=\"");
        web_html(b, csrf);
        hq_buf_puts(b, "\"><input type=\"hidden\" name=\"op\" value=\"save\"><input type=\"hidden\" name=\"query\" value=\"");
        web_html(b, query);
        hq_buf_puts(b, "\"><label>名称<br><input type=\"text\" id=\"filter-name\" name=\"name\" maxlength=\"40\" required "
                       "placeholder=\"如：鑫源 超期未办结\"></label><button type=\"submit\" id=\"save-filter\">保存当前筛选</button>"
                       "</form>");
    }
    hq_buf_puts(b, "</div>");
    web_filters_fini(&fs);
}

enum MHD_Result web_filters_post(web_req *r, const hq_person *p)
{
    web_form f, q;
    hq_err err;
    if (r->too_large ||
        web_form_parse(r->body.data ? r->body.data : "", r->body.len, web_header(r, "Content-Type"), &f, &err) != 0)
        return web_console_error(r, p, 400, "提交的表单无法识别。");
    memset(&q, 0, sizeof q);
    enum MHD_Result ret;
    char purpose[100], path[4200];
    snprintf(purpose, sizeof purpose, "filters:%s", p->id);
    const char *op = web_form_get(&f, "op"), *name = web_form_get(&f, "name"), *query = web_form_get(&f, "query");
    bool save = op && !strcmp(op, "save"), del = op && !strcmp(op, "delete");
    if (!web_csrf_check(purpose, web_form_get(&f, "csrf"))) {
        hq_log_notice("saved filter of %s refused: no valid CSRF token (from %s)", p->id, r->addr);
        ret = web_console_error(r, p, 403, "页面已过期或来源无法确认，筛选条件未保存。请刷新页面后重试。");
        goto out;
    }
    if ((!save && !del) || !name_ok(name) || (save && (!query || strlen(query) > MAX_QUERY))) {
        ret = web_console_error(r, p, 400, "请填写筛选条件的名称（最多 40 字，不含换行等控制字符）。");
        goto out;
    }
    if (!path_of(p->id, path, sizeof path)) {
        ret = web_console_error(r, p, 400, "您的账号不能保存筛选条件。");
        goto out;
    }
    if (save && web_form_parse_urlencoded(query, strlen(query), &q, &err) != 0) {
        ret = web_console_error(r, p, 400, "筛选条件无法识别，请在台账页面重新筛选后保存。");
        goto out;
    }
    hq_buf canon;
    hq_buf_init(&canon);
    if (save)
        canonical(&q, &canon);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/web-filters", g_web->state_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        hq_log_warn("%s: %s", dir, strerror(errno));
        hq_buf_fini(&canon);
        ret = web_console_error(r, p, 503, "筛选条件暂时无法保存，请稍后再试。");
        goto out;
    }
    int lock = hq_file_lock(path, &err);
    web_filters fs = {0};
    int rc = lock < 0 ? lock : web_filters_load(p->id, &fs, &err);
    size_t at = fs.n;
    for (size_t i = 0; i < fs.n; i++)
        if (!strcmp(fs.v[i].name, name))
            at = i;
    bool full = false;
    if (rc == 0 && save) {
        if (at == fs.n && fs.n >= MAX_FILTERS) {
            full = true;
        } else {
            if (at == fs.n) {
                fs.v = hq_realloc(fs.v, (fs.n + 1) * sizeof *fs.v);
                fs.v[fs.n].name = hq_strdup(name);
                fs.v[fs.n++].query = NULL;
            }
            free(fs.v[at].query);
            fs.v[at].query = hq_strdup(canon.data ? canon.data : "");
        }
    } else if (rc == 0 && del && at < fs.n) {
        free(fs.v[at].name);
        free(fs.v[at].query);
        memmove(&fs.v[at], &fs.v[at + 1], (fs.n - at - 1) * sizeof *fs.v);
        fs.n--;
    }
    if (rc == 0 && !full)
        rc = store(path, &fs, &err);
    hq_file_unlock(lock);
    web_filters_fini(&fs);
    if (rc != 0) {
        hq_log_warn("saved filters of %s: %s", p->id, err.msg);
        ret = web_console_error(r, p, 503, "筛选条件暂时无法保存，请稍后再试。");
    } else if (full) {
        ret = web_console_error(r, p, 409, "最多保存 20 个筛选条件，请先删除不用的。");
    } else {
        hq_log_info("saved filter of %s %s", p->id, save ? "saved" : "deleted");
        hq_buf loc;
        hq_buf_init(&loc);
        hq_buf_puts(&loc, "/console/ledger?");
        if (save && canon.len)
            hq_buf_printf(&loc, "%s&", canon.data);
        hq_buf_puts(&loc, save ? "saved=1" : "deleted=1");
        ret = web_redirect(r, loc.data);
        hq_buf_fini(&loc);
    }
    hq_buf_fini(&canon);
out:
    web_form_fini(&q);
    web_form_fini(&f);
    return ret;
}
