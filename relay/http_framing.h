/* http_framing: where each request on a connection begins and ends, read from
 * the bytes as they arrive, and whether its framing is one a proxy in front
 * of the relay could read differently (request smuggling). Pure: no I/O, no
 * allocation.
 *
 * libevent 2.1's evhttp reads requests leniently: it takes the first of two
 * Content-Length headers, treats a Transfer-Encoding other than chunked as
 * no body at all (the body is then read as the next request), folds
 * continuation lines, accepts "0x1f" as a chunk size, and answers a
 * malformed chunk size with 413. http_conn.c feeds this reader the same
 * bytes before evhttp parses them; it follows the framing of RFC 9112 and
 * stops at the first request whose framing is invalid:
 *   400  Content-Length not digits, or two with different values;
 *        Content-Length and Transfer-Encoding together; two Transfer-Encoding
 *        headers; a body on HEAD (evhttp reads none); whitespace between a
 *        header name and ':'; obsolete line folding; a bare CR; a header line
 *        without ':'; a chunk size that is not hexadecimal digits (chunk
 *        extensions included); chunk data not followed by CRLF; a trailer
 *        line without ':'
 *   501  a Transfer-Encoding other than chunked
 * Requests are numbered from 1 in the order they arrive; several may sit in
 * one read (pipelining), so the verdict names the request it is about. */
#ifndef SHIPRELAY_HTTP_FRAMING_H
#define SHIPRELAY_HTTP_FRAMING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_framing {
    /* The verdict: status 0 while every request so far is well framed; else
     * the status, error code and message (static strings) the request
     * numbered `request` deserves. Before that, `request` is the number of
     * the request being read. */
    int status;
    const char *code, *message;
    unsigned long request;
    /* private */
    int state;
    bool cr, trailer, head_method;
    char method[8], name[20], value[16]; /* the first bytes of each */
    size_t line_len, method_len, name_len, value_len, value_ws;
    bool value_digits;
    uint64_t number;
    unsigned n_length, n_encoding;
    bool length_bad, length_conflict, chunked;
    uint64_t length, left;
    unsigned chunk_digits;
};

void http_framing_init(struct http_framing *f);
/* Read the next n bytes of the connection. False once a verdict is reached
 * (f->status != 0); later bytes are ignored. */
bool http_framing_feed(struct http_framing *f, const char *p, size_t n);

#endif
