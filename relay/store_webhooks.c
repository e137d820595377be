/* store_webhooks: the outbound-webhook half of the SQLite store: endpoints,
 * the outbox (webhook_messages), and delivery attempts. See store.h.
 *
 * A message is `pending` until it is `delivered`, `dead` (every attempt of
 * the schedule failed) or `cancelled` (its endpoint was deleted); nothing
 * else removes it. A message of a disabled endpoint is `held` instead of
 * pending: queued when the endpoint is disabled, or moved there when the
 * endpoint gets disabled, and back to pending only by an explicit release
 * (recover, re-enable with release_held, retry once enabled). So a pending
 * message always belongs to an enabled endpoint. In-flight deliveries are
 * not marked here: a crash leaves them pending, so they are sent again
 * under the same id (at least once). */
#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "store_sqlite_int.h"
#include "xmalloc.h"

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%fZ', " col " / 1000.0, 'unixepoch')"

/* ---- inside jobs ---- */

int sq_outbox_add(struct store_txn *base_txn, const char *tenant, const struct store_outbox_event *ev, int64_t now_ms)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] =
        "INSERT INTO webhook_messages (id, tenant, endpoint_id, event_id, event_type, trigger, order_id, "
        "status, attempts, next_attempt_at, created_at, updated_at, correlation_id) "
        "SELECT printf('msg_%012x', ?7) || lower(hex(randomblob(6))), ?1, e.id, ?2, ?3, ?4, ?5, "
        "CASE WHEN e.enabled = 1 THEN 'pending' ELSE 'held' END, 0, ?7, ?7, ?7, ?8 "
        "FROM webhook_endpoints e WHERE e.tenant = ?1 AND (e.event_types = '[]' OR EXISTS "
        "(SELECT 1 FROM json_each(e.event_types) j WHERE j.value = ?3 OR j.value = ?4)) ORDER BY e.created_at";
    /* the messages just made have the seqs up to the last one inserted (one writer: no gaps) */
    static const char payloads[] =
        "INSERT INTO webhook_payloads (seq, payload) SELECT m.seq, "
        "CASE e.payload_format WHEN 'carriyo' THEN ?2 ELSE ?1 END FROM webhook_messages m "
        "JOIN webhook_endpoints e ON e.id = m.endpoint_id WHERE m.seq BETWEEN ?3 AND ?4";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, ev->event_id);
    sq_text(s, 3, ev->type);
    sq_text(s, 4, ev->trigger);
    sq_text(s, 5, ev->order_id);
    sqlite3_bind_int64(s, 7, now_ms);
    sq_text(s, 8, ev->correlation_id);
    int rc = sq_done(s);
    int n = rc == STORE_OK ? sqlite3_changes(txn->db) : 0;
    if (n == 0)
        return rc;
    sqlite3_int64 last = sqlite3_last_insert_rowid(txn->db);
    s = sq_stmt(txn->db, &txn->cache, payloads);
    if (!s)
        return STORE_EIO;
    sqlite3_bind_text(s, 1, ev->payload, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ev->carriyo_payload ? ev->carriyo_payload : ev->payload, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, last - n + 1);
    sqlite3_bind_int64(s, 4, last);
    rc = sq_done(s);
    if (rc == STORE_OK && sqlite3_changes(txn->db) != n)
        rc = STORE_EIO;
    if (rc == STORE_OK)
        txn->job.messages += (unsigned)n;
    return rc;
}

#define ENDPOINT_COLUMNS                                                                                               \
    "id, tenant, url, description, event_types AS event_types_json, enabled, disabled_reason, headers AS headers_json, " \
    "rate_limit, max_concurrency, fifo, secret, old_secret, old_secret_until, failing_since, created_at, updated_at, " \
    "payload_format"

int sq_endpoint_count(struct store_txn *base_txn, const char *tenant)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT COUNT(*) FROM webhook_endpoints WHERE tenant = ?1";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : STORE_EIO;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return n;
}

json_t *sq_endpoint_get(struct store_txn *base_txn, const char *tenant, const char *id)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE tenant = ?1 AND id = ?2";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, id);
    json_t *rows = sq_rows(s);
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

int sq_endpoint_put(struct store_txn *base_txn, const json_t *ep)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] =
        "INSERT OR REPLACE INTO webhook_endpoints (id, tenant, url, description, event_types, enabled, "
        "disabled_reason, headers, rate_limit, max_concurrency, fifo, secret, old_secret, old_secret_until, "
        "failing_since, created_at, updated_at, payload_format) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    static const char *text_cols[] = {"id", "tenant", "url", "description"};
    for (int i = 0; i < 4; i++)
        sq_text(s, i + 1, json_string_value(json_object_get(ep, text_cols[i])));
    char *types = ju_dump(json_object_get(ep, "event_types"));
    char *headers = ju_dump(json_object_get(ep, "headers"));
    sq_text(s, 5, types);
    sqlite3_bind_int(s, 6, json_is_true(json_object_get(ep, "enabled")) || json_integer_value(json_object_get(ep, "enabled")));
    sq_text(s, 7, json_string_value(json_object_get(ep, "disabled_reason")));
    sq_text(s, 8, headers);
    sqlite3_bind_int64(s, 9, json_integer_value(json_object_get(ep, "rate_limit")));
    sqlite3_bind_int64(s, 10, json_integer_value(json_object_get(ep, "max_concurrency")));
    sqlite3_bind_int(s, 11, json_is_true(json_object_get(ep, "fifo")) || json_integer_value(json_object_get(ep, "fifo")));
    sq_text(s, 12, json_string_value(json_object_get(ep, "secret")));
    sq_text(s, 13, json_string_value(json_object_get(ep, "old_secret")));
    static const char *int_cols[] = {"old_secret_until", "failing_since", "created_at", "updated_at"};
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(ep, int_cols[i]);
        if (json_is_integer(v))
            sqlite3_bind_int64(s, 14 + i, json_integer_value(v));
        else
            sqlite3_bind_null(s, 14 + i);
    }
    const char *format = json_string_value(json_object_get(ep, "payload_format"));
    sq_text(s, 18, format ? format : "standard");
    int rc = sq_done(s);
    free(types);
    free(headers);
    txn->job.endpoints_changed = true;
    return rc;
}

int sq_endpoint_delete(struct store_txn *base_txn, const char *tenant, const char *id, int64_t now_ms)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char del[] = "DELETE FROM webhook_endpoints WHERE tenant = ?1 AND id = ?2";
    static const char cancel[] = "UPDATE webhook_messages INDEXED BY messages_due_by_endpoint SET status = "
                                 "'cancelled', updated_at = ?3 WHERE tenant = ?1 AND endpoint_id = ?2 AND "
                                 "status IN ('pending', 'held')";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, del);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, id);
    if (sq_done(s) != STORE_OK)
        return STORE_EIO;
    if (sqlite3_changes(txn->db) == 0)
        return 0;
    txn->job.endpoints_changed = true;
    s = sq_stmt(txn->db, &txn->cache, cancel);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, id);
    sqlite3_bind_int64(s, 3, now_ms);
    return sq_done(s) == STORE_OK ? 1 : STORE_EIO;
}

int sq_message_requeue(struct store_txn *base_txn, const char *tenant, const char *message_id,
                          const char *endpoint_id, int64_t since_ms, int64_t now_ms)
{
    struct sq_txn *txn = sq_txn(base_txn);
    /* One message by id, or every failed or held one of an endpoint since a
     * time: dead ones, held ones, and pending ones that have failed at least
     * once. Pending only while the endpoint is enabled; held otherwise. */
    static const char one[] =
        "UPDATE webhook_messages SET status = CASE WHEN EXISTS (SELECT 1 FROM webhook_endpoints e WHERE "
        "e.id = webhook_messages.endpoint_id AND e.enabled = 1) THEN 'pending' ELSE 'held' END, "
        "next_attempt_at = ?3, updated_at = ?3 WHERE tenant = ?1 AND id = ?2 AND status != 'cancelled'";
    static const char many[] =
        "UPDATE webhook_messages INDEXED BY messages_due_by_endpoint SET status = CASE WHEN EXISTS (SELECT 1 "
        "FROM webhook_endpoints e WHERE e.id = ?2 AND e.enabled = 1) THEN 'pending' ELSE 'held' END, "
        "next_attempt_at = ?3, updated_at = ?3 WHERE tenant = ?1 AND endpoint_id = ?2 AND created_at >= ?4 AND "
        "status IN ('dead', 'held', 'pending') AND (status != 'pending' OR attempts > 0)";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, message_id ? one : many);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, message_id ? message_id : endpoint_id);
    sqlite3_bind_int64(s, 3, now_ms);
    if (!message_id)
        sqlite3_bind_int64(s, 4, since_ms);
    if (sq_done(s) != STORE_OK)
        return STORE_EIO;
    int n = sqlite3_changes(txn->db);
    txn->job.messages += (unsigned)n;
    return n;
}

int sq_endpoint_hold(struct store_txn *base_txn, const char *tenant, const char *endpoint_id, bool hold, int64_t now_ms)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char to_held[] = "UPDATE webhook_messages INDEXED BY messages_due_by_endpoint SET status = 'held', "
                                  "updated_at = ?3 WHERE tenant = ?1 AND endpoint_id = ?2 AND status = 'pending'";
    static const char to_pending[] = "UPDATE webhook_messages INDEXED BY messages_due_by_endpoint SET status = "
                                     "'pending', next_attempt_at = ?3, updated_at = ?3 WHERE tenant = ?1 AND "
                                     "endpoint_id = ?2 AND status = 'held'";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, hold ? to_held : to_pending);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, endpoint_id);
    sqlite3_bind_int64(s, 3, now_ms);
    if (sq_done(s) != STORE_OK)
        return STORE_EIO;
    int n = sqlite3_changes(txn->db);
    if (!hold)
        txn->job.messages += (unsigned)n;
    return n;
}

int sq_attempt_record(struct store_txn *base_txn, const json_t *a, const char *status, int64_t next_attempt_at)
{
    struct sq_txn *txn = sq_txn(base_txn);
    /* the response of a message redacted meanwhile (a delivery in flight during a redaction: what it
     * sent, and so what an echoing endpoint answers, may be the old payload) is not kept */
    static const char ins[] =
        "INSERT INTO webhook_attempts (message_id, attempt, at, status_code, error_class, error, dns_ms, connect_ms, "
        "tls_ms, first_byte_ms, total_ms, response_body, response_truncated) "
        "SELECT ?1, attempts + 1, ?2,?3,?4,?5,?6,?7,?8,?9,?10, CASE WHEN redacted = 1 THEN NULL ELSE ?11 END, ?12 "
        "FROM webhook_messages WHERE id = ?1";
    /* A message held while its attempt was in flight stays held unless the
     * attempt settled it (delivered, dead). */
    static const char upd[] =
        "UPDATE webhook_messages SET attempts = attempts + 1, "
        "status = CASE WHEN status = 'held' AND ?2 = 'pending' THEN 'held' ELSE ?2 END, next_attempt_at = ?3, "
        "last_status_code = ?4, last_error = ?5, updated_at = ?6 WHERE id = ?1 AND status IN ('pending', 'held')";
    const char *id = json_string_value(json_object_get(a, "message_id"));
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, ins);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, id);
    sqlite3_bind_int64(s, 2, json_integer_value(json_object_get(a, "at")));
    sqlite3_bind_int(s, 3, (int)json_integer_value(json_object_get(a, "status_code")));
    sq_text(s, 4, json_string_value(json_object_get(a, "error_class")));
    sq_text(s, 5, json_string_value(json_object_get(a, "error")));
    static const char *ms[] = {"dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "total_ms"};
    for (int i = 0; i < 5; i++)
        sqlite3_bind_double(s, 6 + i, json_number_value(json_object_get(a, ms[i])));
    sq_text(s, 11, json_string_value(json_object_get(a, "response_body")));
    sqlite3_bind_int(s, 12, json_is_true(json_object_get(a, "response_truncated")));
    if (sq_done(s) != STORE_OK)
        return STORE_EIO;
    s = sq_stmt(txn->db, &txn->cache, upd);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, id);
    sq_text(s, 2, status);
    sqlite3_bind_int64(s, 3, next_attempt_at);
    sqlite3_bind_int(s, 4, (int)json_integer_value(json_object_get(a, "status_code")));
    sq_text(s, 5, json_string_value(json_object_get(a, "error_class")));
    sqlite3_bind_int64(s, 6, json_integer_value(json_object_get(a, "at")));
    return sq_done(s);
}

int sq_endpoint_health(struct store_txn *base_txn, const char *endpoint_id, int outcome, int64_t now_ms,
                          int64_t disable_after_ms)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char ok[] = "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1";
    static const char failing[] =
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?2), updated_at = ?2 WHERE id = ?1";
    static const char too_long[] =
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'failing for too long', updated_at = ?2 "
        "WHERE id = ?1 AND enabled = 1 AND ?2 - failing_since >= ?3";
    static const char gone[] = "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'the endpoint answered 410 Gone', "
                               "updated_at = ?2 WHERE id = ?1 AND enabled = 1";
    static const char hold[] = "UPDATE webhook_messages SET status = 'held', updated_at = ?2 "
                               "WHERE endpoint_id = ?1 AND status = 'pending'";
    const char *steps[2] = {outcome > 0 ? ok : outcome == 0 ? failing : gone, outcome == 0 ? too_long : NULL};
    int disabled = 0;
    for (int i = 0; i < 2 && steps[i]; i++) {
        sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, steps[i]);
        if (!s)
            return STORE_EIO;
        sq_text(s, 1, endpoint_id);
        if (outcome <= 0)
            sqlite3_bind_int64(s, 2, now_ms);
        if (steps[i] == too_long)
            sqlite3_bind_int64(s, 3, disable_after_ms);
        if (sq_done(s) != STORE_OK)
            return STORE_EIO;
        if (steps[i] == too_long || steps[i] == gone)
            disabled |= sqlite3_changes(txn->db) > 0;
    }
    if (!disabled)
        return STORE_OK;
    /* Disabled: what was waiting for it is held, not stuck pending. */
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, hold);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, endpoint_id);
    sqlite3_bind_int64(s, 2, now_ms);
    if (sq_done(s) != STORE_OK)
        return STORE_EIO;
    txn->job.endpoints_changed = true;
    return 1;
}

/* ---- reads ---- */

json_t *sq_read_endpoints(struct store_reader *base_rd, const char *tenant, const char *id)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql_one[] = "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE tenant = ?1 AND id = ?2";
    static const char sql_all[] =
        "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE tenant = ?1 ORDER BY created_at, id";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, id ? sql_one : sql_all);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    if (id)
        sq_text(s, 2, id);
    return sq_rows(s);
}

#define MESSAGE_COLUMNS                                                                                                \
    "seq, id, endpoint_id, event_id, event_type, trigger, order_id, correlation_id, status, attempts, "                               \
    "" ISO("next_attempt_at") " AS next_attempt_at, last_status_code, last_error, " ISO("created_at") " AS created_at"

/* The messages that wait (pending, held, dead) are found through a status
 * index in seq order, so a page of them (the console's dead letters) costs
 * the page, never the backlog or the tenant's delivered history; other
 * listings walk the tenant's messages in seq order. */
json_t *sq_read_messages(struct store_reader *base_rd, const char *tenant, const char *endpoint_id,
                            const char *event_type, const char *status, int64_t after_seq, int limit)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT " MESSAGE_COLUMNS " FROM webhook_messages WHERE tenant = ?1 "
                              "AND (?2 IS NULL OR endpoint_id = ?2) AND (?3 IS NULL OR event_type = ?3) "
                              "AND (?4 IS NULL OR status = ?4) AND seq > ?5 ORDER BY seq LIMIT ?6";
    static const char waiting[] = "SELECT " MESSAGE_COLUMNS " FROM webhook_messages INDEXED BY messages_by_status_tenant "
                                  "WHERE status = ?4 AND tenant = ?1 AND (?2 IS NULL OR endpoint_id = ?2) "
                                  "AND (?3 IS NULL OR event_type = ?3) AND seq > ?5 ORDER BY seq LIMIT ?6";
    static const char waiting_at[] = "SELECT " MESSAGE_COLUMNS " FROM webhook_messages INDEXED BY "
                                     "messages_due_by_endpoint WHERE endpoint_id = ?2 AND status = ?4 AND tenant = ?1 "
                                     "AND (?3 IS NULL OR event_type = ?3) AND seq > ?5 ORDER BY seq LIMIT ?6";
    bool waits = status && (!strcmp(status, "pending") || !strcmp(status, "held") || !strcmp(status, "dead"));
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, !waits ? sql : endpoint_id ? waiting_at : waiting);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, endpoint_id);
    sq_text(s, 3, event_type);
    sq_text(s, 4, status);
    sqlite3_bind_int64(s, 5, after_seq);
    sqlite3_bind_int(s, 6, limit);
    return sq_rows(s);
}

json_t *sq_read_message(struct store_reader *base_rd, const char *tenant, const char *id)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] =
        "SELECT " MESSAGE_COLUMNS ", (SELECT p.payload FROM webhook_payloads p WHERE p.seq = webhook_messages.seq) "
        "AS payload_json FROM webhook_messages WHERE tenant = ?1 AND id = ?2";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, id);
    return sq_rows(s);
}

json_t *sq_read_attempts(struct store_reader *base_rd, const char *tenant, const char *message_id)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] =
        "SELECT a.attempt, " ISO("a.at") " AS at, a.status_code, a.error_class, a.error, a.dns_ms, a.connect_ms, "
        "a.tls_ms, a.first_byte_ms, a.total_ms, a.response_body, a.response_truncated "
        "FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id "
        "WHERE m.tenant = ?1 AND a.message_id = ?2 ORDER BY a.attempt";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, message_id);
    return sq_rows(s);
}

json_t *sq_read_sending_endpoints(struct store_reader *base_rd)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] = "SELECT id, max_concurrency, rate_limit FROM webhook_endpoints WHERE enabled = 1 "
                              "ORDER BY id";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    return s ? sq_rows(s) : NULL;
}

json_t *sq_claim_due(struct store_reader *base_rd, const char *endpoint_id, int64_t now_ms, int limit,
                     const char *const *skip, int n_skip, int64_t *wait_ms)
{
    struct sq_reader *rd = sq_reader(base_rd);
    /* Due and pending, and (for FIFO endpoints) with no older pending message
     * of the same order to the same endpoint. One node: what the dispatcher
     * holds (skip, a JSON array of ids) is its claim; the query reads past
     * it, so only the rows returned are built. The held ids become their seqs
     * once, up front: seq is in the due index, so a held row is passed over
     * in the index alone, without reading its row (issue 9: reading the rows
     * of hundreds of held messages on every claim was most of the
     * dispatcher's time). */
    static const char sql[] =
        "SELECT m.id, m.seq, m.endpoint_id, m.event_id, m.event_type, m.trigger, m.order_id, p.payload, m.attempts, "
        "m.tenant, m.correlation_id, e.url, e.secret, e.old_secret, e.old_secret_until, e.headers AS headers_json, "
        "e.rate_limit, e.max_concurrency FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id "
        "JOIN webhook_payloads p ON p.seq = m.seq "
        "WHERE m.endpoint_id = ?1 AND m.status = 'pending' AND m.next_attempt_at <= ?2 AND e.enabled = 1 AND "
        "m.seq NOT IN (SELECT h.seq FROM webhook_messages h WHERE h.id IN (SELECT value FROM json_each(?4))) AND "
        "(e.fifo = 0 OR m.order_id IS NULL OR NOT EXISTS (SELECT 1 FROM webhook_messages o WHERE "
        "o.endpoint_id = m.endpoint_id AND o.order_id = m.order_id AND o.seq < m.seq AND o.status = 'pending')) "
        "ORDER BY m.next_attempt_at, m.seq LIMIT ?3";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    json_t *held = json_array();
    for (int k = 0; k < n_skip; k++)
        json_array_append_new(held, json_string(skip[k]));
    char *held_json = json_dumps(held, JSON_COMPACT);
    json_decref(held);
    sq_text(s, 1, endpoint_id);
    sqlite3_bind_int64(s, 2, now_ms);
    sqlite3_bind_int(s, 3, limit);
    sqlite3_bind_text(s, 4, held_json, -1, free);
    *wait_ms = -1;
    return sq_rows(s);
}

int64_t sq_read_next_due(struct store_reader *base_rd, int64_t now_ms)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] =
        "SELECT MIN(next_attempt_at) FROM webhook_messages WHERE status = 'pending' AND next_attempt_at > ?1";
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

char *sq_read_body_ref(struct store_reader *base_rd, const char *tenant, const char *message_id, long long attempt,
                        size_t *len)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char payload[] = "SELECT p.payload FROM webhook_messages m JOIN webhook_payloads p ON p.seq = m.seq "
                                  "WHERE m.tenant = ?1 AND m.id = ?2";
    static const char response[] = "SELECT a.response_body FROM webhook_attempts a JOIN webhook_messages m ON "
                                   "m.id = a.message_id WHERE m.tenant = ?1 AND a.message_id = ?2 AND a.attempt = ?3";
    const char *sql = attempt ? response : payload;
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, message_id);
    if (attempt)
        sqlite3_bind_int64(s, 3, attempt);
    char *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        *len = (size_t)sqlite3_column_bytes(s, 0);
        out = xmalloc(*len + 1);
        memcpy(out, sqlite3_column_text(s, 0), *len);
        out[*len] = '\0';
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return out;
}

/* ---- order operations (kept here with the other cache-using SQL) ---- */

json_t *sq_orders_by_customer(struct store_txn *base_txn, const char *tenant, const char *customer_key)
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sql[] = "SELECT doc AS doc_json FROM orders INDEXED BY orders_list_by_customer WHERE tenant = ?1 "
                              "AND customer_key = ?2 ORDER BY order_id";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return NULL;
    sq_text(s, 1, tenant);
    sq_text(s, 2, customer_key);
    json_t *rows = sq_rows(s);
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

json_t *sq_read_message_counts(struct store_reader *base_rd)
{
    struct sq_reader *rd = sq_reader(base_rd);
    /* The states that wait (bounded by the backlog, each counted through
     * the status index), not the history of delivered messages. */
    static const char sql[] = "SELECT COUNT(*) FROM webhook_messages WHERE status = ?1";
    static const char *states[] = {"pending", "held", "dead"};
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    if (!s)
        return NULL;
    json_t *out = json_array();
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        sq_text(s, 1, states[i]);
        long long n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (n < 0) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_pack("{s:s,s:I}", "status", states[i], "n", (json_int_t)n));
    }
    return out;
}
