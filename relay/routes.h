/* routes: the route table's matcher (method + path pattern), pure.
 *
 * A pattern is a path whose segments are literal or `{name}` (one segment,
 * captured, never empty). A trailing slash is significant: "/console/"
 * matches only a pattern that ends with one. route_match walks a table and reports the first route whose
 * pattern and method both match, or that the path exists under other methods
 * (405), or that nothing matches (404). The path is split at '/' first,
 * then each segment is percent-decoded, so any character but NUL reaches a
 * capture ("/orders/PO%2F7" captures "PO/7"). Captures point into a copy the
 * caller supplies, so nothing here allocates. */
#ifndef SHIPRELAY_ROUTES_H
#define SHIPRELAY_ROUTES_H
#include <stddef.h>

#define ROUTE_MAX_PARAMS 4

struct route_params {
    size_t n;
    const char *name[ROUTE_MAX_PARAMS]; /* points into the pattern */
    char *value[ROUTE_MAX_PARAMS];      /* points into the path buffer, percent-decoded (%2F included) */
};

struct route {
    const char *method; /* "GET", "POST", ... */
    const char *pattern;
    void *handler;  /* opaque to the matcher */
    unsigned flags;   /* opaque to the matcher (see http.h) */
    const char *name; /* what the route does, e.g. ORDER_CREATE (the system log's request_type) */
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED };

/* Match method and path (without the query string) against table[0..n).
 * path_buf is a writable copy of the path that captures will point into; it is
 * modified. On ROUTE_FOUND *out is the route and params holds the captures;
 * on ROUTE_METHOD_NOT_ALLOWED, allow (if non-NULL) gets "GET, POST"-style text. */
enum route_result route_match(const struct route *table, size_t n, const char *method, char *path_buf,
                              const struct route **out, struct route_params *params, char *allow,
                              size_t allow_len);

/* Value of capture `name`, or NULL. */
const char *route_param(const struct route_params *params, const char *name);

#endif
