/* returns_pipeline: store, route, link, claim. See returns_pipeline.h. */
#include "returns_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "order.h"
#include "redact.h"
#include "returns.h"
#include "shipment_update.h"
#include "store.h"
#include "timeutil.h"
#include "webhook_events.h"
#include "xmalloc.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

const char *returns_owner(const json_t *ret)
{
    const char *order_id = str(ret, "order_id");
    return order_id ? order_id : str(ret, "return_request_id");
}

static int emit(struct store_txn *txn, const struct pipeline_write *w, const json_t *before, const json_t *ret,
                const char *trigger)
{
    const char *type = webhook_event_type_of(trigger);
    if (!type)
        return STORE_EIO;
    char id[32];
    pipeline_new_event_id(id);
    char *old = before ? ju_dump(before) : NULL, *now = ju_dump(ret);
    char *text = webhook_event_text(type, trigger, id, w->now_iso, w->tenant, NULL, old, now);
    char *ctext = webhook_event_carriyo_text(trigger, old, now);
    struct store_outbox_event ev = {returns_owner(ret), id, type, trigger, text, ctext, w->correlation_id};
    int rc = store_outbox_add(txn, w->tenant, &ev, time_now_ms());
    free(old);
    free(now);
    free(text);
    free(ctext);
    return rc;
}

int returns_store(struct store_txn *txn, const struct pipeline_write *w, const json_t *before, json_t *ret,
                  json_t *changes, const char *trigger)
{
    json_object_set_new(ret, "update_date", json_string(w->now_iso));
    if (w->update_source) {
        json_object_set_new(ret, "update_source", json_deep_copy(w->update_source));
        size_t i;
        json_t *c;
        json_array_foreach(changes, i, c)
        {
            if (!json_object_get(c, "update_source"))
                json_object_set(c, "update_source", (json_t *)w->update_source);
        }
    }
    int rc = store_return_put(txn, w->tenant, ret, before == NULL);
    json_t *keys = returns_shipment_keys(ret), *known = before ? returns_shipment_keys(before) : json_object();
    const char *k;
    json_t *v;
    json_object_foreach(keys, k, v)
    {
        if (rc == STORE_OK && !json_object_get(known, k))
            rc = store_return_key_put(txn, w->tenant, k, str(ret, "return_request_id"));
    }
    json_decref(keys);
    json_decref(known);
    const char *order_id = str(ret, "order_id");
    if (rc == STORE_OK && order_id && json_array_size(changes))
        rc = store_changelog_add(txn, w->tenant, order_id, w->now_iso, w->source, changes);
    if (rc == STORE_OK && trigger)
        rc = emit(txn, w, before, ret, trigger);
    return rc;
}

/* The request one of the event's shipment keys belongs to (malloc'd id), or NULL. */
static char *by_keys(struct store_txn *txn, const char *tenant, const json_t *ev)
{
    static const char *const keys[][2] = {{"tracking_no", ""}, {"partner_shipment_reference", "psr:"},
                                          {"shipment_id", "sid:"}};
    for (size_t i = 0; i < 3; i++) {
        const char *v = str(ev, keys[i][0]);
        if (!v || !*v)
            continue;
        char *key = xasprintf("%s%s", keys[i][1], v);
        char *id = store_return_by_key(txn, tenant, key);
        free(key);
        if (id)
            return id;
    }
    return NULL;
}

/* The newest approved request of the event's partner_order_reference, for
 * a REVERSE shipment none has yet; *failed on a store error. */
static char *approved_for(struct store_txn *txn, const char *tenant, const json_t *ev, bool *failed)
{
    const char *ref = str(ev, "partner_order_reference"), *type = str(ev, "entity_type");
    bool named = str(ev, "tracking_no") || str(ev, "partner_shipment_reference") || str(ev, "shipment_id");
    if (!ref || !type || strcmp(type, "REVERSE") != 0 || !named)
        return NULL;
    json_t *rets = store_returns_by_reference(txn, tenant, ref);
    if (!rets) {
        *failed = true;
        return NULL;
    }
    char *id = NULL;
    for (size_t i = json_array_size(rets); i-- > 0 && !id;) {
        json_t *r = json_array_get(rets, i);
        if (str(r, "status") && !strcmp(str(r, "status"), "approved"))
            id = xstrdup(str(r, "return_request_id"));
    }
    json_decref(rets);
    return id;
}

int returns_route_event(struct store_txn *txn, const struct pipeline_write *w, const json_t *ev,
                        enum pipeline_outcome *outcome, char owner[64])
{
    bool failed = false, attach = false;
    char *id = by_keys(txn, w->tenant, ev);
    if (!id && (id = approved_for(txn, w->tenant, ev, &failed)))
        attach = true;
    if (failed)
        return STORE_EIO;
    json_t *before = id ? store_return_get(txn, w->tenant, id) : NULL;
    free(id);
    if (!before)
        return 0;
    json_t *ret = json_deep_copy(before), *changes = json_array();
    if (attach)
        returns_add_shipment(ret, ev, changes);
    enum shipment_update_result r = shipment_update_apply(ret, ev, false, w->now_iso, changes);
    *outcome = r == SHIPMENT_UPDATE_APPLIED ? PIPELINE_APPLIED
               : r == SHIPMENT_UPDATE_HISTORY ? PIPELINE_HISTORY
                                                : PIPELINE_UNCHANGED;
    int rc = STORE_OK;
    if (json_array_size(changes)) {
        const char *trigger = returns_shipment_moved(ret, changes);
        rc = returns_store(txn, w, before, ret, changes, trigger);
    }
    if (owner)
        snprintf(owner, 64, "%s", returns_owner(ret));
    json_decref(changes);
    json_decref(ret);
    json_decref(before);
    return rc == STORE_OK ? 1 : STORE_EIO;
}

int returns_link_order(struct store_txn *txn, const struct pipeline_write *w, const json_t *order)
{
    json_t *rets = store_returns_by_reference(txn, w->tenant, str(order, "partner_order_reference"));
    if (!rets)
        return STORE_EIO;
    int rc = STORE_OK;
    size_t i;
    json_t *before;
    json_array_foreach(rets, i, before)
    {
        if (str(before, "order_id"))
            continue;
        json_t *ret = json_deep_copy(before), *changes = json_array();
        returns_link(ret, order, changes);
        rc = returns_store(txn, w, before, ret, changes, NULL);
        json_decref(changes);
        json_decref(ret);
        if (rc != STORE_OK)
            break;
    }
    json_decref(rets);
    return rc;
}

int returns_claim_parked(struct store_txn *txn, const char *tenant, const char *now_iso, json_t *ret, json_t *changes,
                         const char **trigger)
{
    if (!json_array_size(json_object_get(ret, "shipments")))
        return STORE_OK;
    /* the shipments alone: events parked under the order's reference are the order's */
    json_t *probe = json_pack("{s:O}", "shipments", json_object_get(ret, "shipments"));
    json_t *parked = store_unpark(txn, tenant, probe);
    json_decref(probe);
    if (!parked)
        return STORE_EIO;
    size_t i, k;
    json_t *p, *c;
    json_array_foreach(parked, i, p)
    {
        json_t *ev = json_object_get(p, "event"), *own = json_array();
        if (str(ev, "kind") && !strcmp(str(ev, "kind"), "shipment"))
            shipment_update_apply(ret, ev, false, now_iso, own);
        if (json_array_size(own) && !strcmp(returns_shipment_moved(ret, own), RETURNS_RECEIVED_TRIGGER))
            *trigger = RETURNS_RECEIVED_TRIGGER;
        const char *origin = str(ev, "origin_log"); /* its callback's system-log entry is the request's now */
        if (origin && store_syslog_adopt(txn, tenant, origin, returns_owner(ret)) != STORE_OK) {
            json_decref(own);
            json_decref(parked);
            return STORE_EIO;
        }
        char *label = xasprintf("hook:%s", str(p, "source") ? str(p, "source") : "");
        json_array_foreach(own, k, c)
        {
            json_object_set_new(c, "source", json_string(label));
        }
        free(label);
        json_array_extend(changes, own);
        json_decref(own);
    }
    json_decref(parked);
    return STORE_OK;
}

int returns_redact(struct store_txn *txn, const struct pipeline_write *w, const json_t *order)
{
    json_t *mine = store_returns_by_order(txn, w->tenant, str(order, "order_id"));
    json_t *named = mine ? store_returns_by_reference(txn, w->tenant, str(order, "partner_order_reference")) : NULL;
    if (!named) {
        json_decref(mine);
        return STORE_EIO;
    }
    size_t i;
    json_t *r;
    json_array_foreach(named, i, r) /* the unlinked ones beside the linked ones */
    {
        if (!ju_find_by(mine, "return_request_id", str(r, "return_request_id")))
            json_array_append(mine, r);
    }
    json_decref(named);
    int rc = STORE_OK;
    json_array_foreach(mine, i, r)
    {
        json_t *ret = json_deep_copy(r), *changes = json_array();
        bool scrubbed = redact_value(ret);
        const char *id = str(ret, "return_request_id");
        if (scrubbed || !json_is_true(json_object_get(ret, "redacted"))) {
            json_object_set_new(ret, "redacted", json_true());
            order_change(changes, "REDACTION", "return_request", id, "redacted", NULL, json_true());
            rc = returns_store(txn, w, r, ret, changes, NULL);
        }
        if (rc == STORE_OK) /* what was kept under its own id before it was linked */
            rc = store_outbox_redact(txn, w->tenant, id, redact_value);
        if (rc == STORE_OK)
            rc = store_syslog_redact(txn, w->tenant, id);
        json_decref(changes);
        json_decref(ret);
        if (rc != STORE_OK)
            break;
    }
    json_decref(mine);
    return rc;
}
