#include "ratelimit.h"
#include "hash.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

typedef struct bucket {
    char *source;
    size_t len;
    double tokens;
    int64_t last_ms;
} bucket;

struct hq_ratelimit {
    double rate, burst;
    bucket *b;
    size_t cap, n;
};

hq_ratelimit *hq_ratelimit_new(double rate, double burst)
{
    hq_ratelimit *r = hq_calloc(1, sizeof *r);
    r->rate = rate;
    r->burst = burst < 1 ? 1 : burst;
    r->cap = 64;
    r->b = hq_calloc(r->cap, sizeof *r->b);
    return r;
}

void hq_ratelimit_destroy(hq_ratelimit **rp)
{
    hq_ratelimit *r = rp ? *rp : NULL;
    if (!r)
        return;
    for (size_t i = 0; i < r->cap; i++)
        free(r->b[i].source);
    free(r->b);
    free(r);
    *rp = NULL;
}

static size_t hash(const char *s, size_t len)
{
    return (size_t)hq_hash_mix(HQ_HASH_SEED, s, len);
}

static bucket *find(hq_ratelimit *r, const char *s, size_t len, bool *fresh)
{
    size_t i = hash(s, len) & (r->cap - 1);
    for (;;) {
        bucket *b = &r->b[i];
        if (!b->source) {
            *fresh = true;
            return b;
        }
        if (b->len == len && !memcmp(b->source, s, len)) {
            *fresh = false;
            return b;
        }
        i = (i + 1) & (r->cap - 1);
    }
}

static void grow(hq_ratelimit *r)
{
    bucket *old = r->b;
    size_t ocap = r->cap;
    bucket *nb = hq_calloc(ocap * 2, sizeof *nb);
    r->b = nb;
    r->cap = ocap * 2;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].source) {
            bool fresh;
            *find(r, old[i].source, old[i].len, &fresh) = old[i];
        }
    free(old);
}

bool hq_ratelimit_take(hq_ratelimit *r, const char *source, size_t len, int64_t now_ms)
{
    if (!r || r->rate <= 0)
        return true;
    if ((r->n + 1) * 2 > r->cap)
        grow(r);
    bool fresh;
    bucket *b = find(r, source, len, &fresh);
    if (fresh) {
        b->source = hq_malloc(len ? len : 1);
        memcpy(b->source, source, len);
        b->len = len;
        b->tokens = r->burst;
        b->last_ms = now_ms;
        r->n++;
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * r->rate / 1000.0;
        if (b->tokens > r->burst)
            b->tokens = r->burst;
        b->last_ms = now_ms;
    }
    if (b->tokens < 1)
        return false;
    b->tokens -= 1;
    return true;
}
