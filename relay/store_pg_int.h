/* store_pg_int: what the PostgreSQL backend's files share (private to
 * store_pg*.c and the PostgreSQL unit test). Each pg_NAME below is
 * store.h's store_NAME on PostgreSQL (store_backend.h); the table that
 * names them is in store_pg.c.
 *
 * Connections (store_pg_conn.c): every thread that uses the database has
 * its own (the writer, each reader, the listener). Statements are prepared
 * on first use and kept per connection, named by the SQL text's address
 * (always a string literal), so each file owns its SQL next to the code
 * that runs it. A broken connection is reopened on a later call, at most
 * once per backoff period (100 ms doubling to 5 s), so a database that is
 * down costs a failed call, not a hang. */
#ifndef SHIPRELAY_STORE_PG_INT_H
#define SHIPRELAY_STORE_PG_INT_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "store_backend.h"

#define PG_STMT_MAX 192
#define PG_ARGS_MAX 32

/* store_pg_migrations.c */
extern const char *const pg_migrations[];
extern const int pg_migrations_count;

/* How a statement failed (pg_conn.fail). */
enum pg_fail {
    PG_FAIL_NONE,
    PG_FAIL_ERROR,    /* the statement failed (the transaction, if any, is aborted) */
    PG_FAIL_CONFLICT, /* a unique constraint (23505) */
    PG_FAIL_RETRY,    /* serialization failure or deadlock (40001, 40P01): run the transaction again */
    PG_FAIL_LOST,     /* the connection is gone */
};

struct pg_conn {
    PGconn *conn; /* NULL while disconnected */
    const char *url, *role; /* borrowed; role names the connection in pg_stat_activity */
    int n;
    const char *sql[PG_STMT_MAX]; /* prepared on this session, as "s<i>" */
    enum pg_fail fail;            /* how the last statement failed */
    bool saw_retry;               /* a statement met a deadlock or serialization failure since this was cleared */
    int64_t retry_at;             /* no reconnect before this (ms) */
    int backoff_ms;
    unsigned long generation;     /* bumped at every (re)connect: session state is new */
};

/* Statement parameters, text (or binary for bytea), NULL for SQL NULL. */
struct pg_args {
    int n;
    const char *v[PG_ARGS_MAX];
    int len[PG_ARGS_MAX];
    int fmt[PG_ARGS_MAX];
    char num[PG_ARGS_MAX][24];
    char *owned[PG_ARGS_MAX]; /* copies made valid UTF-8 */
};

void pa_text(struct pg_args *a, const char *s);
void pa_int(struct pg_args *a, int64_t v);
void pa_bin(struct pg_args *a, const void *data, size_t len);
void pa_free(struct pg_args *a);

/* Connect (or reconnect after a break, when the backoff allows). 0, or -1
 * with why in err when given. */
int pgc_connect(struct pg_conn *c, char *err, size_t errlen);
void pgc_close(struct pg_conn *c);
/* Run sql (a literal: see above) with a's values: the result (tuples or
 * command ok; the caller PQclears it), or NULL with c->fail set. a is
 * freed. result_binary asks for binary columns (bytea bodies). A broken
 * connection is closed, to be reopened by pgc_connect. */
PGresult *pgc_run(struct pg_conn *c, const char *sql, struct pg_args *a, bool result_binary);
/* The same for a statement run once (not prepared), or several separated
 * by ';' (no parameters). */
PGresult *pgc_exec(struct pg_conn *c, const char *sql);
/* Note how r (NULL or a failed result) failed, in c->fail; a broken
 * connection is closed. */
void pgc_failed(struct pg_conn *c, PGresult *r);
/* Run and keep nothing: 0, or -1 with c->fail set. */
int pgc_do(struct pg_conn *c, const char *sql, struct pg_args *a);
/* Every row as an object named by its columns (integers, reals, booleans,
 * text, and NULL as null; text columns whose name ends in "_json" parsed,
 * the suffix dropped). */
json_t *pg_rows(PGresult *r);
/* Column col of row 0 as an integer (def when NULL or absent). */
int64_t pg_int(PGresult *r, int row, int col, int64_t def);
/* Reads on a reader: run, and when the connection broke, reconnect and run
 * once more (reads and claims may be repeated). */
PGresult *pgr_run(struct pg_conn *c, const char *sql, struct pg_args *a, bool result_binary);
/* The same for SQL made at run time (not prepared: one of many shapes). */
PGresult *pgr_run_once(struct pg_conn *c, const char *sql, struct pg_args *a);
json_t *pgr_rows(struct pg_conn *c, const char *sql, struct pg_args *a);

/* What the jobs of one transaction did, kept per job (undone with it) and
 * summed per batch for the commit subscribers. */
struct pg_effects {
    unsigned messages;
    long long spool_delta; /* bytes added to (or taken from) the body spool */
    bool spooled, deletes, endpoints_changed;
    bool scrubbed; /* personal data was taken out (store_pg_redact.c, pg_syslog_redact): VACUUM after the commit */
};

#define PG_KNOWN_MAX 16

struct pg_db;

struct pg_txn {
    struct store_txn base; /* first: store.h's handle */
    struct pg_db *db;
    struct pg_conn c;
    const char *node;
    bool single_node; /* [storage] single_node: the fleet lock is taken alone (claim_node) */
    int64_t lease_ms;
    long long spool_max, spool_fleet; /* the cap; every node's spool as of this node's last look */
    struct order_cache *orders;       /* validated against the row's version at every read (store_pg_orders.c) */
    struct {
        const json_t *doc;
        char *text;
    } known[PG_KNOWN_MAX];
    int n_known, known_next;
    struct pg_effects batch, job;
    bool job_failed; /* a statement of this job failed: it cannot be kept */
    bool vacuum_owed; /* a redaction committed but its VACUUM failed: tried again after the next commit */
    char scrub_xid[24]; /* the transaction id of the last commit that scrubbed (store_pg.c, vacuum_scrubbed) */
};

struct pg_reader {
    struct store_reader base; /* first: store.h's handle */
    struct pg_db *db;
    struct pg_conn c;
    int64_t health_at;             /* when the database last answered a health check (ms) */
    unsigned long held_generation; /* the session the singleton locks below were taken in */
    char held[4][32];               /* singleton roles held */
    int n_held;
};

struct pg_db {
    char *url, *node;
    int64_t lease_ms;
    unsigned char url_key[32];
    struct pg_txn txn; /* the writer's */
};

static inline struct pg_txn *pg_txn(struct store_txn *t)
{
    return (struct pg_txn *)t;
}
static inline struct pg_reader *pg_reader(struct store_reader *r)
{
    return (struct pg_reader *)r;
}

/* Inside jobs: note how a statement failed (a lost connection or a
 * conflict that calls for a retry stops the batch; any other failure stops
 * the job from being kept). Returns STORE_EIO for convenience. */
int pg_failed(struct pg_txn *t);
/* Run a write inside a job: the result or NULL (pg_failed noted). */
PGresult *pgt_run(struct pg_txn *t, const char *sql, struct pg_args *a);
/* Ask for the whole batch to run again (the store saw a race it cannot
 * settle inside this transaction). Returns STORE_EIO for convenience. */
int pg_again(struct pg_txn *t);
/* The job's rows as JSON (pg_rows), NULL on failure. */
json_t *pgt_rows(struct pg_txn *t, const char *sql, struct pg_args *a);
/* Account for bytes entering (len > 0) or leaving the spool in this job;
 * STORE_SPOOL_FULL when adding them would take the fleet's spool over the
 * cap (as this node last saw it). */
int pg_spool_account(struct pg_txn *t, long long len);
/* Forget what store_order_json knows (the job is over, or undone). */
void pg_forget_known(struct pg_txn *t);
/* Current time in ms for writes that need it. */
int64_t pg_now_ms(void);

/* store.h's calls on PostgreSQL, by the member of store_backend.h they fill. */
int pg_job_undo(struct store_txn *txn);
json_t *pg_order_get(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref);
json_t *pg_order_peek(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref);
char *pg_order_json(struct store_txn *txn, const json_t *doc);
int pg_order_insert(struct store_txn *txn, const char *tenant, const json_t *order);
int pg_order_update(struct store_txn *txn, const char *tenant, const json_t *order);
int pg_changelog_add(struct store_txn *txn, const char *tenant, const char *order_id, const char *log_date,
                     const char *source, const json_t *changes);
json_t *pg_order_by_tracking(struct store_txn *txn, const char *tenant, const char *tracking_no);
int pg_event_seen(struct store_txn *txn, const char *tenant, const char *source, const char *key, const char *now_iso);
int pg_park(struct store_txn *txn, const char *tenant, const char *source, const json_t *event, const char *now_iso);
json_t *pg_unpark(struct store_txn *txn, const char *tenant, const json_t *order);
int pg_outbox_add(struct store_txn *txn, const char *tenant, const struct store_outbox_event *ev, int64_t now_ms);
json_t *pg_endpoint_get(struct store_txn *txn, const char *tenant, const char *id);
int pg_endpoint_put(struct store_txn *txn, const json_t *endpoint);
int pg_endpoint_delete(struct store_txn *txn, const char *tenant, const char *id, int64_t now_ms);
int pg_message_requeue(struct store_txn *txn, const char *tenant, const char *message_id, const char *endpoint_id,
                       int64_t since_ms, int64_t now_ms);
int pg_endpoint_hold(struct store_txn *txn, const char *tenant, const char *endpoint_id, bool hold, int64_t now_ms);
int pg_attempt_record(struct store_txn *txn, const json_t *attempt, const char *status, int64_t next_attempt_at);
int pg_endpoint_health(struct store_txn *txn, const char *endpoint_id, int outcome, int64_t now_ms,
                       int64_t disable_after_ms);
json_t *pg_orders_by_customer(struct store_txn *txn, const char *tenant, const char *customer_key);
int pg_endpoint_count(struct store_txn *txn, const char *tenant);
int pg_changelog_redact(struct store_txn *txn, const char *tenant, const char *order_id,
                        json_t *(*scrub)(const char *field, const json_t *value));
int pg_outbox_redact(struct store_txn *txn, const char *tenant, const char *order_id, bool (*scrub)(json_t *payload));
int pg_history_archive(struct store_txn *txn, const char *tenant, const char *order_id, const json_t *moved,
                       const char *now_iso);
int pg_sweep_history(struct store_txn *txn, const char *before_iso, int limit);
json_t *pg_stuck_scan(struct store_txn *txn, const struct store_stuck_rule *rule, const char *after_since,
                      long long after_seq, int limit);
int pg_stuck_mark(struct store_txn *txn, const char *tenant, const char *order_id, const char *status_since);
json_t *pg_order_last_event(struct store_txn *txn, const char *tenant, const char *order_id);
json_t *pg_return_get(struct store_txn *txn, const char *tenant, const char *id);
int pg_return_put(struct store_txn *txn, const char *tenant, const json_t *ret, bool created);
json_t *pg_returns_by_reference(struct store_txn *txn, const char *tenant, const char *partner_order_reference);
json_t *pg_returns_by_order(struct store_txn *txn, const char *tenant, const char *order_id);
int pg_return_key_put(struct store_txn *txn, const char *tenant, const char *key, const char *id);
char *pg_return_by_key(struct store_txn *txn, const char *tenant, const char *key);
int pg_sweep_returns(struct store_txn *txn, const char *before_iso, int limit);
int pg_syslog_adopt(struct store_txn *txn, const char *tenant, const char *identifier, const char *order_id);
json_t *pg_read_history(struct store_reader *rd, const char *tenant, const char *order_id, const char *shipment,
                        long long after, int limit);
json_t *pg_read_stuck(struct store_reader *rd, const char *tenant, const struct store_stuck_rule *rules, int n_rules,
                      const char *now_iso, int limit);
json_t *pg_count_stuck(struct store_reader *rd, const struct store_stuck_rule *rules, int n_rules);
json_t *pg_read_return(struct store_reader *rd, const char *tenant, const char *id, bool *failed);
json_t *pg_read_returns(struct store_reader *rd, const char *tenant, const struct store_return_filter *f);
int pg_sweep_messages(struct store_txn *txn, const char *status, int64_t before_ms, int limit);
int pg_sweep_changelogs(struct store_txn *txn, const char *before_iso, int limit);
int pg_sweep_seen(struct store_txn *txn, const char *before_iso, int limit);
int pg_sweep_parked(struct store_txn *txn, const char *before_iso, int limit);
int pg_sweep_orders(struct store_txn *txn, const char *before_iso, int limit);
int pg_syslog_insert(struct store_txn *txn, const json_t *entry, const struct store_body bodies[2]);
int pg_spool_moved(struct store_txn *txn, int64_t spool_id, const char *key);
int pg_spool_retry(struct store_txn *txn, int64_t spool_id, int64_t next_try_at);
int pg_body_deleted(struct store_txn *txn, const char *key);
int pg_syslog_sweep(struct store_txn *txn, const char *cutoff_iso, int limit);
int pg_syslog_redact(struct store_txn *txn, const char *tenant, const char *order_id);
int pg_syslog_forget_order(struct store_txn *txn, const char *tenant, const char *order_id);
void pg_reader_close(struct store_reader *rd);
int pg_read_health(struct store_reader *rd, char *detail, size_t len);
bool pg_singleton(struct store_reader *rd, const char *role);
json_t *pg_read_order(struct store_reader *rd, const char *tenant, enum store_key key, const char *ref, bool *failed);
json_t *pg_read_orders(struct store_reader *rd, const char *tenant, const struct store_order_filter *f);
json_t *pg_read_changelogs(struct store_reader *rd, const char *tenant, const char *order_id, bool newest_first);
json_t *pg_read_endpoints(struct store_reader *rd, const char *tenant, const char *id);
json_t *pg_read_messages(struct store_reader *rd, const char *tenant, const char *endpoint_id, const char *event_type,
                         const char *status, int64_t after_seq, int limit);
json_t *pg_read_message(struct store_reader *rd, const char *tenant, const char *id);
json_t *pg_read_attempts(struct store_reader *rd, const char *tenant, const char *message_id);
json_t *pg_read_sending_endpoints(struct store_reader *rd);
json_t *pg_claim_due(struct store_reader *rd, const char *endpoint_id, int64_t now_ms, int limit,
                     const char *const *skip, int n_skip, int64_t *wait_ms);
int64_t pg_read_next_due(struct store_reader *rd, int64_t now_ms);
char *pg_read_body_ref(struct store_reader *rd, const char *tenant, const char *message_id, long long attempt,
                        size_t *len);
json_t *pg_read_message_counts(struct store_reader *rd);
json_t *pg_read_pending_by_endpoint(struct store_reader *rd);
json_t *pg_read_syslogs(struct store_reader *rd, const char *tenant, const char *order_id, const char *correlation_id,
                        const char *event_type, const char *request_type, int code_min, int code_max, long long after,
                        int limit);
json_t *pg_read_syslog(struct store_reader *rd, const char *tenant, const char *identifier);
char *pg_read_spooled(struct store_reader *rd, int64_t spool_id, const char *key, size_t *len);
int pg_claim_spooled(struct store_reader *rd, int64_t now_ms, int limit, const int64_t *skip, int n_skip,
                     struct store_spooled *out);
json_t *pg_read_body_deletes(struct store_reader *rd, int limit);
int64_t pg_read_spool_next(struct store_reader *rd, int64_t now_ms);

#endif
