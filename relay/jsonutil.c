/* jsonutil: see jsonutil.h. */
#include "jsonutil.h"

#include <string.h>

#include "xmalloc.h"

json_t *ju_path(const json_t *root, const char *dotted)
{
    const json_t *cur = root;
    const char *p = dotted;
    char name[128];
    while (cur && *p) {
        size_t len = strcspn(p, ".");
        if (len >= sizeof name || !json_is_object(cur))
            return NULL;
        memcpy(name, p, len);
        name[len] = '\0';
        cur = json_object_get(cur, name);
        p += len;
        if (*p == '.')
            p++;
    }
    return (json_t *)cur;
}

const char *ju_path_str(const json_t *root, const char *dotted)
{
    return json_string_value(ju_path(root, dotted));
}

char *ju_dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (!s)
        return xstrdup("null");
    return s;
}

json_t *ju_find_by(const json_t *array, const char *key, const char *value)
{
    size_t i;
    json_t *item;
    if (!value)
        return NULL;
    json_array_foreach(array, i, item)
    {
        const char *v = json_string_value(json_object_get(item, key));
        if (v && strcmp(v, value) == 0)
            return item;
    }
    return NULL;
}

json_t *ju_index(const json_t *array, const char *key)
{
    json_t *ix = json_object();
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        const char *v = json_string_value(json_object_get(item, key));
        if (v && !json_object_get(ix, v))
            json_object_set(ix, v, item);
    }
    return ix;
}
