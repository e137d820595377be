/* store_retention: the SQLite side of retention (see store.h). Every sweep
 * selects a bounded batch of expired rows through an index, then deletes
 * them one by one by key, so a sweep never scans a table and never holds
 * the writer for long. */
#include <string.h>

#include "order_cache.h"
#include "store_sqlite_int.h"

/* Rows a query returns (bound by the caller, reset here), each passed to
 * the delete statements in dels (each taking the row's columns as ?1, ?2);
 * the number of rows, or STORE_EIO. */
static int delete_each(struct sq_txn *txn, sqlite3_stmt *q, const char *const *dels, int n_dels)
{
    json_t *rows = sq_rows(q);
    if (!rows)
        return STORE_EIO;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        for (int k = 0; k < n_dels && rc == STORE_OK; k++) {
            sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, dels[k]);
            if (!s) {
                rc = STORE_EIO;
                break;
            }
            int col = 1;
            const char *name;
            json_t *v;
            json_object_foreach(r, name, v)
            {
                if (json_is_integer(v))
                    sqlite3_bind_int64(s, col, json_integer_value(v));
                else
                    sq_text(s, col, json_string_value(v));
                col++;
            }
            rc = sq_done(s);
        }
        if (rc != STORE_OK)
            break;
    }
    int n = (int)json_array_size(rows);
    json_decref(rows);
    return rc == STORE_OK ? n : STORE_EIO;
}

int sq_sweep_messages(struct store_txn *base_txn, const char *status, int64_t before_ms, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT id FROM webhook_messages WHERE status = ?1 AND updated_at < ?2 LIMIT ?3";
    static const char *const dels[] = {"DELETE FROM webhook_attempts WHERE message_id = ?1",
                                       "DELETE FROM webhook_messages WHERE id = ?1"};
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, status);
    sqlite3_bind_int64(s, 2, before_ms);
    sqlite3_bind_int(s, 3, limit);
    return delete_each(txn, s, dels, 2);
}

/* select takes the cutoff as ?1 and the limit as ?2. */
static int sweep_dated(struct sq_txn *txn, const char *select, const char *const *dels, int n_dels,
                       const char *before_iso, int limit)
{
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, select);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, before_iso);
    sqlite3_bind_int(s, 2, limit);
    return delete_each(txn, s, dels, n_dels);
}

int sq_sweep_changelogs(struct store_txn *base_txn, const char *before_iso, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT id FROM change_logs WHERE log_date < ?1 LIMIT ?2";
    static const char *const dels[] = {"DELETE FROM change_logs WHERE id = ?1"};
    return sweep_dated(txn, sql, dels, 1, before_iso, limit);
}

int sq_sweep_history(struct store_txn *base_txn, const char *before_iso, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT seq FROM shipment_history WHERE archived_date < ?1 LIMIT ?2";
    static const char *const dels[] = {"DELETE FROM shipment_history WHERE seq = ?1"};
    return sweep_dated(txn, sql, dels, 1, before_iso, limit);
}

int sq_sweep_seen(struct store_txn *base_txn, const char *before_iso, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT rowid FROM seen_events WHERE received_date < ?1 LIMIT ?2";
    static const char *const dels[] = {"DELETE FROM seen_events WHERE rowid = ?1"};
    return sweep_dated(txn, sql, dels, 1, before_iso, limit);
}

int sq_sweep_parked(struct store_txn *base_txn, const char *before_iso, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT id FROM parked_events WHERE received_date < ?1 LIMIT ?2";
    static const char *const dels[] = {"DELETE FROM parked_events WHERE id = ?1"};
    int n = sweep_dated(txn, sql, dels, 1, before_iso, limit);
    if (n > 0)
        txn->job.parked_delta -= n;
    return n;
}

int sq_sweep_orders(struct store_txn *base_txn, const char *before_iso, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    /* last changed before the cutoff; since update_date >= status_since, the index range on
     * status_since holds them all */
    static const char sql[] = "SELECT tenant, order_id FROM orders WHERE status IN ('closed', 'cancelled') "
                              "AND status_since < ?1 AND update_date < ?1 LIMIT ?2";
    static const char *const dels[] = {"DELETE FROM change_logs WHERE tenant = ?1 AND order_id = ?2",
                                       "DELETE FROM shipment_history WHERE tenant = ?1 AND order_id = ?2",
                                       "DELETE FROM shipment_keys WHERE tenant = ?1 AND order_id = ?2",
                                       "DELETE FROM orders WHERE tenant = ?1 AND order_id = ?2"};
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, before_iso);
    sqlite3_bind_int(s, 2, limit);
    json_t *rows = sq_rows(s);
    if (!rows)
        return STORE_EIO;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *tenant = json_string_value(json_object_get(r, "tenant"));
        const char *order_id = json_string_value(json_object_get(r, "order_id"));
        rc = sq_syslog_forget_order(&txn->base, tenant, order_id);
        for (size_t k = 0; k < sizeof dels / sizeof dels[0] && rc == STORE_OK; k++) {
            sqlite3_stmt *d = sq_stmt(txn->db, &txn->cache, dels[k]);
            if (!d) {
                rc = STORE_EIO;
                break;
            }
            sq_text(d, 1, tenant);
            sq_text(d, 2, order_id);
            rc = sq_done(d);
        }
        if (rc != STORE_OK)
            break;
    }
    int n = (int)json_array_size(rows);
    json_decref(rows);
    if (n)
        order_cache_clear(txn->orders);
    return rc == STORE_OK ? n : STORE_EIO;
}

int sq_sweep_returns(struct store_txn *base_txn, const char *before_iso, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT tenant, return_request_id FROM return_requests INDEXED BY returns_closed "
                              "WHERE status IN ('completed', 'rejected', 'cancelled') AND update_date < ?1 LIMIT ?2";
    static const char *const dels[] = {
        "DELETE FROM return_shipment_keys WHERE tenant = ?1 AND return_request_id = ?2",
        "DELETE FROM return_requests WHERE tenant = ?1 AND return_request_id = ?2"};
    return sweep_dated(txn, sql, dels, 2, before_iso, limit);
}
