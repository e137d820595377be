/* sigv4: AWS Signature Version 4, for presigned S3 GET URLs. Pure.
 *
 * Uploads are signed by libcurl (CURLOPT_AWS_SIGV4); what libcurl does not
 * do is query-string (presigned) auth, so that is here: the canonical
 * request, the string to sign, the signing key, and the URL. Paths are
 * encoded the S3 way: every byte but A-Z a-z 0-9 - . _ ~ and '/' as %XX,
 * once, never normalised (my-object//photo stays as it is). */
#ifndef SHIPRELAY_SIGV4_H
#define SHIPRELAY_SIGV4_H
#include <stdint.h>

struct sigv4_credentials {
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL when none */
    const char *region;
    const char *service; /* "s3" */
};

/* Hex signature (64 chars + NUL) of a canonical request. amz_date is
 * "YYYYMMDDTHHMMSSZ". */
void sigv4_signature(const struct sigv4_credentials *c, const char *amz_date, const char *canonical_request,
                     char out[65]);
/* The derived signing key, hex. */
void sigv4_signing_key_hex(const char *secret, const char *date8, const char *region, const char *service,
                           char out[65]);
/* S3 URI encoding of a path or query value; keep_slash keeps '/'. Caller frees. */
char *sigv4_encode(const char *s, int keep_slash);
/* A presigned GET URL: scheme ("https"), host (with ":port" when not the
 * default), path (raw, starting with '/', e.g. "/bucket/key" for path
 * style), the time it is signed at, and how long it lasts (1..604800 s).
 * payload_hash is "UNSIGNED-PAYLOAD" for S3. Caller frees. */
char *sigv4_presign(const struct sigv4_credentials *c, const char *scheme, const char *host, const char *path,
                    int64_t unix_time, long expires, const char *payload_hash);

#endif
