/* cmdline.c - the daemons' command line (cmdline.h). */
#include "cmdline.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hq_cmdline_table(const char *prog, const char *usage, const hq_opt *opts, size_t n, int argc, char **argv)
{
    hq_opt all[HQ_CMDLINE_MAX_OPTS + 3];
    assert(n <= HQ_CMDLINE_MAX_OPTS);
    memcpy(all, opts, n * sizeof *opts);
    all[n] = (hq_opt)HQ_OPTION_HELP;
    all[n + 1] = (hq_opt)HQ_OPTION_VERSION;
    all[n + 2] = (hq_opt)HQ_OPTION_END;
    int next;
    hq_err err;
    switch (hq_opts_parse(all, argc, argv, &next, &err)) {
    case HQ_OPTS_OK: break;
    case HQ_OPTS_HELP: fputs(usage, stdout); exit(0);
    case HQ_OPTS_VERSION:
        printf("%s %s\ndefault rules: %s\ndefault schemas: %s\n", prog, HQ_BUILD_VERSION, HQ_DEFAULT_RULES,
               HQ_DEFAULT_SCHEMAS);
        exit(0);
    case HQ_OPTS_USAGE: fprintf(stderr, "Try '%s --help'.\n", prog); return -1;
    case HQ_OPTS_BAD: fprintf(stderr, "%s: %s\n", prog, err.msg); return -1;
    }
    if (next < argc) {
        fprintf(stderr, "%s: unexpected argument \"%s\"\nTry '%s --help'.\n", prog, argv[next], prog);
        return -1;
    }
    return 0;
}
