/* redact: what a customer's personal data is, and taking it out (seed
 * 001 "Data redaction"; fact sheet §13). Pure.
 *
 * The list, by member name, wherever the member is (an order and
 * everything in it: fulfillment orders, shipments, pending_delivery, line
 * items; a return request; a change-log value; a webhook payload):
 *
 *   address-shaped members: customer, billing_address, shipping_address,
 *     delivery_address, customer_collection_address, address, pickup,
 *     dropoff, collection. Every member is removed but the ones that place
 *     an order without naming a person (country, state, city, type,
 *     partner_location_id, partner_location_name, partner_location_code,
 *     collection_point_id) and customer_key; "redacted": true is added.
 *     A value that is not an object becomes {"redacted": true}.
 *   payment: keeps currency, order_total, payment_on_delivery,
 *     payment_mode, total_amount, pending_amount and amount; the rest (card
 *     holder, payer, …) is removed, "redacted": true added.
 *   personal members, set to null: contact_name, contact_email,
 *     contact_phone, alternate_phone, personal_id, company_name, email,
 *     phone, mobile, first_name, last_name, full_name, customer_name,
 *     customer_email, customer_phone, email_or_phone, customer_comment,
 *     address1, address2, address3, street, building, floor, flat, po_box,
 *     postcode, zip, zip_code, area, coords, notes, note, gift_message,
 *     custom_attributes, custom_fields, properties, ip_address.
 *   change entries ({field, old_value, new_value}, in a change log or a
 *     webhook): the values of a field named above (or a dotted path ending
 *     in one) are replaced as that member would be; other values are
 *     scrubbed like documents.
 *
 * Kept: ids and references, customer_key (how a customer's data is found
 * again: do not use personal data as a key), lines' SKUs and quantities,
 * statuses and their history, amounts, dates, carriyo_metadata, and free
 * text the relay cannot tell apart from business data (cancellation
 * reasons, warehouse and carrier messages). */
#ifndef SHIPRELAY_REDACT_H
#define SHIPRELAY_REDACT_H
#include <jansson.h>
#include <stdbool.h>

/* Take the personal data out of v (an object or array) in place; true when
 * something changed. Idempotent. */
bool redact_value(json_t *v);
/* A change entry's value for field, without personal data: a new
 * reference, or NULL when value has none (use it as it is). */
json_t *redact_change_value(const char *field, const json_t *value);
/* Is name one of the members listed above (address-shaped, payment or personal)? */
bool redact_is_personal(const char *name);

#endif
