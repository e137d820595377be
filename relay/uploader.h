/* uploader: moves spooled bodies to the object store and carries out queued
 * deletions there.
 *
 * One thread with its own event loop, driven by events: a commit that
 * spooled bodies or queued deletions wakes it (uploader_on_commit), and while bodies are due it
 * keeps [system_logs] upload_concurrency of them moving: S3 requests run
 * concurrently on libcurl multi inside the loop (each bounded by [s3]
 * timeout); local writes go in batches made durable by one sync. Results
 * are recorded in store jobs, each covering every result waiting: moved
 * bodies leave the spool; failed ones are tried again with exponential
 * backoff (1 s doubling to 60 s), so an outage of the object store delays
 * uploads and loses nothing. A timer wakes it for the earliest retry. It
 * never scans the spool: due bodies come through an index, and the spool's
 * size is the store's counter. */
#ifndef SHIPRELAY_UPLOADER_H
#define SHIPRELAY_UPLOADER_H
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct store;
struct store_commit;
struct blobstore;
struct uploader;

struct uploader *uploader_start(const struct config *cfg, struct store *st, struct blobstore *bs, char *err,
                                size_t errlen);
/* store_subscribe hook: wakes the uploader when a commit spooled bodies. */
void uploader_on_commit(const struct store_commit *c, void *u);
/* Stop now: transfers in flight are abandoned (their bodies stay spooled
 * and go next time). Waits at most until deadline_ms (a time_now_ms()
 * instant) for a local batch being written. Call before store_close, and
 * uploader_free after it. */
void uploader_stop(struct uploader *u, int64_t deadline_ms);
void uploader_free(struct uploader *u);

#endif
