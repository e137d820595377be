/* handlers_metrics: GET /metrics. The gauges read from the store at scrape
 * time (stuck orders, outbox by status, pending by endpoint) and from
 * store_stats (spool, jobs, commits), then metrics.c's counters and
 * histograms.
 *
 * When the store cannot be read (PostgreSQL away), the scrape still
 * answers 200 with this process's figures and shiprelay_store_readable 0;
 * the gauges read from the store are left out of it.
 *
 * In a fleet (PostgreSQL) what is read from the database is the fleet's
 * and has no node label; this process's figures have node="NAME"
 * (metrics.h).
 *
 * Pending by endpoint keeps its label set bounded: the PENDING_TOP
 * endpoints with the largest backlogs get their own series, the rest are
 * summed under endpoint="other" (tenant="other"). */
#include "handlers_metrics.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "metrics.h"
#include "stale_reads.h"
#include "store.h"
#include "stuck.h"
#include "timeutil.h"

#define PENDING_TOP 20

static void head(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void stuck_orders(FILE *out, json_t *counts)
{
    head(out, "shiprelay_stuck_orders", "gauge",
         "Orders that have stayed in their status longer than [orders] stuck_* allows, by status.");
    for (size_t k = 0; k < CONFIG_STUCK_STATUSES; k++) {
        json_t *c = ju_find_by(counts, "status", config_stuck_statuses[k]);
        metrics_write_sample(out, "shiprelay_stuck_orders", (const char *[]){"status", config_stuck_statuses[k], NULL},
                             (double)json_integer_value(json_object_get(c, "n")));
    }
}

/* Outbox messages by status: the waiting ones always, any other status the
 * store counts (store_read_message_counts) as it comes. */
static void messages(FILE *out, json_t *counts, json_t *pending)
{
    static const char *waiting[] = {"pending", "held", "dead"};
    head(out, "shiprelay_webhook_messages", "gauge", "Outbox messages by status.");
    for (size_t k = 0; k < sizeof waiting / sizeof waiting[0]; k++) {
        json_int_t n = 0;
        size_t i;
        json_t *r;
        json_array_foreach(counts, i, r)
        {
            if (!strcmp(json_string_value(json_object_get(r, "status")), waiting[k]))
                n = json_integer_value(json_object_get(r, "n"));
        }
        metrics_write_sample(out, "shiprelay_webhook_messages", (const char *[]){"status", waiting[k], NULL},
                             (double)n);
    }
    size_t i;
    json_t *r;
    json_array_foreach(counts, i, r)
    {
        const char *status = json_string_value(json_object_get(r, "status"));
        if (strcmp(status, "pending") && strcmp(status, "held") && strcmp(status, "dead"))
            metrics_write_sample(out, "shiprelay_webhook_messages", (const char *[]){"status", status, NULL},
                                 (double)json_integer_value(json_object_get(r, "n")));
    }
    head(out, "shiprelay_webhook_pending_messages", "gauge",
         "Messages waiting for delivery, for the endpoints with the largest backlogs; the rest summed under "
         "endpoint=\"other\".");
    json_int_t other = 0;
    json_array_foreach(pending, i, r)
    {
        json_int_t n = json_integer_value(json_object_get(r, "pending"));
        if (i >= PENDING_TOP) {
            other += n;
            continue;
        }
        metrics_write_sample(out, "shiprelay_webhook_pending_messages",
                             (const char *[]){"endpoint", json_string_value(json_object_get(r, "endpoint")), "tenant",
                                              json_string_value(json_object_get(r, "tenant")), NULL},
                             (double)n);
    }
    metrics_write_sample(out, "shiprelay_webhook_pending_messages",
                         (const char *[]){"endpoint", "other", "tenant", "other", NULL}, (double)other);
}

static void store_counts(FILE *out, struct store *st)
{
    unsigned long jobs, commits;
    long long spool;
    store_stats(st, &jobs, &commits, &spool);
    /* the spool is the fleet's (one database); jobs and commits this node's */
    const char *node[] = {"node", metrics_node(), NULL};
    const char *const *mine = metrics_node() ? node : NULL;
    head(out, "shiprelay_spool_bytes", "gauge", "System-log bodies waiting for the object store.");
    metrics_write_sample(out, "shiprelay_spool_bytes", NULL, (double)spool);
    head(out, "shiprelay_store_jobs_total", "counter", "Write jobs committed.");
    metrics_write_sample(out, "shiprelay_store_jobs_total", mine, (double)jobs);
    head(out, "shiprelay_store_commits_total", "counter", "Transactions (fsyncs) that held them.");
    metrics_write_sample(out, "shiprelay_store_commits_total", mine, (double)commits);
}

/* This node's kept answers (stale_reads.h). */
static void stale_figures(FILE *out)
{
    unsigned long served;
    size_t entries, bytes;
    stale_reads_figures(&served, &entries, &bytes);
    const char *node[] = {"node", metrics_node(), NULL};
    const char *const *mine = metrics_node() ? node : NULL;
    head(out, "shiprelay_stale_reads_total", "counter",
         "Reads the store could not answer that got this node's last answer instead ([storage] stale_reads).");
    metrics_write_sample(out, "shiprelay_stale_reads_total", mine, (double)served);
    head(out, "shiprelay_stale_reads_kept", "gauge", "Answers this node keeps for that.");
    metrics_write_sample(out, "shiprelay_stale_reads_kept", mine, (double)entries);
    head(out, "shiprelay_stale_reads_bytes", "gauge", "Their size in bytes.");
    metrics_write_sample(out, "shiprelay_stale_reads_bytes", mine, (double)bytes);
}

void handle_metrics(struct http_ctx *ctx)
{
    struct store_stuck_rule rules[CONFIG_STUCK_STATUSES];
    char cut[CONFIG_STUCK_STATUSES][TIME_ISO_LEN];
    int n = stuck_rules(ctx->cfg, time_now_ms(), rules, cut);
    json_t *stuck = store_count_stuck(ctx->reader, rules, n);
    json_t *counts = stuck ? store_read_message_counts(ctx->reader) : NULL;
    json_t *pending = counts ? store_read_pending_by_endpoint(ctx->reader) : NULL;
    bool readable = stuck && counts && pending;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    /* the node's own figures are served while the database is away; what is read from it is left out */
    head(out, "shiprelay_store_readable", "gauge",
         "1 when the store answered this scrape; 0: the figures read from it are missing.");
    metrics_write_sample(out, "shiprelay_store_readable", NULL, readable ? 1 : 0);
    if (readable) {
        stuck_orders(out, stuck);
        messages(out, counts, pending);
    }
    store_counts(out, ctx->store);
    stale_figures(out);
    metrics_render(out);
    fclose(out);
    json_decref(stuck);
    json_decref(counts);
    json_decref(pending);
    evbuffer_add(evhttp_request_get_output_buffer(ctx->req), text, len);
    free(text);
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Content-Type", "text/plain; version=0.0.4");
    http_reply_json(ctx, 200, NULL);
}
