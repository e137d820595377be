/* returns_pipeline: return requests inside store jobs, the way
 * pipeline.h does it for orders. A request reaches the store only through
 * returns_store: its document, the keys of its REVERSE shipments, its
 * change entries on its order's change log (once it is linked: before
 * that it has no order to log on; linking writes RETURN_LINKED), and one
 * outbox row per matching webhook endpoint for Carriyo's return trigger
 * (return_status_update, or return_received_update when goods are back),
 * with the request before and after as the images. Its outbox rows and
 * system-log entries are kept under its order's id once linked, else under
 * its own id (so redaction finds both). */
#ifndef SHIPRELAY_RETURNS_PIPELINE_H
#define SHIPRELAY_RETURNS_PIPELINE_H
#include <jansson.h>

#include "pipeline.h"

/* Store ret (new when before is NULL) with everything above: update_date
 * and (when w->update_source) update_source stamped; trigger NULL fires
 * nothing. STORE_OK or STORE_EIO. */
int returns_store(struct store_txn *txn, const struct pipeline_write *w, const json_t *before, json_t *ret,
                  json_t *changes, const char *trigger);
/* What a request's system-log entries and messages are kept under: its
 * order's id once linked, else its own. */
const char *returns_owner(const json_t *ret);
/* A canonical shipment event about a request's REVERSE shipment: one found
 * by a key of its shipments (tracking_no, partner_shipment_reference,
 * shipment_id), or, for an event that says entity_type REVERSE about a
 * shipment no request has, the newest approved request of its
 * partner_order_reference (the shipment is added to it). Applied as to an
 * order's shipment (history, repeats, forward-only statuses:
 * shipment_update.h), then stored. 1 when the event was a request's
 * (*outcome set, and owner the request's returns_owner when given), 0 when
 * not (nothing done), STORE_EIO. */
int returns_route_event(struct store_txn *txn, const struct pipeline_write *w, const json_t *event,
                        enum pipeline_outcome *outcome, char owner[64]);
/* An order was created: the requests that wait for its
 * partner_order_reference are linked to it. STORE_OK or STORE_EIO. */
int returns_link_order(struct store_txn *txn, const struct pipeline_write *w, const json_t *order);
/* Events that were parked before ret's shipment keys were known (a
 * carrier's callback naming only a tracking number) are taken and applied
 * to ret, appending changes; *trigger becomes the receipt trigger if one
 * brought goods back. STORE_OK or STORE_EIO. */
int returns_claim_parked(struct store_txn *txn, const char *tenant, const char *now_iso, json_t *ret, json_t *changes,
                         const char **trigger);

/* The return requests of order (linked to it, or naming its
 * partner_order_reference) lose their personal data (redact.h) and are
 * marked redacted (a REDACTION entry on the order's log), and so do the
 * outbox messages and system-log entries kept under their own ids.
 * STORE_OK or STORE_EIO. */
int returns_redact(struct store_txn *txn, const struct pipeline_write *w, const json_t *order);

#endif
