/* Mirrors relay/config.c: defaults, a full file, every class of error with
 * its file:line, tenants with rotated keys, the no-autoclose list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static char path[64];

static const char *no_header(const void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

static const char *write_conf(const char *text)
{
    strcpy(path, "/tmp/shiprelay-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void defaults(void **state)
{
    struct config c;
    config_defaults(&c);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.max_body, 1048576);
    assert_true(c.embedded);
    assert_non_null(config_find_tenant(&c, "demo"));
    assert_ptr_equal(config_find_client_tenant(&c, "demo-client"), config_find_tenant(&c, "demo"));
    assert_false(config_find_tenant(&c, "demo")->require_oauth);
    assert_true(config_source_skips_autoclose(&c, "SHOPIFY"));
    assert_true(config_source_skips_autoclose(&c, "shopify"));
    assert_false(config_source_skips_autoclose(&c, "SHOPIFY_PLUS"));
    assert_false(config_source_skips_autoclose(&c, "API"));
    assert_false(config_source_skips_autoclose(&c, NULL));
    config_free(&c);
}

static void full_file(void **state)
{
    struct config c;
    char err[256];
    const char *p = write_conf("[server]\nlisten = [::1]:9000\nthreads = 4\nmax_body = 2048\n"
                               "[storage]\ndir = /tmp/x\n"
                               "[orders]\nno_autoclose_sources = shopify, Magento\n"
                               "[tenant \"acme\"]\napi_key = 0123456789abcdef-one\napi_key = 0123456789abcdef-two\n"
                               "client_id = oms\nclient_secret = first-secret-0123456789\n"
                               "client_id = oms\nclient_secret = rotated-secret-0123456789\n"
                               "client_id = wms\nclient_secret = wms-secret-0123456789\nrequire_oauth = yes\n"
                               "allocation_rule = WH-DXB country=AE sku=MUG-\nallocation_rule = WH-ANY\n"
                               "[oauth]\ntoken_ttl = 600\n"
                               "[tenant \"beta\"]\napi_key = beta-key-0123456789\n");
    assert_int_equal(config_load(&c, p, err, sizeof err), 0);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 9000);
    assert_int_equal(c.threads, 4);
    assert_int_equal(c.max_body, 2048);
    assert_string_equal(c.storage_dir, "/tmp/x");
    assert_false(c.embedded);
    assert_null(config_find_tenant(&c, "demo"));
    const struct config_tenant *t = config_find_tenant(&c, "acme");
    assert_non_null(t);
    assert_int_equal(t->n_api_keys, 2);
    assert_string_equal(t->api_keys[1], "0123456789abcdef-two");
    assert_int_equal(t->n_clients, 3);
    assert_string_equal(t->clients[1].id, "oms");
    assert_string_equal(t->clients[1].secret, "rotated-secret-0123456789");
    assert_string_equal(t->clients[2].secret, "wms-secret-0123456789");
    assert_true(t->require_oauth);
    assert_false(config_find_tenant(&c, "beta")->require_oauth);
    assert_ptr_equal(config_find_client_tenant(&c, "wms"), t);
    assert_null(config_find_client_tenant(&c, "nobody"));
    assert_int_equal(c.token_ttl, 600);
    assert_int_equal(t->n_rules, 2);
    assert_string_equal(allocation_match(t->rules, t->n_rules, "AE", "MUG-1", "m"), "WH-DXB");
    assert_string_equal(allocation_match(t->rules, t->n_rules, "SA", "MUG-1", "m"), "WH-ANY");
    assert_true(config_source_skips_autoclose(&c, "MAGENTO"));
    assert_true(config_source_skips_autoclose(&c, "Shopify"));
    config_free(&c);
    unlink(p);
}

/* [orders] stuck_STATUS: each status its own threshold, else its group's. */
static void stuck_thresholds(void **state)
{
    struct config c;
    config_defaults(&c);
    assert_int_equal(config_stuck_after(&c, 0), 86400);
    assert_int_equal(config_stuck_after(&c, 4), 604800);
    assert_int_equal(c.stuck_scan_interval, 60);
    config_free(&c);
    char err[512];
    const char *p = write_conf("[orders]\nstuck_before_fulfillment = 100\nstuck_allocated = 2h\n"
                               "stuck_fulfilled = 3d\nstuck_scan_interval = 10s\n");
    assert_int_equal(config_load(&c, p, err, sizeof err), 0);
    assert_string_equal(config_stuck_statuses[2], "allocated");
    assert_int_equal(config_stuck_after(&c, 0), 100);  /* open: the group's */
    assert_int_equal(config_stuck_after(&c, 2), 7200); /* allocated: its own */
    assert_int_equal(config_stuck_after(&c, 3), 604800);
    assert_int_equal(config_stuck_after(&c, 4), 3 * 86400);
    assert_int_equal(config_stuck_after(&c, 5), 0);
    assert_int_equal(c.stuck_scan_interval, 10);
    config_free(&c);
}

static void errors_name_file_and_line(void **state)
{
    unsetenv("AWS_ACCESS_KEY_ID"); /* the [s3] case below counts on there being no credentials */
    static const struct {
        const char *text;
        const char *want; /* after "path:" */
    } cases[] = {
        {"[server]\nthreads = 0\n", "2: server.threads must be between 1 and 64, not 0"},
        {"[server]\n\nthreads = many\n", "3: server.threads must be a whole number, not \"many\""},
        {"[server]\nlisten = nowhere\n", "2: server.listen must be HOST:PORT with a port from 1 to 65535, not \"nowhere\""},
        {"[server]\n\nlisten = 1.2.3.4:99999\n",
         "3: server.listen must be HOST:PORT with a port from 1 to 65535, not \"1.2.3.4:99999\""},
        {"[server]\nlisten = 127.0.0.1:0\n",
         "2: server.listen must be HOST:PORT with a port from 1 to 65535, not \"127.0.0.1:0\""},
        {"[server]\nlisten = [::1:80\n", "2: server.listen must be HOST:PORT with a port from 1 to 65535, not \"[::1:80\""},
        {"[server]\nlisten = 300.1.2.3:80\n", "2: server.listen: \"300.1.2.3\" is not an address of this machine's"},
        {"[storage]\ndir =\n", "2: storage.dir must not be empty"},
        {"[s3]\nendpoint = ftp://x\n", "2: s3.endpoint must start with http:// or https://"},
        {"[s3]\nregion = r\nbucket = b\n", "3: [s3] bucket is set but no credentials"},
        {"[log]\nlevel = loud\n", "2: log.level must be one of debug info warn error, not \"loud\""},
        {"[log]\naccess_format = xml\n", "2: log.access_format must be one of off logfmt json, not \"xml\""},
        {"[tenant \"acme\"]\nrate_limit = -1\n", "2: rate_limit must be a whole number from 0 to 1000000, not \"-1\""},
        {"[source \"acme/x\"]\nrate_burst = lots\n",
         "2: rate_burst must be a whole number from 0 to 1000000, not \"lots\""},
        {"[server]\nthread = 2\n", "2: unknown key \"thread\" in [server]"},
        {"[nope]\nx = 1\n", "2: unknown section [nope]"},
        {"[tenant \"a b\"]\napi_key = 0123456789abcdefg\n", "2: tenant id \"a b\" must be 1-64 of A-Z a-z 0-9 - _ ."},
        {"[tenant \"acme\"]\napi_key = short\n", "2: tenant \"acme\" api_key must be at least 16 characters"},
        {"[tenant \"acme\"]\nkey = 0123456789abcdefg\n",
         "2: unknown key \"key\" in [tenant \"acme\"] (known: api_key, client_id, client_secret, require_oauth, "
         "change_logs, allocation_rule, rate_limit, rate_burst)"},
        {"[tenant \"acme\"]\napi_key = 0123456789abcdefg\nclient_secret = 0123456789abcdefg\n",
         "3: tenant \"acme\" client_secret has no client_id before it"},
        {"[tenant \"acme\"]\napi_key = 0123456789abcdefg\nclient_id = oms\nclient_secret = short\n",
         "4: tenant \"acme\" client_secret must be at least 16 characters"},
        {"[tenant \"acme\"]\napi_key = 0123456789abcdefg\nclient_id = oms\n",
         "1: [tenant \"acme\"] client_id \"oms\" has no client_secret"},
        {"[tenant \"acme\"]\napi_key = 0123456789abcdefg\nrequire_oauth = yes\n",
         "1: [tenant \"acme\"] require_oauth needs a client_id and client_secret"},
        {"[tenant \"acme\"]\napi_key = 0123456789abcdefg\nallocation_rule = country=AE\n",
         "3: tenant \"acme\" allocation_rule must start with a location id, not \"country=AE\""},
        {"[tenant \"acme\"]\napi_key = 0123456789abcdefg\nrequire_oauth = maybe\n",
         "3: tenant \"acme\" require_oauth must be yes or no"},
        {"[tenant \"acme\"]\nclient_id = oms\nclient_secret = 0123456789abcdefg\n",
         "1: [tenant \"acme\"] has no api_key"},
        {"[tenant \"a\"]\napi_key = 0123456789abcdefg\nclient_id = oms\n[tenant \"b\"]\nclient_id = oms\n",
         "5: client_id \"oms\" is already a client of tenant \"a\""},
        {"[server\nthreads = 2\n", "1: syntax error"},
        {"[server]\nthreads 2\n", "2: syntax error"},
        {"[server]\nthreads = 2\n  continued\n", "3: server.threads must be a whole number, not \"continued\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config c;
        char err[256], want[300];
        const char *p = write_conf(cases[i].text);
        assert_int_equal(config_load(&c, p, err, sizeof err), -1);
        snprintf(want, sizeof want, "%s:%s", p, cases[i].want);
        if (strncmp(err, want, strlen(want)) != 0 || strchr(err, '\n') != strchr(want, '\n'))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, want);
        config_free(&c);
        unlink(p);
    }
}

/* Every problem of a file is reported, each with its line, not only the first. */
static void every_error_is_reported(void **state)
{
    struct config c;
    char err[1024], want[1024];
    const char *p = write_conf("[server]\nthreads = 0\nlisten = x\n[bogus\nignored = 1\n[storage]\nnope = 1\n"
                               "line without equals\n[tenant \"acme\"]\napi_key = short\n");
    assert_int_equal(config_load(&c, p, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%1$s:2: server.threads must be between 1 and 64, not 0\n"
             "%1$s:3: server.listen must be HOST:PORT with a port from 1 to 65535, not \"x\"\n"
             "%1$s:4: syntax error\n"
             "%1$s:7: unknown key \"nope\" in [storage]\n"
             "%1$s:8: syntax error\n"
             "%1$s:10: tenant \"acme\" api_key must be at least 16 characters",
             p);
    assert_string_equal(err, want);
    config_free(&c);
    unlink(p);
}

/* --print-config --config FILE: effective values, every secret masked. */
static void effective_config_masks_secrets(void **state)
{
    struct config c;
    char err[512];
    const char *p = write_conf("[server]\nthreads = 3\n[s3]\nbucket = b\naccess_key_id = AKIA-SECRET-ID\n"
                               "secret_access_key = S3-SECRET-KEY\n[limits]\napi_rate = 7\n"
                               "[tenant \"acme\"]\napi_key = acme-key-0123456789\nrate_limit = 9\n"
                               "[source \"acme/as\"]\nadapter = aftership\nsecret = HOOK-SECRET\nrate_burst = 4\n"
                               "[source \"acme/ups\"]\nadapter = ups\nclient_id = the-client\n"
                               "client_secret = OAUTH-SECRET\n");
    assert_int_equal(config_load(&c, p, err, sizeof err), 0);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    config_print_effective(mem, &c);
    fclose(mem);
    static const char *secrets[] = {"AKIA-SECRET-ID", "S3-SECRET-KEY", "acme-key-0123456789", "HOOK-SECRET",
                                    "OAUTH-SECRET"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        assert_null(strstr(out, secrets[i]));
    static const char *shown[] = {"\n[server]\n", "\nthreads = 3\n", "\nbucket = b\n", "\nsecret_access_key = ********\n",
                                  "\napi_rate = 7\n", "\n[tenant \"acme\"]\napi_key = ********\nrate_limit = 9\n",
                                  "\n[source \"acme/as\"]\nadapter = aftership\nsecret = ********\nrate_burst = 4\n",
                                  "\nclient_id = the-client\nclient_secret = ********\n", "\nsweep_interval = 3600\n"};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (!strstr(out, shown[i]))
            fail_msg("missing %s in:\n%s", shown[i], out);
    free(out);
    config_free(&c);
    unlink(p);
}

static void sources(void **state)
{
    struct config c;
    char err[256];
    const char *p = write_conf("[source \"acme/as\"]\nadapter = aftership\nsecret = one\nsecret = two\n"
                               "[source \"acme/dhl\"]\nadapter = dhl\ntoken = t0k3n\nheader = DHL-API-Key\n"
                               "[source \"acme/ups\"]\nadapter = ups\nclient_id = id\nclient_secret = sec\n"
                               "[source \"acme/ay\"]\nadapter = aymakan\ntoken = ay\n"
                               "[source \"acme/shippo\"]\nadapter = shippo\ntoken = t\n"
                               "[tenant \"acme\"]\napi_key = acme-key-0123456789\n");
    assert_int_equal(config_load(&c, p, err, sizeof err), 0);
    assert_int_equal(c.n_sources, 5);
    const struct adapter_source *s = config_find_source(&c, "acme", "as");
    assert_non_null(s);
    assert_string_equal(s->kind, "aftership");
    assert_int_equal(s->n_secrets, 2);
    assert_string_equal(config_find_source(&c, "acme", "dhl")->header, "DHL-API-Key");
    assert_null(config_find_source(&c, "beta", "as"));
    config_free(&c);
    unlink(p);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"[source \"acme\"]\nadapter = dhl\n", "2: source \"acme\" must be named TENANT/NAME"},
        {"[source \"acme/x\"]\nadapter = fedex\n",
         "2: [source \"acme/x\"] adapter \"fedex\" is not one of aftership, easypost, shippo, ups, dhl, aymakan, "
         "carriyo-carrier, carriyo, wms"},
        {"[source \"acme/x\"]\nadapter = dhl\nadapter = dhl\n", "3: [source \"acme/x\"] adapter is given twice"},
        {"[source \"acme/x\"]\nkey = 1\n",
         "2: unknown key \"key\" in [source \"acme/x\"] (known: adapter, secret, token, header, client_id, client_secret, "
         "allow_unauthenticated, rate_limit, rate_burst)"},
        {"\n[source \"acme/x\"]\nadapter = aftership\n", "3: [source \"acme/x\"] needs secret"},
        {"[source \"acme/x\"]\nadapter = dhl\ntoken = t\n", "2: [source \"acme/x\"] needs header"},
        {"[source \"acme/x\"]\nadapter = ups\nclient_id = i\n", "2: [source \"acme/x\"] needs client_secret"},
        {"[source \"acme/x\"]\nadapter = shippo\n", "2: [source \"acme/x\"] needs token or secret"},
        {"[source \"acme/x\"]\nsecret = s\n", "2: [source \"acme/x\"] needs adapter"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[400];
        p = write_conf(bad[i].text);
        assert_int_equal(config_load(&c, p, err, sizeof err), -1);
        snprintf(want, sizeof want, "%s:%s", p, bad[i].want);
        assert_string_equal(err, want);
        config_free(&c);
        unlink(p);
    }
}

/* Configs that would let anyone in, or one tenant act as another, are
 * refused with their file and line; allow_unauthenticated is the explicit
 * way out for a header-token source. */
static void unsafe_configs_refused(void **state)
{
#define ACME "[tenant \"acme\"]\napi_key = acme-key-0123456789\n"
    static const struct {
        const char *text, *want;
    } bad[] = {
        {ACME "[source \"acme/ay\"]\nadapter = aymakan\n",
         "4: [source \"acme/ay\"] needs token (or allow_unauthenticated = yes to accept callbacks from anyone who "
         "knows its URL)"},
        {ACME "[source \"acme/w\"]\nadapter = wms\nheader = X-Seal\n",
         "4: [source \"acme/w\"] needs token (or allow_unauthenticated = yes to accept callbacks from anyone who "
         "knows its URL)"},
        {ACME "[source \"acme/cc\"]\nadapter = carriyo-carrier\n",
         "4: [source \"acme/cc\"] needs token (or allow_unauthenticated = yes to accept callbacks from anyone who "
         "knows its URL)"},
        {ACME "\n[source \"ghost/w\"]\nadapter = wms\ntoken = t\n",
         "5: [source \"ghost/w\"] belongs to no configured tenant (add its [tenant] section with an api_key)"},
        {"[source \"acme/w\"]\nadapter = wms\ntoken = t\n" ACME "[source \"beta/w\"]\nadapter = wms\ntoken = t\n",
         "7: [source \"beta/w\"] belongs to no configured tenant (add its [tenant] section with an api_key)"},
        {"[tenant \"a\"]\napi_key = shared-key-0123456789\n[tenant \"b\"]\napi_key = b-key-0123456789abc\n"
         "api_key = shared-key-0123456789\n",
         "5: tenant \"b\" api_key is already a key of tenant \"a\"; each tenant needs its own keys"},
        {ACME "\n[tenant \"empty\"]\n[server]\nthreads = 2\n", "4: [tenant \"empty\"] has no api_key"},
        {"[tenant \"lonely\"]\n", "1: [tenant \"lonely\"] has no api_key"},
        {ACME "[source \"acme/as\"]\nadapter = aftership\nsecret = s\nallow_unauthenticated = yes\n",
         "4: [source \"acme/as\"] allow_unauthenticated is only for sources authenticated by a header token "
         "(aymakan, dhl, carriyo-carrier, carriyo, wms)"},
        {ACME "[source \"acme/w\"]\nadapter = wms\ntoken = t\nallow_unauthenticated = yes\n",
         "4: [source \"acme/w\"] has a token and allow_unauthenticated = yes: remove one"},
        {ACME "[source \"acme/w\"]\nadapter = wms\nallow_unauthenticated = maybe\n",
         "5: [source \"acme/w\"] allow_unauthenticated must be yes or no"},
    };
    struct config c;
    char err[400], want[500];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = write_conf(bad[i].text);
        assert_int_equal(config_load(&c, p, err, sizeof err), -1);
        snprintf(want, sizeof want, "%s:%s", p, bad[i].want);
        assert_string_equal(err, want);
        config_free(&c);
        unlink(p);
    }
    /* The explicit opt-out: loads, and such a source lets any caller through. */
    const char *p = write_conf(ACME "[source \"acme/ay\"]\nadapter = aymakan\nallow_unauthenticated = yes\n"
                                    "[source \"acme/dhl\"]\nadapter = dhl\nallow_unauthenticated = yes\n"
                                    "[source \"acme/w\"]\nadapter = wms\ntoken = t\nallow_unauthenticated = no\n");
    assert_int_equal(config_load(&c, p, err, sizeof err), 0);
    const struct adapter_source *ay = config_find_source(&c, "acme", "ay");
    assert_true(ay->allow_unauthenticated);
    assert_false(config_find_source(&c, "acme", "w")->allow_unauthenticated);
    struct adapter_request req = {.body = "{}", .body_len = 2, .header = no_header, .ctx = NULL};
    assert_int_equal(adapter_aymakan.verify(ay, &req, err, sizeof err), ADAPTER_OK);
    assert_int_equal(adapter_dhl.verify(config_find_source(&c, "acme", "dhl"), &req, err, sizeof err), ADAPTER_OK);
    assert_int_equal(adapter_wms.verify(config_find_source(&c, "acme", "w"), &req, err, sizeof err),
                     ADAPTER_UNAUTHORIZED);
    config_free(&c);
    unlink(p);
#undef ACME
}

static void missing_file(void **state)
{
    struct config c;
    char err[256];
    assert_int_equal(config_load(&c, "/nonexistent/shiprelay.conf", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/shiprelay.conf:0: cannot open"));
    config_free(&c);
}

static void shipped_conf_lists_every_key(void **state)
{
    /* config/shiprelay.conf is the generated listing: it must match the table. */
    char *printed = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&printed, &len);
    config_print_annotated(mem);
    fclose(mem);
    const char *src = getenv("SHIPRELAY_SOURCE");
    char file[512];
    snprintf(file, sizeof file, "%s/config/shiprelay.conf", src ? src : "..");
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char *shipped = calloc(1, len + 2);
    size_t got = fread(shipped, 1, len + 1, f);
    fclose(f);
    assert_int_equal(got, len);
    assert_memory_equal(shipped, printed, len);
    /* and it loads cleanly */
    struct config c;
    char err[256];
    assert_int_equal(config_load(&c, file, err, sizeof err), 0);
    config_free(&c);
    free(shipped);
    free(printed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults), cmocka_unit_test(stuck_thresholds),
        cmocka_unit_test(full_file),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(every_error_is_reported),
        cmocka_unit_test(effective_config_masks_secrets),
        cmocka_unit_test(sources),
        cmocka_unit_test(unsafe_configs_refused),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(shipped_conf_lists_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
