/* store_history: the SQLite side of archived shipment status history (see
 * store.h): entries a shipment no longer keeps inline, one row each. */
#include <stdlib.h>

#include "jsonutil.h"
#include "store_sqlite_int.h"

int sq_history_archive(struct store_txn *base_txn, const char *tenant, const char *order_id, const json_t *moved,
                          const char *now_iso)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "INSERT INTO shipment_history (tenant, order_id, shipment, entry, archived_date) "
                              "VALUES (?1, ?2, ?3, ?4, ?5)";
    size_t i, k;
    json_t *m, *e;
    json_array_foreach(moved, i, m)
    {
        json_array_foreach(json_object_get(m, "entries"), k, e)
        {
            sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
            if (!s)
                return STORE_EIO;
            char *text = ju_dump(e);
            sq_text(s, 1, tenant);
            sq_text(s, 2, order_id);
            sq_text(s, 3, json_string_value(json_object_get(m, "shipment")));
            sq_text(s, 4, text);
            sq_text(s, 5, now_iso);
            int rc = sq_done(s);
            free(text);
            if (rc != STORE_OK)
                return STORE_EIO;
        }
    }
    return STORE_OK;
}

json_t *sq_read_history(struct store_reader *base_rd, const char *tenant, const char *order_id, const char *shipment,
                           long long after, int limit)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT seq, entry AS entry_json FROM shipment_history WHERE tenant = ?1 AND "
                              "order_id = ?2 AND shipment = ?3 AND seq > ?4 ORDER BY seq LIMIT ?5";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, order_id);
    sq_text(s, 3, shipment);
    sqlite3_bind_int64(s, 4, after);
    sqlite3_bind_int(s, 5, limit);
    return sq_rows(s);
}
