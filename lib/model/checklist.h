/* checklist.h - the inspection checklists of the rules directory: what an
 * inspector is asked to check, per checklist, in the order of the form.
 *
 *   checklists:
 *     food_safety_daily:                 # the checklist id (a vocabulary label)
 *       domain: catering                 # the domain whose sites it is for
 *       items:                           # item code: the standard, in words
 *         fs.cold_storage_temp: 冷库、冷藏设备温度正常（0–8℃）
 *         fs.core_temp: {standard: 食品中心温度达到 70℃ 以上, severity: high}
 *
 * The long form gives a failed item its severity (a serious control).
 * houqin-web's inspection form offers the checklists of the site's domain
 * and sends the one chosen as inspection.submitted's `checklist`, each
 * item with its code, the standard as `title` and the result; rules see
 * the codes (data.checklist, data.items[].code).  Inspection apps may send
 * other checklists and items: these are the office's own forms, not an
 * enumeration of what events may carry. */
#ifndef HQ_CHECKLIST_H
#define HQ_CHECKLIST_H

#include "err.h"
#include "vocab.h"
#include "ytree.h"

#include <stddef.h>

typedef struct hq_check_item {
    char *code;      /* fs.sample_retention */
    char *standard;  /* 食品留样完整（每样不少于 125 克，留存 48 小时） */
    bool has_severity;
    hq_severity severity; /* sent with a failed item: a serious control */
} hq_check_item;

typedef struct hq_checklist {
    char *id, *domain;
    hq_check_item *items;
    size_t nitems;
    char *file;              /* where it is defined, for diagnostics */
    int line, column;
} hq_checklist;

typedef struct hq_checklists {
    hq_checklist *v;
    size_t n;
} hq_checklists;

#define HQ_CHECKLIST_ITEMS_MAX 60
#define HQ_CHECK_STANDARD_MAX 300 /* bytes of an item's standard */

/* Adds the checklists of one `checklists:` mapping to cl; every problem
 * goes to d (an id defined twice, in two files: YAML itself refuses a key
 * twice in one map; a missing domain, an empty item list, a bad code, a
 * standard that is not one line of text). */
void hq_checklists_parse(hq_checklists *cl, const hq_ydoc *doc, const hq_ynode *n, hq_diags *d);
void hq_checklists_fini(hq_checklists *cl);
/* The checklist id, or NULL. */
const hq_checklist *hq_checklist_find(const hq_checklists *cl, const char *id);

#endif
