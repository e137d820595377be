/* store_sqlite_int: what the SQLite backend's files share (private to
 * store_sqlite.c, store_webhooks.c, store_syslog.c, store_orders.c,
 * store_retention.c, store_metrics.c, store_history.c, store_redact.c,
 * store_returns.c and store_stuck.c; nothing else includes it but the
 * SQLite unit test). Each sq_NAME below is store.h's store_NAME for SQLite
 * (store_backend.h); the table that names them is in store_sqlite.c.
 *
 * Statements are prepared on first use and kept per connection in a small
 * cache keyed by the SQL text's address (always a string literal), so each
 * file owns its own SQL next to the code that runs it. */
#ifndef SHIPRELAY_STORE_SQLITE_INT_H
#define SHIPRELAY_STORE_SQLITE_INT_H
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store.h"
#include "store_backend.h"

#define STMT_CACHE_MAX 256

/* store_migrations.c */
extern const char *const store_migrations[];
extern const int store_migrations_count;

struct stmt_cache {
    int n;
    const char *sql[STMT_CACHE_MAX];
    sqlite3_stmt *stmt[STMT_CACHE_MAX];
};

/* What the jobs of one transaction did, kept per job (undone with it) and
 * summed per batch for the commit subscribers. */
struct txn_effects {
    unsigned messages;      /* outbox rows added */
    long long spool_delta;  /* bytes added to (or, negative, taken from) the body spool */
    long long parked_delta; /* parked events added (or, negative, taken) */
    bool spooled;           /* bodies were added */
    bool deletes;           /* bodies were queued for deletion from the object store */
    bool endpoints_changed; /* an endpoint was created, changed or deleted */
    bool scrubbed;          /* personal data was taken out (store_redact.c): no copy may stay in the files */
};

#define ORDER_KNOWN_MAX 16

struct sq_txn {
    struct store_txn base; /* first: store.h's handle */
    sqlite3 *db;
    struct order_cache *orders; /* parsed orders with their stored text (order_cache.h) */
    struct {                    /* this job's orders whose stored text is known (store_order_json) */
        const json_t *doc;
        char *text;
    } known[ORDER_KNOWN_MAX];
    int n_known, known_next;
    long long spool_committed; /* the spool's size as of the last commit */
    long long parked_committed; /* parked events as of the last commit (none: no lookup needed) */
    long long spool_max;       /* its cap (0: none) */
    bool checkpoint_owed;      /* a redaction committed but the WAL could not be truncated yet */
    struct txn_effects batch, job;
    sqlite3_stmt *get_by_id, *get_by_ref, *insert, *log;
    sqlite3_stmt *key_put, *get_by_tracking, *seen, *park, *parked_for, *unpark;
    struct stmt_cache cache;
};

struct sq_reader {
    struct store_reader base; /* first: store.h's handle */
    sqlite3 *db;
    sqlite3_stmt *get_by_id, *get_by_ref, *logs_asc, *logs_desc;
    struct stmt_cache cache;
};

static inline struct sq_txn *sq_txn(struct store_txn *t)
{
    return (struct sq_txn *)t;
}
static inline struct sq_reader *sq_reader(struct store_reader *r)
{
    return (struct sq_reader *)r;
}

/* The cached statement for sql on db (NULL if it does not prepare). The
 * caller binds, steps, and resets it (sq_done and sq_rows reset for you). */
sqlite3_stmt *sq_stmt(sqlite3 *db, struct stmt_cache *c, const char *sql);
void sq_cache_free(struct stmt_cache *c);
/* Step a write to completion and reset: STORE_OK, STORE_EXISTS (constraint)
 * or STORE_EIO. */
int sq_done(sqlite3_stmt *s);
/* Every row as an object named by its columns (integers, reals, text, and
 * NULL as null; text columns whose name ends in "_json" are parsed, and
 * the suffix dropped). Resets the statement. NULL on error. */
json_t *sq_rows(sqlite3_stmt *s);
/* Bind text that may be NULL. */
void sq_text(sqlite3_stmt *s, int idx, const char *text);
/* Forget what store_order_json knows (the job is over, or undone). */
void sq_forget_known(struct sq_txn *t);
/* store_orders.c: the list query for f (exposed for the test that checks
 * each filter is served by an index): its SQL, the filter values in bind
 * order after the tenant (the count is returned), and whether the rowid
 * bound is bound after them. */
int store_orders_list_sql(const struct store_order_filter *f, char sql[1024], const char *values[9], bool *bound);
/* Account for bytes entering (len > 0) or leaving (len < 0) the body spool in
 * this job; STORE_SPOOL_FULL when adding them would cross the cap. */
int sq_spool_account(struct sq_txn *txn, long long len);

/* store.h's calls on SQLite, by the member of store_backend.h they fill. */
int sq_job_undo(struct store_txn *txn);
json_t *sq_order_get(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref);
json_t *sq_order_peek(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref);
char *sq_order_json(struct store_txn *txn, const json_t *doc);
int sq_order_insert(struct store_txn *txn, const char *tenant, const json_t *order);
int sq_order_update(struct store_txn *txn, const char *tenant, const json_t *order);
int sq_changelog_add(struct store_txn *txn, const char *tenant, const char *order_id, const char *log_date,
                     const char *source, const json_t *changes);
json_t *sq_order_by_tracking(struct store_txn *txn, const char *tenant, const char *tracking_no);
int sq_event_seen(struct store_txn *txn, const char *tenant, const char *source, const char *key, const char *now_iso);
int sq_park(struct store_txn *txn, const char *tenant, const char *source, const json_t *event, const char *now_iso);
json_t *sq_unpark(struct store_txn *txn, const char *tenant, const json_t *order);
int sq_outbox_add(struct store_txn *txn, const char *tenant, const struct store_outbox_event *ev, int64_t now_ms);
int sq_endpoint_count(struct store_txn *txn, const char *tenant);
json_t *sq_endpoint_get(struct store_txn *txn, const char *tenant, const char *id);
int sq_endpoint_put(struct store_txn *txn, const json_t *endpoint);
int sq_endpoint_delete(struct store_txn *txn, const char *tenant, const char *id, int64_t now_ms);
int sq_message_requeue(struct store_txn *txn, const char *tenant, const char *message_id, const char *endpoint_id,
                       int64_t since_ms, int64_t now_ms);
int sq_endpoint_hold(struct store_txn *txn, const char *tenant, const char *endpoint_id, bool hold, int64_t now_ms);
int sq_attempt_record(struct store_txn *txn, const json_t *attempt, const char *status, int64_t next_attempt_at);
int sq_endpoint_health(struct store_txn *txn, const char *endpoint_id, int outcome, int64_t now_ms,
                       int64_t disable_after_ms);
json_t *sq_orders_by_customer(struct store_txn *txn, const char *tenant, const char *customer_key);
int sq_changelog_redact(struct store_txn *txn, const char *tenant, const char *order_id,
                        json_t *(*scrub)(const char *field, const json_t *value));
int sq_outbox_redact(struct store_txn *txn, const char *tenant, const char *order_id, bool (*scrub)(json_t *payload));
int sq_history_archive(struct store_txn *txn, const char *tenant, const char *order_id, const json_t *moved,
                       const char *now_iso);
int sq_sweep_messages(struct store_txn *txn, const char *status, int64_t before_ms, int limit);
int sq_sweep_changelogs(struct store_txn *txn, const char *before_iso, int limit);
int sq_sweep_history(struct store_txn *txn, const char *before_iso, int limit);
int sq_sweep_seen(struct store_txn *txn, const char *before_iso, int limit);
int sq_sweep_parked(struct store_txn *txn, const char *before_iso, int limit);
int sq_sweep_orders(struct store_txn *txn, const char *before_iso, int limit);
json_t *sq_stuck_scan(struct store_txn *txn, const struct store_stuck_rule *rule, const char *after_since,
                      long long after_seq, int limit);
int sq_stuck_mark(struct store_txn *txn, const char *tenant, const char *order_id, const char *status_since);
json_t *sq_order_last_event(struct store_txn *txn, const char *tenant, const char *order_id);
json_t *sq_return_get(struct store_txn *txn, const char *tenant, const char *id);
int sq_return_put(struct store_txn *txn, const char *tenant, const json_t *ret, bool created);
json_t *sq_returns_by_reference(struct store_txn *txn, const char *tenant, const char *partner_order_reference);
json_t *sq_returns_by_order(struct store_txn *txn, const char *tenant, const char *order_id);
int sq_return_key_put(struct store_txn *txn, const char *tenant, const char *key, const char *id);
char *sq_return_by_key(struct store_txn *txn, const char *tenant, const char *key);
int sq_sweep_returns(struct store_txn *txn, const char *before_iso, int limit);
int sq_syslog_insert(struct store_txn *txn, const json_t *entry, const struct store_body bodies[2]);
int sq_spool_moved(struct store_txn *txn, int64_t spool_id, const char *key);
int sq_spool_retry(struct store_txn *txn, int64_t spool_id, int64_t next_try_at);
int sq_body_deleted(struct store_txn *txn, const char *key);
int sq_syslog_sweep(struct store_txn *txn, const char *cutoff_iso, int limit);
int sq_syslog_redact(struct store_txn *txn, const char *tenant, const char *order_id);
int sq_syslog_adopt(struct store_txn *txn, const char *tenant, const char *identifier, const char *order_id);
int sq_syslog_forget_order(struct store_txn *txn, const char *tenant, const char *order_id);
void sq_reader_close(struct store_reader *rd);
int sq_read_health(struct store_reader *rd, char *detail, size_t len);
bool sq_singleton(struct store_reader *rd, const char *role);
json_t *sq_read_order(struct store_reader *rd, const char *tenant, enum store_key key, const char *ref, bool *failed);
json_t *sq_read_orders(struct store_reader *rd, const char *tenant, const struct store_order_filter *f);
json_t *sq_read_changelogs(struct store_reader *rd, const char *tenant, const char *order_id, bool newest_first);
json_t *sq_read_endpoints(struct store_reader *rd, const char *tenant, const char *id);
json_t *sq_read_messages(struct store_reader *rd, const char *tenant, const char *endpoint_id, const char *event_type,
                         const char *status, int64_t after_seq, int limit);
json_t *sq_read_message(struct store_reader *rd, const char *tenant, const char *id);
json_t *sq_read_attempts(struct store_reader *rd, const char *tenant, const char *message_id);
json_t *sq_read_sending_endpoints(struct store_reader *rd);
json_t *sq_claim_due(struct store_reader *rd, const char *endpoint_id, int64_t now_ms, int limit,
                     const char *const *skip, int n_skip, int64_t *wait_ms);
int64_t sq_read_next_due(struct store_reader *rd, int64_t now_ms);
char *sq_read_body_ref(struct store_reader *rd, const char *tenant, const char *message_id, long long attempt,
                        size_t *len);
json_t *sq_read_history(struct store_reader *rd, const char *tenant, const char *order_id, const char *shipment,
                        long long after, int limit);
json_t *sq_read_stuck(struct store_reader *rd, const char *tenant, const struct store_stuck_rule *rules, int n_rules,
                      const char *now_iso, int limit);
json_t *sq_count_stuck(struct store_reader *rd, const struct store_stuck_rule *rules, int n_rules);
json_t *sq_read_return(struct store_reader *rd, const char *tenant, const char *id, bool *failed);
json_t *sq_read_returns(struct store_reader *rd, const char *tenant, const struct store_return_filter *f);
json_t *sq_read_message_counts(struct store_reader *rd);
json_t *sq_read_pending_by_endpoint(struct store_reader *rd);
json_t *sq_read_syslogs(struct store_reader *rd, const char *tenant, const char *order_id, const char *correlation_id,
                        const char *event_type, const char *request_type, int code_min, int code_max, long long after,
                        int limit);
json_t *sq_read_syslog(struct store_reader *rd, const char *tenant, const char *identifier);
char *sq_read_spooled(struct store_reader *rd, int64_t spool_id, const char *key, size_t *len);
int sq_claim_spooled(struct store_reader *rd, int64_t now_ms, int limit, const int64_t *skip, int n_skip,
                     struct store_spooled *out);
json_t *sq_read_body_deletes(struct store_reader *rd, int limit);
int64_t sq_read_spool_next(struct store_reader *rd, int64_t now_ms);

#endif
