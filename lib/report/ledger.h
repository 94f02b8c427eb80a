/* ledger.h - the issue ledger (台账): one row per issue, as CSV or JSON,
 * and the words staff read in place of the stored codes.
 *
 * A row holds an issue's key fields, the times of its milestones (first
 * acknowledgement, last rectification feedback, closing) taken from its
 * timeline, and a summary of the timeline: one "time actor what" line per
 * entry, each `what` cut to HQ_LEDGER_WHAT_MAX bytes on a UTF-8 boundary.
 *
 * CSV follows RFC 4180: fields separated by commas, records ended by CRLF,
 * a field quoted when it holds a comma, a quote, CR or LF, or starts or
 * ends with a space, quotes doubled.  hq_ledger_csv_begin() writes the
 * UTF-8 byte order mark that spreadsheet programs need to read Chinese
 * text, then the header.  Times are local ("2026-03-09 10:15").
 *
 * Personal data: the complainant's contact (complaint_contact) is written
 * only when include_pii is true; otherwise "（已隐去）" (CSV) or "(redacted)"
 * (JSON) stands in its place when the issue has one, and the field is empty
 * when it has none.
 */
#ifndef HQ_LEDGER_H
#define HQ_LEDGER_H

#include "buf.h"
#include "issue.h"
#include "rules.h"

#include <stdbool.h>
#include <stdint.h>

#define HQ_LEDGER_WHAT_MAX 200

/* Names for a row, looked up by the caller in the rules (NULL: the id).
 * org names the people of the CSV's timeline summary (hq_rules_actor_name:
 * 系统, a person's name; NULL: ids); the JSON keeps ids, for programs. */
typedef struct hq_ledger_names {
    const char *contractor;
    const char *site;
    const hq_rules *org;
} hq_ledger_names;

/* Chinese labels: 餐饮, 严重, 已签收 ...; unknown domains come back as given. */
const char *hq_state_label(hq_issue_state s);

/* Appends one CSV field (quoted when RFC 4180 needs it); no separator. */
void hq_csv_field(hq_buf *b, const char *s);

/* BOM and header line. */
void hq_ledger_csv_begin(hq_buf *b);
void hq_ledger_csv_row(hq_buf *b, const hq_issue *is, const hq_ledger_names *names, bool include_pii);
/* One JSON object (no separator); see the key list in ledger.c. */
void hq_ledger_json_row(hq_buf *b, const hq_issue *is, const hq_ledger_names *names, bool include_pii);

#endif
