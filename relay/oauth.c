/* oauth: the token endpoint. See oauth.h. */
#include "oauth.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include "auth.h"
#include "crypto.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

#define CRED_MAX 256

static void oauth_reply(struct http_ctx *ctx, int status, json_t *body)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(ctx->req);
    evhttp_add_header(out, "Cache-Control", "no-store");
    evhttp_add_header(out, "Pragma", "no-cache");
    http_reply_json(ctx, status, body);
}

static void oauth_error(struct http_ctx *ctx, int status, const char *error, const char *description)
{
    oauth_reply(ctx, status, json_pack("{s:s,s:s}", "error", error, "error_description", description));
}

static void copy(char out[CRED_MAX], const char *v)
{
    if (v && strlen(v) < CRED_MAX)
        strcpy(out, v);
}

/* The credentials from HTTP Basic, a JSON body, or a form body. */
static void credentials(struct http_ctx *ctx, char id[CRED_MAX], char secret[CRED_MAX])
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Authorization");
    if (auth && strncasecmp(auth, "Basic ", 6) == 0) {
        unsigned char raw[2 * CRED_MAX];
        long n = crypto_base64_decode(auth + 6, raw, sizeof raw - 1);
        if (n > 0) {
            raw[n] = '\0';
            char *colon = strchr((char *)raw, ':');
            if (colon) {
                *colon = '\0';
                copy(id, (char *)raw);
                copy(secret, colon + 1);
            }
        }
        return;
    }
    size_t skip = strspn(ctx->body, " \t\r\n");
    if (skip < ctx->body_len && ctx->body[skip] == '{') {
        json_t *b = json_loadb(ctx->body, ctx->body_len, 0, NULL);
        copy(id, json_string_value(json_object_get(b, "client_id")));
        copy(secret, json_string_value(json_object_get(b, "client_secret")));
        json_decref(b);
        return;
    }
    char *form = xstrndup(ctx->body, ctx->body_len);
    struct evkeyvalq fields;
    TAILQ_INIT(&fields);
    if (evhttp_parse_query_str(form, &fields) == 0) {
        copy(id, evhttp_find_header(&fields, "client_id"));
        copy(secret, evhttp_find_header(&fields, "client_secret"));
    }
    evhttp_clear_headers(&fields);
    free(form);
}

void handle_oauth_token(struct http_ctx *ctx)
{
    char id[CRED_MAX] = "", secret[CRED_MAX] = "";
    credentials(ctx, id, secret);
    if (!id[0] || !secret[0]) {
        oauth_error(ctx, 400, "bad_request", "client_id and client_secret are required");
        return;
    }
    const struct config_tenant *t = auth_client(ctx->cfg, id, secret);
    const char *named = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "tenant-id");
    if (!t || (named && strcmp(named, t->id) != 0)) {
        log_warn("oauth: token refused for client \"%s\"", config_valid_id(id) ? id : "(malformed)");
        oauth_error(ctx, 403, "access_denied", "Unauthorized");
        return;
    }
    char token[TOKEN_MAX], scope[128];
    int64_t now = time_now_ms() / 1000;
    auth_issue_token(t, id, secret, now + ctx->cfg->token_ttl, token);
    snprintf(scope, sizeof scope, "tenant:%s read:orders create:orders update:orders", t->id);
    oauth_reply(ctx, 200, json_pack("{s:s,s:s,s:I,s:s}", "access_token", token, "token_type", "Bearer",
                                    "expires_in", (json_int_t)ctx->cfg->token_ttl, "scope", scope));
}
