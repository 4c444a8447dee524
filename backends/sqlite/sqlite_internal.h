/*
 * sqlite_internal.h - what the files of the SQLite backend share.
 *
 *   ../sql/           every SQL text (DDL, per-model statements, queries) and
 *                     the bind plan that goes with it, shared with PostgreSQL
 *   sqlite_values.c   binding values and decoding columns (typed, JSON, lists)
 *   sqlite_conn.c     connections: open + pragmas, statement cache, busy
 *                     retry, transactions primitives, error mapping
 *   sqlite_backend.c  the dal_backend table: schema setup and the operations
 *
 * Identifiers in SQL come only from the schema descriptors and are always
 * quoted; every value is bound as a parameter.
 */
#ifndef DAL_SQLITE_INTERNAL_H
#define DAL_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "dal_backend.h"
#include "sql_writer.h"

/* ------------------------------------------------------------------------ */
/* Values (sqlite_values.c)                                                  */
/* ------------------------------------------------------------------------ */

/* Whether an optional field holds a value (required fields always do). */
bool sq_field_present(const dal_field *f, const void *obj);
/* Binds field f of obj at index idx in its storage encoding. */
dal_code sq_bind_field(sqlite3_stmt *s, int idx, const dal_field *f, const void *obj, const dal_model *m,
                       dal_error *err);
/* Binds v (a parameter, key or literal) encoded as the column of target
 * (NULL target: v as it is). Lists become one JSON array text. */
dal_code sq_bind_value(sqlite3_stmt *s, int idx, const dal_field *target, const dal_value *v, dal_error *err);
/* Decodes column col of the current row into field f of obj. On failure
 * returns DAL_ERR_SERIALIZATION with the cause in err (the caller adds the
 * table, key and column) and leaves the field zeroed. */
dal_code sq_read_field(sqlite3_stmt *s, int col, const dal_field *f, void *obj, dal_error *err);
/* Reads the whole row (column i = field i) into obj, which must be zeroed.
 * On failure, clears obj and names table, key and column in err. */
dal_code sq_read_row(sqlite3_stmt *s, const dal_model *m, const char *table, void *obj, dal_error *err);
/* The SQLite dialect of the shared SQL writer (sqlite_backend.c). */
extern const sq_dialect sq_sqlite_dialect;

/* ------------------------------------------------------------------------ */
/* Connections (sqlite_conn.c)                                               */
/* ------------------------------------------------------------------------ */

/* Statements every connection keeps beside the per-model ones. */
typedef enum sq_global_op {
    SQG_BEGIN, SQG_COMMIT, SQG_ROLLBACK,
    SQG_SP_BEGIN, SQG_SP_RELEASE, SQG_SP_ROLLBACK, /* the savepoint of one atomic operation */
    SQG_SEQ_NEXT,                                  /* reserves n sequence values */
    SQG_N
} sq_global_op;

#define SQ_ADHOC_SLOTS 16

typedef struct sq_adhoc {
    char *sql;
    sqlite3_stmt *stmt;
    uint64_t used;
} sq_adhoc;

typedef struct sq_state sq_state;

typedef struct sq_conn {
    sqlite3 *db;
    const sq_state *st;
    sqlite3_stmt **model_stmts; /* [model index * SQ_N_OPS + op] */
    sqlite3_stmt **query_stmts; /* [query id] */
    size_t n_model_stmts, n_query_stmts; /* kept here: a connection may outlive st */
    sqlite3_stmt *global[SQG_N];
    sq_adhoc adhoc[SQ_ADHOC_SLOTS];
    uint64_t tick;
    int wal_frames;             /* the log's frames after the last commit, until sq_wal_upkeep */
} sq_conn;

/* The write-ahead log after a commit: at SQ_WAL_PASSIVE_FRAMES frames a
 * passive checkpoint (SQLite's automatic one); from SQ_WAL_TRUNCATE_FRAMES
 * on, one connection at a time tries a RESTART checkpoint that waits up to
 * SQ_WAL_TRUNCATE_WAIT_MS for the writer lock and for readers, copies the
 * whole log, and makes the next commit start it over (journal_size_limit
 * then cuts the file; the file is kept, not truncated to zero, so writers do
 * not pay for growing it again). Steady readers and writers keep a passive checkpoint from ever
 * reaching the end of the log, so without it the log grows without bound.
 * A failed try is repeated SQ_WAL_RETRY_FRAMES frames later. */
#define SQ_WAL_PASSIVE_FRAMES 1000
#define SQ_WAL_TRUNCATE_FRAMES 1000
#define SQ_WAL_TRUNCATE_WAIT_MS 250
#define SQ_WAL_RETRY_FRAMES 100

#define SQ_WRITE_TURN_SLOTS 32

/* The backend's state of one open database (dal_db.state), shared by every
 * handle and connection; read-only after open except through the pool. */
struct sq_state {
    const dal_schema *schema;
    char *path;          /* file path, or ":memory:" */
    bool memory;
    dal_options opts;    /* effective: memory databases force one connection */
    sq_model_sql *models;  /* [schema->n_models]; m == NULL for tables-less models */
    sq_plan *queries;      /* [schema->n_queries] */
    dal_pool *pool;
    /* the threads that began the open top-level transactions, so that a
     * call from such a thread that would wait for its own transaction fails
     * at once instead of after busy_timeout_ms */
    atomic_uint n_tx;
    /* root-handle writes of this process take turns here, first come first
     * served, before they ask SQLite for the write lock: they queue instead
     * of sleeping in SQLite's busy handler (which favours whoever happens
     * to retry first) */
    pthread_mutex_t write_mu;
    pthread_cond_t write_turn[SQ_WRITE_TURN_SLOTS]; /* [ticket % slots]: wakes only that ticket's waiter */
    uint64_t write_next, write_serving;
    /* write-ahead log upkeep (see SQ_WAL_TRUNCATE_FRAMES) */
    atomic_int wal_truncating;  /* a connection is trying a RESTART checkpoint */
    atomic_int wal_retry_at;    /* log frames before the next try (0: at the threshold) */
    atomic_uint wal_truncations; /* RESTART checkpoints that completed */
    pthread_mutex_t tx_lock;
    pthread_t *tx_threads;
    size_t n_tx_threads, cap_tx_threads;
};

/* The checkpoint the last commits call for (see SQ_WAL_TRUNCATE_FRAMES);
 * run when a connection goes back to the pool. */
void sq_wal_upkeep(sq_conn *c);

/* Pool hooks. */
void *sq_conn_open(void *ctx, dal_error *err);
void sq_conn_close(void *ctx, void *conn);

/* Index of m in the schema, or -1. */
int sq_model_index(const sq_state *st, const dal_model *m);
/* The cached statement of a model op / declared query / global op, prepared
 * on first use. NULL with err filled on failure. */
sqlite3_stmt *sq_model_stmt(sq_conn *c, int mi, sq_model_op op, dal_error *err);
sqlite3_stmt *sq_query_stmt(sq_conn *c, const dal_query *q, const sq_plan *plan, dal_error *err);
sqlite3_stmt *sq_global_stmt(sq_conn *c, sq_global_op op, dal_error *err);

/* sqlite3_step with retries on SQLITE_BUSY / SQLITE_LOCKED (exponential
 * back-off with jitter) within busy_timeout. For a statement's first step. */
int sq_step(sq_conn *c, sqlite3_stmt *s);
/* Runs a statement to completion (reset afterwards); SQLite result code. */
int sq_run(sq_conn *c, sqlite3_stmt *s);
/* Runs SQL text once (not cached), with busy retry. */
int sq_exec_text(sq_conn *c, const char *sql);

/* Sets err from the connection's last error: SQLite code rc, with what
 * (e.g. "insert into agents") in front. Constraint failures become
 * DAL_ERR_CONSTRAINT; busy/locked past the timeout DAL_ERR_BUSY. */
dal_code sq_error(sq_conn *c, int rc, dal_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif /* DAL_SQLITE_INTERNAL_H */
