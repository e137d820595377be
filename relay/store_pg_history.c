/* store_pg_history: archived shipment status history on PostgreSQL (see
 * store.h and store_history.c): entries a shipment no longer keeps inline,
 * one row each, read through shipment_history_by_shipment and swept
 * through shipment_history_by_date. */
#include "store_pg_int.h"

#include <stdlib.h>

#include "jsonutil.h"

int pg_history_archive(struct store_txn *txn, const char *tenant, const char *order_id, const json_t *moved,
                       const char *now_iso)
{
    /* Every entry in one statement, in their order (seq ascending). */
    static const char sql[] =
        "INSERT INTO shipment_history (tenant, order_id, shipment, entry, archived_date) "
        "SELECT $1, $2, m->>'shipment', e::text, $4 FROM json_array_elements($3::json) WITH ORDINALITY AS x(m, i), "
        "json_array_elements(x.m->'entries') WITH ORDINALITY AS y(e, k) ORDER BY i, k";
    if (!json_array_size(moved))
        return STORE_OK;
    char *text = ju_dump(moved);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    pa_text(&a, text);
    pa_text(&a, now_iso);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    free(text);
    PQclear(r);
    return r ? STORE_OK : STORE_EIO;
}

json_t *pg_read_history(struct store_reader *rd, const char *tenant, const char *order_id, const char *shipment,
                        long long after, int limit)
{
    static const char sql[] = "SELECT seq, entry AS entry_json FROM shipment_history WHERE tenant = $1 AND "
                              "order_id = $2 AND shipment = $3 AND seq > $4 ORDER BY seq LIMIT $5";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    pa_text(&a, shipment);
    pa_int(&a, after);
    pa_int(&a, limit);
    return pgr_rows(&pg_reader(rd)->c, sql, &a);
}

int pg_sweep_history(struct store_txn *txn, const char *before_iso, int limit)
{
    static const char sql[] = "DELETE FROM shipment_history WHERE seq = ANY(ARRAY(SELECT seq FROM shipment_history "
                              "WHERE archived_date < $1 ORDER BY archived_date LIMIT $2 FOR UPDATE SKIP LOCKED))";
    struct pg_args a = {0};
    pa_text(&a, before_iso);
    pa_int(&a, limit);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    int n = r ? atoi(PQcmdTuples(r)) : STORE_EIO;
    PQclear(r);
    return n;
}
