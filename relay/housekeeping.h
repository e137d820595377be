/* housekeeping: the thread that runs the store's periodic work, each
 * piece a task (retention.h: expired rows go; stuck.h: order.stuck fires
 * for orders that became stuck).
 *
 * A task runs in passes: a pass is one or more batches, each batch one
 * store job, run back to back while the task says there is more, so the
 * writer is never held for long; then the task waits its interval and runs
 * the next pass. Tasks run independently of each other, each with at most
 * one batch in the store. One thread, one event loop, a timer per task;
 * nothing here writes to the store but through store_submit.
 *
 * In a fleet (PostgreSQL) a task with a role runs on one node at a time:
 * at each interval a node runs the pass only while it holds the role
 * (store_singleton on the thread's own reader: a session lock). The node
 * that holds it keeps it; when that node dies its lock goes with its
 * connection, and the next node whose timer comes round takes it over. */
#ifndef SHIPRELAY_HOUSEKEEPING_H
#define SHIPRELAY_HOUSEKEEPING_H
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "store.h"

struct housekeeping;

struct housekeeping_task {
    const char *name;
    /* Seconds from the end of a pass to the next (asked at the end of each). */
    long (*interval)(void *state);
    /* Before each batch, on the housekeeping thread: fix the batch's inputs
     * in state (the time, where to go on from); first is true for a pass's
     * first batch. */
    void (*begin)(void *state, bool first);
    /* The batch: a store job (store.h's contract: it may run more than
     * once, so it derives everything from what begin fixed and the store). */
    store_job_fn job;
    /* After the batch (rc: the job's, or STORE_EIO when its commit failed),
     * on the housekeeping thread: true to run another batch now, false when
     * the pass is over. */
    bool (*end)(void *state, int rc);
    void *state; /* the task's, freed by free_state at housekeeping_free */
    void (*free_state)(void *state);
    /* The store_singleton role a node must hold to run a pass (NULL: every
     * node runs it). */
    const char *role;
};

/* Start the thread with n tasks (copied); each runs its first pass a
 * second after the start. NULL with err on failure (the tasks' states are
 * freed). */
struct housekeeping *housekeeping_start(struct store *st, const struct housekeeping_task *tasks, size_t n, char *err,
                                        size_t errlen);
/* Stop once the batches in the store (if any) are done (they are short);
 * no new one starts. Call before store_close, and housekeeping_free after it. */
void housekeeping_stop(struct housekeeping *h);
void housekeeping_free(struct housekeeping *h);

#endif
