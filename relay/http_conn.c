/* http_conn: connection accounting, request deadlines and framing checks
 * around evhttp. See http_conn.h.
 *
 * libevent 2.1 has no hook at accept; evhttp_set_bevcb comes closest: it is
 * called for each accepted connection, before evhttp builds its connection
 * object around the bufferevent we return. There a conn is made and its
 * "kick" event is made active; the kick runs later in the same pass of the
 * event loop, after evhttp has set the connection up and before any of its
 * bytes can be read (reads need another pass through epoll). The kick finds
 * evhttp's connection object (the bufferevent's callback argument), counts
 * the connection, registers the close callback that uncounts it, and starts
 * the deadline.
 *
 * The conn watches the bufferevent's input buffer: its callback sees each
 * read before evhttp's read callback parses it, starts the deadline of a
 * request on its first byte, and feeds http_framing. A request evhttp hands
 * to http.c is found again by its connection's descriptor (by_fd). */
#include "http_conn.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "access_log.h"
#include "jsonutil.h"
#include "metrics.h"
#include "reload.h"
#include "timeutil.h"
#include "xmalloc.h"

struct conn {
    struct bufferevent *bev;
    struct evhttp_connection *evcon; /* NULL until the first kick */
    int fd;
    bool counted;                    /* against max_connections; uncounted on close */
    bool busy;                       /* a request is with http.c, or its reply is being written */
    bool deadline_armed;
    unsigned long requests;          /* handed to http.c (or answered by evhttp) so far */
    struct evbuffer_cb_entry *watch; /* on the input buffer */
    struct event *kick, *deadline;
    struct http_framing framing;
};

static const struct config *cfg;
static atomic_long open_conns;
static size_t max_fd;
static _Atomic(struct conn *) *by_fd;

/* ---- replies from here, straight to the socket ---- */

static const char *reason(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

static void conn_release(struct conn *c)
{
    event_free(c->kick);
    event_free(c->deadline);
    free(c);
}

static void unwatch(struct conn *c)
{
    if (c->watch)
        evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
    c->watch = NULL;
}

void http_conn_peer(struct evhttp_connection *evcon, char *out, size_t len)
{
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (evcon)
        evhttp_connection_get_peer(evcon, &addr, &port);
    snprintf(out, len, strchr(addr ? addr : "", ':') ? "[%s]:%u" : "%s:%u", addr ? addr : "-", (unsigned)port);
}

/* The access-log line and metrics of a connection answered from here. */
static void conn_logged(struct conn *c, int status, size_t bytes)
{
    char peer[64];
    http_conn_peer(c->evcon, peer, sizeof peer);
    const struct config *live = reload_acquire();
    struct access_entry e = {.time_ms = time_now_ms(), .method = "-", .status = status, .bytes_out = bytes,
                             .peer = peer};
    access_log_request(live, &e);
    reload_release(live);
    metrics_http(NULL, status, 0);
}

/* Answer and close; c is gone afterwards. */
static void conn_abort(struct conn *c, int status, const char *code, const char *message)
{
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    char *text = ju_dump(body);
    json_decref(body);
    char head[192];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason(status), strlen(text));
    struct iovec iov[2] = {{head, (size_t)n}, {text, strlen(text)}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    if (sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) > 0) {
        /* What the client already sent is read and dropped, so closing does
         * not reset the connection under the reply. */
        shutdown(c->fd, SHUT_WR);
        char sink[4096];
        for (int i = 0; i < 16 && recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
            ;
    }
    conn_logged(c, status, strlen(text));
    free(text);
    unwatch(c);
    bool counted = c->counted;
    evhttp_connection_free(c->evcon); /* runs conn_closed when counted */
    if (!counted)
        conn_release(c);
}

/* ---- the life of a connection ---- */

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    unwatch(c);
    struct conn *expect = c;
    atomic_compare_exchange_strong(&by_fd[c->fd], &expect, NULL);
    atomic_fetch_sub(&open_conns, 1);
    conn_release(c);
}

static void conn_arm(struct conn *c)
{
    struct timeval tv = {cfg->request_deadline, 0};
    event_add(c->deadline, &tv);
    c->deadline_armed = true;
}

static void conn_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    c->deadline_armed = false;
    if (!c->busy)
        conn_abort(c, 408, "request_timeout",
                   "the request did not arrive in full within [server] request_timeout; the connection is closed");
}

/* The first kick: evhttp's connection exists now. False when refused. */
static bool conn_settle(struct conn *c)
{
    void *evcon = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
    c->evcon = evcon;
    c->fd = bufferevent_getfd(c->bev);
    if (c->fd < 0 || (size_t)c->fd >= max_fd || atomic_fetch_add(&open_conns, 1) >= cfg->max_connections) {
        if (c->fd >= 0 && (size_t)c->fd < max_fd)
            atomic_fetch_sub(&open_conns, 1);
        conn_abort(c, 503, "too_many_connections",
                   "the relay is at its connection limit ([server] max_connections); retry shortly");
        return false;
    }
    c->counted = true;
    atomic_store(&by_fd[c->fd], c);
    evhttp_connection_set_closecb(c->evcon, conn_closed, c);
    conn_arm(c);
    return true;
}

/* Settle a new connection; answer a refused request evhttp is still reading. */
static void conn_kick(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (!c->evcon && !conn_settle(c))
        return;
    if (!c->busy && c->framing.status && c->framing.request == c->requests + 1)
        conn_abort(c, c->framing.status, c->framing.code, c->framing.message);
}

static void conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn *c = arg;
    if (info->n_added == 0)
        return;
    if (c->evcon && !c->busy && !c->deadline_armed)
        conn_arm(c);
    if (c->framing.status)
        return;
    /* The bytes just read are the last n_added of the buffer. */
    struct evbuffer_ptr pos;
    size_t left = info->n_added;
    if (evbuffer_ptr_set(buf, &pos, evbuffer_get_length(buf) - left, EVBUFFER_PTR_SET) != 0)
        return;
    while (left && !c->framing.status) {
        struct evbuffer_iovec v[8];
        int n = evbuffer_peek(buf, (ev_ssize_t)left, &pos, v, 8);
        for (int i = 0; i < n && i < 8 && left; i++) {
            size_t len = v[i].iov_len < left ? v[i].iov_len : left;
            http_framing_feed(&c->framing, v[i].iov_base, len);
            left -= len;
            evbuffer_ptr_set(buf, &pos, len, EVBUFFER_PTR_ADD);
        }
    }
    if (c->framing.status)
        event_active(c->kick, EV_TIMEOUT, 1);
}

static struct bufferevent *conn_new(struct event_base *base, void *arg)
{
    struct conn *c = xcalloc(1, sizeof *c);
    c->fd = -1;
    c->bev = bufferevent_socket_new(base, -1, 0); /* what evhttp would make itself */
    c->kick = event_new(base, -1, 0, conn_kick, c);
    c->deadline = evtimer_new(base, conn_deadline, c);
    if (!c->bev || !c->kick || !c->deadline) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    http_framing_init(&c->framing);
    c->watch = evbuffer_add_cb(bufferevent_get_input(c->bev), conn_input, c);
    event_active(c->kick, EV_TIMEOUT, 1);
    return c->bev;
}

static void conn_request_done(struct evhttp_request *req, void *arg)
{
    struct conn *c = arg;
    c->busy = false;
    if (evbuffer_get_length(bufferevent_get_input(c->bev))) /* the next request, pipelined */
        conn_arm(c);
    if (c->framing.status && c->framing.request == c->requests + 1)
        event_active(c->kick, EV_TIMEOUT, 1);
}

const struct http_framing *http_conn_request(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    int fd = evcon ? bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)) : -1;
    struct conn *c = fd >= 0 && (size_t)fd < max_fd ? atomic_load(&by_fd[fd]) : NULL;
    if (!c || c->evcon != evcon)
        return NULL;
    c->requests++;
    c->busy = true;
    if (c->deadline_armed)
        event_del(c->deadline);
    c->deadline_armed = false;
    evhttp_request_set_on_complete_cb(req, conn_request_done, c);
    return c->framing.status && c->framing.request == c->requests ? &c->framing : NULL;
}

/* ---- setup ---- */

void http_conns_init(const struct config *config)
{
    cfg = config;
    atomic_store(&open_conns, 0);
    struct rlimit rl;
    max_fd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (1u << 20)
                 ? (size_t)rl.rlim_cur
                 : (1u << 20);
    by_fd = xcalloc(max_fd, sizeof *by_fd);
}

void http_conns_watch(struct evhttp *http)
{
    evhttp_set_bevcb(http, conn_new, NULL);
}

void http_conns_free(void)
{
    free((void *)by_fd);
    by_fd = NULL;
}
