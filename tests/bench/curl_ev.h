/* curl_ev.h: libcurl's multi interface driven by a libevent event_base, the
 * way relay/dispatch.c drives it (CURLMOPT_SOCKETFUNCTION + TIMERFUNCTION,
 * curl_multi_socket_action on every socket event and timeout), shared by the
 * bench clients (curl_client.c, loadgen.c). Header-only: each client is one
 * translation unit.
 *
 * cev_init() sets it up on a base; cev_add() starts a transfer; when one
 * finishes, on_done(easy, result, arg) is called after the handle has been
 * removed from the multi handle, so the callback may reuse the easy handle
 * and cev_add() it again at once. */
#ifndef BENCH_CURL_EV_H
#define BENCH_CURL_EV_H

#include <curl/curl.h>
#include <event2/event.h>
#include <time.h>

struct cev {
    CURLM *multi;
    struct event_base *base;
    struct event *timer;
    void (*on_done)(CURL *easy, CURLcode result, void *arg);
    void *arg;
};

static inline long long bench_now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void cev_check_done(struct cev *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode result = m->data.result;
        curl_multi_remove_handle(c->multi, easy);
        c->on_done(easy, result, c->arg);
    }
}

static inline void cev_on_socket_event(evutil_socket_t fd, short kind, void *arg)
{
    struct cev *c = arg;
    int action = (kind & EV_READ ? CURL_CSELECT_IN : 0) | (kind & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(c->multi, fd, action, &running);
    cev_check_done(c);
}

static inline int cev_on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct cev *c = userp;
    struct event *ev = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (ev) {
            event_free(ev);
            curl_multi_assign(c->multi, s, NULL);
        }
        return 0;
    }
    short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
    if (ev)
        event_del(ev);
    else {
        ev = event_new(c->base, s, kind, cev_on_socket_event, c);
        curl_multi_assign(c->multi, s, ev);
    }
    event_assign(ev, c->base, s, kind, cev_on_socket_event, c);
    event_add(ev, NULL);
    return 0;
}

static inline void cev_on_timeout(evutil_socket_t fd, short kind, void *arg)
{
    struct cev *c = arg;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    cev_check_done(c);
}

static inline int cev_on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct cev *c = userp;
    if (timeout_ms < 0) {
        evtimer_del(c->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
    return 0;
}

/* max_conns: CURLMOPT_MAX_TOTAL_CONNECTIONS (0: no cap). */
static inline int cev_init(struct cev *c, struct event_base *base, long max_conns,
                           void (*on_done)(CURL *, CURLcode, void *), void *arg)
{
    c->base = base;
    c->on_done = on_done;
    c->arg = arg;
    c->multi = curl_multi_init();
    c->timer = evtimer_new(base, cev_on_timeout, c);
    if (!c->multi || !c->timer)
        return -1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, cev_on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, cev_on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    if (max_conns > 0) {
        curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_conns);
        curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_conns);
        curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, max_conns);
    }
    return 0;
}

static inline void cev_add(struct cev *c, CURL *easy)
{
    curl_multi_add_handle(c->multi, easy);
}

static inline void cev_cleanup(struct cev *c)
{
    event_free(c->timer);
    curl_multi_cleanup(c->multi);
}

/* Sorted-array percentile (p in 0..100) of n values, nearest rank. */
static inline double bench_percentile(const double *sorted, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)n + 0.5);
    if (i > 0)
        i--;
    if (i >= n)
        i = n - 1;
    return sorted[i];
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
