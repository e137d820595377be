/* api: method + path pattern → handler, and which routes skip the tenant
 * API key. Order matters only among patterns that overlap: literal routes
 * come before `{reference}` ones. */
#include "api.h"

#include "handlers_hooks.h"
#include "handlers_ops.h"
#include "handlers_orders.h"
#include "handlers_webhooks.h"

#define H(fn) ((void *)(fn))

const struct route api_routes[] = {
    {"GET", "/healthz", H(handle_healthz), HTTP_PUBLIC},
    {"GET", "/metrics", H(handle_metrics), HTTP_PUBLIC}, /* aggregate counts only, no tenant's data */
    {"GET", "/ops/stuck", H(handle_stuck), 0},
    {"POST", "/orders", H(handle_order_create), 0},
    {"POST", "/orders/shipment-status-update", H(handle_shipment_status_update), 0},
    {"GET", "/orders/{reference}", H(handle_order_get), 0},
    {"GET", "/orders/{reference}/change-logs", H(handle_order_change_logs), 0},
    {"POST", "/orders/{reference}/cancel", H(handle_order_cancel), 0},
    {"POST", "/orders/{reference}/line-items/cancel", H(handle_lines_cancel), 0},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/cancel", H(handle_fo_cancel), 0},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/unfulfill", H(handle_fo_unfulfill), 0},
    {"POST", "/customers/{customer_key}/redact", H(handle_customer_redact), 0},
    {"POST", "/webhooks/endpoints", H(handle_endpoint_create), 0},
    {"GET", "/webhooks/endpoints", H(handle_endpoint_list), 0},
    {"GET", "/webhooks/endpoints/{id}", H(handle_endpoint_get), 0},
    {"PATCH", "/webhooks/endpoints/{id}", H(handle_endpoint_patch), 0},
    {"DELETE", "/webhooks/endpoints/{id}", H(handle_endpoint_delete), 0},
    {"POST", "/webhooks/endpoints/{id}/rotate-secret", H(handle_endpoint_rotate), 0},
    {"POST", "/webhooks/endpoints/{id}/recover", H(handle_endpoint_recover), 0},
    {"GET", "/webhooks/messages", H(handle_message_list), 0},
    {"GET", "/webhooks/messages/{id}", H(handle_message_get), 0},
    {"GET", "/webhooks/messages/{id}/attempts", H(handle_message_attempts), 0},
    {"POST", "/webhooks/messages/{id}/retry", H(handle_message_retry), 0},
    /* Sources authenticate in their own way (adapters/), over the raw bytes. */
    {"POST", "/hooks/{tenant}/{source}", H(handle_hook), HTTP_PUBLIC | HTTP_RAW_BODY},
    {"POST", "/hooks/{tenant}/{source}/oauth/token", H(handle_hook_token), HTTP_PUBLIC | HTTP_RAW_BODY},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
