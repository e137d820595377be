/* Mirrors relay/store_sqlite.c: jobs commit together (group commit), a
 * failing job rolls back only itself, duplicates are refused, readers see
 * what was committed, change logs keep their order, and it all survives a
 * reopen. */
#include <event2/event.h>
#include <event2/thread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"

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
    struct store *st = store_open(dir, 256, err, sizeof err);
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
    store_stats(st, &jobs, &commits);
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
    st = store_open(dir, 1, err, sizeof err);
    assert_non_null(st);
    rd = store_reader_open(st, err, sizeof err);
    o = store_read_order(rd, "t1", STORE_KEY_ORDER_ID, "o49", NULL);
    assert_non_null(o);
    json_decref(o);
    store_reader_close(rd);
    store_close(st);
}

static void refuses_an_unwritable_dir(void **state)
{
    char err[256] = "";
    assert_null(store_open("/proc/shiprelay-cannot-exist", 1, err, sizeof err));
    assert_non_null(strstr(err, "/proc/shiprelay-cannot-exist"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_commit_and_isolation),
        cmocka_unit_test(refuses_an_unwritable_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
