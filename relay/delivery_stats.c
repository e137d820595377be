/* delivery_stats: see delivery_stats.h. Each endpoint has a ring of
 * minutes indexed by (minute since the epoch) % 1440; a minute that holds
 * another day's counts is cleared when it is next written, and skipped
 * when read. */
#include "delivery_stats.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define MINUTE_MS 60000

struct minute {
    int64_t at; /* the minute (since the epoch) these counts are of */
    unsigned delivered, failed, dead;
    float latency_max;
    double latency_sum;
};

struct endpoint {
    char id[64];
    int64_t last_minute;
    struct minute *ring; /* DELIVERY_STATS_MINUTES */
};

static struct endpoint table[DELIVERY_STATS_MAX];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static struct endpoint *find(const char *id)
{
    for (int i = 0; i < DELIVERY_STATS_MAX && table[i].ring; i++)
        if (strcmp(table[i].id, id) == 0)
            return &table[i];
    return NULL;
}

/* A slot for a new endpoint: a free one, else one idle for a day, else NULL. */
static struct endpoint *take(const char *id, int64_t minute)
{
    struct endpoint *e = NULL;
    for (int i = 0; i < DELIVERY_STATS_MAX && !e; i++)
        if (!table[i].ring || table[i].last_minute <= minute - DELIVERY_STATS_MINUTES)
            e = &table[i];
    if (!e)
        return NULL;
    if (!e->ring)
        e->ring = xcalloc(DELIVERY_STATS_MINUTES, sizeof *e->ring);
    else
        memset(e->ring, 0, DELIVERY_STATS_MINUTES * sizeof *e->ring);
    snprintf(e->id, sizeof e->id, "%s", id);
    return e;
}

void delivery_stats_add(const char *endpoint_id, enum delivery_outcome outcome, double total_ms, int64_t now_ms)
{
    int64_t minute = now_ms / MINUTE_MS;
    pthread_mutex_lock(&mu);
    struct endpoint *e = find(endpoint_id);
    if (!e)
        e = take(endpoint_id, minute);
    if (e) {
        e->last_minute = minute;
        struct minute *m = &e->ring[minute % DELIVERY_STATS_MINUTES];
        if (m->at != minute)
            *m = (struct minute){.at = minute};
        m->delivered += outcome == DELIVERY_OK;
        m->failed += outcome == DELIVERY_FAILED;
        m->dead += outcome == DELIVERY_DEAD;
        m->latency_sum += total_ms;
        if (total_ms > m->latency_max)
            m->latency_max = (float)total_ms;
    }
    pthread_mutex_unlock(&mu);
}

bool delivery_stats_read(const char *endpoint_id, int64_t since_ms, int64_t width_ms, int n,
                         struct delivery_bucket *out)
{
    memset(out, 0, (size_t)n * sizeof *out);
    int64_t first = since_ms / MINUTE_MS, per = width_ms / MINUTE_MS;
    pthread_mutex_lock(&mu);
    struct endpoint *e = find(endpoint_id);
    for (int64_t k = 0; e && per > 0 && k < (int64_t)n * per; k++) {
        int64_t minute = first + k;
        const struct minute *m = &e->ring[((minute % DELIVERY_STATS_MINUTES) + DELIVERY_STATS_MINUTES) %
                                          DELIVERY_STATS_MINUTES];
        if (m->at != minute)
            continue;
        struct delivery_bucket *b = &out[k / per];
        b->delivered += m->delivered;
        b->failed += m->failed;
        b->dead += m->dead;
        b->latency_ms_sum += m->latency_sum;
        if (m->latency_max > b->latency_ms_max)
            b->latency_ms_max = m->latency_max;
    }
    pthread_mutex_unlock(&mu);
    return e != NULL;
}
