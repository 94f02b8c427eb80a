/* failover.c - reaching a person when their channels do not deliver
 * (policies.failover; docs/alertd.md, "Failover and escalation").
 *
 * When an alert is routed to a person, alertd watches them (an hq_watch in
 * the queue, due failover after the alert may go).  The watch ends when one
 * of their own (not shared) channels delivers it.  When it comes due first,
 * or when every delivery of the stage has been given up on, the next stage
 * starts: their channel entries from the next `fallback: true` one get the
 * alert.  After the last stage the alert goes to their deputy and to the
 * administrators (role admin), with a note that says who could not be
 * reached and what was tried, and a dead letter records the same.  A person
 * without channels is escalated for at once, when the alert is routed.
 *
 * Escalation deliveries go to recipient "<deputy>~<person>" (their own
 * lane and idempotency key, apart from the deputy's own copy of the alert);
 * they are urgent and never watched themselves (no chains).
 */
#include "alertd.h"

#include "clock.h"
#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_person(const char *recipient)
{
    return strcmp(recipient, "group") && !strchr(recipient, ':') && !strchr(recipient, '~') &&
           strcmp(recipient, "-");
}

/* The index of the first entry of the stage after `from`: the next
 * `fallback: true` entry after it, or nchannels. */
static uint32_t stage_end(const hq_alert_person *ap, uint32_t from)
{
    uint32_t i = from + 1;
    while (i < ap->nchannels && !ap->channels[i].fallback)
        i++;
    return i < ap->nchannels ? i : (uint32_t)ap->nchannels;
}

static void fmt_span(int64_t ms, bool zh, char *out, size_t size)
{
    if (ms % 60000 == 0)
        snprintf(out, size, zh ? "%lld 分钟" : "%lld min", (long long)(ms / 60000));
    else
        snprintf(out, size, zh ? "%lld 秒" : "%lld s", (long long)((ms + 999) / 1000));
}

/* Appends to a "; "-separated list in buf (cut at size). */
__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 4 >= size)
        return;
    if (len) {
        memcpy(buf + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static int queue_to(alertd *a, MDB_txn *txn, uint64_t seq, const char *recipient, const hq_person_channel *pc,
                    const hq_watch *w, const char *note, hq_err *err)
{
    hq_delivery d = {.seq = seq, .audience = w->audience, .urgent = w->urgent, .sev = w->sev,
                     .ready_ms = alertd_policy_now(a), .first_ms = hq_wall_ms()};
    snprintf(d.recipient, sizeof d.recipient, "%s", recipient);
    snprintf(d.channel, sizeof d.channel, "%s", pc->channel->name);
    snprintf(d.issue, sizeof d.issue, "%s", w->issue);
    if (note)
        snprintf(d.note, sizeof d.note, "%s", note);
    int rc = hq_alert_queue_put(a->q, txn, &d, err);
    if (rc == 0)
        lane_get(a, d.recipient, d.channel, true)->dirty = true;
    return rc;
}

/* Sends alert seq to the person's deputy and the administrators, and
 * writes the dead letter.  rec/len: the record if it may not be stored. */
static int escalate(alertd *a, MDB_txn *txn, uint64_t seq, const char *rec, size_t len, const char *person,
                    const hq_watch *w, const char *tried, const char *tried_zh, const hq_alert_rec *r, hq_err *err)
{
    const hq_alert_policies *p = hq_alert_config_policies(a->cfg);
    const hq_alert_person *ap = hq_alert_config_person(a->cfg, person);
    const hq_person *who = alertd_person(a->rules, person);
    const hq_person *targets[33];
    size_t nt = 0;
    const hq_person *dep = ap && ap->deputy ? alertd_person(a->rules, ap->deputy) : NULL;
    if (dep && strcmp(dep->id, person))
        targets[nt++] = dep;
    const hq_person *admins[32];
    size_t na = hq_rules_resolve_role(a->rules, HQ_ROLE_ADMIN, NULL, admins, 32);
    for (size_t i = 0; i < na && i < 32; i++) {
        bool dup = !strcmp(admins[i]->id, person);
        for (size_t k = 0; k < nt; k++)
            dup = dup || targets[k] == admins[i];
        if (!dup)
            targets[nt++] = admins[i];
    }
    char span_zh[32], span_en[32], told[256] = "";
    fmt_span(p->failover_ms, true, span_zh, sizeof span_zh);
    fmt_span(p->failover_ms, false, span_en, sizeof span_en);
    uint32_t refs = 0;
    int rc = 0;
    for (size_t t = 0; rc == 0 && t < nt; t++) {
        const hq_alert_person *tp = hq_alert_config_person(a->cfg, targets[t]->id);
        char recipient[HQ_RECIPIENT_MAX + 16];
        if ((size_t)snprintf(recipient, sizeof recipient, "%s~%s", targets[t]->id, person) >= sizeof recipient)
            continue;
        size_t before = refs;
        for (size_t c = 0; rc == 0 && tp && c < tp->nchannels; c++) {
            const hq_person_channel *pc = &tp->channels[c];
            if (pc->channel->shared || (pc->fallback && c > 0))
                continue;
            char note[512];
            if (pc->lang == HQ_LANG_EN)
                snprintf(note, sizeof note,
                         "[Passed on] %s (%s) could not be reached: this alert was not delivered to them within %s "
                         "(%s). Please pass it on or act for them.",
                         who ? who->name : person, person, span_en, tried);
            else
                /* Chinese words around the channels' names and their own errors */
                snprintf(note, sizeof note, "【转告】未能联系到%s（%s）：此提醒在 %s 内未能送达（%s）。请转告本人或代为处理。",
                         who ? who->name : person, person, span_zh, tried_zh);
            rc = queue_to(a, txn, seq, recipient, pc, w, note, err);
            refs += rc == 0;
        }
        if (refs > before)
            append(told, sizeof told, "%s (%s)", targets[t]->id,
                   t == 0 && dep == targets[0] ? "deputy" : "administrator");
    }
    if (rc == 0 && refs)
        rc = hq_alert_queue_alert_ref(a->q, txn, seq, rec, len, refs, err);
    if (rc)
        return rc;
    hq_dead_letter dl = {.seq = seq, .nalerts = 1, .first_ms = hq_wall_ms(), .dead_ms = hq_wall_ms()};
    snprintf(dl.recipient, sizeof dl.recipient, "%s", person);
    snprintf(dl.channel, sizeof dl.channel, "-");
    snprintf(dl.error, sizeof dl.error, "not reached within %s (tried: %s); %s%s", span_en, tried,
             *told ? "passed on to " : "nobody to pass it on to (no deputy with channels, no administrator)",
             told);
    if (r) {
        snprintf(dl.kind, sizeof dl.kind, "%s", r->kind);
        snprintf(dl.issue, sizeof dl.issue, "%s", r->issue);
        snprintf(dl.severity, sizeof dl.severity, "%s", r->severity);
        snprintf(dl.title, sizeof dl.title, "%.*s", (int)hq_utf8_prefix(r->title, strlen(r->title), 500), r->title);
    } else {
        snprintf(dl.issue, sizeof dl.issue, "%s", w->issue);
    }
    rc = hq_alert_queue_dead_add(a->q, txn, &dl, err);
    if (rc == 0) {
        a->n_dead++;
        hq_log_warn("alert %" PRIu64 ": %s %s", seq, person, dl.error);
    }
    return rc;
}

int failover_after_route_txn(alertd *a, MDB_txn *txn, const hq_alert_rec *r, const char *rec, size_t len,
                             const hq_routes *routes, hq_err *err)
{
    const hq_alert_policies *p = hq_alert_config_policies(a->cfg);
    if (!p->failover_ms)
        return 0;
    hq_severity sev = HQ_SEV_CRITICAL;
    hq_severity_parse(r->severity, &sev);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < routes->n; i++) {
        const hq_route *rt = &routes->v[i];
        if (!is_person(rt->recipient) || rt->digest)
            continue;
        bool seen = false; /* one watch per person: the first route of theirs */
        for (size_t k = 0; k < i; k++)
            seen = seen || !strcmp(routes->v[k].recipient, rt->recipient);
        if (seen)
            continue;
        hq_watch w = {.seq = r->seq, .audience = rt->audience, .urgent = rt->urgent, .sev = (uint8_t)sev};
        snprintf(w.person, sizeof w.person, "%s", rt->recipient);
        snprintf(w.issue, sizeof w.issue, "%s", r->issue);
        if (rt->problem) {
            /* Nobody to try: pass it on now. */
            rc = escalate(a, txn, r->seq, rec, len, rt->recipient, &w, "no channels configured", "本人未配置任何渠道", r,
                          err);
            continue;
        }
        const hq_alert_person *ap = hq_alert_config_person(a->cfg, rt->recipient);
        int64_t ready = rt->ready_ms;
        for (size_t k = i; k < routes->n; k++)
            if (!strcmp(routes->v[k].recipient, rt->recipient) && routes->v[k].ready_ms > ready)
                ready = routes->v[k].ready_ms;
        w.due_ms = ready + p->failover_ms;
        w.stage = ap ? stage_end(ap, 0) : 0;
        rc = hq_alert_queue_watch_put(a->q, txn, &w, true, err);
        if (rc == 0 && w.due_ms < a->watch_next_ms)
            a->watch_next_ms = w.due_ms;
    }
    return rc;
}

/* The given-up deliveries of a watch ("ch: error (3 tries, given up); ...",
 * as failover_on_result_txn writes them) in Chinese words around the
 * channel's own error text. */
static void zh_given_up(const char *en, char *out, size_t size)
{
    out[0] = '\0';
    for (const char *p = en; p && *p;) {
        const char *end = strstr(p, " tries, given up)");
        const char *open = end ? end : NULL;
        while (open && open > p && *open != '(')
            open--;
        if (!end || open <= p) {
            append(out, size, "%s", p); /* not of that form: as it is */
            return;
        }
        unsigned n = (unsigned)strtoul(open + 1, NULL, 10);
        append(out, size, "%.*s（已试 %u 次，放弃）", (int)(open - p - (open[-1] == ' ')), p, n);
        p = end + strlen(" tries, given up)");
        p += strspn(p, "; ");
    }
}

/* Whether any of the person's own channels still has alert seq pending;
 * appends what was tried to tried, in English or (zh) in Chinese words. */
static bool pending_for(alertd *a, MDB_txn *txn, const char *person, uint64_t seq, char *tried, size_t size,
                        bool zh)
{
    const hq_alert_person *ap = hq_alert_config_person(a->cfg, person);
    bool any = false;
    for (size_t c = 0; ap && c < ap->nchannels; c++) {
        hq_delivery d;
        if (ap->channels[c].channel->shared ||
            hq_alert_queue_get(a->q, txn, person, ap->channels[c].channel->name, seq, &d, NULL) != 0)
            continue;
        any = true;
        if (tried && zh)
            append(tried, size, "%s：%s（已试 %u 次）", d.channel, d.error[0] ? d.error : "尚无回音", d.tries);
        else if (tried)
            append(tried, size, "%s: %s (%u tries)", d.channel, d.error[0] ? d.error : "no answer yet", d.tries);
    }
    return any;
}

int failover_on_result_txn(alertd *a, MDB_txn *txn, const hq_delivery *d, bool ok, const char *error, hq_err *err)
{
    if (!hq_alert_config_policies(a->cfg)->failover_ms || d->nmembers || !is_person(d->recipient))
        return 0;
    const hq_channel *ch = hq_alert_config_channel(a->cfg, d->channel);
    if (ch && ch->shared)
        return 0;
    bool found;
    if (ok)
        return hq_alert_queue_watch_del(a->q, txn, d->seq, d->recipient, &found, err);
    hq_watch w;
    int rc = hq_alert_queue_watch_get(a->q, txn, d->seq, d->recipient, &w, &found, err);
    if (rc || !found)
        return rc;
    append(w.tried, sizeof w.tried, "%s: %s (%u tries, given up)", d->channel, error, d->tries + 1);
    if (!pending_for(a, txn, d->recipient, d->seq, NULL, 0, false))
        w.due_ms = alertd_policy_now(a); /* nothing left to wait for: the next stage now */
    rc = hq_alert_queue_watch_put(a->q, txn, &w, false, err);
    if (rc == 0 && w.due_ms < a->watch_next_ms)
        a->watch_next_ms = w.due_ms;
    return rc;
}

typedef struct due_scan {
    int64_t pnow, next;
    hq_watch *due;
    size_t n, cap;
} due_scan;

static int collect(void *ctx, const hq_watch *w)
{
    due_scan *s = ctx;
    if (w->due_ms > s->pnow) {
        if (w->due_ms < s->next)
            s->next = w->due_ms;
        return 0;
    }
    if (s->n == s->cap) {
        if (s->cap >= 4096) {
            s->next = s->pnow; /* the rest on the next round */
            return 1;
        }
        s->cap = s->cap ? s->cap * 2 : 16;
        s->due = hq_realloc(s->due, s->cap * sizeof *s->due);
    }
    s->due[s->n++] = *w;
    return 0;
}

static int fire(alertd *a, MDB_txn *txn, hq_watch *w, int64_t pnow, int64_t *next, hq_err *err)
{
    const hq_alert_policies *p = hq_alert_config_policies(a->cfg);
    const hq_alert_person *ap = hq_alert_config_person(a->cfg, w->person);
    char tried[512], tried_zh[640];
    snprintf(tried, sizeof tried, "%s", w->tried);
    zh_given_up(w->tried, tried_zh, sizeof tried_zh);
    pending_for(a, txn, w->person, w->seq, tried, sizeof tried, false);
    pending_for(a, txn, w->person, w->seq, tried_zh, sizeof tried_zh, true);
    if (!*tried) {
        snprintf(tried, sizeof tried, "no channel of theirs is configured any more");
        snprintf(tried_zh, sizeof tried_zh, "本人已没有配置的渠道");
    }
    while (ap && w->stage < ap->nchannels) {
        uint32_t from = w->stage, to = stage_end(ap, from);
        w->stage = to;
        uint32_t queued = 0;
        int rc = 0;
        char names[256] = "";
        for (uint32_t c = from; rc == 0 && c < to; c++) {
            if (ap->channels[c].channel->shared)
                continue;
            rc = queue_to(a, txn, w->seq, w->person, &ap->channels[c], w, NULL, err);
            queued += rc == 0;
            append(names, sizeof names, "%s", ap->channels[c].channel->name);
        }
        if (rc == 0 && queued)
            rc = hq_alert_queue_alert_ref(a->q, txn, w->seq, NULL, 0, queued, err);
        if (rc)
            return rc;
        if (!queued)
            continue;
        w->due_ms = pnow + p->failover_ms;
        if (w->due_ms < *next)
            *next = w->due_ms;
        hq_log_notice("alert %" PRIu64 " not delivered to %s in time (%s); trying %s", w->seq, w->person, tried,
                      names);
        return hq_alert_queue_watch_put(a->q, txn, w, false, err);
    }
    const char *rec;
    size_t len;
    hq_alert_rec r;
    bool have = hq_alert_queue_alert_get(a->q, txn, w->seq, &rec, &len, NULL) == 0 &&
                hq_alert_rec_decode(rec, len, &r, NULL) == 0;
    int rc = escalate(a, txn, w->seq, NULL, 0, w->person, w, tried, tried_zh, have ? &r : NULL, err);
    if (have)
        hq_alert_rec_fini(&r);
    bool found;
    return rc ? rc : hq_alert_queue_watch_del(a->q, txn, w->seq, w->person, &found, err);
}

void failover_run(alertd *a)
{
    int64_t pnow = alertd_policy_now(a);
    if (pnow < a->watch_next_ms)
        return;
    due_scan s = {.pnow = pnow, .next = INT64_MAX};
    MDB_txn *txn;
    hq_err err = {0};
    int rc = hq_alert_queue_begin(a->q, true, &txn, &err);
    if (rc == 0)
        rc = hq_alert_queue_each_watch(a->q, txn, collect, &s, &err);
    for (size_t i = 0; rc == 0 && i < s.n; i++)
        rc = fire(a, txn, &s.due[i], pnow, &s.next, &err);
    rc = hq_alert_queue_end(a->q, txn, rc, &err);
    free(s.due);
    if (rc) {
        if (rc == HQ_EFULL)
            hq_alert_queue_grow(a->q, NULL);
        hq_log_err("failover: %s; tried again in 1 s", err.msg);
        a->watch_next_ms = pnow + 1000;
        return;
    }
    a->watch_next_ms = s.next;
}

int failover_load(alertd *a)
{
    due_scan s = {.pnow = INT64_MIN, .next = INT64_MAX};
    MDB_txn *txn;
    hq_err err = {0};
    int rc = hq_alert_queue_begin(a->q, false, &txn, &err);
    if (rc == 0) {
        rc = hq_alert_queue_each_watch(a->q, txn, collect, &s, &err);
        hq_alert_queue_abort(a->q, txn);
    }
    if (rc)
        hq_log_err("reading the watches: %s", err.msg);
    a->watch_next_ms = s.next;
    return rc;
}
