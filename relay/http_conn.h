/* http_conn: the life of each client connection, from accept to close, for
 * http.c (internal to the HTTP layer).
 *
 * - Count: a connection counts against [server] max_connections from its
 *   accept until evhttp closes it, once. A connection over the cap is
 *   answered 503 too_many_connections at once and closed, before anything
 *   of it is read.
 * - Deadline: a request's line, headers and body must all arrive within
 *   [server] request_timeout, counted from the accept for a connection's
 *   first request and from the first byte of each later one (the idle time
 *   between requests is [server] timeout's, evhttp's read timeout). Past it
 *   the client gets 408 request_timeout and the connection is closed. A
 *   request handed to http.c has no deadline until its reply is written.
 * - Framing: every byte read is also read by http_framing (see there); a
 *   request it refuses is answered with its verdict, by http.c when evhttp
 *   hands the request over (or answers it itself), from here when evhttp is
 *   still waiting for bytes of it.
 * Replies sent from here are written straight to the socket, best effort
 * (each with its access-log line and counted in the metrics, route
 * "unmatched"), and the connection is closed without reading further (a client still
 * sending may see a reset instead).
 *
 * File descriptors are per process, so the connections are too: one
 * http_conns_init per process, before the workers start. Everything else
 * runs on the worker thread that accepted the connection. */
#ifndef SHIPRELAY_HTTP_CONN_H
#define SHIPRELAY_HTTP_CONN_H

#include "config.h"
#include "http_framing.h"

struct evhttp;
struct evhttp_connection;
struct evhttp_request;

void http_conns_init(const struct config *cfg);
/* Follow every connection http accepts from now on (evhttp_set_bevcb). */
void http_conns_watch(struct evhttp *http);
/* After every watched evhttp has been freed. */
void http_conns_free(void);

/* evhttp has read req (or gives up on it and answers it itself): the
 * connection's deadline stops until req's reply is written. Returns the
 * framing verdict on req when it is refused (status set), else NULL;
 * borrowed until the reply. */
const struct http_framing *http_conn_request(struct evhttp_request *req);

/* The client's address as "ADDRESS:PORT" ("[V6]:PORT"). */
void http_conn_peer(struct evhttp_connection *evcon, char *out, size_t len);

#endif
