/* allocation: which location fulfils which line (seed 000 "Allocation
 * timing"). Pure: rules come from the tenant's config, the order and the
 * clock-free inputs from the caller.
 *
 * A rule is one `allocation_rule` line of a [tenant "ID"] section:
 *     LOCATION [country=AE,SA] [sku=MUG-,TEA-] [merchant=SHOP-A]
 * A line matches when the shipping country (the delivery address's, or the
 * collection address's for COLLECTION; none for DIGITAL) is one of the
 * countries, its sku starts with one of the prefixes, and the order's
 * merchant is one of the merchants; a condition left out matches
 * everything. Rules are tried in the order written; the first match wins,
 * line by line, so an order may be split over several locations.
 *
 * Running the rules (allocation_run) over the open lines of an order:
 *   - lines in no fulfillment order go, per location, into a new one
 *     (allocated there) carrying the delivery members;
 *   - a fulfillment order without a location takes the location its open
 *     lines all match (its lines become allocated);
 *   - lines no rule matches stay open: auto_allocation_failed becomes true
 *     and error_details gets {code: "AUTO_ALLOCATION_FAILED", message,
 *     line_item_ids}; a later run that places everything clears both.
 * pending_delivery (order.h) is dropped once every line is in a
 * fulfillment order. */
#ifndef SHIPRELAY_ALLOCATION_H
#define SHIPRELAY_ALLOCATION_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "order_ops.h"

struct allocation_rule {
    char *location;
    char **countries, **skus, **merchants; /* NULL-terminated lists, or NULL: any */
};

/* Parse one rule; 0, or -1 with err. Free with allocation_rule_free. */
int allocation_rule_parse(const char *text, struct allocation_rule *out, char *err, size_t errlen);
void allocation_rule_free(struct allocation_rule *r);
/* The location of the first rule that matches, or NULL. */
const char *allocation_match(const struct allocation_rule *rules, size_t n, const char *country, const char *sku,
                             const char *merchant);

/* Run rules (or, with location non-NULL, that location for every line)
 * over the order's open lines (only those of line_ids when non-NULL),
 * with delivery (may be NULL: pending_delivery) for new fulfillment
 * orders. Returns the number of lines placed; appends change entries and
 * recomputes statuses when anything changed. */
int allocation_run(json_t *order, const struct allocation_rule *rules, size_t n, const char *location,
                   const json_t *line_ids, const json_t *delivery, const char *nonce, json_t *changes);

/* POST /orders/{ref}/fulfillment-orders/allocate: {location_id,
 * line_items [{id}], delivery members} all optional. Refused without
 * rules and location_id; OPS_NOOP when no line is open. */
enum ops_result allocation_allocate(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                    size_t errlen);

#endif
