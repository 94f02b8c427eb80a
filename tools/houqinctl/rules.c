/* houqinctl rules check / rules test: validating a rules directory and
 * running rule tests (ruletest.h; the format is in rules/README-tests.md). */
#include "ctl.h"

#include "clock.h"
#include "mem.h"
#include "ruletest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char rules_usage[] =
    "NAME\n"
    "    houqinctl rules - check rules and run rule tests\n"
    "\n"
    "SYNOPSIS\n"
    "    houqinctl rules check [--schemas DIR] [--coverage] [DIR]\n"
    "    houqinctl rules test [--rules DIR] [--schemas DIR] [-v] [FILE|DIR...]\n"
    "\n"
    "rules check\n"
    "    Loads the schemas and the rules in DIR (default: the shipped rules) as\n"
    "    houqind --check does, then the rule test files under DIR (*.test.yaml),\n"
    "    and prints every problem as file:line:column: reason on stderr.  Exit 0\n"
    "    and a summary when everything loads, 1 otherwise.\n"
    "    --coverage also checks the coverage matrix (the coverage: entries of\n"
    "    the rules files, rules/DOMAINS.md): every rule it names must exist,\n"
    "    every test file and test it names too; then prints the matrix as a\n"
    "    Markdown table with a summary.\n"
    "\n"
    "rules test\n"
    "    Runs rule test files: events in, issues and alerts expected out, on a\n"
    "    simulated clock, each test on a fresh scratch state.  A DIR argument\n"
    "    stands for every *.test.yaml under it; without arguments, the test files\n"
    "    under the rules directory.  Prints one PASS, FAIL or ERROR line per\n"
    "    test, each failure as file:line: expected ..., got ..., then a summary.\n"
    "    Exit 0 when every test passed, 1 otherwise.\n"
    "\n"
    "OPTIONS\n"
    "    --rules DIR      the rules under test (default: the nearest directory\n"
    "                     above the test file that holds org.yaml, else the\n"
    "                     shipped rules)\n"
    "    --schemas DIR    event schemas (default " HQ_DEFAULT_SCHEMAS_HELP ")\n"
    "    -v, --verbose    show every step as it runs\n"
    "\n"
    "    The test file format: rules/README-tests.md.\n";

/* ---- finding test files ---- */

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static void strv_push(strv *s, const char *x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = hq_realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = hq_strdup(x);
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_test_file(const char *name)
{
    size_t l = strlen(name);
    return l > 10 && !strcmp(name + l - 10, ".test.yaml");
}

/* Every *.test.yaml under dir (hidden entries skipped), sorted. */
static void find_tests(const char *dir, int depth, strv *out)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) {
        if (d)
            closedir(d);
        return;
    }
    strv names = {0};
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            strv_push(&names, de->d_name);
    closedir(d);
    qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, names.v[i]);
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            find_tests(p, depth + 1, out);
        else if (S_ISREG(st.st_mode) && is_test_file(names.v[i]))
            strv_push(out, p);
    }
    strv_free(&names);
}

/* The nearest directory above file holding org.yaml, or NULL. */
static char *rules_dir_of(const char *file)
{
    char *p = realpath(file, NULL);
    if (!p)
        return NULL;
    for (;;) {
        char *slash = strrchr(p, '/');
        if (!slash || slash == p)
            break;
        *slash = '\0';
        char org[4200];
        snprintf(org, sizeof org, "%s/org.yaml", p);
        if (access(org, R_OK) == 0)
            return p;
    }
    free(p);
    return NULL;
}

/* ---- loaded rule sets, one per rules directory ---- */

typedef struct ruleset {
    char *dir;
    hq_rules *rules;
    bool failed;
} ruleset;

typedef struct rtctx {
    const char *schemas_dir;
    hq_schemas *schemas;
    ruleset *sets;
    size_t nsets;
    bool verbose;
    size_t pass, fail, error;
} rtctx;

static void print_diags(const hq_diags *d, const char *indent)
{
    char line[1200];
    for (size_t i = 0; i < d->count; i++)
        fprintf(stdout, "%s%s\n", indent, hq_err_str(&d->items[i], line, sizeof line));
}

static ruleset *get_rules(rtctx *c, const char *dir)
{
    for (size_t i = 0; i < c->nsets; i++)
        if (!strcmp(c->sets[i].dir, dir))
            return &c->sets[i];
    c->sets = hq_realloc(c->sets, (c->nsets + 1) * sizeof *c->sets);
    ruleset *rs = &c->sets[c->nsets++];
    memset(rs, 0, sizeof *rs);
    rs->dir = hq_strdup(dir);
    hq_diags d;
    hq_diags_init(&d);
    if (hq_rules_load(dir, c->schemas, &rs->rules, &d) != 0) {
        printf("ERROR %s: the rules do not load (%zu problem%s)\n", dir, d.count, d.count == 1 ? "" : "s");
        print_diags(&d, "  ");
        rs->failed = true;
    } else if (hq_tz_set(hq_rules_timezone(rs->rules)) != 0) {
        printf("ERROR %s: unknown time zone \"%s\"\n", dir, hq_rules_timezone(rs->rules));
        rs->failed = true;
    }
    hq_diags_fini(&d);
    return rs;
}

static void trace_step(void *ctx, const char *file, int line, const char *what)
{
    printf("    %s:%d: %s\n", file, line, what);
    fflush(stdout);
}

static void run_file(rtctx *c, const char *file, ruleset *rs)
{
    if (rs->failed) {
        printf("ERROR %s: not run: the rules in %s do not load\n", file, rs->dir);
        c->error++;
        return;
    }
    /* Times without an offset in the file are in the rules' zone. */
    hq_tz_set(hq_rules_timezone(rs->rules));
    hq_diags d;
    hq_diags_init(&d);
    hq_ruletests *t = NULL;
    if (hq_ruletests_load(file, c->schemas, rs->rules, &t, &d) != 0) {
        printf("ERROR %s (%zu problem%s)\n", file, d.count, d.count == 1 ? "" : "s");
        print_diags(&d, "  ");
        hq_diags_fini(&d);
        c->error++;
        return;
    }
    hq_ruletest_opts o = {.trace = c->verbose ? trace_step : NULL};
    for (size_t i = 0; i < hq_ruletests_count(t); i++) {
        hq_diags_fini(&d);
        hq_diags_init(&d);
        hq_rt_result res;
        hq_err err = {0};
        if (c->verbose)
            printf("RUN   %s:%d: %s\n", file, hq_ruletests_line(t, i), hq_ruletests_name(t, i));
        if (hq_ruletests_run(t, i, &o, &res, &d, &err) != 0) {
            printf("ERROR %s:%d: %s\n  %s\n", file, hq_ruletests_line(t, i), hq_ruletests_name(t, i), err.msg);
            c->error++;
            continue;
        }
        printf("%-5s %s:%d: %s\n", hq_rt_result_name(res), file, hq_ruletests_line(t, i), hq_ruletests_name(t, i));
        print_diags(&d, "  ");
        if (res == HQ_RT_PASS)
            c->pass++;
        else if (res == HQ_RT_FAIL)
            c->fail++;
        else
            c->error++;
    }
    fflush(stdout);
    hq_diags_fini(&d);
    hq_ruletests_destroy(&t);
}

static int rules_test(int argc, char **argv)
{
    const char *rules_dir = NULL;
    rtctx c = {.schemas_dir = HQ_DEFAULT_SCHEMAS};
    const hq_opt opts[] = {
        HQ_OPTION_STR("rules", &rules_dir),
        HQ_OPTION_STR("schemas", &c.schemas_dir),
        HQ_OPTION_FLAG("verbose", 'v', &c.verbose),
    };
    int first, prc = ctl_parse_opts(opts, argc, argv, rules_usage, "rules test", &first);
    if (prc >= 0)
        return prc;
    strv files = {0};
    if (first >= argc)
        find_tests(rules_dir ? rules_dir : HQ_DEFAULT_RULES, 0, &files);
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            strv_free(&files);
            return ctl_fail("%s: no such file or directory", argv[i]);
        }
        if (S_ISDIR(st.st_mode))
            find_tests(argv[i], 0, &files);
        else
            strv_push(&files, argv[i]);
    }
    if (files.n == 0) {
        strv_free(&files);
        return ctl_fail("no rule test files (*.test.yaml) found");
    }
    hq_diags d;
    hq_diags_init(&d);
    if (hq_schemas_load_dir(c.schemas_dir, &c.schemas, &d) != 0) {
        printf("ERROR %s: the schemas do not load (%zu problem%s)\n", c.schemas_dir, d.count,
               d.count == 1 ? "" : "s");
        print_diags(&d, "  ");
        hq_diags_fini(&d);
        strv_free(&files);
        return EXIT_REFUSED;
    }
    hq_diags_fini(&d);
    for (size_t i = 0; i < files.n; i++) {
        char *found = rules_dir ? NULL : rules_dir_of(files.v[i]);
        ruleset *rs = get_rules(&c, rules_dir ? rules_dir : found ? found : HQ_DEFAULT_RULES);
        free(found);
        run_file(&c, files.v[i], rs);
    }
    size_t total = c.pass + c.fail + c.error;
    printf("%zu test%s: %zu passed, %zu failed, %zu error%s\n", total, total == 1 ? "" : "s", c.pass, c.fail,
           c.error, c.error == 1 ? "" : "s");
    for (size_t i = 0; i < c.nsets; i++) {
        hq_rules_destroy(&c.sets[i].rules);
        free(c.sets[i].dir);
    }
    free(c.sets);
    hq_schemas_destroy(&c.schemas);
    strv_free(&files);
    return c.fail || c.error ? EXIT_REFUSED : 0;
}

/* ---- the coverage matrix (coverage: in the rules files) ---- */

typedef struct cov_row {
    const char *req, *point, *status, *why;
    const hq_ynode *rules, *tests;
} cov_row;

/* A test named by a coverage entry: "dir/tests/x.test.yaml" (the whole
 * file) or {"dir/tests/x.test.yaml": "the test's name"}. */
static void cov_check_test(const char *dir, const hq_ydoc *doc, const hq_ynode *t, const hq_schemas *schemas,
                           const hq_rules *rules, hq_diags *d)
{
    const hq_ynode *fn = t, *name = NULL;
    if (t->type == HQ_Y_MAP && t->len == 1) {
        fn = hq_ymap_key(t, 0);
        name = hq_ymap_val(t, 0);
    }
    if (fn->type != HQ_Y_SCALAR || (name && name->type != HQ_Y_SCALAR)) {
        hq_ydiag(d, doc, t, "a test is a file (catering/tests/x.test.yaml) or {file: test name}");
        return;
    }
    size_t l = strlen(fn->str);
    if (l <= 10 || strcmp(fn->str + l - 10, ".test.yaml") != 0 || fn->str[0] == '/' || strstr(fn->str, "..")) {
        hq_ydiag(d, doc, fn, "test file \"%s\": expected a *.test.yaml path inside the rules directory", fn->str);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, fn->str);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        hq_ydiag(d, doc, fn, "test file \"%s\" does not exist", fn->str);
    } else if (name) {
        hq_diags td;
        hq_diags_init(&td);
        hq_ruletests *rt = NULL;
        if (hq_ruletests_load(path, schemas, rules, &rt, &td) == 0) {
            bool found = false;
            for (size_t i = 0; !found && i < hq_ruletests_count(rt); i++)
                found = strcmp(hq_ruletests_name(rt, i), name->str) == 0;
            if (!found)
                hq_ydiag(d, doc, name, "%s has no test named \"%s\"", fn->str, name->str);
        }
        hq_ruletests_destroy(&rt);
        hq_diags_fini(&td); /* its own problems are reported with the test files */
    }
}

static void cov_cell_list(const hq_ynode *seq, bool tests)
{
    for (size_t i = 0; seq && i < seq->len; i++) {
        const hq_ynode *t = seq->kids[i];
        fputs(i ? ", " : "", stdout);
        if (tests && t->type == HQ_Y_MAP && t->len == 1)
            printf("`%s` (%s)", hq_ymap_key(t, 0)->str, hq_ymap_val(t, 0)->str);
        else
            printf("`%s`", t->str);
    }
    if (!seq || !seq->len)
        fputs("—", stdout);
}

/* Loads and checks the coverage: entries of the rules directory; prints the
 * matrix when print is set and there is no problem.  Returns the number
 * of entries (0 with problems in d). */
static size_t coverage_check(const char *dir, const hq_schemas *schemas, const hq_rules *rules, hq_diags *d,
                             bool print)
{
    static const char *const keys[] = {"requirement", "point", "status", "rules", "tests", "why", NULL};
    hq_ydoc **docs = NULL;
    size_t ndocs = 0, before = d->count, nrows = 0;
    cov_row *rows = NULL;
    hq_ydocs_load_dir(dir, &docs, &ndocs, d);
    for (size_t i = 0; i < ndocs; i++) {
        const hq_ydoc *doc = docs[i];
        const hq_ynode *cov = doc->root ? hq_ymap_get(doc->root, "coverage") : NULL;
        if (!cov)
            continue;
        if (cov->type != HQ_Y_SEQ) {
            hq_ydiag(d, doc, cov, "coverage: expected a list of focus points");
            continue;
        }
        for (size_t k = 0; k < cov->len; k++) {
            const hq_ynode *e = cov->kids[k];
            if (e->type != HQ_Y_MAP) {
                hq_ydiag(d, doc, e, "a focus point is a mapping (requirement, point, status, rules, tests, why)");
                continue;
            }
            hq_ycheck_keys(d, doc, e, keys);
            cov_row r = {0};
            const hq_ynode *n;
            if ((n = hq_yrequire(d, doc, e, "requirement")))
                hq_yget_str(d, doc, n, &r.req);
            if ((n = hq_yrequire(d, doc, e, "point")))
                hq_yget_str(d, doc, n, &r.point);
            if ((n = hq_yrequire(d, doc, e, "status")) && hq_yget_str(d, doc, n, &r.status) == 0 &&
                strcmp(r.status, "covered") && strcmp(r.status, "partly") && strcmp(r.status, "missing")) {
                hq_ydiag(d, doc, n, "status \"%s\": expected covered, partly or missing", r.status);
                r.status = NULL;
            }
            if ((n = hq_ymap_get(e, "why")))
                hq_yget_str(d, doc, n, &r.why);
            if (r.status && strcmp(r.status, "covered") != 0 && !r.why)
                hq_ydiag(d, doc, e, "a focus point %s covered needs a why", !strcmp(r.status, "partly") ? "partly" : "not");
            r.rules = hq_ymap_get(e, "rules");
            r.tests = hq_ymap_get(e, "tests");
            for (int w = 0; w < 2; w++) {
                const hq_ynode *seq = w ? r.tests : r.rules;
                if (seq && seq->type != HQ_Y_SEQ) {
                    hq_ydiag(d, doc, seq, "%s: expected a list", w ? "tests" : "rules");
                    continue;
                }
                for (size_t j = 0; seq && j < seq->len; j++) {
                    const hq_ynode *x = seq->kids[j];
                    if (w) {
                        cov_check_test(dir, doc, x, schemas, rules, d);
                    } else if (x->type != HQ_Y_SCALAR) {
                        hq_ydiag(d, doc, x, "a rule is named by its id");
                    } else if (!hq_rules_find(rules, x->str)) {
                        hq_ydiag(d, doc, x, "rule \"%s\" does not exist", x->str);
                    }
                }
            }
            if (r.status && !strcmp(r.status, "covered") &&
                (!r.rules || !r.rules->len || !r.tests || !r.tests->len))
                hq_ydiag(d, doc, e, "a covered focus point names its rules and their tests");
            rows = hq_realloc(rows, (nrows + 1) * sizeof *rows);
            rows[nrows++] = r;
        }
    }
    if (d->count == before && nrows == 0)
        hq_diags_add(d, dir, 0, 0, "no coverage: entries in the rules directory");
    size_t n = d->count == before ? nrows : 0;
    if (print && n) {
        size_t st[3] = {0};
        puts("| requirement | focus point | status | rules | tests | why |");
        puts("|---|---|---|---|---|---|");
        for (size_t i = 0; i < nrows; i++) {
            const cov_row *r = &rows[i];
            st[!strcmp(r->status, "covered") ? 0 : !strcmp(r->status, "partly") ? 1 : 2]++;
            printf("| %s | %s | %s | ", r->req, r->point, r->status);
            cov_cell_list(r->rules, false);
            fputs(" | ", stdout);
            cov_cell_list(r->tests, true);
            printf(" | %s |\n", r->why ? r->why : "");
        }
        printf("\n%zu focus points: %zu covered, %zu partly, %zu missing\n", nrows, st[0], st[1], st[2]);
    }
    free(rows);
    for (size_t i = 0; i < ndocs; i++)
        hq_ydoc_destroy(&docs[i]);
    free(docs);
    return n;
}

static int rules_check(int argc, char **argv)
{
    const char *schemas_dir = HQ_DEFAULT_SCHEMAS, *dir = NULL;
    bool coverage = false;
    const hq_opt opts[] = {
        HQ_OPTION_STR("schemas", &schemas_dir),
        HQ_OPTION_STR("rules", &dir),
        HQ_OPTION_FLAG("coverage", 0, &coverage),
    };
    int next, prc = ctl_parse_opts(opts, argc, argv, rules_usage, "rules check", &next);
    if (prc >= 0)
        return prc;
    if (next < argc)
        dir = argv[next++];
    if (next < argc)
        return ctl_fail("rules check: one rules directory, got also \"%s\"", argv[next]);
    if (!dir)
        dir = HQ_DEFAULT_RULES;
    hq_diags d;
    hq_diags_init(&d);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    size_t nfiles = 0, ntests = 0;
    if (hq_schemas_load_dir(schemas_dir, &schemas, &d) == 0 && hq_rules_load(dir, schemas, &rules, &d) == 0) {
        if (hq_tz_set(hq_rules_timezone(rules)) != 0)
            hq_diags_add(&d, dir, 0, 0, "unknown time zone \"%s\"", hq_rules_timezone(rules));
        /* The rule tests are part of the rules directory: check them too. */
        strv files = {0};
        find_tests(dir, 0, &files);
        for (size_t i = 0; i < files.n; i++) {
            hq_ruletests *t = NULL;
            if (hq_ruletests_load(files.v[i], schemas, rules, &t, &d) == 0) {
                nfiles++;
                ntests += hq_ruletests_count(t);
            }
            hq_ruletests_destroy(&t);
        }
        strv_free(&files);
        if (coverage && d.count == 0)
            coverage_check(dir, schemas, rules, &d, false);
    }
    int rc = 0;
    if (d.count) {
        char line[1200];
        for (size_t i = 0; i < d.count; i++)
            fprintf(stderr, "%s\n", hq_err_str(&d.items[i], line, sizeof line));
        fprintf(stderr, "%zu error%s in %s\n", d.count, d.count == 1 ? "" : "s", dir);
        rc = EXIT_REFUSED;
    } else {
        printf("rules OK: %zu rules in %s (%zu schemas in %s); %zu test file%s with %zu test%s\n",
               hq_rules_count(rules), dir, hq_schemas_count(schemas), schemas_dir, nfiles, nfiles == 1 ? "" : "s",
               ntests, ntests == 1 ? "" : "s");
        if (coverage) {
            putchar('\n');
            coverage_check(dir, schemas, rules, &d, true);
        }
    }
    hq_diags_fini(&d);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return rc;
}

int cmd_rules(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(rules_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "check"))
        return rules_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "test"))
        return rules_test(argc - 1, argv + 1);
    return ctl_fail("rules: unknown subcommand \"%s\" (check, test)", argv[1]);
}
