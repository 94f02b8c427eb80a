/* hq-console-bench: the console's pages on a state of many issues (issue 17;
 * bench/README.md "The console on 1,000,000 issues").
 *
 *   hq-console-bench make --state DIR --schemas DIR --rules DIR
 *                         [--issues 1000000] [--days 1060] [--seed 1]
 *       writes the issues straight into a new state with the state layer
 *       (hq_issue_save, as the engine does), in transactions of 20,000, with
 *       MDB_NOSYNC (synced once at the end); then the indexes houqind keeps
 *       and the state clock at the wall time.  The issues are spread evenly
 *       over the last --days days (numbers in opening order, as houqind gives
 *       them): the contractors of the shipped rules in turn, their domains and
 *       sites; older than 30 days 98 % closed (acknowledged, rectified, a
 *       failed recheck in 1 of 10, closed; a penalty in 1 of 20; a
 *       complainant's answer in 1 of 8), the rest open, of those past their
 *       3-day deadline marked overdue.
 *
 *   hq-console-bench get --port P --cookie C --path PATH [--n 200] [--warm 5]
 *                        [--pid PID]
 *       GETs PATH n times on one keep-alive connection (after --warm
 *       unmeasured ones) and prints the latency percentiles: one human line
 *       and one line "CONSOLEBENCH path=... n=... p50_ms=... p99_ms=...
 *       max_ms=... bytes=... cpu_ms=...".  With --pid (houqin-web's), also
 *       the server's CPU time per request (user + system, from /proc; the
 *       figure that does not depend on how loaded the machine is).  Exit
 *       status 1 when a reply is not 200.
 *
 * bench/console_bench.sh runs both against houqin-web. */
#define _GNU_SOURCE
#include "hqb.h"

#include "clock.h"
#include "issue.h"
#include "mem.h"
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct unit {
    const char *contractor, *domain, *site, *site_name, *rule, *category, *title;
} unit;

/* Contractors, domains and sites of the shipped rules (rules/contractors.yaml). */
static const unit units[] = {
    {"xinyuan-catering", "catering", "canteen-1", "第一食堂", "catering.cold-storage-high", "cold_storage",
     "冷库温度超标"},
    {"xinyuan-catering", "catering", "canteen-2", "第二食堂", "catering.complaint", "complaint", "就餐投诉"},
    {"hexiang-catering", "catering", "canteen-3", "第三食堂", "catering.sample-retention-missing",
     "sample_retention", "留样记录缺失"},
    {"anju-property", "dormitory", "dorm-1", "学生公寓1号楼", "dormitory.complaint", "complaint", "宿舍报修超时"},
    {"anju-property", "property", "dorm-3", "学生公寓3号楼", "property.repair-late", "repair", "维修未按时完成"},
    {"nuanquan-hotwater", "dormitory", "dorm-7", "学生公寓7号楼", "dormitory.hot-water", "hot_water",
     "热水供应中断"},
    {"qingquan-water", "dormitory", "dorm-8", "学生公寓8号楼", "dormitory.water-quality", "water_quality",
     "饮用水检测不合格"},
    {"jiejing-laundry", "dormitory", "dorm-1", "学生公寓1号楼", "dormitory.laundry", "complaint", "洗衣服务投诉"},
    {"huadian-energy", "energy", "dorm-3", "学生公寓3号楼", "energy.outage-long", "outage", "停电超时未恢复"},
    {"qingyun-transport", "transport", "dorm-7", "学生公寓7号楼", "transport.late", "late", "校车晚点"},
    {"jianxiu-maintenance", "maintenance", "dorm-8", "学生公寓8号楼", "maintenance.late", "repair",
     "小型维修超期"},
};
#define NUNITS (sizeof units / sizeof units[0])

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void die_err(const char *what, const hq_err *err)
{
    fprintf(stderr, "hq-console-bench: %s: %s\n", what, err->msg);
    exit(1);
}

static void one_issue(hq_store *s, MDB_txn *txn, uint64_t i, int64_t opened, int64_t now)
{
    const unit *u = &units[i % NUNITS];
    hq_issue is;
    memset(&is, 0, sizeof is);
    struct tm tm;
    hq_local_tm(opened, &tm);
    hq_err err;
    if (hq_issue_number_new(s, txn, tm.tm_year + 1900, is.number, sizeof is.number, &err))
        die_err("number", &err);
    is.is_new = true;
    is.stored_state = (hq_issue_state)-1;
    hq_issue_open(&is, opened);
    is.rule = hq_strdup(u->rule);
    char key[96];
    snprintf(key, sizeof key, "%s:%" PRIu64, u->site, i);
    is.key = hq_strdup(key);
    is.domain = hq_strdup(u->domain);
    is.contractor = hq_strdup(u->contractor);
    is.site = hq_strdup(u->site);
    is.category = hq_strdup(u->category);
    is.severity = (hq_severity)(rnd() % 3);
    char title[256];
    snprintf(title, sizeof title, "%s：%s 第 %" PRIu64 " 号", u->title, u->site_name, i);
    is.title = hq_strdup(title);
    is.description = hq_strdup("检查发现问题，详见处理经过。");
    is.requirement = hq_strdup("请于期限内整改并提交整改报告（附照片）。");
    is.deadline_dur_ms = 3 * HQ_DAY_MS;
    is.recheck_after_ms = HQ_DAY_MS;
    is.deadline_ms = opened + is.deadline_dur_ms;
    hq_issue_add(&is, opened, "system", 0,
                 &(hq_tl_entry){.kind = HQ_TL_OPENED, .cause = HQ_TLC_RULE, .clause = (char *)u->rule});
    bool old = opened < now - 30 * HQ_DAY_MS;
    bool closed = old ? rnd() % 100 < 98 : rnd() % 100 < 60;
    int64_t t = opened + HQ_HOUR_MS + (int64_t)(rnd() % (4 * HQ_HOUR_MS));
    if (t < now && (closed || rnd() % 2)) {
        hq_issue_add(&is, t, "contact", 0, &(hq_tl_entry){.kind = HQ_TL_ACKNOWLEDGED, .cause = HQ_TLC_ACK});
        is.state = HQ_IS_ACKNOWLEDGED;
    }
    if (closed) {
        t += HQ_DAY_MS + (int64_t)(rnd() % HQ_DAY_MS);
        hq_issue_add(&is, t, "contact", 0, &(hq_tl_entry){.kind = HQ_TL_RECTIFIED, .text = "已整改，附照片。"});
        if (rnd() % 10 == 0) {
            t += HQ_DAY_MS;
            hq_issue_add(&is, t, "lin.sup", 0,
                         &(hq_tl_entry){.kind = HQ_TL_REOPENED, .cause = HQ_TLC_RECHECK, .count = 1,
                                        .text = "复查未通过"});
            is.failed_rechecks = 1;
            t += HQ_DAY_MS;
            hq_issue_add(&is, t, "contact", 0, &(hq_tl_entry){.kind = HQ_TL_RECTIFIED, .text = "再次整改。"});
        }
        if (t > is.deadline_ms) {
            hq_issue_add(&is, is.deadline_ms, "system", 0, &(hq_tl_entry){.kind = HQ_TL_OVERDUE,
                                                                          .due_ms = is.deadline_ms});
            is.overdue = true;
        }
        if (rnd() % 20 == 0)
            hq_issue_penalize(&is, t, 50000, 0, "overdue", "整改超期违约金");
        t += HQ_DAY_MS;
        hq_issue_add(&is, t, "lin.sup", 0, &(hq_tl_entry){.kind = HQ_TL_CLOSED, .cause = HQ_TLC_RECHECK,
                                                          .text = "复查通过"});
        is.state = HQ_IS_CLOSED;
        is.closed_ms = t;
        if (rnd() % 8 == 0)
            hq_issue_add(&is, t + 2 * HQ_DAY_MS, "complainant", 0,
                         &(hq_tl_entry){.kind = HQ_TL_SATISFIED, .count = 5});
    } else if (is.deadline_ms < now) {
        hq_issue_add(&is, is.deadline_ms, "system", 0, &(hq_tl_entry){.kind = HQ_TL_OVERDUE,
                                                                      .due_ms = is.deadline_ms});
        is.overdue = true;
    }
    if (hq_issue_save(s, txn, &is, &err))
        die_err("save", &err);
    hq_issue_fini(&is);
}

static int cmd_make(int argc, char **argv)
{
    const char *state = NULL, *schemas_dir = "schemas", *rules_dir = "rules";
    uint64_t n = 1000000, days = 1060, seed = 1;
    static const struct option lo[] = {{"state", required_argument, NULL, 's'},
                                       {"schemas", required_argument, NULL, 'S'},
                                       {"rules", required_argument, NULL, 'r'},
                                       {"issues", required_argument, NULL, 'n'},
                                       {"days", required_argument, NULL, 'd'},
                                       {"seed", required_argument, NULL, 'e'},
                                       {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': state = optarg; break;
        case 'S': schemas_dir = optarg; break;
        case 'r': rules_dir = optarg; break;
        case 'n':
            if (hqb_parse_u64(optarg, &n) || n == 0)
                return fprintf(stderr, "--issues: a count (1M, 20000)\n"), 2;
            break;
        case 'd': days = strtoull(optarg, NULL, 10); break;
        case 'e': seed = strtoull(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    if (!state || days == 0)
        return fprintf(stderr, "usage: hq-console-bench make --state DIR [--issues N] [--days D]\n"), 2;
    hq_schemas *schemas;
    hq_rules *rules;
    if (hqb_load(schemas_dir, rules_dir, &schemas, &rules) != 0)
        return 1;
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    hq_err err;
    if (hqb_mkdirs(state) != 0)
        return fprintf(stderr, "mkdir %s: %s\n", state, strerror(errno)), 1;
    hq_store *s;
    if (hq_store_open(state, 0, 16ULL << 30, &s, &err))
        die_err(state, &err);
    mdb_env_set_flags(hq_store_env(s), MDB_NOSYNC, 1);
    /* The indexes' markers first (as houqind's start does on a new state):
     * every save below keeps them. */
    size_t scanned = 0;
    MDB_txn *txn = NULL;
    if (hq_store_begin(s, true, &txn, &err) || hq_issue_index_upgrade(s, txn, &scanned, &err) ||
        hq_store_commit(s, txn, &err))
        die_err("indexes", &err);
    txn = NULL;
    int64_t now = hq_wall_ms(), from = now - (int64_t)days * HQ_DAY_MS;
    int64_t t0 = hqb_mono_ns();
    for (uint64_t i = 0; i < n; i++) {
        if (!txn && hq_store_begin(s, true, &txn, &err))
            die_err("begin", &err);
        one_issue(s, txn, i, from + (int64_t)((double)i * (double)(now - from) / (double)n), now);
        if ((i + 1) % 20000 == 0 || i + 1 == n) {
            if (hq_store_commit(s, txn, &err))
                die_err("commit", &err);
            txn = NULL;
            if ((i + 1) % 200000 == 0 || i + 1 == n)
                fprintf(stderr, "%" PRIu64 " issues, %.1f s\n", i + 1, (double)(hqb_mono_ns() - t0) / 1e9);
        }
    }
    if (hq_store_begin(s, true, &txn, &err) || hq_issue_timeline_mark(s, txn, &err) || hq_store_clock_put(s, txn, now, &err) ||
        hq_store_commit(s, txn, &err))
        die_err("indexes", &err);
    mdb_env_sync(hq_store_env(s), 1);
    hq_store_close(&s);
    printf("made %" PRIu64 " issues over %" PRIu64 " days in %s (%.1f s)\n", n, days, state,
           (double)(hqb_mono_ns() - t0) / 1e9);
    hq_rules_destroy(&rules);
    hq_schemas_destroy(&schemas);
    return 0;
}

/* ---- get ---- */

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One GET on fd; the status, the body's length in *bytes; -1 on an error. */
static int get_once(int fd, const char *req, size_t reqlen, size_t *bytes)
{
    if (write(fd, req, reqlen) != (ssize_t)reqlen)
        return -1;
    static char buf[1 << 16];
    size_t have = 0, need = 0;
    char *body = NULL;
    int status = -1;
    long clen = -1;
    for (;;) {
        ssize_t k = read(fd, buf + have, sizeof buf - have);
        if (k <= 0)
            return -1;
        have += (size_t)k;
        if (!body) {
            char *e = memmem(buf, have, "\r\n\r\n", 4);
            if (!e) {
                if (have == sizeof buf)
                    return -1;
                continue;
            }
            body = e + 4;
            buf[0 + (size_t)(e - buf)] = '\0';
            status = atoi(buf + 9);
            char *cl = strcasestr(buf, "\r\ncontent-length:");
            if (!cl)
                return -1; /* houqin-web's pages have a length */
            clen = strtol(cl + 17, NULL, 10);
            need = (size_t)(body - buf) + (size_t)clen;
        }
        if (have >= need) {
            *bytes = (size_t)clen;
            return status;
        }
        if (have == sizeof buf) { /* a large body: keep only what is past the headers */
            need -= have;
            have = 0;
            body = buf;
        }
    }
}

/* utime + stime of a process in ms, or -1. */
static double proc_cpu_ms(int pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static int cmd_get(int argc, char **argv)
{
    int port = 0;
    const char *cookie = NULL, *path = NULL;
    long n = 200, warm = 5;
    int pid = 0;
    static const struct option lo[] = {{"port", required_argument, NULL, 'p'},
                                       {"cookie", required_argument, NULL, 'c'},
                                       {"path", required_argument, NULL, 'P'},
                                       {"n", required_argument, NULL, 'n'},
                                       {"warm", required_argument, NULL, 'w'},
                                       {"pid", required_argument, NULL, 'i'},
                                       {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'p': port = atoi(optarg); break;
        case 'c': cookie = optarg; break;
        case 'P': path = optarg; break;
        case 'n': n = atol(optarg); break;
        case 'w': warm = atol(optarg); break;
        case 'i': pid = atoi(optarg); break;
        default: return 2;
        }
    }
    if (!port || !cookie || !path || n < 1 || warm < 0)
        return fprintf(stderr, "usage: hq-console-bench get --port P --cookie C --path PATH [--n N]\n"), 2;
    char req[4096];
    int reqlen = snprintf(req, sizeof req,
                          "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: hq_session=%s\r\nConnection: keep-alive\r\n\r\n",
                          path, cookie);
    if (reqlen <= 0 || (size_t)reqlen >= sizeof req)
        return 2;
    double *ms = hq_calloc((size_t)n, sizeof *ms);
    int fd = dial(port);
    if (fd < 0)
        return fprintf(stderr, "cannot connect to 127.0.0.1:%d: %s\n", port, strerror(errno)), 1;
    size_t bytes = 0;
    double cpu0 = -1;
    for (long i = -warm; i < n; i++) {
        if (i == 0 && pid)
            cpu0 = proc_cpu_ms(pid);
        int64_t t = hqb_mono_ns();
        int st = get_once(fd, req, (size_t)reqlen, &bytes);
        if (st < 0) { /* the server closed a kept-alive connection: once more on a new one */
            close(fd);
            if ((fd = dial(port)) < 0 || (t = hqb_mono_ns(), st = get_once(fd, req, (size_t)reqlen, &bytes)) < 0)
                return fprintf(stderr, "%s: no answer\n", path), 1;
        }
        if (st != 200)
            return fprintf(stderr, "%s: status %d\n", path, st), 1;
        if (i >= 0)
            ms[i] = (double)(hqb_mono_ns() - t) / 1e6;
    }
    double cpu = cpu0 >= 0 ? (proc_cpu_ms(pid) - cpu0) / (double)n : -1;
    close(fd);
    hqb_sort(ms, (size_t)n);
    double p50 = hqb_pct(ms, (size_t)n, 50), p99 = hqb_pct(ms, (size_t)n, 99), mx = ms[n - 1];
    char cpus[48] = "";
    if (cpu >= 0)
        snprintf(cpus, sizeof cpus, "  server CPU %.2f ms/request", cpu);
    printf("%-60s n=%ld p50 %.2f ms  p99 %.2f ms  max %.2f ms%s  (%zu bytes)\n", path, n, p50, p99, mx, cpus,
           bytes);
    printf("CONSOLEBENCH path=%s n=%ld p50_ms=%.3f p99_ms=%.3f max_ms=%.3f bytes=%zu cpu_ms=%.3f\n", path, n, p50,
           p99, mx, bytes, cpu);
    free(ms);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "make"))
        return cmd_make(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "get"))
        return cmd_get(argc - 1, argv + 1);
    fprintf(stderr, "usage: hq-console-bench make|get ...; see bench/README.md\n");
    return 2;
}
