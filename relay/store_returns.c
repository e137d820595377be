/* store_returns: return requests (store.h), the SQLite side.
 *
 * Each request is a JSON document in return_requests with the columns its
 * lookups need beside it (migration 14): by id (unique per tenant), by
 * partner_order_reference (scoping, linking an order that arrives), by
 * order_id, by status, and (status, update_date) for retention; its
 * REVERSE shipments' keys are in return_shipment_keys. Every query is one
 * of those indexes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "store_sqlite_int.h"
#include "xmalloc.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The docs a statement's rows hold (column doc_json), as a new array, or NULL. */
static json_t *docs_of(sqlite3_stmt *s)
{
    json_t *rows = sq_rows(s);
    if (!rows)
        return NULL;
    json_t *docs = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        if (json_is_object(json_object_get(r, "doc")))
            json_array_append(docs, json_object_get(r, "doc"));
    }
    json_decref(rows);
    return docs;
}

json_t *sq_return_get(struct store_txn *base_txn, const char *tenant, const char *id)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT doc AS doc_json FROM return_requests WHERE tenant = ?1 AND return_request_id = ?2";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, id);
    json_t *docs = docs_of(s);
    json_t *doc = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    return doc;
}

int sq_return_put(struct store_txn *base_txn, const char *tenant, const json_t *ret, bool created)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char ins[] = "INSERT INTO return_requests (tenant, return_request_id, partner_order_reference, order_id, "
                              "merchant, status, doc, creation_date, update_date) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)";
    static const char upd[] = "UPDATE return_requests SET partner_order_reference = ?3, order_id = ?4, merchant = ?5, "
                              "status = ?6, doc = ?7, update_date = ?9 WHERE tenant = ?1 AND return_request_id = ?2";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, created ? ins : upd);
    if (!s)
        return STORE_EIO;
    char *doc = ju_dump(ret);
    sq_text(s, 1, tenant);
    sq_text(s, 2, str(ret, "return_request_id"));
    sq_text(s, 3, str(ret, "partner_order_reference"));
    sq_text(s, 4, str(ret, "order_id"));
    sq_text(s, 5, str(ret, "merchant"));
    sq_text(s, 6, str(ret, "status"));
    sq_text(s, 7, doc);
    if (created)
        sq_text(s, 8, str(ret, "creation_date"));
    sq_text(s, 9, str(ret, "update_date"));
    int rc = sq_done(s);
    free(doc);
    if (rc == STORE_OK && !created && sqlite3_changes(txn->db) != 1)
        rc = STORE_EIO;
    return rc == STORE_OK ? STORE_OK : STORE_EIO;
}

json_t *sq_returns_by_reference(struct store_txn *base_txn, const char *tenant, const char *partner_order_reference)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT doc AS doc_json FROM return_requests INDEXED BY returns_by_reference "
                              "WHERE tenant = ?1 AND partner_order_reference = ?2 ORDER BY seq";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, partner_order_reference);
    return docs_of(s);
}

json_t *sq_returns_by_order(struct store_txn *base_txn, const char *tenant, const char *order_id)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT doc AS doc_json FROM return_requests INDEXED BY returns_by_order "
                              "WHERE tenant = ?1 AND order_id = ?2 ORDER BY seq";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, order_id);
    return docs_of(s);
}

int sq_return_key_put(struct store_txn *base_txn, const char *tenant, const char *key, const char *id)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] =
        "INSERT OR REPLACE INTO return_shipment_keys (tenant, key, return_request_id) VALUES (?1, ?2, ?3)";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, key);
    sq_text(s, 3, id);
    return sq_done(s) == STORE_OK ? STORE_OK : STORE_EIO;
}

char *sq_return_by_key(struct store_txn *base_txn, const char *tenant, const char *key)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT return_request_id FROM return_shipment_keys WHERE tenant = ?1 AND key = ?2";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, key);
    char *id = sqlite3_step(s) == SQLITE_ROW ? xstrdup((const char *)sqlite3_column_text(s, 0)) : NULL;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return id;
}

json_t *sq_read_return(struct store_reader *base_rd, const char *tenant, const char *id, bool *failed)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT doc AS doc_json FROM return_requests WHERE tenant = ?1 AND return_request_id = ?2";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    json_t *docs = NULL;
    if (s) {
        sq_text(s, 1, tenant);
        sq_text(s, 2, id);
        docs = docs_of(s);
    }
    if (!docs && failed)
        *failed = true;
    json_t *doc = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    return doc;
}

json_t *sq_read_returns(struct store_reader *base_rd, const char *tenant, const struct store_return_filter *f)
{
    struct sq_reader *rd = sq_reader(base_rd);
    /* one index per filter that narrows (the reference, else the status, else the tenant's rowid order);
     * the merchant is checked on the rows that index gives */
    static const char by_ref[] = "SELECT seq, doc AS doc_json FROM return_requests INDEXED BY returns_by_reference "
                                 "WHERE tenant = ?1 AND partner_order_reference = ?2 AND (?3 IS NULL OR status = ?3) "
                                 "AND (?4 IS NULL OR merchant = ?4) AND seq > ?5 ORDER BY seq LIMIT ?6";
    static const char by_status[] = "SELECT seq, doc AS doc_json FROM return_requests INDEXED BY returns_by_status "
                                    "WHERE tenant = ?1 AND ?2 IS NULL AND status = ?3 AND (?4 IS NULL OR merchant = ?4) "
                                    "AND seq > ?5 ORDER BY seq LIMIT ?6";
    static const char all[] = "SELECT seq, doc AS doc_json FROM return_requests INDEXED BY returns_by_tenant "
                              "WHERE tenant = ?1 AND ?2 IS NULL AND ?3 IS NULL AND (?4 IS NULL OR merchant = ?4) "
                              "AND seq > ?5 ORDER BY seq LIMIT ?6";
    const char *sql = f->partner_order_reference ? by_ref : f->status ? by_status : all;
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, f->partner_order_reference);
    sq_text(s, 3, f->status);
    sq_text(s, 4, f->merchant);
    sqlite3_bind_int64(s, 5, f->after);
    sqlite3_bind_int(s, 6, f->limit);
    return sq_rows(s);
}
