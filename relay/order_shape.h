/* order_shape: Carriyo's order members (fact sheet §3) and their rules.
 * Pure: no I/O.
 *
 * Simple members, settable on create and by PATCH (§4.2), each checked and
 * normalised by order_shape_value:
 *   partner_order_reference  non-empty string (at most 255 bytes)
 *   merchant                 non-empty string (default: the tenant id)
 *   language, sales_channel, customer_key   string or null
 *   order_date               ISO 8601 date-time; one without an offset gets "Z"
 *   taxes_included, duties_included         true or false
 *   billing_address, customer, payment      object or null
 *   discount_applications, shipping_lines   array
 *   carriyo_metadata         [{key, value}]
 * Server-set members: status, sub_status (sub_status.h), auto_allocation_failed, cancellation_reason
 * (one of ORDER_SHAPE_CANCELLATION_REASONS), redacted, error_details,
 * creation_source and update_source ({source_type, source_id, api_pattern,
 * request_type, system_log_identifier}), creation_date, update_date.
 *
 * Delivery members (DELIVERY, COLLECTION or DIGITAL, with their address and
 * schedule) live on fulfillment orders; on create they may also be given at
 * the top, and are then copied onto the fulfillment orders. */
#ifndef SHIPRELAY_ORDER_SHAPE_H
#define SHIPRELAY_ORDER_SHAPE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated lists. */
extern const char *const order_shape_simple_members[];
extern const char *const order_shape_delivery_members[];
extern const char *const order_shape_cancellation_reasons[];

/* Every member of a response present: absent ones get their default (null,
 * false, [], a source object with every key); the same for each
 * fulfillment order (delivery members, location_id, partner reference,
 * carriyo_metadata) and line (`id` beside `line_item_id`; an FO line stored
 * without a status, from before FO lines had one, takes its order line's).
 * Idempotent; logs nothing. Called on every order read from the store
 * before anything is applied to it. */
void order_shape_defaults(json_t *order);

/* The normalised value of a simple member (a new reference), or NULL with a
 * message naming it in err. */
json_t *order_shape_value(const char *name, const json_t *value, char *err, size_t errlen);
/* Is name one of the simple members? */
bool order_shape_is_simple(const char *name);

/* Check and normalise the delivery members present in obj (the method is
 * upper-cased, schedules' dates normalised). where prefixes messages
 * ("", "fulfillment_orders[0]."). 0, or -1 with err. */
int order_shape_delivery(json_t *obj, const char *where, char *err, size_t errlen);
/* A schedule {scheduled_from, scheduled_to}: a new normalised object, or
 * NULL with err. */
json_t *order_shape_schedule(const json_t *v, const char *where, char *err, size_t errlen);
/* "2026-05-01T10:00:00" → "2026-05-01T10:00:00Z" (a new string), NULL when
 * not an ISO 8601 date-time. */
json_t *order_shape_date(const json_t *v);

/* Carriyo's reason for a cancellation reason as sent: one of the six
 * (any case) as it is spelt there, else "OTHER". */
const char *order_shape_cancellation_reason(const char *given);

#endif
