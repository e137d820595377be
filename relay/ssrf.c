/* ssrf: the address classes of ssrf.h, as prefix tables. */
#include "ssrf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct range {
    unsigned char addr[16];
    int prefix;
};

static const struct range v4_blocked[] = {
    {{0, 0, 0, 0}, 8},        {{10, 0, 0, 0}, 8},      {{100, 64, 0, 0}, 10},   {{127, 0, 0, 0}, 8},
    {{169, 254, 0, 0}, 16},   {{172, 16, 0, 0}, 12},   {{192, 0, 0, 0}, 24},    {{192, 0, 2, 0}, 24},
    {{192, 88, 99, 0}, 24},   {{192, 168, 0, 0}, 16},  {{198, 18, 0, 0}, 15},   {{198, 51, 100, 0}, 24},
    {{203, 0, 113, 0}, 24},   {{224, 0, 0, 0}, 4},     {{240, 0, 0, 0}, 4},
};

static const struct range v6_blocked[] = {
    {{0}, 128},                                   /* :: */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128}, /* ::1 */
    {{0x01, 0x00}, 64},                           /* 100::/64 discard */
    {{0x20, 0x01, 0x00, 0x00}, 32},               /* Teredo */
    {{0x20, 0x01, 0x0d, 0xb8}, 32},               /* documentation */
    {{0xfc}, 7},                                  /* unique local */
    {{0xfe, 0x80}, 10},                           /* link-local */
    {{0xfe, 0xc0}, 10},                           /* site-local (deprecated) */
    {{0xff}, 8},                                  /* multicast */
};

static bool in_prefix(const unsigned char *a, const unsigned char *net, int prefix)
{
    int bytes = prefix / 8, bits = prefix % 8;
    if (memcmp(a, net, (size_t)bytes) != 0)
        return false;
    if (bits == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - bits));
    return (a[bytes] & mask) == (net[bytes] & mask);
}

static bool allow_listed(int family, const unsigned char *a, const struct ssrf_cidr *allow, int n)
{
    for (int i = 0; i < n; i++)
        if (allow[i].family == family && in_prefix(a, allow[i].addr, allow[i].prefix))
            return true;
    return false;
}

static bool v4_ok(const unsigned char *a, const struct ssrf_cidr *allow, int n)
{
    if (allow_listed(AF_INET, a, allow, n))
        return true;
    for (size_t i = 0; i < sizeof v4_blocked / sizeof v4_blocked[0]; i++)
        if (in_prefix(a, v4_blocked[i].addr, v4_blocked[i].prefix))
            return false;
    return true;
}

bool ssrf_allowed(const struct sockaddr *sa, const struct ssrf_cidr *allow, int n_allow)
{
    if (sa->sa_family == AF_INET)
        return v4_ok((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr, allow, n_allow);
    if (sa->sa_family != AF_INET6)
        return false;
    const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (allow_listed(AF_INET6, a, allow, n_allow))
        return true;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char compat[12] = {0};
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
        return v4_ok(a + 12, allow, n_allow);
    if (!memcmp(a, compat, 12) && (a[12] | a[13] | a[14] | a[15]) && !(a[12] == 0 && a[13] == 0 && a[14] == 0))
        return v4_ok(a + 12, allow, n_allow); /* ::a.b.c.d (deprecated "compatible" form) */
    if (a[0] == 0x20 && a[1] == 0x02)
        return v4_ok(a + 2, allow, n_allow); /* 6to4 */
    for (size_t i = 0; i < sizeof v6_blocked / sizeof v6_blocked[0]; i++)
        if (in_prefix(a, v6_blocked[i].addr, v6_blocked[i].prefix))
            return false;
    return true;
}

bool ssrf_parse_cidr(const char *text, struct ssrf_cidr *out)
{
    char buf[64];
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    memset(out, 0, sizeof *out);
    int max;
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else
        return false;
    out->prefix = max;
    if (slash) {
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || p < 0 || p > max)
            return false;
        out->prefix = (int)p;
    }
    return true;
}

int ssrf_parse_list(const char *text, struct ssrf_cidr *out, int max, char *err, size_t errlen)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        p += strspn(p, " ,\t");
        size_t len = strcspn(p, " ,\t");
        if (!len)
            break;
        char item[64];
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        if (n == max) {
            snprintf(err, errlen, "more than %d ranges", max);
            return -1;
        }
        if (!ssrf_parse_cidr(item, &out[n])) {
            snprintf(err, errlen, "\"%s\" is not an address or CIDR range", item);
            return -1;
        }
        n++;
        p += len;
    }
    return n;
}
