/* buf.h - a growable byte buffer.
 *
 * hq_buf is a value type: init it, append to it, fini it.  data is always
 * NUL-terminated (the terminator is not counted in len), so a buffer of text
 * can be used as a C string.  Appends abort() on allocation failure: the
 * buffers hold replies and rendered text of bounded size, and a daemon out
 * of memory for those cannot do anything useful.
 */
#ifndef HQ_BUF_H
#define HQ_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct hq_buf {
    char *data;
    size_t len;
    size_t cap;
} hq_buf;

void hq_buf_init(hq_buf *b);
void hq_buf_fini(hq_buf *b);
void hq_buf_reset(hq_buf *b);
void hq_buf_reserve(hq_buf *b, size_t extra);
void hq_buf_append(hq_buf *b, const void *p, size_t n);
void hq_buf_puts(hq_buf *b, const char *s);
void hq_buf_putc(hq_buf *b, char c);
void hq_buf_printf(hq_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (who frees it) and resets b. */
char *hq_buf_steal(hq_buf *b);

/* Big-endian integer helpers for LMDB keys. */
void hq_be64_put(unsigned char *p, uint64_t v);
uint64_t hq_be64_get(const unsigned char *p);
void hq_be32_put(unsigned char *p, uint32_t v);
uint32_t hq_be32_get(const unsigned char *p);

#endif
