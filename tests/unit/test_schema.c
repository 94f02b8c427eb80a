/* test_schema.c - event schemas (lib/schema.c), as a specification.
 *
 * Loading: the shipped schemas/ load with no diagnostic and every example
 * in them validates; each directory under tests/data/schemas-bad/ is a
 * golden case whose file `expected` lists, in order, every diagnostic the
 * loader must give ("file:line:column: reason"), and nothing is loaded.
 *
 * Validation: tests/data/schemas-good/test.all.yaml uses the whole format;
 * each rejection reason is checked with its exact message, which is what a
 * producer reads in its "rejected" reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "hq_test.h"
#include "mp.h"
#include "schema.h"
#include "ytree.h"

static int chdir_data(void **state)
{
    (void)state;
    return chdir(hq_test_env("HQ_TEST_DATA"));
}

static hq_schemas *load_dir_ok(const char *dir)
{
    hq_schemas *s = NULL;
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_schemas_load_dir(dir, &s, &d);
    if (rc != 0 || d.count) {
        char buf[1024];
        for (size_t i = 0; i < d.count; i++)
            print_error("%s\n", hq_err_str(&d.items[i], buf, sizeof buf));
        fail_msg("%s: %zu diagnostics", dir, d.count);
    }
    hq_diags_fini(&d);
    return s;
}

/* ---- YAML example -> msgpack, the way a producer would send it ---- */

static void pack_ynode(msgpack_packer *pk, const hq_ynode *n)
{
    int64_t iv;
    double dv;
    switch (n->type) {
    case HQ_Y_MAP:
        msgpack_pack_map(pk, n->len);
        for (size_t i = 0; i < n->len; i++) {
            hq_test_pack_str(pk, hq_ymap_key(n, i)->str);
            pack_ynode(pk, hq_ymap_val(n, i));
        }
        return;
    case HQ_Y_SEQ:
        msgpack_pack_array(pk, n->len);
        for (size_t i = 0; i < n->len; i++)
            pack_ynode(pk, n->kids[i]);
        return;
    case HQ_Y_SCALAR:
        if (n->quoted)
            hq_test_pack_str(pk, n->str);
        else if (strcmp(n->str, "true") == 0)
            msgpack_pack_true(pk);
        else if (strcmp(n->str, "false") == 0)
            msgpack_pack_false(pk);
        else if (strcmp(n->str, "") == 0 || strcmp(n->str, "null") == 0 || strcmp(n->str, "~") == 0)
            msgpack_pack_nil(pk);
        else if (hq_parse_int64(n->str, &iv))
            msgpack_pack_int64(pk, iv);
        else if (hq_parse_double(n->str, &dv))
            msgpack_pack_double(pk, dv);
        else
            hq_test_pack_str(pk, n->str);
        return;
    }
}

/* Validates the `example` of the schema's own file against it. */
static void check_example(const hq_schema *sch)
{
    hq_ydoc *doc = NULL;
    hq_err err = {0};
    char buf[1024];
    assert_int_equal(hq_ydoc_load_file(sch->file, NULL, &doc, &err), 0);
    const hq_ynode *ex = hq_ymap_get(doc->root, "example");
    if (!ex)
        fail_msg("%s has no example", sch->file);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pack_ynode(&pk, ex);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object o;
    hq_mp_limits lim = hq_mp_default_limits;
    if (hq_mp_decode(sb.data, sb.size, &lim, &zone, &o, &err) != 0)
        fail_msg("%s: example does not decode: %s", sch->file, err.msg);
    if (hq_schema_validate(sch, &o, &err) != 0)
        fail_msg("%s:%d: example is rejected: %s", sch->file, ex->line, hq_err_str(&err, buf, sizeof buf));
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    hq_ydoc_destroy(&doc);
}

/* ---- loading ---- */

static void test_shipped_schemas_load_without_diagnostics(void **state)
{
    (void)state;
    hq_schemas *s = load_dir_ok(hq_test_env("HQ_TEST_SCHEMAS"));
    /* The types SPEC §2 names. */
    static const char *const types[] = {
        "sensor.reading",   "mealcard.transaction", "complaint.submitted", "inspection.submitted",
        "repair.requested", "repair.completed",     "vehicle.telemetry",   "procurement.delivery",
        "energy.outage",    "decision.task",        "decision.progress",   "issue.acknowledged",
        "issue.rectified",  "issue.rechecked",      "issue.comment",       "issue.closed",
        "issue.opinion",
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        const hq_schema *sch = hq_schemas_find(s, types[i], strlen(types[i]));
        if (!sch)
            fail_msg("no schema for %s", types[i]);
        assert_string_equal(sch->type, types[i]);
        assert_int_equal(sch->data.type, HQ_F_MAP);
    }
    assert_true(hq_schemas_count(s) >= sizeof types / sizeof *types);
    /* Lookups take a length: the type comes from a msgpack view. */
    assert_non_null(hq_schemas_find(s, "sensor.readingXYZ", 14));
    assert_null(hq_schemas_find(s, "sensor.reading", 13));
    assert_null(hq_schemas_find(s, "sensor.readings", 15));
    assert_null(hq_schemas_find(NULL, "sensor.reading", 14));
    hq_schemas_destroy(&s);
    assert_null(s);
    hq_schemas_destroy(&s);
}

static void test_every_shipped_example_validates(void **state)
{
    (void)state;
    hq_schemas *s = load_dir_ok(hq_test_env("HQ_TEST_SCHEMAS"));
    for (size_t i = 0; i < hq_schemas_count(s); i++)
        check_example(hq_schemas_at(s, i));
    hq_schemas_destroy(&s);
    s = load_dir_ok("schemas-good");
    check_example(hq_schemas_at(s, 0));
    hq_schemas_destroy(&s);
}

static void check_bad_case(const char *name)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "schemas-bad/%s", name);
    snprintf(path, sizeof path, "%s/expected", dir);
    char *want = hq_test_read_file(path);

    hq_schemas *s = (hq_schemas *)(uintptr_t)1; /* must stay untouched */
    hq_diags d;
    hq_diags_init(&d);
    assert_int_equal(hq_schemas_load_dir(dir, &s, &d), HQ_EINVAL);
    assert_ptr_equal(s, (hq_schemas *)(uintptr_t)1);
    hq_buf got;
    hq_buf_init(&got);
    char buf[1024];
    for (size_t i = 0; i < d.count; i++) {
        hq_buf_puts(&got, hq_err_str(&d.items[i], buf, sizeof buf));
        hq_buf_putc(&got, '\n');
    }
    if (strcmp(got.data ? got.data : "", want) != 0)
        fail_msg("%s:\n--- got:\n%s--- want:\n%s", dir, got.data ? got.data : "", want);
    assert_true(d.count > 0);
    hq_buf_fini(&got);
    hq_diags_fini(&d);
    free(want);
}

static void test_golden_bad_schema_dirs(void **state)
{
    (void)state;
    DIR *dh = opendir("schemas-bad");
    assert_non_null(dh);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        check_bad_case(de->d_name);
        n++;
    }
    closedir(dh);
    /* The loader findings this set pins down, by name. */
    static const char *const required[] = {
        "unknown-type",   "enum-values", "min-greater-than-max", "negative-limits", "keys-for-another-type",
        "yml-extension",  "type-mismatch", "structure",          "field-specs",     "yaml-errors",
        "no-yaml",        "nested",        "labels",
    };
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        char path[256];
        snprintf(path, sizeof path, "schemas-bad/%s/expected", required[i]);
        if (access(path, R_OK) != 0)
            fail_msg("missing golden case %s", path);
    }
    assert_true(n >= (int)(sizeof required / sizeof *required));
}

static void test_missing_and_empty_dirs(void **state)
{
    (void)state;
    hq_schemas *s = NULL;
    hq_diags d;
    hq_diags_init(&d);
    char buf[1024];
    assert_int_equal(hq_schemas_load_dir("schemas-none", &s, &d), HQ_EIO);
    assert_int_equal(d.count, 1);
    assert_string_equal(hq_err_str(&d.items[0], buf, sizeof buf),
                        "schemas-none: cannot open the schemas directory: No such file or directory");
    assert_null(s);
    hq_diags_fini(&d);

    char *dir = hq_test_tmpdir();
    hq_diags_init(&d);
    assert_int_equal(hq_schemas_load_dir(dir, &s, &d), HQ_EINVAL);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.items[0].msg, "no schemas (*.yaml) in the directory");
    assert_string_equal(d.items[0].file, dir);
    hq_diags_fini(&d);
    /* Hidden files are not schemas. */
    char path[4096];
    snprintf(path, sizeof path, "%s/.x.yaml", dir);
    hq_test_write_file(path, "garbage: [", 10);
    hq_diags_init(&d);
    assert_int_equal(hq_schemas_load_dir(dir, &s, &d), HQ_EINVAL);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.items[0].msg, "no schemas (*.yaml) in the directory");
    hq_diags_fini(&d);
    hq_test_rmtree(dir);
    free(dir);
}

static void test_loaded_fields_carry_the_spec(void **state)
{
    (void)state;
    hq_schemas *s = load_dir_ok("schemas-good");
    assert_int_equal(hq_schemas_count(s), 1);
    const hq_schema *sch = hq_schemas_find(s, "test.all", 8);
    assert_non_null(sch);
    assert_string_equal(sch->file, "schemas-good/test.all.yaml");
    assert_string_equal(sch->data.name, "data");

    const hq_field *f = hq_schema_field(sch, "site");
    assert_int_equal(f->type, HQ_F_STRING);
    assert_false(f->optional);
    assert_int_equal(f->min_len, 1);
    assert_int_equal(f->max_len, 16);
    f = hq_schema_field(sch, "temp");
    assert_int_equal(f->type, HQ_F_NUMBER);
    assert_true(f->has_min && f->min == -40);
    assert_true(f->has_max && f->max == 125.5);
    assert_string_equal(f->unit, "C");
    f = hq_schema_field(sch, "contact");
    assert_true(f->pii && f->optional);
    assert_false(f->person);
    f = hq_schema_field(sch, "inspector");
    assert_true(f->person && f->type == HQ_F_STRING);
    assert_false(f->labelled);
    /* labels: a vocabulary section whose labels issue texts show. */
    f = hq_schema_field(sch, "items[result=fail].code");
    assert_true(f->labelled && f->labels == HQ_LBL_ITEM);
    f = hq_schema_field(sch, "checklist");
    assert_true(f->labelled && f->labels == HQ_LBL_CHECKLIST);
    f = hq_schema_field(sch, "kind");
    assert_int_equal(f->type, HQ_F_ENUM);
    assert_int_equal(f->nvalues, 3);
    assert_string_equal(f->values[2], "c");
    f = hq_schema_field(sch, "big");
    assert_false(f->has_min || f->has_max);

    /* Paths cross arrays by naming the item's fields, or by an index. */
    assert_int_equal(hq_schema_field(sch, "items")->type, HQ_F_ARRAY);
    assert_int_equal(hq_schema_field(sch, "items")->min_items, 1);
    assert_int_equal(hq_schema_field(sch, "items")->max_items, 3);
    assert_int_equal(hq_schema_field(sch, "items.result")->type, HQ_F_ENUM);
    assert_ptr_equal(hq_schema_field(sch, "items.1.result"), hq_schema_field(sch, "items.result"));
    assert_int_equal(hq_schema_field(sch, "items.photos")->type, HQ_F_ARRAY);
    assert_int_equal(hq_schema_field(sch, "place.room")->type, HQ_F_STRING);
    assert_int_equal(hq_schema_field(sch, "matrix.0.1")->type, HQ_F_INT);
    assert_ptr_equal(hq_schema_field(sch, ""), &sch->data);
    /* A selector [field=value] picks an item by one of its text fields; an
     * enum's value must be one of its values (templates, README 6.1). */
    assert_ptr_equal(hq_schema_field(sch, "items[result=fail].code"), hq_schema_field(sch, "items.code"));
    assert_ptr_equal(hq_schema_field(sch, "items[code=fs.x]"), NULL); /* a dot ends the part */
    assert_ptr_equal(hq_schema_field(sch, "items[code=fs-x].result"), hq_schema_field(sch, "items.result"));
    assert_null(hq_schema_field(sch, "items[result=ok].code"));   /* not a value of the enum */
    assert_null(hq_schema_field(sch, "items[nosuch=fail].code")); /* not a field of the items */
    assert_null(hq_schema_field(sch, "items[photos=a].code"));    /* not a text field */
    assert_null(hq_schema_field(sch, "items[result].code"));      /* no value */
    assert_null(hq_schema_field(sch, "site[a=b]"));               /* not an array */
    assert_null(hq_schema_field(sch, "matrix[a=b]"));             /* not an array of maps */
    assert_null(hq_schema_field(sch, "items[result=fail].nosuch"));
    assert_null(hq_schema_field(sch, "nosuch"));
    assert_null(hq_schema_field(sch, "place.nosuch"));
    assert_null(hq_schema_field(sch, "site.x"));

    assert_string_equal(hq_ftype_name(HQ_F_STRING), "string");
    assert_string_equal(hq_ftype_name(HQ_F_TIMESTAMP), "timestamp");
    assert_string_equal(hq_ftype_name(HQ_F_ARRAY), "array");
    hq_schemas_destroy(&s);
}

/* ---- validation ---- */

typedef struct vstate {
    hq_schemas *schemas;
    const hq_schema *sch;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_zone zone;
} vstate;

static int vsetup(void **state)
{
    vstate *v = calloc(1, sizeof *v);
    if (!v || chdir(hq_test_env("HQ_TEST_DATA")) != 0)
        return -1;
    hq_diags d;
    hq_diags_init(&d);
    if (hq_schemas_load_dir("schemas-good", &v->schemas, &d) != 0)
        return -1;
    hq_diags_fini(&d);
    v->sch = hq_schemas_find(v->schemas, "test.all", 8);
    msgpack_sbuffer_init(&v->sb);
    msgpack_packer_init(&v->pk, &v->sb, msgpack_sbuffer_write);
    msgpack_zone_init(&v->zone, 4096);
    *state = v;
    return 0;
}

static int vteardown(void **state)
{
    vstate *v = *state;
    msgpack_zone_destroy(&v->zone);
    msgpack_sbuffer_destroy(&v->sb);
    hq_schemas_destroy(&v->schemas);
    free(v);
    return 0;
}

/* Starts a data map of n pairs whose first pair is the required site. */
static msgpack_packer *begin(vstate *v, unsigned extra_pairs)
{
    msgpack_sbuffer_clear(&v->sb);
    msgpack_pack_map(&v->pk, 1 + extra_pairs);
    hq_test_pack_str(&v->pk, "site");
    hq_test_pack_str(&v->pk, "canteen-1");
    return &v->pk;
}

/* Validates what was packed; returns 0 or checks the exact message. */
static void expect(vstate *v, const char *msg)
{
    msgpack_object o;
    hq_err err = {0};
    msgpack_zone_clear(&v->zone);
    hq_mp_limits lim = hq_mp_default_limits;
    assert_int_equal(hq_mp_decode(v->sb.data, v->sb.size, &lim, &v->zone, &o, &err), 0);
    int rc = hq_schema_validate(v->sch, &o, &err);
    if (!msg) {
        if (rc != 0)
            fail_msg("rejected: %s", err.msg);
        return;
    }
    assert_int_equal(rc, HQ_EINVAL);
    assert_int_equal(err.code, HQ_EINVAL);
    assert_string_equal(err.msg, msg);
}

static void test_valid_data_and_optional_fields(void **state)
{
    vstate *v = *state;
    begin(v, 0);
    expect(v, NULL);
    /* Optional fields may be nil: the same as absent. */
    msgpack_packer *pk = begin(v, 2);
    hq_test_pack_str(pk, "count");
    msgpack_pack_nil(pk);
    hq_test_pack_str(pk, "place");
    msgpack_pack_nil(pk);
    expect(v, NULL);
    /* Bounds are inclusive; an int is a number. */
    pk = begin(v, 3);
    hq_test_pack_str(pk, "count");
    msgpack_pack_int(pk, 10);
    hq_test_pack_str(pk, "temp");
    msgpack_pack_int(pk, -40);
    hq_test_pack_str(pk, "at_ms");
    msgpack_pack_uint64(pk, 4102444800000ULL);
    expect(v, NULL);
}

static void test_missing_field(void **state)
{
    vstate *v = *state;
    msgpack_sbuffer_clear(&v->sb);
    msgpack_pack_map(&v->pk, 0);
    expect(v, "data.site: missing required field");
    /* A required field sent as nil is missing a value of its type. */
    msgpack_sbuffer_clear(&v->sb);
    msgpack_pack_map(&v->pk, 1);
    hq_test_pack_str(&v->pk, "site");
    msgpack_pack_nil(&v->pk);
    expect(v, "data.site: expected a string, got nil");
    /* Inside a nested map. */
    msgpack_packer *pk = begin(v, 1);
    hq_test_pack_str(pk, "place");
    msgpack_pack_map(pk, 1);
    hq_test_pack_str(pk, "room");
    hq_test_pack_str(pk, "101");
    expect(v, "data.place.building: missing required field");
}

static void test_wrong_type(void **state)
{
    vstate *v = *state;
    msgpack_packer *pk = begin(v, 1);
    hq_test_pack_str(pk, "count");
    hq_test_pack_str(pk, "3");
    expect(v, "data.count: expected an integer, got a string");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "count");
    msgpack_pack_double(pk, 3.0);
    expect(v, "data.count: expected an integer, got a number");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "temp");
    msgpack_pack_true(pk);
    expect(v, "data.temp: expected a number, got a boolean");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "flag");
    msgpack_pack_int(pk, 1);
    expect(v, "data.flag: expected a boolean, got an integer");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "kind");
    msgpack_pack_int(pk, 1);
    expect(v, "data.kind: expected a string, got an integer");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "at_ms");
    msgpack_pack_double(pk, 1.5e12);
    expect(v, "data.at_ms: expected an integer, got a number");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "place");
    msgpack_pack_array(pk, 0);
    expect(v, "data.place: expected a map, got an array");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "items");
    msgpack_pack_map(pk, 0);
    expect(v, "data.items: expected an array, got a map");
    msgpack_sbuffer_clear(&v->sb);
    msgpack_pack_map(&v->pk, 1);
    hq_test_pack_str(&v->pk, "site");
    msgpack_pack_array(&v->pk, 0);
    expect(v, "data.site: expected a string, got an array");
}

static void test_out_of_range(void **state)
{
    vstate *v = *state;
    msgpack_packer *pk = begin(v, 1);
    hq_test_pack_str(pk, "count");
    msgpack_pack_int(pk, 11);
    expect(v, "data.count: 11 is above the maximum 10");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "count");
    msgpack_pack_int(pk, -1);
    expect(v, "data.count: -1 is below the minimum 0");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "temp");
    msgpack_pack_double(pk, -40.25);
    expect(v, "data.temp: -40.25 is below the minimum -40");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "temp");
    msgpack_pack_double(pk, 125.75);
    expect(v, "data.temp: 125.75 is above the maximum 125.5");
    /* Big integers print whole, not as 4.10245e+12. */
    pk = begin(v, 1);
    hq_test_pack_str(pk, "at_ms");
    msgpack_pack_uint64(pk, 4102444800001ULL);
    expect(v, "data.at_ms: 4102444800001 is above the maximum 4102444800000");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "big");
    msgpack_pack_uint64(pk, UINT64_MAX);
    expect(v, "data.big: 18446744073709551615 is too large for a 64-bit integer");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "big");
    msgpack_pack_int64(pk, INT64_MIN);
    expect(v, NULL);
}

static void test_unknown_enum_value(void **state)
{
    vstate *v = *state;
    msgpack_packer *pk = begin(v, 1);
    hq_test_pack_str(pk, "kind");
    hq_test_pack_str(pk, "d");
    expect(v, "data.kind: expected one of a, b, c, got \"d\"");
    /* Case-sensitive. */
    pk = begin(v, 1);
    hq_test_pack_str(pk, "kind");
    hq_test_pack_str(pk, "A");
    expect(v, "data.kind: expected one of a, b, c, got \"A\"");
    /* A long list is cut between values, and says so. */
    pk = begin(v, 1);
    hq_test_pack_str(pk, "sensor_kind");
    hq_test_pack_str(pk, "cold_room_temp");
    expect(v, "data.sensor_kind: expected one of cold_storage_temp, freezer_temp, sample_fridge_temp, "
              "prep_room_temp, room_humidity, uv_lamp_minutes, disinfection_temp, disinfection_minutes, "
              "food_core_temp, ..., got \"cold_room_temp\"");
    /* A long value is quoted up to 64 bytes, never in the middle of a
     * character, and says so. */
    char val[200] = "x";
    for (int i = 0; i < 30; i++)
        strcat(val, "\xe5\x86\xb7"); /* 冷: 1 + 90 bytes */
    pk = begin(v, 1);
    hq_test_pack_str(pk, "kind");
    hq_test_pack_str(pk, val);
    char want[300];
    snprintf(want, sizeof want, "data.kind: expected one of a, b, c, got \"%.*s...\"", 64, val);
    expect(v, want);
    assert_true(hq_utf8_valid(want, strlen(want)));
}

static void test_unknown_field(void **state)
{
    vstate *v = *state;
    msgpack_packer *pk = begin(v, 1);
    hq_test_pack_str(pk, "extra");
    msgpack_pack_int(pk, 1);
    expect(v, "data.extra: unknown field");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "place");
    msgpack_pack_map(pk, 2);
    hq_test_pack_str(pk, "building");
    hq_test_pack_str(pk, "B1");
    hq_test_pack_str(pk, "floor");
    msgpack_pack_int(pk, 3);
    expect(v, "data.place.floor: unknown field");
    /* Even when nil. */
    pk = begin(v, 1);
    hq_test_pack_str(pk, "extra");
    msgpack_pack_nil(pk);
    expect(v, "data.extra: unknown field");
    /* A long name is quoted up to 64 bytes, cut on a character boundary. */
    char name[200] = "";
    for (int i = 0; i < 30; i++)
        strcat(name, "\xe5\x86\xb7");
    pk = begin(v, 1);
    hq_test_pack_str(pk, name);
    msgpack_pack_int(pk, 1);
    char want[300];
    snprintf(want, sizeof want, "data.%.*s...: unknown field", 63, name);
    expect(v, want);
}

static void test_string_length_in_characters(void **state)
{
    vstate *v = *state;
    msgpack_packer *pk = begin(v, 1);
    hq_test_pack_str(pk, "label");
    hq_test_pack_str(pk, "abcdefghi");
    expect(v, "data.label: longer than 8 characters");
    pk = begin(v, 1);
    hq_test_pack_str(pk, "label");
    hq_test_pack_str(pk, "a");
    expect(v, "data.label: shorter than 2 characters");
    /* 8 characters of 3 bytes each: 24 bytes, within the limit. */
    pk = begin(v, 1);
    hq_test_pack_str(pk, "label");
    hq_test_pack_str(pk, "冷库温度超标冷库");
    expect(v, NULL);
    pk = begin(v, 1);
    hq_test_pack_str(pk, "label");
    hq_test_pack_str(pk, "冷库温度超标冷库冷");
    expect(v, "data.label: longer than 8 characters");
    msgpack_sbuffer_clear(&v->sb);
    msgpack_pack_map(&v->pk, 1);
    hq_test_pack_str(&v->pk, "site");
    hq_test_pack_str(&v->pk, "");
    expect(v, "data.site: shorter than 1 characters");
}

static void pack_item(msgpack_packer *pk, const char *code, const char *result)
{
    msgpack_pack_map(pk, 2);
    hq_test_pack_str(pk, "code");
    hq_test_pack_str(pk, code);
    hq_test_pack_str(pk, "result");
    hq_test_pack_str(pk, result);
}

static void test_arrays_and_nested_paths(void **state)
{
    vstate *v = *state;
    msgpack_packer *pk = begin(v, 1);
    hq_test_pack_str(pk, "items");
    msgpack_pack_array(pk, 2);
    pack_item(pk, "fs.a", "pass");
    pack_item(pk, "fs.b", "ok");
    expect(v, "data.items.1.result: expected one of pass, fail, got \"ok\"");

    pk = begin(v, 1);
    hq_test_pack_str(pk, "items");
    msgpack_pack_array(pk, 0);
    expect(v, "data.items: fewer than 1 items");

    pk = begin(v, 1);
    hq_test_pack_str(pk, "items");
    msgpack_pack_array(pk, 4);
    for (int i = 0; i < 4; i++)
        pack_item(pk, "fs.a", "pass");
    expect(v, "data.items: more than 3 items");

    pk = begin(v, 1);
    hq_test_pack_str(pk, "items");
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    hq_test_pack_str(pk, "code");
    hq_test_pack_str(pk, "fs.a");
    expect(v, "data.items.0.result: missing required field");

    /* items.N.photos.M: arrays inside arrays. */
    pk = begin(v, 1);
    hq_test_pack_str(pk, "items");
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 3);
    hq_test_pack_str(pk, "code");
    hq_test_pack_str(pk, "fs.a");
    hq_test_pack_str(pk, "result");
    hq_test_pack_str(pk, "fail");
    hq_test_pack_str(pk, "photos");
    msgpack_pack_array(pk, 2);
    hq_test_pack_str(pk, "p1.jpg");
    hq_test_pack_str(pk, "a-very-long-photo-name.jpg");
    expect(v, "data.items.0.photos.1: longer than 10 characters");

    pk = begin(v, 1);
    hq_test_pack_str(pk, "matrix");
    msgpack_pack_array(pk, 2);
    msgpack_pack_array(pk, 0);
    msgpack_pack_array(pk, 3);
    msgpack_pack_int(pk, 1);
    msgpack_pack_int(pk, 2);
    msgpack_pack_int(pk, -3);
    expect(v, "data.matrix.1.2: -3 is below the minimum 0");

    pk = begin(v, 1);
    hq_test_pack_str(pk, "items");
    msgpack_pack_array(pk, 1);
    msgpack_pack_nil(pk);
    expect(v, "data.items.0: expected a map, got nil");
}

static void test_shipped_schema_messages_match_the_readme(void **state)
{
    (void)state;
    /* schemas/README.md §1.3 quotes this one. */
    hq_schemas *s = load_dir_ok(hq_test_env("HQ_TEST_SCHEMAS"));
    const hq_schema *sch = hq_schemas_find(s, "inspection.submitted", 20);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    hq_test_pack_str(&pk, "kind");
    hq_test_pack_str(&pk, "spot");
    hq_test_pack_str(&pk, "domain");
    hq_test_pack_str(&pk, "catering");
    hq_test_pack_str(&pk, "site");
    hq_test_pack_str(&pk, "canteen-1");
    hq_test_pack_str(&pk, "inspector");
    hq_test_pack_str(&pk, "hq-cat-02");
    hq_test_pack_str(&pk, "items");
    msgpack_pack_array(&pk, 3);
    pack_item(&pk, "a", "pass");
    pack_item(&pk, "b", "fail");
    pack_item(&pk, "c", "ok");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object o;
    hq_err err = {0};
    assert_int_equal(hq_mp_decode(sb.data, sb.size, &hq_mp_default_limits, &zone, &o, &err), 0);
    assert_int_equal(hq_schema_validate(sch, &o, &err), HQ_EINVAL);
    assert_string_equal(err.msg, "data.items.2.result: expected one of pass, fail, got \"ok\"");
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    hq_schemas_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest loading[] = {
        cmocka_unit_test(test_shipped_schemas_load_without_diagnostics),
        cmocka_unit_test(test_every_shipped_example_validates),
        cmocka_unit_test(test_golden_bad_schema_dirs),
        cmocka_unit_test(test_missing_and_empty_dirs),
        cmocka_unit_test(test_loaded_fields_carry_the_spec),
        cmocka_unit_test(test_shipped_schema_messages_match_the_readme),
    };
    const struct CMUnitTest validation[] = {
        cmocka_unit_test_setup_teardown(test_valid_data_and_optional_fields, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_missing_field, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_wrong_type, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_out_of_range, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_unknown_enum_value, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_unknown_field, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_string_length_in_characters, vsetup, vteardown),
        cmocka_unit_test_setup_teardown(test_arrays_and_nested_paths, vsetup, vteardown),
    };
    int failed = cmocka_run_group_tests_name("schema loading", loading, chdir_data, NULL);
    failed += cmocka_run_group_tests_name("schema validation", validation, NULL, NULL);
    return failed;
}
