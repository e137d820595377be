/* metrics: see metrics.h.
 *
 * A counter is a _Atomic uint64_t; a histogram is one counter per bucket
 * (not cumulative: an observation touches one bucket) plus the sum, in the
 * unit it was observed in (nanoseconds, jobs) and scaled when rendered. */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"

typedef _Atomic uint64_t counter;

static void add(counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

int64_t metrics_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- histograms ---- */

#define MAX_BUCKETS 14
#define MS 1000000ULL /* nanoseconds */

struct shape {
    const char *name, *help;
    double scale; /* observed units per rendered unit */
    int n;
    uint64_t le[MAX_BUCKETS];
};

struct histo {
    counter bucket[MAX_BUCKETS + 1]; /* the last: above every bound (+Inf) */
    counter sum;
};

static const struct shape http_shape = {
    "shiprelay_http_request_duration_seconds",
    "Time from a request's arrival to its reply, by route (a write includes its commit).", 1e9, 13,
    {1 * MS, 2500000, 5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS, 250 * MS, 500 * MS, 1000 * MS, 2500 * MS,
     5000 * MS, 10000 * MS}};
static const struct shape delivery_shape = {
    "shiprelay_webhook_delivery_duration_seconds", "Time a webhook delivery attempt took (libcurl's total).", 1e9,
    13,
    {5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS, 250 * MS, 500 * MS, 1000 * MS, 2500 * MS, 5000 * MS, 10000 * MS,
     15000 * MS, 30000 * MS}};
static const struct shape commit_shape = {
    "shiprelay_store_commit_duration_seconds", "Time one store transaction took, its jobs included (SQLite: not the WAL sync, which the syncer does after).",
    1e9, 12,
    {500000, 1 * MS, 2500000, 5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS, 250 * MS, 500 * MS, 1000 * MS,
     2500 * MS}};
static const struct shape jobs_shape = {"shiprelay_store_jobs_per_commit",
                                        "Write jobs (requests, recorded deliveries, ...) one transaction held.", 1, 11,
                                        {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};

static void observe(const struct shape *sh, struct histo *h, uint64_t v)
{
    int i = 0;
    while (i < sh->n && v > sh->le[i])
        i++;
    add(&h->bucket[i], 1);
    add(&h->sum, v);
}

/* ---- the families ---- */

static const int codes[] = {200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405,
                            408, 409, 410, 413, 415, 422, 429, 500, 501, 502, 503, 504};
#define N_CODES (sizeof codes / sizeof codes[0])
#define N_SLOTS (N_CODES + 5) /* then 1xx … 5xx for any other code */

static const struct route *routes;
static size_t n_routes;
static counter (*requests)[N_SLOTS]; /* [n_routes + 1]: the last is route="unmatched" */
static struct histo *durations;      /* [n_routes + 1] */

static const char *const hook_outcomes[METRICS_HOOK__COUNT] = {
    "applied", "history_only", "unchanged", "duplicates", "parked", "refused", "rate_limited"};
static struct {
    char name[136]; /* "TENANT/SOURCE" */
    counter n[METRICS_HOOK__COUNT];
} sources[METRICS_MAX_SOURCES + 1]; /* the last: source="other" */
static atomic_int n_sources;
static pthread_mutex_t sources_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *const delivery_outcomes[METRICS_DELIVERY__COUNT] = {"delivered", "failed", "dead"};
static counter deliveries[METRICS_DELIVERY__COUNT];
static struct histo delivery_time;
static counter uploads[2][2]; /* [deletion][ok] */
static counter upload_bytes;  /* of the bodies uploaded */
static struct histo commit_time, commit_jobs;
static counter commit_failures;
static counter auth_failures[2], rate_limited[2], reloads[2];

static const char *node_label;

const char *metrics_node(void)
{
    return node_label;
}

void metrics_init(const struct route *table, size_t n, const char *node)
{
    node_label = node;
    routes = table;
    n_routes = n;
    requests = xcalloc(n + 1, sizeof *requests);
    durations = xcalloc(n + 1, sizeof *durations);
}

static int code_slot(int status)
{
    for (size_t i = 0; i < N_CODES; i++)
        if (codes[i] == status)
            return (int)i;
    int cls = status >= 100 && status < 600 ? status / 100 : 5;
    return (int)N_CODES + cls - 1;
}

void metrics_http(const struct route *route, int status, int64_t duration_ns)
{
    if (!requests)
        return;
    size_t r = route && route >= routes && route < routes + n_routes ? (size_t)(route - routes) : n_routes;
    add(&requests[r][code_slot(status)], 1);
    observe(&http_shape, &durations[r], duration_ns > 0 ? (uint64_t)duration_ns : 0);
}

/* The series of TENANT/SOURCE: found without a lock once it exists. */
static int source_slot(const char *tenant, const char *source)
{
    char name[sizeof sources[0].name];
    snprintf(name, sizeof name, "%s/%s", tenant, source);
    int n = atomic_load_explicit(&n_sources, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (strcmp(sources[i].name, name) == 0)
            return i;
    pthread_mutex_lock(&sources_mu);
    n = atomic_load_explicit(&n_sources, memory_order_relaxed);
    int slot = METRICS_MAX_SOURCES;
    for (int i = 0; i < n && slot == METRICS_MAX_SOURCES; i++)
        if (strcmp(sources[i].name, name) == 0)
            slot = i;
    if (slot == METRICS_MAX_SOURCES && n < METRICS_MAX_SOURCES) {
        memcpy(sources[n].name, name, sizeof name);
        atomic_store_explicit(&n_sources, n + 1, memory_order_release);
        slot = n;
    }
    pthread_mutex_unlock(&sources_mu);
    return slot;
}

void metrics_hook(const char *tenant, const char *source, enum metrics_hook outcome, unsigned n)
{
    if (n)
        add(&sources[source_slot(tenant, source)].n[outcome], n);
}

bool metrics_hook_counts(const char *tenant, const char *source, uint64_t out[METRICS_HOOK__COUNT])
{
    char name[sizeof sources[0].name];
    snprintf(name, sizeof name, "%s/%s", tenant, source);
    int n = atomic_load_explicit(&n_sources, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (strcmp(sources[i].name, name) == 0) {
            for (int o = 0; o < METRICS_HOOK__COUNT; o++)
                out[o] = get(&sources[i].n[o]);
            return true;
        }
    memset(out, 0, METRICS_HOOK__COUNT * sizeof *out);
    return false;
}

void metrics_delivery(enum metrics_delivery outcome, int64_t duration_ns)
{
    add(&deliveries[outcome], 1);
    observe(&delivery_shape, &delivery_time, duration_ns > 0 ? (uint64_t)duration_ns : 0);
}

void metrics_upload(bool deletion, bool ok, size_t bytes)
{
    add(&uploads[deletion][ok], 1);
    if (!deletion && ok)
        add(&upload_bytes, bytes);
}

void metrics_commit(unsigned jobs, int64_t duration_ns, bool ok)
{
    if (!ok) {
        add(&commit_failures, 1);
        return;
    }
    observe(&commit_shape, &commit_time, duration_ns > 0 ? (uint64_t)duration_ns : 0);
    observe(&jobs_shape, &commit_jobs, jobs);
}

void metrics_auth_failure(bool hook)
{
    add(&auth_failures[hook], 1);
}

void metrics_rate_limited(bool hook)
{
    add(&rate_limited[hook], 1);
}

void metrics_reload(bool applied)
{
    add(&reloads[applied], 1);
}

/* ---- rendering ---- */

static void escaped(FILE *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', out);
        if (*v == '\n')
            fputs("\\n", out);
        else
            fputc(*v, out);
    }
}

/* l's pairs, node="…" first when per_node and there is one, le="…" last. */
static void labels(FILE *out, const char *const *l, const char *le, bool per_node)
{
    const char *node = per_node ? node_label : NULL;
    if ((!l || !l[0]) && !le && !node)
        return;
    fputc('{', out);
    int n = 0;
    if (node) {
        fputs("node=\"", out);
        escaped(out, node);
        fputc('"', out);
        n++;
    }
    for (; l && l[0]; l += 2, n++) {
        fprintf(out, "%s%s=\"", n ? "," : "", l[0]);
        escaped(out, l[1]);
        fputc('"', out);
    }
    if (le)
        fprintf(out, "%sle=\"%s\"", n ? "," : "", le);
    fputc('}', out);
}

void metrics_write_sample(FILE *out, const char *name, const char *const *l, double value)
{
    fputs(name, out);
    labels(out, l, NULL, false);
    if (value == (double)(long long)value && value < 1e15 && value > -1e15)
        fprintf(out, " %lld\n", (long long)value);
    else
        fprintf(out, " %.9g\n", value);
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void count(FILE *out, const char *name, const char *const *l, uint64_t v)
{
    fputs(name, out);
    labels(out, l, NULL, true);
    fprintf(out, " %llu\n", (unsigned long long)v);
}

static void histogram(FILE *out, const struct shape *sh, struct histo *h, const char *const *l)
{
    char series[128], le[32];
    uint64_t cum = 0;
    snprintf(series, sizeof series, "%s_bucket", sh->name);
    for (int i = 0; i <= sh->n; i++) {
        cum += get(&h->bucket[i]);
        if (i < sh->n)
            snprintf(le, sizeof le, "%.6g", (double)sh->le[i] / sh->scale);
        fputs(series, out);
        labels(out, l, i < sh->n ? le : "+Inf", true);
        fprintf(out, " %llu\n", (unsigned long long)cum);
    }
    snprintf(series, sizeof series, "%s_sum", sh->name);
    fputs(series, out);
    labels(out, l, NULL, true);
    fprintf(out, " %.9g\n", (double)get(&h->sum) / sh->scale);
    snprintf(series, sizeof series, "%s_count", sh->name);
    count(out, series, l, cum);
}

static uint64_t histo_total(struct histo *h)
{
    uint64_t n = 0;
    for (int i = 0; i <= MAX_BUCKETS; i++)
        n += get(&h->bucket[i]);
    return n;
}

static void render_http(FILE *out)
{
    head(out, "shiprelay_http_requests_total", "counter",
         "Replies sent, by route (method and template; unmatched: no route) and status code (others by class).");
    for (size_t r = 0; requests && r <= n_routes; r++)
        for (size_t s = 0; s < N_SLOTS; s++) {
            uint64_t v = get(&requests[r][s]);
            char code[8];
            if (s < N_CODES)
                snprintf(code, sizeof code, "%d", codes[s]);
            else
                snprintf(code, sizeof code, "%zuxx", s - N_CODES + 1);
            const char *l[] = {"method", r < n_routes ? routes[r].method : "", "route",
                               r < n_routes ? routes[r].pattern : "unmatched", "code", code, NULL};
            if (v)
                count(out, "shiprelay_http_requests_total", l, v);
        }
    head(out, http_shape.name, "histogram", http_shape.help);
    for (size_t r = 0; durations && r <= n_routes; r++) {
        const char *l[] = {"method", r < n_routes ? routes[r].method : "", "route",
                           r < n_routes ? routes[r].pattern : "unmatched", NULL};
        if (histo_total(&durations[r]))
            histogram(out, &http_shape, &durations[r], l);
    }
}

static void render_hooks(FILE *out)
{
    head(out, "shiprelay_hook_events_total", "counter",
         "Inbound hook events by source (TENANT/NAME) and what became of them; refused and rate_limited count "
         "callbacks turned away before their events were read.");
    int n = atomic_load_explicit(&n_sources, memory_order_acquire);
    for (int i = 0; i <= n; i++) {
        int slot = i < n ? i : METRICS_MAX_SOURCES;
        for (int o = 0; o < METRICS_HOOK__COUNT; o++) {
            const char *l[] = {"source", i < n ? sources[slot].name : "other", "outcome", hook_outcomes[o], NULL};
            if (i < n || get(&sources[slot].n[o]))
                count(out, "shiprelay_hook_events_total", l, get(&sources[slot].n[o]));
        }
    }
}

static void pair(FILE *out, const char *name, const char *help, const char *label, const char *no, const char *yes,
                 counter c[2])
{
    head(out, name, "counter", help);
    count(out, name, (const char *[]){label, no, NULL}, get(&c[0]));
    count(out, name, (const char *[]){label, yes, NULL}, get(&c[1]));
}

void metrics_render(FILE *out)
{
    render_http(out);
    render_hooks(out);
    head(out, "shiprelay_webhook_deliveries_total", "counter",
         "Webhook delivery attempts by outcome: delivered (2xx), failed (a retry is scheduled), dead (the last).");
    for (int o = 0; o < METRICS_DELIVERY__COUNT; o++)
        count(out, "shiprelay_webhook_deliveries_total", (const char *[]){"outcome", delivery_outcomes[o], NULL},
              get(&deliveries[o]));
    head(out, delivery_shape.name, "histogram", delivery_shape.help);
    histogram(out, &delivery_shape, &delivery_time, NULL);
    head(out, "shiprelay_body_uploads_total", "counter",
         "Bodies moved to the object store (op=upload) and deleted from it (op=delete), by outcome.");
    for (int d = 0; d < 2; d++)
        for (int ok = 1; ok >= 0; ok--)
            count(out, "shiprelay_body_uploads_total",
                  (const char *[]){"op", d ? "delete" : "upload", "outcome", ok ? "ok" : "failed", NULL},
                  get(&uploads[d][ok]));
    head(out, "shiprelay_body_upload_bytes_total", "counter", "Bytes of the bodies moved to the object store.");
    count(out, "shiprelay_body_upload_bytes_total", NULL, get(&upload_bytes));
    head(out, commit_shape.name, "histogram", commit_shape.help);
    histogram(out, &commit_shape, &commit_time, NULL);
    head(out, jobs_shape.name, "histogram", jobs_shape.help);
    histogram(out, &jobs_shape, &commit_jobs, NULL);
    head(out, "shiprelay_store_commit_failures_total", "counter",
         "Store transactions that failed and were rolled back (their requests got 503).");
    count(out, "shiprelay_store_commit_failures_total", NULL, get(&commit_failures));
    pair(out, "shiprelay_auth_failures_total", "Requests refused for their credentials: API key, or a source's own.",
         "kind", "api_key", "hook", auth_failures);
    pair(out, "shiprelay_rate_limited_total", "Requests refused 429 by a tenant's API or a source's rate limit.",
         "kind", "api", "hook", rate_limited);
    pair(out, "shiprelay_config_reloads_total", "SIGHUP reloads: applied, or refused (the running config stayed).",
         "outcome", "refused", "applied", reloads);
}
