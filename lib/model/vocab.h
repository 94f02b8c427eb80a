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

#include <stdbool.h>
#include <stddef.h>

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

/* The classes of codes that have labels. */
typedef enum {
    HQ_LBL_DOMAIN,   /* catering -> 餐饮 */
    HQ_LBL_CATEGORY, /* complaint categories, "<domain>.<category>": catering.hygiene -> 卫生 */
    HQ_LBL_SEVERITY, /* high -> 严重 */
    HQ_LBL_STATE,    /* issue states: rectified -> 已整改待复查 */
    HQ_LBL_KIND,     /* timeline kinds: escalated -> 升级 */
    HQ_LBL_PENALTY,  /* penalty kinds: per_overdue_day -> 逾期违约金 */
    HQ_LBL_ROLE,     /* office_director -> 后勤管理处处长 */
    HQ_LBL_NOTICE,   /* alert kinds: opened -> 新整改通知 */
    HQ_LBL_TIMER,    /* timer kinds: escalation -> 升级计时 */
    HQ_LBL_ISSUE_CATEGORY, /* the rules' issue categories, "<domain>.<category>": catering.food-safety -> 食品安全 */
    HQ_LBL_VALUE,    /* enum values of event fields, "<type>.<field>.<value>": security.incident.category.fire -> 火情 */
    HQ_LBL_ITEM,     /* checklist item codes: fs.sample_retention -> 留样 (an open class, schema.h's labels:) */
    HQ_LBL_CHECKLIST, /* checklist ids: food_safety_daily -> 每日食品安全检查 (open, as items) */
    HQ_LBL_OBLIGATION, /* obligation (expected inspection) states: missed -> 未完成 (optional section) */
    HQ_LBL_COUNT
} hq_label_class;

/* "domains", "categories", ...: the vocabulary file's section names. */
const char *hq_label_class_name(hq_label_class c);
/* Whether class c is keyed by a plain code (not "<domain>.<code>" or
 * "<type>.<field>.<value>"): what a schema's labels: may name. */
bool hq_label_class_flat(hq_label_class c);
int hq_label_class_parse(const char *s, hq_label_class *out);

/* The label of code in class c from the installed vocabulary, or from
 * the built-in table when none is installed (a vocabulary replaces the
 * table as a whole), else NULL.  hq_label: the same, falling back to the code
 * itself ("" for NULL), for rendering. */
const char *hq_label_find(hq_label_class c, const char *code);
const char *hq_label(hq_label_class c, const char *code);
const char *hq_severity_label(hq_severity s);
const char *hq_domain_label(const char *domain);
/* A category's label within its domain: an issue category's, else a
 * complaint category's, else the code itself. */
const char *hq_category_label(const char *domain, const char *category);
/* Maps what a person wrote for a category of domain (its code or its
 * label) to the code: a static or vocabulary string, or NULL when it is
 * neither (an unknown category). */
const char *hq_category_code(const char *domain, const char *text);
/* Lists the categories of a domain as "code（label）, ..." into out (for
 * an error message); returns how many. */
size_t hq_category_list(const char *domain, char *out, size_t size);

/* A vocabulary: labels by class and code.  hq_vocab_set copies; a second
 * set of the same code replaces the label. */
typedef struct hq_vocab hq_vocab;
hq_vocab *hq_vocab_new(void);
void hq_vocab_free(hq_vocab *v);
void hq_vocab_set(hq_vocab *v, hq_label_class c, const char *code, const char *label);
const char *hq_vocab_get(const hq_vocab *v, hq_label_class c, const char *code);
/* The label of code in v, or in the built-in table when v is NULL (not
 * the installed vocabulary): for checks of a vocabulary being loaded. */
const char *hq_vocab_lookup(const hq_vocab *v, hq_label_class c, const char *code);
/* Calls fn for each code of class c with a label (installed, else built in). */
void hq_vocab_each(const hq_vocab *v, hq_label_class c, void (*fn)(void *ctx, const char *code, const char *label),
                   void *ctx);
/* The codes of a fixed class (severity, state, kind, penalty, role,
 * notice, timer, obligation) that must have a label; NULL-terminated (empty for the
 * open classes: domains, the two kinds of categories, field values,
 * checklist items and checklists). */
const char *const *hq_vocab_required(hq_label_class c);
/* Whether a vocabulary may leave class c's section out (a class added
 * after administrators first wrote their files: obligations): the
 * built-in labels then stand.  A section that is there must be complete. */
bool hq_label_class_optional(hq_label_class c);
/* Installs a copy of v as the process's vocabulary (the rules' loader
 * and the programs that show words call it after loading the rules).
 * Earlier copies stay valid until exit: a reload never pulls labels
 * from under a reader.  NULL: back to the built-in labels. */
void hq_vocab_install(const hq_vocab *v);
const hq_vocab *hq_vocab_installed(void);

#endif
