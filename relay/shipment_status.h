/* shipment_status: Carriyo's canonical shipment status vocabulary and the one
 * rule about moving between statuses. Pure.
 *
 * Final statuses (delivered, returned, cancelled, cancelled_by_carrier,
 * delivery_confirmed, return_confirmed) are never left by a carrier event,
 * except forward along the post-delivery path:
 *   delivered          → delivery_confirmed, ready_for_return, return_in_transit, returned
 *   delivery_confirmed → ready_for_return, return_in_transit, returned
 *   returned           → return_confirmed
 * Anything else after a final status is history, not a transition. Between
 * non-final statuses every move is allowed (carriers do go in_transit →
 * delayed → in_transit). */
#ifndef SHIPRELAY_SHIPMENT_STATUS_H
#define SHIPRELAY_SHIPMENT_STATUS_H
#include <stdbool.h>

bool shipment_status_known(const char *status);
bool shipment_status_final(const char *status);
/* May the current status (NULL when the shipment has none yet) become next?
 * False when next is unknown or equal to current. */
bool shipment_status_may_move(const char *current, const char *next);

#endif
