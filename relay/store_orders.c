/* store_orders: the order list of GET /orders (store.h).
 *
 * The WHERE clause holds only the filters given, so SQLite can serve each
 * with its index (migrations 11, 12: orders_list_by_*), and pages by rowid, which
 * every index ends with: a page costs its own rows, not the table's. The
 * SQL is assembled from fixed fragments, never from input. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_sqlite_int.h"

int store_orders_list_sql(const struct store_order_filter *f, char sql[1024], const char *values[9], bool *bound)
{
    static const struct {
        size_t offset;
        const char *sql;
    } filters[] = {
        {offsetof(struct store_order_filter, status), " AND status = ?"},
        {offsetof(struct store_order_filter, sub_status), " AND sub_status = ?"},
        {offsetof(struct store_order_filter, merchant), " AND merchant = ?"},
        {offsetof(struct store_order_filter, customer_key), " AND customer_key = ?"},
        {offsetof(struct store_order_filter, created_from), " AND creation_date >= ?"},
        {offsetof(struct store_order_filter, created_to), " AND creation_date <= ?"},
        {offsetof(struct store_order_filter, updated_from), " AND update_date >= ?"},
        {offsetof(struct store_order_filter, updated_to), " AND update_date <= ?"},
    };
    strcpy(sql, "SELECT rowid AS seq, doc AS doc_json FROM orders WHERE tenant = ?");
    int n = 0;
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        const char *v = *(const char *const *)((const char *)f + filters[i].offset);
        if (!v)
            continue;
        strcat(sql, filters[i].sql);
        values[n++] = v;
    }
    *bound = !f->newest_first || f->after > 0;
    strcat(sql, !f->newest_first ? " AND rowid > ? ORDER BY rowid LIMIT ?"
                : *bound         ? " AND rowid < ? ORDER BY rowid DESC LIMIT ?"
                                 : " ORDER BY rowid DESC LIMIT ?");
    return n;
}

json_t *sq_read_orders(struct store_reader *base_rd, const char *tenant, const struct store_order_filter *f)
{
    struct sq_reader *rd = sq_reader(base_rd);
    char sql[1024];
    const char *values[9];
    bool bound;
    int n = store_orders_list_sql(f, sql, values, &bound);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(rd->db, sql, -1, &s, NULL) != SQLITE_OK) {
        log_error("store: orders list: %s", sqlite3_errmsg(rd->db));
        return NULL;
    }
    int p = 1;
    sq_text(s, p++, tenant);
    for (int i = 0; i < n; i++)
        sq_text(s, p++, values[i]);
    if (bound)
        sqlite3_bind_int64(s, p++, f->after);
    sqlite3_bind_int(s, p, f->limit);
    json_t *rows = sq_rows(s);
    sqlite3_finalize(s);
    return rows;
}
