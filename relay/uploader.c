/* uploader: see uploader.h. */
#include "uploader.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blobstore.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define BATCH 16

struct uploader {
    const struct config *cfg;
    struct store *store;
    struct blobstore *bs;
    struct store_reader *reader;
    struct event_base *base;
    struct event *tick;
    pthread_t thread;
    bool busy;
    int64_t next_sweep;
};

struct round {
    struct uploader *u;
    json_t *moved, *failed, *deleted; /* keys; failed: [key, next_try_at] */
    char cutoff[TIME_ISO_LEN];       /* retention sweep, when due */
    int swept;
};

static int round_job(struct store_txn *txn, void *arg)
{
    struct round *r = arg;
    size_t i;
    json_t *v;
    int rc = STORE_OK;
    json_array_foreach(r->moved, i, v)
    {
        if (rc == STORE_OK)
            rc = store_spool_moved(txn, json_string_value(v));
    }
    json_array_foreach(r->failed, i, v)
    {
        if (rc == STORE_OK)
            rc = store_spool_retry(txn, json_string_value(json_array_get(v, 0)),
                                   json_integer_value(json_array_get(v, 1)));
    }
    json_array_foreach(r->deleted, i, v)
    {
        if (rc == STORE_OK)
            rc = store_body_deleted(txn, json_string_value(v));
    }
    if (rc == STORE_OK && r->cutoff[0]) {
        r->swept = store_syslog_sweep(txn, r->cutoff, 1000);
        rc = r->swept < 0 ? STORE_EIO : STORE_OK;
    }
    return rc;
}

static void round_done(int rc, void *arg)
{
    struct round *r = arg;
    if (rc != STORE_OK)
        log_error("uploader: could not record a round; it will be repeated");
    else if (r->swept > 0)
        log_info("system logs: retention removed %d entries", r->swept);
    json_decref(r->moved);
    json_decref(r->failed);
    json_decref(r->deleted);
    r->u->busy = false;
    free(r);
}

static int64_t backoff_ms(int attempts)
{
    int64_t d = 1000;
    for (int i = 0; i < attempts && d < 60000; i++)
        d *= 2;
    return d < 60000 ? d : 60000;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct uploader *u = arg;
    if (u->busy)
        return;
    int64_t now = time_now_ms();
    struct round *r = xcalloc(1, sizeof *r);
    r->u = u;
    r->moved = json_array();
    r->failed = json_array();
    r->deleted = json_array();
    struct store_spooled items[BATCH];
    int n = store_read_spool_due(u->reader, now, BATCH, NULL, 0, items);
    for (int i = 0; i < n; i++) {
        char err[256];
        if (blobstore_put(u->bs, items[i].key, items[i].body, items[i].len, err, sizeof err) == 0)
            json_array_append_new(r->moved, json_string(items[i].key));
        else {
            log_warn("uploader: %s (will retry)", err);
            json_array_append_new(r->failed,
                                  json_pack("[s,I]", items[i].key, (json_int_t)(now + backoff_ms(items[i].attempts))));
        }
        free(items[i].key);
        free(items[i].body);
    }
    json_t *dels = store_read_body_deletes(u->reader, BATCH);
    size_t i;
    json_t *d;
    json_array_foreach(dels, i, d)
    {
        char err[256];
        const char *key = json_string_value(json_object_get(d, "key"));
        if (blobstore_delete(u->bs, key, err, sizeof err) == 0)
            json_array_append_new(r->deleted, json_string(key));
        else
            log_warn("uploader: %s (will retry)", err);
    }
    json_decref(dels);
    if (u->cfg->log_retention_days > 0 && now >= u->next_sweep) {
        time_format_iso(now - u->cfg->log_retention_days * 86400000LL, r->cutoff);
        u->next_sweep = now + u->cfg->sweep_interval * 1000;
    }
    if (!json_array_size(r->moved) && !json_array_size(r->failed) && !json_array_size(r->deleted) && !r->cutoff[0]) {
        round_done(STORE_OK, r);
        return;
    }
    u->busy = true;
    store_submit(u->store, u->base, round_job, round_done, r);
}

static void *uploader_main(void *arg)
{
    struct uploader *u = arg;
    event_base_loop(u->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

struct uploader *uploader_start(const struct config *cfg, struct store *st, struct blobstore *bs, char *err,
                                size_t errlen)
{
    struct uploader *u = xcalloc(1, sizeof *u);
    u->cfg = cfg;
    u->store = st;
    u->bs = bs;
    u->reader = store_reader_open(st, err, errlen);
    u->base = u->reader ? event_base_new() : NULL;
    if (!u->base) {
        store_reader_close(u->reader);
        free(u);
        return NULL;
    }
    u->tick = event_new(u->base, -1, EV_PERSIST, on_tick, u);
    static const struct timeval every = {0, 200000};
    event_add(u->tick, &every);
    if (pthread_create(&u->thread, NULL, uploader_main, u) != 0) {
        snprintf(err, errlen, "cannot start the uploader thread");
        event_free(u->tick);
        event_base_free(u->base);
        store_reader_close(u->reader);
        free(u);
        return NULL;
    }
    return u;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct uploader *u = arg;
    if (!u->busy)
        event_base_loopexit(u->base, NULL);
}

void uploader_stop(struct uploader *u)
{
    if (!u)
        return;
    event_del(u->tick);
    struct event *stop = event_new(u->base, -1, EV_PERSIST, on_stop, u);
    static const struct timeval tick = {0, 20000};
    event_add(stop, &tick);
    pthread_join(u->thread, NULL);
    event_free(stop);
    event_free(u->tick);
    event_base_free(u->base);
    store_reader_close(u->reader);
    free(u);
}
