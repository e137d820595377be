/* metrics: the relay's counters and histograms, in memory, rendered as
 * Prometheus text (exposition format 0.0.4) for GET /metrics.
 *
 * Every series lives in an array fixed at start, and every label comes from
 * a bounded set: the route table (plus route="unmatched"), a fixed list of
 * status codes (others counted by class, code="4xx"), the outcomes below,
 * and hook sources, of which the first METRICS_MAX_SOURCES names seen get a
 * series (the rest are summed under source="other"; sources are configured,
 * so in practice each has its own). Updates are relaxed atomic adds: no
 * lock, callable from any thread, cheap enough for every request. A scrape
 * reads each value atomically but is not a consistent cut across series
 * (nor is any Prometheus client's). Histogram buckets are fixed in
 * metrics.c.
 *
 * Gauges read from the store at scrape time (stuck orders, outbox,
 * pending by endpoint, spool) are handlers_metrics.c's. */
#ifndef SHIPRELAY_METRICS_H
#define SHIPRELAY_METRICS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "routes.h"

#define METRICS_MAX_SOURCES 512

/* Label the request series with routes[0..n) (borrowed for the process's
 * life). Call once before the HTTP workers start; metrics_http before it,
 * or with a route outside the table, counts as route="unmatched". node
 * (borrowed; NULL for none): in a fleet, every series of this file (all
 * per node: this process's counts) and the per-node gauges of
 * handlers_metrics.c carry node="NAME"; figures read from the shared
 * database do not. */
void metrics_init(const struct route *routes, size_t n_routes, const char *node);
/* The node label metrics_init was given, or NULL. */
const char *metrics_node(void);

/* A reply sent: its route (NULL: none matched), status and time taken. */
void metrics_http(const struct route *route, int status, int64_t duration_ns);

/* What became of hook events (pipeline.h's outcomes, in that order), and
 * of callbacks refused before any event was read. */
enum metrics_hook {
    METRICS_HOOK_APPLIED,
    METRICS_HOOK_HISTORY_ONLY,
    METRICS_HOOK_UNCHANGED,
    METRICS_HOOK_DUPLICATE,
    METRICS_HOOK_PARKED,
    METRICS_HOOK_REFUSED,      /* bad credentials or payload, or an event over an order's bounds */
    METRICS_HOOK_RATE_LIMITED, /* 429 */
    METRICS_HOOK__COUNT
};
void metrics_hook(const char *tenant, const char *source, enum metrics_hook outcome, unsigned n);
/* The source's counts so far, by outcome; false (out zeroed) when it has
 * none (nothing counted yet, or it is summed under source="other"). */
bool metrics_hook_counts(const char *tenant, const char *source, uint64_t out[METRICS_HOOK__COUNT]);

/* A webhook delivery attempt recorded: delivered, failed (a retry is
 * scheduled) or dead (it was the last), and how long the exchange took. */
enum metrics_delivery { METRICS_DELIVERED, METRICS_DELIVERY_FAILED, METRICS_DELIVERY_DEAD, METRICS_DELIVERY__COUNT };
void metrics_delivery(enum metrics_delivery outcome, int64_t duration_ns);

/* A body upload (or a deletion from the object store) finished. */
void metrics_upload(bool deletion, bool ok, size_t bytes);
/* A store transaction: the jobs it held and how long it took, commit
 * (fsync) included; ok false when it failed and was rolled back. */
void metrics_commit(unsigned jobs, int64_t duration_ns, bool ok);
/* A request refused for its credentials (hook: a source's own scheme). */
void metrics_auth_failure(bool hook);
/* A request refused 429 by a rate limit (hook: a source's). */
void metrics_rate_limited(bool hook);
/* A SIGHUP reload, applied or refused. */
void metrics_reload(bool applied);

/* Write every family, HELP and TYPE lines included. */
void metrics_render(FILE *out);
/* Write one series of a gauge family rendered by the caller: name{labels}
 * value, label values escaped. labels: NULL-terminated name, value pairs. */
void metrics_write_sample(FILE *out, const char *name, const char *const *labels, double value);
/* Monotonic nanoseconds, for the durations above. */
int64_t metrics_now_ns(void);

#endif
