/* timeutil: wall-clock instants as the API shows them.
 *
 * All timestamps in shiprelay are UTC, ISO 8601 with milliseconds and a `Z`
 * ("2026-11-22T10:15:30.123Z"), so they sort as strings. */
#ifndef SHIPRELAY_TIMEUTIL_H
#define SHIPRELAY_TIMEUTIL_H
#include <stdbool.h>
#include <stdint.h>

#define TIME_ISO_LEN 25 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

/* Milliseconds since the Unix epoch. */
int64_t time_now_ms(void);
/* Format ms into out (at least TIME_ISO_LEN bytes). */
void time_format_iso(int64_t ms, char out[TIME_ISO_LEN]);
/* Is s a date or date-time as ISO 8601 / RFC 3339 writes them (what the
 * sources send)? "YYYY-MM-DD", optionally followed by "T" (or a space)
 * "HH:MM", ":SS", ".fraction", and "Z" or an offset "+HH:MM" / "+HHMM",
 * each field within its range (the day within its month). */
bool time_iso_valid(const char *s);
/* Parse ISO 8601 as clients send it: "YYYY-MM-DD", or a date-time
 * "YYYY-MM-DDTHH:MM[:SS[.fff…]]" with an optional "Z", "±HH:MM" or "±HHMM"
 * (none: UTC). *has_offset (may be NULL) says whether one was given.
 * 0 with ms since the epoch, or -1 when malformed. */
int time_parse_iso(const char *s, int64_t *ms, int *has_offset);

#endif
