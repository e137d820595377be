/* curlev: see curlev.h. The socket callback keeps one persistent event per
 * socket in libcurl's socket slot; the timer callback arms one timer. After
 * every action, finished transfers are collected and reported. */
#include "curlev.h"

#include <event2/event.h>
#include <stdlib.h>

#include "xmalloc.h"

struct curlev {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    curlev_done_fn on_done;
    void *arg;
    int running;
};

static void collect(struct curlev *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(c->multi, easy);
        c->running--;
        c->on_done(easy, rc, c->arg);
    }
}

static void on_socket_event(evutil_socket_t fd, short kind, void *arg)
{
    struct curlev *c = arg;
    int action = (kind & EV_READ ? CURL_CSELECT_IN : 0) | (kind & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(c->multi, fd, action, &running);
    collect(c);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct curlev *c = userp;
    struct event *ev = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (ev) {
            event_free(ev);
            curl_multi_assign(c->multi, s, NULL);
        }
        return 0;
    }
    short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
    if (ev) {
        event_del(ev);
        event_assign(ev, c->base, s, kind, on_socket_event, c);
    } else {
        ev = event_new(c->base, s, kind, on_socket_event, c);
        curl_multi_assign(c->multi, s, ev);
    }
    event_add(ev, NULL);
    return 0;
}

static void on_timeout(evutil_socket_t fd, short kind, void *arg)
{
    struct curlev *c = arg;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect(c);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct curlev *c = userp;
    if (timeout_ms < 0) {
        evtimer_del(c->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
    return 0;
}

struct curlev *curlev_new(struct event_base *base, curlev_done_fn on_done, void *arg)
{
    struct curlev *c = xcalloc(1, sizeof *c);
    c->base = base;
    c->on_done = on_done;
    c->arg = arg;
    c->multi = curl_multi_init();
    c->timer = evtimer_new(base, on_timeout, c);
    if (!c->multi || !c->timer) {
        curlev_free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return c;
}

int curlev_add(struct curlev *c, CURL *easy)
{
    if (curl_multi_add_handle(c->multi, easy) != CURLM_OK)
        return -1;
    c->running++;
    return 0;
}

void curlev_remove(struct curlev *c, CURL *easy)
{
    if (curl_multi_remove_handle(c->multi, easy) == CURLM_OK)
        c->running--;
}

int curlev_running(const struct curlev *c)
{
    return c->running;
}

CURLM *curlev_multi(struct curlev *c)
{
    return c->multi;
}

void curlev_free(struct curlev *c)
{
    if (!c)
        return;
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->timer)
        event_free(c->timer);
    free(c);
}
