/* config_keys: the key table behind struct config, for the files that walk
 * it (config.c parses with it, config_print.c prints it, reload.c compares
 * a new config with the running one). Internal to those three.
 *
 * Each key names its section, type, field, default, bounds and doc, and
 * whether a reload (SIGHUP) may change it (KEY_RELOAD) and whether its value
 * is a secret to mask when the effective config is printed (KEY_SECRET). */
#ifndef SHIPRELAY_CONFIG_KEYS_H
#define SHIPRELAY_CONFIG_KEYS_H
#include <stddef.h>

#include "config.h"

enum key_type { KEY_STRING, KEY_INT, KEY_DURATION /* seconds, written with s m h d */ };

#define KEY_RELOAD 0x1 /* a reload applies a new value; other keys need a restart */
#define KEY_SECRET 0x2 /* masked by --print-config --config FILE */

struct key {
    const char *section;
    const char *name;
    enum key_type type;
    size_t offset;
    const char *def;
    long min, max;
    const char *doc;
    /* Optional further check of a value (and parsing into derived fields). */
    int (*check)(struct config *cfg, const char *value, char *err, size_t errlen);
    unsigned flags;
};

/* The table, in the order --print-config lists it. */
const struct key *config_keys(size_t *n);

static inline char **config_key_str(const struct config *cfg, const struct key *k)
{
    return (char **)((char *)cfg + k->offset);
}

static inline long *config_key_long(const struct config *cfg, const struct key *k)
{
    return (long *)((char *)cfg + k->offset);
}

#endif
