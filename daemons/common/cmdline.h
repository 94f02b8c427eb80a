/* cmdline.h - the daemons' command line (houqind, houqin-alertd, houqin-web): options
 * from a table (lib/core/opts.h), and --help, --version and mistakes
 * answered the way every Houqin daemon answers them.  It prints, so it
 * lives here and not in lib/ (library code never prints). */
#ifndef HQ_CMDLINE_H
#define HQ_CMDLINE_H

#include "opts.h"

#include <stddef.h>

/* houqind's sockets by default, where the other daemons find them
 * (houqinctl's ctl.h names the same two it uses). */
#define HQ_DEFAULT_INGEST "tcp://127.0.0.1:7601"
#define HQ_DEFAULT_PUBLISH "tcp://127.0.0.1:7602"
#define HQ_DEFAULT_CONTROL "tcp://127.0.0.1:7603"

/* The directories every daemon reads: its state, the rules and the
 * schemas (--state, --rules, --schemas). */
#define HQ_CMDLINE_DIRS(state, rules, schemas)                                                                \
    HQ_OPTION_STR("state", state), HQ_OPTION_STR("rules", rules), HQ_OPTION_STR("schemas", schemas)

/* The end of houqind's and houqin-alertd's usage: their exit statuses
 * (a daemon may add a sentence: the text ends without a full stop) and
 * how they log. */
#define HQ_CMDLINE_EXIT_HELP                                                                                  \
    "EXIT STATUS\n"                                                                                           \
    "    0 clean stop or --check passed; 1 configuration error; 2 storage failure"
#define HQ_CMDLINE_LOGGING_HELP                                                                               \
    "LOGGING\n"                                                                                               \
    "    stderr, one line per message, with syslog priority prefixes <3>..<7>.\n"

/* Parses argv for the daemon prog against its own options, n of them (at
 * most HQ_CMDLINE_MAX_OPTS): --help, --version and the table's end are
 * added here; hq_cmdline_parse takes the options as an array.  The daemon
 * takes no operands.  --help prints usage, --version the version and the
 * compiled-in rules and schemas directories, both on stdout, and the
 * process exits 0.  Returns 0, or -1 after an unknown option, a refused
 * value or an operand, said on stderr ("PROG: why", and "Try 'PROG
 * --help'." where that helps). */
enum { HQ_CMDLINE_MAX_OPTS = 60 };
int hq_cmdline_table(const char *prog, const char *usage, const hq_opt *opts, size_t n, int argc, char **argv);
#define hq_cmdline_parse(prog, usage, opts, argc, argv)                                                      \
    hq_cmdline_table((prog), (usage), (opts), sizeof(opts) / sizeof((opts)[0]), (argc), (argv))

#endif
