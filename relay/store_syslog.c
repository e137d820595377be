/* store_syslog: the system-log half of the SQLite store: entries, the body
 * spool the uploader drains, the queue of bodies to delete from the object
 * store, retention and redaction. See store.h. */
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "store_sqlite_int.h"
#include "xmalloc.h"

#define ENTRY_COLUMNS                                                                                                  \
    "identifier, order_id, correlation_id, event_type, request_type, source_type, source_id, request_method, "        \
    "request_url, request_headers AS request_headers_json, response_code, response_headers AS response_headers_json, " \
    "request_time, response_time, duration AS duration_json, bodies"

json_t *store_read_syslogs(struct store_reader *rd, const char *tenant, const char *order_id,
                           const char *correlation_id, const char *event_type, const char *request_type,
                           int code_min, int code_max, long long after, int limit)
{
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

json_t *store_read_syslog(struct store_reader *rd, const char *tenant, const char *identifier)
{
    static const char sql[] = "SELECT " ENTRY_COLUMNS ", tenant, request_body_key, response_body_key "
                              "FROM system_logs WHERE tenant = ?1 AND identifier = ?2";
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

char *store_read_spooled(struct store_reader *rd, const char *key, size_t *len)
{
    static const char sql[] = "SELECT body FROM body_spool WHERE key = ?1";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, key);
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

int store_read_spool_due(struct store_reader *rd, int64_t now_ms, int limit, struct store_spooled *out)
{
    static const char sql[] = "SELECT key, body, attempts FROM body_spool WHERE next_try_at <= ?1 ORDER BY rowid LIMIT ?2";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int(s, 2, limit);
    int n = 0;
    while (n < limit && sqlite3_step(s) == SQLITE_ROW) {
        out[n].key = xstrdup((const char *)sqlite3_column_text(s, 0));
        out[n].len = (size_t)sqlite3_column_bytes(s, 1);
        out[n].body = xmalloc(out[n].len + 1);
        memcpy(out[n].body, sqlite3_column_blob(s, 1), out[n].len);
        out[n].attempts = sqlite3_column_int(s, 2);
        n++;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return n;
}

json_t *store_read_body_deletes(struct store_reader *rd, int limit)
{
    static const char sql[] = "SELECT key FROM body_deletes ORDER BY rowid LIMIT ?1";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sqlite3_bind_int(s, 1, limit);
    return sq_rows(s);
}

long long store_read_spool_bytes(struct store_reader *rd)
{
    static const char sql[] = "SELECT COALESCE(SUM(length(body)), 0) FROM body_spool";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    long long n = -1;
    if (s && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    if (s)
        sqlite3_reset(s);
    return n;
}

static int run(struct store_txn *txn, const char *sql, const char *text, int64_t n)
{
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    if (text)
        sq_text(s, 1, text);
    if (sqlite3_bind_parameter_count(s) >= 2)
        sqlite3_bind_int64(s, 2, n);
    return sq_done(s);
}

int store_spool_moved(struct store_txn *txn, const char *key)
{
    static const char del[] = "DELETE FROM body_spool WHERE key = ?1";
    static const char mark[] =
        "UPDATE system_logs SET bodies = 'stored' WHERE (request_body_key = ?1 OR response_body_key = ?1) "
        "AND bodies = 'spooled' AND NOT EXISTS (SELECT 1 FROM body_spool b WHERE b.key IN "
        "(system_logs.request_body_key, system_logs.response_body_key))";
    int rc = run(txn, del, key, 0);
    return rc == STORE_OK ? run(txn, mark, key, 0) : rc;
}

int store_spool_retry(struct store_txn *txn, const char *key, int64_t next_try_at)
{
    static const char sql[] = "UPDATE body_spool SET attempts = attempts + 1, next_try_at = ?2 WHERE key = ?1";
    return run(txn, sql, key, next_try_at);
}

int store_body_deleted(struct store_txn *txn, const char *key)
{
    static const char sql[] = "DELETE FROM body_deletes WHERE key = ?1";
    return run(txn, sql, key, 0);
}

/* The bodies of the entries selected by `where` (a condition on system_logs
 * with ?1 and ?2) leave: spooled ones are dropped, stored ones queued for
 * deletion from the object store. */
static int drop_bodies(struct store_txn *txn, const char *queue_sql, const char *spool_sql, const char *a, int64_t b)
{
    int rc = run(txn, queue_sql, a, b);
    return rc == STORE_OK ? run(txn, spool_sql, a, b) : rc;
}

int store_syslog_sweep(struct store_txn *txn, const char *cutoff_iso)
{
    static const char queue[] =
        "INSERT OR IGNORE INTO body_deletes (key) SELECT k FROM (SELECT request_body_key AS k FROM system_logs "
        "WHERE request_time < ?1 UNION SELECT response_body_key FROM system_logs WHERE request_time < ?1) "
        "WHERE k IS NOT NULL AND k NOT IN (SELECT key FROM body_spool)";
    static const char spool[] = "DELETE FROM body_spool WHERE key IN (SELECT request_body_key FROM system_logs WHERE "
                                "request_time < ?1 UNION SELECT response_body_key FROM system_logs WHERE request_time < ?1)";
    static const char del[] = "DELETE FROM system_logs WHERE request_time < ?1";
    int rc = drop_bodies(txn, queue, spool, cutoff_iso, 0);
    if (rc == STORE_OK)
        rc = run(txn, del, cutoff_iso, 0);
    return rc == STORE_OK ? sqlite3_changes(txn->db) : STORE_EIO;
}

int store_syslog_redact(struct store_txn *txn, const char *tenant, const char *order_id)
{
    /* Bodies are deleted (from the spool now, from the object store by the
     * uploader); headers and URLs are kept only as far as they carry no
     * personal data: the request URL loses its query string. */
    static const char queue[] =
        "INSERT OR IGNORE INTO body_deletes (key) SELECT k FROM (SELECT request_body_key AS k FROM system_logs "
        "WHERE tenant = ?1 AND order_id = ?2 UNION SELECT response_body_key FROM system_logs "
        "WHERE tenant = ?1 AND order_id = ?2) WHERE k IS NOT NULL AND k NOT IN (SELECT key FROM body_spool)";
    static const char spool[] =
        "DELETE FROM body_spool WHERE key IN (SELECT request_body_key FROM system_logs WHERE tenant = ?1 AND "
        "order_id = ?2 UNION SELECT response_body_key FROM system_logs WHERE tenant = ?1 AND order_id = ?2)";
    static const char mark[] =
        "UPDATE system_logs SET bodies = 'redacted', request_body_key = NULL, response_body_key = NULL, "
        "request_url = CASE WHEN instr(request_url, '?') > 0 THEN substr(request_url, 1, instr(request_url, '?') - 1) "
        "ELSE request_url END WHERE tenant = ?1 AND order_id = ?2";
    const char *sqls[] = {queue, spool, mark};
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sqls[i]);
        if (!s)
            return STORE_EIO;
        sq_text(s, 1, tenant);
        sq_text(s, 2, order_id);
        if (sq_done(s) != STORE_OK)
            return STORE_EIO;
    }
    return STORE_OK;
}
