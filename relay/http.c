/* http: workers, limits, dispatch and JSON replies. See http.h.
 *
 * Owns the listening socket (each worker accepts on its own dup of it) and
 * the worker threads. What happens to a connection before evhttp hands a
 * request over (the connection cap, the request deadline, the framing
 * checks) is http_conn.c's. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h> /* req->major, req->minor */
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access_log.h"
#include "auth.h"
#include "http_conn.h"
#include "crypto.h"
#include "jsonutil.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "reload.h"
#include "stale_reads.h"
#include "store.h"
#include "syslog.h"
#include "timeutil.h"
#include "xmalloc.h"

struct worker {
    struct http_server *srv;
    pthread_t thread;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct store_reader *reader;
    struct event *drain_timer;
    int inflight;
    int draining;
};

struct http_server {
    const struct config *cfg;
    struct store *store;
    struct blobstore *blobs;
    const struct route *routes;
    size_t n_routes;
    int listen_fd;
    struct worker *workers;
    size_t n_workers;
};

/* ---- replies ---- */

/* The request is over: its access-log line and metrics, then it goes. */
static void finish(struct http_ctx *ctx)
{
    struct worker *w = ctx->worker;
    w->inflight--;
    int64_t took = metrics_now_ns() - ctx->started_ns;
    metrics_http(ctx->route, ctx->status, took);
    struct access_entry e = {ctx->started_ms, ctx->tenant, ctx->method, ctx->route ? ctx->route->pattern : NULL,
                             ctx->status, took, ctx->bytes_out, ctx->body_len, ctx->correlation_id, ctx->peer};
    access_log_request(ctx->cfg, &e);
    reload_release(ctx->cfg);
    if (ctx->query) {
        evhttp_clear_headers(ctx->query);
        free(ctx->query);
    }
    free(ctx);
}

static const char *reason_for(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* shiprelay's {"error": {code, message}} beside Carriyo's envelope:
 * {"status": "<code as a string>", "timestamp", "errors": [message]}. */
static json_t *error_body(int status, const char *code, const char *message)
{
    char st[16], now[TIME_ISO_LEN];
    snprintf(st, sizeof st, "%d", status);
    time_format_iso(time_now_ms(), now);
    return json_pack("{s:{s:s,s:s},s:s,s:s,s:[s]}", "error", "code", code, "message", message, "status", st,
                     "timestamp", now, "errors", message);
}

/* The reply: text (JSON) if any, after what a handler put in the output
 * buffer. A reply to HEAD keeps the headers and Content-Length of the body it
 * stands for and leaves the body out (evhttp 2.1 would send it). Every reply
 * says HTTP/1.1: evhttp echoes the request's version, HTTP/0.0 when it could
 * not read one; a client that did not speak HTTP/1.1 gets the connection
 * closed after. */
/* Returns the length of the body (sent, or stood for by a reply to HEAD). */
static size_t send_text(struct evhttp_request *req, int status, const char *text)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    if (req->major != 1 || req->minor != 1) {
        req->major = 1;
        req->minor = 1;
        evhttp_remove_header(headers, "Connection");
        evhttp_add_header(headers, "Connection", "close");
    }
    if (text) {
        evhttp_add_header(headers, "Content-Type", "application/json");
        evbuffer_add(out, text, strlen(text));
    }
    size_t bytes = evbuffer_get_length(out);
    if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        char len[24];
        snprintf(len, sizeof len, "%zu", bytes);
        evhttp_remove_header(headers, "Content-Length");
        evhttp_add_header(headers, "Content-Length", len);
        evbuffer_drain(out, evbuffer_get_length(out));
    }
    evhttp_send_reply(req, status, reason_for(status), NULL);
    return bytes;
}

static size_t send_json(struct evhttp_request *req, int status, json_t *body)
{
    char *text = body ? ju_dump(body) : NULL;
    size_t bytes = send_text(req, status, text);
    free(text);
    json_decref(body);
    return bytes;
}

/* ---- writes, and the INBOUND system-log entry of a logged route ---- */

static const char *method_name(enum evhttp_cmd_type m);

static json_t *headers_of(struct evkeyvalq *h)
{
    json_t *o = json_object();
    for (struct evkeyval *kv = h->tqh_first; kv; kv = kv->next.tqe_next)
        json_object_set_new(o, kv->key, json_string(kv->value));
    json_t *red = syslog_redact_headers(o);
    json_decref(o);
    return red;
}

/* The entry as far as the worker knows it: everything but the outcome. Built
 * on the worker's thread, so the writer never reads evhttp's state. */
static json_t *inbound_entry(struct http_ctx *ctx)
{
    struct evhttp_request *req = ctx->req;
    json_t *e = syslog_entry(ctx->tenant, NULL, ctx->correlation_id, "INBOUND", ctx->route->name,
                             ctx->log_source_type ? ctx->log_source_type : "API",
                             ctx->log_source_id ? ctx->log_source_id : ctx->tenant);
    char *url = syslog_redact_url(evhttp_request_get_uri(req));
    char started[TIME_ISO_LEN];
    time_format_iso(ctx->started_ms, started);
    json_object_set_new(e, "request_method", json_string(method_name(evhttp_request_get_command(req))));
    json_object_set_new(e, "request_url", json_string(url));
    /* serialised here, on the worker, rather than in the writer */
    json_t *rq = headers_of(evhttp_request_get_input_headers(req));
    char *rq_text = ju_dump(rq);
    json_decref(rq);
    json_object_set_new(e, "request_headers", json_string(rq_text));
    free(rq_text);
    json_object_set_new(e, "response_headers", headers_of(evhttp_request_get_output_headers(req)));
    json_object_set_new(e, "request_time", json_string(started));
    json_object_set_new(e, "identifier", json_string(ctx->log_identifier));
    free(url);
    return e;
}

struct submission {
    struct http_ctx *ctx;
    http_job_fn fn;
    void (*done)(void *arg);
    void *arg;
    json_t *entry; /* the INBOUND entry (logged routes) */
    int status;    /* the reply decided in the job */
    char *text;
};

void http_job_reply(struct http_ctx *ctx, int status, json_t *body)
{
    json_decref(ctx->job_body);
    free(ctx->job_text);
    ctx->job_status = status;
    ctx->job_body = body;
    ctx->job_text = NULL;
}

void http_job_reply_text(struct http_ctx *ctx, int status, char *text)
{
    http_job_reply(ctx, status, NULL);
    ctx->job_text = text;
}

void http_job_error(struct http_ctx *ctx, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    http_job_reply(ctx, status, error_body(status, code, msg));
}

/* Write the entry for this exchange (status, text) inside the job. */
static int write_log(struct store_txn *txn, struct submission *sub)
{
    struct http_ctx *ctx = sub->ctx;
    json_t *e = sub->entry; /* every run sets the same members again */
    if (ctx->order_id[0])
        json_object_set_new(e, "order_id", json_string(ctx->order_id));
    else
        json_object_del(e, "order_id");
    char now[TIME_ISO_LEN];
    time_format_iso(time_now_ms(), now);
    json_object_set_new(e, "response_code", json_integer(sub->status));
    json_t *rh = json_object_get(e, "response_headers");
    if (sub->text)
        json_object_set_new(rh, "Content-Type", json_string("application/json"));
    else
        json_object_del(rh, "Content-Type");
    json_object_set_new(e, "response_time", json_string(now));
    return syslog_add(txn, e, ctx->body, ctx->body_len, sub->text, sub->text ? strlen(sub->text) : 0);
}

static void decide(struct submission *sub, int status, json_t *body)
{
    free(sub->text);
    sub->status = status;
    sub->text = body ? ju_dump(body) : NULL;
    json_decref(body);
}

static int submission_run(struct store_txn *txn, void *arg)
{
    struct submission *sub = arg;
    struct http_ctx *ctx = sub->ctx;
    http_job_reply(ctx, 0, NULL); /* a rerun starts afresh */
    ctx->order_id[0] = '\0';
    int rc = sub->fn ? sub->fn(txn, ctx, sub->arg) : STORE_OK;
    if (rc != STORE_OK && store_job_undo(txn) != STORE_OK)
        return STORE_EIO;
    if (rc == STORE_EIO || !ctx->job_status)
        http_job_error(ctx, 503, "store_unavailable", "the change could not be stored; nothing was applied, retry");
    int status = ctx->job_status;
    json_t *body = ctx->job_body;
    ctx->job_body = NULL;
    decide(sub, status, body);
    if (ctx->job_text) {
        free(sub->text);
        sub->text = ctx->job_text;
        ctx->job_text = NULL;
    }
    if (!sub->entry)
        return rc;
    int lrc = write_log(txn, sub);
    if (lrc == STORE_SPOOL_FULL) {
        /* Nothing of this request is kept: not its change, not its entry. */
        if (store_job_undo(txn) != STORE_OK)
            return STORE_EIO;
        decide(sub, 503,
               error_body(503, "spool_full", "bodies waiting for the object store would exceed [system_logs] "
                                        "spool_max_bytes; nothing was applied, retry later"));
        return STORE_SPOOL_FULL;
    }
    if (lrc != STORE_OK)
        return STORE_EIO;
    return STORE_OK; /* the entry is kept even when fn's own writes were undone */
}

static void submission_done(int rc, void *arg)
{
    struct submission *sub = arg;
    struct http_ctx *ctx = sub->ctx;
    ctx->status = rc == STORE_EIO ? 503 : sub->status;
    if (rc == STORE_EIO) /* the transaction failed: nothing of the batch was kept */
        ctx->bytes_out = send_json(
            ctx->req, 503, error_body(503, "store_unavailable", "the change could not be stored; nothing was applied, retry"));
    else
        ctx->bytes_out = send_text(ctx->req, sub->status, sub->text);
    if (sub->done)
        sub->done(sub->arg);
    json_decref(sub->entry);
    free(sub->text);
    free(sub);
    finish(ctx);
}

void http_submit(struct http_ctx *ctx, http_job_fn fn, void (*done)(void *arg), void *arg)
{
    struct submission *sub = xcalloc(1, sizeof *sub);
    sub->ctx = ctx;
    sub->fn = fn;
    sub->done = done;
    sub->arg = arg;
    if (ctx->route && (ctx->route->flags & HTTP_LOG) && ctx->tenant)
        sub->entry = inbound_entry(ctx);
    store_submit(ctx->store, ctx->base, submission_run, submission_done, sub);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *http_origin(const struct http_ctx *ctx)
{
    const struct route *r = ctx->route;
    char *pattern = r ? xasprintf("%s %s", r->method, r->pattern) : NULL;
    json_t *o = json_object();
    json_object_set_new(o, "source_type", json_string(ctx->log_source_type ? ctx->log_source_type : "API"));
    json_object_set_new(o, "source_id", str_or_null(ctx->log_source_id ? ctx->log_source_id : ctx->tenant));
    json_object_set_new(o, "api_pattern", str_or_null(pattern));
    json_object_set_new(o, "request_type", str_or_null(r ? r->name : NULL));
    json_object_set_new(o, "system_log_identifier",
                        str_or_null(ctx->log_identifier[0] && ctx->tenant ? ctx->log_identifier : NULL));
    free(pattern);
    return o;
}

/* A reply decided before any write: on a logged route it still gets its
 * entry (a refused hook, a bad body), written as a job of its own. */
struct early_reply {
    int status;
    json_t *body;
};

static int early_reply_run(struct store_txn *txn, struct http_ctx *ctx, void *arg)
{
    struct early_reply *r = arg;
    http_job_reply(ctx, r->status, json_incref(r->body));
    return STORE_OK;
}

static void early_reply_free(void *arg)
{
    struct early_reply *r = arg;
    json_decref(r->body);
    free(r);
}

/* ---- stale answers to reads (stale_reads.h) ----
 * A 200 to a GET or HEAD on a route that needs a key is kept under who
 * asked (the tenant, or the operator acting for one or for all) and the
 * URL as sent; when a later read of the same URL by the same caller cannot
 * be answered by the store, that answer goes out instead, with Age (whole
 * seconds since it was given), Warning 110 and X-Shiprelay-Stale (when it
 * was given). NULL: the request is not such a read. */
static char *stale_key(const struct http_ctx *ctx)
{
    enum evhttp_cmd_type m = evhttp_request_get_command(ctx->req);
    if (!ctx->route || (ctx->route->flags & HTTP_PUBLIC) || (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD))
        return NULL;
    return xasprintf("%s\n%s\n%s", ctx->operator_key ? "operator" : "tenant", ctx->tenant ? ctx->tenant : "",
                     evhttp_request_get_uri(ctx->req));
}

static bool serve_stale(struct http_ctx *ctx)
{
    char *key = stale_key(ctx);
    int64_t now = time_now_ms(), given = 0;
    char *text = key ? stale_reads_get(key, now, &given) : NULL;
    free(key);
    if (!text)
        return false;
    struct evkeyvalq *h = evhttp_request_get_output_headers(ctx->req);
    char age[24], when[TIME_ISO_LEN];
    snprintf(age, sizeof age, "%lld", (long long)(now > given ? (now - given) / 1000 : 0));
    time_format_iso(given, when);
    evhttp_add_header(h, "Age", age);
    evhttp_add_header(h, "Warning", "110 shiprelay \"Response is Stale\"");
    evhttp_add_header(h, "X-Shiprelay-Stale", when);
    ctx->status = 200;
    ctx->bytes_out = send_text(ctx->req, 200, text);
    free(text);
    finish(ctx);
    return true;
}

void http_reply_json(struct http_ctx *ctx, int status, json_t *body)
{
    if (ctx->route && (ctx->route->flags & HTTP_LOG) && ctx->tenant) {
        struct early_reply *r = xcalloc(1, sizeof *r);
        r->status = status;
        r->body = body;
        http_submit(ctx, early_reply_run, early_reply_free, r);
        return;
    }
    char *text = body ? ju_dump(body) : NULL;
    json_decref(body);
    char *key = status == 200 && text ? stale_key(ctx) : NULL;
    if (key)
        stale_reads_put(key, text, ctx->started_ms);
    free(key);
    ctx->status = status;
    ctx->bytes_out = send_text(ctx->req, status, text);
    free(text);
    finish(ctx);
}

bool http_rate_ok(struct http_ctx *ctx, const char *kind, const char *name, struct config_limit limit,
                        int *retry_after)
{
    char key[160];
    snprintf(key, sizeof key, "%s%s", kind, name);
    return ratelimit_take(key, limit, ctx->started_ns, retry_after);
}

void http_reply_rate_limited(struct http_ctx *ctx, int retry_after, const char *fmt, ...)
{
    char msg[400], seconds[16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(seconds, sizeof seconds, "%d", retry_after);
    size_t len = strlen(msg);
    snprintf(msg + len, sizeof msg - len, "; retry after %d s", retry_after);
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Retry-After", seconds);
    ctx->status = 429;
    ctx->bytes_out = send_json(ctx->req, 429, error_body(429, "rate_limited", msg));
    finish(ctx);
}

void http_reply_error(struct http_ctx *ctx, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (status == 503 && !strcmp(code, "store_unavailable") && serve_stale(ctx))
        return;
    http_reply_json(ctx, status, error_body(status, code, msg));
}

const char *http_query(struct http_ctx *ctx, const char *name)
{
    if (!ctx->query) {
        ctx->query = xcalloc(1, sizeof *ctx->query);
        TAILQ_INIT(ctx->query);
        const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(ctx->req));
        if (q && evhttp_parse_query_str(q, ctx->query) != 0)
            evhttp_clear_headers(ctx->query);
    }
    return evhttp_find_header(ctx->query, name);
}

bool http_page(struct http_ctx *ctx, long *limit, long long *after)
{
    const char *limit_s = http_query(ctx, "limit"), *after_s = http_query(ctx, "after");
    char *end = NULL;
    *limit = limit_s ? strtol(limit_s, &end, 10) : 100;
    if (limit_s && (*end || end == limit_s || *limit < 1 || *limit > 1000)) {
        http_reply_error(ctx, 400, "invalid_parameter", "limit must be 1 to 1000");
        return false;
    }
    *after = after_s ? strtoll(after_s, &end, 10) : 0;
    if (after_s && (*end || end == after_s || *after < 0)) {
        http_reply_error(ctx, 400, "invalid_parameter", "after must be the next_after of a previous page");
        return false;
    }
    return true;
}

void http_reply_page(struct http_ctx *ctx, json_t *rows, long limit)
{
    size_t n = json_array_size(rows);
    json_t *next = (long)n == limit ? json_incref(json_object_get(json_array_get(rows, n - 1), "seq")) : json_null();
    http_reply_json(ctx, 200, json_pack("{s:o,s:o}", "data", rows, "next_after", next));
}

json_t *http_json_body(struct http_ctx *ctx)
{
    json_error_t jerr;
    if (ctx->body_len == 0) {
        http_reply_error(ctx, 400, "invalid_json", "the request body is empty; a JSON object is expected");
        return NULL;
    }
    json_t *v = json_loadb(ctx->body, ctx->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        http_reply_error(ctx, 400, "invalid_json", "the body is not valid JSON: %s (line %d, column %d)", jerr.text,
                         jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        http_reply_error(ctx, 400, "invalid_json", "the body must be a JSON object");
        return NULL;
    }
    return v;
}

static void peer_of(struct evhttp_request *req, char *out, size_t len)
{
    http_conn_peer(evhttp_request_get_connection(req), out, len);
}

/* libevent answers some requests itself, before any handler runs: a body
 * over max_body (413), a malformed request or oversized headers (400), a
 * method it does not take (501). It does so through evhttp_send_error,
 * which writes an HTML page; libevent's own calls reach it through the PLT,
 * so this definition takes its place and those answers are JSON like every
 * other error (integration/test_http_strict.py checks that they are). A
 * request http_framing refused gets that verdict instead (libevent answers a
 * malformed chunk size 413, for one). The connection is closed after. */
void evhttp_send_error(struct evhttp_request *req, int error, const char *reason)
{
    const struct http_framing *bad = http_conn_request(req);
    const char *code = error == 413 ? "payload_too_large"
                       : error == 400 ? "bad_request"
                       : error == 501 ? "not_implemented"
                                      : "http_error";
    const char *message = error == 413 ? "the request body is larger than this relay accepts ([server] max_body)"
                          : error == 400 ? "the request could not be read as HTTP/1.1 (malformed, or headers too large)"
                          : error == 501 ? "the method is not one this relay implements"
                                         : reason ? reason : reason_for(error);
    if (bad) {
        error = bad->status;
        code = bad->code;
        message = bad->message;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_clear_headers(h);
    evhttp_add_header(h, "Connection", "close");
    char peer[64];
    peer_of(req, peer, sizeof peer);
    const struct config *cfg = reload_acquire();
    struct access_entry e = {.time_ms = time_now_ms(), .method = method_name(evhttp_request_get_command(req)),
                             .status = error, .peer = peer};
    e.bytes_out = send_json(req, error, error_body(error, code, message));
    metrics_http(NULL, error, 0);
    access_log_request(cfg, &e);
    reload_release(cfg);
}

/* ---- dispatch ---- */

static const char *method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    default: return "OTHER";
    }
}

static bool json_content_type(const char *ct)
{
    size_t len = strcspn(ct, ";");
    while (len && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    if (len == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return true;
    return len > 5 && strncasecmp(ct + len - 5, "+json", 5) == 0;
}

/* The operator's key on a route that needs one: its key, then the tenant
 * it names (see http.h). False after replying. */
static bool operator_ok(struct http_ctx *ctx, const struct route *route, const char *key)
{
    bool read = strcmp(route->method, "GET") == 0;
    if (!read && !(route->flags & HTTP_OPERATOR)) {
        http_reply_error(ctx, 403, "forbidden",
                         "the operator key (x-admin-key) reads, and retries and recovers dead letters; this call "
                         "needs the tenant's own x-api-key");
        return false;
    }
    if (!auth_admin_key_ok(ctx->cfg, key)) {
        metrics_auth_failure(false);
        access_log_auth_failure(ctx->cfg, ctx->peer, "console: x-admin-key", "not [console] admin_key, or none set");
        http_reply_error(ctx, 401, "unauthorized", "the x-admin-key is not the operator key ([console] admin_key)");
        return false;
    }
    const char *tenant = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "tenant-id");
    const struct config_tenant *t = tenant ? config_find_tenant(ctx->cfg, tenant) : NULL;
    if (tenant && !t) {
        http_reply_error(ctx, 404, "unknown_tenant", "no tenant \"%.64s\" is configured", tenant);
        return false;
    }
    if (!t && !(route->flags & HTTP_ANY_TENANT)) {
        http_reply_error(ctx, 400, "tenant_required", "the operator names the tenant it looks at in tenant-id");
        return false;
    }
    ctx->tenant = t ? t->id : NULL;
    ctx->operator_key = true;
    return true;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct worker *w = arg;
    struct http_server *srv = w->srv;
    struct http_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->req = req;
    ctx->cfg = reload_acquire(); /* this request's config, whatever a reload does meanwhile */
    ctx->store = srv->store;
    ctx->blobs = srv->blobs;
    ctx->reader = w->reader;
    ctx->base = w->base;
    ctx->worker = w;
    w->inflight++;
    ctx->started_ns = metrics_now_ns();
    ctx->started_ms = time_now_ms();
    ctx->method = method_name(evhttp_request_get_command(req));
    peer_of(req, ctx->peer, sizeof ctx->peer);

    const struct http_framing *bad = http_conn_request(req);
    if (bad) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        http_reply_error(ctx, bad->status, bad->code, "%s", bad->message);
        return;
    }
    if (w->draining) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        http_reply_error(ctx, 503, "shutting_down", "the relay is shutting down; retry shortly");
        return;
    }
    const char *cor = evhttp_find_header(evhttp_request_get_input_headers(req), "x-correlation-id");
    size_t clen = cor ? strlen(cor) : 0;
    bool cor_ok = clen > 0 && clen < sizeof ctx->correlation_id;
    for (size_t i = 0; cor_ok && i < clen; i++)
        cor_ok = cor[i] > 32 && cor[i] < 127;
    if (cor_ok)
        memcpy(ctx->correlation_id, cor, clen + 1);
    else
        syslog_new_correlation_id(ctx->correlation_id);
    evhttp_add_header(evhttp_request_get_output_headers(req), "x-correlation-id", ctx->correlation_id);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path || strlen(path) >= sizeof ctx->path) {
        http_reply_error(ctx, 404, "not_found", "no such route");
        return;
    }
    strcpy(ctx->path, path);
    const struct route *route = NULL;
    char allow[64];
    const char *method = method_name(evhttp_request_get_command(req));
    bool head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD; /* HEAD is GET without the body */
    switch (route_match(srv->routes, srv->n_routes, head ? "GET" : method, ctx->path, &route, &ctx->params, allow,
                        sizeof allow)) {
    case ROUTE_NOT_FOUND:
        http_reply_error(ctx, 404, "not_found", "no route for %s %s", method, path);
        return;
    case ROUTE_METHOD_NOT_ALLOWED:
        if (strstr(allow, "GET") && strlen(allow) + 7 < sizeof allow)
            strcat(allow, ", HEAD");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
        http_reply_error(ctx, 405, "method_not_allowed", "%s is not allowed here; allowed: %s", method, allow);
        return;
    case ROUTE_FOUND:
        break;
    }
    long long spooled = 0;
    unsigned long jobs_done, commits;
    if (route->flags & HTTP_LOG)
        store_stats(srv->store, &jobs_done, &commits, &spooled);
    if ((route->flags & HTTP_LOG) && spooled >= srv->cfg->spool_max_bytes) {
        http_reply_error(ctx, 503, "spool_full",
                         "bodies waiting for the object store exceed [system_logs] spool_max_bytes; nothing was "
                         "applied, retry later");
        return;
    }
    ctx->route = route;
    if (route->flags & HTTP_LOG)
        syslog_new_identifier(ctx->log_identifier); /* so a change can name its entry before either is stored */
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    const char *admin = evhttp_find_header(in, "x-admin-key");
    if (!(route->flags & HTTP_PUBLIC) && admin) {
        if (!operator_ok(ctx, route, admin))
            return;
    } else if (!(route->flags & HTTP_PUBLIC)) {
        const char *tenant = evhttp_find_header(in, "tenant-id");
        if (!auth_request_ok(ctx->cfg, tenant, evhttp_find_header(in, "x-api-key"),
                             evhttp_find_header(in, "Authorization"), ctx->started_ms / 1000)) {
            char who[96];
            snprintf(who, sizeof who, "api: tenant-id \"%.64s\"", tenant ? tenant : "");
            metrics_auth_failure(false);
            access_log_auth_failure(ctx->cfg, ctx->peer, who, "no such tenant, not one of its keys, or no valid token");
            http_reply_error(ctx, 401, "unauthorized",
                             "a valid x-api-key and tenant-id are required, with a live bearer token from POST "
                             "/oauth/token where the tenant requires one or one is sent");
            return;
        }
        int retry;
        const struct config_tenant *t = config_find_tenant(ctx->cfg, tenant);
        if (!http_rate_ok(ctx, "api:", t->id, ratelimit_of_tenant(ctx->cfg, t), &retry)) {
            ctx->tenant = t->id; /* for the access log; the reply is not system-logged */
            metrics_rate_limited(false);
            http_reply_rate_limited(ctx, retry, "tenant \"%s\" is over its API rate limit", t->id);
            return;
        }
        ctx->tenant = tenant;
    }
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    ctx->body_len = evbuffer_get_length(body);
    ctx->body = ctx->body_len ? (const char *)evbuffer_pullup(body, -1) : "";
    /* No Content-Type means JSON (seed 004); any other type is refused. */
    const char *type = evhttp_find_header(in, "Content-Type");
    if (ctx->body_len && !(route->flags & HTTP_RAW_BODY) && type && !json_content_type(type)) {
        http_reply_error(ctx, 415, "unsupported_media_type", "the body must be sent as Content-Type: application/json");
        return;
    }
    ((http_handler)route->handler)(ctx);
}

/* ---- workers ---- */

static void drain_check(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    if (w->inflight == 0)
        event_base_loopexit(w->base, NULL);
}

static void begin_drain(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    w->draining = 1;
    if (w->bound) {
        evhttp_del_accept_socket(w->http, w->bound); /* closes this worker's dup */
        w->bound = NULL;
    }
    static const struct timeval tick = {0, 20000};
    w->drain_timer = event_new(w->base, -1, EV_PERSIST, drain_check, w);
    event_add(w->drain_timer, &tick);
}

static void *worker_main(void *arg)
{
    pthread_setname_np(pthread_self(), "sr-http");
    struct worker *w = arg;
    event_base_dispatch(w->base);
    return NULL;
}

int http_listen(const struct config *cfg, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[8];
    snprintf(port, sizeof port, "%d", cfg->listen_port);
    int rc = getaddrinfo(cfg->listen_host[0] ? cfg->listen_host : NULL, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", cfg->listen, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int start_worker(struct http_server *srv, struct worker *w, char *err, size_t errlen)
{
    const struct config *cfg = srv->cfg;
    w->srv = srv;
    w->base = event_base_new();
    w->http = w->base ? evhttp_new(w->base) : NULL;
    if (!w->http) {
        snprintf(err, errlen, "cannot create an event loop");
        return -1;
    }
    evhttp_set_max_body_size(w->http, cfg->max_body);
    evhttp_set_max_headers_size(w->http, cfg->max_header);
    evhttp_set_timeout(w->http, (int)cfg->timeout);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
    evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_default_content_type(w->http, "application/json");
    evhttp_set_gencb(w->http, on_request, w);
    http_conns_watch(w->http);
    int fd = dup(srv->listen_fd);
    w->bound = fd >= 0 ? evhttp_accept_socket_with_handle(w->http, fd) : NULL;
    if (!w->bound) {
        snprintf(err, errlen, "cannot accept on %s", cfg->listen);
        return -1;
    }
    w->reader = store_reader_open(srv->store, err, errlen);
    if (!w->reader)
        return -1;
    /* Workers leave signals to the main thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start a worker thread");
        return -1;
    }
    return 0;
}

struct http_server *http_start(const struct config *cfg, int listen_fd, struct store *st, struct blobstore *blobs,
                               const struct route *routes, size_t n_routes, char *err, size_t errlen)
{
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->listen_fd = listen_fd;
    srv->cfg = cfg;
    srv->store = st;
    srv->blobs = blobs;
    srv->routes = routes;
    srv->n_routes = n_routes;
    http_conns_init(cfg);
    srv->workers = xcalloc((size_t)cfg->threads, sizeof *srv->workers);
    for (long i = 0; i < cfg->threads; i++) {
        if (start_worker(srv, &srv->workers[i], err, errlen) != 0)
            goto fail;
        srv->n_workers++;
    }
    return srv;
fail:
    http_drain(srv, 0);
    http_free(srv);
    return NULL;
}

void http_drain(struct http_server *srv, int64_t deadline_ms)
{
    if (!srv)
        return;
    static const struct timeval now = {0, 0};
    for (size_t i = 0; i < srv->n_workers; i++)
        event_base_once(srv->workers[i].base, -1, EV_TIMEOUT, begin_drain, &srv->workers[i], &now);
    int64_t left = deadline_ms - time_now_ms();
    if (left < 0)
        left = 0;
    struct timeval limit = {(long)(left / 1000), (long)(left % 1000) * 1000};
    for (size_t i = 0; i < srv->n_workers; i++)
        event_base_loopexit(srv->workers[i].base, &limit); /* the hard stop, if draining takes too long */
    for (size_t i = 0; i < srv->n_workers; i++)
        pthread_join(srv->workers[i].thread, NULL);
}

void http_free(struct http_server *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < (size_t)srv->cfg->threads && srv->workers; i++) {
        struct worker *w = &srv->workers[i];
        if (w->drain_timer)
            event_free(w->drain_timer);
        if (w->http)
            evhttp_free(w->http);
        store_reader_close(w->reader);
        if (w->base)
            event_base_free(w->base);
    }
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    free(srv->workers);
    http_conns_free();
    free(srv);
}
