/* timeutil: see timeutil.h. */
#include "timeutil.h"

#include <stdio.h>
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

/* n digits at *p as a number within [lo, hi]; advances *p. -1 when not. */
static int field(const char **p, int n, int lo, int hi)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v >= lo && v <= hi ? v : -1;
}

bool time_iso_valid(const char *s)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y = field(&p, 4, 0, 9999);
    if (y < 0 || *p++ != '-')
        return false;
    int m = field(&p, 2, 1, 12);
    if (m < 0 || *p++ != '-')
        return false;
    int d = field(&p, 2, 1, days[m - 1]);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d < 0 || (m == 2 && d == 29 && !leap))
        return false;
    if (!*p)
        return true;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (field(&p, 2, 0, 23) < 0 || *p++ != ':' || field(&p, 2, 0, 59) < 0)
        return false;
    if (*p == ':') {
        p++;
        if (field(&p, 2, 0, 60) < 0)
            return false;
        if (*p == '.') {
            const char *start = ++p;
            while (*p >= '0' && *p <= '9')
                p++;
            if (p == start || p - start > 9)
                return false;
        }
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] == '\0';
    if (*p == '+' || *p == '-') {
        p++;
        if (field(&p, 2, 0, 23) < 0)
            return false;
        if (*p == ':')
            p++;
        return field(&p, 2, 0, 59) >= 0 && *p == '\0';
    }
    return *p == '\0';
}
