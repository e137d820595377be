/* store_pg: the PostgreSQL backend of store.h (store_backend.h's table
 * store_pg_backend, at the end of this file): opening (migrations under an
 * advisory lock, this node's claims from before a restart given back), the
 * writer's transactions, readers, the singleton roles, and the LISTEN
 * connection that wakes a dispatcher when another node queued messages.
 *
 * The writer's batch: BEGIN, then each job in its own SAVEPOINT, then the
 * node's spool counter and the NOTIFYs, then COMMIT (synchronous_commit
 * on: durable when it returns). A job that fails on its own is rolled back
 * to its savepoint, as with SQLite. A deadlock or serialization failure
 * (40P01, 40001) rolls the whole batch back and runs it again (jobs may run
 * more than once, store.h); after three tries each job runs alone, so one
 * contended row cannot hold up the others. A lost connection fails the
 * batch (503 to its requests; a COMMIT lost in flight may have committed:
 * the reply says "retry", and a retried create meets its own order); the
 * next batch reconnects, at most once per backoff period, so while the
 * database is down writes are refused at once and reads keep trying.
 *
 * Batches are capped at 64 jobs (batch_cap): each savepoint that writes is
 * a subtransaction, and PostgreSQL tracks 64 per transaction cheaply. */
#include "store_pg_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "log.h"
#include "order_cache.h"
#include "xmalloc.h"

#define MIGRATION_LOCK "4242424242" /* pg_advisory_lock key: one node migrates at a time */

static atomic_int writer_pid; /* our writer's backend, whose NOTIFYs the listener need not act on */

/* ---- inside jobs ---- */

int pg_failed(struct pg_txn *t)
{
    t->job_failed = true;
    return STORE_EIO;
}

/* The batch cannot go on: the connection is gone, or it must run again. */
static bool batch_broken(const struct pg_txn *t)
{
    return !t->c.conn || t->c.saw_retry;
}

PGresult *pgt_run(struct pg_txn *t, const char *sql, struct pg_args *a)
{
    PGresult *r = pgc_run(&t->c, sql, a, false);
    if (!r)
        pg_failed(t);
    return r;
}

json_t *pgt_rows(struct pg_txn *t, const char *sql, struct pg_args *a)
{
    PGresult *r = pgt_run(t, sql, a);
    json_t *rows = r ? pg_rows(r) : NULL;
    PQclear(r);
    return rows;
}

int pg_again(struct pg_txn *t)
{
    t->c.saw_retry = true;
    return STORE_EIO;
}

int pg_spool_account(struct pg_txn *t, long long len)
{
    long long after = t->spool_fleet + t->batch.spool_delta + t->job.spool_delta + len;
    if (len > 0 && t->spool_max > 0 && after > t->spool_max)
        return STORE_SPOOL_FULL;
    t->job.spool_delta += len;
    t->job.spooled |= len > 0;
    return STORE_OK;
}

void pg_forget_known(struct pg_txn *t)
{
    for (int i = 0; i < t->n_known; i++) {
        free(t->known[i].text);
        t->known[i].text = NULL;
    }
    t->n_known = 0;
}

int pg_job_undo(struct store_txn *base_txn)
{
    struct pg_txn *t = pg_txn(base_txn);
    t->job = (struct pg_effects){0};
    order_cache_clear(t->orders); /* it may hold what is being undone */
    pg_forget_known(t);
    if (batch_broken(t))
        return STORE_EIO;
    PGresult *r = pgc_exec(&t->c, "ROLLBACK TO SAVEPOINT job");
    PQclear(r);
    if (!r)
        return STORE_EIO;
    t->job_failed = false; /* what failed is undone */
    return STORE_OK;
}

/* ---- the writer ---- */

/* One session advisory lock: true when this session holds it now. */
static bool try_lock(struct pg_txn *t, const char *sql, const char *name, PGresult **res)
{
    struct pg_args a = {0};
    pa_text(&a, name);
    PGresult *r = pgc_run(&t->c, sql, &a, false);
    bool mine = r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    *res = r;
    return mine;
}

/* After a (re)connect: this node's name is ours alone, and the fleet lock
 * is held, shared by every node, or alone by a single_node one (so that a
 * node that keeps bodies on its own disk never has company: the others
 * could not serve them). */
static int claim_node(struct pg_txn *t, char *err, size_t errlen)
{
    static const char node_sql[] = "SELECT pg_try_advisory_lock(hashtextextended('shiprelay node ' || $1, 0))";
    static const char alone_sql[] = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))";
    static const char shared_sql[] = "SELECT pg_try_advisory_lock_shared(hashtextextended($1, 0))";
    PGresult *r;
    bool mine = try_lock(t, node_sql, t->node, &r);
    const char *why = "another shiprelay with node_id \"%s\" is connected to this database: give each node its own "
                      "[server] node_id";
    if (mine) {
        PQclear(r);
        mine = try_lock(t, t->single_node ? alone_sql : shared_sql, "shiprelay fleet", &r);
        why = t->single_node ? "another shiprelay node is connected to this database, and node \"%s\" has [storage] "
                               "single_node = yes: a fleet keeps its bodies in [s3] (configure it on every node and "
                               "set single_node = no)"
                             : "a shiprelay node with [storage] single_node = yes is connected to this database, "
                               "so node \"%s\" may not join it: a fleet keeps its bodies in [s3] (configure it on "
                               "every node and set single_node = no)";
    }
    bool answered = r != NULL;
    PQclear(r);
    if (!mine) {
        snprintf(err, errlen,
                 answered || t->c.fail != PG_FAIL_LOST ? why
                                                       : "lost the connection to PostgreSQL while starting (node \"%s\")",
                 t->node);
        pgc_close(&t->c);
        return -1;
    }
    atomic_store(&writer_pid, PQbackendPID(t->c.conn));
    return 0;
}

/* The writer's session, opened again when it went (with this node's name
 * claimed again, and the prepared statements to be made anew). */
static int writer_connect(struct pg_txn *t)
{
    char err[512] = "";
    unsigned long generation = t->c.generation;
    if (pgc_connect(&t->c, err, sizeof err) == 0 &&
        (t->c.generation == generation || claim_node(t, err, sizeof err) == 0))
        return 0;
    static int64_t said;
    int64_t now = pg_now_ms();
    if (now - said > 5000) { /* once in a while, not once per refused request */
        log_error("store: %s", err[0] ? err : "the database is unreachable");
        said = now;
    }
    return -1;
}

static bool exec_ok(struct pg_txn *t, const char *sql)
{
    PGresult *r = pgc_exec(&t->c, sql);
    PQclear(r);
    return r != NULL;
}

static void add_effects(struct pg_effects *into, const struct pg_effects *e)
{
    into->messages += e->messages;
    into->spool_delta += e->spool_delta;
    into->spooled |= e->spooled;
    into->deletes |= e->deletes;
    into->endpoints_changed |= e->endpoints_changed;
    into->scrubbed |= e->scrubbed;
}

/* End the transaction in one round trip: this node's spool counter moves
 * by the batch's delta (the fleet's spool is read back), the NOTIFYs that
 * wake the other nodes' dispatchers, COMMIT. False when any of it failed
 * (then nothing was committed, unless the connection broke at COMMIT). */
static bool finish(struct pg_txn *t)
{
    char *sql = NULL;
    if (t->batch.spool_delta) {
        char *node = PQescapeLiteral(t->c.conn, t->node, strlen(t->node));
        if (!node)
            return false;
        sql = xasprintf("UPDATE spool_counters SET bytes = bytes + %lld WHERE node = %s; "
                        "SELECT coalesce(sum(bytes), 0)::bigint FROM spool_counters; ",
                        t->batch.spool_delta, node);
        PQfreemem(node);
    }
    char *all = xasprintf("%s%s%s%sCOMMIT", sql ? sql : "", t->batch.messages ? "NOTIFY shiprelay_messages; " : "",
                          t->batch.endpoints_changed ? "NOTIFY shiprelay_endpoints; " : "",
                          t->batch.scrubbed ? "NOTIFY shiprelay_redacted; " : "");
    free(sql);
    long long fleet = -1;
    bool sent = PQsendQuery(t->c.conn, all);
    free(all);
    PGresult *r, *failed = NULL;
    while (sent && (r = PQgetResult(t->c.conn))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK)
            fleet = pg_int(r, 0, 0, -1);
        if ((st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) || failed)
            PQclear(r);
        else
            failed = r;
    }
    if (!sent || failed || PQstatus(t->c.conn) != CONNECTION_OK) {
        pgc_failed(&t->c, failed);
        PQclear(failed);
        return false;
    }
    if (fleet >= 0)
        t->spool_fleet = fleet;
    return true;
}

/* A batch that scrubbed: its transaction id, for vacuum_scrubbed. */
static bool note_scrub_xid(struct pg_txn *t)
{
    PGresult *r = pgc_run(&t->c, "SELECT xid(pg_current_xact_id())::text", NULL, false);
    if (r && PQntuples(r) == 1)
        snprintf(t->scrub_xid, sizeof t->scrub_xid, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return r != NULL;
}

enum try_result { TRY_OK, TRY_AGAIN, TRY_FAILED };

/* One transaction for the jobs of batch. */
static enum try_result try_batch(struct pg_txn *t, struct store_job *batch)
{
    t->batch = (struct pg_effects){0};
    t->c.saw_retry = false;
    long long fleet_before = t->spool_fleet;
    bool ok = true;
    for (struct store_job *j = batch; j && ok; j = j->next) {
        t->job = (struct pg_effects){0};
        t->job_failed = false;
        if (!(ok = exec_ok(t, j == batch ? "BEGIN; SAVEPOINT job" : "SAVEPOINT job")))
            break;
        j->rc = j->fn(&t->base, j->arg);
        pg_forget_known(t); /* what the job handed out may be freed now */
        if (batch_broken(t)) {
            ok = false;
            break;
        }
        if (t->job_failed && j->rc == STORE_OK)
            j->rc = STORE_EIO; /* a statement failed: nothing of the job may be kept */
        if (j->rc != STORE_OK)
            ok = pg_job_undo(&t->base) == STORE_OK;
        else
            add_effects(&t->batch, &t->job);
    }
    if (ok && t->batch.scrubbed)
        ok = note_scrub_xid(t);
    if (ok)
        ok = finish(t);
    if (ok)
        return TRY_OK;
    bool again = t->c.saw_retry && t->c.conn;
    if (t->c.conn)
        exec_ok(t, "ROLLBACK");
    order_cache_clear(t->orders);
    t->spool_fleet = fleet_before;
    return again ? TRY_AGAIN : TRY_FAILED;
}

static void jitter(int attempt)
{
    unsigned char r;
    crypto_random(&r, 1);
    struct timespec ts = {0, (long)(r % 4 + 1) * (1L << attempt) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The batch, tried again while it conflicts (a deadlock or serialization
 * failure): TRY_OK, or how it ended. */
static enum try_result with_retries(struct pg_txn *t, struct store_job *batch)
{
    for (int attempt = 0;; attempt++) {
        enum try_result r = try_batch(t, batch);
        if (r != TRY_AGAIN || attempt == 2)
            return r;
        log_debug("store: a transaction met a deadlock or serialization failure; running it again");
        jitter(attempt);
    }
}

/* After a commit that took personal data out (a redaction): the rewrites
 * and deletes left the old row versions in the tables' pages (and TOAST)
 * until a VACUUM prunes them. Prune them now, before the replies go out:
 * VACUUM runs outside a transaction, on the writer's connection, over the
 * tables a redaction touches. INDEX_CLEANUP OFF: pruning the heap is what
 * removes the data (index entries hold no personal data), and leaving the
 * index passes to autovacuum keeps this to the pages written since the
 * last vacuum. TRUNCATE false: no exclusive lock on a table.
 *
 * VACUUM keeps what a snapshot older than the redaction can still see, so
 * first it waits (up to SCRUB_WAIT_MS) until no session of this database
 * holds one: another node's statement in flight, a long query. A session
 * that outlasts the wait (or a replica's hot_standby_feedback, a
 * replication slot) keeps those versions until a later vacuum: the README
 * says so. A VACUUM that fails is owed, tried again after the next commit. */
#define SCRUB_WAIT_MS 5000

static void wait_for_older_snapshots(struct pg_txn *t)
{
    static const char sql[] =
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' AND ((backend_xmin IS NOT NULL AND age(backend_xmin) >= age($1::xid)) "
        "OR (backend_xid IS NOT NULL AND age(backend_xid) >= age($1::xid)))";
    for (int waited = 0; t->scrub_xid[0]; waited += 20) {
        struct pg_args a = {0};
        pa_text(&a, t->scrub_xid);
        PGresult *r = pgc_run(&t->c, sql, &a, false);
        int64_t older = r && PQntuples(r) == 1 ? pg_int(r, 0, 0, 0) : 0;
        PQclear(r);
        if (older == 0)
            return;
        if (waited >= SCRUB_WAIT_MS) {
            log_warn("store: %lld session(s) of the database still see rows from before a redaction after %d ms; "
                     "the VACUUM cannot prune those yet (a later vacuum does)", (long long)older, SCRUB_WAIT_MS);
            return;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void vacuum_scrubbed(struct pg_txn *t)
{
    static const char sql[] = "VACUUM (INDEX_CLEANUP OFF, TRUNCATE false) orders, change_logs, webhook_messages, "
                              "webhook_attempts, system_logs, body_spool, parked_events, return_requests";
    if (t->c.conn)
        wait_for_older_snapshots(t);
    PGresult *r = t->c.conn ? pgc_exec(&t->c, sql) : NULL;
    PQclear(r);
    t->vacuum_owed = r == NULL;
    if (!r)
        log_warn("store: the VACUUM after a redaction failed; trying again after the next commit");
}

static bool pg_run_batch(void *db_, struct store_job *batch, struct store_commit *c)
{
    struct pg_db *db = db_;
    struct pg_txn *t = &db->txn;
    if (writer_connect(t) != 0)
        return false;
    enum try_result r = with_retries(t, batch);
    struct pg_effects done = t->batch;
    if (r == TRY_AGAIN) {
        /* Still conflicting: each job in its own transaction. */
        done = (struct pg_effects){0};
        r = TRY_OK;
        for (struct store_job *j = batch, *next; j; j = next) {
            next = j->next;
            j->next = NULL;
            enum try_result one = t->c.conn ? with_retries(t, j) : TRY_FAILED;
            j->next = next;
            if (one == TRY_OK)
                add_effects(&done, &t->batch);
            else
                j->rc = STORE_EIO;
        }
    }
    if (r != TRY_OK)
        return false;
    if (done.scrubbed || t->vacuum_owed) /* before the replies: a redaction's 200 means gone */
        vacuum_scrubbed(t);
    *c = (struct store_commit){.messages = done.messages,
                               .spooled = done.spooled,
                               .deletes = done.deletes,
                               .endpoints_changed = done.endpoints_changed,
                               .spool_bytes = t->spool_fleet};
    return true;
}

/* Idle for a second: reconnect when the connection went, and see how big
 * the fleet's spool is now (other nodes move it). */
static long long pg_idle(void *db_)
{
    struct pg_db *db = db_;
    struct pg_txn *t = &db->txn;
    if (writer_connect(t) != 0)
        return -1;
    if (t->vacuum_owed)
        vacuum_scrubbed(t);
    PGresult *r = pgc_run(&t->c, "SELECT coalesce(sum(bytes), 0)::bigint FROM spool_counters", NULL, false);
    if (r)
        t->spool_fleet = pg_int(r, 0, 0, t->spool_fleet);
    PQclear(r);
    return t->spool_fleet;
}

/* ---- opening ---- */

static int migrate(struct pg_conn *c, char *err, size_t errlen)
{
    PGresult *r = pgc_exec(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")");
    if (!r)
        goto fail;
    PQclear(r);
    r = pgc_exec(c, "CREATE TABLE IF NOT EXISTS shiprelay_schema (version integer NOT NULL); "
                    "INSERT INTO shiprelay_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM shiprelay_schema)");
    PQclear(r);
    r = r ? pgc_exec(c, "SELECT version FROM shiprelay_schema") : NULL;
    int version = r ? (int)pg_int(r, 0, 0, -1) : -1;
    PQclear(r);
    if (version < 0)
        goto fail;
    if (version > pg_migrations_count) {
        snprintf(err, errlen, "database schema version %d is newer than this shiprelay (%d)", version,
                 pg_migrations_count);
        r = pgc_exec(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")");
        PQclear(r);
        return -1;
    }
    for (int v = version; v < pg_migrations_count; v++) {
        char *sql = xasprintf("BEGIN; %s; UPDATE shiprelay_schema SET version = %d; COMMIT", pg_migrations[v], v + 1);
        r = pgc_exec(c, sql);
        free(sql);
        if (!r) {
            PQclear(pgc_exec(c, "ROLLBACK"));
            goto fail;
        }
        PQclear(r);
        log_info("store: migrated the PostgreSQL schema to version %d", v + 1);
    }
    r = pgc_exec(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")");
    PQclear(r);
    return 0;
fail:
    snprintf(err, errlen, "migrating the PostgreSQL database failed: %s",
             c->conn ? PQerrorMessage(c->conn) : "the connection was lost");
    err[strcspn(err, "\n")] = '\0';
    return -1;
}

/* What this node held before it stopped (a crash, or a stop that left
 * deliveries in flight) goes back at once instead of when its leases run
 * out; its spool counter row exists; the URL key is read (or made). */
static int start_node(struct pg_db *db, long long *spool_bytes, char *err, size_t errlen)
{
    static const char release_messages[] =
        "UPDATE webhook_messages SET claimed_by = NULL, lease_until = NULL, next_attempt_at = $2 "
        "WHERE claimed_by = $1";
    static const char release_bodies[] = "UPDATE body_spool SET claimed_by = NULL, next_try_at = 0 WHERE claimed_by = $1";
    static const char counter[] = "INSERT INTO spool_counters (node, bytes) VALUES ($1, 0) ON CONFLICT DO NOTHING";
    static const char fleet[] = "SELECT coalesce(sum(bytes), 0)::bigint FROM spool_counters";
    static const char key_put[] = "INSERT INTO settings (name, value) VALUES ('url_key', $1) ON CONFLICT DO NOTHING";
    static const char key_get[] = "SELECT value FROM settings WHERE name = 'url_key'";
    struct pg_txn *t = &db->txn;
    struct pg_args a = {0};
    pa_text(&a, db->node);
    pa_int(&a, pg_now_ms());
    int rc = pgc_do(&t->c, release_messages, &a);
    pa_text(&a, db->node);
    rc = rc ? rc : pgc_do(&t->c, release_bodies, &a);
    pa_text(&a, db->node);
    rc = rc ? rc : pgc_do(&t->c, counter, &a);
    PGresult *r = rc ? NULL : pgc_run(&t->c, fleet, NULL, false);
    t->spool_fleet = *spool_bytes = pg_int(r, 0, 0, 0);
    rc = r ? 0 : -1;
    PQclear(r);
    unsigned char key[32];
    crypto_random(key, sizeof key);
    pa_bin(&a, key, sizeof key);
    rc = rc ? rc : pgc_do(&t->c, key_put, &a);
    r = rc ? NULL : pgc_run(&t->c, key_get, NULL, true);
    if (r && PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 32)
        memcpy(db->url_key, PQgetvalue(r, 0, 0), 32);
    else
        rc = -1;
    PQclear(r);
    if (rc)
        snprintf(err, errlen, "cannot start on the PostgreSQL database");
    return rc;
}

static void pg_close(void *db_);

static void *pg_open(const struct store_options *opt, long long *spool_bytes, char *err, size_t errlen)
{
    struct pg_db *db = xcalloc(1, sizeof *db);
    db->url = xstrdup(opt->url ? opt->url : "");
    db->node = xstrdup(opt->node_id && *opt->node_id ? opt->node_id : "node");
    db->lease_ms = opt->lease_ms > 0 ? opt->lease_ms : 60000;
    struct pg_txn *t = &db->txn;
    t->base.be = &store_pg_backend;
    t->db = db;
    t->c.url = db->url;
    t->c.role = "writer";
    t->node = db->node;
    t->single_node = opt->single_node;
    t->lease_ms = db->lease_ms;
    t->spool_max = opt->spool_max;
    t->orders = order_cache_new(opt->order_cache);
    if (pgc_connect(&t->c, err, errlen) != 0 || migrate(&t->c, err, errlen) != 0 ||
        claim_node(t, err, errlen) != 0 || start_node(db, spool_bytes, err, errlen) != 0) {
        pg_close(db);
        return NULL;
    }
    const char *host = PQhost(t->c.conn), *port = PQport(t->c.conn), *name = PQdb(t->c.conn);
    log_info("store: PostgreSQL database %s on %s%s%s, node %s", name ? name : "?", host && *host ? host : "local",
             port && *port ? ":" : "", port ? port : "", db->node);
    return db;
}

static void pg_close(void *db_)
{
    struct pg_db *db = db_;
    struct pg_txn *t = &db->txn;
    pgc_close(&t->c);
    pg_forget_known(t);
    order_cache_free(t->orders);
    free(db->url);
    free(db->node);
    free(db);
}

static int pg_url_key(void *db_, unsigned char key[32], char *err, size_t errlen)
{
    struct pg_db *db = db_;
    memcpy(key, db->url_key, 32);
    return 0;
}

/* ---- readers ---- */

static struct store_reader *pg_reader_open(void *db_, char *err, size_t errlen)
{
    struct pg_db *db = db_;
    struct pg_reader *rd = xcalloc(1, sizeof *rd);
    rd->base.be = &store_pg_backend;
    rd->db = db;
    rd->c.url = db->url;
    rd->c.role = "reader";
    if (pgc_connect(&rd->c, err, errlen) != 0) {
        free(rd);
        return NULL;
    }
    return &rd->base;
}

void pg_reader_close(struct store_reader *base_rd)
{
    struct pg_reader *rd = pg_reader(base_rd);
    pgc_close(&rd->c);
    free(rd);
}

int pg_read_health(struct store_reader *base_rd, char *detail, size_t len)
{
    struct pg_reader *rd = pg_reader(base_rd);
    int64_t now = pg_now_ms();
    if (rd->c.conn && now - rd->health_at < 500) { /* it answered just now */
        snprintf(detail, len, "ok");
        return 0;
    }
    char err[256] = "";
    PGresult *r = pgc_connect(&rd->c, err, sizeof err) == 0 ? pgr_run(&rd->c, "SELECT 1", NULL, false) : NULL;
    snprintf(detail, len, "%s", r ? "ok" : err[0] ? err : "the database does not answer");
    PQclear(r);
    rd->health_at = r ? now : 0;
    return r ? 0 : -1;
}

bool pg_singleton(struct store_reader *base_rd, const char *role)
{
    static const char sql[] = "SELECT pg_try_advisory_lock(hashtextextended('shiprelay role ' || $1, 0))";
    struct pg_reader *rd = pg_reader(base_rd);
    PGresult *alive = pgr_run(&rd->c, "SELECT 1", NULL, false); /* reconnects when the session went */
    PQclear(alive);
    if (!alive)
        return false;
    if (rd->held_generation != rd->c.generation) { /* a new session holds nothing */
        rd->n_held = 0;
        rd->held_generation = rd->c.generation;
    }
    for (int i = 0; i < rd->n_held; i++)
        if (!strcmp(rd->held[i], role))
            return true;
    struct pg_args a = {0};
    pa_text(&a, role);
    PGresult *r = pgc_run(&rd->c, sql, &a, false);
    bool mine = r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (mine && rd->n_held < 4) {
        snprintf(rd->held[rd->n_held++], sizeof rd->held[0], "%s", role);
        log_info("store: this node now runs the %s", role);
    }
    return mine;
}

/* ---- the listener ---- */

struct pg_listener {
    struct store_listener base; /* first: store.h's handle */
    struct pg_conn c;
};

static int listen_connect(struct pg_listener *l, char *err, size_t errlen)
{
    if (pgc_connect(&l->c, err, errlen) != 0)
        return -1;
    PGresult *r = pgc_exec(&l->c, "LISTEN shiprelay_messages; LISTEN shiprelay_endpoints; LISTEN shiprelay_redacted");
    PQclear(r);
    if (!r) {
        snprintf(err, errlen, "cannot LISTEN on PostgreSQL");
        pgc_close(&l->c);
        return -1;
    }
    return 0;
}

static struct store_listener *pg_listen(void *db_, char *err, size_t errlen)
{
    struct pg_db *db = db_;
    struct pg_listener *l = xcalloc(1, sizeof *l);
    l->base.be = &store_pg_backend;
    l->c.url = db->url;
    l->c.role = "listener";
    if (listen_connect(l, err, errlen) != 0) {
        free(l);
        return NULL;
    }
    return &l->base;
}

static int pg_listen_fd(struct store_listener *base)
{
    struct pg_listener *l = (struct pg_listener *)base;
    return l->c.conn ? PQsocket(l->c.conn) : -1;
}

static unsigned pg_listen_read(struct store_listener *base)
{
    struct pg_listener *l = (struct pg_listener *)base;
    if (!l->c.conn) /* notifications were missed meanwhile: everything may have changed */
        return listen_connect(l, NULL, 0) == 0
                   ? STORE_WAKE_RECONNECTED | STORE_WAKE_MESSAGES | STORE_WAKE_ENDPOINTS
                   : STORE_WAKE_LOST;
    if (!PQconsumeInput(l->c.conn)) {
        log_warn("store: lost the listener connection to PostgreSQL");
        pgc_close(&l->c);
        return STORE_WAKE_LOST;
    }
    unsigned out = 0;
    int own = atomic_load(&writer_pid);
    PGnotify *n;
    while ((n = PQnotifies(l->c.conn))) {
        if (!strcmp(n->relname, "shiprelay_redacted"))
            out |= STORE_WAKE_REDACTED;
        else if (n->be_pid != own) /* this node's own commits nudge its dispatcher directly */
            out |= !strcmp(n->relname, "shiprelay_endpoints") ? STORE_WAKE_ENDPOINTS : STORE_WAKE_MESSAGES;
        PQfreemem(n);
    }
    return out;
}

static void pg_listen_close(struct store_listener *base)
{
    struct pg_listener *l = (struct pg_listener *)base;
    pgc_close(&l->c);
    free(l);
}

/* ---- the table store.c forwards through (store_backend.h) ---- */

const struct store_backend store_pg_backend = {
    .name = "postgresql",
    .batch_cap = 64,
    .open = pg_open,
    .close = pg_close,
    .run_batch = pg_run_batch,
    .idle = pg_idle,
    .reader_open = pg_reader_open,
    .url_key = pg_url_key,
    .listen = pg_listen,
    .listen_fd = pg_listen_fd,
    .listen_read = pg_listen_read,
    .listen_close = pg_listen_close,
    .job_undo = pg_job_undo,
    .order_get = pg_order_get,
    .order_peek = pg_order_peek,
    .order_json = pg_order_json,
    .order_insert = pg_order_insert,
    .order_update = pg_order_update,
    .changelog_add = pg_changelog_add,
    .order_by_tracking = pg_order_by_tracking,
    .event_seen = pg_event_seen,
    .park = pg_park,
    .unpark = pg_unpark,
    .outbox_add = pg_outbox_add,
    .endpoint_count = pg_endpoint_count,
    .endpoint_get = pg_endpoint_get,
    .endpoint_put = pg_endpoint_put,
    .endpoint_delete = pg_endpoint_delete,
    .message_requeue = pg_message_requeue,
    .endpoint_hold = pg_endpoint_hold,
    .attempt_record = pg_attempt_record,
    .endpoint_health = pg_endpoint_health,
    .orders_by_customer = pg_orders_by_customer,
    .changelog_redact = pg_changelog_redact,
    .outbox_redact = pg_outbox_redact,
    .history_archive = pg_history_archive,
    .sweep_messages = pg_sweep_messages,
    .sweep_changelogs = pg_sweep_changelogs,
    .sweep_history = pg_sweep_history,
    .sweep_seen = pg_sweep_seen,
    .sweep_parked = pg_sweep_parked,
    .sweep_orders = pg_sweep_orders,
    .stuck_scan = pg_stuck_scan,
    .stuck_mark = pg_stuck_mark,
    .order_last_event = pg_order_last_event,
    .return_get = pg_return_get,
    .return_put = pg_return_put,
    .returns_by_reference = pg_returns_by_reference,
    .returns_by_order = pg_returns_by_order,
    .return_key_put = pg_return_key_put,
    .return_by_key = pg_return_by_key,
    .sweep_returns = pg_sweep_returns,
    .syslog_insert = pg_syslog_insert,
    .spool_moved = pg_spool_moved,
    .spool_retry = pg_spool_retry,
    .body_deleted = pg_body_deleted,
    .syslog_sweep = pg_syslog_sweep,
    .syslog_redact = pg_syslog_redact,
    .syslog_adopt = pg_syslog_adopt,
    .syslog_forget_order = pg_syslog_forget_order,
    .reader_close = pg_reader_close,
    .read_health = pg_read_health,
    .singleton = pg_singleton,
    .read_order = pg_read_order,
    .read_orders = pg_read_orders,
    .read_changelogs = pg_read_changelogs,
    .read_endpoints = pg_read_endpoints,
    .read_messages = pg_read_messages,
    .read_message = pg_read_message,
    .read_attempts = pg_read_attempts,
    .read_sending_endpoints = pg_read_sending_endpoints,
    .claim_due = pg_claim_due,
    .read_next_due = pg_read_next_due,
    .read_body_ref = pg_read_body_ref,
    .read_history = pg_read_history,
    .read_stuck = pg_read_stuck,
    .count_stuck = pg_count_stuck,
    .read_return = pg_read_return,
    .read_returns = pg_read_returns,
    .read_message_counts = pg_read_message_counts,
    .read_pending_by_endpoint = pg_read_pending_by_endpoint,
    .read_syslogs = pg_read_syslogs,
    .read_syslog = pg_read_syslog,
    .read_spooled = pg_read_spooled,
    .claim_spooled = pg_claim_spooled,
    .read_body_deletes = pg_read_body_deletes,
    .read_spool_next = pg_read_spool_next,
};
