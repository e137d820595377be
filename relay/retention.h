/* retention: keeps storage bounded by time, not by luck (invariant 12).
 *
 * Every [retention] sweep_interval it removes, through the store, what has
 * outlived its [retention] setting: system-log entries and their bodies,
 * delivered / cancelled and dead webhook messages with their attempts,
 * change-log entries, remembered inbound event keys, parked events, and
 * (when asked) closed or cancelled orders and finished return requests. It works in small batches, one
 * store job each, back to back until nothing expired is left, so the
 * writer is never held for long: a task of the housekeeping thread
 * (housekeeping.h). */
#ifndef SHIPRELAY_RETENTION_H
#define SHIPRELAY_RETENTION_H
#include <stddef.h>

#include "config.h"

#include "housekeeping.h"

/* The retention task. cfg must outlive it (the startup snapshot: the
 * [retention] keys take a restart). */
struct housekeeping_task retention_task(const struct config *cfg);

#endif
