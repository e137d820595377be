/* store_pg_retention: the PostgreSQL side of retention (see store.h and
 * store_retention.c). Each sweep takes a bounded batch of expired rows,
 * oldest first through the index on their date (so the plan is an index
 * range whatever the parameters), and deletes it in one statement; rows another
 * transaction holds are skipped (SKIP LOCKED), to be taken by a later
 * sweep. Only one node sweeps at a time (the retention task holds the
 * "retention sweeps" role, housekeeping.h), so two sweeps never race for
 * the same rows. Archived history is swept in store_pg_history.c, return
 * requests in store_pg_returns.c. */
#include "store_pg_int.h"

#include <stdlib.h>

#include "order_cache.h"

/* Rows a write removed, or STORE_EIO. */
static int removed(struct pg_txn *t, const char *sql, struct pg_args *a)
{
    PGresult *r = pgt_run(t, sql, a);
    int n = r ? atoi(PQcmdTuples(r)) : STORE_EIO;
    PQclear(r);
    return n;
}

int pg_sweep_messages(struct store_txn *txn, const char *status, int64_t before_ms, int limit)
{
    static const char sql[] =
        "WITH m AS (DELETE FROM webhook_messages WHERE seq = ANY(ARRAY(SELECT seq FROM webhook_messages "
        "WHERE status = $1 AND updated_at < $2 ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED)) RETURNING id), "
        "a AS (DELETE FROM webhook_attempts WHERE message_id IN (SELECT id FROM m)) SELECT count(*) FROM m";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, status);
    pa_int(&a, before_ms);
    pa_int(&a, limit);
    PGresult *r = pgt_run(t, sql, &a);
    int n = r ? (int)pg_int(r, 0, 0, 0) : STORE_EIO;
    PQclear(r);
    return n;
}

static int sweep_dated(struct store_txn *txn, const char *sql, const char *before_iso, int limit)
{
    struct pg_args a = {0};
    pa_text(&a, before_iso);
    pa_int(&a, limit);
    return removed(pg_txn(txn), sql, &a);
}

int pg_sweep_changelogs(struct store_txn *txn, const char *before_iso, int limit)
{
    static const char sql[] = "DELETE FROM change_logs WHERE id = ANY(ARRAY(SELECT id FROM change_logs "
                              "WHERE log_date < $1 ORDER BY log_date LIMIT $2 FOR UPDATE SKIP LOCKED))";
    return sweep_dated(txn, sql, before_iso, limit);
}

int pg_sweep_seen(struct store_txn *txn, const char *before_iso, int limit)
{
    static const char sql[] = "DELETE FROM seen_events WHERE ctid = ANY(ARRAY(SELECT ctid FROM seen_events "
                              "WHERE received_date < $1 ORDER BY received_date LIMIT $2 FOR UPDATE SKIP LOCKED))";
    return sweep_dated(txn, sql, before_iso, limit);
}

int pg_sweep_parked(struct store_txn *txn, const char *before_iso, int limit)
{
    static const char sql[] = "DELETE FROM parked_events WHERE id = ANY(ARRAY(SELECT id FROM parked_events "
                              "WHERE received_date < $1 ORDER BY received_date LIMIT $2 FOR UPDATE SKIP LOCKED))";
    return sweep_dated(txn, sql, before_iso, limit);
}

int pg_sweep_orders(struct store_txn *txn, const char *before_iso, int limit)
{
    /* last changed before the cutoff; since update_date >= status_since, each final status's range of
     * orders_by_status_since up to the cutoff holds them all, read from its oldest */
    static const char sql[] =
        "SELECT o.tenant, o.order_id FROM (VALUES ('closed'), ('cancelled')) s(status), LATERAL (SELECT tenant, "
        "order_id FROM orders WHERE orders.status = s.status AND status_since < $1 AND update_date < $1 "
        "ORDER BY status_since LIMIT $2 FOR UPDATE SKIP LOCKED) o LIMIT $2";
    static const char *const dels[] = {"DELETE FROM change_logs WHERE tenant = $1 AND order_id = $2",
                                       "DELETE FROM shipment_history WHERE tenant = $1 AND order_id = $2",
                                       "DELETE FROM shipment_keys WHERE tenant = $1 AND order_id = $2",
                                       "DELETE FROM orders WHERE tenant = $1 AND order_id = $2"};
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, before_iso);
    pa_int(&a, limit);
    json_t *rows = pgt_rows(t, sql, &a);
    if (!rows)
        return STORE_EIO;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *tenant = json_string_value(json_object_get(r, "tenant"));
        const char *order_id = json_string_value(json_object_get(r, "order_id"));
        rc = pg_syslog_forget_order(txn, tenant, order_id);
        for (size_t k = 0; k < sizeof dels / sizeof dels[0] && rc == STORE_OK; k++) {
            pa_text(&a, tenant);
            pa_text(&a, order_id);
            rc = removed(t, dels[k], &a) < 0 ? STORE_EIO : STORE_OK;
        }
        if (rc != STORE_OK)
            break;
    }
    int n = (int)json_array_size(rows);
    json_decref(rows);
    return rc == STORE_OK ? n : STORE_EIO;
}
