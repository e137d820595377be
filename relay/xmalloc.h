/* xmalloc: allocation that cannot fail.
 *
 * Out of memory is not a condition shiprelay tries to survive request by
 * request: every allocation goes through here and aborts with a message when
 * the system is out of memory, so no caller checks for NULL. */
#ifndef SHIPRELAY_XMALLOC_H
#define SHIPRELAY_XMALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
