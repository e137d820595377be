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
/* Find the object in array whose string member `key` equals value; borrowed. */
json_t *ju_find_by(const json_t *array, const char *key, const char *value);

#endif
