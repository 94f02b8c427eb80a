/* alert_render.h - alert text from templates, and the bytes each channel
 * sends: plain JSON, WeCom and DingTalk robot messages, MIME e-mail.
 *
 * A message (hq_alert_msg) is one delivery: one alert, or a digest of
 * several, for one recipient on one channel.  hq_alert_render_text() fills
 * its subject and body from the configuration's templates (see
 * hq_alert_config_template); the hq_alert_render_* writers then turn it
 * into a channel's payload.  Nothing here reads a clock or does I/O.
 *
 * Personal data: a record's contact is never rendered, except as the
 * message's `to` when the message goes to the complainant themselves
 * (the caller decides that by setting `to`).
 */
#ifndef HQ_ALERT_RENDER_H
#define HQ_ALERT_RENDER_H

#include "alert_config.h"
#include "alert_route.h"
#include "buf.h"
#include "rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hq_alert_msg {
    const char *key;            /* the idempotency key */
    const char *recipient;      /* the recipient id */
    const char *recipient_name; /* for {{recipient}} */
    const char *to;             /* the address on the channel, or NULL */
    const hq_channel *channel;
    hq_audience audience;       /* office, contractor or complainant */
    hq_lang lang;
    const hq_alert_rec *const *recs; /* one alert, or a digest's alerts in order */
    size_t nrecs;
    bool digest;
    char *subject, *body;       /* filled by hq_alert_render_text(); freed by hq_alert_msg_fini() */
} hq_alert_msg;

void hq_alert_msg_fini(hq_alert_msg *m);

/* Renders subject and body.  rules gives contractor and site names and
 * the office (may be NULL: ids are used). */
void hq_alert_render_text(const hq_alert_config *cfg, const hq_rules *rules, hq_alert_msg *m);

/* The idempotency key of one delivery: "<seq>-<recipient>-<channel>";
 * of a digest: "digest-<first seq>-<last seq>-<recipient>-<channel>". */
void hq_alert_key(uint64_t seq, const char *recipient, const char *channel, char *out, size_t size);
void hq_alert_digest_key(uint64_t first, uint64_t last, const char *recipient, const char *channel, char *out,
                         size_t size);

/* The message as one JSON object (no newline): the webhook "json" format,
 * a file channel's line, a command's stdin. */
void hq_alert_render_json(const hq_alert_msg *m, hq_buf *out);
/* The webhook body in the channel's format (json, wecom or dingtalk). */
void hq_alert_render_webhook(const hq_alert_msg *m, hq_buf *out);
/* A complete RFC 5322 message with MIME headers, CRLF line ends: From
 * (the channel's), To, Subject (RFC 2047 UTF-8), Date (date_ms, local
 * time), Message-ID derived from the key, base64 UTF-8 text body. */
void hq_alert_render_mime(const hq_alert_msg *m, int64_t date_ms, hq_buf *out);

/* Helpers, exposed for tests. */
void hq_base64(const void *data, size_t len, hq_buf *out);
/* s as RFC 2047 "B" encoded-words of at most 64 bytes, never splitting a
 * UTF-8 sequence, folded with CRLF SP; plain ASCII text without "=?" is
 * copied as is. */
void hq_rfc2047(const char *s, hq_buf *out);
/* The localised names the templates use. */
const char *hq_alert_kind_name(const char *kind, hq_lang lang);
const char *hq_alert_severity_name(const char *severity, hq_lang lang);
const char *hq_alert_domain_name(const char *domain, hq_lang lang);

#endif
