/* store: store.h's calls, forwarded to the backend store_open chose
 * (store_backend.h), and the writer thread every backend shares.
 *
 * The writer drains the job queue into batches of up to batch_max jobs and
 * hands each to the backend's run_batch (one transaction, a savepoint per
 * job); then it tells the commit subscribers and sends each job's result
 * back to its submitter's loop (event_base_once).
 *
 * A backend whose commit is not yet durable when run_batch returns (SQLite:
 * its sync member) gets a second thread, the syncer: the writer hands it
 * each finished batch and goes on with the next one at once; the syncer
 * makes everything committed so far durable with one sync, then tells the
 * subscribers and replies, batch after batch in commit order. So a reply
 * still means durable, and the writer never waits for the disk. A failed
 * sync stops the process (abort): what was committed is then neither known
 * durable nor undone, so nothing may be answered either way. Everything after
 * "forwarders" is one line per call: the backend's function of the same
 * name (sq_NAME in store_sqlite*.c, pg_NAME in store_pg*.c). */
#include "store.h"
#include "store_backend.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

struct store {
    const struct store_backend *be;
    void *db; /* the backend's */
    int batch_max;
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct store_job *head, *tail;
    bool stopping;
    pthread_t syncer;
    pthread_cond_t sync_cv;
    struct done_batch *sync_head, *sync_tail; /* committed, not yet made durable (under mu) */
    bool syncer_stop;
    unsigned long jobs_done, commits;
    long long spool_bytes;
    struct {
        void (*fn)(const struct store_commit *c, void *arg);
        void *arg;
    } subs[4];
    int n_subs;
};

/* SHIPRELAY_TRACE_SQL=FILE appends every statement the store prepares to
 * FILE, one per line ("sqlite<TAB>SELECT ..."), so a test can check each
 * one's query plan on its own backend (tests/integration/test_query_plans.py).
 * Both backends call it. */
void store_trace_sql(const struct store_backend *be, const char *sql)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static FILE *out;
    static bool checked;
    pthread_mutex_lock(&mu);
    if (!checked) {
        const char *path = getenv("SHIPRELAY_TRACE_SQL");
        out = path && *path ? fopen(path, "a") : NULL;
        checked = true;
    }
    if (out) {
        fprintf(out, "%s\t", be->name);
        for (const char *p = sql; *p; p++)
            fputc(*p == '\n' ? ' ' : *p, out);
        fputc('\n', out);
        fflush(out);
    }
    pthread_mutex_unlock(&mu);
}

/* ---- the writer ---- */

static void deliver(evutil_socket_t fd, short what, void *arg)
{
    struct store_job *j = arg;
    j->done(j->rc, j->arg);
    free(j);
}

/* A batch the backend has run, on its way to its replies. */
struct done_batch {
    struct store_job *jobs;
    unsigned n;
    bool ok;
    struct store_commit c;
    struct done_batch *next;
};

/* Count, tell the subscribers, and send every job's result to its loop. */
static void finish(struct store *st, struct done_batch *b)
{
    pthread_mutex_lock(&st->mu);
    st->jobs_done += b->ok ? b->n : 0;
    st->commits += b->ok;
    if (b->ok)
        st->spool_bytes = b->c.spool_bytes;
    int n_subs = st->n_subs;
    pthread_mutex_unlock(&st->mu);
    for (int i = 0; b->ok && i < n_subs; i++)
        st->subs[i].fn(&b->c, st->subs[i].arg);
    static const struct timeval now = {0, 0};
    for (struct store_job *j = b->jobs, *next; j; j = next) {
        next = j->next;
        if (!b->ok)
            j->rc = STORE_EIO;
        if (event_base_once(j->base, -1, EV_TIMEOUT, deliver, j, &now) != 0) {
            log_error("store: cannot hand a result back to its loop");
            free(j);
        }
    }
    free(b);
}

static void run_batch(struct store *st, struct store_job *batch)
{
    struct done_batch *b = xcalloc(1, sizeof *b);
    b->jobs = batch;
    for (struct store_job *j = batch; j; j = j->next)
        b->n++;
    int64_t began = metrics_now_ns();
    b->ok = st->be->run_batch(st->db, batch, &b->c);
    metrics_commit(b->n, metrics_now_ns() - began, b->ok);
    if (!st->be->sync) {
        finish(st, b);
        return;
    }
    pthread_mutex_lock(&st->mu);
    if (st->sync_tail)
        st->sync_tail->next = b;
    else
        st->sync_head = b;
    st->sync_tail = b;
    pthread_cond_signal(&st->sync_cv);
    pthread_mutex_unlock(&st->mu);
}

/* The syncer: one sync for every batch committed since the last, then
 * their replies in order. */
static void *syncer_main(void *arg)
{
    pthread_setname_np(pthread_self(), "sr-sync");
    struct store *st = arg;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (!st->sync_head && !st->syncer_stop)
            pthread_cond_wait(&st->sync_cv, &st->mu);
        struct done_batch *b = st->sync_head;
        if (!b)
            break;
        st->sync_head = st->sync_tail = NULL;
        pthread_mutex_unlock(&st->mu);
        bool any = false;
        for (struct done_batch *x = b; x; x = x->next)
            any |= x->ok;
        if (any && st->be->sync(st->db) != 0) {
            log_error("store: cannot make committed writes durable; stopping without answering them");
            abort();
        }
        for (struct done_batch *next; b; b = next) {
            next = b->next;
            finish(st, b);
        }
        if (st->be->maintain)
            st->be->maintain(st->db);
        pthread_mutex_lock(&st->mu);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* Wait for jobs; false after a second without any (when the backend wants
 * to hear about idle time). Called with mu held. */
static bool wait_for_jobs(struct store *st)
{
    if (!st->be->idle) {
        pthread_cond_wait(&st->cv, &st->mu);
        return true;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    return pthread_cond_timedwait(&st->cv, &st->mu, &until) == 0 || st->head || st->stopping;
}

static void *writer_main(void *arg)
{
    pthread_setname_np(pthread_self(), "sr-writer");
    struct store *st = arg;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (!st->head && !st->stopping) {
            if (!wait_for_jobs(st)) {
                pthread_mutex_unlock(&st->mu);
                long long spool = st->be->idle(st->db);
                pthread_mutex_lock(&st->mu);
                if (spool >= 0)
                    st->spool_bytes = spool;
            }
        }
        if (!st->head && st->stopping)
            break;
        struct store_job *batch = st->head, *last = batch;
        for (int n = 1; n < st->batch_max && last->next; n++)
            last = last->next;
        st->head = last->next;
        if (!st->head)
            st->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&st->mu);
        run_batch(st, batch);
        pthread_mutex_lock(&st->mu);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* ---- the store ---- */

static void stop_syncer(struct store *st)
{
    pthread_mutex_lock(&st->mu);
    st->syncer_stop = true;
    pthread_cond_signal(&st->sync_cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->syncer, NULL);
}

struct store *store_open(const struct store_options *opt, char *err, size_t errlen)
{
    const struct store_backend *be = opt->backend == STORE_POSTGRESQL ? &store_pg_backend : &store_sqlite_backend;
    long long spool_bytes = 0;
    void *db = be->open(opt, &spool_bytes, err, errlen);
    if (!db)
        return NULL;
    struct store *st = xcalloc(1, sizeof *st);
    st->be = be;
    st->db = db;
    st->batch_max = opt->batch_max > 0 ? opt->batch_max : 1;
    if (be->batch_cap > 0 && st->batch_max > be->batch_cap)
        st->batch_max = be->batch_cap;
    st->spool_bytes = spool_bytes;
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    pthread_cond_init(&st->sync_cv, NULL);
    bool syncer = be->sync && pthread_create(&st->syncer, NULL, syncer_main, st) == 0;
    if ((be->sync && !syncer) || pthread_create(&st->writer, NULL, writer_main, st) != 0) {
        snprintf(err, errlen, "cannot start the writer thread");
        if (syncer)
            stop_syncer(st);
        be->close(db);
        pthread_mutex_destroy(&st->mu);
        pthread_cond_destroy(&st->cv);
        pthread_cond_destroy(&st->sync_cv);
        free(st);
        return NULL;
    }
    return st;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    st->stopping = true;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->writer, NULL);
    if (st->be->sync)
        stop_syncer(st); /* after the writer: the last batches still get their sync and replies */
    st->be->close(st->db);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    pthread_cond_destroy(&st->sync_cv);
    free(st);
}

void store_submit(struct store *st, struct event_base *base, store_job_fn fn, store_done_fn done, void *arg)
{
    struct store_job *j = xcalloc(1, sizeof *j);
    j->fn = fn;
    j->done = done;
    j->arg = arg;
    j->base = base;
    pthread_mutex_lock(&st->mu);
    if (st->tail)
        st->tail->next = j;
    else
        st->head = j;
    st->tail = j;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

void store_subscribe(struct store *st, void (*fn)(const struct store_commit *c, void *arg), void *arg)
{
    pthread_mutex_lock(&st->mu);
    if (st->n_subs < (int)(sizeof st->subs / sizeof st->subs[0])) {
        st->subs[st->n_subs].fn = fn;
        st->subs[st->n_subs++].arg = arg;
    }
    pthread_mutex_unlock(&st->mu);
}

void store_stats(struct store *st, unsigned long *jobs, unsigned long *commits, long long *spool_bytes)
{
    pthread_mutex_lock(&st->mu);
    *jobs = st->jobs_done;
    *commits = st->commits;
    if (spool_bytes)
        *spool_bytes = st->spool_bytes;
    pthread_mutex_unlock(&st->mu);
}

int store_url_key(struct store *st, unsigned char key[32], char *err, size_t errlen)
{
    return st->be->url_key(st->db, key, err, errlen);
}

struct store_reader *store_reader_open(struct store *st, char *err, size_t errlen)
{
    return st->be->reader_open(st->db, err, errlen);
}

void store_reader_close(struct store_reader *rd)
{
    if (rd)
        rd->be->reader_close(rd);
}

struct store_listener *store_listen(struct store *st, char *err, size_t errlen)
{
    err[0] = '\0';
    return st->be->listen ? st->be->listen(st->db, err, errlen) : NULL;
}

int store_listen_fd(struct store_listener *l)
{
    return l->be->listen_fd(l);
}

unsigned store_listen_read(struct store_listener *l)
{
    return l->be->listen_read(l);
}

void store_listen_close(struct store_listener *l)
{
    if (l)
        l->be->listen_close(l);
}

/* ---- forwarders: inside a job, then reads ---- */

int store_job_undo(struct store_txn *txn)
{
    return txn->be->job_undo(txn);
}

json_t *store_order_get(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref)
{
    return txn->be->order_get(txn, tenant, key, ref);
}

json_t *store_order_peek(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref)
{
    return txn->be->order_peek(txn, tenant, key, ref);
}

char *store_order_json(struct store_txn *txn, const json_t *doc)
{
    return txn->be->order_json(txn, doc);
}

int store_order_insert(struct store_txn *txn, const char *tenant, const json_t *order)
{
    return txn->be->order_insert(txn, tenant, order);
}

int store_order_update(struct store_txn *txn, const char *tenant, const json_t *order)
{
    return txn->be->order_update(txn, tenant, order);
}

int store_changelog_add(struct store_txn *txn, const char *tenant, const char *order_id, const char *log_date, const char *source, const json_t *changes)
{
    return txn->be->changelog_add(txn, tenant, order_id, log_date, source, changes);
}

json_t *store_order_by_tracking(struct store_txn *txn, const char *tenant, const char *tracking_no)
{
    return txn->be->order_by_tracking(txn, tenant, tracking_no);
}

int store_event_seen(struct store_txn *txn, const char *tenant, const char *source, const char *key, const char *now_iso)
{
    return txn->be->event_seen(txn, tenant, source, key, now_iso);
}

int store_park(struct store_txn *txn, const char *tenant, const char *source, const json_t *event, const char *now_iso)
{
    return txn->be->park(txn, tenant, source, event, now_iso);
}

json_t *store_unpark(struct store_txn *txn, const char *tenant, const json_t *order)
{
    return txn->be->unpark(txn, tenant, order);
}

int store_outbox_add(struct store_txn *txn, const char *tenant, const struct store_outbox_event *ev, int64_t now_ms)
{
    return txn->be->outbox_add(txn, tenant, ev, now_ms);
}

int store_endpoint_count(struct store_txn *txn, const char *tenant)
{
    return txn->be->endpoint_count(txn, tenant);
}

json_t *store_endpoint_get(struct store_txn *txn, const char *tenant, const char *id)
{
    return txn->be->endpoint_get(txn, tenant, id);
}

int store_endpoint_put(struct store_txn *txn, const json_t *endpoint)
{
    return txn->be->endpoint_put(txn, endpoint);
}

int store_endpoint_delete(struct store_txn *txn, const char *tenant, const char *id, int64_t now_ms)
{
    return txn->be->endpoint_delete(txn, tenant, id, now_ms);
}

int store_message_requeue(struct store_txn *txn, const char *tenant, const char *message_id, const char *endpoint_id, int64_t since_ms, int64_t now_ms)
{
    return txn->be->message_requeue(txn, tenant, message_id, endpoint_id, since_ms, now_ms);
}

int store_endpoint_hold(struct store_txn *txn, const char *tenant, const char *endpoint_id, bool hold, int64_t now_ms)
{
    return txn->be->endpoint_hold(txn, tenant, endpoint_id, hold, now_ms);
}

int store_attempt_record(struct store_txn *txn, const json_t *attempt, const char *status, int64_t next_attempt_at)
{
    return txn->be->attempt_record(txn, attempt, status, next_attempt_at);
}

int store_endpoint_health(struct store_txn *txn, const char *endpoint_id, int outcome, int64_t now_ms, int64_t disable_after_ms)
{
    return txn->be->endpoint_health(txn, endpoint_id, outcome, now_ms, disable_after_ms);
}

json_t *store_orders_by_customer(struct store_txn *txn, const char *tenant, const char *customer_key)
{
    return txn->be->orders_by_customer(txn, tenant, customer_key);
}

int store_changelog_redact(struct store_txn *txn, const char *tenant, const char *order_id, json_t *(*scrub)(const char *field, const json_t *value))
{
    return txn->be->changelog_redact(txn, tenant, order_id, scrub);
}

int store_outbox_redact(struct store_txn *txn, const char *tenant, const char *order_id, bool (*scrub)(json_t *payload))
{
    return txn->be->outbox_redact(txn, tenant, order_id, scrub);
}

int store_history_archive(struct store_txn *txn, const char *tenant, const char *order_id, const json_t *moved, const char *now_iso)
{
    return txn->be->history_archive(txn, tenant, order_id, moved, now_iso);
}

int store_sweep_messages(struct store_txn *txn, const char *status, int64_t before_ms, int limit)
{
    return txn->be->sweep_messages(txn, status, before_ms, limit);
}

int store_sweep_changelogs(struct store_txn *txn, const char *before_iso, int limit)
{
    return txn->be->sweep_changelogs(txn, before_iso, limit);
}

int store_sweep_history(struct store_txn *txn, const char *before_iso, int limit)
{
    return txn->be->sweep_history(txn, before_iso, limit);
}

int store_sweep_seen(struct store_txn *txn, const char *before_iso, int limit)
{
    return txn->be->sweep_seen(txn, before_iso, limit);
}

int store_sweep_parked(struct store_txn *txn, const char *before_iso, int limit)
{
    return txn->be->sweep_parked(txn, before_iso, limit);
}

int store_sweep_orders(struct store_txn *txn, const char *before_iso, int limit)
{
    return txn->be->sweep_orders(txn, before_iso, limit);
}

json_t *store_stuck_scan(struct store_txn *txn, const struct store_stuck_rule *rule, const char *after_since, long long after_seq, int limit)
{
    return txn->be->stuck_scan(txn, rule, after_since, after_seq, limit);
}

int store_stuck_mark(struct store_txn *txn, const char *tenant, const char *order_id, const char *status_since)
{
    return txn->be->stuck_mark(txn, tenant, order_id, status_since);
}

json_t *store_order_last_event(struct store_txn *txn, const char *tenant, const char *order_id)
{
    return txn->be->order_last_event(txn, tenant, order_id);
}

json_t *store_return_get(struct store_txn *txn, const char *tenant, const char *id)
{
    return txn->be->return_get(txn, tenant, id);
}

int store_return_put(struct store_txn *txn, const char *tenant, const json_t *ret, bool created)
{
    return txn->be->return_put(txn, tenant, ret, created);
}

json_t *store_returns_by_reference(struct store_txn *txn, const char *tenant, const char *partner_order_reference)
{
    return txn->be->returns_by_reference(txn, tenant, partner_order_reference);
}

json_t *store_returns_by_order(struct store_txn *txn, const char *tenant, const char *order_id)
{
    return txn->be->returns_by_order(txn, tenant, order_id);
}

int store_return_key_put(struct store_txn *txn, const char *tenant, const char *key, const char *id)
{
    return txn->be->return_key_put(txn, tenant, key, id);
}

char *store_return_by_key(struct store_txn *txn, const char *tenant, const char *key)
{
    return txn->be->return_by_key(txn, tenant, key);
}

int store_sweep_returns(struct store_txn *txn, const char *before_iso, int limit)
{
    return txn->be->sweep_returns(txn, before_iso, limit);
}

int store_syslog_insert(struct store_txn *txn, const json_t *entry, const struct store_body bodies[2])
{
    return txn->be->syslog_insert(txn, entry, bodies);
}

int store_spool_moved(struct store_txn *txn, int64_t spool_id, const char *key)
{
    return txn->be->spool_moved(txn, spool_id, key);
}

int store_spool_retry(struct store_txn *txn, int64_t spool_id, int64_t next_try_at)
{
    return txn->be->spool_retry(txn, spool_id, next_try_at);
}

int store_body_deleted(struct store_txn *txn, const char *key)
{
    return txn->be->body_deleted(txn, key);
}

int store_syslog_sweep(struct store_txn *txn, const char *cutoff_iso, int limit)
{
    return txn->be->syslog_sweep(txn, cutoff_iso, limit);
}

int store_syslog_redact(struct store_txn *txn, const char *tenant, const char *order_id)
{
    return txn->be->syslog_redact(txn, tenant, order_id);
}

int store_syslog_adopt(struct store_txn *txn, const char *tenant, const char *identifier, const char *order_id)
{
    return txn->be->syslog_adopt(txn, tenant, identifier, order_id);
}

int store_syslog_forget_order(struct store_txn *txn, const char *tenant, const char *order_id)
{
    return txn->be->syslog_forget_order(txn, tenant, order_id);
}

int store_read_health(struct store_reader *rd, char *detail, size_t len)
{
    return rd->be->read_health(rd, detail, len);
}

bool store_singleton(struct store_reader *rd, const char *role)
{
    return rd->be->singleton(rd, role);
}

json_t *store_read_order(struct store_reader *rd, const char *tenant, enum store_key key, const char *ref, bool *failed)
{
    return rd->be->read_order(rd, tenant, key, ref, failed);
}

json_t *store_read_orders(struct store_reader *rd, const char *tenant, const struct store_order_filter *f)
{
    return rd->be->read_orders(rd, tenant, f);
}

json_t *store_read_changelogs(struct store_reader *rd, const char *tenant, const char *order_id, bool newest_first)
{
    return rd->be->read_changelogs(rd, tenant, order_id, newest_first);
}

json_t *store_read_endpoints(struct store_reader *rd, const char *tenant, const char *id)
{
    return rd->be->read_endpoints(rd, tenant, id);
}

json_t *store_read_messages(struct store_reader *rd, const char *tenant, const char *endpoint_id, const char *event_type, const char *status, int64_t after_seq, int limit)
{
    return rd->be->read_messages(rd, tenant, endpoint_id, event_type, status, after_seq, limit);
}

json_t *store_read_message(struct store_reader *rd, const char *tenant, const char *id)
{
    return rd->be->read_message(rd, tenant, id);
}

json_t *store_read_attempts(struct store_reader *rd, const char *tenant, const char *message_id)
{
    return rd->be->read_attempts(rd, tenant, message_id);
}

json_t *store_read_sending_endpoints(struct store_reader *rd)
{
    return rd->be->read_sending_endpoints(rd);
}

json_t *store_claim_due(struct store_reader *rd, const char *endpoint_id, int64_t now_ms, int limit, const char *const *skip, int n_skip, int64_t *wait_ms)
{
    return rd->be->claim_due(rd, endpoint_id, now_ms, limit, skip, n_skip, wait_ms);
}

int64_t store_read_next_due(struct store_reader *rd, int64_t now_ms)
{
    return rd->be->read_next_due(rd, now_ms);
}

char *store_read_body_ref(struct store_reader *rd, const char *tenant, const char *key, size_t *len)
{
    char id[128];
    long long attempt = 0;
    if (sscanf(key, "db:message:%127s", id) != 1 &&
        (sscanf(key, "db:attempt:%127[^:]:%lld", id, &attempt) != 2 || attempt < 1))
        return NULL;
    return rd->be->read_body_ref(rd, tenant, id, attempt, len);
}

json_t *store_read_history(struct store_reader *rd, const char *tenant, const char *order_id, const char *shipment, long long after, int limit)
{
    return rd->be->read_history(rd, tenant, order_id, shipment, after, limit);
}

json_t *store_read_stuck(struct store_reader *rd, const char *tenant, const struct store_stuck_rule *rules, int n_rules, const char *now_iso, int limit)
{
    return rd->be->read_stuck(rd, tenant, rules, n_rules, now_iso, limit);
}

json_t *store_count_stuck(struct store_reader *rd, const struct store_stuck_rule *rules, int n_rules)
{
    return rd->be->count_stuck(rd, rules, n_rules);
}

json_t *store_read_return(struct store_reader *rd, const char *tenant, const char *id, bool *failed)
{
    return rd->be->read_return(rd, tenant, id, failed);
}

json_t *store_read_returns(struct store_reader *rd, const char *tenant, const struct store_return_filter *f)
{
    return rd->be->read_returns(rd, tenant, f);
}

json_t *store_read_message_counts(struct store_reader *rd)
{
    return rd->be->read_message_counts(rd);
}

json_t *store_read_pending_by_endpoint(struct store_reader *rd)
{
    return rd->be->read_pending_by_endpoint(rd);
}

json_t *store_read_syslogs(struct store_reader *rd, const char *tenant, const char *order_id, const char *correlation_id, const char *event_type, const char *request_type, int code_min, int code_max, long long after, int limit)
{
    return rd->be->read_syslogs(rd, tenant, order_id, correlation_id, event_type, request_type, code_min, code_max, after, limit);
}

json_t *store_read_syslog(struct store_reader *rd, const char *tenant, const char *identifier)
{
    return rd->be->read_syslog(rd, tenant, identifier);
}

char *store_read_spooled(struct store_reader *rd, int64_t spool_id, const char *key, size_t *len)
{
    return rd->be->read_spooled(rd, spool_id, key, len);
}

int store_claim_spooled(struct store_reader *rd, int64_t now_ms, int limit, const int64_t *skip, int n_skip, struct store_spooled *out)
{
    return rd->be->claim_spooled(rd, now_ms, limit, skip, n_skip, out);
}

json_t *store_read_body_deletes(struct store_reader *rd, int limit)
{
    return rd->be->read_body_deletes(rd, limit);
}

int64_t store_read_spool_next(struct store_reader *rd, int64_t now_ms)
{
    return rd->be->read_spool_next(rd, now_ms);
}

static int by_time_in_status(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "status_since"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "status_since"));
    return strcmp(x ? x : "", y ? y : "");
}

json_t *store_stuck_longest(json_t *all, int limit)
{
    size_t n = json_array_size(all);
    json_t **v = n ? xmalloc(n * sizeof *v) : NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(all, i);
    if (n)
        qsort(v, n, sizeof *v, by_time_in_status);
    json_t *out = json_array();
    for (size_t i = 0; i < n && (int)i < limit; i++)
        json_array_append(out, v[i]);
    free(v);
    json_decref(all);
    return out;
}
