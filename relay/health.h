/* health: how background work and each hook source have been doing, kept
 * in memory for the console's views (GET /ops/health, GET /ops/hooks).
 *
 * A record is named ("upload", "delete", "hook:TENANT/SOURCE") and holds,
 * since the process started, how many times the work went right and wrong,
 * when each last happened, and the last failure's status and message. A
 * record is made on first use; at most 3/4 of HEALTH_MAX exist (the names come
 * from the config's sources and a fixed few), later names are not kept.
 * Per process: in a fleet each node keeps its own.
 *
 * Thread safety: any thread; one mutex guards the table. */
#ifndef SHIPRELAY_HEALTH_H
#define SHIPRELAY_HEALTH_H
#include <stdbool.h>
#include <stdint.h>

#define HEALTH_MAX 1024

struct health_record {
    unsigned long long ok, failed;
    int64_t last_ok_ms, last_failed_ms; /* 0: never */
    int last_status;                    /* of the last failure: an HTTP status, or 0 */
    char last_error[256];               /* of the last failure ("" when none) */
};

void health_ok(const char *name, int64_t now_ms);
void health_failed(const char *name, int status, const char *error, int64_t now_ms);
/* A copy of the record; false (and *out zeroed) when name was never noted. */
bool health_get(const char *name, struct health_record *out);

#endif
