/* store: the one persistence interface, with two backends behind it:
 * SQLite (embedded, one node) and PostgreSQL (any number of nodes sharing
 * one database). store_open picks one; every call below then goes to it
 * (store.c forwards through store_backend.h's table). Handlers and the
 * threads that use the store do not know which one they have.
 *
 * Writes: a caller submits a job; one writer thread runs queued jobs
 * back to back inside a single transaction, each job in its own savepoint,
 * and commits them together (group commit: one fsync for many requests).
 * Only after the commit does the job's done-callback run, on the caller's
 * event_base thread, so a reply sent from it means "durable". When the
 * transaction fails (a full disk, an I/O error) every job of the batch gets
 * STORE_EIO and none of their writes is kept, whatever each job returned.
 *
 * Jobs may be run more than once (a backend may retry a batch after a
 * deadlock or serialization failure): a job derives everything from its
 * inputs and the store, and drops what an earlier run left in its arg.
 *
 * Reads: each thread opens its own reader (store_reader_open) and uses it
 * only from that thread. Readers see committed data only.
 *
 * Ownership: json_t results are new references the caller decrefs; json_t
 * arguments are borrowed. Every call is scoped by tenant. */
#ifndef SHIPRELAY_STORE_H
#define SHIPRELAY_STORE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct store;
struct store_txn;
struct store_reader;
struct store_listener;

enum store_key { STORE_KEY_ORDER_ID, STORE_KEY_PARTNER_REF };

/* Result codes. */
#define STORE_OK 0
#define STORE_EXISTS 1     /* insert met an existing partner_order_reference */
#define STORE_SPOOL_FULL 2 /* a body would take the spool over its cap */
#define STORE_EIO (-1)     /* the database failed; nothing of the job was kept */

/* Runs on the writer thread inside the transaction. Return 0 to keep what
 * it wrote, anything else to roll its savepoint back (the value reaches
 * done). It must not block on anything but the store, and must not touch
 * the event loops. */
typedef int (*store_job_fn)(struct store_txn *txn, void *arg);
/* Runs on the submitter's event_base thread after the commit, with the job's
 * return value, or STORE_EIO when the transaction failed. */
typedef void (*store_done_fn)(int rc, void *arg);

enum store_kind { STORE_SQLITE, STORE_POSTGRESQL };

struct store_options {
    enum store_kind backend;
    const char *dir;         /* SQLite: where the database lives (created if missing) */
    const char *url;         /* PostgreSQL: the libpq connection string (never logged) */
    const char *node_id;     /* PostgreSQL: this node's name, unique in the fleet (claims, counters) */
    bool single_node;        /* PostgreSQL: no other node may use the database while this one does */
    int64_t lease_ms;        /* PostgreSQL: how long a claim holds (store_claim_due, store_claim_spooled) */
    int batch_max;           /* most jobs in one transaction */
    long long spool_max;     /* cap on the body spool in bytes (0: none) */
    size_t order_cache;      /* bytes of orders the writer keeps parsed (0: none) */
};

/* What one commit did, for the subscribers of store_subscribe. */
struct store_commit {
    unsigned messages;       /* outbox messages added */
    bool spooled;            /* bodies entered the spool */
    bool deletes;            /* bodies were queued for deletion from the object store */
    bool endpoints_changed;  /* webhook endpoints were added, changed or deleted */
    long long spool_bytes;   /* the spool's size after the commit */
};

/* Open (creating dir and the database, running migrations) and start the
 * writer. NULL with a message in err on failure. */
struct store *store_open(const struct store_options *opt, char *err, size_t errlen);
/* Finish every queued job, stop the writer, close. */
void store_close(struct store *st);
/* Queue a job. Safe from any thread. */
void store_submit(struct store *st, struct event_base *base, store_job_fn fn, store_done_fn done, void *arg);
/* Call fn(commit, arg) on the writer's side (the writer or syncer thread)
 * after every successful commit, once it is durable
 * (up to 4 subscribers, never removed: they must stay valid until
 * store_close; they must be quick and thread-safe, like dispatch_nudge). */
void store_subscribe(struct store *st, void (*fn)(const struct store_commit *c, void *arg), void *arg);
/* Jobs committed so far, the transactions that held them, and the spool's
 * size as of the last commit (for metrics). */
void store_stats(struct store *st, unsigned long *jobs, unsigned long *commits, long long *spool_bytes);
/* The key that signs the relay's own body download URLs, the same for
 * every node of the store: SQLite keeps it in <dir>/url.key, PostgreSQL in
 * the database (made by whichever node needs it first). 0, or -1 with err. */
int store_url_key(struct store *st, unsigned char key[32], char *err, size_t errlen);

/* Wake-ups from other nodes: with PostgreSQL, a connection LISTENing for
 * commits of other nodes that queued messages, changed endpoints or
 * redacted (any node's, this one's included) (its fd
 * becomes readable). SQLite has no other nodes: NULL with err left empty.
 * store_listen_read consumes what arrived: STORE_WAKE_* bits; after
 * STORE_WAKE_LOST the connection is gone (notifications may have been
 * missed) and the fd is -1 until a later store_listen_read reconnects
 * (STORE_WAKE_RECONNECTED, with a new fd). Use from one thread. */
#define STORE_WAKE_MESSAGES 0x1
#define STORE_WAKE_ENDPOINTS 0x2
#define STORE_WAKE_LOST 0x4
#define STORE_WAKE_RECONNECTED 0x8
#define STORE_WAKE_REDACTED 0x10 /* a commit took personal data out (a redaction) */
struct store_listener *store_listen(struct store *st, char *err, size_t errlen);
int store_listen_fd(struct store_listener *l);
unsigned store_listen_read(struct store_listener *l);
void store_listen_close(struct store_listener *l);

/* --- inside a job --- */
/* Undo everything this job has written so far and carry on (its savepoint
 * stays open). STORE_OK, or STORE_EIO when the transaction is lost. */
int store_job_undo(struct store_txn *txn);
/* The order (a new object the caller owns and may change), or NULL. */
json_t *store_order_get(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref);
/* The same without a copy: the order as the store holds it, shared with its
 * cache. The caller gets a reference to decref but must not change the
 * object (debug builds check); to change the order, json_deep_copy it. The
 * way to write an order: before = peek, order = copy of before, change
 * order, store it (and before's text is known to store_order_json). */
json_t *store_order_peek(struct store_txn *txn, const char *tenant, enum store_key key, const char *ref);
/* doc as JSON text (caller frees). When doc is an order this job got from
 * store_order_get or stored with store_order_insert/update, and it has not
 * been changed since, this is the stored text, with no serialisation;
 * otherwise a fresh one. So: to reuse the text, change a copy, not the
 * order you got. */
char *store_order_json(struct store_txn *txn, const json_t *doc);
/* STORE_OK, STORE_EXISTS (another order of the tenant has its
 * partner_order_reference), or STORE_EIO. The order's merchant,
 * customer_key, status, sub_status and dates are kept beside it for the
 * list. The store keeps a reference to order (its cache): do not change
 * order after storing it (build the next version on a copy). Debug builds
 * check this. */
int store_order_insert(struct store_txn *txn, const char *tenant, const json_t *order);
int store_order_update(struct store_txn *txn, const char *tenant, const json_t *order);
/* Store each entry of changes (see order.h) stamped with log_date and source
 * (an entry's own "source" member, when it has one, wins), with the
 * entry's "update_source" member when it has one. */
int store_changelog_add(struct store_txn *txn, const char *tenant, const char *order_id, const char *log_date,
                        const char *source, const json_t *changes);

/* The order holding a shipment with this tracking number (or, given as
 * "psr:REF", this partner_shipment_reference), or NULL; shared, as from
 * store_order_peek. */
json_t *store_order_by_tracking(struct store_txn *txn, const char *tenant, const char *tracking_no);
/* Record that an inbound event with this dedupe key arrived from source:
 * 0 when it is new, 1 when it was seen before, STORE_EIO on failure. */
int store_event_seen(struct store_txn *txn, const char *tenant, const char *source, const char *key,
                     const char *now_iso);
/* Keep an event that matches no order yet (see pipeline.h). */
int store_park(struct store_txn *txn, const char *tenant, const char *source, const json_t *event,
               const char *now_iso);
/* Take (and delete) the parked events for this order: those naming its
 * partner_order_reference, or one of its shipments' tracking numbers or
 * partner_shipment_references, oldest first, as [{source, event}]. NULL on
 * failure. */
json_t *store_unpark(struct store_txn *txn, const char *tenant, const json_t *order);

/* ---- outbound webhooks, inside a job ---- */
/* One event of an order, in both payload formats. */
struct store_outbox_event {
    const char *order_id, *event_id, *type, *trigger;
    const char *payload;         /* shiprelay's body */
    const char *carriyo_payload; /* Carriyo's body, for endpoints with payload_format carriyo */
    const char *correlation_id;
};
/* One message per endpoint of the tenant whose event_types filter takes the
 * event's type or trigger (empty = all), with the payload of the endpoint's
 * format: pending for an enabled endpoint, held for a disabled one (never
 * sent until released). STORE_OK or STORE_EIO. */
int store_outbox_add(struct store_txn *txn, const char *tenant, const struct store_outbox_event *ev, int64_t now_ms);
/* How many endpoints the tenant has, or STORE_EIO. */
int store_endpoint_count(struct store_txn *txn, const char *tenant);
/* The endpoint as stored (secrets included), or NULL. */
json_t *store_endpoint_get(struct store_txn *txn, const char *tenant, const char *id);
/* Insert or replace an endpoint from its stored form. */
int store_endpoint_put(struct store_txn *txn, const json_t *endpoint);
/* 1 deleted (its pending and held messages become cancelled), 0 not found, or STORE_EIO. */
int store_endpoint_delete(struct store_txn *txn, const char *tenant, const char *id, int64_t now_ms);
/* Make messages due now: the one named message_id (any status but
 * cancelled), or else every message of endpoint_id created since since_ms
 * that is dead, held or has failed. They become pending when their endpoint
 * is enabled, held otherwise. The count, or STORE_EIO. */
int store_message_requeue(struct store_txn *txn, const char *tenant, const char *message_id,
                          const char *endpoint_id, int64_t since_ms, int64_t now_ms);
/* Hold an endpoint's pending messages (hold: it is being disabled), or
 * release its held ones (pending, due now). The count, or STORE_EIO. */
int store_endpoint_hold(struct store_txn *txn, const char *tenant, const char *endpoint_id, bool hold, int64_t now_ms);
/* Record one delivery attempt ({message_id, at, status_code, error_class,
 * error, dns_ms, connect_ms, tls_ms, first_byte_ms, total_ms,
 * response_body, response_truncated}) and move the message to status
 * (pending with next_attempt_at, delivered, dead; a message held meanwhile
 * stays held unless delivered or dead). */
int store_attempt_record(struct store_txn *txn, const json_t *attempt, const char *status, int64_t next_attempt_at);
/* outcome > 0 success (clears the failing clock), 0 failure (starts it, and
 * disables the endpoint once it has run disable_after_ms), < 0 gone (410:
 * disable now). Disabling holds the endpoint's pending messages. Returns 1
 * when this call disabled the endpoint, STORE_OK when not, STORE_EIO on
 * failure. */
int store_endpoint_health(struct store_txn *txn, const char *endpoint_id, int outcome, int64_t now_ms,
                          int64_t disable_after_ms);

/* ---- order operations, inside a job ---- */
/* The tenant's orders of a customer (customer_key, at the top or in
 * customer), as documents. NULL on failure. */
json_t *store_orders_by_customer(struct store_txn *txn, const char *tenant, const char *customer_key);

/* ---- redaction (store_redact.c, store_pg_redact.c), inside a job ----
 * What holds a customer's data beside the order document (rewritten with
 * store_order_update) and the return requests (store_return_put): the
 * change log, the outbox and its attempts (here), the system log
 * (store_syslog_redact). The scrub functions are redact.h's. After a
 * commit that ran any of these, the backend removes the old copies before
 * the jobs' replies go out: SQLite overwrites what writes free
 * (secure_delete, on from the start) and checkpoints and truncates its
 * WAL, so no copy is left in its files; PostgreSQL VACUUMs the tables a
 * redaction touches, so no row version holds one (what that leaves in
 * page free space, WAL and backups: the README, "Redaction"). */
/* Every change-log entry of the order: its old and new value are replaced
 * by scrub(field, value) when that gives a new value (NULL: kept). */
int store_changelog_redact(struct store_txn *txn, const char *tenant, const char *order_id,
                           json_t *(*scrub)(const char *field, const json_t *value));
/* Every outbox message of the order (messages kept under order_id: an
 * order's, or a return request's before it was linked): scrub(payload)
 * changes it in place (true when it did) and it is rewritten; the response
 * bodies its attempts recorded are dropped; and it is marked redacted, so
 * an attempt recorded later (one in flight now included) keeps none. */
int store_outbox_redact(struct store_txn *txn, const char *tenant, const char *order_id, bool (*scrub)(json_t *payload));

/* ---- shipment status history beyond what the order keeps inline (store_history.c) ---- */
/* Inside a job: keep the entries order_limits_trim_history moved out of an
 * order ([{shipment, entries}]), dated now. STORE_OK or STORE_EIO. */
int store_history_archive(struct store_txn *txn, const char *tenant, const char *order_id, const json_t *moved,
                          const char *now_iso);
/* A shipment's archived entries, oldest first, after a seq, at most limit:
 * [{seq, entry}]. NULL on error. */
json_t *store_read_history(struct store_reader *rd, const char *tenant, const char *order_id, const char *shipment,
                           long long after, int limit);

/* ---- retention (store_retention.c), inside jobs ----
 * Each removes at most limit expired rows, with what belongs to them, and
 * returns how many it removed, or STORE_EIO. Messages in `status`
 * (delivered, cancelled or dead) last changed before before_ms go with
 * their attempts; change-log entries, remembered event keys and parked
 * events dated before before_iso; closed and cancelled orders last changed
 * before before_iso go with their change logs, system logs and shipment
 * keys. */
int store_sweep_messages(struct store_txn *txn, const char *status, int64_t before_ms, int limit);
int store_sweep_changelogs(struct store_txn *txn, const char *before_iso, int limit);
int store_sweep_history(struct store_txn *txn, const char *before_iso, int limit);
int store_sweep_seen(struct store_txn *txn, const char *before_iso, int limit);
int store_sweep_parked(struct store_txn *txn, const char *before_iso, int limit);
int store_sweep_orders(struct store_txn *txn, const char *before_iso, int limit);

/* --- reads --- */
struct store_reader *store_reader_open(struct store *st, char *err, size_t errlen);
void store_reader_close(struct store_reader *rd);
/* 0 when the database answers (detail: "ok"), -1 with why not. A reader
 * whose connection broke reconnects on its next call (with backoff). */
int store_read_health(struct store_reader *rd, char *detail, size_t len);
/* True while this node holds the named role (retention sweeps): with
 * PostgreSQL a session advisory lock, taken when free and kept while the
 * reader's connection lives, so one node at a time has it and another
 * takes it over when that node dies. SQLite: always true. */
bool store_singleton(struct store_reader *rd, const char *role);
/* NULL when there is no such order (or on error: *failed set when failed != NULL). */
json_t *store_read_order(struct store_reader *rd, const char *tenant, enum store_key key, const char *ref,
                         bool *failed);
/* GET /orders (store_orders.c): the tenant's orders matching every filter
 * given (NULL: any; sub_status is the order's own member, when a string), in the order they were created (newest first when
 * newest_first), after the row `after` (0: from the start), at most limit:
 * [{seq, doc}] (doc parsed). Each filter is served by an index. NULL on
 * error. Dates are ISO strings as the store keeps them. The store keeps
 * status, sub_status, merchant, customer_key and the dates beside each
 * order (store_order_insert / _update) for this. */
struct store_order_filter {
    const char *status, *sub_status, *merchant, *customer_key;
    const char *created_from, *created_to, *updated_from, *updated_to; /* inclusive */
    bool newest_first;
    long long after;
    int limit;
};
json_t *store_read_orders(struct store_reader *rd, const char *tenant, const struct store_order_filter *f);
/* The order's change log as an array, oldest first unless newest_first. NULL on error. */
json_t *store_read_changelogs(struct store_reader *rd, const char *tenant, const char *order_id, bool newest_first);

/* Endpoints of the tenant (one when id is given; secrets included: the
 * caller decides what to show). Messages filtered by any of endpoint,
 * event type and status (NULL: any), after a seq, at most limit. One message
 * with its payload. A message's attempts. NULL on error. */
json_t *store_read_endpoints(struct store_reader *rd, const char *tenant, const char *id);
json_t *store_read_messages(struct store_reader *rd, const char *tenant, const char *endpoint_id,
                            const char *event_type, const char *status, int64_t after_seq, int limit);
json_t *store_read_message(struct store_reader *rd, const char *tenant, const char *id);
json_t *store_read_attempts(struct store_reader *rd, const char *tenant, const char *message_id);
/* Enabled endpoints (all tenants): {id, max_concurrency, rate_limit}. */
json_t *store_read_sending_endpoints(struct store_reader *rd);
/* Claim, for this node, up to limit messages of the endpoint that may be
 * sent now, joined with the endpoint's url, secrets, headers and limits;
 * oldest due first (asking per endpoint keeps one endpoint's backlog from
 * hiding the others'). A message may be sent when it is pending and due
 * and, for a FIFO endpoint, no older message of its order to the endpoint
 * is unfinished. The claim lasts until store_attempt_record settles the
 * message, or until it expires. skip: ids this node holds already.
 *   SQLite (one node): the claim is the caller's own set (skip); nothing is
 *     written. *wait_ms is -1.
 *   PostgreSQL: the rows are claimed in the database (FOR UPDATE SKIP
 *     LOCKED) with a lease of store_options.lease_ms, so no other node
 *     takes them; the endpoint's max_concurrency (leases live across the
 *     fleet) and rate_limit (a token bucket in the database) hold for the
 *     fleet. When the rate limit held rows back, *wait_ms is the time until
 *     the next token, else -1. A lease that expires (its node died) makes
 *     the message due again for any node.
 * NULL on error. */
json_t *store_claim_due(struct store_reader *rd, const char *endpoint_id, int64_t now_ms, int limit,
                        const char *const *skip, int n_skip, int64_t *wait_ms);
/* The earliest next_attempt_at after now_ms of any pending message, or -1. */
int64_t store_read_next_due(struct store_reader *rd, int64_t now_ms);
/* A body the store holds itself ("db:message:ID" is the message's payload,
 * "db:attempt:ID:N" the response to its attempt N), of the tenant's
 * messages; malloc'd, NULL when there is none. */
char *store_read_body_ref(struct store_reader *rd, const char *tenant, const char *key, size_t *len);
/* [{status, n}] for the outbox messages that wait: pending, held, dead. */
json_t *store_read_message_counts(struct store_reader *rd);
/* [{endpoint, tenant, pending}] for every endpoint with pending messages,
 * most pending first (store_metrics.c). */
json_t *store_read_pending_by_endpoint(struct store_reader *rd);

/* ---- stuck orders (store_stuck.c) ----
 * Beside each order the store keeps status_since, when it entered its
 * status (store_order_insert sets it, store_order_update only when the
 * status changes: other writes leave it, and its index entry, alone), and
 * whether order.stuck fired for that episode. An order is stuck in a
 * status once its status_since is before the rule's cutoff. Every read is
 * an index range per rule, so it costs the stuck orders, not all orders. */
struct store_stuck_rule {
    const char *status;
    const char *before_iso; /* stuck when status_since < this */
};
/* The stuck orders of a tenant (all tenants when NULL), the longest in
 * their status first, at most limit: {tenant, order_id,
 * partner_order_reference, merchant, status, sub_status, status_since,
 * time_in_status_seconds (to now_iso), notified (order.stuck fired for this
 * episode), last_event (the latest change-log entry but a STUCK one:
 * {log_date, change_type, entity_type, entity_id, field, new_value,
 * source}, or null)}. NULL on error. */
json_t *store_read_stuck(struct store_reader *rd, const char *tenant, const struct store_stuck_rule *rules,
                         int n_rules, const char *now_iso, int limit);
/* How many orders each rule finds (all tenants): [{status, n}]. NULL on error. */
json_t *store_count_stuck(struct store_reader *rd, const struct store_stuck_rule *rules, int n_rules);
/* Inside a job: the orders rule finds after the position (after_since,
 * after_seq) in (status_since, seq) order ("", 0: from the start), at
 * most limit: [{seq, tenant, order_id, status_since, notified}]. NULL on
 * error. */
json_t *store_stuck_scan(struct store_txn *txn, const struct store_stuck_rule *rule, const char *after_since,
                         long long after_seq, int limit);
/* Inside a job: note that order.stuck fired for the order's episode that
 * began at status_since. 1 noted, 0 when the order is no longer in that
 * episode (its status changed since) or it was noted already, STORE_EIO. */
int store_stuck_mark(struct store_txn *txn, const char *tenant, const char *order_id, const char *status_since);
/* Inside a job: the order's latest change-log entry but a STUCK one (as in
 * store_read_stuck's last_event), json null when there is none; NULL on
 * error. */
json_t *store_order_last_event(struct store_txn *txn, const char *tenant, const char *order_id);

/* ---- return requests (store_returns.c; returns.h is the document) ----
 * The store keeps each request's partner_order_reference, order_id,
 * merchant and status beside it for the lookups below, and the keys of its
 * REVERSE shipments (tracking numbers, "psr:REF", "sid:ID") so a carrier's
 * event finds it. Inside a job: */
/* The request (the caller's own copy), or NULL. */
json_t *store_return_get(struct store_txn *txn, const char *tenant, const char *id);
/* Insert a new request (created) or replace it: STORE_OK or STORE_EIO. */
int store_return_put(struct store_txn *txn, const char *tenant, const json_t *ret, bool created);
/* The requests naming this partner_order_reference, or linked to this
 * order_id (documents, oldest first). NULL on error. */
json_t *store_returns_by_reference(struct store_txn *txn, const char *tenant, const char *partner_order_reference);
json_t *store_returns_by_order(struct store_txn *txn, const char *tenant, const char *order_id);
/* Remember that a REVERSE shipment key belongs to request id; the request
 * a key belongs to (malloc'd id), or NULL. */
int store_return_key_put(struct store_txn *txn, const char *tenant, const char *key, const char *id);
char *store_return_by_key(struct store_txn *txn, const char *tenant, const char *key);
/* Reads: one request (NULL when there is none, or on error with *failed
 * set); a list [{seq, doc}] of the tenant's filtered by any of
 * partner_order_reference, status and merchant (NULL: any), after a seq,
 * at most limit, served by an index. */
struct store_return_filter {
    const char *partner_order_reference, *status, *merchant;
    long long after;
    int limit;
};
json_t *store_read_return(struct store_reader *rd, const char *tenant, const char *id, bool *failed);
json_t *store_read_returns(struct store_reader *rd, const char *tenant, const struct store_return_filter *f);
/* Retention: requests completed, rejected or cancelled that last changed
 * before before_iso go, with their shipment keys; at most limit. How many,
 * or STORE_EIO. */
int store_sweep_returns(struct store_txn *txn, const char *before_iso, int limit);

/* ---- system logs (store_syslog.c; entries are made with syslog_add) ---- */
struct store_body {
    const char *key;  /* where it will live in the object store; NULL: no body */
    const char *data; /* NULL: key refers to a body the store holds elsewhere ("db:…") */
    size_t len;
};
/* Inside a job: one entry (syslog.h's members) and its request and response
 * bodies, which enter the spool. STORE_OK, STORE_SPOOL_FULL (nothing
 * written: the bodies would take the spool over its cap) or STORE_EIO. */
int store_syslog_insert(struct store_txn *txn, const json_t *entry, const struct store_body bodies[2]);
struct store_spooled {
    int64_t id; /* the spool row */
    char *key;
    char *body;
    size_t len;
    int attempts; /* failed tries so far */
};
/* Entries of an order, oldest first, filtered (NULL / code_min < 0: any),
 * after a seq, at most limit. One entry with its body keys and spool ids
 * (json null when there is none, NULL on error); "bodies" says where they
 * are: spooled, stored, none or redacted. A body still in the spool, by its
 * spool id and key (malloc'd; NULL when it has left). */
json_t *store_read_syslogs(struct store_reader *rd, const char *tenant, const char *order_id,
                           const char *correlation_id, const char *event_type, const char *request_type,
                           int code_min, int code_max, long long after, int limit);
json_t *store_read_syslog(struct store_reader *rd, const char *tenant, const char *identifier);
char *store_read_spooled(struct store_reader *rd, int64_t spool_id, const char *key, size_t *len);
/* For the uploader: claim spooled bodies due for an upload try, oldest due
 * first, skipping the n_skip spool ids in skip (this node's, in flight);
 * out holds limit; the caller frees key and body. With PostgreSQL a body is
 * claimed by the node that spooled it when it is spooled, and by a claim
 * here otherwise, for store_options.lease_ms: another node's uploader takes
 * it when the lease runs out. Queued deletions. */
int store_claim_spooled(struct store_reader *rd, int64_t now_ms, int limit, const int64_t *skip, int n_skip,
                        struct store_spooled *out);
json_t *store_read_body_deletes(struct store_reader *rd, int limit);
/* The earliest next_try_at after now_ms of any spooled body, or -1. */
int64_t store_read_spool_next(struct store_reader *rd, int64_t now_ms);
/* Inside jobs: a body reached the object store (it leaves the spool; when
 * it had left already, its entry was redacted or swept during the upload,
 * and the stored copy under key is queued for deletion); a try failed (try
 * again at next_try_at); a queued deletion is done. */
int store_spool_moved(struct store_txn *txn, int64_t spool_id, const char *key);
int store_spool_retry(struct store_txn *txn, int64_t spool_id, int64_t next_try_at);
int store_body_deleted(struct store_txn *txn, const char *key);
/* Retention: entries with request_time before cutoff go, bodies with them,
 * at most limit entries per call. The number removed, or STORE_EIO. */
int store_syslog_sweep(struct store_txn *txn, const char *cutoff_iso, int limit);
/* Redaction: an order's entries lose their bodies and query strings
 * (a scrub: see "redaction" above). */
int store_syslog_redact(struct store_txn *txn, const char *tenant, const char *order_id);
/* The entry of an exchange that named no order yet (a callback that was
 * parked) becomes the order's, when it has none. */
int store_syslog_adopt(struct store_txn *txn, const char *tenant, const char *identifier, const char *order_id);
/* An order's entries go, bodies with them (the order is being removed). */
int store_syslog_forget_order(struct store_txn *txn, const char *tenant, const char *order_id);

#endif
