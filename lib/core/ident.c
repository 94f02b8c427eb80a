/* ident.c - identifiers written by people (ident.h). */
#include "ident.h"

#include <string.h>

bool hq_ident_ok(const char *s, size_t max, const char *punct, bool upper)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || (upper && *s >= 'A' && *s <= 'Z') ||
              strchr(punct, *s)))
            return false;
    return true;
}
