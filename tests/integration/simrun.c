/* hq-simrun - the rule-test simulator (lib/replay/sim.h) on a kept state,
 * driven by a script, for the property test that compares it with houqind
 * on a manual clock (test_clock_equivalence.py).
 *
 *   hq-simrun --rules DIR --schemas DIR --state DIR --start MS < script
 *
 * The script has one operation per line:
 *   A MS          advance the clock to MS
 *   E MS JSON     the event JSON (an envelope: id, type, source, ts, data)
 *                 arrives at MS
 * and the state is left in DIR for houqinctl to read.  One line per event
 * on stdout: its status (stored, duplicate, rejected, refused).
 */
#include "json.h"
#include "rules.h"
#include "schema.h"
#include "sim.h"

#include "clock.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(const char *what, const char *msg)
{
    fprintf(stderr, "hq-simrun: %s: %s\n", what, msg);
    return 2;
}

int main(int argc, char **argv)
{
    const char *rules_dir = NULL, *schemas_dir = NULL, *state = NULL;
    int64_t start = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rules"))
            rules_dir = argv[i + 1];
        else if (!strcmp(argv[i], "--schemas"))
            schemas_dir = argv[i + 1];
        else if (!strcmp(argv[i], "--state"))
            state = argv[i + 1];
        else if (!strcmp(argv[i], "--start"))
            start = strtoll(argv[i + 1], NULL, 10);
    }
    if (!rules_dir || !schemas_dir || !state || start < 0)
        return die("usage", "--rules DIR --schemas DIR --state DIR --start MS < script");
    hq_diags d;
    hq_diags_init(&d);
    hq_schemas *schemas = NULL;
    hq_rules *rules = NULL;
    char b[1024];
    if (hq_schemas_load_dir(schemas_dir, &schemas, &d) != 0 || hq_rules_load(rules_dir, schemas, &rules, &d) != 0)
        return die("load", d.count ? hq_err_str(&d.items[0], b, sizeof b) : "?");
    hq_tz_set(hq_rules_timezone(rules));
    hq_sim *sim = NULL;
    hq_err err = {0};
    hq_sim_opts o = {.state_dir = state, .auth = HQ_AUTH_NONE}; /* judged as houqind judges */
    if (hq_sim_new(&o, schemas, rules, start, &sim, &err) != 0)
        return die("sim", err.msg);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, stdin)) > 0) {
        char *end;
        if (line[0] == 'A') {
            rc = hq_sim_advance(sim, strtoll(line + 2, &end, 10), NULL, &err);
        } else if (line[0] == 'E') {
            int64_t at = strtoll(line + 2, &end, 10);
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            if (hq_json_to_mp("event", end, strlen(end), &pk, &err) != 0) {
                msgpack_sbuffer_destroy(&sb);
                rc = -1;
                break;
            }
            hq_sim_result res;
            rc = hq_sim_event(sim, sb.data, sb.size, at, &res, &err);
            if (rc == 0)
                printf("%s\n", hq_sim_status_name(res.status));
            msgpack_sbuffer_destroy(&sb);
        }
    }
    free(line);
    if (rc == 0)
        rc = hq_sim_flush(sim, &err);
    hq_sim_destroy(&sim);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    hq_diags_fini(&d);
    return rc ? die("run", err.msg) : 0;
}
