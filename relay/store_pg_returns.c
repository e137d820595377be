/* store_pg_returns: return requests on PostgreSQL (store.h; store_returns.c
 * is the SQLite side).
 *
 * The same table and indexes as SQLite's (each ending with seq), so every
 * query is one index. What a fleet adds:
 *   - A request read inside a job (by id, by reference, by order) is
 *     locked for the transaction (FOR UPDATE), so two nodes changing one
 *     request take turns instead of losing an update.
 *   - A request made before its order, and the order arriving at the same
 *     time on another node, could miss each other (neither sees the
 *     other's uncommitted row, so neither links them). An order's write
 *     takes a transaction lock on its reference before it looks for the
 *     requests naming it (shiprelay_unpark, store_pg_migrations.c); an
 *     unlinked request takes the same lock when it is inserted and then
 *     looks for the order: when it is there after all, the batch runs
 *     again (pg_again), and this time the request finds its order. */
#include "store_pg_int.h"

#include <stdlib.h>

#include "jsonutil.h"
#include "xmalloc.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The docs of rows (column doc_json), as a new array; NULL when rows is. */
static json_t *docs_of(json_t *rows)
{
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

json_t *pg_return_get(struct store_txn *txn, const char *tenant, const char *id)
{
    static const char sql[] = "SELECT doc AS doc_json FROM return_requests WHERE tenant = $1 AND "
                              "return_request_id = $2 FOR UPDATE";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, id);
    json_t *docs = docs_of(pgt_rows(pg_txn(txn), sql, &a));
    json_t *doc = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    return doc;
}

/* An unlinked request being inserted: no order of its reference may have
 * come meanwhile (see above). STORE_OK, or STORE_EIO (with the batch to
 * run again when the order is there). */
static int no_order_came(struct pg_txn *t, const char *tenant, const char *ref)
{
    /* two statements: the look must take its snapshot after the lock */
    static const char lock[] = "SELECT shiprelay_lock_keys($1, json_build_array('r:' || $2::text))";
    static const char look[] = "SELECT 1 FROM orders WHERE tenant = $1 AND partner_order_reference = $2";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, ref);
    PGresult *r = pgt_run(t, lock, &a);
    PQclear(r);
    if (!r)
        return STORE_EIO;
    pa_text(&a, tenant);
    pa_text(&a, ref);
    r = pgt_run(t, look, &a);
    if (!r)
        return STORE_EIO;
    bool came = PQntuples(r) > 0;
    PQclear(r);
    return came ? pg_again(t) : STORE_OK;
}

int pg_return_put(struct store_txn *txn, const char *tenant, const json_t *ret, bool created)
{
    static const char ins[] = "INSERT INTO return_requests (tenant, return_request_id, partner_order_reference, "
                              "order_id, merchant, status, doc, creation_date, update_date) "
                              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    static const char upd[] = "UPDATE return_requests SET partner_order_reference = $3, order_id = $4, merchant = $5, "
                              "status = $6, doc = $7, update_date = $8 WHERE tenant = $1 AND return_request_id = $2";
    struct pg_txn *t = pg_txn(txn);
    if (created && !str(ret, "order_id") && str(ret, "partner_order_reference") &&
        no_order_came(t, tenant, str(ret, "partner_order_reference")) != STORE_OK)
        return STORE_EIO;
    char *doc = ju_dump(ret);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, str(ret, "return_request_id"));
    pa_text(&a, str(ret, "partner_order_reference"));
    pa_text(&a, str(ret, "order_id"));
    pa_text(&a, str(ret, "merchant"));
    pa_text(&a, str(ret, "status"));
    pa_text(&a, doc);
    if (created)
        pa_text(&a, str(ret, "creation_date"));
    pa_text(&a, str(ret, "update_date"));
    PGresult *r = pgt_run(t, created ? ins : upd, &a);
    free(doc);
    int rc = r && atoi(PQcmdTuples(r)) == 1 ? STORE_OK : STORE_EIO;
    PQclear(r);
    return rc;
}

json_t *pg_returns_by_reference(struct store_txn *txn, const char *tenant, const char *partner_order_reference)
{
    static const char sql[] = "SELECT doc AS doc_json FROM return_requests WHERE tenant = $1 AND "
                              "partner_order_reference = $2 ORDER BY seq FOR UPDATE";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, partner_order_reference);
    return docs_of(pgt_rows(pg_txn(txn), sql, &a));
}

json_t *pg_returns_by_order(struct store_txn *txn, const char *tenant, const char *order_id)
{
    static const char sql[] = "SELECT doc AS doc_json FROM return_requests WHERE tenant = $1 AND order_id = $2 "
                              "ORDER BY seq FOR UPDATE";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    return docs_of(pgt_rows(pg_txn(txn), sql, &a));
}

int pg_return_key_put(struct store_txn *txn, const char *tenant, const char *key, const char *id)
{
    static const char sql[] = "INSERT INTO return_shipment_keys (tenant, key, return_request_id) VALUES ($1, $2, $3) "
                              "ON CONFLICT (tenant, key) DO UPDATE SET return_request_id = EXCLUDED.return_request_id";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, key);
    pa_text(&a, id);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    PQclear(r);
    return r ? STORE_OK : STORE_EIO;
}

char *pg_return_by_key(struct store_txn *txn, const char *tenant, const char *key)
{
    static const char sql[] = "SELECT return_request_id FROM return_shipment_keys WHERE tenant = $1 AND key = $2";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, key);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    char *id = r && PQntuples(r) == 1 ? xstrdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return id;
}

json_t *pg_read_return(struct store_reader *rd, const char *tenant, const char *id, bool *failed)
{
    static const char sql[] = "SELECT doc AS doc_json FROM return_requests WHERE tenant = $1 AND "
                              "return_request_id = $2";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, id);
    json_t *docs = docs_of(pgr_rows(&pg_reader(rd)->c, sql, &a));
    if (!docs && failed)
        *failed = true;
    json_t *doc = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    return doc;
}

json_t *pg_read_returns(struct store_reader *rd, const char *tenant, const struct store_return_filter *f)
{
    /* one index per filter that narrows (the reference, else the status, else the tenant's seq order);
     * the merchant is checked on the rows that index gives */
    static const char by_ref[] = "SELECT seq, doc AS doc_json FROM return_requests WHERE tenant = $1 AND "
                                 "partner_order_reference = $2 AND ($3::text IS NULL OR status = $3) AND "
                                 "($4::text IS NULL OR merchant = $4) AND seq > $5 ORDER BY seq LIMIT $6";
    static const char by_status[] = "SELECT seq, doc AS doc_json FROM return_requests WHERE tenant = $1 AND "
                                    "status = $2 AND ($3::text IS NULL OR merchant = $3) AND seq > $4 "
                                    "ORDER BY seq LIMIT $5";
    static const char all[] = "SELECT seq, doc AS doc_json FROM return_requests WHERE tenant = $1 AND "
                              "($2::text IS NULL OR merchant = $2) AND seq > $3 ORDER BY seq LIMIT $4";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    const char *sql = all;
    if (f->partner_order_reference) {
        sql = by_ref;
        pa_text(&a, f->partner_order_reference);
        pa_text(&a, f->status);
    } else if (f->status) {
        sql = by_status;
        pa_text(&a, f->status);
    }
    pa_text(&a, f->merchant);
    pa_int(&a, f->after);
    pa_int(&a, f->limit);
    return pgr_rows(&pg_reader(rd)->c, sql, &a);
}

int pg_sweep_returns(struct store_txn *txn, const char *before_iso, int limit)
{
    /* each final status read through returns_closed from its oldest */
    static const char sql[] =
        "WITH r AS (DELETE FROM return_requests WHERE seq = ANY(ARRAY(SELECT x.seq FROM "
        "(VALUES ('completed'), ('rejected'), ('cancelled')) s(status), LATERAL (SELECT seq FROM return_requests "
        "WHERE return_requests.status = s.status AND update_date < $1 ORDER BY update_date LIMIT $2 "
        "FOR UPDATE SKIP LOCKED) x LIMIT $2)) RETURNING tenant, return_request_id), "
        "k AS (DELETE FROM return_shipment_keys WHERE (tenant, return_request_id) IN "
        "(SELECT tenant, return_request_id FROM r)) SELECT count(*) FROM r";
    struct pg_args a = {0};
    pa_text(&a, before_iso);
    pa_int(&a, limit);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    int n = r ? (int)pg_int(r, 0, 0, 0) : STORE_EIO;
    PQclear(r);
    return n;
}
