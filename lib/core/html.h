/* html.h - escaping text for HTML.  Every page and document that puts
 * text from events, rules or people into HTML goes through this.
 */
#ifndef HQ_HTML_H
#define HQ_HTML_H

#include "buf.h"

/* Appends s with &, <, >, " and ' escaped, safe in element content and in
 * quoted attribute values (NULL appends nothing). */
void hq_html_escape(hq_buf *b, const char *s);

#endif
