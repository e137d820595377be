/* store_syslog: the system-log half of the SQLite store: entries, the body
 * spool the uploader drains, the queue of bodies to delete from the object
 * store, retention and redaction. See store.h.
 *
 * Spool rows are found by their id (AUTOINCREMENT: an id is never given
 * twice, so an entry's id can only ever name its own body); an entry keeps
 * the ids of its spooled bodies, so moving a body touches its spool row
 * only, and the entry's "bodies" state is worked out when it is read. Every
 * byte entering or leaving body_spool goes through sq_spool_account, so the
 * spool's size (counters.spool_bytes) is exact at every commit and the cap
 * holds at the commit that would cross it. */
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "store_sqlite_int.h"
#include "xmalloc.h"

#define BODIES_STATE                                                                                                   \
    "CASE WHEN bodies = 'spooled' THEN CASE WHEN EXISTS (SELECT 1 FROM body_spool b WHERE b.id = request_spool) "    \
    "OR EXISTS (SELECT 1 FROM body_spool b WHERE b.id = response_spool) THEN 'spooled' ELSE 'stored' END "          \
    "ELSE bodies END AS bodies"
#define ENTRY_COLUMNS                                                                                                  \
    "identifier, order_id, correlation_id, event_type, request_type, source_type, source_id, request_method, "        \
    "request_url, request_headers AS request_headers_json, response_code, response_headers AS response_headers_json, " \
    "request_time, response_time, duration AS duration_json, " BODIES_STATE

static const char *text_of(const json_t *e, const char *k)
{
    return json_string_value(json_object_get(e, k));
}

/* 0 with the new row's id in *id, or STORE_SPOOL_FULL / STORE_EIO. */
static int spool_put(struct sq_txn *txn, const struct store_body *b, int64_t *id)
{
    static const char sql[] = "INSERT INTO body_spool (key, body, len) VALUES (?1, ?2, ?3)";
    int rc = sq_spool_account(txn, (long long)b->len);
    sqlite3_stmt *s = rc == STORE_OK ? sq_stmt(txn->db, &txn->cache, sql) : NULL;
    if (!s)
        return rc == STORE_OK ? STORE_EIO : rc;
    sq_text(s, 1, b->key);
    sqlite3_bind_blob64(s, 2, b->data, b->len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)b->len);
    if (sq_done(s) != STORE_OK)
        return STORE_EIO;
    *id = sqlite3_last_insert_rowid(txn->db);
    return STORE_OK;
}

int sq_syslog_insert(struct store_txn *base_txn, const json_t *entry, const struct store_body bodies[2])
{
    struct sq_txn *txn = sq_txn(base_txn);
    int64_t spool[2] = {0, 0};
    bool spooled = false;
    for (int i = 0; i < 2; i++)
        if (bodies[i].key && bodies[i].data) {
            int rc = spool_put(txn, &bodies[i], &spool[i]);
            if (rc != STORE_OK)
                return rc;
            spooled = true;
        }
    static const char sql[] =
        "INSERT INTO system_logs (identifier, tenant, order_id, correlation_id, event_type, request_type, source_type, "
        "source_id, request_method, request_url, request_headers, response_code, response_headers, request_time, "
        "response_time, duration, request_body_key, response_body_key, bodies, request_spool, response_spool) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    static const char *cols[] = {"identifier",   "tenant",      "order_id",  "correlation_id", "event_type",
                                 "request_type", "source_type", "source_id", "request_method", "request_url"};
    for (int i = 0; i < 10; i++)
        sq_text(s, i + 1, text_of(entry, cols[i]));
    /* headers as objects, or already serialised (a JSON string holding their text) */
    json_t *rq = json_object_get(entry, "request_headers"), *rs = json_object_get(entry, "response_headers");
    char *rh = json_is_string(rq) ? xstrdup(json_string_value(rq)) : rq ? ju_dump(rq) : NULL;
    char *sh = json_is_string(rs) ? xstrdup(json_string_value(rs)) : rs ? ju_dump(rs) : NULL;
    json_t *dur = json_object_get(entry, "duration");
    char *d = dur ? ju_dump(dur) : NULL;
    sq_text(s, 11, rh ? rh : "{}");
    json_t *code = json_object_get(entry, "response_code");
    if (json_is_integer(code))
        sqlite3_bind_int64(s, 12, json_integer_value(code));
    else
        sqlite3_bind_null(s, 12);
    sq_text(s, 13, sh ? sh : "{}");
    sq_text(s, 14, text_of(entry, "request_time"));
    sq_text(s, 15, text_of(entry, "response_time"));
    sq_text(s, 16, d);
    sq_text(s, 17, bodies[0].key);
    sq_text(s, 18, bodies[1].key);
    sq_text(s, 19, spooled ? "spooled" : bodies[0].key || bodies[1].key ? "stored" : "none");
    for (int i = 0; i < 2; i++)
        if (spool[i])
            sqlite3_bind_int64(s, 20 + i, spool[i]);
        else
            sqlite3_bind_null(s, 20 + i);
    int rc = sq_done(s);
    free(rh);
    free(sh);
    free(d);
    return rc == STORE_OK ? STORE_OK : STORE_EIO;
}

json_t *sq_read_syslogs(struct store_reader *base_rd, const char *tenant, const char *order_id,
                           const char *correlation_id, const char *event_type, const char *request_type,
                           int code_min, int code_max, long long after, int limit)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT seq, " ENTRY_COLUMNS " FROM system_logs WHERE tenant = ?1 AND order_id = ?2 "
                              "AND (?3 IS NULL OR correlation_id = ?3) AND (?4 IS NULL OR event_type = ?4) "
                              "AND (?5 IS NULL OR request_type = ?5) AND (?6 < 0 OR response_code BETWEEN ?6 AND ?7) "
                              "AND seq > ?8 ORDER BY seq LIMIT ?9";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, order_id);
    sq_text(s, 3, correlation_id);
    sq_text(s, 4, event_type);
    sq_text(s, 5, request_type);
    sqlite3_bind_int(s, 6, code_min);
    sqlite3_bind_int(s, 7, code_max);
    sqlite3_bind_int64(s, 8, after);
    sqlite3_bind_int(s, 9, limit);
    return sq_rows(s);
}

json_t *sq_read_syslog(struct store_reader *base_rd, const char *tenant, const char *identifier)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT " ENTRY_COLUMNS ", tenant, request_body_key, response_body_key, request_spool, "
                              "response_spool FROM system_logs WHERE tenant = ?1 AND identifier = ?2";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, identifier);
    json_t *rows = sq_rows(s);
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row ? row : (rows ? json_null() : NULL);
}

char *sq_read_spooled(struct store_reader *base_rd, int64_t spool_id, const char *key, size_t *len)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT body FROM body_spool WHERE id = ?1 AND key = ?2";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, spool_id);
    sq_text(s, 2, key);
    char *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *len = (size_t)sqlite3_column_bytes(s, 0);
        out = xmalloc(*len + 1);
        memcpy(out, sqlite3_column_blob(s, 0), *len);
        out[*len] = '\0';
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return out;
}

int sq_claim_spooled(struct store_reader *base_rd, int64_t now_ms, int limit, const int64_t *skip, int n_skip,
                         struct store_spooled *out)
{
    struct sq_reader *rd = sq_reader(base_rd);
    /* Ids first (the index gives them in due order), bodies only for the
     * ones taken, so in-flight bodies are not read again. */
    static const char ids_sql[] =
        "SELECT id, attempts FROM body_spool WHERE next_try_at <= ?1 ORDER BY next_try_at LIMIT ?2";
    static const char body_sql[] = "SELECT key, body FROM body_spool WHERE id = ?1";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, ids_sql);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int(s, 2, limit + n_skip);
    int n = 0;
    while (n < limit && sqlite3_step(s) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        bool busy = false;
        for (int i = 0; i < n_skip && !busy; i++)
            busy = skip[i] == id;
        if (busy)
            continue;
        out[n].id = id;
        out[n].attempts = sqlite3_column_int(s, 1);
        n++;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    s = sq_stmt(rd->db, &rd->cache, body_sql);
    int kept = 0;
    for (int i = 0; i < n && s; i++) {
        sqlite3_bind_int64(s, 1, out[i].id);
        if (sqlite3_step(s) == SQLITE_ROW) { /* else gone since (redacted or swept) */
            out[kept].id = out[i].id;
            out[kept].attempts = out[i].attempts;
            out[kept].key = xstrdup((const char *)sqlite3_column_text(s, 0));
            out[kept].len = (size_t)sqlite3_column_bytes(s, 1);
            out[kept].body = xmalloc(out[kept].len + 1);
            memcpy(out[kept].body, sqlite3_column_blob(s, 1), out[kept].len);
            kept++;
        }
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    return kept;
}

json_t *sq_read_body_deletes(struct store_reader *base_rd, int limit)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT key FROM body_deletes ORDER BY rowid LIMIT ?1";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sqlite3_bind_int(s, 1, limit);
    return sq_rows(s);
}

int64_t sq_read_spool_next(struct store_reader *base_rd, int64_t now_ms)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT MIN(next_try_at) FROM body_spool WHERE next_try_at > ?1";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, now_ms);
    int64_t next = -1;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        next = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return next;
}

/* Take a body out of the spool (if it is still there), keeping the spool's
 * size. 1 when it was there, 0 when not, STORE_EIO. */
static int unspool(struct sq_txn *txn, int64_t id)
{
    static const char sql[] = "DELETE FROM body_spool WHERE id = ?1 RETURNING len";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) {
        sq_spool_account(txn, -sqlite3_column_int64(s, 0));
        found = 1;
        rc = sqlite3_step(s);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? found : STORE_EIO;
}

int sq_spool_moved(struct store_txn *base_txn, int64_t spool_id, const char *key)
{
    struct sq_txn *txn = sq_txn(base_txn);
    /* Gone from the spool while it was being uploaded: its entry was redacted
     * or swept meanwhile, so the copy just stored must go too. */
    static const char queue[] = "INSERT OR IGNORE INTO body_deletes (key) VALUES (?1)";
    int rc = unspool(txn, spool_id);
    if (rc != 0)
        return rc < 0 ? STORE_EIO : STORE_OK;
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, queue);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, key);
    txn->job.deletes = true;
    return sq_done(s);
}

int sq_spool_retry(struct store_txn *base_txn, int64_t spool_id, int64_t next_try_at)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "UPDATE body_spool SET attempts = attempts + 1, next_try_at = ?2 WHERE id = ?1";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sqlite3_bind_int64(s, 1, spool_id);
    sqlite3_bind_int64(s, 2, next_try_at);
    return sq_done(s);
}

int sq_body_deleted(struct store_txn *base_txn, const char *key)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "DELETE FROM body_deletes WHERE key = ?1";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, key);
    return sq_done(s);
}

/* One of an entry's bodies leaves: a spooled one is dropped, a stored one
 * queued for deletion from the object store; the store's own ("db:") go
 * with their message. */
static int drop_body(struct sq_txn *txn, const char *key, int64_t spool_id)
{
    static const char queue[] = "INSERT OR IGNORE INTO body_deletes (key) VALUES (?1)";
    if (!key || strncmp(key, "db:", 3) == 0)
        return STORE_OK;
    int rc = spool_id ? unspool(txn, spool_id) : 0;
    if (rc != 0)
        return rc < 0 ? STORE_EIO : STORE_OK;
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, queue);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, key);
    txn->job.deletes = true;
    return sq_done(s);
}

/* Drop the bodies of the entries a query returns (seq, request_body_key,
 * response_body_key, request_spool, response_spool), then apply `then`
 * (taking ?1 = seq) to each. The number of entries, or STORE_EIO. */
static int each_entry(struct sq_txn *txn, sqlite3_stmt *q, const char *then)
{
    json_t *rows = sq_rows(q);
    if (!rows)
        return STORE_EIO;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        rc = drop_body(txn, text_of(r, "request_body_key"), json_integer_value(json_object_get(r, "request_spool")));
        if (rc == STORE_OK)
            rc = drop_body(txn, text_of(r, "response_body_key"),
                           json_integer_value(json_object_get(r, "response_spool")));
        sqlite3_stmt *s = rc == STORE_OK ? sq_stmt(txn->db, &txn->cache, then) : NULL;
        if (!s) {
            rc = STORE_EIO;
            break;
        }
        sqlite3_bind_int64(s, 1, json_integer_value(json_object_get(r, "seq")));
        if ((rc = sq_done(s)) != STORE_OK)
            break;
    }
    int n = (int)json_array_size(rows);
    json_decref(rows);
    return rc == STORE_OK ? n : STORE_EIO;
}

#define BODY_COLUMNS "seq, request_body_key, response_body_key, request_spool, response_spool"

int sq_syslog_sweep(struct store_txn *base_txn, const char *cutoff_iso, int limit)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char old[] = "SELECT " BODY_COLUMNS " FROM system_logs WHERE request_time < ?1 "
                              "ORDER BY request_time LIMIT ?2";
    static const char del[] = "DELETE FROM system_logs WHERE seq = ?1";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, old);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, cutoff_iso);
    sqlite3_bind_int(s, 2, limit);
    return each_entry(txn, s, del);
}

static int order_entries(struct sq_txn *txn, const char *tenant, const char *order_id, const char *then)
{
    static const char entries[] = "SELECT " BODY_COLUMNS " FROM system_logs WHERE tenant = ?1 AND order_id = ?2";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, entries);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, order_id);
    return each_entry(txn, s, then) < 0 ? STORE_EIO : STORE_OK;
}

int sq_syslog_redact(struct store_txn *base_txn, const char *tenant, const char *order_id)
{
    struct sq_txn *txn = sq_txn(base_txn);
    txn->job.scrubbed = true;
    /* Bodies are deleted (from the spool now, from the object store by the
     * uploader); headers and URLs are kept only as far as they carry no
     * personal data: the request URL loses its query string. */
    static const char mark[] =
        "UPDATE system_logs SET bodies = 'redacted', request_body_key = NULL, response_body_key = NULL, "
        "request_spool = NULL, response_spool = NULL, "
        "request_url = CASE WHEN instr(request_url, '?') > 0 THEN substr(request_url, 1, instr(request_url, '?') - 1) "
        "ELSE request_url END WHERE seq = ?1";
    return order_entries(txn, tenant, order_id, mark);
}

int sq_syslog_forget_order(struct store_txn *base_txn, const char *tenant, const char *order_id)
{
    struct sq_txn *txn = sq_txn(base_txn);
    return order_entries(txn, tenant, order_id, "DELETE FROM system_logs WHERE seq = ?1");
}

int sq_syslog_adopt(struct store_txn *base_txn, const char *tenant, const char *identifier, const char *order_id)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "UPDATE system_logs SET order_id = ?3 WHERE identifier = ?2 AND tenant = ?1 AND "
                              "(order_id IS NULL OR order_id = '')";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, identifier);
    sq_text(s, 3, order_id);
    return sq_done(s) == STORE_OK ? STORE_OK : STORE_EIO;
}
