/* store_sqlite: the embedded backend of store.h (store_backend.h's table
 * store_sqlite_backend, at the end of this file).
 *
 * Owns: the database file `<dir>/shiprelay.db` (WAL), the versioned
 * migrations, the writer's connection. The writer (store.c's thread) is the
 * only connection that writes; each batch it hands to sq_run_batch is one
 * transaction, so concurrent requests share a commit. The commit itself does
 * not wait for the disk (synchronous=NORMAL); sq_sync, on store.c's syncer
 * thread, fdatasyncs the WAL before any reply goes out, once for every
 * commit made since the last, while the writer runs the next batch. The
 * syncer also copies the WAL into the database (checkpoints, on its own
 * connection, sq_maintain) once it holds CHECKPOINT_FRAMES, so the writer
 * does not; the writer checkpoints only when the WAL reaches
 * WRITER_CHECKPOINT_FRAMES (the copying mostly done by then), which lets the
 * WAL start over from its beginning (a checkpoint beside a busy writer
 * never can). One node: claims (store_claim_due) are the dispatcher's
 * own set, and singletons always run here. */
#include "store.h"
#include "store_sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "jsonutil.h"
#include "log.h"
#include "order_cache.h"
#include "timeutil.h"
#include "xmalloc.h"


/* The backend's store (store_backend.h's db): the database file and the
 * writer's connection. */
struct sq_db {
    char *dir, *path, *wal_path;
    sqlite3 *ckpt;        /* the syncer's connection, for checkpoints only */
    int wal_frames;       /* frames in the WAL after the last commit (atomic) */
    int copied;           /* of them, copied by sq_maintain's last checkpoint (syncer thread only) */
    struct sq_txn txn; /* the writer's connection and statements */
};

static void sq_close(void *db);

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_error("store: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    store_trace_sql(&store_sqlite_backend, sql);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
        log_error("store: prepare %s: %s", sql, sqlite3_errmsg(db));
        return NULL;
    }
    return s;
}

static sqlite3 *open_db(const char *path, bool readonly, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    /* Savepoint journals and temporary tables in memory: on disk, once a job's journal outgrew
     * 64 KiB, every later job paid a pwrite per page it touched (issue 9), and each one put a
     * copy of what the job replaced into a file that secure_delete does not reach. */
    sqlite3_exec(db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
    return db;
}

#define CHECKPOINT_FRAMES 1000        /* SQLite's own default */
#define WRITER_CHECKPOINT_FRAMES 8000 /* about 32 MiB of WAL */

/* The schema version (migration count) from which databases were written with secure_delete. */
#define SECURE_DELETE_SINCE 15

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    /* secure_delete: what a write removes or replaces is overwritten with zeros, in its page and in
     * the pages it frees, so a redaction leaves no copy in free space (issue 12, redaction) */
    if (exec(db, "PRAGMA journal_mode=WAL") || exec(db, "PRAGMA synchronous=NORMAL") ||
        exec(db, "PRAGMA secure_delete=ON"))
        goto fail;
    sqlite3_stmt *s = prep(db, "PRAGMA user_version");
    if (!s)
        goto fail;
    int version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    if (version < 0 || version > store_migrations_count) {
        snprintf(err, errlen, "database schema version %d is newer than this shiprelay (%d)", version,
                 store_migrations_count);
        return -1;
    }
    for (int v = version; v < store_migrations_count; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version=%d", v + 1);
        if (exec(db, "BEGIN IMMEDIATE") || exec(db, store_migrations[v]) || exec(db, bump) || exec(db, "COMMIT")) {
            exec(db, "ROLLBACK");
            goto fail;
        }
        log_info("store: migrated schema to version %d", v + 1);
    }
    /* A database from before secure_delete (migration 15) may keep deleted data in free pages: once,
     * rewrite it (VACUUM runs outside a transaction; it takes a while on a big database). */
    if (version > 0 && version < SECURE_DELETE_SINCE && store_migrations_count >= SECURE_DELETE_SINCE) {
        log_info("store: rewriting the database once so no deleted data stays in its free pages");
        if (exec(db, "VACUUM") || exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"))
            goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "migrating the database failed: %s", sqlite3_errmsg(db));
    return -1;
}

/* ---- shared helpers (store_sqlite_int.h) ---- */

sqlite3_stmt *sq_stmt(sqlite3 *db, struct stmt_cache *c, const char *sql)
{
    for (int i = 0; i < c->n; i++)
        if (c->sql[i] == sql)
            return c->stmt[i];
    if (c->n == STMT_CACHE_MAX)
        abort(); /* raise STMT_CACHE_MAX: a programming error, not a runtime one */
    sqlite3_stmt *s = prep(db, sql);
    if (s) {
        c->sql[c->n] = sql;
        c->stmt[c->n++] = s;
    }
    return s;
}

void sq_cache_free(struct stmt_cache *c)
{
    for (int i = 0; i < c->n; i++)
        sqlite3_finalize(c->stmt[i]);
    c->n = 0;
}

void sq_text(sqlite3_stmt *s, int idx, const char *text)
{
    if (text)
        sqlite3_bind_text(s, idx, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, idx);
}

int sq_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT)
        log_error("store: write: %s", sqlite3_errmsg(sqlite3_db_handle(s)));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? STORE_OK : rc == SQLITE_CONSTRAINT ? STORE_EXISTS : STORE_EIO;
}

json_t *sq_rows(sqlite3_stmt *s)
{
    json_t *out = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *row = json_object();
        for (int c = 0; c < sqlite3_column_count(s); c++) {
            const char *name = sqlite3_column_name(s, c);
            size_t nl = strlen(name);
            json_t *v;
            switch (sqlite3_column_type(s, c)) {
            case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(s, c)); break;
            case SQLITE_FLOAT: v = json_real(sqlite3_column_double(s, c)); break;
            case SQLITE_NULL: v = json_null(); break;
            default: {
                const char *t = (const char *)sqlite3_column_text(s, c);
                if (nl > 5 && strcmp(name + nl - 5, "_json") == 0) {
                    v = json_loads(t, JSON_DECODE_ANY, NULL);
                    if (!v)
                        v = json_null();
                } else
                    v = json_string(t);
            }
            }
            if (nl > 5 && strcmp(name + nl - 5, "_json") == 0) {
                char key[64];
                snprintf(key, sizeof key, "%.*s", (int)(nl - 5), name);
                json_object_set_new(row, key, v);
            } else
                json_object_set_new(row, name, v);
        }
        json_array_append_new(out, row);
    }
    if (rc != SQLITE_DONE) {
        log_error("store: read: %s", sqlite3_errmsg(sqlite3_db_handle(s)));
        json_decref(out);
        out = NULL;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return out;
}

int sq_spool_account(struct sq_txn *txn, long long len)
{
    long long after = txn->spool_committed + txn->batch.spool_delta + txn->job.spool_delta + len;
    if (len > 0 && txn->spool_max > 0 && after > txn->spool_max)
        return STORE_SPOOL_FULL;
    txn->job.spool_delta += len;
    txn->job.spooled |= len > 0;
    return STORE_OK;
}

/* ---- the writer (store.c runs the thread; run_batch is one transaction) ---- */

/* A transaction-control statement, prepared once (sqlite3_exec would parse
 * it again for every job). 0 or -1. */
static int run_control(struct sq_txn *t, const char *sql)
{
    sqlite3_stmt *s = sq_stmt(t->db, &t->cache, sql);
    if (!s)
        return -1;
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        log_error("store: %s: %s", sql, sqlite3_errmsg(t->db));
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sq_job_undo(struct store_txn *base_txn)
{
    struct sq_txn *txn = sq_txn(base_txn);
    txn->job = (struct txn_effects){0};
    order_cache_clear(txn->orders); /* it may hold what is being undone */
    sq_forget_known(txn);
    return run_control(txn, "ROLLBACK TO job") == 0 ? STORE_OK : STORE_EIO;
}

static void add_effects(struct txn_effects *into, const struct txn_effects *e)
{
    into->messages += e->messages;
    into->spool_delta += e->spool_delta;
    into->parked_delta += e->parked_delta;
    into->spooled |= e->spooled;
    into->deletes |= e->deletes;
    into->endpoints_changed |= e->endpoints_changed;
    into->scrubbed |= e->scrubbed;
}

/* After a commit that took personal data out: its old versions are in WAL
 * frames (and, until a checkpoint, the pages they replace in the database
 * file). Copy everything into the database (whose freed content
 * secure_delete has zeroed) and truncate the WAL to nothing. Readers in the
 * middle of a read can make it wait (the busy timeout). The syncer's own
 * checkpoint (sq_maintain) makes it fail at once with SQLITE_BUSY: that one
 * is short, so try again, for up to 3 s in all. Failing still, it is owed,
 * and tried again after the next commit. */
static void checkpoint_truncate(struct sq_txn *t)
{
    int log = 0, done = 0, rc;
    int64_t until = time_now_ms() + 3000;
    while ((rc = sqlite3_wal_checkpoint_v2(t->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done)) == SQLITE_BUSY &&
           time_now_ms() < until)
        usleep(1000);
    t->checkpoint_owed = rc != SQLITE_OK;
    if (rc != SQLITE_OK)
        log_warn("store: the WAL could not be truncated after a redaction (%s); trying again after the next commit",
                 sqlite3_errmsg(t->db));
}

/* Run one job in its savepoint. False when the transaction is lost: SQLite
 * rolls the whole transaction back by itself on some errors (a full disk,
 * an I/O error), and then nothing of the batch may be reported as kept. */
static bool run_job(struct sq_txn *t, struct store_job *j)
{
    sqlite3 *db = t->db;
    t->job = (struct txn_effects){0};
    if (run_control(t, "SAVEPOINT job") != 0)
        return false;
    j->rc = j->fn(&t->base, j->arg);
    sq_forget_known(t); /* what the job handed out may be freed now */
    if (sqlite3_get_autocommit(db))
        return false;
    if (j->rc != STORE_OK && sq_job_undo(&t->base) != STORE_OK)
        return false;
    if (run_control(t, "RELEASE job") != 0)
        return false;
    add_effects(&t->batch, &t->job);
    return true;
}

/* The counters the writer keeps in memory are written in the same commit
 * as what changed them. */
static int save_counter(struct sq_txn *t, const char *name, long long value)
{
    static const char sql[] = "UPDATE counters SET value = ?2 WHERE name = ?1";
    sqlite3_stmt *s = sq_stmt(t->db, &t->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, name);
    sqlite3_bind_int64(s, 2, value);
    return sq_done(s);
}

static bool sq_run_batch(void *db_, struct store_job *batch, struct store_commit *c)
{
    struct sq_db *sdb = db_;
    struct sq_txn *t = &sdb->txn;
    sqlite3 *db = t->db;
    t->batch = (struct txn_effects){0};
    bool ok = run_control(t, "BEGIN IMMEDIATE") == 0;
    for (struct store_job *j = batch; j && ok; j = j->next)
        ok = run_job(t, j);
    if (ok && t->batch.spool_delta)
        ok = save_counter(t, "spool_bytes", t->spool_committed + t->batch.spool_delta) == STORE_OK;
    if (ok && t->batch.parked_delta)
        ok = save_counter(t, "parked_events", t->parked_committed + t->batch.parked_delta) == STORE_OK;
    if (ok && run_control(t, "COMMIT") != 0)
        ok = false;
    if (!ok && !sqlite3_get_autocommit(db))
        exec(db, "ROLLBACK");
    if (!ok) {
        order_cache_clear(t->orders);
        return false;
    }
    t->spool_committed += t->batch.spool_delta;
    t->parked_committed += t->batch.parked_delta;
    if (t->batch.scrubbed || t->checkpoint_owed) /* before the replies: a redaction's 200 means gone */
        checkpoint_truncate(t);
    *c = (struct store_commit){.messages = t->batch.messages,
                               .spooled = t->batch.spooled,
                               .deletes = t->batch.deletes,
                               .endpoints_changed = t->batch.endpoints_changed,
                               .spool_bytes = t->spool_committed};
    return true;
}

static int prepare_writer(struct sq_txn *t)
{
    t->get_by_id = prep(t->db, "SELECT doc FROM orders WHERE tenant=?1 AND order_id=?2");
    t->get_by_ref = prep(t->db, "SELECT doc FROM orders WHERE tenant=?1 AND partner_order_reference=?2");
    t->insert = prep(t->db, "INSERT INTO orders (tenant, order_id, partner_order_reference, doc, update_date, status, "
                            "merchant, customer_key, creation_date, sub_status, status_since) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?5)");
    t->log = prep(t->db, "INSERT INTO change_logs (tenant, order_id, log_date, change_type, source, entity_type, "
                         "entity_id, field, old_value, new_value, update_source) "
                         "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
    t->key_put = prep(t->db, "INSERT OR REPLACE INTO shipment_keys (tenant, tracking_no, order_id) VALUES (?1,?2,?3)");
    t->get_by_tracking = prep(t->db, "SELECT order_id FROM shipment_keys WHERE tenant=?1 AND tracking_no=?2");
    t->seen = prep(t->db, "INSERT OR IGNORE INTO seen_events (tenant, source, key, received_date) VALUES (?1,?2,?3,?4)");
    t->park = prep(t->db, "INSERT INTO parked_events (tenant, source, tracking_no, partner_order_reference, event, "
                          "received_date, partner_shipment_reference) VALUES (?1,?2,?3,?4,?5,?6,?7)");
    /* Three indexed lookups (an OR over them would read all the tenant's parked events). */
    t->parked_for = prep(t->db, "SELECT id, source, event FROM parked_events WHERE tenant=?1 AND "
                                "partner_order_reference=?2 UNION SELECT id, source, event FROM parked_events "
                                "WHERE tenant=?1 AND tracking_no IN (SELECT value FROM json_each(?3)) UNION "
                                "SELECT id, source, event FROM parked_events WHERE tenant=?1 AND "
                                "partner_shipment_reference IN (SELECT value FROM json_each(?4)) ORDER BY id");
    t->unpark = prep(t->db, "DELETE FROM parked_events WHERE id=?1");
    sqlite3_stmt *all[] = {t->get_by_id, t->get_by_ref, t->insert, t->log,
                           t->key_put,   t->get_by_tracking, t->seen, t->park,   t->parked_for, t->unpark};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!all[i])
            return -1;
    return 0;
}

static int load_counter(struct sq_txn *t, const char *name, long long *out)
{
    sqlite3_stmt *s = prep(t->db, "SELECT value FROM counters WHERE name = ?1");
    if (s)
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = s && sqlite3_step(s) == SQLITE_ROW ? 0 : -1;
    if (rc == 0)
        *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

/* After each commit of the writer (its WAL hook, in place of SQLite's
 * autocheckpoint): note the WAL's length for sq_maintain; past
 * WRITER_CHECKPOINT_FRAMES, checkpoint here (see the header). */
static int on_wal(void *arg, sqlite3 *conn, const char *name, int frames)
{
    struct sq_db *db = arg;
    __atomic_store_n(&db->wal_frames, frames, __ATOMIC_RELAXED);
    if (frames >= WRITER_CHECKPOINT_FRAMES)
        sqlite3_wal_checkpoint_v2(conn, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* On the syncer thread, after a round's replies: copy what the WAL holds
 * into the database once there is enough of it. */
static void sq_maintain(void *db_)
{
    struct sq_db *db = db_;
    int frames = __atomic_load_n(&db->wal_frames, __ATOMIC_RELAXED);
    if (frames < db->copied) /* the WAL started over */
        db->copied = 0;
    if (frames - db->copied < CHECKPOINT_FRAMES)
        return;
    int log = 0, done = 0;
    if (sqlite3_wal_checkpoint_v2(db->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK)
        db->copied = done;
}

static void *sq_open(const struct store_options *opt, long long *spool_bytes, char *err, size_t errlen)
{
    const char *dir = opt->dir;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create storage dir %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct sq_db *db = xcalloc(1, sizeof *db);
    db->dir = xstrdup(dir);
    db->path = xasprintf("%s/shiprelay.db", dir);
    db->wal_path = xasprintf("%s-wal", db->path);
    struct sq_txn *t = &db->txn;
    t->base.be = &store_sqlite_backend;
    t->spool_max = opt->spool_max;
    t->orders = order_cache_new(opt->order_cache);
    t->db = open_db(db->path, false, err, errlen);
    if (!t->db || migrate(t->db, err, errlen) != 0 || prepare_writer(t) != 0 ||
        load_counter(t, "spool_bytes", &t->spool_committed) != 0 ||
        load_counter(t, "parked_events", &t->parked_committed) != 0) {
        if (t->db && !err[0])
            snprintf(err, errlen, "cannot prepare statements: %s", sqlite3_errmsg(t->db));
        sq_close(db);
        return NULL;
    }
    db->ckpt = open_db(db->path, false, err, errlen);
    if (!db->ckpt || exec(db->ckpt, "PRAGMA journal_mode=WAL") != 0) { /* (opens the file: a checkpoint needs it) */
        sq_close(db);
        return NULL;
    }
    sqlite3_wal_hook(t->db, on_wal, db);
    *spool_bytes = t->spool_committed;
    return db;
}

static void sq_close(void *db_)
{
    struct sq_db *db = db_;
    struct sq_txn *t = &db->txn;
    sqlite3_stmt *stmts[] = {t->get_by_id, t->get_by_ref, t->insert, t->log,
                             t->key_put,   t->get_by_tracking, t->seen, t->park,   t->parked_for, t->unpark};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        sqlite3_finalize(stmts[i]);
    sq_cache_free(&t->cache);
    sq_forget_known(t);
    order_cache_free(t->orders);
    sqlite3_close_v2(t->db);
    sqlite3_close_v2(db->ckpt);
    free(db->path);
    free(db->wal_path);
    free(db->dir);
    free(db);
}

/* Everything committed so far durable: the commits' frames are in the WAL
 * (synchronous=NORMAL wrote them without a sync), so one fdatasync of the
 * WAL makes all of them durable, as synchronous=FULL would have at each
 * commit. Opened by name each time: the file stays while the writer's
 * connection is open, but this way no descriptor can outlive it. */
static int sq_sync(void *db_)
{
    struct sq_db *db = db_;
    int fd = open(db->wal_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fdatasync(fd) != 0) {
        log_error("store: fdatasync %s: %s", db->wal_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* The key that signs local download URLs: made once, kept in the storage dir. */
static int sq_url_key(void *db_, unsigned char key[32], char *err, size_t errlen)
{
    struct sq_db *db = db_;
    char *path = xasprintf("%s/url.key", db->dir);
    int fd = open(path, O_RDONLY);
    int rc = 0;
    if (fd >= 0) {
        rc = read(fd, key, 32) == 32 ? 0 : -1;
        close(fd);
    } else {
        crypto_random(key, 32);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        rc = fd >= 0 && write(fd, key, 32) == 32 && fsync(fd) == 0 ? 0 : -1;
        if (fd >= 0)
            close(fd);
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot read or create %s", path);
    free(path);
    return rc;
}

/* ---- statements shared by the writer and the readers ---- */

static json_t *fetch_doc(sqlite3_stmt *s, const char *tenant, const char *ref, bool *failed)
{
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ref, -1, SQLITE_STATIC);
    json_t *doc = NULL;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        doc = json_loadb((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0), 0, NULL);
        if (!doc && failed)
            *failed = true;
    } else if (rc != SQLITE_DONE) {
        log_error("store: read: %s", sqlite3_errmsg(sqlite3_db_handle(s)));
        if (failed)
            *failed = true;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return doc;
}

static int step_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT)
        log_error("store: write: %s", sqlite3_errmsg(sqlite3_db_handle(s)));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? STORE_OK : rc == SQLITE_CONSTRAINT ? STORE_EXISTS : STORE_EIO;
}

/* Remember that doc (handed out or just stored in this job) has text as
 * its stored form, for store_order_json. */
static void remember(struct sq_txn *t, const json_t *doc, const char *text)
{
    int i = t->n_known < ORDER_KNOWN_MAX ? t->n_known++ : (t->known_next++ % ORDER_KNOWN_MAX);
    free(t->known[i].text);
    t->known[i].doc = doc;
    t->known[i].text = xstrdup(text);
}

void sq_forget_known(struct sq_txn *t)
{
    for (int i = 0; i < t->n_known; i++) {
        free(t->known[i].text);
        t->known[i].text = NULL;
    }
    t->n_known = 0;
}

/* The order from the cache, or read and parsed (and then cached): shared
 * with the cache, or (copy) the caller's own. */
static json_t *order_read(struct sq_txn *txn, const char *tenant, enum store_key key, const char *ref, bool copy)
{
    const json_t *cached;
    const char *text;
    if (order_cache_get(txn->orders, tenant, key == STORE_KEY_PARTNER_REF, ref, &cached, &text, NULL)) {
        json_t *doc = copy ? json_deep_copy(cached) : json_incref((json_t *)cached);
        remember(txn, doc, text);
        return doc;
    }
    sqlite3_stmt *s = key == STORE_KEY_ORDER_ID ? txn->get_by_id : txn->get_by_ref;
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ref, -1, SQLITE_STATIC);
    json_t *doc = NULL;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        doc = json_loadb(t, (size_t)sqlite3_column_bytes(s, 0), 0, NULL);
        if (doc) {
            order_cache_put(txn->orders, tenant, copy ? json_deep_copy(doc) : json_incref(doc), t, 0);
            remember(txn, doc, t);
        }
    } else if (rc != SQLITE_DONE)
        log_error("store: read: %s", sqlite3_errmsg(txn->db));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return doc;
}

json_t *sq_order_get(struct store_txn *base_txn, const char *tenant, enum store_key key, const char *ref)
{
    struct sq_txn *txn = sq_txn(base_txn);
    return order_read(txn, tenant, key, ref, true);
}

json_t *sq_order_peek(struct store_txn *base_txn, const char *tenant, enum store_key key, const char *ref)
{
    struct sq_txn *txn = sq_txn(base_txn);
    return order_read(txn, tenant, key, ref, false);
}

char *sq_order_json(struct store_txn *base_txn, const json_t *doc)
{
    struct sq_txn *txn = sq_txn(base_txn);
    for (int i = 0; i < txn->n_known; i++)
        if (txn->known[i].doc == doc)
            return xstrdup(txn->known[i].text);
    return ju_dump(doc);
}

static const char *order_status(const json_t *order)
{
    const char *st = json_string_value(json_object_get(order, "status"));
    return st ? st : "";
}

/* Equal JSON values, or both absent. */
static bool same_value(const json_t *a, const json_t *b)
{
    return a == b || (a && b && json_equal(a, b));
}

/* The keys (tracking numbers, "psr:" references) an order's shipments are
 * found by, as an object used as a set. */
static json_t *shipment_keys(const json_t *order)
{
    json_t *set = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        const char *trk = json_string_value(json_object_get(s, "tracking_no"));
        const char *psr = json_string_value(json_object_get(s, "partner_shipment_reference"));
        if (trk)
            json_object_set_new(set, trk, json_true());
        if (psr) {
            char *k = xasprintf("psr:%s", psr);
            json_object_set_new(set, k, json_true());
            free(k);
        }
    }
    return set;
}

/* Keep the tracking-number index in step with the order's shipments: the
 * keys it did not have before (prev: the order as stored before, or NULL). */
static int index_shipments(struct sq_txn *txn, const char *tenant, const json_t *order, const json_t *prev)
{
    const char *order_id = json_string_value(json_object_get(order, "order_id"));
    json_t *now = shipment_keys(order), *was = prev ? shipment_keys(prev) : json_object();
    int rc = STORE_OK;
    const char *k;
    json_t *v;
    json_object_foreach(now, k, v)
    {
        if (rc != STORE_OK || json_object_get(was, k))
            continue;
        sqlite3_bind_text(txn->key_put, 1, tenant, -1, SQLITE_STATIC);
        sqlite3_bind_text(txn->key_put, 2, k, -1, SQLITE_STATIC);
        sqlite3_bind_text(txn->key_put, 3, order_id, -1, SQLITE_STATIC);
        rc = step_done(txn->key_put) == STORE_OK ? STORE_OK : STORE_EIO;
    }
    json_decref(now);
    json_decref(was);
    return rc;
}

/* After a successful write: the cache (which keeps order itself: the
 * caller does not change it after storing it, store.h) and
 * store_order_json know it. */
static void written(struct sq_txn *txn, const char *tenant, const json_t *order, const char *text)
{
    order_cache_put(txn->orders, tenant, json_incref((json_t *)order), text, 0);
    remember(txn, order, text);
}

/* The columns beside the document that the list filters use (at merchant, then the next two). */
static void bind_columns(sqlite3_stmt *s, int merchant, int customer_key, const json_t *order)
{
    sq_text(s, customer_key + 1, json_string_value(json_object_get(order, "sub_status")));
    const char *m = json_string_value(json_object_get(order, "merchant"));
    sq_text(s, merchant, m ? m : "");
    const char *ck = json_string_value(json_object_get(order, "customer_key"));
    sq_text(s, customer_key, ck ? ck : json_string_value(json_object_get(json_object_get(order, "customer"), "customer_key")));
}

/* An order's columns beside its document: the list filters' and the stuck
 * scan's. Each is rewritten only when its value changed, so a write that
 * changes neither status nor references leaves their index entries alone:
 * one statement per combination of the three groups that changed. */
#define UPD_HEAD "UPDATE orders SET doc=?3, update_date=?4"
#define UPD_KEYS ", partner_order_reference=?6, merchant=?7, customer_key=?8"
/* a status that changed starts a new episode: status_since is now, and no order.stuck fired for it yet
 * (compared with the stored status, so it holds when the caller could not tell) */
#define UPD_STATUS ", status_since = CASE WHEN status = ?5 THEN status_since ELSE ?4 END, " \
                   "stuck_since = CASE WHEN status = ?5 THEN stuck_since ELSE NULL END, status=?5"
#define UPD_SUB ", sub_status=?9"
#define UPD_TAIL " WHERE tenant=?1 AND order_id=?2"
enum { UPD_K = 1, UPD_S = 2, UPD_U = 4 };
static const char *const update_sql[8] = {
    UPD_HEAD UPD_TAIL,
    UPD_HEAD UPD_KEYS UPD_TAIL,
    UPD_HEAD UPD_STATUS UPD_TAIL,
    UPD_HEAD UPD_KEYS UPD_STATUS UPD_TAIL,
    UPD_HEAD UPD_SUB UPD_TAIL,
    UPD_HEAD UPD_KEYS UPD_SUB UPD_TAIL,
    UPD_HEAD UPD_STATUS UPD_SUB UPD_TAIL,
    UPD_HEAD UPD_KEYS UPD_STATUS UPD_SUB UPD_TAIL,
};

/* Which column groups differ between order and prev (all when prev is unknown). */
static int changed_columns(const json_t *order, const json_t *prev)
{
    if (!prev)
        return UPD_K | UPD_S | UPD_U;
    static const char *keyed[] = {"partner_order_reference", "merchant", "customer_key"};
    int what = 0;
    for (size_t k = 0; k < sizeof keyed / sizeof keyed[0]; k++)
        if (!same_value(json_object_get(order, keyed[k]), json_object_get(prev, keyed[k])))
            what |= UPD_K;
    if (!same_value(json_object_get(json_object_get(order, "customer"), "customer_key"),
                    json_object_get(json_object_get(prev, "customer"), "customer_key")))
        what |= UPD_K;
    if (strcmp(order_status(order), order_status(prev)) != 0)
        what |= UPD_S;
    const char *a = json_string_value(json_object_get(order, "sub_status"));
    const char *b = json_string_value(json_object_get(prev, "sub_status"));
    if ((a || b) && !(a && b && !strcmp(a, b)))
        what |= UPD_U;
    return what;
}

int sq_order_insert(struct store_txn *base_txn, const char *tenant, const json_t *order)
{
    struct sq_txn *txn = sq_txn(base_txn);
    char *doc = ju_dump(order);
    sqlite3_stmt *s = txn->insert;
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, json_string_value(json_object_get(order, "order_id")), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, json_string_value(json_object_get(order, "partner_order_reference")), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, json_string_value(json_object_get(order, "update_date")), -1, SQLITE_STATIC);
    sq_text(s, 6, order_status(order));
    bind_columns(s, 7, 8, order);
    const char *created = json_string_value(json_object_get(order, "creation_date"));
    sq_text(s, 9, created ? created : json_string_value(json_object_get(order, "update_date")));
    sq_text(s, 10, json_string_value(json_object_get(order, "sub_status")));
    int rc = step_done(s);
    if (rc == STORE_OK)
        rc = index_shipments(txn, tenant, order, NULL);
    if (rc == STORE_OK)
        written(txn, tenant, order, doc);
    free(doc);
    return rc;
}

int sq_order_update(struct store_txn *base_txn, const char *tenant, const json_t *order)
{
    struct sq_txn *txn = sq_txn(base_txn);
    const char *order_id = json_string_value(json_object_get(order, "order_id"));
    const json_t *prev = NULL;
    const char *prev_text;
    if (!order_cache_get(txn->orders, tenant, false, order_id, &prev, &prev_text, NULL))
        prev = NULL;
    int what = changed_columns(order, prev);
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, update_sql[what]);
    if (!s)
        return STORE_EIO;
    char *doc = ju_dump(order);
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, order_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, json_string_value(json_object_get(order, "update_date")), -1, SQLITE_STATIC);
    if (what & UPD_S)
        sq_text(s, 5, order_status(order));
    if (what & UPD_K) {
        sq_text(s, 6, json_string_value(json_object_get(order, "partner_order_reference")));
        bind_columns(s, 7, 8, order);
    }
    if (what & UPD_U)
        sq_text(s, 9, json_string_value(json_object_get(order, "sub_status")));
    int rc = step_done(s);
    if (rc == STORE_EXISTS) {
        free(doc);
        return STORE_EXISTS; /* another order of the tenant has that partner_order_reference */
    }
    if (rc != STORE_OK || sqlite3_changes(txn->db) != 1)
        rc = STORE_EIO;
    if (rc == STORE_OK)
        rc = index_shipments(txn, tenant, order, prev);
    if (rc == STORE_OK)
        written(txn, tenant, order, doc);
    free(doc);
    return rc;
}

json_t *sq_order_by_tracking(struct store_txn *base_txn, const char *tenant, const char *tracking_no)
{
    struct sq_txn *txn = sq_txn(base_txn);
    sqlite3_stmt *s = txn->get_by_tracking;
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, tracking_no, -1, SQLITE_STATIC);
    char *order_id = sqlite3_step(s) == SQLITE_ROW ? xstrdup((const char *)sqlite3_column_text(s, 0)) : NULL;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    json_t *doc = order_id ? order_read(txn, tenant, STORE_KEY_ORDER_ID, order_id, false) : NULL;
    free(order_id);
    return doc;
}

int sq_event_seen(struct store_txn *base_txn, const char *tenant, const char *source, const char *key,
                     const char *now_iso)
{
    struct sq_txn *txn = sq_txn(base_txn);
    sqlite3_stmt *s = txn->seen;
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, now_iso, -1, SQLITE_STATIC);
    if (step_done(s) != STORE_OK)
        return STORE_EIO;
    return sqlite3_changes(txn->db) == 0 ? 1 : 0;
}

int sq_park(struct store_txn *base_txn, const char *tenant, const char *source, const json_t *event, const char *now_iso)
{
    struct sq_txn *txn = sq_txn(base_txn);
    char *doc = ju_dump(event);
    sqlite3_stmt *s = txn->park;
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, json_string_value(json_object_get(event, "tracking_no")), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, json_string_value(json_object_get(event, "partner_order_reference")), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, now_iso, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, json_string_value(json_object_get(event, "partner_shipment_reference")), -1, SQLITE_STATIC);
    int rc = step_done(s);
    free(doc);
    if (rc == STORE_OK)
        txn->job.parked_delta++;
    return rc;
}

json_t *sq_unpark(struct store_txn *base_txn, const char *tenant, const json_t *order)
{
    struct sq_txn *txn = sq_txn(base_txn);
    /* Nothing parked at all (the usual case): nothing to look up. */
    if (txn->parked_committed + txn->batch.parked_delta + txn->job.parked_delta <= 0)
        return json_array();
    json_t *trks = json_array();
    size_t i;
    json_t *sh;
    json_array_foreach(json_object_get(order, "shipments"), i, sh)
    {
        json_t *t = json_object_get(sh, "tracking_no");
        if (json_is_string(t))
            json_array_append(trks, t);
    }
    json_t *psrs = json_array();
    json_array_foreach(json_object_get(order, "shipments"), i, sh)
    {
        json_t *p = json_object_get(sh, "partner_shipment_reference");
        if (json_is_string(p))
            json_array_append(psrs, p);
    }
    char *list = ju_dump(trks), *psr_list = ju_dump(psrs);
    json_decref(trks);
    json_decref(psrs);
    sqlite3_stmt *s = txn->parked_for;
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, json_string_value(json_object_get(order, "partner_order_reference")), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, list, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, psr_list, -1, SQLITE_STATIC);
    json_t *out = json_array();
    json_t *ids = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *ev = json_loads((const char *)sqlite3_column_text(s, 2), 0, NULL);
        if (ev)
            json_array_append_new(out, json_pack("{s:s,s:o}", "source", (const char *)sqlite3_column_text(s, 1), "event", ev));
        json_array_append_new(ids, json_integer(sqlite3_column_int64(s, 0)));
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    free(list);
    free(psr_list);
    if (rc != SQLITE_DONE) {
        json_decref(ids);
        json_decref(out);
        return NULL;
    }
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        sqlite3_bind_int64(txn->unpark, 1, json_integer_value(id));
        if (step_done(txn->unpark) != STORE_OK) {
            json_decref(ids);
            json_decref(out);
            return NULL;
        }
        txn->job.parked_delta--;
    }
    json_decref(ids);
    return out;
}

/* Values are stored as JSON text (NULL for none) so they come back with their type. */
static void bind_value(sqlite3_stmt *s, int idx, const json_t *v, char **scratch)
{
    if (!v || json_is_null(v)) {
        sqlite3_bind_null(s, idx);
        return;
    }
    *scratch = ju_dump(v);
    sqlite3_bind_text(s, idx, *scratch, -1, SQLITE_STATIC);
}

int sq_changelog_add(struct store_txn *base_txn, const char *tenant, const char *order_id, const char *log_date,
                        const char *source, const json_t *changes)
{
    struct sq_txn *txn = sq_txn(base_txn);
    size_t i;
    json_t *e;
    json_array_foreach(changes, i, e)
    {
        sqlite3_stmt *s = txn->log;
        char *scratch[3] = {0};
        sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, order_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, log_date, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, json_string_value(json_object_get(e, "change_type")), -1, SQLITE_STATIC);
        const char *own = json_string_value(json_object_get(e, "source"));
        sqlite3_bind_text(s, 5, own ? own : source, -1, SQLITE_STATIC);
        const char *cols[] = {"entity_type", "entity_id", "field"};
        for (int c = 0; c < 3; c++)
            sqlite3_bind_text(s, 6 + c, json_string_value(json_object_get(e, cols[c])), -1, SQLITE_STATIC);
        bind_value(s, 9, json_object_get(e, "old_value"), &scratch[0]);
        bind_value(s, 10, json_object_get(e, "new_value"), &scratch[1]);
        bind_value(s, 11, json_object_get(e, "update_source"), &scratch[2]);
        int rc = step_done(s);
        free(scratch[0]);
        free(scratch[1]);
        free(scratch[2]);
        if (rc != STORE_OK)
            return STORE_EIO;
    }
    return STORE_OK;
}

/* ---- readers ---- */

int sq_read_health(struct store_reader *rd, char *detail, size_t len)
{
    snprintf(detail, len, "ok"); /* a file beside the relay: there when the relay is */
    return 0;
}

bool sq_singleton(struct store_reader *rd, const char *role)
{
    return true; /* one node */
}

#define LOG_COLUMNS "log_date, change_type, source, entity_type, entity_id, field, old_value, new_value, update_source"

static struct store_reader *sq_reader_open(void *db_, char *err, size_t errlen)
{
    struct sq_db *db = db_;
    struct sq_reader *rd = xcalloc(1, sizeof *rd);
    rd->base.be = &store_sqlite_backend;
    rd->db = open_db(db->path, true, err, errlen);
    if (!rd->db) {
        free(rd);
        return NULL;
    }
    rd->get_by_id = prep(rd->db, "SELECT doc FROM orders WHERE tenant=?1 AND order_id=?2");
    rd->get_by_ref = prep(rd->db, "SELECT doc FROM orders WHERE tenant=?1 AND partner_order_reference=?2");
    rd->logs_asc = prep(rd->db, "SELECT " LOG_COLUMNS " FROM change_logs WHERE tenant=?1 AND order_id=?2 ORDER BY id");
    rd->logs_desc =
        prep(rd->db, "SELECT " LOG_COLUMNS " FROM change_logs WHERE tenant=?1 AND order_id=?2 ORDER BY id DESC");
    if (!rd->get_by_id || !rd->get_by_ref || !rd->logs_asc || !rd->logs_desc) {
        snprintf(err, errlen, "cannot prepare reader statements");
        sq_reader_close(&rd->base);
        return NULL;
    }
    return &rd->base;
}

void sq_reader_close(struct store_reader *base_rd)
{
    struct sq_reader *rd = sq_reader(base_rd);
    sqlite3_finalize(rd->get_by_id);
    sqlite3_finalize(rd->get_by_ref);
    sqlite3_finalize(rd->logs_asc);
    sqlite3_finalize(rd->logs_desc);
    sq_cache_free(&rd->cache);
    sqlite3_close_v2(rd->db);
    free(rd);
}

json_t *sq_read_order(struct store_reader *base_rd, const char *tenant, enum store_key key, const char *ref,
                         bool *failed)
{
    struct sq_reader *rd = sq_reader(base_rd);
    return fetch_doc(key == STORE_KEY_ORDER_ID ? rd->get_by_id : rd->get_by_ref, tenant, ref, failed);
}

static json_t *column_value(sqlite3_stmt *s, int col)
{
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return json_null();
    const char *t = (const char *)sqlite3_column_text(s, col);
    json_t *v = json_loads(t, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(t);
}

json_t *sq_read_changelogs(struct store_reader *base_rd, const char *tenant, const char *order_id, bool newest_first)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char *names[] = {"log_date", "change_type", "source",    "entity_type",  "entity_id",
                                  "field",    "old_value",   "new_value", "update_source"};
    sqlite3_stmt *s = newest_first ? rd->logs_desc : rd->logs_asc;
    sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, order_id, -1, SQLITE_STATIC);
    json_t *out = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *e = json_object();
        for (int c = 0; c < 9; c++) {
            const char *t = (const char *)sqlite3_column_text(s, c);
            json_object_set_new(e, names[c], c >= 6 ? column_value(s, c) : t ? json_string(t) : json_null());
        }
        json_array_append_new(out, e);
    }
    if (rc != SQLITE_DONE) {
        log_error("store: change logs: %s", sqlite3_errmsg(rd->db));
        json_decref(out);
        out = NULL;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return out;
}

/* ---- the table store.c forwards through (store_backend.h) ---- */

const struct store_backend store_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .run_batch = sq_run_batch,
    .sync = sq_sync,
    .maintain = sq_maintain,
    .reader_open = sq_reader_open,
    .url_key = sq_url_key,
    .job_undo = sq_job_undo,
    .order_get = sq_order_get,
    .order_peek = sq_order_peek,
    .order_json = sq_order_json,
    .order_insert = sq_order_insert,
    .order_update = sq_order_update,
    .changelog_add = sq_changelog_add,
    .order_by_tracking = sq_order_by_tracking,
    .event_seen = sq_event_seen,
    .park = sq_park,
    .unpark = sq_unpark,
    .outbox_add = sq_outbox_add,
    .endpoint_count = sq_endpoint_count,
    .endpoint_get = sq_endpoint_get,
    .endpoint_put = sq_endpoint_put,
    .endpoint_delete = sq_endpoint_delete,
    .message_requeue = sq_message_requeue,
    .endpoint_hold = sq_endpoint_hold,
    .attempt_record = sq_attempt_record,
    .endpoint_health = sq_endpoint_health,
    .orders_by_customer = sq_orders_by_customer,
    .changelog_redact = sq_changelog_redact,
    .outbox_redact = sq_outbox_redact,
    .history_archive = sq_history_archive,
    .sweep_messages = sq_sweep_messages,
    .sweep_changelogs = sq_sweep_changelogs,
    .sweep_history = sq_sweep_history,
    .sweep_seen = sq_sweep_seen,
    .sweep_parked = sq_sweep_parked,
    .sweep_orders = sq_sweep_orders,
    .stuck_scan = sq_stuck_scan,
    .stuck_mark = sq_stuck_mark,
    .order_last_event = sq_order_last_event,
    .return_get = sq_return_get,
    .return_put = sq_return_put,
    .returns_by_reference = sq_returns_by_reference,
    .returns_by_order = sq_returns_by_order,
    .return_key_put = sq_return_key_put,
    .return_by_key = sq_return_by_key,
    .sweep_returns = sq_sweep_returns,
    .syslog_insert = sq_syslog_insert,
    .spool_moved = sq_spool_moved,
    .spool_retry = sq_spool_retry,
    .body_deleted = sq_body_deleted,
    .syslog_sweep = sq_syslog_sweep,
    .syslog_redact = sq_syslog_redact,
    .syslog_adopt = sq_syslog_adopt,
    .syslog_forget_order = sq_syslog_forget_order,
    .reader_close = sq_reader_close,
    .read_health = sq_read_health,
    .singleton = sq_singleton,
    .read_order = sq_read_order,
    .read_orders = sq_read_orders,
    .read_changelogs = sq_read_changelogs,
    .read_endpoints = sq_read_endpoints,
    .read_messages = sq_read_messages,
    .read_message = sq_read_message,
    .read_attempts = sq_read_attempts,
    .read_sending_endpoints = sq_read_sending_endpoints,
    .claim_due = sq_claim_due,
    .read_next_due = sq_read_next_due,
    .read_body_ref = sq_read_body_ref,
    .read_history = sq_read_history,
    .read_stuck = sq_read_stuck,
    .count_stuck = sq_count_stuck,
    .read_return = sq_read_return,
    .read_returns = sq_read_returns,
    .read_message_counts = sq_read_message_counts,
    .read_pending_by_endpoint = sq_read_pending_by_endpoint,
    .read_syslogs = sq_read_syslogs,
    .read_syslog = sq_read_syslog,
    .read_spooled = sq_read_spooled,
    .claim_spooled = sq_claim_spooled,
    .read_body_deletes = sq_read_body_deletes,
    .read_spool_next = sq_read_spool_next,
};
