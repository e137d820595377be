/* config: the daemon's settings, from embedded defaults and an INI file.
 *
 * One table in config.c names every key with its type, default, bounds and
 * whether a reload may change it (config_keys.h); the parser,
 * `--check-config`, the annotated listing printed by `shiprelay
 * --print-config` (the source of config/shiprelay.conf) and the effective
 * config printed by `--print-config --config FILE` all follow from it.
 *
 * Ownership: config_load fills a struct config the caller owns and releases
 * with config_free. Nothing in it changes after load: a reload builds a new
 * one (reload.h). */
#ifndef SHIPRELAY_CONFIG_H
#define SHIPRELAY_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "adapter.h"
#include "allocation.h"
#include "ssrf.h"

/* A token bucket: rate requests per second, up to burst at once (0: burst =
 * rate). rate 0: no limit; -1: not set here (the [limits] default applies). */
struct config_limit {
    long rate, burst;
};

/* An OAuth2 client of a tenant (client_id / client_secret pairs). The
 * same id may appear twice with different secrets during a rotation. */
struct config_client {
    char *id;
    char *secret;
};

struct config_tenant {
    char *id;
    char **api_keys; /* one or more; several during a key rotation */
    size_t n_api_keys;
    struct config_client *clients; /* POST /oauth/token credentials (config_tenant.c) */
    size_t n_clients;
    bool require_oauth; /* every API call also needs a bearer token of this tenant */
    bool change_logs_object; /* change_logs = object: {"change_logs": […]} instead of Carriyo's bare array */
    struct allocation_rule *rules; /* allocation_rule lines, in order (allocation.h) */
    size_t n_rules;
    struct config_limit limit; /* rate_limit, rate_burst of its API calls */
};

struct config {
    /* [server] */
    char *listen; /* "HOST:PORT" as written */
    char *public_url; /* how clients reach the relay, for links it hands out; "" = from the Host header */
    char *listen_host;
    int listen_port;
    long threads;
    long max_body;
    long max_header;
    long timeout;          /* idle, between requests */
    long request_deadline; /* [server] request_timeout: a whole request */
    long max_connections;
    long shutdown_timeout;
    char *node_id; /* never empty after load: the host name by default */
    /* [storage] */
    char *storage_backend, *storage_url, *single_node_text;
    bool postgresql;  /* backend = postgresql */
    bool single_node; /* single_node = yes */
    char *storage_dir;
    long commit_batch;
    long stale_reads;       /* [storage] seconds a kept answer may be served while the store is away */
    long stale_reads_cache; /* [storage] MiB of kept answers */
    long order_cache;
    /* [orders] */
    char *no_autoclose_sources; /* space/comma separated, compared case-insensitively */
    long stuck_early, stuck_late; /* seconds; see [orders] stuck_before_fulfillment, stuck_in_fulfillment */
    long max_line_items, max_fulfillment_orders, max_shipments, inline_history; /* bounds (order_limits.h) */
    long stuck_after[5];          /* [orders] stuck_STATUS per config_stuck_statuses (0: the group's) */
    long stuck_scan_interval;     /* seconds between scans for newly stuck orders */
    /* [webhooks] */
    char *retry_schedule;
    long retry_delays[32]; /* seconds before attempt 1, 2, …: parsed from retry_schedule */
    int n_retry;
    long connect_timeout, request_timeout, max_in_flight, secret_grace, disable_after, max_endpoints;
    char *allow_private;
    char *proxy; /* [webhooks] proxy: http://HOST:PORT, "" for none */
    struct ssrf_cidr allow[16];
    int n_allow;
    /* [s3] (bodies go to <storage>/bodies without it) */
    char *s3_endpoint, *s3_region, *s3_bucket, *s3_prefix, *s3_access_key, *s3_secret_key, *s3_session_token;
    long s3_timeout;
    bool s3_enabled; /* a bucket is configured */
    /* [system_logs] */
    long spool_max_bytes, url_expires, upload_concurrency;
    /* [retention], seconds (0: forever) */
    long keep_syslogs, keep_delivered, keep_dead, keep_changelogs, keep_seen, keep_parked, keep_orders,
        keep_returns, sweep_interval;
    /* [oauth] */
    long token_ttl; /* seconds a POST /oauth/token token is valid */
    /* [log] */
    char *log_level, *access_format, *access_log;
    int log_min;       /* log_level as an enum log_level */
    int access_kind;   /* access_format: 0 off, 1 logfmt, 2 json */
    long auth_log_rate; /* failed-authentication lines per second per peer */
    /* [limits]: the defaults of tenants' API calls and of each source's callbacks */
    long api_rate, api_burst, hook_rate, hook_burst;
    /* [console] */
    char *admin_key; /* the operator's x-admin-key ("": none) */
    /* [tenant "ID"] */
    struct config_tenant *tenants;
    size_t n_tenants;
    /* [source "TENANT/NAME"] */
    struct adapter_source *sources;
    int *source_lines; /* where each section starts, for messages */
    struct config_limit *source_limits; /* rate_limit, rate_burst of each source */
    size_t n_sources;
    /* Where it came from: the file (NULL for the embedded defaults) and the
     * line each table key was set on (0: its default), for messages. */
    char *path;
    int *key_lines;
    /* true when no file was given: loopback only, with the demo tenant */
    bool embedded;
};

/* Fill cfg with the embedded defaults (a demo tenant `demo` / `demo-key`). */
void config_defaults(struct config *cfg);
/* Load path over the defaults (no demo tenant). On failure returns -1 with
 * every problem found in err, one "path:line: message" per line (as many as
 * fit); cfg must still be freed. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
void config_free(struct config *cfg);

const struct config_tenant *config_find_tenant(const struct config *cfg, const char *id);
/* The tenant that has an OAuth2 client with this id, or NULL. */
const struct config_tenant *config_find_client_tenant(const struct config *cfg, const char *client_id);
const struct adapter_source *config_find_source(const struct config *cfg, const char *tenant, const char *name);
/* The statuses an order can be stuck in, and how long it may stay in the
 * i-th before it is (seconds; its stuck_STATUS key, else its group's). */
#define CONFIG_STUCK_STATUSES 5
extern const char *const config_stuck_statuses[CONFIG_STUCK_STATUSES];
long config_stuck_after(const struct config *cfg, int i);
/* True when source_type is in no_autoclose_sources (any case). */
bool config_source_skips_autoclose(const struct config *cfg, const char *source_type);
/* [tenant "ID"] sections (config_tenant.c, used by config.c): one key;
 * 0, or -1 with a message in err. Then the checks that need the whole
 * file; then freeing. */
bool config_valid_id(const char *id); /* 1-64 of A-Z a-z 0-9 - _ . */
int config_tenant_entry(struct config *cfg, const char *id, const char *name, const char *value, char *err,
                        size_t errlen);
int config_tenants_check(const struct config *cfg, char *err, size_t errlen);
void config_tenant_add_key(struct config *cfg, const char *id, const char *key);
/* The tenant with this id, made (with no keys) when there is none yet. */
struct config_tenant *config_tenant_for(struct config *cfg, const char *id);
void config_tenants_free(struct config *cfg);
/* Write every key with its documentation and default, as INI (config_print.c). */
void config_print_annotated(FILE *out);
/* Write cfg as INI: every key's effective value, tenants and sources, with
 * secrets (keys, tokens, secrets, S3 credentials) masked (config_print.c). */
void config_print_effective(FILE *out, const struct config *cfg);

#endif
