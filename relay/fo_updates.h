/* fo_updates: the fulfillment-order patches of Carriyo's Orders API (fact
 * sheet §5). Pure ops_fn's (order_ops.h) on the fulfillment order
 * in->fo_id; a value equal to the current one is OPS_NOOP.
 *
 *   update-location            location_id (required): re-allocation, while
 *                              no line is past allocated (else split the
 *                              open lines off); open lines → allocated.
 *   update-address             address (required): the delivery_address of
 *                              a DELIVERY order, the customer_collection_address
 *                              of a COLLECTION one; refused for DIGITAL.
 *   update-schedule            scheduled_from, scheduled_to: the method's
 *                              schedule (delivery_schedule or
 *                              customer_collection_schedule); not DIGITAL.
 *   update-delivery-method     delivery_method (required), address,
 *                              scheduled_from, scheduled_to: refused once
 *                              the order is processing (a shipment exists or
 *                              a line is past allocated); the previous
 *                              method's address and schedule are cleared;
 *                              DIGITAL takes neither.
 *   update-partner-references  partner_fulfillment_order_reference (unique
 *                              among the order's fulfillment orders) and/or
 *                              fulfillments[{fulfillment_id,
 *                              partner_fulfillment_reference}]. Each kind of
 *                              change carries its own Carriyo trigger on its
 *                              change entry (webhook_events.h).
 * Cancelled and closed fulfillment orders take none of them. */
#ifndef SHIPRELAY_FO_UPDATES_H
#define SHIPRELAY_FO_UPDATES_H
#include "order_ops.h"

enum ops_result fo_update_location(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                   size_t errlen);
enum ops_result fo_update_address(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                  size_t errlen);
enum ops_result fo_update_schedule(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                   size_t errlen);
enum ops_result fo_update_delivery_method(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                          size_t errlen);
enum ops_result fo_update_partner_references(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                             size_t errlen);

#endif
