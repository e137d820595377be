/* proxy_vet: the SSRF guard for deliveries through an operator's proxy
 * ([webhooks] proxy).
 *
 * Without a proxy the guard vets the address libcurl connects to (dispatch.c
 * on_open_socket). Through a proxy that address is the proxy's, so the
 * destination is vetted here instead, before anything is sent: its host is
 * resolved (evdns, asynchronously, on the caller's event loop), every
 * address it resolves to must pass ssrf_allowed, and the caller pins the
 * proxy's CONNECT to the address vetted (CURLOPT_CONNECT_TO), so the proxy
 * cannot resolve the name again to somewhere else. The environment's proxy
 * variables are never used (CURLOPT_PROXY ""), with or without this. */
#ifndef SHIPRELAY_PROXY_VET_H
#define SHIPRELAY_PROXY_VET_H
#include <stdbool.h>

#include "config.h"

struct event_base;
struct proxy_vet;

enum proxy_vet_result {
    PROXY_VET_OK,      /* address holds the vetted address (numeric, IPv6 in brackets) */
    PROXY_VET_BLOCKED, /* an address the host resolves to is not allowed */
    PROXY_VET_DNS,     /* the host did not resolve */
    PROXY_VET_CANCELLED
};

/* Called once per proxy_vet_start, on the loop's thread. */
typedef void (*proxy_vet_fn)(enum proxy_vet_result result, const char *address, void *arg);

struct proxy_vet *proxy_vet_new(struct event_base *base, const struct config *cfg);
/* Vet host (a name or a literal address). The callback may run before this
 * returns (a literal address, /etc/hosts). */
void proxy_vet_start(struct proxy_vet *v, const char *host, proxy_vet_fn fn, void *arg);
/* Pending vettings end with PROXY_VET_CANCELLED. */
void proxy_vet_free(struct proxy_vet *v);

#endif
