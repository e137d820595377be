/* Mirrors relay/access_log.c: the line of a request in logfmt and JSON,
 * quoting and escaping, a line that does not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "access_log.h"

static const struct access_entry entry = {
    .time_ms = 1795342530123LL, /* 2026-11-22T10:15:30.123Z */
    .tenant = "acme",
    .method = "POST",
    .route = "/orders/{reference}/cancel",
    .status = 201,
    .duration_ns = 3214000,
    .bytes_out = 512,
    .bytes_in = 300,
    .correlation_id = "c-1",
    .peer = "127.0.0.1:5555",
};

static void logfmt_line(void **state)
{
    char buf[512];
    size_t n = access_log_format(1, &entry, buf, sizeof buf);
    buf[n] = '\0';
    assert_string_equal(buf, "time=2026-11-22T10:15:30.123Z tenant=acme method=POST route=/orders/{reference}/cancel "
                             "status=201 duration_ms=3.214 bytes=512 bytes_in=300 correlation_id=c-1 "
                             "peer=127.0.0.1:5555\n");
    struct access_entry e = entry;
    e.tenant = NULL;
    e.route = NULL;
    e.correlation_id = "a \"b\"=c\\";
    n = access_log_format(1, &e, buf, sizeof buf);
    buf[n] = '\0';
    assert_non_null(strstr(buf, " tenant=- method=POST route=- "));
    assert_non_null(strstr(buf, " correlation_id=\"a \\\"b\\\"=c\\\\\" peer="));
}

static void json_line(void **state)
{
    char buf[512];
    struct access_entry e = entry;
    e.tenant = NULL;
    e.correlation_id = "q\"\n";
    size_t n = access_log_format(2, &e, buf, sizeof buf);
    buf[n] = '\0';
    assert_string_equal(buf, "{\"time\":\"2026-11-22T10:15:30.123Z\",\"tenant\":null,\"method\":\"POST\","
                             "\"route\":\"/orders/{reference}/cancel\",\"status\":201,\"duration_ms\":3.214,"
                             "\"bytes\":512,\"bytes_in\":300,\"correlation_id\":\"q\\\"\\u000a\","
                             "\"peer\":\"127.0.0.1:5555\"}\n");
}

static void a_long_line_is_cut_but_ends_its_line(void **state)
{
    char buf[40];
    size_t n = access_log_format(1, &entry, buf, sizeof buf);
    assert_int_equal(n, sizeof buf);
    assert_int_equal(buf[n - 1], '\n');
    assert_memory_equal(buf, "time=2026-11-22T10:15:30.123Z tenant=", 37);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logfmt_line),
        cmocka_unit_test(json_line),
        cmocka_unit_test(a_long_line_is_cut_but_ends_its_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
