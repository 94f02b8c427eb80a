/* ident.h - identifiers written by people: rule and checklist ids, item
 * codes, Open311 service codes.  One check for their spelling, so that
 * every loader and handler says the same thing about the same kind of
 * text.
 */
#ifndef HQ_IDENT_H
#define HQ_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s is 1 to max bytes of a-z, 0-9, A-Z (when upper) and the
 * characters of punct ("-_." for most ids). */
bool hq_ident_ok(const char *s, size_t max, const char *punct, bool upper);

#endif
