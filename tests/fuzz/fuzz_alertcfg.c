/* fuzz_alertcfg: houqin-alertd's configuration loader (channels, templates,
 * policies, people's channels and working hours) on a directory holding
 * one file (the input), then --check's analysis of what was loaded
 * (hq_alert_check: URLs, placeholders, paths) and a template lookup for
 * every audience, kind and language.  The corpus has the shipped
 * alerts.yaml and org.yaml, both in one file, and the shapes alertd's
 * tests use.
 *
 * Invariants: no crash, leak or hang; a refusal has at least one
 * diagnostic, each with a message, and no configuration; a loaded one has
 * channels with names and, per person entry, a channel of the
 * configuration; hq_alert_check's problem count equals the diagnostics it
 * added; every template lookup gives a subject and a body. */
#include "alert_check.h"
#include "alert_config.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    hq_fuzz_dir();
    return 0;
}

static void check_loaded(const hq_alert_config *c)
{
    size_t n = hq_alert_config_nchannels(c);
    for (size_t i = 0; i < n; i++) {
        const hq_channel *ch = hq_alert_config_channel_at(c, i);
        HQ_FUZZ_CHECK(ch->name && ch->name[0], "channel %zu without a name", i);
        HQ_FUZZ_CHECK(hq_alert_config_channel(c, ch->name) == ch, "channel %s not found by name", ch->name);
    }
    for (int a = 0; a < HQ_AUD_COUNT; a++)
        for (int l = 0; l < HQ_LANG_COUNT; l++)
            for (int k = -1; hq_alert_kinds[k + 1]; k++) {
                const hq_alert_tmpl *t =
                    hq_alert_config_template(c, (hq_audience)a, k < 0 ? NULL : hq_alert_kinds[k], (hq_lang)l);
                HQ_FUZZ_CHECK(t && t->subject && t->body, "template %d/%d/%d incomplete", a, l, k);
            }
    /* --check without the rules' people: the channels alone. */
    hq_diags problems, notes;
    hq_diags_init(&problems);
    hq_diags_init(&notes);
    size_t np = hq_alert_check(c, NULL, 0, &problems, &notes);
    HQ_FUZZ_CHECK(np == problems.count, "hq_alert_check said %zu problems, reported %zu", np, problems.count);
    for (size_t i = 0; i < problems.count; i++)
        HQ_FUZZ_CHECK(problems.items[i].msg[0] && strstr(problems.items[i].msg, "fix: "), "problem without a fix: %s",
                      problems.items[i].msg);
    hq_diags_fini(&problems);
    hq_diags_fini(&notes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hq_fuzz_write("alerts.yaml", data, size);
    hq_alert_config *c = NULL;
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_alert_config_load(hq_fuzz_dir(), &c, &d);
    hq_fuzz_note("  alertcfg: %s (%zu diagnostics)", rc == 0 ? "loaded" : d.count ? d.items[0].msg : "?", d.count);
    if (rc == 0) {
        HQ_FUZZ_CHECK(c != NULL, "loaded but no configuration");
        HQ_FUZZ_CHECK(d.count == 0, "loaded with %zu diagnostics", d.count);
        check_loaded(c);
        hq_alert_config_destroy(&c);
        HQ_FUZZ_CHECK(c == NULL, "destroy");
    } else {
        HQ_FUZZ_CHECK(c == NULL, "refused but returned a configuration");
        HQ_FUZZ_CHECK(d.count > 0, "refused with no diagnostic");
        for (size_t i = 0; i < d.count; i++)
            HQ_FUZZ_CHECK(d.items[i].msg[0], "empty diagnostic %zu", i);
    }
    hq_diags_fini(&d);
    return 0;
}
