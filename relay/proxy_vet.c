/* proxy_vet: see proxy_vet.h. */
#include "proxy_vet.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssrf.h"
#include "xmalloc.h"

struct proxy_vet {
    const struct config *cfg;
    struct evdns_base *dns;
};

struct vetting {
    struct proxy_vet *v;
    proxy_vet_fn fn;
    void *arg;
};

struct proxy_vet *proxy_vet_new(struct event_base *base, const struct config *cfg)
{
    struct proxy_vet *v = xcalloc(1, sizeof *v);
    v->cfg = cfg;
    /* Name servers from /etc/resolv.conf, names from /etc/hosts too. */
    v->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!v->dns)
        v->dns = evdns_base_new(base, 0); /* no resolv.conf: literal addresses and /etc/hosts still work */
    if (v->dns)
        evdns_base_load_hosts(v->dns, NULL);
    return v;
}

static void on_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
    struct vetting *w = arg;
    enum proxy_vet_result result = err == EVUTIL_EAI_CANCEL ? PROXY_VET_CANCELLED : err ? PROXY_VET_DNS : PROXY_VET_OK;
    char address[INET6_ADDRSTRLEN + 2] = "";
    for (struct evutil_addrinfo *ai = res; ai && result == PROXY_VET_OK; ai = ai->ai_next) {
        if (!ssrf_allowed(ai->ai_addr, w->v->cfg->allow, w->v->cfg->n_allow)) {
            result = PROXY_VET_BLOCKED; /* every address must pass: the name may be rebound to any of them */
            break;
        }
        if (address[0])
            continue;
        char text[INET6_ADDRSTRLEN];
        if (ai->ai_family == AF_INET &&
            inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, text, sizeof text))
            snprintf(address, sizeof address, "%s", text);
        else if (ai->ai_family == AF_INET6 &&
                 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, text, sizeof text))
            snprintf(address, sizeof address, "[%s]", text);
    }
    if (result == PROXY_VET_OK && !address[0])
        result = PROXY_VET_DNS;
    if (res)
        evutil_freeaddrinfo(res);
    w->fn(result, result == PROXY_VET_OK ? address : NULL, w->arg);
    free(w);
}

void proxy_vet_start(struct proxy_vet *v, const char *host, proxy_vet_fn fn, void *arg)
{
    if (!v->dns) {
        fn(PROXY_VET_DNS, NULL, arg);
        return;
    }
    struct vetting *w = xcalloc(1, sizeof *w);
    w->v = v;
    w->fn = fn;
    w->arg = arg;
    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP};
    char bare[256];
    size_t hl = strlen(host);
    if (hl > 2 && hl < sizeof bare && host[0] == '[' && host[hl - 1] == ']') { /* [v6] from a URL */
        memcpy(bare, host + 1, hl - 2);
        bare[hl - 2] = '\0';
        host = bare;
    }
    evdns_getaddrinfo(v->dns, host, NULL, &hints, on_resolved, w);
}

void proxy_vet_free(struct proxy_vet *v)
{
    if (!v)
        return;
    if (v->dns)
        evdns_base_free(v->dns, 1);
    free(v);
}
