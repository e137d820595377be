/* uploader: moves spooled bodies to the object store, carries out queued
 * deletions there, measures the spool, and sweeps expired system logs.
 *
 * One thread with its own event loop. Each round takes a batch of due
 * bodies, puts them (blocking calls, on this thread only), and records the
 * outcome in one store job: moved bodies leave the spool; failed ones are
 * tried again with exponential backoff (1 s doubling to 60 s), so an outage
 * of the object store delays uploads and loses nothing. */
#ifndef SHIPRELAY_UPLOADER_H
#define SHIPRELAY_UPLOADER_H
#include <stddef.h>

#include "config.h"

struct store;
struct blobstore;
struct uploader;

struct uploader *uploader_start(const struct config *cfg, struct store *st, struct blobstore *bs, char *err,
                                size_t errlen);
/* Finish the round in progress and stop (spooled bodies stay for next time). */
void uploader_stop(struct uploader *u);

#endif
