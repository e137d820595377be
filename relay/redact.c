/* redact: the lists of redact.h and the walk that applies them. */
#include "redact.h"

#include <string.h>

static const char *const containers[] = {"customer", "billing_address", "shipping_address", "delivery_address",
                                         "customer_collection_address", "address", "pickup", "dropoff",
                                         "collection", NULL};
static const char *const container_kept[] = {"country", "state", "city", "type", "partner_location_id",
                                             "partner_location_name", "partner_location_code", "collection_point_id",
                                             "customer_key", "redacted", NULL};
static const char *const payment_kept[] = {"currency", "order_total", "payment_on_delivery", "payment_mode",
                                           "total_amount", "pending_amount", "amount", "redacted", NULL};
static const char *const personal[] = {
    "contact_name",   "contact_email",  "contact_phone", "alternate_phone", "personal_id",  "company_name",
    "email",          "phone",          "mobile",        "first_name",      "last_name",    "full_name",
    "customer_name",  "customer_email", "customer_phone", "email_or_phone", "customer_comment", "address1",
    "address2",       "address3",       "street",        "building",        "floor",        "flat",
    "po_box",         "postcode",       "zip",           "zip_code",        "area",         "coords",
    "notes",          "note",           "gift_message",  "custom_attributes", "custom_fields", "properties",
    "ip_address",     NULL};

static bool in(const char *const *list, const char *name)
{
    for (size_t i = 0; name && list[i]; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

bool redact_is_personal(const char *name)
{
    return in(containers, name) || in(personal, name) || (name && !strcmp(name, "payment"));
}

/* Keep only `kept` members of an object (adding "redacted": true); true when it changed. */
static bool keep_only(json_t *obj, const char *const *kept)
{
    bool changed = false;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v)
    {
        if (!in(kept, k)) {
            json_object_del(obj, k);
            changed = true;
        }
    }
    if (!json_is_true(json_object_get(obj, "redacted"))) {
        json_object_set_new(obj, "redacted", json_true());
        changed = true;
    }
    return changed;
}

/* The replacement of member name's value v, or NULL when v is fine as it
 * is (an object is scrubbed in place then, changed set). */
static json_t *replacement(const char *name, json_t *v, bool *changed)
{
    if (in(personal, name))
        return json_is_null(v) ? NULL : json_null();
    bool container = in(containers, name), payment = !strcmp(name, "payment");
    if (!container && !payment)
        return NULL;
    if (json_is_null(v))
        return NULL;
    if (!json_is_object(v))
        return json_pack("{s:b}", "redacted", 1);
    *changed |= keep_only(v, container ? container_kept : payment_kept);
    return NULL;
}

/* A change entry's values, by its field. */
static bool change_entry(json_t *e)
{
    const char *field = json_string_value(json_object_get(e, "field"));
    bool changed = false;
    static const char *values[] = {"old_value", "new_value"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(e, values[i]);
        if (!v)
            continue;
        json_t *r = redact_change_value(field, v);
        if (r) {
            json_object_set_new(e, values[i], r);
            changed = true;
        }
    }
    return changed;
}

bool redact_value(json_t *v)
{
    bool changed = false;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            changed |= redact_value(e);
        }
        return changed;
    }
    if (!json_is_object(v))
        return false;
    if (json_is_string(json_object_get(v, "field")) &&
        (json_object_get(v, "old_value") || json_object_get(v, "new_value")))
        changed |= change_entry(v);
    json_t *replaced = json_object(); /* set after the walk, not during it */
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m)
    {
        if ((!strcmp(k, "old_value") || !strcmp(k, "new_value")) && json_is_string(json_object_get(v, "field")))
            continue; /* done above, by the field */
        json_t *r = replacement(k, m, &changed);
        if (r)
            json_object_set_new(replaced, k, r);
        else if (json_is_object(m) || json_is_array(m))
            changed |= redact_value(m);
    }
    changed |= json_object_size(replaced) > 0;
    json_object_update(v, replaced);
    json_decref(replaced);
    return changed;
}

json_t *redact_change_value(const char *field, const json_t *value)
{
    if (!value || json_is_null(value))
        return NULL;
    const char *last = field ? strrchr(field, '.') : NULL;
    last = last ? last + 1 : field;
    json_t *copy = json_deep_copy(value);
    bool changed = false;
    json_t *r = last ? replacement(last, copy, &changed) : NULL;
    if (!r && !(last && redact_is_personal(last)))
        changed |= redact_value(copy);
    if (r) {
        json_decref(copy);
        return r;
    }
    if (changed)
        return copy;
    json_decref(copy);
    return NULL;
}
