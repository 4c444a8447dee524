/*
 * dal_sqlite.h - what the SQLite backend offers beyond the dal_db API: raw
 * access to a pooled connection, for diagnostics, tests and SQL that the
 * schema cannot express. The connection has every setting the backend
 * applies (WAL, synchronous=NORMAL, busy_timeout, foreign_keys=ON, ...).
 */
#ifndef DAL_SQLITE_H
#define DAL_SQLITE_H

#include <sqlite3.h>

#include "dal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dal_sqlite_conn dal_sqlite_conn;

/* Takes a connection from the pool of db (an "sqlite:" database; waits up to
 * connection_timeout_ms like every operation) and gives its raw handle in
 * *handle. Give it back with dal_sqlite_release; leave it outside any
 * transaction. NULL with err filled on failure. */
dal_sqlite_conn *dal_sqlite_acquire(dal_db *db, sqlite3 **handle, dal_error *err);
void dal_sqlite_release(dal_db *db, dal_sqlite_conn *conn);

/* The SQL text the backend runs for q (a select, update, delete or
 * aggregate; args: its parameters, may be NULL when it has none) and the
 * values bound to its '?' in order as a JSON array (text-valued enum
 * members by name,
 * "now" for the call's time). Both malloc'd; the caller frees them. */
dal_code dal_sqlite_query_sql(const dal_query *q, const dal_value *args, char **sql, char **params_json,
                              dal_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DAL_SQLITE_H */
