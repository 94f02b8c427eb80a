/* report_html.h - self-contained HTML: the contractor
 * evaluation report (考评报告) with inline SVG charts.
 *
 * The documents load nothing: no scripts, no external style sheets, fonts
 * or images, no src/href/url() at all, so that they open and print the
 * same with no network (a browser test checks it).  Styles are inline in
 * <style>, with @page { size: A4 } for printing.  Charts are inline <svg>
 * elements with ids (chart-scores, chart-domains, chart-ontime), a <title>
 * and role="img"; every figure's numbers are also in a table.
 */
#ifndef HQ_REPORT_HTML_H
#define HQ_REPORT_HTML_H

#include "buf.h"
#include "evaluation.h"

/* The evaluation report of a finished hq_eval. */
void hq_eval_to_html(const hq_eval *e, hq_buf *out);

#endif
