/* alert_config.h - houqin-alertd's configuration: channels, templates,
 * policies, and each person's channels and working hours.
 *
 * hq_alert_config_load() reads every *.yaml of a rules directory (the same
 * walk as the rules loader: recursive, sorted, *.test.yaml and tests/
 * skipped) and takes from them the top-level `channels`, `templates` and
 * `policies` mappings and, from `people` lists, each person's `channels`
 * and `working_hours` (houqind's loader accepts these keys and ignores
 * them; the people and their roles themselves come from hq_rules_load()).
 * The format is documented in docs/alertd.md.
 *
 * Like every loader it reports every problem as file:line:column: reason
 * into diags and then refuses: a half-loaded configuration never exists.
 * Templates missing from the files fall back to built-in ones (Chinese and
 * English), so a rules directory without alert configuration still loads.
 *
 * A loaded hq_alert_config owns everything in it; pointers into it are
 * views valid until hq_alert_config_destroy().
 */
#ifndef HQ_ALERT_CONFIG_H
#define HQ_ALERT_CONFIG_H

#include "err.h"
#include "rules.h"
#include "template.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { HQ_CH_WEBHOOK, HQ_CH_EMAIL, HQ_CH_COMMAND, HQ_CH_FILE } hq_channel_type;
typedef enum { HQ_FMT_JSON, HQ_FMT_WECOM, HQ_FMT_DINGTALK } hq_webhook_format;
typedef enum { HQ_LANG_ZH, HQ_LANG_EN, HQ_LANG_COUNT } hq_lang;
/* Who an alert is written for: the office's people get the supervisor's
 * version, contractor contacts the rectification notice, the complainant
 * the outcome; digests gather low-severity alerts. */
typedef enum { HQ_AUD_OFFICE, HQ_AUD_CONTRACTOR, HQ_AUD_COMPLAINANT, HQ_AUD_DIGEST, HQ_AUD_COUNT } hq_audience;

const char *hq_channel_type_name(hq_channel_type t);
const char *hq_lang_name(hq_lang l);
const char *hq_audience_name(hq_audience a);
int hq_audience_parse(const char *s, hq_audience *out);

/* Working hours in local time: on the days in `days` (bit n = tm_wday n,
 * 0 = Sunday), from from_min to to_min minutes after midnight. */
typedef struct hq_hours {
    bool always;                /* every minute is working time */
    uint8_t days;
    int from_min, to_min;       /* 0 <= from < to <= 1440 */
} hq_hours;

/* Channel names are [a-z0-9._-], 1..48 bytes: they are part of LMDB keys
 * and of idempotency keys. */
#define HQ_CHANNEL_NAME_MAX 48

typedef struct hq_channel {
    char *name;
    hq_channel_type type;
    hq_lang lang;               /* default language of its messages */
    bool shared;                /* a group robot: one delivery per alert, not per person */
    unsigned parallel;          /* deliveries in flight at once on this channel */
    int64_t timeout_ms;         /* whole delivery (HTTP request, SMTP session, command run) */
    int64_t connect_timeout_ms; /* webhook and e-mail */
    char *url;                  /* webhook: http(s)://...; email: smtp(s)://host:port */
    hq_webhook_format format;   /* webhook body */
    char *from;                 /* email: envelope and header sender */
    char *username, *password;  /* email: optional login (password from password_file) */
    bool starttls;              /* email: require STARTTLS on smtp:// */
    char **argv;                /* command: NULL-terminated, argv[0] an absolute path */
    size_t argc;
    char *path;                 /* file: absolute path of the JSON-lines file */
    int to_field;               /* HQ_ADDR_*: the person's field a delivery's address comes from, or -1 */
    char *at;                   /* "file:line:column" of its address (url, argv, path) or of its name */
    char *from_at;              /* email: "file:line:column" of `from`, or NULL */
    bool has_hours;             /* shared: `working_hours` stated on the channel (wins over the
                                   union of its members' hours) */
    hq_hours hours;
} hq_channel;

/* A person's own addresses (org.yaml `email:`, `phone:`, `webhook:`), which
 * a channel with `to: email|phone|webhook` uses, so that one channel serves
 * everyone. */
typedef enum { HQ_ADDR_EMAIL, HQ_ADDR_PHONE, HQ_ADDR_WEBHOOK, HQ_ADDR_COUNT } hq_addr_field;
const char *hq_addr_field_name(hq_addr_field f);

typedef struct hq_person_channel {
    const hq_channel *channel;
    char *to;                   /* address on that channel (e-mail, phone, webhook URL), or NULL:
                                   the entry's `to`, else the person's field the channel names */
    hq_lang lang;
    bool fallback;              /* used only when the entries before it did not deliver within
                                   policies.failover (docs/alertd.md, "Failover") */
    char *at;                   /* "file:line:column" of the entry */
    char *to_at;                /* "file:line:column" where `to` was written (the entry's `to`, or the
                                   person's field), or NULL */
} hq_person_channel;


typedef struct hq_alert_person {
    char *id;
    hq_person_channel *channels;
    size_t nchannels;
    bool has_hours;             /* false: the policies' default hours */
    hq_hours hours;
    char *deputy;               /* who is told when they cannot be reached, or NULL */
    char *addr[HQ_ADDR_COUNT];  /* their own addresses, or NULL */
    char *addr_at[HQ_ADDR_COUNT]; /* "file:line:column" of each, or NULL */
    char *at;                   /* "file:line:column" of the person's id */
} hq_alert_person;

typedef struct hq_alert_policies {
    hq_severity urgent_from;    /* this severity and above: never held, digested or rate-limited */
    bool quiet_hours;           /* hold non-urgent alerts until the recipient's working hours */
    hq_hours default_hours;     /* for people without working_hours (and shared channels) */
    unsigned digest_severities; /* bit per hq_severity: these are gathered into digests */
    int64_t digest_every_ms;    /* 0: no digests */
    unsigned digest_roles;      /* bit per hq_role: digests only for people reached via these (0: all) */
    unsigned rate_max;          /* deliveries per (recipient, channel) ... */
    int64_t rate_per_ms;        /* ... per this window; 0: no limit */
    unsigned retry_tries;       /* tries before a delivery is dead-lettered */
    int64_t retry_first_ms;     /* first backoff; doubles per try */
    int64_t retry_max_ms;       /* backoff cap */
    const hq_channel *complainant_email; /* where feedback to an e-mail contact goes, or NULL */
    const hq_channel *complainant_phone; /* ... to a phone number, or NULL */
    const hq_channel *complainant_other; /* ... to any other contact (a WeChat id, ...), or NULL */
    int64_t failover_ms;        /* not delivered to a person within this: their next channel, then
                                   their deputy and the administrators; 0: never */
} hq_alert_policies;

/* One template set: subject and body (and, for digests, the line per alert). */
typedef struct hq_alert_tmpl {
    hq_tmpl *subject, *body, *item;
} hq_alert_tmpl;

typedef struct hq_alert_config hq_alert_config;

/* The top-level sections of a rules directory this loader reads
 * (NULL-terminated); each is listed in hq_rules_sections. */
extern const char *const hq_alert_config_sections[];

/* Loads dir (see above).  Returns 0, or HQ_EINVAL with every problem in diags.
 * Also checked: a person's deputy is a person of the files and not
 * themselves; every channel entry has the address its channel needs (its
 * own `to`, or the person's field the channel's `to` names); fallback
 * entries need policies.failover. */
int hq_alert_config_load(const char *dir, hq_alert_config **out, hq_diags *diags);
/* Frees and clears *cfg; accepts NULL. */
void hq_alert_config_destroy(hq_alert_config **cfg);

const hq_alert_policies *hq_alert_config_policies(const hq_alert_config *cfg);
size_t hq_alert_config_nchannels(const hq_alert_config *cfg);
const hq_channel *hq_alert_config_channel_at(const hq_alert_config *cfg, size_t i);
const hq_channel *hq_alert_config_channel(const hq_alert_config *cfg, const char *name);
/* The person's alert settings, or NULL when the files give none. */
const hq_alert_person *hq_alert_config_person(const hq_alert_config *cfg, const char *id);
/* "file:line:column" of the person's id in the files (whether or not they
 * have alert settings), or NULL. */
const char *hq_alert_config_person_at(const hq_alert_config *cfg, const char *id);
/* The template for (audience, kind, lang): "<audience>.<kind>" before
 * "<audience>", lang before Chinese, the files before the built-ins.
 * Never NULL. */
const hq_alert_tmpl *hq_alert_config_template(const hq_alert_config *cfg, hq_audience aud, const char *kind,
                                              hq_lang lang);

/* The outbox kinds houqind writes (opened, reminder, ...), NULL-terminated. */
extern const char *const hq_alert_kinds[];
/* The placeholders templates may use ({{issue}}, {{deadline}}, ...),
 * NULL-terminated; digest templates may also use count and items. */
extern const char *const hq_alert_vars[];

#endif
