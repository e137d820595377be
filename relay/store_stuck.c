/* store_stuck: stuck orders (store.h), the SQLite side.
 *
 * orders_by_status_since (status, status_since) holds every order under the
 * time it entered its status; a rule's stuck orders are one range of it
 * (status = ? AND status_since < cutoff), read in index order, so a read
 * costs the orders it returns. The index entry moves only when an order's
 * status does (store_sqlite.c's update statements). */
#include "store_sqlite_int.h"

#define NOTIFIED "(stuck_since IS NOT NULL AND stuck_since = status_since) AS notified"

static json_t *last_event(sqlite3 *db, struct stmt_cache *cache, const char *tenant, const char *order_id)
{
    static const char sql[] = "SELECT log_date, change_type, entity_type, entity_id, field, new_value AS new_value_json, "
                              "source FROM change_logs WHERE tenant = ?1 AND order_id = ?2 AND change_type != 'STUCK' "
                              "ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *s = sq_stmt(db, cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, order_id);
    json_t *rows = sq_rows(s);
    if (!rows)
        return NULL;
    json_t *e = json_array_size(rows) ? json_incref(json_array_get(rows, 0)) : json_null();
    json_decref(rows);
    return e;
}

json_t *sq_order_last_event(struct store_txn *base_txn, const char *tenant, const char *order_id)
{
    struct sq_txn *txn = sq_txn(base_txn);
    return last_event(txn->db, &txn->cache, tenant, order_id);
}

/* sq_rows gives integers: the flag as a boolean. */
static void flags_to_bool(json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_object_set_new(r, "notified", json_boolean(json_integer_value(json_object_get(r, "notified"))));
    }
}

json_t *sq_read_stuck(struct store_reader *base_rd, const char *tenant, const struct store_stuck_rule *rules,
                         int n_rules, const char *now_iso, int limit)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] =
        "SELECT tenant, order_id, partner_order_reference, merchant, status, sub_status, status_since, "
        "CAST((julianday(?3) - julianday(status_since)) * 86400 AS INTEGER) AS time_in_status_seconds, " NOTIFIED
        " FROM orders INDEXED BY orders_by_status_since WHERE status = ?1 AND status_since < ?2 "
        "AND (?4 IS NULL OR tenant = ?4) ORDER BY status_since LIMIT ?5";
    json_t *all = json_array();
    for (int i = 0; i < n_rules; i++) {
        sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
        json_t *rows = NULL;
        if (s) {
            sq_text(s, 1, rules[i].status);
            sq_text(s, 2, rules[i].before_iso);
            sq_text(s, 3, now_iso);
            sq_text(s, 4, tenant);
            sqlite3_bind_int(s, 5, limit);
            rows = sq_rows(s);
        }
        if (!rows) {
            json_decref(all);
            return NULL;
        }
        json_array_extend(all, rows);
        json_decref(rows);
    }
    json_t *out = store_stuck_longest(all, limit); /* the longest stuck first, over every status */
    flags_to_bool(out);
    size_t i;
    json_t *r;
    json_array_foreach(out, i, r)
    {
        json_t *e = last_event(rd->db, &rd->cache, json_string_value(json_object_get(r, "tenant")),
                               json_string_value(json_object_get(r, "order_id")));
        if (!e) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(r, "last_event", e);
    }
    return out;
}

json_t *sq_count_stuck(struct store_reader *base_rd, const struct store_stuck_rule *rules, int n_rules)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT COUNT(*) FROM orders INDEXED BY orders_by_status_since "
                              "WHERE status = ?1 AND status_since < ?2";
    json_t *out = json_array();
    for (int i = 0; i < n_rules; i++) {
        sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
        if (!s) {
            json_decref(out);
            return NULL;
        }
        sq_text(s, 1, rules[i].status);
        sq_text(s, 2, rules[i].before_iso);
        long long n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (n < 0) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_pack("{s:s,s:I}", "status", rules[i].status, "n", (json_int_t)n));
    }
    return out;
}

json_t *sq_stuck_scan(struct store_txn *base_txn, const struct store_stuck_rule *rule, const char *after_since,
                         long long after_seq, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT rowid AS seq, tenant, order_id, status_since, " NOTIFIED
                              " FROM orders INDEXED BY orders_by_status_since WHERE status = ?1 AND status_since < ?2 "
                              "AND (status_since, rowid) > (?3, ?4) ORDER BY status_since, rowid LIMIT ?5";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, rule->status);
    sq_text(s, 2, rule->before_iso);
    sq_text(s, 3, after_since ? after_since : "");
    sqlite3_bind_int64(s, 4, after_seq);
    sqlite3_bind_int(s, 5, limit);
    json_t *rows = sq_rows(s);
    if (rows)
        flags_to_bool(rows);
    return rows;
}

int sq_stuck_mark(struct store_txn *base_txn, const char *tenant, const char *order_id, const char *status_since)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "UPDATE orders SET stuck_since = ?3 WHERE tenant = ?1 AND order_id = ?2 AND "
                              "status_since = ?3 AND stuck_since IS NOT ?3";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, order_id);
    sq_text(s, 3, status_since);
    if (sq_done(s) != STORE_OK)
        return STORE_EIO;
    return sqlite3_changes(txn->db) > 0 ? 1 : 0;
}
