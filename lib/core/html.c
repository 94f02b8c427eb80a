/* html.c - HTML text escaping (html.h). */
#include "html.h"

void hq_html_escape(hq_buf *b, const char *s)
{
    if (!s)
        return;
    for (; *s; s++) {
        switch (*s) {
        case '&': hq_buf_puts(b, "&amp;"); break;
        case '<': hq_buf_puts(b, "&lt;"); break;
        case '>': hq_buf_puts(b, "&gt;"); break;
        case '"': hq_buf_puts(b, "&quot;"); break;
        case '\'': hq_buf_puts(b, "&#39;"); break;
        default: hq_buf_putc(b, *s); break;
        }
    }
}
