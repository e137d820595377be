/* http_framing: request framing read byte by byte. See http_framing.h.
 *
 * A state machine over lines (request line, header lines, chunk-size lines,
 * the CRLF after chunk data, trailer lines) and counted runs of bytes (a
 * Content-Length body, chunk data), which it skips without looking at them.
 * Lines end at LF or CRLF, as evhttp reads them. Of each header it keeps
 * only what framing needs: whether it is Content-Length or Transfer-Encoding,
 * and its value. */
#include "http_framing.h"

#include <string.h>
#include <strings.h>

enum {
    S_LINE1,      /* the request line */
    S_HDR_START,  /* the start of a header (or trailer) line */
    S_HDR_NAME,
    S_HDR_VALUE,
    S_BODY,       /* Content-Length bytes */
    S_CHUNK_SIZE,
    S_CHUNK_DATA,
    S_CHUNK_END,  /* the CRLF after chunk data */
    S_DEAD,       /* a verdict was reached */
};

#define SATURATED UINT64_MAX

void http_framing_init(struct http_framing *f)
{
    memset(f, 0, sizeof *f);
    f->request = 1;
    f->state = S_LINE1;
}

static bool fail(struct http_framing *f, int status, const char *message)
{
    f->status = status;
    f->code = status == 501 ? "not_implemented" : "bad_request";
    f->message = message;
    f->state = S_DEAD;
    return false;
}

static void next_request(struct http_framing *f)
{
    unsigned long n = f->request + 1;
    http_framing_init(f);
    f->request = n;
}

static uint64_t grow(uint64_t n, unsigned base, unsigned digit)
{
    return n > (SATURATED - digit) / base ? SATURATED : n * base + digit;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void header_done(struct http_framing *f)
{
    if (f->trailer || f->name_len >= sizeof f->name)
        return;
    f->name[f->name_len] = '\0';
    if (strcmp(f->name, "content-length") == 0) {
        if (!f->value_digits || f->value_len == 0)
            f->length_bad = true;
        else if (f->n_length == 0)
            f->length = f->number;
        else if (f->number != f->length)
            f->length_conflict = true;
        f->n_length++;
    } else if (strcmp(f->name, "transfer-encoding") == 0) {
        f->n_encoding++;
        f->chunked = f->value_len == 7 && strncasecmp(f->value, "chunked", 7) == 0;
    }
}

static bool head_done(struct http_framing *f)
{
    if (f->n_encoding > 1)
        return fail(f, 400, "more than one Transfer-Encoding header");
    if (f->n_encoding && f->n_length)
        return fail(f, 400, "Content-Length and Transfer-Encoding in one request");
    if (f->n_encoding && !f->chunked)
        return fail(f, 501, "the only Transfer-Encoding this relay reads is chunked");
    if (f->length_bad)
        return fail(f, 400, "Content-Length must be a number of bytes");
    if (f->length_conflict)
        return fail(f, 400, "two Content-Length headers with different values");
    if (f->head_method && (f->n_encoding || f->length))
        return fail(f, 400, "a HEAD request cannot have a body");
    if (f->n_encoding) {
        f->state = S_CHUNK_SIZE;
        f->number = 0;
    } else if (f->length) {
        f->state = S_BODY;
        f->left = f->length;
    } else {
        next_request(f);
    }
    return true;
}

static void put(char *buf, size_t size, size_t *len, char c)
{
    if (*len < size)
        buf[*len] = c;
    (*len)++;
}

/* One byte of a line (CRs already taken care of). */
static bool step(struct http_framing *f, char c)
{
    switch (f->state) {
    case S_LINE1:
        if (c == '\n') {
            if (f->line_len) { /* evhttp refuses an empty request line; nothing to follow here */
                f->head_method = f->method_len == 4 && memcmp(f->method, "HEAD", 4) == 0;
                f->state = S_HDR_START;
            }
        } else if (f->line_len++ == f->method_len && c != ' ') {
            put(f->method, sizeof f->method, &f->method_len, c);
        }
        return true;
    case S_HDR_START:
        if (c == '\n') {
            if (!f->trailer)
                return head_done(f);
            next_request(f);
            return true;
        }
        if (c == ' ' || c == '\t')
            return fail(f, 400, "obsolete line folding (a header line starting with whitespace) is not accepted");
        if (c == ':')
            return fail(f, 400, "a header line without a name");
        f->name_len = f->value_len = f->value_ws = 0;
        f->value_digits = true;
        f->number = 0;
        f->state = S_HDR_NAME;
        /* fall through */
    case S_HDR_NAME:
        if (c == ':')
            f->state = S_HDR_VALUE;
        else if (c == ' ' || c == '\t')
            return fail(f, 400, "whitespace between a header name and ':' is not accepted");
        else if (c == '\n')
            return fail(f, 400, f->trailer ? "a chunked trailer line without ':'" : "a header line without ':'");
        else
            put(f->name, sizeof f->name, &f->name_len, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
        return true;
    case S_HDR_VALUE:
        if (c == '\n') {
            header_done(f);
            f->state = S_HDR_START;
        } else if (c == ' ' || c == '\t') {
            if (f->value_len) /* leading whitespace is dropped, trailing too (at the end of the line) */
                f->value_ws++;
        } else {
            for (; f->value_ws; f->value_ws--) {
                put(f->value, sizeof f->value, &f->value_len, ' ');
                f->value_digits = false;
            }
            put(f->value, sizeof f->value, &f->value_len, c);
            if (c >= '0' && c <= '9')
                f->number = grow(f->number, 10, (unsigned)(c - '0'));
            else
                f->value_digits = false;
        }
        return true;
    case S_CHUNK_SIZE:
        if (c == '\n') {
            if (!f->chunk_digits)
                return fail(f, 400, "a chunk size is missing");
            f->chunk_digits = 0;
            if (f->number == 0) {
                f->trailer = true;
                f->state = S_HDR_START;
            } else {
                f->left = f->number;
                f->state = S_CHUNK_DATA;
            }
            return true;
        }
        if (hex_value(c) < 0)
            return fail(f, 400, "a chunk size must be hexadecimal digits (chunk extensions are not supported)");
        f->chunk_digits++;
        f->number = grow(f->number, 16, (unsigned)hex_value(c));
        return true;
    case S_CHUNK_END:
        if (c != '\n')
            return fail(f, 400, "chunk data must be followed by CRLF");
        f->number = 0;
        f->state = S_CHUNK_SIZE;
        return true;
    default:
        return false;
    }
}

bool http_framing_feed(struct http_framing *f, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && f->state != S_DEAD) {
        if (f->state == S_BODY || f->state == S_CHUNK_DATA) {
            size_t k = (uint64_t)(n - i) < f->left ? n - i : (size_t)f->left;
            i += k;
            f->left -= k;
            if (f->left == 0) {
                if (f->state == S_BODY)
                    next_request(f);
                else
                    f->state = S_CHUNK_END;
            }
            continue;
        }
        char c = p[i++];
        bool strict = f->state != S_LINE1; /* the request line is evhttp's to judge */
        if (c == '\r') {
            if (f->cr && strict)
                return fail(f, 400, "a CR not followed by LF");
            f->cr = true;
            continue;
        }
        if (f->cr) {
            f->cr = false;
            if (c != '\n' && strict)
                return fail(f, 400, "a CR not followed by LF");
        }
        if (!step(f, c))
            return false;
    }
    return f->state != S_DEAD;
}
