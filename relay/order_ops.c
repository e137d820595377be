/* order_ops: see order_ops.h for the rules; each function checks, then moves
 * lines, then lets order_recompute roll the statuses up. */
#include "order_ops.h"

#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "order_shape.h"
#include "redact.h"
#include "rollup.h"

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

/* The order's cancellation_reason is one of Carriyo's six (any other text
 * is OTHER); the reason as given is kept in `cancellation`. */
static void note_cancellation(json_t *order, const char *reason, bool late, const char *now, json_t *changes)
{
    json_t *c = json_pack("{s:s,s:b,s:s}", "reason", reason, "late", late, "date", now);
    json_t *carriyo = json_string(order_shape_cancellation_reason(reason));
    order_change(changes, late ? "LATE_CANCELLATION" : "CANCELLATION", "order", str(order, "order_id"),
                 "cancellation.reason", NULL, json_object_get(c, "reason"));
    order_change(changes, "FIELD_UPDATE", "order", str(order, "order_id"), "cancellation_reason",
                 json_object_get(order, "cancellation_reason"), carriyo);
    json_object_set_new(order, "cancellation_reason", carriyo);
    json_object_set_new(order, "cancellation", c);
}

/* Every line → cancelled (those not cancelled yet); returns how many moved. */
static int cancel_all_lines(json_t *order, json_t *changes)
{
    int moved = 0;
    size_t i;
    json_t *line, *by_line = order_entries_by_line(order);
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        if (line_status(line) != LINE_CANCELLED)
            moved += order_set_line_status(by_line, line, "cancelled", changes);
    }
    json_decref(by_line);
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
        else
            snprintf(err, errlen,
                     "an order can be cancelled only while open, partially_allocated or allocated; fulfillment order "
                     "\"%s\" is %s: cancel at the fulfillment-order or line-item level",
                     past ? past : "?", past ? str(ju_find_by(json_object_get(order, "fulfillment_orders"),
                                                            "fulfillment_order_id", past), "status")
                                             : status);
        return OPS_REFUSED;
    }
    note_cancellation(order, reason, !early, now_iso, changes);
    cancel_all_lines(order, changes);
    order_recompute(order, changes);
    return OPS_CHANGED;
}

/* The first of ids whose line (in any fulfillment order) is fulfilled or
 * closed, or NULL. lines: the order's lines by id; by_line: its FO lines. */
static const char *first_done_line(const json_t *lines, const json_t *by_line, const json_t *ids)
{
    size_t i, k;
    json_t *ref, *e;
    json_array_foreach(ids, i, ref)
    {
        json_t *line = json_object_get(lines, json_string_value(ref));
        json_t *entries = json_object_get(by_line, json_string_value(ref));
        bool done = json_array_size(entries) == 0 && line &&
                    (line_status(line) == LINE_FULFILLED || line_status(line) == LINE_CLOSED);
        json_array_foreach(entries, k, e)
        {
            done = done || line_status(e) == LINE_FULFILLED || line_status(e) == LINE_CLOSED;
        }
        if (done)
            return json_string_value(ref);
    }
    return NULL;
}

/* Why the cancellation of line `done` (fulfilled or closed) is refused,
 * naming the call that is allowed: the unfulfill of the fulfillment order
 * holding it. */
static void done_line_refusal(const json_t *order, const char *done, char *err, size_t errlen)
{
    const char *fo_id = NULL;
    bool closed = false;
    size_t k, m;
    json_t *fo, *e;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), k, fo)
    {
        json_array_foreach(json_object_get(fo, "line_items"), m, e)
        {
            const char *id = str(e, "line_item_id");
            if (!fo_id && id && !strcmp(id, done) &&
                (line_status(e) == LINE_FULFILLED || line_status(e) == LINE_CLOSED)) {
                fo_id = str(fo, "fulfillment_order_id");
                closed = line_status(e) == LINE_CLOSED;
            }
        }
    }
    if (closed || !fo_id)
        snprintf(err, errlen, "line item \"%s\" is closed (delivered): it cannot be cancelled; a late "
                              "cancellation of the order needs POST /orders/%s/cancel with \"force\": true",
                 done, str(order, "order_id"));
    else
        snprintf(err, errlen, "line item \"%s\" is already fulfilled: unfulfill its fulfillment order first: "
                              "POST /orders/%s/fulfillment-orders/%s/unfulfill, then cancel the line",
                 done, str(order, "order_id"), fo_id);
}

enum ops_result ops_cancel_lines(json_t *order, const json_t *line_ids, const char *reason, const char *now_iso,
                                 json_t *changes, char *err, size_t errlen)
{
    json_t *lines = ju_index(json_object_get(order, "line_items"), "line_item_id");
    json_t *by_line = order_entries_by_line(order);
    enum ops_result result = OPS_NOOP;
    size_t i;
    json_t *v;
    json_array_foreach(line_ids, i, v)
    {
        json_t *line = json_object_get(lines, json_string_value(v));
        if (!line) {
            snprintf(err, errlen, "line_item_ids[%zu] names no line item of this order", i);
            result = OPS_NOT_FOUND;
            goto out;
        }
        if (line_status(line) != LINE_CANCELLED)
            result = OPS_CHANGED;
    }
    if (result == OPS_NOOP)
        goto out;
    const char *done = first_done_line(lines, by_line, line_ids);
    if (done) {
        done_line_refusal(order, done, err, errlen);
        result = OPS_REFUSED;
        goto out;
    }
    json_array_foreach(line_ids, i, v)
    {
        json_t *line = json_object_get(lines, json_string_value(v));
        if (line_status(line) != LINE_CANCELLED) {
            json_object_set_new(line, "cancellation_reason", json_string(reason));
            order_set_line_status(by_line, line, "cancelled", changes);
        }
    }
    order_recompute(order, changes);
out:
    json_decref(lines);
    json_decref(by_line);
    return result;
}

enum ops_result ops_record_refund(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                  size_t errlen)
{
    const char *outcome = str(in->body, "outcome");
    if (!outcome || (strcmp(outcome, "REFUNDED") && strcmp(outcome, "NOT_REFUNDED"))) {
        snprintf(err, errlen, "outcome is required: REFUNDED or NOT_REFUNDED");
        return OPS_INVALID;
    }
    json_t *refund = json_pack("{s:s}", "outcome", outcome);
    static const struct {
        const char *name;
        bool number;
    } members[] = {{"amount", true}, {"currency", false}, {"reference", false}, {"reason", false}};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        json_t *v = json_object_get(in->body, members[i].name);
        if (!v || json_is_null(v))
            continue;
        if (members[i].number ? !json_is_number(v) : !json_is_string(v) || strlen(json_string_value(v)) > 255) {
            snprintf(err, errlen, "%s must be %s", members[i].name,
                     members[i].number ? "a number" : "a string of at most 255 bytes");
            json_decref(refund);
            return OPS_INVALID;
        }
        json_object_set(refund, members[i].name, v);
    }
    const char *status = str(order, "status");
    if (!status || strcmp(status, "cancelled") != 0) {
        snprintf(err, errlen, "the order is %s: a refund outcome is recorded for a cancelled order; cancel it "
                              "first: POST /orders/%s/cancel (with \"force\": true once fulfilled or closed)",
                 status ? status : "not cancelled", str(order, "order_id"));
        json_decref(refund);
        return OPS_REFUSED;
    }
    json_t *old = json_object_get(order, "refund");
    json_t *cmp = json_deep_copy(old); /* the same outcome again is a repeat, whatever its date */
    json_object_del(cmp, "date");
    bool same = cmp && json_equal(cmp, refund);
    json_decref(cmp);
    if (same) {
        json_decref(refund);
        return OPS_NOOP;
    }
    json_object_set_new(refund, "date", json_string(in->now));
    order_change(changes, "FIELD_UPDATE", "order", str(order, "order_id"), "refund", old, refund);
    json_object_set_new(order, "refund", refund);
    return OPS_CHANGED;
}

enum ops_result ops_redact(json_t *order, const char *requested_by, const char *now_iso, json_t *changes)
{
    bool was = json_is_true(json_object_get(order, "redacted"));
    bool scrubbed = redact_value(order); /* data that came after an earlier redaction goes too */
    if (was && !scrubbed)
        return OPS_NOOP;
    json_object_set_new(order, "redacted", json_true());
    if (!was)
        json_object_set_new(order, "redaction", json_pack("{s:s,s:s}", "requested_by", requested_by, "date", now_iso));
    order_change(changes, "REDACTION", "order", str(order, "order_id"), "redacted", NULL, json_true());
    return OPS_CHANGED;
}
