/* returns: return requests (seeds 000 and 001; fact sheet §12). Pure: no
 * I/O; the store side is store_returns.c, the jobs returns_pipeline.c, the
 * HTTP side handlers_returns.c.
 *
 * A return request references its order by partner_order_reference (seed
 * 001: "whether or not an Order entity exists"), is scoped to items and
 * quantities, and is linked to the order (order_id, and each item's
 * line_item_id) when the relay holds it or once it arrives. The document:
 *
 *   return_request_id, tenant, merchant, partner_order_reference, order_id
 *   (null until linked), status (pending, approved, rejected, cancelled,
 *   completed), items[] {sku, line_item_id, quantity, reason_code,
 *   description, approved_quantity, returned_quantity, received_quantity,
 *   reverse_shipment_ids, condition, resolution}, pickup, collection,
 *   channel, customer_comment, email_or_phone, refund_method, refund_info,
 *   carriyo_metadata, notes[] {date, action, text}, shipments[] (REVERSE
 *   shipments, tracked as an order's are: shipment_update.h), creation_date,
 *   update_date, approval_date, rejection_date, cancellation_date,
 *   completion_date, creation_source, update_source, redacted.
 *
 * The life of a request:
 *
 *   pending   → approved (approve: approved quantities, reverse shipments
 *               registered), rejected (reject), cancelled (cancel);
 *               PATCH only while pending
 *   approved  → completed (complete: received quantities, condition,
 *               resolution, refund_info), cancelled (cancel, unless goods
 *               are already on their way back)
 *   rejected, cancelled, completed: final. A repeat of the action that
 *   led there is OPS_NOOP; anything else is OPS_REFUSED naming what is
 *   allowed.
 *
 * Change entries have entity_type return_request (or return_shipment) and
 * entity_id the request's id; they go to the order's change log when the
 * request is linked. */
#ifndef SHIPRELAY_RETURNS_H
#define SHIPRELAY_RETURNS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "order_ops.h"

/* Carriyo's return webhook triggers (fact sheet §6). */
#define RETURNS_STATUS_TRIGGER "return_status_update"
#define RETURNS_RECEIVED_TRIGGER "return_received_update"

/* Validate a POST /returns/requests body and build a pending request:
 * partner_order_reference and items (non-empty; each a sku and a quantity
 * >= 1, no sku twice) required; merchant, pickup, collection, channel,
 * customer_comment, email_or_phone, refund_method, carriyo_metadata
 * optional. NULL with a message naming the field in err. Appends
 * RETURN_REQUESTED to changes. */
json_t *returns_create(const json_t *body, const char *tenant, const char *id, const json_t *origin,
                       const char *now_iso, json_t *changes, char *err, size_t errlen);
/* Scope ret's items to order (the order it references) and link it: each
 * item names a line (by line_item_id, else sku) and asks no more units than
 * the line has left to return (its quantity, less cancelled units and the
 * units other requests of the order (others: their documents) ask or were
 * approved for, rejected and cancelled ones aside). OPS_CHANGED (linked),
 * OPS_REFUSED with the returnable lines in err (a cancelled order, another
 * merchant's order, an unknown sku, too many units). */
enum ops_result returns_scope(json_t *ret, const json_t *order, const json_t *others, char *err, size_t errlen);
/* Link ret to an order that arrived after it: order_id, merchant, items'
 * line_item_id where a line has the sku (unscoped: it was accepted
 * already). Appends RETURN_LINKED. */
void returns_link(json_t *ret, const json_t *order, json_t *changes);
/* PATCH while pending: the members of returns_create but
 * partner_order_reference and merchant (items replace the list). The
 * caller scopes the items again. OPS_NOOP when nothing changed. */
enum ops_result returns_patch(json_t *ret, const json_t *body, json_t *changes, char *err, size_t errlen);

/* The actions (returns_flow.c), each on a body (an object):
 *   approve   items [{sku, approved_quantity}] (default: all asked),
 *             shipments [{partner_shipment_reference | tracking_no |
 *             shipment_id, carrier, items [{sku, quantity}]}], note
 *   reject    reason
 *   cancel    reason
 *   complete  items [{sku, received_quantity, condition, resolution}],
 *             refund_info, note */
typedef enum ops_result (*returns_fn)(json_t *ret, const json_t *body, const char *now_iso, json_t *changes,
                                       char *err, size_t errlen);
enum ops_result returns_approve(json_t *ret, const json_t *body, const char *now_iso, json_t *changes, char *err,
                                size_t errlen);
enum ops_result returns_reject(json_t *ret, const json_t *body, const char *now_iso, json_t *changes, char *err,
                               size_t errlen);
enum ops_result returns_cancel(json_t *ret, const json_t *body, const char *now_iso, json_t *changes, char *err,
                               size_t errlen);
enum ops_result returns_complete(json_t *ret, const json_t *body, const char *now_iso, json_t *changes, char *err,
                                 size_t errlen);

/* A REVERSE shipment for ret from a canonical event naming it
 * (partner_shipment_reference, tracking_no, shipment_id, carrier, items):
 * added to ret's shipments (and the items' reverse_shipment_ids). */
void returns_add_shipment(json_t *ret, const json_t *event, json_t *changes);
/* After shipment_update_apply on ret: the return_shipment entries, the
 * items' returned quantities (units on shipments that reached returned or
 * return_confirmed) and received quantities (return_confirmed), and the
 * trigger to fire: RETURNS_RECEIVED_TRIGGER when a shipment reached
 * returned or return_confirmed, else RETURNS_STATUS_TRIGGER. */
const char *returns_shipment_moved(json_t *ret, json_t *changes);
/* The keys ret's shipments are found by (tracking numbers, "psr:REF",
 * "sid:ID"), as an object used as a set. */
json_t *returns_shipment_keys(const json_t *ret);

#endif
