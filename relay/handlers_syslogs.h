/* handlers_syslogs: an order's system logs (list, one entry with download
 * URLs for its bodies, a partner's own entries) and the relay-served body
 * downloads. */
#ifndef SHIPRELAY_HANDLERS_SYSLOGS_H
#define SHIPRELAY_HANDLERS_SYSLOGS_H
#include "http.h"

void handle_syslog_list(struct http_ctx *ctx);
void handle_syslog_get(struct http_ctx *ctx);
void handle_syslog_create(struct http_ctx *ctx);
void handle_body_download(struct http_ctx *ctx);

#endif
