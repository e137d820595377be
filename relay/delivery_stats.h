/* delivery_stats: what each webhook endpoint's deliveries did, minute by
 * minute over the last 24 hours, kept in memory for
 * GET /webhooks/endpoints/{id}/stats (the console's success-rate and
 * latency chart).
 *
 * The dispatcher adds every attempt it finishes; a minute holds the
 * attempts delivered, failed (a retry is scheduled) and dead (the last),
 * and the sum and maximum of their durations (libcurl's total time). Kept
 * since the process started, per process (in a fleet each node counts its
 * own deliveries). Bounded: DELIVERY_STATS_MAX endpoints of 1440 minutes
 * each (about 45 KiB, allocated on an endpoint's first attempt); when every
 * slot is taken, a new endpoint takes the slot of one idle for 24 hours, or
 * is not counted.
 *
 * Thread safety: any thread; one mutex guards the table. */
#ifndef SHIPRELAY_DELIVERY_STATS_H
#define SHIPRELAY_DELIVERY_STATS_H
#include <stdbool.h>
#include <stdint.h>

#define DELIVERY_STATS_MAX 256
#define DELIVERY_STATS_MINUTES 1440

enum delivery_outcome { DELIVERY_OK, DELIVERY_FAILED, DELIVERY_DEAD };

struct delivery_bucket {
    unsigned long long delivered, failed, dead;
    double latency_ms_sum, latency_ms_max;
};

void delivery_stats_add(const char *endpoint_id, enum delivery_outcome outcome, double total_ms, int64_t now_ms);
/* Sum the endpoint's minutes into n buckets of width_ms (a whole number of
 * minutes) starting at since_ms (a whole minute): out[i] covers
 * [since_ms + i * width_ms, + width_ms). Minutes older than 24 hours count
 * as empty. False (out zeroed) when the endpoint has no record. */
bool delivery_stats_read(const char *endpoint_id, int64_t since_ms, int64_t width_ms, int n,
                         struct delivery_bucket *out);

#endif
