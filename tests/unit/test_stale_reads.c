/* Mirrors relay/stale_reads.c: an answer is served to its own key only,
 * until it is older than the age limit; a newer answer replaces its key's;
 * the oldest go first when the size limit is reached; a clear empties it
 * and refuses answers read before it; one answer may not fill the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stale_reads.h"

static char *get(const char *key, int64_t now, int64_t *given)
{
    int64_t g = -1;
    char *text = stale_reads_get(key, now, &g);
    if (given)
        *given = g;
    return text;
}

static void served_to_its_key_until_too_old(void **state)
{
    stale_reads_init(1 << 20, 60000);
    stale_reads_put("tenant\na\n/orders/1", "{\"n\":1}", 1000);
    int64_t given;
    char *t = get("tenant\na\n/orders/1", 30000, &given);
    assert_string_equal(t, "{\"n\":1}");
    assert_int_equal(given, 1000);
    free(t);
    assert_null(get("tenant\nb\n/orders/1", 30000, NULL)); /* another tenant */
    assert_null(get("tenant\na\n/orders/2", 30000, NULL));
    stale_reads_put("tenant\na\n/orders/1", "{\"n\":2}", 2000); /* a newer answer replaces it */
    t = get("tenant\na\n/orders/1", 30000, &given);
    assert_string_equal(t, "{\"n\":2}");
    assert_int_equal(given, 2000);
    free(t);
    assert_null(get("tenant\na\n/orders/1", 62001, NULL)); /* older than a minute */
    unsigned long served;
    size_t entries, bytes;
    stale_reads_figures(&served, &entries, &bytes);
    assert_int_equal(served, 2);
    assert_int_equal(entries, 0);
    assert_int_equal(bytes, 0);
    stale_reads_free();
}

static void oldest_go_first(void **state)
{
    stale_reads_init(4000, 60000);
    char key[32], text[900];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = 0;
    for (int i = 0; i < 10; i++) { /* about 910 bytes each: four fit */
        snprintf(key, sizeof key, "k%d", i);
        stale_reads_put(key, text, 1000 + i);
    }
    size_t entries, bytes;
    unsigned long served;
    stale_reads_figures(&served, &entries, &bytes);
    assert_int_equal(entries, 4);
    assert_true(bytes <= 4000);
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "k%d", i);
        char *t = get(key, 2000, NULL);
        if (i < 6)
            assert_null(t);
        else
            assert_non_null(t);
        free(t);
    }
    /* an answer over a quarter of the cache is not kept */
    char big[1100];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    stale_reads_put("big", big, 3000);
    assert_null(get("big", 3000, NULL));
    stale_reads_free();
}

static void a_clear_refuses_earlier_reads(void **state)
{
    stale_reads_init(1 << 20, 60000);
    stale_reads_put("k", "before", 1000);
    stale_reads_clear(5000);
    assert_null(get("k", 5001, NULL));
    stale_reads_put("k", "read before the clear, answered after it", 4999);
    assert_null(get("k", 5001, NULL));
    stale_reads_put("k", "after", 5001);
    char *t = get("k", 5002, NULL);
    assert_string_equal(t, "after");
    free(t);
    stale_reads_free();
}

static void nothing_kept_when_off(void **state)
{
    stale_reads_init(1 << 20, 0);
    stale_reads_put("k", "v", 1000);
    assert_null(get("k", 1000, NULL));
    stale_reads_init(0, 60000);
    stale_reads_put("k", "v", 1000);
    assert_null(get("k", 1000, NULL));
    stale_reads_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(served_to_its_key_until_too_old),
        cmocka_unit_test(oldest_go_first),
        cmocka_unit_test(a_clear_refuses_earlier_reads),
        cmocka_unit_test(nothing_kept_when_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
