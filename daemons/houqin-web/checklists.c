/* GET /api/v1/checklists: the office's inspection checklists (the rules'
 * `checklists` section, rules/README.md section 24) as JSON, for the
 * inspection apps that send inspection.submitted through the HTTP intake,
 * so that an app asks what houqin-web's own form asks:
 *
 *   Authorization: Bearer TOKEN    a client that may send inspection.submitted
 *   ?domain=catering               optional: only that domain's
 *
 * 200 {"checklists": [{"id", "label", "domain", "domain_label",
 *       "items": [{"code", "label", "standard", "severity"?}]}]}
 * in the order of the rules directory; "severity" is set on the items whose
 * failure the app should send with that severity.  401 without a known
 * token, 403 for a client that may not send inspections, 405 for anything
 * but GET. */
#include "web.h"

#include "json.h"
#include "vocab.h"

#include <string.h>

static void item_json(hq_buf *b, const hq_check_item *it, bool first)
{
    hq_buf_puts(b, first ? "{" : ",{");
    hq_json_key(b, "code", true);
    hq_json_cstr(b, it->code);
    hq_json_kstr(b, "label", hq_label(HQ_LBL_ITEM, it->code));
    hq_json_kstr(b, "standard", it->standard);
    if (it->has_severity)
        hq_json_kstr(b, "severity", hq_severity_name(it->severity));
    hq_buf_putc(b, '}');
}

static enum MHD_Result checklists(web_req *r)
{
    if (strcmp(r->method, "GET") != 0)
        return web_reply_json_error(r, 405, "method", "use GET");
    const web_client *cl = web_bearer_client(r);
    if (!cl)
        return web_reply_unauthorized(r);
    if (!web_client_may_send(cl, "inspection.submitted"))
        return web_reply_json_error(r, 403, "forbidden_type",
                                    "this client may not send inspection.submitted, so has no use for checklists");
    const char *domain = web_query(r, "domain");
    const hq_checklists *all = hq_rules_checklists(g_web->rules);
    hq_buf b;
    hq_buf_init(&b);
    hq_buf_puts(&b, "{\"checklists\":[");
    bool first = true;
    for (size_t i = 0; i < all->n; i++) {
        const hq_checklist *c = &all->v[i];
        if (domain && strcmp(domain, c->domain))
            continue;
        hq_buf_puts(&b, first ? "{" : ",{");
        first = false;
        hq_json_key(&b, "id", true);
        hq_json_cstr(&b, c->id);
        hq_json_kstr(&b, "label", hq_label(HQ_LBL_CHECKLIST, c->id));
        hq_json_kstr(&b, "domain", c->domain);
        hq_json_kstr(&b, "domain_label", hq_domain_label(c->domain));
        hq_json_key(&b, "items", false);
        hq_buf_putc(&b, '[');
        for (size_t j = 0; j < c->nitems; j++)
            item_json(&b, &c->items[j], j == 0);
        hq_buf_puts(&b, "]}");
    }
    hq_buf_puts(&b, "]}\n");
    enum MHD_Result ret = web_reply_buf(r, 200, "application/json; charset=utf-8", &b);
    hq_buf_fini(&b);
    return ret;
}

enum MHD_Result web_checklists(web_req *r)
{
    return web_with_clients(r, checklists);
}
