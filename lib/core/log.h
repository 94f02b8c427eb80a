/* log.h - the programs' log, to stderr with syslog priority prefixes.
 *
 * Lines look like "<6>houqind: started ..." so that journald assigns the
 * priority.  Only programs log; library code returns errors instead.
 */
#ifndef HQ_LOG_H
#define HQ_LOG_H

enum { HQ_LOG_ERR = 3, HQ_LOG_WARNING = 4, HQ_LOG_NOTICE = 5, HQ_LOG_INFO = 6, HQ_LOG_DEBUG = 7 };

/* Sets the program name and the most verbose priority printed (default INFO). */
void hq_log_init(const char *prog, int max_prio);
void hq_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hq_log_err(...) hq_log(HQ_LOG_ERR, __VA_ARGS__)

/* Logs every diagnostic of a refused configuration, one line each, as
 * errors (file:line:column: reason). */
struct hq_diags;
void hq_log_diags(const struct hq_diags *d);
#define hq_log_warn(...) hq_log(HQ_LOG_WARNING, __VA_ARGS__)
#define hq_log_notice(...) hq_log(HQ_LOG_NOTICE, __VA_ARGS__)
#define hq_log_info(...) hq_log(HQ_LOG_INFO, __VA_ARGS__)
#define hq_log_debug(...) hq_log(HQ_LOG_DEBUG, __VA_ARGS__)

#endif
