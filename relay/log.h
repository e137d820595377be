/* log: the daemon's own diagnostic lines on stderr (journald picks them up).
 *
 * One line per call, prefixed with the level; safe from any thread. This is
 * the operator's log, not the per-order change log or system log. */
#ifndef SHIPRELAY_LOG_H
#define SHIPRELAY_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
