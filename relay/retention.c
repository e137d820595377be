/* retention: see retention.h. In a fleet one node sweeps: the task has
 * the "retention sweeps" role (housekeeping.h). */
#include "retention.h"

#include <stdbool.h>
#include <stdlib.h>

#include "log.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define BATCH 500

/* The task's state. One batch's cutoffs are fixed by begin, so a rerun of
 * the job removes the same things. */
struct sweep {
    const struct config *cfg;
    int64_t now;
    int counts[10];
    long removed; /* by this pass so far */
};

static const char *const names[10] = {"system logs",  "delivered messages", "cancelled messages", "dead messages",
                                      "change logs",  "event keys",         "parked events",      "orders",
                                      "archived history", "return requests"};

static void iso_before(int64_t now, long keep_s, char out[TIME_ISO_LEN])
{
    time_format_iso(now - (int64_t)keep_s * 1000, out);
}

static int sweep_job(struct store_txn *txn, void *arg)
{
    struct sweep *w = arg;
    const struct config *cfg = w->cfg;
    char cut[TIME_ISO_LEN];
    for (int i = 0; i < 10; i++)
        w->counts[i] = 0;
    int n = 0;
    if (cfg->keep_syslogs) {
        iso_before(w->now, cfg->keep_syslogs, cut);
        n = w->counts[0] = store_syslog_sweep(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_delivered)
        n = w->counts[1] = store_sweep_messages(txn, "delivered", w->now - cfg->keep_delivered * 1000, BATCH);
    if (n >= 0 && cfg->keep_delivered)
        n = w->counts[2] = store_sweep_messages(txn, "cancelled", w->now - cfg->keep_delivered * 1000, BATCH);
    if (n >= 0 && cfg->keep_dead)
        n = w->counts[3] = store_sweep_messages(txn, "dead", w->now - cfg->keep_dead * 1000, BATCH);
    if (n >= 0 && cfg->keep_changelogs) {
        iso_before(w->now, cfg->keep_changelogs, cut);
        n = w->counts[4] = store_sweep_changelogs(txn, cut, BATCH);
        if (n >= 0)
            n = w->counts[8] = store_sweep_history(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_seen) {
        iso_before(w->now, cfg->keep_seen, cut);
        n = w->counts[5] = store_sweep_seen(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_parked) {
        iso_before(w->now, cfg->keep_parked, cut);
        n = w->counts[6] = store_sweep_parked(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_orders) {
        iso_before(w->now, cfg->keep_orders, cut);
        n = w->counts[7] = store_sweep_orders(txn, cut, BATCH);
    }
    if (n >= 0 && cfg->keep_returns) {
        iso_before(w->now, cfg->keep_returns, cut);
        n = w->counts[9] = store_sweep_returns(txn, cut, BATCH);
    }
    return n < 0 ? STORE_EIO : STORE_OK;
}

static void begin(void *arg, bool first)
{
    struct sweep *w = arg;
    w->now = time_now_ms();
    if (first)
        w->removed = 0;
}

static bool end(void *arg, int rc)
{
    struct sweep *w = arg;
    if (rc != STORE_OK)
        return false;
    bool more = false;
    for (int i = 0; i < 10; i++) {
        more |= w->counts[i] >= BATCH;
        w->removed += w->counts[i];
        if (w->counts[i] > 0)
            log_debug("retention: removed %d %s", w->counts[i], names[i]);
    }
    if (!more && w->removed)
        log_info("retention: removed %ld expired rows", w->removed);
    return more; /* back to back until nothing expired is left */
}

static long interval(void *arg)
{
    return ((struct sweep *)arg)->cfg->sweep_interval;
}

struct housekeeping_task retention_task(const struct config *cfg)
{
    struct sweep *w = xcalloc(1, sizeof *w);
    w->cfg = cfg;
    return (struct housekeeping_task){"retention", interval, begin, sweep_job, end, w, free, "retention sweeps"};
}
