/* config: the key table, the INI parser around it (inih), and validation.
 *
 * Adding a key is one line in `keys[]` plus the struct field; the parser, the
 * bounds check, `--check-config` and `--print-config` pick it up. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <libpq-fe.h>
#include <unistd.h>

#include "config_keys.h"
#include "log.h"
#include "xmalloc.h"

static int check_schedule(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_proxy(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_allow(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_listen(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_dir(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_url(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_level(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_format(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_node_id(struct config *cfg, const char *value, char *err, size_t errlen);
static int one_of(const char *what, const char *words, const char *value, char *err, size_t errlen);
static int check_backend(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_pg_url(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_single_node(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_admin_key(struct config *cfg, const char *value, char *err, size_t errlen);

#define R KEY_RELOAD
#define SECRET KEY_SECRET

#define OFF(f) offsetof(struct config, f)
static const struct key keys[] = {
    {"server", "listen", KEY_STRING, OFF(listen), "127.0.0.1:8080", 0, 0,
     "Address and port to accept HTTP on, as HOST:PORT (IPv4 or [IPv6]).", check_listen, 0},
    {"server", "public_url", KEY_STRING, OFF(public_url), "", 0, 0,
     "Base URL clients reach the relay at (e.g. https://relay.example.com), used in the body\n"
     "download links it hands out. Empty: http:// and the request's Host header.", NULL, R},
    {"server", "threads", KEY_INT, OFF(threads), "2", 1, 64,
     "HTTP worker threads, each with its own event loop.", NULL, 0},
    {"server", "max_body", KEY_INT, OFF(max_body), "1048576", 1024, 67108864,
     "Largest request body in bytes; larger bodies get 413.", NULL, 0},
    {"server", "max_header", KEY_INT, OFF(max_header), "16384", 1024, 1048576,
     "Largest request line plus headers in bytes.", NULL, 0},
    {"server", "timeout", KEY_INT, OFF(timeout), "30", 1, 3600,
     "Seconds a connection may stay idle between requests, or a read or write stall,\n"
     "before the connection is closed.", NULL, 0},
    {"server", "request_timeout", KEY_INT, OFF(request_deadline), "30", 1, 3600,
     "Seconds a client has to send a whole request (line, headers and body), counted from\n"
     "the accept for a connection's first request and from the first byte of each later\n"
     "one. Past it the relay answers 408 and closes the connection.", NULL, 0},
    {"server", "max_connections", KEY_INT, OFF(max_connections), "4096", 1, 1000000,
     "Open client connections at once, counted from the accept. A connection beyond them\n"
     "is answered 503 at once and closed, before its request is read.", NULL, 0},
    {"server", "shutdown_timeout", KEY_INT, OFF(shutdown_timeout), "10", 0, 600,
     "Seconds SIGTERM waits for in-flight requests before exiting anyway.", NULL, 0},
    {"server", "node_id", KEY_STRING, OFF(node_id), "", 0, 0,
     "This node's name in a fleet (1-64 of A-Z a-z 0-9 - _ .): it marks the deliveries and\n"
     "uploads the node has claimed, and labels its per-node figures in /metrics. Every node\n"
     "sharing a database needs its own. Empty: the host name.", check_node_id, 0},
    {"storage", "backend", KEY_STRING, OFF(storage_backend), "sqlite", 0, 0,
     "sqlite: one node, all state under dir. postgresql: any number of identical nodes\n"
     "sharing the database at url (bodies then go to [s3], unless single_node = yes).", check_backend, 0},
    {"storage", "dir", KEY_STRING, OFF(storage_dir), "shiprelay-data", 0, 0,
     "Directory holding all state (created if missing); with postgresql, only the local\n"
     "body store (single_node = yes without [s3]).", check_dir, 0},
    {"storage", "url", KEY_STRING, OFF(storage_url), "", 0, 0,
     "postgresql: the database, as a libpq connection string (postgresql://USER@HOST:PORT/DB\n"
     "or host=... dbname=...). The password from the URL, PGPASSWORD or ~/.pgpass; it is\n"
     "never logged.", check_pg_url, SECRET},
    {"storage", "single_node", KEY_STRING, OFF(single_node_text), "no", 0, 0,
     "postgresql: yes when only this one node uses the database, so bodies may stay in the\n"
     "local body store under dir. Otherwise a fleet needs [s3] (every node serves every body).",
     check_single_node, 0},
    {"storage", "order_cache", KEY_INT, OFF(order_cache), "32", 0, 65536,
     "MiB of orders the writer keeps parsed in memory, so a busy order is not read and\n"
     "parsed again for every event (0: none).", NULL, 0},
    {"storage", "stale_reads", KEY_DURATION, OFF(stale_reads), "5m", 0, 86400,
     "When the store cannot be read (PostgreSQL away, or out of this node's reach), a read\n"
     "gets this node's last answer to the same caller for the same URL if it is younger\n"
     "than this, marked stale (Age, Warning: 110, X-Shiprelay-Stale: when it was read);\n"
     "otherwise 503 store_unavailable. A redaction anywhere in the fleet empties the kept\n"
     "answers. 0: reads get 503 while the store is away.", NULL, 0},
    {"storage", "stale_reads_cache", KEY_INT, OFF(stale_reads_cache), "16", 0, 65536,
     "MiB of answers kept for that; the oldest go first (0: none).", NULL, 0},
    {"storage", "commit_batch", KEY_INT, OFF(commit_batch), "256", 1, 10000,
     "Most requests committed together in one transaction (one fsync).", NULL, 0},
    {"orders", "no_autoclose_sources", KEY_STRING, OFF(no_autoclose_sources), "SHOPIFY", 0, 0,
     "creation_source.source_type values (any case, space separated) whose orders record\n"
     "shipment statuses but are never auto-closed.", NULL, R},
    {"orders", "max_line_items", KEY_INT, OFF(max_line_items), "1000", 1, 100000,
     "Most line items an order may hold (400 beyond): bounds the work of every request on it.", NULL, R},
    {"orders", "max_fulfillment_orders", KEY_INT, OFF(max_fulfillment_orders), "200", 1, 10000,
     "Most fulfillment orders an order may hold (400 beyond).", NULL, R},
    {"orders", "max_shipments", KEY_INT, OFF(max_shipments), "500", 1, 100000,
     "Most shipments an order may hold (400 beyond; a carrier event that would add one more\n"
     "is refused and counted as such).", NULL, R},
    {"orders", "inline_history", KEY_INT, OFF(inline_history), "50", 1, 10000,
     "Status-history entries each shipment keeps in the order document; older ones move to\n"
     "the shipment's archived history (GET /orders/{ref}/shipments/{shipment}/status-history).",
     NULL, R},
    {"orders", "stuck_before_fulfillment", KEY_INT, OFF(stuck_early), "86400", 1, 31536000,
     "Seconds an open, partially_allocated or allocated order may stay in its status before\n"
     "it is stuck (GET /ops/stuck lists it, order.stuck fires), unless its own stuck_STATUS\n"
     "below says otherwise.", NULL, R},
    {"orders", "stuck_in_fulfillment", KEY_INT, OFF(stuck_late), "604800", 1, 31536000,
     "The same for a processing or fulfilled order.", NULL, R},
    {"orders", "stuck_open", KEY_DURATION, OFF(stuck_after[0]), "0", 0, 315360000,
     "Time an order may stay open before it is stuck (0: stuck_before_fulfillment). Time in a\n"
     "status counts from when the order entered it: changes that keep the status (a\n"
     "warehouse's trail-only event, a PATCH) do not reset it.", NULL, R},
    {"orders", "stuck_partially_allocated", KEY_DURATION, OFF(stuck_after[1]), "0", 0, 315360000,
     "The same for partially_allocated (0: stuck_before_fulfillment).", NULL, R},
    {"orders", "stuck_allocated", KEY_DURATION, OFF(stuck_after[2]), "0", 0, 315360000,
     "The same for allocated (0: stuck_before_fulfillment).", NULL, R},
    {"orders", "stuck_processing", KEY_DURATION, OFF(stuck_after[3]), "0", 0, 315360000,
     "The same for processing (0: stuck_in_fulfillment).", NULL, R},
    {"orders", "stuck_fulfilled", KEY_DURATION, OFF(stuck_after[4]), "0", 0, 315360000,
     "The same for fulfilled (0: stuck_in_fulfillment). Closed and cancelled orders are never\n"
     "stuck.", NULL, R},
    {"orders", "stuck_scan_interval", KEY_DURATION, OFF(stuck_scan_interval), "1m", 1, 86400,
     "How often the housekeeping thread looks for orders that became stuck, to fire\n"
     "order.stuck once for each (an index range per status: it reads only the new ones).", NULL, R},
    {"system_logs", "spool_max_bytes", KEY_INT, OFF(spool_max_bytes), "1073741824", 65536, 1099511627776,
     "Bodies waiting for the object store may take this much local disk; beyond it requests\n"
     "that would be logged get 503 spool_full until uploads catch up.", NULL, 0},
    {"system_logs", "upload_concurrency", KEY_INT, OFF(upload_concurrency), "64", 1, 1024,
     "Bodies moved to the object store at once: S3 requests in flight, or local files\n"
     "written per sync of the local store.", NULL, 0},
    {"system_logs", "url_expires", KEY_INT, OFF(url_expires), "3600", 1, 604800,
     "Seconds a body download URL stays valid (X-Amz-Expires for S3).", NULL, R},
    {"retention", "system_logs", KEY_DURATION, OFF(keep_syslogs), "30d", 0, 315360000,
     "How long system-log entries and their bodies are kept (0: forever).", NULL, 0},
    {"retention", "delivered_messages", KEY_DURATION, OFF(keep_delivered), "30d", 0, 315360000,
     "How long delivered and cancelled webhook messages, and their attempts, are kept after\n"
     "their last change (0: forever). OUTBOUND system-log entries read their bodies from them.", NULL, 0},
    {"retention", "dead_messages", KEY_DURATION, OFF(keep_dead), "90d", 0, 315360000,
     "How long dead-lettered messages and their attempts are kept (0: forever).", NULL, 0},
    {"retention", "change_logs", KEY_DURATION, OFF(keep_changelogs), "365d", 0, 315360000,
     "How long change-log entries, and status-history entries archived out of orders, are kept\n"
     "(0: forever).", NULL, 0},
    {"retention", "seen_events", KEY_DURATION, OFF(keep_seen), "14d", 1, 315360000,
     "How long inbound event keys are remembered for deduplication: a carrier's retry of an\n"
     "event older than this is applied again (which changes nothing when it is a repeat).", NULL, 0},
    {"retention", "parked_events", KEY_DURATION, OFF(keep_parked), "30d", 0, 315360000,
     "How long an inbound event that matches no order waits for one (0: forever).", NULL, 0},
    {"retention", "closed_orders", KEY_DURATION, OFF(keep_orders), "0", 0, 315360000,
     "How long closed or cancelled orders are kept after their last change, with their\n"
     "change logs and system logs (0: forever).", NULL, 0},
    {"retention", "closed_returns", KEY_DURATION, OFF(keep_returns), "0", 0, 315360000,
     "How long completed, rejected or cancelled return requests are kept after their last\n"
     "change (0: forever).", NULL, 0},
    {"retention", "sweep_interval", KEY_DURATION, OFF(sweep_interval), "1h", 1, 86400,
     "Time between retention sweeps. A sweep removes what has expired in small batches.", NULL, 0},
    {"oauth", "token_ttl", KEY_INT, OFF(token_ttl), "86400", 1, 604800,
     "Seconds a bearer token from POST /oauth/token stays valid (Carriyo: 86400).", NULL, R},
    {"s3", "endpoint", KEY_STRING, OFF(s3_endpoint), "", 0, 0,
     "S3-compatible endpoint URL, e.g. http://127.0.0.1:9000 (path-style addressing).\n"
     "Empty: AWS, https://BUCKET.s3.REGION.amazonaws.com.", check_url, 0},
    {"s3", "region", KEY_STRING, OFF(s3_region), "", 0, 0,
     "Region; empty: $AWS_REGION, else us-east-1.", NULL, 0},
    {"s3", "bucket", KEY_STRING, OFF(s3_bucket), "", 0, 0,
     "Bucket for request and response bodies. Empty: bodies stay under [storage] dir.", NULL, 0},
    {"s3", "prefix", KEY_STRING, OFF(s3_prefix), "", 0, 0,
     "Prefix for every key (keys are TENANT/YYYY/MM/DD/IDENTIFIER-request|response).", NULL, 0},
    {"s3", "access_key_id", KEY_STRING, OFF(s3_access_key), "", 0, 0,
     "Credentials; empty: $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY, $AWS_SESSION_TOKEN.", NULL, SECRET},
    {"s3", "secret_access_key", KEY_STRING, OFF(s3_secret_key), "", 0, 0, "", NULL, SECRET},
    {"s3", "session_token", KEY_STRING, OFF(s3_session_token), "", 0, 0, "", NULL, SECRET},
    {"s3", "timeout", KEY_INT, OFF(s3_timeout), "30", 1, 600,
     "Seconds one upload or deletion may take before it counts as failed (and is retried).", NULL, 0},
    {"webhooks", "retry_schedule", KEY_STRING, OFF(retry_schedule), "0 5s 5m 30m 2h 5h 10h 14h 20h 24h", 0, 0,
     "Delay before each delivery attempt (s, m, h, d; a bare number is seconds), each\n"
     "with +-20% jitter. After the last attempt fails the message is dead-lettered.",
     check_schedule, 0},
    {"webhooks", "connect_timeout", KEY_INT, OFF(connect_timeout), "5", 1, 120,
     "Seconds to connect to a merchant's endpoint (DNS, TCP and TLS).", NULL, 0},
    {"webhooks", "timeout", KEY_INT, OFF(request_timeout), "15", 1, 600,
     "Seconds a whole delivery may take before it counts as failed (E_TIMEOUT).", NULL, 0},
    {"webhooks", "max_endpoints", KEY_INT, OFF(max_endpoints), "50", 1, 10000,
     "Most webhook endpoints one tenant may have (409 beyond).", NULL, R},
    {"webhooks", "max_in_flight", KEY_INT, OFF(max_in_flight), "64", 1, 4096,
     "Deliveries in progress at once, over all endpoints (each endpoint also has its own cap).", NULL, 0},
    {"webhooks", "secret_grace", KEY_INT, OFF(secret_grace), "86400", 0, 2592000,
     "Seconds a rotated-out endpoint secret keeps signing beside the new one.", NULL, R},
    {"webhooks", "disable_after", KEY_INT, OFF(disable_after), "432000", 1, 31536000,
     "Seconds an endpoint may fail without a single success before it is disabled.", NULL, 0},
    {"webhooks", "proxy", KEY_STRING, OFF(proxy), "", 0, 0,
     "Send deliveries through this HTTP proxy (http://HOST:PORT). The destination is resolved\n"
     "and vetted by the SSRF guard before the request, and the proxy is asked to connect to\n"
     "the vetted address. Empty: no proxy. The environment's http_proxy / HTTPS_PROXY are\n"
     "never used.",
     check_proxy, 0},
    {"webhooks", "allow_private", KEY_STRING, OFF(allow_private), "", 0, 0,
     "Address ranges (CIDR, space separated) deliveries may reach although they are not\n"
     "global: private, loopback, link-local. Empty: only global addresses.",
     check_allow, 0},
    {"log", "level", KEY_STRING, OFF(log_level), "info", 0, 0,
     "The daemon's own log on stderr: debug, info, warn or error.", check_level, R},
    {"log", "access_format", KEY_STRING, OFF(access_format), "logfmt", 0, 0,
     "One line per request (time, tenant, method, route, status, duration, bytes, correlation\n"
     "id, peer): logfmt, json, or off.", check_format, R},
    {"log", "access_log", KEY_STRING, OFF(access_log), "", 0, 0,
     "Where access lines go: empty for stderr (beside the daemon's log, into journald), or a\n"
     "file the relay appends to and opens again on SIGHUP (after logrotate moves it).", NULL, R},
    {"log", "auth_failures_per_second", KEY_INT, OFF(auth_log_rate), "5", 1, 10000,
     "Failed authentications logged per second for one peer address; the rest are counted\n"
     "and the count is logged with the next line.", NULL, R},
    {"limits", "api_rate", KEY_INT, OFF(api_rate), "0", 0, 1000000,
     "API requests per second a tenant may make (token bucket; 0: no limit). Over it: 429\n"
     "with Retry-After. A tenant's own rate_limit and rate_burst take precedence.", NULL, R},
    {"limits", "api_burst", KEY_INT, OFF(api_burst), "0", 0, 1000000,
     "Requests a tenant may make at once before api_rate applies (0: api_rate).", NULL, R},
    {"limits", "hook_rate", KEY_INT, OFF(hook_rate), "0", 0, 1000000,
     "Callbacks per second each source may post (0: no limit). A source's own rate_limit\n"
     "and rate_burst take precedence.", NULL, R},
    {"limits", "hook_burst", KEY_INT, OFF(hook_burst), "0", 0, 1000000,
     "Callbacks a source may post at once before hook_rate applies (0: hook_rate).", NULL, R},
    {"console", "admin_key", KEY_STRING, OFF(admin_key), "", 0, 0,
     "The operator's key for the web console (GET /console/) and the API: a request with\n"
     "x-admin-key: KEY and tenant-id: T reads everything of tenant T that a GET reads, and\n"
     "may retry and recover its dead letters; nothing else. At least 16 characters (use 32\n"
     "random ones). Empty: no operator sign-in, tenants sign in with their own API keys.",
     check_admin_key, R | SECRET},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

const struct key *config_keys(size_t *n)
{
    *n = N_KEYS;
    return keys;
}


/* "90", "90s", "15m", "2h", "30d" → seconds; *end after it. False when no number starts there. */
static bool parse_duration(const char *p, char **end, long *out)
{
    errno = 0;
    long v = strtol(p, end, 10);
    if (errno || *end == p || v < 0)
        return false;
    long unit = **end == 's' ? 1 : **end == 'm' ? 60 : **end == 'h' ? 3600 : **end == 'd' ? 86400 : 1;
    if (**end && strchr("smhd", **end))
        (*end)++;
    if (v > LONG_MAX / unit)
        return false;
    *out = v * unit;
    return true;
}

static int check_schedule(struct config *cfg, const char *value, char *err, size_t errlen)
{
    int n = 0;
    const char *p = value;
    while (*p) {
        p += strspn(p, " ,\t");
        if (!*p)
            break;
        char *end;
        long v = 0;
        bool ok = parse_duration(p, &end, &v);
        if (!ok || v > 30L * 86400 || (*end && !strchr(" ,\t", *end)) || n == 32) {
            snprintf(err, errlen, "webhooks.retry_schedule must be up to 32 delays like 0 5s 5m 2h 1d, not \"%s\"",
                     value);
            return -1;
        }
        cfg->retry_delays[n++] = v;
        p = end;
    }
    if (n == 0) {
        snprintf(err, errlen, "webhooks.retry_schedule needs at least one delay");
        return -1;
    }
    cfg->n_retry = n;
    return 0;
}

static int check_proxy(struct config *cfg, const char *value, char *err, size_t errlen)
{
    if (!*value)
        return 0;
    const char *host = strncmp(value, "http://", 7) == 0 ? value + 7 : NULL;
    const char *colon = host ? strrchr(host, ':') : NULL;
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!host || !colon || colon == host || !end || (*end && strcmp(end, "/") != 0) || port < 1 || port > 65535 ||
        strchr(host, '@')) {
        snprintf(err, errlen, "webhooks.proxy must be http://HOST:PORT, not \"%s\"", value);
        return -1;
    }
    return 0;
}

static int check_allow(struct config *cfg, const char *value, char *err, size_t errlen)
{
    char msg[128];
    int n = ssrf_parse_list(value, cfg->allow, (int)(sizeof cfg->allow / sizeof cfg->allow[0]), msg, sizeof msg);
    if (n < 0) {
        snprintf(err, errlen, "webhooks.allow_private: %s", msg);
        return -1;
    }
    cfg->n_allow = n;
    return 0;
}

/* HOST:PORT or [V6]:PORT: a port from 1 to 65535 and a host that is an
 * address or resolves to one (empty: every address). */
static int check_listen(struct config *cfg, const char *value, char *err, size_t errlen)
{
    const char *colon = strrchr(value, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t)(colon - value) : 0;
    const char *h = value;
    if (h[0] == '[') {
        bool closed = hl >= 3 && h[hl - 1] == ']';
        h++;
        hl = closed ? hl - 2 : 0;
        if (!closed)
            colon = NULL;
    }
    if (!colon || end == colon + 1 || *end || port < 1 || port > 65535) {
        snprintf(err, errlen, "server.listen must be HOST:PORT with a port from 1 to 65535, not \"%s\"", value);
        return -1;
    }
    char *host = xstrndup(h, hl);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
    int rc = *host ? getaddrinfo(host, NULL, &hints, &ai) : 0;
    if (ai)
        freeaddrinfo(ai);
    if (rc != 0) {
        snprintf(err, errlen, "server.listen: \"%s\" is not an address of this machine's (%s)", host,
                 gai_strerror(rc));
        free(host);
        return -1;
    }
    free(cfg->listen_host);
    cfg->listen_host = host;
    cfg->listen_port = (int)port;
    return 0;
}

static int check_node_id(struct config *cfg, const char *value, char *err, size_t errlen)
{
    if (!*value || config_valid_id(value))
        return 0;
    snprintf(err, errlen, "server.node_id must be 1-64 of A-Z a-z 0-9 - _ ., not \"%s\"", value);
    return -1;
}

static int check_backend(struct config *cfg, const char *value, char *err, size_t errlen)
{
    int i = one_of("storage.backend", "sqlite postgresql", value, err, errlen);
    cfg->postgresql = i == 1;
    return i < 0 ? -1 : 0;
}

/* A libpq connection string libpq itself can read (nothing is connected). */
static int check_pg_url(struct config *cfg, const char *value, char *err, size_t errlen)
{
    if (!*value)
        return 0;
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(value, &msg);
    if (!opts) {
        char *nl = msg ? strchr(msg, '\n') : NULL;
        if (nl)
            *nl = '\0';
        snprintf(err, errlen, "storage.url is not a libpq connection string: %s", msg ? msg : "out of memory");
        PQfreemem(msg);
        return -1;
    }
    PQconninfoFree(opts);
    return 0;
}

static int check_single_node(struct config *cfg, const char *value, char *err, size_t errlen)
{
    int i = one_of("storage.single_node", "no yes", value, err, errlen);
    cfg->single_node = i == 1;
    return i < 0 ? -1 : 0;
}

static int check_dir(struct config *cfg, const char *value, char *err, size_t errlen)
{
    if (*value)
        return 0;
    snprintf(err, errlen, "storage.dir must not be empty");
    return -1;
}

static int check_url(struct config *cfg, const char *value, char *err, size_t errlen)
{
    if (!*value || !strncmp(value, "http://", 7) || !strncmp(value, "https://", 8))
        return 0;
    snprintf(err, errlen, "s3.endpoint must start with http:// or https://");
    return -1;
}

/* value's position in words (space separated), or -1 after writing what it may be. */
static int one_of(const char *what, const char *words, const char *value, char *err, size_t errlen)
{
    int i = 0;
    for (const char *p = words; *p; i++) {
        size_t len = strcspn(p, " ");
        if (strlen(value) == len && strncmp(p, value, len) == 0)
            return i;
        p += len + (p[len] == ' ');
    }
    snprintf(err, errlen, "%s must be one of %s, not \"%s\"", what, words, value);
    return -1;
}

static int check_level(struct config *cfg, const char *value, char *err, size_t errlen)
{
    int i = one_of("log.level", "debug info warn error", value, err, errlen);
    cfg->log_min = i < 0 ? cfg->log_min : LOG_DEBUG + i;
    return i < 0 ? -1 : 0;
}

static int check_format(struct config *cfg, const char *value, char *err, size_t errlen)
{
    int i = one_of("log.access_format", "off logfmt json", value, err, errlen);
    cfg->access_kind = i < 0 ? cfg->access_kind : i;
    return i < 0 ? -1 : 0;
}

static int check_admin_key(struct config *cfg, const char *value, char *err, size_t errlen)
{
    if (!*value || strlen(value) >= 16)
        return 0;
    snprintf(err, errlen, "console.admin_key must be empty or at least 16 characters long");
    return -1;
}

static int set_value(struct config *cfg, const struct key *k, const char *value, char *err, size_t errlen)
{
    if (k->type == KEY_STRING) {
        if (k->check && k->check(cfg, value, err, errlen) != 0)
            return -1;
        char **f = config_key_str(cfg, k);
        free(*f);
        *f = xstrdup(value);
        return 0;
    }
    char *end;
    long v = 0;
    if (k->type == KEY_DURATION) {
        if (!parse_duration(value, &end, &v) || *end) {
            snprintf(err, errlen, "%s.%s must be a duration like 90s, 15m, 2h or 30d, not \"%s\"", k->section,
                     k->name, value);
            return -1;
        }
    } else {
        errno = 0;
        v = strtol(value, &end, 10);
        if (errno || end == value || *end != '\0') {
            snprintf(err, errlen, "%s.%s must be a whole number, not \"%s\"", k->section, k->name, value);
            return -1;
        }
    }
    if (v < k->min || v > k->max) {
        snprintf(err, errlen, "%s.%s must be between %ld and %ld, not %ld", k->section, k->name, k->min,
                 k->max, v);
        return -1;
    }
    *config_key_long(cfg, k) = v;
    return 0;
}

/* `tenant "ID"` → ID in out; returns false when the section is not of that form. */
static bool parse_named_section(const char *section, const char *kind, char *out, size_t outlen)
{
    size_t kl = strlen(kind);
    if (strncmp(section, kind, kl) != 0 || section[kl] != ' ')
        return false;
    const char *p = section + kl + 1;
    size_t len = strlen(p);
    if (len < 3 || p[0] != '"' || p[len - 1] != '"' || len - 2 >= outlen)
        return false;
    memcpy(out, p + 1, len - 2);
    out[len - 2] = '\0';
    return true;
}

bool config_valid_id(const char *id)
{
    if (!*id || strlen(id) > 64)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

struct parse_state {
    struct config *cfg;
    FILE *f;
    const char *path;
    int line;        /* the line inih is on (counted by read_line) */
    bool line_done;  /* the last piece read ended its line */
    bool skip_line;  /* this line is too long: its entries are not read */
    bool bad_section; /* the last section header could not be read: its entries are not either */
    bool prev_entry; /* an indented line continues the value above it (inih's multi-line values) */
    char *errs;      /* every problem, "path:line: message\n…" */
    size_t n_errs;
    /* [tenant "ID"] headers as written (inih reports no empty section). */
    char **tenant_sections;
    int *tenant_lines;
    size_t n_tenant_sections;
};

static void add_error(struct parse_state *st, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_error(struct parse_state *st, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *all = xasprintf("%s%s%s:%d: %s", st->errs ? st->errs : "", st->errs ? "\n" : "", st->path, line, msg);
    free(st->errs);
    st->errs = all;
    st->n_errs++;
}

/* A problem on the line being read; 0 tells inih the line was refused. */
#define refuse(st, ...) (add_error((st), (st)->line, __VA_ARGS__), 0)

/* Note a [tenant "ID"] header on this line, so a tenant without keys can be named. */
static void note_tenant_section(struct parse_state *st, const char *line)
{
    size_t len = strcspn(line + 1, "]");
    char inner[192], id[160];
    if (len >= sizeof inner)
        return;
    memcpy(inner, line + 1, len);
    inner[len] = '\0';
    if (!parse_named_section(inner, "tenant", id, sizeof id))
        return;
    for (size_t i = 0; i < st->n_tenant_sections; i++)
        if (strcmp(st->tenant_sections[i], id) == 0)
            return;
    st->tenant_sections = xrealloc(st->tenant_sections, (st->n_tenant_sections + 1) * sizeof *st->tenant_sections);
    st->tenant_lines = xrealloc(st->tenant_lines, (st->n_tenant_sections + 1) * sizeof *st->tenant_lines);
    st->tenant_sections[st->n_tenant_sections] = xstrdup(id);
    st->tenant_lines[st->n_tenant_sections++] = st->line;
}

/* inih names only the first line it cannot read: find each of them here (a
 * section header without its ']', a line that is neither blank, a comment,
 * a header, KEY = VALUE nor the indented continuation of a value), so that
 * every one is reported, and skip the entries of a header that failed. */
static void note_line(struct parse_state *st, const char *raw)
{
    if (st->line == 1 && strncmp(raw, "\xEF\xBB\xBF", 3) == 0)
        raw += 3;
    const char *p = raw + strspn(raw, " \t\r\n\f\v");
    if (!*p || strchr(";#", *p))
        return;
    if (*p == '[') {
        st->prev_entry = false;
        st->bad_section = !strchr(p, ']');
        if (st->bad_section)
            add_error(st, st->line, "syntax error");
        else
            note_tenant_section(st, p);
        return;
    }
    if (p > raw && st->prev_entry)
        return;
    if (!strpbrk(p, "=:"))
        add_error(st, st->line, "syntax error");
    else
        st->prev_entry = true;
}

/* inih's line reader, counting lines so errors can name theirs. */
static char *read_line(char *buf, int size, void *arg)
{
    struct parse_state *st = arg;
    char *r = fgets(buf, size, st->f);
    if (!r)
        return NULL;
    size_t len = strlen(r);
    bool starts = st->line_done;
    st->line_done = (len && r[len - 1] == '\n') || feof(st->f);
    if (!starts)
        return r; /* more of a line that is too long */
    st->line++;
    st->skip_line = !st->line_done;
    if (st->skip_line)
        add_error(st, st->line, "the line is longer than %d characters", size - 2);
    else
        note_line(st, r);
    return r;
}

static struct adapter_source *source_for(struct parse_state *st, const char *tenant, const char *name)
{
    struct config *cfg = st->cfg;
    struct adapter_source *src = (struct adapter_source *)config_find_source(cfg, tenant, name);
    if (src)
        return src;
    size_t n = cfg->n_sources + 1;
    cfg->sources = xrealloc(cfg->sources, n * sizeof *cfg->sources);
    cfg->source_lines = xrealloc(cfg->source_lines, n * sizeof *cfg->source_lines);
    cfg->source_limits = xrealloc(cfg->source_limits, n * sizeof *cfg->source_limits);
    src = &cfg->sources[cfg->n_sources];
    memset(src, 0, sizeof *src);
    src->tenant = xstrdup(tenant);
    src->name = xstrdup(name);
    cfg->source_lines[cfg->n_sources] = st->line;
    cfg->source_limits[cfg->n_sources++] = (struct config_limit){-1, -1};
    return src;
}

static bool is_limit_key(const char *name)
{
    return !strcmp(name, "rate_limit") || !strcmp(name, "rate_burst");
}

/* rate_limit or rate_burst of a [tenant] or [source] section (is_limit_key). */
static int limit_entry(struct parse_state *st, struct config_limit *limit, const char *name, const char *value)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < 0 || v > 1000000)
        return refuse(st, "%s must be a whole number from 0 to 1000000, not \"%s\"", name, value);
    *(!strcmp(name, "rate_limit") ? &limit->rate : &limit->burst) = v;
    return 1;
}

static int on_source_entry(struct parse_state *st, const char *id, const char *name, const char *value)
{
    const char *slash = strchr(id, '/');
    char tenant[128];
    if (!slash || (size_t)(slash - id) >= sizeof tenant)
        return refuse(st, "source \"%s\" must be named TENANT/NAME", id);
    memcpy(tenant, id, (size_t)(slash - id));
    tenant[slash - id] = '\0';
    if (!config_valid_id(tenant) || !config_valid_id(slash + 1))
        return refuse(st, "source \"%s\": TENANT and NAME must be 1-64 of A-Z a-z 0-9 - _ .", id);
    struct adapter_source *src = source_for(st, tenant, slash + 1);
    if (is_limit_key(name))
        return limit_entry(st, &st->cfg->source_limits[src - st->cfg->sources], name, value);
    char **field = !strcmp(name, "adapter")         ? &src->kind
                   : !strcmp(name, "token")         ? &src->token
                   : !strcmp(name, "header")        ? &src->header
                   : !strcmp(name, "client_id")     ? &src->client_id
                   : !strcmp(name, "client_secret") ? &src->client_secret
                                                    : NULL;
    if (field) {
        if (*field)
            return refuse(st, "[source \"%s\"] %s is given twice", id, name);
        if (!strcmp(name, "adapter") && !adapter_find(value))
            return refuse(st, "[source \"%s\"] adapter \"%s\" is not one of %s", id, value, adapter_kinds());
        if (!*value)
            return refuse(st, "[source \"%s\"] %s must not be empty", id, name);
        *field = xstrdup(value);
        return 1;
    }
    if (!strcmp(name, "secret")) {
        if (!*value)
            return refuse(st, "[source \"%s\"] secret must not be empty", id);
        src->secrets = xrealloc(src->secrets, (src->n_secrets + 1) * sizeof *src->secrets);
        src->secrets[src->n_secrets++] = xstrdup(value);
        return 1;
    }
    if (!strcmp(name, "allow_unauthenticated")) {
        bool yes = !strcasecmp(value, "yes") || !strcasecmp(value, "true");
        if (!yes && strcasecmp(value, "no") && strcasecmp(value, "false"))
            return refuse(st, "[source \"%s\"] allow_unauthenticated must be yes or no", id);
        src->allow_unauthenticated = yes;
        return 1;
    }
    return refuse(st, "unknown key \"%s\" in [source \"%s\"] (known: adapter, secret, token, header, client_id, "
                      "client_secret, allow_unauthenticated, rate_limit, rate_burst)",
                  name, id);
}

/* Every [tenant] has a key, once the whole file is read. */
static void check_tenants(struct parse_state *st)
{
    for (size_t i = 0; i < st->n_tenant_sections; i++) {
        const struct config_tenant *t = config_find_tenant(st->cfg, st->tenant_sections[i]);
        if (!t || !t->n_api_keys)
            add_error(st, st->tenant_lines[i], "[tenant \"%s\"] has no api_key", st->tenant_sections[i]);
    }
    char msg[256];
    if (!st->n_errs && config_tenants_check(st->cfg, msg, sizeof msg) != 0) /* OAuth2 clients */
        add_error(st, st->n_tenant_sections ? st->tenant_lines[0] : 0, "%s", msg);
}

/* Each source belongs to a configured tenant and has what its adapter needs
 * to authenticate callers, once the whole file is read. A header-token
 * source may go without a token only when it says so
 * (allow_unauthenticated = yes). */
static void check_sources(struct parse_state *st)
{
    const struct config *cfg = st->cfg;
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct adapter_source *s = &cfg->sources[i];
        const struct adapter *a = adapter_find(s->kind);
        bool by_token = a && (a->needs & ADAPTER_NEEDS_TOKEN);
        bool open = by_token && s->allow_unauthenticated && !s->token;
        const char *missing = !a                                                 ? "adapter"
                              : (a->needs & ADAPTER_NEEDS_SECRET) && !s->n_secrets ? "secret"
                              : by_token && !s->token && !s->allow_unauthenticated
                                  ? "token (or allow_unauthenticated = yes to accept callbacks from anyone who "
                                    "knows its URL)"
                              : (a->needs & ADAPTER_NEEDS_HEADER) && !s->header && !open ? "header"
                              : (a->needs & ADAPTER_NEEDS_CLIENT) && !s->client_id ? "client_id"
                              : (a->needs & ADAPTER_NEEDS_CLIENT) && !s->client_secret ? "client_secret"
                              : !a->needs && !strcmp(a->kind, "shippo") && !s->token && !s->n_secrets
                                  ? "token or secret"
                                  : NULL;
        const char *wrong = missing ? NULL
                            : !config_find_tenant(cfg, s->tenant) ? "belongs to no configured tenant (add its "
                                                                     "[tenant] section with an api_key)"
                            : s->allow_unauthenticated && !by_token
                                ? "allow_unauthenticated is only for sources authenticated by a header token "
                                  "(aymakan, dhl, carriyo-carrier, carriyo, wms)"
                            : s->allow_unauthenticated && s->token
                                ? "has a token and allow_unauthenticated = yes: remove one"
                                : NULL;
        if (missing || wrong)
            add_error(st, cfg->source_lines[i], "[source \"%s/%s\"] %s%s", s->tenant, s->name, missing ? "needs " : "",
                      missing ? missing : wrong);
    }
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    char id[160];
    if (st->skip_line || st->bad_section)
        return 1; /* already reported */
    if (parse_named_section(section, "source", id, sizeof id))
        return on_source_entry(st, id, name, value);
    if (parse_named_section(section, "tenant", id, sizeof id)) {
        if (!config_valid_id(id))
            return refuse(st, "tenant id \"%s\" must be 1-64 of A-Z a-z 0-9 - _ .", id);
        if (is_limit_key(name))
            return limit_entry(st, &config_tenant_for(st->cfg, id)->limit, name, value);
        char msg[256];
        if (config_tenant_entry(st->cfg, id, name, value, msg, sizeof msg) != 0)
            return refuse(st, "%s", msg);
        return 1;
    }
    bool section_known = false;
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].section, section) != 0)
            continue;
        section_known = true;
        if (strcmp(keys[i].name, name) == 0) {
            char msg[256];
            if (set_value(st->cfg, &keys[i], value, msg, sizeof msg) != 0)
                return refuse(st, "%s", msg);
            st->cfg->key_lines[i] = st->line;
            return 1;
        }
    }
    if (section_known)
        return refuse(st, "unknown key \"%s\" in [%s]", name, section);
    return refuse(st, "unknown section [%s]", section);
}

static int line_of(const struct config *cfg, const char *section, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
            return cfg->key_lines[i];
    return 0;
}

/* Fill S3 credentials and region from the usual AWS variables when the file
 * leaves them empty, and check a bucket has what it needs. */
static void resolve_s3(struct config *cfg, struct parse_state *st)
{
    struct {
        char **field;
        const char *env, *fallback;
    } from_env[] = {{&cfg->s3_region, "AWS_REGION", "us-east-1"},
                    {&cfg->s3_access_key, "AWS_ACCESS_KEY_ID", ""},
                    {&cfg->s3_secret_key, "AWS_SECRET_ACCESS_KEY", ""},
                    {&cfg->s3_session_token, "AWS_SESSION_TOKEN", ""}};
    for (size_t i = 0; i < sizeof from_env / sizeof from_env[0]; i++) {
        if (**from_env[i].field)
            continue;
        const char *v = getenv(from_env[i].env);
        free(*from_env[i].field);
        *from_env[i].field = xstrdup(v && *v ? v : from_env[i].fallback);
    }
    cfg->s3_enabled = cfg->s3_bucket[0] != '\0';
    if (st && cfg->s3_enabled && (!cfg->s3_access_key[0] || !cfg->s3_secret_key[0]))
        add_error(st, line_of(cfg, "s3", "bucket"),
                  "[s3] bucket is set but no credentials: set access_key_id and secret_access_key, or "
                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
}

/* The node's name when none is set: the host name (made a valid id). */
static void resolve_node_id(struct config *cfg)
{
    if (cfg->node_id[0])
        return;
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "node");
    host[64] = '\0';
    for (char *p = host; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p))
            *p = '-';
    free(cfg->node_id);
    cfg->node_id = xstrdup(host);
}

/* What the storage keys need of each other, once the whole file is read. */
static void check_storage(struct config *cfg, struct parse_state *st)
{
    if (!cfg->postgresql)
        return;
    if (!cfg->storage_url[0])
        add_error(st, line_of(cfg, "storage", "backend"),
                  "[storage] backend = postgresql needs url (a libpq connection string, "
                  "postgresql://USER@HOST:PORT/DATABASE)");
    else if (!cfg->s3_enabled && !cfg->single_node)
        add_error(st, line_of(cfg, "storage", "backend"),
                  "[storage] backend = postgresql keeps bodies in [s3], which every node of a fleet reaches: "
                  "configure [s3] bucket, or set [storage] single_node = yes when no other node shares the "
                  "database (bodies then stay under [storage] dir)");
}

static void set_defaults_only(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->key_lines = xcalloc(N_KEYS, sizeof *cfg->key_lines);
    char err[256];
    for (size_t i = 0; i < N_KEYS; i++)
        if (set_value(cfg, &keys[i], keys[i].def, err, sizeof err) != 0)
            abort(); /* a bad default is a programming error */
}

void config_defaults(struct config *cfg)
{
    set_defaults_only(cfg);
    resolve_s3(cfg, NULL);
    cfg->embedded = true;
    resolve_node_id(cfg);
    config_tenant_add_key(cfg, "demo", "demo-key-change-me");
    char err2[256];
    if (config_tenant_entry(cfg, "demo", "client_id", "demo-client", err2, sizeof err2) != 0 ||
        config_tenant_entry(cfg, "demo", "client_secret", "demo-secret-change-me", err2, sizeof err2) != 0)
        abort(); /* a bad embedded default is a programming error */
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    set_defaults_only(cfg);
    cfg->path = xstrdup(path);
    struct parse_state st = {.cfg = cfg, .path = path, .line_done = true};
    st.f = fopen(path, "r");
    if (!st.f) {
        add_error(&st, 0, "cannot open: %s", strerror(errno));
    } else {
        int line = ini_parse_stream(read_line, &st, on_entry, &st);
        fclose(st.f);
        if (line != 0 && !st.n_errs) /* one note_line did not foresee */
            add_error(&st, line, "syntax error");
        /* What depends on the whole file, once each line has been read right
         * (a line in error would only bring more errors of its own here). */
        if (!st.n_errs) {
            check_tenants(&st);
            check_sources(&st);
        }
        resolve_s3(cfg, &st);
        if (!st.n_errs)
            check_storage(cfg, &st);
        resolve_node_id(cfg);
    }
    for (size_t i = 0; i < st.n_tenant_sections; i++)
        free(st.tenant_sections[i]);
    free(st.tenant_sections);
    free(st.tenant_lines);
    snprintf(err, errlen, "%s", st.errs ? st.errs : "");
    free(st.errs);
    return st.n_errs ? -1 : 0;
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].type == KEY_STRING)
            free(*config_key_str(cfg, &keys[i]));
    free(cfg->listen_host);
    config_tenants_free(cfg);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        struct adapter_source *s = &cfg->sources[i];
        for (size_t j = 0; j < s->n_secrets; j++)
            free(s->secrets[j]);
        free(s->secrets);
        free(s->tenant);
        free(s->name);
        free(s->kind);
        free(s->token);
        free(s->header);
        free(s->client_id);
        free(s->client_secret);
    }
    free(cfg->sources);
    free(cfg->source_lines);
    free(cfg->source_limits);
    free(cfg->path);
    free(cfg->key_lines);
    memset(cfg, 0, sizeof *cfg);
}

const struct adapter_source *config_find_source(const struct config *cfg, const char *tenant, const char *name)
{
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (strcmp(cfg->sources[i].tenant, tenant) == 0 && strcmp(cfg->sources[i].name, name) == 0)
            return &cfg->sources[i];
    return NULL;
}

bool config_source_skips_autoclose(const struct config *cfg, const char *source_type)
{
    if (!source_type || !*source_type)
        return false;
    size_t n = strlen(source_type);
    const char *p = cfg->no_autoclose_sources;
    while (*p) {
        p += strspn(p, " ,\t");
        size_t len = strcspn(p, " ,\t");
        if (len == n && strncasecmp(p, source_type, n) == 0)
            return true;
        p += len;
    }
    return false;
}

const char *const config_stuck_statuses[CONFIG_STUCK_STATUSES] = {"open", "partially_allocated", "allocated",
                                                                  "processing", "fulfilled"};

long config_stuck_after(const struct config *cfg, int i)
{
    if (i < 0 || i >= CONFIG_STUCK_STATUSES)
        return 0;
    return cfg->stuck_after[i] ? cfg->stuck_after[i] : i < 3 ? cfg->stuck_early : cfg->stuck_late;
}
