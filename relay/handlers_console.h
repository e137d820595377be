/* handlers_console: GET /console/ and its files, the web console embedded
 * in the binary (console_assets.h). No API key: the files hold no data;
 * the console signs in to the API from the browser (README: Console). */
#ifndef SHIPRELAY_HANDLERS_CONSOLE_H
#define SHIPRELAY_HANDLERS_CONSOLE_H
#include "http.h"

void handle_console_redirect(struct http_ctx *ctx); /* GET /console → /console/ */
void handle_console_index(struct http_ctx *ctx);    /* GET /console/ */
void handle_console_asset(struct http_ctx *ctx);    /* GET /console/{asset} */

#endif
