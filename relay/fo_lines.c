/* fo_lines: see fo_lines.h. */
#include "fo_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "xmalloc.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

enum line_status fo_lines_status(const json_t *line)
{
    enum line_status s = LINE_OPEN;
    const char *name = str(line, "status");
    if (name)
        rollup_line_status_parse(name, &s);
    return s;
}

bool fo_lines_in(const json_t *line, unsigned mask)
{
    return (mask & FO_MASK(fo_lines_status(line))) != 0;
}

static bool is_line(const json_t *e, const char *id)
{
    const char *lid = str(e, "line_item_id");
    return lid && id && !strcmp(lid, id);
}

long fo_lines_units(const json_t *fo, const char *id, unsigned mask)
{
    long n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(fo, "line_items"), i, e)
    {
        if (is_line(e, id) && fo_lines_in(e, mask))
            n += (long)json_integer_value(json_object_get(e, "quantity"));
    }
    return n;
}

bool fo_lines_any(const json_t *fo, unsigned mask)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(fo, "line_items"), i, e)
    {
        if (fo_lines_in(e, mask))
            return true;
    }
    return false;
}

const char *fo_lines_pending_status(const json_t *fo)
{
    return json_is_string(json_object_get(fo, "location_id")) ? "allocated" : "open";
}

json_t *fo_lines_request(const json_t *fo, const json_t *list, char *err, size_t errlen)
{
    if (!json_is_array(list) || !json_array_size(list)) {
        snprintf(err, errlen, "line_items must be a non-empty array of {\"id\", \"quantity\"}");
        return NULL;
    }
    json_t *out = json_array(), *in_fo = ju_index(json_object_get(fo, "line_items"), "line_item_id"),
           *named = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        /* Carriyo's id; the older samples' line_item_id; a bare id. */
        const char *id = json_is_string(r)                        ? json_string_value(r)
                         : json_is_string(json_object_get(r, "id")) ? str(r, "id")
                                                                    : str(r, "line_item_id");
        json_t *q = json_is_object(r) ? json_object_get(r, "quantity") : NULL;
        if (!id) {
            snprintf(err, errlen, "line_items[%zu] needs an id", i);
            goto bad;
        }
        if (q && (!json_is_integer(q) || json_integer_value(q) < 1)) {
            snprintf(err, errlen, "line_items[%zu].quantity must be a positive integer", i);
            goto bad;
        }
        if (!json_object_get(in_fo, id)) {
            snprintf(err, errlen, "line_items[%zu]: line item \"%s\" is not in fulfillment order \"%s\"", i, id,
                     str(fo, "fulfillment_order_id"));
            goto bad;
        }
        if (json_object_get(named, id)) {
            snprintf(err, errlen, "line_items[%zu]: line item \"%s\" is named twice", i, id);
            goto bad;
        }
        json_object_set_new(named, id, json_true());
        json_array_append_new(out, json_pack("{s:s,s:I}", "id", id, "quantity", q ? json_integer_value(q) : 0));
    }
    json_decref(in_fo);
    json_decref(named);
    return out;
bad:
    json_decref(in_fo);
    json_decref(named);
    json_decref(out);
    return NULL;
}

json_t *fo_lines_select(json_t *fo, const char *id, long q, unsigned mask)
{
    json_t *lines = json_object_get(fo, "line_items"), *out = json_array();
    for (size_t i = 0; q > 0 && i < json_array_size(lines); i++) {
        json_t *e = json_array_get(lines, i);
        if (!is_line(e, id) || !fo_lines_in(e, mask))
            continue;
        long have = (long)json_integer_value(json_object_get(e, "quantity"));
        if (have <= q) {
            json_array_append(out, e);
            q -= have;
            continue;
        }
        /* q falls inside this line: keep have - q here, the q units in a copy after it */
        json_t *part = json_deep_copy(e);
        json_object_set_new(e, "quantity", json_integer(have - q));
        json_object_set_new(part, "quantity", json_integer(q));
        json_array_insert_new(lines, i + 1, part);
        json_array_append(out, part);
        q = 0;
    }
    return out;
}

void fo_lines_tidy(json_t *fo)
{
    json_t *lines = json_object_get(fo, "line_items"), *kept = json_array(), *seen = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(lines, i, e)
    {
        json_int_t q = json_integer_value(json_object_get(e, "quantity"));
        if (q <= 0)
            continue;
        json_t *key_of = json_deep_copy(e);
        json_object_del(key_of, "quantity");
        char *key = json_dumps(key_of, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(key_of);
        json_t *same = json_object_get(seen, key);
        if (same) {
            json_object_set_new(same, "quantity",
                                json_integer(json_integer_value(json_object_get(same, "quantity")) + q));
        } else {
            json_object_set(seen, key, e);
            json_array_append(kept, e);
        }
        free(key);
    }
    json_object_set_new(fo, "line_items", kept);
    json_decref(seen);
}
