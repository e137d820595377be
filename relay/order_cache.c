/* order_cache: see order_cache.h. Two jansson objects serve as the hash
 * indexes (key → slot number); the slots form a CLOCK ring. */
#include "order_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct slot {
    char *id_key, *ref_key; /* "tenant\x1forder_id", "tenant\x1fref"; NULL when free */
    json_t *doc;
    char *text;
    int64_t version;
    size_t cost; /* bytes it is reckoned to take */
    bool referenced;
};

/* A parsed document takes about four times its text (jansson's nodes and
 * hash tables); with the text itself, five. */
#define COST(len) ((len) * 5 + 256)

struct order_cache {
    int capacity, hand;
    size_t bytes, max_bytes;
    struct slot *slots;
    json_t *by_id, *by_ref;
};

struct order_cache *order_cache_new(size_t max_bytes)
{
    struct order_cache *c = xcalloc(1, sizeof *c);
    c->max_bytes = max_bytes;
    c->capacity = max_bytes ? 8192 : 0;
    c->slots = xcalloc((size_t)c->capacity + 1, sizeof *c->slots);
    c->by_id = json_object();
    c->by_ref = json_object();
    return c;
}

static void release(struct order_cache *c, struct slot *s)
{
    if (!s->id_key)
        return;
    json_object_del(c->by_id, s->id_key);
    if (s->ref_key)
        json_object_del(c->by_ref, s->ref_key);
    free(s->id_key);
    free(s->ref_key);
    json_decref(s->doc);
    free(s->text);
    c->bytes -= s->cost;
    memset(s, 0, sizeof *s);
}

void order_cache_clear(struct order_cache *c)
{
    for (int i = 0; i < c->capacity; i++)
        release(c, &c->slots[i]);
}

void order_cache_free(struct order_cache *c)
{
    if (!c)
        return;
    order_cache_clear(c);
    json_decref(c->by_id);
    json_decref(c->by_ref);
    free(c->slots);
    free(c);
}

static char *key_of(const char *tenant, const char *k)
{
    return xasprintf("%s\x1f%s", tenant, k);
}

bool order_cache_get(struct order_cache *c, const char *tenant, bool by_ref, const char *key, const json_t **doc,
                     const char **text, int64_t *version)
{
    if (!c->capacity || !tenant || !key)
        return false;
    char *k = key_of(tenant, key);
    json_t *n = json_object_get(by_ref ? c->by_ref : c->by_id, k);
    free(k);
    if (!n)
        return false;
    struct slot *s = &c->slots[json_integer_value(n)];
#ifndef NDEBUG
    /* The store keeps the very object a write stored; nobody may have
     * changed it since (store.h). Debug builds check that it still is what
     * was written. */
    json_t *stored = json_loads(s->text, 0, NULL);
    if (!json_equal(stored, s->doc)) {
        fprintf(stderr, "order_cache: order %s was changed after it was stored\n", s->id_key);
        abort();
    }
    json_decref(stored);
#endif
    s->referenced = true;
    *doc = s->doc;
    *text = s->text;
    if (version)
        *version = s->version;
    return true;
}

void order_cache_put(struct order_cache *c, const char *tenant, json_t *doc, const char *text, int64_t version)
{
    const char *id = json_string_value(json_object_get(doc, "order_id"));
    const char *ref = json_string_value(json_object_get(doc, "partner_order_reference"));
    size_t cost = COST(strlen(text));
    if (!c->capacity || !tenant || !id || cost > c->max_bytes / 4) { /* no room, or too big to be worth it */
        json_decref(doc);
        char *k = tenant && id ? key_of(tenant, id) : NULL;
        json_t *n = k ? json_object_get(c->by_id, k) : NULL;
        if (n) /* what is held for it is out of date now */
            release(c, &c->slots[json_integer_value(n)]);
        free(k);
        return;
    }
    char *id_key = key_of(tenant, id);
    json_t *n = json_object_get(c->by_id, id_key);
    if (n)
        release(c, &c->slots[json_integer_value(n)]);
    struct slot *s;
    for (;;) { /* CLOCK: the first slot not referenced since the hand last passed */
        s = &c->slots[c->hand];
        c->hand = (c->hand + 1) % c->capacity;
        if (s->id_key && s->referenced) {
            s->referenced = false;
            continue;
        }
        release(c, s);
        if (c->bytes + cost <= c->max_bytes)
            break;
    }
    json_int_t slot = s - c->slots;
    s->id_key = id_key;
    s->ref_key = ref ? key_of(tenant, ref) : NULL;
    s->doc = doc;
    s->text = xstrdup(text);
    s->version = version;
    s->cost = cost;
    c->bytes += cost;
    s->referenced = true;
    json_object_set_new(c->by_id, s->id_key, json_integer(slot));
    if (s->ref_key)
        json_object_set_new(c->by_ref, s->ref_key, json_integer(slot));
}
