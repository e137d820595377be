/* Mirrors relay/shipment_status.c: the vocabulary, the final set, and the
 * moves allowed and refused after a final status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shipment_status.h"

static void vocabulary(void **state)
{
    const char *all[] = {"draft", "pending", "booked", "error", "cancelled", "cancelled_by_carrier", "ready_to_ship",
                         "shipped", "in_transit", "out_for_delivery", "awaiting_customer_collection",
                         "failed_delivery_attempt", "failed_collection_attempt", "delayed", "suspended", "missing",
                         "delivered", "ready_for_return", "return_in_transit", "returned", "delivery_confirmed",
                         "return_confirmed"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_true(shipment_status_known(all[i]));
    assert_false(shipment_status_known("DELIVERED"));
    assert_false(shipment_status_known("lost_in_space"));
    assert_false(shipment_status_known(NULL));
    const char *finals[] = {"delivered", "returned", "cancelled", "cancelled_by_carrier", "delivery_confirmed",
                            "return_confirmed"};
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++)
        assert_true(shipment_status_final(finals[i]));
    assert_false(shipment_status_final("in_transit"));
    assert_false(shipment_status_final("return_in_transit"));
}

static void moves(void **state)
{
    static const struct {
        const char *from, *to;
        bool ok;
    } cases[] = {
        {NULL, "in_transit", true},
        {NULL, "delivered", true},
        {NULL, "weird", false},
        {"booked", "in_transit", true},
        {"in_transit", "delayed", true},
        {"delayed", "in_transit", true},
        {"out_for_delivery", "in_transit", true},
        {"in_transit", "in_transit", false},
        {"delivered", "delivered", false},
        {"delivered", "in_transit", false},
        {"delivered", "out_for_delivery", false},
        {"delivered", "cancelled", false},
        {"delivered", "delivery_confirmed", true},
        {"delivered", "ready_for_return", true},
        {"delivered", "return_in_transit", true},
        {"delivered", "returned", true},
        {"delivery_confirmed", "returned", true},
        {"delivery_confirmed", "delivered", false},
        {"returned", "return_confirmed", true},
        {"returned", "in_transit", false},
        {"return_confirmed", "returned", false},
        {"cancelled", "in_transit", false},
        {"cancelled_by_carrier", "booked", false},
        {"in_transit", "unknown_status", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (shipment_status_may_move(cases[i].from, cases[i].to) != cases[i].ok)
            fail_msg("%s -> %s should be %s", cases[i].from ? cases[i].from : "(none)", cases[i].to,
                     cases[i].ok ? "allowed" : "refused");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(vocabulary), cmocka_unit_test(moves)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
