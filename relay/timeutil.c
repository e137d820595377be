/* timeutil: see timeutil.h. */
#include "timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_format_iso(int64_t ms, char out[TIME_ISO_LEN])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, TIME_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, TIME_ISO_LEN - n, ".%03dZ", (int)(ms % 1000));
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int time_parse_iso(const char *s, int64_t *ms, int *has_offset)
{
    if (!s || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    struct tm tm = {0};
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = 0, mi = 0, sec = 0, frac = 0;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days[mo - 1] || (mo == 2 && d == 29 && !leap))
        return -1;
    const char *p = s + 10;
    int offset_min = 0, offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        h = digits(p + 1, 2);
        if (h < 0 || h > 23 || p[3] != ':' || (mi = digits(p + 4, 2)) < 0 || mi > 59)
            return -1;
        p += 6;
        if (*p == ':') {
            if ((sec = digits(p + 1, 2)) < 0 || sec > 60)
                return -1;
            p += 3;
            if (*p == '.') {
                int n = 0;
                for (p++; *p >= '0' && *p <= '9'; p++, n++)
                    if (n < 3)
                        frac = frac * 10 + (*p - '0');
                if (n == 0)
                    return -1;
                for (; n < 3; n++)
                    frac *= 10;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            offset = 1;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh = digits(p + 1, 2), om;
            if (oh < 0)
                return -1;
            const char *q = p + 3;
            if (*q == ':')
                q++;
            om = digits(q, 2);
            if (oh < 0 || oh > 23 || om < 0 || om > 59)
                return -1;
            offset_min = sign * (oh * 60 + om);
            offset = 1;
            p = q + 2;
        }
    }
    if (*p)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - (int64_t)offset_min * 60) * 1000 + frac;
    if (has_offset)
        *has_offset = offset;
    return 0;
}

bool time_iso_valid(const char *s)
{
    int64_t ms;
    return time_parse_iso(s, &ms, NULL) == 0;
}
