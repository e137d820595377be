/* reload: see reload.h.
 *
 * A snapshot is a struct config with a reference count. The current pointer
 * is read and its count raised under one mutex (a few instructions, never
 * held across anything else), so a reload cannot free a snapshot between a
 * reader finding it and counting itself in; the count alone decides when
 * the snapshot goes. */
#include "reload.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "access_log.h"
#include "config_keys.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

struct snapshot {
    struct config cfg; /* first: a const struct config * is the snapshot's address */
    atomic_long refs;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *current;

const struct config *reload_acquire(void)
{
    pthread_mutex_lock(&mu);
    struct snapshot *s = current;
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&mu);
    return &s->cfg;
}

void reload_release(const struct config *cfg)
{
    if (!cfg)
        return;
    struct snapshot *s = (struct snapshot *)cfg;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        config_free(&s->cfg);
        free(s);
    }
}

/* Make next current; the publisher's own reference to the old one goes. */
static void publish(struct snapshot *next)
{
    atomic_init(&next->refs, 1);
    pthread_mutex_lock(&mu);
    struct snapshot *old = current;
    current = next;
    pthread_mutex_unlock(&mu);
    if (old)
        reload_release(&old->cfg);
}

const struct config *reload_init(struct config *cfg)
{
    struct snapshot *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    publish(s);
    log_set_level((enum log_level)s->cfg.log_min);
    access_log_open(&s->cfg);
    return reload_acquire();
}

void reload_shutdown(void)
{
    pthread_mutex_lock(&mu);
    struct snapshot *old = current;
    current = NULL;
    pthread_mutex_unlock(&mu);
    if (old)
        reload_release(&old->cfg);
    access_log_close();
}

/* Every key a reload may not change keeps its running value in next; each
 * one the file changed is logged. Derived fields follow their keys. */
static void keep_restart_keys(struct config *next, const struct config *running)
{
    size_t n;
    const struct key *keys = config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        const struct key *k = &keys[i];
        if (k->flags & KEY_RELOAD)
            continue;
        if (k->type == KEY_STRING) {
            char **now = config_key_str(running, k), **want = config_key_str(next, k);
            if (strcmp(*now, *want) == 0)
                continue;
            if (k->flags & KEY_SECRET)
                log_warn("%s:%d: [%s] %s changed: it takes a restart; the running value stays", next->path,
                         next->key_lines[i], k->section, k->name);
            else
                log_warn("%s:%d: [%s] %s changed from \"%s\" to \"%s\": it takes a restart; \"%s\" stays",
                         next->path, next->key_lines[i], k->section, k->name, *now, *want, *now);
            free(*want);
            *want = xstrdup(*now);
        } else if (*config_key_long(running, k) != *config_key_long(next, k)) {
            log_warn("%s:%d: [%s] %s changed from %ld to %ld: it takes a restart; %ld stays", next->path,
                     next->key_lines[i], k->section, k->name, *config_key_long(running, k),
                     *config_key_long(next, k), *config_key_long(running, k));
            *config_key_long(next, k) = *config_key_long(running, k);
        }
    }
    free(next->listen_host);
    next->listen_host = xstrdup(running->listen_host);
    next->listen_port = running->listen_port;
    memcpy(next->retry_delays, running->retry_delays, sizeof next->retry_delays);
    next->n_retry = running->n_retry;
    memcpy(next->allow, running->allow, sizeof next->allow);
    next->n_allow = running->n_allow;
    next->s3_enabled = running->s3_enabled;
}

int reload_file(void)
{
    const struct config *running = reload_acquire();
    if (!running->path) {
        log_warn("reload: running on the embedded defaults, there is no file to read again");
        reload_release(running);
        return -1;
    }
    struct snapshot *next = xcalloc(1, sizeof *next);
    static char err[16384];
    int rc = config_load(&next->cfg, running->path, err, sizeof err);
    if (rc != 0) {
        for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
            log_error("%s", line);
        log_error("reload: %s has errors; the running configuration stays", running->path);
        config_free(&next->cfg);
        free(next);
    } else {
        keep_restart_keys(&next->cfg, running);
        log_set_level((enum log_level)next->cfg.log_min);
        access_log_open(&next->cfg);
        log_info("reload: %s applied (%zu tenants, %zu sources)", next->cfg.path, next->cfg.n_tenants,
                 next->cfg.n_sources);
        publish(next);
    }
    metrics_reload(rc == 0);
    reload_release(running);
    return rc;
}
