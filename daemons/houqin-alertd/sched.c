/* sched.c - lanes: what to deliver next, and recording what happened.
 *
 * A lane is one (recipient, channel).  Looking at a lane walks its queued
 * deliveries in seq order:
 *   - one waiting for a digest whose time has come is gathered (sealed
 *     into one digest delivery, in a write transaction);
 *   - one held by quiet hours (ready_ms in the future) is passed over: it
 *     does not hold back anything behind it;
 *   - every other one is pending and holds back the later ones of its own
 *     issue whose severity is not higher (order per recipient is kept
 *     among the alerts of one issue, not across issues);
 *   - a pending one that is not held back, not in flight, not in backoff
 *     after a failure and (if not urgent) within the lane's rate limit
 *     starts, as long as the in-flight caps allow: --max-in-flight for
 *     all; per lane one non-urgent and two urgent ones; for non-urgent
 *     ones also the channel's `parallel`.  Urgent ones are never kept
 *     waiting by the slots that stuck non-urgent ones hold.
 * So a failing delivery delays only the later alerts of its own issue, and
 * an urgent alert goes out at once on every channel of the person that
 * works, whatever is stuck in front of it.
 * A lane is looked at when something changed (new deliveries, a result)
 * or when its wake-up time comes, on the policy clock (holds, rate limits
 * and retry backoff alike: with --clock follow that is houqind's clock, so
 * a backtest or a test on the manual clock sees retries when its clock
 * says so; the wall clock only for re-reading a lane after a read error).
 *
 * Results are committed in one transaction per loop iteration: done ones
 * are removed, failed ones get their next try (exponential backoff) or go
 * to the dead letters after policies.retry.tries tries, or at once when
 * the failure is permanent (an HTTP 4xx, a 5xx SMTP reply, a channel or
 * recipient no longer configured).
 */
#include "alertd.h"

#include "clock.h"
#include "hash.h"
#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lanes ---- */

static uint64_t lane_hash(const char *r, const char *c)
{
    static const unsigned char sep = 0xff; /* between the two ids */
    return hq_hash_mix_str(hq_hash_mix(hq_hash_str(r), &sep, 1), c);
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
    free(a->lanes[i]->flying);
    free(a->lanes[i]);
    a->lanes[i] = a->lanes[--a->nlanes];
}

void sched_free_lanes(alertd *a)
{
    while (a->nlanes)
        lane_remove(a, a->nlanes - 1);
    free(a->lanes);
    a->lanes = NULL;
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

typedef struct held_issue {
    const char *issue;         /* into the scan's copy of the delivery */
    uint8_t sev;               /* the highest severity pending for it so far */
} held_issue;

enum { SCAN_GO_MAX = 32, SCAN_HELD_MAX = 512 };

typedef struct scan {
    const lane *l;
    int64_t pnow, wall;
    bool limited;              /* the lane's rate limit is used up: only urgent ones go */
    size_t entries;
    hq_delivery *seal;         /* digest members whose time has come */
    size_t nseal;
    hq_delivery *go;           /* may start now, in seq order (at most one per issue and severity) */
    size_t ngo;
    bool full;                 /* stopped at SCAN_GO_MAX: look again */
    bool rate_wait;            /* a non-urgent one waits for the rate limit */
    char (*issues)[64];        /* storage of held[].issue */
    held_issue *held;          /* issues with a pending delivery so far */
    size_t nheld;
    bool held_all;             /* too many issues to track: hold everything behind */
    int64_t wake;              /* earliest held ready_ms or end of a backoff (policy clock) */
} scan;

static bool lane_flying(const lane *l, uint64_t seq)
{
    for (size_t i = 0; i < l->nfly; i++)
        if (l->flying[i] == seq)
            return true;
    return false;
}

static void fly_add(lane *l, uint64_t seq)
{
    if (l->nfly == l->capfly) {
        l->capfly = l->capfly ? l->capfly * 2 : 4;
        l->flying = hq_realloc(l->flying, l->capfly * sizeof *l->flying);
    }
    l->flying[l->nfly++] = seq;
}

static void fly_del(lane *l, uint64_t seq)
{
    for (size_t i = 0; i < l->nfly; i++)
        if (l->flying[i] == seq) {
            l->flying[i] = l->flying[--l->nfly];
            return;
        }
}

/* Whether an earlier pending delivery of d's issue, at least as severe,
 * holds d back; then notes d as pending. */
static bool held_back(scan *s, const hq_delivery *d)
{
    if (s->held_all)
        return true;
    for (size_t i = 0; i < s->nheld; i++)
        if (!strcmp(s->held[i].issue, d->issue)) {
            bool back = s->held[i].sev >= d->sev;
            if (d->sev > s->held[i].sev)
                s->held[i].sev = d->sev;
            return back;
        }
    if (s->nheld == SCAN_HELD_MAX) {
        s->held_all = true; /* conservative: keeps every order */
        return false;
    }
    if (!s->held) {
        s->held = hq_malloc(SCAN_HELD_MAX * sizeof *s->held);
        s->issues = hq_malloc(SCAN_HELD_MAX * sizeof *s->issues);
    }
    memcpy(s->issues[s->nheld], d->issue, sizeof d->issue);
    s->held[s->nheld] = (held_issue){s->issues[s->nheld], d->sev};
    s->nheld++;
    return false;
}

/* Walks a lane in seq order (see the top of this file). */
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
            if (!s->seal)
                s->seal = hq_malloc(HQ_DIGEST_MAX * sizeof *s->seal);
            s->seal[s->nseal++] = *d;
        }
        return 0;
    }
    if (held_back(s, d) || lane_flying(s->l, d->seq))
        return 0;
    if (d->next_ms > s->pnow) { /* backing off after a failure */
        if (d->next_ms < s->wake)
            s->wake = d->next_ms;
        return 0;
    }
    if (s->limited && !d->urgent) {
        s->rate_wait = true;
        return 0;
    }
    if (!s->go)
        s->go = hq_malloc(SCAN_GO_MAX * sizeof *s->go);
    s->go[s->ngo++] = *d;
    if (s->ngo == SCAN_GO_MAX) {
        s->full = true;
        return 1;
    }
    return 0;
}

/* Per lane: non-urgent deliveries in flight at once, and urgent ones.  A
 * lane is one endpoint (a person's address, a group robot): more would only
 * queue up at the far end, and a burst of connections to one endpoint is
 * what webhook servers answer slowly.  Two urgent slots of its own keep an
 * urgent alert from waiting for a stuck non-urgent one. */
enum { LANE_NONURGENT_MAX = 1, LANE_URGENT_MAX = 2 };

/* Non-urgent deliveries in flight on the channel; *lane_n and *lane_u
 * receive the lane's non-urgent and urgent ones. */
static unsigned channel_inflight(const alertd *a, const char *channel, const lane *l, unsigned *lane_n,
                                 unsigned *lane_u)
{
    unsigned n = 0;
    *lane_n = *lane_u = 0;
    for (const xfer *x = a->inflight; x; x = x->next) {
        if (strcmp(x->channel_name, channel))
            continue;
        bool mine = !strcmp(x->d.recipient, l->recipient);
        if (x->d.urgent) {
            *lane_u += mine;
            continue;
        }
        n++;
        *lane_n += mine;
    }
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

const hq_person *alertd_person(const hq_rules *r, const char *id)
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
    char id[HQ_RECIPIENT_MAX + 16];
    snprintf(id, sizeof id, "%s", d->recipient);
    id[strcspn(id, "~")] = '\0'; /* "<deputy>~<person>": an escalation to the deputy */
    const hq_person *p = alertd_person(a->rules, id);
    const hq_alert_person *ap = hq_alert_config_person(a->cfg, id);
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
    fly_add(l, d->seq);
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
        if (d->note[0]) {
            /* An escalation: who could not be reached comes first. */
            hq_buf b;
            hq_buf_init(&b);
            hq_buf_printf(&b, "%s%s", w.lang == HQ_LANG_EN ? "[Passed on] " : "【转告】", m.subject);
            free(m.subject);
            m.subject = hq_buf_steal(&b);
            hq_buf_printf(&b, "%s\n\n%s", d->note, m.body);
            free(m.body);
            m.body = hq_buf_steal(&b);
        }
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
    if (s->rate_wait) {
        int64_t next = hq_rate_next_ms(&l->rate, p->rate_max, p->rate_per_ms, pnow);
        if (next < l->wake_policy)
            l->wake_policy = next;
    }
    if (s->nseal)
        return; /* gathered first; the lane is looked at again after */
    const hq_channel *ch = hq_alert_config_channel(a->cfg, l->channel);
    bool rate_stop = false;
    for (size_t i = 0; i < s->ngo; i++) {
        const hq_delivery *d = &s->go[i];
        if (a->ninflight >= a->opts.max_in_flight) {
            l->capped = true;
            return;
        }
        unsigned lane_n = 0, lane_u = 0, on_ch = ch ? channel_inflight(a, ch->name, l, &lane_n, &lane_u) : 0;
        if (d->urgent && lane_u >= LANE_URGENT_MAX)
            continue; /* the lane's own results wake it */
        if (!d->urgent) {
            if (rate_stop || hq_rate_next_ms(&l->rate, p->rate_max, p->rate_per_ms, pnow) > pnow) {
                if (!rate_stop) {
                    int64_t next = hq_rate_next_ms(&l->rate, p->rate_max, p->rate_per_ms, pnow);
                    if (next < l->wake_policy)
                        l->wake_policy = next;
                }
                rate_stop = true;
                continue;
            }
            if (lane_n >= LANE_NONURGENT_MAX)
                continue; /* the lane's own results wake it; urgent ones behind it may still go */
            if (ch && on_ch >= ch->parallel) {
                l->capped = true; /* woken when a slot comes free */
                continue;
            }
        }
        start(a, l, d, txn);
    }
    if (s->full)
        l->dirty = true;
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
    rc = hq_alert_queue_end(a->q, txn, rc, &err);
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
    bool slot = a->ninflight < a->opts.max_in_flight;
    return l->dirty || (l->capped && slot) || l->wake_policy <= pnow || l->wake_wall <= wall;
}

long sched_run(alertd *a)
{
    failover_run(a);
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
        scan s = {.l = l, .pnow = pnow, .wall = wall, .wake = INT64_MAX,
                  .limited = hq_rate_next_ms(&l->rate, p->rate_max, p->rate_per_ms, pnow) > pnow};
        look_at(a, l, txn, pnow, wall, &s);
        if (s.nseal) {
            jobs = hq_realloc(jobs, (njobs + 1) * sizeof *jobs);
            jobs[njobs++] = (seal_job){l, s.seal, s.nseal};
            s.seal = NULL;
        }
        free(s.seal);
        free(s.go);
        free(s.held);
        free(s.issues);
        if (!s.entries && !l->nfly && (!strncmp(l->recipient, "complainant:", 12) || strchr(l->recipient, '~')))
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
    if (x->ok) {
        int rc = hq_alert_queue_complete(a->q, txn, &x->d, err);
        return rc ? rc : failover_on_result_txn(a, txn, &x->d, true, NULL, err);
    }
    hq_delivery d = x->d;
    d.tries++;
    snprintf(d.error, sizeof d.error, "%s", x->error);
    if (x->permanent || d.tries >= p->retry_tries) {
        int rc = hq_alert_queue_bury(a->q, txn, &d, x->key, x->error, wall, err);
        return rc ? rc : failover_on_result_txn(a, txn, &x->d, false, x->error, err);
    }
    /* On the policy clock: houqind's under --clock follow (docs/alertd.md). */
    d.next_ms = alertd_policy_now(a) +
                hq_retry_backoff_ms(p->retry_first_ms, p->retry_max_ms, d.tries, (unsigned)(rand() % 101));
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
        int64_t pnow = alertd_policy_now(a);
        hq_log_notice("delivery %s failed (try %u of %u): %s; next try in %.1f s%s", x->key, tries, p->retry_tries,
                      x->error, next > pnow ? (double)(next - pnow) / 1000.0 : 0.0,
                      a->opts.follow_clock ? " of houqind's clock" : "");
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
    fly_del(l, x->d.seq);
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
            fly_del(l, x->d.seq);
        l->dirty = true;
        xfer_free(x);
    }
    a->ndone = 0;
    /* A slot came free: lanes waiting for one may go. */
    for (size_t i = 0; i < a->nlanes; i++)
        if (a->lanes[i]->capped)
            a->lanes[i]->dirty = true;
}
