/* document.c - what the commands that print documents (notice, evaluation,
 * ledger) share: their options, the checked --format, writing to --output
 * or stdout, and printing HTML to PDF with headless Chromium. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "ctl.h"

#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void ctl_doc_init(ctl_doc *d)
{
    *d = (ctl_doc){.state = "var", .rules = HQ_DEFAULT_RULES, .schemas = HQ_DEFAULT_SCHEMAS};
}

int ctl_doc_format(const ctl_doc *d, const char *cmd, const char *const *formats)
{
    char list[128] = "";
    for (size_t i = 0; formats[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? (formats[i + 1] ? ", " : " or ") : "",
                 formats[i]);
    if (!d->format) {
        ctl_fail("%s: give --format %s", cmd, list);
        return -1;
    }
    for (int i = 0; formats[i]; i++)
        if (!strcmp(d->format, formats[i]))
            return i;
    ctl_fail("--format: expected %s, got \"%s\"", list, d->format);
    return -1;
}

int ctl_doc_open(const ctl_doc *d, hq_schemas **schemas, hq_rules **rules, hq_store **s, MDB_txn **txn)
{
    int rc = ctl_load_rules(d->rules, d->schemas, schemas, rules);
    if (rc == 0 && (rc = ctl_open_state(d->state, s, txn)) != 0) {
        hq_rules_destroy(rules);
        hq_schemas_destroy(schemas);
    }
    return rc;
}

void ctl_doc_close(hq_schemas **schemas, hq_rules **rules, hq_store **s, MDB_txn *txn)
{
    ctl_close_state(s, txn);
    hq_rules_destroy(rules);
    hq_schemas_destroy(schemas);
}

int ctl_doc_write(const ctl_doc *d, const hq_buf *out)
{
    FILE *f = d->output ? fopen(d->output, "wb") : stdout;
    if (!f)
        return ctl_fail("%s: cannot write (%s)", d->output, strerror(errno));
    bool ok = fwrite(out->data ? out->data : "", 1, out->len, f) == out->len;
    if (d->output)
        ok = fclose(f) == 0 && ok;
    else
        ok = fflush(f) == 0 && ok;
    return ok ? 0 : ctl_fail("%s: cannot write", d->output ? d->output : "stdout");
}

int ctl_doc_emit(const ctl_doc *d, const char *cmd, bool pdf, hq_buf *out)
{
    hq_buf printed;
    hq_buf_init(&printed);
    int rc = pdf ? ctl_doc_pdf(cmd, out, &printed) : 0;
    if (rc == 0)
        rc = ctl_doc_write(d, pdf ? &printed : out);
    hq_buf_fini(&printed);
    hq_buf_fini(out);
    return rc;
}

/* ---- PDF ---- */

/* HQ_CHROMIUM names the browser (empty: none, for tests); otherwise the
 * first of chromium, chromium-browser, google-chrome on PATH. */
static bool find_chromium(char *out, size_t size)
{
    const char *e = getenv("HQ_CHROMIUM");
    if (e) {
        snprintf(out, size, "%s", e);
        return *e && access(e, X_OK) == 0;
    }
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome", NULL};
    const char *path = getenv("PATH");
    for (const char *const *n = names; *n; n++)
        for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
            const char *colon = strchr(p, ':');
            size_t len = colon ? (size_t)(colon - p) : strlen(p);
            snprintf(out, size, "%.*s/%s", (int)len, p, *n);
            if (len && access(out, X_OK) == 0)
                return true;
            p = colon ? colon + 1 : NULL;
        }
    return false;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static bool read_file(const char *path, hq_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char b[65536];
    size_t n;
    while ((n = fread(b, 1, sizeof b, f)) > 0)
        hq_buf_append(out, b, n);
    fclose(f);
    return true;
}

/* Runs argv with stdout and stderr to log; waits at most timeout_s. */
static int run_bounded(char *const *argv, const char *log, int timeout_s, char *why, size_t size)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, size, "cannot start %s: %s", argv[0], strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (null >= 0)
            dup2(null, 0);
        execv(argv[0], argv);
        _exit(127);
    }
    for (int waited = 0;; waited += 50) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
            snprintf(why, size, "%s exited with status %d", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : 128);
            return -1;
        }
        if (waited >= timeout_s * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            snprintf(why, size, "%s did not finish within %d s", argv[0], timeout_s);
            return -1;
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
}

int ctl_doc_pdf(const char *cmd, const hq_buf *html, hq_buf *pdf)
{
    char chromium[1024];
    if (!find_chromium(chromium, sizeof chromium))
        return ctl_fail("%s: --format pdf prints the HTML with headless Chromium, which is not installed "
                        "(Debian: apt-get install chromium fonts-noto-cjk); or write --format html and print it "
                        "to PDF from a browser",
                        cmd);
    const char *tmp = getenv("TMPDIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/houqinctl-pdf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return ctl_fail("%s: cannot make a temporary folder in %s: %s", cmd, tmp && *tmp ? tmp : "/tmp",
                        strerror(errno));
    char in[1100], out[1100], log[1100], profile[1100], to_pdf[1200], url[1200];
    snprintf(in, sizeof in, "%s/document.html", dir);
    snprintf(out, sizeof out, "%s/document.pdf", dir);
    snprintf(log, sizeof log, "%s/chromium.log", dir);
    snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", dir);
    snprintf(to_pdf, sizeof to_pdf, "--print-to-pdf=%s", out);
    snprintf(url, sizeof url, "file://%s", in);
    int rc = 0;
    FILE *f = fopen(in, "wb");
    if (!f || fwrite(html->data, 1, html->len, f) != html->len) {
        rc = ctl_fail("%s: cannot write %s", cmd, in);
        if (f)
            fclose(f);
    } else if (fclose(f) != 0) {
        rc = ctl_fail("%s: cannot write %s", cmd, in);
    }
    if (rc == 0) {
        /* The page sets its size (@page A4); no header or footer lines. */
        char *argv[] = {chromium,       "--headless",          "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--disable-extensions", "--no-pdf-header-footer",
                        "--print-to-pdf-no-header", profile, to_pdf, url, NULL};
        char why[1300] = "";
        hq_buf_reset(pdf);
        if (run_bounded(argv, log, 120, why, sizeof why) != 0 || !read_file(out, pdf) || pdf->len < 5 ||
            memcmp(pdf->data, "%PDF", 4) != 0) {
            hq_buf msg;
            hq_buf_init(&msg);
            read_file(log, &msg);
            const char *last = msg.len ? msg.data : "";
            while (msg.len && strchr(last, '\n') && strchr(last, '\n')[1])
                last = strchr(last, '\n') + 1;
            rc = ctl_fail("%s: Chromium did not print a PDF (%s)%s%.*s", cmd,
                          pdf->len ? "its output is no PDF" : (why[0] ? why : "no output"), *last ? ": " : "",
                          (int)strcspn(last, "\n"), last);
            hq_buf_fini(&msg);
        }
    }
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
