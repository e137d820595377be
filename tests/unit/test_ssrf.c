/* Mirrors relay/ssrf.c: every refused class, the embedded-IPv4 forms, global
 * addresses, and the operator's allow list. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "ssrf.h"

static bool allowed(const char *ip, const struct ssrf_cidr *allow, int n)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1)
        v6->sin6_family = AF_INET6;
    else
        fail_msg("bad test address %s", ip);
    return ssrf_allowed((struct sockaddr *)&ss, allow, n);
}

static void refused_and_allowed(void **state)
{
    const char *refused[] = {
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "100.64.0.1", "127.0.0.1", "127.255.255.254", "169.254.169.254",
        "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.1.1", "198.18.0.1", "198.51.100.7",
        "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "::", "::1", "fc00::1",
        "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254",
        "64:ff9b::7f00:1", "2002:7f00:1::", "2002:c0a8:101::1", "2001:0:4136:e378::1", "2001:db8::1", "::127.0.0.1",
        "100::1",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (allowed(refused[i], NULL, 0))
            fail_msg("%s should be refused", refused[i]);
    const char *ok[] = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8",
                        "64:ff9b::808:808", "2002:808:808::1", "2a00:1450:4001::200e"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!allowed(ok[i], NULL, 0))
            fail_msg("%s should be allowed", ok[i]);
}

static void allow_list(void **state)
{
    struct ssrf_cidr allow[4];
    char err[128];
    assert_int_equal(ssrf_parse_list("127.0.0.0/8, 10.1.0.0/16 ::1", allow, 4, err, sizeof err), 3);
    assert_true(allowed("127.0.0.1", allow, 3));
    assert_true(allowed("10.1.2.3", allow, 3));
    assert_false(allowed("10.2.0.1", allow, 3));
    assert_true(allowed("::1", allow, 3));
    assert_true(allowed("::ffff:127.0.0.1", allow, 3)); /* the embedded address is what counts */
    assert_false(allowed("169.254.169.254", allow, 3));
    assert_int_equal(ssrf_parse_list("", allow, 4, err, sizeof err), 0);
    assert_int_equal(ssrf_parse_list("10.0.0.0/33", allow, 4, err, sizeof err), -1);
    assert_string_equal(err, "\"10.0.0.0/33\" is not an address or CIDR range");
    assert_int_equal(ssrf_parse_list("localhost", allow, 4, err, sizeof err), -1);
    assert_int_equal(ssrf_parse_list("1.1.1.1 2.2.2.2", allow, 1, err, sizeof err), -1);
    assert_string_equal(err, "more than 1 ranges");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(refused_and_allowed), cmocka_unit_test(allow_list)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
