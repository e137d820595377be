/* Mirrors relay/webhook_sign.c: the Standard Webhooks specification's
 * vector, secret format checks, and fresh secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "webhook_sign.h"

static void spec_vector(void **state)
{
    const char *body = "{\"test\": 2432232314}";
    char sig[WEBHOOK_SIGNATURE_LEN];
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                  body, strlen(body), sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* any change to id, time or body changes it */
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
                                  body, strlen(body), sig),
                     0);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void secrets(void **state)
{
    char s[WEBHOOK_SECRET_MAX], t[WEBHOOK_SECRET_MAX];
    webhook_secret_new(s);
    webhook_secret_new(t);
    assert_int_equal(strlen(s), 6 + 44);
    assert_memory_equal(s, "whsec_", 6);
    assert_string_not_equal(s, t);
    assert_true(webhook_secret_valid(s));
    assert_true(webhook_secret_valid("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assert_false(webhook_secret_valid("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assert_false(webhook_secret_valid("whsec_short"));
    assert_false(webhook_secret_valid("whsec_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"));
    assert_false(webhook_secret_valid(NULL));
    char sig[WEBHOOK_SIGNATURE_LEN];
    assert_int_equal(webhook_sign("nope", "m", 1, "x", 1, sig), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(spec_vector), cmocka_unit_test(secrets)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
