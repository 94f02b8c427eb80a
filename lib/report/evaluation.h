/* evaluation.h - contractor evaluation (考评, R11): the scheme in the rules
 * directory, and the scores of a period computed from the issues.
 *
 * The scheme is the top-level `evaluation:` key of one file of the rules
 * directory (the shipped one is rules/evaluation.yaml, which documents
 * every key).  hq_eval_scheme_load() walks the directory as the rules
 * loader does (recursively, sorted, skipping tests/ and *.test.yaml), and
 * reports every problem as file:line:column before refusing the scheme.
 *
 * Points are kept in hundredths (int64 "cp") so that 0.5 points per
 * overdue day add up exactly.
 *
 * What counts, per contractor (issues with an empty contractor are the
 * office's own and count only in the per-domain series):
 *   - issues opened in the period, by severity, unless dismissed: closed
 *     without any rectification feedback (a false alarm, a duplicate, a
 *     withdrawn complaint);
 *   - of those, the ones whose category is a complaint category (confirmed
 *     complaints), a missed-inspection category, or a veto category;
 *   - timeline entries in the period (up to as_of): "reopened" (a failed
 *     recheck), "recurrence", "accountability";
 *   - overdue days: each overdue span (from an "overdue" entry to the next
 *     "rectified" or "closed", or as_of) clipped to the period, counted in
 *     days begun (ceil of 24 h units);
 *   - penalties assessed in the period, summed (reported, not deducted);
 *   - on-time rectification: of the confirmed issues opened in the period
 *     that were due by as_of (they became overdue, or were rectified or
 *     closed), those that never became overdue;
 *   - complainants' satisfaction (complaint.feedback, noted by the engine
 *     as "satisfied" or "unsolved" timeline entries): the answers in the
 *     period, and the complaint issues (a complaint category) closed in
 *     the period without an answer within HQ_EVAL_FEEDBACK_DAYS days of
 *     the closing (by as_of), which are taken as solved.  Rate =
 *     (solved + taken as solved) / all three; reported, not deducted.
 * score = max(floor, base - deductions); the grade is the first band whose
 * minimum the score reaches, or the veto grade when a veto applies.
 * Ranking: score descending, then contractor id; equal scores share a rank.
 */
#ifndef HQ_EVALUATION_H
#define HQ_EVALUATION_H

#include "buf.h"
#include "err.h"
#include "issue.h"
#include "period.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct hq_eval_term {
    char *id, *name;
    int64_t from_ms, to_ms;   /* [from, to) */
} hq_eval_term;

typedef struct hq_eval_grade {
    char *name;
    int64_t min_cp;
} hq_eval_grade;

typedef struct hq_strlist {
    char **v;
    size_t n;
} hq_strlist;

typedef struct hq_eval_scheme {
    char *name;
    char *file;                     /* where it was loaded from */
    int64_t base_cp, floor_cp;
    int64_t severity_cp[4];         /* per issue, by hq_severity */
    int64_t overdue_day_cp, failed_recheck_cp, recurrence_cp, complaint_cp, missed_inspection_cp,
        accountability_cp;
    hq_strlist complaint_categories, missed_inspection_categories, veto_categories;
    bool veto_accountability;
    char *veto_grade;               /* a grade name; default the lowest */
    hq_eval_grade *grades;          /* sorted by min_cp, highest first */
    size_t ngrades;
    hq_eval_term *terms;
    size_t nterms;
    /* The contractors of the rules directory (the `contractors:` lists,
     * id and name only; the rules loader checks the rest), so that one
     * with no issues is scored too. */
    struct hq_eval_party {
        char *id, *name;
    } *contractors;
    size_t ncontractors;
} hq_eval_scheme;

/* From a rules directory; exactly one file may hold `evaluation:`.  The
 * contractors are read from the same walk. */
/* The top-level section of a rules directory this loader reads
 * (NULL-terminated); listed in hq_rules_sections. */
extern const char *const hq_eval_sections[];

int hq_eval_scheme_load(const char *rules_dir, hq_eval_scheme **out, hq_diags *d);
/* From YAML text whose root map holds `evaluation:` (tests, tools). */
int hq_eval_scheme_load_buf(const char *name, const char *yaml, size_t len, hq_eval_scheme **out, hq_diags *d);
void hq_eval_scheme_destroy(hq_eval_scheme **s);

/* A month (2026-09) or a term id of the scheme (2026-autumn). */
int hq_eval_period(const hq_eval_scheme *s, const char *spec, hq_period *p, hq_err *err);

enum { HQ_EVAL_D_SEVERITY, HQ_EVAL_D_OVERDUE, HQ_EVAL_D_FAILED_RECHECK, HQ_EVAL_D_RECURRENCE, HQ_EVAL_D_COMPLAINT,
       HQ_EVAL_D_MISSED_INSPECTION, HQ_EVAL_D_ACCOUNTABILITY, HQ_EVAL_D_COUNT };
/* "severity", "overdue_days", ... (the JSON keys). */
const char *hq_eval_deduction_name(int d);
const char *hq_eval_deduction_label(int d);   /* Chinese */

typedef struct hq_eval_row {
    char *contractor, *name;
    int issues, dismissed;
    int by_severity[4];
    int overdue_days, failed_rechecks, recurrences, complaints, missed_inspections, accountability;
    int vetoes;
    int due, on_time;
    int fb_solved, fb_unsolved, fb_taken;  /* satisfaction: answers, and silence taken as solved */
    int64_t deduct_cp[HQ_EVAL_D_COUNT];
    int64_t deductions_cp, score_cp;
    const char *grade;                /* view into the scheme */
    int rank;
    int64_t penalties_cents;
} hq_eval_row;

/* Days after closing without an answer after which a complaint is taken
 * as solved (computed when read: the status page and the evaluation). */
#define HQ_EVAL_FEEDBACK_DAYS 7

typedef struct hq_eval hq_eval;

/* A computation over [p->from_ms, p->to_ms); as_of is "now" for spans and
 * due dates that are still open (the tool passes the state's clock). */
hq_eval *hq_eval_new(const hq_eval_scheme *s, const hq_period *p, const char *period_name, int64_t as_of_ms);
void hq_eval_destroy(hq_eval **e);
/* Registers a contractor (from the rules) so that it is scored even with
 * no issues; name may be NULL. */
void hq_eval_contractor(hq_eval *e, const char *id, const char *name);
/* Adds one issue (any issue: it decides itself what falls in the period). */
void hq_eval_add(hq_eval *e, const hq_issue *is);
/* Scores, grades and ranks; call once, after the last hq_eval_add. */
void hq_eval_finish(hq_eval *e);

size_t hq_eval_rows(const hq_eval *e, const hq_eval_row **rows);
const hq_period *hq_eval_get_period(const hq_eval *e);
const char *hq_eval_period_name(const hq_eval *e);
const hq_eval_scheme *hq_eval_get_scheme(const hq_eval *e);
int64_t hq_eval_as_of(const hq_eval *e);
/* The per-domain series: buckets are days for a period of at most 31
 * days, months otherwise; count(d, b) issues of domain d opened in bucket b. */
size_t hq_eval_buckets(const hq_eval *e);
const char *hq_eval_bucket_label(const hq_eval *e, size_t b);
size_t hq_eval_domains(const hq_eval *e);
const char *hq_eval_domain(const hq_eval *e, size_t d);
int hq_eval_count(const hq_eval *e, size_t d, size_t b);

/* Renderings.  Points as "84.50"; CSV with BOM and CRLF, ranked rows. */
void hq_eval_to_csv(const hq_eval *e, hq_buf *out);
void hq_eval_to_json(const hq_eval *e, hq_buf *out);
/* "84.50" */
void hq_eval_points(int64_t cp, char *buf, size_t size);
/* Appends a row's points by cause of deduction (HQ_EVAL_D_*) and then their
 * total, each as pre "84.50" post (",", "" in CSV; "<td>", "</td>" in HTML). */
void hq_eval_put_deductions(hq_buf *b, const hq_eval_row *r, const char *pre, const char *post);

#endif
