/* health: see health.h. An open-addressing table (FNV-1a over the name,
 * linear probing, never shrinking) of HEALTH_MAX slots, under one mutex:
 * a note is a hash, a probe and a few stores. */
#include "health.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct slot {
    char name[144];
    struct health_record r;
};

static struct slot table[HEALTH_MAX];
static int used;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* The slot of name (made when create and there is room), or NULL. */
static struct slot *find(const char *name, bool create)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    for (int i = 0; i < HEALTH_MAX; i++) {
        struct slot *s = &table[(h + (uint32_t)i) % HEALTH_MAX];
        if (!s->name[0]) {
            if (!create || used >= HEALTH_MAX * 3 / 4)
                return NULL;
            snprintf(s->name, sizeof s->name, "%s", name);
            used++;
            return s;
        }
        if (strncmp(s->name, name, sizeof s->name - 1) == 0)
            return s;
    }
    return NULL;
}

void health_ok(const char *name, int64_t now_ms)
{
    pthread_mutex_lock(&mu);
    struct slot *s = find(name, true);
    if (s) {
        s->r.ok++;
        s->r.last_ok_ms = now_ms;
    }
    pthread_mutex_unlock(&mu);
}

void health_failed(const char *name, int status, const char *error, int64_t now_ms)
{
    pthread_mutex_lock(&mu);
    struct slot *s = find(name, true);
    if (s) {
        s->r.failed++;
        s->r.last_failed_ms = now_ms;
        s->r.last_status = status;
        snprintf(s->r.last_error, sizeof s->r.last_error, "%s", error ? error : "");
    }
    pthread_mutex_unlock(&mu);
}

bool health_get(const char *name, struct health_record *out)
{
    pthread_mutex_lock(&mu);
    struct slot *s = find(name, false);
    if (s)
        *out = s->r;
    else
        memset(out, 0, sizeof *out);
    pthread_mutex_unlock(&mu);
    return s != NULL;
}
