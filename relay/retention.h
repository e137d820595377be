/* retention: keeps storage bounded by time, not by luck (invariant 12).
 *
 * Every [retention] sweep_interval it removes, through the store, what has
 * outlived its [retention] setting: system-log entries and their bodies,
 * delivered / cancelled and dead webhook messages with their attempts,
 * change-log entries, remembered inbound event keys, parked events, and
 * (when asked) closed or cancelled orders. It works in small batches, one
 * store job each, back to back until nothing expired is left, so the
 * writer is never held for long. Its own thread and event loop. */
#ifndef SHIPRELAY_RETENTION_H
#define SHIPRELAY_RETENTION_H
#include <stddef.h>

#include "config.h"

struct store;
struct retention;

struct retention *retention_start(const struct config *cfg, struct store *st, char *err, size_t errlen);
/* Stop once the batch in the store (if any) is done and its result back
 * (so nothing of it is left in flight). Call before store_close, and
 * retention_free after it. */
void retention_stop(struct retention *r);
void retention_free(struct retention *r);

#endif
