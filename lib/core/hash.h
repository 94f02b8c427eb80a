/* hash.h - one small non-cryptographic hash (FNV-1a, 64 bit) for the
 * in-memory tables of ids (ack matching, rate-limit buckets, delivery
 * lanes).  Not for anything stored or compared across processes. */
#ifndef HQ_HASH_H
#define HQ_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HQ_HASH_SEED 1469598103934665603ULL

/* h with the n bytes at p mixed in. */
static inline uint64_t hq_hash_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* h with the text s (up to its NUL) mixed in. */
static inline uint64_t hq_hash_mix_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static inline uint64_t hq_hash_str(const char *s)
{
    return hq_hash_mix_str(HQ_HASH_SEED, s);
}

#endif
