/* store_pg_orders: orders on PostgreSQL: reads and writes inside jobs, the
 * shipment-key index, event dedupe, parking, change logs, and the order
 * reads (GET /orders, change logs). See store.h.
 *
 * Two nodes never lose each other's update: a job reads an order with
 * SELECT … FOR UPDATE, so the row stays locked until its transaction ends
 * and a second writer reads what the first committed. The writer's order
 * cache (order_cache.h) is kept, and checked at every read against the
 * row's version (a number from one sequence, new at every write): the
 * locking read sends the document only when the cached (order_id,
 * version) is not the row's, so a hit costs one small round trip and no
 * parse, and another node's change is never missed. */
#include "store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "log.h"
#include "order_cache.h"
#include "xmalloc.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Remember that doc (handed out or just stored in this job) has text as
 * its stored form, for store_order_json. */
static void remember(struct pg_txn *t, const json_t *doc, const char *text)
{
    int i = t->n_known < PG_KNOWN_MAX ? t->n_known++ : (t->known_next++ % PG_KNOWN_MAX);
    free(t->known[i].text);
    t->known[i].doc = doc;
    t->known[i].text = xstrdup(text);
}

/* The order, locked for this transaction: from the cache when the row's
 * version is the cached one, else as the row has it. */
static json_t *order_read(struct pg_txn *t, const char *tenant, enum store_key key, const char *ref, bool copy)
{
    static const char by_id[] =
        "SELECT order_id, version, CASE WHEN order_id = $3 AND version = $4 THEN NULL ELSE doc END "
        "FROM orders WHERE tenant = $1 AND order_id = $2 FOR UPDATE";
    static const char by_ref[] =
        "SELECT order_id, version, CASE WHEN order_id = $3 AND version = $4 THEN NULL ELSE doc END "
        "FROM orders WHERE tenant = $1 AND partner_order_reference = $2 FOR UPDATE";
    const json_t *cached = NULL;
    const char *ctext = NULL;
    int64_t cver = -1;
    if (!order_cache_get(t->orders, tenant, key == STORE_KEY_PARTNER_REF, ref, &cached, &ctext, &cver))
        cached = NULL;
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, ref);
    pa_text(&a, cached ? str(cached, "order_id") : NULL);
    pa_int(&a, cached ? cver : -1);
    PGresult *r = pgt_run(t, key == STORE_KEY_ORDER_ID ? by_id : by_ref, &a);
    json_t *doc = NULL;
    if (r && PQntuples(r) == 1) {
        if (cached && PQgetisnull(r, 0, 2)) {
            doc = copy ? json_deep_copy(cached) : json_incref((json_t *)cached);
            remember(t, doc, ctext);
        } else {
            const char *text = PQgetvalue(r, 0, 2);
            doc = json_loadb(text, (size_t)PQgetlength(r, 0, 2), 0, NULL);
            if (doc) { /* the cache keeps its own object when the caller gets a copy to change */
                order_cache_put(t->orders, tenant, copy ? json_deep_copy(doc) : json_incref(doc), text,
                                pg_int(r, 0, 1, 0));
                remember(t, doc, text);
            } else
                pg_failed(t);
        }
    }
    PQclear(r);
    return doc;
}

json_t *pg_order_get(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref)
{
    return order_read(pg_txn(txn), tenant, key, ref, true);
}

json_t *pg_order_peek(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref)
{
    return order_read(pg_txn(txn), tenant, key, ref, false);
}

char *pg_order_json(struct store_txn *txn, const json_t *doc)
{
    struct pg_txn *t = pg_txn(txn);
    for (int i = 0; i < t->n_known; i++)
        if (t->known[i].doc == doc)
            return xstrdup(t->known[i].text);
    return ju_dump(doc);
}

json_t *pg_order_by_tracking(struct store_txn *txn, const char *tenant, const char *tracking_no)
{
    /* The key and the order's version, the order locked; its document only
     * when the cache does not have that version. */
    static const char sql[] = "SELECT o.order_id, o.version FROM shipment_keys k JOIN orders o ON o.tenant = k.tenant "
                              "AND o.order_id = k.order_id WHERE k.tenant = $1 AND k.tracking_no = $2 FOR UPDATE OF o";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, tracking_no);
    PGresult *r = pgt_run(t, sql, &a);
    if (!r || PQntuples(r) != 1) {
        PQclear(r);
        return NULL;
    }
    char *order_id = xstrdup(PQgetvalue(r, 0, 0));
    int64_t version = pg_int(r, 0, 1, -1);
    PQclear(r);
    const json_t *cached;
    const char *ctext;
    int64_t cver;
    json_t *doc;
    if (order_cache_get(t->orders, tenant, false, order_id, &cached, &ctext, &cver) && cver == version) {
        doc = json_incref((json_t *)cached);
        remember(t, doc, ctext);
    } else {
        doc = order_read(t, tenant, STORE_KEY_ORDER_ID, order_id, false);
    }
    free(order_id);
    return doc;
}

static const char *order_status(const json_t *order)
{
    const char *st = str(order, "status");
    return st ? st : "";
}

static const char *customer_key(const json_t *order)
{
    const char *ck = str(order, "customer_key");
    return ck ? ck : str(json_object_get(order, "customer"), "customer_key");
}

/* The keys (tracking numbers, "psr:" references) an order's shipments are
 * found by, as an object used as a set. */
static json_t *shipment_keys(const json_t *order)
{
    json_t *set = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        const char *trk = str(s, "tracking_no"), *psr = str(s, "partner_shipment_reference");
        if (trk)
            json_object_set_new(set, trk, json_true());
        if (psr) {
            char *k = xasprintf("psr:%s", psr);
            json_object_set_new(set, k, json_true());
            free(k);
        }
    }
    return set;
}

/* Keep the tracking-number index in step with the order's shipments: the
 * keys it did not have before (prev: the order as stored before, or NULL),
 * in one statement. */
static int index_shipments(struct pg_txn *t, const char *tenant, const json_t *order, const json_t *prev)
{
    static const char sql[] = "INSERT INTO shipment_keys (tenant, tracking_no, order_id) SELECT $1, k, $2 "
                              "FROM json_array_elements_text($3::json) k "
                              "ON CONFLICT (tenant, tracking_no) DO UPDATE SET order_id = EXCLUDED.order_id";
    json_t *now = shipment_keys(order), *was = prev ? shipment_keys(prev) : json_object();
    json_t *fresh = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(now, k, v)
    {
        if (!json_object_get(was, k))
            json_array_append_new(fresh, json_string(k));
    }
    json_decref(now);
    json_decref(was);
    int rc = STORE_OK;
    if (json_array_size(fresh)) {
        char *keys = ju_dump(fresh);
        struct pg_args a = {0};
        pa_text(&a, tenant);
        pa_text(&a, str(order, "order_id"));
        pa_text(&a, keys);
        PGresult *r = pgt_run(t, sql, &a);
        rc = r ? STORE_OK : STORE_EIO;
        PQclear(r);
        free(keys);
    }
    json_decref(fresh);
    return rc;
}

/* After a write: the cache (which keeps order itself: the caller does not
 * change it after storing it, store.h) and store_order_json know it. */
static void written(struct pg_txn *t, const char *tenant, const json_t *order, const char *text, int64_t version)
{
    order_cache_put(t->orders, tenant, json_incref((json_t *)order), text, version);
    remember(t, order, text);
}

int pg_order_insert(struct store_txn *txn, const char *tenant, const json_t *order)
{
    static const char sql[] =
        "INSERT INTO orders (tenant, order_id, partner_order_reference, doc, update_date, status, merchant, "
        "customer_key, creation_date, sub_status, status_since, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $5, nextval('order_versions')) ON CONFLICT DO NOTHING RETURNING version";
    struct pg_txn *t = pg_txn(txn);
    char *doc = ju_dump(order);
    const char *merchant = str(order, "merchant"), *created = str(order, "creation_date");
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, str(order, "order_id"));
    pa_text(&a, str(order, "partner_order_reference"));
    pa_text(&a, doc);
    pa_text(&a, str(order, "update_date"));
    pa_text(&a, order_status(order));
    pa_text(&a, merchant ? merchant : "");
    pa_text(&a, customer_key(order));
    pa_text(&a, created ? created : str(order, "update_date"));
    pa_text(&a, str(order, "sub_status"));
    PGresult *r = pgt_run(t, sql, &a);
    int rc = !r ? STORE_EIO : PQntuples(r) == 1 ? STORE_OK : STORE_EXISTS;
    int64_t version = pg_int(r, 0, 0, 0);
    PQclear(r);
    if (rc == STORE_OK)
        rc = index_shipments(t, tenant, order, NULL);
    if (rc == STORE_OK)
        written(t, tenant, order, doc, version);
    free(doc);
    return rc;
}

/* Equal JSON values, or both absent. */
static bool same_value(const json_t *a, const json_t *b)
{
    return a == b || (a && b && json_equal(a, b));
}

/* The columns beside the document: a status that changed (compared with
 * the stored one) starts a new episode, so status_since is now and no
 * order.stuck fired for it yet (store.h, stuck orders). PostgreSQL writes a
 * new row version at every update whatever the SET names, so unlike
 * SQLite's statements these set every column; only a new reference needs
 * the check below. */
#define UPDATE_COLUMNS                                                                                                 \
    "UPDATE orders SET doc = $3, update_date = $4, "                                                                   \
    "status_since = CASE WHEN status = $5 THEN status_since ELSE $4 END, "                                           \
    "stuck_since = CASE WHEN status = $5 THEN stuck_since ELSE NULL END, status = $5, sub_status = $6, "            \
    "version = nextval('order_versions')"

int pg_order_update(struct store_txn *txn, const char *tenant, const json_t *order)
{
    static const char same_keys[] = UPDATE_COLUMNS " WHERE tenant = $1 AND order_id = $2 RETURNING version";
    /* A new partner_order_reference must not be another order's: checked
     * here (a node racing to take the same one meets the unique index and
     * its job fails, to be retried by its client). */
    static const char new_keys[] =
        UPDATE_COLUMNS ", partner_order_reference = $7, merchant = $8, customer_key = $9 WHERE tenant = $1 AND "
        "order_id = $2 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant = $1 AND o.partner_order_reference = $7 "
        "AND o.order_id <> $2) RETURNING version";
    static const char taken[] = "SELECT 1 FROM orders WHERE tenant = $1 AND partner_order_reference = $2";
    struct pg_txn *t = pg_txn(txn);
    const char *order_id = str(order, "order_id");
    const json_t *prev = NULL;
    const char *prev_text;
    if (!order_cache_get(t->orders, tenant, false, order_id, &prev, &prev_text, NULL))
        prev = NULL;
    static const char *keyed[] = {"partner_order_reference", "merchant", "customer_key"};
    bool same = prev != NULL;
    for (size_t k = 0; same && k < sizeof keyed / sizeof keyed[0]; k++)
        same = same_value(json_object_get(order, keyed[k]), json_object_get(prev, keyed[k]));
    same = same && same_value(json_object_get(json_object_get(order, "customer"), "customer_key"),
                              json_object_get(json_object_get(prev, "customer"), "customer_key"));
    char *doc = ju_dump(order);
    const char *merchant = str(order, "merchant");
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    pa_text(&a, doc);
    pa_text(&a, str(order, "update_date"));
    pa_text(&a, order_status(order));
    pa_text(&a, str(order, "sub_status"));
    if (!same) {
        pa_text(&a, str(order, "partner_order_reference"));
        pa_text(&a, merchant ? merchant : "");
        pa_text(&a, customer_key(order));
    }
    PGresult *r = pgt_run(t, same ? same_keys : new_keys, &a);
    int rc = r && PQntuples(r) == 1 ? STORE_OK : STORE_EIO;
    int64_t version = pg_int(r, 0, 0, 0);
    PQclear(r);
    if (r && rc != STORE_OK && !same) { /* not updated: the reference is another order's? */
        pa_text(&a, tenant);
        pa_text(&a, str(order, "partner_order_reference"));
        PGresult *q = pgt_run(t, taken, &a);
        if (q && PQntuples(q) > 0)
            rc = STORE_EXISTS;
        PQclear(q);
    }
    if (rc == STORE_OK)
        rc = index_shipments(t, tenant, order, prev);
    if (rc == STORE_OK)
        written(t, tenant, order, doc, version);
    free(doc);
    return rc;
}

int pg_changelog_add(struct store_txn *txn, const char *tenant, const char *order_id, const char *log_date,
                     const char *source, const json_t *changes)
{
    /* One statement for all the entries, in their order (ids ascending). */
    static const char sql[] =
        "INSERT INTO change_logs (tenant, order_id, log_date, change_type, source, entity_type, entity_id, field, "
        "old_value, new_value, update_source) SELECT $1, $2, $3, e->>'change_type', e->>'source', "
        "e->>'entity_type', e->>'entity_id', e->>'field', e->>'old_value', e->>'new_value', e->>'update_source' "
        "FROM json_array_elements($4::json) WITH ORDINALITY AS x(e, n) ORDER BY n";
    if (!json_array_size(changes))
        return STORE_OK;
    json_t *rows = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(changes, i, e)
    {
        json_t *row = json_object();
        const char *own = str(e, "source");
        static const char *text_cols[] = {"change_type", "entity_type", "entity_id", "field"};
        for (size_t c = 0; c < sizeof text_cols / sizeof text_cols[0]; c++)
            if (str(e, text_cols[c]))
                json_object_set_new(row, text_cols[c], json_string(str(e, text_cols[c])));
        json_object_set_new(row, "source", json_string(own ? own : source));
        static const char *json_cols[] = {"old_value", "new_value", "update_source"};
        for (size_t c = 0; c < sizeof json_cols / sizeof json_cols[0]; c++) {
            json_t *v = json_object_get(e, json_cols[c]);
            if (v && !json_is_null(v)) {
                char *text = ju_dump(v);
                json_object_set_new(row, json_cols[c], json_string(text));
                free(text);
            }
        }
        json_array_append_new(rows, row);
    }
    char *text = ju_dump(rows);
    json_decref(rows);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    pa_text(&a, log_date);
    pa_text(&a, text);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    free(text);
    PQclear(r);
    return r ? STORE_OK : STORE_EIO;
}

int pg_event_seen(struct store_txn *txn, const char *tenant, const char *source, const char *key, const char *now_iso)
{
    static const char sql[] = "INSERT INTO seen_events (tenant, source, key, received_date) VALUES ($1, $2, $3, $4) "
                              "ON CONFLICT DO NOTHING";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, source);
    pa_text(&a, key);
    pa_text(&a, now_iso);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    int rc = !r ? STORE_EIO : strcmp(PQcmdTuples(r), "0") == 0 ? 1 : 0;
    PQclear(r);
    return rc;
}

int pg_park(struct store_txn *txn, const char *tenant, const char *source, const json_t *event, const char *now_iso)
{
    static const char sql[] = "SELECT shiprelay_park($1, $2, $3, $4, $5, $6, $7)";
    struct pg_txn *t = pg_txn(txn);
    char *doc = ju_dump(event);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, source);
    pa_text(&a, str(event, "tracking_no"));
    pa_text(&a, str(event, "partner_order_reference"));
    pa_text(&a, str(event, "partner_shipment_reference"));
    pa_text(&a, doc);
    pa_text(&a, now_iso);
    PGresult *r = pgt_run(t, sql, &a);
    free(doc);
    bool parked = r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    int rc = !r ? STORE_EIO : parked ? STORE_OK : pg_again(t); /* its order came meanwhile: run again, to find it */
    PQclear(r);
    return rc;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
    int64_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));
    return x < y ? -1 : x > y;
}

json_t *pg_unpark(struct store_txn *txn, const char *tenant, const json_t *order)
{
    static const char sql[] = "SELECT id, source, event FROM shiprelay_unpark($1, $2, $3, $4)";
    json_t *trks = json_array(), *psrs = json_array();
    size_t i;
    json_t *sh;
    json_array_foreach(json_object_get(order, "shipments"), i, sh)
    {
        json_t *trk = json_object_get(sh, "tracking_no"), *psr = json_object_get(sh, "partner_shipment_reference");
        if (json_is_string(trk))
            json_array_append(trks, trk);
        if (json_is_string(psr))
            json_array_append(psrs, psr);
    }
    char *trk_list = ju_dump(trks), *psr_list = ju_dump(psrs);
    json_decref(trks);
    json_decref(psrs);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, str(order, "partner_order_reference"));
    pa_text(&a, trk_list);
    pa_text(&a, psr_list);
    json_t *rows = pgt_rows(pg_txn(txn), sql, &a);
    free(trk_list);
    free(psr_list);
    if (!rows)
        return NULL;
    size_t n = json_array_size(rows);
    json_t **sorted = xcalloc(n + 1, sizeof *sorted);
    for (i = 0; i < n; i++)
        sorted[i] = json_array_get(rows, i);
    qsort(sorted, n, sizeof *sorted, by_id);
    json_t *out = json_array();
    for (i = 0; i < n; i++) {
        json_t *ev = json_loads(str(sorted[i], "event"), 0, NULL);
        if (ev)
            json_array_append_new(out, json_pack("{s:s,s:o}", "source", str(sorted[i], "source"), "event", ev));
    }
    free(sorted);
    json_decref(rows);
    return out;
}

json_t *pg_orders_by_customer(struct store_txn *txn, const char *tenant, const char *customer_key)
{
    static const char sql[] = "SELECT doc AS doc_json FROM orders WHERE tenant = $1 AND customer_key = $2 "
                              "ORDER BY order_id FOR UPDATE";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, customer_key);
    json_t *rows = pgt_rows(pg_txn(txn), sql, &a);
    json_t *docs = rows ? json_array() : NULL;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_array_append(docs, json_object_get(r, "doc"));
    }
    json_decref(rows);
    return docs;
}

/* ---- reads ---- */

json_t *pg_read_order(struct store_reader *base_rd, const char *tenant, enum store_key key, const char *ref,
                      bool *failed)
{
    static const char by_id[] = "SELECT doc FROM orders WHERE tenant = $1 AND order_id = $2";
    static const char by_ref[] = "SELECT doc FROM orders WHERE tenant = $1 AND partner_order_reference = $2";
    struct pg_reader *rd = pg_reader(base_rd);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, ref);
    PGresult *r = pgr_run(&rd->c, key == STORE_KEY_ORDER_ID ? by_id : by_ref, &a, false);
    json_t *doc = NULL;
    if (r && PQntuples(r) == 1)
        doc = json_loadb(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), 0, NULL);
    if (failed && (!r || (PQntuples(r) == 1 && !doc)))
        *failed = true;
    PQclear(r);
    return doc;
}

json_t *pg_read_orders(struct store_reader *base_rd, const char *tenant, const struct store_order_filter *f)
{
    /* Only the filters given, each served by its index (tenant, column, seq);
     * paged by seq. Assembled from fixed fragments, never from input. */
    static const struct {
        size_t offset;
        const char *sql;
    } filters[] = {
        {offsetof(struct store_order_filter, status), " AND status = $%d"},
        {offsetof(struct store_order_filter, sub_status), " AND sub_status = $%d"},
        {offsetof(struct store_order_filter, merchant), " AND merchant = $%d"},
        {offsetof(struct store_order_filter, customer_key), " AND customer_key = $%d"},
        {offsetof(struct store_order_filter, created_from), " AND creation_date >= $%d"},
        {offsetof(struct store_order_filter, created_to), " AND creation_date <= $%d"},
        {offsetof(struct store_order_filter, updated_from), " AND update_date >= $%d"},
        {offsetof(struct store_order_filter, updated_to), " AND update_date <= $%d"},
    };
    struct pg_reader *rd = pg_reader(base_rd);
    char sql[1024] = "SELECT seq, doc AS doc_json FROM orders WHERE tenant = $1";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        const char *v = *(const char *const *)((const char *)f + filters[i].offset);
        if (!v)
            continue;
        pa_text(&a, v);
        char frag[64];
        snprintf(frag, sizeof frag, filters[i].sql, a.n);
        strcat(sql, frag);
    }
    char tail[96];
    bool bound = !f->newest_first || f->after > 0;
    if (bound)
        pa_int(&a, f->after);
    pa_int(&a, f->limit);
    if (!f->newest_first)
        snprintf(tail, sizeof tail, " AND seq > $%d ORDER BY seq LIMIT $%d", a.n - 1, a.n);
    else if (bound)
        snprintf(tail, sizeof tail, " AND seq < $%d ORDER BY seq DESC LIMIT $%d", a.n - 1, a.n);
    else
        snprintf(tail, sizeof tail, " ORDER BY seq DESC LIMIT $%d", a.n);
    strcat(sql, tail);
    PGresult *r = pgr_run_once(&rd->c, sql, &a);
    json_t *rows = r ? pg_rows(r) : NULL;
    PQclear(r);
    return rows;
}

#define LOG_COLUMNS                                                                                                    \
    "log_date, change_type, source, entity_type, entity_id, field, old_value AS old_value_json, "                      \
    "new_value AS new_value_json, update_source AS update_source_json"

json_t *pg_read_changelogs(struct store_reader *base_rd, const char *tenant, const char *order_id, bool newest_first)
{
    static const char asc[] = "SELECT " LOG_COLUMNS " FROM change_logs WHERE tenant = $1 AND order_id = $2 ORDER BY id";
    static const char desc[] =
        "SELECT " LOG_COLUMNS " FROM change_logs WHERE tenant = $1 AND order_id = $2 ORDER BY id DESC";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    return pgr_rows(&pg_reader(base_rd)->c, newest_first ? desc : asc, &a);
}
