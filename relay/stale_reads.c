/* stale_reads: see stale_reads.h. A chained hash table finds an answer by
 * key; a list in the order the answers were given (newest first, as a
 * newer answer replaces its key's) makes the oldest the first to go, by
 * age or by size. */
#include "stale_reads.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct entry {
    struct entry *next_in_bucket;
    struct entry *newer, *older;
    uint64_t hash;
    int64_t given_ms;
    size_t size; /* key and text, counted against max_bytes */
    char *text;
    char key[]; /* the text follows it, in the same block */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry **buckets;
static size_t n_buckets, n_entries, bytes, max_bytes;
static struct entry *newest, *oldest;
static int64_t max_age_ms;
static int64_t cleared_ms; /* answers read from before the last clear are not kept */
static unsigned long served;

static uint64_t hash_of(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct entry **slot_of(const char *key, uint64_t h)
{
    struct entry **p = &buckets[h & (n_buckets - 1)];
    while (*p && ((*p)->hash != h || strcmp((*p)->key, key)))
        p = &(*p)->next_in_bucket;
    return p;
}

static void unlink_entry(struct entry *e)
{
    struct entry **p = slot_of(e->key, e->hash);
    *p = e->next_in_bucket;
    if (e->newer)
        e->newer->older = e->older;
    else
        newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        oldest = e->newer;
    n_entries--;
    bytes -= e->size;
    free(e);
}

static void grow(void)
{
    size_t nb = n_buckets ? n_buckets * 2 : 256;
    struct entry **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < n_buckets; i++)
        for (struct entry *e = buckets[i], *next; e; e = next) {
            next = e->next_in_bucket;
            e->next_in_bucket = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    free(buckets);
    buckets = b;
    n_buckets = nb;
}

void stale_reads_init(size_t max_bytes_, int64_t max_age_ms_)
{
    pthread_mutex_lock(&mu);
    max_bytes = max_bytes_;
    max_age_ms = max_age_ms_;
    pthread_mutex_unlock(&mu);
}

void stale_reads_put(const char *key, const char *text, int64_t given_ms)
{
    size_t kl = strlen(key), tl = strlen(text);
    pthread_mutex_lock(&mu);
    if (!max_bytes || max_age_ms <= 0 || kl + tl > max_bytes / 4 /* one answer never fills the cache */
        || given_ms <= cleared_ms) {
        pthread_mutex_unlock(&mu);
        return;
    }
    if (n_entries >= n_buckets)
        grow();
    uint64_t h = hash_of(key);
    struct entry **p = slot_of(key, h);
    if (*p)
        unlink_entry(*p);
    struct entry *e = xmalloc(sizeof *e + kl + tl + 2);
    memcpy(e->key, key, kl + 1);
    e->text = e->key + kl + 1;
    memcpy(e->text, text, tl + 1);
    e->hash = h;
    e->given_ms = given_ms;
    e->size = kl + tl;
    e->next_in_bucket = buckets[h & (n_buckets - 1)];
    buckets[h & (n_buckets - 1)] = e;
    e->newer = NULL;
    e->older = newest;
    if (newest)
        newest->newer = e;
    newest = e;
    if (!oldest)
        oldest = e;
    n_entries++;
    bytes += e->size;
    while (oldest && (bytes > max_bytes || given_ms - oldest->given_ms > max_age_ms))
        unlink_entry(oldest);
    pthread_mutex_unlock(&mu);
}

char *stale_reads_get(const char *key, int64_t now_ms, int64_t *given_ms)
{
    char *out = NULL;
    pthread_mutex_lock(&mu);
    while (oldest && now_ms - oldest->given_ms > max_age_ms)
        unlink_entry(oldest);
    struct entry *e = n_buckets ? *slot_of(key, hash_of(key)) : NULL;
    if (e && now_ms - e->given_ms <= max_age_ms) {
        out = xstrdup(e->text);
        *given_ms = e->given_ms;
        served++;
    }
    pthread_mutex_unlock(&mu);
    return out;
}

void stale_reads_clear(int64_t now_ms)
{
    pthread_mutex_lock(&mu);
    cleared_ms = now_ms;
    while (oldest)
        unlink_entry(oldest);
    pthread_mutex_unlock(&mu);
}

void stale_reads_figures(unsigned long *served_, size_t *entries, size_t *bytes_)
{
    pthread_mutex_lock(&mu);
    *served_ = served;
    *entries = n_entries;
    *bytes_ = bytes;
    pthread_mutex_unlock(&mu);
}

void stale_reads_free(void)
{
    stale_reads_clear(0);
    pthread_mutex_lock(&mu);
    free(buckets);
    buckets = NULL;
    n_buckets = 0;
    served = 0;
    cleared_ms = 0;
    pthread_mutex_unlock(&mu);
}
