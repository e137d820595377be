/* stale_reads: this node's last answers to reads, kept so that a read the
 * store cannot answer (PostgreSQL briefly away, or unreachable from this
 * node) still gets an answer: the last one this node gave to the same
 * caller for the same URL, marked stale (http.c sends it with Age, Warning
 * 110 and X-Shiprelay-Stale; see its header).
 *
 * Keys are made by the caller (http.c: who asked, and the URL); a key is
 * never served to anyone else. An answer is kept for max_age_ms after it
 * was given and then never served; the oldest go first when the cache
 * would take more than max_bytes (key and text counted). A newer answer
 * for the same key replaces the older.
 *
 * Personal data: a redaction anywhere in the fleet empties the cache
 * (stale_reads_clear, called after this node's own redactions and for the
 * fleet's NOTIFY, and whenever the node may have missed one: dispatch.c),
 * so a stale answer never brings back what was redacted while this node
 * could hear about it. What another node redacts while this one cannot
 * reach the database (a partition) may still be served, to the same
 * tenant, until max_age_ms has passed (README, "PostgreSQL").
 *
 * Thread safety: any thread (one mutex). Without stale_reads_init, or with
 * max_age_ms or max_bytes 0, nothing is kept. */
#ifndef SHIPRELAY_STALE_READS_H
#define SHIPRELAY_STALE_READS_H
#include <stddef.h>
#include <stdint.h>

void stale_reads_init(size_t max_bytes, int64_t max_age_ms);
/* Keep text (copied) as the answer for key, read from the store at
 * given_ms (when its request arrived: an answer read before the last
 * clear is not kept, so a read racing a redaction cannot bring back what
 * it took out). */
void stale_reads_put(const char *key, const char *text, int64_t given_ms);
/* A copy of the answer kept for key (the caller frees it) with the time it
 * was given in *given_ms, or NULL when none younger than max_age_ms is
 * kept. Counted in the figures below. */
char *stale_reads_get(const char *key, int64_t now_ms, int64_t *given_ms);
void stale_reads_clear(int64_t now_ms);
/* For /metrics: answers served stale so far, and what is kept now. */
void stale_reads_figures(unsigned long *served, size_t *entries, size_t *bytes);
/* Free everything (at exit). */
void stale_reads_free(void);

#endif
