/* vocab.h - the small vocabularies every layer above the model shares:
 * issue severities and organisational roles.  Codes are the English
 * identifiers used in YAML and on the wire; Chinese labels belong to the
 * rendering edge (notices, alerts, pages), not here.
 *
 * Kept apart from rules.h so that the state layer (issue, outbox) can name
 * a severity or a role without depending on the whole rule set.
 */
#ifndef HQ_VOCAB_H
#define HQ_VOCAB_H

/* Bytes for an issue number (HQ-2026-000123) and its NUL, with room for
 * years and counters beyond six digits. */
#define HQ_ISSUE_NUMBER_SIZE 24

typedef enum { HQ_SEV_LOW, HQ_SEV_MEDIUM, HQ_SEV_HIGH, HQ_SEV_CRITICAL, HQ_SEV_COUNT } hq_severity;

/* "low", "medium", "high", "critical"; a static string. */
const char *hq_severity_name(hq_severity s);
/* 0 and *out set, or HQ_EINVAL for an unknown code. */
int hq_severity_parse(const char *s, hq_severity *out);

/* The roles escalation chains and alerts name.  Roles marked "by domain"
 * resolve through the issue's domain; contractor_contact through its
 * contractor; complainant through the complaint. */
typedef enum {
    HQ_ROLE_WORKING_GROUP,
    HQ_ROLE_OFFICE_DIRECTOR,
    HQ_ROLE_DEPUTY_DIRECTOR,
    HQ_ROLE_SECTION_HEAD,     /* by domain */
    HQ_ROLE_CENTRE_HEAD,      /* by domain */
    HQ_ROLE_SUPERVISOR,       /* by domain */
    HQ_ROLE_VICE_PRESIDENT,
    HQ_ROLE_CONTRACTOR_CONTACT,
    HQ_ROLE_COMPLAINANT,
    HQ_ROLE_ADMIN,            /* rule and data administrators */
    HQ_ROLE_COUNT
} hq_role;

/* The YAML code of a role ("section_head"); a static string. */
const char *hq_role_name(hq_role r);
/* 0 and *out set, or HQ_EINVAL for an unknown code. */
int hq_role_parse(const char *s, hq_role *out);

#endif
