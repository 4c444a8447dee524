/*
 * dal_pg.h - what the PostgreSQL backend offers beyond the dal_db API: raw
 * access to a pooled libpq connection (for diagnostics, tests and SQL the
 * schema cannot express) and the SQL text it runs for a query.
 */
#ifndef DAL_PG_H
#define DAL_PG_H

#include <libpq-fe.h>

#include "dal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dal_pg_conn dal_pg_conn;

/* Takes a connection from the pool of db (a "postgresql:" database; waits
 * up to connection_timeout_ms like every operation) and gives its libpq
 * handle in *handle; its search_path is the URL's schema= when given. Give
 * it back with dal_pg_release, outside any transaction (one left open is
 * rolled back). NULL with err filled on failure. */
dal_pg_conn *dal_pg_acquire(dal_db *db, PGconn **handle, dal_error *err);
void dal_pg_release(dal_db *db, dal_pg_conn *conn);

/* The SQL text the backend runs for q and the values bound to $1, $2, ...
 * as a JSON array; both malloc'd (see dal_sqlite_query_sql). */
dal_code dal_pg_query_sql(const dal_query *q, const dal_value *args, char **sql, char **params_json,
                          dal_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DAL_PG_H */
