/* stuck: the rules, and the task that fires order.stuck. See stuck.h. */
#include "stuck.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "order.h"
#include "pipeline.h"
#include "reload.h"
#include "syslog.h"
#include "xmalloc.h"

#define BATCH 200
#define MARGIN_MS (5 * 60 * 1000) /* a write may commit this long after its timestamp */
#define N CONFIG_STUCK_STATUSES

int stuck_rules(const struct config *cfg, int64_t now_ms, struct store_stuck_rule rules[N], char cut[N][TIME_ISO_LEN])
{
    int n = 0;
    for (int i = 0; i < N; i++) {
        long after = config_stuck_after(cfg, i);
        if (after <= 0)
            continue;
        time_format_iso(now_ms - (int64_t)after * 1000, cut[n]);
        rules[n] = (struct store_stuck_rule){config_stuck_statuses[i], cut[n]};
        n++;
    }
    return n;
}

struct position {
    char since[TIME_ISO_LEN];
    long long seq;
};

struct scan {
    /* across passes: per status, where a pass may resume (trailing the cutoff by MARGIN_MS) */
    struct position resume[N];
    /* this pass, fixed at its start */
    long interval;
    int64_t now;
    char now_iso[TIME_ISO_LEN];
    struct store_stuck_rule rules[N];
    char cut[N][TIME_ISO_LEN], safe[N][TIME_ISO_LEN];
    long thresholds[N];
    int n_rules;
    /* the batch: the rule and where it starts (set by begin and end) */
    int rule;
    struct position from;
    /* what the batch's last run found (each run sets them again) */
    int rows, fired;
    struct position last, last_safe;
    bool any_safe;
};

/* The order's stuck episode: the STUCK change-log entry, the webhook, the
 * mark. STORE_OK (also when the order has moved on meanwhile), STORE_EIO. */
static int fire(struct store_txn *txn, struct scan *w, const json_t *row, long threshold)
{
    const char *tenant = json_string_value(json_object_get(row, "tenant"));
    const char *order_id = json_string_value(json_object_get(row, "order_id"));
    const char *since = json_string_value(json_object_get(row, "status_since"));
    int marked = store_stuck_mark(txn, tenant, order_id, since);
    if (marked <= 0)
        return marked < 0 ? STORE_EIO : STORE_OK;
    json_t *order = store_order_peek(txn, tenant, STORE_KEY_ORDER_ID, order_id);
    json_t *last = store_order_last_event(txn, tenant, order_id);
    if (!order || !last) {
        json_decref(order);
        json_decref(last);
        return order ? STORE_EIO : STORE_OK;
    }
    int64_t since_ms = 0;
    time_parse_iso(since, &since_ms, NULL);
    json_t *info = json_pack("{s:O?,s:O?,s:s,s:I,s:I,s:o}", "status", json_object_get(order, "status"), "sub_status",
                             json_object_get(order, "sub_status"), "status_since", since, "time_in_status_seconds", (json_int_t)((w->now - since_ms) / 1000),
                             "threshold_seconds", (json_int_t)threshold, "last_event", last);
    json_t *changes = json_array(), *logged = json_deep_copy(info);
    json_object_del(logged, "last_event");
    order_change(changes, "STUCK", "order", order_id, "status", NULL, logged);
    int rc = store_changelog_add(txn, tenant, order_id, w->now_iso, "HOUSEKEEPING", changes);
    char cor[32];
    syslog_new_correlation_id(cor);
    struct pipeline_write pw = {NULL, tenant, "HOUSEKEEPING", cor, w->now_iso, NULL, "ORDER_STUCK", NULL};
    json_t *extra = json_pack("{s:O}", "stuck", info);
    if (rc == STORE_OK)
        rc = pipeline_notify(txn, &pw, order, extra);
    json_decref(extra);
    json_decref(logged);
    json_decref(changes);
    json_decref(info);
    json_decref(order);
    return rc;
}

static int scan_job(struct store_txn *txn, void *arg)
{
    struct scan *w = arg;
    w->rows = w->fired = 0;
    w->any_safe = false;
    if (w->rule >= w->n_rules)
        return STORE_OK;
    const struct store_stuck_rule *rule = &w->rules[w->rule];
    json_t *rows = store_stuck_scan(txn, rule, w->from.since, w->from.seq, BATCH);
    if (!rows)
        return STORE_EIO;
    int rc = STORE_OK;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *since = json_string_value(json_object_get(r, "status_since"));
        struct position at = {"", json_integer_value(json_object_get(r, "seq"))};
        snprintf(at.since, sizeof at.since, "%s", since ? since : "");
        w->last = at;
        if (strcmp(at.since, w->safe[w->rule]) < 0) {
            w->last_safe = at;
            w->any_safe = true;
        }
        if (!json_is_true(json_object_get(r, "notified"))) {
            rc = fire(txn, w, r, w->thresholds[w->rule]);
            w->fired++;
        }
        if (rc != STORE_OK)
            break;
    }
    w->rows = (int)json_array_size(rows);
    json_decref(rows);
    return rc;
}

static void begin(void *arg, bool first)
{
    struct scan *w = arg;
    if (!first)
        return; /* end set where the next batch starts */
    const struct config *cfg = reload_acquire(); /* thresholds and interval follow a reload */
    w->now = time_now_ms();
    time_format_iso(w->now, w->now_iso);
    w->n_rules = 0;
    for (int i = 0; i < N; i++) {
        long after = config_stuck_after(cfg, i);
        time_format_iso(w->now - (int64_t)after * 1000, w->cut[i]);
        time_format_iso(w->now - (int64_t)after * 1000 - MARGIN_MS, w->safe[i]);
        w->rules[i] = (struct store_stuck_rule){config_stuck_statuses[i], w->cut[i]};
        w->thresholds[i] = after;
        w->n_rules++;
    }
    w->interval = cfg->stuck_scan_interval;
    reload_release(cfg);
    w->rule = 0;
    w->from = w->resume[0];
}

static bool end(void *arg, int rc)
{
    struct scan *w = arg;
    if (rc != STORE_OK || w->rule >= w->n_rules)
        return false;
    if (w->fired)
        log_info("stuck: order.stuck fired for %d %s order%s", w->fired, w->rules[w->rule].status,
                 w->fired == 1 ? "" : "s");
    if (w->any_safe)
        w->resume[w->rule] = w->last_safe;
    if (w->rows >= BATCH) {
        w->from = w->last; /* more of this status */
        return true;
    }
    if (++w->rule >= w->n_rules)
        return false;
    w->from = w->resume[w->rule];
    return true;
}

static long interval(void *arg)
{
    return ((struct scan *)arg)->interval;
}

struct housekeeping_task stuck_task(void)
{
    struct scan *w = xcalloc(1, sizeof *w);
    w->interval = 60;
    return (struct housekeeping_task){"stuck-order", interval, begin, scan_job, end, w, free, "stuck-order scans"};
}
