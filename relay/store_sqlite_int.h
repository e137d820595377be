/* store_sqlite_int: what the SQLite backend's files share (private to
 * store_sqlite.c and store_webhooks.c; nothing else includes it).
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

struct store_txn {
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

struct store_reader {
    sqlite3 *db;
    sqlite3_stmt *get_by_id, *get_by_ref, *logs_asc, *logs_desc;
    struct stmt_cache cache;
};

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
void sq_forget_known(struct store_txn *t);
/* store_orders.c: the list query for f (exposed for the test that checks
 * each filter is served by an index): its SQL, the filter values in bind
 * order after the tenant (the count is returned), and whether the rowid
 * bound is bound after them. */
int store_orders_list_sql(const struct store_order_filter *f, char sql[1024], const char *values[9], bool *bound);
/* Account for bytes entering (len > 0) or leaving (len < 0) the body spool in
 * this job; STORE_SPOOL_FULL when adding them would cross the cap. */
int sq_spool_account(struct store_txn *txn, long long len);

#endif
