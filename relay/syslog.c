/* syslog: entry construction, secret scrubbing, and the insert of an entry
 * with its spooled bodies. See syslog.h. */
#include "syslog.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "jsonutil.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

bool syslog_sensitive(const char *name)
{
    static const char *words[] = {"key",    "token",  "secret", "signature", "hmac",
                                  "pass",   "cookie", "auth",   "credential"};
    char lower[128];
    size_t n = 0;
    for (; name[n] && n < sizeof lower - 1; n++)
        lower[n] = (char)tolower((unsigned char)name[n]);
    lower[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(lower, words[i]))
            return true;
    return false;
}

json_t *syslog_redact_headers(const json_t *headers)
{
    json_t *out = json_object();
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)headers, name, v)
    {
        json_object_set_new(out, name, syslog_sensitive(name) ? json_string(SYSLOG_REDACTED) : json_incref(v));
    }
    return out;
}

/* url without the userinfo of its authority ("https://user:pass@host/…" →
 * "https://host/…"); a new string. */
static char *strip_userinfo(const char *url)
{
    const char *scheme_end = strstr(url, "://");
    if (!scheme_end)
        return xstrdup(url);
    const char *auth = scheme_end + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + auth_len; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return xstrdup(url);
    return xasprintf("%.*s%s", (int)(auth - url), url, at + 1);
}

char *syslog_redact_url(const char *raw)
{
    char *url = strip_userinfo(raw);
    const char *q = strchr(url, '?');
    if (!q)
        return url;
    size_t cap = strlen(url) * 2 + 32, used = (size_t)(q - url) + 1;
    char *out = xmalloc(cap);
    memcpy(out, url, used);
    const char *p = q + 1;
    while (*p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(nlen < sizeof name ? nlen : sizeof name - 1), p);
        if (eq && syslog_sensitive(name))
            used += (size_t)snprintf(out + used, cap - used, "%s=%s", name, SYSLOG_REDACTED);
        else {
            memcpy(out + used, p, len);
            used += len;
        }
        p += len;
        if (*p == '&') {
            out[used++] = '&';
            p++;
        }
    }
    out[used] = '\0';
    free(url);
    return out;
}

void syslog_new_correlation_id(char out[32])
{
    unsigned char raw[12];
    crypto_random(raw, sizeof raw);
    memcpy(out, "cor_", 4);
    crypto_hex(raw, sizeof raw, out + 4);
}

json_t *syslog_entry(const char *tenant, const char *order_id, const char *correlation_id, const char *event_type,
                     const char *request_type, const char *source_type, const char *source_id)
{
    char cor[32];
    if (!correlation_id) {
        syslog_new_correlation_id(cor);
        correlation_id = cor;
    }
    return json_pack("{s:s,s:s?,s:s,s:s,s:s?,s:s?,s:s?}", "tenant", tenant, "order_id", order_id, "correlation_id",
                     correlation_id, "event_type", event_type, "request_type", request_type, "source_type",
                     source_type, "source_id", source_id);
}

/* slg_ + the time (ms, 12 hex digits) + 12 random hex digits: unique, and
 * in time order, so the identifier index grows at its end (a random one
 * would dirty a page of it anywhere, for every entry). */
void syslog_new_identifier(char out[32])
{
    unsigned char raw[6];
    char rnd[13];
    crypto_random(raw, sizeof raw);
    crypto_hex(raw, sizeof raw, rnd);
    snprintf(out, 32, "slg_%012llx%s", (unsigned long long)time_now_ms() & 0xffffffffffffULL, rnd);
}

/* The members every entry has: an identifier and its times. */
static void complete(json_t *entry)
{
    if (!json_object_get(entry, "identifier")) {
        char id[32];
        syslog_new_identifier(id);
        json_object_set_new(entry, "identifier", json_string(id));
    }
    char now[TIME_ISO_LEN];
    time_format_iso(time_now_ms(), now);
    if (!json_object_get(entry, "request_time"))
        json_object_set_new(entry, "request_time", json_string(now));
    if (!json_object_get(entry, "response_time"))
        json_object_set_new(entry, "response_time", json_string(now));
}

int syslog_add_refs(struct store_txn *txn, json_t *entry, const char *request_ref, const char *response_ref)
{
    complete(entry);
    struct store_body refs[2] = {{request_ref, NULL, 0}, {response_ref, NULL, 0}};
    return store_syslog_insert(txn, entry, refs);
}

int syslog_add(struct store_txn *txn, json_t *entry, const char *request_body, size_t request_len,
               const char *response_body, size_t response_len)
{
    complete(entry);
    const char *when = json_string_value(json_object_get(entry, "request_time"));
    const char *id = json_string_value(json_object_get(entry, "identifier"));
    const char *tenant = json_string_value(json_object_get(entry, "tenant"));
    /* TENANT/YYYY/MM/DD/ID-part, dated by the request (ISO "YYYY-MM-DD…"). */
    struct store_body bodies[2] = {{NULL, request_body, request_len}, {NULL, response_body, response_len}};
    static const char *parts[2] = {"request", "response"};
    for (int i = 0; i < 2; i++)
        if (bodies[i].data && bodies[i].len && strlen(when) >= 10)
            bodies[i].key = xasprintf("%s/%.4s/%.2s/%.2s/%s-%s", tenant, when, when + 5, when + 8, id, parts[i]);
    int rc = store_syslog_insert(txn, entry, bodies);
    free((char *)bodies[0].key);
    free((char *)bodies[1].key);
    return rc;
}
