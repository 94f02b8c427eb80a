/* fuzz_control: the control protocol's decoding, as houqind's handle_one()
 * (daemons/houqind/control.c) and houqinctl do it: hq_mp_decode() with the
 * control limits (hq_mp_default_limits), the "cmd" lookup against the
 * command table, the argument reads (ms, from, to), and the JSON rendering
 * houqinctl prints replies with.  The command handlers need a live daemon
 * and are not reached here; the integration tests cover them.
 *
 * Invariants: no crash, leak or unbounded allocation; a refusal has a
 * UTF-8 reason; a decoded frame renders as valid UTF-8 JSON. */
#include "fuzz.h"
#include "json.h"
#include "mp.h"

static const char *const commands[] = {"status", "clock.set", "clock.advance", "reload", "outbox.range", NULL};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object root;
    hq_err err = {0};
    int rc = hq_mp_decode((const char *)data, size, &hq_mp_default_limits, &zone, &root, &err);
    hq_fuzz_note("  control: %s", rc == 0 ? "decoded" : err.msg);
    if (rc != 0) {
        HQ_FUZZ_CHECK(err.msg[0], "refused with no reason");
        HQ_FUZZ_CHECK(hq_utf8_valid(err.msg, strlen(err.msg)), "reason not UTF-8: %s", err.msg);
        HQ_FUZZ_CHECK(hq_mp_prescan((const char *)data, size, &hq_mp_default_limits, NULL) != 0 ||
                          rc == HQ_EINVAL,
                      "rc %d", rc);
    } else {
        HQ_FUZZ_CHECK(hq_mp_prescan((const char *)data, size, &hq_mp_default_limits, NULL) == 0,
                      "decoded a frame the pre-scan refuses");
        if (root.type == MSGPACK_OBJECT_MAP) {
            const msgpack_object *cmd = hq_mp_map_get(&root, "cmd");
            for (const char *const *c = commands; *c; c++)
                if (hq_mp_str_eq(cmd, *c))
                    break;
            char *s = hq_mp_strdup(cmd);
            if (cmd && cmd->type == MSGPACK_OBJECT_STR)
                HQ_FUZZ_CHECK(s && strlen(s) <= cmd->via.str.size, "strdup");
            free(s);
            int64_t iv;
            double dv;
            const char *const keys[] = {"ms", "from", "to"};
            for (size_t i = 0; i < 3; i++) {
                const msgpack_object *o = hq_mp_map_get(&root, keys[i]);
                if (hq_mp_int64(o, &iv))
                    HQ_FUZZ_CHECK(hq_mp_number(o, &dv), "an int64 that is not a number");
            }
            (void)hq_mp_path(&root, "args.0.x");
            (void)hq_mp_path(&root, "data.items.3.code");
        }
        hq_buf b;
        hq_buf_init(&b);
        hq_json_from_mp(&b, &root);
        HQ_FUZZ_CHECK(hq_utf8_valid(b.data, b.len), "JSON rendering is not UTF-8");
        hq_buf_fini(&b);
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
