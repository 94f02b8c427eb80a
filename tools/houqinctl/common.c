/* Pieces shared by houqinctl's commands: the read-only state, the rules,
 * issue numbers, progress bars. */
#include "ctl.h"

#include "buf.h"
#include "clock.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ctl_open_state(const char *dir, hq_store **s, MDB_txn **txn)
{
    hq_err err;
    if (hq_store_open(dir, HQ_STORE_RDONLY, 0, s, &err) != 0)
        return ctl_fail("%s", err.msg);
    if (hq_store_begin(*s, false, txn, &err) != 0) {
        hq_store_close(s);
        return ctl_fail("%s", err.msg);
    }
    return 0;
}

void ctl_close_state(hq_store **s, MDB_txn *txn)
{
    if (*s)
        hq_store_abort(*s, txn);
    hq_store_close(s);
}

int ctl_with_state(const char *dir, ctl_state_fn *fn, void *ctx)
{
    hq_store *s;
    MDB_txn *txn;
    int rc = ctl_open_state(dir, &s, &txn);
    if (rc == 0) {
        rc = fn(s, txn, ctx);
        ctl_close_state(&s, txn);
    }
    return rc;
}

int64_t ctl_state_now_ms(hq_store *s, MDB_txn *txn)
{
    int64_t ms;
    return hq_store_clock_get(s, txn, &ms) == 0 ? ms : hq_wall_ms();
}

void ctl_each_issue(hq_store *s, MDB_txn *txn, const char *label, ctl_issue_fn *fn, void *ctx)
{
    ctl_progress pr = {.on = false};
    if (label) {
        MDB_stat ms;
        mdb_stat(txn, hq_store_dbi(s, HQ_DB_ISSUES), &ms);
        ctl_progress_begin(&pr, label, ms.ms_entries);
    }
    MDB_cursor *cur;
    mdb_cursor_open(txn, hq_store_dbi(s, HQ_DB_ISSUES), &cur);
    MDB_val k, v;
    size_t seen = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        ctl_progress_update(&pr, ++seen);
        hq_issue is;
        if (hq_issue_load_raw(v.mv_data, v.mv_size, &is, NULL) == 0)
            fn(&is, ctx);
        hq_issue_fini(&is);
    }
    mdb_cursor_close(cur);
    ctl_progress_end(&pr);
}

int ctl_load_rules(const char *rules_dir, const char *schemas_dir, hq_schemas **schemas, hq_rules **rules)
{
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_schemas_load_dir(schemas_dir, schemas, &d);
    if (rc == 0) {
        rc = hq_rules_load(rules_dir, *schemas, rules, &d);
        if (rc)
            hq_schemas_destroy(schemas);
    }
    if (rc) {
        char b[700] = "";
        if (d.count)
            hq_err_str(&d.items[0], b, sizeof b);
        if (d.count > 1)
            ctl_fail("%s (and %zu more problem%s; see houqind --check)", b, d.count - 1, d.count > 2 ? "s" : "");
        else
            ctl_fail("%s", d.count ? b : "the rules do not load");
    }
    hq_diags_fini(&d);
    return rc ? EXIT_USAGE : 0;
}

void ctl_use_vocab(const char *rules_dir, const char *schemas_dir)
{
    hq_diags d;
    hq_diags_init(&d);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    int rc = hq_schemas_load_dir(schemas_dir, &schemas, &d);
    if (rc == 0)
        rc = hq_rules_load(rules_dir, schemas, &rules, &d); /* installs the vocabulary */
    if (rc) {
        char b[700] = "";
        if (d.count)
            hq_err_str(&d.items[0], b, sizeof b);
        fprintf(stderr, "houqinctl: note: the built-in labels are shown: the rules of %s do not load (%s)\n",
                rules_dir, d.count ? b : "?");
    }
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    hq_diags_fini(&d);
}

int ctl_emit(int rc, hq_buf *out)
{
    if (rc == 0 && out->len)
        fwrite(out->data, 1, out->len, stdout);
    hq_buf_fini(out);
    return rc;
}

void ctl_pad(hq_buf *b, const char *text, int width)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;                  /* a continuation byte */
        cols += *p >= 0xE1 ? 2 : 1; /* U+1100 and above: wide (CJK) */
    }
    hq_buf_puts(b, text);
    for (; cols < width; cols++)
        hq_buf_putc(b, ' ');
}

bool ctl_valid_number(const char *s)
{
    size_t n = strlen(s);
    if (n < 10 || n > 23 || strncmp(s, "HQ-", 3) != 0 || s[7] != '-')
        return false;
    for (size_t i = 3; i < n; i++)
        if (i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

int ctl_help(const char *text)
{
    fputs(text, stdout);
    return 0;
}

/* ops[0..max) from argv[first..argc), NULL where none is left; -1, or
 * EXIT_USAGE after refusing one more. */
static int take_operands(int argc, char **argv, int first, const char *cmd, const char **ops, int max)
{
    for (int i = 0; i < max; i++)
        ops[i] = first < argc ? argv[first++] : NULL;
    if (first < argc)
        return ctl_fail("%s: unexpected argument \"%s\"", cmd, argv[first]);
    return -1;
}

int ctl_parse_table(const hq_opt *opts, size_t n, int argc, char **argv, const char *usage, const char *cmd,
                    int *next)
{
    hq_opt all[CTL_MAX_OPTS + 2];
    assert(n <= CTL_MAX_OPTS);
    memcpy(all, opts, n * sizeof *opts);
    all[n] = (hq_opt)HQ_OPTION_HELP;
    all[n + 1] = (hq_opt)HQ_OPTION_END;
    hq_err err;
    int first;
    switch (hq_opts_parse(all, argc, argv, &first, &err)) {
    case HQ_OPTS_OK: break;
    case HQ_OPTS_HELP: return ctl_help(usage);
    case HQ_OPTS_BAD: return ctl_fail("%s", err.msg);
    case HQ_OPTS_VERSION:
    case HQ_OPTS_USAGE: return EXIT_USAGE;
    }
    if (!next)
        return take_operands(argc, argv, first, cmd, NULL, 0);
    *next = first;
    return -1;
}

int ctl_parse_table_operands(const hq_opt *opts, size_t n, int argc, char **argv, const char *usage,
                             const char *cmd, const char *missing, const char **ops, int max)
{
    int first, rc = ctl_parse_table(opts, n, argc, argv, usage, cmd, &first);
    if (rc < 0 && first >= argc)
        return ctl_fail("%s: %s", cmd, missing);
    return rc >= 0 ? rc : take_operands(argc, argv, first, cmd, ops, max);
}

void ctl_progress_begin(ctl_progress *p, const char *label, uint64_t total)
{
    p->on = isatty(STDERR_FILENO) && !getenv("HQ_NO_PROGRESS");
    p->label = label;
    p->total = total;
    p->last_ms = 0;
    ctl_progress_update(p, 0);
}

void ctl_progress_update(ctl_progress *p, uint64_t done)
{
    if (!p->on)
        return;
    int64_t now = hq_mono_ms();
    if (done && done < p->total && now - p->last_ms < 100)
        return;
    p->last_ms = now;
    int width = 30;
    int pct = p->total ? (int)(done * 100 / p->total) : 0;
    if (pct > 100)
        pct = 100;
    int fill = pct * width / 100;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[width] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%% %llu/%llu", p->label, bar, pct, (unsigned long long)done,
            (unsigned long long)p->total);
    fflush(stderr);
}

void ctl_progress_end(ctl_progress *p)
{
    if (!p->on)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->on = false;
}
