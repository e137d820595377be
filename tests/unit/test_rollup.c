/* Mirrors relay/rollup.c: every rule of rollup.h, one table row each, plus
 * the edge cases (empty, all cancelled, cancelled set aside). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "rollup.h"

#define L(x) LINE_##x
#define R(x) ROLLUP_##x
#define MAXN 6

struct fo_case {
    const char *name;
    size_t n;
    enum line_status lines[MAXN];
    enum rollup_status want;
};

static const struct fo_case fo_cases[] = {
    {"no lines", 0, {0}, R(OPEN)},
    {"all open", 2, {L(OPEN), L(OPEN)}, R(OPEN)},
    {"one allocated one open", 2, {L(ALLOCATED), L(OPEN)}, R(PARTIALLY_ALLOCATED)},
    {"all allocated", 2, {L(ALLOCATED), L(ALLOCATED)}, R(ALLOCATED)},
    {"allocated and cancelled", 2, {L(ALLOCATED), L(CANCELLED)}, R(ALLOCATED)},
    {"pick in progress", 2, {L(PICK_IN_PROGRESS), L(ALLOCATED)}, R(PROCESSING)},
    {"picked", 2, {L(PICKED), L(OPEN)}, R(PROCESSING)},
    {"pack in progress", 1, {L(PACK_IN_PROGRESS)}, R(PROCESSING)},
    {"one fulfilled one allocated", 2, {L(FULFILLED), L(ALLOCATED)}, R(PROCESSING)},
    {"all fulfilled", 2, {L(FULFILLED), L(FULFILLED)}, R(FULFILLED)},
    {"fulfilled and closed", 2, {L(FULFILLED), L(CLOSED)}, R(FULFILLED)},
    {"fulfilled and cancelled", 2, {L(FULFILLED), L(CANCELLED)}, R(FULFILLED)},
    {"one closed one open", 2, {L(CLOSED), L(OPEN)}, R(PROCESSING)},
    {"all closed", 2, {L(CLOSED), L(CLOSED)}, R(CLOSED)},
    {"closed and cancelled", 3, {L(CLOSED), L(CANCELLED), L(CLOSED)}, R(CLOSED)},
    {"all cancelled", 2, {L(CANCELLED), L(CANCELLED)}, R(CANCELLED)},
    {"open and cancelled", 2, {L(OPEN), L(CANCELLED)}, R(OPEN)},
};

struct order_case {
    const char *name;
    size_t n;
    enum rollup_status fos[MAXN];
    enum rollup_status want;
};

static const struct order_case order_cases[] = {
    {"no fulfillment orders", 0, {0}, R(OPEN)},
    {"all open", 2, {R(OPEN), R(OPEN)}, R(OPEN)},
    {"some allocated, some open", 2, {R(ALLOCATED), R(OPEN)}, R(PARTIALLY_ALLOCATED)},
    {"a partially allocated FO", 1, {R(PARTIALLY_ALLOCATED)}, R(PARTIALLY_ALLOCATED)},
    {"all allocated", 2, {R(ALLOCATED), R(ALLOCATED)}, R(ALLOCATED)},
    {"allocated and cancelled", 2, {R(ALLOCATED), R(CANCELLED)}, R(ALLOCATED)},
    {"one processing", 3, {R(PROCESSING), R(ALLOCATED), R(OPEN)}, R(PROCESSING)},
    {"fulfilled beside allocated", 2, {R(FULFILLED), R(ALLOCATED)}, R(PROCESSING)},
    {"closed beside open", 2, {R(CLOSED), R(OPEN)}, R(PROCESSING)},
    {"all fulfilled", 2, {R(FULFILLED), R(FULFILLED)}, R(FULFILLED)},
    {"fulfilled and closed", 2, {R(FULFILLED), R(CLOSED)}, R(FULFILLED)},
    {"fulfilled and cancelled", 2, {R(FULFILLED), R(CANCELLED)}, R(FULFILLED)},
    {"all closed", 2, {R(CLOSED), R(CLOSED)}, R(CLOSED)},
    {"closed and cancelled", 2, {R(CLOSED), R(CANCELLED)}, R(CLOSED)},
    {"all cancelled", 3, {R(CANCELLED), R(CANCELLED), R(CANCELLED)}, R(CANCELLED)},
};

static void fulfillment_order_rules(void **state)
{
    for (size_t i = 0; i < sizeof fo_cases / sizeof fo_cases[0]; i++) {
        const struct fo_case *c = &fo_cases[i];
        enum rollup_status got = rollup_fulfillment_order(c->lines, c->n);
        if (got != c->want)
            fail_msg("FO case \"%s\": got %s, want %s", c->name, rollup_status_name(got), rollup_status_name(c->want));
    }
}

static void order_rules(void **state)
{
    for (size_t i = 0; i < sizeof order_cases / sizeof order_cases[0]; i++) {
        const struct order_case *c = &order_cases[i];
        enum rollup_status got = rollup_order(c->fos, c->n);
        if (got != c->want)
            fail_msg("order case \"%s\": got %s, want %s", c->name, rollup_status_name(got),
                     rollup_status_name(c->want));
    }
}

static void every_input_has_a_rule(void **state)
{
    /* Any single line status, alone, rolls up to a defined status. */
    for (int s = 0; s < LINE__COUNT; s++) {
        enum line_status one = (enum line_status)s;
        assert_true(rollup_fulfillment_order(&one, 1) < ROLLUP__COUNT);
    }
}

static void names_round_trip(void **state)
{
    for (int s = 0; s < LINE__COUNT; s++) {
        enum line_status back;
        assert_true(rollup_line_status_parse(rollup_line_status_name((enum line_status)s), &back));
        assert_int_equal(back, s);
    }
    for (int s = 0; s < ROLLUP__COUNT; s++) {
        enum rollup_status back;
        assert_true(rollup_status_parse(rollup_status_name((enum rollup_status)s), &back));
        assert_int_equal(back, s);
    }
    enum line_status ls;
    assert_false(rollup_line_status_parse("OPEN", &ls));
    assert_false(rollup_line_status_parse("shipped", &ls));
    assert_string_equal(rollup_status_name(ROLLUP_PARTIALLY_ALLOCATED), "partially_allocated");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fulfillment_order_rules),
        cmocka_unit_test(order_rules),
        cmocka_unit_test(every_input_has_a_rule),
        cmocka_unit_test(names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
