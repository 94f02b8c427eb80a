/* actor.c - who acts: the transport's part of SPEC §6a.
 *
 * The engine decides whether a person may do an action on an issue
 * (authz.h, with the permission table).  What only the daemon knows is
 * the connection: with CURVE, a staff key (staff_keys of the rules) is one
 * person, and its events may name only that person as data.actor; a
 * producer key names people only when its allow-list entry has on_behalf
 * (a gateway such as houqin-web), and then the stored event keeps both
 * (envelope source: the gateway; data.actor: the person) and the timeline
 * says "via:<gateway>".  Without CURVE nothing is proven: the actor is
 * still checked by the engine, and the timeline says "unauthenticated".
 */
#include "houqind.h"

#include "log.h"
#include "mp.h"

#include <stdio.h>
#include <string.h>

static bool view_eq(const msgpack_object *o, const char *s)
{
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           !memcmp(o->via.str.ptr, s, o->via.str.size);
}

/* pii_export is an action on no issue: decided here, in full. */
static hq_perm_reason decide_pii(const hq_daemon *d, const msgpack_object *actor, char *msg, size_t size)
{
    const hq_perm *t = hq_rules_perm(d->rules);
    if (!t)
        return HQ_PERM_OK;
    const hq_person *p = actor && actor->type == MSGPACK_OBJECT_STR
                             ? hq_rules_person(d->rules, actor->via.str.ptr, actor->via.str.size)
                             : NULL;
    if (!p) {
        snprintf(msg, size, "data.actor: \"%.*s\" is no person of the organisation (rules/org.yaml people)",
                 actor && actor->type == MSGPACK_OBJECT_STR ? (int)(actor->via.str.size > 64 ? 64 : actor->via.str.size) : 0,
                 actor && actor->type == MSGPACK_OBJECT_STR ? actor->via.str.ptr : "");
        return HQ_PERM_UNKNOWN_ACTOR;
    }
    char why[400];
    hq_perm_reason r = hq_perm_decide(t, p->id, p->roles, p->nroles, HQ_PA_PII_EXPORT, NULL, why, sizeof why);
    if (r != HQ_PERM_OK)
        snprintf(msg, size, "refused: %s", why);
    return r;
}

hq_perm_reason hq_actor_check(const hq_daemon *d, const char *user_id, hq_event *ev, hq_perm_action a, char *msg,
                              size_t size)
{
    const msgpack_object *actor = hq_mp_map_get(ev->data, "actor");
    if (!d->allow) {
        ev->auth = HQ_AUTH_NONE;
        return a == HQ_PA_PII_EXPORT ? decide_pii(d, actor, msg, size) : HQ_PERM_OK;
    }
    size_t pl = strlen(HQ_STAFF_USER_PREFIX);
    if (user_id && !strncmp(user_id, HQ_STAFF_USER_PREFIX, pl)) {
        const char *person = user_id + pl;
        if (!view_eq(actor, person)) {
            snprintf(msg, size,
                     "refused: data.actor: \"%.*s\" is not %s, the person this key is bound to (with CURVE the "
                     "actor is the key's person)",
                     actor && actor->type == MSGPACK_OBJECT_STR ? (int)(actor->via.str.size > 64 ? 64 : actor->via.str.size) : 0,
                     actor && actor->type == MSGPACK_OBJECT_STR ? actor->via.str.ptr : "", person);
            return HQ_PERM_KEY_MISMATCH;
        }
        ev->auth = HQ_AUTH_KEY;
        return a == HQ_PA_PII_EXPORT ? decide_pii(d, actor, msg, size) : HQ_PERM_OK;
    }
    const hq_producer *p = user_id ? hq_allowlist_by_source(d->allow, user_id, strlen(user_id)) : NULL;
    if (!p || !p->on_behalf) {
        snprintf(msg, size,
                 "refused: source \"%s\" may not act on behalf of people (its allow-list entry has no "
                 "on_behalf); staff send actions with their own key (staff_keys)",
                 p ? p->source : "?");
        return HQ_PERM_NOT_GATEWAY;
    }
    if (a == HQ_PA_FEEDBACK) {
        /* The gateway checked the complainant's token itself (it holds the
         * complaint's token_hash); here only: may it speak for them? */
        if (!hq_producer_acts_for(p, hq_role_name(HQ_ROLE_COMPLAINANT))) {
            snprintf(msg, size, "refused: gateway \"%s\" may not act for complainants (on_behalf has no complainant)",
                     p->source);
            return HQ_PERM_GATEWAY_ROLE;
        }
        ev->auth = HQ_AUTH_GATEWAY;
        return HQ_PERM_OK;
    }
    if (p->nroles) {
        const hq_person *who = actor && actor->type == MSGPACK_OBJECT_STR
                                   ? hq_rules_person(d->rules, actor->via.str.ptr, actor->via.str.size)
                                   : NULL;
        bool ok = false;
        for (size_t i = 0; who && !ok && i < who->nroles; i++)
            ok = hq_producer_acts_for(p, hq_role_name(who->roles[i].role));
        if (who && !ok) {
            snprintf(msg, size, "refused: gateway \"%s\" may not act for %s (none of their roles is in its on_behalf)",
                     p->source, who->id);
            return HQ_PERM_GATEWAY_ROLE;
        }
        /* an unknown person: the engine (or decide_pii) refuses it */
    }
    ev->auth = HQ_AUTH_GATEWAY;
    return a == HQ_PA_PII_EXPORT ? decide_pii(d, actor, msg, size) : HQ_PERM_OK;
}

#define LOG_PER_S 10

void hq_refusal_note(hq_daemon *d, hq_perm_reason r, const hq_event *ev, const char *msg)
{
    hq_refusals *f = &d->refusals;
    if ((unsigned)r < HQ_PERM_REASON_COUNT)
        f->by_reason[r]++;
    size_t sl = ev->source_len > 64 ? 64 : ev->source_len;
    size_t i;
    for (i = 0; i < f->nsources; i++)
        if (strlen(f->by_source[i].source) == sl && !memcmp(f->by_source[i].source, ev->source, sl))
            break;
    if (i < f->nsources) {
        f->by_source[i].n++;
    } else if (f->nsources < HQ_REFUSAL_SOURCES) {
        memcpy(f->by_source[f->nsources].source, ev->source, sl);
        f->by_source[f->nsources].source[sl] = '\0';
        f->by_source[f->nsources++].n = 1;
    } else {
        f->other_sources++;
    }
    int64_t now = hq_mono_ms();
    if (now - f->log_window_ms >= 1000) {
        f->log_window_ms = now;
        f->logged_in_window = 0;
    }
    if (f->logged_in_window >= LOG_PER_S) {
        f->not_logged++;
        return;
    }
    f->logged_in_window++;
    char more[64] = "";
    if (f->not_logged)
        snprintf(more, sizeof more, " (and %llu refusals not logged before it)", (unsigned long long)f->not_logged);
    f->not_logged = 0;
    hq_log_notice("refused %.*s id=%.*s from source %.*s [%s]: %s%s", (int)ev->type_len, ev->type,
                  (int)(ev->id_len > 64 ? 64 : ev->id_len), ev->id, (int)sl, ev->source, hq_perm_reason_name(r), msg,
                  more);
}

void hq_actor_check_keys(const hq_rules *rules, const hq_allowlist *allow, const hq_allowlist *admins,
                         hq_diags *diags)
{
    for (size_t i = 0; i < hq_allowlist_count(allow); i++) {
        const hq_producer *p = hq_allowlist_at(allow, i);
        const hq_person *who = hq_rules_person_by_key(rules, p->key);
        if (who)
            hq_diags_add(diags, hq_allowlist_file(allow), p->line, p->column,
                         "producer \"%s\" has the staff key of %s (staff_keys in the rules): one key, one person "
                         "or producer",
                         p->source, who->id);
        for (size_t j = 0; j < p->nroles; j++) {
            hq_role r;
            if (hq_role_parse(p->roles[j], &r) != 0)
                hq_diags_add(diags, hq_allowlist_file(allow), p->line, p->column,
                             "producer \"%s\": on_behalf: unknown role \"%s\"", p->source, p->roles[j]);
        }
    }
    for (size_t i = 0; i < hq_allowlist_count(admins); i++) {
        const hq_producer *p = hq_allowlist_at(admins, i);
        const hq_person *who = hq_rules_person_by_key(rules, p->key);
        if (who)
            hq_diags_add(diags, hq_allowlist_file(admins), p->line, p->column,
                         "administrator \"%s\" has the staff key of %s: give each use its own key", p->source,
                         who->id);
    }
}
