/* main: the command line, start-up order and shutdown of the daemon.
 *
 *   shiprelay [--config FILE]      run (embedded defaults without a file)
 *   shiprelay --check-config FILE  validate; exit 0, or 2 with file:line: message
 *                                  for every problem
 *   shiprelay --print-config       the annotated default configuration
 *   shiprelay --print-config --config FILE   the effective one, secrets masked
 *   shiprelay --help | --version
 * (--config=FILE and --check-config=FILE work too.)
 *
 * Start: config → bind the listening socket (a port in use stops it here,
 * before any state exists) → store (migrations) → body store → uploader →
 * webhook dispatcher → housekeeping (retention, stuck orders) → HTTP workers → READY=1.
 * SIGHUP: RELOADING=1 → read the config again (reload.h) → READY=1.
 * SIGTERM/SIGINT: STOPPING=1 → stop accepting, drain in-flight requests →
 * let in-flight deliveries finish and be recorded → close the store
 * (finishing queued commits) → exit 0. */
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "api.h"
#include "blobstore.h"
#include "config.h"
#include "dispatch.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "stale_reads.h"
#include "reload.h"
#include "housekeeping.h"
#include "retention.h"
#include "stuck.h"
#include "store.h"
#include "timeutil.h"
#include "uploader.h"

static void usage(FILE *out)
{
    fputs("usage: shiprelay [--config FILE]                 run\n"
          "       shiprelay --check-config FILE             validate; every error as FILE:LINE: message\n"
          "       shiprelay --print-config                  every key, its default, bounds and meaning\n"
          "       shiprelay --print-config --config FILE    the effective config, secrets masked\n"
          "       shiprelay --help | --version\n"
          "Options take their value as --config FILE or --config=FILE.\n"
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

/* SIGHUP: read the config file again (reload.h), telling systemd around it
 * (sd_notify(3): RELOADING=1 with the monotonic time, then READY=1). */
static void reload(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
               (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    log_info("received SIGHUP, reloading the configuration");
    if (reload_file() == 0) {
        const struct config *cfg = reload_acquire();
        warn_open_sources(cfg);
        reload_release(cfg);
    }
    const struct config *cfg = reload_acquire();
    sd_notifyf(0, "READY=1\nSTATUS=listening on %s", cfg->listen);
    reload_release(cfg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    if (sig == SIGHUP) {
        reload();
        return;
    }
    log_info("received %s, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    event_base_loopbreak(arg);
}

/* Start everything on listen_fd, run base until a signal stops it, stop. */
static int serve(const struct config *cfg, int listen_fd, struct event_base *base)
{
    char err[512] = "";
    /* A claim (a delivery, an upload) outlives the longest exchange it covers. */
    long longest = cfg->request_timeout > cfg->s3_timeout ? cfg->request_timeout : cfg->s3_timeout;
    struct store_options opt = {.backend = cfg->postgresql ? STORE_POSTGRESQL : STORE_SQLITE,
                                .dir = cfg->storage_dir,
                                .url = cfg->storage_url,
                                .node_id = cfg->node_id,
                                .single_node = cfg->single_node,
                                .lease_ms = (longest + 5) * 1000,
                                .batch_max = (int)cfg->commit_batch,
                                .spool_max = cfg->spool_max_bytes,
                                .order_cache = (size_t)cfg->order_cache << 20};
    struct store *st = store_open(&opt, err, sizeof err);
    unsigned char url_key[32];
    struct blobstore *blobs =
        st && store_url_key(st, url_key, err, sizeof err) == 0 ? blobstore_open(cfg, url_key, err, sizeof err) : NULL;
    struct uploader *up = blobs ? uploader_start(cfg, st, blobs, err, sizeof err) : NULL;
    struct dispatcher *disp = up ? dispatch_start(cfg, st, err, sizeof err) : NULL;
    struct housekeeping_task tasks[] = {retention_task(cfg), stuck_task()};
    struct housekeeping *ret = disp ? housekeeping_start(st, tasks, 2, err, sizeof err) : NULL;
    if (!disp)
        for (size_t i = 0; i < 2; i++)
            tasks[i].free_state(tasks[i].state);
    struct http_server *srv = NULL;
    if (ret) {
        store_subscribe(st, dispatch_on_commit, disp);
        store_subscribe(st, uploader_on_commit, up);
        metrics_init(api_routes, api_routes_count, cfg->postgresql ? cfg->node_id : NULL);
        stale_reads_init((size_t)cfg->stale_reads_cache << 20, (int64_t)cfg->stale_reads * 1000);
        srv = http_start(cfg, listen_fd, st, blobs, api_routes, api_routes_count, err, sizeof err);
    } else {
        close(listen_fd);
    }
    int rc = 1;
    if (srv) {
        log_info("listening on http://%s (storage %s, %ld threads, bodies in %s)%s", cfg->listen,
                 cfg->postgresql ? "PostgreSQL" : cfg->storage_dir, cfg->threads, cfg->s3_enabled ? "S3" : "the storage dir",
                 cfg->embedded ? "; embedded defaults, demo tenant \"demo\" with x-api-key demo-key-change-me" : "");
        sd_notifyf(0, "READY=1\nSTATUS=listening on %s", cfg->listen);
        event_base_dispatch(base);
        sd_notify(0, "STOPPING=1");
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
    housekeeping_stop(ret);
    store_close(st);
    uploader_free(up);
    housekeeping_free(ret);
    dispatch_free(disp);
    http_free(srv);
    blobstore_free(blobs);
    ratelimit_free();
    stale_reads_free();
    if (rc == 0)
        log_info("stopped");
    return rc;
}

/* cfg is the first snapshot (reload.h): the threads started here keep it. */
static int run(const struct config *cfg)
{
    /* Signals are caught from here on: one that arrives while the relay
     * starts is handled once it runs (SIGTERM then stops it cleanly). */
    struct event_base *base = event_base_new();
    struct event *sigs[3];
    static const int signums[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        sigs[i] = evsignal_new(base, signums[i], on_signal, base);
        event_add(sigs[i], NULL);
    }
    /* The port first: when it is taken, nothing has been created yet. */
    char err[512];
    int listen_fd = http_listen(cfg, err, sizeof err);
    int rc = 1;
    if (listen_fd < 0)
        log_error("%s", err);
    else
        rc = serve(cfg, listen_fd, base);
    for (int i = 0; i < 3; i++)
        event_free(sigs[i]);
    event_base_free(base);
    return rc;
}

struct args {
    enum { RUN, CHECK, PRINT, HELP, VERSION } mode;
    const char *config;
};

/* The value of --NAME=VALUE or --NAME VALUE at argv[*i] (advancing *i), or
 * NULL when argv[*i] is not --NAME. *missing when --NAME came without one;
 * optional: a next argument starting with '-' is not taken as the value. */
static const char *option_value(char **argv, int argc, int *i, const char *name, bool optional, bool *missing)
{
    size_t len = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, len) != 0 || (a[len] && a[len] != '='))
        return NULL;
    if (a[len] == '=')
        return a + len + 1;
    if (*i + 1 < argc && !(optional && argv[*i + 1][0] == '-'))
        return argv[++*i];
    *missing = !optional;
    return "";
}

/* 0, or 2 after saying what is wrong. */
static int parse_args(int argc, char **argv, struct args *out)
{
    *out = (struct args){RUN, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if ((v = option_value(argv, argc, &i, "--config", false, &missing)) ||
            (v = option_value(argv, argc, &i, "-c", false, &missing))) {
            if (missing || !*v || (out->config && strcmp(out->config, v))) {
                fprintf(stderr, "shiprelay: %s\n", missing || !*v ? "--config needs a FILE" : "two config files given");
                return 2;
            }
            out->config = v;
        } else if ((v = option_value(argv, argc, &i, "--check-config", true, &missing))) {
            out->mode = CHECK;
            if (*v && out->config && strcmp(out->config, v)) {
                fprintf(stderr, "shiprelay: two config files given\n");
                return 2;
            }
            if (*v)
                out->config = v;
        } else if (!strcmp(a, "--print-config")) {
            out->mode = PRINT;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            out->mode = HELP;
        } else if (!strcmp(a, "--version")) {
            out->mode = VERSION;
        } else {
            fprintf(stderr, "shiprelay: unknown %s \"%s\" (see shiprelay --help)\n", a[0] == '-' ? "option" : "argument",
                    a);
            return 2;
        }
    }
    if (out->mode == CHECK && !out->config) {
        fprintf(stderr, "shiprelay: --check-config needs a FILE\n");
        return 2;
    }
    return 0;
}

/* Load the file args name (or the embedded defaults); false after printing
 * every problem found. */
static bool load(const struct args *args, struct config *cfg)
{
    if (!args->config) {
        config_defaults(cfg);
        return true;
    }
    char err[8192];
    if (config_load(cfg, args->config, err, sizeof err) == 0)
        return true;
    fprintf(stderr, "%s\n", err);
    return false;
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct args args;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN); /* until run() handles it: a reload, never an exit */
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
    if (parse_args(argc, argv, &args) != 0)
        return 2;
    switch (args.mode) {
    case HELP:
        usage(stdout);
        return 0;
    case VERSION:
        printf("shiprelay %s\n", SHIPRELAY_VERSION);
        return 0;
    case PRINT:
        if (!args.config) {
            config_print_annotated(stdout);
            return 0;
        }
        /* fall through */
    case CHECK:
    case RUN:
        break;
    }
    bool ok = load(&args, &cfg);
    int rc = ok ? 0 : 2;
    if (ok && args.mode == PRINT) {
        config_print_effective(stdout, &cfg);
    } else if (ok) {
        warn_open_sources(&cfg);
        if (args.mode == CHECK)
            printf("%s: ok\n", args.config);
    }
    if (!ok || args.mode != RUN) {
        config_free(&cfg);
        return rc;
    }
    const struct config *live = reload_init(&cfg);
    rc = run(live);
    reload_release(live);
    reload_shutdown();
    return rc;
}
