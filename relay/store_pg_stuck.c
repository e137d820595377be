/* store_pg_stuck: stuck orders on PostgreSQL (store.h; store_stuck.c is
 * the SQLite side).
 *
 * orders_by_status_since (status, status_since, seq) holds every order
 * under the time it entered its status; a rule's stuck orders are one range
 * of it (status = $1 AND status_since < cutoff), read in index order, so a
 * read costs the orders it returns, and the scan resumes inside the range
 * from a (status_since, seq) position. status_since moves only with the
 * status (store_pg_orders.c). */
#include "store_pg_int.h"

#define NOTIFIED "(stuck_since IS NOT NULL AND stuck_since = status_since) AS notified"

/* The order's latest change-log entry but a STUCK one, json null when
 * there is none, NULL on error. */
static json_t *last_event(json_t *rows)
{
    if (!rows)
        return NULL;
    json_t *e = json_array_size(rows) ? json_incref(json_array_get(rows, 0)) : json_null();
    json_decref(rows);
    return e;
}

static const char last_sql[] =
    "SELECT log_date, change_type, entity_type, entity_id, field, new_value AS new_value_json, source "
    "FROM change_logs WHERE tenant = $1 AND order_id = $2 AND change_type <> 'STUCK' ORDER BY id DESC LIMIT 1";

json_t *pg_order_last_event(struct store_txn *txn, const char *tenant, const char *order_id)
{
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    return last_event(pgt_rows(pg_txn(txn), last_sql, &a));
}

json_t *pg_read_stuck(struct store_reader *base_rd, const char *tenant, const struct store_stuck_rule *rules,
                      int n_rules, const char *now_iso, int limit)
{
    static const char sql[] =
        "SELECT tenant, order_id, partner_order_reference, merchant, status, sub_status, status_since, "
        "trunc(extract(epoch FROM ($3::timestamptz - nullif(status_since, '')::timestamptz)))::bigint "
        "AS time_in_status_seconds, " NOTIFIED " FROM orders WHERE status = $1 AND status_since < $2 "
        "AND ($4::text IS NULL OR tenant = $4) ORDER BY status_since LIMIT $5";
    struct pg_reader *rd = pg_reader(base_rd);
    json_t *all = json_array();
    for (int i = 0; i < n_rules; i++) {
        struct pg_args a = {0};
        pa_text(&a, rules[i].status);
        pa_text(&a, rules[i].before_iso);
        pa_text(&a, now_iso);
        pa_text(&a, tenant);
        pa_int(&a, limit);
        json_t *rows = pgr_rows(&rd->c, sql, &a);
        if (!rows) {
            json_decref(all);
            return NULL;
        }
        json_array_extend(all, rows);
        json_decref(rows);
    }
    json_t *out = store_stuck_longest(all, limit); /* the longest stuck first, over every status */
    size_t i;
    json_t *r;
    json_array_foreach(out, i, r)
    {
        struct pg_args a = {0};
        pa_text(&a, json_string_value(json_object_get(r, "tenant")));
        pa_text(&a, json_string_value(json_object_get(r, "order_id")));
        json_t *e = last_event(pgr_rows(&rd->c, last_sql, &a));
        if (!e) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(r, "last_event", e);
    }
    return out;
}

json_t *pg_count_stuck(struct store_reader *base_rd, const struct store_stuck_rule *rules, int n_rules)
{
    static const char sql[] = "SELECT count(*) FROM orders WHERE status = $1 AND status_since < $2";
    struct pg_reader *rd = pg_reader(base_rd);
    json_t *out = json_array();
    for (int i = 0; i < n_rules; i++) {
        struct pg_args a = {0};
        pa_text(&a, rules[i].status);
        pa_text(&a, rules[i].before_iso);
        PGresult *r = pgr_run(&rd->c, sql, &a, false);
        int64_t n = r && PQntuples(r) == 1 ? pg_int(r, 0, 0, -1) : -1;
        PQclear(r);
        if (n < 0) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_pack("{s:s,s:I}", "status", rules[i].status, "n", (json_int_t)n));
    }
    return out;
}

json_t *pg_stuck_scan(struct store_txn *txn, const struct store_stuck_rule *rule, const char *after_since,
                      long long after_seq, int limit)
{
    static const char sql[] = "SELECT seq, tenant, order_id, status_since, " NOTIFIED " FROM orders "
                              "WHERE status = $1 AND status_since < $2 AND (status_since, seq) > ($3, $4) "
                              "ORDER BY status_since, seq LIMIT $5";
    struct pg_args a = {0};
    pa_text(&a, rule->status);
    pa_text(&a, rule->before_iso);
    pa_text(&a, after_since ? after_since : "");
    pa_int(&a, after_seq);
    pa_int(&a, limit);
    return pgt_rows(pg_txn(txn), sql, &a);
}

int pg_stuck_mark(struct store_txn *txn, const char *tenant, const char *order_id, const char *status_since)
{
    /* the row lock this takes also holds off a writer changing the order's
     * status until the job's order.stuck is committed with the mark */
    static const char sql[] = "UPDATE orders SET stuck_since = $3 WHERE tenant = $1 AND order_id = $2 AND "
                              "status_since = $3 AND stuck_since IS DISTINCT FROM $3";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    pa_text(&a, status_since);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    int n = r ? atoi(PQcmdTuples(r)) : STORE_EIO;
    PQclear(r);
    return n < 0 ? STORE_EIO : n > 0 ? 1 : 0;
}
