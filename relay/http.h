/* http: the HTTP front door. libevent evhttp, N worker threads each with its
 * own event_base and store reader, all accepting on one listening socket.
 *
 * Before a handler sees a request, the server has enforced the limits (body,
 * headers, open connections, the request deadline and idle timeout: see
 * http_conn.h) and refused ambiguous framing (http_framing.h), matched the
 * route table (HEAD matches the GET routes; its reply leaves the body out),
 * checked the tenant API key (every route but those flagged HTTP_PUBLIC) and
 * the tenant's rate limit (ratelimit.h; 429 with Retry-After), or the
 * operator's key (below), and that a
 * body is JSON (no Content-Type counts as JSON; routes flagged HTTP_RAW_BODY
 * take any type). Every reply has an HTTP/1.1 status line, and, once sent,
 * its access-log line (access_log.h) and its place in the metrics
 * (metrics.h). A request holds the config snapshot it arrived under
 * (ctx->cfg, reload.h) until its reply is sent.
 *
 * Contract with handlers: each request gets exactly one reply, either now
 * through one of the http_reply_* calls, or from a write (http_submit). The
 * reply frees the context; touch it no more after.
 *
 * Writes: http_submit runs fn as a store job on the writer thread, inside
 * the transaction. fn decides the reply there (http_job_reply,
 * http_job_error) and returns STORE_OK to keep what it wrote, or anything
 * else to undo it (its reply, e.g. a 409, still goes out). For HTTP_LOG
 * routes the INBOUND system-log entry, with the request and that reply as
 * its bodies, is written in the same job, so a change and its log entry are
 * committed together or not at all; when the bodies would take the spool
 * over its cap the change is undone and the reply is 503 spool_full. After
 * the commit the reply is sent (503 store_unavailable if the transaction
 * failed), then done(arg) runs on the worker's thread. fn follows the store
 * job contract (store.h): it may run more than once and must not touch the
 * event loops; only ctx->tenant, params, body, cfg, correlation_id,
 * log_identifier, log_source_type/id, route and order_id may be used from
 * it (http_origin reads them).
 *
 * Reads: a 200 to a GET or HEAD on a keyed route is kept (stale_reads.h);
 * a handler's 503 store_unavailable to a later read of the same URL by the
 * same caller is replaced by that answer, marked stale (http.c). */
#ifndef SHIPRELAY_HTTP_H
#define SHIPRELAY_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "routes.h"

struct evhttp_request;
struct event_base;
struct store;
struct store_reader;
struct store_txn;
struct http_server;
struct blobstore;

/* Route flags (struct route.flags). */
#define HTTP_PUBLIC 0x1  /* no tenant API key needed */
#define HTTP_RAW_BODY 0x2 /* any content type is accepted */
#define HTTP_LOG 0x4      /* write an INBOUND system-log entry (syslog.h) before replying */
/* The operator ([console] admin_key, sent as x-admin-key) acts for the
 * tenant it names in tenant-id on every GET route that needs an API key,
 * and on the other routes flagged HTTP_OPERATOR; anywhere else its key is
 * 403. Its requests carry no rate limit (they are reads, and the operator
 * must be able to look at a tenant that is over its own). */
#define HTTP_OPERATOR 0x8   /* the operator may make this (non-GET) call */
#define HTTP_ANY_TENANT 0x10 /* the operator may call it without naming a tenant (ctx->tenant NULL) */

struct http_ctx {
    struct evhttp_request *req;
    const struct config *cfg;    /* the live config when the request arrived (reload.h), held until its reply */
    struct store *store;
    struct blobstore *blobs;     /* where system-log bodies go */
    struct store_reader *reader; /* this worker's; use from this thread only */
    struct event_base *base;     /* this worker's loop, for store_submit */
    struct route_params params;
    const char *tenant;          /* the authenticated tenant (NULL on public routes) */
    bool operator_key;           /* the operator's request (x-admin-key), for ctx->tenant or, on
                                  * HTTP_ANY_TENANT routes, for every tenant when tenant is NULL */
    const char *body;            /* request body (not NUL-terminated) and its length */
    size_t body_len;
    /* System log of HTTP_LOG routes: written (with the request and the reply)
     * before the reply leaves, when ctx->tenant is known by then. Handlers
     * set order_id, and source_type/source_id when not the tenant API. */
    char order_id[64];
    const char *log_source_type, *log_source_id;
    char correlation_id[132]; /* from x-correlation-id, or made up; echoed back */
    char log_identifier[32];  /* HTTP_LOG routes: the identifier the INBOUND entry will have, made
                               * before the handler runs so changes can point at it */
    int64_t started_ms;
    const struct route *route;
    char peer[64];      /* the client, "ADDRESS:PORT" */
    int status;         /* private: the reply sent, for the access log and metrics */
    size_t bytes_out;   /* private */
    int64_t started_ns; /* private: monotonic */
    const char *method; /* private */
    int job_status;   /* private: the reply a write decided */
    json_t *job_body; /* private */
    char *job_text;   /* private */
    void *worker; /* private */
    struct evkeyvalq *query; /* private: parsed query string */
    char path[1024];         /* private: captures point in here */
};

typedef void (*http_handler)(struct http_ctx *ctx);

/* Bind and listen on cfg's address: the socket (connections wait in its
 * backlog until http_start), or -1 with err. Done first at start, so a port
 * in use stops the relay before it creates or migrates any state. */
int http_listen(const struct config *cfg, char *err, size_t errlen);
/* Start the workers accepting on listen_fd (taken, also on failure). NULL
 * with err on failure. */
struct http_server *http_start(const struct config *cfg, int listen_fd, struct store *st, struct blobstore *blobs,
                               const struct route *routes, size_t n_routes, char *err, size_t errlen);
/* Stop accepting, let in-flight requests finish (until deadline_ms, a
 * time_now_ms() instant), then stop the workers. Call http_free after the
 * store is closed. */
void http_drain(struct http_server *srv, int64_t deadline_ms);
void http_free(struct http_server *srv);

/* A query-string parameter (decoded), or NULL. Borrowed from ctx. */
const char *http_query(struct http_ctx *ctx, const char *name);
/* Paging parameters of list endpoints: ?limit= (1 to 1000, default 100) and
 * ?after= (the next_after of the previous page, default 0). False after
 * replying 400. */
bool http_page(struct http_ctx *ctx, long *limit, long long *after);
/* 200 {"data": rows, "next_after": the last row's seq when the page is full,
 * else null}. rows is stolen. */
void http_reply_page(struct http_ctx *ctx, json_t *rows, long limit);
/* Who is making this change, in the shape of Carriyo's creation_source /
 * update_source: {source_type ("API", or a hook's adapter), source_id (the
 * tenant, or the hook source's name), api_pattern ("PATCH
 * /orders/{reference}"), request_type (the route's name), and
 * system_log_identifier (this request's INBOUND entry; null on routes
 * that write none)}. A new reference. Safe inside a job. */
json_t *http_origin(const struct http_ctx *ctx);
/* The body parsed as JSON; NULL after replying 400 with the parser's message. */
json_t *http_json_body(struct http_ctx *ctx);

/* Writes (see above). */
typedef int (*http_job_fn)(struct store_txn *txn, struct http_ctx *ctx, void *arg);
void http_submit(struct http_ctx *ctx, http_job_fn fn, void (*done)(void *arg), void *arg);
/* Inside fn: the reply to send once committed (the last call wins). body is
 * stolen (NULL for an empty body). */
void http_job_reply(struct http_ctx *ctx, int status, json_t *body);
void http_job_error(struct http_ctx *ctx, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with a body already serialised (stolen; e.g. store_order_json). */
void http_job_reply_text(struct http_ctx *ctx, int status, char *text);

/* Rate limits (ratelimit.h): take a token from the bucket kind+name (e.g.
 * "hook:", "acme/wh") under limit; false with *retry_after when refused. */
bool http_rate_ok(struct http_ctx *ctx, const char *kind, const char *name, struct config_limit limit,
                        int *retry_after);
/* 429 rate_limited with Retry-After, sent at once and never system-logged:
 * writing an entry would spend the writer the limit is there to protect. */
void http_reply_rate_limited(struct http_ctx *ctx, int retry_after, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replies. body is stolen (may be NULL for an empty body). */
void http_reply_json(struct http_ctx *ctx, int status, json_t *body);
void http_reply_error(struct http_ctx *ctx, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
