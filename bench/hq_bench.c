/* hq_bench.c - main() of hq-bench: option parsing and shared helpers.
 * See bench/README.md for what each mode measures. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage:\n"
    "  hq-bench load [--endpoint EP] [--events N] [--window W] [--rate R]\n"
    "                [--ids ordered|random] [--clients C] [--source NAME]\n"
    "                [--stall SECONDS] [--id-ms MS] [--seed N] [--json]\n"
    "      Sends N sensor.reading events to a houqind-compatible ROUTER and\n"
    "      prints events/s, ack latency percentiles and reply counts.\n"
    "      --id-ms fixes the ts of every event and the time part of ordered\n"
    "      ids, --seed the random ids: a second identical run then measures\n"
    "      the duplicate path (every reply \"duplicate\").\n"
    "      Defaults: tcp://127.0.0.1:7601, 100000 events, window 1000 per\n"
    "      client, rate 0 (full speed), ordered ids, 1 client, source hq-bench,\n"
    "      stall 30 s.  Exit 0 when every event got a reply, 1 when not,\n"
    "      3 when some were rejected, 2 on a usage error.\n"
    "  hq-bench reference --state DIR [--endpoint EP] [--events N] [--batch B]\n"
    "                [--map-gib G]\n"
    "      The bare reference consumer (decode, three LMDB puts per event,\n"
    "      durable group commit, ack).  Runs until SIGINT/SIGTERM or until N\n"
    "      events were stored, then prints its batch statistics.\n"
    "      Defaults: tcp://127.0.0.1:7601, batch 1000, map 16 GiB.\n"
    "  hq-bench compare [--houqind PATH --schemas DIR --rules DIR]\n"
    "                [--events N] [--rate R] [--paced-events M] [--window W]\n"
    "                [--paced-window W] [--clients C] [--runs LIST]\n"
    "                [--tmpdir DIR] [--hq-arg ARG]... [--json]\n"
    "      Measures the reference and houqind back to back on the same load\n"
    "      and prints houqind's figures as ratios to the reference's.  Without\n"
    "      --houqind only the reference is measured.  LIST is a comma list of\n"
    "      ordered, random, paced (default all three).  Defaults: 300000\n"
    "      events per full-speed run with window 1000; the paced run sends\n"
    "      10 s worth at 10000 events/s with window 10000; 1 client.\n";

int64_t hb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t hb_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hb_json_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int hb_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1000, end++;
    else if (*end == 'M')
        mul = 1000000, end++;
    if (errno || *end || v > UINT64_MAX / mul)
        return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

int hb_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* ---- option parsing ---- */

typedef struct args {
    int argc, i;
    char **argv;
    const char *mode;
    int bad; /* a usage error was printed */
} args;

/* True when argv[i] is option `name`; its value (from "--name=V" or the
 * next argument) goes to *val, and i advances past it. */
static bool opt(args *a, const char *name, const char **val)
{
    const char *s = a->argv[a->i];
    size_t n = strlen(name);
    if (strncmp(s, name, n) != 0)
        return false;
    if (s[n] == '=') {
        *val = s + n + 1;
        return true;
    }
    if (s[n] != 0)
        return false;
    if (a->i + 1 >= a->argc) {
        fprintf(stderr, "hq-bench %s: %s needs a value\n", a->mode, name);
        a->bad = 1;
        *val = NULL;
        return true;
    }
    *val = a->argv[++a->i];
    return true;
}

static bool flag(args *a, const char *name) { return strcmp(a->argv[a->i], name) == 0; }

/* Reports a bad value (v NULL: opt() already reported the missing one). */
static void bad_value(args *a, const char *name, const char *v, const char *want)
{
    a->bad = 1;
    if (!v)
        return;
    fprintf(stderr, "hq-bench %s: %s: expected %s, got \"%s\"\n", a->mode, name, want, v);
}

static void get_u64(args *a, const char *name, const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t x;
    if (!v || hb_parse_u64(v, &x) || x < min || x > max) {
        char want[96];
        snprintf(want, sizeof want, "an integer in %" PRIu64 "..%" PRIu64, min, max);
        bad_value(a, name, v, want);
        return;
    }
    *out = x;
}

static void get_uint(args *a, const char *name, const char *v, unsigned min, unsigned max, unsigned *out)
{
    uint64_t x = *out;
    get_u64(a, name, v, min, max, &x);
    *out = (unsigned)x;
}

static void get_rate(args *a, const char *name, const char *v, double *out)
{
    double x;
    if (!v || hb_parse_double(v, &x) || x > 1e8)
        bad_value(a, name, v, "events/s, 0..1e8 (0 = full speed)");
    else
        *out = x;
}

static void unknown(args *a)
{
    fprintf(stderr, "hq-bench %s: unknown option \"%s\"\n", a->mode, a->argv[a->i]);
    a->bad = 1;
}

static int load_main(args *a)
{
    hb_load_opts o = {.endpoint = "tcp://127.0.0.1:7601", .events = 100000, .window = 1000,
                      .ids = HB_IDS_ORDERED, .clients = 1, .source = "hq-bench", .stall_s = 30};
    bool json = false;
    const char *v;
    for (; a->i < a->argc && !a->bad; a->i++) {
        if (opt(a, "--endpoint", &v))
            o.endpoint = v;
        else if (opt(a, "--events", &v))
            get_u64(a, "--events", v, 1, 1000000000, &o.events);
        else if (opt(a, "--window", &v))
            get_uint(a, "--window", v, 1, 1000000, &o.window);
        else if (opt(a, "--rate", &v))
            get_rate(a, "--rate", v, &o.rate);
        else if (opt(a, "--clients", &v))
            get_uint(a, "--clients", v, 1, 256, &o.clients);
        else if (opt(a, "--source", &v))
            o.source = v;
        else if (opt(a, "--id-ms", &v)) {
            uint64_t ms = 0;
            get_u64(a, "--id-ms", v, 1, 0xffffffffffffull, &ms);
            o.id_ms = (int64_t)ms;
        } else if (opt(a, "--seed", &v))
            get_u64(a, "--seed", v, 1, UINT64_MAX, &o.seed);
        else if (opt(a, "--stall", &v)) {
            if (!v || hb_parse_double(v, &o.stall_s) || o.stall_s < 0.1)
                bad_value(a, "--stall", v, "seconds, at least 0.1");
        } else if (opt(a, "--ids", &v)) {
            if (v && strcmp(v, "ordered") == 0)
                o.ids = HB_IDS_ORDERED;
            else if (v && strcmp(v, "random") == 0)
                o.ids = HB_IDS_RANDOM;
            else
                bad_value(a, "--ids", v, "ordered or random");
        } else if (flag(a, "--json"))
            json = true;
        else
            unknown(a);
    }
    if (!a->bad && o.events < o.clients)
        bad_value(a, "--events", "", "at least one event per client");
    if (a->bad)
        return 2;
    hb_load_result r;
    int rc = hb_load_run(&o, &r);
    hb_load_print(json ? stderr : stdout, "load", &o, &r);
    if (json) {
        printf("{\"mode\":\"load\",\"endpoint\":");
        hb_json_str(stdout, o.endpoint, strlen(o.endpoint));
        putchar(',');
        hb_load_print_json_members(stdout, &o, &r);
        printf("}\n");
    }
    return rc ? 1 : r.rejected ? 3 : 0;
}

static int reference_main(args *a)
{
    hb_ref_opts o = {.endpoint = "tcp://127.0.0.1:7601", .max_batch = 1000};
    uint64_t gib = 16;
    const char *v;
    for (; a->i < a->argc && !a->bad; a->i++) {
        if (opt(a, "--endpoint", &v))
            o.endpoint = v;
        else if (opt(a, "--state", &v))
            o.state = v;
        else if (opt(a, "--events", &v))
            get_u64(a, "--events", v, 0, UINT64_MAX / 2, &o.exit_after);
        else if (opt(a, "--batch", &v))
            get_uint(a, "--batch", v, 1, 100000, &o.max_batch);
        else if (opt(a, "--map-gib", &v))
            get_u64(a, "--map-gib", v, 1, 1024, &gib);
        else
            unknown(a);
    }
    if (!a->bad && !o.state) {
        fprintf(stderr, "hq-bench reference: --state DIR is required\n");
        a->bad = 1;
    }
    if (a->bad)
        return 2;
    o.map_size = gib << 30;
    return hb_reference_main(&o);
}

/* Path of this executable, for starting the reference as a child. */
static const char *self_path(const char *argv0)
{
    static char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return argv0;
    buf[n] = 0;
    return buf;
}

#define MAX_HQ_ARGS 16
static const char *hq_args[MAX_HQ_ARGS + 1];

static int compare_main(args *a)
{
    hb_compare_opts o = {.events = 300000, .rate = 10000, .window = 1000, .paced_window = 10000,
                         .clients = 1, .runs = "ordered,random,paced", .self = self_path(a->argv[0])};
    const char *v;
    unsigned nhq = 0;
    o.tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (; a->i < a->argc && !a->bad; a->i++) {
        if (opt(a, "--houqind", &v))
            o.houqind = v;
        else if (opt(a, "--schemas", &v))
            o.schemas = v;
        else if (opt(a, "--rules", &v))
            o.rules = v;
        else if (opt(a, "--tmpdir", &v))
            o.tmp = v;
        else if (opt(a, "--events", &v))
            get_u64(a, "--events", v, 1, 1000000000, &o.events);
        else if (opt(a, "--paced-events", &v))
            get_u64(a, "--paced-events", v, 1, 1000000000, &o.paced_events);
        else if (opt(a, "--rate", &v))
            get_rate(a, "--rate", v, &o.rate);
        else if (opt(a, "--window", &v))
            get_uint(a, "--window", v, 1, 1000000, &o.window);
        else if (opt(a, "--paced-window", &v))
            get_uint(a, "--paced-window", v, 1, 1000000, &o.paced_window);
        else if (opt(a, "--clients", &v))
            get_uint(a, "--clients", v, 1, 256, &o.clients);
        else if (opt(a, "--runs", &v))
            o.runs = v ? v : "";
        else if (opt(a, "--hq-arg", &v)) {
            if (nhq < MAX_HQ_ARGS && v)
                hq_args[nhq++] = v;
            else
                bad_value(a, "--hq-arg", v, "at most 16 of them");
        } else if (flag(a, "--json"))
            o.json = true;
        else
            unknown(a);
    }
    if (!a->bad && o.houqind && (!o.schemas || !o.rules)) {
        fprintf(stderr, "hq-bench compare: --houqind needs --schemas DIR and --rules DIR\n");
        a->bad = 1;
    }
    if (!a->bad && o.rate <= 0)
        bad_value(a, "--rate", "0", "a rate above 0 for the paced run");
    if (a->bad)
        return 2;
    o.hq_args = hq_args;
    return hb_compare_main(&o);
}

int main(int argc, char **argv)
{
    args a = {.argc = argc, .argv = argv, .i = 2, .mode = argc > 1 ? argv[1] : ""};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    int rc;
    if (strcmp(a.mode, "load") == 0)
        rc = load_main(&a);
    else if (strcmp(a.mode, "reference") == 0)
        rc = reference_main(&a);
    else if (strcmp(a.mode, "compare") == 0)
        rc = compare_main(&a);
    else {
        fprintf(stderr, "hq-bench: unknown mode \"%s\"\n%s", a.mode, usage_text);
        return 2;
    }
    if (rc == 2)
        fprintf(stderr, "Try 'hq-bench --help'.\n");
    return rc;
}
