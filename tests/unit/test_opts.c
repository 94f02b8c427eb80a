/* test_opts.c - command-line options from a table (lib/core/opts.c), as
 * the daemons and houqinctl use them: values land where the table says,
 * refused values say which option and why, --help and --version stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "opts.h"

typedef struct conf {
    const char *state;
    bool check, verbose;
    unsigned batch;
    size_t bytes;
    uint64_t map;
    int64_t timeout;
    int fmt;
    char mode[16];
    const char *day;
} conf;

static int parse_mode(const char *arg, void *dst, hq_err *why)
{
    conf *c = dst;
    if (strcmp(arg, "real") != 0 && strcmp(arg, "manual") != 0)
        return -1;
    snprintf(c->mode, sizeof c->mode, "%s", arg);
    return 0;
}

/* A parser that says why it refuses. */
static int parse_day(const char *arg, void *dst, hq_err *why)
{
    if (strcmp(arg, "2026-02-30") == 0)
        return hq_err_set(why, HQ_EINVAL, "no such date: \"%s\"", arg);
    *(const char **)dst = arg;
    return 0;
}

/* Parses the words of line (at most 18) against the table of c. */
static hq_opts_result run(conf *c, const char *line, int *next, char **argv, hq_err *err)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    int argc = 0;
    argv[argc++] = "prog";
    for (char *t = strtok(buf, " "); t && argc < 19; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    *c = (conf){.state = "var", .batch = 1000, .timeout = 600};
    const hq_opt opts[] = {
        HQ_OPTION_STR("state", &c->state),
        HQ_OPTION_FLAG("check", 0, &c->check),
        {.name = "max-batch", .kind = HQ_OPT_UINT, .dst = &c->batch, .min = 1, .max = 100000,
         .expect = "expected 1..100000"},
        {.name = "max-bytes", .kind = HQ_OPT_SIZE, .dst = &c->bytes, .min = 256, .max = 1 << 20,
         .expect = "expected 256..1048576"},
        {.name = "map-size", .kind = HQ_OPT_U64, .dst = &c->map, .min = 1 << 20, .max = INT64_MAX,
         .expect = "expected a byte count of at least 1048576"},
        {.name = "timeout", .kind = HQ_OPT_I64, .dst = &c->timeout, .min = 1, .max = 86400, .got = true,
         .expect = "expected seconds from 1 to 86400"},
        {.name = "clock", .kind = HQ_OPT_FN, .dst = c, .parse = parse_mode, .got = true,
         .expect = "expected real or manual"},
        {.name = "day", .kind = HQ_OPT_FN, .dst = &c->day, .parse = parse_day, .expect = "unused"},
        {.name = "json", .kind = HQ_OPT_CHOICE, .dst = &c->fmt, .min = 1},
        {.name = "prometheus", .kind = HQ_OPT_CHOICE, .dst = &c->fmt, .min = 2},
        HQ_OPTION_FLAG("verbose", 'v', &c->verbose),
        HQ_OPTION_HELP,
        HQ_OPTION_VERSION,
        HQ_OPTION_END,
    };
    memset(err, 0, sizeof *err);
    return hq_opts_parse(opts, argc, argv, next, err);
}

static void test_values_land_where_the_table_says(void **state)
{
    (void)state;
    conf c;
    char *argv[20];
    hq_err err;
    int next = -1;
    assert_int_equal(run(&c, "--state /tmp/s --check -v --max-batch 5 --max-bytes 4096 --map-size 2097152 "
                              "--timeout 30 --clock manual --day 2026-09-08",
                         &next, argv, &err),
                     HQ_OPTS_OK);
    assert_string_equal(c.state, "/tmp/s");
    assert_true(c.check);
    assert_true(c.verbose);
    assert_int_equal(c.batch, 5);
    assert_int_equal(c.bytes, 4096);
    assert_int_equal(c.map, 2097152);
    assert_int_equal(c.timeout, 30);
    assert_string_equal(c.mode, "manual");
    assert_string_equal(c.day, "2026-09-08");
    assert_int_equal(next, 17); /* argc: no operands */
    /* nothing given: the defaults stay */
    assert_int_equal(run(&c, "", &next, argv, &err), HQ_OPTS_OK);
    assert_string_equal(c.state, "var");
    assert_false(c.check);
    assert_int_equal(c.batch, 1000);
    assert_int_equal(next, 1);
}

static void test_operands_come_after_the_options(void **state)
{
    (void)state;
    conf c;
    char *argv[20];
    hq_err err;
    int next;
    /* GNU order: an operand between options is moved behind them */
    assert_int_equal(run(&c, "set --json 2026-09-08 --timeout 5", &next, argv, &err), HQ_OPTS_OK);
    assert_int_equal(next, 4);
    assert_string_equal(argv[next], "set");
    assert_string_equal(argv[next + 1], "2026-09-08");
    assert_int_equal(c.timeout, 5);
    assert_int_equal(c.fmt, 1);
}

static void test_the_last_choice_wins(void **state)
{
    (void)state;
    conf c;
    char *argv[20];
    hq_err err;
    int next;
    assert_int_equal(run(&c, "--json --prometheus", &next, argv, &err), HQ_OPTS_OK);
    assert_int_equal(c.fmt, 2);
    assert_int_equal(run(&c, "--prometheus --json", &next, argv, &err), HQ_OPTS_OK);
    assert_int_equal(c.fmt, 1);
}

static void test_refused_values_say_which_and_why(void **state)
{
    (void)state;
    conf c;
    char *argv[20];
    hq_err err;
    int next;
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"--max-batch 0", "--max-batch: expected 1..100000"},
        {"--max-batch 100001", "--max-batch: expected 1..100000"},
        {"--max-batch 5x", "--max-batch: expected 1..100000"},
        {"--max-batch -1", "--max-batch: expected 1..100000"},
        {"--max-bytes 255", "--max-bytes: expected 256..1048576"},
        {"--map-size 10", "--map-size: expected a byte count of at least 1048576"},
        {"--map-size -1", "--map-size: expected a byte count of at least 1048576"},
        {"--timeout 0", "--timeout: expected seconds from 1 to 86400, got \"0\""},
        {"--timeout soon", "--timeout: expected seconds from 1 to 86400, got \"soon\""},
        {"--clock fast", "--clock: expected real or manual, got \"fast\""},
        {"--day 2026-02-30", "--day: no such date: \"2026-02-30\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(run(&c, cases[i].line, &next, argv, &err), HQ_OPTS_BAD);
        assert_int_equal(err.code, HQ_EINVAL);
        assert_string_equal(err.msg, cases[i].msg);
    }
    /* the first refused value ends parsing: what came before is set */
    assert_int_equal(run(&c, "--max-batch 7 --timeout 0 --check", &next, argv, &err), HQ_OPTS_BAD);
    assert_int_equal(c.batch, 7);
    assert_false(c.check);
}

static void test_help_and_version_stop(void **state)
{
    (void)state;
    conf c;
    char *argv[20];
    hq_err err;
    int next;
    assert_int_equal(run(&c, "--help", &next, argv, &err), HQ_OPTS_HELP);
    assert_int_equal(run(&c, "-h", &next, argv, &err), HQ_OPTS_HELP);
    assert_int_equal(run(&c, "--version --max-batch 0", &next, argv, &err), HQ_OPTS_VERSION);
    /* in order: a refused value before --help is reported */
    assert_int_equal(run(&c, "--max-batch 0 --help", &next, argv, &err), HQ_OPTS_BAD);
}

static void test_unknown_options_are_usage_errors(void **state)
{
    (void)state;
    conf c;
    char *argv[20];
    hq_err err;
    int next;
    /* getopt_long says what is wrong on stderr */
    assert_int_equal(run(&c, "--bogus", &next, argv, &err), HQ_OPTS_USAGE);
    assert_int_equal(run(&c, "-x", &next, argv, &err), HQ_OPTS_USAGE);
    assert_int_equal(run(&c, "--state", &next, argv, &err), HQ_OPTS_USAGE);
    assert_int_equal(run(&c, "--check=yes", &next, argv, &err), HQ_OPTS_USAGE);
    /* a later parse starts afresh */
    assert_int_equal(run(&c, "--check", &next, argv, &err), HQ_OPTS_OK);
    assert_true(c.check);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_land_where_the_table_says),
        cmocka_unit_test(test_operands_come_after_the_options),
        cmocka_unit_test(test_the_last_choice_wins),
        cmocka_unit_test(test_refused_values_say_which_and_why),
        cmocka_unit_test(test_help_and_version_stop),
        cmocka_unit_test(test_unknown_options_are_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
