/* hqb.c - helpers shared by hq-rules-bench, hq-timers-bench and
 * hq-schedule-bench (see hqb.h). */
#include "hqb.h"

#include "clock.h"
#include "mp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* ---- clocks, numbers ---- */

int64_t hqb_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t hqb_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void hqb_sort(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
}

double hqb_pct(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

double hqb_median(const double *v, size_t n)
{
    if (n == 0)
        return 0;
    double *c = malloc(n * sizeof *c);
    memcpy(c, v, n * sizeof *c);
    hqb_sort(c, n);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

double hqb_min(const double *v, size_t n)
{
    double m = n ? v[0] : 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

double hqb_max(const double *v, size_t n)
{
    double m = n ? v[0] : 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

int hqb_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (*end == 'k' || *end == 'K') {
        v *= 1000;
        end++;
    } else if (*end == 'M') {
        v *= 1000000;
        end++;
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int hqb_parse_set(const char *arg, hqb_set *sets, int *n)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || *n >= HQB_MAX_SETS) {
        fprintf(stderr, "--set: expected NAME=DIR (at most %d)\n", HQB_MAX_SETS);
        return -1;
    }
    snprintf(sets[*n].name, sizeof sets[*n].name, "%.*s", (int)(eq - arg), arg);
    sets[*n].dir = eq + 1;
    (*n)++;
    return 0;
}

/* ---- files ---- */

int hqb_mkdirs(const char *path)
{
    char p[HQB_PATH];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    }
    return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int hqb_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[HQB_PATH];
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        if (hqb_rmtree(p) != 0)
            rc = -1;
    }
    closedir(d);
    if (rmdir(path) != 0)
        rc = -1;
    return rc;
}

int hqb_copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(dst, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

int hqb_copy_rules(const char *src, const char *dst)
{
    if (hqb_mkdirs(dst) != 0)
        return -1;
    DIR *d = opendir(src);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && rc == 0) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, "tests"))
            continue;
        char s[HQB_PATH], t[HQB_PATH];
        snprintf(s, sizeof s, "%s/%s", src, de->d_name);
        snprintf(t, sizeof t, "%s/%s", dst, de->d_name);
        struct stat st;
        if (stat(s, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = hqb_copy_rules(s, t);
        else if (ends_with(de->d_name, ".yaml") && !ends_with(de->d_name, ".test.yaml"))
            rc = hqb_copy_file(s, t);
    }
    closedir(d);
    return rc;
}

int hqb_copy_registry(const char *src, const char *dst)
{
    static const char *const files[] = {"org.yaml", "escalation.yaml", "contractors.yaml", "calendar.yaml"};
    if (hqb_mkdirs(dst) != 0)
        return -1;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char s[HQB_PATH], t[HQB_PATH];
        snprintf(s, sizeof s, "%s/%s", src, files[i]);
        snprintf(t, sizeof t, "%s/%s", dst, files[i]);
        if (hqb_copy_file(s, t) != 0) {
            fprintf(stderr, "cannot copy %s to %s: %s\n", s, t, strerror(errno));
            return -1;
        }
    }
    return 0;
}

char *hqb_mkdtemp(const char *parent, const char *prefix)
{
    char *p = malloc(HQB_PATH);
    snprintf(p, HQB_PATH, "%s/%sXXXXXX", parent, prefix);
    if (!mkdtemp(p)) {
        fprintf(stderr, "mkdtemp %s: %s\n", p, strerror(errno));
        free(p);
        return NULL;
    }
    return p;
}

int64_t hqb_disk_bytes(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_blocks * 512;
}

int hqb_drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    fdatasync(fd);
    int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    return rc;
}

FILE *hqb_fopen_w(const char *dir, const char *name)
{
    char p[HQB_PATH];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        fprintf(stderr, "cannot write %s: %s\n", p, strerror(errno));
    return f;
}

/* ---- child processes ---- */

pid_t hqb_spawn(char *const argv[], int *out_fd, const char *stderr_path)
{
    int p[2] = {-1, -1};
    if (out_fd && pipe(p) != 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        if (out_fd) {
            dup2(p[1], 1);
            close(p[0]);
            close(p[1]);
        }
        if (stderr_path) {
            int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 2);
                close(fd);
            }
        }
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (out_fd) {
        close(p[1]);
        *out_fd = p[0];
    }
    return pid;
}

int hqb_stop(pid_t pid, double timeout_s, struct rusage *ru)
{
    struct rusage dummy;
    if (!ru)
        ru = &dummy;
    int st;
    kill(pid, SIGTERM);
    int64_t end = hqb_mono_ns() + (int64_t)(timeout_s * 1e9);
    for (;;) {
        pid_t r = wait4(pid, &st, WNOHANG, ru);
        if (r == pid)
            return st;
        if (r < 0)
            return -1;
        if (hqb_mono_ns() > end)
            break;
        usleep(5000);
    }
    fprintf(stderr, "child %d did not stop within %.0f s: SIGKILL\n", (int)pid, timeout_s);
    kill(pid, SIGKILL);
    return wait4(pid, &st, 0, ru) == pid ? st : -1;
}

int hqb_wait(pid_t pid, struct rusage *ru)
{
    struct rusage dummy;
    int st;
    if (wait4(pid, &st, 0, ru ? ru : &dummy) != pid)
        return -1;
    return st;
}

char *hqb_read_all(int fd)
{
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (n + 1024 > cap)
            b = realloc(b, cap *= 2);
        ssize_t r = read(fd, b + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    b[n] = 0;
    close(fd);
    return b;
}

const char *hqb_last_json(const char *s)
{
    const char *last = NULL;
    for (const char *p = s; p && *p;) {
        if (*p == '{')
            last = p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return last;
}

bool hqb_json_num(const char *json, const char *key, double *out)
{
    if (!json)
        return false;
    char k[128];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    if (!p)
        return false;
    char *end;
    double v = strtod(p + strlen(k), &end);
    if (end == p + strlen(k))
        return false;
    *out = v;
    return true;
}

void hqb_tail(FILE *f, const char *path, int n, const char *prefix)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return;
    char *lines[64] = {0};
    if (n > 64)
        n = 64;
    char buf[2048];
    int i = 0;
    while (fgets(buf, sizeof buf, in)) {
        free(lines[i % n]);
        lines[i % n] = strdup(buf);
        i++;
    }
    fclose(in);
    for (int j = i > n ? i - n : 0; j < i; j++) {
        fprintf(f, "%s%s", prefix, lines[j % n]);
        free(lines[j % n]);
        lines[j % n] = NULL;
    }
    for (int j = 0; j < n; j++)
        free(lines[j]);
}

/* ---- /proc ---- */

/* The sum of every thread's run time (/proc/pid/task/N/schedstat, in ns). */
static double cpu_schedstat(pid_t pid)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/task", (int)pid);
    DIR *d = opendir(p);
    if (!d)
        return -1;
    struct dirent *de;
    double total = 0;
    bool any = false;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char f[320];
        snprintf(f, sizeof f, "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
        FILE *in = fopen(f, "r");
        unsigned long long ns;
        if (in && fscanf(in, "%llu", &ns) == 1) {
            total += (double)ns / 1e9;
            any = true;
        }
        if (in)
            fclose(in);
    }
    closedir(d);
    return any ? total : -1;
}

double hqb_proc_cpu_s(pid_t pid)
{
    double ss = cpu_schedstat(pid);
    if (ss >= 0)
        return ss;

    char p[64], buf[2048];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *s = strrchr(buf, ')');
    if (!s)
        return -1;
    unsigned long utime = 0, stime = 0;
    /* fields 3.. after the comm: state ppid pgrp session tty tpgid flags
     * minflt cminflt majflt cmajflt utime stime */
    if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

long hqb_proc_kib(pid_t pid, const char *field)
{
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1;
    size_t fl = strlen(field);
    long v = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, field, fl) && line[fl] == ':') {
            v = strtol(line + fl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

double hqb_loadavg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

long hqb_proc_ctxsw(pid_t pid)
{
    long a = hqb_proc_kib(pid, "voluntary_ctxt_switches"), b = hqb_proc_kib(pid, "nonvoluntary_ctxt_switches");
    return a < 0 || b < 0 ? -1 : a + b;
}

/* ---- houqind ---- */

int hqb_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int hqb_hq_start(hqb_hq *h, const char *houqind, const char *state, const char *rules, const char *schemas,
                 const char *rundir, const char *const *extra)
{
    memset(h, 0, sizeof *h);
    int port = hqb_free_port();
    if (port < 0)
        return -1;
    snprintf(h->ingest, sizeof h->ingest, "tcp://127.0.0.1:%d", port);
    snprintf(h->control, sizeof h->control, "ipc://%s/ctl", rundir);
    snprintf(h->publish, sizeof h->publish, "ipc://%s/pub", rundir);
    snprintf(h->errlog, sizeof h->errlog, "%s/houqind.log", rundir);
    const char *argv[40];
    int n = 0;
    argv[n++] = houqind;
    argv[n++] = "--state";
    argv[n++] = state;
    argv[n++] = "--rules";
    argv[n++] = rules;
    argv[n++] = "--schemas";
    argv[n++] = schemas;
    argv[n++] = "--ingest";
    argv[n++] = h->ingest;
    argv[n++] = "--control";
    argv[n++] = h->control;
    argv[n++] = "--publish";
    argv[n++] = h->publish;
    for (int i = 0; extra && extra[i] && n < 38; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    h->started_ns = hqb_mono_ns();
    h->pid = hqb_spawn((char *const *)argv, NULL, h->errlog);
    return h->pid > 0 ? 0 : -1;
}

static void *dealer(void *zctx, const char *ep)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int zero = 0, ivl = 10;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    if (zmq_connect(s, ep) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

static void num(const msgpack_object *map, const char *k, double *out)
{
    const msgpack_object *o = hq_mp_map_get(map, k);
    *out = 0;
    if (o)
        hq_mp_number(o, out);
}

static int status_recv(void *s, int timeout_ms, hqb_status *st)
{
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return -1;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s, 0) < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object o;
    hq_err err;
    int rc = -1;
    hq_mp_limits lim = hq_mp_default_limits;
    if (hq_mp_decode(zmq_msg_data(&m), zmq_msg_size(&m), &lim, &zone, &o, &err) == 0 &&
        o.type == MSGPACK_OBJECT_MAP) {
        if (st) {
            num(&o, "clock_ms", &st->clock_ms);
            num(&o, "issues", &st->issues);
            num(&o, "timers", &st->timers);
            num(&o, "open_issues", &st->open_issues);
            num(&o, "stored", &st->stored);
            num(&o, "duplicate", &st->duplicate);
            num(&o, "rejected", &st->rejected);
            num(&o, "batches", &st->batches);
            num(&o, "timers_fired", &st->timers_fired);
            num(&o, "rules", &st->rules);
        }
        rc = 0;
    }
    msgpack_zone_destroy(&zone);
    zmq_msg_close(&m);
    return rc;
}

static void send_status(void *s)
{
    /* {"cmd": "status"} */
    static const char req[] = "\x81\xa3" "cmd" "\xa6" "status";
    zmq_send(s, req, sizeof req - 1, 0);
}

int hqb_status_get(void *zctx, const char *control, int timeout_ms, hqb_status *st)
{
    void *s = dealer(zctx, control);
    if (!s)
        return -1;
    send_status(s);
    int rc = status_recv(s, timeout_ms, st);
    zmq_close(s);
    return rc;
}

static bool contains(const char *b, size_t n, const char *w)
{
    size_t m = strlen(w);
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(b + i, w, m))
            return true;
    return false;
}

int hqb_probe(void *zctx, const char *ingest, int timeout_ms)
{
    void *s = dealer(zctx, ingest);
    if (!s)
        return -1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char id[64];
    snprintf(id, sizeof id, "probe-%lld", (long long)hqb_wall_us());
    hqb_pack_reading(&sb, id, "hqb-probe", hqb_wall_us() / 1000, "cs-001", "cold_storage_temp", 4.5, "canteen-1");
    zmq_send(s, sb.data, sb.size, 0);
    msgpack_sbuffer_destroy(&sb);
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    int rc = -1;
    if (zmq_poll(&it, 1, timeout_ms) > 0) {
        char buf[512];
        int n = zmq_recv(s, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n < (int)sizeof buf - 1 ? n : (int)sizeof buf - 1] = 0;
            /* the reply map holds "stored" or "duplicate" as the status */
            if (contains(buf, (size_t)n, "stored") || contains(buf, (size_t)n, "duplicate"))
                rc = 0;
        }
    }
    zmq_close(s);
    return rc;
}

int hqb_hq_wait_ready(hqb_hq *h, void *zctx, double timeout_s)
{
    void *s = dealer(zctx, h->control);
    if (!s)
        return -1;
    send_status(s);
    int64_t end = hqb_mono_ns() + (int64_t)(timeout_s * 1e9);
    int rc = -1;
    while (hqb_mono_ns() < end) {
        if (status_recv(s, 20, NULL) == 0) {
            rc = 0;
            break;
        }
        int st;
        if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
            fprintf(stderr, "houqind exited before it was ready (status %d); its log:\n", st);
            hqb_tail(stderr, h->errlog, 10, "    ");
            h->pid = 0;
            break;
        }
    }
    zmq_close(s);
    return rc;
}

/* ---- events ---- */

static void pk_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void hqb_pack_reading(msgpack_sbuffer *sb, const char *id, const char *source, int64_t ts_ms, const char *sensor,
                      const char *kind, double value, const char *site)
{
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    pk_str(&pk, "id");
    pk_str(&pk, id);
    pk_str(&pk, "type");
    pk_str(&pk, "sensor.reading");
    pk_str(&pk, "source");
    pk_str(&pk, source);
    pk_str(&pk, "ts");
    msgpack_pack_int64(&pk, ts_ms);
    pk_str(&pk, "data");
    msgpack_pack_map(&pk, 5);
    pk_str(&pk, "sensor");
    pk_str(&pk, sensor);
    pk_str(&pk, "kind");
    pk_str(&pk, kind);
    pk_str(&pk, "value");
    msgpack_pack_double(&pk, value);
    pk_str(&pk, "unit");
    pk_str(&pk, "C");
    pk_str(&pk, "site");
    pk_str(&pk, site);
}

/* ---- the engine in-process ---- */

int hqb_load(const char *schemas_dir, const char *rules_dir, hq_schemas **schemas, hq_rules **rules)
{
    hq_diags d;
    hq_diags_init(&d);
    int rc = hq_schemas_load_dir(schemas_dir, schemas, &d);
    if (rc == 0)
        rc = hq_rules_load(rules_dir, *schemas, rules, &d);
    for (size_t i = 0; i < d.count && i < 20; i++) {
        char line[1024];
        fprintf(stderr, "%s\n", hq_err_str(&d.items[i], line, sizeof line));
    }
    if (d.count > 20)
        fprintf(stderr, "... %zu more\n", d.count - 20);
    hq_diags_fini(&d);
    if (rc == 0 && hq_tz_set(hq_rules_timezone(*rules)) != 0) {
        fprintf(stderr, "unknown time zone %s\n", hq_rules_timezone(*rules));
        rc = -1;
    }
    return rc ? -1 : 0;
}

int hqb_eng_open(hqb_eng *e, const char *dir, const hq_schemas *schemas, const hq_rules *rules, uint64_t map_size,
                 bool nosync, unsigned batch, hq_err *err)
{
    memset(e, 0, sizeof *e);
    if (hqb_mkdirs(dir) != 0)
        return hq_err_set(err, HQ_EIO, "mkdir %s: %s", dir, strerror(errno));
    int rc = hq_store_open(dir, 0, map_size, &e->store, err);
    if (rc)
        return rc;
    if (nosync)
        mdb_env_set_flags(hq_store_env(e->store), MDB_NOSYNC, 1);
    e->engine = hq_engine_new();
    hq_engine_set_rules(e->engine, rules);
    e->schemas = schemas;
    e->rules = rules;
    e->batch = batch ? batch : 1000;
    e->lim = hq_event_default_limits;
    msgpack_zone_init(&e->zone, 64 * 1024);
    return 0;
}

int hqb_eng_txn(hqb_eng *e, hq_err *err)
{
    if (e->txn)
        return 0;
    return hq_store_begin(e->store, true, &e->txn, err);
}

int hqb_eng_commit(hqb_eng *e, hq_err *err)
{
    e->in_txn = 0;
    if (!e->txn)
        return 0;
    MDB_txn *t = e->txn;
    e->txn = NULL;
    return hq_store_commit(e->store, t, err);
}

int hqb_eng_event(hqb_eng *e, const char *frame, size_t len, int64_t now_ms, hq_err *err)
{
    int rc = hqb_eng_txn(e, err);
    if (rc)
        return rc;
    msgpack_zone_clear(&e->zone);
    hq_event ev;
    hq_err derr;
    if (hq_event_decode(frame, len, &e->lim, e->schemas, &e->zone, &ev, &derr) != 0) {
        if (e->rejected++ == 0)
            fprintf(stderr, "event rejected: %s\n", derr.msg);
        return 0;
    }
    uint64_t next, orig;
    hq_dedup dd;
    hq_frame fr = hq_event_frame(&ev);
    if ((rc = hq_store_peek_seq(e->store, e->txn, HQ_DB_EVENTS, &next, err)) ||
        (rc = hq_store_dedup_claim(e->store, e->txn, &fr, next, &dd, &orig, err)))
        return rc;
    if (dd != HQ_DEDUP_NEW) {
        e->duplicate++;
    } else {
        hq_effects fx = {0};
        hq_err eerr = {0};
        rc = hq_engine_event(e->engine, e->store, e->txn, &ev, next, now_ms, &fx, &eerr);
        if (hq_engine_refused(rc)) {
            if (e->refused++ == 0)
                fprintf(stderr, "event refused: %s\n", eerr.msg);
            rc = hq_store_dedup_release(e->store, e->txn, &fr, err);
        } else if (rc) {
            *err = eerr;
        } else {
            e->opened += fx.issues_opened;
            rc = hq_store_event_put(e->store, e->txn, &fr, now_ms, next, err);
            e->stored++;
        }
        if (rc)
            return rc;
    }
    if (++e->in_txn >= e->batch)
        return hqb_eng_commit(e, err);
    return 0;
}

int hqb_eng_fire(hqb_eng *e, int64_t now_ms, size_t *fired, hq_err *err)
{
    *fired = 0;
    for (;;) {
        int rc = hqb_eng_txn(e, err);
        if (rc)
            return rc;
        size_t n = 0;
        hq_effects fx = {0};
        rc = hq_engine_fire_due(e->engine, e->store, e->txn, now_ms, e->batch, &n, &fx, err);
        if (rc)
            return rc;
        *fired += n;
        e->opened += fx.issues_opened;
        if ((rc = hqb_eng_commit(e, err)))
            return rc;
        if (n < e->batch)
            return 0;
    }
}

void hqb_eng_close(hqb_eng *e)
{
    if (e->txn) {
        hq_store_abort(e->store, e->txn);
        e->txn = NULL;
    }
    if (e->store)
        mdb_env_sync(hq_store_env(e->store), 1);
    hq_store_close(&e->store);
    hq_engine_destroy(&e->engine);
    msgpack_zone_destroy(&e->zone);
}
