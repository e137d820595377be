/* ratelimit: see ratelimit.h. A hash table of buckets, chained, behind
 * STRIPES mutexes (a request holds one for a lookup and some arithmetic). */
#include "ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define SLOTS 1024
#define STRIPES 16

struct bucket {
    char *key;
    double tokens;
    int64_t at_ns; /* when tokens was last brought up to date */
    struct bucket *next;
};

static struct bucket *slots[SLOTS];
static pthread_mutex_t stripes[STRIPES] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

static struct config_limit resolve(struct config_limit own, long rate, long burst)
{
    struct config_limit l = {own.rate >= 0 ? own.rate : rate, own.burst >= 0 ? own.burst : burst};
    if (l.burst <= 0)
        l.burst = l.rate;
    return l;
}

struct config_limit ratelimit_of_tenant(const struct config *cfg, const struct config_tenant *t)
{
    return resolve(t ? t->limit : (struct config_limit){-1, -1}, cfg->api_rate, cfg->api_burst);
}

struct config_limit ratelimit_of_source(const struct config *cfg, const struct adapter_source *src)
{
    size_t i = (size_t)(src - cfg->sources);
    struct config_limit own = i < cfg->n_sources ? cfg->source_limits[i] : (struct config_limit){-1, -1};
    return resolve(own, cfg->hook_rate, cfg->hook_burst);
}

bool ratelimit_take(const char *key, struct config_limit limit, int64_t now_ns, int *retry_after)
{
    if (limit.rate <= 0)
        return true;
    double burst = (double)(limit.burst > 0 ? limit.burst : limit.rate);
    unsigned h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    pthread_mutex_t *mu = &stripes[h % STRIPES];
    pthread_mutex_lock(mu);
    struct bucket **slot = &slots[h % SLOTS], *b = *slot;
    while (b && strcmp(b->key, key) != 0)
        b = b->next;
    if (!b) {
        b = xcalloc(1, sizeof *b);
        b->key = xstrdup(key);
        b->tokens = burst;
        b->at_ns = now_ns;
        b->next = *slot;
        *slot = b;
    }
    if (now_ns > b->at_ns)
        b->tokens += (double)(now_ns - b->at_ns) / 1e9 * (double)limit.rate;
    b->at_ns = now_ns > b->at_ns ? now_ns : b->at_ns;
    if (b->tokens > burst)
        b->tokens = burst; /* also after a reload lowered the burst */
    bool ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    else
        *retry_after = (int)ceil((1.0 - b->tokens) / (double)limit.rate);
    pthread_mutex_unlock(mu);
    if (!ok && *retry_after < 1)
        *retry_after = 1;
    return ok;
}

void ratelimit_free(void)
{
    for (size_t i = 0; i < SLOTS; i++) {
        pthread_mutex_lock(&stripes[i % STRIPES]);
        for (struct bucket *b = slots[i], *next; b; b = next) {
            next = b->next;
            free(b->key);
            free(b);
        }
        slots[i] = NULL;
        pthread_mutex_unlock(&stripes[i % STRIPES]);
    }
}
