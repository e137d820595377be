/* order: the line model (statuses on fulfillment-order lines, order lines
 * derived) and the rollup of statuses with a change entry for each move;
 * building an order from a request is order_create.c. See order.h. */
#include "order.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "rollup.h"
#include "xmalloc.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

void order_change(json_t *changes, const char *change_type, const char *entity_type, const char *entity_id,
                  const char *field, json_t *old_value, json_t *new_value)
{
    json_t *e = json_object();
    json_object_set_new(e, "change_type", json_string(change_type));
    json_object_set_new(e, "entity_type", json_string(entity_type));
    json_object_set_new(e, "entity_id", entity_id ? json_string(entity_id) : json_null());
    json_object_set_new(e, "field", field ? json_string(field) : json_null());
    json_object_set(e, "old_value", old_value ? old_value : json_null());
    json_object_set(e, "new_value", new_value ? new_value : json_null());
    json_array_append_new(changes, e);
}

json_t *order_line(const json_t *order, const char *line_item_id)
{
    return ju_find_by(json_object_get(order, "line_items"), "line_item_id", line_item_id);
}

json_t *order_fo(const json_t *order, const char *fulfillment_order_id)
{
    return ju_find_by(json_object_get(order, "fulfillment_orders"), "fulfillment_order_id", fulfillment_order_id);
}

json_t *order_entries_by_line(const json_t *order)
{
    json_t *by = json_object();
    size_t i, k;
    json_t *fo, *e;
    json_array_foreach(json_object_get(order, "fulfillment_orders"), i, fo)
    {
        json_array_foreach(json_object_get(fo, "line_items"), k, e)
        {
            const char *id = str(e, "line_item_id");
            if (!id)
                continue;
            json_t *list = json_object_get(by, id);
            if (!list) {
                list = json_array();
                json_object_set_new(by, id, list);
            }
            json_array_append(list, e);
        }
    }
    return by;
}

int order_set_entry_status(json_t *entry, const char *status)
{
    const char *old = str(entry, "status");
    if (old && !strcmp(old, status))
        return 0;
    json_object_set_new(entry, "status", json_string(status));
    return 1;
}

int order_set_line_status(const json_t *by_line, json_t *line, const char *status, json_t *changes)
{
    int moved = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(by_line, str(line, "line_item_id")), i, e)
    {
        moved |= order_set_entry_status(e, status);
    }
    const char *old = str(line, "status");
    if (!old || strcmp(old, status) != 0) {
        json_t *nv = json_string(status);
        order_change(changes, "STATUS_CHANGE", "line_item", str(line, "line_item_id"), "status",
                     json_object_get(line, "status"), nv);
        json_object_set_new(line, "status", nv);
        moved = 1;
    }
    return moved;
}

void order_make_id(const char *prefix, const char *nonce, int seq, char out[32])
{
    char up[13];
    size_t n = 0;
    for (; nonce && nonce[n] && n < 12; n++)
        up[n] = (char)toupper((unsigned char)nonce[n]);
    up[n] = '\0';
    snprintf(out, 32, "%.4s%s%02d", prefix, up, seq % 100);
}

static enum line_status status_of(const json_t *o, enum line_status fallback)
{
    enum line_status s = fallback;
    const char *name = str(o, "status");
    if (name)
        rollup_line_status_parse(name, &s);
    return s;
}

/* The FO lines of one order line, counted as they go by (order.h says
 * how they decide the line's status). */
struct tally {
    size_t n, live, closed, done;
    enum line_status least;
};

static void tally_add(struct tally *t, enum line_status s)
{
    if (!t->n++)
        t->least = LINE_CLOSED;
    if (s == LINE_CANCELLED)
        return;
    t->live++;
    t->closed += s == LINE_CLOSED;
    t->done += s == LINE_FULFILLED || s == LINE_CLOSED;
    if (s < t->least)
        t->least = s;
}

static enum line_status derive(const struct tally *t)
{
    if (!t->live)
        return LINE_CANCELLED;
    if (t->closed == t->live)
        return LINE_CLOSED;
    if (t->done == t->live)
        return LINE_FULFILLED;
    return t->least;
}

/* Set entity[field] to the status name, logging a change; returns 1 if it moved. */
static int set_status(json_t *entity, const char *entity_type, const char *id_key, const char *name, json_t *changes)
{
    json_t *old = json_object_get(entity, "status");
    if (old && json_is_string(old) && strcmp(json_string_value(old), name) == 0)
        return 0;
    json_t *nv = json_string(name);
    order_change(changes, "STATUS_CHANGE", entity_type, str(entity, id_key), "status", old, nv);
    json_object_set_new(entity, "status", nv);
    return 1;
}

/* Linear in the order's size: one pass over the FO lines, each counted for
 * its order line, found through an index of the lines' positions. */
int order_recompute(json_t *order, json_t *changes)
{
    json_t *lines = json_object_get(order, "line_items");
    json_t *fos = json_object_get(order, "fulfillment_orders");
    size_t nfo = json_array_size(fos), nlines = json_array_size(lines), most = nlines;
    json_t *pos = json_object(); /* line_item_id -> position in lines */
    size_t i, k;
    json_t *fo, *e, *line;
    json_array_foreach(lines, i, line)
    {
        const char *id = str(line, "line_item_id");
        if (id && !json_object_get(pos, id))
            json_object_set_new(pos, id, json_integer((json_int_t)i));
    }
    struct tally *per_line = xcalloc(nlines + 1, sizeof *per_line);
    json_array_foreach(fos, i, fo)
    {
        json_t *entries = json_object_get(fo, "line_items");
        most = json_array_size(entries) > most ? json_array_size(entries) : most;
        json_array_foreach(entries, k, e)
        {
            const char *id = str(e, "line_item_id");
            json_t *at = id ? json_object_get(pos, id) : NULL;
            if (at && !json_object_get(e, "status")) /* stored before FO lines had statuses: the line's */
                json_object_set(e, "status", json_object_get(json_array_get(lines, (size_t)json_integer_value(at)),
                                                             "status"));
            if (!json_object_get(e, "status"))
                json_object_set_new(e, "status", json_string("open"));
            if (at)
                tally_add(&per_line[json_integer_value(at)], status_of(e, LINE_OPEN));
        }
    }
    json_decref(pos);
    enum rollup_status *fo_status = xcalloc(nfo + 1, sizeof *fo_status);
    enum line_status *buf = xcalloc(most + 1, sizeof *buf);
    int moved = 0;
    size_t n_unassigned = 0;
    json_array_foreach(lines, i, line)
    {
        enum line_status s = per_line[i].n ? derive(&per_line[i]) : status_of(line, LINE_OPEN);
        if (!per_line[i].n)
            buf[n_unassigned++] = s; /* the lines in no fulfillment order roll up as one more */
        moved += set_status(line, "line_item", "line_item_id", rollup_line_status_name(s), changes);
    }
    free(per_line);
    enum rollup_status loose = n_unassigned ? rollup_fulfillment_order(buf, n_unassigned) : 0;
    json_array_foreach(fos, i, fo)
    {
        size_t n = 0;
        json_array_foreach(json_object_get(fo, "line_items"), k, e)
        {
            buf[n++] = status_of(e, LINE_OPEN);
        }
        fo_status[i] = rollup_fulfillment_order(buf, n);
        moved += set_status(fo, "fulfillment_order", "fulfillment_order_id", rollup_status_name(fo_status[i]),
                            changes);
    }
    free(buf);
    if (n_unassigned)
        fo_status[nfo++] = loose;
    moved += set_status(order, "order", "order_id", rollup_status_name(rollup_order(fo_status, nfo)), changes);
    free(fo_status);
    return moved;
}
