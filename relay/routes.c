/* routes: segment-wise matching of a path against `{name}` patterns.
 * See routes.h for the contract. */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#define MAX_SEGMENTS 16

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode one segment in place (the path is already split, so a
 * decoded '/' is part of the value, never a separator); returns -1 on a
 * broken escape or a decoded NUL. */
static int decode_segment(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '%') {
            int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
            if (lo < 0)
                return -1;
            char c = (char)(hi * 16 + lo);
            if (c == '\0')
                return -1;
            *w++ = c;
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return 0;
}

/* Split path into segments (in place). Returns the count, or -1 if too many or malformed. */
static int split_path(char *path, char **seg)
{
    if (path[0] != '/')
        return -1;
    int n = 0;
    char *p = path + 1;
    if (*p == '\0')
        return 0;
    for (;;) {
        if (n == MAX_SEGMENTS)
            return -1;
        seg[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
        p = slash + 1;
    }
    /* an empty segment only at the end: a trailing slash, matched by a pattern that has one */
    for (int i = 0; i < n; i++)
        if ((seg[i][0] == '\0' && i < n - 1) || decode_segment(seg[i]) != 0)
            return -1;
    return n;
}

static int pattern_matches(const char *pattern, char **seg, int nseg, struct route_params *params)
{
    params->n = 0;
    const char *p = pattern + 1;
    int i = 0;
    for (;;) {
        size_t len = strcspn(p, "/");
        if (i >= nseg)
            return 0;
        if (len > 2 && p[0] == '{' && p[len - 1] == '}') {
            if (seg[i][0] == '\0') /* a capture is never empty */
                return 0;
            if (params->n < ROUTE_MAX_PARAMS) {
                params->name[params->n] = p + 1;
                params->value[params->n] = seg[i];
                params->n++;
            }
        } else if (strlen(seg[i]) != len || strncmp(seg[i], p, len) != 0) {
            return 0;
        }
        i++;
        p += len;
        if (*p != '/')
            break;
        p++;
    }
    return i == nseg;
}

enum route_result route_match(const struct route *table, size_t n, const char *method, char *path_buf,
                              const struct route **out, struct route_params *params, char *allow,
                              size_t allow_len)
{
    char *seg[MAX_SEGMENTS];
    int nseg = split_path(path_buf, seg);
    if (allow && allow_len)
        allow[0] = '\0';
    if (nseg < 0)
        return ROUTE_NOT_FOUND;
    int path_known = 0;
    for (size_t i = 0; i < n; i++) {
        struct route_params p;
        if (!pattern_matches(table[i].pattern, seg, nseg, &p))
            continue;
        if (strcmp(table[i].method, method) == 0) {
            *out = &table[i];
            *params = p;
            return ROUTE_FOUND;
        }
        if (allow && allow_len) {
            size_t used = strlen(allow);
            if (!strstr(allow, table[i].method))
                snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", table[i].method);
        }
        path_known = 1;
    }
    return path_known ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

const char *route_param(const struct route_params *params, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < params->n; i++)
        if (strncmp(params->name[i], name, nl) == 0 && params->name[i][nl] == '}')
            return params->value[i];
    return NULL;
}
