/* Mirrors relay/delivery_stats.c: attempts land in their minute, buckets
 * sum whole minutes, a minute from another day is never read, endpoints
 * are separate, and a full table lends an idle endpoint's slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "delivery_stats.h"

#define MIN 60000LL
#define DAY (1440 * MIN)
static const int64_t T0 = 29000000LL * MIN; /* a whole minute, in 2025 */

static void minutes_and_buckets(void **state)
{
    struct delivery_bucket b[4];
    assert_false(delivery_stats_read("ep_none", T0, MIN, 4, b));
    delivery_stats_add("ep_a", DELIVERY_OK, 10, T0 + 1000);
    delivery_stats_add("ep_a", DELIVERY_OK, 30, T0 + 59999);
    delivery_stats_add("ep_a", DELIVERY_FAILED, 200, T0 + MIN);
    delivery_stats_add("ep_a", DELIVERY_DEAD, 5, T0 + 3 * MIN + 5);
    delivery_stats_add("ep_b", DELIVERY_OK, 1, T0);
    assert_true(delivery_stats_read("ep_a", T0, MIN, 4, b));
    assert_int_equal(b[0].delivered, 2);
    assert_int_equal(b[0].failed + b[0].dead, 0);
    assert_true(b[0].latency_ms_sum == 40 && b[0].latency_ms_max == 30);
    assert_int_equal(b[1].failed, 1);
    assert_int_equal(b[2].delivered + b[2].failed + b[2].dead, 0);
    assert_int_equal(b[3].dead, 1);
    /* two-minute buckets sum their minutes; a window before the first attempt is empty */
    assert_true(delivery_stats_read("ep_a", T0, 2 * MIN, 2, b));
    assert_int_equal(b[0].delivered + b[0].failed, 3);
    assert_true(b[0].latency_ms_max == 200);
    assert_int_equal(b[1].dead, 1);
    assert_true(delivery_stats_read("ep_a", T0 - 4 * MIN, MIN, 4, b));
    for (int i = 0; i < 4; i++)
        assert_int_equal(b[i].delivered + b[i].failed + b[i].dead, 0);
}

static void a_day_later(void **state)
{
    struct delivery_bucket b[1];
    delivery_stats_add("ep_c", DELIVERY_OK, 10, T0);
    /* the same ring slot a day later: yesterday's count is not today's */
    assert_true(delivery_stats_read("ep_c", T0 + DAY, MIN, 1, b));
    assert_int_equal(b[0].delivered, 0);
    delivery_stats_add("ep_c", DELIVERY_FAILED, 10, T0 + DAY);
    assert_true(delivery_stats_read("ep_c", T0 + DAY, MIN, 1, b));
    assert_int_equal(b[0].delivered, 0);
    assert_int_equal(b[0].failed, 1);
    assert_true(delivery_stats_read("ep_c", T0, MIN, 1, b)); /* overwritten: gone */
    assert_int_equal(b[0].delivered, 0);
}

static void a_full_table(void **state)
{
    char id[32];
    struct delivery_bucket b[1];
    for (int i = 0; i < DELIVERY_STATS_MAX; i++) {
        snprintf(id, sizeof id, "ep_full_%d", i);
        delivery_stats_add(id, DELIVERY_OK, 1, T0 + 5 * DAY);
    }
    /* every slot taken and busy today: a new endpoint is not counted */
    delivery_stats_add("ep_late", DELIVERY_OK, 1, T0 + 5 * DAY);
    assert_false(delivery_stats_read("ep_late", T0 + 5 * DAY, MIN, 1, b));
    /* two days on, the idle ones lend their slots */
    delivery_stats_add("ep_late", DELIVERY_OK, 1, T0 + 7 * DAY);
    assert_true(delivery_stats_read("ep_late", T0 + 7 * DAY, MIN, 1, b));
    assert_int_equal(b[0].delivered, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minutes_and_buckets),
        cmocka_unit_test(a_day_later),
        cmocka_unit_test(a_full_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
