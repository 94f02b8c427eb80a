/* perm.c - the permission table and the decision (perm.h). */
#include "perm.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[HQ_PA_COUNT] = {
    "ack", "rectify", "recheck", "comment", "close", "opinion", "accountability", "feedback", "pii_export", "moderate",
};

static const char *const reason_names[HQ_PERM_REASON_COUNT] = {
    "ok", "unknown_actor", "role", "scope", "separation_contractor", "separation_self_recheck", "key_mismatch",
    "not_gateway", "gateway_role",
};

/* The lifecycle event types and their actions. */
static const struct {
    const char *type;
    hq_perm_action a;
} type_actions[] = {
    {"issue.acknowledged", HQ_PA_ACK},  {"issue.rectified", HQ_PA_RECTIFY},
    {"issue.rechecked", HQ_PA_RECHECK}, {"issue.comment", HQ_PA_COMMENT},
    {"issue.closed", HQ_PA_CLOSE},      {"issue.opinion", HQ_PA_OPINION},
    {"issue.accountability", HQ_PA_ACCOUNTABILITY}, {"complaint.feedback", HQ_PA_FEEDBACK},
    {"audit.pii_access", HQ_PA_PII_EXPORT}, {"complaint.moderated", HQ_PA_MODERATE},
};

/* One grant: role may do the action, in its own scope or everywhere;
 * where the table said so (for the reply that names the rule). */
typedef struct grant {
    bool allowed, all;
    const char *file; /* a view of the table's copy */
    int line;
} grant;

struct hq_perm {
    grant g[HQ_ROLE_COUNT][HQ_PA_COUNT];
    char **files; /* owned copies of the file names */
    size_t nfiles;
};

const char *hq_perm_action_name(hq_perm_action a)
{
    return (unsigned)a < HQ_PA_COUNT ? action_names[a] : "?";
}

int hq_perm_action_parse(const char *s, hq_perm_action *out)
{
    for (int i = 0; i < HQ_PA_COUNT; i++)
        if (!strcmp(action_names[i], s)) {
            *out = (hq_perm_action)i;
            return 0;
        }
    return HQ_EINVAL;
}

int hq_perm_action_of_type(const char *type, size_t len)
{
    for (size_t i = 0; i < sizeof type_actions / sizeof *type_actions; i++)
        if (strlen(type_actions[i].type) == len && !memcmp(type_actions[i].type, type, len))
            return (int)type_actions[i].a;
    return -1;
}

const char *hq_perm_reason_name(hq_perm_reason r)
{
    return (unsigned)r < HQ_PERM_REASON_COUNT ? reason_names[r] : "?";
}

void hq_perm_destroy(hq_perm **tp)
{
    hq_perm *t = tp ? *tp : NULL;
    if (!t)
        return;
    hq_free_strv(t->files, t->nfiles);
    free(t);
    *tp = NULL;
}

/* Actions a contractor's person never does (separation of duties). */
static bool contractor_forbidden(hq_perm_action a)
{
    return a == HQ_PA_RECHECK || a == HQ_PA_CLOSE || a == HQ_PA_ACCOUNTABILITY || a == HQ_PA_PII_EXPORT ||
           a == HQ_PA_MODERATE;
}

static bool domain_role(hq_role r)
{
    return r == HQ_ROLE_SECTION_HEAD || r == HQ_ROLE_CENTRE_HEAD || r == HQ_ROLE_SUPERVISOR;
}

static void role_list(char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int r = 0; r < HQ_ROLE_COUNT && o < size; r++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", r ? ", " : "", hq_role_name((hq_role)r));
}

static void action_list(char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int a = 0; a < HQ_PA_COUNT && o < size; a++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", a ? ", " : "", action_names[a]);
}

static const char *keep_file(hq_perm *t, const char *file)
{
    for (size_t i = 0; i < t->nfiles; i++)
        if (!strcmp(t->files[i], file))
            return t->files[i];
    t->files = hq_realloc(t->files, (t->nfiles + 1) * sizeof *t->files);
    t->files[t->nfiles] = hq_strdup(file);
    return t->files[t->nfiles++];
}

void hq_perm_parse(hq_perm **tp, const hq_ydoc *doc, const hq_ynode *n, hq_diags *d)
{
    static const char *const keys[] = {"role", "actions", "scope", "description", NULL};
    if (!hq_yseq(d, doc, n, "permissions: expected a list like [{role: supervisor, actions: [recheck, comment]}]"))
        return;
    if (!*tp)
        *tp = hq_calloc(1, sizeof **tp);
    hq_perm *t = *tp;
    const char *file = keep_file(t, doc->file);
    char list[400];
    for (size_t i = 0; i < n->len; i++) {
        const hq_ynode *e = n->kids[i];
        if (hq_ycheck_keys(d, doc, e, keys))
            continue;
        const hq_ynode *rn = hq_yrequire(d, doc, e, "role"), *an = hq_yrequire(d, doc, e, "actions"),
                       *sn = hq_ymap_get(e, "scope");
        const char *rs, *ss = NULL;
        hq_role role;
        if (!rn || !an || hq_yget_str(d, doc, rn, &rs))
            continue;
        if (hq_role_parse(rs, &role) != 0) {
            role_list(list, sizeof list);
            hq_ydiag(d, doc, rn, "unknown role \"%s\" (roles: %s)", rs, list);
            continue;
        }
        if (role == HQ_ROLE_WORKING_GROUP) {
            hq_ydiag(d, doc, rn, "working_group names everyone of the office for alerts; grant its roles instead");
            continue;
        }
        bool all = false;
        if (sn) {
            if (hq_yget_str(d, doc, sn, &ss))
                continue;
            if (strcmp(ss, "own") && strcmp(ss, "all")) {
                hq_ydiag(d, doc, sn, "scope: expected own (the role's domain or contractor) or all, got \"%s\"", ss);
                continue;
            }
            all = !strcmp(ss, "all");
            if (all && role == HQ_ROLE_CONTRACTOR_CONTACT) {
                hq_ydiag(d, doc, sn, "a contractor's contact acts only on its own contractor's issues: scope all "
                                     "is not allowed for contractor_contact");
                continue;
            }
        }
        if (an->type != HQ_Y_SEQ || an->len == 0) {
            action_list(list, sizeof list);
            hq_ydiag(d, doc, an, "actions: expected a list of actions (%s)", list);
            continue;
        }
        for (size_t j = 0; j < an->len; j++) {
            const char *as;
            hq_perm_action a;
            if (hq_yget_str(d, doc, an->kids[j], &as))
                continue;
            if (hq_perm_action_parse(as, &a) != 0) {
                action_list(list, sizeof list);
                hq_ydiag(d, doc, an->kids[j], "unknown action \"%s\" (actions: %s)", as, list);
                continue;
            }
            if (role == HQ_ROLE_CONTRACTOR_CONTACT && contractor_forbidden(a)) {
                hq_ydiag(d, doc, an->kids[j],
                         "separation of duties: a contractor's contact may never %s (contractors never recheck, "
                         "pass, close, start accountability, export personal data or moderate complaints; not a table setting)",
                         as);
                continue;
            }
            if ((role == HQ_ROLE_COMPLAINANT) != (a == HQ_PA_FEEDBACK)) {
                hq_ydiag(d, doc, an->kids[j],
                         role == HQ_ROLE_COMPLAINANT
                             ? "a complainant acts only on their own complaint, through its token: feedback is "
                               "their only action, not %s"
                             : "%s is the complainant's answer: only role complainant may have it",
                         as);
                continue;
            }
            grant *g = &t->g[role][a];
            g->allowed = true;
            g->all = g->all || all;
            if (!g->file || all) {
                g->file = file;
                g->line = e->line;
            }
        }
    }
}

bool hq_perm_role_may(const hq_perm *t, hq_role role, hq_perm_action a)
{
    return t && (unsigned)role < HQ_ROLE_COUNT && (unsigned)a < HQ_PA_COUNT && t->g[role][a].allowed;
}

bool hq_perm_is_contractor(const hq_perm_role *roles, size_t nroles)
{
    for (size_t i = 0; i < nroles; i++)
        if (roles[i].role == HQ_ROLE_CONTRACTOR_CONTACT)
            return true;
    return false;
}

/* Whether role r (with scope) covers the target's domain or contractor. */
static bool in_scope(const hq_perm_role *r, const grant *g, const hq_perm_target *tg)
{
    if (!tg || g->all)
        return true;
    if (r->role == HQ_ROLE_CONTRACTOR_CONTACT)
        return r->scope && tg->contractor && !strcmp(r->scope, tg->contractor);
    if (domain_role(r->role))
        return r->scope && tg->domain && !strcmp(r->scope, tg->domain);
    return true; /* unscoped roles: every issue */
}

hq_perm_reason hq_perm_decide(const hq_perm *t, const char *who, const hq_perm_role *roles, size_t nroles,
                              hq_perm_action a, const hq_perm_target *tg, char *why, size_t whylen)
{
    char dummy[1];
    if (!why) {
        why = dummy;
        whylen = sizeof dummy;
    }
    why[0] = '\0';
    if ((unsigned)a >= HQ_PA_COUNT) {
        snprintf(why, whylen, "not an action");
        return HQ_PERM_ROLE;
    }
    /* Separation of duties first: no table can grant these. */
    if (contractor_forbidden(a) && hq_perm_is_contractor(roles, nroles)) {
        snprintf(why, whylen,
                 "separation of duties: %s is a contractor's contact and may never %s (an invariant, not a table "
                 "setting)",
                 who, action_names[a]);
        return HQ_PERM_CONTRACTOR;
    }
    if (a == HQ_PA_RECHECK && tg && tg->pass && tg->rectified_by && !strcmp(tg->rectified_by, who)) {
        snprintf(why, whylen,
                 "separation of duties: %s reported this rectification and cannot pass its recheck (an invariant, "
                 "not a table setting)",
                 who);
        return HQ_PERM_SELF_RECHECK;
    }
    const grant *near = NULL;
    const hq_perm_role *near_role = NULL;
    for (size_t i = 0; i < nroles; i++) {
        if ((unsigned)roles[i].role >= HQ_ROLE_COUNT || !t)
            continue;
        const grant *g = &t->g[roles[i].role][a];
        if (!g->allowed)
            continue;
        if (in_scope(&roles[i], g, tg))
            return HQ_PERM_OK;
        if (!near) {
            near = g;
            near_role = &roles[i];
        }
    }
    if (near) {
        bool ctr = near_role->role == HQ_ROLE_CONTRACTOR_CONTACT;
        snprintf(why, whylen, "permission %s:%d: %s:%s may %s only on %s %s, and this issue is %s%s", near->file,
                 near->line, hq_role_name(near_role->role), near_role->scope ? near_role->scope : "",
                 action_names[a], ctr ? "contractor" : "domain", near_role->scope ? near_role->scope : "",
                 ctr ? "of contractor " : "of domain ",
                 ctr ? (tg && tg->contractor && *tg->contractor ? tg->contractor : "(none)")
                     : (tg && tg->domain ? tg->domain : "(none)"));
        return HQ_PERM_SCOPE;
    }
    /* Which roles could: the reply tells the actor whom to ask. */
    char list[300];
    size_t o = 0;
    list[0] = '\0';
    for (int r = 0; t && r < HQ_ROLE_COUNT && o < sizeof list; r++)
        if (t->g[r][a].allowed)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", hq_role_name((hq_role)r));
    snprintf(why, whylen, "permissions: no role of %s may %s (it is for: %s)", who, action_names[a],
             o ? list : "no role");
    return HQ_PERM_ROLE;
}
