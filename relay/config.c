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

#include "xmalloc.h"

enum key_type { KEY_STRING, KEY_INT, KEY_DURATION /* seconds, written with s m h d */ };

struct key {
    const char *section;
    const char *name;
    enum key_type type;
    size_t offset;
    const char *def;
    long min, max;
    const char *doc;
    /* Optional further check of a value (and parsing into derived fields). */
    int (*check)(struct config *cfg, const char *value, char *err, size_t errlen);
};

static int check_schedule(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_proxy(struct config *cfg, const char *value, char *err, size_t errlen);
static int check_allow(struct config *cfg, const char *value, char *err, size_t errlen);

#define OFF(f) offsetof(struct config, f)
static const struct key keys[] = {
    {"server", "listen", KEY_STRING, OFF(listen), "127.0.0.1:8080", 0, 0,
     "Address and port to accept HTTP on, as HOST:PORT (IPv4 or [IPv6]).", NULL},
    {"server", "public_url", KEY_STRING, OFF(public_url), "", 0, 0,
     "Base URL clients reach the relay at (e.g. https://relay.example.com), used in the body\n"
     "download links it hands out. Empty: http:// and the request's Host header.", NULL},
    {"server", "threads", KEY_INT, OFF(threads), "2", 1, 64,
     "HTTP worker threads, each with its own event loop.", NULL},
    {"server", "max_body", KEY_INT, OFF(max_body), "1048576", 1024, 67108864,
     "Largest request body in bytes; larger bodies get 413.", NULL},
    {"server", "max_header", KEY_INT, OFF(max_header), "16384", 1024, 1048576,
     "Largest request line plus headers in bytes.", NULL},
    {"server", "timeout", KEY_INT, OFF(timeout), "30", 1, 3600,
     "Seconds a connection may stay idle between requests, or a read or write stall,\n"
     "before the connection is closed.", NULL},
    {"server", "request_timeout", KEY_INT, OFF(request_deadline), "30", 1, 3600,
     "Seconds a client has to send a whole request (line, headers and body), counted from\n"
     "the accept for a connection's first request and from the first byte of each later\n"
     "one. Past it the relay answers 408 and closes the connection.", NULL},
    {"server", "max_connections", KEY_INT, OFF(max_connections), "4096", 1, 1000000,
     "Open client connections at once, counted from the accept. A connection beyond them\n"
     "is answered 503 at once and closed, before its request is read.", NULL},
    {"server", "shutdown_timeout", KEY_INT, OFF(shutdown_timeout), "10", 0, 600,
     "Seconds SIGTERM waits for in-flight requests before exiting anyway.", NULL},
    {"storage", "dir", KEY_STRING, OFF(storage_dir), "shiprelay-data", 0, 0,
     "Directory holding all state (created if missing).", NULL},
    {"storage", "order_cache", KEY_INT, OFF(order_cache), "32", 0, 65536,
     "MiB of orders the writer keeps parsed in memory, so a busy order is not read and\n"
     "parsed again for every event (0: none).", NULL},
    {"storage", "commit_batch", KEY_INT, OFF(commit_batch), "256", 1, 10000,
     "Most requests committed together in one transaction (one fsync).", NULL},
    {"orders", "no_autoclose_sources", KEY_STRING, OFF(no_autoclose_sources), "SHOPIFY", 0, 0,
     "creation_source.source_type values (any case, space separated) whose orders record\n"
     "shipment statuses but are never auto-closed.", NULL},
    {"orders", "stuck_before_fulfillment", KEY_INT, OFF(stuck_early), "86400", 1, 31536000,
     "Seconds an open, partially_allocated or allocated order may go without a change\n"
     "before GET /ops/stuck lists it.", NULL},
    {"orders", "stuck_in_fulfillment", KEY_INT, OFF(stuck_late), "604800", 1, 31536000,
     "Seconds a processing or fulfilled order may go without a change before it is stuck.", NULL},
    {"system_logs", "spool_max_bytes", KEY_INT, OFF(spool_max_bytes), "1073741824", 65536, 1099511627776,
     "Bodies waiting for the object store may take this much local disk; beyond it requests\n"
     "that would be logged get 503 spool_full until uploads catch up.", NULL},
    {"system_logs", "upload_concurrency", KEY_INT, OFF(upload_concurrency), "64", 1, 1024,
     "Bodies moved to the object store at once: S3 requests in flight, or local files\n"
     "written per sync of the local store.", NULL},
    {"system_logs", "url_expires", KEY_INT, OFF(url_expires), "3600", 1, 604800,
     "Seconds a body download URL stays valid (X-Amz-Expires for S3).", NULL},
    {"retention", "system_logs", KEY_DURATION, OFF(keep_syslogs), "30d", 0, 315360000,
     "How long system-log entries and their bodies are kept (0: forever).", NULL},
    {"retention", "delivered_messages", KEY_DURATION, OFF(keep_delivered), "30d", 0, 315360000,
     "How long delivered and cancelled webhook messages, and their attempts, are kept after\n"
     "their last change (0: forever). OUTBOUND system-log entries read their bodies from them.", NULL},
    {"retention", "dead_messages", KEY_DURATION, OFF(keep_dead), "90d", 0, 315360000,
     "How long dead-lettered messages and their attempts are kept (0: forever).", NULL},
    {"retention", "change_logs", KEY_DURATION, OFF(keep_changelogs), "365d", 0, 315360000,
     "How long change-log entries are kept (0: forever).", NULL},
    {"retention", "seen_events", KEY_DURATION, OFF(keep_seen), "14d", 1, 315360000,
     "How long inbound event keys are remembered for deduplication: a carrier's retry of an\n"
     "event older than this is applied again (which changes nothing when it is a repeat).", NULL},
    {"retention", "parked_events", KEY_DURATION, OFF(keep_parked), "30d", 0, 315360000,
     "How long an inbound event that matches no order waits for one (0: forever).", NULL},
    {"retention", "closed_orders", KEY_DURATION, OFF(keep_orders), "0", 0, 315360000,
     "How long closed or cancelled orders are kept after their last change, with their\n"
     "change logs and system logs (0: forever).", NULL},
    {"retention", "sweep_interval", KEY_DURATION, OFF(sweep_interval), "1h", 1, 86400,
     "Time between retention sweeps. A sweep removes what has expired in small batches.", NULL},
    {"oauth", "token_ttl", KEY_INT, OFF(token_ttl), "86400", 1, 604800,
     "Seconds a bearer token from POST /oauth/token stays valid (Carriyo: 86400).", NULL},
    {"s3", "endpoint", KEY_STRING, OFF(s3_endpoint), "", 0, 0,
     "S3-compatible endpoint URL, e.g. http://127.0.0.1:9000 (path-style addressing).\n"
     "Empty: AWS, https://BUCKET.s3.REGION.amazonaws.com.", NULL},
    {"s3", "region", KEY_STRING, OFF(s3_region), "", 0, 0,
     "Region; empty: $AWS_REGION, else us-east-1.", NULL},
    {"s3", "bucket", KEY_STRING, OFF(s3_bucket), "", 0, 0,
     "Bucket for request and response bodies. Empty: bodies stay under [storage] dir.", NULL},
    {"s3", "prefix", KEY_STRING, OFF(s3_prefix), "", 0, 0,
     "Prefix for every key (keys are TENANT/YYYY/MM/DD/IDENTIFIER-request|response).", NULL},
    {"s3", "access_key_id", KEY_STRING, OFF(s3_access_key), "", 0, 0,
     "Credentials; empty: $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY, $AWS_SESSION_TOKEN.", NULL},
    {"s3", "secret_access_key", KEY_STRING, OFF(s3_secret_key), "", 0, 0, "", NULL},
    {"s3", "session_token", KEY_STRING, OFF(s3_session_token), "", 0, 0, "", NULL},
    {"s3", "timeout", KEY_INT, OFF(s3_timeout), "30", 1, 600,
     "Seconds one upload or deletion may take before it counts as failed (and is retried).", NULL},
    {"webhooks", "retry_schedule", KEY_STRING, OFF(retry_schedule), "0 5s 5m 30m 2h 5h 10h 14h 20h 24h", 0, 0,
     "Delay before each delivery attempt (s, m, h, d; a bare number is seconds), each\n"
     "with +-20% jitter. After the last attempt fails the message is dead-lettered.",
     check_schedule},
    {"webhooks", "connect_timeout", KEY_INT, OFF(connect_timeout), "5", 1, 120,
     "Seconds to connect to a merchant's endpoint (DNS, TCP and TLS).", NULL},
    {"webhooks", "timeout", KEY_INT, OFF(request_timeout), "15", 1, 600,
     "Seconds a whole delivery may take before it counts as failed (E_TIMEOUT).", NULL},
    {"webhooks", "max_in_flight", KEY_INT, OFF(max_in_flight), "64", 1, 4096,
     "Deliveries in progress at once, over all endpoints (each endpoint also has its own cap).", NULL},
    {"webhooks", "secret_grace", KEY_INT, OFF(secret_grace), "86400", 0, 2592000,
     "Seconds a rotated-out endpoint secret keeps signing beside the new one.", NULL},
    {"webhooks", "disable_after", KEY_INT, OFF(disable_after), "432000", 1, 31536000,
     "Seconds an endpoint may fail without a single success before it is disabled.", NULL},
    {"webhooks", "proxy", KEY_STRING, OFF(proxy), "", 0, 0,
     "Send deliveries through this HTTP proxy (http://HOST:PORT). The destination is resolved\n"
     "and vetted by the SSRF guard before the request, and the proxy is asked to connect to\n"
     "the vetted address. Empty: no proxy. The environment's http_proxy / HTTPS_PROXY are\n"
     "never used.",
     check_proxy},
    {"webhooks", "allow_private", KEY_STRING, OFF(allow_private), "", 0, 0,
     "Address ranges (CIDR, space separated) deliveries may reach although they are not\n"
     "global: private, loopback, link-local. Empty: only global addresses.",
     check_allow},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static char **str_field(struct config *cfg, const struct key *k)
{
    return (char **)((char *)cfg + k->offset);
}

static long *int_field(struct config *cfg, const struct key *k)
{
    return (long *)((char *)cfg + k->offset);
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

static int set_value(struct config *cfg, const struct key *k, const char *value, char *err, size_t errlen)
{
    if (k->type == KEY_STRING) {
        if (k->check && k->check(cfg, value, err, errlen) != 0)
            return -1;
        char **f = str_field(cfg, k);
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
    *int_field(cfg, k) = v;
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
    int line;     /* the line inih is on (counted by read_line) */
    int msg_line; /* where msg was found; 0 when none yet */
    char msg[256];
    /* [tenant "ID"] headers as written (inih reports no empty section). */
    char **tenant_sections;
    int *tenant_lines;
    size_t n_tenant_sections;
};

static bool parse_named_section(const char *section, const char *kind, char *out, size_t outlen);

/* Note a [tenant "ID"] header on this line, so a tenant without keys can be named. */
static void note_section(struct parse_state *st, const char *line)
{
    line += strspn(line, " \t");
    if (*line != '[')
        return;
    size_t len = strcspn(line + 1, "]");
    char inner[192], id[160];
    if (line[1 + len] != ']' || len >= sizeof inner)
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

/* inih's line reader, counting lines so errors can name theirs. */
static char *read_line(char *buf, int size, void *arg)
{
    struct parse_state *st = arg;
    char *r = fgets(buf, size, st->f);
    if (r) {
        st->line++;
        note_section(st, r);
    }
    return r;
}

/* Keep the first problem only, with its line. */
static int refuse(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct parse_state *st, const char *fmt, ...)
{
    if (st->msg_line)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->msg, sizeof st->msg, fmt, ap);
    va_end(ap);
    st->msg_line = st->line;
    return 0;
}


static struct adapter_source *source_for(struct parse_state *st, const char *tenant, const char *name)
{
    struct config *cfg = st->cfg;
    struct adapter_source *src = (struct adapter_source *)config_find_source(cfg, tenant, name);
    if (src)
        return src;
    cfg->sources = xrealloc(cfg->sources, (cfg->n_sources + 1) * sizeof *cfg->sources);
    cfg->source_lines = xrealloc(cfg->source_lines, (cfg->n_sources + 1) * sizeof *cfg->source_lines);
    src = &cfg->sources[cfg->n_sources];
    memset(src, 0, sizeof *src);
    src->tenant = xstrdup(tenant);
    src->name = xstrdup(name);
    cfg->source_lines[cfg->n_sources++] = st->line;
    return src;
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
                      "client_secret, allow_unauthenticated)",
                  name, id);
}

/* Every [tenant] has a key, once the whole file is read. */
static int check_tenants(const struct config *cfg, const struct parse_state *st, const char *path, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < st->n_tenant_sections; i++)
        if (!config_find_tenant(cfg, st->tenant_sections[i])) {
            snprintf(err, errlen, "%s:%d: [tenant \"%s\"] has no api_key", path, st->tenant_lines[i],
                     st->tenant_sections[i]);
            return -1;
        }
    return 0;
}

/* Each source belongs to a configured tenant and has what its adapter needs
 * to authenticate callers, once the whole file is read. A header-token
 * source may go without a token only when it says so
 * (allow_unauthenticated = yes). */
static int check_sources(const struct config *cfg, const char *path, char *err, size_t errlen)
{
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
        if (missing || wrong) {
            snprintf(err, errlen, "%s:%d: [source \"%s/%s\"] %s%s", path, cfg->source_lines[i], s->tenant, s->name,
                     missing ? "needs " : "", missing ? missing : wrong);
            return -1;
        }
    }
    return 0;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    char id[160];
    if (parse_named_section(section, "source", id, sizeof id))
        return on_source_entry(st, id, name, value);
    if (parse_named_section(section, "tenant", id, sizeof id)) {
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
            return 1;
        }
    }
    if (section_known)
        return refuse(st, "unknown key \"%s\" in [%s]", name, section);
    return refuse(st, "unknown section [%s]", section);
}

/* Split "HOST:PORT" / "[V6]:PORT" into cfg->listen_host and listen_port. */
static int parse_listen(struct config *cfg, char *err, size_t errlen)
{
    const char *s = cfg->listen;
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        goto bad;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        goto bad;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']')
            goto bad;
        h++;
        hl -= 2;
    }
    free(cfg->listen_host);
    cfg->listen_host = xstrndup(h, hl);
    cfg->listen_port = (int)port;
    return 0;
bad:
    snprintf(err, errlen, "server.listen must be HOST:PORT, not \"%s\"", s);
    return -1;
}

/* Fill S3 credentials and region from the usual AWS variables when the file
 * leaves them empty, and check a bucket has what it needs. */
static int resolve_s3(struct config *cfg, const char *path, char *err, size_t errlen)
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
    if (cfg->s3_enabled && (!cfg->s3_access_key[0] || !cfg->s3_secret_key[0])) {
        snprintf(err, errlen, "%s:0: [s3] bucket is set but no credentials: set access_key_id and "
                              "secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", path);
        return -1;
    }
    if (cfg->s3_endpoint[0] && strncmp(cfg->s3_endpoint, "http://", 7) && strncmp(cfg->s3_endpoint, "https://", 8)) {
        snprintf(err, errlen, "%s:0: s3.endpoint must start with http:// or https://", path);
        return -1;
    }
    return 0;
}

static void set_defaults_only(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char err[256];
    for (size_t i = 0; i < N_KEYS; i++)
        if (set_value(cfg, &keys[i], keys[i].def, err, sizeof err) != 0)
            abort(); /* a bad default is a programming error */
    parse_listen(cfg, err, sizeof err);
}

void config_defaults(struct config *cfg)
{
    set_defaults_only(cfg);
    char err[256];
    resolve_s3(cfg, "(defaults)", err, sizeof err);
    cfg->embedded = true;
    config_tenant_add_key(cfg, "demo", "demo-key-change-me");
    char err2[256];
    if (config_tenant_entry(cfg, "demo", "client_id", "demo-client", err2, sizeof err2) != 0 ||
        config_tenant_entry(cfg, "demo", "client_secret", "demo-secret-change-me", err2, sizeof err2) != 0)
        abort(); /* a bad embedded default is a programming error */
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    set_defaults_only(cfg);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct parse_state st = {.cfg = cfg, .f = f};
    int line = ini_parse_stream(read_line, &st, on_entry, &st);
    fclose(f);
    int rc = 0;
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line, st.msg_line == line ? st.msg : "syntax error");
        rc = -1;
    } else {
        rc = check_tenants(cfg, &st, path, err, errlen);
    }
    for (size_t i = 0; i < st.n_tenant_sections; i++)
        free(st.tenant_sections[i]);
    free(st.tenant_sections);
    free(st.tenant_lines);
    if (rc != 0)
        return -1;
    char msg[256];
    if (parse_listen(cfg, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s:0: %s", path, msg);
        return -1;
    }
    if (!cfg->storage_dir[0]) {
        snprintf(err, errlen, "%s:0: storage.dir must not be empty", path);
        return -1;
    }
    if (check_sources(cfg, path, err, errlen) != 0)
        return -1;
    if (config_tenants_check(cfg, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s:0: %s", path, msg);
        return -1;
    }
    return resolve_s3(cfg, path, err, errlen);
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].type == KEY_STRING)
            free(*str_field(cfg, &keys[i]));
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

static void print_doc(FILE *out, const char *doc)
{
    for (const char *p = doc; *p;) {
        size_t len = strcspn(p, "\n");
        fprintf(out, "; %.*s\n", (int)len, p);
        p += len;
        if (*p)
            p++;
    }
}

void config_print_annotated(FILE *out)
{
    fputs("; shiprelay configuration. Every key, its default and its bounds.\n"
          "; Generated by `shiprelay --print-config`; the values shown are the embedded defaults.\n",
          out);
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct key *k = &keys[i];
        if (strcmp(section, k->section) != 0) {
            fprintf(out, "\n[%s]\n", k->section);
            section = k->section;
        }
        print_doc(out, k->doc);
        if (k->type == KEY_INT)
            fprintf(out, "; range %ld..%ld", k->min, k->max);
        else if (k->type == KEY_DURATION)
            fprintf(out, "; a duration (s, m, h, d; a bare number is seconds), %lds..%lds", k->min, k->max);
        else
            fputs("; text", out);
        fprintf(out, "\n%s = %s\n\n", k->name, k->def);
    }
    fputs("; One section per tenant. api_key may be repeated: every listed key is accepted,\n"
          "; so a key can be rotated without downtime. Keys are at least 16 characters.\n"
          "; client_id / client_secret (repeatable, in pairs; a client_id may repeat with a new\n"
          ";   secret during a rotation): OAuth2 clients for POST /oauth/token. Client ids are\n"
          ";   unique across tenants; secrets are at least 16 characters.\n"
          "; require_oauth = yes: every call also needs Authorization: Bearer <token of this\n"
          ";   tenant> beside x-api-key and tenant-id (Carriyo's scheme); default no.\n"
          "; change_logs = object: GET /orders/{ref}/change-logs answers {\"change_logs\": [...]} (the\n"
          ";   shape before Carriyo parity) unless ?envelope=array; default array (Carriyo's).\n"
          "; allocation_rule = LOCATION [country=CC,..] [sku=PREFIX,..] [merchant=M,..] (repeatable, tried\n"
          ";   in order, first match wins, line by line): orders created without fulfillment orders are\n"
          ";   allocated as they land; lines no rule matches stay open with auto_allocation_failed.\n"
          ";   POST /orders/{ref}/fulfillment-orders/allocate runs them again later. None: no\n"
          ";   allocation at ingestion (orders stay open until allocated on demand).\n"
          "; Without any config file the relay runs with a demo tenant (demo / demo-key-change-me,\n"
          "; OAuth2 client demo-client / demo-secret-change-me)\n"
          "; on 127.0.0.1 only.\n"
          ";[tenant \"acme\"]\n"
          ";api_key = replace-with-a-long-random-key\n"
          ";client_id = acme-oms\n"
          ";client_secret = replace-with-a-long-random-secret\n"
          ";require_oauth = yes\n"
          ";allocation_rule = WH-DXB country=AE sku=MUG-,TEA-\n"
          ";allocation_rule = WH-RUH country=SA\n"
          "\n"
          "; One section per inbound source; it receives POST /hooks/TENANT/NAME.\n"
          "; adapter: aftership, easypost, shippo, ups, dhl, aymakan, carriyo-carrier, carriyo, wms.\n"
          "; secret: HMAC key (aftership, easypost, shippo); may be repeated during a rotation.\n"
          "; token, header: a shared token and the header it travels in (dhl needs both;\n"
          ";   carriyo-carrier defaults to api-key, carriyo, wms and aymakan to x-api-key;\n"
          ";   shippo takes the token as the ?token= query parameter).\n"
          "; allow_unauthenticated = yes: a header-token source (aymakan, dhl, carriyo-carrier,\n"
          ";   carriyo, wms) without a token, accepting callbacks from anyone who knows its URL;\n"
          ";   without it such a source is refused. Logged as a warning on every start.\n"
          "; Every source's tenant needs its [tenant] section; every tenant needs an api_key of\n"
          ";   its own (a key on two tenants is refused).\n"
          "; client_id, client_secret: OAuth2 client credentials (ups); UPS fetches a bearer token\n"
          ";   from POST /hooks/TENANT/NAME/oauth/token.\n"
          ";[source \"acme/aftership\"]\n"
          ";adapter = aftership\n"
          ";secret = the-webhook-secret-from-aftership\n",
          out);
}
