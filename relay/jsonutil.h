/* jsonutil: the few jansson conveniences every module wants.
 *
 * Returned json_t pointers from ju_path are borrowed (owned by root);
 * strings from ju_dump are the caller's to free(). */
#ifndef SHIPRELAY_JSONUTIL_H
#define SHIPRELAY_JSONUTIL_H
#include <jansson.h>

/* Follow a dotted path ("references.partner_order_reference"); NULL if absent. */
json_t *ju_path(const json_t *root, const char *dotted);
/* The string at a dotted path, or NULL when absent or not a string. */
const char *ju_path_str(const json_t *root, const char *dotted);
/* Compact, key-order-preserving serialisation; caller frees. */
char *ju_dump(const json_t *v);
/* Find the object in array whose string member `key` equals value; borrowed.
 * A linear scan: inside a loop over another array, use ju_index. */
json_t *ju_find_by(const json_t *array, const char *key, const char *value);
/* An index of array by its objects' string member `key`: a new object
 * mapping each value to the first object that has it (as ju_find_by would
 * find it). Build it once, look up many times: json_object_get. Entries
 * without the member are left out. */
json_t *ju_index(const json_t *array, const char *key);

#endif
