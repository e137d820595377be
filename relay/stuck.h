/* stuck: orders that stopped progressing (seed 003: "an order that has
 * been PENDING for more than 24 hours is stuck. Flag it for human review").
 *
 * An order is stuck once it has stayed in its status (open,
 * partially_allocated, allocated, processing or fulfilled) longer than that
 * status's threshold ([orders] stuck_STATUS, config_stuck_after). The time
 * counts from when it entered the status (the store's status_since): a
 * change that keeps the status, such as a warehouse's trail-only event,
 * does not reset it; a status change starts a new episode.
 *
 * The housekeeping task (housekeeping.h) fires order.stuck (trigger
 * ORDER_STUCK) once per episode: every [orders] stuck_scan_interval it walks
 * each status's range of stuck orders from where the last pass left off
 * (so it reads the newly stuck ones, not all of them again), in bounded
 * batches; for each order not yet notified it writes a STUCK change-log
 * entry, queues the webhook (shiprelay's body adds "stuck": {status,
 * sub_status, status_since, time_in_status_seconds, threshold_seconds,
 * last_event}) and marks the episode notified in the store, all in one job.
 * Where a pass may resume trails the cutoffs by a margin, so an order
 * whose write committed a little after its timestamp is not passed over;
 * after a restart the first pass starts from the beginning and skips what
 * was notified. Thresholds and the interval follow a reload. */
#ifndef SHIPRELAY_STUCK_H
#define SHIPRELAY_STUCK_H
#include <stdint.h>

#include "config.h"
#include "housekeeping.h"
#include "store.h"
#include "timeutil.h"

/* The rules for now_ms under cfg: one per status with a threshold, its
 * cutoff written into cut. The number of rules. */
int stuck_rules(const struct config *cfg, int64_t now_ms, struct store_stuck_rule rules[CONFIG_STUCK_STATUSES],
                char cut[CONFIG_STUCK_STATUSES][TIME_ISO_LEN]);
/* The task (its state is its own; it reads the live config at each pass). */
struct housekeeping_task stuck_task(void);

#endif
