/* Mirrors relay/redact.c: every list of redact.h (address-shaped members,
 * payment, personal members) wherever they sit, change entries by their
 * field, what is kept, and that it is idempotent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jsonutil.h"
#include "redact.h"

static json_t *load(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void no_marker(const json_t *v)
{
    char *t = json_dumps(v, 0);
    if (strstr(t, "XX"))
        fail_msg("personal data left: %s", t);
    free(t);
}

static void documents(void **state)
{
    json_t *o = load(
        "{\"order_id\":\"o1\",\"customer_key\":\"C1\",\"customer\":{\"contact_name\":\"XX\",\"personal_id\":{\"id\":\"XX\"},"
        "\"customer_key\":\"C1\",\"city\":\"Dubai\",\"country\":\"AE\",\"name\":\"XX\"},\"billing_address\":\"XX street\","
        "\"payment\":{\"currency\":\"AED\",\"order_total\":5,\"card_holder\":\"XX\"},\"customer_email\":\"XX\","
        "\"line_items\":[{\"sku\":\"A\",\"gift_message\":\"XX\",\"custom_attributes\":{\"x\":[\"XX\"]}}],"
        "\"fulfillment_orders\":[{\"delivery_address\":{\"address1\":\"XX\",\"coords\":[1,2],\"country\":\"AE\"},"
        "\"customer_collection_address\":null}],\"shipments\":[{\"dropoff\":{\"contact_phone\":\"XX\"},"
        "\"status_history\":[{\"status\":\"delivered\"}]}],\"pending_delivery\":{\"delivery_address\":{\"flat\":\"XX\"}},"
        "\"shipping_lines\":[{\"name\":\"Express\"}],\"carriyo_metadata\":[{\"key\":\"k\",\"value\":\"v\"}]}");
    assert_true(redact_value(o));
    no_marker(o);
    assert_string_equal(ju_path_str(o, "customer.customer_key"), "C1");
    assert_string_equal(ju_path_str(o, "customer.country"), "AE");
    assert_string_equal(ju_path_str(o, "customer_key"), "C1");
    assert_true(json_is_true(ju_path(o, "customer.redacted")));
    assert_true(json_is_true(ju_path(o, "billing_address.redacted"))); /* not an object: replaced */
    assert_int_equal(json_integer_value(ju_path(o, "payment.order_total")), 5);
    assert_null(ju_path(o, "payment.card_holder"));
    assert_true(json_is_null(json_object_get(o, "customer_email")));
    assert_string_equal(ju_path_str(json_array_get(json_object_get(o, "shipping_lines"), 0), "name"), "Express");
    assert_string_equal(ju_path_str(json_array_get(json_object_get(o, "line_items"), 0), "sku"), "A");
    char *once = json_dumps(o, JSON_SORT_KEYS);
    assert_false(redact_value(o)); /* idempotent */
    char *twice = json_dumps(o, JSON_SORT_KEYS);
    assert_string_equal(once, twice);
    free(once);
    free(twice);
    json_decref(o);
}

static void change_values(void **state)
{
    json_t *v = load("{\"contact_name\":\"XX\",\"city\":\"Dubai\"}");
    json_t *r = redact_change_value("customer", v); /* the member as a whole */
    assert_non_null(r);
    no_marker(r);
    assert_string_equal(ju_path_str(r, "city"), "Dubai");
    json_decref(r);
    json_t *s = json_string("XX");
    r = redact_change_value("customer.contact_email", s); /* a dotted path ending in a personal member */
    assert_true(json_is_null(r));
    json_decref(r);
    r = redact_change_value("email_or_phone", s);
    assert_true(json_is_null(r));
    json_decref(r);
    assert_null(redact_change_value("language", s)); /* nothing personal: kept as it is */
    json_t *line = load("{\"sku\":\"A\",\"gift_message\":\"XX\"}");
    r = redact_change_value("line_items", line); /* scrubbed as a document */
    no_marker(r);
    json_decref(r);
    /* change entries inside a payload (order.stuck's last_event) */
    json_t *p = load("{\"stuck\":{\"last_event\":{\"field\":\"customer\",\"new_value\":{\"contact_name\":\"XX\"}}},"
                     "\"data\":{\"newImage\":{\"pickup\":{\"street\":\"XX\"}}}}");
    assert_true(redact_value(p));
    no_marker(p);
    assert_true(redact_is_personal("dropoff") && redact_is_personal("payment") && redact_is_personal("notes"));
    assert_false(redact_is_personal("sku"));
    json_decref(p);
    json_decref(line);
    json_decref(s);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(documents), cmocka_unit_test(change_values)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
