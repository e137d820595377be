/* reload: the live configuration, and what SIGHUP does to it.
 *
 * The running config is an immutable snapshot published through one
 * pointer. A request takes a reference when it starts (reload_acquire) and
 * drops it once its reply is sent (reload_release): it runs to its end with
 * the config it started with, whatever a reload does meanwhile, and the
 * snapshot is freed when its last reference goes. Threads that live as long
 * as the process (the dispatcher, the uploader, retention, the HTTP limits
 * set at start) keep the first snapshot; what they read are the keys the
 * table marks as taking a restart (config_keys.h), which a reload never
 * changes.
 *
 * reload_file reads the file again. When it is valid, the new snapshot is
 * published with every restart-only key kept at its running value (each
 * one that changed is logged: it needs a restart), the log level applied
 * and the access log opened again (access_log.h); requests that start after it see the new
 * tenants, keys, sources and limits at once (a removed key is refused by
 * the next request). When it is not valid, every error is logged with its
 * file:line and the running config stays.
 *
 * Thread safety: acquire and release from any thread; init, reload_file
 * and reload_shutdown from the main thread only. */
#ifndef SHIPRELAY_RELOAD_H
#define SHIPRELAY_RELOAD_H
#include "config.h"

/* Publish cfg (its contents move into the snapshot; cfg is left empty),
 * apply its log level and open its access log, and return a reference to it
 * for the caller, released with reload_release. */
const struct config *reload_init(struct config *cfg);
/* A reference to the current snapshot; never NULL after reload_init. */
const struct config *reload_acquire(void);
void reload_release(const struct config *cfg);
/* Read the file of the running config again and publish it: 0, or -1 when
 * it was refused (or there is no file: the embedded defaults). */
int reload_file(void);
/* Drop the published snapshot and close the access log (at exit, once no
 * request is left). */
void reload_shutdown(void);

#endif
