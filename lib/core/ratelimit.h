/* ratelimit.h - a token bucket per source (SPEC §7 limits).
 *
 * Each source may send `rate` events per second on average and `burst` at
 * once.  A refused event is rejected with a reason at once: nothing queues
 * without bound.  Sources are kept in a hash table that grows; memory is
 * about 100 bytes per source ever seen.
 */
#ifndef HQ_RATELIMIT_H
#define HQ_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hq_ratelimit hq_ratelimit;

/* rate 0 means no limit (hq_ratelimit_take always succeeds). */
hq_ratelimit *hq_ratelimit_new(double rate_per_s, double burst);
void hq_ratelimit_destroy(hq_ratelimit **r);
/* Takes one token for source at now_ms; false when the bucket is empty. */
bool hq_ratelimit_take(hq_ratelimit *r, const char *source, size_t len, int64_t now_ms);

#endif
