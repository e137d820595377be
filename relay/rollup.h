/* rollup: fulfillment-order and order status, computed from line items.
 *
 * Pure functions, no I/O, no allocation. The rules are Carriyo's (seed 000,
 * "Order lifecycle"): a fulfillment order's status follows from the statuses
 * of its line items, and an order's from its fulfillment orders. Statuses are
 * never taken from input.
 *
 * Fulfillment order, over its line items (cancelled lines are set aside
 * unless every line is cancelled):
 *   no lines                                     open
 *   every line cancelled                         cancelled
 *   every remaining line closed                  closed
 *   every remaining line fulfilled or closed     fulfilled
 *   any line picking/picked/packing/fulfilled/closed  processing
 *   every remaining line allocated               allocated
 *   some allocated, some open                    partially_allocated
 *   every remaining line open                    open
 *
 * Order, over its fulfillment orders (the caller adds the line items that
 * belong to no fulfillment order as one more, rolled up like the others, so
 * unallocated lines keep an order from counting as allocated):
 *   no fulfillment orders                        open
 *   every FO cancelled                           cancelled
 *   every remaining FO closed                    closed
 *   every remaining FO fulfilled or closed       fulfilled
 *   any FO processing, or fulfilled/closed beside unfinished ones  processing
 *   every remaining FO allocated                 allocated
 *   any FO allocated or partially_allocated      partially_allocated
 *   otherwise                                    open
 */
#ifndef SHIPRELAY_ROLLUP_H
#define SHIPRELAY_ROLLUP_H
#include <stdbool.h>
#include <stddef.h>

enum line_status {
    LINE_OPEN,
    LINE_ALLOCATED,
    LINE_PICK_IN_PROGRESS,
    LINE_PICKED,
    LINE_PACK_IN_PROGRESS,
    LINE_FULFILLED,
    LINE_CLOSED,
    LINE_CANCELLED,
    LINE__COUNT
};

/* Shared by fulfillment orders and orders. */
enum rollup_status {
    ROLLUP_OPEN,
    ROLLUP_PARTIALLY_ALLOCATED,
    ROLLUP_ALLOCATED,
    ROLLUP_PROCESSING,
    ROLLUP_FULFILLED,
    ROLLUP_CLOSED,
    ROLLUP_CANCELLED,
    ROLLUP__COUNT
};

/* Name as the API spells it ("pick_in_progress", "partially_allocated"). */
const char *rollup_line_status_name(enum line_status s);
const char *rollup_status_name(enum rollup_status s);
/* Parse an API name (exact, lowercase); false when unknown. */
bool rollup_line_status_parse(const char *name, enum line_status *out);
bool rollup_status_parse(const char *name, enum rollup_status *out);

enum rollup_status rollup_fulfillment_order(const enum line_status *lines, size_t n);
enum rollup_status rollup_order(const enum rollup_status *fos, size_t n);

#endif
