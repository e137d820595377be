/* access_log: one line per request, and the log of failed authentications.
 *
 * A request line has the time the request arrived, tenant (- when none was
 * authenticated), method, route template (never the raw path: no order
 * reference or query string reaches it), status, duration, bytes sent and
 * received, correlation id and peer address; as logfmt or JSON ([log]
 * access_format; off: none). Lines go to stderr beside the daemon's log (so
 * to journald), or to the file [log] access_log names, appended to and
 * opened again by access_log_open on every reload (logrotate moves the
 * file, then sends SIGHUP). One write(2) per line: lines of different
 * threads never interleave.
 *
 * Failed authentication goes to the daemon's log (warn), with the peer, at
 * most [log] auth_failures_per_second lines per second per peer address;
 * the lines held back are counted and the count is said on that peer's next
 * line (a flood from one address cannot flood the log).
 *
 * Thread safety: access_log_open and access_log_close from the main thread
 * (at start, reload, exit); the rest from any thread. */
#ifndef SHIPRELAY_ACCESS_LOG_H
#define SHIPRELAY_ACCESS_LOG_H
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct access_entry {
    int64_t time_ms;                 /* when the request arrived (wall clock) */
    const char *tenant;              /* NULL: none authenticated */
    const char *method, *route;      /* route: the template; NULL when none matched */
    int status;
    int64_t duration_ns;
    size_t bytes_out, bytes_in;      /* response and request bodies */
    const char *correlation_id;      /* may be NULL */
    const char *peer;                /* "ADDRESS:PORT" */
};

/* Where lines go from now on: cfg->access_log (a file, opened again) or
 * stderr. Logs an error and keeps the current destination when the file
 * cannot be opened. */
void access_log_open(const struct config *cfg);
void access_log_close(void);
/* Write e's line in cfg's format (nothing when it is off). */
void access_log_request(const struct config *cfg, const struct access_entry *e);
/* The line for e in format kind (1 logfmt, 2 json; config.h's access_kind),
 * newline-terminated, truncated to fit; its length. Pure, for the tests. */
size_t access_log_format(int kind, const struct access_entry *e, char *buf, size_t len);
/* A request refused for its credentials: who (e.g. `tenant "acme"`,
 * `hook acme/ups`) and why, from peer ("ADDRESS:PORT"), rate limited per
 * address by cfg->auth_log_rate. */
void access_log_auth_failure(const struct config *cfg, const char *peer, const char *who, const char *reason);

#endif
