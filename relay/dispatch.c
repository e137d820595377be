/* dispatch: the delivery loop. See dispatch.h for the rules.
 *
 * Owns: its event_base and thread, the curl multi handle and its socket and
 * timer events, the list of in-flight transfers, and per-endpoint rate
 * buckets. Talks to the store through its own reader (due messages) and
 * through store jobs (attempt results), whose completions come back to this
 * loop. */
#include "dispatch.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "jsonutil.h"
#include "log.h"
#include "ssrf.h"
#include "syslog.h"
#include "store.h"
#include "timeutil.h"
#include "webhook_sign.h"
#include "xmalloc.h"

#define RESPONSE_MAX 16384

struct transfer {
    struct dispatcher *d;
    CURL *easy;
    struct curl_slist *headers;
    json_t *msg; /* the due row: id, endpoint_id, payload, attempts, secrets, … */
    char *body;
    size_t body_len;
    char response[RESPONSE_MAX];
    size_t response_len;
    bool truncated, blocked;
    long retry_after; /* seconds, -1 when absent */
    json_t *sent_headers, *response_headers; /* for the OUTBOUND system-log entry */
    int64_t started_ms;
    char errbuf[CURL_ERROR_SIZE];
};

struct bucket {
    char endpoint_id[64];
    double tokens;
    int64_t last_ms;
};

struct dispatcher {
    const struct config *cfg;
    struct store *store;
    struct store_reader *reader;
    struct event_base *base;
    pthread_t thread;
    CURLM *multi;
    struct event *curl_timer, *poll_timer, *nudge, *stop_check;
    struct transfer **inflight;
    int n_inflight;
    int recording; /* attempt results handed to the store, not yet committed */
    struct bucket *buckets;
    int n_buckets;
    bool stopping;
};

static void fill(struct dispatcher *d);

/* ---- libcurl ⇄ libevent ---- */

static void check_done(struct dispatcher *d);

static void on_socket_event(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    int action = (kind & EV_READ ? CURL_CSELECT_IN : 0) | (kind & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(d->multi, fd, action, &running);
    check_done(d);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct dispatcher *d = userp;
    struct event *ev = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (ev) {
            event_free(ev);
            curl_multi_assign(d->multi, s, NULL);
        }
        return 0;
    }
    short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
    if (ev)
        event_del(ev);
    else {
        ev = event_new(d->base, s, kind, on_socket_event, d);
        curl_multi_assign(d->multi, s, ev);
    }
    event_assign(ev, d->base, s, kind, on_socket_event, d);
    event_add(ev, NULL);
    return 0;
}

static void on_curl_timeout(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    int running;
    curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(d);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct dispatcher *d = userp;
    if (timeout_ms < 0) {
        evtimer_del(d->curl_timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(d->curl_timer, &tv);
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
    if (!ssrf_allowed(&addr->addr, cfg->allow, cfg->n_allow)) {
        t->blocked = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static const char *s(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void add_header(struct transfer *t, const char *name, const char *value)
{
    char *h = xasprintf("%s: %s", name, value ? value : "");
    t->headers = curl_slist_append(t->headers, h);
    free(h);
    if (value)
        json_object_set_new(t->sent_headers, name, json_string(syslog_sensitive(name) ? SYSLOG_REDACTED : value));
}

static bool start_transfer(struct dispatcher *d, json_t *msg)
{
    struct transfer *t = xcalloc(1, sizeof *t);
    t->d = d;
    t->msg = json_incref(msg);
    t->retry_after = -1;
    t->started_ms = time_now_ms();
    t->sent_headers = json_object();
    t->response_headers = json_object();
    const char *payload = s(msg, "payload");
    t->body = xstrdup(payload ? payload : "{}");
    t->body_len = strlen(t->body);

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

    CURL *e = t->easy = curl_easy_init();
    if (!e) {
        curl_slist_free_all(t->headers);
        json_decref(t->msg);
        free(t->body);
        free(t);
        return false;
    }
    curl_easy_setopt(e, CURLOPT_URL, s(msg, "url"));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
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
    d->inflight[d->n_inflight++] = t;
    curl_multi_add_handle(d->multi, e);
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

struct result {
    struct dispatcher *d;
    struct transfer *t;
    json_t *attempt;
    const char *status;
    int64_t next_at;
    int health;    /* 1 success, 0 failure, -1 gone */
    bool disabled; /* this attempt disabled the endpoint (410, or failing too long) */
};

/* The OUTBOUND entry of an attempt, and INTERNAL ones for what it caused. */
static int log_attempt(struct store_txn *txn, struct result *r)
{
    struct transfer *t = r->t;
    const json_t *m = t->msg, *a = r->attempt;
    json_t *e = syslog_entry(s(m, "tenant"), s(m, "order_id"), s(m, "correlation_id"), "OUTBOUND", s(m, "event_type"),
                             "WEBHOOK", s(m, "endpoint_id"));
    char started[TIME_ISO_LEN], now[TIME_ISO_LEN];
    time_format_iso(t->started_ms, started);
    time_format_iso(time_now_ms(), now);
    char *url = syslog_redact_url(s(m, "url"));
    json_object_set_new(e, "request_method", json_string("POST"));
    json_object_set_new(e, "request_url", json_string(url));
    free(url);
    json_object_set(e, "request_headers", t->sent_headers);
    json_object_set_new(e, "response_code", json_integer(json_integer_value(json_object_get(a, "status_code"))));
    json_object_set(e, "response_headers", t->response_headers);
    json_object_set_new(e, "request_time", json_string(started));
    json_object_set_new(e, "response_time", json_string(now));
    json_t *dur = json_object();
    static const char *keys[] = {"dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "total_ms", "error_class"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(a, keys[i]))
            json_object_set(dur, keys[i], json_object_get(a, keys[i]));
    json_object_set_new(e, "duration", dur);
    int rc = syslog_add(txn, e, t->body, t->body_len, t->response, t->response_len);
    json_decref(e);
    /* INTERNAL entries for what the attempt caused. */
    const char *internal[2] = {!strcmp(r->status, "dead") ? "WEBHOOK_DEAD_LETTERED" : NULL,
                               r->disabled ? "WEBHOOK_ENDPOINT_DISABLED" : NULL};
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
    return rc;
}

static int record_job(struct store_txn *txn, void *arg)
{
    struct result *r = arg;
    int rc = store_attempt_record(txn, r->attempt, r->status, r->next_at);
    if (rc == STORE_OK) {
        rc = store_endpoint_health(txn, s(r->t->msg, "endpoint_id"), r->health, time_now_ms(),
                                   r->d->cfg->disable_after * 1000);
        r->disabled = rc == 1;
        rc = rc == 1 ? STORE_OK : rc;
    }
    if (rc == STORE_OK)
        rc = log_attempt(txn, r);
    return rc;
}

static void free_transfer(struct transfer *t)
{
    json_decref(t->sent_headers);
    json_decref(t->response_headers);
    curl_slist_free_all(t->headers);
    json_decref(t->msg);
    free(t->body);
    free(t);
}

static void record_done(int rc, void *arg)
{
    struct result *r = arg;
    struct dispatcher *d = r->d;
    if (rc != STORE_OK)
        log_error("dispatch: could not record an attempt of %s; it stays pending", s(r->t->msg, "id"));
    /* Only now may the message be picked again: its outcome is on disk. */
    for (int i = 0; i < d->n_inflight; i++)
        if (d->inflight[i] == r->t) {
            d->inflight[i] = d->inflight[--d->n_inflight];
            break;
        }
    d->recording--;
    free_transfer(r->t);
    json_decref(r->attempt);
    free(r);
    fill(d);
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

static void finish_transfer(struct dispatcher *d, struct transfer *t, CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    json_t *a = json_object();
    int64_t now = time_now_ms();
    json_object_set_new(a, "message_id", json_string(s(t->msg, "id")));
    json_object_set_new(a, "at", json_integer(t->started_ms));
    json_object_set_new(a, "status_code", json_integer(rc == CURLE_OK ? status : 0));
    if (rc != CURLE_OK) {
        json_object_set_new(a, "error_class", json_string(error_class(rc, t->blocked)));
        json_object_set_new(a, "error", json_string(t->blocked ? "the address is not allowed (SSRF guard)"
                                                    : t->errbuf[0]      ? t->errbuf
                                                                        : curl_easy_strerror(rc)));
    }
    json_object_set_new(a, "dns_ms", json_real(ms_of(t->easy, CURLINFO_NAMELOOKUP_TIME_T)));
    json_object_set_new(a, "connect_ms", json_real(ms_of(t->easy, CURLINFO_CONNECT_TIME_T)));
    json_object_set_new(a, "tls_ms", json_real(ms_of(t->easy, CURLINFO_APPCONNECT_TIME_T)));
    json_object_set_new(a, "first_byte_ms", json_real(ms_of(t->easy, CURLINFO_STARTTRANSFER_TIME_T)));
    json_object_set_new(a, "total_ms", json_real(ms_of(t->easy, CURLINFO_TOTAL_TIME_T)));
    json_object_set_new(a, "response_body", json_stringn_nocheck(t->response, t->response_len));
    json_object_set_new(a, "response_truncated", json_boolean(t->truncated));

    struct result *r = xcalloc(1, sizeof *r);
    r->d = d;
    r->t = t;
    r->attempt = a;
    bool ok = rc == CURLE_OK && status >= 200 && status < 300;
    int attempts_done = (int)json_integer_value(json_object_get(t->msg, "attempts")) + 1;
    if (ok) {
        r->status = "delivered";
        r->health = 1;
    } else {
        int64_t delay = next_delay_ms(d->cfg, attempts_done, rc == CURLE_OK ? status : 0, t->retry_after);
        r->status = delay < 0 ? "dead" : "pending";
        r->next_at = delay < 0 ? now : now + delay;
        r->health = rc == CURLE_OK && status == 410 ? -1 : 0;
    }
    curl_multi_remove_handle(d->multi, t->easy);
    curl_easy_cleanup(t->easy);
    t->easy = NULL;
    d->recording++;
    store_submit(d->store, d->base, record_job, record_done, r);
}

static void check_done(struct dispatcher *d)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(d->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct transfer *t;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        finish_transfer(d, t, m->data.result);
    }
}

/* ---- choosing what to send ---- */

static bool in_flight(struct dispatcher *d, const char *id, const char *endpoint_id, int *same_endpoint)
{
    *same_endpoint = 0;
    bool found = false;
    for (int i = 0; i < d->n_inflight; i++) {
        found = found || strcmp(s(d->inflight[i]->msg, "id"), id) == 0;
        *same_endpoint += strcmp(s(d->inflight[i]->msg, "endpoint_id"), endpoint_id) == 0;
    }
    return found;
}

/* Take a token from the endpoint's bucket (rate_limit per second, bursts of
 * the same size); false when it is empty. 0 means unlimited. */
static bool take_token(struct dispatcher *d, const char *endpoint_id, long rate, int64_t now)
{
    if (rate <= 0)
        return true;
    struct bucket *b = NULL;
    for (int i = 0; i < d->n_buckets; i++)
        if (strcmp(d->buckets[i].endpoint_id, endpoint_id) == 0)
            b = &d->buckets[i];
    if (!b) {
        d->buckets = xrealloc(d->buckets, (size_t)(d->n_buckets + 1) * sizeof *d->buckets);
        b = &d->buckets[d->n_buckets++];
        snprintf(b->endpoint_id, sizeof b->endpoint_id, "%s", endpoint_id);
        b->tokens = (double)rate;
        b->last_ms = now;
    }
    b->tokens = fmin((double)rate, b->tokens + (double)(now - b->last_ms) * (double)rate / 1000.0);
    b->last_ms = now;
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

/* Start what may go now, endpoint by endpoint, so a backlog at one endpoint
 * never hides the messages of another. */
static void fill(struct dispatcher *d)
{
    if (d->stopping || d->n_inflight >= d->cfg->max_in_flight)
        return;
    int64_t now = time_now_ms();
    json_t *endpoints = store_read_sending_endpoints(d->reader);
    size_t k;
    json_t *ep;
    json_array_foreach(endpoints, k, ep)
    {
        const char *ep_id = s(ep, "id");
        int busy;
        in_flight(d, "", ep_id, &busy);
        int room = (int)json_integer_value(json_object_get(ep, "max_concurrency")) - busy;
        if (room <= 0 || d->n_inflight >= d->cfg->max_in_flight)
            continue;
        /* in-flight messages are still pending: ask for enough to see past them */
        json_t *due = store_read_due(d->reader, ep_id, now, room + busy);
        size_t i;
        json_t *m;
        json_array_foreach(due, i, m)
        {
            int same;
            if (room <= 0 || d->n_inflight >= d->cfg->max_in_flight)
                break;
            if (in_flight(d, s(m, "id"), ep_id, &same))
                continue;
            if (!take_token(d, ep_id, (long)json_integer_value(json_object_get(m, "rate_limit")), now))
                break;
            if (start_transfer(d, m))
                room--;
        }
        json_decref(due);
    }
    json_decref(endpoints);
    int running;
    curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(d);
}

static void on_poll(evutil_socket_t fd, short kind, void *arg)
{
    fill(arg);
}

/* ---- lifecycle ---- */

static void *dispatch_main(void *arg)
{
    struct dispatcher *d = arg;
    event_base_loop(d->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

struct dispatcher *dispatch_start(const struct config *cfg, struct store *st, char *err, size_t errlen)
{
    struct dispatcher *d = xcalloc(1, sizeof *d);
    d->cfg = cfg;
    d->store = st;
    d->inflight = xcalloc((size_t)cfg->max_in_flight, sizeof *d->inflight);
    d->reader = store_reader_open(st, err, errlen);
    d->base = d->reader ? event_base_new() : NULL;
    d->multi = d->base ? curl_multi_init() : NULL;
    if (!d->multi) {
        if (!err[0])
            snprintf(err, errlen, "cannot start the webhook dispatcher");
        dispatch_free(d);
        return NULL;
    }
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
    curl_multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
    d->curl_timer = evtimer_new(d->base, on_curl_timeout, d);
    d->poll_timer = event_new(d->base, -1, EV_PERSIST, on_poll, d);
    d->nudge = event_new(d->base, -1, 0, on_poll, d);
    struct timeval every = {cfg->poll_interval_ms / 1000, (cfg->poll_interval_ms % 1000) * 1000};
    event_add(d->poll_timer, &every);
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

void dispatch_on_commit(const struct store_commit *c, void *d)
{
    if (c->messages || c->endpoints_changed)
        dispatch_nudge(d);
}

static void on_stop_check(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    if (d->n_inflight == 0 && d->recording == 0)
        event_base_loopexit(d->base, NULL);
}

static void begin_stop(evutil_socket_t fd, short kind, void *arg)
{
    struct dispatcher *d = arg;
    d->stopping = true;
    event_del(d->poll_timer);
    static const struct timeval tick = {0, 20000};
    d->stop_check = event_new(d->base, -1, EV_PERSIST, on_stop_check, d);
    event_add(d->stop_check, &tick);
}

void dispatch_stop(struct dispatcher *d)
{
    if (!d || !d->thread)
        return;
    static const struct timeval now = {0, 0};
    event_base_once(d->base, -1, EV_TIMEOUT, begin_stop, d, &now);
    struct timeval limit = {d->cfg->shutdown_timeout, 0};
    event_base_loopexit(d->base, &limit);
    pthread_join(d->thread, NULL);
    d->thread = 0;
}

void dispatch_free(struct dispatcher *d)
{
    if (!d)
        return;
    /* Abandoned transfers stay pending in the store and are sent after a restart. */
    for (int i = 0; i < d->n_inflight; i++) {
        if (d->inflight[i]->easy) {
            curl_multi_remove_handle(d->multi, d->inflight[i]->easy);
            curl_easy_cleanup(d->inflight[i]->easy);
            free_transfer(d->inflight[i]);
        }
    }
    if (d->multi)
        curl_multi_cleanup(d->multi);
    struct event *evs[] = {d->curl_timer, d->poll_timer, d->nudge, d->stop_check};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (evs[i])
            event_free(evs[i]);
    if (d->base)
        event_base_free(d->base);
    store_reader_close(d->reader);
    free(d->buckets);
    free(d->inflight);
    free(d);
}
