/* order_ops: see order_ops.h for the rules; each function checks, then moves
 * lines, then lets order_recompute roll the statuses up. */
#include "order_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "rollup.h"

const char *const ops_personal_members[] = {"customer", "billing_address", "shipping_address", "delivery_address",
                                            "customer_email", "customer_phone", NULL};

static enum line_status line_status(const json_t *line)
{
    enum line_status s = LINE_OPEN;
    rollup_line_status_parse(json_string_value(json_object_get(line, "status")), &s);
    return s;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ---- refusals: each names an operation that is allowed instead ---- */

#define BIT(s) (1u << (s))
#define NOT_DONE (~(BIT(LINE_FULFILLED) | BIT(LINE_CLOSED) | BIT(LINE_CANCELLED)))

/* The ids of fo's lines (every line of the order when fo is NULL) whose
 * status is in `want` (bits of enum line_status). A new array. */
static json_t *ids_where(const json_t *order, const json_t *fo, unsigned want)
{
    json_t *ids = json_array();
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        const char *id = str(line, "line_item_id");
        if (fo && !ju_find_by(json_object_get(fo, "line_items"), "line_item_id", id))
            continue;
        if (want & BIT(line_status(line)))
            json_array_append_new(ids, json_string(id));
    }
    return ids;
}

/* The fulfillment order a line belongs to, or NULL. */
static const char *fo_of_line(const json_t *order, const char *line_id)
{
    size_t i;
    json_t *fo;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        if (ju_find_by(json_object_get(fo, "line_items"), "line_item_id", line_id))
            return str(fo, "fulfillment_order_id");
    }
    return NULL;
}

/* Append to a message (truncated at errlen). */
static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
    size_t used = strlen(err);
    if (used + 1 >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + used, errlen - used, fmt, ap);
    va_end(ap);
}

/* Append ids as a JSON list. */
static void say_ids(char *err, size_t errlen, const json_t *ids)
{
    char *text = ju_dump(ids);
    say(err, errlen, "%s", text);
    free(text);
}

/* "; cancel the lines not fulfilled yet: POST …/line-items/cancel …" when there are any. */
static void say_cancel_lines(char *err, size_t errlen, const json_t *order, const json_t *ids, const char *which)
{
    if (!json_array_size(ids))
        return;
    say(err, errlen, "; to cancel %s, POST /orders/%s/line-items/cancel with \"line_item_ids\": ", which,
        str(order, "order_id"));
    say_ids(err, errlen, ids);
}

static void note_cancellation(json_t *order, const char *reason, bool late, const char *now, json_t *changes)
{
    json_t *c = json_pack("{s:s,s:b,s:s}", "reason", reason, "late", late, "date", now);
    order_change(changes, late ? "LATE_CANCELLATION" : "CANCELLATION", "order", str(order, "order_id"),
                 "cancellation_reason", json_object_get(order, "cancellation_reason"), json_object_get(c, "reason"));
    json_object_set_new(order, "cancellation_reason", json_string(reason));
    json_object_set_new(order, "cancellation", c);
}

/* Lines → cancelled (those not cancelled yet); returns how many moved. */
static int cancel_lines_where(json_t *order, const json_t *only_ids, const json_t *fo, json_t *changes)
{
    int moved = 0;
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        const char *id = str(line, "line_item_id");
        if (fo && !ju_find_by(json_object_get(fo, "line_items"), "line_item_id", id))
            continue;
        if (only_ids) {
            bool named = false;
            size_t k;
            json_t *v;
            json_array_foreach(only_ids, k, v)
            {
                named = named || (json_string_value(v) && !strcmp(json_string_value(v), id));
            }
            if (!named)
                continue;
        }
        if (line_status(line) != LINE_CANCELLED)
            moved += order_set_line_status(line, "cancelled", changes);
    }
    return moved;
}

enum ops_result ops_cancel_order(json_t *order, const char *reason, bool force, const char *now_iso, json_t *changes,
                                 char *err, size_t errlen)
{
    const char *status = str(order, "status");
    if (status && !strcmp(status, "cancelled"))
        return OPS_NOOP;
    bool early = status && (!strcmp(status, "open") || !strcmp(status, "partially_allocated") ||
                            !strcmp(status, "allocated"));
    bool late = status && (!strcmp(status, "fulfilled") || !strcmp(status, "closed"));
    if (!early && !(force && late)) {
        const char *past = NULL;
        size_t i;
        json_t *fo;
        json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
        {
            const char *fs = str(fo, "status");
            if (!past && fs && strcmp(fs, "open") && strcmp(fs, "partially_allocated") && strcmp(fs, "allocated") &&
                strcmp(fs, "cancelled"))
                past = str(fo, "fulfillment_order_id");
        }
        if (late)
            snprintf(err, errlen,
                     "the order is %s: an order can be cancelled only while open, partially_allocated or allocated; "
                     "a late cancellation needs \"force\": true",
                     status);
        else {
            snprintf(err, errlen,
                     "an order can be cancelled only while open, partially_allocated or allocated; fulfillment order "
                     "\"%s\" is %s: cancel at the fulfillment-order or line-item level",
                     past ? past : "?", past ? str(ju_find_by(json_object_get(order, "fulfillment_orders"),
                                                            "fulfillment_order_id", past), "status")
                                             : status);
            json_t *open = ids_where(order, NULL, NOT_DONE);
            say_cancel_lines(err, errlen, order, open, "what is not fulfilled yet");
            json_decref(open);
        }
        return OPS_REFUSED;
    }
    note_cancellation(order, reason, !early, now_iso, changes);
    cancel_lines_where(order, NULL, NULL, changes);
    order_recompute(order, changes);
    return OPS_CHANGED;
}

/* Why fo cannot be cancelled as a whole (some of its lines are fulfilled or
 * closed), and what can be done instead. */
static void refuse_fo_cancel(const json_t *order, const json_t *fo, const json_t *fulfilled, const json_t *closed,
                             char *err, size_t errlen)
{
    const char *fo_id = str(fo, "fulfillment_order_id"), *oid = str(order, "order_id");
    json_t *open = ids_where(order, fo, NOT_DONE);
    err[0] = '\0';
    say(err, errlen, "fulfillment order \"%s\" is %s: line items ", fo_id, str(fo, "status"));
    if (!json_array_size(closed)) {
        say_ids(err, errlen, fulfilled);
        say(err, errlen, " are fulfilled, and a fulfilled fulfillment order must be unfulfilled before it can be "
                         "cancelled: POST /orders/%s/fulfillment-orders/%s/unfulfill, then cancel it",
            oid, fo_id);
        say_cancel_lines(err, errlen, order, open, "only the lines not fulfilled yet");
    } else {
        say_ids(err, errlen, closed);
        say(err, errlen, " are closed (delivered) and cannot be cancelled, so it cannot be cancelled as a whole");
        say_cancel_lines(err, errlen, order, open, "the lines not fulfilled yet");
        if (json_array_size(fulfilled)) {
            say(err, errlen, "; to cancel the fulfilled ones (");
            say_ids(err, errlen, fulfilled);
            say(err, errlen, "), first POST /orders/%s/fulfillment-orders/%s/unfulfill", oid, fo_id);
        }
        if (!json_array_size(open) && !json_array_size(fulfilled)) {
            const char *os = str(order, "status");
            if (os && (!strcmp(os, "fulfilled") || !strcmp(os, "closed")))
                say(err, errlen, "; a late cancellation of the whole order remains: POST /orders/%s/cancel with "
                                 "\"force\": true", oid);
            else
                say(err, errlen, "; nothing else in it is left to cancel");
        }
    }
    json_decref(open);
}

enum ops_result ops_cancel_fulfillment_order(json_t *order, const char *fo_id, const char *reason, const char *now_iso,
                                             json_t *changes, char *err, size_t errlen)
{
    json_t *fo = ju_find_by(json_object_get(order, "fulfillment_orders"), "fulfillment_order_id", fo_id);
    if (!fo) {
        snprintf(err, errlen, "the order has no fulfillment order \"%s\"", fo_id);
        return OPS_NOT_FOUND;
    }
    if (!strcmp(str(fo, "status"), "cancelled"))
        return OPS_NOOP;
    json_t *fulfilled = ids_where(order, fo, BIT(LINE_FULFILLED)), *closed = ids_where(order, fo, BIT(LINE_CLOSED));
    bool refused = json_array_size(fulfilled) || json_array_size(closed);
    if (refused)
        refuse_fo_cancel(order, fo, fulfilled, closed, err, errlen);
    json_decref(fulfilled);
    json_decref(closed);
    if (refused)
        return OPS_REFUSED;
    json_t *why = json_string(reason);
    order_change(changes, "CANCELLATION", "fulfillment_order", fo_id, "cancellation_reason",
                 json_object_get(fo, "cancellation_reason"), why);
    json_object_set_new(fo, "cancellation_reason", why);
    cancel_lines_where(order, NULL, fo, changes);
    order_recompute(order, changes);
    return OPS_CHANGED;
}

enum ops_result ops_cancel_lines(json_t *order, const json_t *line_ids, const char *reason, const char *now_iso,
                                 json_t *changes, char *err, size_t errlen)
{
    size_t i;
    json_t *v;
    int pending = 0;
    json_array_foreach(line_ids, i, v)
    {
        json_t *line = order_line(order, json_string_value(v));
        if (!line) {
            snprintf(err, errlen, "line_item_ids[%zu] names no line item of this order", i);
            return OPS_NOT_FOUND;
        }
        pending += line_status(line) != LINE_CANCELLED;
    }
    if (!pending)
        return OPS_NOOP;
    json_array_foreach(line_ids, i, v)
    {
        const char *id = json_string_value(v);
        enum line_status s = line_status(order_line(order, id));
        const char *fo_id = fo_of_line(order, id);
        if (s == LINE_CLOSED) {
            snprintf(err, errlen, "line item \"%s\" is closed (delivered) and cannot be cancelled; leave it out of "
                                  "line_item_ids to cancel the others", id);
            return OPS_REFUSED;
        }
        if (s == LINE_FULFILLED && fo_id) {
            snprintf(err, errlen, "line item \"%s\" is fulfilled: unfulfill its fulfillment order first (POST "
                                  "/orders/%s/fulfillment-orders/%s/unfulfill), then cancel it",
                     id, str(order, "order_id"), fo_id);
            return OPS_REFUSED;
        }
        if (s == LINE_FULFILLED) {
            snprintf(err, errlen, "line item \"%s\" was fulfilled outside any fulfillment order and cannot be "
                                  "unfulfilled or cancelled; leave it out of line_item_ids to cancel the others", id);
            return OPS_REFUSED;
        }
    }
    json_array_foreach(line_ids, i, v)
    {
        json_t *line = order_line(order, json_string_value(v));
        if (line_status(line) != LINE_CANCELLED) {
            json_object_set_new(line, "cancellation_reason", json_string(reason));
            order_set_line_status(line, "cancelled", changes);
        }
    }
    order_recompute(order, changes);
    return OPS_CHANGED;
}

static bool cancellable_shipment(const char *status)
{
    static const char *ok[] = {"draft", "pending", "booked", "error", "ready_to_ship"};
    if (!status)
        return true;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(status, ok[i]))
            return true;
    return false;
}

enum ops_result ops_unfulfill(json_t *order, const char *fo_id, const char *now_iso, json_t *changes, char *err,
                              size_t errlen)
{
    json_t *fo = ju_find_by(json_object_get(order, "fulfillment_orders"), "fulfillment_order_id", fo_id);
    if (!fo) {
        snprintf(err, errlen, "the order has no fulfillment order \"%s\"", fo_id);
        return OPS_NOT_FOUND;
    }
    const char *status = str(fo, "status");
    json_t *fulfilled = ids_where(order, fo, BIT(LINE_FULFILLED));
    size_t n_fulfilled = json_array_size(fulfilled);
    json_decref(fulfilled);
    if (!n_fulfilled) {
        /* A repeat of an unfulfill, with nothing fulfilled since, is the same result. */
        const char *last = str(fo, "last_operation");
        if (last && !strcmp(last, "unfulfill"))
            return OPS_NOOP;
        json_t *closed = ids_where(order, fo, BIT(LINE_CLOSED)), *open = ids_where(order, fo, NOT_DONE);
        snprintf(err, errlen, "fulfillment order \"%s\" is %s: none of its line items is fulfilled, so there is "
                              "nothing to unfulfill%s",
                 fo_id, status, json_array_size(closed) ? " (closed ones are delivered and stay closed)" : "");
        if (json_array_size(closed))
            say_cancel_lines(err, errlen, order, open, "the others");
        else if (json_array_size(open))
            say(err, errlen, "; it can be cancelled as it is: POST /orders/%s/fulfillment-orders/%s/cancel",
                str(order, "order_id"), fo_id);
        json_decref(closed);
        json_decref(open);
        return OPS_REFUSED;
    }
    json_t *unfulfilled = json_object();
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(fo, "line_items"), i, ref)
    {
        json_t *line = order_line(order, str(ref, "line_item_id"));
        if (line && line_status(line) == LINE_FULFILLED) {
            order_set_line_status(line, "allocated", changes);
            json_object_set_new(unfulfilled, str(ref, "line_item_id"), json_true());
        }
    }
    json_t *s;
    json_array_foreach(json_object_get(order, "shipments"), i, s)
    {
        json_t *links = json_object_get(s, "line_items");
        size_t k, hit = 0;
        json_t *l;
        json_array_foreach(links, k, l)
        {
            hit += json_object_get(unfulfilled, str(l, "line_item_id")) != NULL;
        }
        if (!hit || hit != json_array_size(links))
            continue;
        const char *ss = str(s, "status");
        const char *key = str(s, "partner_shipment_reference") ? str(s, "partner_shipment_reference") : str(s, "tracking_no");
        if (cancellable_shipment(ss)) {
            json_t *nv = json_string("cancelled");
            order_change(changes, "STATUS_CHANGE", "shipment", key, "status", json_object_get(s, "status"), nv);
            json_object_set_new(s, "status", nv);
        } else {
            json_t *flag = json_pack("{s:s,s:s}", "reason", "its items were unfulfilled but the shipment is past "
                                                            "ready_to_ship and cannot be cancelled", "date", now_iso);
            order_change(changes, "SHIPMENT_FLAGGED", "shipment", key, "attention", NULL, json_object_get(flag, "reason"));
            json_object_set_new(s, "attention", flag);
        }
    }
    json_decref(unfulfilled);
    json_object_set_new(fo, "last_operation", json_string("unfulfill"));
    order_change(changes, "UNFULFILLMENT", "fulfillment_order", fo_id, NULL, NULL, NULL);
    order_recompute(order, changes);
    return OPS_CHANGED;
}

enum ops_result ops_redact(json_t *order, const char *requested_by, const char *now_iso, json_t *changes)
{
    if (json_is_true(json_object_get(order, "redacted")))
        return OPS_NOOP;
    for (size_t i = 0; ops_personal_members[i]; i++)
        if (json_object_get(order, ops_personal_members[i]))
            json_object_set_new(order, ops_personal_members[i], json_pack("{s:b}", "redacted", 1));
    json_object_set_new(order, "redacted", json_true());
    json_object_set_new(order, "redaction", json_pack("{s:s,s:s}", "requested_by", requested_by, "date", now_iso));
    order_change(changes, "REDACTION", "order", str(order, "order_id"), "redacted", NULL, json_true());
    return OPS_CHANGED;
}
