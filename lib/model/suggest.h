/* suggest.h - "did you mean": the known name closest to a misspelt one.
 *
 * Used by the loaders when a literal names nothing in a registry (a site,
 * a contractor, a sensor, a chain): the message then offers the nearest
 * known name, so that `drom-8` points at `dorm-8` and `anju-propety` at
 * `anju-property`.
 */
#ifndef HQ_SUGGEST_H
#define HQ_SUGGEST_H

#include <stddef.h>

/* The name among names[0..n) closest to got by edit distance (insert,
 * delete, substitute, swap of two neighbours; bytes), if it is close
 * enough to be a typo: at most 1 edit for names of up to 4 bytes, 2 up to
 * 10, 3 beyond.  NULL when none is.  Ties: the first in names.  Borrowed
 * from names. */
const char *hq_suggest(const char *got, const char *const *names, size_t n);

#endif
