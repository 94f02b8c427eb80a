/* mem.c - allocation that aborts on failure (mem.h). */
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void out_of_memory(size_t n)
{
    /* The one place library code writes to stderr: there is no caller to
     * return to (mem.h). */
    fprintf(stderr, "houqin: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *hq_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *hq_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *hq_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

void *hq_reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        out_of_memory(SIZE_MAX);
    return hq_realloc(p, n * size);
}

char *hq_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = hq_malloc(n);
    memcpy(d, s, n);
    return d;
}

char *hq_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = hq_malloc(len + 1);
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}

void hq_free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
