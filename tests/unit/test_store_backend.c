/* Mirrors relay/store_backend.h: every backend fills every member of its
 * table (a call added to store.h but not to a backend would crash there),
 * save the ones documented as optional. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store_backend.h"

typedef void (*fn_ptr)(void);

static bool optional(size_t offset)
{
    static const size_t optional_members[] = {
        offsetof(struct store_backend, sync),      offsetof(struct store_backend, maintain),      offsetof(struct store_backend, idle),
        offsetof(struct store_backend, listen),
        offsetof(struct store_backend, listen_fd), offsetof(struct store_backend, listen_read),
        offsetof(struct store_backend, listen_close)};
    for (size_t i = 0; i < sizeof optional_members / sizeof optional_members[0]; i++)
        if (optional_members[i] == offset)
            return true;
    return false;
}

static void check_table(const struct store_backend *be)
{
    size_t first = offsetof(struct store_backend, open);
    size_t n = (sizeof *be - first) / sizeof(fn_ptr);
    assert_true(n > 50);
    for (size_t i = 0; i < n; i++) {
        size_t offset = first + i * sizeof(fn_ptr);
        fn_ptr f;
        memcpy(&f, (const char *)be + offset, sizeof f);
        if (!f && !optional(offset))
            fail_msg("%s: member %zu of struct store_backend is empty", be->name, i);
    }
}

static void test_sqlite_table_is_full(void **state)
{
    check_table(&store_sqlite_backend);
}

static void test_postgresql_table_is_full(void **state)
{
    check_table(&store_pg_backend);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_table_is_full),
        cmocka_unit_test(test_postgresql_table_is_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
