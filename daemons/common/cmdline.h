/* cmdline.h - the daemons' command line (houqind, houqin-alertd, houqin-web): options
 * from a table (lib/core/opts.h), and --help, --version and mistakes
 * answered the way every Houqin daemon answers them.  It prints, so it
 * lives here and not in lib/ (library code never prints). */
#ifndef HQ_CMDLINE_H
#define HQ_CMDLINE_H

#include "opts.h"

/* Parses argv for the daemon prog against opts; the daemon takes no
 * operands.  --help prints usage, --version the version and the
 * compiled-in rules and schemas directories, both on stdout, and the
 * process exits 0.  Returns 0, or -1 after an unknown option, a refused
 * value or an operand, said on stderr ("PROG: why", and "Try 'PROG
 * --help'." where that helps). */
int hq_cmdline_parse(const char *prog, const char *usage, const hq_opt *opts, int argc, char **argv);

#endif
