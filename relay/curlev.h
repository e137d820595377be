/* curlev: libcurl's multi interface driven by a libevent event_base, so one
 * thread runs many transfers without a thread per request (the dispatcher
 * and the uploader each have one).
 *
 * Owns the multi handle, one event per socket libcurl watches, and the
 * timer libcurl asks for. Easy handles stay the caller's: curlev_add starts
 * one, and when it finishes on_done(easy, result, arg) runs on the base's
 * thread, after the handle has left the multi (the caller cleans it up, and
 * may start others from the callback). Every call is from the base's
 * thread only. */
#ifndef SHIPRELAY_CURLEV_H
#define SHIPRELAY_CURLEV_H
#include <curl/curl.h>

struct event_base;
struct curlev;

typedef void (*curlev_done_fn)(CURL *easy, CURLcode result, void *arg);

struct curlev *curlev_new(struct event_base *base, curlev_done_fn on_done, void *arg);
/* Start a transfer. 0, or -1 when libcurl refuses it (nothing started). */
int curlev_add(struct curlev *c, CURL *easy);
/* Abandon a running transfer: it leaves the multi, on_done is not called. */
void curlev_remove(struct curlev *c, CURL *easy);
/* Transfers running. */
int curlev_running(const struct curlev *c);
CURLM *curlev_multi(struct curlev *c);
/* Remove nothing: abandon running transfers first. */
void curlev_free(struct curlev *c);

#endif
