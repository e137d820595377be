/* console_assets: the web console's files (console/), embedded in the
 * binary at build time by console/embed.cmake, which writes the table.
 * Read-only data for the life of the process. */
#ifndef SHIPRELAY_CONSOLE_ASSETS_H
#define SHIPRELAY_CONSOLE_ASSETS_H
#include <stddef.h>

struct console_asset {
    const char *name;         /* the file's name, e.g. "app.js" */
    const char *content_type; /* from its extension, with the charset for text */
    const unsigned char *data; /* len bytes (then a NUL) */
    size_t len;
    const char *etag; /* strong, quoted: "\"…\"" (a digest of the bytes) */
};

extern const struct console_asset console_assets[];
extern const size_t console_assets_count;

#endif
