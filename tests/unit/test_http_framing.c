/* Mirrors relay/http_framing.c: well-framed requests (bodies, chunks,
 * pipelining, bytes split anywhere) and every framing it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "http_framing.h"

/* Feed s whole, and again one byte at a time: both must agree. */
static struct http_framing scan(const char *s)
{
    struct http_framing whole, bytes;
    http_framing_init(&whole);
    http_framing_init(&bytes);
    http_framing_feed(&whole, s, strlen(s));
    for (size_t i = 0; s[i]; i++)
        http_framing_feed(&bytes, s + i, 1);
    assert_int_equal(whole.status, bytes.status);
    assert_int_equal(whole.request, bytes.request);
    return whole;
}

#define POST "POST /orders HTTP/1.1\r\nHost: x\r\n"

static void well_framed(void **state)
{
    struct http_framing f = scan("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(f.status, 0);
    assert_int_equal(f.request, 2);
    f = scan(POST "Content-Length: 2\r\n\r\n{}" POST "Transfer-Encoding: chunked\r\n\r\n"
                  "2\r\n{}\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n"
                  "GET /x HTTP/1.1\nHost: x\nContent-Length: 0\n\n");
    assert_int_equal(f.status, 0);
    assert_int_equal(f.request, 4);
    /* a body may hold anything, CRs and header-like lines included */
    f = scan(POST "content-length:  5 \r\n\r\n\r\r: \n" POST "Transfer-Encoding: Chunked \r\n\r\n"
                  "3\r\n\r\n:\r\n0\r\n\r\n");
    assert_int_equal(f.status, 0);
    assert_int_equal(f.request, 3);
    /* the same Content-Length twice is one length */
    f = scan(POST "Content-Length: 2\r\nContent-Length: 02\r\n\r\n{}");
    assert_int_equal(f.status, 0);
    assert_int_equal(f.request, 2);
    f = scan("HEAD /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(f.status, 0);
    /* an unfinished request is no verdict */
    f = scan(POST "Content-Length: 10\r\n\r\n{");
    assert_int_equal(f.status, 0);
    assert_int_equal(f.request, 1);
}

static void refuse(const char *request, int status, const char *message, unsigned long which)
{
    struct http_framing f = scan(request);
    assert_int_equal(f.status, status);
    assert_string_equal(f.code, status == 501 ? "not_implemented" : "bad_request");
    assert_string_equal(f.message, message);
    assert_int_equal(f.request, which);
}

static void refused(void **state)
{
    refuse(POST "Content-Length: 5\r\nContent-Length: 7\r\n\r\n", 400,
           "two Content-Length headers with different values", 1);
    refuse(POST "Content-Length: 5x\r\n\r\n", 400, "Content-Length must be a number of bytes", 1);
    refuse(POST "Content-Length: +5\r\n\r\n", 400, "Content-Length must be a number of bytes", 1);
    refuse(POST "Content-Length: 5 5\r\n\r\n", 400, "Content-Length must be a number of bytes", 1);
    refuse(POST "Content-Length:\r\n\r\n", 400, "Content-Length must be a number of bytes", 1);
    refuse(POST "Transfer-Encoding: gzip\r\n\r\n", 501, "the only Transfer-Encoding this relay reads is chunked", 1);
    refuse(POST "Transfer-Encoding: gzip, chunked\r\n\r\n", 501,
           "the only Transfer-Encoding this relay reads is chunked", 1);
    refuse(POST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
           "more than one Transfer-Encoding header", 1);
    refuse(POST "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", 400,
           "Content-Length and Transfer-Encoding in one request", 1);
    refuse("HEAD / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400, "a HEAD request cannot have a body", 1);
    refuse(POST "Content-Length : 5\r\n\r\n", 400, "whitespace between a header name and ':' is not accepted", 1);
    refuse(POST "X-A: 1\r\n 2\r\n\r\n", 400,
           "obsolete line folding (a header line starting with whitespace) is not accepted", 1);
    refuse(POST "X-A: 1\rX-B: 2\r\n\r\n", 400, "a CR not followed by LF", 1);
    refuse(POST "no-colon-here\r\n\r\n", 400, "a header line without ':'", 1);
    refuse(POST ": x\r\n\r\n", 400, "a header line without a name", 1);
    const char *chunk = "a chunk size must be hexadecimal digits (chunk extensions are not supported)";
    refuse(POST "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, chunk, 1);
    refuse(POST "Transfer-Encoding: chunked\r\n\r\n0x2\r\n", 400, chunk, 1);
    refuse(POST "Transfer-Encoding: chunked\r\n\r\n2;ext=1\r\n", 400, chunk, 1);
    refuse(POST "Transfer-Encoding: chunked\r\n\r\n 2\r\n", 400, chunk, 1);
    refuse(POST "Transfer-Encoding: chunked\r\n\r\n\r\n", 400, "a chunk size is missing", 1);
    refuse(POST "Transfer-Encoding: chunked\r\n\r\n2\r\n{}0\r\n\r\n", 400, "chunk data must be followed by CRLF", 1);
    refuse(POST "Transfer-Encoding: chunked\r\n\r\n0\r\nbad-trailer\r\n\r\n", 400,
           "a chunked trailer line without ':'", 1);
    /* the verdict names the request it is about, however many came before */
    refuse("GET / HTTP/1.1\r\n\r\n" POST "Content-Length: 1\r\n\r\nx" POST "Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
           400, "two Content-Length headers with different values", 3);
}

static void after_a_verdict_bytes_are_ignored(void **state)
{
    struct http_framing f;
    http_framing_init(&f);
    const char *bad = POST "Transfer-Encoding: gzip\r\n\r\n";
    assert_false(http_framing_feed(&f, bad, strlen(bad)));
    assert_false(http_framing_feed(&f, "GET / HTTP/1.1\r\n\r\n", 18));
    assert_int_equal(f.status, 501);
    assert_int_equal(f.request, 1);
}

static void huge_sizes_saturate(void **state)
{
    /* evhttp answers these 413; framing has nothing to say about them */
    struct http_framing f = scan(POST "Content-Length: 99999999999999999999999\r\n\r\nabc");
    assert_int_equal(f.status, 0);
    f = scan(POST "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffffff\r\nabc");
    assert_int_equal(f.status, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_framed),
        cmocka_unit_test(refused),
        cmocka_unit_test(after_a_verdict_bytes_are_ignored),
        cmocka_unit_test(huge_sizes_saturate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
