/* store_pg_conn: connections, prepared statements, parameters and rows for
 * the PostgreSQL backend (store_pg_int.h).
 *
 * The connection string is the operator's ([storage] url); it is handed to
 * libpq and never logged. libpq's own messages name the host and port at
 * most, never the password. Every session runs with synchronous_commit on
 * (a commit returns once it is durable: the promise behind a 2xx) and READ
 * COMMITTED (the store takes row locks where a job reads what it will
 * write: store_pg_orders.c). */
#include "store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_JSON 114
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700
#define OID_JSONB 3802

int64_t pg_now_ms(void)
{
    return time_now_ms();
}

/* ---- parameters ---- */

/* Length of the valid UTF-8 sequence at p (1-4), or 0. */
static int utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!n || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0; /* overlong, or a surrogate */
    if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0;
    return n;
}

/* PostgreSQL's text takes valid UTF-8 only: text from outside (a
 * receiver's response, a request URL) may not be, so a copy with each bad
 * byte replaced by U+FFFD goes instead. */
void pa_text(struct pg_args *a, const char *s)
{
    int i = a->n++;
    if (i >= PG_ARGS_MAX)
        abort(); /* raise PG_ARGS_MAX: a programming error */
    a->fmt[i] = 0;
    a->len[i] = 0;
    a->owned[i] = NULL;
    a->v[i] = s;
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = utf8_len(p);
        if (!n)
            break;
        p += n;
    }
    if (!*p)
        return;
    size_t len = strlen(s);
    char *out = xmalloc(len * 3 + 1), *w = out;
    for (p = (const unsigned char *)s; *p;) {
        int n = utf8_len(p);
        if (n) {
            memcpy(w, p, (size_t)n);
            w += n;
            p += n;
        } else {
            memcpy(w, "\xEF\xBF\xBD", 3);
            w += 3;
            p++;
        }
    }
    *w = '\0';
    a->owned[i] = out;
    a->v[i] = out;
}

void pa_int(struct pg_args *a, int64_t v)
{
    int i = a->n;
    pa_text(a, NULL);
    snprintf(a->num[i], sizeof a->num[i], "%lld", (long long)v);
    a->v[i] = a->num[i];
}

void pa_bin(struct pg_args *a, const void *data, size_t len)
{
    int i = a->n;
    pa_text(a, NULL);
    a->v[i] = data ? data : "";
    a->len[i] = (int)len;
    a->fmt[i] = 1;
}

void pa_free(struct pg_args *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n; i++)
        free(a->owned[i]);
    a->n = 0;
}

/* ---- connections ---- */

static void first_line(const char *msg, char *out, size_t len)
{
    snprintf(out, len, "%s", msg && *msg ? msg : "unknown error");
    out[strcspn(out, "\n")] = '\0';
}

/* The server's notices (NOTICE, WARNING) go to our log, not to stderr raw. */
static void quiet(void *arg, const char *message)
{
    char msg[512];
    first_line(message, msg, sizeof msg);
    log_debug("store: PostgreSQL says: %s", msg);
}

void pgc_close(struct pg_conn *c)
{
    if (c->conn)
        PQfinish(c->conn);
    c->conn = NULL;
    c->n = 0;
}

int pgc_connect(struct pg_conn *c, char *err, size_t errlen)
{
    /* A session the server ended meanwhile (a restart) has said so on the
     * socket: read it without waiting, and start afresh instead of failing
     * the next statement. */
    if (c->conn && PQconsumeInput(c->conn) && PQstatus(c->conn) == CONNECTION_OK)
        return 0;
    if (c->conn)
        log_warn("store: the %s connection to PostgreSQL was closed by the server; reconnecting",
                 c->role ? c->role : "");
    pgc_close(c);
    int64_t now = time_now_ms();
    if (now < c->retry_at) {
        if (err)
            snprintf(err, errlen, "the database is unreachable (trying again shortly)");
        return -1;
    }
    char app[96];
    snprintf(app, sizeof app, "shiprelay %s", c->role ? c->role : "");
    /* Ours first, so the operator's connection string overrides them
     * (expand_dbname: "dbname" holds the whole string). */
    const char *keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
                          "client_encoding", "dbname", "fallback_application_name", NULL};
    const char *values[] = {"5", "10", "5", "3", "UTF8", c->url, app, NULL};
    c->conn = PQconnectdbParams(keys, values, 1);
    char msg[512];
    if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
        first_line(c->conn ? PQerrorMessage(c->conn) : "out of memory", msg, sizeof msg);
        pgc_close(c);
        c->backoff_ms = c->backoff_ms ? (c->backoff_ms * 2 > 5000 ? 5000 : c->backoff_ms * 2) : 100;
        c->retry_at = now + c->backoff_ms;
        if (err)
            snprintf(err, errlen, "cannot connect to PostgreSQL: %s", msg);
        return -1;
    }
    PQsetNoticeProcessor(c->conn, quiet, NULL);
    PGresult *r = PQexec(c->conn, "SET synchronous_commit = on; SET client_min_messages = warning; "
                                  "SET default_transaction_isolation = 'read committed'; SET TimeZone = 'UTC'");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        first_line(PQerrorMessage(c->conn), msg, sizeof msg);
        pgc_close(c);
        if (err)
            snprintf(err, errlen, "cannot set up the PostgreSQL session: %s", msg);
        return -1;
    }
    if (c->backoff_ms)
        log_info("store: %s connection to PostgreSQL is back", c->role ? c->role : "a");
    c->backoff_ms = 0;
    c->retry_at = 0;
    c->generation++;
    return 0;
}

/* Say how r (NULL or not ok) failed, closing a broken connection. */
void pgc_failed(struct pg_conn *c, PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    bool broken = !c->conn || PQstatus(c->conn) != CONNECTION_OK || (state && !strncmp(state, "08", 2)) ||
                  (state && !strncmp(state, "57P", 3));
    if (broken) {
        c->fail = PG_FAIL_LOST;
        char msg[256];
        first_line(r ? PQresultErrorMessage(r) : c->conn ? PQerrorMessage(c->conn) : "", msg, sizeof msg);
        log_warn("store: lost the %s connection to PostgreSQL: %s", c->role ? c->role : "", msg);
        pgc_close(c);
        return;
    }
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01"))) {
        c->fail = PG_FAIL_RETRY;
        c->saw_retry = true;
    }
    else if (state && !strcmp(state, "23505"))
        c->fail = PG_FAIL_CONFLICT;
    else
        c->fail = PG_FAIL_ERROR;
    if (c->fail == PG_FAIL_ERROR) {
        char msg[512];
        first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c->conn), msg, sizeof msg);
        log_error("store: %s (SQLSTATE %s)", msg, state ? state : "?");
    }
}

static bool result_ok(PGresult *r)
{
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
}

/* Run, keeping a (the callers free it). */
static PGresult *run(struct pg_conn *c, const char *sql, const struct pg_args *a, bool result_binary)
{
    c->fail = PG_FAIL_NONE;
    if (!c->conn) {
        c->fail = PG_FAIL_LOST;
        return NULL;
    }
    int i = 0;
    while (i < c->n && c->sql[i] != sql)
        i++;
    char name[16];
    snprintf(name, sizeof name, "s%d", i);
    if (i == c->n) {
        if (c->n == PG_STMT_MAX)
            abort(); /* raise PG_STMT_MAX: a programming error, not a runtime one */
        store_trace_sql(&store_pg_backend, sql);
        PGresult *p = PQprepare(c->conn, name, sql, 0, NULL);
        if (!result_ok(p)) {
            pgc_failed(c, p);
            PQclear(p);
            return NULL;
        }
        PQclear(p);
        c->sql[c->n++] = sql;
    }
    PGresult *r = PQexecPrepared(c->conn, name, a ? a->n : 0, a ? a->v : NULL, a ? a->len : NULL,
                                 a ? a->fmt : NULL, result_binary ? 1 : 0);
    if (result_ok(r))
        return r;
    pgc_failed(c, r);
    PQclear(r);
    return NULL;
}

PGresult *pgc_run(struct pg_conn *c, const char *sql, struct pg_args *a, bool result_binary)
{
    PGresult *r = run(c, sql, a, result_binary);
    pa_free(a);
    return r;
}

PGresult *pgc_exec(struct pg_conn *c, const char *sql)
{
    c->fail = PG_FAIL_NONE;
    if (!c->conn) {
        c->fail = PG_FAIL_LOST;
        return NULL;
    }
    PGresult *r = PQexec(c->conn, sql);
    if (result_ok(r))
        return r;
    pgc_failed(c, r);
    PQclear(r);
    return NULL;
}

int pgc_do(struct pg_conn *c, const char *sql, struct pg_args *a)
{
    PGresult *r = pgc_run(c, sql, a, false);
    PQclear(r);
    return r ? 0 : -1;
}

PGresult *pgr_run_once(struct pg_conn *c, const char *sql, struct pg_args *a)
{
    PGresult *r = NULL;
    for (int attempt = 0; attempt < 2 && !r && pgc_connect(c, NULL, 0) == 0; attempt++) {
        store_trace_sql(&store_pg_backend, sql);
        r = PQexecParams(c->conn, sql, a->n, NULL, a->v, a->len, a->fmt, 0);
        if (!result_ok(r)) {
            pgc_failed(c, r);
            PQclear(r);
            r = NULL;
            if (c->fail != PG_FAIL_LOST)
                break;
        }
    }
    pa_free(a);
    return r;
}

PGresult *pgr_run(struct pg_conn *c, const char *sql, struct pg_args *a, bool result_binary)
{
    PGresult *r = NULL;
    if (pgc_connect(c, NULL, 0) == 0) {
        r = run(c, sql, a, result_binary);
        if (!r && c->fail == PG_FAIL_LOST && pgc_connect(c, NULL, 0) == 0)
            r = run(c, sql, a, result_binary); /* a read may be asked again */
    }
    pa_free(a);
    return r;
}

json_t *pgr_rows(struct pg_conn *c, const char *sql, struct pg_args *a)
{
    PGresult *r = pgr_run(c, sql, a, false);
    json_t *rows = r ? pg_rows(r) : NULL;
    PQclear(r);
    return rows;
}

/* ---- rows ---- */

int64_t pg_int(PGresult *r, int row, int col, int64_t def)
{
    if (!r || row >= PQntuples(r) || col >= PQnfields(r) || PQgetisnull(r, row, col))
        return def;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

json_t *pg_rows(PGresult *r)
{
    json_t *out = json_array();
    int rows = PQntuples(r), cols = PQnfields(r);
    for (int i = 0; i < rows; i++) {
        json_t *row = json_object();
        for (int c = 0; c < cols; c++) {
            const char *name = PQfname(r, c);
            size_t nl = strlen(name);
            bool parse = nl > 5 && strcmp(name + nl - 5, "_json") == 0;
            const char *v = PQgetvalue(r, i, c);
            json_t *val;
            Oid type = PQftype(r, c);
            if (PQgetisnull(r, i, c))
                val = json_null();
            else if (parse || type == OID_JSON || type == OID_JSONB) {
                val = json_loads(v, JSON_DECODE_ANY, NULL);
                if (!val)
                    val = json_null();
            } else if (type == OID_INT8 || type == OID_INT4 || type == OID_INT2)
                val = json_integer(strtoll(v, NULL, 10));
            else if (type == OID_FLOAT8 || type == OID_FLOAT4 || type == OID_NUMERIC)
                val = json_real(strtod(v, NULL));
            else if (type == OID_BOOL)
                val = json_boolean(v[0] == 't');
            else
                val = json_stringn_nocheck(v, (size_t)PQgetlength(r, i, c));
            if (parse) {
                char key[64];
                snprintf(key, sizeof key, "%.*s", (int)(nl - 5), name);
                json_object_set_new(row, key, val);
            } else
                json_object_set_new(row, name, val);
        }
        json_array_append_new(out, row);
    }
    return out;
}
