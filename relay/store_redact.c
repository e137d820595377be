/* store_redact: the redaction side of the SQLite store (store.h): an
 * order's change-log values and outbox payloads rewritten through the
 * caller's scrub (redact.h), its messages marked so no later attempt keeps
 * a response body, the bodies their attempts kept dropped. Every statement
 * is served by the order's index (change_logs_by_order, messages_by_order,
 * attempts_by_message). Each call notes that the job scrubbed something
 * (txn_effects.scrubbed): after such a commit the writer checkpoints the
 * WAL and truncates it (store_sqlite.c), and secure_delete, on from the
 * start, has overwritten what the rewrites freed, so no copy is left in
 * the database files. */
#include <stdlib.h>

#include "jsonutil.h"
#include "store_sqlite_int.h"

int sq_changelog_redact(struct store_txn *base_txn, const char *tenant, const char *order_id,
                           json_t *(*scrub)(const char *field, const json_t *value))
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sel[] = "SELECT id, field, old_value AS old_value_json, new_value AS new_value_json "
                              "FROM change_logs WHERE tenant = ?1 AND order_id = ?2";
    static const char upd[] = "UPDATE change_logs SET old_value = ?2, new_value = ?3 WHERE id = ?1";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sel);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, order_id);
    json_t *rows = sq_rows(s);
    if (!rows)
        return STORE_EIO;
    txn->job.scrubbed = true;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *field = json_string_value(json_object_get(r, "field"));
        json_t *was[2] = {json_object_get(r, "old_value"), json_object_get(r, "new_value")};
        json_t *now[2] = {scrub(field, was[0]), scrub(field, was[1])};
        if (now[0] || now[1]) {
            sqlite3_stmt *u = sq_stmt(txn->db, &txn->cache, upd);
            if (!u) {
                rc = STORE_EIO;
            } else {
                sqlite3_bind_int64(u, 1, json_integer_value(json_object_get(r, "id")));
                for (int k = 0; k < 2; k++) {
                    json_t *v = now[k] ? now[k] : was[k];
                    char *text = v && !json_is_null(v) ? ju_dump(v) : NULL;
                    sq_text(u, 2 + k, text);
                    free(text);
                }
                rc = sq_done(u);
            }
        }
        json_decref(now[0]);
        json_decref(now[1]);
        if (rc != STORE_OK)
            break;
    }
    json_decref(rows);
    return rc;
}

int sq_outbox_redact(struct store_txn *base_txn, const char *tenant, const char *order_id, bool (*scrub)(json_t *payload))
{
    struct sq_txn *txn = sq_txn(base_txn);
    static const char sel[] = "SELECT m.seq, m.id, p.payload FROM webhook_messages m INDEXED BY messages_by_order "
                              "JOIN webhook_payloads p ON p.seq = m.seq WHERE m.tenant = ?1 AND m.order_id = ?2";
    static const char upd[] = "UPDATE webhook_payloads SET payload = ?2 WHERE seq = ?1";
    /* from now on an attempt keeps no response body (one in flight now included: it is recorded later) */
    static const char mark[] = "UPDATE webhook_messages INDEXED BY messages_by_order SET redacted = 1 "
                               "WHERE tenant = ?1 AND order_id = ?2 AND redacted = 0";
    static const char drop[] = "UPDATE webhook_attempts SET response_body = NULL WHERE message_id = ?1 AND "
                               "response_body IS NOT NULL";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sel);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, tenant);
    sq_text(s, 2, order_id);
    json_t *rows = sq_rows(s);
    if (!rows)
        return STORE_EIO;
    txn->job.scrubbed = true;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *payload = json_loads(json_string_value(json_object_get(r, "payload")), 0, NULL);
        if (payload && scrub(payload)) {
            char *text = ju_dump(payload);
            sqlite3_stmt *u = sq_stmt(txn->db, &txn->cache, upd);
            if (u) {
                sqlite3_bind_int64(u, 1, json_integer_value(json_object_get(r, "seq")));
                sq_text(u, 2, text);
                rc = sq_done(u);
            } else
                rc = STORE_EIO;
            free(text);
        }
        json_decref(payload);
        sqlite3_stmt *d = rc == STORE_OK ? sq_stmt(txn->db, &txn->cache, drop) : NULL;
        if (d) {
            sq_text(d, 1, json_string_value(json_object_get(r, "id")));
            rc = sq_done(d);
        } else
            rc = STORE_EIO;
        if (rc != STORE_OK)
            break;
    }
    json_decref(rows);
    sqlite3_stmt *m = rc == STORE_OK ? sq_stmt(txn->db, &txn->cache, mark) : NULL;
    if (!m)
        return STORE_EIO;
    sq_text(m, 1, tenant);
    sq_text(m, 2, order_id);
    return sq_done(m);
}

