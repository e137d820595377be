/* Mirrors relay/store_pg*.c where a fleet differs from one node: several
 * nodes (stores) on one database. Nodes starting together migrate it once;
 * two nodes updating one order never lose an update (with their order
 * caches on); a deadlock between two nodes' transactions is run again, not
 * surfaced; a node's name is its own; a claim holds a message for one node
 * until its lease runs out, and an endpoint's max_concurrency holds for the
 * fleet.
 *
 * Needs a cluster started by tests/pg_cluster.py (SHIPRELAY_TEST_PG: its
 * directory; ctest's PostgreSQL pass sets it up); each test gets a
 * database of its own. Skipped without one. */
#include <event2/event.h>
#include <event2/thread.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"
#include "store_pg_int.h"

static struct event_base *base;
static int pending;
static char admin[512];   /* libpq string for the cluster's postgres database (Unix socket) */
static char url[512];     /* the test database, over TCP with the password, as a relay has it */
static char dbname[64];
static int db_counter;

/* ---- the cluster and a database per test ---- */

static PGresult *admin_exec(const char *db, const char *sql)
{
    char conninfo[640];
    snprintf(conninfo, sizeof conninfo, "%s dbname=%s", admin, db);
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot reach the test cluster: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQfinish(c);
    return r;
}

static int setup(void **state)
{
    const char *dir = getenv("SHIPRELAY_TEST_PG");
    if (!dir || !*dir)
        return 0;
    char path[512];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    json_t *c = json_load_file(path, 0, NULL);
    if (!c)
        return -1;
    const char *socket = json_string_value(json_object_get(c, "socket"));
    const char *password = json_string_value(json_object_get(c, "password"));
    int port = (int)json_integer_value(json_object_get(c, "port"));
    snprintf(admin, sizeof admin, "host=%s port=%d user=shiprelay", socket, port);
    snprintf(dbname, sizeof dbname, "unit_%d_%d", (int)getpid(), db_counter++);
    snprintf(url, sizeof url, "postgresql://shiprelay:%s@127.0.0.1:%d/%s", password, port, dbname);
    json_decref(c);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
    PQclear(admin_exec("postgres", sql));
    /* deadlocks are found after deadlock_timeout (1 s by default) */
    snprintf(sql, sizeof sql, "ALTER DATABASE %s SET deadlock_timeout = '100ms'", dbname);
    PQclear(admin_exec("postgres", sql));
    base = event_base_new();
    return 0;
}

static int teardown(void **state)
{
    if (!admin[0])
        return 0;
    event_base_free(base);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
    PQclear(admin_exec("postgres", sql));
    return 0;
}

static struct store *node(const char *node_id, char *err, size_t errlen)
{
    struct store_options opt = {.backend = STORE_POSTGRESQL,
                                .url = url,
                                .node_id = node_id,
                                .lease_ms = 60000,
                                .batch_max = 64,
                                .order_cache = 1 << 20};
    return store_open(&opt, err, errlen);
}

static struct store *must_node(const char *node_id)
{
    char err[256] = "";
    struct store *st = node(node_id, err, sizeof err);
    if (!st)
        fail_msg("store_open(%s): %s", node_id, err);
    return st;
}

#define NEED_CLUSTER()                                                                                                 \
    do {                                                                                                               \
        if (!admin[0])                                                                                                 \
            skip();                                                                                                    \
    } while (0)

/* ---- jobs ---- */

struct job {
    int (*fn)(struct store_txn *txn, struct job *j);
    const char *ref, *other;
    atomic_int runs;
    int rc;
};

static int run_job(struct store_txn *txn, void *arg)
{
    struct job *j = arg;
    atomic_fetch_add(&j->runs, 1);
    return j->fn(txn, j);
}

static void job_done(int rc, void *arg)
{
    ((struct job *)arg)->rc = rc;
    if (--pending == 0)
        event_base_loopexit(base, NULL);
}

static void run_all(void)
{
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
}

static int create_order(struct store_txn *txn, struct job *j)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "order_id", j->ref, "partner_order_reference", j->ref, "update_date",
                          "2026-01-01T00:00:00.000Z", "n", 0);
    int rc = store_order_insert(txn, "t1", o);
    json_decref(o);
    return rc;
}

/* Read the order (locking it), count one more, store it. */
static int bump(struct store_txn *txn, const char *ref)
{
    json_t *before = store_order_peek(txn, "t1", STORE_KEY_ORDER_ID, ref);
    if (!before)
        return STORE_EIO;
    json_t *o = json_deep_copy(before);
    json_decref(before);
    json_object_set_new(o, "n", json_integer(json_integer_value(json_object_get(o, "n")) + 1));
    int rc = store_order_update(txn, "t1", o);
    json_decref(o);
    return rc;
}

static int bump_job(struct store_txn *txn, struct job *j)
{
    return bump(txn, j->ref);
}

static json_int_t count_of(struct store *st, const char *ref)
{
    char err[256];
    struct store_reader *rd = store_reader_open(st, err, sizeof err);
    assert_non_null(rd);
    json_t *o = store_read_order(rd, "t1", STORE_KEY_ORDER_ID, ref, NULL);
    assert_non_null(o);
    json_int_t n = json_integer_value(json_object_get(o, "n"));
    json_decref(o);
    store_reader_close(rd);
    return n;
}

static void submit(struct store *st, struct job *j)
{
    pending++;
    store_submit(st, base, run_job, job_done, j);
}

/* ---- tests ---- */

struct opener {
    char id[16];
    struct store *st;
    char err[256];
};

static void *open_node(void *arg)
{
    struct opener *o = arg;
    o->st = node(o->id, o->err, sizeof o->err);
    return NULL;
}

static void nodes_starting_together_migrate_once(void **state)
{
    NEED_CLUSTER();
    enum { N = 4 };
    struct opener o[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        memset(&o[i], 0, sizeof o[i]);
        snprintf(o[i].id, sizeof o[i].id, "n%d", i);
        assert_int_equal(pthread_create(&th[i], NULL, open_node, &o[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++)
        if (!o[i].st)
            fail_msg("node %d: %s", i, o[i].err);
    PGresult *r = admin_exec(dbname, "SELECT version, (SELECT count(*) FROM shiprelay_schema) FROM shiprelay_schema");
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), pg_migrations_count);
    assert_int_equal(atoi(PQgetvalue(r, 0, 1)), 1);
    PQclear(r);
    for (int i = 0; i < N; i++)
        store_close(o[i].st);
}

static void two_nodes_lose_no_update(void **state)
{
    NEED_CLUSTER();
    struct store *a = must_node("a"), *b = must_node("b");
    static struct job create = {.fn = create_order, .ref = "o1"};
    submit(a, &create);
    run_all();
    assert_int_equal(create.rc, STORE_OK);
    /* Both nodes count up the same order at once, each with its cache of
     * it: a node whose cached version is stale must read the other's. */
    enum { N = 150 };
    static struct job bumps[2][N];
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 2; k++) {
            bumps[k][i] = (struct job){.fn = bump_job, .ref = "o1"};
            submit(k ? b : a, &bumps[k][i]);
        }
    run_all();
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 2; k++)
            assert_int_equal(bumps[k][i].rc, STORE_OK);
    assert_int_equal(count_of(a, "o1"), 2 * N);
    assert_int_equal(count_of(b, "o1"), 2 * N);
    store_close(a);
    store_close(b);
}

/* Node a's job locks X then Y, node b's Y then X, and on their first run
 * each waits until the other holds its first lock: a deadlock. */
static atomic_int holding[2];

static int crossed(struct store_txn *txn, struct job *j)
{
    int me = j->ref[0] == 'X' ? 0 : 1;
    int rc = bump(txn, j->ref);
    if (rc != STORE_OK)
        return rc;
    atomic_store(&holding[me], 1);
    for (int waited = 0; atomic_load(&j->runs) == 1 && !atomic_load(&holding[!me]) && waited < 5000; waited++)
        usleep(1000);
    return bump(txn, j->other);
}

static void a_deadlock_is_run_again(void **state)
{
    NEED_CLUSTER();
    struct store *a = must_node("a"), *b = must_node("b");
    static struct job cx = {.fn = create_order, .ref = "X"}, cy = {.fn = create_order, .ref = "Y"};
    submit(a, &cx);
    submit(a, &cy);
    run_all();
    static struct job ja = {.fn = crossed, .ref = "X", .other = "Y"}, jb = {.fn = crossed, .ref = "Y", .other = "X"};
    submit(a, &ja);
    submit(b, &jb);
    run_all();
    assert_int_equal(ja.rc, STORE_OK);
    assert_int_equal(jb.rc, STORE_OK);
    assert_true(atomic_load(&ja.runs) + atomic_load(&jb.runs) >= 3); /* one of them ran again */
    assert_int_equal(count_of(a, "X"), 2);
    assert_int_equal(count_of(a, "Y"), 2);
    store_close(a);
    store_close(b);
}

static void a_node_name_is_one_nodes(void **state)
{
    NEED_CLUSTER();
    struct store *a = must_node("same");
    char err[256] = "";
    assert_null(node("same", err, sizeof err));
    assert_non_null(strstr(err, "node_id \"same\""));
    store_close(a);
    /* once the first has gone, the name is free again */
    a = must_node("same");
    store_close(a);
}

static int endpoint_and_messages(struct store_txn *txn, struct job *j)
{
    json_t *ep = json_pack("{s:s,s:s,s:s,s:[],s:b,s:{},s:i,s:i,s:b,s:s,s:I,s:I}", "id", "ep_1", "tenant", "t1", "url",
                           "http://127.0.0.1:9/h", "event_types", "enabled", 1, "headers", "rate_limit", 0,
                           "max_concurrency", 2, "fifo", 0, "secret", "whsec_x", "created_at", (json_int_t)1,
                           "updated_at", (json_int_t)1);
    int rc = store_endpoint_put(txn, ep);
    json_decref(ep);
    for (int i = 0; i < 3 && rc == STORE_OK; i++) {
        char order[16], event[16];
        snprintf(order, sizeof order, "o%d", i);
        snprintf(event, sizeof event, "ev%d", i);
        struct store_outbox_event ev = {.order_id = order,
                                        .event_id = event,
                                        .type = "order.created",
                                        .trigger = "ORDER_CREATED",
                                        .payload = "{}"};
        rc = store_outbox_add(txn, "t1", &ev, 1000);
    }
    return rc;
}

static void a_claim_holds_for_one_node_until_its_lease_ends(void **state)
{
    NEED_CLUSTER();
    struct store *a = must_node("a"), *b = must_node("b");
    static struct job setup_job = {.fn = endpoint_and_messages};
    submit(a, &setup_job);
    run_all();
    assert_int_equal(setup_job.rc, STORE_OK);
    char err[256];
    struct store_reader *ra = store_reader_open(a, err, sizeof err), *rb = store_reader_open(b, err, sizeof err);
    assert_non_null(ra);
    assert_non_null(rb);
    int64_t now = 2000, wait;
    /* three messages due, max_concurrency 2 for the fleet: a takes the
     * oldest, b the next, and the third waits for one of them */
    json_t *got_a = store_claim_due(ra, "ep_1", now, 1, NULL, 0, &wait);
    json_t *got_b = store_claim_due(rb, "ep_1", now, 10, NULL, 0, &wait);
    assert_int_equal(json_array_size(got_a), 1);
    assert_int_equal(json_array_size(got_b), 1);
    const char *id_a = json_string_value(json_object_get(json_array_get(got_a, 0), "id"));
    const char *id_b = json_string_value(json_object_get(json_array_get(got_b, 0), "id"));
    assert_string_not_equal(id_a, id_b);
    const char *skip[] = {id_b};
    json_t *none = store_claim_due(rb, "ep_1", now, 10, skip, 1, &wait);
    assert_int_equal(json_array_size(none), 0);
    json_decref(none);
    /* a dies; once its lease has run out its message is due again, for any
     * node, under the same id (and b's, whose lease ran out too, waits
     * behind the third message, due longer) */
    json_t *later = store_claim_due(rb, "ep_1", now + 60000 + 1, 10, NULL, 0, &wait);
    assert_int_equal(json_array_size(later), 2);
    bool again_a = false, again_b = false;
    size_t i;
    json_t *m;
    json_array_foreach(later, i, m)
    {
        again_a |= strcmp(json_string_value(json_object_get(m, "id")), id_a) == 0;
        again_b |= strcmp(json_string_value(json_object_get(m, "id")), id_b) == 0;
    }
    assert_true(again_a);
    assert_false(again_b);
    json_decref(later);
    json_decref(got_a);
    json_decref(got_b);
    store_reader_close(ra);
    store_reader_close(rb);
    store_close(a);
    store_close(b);
}

int main(void)
{
    evthread_use_pthreads();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(nodes_starting_together_migrate_once, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_lose_no_update, setup, teardown),
        cmocka_unit_test_setup_teardown(a_deadlock_is_run_again, setup, teardown),
        cmocka_unit_test_setup_teardown(a_node_name_is_one_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(a_claim_holds_for_one_node_until_its_lease_ends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
