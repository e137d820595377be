/* loadgen: shipment-status-updates at a fixed rate, for the latency and
 * sustained runs (wrk measures throughput; this holds a rate).
 *
 *   loadgen --url BASE --rate R --duration D [--conns K] --prefix P --orders N
 *           [--tenant T --key KEY] [--out FILE] [--report SECS] [--timeout SECS]
 *
 * Open loop: request i is due at start + i/R whatever happened before; up to
 * K (default 64) are in flight over K keep-alive connections (libcurl multi
 * on libevent, curl_ev.h). When all K are busy, due requests wait and their
 * latency counts from when they were due (no coordinated omission). Each is a
 * POST BASE/orders/shipment-status-update for order P<i mod N> (shipment
 * P<n>-S), status shipped, then in_transit, out_for_delivery, delayed,
 * in_transit, ... round after round, with a status_date one second later
 * each round: every request moves a shipment, never to a final status. Each
 * carries a unique x-correlation-id; for every 2xx, "correlation_id
 * 2xx_time_ns" (CLOCK_REALTIME when the reply was complete) goes to FILE.
 *
 * Every SECS (default 10) it prints a "progress" line with running counts
 * (for the sustained run's samples), and at the end one "result" line:
 * achieved 2xx rate, non-2xx counts by status (503 spool_full is the one to
 * watch), transport errors, requests never sent because they were still
 * waiting when the duration ended, and latency p50/p99/max from due time.
 * It always ends: after D seconds nothing new starts, and each request gives
 * up after --timeout seconds (default 10). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_ev.h"

struct slot {
    CURL *easy;
    struct curl_slist *headers;
    long index;
    char body[768];
    char cid[64];
    struct slot *next_free;
};

static struct {
    const char *base_url, *prefix, *tenant, *key, *out_path;
    double rate, duration, report;
    long conns, orders, timeout;
    long long t0;                      /* CLOCK_MONOTONIC ns */
    long started, due_total, inflight; /* due_total: R * D */
    long ok, non2xx, errors;
    long codes[600];
    double *lat_ms;
    long n_lat;
    bool stopping;
    struct slot *free_slots;
    FILE *out;
    char run_id[32];
    struct cev cev;
    struct event *due_timer, *report_timer, *stop_timer;
} g;

static const char *status_for(long round)
{
    static const char *cycle[] = {"in_transit", "out_for_delivery", "delayed"};
    return round == 0 ? "shipped" : cycle[(round - 1) % 3];
}

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
    return size * n;
}

static void start(struct slot *s, long i)
{
    s->index = i;
    long order = i % g.orders, round = i / g.orders;
    time_t when = 1795000000 + round; /* 2026-11-18, one second later each round */
    struct tm tm;
    gmtime_r(&when, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(s->body, sizeof s->body,
             "{\"references\":{\"partner_order_reference\":\"%s%ld\",\"partner_shipment_reference\":\"%s%ld-S\"},"
             "\"post_shipping_info\":{\"status\":\"%s\",\"status_date\":\"%s\"}}",
             g.prefix, order, g.prefix, order, status_for(round), date);
    snprintf(s->cid, sizeof s->cid, "lg-%s-%ld", g.run_id, i);

    char line[256];
    curl_slist_free_all(s->headers);
    s->headers = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(line, sizeof line, "tenant-id: %s", g.tenant);
    s->headers = curl_slist_append(s->headers, line);
    snprintf(line, sizeof line, "x-api-key: %s", g.key);
    s->headers = curl_slist_append(s->headers, line);
    snprintf(line, sizeof line, "x-correlation-id: %s", s->cid);
    s->headers = curl_slist_append(s->headers, line);
    s->headers = curl_slist_append(s->headers, "Expect:");
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
    g.started++;
    g.inflight++;
    cev_add(&g.cev, s->easy);
}

static long due_now(void)
{
    double elapsed = (double)(bench_now_ns(CLOCK_MONOTONIC) - g.t0) / 1e9;
    long due = (long)(elapsed * g.rate) + 1;
    return due < g.due_total ? due : g.due_total;
}

static void arm_due_timer(void);

/* Start what is due while a connection is free; then wake up when the next
 * one is due (a freed connection calls this again). */
static void pump(void)
{
    if (g.stopping)
        return;
    long due = due_now();
    while (g.started < due && g.free_slots) {
        struct slot *s = g.free_slots;
        g.free_slots = s->next_free;
        start(s, g.started);
    }
    arm_due_timer();
}

static void on_due(evutil_socket_t fd, short kind, void *arg)
{
    pump();
}

static void arm_due_timer(void)
{
    if (g.started >= g.due_total || !g.free_slots || evtimer_pending(g.due_timer, NULL))
        return;
    long long at = g.t0 + (long long)((double)g.started / g.rate * 1e9);
    long long wait = at - bench_now_ns(CLOCK_MONOTONIC);
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000000000LL), (suseconds_t)(wait % 1000000000LL / 1000)};
    evtimer_add(g.due_timer, &tv);
}

static void print_progress(const char *what)
{
    double t = (double)(bench_now_ns(CLOCK_MONOTONIC) - g.t0) / 1e9;
    long backlog = (g.stopping ? g.due_total : due_now()) - g.started;
    printf("%s t=%.1f sent=%ld ok=%ld non2xx=%ld errors=%ld backlog=%ld\n", what, t, g.started, g.ok, g.non2xx,
           g.errors, backlog);
    fflush(stdout);
}

static void on_done(CURL *easy, CURLcode result, void *arg)
{
    struct slot *s;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&s);
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    g.inflight--;
    if (result != CURLE_OK)
        g.errors++;
    else if (code >= 200 && code < 300) {
        g.ok++;
        long long now = bench_now_ns(CLOCK_MONOTONIC);
        double due_at = (double)g.t0 + (double)s->index / g.rate * 1e9;
        g.lat_ms[g.n_lat++] = ((double)now - due_at) / 1e6;
        if (g.out)
            fprintf(g.out, "%s %lld\n", s->cid, bench_now_ns(CLOCK_REALTIME));
    } else
        g.non2xx++;
    if (result == CURLE_OK && code >= 0 && code < 600)
        g.codes[code]++;
    s->next_free = g.free_slots;
    g.free_slots = s;
    pump();
    if (g.stopping && g.inflight == 0)
        event_base_loopexit(g.cev.base, NULL);
}

static void on_report(evutil_socket_t fd, short kind, void *arg)
{
    print_progress("progress");
}

static void on_stop(evutil_socket_t fd, short kind, void *arg)
{
    g.stopping = true;
    evtimer_del(g.due_timer);
    evtimer_del(g.report_timer);
    if (g.inflight == 0)
        event_base_loopexit(g.cev.base, NULL);
}

static const char *arg_value(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return def;
}

int main(int argc, char **argv)
{
    g.base_url = arg_value(argc, argv, "--url", NULL);
    g.prefix = arg_value(argc, argv, "--prefix", NULL);
    g.tenant = arg_value(argc, argv, "--tenant", "bench");
    g.key = arg_value(argc, argv, "--key", "bench-key-0123456789");
    g.out_path = arg_value(argc, argv, "--out", NULL);
    g.rate = atof(arg_value(argc, argv, "--rate", "500"));
    g.duration = atof(arg_value(argc, argv, "--duration", "10"));
    g.report = atof(arg_value(argc, argv, "--report", "10"));
    g.conns = atol(arg_value(argc, argv, "--conns", "64"));
    g.orders = atol(arg_value(argc, argv, "--orders", "1000"));
    g.timeout = atol(arg_value(argc, argv, "--timeout", "10"));
    if (!g.base_url || !g.prefix || g.rate <= 0 || g.duration <= 0 || g.conns < 1 || g.orders < 1) {
        fprintf(stderr, "usage: %s --url BASE --rate R --duration D [--conns K] --prefix P --orders N\n"
                        "       [--tenant T --key KEY] [--out FILE] [--report SECS] [--timeout SECS]\n",
                argv[0]);
        return 2;
    }
    if (g.out_path && !(g.out = fopen(g.out_path, "w"))) {
        perror(g.out_path);
        return 1;
    }
    if (g.out)
        setvbuf(g.out, NULL, _IOFBF, 1 << 20);
    g.due_total = (long)(g.rate * g.duration);
    g.lat_ms = calloc((size_t)g.due_total + 1, sizeof *g.lat_ms);
    snprintf(g.run_id, sizeof g.run_id, "%llx", bench_now_ns(CLOCK_REALTIME) / 1000);

    char url[1024];
    snprintf(url, sizeof url, "%s/orders/shipment-status-update", g.base_url);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct event_config *ec = event_config_new();
    event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER); /* sub-millisecond timers: the rate is held to the us */
    struct event_base *base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!base || cev_init(&g.cev, base, g.conns, on_done, NULL)) {
        fprintf(stderr, "loadgen: cannot set up libevent/libcurl\n");
        return 1;
    }
    struct slot *slots = calloc((size_t)g.conns, sizeof *slots);
    for (long i = g.conns - 1; i >= 0; i--) {
        CURL *e = slots[i].easy = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &slots[i]);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "shiprelay-bench/loadgen");
        curl_easy_setopt(e, CURLOPT_TIMEOUT, g.timeout);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        slots[i].next_free = g.free_slots;
        g.free_slots = &slots[i];
    }

    g.due_timer = evtimer_new(base, on_due, NULL);
    g.report_timer = event_new(base, -1, EV_PERSIST, on_report, NULL);
    g.stop_timer = evtimer_new(base, on_stop, NULL);
    struct timeval report = {(time_t)g.report, (suseconds_t)((g.report - (double)(time_t)g.report) * 1e6)};
    struct timeval stop = {(time_t)g.duration, (suseconds_t)((g.duration - (double)(time_t)g.duration) * 1e6)};
    g.t0 = bench_now_ns(CLOCK_MONOTONIC);
    if (g.report > 0)
        evtimer_add(g.report_timer, &report);
    evtimer_add(g.stop_timer, &stop);
    pump();
    event_base_dispatch(base);

    double secs = (double)(bench_now_ns(CLOCK_MONOTONIC) - g.t0) / 1e9;
    qsort(g.lat_ms, (size_t)g.n_lat, sizeof *g.lat_ms, bench_cmp_double);
    char codes[512] = "";
    for (int c = 0; c < 600; c++)
        if (g.codes[c] && (c < 200 || c >= 300))
            snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "%s%d:%ld", *codes ? "," : "", c,
                     g.codes[c]);
    printf("result seconds=%.2f target=%.0f sent=%ld ok=%ld rate=%.1f non2xx=%ld errors=%ld unsent=%ld "
           "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f codes=%s\n",
           secs, g.rate, g.started, g.ok, (double)g.ok / g.duration, g.non2xx, g.errors, g.due_total - g.started,
           bench_percentile(g.lat_ms, (size_t)g.n_lat, 50), bench_percentile(g.lat_ms, (size_t)g.n_lat, 99),
           g.n_lat ? g.lat_ms[g.n_lat - 1] : 0.0, *codes ? codes : "-");
    fflush(stdout);
    if (g.out && fclose(g.out) != 0)
        perror(g.out_path);
    for (long i = 0; i < g.conns; i++) {
        curl_slist_free_all(slots[i].headers);
        curl_easy_cleanup(slots[i].easy);
    }
    cev_cleanup(&g.cev);
    event_free(g.due_timer);
    event_free(g.report_timer);
    event_free(g.stop_timer);
    event_base_free(base);
    curl_global_cleanup();
    return 0;
}
