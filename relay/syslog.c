/* syslog: entry construction, secret scrubbing, and the insert of an entry
 * with its spooled bodies. See syslog.h. */
#include "syslog.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "jsonutil.h"
#include "store_sqlite_int.h"
#include "timeutil.h"
#include "xmalloc.h"

bool syslog_sensitive(const char *name)
{
    static const char *words[] = {"key", "token", "secret", "signature", "hmac", "password", "cookie", "authorization"};
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

char *syslog_redact_url(const char *url)
{
    const char *q = strchr(url, '?');
    if (!q)
        return xstrdup(url);
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

static int spool(struct store_txn *txn, const char *key, const char *body, size_t len)
{
    static const char sql[] = "INSERT OR REPLACE INTO body_spool (key, body) VALUES (?1, ?2)";
    sqlite3_stmt *s = sq_stmt(txn->db, &txn->cache, sql);
    if (!s)
        return STORE_EIO;
    sq_text(s, 1, key);
    sqlite3_bind_blob64(s, 2, body, len, SQLITE_TRANSIENT);
    return sq_done(s);
}

static const char *text_or_null(const json_t *e, const char *k)
{
    return json_string_value(json_object_get(e, k));
}

int syslog_add(struct store_txn *txn, json_t *entry, const char *request_body, size_t request_len,
               const char *response_body, size_t response_len)
{
    if (!json_object_get(entry, "identifier")) {
        unsigned char raw[12];
        char id[4 + 24 + 1] = "slg_";
        crypto_random(raw, sizeof raw);
        crypto_hex(raw, sizeof raw, id + 4);
        json_object_set_new(entry, "identifier", json_string(id));
    }
    char now[TIME_ISO_LEN];
    time_format_iso(time_now_ms(), now);
    if (!json_object_get(entry, "request_time"))
        json_object_set_new(entry, "request_time", json_string(now));
    if (!json_object_get(entry, "response_time"))
        json_object_set_new(entry, "response_time", json_string(now));
    const char *when = text_or_null(entry, "request_time");
    const char *id = text_or_null(entry, "identifier");
    const char *tenant = text_or_null(entry, "tenant");
    /* TENANT/YYYY/MM/DD/ID-part, dated by the request (ISO "YYYY-MM-DD…"). */
    char *keys[2] = {NULL, NULL};
    const char *bodies[2] = {request_body, response_body};
    size_t lens[2] = {request_len, response_len};
    static const char *parts[2] = {"request", "response"};
    int rc = STORE_OK;
    for (int i = 0; i < 2 && rc == STORE_OK; i++) {
        if (!bodies[i] || !lens[i])
            continue;
        keys[i] = xasprintf("%s/%.4s/%.2s/%.2s/%s-%s", tenant, when, when + 5, when + 8, id, parts[i]);
        rc = spool(txn, keys[i], bodies[i], lens[i]);
    }
    static const char sql[] =
        "INSERT INTO system_logs (identifier, tenant, order_id, correlation_id, event_type, request_type, source_type, "
        "source_id, request_method, request_url, request_headers, response_code, response_headers, request_time, "
        "response_time, duration, request_body_key, response_body_key, bodies) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)";
    sqlite3_stmt *s = rc == STORE_OK ? sq_stmt(txn->db, &txn->cache, sql) : NULL;
    if (s) {
        static const char *cols[] = {"identifier",   "tenant",         "order_id",   "correlation_id", "event_type",
                                     "request_type", "source_type",    "source_id",  "request_method", "request_url"};
        for (int i = 0; i < 10; i++)
            sq_text(s, i + 1, text_or_null(entry, cols[i]));
        json_t *rq = json_object_get(entry, "request_headers"), *rs = json_object_get(entry, "response_headers");
        char *rh = rq ? ju_dump(rq) : xstrdup("{}");
        char *sh = rs ? ju_dump(rs) : xstrdup("{}");
        json_t *dur = json_object_get(entry, "duration");
        char *d = dur ? ju_dump(dur) : NULL;
        sq_text(s, 11, rh);
        json_t *code = json_object_get(entry, "response_code");
        if (json_is_integer(code))
            sqlite3_bind_int64(s, 12, json_integer_value(code));
        else
            sqlite3_bind_null(s, 12);
        sq_text(s, 13, sh);
        sq_text(s, 14, text_or_null(entry, "request_time"));
        sq_text(s, 15, text_or_null(entry, "response_time"));
        sq_text(s, 16, d);
        sq_text(s, 17, keys[0]);
        sq_text(s, 18, keys[1]);
        sq_text(s, 19, keys[0] || keys[1] ? "spooled" : "none");
        rc = sq_done(s);
        free(rh);
        free(sh);
        free(d);
    } else if (rc == STORE_OK)
        rc = STORE_EIO;
    free(keys[0]);
    free(keys[1]);
    return rc;
}
