/* alert_route.c - decoding outbox records and deciding their deliveries. */
#include "alert_route.h"

#include "alert_policy.h"
#include "mem.h"
#include "mp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- records ---- */

static char *str_or_empty(const msgpack_object *map, const char *key)
{
    const msgpack_object *o = hq_mp_map_get(map, key);
    char *s = o && o->type == MSGPACK_OBJECT_STR ? hq_mp_strdup(o) : NULL;
    return s ? s : hq_strdup("");
}

static int64_t int_or_zero(const msgpack_object *map, const char *key)
{
    int64_t v = 0;
    if (!hq_mp_int64(hq_mp_map_get(map, key), &v))
        return 0;
    return v;
}

int hq_alert_rec_decode(const char *buf, size_t len, hq_alert_rec *out, hq_err *err)
{
    memset(out, 0, sizeof *out);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object o;
    int rc = hq_mp_decode(buf, len, &hq_mp_default_limits, &zone, &o, err);
    if (rc == 0 && o.type != MSGPACK_OBJECT_MAP)
        rc = hq_err_set(err, HQ_EINVAL, "outbox record: not a map");
    int64_t seq = 0;
    const msgpack_object *kind = rc ? NULL : hq_mp_map_get(&o, "kind");
    if (rc == 0 && (!hq_mp_int64(hq_mp_map_get(&o, "seq"), &seq) || seq < 1))
        rc = hq_err_set(err, HQ_EINVAL, "outbox record: no seq");
    if (rc == 0 && (!kind || kind->type != MSGPACK_OBJECT_STR || kind->via.str.size == 0))
        rc = hq_err_set(err, HQ_EINVAL, "outbox record %lld: no kind", (long long)seq);
    if (rc) {
        msgpack_zone_destroy(&zone);
        return rc;
    }
    out->seq = (uint64_t)seq;
    out->ts_ms = int_or_zero(&o, "ts_ms");
    out->deadline_ms = int_or_zero(&o, "deadline_ms");
    out->level = (int)int_or_zero(&o, "level");
    out->kind = str_or_empty(&o, "kind");
    out->issue = str_or_empty(&o, "issue");
    out->rule = str_or_empty(&o, "rule");
    out->domain = str_or_empty(&o, "domain");
    out->contractor = str_or_empty(&o, "contractor");
    out->site = str_or_empty(&o, "site");
    out->severity = str_or_empty(&o, "severity");
    out->title = str_or_empty(&o, "title");
    out->text = str_or_empty(&o, "text");
    out->outcome = str_or_empty(&o, "outcome");
    const msgpack_object *c = hq_mp_map_get(&o, "contact");
    if (c && c->type == MSGPACK_OBJECT_STR && c->via.str.size)
        out->contact = hq_mp_strdup(c);
    const msgpack_object *roles = hq_mp_map_get(&o, "roles");
    if (roles && roles->type == MSGPACK_OBJECT_ARRAY && roles->via.array.size) {
        out->roles = hq_calloc(roles->via.array.size, sizeof *out->roles);
        for (uint32_t i = 0; out->roles && i < roles->via.array.size; i++)
            if (roles->via.array.ptr[i].type == MSGPACK_OBJECT_STR)
                out->roles[out->nroles++] = hq_mp_strdup(&roles->via.array.ptr[i]);
    }
    msgpack_zone_destroy(&zone);
    return 0;
}

void hq_alert_rec_fini(hq_alert_rec *r)
{
    char **s[] = {&r->kind,       &r->issue, &r->rule,     &r->domain, &r->contractor,
                  &r->site,       &r->severity, &r->title, &r->text,   &r->contact, &r->outcome};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        free(*s[i]);
    for (size_t i = 0; i < r->nroles; i++)
        free(r->roles[i]);
    free(r->roles);
    memset(r, 0, sizeof *r);
}

/* ---- contacts ---- */

int hq_contact_kind(const char *s)
{
    if (!s || !*s || strlen(s) > 254)
        return 0;
    const char *at = strchr(s, '@');
    if (at) {
        if (at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.')
            return 0;
        for (const char *p = s; *p; p++)
            if ((unsigned char)*p <= 0x20 || strchr("<>()[],;:\\\"", *p) || *p == 0x7f)
                return 0;
        return 'e';
    }
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (!strchr("+- ()", *p) || (*p == '+' && p != s))
            return 0;
    }
    return digits >= 5 && digits <= 20 ? 'p' : 0;
}

/* ---- routing ---- */

void hq_routes_fini(hq_routes *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

static hq_route *add_route(hq_routes *out, const char *recipient, const char *channel)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        hq_route *v = hq_realloc(out->v, cap * sizeof *v);
        out->v = v;
        out->cap = cap;
    }
    hq_route *r = &out->v[out->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->recipient, sizeof r->recipient, "%s", recipient);
    snprintf(r->channel, sizeof r->channel, "%s", channel);
    return r;
}

static void route_feedback(const hq_alert_config *cfg, const hq_alert_rec *rec, int64_t now_ms, hq_routes *out)
{
    const hq_alert_policies *p = hq_alert_config_policies(cfg);
    char who[HQ_RECIPIENT_MAX + 16];
    snprintf(who, sizeof who, "complainant:%.*s", HQ_RECIPIENT_MAX - 12, rec->issue);
    int kind = hq_contact_kind(rec->contact);
    const hq_channel *ch = kind == 'e' ? p->complainant_email : kind == 'p' ? p->complainant_phone
                                                                            : p->complainant_other;
    hq_route *r = add_route(out, who, ch ? ch->name : "-");
    r->audience = HQ_AUD_COMPLAINANT;
    r->urgent = true; /* one message, the outcome: never held or gathered */
    r->ready_ms = now_ms;
    if (!rec->contact)
        r->problem = "feedback without a contact";
    else if (!kind && !ch)
        r->problem = "the complainant's contact is neither an e-mail address nor a phone number, and there is no "
                     "channel for other contacts (policies.complainant.other)";
    else if (!ch)
        r->problem = kind == 'e' ? "no channel for e-mail contacts (policies.complainant.email)"
                                 : "no channel for phone contacts (policies.complainant.phone)";
}

typedef struct reached {
    const hq_person *person;
    unsigned roles;   /* bit per hq_role it was reached through */
    bool office;      /* reached through a role other than contractor_contact */
} reached;

static const char *role_scope(hq_role role, const hq_alert_rec *rec)
{
    switch (role) {
    case HQ_ROLE_SECTION_HEAD:
    case HQ_ROLE_CENTRE_HEAD:
    case HQ_ROLE_SUPERVISOR: return rec->domain;
    case HQ_ROLE_CONTRACTOR_CONTACT: return rec->contractor;
    default: return NULL;
    }
}

static size_t resolve_people(const hq_rules *rules, const hq_alert_rec *rec, reached *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < rec->nroles; i++) {
        hq_role role;
        if (hq_role_parse(rec->roles[i], &role) != 0 || role == HQ_ROLE_COMPLAINANT)
            continue; /* the complainant is reached only through feedback's contact */
        const char *scope = role_scope(role, rec);
        if (role == HQ_ROLE_CONTRACTOR_CONTACT && (!scope || !*scope))
            continue;
        const hq_person *ps[128];
        size_t k = hq_rules_resolve_role(rules, role, scope, ps, 128);
        for (size_t j = 0; j < k && j < 128; j++) {
            size_t at = 0;
            while (at < n && out[at].person != ps[j])
                at++;
            if (at == n) {
                if (n == max)
                    continue;
                out[n++] = (reached){.person = ps[j]};
            }
            out[at].roles |= 1u << role;
            out[at].office = out[at].office || role != HQ_ROLE_CONTRACTOR_CONTACT;
        }
    }
    return n;
}

/* hours: the working hours that count, n of them: open when any is (a
 * shared channel's members' union). */
static void apply_policy(const hq_alert_policies *p, const hq_hours *const *hours, size_t n, unsigned roles,
                         hq_severity sev, bool sev_known, int64_t now_ms, hq_route *r)
{
    r->urgent = !sev_known || sev >= p->urgent_from;
    r->ready_ms = now_ms;
    if (r->urgent)
        return;
    r->digest = p->digest_every_ms > 0 && (p->digest_severities & (1u << sev)) &&
                (!p->digest_roles || (p->digest_roles & roles));
    if (r->digest)
        r->ready_ms = hq_digest_due(now_ms, p->digest_every_ms);
    if (p->quiet_hours && n) {
        int64_t first = INT64_MAX;
        for (size_t i = 0; i < n; i++) {
            int64_t t = hq_hours_next_open(hours[i], r->ready_ms);
            if (t < first)
                first = t;
        }
        r->ready_ms = first;
    }
}

enum { SHARED_HOURS_MAX = 64 };

/* A shared channel some of the alert's people reach it through: its
 * working hours are its own `working_hours`, or else the union of theirs
 * (a group robot is read when anyone on it is at work). */
typedef struct shared_use {
    const hq_channel *ch;
    bool office;
    unsigned roles;
    const hq_hours *hours[SHARED_HOURS_MAX]; /* distinct hours of its members */
    size_t nhours;
    bool too_many;                           /* more distinct hours than that: never held */
} shared_use;

static bool same_hours(const hq_hours *a, const hq_hours *b)
{
    return a->always == b->always && a->days == b->days && a->from_min == b->from_min && a->to_min == b->to_min;
}

static void shared_add_hours(shared_use *s, const hq_hours *h)
{
    for (size_t i = 0; i < s->nhours; i++)
        if (s->hours[i] == h || same_hours(s->hours[i], h))
            return;
    if (s->nhours < SHARED_HOURS_MAX)
        s->hours[s->nhours++] = h;
    else
        s->too_many = true;
}

void hq_alert_route(const hq_rules *rules, const hq_alert_config *cfg, const hq_alert_rec *rec, int64_t now_ms,
                    hq_routes *out)
{
    if (!strcmp(rec->kind, "feedback")) {
        route_feedback(cfg, rec, now_ms, out);
        return;
    }
    const hq_alert_policies *p = hq_alert_config_policies(cfg);
    hq_severity sev = HQ_SEV_CRITICAL;
    bool sev_known = hq_severity_parse(rec->severity, &sev) == 0;
    reached people[256];
    size_t np = resolve_people(rules, rec, people, 256);
    shared_use shared[32];
    size_t ns = 0;
    for (size_t i = 0; i < np; i++) {
        const hq_person *ps = people[i].person;
        hq_audience aud = people[i].office ? HQ_AUD_OFFICE : HQ_AUD_CONTRACTOR;
        const hq_alert_person *ap = hq_alert_config_person(cfg, ps->id);
        if (strlen(ps->id) > HQ_RECIPIENT_MAX) {
            add_route(out, "-", "-")->problem = "a person id longer than 96 bytes";
            continue;
        }
        if (!ap || !ap->nchannels) {
            hq_route *r = add_route(out, ps->id, "-");
            r->audience = aud;
            r->problem = "no channels configured for this person";
            continue;
        }
        const hq_hours *hours = ap->has_hours ? &ap->hours : &p->default_hours;
        bool past_fallback = false;
        for (size_t c = 0; c < ap->nchannels; c++) {
            const hq_channel *ch = ap->channels[c].channel;
            if (ap->channels[c].fallback && p->failover_ms > 0 && c > 0)
                past_fallback = true;
            if (past_fallback && !ch->shared)
                continue; /* waits for failover (feed.c watches the person) */
            if (ch->shared) {
                size_t s = 0;
                while (s < ns && shared[s].ch != ch)
                    s++;
                if (s == ns && ns < 32)
                    shared[ns++] = (shared_use){.ch = ch};
                if (s < ns) {
                    shared[s].office = shared[s].office || people[i].office;
                    shared[s].roles |= people[i].roles;
                    shared_add_hours(&shared[s], hours);
                }
                continue;
            }
            hq_route *r = add_route(out, ps->id, ch->name);
            r->audience = aud;
            apply_policy(p, &hours, 1, people[i].roles, sev, sev_known, now_ms, r);
        }
    }
    for (size_t s = 0; s < ns; s++) {
        hq_route *r = add_route(out, "group", shared[s].ch->name);
        r->audience = shared[s].office ? HQ_AUD_OFFICE : HQ_AUD_CONTRACTOR;
        const hq_hours *own = &shared[s].ch->hours;
        if (shared[s].ch->has_hours)
            apply_policy(p, &own, 1, shared[s].roles, sev, sev_known, now_ms, r);
        else
            apply_policy(p, shared[s].hours, shared[s].too_many ? 0 : shared[s].nhours, shared[s].roles, sev,
                         sev_known, now_ms, r);
    }
}
