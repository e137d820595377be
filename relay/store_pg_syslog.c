/* store_pg_syslog: the system-log half of the PostgreSQL store: entries,
 * the body spool every node's uploader drains, the queue of bodies to
 * delete from the object store, retention and redaction. See store.h and
 * store_syslog.c (SQLite).
 *
 * A spooled body is claimed by the node that spooled it, for a lease
 * (claimed_by, next_try_at at the lease's end): its uploader takes it at
 * once, and if that node dies another node's uploader takes it when the
 * lease runs out (the other nodes' retry timers wake for it:
 * store_read_spool_next). A failed try hands it back to the fleet. A body
 * is never removed under an uploader's feet: redaction or retention drop
 * an unclaimed body at once, and mark a claimed one `dropped`, so whoever
 * finishes its upload removes it and queues the stored copy for deletion.
 * So when a body is gone by the time its upload is recorded, another node
 * recorded it first (and did what was needed). Every byte entering or
 * leaving the spool goes through pg_spool_account: each node keeps its own
 * counter row (store_pg.c). */
#include "store_pg_int.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "xmalloc.h"

static const char *text_of(const json_t *e, const char *k)
{
    return json_string_value(json_object_get(e, k));
}

/* One entry and its spooled bodies, in one statement: each body ($20-$22,
 * $23-$25) is spooled when its key is given, claimed by this node (it
 * uploads it, unless it dies), and the entry keeps the spool ids. */
int pg_syslog_insert(struct store_txn *txn, const json_t *entry, const struct store_body bodies[2])
{
    static const char sql[] =
        "WITH b1 AS (INSERT INTO body_spool (key, body, len, claimed_by, next_try_at) SELECT $20::text, $21::bytea, "
        "$22::bigint, $26::text, $27::bigint WHERE $20::text IS NOT NULL RETURNING id), "
        "b2 AS (INSERT INTO body_spool (key, body, len, claimed_by, next_try_at) SELECT $23::text, $24::bytea, "
        "$25::bigint, $26::text, $27::bigint WHERE $23::text IS NOT NULL RETURNING id) "
        "INSERT INTO system_logs (identifier, tenant, order_id, correlation_id, event_type, request_type, source_type, "
        "source_id, request_method, request_url, request_headers, response_code, response_headers, request_time, "
        "response_time, duration, request_body_key, response_body_key, bodies, request_spool, response_spool) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,(SELECT id FROM b1),"
        "(SELECT id FROM b2))";
    struct pg_txn *t = pg_txn(txn);
    bool spooled = false;
    for (int i = 0; i < 2; i++)
        if (bodies[i].key && bodies[i].data) {
            int rc = pg_spool_account(t, (long long)bodies[i].len);
            if (rc != STORE_OK)
                return rc;
            spooled = true;
        }
    static const char *cols[] = {"identifier",   "tenant",      "order_id",  "correlation_id", "event_type",
                                 "request_type", "source_type", "source_id", "request_method", "request_url"};
    struct pg_args a = {0};
    for (int i = 0; i < 10; i++)
        pa_text(&a, text_of(entry, cols[i]));
    /* headers as objects, or already serialised (a JSON string holding their text) */
    json_t *rq = json_object_get(entry, "request_headers"), *rs = json_object_get(entry, "response_headers");
    char *rh = json_is_string(rq) ? xstrdup(json_string_value(rq)) : rq ? ju_dump(rq) : NULL;
    char *sh = json_is_string(rs) ? xstrdup(json_string_value(rs)) : rs ? ju_dump(rs) : NULL;
    json_t *dur = json_object_get(entry, "duration");
    char *d = dur ? ju_dump(dur) : NULL;
    pa_text(&a, rh ? rh : "{}");
    json_t *code = json_object_get(entry, "response_code");
    if (json_is_integer(code))
        pa_int(&a, json_integer_value(code));
    else
        pa_text(&a, NULL);
    pa_text(&a, sh ? sh : "{}");
    pa_text(&a, text_of(entry, "request_time"));
    pa_text(&a, text_of(entry, "response_time"));
    pa_text(&a, d);
    pa_text(&a, bodies[0].key);
    pa_text(&a, bodies[1].key);
    pa_text(&a, spooled ? "spooled" : bodies[0].key || bodies[1].key ? "stored" : "none");
    for (int i = 0; i < 2; i++) {
        bool body = bodies[i].key && bodies[i].data;
        pa_text(&a, body ? bodies[i].key : NULL);
        if (body)
            pa_bin(&a, bodies[i].data, bodies[i].len);
        else
            pa_text(&a, NULL);
        pa_int(&a, body ? (int64_t)bodies[i].len : 0);
    }
    pa_text(&a, t->node);
    pa_int(&a, pg_now_ms() + t->lease_ms);
    PGresult *r = pgt_run(t, sql, &a);
    PQclear(r);
    free(rh);
    free(sh);
    free(d);
    return r ? STORE_OK : STORE_EIO;
}

#define BODIES_STATE                                                                                                   \
    "CASE WHEN bodies = 'spooled' THEN CASE WHEN EXISTS (SELECT 1 FROM body_spool b WHERE b.id = request_spool) "    \
    "OR EXISTS (SELECT 1 FROM body_spool b WHERE b.id = response_spool) THEN 'spooled' ELSE 'stored' END "          \
    "ELSE bodies END AS bodies"
#define ENTRY_COLUMNS                                                                                                  \
    "identifier, order_id, correlation_id, event_type, request_type, source_type, source_id, request_method, "        \
    "request_url, request_headers AS request_headers_json, response_code, response_headers AS response_headers_json, " \
    "request_time, response_time, duration AS duration_json, " BODIES_STATE

json_t *pg_read_syslogs(struct store_reader *base_rd, const char *tenant, const char *order_id,
                        const char *correlation_id, const char *event_type, const char *request_type, int code_min,
                        int code_max, long long after, int limit)
{
    static const char sql[] = "SELECT seq, " ENTRY_COLUMNS " FROM system_logs WHERE tenant = $1 AND order_id = $2 "
                              "AND ($3::text IS NULL OR correlation_id = $3) AND ($4::text IS NULL OR event_type = $4) "
                              "AND ($5::text IS NULL OR request_type = $5) "
                              "AND ($6::integer < 0 OR response_code BETWEEN $6 AND $7) "
                              "AND seq > $8 ORDER BY seq LIMIT $9";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    pa_text(&a, correlation_id);
    pa_text(&a, event_type);
    pa_text(&a, request_type);
    pa_int(&a, code_min);
    pa_int(&a, code_max);
    pa_int(&a, after);
    pa_int(&a, limit);
    return pgr_rows(&pg_reader(base_rd)->c, sql, &a);
}

json_t *pg_read_syslog(struct store_reader *base_rd, const char *tenant, const char *identifier)
{
    static const char sql[] = "SELECT " ENTRY_COLUMNS ", tenant, request_body_key, response_body_key, request_spool, "
                              "response_spool FROM system_logs WHERE tenant = $1 AND identifier = $2";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, identifier);
    json_t *rows = pgr_rows(&pg_reader(base_rd)->c, sql, &a);
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row ? row : (rows ? json_null() : NULL);
}

/* A bytea column of a binary result, copied with a NUL after it. */
static char *bytes_of(PGresult *r, int row, int col, size_t *len)
{
    *len = (size_t)PQgetlength(r, row, col);
    char *out = xmalloc(*len + 1);
    memcpy(out, PQgetvalue(r, row, col), *len);
    out[*len] = '\0';
    return out;
}

char *pg_read_spooled(struct store_reader *base_rd, int64_t spool_id, const char *key, size_t *len)
{
    static const char sql[] = "SELECT body FROM body_spool WHERE id = $1 AND key = $2";
    struct pg_args a = {0};
    pa_int(&a, spool_id);
    pa_text(&a, key);
    PGresult *r = pgr_run(&pg_reader(base_rd)->c, sql, &a, true);
    char *out = r && PQntuples(r) == 1 ? bytes_of(r, 0, 0, len) : NULL;
    PQclear(r);
    return out;
}

/* Binary columns: id (int8), key (text), body (bytea), attempts (int4). */
static int take_rows(PGresult *r, struct store_spooled *out, int room)
{
    int n = 0;
    for (int i = 0; r && i < PQntuples(r) && n < room; i++, n++) {
        uint64_t id = 0;
        uint32_t attempts = 0;
        memcpy(&id, PQgetvalue(r, i, 0), 8);
        memcpy(&attempts, PQgetvalue(r, i, 3), 4);
        out[n].id = (int64_t)be64toh(id);
        out[n].attempts = (int)be32toh(attempts);
        size_t klen;
        out[n].key = bytes_of(r, i, 1, &klen);
        out[n].body = bytes_of(r, i, 2, &out[n].len);
    }
    return n;
}

int pg_claim_spooled(struct store_reader *base_rd, int64_t now_ms, int limit, const int64_t *skip, int n_skip,
                     struct store_spooled *out)
{
    /* First what this node spooled itself and has not started (its lease
     * renewed), then anything due (claimed). */
    static const char mine[] =
        "UPDATE body_spool SET next_try_at = $2::bigint + $4::bigint WHERE id = ANY(ARRAY(SELECT id FROM body_spool "
        "WHERE claimed_by = $1 AND id <> ALL($5::bigint[]) ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)) "
        "RETURNING id, key, body, attempts";
    static const char due[] =
        "UPDATE body_spool SET claimed_by = $1, next_try_at = $2::bigint + $4::bigint WHERE id = ANY(ARRAY(SELECT id "
        "FROM body_spool WHERE next_try_at <= $2 AND id <> ALL($5::bigint[]) ORDER BY next_try_at LIMIT $3 "
        "FOR UPDATE SKIP LOCKED)) RETURNING id, key, body, attempts";
    struct pg_reader *rd = pg_reader(base_rd);
    char *ids = xmalloc((size_t)n_skip * 24 + 3), *w = ids;
    *w++ = '{';
    for (int i = 0; i < n_skip; i++)
        w += sprintf(w, "%s%lld", i ? "," : "", (long long)skip[i]);
    strcpy(w, "}");
    int n = 0;
    for (int pass = 0; pass < 2 && n < limit; pass++) {
        struct pg_args a = {0};
        pa_text(&a, rd->db->node);
        pa_int(&a, now_ms);
        pa_int(&a, limit - n);
        pa_int(&a, rd->db->lease_ms);
        pa_text(&a, ids);
        PGresult *r = pgr_run(&rd->c, pass == 0 ? mine : due, &a, true);
        if (!r) {
            n = n ? n : -1;
            break;
        }
        n += take_rows(r, out + n, limit - n);
        PQclear(r);
    }
    free(ids);
    return n;
}

json_t *pg_read_body_deletes(struct store_reader *base_rd, int limit)
{
    static const char sql[] = "SELECT key FROM body_deletes ORDER BY seq LIMIT $1";
    struct pg_args a = {0};
    pa_int(&a, limit);
    return pgr_rows(&pg_reader(base_rd)->c, sql, &a);
}

int64_t pg_read_spool_next(struct store_reader *base_rd, int64_t now_ms)
{
    static const char sql[] = "SELECT min(next_try_at) FROM body_spool WHERE next_try_at > $1";
    struct pg_args a = {0};
    pa_int(&a, now_ms);
    PGresult *r = pgr_run(&pg_reader(base_rd)->c, sql, &a, false);
    int64_t next = pg_int(r, 0, 0, -1);
    PQclear(r);
    return next;
}

static int queue_delete(struct pg_txn *t, const char *key)
{
    static const char sql[] = "INSERT INTO body_deletes (key) VALUES ($1) ON CONFLICT DO NOTHING";
    struct pg_args a = {0};
    pa_text(&a, key);
    PGresult *r = pgt_run(t, sql, &a);
    PQclear(r);
    t->job.deletes = true;
    return r ? STORE_OK : STORE_EIO;
}

int pg_spool_moved(struct store_txn *txn, int64_t spool_id, const char *key)
{
    static const char sql[] = "DELETE FROM body_spool WHERE id = $1 RETURNING len, dropped";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_int(&a, spool_id);
    PGresult *r = pgt_run(t, sql, &a);
    if (!r)
        return STORE_EIO;
    bool found = PQntuples(r) == 1, dropped = found && PQgetvalue(r, 0, 1)[0] == 't';
    if (found)
        pg_spool_account(t, -pg_int(r, 0, 0, 0));
    PQclear(r);
    /* Dropped while it was being uploaded (redacted or swept): the copy just
     * stored must go too, and the row deleted now held the body (VACUUM
     * after the commit, as after the redaction itself). */
    t->job.scrubbed |= dropped;
    return dropped ? queue_delete(t, key) : STORE_OK;
}

int pg_spool_retry(struct store_txn *txn, int64_t spool_id, int64_t next_try_at)
{
    static const char sql[] = "UPDATE body_spool SET attempts = attempts + 1, next_try_at = $2, claimed_by = NULL "
                              "WHERE id = $1 AND claimed_by = $3";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_int(&a, spool_id);
    pa_int(&a, next_try_at);
    pa_text(&a, t->node);
    PGresult *r = pgt_run(t, sql, &a);
    PQclear(r);
    return r ? STORE_OK : STORE_EIO;
}

int pg_body_deleted(struct store_txn *txn, const char *key)
{
    static const char sql[] = "DELETE FROM body_deletes WHERE key = $1";
    struct pg_args a = {0};
    pa_text(&a, key);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    PQclear(r);
    return r ? STORE_OK : STORE_EIO;
}

/* One of an entry's bodies leaves: a spooled one is dropped (now, or by
 * its uploader when one has it: its row loses the body at once, the
 * uploader works from its own copy), a stored one queued for deletion from
 * the object store; the store's own ("db:") go with their message. */
static int drop_body(struct pg_txn *t, const char *key, int64_t spool_id)
{
    static const char unspool[] = "DELETE FROM body_spool WHERE id = $1 AND claimed_by IS NULL RETURNING len";
    static const char mark[] = "UPDATE body_spool SET dropped = true, body = ''::bytea WHERE id = $1";
    if (!key || strncmp(key, "db:", 3) == 0)
        return STORE_OK;
    if (spool_id) {
        struct pg_args a = {0};
        pa_int(&a, spool_id);
        PGresult *r = pgt_run(t, unspool, &a);
        if (!r)
            return STORE_EIO;
        bool gone = PQntuples(r) == 1;
        if (gone)
            pg_spool_account(t, -pg_int(r, 0, 0, 0));
        PQclear(r);
        if (gone)
            return STORE_OK;
        pa_int(&a, spool_id);
        r = pgt_run(t, mark, &a);
        int marked = r ? atoi(PQcmdTuples(r)) : -1;
        PQclear(r);
        if (marked != 0)
            return marked < 0 ? STORE_EIO : STORE_OK; /* its uploader deletes what it stores */
    }
    return queue_delete(t, key);
}

#define BODY_COLUMNS "seq, request_body_key, response_body_key, request_spool, response_spool"

/* Drop the bodies of the entries in rows, then run then (taking $1 = seq)
 * on each. The number of entries, or STORE_EIO. */
static int each_entry(struct pg_txn *t, json_t *rows, const char *then)
{
    if (!rows)
        return STORE_EIO;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        rc = drop_body(t, text_of(r, "request_body_key"), json_integer_value(json_object_get(r, "request_spool")));
        if (rc == STORE_OK)
            rc = drop_body(t, text_of(r, "response_body_key"), json_integer_value(json_object_get(r, "response_spool")));
        if (rc != STORE_OK)
            break;
        struct pg_args a = {0};
        pa_int(&a, json_integer_value(json_object_get(r, "seq")));
        PGresult *res = pgt_run(t, then, &a);
        PQclear(res);
        if (!res) {
            rc = STORE_EIO;
            break;
        }
    }
    int n = (int)json_array_size(rows);
    json_decref(rows);
    return rc == STORE_OK ? n : STORE_EIO;
}

int pg_syslog_sweep(struct store_txn *txn, const char *cutoff_iso, int limit)
{
    static const char old[] = "SELECT " BODY_COLUMNS " FROM system_logs WHERE request_time < $1 "
                              "ORDER BY request_time LIMIT $2 FOR UPDATE SKIP LOCKED";
    static const char del[] = "DELETE FROM system_logs WHERE seq = $1";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, cutoff_iso);
    pa_int(&a, limit);
    return each_entry(t, pgt_rows(t, old, &a), del);
}

static int order_entries(struct pg_txn *t, const char *tenant, const char *order_id, const char *then)
{
    static const char entries[] = "SELECT " BODY_COLUMNS " FROM system_logs WHERE tenant = $1 AND order_id = $2 "
                                  "FOR UPDATE";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    return each_entry(t, pgt_rows(t, entries, &a), then) < 0 ? STORE_EIO : STORE_OK;
}

int pg_syslog_redact(struct store_txn *txn, const char *tenant, const char *order_id)
{
    /* Bodies are deleted (from the spool now, from the object store by an
     * uploader); the request URL loses its query string. */
    static const char mark[] =
        "UPDATE system_logs SET bodies = 'redacted', request_body_key = NULL, response_body_key = NULL, "
        "request_spool = NULL, response_spool = NULL, request_url = split_part(request_url, '?', 1) WHERE seq = $1";
    struct pg_txn *t = pg_txn(txn);
    t->job.scrubbed = true;
    return order_entries(t, tenant, order_id, mark);
}

int pg_syslog_forget_order(struct store_txn *txn, const char *tenant, const char *order_id)
{
    static const char del[] = "DELETE FROM system_logs WHERE seq = $1";
    return order_entries(pg_txn(txn), tenant, order_id, del);
}

int pg_syslog_adopt(struct store_txn *txn, const char *tenant, const char *identifier, const char *order_id)
{
    static const char sql[] = "UPDATE system_logs SET order_id = $3 WHERE identifier = $2 AND tenant = $1 AND "
                              "(order_id IS NULL OR order_id = '')";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, identifier);
    pa_text(&a, order_id);
    PGresult *r = pgt_run(pg_txn(txn), sql, &a);
    PQclear(r);
    return r ? STORE_OK : STORE_EIO;
}
