/* The intake body splitter (one event, an array, or JSON lines), pure:
 * shared by intake.c and tests/fuzz/fuzz_web_intake.c. */
#include "web.h"

#include "mem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

void web_intake_items_free(web_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref((json_t *)items[i].json);
    free(items);
}

static void push(web_item **items, size_t *n, size_t *cap, json_t *j, const char *err)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *items = hq_realloc(*items, *cap * sizeof **items);
        if (!*items)
            abort();
    }
    web_item *it = &(*items)[(*n)++];
    it->json = j;
    it->err[0] = '\0';
    if (err)
        snprintf(it->err, sizeof it->err, "%s", err);
}

int web_intake_split(const char *body, size_t len, web_item **items, size_t *n, hq_err *err)
{
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    size_t k = 0;
    while (k < len && (body[k] == ' ' || body[k] == '\t' || body[k] == '\r' || body[k] == '\n'))
        k++;
    if (k == len)
        return hq_err_set(err, HQ_EINVAL, "empty body: send one JSON event, an array of events, or JSON lines");
    json_error_t je;
    json_t *all = json_loadb(body, len, JSON_FLAGS, &je);
    if (all) {
        if (json_is_array(all)) {
            size_t i;
            json_t *v;
            if (json_array_size(all) == 0) {
                json_decref(all);
                return hq_err_set(err, HQ_EINVAL, "empty array: no events");
            }
            if (json_array_size(all) > WEB_MAX_EVENTS) {
                size_t m = json_array_size(all);
                json_decref(all);
                return hq_err_set(err, HQ_ELIMIT, "%zu events in one request, the limit is %d", m,
                                  WEB_MAX_EVENTS);
            }
            json_array_foreach(all, i, v)
            {
                json_incref(v);
                push(items, n, &cap, v, NULL);
            }
            json_decref(all);
        } else {
            push(items, n, &cap, all, NULL);
        }
        return 0;
    }
    /* Not one JSON value: JSON lines, each parsed alone. */
    size_t start = 0, lineno = 0;
    bool any = false;
    while (start < len) {
        const char *nl = memchr(body + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - body) : len;
        lineno++;
        size_t a = start, b = end;
        while (a < b && (body[a] == ' ' || body[a] == '\t' || body[a] == '\r'))
            a++;
        while (b > a && (body[b - 1] == ' ' || body[b - 1] == '\t' || body[b - 1] == '\r'))
            b--;
        if (b > a) {
            if (*n >= WEB_MAX_EVENTS) {
                web_intake_items_free(*items, *n);
                *items = NULL;
                *n = 0;
                return hq_err_set(err, HQ_ELIMIT, "more than %d events in one request", WEB_MAX_EVENTS);
            }
            json_error_t le;
            json_t *j = json_loadb(body + a, b - a, JSON_FLAGS, &le);
            if (j) {
                any = true;
                push(items, n, &cap, j, NULL);
            } else {
                char e[256];
                snprintf(e, sizeof e, "line %zu, column %d: %s", lineno, le.column, le.text);
                push(items, n, &cap, NULL, e);
            }
        }
        start = end + 1;
    }
    if (!any) {
        web_intake_items_free(*items, *n);
        *items = NULL;
        *n = 0;
        return hq_err_set(err, HQ_EINVAL, "not JSON: line %d, column %d: %s", je.line, je.column, je.text);
    }
    return 0;
}

