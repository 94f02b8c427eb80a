/* alert_policy.h - the time arithmetic of alert policies: working hours
 * (quiet hours), digest intervals, retry backoff, per-recipient rate
 * limits.  Pure functions of their arguments and of the process's time
 * zone (hq_tz_set); no I/O, no clock reads: "now" is always passed in, so
 * that houqin-alertd can run them on houqind's simulated clock.
 */
#ifndef HQ_ALERT_POLICY_H
#define HQ_ALERT_POLICY_H

#include "alert_config.h"

#include <stdbool.h>
#include <stdint.h>

/* Whether now_ms (ms since the epoch) lies in the working hours h. */
bool hq_hours_open(const hq_hours *h, int64_t now_ms);
/* now_ms if it lies in working hours, else the start of the next working
 * period (at most a week ahead). */
int64_t hq_hours_next_open(const hq_hours *h, int64_t now_ms);

/* The end of the digest interval that now_ms falls in.  Intervals of
 * every_ms are counted from local midnight of now_ms's day, so with 4h a
 * digest closes at 04:00, 08:00, ... local time.  Always > now_ms. */
int64_t hq_digest_due(int64_t now_ms, int64_t every_ms);

/* The wait after the tries-th failed try (tries >= 1): first, doubling
 * each try, capped at max_ms, plus a jitter of jitter_permille/1000 of it
 * (pass a random 0..100 to spread retries of many deliveries). */
int64_t hq_retry_backoff_ms(int64_t first_ms, int64_t max_ms, unsigned tries, unsigned jitter_permille);

/* A sliding-window limit: at most max sends in any window of per_ms.  The
 * window holds the last max send times (a ring).  Value type: init, use,
 * fini. */
typedef struct hq_rate {
    int64_t *sent;   /* ring of the last cap send times */
    unsigned cap;    /* the max it was sized for */
    unsigned head;   /* index of the oldest entry */
    unsigned n;      /* entries in use */
} hq_rate;

void hq_rate_init(hq_rate *r);
void hq_rate_fini(hq_rate *r);
/* now_ms if a send is allowed now, else the time the next one is.  A
 * max of 0 or per_ms of 0 means no limit. */
int64_t hq_rate_next_ms(const hq_rate *r, unsigned max, int64_t per_ms, int64_t now_ms);
/* Records a send at now_ms (the ring is resized when max changed). */
void hq_rate_note(hq_rate *r, unsigned max, int64_t now_ms);

#endif
