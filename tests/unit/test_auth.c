/* Mirrors relay/auth.c: right key, rotated keys, wrong key, wrong tenant,
 * missing parts, prefix and length tricks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "auth.h"

static void checks(void **state)
{
    struct config_tenant tenants[2] = {
        {"acme", (char *[]){"old-key-0123456789", "new-key-0123456789"}, 2},
        {"beta", (char *[]){"beta-key-0123456789"}, 1},
    };
    struct config c = {.tenants = tenants, .n_tenants = 2};
    assert_true(auth_tenant_key_ok(&c, "acme", "old-key-0123456789"));
    assert_true(auth_tenant_key_ok(&c, "acme", "new-key-0123456789"));
    assert_true(auth_tenant_key_ok(&c, "beta", "beta-key-0123456789"));
    assert_false(auth_tenant_key_ok(&c, "acme", "beta-key-0123456789")); /* another tenant's key */
    assert_false(auth_tenant_key_ok(&c, "acme", "new-key-012345678"));  /* a prefix */
    assert_false(auth_tenant_key_ok(&c, "acme", "new-key-0123456789x"));
    assert_false(auth_tenant_key_ok(&c, "acme", ""));
    assert_false(auth_tenant_key_ok(&c, "nobody", "new-key-0123456789"));
    assert_false(auth_tenant_key_ok(&c, NULL, "new-key-0123456789"));
    assert_false(auth_tenant_key_ok(&c, "acme", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(checks)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
