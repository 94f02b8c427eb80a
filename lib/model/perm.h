/* perm.h - who may do what: the permission table of the rules directory
 * and the decision for one action of one person on one issue (SPEC §6a).
 *
 *   permissions:
 *     - {role: contractor_contact, actions: [ack, rectify, comment]}
 *     - {role: supervisor, actions: [recheck, comment]}
 *     - {role: section_head, actions: [recheck, comment, close, opinion]}
 *     - {role: office_director, actions: [close, opinion, accountability, comment, pii_export], scope: all}
 *     - {role: complainant, actions: [feedback]}
 *
 * Scope: a role held with a scope (section_head:catering, supervisor:energy,
 * contractor_contact:xinyuan-catering) acts only on issues of that domain
 * or contractor ("own", the default); "scope: all" lets a domain role act
 * on every domain.  Unscoped roles (office_director, admin, ...) act on
 * every issue.
 *
 * Separation of duties is code, not table (hq_perm_decide and the load
 * checks): a contractor's person (anyone holding a contractor_contact
 * role) never rechecks, closes or starts accountability, whatever the table
 * says, and a table granting it is a load error; a contractor's contact
 * never has "scope: all"; the person who reported an issue's rectification
 * cannot pass its recheck; a complainant only gives feedback.
 *
 * The table is owned by the hq_rules it was loaded with; the decision
 * reads only its arguments.
 */
#ifndef HQ_PERM_H
#define HQ_PERM_H

#include "err.h"
#include "vocab.h"
#include "ytree.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    HQ_PA_ACK,
    HQ_PA_RECTIFY,
    HQ_PA_RECHECK,        /* pass or fail */
    HQ_PA_COMMENT,
    HQ_PA_CLOSE,
    HQ_PA_OPINION,
    HQ_PA_ACCOUNTABILITY,
    HQ_PA_FEEDBACK,       /* the complainant's satisfaction answer */
    HQ_PA_PII_EXPORT,     /* exports with personal data (ledger --include-pii) */
    HQ_PA_MODERATE,       /* hide personal details of a complaint from contractors */
    HQ_PA_COUNT
} hq_perm_action;

/* "ack", "rectify", ...; a static string. */
const char *hq_perm_action_name(hq_perm_action a);
int hq_perm_action_parse(const char *s, hq_perm_action *out);
/* The action of a lifecycle event type ("issue.closed" -> close), or -1
 * for a type that is no action. */
int hq_perm_action_of_type(const char *type, size_t len);

/* Why an action was refused; HQ_PERM_OK when it was not.  The names are
 * the labels of the refusal counters (status, stats --prometheus). */
typedef enum {
    HQ_PERM_OK,
    HQ_PERM_UNKNOWN_ACTOR,     /* data.actor is no person of the organisation */
    HQ_PERM_ROLE,              /* no role of the person may do this action */
    HQ_PERM_SCOPE,             /* a role may, but not on this domain or contractor */
    HQ_PERM_CONTRACTOR,        /* separation: a contractor's person never rechecks/closes */
    HQ_PERM_SELF_RECHECK,      /* separation: the rectifier cannot pass its recheck */
    HQ_PERM_KEY_MISMATCH,      /* CURVE: data.actor is not the key's person */
    HQ_PERM_NOT_GATEWAY,       /* a producer key without on_behalf named an actor */
    HQ_PERM_GATEWAY_ROLE,      /* a gateway acted for a role it may not act for */
    HQ_PERM_REASON_COUNT
} hq_perm_reason;

const char *hq_perm_reason_name(hq_perm_reason r);

typedef struct hq_perm hq_perm;

/* Parses a `permissions:` list of doc into *tp (created on first use; a
 * second file adds to it).  Problems go to d at their node. */
void hq_perm_parse(hq_perm **tp, const hq_ydoc *doc, const hq_ynode *n, hq_diags *d);
void hq_perm_destroy(hq_perm **t);

/* Whether role may do a at all (in some scope). */
bool hq_perm_role_may(const hq_perm *t, hq_role role, hq_perm_action a);

/* One role a person holds, and its scope (a domain, a contractor, or NULL). */
typedef struct hq_perm_role {
    hq_role role;
    const char *scope;
} hq_perm_role;

/* The issue acted on.  Strings may be NULL (no domain, no contractor). */
typedef struct hq_perm_target {
    const char *domain;
    const char *contractor;
    const char *rectified_by;  /* who reported the last rectification, or NULL */
    bool pass;                 /* a recheck that passes */
} hq_perm_target;

/* Decides whether the person `who` (holding roles[0..nroles)) may do a on
 * target (NULL for actions on no issue: pii_export).  On a refusal, why
 * (if not NULL) says which rule refused it, in a sentence for the reply. */
hq_perm_reason hq_perm_decide(const hq_perm *t, const char *who, const hq_perm_role *roles, size_t nroles,
                              hq_perm_action a, const hq_perm_target *target, char *why, size_t whylen);

/* Whether a person holding these roles is a contractor's person. */
bool hq_perm_is_contractor(const hq_perm_role *roles, size_t nroles);

#endif
