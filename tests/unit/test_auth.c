/* Mirrors relay/auth.c: right key, rotated keys, wrong key, wrong tenant,
 * missing parts, prefix and length tricks; OAuth2 clients and bearer
 * tokens (scoped to their tenant, expiring, rotation, require_oauth). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"

static struct config_client acme_clients[] = {{"acme-oms", "old-secret-0123456789"},
                                              {"acme-oms", "new-secret-0123456789"},
                                              {"acme-wms", "wms-secret-0123456789"}};
static struct config_client beta_clients[] = {{"beta-oms", "beta-secret-0123456789"}};
static struct config_tenant tenants[2] = {
    {.id = "acme", .api_keys = (char *[]){"old-key-0123456789", "new-key-0123456789"}, .n_api_keys = 2,
     .clients = acme_clients, .n_clients = 3},
    {.id = "beta", .api_keys = (char *[]){"beta-key-0123456789"}, .n_api_keys = 1, .clients = beta_clients,
     .n_clients = 1},
};
static struct config c = {.tenants = tenants, .n_tenants = 2};

static void keys(void **state)
{
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

static void clients(void **state)
{
    assert_ptr_equal(auth_client(&c, "acme-oms", "old-secret-0123456789"), &tenants[0]); /* rotation: both */
    assert_ptr_equal(auth_client(&c, "acme-oms", "new-secret-0123456789"), &tenants[0]);
    assert_ptr_equal(auth_client(&c, "beta-oms", "beta-secret-0123456789"), &tenants[1]);
    assert_null(auth_client(&c, "acme-oms", "wms-secret-0123456789")); /* another client's secret */
    assert_null(auth_client(&c, "acme-oms", "beta-secret-0123456789"));
    assert_null(auth_client(&c, "ghost", "old-secret-0123456789"));
    assert_null(auth_client(&c, "acme-oms", NULL));
}

static void bearer(void **state)
{
    char tok[TOKEN_MAX], header[TOKEN_MAX + 16];
    auth_issue_token(&tenants[0], "acme-oms", "old-secret-0123456789", 1000, tok);
    snprintf(header, sizeof header, "Bearer %s", tok);
    assert_int_equal(auth_check_token(&tenants[0], tok, 999), TOKEN_OK);
    assert_int_equal(auth_check_token(&tenants[0], tok, 1000), TOKEN_EXPIRED);
    assert_int_equal(auth_check_token(&tenants[1], tok, 999), TOKEN_INVALID); /* scoped to its tenant */
    assert_true(auth_request_ok(&c, "acme", "new-key-0123456789", header, 999));
    assert_false(auth_request_ok(&c, "acme", "new-key-0123456789", header, 1001)); /* a sent token must be live */
    assert_false(auth_request_ok(&c, "acme", "wrong-key-0123456789", header, 999)); /* the key is still needed */
    assert_false(auth_request_ok(&c, "beta", "beta-key-0123456789", header, 999));
    assert_true(auth_request_ok(&c, "acme", "new-key-0123456789", NULL, 999)); /* optional for acme */
    tok[10] ^= 1;
    assert_int_equal(auth_check_token(&tenants[0], tok, 999), TOKEN_INVALID);
    /* a token names its client: another client's secret does not sign it */
    auth_issue_token(&tenants[0], "acme-wms", "old-secret-0123456789", 1000, tok);
    assert_int_equal(auth_check_token(&tenants[0], tok, 999), TOKEN_INVALID);
    tenants[1].require_oauth = true;
    auth_issue_token(&tenants[1], "beta-oms", "beta-secret-0123456789", 1000, tok);
    snprintf(header, sizeof header, "Bearer %s", tok);
    assert_true(auth_request_ok(&c, "beta", "beta-key-0123456789", header, 999));
    assert_false(auth_request_ok(&c, "beta", "beta-key-0123456789", NULL, 999));
    assert_false(auth_request_ok(&c, "beta", "beta-key-0123456789", "Basic eDp5", 999));
    assert_false(auth_request_ok(&c, "beta", NULL, header, 999));
    tenants[1].require_oauth = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(keys), cmocka_unit_test(clients), cmocka_unit_test(bearer)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
