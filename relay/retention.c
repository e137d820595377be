/* retention: see retention.h. */
#include "retention.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "log.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define BATCH 500

struct retention {
    const struct config *cfg;
    struct store *store;
    struct event_base *base;
    struct event *timer;
    pthread_t thread;
    struct sweep *running; /* the batch in the store, if any */
    long removed;          /* by this pass so far */
    bool stopping;         /* the loop ends when the batch in the store is done */
};

/* One batch: the cutoffs are fixed when it is made, so a rerun of the job
 * removes the same things. */
struct sweep {
    struct retention *r;
    int64_t now;
    int counts[8];
};

static const char *const names[8] = {"system logs", "delivered messages", "cancelled messages", "dead messages",
                                     "change logs", "event keys", "parked events", "orders"};

static void iso_before(int64_t now, long keep_s, char out[TIME_ISO_LEN])
{
    time_format_iso(now - (int64_t)keep_s * 1000, out);
}

static int sweep_job(struct store_txn *txn, void *arg)
{
    struct sweep *w = arg;
    const struct config *cfg = w->r->cfg;
    char cut[TIME_ISO_LEN];
    for (int i = 0; i < 8; i++)
        w->counts[i] = 0;
    int n = 0;
    if (cfg->keep_syslogs) {
        iso_before(w->now, cfg->keep_syslogs, cut);
        n = w->counts[0] = store_syslog_sweep(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_delivered)
        n = w->counts[1] = store_sweep_messages(txn, "delivered", w->now - cfg->keep_delivered * 1000, BATCH);
    if (n >= 0 && cfg->keep_delivered)
        n = w->counts[2] = store_sweep_messages(txn, "cancelled", w->now - cfg->keep_delivered * 1000, BATCH);
    if (n >= 0 && cfg->keep_dead)
        n = w->counts[3] = store_sweep_messages(txn, "dead", w->now - cfg->keep_dead * 1000, BATCH);
    if (n >= 0 && cfg->keep_changelogs) {
        iso_before(w->now, cfg->keep_changelogs, cut);
        n = w->counts[4] = store_sweep_changelogs(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_seen) {
        iso_before(w->now, cfg->keep_seen, cut);
        n = w->counts[5] = store_sweep_seen(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_parked) {
        iso_before(w->now, cfg->keep_parked, cut);
        n = w->counts[6] = store_sweep_parked(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_orders) {
        iso_before(w->now, cfg->keep_orders, cut);
        n = w->counts[7] = store_sweep_orders(txn, cut, BATCH);
    }
    return n < 0 ? STORE_EIO : STORE_OK;
}

static void schedule(struct retention *r, long seconds)
{
    struct timeval tv = {seconds, 0};
    evtimer_add(r->timer, &tv);
}

static void start_batch(struct retention *r);

static void sweep_done(int rc, void *arg)
{
    struct sweep *w = arg;
    struct retention *r = w->r;
    r->running = NULL;
    bool more = false;
    if (rc != STORE_OK) {
        log_error("retention: a sweep failed; trying again at the next interval");
    } else {
        for (int i = 0; i < 8; i++) {
            more |= w->counts[i] >= BATCH;
            r->removed += w->counts[i];
            if (w->counts[i] > 0)
                log_debug("retention: removed %d %s", w->counts[i], names[i]);
        }
    }
    free(w);
    if (r->stopping) {
        event_base_loopexit(r->base, NULL);
        return;
    }
    if (more) {
        start_batch(r); /* back to back until nothing expired is left */
        return;
    }
    if (r->removed)
        log_info("retention: removed %ld expired rows", r->removed);
    r->removed = 0;
    schedule(r, r->cfg->sweep_interval);
}

static void start_batch(struct retention *r)
{
    struct sweep *w = xcalloc(1, sizeof *w);
    w->r = r;
    w->now = time_now_ms();
    r->running = w;
    store_submit(r->store, r->base, sweep_job, sweep_done, w);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    start_batch(arg);
}

static void *retention_main(void *arg)
{
    pthread_setname_np(pthread_self(), "sr-retention");
    struct retention *r = arg;
    event_base_loop(r->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

struct retention *retention_start(const struct config *cfg, struct store *st, char *err, size_t errlen)
{
    struct retention *r = xcalloc(1, sizeof *r);
    r->cfg = cfg;
    r->store = st;
    r->base = event_base_new();
    r->timer = r->base ? evtimer_new(r->base, on_timer, r) : NULL;
    if (!r->timer || pthread_create(&r->thread, NULL, retention_main, r) != 0) {
        snprintf(err, errlen, "cannot start the retention sweeper");
        retention_free(r);
        return NULL;
    }
    static const struct timeval soon = {1, 0};
    evtimer_add(r->timer, &soon);
    return r;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct retention *r = arg;
    evtimer_del(r->timer);
    r->stopping = true;
    /* A batch in the store gets its done callback first: the store's job
     * and the batch are freed there, not left behind with the loop. */
    if (!r->running)
        event_base_loopexit(r->base, NULL);
}

void retention_stop(struct retention *r)
{
    if (!r || !r->thread)
        return;
    static const struct timeval now = {0, 0};
    event_base_once(r->base, -1, EV_TIMEOUT, on_stop, r, &now);
    pthread_join(r->thread, NULL);
    r->thread = 0;
}

void retention_free(struct retention *r)
{
    if (!r)
        return;
    free(r->running); /* none after retention_stop; a start that failed leaves none either */
    if (r->timer)
        event_free(r->timer);
    if (r->base)
        event_base_free(r->base);
    free(r);
}
