/* schema.h - event-type schemas: loading schemas/<type>.yaml and validating
 * an event's data against them.
 *
 * The format is documented for producers in schemas/README.md.  A schema
 * names its type and lists the fields of `data`; each field has a type
 * (string, int, number, bool, enum, timestamp, map, array), is required
 * unless `optional: true`, may carry limits (min/max, min_length/max_length
 * in characters, min_items/max_items, enum values), nested `fields` (map)
 * or `items` (array), and `pii: true` for personal data.  A top-level
 * string field with `category_of: <field>` holds a category of the domain
 * in that (enum) field: the event decoder (event.h) accepts its code or
 * its label and refuses anything else.  A string field with `labels:
 * <class>` (a flat vocabulary class, vocab.h: items, checklists, ...)
 * holds codes issue texts show by their labels; any code is accepted (an
 * unlabelled one is shown as it is).  Fields not in the schema are
 * refused.
 *
 * A loaded hq_schemas owns everything in it; field and schema pointers are
 * views valid until hq_schemas_destroy().
 */
#ifndef HQ_SCHEMA_H
#define HQ_SCHEMA_H

#include "err.h"
#include "vocab.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    HQ_F_STRING,
    HQ_F_INT,
    HQ_F_NUMBER,
    HQ_F_BOOL,
    HQ_F_ENUM,
    HQ_F_TIMESTAMP, /* int, ms since the epoch */
    HQ_F_MAP,
    HQ_F_ARRAY,
} hq_ftype;

typedef struct hq_field hq_field;
struct hq_field {
    char *name;
    hq_ftype type;
    bool optional;
    bool pii;
    bool person;                  /* string: a person's id (rules' people:); issue texts show
                                   * the name (hq_rules_actor_name) */
    bool has_min, has_max;
    double min, max;              /* int, number, timestamp */
    size_t min_len, max_len;      /* string, in characters; max_len 0 = none */
    size_t min_items, max_items;  /* array; max_items 0 = none */
    char **values;                /* enum */
    size_t nvalues;
    hq_field *fields;             /* map */
    size_t nfields;
    hq_field *items;              /* array: the item's spec */
    char *unit;                   /* documentation only */
    char *category_of;            /* string: a complaint category of the domain in this sibling
                                   * field (vocab.h); its code or its label, mapped to the code */
    bool labelled;                /* string: labels names a vocabulary class (labels: items) */
    hq_label_class labels;        /* whose labels issue texts show for the code (issueflow.c) */
    size_t name_len;              /* strlen(name), for the validator's hot path */
};

typedef struct hq_schema {
    char *type;        /* "sensor.reading" */
    char *file;        /* where it came from */
    hq_field data;     /* type HQ_F_MAP: the fields of data */
} hq_schema;

typedef struct hq_schemas hq_schemas;

/* Loads every *.yaml in dir.  Every problem is added to diags with its
 * file:line:column; if there is any, nothing is returned (HQ_EINVAL). */
int hq_schemas_load_dir(const char *dir, hq_schemas **out, hq_diags *diags);
void hq_schemas_destroy(hq_schemas **s);
size_t hq_schemas_count(const hq_schemas *s);
const hq_schema *hq_schemas_at(const hq_schemas *s, size_t i);
const hq_schema *hq_schemas_find(const hq_schemas *s, const char *type, size_t len);

/* Validates data (a map) against the schema.  err->msg names the path
 * ("data.items.2.result: expected one of pass, fail, got \"ok\""). */
int hq_schema_validate(const hq_schema *s, const msgpack_object *data, hq_err *err);

/* The field at a dotted path below data ("site", "items.code"); array
 * levels are crossed by naming the item's fields directly. NULL if none. */
const hq_field *hq_schema_field(const hq_schema *s, const char *path);
const char *hq_ftype_name(hq_ftype t);

#endif
