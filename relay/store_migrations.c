/* store_migrations: the schema's history. Entry N brings the database from
 * version N to N+1 (PRAGMA user_version); store_open runs the ones a
 * database has not seen, each in its own transaction. Never edit an entry
 * that has shipped: add one. */
#include "store_sqlite_int.h"

const char *const store_migrations[] = {
    "CREATE TABLE orders ("
    "  tenant TEXT NOT NULL,"
    "  order_id TEXT NOT NULL,"
    "  partner_order_reference TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  update_date TEXT NOT NULL,"
    "  PRIMARY KEY (tenant, order_id),"
    "  UNIQUE (tenant, partner_order_reference));"
    "CREATE TABLE change_logs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant TEXT NOT NULL,"
    "  order_id TEXT NOT NULL,"
    "  log_date TEXT NOT NULL,"
    "  change_type TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  entity_type TEXT,"
    "  entity_id TEXT,"
    "  field TEXT,"
    "  old_value TEXT,"
    "  new_value TEXT);"
    "CREATE INDEX change_logs_by_order ON change_logs (tenant, order_id, id);",

    /* 2: inbound hooks: tracking-number lookup, dedupe, parking. */
    "CREATE TABLE shipment_keys ("
    "  tenant TEXT NOT NULL,"
    "  tracking_no TEXT NOT NULL,"
    "  order_id TEXT NOT NULL,"
    "  PRIMARY KEY (tenant, tracking_no));"
    "CREATE TABLE seen_events ("
    "  tenant TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  received_date TEXT NOT NULL,"
    "  PRIMARY KEY (tenant, source, key));"
    "CREATE TABLE parked_events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  tracking_no TEXT,"
    "  partner_order_reference TEXT,"
    "  event TEXT NOT NULL,"
    "  received_date TEXT NOT NULL);"
    "CREATE INDEX parked_by_tracking ON parked_events (tenant, tracking_no);"
    "CREATE INDEX parked_by_reference ON parked_events (tenant, partner_order_reference);",

    /* 3: outbound webhooks: endpoints, the outbox, delivery attempts. Times are ms since the epoch. */
    "CREATE TABLE webhook_endpoints ("
    "  id TEXT PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  description TEXT,"
    "  event_types TEXT NOT NULL DEFAULT '[]',"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  disabled_reason TEXT,"
    "  headers TEXT NOT NULL DEFAULT '{}',"
    "  rate_limit INTEGER NOT NULL DEFAULT 0,"
    "  max_concurrency INTEGER NOT NULL DEFAULT 4,"
    "  fifo INTEGER NOT NULL DEFAULT 1,"
    "  secret TEXT NOT NULL,"
    "  old_secret TEXT,"
    "  old_secret_until INTEGER,"
    "  failing_since INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX endpoints_by_tenant ON webhook_endpoints (tenant);"
    "CREATE TABLE webhook_messages ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  tenant TEXT NOT NULL,"
    "  endpoint_id TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  event_type TEXT NOT NULL,"
    "  trigger TEXT NOT NULL,"
    "  order_id TEXT,"
    "  payload TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  last_status_code INTEGER,"
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX messages_due ON webhook_messages (status, next_attempt_at);"
    "CREATE INDEX messages_fifo ON webhook_messages (endpoint_id, order_id, seq);"
    "CREATE INDEX messages_by_tenant ON webhook_messages (tenant, seq);"
    "CREATE TABLE webhook_attempts ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  message_id TEXT NOT NULL,"
    "  attempt INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  status_code INTEGER NOT NULL,"
    "  error_class TEXT,"
    "  error TEXT,"
    "  dns_ms REAL, connect_ms REAL, tls_ms REAL, first_byte_ms REAL, total_ms REAL,"
    "  response_body TEXT,"
    "  response_truncated INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX attempts_by_message ON webhook_attempts (message_id, attempt);",

    /* 4: system logs; bodies wait in body_spool (committed with their entry) until the
     * uploader has put them in the object store; body_deletes queues removals there. */
    "CREATE TABLE system_logs ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  identifier TEXT NOT NULL UNIQUE,"
    "  tenant TEXT NOT NULL,"
    "  order_id TEXT,"
    "  correlation_id TEXT,"
    "  event_type TEXT NOT NULL,"
    "  request_type TEXT,"
    "  source_type TEXT,"
    "  source_id TEXT,"
    "  request_method TEXT,"
    "  request_url TEXT,"
    "  request_headers TEXT NOT NULL DEFAULT '{}',"
    "  response_code INTEGER,"
    "  response_headers TEXT NOT NULL DEFAULT '{}',"
    "  request_time TEXT,"
    "  response_time TEXT,"
    "  duration TEXT,"
    "  request_body_key TEXT,"
    "  response_body_key TEXT,"
    "  bodies TEXT NOT NULL DEFAULT 'spooled');"
    "CREATE INDEX system_logs_by_order ON system_logs (tenant, order_id, seq);"
    "CREATE INDEX system_logs_by_time ON system_logs (request_time);"
    "CREATE TABLE body_spool ("
    "  key TEXT PRIMARY KEY,"
    "  body BLOB NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_try_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE body_deletes (key TEXT PRIMARY KEY);"
    "ALTER TABLE webhook_messages ADD COLUMN correlation_id TEXT;",

    /* 5: the dispatcher reads due messages endpoint by endpoint. */
    "CREATE INDEX messages_due_by_endpoint ON webhook_messages (endpoint_id, status, next_attempt_at, seq);",

    /* 6: events name shipments by partner_shipment_reference too (shipment_keys holds
     * them as "psr:REF" beside tracking numbers). */
    "ALTER TABLE parked_events ADD COLUMN partner_shipment_reference TEXT;"
    "CREATE INDEX parked_by_shipment_reference ON parked_events (tenant, partner_shipment_reference);",

    /* 7: line rate. The spool is found by row id (never reused) and knows
     * its size (a counter kept in the same commits as the bodies); entries
     * keep the spool ids of their bodies; due bodies come through an index;
     * orders carry their status as a column for stuck-order scans. */
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE spool (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, body BLOB NOT NULL,"
    "  len INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_try_at INTEGER NOT NULL DEFAULT 0);"
    "ALTER TABLE system_logs ADD COLUMN request_spool INTEGER;"
    "ALTER TABLE system_logs ADD COLUMN response_spool INTEGER;"
    "INSERT INTO spool (key, body, len, attempts, next_try_at) "
    "  SELECT key, body, length(body), attempts, next_try_at FROM body_spool;"
    "UPDATE system_logs SET request_spool = (SELECT id FROM spool WHERE spool.key = system_logs.request_body_key), "
    "  response_spool = (SELECT id FROM spool WHERE spool.key = system_logs.response_body_key) "
    "  WHERE bodies = 'spooled';"
    "DROP TABLE body_spool;"
    "ALTER TABLE spool RENAME TO body_spool;"
    "INSERT INTO counters (name, value) SELECT 'spool_bytes', COALESCE(SUM(len), 0) FROM body_spool;"
    "INSERT INTO counters (name, value) SELECT 'parked_events', COUNT(*) FROM parked_events;"
    "CREATE INDEX body_spool_due ON body_spool (next_try_at);"
    "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT '';"
    "UPDATE orders SET status = COALESCE(json_extract(doc, '$.status'), '');"
    "CREATE INDEX orders_by_status ON orders (status, update_date);",

    /* 8: retention sweeps and per-order work find their rows through an index. */
    "CREATE INDEX messages_by_status_time ON webhook_messages (status, updated_at);"
    "CREATE INDEX messages_by_order ON webhook_messages (tenant, order_id);"
    "CREATE INDEX change_logs_by_date ON change_logs (log_date);"
    "CREATE INDEX seen_by_date ON seen_events (received_date);"
    "CREATE INDEX parked_by_date ON parked_events (received_date);"
    "CREATE INDEX shipment_keys_by_order ON shipment_keys (tenant, order_id);",

    /* 9 (issue 10, held messages): a message of a disabled endpoint is `held`, never
     * pending; what waited pending for an endpoint already disabled is held now. */
    "UPDATE webhook_messages SET status = 'held' WHERE status = 'pending' AND "
    "endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled = 0);",

    /* 10 (issue 10, secrets in logs): system-log URLs lose the userinfo of their authority
     * ("http://user:pass@host/x" → "http://host/x"), as syslog_redact_url now does. */
    "UPDATE system_logs SET request_url = substr(request_url, 1, instr(request_url, '://') + 2) || "
    "substr(request_url, instr(request_url, '@') + 1) "
    "WHERE instr(request_url, '://') > 0 AND instr(request_url, '@') > 0 "
    "AND instr(request_url, '@') < instr(substr(request_url, instr(request_url, '://') + 3) || '/', '/') + "
    "instr(request_url, '://') + 2 "
    "AND (instr(request_url, '?') = 0 OR instr(request_url, '?') > instr(request_url, '@')) "
    "AND (instr(request_url, '#') = 0 OR instr(request_url, '#') > instr(request_url, '@'));",

    /* 11: Carriyo order API parity (issue 12, first half). Orders carry merchant, customer_key
     * and creation_date as columns, so every filter of GET /orders is served by an index (paged
     * by rowid, which each index ends with); the status index without update_date serves the
     * status filter in rowid order. Change-log rows keep the change's update_source. Webhook
     * endpoints choose their payload format (standard or carriyo). */
    "ALTER TABLE orders ADD COLUMN merchant TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE orders ADD COLUMN customer_key TEXT;"
    "ALTER TABLE orders ADD COLUMN creation_date TEXT NOT NULL DEFAULT '';"
    "UPDATE orders SET merchant = COALESCE(json_extract(doc, '$.merchant'), tenant),"
    "  customer_key = COALESCE(json_extract(doc, '$.customer_key'), json_extract(doc, '$.customer.customer_key')),"
    "  creation_date = COALESCE(json_extract(doc, '$.creation_date'), update_date);"
    "CREATE INDEX orders_list_by_tenant ON orders (tenant);"
    "CREATE INDEX orders_list_by_status ON orders (tenant, status);"
    "CREATE INDEX orders_list_by_merchant ON orders (tenant, merchant);"
    "CREATE INDEX orders_list_by_customer ON orders (tenant, customer_key);"
    "CREATE INDEX orders_list_by_created ON orders (tenant, creation_date);"
    "CREATE INDEX orders_list_by_updated ON orders (tenant, update_date);"
    "ALTER TABLE change_logs ADD COLUMN update_source TEXT;"
    "ALTER TABLE webhook_endpoints ADD COLUMN payload_format TEXT NOT NULL DEFAULT 'standard';",

    /* 12: bounded orders (issue 9): status-history entries beyond what a shipment keeps
     * inline live here, readable through the API, swept with the change logs. */
    "CREATE TABLE shipment_history ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant TEXT NOT NULL,"
    "  order_id TEXT NOT NULL,"
    "  shipment TEXT NOT NULL,"
    "  entry TEXT NOT NULL,"
    "  archived_date TEXT NOT NULL);"
    "CREATE INDEX shipment_history_by_shipment ON shipment_history (tenant, order_id, shipment, seq);"
    "CREATE INDEX shipment_history_by_date ON shipment_history (archived_date);",

    /* 13 (issue 12, second half: sub-status, seed 003): orders carry their sub_status as a
     * column, so GET /orders?sub_status= is served by an index. */
    "ALTER TABLE orders ADD COLUMN sub_status TEXT;"
    "UPDATE orders SET sub_status = json_extract(doc, '$.sub_status');"
    "CREATE INDEX orders_list_by_sub_status ON orders (tenant, sub_status);",

    /* 14 (issue 12, second half: stuck orders, seed 003): an order's status_since is when it
     * entered its status (set only when the status changes, so other writes leave the index
     * alone), and stuck_since the status_since of the stuck episode order.stuck fired for.
     * (status, status_since) replaces (status, update_date), which every write touched. */
    "ALTER TABLE orders ADD COLUMN status_since TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE orders ADD COLUMN stuck_since TEXT;"
    "UPDATE orders SET status_since = update_date;"
    "DROP INDEX orders_by_status;"
    "CREATE INDEX orders_by_status_since ON orders (status, status_since);",

    /* 15 (issue 12, second half: returns, fact sheet §12): return requests as documents with
     * their lookup columns, and the keys of their REVERSE shipments (tracking numbers,
     * "psr:REF", "sid:ID") for carrier events. */
    "CREATE TABLE return_requests ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant TEXT NOT NULL,"
    "  return_request_id TEXT NOT NULL,"
    "  partner_order_reference TEXT NOT NULL,"
    "  order_id TEXT,"
    "  merchant TEXT,"
    "  status TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  creation_date TEXT NOT NULL,"
    "  update_date TEXT NOT NULL,"
    "  UNIQUE (tenant, return_request_id));"
    "CREATE INDEX returns_by_tenant ON return_requests (tenant);"
    "CREATE INDEX returns_by_reference ON return_requests (tenant, partner_order_reference);"
    "CREATE INDEX returns_by_order ON return_requests (tenant, order_id);"
    "CREATE INDEX returns_by_status ON return_requests (tenant, status);"
    "CREATE INDEX returns_closed ON return_requests (status, update_date);"
    "CREATE TABLE return_shipment_keys ("
    "  tenant TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  return_request_id TEXT NOT NULL,"
    "  PRIMARY KEY (tenant, key)) WITHOUT ROWID;"
    "CREATE INDEX return_keys_by_request ON return_shipment_keys (tenant, return_request_id);",

    /* 16 (issue 12, second half: redaction): a redacted message keeps no response body from its
     * attempts, one in flight during the redaction included. From this version on the writer
     * runs with secure_delete (store_sqlite.c rewrites an older database once). */
    "ALTER TABLE webhook_messages ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;",

    /* 17 (issue 9; PostgreSQL's 7): the messages of a tenant that wait in a status, paged by seq.
     * Through the due index a page of them sorted the whole backlog in that status, so a
     * console (or a script) watching the pending list during a backlog took CPU from the
     * deliveries draining it. */
    "CREATE INDEX messages_by_status_tenant ON webhook_messages (status, tenant, seq);",

    /* 18 (issue 9): a message's payload in a table of its own, keyed by the message's seq. In
     * the message's row, every change of status (held, pending, delivered) and every attempt
     * rewrote the whole payload (its overflow pages, zeroed again by secure_delete). A trigger
     * takes the payload with its message, whatever deletes it. */
    "CREATE TABLE webhook_payloads (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL);"
    "INSERT INTO webhook_payloads (seq, payload) SELECT seq, payload FROM webhook_messages;"
    "ALTER TABLE webhook_messages DROP COLUMN payload;"
    "CREATE TRIGGER webhook_payloads_follow AFTER DELETE ON webhook_messages "
    "BEGIN DELETE FROM webhook_payloads WHERE seq = OLD.seq; END;",
};
const int store_migrations_count = (int)(sizeof store_migrations / sizeof store_migrations[0]);
