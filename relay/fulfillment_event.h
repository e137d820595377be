/* fulfillment_event: a warehouse's fulfillment event applied to an order
 * (seed 002's event model), and the fulfillment-control state it keeps on
 * each fulfillment order. Pure.
 *
 * A fulfillment order carries, beside its lines:
 *   events             the trail: every event, with type, level, message,
 *                      event_time, received_date, source_event_id, source
 *                      (WAREHOUSE, API), whether it moved anything
 *                      (applied), and known: false for a type the relay
 *                      does not know (raw_level keeps a level it does not
 *                      know, recorded as NORMAL);
 *   on_hold, hold      held (hold: {reason, date, source}) or not;
 *   fulfillment_state  null (never requested), requested, integrated,
 *                      accepted, rejected, integration_error.
 *
 * What each type does:
 *
 *   FULFILLMENT_REQUESTED     state → requested (clears an integration error)
 *   FULFILLMENT_ACCEPTED      lines → allocated; state → accepted
 *   FULFILLMENT_REJECTED      state → rejected (the message is the reason)
 *   INTEGRATED                state → integrated
 *   INTEGRATION_ERROR         state → integration_error: later events are
 *                             recorded but move nothing until fulfilment is
 *                             requested again (a FULFILLMENT_REQUESTED event,
 *                             or POST …/request-fulfillment: fo_control.h)
 *   FULFILLMENT_IN_PROGRESS   lines → pick_in_progress
 *   PACKED                    lines → pack_in_progress
 *   SHIPPED, COMPLETED        lines → fulfilled
 *   CANCELED                  lines not yet fulfilled → cancelled
 *   HOLDED                    on hold: later events are recorded but move
 *                             no line …
 *   RESUMED                   … until this one
 *   INSUFFICIENT_STOCK, an unknown type   trail only (informational)
 *
 * "lines" are the event's line_items, or all of the fulfillment order's.
 * Lines only move forward (never out of closed or cancelled); a line move
 * takes a requested, integrated or rejected state to accepted. Then the
 * rollup runs. Every ERROR-level event (the sender's level) adds an entry
 * to the order's error_details: {code (the type), level, message,
 * fulfillment_order_id, date, source}. An event for a fulfillment order the
 * order does not have is kept in the order's `unmatched_fulfillment_events`.
 *
 * Change entries carry the Carriyo-style triggers the webhooks use
 * (webhook_events.h): every event FULFILLMENT_ORDER_EVENT with its level,
 * a hold FULFILLMENT_ORDER_HOLD, a resume FULFILLMENT_ORDER_RESUME. */
#ifndef SHIPRELAY_FULFILLMENT_EVENT_H
#define SHIPRELAY_FULFILLMENT_EVENT_H
#include <jansson.h>
#include <stdbool.h>

/* The type's own level (NORMAL, WARNING, ERROR), or NULL for an unknown type. */
const char *fulfillment_event_level(const char *type);
/* Is level one of NORMAL, WARNING, ERROR? */
bool fulfillment_event_level_known(const char *level);
/* Apply a canonical fulfillment event; appends change entries. Always
 * changes the order (the trail grows). Returns true when the event moved
 * something (lines, the hold, the state), false when it is recorded only. */
bool fulfillment_event_apply(json_t *order, const json_t *event, const char *now_iso, json_t *changes);

/* Shared with fo_control.c (the API's hold, resume and request-fulfillment). */
/* Append an entry to fo's trail (type, level, message, source, applied). */
void fulfillment_event_trail(json_t *fo, const char *type, const char *level, const char *message,
                             const char *source, const char *now_iso, bool applied);
/* Put fo on hold (hold true, with reason and source) or resume it; a change
 * entry carrying FULFILLMENT_ORDER_HOLD / _RESUME. False when it already
 * was so. */
bool fulfillment_event_set_hold(json_t *fo, bool hold, const char *reason, const char *source, const char *now_iso,
                                json_t *changes);
/* Set fo's fulfillment_state (NULL: none) with a change entry; false when
 * it already was. */
bool fulfillment_event_set_state(json_t *fo, const char *state, json_t *changes);

#endif
