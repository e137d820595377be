/* Mirrors relay/ratelimit.c: a bucket starts full, refills at its rate up
 * to its burst, says when to retry; buckets are independent; limits resolve
 * from a section's own keys over the [limits] defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ratelimit.h"

#define S 1000000000LL

static void bucket(void **state)
{
    struct config_limit l = {2, 3}; /* 2 a second, 3 at once */
    int retry = 0;
    int64_t t = 100 * S;
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_take("api:a", l, t, &retry));
    assert_false(ratelimit_take("api:a", l, t, &retry));
    assert_int_equal(retry, 1);
    assert_true(ratelimit_take("api:b", l, t, &retry)); /* another bucket is untouched */
    assert_true(ratelimit_take("api:a", l, t + S / 2, &retry)); /* half a second: one token */
    assert_false(ratelimit_take("api:a", l, t + S / 2, &retry));
    assert_true(ratelimit_take("api:a", l, t + 100 * S, &retry)); /* long idle: full, but only to the burst */
    assert_true(ratelimit_take("api:a", l, t + 100 * S, &retry));
    assert_true(ratelimit_take("api:a", l, t + 100 * S, &retry));
    assert_false(ratelimit_take("api:a", l, t + 100 * S, &retry));
    /* a slow rate says how long */
    struct config_limit slow = {1, 1};
    assert_true(ratelimit_take("slow", slow, t, &retry));
    assert_false(ratelimit_take("slow", slow, t + S / 10, &retry));
    assert_int_equal(retry, 1);
    struct config_limit none = {0, 0};
    for (int i = 0; i < 100; i++)
        assert_true(ratelimit_take("open", none, t, &retry));
    ratelimit_free();
}

static void limits_resolve(void **state)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.api_rate = 10;
    cfg.api_burst = 0;
    cfg.hook_rate = 5;
    cfg.hook_burst = 50;
    struct config_tenant t = {.id = "a", .limit = {-1, -1}};
    struct config_limit l = ratelimit_of_tenant(&cfg, &t);
    assert_int_equal(l.rate, 10);
    assert_int_equal(l.burst, 10); /* 0: the rate */
    t.limit = (struct config_limit){2, -1};
    l = ratelimit_of_tenant(&cfg, &t);
    assert_int_equal(l.rate, 2);
    assert_int_equal(l.burst, 2);
    t.limit = (struct config_limit){0, -1}; /* its own 0: no limit for it */
    assert_int_equal(ratelimit_of_tenant(&cfg, &t).rate, 0);
    struct adapter_source src[2];
    struct config_limit own[2] = {{-1, -1}, {1, 4}};
    cfg.sources = src;
    cfg.source_limits = own;
    cfg.n_sources = 2;
    l = ratelimit_of_source(&cfg, &src[0]);
    assert_int_equal(l.rate, 5);
    assert_int_equal(l.burst, 50);
    l = ratelimit_of_source(&cfg, &src[1]);
    assert_int_equal(l.rate, 1);
    assert_int_equal(l.burst, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket),
        cmocka_unit_test(limits_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
