/* api: method + path pattern → handler; which routes skip the tenant API key
 * (HTTP_PUBLIC: sources authenticate in their own way, over the raw bytes),
 * and which write an INBOUND system-log entry (HTTP_LOG: every exchange that
 * can change an order), and what the operator's key may call besides GET
 * routes (HTTP_OPERATOR, HTTP_ANY_TENANT: see http.h). Order matters only
 * among patterns that overlap: literal routes come before `{reference}`
 * ones. */
#include "api.h"

#include "handlers_console.h"
#include "handlers_fo.h"
#include "handlers_hooks.h"
#include "handlers_metrics.h"
#include "handlers_ops.h"
#include "handlers_opsview.h"
#include "handlers_orders.h"
#include "handlers_returns.h"
#include "handlers_syslogs.h"
#include "handlers_webhooks.h"
#include "oauth.h"

#define H(fn) ((void *)(fn))
#define LOG HTTP_LOG

const struct route api_routes[] = {
    {"GET", "/healthz", H(handle_healthz), HTTP_PUBLIC, "HEALTH"},
    {"GET", "/metrics", H(handle_metrics), HTTP_PUBLIC, "METRICS"}, /* aggregate counts only, no tenant's data */
    /* No system log: neither the client secret nor the token may be stored. */
    {"POST", "/oauth/token", H(handle_oauth_token), HTTP_PUBLIC | HTTP_RAW_BODY, "OAUTH_TOKEN"},
    {"GET", "/ops/stuck", H(handle_stuck), 0, "STUCK_ORDERS"},
    {"GET", "/ops/tenants", H(handle_ops_tenants), HTTP_ANY_TENANT, "TENANTS"},
    {"GET", "/ops/hooks", H(handle_ops_hooks), 0, "HOOK_SOURCES"},
    {"GET", "/ops/health", H(handle_ops_health), 0, "HEALTH_DETAIL"},
    {"POST", "/orders", H(handle_order_create), LOG, "ORDER_CREATE"},
    {"GET", "/orders", H(handle_order_list), 0, "ORDER_LIST"},
    {"POST", "/orders/shipment-status-update", H(handle_shipment_status_update), LOG, "ORDER_SHIPMENT_STATUS_UPDATE"},
    {"GET", "/orders/{reference}", H(handle_order_get), 0, "ORDER_GET"},
    {"GET", "/orders/{reference}/change-logs", H(handle_order_change_logs), 0, "CHANGE_LOGS"},
    {"GET", "/orders/{reference}/shipments/{shipment}/status-history", H(handle_shipment_history), 0,
     "SHIPMENT_STATUS_HISTORY"},
    {"GET", "/orders/{reference}/system-logs", H(handle_syslog_list), 0, "SYSTEM_LOGS"},
    {"POST", "/orders/{reference}/system-logs", H(handle_syslog_create), 0, "SYSTEM_LOG_CREATE"},
    {"GET", "/orders/{reference}/system-logs/{identifier}", H(handle_syslog_get), 0, "SYSTEM_LOG_GET"},
    {"POST", "/orders/{reference}/cancel", H(handle_order_cancel), LOG, "ORDER_CANCEL"},
    {"POST", "/orders/{reference}/line-items/cancel", H(handle_lines_cancel), LOG, "LINE_ITEMS_CANCEL"},
    {"POST", "/orders/{reference}/refund", H(handle_order_refund), LOG, "ORDER_REFUND"},
    {"POST", "/orders/{reference}/redact", H(handle_order_redact), LOG, "ORDER_REDACT"},
    {"PATCH", "/orders/{reference}", H(handle_order_patch), LOG, "ORDER_UPDATE"},
    {"POST", "/orders/{reference}/fulfillment-orders/merge", H(handle_fo_merge), LOG, "FULFILLMENT_ORDER_MERGE"},
    {"POST", "/orders/{reference}/fulfillment-orders/allocate", H(handle_fo_allocate), LOG,
     "FULFILLMENT_ORDER_ALLOCATE"},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/fulfill", H(handle_fo_fulfill), LOG,
     "FULFILLMENT_ORDER_FULFILL"},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/unfulfill", H(handle_fo_unfulfill), LOG,
     "FULFILLMENT_ORDER_UNFULFILL"},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/split", H(handle_fo_split), LOG, "FULFILLMENT_ORDER_SPLIT"},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/ship", H(handle_fo_ship), LOG,
     "FULFILLMENT_ORDER_SHIP_LINE_ITEMS"},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/cancel", H(handle_fo_cancel), LOG,
     "FULFILLMENT_ORDER_CANCEL_LINE_ITEMS"},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/hold", H(handle_fo_hold), LOG, "FULFILLMENT_ORDER_HOLD"},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/resume", H(handle_fo_resume), LOG, "FULFILLMENT_ORDER_RESUME"},
    {"POST", "/orders/{reference}/fulfillment-orders/{fo}/request-fulfillment", H(handle_fo_request_fulfillment), LOG,
     "FULFILLMENT_ORDER_REQUEST_FULFILLMENT"},
    {"PATCH", "/orders/{reference}/fulfillment-orders/{fo}/update-location", H(handle_fo_update_location), LOG,
     "FULFILLMENT_ORDER_UPDATE_LOCATION"},
    {"PATCH", "/orders/{reference}/fulfillment-orders/{fo}/update-address", H(handle_fo_update_address), LOG,
     "FULFILLMENT_ORDER_UPDATE_ADDRESS"},
    {"PATCH", "/orders/{reference}/fulfillment-orders/{fo}/update-delivery-method",
     H(handle_fo_update_delivery_method), LOG, "FULFILLMENT_ORDER_UPDATE_DELIVERY_METHOD"},
    {"PATCH", "/orders/{reference}/fulfillment-orders/{fo}/update-schedule", H(handle_fo_update_schedule), LOG,
     "FULFILLMENT_ORDER_UPDATE_SCHEDULE"},
    {"PATCH", "/orders/{reference}/fulfillment-orders/{fo}/update-partner-references",
     H(handle_fo_update_partner_references), LOG, "FULFILLMENT_ORDER_UPDATE_PARTNER_REFERENCES"},
    /* Carriyo's deprecated alias of update-partner-references */
    {"PATCH", "/orders/{reference}/fulfillment-orders/{fo}", H(handle_fo_update_partner_references), LOG,
     "FULFILLMENT_ORDER_UPDATE_PARTNER_REFERENCES"},
    {"POST", "/customers/{customer_key}/redact", H(handle_customer_redact), 0, "CUSTOMER_REDACT"},
    {"POST", "/returns/requests", H(handle_return_create), LOG, "RETURN_REQUEST_CREATE"},
    {"GET", "/returns/requests", H(handle_return_list), 0, "RETURN_REQUESTS"},
    {"GET", "/returns/requests/{id}", H(handle_return_get), 0, "RETURN_REQUEST_GET"},
    {"PATCH", "/returns/requests/{id}", H(handle_return_patch), LOG, "RETURN_REQUEST_UPDATE"},
    {"POST", "/returns/requests/{id}/approve", H(handle_return_approve), LOG, "RETURN_REQUEST_APPROVE"},
    {"POST", "/returns/requests/{id}/reject", H(handle_return_reject), LOG, "RETURN_REQUEST_REJECT"},
    {"POST", "/returns/requests/{id}/cancel", H(handle_return_cancel), LOG, "RETURN_REQUEST_CANCEL"},
    {"POST", "/returns/requests/{id}/complete", H(handle_return_complete), LOG, "RETURN_REQUEST_COMPLETE"},
    {"POST", "/webhooks/endpoints", H(handle_endpoint_create), 0, "WEBHOOK_ENDPOINT_CREATE"},
    {"GET", "/webhooks/endpoints", H(handle_endpoint_list), 0, "WEBHOOK_ENDPOINTS"},
    {"GET", "/webhooks/endpoints/{id}", H(handle_endpoint_get), 0, "WEBHOOK_ENDPOINT_GET"},
    {"PATCH", "/webhooks/endpoints/{id}", H(handle_endpoint_patch), 0, "WEBHOOK_ENDPOINT_UPDATE"},
    {"DELETE", "/webhooks/endpoints/{id}", H(handle_endpoint_delete), 0, "WEBHOOK_ENDPOINT_DELETE"},
    {"POST", "/webhooks/endpoints/{id}/rotate-secret", H(handle_endpoint_rotate), 0, "WEBHOOK_SECRET_ROTATE"},
    {"POST", "/webhooks/endpoints/{id}/recover", H(handle_endpoint_recover), HTTP_OPERATOR, "WEBHOOK_RECOVER"},
    {"GET", "/webhooks/endpoints/{id}/stats", H(handle_endpoint_stats), 0, "WEBHOOK_ENDPOINT_STATS"},
    {"GET", "/webhooks/messages", H(handle_message_list), 0, "WEBHOOK_MESSAGES"},
    {"GET", "/webhooks/messages/{id}", H(handle_message_get), 0, "WEBHOOK_MESSAGE_GET"},
    {"GET", "/webhooks/messages/{id}/attempts", H(handle_message_attempts), 0, "WEBHOOK_ATTEMPTS"},
    {"POST", "/webhooks/messages/{id}/retry", H(handle_message_retry), HTTP_OPERATOR, "WEBHOOK_RETRY"},
    {"POST", "/hooks/{tenant}/{source}", H(handle_hook), HTTP_PUBLIC | HTTP_RAW_BODY | LOG, "HOOK"},
    /* Not logged: its request may carry client credentials and its reply is a live bearer
     * token; it changes no order. Refusals go to the daemon's log. */
    {"POST", "/hooks/{tenant}/{source}/oauth/token", H(handle_hook_token), HTTP_PUBLIC | HTTP_RAW_BODY, "HOOK_TOKEN"},
    {"GET", "/bodies/{identifier}/{part}", H(handle_body_download), HTTP_PUBLIC, "BODY_DOWNLOAD"},
    /* The web console's files: no data in them (the console signs in to the API itself). */
    {"GET", "/console", H(handle_console_redirect), HTTP_PUBLIC, "CONSOLE"},
    {"GET", "/console/", H(handle_console_index), HTTP_PUBLIC, "CONSOLE"},
    {"GET", "/console/{asset}", H(handle_console_asset), HTTP_PUBLIC, "CONSOLE"},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
