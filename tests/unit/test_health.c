/* Mirrors relay/health.c: a record counts successes and failures, keeps
 * the times and the last error (cut to size), records are separate, and
 * the table stops growing when full instead of losing what it has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "health.h"

static void records(void **state)
{
    struct health_record r;
    assert_false(health_get("upload", &r));
    assert_int_equal(r.ok + r.failed, 0);
    health_ok("upload", 1000);
    health_failed("upload", 503, "the bucket said no", 2000);
    health_ok("upload", 3000);
    health_failed("hook:acme/wh", 401, "bad token", 2500);
    assert_true(health_get("upload", &r));
    assert_int_equal(r.ok, 2);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.last_ok_ms, 3000);
    assert_int_equal(r.last_failed_ms, 2000);
    assert_int_equal(r.last_status, 503);
    assert_string_equal(r.last_error, "the bucket said no");
    assert_true(health_get("hook:acme/wh", &r));
    assert_int_equal(r.ok, 0);
    assert_string_equal(r.last_error, "bad token");
    char long_error[1000];
    memset(long_error, 'x', sizeof long_error - 1);
    long_error[sizeof long_error - 1] = '\0';
    health_failed("hook:acme/wh", 400, long_error, 4000);
    assert_true(health_get("hook:acme/wh", &r));
    assert_int_equal(strlen(r.last_error), sizeof r.last_error - 1);
}

static void a_full_table(void **state)
{
    char name[32];
    for (int i = 0; i < HEALTH_MAX; i++) {
        snprintf(name, sizeof name, "hook:t/s%d", i);
        health_ok(name, 1);
    }
    struct health_record r;
    assert_true(health_get("upload", &r)); /* older records stay */
    assert_int_equal(r.ok, 2);
    assert_true(health_get("hook:t/s0", &r));
    assert_false(health_get("hook:t/s1023", &r)); /* past three quarters: not kept */
    health_ok("upload", 5);
    assert_true(health_get("upload", &r));
    assert_int_equal(r.ok, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records),
        cmocka_unit_test(a_full_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
