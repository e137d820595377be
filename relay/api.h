/* api: the route table, the one list of every endpoint the relay serves. */
#ifndef SHIPRELAY_API_H
#define SHIPRELAY_API_H
#include <stddef.h>

#include "routes.h"

extern const struct route api_routes[];
extern const size_t api_routes_count;

#endif
