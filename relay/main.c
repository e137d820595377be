/* main: the command line, start-up order and shutdown of the daemon.
 *
 *   shiprelay [--config FILE]      run (embedded defaults without a file)
 *   shiprelay --check-config FILE  validate; exit 0, or 2 with file:line: message
 *   shiprelay --print-config       the annotated default configuration
 *   shiprelay --help | --version
 *
 * Start: config → store (migrations) → body store → uploader → webhook
 * dispatcher → retention sweeper → HTTP workers → READY=1.
 * SIGTERM/SIGINT: STOPPING=1 → stop accepting, drain in-flight requests →
 * let in-flight deliveries finish and be recorded → close the store
 * (finishing queued commits) → exit 0. */
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "api.h"
#include "blobstore.h"
#include "config.h"
#include "dispatch.h"
#include "http.h"
#include "log.h"
#include "retention.h"
#include "store.h"
#include "timeutil.h"
#include "uploader.h"

static void usage(FILE *out)
{
    fputs("usage: shiprelay [--config FILE]\n"
          "       shiprelay --check-config FILE\n"
          "       shiprelay --print-config | --help | --version\n"
          "\n"
          "Webhook ingestion and dispatch relay for Carriyo-shaped orders and shipments.\n"
          "Without --config it runs on the embedded defaults: 127.0.0.1:8080, state in\n"
          "./shiprelay-data, and a demo tenant (tenant-id: demo, x-api-key: demo-key-change-me;\n"
          "OAuth2 client demo-client / demo-secret-change-me).\n",
          out);
}

/* Sources that opted out of authentication, said loudly on every start. */
static void warn_open_sources(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_sources; i++)
        if (cfg->sources[i].allow_unauthenticated)
            log_warn("SECURITY: [source \"%s/%s\"] has allow_unauthenticated = yes: anyone who knows "
                     "/hooks/%s/%s can post callbacks that move orders",
                     cfg->sources[i].tenant, cfg->sources[i].name, cfg->sources[i].tenant, cfg->sources[i].name);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    log_info("received %s, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    event_base_loopbreak(arg);
}

static int run(struct config *cfg)
{
    char err[512] = "";
    struct store_options opt = {
        .dir = cfg->storage_dir, .batch_max = (int)cfg->commit_batch, .spool_max = cfg->spool_max_bytes,
        .order_cache = (size_t)cfg->order_cache << 20};
    struct store *st = store_open(&opt, err, sizeof err);
    struct blobstore *blobs = st ? blobstore_open(cfg, err, sizeof err) : NULL;
    struct uploader *up = blobs ? uploader_start(cfg, st, blobs, err, sizeof err) : NULL;
    struct dispatcher *disp = up ? dispatch_start(cfg, st, err, sizeof err) : NULL;
    struct retention *ret = disp ? retention_start(cfg, st, err, sizeof err) : NULL;
    struct http_server *srv = NULL;
    if (ret) {
        store_subscribe(st, dispatch_on_commit, disp);
        store_subscribe(st, uploader_on_commit, up);
        srv = http_start(cfg, st, blobs, api_routes, api_routes_count, err, sizeof err);
    }
    int rc = 1;
    if (srv) {
        struct event_base *base = event_base_new();
        struct event *term = evsignal_new(base, SIGTERM, on_signal, base);
        struct event *intr = evsignal_new(base, SIGINT, on_signal, base);
        event_add(term, NULL);
        event_add(intr, NULL);
        log_info("listening on http://%s (storage %s, %ld threads, bodies in %s)%s", cfg->listen, cfg->storage_dir,
                 cfg->threads, cfg->s3_enabled ? "S3" : "the storage dir",
                 cfg->embedded ? "; embedded defaults, demo tenant \"demo\" with x-api-key demo-key-change-me" : "");
        sd_notifyf(0, "READY=1\nSTATUS=listening on %s", cfg->listen);
        event_base_dispatch(base);
        sd_notify(0, "STOPPING=1");
        event_free(term);
        event_free(intr);
        event_base_free(base);
        rc = 0;
    } else {
        log_error("%s", err);
    }
    /* Stop in dependency order: no new requests, no new deliveries, no new
     * uploads, then the store finishes its queued commits. One deadline
     * covers it all: [server] shutdown_timeout. */
    int64_t deadline = time_now_ms() + cfg->shutdown_timeout * 1000;
    http_drain(srv, deadline);
    dispatch_stop(disp, deadline);
    uploader_stop(up, deadline);
    retention_stop(ret);
    store_close(st);
    uploader_free(up);
    retention_free(ret);
    dispatch_free(disp);
    http_free(srv);
    blobstore_free(blobs);
    if (rc == 0)
        log_info("stopped");
    return rc;
}

int main(int argc, char **argv)
{
    struct config cfg;
    char err[512];
    signal(SIGPIPE, SIG_IGN);
    /* Threads wake each other's event loops (store completions, nudges):
     * libevent's locking must be on before the first event_base exists. */
    if (evthread_use_pthreads() != 0) {
        fprintf(stderr, "shiprelay: libevent threading is unavailable\n");
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "shiprelay: libcurl failed to initialise\n");
        return 1;
    }
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        printf("shiprelay %s\n", SHIPRELAY_VERSION);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--print-config")) {
        config_print_annotated(stdout);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "--check-config")) {
        int rc = config_load(&cfg, argv[2], err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "%s\n", err);
        else {
            warn_open_sources(&cfg);
            printf("%s: ok\n", argv[2]);
        }
        config_free(&cfg);
        return rc == 0 ? 0 : 2;
    }
    if (argc == 1) {
        config_defaults(&cfg);
    } else if (argc == 3 && !strcmp(argv[1], "--config")) {
        if (config_load(&cfg, argv[2], err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            config_free(&cfg);
            return 2;
        }
    } else {
        usage(stderr);
        return 2;
    }
    warn_open_sources(&cfg);
    int rc = run(&cfg);
    config_free(&cfg);
    return rc;
}
