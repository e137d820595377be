/* handlers_metrics: GET /metrics, Prometheus text (format 0.0.4). No API
 * key: it shows counts only, nothing of any tenant's data but the ids of
 * the endpoints with the largest backlogs. */
#ifndef SHIPRELAY_HANDLERS_METRICS_H
#define SHIPRELAY_HANDLERS_METRICS_H
#include "http.h"

void handle_metrics(struct http_ctx *ctx);

#endif
