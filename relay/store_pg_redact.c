/* store_pg_redact: redaction on PostgreSQL (store.h; store_redact.c is the
 * SQLite side): an order's change-log values and outbox payloads rewritten
 * through the caller's scrub (redact.h), its messages marked so no later
 * attempt keeps a response body, the bodies their attempts kept dropped.
 * Every statement is served by the order's index (change_logs_by_order,
 * messages_by_order, attempts_by_message).
 *
 * A fleet writes beside the redaction: what it reads must include what
 * other nodes are committing. Order writes wait on the order's row lock,
 * which the redaction's order read holds. A return request's events write
 * under the order without that lock, so the redaction first locks the
 * order's return requests (waiting for those jobs to commit; those after
 * it wait for it). A delivery's attempt locks its message before it
 * records the response (store_pg_webhooks.c), and the redaction locks the
 * order's messages before it reads them: either the attempt committed
 * first and its body is dropped here, or it comes after and sees the
 * message redacted.
 *
 * Each call notes that the job scrubbed something (pg_effects.scrubbed):
 * after such a commit the writer waits for older snapshots and VACUUMs the
 * tables that held the data (store_pg.c, vacuum_scrubbed), so the row
 * versions the rewrites left behind are pruned (see the README for what
 * that does and does not guarantee). */
#include "store_pg_int.h"

#include <stdlib.h>

#include "jsonutil.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Lock the return requests linked to the order or naming its reference
 * (order_id may be a request's own id: then there are none). */
static int lock_returns(struct pg_txn *t, const char *tenant, const char *order_id)
{
    static const char sql[] =
        "SELECT 1 FROM return_requests WHERE tenant = $1 AND (order_id = $2 OR partner_order_reference = "
        "(SELECT partner_order_reference FROM orders WHERE tenant = $1 AND order_id = $2)) FOR UPDATE";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    PGresult *r = pgt_run(t, sql, &a);
    PQclear(r);
    return r ? STORE_OK : STORE_EIO;
}

int pg_changelog_redact(struct store_txn *txn, const char *tenant, const char *order_id,
                        json_t *(*scrub)(const char *field, const json_t *value))
{
    static const char sel[] = "SELECT id, field, old_value AS old_value_json, new_value AS new_value_json "
                              "FROM change_logs WHERE tenant = $1 AND order_id = $2";
    static const char upd[] = "UPDATE change_logs SET old_value = $2, new_value = $3 WHERE id = $1";
    struct pg_txn *t = pg_txn(txn);
    if (lock_returns(t, tenant, order_id) != STORE_OK)
        return STORE_EIO;
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    json_t *rows = pgt_rows(t, sel, &a);
    if (!rows)
        return STORE_EIO;
    t->job.scrubbed = true;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *field = str(r, "field");
        json_t *was[2] = {json_object_get(r, "old_value"), json_object_get(r, "new_value")};
        json_t *now[2] = {scrub(field, was[0]), scrub(field, was[1])};
        if (now[0] || now[1]) {
            char *text[2];
            pa_int(&a, json_integer_value(json_object_get(r, "id")));
            for (int k = 0; k < 2; k++) {
                json_t *v = now[k] ? now[k] : was[k];
                text[k] = v && !json_is_null(v) ? ju_dump(v) : NULL;
                pa_text(&a, text[k]);
            }
            PGresult *res = pgt_run(t, upd, &a);
            rc = res ? STORE_OK : STORE_EIO;
            PQclear(res);
            free(text[0]);
            free(text[1]);
        }
        json_decref(now[0]);
        json_decref(now[1]);
        if (rc != STORE_OK)
            break;
    }
    json_decref(rows);
    return rc;
}

int pg_outbox_redact(struct store_txn *txn, const char *tenant, const char *order_id, bool (*scrub)(json_t *payload))
{
    /* locked first: a delivery recording its attempt now commits before we read on */
    static const char sel[] = "SELECT seq, id, payload FROM webhook_messages WHERE tenant = $1 AND order_id = $2 "
                              "FOR UPDATE";
    static const char upd[] = "UPDATE webhook_messages SET payload = $2 WHERE seq = $1";
    /* from now on an attempt keeps no response body (one in flight now included: it is recorded later) */
    static const char mark[] = "UPDATE webhook_messages SET redacted = 1 WHERE tenant = $1 AND order_id = $2 AND "
                               "redacted = 0";
    static const char drop[] = "UPDATE webhook_attempts SET response_body = NULL WHERE message_id = $1 AND "
                               "response_body IS NOT NULL";
    struct pg_txn *t = pg_txn(txn);
    if (lock_returns(t, tenant, order_id) != STORE_OK)
        return STORE_EIO;
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    json_t *rows = pgt_rows(t, sel, &a);
    if (!rows)
        return STORE_EIO;
    t->job.scrubbed = true;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *payload = json_loads(str(r, "payload"), 0, NULL);
        if (payload && scrub(payload)) {
            char *text = ju_dump(payload);
            pa_int(&a, json_integer_value(json_object_get(r, "seq")));
            pa_text(&a, text);
            PGresult *res = pgt_run(t, upd, &a);
            rc = res ? STORE_OK : STORE_EIO;
            PQclear(res);
            free(text);
        }
        json_decref(payload);
        if (rc == STORE_OK) {
            pa_text(&a, str(r, "id"));
            PGresult *res = pgt_run(t, drop, &a);
            rc = res ? STORE_OK : STORE_EIO;
            PQclear(res);
        }
        if (rc != STORE_OK)
            break;
    }
    json_decref(rows);
    if (rc != STORE_OK)
        return rc;
    pa_text(&a, tenant);
    pa_text(&a, order_id);
    PGresult *res = pgt_run(t, mark, &a);
    PQclear(res);
    return res ? STORE_OK : STORE_EIO;
}
