/* blobstore: where request and response bodies end up: an S3 bucket
 * ([s3], SigV4 through libcurl, path-style for custom endpoints) or, without
 * one, a directory under the storage dir.
 *
 * S3 requests are handed out as libcurl easy handles for the uploader's
 * multi (nothing here blocks on the network). Local writes are batched:
 * blobstore_local_put writes in place, blobstore_local_sync makes every
 * write since the last sync durable at once. Put and delete are idempotent.
 * The uploader thread makes these calls; presign and the local signature
 * are pure and safe from any thread.
 *
 * Download URLs are time-limited: S3 presigned GETs (UNSIGNED-PAYLOAD, host
 * signed), or for the local store the relay's own
 * /bodies/{identifier}/{part}?tenant=&expires=&signature= with an HMAC
 * under the store's URL key (store_url_key), so any node of a fleet
 * accepts a link another handed out. */
#ifndef SHIPRELAY_BLOBSTORE_H
#define SHIPRELAY_BLOBSTORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct blobstore;

/* url_key signs the relay's own download URLs (store_url_key: the same on
 * every node). */
struct blobstore *blobstore_open(const struct config *cfg, const unsigned char url_key[32], char *err,
                                 size_t errlen);
void blobstore_free(struct blobstore *b);
bool blobstore_is_s3(const struct blobstore *b);

/* S3: a signed PUT (data != NULL; it must outlive the transfer) or DELETE
 * of key, ready to add to a multi. The caller frees it with
 * blobstore_s3_free once it is done (or abandoned). */
struct blobstore_s3_req;
struct blobstore_s3_req *blobstore_s3_request(struct blobstore *b, const char *key, const void *data, size_t len);
void *blobstore_s3_easy(struct blobstore_s3_req *r); /* the CURL * */
/* After the transfer finished with curl_code: 0 when S3 has the body (or,
 * for a DELETE, no longer has it), else -1 with a reason in err. */
int blobstore_s3_result(struct blobstore_s3_req *r, int curl_code, char *err, size_t errlen);
void blobstore_s3_free(struct blobstore_s3_req *r);

/* Local store: write key in place (its directory made once), not yet
 * durable; 0 or -1 with err. */
int blobstore_local_put(struct blobstore *b, const char *key, const void *data, size_t len, char *err, size_t errlen);
/* Make every local write and removal so far durable (one syncfs). */
int blobstore_local_sync(struct blobstore *b, char *err, size_t errlen);
/* 0 (also when it was not there), or -1. */
int blobstore_local_delete(struct blobstore *b, const char *key, char *err, size_t errlen);
/* Read a local body (local store only); malloc'd, NULL when absent. */
char *blobstore_read_local(struct blobstore *b, const char *key, size_t *len);
/* A presigned S3 URL for key (caller frees); NULL for the local store. */
char *blobstore_presign(const struct blobstore *b, const char *key, int64_t now, long expires);
/* The local store's URL signature over (tenant, identifier, part, expires), hex. */
void blobstore_local_signature(const struct blobstore *b, const char *tenant, const char *identifier, const char *part,
                               long long expires, char out[65]);

#endif
