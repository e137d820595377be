/* handlers_console: see handlers_console.h.
 *
 * Every file goes out with its content type, `Cache-Control: no-cache` and
 * a strong ETag (the browser revalidates each time and gets 304 while the
 * relay's build is the same: the names carry no version, so a new build's
 * files are never mixed with old cached ones), and with the headers that
 * keep the page to itself: a Content-Security-Policy that allows only the
 * relay's own scripts, styles and API (no inline script or style, no eval,
 * no framing, Trusted Types required so no string can become markup),
 * nosniff, no Referer (a page's URL never leaves with a request). */
#include "handlers_console.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <string.h>

#include "console_assets.h"

#define CSP                                                                                                            \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "                  \
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "                               \
    "require-trusted-types-for 'script'; trusted-types 'none'"

static const struct console_asset *find(const char *name)
{
    for (size_t i = 0; name && i < console_assets_count; i++)
        if (strcmp(console_assets[i].name, name) == 0)
            return &console_assets[i];
    return NULL;
}

/* Does If-None-Match (a list of entity tags, or "*") name etag? Weak
 * comparison, as RFC 9110 asks of If-None-Match: W/ is ignored. */
static bool etag_matches(const char *header, const char *etag)
{
    size_t len = strlen(etag);
    for (const char *p = header; p && *p;) {
        p += strspn(p, " \t,");
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, len) == 0 && (p[len] == '\0' || strchr(" \t,", p[len])))
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

static void serve(struct http_ctx *ctx, const struct console_asset *a)
{
    if (!a) {
        http_reply_error(ctx, 404, "not_found", "the console has no such file");
        return;
    }
    struct evkeyvalq *out = evhttp_request_get_output_headers(ctx->req);
    evhttp_add_header(out, "ETag", a->etag);
    evhttp_add_header(out, "Cache-Control", "no-cache");
    evhttp_add_header(out, "Content-Security-Policy", CSP);
    evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(out, "X-Frame-Options", "DENY");
    evhttp_add_header(out, "Referrer-Policy", "no-referrer");
    evhttp_add_header(out, "Cross-Origin-Opener-Policy", "same-origin");
    evhttp_add_header(out, "Cross-Origin-Resource-Policy", "same-origin");
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "If-None-Match");
    if (etag_matches(inm, a->etag)) {
        http_reply_json(ctx, 304, NULL);
        return;
    }
    evhttp_add_header(out, "Content-Type", a->content_type);
    evbuffer_add_reference(evhttp_request_get_output_buffer(ctx->req), a->data, a->len, NULL, NULL);
    http_reply_json(ctx, 200, NULL);
}

void handle_console_redirect(struct http_ctx *ctx)
{
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Location", "/console/");
    http_reply_json(ctx, 301, NULL);
}

void handle_console_index(struct http_ctx *ctx)
{
    serve(ctx, find("index.html"));
}

void handle_console_asset(struct http_ctx *ctx)
{
    serve(ctx, find(route_param(&ctx->params, "asset")));
}
