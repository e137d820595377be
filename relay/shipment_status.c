/* shipment_status: the vocabulary as a table and the post-final moves as a
 * table. See shipment_status.h. */
#include "shipment_status.h"

#include <stddef.h>
#include <string.h>

struct status_info {
    const char *name;
    bool final;
};

static const struct status_info statuses[] = {
    {"draft", false},
    {"pending", false},
    {"booked", false},
    {"error", false},
    {"cancelled", true},
    {"cancelled_by_carrier", true},
    {"ready_to_ship", false},
    {"shipped", false},
    {"in_transit", false},
    {"out_for_delivery", false},
    {"awaiting_customer_collection", false},
    {"failed_delivery_attempt", false},
    {"failed_collection_attempt", false},
    {"delayed", false},
    {"suspended", false},
    {"missing", false},
    {"delivered", true},
    {"ready_for_return", false},
    {"return_in_transit", false},
    {"returned", true},
    {"delivery_confirmed", true},
    {"return_confirmed", true},
};

static const struct {
    const char *from, *to;
} after_final[] = {
    {"delivered", "delivery_confirmed"},
    {"delivered", "ready_for_return"},
    {"delivered", "return_in_transit"},
    {"delivered", "returned"},
    {"delivery_confirmed", "ready_for_return"},
    {"delivery_confirmed", "return_in_transit"},
    {"delivery_confirmed", "returned"},
    {"returned", "return_confirmed"},
};

static const struct status_info *find(const char *status)
{
    if (!status)
        return NULL;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(statuses[i].name, status) == 0)
            return &statuses[i];
    return NULL;
}

bool shipment_status_known(const char *status)
{
    return find(status) != NULL;
}

bool shipment_status_final(const char *status)
{
    const struct status_info *s = find(status);
    return s && s->final;
}

bool shipment_status_may_move(const char *current, const char *next)
{
    if (!find(next))
        return false;
    if (!current)
        return true;
    if (strcmp(current, next) == 0)
        return false;
    if (!shipment_status_final(current))
        return true;
    for (size_t i = 0; i < sizeof after_final / sizeof after_final[0]; i++)
        if (strcmp(after_final[i].from, current) == 0 && strcmp(after_final[i].to, next) == 0)
            return true;
    return false;
}
