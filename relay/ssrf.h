/* ssrf: may the relay connect to this address? Pure.
 *
 * Webhook URLs are the merchant's to choose, so without a guard a URL could
 * point the relay at its own network. Only global unicast addresses pass:
 * refused are unspecified, loopback, private (RFC 1918, fc00::/7), shared
 * (100.64/10), link-local (169.254/16 with the cloud metadata address,
 * fe80::/10), multicast, broadcast, reserved and documentation ranges, and
 * IPv6 forms that embed an IPv4 address (mapped ::ffff:0:0/96, compatible
 * ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16) unless the embedded address
 * passes; Teredo (2001::/32) is refused. An operator's allow list of CIDRs
 * ([webhooks] allow_private) lets chosen ranges through. */
#ifndef SHIPRELAY_SSRF_H
#define SHIPRELAY_SSRF_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct ssrf_cidr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int prefix;
};

/* Parse "10.0.0.0/8", "127.0.0.1", "::1/128"; false when malformed. */
bool ssrf_parse_cidr(const char *text, struct ssrf_cidr *out);
/* Parse a space/comma separated list into out (at most max); -1 with the bad
 * entry in err when one is malformed, else the count. */
int ssrf_parse_list(const char *text, struct ssrf_cidr *out, int max, char *err, size_t errlen);
bool ssrf_allowed(const struct sockaddr *sa, const struct ssrf_cidr *allow, int n_allow);

#endif
