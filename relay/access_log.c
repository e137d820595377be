/* access_log: see access_log.h.
 *
 * The destination is one file descriptor number, fixed once a file is
 * first opened: reopening dup2()s the new file onto it, so a thread writing
 * at that moment writes to the old file or the new one, never to a closed
 * or reused descriptor. Back to stderr, the number stays open (parked on
 * the file) and lines go to fd 2. */
#include "access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"

static atomic_int out_fd = STDERR_FILENO;
static int file_fd = -1;

void access_log_open(const struct config *cfg)
{
    if (!cfg->access_log[0]) {
        atomic_store(&out_fd, STDERR_FILENO);
        return;
    }
    int fd = open(cfg->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        log_error("access log: cannot open %s: %s; lines go where they went", cfg->access_log, strerror(errno));
        return;
    }
    if (file_fd < 0) {
        file_fd = fd;
    } else {
        dup2(fd, file_fd); /* atomic: writers see the old file or the new one */
        close(fd);
    }
    atomic_store(&out_fd, file_fd);
}

void access_log_close(void)
{
    atomic_store(&out_fd, STDERR_FILENO);
    if (file_fd >= 0)
        close(file_fd);
    file_fd = -1;
}

/* ---- formatting ---- */

struct line {
    char *buf;
    size_t len, pos; /* pos < len always: room is kept for the newline */
};

static void put(struct line *l, const char *s, size_t n)
{
    if (n > l->len - 1 - l->pos)
        n = l->len - 1 - l->pos;
    memcpy(l->buf + l->pos, s, n);
    l->pos += n;
}

static void putf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct line *l, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(l, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A logfmt value: bare when it can be, else quoted with \" and \\. */
static void logfmt_value(struct line *l, const char *v)
{
    bool bare = v && *v;
    for (const char *p = v; bare && *p; p++)
        bare = *p > ' ' && *p < 127 && *p != '"' && *p != '=' && *p != '\\';
    if (bare) {
        put(l, v, strlen(v));
        return;
    }
    put(l, "\"", 1);
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(l, "\\", 1);
        put(l, (unsigned char)*p < ' ' ? "?" : p, 1);
    }
    put(l, "\"", 1);
}

static void json_value(struct line *l, const char *v)
{
    if (!v) {
        put(l, "null", 4);
        return;
    }
    put(l, "\"", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(l, "\\", 1);
        if ((unsigned char)*p < ' ')
            putf(l, "\\u%04x", (unsigned)*p);
        else
            put(l, p, 1);
    }
    put(l, "\"", 1);
}

size_t access_log_format(int kind, const struct access_entry *e, char *buf, size_t len)
{
    struct line l = {buf, len, 0};
    char when[TIME_ISO_LEN];
    time_format_iso(e->time_ms, when);
    const char *names[] = {"time", "tenant", "method", "route", "correlation_id", "peer"};
    const char *values[] = {when, e->tenant, e->method, e->route, e->correlation_id, e->peer};
    bool json = kind == 2;
    put(&l, json ? "{" : "", json);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (i == 4) { /* the numbers, between the route and the correlation id */
            putf(&l, json ? ",\"status\":%d,\"duration_ms\":%.3f,\"bytes\":%zu,\"bytes_in\":%zu"
                          : " status=%d duration_ms=%.3f bytes=%zu bytes_in=%zu",
                 e->status, (double)e->duration_ns / 1e6, e->bytes_out, e->bytes_in);
        }
        if (json) {
            putf(&l, "%s\"%s\":", i ? "," : "", names[i]);
            json_value(&l, values[i]);
        } else {
            putf(&l, "%s%s=", i ? " " : "", names[i]);
            logfmt_value(&l, values[i] ? values[i] : "-");
        }
    }
    put(&l, "}", json);
    buf[l.pos++] = '\n';
    return l.pos;
}

void access_log_request(const struct config *cfg, const struct access_entry *e)
{
    if (!cfg->access_kind)
        return;
    char buf[2048];
    size_t n = access_log_format(cfg->access_kind, e, buf, sizeof buf);
    ssize_t w = write(atomic_load(&out_fd), buf, n);
    (void)w;
}

/* ---- failed authentication, rate limited per address ---- */

#define PEERS 1024

static struct peer {
    char addr[64];
    time_t second;
    long lines;         /* logged in that second */
    unsigned long held; /* not logged since the last line */
} peers[PEERS];
static pthread_mutex_t peers_mu = PTHREAD_MUTEX_INITIALIZER;

void access_log_auth_failure(const struct config *cfg, const char *peer, const char *who, const char *reason)
{
    char addr[64];
    snprintf(addr, sizeof addr, "%s", peer ? peer : "-");
    char *colon = strrchr(addr, ':');
    if (colon && colon != addr)
        *colon = '\0';
    unsigned h = 2166136261u;
    for (const char *p = addr; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    time_t now = time(NULL);
    pthread_mutex_lock(&peers_mu);
    struct peer *s = &peers[h % PEERS];
    if (strcmp(s->addr, addr) != 0) { /* a new address takes the slot over */
        memcpy(s->addr, addr, sizeof addr);
        s->held = 0;
        s->lines = 0;
    }
    if (s->second != now) {
        s->second = now;
        s->lines = 0;
    }
    bool log = s->lines < cfg->auth_log_rate;
    unsigned long held = log ? s->held : 0;
    if (log) {
        s->lines++;
        s->held = 0;
    } else {
        s->held++;
    }
    pthread_mutex_unlock(&peers_mu);
    if (!log)
        return;
    if (held)
        log_warn("%s: refused from %s: %s (%lu more refusals from %s were not logged)", who, peer, reason, held, addr);
    else
        log_warn("%s: refused from %s: %s", who, peer, reason);
}
