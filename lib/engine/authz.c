/* authz.c - permission check of a lifecycle action (authz.h). */
#include "authz.h"

#include <stdio.h>
#include <string.h>

static hq_perm_action perm_action(hq_issue_action act)
{
    switch (act) {
    case HQ_ACT_ACK: return HQ_PA_ACK;
    case HQ_ACT_RECTIFY: return HQ_PA_RECTIFY;
    case HQ_ACT_RECHECK_PASS:
    case HQ_ACT_RECHECK_FAIL: return HQ_PA_RECHECK;
    case HQ_ACT_COMMENT: return HQ_PA_COMMENT;
    case HQ_ACT_CLOSE: return HQ_PA_CLOSE;
    case HQ_ACT_OPINION: return HQ_PA_OPINION;
    case HQ_ACT_ACCOUNTABILITY: return HQ_PA_ACCOUNTABILITY;
    case HQ_ACT_MODERATE: return HQ_PA_MODERATE;
    default: return HQ_PA_COUNT;
    }
}

hq_perm_reason hq_authz_issue_action(const hq_rules *rules, const hq_event *ev, const char *actor,
                                     const hq_issue *is, hq_issue_action act, hq_err *err)
{
    const hq_perm *t = hq_rules_perm(rules);
    if (!t || ev->auth == HQ_AUTH_UNKNOWN)
        return HQ_PERM_OK;
    const char *who = actor ? actor : "";
    const hq_person *p = hq_rules_person(rules, who, strlen(who));
    if (!p) {
        hq_err_set(err, HQ_EPERM, "%s: data.actor: \"%.64s\" is no person of the organisation (rules/org.yaml "
                                  "people)", is->number, who);
        return HQ_PERM_UNKNOWN_ACTOR;
    }
    hq_perm_target tg = {.domain = is->domain,
                         .contractor = is->contractor,
                         .rectified_by = hq_issue_rectified_by(is),
                         .pass = act == HQ_ACT_RECHECK_PASS};
    char why[400];
    hq_perm_reason r = hq_perm_decide(t, p->id, p->roles, p->nroles, perm_action(act), &tg, why, sizeof why);
    if (r != HQ_PERM_OK)
        hq_err_set(err, HQ_EPERM, "%s: refused: %s", is->number, why);
    return r;
}

const char *hq_authz_mark(const hq_event *ev, char *buf, size_t size)
{
    switch (ev->auth) {
    case HQ_AUTH_NONE: snprintf(buf, size, "unauthenticated"); return buf;
    case HQ_AUTH_KEY: snprintf(buf, size, "key"); return buf;
    case HQ_AUTH_GATEWAY: snprintf(buf, size, "via:%.*s", (int)ev->source_len, ev->source); return buf;
    default: return NULL;
    }
}
