/* allocation: rules, matching, and the run over an order. See allocation.h. */
#include "allocation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "fo_lines.h"
#include "fo_ops.h"
#include "jsonutil.h"
#include "order.h"
#include "order_shape.h"
#include "xmalloc.h"

static char **split_csv(const char *v)
{
    size_t n = 1;
    for (const char *p = v; *p; p++)
        n += *p == ',';
    char **out = xcalloc(n + 1, sizeof *out);
    size_t k = 0;
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, ",");
        if (len)
            out[k++] = xstrndup(p, len);
        p += len + (p[len] == ',');
    }
    return out;
}

static void free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

void allocation_rule_free(struct allocation_rule *r)
{
    free(r->location);
    free_list(r->countries);
    free_list(r->skus);
    free_list(r->merchants);
    memset(r, 0, sizeof *r);
}

int allocation_rule_parse(const char *text, struct allocation_rule *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *copy = xstrdup(text), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');
        if (!out->location) {
            if (eq || strlen(tok) > 255) {
                snprintf(err, errlen, "allocation_rule must start with a location id, not \"%s\"", tok);
                rc = -1;
                break;
            }
            out->location = xstrdup(tok);
            continue;
        }
        char ***field = !eq                                            ? NULL
                        : !strncmp(tok, "country=", 8) && eq == tok + 7 ? &out->countries
                        : !strncmp(tok, "sku=", 4) && eq == tok + 3     ? &out->skus
                        : !strncmp(tok, "merchant=", 9) && eq == tok + 8 ? &out->merchants
                                                                          : NULL;
        if (!field || *field || !eq[1]) {
            snprintf(err, errlen, "allocation_rule: \"%s\" is not country=CC[,CC], sku=PREFIX[,PREFIX] or "
                                  "merchant=M[,M] (each at most once)", tok);
            rc = -1;
            break;
        }
        *field = split_csv(eq + 1);
        for (size_t i = 0; field == &out->countries && out->countries[i]; i++)
            if (strlen(out->countries[i]) != 2) {
                snprintf(err, errlen, "allocation_rule: country \"%s\" is not an ISO alpha-2 code", out->countries[i]);
                rc = -1;
            }
        if (rc)
            break;
    }
    if (rc == 0 && !out->location) {
        snprintf(err, errlen, "allocation_rule needs a location id");
        rc = -1;
    }
    free(copy);
    if (rc)
        allocation_rule_free(out);
    return rc;
}

static bool any(char **list, const char *v, int (*cmp)(const char *, const char *, size_t), bool prefix)
{
    if (!list)
        return true;
    for (size_t i = 0; v && list[i]; i++)
        if (cmp(list[i], v, prefix ? strlen(list[i]) : strlen(v) + 1) == 0)
            return true;
    return false;
}

const char *allocation_match(const struct allocation_rule *rules, size_t n, const char *country, const char *sku,
                             const char *merchant)
{
    for (size_t i = 0; i < n; i++) {
        const struct allocation_rule *r = &rules[i];
        if (any(r->countries, country, strncasecmp, false) && any(r->skus, sku, strncmp, true) &&
            any(r->merchants, merchant, strncmp, false))
            return r->location;
    }
    return NULL;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The shipping country of a delivery: the delivery or collection address's. */
static const char *country_of(const json_t *delivery)
{
    const char *m = str(delivery, "delivery_method");
    if (m && !strcmp(m, "DIGITAL"))
        return NULL;
    if (m && !strcmp(m, "COLLECTION"))
        return json_string_value(json_object_get(json_object_get(delivery, "customer_collection_address"), "country"));
    return json_string_value(json_object_get(json_object_get(delivery, "delivery_address"), "country"));
}

static bool wanted(const json_t *line_ids, const char *id)
{
    if (!line_ids)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(line_ids, i, v)
    {
        if (json_string_value(v) && !strcmp(json_string_value(v), id))
            return true;
    }
    return false;
}

/* Set auto_allocation_failed and its error_details entry from the lines left. */
static int note_failure(json_t *order, const json_t *left, json_t *changes)
{
    const char *id = str(order, "order_id");
    json_t *details = json_array(), *d;
    size_t i;
    json_array_foreach(json_object_get(order, "error_details"), i, d)
    {
        if (!str(d, "code") || strcmp(str(d, "code"), "AUTO_ALLOCATION_FAILED") != 0)
            json_array_append(details, d);
    }
    if (json_array_size(left)) {
        char msg[512] = "no allocation rule matches line item";
        size_t len = strlen(msg);
        json_t *v;
        json_array_foreach(left, i, v)
        {
            len += (size_t)snprintf(msg + len, len < sizeof msg ? sizeof msg - len : 0, "%s \"%s\"", i ? "," : "",
                                    json_string_value(v));
        }
        json_array_append_new(details, json_pack("{s:s,s:s,s:O}", "code", "AUTO_ALLOCATION_FAILED", "message", msg,
                                                 "line_item_ids", left));
    }
    int moved = 0;
    json_t *flag = json_boolean(json_array_size(left) > 0), *was = json_object_get(order, "auto_allocation_failed");
    if (!json_equal(was ? was : json_false(), flag)) {
        order_change(changes, "FIELD_UPDATE", "order", id, "auto_allocation_failed", was, flag);
        moved = 1;
    }
    json_object_set_new(order, "auto_allocation_failed", flag);
    json_t *old = json_object_get(order, "error_details");
    if (!json_equal(old ? old : json_array(), details)) {
        order_change(changes, "FIELD_UPDATE", "order", id, "error_details", old, details);
        moved = 1;
    }
    json_object_set_new(order, "error_details", details);
    return moved;
}

/* Lines in no fulfillment order → one new FO per location. */
static int place_loose(json_t *order, const struct allocation_rule *rules, size_t n, const char *location,
                       const json_t *line_ids, const json_t *delivery, const char *nonce, json_t *left,
                       json_t *changes)
{
    const char *country = country_of(delivery), *merchant = str(order, "merchant");
    json_t *made = json_object(); /* location → the FO made for it */
    json_t *by_line = order_entries_by_line(order); /* as it was: each line is placed once */
    int placed = 0;
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        const char *id = str(line, "line_item_id");
        bool loose = !json_array_size(json_object_get(by_line, id)) && str(line, "status") &&
                     !strcmp(str(line, "status"), "open");
        if (!loose || !wanted(line_ids, id))
            continue;
        const char *loc = location ? location : allocation_match(rules, n, country, str(line, "sku"), merchant);
        if (!loc) {
            json_array_append_new(left, json_string(id));
            continue;
        }
        json_t *fo = json_object_get(made, loc);
        if (!fo) {
            char fid[32];
            fo_ops_new_id(order, nonce, fid);
            fo = json_pack("{s:s,s:n,s:s,s:[]}", "fulfillment_order_id", fid, "partner_fulfillment_order_reference",
                           "location_id", loc, "line_items");
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)delivery, k, v)
            {
                json_object_set(fo, k, v);
            }
            json_array_append_new(json_object_get(order, "fulfillment_orders"), fo);
            json_object_set(made, loc, fo);
        }
        json_array_append_new(json_object_get(fo, "line_items"),
                              json_pack("{s:s,s:s,s:O,s:s}", "id", id, "line_item_id", id, "quantity",
                                        json_object_get(line, "quantity"), "status", "allocated"));
        placed++;
    }
    const char *loc;
    json_t *fo;
    json_object_foreach(made, loc, fo)
    {
        json_t *what = json_pack("{s:s,s:O}", "location_id", loc, "line_items", json_object_get(fo, "line_items"));
        order_change(changes, "ALLOCATION", "fulfillment_order", str(fo, "fulfillment_order_id"), "location_id", NULL,
                     what);
        json_decref(what);
    }
    json_decref(made);
    json_decref(by_line);
    return placed;
}

/* Fulfillment orders without a location take the one their open lines all match. */
static int place_unlocated(json_t *order, const struct allocation_rule *rules, size_t n, const char *location,
                           const json_t *line_ids, json_t *left, json_t *changes)
{
    int placed = 0;
    size_t i, k;
    json_t *fo, *e;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        if (json_is_string(json_object_get(fo, "location_id")) || !fo_lines_any(fo, FO_MASK(LINE_OPEN)))
            continue;
        const char *loc = location, *country = country_of(fo);
        bool one = true, asked = false;
        json_array_foreach(json_object_get(fo, "line_items"), k, e)
        {
            if (fo_lines_status(e) != LINE_OPEN)
                continue;
            asked = asked || wanted(line_ids, str(e, "line_item_id"));
            const char *l = location ? location
                                     : allocation_match(rules, n, country, str(order_line(order, str(e, "line_item_id")), "sku"),
                                                        str(order, "merchant"));
            one = one && l && (!loc || !strcmp(loc, l));
            loc = loc ? loc : l;
        }
        if (!asked)
            continue;
        if (!one || !loc) {
            json_array_foreach(json_object_get(fo, "line_items"), k, e)
            {
                if (fo_lines_status(e) == LINE_OPEN)
                    json_array_append_new(left, json_string(str(e, "line_item_id")));
            }
            continue;
        }
        json_object_set_new(fo, "location_id", json_string(loc));
        json_array_foreach(json_object_get(fo, "line_items"), k, e)
        {
            placed += order_set_entry_status(e, "allocated");
        }
        order_change(changes, "ALLOCATION", "fulfillment_order", str(fo, "fulfillment_order_id"), "location_id", NULL,
                     json_object_get(fo, "location_id"));
    }
    return placed;
}

int allocation_run(json_t *order, const struct allocation_rule *rules, size_t n, const char *location,
                   const json_t *line_ids, const json_t *delivery, const char *nonce, json_t *changes)
{
    const json_t *d = delivery ? delivery : json_object_get(order, "pending_delivery");
    json_t *left = json_array();
    int placed = place_loose(order, rules, n, location, line_ids, d, nonce, left, changes) +
                 place_unlocated(order, rules, n, location, line_ids, left, changes);
    int moved = note_failure(order, left, changes);
    bool loose = false;
    size_t i;
    json_t *line, *by_line = order_entries_by_line(order);
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        loose = loose || !json_array_size(json_object_get(by_line, str(line, "line_item_id")));
    }
    json_decref(by_line);
    if (!loose && json_object_get(order, "pending_delivery"))
        json_object_del(order, "pending_delivery");
    json_decref(left);
    if (placed || moved)
        order_recompute(order, changes);
    return placed;
}

/* Are there open lines (of line_ids) that allocation could place? */
static bool open_lines(const json_t *order, const json_t *line_ids)
{
    size_t i;
    json_t *line, *by_line = order_entries_by_line(order);
    bool found = false;
    json_array_foreach(json_object_get(order, "line_items"), i, line)
    {
        json_t *entries = json_object_get(by_line, str(line, "line_item_id"));
        size_t k;
        json_t *e;
        bool open = !json_array_size(entries) && str(line, "status") && !strcmp(str(line, "status"), "open");
        json_array_foreach(entries, k, e)
        {
            open = open || fo_lines_status(e) == LINE_OPEN;
        }
        if (open && wanted(line_ids, str(line, "line_item_id"))) {
            found = true;
            break;
        }
    }
    json_decref(by_line);
    return found;
}

enum ops_result allocation_allocate(json_t *order, const struct ops_input *in, json_t *changes, char *err,
                                    size_t errlen)
{
    json_t *loc = json_object_get(in->body, "location_id"), *list = json_object_get(in->body, "line_items");
    if (loc && (!json_is_string(loc) || !*json_string_value(loc) || strlen(json_string_value(loc)) > 255)) {
        snprintf(err, errlen, "location_id must be a non-empty string of at most 255 bytes");
        return OPS_INVALID;
    }
    json_t *ids = NULL, *delivery = json_object();
    size_t i;
    json_t *r;
    if (list && (!json_is_array(list) || !json_array_size(list))) {
        snprintf(err, errlen, "line_items must be a non-empty array of {\"id\"}");
        json_decref(delivery);
        return OPS_INVALID;
    }
    if (list) {
        ids = json_array();
        json_array_foreach(list, i, r)
        {
            const char *id = json_is_string(r) ? json_string_value(r) : str(r, "id") ? str(r, "id") : str(r, "line_item_id");
            if (!id || !order_line(order, id)) {
                snprintf(err, errlen, "line_items[%zu] must name a line item of this order", i);
                json_decref(ids);
                json_decref(delivery);
                return OPS_INVALID;
            }
            json_array_append_new(ids, json_string(id));
        }
    }
    for (i = 0; order_shape_delivery_members[i]; i++)
        if (json_object_get(in->body, order_shape_delivery_members[i]))
            json_object_set(delivery, order_shape_delivery_members[i],
                            json_object_get(in->body, order_shape_delivery_members[i]));
    enum ops_result rc = OPS_CHANGED;
    size_t n = in->tenant ? in->tenant->n_rules : 0;
    if (order_shape_delivery(delivery, "", err, errlen) != 0) {
        rc = OPS_INVALID;
    } else if (!open_lines(order, ids)) {
        rc = OPS_NOOP;
    } else if (!loc && !n) {
        snprintf(err, errlen, "this tenant has no allocation rules: give location_id, or use update-location on a "
                              "fulfillment order");
        rc = OPS_REFUSED;
    } else {
        size_t before = json_array_size(changes);
        allocation_run(order, in->tenant ? in->tenant->rules : NULL, n, json_string_value(loc), ids,
                       json_object_size(delivery) ? delivery : NULL, in->nonce, changes);
        if (json_array_size(changes) == before)
            rc = OPS_NOOP;
    }
    json_decref(ids);
    json_decref(delivery);
    return rc;
}
