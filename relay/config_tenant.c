/* config_tenant: the [tenant "ID"] sections: API keys, OAuth2 clients and
 * whether a bearer token is required. See config.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"

const struct config_tenant *config_find_tenant(const struct config *cfg, const char *id)
{
    for (size_t i = 0; id && i < cfg->n_tenants; i++)
        if (strcmp(cfg->tenants[i].id, id) == 0)
            return &cfg->tenants[i];
    return NULL;
}

const struct config_tenant *config_find_client_tenant(const struct config *cfg, const char *client_id)
{
    for (size_t i = 0; client_id && i < cfg->n_tenants; i++)
        for (size_t k = 0; k < cfg->tenants[i].n_clients; k++)
            if (strcmp(cfg->tenants[i].clients[k].id, client_id) == 0)
                return &cfg->tenants[i];
    return NULL;
}

struct config_tenant *config_tenant_for(struct config *cfg, const char *id)
{
    struct config_tenant *t = (struct config_tenant *)config_find_tenant(cfg, id);
    if (t)
        return t;
    cfg->tenants = xrealloc(cfg->tenants, (cfg->n_tenants + 1) * sizeof *cfg->tenants);
    t = &cfg->tenants[cfg->n_tenants++];
    *t = (struct config_tenant){.id = xstrdup(id), .limit = {-1, -1}}; /* no limit of its own: [limits] applies */
    return t;
}

void config_tenant_add_key(struct config *cfg, const char *id, const char *key)
{
    struct config_tenant *t = config_tenant_for(cfg, id);
    t->api_keys = xrealloc(t->api_keys, (t->n_api_keys + 1) * sizeof *t->api_keys);
    t->api_keys[t->n_api_keys++] = xstrdup(key);
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
        *out = true;
    else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
        *out = false;
    else
        return -1;
    return 0;
}

int config_tenant_entry(struct config *cfg, const char *id, const char *name, const char *value, char *err,
                        size_t errlen)
{
    if (!config_valid_id(id)) {
        snprintf(err, errlen, "tenant id \"%s\" must be 1-64 of A-Z a-z 0-9 - _ .", id);
        return -1;
    }
    if (!strcmp(name, "api_key")) {
        if (strlen(value) < 16) {
            snprintf(err, errlen, "tenant \"%s\" api_key must be at least 16 characters", id);
            return -1;
        }
        /* A key names its tenant: the same key on two tenants would let one act as the other. */
        for (size_t i = 0; i < cfg->n_tenants; i++) {
            const struct config_tenant *t = &cfg->tenants[i];
            for (size_t k = 0; strcmp(t->id, id) != 0 && k < t->n_api_keys; k++)
                if (strcmp(t->api_keys[k], value) == 0) {
                    snprintf(err, errlen, "tenant \"%s\" api_key is already a key of tenant \"%s\"; each tenant "
                                          "needs its own keys", id, t->id);
                    return -1;
                }
        }
        config_tenant_add_key(cfg, id, value);
        return 0;
    }
    if (!strcmp(name, "client_id")) {
        if (!config_valid_id(value)) {
            snprintf(err, errlen, "tenant \"%s\" client_id must be 1-64 of A-Z a-z 0-9 - _ .", id);
            return -1;
        }
        const struct config_tenant *other = config_find_client_tenant(cfg, value);
        if (other && strcmp(other->id, id) != 0) {
            snprintf(err, errlen, "client_id \"%s\" is already a client of tenant \"%s\"", value, other->id);
            return -1;
        }
        struct config_tenant *t = config_tenant_for(cfg, id);
        t->clients = xrealloc(t->clients, (t->n_clients + 1) * sizeof *t->clients);
        t->clients[t->n_clients++] = (struct config_client){xstrdup(value), NULL};
        return 0;
    }
    if (!strcmp(name, "client_secret")) {
        struct config_tenant *t = config_tenant_for(cfg, id);
        size_t k = 0;
        while (k < t->n_clients && t->clients[k].secret)
            k++;
        if (k == t->n_clients) {
            snprintf(err, errlen, "tenant \"%s\" client_secret has no client_id before it", id);
            return -1;
        }
        if (strlen(value) < 16) {
            snprintf(err, errlen, "tenant \"%s\" client_secret must be at least 16 characters", id);
            return -1;
        }
        t->clients[k].secret = xstrdup(value);
        return 0;
    }
    if (!strcmp(name, "require_oauth")) {
        if (parse_bool(value, &config_tenant_for(cfg, id)->require_oauth) != 0) {
            snprintf(err, errlen, "tenant \"%s\" require_oauth must be yes or no", id);
            return -1;
        }
        return 0;
    }
    if (!strcmp(name, "allocation_rule")) {
        struct allocation_rule r;
        char msg[200];
        if (allocation_rule_parse(value, &r, msg, sizeof msg) != 0) {
            snprintf(err, errlen, "tenant \"%s\" %s", id, msg);
            return -1;
        }
        struct config_tenant *t = config_tenant_for(cfg, id);
        t->rules = xrealloc(t->rules, (t->n_rules + 1) * sizeof *t->rules);
        t->rules[t->n_rules++] = r;
        return 0;
    }
    if (!strcmp(name, "change_logs")) {
        if (strcmp(value, "array") != 0 && strcmp(value, "object") != 0) {
            snprintf(err, errlen, "tenant \"%s\" change_logs must be array or object", id);
            return -1;
        }
        config_tenant_for(cfg, id)->change_logs_object = !strcmp(value, "object");
        return 0;
    }
    snprintf(err, errlen,
             "unknown key \"%s\" in [tenant \"%s\"] (known: api_key, client_id, client_secret, require_oauth, "
             "change_logs, allocation_rule, rate_limit, rate_burst)",
             name, id);
    return -1;
}

int config_tenants_check(const struct config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        if (!t->n_api_keys) {
            snprintf(err, errlen, "[tenant \"%s\"] needs at least one api_key", t->id);
            return -1;
        }
        for (size_t k = 0; k < t->n_clients; k++)
            if (!t->clients[k].secret) {
                snprintf(err, errlen, "[tenant \"%s\"] client_id \"%s\" has no client_secret", t->id,
                         t->clients[k].id);
                return -1;
            }
        if (t->require_oauth && !t->n_clients) {
            snprintf(err, errlen, "[tenant \"%s\"] require_oauth needs a client_id and client_secret", t->id);
            return -1;
        }
    }
    return 0;
}

void config_tenants_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        struct config_tenant *t = &cfg->tenants[i];
        for (size_t j = 0; j < t->n_api_keys; j++)
            free(t->api_keys[j]);
        free(t->api_keys);
        for (size_t j = 0; j < t->n_clients; j++) {
            free(t->clients[j].id);
            free(t->clients[j].secret);
        }
        free(t->clients);
        for (size_t j = 0; j < t->n_rules; j++)
            allocation_rule_free(&t->rules[j]);
        free(t->rules);
        free(t->id);
    }
    free(cfg->tenants);
    cfg->tenants = NULL;
    cfg->n_tenants = 0;
}
