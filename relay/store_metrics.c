/* store_metrics: reads for GET /metrics that need more than store_stats.
 *
 * Pending messages by endpoint: one index range count per endpoint
 * (messages_due_by_endpoint is (endpoint_id, status, next_attempt_at, seq),
 * so `endpoint_id = ? AND status = 'pending'` is a range of it, read from
 * the index alone, counted once per endpoint: the CTE is materialized);
 * the endpoints table grows with configuration, not with traffic. */
#include "store.h"
#include "store_sqlite_int.h"

json_t *sq_read_pending_by_endpoint(struct store_reader *base_rd)
{
    struct sq_reader *rd = sq_reader(base_rd);
    static const char sql[] =
        "WITH p AS MATERIALIZED (SELECT e.id AS endpoint, e.tenant AS tenant, "
        "(SELECT COUNT(*) FROM webhook_messages m WHERE m.endpoint_id = e.id AND m.status = 'pending') AS pending "
        "FROM webhook_endpoints e) "
        "SELECT endpoint, tenant, pending FROM p WHERE pending > 0 ORDER BY pending DESC, endpoint";
    sqlite3_stmt *s = sq_stmt(rd->db, &rd->cache, sql);
    return s ? sq_rows(s) : NULL;
}
