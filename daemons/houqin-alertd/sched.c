/* sched.c - lanes: what to deliver next, and recording what happened.
 *
 * A lane is one (recipient, channel).  Looking at a lane walks its queued
 * deliveries in seq order:
 *   - one waiting for a digest whose time has come is gathered (sealed
 *     into one digest delivery, in a write transaction);
 *   - one held by quiet hours (ready_ms in the future) is passed over: it
 *     does not hold back urgent alerts behind it;
 *   - the first ready one is the lane's next delivery.  If it is in
 *     backoff after a failure, the whole lane waits (order per recipient
 *     is kept); if the lane's rate limit is used up, a non-urgent one
 *     waits; if the in-flight caps are reached, it waits for a slot.
 * A lane is looked at when something changed (new deliveries, a result)
 * or when its wake-up time comes (policy clock for holds and rate limits,
 * wall clock for backoff).
 *
 * Results are committed in one transaction per loop iteration: done ones
 * are removed, failed ones get their next try (exponential backoff) or go
 * to the dead letters after policies.retry.tries tries, or at once when
 * the failure is permanent (an HTTP 4xx, a 5xx SMTP reply, a channel or
 * recipient no longer configured).
 */
#include "alertd.h"

#include "clock.h"
#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lanes ---- */

static uint64_t lane_hash(const char *r, const char *c)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *r; r++)
        h = (h ^ (unsigned char)*r) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return h;
}

lane *lane_get(alertd *a, const char *recipient, const char *channel, bool create)
{
    uint64_t h = lane_hash(recipient, channel);
    for (size_t i = 0; i < a->nlanes; i++) {
        lane *l = a->lanes[i];
        if (l->hash == h && !strcmp(l->recipient, recipient) && !strcmp(l->channel, channel))
            return l;
    }
    if (!create)
        return NULL;
    if (a->nlanes == a->caplanes) {
        a->caplanes = a->caplanes ? a->caplanes * 2 : 64;
        a->lanes = hq_realloc(a->lanes, a->caplanes * sizeof *a->lanes);
    }
    lane *l = hq_calloc(1, sizeof *l);
    snprintf(l->recipient, sizeof l->recipient, "%s", recipient);
    snprintf(l->channel, sizeof l->channel, "%s", channel);
    l->hash = h;
    l->dirty = true;
    l->wake_policy = l->wake_wall = INT64_MAX;
    hq_rate_init(&l->rate);
    a->lanes[a->nlanes++] = l;
    return l;
}

static void lane_remove(alertd *a, size_t i)
{
    hq_rate_fini(&a->lanes[i]->rate);
    free(a->lanes[i]->uncommitted);
    free(a->lanes[i]);
    a->lanes[i] = a->lanes[--a->nlanes];
}

static void load_lane(void *ctx, const char *recipient, const char *channel)
{
    lane_get(ctx, recipient, channel, true);
}

int sched_load_lanes(alertd *a)
{
    MDB_txn *txn;
    hq_err err = {0};
    int rc = hq_alert_queue_begin(a->q, false, &txn, &err);
    if (rc == 0) {
        rc = hq_alert_queue_each_lane(a->q, txn, load_lane, a, &err);
        hq_alert_queue_abort(a->q, txn);
    }
    if (rc)
        hq_log_err("reading the queue: %s", err.msg);
    return rc;
}

/* ---- looking at a lane ---- */

typedef struct scan {
    const lane *l;
    int64_t pnow;
    bool limited;              /* the lane's rate limit is used up: look for urgent ones too */
    size_t entries;
    hq_delivery *seal;         /* digest members whose time has come */
    size_t nseal;
    hq_delivery cand;          /* the first ready delivery */
    bool have_cand;
    hq_delivery urgent;        /* with limited: the first ready urgent one behind cand */
    bool have_urgent;
    int64_t wake;              /* earliest held ready_ms */
} scan;

/* Walks a lane in seq order (see the top of this file).  Stops at the
 * first ready delivery, or, when the rate limit holds that one back, at
 * the first urgent one behind it: urgent alerts are never rate-limited. */
static int scan_fn(void *ctx, const hq_delivery *d)
{
    scan *s = ctx;
    for (size_t i = 0; i < s->l->nunc; i++)
        if (s->l->uncommitted[i] == d->seq)
            return 0; /* delivered; its result is on its way to the disk */
    s->entries++;
    if (d->ready_ms > s->pnow) {
        if (d->ready_ms < s->wake)
            s->wake = d->ready_ms;
        return 0;
    }
    if (d->digest) {
        if (s->nseal < HQ_DIGEST_MAX) {
            if (!s->seal && !(s->seal = hq_malloc(HQ_DIGEST_MAX * sizeof *s->seal)))
                abort();
            s->seal[s->nseal++] = *d;
        }
        return 0;
    }
    if (!s->have_cand) {
        s->cand = *d;
        s->have_cand = true;
        return !s->limited || d->urgent;
    }
    if (d->urgent) {
        s->urgent = *d;
        s->have_urgent = true;
        return 1;
    }
    return 0;
}

static unsigned channel_inflight(const alertd *a, const char *channel)
{
    unsigned n = 0;
    for (const xfer *x = a->inflight; x; x = x->next)
        n += !strcmp(x->channel_name, channel);
    return n;
}

static void fail_now(alertd *a, const hq_delivery *d, const char *key, const char *why)
{
    xfer *x = hq_calloc(1, sizeof *x);
    x->d = *d;
    x->fd_in = -1;
    snprintf(x->key, sizeof x->key, "%s", key);
    snprintf(x->error, sizeof x->error, "%s", why);
    x->permanent = true;
    sched_on_result(a, x);
}

static const hq_person *find_person(const hq_rules *r, const char *id)
{
    const hq_person *ps;
    size_t n = hq_rules_people(r, &ps);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ps[i].id, id))
            return &ps[i];
    return NULL;
}

typedef struct who {
    const char *name, *to;
    hq_lang lang;
    bool private_to;
    const char *problem;
} who;

static who recipient_of(const alertd *a, const hq_delivery *d, const hq_channel *ch, const hq_alert_rec *first)
{
    who w = {.name = "", .lang = ch->lang};
    if (!strncmp(d->recipient, "complainant:", 12)) {
        w.to = first->contact;
        w.private_to = true;
        if (!w.to)
            w.problem = "the complainant's contact is missing from the alert";
        return w;
    }
    if (!strcmp(d->recipient, "group")) {
        w.name = ch->lang == HQ_LANG_ZH ? "各位" : "All";
        return w;
    }
    const hq_person *p = find_person(a->rules, d->recipient);
    const hq_alert_person *ap = hq_alert_config_person(a->cfg, d->recipient);
    const hq_person_channel *pc = NULL;
    for (size_t i = 0; ap && i < ap->nchannels; i++)
        if (ap->channels[i].channel == ch)
            pc = &ap->channels[i];
    if (!p || !pc) {
        w.problem = "the recipient no longer has this channel in the configuration";
        return w;
    }
    w.name = p->name;
    w.to = pc->to;
    w.lang = pc->lang;
    return w;
}

static void render_payload(const hq_alert_msg *m, hq_buf *out)
{
    switch (m->channel->type) {
    case HQ_CH_WEBHOOK: hq_alert_render_webhook(m, out); break;
    case HQ_CH_EMAIL: hq_alert_render_mime(m, hq_wall_ms(), out); break;
    case HQ_CH_COMMAND: hq_alert_render_json(m, out); break;
    case HQ_CH_FILE:
        hq_alert_render_json(m, out);
        hq_buf_putc(out, '\n');
        break;
    }
}

/* Loads the delivery's alerts from the queue; returns how many. */
static size_t load_recs(alertd *a, MDB_txn *txn, const hq_delivery *d, hq_alert_rec *recs)
{
    size_t n = d->nmembers ? d->nmembers : 1;
    for (size_t i = 0; i < n; i++) {
        const char *b;
        size_t len;
        uint64_t seq = d->nmembers ? d->members[i] : d->seq;
        if (hq_alert_queue_alert_get(a->q, txn, seq, &b, &len, NULL) != 0 ||
            hq_alert_rec_decode(b, len, &recs[i], NULL) != 0) {
            for (size_t j = 0; j < i; j++)
                hq_alert_rec_fini(&recs[j]);
            return 0;
        }
    }
    return n;
}

static void start(alertd *a, lane *l, const hq_delivery *d, MDB_txn *txn)
{
    char key[256];
    if (d->nmembers)
        hq_alert_digest_key(d->members[0], d->members[d->nmembers - 1], d->recipient, d->channel, key, sizeof key);
    else
        hq_alert_key(d->seq, d->recipient, d->channel, key, sizeof key);
    l->busy = true;
    const hq_channel *ch = hq_alert_config_channel(a->cfg, d->channel);
    if (!ch) {
        fail_now(a, d, key, "the channel is no longer in the configuration");
        return;
    }
    hq_alert_rec recs[HQ_DIGEST_MAX];
    size_t n = load_recs(a, txn, d, recs);
    if (!n) {
        fail_now(a, d, key, "the alert is missing from alertd's state");
        return;
    }
    who w = recipient_of(a, d, ch, &recs[0]);
    if (w.problem) {
        fail_now(a, d, key, w.problem);
    } else {
        const hq_alert_rec *rp[HQ_DIGEST_MAX];
        for (size_t i = 0; i < n; i++)
            rp[i] = &recs[i];
        hq_alert_msg m = {.key = key, .recipient = d->recipient, .recipient_name = w.name, .to = w.to,
                          .channel = ch, .audience = d->audience, .lang = w.lang, .recs = rp, .nrecs = n,
                          .digest = d->nmembers > 0};
        hq_alert_render_text(a->cfg, a->rules, &m);
        xfer *x = hq_calloc(1, sizeof *x);
        x->d = *d;
        x->fd_in = -1;
        x->type = ch->type;
        x->format = ch->format;
        x->private_to = w.private_to;
        snprintf(x->key, sizeof x->key, "%s", key);
        snprintf(x->channel_name, sizeof x->channel_name, "%s", ch->name);
        hq_buf_init(&x->payload);
        render_payload(&m, &x->payload);
        hq_alert_msg_fini(&m);
        const hq_alert_policies *p = hq_alert_config_policies(a->cfg);
        if (!d->urgent)
            hq_rate_note(&l->rate, p->rate_max, alertd_policy_now(a));
        send_start(a, x, ch, w.to);
    }
    for (size_t i = 0; i < n; i++)
        hq_alert_rec_fini(&recs[i]);
}

typedef struct seal_job {
    lane *l;
    hq_delivery *members;
    size_t n;
} seal_job;

static void look_at(alertd *a, lane *l, MDB_txn *txn, int64_t pnow, int64_t wall, scan *s)
{
    const hq_alert_policies *p = hq_alert_config_policies(a->cfg);
    l->dirty = l->capped = false;
    l->wake_policy = l->wake_wall = INT64_MAX;
    hq_err err = {0};
    if (hq_alert_queue_lane_each(a->q, txn, l->recipient, l->channel, scan_fn, s, &err) != 0) {
        hq_log_err("reading lane %s/%s: %s", l->recipient, l->channel, err.msg);
        l->wake_wall = wall + 1000;
        return;
    }
    l->wake_policy = s->wake;
    if (s->nseal || !s->have_cand)
        return;
    const hq_delivery *d = &s->cand;
    if (d->next_ms > wall) {
        l->wake_wall = d->next_ms;
        return;
    }
    if (!d->urgent && s->limited) {
        if (!s->have_urgent) {
            int64_t next = hq_rate_next_ms(&l->rate, p->rate_max, p->rate_per_ms, pnow);
            if (next < l->wake_policy)
                l->wake_policy = next;
            return;
        }
        d = &s->urgent; /* an urgent alert goes past the limit */
        if (d->next_ms > wall) {
            l->wake_wall = d->next_ms;
            return;
        }
    }
    const hq_channel *ch = hq_alert_config_channel(a->cfg, d->channel);
    if (a->ninflight >= a->opts.max_in_flight || (ch && channel_inflight(a, ch->name) >= ch->parallel)) {
        l->capped = true;
        return;
    }
    start(a, l, d, txn);
}

static void do_seals(alertd *a, seal_job *jobs, size_t n)
{
    MDB_txn *txn;
    hq_err err = {0};
    int rc = hq_alert_queue_begin(a->q, true, &txn, &err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const hq_delivery *mp[HQ_DIGEST_MAX];
        for (size_t k = 0; k < jobs[i].n; k++)
            mp[k] = &jobs[i].members[k];
        hq_delivery sealed;
        rc = hq_alert_queue_seal_digest(a->q, txn, mp, jobs[i].n, &sealed, &err);
    }
    if (rc == 0)
        rc = hq_alert_queue_commit(a->q, txn, &err);
    else
        hq_alert_queue_abort(a->q, txn);
    if (rc)
        hq_log_err("gathering digests: %s", err.msg); /* tried again on the next look */
    for (size_t i = 0; i < n; i++) {
        jobs[i].l->dirty = true;
        if (rc == 0)
            hq_log_debug("digest of %zu alert(s) for %s on %s", jobs[i].n, jobs[i].l->recipient, jobs[i].l->channel);
    }
}

static bool due(const alertd *a, const lane *l, int64_t pnow, int64_t wall)
{
    if (l->busy)
        return false;
    bool slot = a->ninflight < a->opts.max_in_flight;
    return l->dirty || (l->capped && slot) || l->wake_policy <= pnow || l->wake_wall <= wall;
}

long sched_run(alertd *a)
{
    int64_t pnow = alertd_policy_now(a), wall = hq_wall_ms();
    MDB_txn *txn = NULL;
    seal_job *jobs = NULL;
    size_t njobs = 0;
    hq_err err = {0};
    for (size_t i = a->nlanes; i-- > 0;) {
        lane *l = a->lanes[i];
        if (!due(a, l, pnow, wall))
            continue;
        if (!txn && hq_alert_queue_begin(a->q, false, &txn, &err) != 0) {
            hq_log_err("reading the queue: %s", err.msg);
            return 1000;
        }
        const hq_alert_policies *p = hq_alert_config_policies(a->cfg);
        scan s = {.l = l, .pnow = pnow, .wake = INT64_MAX,
                  .limited = hq_rate_next_ms(&l->rate, p->rate_max, p->rate_per_ms, pnow) > pnow};
        look_at(a, l, txn, pnow, wall, &s);
        if (s.nseal) {
            jobs = hq_realloc(jobs, (njobs + 1) * sizeof *jobs);
            jobs[njobs++] = (seal_job){l, s.seal, s.nseal};
            s.seal = NULL;
        }
        free(s.seal);
        if (!s.entries && !l->busy && !strncmp(l->recipient, "complainant:", 12))
            lane_remove(a, i);
    }
    hq_alert_queue_abort(a->q, txn);
    if (njobs)
        do_seals(a, jobs, njobs);
    for (size_t i = 0; i < njobs; i++)
        free(jobs[i].members);
    free(jobs);
    /* How long until something is due. */
    long timeout = 1000;
    for (size_t i = 0; i < a->nlanes; i++) {
        const lane *l = a->lanes[i];
        if (l->busy)
            continue;
        if (l->dirty || (l->capped && a->ninflight < a->opts.max_in_flight))
            return 0;
        if (l->wake_wall != INT64_MAX && l->wake_wall - wall < timeout)
            timeout = l->wake_wall - wall < 0 ? 0 : (long)(l->wake_wall - wall);
        /* Policy waits on a followed clock end when houqind says so (hugz). */
        if (!a->opts.follow_clock && l->wake_policy != INT64_MAX && l->wake_policy - wall < timeout)
            timeout = l->wake_policy - wall < 0 ? 0 : (long)(l->wake_policy - wall);
    }
    return timeout;
}

/* ---- results ---- */

static int apply_result(alertd *a, MDB_txn *txn, const xfer *x, int64_t wall, hq_err *err)
{
    const hq_alert_policies *p = hq_alert_config_policies(a->cfg);
    if (x->ok)
        return hq_alert_queue_complete(a->q, txn, &x->d, err);
    hq_delivery d = x->d;
    d.tries++;
    snprintf(d.error, sizeof d.error, "%s", x->error);
    if (x->permanent || d.tries >= p->retry_tries)
        return hq_alert_queue_bury(a->q, txn, &d, x->key, x->error, wall, err);
    d.next_ms = wall + hq_retry_backoff_ms(p->retry_first_ms, p->retry_max_ms, d.tries, (unsigned)(rand() % 101));
    return hq_alert_queue_put(a->q, txn, &d, err);
}

static void log_result(alertd *a, const xfer *x, int64_t wall)
{
    const hq_alert_policies *p = hq_alert_config_policies(a->cfg);
    unsigned tries = x->d.tries + 1;
    if (x->ok) {
        a->n_delivered++;
        hq_log_debug("delivered %s", x->key);
    } else if (x->permanent || tries >= p->retry_tries) {
        a->n_dead++;
        hq_log_warn("delivery %s dead-lettered after %u tr%s: %s", x->key, tries, tries == 1 ? "y" : "ies",
                    x->error);
    } else {
        a->n_failed++;
        hq_delivery d;
        MDB_txn *txn;
        int64_t next = 0;
        if (hq_alert_queue_begin(a->q, false, &txn, NULL) == 0) {
            if (hq_alert_queue_get(a->q, txn, x->d.recipient, x->d.channel, x->d.seq, &d, NULL) == 0)
                next = d.next_ms;
            hq_alert_queue_abort(a->q, txn);
        }
        hq_log_notice("delivery %s failed (try %u of %u): %s; next try in %.1f s", x->key, tries, p->retry_tries,
                      x->error, next > wall ? (double)(next - wall) / 1000.0 : 0.0);
    }
}

void sched_on_result(alertd *a, xfer *x)
{
    if (!a->done)
        a->done_since_mono = hq_mono_ms();
    x->next = a->done;
    a->done = x;
    a->ndone++;
    if (!x->ok)
        return; /* the lane waits for the failure to be recorded (tries, next try) */
    lane *l = lane_get(a, x->d.recipient, x->d.channel, true);
    if (l->nunc == l->capunc) {
        l->capunc = l->capunc ? l->capunc * 2 : 8;
        l->uncommitted = hq_realloc(l->uncommitted, l->capunc * sizeof *l->uncommitted);
    }
    l->uncommitted[l->nunc++] = x->d.seq;
    l->busy = false;
    l->dirty = true;
}

bool sched_results_due(const alertd *a, bool force)
{
    return a->done && (force || a->ndone >= 512 || hq_mono_ms() - a->done_since_mono >= 10);
}

int sched_results_txn(alertd *a, MDB_txn *txn, int64_t wall, hq_err *err)
{
    int rc = 0;
    for (const xfer *x = a->done; rc == 0 && x; x = x->next)
        rc = apply_result(a, txn, x, wall, err);
    return rc;
}

static void forget_uncommitted(lane *l, uint64_t seq)
{
    for (size_t i = 0; i < l->nunc; i++)
        if (l->uncommitted[i] == seq) {
            l->uncommitted[i] = l->uncommitted[--l->nunc];
            return;
        }
}

void sched_after_commit(alertd *a, int64_t wall)
{
    while (a->done) {
        xfer *x = a->done;
        a->done = x->next;
        log_result(a, x, wall);
        lane *l = lane_get(a, x->d.recipient, x->d.channel, true);
        if (x->ok)
            forget_uncommitted(l, x->d.seq);
        else
            l->busy = false;
        l->dirty = true;
        xfer_free(x);
    }
    a->ndone = 0;
    /* A slot came free: lanes waiting for one may go. */
    for (size_t i = 0; i < a->nlanes; i++)
        if (a->lanes[i]->capped)
            a->lanes[i]->dirty = true;
}
