/* pipeline: one canonical inbound event through the store, inside a store
 * job (so it commits with everything else of the request):
 *
 *   dedupe   by event_key (event_key.h): the source's own event id when
 *            there is one, else everything naming the target and the
 *            event; a repeat changes nothing and still succeeds;
 *   find     the order by the shipment's tracking number, else its
 *            partner_shipment_reference; else a return request's REVERSE
 *            shipment (returns_pipeline.h); else the order by the
 *            partner_order_reference the event carries;
 *   park     an event no order matches yet is kept, and applied when an
 *            order with that tracking number or reference is stored
 *            (whose system log then holds the callback's entry too);
 *   apply    shipment events via shipment_update, warehouse events via
 *            fulfillment_event; then pipeline_store_order.
 *
 * pipeline_store_order is the one way an order reaches the store, for every
 * caller (order creation, shipment-status-update, hooks): in the caller's
 * transaction it claims parked events, recomputes the sub-status
 * (sub_status.h), stamps update_date, writes the
 * order, its change-log rows, and one outbox row per matching webhook
 * endpoint for each order.* event the change fires (webhook_events.h);
 * a new order also links the return requests that came before it.
 */
#ifndef SHIPRELAY_PIPELINE_H
#define SHIPRELAY_PIPELINE_H
#include <jansson.h>

#include "config.h"

struct store_txn;

/* What became of one inbound event: applied (the status moved, or a
 * warehouse event moved lines or the hold), recorded in the history only
 * (after a final status, unmapped, on hold, no such fulfillment order),
 * unchanged (a repeat the order already shows), a duplicate (event_key seen
 * before), or parked (no order yet). */
enum pipeline_outcome {
    PIPELINE_APPLIED,
    PIPELINE_HISTORY,
    PIPELINE_UNCHANGED,
    PIPELINE_DUPLICATE,
    PIPELINE_PARKED,
    PIPELINE_REFUSED, /* applying it would take the order over a bound (order_limits.h): not applied */
    PIPELINE__COUNT
};

/* STORE_OK with *outcome set (and the order's id in order_id, when given
 * and an order matched), or STORE_EIO. correlation_id is carried to the
 * webhooks the change fires; update_source (may be NULL) says who made it. */
int pipeline_ingest(struct store_txn *txn, const struct config *cfg, const char *tenant, const char *source,
                    const char *correlation_id, const json_t *event, const char *now_iso,
                    enum pipeline_outcome *outcome, char order_id[64], const json_t *update_source);

/* Apply one canonical event to an order in memory (no store access):
 * PIPELINE_APPLIED, PIPELINE_HISTORY or PIPELINE_UNCHANGED. The order
 * changed exactly when entries were appended to changes. */
enum pipeline_outcome pipeline_apply(const struct config *cfg, json_t *order, const json_t *event,
                                     const char *now_iso, json_t *changes);

/* What a write is, beside the order itself. */
struct pipeline_write {
    const struct config *cfg;
    const char *tenant;
    const char *source;          /* labels the change-log rows that carry no source of their own */
    const char *correlation_id;  /* carried to the webhooks the change fires */
    const char *now_iso;
    const json_t *update_source; /* who made the change (http_origin); NULL: update_source is left */
    const char *trigger;         /* the operation's Carriyo trigger (webhook_events.h); NULL: none */
    char *refusal;               /* PIPELINE_TOO_LARGE's reason (PIPELINE_REFUSAL_LEN bytes); may be NULL */
};

/* pipeline_store_order's answer when the order would exceed a bound of
 * order_limits.h: nothing was stored, the reason is in w->refusal. */
#define PIPELINE_TOO_LARGE 3
#define PIPELINE_REFUSAL_LEN 256

/* Store a created (before == NULL) or changed order with everything that
 * goes with it (see above): every Carriyo member present
 * (order_shape_defaults), update_source rewritten and stamped on each
 * change-log row. STORE_OK, STORE_EXISTS (its partner_order_reference is
 * another order's), or STORE_EIO. */
int pipeline_store_order(struct store_txn *txn, const struct pipeline_write *w, const json_t *before, json_t *order,
                         json_t *changes);

/* A fresh event id ("evt_" and 24 hex digits) into out. */
void pipeline_new_event_id(char out[32]);
/* Queue the webhooks of w->trigger about an order that did not change
 * (ORDER_STUCK): both images are the order as stored, extra's members (an
 * object, or NULL) go into shiprelay's body. STORE_OK or STORE_EIO. */
int pipeline_notify(struct store_txn *txn, const struct pipeline_write *w, const json_t *order, const json_t *extra);

#endif
