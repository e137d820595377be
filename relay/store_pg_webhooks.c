/* store_pg_webhooks: the outbound-webhook half of the PostgreSQL store:
 * endpoints, the outbox, attempts, and the claims that let any node send
 * any due message. See store.h and store_webhooks.c (SQLite) for the
 * message states; they are the same here.
 *
 * Claims (store_claim_due) run shiprelay_claim (store_pg_migrations.c) in
 * one round trip: it locks the endpoint's rate bucket row (claims for one
 * endpoint take turns across the fleet), counts the endpoint's live leases
 * against max_concurrency, takes tokens from the fleet's bucket, and marks
 * the messages it picks (FOR UPDATE SKIP LOCKED) with this node and a
 * lease. A claim moves next_attempt_at to the lease's end, so a message
 * whose node died is simply due again then (same id: same webhook-id), and
 * the retry timers of the other nodes (store_read_next_due) wake for it.
 * Recording the attempt ends the claim. Whatever makes a message due again
 * by hand (requeue, release) leaves one with a live lease alone: it is in
 * flight, and its attempt's record decides what comes next. */
#include "store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "xmalloc.h"

/* ms since the epoch as ISO 8601 UTC with milliseconds (exact: no floating point) */
#define ISO(col) "to_char(timestamp 'epoch' + " col " * interval '1 millisecond', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Changed rows of a write, or -1. */
static int changed(PGresult *r)
{
    return r ? atoi(PQcmdTuples(r)) : -1;
}

/* ---- inside jobs ---- */

int pg_outbox_add(struct store_txn *txn, const char *tenant, const struct store_outbox_event *ev, int64_t now_ms)
{
    static const char sql[] =
        "INSERT INTO webhook_messages (id, tenant, endpoint_id, event_id, event_type, trigger, order_id, payload, "
        "status, attempts, next_attempt_at, created_at, updated_at, correlation_id) "
        "SELECT 'msg_' || lpad(to_hex($7::bigint), 12, '0') || substr(replace(gen_random_uuid()::text, '-', ''), 1, 12), "
        "$1, e.id, $2, $3, $4, $5, CASE e.payload_format WHEN 'carriyo' THEN $9::text ELSE $6::text END, "
        "CASE WHEN e.enabled = 1 THEN 'pending' ELSE 'held' END, 0, $7, $7, $7, $8 "
        "FROM webhook_endpoints e WHERE e.tenant = $1 AND (e.event_types = '[]' OR "
        "e.event_types::jsonb ?| ARRAY[$3::text, $4::text]) ORDER BY e.created_at";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, ev->event_id);
    pa_text(&a, ev->type);
    pa_text(&a, ev->trigger);
    pa_text(&a, ev->order_id);
    pa_text(&a, ev->payload);
    pa_int(&a, now_ms);
    pa_text(&a, ev->correlation_id);
    pa_text(&a, ev->carriyo_payload ? ev->carriyo_payload : ev->payload);
    PGresult *r = pgt_run(t, sql, &a);
    int n = changed(r);
    PQclear(r);
    if (n < 0)
        return STORE_EIO;
    t->job.messages += (unsigned)n;
    return STORE_OK;
}

#define ENDPOINT_COLUMNS                                                                                               \
    "id, tenant, url, description, event_types AS event_types_json, enabled, disabled_reason, headers AS headers_json, " \
    "rate_limit, max_concurrency, fifo, secret, old_secret, old_secret_until, failing_since, created_at, updated_at, " \
    "payload_format"

int pg_endpoint_count(struct store_txn *txn, const char *tenant)
{
    /* Asked before a create that must keep the tenant under a limit: two
     * nodes creating at once take turns (a transaction lock per tenant),
     * and the count, a statement after the lock, sees what the other
     * committed. */
    static const char lock[] = "SELECT pg_advisory_xact_lock(hashtextextended('endpoints ' || $1, 0))";
    static const char sql[] = "SELECT count(*) FROM webhook_endpoints WHERE tenant = $1";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    PGresult *r = pgt_run(t, lock, &a);
    PQclear(r);
    if (!r)
        return STORE_EIO;
    pa_text(&a, tenant);
    r = pgt_run(t, sql, &a);
    int n = r && PQntuples(r) == 1 ? (int)pg_int(r, 0, 0, 0) : STORE_EIO;
    PQclear(r);
    return n;
}

json_t *pg_endpoint_get(struct store_txn *txn, const char *tenant, const char *id)
{
    static const char sql[] = "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE tenant = $1 AND id = $2 "
                              "FOR UPDATE";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, id);
    json_t *rows = pgt_rows(pg_txn(txn), sql, &a);
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

int pg_endpoint_put(struct store_txn *txn, const json_t *ep)
{
    static const char sql[] =
        "INSERT INTO webhook_endpoints (id, tenant, url, description, event_types, enabled, disabled_reason, headers, "
        "rate_limit, max_concurrency, fifo, secret, old_secret, old_secret_until, failing_since, created_at, "
        "updated_at, payload_format) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) "
        "ON CONFLICT (id) DO UPDATE SET tenant = EXCLUDED.tenant, url = EXCLUDED.url, "
        "description = EXCLUDED.description, event_types = EXCLUDED.event_types, enabled = EXCLUDED.enabled, "
        "disabled_reason = EXCLUDED.disabled_reason, headers = EXCLUDED.headers, rate_limit = EXCLUDED.rate_limit, "
        "max_concurrency = EXCLUDED.max_concurrency, fifo = EXCLUDED.fifo, secret = EXCLUDED.secret, "
        "old_secret = EXCLUDED.old_secret, old_secret_until = EXCLUDED.old_secret_until, "
        "failing_since = EXCLUDED.failing_since, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, "
        "payload_format = EXCLUDED.payload_format";
    struct pg_txn *t = pg_txn(txn);
    char *types = ju_dump(json_object_get(ep, "event_types"));
    char *headers = ju_dump(json_object_get(ep, "headers"));
    struct pg_args a = {0};
    static const char *text_cols[] = {"id", "tenant", "url", "description"};
    for (int i = 0; i < 4; i++)
        pa_text(&a, str(ep, text_cols[i]));
    pa_text(&a, types);
    pa_int(&a, json_is_true(json_object_get(ep, "enabled")) || json_integer_value(json_object_get(ep, "enabled")));
    pa_text(&a, str(ep, "disabled_reason"));
    pa_text(&a, headers);
    pa_int(&a, json_integer_value(json_object_get(ep, "rate_limit")));
    pa_int(&a, json_integer_value(json_object_get(ep, "max_concurrency")));
    pa_int(&a, json_is_true(json_object_get(ep, "fifo")) || json_integer_value(json_object_get(ep, "fifo")));
    pa_text(&a, str(ep, "secret"));
    pa_text(&a, str(ep, "old_secret"));
    static const char *int_cols[] = {"old_secret_until", "failing_since", "created_at", "updated_at"};
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(ep, int_cols[i]);
        if (json_is_integer(v))
            pa_int(&a, json_integer_value(v));
        else
            pa_text(&a, NULL);
    }
    const char *format = str(ep, "payload_format");
    pa_text(&a, format ? format : "standard");
    PGresult *r = pgt_run(t, sql, &a);
    free(types);
    free(headers);
    PQclear(r);
    t->job.endpoints_changed = true;
    return r ? STORE_OK : STORE_EIO;
}

int pg_endpoint_delete(struct store_txn *txn, const char *tenant, const char *id, int64_t now_ms)
{
    static const char del[] = "DELETE FROM webhook_endpoints WHERE tenant = $1 AND id = $2";
    static const char cancel[] = "UPDATE webhook_messages SET status = 'cancelled', updated_at = $3 "
                                 "WHERE tenant = $1 AND endpoint_id = $2 AND status IN ('pending', 'held')";
    static const char bucket[] = "DELETE FROM endpoint_buckets WHERE endpoint_id = $1";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, id);
    PGresult *r = pgt_run(t, del, &a);
    int n = changed(r);
    PQclear(r);
    if (n <= 0)
        return n < 0 ? STORE_EIO : 0;
    t->job.endpoints_changed = true;
    pa_text(&a, tenant);
    pa_text(&a, id);
    pa_int(&a, now_ms);
    r = pgt_run(t, cancel, &a);
    PQclear(r);
    if (!r)
        return STORE_EIO;
    pa_text(&a, id);
    r = pgt_run(t, bucket, &a);
    PQclear(r);
    return r ? 1 : STORE_EIO;
}

int pg_message_requeue(struct store_txn *txn, const char *tenant, const char *message_id, const char *endpoint_id,
                       int64_t since_ms, int64_t now_ms)
{
    /* One message by id, or every failed or held one of an endpoint since a
     * time (dead, held, and pending ones that have failed at least once);
     * pending while the endpoint is enabled, held otherwise. One in flight
     * somewhere (a live lease) keeps its time. */
    static const char one[] =
        "UPDATE webhook_messages SET status = CASE WHEN EXISTS (SELECT 1 FROM webhook_endpoints e WHERE "
        "e.id = webhook_messages.endpoint_id AND e.enabled = 1) THEN 'pending' ELSE 'held' END, "
        "next_attempt_at = CASE WHEN lease_until > $3 THEN next_attempt_at ELSE $3 END, updated_at = $3 "
        "WHERE tenant = $1 AND id = $2 AND status <> 'cancelled'";
    static const char many[] =
        "UPDATE webhook_messages SET status = CASE WHEN EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = $2 "
        "AND e.enabled = 1) THEN 'pending' ELSE 'held' END, "
        "next_attempt_at = CASE WHEN lease_until > $3 THEN next_attempt_at ELSE $3 END, updated_at = $3 "
        "WHERE tenant = $1 AND endpoint_id = $2 AND created_at >= $4 AND status IN ('dead', 'held', 'pending') "
        "AND (status <> 'pending' OR attempts > 0)";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, message_id ? message_id : endpoint_id);
    pa_int(&a, now_ms);
    if (!message_id)
        pa_int(&a, since_ms);
    PGresult *r = pgt_run(t, message_id ? one : many, &a);
    int n = changed(r);
    PQclear(r);
    if (n < 0)
        return STORE_EIO;
    t->job.messages += (unsigned)n;
    return n;
}

int pg_endpoint_hold(struct store_txn *txn, const char *tenant, const char *endpoint_id, bool hold, int64_t now_ms)
{
    static const char to_held[] = "UPDATE webhook_messages SET status = 'held', updated_at = $3 "
                                  "WHERE tenant = $1 AND endpoint_id = $2 AND status = 'pending'";
    static const char to_pending[] =
        "UPDATE webhook_messages SET status = 'pending', updated_at = $3, "
        "next_attempt_at = CASE WHEN lease_until > $3 THEN next_attempt_at ELSE $3 END "
        "WHERE tenant = $1 AND endpoint_id = $2 AND status = 'held'";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, endpoint_id);
    pa_int(&a, now_ms);
    PGresult *r = pgt_run(t, hold ? to_held : to_pending, &a);
    int n = changed(r);
    PQclear(r);
    if (n < 0)
        return STORE_EIO;
    if (!hold)
        t->job.messages += (unsigned)n;
    return n;
}

int pg_attempt_record(struct store_txn *txn, const json_t *att, const char *status, int64_t next_attempt_at)
{
    /* The message is locked first (a statement of its own, so the one
     * below, with a snapshot taken after the lock, sees a redaction that
     * committed while we waited): the response of a message redacted (a
     * delivery in flight during a redaction: what it sent, and so what an
     * echoing endpoint answers, may be the old payload) is not kept
     * (store_pg_redact.c). Then the attempt (numbered after those before
     * it), and the message's new state: one held while its attempt was in
     * flight stays held unless the attempt settled it (delivered, dead);
     * the claim ends either way. One statement: both parts see the message
     * as it was. */
    static const char lock[] = "SELECT 1 FROM webhook_messages WHERE id = $1 FOR UPDATE";
    static const char sql[] =
        "WITH i AS (INSERT INTO webhook_attempts (message_id, attempt, at, status_code, error_class, error, dns_ms, "
        "connect_ms, tls_ms, first_byte_ms, total_ms, response_body, response_truncated) SELECT $1, attempts + 1, "
        "$2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN redacted = 1 THEN NULL ELSE $11 END, $12 "
        "FROM webhook_messages WHERE id = $1) "
        "UPDATE webhook_messages SET attempts = attempts + 1, "
        "status = CASE WHEN status = 'held' AND $13::text = 'pending' THEN 'held' ELSE $13::text END, "
        "next_attempt_at = $14, last_status_code = $3, last_error = $4, updated_at = $2, claimed_by = NULL, "
        "lease_until = NULL WHERE id = $1 AND status IN ('pending', 'held')";
    struct pg_txn *t = pg_txn(txn);
    struct pg_args a = {0};
    pa_text(&a, str(att, "message_id"));
    PGresult *l = pgt_run(t, lock, &a);
    PQclear(l);
    if (!l)
        return STORE_EIO;
    pa_text(&a, str(att, "message_id"));
    pa_int(&a, json_integer_value(json_object_get(att, "at")));
    pa_int(&a, json_integer_value(json_object_get(att, "status_code")));
    pa_text(&a, str(att, "error_class"));
    pa_text(&a, str(att, "error"));
    static const char *ms[] = {"dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "total_ms"};
    char num[5][32];
    for (int i = 0; i < 5; i++) {
        snprintf(num[i], sizeof num[i], "%.3f", json_number_value(json_object_get(att, ms[i])));
        pa_text(&a, num[i]);
    }
    /* a receiver's answer may hold what text cannot: NUL ends it here, pa_text mends bad UTF-8 */
    pa_text(&a, str(att, "response_body"));
    pa_int(&a, json_is_true(json_object_get(att, "response_truncated")));
    pa_text(&a, status);
    pa_int(&a, next_attempt_at);
    PGresult *r = pgt_run(t, sql, &a);
    PQclear(r);
    return r ? STORE_OK : STORE_EIO;
}

int pg_endpoint_health(struct store_txn *txn, const char *endpoint_id, int outcome, int64_t now_ms,
                       int64_t disable_after_ms)
{
    static const char ok[] = "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND "
                             "failing_since IS NOT NULL";
    static const char failing[] =
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2), updated_at = $2 WHERE id = $1";
    static const char too_long[] =
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'failing for too long', updated_at = $2 "
        "WHERE id = $1 AND enabled = 1 AND $2 - failing_since >= $3";
    static const char gone[] =
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'the endpoint answered 410 Gone', "
        "updated_at = $2 WHERE id = $1 AND enabled = 1";
    static const char hold[] = "UPDATE webhook_messages SET status = 'held', updated_at = $2 "
                               "WHERE endpoint_id = $1 AND status = 'pending'";
    struct pg_txn *t = pg_txn(txn);
    const char *steps[2] = {outcome > 0 ? ok : outcome == 0 ? failing : gone, outcome == 0 ? too_long : NULL};
    int disabled = 0;
    for (int i = 0; i < 2 && steps[i]; i++) {
        struct pg_args a = {0};
        pa_text(&a, endpoint_id);
        if (outcome <= 0)
            pa_int(&a, now_ms);
        if (steps[i] == too_long)
            pa_int(&a, disable_after_ms);
        PGresult *r = pgt_run(t, steps[i], &a);
        int n = changed(r);
        PQclear(r);
        if (n < 0)
            return STORE_EIO;
        if (steps[i] == too_long || steps[i] == gone)
            disabled |= n > 0;
    }
    if (!disabled)
        return STORE_OK;
    /* Disabled: what was waiting for it is held, not stuck pending. */
    struct pg_args a = {0};
    pa_text(&a, endpoint_id);
    pa_int(&a, now_ms);
    PGresult *r = pgt_run(t, hold, &a);
    PQclear(r);
    if (!r)
        return STORE_EIO;
    t->job.endpoints_changed = true;
    return 1;
}

/* ---- reads ---- */

json_t *pg_read_endpoints(struct store_reader *base_rd, const char *tenant, const char *id)
{
    static const char one[] = "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE tenant = $1 AND id = $2";
    static const char all[] = "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE tenant = $1 "
                              "ORDER BY created_at, id";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    if (id)
        pa_text(&a, id);
    return pgr_rows(&pg_reader(base_rd)->c, id ? one : all, &a);
}

#define MESSAGE_COLUMNS                                                                                                \
    "seq, id, endpoint_id, event_id, event_type, trigger, order_id, correlation_id, status, attempts, "               \
    "" ISO("next_attempt_at") " AS next_attempt_at, last_status_code, last_error, " ISO("created_at") " AS created_at"

/* The messages that wait (pending, held, dead) are found through a status
 * index (messages_by_status_tenant, or the endpoint's messages_due_by_endpoint),
 * so a page of them (the console's dead letters) costs the backlog in that
 * status, never the tenant's delivered history; other listings walk the
 * tenant's messages in seq order. */
json_t *pg_read_messages(struct store_reader *base_rd, const char *tenant, const char *endpoint_id,
                         const char *event_type, const char *status, int64_t after_seq, int limit)
{
    static const char sql[] = "SELECT " MESSAGE_COLUMNS " FROM webhook_messages WHERE tenant = $1 "
                              "AND ($2::text IS NULL OR endpoint_id = $2) AND ($3::text IS NULL OR event_type = $3) "
                              "AND ($4::text IS NULL OR status = $4) AND seq > $5 ORDER BY seq LIMIT $6";
    static const char waiting[] = "SELECT " MESSAGE_COLUMNS " FROM webhook_messages WHERE status = $4 AND tenant = $1 "
                                  "AND ($2::text IS NULL OR endpoint_id = $2) "
                                  "AND ($3::text IS NULL OR event_type = $3) AND seq > $5 ORDER BY seq LIMIT $6";
    static const char waiting_at[] = "SELECT " MESSAGE_COLUMNS " FROM webhook_messages WHERE endpoint_id = $2 "
                                     "AND status = $4 AND tenant = $1 AND ($3::text IS NULL OR event_type = $3) "
                                     "AND seq > $5 ORDER BY seq LIMIT $6";
    bool waits = status && (!strcmp(status, "pending") || !strcmp(status, "held") || !strcmp(status, "dead"));
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, endpoint_id);
    pa_text(&a, event_type);
    pa_text(&a, status);
    pa_int(&a, after_seq);
    pa_int(&a, limit);
    return pgr_rows(&pg_reader(base_rd)->c, !waits ? sql : endpoint_id ? waiting_at : waiting, &a);
}

json_t *pg_read_message(struct store_reader *base_rd, const char *tenant, const char *id)
{
    static const char sql[] =
        "SELECT " MESSAGE_COLUMNS ", payload AS payload_json FROM webhook_messages WHERE tenant = $1 AND id = $2";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, id);
    return pgr_rows(&pg_reader(base_rd)->c, sql, &a);
}

json_t *pg_read_attempts(struct store_reader *base_rd, const char *tenant, const char *message_id)
{
    static const char sql[] =
        "SELECT a.attempt, " ISO("a.at") " AS at, a.status_code, a.error_class, a.error, a.dns_ms, a.connect_ms, "
        "a.tls_ms, a.first_byte_ms, a.total_ms, a.response_body, a.response_truncated "
        "FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id "
        "WHERE m.tenant = $1 AND a.message_id = $2 ORDER BY a.attempt";
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, message_id);
    return pgr_rows(&pg_reader(base_rd)->c, sql, &a);
}

json_t *pg_read_sending_endpoints(struct store_reader *base_rd)
{
    static const char sql[] = "SELECT id, max_concurrency, rate_limit FROM webhook_endpoints WHERE enabled = 1 "
                              "ORDER BY id";
    return pgr_rows(&pg_reader(base_rd)->c, sql, NULL);
}

/* ids as a PostgreSQL array literal: {"a","b"} */
static char *text_array(const char *const *ids, int n)
{
    size_t len = 3;
    for (int i = 0; i < n; i++)
        len += strlen(ids[i]) * 2 + 3;
    char *out = xmalloc(len), *w = out;
    *w++ = '{';
    for (int i = 0; i < n; i++) {
        if (i)
            *w++ = ',';
        *w++ = '"';
        for (const char *p = ids[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                *w++ = '\\';
            *w++ = *p;
        }
        *w++ = '"';
    }
    *w++ = '}';
    *w = '\0';
    return out;
}

json_t *pg_claim_due(struct store_reader *base_rd, const char *endpoint_id, int64_t now_ms, int limit,
                     const char *const *skip, int n_skip, int64_t *wait_ms)
{
    static const char sql[] = "SELECT shiprelay_claim($1, $2, $3, $4, $5, $6::text[])";
    struct pg_reader *rd = pg_reader(base_rd);
    char *skipped = text_array(skip, n_skip);
    struct pg_args a = {0};
    pa_text(&a, endpoint_id);
    pa_text(&a, rd->db->node);
    pa_int(&a, now_ms);
    pa_int(&a, limit);
    pa_int(&a, rd->db->lease_ms);
    pa_text(&a, skipped);
    PGresult *r = pgr_run(&rd->c, sql, &a, false);
    free(skipped);
    *wait_ms = -1;
    json_t *out = r && PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    if (!out)
        return NULL;
    json_t *wait = json_object_get(out, "wait_ms");
    if (json_is_integer(wait))
        *wait_ms = json_integer_value(wait);
    json_t *rows = json_incref(json_object_get(out, "rows"));
    json_decref(out);
    return json_is_array(rows) ? rows : (json_decref(rows), json_array());
}

int64_t pg_read_next_due(struct store_reader *base_rd, int64_t now_ms)
{
    static const char sql[] =
        "SELECT min(next_attempt_at) FROM webhook_messages WHERE status = 'pending' AND next_attempt_at > $1";
    struct pg_args a = {0};
    pa_int(&a, now_ms);
    PGresult *r = pgr_run(&pg_reader(base_rd)->c, sql, &a, false);
    int64_t next = pg_int(r, 0, 0, -1);
    PQclear(r);
    return next;
}

char *pg_read_body_ref(struct store_reader *base_rd, const char *tenant, const char *message_id, long long attempt,
                        size_t *len)
{
    static const char payload[] = "SELECT payload FROM webhook_messages WHERE tenant = $1 AND id = $2";
    static const char response[] = "SELECT a.response_body FROM webhook_attempts a JOIN webhook_messages m ON "
                                   "m.id = a.message_id WHERE m.tenant = $1 AND a.message_id = $2 AND a.attempt = $3";
    const char *sql = attempt ? response : payload;
    struct pg_args a = {0};
    pa_text(&a, tenant);
    pa_text(&a, message_id);
    if (attempt)
        pa_int(&a, attempt);
    PGresult *r = pgr_run(&pg_reader(base_rd)->c, sql, &a, false);
    char *out = NULL;
    if (r && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        *len = (size_t)PQgetlength(r, 0, 0);
        out = xmalloc(*len + 1);
        memcpy(out, PQgetvalue(r, 0, 0), *len + 1);
    }
    PQclear(r);
    return out;
}

json_t *pg_read_message_counts(struct store_reader *base_rd)
{
    /* The states that wait (bounded by the backlog, each counted through
     * the status index), not the history of delivered messages. Each
     * status is a constant in its statement: the planner knows from the
     * column's statistics that it is a small part of the table (with a
     * parameter it guesses a third, and scans). */
    static const char *const sql[] = {"SELECT 'pending', count(*) FROM webhook_messages WHERE status = 'pending'",
                                      "SELECT 'held', count(*) FROM webhook_messages WHERE status = 'held'",
                                      "SELECT 'dead', count(*) FROM webhook_messages WHERE status = 'dead'"};
    struct pg_reader *rd = pg_reader(base_rd);
    json_t *out = json_array();
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        PGresult *r = pgr_run(&rd->c, sql[i], NULL, false);
        long long n = pg_int(r, 0, 1, -1);
        if (n < 0) {
            PQclear(r);
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_pack("{s:s,s:I}", "status", PQgetvalue(r, 0, 0), "n", (json_int_t)n));
        PQclear(r);
    }
    return out;
}

json_t *pg_read_pending_by_endpoint(struct store_reader *base_rd)
{
    /* One index range count per endpoint (messages_due_by_endpoint); the
     * endpoints table grows with configuration, not with traffic. */
    static const char sql[] =
        "SELECT endpoint, tenant, pending FROM (SELECT e.id AS endpoint, e.tenant AS tenant, (SELECT count(*) "
        "FROM webhook_messages m WHERE m.endpoint_id = e.id AND m.status = 'pending') AS pending "
        "FROM webhook_endpoints e) p WHERE pending > 0 ORDER BY pending DESC, endpoint";
    return pgr_rows(&pg_reader(base_rd)->c, sql, NULL);
}
