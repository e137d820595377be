/* Mirrors relay/token.c: the exact format (the UPS endpoint's tokens keep
 * it), key ids, expiry, tampering, malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crypto.h"
#include "token.h"

static void format(void **state)
{
    char tok[TOKEN_MAX], want[TOKEN_MAX], hex[CRYPTO_HEX_LEN(CRYPTO_SHA256_LEN)];
    unsigned char mac[CRYPTO_SHA256_LEN];
    token_issue("k3y", "acme/ups", NULL, 1700000000, tok);
    crypto_hmac_sha256("k3y", 3, "acme/ups/1700000000", 19, mac);
    crypto_hex(mac, sizeof mac, hex);
    snprintf(want, sizeof want, "v1.1700000000.%s", hex);
    assert_string_equal(tok, want);
    assert_null(token_kid(tok));
    token_issue("k3y", "oauth/acme", "client.1", 1700000000, tok);
    assert_string_equal(token_kid(tok), "client.1");
    crypto_hmac_sha256("k3y", 3, "oauth/acme/client.1/1700000000", 30, mac);
    crypto_hex(mac, sizeof mac, hex);
    snprintf(want, sizeof want, "v1.1700000000.%s.client.1", hex);
    assert_string_equal(tok, want);
}

static void checks(void **state)
{
    char tok[TOKEN_MAX];
    token_issue("k3y", "s", "cid", 100, tok);
    assert_int_equal(token_check("k3y", "s", tok, 99), TOKEN_OK);
    assert_int_equal(token_check("k3y", "s", tok, 100), TOKEN_EXPIRED);
    assert_int_equal(token_check("other", "s", tok, 99), TOKEN_INVALID);
    assert_int_equal(token_check("k3y", "t", tok, 99), TOKEN_INVALID);
    char forged[TOKEN_MAX];
    strcpy(forged, tok);
    forged[strlen(forged) - 1] = 'x'; /* another kid under the same MAC */
    assert_int_equal(token_check("k3y", "s", forged, 99), TOKEN_INVALID);
    strcpy(forged, tok);
    forged[3] = '9'; /* a later expiry */
    assert_int_equal(token_check("k3y", "s", forged, 99), TOKEN_INVALID);
    const char *bad[] = {"", "v1.", "v1.100", "v1.100.", "v2.100.abc", "v1.-5.00", "v1.x.00", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(token_check("k3y", "s", bad[i], 0), TOKEN_INVALID);
        assert_null(token_kid(bad[i]));
    }
    assert_int_equal(token_check("k3y", "s", NULL, 0), TOKEN_INVALID);
    strcpy(forged, tok);
    strcat(forged, "."); /* a trailing dot is not a kid */
    token_issue("k3y", "s", NULL, 100, tok);
    strcat(tok, ".");
    assert_int_equal(token_check("k3y", "s", tok, 99), TOKEN_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(format), cmocka_unit_test(checks)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
