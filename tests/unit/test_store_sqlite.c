/* Mirrors relay/store_sqlite.c: jobs commit together (group commit), a
 * failing job rolls back only itself, duplicates are refused, readers see
 * what was committed, change logs keep their order, and it all survives a
 * reopen. A transaction SQLite abandons fails every job of its batch; the
 * spool's size is exact and its cap holds at the commit that would cross
 * it. */
#include <event2/event.h>
#include <event2/thread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"
#include "jsonutil.h"
#include "store_sqlite_int.h"
#include "syslog.h"

static char dir[64];
static struct event_base *base;
static int pending;
static atomic_int gate;    /* the first job waits here until the rest are queued */
static atomic_int started; /* set when the first job is running */

struct item {
    const char *ref;
    int want_fail; /* the job writes, then asks for a rollback */
    int rc;
    int gatekeeper;
};

static int insert_job(struct store_txn *txn, void *arg)
{
    struct item *it = arg;
    if (it->gatekeeper)
        atomic_store(&started, 1);
    while (it->gatekeeper && !atomic_load(&gate))
        usleep(1000);
    json_t *o = json_pack("{s:s,s:s,s:s}", "order_id", it->ref, "partner_order_reference", it->ref, "update_date",
                          "2026-01-01T00:00:00.000Z");
    int rc = store_order_insert(txn, "t1", o);
    json_t *changes = json_pack("[{s:s,s:s,s:s,s:n,s:s}, {s:s,s:s,s:s,s:s,s:[s]}]", "change_type", "ORDER_CREATED",
                                "entity_type", "order", "entity_id", it->ref, "old_value", "new_value", it->ref,
                                "change_type", "STATUS_CHANGE", "entity_type", "order", "entity_id", it->ref,
                                "old_value", "open", "new_value", "x");
    if (rc == STORE_OK)
        rc = store_changelog_add(txn, "t1", it->ref, "2026-01-01T00:00:00.000Z", "TEST", changes);
    json_decref(changes);
    json_decref(o);
    return rc == STORE_OK && it->want_fail ? 42 : rc;
}

static void done(int rc, void *arg)
{
    struct item *it = arg;
    it->rc = rc;
    if (--pending == 0)
        event_base_loopexit(base, NULL);
}

static int setup(void **state)
{
    strcpy(dir, "/tmp/shiprelay-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    evthread_use_pthreads();
    base = event_base_new();
    return 0;
}

static int teardown(void **state)
{
    event_base_free(base);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void group_commit_and_isolation(void **state)
{
    char err[256] = "";
    struct store_options opt = {.dir = dir, .batch_max = 256};
    struct store *st = store_open(&opt, err, sizeof err);
    assert_non_null(st);
    enum { N = 50 };
    static struct item items[N + 2];
    static char refs[N][16];
    items[0] = (struct item){.ref = "gate", .gatekeeper = 1};
    for (int i = 0; i < N; i++) {
        snprintf(refs[i], sizeof refs[i], "o%02d", i);
        items[i + 1] = (struct item){.ref = refs[i], .want_fail = i == 7};
    }
    items[N + 1] = (struct item){.ref = "o03"}; /* a duplicate of o03 */
    pending = N + 2;
    store_submit(st, base, insert_job, done, &items[0]);
    while (!atomic_load(&started))
        usleep(1000);
    for (int i = 1; i < N + 2; i++)
        store_submit(st, base, insert_job, done, &items[i]);
    atomic_store(&gate, 1);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);

    unsigned long jobs, commits;
    store_stats(st, &jobs, &commits, NULL);
    assert_int_equal(jobs, N + 2);
    assert_int_equal(commits, 2); /* the gate alone, then everything queued behind it */
    assert_int_equal(items[0].rc, STORE_OK);
    assert_int_equal(items[8].rc, 42);
    assert_int_equal(items[N + 1].rc, STORE_EXISTS);

    struct store_reader *rd = store_reader_open(st, err, sizeof err);
    assert_non_null(rd);
    bool failed = false;
    json_t *o = store_read_order(rd, "t1", STORE_KEY_PARTNER_REF, "o03", &failed);
    assert_non_null(o);
    json_decref(o);
    assert_null(store_read_order(rd, "t1", STORE_KEY_ORDER_ID, "o07", &failed)); /* rolled back */
    assert_null(store_read_order(rd, "t2", STORE_KEY_ORDER_ID, "o03", &failed)); /* other tenant */
    assert_false(failed);
    json_t *logs = store_read_changelogs(rd, "t1", "o05", false);
    assert_int_equal(json_array_size(logs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(logs, 0), "change_type")), "ORDER_CREATED");
    assert_true(json_is_null(json_object_get(json_array_get(logs, 0), "old_value")));
    assert_true(json_is_array(json_object_get(json_array_get(logs, 1), "new_value")));
    json_decref(logs);
    logs = store_read_changelogs(rd, "t1", "o05", true);
    assert_string_equal(json_string_value(json_object_get(json_array_get(logs, 0), "change_type")), "STATUS_CHANGE");
    json_decref(logs);
    logs = store_read_changelogs(rd, "t1", "o07", false);
    assert_int_equal(json_array_size(logs), 0);
    json_decref(logs);
    store_reader_close(rd);
    store_close(st);

    /* Reopen: the schema is current, the data is there. */
    opt.batch_max = 1;
    st = store_open(&opt, err, sizeof err);
    assert_non_null(st);
    rd = store_reader_open(st, err, sizeof err);
    o = store_read_order(rd, "t1", STORE_KEY_ORDER_ID, "o49", NULL);
    assert_non_null(o);
    json_decref(o);
    store_reader_close(rd);
    store_close(st);
}

/* Orders for the list: merchant, status, customer and dates vary. */
static int list_job(struct store_txn *txn, void *arg)
{
    static const char *rows[][6] = {
        /* ref, merchant, status, customer_key, created, updated */
        {"A", "m1", "open", "c1", "2026-01-01T00:00:00.000Z", "2026-01-05T00:00:00.000Z"},
        {"B", "m2", "open", "c2", "2026-01-02T00:00:00.000Z", "2026-01-02T00:00:00.000Z"},
        {"C", "m1", "closed", "c1", "2026-01-03T00:00:00.000Z", "2026-01-09T00:00:00.000Z"},
        {"D", "m1", "open", NULL, "2026-01-04T00:00:00.000Z", "2026-01-04T00:00:00.000Z"},
    };
    for (size_t i = 0; i < 4; i++) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:s}", "order_id", rows[i][0], "partner_order_reference",
                              rows[i][0], "merchant", rows[i][1], "status", rows[i][2], "customer_key", rows[i][3],
                              "creation_date", rows[i][4], "update_date", rows[i][5]);
        int rc = store_order_insert(txn, "L1", o);
        json_decref(o);
        if (rc != STORE_OK)
            return rc;
    }
    json_t *other = json_pack("{s:s,s:s,s:s,s:s,s:s}", "order_id", "Z", "partner_order_reference", "Z", "merchant",
                              "m1", "status", "open", "update_date", "2026-01-01T00:00:00.000Z");
    int rc = store_order_insert(txn, "L2", other);
    json_decref(other);
    return rc;
}

static const char *refs_of(json_t *rows)
{
    static char buf[32];
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        buf[n++] = json_string_value(json_object_get(json_object_get(r, "doc"), "order_id"))[0];
    }
    buf[n] = '\0';
    json_decref(rows);
    return buf;
}

static void the_order_list_filters_pages_and_uses_indexes(void **state)
{
    char err[256] = "";
    struct store_options opt = {.dir = dir, .batch_max = 16};
    struct store *st = store_open(&opt, err, sizeof err);
    assert_non_null(st);
    struct item it = {0};
    pending = 1;
    store_submit(st, base, list_job, done, &it);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    assert_int_equal(it.rc, STORE_OK);
    struct store_reader *rd = store_reader_open(st, err, sizeof err);
    struct store_order_filter f = {.limit = 10};
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "ABCD");
    assert_string_equal(refs_of(store_read_orders(rd, "L2", &f)), "Z");
    f.merchant = "m1";
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "ACD");
    f.status = "open";
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "AD");
    f = (struct store_order_filter){.limit = 10, .customer_key = "c1"};
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "AC");
    f = (struct store_order_filter){.limit = 10, .created_from = "2026-01-02T00:00:00.000Z",
                                    .created_to = "2026-01-03T00:00:00.000Z"};
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "BC");
    f = (struct store_order_filter){.limit = 10, .updated_from = "2026-01-05T00:00:00.000Z"};
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "AC");
    f = (struct store_order_filter){.limit = 10, .updated_to = "2026-01-04T00:00:00.000Z"};
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "BD");
    /* pages: after the last row's seq; newest first too */
    f = (struct store_order_filter){.limit = 2};
    json_t *page = store_read_orders(rd, "L1", &f);
    f.after = json_integer_value(json_object_get(json_array_get(page, 1), "seq"));
    assert_string_equal(refs_of(page), "AB");
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "CD");
    f = (struct store_order_filter){.limit = 3, .newest_first = true};
    page = store_read_orders(rd, "L1", &f);
    f.after = json_integer_value(json_object_get(json_array_get(page, 2), "seq"));
    assert_string_equal(refs_of(page), "DCB");
    assert_string_equal(refs_of(store_read_orders(rd, "L1", &f)), "A");
    /* Every filter alone (and none) is served by an index, never a scan of the table. */
    struct store_order_filter one[] = {
        {.limit = 1},
        {.limit = 1, .newest_first = true},
        {.limit = 1, .status = "x"},
        {.limit = 1, .sub_status = "x"},
        {.limit = 1, .merchant = "x"},
        {.limit = 1, .customer_key = "x"},
        {.limit = 1, .sub_status = "x"},
        {.limit = 1, .created_from = "x"},
        {.limit = 1, .created_to = "x"},
        {.limit = 1, .updated_from = "x"},
        {.limit = 1, .updated_to = "x"},
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        char sql[1024], plan[2048] = "", explain[1100];
        const char *values[9];
        bool bound;
        store_orders_list_sql(&one[i], sql, values, &bound);
        snprintf(explain, sizeof explain, "EXPLAIN QUERY PLAN %s", sql);
        sqlite3_stmt *s = NULL;
        assert_int_equal(sqlite3_prepare_v2(sq_reader(rd)->db, explain, -1, &s, NULL), SQLITE_OK);
        while (sqlite3_step(s) == SQLITE_ROW) {
            strncat(plan, (const char *)sqlite3_column_text(s, 3), sizeof plan - strlen(plan) - 2);
            strcat(plan, ";");
        }
        sqlite3_finalize(s);
        if (!strstr(plan, "USING INDEX orders_list_by_") || strstr(plan, "SCAN orders;"))
            fail_msg("filter %zu: %s → %s", i, sql, plan);
    }
    store_reader_close(rd);
    store_close(st);
}

static void refuses_an_unwritable_dir(void **state)
{
    char err[256] = "";
    struct store_options opt = {.dir = "/proc/shiprelay-cannot-exist", .batch_max = 1};
    assert_null(store_open(&opt, err, sizeof err));
    assert_non_null(strstr(err, "/proc/shiprelay-cannot-exist"));
}

/* SQLite gives up a transaction by itself on a full disk or an I/O error;
 * a job that meets that must take the whole batch down with it, including
 * the jobs that ran before it and succeeded. */
static int abandon_job(struct store_txn *txn, void *arg)
{
    int rc = insert_job(txn, arg);
    sqlite3_exec(sq_txn(txn)->db, "ROLLBACK", NULL, NULL, NULL); /* what SQLITE_FULL does */
    return rc == STORE_OK ? STORE_EIO : rc;
}

static void a_lost_transaction_fails_the_batch(void **state)
{
    char err[256] = "";
    struct store_options opt = {.dir = dir, .batch_max = 64};
    struct store *st = store_open(&opt, err, sizeof err);
    assert_non_null(st);
    static struct item items[5] = {{.ref = "gate2", .gatekeeper = 1}, {.ref = "b1"}, {.ref = "b2"}, {.ref = "b3"},
                                   {.ref = "b4"}};
    atomic_store(&gate, 0);
    atomic_store(&started, 0);
    pending = 5;
    store_submit(st, base, insert_job, done, &items[0]);
    while (!atomic_load(&started))
        usleep(1000);
    store_submit(st, base, insert_job, done, &items[1]);
    store_submit(st, base, abandon_job, done, &items[2]);
    store_submit(st, base, insert_job, done, &items[3]);
    store_submit(st, base, insert_job, done, &items[4]);
    atomic_store(&gate, 1);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    assert_int_equal(items[0].rc, STORE_OK);
    for (int i = 1; i < 5; i++)
        assert_int_equal(items[i].rc, STORE_EIO);
    struct store_reader *rd = store_reader_open(st, err, sizeof err);
    static const char *refs[] = {"b1", "b2", "b3", "b4"};
    for (int i = 0; i < 4; i++)
        assert_null(store_read_order(rd, "t1", STORE_KEY_PARTNER_REF, refs[i], NULL));
    json_t *o = store_read_order(rd, "t1", STORE_KEY_PARTNER_REF, "gate2", NULL);
    assert_non_null(o);
    json_decref(o);
    store_reader_close(rd);
    store_close(st);
}

struct spool_item {
    size_t len;
    int rc;
};

static void spool_done(int rc, void *arg)
{
    ((struct spool_item *)arg)->rc = rc;
    if (--pending == 0)
        event_base_loopexit(base, NULL);
}

static int spool_job(struct store_txn *txn, void *arg)
{
    struct spool_item *it = arg;
    static char body[4096];
    memset(body, 'x', sizeof body);
    json_t *e = syslog_entry("t1", "o1", NULL, "INBOUND", "TEST", "API", "t1");
    int rc = syslog_add(txn, e, body, it->len, body, it->len);
    json_decref(e);
    return rc;
}

static void the_spool_cap_holds_at_the_commit(void **state)
{
    char err[256] = "";
    struct store_options opt = {.dir = dir, .batch_max = 64, .spool_max = 10000};
    struct store *st = store_open(&opt, err, sizeof err);
    assert_non_null(st);
    /* 2 x 2000 each: two fit (8000), the third would make 12000. */
    static struct spool_item items[4] = {{2000, 0}, {2000, 0}, {2000, 0}, {500, 0}};
    pending = 4;
    for (int i = 0; i < 4; i++)
        store_submit(st, base, spool_job, spool_done, &items[i]);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    assert_int_equal(items[0].rc, STORE_OK);
    assert_int_equal(items[1].rc, STORE_OK);
    assert_int_equal(items[2].rc, STORE_SPOOL_FULL);
    assert_int_equal(items[3].rc, STORE_OK);
    unsigned long jobs, commits;
    long long spooled;
    store_stats(st, &jobs, &commits, &spooled);
    assert_int_equal(spooled, 9000);
    store_close(st);
    /* The size is kept in the database, exactly. */
    st = store_open(&opt, err, sizeof err);
    store_stats(st, &jobs, &commits, &spooled);
    assert_int_equal(spooled, 9000);
    struct store_reader *rd = store_reader_open(st, err, sizeof err);
    struct store_spooled due[8];
    int n = store_claim_spooled(rd, INT64_MAX, 8, NULL, 0, due);
    assert_int_equal(n, 6);
    const int64_t skip[] = {due[0].id};
    struct store_spooled rest[8];
    int m = store_claim_spooled(rd, INT64_MAX, 8, skip, 1, rest);
    assert_int_equal(m, 5);
    for (int i = 0; i < m; i++) {
        assert_true(rest[i].id != due[0].id);
        free(rest[i].key);
        free(rest[i].body);
    }
    for (int i = 0; i < n; i++) {
        free(due[i].key);
        free(due[i].body);
    }
    store_reader_close(rd);
    store_close(st);
}

/* The uploader read a body, the entry is redacted while it uploads, then it
 * reports the body moved: the stored copy must be queued for deletion. */
static int redact_o9_job(struct store_txn *txn, void *arg)
{
    return store_syslog_redact(txn, "t1", "o9");
}

static const char *moved_key;
static int64_t moved_spool;

static int moved_job(struct store_txn *txn, void *arg)
{
    return store_spool_moved(txn, moved_spool, moved_key);
}

static int spool_o9_job(struct store_txn *txn, void *arg)
{
    json_t *e = syslog_entry("t1", "o9", NULL, "INBOUND", "TEST", "API", "t1");
    int rc = syslog_add(txn, e, "secret body", 11, NULL, 0);
    json_decref(e);
    return rc;
}

static void run_job(struct store *st, store_job_fn fn)
{
    struct spool_item it = {0, -99};
    pending = 1;
    store_submit(st, base, fn, spool_done, &it);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    assert_int_equal(it.rc, STORE_OK);
}

static void a_body_redacted_during_its_upload_is_deleted(void **state)
{
    char err[256] = "";
    struct store_options opt = {.dir = dir, .batch_max = 8};
    struct store *st = store_open(&opt, err, sizeof err);
    run_job(st, spool_o9_job);
    struct store_reader *rd = store_reader_open(st, err, sizeof err);
    json_t *rows = store_read_syslogs(rd, "t1", "o9", NULL, NULL, NULL, -1, -1, 0, 10);
    const char *id = json_string_value(json_object_get(json_array_get(rows, 0), "identifier"));
    json_t *one = store_read_syslog(rd, "t1", id);
    char *key = strdup(json_string_value(json_object_get(one, "request_body_key")));
    moved_spool = json_integer_value(json_object_get(one, "request_spool"));
    json_decref(one);
    json_decref(rows);
    run_job(st, redact_o9_job); /* the uploader holds the body meanwhile */
    json_t *deletes = store_read_body_deletes(rd, 100);
    assert_null(ju_find_by(deletes, "key", key)); /* it was in the spool: nothing stored to delete yet */
    json_decref(deletes);
    moved_key = key;
    run_job(st, moved_job); /* the upload finishes */
    deletes = store_read_body_deletes(rd, 100);
    assert_non_null(ju_find_by(deletes, "key", key));
    json_decref(deletes);
    free(key);
    store_reader_close(rd);
    store_close(st);
}

/* status_since: set when an order enters its status, kept by writes that
 * keep it. Such a write's statement does not name the status columns, so
 * the (status, status_since) index entry is left alone. */
static char traced[4096];

static int trace(unsigned kind, void *ctx, void *p, void *x)
{
    const char *sql = sqlite3_sql((sqlite3_stmt *)p);
    if (sql && !strncmp(sql, "UPDATE orders", 13))
        snprintf(traced, sizeof traced, "%s", sql);
    return 0;
}

static const char *next_status;
static const char *next_date;

static int write_status_job(struct store_txn *txn, void *arg)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "order_id", "os", "partner_order_reference", "OS", "status",
                          next_status, "update_date", next_date, "note", next_date);
    sqlite3_trace_v2(sq_txn(txn)->db, SQLITE_TRACE_STMT, trace, NULL);
    int rc = ((struct item *)arg)->want_fail ? store_order_update(txn, "t1", o) : store_order_insert(txn, "t1", o);
    sqlite3_trace_v2(sq_txn(txn)->db, 0, NULL, NULL);
    json_decref(o);
    return rc;
}

static int mark_job(struct store_txn *txn, void *arg)
{
    return store_stuck_mark(txn, "t1", "os", "2026-01-01T00:00:00.000Z") == 1 ? STORE_OK : STORE_EIO;
}

static const char *column(struct store_reader *rd, const char *col)
{
    static char out[64];
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT %s FROM orders WHERE order_id = 'os'", col);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(sq_reader(rd)->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(s, 0);
    snprintf(out, sizeof out, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(s);
    return out;
}

static void status_since_moves_with_the_status_only(void **state)
{
    char err[256] = "";
    struct store_options opt = {.dir = dir, .batch_max = 8, .order_cache = 1 << 20};
    struct store *st = store_open(&opt, err, sizeof err);
    struct store_reader *rd = store_reader_open(st, err, sizeof err);
    struct item it = {0}; /* want_fail: an update (else an insert) */
    next_status = "allocated", next_date = "2026-01-01T00:00:00.000Z";
    pending = 1;
    store_submit(st, base, write_status_job, done, &it);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    assert_string_equal(column(rd, "status_since"), "2026-01-01T00:00:00.000Z");
    pending = 1;
    store_submit(st, base, mark_job, done, &it);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    assert_int_equal(it.rc, STORE_OK);
    /* the same status: the statement leaves status, status_since and the mark alone */
    it.want_fail = 1;
    next_date = "2026-01-02T00:00:00.000Z";
    pending = 1;
    store_submit(st, base, write_status_job, done, &it);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    if (strstr(traced, "status"))
        fail_msg("a write that keeps the status names it: %s", traced);
    assert_string_equal(column(rd, "status_since"), "2026-01-01T00:00:00.000Z");
    assert_string_equal(column(rd, "stuck_since"), "2026-01-01T00:00:00.000Z");
    assert_string_equal(column(rd, "update_date"), "2026-01-02T00:00:00.000Z");
    /* a new status: a new episode */
    next_status = "processing", next_date = "2026-01-03T00:00:00.000Z";
    pending = 1;
    store_submit(st, base, write_status_job, done, &it);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    assert_non_null(strstr(traced, "status_since"));
    assert_string_equal(column(rd, "status"), "processing");
    assert_string_equal(column(rd, "status_since"), "2026-01-03T00:00:00.000Z");
    assert_string_equal(column(rd, "stuck_since"), "(null)");
    store_reader_close(rd);
    store_close(st);
}

/* Migration 18 moves each message's payload out of its row into webhook_payloads: a database
 * written before it (here: made at version 17 by the same migrations) keeps every payload. */
static void payloads_move_to_their_own_table(void **state)
{
    char sub[96], path[128], err[256] = "";
    snprintf(sub, sizeof sub, "%s/v17", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/shiprelay.db", sub);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (int v = 0; v < 17; v++)
        assert_int_equal(sqlite3_exec(db, store_migrations[v], NULL, NULL, NULL), SQLITE_OK);
    const char *rows =
        "PRAGMA user_version=17;"
        "INSERT INTO webhook_endpoints (id, tenant, url, secret, created_at, updated_at) VALUES "
        "('ep1', 't1', 'http://x', 's', 0, 0);"
        "INSERT INTO webhook_messages (id, tenant, endpoint_id, event_id, event_type, trigger, order_id, payload, "
        "status, next_attempt_at, created_at, updated_at) VALUES "
        "('msg1', 't1', 'ep1', 'ev1', 'order.created', 'x', 'o1', '{\"n\":1}', 'pending', 0, 0, 0),"
        "('msg2', 't1', 'ep1', 'ev2', 'order.created', 'x', 'o1', '{\"n\":2}', 'delivered', 0, 0, 0);";
    assert_int_equal(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct store_options opt = {.dir = sub, .batch_max = 64};
    struct store *st = store_open(&opt, err, sizeof err);
    assert_non_null(st);
    struct store_reader *rd = store_reader_open(st, err, sizeof err);
    json_t *m = store_read_message(rd, "t1", "msg2");
    assert_int_equal(json_array_size(m), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(m, 0), "payload"), "n")), 2);
    json_decref(m);
    size_t len = 0;
    char *body = store_read_body_ref(rd, "t1", "db:message:msg1", &len);
    assert_non_null(body);
    assert_string_equal(body, "{\"n\":1}");
    free(body);
    /* the payload goes with its message, whatever deletes it */
    store_reader_close(rd);
    store_close(st);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM webhook_messages WHERE id = 'msg2'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(payload) FROM webhook_payloads", -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "{\"n\":1}");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_since_moves_with_the_status_only),
        cmocka_unit_test(a_body_redacted_during_its_upload_is_deleted),
        cmocka_unit_test(group_commit_and_isolation),
        cmocka_unit_test(the_order_list_filters_pages_and_uses_indexes),
        cmocka_unit_test(a_lost_transaction_fails_the_batch),
        cmocka_unit_test(the_spool_cap_holds_at_the_commit),
        cmocka_unit_test(refuses_an_unwritable_dir),
        cmocka_unit_test(payloads_move_to_their_own_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
