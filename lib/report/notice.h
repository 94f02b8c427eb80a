/* notice.h - the rectification notice of an issue (问题整改通知单), as
 * plain text and as printable, self-contained HTML (A4, Chinese).
 *
 * The notice holds the issue's number, the contractor, the site, the
 * problem (title and description), the evidence (the issue's timeline:
 * time, actor and what happened), the requirement, the deadline, the
 * contract clause of its penalty terms, the issuing office, the date
 * (the day the issue was opened, so a reprint carries the same date) and
 * lines for the signatures of the issuer, the contractor's receipt and the
 * recheck.  It goes to the contractor: personal data of complainants is
 * never in it.  Names come from the rules (the caller looks them up); a
 * NULL name prints the id.  The evidence names people as
 * hq_rules_actor_name does (系统, 监测数据, a person's name).
 */
#ifndef HQ_NOTICE_H
#define HQ_NOTICE_H

#include "buf.h"
#include "issue.h"
#include "rules.h"

typedef struct hq_notice_info {
    const char *office;           /* the issuing office (rules: office) */
    const char *contractor_name;
    const char *site_name;
    const hq_rules *org;          /* people's names in the evidence (NULL: ids) */
} hq_notice_info;

void hq_notice_text(const hq_issue *is, const hq_notice_info *info, hq_buf *out);
void hq_notice_html(const hq_issue *is, const hq_notice_info *info, hq_buf *out);

#endif
