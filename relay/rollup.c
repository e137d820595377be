/* rollup: Carriyo's status cascade (line item → fulfillment order → order).
 * The rules are listed in rollup.h; each branch below is one line there. */
#include "rollup.h"

#include <string.h>

static const char *line_names[LINE__COUNT] = {
    "open", "allocated", "pick_in_progress", "picked", "pack_in_progress", "fulfilled", "closed", "cancelled",
};

static const char *rollup_names[ROLLUP__COUNT] = {
    "open", "partially_allocated", "allocated", "processing", "fulfilled", "closed", "cancelled",
};

const char *rollup_line_status_name(enum line_status s)
{
    return (unsigned)s < LINE__COUNT ? line_names[s] : "unknown";
}

const char *rollup_status_name(enum rollup_status s)
{
    return (unsigned)s < ROLLUP__COUNT ? rollup_names[s] : "unknown";
}

bool rollup_line_status_parse(const char *name, enum line_status *out)
{
    for (int i = 0; i < LINE__COUNT; i++)
        if (strcmp(name, line_names[i]) == 0) {
            *out = (enum line_status)i;
            return true;
        }
    return false;
}

bool rollup_status_parse(const char *name, enum rollup_status *out)
{
    for (int i = 0; i < ROLLUP__COUNT; i++)
        if (strcmp(name, rollup_names[i]) == 0) {
            *out = (enum rollup_status)i;
            return true;
        }
    return false;
}

enum rollup_status rollup_fulfillment_order(const enum line_status *lines, size_t n)
{
    size_t live = 0, closed = 0, done = 0, working = 0, allocated = 0;
    for (size_t i = 0; i < n; i++) {
        switch (lines[i]) {
        case LINE_CANCELLED:
            continue;
        case LINE_CLOSED:
            closed++;
            done++;
            working++;
            break;
        case LINE_FULFILLED:
            done++;
            working++;
            break;
        case LINE_PICK_IN_PROGRESS:
        case LINE_PICKED:
        case LINE_PACK_IN_PROGRESS:
            working++;
            break;
        case LINE_ALLOCATED:
            allocated++;
            break;
        case LINE_OPEN:
        default:
            break;
        }
        live++;
    }
    if (n == 0)
        return ROLLUP_OPEN;
    if (live == 0)
        return ROLLUP_CANCELLED;
    if (closed == live)
        return ROLLUP_CLOSED;
    if (done == live)
        return ROLLUP_FULFILLED;
    if (working > 0)
        return ROLLUP_PROCESSING;
    if (allocated == live)
        return ROLLUP_ALLOCATED;
    if (allocated > 0)
        return ROLLUP_PARTIALLY_ALLOCATED;
    return ROLLUP_OPEN;
}

enum rollup_status rollup_order(const enum rollup_status *fos, size_t n)
{
    size_t live = 0, closed = 0, done = 0, working = 0, allocated = 0, partial = 0;
    for (size_t i = 0; i < n; i++) {
        switch (fos[i]) {
        case ROLLUP_CANCELLED:
            continue;
        case ROLLUP_CLOSED:
            closed++;
            done++;
            break;
        case ROLLUP_FULFILLED:
            done++;
            break;
        case ROLLUP_PROCESSING:
            working++;
            break;
        case ROLLUP_ALLOCATED:
            allocated++;
            break;
        case ROLLUP_PARTIALLY_ALLOCATED:
            partial++;
            break;
        case ROLLUP_OPEN:
        default:
            break;
        }
        live++;
    }
    if (n == 0)
        return ROLLUP_OPEN;
    if (live == 0)
        return ROLLUP_CANCELLED;
    if (closed == live)
        return ROLLUP_CLOSED;
    if (done == live)
        return ROLLUP_FULFILLED;
    if (working > 0 || done > 0)
        return ROLLUP_PROCESSING;
    if (allocated == live)
        return ROLLUP_ALLOCATED;
    if (allocated > 0 || partial > 0)
        return ROLLUP_PARTIALLY_ALLOCATED;
    return ROLLUP_OPEN;
}
