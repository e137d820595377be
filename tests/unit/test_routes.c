/* Mirrors relay/routes.c: literal and captured segments, 404 vs 405 with the
 * Allow list, percent-decoding, malformed paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "routes.h"

static int h1, h2, h3, h4;
static const struct route table[] = {
    {"POST", "/orders", &h1, 0, "A"},
    {"POST", "/orders/shipment-status-update", &h2, 0, "B"},
    {"GET", "/orders/{reference}", &h3, 0, "C"},
    {"GET", "/orders/{reference}/change-logs", &h4, 0, "D"},
    {"GET", "/console/", &h1, 0, "E"},
    {"GET", "/console/{asset}", &h2, 0, "F"},
};
#define N (sizeof table / sizeof table[0])

static enum route_result match(const char *method, const char *path, const struct route **r,
                               struct route_params *p, char *allow)
{
    static char buf[256];
    strcpy(buf, path);
    return route_match(table, N, method, buf, r, p, allow, 64);
}

static void literal_and_captures(void **state)
{
    const struct route *r;
    struct route_params p;
    char allow[64];
    assert_int_equal(match("POST", "/orders", &r, &p, allow), ROUTE_FOUND);
    assert_ptr_equal(r->handler, &h1);
    assert_int_equal(match("POST", "/orders/shipment-status-update", &r, &p, allow), ROUTE_FOUND);
    assert_ptr_equal(r->handler, &h2);
    assert_int_equal(match("GET", "/orders/PO-1", &r, &p, allow), ROUTE_FOUND);
    assert_ptr_equal(r->handler, &h3);
    assert_string_equal(route_param(&p, "reference"), "PO-1");
    assert_null(route_param(&p, "ref"));
    assert_int_equal(match("GET", "/orders/PO-1/change-logs", &r, &p, allow), ROUTE_FOUND);
    assert_ptr_equal(r->handler, &h4);
    assert_string_equal(route_param(&p, "reference"), "PO-1");
}

static void not_found_and_not_allowed(void **state)
{
    const struct route *r;
    struct route_params p;
    char allow[64];
    assert_int_equal(match("GET", "/nope", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/orders/a/b", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("DELETE", "/orders", &r, &p, allow), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "POST");
    assert_int_equal(match("PUT", "/orders/shipment-status-update", &r, &p, allow), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(allow, "POST, GET");
}

/* A trailing slash is a segment of its own: only a pattern with one matches it. */
static void trailing_slash(void **state)
{
    const struct route *r;
    struct route_params p;
    char allow[64];
    assert_int_equal(match("GET", "/console/", &r, &p, allow), ROUTE_FOUND);
    assert_string_equal(r->name, "E");
    assert_int_equal(match("GET", "/console/app.js", &r, &p, allow), ROUTE_FOUND);
    assert_string_equal(r->name, "F");
    assert_string_equal(route_param(&p, "asset"), "app.js");
    assert_int_equal(match("GET", "/console", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/console/app.js/", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("POST", "/console/", &r, &p, allow), ROUTE_METHOD_NOT_ALLOWED);
}

static void decoding_and_malformed(void **state)
{
    const struct route *r;
    struct route_params p;
    char allow[64];
    assert_int_equal(match("GET", "/orders/PO%201%2B2", &r, &p, allow), ROUTE_FOUND);
    assert_string_equal(route_param(&p, "reference"), "PO 1+2");
    /* the path is split before decoding: an encoded '/' belongs to the value, and picks no other route */
    assert_int_equal(match("GET", "/orders/a%2Fb", &r, &p, allow), ROUTE_FOUND);
    assert_ptr_equal(r->handler, &h3);
    assert_string_equal(route_param(&p, "reference"), "a/b");
    assert_int_equal(match("GET", "/orders/a%2Fchange-logs", &r, &p, allow), ROUTE_FOUND);
    assert_ptr_equal(r->handler, &h3);
    assert_string_equal(route_param(&p, "reference"), "a/change-logs");
    assert_int_equal(match("GET", "/orders/%3F%23%25%2F%2E%2E%20%C3%A9/change-logs", &r, &p, allow), ROUTE_FOUND);
    assert_ptr_equal(r->handler, &h4);
    assert_string_equal(route_param(&p, "reference"), "?#%/.. \xc3\xa9");
    assert_int_equal(match("GET", "/orders/a%00", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/orders/%zz", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/orders//change-logs", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/orders/", &r, &p, allow), ROUTE_NOT_FOUND); /* no empty capture */
    assert_int_equal(match("GET", "/orders/a//", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "orders", &r, &p, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", &r, &p, allow), ROUTE_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_and_captures),
        cmocka_unit_test(not_found_and_not_allowed),
        cmocka_unit_test(decoding_and_malformed),
        cmocka_unit_test(trailing_slash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
