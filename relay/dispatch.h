/* dispatch: delivers the outbox. One thread with its own event loop drives
 * libcurl's multi interface (no thread per request): it reads due messages
 * from the store, sends each to its endpoint signed the Standard Webhooks
 * way, and records every attempt through the store.
 *
 * Rules (issue 4): only 2xx is success; redirects are not followed; 410
 * disables the endpoint; 429 and 503 honour Retry-After clamped to between
 * the scheduled delay and twice it; [webhooks] retry_schedule with ±20 %
 * jitter, then dead-letter; per-order FIFO per endpoint (the store's due
 * query); per-endpoint concurrency cap and rate limit; an endpoint failing
 * for [webhooks] disable_after is disabled; the SSRF guard vets the address
 * libcurl resolved, at the moment it connects, so the vetted address is the
 * one used.
 *
 * Memory holds only in-flight deliveries; the backlog stays in the store. A
 * crash leaves in-flight messages pending, so they are sent again with the
 * same webhook-id (at least once). */
#ifndef SHIPRELAY_DISPATCH_H
#define SHIPRELAY_DISPATCH_H
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct store;
struct dispatcher;

struct dispatcher *dispatch_start(const struct config *cfg, struct store *st, char *err, size_t errlen);
/* Something may have become due (safe from any thread). */
void dispatch_nudge(struct dispatcher *d);
/* store_subscribe hook: nudges when a commit queued messages or changed endpoints. */
struct store_commit;
void dispatch_on_commit(const struct store_commit *c, void *d);
/* Stop taking messages, let in-flight deliveries finish and be recorded
 * (until deadline_ms, a time_now_ms() instant), then stop the thread. Call
 * before store_close, and dispatch_free after it. */
void dispatch_stop(struct dispatcher *d, int64_t deadline_ms);
void dispatch_free(struct dispatcher *d);

#endif
