/* store_backend: the seam between store.h and its implementations. Private
 * to store.c and the backends (store_sqlite*.c, store_pg*.c).
 *
 * Every call of store.h has one member here of the same name without the
 * "store_" prefix (store_order_get → order_get, store_read_order →
 * read_order), and each backend fills the table with its own function of
 * that name behind its prefix: sq_order_get (SQLite), pg_order_get
 * (PostgreSQL). store.c forwards each call through the table of the
 * transaction, reader or store it is given. Adding a call to store.h means
 * one member here, one forwarder in store.c, and one function in each
 * backend with its line in that backend's table (a unit test checks no
 * member is left empty).
 *
 * A backend's transaction, reader and listener objects begin with struct
 * store_txn / store_reader / store_listener (which only say whose they
 * are) and cast back to their own type inside; nothing outside the
 * backend sees the rest.
 *
 * The writer thread, its queue and the commit subscribers are store.c's and
 * the same for every backend: the backend only runs a batch of jobs in one
 * transaction (run_batch). */
#ifndef SHIPRELAY_STORE_BACKEND_H
#define SHIPRELAY_STORE_BACKEND_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store_backend;

/* The first member of every backend's transaction, reader and listener. */
struct store_txn {
    const struct store_backend *be;
};
struct store_reader {
    const struct store_backend *be;
};
struct store_listener {
    const struct store_backend *be;
};

/* One queued job (store.c owns the queue; run_batch sets rc). */
struct store_job {
    store_job_fn fn;
    store_done_fn done;
    void *arg;
    struct event_base *base;
    int rc;
    struct store_job *next;
};

struct store_backend {
    const char *name;
    int batch_cap; /* most jobs one transaction may hold (0: no cap of its own) */

    /* ---- the store (db is what open returned) ---- */
    /* Open and migrate; the spool's size into *spool_bytes. NULL with err. */
    void *(*open)(const struct store_options *opt, long long *spool_bytes, char *err, size_t errlen);
    void (*close)(void *db);
    /* Run batch (linked by next) in one transaction, each job in its own
     * savepoint; set every job's rc. False when the transaction was lost
     * (store.c then reports STORE_EIO to every job of it). On success, c
     * says what the commit did. Called on the writer thread only. */
    bool (*run_batch)(void *db, struct store_job *batch, struct store_commit *c);
    /* May be NULL: then run_batch's commit is durable when it returns.
     * Otherwise make every batch run_batch has committed so far durable;
     * -1 when that failed. Called on store.c's syncer thread, while the
     * writer may be running the next batch. */
    int (*sync)(void *db);
    /* May be NULL: called on the syncer thread after each round of
     * replies, for work that must not delay them (SQLite: checkpoints). */
    void (*maintain)(void *db);
    /* Called on the writer thread when it has been idle for a second (may
     * be NULL): the spool's size as it stands now (other nodes change it
     * too), or -1 when unknown. */
    long long (*idle)(void *db);
    struct store_reader *(*reader_open)(void *db, char *err, size_t errlen);
    int (*url_key)(void *db, unsigned char key[32], char *err, size_t errlen);
    struct store_listener *(*listen)(void *db, char *err, size_t errlen);
    int (*listen_fd)(struct store_listener *l);
    unsigned (*listen_read)(struct store_listener *l);
    void (*listen_close)(struct store_listener *l);

    /* ---- inside a job ---- */
    int (*job_undo)(struct store_txn *txn);
    json_t *(*order_get)(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref);
    json_t *(*order_peek)(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref);
    char *(*order_json)(struct store_txn *txn, const json_t *doc);
    int (*order_insert)(struct store_txn *txn, const char *tenant, const json_t *order);
    int (*order_update)(struct store_txn *txn, const char *tenant, const json_t *order);
    int (*changelog_add)(struct store_txn *txn, const char *tenant, const char *order_id, const char *log_date,
                         const char *source, const json_t *changes);
    json_t *(*order_by_tracking)(struct store_txn *txn, const char *tenant, const char *tracking_no);
    int (*event_seen)(struct store_txn *txn, const char *tenant, const char *source, const char *key,
                      const char *now_iso);
    int (*park)(struct store_txn *txn, const char *tenant, const char *source, const json_t *event,
                const char *now_iso);
    json_t *(*unpark)(struct store_txn *txn, const char *tenant, const json_t *order);
    int (*outbox_add)(struct store_txn *txn, const char *tenant, const struct store_outbox_event *ev, int64_t now_ms);
    int (*endpoint_count)(struct store_txn *txn, const char *tenant);
    json_t *(*endpoint_get)(struct store_txn *txn, const char *tenant, const char *id);
    int (*endpoint_put)(struct store_txn *txn, const json_t *endpoint);
    int (*endpoint_delete)(struct store_txn *txn, const char *tenant, const char *id, int64_t now_ms);
    int (*message_requeue)(struct store_txn *txn, const char *tenant, const char *message_id,
                           const char *endpoint_id, int64_t since_ms, int64_t now_ms);
    int (*endpoint_hold)(struct store_txn *txn, const char *tenant, const char *endpoint_id, bool hold,
                         int64_t now_ms);
    int (*attempt_record)(struct store_txn *txn, const json_t *attempt, const char *status, int64_t next_attempt_at);
    int (*endpoint_health)(struct store_txn *txn, const char *endpoint_id, int outcome, int64_t now_ms,
                           int64_t disable_after_ms);
    json_t *(*orders_by_customer)(struct store_txn *txn, const char *tenant, const char *customer_key);
    int (*changelog_redact)(struct store_txn *txn, const char *tenant, const char *order_id,
                            json_t *(*scrub)(const char *field, const json_t *value));
    int (*outbox_redact)(struct store_txn *txn, const char *tenant, const char *order_id,
                         bool (*scrub)(json_t *payload));
    int (*history_archive)(struct store_txn *txn, const char *tenant, const char *order_id, const json_t *moved,
                           const char *now_iso);
    int (*sweep_messages)(struct store_txn *txn, const char *status, int64_t before_ms, int limit);
    int (*sweep_changelogs)(struct store_txn *txn, const char *before_iso, int limit);
    int (*sweep_history)(struct store_txn *txn, const char *before_iso, int limit);
    int (*sweep_seen)(struct store_txn *txn, const char *before_iso, int limit);
    int (*sweep_parked)(struct store_txn *txn, const char *before_iso, int limit);
    int (*sweep_orders)(struct store_txn *txn, const char *before_iso, int limit);
    json_t *(*stuck_scan)(struct store_txn *txn, const struct store_stuck_rule *rule, const char *after_since,
                          long long after_seq, int limit);
    int (*stuck_mark)(struct store_txn *txn, const char *tenant, const char *order_id, const char *status_since);
    json_t *(*order_last_event)(struct store_txn *txn, const char *tenant, const char *order_id);
    json_t *(*return_get)(struct store_txn *txn, const char *tenant, const char *id);
    int (*return_put)(struct store_txn *txn, const char *tenant, const json_t *ret, bool created);
    json_t *(*returns_by_reference)(struct store_txn *txn, const char *tenant, const char *partner_order_reference);
    json_t *(*returns_by_order)(struct store_txn *txn, const char *tenant, const char *order_id);
    int (*return_key_put)(struct store_txn *txn, const char *tenant, const char *key, const char *id);
    char *(*return_by_key)(struct store_txn *txn, const char *tenant, const char *key);
    int (*sweep_returns)(struct store_txn *txn, const char *before_iso, int limit);
    int (*syslog_insert)(struct store_txn *txn, const json_t *entry, const struct store_body bodies[2]);
    int (*spool_moved)(struct store_txn *txn, int64_t spool_id, const char *key);
    int (*spool_retry)(struct store_txn *txn, int64_t spool_id, int64_t next_try_at);
    int (*body_deleted)(struct store_txn *txn, const char *key);
    int (*syslog_sweep)(struct store_txn *txn, const char *cutoff_iso, int limit);
    int (*syslog_redact)(struct store_txn *txn, const char *tenant, const char *order_id);
    int (*syslog_adopt)(struct store_txn *txn, const char *tenant, const char *identifier, const char *order_id);
    int (*syslog_forget_order)(struct store_txn *txn, const char *tenant, const char *order_id);

    /* ---- reads ---- */
    void (*reader_close)(struct store_reader *rd);
    int (*read_health)(struct store_reader *rd, char *detail, size_t len);
    bool (*singleton)(struct store_reader *rd, const char *role);
    json_t *(*read_order)(struct store_reader *rd, const char *tenant, enum store_key key, const char *ref,
                          bool *failed);
    json_t *(*read_orders)(struct store_reader *rd, const char *tenant, const struct store_order_filter *f);
    json_t *(*read_changelogs)(struct store_reader *rd, const char *tenant, const char *order_id, bool newest_first);
    json_t *(*read_endpoints)(struct store_reader *rd, const char *tenant, const char *id);
    json_t *(*read_messages)(struct store_reader *rd, const char *tenant, const char *endpoint_id,
                             const char *event_type, const char *status, int64_t after_seq, int limit);
    json_t *(*read_message)(struct store_reader *rd, const char *tenant, const char *id);
    json_t *(*read_attempts)(struct store_reader *rd, const char *tenant, const char *message_id);
    json_t *(*read_sending_endpoints)(struct store_reader *rd);
    json_t *(*claim_due)(struct store_reader *rd, const char *endpoint_id, int64_t now_ms, int limit,
                         const char *const *skip, int n_skip, int64_t *wait_ms);
    int64_t (*read_next_due)(struct store_reader *rd, int64_t now_ms);
    /* the message's payload (attempt 0) or the response to its attempt N (store.c parses the key) */
    char *(*read_body_ref)(struct store_reader *rd, const char *tenant, const char *message_id, long long attempt,
                           size_t *len);
    json_t *(*read_history)(struct store_reader *rd, const char *tenant, const char *order_id, const char *shipment,
                            long long after, int limit);
    json_t *(*read_stuck)(struct store_reader *rd, const char *tenant, const struct store_stuck_rule *rules,
                          int n_rules, const char *now_iso, int limit);
    json_t *(*count_stuck)(struct store_reader *rd, const struct store_stuck_rule *rules, int n_rules);
    json_t *(*read_return)(struct store_reader *rd, const char *tenant, const char *id, bool *failed);
    json_t *(*read_returns)(struct store_reader *rd, const char *tenant, const struct store_return_filter *f);
    json_t *(*read_message_counts)(struct store_reader *rd);
    json_t *(*read_pending_by_endpoint)(struct store_reader *rd);
    json_t *(*read_syslogs)(struct store_reader *rd, const char *tenant, const char *order_id,
                            const char *correlation_id, const char *event_type, const char *request_type,
                            int code_min, int code_max, long long after, int limit);
    json_t *(*read_syslog)(struct store_reader *rd, const char *tenant, const char *identifier);
    char *(*read_spooled)(struct store_reader *rd, int64_t spool_id, const char *key, size_t *len);
    int (*claim_spooled)(struct store_reader *rd, int64_t now_ms, int limit, const int64_t *skip, int n_skip,
                         struct store_spooled *out);
    json_t *(*read_body_deletes)(struct store_reader *rd, int limit);
    int64_t (*read_spool_next)(struct store_reader *rd, int64_t now_ms);
};

/* SHIPRELAY_TRACE_SQL=FILE: every statement a backend prepares, one per
 * line after the backend's name and a tab, for the query-plan tests
 * (store.c). */
void store_trace_sql(const struct store_backend *be, const char *sql);

/* read_stuck's last step, the same for every backend: all (the stuck
 * orders of every rule, each with status_since; stolen) sorted longest
 * stuck first, and the first limit of them (store.c). */
json_t *store_stuck_longest(json_t *all, int limit);

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

#endif
