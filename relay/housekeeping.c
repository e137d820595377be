/* housekeeping: see housekeeping.h. */
#include "housekeeping.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "xmalloc.h"

#define MAX_TASKS 4

struct runner {
    struct housekeeping *h;
    struct housekeeping_task task;
    struct event *timer;
    bool in_store; /* a batch is in the store: its done callback is still to come */
};

struct housekeeping {
    struct store *store;
    struct store_reader *reader; /* for the roles (store_singleton) */
    struct event_base *base;
    pthread_t thread;
    bool stopping; /* no new batch; the loop ends once none is in the store */
    struct runner runners[MAX_TASKS];
    size_t n;
};

static void schedule(struct runner *r, long seconds)
{
    struct timeval tv = {seconds > 0 ? seconds : 1, 0};
    evtimer_add(r->timer, &tv);
}

static void submit(struct runner *r, bool first);

/* Stopping, with no batch left in the store: the loop may end. */
static void exit_when_idle(struct housekeeping *h)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->runners[i].in_store)
            return;
    event_base_loopexit(h->base, NULL);
}

static void batch_done(int rc, void *arg)
{
    struct runner *r = arg;
    r->in_store = false;
    if (rc != STORE_OK)
        log_error("housekeeping: a %s batch failed; trying again at the next interval", r->task.name);
    bool more = r->task.end(r->task.state, rc) && rc == STORE_OK;
    if (r->h->stopping) {
        exit_when_idle(r->h);
        return;
    }
    if (more) {
        submit(r, false); /* back to back until the pass is done */
        return;
    }
    schedule(r, r->task.interval(r->task.state));
}

static int run_batch(struct store_txn *txn, void *arg)
{
    struct runner *r = arg;
    return r->task.job(txn, r->task.state);
}

static void submit(struct runner *r, bool first)
{
    r->task.begin(r->task.state, first);
    r->in_store = true;
    store_submit(r->h->store, r->h->base, run_batch, batch_done, r);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct runner *r = arg;
    if (r->task.role && !store_singleton(r->h->reader, r->task.role)) { /* another node runs it */
        schedule(r, r->task.interval(r->task.state));
        return;
    }
    submit(r, true);
}

static void *housekeeping_main(void *arg)
{
    pthread_setname_np(pthread_self(), "sr-housekeeping");
    struct housekeeping *h = arg;
    event_base_loop(h->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

struct housekeeping *housekeeping_start(struct store *st, const struct housekeeping_task *tasks, size_t n, char *err,
                                        size_t errlen)
{
    struct housekeeping *h = xcalloc(1, sizeof *h);
    h->store = st;
    err[0] = '\0';
    h->reader = store_reader_open(st, err, errlen);
    h->base = h->reader ? event_base_new() : NULL;
    bool ok = h->base && n <= MAX_TASKS;
    for (size_t i = 0; i < n; i++) {
        struct runner *r = &h->runners[i];
        r->h = h;
        r->task = tasks[i];
        h->n = i + 1;
        r->timer = ok ? evtimer_new(h->base, on_timer, r) : NULL;
        ok = ok && r->timer;
    }
    if (!ok || pthread_create(&h->thread, NULL, housekeeping_main, h) != 0) {
        if (!err[0])
            snprintf(err, errlen, "cannot start the housekeeping thread");
        housekeeping_free(h);
        return NULL;
    }
    for (size_t i = 0; i < h->n; i++)
        schedule(&h->runners[i], 1);
    return h;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct housekeeping *h = arg;
    h->stopping = true;
    for (size_t i = 0; i < h->n; i++)
        evtimer_del(h->runners[i].timer);
    exit_when_idle(h); /* else the last batch's done callback ends it */
}

void housekeeping_stop(struct housekeeping *h)
{
    if (!h || !h->thread)
        return;
    static const struct timeval now = {0, 0};
    event_base_once(h->base, -1, EV_TIMEOUT, on_stop, h, &now);
    pthread_join(h->thread, NULL);
    h->thread = 0;
}

void housekeeping_free(struct housekeeping *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        struct runner *r = &h->runners[i];
        if (r->timer)
            event_free(r->timer);
        if (r->task.free_state)
            r->task.free_state(r->task.state);
    }
    if (h->base)
        event_base_free(h->base);
    store_reader_close(h->reader);
    free(h);
}
