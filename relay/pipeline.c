/* pipeline: dedupe → find → park or apply → store. See pipeline.h. */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "event_key.h"
#include "fulfillment_event.h"
#include "jsonutil.h"
#include "log.h"
#include "order_limits.h"
#include "order_shape.h"
#include "returns_pipeline.h"
#include "shipment_update.h"
#include "sub_status.h"
#include "store.h"
#include "syslog.h"
#include "timeutil.h"
#include "webhook_events.h"
#include "xmalloc.h"

static const char *str(const json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(ev, key));
    return s ? s : "";
}

enum pipeline_outcome pipeline_apply(const struct config *cfg, json_t *order, const json_t *event,
                                     const char *now_iso, json_t *changes)
{
    if (strcmp(str(event, "kind"), "fulfillment") == 0)
        return fulfillment_event_apply(order, event, now_iso, changes) ? PIPELINE_APPLIED : PIPELINE_HISTORY;
    bool autoclose = !config_source_skips_autoclose(cfg, ju_path_str(order, "creation_source.source_type"));
    switch (shipment_update_apply(order, event, autoclose, now_iso, changes)) {
    case SHIPMENT_UPDATE_APPLIED:
        return PIPELINE_APPLIED;
    case SHIPMENT_UPDATE_HISTORY:
        return PIPELINE_HISTORY;
    default:
        return PIPELINE_UNCHANGED;
    }
}

/* 0 new, 1 duplicate, STORE_EIO. The key is event_key's (event_key.h);
 * the store scopes it by tenant and source. */
static int dedupe(struct store_txn *txn, const char *tenant, const char *source, const json_t *ev, const char *now)
{
    char *key = event_key(ev);
    if (!key)
        return 0;
    int dup = store_event_seen(txn, tenant, source, key, now);
    free(key);
    return dup;
}

int pipeline_ingest(struct store_txn *txn, const struct config *cfg, const char *tenant, const char *source,
                    const char *correlation_id, const json_t *event, const char *now_iso,
                    enum pipeline_outcome *outcome, char order_id[64], const json_t *update_source)
{
    int dup = dedupe(txn, tenant, source, event, now_iso);
    if (dup == STORE_EIO)
        return STORE_EIO;
    if (dup) {
        *outcome = PIPELINE_DUPLICATE;
        return STORE_OK;
    }
    const char *trk = json_string_value(json_object_get(event, "tracking_no"));
    const char *ref = json_string_value(json_object_get(event, "partner_order_reference"));
    json_t *order = trk ? store_order_by_tracking(txn, tenant, trk) : NULL;
    const char *psr = json_string_value(json_object_get(event, "partner_shipment_reference"));
    if (!order && psr) {
        char *key = xasprintf("psr:%s", psr);
        order = store_order_by_tracking(txn, tenant, key);
        free(key);
    }
    if (!order && strcmp(str(event, "kind"), "shipment") == 0) {
        /* a return's REVERSE shipment (returns_pipeline.h)? */
        char *label = xasprintf("hook:%s", source);
        struct pipeline_write w = {cfg, tenant, label, correlation_id, now_iso, update_source, NULL, NULL};
        int routed = returns_route_event(txn, &w, event, outcome, order_id);
        free(label);
        if (routed != 0)
            return routed < 0 ? STORE_EIO : STORE_OK;
    }
    if (!order && ref)
        order = store_order_peek(txn, tenant, STORE_KEY_PARTNER_REF, ref);
    if (!order) {
        *outcome = PIPELINE_PARKED;
        /* the callback's system-log entry names no order yet: the one that takes the event adopts it */
        const char *log_id = json_string_value(json_object_get(update_source, "system_log_identifier"));
        json_t *kept = json_deep_copy(event);
        if (log_id)
            json_object_set_new(kept, "origin_log", json_string(log_id));
        int rc = store_park(txn, tenant, source, kept, now_iso);
        json_decref(kept);
        return rc;
    }
    if (order_id)
        snprintf(order_id, 64, "%s", str(order, "order_id"));
    json_t *before = order; /* as stored (shared: not to be changed); its text is known */
    order = json_deep_copy(before);
    order_shape_defaults(order);
    json_t *changes = json_array();
    int rc = STORE_OK;
    *outcome = pipeline_apply(cfg, order, event, now_iso, changes);
    if (json_array_size(changes)) {
        char *label = xasprintf("hook:%s", source);
        char refusal[PIPELINE_REFUSAL_LEN] = "";
        struct pipeline_write w = {cfg, tenant, label, correlation_id, now_iso, update_source, NULL, refusal};
        rc = pipeline_store_order(txn, &w, before, order, changes);
        if (rc == PIPELINE_TOO_LARGE) { /* the event is on record (its system-log entry), not applied */
            log_warn("hook %s/%s: an event for order %s was not applied: %s", tenant, source, str(before, "order_id"),
                     refusal);
            *outcome = PIPELINE_REFUSED;
            rc = STORE_OK;
        }
        free(label);
    }
    json_decref(changes);
    json_decref(before);
    json_decref(order);
    return rc;
}

/* Take the events parked for this order and apply them (their changes keep
 * their own source). STORE_OK or STORE_EIO. */
static int unpark(struct store_txn *txn, const struct config *cfg, const char *tenant, json_t *order,
                  const char *now_iso, json_t *changes)
{
    json_t *parked = store_unpark(txn, tenant, order);
    if (!parked)
        return STORE_EIO;
    if (json_array_size(parked)) {
        /* An INTERNAL system-log entry says which waiting events this order took. */
        json_t *e = syslog_entry(tenant, str(order, "order_id"), NULL, "INTERNAL", "PARKED_EVENTS_APPLIED", "RELAY",
                                 NULL);
        char *text = ju_dump(parked);
        int rc = syslog_add(txn, e, text, strlen(text), NULL, 0);
        free(text);
        json_decref(e);
        if (rc != STORE_OK) {
            json_decref(parked);
            return rc;
        }
    }
    size_t i;
    json_t *p;
    json_array_foreach(parked, i, p)
    {
        const char *origin = str(json_object_get(p, "event"), "origin_log");
        if (*origin && store_syslog_adopt(txn, tenant, origin, str(order, "order_id")) != STORE_OK) {
            json_decref(parked);
            return STORE_EIO;
        }
        json_t *own = json_array();
        pipeline_apply(cfg, order, json_object_get(p, "event"), now_iso, own);
        /* Say where each change came from: parked events keep their source. */
        size_t k;
        json_t *c;
        json_array_foreach(own, k, c)
        {
            char *label = xasprintf("hook:%s", str(p, "source"));
            json_object_set_new(c, "source", json_string(label));
            free(label);
            json_array_append(changes, c);
        }
        json_decref(own);
    }
    json_decref(parked);
    return STORE_OK;
}

void pipeline_new_event_id(char out[32])
{
    unsigned char raw[12];
    crypto_random(raw, sizeof raw);
    memcpy(out, "evt_", 4);
    crypto_hex(raw, sizeof raw, out + 4);
}

/* One outbox row per matching endpoint and event; each endpoint gets the
 * body in its payload_format (shiprelay's or Carriyo's), made here. */
static int emit_webhooks(struct store_txn *txn, const struct pipeline_write *w, const json_t *before,
                         const json_t *order, const json_t *changes)
{
    json_t *events = webhook_events_for(before, order, changes, w->trigger);
    int64_t now_ms = time_now_ms();
    /* The images as stored: no serialisation when the store knows them. */
    char *images[2] = {NULL, NULL};
    if (json_array_size(events)) {
        images[0] = before ? store_order_json(txn, before) : NULL;
        images[1] = store_order_json(txn, order);
    }
    int rc = STORE_OK;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        char id[32];
        pipeline_new_event_id(id);
        const char *type = str(e, "type"), *trigger = str(e, "trigger");
        json_t *extra = json_object_get(e, "level") ? json_pack("{s:O}", "level", json_object_get(e, "level")) : NULL;
        char *text = webhook_event_text(type, trigger, id, w->now_iso, w->tenant, extra, images[0], images[1]);
        json_decref(extra);
        char *ctext = webhook_event_carriyo_text(trigger, images[0], images[1]);
        struct store_outbox_event ev = {str(order, "order_id"), id, type, trigger, text, ctext, w->correlation_id};
        rc = store_outbox_add(txn, w->tenant, &ev, now_ms);
        free(text);
        free(ctext);
        if (rc != STORE_OK)
            break;
    }
    free(images[0]);
    free(images[1]);
    json_decref(events);
    return rc;
}

int pipeline_notify(struct store_txn *txn, const struct pipeline_write *w, const json_t *order, const json_t *extra)
{
    const char *type = webhook_event_type_of(w->trigger);
    if (!type)
        return STORE_EIO;
    char id[32];
    pipeline_new_event_id(id);
    char *image = store_order_json(txn, order);
    char *text = webhook_event_text(type, w->trigger, id, w->now_iso, w->tenant, extra, image, image);
    char *ctext = webhook_event_carriyo_text(w->trigger, image, image);
    struct store_outbox_event ev = {str(order, "order_id"), id, type, w->trigger, text, ctext, w->correlation_id};
    int rc = store_outbox_add(txn, w->tenant, &ev, time_now_ms());
    free(image);
    free(text);
    free(ctext);
    return rc;
}

int pipeline_store_order(struct store_txn *txn, const struct pipeline_write *w, const json_t *before, json_t *order,
                         json_t *changes)
{
    /* Events that arrived before the order, or under a tracking number the
     * change just taught a shipment, belong to it now. */
    int rc = unpark(txn, w->cfg, w->tenant, order, w->now_iso, changes);
    if (rc != STORE_OK)
        return rc;
    order_shape_defaults(order);
    sub_status_update(order, changes);
    /* Bounded work: older status history leaves the document; an order over a bound is not stored. */
    json_t *archived = order_limits_trim_history(order, w->cfg);
    char why[PIPELINE_REFUSAL_LEN];
    if (!order_limits_ok(order, before, w->cfg, why, sizeof why)) {
        json_decref(archived);
        if (w->refusal)
            snprintf(w->refusal, PIPELINE_REFUSAL_LEN, "%s", why);
        return PIPELINE_TOO_LARGE;
    }
    json_object_set_new(order, "update_date", json_string(w->now_iso));
    if (w->update_source) {
        json_object_set_new(order, "update_source", json_deep_copy(w->update_source));
        size_t i;
        json_t *c;
        json_array_foreach(changes, i, c)
        {
            if (!json_object_get(c, "update_source"))
                json_object_set(c, "update_source", (json_t *)w->update_source);
        }
    }
    const char *tenant = w->tenant;
    rc = before ? store_order_update(txn, tenant, order) : store_order_insert(txn, tenant, order);
    if (rc == STORE_OK && json_array_size(archived))
        rc = store_history_archive(txn, tenant, str(order, "order_id"), archived, w->now_iso);
    json_decref(archived);
    if (rc == STORE_OK && !before) /* return requests that came before it */
        rc = returns_link_order(txn, w, order);
    if (rc == STORE_OK)
        rc = store_changelog_add(txn, tenant, str(order, "order_id"), w->now_iso, w->source, changes);
    if (rc == STORE_OK)
        rc = emit_webhooks(txn, w, before, order, changes);
    return rc;
}
