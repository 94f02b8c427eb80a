/* opts.h - command-line options from a table, on getopt_long.
 *
 * A program lists its options once, each with where its value goes and
 * how the value is checked; hq_opts_parse runs getopt_long over argv
 * (GNU order: options and operands may mix) and fills the values in.
 * --help and --version are entries too: parsing stops at the first of
 * them and says which it met, so that the program prints its own text.
 *
 * A value that does not pass its check ends parsing with HQ_OPTS_BAD and
 * the message "--NAME: EXPECT" (with `, got "ARG"` where the entry asks
 * for it), or "--NAME: WHY" from an entry's own parser, in err; the
 * program prints it with its own prefix.  An unknown
 * option or a missing argument is reported by getopt_long itself on
 * stderr, as by every GNU program, and ends parsing with HQ_OPTS_USAGE.
 */
#ifndef HQ_OPTS_H
#define HQ_OPTS_H

#include "err.h"

#include <stdbool.h>
#include <stdint.h>

/* The default --rules and --schemas directories: the build compiles the
 * programs' in (cmake/Layout.cmake); these serve a build without it. */
#ifndef HQ_DEFAULT_RULES
#define HQ_DEFAULT_RULES "rules"
#endif
#ifndef HQ_DEFAULT_SCHEMAS
#define HQ_DEFAULT_SCHEMAS "schemas"
#endif

typedef enum hq_opt_kind {
    HQ_OPT_STR,     /* const char **: the argument itself */
    HQ_OPT_FLAG,    /* bool *: set to true; takes no argument */
    HQ_OPT_CHOICE,  /* int *: set to min; takes no argument (--json, --prometheus) */
    HQ_OPT_UINT,    /* unsigned *: a decimal number in [min, max] */
    HQ_OPT_SIZE,    /* size_t *: likewise */
    HQ_OPT_U64,     /* uint64_t *: likewise */
    HQ_OPT_I64,     /* int64_t *: likewise (a sign is allowed) */
    HQ_OPT_FN,      /* parse(arg, dst, why) == 0, or the value is refused */
    HQ_OPT_HELP,    /* stop with HQ_OPTS_HELP; takes no argument */
    HQ_OPT_VERSION, /* stop with HQ_OPTS_VERSION; takes no argument */
} hq_opt_kind;

typedef struct hq_opt {
    const char *name;   /* the long name without "--"; NULL ends the table */
    char letter;        /* the short form (-v), or 0 */
    hq_opt_kind kind;
    void *dst;          /* where the value goes (HQ_OPT_FN: passed to parse) */
    int64_t min, max;   /* the numbers' range */
    /* HQ_OPT_FN: 0 when arg is good; a refusal may say why in why->msg
     * (else expect is used) */
    int (*parse)(const char *arg, void *dst, hq_err *why);
    const char *expect; /* a refused value: "expected 1..100000" */
    bool got;           /* ... followed by `, got "ARG"` */
} hq_opt;

/* The common entries, for tables that read at a glance; others are
 * written with designated initializers.  The conditional makes the
 * compiler check the destination's type (const char **, bool *). */
#define HQ_OPTION_STR(n, d) {.name = (n), .kind = HQ_OPT_STR, .dst = (1 ? (d) : (const char **)0)}
#define HQ_OPTION_FLAG(n, l, d) {.name = (n), .letter = (l), .kind = HQ_OPT_FLAG, .dst = (1 ? (d) : (bool *)0)}
#define HQ_OPTION_HELP {.name = "help", .letter = 'h', .kind = HQ_OPT_HELP}
#define HQ_OPTION_VERSION {.name = "version", .kind = HQ_OPT_VERSION}
#define HQ_OPTION_END {.name = NULL}

typedef enum hq_opts_result {
    HQ_OPTS_OK,      /* all parsed: the operands start at *next */
    HQ_OPTS_HELP,    /* --help (or its letter) was given */
    HQ_OPTS_VERSION, /* --version was given */
    HQ_OPTS_USAGE,   /* unknown option or missing argument: getopt_long said so */
    HQ_OPTS_BAD,     /* a value was refused: err says which and why */
} hq_opts_result;

/* Parses argv[1..argc) against the table (at most 64 entries).  Values
 * are written as their options come; on HQ_OPTS_OK *next is the index of
 * the first operand (argc when none). */
hq_opts_result hq_opts_parse(const hq_opt *opts, int argc, char **argv, int *next, hq_err *err);

#endif
