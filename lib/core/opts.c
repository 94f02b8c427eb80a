/* opts.c - command-line options from a table (opts.h). */
#include "opts.h"

#include "ytree.h"

#include <assert.h>
#include <getopt.h>
#include <stddef.h>

enum { MAX_OPTS = 64, FIRST_VAL = 256 };

static bool takes_arg(hq_opt_kind k)
{
    return k != HQ_OPT_FLAG && k != HQ_OPT_CHOICE && k != HQ_OPT_HELP && k != HQ_OPT_VERSION;
}

/* Stores arg into o's destination; false when it does not pass (why->msg
 * set by an HQ_OPT_FN parser that says why). */
static bool store(const hq_opt *o, const char *arg, hq_err *why)
{
    int64_t v = 0;
    bool number = o->kind == HQ_OPT_UINT || o->kind == HQ_OPT_SIZE || o->kind == HQ_OPT_U64 || o->kind == HQ_OPT_I64;
    if (number && (!hq_parse_int64(arg, &v) || v < o->min || v > o->max))
        return false;
    switch (o->kind) {
    case HQ_OPT_STR: *(const char **)o->dst = arg; break;
    case HQ_OPT_FLAG: *(bool *)o->dst = true; break;
    case HQ_OPT_CHOICE: *(int *)o->dst = (int)o->min; break;
    case HQ_OPT_UINT: *(unsigned *)o->dst = (unsigned)v; break;
    case HQ_OPT_SIZE: *(size_t *)o->dst = (size_t)v; break;
    case HQ_OPT_U64: *(uint64_t *)o->dst = (uint64_t)v; break;
    case HQ_OPT_I64: *(int64_t *)o->dst = v; break;
    case HQ_OPT_FN: return o->parse(arg, o->dst, why) == 0;
    case HQ_OPT_HELP:
    case HQ_OPT_VERSION: break;
    }
    return true;
}

hq_opts_result hq_opts_parse(const hq_opt *opts, int argc, char **argv, int *next, hq_err *err)
{
    struct option longopts[MAX_OPTS + 1] = {{0}};
    char letters[2 * MAX_OPTS + 1] = "";
    size_t n = 0, nl = 0;
    for (; opts[n].name; n++) {
        assert(n < MAX_OPTS);
        longopts[n] = (struct option){opts[n].name, takes_arg(opts[n].kind) ? required_argument : no_argument, NULL,
                                      FIRST_VAL + (int)n};
        if (opts[n].letter) {
            letters[nl++] = opts[n].letter;
            if (takes_arg(opts[n].kind))
                letters[nl++] = ':';
        }
    }
    letters[nl] = '\0';
    optind = 0; /* glibc: 0 starts a new scan afresh, also after an earlier one stopped midway */
    int c;
    while ((c = getopt_long(argc, argv, letters, longopts, NULL)) != -1) {
        const hq_opt *o = NULL;
        if (c >= FIRST_VAL && c < FIRST_VAL + (int)n)
            o = &opts[c - FIRST_VAL];
        for (size_t i = 0; !o && c > 0 && c < FIRST_VAL && i < n; i++)
            if (opts[i].letter == c)
                o = &opts[i];
        if (!o)
            return HQ_OPTS_USAGE;
        if (o->kind == HQ_OPT_HELP)
            return HQ_OPTS_HELP;
        if (o->kind == HQ_OPT_VERSION)
            return HQ_OPTS_VERSION;
        hq_err why = {0};
        if (!store(o, optarg, &why)) {
            if (why.msg[0])
                hq_err_set(err, HQ_EINVAL, "--%s: %s", o->name, why.msg);
            else if (o->got)
                hq_err_set(err, HQ_EINVAL, "--%s: %s, got \"%s\"", o->name, o->expect, optarg);
            else
                hq_err_set(err, HQ_EINVAL, "--%s: %s", o->name, o->expect);
            return HQ_OPTS_BAD;
        }
    }
    *next = optind;
    return HQ_OPTS_OK;
}
