/* Mirrors relay/metrics.c: counters by route and code, cumulative
 * histogram buckets, hook sources up to the cap and then "other", label
 * escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"

static int h;
static const struct route table[] = {
    {"GET", "/orders/{reference}", &h, 0, "A"},
    {"POST", "/orders", &h, 0, "B"},
};

static char *render(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    metrics_render(out);
    fclose(out);
    return text;
}

static void has(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("missing \"%s\" in:\n%s", line, text);
}

static void requests_and_histograms(void **state)
{
    metrics_init(table, 2, NULL);
    metrics_http(&table[1], 201, 3000000);   /* 3 ms */
    metrics_http(&table[1], 201, 40000000);  /* 40 ms */
    metrics_http(&table[1], 418, 20000000000); /* 20 s: above every bucket, and an odd code */
    metrics_http(NULL, 404, 0);
    char *text = render();
    has(text, "# TYPE shiprelay_http_requests_total counter\n");
    has(text, "shiprelay_http_requests_total{method=\"POST\",route=\"/orders\",code=\"201\"} 2\n");
    has(text, "shiprelay_http_requests_total{method=\"POST\",route=\"/orders\",code=\"4xx\"} 1\n");
    has(text, "shiprelay_http_requests_total{method=\"\",route=\"unmatched\",code=\"404\"} 1\n");
    assert_null(strstr(text, "route=\"/orders/{reference}\",code")); /* no traffic, no series */
    has(text, "# TYPE shiprelay_http_request_duration_seconds histogram\n");
    has(text, "shiprelay_http_request_duration_seconds_bucket{method=\"POST\",route=\"/orders\",le=\"0.001\"} 0\n");
    has(text, "shiprelay_http_request_duration_seconds_bucket{method=\"POST\",route=\"/orders\",le=\"0.005\"} 1\n");
    has(text, "shiprelay_http_request_duration_seconds_bucket{method=\"POST\",route=\"/orders\",le=\"0.05\"} 2\n");
    has(text, "shiprelay_http_request_duration_seconds_bucket{method=\"POST\",route=\"/orders\",le=\"10\"} 2\n");
    has(text, "shiprelay_http_request_duration_seconds_bucket{method=\"POST\",route=\"/orders\",le=\"+Inf\"} 3\n");
    has(text, "shiprelay_http_request_duration_seconds_sum{method=\"POST\",route=\"/orders\"} 20.043\n");
    has(text, "shiprelay_http_request_duration_seconds_count{method=\"POST\",route=\"/orders\"} 3\n");
    free(text);
}

static void commits_and_deliveries(void **state)
{
    metrics_commit(3, 2000000, true);
    metrics_commit(40, 2000000, true);
    metrics_commit(7, 0, false);
    metrics_delivery(METRICS_DELIVERY_DEAD, 1000000);
    metrics_upload(true, false, 0);
    metrics_upload(false, true, 1234);
    metrics_upload(false, false, 99);
    char *text = render();
    has(text, "shiprelay_body_upload_bytes_total 1234\n");
    has(text, "shiprelay_store_jobs_per_commit_bucket{le=\"4\"} 1\n");
    has(text, "shiprelay_store_jobs_per_commit_bucket{le=\"32\"} 1\n");
    has(text, "shiprelay_store_jobs_per_commit_bucket{le=\"64\"} 2\n");
    has(text, "shiprelay_store_jobs_per_commit_sum 43\n");
    has(text, "shiprelay_store_commit_failures_total 1\n");
    has(text, "shiprelay_webhook_deliveries_total{outcome=\"dead\"} 1\n");
    has(text, "shiprelay_webhook_deliveries_total{outcome=\"delivered\"} 0\n");
    has(text, "shiprelay_body_uploads_total{op=\"delete\",outcome=\"failed\"} 1\n");
    free(text);
}

static void sources_are_bounded(void **state)
{
    char name[32];
    for (int i = 0; i < METRICS_MAX_SOURCES + 3; i++) {
        snprintf(name, sizeof name, "s%d", i);
        metrics_hook("t", name, METRICS_HOOK_PARKED, 2);
    }
    metrics_hook("t", "s0", METRICS_HOOK_APPLIED, 1);
    metrics_hook("t", "a\"b", METRICS_HOOK_APPLIED, 0); /* nothing counted: no series */
    char *text = render();
    has(text, "shiprelay_hook_events_total{source=\"t/s0\",outcome=\"applied\"} 1\n");
    has(text, "shiprelay_hook_events_total{source=\"t/s0\",outcome=\"parked\"} 2\n");
    has(text, "shiprelay_hook_events_total{source=\"t/s0\",outcome=\"refused\"} 0\n");
    has(text, "shiprelay_hook_events_total{source=\"other\",outcome=\"parked\"} 6\n");
    assert_null(strstr(text, "source=\"other\",outcome=\"applied\""));
    snprintf(name, sizeof name, "source=\"t/s%d\"", METRICS_MAX_SOURCES);
    assert_null(strstr(text, name));
    free(text);
    /* one source's counts, for GET /ops/hooks: none for a source summed under "other" */
    uint64_t n[METRICS_HOOK__COUNT];
    assert_true(metrics_hook_counts("t", "s0", n));
    assert_int_equal(n[METRICS_HOOK_APPLIED], 1);
    assert_int_equal(n[METRICS_HOOK_PARKED], 2);
    snprintf(name, sizeof name, "s%d", METRICS_MAX_SOURCES);
    assert_false(metrics_hook_counts("t", name, n));
    assert_int_equal(n[METRICS_HOOK_PARKED], 0);
    /* label values are escaped */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    metrics_write_sample(f, "x", (const char *[]){"l", "a\"b\\c\nd", NULL}, 0.25);
    fclose(f);
    assert_string_equal(out, "x{l=\"a\\\"b\\\\c\\nd\"} 0.25\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_and_histograms),
        cmocka_unit_test(commits_and_deliveries),
        cmocka_unit_test(sources_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
