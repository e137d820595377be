/* fulfillment_event: a warehouse's fulfillment event applied to an order
 * (seed 002's event model). Pure.
 *
 * Every event is appended to its fulfillment order's trail (`events`, shown
 * on the order) with type, level, message, event_time, received_date and
 * whether it moved anything. What each type does:
 *
 *   FULFILLMENT_ACCEPTED      lines → allocated
 *   FULFILLMENT_IN_PROGRESS   lines → pick_in_progress
 *   PACKED                    lines → pack_in_progress (packed, awaiting handover)
 *   SHIPPED, COMPLETED        lines → fulfilled
 *   CANCELED                  lines not yet fulfilled → cancelled
 *   HOLDED                    the fulfillment order is on hold (`on_hold`):
 *                             later events are recorded but move nothing …
 *   RESUMED                   … until this one
 *   FULFILLMENT_REQUESTED, FULFILLMENT_REJECTED, INTEGRATED,
 *   INTEGRATION_ERROR, INSUFFICIENT_STOCK   trail only
 *
 * "lines" are the event's line_items, or all of the fulfillment order's.
 * Lines only move forward (never out of closed or cancelled), then the
 * rollup runs. An event for a fulfillment order the order does not have is
 * kept in the order's `unmatched_fulfillment_events`. */
#ifndef SHIPRELAY_FULFILLMENT_EVENT_H
#define SHIPRELAY_FULFILLMENT_EVENT_H
#include <jansson.h>
#include <stdbool.h>

/* The type's own level (NORMAL, WARNING, ERROR), or NULL for an unknown type. */
const char *fulfillment_event_level(const char *type);
/* Apply a canonical fulfillment event; appends change entries. Always
 * changes the order (the trail grows). Returns true when the event moved
 * something (lines, or the hold), false when it is recorded only. */
bool fulfillment_event_apply(json_t *order, const json_t *event, const char *now_iso, json_t *changes);

#endif
