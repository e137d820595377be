/* fo_lines: the unit arithmetic of fulfillment-order lines, shared by the
 * fulfillment-order operations (fo_ops.h, fo_updates.h) and allocation.
 * Pure: no I/O.
 *
 * An FO line is {id, line_item_id, quantity, status[, fulfillment_id,
 * partner_fulfillment_reference, shipment_ids]} (order.h). Operations act
 * on units: fo_lines_select marks exactly q units of an order line among an
 * FO's lines in the given statuses, splitting one FO line in two when q
 * falls inside it, so the caller can change just those units; fo_lines_tidy
 * then drops empty lines and merges lines that differ only in quantity. */
#ifndef SHIPRELAY_FO_LINES_H
#define SHIPRELAY_FO_LINES_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rollup.h"

#define FO_MASK(s) (1u << (s))
#define FO_PENDING (FO_MASK(LINE_OPEN) | FO_MASK(LINE_ALLOCATED))
#define FO_IN_PROGRESS (FO_MASK(LINE_PICK_IN_PROGRESS) | FO_MASK(LINE_PICKED) | FO_MASK(LINE_PACK_IN_PROGRESS))
#define FO_DONE (FO_MASK(LINE_FULFILLED) | FO_MASK(LINE_CLOSED))

/* An FO line's status (open when it has none). */
enum line_status fo_lines_status(const json_t *line);
/* Does mask hold the FO line's status? */
bool fo_lines_in(const json_t *line, unsigned mask);
/* Units of order line id among fo's lines whose status is in mask. */
long fo_lines_units(const json_t *fo, const char *id, unsigned mask);
/* A request's lines: [{id or line_item_id, quantity}] (quantity optional:
 * 0 then, meaning "all that apply"), each an order line of fo, none twice.
 * A new array [{id, quantity}], or NULL with the problem in err. */
json_t *fo_lines_request(const json_t *fo, const json_t *list, char *err, size_t errlen);
/* Mark q units of id among fo's lines in mask (the caller checked q <=
 * fo_lines_units): a new array of the FO lines that hold exactly them
 * (borrowed from fo). */
json_t *fo_lines_select(json_t *fo, const char *id, long q, unsigned mask);
/* Drop FO lines of quantity 0; merge lines that are the same but for their
 * quantity. */
void fo_lines_tidy(json_t *fo);
/* The status a pending FO line has in fo: allocated with a location, else open. */
const char *fo_lines_pending_status(const json_t *fo);
/* Does any line of fo have a status in mask? */
bool fo_lines_any(const json_t *fo, unsigned mask);

#endif
