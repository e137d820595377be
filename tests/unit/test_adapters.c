/* Mirrors adapters/: every case of every fixtures/<source>/cases.json runs
 * through its adapter (verify over the raw bytes, then normalize), and the
 * canonical events must equal the expected ones exactly. Plus EasyPost's
 * published signature vector, and the status-map lookup rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "adapter.h"

static const char *source_root(void)
{
    const char *s = getenv("SHIPRELAY_SOURCE");
    return s ? s : "..";
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Header and query lookups over the case's JSON maps. */
struct lookup {
    json_t *headers, *query;
};

static const char *find_header(const void *ctx, const char *name)
{
    const char *key;
    json_t *v;
    json_object_foreach(((const struct lookup *)ctx)->headers, key, v)
    {
        if (strcasecmp(key, name) == 0)
            return json_string_value(v);
    }
    return NULL;
}

static const char *find_query(const void *ctx, const char *name)
{
    return json_string_value(json_object_get(((const struct lookup *)ctx)->query, name));
}

static char *opt(json_t *src, const char *key)
{
    const char *s = json_string_value(json_object_get(src, key));
    return s ? (char *)s : NULL;
}

static void run_source(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/%s/cases.json", source_root(), dir);
    json_error_t jerr;
    json_t *m = json_load_file(path, 0, &jerr);
    if (!m)
        fail_msg("%s: %s", path, jerr.text);
    json_t *s = json_object_get(m, "source");
    struct adapter_source src = {
        .tenant = opt(s, "tenant"),
        .name = opt(s, "name"),
        .kind = opt(s, "adapter"),
        .token = opt(s, "token"),
        .header = opt(s, "header"),
        .client_id = opt(s, "client_id"),
        .client_secret = opt(s, "client_secret"),
    };
    json_t *secrets = json_object_get(s, "secrets");
    char *keys[8];
    for (size_t i = 0; i < json_array_size(secrets) && i < 8; i++)
        keys[src.n_secrets++] = (char *)json_string_value(json_array_get(secrets, i));
    src.secrets = keys;
    const struct adapter *a = adapter_find(src.kind);
    assert_non_null(a);

    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(m, "cases"), i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        snprintf(path, sizeof path, "%s/fixtures/%s/%s", source_root(), dir, json_string_value(json_object_get(c, "body")));
        size_t len;
        char *body = slurp(path, &len);
        if (!body)
            fail_msg("%s: cannot read %s", dir, path);
        struct lookup lk = {json_object_get(c, "headers"), json_object_get(c, "query")};
        struct adapter_request req = {body, len, find_header, find_query, &lk, json_integer_value(json_object_get(c, "now"))};
        char err[256] = "";
        int rc = a->verify(&src, &req, err, sizeof err);
        const char *want_verify = json_string_value(json_object_get(c, "verify"));
        if ((rc == ADAPTER_OK) != (strcmp(want_verify, "ok") == 0))
            fail_msg("%s / %s: verify gave %d (%s), want %s", dir, name, rc, err, want_verify);
        if (rc == ADAPTER_OK) {
            const char *want = json_string_value(json_object_get(c, "normalize"));
            json_t *parsed = json_loadb(body, len, 0, NULL);
            if (strcmp(want, "unparsable") == 0) {
                if (parsed)
                    fail_msg("%s / %s: expected the body not to parse", dir, name);
            } else {
                if (!parsed)
                    fail_msg("%s / %s: the body does not parse", dir, name);
                json_t *events = json_array();
                rc = a->normalize(parsed, &req, events, err, sizeof err);
                if ((rc == ADAPTER_OK) != (strcmp(want, "ok") == 0))
                    fail_msg("%s / %s: normalize gave %d (%s), want %s", dir, name, rc, err, want);
                if (rc == ADAPTER_INVALID && !err[0])
                    fail_msg("%s / %s: refused without a reason", dir, name);
                json_t *expected = json_object_get(c, "events");
                if (expected && !json_equal(events, expected)) {
                    char *got = json_dumps(events, JSON_SORT_KEYS);
                    char *exp = json_dumps(expected, JSON_SORT_KEYS);
                    fail_msg("%s / %s:\n got  %s\n want %s", dir, name, got, exp);
                }
                json_decref(events);
                json_decref(parsed);
            }
        }
        free(body);
    }
    json_decref(m);
}

#define SOURCE_TEST(fn, dir)                                                                                           \
    static void fn(void **state)                                                                                       \
    {                                                                                                                  \
        run_source(dir);                                                                                               \
    }
SOURCE_TEST(aftership, "aftership")
SOURCE_TEST(easypost, "easypost")
SOURCE_TEST(shippo, "shippo")
SOURCE_TEST(ups, "ups")
SOURCE_TEST(dhl, "dhl")
SOURCE_TEST(aymakan, "aymakan")
SOURCE_TEST(carriyo_carrier, "carriyo-carrier")
SOURCE_TEST(carriyo, "carriyo")
SOURCE_TEST(wms, "wms")

static const char *no_query(const void *ctx, const char *name)
{
    return NULL;
}

static const char *vector_header(const void *ctx, const char *name)
{
    return strcasecmp(name, "X-Hmac-Signature") == 0 ? ctx : NULL;
}

/* EasyPost's published vector: secret "sécret" NFKD-normalised as the key. */
static void easypost_published_vector(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s/../shared/reference/payloads/easypost-tracker-updated-in-transit-hmac-fixture.json",
             source_root());
    size_t len;
    char *body = slurp(path, &len);
    assert_non_null(body);
    assert_int_equal(len, 3550);
    const char *sig = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db";
    char *nfc = "s\xc3\xa9"
                "cret";                              /* é precomposed, as typed */
    char *nfd = "se\xcc\x81"
                "cret";                              /* already decomposed */
    char err[256];
    for (int form = 0; form < 2; form++) {
        char *secrets[] = {form ? nfd : nfc};
        struct adapter_source src = {.kind = "easypost", .secrets = secrets, .n_secrets = 1};
        struct adapter_request req = {body, len, vector_header, no_query, sig, 0};
        assert_int_equal(adapter_easypost.verify(&src, &req, err, sizeof err), ADAPTER_OK);
        req.body_len = len - 1; /* any change to the bytes breaks it */
        assert_int_equal(adapter_easypost.verify(&src, &req, err, sizeof err), ADAPTER_UNAUTHORIZED);
    }
    /* Without the normalisation (the NFC key used as is) it does not verify. */
    char *secrets[] = {nfc};
    struct adapter_source raw = {.secrets = secrets, .n_secrets = 1};
    assert_int_equal(adapter_check_hmac(&raw, body, len, sig + strlen("hmac-sha256-hex="), adapter_encode_hex, err,
                                        sizeof err),
                     ADAPTER_UNAUTHORIZED);
    /* The event is a repeat of in_transit: it normalises to in_transit. */
    json_t *parsed = json_loadb(body, len, 0, NULL);
    json_t *events = json_array();
    struct adapter_request req = {body, len, vector_header, no_query, sig, 0};
    assert_int_equal(adapter_easypost.normalize(parsed, &req, events, err, sizeof err), ADAPTER_OK);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "status")), "in_transit");
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "raw_substatus")),
                        "arrived_at_facility");
    json_decref(events);
    json_decref(parsed);
    free(body);
}

static void status_map_lookup(void **state)
{
    static const struct adapter_status_map map[] = {
        {"TRANSIT", NULL, "in_transit"},
        {"TRANSIT", "delayed", "delayed"},
        {"DELIVERED", NULL, "delivered"},
    };
    assert_string_equal(adapter_map_status(map, 3, "TRANSIT", NULL), "in_transit");
    assert_string_equal(adapter_map_status(map, 3, "transit", "DELAYED"), "delayed");
    assert_string_equal(adapter_map_status(map, 3, "TRANSIT", "other"), "in_transit");
    assert_string_equal(adapter_map_status(map, 3, "DELIVERED", "delayed"), "delivered");
    assert_null(adapter_map_status(map, 3, "LOST", NULL));
    assert_null(adapter_map_status(map, 3, NULL, NULL));
    assert_null(adapter_find("nope"));
    assert_ptr_equal(adapter_find("ups"), &adapter_ups);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aftership),       cmocka_unit_test(easypost), cmocka_unit_test(shippo),
        cmocka_unit_test(ups),             cmocka_unit_test(dhl),      cmocka_unit_test(aymakan),
        cmocka_unit_test(carriyo_carrier), cmocka_unit_test(carriyo),  cmocka_unit_test(wms),
        cmocka_unit_test(easypost_published_vector), cmocka_unit_test(status_map_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
