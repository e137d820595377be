/* syslog: system-log entries (Carriyo's integration logs): what every
 * integration sent and received, per order. Metadata is a store row; the
 * request and response bodies are committed with it into the body spool
 * (so a 2xx means they are on disk) and moved to the object store by the
 * uploader (uploader.h).
 *
 * An entry is a JSON object with: identifier, tenant, order_id,
 * correlation_id, event_type (INBOUND, INTERNAL, OUTBOUND), request_type,
 * source_type, source_id, request_method, request_url, request_headers,
 * response_code, response_headers, request_time, response_time, and for
 * outbound attempts duration {dns_ms, connect_ms, tls_ms, first_byte_ms,
 * total_ms}. request_headers / response_headers may be objects, or strings
 * holding them already serialised. Body keys are TENANT/YYYY/MM/DD/IDENTIFIER-request|response.
 *
 * Secrets never reach a log: syslog_redact_headers and syslog_redact_url
 * blank every header or query parameter whose name speaks of a key, token,
 * secret, signature, HMAC, pass(word), cookie, auth(orization) or
 * credential, and syslog_redact_url drops the userinfo of a URL
 * ("https://user:pass@host/" → "https://host/"). */
#ifndef SHIPRELAY_SYSLOG_H
#define SHIPRELAY_SYSLOG_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct store_txn;

#define SYSLOG_REDACTED "[redacted]"

/* Store entry (identifier made when absent) and its bodies, inside a job.
 * A NULL or empty body is not stored. STORE_OK, STORE_SPOOL_FULL (nothing
 * written) or STORE_EIO. */
int syslog_add(struct store_txn *txn, json_t *entry, const char *request_body, size_t request_len,
               const char *response_body, size_t response_len);
/* The same for bodies the store already holds elsewhere: the entry points
 * at them by key ("db:message:ID", "db:attempt:ID:N"; NULL for none) and
 * nothing is spooled. */
int syslog_add_refs(struct store_txn *txn, json_t *entry, const char *request_ref, const char *response_ref);
/* A new entry with the common members set; the caller adds the rest. */
json_t *syslog_entry(const char *tenant, const char *order_id, const char *correlation_id, const char *event_type,
                     const char *request_type, const char *source_type, const char *source_id);
/* Is this header or parameter name one whose value must not be logged? */
bool syslog_sensitive(const char *name);
/* Copies with sensitive values replaced by SYSLOG_REDACTED (and, for a URL,
 * without userinfo). Caller owns. */
json_t *syslog_redact_headers(const json_t *headers);
char *syslog_redact_url(const char *url);
/* A fresh "cor_…" correlation id. */
void syslog_new_correlation_id(char out[32]);
/* A new entry identifier, as syslog_add makes one: "slg_" + 24 hex digits,
 * in time order. */
void syslog_new_identifier(char out[32]);

#endif
