/* fuzz_web_form: houqin-web's form parsers (form.c) and photo cleaner
 * (photo.c) on hostile bodies.  The first byte picks the parser:
 * even = application/x-www-form-urlencoded, odd = multipart/form-data with
 * the boundary "hqfuzz"; every file part then goes through
 * web_photo_clean, as a submitted photo would.
 *
 * Invariants: no crash, leak or hang; a refusal has a reason; at most
 * WEB_FORM_MAX_FIELDS fields; every field name is NUL-terminated within
 * its length; a cleaned photo is never longer than the input and starts
 * with the same magic. */
#include "fuzz.h"
#include "web.h"

web *g_web;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    web_form f;
    hq_err err = {0};
    int rc = (data[0] & 1) ? web_form_parse(body, len, "multipart/form-data; boundary=hqfuzz", &f, &err)
                           : web_form_parse(body, len, "application/x-www-form-urlencoded", &f, &err);
    if (rc) {
        HQ_FUZZ_CHECK(err.msg[0] != '\0', "refusal without a reason");
        return 0;
    }
    HQ_FUZZ_CHECK(f.n <= WEB_FORM_MAX_FIELDS, "%zu fields", f.n);
    for (size_t i = 0; i < f.n; i++) {
        HQ_FUZZ_CHECK(f.v[i].name != NULL && f.v[i].value != NULL, "field without name or value");
        HQ_FUZZ_CHECK(f.v[i].value[f.v[i].value_len] == '\0', "value not terminated");
        if (f.v[i].filename) {
            unsigned char *out;
            size_t ol;
            const char *kind;
            if (web_photo_clean((const unsigned char *)f.v[i].value, f.v[i].value_len, &out, &ol, &kind, &err) == 0) {
                HQ_FUZZ_CHECK(ol <= f.v[i].value_len, "cleaned photo grew: %zu > %zu", ol, f.v[i].value_len);
                HQ_FUZZ_CHECK(ol >= 2 && memcmp(out, f.v[i].value, 2) == 0, "magic changed");
                free(out);
            }
        }
    }
    /* the whole input as a photo too */
    unsigned char *out;
    size_t ol;
    const char *kind;
    if (web_photo_clean(data, size, &out, &ol, &kind, &err) == 0) {
        HQ_FUZZ_CHECK(ol <= size, "cleaned photo grew");
        free(out);
    }
    web_form_fini(&f);
    return 0;
}
