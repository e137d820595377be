/* ratelimit: token buckets for each tenant's API calls and each source's
 * callbacks, so one tenant's burst cannot fill the single writer's queue
 * for the others.
 *
 * A bucket holds up to `burst` tokens and gains `rate` a second; a request
 * takes one or is refused with the whole seconds until one is there (the
 * Retry-After of its 429). Limits come from the request's config snapshot
 * (reload.h), so a reload changes them at once; the buckets themselves are
 * kept by name ("api:TENANT", "hook:TENANT/SOURCE") across reloads. A bucket
 * is made on first use, only for an authenticated tenant or a configured
 * source: their number is bounded by the config. The first request of a
 * bucket finds it full.
 *
 * Thread safety: any thread (buckets are spread over striped mutexes). */
#ifndef SHIPRELAY_RATELIMIT_H
#define SHIPRELAY_RATELIMIT_H
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* The limit that applies ([limits] defaults under the section's own). */
struct config_limit ratelimit_of_tenant(const struct config *cfg, const struct config_tenant *t);
struct config_limit ratelimit_of_source(const struct config *cfg, const struct adapter_source *src);

/* Take a token from bucket key under limit at now_ns (monotonic): true, or
 * false with *retry_after (seconds, >= 1). A rate of 0 always allows. */
bool ratelimit_take(const char *key, struct config_limit limit, int64_t now_ns, int *retry_after);

/* Free every bucket (at exit). */
void ratelimit_free(void);

#endif
