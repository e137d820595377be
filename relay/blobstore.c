/* blobstore: S3 (libcurl with CURLOPT_AWS_SIGV4, plus the x-amz-content-sha256
 * header libcurl 7.88 leaves out) or a local directory. See blobstore.h. */
#include "blobstore.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "sigv4.h"
#include "xmalloc.h"

#define BLOB_DIR_CACHE 16

struct blobstore {
    const struct config *cfg;
    bool s3;
    char *scheme, *host, *base_path; /* where keys live: scheme://host base_path/KEY */
    char *dir;                       /* local store */
    unsigned char url_key[32];       /* local download URLs */
    char *made[BLOB_DIR_CACHE];      /* local directories made so far (a ring) */
    int next_made;
};

static int mkdirs(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0750) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = '/';
        }
    int rc = mkdir(p, 0750) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

struct blobstore *blobstore_open(const struct config *cfg, const unsigned char url_key[32], char *err, size_t errlen)
{
    struct blobstore *b = xcalloc(1, sizeof *b);
    memcpy(b->url_key, url_key, sizeof b->url_key);
    b->cfg = cfg;
    b->s3 = cfg->s3_enabled;
    if (b->s3) {
        char *prefix = cfg->s3_prefix[0] ? xasprintf("/%s", cfg->s3_prefix) : xstrdup("");
        size_t pl = strlen(prefix);
        if (pl && prefix[pl - 1] == '/')
            prefix[pl - 1] = '\0';
        if (cfg->s3_endpoint[0]) { /* path style: endpoint/bucket/prefix/key */
            const char *e = cfg->s3_endpoint;
            const char *hs = strstr(e, "://") + 3;
            b->scheme = xstrndup(e, (size_t)(hs - 3 - e));
            size_t hl = strcspn(hs, "/");
            b->host = xstrndup(hs, hl);
            b->base_path = xasprintf("/%s%s", cfg->s3_bucket, prefix);
        } else { /* AWS, virtual-hosted */
            b->scheme = xstrdup("https");
            b->host = xasprintf("%s.s3.%s.amazonaws.com", cfg->s3_bucket, cfg->s3_region);
            b->base_path = xstrdup(prefix);
        }
        free(prefix);
    } else {
        b->dir = xasprintf("%s/bodies", cfg->storage_dir);
        if (mkdirs(b->dir) != 0) {
            snprintf(err, errlen, "cannot create %s: %s", b->dir, strerror(errno));
            blobstore_free(b);
            return NULL;
        }
    }
    return b;
}

void blobstore_free(struct blobstore *b)
{
    if (!b)
        return;
    free(b->scheme);
    free(b->host);
    free(b->base_path);
    free(b->dir);
    for (int i = 0; i < BLOB_DIR_CACHE; i++)
        free(b->made[i]);
    free(b);
}

bool blobstore_is_s3(const struct blobstore *b)
{
    return b->s3;
}

static char *object_url(const struct blobstore *b, const char *key)
{
    char *path = xasprintf("%s/%s", b->base_path, key);
    char *enc = sigv4_encode(path, 1);
    char *url = xasprintf("%s://%s%s", b->scheme, b->host, enc);
    free(path);
    free(enc);
    return url;
}

static size_t discard(char *d, size_t s, size_t n, void *arg)
{
    return s * n;
}

struct blobstore_s3_req {
    CURL *easy;
    struct curl_slist *headers;
    char *method, *key;
};

struct blobstore_s3_req *blobstore_s3_request(struct blobstore *b, const char *key, const void *data, size_t len)
{
    const struct config *cfg = b->cfg;
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    struct blobstore_s3_req *r = xcalloc(1, sizeof *r);
    r->easy = e;
    r->method = xstrdup(data ? "PUT" : "DELETE");
    r->key = xstrdup(key);
    char *url = object_url(b, key);
    char *sigv4 = xasprintf("aws:amz:%s:s3", cfg->s3_region);
    char *userpwd = xasprintf("%s:%s", cfg->s3_access_key, cfg->s3_secret_key);
    unsigned char digest[CRYPTO_SHA256_LEN];
    char hex[CRYPTO_HEX_LEN(CRYPTO_SHA256_LEN)];
    crypto_sha256(data ? data : "", data ? len : 0, digest);
    crypto_hex(digest, sizeof digest, hex);
    char *h1 = xasprintf("x-amz-content-sha256: %s", hex);
    r->headers = curl_slist_append(NULL, h1);
    if (cfg->s3_session_token[0]) {
        char *h2 = xasprintf("x-amz-security-token: %s", cfg->s3_session_token);
        r->headers = curl_slist_append(r->headers, h2);
        free(h2);
    }
    r->headers = curl_slist_append(r->headers, "Content-Type: application/octet-stream");
    /* (No "Expect:" override: libcurl 7.88 signs an emptied header it then does not send.) */
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    if (data) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(e, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* the configured endpoint, not the environment's proxy */
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, cfg->s3_timeout);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    free(url);
    free(sigv4);
    free(userpwd);
    free(h1);
    return r;
}

void *blobstore_s3_easy(struct blobstore_s3_req *r)
{
    return r->easy;
}

int blobstore_s3_result(struct blobstore_s3_req *r, int curl_code, char *err, size_t errlen)
{
    if (curl_code != CURLE_OK) {
        snprintf(err, errlen, "%s %s: %s", r->method, r->key, curl_easy_strerror((CURLcode)curl_code));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if ((status >= 200 && status < 300) || (status == 404 && r->method[0] == 'D'))
        return 0;
    snprintf(err, errlen, "S3 answered %ld to %s %s", status, r->method, r->key);
    return -1;
}

void blobstore_s3_free(struct blobstore_s3_req *r)
{
    if (!r)
        return;
    curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->method);
    free(r->key);
    free(r);
}

static char *local_path(const struct blobstore *b, const char *key)
{
    return xasprintf("%s/%s", b->dir, key);
}

/* Make the directory of path unless this store made it already (keys are
 * TENANT/YYYY/MM/DD/…: a handful of directories a day). */
static int ensure_dir(struct blobstore *b, const char *path)
{
    char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    for (int i = 0; i < BLOB_DIR_CACHE; i++)
        if (b->made[i] && strcmp(b->made[i], dir) == 0) {
            free(dir);
            return 0;
        }
    if (mkdirs(dir) != 0) {
        free(dir);
        return -1;
    }
    free(b->made[b->next_made]);
    b->made[b->next_made] = dir;
    b->next_made = (b->next_made + 1) % BLOB_DIR_CACHE;
    return 0;
}

int blobstore_local_put(struct blobstore *b, const char *key, const void *data, size_t len, char *err, size_t errlen)
{
    char *path = local_path(b, key);
    int rc = -1;
    if (ensure_dir(b, path) == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd >= 0) {
            rc = write(fd, data, len) == (ssize_t)len ? 0 : -1;
            close(fd);
        }
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    free(path);
    return rc;
}

int blobstore_local_sync(struct blobstore *b, char *err, size_t errlen)
{
    int fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && syncfs(fd) == 0 ? 0 : -1;
    if (rc != 0)
        snprintf(err, errlen, "cannot sync %s: %s", b->dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

int blobstore_local_delete(struct blobstore *b, const char *key, char *err, size_t errlen)
{
    char *path = local_path(b, key);
    int rc = unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
    free(path);
    return rc;
}

char *blobstore_read_local(struct blobstore *b, const char *key, size_t *len)
{
    if (b->s3)
        return NULL;
    char *path = local_path(b, key);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = xmalloc((size_t)(n > 0 ? n : 0) + 1);
    *len = fread(buf, 1, (size_t)(n > 0 ? n : 0), f);
    fclose(f);
    return buf;
}

char *blobstore_presign(const struct blobstore *b, const char *key, int64_t now, long expires)
{
    if (!b->s3)
        return NULL;
    const struct config *cfg = b->cfg;
    struct sigv4_credentials c = {cfg->s3_access_key, cfg->s3_secret_key,
                                  cfg->s3_session_token[0] ? cfg->s3_session_token : NULL, cfg->s3_region, "s3"};
    char *path = xasprintf("%s/%s", b->base_path, key);
    char *url = sigv4_presign(&c, b->scheme, b->host, path, now, expires, "UNSIGNED-PAYLOAD");
    free(path);
    return url;
}

void blobstore_local_signature(const struct blobstore *b, const char *tenant, const char *identifier, const char *part,
                               long long expires, char out[65])
{
    char *msg = xasprintf("%s/%s/%s/%lld", tenant, identifier, part, expires);
    unsigned char mac[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(b->url_key, sizeof b->url_key, msg, strlen(msg), mac);
    crypto_hex(mac, sizeof mac, out);
    free(msg);
}
