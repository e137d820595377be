/* curl_client: the delivery baseline, a bare libcurl-multi webhook sender.
 *
 *   curl_client URL BODIES_FILE N CONCURRENCY SECRET
 *
 * Posts N webhooks to URL, CONCURRENCY at a time, the way the relay's
 * dispatcher does it (libcurl multi driven by libevent through
 * CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION, see curl_ev.h; connections reused),
 * each signed the Standard Webhooks way at send time: webhook-id,
 * webhook-timestamp, webhook-signature = "v1," + base64(HMAC-SHA256(key,
 * "id.timestamp.body")), key = base64-decoded SECRET after "whsec_". Bodies
 * are the lines of BODIES_FILE (one JSON document per line, e.g. the relay's
 * own message payloads), used in turn. Nothing is stored, nothing retried:
 * this is what the hardware and libcurl allow, the ceiling for the relay's
 * deliveries/s at the same concurrency.
 *
 * Prints "deliveries N ok OK failed F seconds S rate R" (R = OK / S, S from
 * the first request started to the last one finished). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_ev.h"

struct body {
    char *data;
    size_t len;
};

struct slot {
    CURL *easy;
    struct curl_slist *headers;
};

static struct {
    const char *url;
    struct body *bodies;
    size_t n_bodies;
    long total, started, ok, failed;
    unsigned char key[64];
    char *scratch; /* the signed string, reused */
    size_t scratch_len;
    int key_len;
    struct cev cev;
} g;

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
    return size * n;
}

static void start(struct slot *s)
{
    long i = g.started++;
    struct body *b = &g.bodies[(size_t)i % g.n_bodies];
    char id[64], ts[32], sig[128];
    snprintf(id, sizeof id, "msg_bench_%ld", i);
    snprintf(ts, sizeof ts, "%lld", bench_now_ns(CLOCK_REALTIME) / 1000000000LL);

    /* HMAC-SHA256 over "id.timestamp.body" (one-shot HMAC(), as relay/crypto.c does). */
    size_t prefix = strlen(id) + strlen(ts) + 2;
    if (prefix + b->len > g.scratch_len) {
        g.scratch_len = prefix + b->len;
        g.scratch = realloc(g.scratch, g.scratch_len);
    }
    snprintf(g.scratch, prefix + 1, "%s.%s.", id, ts);
    memcpy(g.scratch + prefix, b->data, b->len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), g.key, g.key_len, (const unsigned char *)g.scratch, prefix + b->len, mac, &mac_len);
    unsigned char b64[96];
    EVP_EncodeBlock(b64, mac, (int)mac_len);

    char line[256];
    curl_slist_free_all(s->headers);
    s->headers = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(line, sizeof line, "webhook-id: %s", id);
    s->headers = curl_slist_append(s->headers, line);
    snprintf(line, sizeof line, "webhook-timestamp: %s", ts);
    s->headers = curl_slist_append(s->headers, line);
    snprintf(sig, sizeof sig, "webhook-signature: v1,%s", b64);
    s->headers = curl_slist_append(s->headers, sig);
    s->headers = curl_slist_append(s->headers, "Expect:");

    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, b->data);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)b->len);
    cev_add(&g.cev, s->easy);
}

static void on_done(CURL *easy, CURLcode result, void *arg)
{
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if (result == CURLE_OK && code >= 200 && code < 300)
        g.ok++;
    else
        g.failed++;
    struct slot *s;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&s);
    if (g.started < g.total)
        start(s);
}

static int load_bodies(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (!n)
            continue;
        g.bodies = realloc(g.bodies, (g.n_bodies + 1) * sizeof *g.bodies);
        g.bodies[g.n_bodies++] = (struct body){strdup(line), (size_t)n};
    }
    free(line);
    fclose(f);
    return g.n_bodies ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s URL BODIES_FILE N CONCURRENCY SECRET\n", argv[0]);
        return 2;
    }
    g.url = argv[1];
    g.total = atol(argv[3]);
    int conc = atoi(argv[4]);
    const char *secret = argv[5];
    if (!strncmp(secret, "whsec_", 6))
        secret += 6;
    if (load_bodies(argv[2]) || g.total < 1 || conc < 1 || strlen(secret) > 84) {
        fprintf(stderr, "curl_client: bad arguments or no bodies in %s\n", argv[2]);
        return 2;
    }
    int len = EVP_DecodeBlock(g.key, (const unsigned char *)secret, (int)strlen(secret));
    for (const char *p = secret + strlen(secret); p > secret && p[-1] == '='; p--)
        len--; /* EVP_DecodeBlock counts the padding as zero bytes */
    if (len <= 0) {
        fprintf(stderr, "curl_client: SECRET is not base64\n");
        return 2;
    }
    g.key_len = len;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct event_base *base = event_base_new();
    if (!base || cev_init(&g.cev, base, conc, on_done, NULL)) {
        fprintf(stderr, "curl_client: cannot set up libevent/libcurl\n");
        return 1;
    }
    struct slot *slots = calloc((size_t)conc, sizeof *slots);
    for (int i = 0; i < conc; i++) {
        CURL *e = slots[i].easy = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, g.url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &slots[i]);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "shiprelay-bench/curl_client");
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 5L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, 15L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    }
    long long t0 = bench_now_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < conc && g.started < g.total; i++)
        start(&slots[i]);
    event_base_dispatch(base);
    double secs = (double)(bench_now_ns(CLOCK_MONOTONIC) - t0) / 1e9;

    printf("deliveries %ld ok %ld failed %ld seconds %.3f rate %.1f\n", g.total, g.ok, g.failed, secs,
           secs > 0 ? (double)g.ok / secs : 0);
    for (int i = 0; i < conc; i++) {
        curl_slist_free_all(slots[i].headers);
        curl_easy_cleanup(slots[i].easy);
    }
    free(slots);
    cev_cleanup(&g.cev);
    event_base_free(base);
    curl_global_cleanup();
    return g.failed ? 1 : 0;
}
