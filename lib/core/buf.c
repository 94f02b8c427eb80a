#include "buf.h"

#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hq_buf_init(hq_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void hq_buf_fini(hq_buf *b)
{
    free(b->data);
    hq_buf_init(b);
}

void hq_buf_reset(hq_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void hq_buf_reserve(hq_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap *= 2;
    char *n = hq_realloc(b->data, ncap);
    b->data = n;
    b->cap = ncap;
}

void hq_buf_append(hq_buf *b, const void *p, size_t n)
{
    hq_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void hq_buf_puts(hq_buf *b, const char *s)
{
    hq_buf_append(b, s, strlen(s));
}

void hq_buf_putc(hq_buf *b, char c)
{
    hq_buf_append(b, &c, 1);
}

void hq_buf_printf(hq_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    hq_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *hq_buf_steal(hq_buf *b)
{
    char *d = b->data;
    if (!d) {
        d = hq_malloc(1);
        d[0] = '\0';
    }
    hq_buf_init(b);
    return d;
}

void hq_be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t hq_be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

void hq_be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

uint32_t hq_be32_get(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
