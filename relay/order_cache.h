/* order_cache: the writer's recently written and read orders, parsed and as
 * their stored JSON text, so a write to an order it holds needs neither a
 * read nor a parse, and the text can be reused (replies, webhook images).
 *
 * Only the store's writer thread uses it. The store keeps it in step with
 * the current transaction: every order written is put, and when a write is
 * undone (a job rolled back, a transaction lost) the cache is emptied, so
 * it never holds what the database does not. Entries are found by
 * (tenant, order_id) or (tenant, partner_order_reference); the least
 * recently used go first (CLOCK) when the next would take it over its
 * size (reckoned from the text's length).
 *
 * Each entry keeps the version the backend gave the row when it was
 * written or read (0 when the backend has none): with PostgreSQL, another
 * node may change the order meanwhile, so the store compares it with the
 * row's (store_pg_orders.c) before it trusts an entry. */
#ifndef SHIPRELAY_ORDER_CACHE_H
#define SHIPRELAY_ORDER_CACHE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct order_cache;

/* max_bytes 0: a cache that holds nothing. */
struct order_cache *order_cache_new(size_t max_bytes);
void order_cache_free(struct order_cache *c);
/* The entry by order_id (by_ref false) or partner_order_reference: doc and
 * text are borrowed until the next put or clear; doc must not be changed. */
bool order_cache_get(struct order_cache *c, const char *tenant, bool by_ref, const char *key, const json_t **doc,
                     const char **text, int64_t *version);
/* Keep doc (stolen: the caller must not use it afterwards) and a copy of its
 * text, replacing what was held for the same order. */
void order_cache_put(struct order_cache *c, const char *tenant, json_t *doc, const char *text, int64_t version);
void order_cache_clear(struct order_cache *c);

#endif
