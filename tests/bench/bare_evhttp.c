/* bare_evhttp: the least an evhttp server can do, as the benchmark's yardstick.
 *
 *   bare_evhttp ingest   [-t THREADS]              read the body, reply 202
 *   bare_evhttp receiver [-t THREADS] [-l FILE]    reply 200 {"ok":true}
 *   -p PORT listens there instead of on a port the kernel picks
 *
 * Built like relay/http.c: libevent threading on before any base exists, one
 * listening socket on 127.0.0.1 (port 0: the kernel picks a free one), and
 * THREADS workers (default 2), each with its own event_base and evhttp
 * accepting on a dup of that socket. Prints "port N" on stdout once it
 * listens. In receiver mode with -l, every request appends
 * "arrival_time_ns webhook-id x-correlation-id" (CLOCK_REALTIME; "-" for a
 * missing header) to FILE, buffered; SIGTERM or SIGINT stops the workers,
 * flushes FILE and prints "requests N" (all requests served) before exiting 0.
 *
 * The ingest mode is the ceiling for POST ingest on this machine: the relay
 * does everything this does plus auth, parsing, the store and the fsync. The
 * receiver is the endpoint webhook deliveries (relay and curl_client) go to. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct worker {
    pthread_t thread;
    struct event_base *base;
    struct evhttp *http;
};

static bool receiver_mode;
static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long requests;

static const char *header_or_dash(struct evhttp_request *req, const char *name)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    return v && *v ? v : "-";
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    evbuffer_drain(in, len); /* the body has been read in full by evhttp; consume it */
    atomic_fetch_add(&requests, 1);
    if (!receiver_mode) {
        evhttp_send_reply(req, 202, "Accepted", NULL);
        return;
    }
    if (log_file) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        pthread_mutex_lock(&log_lock);
        fprintf(log_file, "%lld %s %s\n", ns, header_or_dash(req, "webhook-id"), header_or_dash(req, "x-correlation-id"));
        pthread_mutex_unlock(&log_lock);
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evbuffer_add(evhttp_request_get_output_buffer(req), "{\"ok\":true}", 11);
    evhttp_send_reply(req, 200, "OK", NULL);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    event_base_dispatch(w->base);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = 2, port = 0;
    const char *log_path = NULL;
    if (argc < 2 || (strcmp(argv[1], "ingest") && strcmp(argv[1], "receiver"))) {
        fprintf(stderr, "usage: %s ingest|receiver [-t THREADS] [-l FILE] [-p PORT]\n", argv[0]);
        return 2;
    }
    receiver_mode = !strcmp(argv[1], "receiver");
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-t"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-l"))
            log_path = argv[i + 1];
        else if (!strcmp(argv[i], "-p"))
            port = atoi(argv[i + 1]);
    }
    if (threads < 1 || threads > 64)
        threads = 2;
    if (log_path) {
        log_file = fopen(log_path, "w");
        if (!log_file) {
            perror(log_path);
            return 1;
        }
        setvbuf(log_file, NULL, _IOFBF, 1 << 22);
    }

    /* Signals go to sigwait() in main only, never to a worker. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    evthread_use_pthreads();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t salen = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1024) ||
        getsockname(fd, (struct sockaddr *)&sa, &salen)) {
        perror("listen");
        return 1;
    }

    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    for (int i = 0; i < threads; i++) {
        struct worker *w = &workers[i];
        w->base = event_base_new();
        w->http = w->base ? evhttp_new(w->base) : NULL;
        if (!w->http || !evhttp_accept_socket_with_handle(w->http, dup(fd))) {
            fprintf(stderr, "cannot set up worker %d\n", i);
            return 1;
        }
        evhttp_set_max_body_size(w->http, 1 << 20);
        evhttp_set_timeout(w->http, 30);
        evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT);
        evhttp_set_gencb(w->http, on_request, w);
        if (pthread_create(&w->thread, NULL, worker_main, w)) {
            perror("pthread_create");
            return 1;
        }
    }
    printf("port %d\n", ntohs(sa.sin_port));
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    for (int i = 0; i < threads; i++)
        event_base_loopbreak(workers[i].base);
    for (int i = 0; i < threads; i++)
        pthread_join(workers[i].thread, NULL);
    if (log_file && fclose(log_file) != 0)
        perror(log_path);
    printf("requests %ld\n", atomic_load(&requests));
    fflush(stdout);
    return 0;
}
