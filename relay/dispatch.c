/* dispatch: the delivery loop. See dispatch.h for the rules.
 *
 * Owns: its event_base and thread, the curl multi (curlev.h), the transfers
 * in flight, per-endpoint state (concurrency in use, rate bucket), and the
 * results waiting to be recorded. It claims due messages through its own
 * store reader (store_claim_due: with PostgreSQL a lease in the database,
 * so no other node sends them meanwhile) and records results through
 * store jobs, which settle the claims.
 *
 * Everything is driven by events, never by a poll:
 *   - a commit that queued messages or changed endpoints nudges the loop
 *     (dispatch_on_commit, from the writer thread): every endpoint with room
 *     is filled; with PostgreSQL, so does another node's commit (its NOTIFY
 *     reaches the listener connection, whose socket is on this loop);
 *   - a finished transfer frees its endpoint's concurrency slot, which is
 *     filled again at the end of that loop iteration (once per endpoint,
 *     and while others of the endpoint are busy, once a quarter of its
 *     slots are free, so one claim serves several);
 *     it joins the results, and one store job records all the results
 *     waiting (attempts, endpoint health, system-log entries); when it
 *     commits, each result's endpoint is filled again (FIFO successors of
 *     the recorded messages become due then);
 *   - one timer, armed at the earliest future next_attempt_at, wakes the
 *     loop for scheduled retries, and a rate-limited endpoint arms its own
 *     wake-up for its next token.
 * A message stays in the transfer set from the moment it is sent until its
 * result is committed, so it is never sent twice at once. */
#include "dispatch.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "curlev.h"
#include "delivery_stats.h"
#include "log.h"
#include "proxy_vet.h"
#include "metrics.h"
#include "ssrf.h"
#include "stale_reads.h"
#include "store.h"
#include "syslog.h"
#include "timeutil.h"
#include "webhook_sign.h"
#include "xmalloc.h"

#define RESPONSE_MAX 16384
#define SET_PER_IN_FLIGHT 8 /* transfers held (sent or waiting for their record) per max_in_flight */

struct endpoint {
    char id[64];
    int max_concurrency;
    long rate_limit;
    int sending;     /* HTTP exchanges in flight (max_concurrency counts these) */
    int unrecorded;  /* transfers of this endpoint not yet recorded (sending included) */
    bool dirty;      /* a slot freed: fill it at the end of this loop iteration */
    double tokens;   /* rate bucket */
    int64_t last_ms;
    struct event *wake; /* next token, when the bucket ran dry */
    bool seen;          /* still in the store's list (refresh) */
};

struct transfer {
    struct dispatcher *d;
    CURL *easy;
    struct curl_slist *headers;
    json_t *msg; /* the due row: id, endpoint_id, payload, attempts, url, secrets, … */
    char *ep_id;
    const char *body;
    size_t body_len;
    char *response; /* grown as the body comes (RESPONSE_MAX at most): most are a few bytes */
    size_t response_len, response_cap;
    bool truncated, blocked;
    bool via_proxy; /* through [webhooks] proxy: the destination was vetted before (proxy_vet.h) */
    struct curl_slist *connect_to;
    long retry_after; /* seconds, -1 when absent */
    json_t *sent_headers, *response_headers; /* for the OUTBOUND system-log entry */
    int64_t started_ms, finished_ms;
    char errbuf[CURL_ERROR_SIZE];
    /* the outcome, once finished */
    json_t *attempt;
    const char *status; /* delivered, pending, dead */
    int64_t next_at;
    int health;    /* 1 success, 0 failure, -1 gone */
    bool disabled; /* recording it disabled the endpoint */
    struct transfer *next_result;
};

struct record;

struct dispatcher {
    const struct config *cfg;
    struct store *store;
    struct store_reader *reader;
    struct event_base *base;
    pthread_t thread;
    struct curlev *curl;
    struct proxy_vet *vet; /* with [webhooks] proxy */
    struct event *nudge, *refill, *retry_timer, *stop_check;
    int64_t retry_at; /* when retry_timer is set to fire (ms), 0: not set */
    struct store_listener *listener; /* other nodes' commits (PostgreSQL); NULL with SQLite */
    struct event *listen_ev, *listen_retry;
    int listen_backoff_ms;
    struct event *record_retry; /* a record job failed: try it again then */
    int record_backoff_ms;
    struct transfer **set; /* sent and not yet recorded (set_max of them at most) */
    int n_set, set_max;
    int n_sending; /* HTTP exchanges in flight, all endpoints (max_in_flight counts these) */
    struct transfer *results, *results_tail; /* finished, waiting for a record job */
    bool recording;
    struct record *record; /* the record job in the store, if any */
    int rr;                /* where the next fill_all starts, for fairness */
    struct endpoint *eps;
    int n_eps;
    bool eps_stale, stopping;
    bool starved; /* a fill stopped at a dispatcher-wide bound: fill every endpoint when room frees */
};

static const char *s(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ---- endpoints ---- */

static struct endpoint *endpoint_find(struct dispatcher *d, const char *id)
{
    for (int i = 0; i < d->n_eps; i++)
        if (strcmp(d->eps[i].id, id) == 0)
            return &d->eps[i];
    return NULL;
}

static void fill_endpoint(struct dispatcher *d, struct endpoint *ep, int64_t now);

static void on_token(evutil_socket_t fd, short kind, void *arg);

/* Reload the list of enabled endpoints, keeping what is known of each. An
 * endpoint that left the list keeps its entry until its transfers are
 * recorded. */
static void refresh_endpoints(struct dispatcher *d)
{
    json_t *rows = store_read_sending_endpoints(d->reader);
    if (!rows)
        return; /* try again at the next nudge */
    d->eps_stale = false;
    for (int i = 0; i < d->n_eps; i++)
        d->eps[i].seen = false;
    size_t k;
    json_t *r;
    json_array_foreach(rows, k, r)
    {
        struct endpoint *ep = endpoint_find(d, s(r, "id"));
        if (!ep) {
            d->eps = xrealloc(d->eps, (size_t)(d->n_eps + 1) * sizeof *d->eps);
            ep = &d->eps[d->n_eps++];
            memset(ep, 0, sizeof *ep);
            snprintf(ep->id, sizeof ep->id, "%s", s(r, "id"));
            ep->last_ms = time_now_ms();
            ep->tokens = -1; /* full on first use */
        }
        ep->seen = true;
        ep->max_concurrency = (int)json_integer_value(json_object_get(r, "max_concurrency"));
        ep->rate_limit = (long)json_integer_value(json_object_get(r, "rate_limit"));
    }
    json_decref(rows);
    /* Forget idle endpoints that are gone (the array is small: compact it). */
    int w = 0;
    for (int i = 0; i < d->n_eps; i++) {
        if (!d->eps[i].seen && d->eps[i].unrecorded == 0) {
            if (d->eps[i].wake)
                event_free(d->eps[i].wake);
            continue;
        }
        d->eps[w++] = d->eps[i];
    }
    d->n_eps = w;
}

/* Wake the endpoint up again in wait_ms (its next token). */
static void arm_wake(struct dispatcher *d, struct endpoint *ep, double wait_ms)
{
    if (!ep->wake)
        ep->wake = event_new(d->base, -1, 0, on_token, d);
    struct timeval tv = {(long)(wait_ms / 1000), ((long)wait_ms % 1000) * 1000 + 1000};
    event_add(ep->wake, &tv);
}

/* How many tokens the endpoint's bucket holds (rate_limit per second,
 * bursts of the same size; 0 means unlimited: INT_MAX). When it is empty,
 * arm a wake-up for the next token. This node's bucket: with PostgreSQL the
 * claim also takes from the fleet's (store.h), which never holds more. */
static int tokens_available(struct dispatcher *d, struct endpoint *ep, int64_t now)
{
    if (ep->rate_limit <= 0)
        return INT_MAX;
    double rate = (double)ep->rate_limit;
    if (ep->tokens < 0)
        ep->tokens = rate;
    ep->tokens = fmin(rate, ep->tokens + (double)(now - ep->last_ms) * rate / 1000.0);
    ep->last_ms = now;
    if (ep->tokens >= 1.0)
        return (int)ep->tokens;
    arm_wake(d, ep, (1.0 - ep->tokens) * 1000.0 / rate);
    return 0;
}

/* ---- one delivery ---- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n, room = RESPONSE_MAX - t->response_len;
    if (len > room) {
        t->truncated = true;
        len = room;
    }
    if (len == 0)
        return size * n;
    if (t->response_len + len > t->response_cap) {
        size_t cap = t->response_cap ? t->response_cap : 256;
        while (cap < t->response_len + len)
            cap *= 2;
        t->response_cap = cap < RESPONSE_MAX ? cap : RESPONSE_MAX;
        t->response = xrealloc(t->response, t->response_cap);
    }
    memcpy(t->response + t->response_len, data, len);
    t->response_len += len;
    return size * n; /* keep reading (and discarding) so the connection can be reused */
}

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;
    const char *colon = memchr(line, ':', len);
    if (colon && json_object_size(t->response_headers) < 64) {
        size_t vl = len - (size_t)(colon + 1 - line);
        char *name = xstrndup(line, (size_t)(colon - line)), *value = xstrndup(colon + 1, vl);
        char *v = value + strspn(value, " \t");
        v[strcspn(v, "\r\n")] = '\0';
        json_object_set_new(t->response_headers, name, json_string(v));
        free(name);
        free(value);
    }
    if (len > 12 && strncasecmp(line, "Retry-After:", 12) == 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*s", (int)(len - 12), line + 12);
        char *end;
        long v = strtol(buf, &end, 10);
        if (end != buf && v >= 0)
            t->retry_after = v;
    }
    return len;
}

/* The SSRF guard: libcurl has resolved the host; refuse the socket when the
 * address is not allowed. The socket opened here is the one it connects. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct transfer *t = arg;
    const struct config *cfg = t->d->cfg;
    /* Through the operator's proxy the socket goes to the proxy; the
     * destination was vetted before the transfer started. */
    if (!t->via_proxy && !ssrf_allowed(&addr->addr, cfg->allow, cfg->n_allow)) {
        t->blocked = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static void add_header(struct transfer *t, const char *name, const char *value)
{
    char *h = xasprintf("%s: %s", name, value ? value : "");
    t->headers = curl_slist_append(t->headers, h);
    free(h);
    if (value)
        json_object_set_new(t->sent_headers, name, json_string(syslog_sensitive(name) ? SYSLOG_REDACTED : value));
}

static void free_transfer(struct transfer *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    json_decref(t->sent_headers);
    json_decref(t->response_headers);
    json_decref(t->attempt);
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->connect_to);
    json_decref(t->msg);
    free(t->response);
    free(t->ep_id);
    free(t);
}

static void finish_transfer(struct dispatcher *d, struct transfer *t, CURLcode rc);

/* Through a proxy: the destination's addresses are vetted, then the
 * proxy's CONNECT is pinned to the vetted one. */
static void on_vetted(enum proxy_vet_result result, const char *address, void *arg)
{
    struct transfer *t = arg;
    if (result == PROXY_VET_CANCELLED)
        return; /* the dispatcher is going away and frees t */
    if (result == PROXY_VET_OK) {
        char *host = NULL, *port = NULL;
        CURLU *u = curl_url();
        if (curl_url_set(u, CURLUPART_URL, s(t->msg, "url"), 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
            char *pin = xasprintf("%s:%s:%s:%s", host, port, address, port);
            t->connect_to = curl_slist_append(NULL, pin);
            free(pin);
        }
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        t->via_proxy = true;
        curl_easy_setopt(t->easy, CURLOPT_PROXY, t->d->cfg->proxy);
        curl_easy_setopt(t->easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
        curl_easy_setopt(t->easy, CURLOPT_CONNECT_TO, t->connect_to);
        if (t->connect_to && curlev_add(t->d->curl, t->easy) == 0)
            return;
        finish_transfer(t->d, t, CURLE_URL_MALFORMAT);
        return;
    }
    t->blocked = result == PROXY_VET_BLOCKED;
    finish_transfer(t->d, t, result == PROXY_VET_BLOCKED ? CURLE_COULDNT_CONNECT : CURLE_COULDNT_RESOLVE_HOST);
}

static void sign_headers(struct transfer *t)
{
    const json_t *msg = t->msg;
    int64_t ts = t->started_ms / 1000;
    char sig[2][WEBHOOK_SIGNATURE_LEN];
    int nsig = 0;
    if (webhook_sign(s(msg, "secret"), s(msg, "id"), ts, t->body, t->body_len, sig[nsig]) == 0)
        nsig++;
    json_t *until = json_object_get(msg, "old_secret_until");
    if (s(msg, "old_secret") && json_integer_value(until) > t->started_ms &&
        webhook_sign(s(msg, "old_secret"), s(msg, "id"), ts, t->body, t->body_len, sig[nsig]) == 0)
        nsig++;
    char signature[2 * WEBHOOK_SIGNATURE_LEN + 1];
    snprintf(signature, sizeof signature, "%s%s%s", nsig ? sig[0] : "", nsig > 1 ? " " : "", nsig > 1 ? sig[1] : "");
    char tsbuf[32];
    snprintf(tsbuf, sizeof tsbuf, "%lld", (long long)ts);

    /* The endpoint's custom headers first, so ours win on a clash. */
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(msg, "headers"), name, v)
    {
        if (json_is_string(v))
            add_header(t, name, json_string_value(v));
    }
    add_header(t, "Content-Type", "application/json");
    add_header(t, "User-Agent", "shiprelay/" SHIPRELAY_VERSION);
    add_header(t, "webhook-id", s(msg, "id"));
    add_header(t, "webhook-timestamp", tsbuf);
    add_header(t, "webhook-signature", signature);
    add_header(t, "trigger", s(msg, "trigger"));
    add_header(t, "event-id", s(msg, "event_id"));
    if (s(msg, "correlation_id"))
        add_header(t, "x-correlation-id", s(msg, "correlation_id"));
    add_header(t, "Expect", NULL); /* no 100-continue round trip */
}

static bool start_transfer(struct dispatcher *d, struct endpoint *ep, json_t *msg)
{
    CURL *e = curl_easy_init();
    if (!e)
        return false;
    struct transfer *t = xcalloc(1, sizeof *t);
    t->d = d;
    t->easy = e;
    t->msg = json_incref(msg);
    t->ep_id = xstrdup(ep->id);
    t->retry_after = -1;
    t->started_ms = time_now_ms();
    t->sent_headers = json_object();
    t->response_headers = json_object();
    t->body = s(msg, "payload") ? s(msg, "payload") : "{}";
    t->body_len = strlen(t->body);
    sign_headers(t);
    curl_easy_setopt(e, CURLOPT_URL, s(msg, "url"));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never the environment's proxy: it would bypass the SSRF guard */
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, d->cfg->connect_timeout);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, d->cfg->request_timeout);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    if (!d->vet && curlev_add(d->curl, e) != 0) {
        free_transfer(t);
        return false;
    }
    d->set[d->n_set++] = t;
    d->n_sending++;
    ep->sending++;
    ep->unrecorded++;
    if (d->vet) { /* through a proxy: vet the destination first (may finish at once) */
        char *host = NULL;
        CURLU *u = curl_url();
        bool ok = curl_url_set(u, CURLUPART_URL, s(msg, "url"), 0) == CURLUE_OK &&
                  curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
        curl_url_cleanup(u);
        if (ok)
            proxy_vet_start(d->vet, host, on_vetted, t);
        else
            finish_transfer(d, t, CURLE_URL_MALFORMAT);
        curl_free(host);
    }
    return true;
}

/* ---- outcome ---- */

static const char *error_class(CURLcode rc, bool blocked)
{
    if (blocked)
        return "E_BLOCKED";
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return "E_DNS";
    case CURLE_COULDNT_CONNECT: return "E_CONNECT";
    case CURLE_OPERATION_TIMEDOUT: return "E_TIMEOUT";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR: return "E_TLS";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return "E_RESET";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return "E_URL";
    default: return "E_NETWORK";
    }
}

static double ms_of(CURL *e, CURLINFO what)
{
    curl_off_t us = 0;
    curl_easy_getinfo(e, what, &us);
    return us / 1000.0;
}

/* Delay before the next attempt, or -1 when the schedule is spent. */
static int64_t next_delay_ms(const struct config *cfg, int attempts_done, long status, long retry_after)
{
    if (attempts_done >= cfg->n_retry)
        return -1;
    double base = (double)cfg->retry_delays[attempts_done] * 1000.0;
    unsigned char r[2];
    crypto_random(r, sizeof r);
    double jitter = 0.8 + 0.4 * ((r[0] << 8 | r[1]) / 65535.0);
    double delay = base * jitter;
    if ((status == 429 || status == 503) && retry_after >= 0) {
        double ra = retry_after * 1000.0;
        delay = ra < base ? base : ra > 2 * base ? 2 * base : ra;
    }
    return (int64_t)delay;
}

/* The OUTBOUND entry of an attempt, and INTERNAL ones for what it caused.
 * The request body is the message's payload and the response body the
 * attempt's, both already in the store: the entry points at them ("db:"
 * keys) rather than spooling them again. */
static int log_attempt(struct store_txn *txn, struct transfer *t)
{
    const json_t *m = t->msg, *a = t->attempt;
    json_t *e = syslog_entry(s(m, "tenant"), s(m, "order_id"), s(m, "correlation_id"), "OUTBOUND", s(m, "event_type"),
                             "WEBHOOK", s(m, "endpoint_id"));
    char started[TIME_ISO_LEN], finished[TIME_ISO_LEN];
    time_format_iso(t->started_ms, started);
    time_format_iso(t->finished_ms, finished);
    char *url = syslog_redact_url(s(m, "url"));
    json_object_set_new(e, "request_method", json_string("POST"));
    json_object_set_new(e, "request_url", json_string(url));
    free(url);
    json_object_set(e, "request_headers", t->sent_headers);
    json_object_set_new(e, "response_code", json_integer(json_integer_value(json_object_get(a, "status_code"))));
    json_object_set(e, "response_headers", t->response_headers);
    json_object_set_new(e, "request_time", json_string(started));
    json_object_set_new(e, "response_time", json_string(finished));
    json_t *dur = json_object();
    static const char *keys[] = {"dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "total_ms", "error_class"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(a, keys[i]))
            json_object_set(dur, keys[i], json_object_get(a, keys[i]));
    json_object_set_new(e, "duration", dur);
    char *req_key = xasprintf("db:message:%s", s(m, "id"));
    char *resp_key = t->response_len ? xasprintf("db:attempt:%s:%lld", s(m, "id"),
                                                 (long long)json_integer_value(json_object_get(m, "attempts")) + 1)
                                     : NULL;
    int rc = syslog_add_refs(txn, e, req_key, resp_key);
    free(req_key);
    free(resp_key);
    json_decref(e);
    /* INTERNAL entries for what the attempt caused. */
    const char *internal[2] = {!strcmp(t->status, "dead") ? "WEBHOOK_DEAD_LETTERED" : NULL,
                               t->disabled ? "WEBHOOK_ENDPOINT_DISABLED" : NULL};
    for (int k = 0; k < 2 && rc == STORE_OK; k++) {
        if (!internal[k])
            continue;
        e = syslog_entry(s(m, "tenant"), s(m, "order_id"), s(m, "correlation_id"), "INTERNAL", internal[k], "RELAY",
                         s(m, "id"));
        char *note = xasprintf("{\"message_id\":\"%s\",\"endpoint_id\":\"%s\"}", s(m, "id"), s(m, "endpoint_id"));
        rc = syslog_add(txn, e, note, strlen(note), NULL, 0);
        free(note);
        json_decref(e);
    }
    return rc == STORE_SPOOL_FULL ? STORE_OK : rc; /* a full spool loses an INTERNAL note, never an attempt */
}

struct record {
    struct dispatcher *d;
    struct transfer *results;
};

/* One job for every result waiting: attempts, message states, endpoint
 * health (once per endpoint and outcome), and their system-log entries. */
static int record_job(struct store_txn *txn, void *arg)
{
    struct record *r = arg;
    const struct config *cfg = r->d->cfg;
    int64_t now = time_now_ms();
    int rc = STORE_OK;
    for (struct transfer *t = r->results; t && rc == STORE_OK; t = t->next_result) {
        t->disabled = false;
        rc = store_attempt_record(txn, t->attempt, t->status, t->next_at);
        bool repeat = false; /* an earlier result of this batch set the same health */
        for (struct transfer *o = r->results; o != t && !repeat; o = o->next_result)
            repeat = o->health == t->health && strcmp(o->ep_id, t->ep_id) == 0;
        if (rc == STORE_OK && !repeat) {
            int h = store_endpoint_health(txn, t->ep_id, t->health, now, cfg->disable_after * 1000);
            t->disabled = h == 1;
            rc = h == 1 ? STORE_OK : h;
        }
        if (rc == STORE_OK)
            rc = log_attempt(txn, t);
    }
    return rc;
}

static void flush_results(struct dispatcher *d);
static void arm_retry_timer(struct dispatcher *d, int64_t now);
static void fill_all(struct dispatcher *d);

static void record_done(int rc, void *arg)
{
    struct record *r = arg;
    struct dispatcher *d = r->d;
    d->recording = false;
    if (rc != STORE_OK) {
        /* The exchanges took place; only their record is missing (the store
         * failed, or the database is down for a moment). Keep them and
         * record them again shortly: meanwhile they stay in the set (and,
         * with PostgreSQL, claimed by this node), so they are not sent
         * again; a stop or a crash before then leaves them pending, to be
         * sent again. */
        log_error("dispatch: could not record delivery attempts; trying again");
        struct transfer *last = r->results;
        while (last->next_result)
            last = last->next_result;
        last->next_result = d->results;
        if (!d->results)
            d->results_tail = last;
        d->results = r->results;
        free(r);
        d->record = NULL;
        d->record_backoff_ms = d->record_backoff_ms ? (d->record_backoff_ms * 2 > 5000 ? 5000 : d->record_backoff_ms * 2)
                                                    : 100;
        struct timeval tv = {d->record_backoff_ms / 1000, (d->record_backoff_ms % 1000) * 1000};
        evtimer_add(d->record_retry, &tv);
        return;
    }
    d->record_backoff_ms = 0;
    int64_t now = time_now_ms();
    /* Only now may these messages be picked again: their outcome is on disk. */
    char touched[64][64];
    int n_touched = 0;
    for (struct transfer *t = r->results, *next; t; t = next) {
        next = t->next_result;
        for (int i = 0; i < d->n_set; i++)
            if (d->set[i] == t) {
                d->set[i] = d->set[--d->n_set];
                break;
            }
        struct endpoint *ep = endpoint_find(d, t->ep_id);
        if (ep) {
            ep->unrecorded--;
            bool known = false;
            for (int i = 0; i < n_touched && !known; i++)
                known = strcmp(touched[i], ep->id) == 0;
            if (!known && n_touched < 64)
                snprintf(touched[n_touched++], sizeof touched[0], "%s", ep->id);
        }
        if (t->disabled)
            d->eps_stale = true;
        free_transfer(t);
    }
    free(r);
    d->record = NULL;
    if (d->starved) { /* room freed for everyone, not only the endpoints just recorded */
        fill_all(d);
    } else {
        if (d->eps_stale)
            refresh_endpoints(d);
        for (int i = 0; i < n_touched; i++) {
            struct endpoint *ep = endpoint_find(d, touched[i]);
            if (ep)
                fill_endpoint(d, ep, now);
        }
    }
    flush_results(d);
    arm_retry_timer(d, now);
}

static void flush_results(struct dispatcher *d)
{
    if (d->recording || !d->results || evtimer_pending(d->record_retry, NULL))
        return;
    struct record *r = xcalloc(1, sizeof *r);
    r->d = d;
    r->results = d->results;
    d->results = d->results_tail = NULL;
    d->recording = true;
    d->record = r;
    store_submit(d->store, d->base, record_job, record_done, r);
}

static void on_transfer_done(CURL *easy, CURLcode rc, void *arg)
{
    struct transfer *t;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
    finish_transfer(arg, t, rc);
}

/* The outcome of a transfer (run, or refused before it ran), into the
 * results waiting to be recorded. */
static void finish_transfer(struct dispatcher *d, struct transfer *t, CURLcode rc)
{
    CURL *easy = t->easy;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    t->finished_ms = time_now_ms();
    json_t *a = t->attempt = json_object();
    json_object_set_new(a, "message_id", json_string(s(t->msg, "id")));
    json_object_set_new(a, "at", json_integer(t->started_ms));
    json_object_set_new(a, "status_code", json_integer(rc == CURLE_OK ? status : 0));
    if (rc != CURLE_OK) {
        json_object_set_new(a, "error_class", json_string(error_class(rc, t->blocked)));
        json_object_set_new(a, "error", json_string(t->blocked ? "the address is not allowed (SSRF guard)"
                                                    : t->errbuf[0]      ? t->errbuf
                                                                        : curl_easy_strerror(rc)));
    }
    json_object_set_new(a, "dns_ms", json_real(ms_of(easy, CURLINFO_NAMELOOKUP_TIME_T)));
    json_object_set_new(a, "connect_ms", json_real(ms_of(easy, CURLINFO_CONNECT_TIME_T)));
    json_object_set_new(a, "tls_ms", json_real(ms_of(easy, CURLINFO_APPCONNECT_TIME_T)));
    json_object_set_new(a, "first_byte_ms", json_real(ms_of(easy, CURLINFO_STARTTRANSFER_TIME_T)));
    json_object_set_new(a, "total_ms", json_real(ms_of(easy, CURLINFO_TOTAL_TIME_T)));
    json_object_set_new(a, "response_body", json_stringn_nocheck(t->response ? t->response : "", t->response_len));
    json_object_set_new(a, "response_truncated", json_boolean(t->truncated));
    bool ok = rc == CURLE_OK && status >= 200 && status < 300;
    int attempts_done = (int)json_integer_value(json_object_get(t->msg, "attempts")) + 1;
    if (ok) {
        t->status = "delivered";
        t->health = 1;
    } else {
        int64_t delay = next_delay_ms(d->cfg, attempts_done, rc == CURLE_OK ? status : 0, t->retry_after);
        t->status = delay < 0 ? "dead" : "pending";
        t->next_at = t->finished_ms + (delay < 0 ? 0 : delay);
        t->health = rc == CURLE_OK && status == 410 ? -1 : 0;
    }
    bool dead = !ok && !strcmp(t->status, "dead");
    double total_ms = ms_of(easy, CURLINFO_TOTAL_TIME_T);
    metrics_delivery(ok ? METRICS_DELIVERED : dead ? METRICS_DELIVERY_DEAD : METRICS_DELIVERY_FAILED,
                     (int64_t)(total_ms * 1e6));
    delivery_stats_add(t->ep_id, ok ? DELIVERY_OK : dead ? DELIVERY_DEAD : DELIVERY_FAILED, total_ms,
                       t->finished_ms);
    curl_easy_cleanup(easy);
    t->easy = NULL;
    /* The exchange is over: its concurrency slot is free now. The message
     * itself stays in the set until its result is committed. */
    struct endpoint *ep = endpoint_find(d, t->ep_id);
    d->n_sending--;
    if (ep) {
        ep->sending--;
        ep->dirty = true;
    }
    if (ep || d->starved)
        event_active(d->refill, EV_TIMEOUT, 0);
    if (d->results_tail)
        d->results_tail->next_result = t;
    else
        d->results = t;
    d->results_tail = t;
    flush_results(d);
}

/* ---- choosing what to send ---- */

static void fill_endpoint(struct dispatcher *d, struct endpoint *ep, int64_t now)
{
    if (d->stopping || !ep->seen)
        return;
    ep->dirty = false;
    int room = ep->max_concurrency - ep->sending;
    int global = d->cfg->max_in_flight - d->n_sending;
    if (d->set_max - d->n_set < global)
        global = d->set_max - d->n_set;
    if (room > global) {
        room = global;
        d->starved = true; /* this endpoint may get less than it could: come back when room frees */
    }
    int tokens = room > 0 ? tokens_available(d, ep, now) : 0;
    if (tokens < room)
        room = tokens;
    if (room <= 0)
        return;
    /* The endpoint's messages this node holds (sent, or not yet recorded):
     * still pending in the store, they are not to be claimed again. */
    const char **mine = xcalloc((size_t)d->n_set + 1, sizeof *mine);
    int n_mine = 0;
    for (int i = 0; i < d->n_set; i++)
        if (strcmp(d->set[i]->ep_id, ep->id) == 0)
            mine[n_mine++] = s(d->set[i]->msg, "id");
    int64_t wait_ms = -1;
    json_t *due = store_claim_due(d->reader, ep->id, now, room, mine, n_mine, &wait_ms);
    free(mine);
    size_t i;
    json_t *m;
    json_array_foreach(due, i, m)
    {
        if (start_transfer(d, ep, m) && ep->rate_limit > 0)
            ep->tokens -= 1.0;
    }
    json_decref(due);
    if (wait_ms >= 0) /* the fleet's bucket held some back */
        arm_wake(d, ep, (double)wait_ms);
}

static void fill_all(struct dispatcher *d)
{
    int64_t now = time_now_ms();
    if (d->eps_stale)
        refresh_endpoints(d);
    d->starved = false;
    for (int k = 0; k < d->n_eps; k++)
        fill_endpoint(d, &d->eps[(d->rr + k) % d->n_eps], now);
    d->rr = d->n_eps ? (d->rr + 1) % d->n_eps : 0;
    arm_retry_timer(d, now);
}

/* Wake up when the earliest scheduled retry falls due. A timer already
 * set for an earlier time is kept: what it was set for may have fallen due
 * meanwhile without being sent (another endpoint's record came first on a
 * busy loop), and the query, which looks after now only, no longer sees
 * it. */
static void arm_retry_timer(struct dispatcher *d, int64_t now)
{
    if (d->stopping)
        return;
    int64_t next = store_read_next_due(d->reader, now);
    bool set = d->retry_at && evtimer_pending(d->retry_timer, NULL);
    if (set && (next < 0 || d->retry_at <= next))
        return;
    if (next < 0) {
        evtimer_del(d->retry_timer);
        d->retry_at = 0;
        return;
    }
    int64_t wait = next - now;
    struct timeval tv = {(long)(wait / 1000), (long)(wait % 1000) * 1000};
    d->retry_at = next;
    evtimer_add(d->retry_timer, &tv);
}

/* Slots freed during this loop iteration, filled once per endpoint. */
static void on_refill(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    if (d->starved) { /* a dispatcher-wide bound held some back: everyone gets a turn */
        fill_all(d);
        return;
    }
    /* Under load, claim in groups: wait until a quarter of the endpoint's
     * slots are free (or none is busy), one query for all of them. */
    int64_t now = time_now_ms();
    for (int i = 0; i < d->n_eps; i++) {
        struct endpoint *ep = &d->eps[i];
        int room = ep->max_concurrency - ep->sending;
        if (ep->dirty && (ep->sending == 0 || room * 4 >= ep->max_concurrency))
            fill_endpoint(d, ep, now);
    }
}

static void on_token(evutil_socket_t fd, short kind, void *arg)
{
    fill_all(arg);
}

static void on_nudge(evutil_socket_t fd, short kind, void *arg)
{
    fill_all(arg);
}

static void on_record_retry(evutil_socket_t fd, short kind, void *arg)
{
    flush_results(arg);
}

static void on_listen(evutil_socket_t fd, short kind, void *arg);

/* What the listener says: another node queued messages or changed
 * endpoints (fill), or the connection went (try again with backoff, and
 * fill once it is back: notifications were missed meanwhile). */
static void on_wake(struct dispatcher *d, unsigned what)
{
    if (what & STORE_WAKE_LOST) {
        if (d->listen_ev)
            event_free(d->listen_ev);
        d->listen_ev = NULL;
        d->listen_backoff_ms = d->listen_backoff_ms ? (d->listen_backoff_ms * 2 > 5000 ? 5000 : d->listen_backoff_ms * 2)
                                                    : 100;
        struct timeval tv = {d->listen_backoff_ms / 1000, (d->listen_backoff_ms % 1000) * 1000};
        evtimer_add(d->listen_retry, &tv);
        return;
    }
    if (what & STORE_WAKE_RECONNECTED) {
        d->listen_backoff_ms = 0;
        d->listen_ev = event_new(d->base, store_listen_fd(d->listener), EV_READ | EV_PERSIST, on_listen, d);
        event_add(d->listen_ev, NULL);
    }
    /* another node redacted, or one may have been missed: no stale answer may outlive it (stale_reads.h) */
    if (what & (STORE_WAKE_REDACTED | STORE_WAKE_RECONNECTED))
        stale_reads_clear(time_now_ms());
    if (what & STORE_WAKE_ENDPOINTS)
        d->eps_stale = true;
    if (what & (STORE_WAKE_MESSAGES | STORE_WAKE_ENDPOINTS))
        fill_all(d);
}

static void on_listen(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    on_wake(d, store_listen_read(d->listener));
}

static void on_listen_retry(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    on_wake(d, store_listen_read(d->listener));
}

/* ---- lifecycle ---- */

static void *dispatch_main(void *arg)
{
    pthread_setname_np(pthread_self(), "sr-dispatch");
    struct dispatcher *d = arg;
    event_base_loop(d->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

struct dispatcher *dispatch_start(const struct config *cfg, struct store *st, char *err, size_t errlen)
{
    struct dispatcher *d = xcalloc(1, sizeof *d);
    d->cfg = cfg;
    d->store = st;
    /* Sent but not yet recorded: a record job commits while the next
     * exchanges run, so the set holds several times what may be sending. */
    d->set_max = cfg->max_in_flight * SET_PER_IN_FLIGHT;
    d->set = xcalloc((size_t)d->set_max, sizeof *d->set);
    d->eps_stale = true;
    d->reader = store_reader_open(st, err, errlen);
    d->base = d->reader ? event_base_new() : NULL;
    d->curl = d->base ? curlev_new(d->base, on_transfer_done, d) : NULL;
    if (!d->curl) {
        if (!err[0])
            snprintf(err, errlen, "cannot start the webhook dispatcher");
        dispatch_free(d);
        return NULL;
    }
    curl_multi_setopt(curlev_multi(d->curl), CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
    if (cfg->proxy[0])
        d->vet = proxy_vet_new(d->base, cfg);
    d->retry_timer = evtimer_new(d->base, on_nudge, d);
    d->nudge = event_new(d->base, -1, 0, on_nudge, d);
    d->refill = event_new(d->base, -1, 0, on_refill, d);
    d->record_retry = evtimer_new(d->base, on_record_retry, d);
    d->listener = store_listen(st, err, errlen);
    if (!d->listener && err[0]) {
        dispatch_free(d);
        return NULL;
    }
    if (d->listener) {
        d->listen_retry = evtimer_new(d->base, on_listen_retry, d);
        d->listen_ev = event_new(d->base, store_listen_fd(d->listener), EV_READ | EV_PERSIST, on_listen, d);
        event_add(d->listen_ev, NULL);
    }
    event_active(d->nudge, EV_TIMEOUT, 0); /* whatever is due from before a restart */
    if (pthread_create(&d->thread, NULL, dispatch_main, d) != 0) {
        snprintf(err, errlen, "cannot start the webhook dispatcher thread");
        dispatch_free(d);
        return NULL;
    }
    return d;
}

void dispatch_nudge(struct dispatcher *d)
{
    if (d)
        event_active(d->nudge, EV_TIMEOUT, 0);
}

static void on_endpoints_changed(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    d->eps_stale = true;
    fill_all(d);
}

void dispatch_on_commit(const struct store_commit *c, void *arg)
{
    struct dispatcher *d = arg;
    static const struct timeval now = {0, 0};
    if (c->endpoints_changed)
        event_base_once(d->base, -1, EV_TIMEOUT, on_endpoints_changed, d, &now);
    else if (c->messages)
        dispatch_nudge(d);
}

static void on_stop_check(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    if (d->n_set == 0)
        event_base_loopexit(d->base, NULL);
}

static void begin_stop(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    d->stopping = true;
    evtimer_del(d->retry_timer);
    static const struct timeval tick = {0, 20000};
    d->stop_check = event_new(d->base, -1, EV_PERSIST, on_stop_check, d);
    event_add(d->stop_check, &tick);
}

void dispatch_stop(struct dispatcher *d, int64_t deadline_ms)
{
    if (!d || !d->thread)
        return;
    static const struct timeval now = {0, 0};
    event_base_once(d->base, -1, EV_TIMEOUT, begin_stop, d, &now);
    int64_t left = deadline_ms - time_now_ms();
    if (left < 0)
        left = 0;
    struct timeval limit = {(long)(left / 1000), (long)(left % 1000) * 1000};
    event_base_loopexit(d->base, &limit);
    pthread_join(d->thread, NULL);
    d->thread = 0;
}

void dispatch_free(struct dispatcher *d)
{
    if (!d)
        return;
    /* Abandoned transfers stay pending in the store and are sent after a
     * restart. The set holds every transfer (in flight, finished, being
     * recorded); a record job still in the store when the dispatcher
     * stopped has been run by store_close, before this, and its done
     * callback never will. */
    proxy_vet_free(d->vet); /* pending vettings end (cancelled) before their transfers go */
    for (int i = 0; i < d->n_set; i++) {
        struct transfer *t = d->set[i];
        if (t->easy)
            curlev_remove(d->curl, t->easy);
        free_transfer(t);
    }
    free(d->record);
    curlev_free(d->curl);
    struct event *evs[] = {d->retry_timer, d->nudge, d->refill,      d->stop_check,
                           d->listen_ev,   d->listen_retry, d->record_retry};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (evs[i])
            event_free(evs[i]);
    for (int i = 0; i < d->n_eps; i++)
        if (d->eps[i].wake)
            event_free(d->eps[i].wake);
    if (d->base)
        event_base_free(d->base);
    store_listen_close(d->listener);
    store_reader_close(d->reader);
    free(d->eps);
    free(d->set);
    free(d);
}
