/* uploader: see uploader.h.
 *
 * Owns its thread and event loop, a curl multi (S3 only), and the items in
 * its set: bodies and deletions in flight, finished and waiting for a
 * record job, or being recorded. An item leaves the set only when its
 * result is committed, so nothing is uploaded twice at once. */
#include "uploader.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blobstore.h"
#include "curlev.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

struct item {
    int64_t spool_id; /* 0 for a deletion */
    char *key;
    char *body; /* NULL for a deletion */
    size_t len;
    int attempts;
    struct blobstore_s3_req *req; /* while an S3 request is in flight */
    bool ok;
    bool fresh; /* a local write not yet synced */
    char err[256];
    struct item *next_result;
};

struct record {
    struct uploader *u;
    struct item *results;
    int64_t now;
};

struct uploader {
    const struct config *cfg;
    struct store *store;
    struct blobstore *bs;
    struct store_reader *reader;
    struct event_base *base;
    pthread_t thread;
    struct curlev *curl; /* S3 only */
    struct event *wake, *retry_timer;
    struct item **set;
    int n_set, max;
    struct item *results, *results_tail;
    struct record *record; /* the record job in the store, if any */
    int64_t deletes_paused_until;
    int delete_failures;
    bool stopping;
};

static int64_t backoff_ms(int attempts)
{
    int64_t d = 1000;
    for (int i = 0; i < attempts && d < 60000; i++)
        d *= 2;
    return d < 60000 ? d : 60000;
}

static void free_item(struct item *it)
{
    blobstore_s3_free(it->req);
    free(it->key);
    free(it->body);
    free(it);
}

static void pump(struct uploader *u);

/* ---- recording results ---- */

static int record_job(struct store_txn *txn, void *arg)
{
    struct record *r = arg;
    int rc = STORE_OK;
    for (struct item *it = r->results; it && rc == STORE_OK; it = it->next_result) {
        if (!it->body)
            rc = it->ok ? store_body_deleted(txn, it->key) : STORE_OK;
        else if (it->ok)
            rc = store_spool_moved(txn, it->spool_id, it->key);
        else
            rc = store_spool_retry(txn, it->spool_id, r->now + backoff_ms(it->attempts));
    }
    return rc;
}

static void record_done(int rc, void *arg)
{
    struct record *r = arg;
    struct uploader *u = r->u;
    if (rc != STORE_OK)
        log_error("uploader: could not record a round; it will be repeated");
    for (struct item *it = r->results, *next; it; it = next) {
        next = it->next_result;
        for (int i = 0; i < u->n_set; i++)
            if (u->set[i] == it) {
                u->set[i] = u->set[--u->n_set];
                break;
            }
        free_item(it);
    }
    free(r);
    u->record = NULL;
    if (u->stopping) /* the round begin_stop waited for */
        event_base_loopexit(u->base, NULL);
    pump(u);
}

static void flush_results(struct uploader *u)
{
    if (u->record || !u->results)
        return;
    struct record *r = xcalloc(1, sizeof *r);
    r->u = u;
    r->results = u->results;
    r->now = time_now_ms();
    u->results = u->results_tail = NULL;
    u->record = r;
    store_submit(u->store, u->base, record_job, record_done, r);
}

static void finished(struct uploader *u, struct item *it)
{
    metrics_upload(!it->body, it->ok, it->len);
    if (!it->ok)
        log_warn("uploader: %s (will retry)", it->err);
    if (!it->body) {
        u->delete_failures = it->ok ? 0 : u->delete_failures + 1;
        if (!it->ok)
            u->deletes_paused_until = time_now_ms() + backoff_ms(u->delete_failures);
    }
    if (it->ok)
        health_ok(it->body ? "upload" : "delete", time_now_ms());
    else
        health_failed(it->body ? "upload" : "delete", 0, it->err, time_now_ms());
    if (u->results_tail)
        u->results_tail->next_result = it;
    else
        u->results = it;
    u->results_tail = it;
}

static void on_s3_done(CURL *easy, CURLcode rc, void *arg)
{
    struct uploader *u = arg;
    struct item *it;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&it);
    it->ok = blobstore_s3_result(it->req, rc, it->err, sizeof it->err) == 0;
    blobstore_s3_free(it->req);
    it->req = NULL;
    finished(u, it);
    flush_results(u);
}

/* ---- starting work ---- */

static bool deleting(struct uploader *u, const char *key)
{
    for (int i = 0; i < u->n_set; i++)
        if (!u->set[i]->body && strcmp(u->set[i]->key, key) == 0)
            return true;
    return false;
}

/* Start an item: an S3 request on the multi, or a local write (made
 * durable by the caller's sync). */
static void start(struct uploader *u, struct item *it, bool *local_pending)
{
    u->set[u->n_set++] = it;
    if (blobstore_is_s3(u->bs)) {
        it->req = blobstore_s3_request(u->bs, it->key, it->body, it->len);
        CURL *e = it->req ? blobstore_s3_easy(it->req) : NULL;
        if (e) {
            curl_easy_setopt(e, CURLOPT_PRIVATE, it);
            if (curlev_add(u->curl, e) == 0)
                return;
        }
        snprintf(it->err, sizeof it->err, "cannot start a request for %s", it->key);
        it->ok = false;
        finished(u, it);
        return;
    }
    it->ok = (it->body ? blobstore_local_put(u->bs, it->key, it->body, it->len, it->err, sizeof it->err)
                       : blobstore_local_delete(u->bs, it->key, it->err, sizeof it->err)) == 0;
    it->fresh = true;
    *local_pending = true;
}

static void arm_retry_timer(struct uploader *u, int64_t now)
{
    int64_t next = store_read_spool_next(u->reader, now);
    if (u->deletes_paused_until > now && (next < 0 || u->deletes_paused_until < next))
        next = u->deletes_paused_until;
    if (next < 0) {
        evtimer_del(u->retry_timer);
        return;
    }
    int64_t wait = next - now;
    struct timeval tv = {(long)(wait / 1000), (long)(wait % 1000) * 1000};
    evtimer_add(u->retry_timer, &tv);
}

/* Keep upload_concurrency items moving while any are due. */
static void pump(struct uploader *u)
{
    if (u->stopping)
        return;
    int64_t now = time_now_ms();
    int room = u->max - u->n_set;
    bool local_pending = false;
    if (room > 0) {
        int64_t *skip = xcalloc((size_t)u->n_set + 1, sizeof *skip);
        int n_skip = 0;
        for (int i = 0; i < u->n_set; i++)
            if (u->set[i]->body)
                skip[n_skip++] = u->set[i]->spool_id;
        struct store_spooled *due = xcalloc((size_t)room, sizeof *due);
        int n = store_claim_spooled(u->reader, now, room, skip, n_skip, due);
        free(skip);
        for (int i = 0; i < n; i++) {
            struct item *it = xcalloc(1, sizeof *it);
            it->spool_id = due[i].id;
            it->key = due[i].key;
            it->body = due[i].body;
            it->len = due[i].len;
            it->attempts = due[i].attempts;
            start(u, it, &local_pending);
        }
        free(due);
        room -= n > 0 ? n : 0;
    }
    if (room > 0 && u->deletes_paused_until <= now) {
        json_t *dels = store_read_body_deletes(u->reader, room + u->n_set);
        size_t i;
        json_t *d;
        json_array_foreach(dels, i, d)
        {
            const char *key = json_string_value(json_object_get(d, "key"));
            if (room <= 0)
                break;
            if (!key || deleting(u, key))
                continue;
            struct item *it = xcalloc(1, sizeof *it);
            it->key = xstrdup(key);
            start(u, it, &local_pending);
            room--;
        }
        json_decref(dels);
    }
    if (local_pending) {
        /* One sync makes the whole batch durable; only then may the spool let go. */
        char err[256] = "";
        bool synced = blobstore_local_sync(u->bs, err, sizeof err) == 0;
        for (int i = 0; i < u->n_set; i++) {
            struct item *it = u->set[i];
            if (!it->fresh)
                continue;
            it->fresh = false;
            if (!synced && it->ok) {
                it->ok = false;
                snprintf(it->err, sizeof it->err, "%s", err);
            }
            finished(u, it);
        }
    }
    flush_results(u);
    arm_retry_timer(u, now);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    pump(arg);
}

/* ---- lifecycle ---- */

static void *uploader_main(void *arg)
{
    pthread_setname_np(pthread_self(), "sr-upload");
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
    u->max = (int)cfg->upload_concurrency;
    u->set = xcalloc((size_t)u->max, sizeof *u->set);
    u->reader = store_reader_open(st, err, errlen);
    u->base = u->reader ? event_base_new() : NULL;
    if (u->base && blobstore_is_s3(bs)) {
        u->curl = curlev_new(u->base, on_s3_done, u);
        if (u->curl)
            curl_multi_setopt(curlev_multi(u->curl), CURLMOPT_MAX_HOST_CONNECTIONS, (long)u->max);
    }
    if (!u->base || (blobstore_is_s3(bs) && !u->curl)) {
        if (!err[0])
            snprintf(err, errlen, "cannot start the uploader");
        uploader_free(u);
        return NULL;
    }
    u->wake = event_new(u->base, -1, 0, on_wake, u);
    u->retry_timer = evtimer_new(u->base, on_wake, u);
    event_active(u->wake, EV_TIMEOUT, 0); /* whatever is spooled from before a restart */
    if (pthread_create(&u->thread, NULL, uploader_main, u) != 0) {
        snprintf(err, errlen, "cannot start the uploader thread");
        uploader_free(u);
        return NULL;
    }
    return u;
}

void uploader_on_commit(const struct store_commit *c, void *arg)
{
    struct uploader *u = arg;
    if (c->spooled || c->deletes)
        event_active(u->wake, EV_TIMEOUT, 0);
}

static void begin_stop(evutil_socket_t fd, short what, void *arg)
{
    struct uploader *u = arg;
    u->stopping = true;
    for (int i = 0; i < u->n_set; i++) {
        struct item *it = u->set[i];
        if (it->req) { /* abandoned: the body stays spooled */
            curlev_remove(u->curl, blobstore_s3_easy(it->req));
            u->set[i--] = u->set[--u->n_set];
            free_item(it);
        }
    }
    /* A round being recorded comes back first: once the loop stops, the
     * store could not hand its result back, and its job would be lost. */
    if (!u->record)
        event_base_loopexit(u->base, NULL);
}

void uploader_stop(struct uploader *u, int64_t deadline_ms)
{
    if (!u || !u->thread)
        return;
    static const struct timeval now = {0, 0};
    event_base_once(u->base, -1, EV_TIMEOUT, begin_stop, u, &now);
    pthread_join(u->thread, NULL);
    u->thread = 0;
}

void uploader_free(struct uploader *u)
{
    if (!u)
        return;
    /* What is left was finished but not recorded, or recorded by store_close
     * (whose done callback never runs): either way the memory is ours. */
    for (int i = 0; i < u->n_set; i++) {
        if (u->set[i]->req)
            curlev_remove(u->curl, blobstore_s3_easy(u->set[i]->req));
        free_item(u->set[i]);
    }
    free(u->record);
    curlev_free(u->curl);
    if (u->wake)
        event_free(u->wake);
    if (u->retry_timer)
        event_free(u->retry_timer);
    if (u->base)
        event_base_free(u->base);
    store_reader_close(u->reader);
    free(u->set);
    free(u);
}
