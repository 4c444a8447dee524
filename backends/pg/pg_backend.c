/*
 * pg_backend.c - the "postgresql://..." (and "postgres://...") storage.
 *
 * Same shape as the SQLite backend: every statement comes from the shared
 * SQL writer (backends/sql/) in the dialect below, is prepared once per
 * connection (PQprepare) and reused; every value is a parameter, sent in
 * text format (pg_values.c).
 *
 * Connections come from the runtime's dal_pool. An operation on the root
 * handle takes a connection for the call and gives it back; a transaction
 * pins one from begin to commit / rollback (nested ones are savepoints).
 *
 * PostgreSQL ends a transaction at its first error, SQLite does not: so that
 * a failed call inside a caller's transaction leaves that transaction usable
 * (as on SQLite), every call made inside one runs in a savepoint of its own
 * ("dal_op"), rolled back to when the call fails.
 *
 * Serialization failures (40001) and deadlocks (40P01) of the library's own
 * statements outside a caller's transaction are retried with exponential
 * back-off and jitter for up to busy_timeout_ms; inside a caller's
 * transaction they are returned (DAL_ERR_BUSY, naming the cause): only
 * the caller can run its transaction again.
 *
 * Isolation is PostgreSQL's default, READ COMMITTED: an UPDATE re-checks its
 * WHERE on a row another transaction changed before it got the row lock, so
 * "claim where status = pending" is won by exactly one claimer across
 * processes and hosts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dal_pg.h"
#include "pg_internal.h"

extern const dal_backend dal_postgresql_backend;
extern const dal_backend dal_postgres_backend;

/* ------------------------------------------------------------------------ */
/* The PostgreSQL dialect of the SQL writer                                  */
/* ------------------------------------------------------------------------ */

static const char *pg_column_type(const dal_field *f)
{
    if (f->flags & DAL_F_LIST)
        return "jsonb";
    switch (f->type) {
    case DAL_INT: case DAL_U32: case DAL_U64: case DAL_TIMESTAMP: return "bigint";
    case DAL_I32: return "integer";
    case DAL_BOOL: return "boolean";
    case DAL_REAL: return "double precision";
    case DAL_UUID: return "uuid"; /* the facade hands over canonical lower-case text only */
    case DAL_ENUM: return f->enumt && f->enumt->values ? "bigint" : "text COLLATE \"C\"";
    case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON: return "jsonb";
    default: return "text COLLATE \"C\"";
    }
}

const sq_dialect pg_dialect = {
    .name = "postgresql",
    .numbered_params = true,
    .column_type = pg_column_type,
    .eq_null_safe = " IS NOT DISTINCT FROM ",
    .ne_null_safe = " IS DISTINCT FROM ",
    /* SQLite's LIKE: ASCII case-insensitive (the C collation folds ASCII
     * only), and no escape character */
    .like_op = " COLLATE \"C\" ILIKE ",
    .like_tail = " ESCAPE ''",
    .in_head = " = ANY(",
    .in_tail = ")",
    .asc = " ASC NULLS FIRST",
    .desc = " DESC NULLS LAST",
    .index_asc = " NULLS FIRST",
    .index_desc = " DESC NULLS LAST",
    .offset_needs_limit = false,
    .noop_set = NULL,
    .ddl_head = NULL,
    .native_sequences = true,
};

/* ------------------------------------------------------------------------ */
/* State, connections                                                        */
/* ------------------------------------------------------------------------ */

#define PG_ADHOC_SLOTS 16

typedef struct pg_adhoc {
    char *sql;
    char name[24];
    uint64_t used;
} pg_adhoc;

typedef struct pg_state pg_state;

typedef struct pg_conn {
    PGconn *pg;
    const pg_state *st;
    unsigned char *model_prep; /* [model index * SQ_N_OPS + op]: prepared */
    unsigned char *query_prep; /* [query id] */
    bool seq_prep;
    pg_adhoc adhoc[PG_ADHOC_SLOTS];
    uint64_t tick, adhoc_gen;
    pg_params params;
    bool retryable; /* the last error was a serialization failure or deadlock */
    bool sp_each;   /* in a caller's transaction: each statement in a savepoint of its own */
} pg_conn;

struct pg_state {
    const dal_schema *schema;
    char *conninfo;   /* the URL for libpq: dal's own options removed */
    char *where;      /* "host H port P database D" for messages */
    char *pg_schema;  /* the schema= option, or NULL (the server's search_path) */
    dal_options opts;
    sq_model_sql *models; /* [schema->n_models]; m == NULL for tables-less models */
    sq_plan *queries;     /* [schema->n_queries] */
    dal_pool *pool;
};

typedef struct pg_tx {
    pg_conn *conn;
} pg_tx;

/* One operation's connection: pinned by the handle's transaction, or taken
 * from the pool for this call. */
typedef struct pg_call {
    pg_state *st;
    pg_conn *c;
    bool in_tx;   /* inside the caller's transaction */
    bool block;   /* this call opened BEGIN (own) or SAVEPOINT dal_op (in_tx) */
} pg_call;

static pg_state *state_of(dal_db *h)
{
    return h->root->state;
}

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The first line of a libpq message, without "ERROR:  " and the newline. */
static void first_line(const char *msg, char *out, size_t size)
{
    if (msg == NULL)
        msg = "";
    if (strncmp(msg, "ERROR:  ", 8) == 0)
        msg += 8;
    size_t n = strcspn(msg, "\n");
    snprintf(out, size, "%.*s", (int)n, msg);
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

static const char *sqlstate(const PGresult *r)
{
    const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

/* The dal code of an SQLSTATE. */
static dal_code code_of(const char *state)
{
    if (strncmp(state, "23", 2) == 0)
        return DAL_ERR_CONSTRAINT; /* unique, foreign key, not null, check, exclusion */
    if (strcmp(state, "25P02") == 0)
        return DAL_ERR_TRANSACTION; /* in a failed transaction */
    if (strcmp(state, "53200") == 0)
        return DAL_ERR_NOMEM;
    if (strncmp(state, "22", 2) == 0)
        return DAL_ERR_INVALID; /* data exception: a value the column type refuses */
    return DAL_ERR_DATABASE;
}

/* Sets err from result r (or the connection's message when r is NULL),
 * with what in front: "<what>: <message> (SQLSTATE xxxxx)". */
static dal_code pg_error(pg_conn *c, const PGresult *r, dal_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static dal_code pg_error(pg_conn *c, const PGresult *r, dal_error *err, const char *fmt, ...)
{
    char what[256], msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *state = sqlstate(r);
    first_line(r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), msg, sizeof msg);
    c->retryable = strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0;
    /* busy: nothing was changed, the call (or the caller's transaction) may
     * run again */
    if (c->retryable)
        return dal_set_error(err, DAL_ERR_BUSY, "%s: %s (%s; SQLSTATE %s)", what, msg,
                             state[1] == '0' && state[4] == '1' ? "serialization failure" : "deadlock", state);
    if (strcmp(state, "55P03") == 0)
        return dal_set_error(err, DAL_ERR_BUSY, "%s: %s (still waiting for a lock after busy_timeout_ms=%u)",
                             what, msg, c->st->opts.busy_timeout_ms);
    if (state[0] == '\0')
        return dal_set_error(err, DAL_ERR_DATABASE, "%s: %s (%s)", what, msg, c->st->where);
    return dal_set_error(err, code_of(state), "%s: %s (SQLSTATE %s)", what, msg, state);
}

/* "cols" of "Key (cols)=(...) ..." in a constraint error's detail. */
static void detail_columns(const PGresult *r, char *out, size_t size)
{
    const char *d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    const char *k = d ? strstr(d, "Key (") : NULL;
    const char *e = k ? strstr(k, ")=") : NULL;
    if (k == NULL || e == NULL) {
        snprintf(out, size, "?");
        return;
    }
    snprintf(out, size, "%.*s", (int)(e - k - 5), k + 5);
}

typedef struct write_ctx {
    const dal_model *m;
    const void *obj;      /* row ops */
    const dal_value *key; /* delete by key */
    bool deleting;
} write_ctx;

/* Turns a failed write into a dal error naming table and column(s), as the
 * SQLite backend words them. */
static dal_code write_error(pg_conn *c, const PGresult *r, const write_ctx *w, dal_error *err, const char *what)
{
    const char *state = sqlstate(r);
    const dal_model *m = w->m;
    char cols[160], val[200];
    if (strcmp(state, "23505") == 0) {
        const char *cname = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
        size_t tl = strlen(m->table);
        bool pk = cname && strncmp(cname, m->table, tl) == 0 && strcmp(cname + tl, "_pkey") == 0;
        detail_columns(r, cols, sizeof cols);
        if (pk) {
            val[0] = '\0';
            if (w->obj)
                sq_describe_key(m, w->obj, val, sizeof val);
            return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: duplicate key (%s.%s): a row with %s already exists",
                                 what, m->table, m->table, cols, val[0] ? val : "this key");
        }
        return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: duplicate value in unique column %s.%s", what,
                             m->table, m->table, cols);
    }
    if (strcmp(state, "23502") == 0) {
        const char *col = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
        return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: column %s.%s may not be NULL", what, m->table,
                             m->table, col ? col : "?");
    }
    if (strcmp(state, "23503") == 0) {
        detail_columns(r, cols, sizeof cols);
        const char *d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
        if (w->deleting) {
            const char *t = d ? strstr(d, "from table \"") : NULL;
            char other[100] = "another table";
            if (t != NULL)
                snprintf(other, sizeof other, "%.*s", (int)strcspn(t + 12, "\""), t + 12);
            if (w->key != NULL && m->n_pk > 0)
                sq_describe_key_values(m, w->key, val, sizeof val);
            else
                snprintf(val, sizeof val, "rows");
            return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: %s rows (%s) are still referenced by %s (on_delete: restrict)",
                                 what, m->table, m->table, val, other);
        }
        /* the referencing field of this model, for its referenced table */
        for (size_t i = 0; i < m->n_fields; i++) {
            const dal_field *f = &m->fields[i];
            if (f->ref == NULL || strcmp(f->column, cols) != 0)
                continue;
            val[0] = '\0';
            if (w->obj)
                sq_describe_field(f, w->obj, val, sizeof val);
            const dal_model *rm = f->ref->model;
            return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: foreign key %s.%s: %s has no matching row in %s.%s",
                                 what, m->table, m->table, f->column, val[0] ? val : d ? d : "the value", rm->table,
                                 rm->fields[f->ref->field].column);
        }
        return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: a foreign key of %s has no matching row (%s)", what,
                             m->table, m->table, d ? d : "?");
    }
    return pg_error(c, r, err, "%s %s", what, m->table);
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

static void conn_free(pg_conn *c)
{
    if (c == NULL)
        return;
    if (c->pg != NULL)
        PQfinish(c->pg);
    for (int i = 0; i < PG_ADHOC_SLOTS; i++)
        free(c->adhoc[i].sql);
    free(c->model_prep);
    free(c->query_prep);
    pg_params_free(&c->params);
    free(c);
}

/* "host H port P database D user U" of a connection, for messages. */
static void describe_conn(PGconn *pg, char *out, size_t size)
{
    const char *host = PQhost(pg), *port = PQport(pg), *db = PQdb(pg), *user = PQuser(pg);
    snprintf(out, size, "host %s port %s database %s user %s", host && *host ? host : "(default)",
             port && *port ? port : "(default)", db && *db ? db : "(default)", user && *user ? user : "(default)");
}

/* NOTICEs ("relation already exists, skipping") are not for the user. */
static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void *pg_conn_open(void *ctx, dal_error *err)
{
    const pg_state *st = ctx;
    pg_conn *c = calloc(1, sizeof *c);
    if (c != NULL) {
        c->st = st;
        c->model_prep = calloc(st->schema->n_models * SQ_N_OPS + 1, 1);
        c->query_prep = calloc(st->schema->n_queries + 1, 1);
    }
    if (c == NULL || c->model_prep == NULL || c->query_prep == NULL) {
        conn_free(c);
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening a connection");
        return NULL;
    }
    /* connect_timeout from connection_timeout_ms unless the URL says; the
     * URL (dbname, expanded) comes after, so its own settings win */
    char timeout[16];
    unsigned secs = (st->opts.connection_timeout_ms + 999) / 1000;
    snprintf(timeout, sizeof timeout, "%u", secs < 2 ? 2 : secs);
    const char *keys[] = {"connect_timeout", "client_encoding", "fallback_application_name", "dbname", NULL};
    const char *vals[] = {timeout, "UTF8", "dal", st->conninfo, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (c->pg == NULL) {
        conn_free(c);
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory connecting to PostgreSQL");
        return NULL;
    }
    if (PQstatus(c->pg) == CONNECTION_OK)
        PQsetNoticeProcessor(c->pg, quiet_notices, NULL);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        char where[300], msg[300];
        describe_conn(c->pg, where, sizeof where);
        first_line(PQerrorMessage(c->pg), msg, sizeof msg);
        dal_set_error(err, DAL_ERR_DATABASE, "cannot connect to PostgreSQL at %s: %s", where, msg);
        conn_free(c);
        return NULL;
    }
    /* per-connection settings: lock waits end after busy_timeout_ms (a
     * number this library formats), and the schema= option */
    char sql[96];
    snprintf(sql, sizeof sql, "SET lock_timeout = %u", st->opts.busy_timeout_ms);
    PGresult *r = PQexec(c->pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (ok && st->pg_schema != NULL) {
        PQclear(r);
        sq_buf b = {0};
        sq_buf_ident(&b, st->pg_schema);
        char *ident = sq_buf_take(&b);
        const char *v[1] = {ident};
        r = ident ? PQexecParams(c->pg, "SELECT set_config('search_path', $1, false)", 1, NULL, v, NULL, NULL, 0)
                  : NULL;
        free(ident);
        ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    }
    if (!ok) {
        pg_error(c, r, err, "setting up a connection to %s", st->where);
        PQclear(r);
        conn_free(c);
        return NULL;
    }
    PQclear(r);
    return c;
}

static void pg_conn_close(void *ctx, void *conn)
{
    (void)ctx;
    conn_free(conn);
}

/* PQexec of text without parameters; DAL_OK or err from its result. */
static dal_code run_text(pg_conn *c, const char *sql, dal_error *err, const char *what)
{
    c->retryable = false;
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType s = PQresultStatus(r);
    dal_code rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? DAL_OK : pg_error(c, r, err, "%s", what);
    PQclear(r);
    return rc;
}

/* Runs a prepared statement (preparing it on first use: *prepared is the
 * flag) with c->params. Returns its result (an error result when
 * preparing failed), or NULL with err filled when the values could not be
 * made. */
/* Inside a caller's transaction: SAVEPOINT, the statement (prepared first
 * when it is new) and RELEASE in one round trip (libpq's pipeline mode); when
 * one of them fails, ROLLBACK TO the savepoint, so that the transaction goes
 * on as on SQLite. Returns the statement's result or the first error. */
static PGresult *exec_savepointed(pg_conn *c, const char *name, const char *sql, unsigned char *prepared,
                                  const char *const *v, dal_error *err)
{
    PGconn *pg = c->pg;
    int n_cmds = *prepared ? 3 : 4, exec_idx = n_cmds - 2;
    bool sent = PQenterPipelineMode(pg) == 1 &&
                PQsendQueryParams(pg, "SAVEPOINT \"dal_op\"", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
                (*prepared || PQsendPrepare(pg, name, sql, 0, NULL) == 1) &&
                PQsendQueryPrepared(pg, name, (int)c->params.n, v, NULL, NULL, 0) == 1 &&
                PQsendQueryParams(pg, "RELEASE \"dal_op\"", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
                PQpipelineSync(pg) == 1;
    PGresult *first_err = NULL, *stmt = NULL;
    bool synced = false;
    int idx = 0, nulls = 0;
    while (sent && !synced && nulls <= n_cmds + 1) {
        PGresult *r = PQgetResult(pg);
        if (r == NULL) {
            idx++;
            nulls++;
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            synced = true;
        } else if (st == PGRES_FATAL_ERROR && first_err == NULL) {
            first_err = r;
            r = NULL;
        } else if (idx == exec_idx && stmt == NULL && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
            stmt = r;
            r = NULL;
        } else if (idx == 1 && !*prepared && st == PGRES_COMMAND_OK) {
            *prepared = 1; /* a session object: it outlives a rollback */
        }
        PQclear(r);
    }
    if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF)
        PQexitPipelineMode(pg);
    if (!synced) {
        PQclear(first_err);
        PQclear(stmt);
        dal_set_error(err, DAL_ERR_DATABASE, "lost the connection to %s: %.200s", c->st->where,
                      PQerrorMessage(pg));
        return NULL;
    }
    if (first_err == NULL)
        return stmt;
    PQclear(stmt);
    PQclear(PQexec(pg, "ROLLBACK TO \"dal_op\""));
    PQclear(PQexec(pg, "RELEASE \"dal_op\""));
    return first_err;
}

static PGresult *exec_prepared(pg_conn *c, const char *name, const char *sql, unsigned char *prepared,
                               dal_error *err)
{
    c->retryable = false;
    const char *const *v = pg_params_values(&c->params, err);
    if (v == NULL && c->params.n > 0)
        return NULL;
    if (c->sp_each)
        return exec_savepointed(c, name, sql, prepared, v, err);
    if (!*prepared) {
        PGresult *r = PQprepare(c->pg, name, sql, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            return r;
        PQclear(r);
        *prepared = 1;
    }
    return PQexecPrepared(c->pg, name, (int)c->params.n, v, NULL, NULL, 0);
}

static PGresult *exec_model(pg_conn *c, int mi, sq_model_op op, dal_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "dal_m%d_%d", mi, (int)op);
    return exec_prepared(c, name, c->st->models[mi].sql[op], &c->model_prep[(size_t)mi * SQ_N_OPS + op], err);
}

/* Declared queries by id; built ones (id -1) by SQL text in a small LRU
 * cache of prepared statements. */
static PGresult *exec_query(pg_conn *c, const dal_query *q, const sq_plan *plan, dal_error *err)
{
    const dal_schema *s = c->st->schema;
    char name[32];
    if (q->id >= 0 && (size_t)q->id < s->n_queries && s->queries[q->id] == q) {
        snprintf(name, sizeof name, "dal_q%d", q->id);
        return exec_prepared(c, name, plan->sql, &c->query_prep[q->id], err);
    }
    pg_adhoc *victim = &c->adhoc[0];
    c->tick++;
    for (int i = 0; i < PG_ADHOC_SLOTS; i++) {
        pg_adhoc *a = &c->adhoc[i];
        if (a->sql != NULL && strcmp(a->sql, plan->sql) == 0) {
            unsigned char yes = 1;
            a->used = c->tick;
            return exec_prepared(c, a->name, a->sql, &yes, err);
        }
        if (a->used < victim->used)
            victim = a;
    }
    size_t len = strlen(plan->sql);
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory caching a statement");
        return NULL;
    }
    memcpy(copy, plan->sql, len + 1);
    if (victim->sql != NULL) {
        char dealloc[48];
        snprintf(dealloc, sizeof dealloc, "DEALLOCATE \"%s\"", victim->name);
        PQclear(PQexec(c->pg, dealloc));
        free(victim->sql);
        victim->sql = NULL;
    }
    snprintf(victim->name, sizeof victim->name, "dal_a%llu", (unsigned long long)++c->adhoc_gen);
    unsigned char prepared = 0;
    PGresult *r = exec_prepared(c, victim->name, copy, &prepared, err);
    if (prepared) {
        victim->sql = copy;
        victim->used = c->tick;
    } else {
        free(copy);
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Calls                                                                     */
/* ------------------------------------------------------------------------ */

static dal_code call_begin(dal_db *h, pg_call *call, dal_error *err)
{
    call->st = state_of(h);
    call->block = false;
    if (h->tx != NULL) {
        pg_tx *t = h->tx->bstate;
        call->c = t->conn;
        call->c->sp_each = false;
        call->in_tx = true;
        return DAL_OK;
    }
    call->in_tx = false;
    call->c = dal_pool_acquire(call->st->pool, err);
    return call->c ? DAL_OK : (err ? err->code : DAL_ERR_POOL);
}

/* Gives a call's connection back; one left inside a transaction by an
 * error is rolled back first, a broken one is closed. */
static void release_conn(pg_state *st, pg_conn *c)
{
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE && PQstatus(c->pg) == CONNECTION_OK)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    bool broken = PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE;
    dal_pool_release(st->pool, c, broken);
}

static void call_end(pg_call *call)
{
    if (!call->in_tx)
        release_conn(call->st, call->c);
}

/* Opens the call's block. Inside the caller's transaction, so that a failure
 * leaves that transaction usable: a savepoint around the call when several
 * statements must be all or nothing (own), else one around each statement,
 * sent with it (exec_savepointed). Outside: a transaction of its own when
 * own. */
static dal_code block_begin(pg_call *call, bool own, dal_error *err)
{
    dal_code rc = DAL_OK;
    if (call->in_tx && !own) {
        call->c->sp_each = true;
        return DAL_OK;
    }
    if (call->in_tx)
        rc = run_text(call->c, "SAVEPOINT \"dal_op\"", err, "savepoint");
    else if (own)
        rc = run_text(call->c, "BEGIN", err, "begin");
    else
        return DAL_OK;
    call->block = rc == DAL_OK;
    return rc;
}

static dal_code block_end(pg_call *call, dal_code rc, dal_error *err)
{
    call->c->sp_each = false;
    if (!call->block)
        return rc;
    call->block = false;
    bool retryable = call->c->retryable;
    if (rc == DAL_OK) {
        rc = call->in_tx ? run_text(call->c, "RELEASE \"dal_op\"", err, "release savepoint")
                         : run_text(call->c, "COMMIT", err, "commit");
        if (rc == DAL_OK)
            return DAL_OK;
        retryable = call->c->retryable;
    }
    if (call->in_tx) {
        PQclear(PQexec(call->c->pg, "ROLLBACK TO \"dal_op\""));
        PQclear(PQexec(call->c->pg, "RELEASE \"dal_op\""));
    } else if (PQtransactionStatus(call->c->pg) != PQTRANS_IDLE) {
        PQclear(PQexec(call->c->pg, "ROLLBACK"));
    }
    call->c->retryable = retryable;
    return rc;
}

/* Whether to run a failed operation again: a serialization failure or
 * deadlock outside the caller's transaction, within busy_timeout_ms since
 * *start (set on the first failure). Sleeps the back-off. */
static bool retry_again(pg_call *call, dal_code rc, int64_t *start, int64_t *delay)
{
    if (rc == DAL_OK || call->in_tx || !call->c->retryable)
        return false;
    int64_t now = monotonic_us();
    if (*start == 0)
        *start = now;
    int64_t left = *start + (int64_t)call->st->opts.busy_timeout_ms * 1000 - now;
    if (left <= 0)
        return false;
    if (*delay == 0)
        *delay = 1000;
    int64_t nap = *delay + (int64_t)((uint64_t)now * 2654435761u % (uint64_t)*delay);
    if (nap > left)
        nap = left;
    struct timespec ts = {(time_t)(nap / 1000000), (long)(nap % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    if (*delay < 100000)
        *delay *= 2;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Reading rows                                                              */
/* ------------------------------------------------------------------------ */

/* Decodes up to max_rows rows of r into out (empty on entry). */
static dal_code read_rows(const PGresult *r, const dal_model *m, const char *table, size_t max_rows, dal_list *out,
                          dal_error *err)
{
    size_t n = (size_t)PQntuples(r);
    if (n > max_rows)
        n = max_rows;
    if (n == 0)
        return DAL_OK;
    char *rows = calloc(n, m->size);
    if (rows == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory reading %s", table);
    for (size_t i = 0; i < n; i++) {
        dal_code rc = pg_read_row(r, (int)i, m, table, rows + i * m->size, err);
        if (rc != DAL_OK) {
            dal_list l = {i, rows};
            dal_record_list_free(m, &l);
            return rc;
        }
    }
    out->n = n;
    out->v = rows;
    return DAL_OK;
}

static dal_code result_int(const PGresult *r, int64_t *out, dal_error *err, const char *what)
{
    if (PQntuples(r) < 1 || PQgetisnull(r, 0, 0))
        return dal_set_error(err, DAL_ERR_DATABASE, "%s: no value", what);
    char *end = NULL;
    errno = 0;
    long long v = strtoll(PQgetvalue(r, 0, 0), &end, 10);
    if (errno != 0 || *end != '\0')
        return dal_set_error(err, DAL_ERR_SERIALIZATION, "%s: '%s' is not an integer", what, PQgetvalue(r, 0, 0));
    *out = v;
    return DAL_OK;
}

static int64_t cmd_tuples(const PGresult *r)
{
    const char *t = PQcmdTuples((PGresult *)r);
    return t && *t ? strtoll(t, NULL, 10) : 0;
}

/* ------------------------------------------------------------------------ */
/* Per-model operations                                                      */
/* ------------------------------------------------------------------------ */

static int model_index(const pg_state *st, const dal_model *m)
{
    const dal_schema *s = st->schema;
    for (size_t i = 0; i < s->n_models; i++)
        if (s->models[i] == m)
            return st->models[i].m ? (int)i : -1;
    return -1;
}

static const sq_model_sql *model_sql(pg_state *st, const dal_model *m, int *mi, dal_error *err)
{
    *mi = model_index(st, m);
    if (*mi < 0) {
        dal_set_error(err, DAL_ERR_INVALID, "model %s has no table in this database", m->name);
        return NULL;
    }
    return &st->models[*mi];
}

static dal_code params_key(pg_params *p, const dal_model *m, const dal_value *key, dal_error *err)
{
    for (size_t k = 0; k < m->n_pk; k++) {
        dal_code rc = pg_param_value(p, &m->fields[m->pk[k]], &key[k], err);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

static dal_code params_fields(pg_params *p, const dal_model *m, const void *obj, dal_error *err)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        dal_code rc = pg_param_field(p, &m->fields[i], obj, m, err);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* Takes n values of every @sequence field of m from its PostgreSQL
 * sequence and writes them into the n objects. Values taken are never
 * given back, even when the insert fails or its transaction rolls back. */
static dal_code take_sequences(pg_conn *c, const sq_model_sql *ms, char *objs, size_t n, dal_error *err)
{
    const dal_model *m = ms->m;
    for (size_t q = 0; q < ms->n_seq; q++) {
        const dal_field *f = &m->fields[ms->seq_fields[q]];
        sq_buf b = {0};
        sq_sequence_name(&b, m, f);
        char *name = sq_buf_take(&b);
        if (name == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
        pg_params_reset(&c->params);
        pg_param_text(&c->params, name);
        pg_param_int(&c->params, (int64_t)n);
        free(name);
        PGresult *r = exec_prepared(c, "dal_seq",
                                    "SELECT nextval($1::regclass) FROM generate_series(1, $2::bigint)",
                                    (unsigned char *)&c->seq_prep, err);
        dal_code rc = DAL_OK;
        if (r == NULL)
            rc = err ? err->code : DAL_ERR_NOMEM;
        else if (PQresultStatus(r) != PGRES_TUPLES_OK || (size_t)PQntuples(r) != n)
            rc = pg_error(c, r, err, "taking %zu values of the sequence of %s.%s", n, m->table, f->column);
        for (size_t k = 0; rc == DAL_OK && k < n; k++)
            sq_store_int(f, objs + k * m->size, strtoll(PQgetvalue(r, (int)k, 0), NULL, 10));
        PQclear(r);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* One INSERT per row; @sequence values come from nextval() in the INSERT
 * and back through RETURNING. */
static dal_code insert_rows(pg_call *call, int mi, const sq_model_sql *ms, char *objs, size_t n, dal_error *err)
{
    const dal_model *m = ms->m;
    dal_code rc = DAL_OK;
    for (size_t k = 0; k < n && rc == DAL_OK; k++) {
        void *obj = objs + k * m->size;
        pg_params *p = &call->c->params;
        pg_params_reset(p);
        for (size_t i = 0; i < m->n_fields && rc == DAL_OK; i++)
            if (!(m->fields[i].flags & DAL_F_SEQUENCE))
                rc = pg_param_field(p, &m->fields[i], obj, m, err);
        if (rc != DAL_OK)
            break;
        PGresult *r = exec_model(call->c, mi, SQ_INSERT, err);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (r == NULL) {
            rc = err ? err->code : DAL_ERR_NOMEM;
        } else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            write_ctx w = {.m = m, .obj = obj};
            rc = write_error(call->c, r, &w, err, "insert into");
        } else {
            for (size_t q = 0; q < ms->n_seq && PQntuples(r) > 0; q++)
                sq_store_int(&m->fields[ms->seq_fields[q]], obj, strtoll(PQgetvalue(r, 0, (int)q), NULL, 10));
        }
        PQclear(r);
    }
    return rc;
}

static dal_code pg_insert(dal_db *h, const dal_model *m, void *objs, size_t n, dal_error *err)
{
    pg_call call;
    int mi;
    const sq_model_sql *ms = model_sql(state_of(h), m, &mi, err);
    if (ms == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, err);
    if (rc != DAL_OK)
        return rc;
    int64_t start = 0, delay = 0;
    do {
        /* one row is one INSERT (its sequence values, taken before, are not
         * given back on failure); several are all or nothing */
        if ((rc = block_begin(&call, n > 1, err)) == DAL_OK)
            rc = block_end(&call, insert_rows(&call, mi, ms, objs, n, err), err);
    } while (retry_again(&call, rc, &start, &delay));
    call_end(&call);
    return rc;
}

static dal_code pg_get(dal_db *h, const dal_model *m, const dal_value *key, void *out, bool *found, dal_error *err)
{
    pg_call call;
    int mi;
    if (model_sql(state_of(h), m, &mi, err) == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, err);
    if (rc != DAL_OK)
        return rc;
    _Alignas(max_align_t) unsigned char local[512];
    void *tmp = m->size <= sizeof local ? local : malloc(m->size);
    if (tmp == NULL) {
        call_end(&call);
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory reading %s", m->table);
    }
    int64_t start = 0, delay = 0;
    bool row = false;
    do {
        if ((rc = block_begin(&call, false, err)) != DAL_OK)
            break;
        pg_params_reset(&call.c->params);
        PGresult *r = NULL;
        if ((rc = params_key(&call.c->params, m, key, err)) == DAL_OK) {
            r = exec_model(call.c, mi, SQ_GET, err);
            if (r == NULL)
                rc = err ? err->code : DAL_ERR_NOMEM;
            else if (PQresultStatus(r) != PGRES_TUPLES_OK)
                rc = pg_error(call.c, r, err, "get from %s", m->table);
            else if ((row = PQntuples(r) > 0)) {
                memset(tmp, 0, m->size);
                rc = pg_read_row(r, 0, m, m->table, tmp, err);
            }
        }
        PQclear(r);
        rc = block_end(&call, rc, err);
    } while (retry_again(&call, rc, &start, &delay));
    if (rc == DAL_OK) {
        *found = row;
        if (row) {
            dal_record_clear(m, out);
            memcpy(out, tmp, m->size);
        }
    } else if (row) {
        dal_record_clear(m, tmp);
    }
    if (tmp != local)
        free(tmp);
    call_end(&call);
    return rc;
}

/* UPDATE by key; the stored @sequence values come back into obj. */
static dal_code update_row(pg_call *call, int mi, const sq_model_sql *ms, void *obj, bool *matched, dal_error *err)
{
    const dal_model *m = ms->m;
    pg_params *p = &call->c->params;
    pg_params_reset(p);
    dal_code rc = DAL_OK;
    for (size_t u = 0; u < ms->n_update && rc == DAL_OK; u++)
        rc = pg_param_field(p, &m->fields[ms->update_fields[u]], obj, m, err);
    for (size_t k = 0; k < m->n_pk && rc == DAL_OK; k++)
        rc = pg_param_field(p, &m->fields[m->pk[k]], obj, m, err);
    if (rc != DAL_OK)
        return rc;
    PGresult *r = exec_model(call->c, mi, SQ_UPDATE, err);
    if (r == NULL)
        return err ? err->code : DAL_ERR_NOMEM;
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        write_ctx w = {.m = m, .obj = obj};
        rc = write_error(call->c, r, &w, err, "update");
    } else {
        *matched = cmd_tuples(r) > 0;
        for (size_t q = 0; *matched && q < ms->n_seq && PQntuples(r) > 0; q++)
            sq_store_int(&m->fields[ms->seq_fields[q]], obj, strtoll(PQgetvalue(r, 0, (int)q), NULL, 10));
    }
    PQclear(r);
    return rc;
}

static dal_code pg_update(dal_db *h, const dal_model *m, void *obj, dal_error *err)
{
    pg_call call;
    int mi;
    const sq_model_sql *ms = model_sql(state_of(h), m, &mi, err);
    if (ms == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, err);
    if (rc != DAL_OK)
        return rc;
    bool matched = false;
    int64_t start = 0, delay = 0;
    do {
        if ((rc = block_begin(&call, false, err)) == DAL_OK)
            rc = block_end(&call, update_row(&call, mi, ms, obj, &matched, err), err);
    } while (retry_again(&call, rc, &start, &delay));
    if (rc == DAL_OK && !matched) {
        char key[200];
        sq_describe_key(m, obj, key, sizeof key);
        rc = dal_set_error(err, DAL_ERR_NOT_FOUND, "update %s: no row with %s", m->table, key);
    }
    call_end(&call);
    return rc;
}

/* Whether the row with obj's key exists (SQ_EXISTS). */
static dal_code row_exists(pg_call *call, int mi, const dal_model *m, const void *obj, bool *exists, dal_error *err)
{
    pg_params_reset(&call->c->params);
    dal_code rc = DAL_OK;
    for (size_t k = 0; k < m->n_pk && rc == DAL_OK; k++)
        rc = pg_param_field(&call->c->params, &m->fields[m->pk[k]], obj, m, err);
    if (rc != DAL_OK)
        return rc;
    PGresult *r = exec_model(call->c, mi, SQ_EXISTS, err);
    if (r == NULL)
        return err ? err->code : DAL_ERR_NOMEM;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = pg_error(call->c, r, err, "upsert into %s", m->table);
    else
        *exists = PQntuples(r) > 0;
    PQclear(r);
    return rc;
}

/* INSERT ... ON CONFLICT (key) DO UPDATE, one statement. A model with
 * @sequence fields updates a row that exists (keeping its values) and takes
 * new values only for a new row, as on SQLite; a row inserted by another
 * transaction in between is still updated (ON CONFLICT), and gives its
 * stored values back (RETURNING). */
static dal_code upsert_row(pg_call *call, int mi, const sq_model_sql *ms, void *obj, dal_error *err)
{
    const dal_model *m = ms->m;
    dal_code rc = DAL_OK;
    if (ms->n_seq > 0) {
        bool exists = false, matched = false;
        if ((rc = row_exists(call, mi, m, obj, &exists, err)) != DAL_OK)
            return rc;
        if (exists && ((rc = update_row(call, mi, ms, obj, &matched, err)) != DAL_OK || matched))
            return rc;
        if ((rc = take_sequences(call->c, ms, obj, 1, err)) != DAL_OK)
            return rc;
    }
    pg_params_reset(&call->c->params);
    if ((rc = params_fields(&call->c->params, m, obj, err)) != DAL_OK)
        return rc;
    PGresult *r = exec_model(call->c, mi, SQ_UPSERT, err);
    if (r == NULL)
        return err ? err->code : DAL_ERR_NOMEM;
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        write_ctx w = {.m = m, .obj = obj};
        rc = write_error(call->c, r, &w, err, "upsert into");
    } else {
        for (size_t q = 0; q < ms->n_seq && PQntuples(r) > 0; q++)
            sq_store_int(&m->fields[ms->seq_fields[q]], obj, strtoll(PQgetvalue(r, 0, (int)q), NULL, 10));
    }
    PQclear(r);
    return rc;
}

static dal_code pg_upsert(dal_db *h, const dal_model *m, void *obj, dal_error *err)
{
    pg_call call;
    int mi;
    const sq_model_sql *ms = model_sql(state_of(h), m, &mi, err);
    if (ms == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, err);
    if (rc != DAL_OK)
        return rc;
    int64_t start = 0, delay = 0;
    do {
        if ((rc = block_begin(&call, false, err)) == DAL_OK)
            rc = block_end(&call, upsert_row(&call, mi, ms, obj, err), err);
    } while (retry_again(&call, rc, &start, &delay));
    call_end(&call);
    return rc;
}

static dal_code pg_remove(dal_db *h, const dal_model *m, const dal_value *key, bool *deleted, dal_error *err)
{
    pg_call call;
    int mi;
    if (model_sql(state_of(h), m, &mi, err) == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, err);
    if (rc != DAL_OK)
        return rc;
    int64_t start = 0, delay = 0;
    do {
        if ((rc = block_begin(&call, false, err)) != DAL_OK)
            break;
        pg_params_reset(&call.c->params);
        PGresult *r = NULL;
        if ((rc = params_key(&call.c->params, m, key, err)) == DAL_OK) {
            r = exec_model(call.c, mi, SQ_DELETE, err);
            if (r == NULL)
                rc = err ? err->code : DAL_ERR_NOMEM;
            else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                write_ctx w = {.m = m, .key = key, .deleting = true};
                rc = write_error(call.c, r, &w, err, "delete from");
            } else {
                *deleted = cmd_tuples(r) > 0;
            }
        }
        PQclear(r);
        rc = block_end(&call, rc, err);
    } while (retry_again(&call, rc, &start, &delay));
    call_end(&call);
    return rc;
}

/* A read of model m's statement op without parameters: rows or a count. */
static dal_code model_read(dal_db *h, const dal_model *m, sq_model_op op, dal_list *out, int64_t *n, dal_error *err)
{
    pg_call call;
    int mi;
    if (model_sql(state_of(h), m, &mi, err) == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, err);
    if (rc != DAL_OK)
        return rc;
    int64_t start = 0, delay = 0;
    do {
        if ((rc = block_begin(&call, false, err)) != DAL_OK)
            break;
        pg_params_reset(&call.c->params);
        PGresult *r = exec_model(call.c, mi, op, err);
        if (r == NULL)
            rc = err ? err->code : DAL_ERR_NOMEM;
        else if (PQresultStatus(r) != PGRES_TUPLES_OK)
            rc = pg_error(call.c, r, err, "%s %s", op == SQ_COUNT ? "count" : "list", m->table);
        else if (out != NULL)
            rc = read_rows(r, m, m->table, SIZE_MAX, out, err);
        else
            rc = result_int(r, n, err, m->table);
        PQclear(r);
        rc = block_end(&call, rc, err);
        if (rc != DAL_OK && out != NULL && out->v != NULL) {
            dal_record_list_free(m, out);
            *out = (dal_list){0, NULL};
        }
    } while (retry_again(&call, rc, &start, &delay));
    call_end(&call);
    return rc;
}

static dal_code pg_list_all(dal_db *h, const dal_model *m, dal_list *out, dal_error *err)
{
    return model_read(h, m, SQ_LIST, out, NULL, err);
}

static dal_code pg_count(dal_db *h, const dal_model *m, int64_t *n, dal_error *err)
{
    return model_read(h, m, SQ_COUNT, NULL, n, err);
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */
/* ------------------------------------------------------------------------ */

static dal_code params_plan(pg_params *p, const sq_plan *plan, const dal_value *args, dal_error *err)
{
    int64_t now = 0;
    pg_params_reset(p);
    for (size_t i = 0; i < plan->n_binds; i++) {
        const sq_bind *b = &plan->binds[i];
        dal_code rc = DAL_OK;
        switch (b->kind) {
        case SQB_PARAM: rc = pg_param_value(p, b->target, &args[b->param], err); break;
        case SQB_VALUE: rc = pg_param_value(p, b->target, b->value, err); break;
        case SQB_NOW:
            if (now == 0)
                now = dal_now_us(); /* once per call */
            pg_param_int(p, now);
            break;
        case SQB_INT: pg_param_int(p, b->i); break;
        }
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

typedef enum q_mode { Q_ROWS, Q_CHANGE, Q_COUNT } q_mode;

/* An update's field = field + / - amount whose result is out of the field's
 * range: the SQL makes it NULL, which the column's NOT NULL refuses (23502
 * naming the column), or bigint arithmetic overflows first (22003, naming
 * none: the cause when exactly one field is set that way). Fills err as
 * SQLite and memory word it and returns DAL_ERR_CONSTRAINT, or DAL_OK when
 * that is not the cause. */
static dal_code arith_error(const PGresult *r, const dal_query *q, dal_error *err)
{
    const char *state = sqlstate(r), *col = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
    bool notnull = strcmp(state, "23502") == 0, overflow = strcmp(state, "22003") == 0;
    if (q->kind != DAL_Q_UPDATE || !(notnull ? col != NULL : overflow))
        return DAL_OK;
    const dal_set *hit = NULL;
    for (size_t i = 0; i < q->n_set; i++) {
        const dal_set *set = &q->set[i];
        if (set->op == DAL_SET_ASSIGN || (notnull && strcmp(col, q->model->fields[set->field].column) != 0))
            continue;
        if (hit != NULL)
            return DAL_OK; /* overflow in one of several: which is unknown */
        hit = set;
    }
    if (hit == NULL)
        return DAL_OK;
    const dal_field *f = &q->model->fields[hit->field];
    return dal_set_error(err, DAL_ERR_CONSTRAINT,
                         "%s.%s: the new %s.%s (%s %c the amount) is out of range for %s; nothing was changed",
                         q->model->name, q->name[0] ? q->name : "query", q->model->table, f->column, f->column,
                         hit->op == DAL_SET_ADD ? '+' : '-', dal_type_name(f->type));
}

/* Runs query q (plan: its SQL) in one call: rows of `rows_model` into out,
 * the rows changed into *n, or the count into *n. */
static dal_code run_query(dal_db *h, const dal_query *q, const sq_plan *plan, const dal_value *args, q_mode mode,
                          const dal_model *rows_model, size_t max_rows, dal_list *out, int64_t *n, dal_error *err)
{
    pg_call call;
    dal_code rc = call_begin(h, &call, err);
    if (rc != DAL_OK)
        return rc;
    int64_t start = 0, delay = 0;
    do {
        if ((rc = block_begin(&call, false, err)) != DAL_OK)
            break;
        PGresult *r = NULL;
        if ((rc = params_plan(&call.c->params, plan, args, err)) == DAL_OK) {
            r = exec_query(call.c, q, plan, err);
            ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
            if (r == NULL) {
                rc = err ? err->code : DAL_ERR_NOMEM;
            } else if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
                char what[160];
                snprintf(what, sizeof what, "%s.%s on", q->model->name, q->name[0] ? q->name : "query");
                write_ctx w = {.m = q->model, .deleting = q->kind == DAL_Q_DELETE};
                if ((rc = arith_error(r, q, err)) == DAL_OK)
                    rc = mode == Q_CHANGE ? write_error(call.c, r, &w, err, what)
                                      : pg_error(call.c, r, err, "%s.%s", q->model->name,
                                                 q->name[0] ? q->name : "query");
            } else if (mode == Q_ROWS) {
                rc = read_rows(r, rows_model, q->model->table, max_rows, out, err);
            } else if (mode == Q_CHANGE) {
                *n = cmd_tuples(r);
            } else {
                rc = result_int(r, n, err, q->model->table);
            }
        }
        PQclear(r);
        rc = block_end(&call, rc, err);
        if (rc != DAL_OK && out != NULL && out->v != NULL) {
            dal_record_list_free(rows_model, out);
            *out = (dal_list){0, NULL};
        }
    } while (retry_again(&call, rc, &start, &delay));
    call_end(&call);
    return rc;
}

/* The plan of q: built at open for declared queries, now for the others. */
static dal_code query_plan(pg_state *st, const dal_query *q, sq_plan *owned, const sq_plan **plan, dal_error *err)
{
    const dal_schema *s = st->schema;
    if (q->id >= 0 && (size_t)q->id < s->n_queries && s->queries[q->id] == q) {
        *plan = &st->queries[q->id];
        return DAL_OK;
    }
    if (q->model->table == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "query on %s, which has no table", q->model->name);
    *plan = owned;
    return sq_plan_build(&pg_dialect, q, owned, err);
}

static dal_code pg_select(dal_db *h, const dal_query *q, const dal_value *args, size_t max_rows, dal_list *out,
                          dal_error *err)
{
    sq_plan owned = {0};
    const sq_plan *plan;
    dal_code rc = query_plan(state_of(h), q, &owned, &plan, err);
    if (rc == DAL_OK)
        rc = run_query(h, q, plan, args, Q_ROWS, q->model, max_rows, out, NULL, err);
    sq_plan_free(&owned);
    return rc;
}

static dal_code pg_exec(dal_db *h, const dal_query *q, const dal_value *args, int64_t *changed, dal_error *err)
{
    sq_plan owned = {0};
    const sq_plan *plan;
    dal_code rc = query_plan(state_of(h), q, &owned, &plan, err);
    if (rc == DAL_OK)
        rc = run_query(h, q, plan, args, Q_CHANGE, q->model, 0, NULL, changed, err);
    sq_plan_free(&owned);
    return rc;
}

static dal_code pg_aggregate(dal_db *h, const dal_query *q, const dal_value *args, dal_list *out, dal_error *err)
{
    sq_plan owned = {0};
    const sq_plan *plan;
    dal_code rc = query_plan(state_of(h), q, &owned, &plan, err);
    if (rc == DAL_OK)
        rc = run_query(h, q, plan, args, Q_ROWS, q->row, SIZE_MAX, out, NULL, err);
    sq_plan_free(&owned);
    return rc;
}

static dal_code pg_count_query(dal_db *h, const dal_query *q, const dal_value *args, int64_t *n, dal_error *err)
{
    if (q->model->table == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "count of %s, which has no table", q->model->name);
    dal_query counted = *q;
    counted.id = -1;
    sq_plan plan;
    dal_code rc = sq_count_plan_build(&pg_dialect, &counted, &plan, err);
    if (rc != DAL_OK)
        return rc;
    rc = run_query(h, &counted, &plan, args, Q_COUNT, NULL, 0, NULL, n, err);
    sq_plan_free(&plan);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

static dal_code pg_begin(dal_tx *tx, dal_error *err)
{
    pg_state *st = state_of(&tx->handle);
    pg_tx *t = calloc(1, sizeof *t);
    if (t == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory beginning a transaction");
    dal_code rc;
    if (tx->parent == NULL) {
        t->conn = dal_pool_acquire(st->pool, err);
        if (t->conn == NULL) {
            free(t);
            return err ? err->code : DAL_ERR_POOL;
        }
        if ((rc = run_text(t->conn, "BEGIN", err, "begin transaction")) != DAL_OK) {
            release_conn(st, t->conn);
            free(t);
            return rc;
        }
    } else {
        pg_tx *pt = tx->parent->bstate;
        t->conn = pt->conn;
        char sql[48];
        snprintf(sql, sizeof sql, "SAVEPOINT \"dal_sp%u\"", tx->depth);
        if ((rc = run_text(t->conn, sql, err, "begin nested transaction")) != DAL_OK) {
            free(t);
            return rc;
        }
    }
    tx->bstate = t;
    return DAL_OK;
}

static dal_code tx_end(dal_tx *tx, bool commit, dal_error *err)
{
    pg_tx *t = tx->bstate;
    if (t == NULL)
        return dal_set_error(err, DAL_ERR_TRANSACTION, "transaction has no connection");
    dal_code rc = DAL_OK;
    char sql[48];
    if (tx->parent != NULL) {
        if (commit) {
            snprintf(sql, sizeof sql, "RELEASE \"dal_sp%u\"", tx->depth);
            rc = run_text(t->conn, sql, err, "commit nested transaction");
        }
        if (!commit || rc != DAL_OK) {
            snprintf(sql, sizeof sql, "ROLLBACK TO \"dal_sp%u\"", tx->depth);
            dal_code rb = run_text(t->conn, sql, commit ? NULL : err, "rollback nested transaction");
            snprintf(sql, sizeof sql, "RELEASE \"dal_sp%u\"", tx->depth);
            if (rb == DAL_OK)
                rb = run_text(t->conn, sql, commit ? NULL : err, "rollback nested transaction");
            if (!commit)
                rc = rb;
        }
    } else {
        if (commit) {
            /* COMMIT of a failed transaction answers ROLLBACK: say so */
            PGresult *r = PQexec(t->conn->pg, "COMMIT");
            const char *tag = PQcmdStatus(r);
            if (PQresultStatus(r) != PGRES_COMMAND_OK)
                rc = pg_error(t->conn, r, err, "commit");
            else if (tag != NULL && strcmp(tag, "ROLLBACK") == 0)
                rc = dal_set_error(err, DAL_ERR_TRANSACTION, "commit: the transaction had failed and was rolled back");
            PQclear(r);
        } else {
            rc = run_text(t->conn, "ROLLBACK", err, "rollback");
        }
        release_conn(state_of(&tx->handle), t->conn);
    }
    free(t);
    tx->bstate = NULL;
    return rc;
}

static dal_code pg_commit(dal_tx *tx, dal_error *err)
{
    return tx_end(tx, true, err);
}

static dal_code pg_rollback(dal_tx *tx, dal_error *err)
{
    return tx_end(tx, false, err);
}

/* ------------------------------------------------------------------------ */
/* Maintenance                                                               */
/* ------------------------------------------------------------------------ */

/* VACUUM (ANALYZE) of this schema's tables; not inside a transaction. */
static dal_code pg_vacuum(dal_db *db, dal_error *err)
{
    if (db->tx != NULL)
        return dal_set_error(err, DAL_ERR_TRANSACTION, "vacuum cannot run inside a transaction");
    pg_call call;
    dal_code rc = call_begin(db, &call, err);
    if (rc != DAL_OK)
        return rc;
    sq_buf b = {0};
    sq_buf_add(&b, "VACUUM (ANALYZE) ");
    bool first = true;
    for (size_t i = 0; i < call.st->schema->n_models; i++) {
        const dal_model *m = call.st->schema->models[i];
        if (m->table == NULL)
            continue;
        if (!first)
            sq_buf_add(&b, ", ");
        first = false;
        sq_buf_ident(&b, m->table);
    }
    char *sql = sq_buf_take(&b);
    rc = sql ? run_text(call.c, sql, err, "vacuum") : dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    free(sql);
    call_end(&call);
    return rc;
}

/* The server writes its own checkpoints; nothing for a client to do. */
static dal_code pg_checkpoint(dal_db *db, dal_error *err)
{
    (void)db;
    (void)err;
    return DAL_OK;
}

/* The bytes of this schema's tables with their indexes and TOAST. */
static dal_code pg_storage_size(dal_db *db, uint64_t *bytes, dal_error *err)
{
    pg_call call;
    dal_code rc = call_begin(db, &call, err);
    if (rc != DAL_OK)
        return rc;
    if ((rc = block_begin(&call, true, err)) == DAL_OK) {
        PGresult *r = PQexec(call.c->pg, "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint "
                                         "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                         "WHERE n.nspname = current_schema() AND c.relkind = 'r'");
        int64_t n = 0;
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            rc = pg_error(call.c, r, err, "storage size");
        else if ((rc = result_int(r, &n, err, "storage size")) == DAL_OK)
            *bytes = (uint64_t)n;
        PQclear(r);
        rc = block_end(&call, rc, err);
    }
    call_end(&call);
    return rc;
}

static dal_code pg_pool_status(dal_db *db, dal_pool_status *out, dal_error *err)
{
    (void)err;
    dal_pool_status_read(state_of(db)->pool, out);
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Open: URL, schema, schema record                                          */
/* ------------------------------------------------------------------------ */

static void state_free(pg_state *st)
{
    if (st == NULL)
        return;
    dal_pool_destroy(st->pool);
    if (st->models)
        for (size_t i = 0; i < st->schema->n_models; i++)
            sq_model_sql_free(&st->models[i]);
    if (st->queries)
        for (size_t i = 0; i < st->schema->n_queries; i++)
            sq_plan_free(&st->queries[i]);
    free(st->models);
    free(st->queries);
    free(st->conninfo);
    free(st->where);
    free(st->pg_schema);
    free(st);
}

static dal_code build_sql(pg_state *st, dal_error *err)
{
    const dal_schema *s = st->schema;
    st->models = calloc(s->n_models + 1, sizeof *st->models);
    st->queries = calloc(s->n_queries + 1, sizeof *st->queries);
    if (st->models == NULL || st->queries == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n_models; i++) {
        const dal_model *m = s->models[i];
        if (m->table == NULL)
            continue;
        if (m->n_pk == 0)
            return dal_set_error(err, DAL_ERR_INVALID, "model %s has no primary key", m->name);
        dal_code rc = sq_model_sql_build(&pg_dialect, m, &st->models[i], err);
        if (rc != DAL_OK)
            return rc;
    }
    for (size_t i = 0; i < s->n_queries; i++) {
        const dal_query *q = s->queries[i];
        if (q->model == NULL || q->model->table == NULL)
            return dal_set_error(err, DAL_ERR_INVALID, "query %s has no table to run on", q->name);
        dal_code rc = sq_plan_build(&pg_dialect, q, &st->queries[i], err);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* Splits db->path ("//user:pw@host:port/db?k=v&...") into the URL libpq
 * gets (dal's own "schema" option removed) and checks it with libpq. */
static dal_code parse_url(pg_state *st, const char *path, dal_error *err)
{
    if (strncmp(path, "//", 2) != 0)
        return dal_set_error(err, DAL_ERR_INVALID,
                             "a PostgreSQL URL is postgresql://[user[:password]@][host][:port][/dbname][?k=v&...]");
    sq_buf b = {0};
    sq_buf_add(&b, "postgresql:");
    const char *q = strchr(path, '?');
    sq_buf_addn(&b, path, q ? (size_t)(q - path) : strlen(path));
    bool first = true;
    for (const char *p = q ? q + 1 : NULL; p != NULL && *p;) {
        size_t len = strcspn(p, "&");
        if (len > 7 && strncmp(p, "schema=", 7) == 0) {
            free(st->pg_schema);
            st->pg_schema = malloc(len - 6);
            if (st->pg_schema != NULL) {
                memcpy(st->pg_schema, p + 7, len - 7);
                st->pg_schema[len - 7] = '\0';
            }
        } else if (len > 0) {
            sq_buf_addc(&b, first ? '?' : '&');
            sq_buf_addn(&b, p, len);
            first = false;
        }
        p += len + (p[len] == '&');
    }
    st->conninfo = sq_buf_take(&b);
    if (st->conninfo == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(st->conninfo, &perr);
    if (opts == NULL) {
        char msg[300];
        first_line(perr ? perr : "out of memory", msg, sizeof msg);
        PQfreemem(perr);
        return dal_set_error(err, DAL_ERR_INVALID, "bad PostgreSQL URL: %s", msg);
    }
    const char *host = NULL, *port = NULL, *dbname = NULL;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            dbname = o->val;
    }
    char where[300];
    snprintf(where, sizeof where, "host %s port %s database %s", host ? host : "(default)",
             port ? port : "(default)", dbname ? dbname : "(default)");
    /* ports (one per host, comma-separated): numbers, which libpq checks
     * only when connecting */
    bool port_ok = true;
    for (const char *p = port; p != NULL && *p && port_ok;) {
        size_t n = strcspn(p, ",");
        long v = 0;
        for (size_t i = 0; i < n && port_ok; i++) {
            port_ok = p[i] >= '0' && p[i] <= '9' && i < 5;
            v = v * 10 + (p[i] - '0');
        }
        port_ok = port_ok && (n == 0 || (v >= 1 && v <= 65535));
        p += n + (p[n] == ',');
    }
    PQconninfoFree(opts);
    if (!port_ok)
        return dal_set_error(err, DAL_ERR_INVALID, "bad PostgreSQL URL: the port must be a number from 1 to 65535 (%s)",
                             where);
    st->where = malloc(strlen(where) + 1);
    if (st->where == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    strcpy(st->where, where);
    return DAL_OK;
}

static dal_code query_text(pg_conn *c, const char *sql, const char *param, char *out, size_t size, dal_error *err)
{
    const char *v[1] = {param};
    PGresult *r = PQexecParams(c->pg, sql, param ? 1 : 0, NULL, param ? v : NULL, NULL, NULL, 0);
    dal_code rc = DAL_OK;
    out[0] = '\0';
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = pg_error(c, r, err, "reading the schema of %s", c->st->where);
    else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

static dal_code create_schema(pg_conn *c, const char *name, dal_error *err)
{
    char *ddl = sq_schema_ddl(&pg_dialect, c->st->schema);
    if (ddl == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    char what[300];
    snprintf(what, sizeof what, "creating the tables of schema '%s'", name);
    dal_code rc = run_text(c, ddl, err, what);
    free(ddl);
    if (rc != DAL_OK)
        return rc;
    rc = run_text(c,
                  "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (\"version\" bigint NOT NULL, "
                  "\"name\" text NOT NULL, \"applied_at\" bigint NOT NULL)",
                  err, "creating schema_migrations");
    if (rc != DAL_OK)
        return rc;
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)dal_now_us());
    const char *v[2] = {name, now};
    PGresult *r = PQexecParams(c->pg,
                               "INSERT INTO \"schema_migrations\" (\"version\", \"name\", \"applied_at\") "
                               "VALUES (1, $1, $2::bigint)",
                               2, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = pg_error(c, r, err, "recording schema '%s'", name);
    PQclear(r);
    return rc;
}

/* Inside one transaction, serialized between processes by an advisory
 * lock: a new database (or schema=) gets the schema's tables and a
 * schema_migrations row "<ns>@<version>"; an existing one must carry the
 * same name, and gets the indexes a newer query added. */
static dal_code setup_schema(pg_conn *c, dal_error *err)
{
    const pg_state *st = c->st;
    const dal_schema *sch = st->schema;
    char name[256], stored[256], count[32];
    snprintf(name, sizeof name, "%s@%s", sch->ns, sch->version ? sch->version : "");
    dal_code rc = run_text(c, "BEGIN", err, "begin");
    if (rc != DAL_OK)
        return rc;
    rc = run_text(c, "SELECT pg_advisory_xact_lock(7235108215342153074)", err, "locking the schema set-up");
    if (rc == DAL_OK && st->pg_schema != NULL) {
        sq_buf b = {0};
        sq_buf_add(&b, "CREATE SCHEMA IF NOT EXISTS ");
        sq_buf_ident(&b, st->pg_schema);
        char *sql = sq_buf_take(&b);
        rc = sql ? run_text(c, sql, err, "creating the PostgreSQL schema")
                 : dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
        free(sql);
    }
    if (rc == DAL_OK)
        rc = query_text(c, "SELECT to_regclass('\"schema_migrations\"') IS NOT NULL", NULL, count, sizeof count,
                        err);
    bool has_table = rc == DAL_OK && strcmp(count, "t") == 0;
    stored[0] = '\0';
    if (rc == DAL_OK && has_table)
        rc = query_text(c, "SELECT \"name\" FROM \"schema_migrations\" ORDER BY \"version\" DESC LIMIT 1", NULL,
                        stored, sizeof stored, err);
    count[0] = '\0';
    if (rc == DAL_OK && stored[0] == '\0')
        rc = query_text(c, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()", NULL, count,
                        sizeof count, err);
    if (rc == DAL_OK) {
        if (stored[0] != '\0') {
            if (strcmp(stored, name) != 0) {
                rc = dal_set_error(err, DAL_ERR_MIGRATION,
                                   "%s was made by schema '%s', this program uses schema '%s' "
                                   "(migrating between them is not supported yet)",
                                   st->where, stored, name);
            } else {
                /* all "IF NOT EXISTS": creates exactly the missing indexes */
                char *ddl = sq_schema_ddl(&pg_dialect, sch);
                rc = ddl ? run_text(c, ddl, err, "adding the indexes of the schema")
                         : dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
                free(ddl);
            }
        } else if (atoi(count) > (has_table ? 1 : 0)) {
            rc = dal_set_error(err, DAL_ERR_MIGRATION,
                               "%s holds tables but no schema_migrations record: not a database made by dal "
                               "(schema '%s'); use another database or the schema= option",
                               st->where, name);
        } else {
            rc = create_schema(c, name, err);
        }
    }
    if (rc == DAL_OK)
        return run_text(c, "COMMIT", err, "commit");
    PQclear(PQexec(c->pg, "ROLLBACK"));
    return rc;
}

static dal_code pg_open(dal_db *db, dal_error *err)
{
    if (db->path == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "no PostgreSQL URL");
    pg_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    st->schema = db->schema;
    st->opts = db->opts;
    dal_code rc = parse_url(st, db->path, err);
    if (rc == DAL_OK)
        rc = build_sql(st, err);
    if (rc == DAL_OK) {
        dal_pool_hooks hooks = {st, pg_conn_open, pg_conn_close};
        st->pool = dal_pool_create(&hooks, &st->opts, err);
        if (st->pool == NULL)
            rc = err ? err->code : DAL_ERR_DATABASE;
    }
    if (rc == DAL_OK) {
        pg_conn *c = dal_pool_acquire(st->pool, err);
        if (c == NULL) {
            rc = err ? err->code : DAL_ERR_POOL;
        } else {
            rc = setup_schema(c, err);
            release_conn(st, c);
        }
    }
    if (rc != DAL_OK) {
        state_free(st);
        return rc;
    }
    db->state = st;
    return DAL_OK;
}

static void pg_close(dal_db *db)
{
    state_free(db->state);
    db->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Raw connections (dal_pg.h)                                                */
/* ------------------------------------------------------------------------ */

static bool is_pg_db(dal_db *db)
{
    return db != NULL && db->root != NULL && db->root->state != NULL &&
           (db->root->vt == &dal_postgresql_backend || db->root->vt == &dal_postgres_backend);
}

dal_pg_conn *dal_pg_acquire(dal_db *db, PGconn **handle, dal_error *err)
{
    if (!is_pg_db(db) || handle == NULL) {
        dal_set_error(err, DAL_ERR_INVALID, "dal_pg_acquire: not an open postgresql: database");
        return NULL;
    }
    pg_conn *c = dal_pool_acquire(state_of(db)->pool, err);
    if (c == NULL)
        return NULL;
    *handle = c->pg;
    return (dal_pg_conn *)c;
}

void dal_pg_release(dal_db *db, dal_pg_conn *conn)
{
    if (is_pg_db(db) && conn != NULL)
        release_conn(state_of(db), (pg_conn *)conn);
}

dal_code dal_pg_query_sql(const dal_query *q, const dal_value *args, char **sql, char **params_json,
                          dal_error *err)
{
    return sq_query_sql_text(&pg_dialect, q, args, sql, params_json, err);
}

#define PG_BACKEND_TABLE(scheme_name)                                                                            \
    {                                                                                                             \
        .version = DAL_BACKEND_VERSION, .scheme = scheme_name, .open = pg_open, .close = pg_close,                \
        .begin = pg_begin, .commit = pg_commit, .rollback = pg_rollback, .insert = pg_insert, .get = pg_get,      \
        .update = pg_update, .upsert = pg_upsert, .remove = pg_remove, .list_all = pg_list_all,                  \
        .count = pg_count, .select = pg_select, .exec = pg_exec, .aggregate = pg_aggregate,                      \
        .vacuum = pg_vacuum, .checkpoint = pg_checkpoint, .storage_size = pg_storage_size,                       \
        .pool_status = pg_pool_status, .count_query = pg_count_query, .query_sql = dal_pg_query_sql,             \
        .own_url_options = true,                                                                                  \
    }

/* "postgresql://..." and its short form "postgres://..." (as libpq). */
const dal_backend dal_postgresql_backend = PG_BACKEND_TABLE("postgresql");
const dal_backend dal_postgres_backend = PG_BACKEND_TABLE("postgres");
