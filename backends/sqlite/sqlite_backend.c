/*
 * sqlite_backend.c - dal_sqlite_backend: the "sqlite:PATH" storage.
 *
 * Generic over the schema: every statement comes from the descriptors
 * (the shared SQL writer, backends/sql/, in the dialect below), is prepared once per connection and reused; values are
 * bound and decoded by sqlite_values.c.
 *
 * Connections come from a dal_pool. An operation on the root handle takes a
 * connection for the call and gives it back; a transaction pins one
 * connection from begin to commit / rollback, and every operation through its
 * handle runs on it (nested transactions are savepoints on that connection).
 * Transactions begin IMMEDIATE: they take the write lock at once, so two of
 * them never deadlock upgrading read locks; readers in WAL mode never wait.
 * A thread that holds a transaction and writes through the ROOT handle would
 * wait for its own write lock: such calls (and begin) fail at once with
 * DAL_ERR_TRANSACTION instead of after busy_timeout_ms; its reads through the
 * root handle work and see the last committed state (on another connection:
 * when the transaction holds the only one, max_connections=1, the pool says
 * so at once with DAL_ERR_POOL rather than serve the read from the
 * transaction's connection, which would show uncommitted changes).
 *
 * Query semantics that follow from SQL (the conformance suite pins them for
 * every backend): ties in an order are broken by the primary key ascending;
 * NULLs sort first ascending, last descending; LIKE is ASCII
 * case-insensitive; "= $p" with an optional parameter p is "IS $p", so a null
 * argument matches absent values; text-valued enums compare and sort by
 * their stored member name, integer-valued ones by their value.
 *
 * In-memory databases ("sqlite::memory:", or a PATH of ":memory:"): every
 * SQLite connection to ":memory:" is a database of its own, so the pool of
 * such a database is forced to exactly ONE connection (max_connections = 1,
 * min_idle = 1, so the idle timeout never closes it and the data lives as
 * long as the dal_db). Callers on other threads wait for it in the pool (up
 * to connection_timeout_ms) instead of on SQLite locks; while a transaction
 * is open, root-handle calls from other threads wait for it to end. The
 * shared-cache alternative was rejected: it replaces SQLite's busy handling
 * with table locks (SQLITE_LOCKED) and gives readers no snapshot isolation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dal_sqlite.h"
#include "sqlite_internal.h"

extern const dal_backend dal_sqlite_backend;

/* ------------------------------------------------------------------------ */
/* The SQLite dialect of the SQL writer                                      */
/* ------------------------------------------------------------------------ */

static const char *sqlite_column_type(const dal_field *f)
{
    if (f->flags & DAL_F_LIST)
        return "TEXT";
    switch (f->type) {
    case DAL_INT: case DAL_I32: case DAL_U32: case DAL_U64: case DAL_BOOL: case DAL_TIMESTAMP:
        return "INTEGER";
    case DAL_REAL:
        return "REAL";
    case DAL_ENUM:
        return f->enumt && f->enumt->values ? "INTEGER" : "TEXT";
    default:
        return "TEXT";
    }
}

const sq_dialect sq_sqlite_dialect = {
    .name = "sqlite",
    .numbered_params = false,
    .column_type = sqlite_column_type,
    .eq_null_safe = " IS ",
    .ne_null_safe = " IS NOT ",
    .like_op = " LIKE ", /* ASCII case-insensitive, no escape character */
    .like_tail = "",
    .in_head = " IN (SELECT value FROM json_each(",
    .in_tail = "))",
    .asc = " ASC", /* SQLite sorts NULLs first ascending, last descending */
    .desc = " DESC",
    .index_asc = "",
    .index_desc = " DESC",
    .offset_needs_limit = true,
    .noop_set = "rowid = rowid",
    .ddl_head = "CREATE TABLE IF NOT EXISTS \"dal_sequences\" (\n"
                "  \"tbl\" TEXT NOT NULL,\n  \"col\" TEXT NOT NULL,\n  \"value\" INTEGER NOT NULL,\n"
                "  PRIMARY KEY (\"tbl\", \"col\")\n);\n",
    .native_sequences = false,
};

/* What a dal_tx holds: the pinned connection, and its savepoint name. */
typedef struct sq_tx {
    sq_conn *conn;
    char savepoint[32];
    pthread_t owner; /* top level: the thread that began it */
} sq_tx;

/* One operation's connection: pinned by the handle's transaction, or taken
 * from the pool for this call. */
typedef struct sq_call {
    sq_state *st;
    sq_conn *c;
    bool in_tx;
    bool queued; /* holds its turn among this process's root-handle writes */
} sq_call;

static sq_state *state_of(dal_db *h)
{
    return h->root->state;
}

/* Whether the calling thread began a transaction that is still open. */
static bool thread_in_tx(sq_state *st)
{
    if (atomic_load(&st->n_tx) == 0)
        return false;
    bool found = false;
    pthread_t self = pthread_self();
    pthread_mutex_lock(&st->tx_lock);
    for (size_t i = 0; i < st->n_tx_threads && !found; i++)
        found = pthread_equal(st->tx_threads[i], self) != 0;
    pthread_mutex_unlock(&st->tx_lock);
    return found;
}

static dal_code note_tx_thread(sq_state *st, dal_error *err)
{
    dal_code rc = DAL_OK;
    pthread_mutex_lock(&st->tx_lock);
    if (st->n_tx_threads == st->cap_tx_threads) {
        size_t cap = st->cap_tx_threads ? st->cap_tx_threads * 2 : 8;
        pthread_t *t = realloc(st->tx_threads, cap * sizeof *t);
        if (t == NULL)
            rc = dal_set_error(err, DAL_ERR_NOMEM, "out of memory beginning a transaction");
        else {
            st->tx_threads = t;
            st->cap_tx_threads = cap;
        }
    }
    if (rc == DAL_OK) {
        st->tx_threads[st->n_tx_threads++] = pthread_self();
        atomic_fetch_add(&st->n_tx, 1);
    }
    pthread_mutex_unlock(&st->tx_lock);
    return rc;
}

static void forget_tx_thread(sq_state *st, pthread_t th)
{
    pthread_mutex_lock(&st->tx_lock);
    for (size_t i = 0; i < st->n_tx_threads; i++) {
        if (pthread_equal(st->tx_threads[i], th)) {
            st->tx_threads[i] = st->tx_threads[--st->n_tx_threads];
            atomic_fetch_sub(&st->n_tx, 1);
            break;
        }
    }
    pthread_mutex_unlock(&st->tx_lock);
}

/* A root-handle call from a thread whose own transaction holds the write
 * lock would wait for itself: writes (and, on a one-connection memory
 * database, every call) fail at once instead. */
static dal_code check_self_wait(sq_state *st, bool writes, dal_error *err)
{
    if ((writes || st->memory) && thread_in_tx(st))
        return dal_set_error(err, DAL_ERR_TRANSACTION,
                             "this thread has a transaction open on '%s': make the call through its handle "
                             "(dal_tx_db), or it would wait for itself",
                             st->path);
    return DAL_OK;
}

/* writes: the call may write (it then needs the write lock). */
static dal_code call_begin(dal_db *h, sq_call *call, bool writes, dal_error *err)
{
    call->st = state_of(h);
    if (h->tx != NULL) {
        sq_tx *t = h->tx->bstate;
        call->c = t->conn;
        call->in_tx = true;
        return DAL_OK;
    }
    call->in_tx = false;
    call->queued = false;
    dal_code rc = check_self_wait(call->st, writes, err);
    if (rc != DAL_OK)
        return rc;
    call->c = dal_pool_acquire(call->st->pool, err);
    if (call->c == NULL)
        return err ? err->code : DAL_ERR_POOL;
    if (writes) {
        sq_state *st = call->st;
        pthread_mutex_lock(&st->write_mu);
        uint64_t ticket = st->write_next++;
        while (ticket != st->write_serving) /* woken with the few whose ticket shares the slot */
            pthread_cond_wait(&st->write_turn[ticket % SQ_WRITE_TURN_SLOTS], &st->write_mu);
        pthread_mutex_unlock(&st->write_mu);
        call->queued = true;
    }
    return DAL_OK;
}

static void write_turn_end(sq_state *st)
{
    pthread_mutex_lock(&st->write_mu);
    st->write_serving++;
    pthread_cond_broadcast(&st->write_turn[st->write_serving % SQ_WRITE_TURN_SLOTS]);
    pthread_mutex_unlock(&st->write_mu);
}

/* Gives a call's connection back; one left inside a transaction by an error
 * is rolled back first (and closed if even that fails). */
static void release_conn(sq_state *st, sq_conn *c)
{
    bool broken = false;
    if (!sqlite3_get_autocommit(c->db)) {
        sqlite3_stmt *rb = sq_global_stmt(c, SQG_ROLLBACK, NULL);
        if (rb != NULL)
            sq_run(c, rb);
        broken = !sqlite3_get_autocommit(c->db);
    }
    if (!broken)
        sq_wal_upkeep(c);
    dal_pool_release(st->pool, c, broken);
}

static void call_end(sq_call *call)
{
    if (call->in_tx)
        return;
    if (call->queued)
        write_turn_end(call->st);
    release_conn(call->st, call->c);
}

static dal_code run_global(sq_conn *c, sq_global_op op, const char *what, dal_error *err)
{
    sqlite3_stmt *s = sq_global_stmt(c, op, err);
    if (s == NULL)
        return err ? err->code : DAL_ERR_DATABASE;
    int rc = sq_run(c, s);
    return rc == SQLITE_OK ? DAL_OK : sq_error(c, rc, err, "%s", what);
}

/* An operation that writes several statements runs all or nothing: in a
 * transaction of its own, or in a savepoint inside the caller's. */
static dal_code atomic_begin(sq_call *call, dal_error *err)
{
    return call->in_tx ? run_global(call->c, SQG_SP_BEGIN, "savepoint", err)
                       : run_global(call->c, SQG_BEGIN, "begin", err);
}

static dal_code atomic_end(sq_call *call, dal_code rc, dal_error *err)
{
    if (rc == DAL_OK) {
        rc = call->in_tx ? run_global(call->c, SQG_SP_RELEASE, "release savepoint", err)
                         : run_global(call->c, SQG_COMMIT, "commit", err);
        if (rc == DAL_OK)
            return DAL_OK;
    }
    if (call->in_tx) {
        run_global(call->c, SQG_SP_ROLLBACK, "rollback to savepoint", NULL);
        run_global(call->c, SQG_SP_RELEASE, "release savepoint", NULL);
    } else if (!sqlite3_get_autocommit(call->c->db)) {
        run_global(call->c, SQG_ROLLBACK, "rollback", NULL);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Constraint errors that name table and column                              */
/* ------------------------------------------------------------------------ */

/* The "t.c, t.c2" part of "UNIQUE constraint failed: t.c, t.c2". */
static const char *failed_columns(sq_conn *c)
{
    const char *msg = sqlite3_errmsg(c->db);
    const char *p = strstr(msg, "failed: ");
    return p ? p + 8 : msg;
}

/* True when a row of ref's model has ref's field equal to the bound value. */
static bool ref_exists(sq_conn *c, const dal_ref *ref, const dal_field *f, const void *obj, const dal_value *v)
{
    sq_buf b = {0};
    const dal_model *rm = ref->model;
    sq_buf_add(&b, "SELECT 1 FROM ");
    sq_buf_ident(&b, rm->table);
    sq_buf_add(&b, " WHERE ");
    sq_buf_ident(&b, rm->fields[ref->field].column);
    sq_buf_add(&b, " = ? LIMIT 1");
    char *sql = sq_buf_take(&b);
    sqlite3_stmt *s = NULL;
    bool found = true; /* when the check cannot run, do not accuse this field */
    if (sql != NULL && sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) == SQLITE_OK) {
        dal_code rc = obj ? sq_bind_field(s, 1, f, obj, rm, NULL) : sq_bind_value(s, 1, f, v, NULL);
        if (rc == DAL_OK)
            found = sqlite3_step(s) == SQLITE_ROW;
    }
    sqlite3_finalize(s);
    free(sql);
    return found;
}

/* The @ref field of obj (or of a query's set list) whose value has no row in
 * the referenced table, described into buf. */
static void explain_fk_write(sq_conn *c, const dal_model *m, const void *obj, const dal_query *q,
                             const dal_value *args, char *buf, size_t size)
{
    char val[160];
    size_t n = obj ? m->n_fields : q->n_set;
    for (size_t i = 0; i < n; i++) {
        const dal_field *f = obj ? &m->fields[i] : &m->fields[q->set[i].field];
        if (f->ref == NULL)
            continue;
        const dal_value *v = NULL;
        if (obj) {
            if (!sq_field_present(f, obj) || ref_exists(c, f->ref, f, obj, NULL))
                continue;
            sq_describe_field(f, obj, val, sizeof val);
        } else {
            const dal_operand *o = &q->set[i].value;
            v = o->kind == DAL_ARG_PARAM ? &args[o->param] : o->kind == DAL_ARG_VALUE ? &o->value : NULL;
            if (v == NULL || v->is_null || ref_exists(c, f->ref, f, NULL, v))
                continue;
            sq_describe_value(f, v, val, sizeof val);
        }
        const dal_model *rm = f->ref->model;
        snprintf(buf, size, "foreign key %s.%s: %s has no matching row in %s.%s", m->table, f->column, val,
                 rm->table, rm->fields[f->ref->field].column);
        return;
    }
    snprintf(buf, size, "a foreign key of %s has no matching row (%s)", m->table, sqlite3_errmsg(c->db));
}

/* Which restricting references keep rows of m (with key, when given) alive. */
static void explain_fk_delete(sq_conn *c, const dal_model *m, const dal_value *key, char *buf, size_t size)
{
    const dal_schema *s = c->st->schema;
    size_t used = (size_t)snprintf(buf, size, "%s rows are still referenced by", m->table);
    bool any = false;
    for (size_t i = 0; i < s->n_models && used < size; i++) {
        const dal_model *rm = s->models[i];
        for (size_t j = 0; rm->table && j < rm->n_fields && used < size; j++) {
            const dal_field *f = &rm->fields[j];
            if (f->ref == NULL || f->ref->model != m || f->ref->on_delete != DAL_ON_DELETE_RESTRICT)
                continue;
            /* with a one-column key that the reference points at, check for real */
            if (key != NULL && m->n_pk == 1 && m->pk[0] == f->ref->field) {
                dal_ref back = {rm, (unsigned)j, DAL_ON_DELETE_RESTRICT};
                if (!ref_exists(c, &back, &m->fields[f->ref->field], NULL, &key[0]))
                    continue;
            }
            used += (size_t)snprintf(buf + used, size - used, "%s %s.%s (on_delete: restrict)", any ? "," : "",
                                     rm->table, f->column);
            any = true;
        }
    }
    if (!any && used < size)
        snprintf(buf + used, size - used, " another table (%s)", sqlite3_errmsg(c->db));
}

typedef struct write_ctx {
    const dal_model *m;
    const void *obj;        /* row ops */
    const dal_value *key;   /* delete by key */
    const dal_query *q;     /* exec */
    const dal_value *args;
    bool deleting;
} write_ctx;

/* Turns a failed write into a dal error naming table and column(s). */
static dal_code write_error(sq_conn *c, int rc, const write_ctx *w, dal_error *err, const char *what)
{
    char detail[400];
    const dal_model *m = w->m;
    /* ON DELETE RESTRICT fails as SQLITE_CONSTRAINT_TRIGGER */
    if ((rc & 0xff) == SQLITE_CONSTRAINT && strncmp(sqlite3_errmsg(c->db), "FOREIGN KEY", 11) == 0)
        rc = SQLITE_CONSTRAINT_FOREIGNKEY;
    switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE: {
        char key[200] = "";
        bool pk = rc == SQLITE_CONSTRAINT_PRIMARYKEY;
        if (pk && w->obj)
            sq_describe_key(m, w->obj, key, sizeof key);
        if (pk)
            snprintf(detail, sizeof detail, "duplicate key (%s): a row with %s already exists", failed_columns(c),
                     key[0] ? key : "this key");
        else
            snprintf(detail, sizeof detail, "duplicate value in unique column %s", failed_columns(c));
        return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: %s", what, m->table, detail);
    }
    case SQLITE_CONSTRAINT_NOTNULL:
        return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: column %s may not be NULL", what, m->table,
                             failed_columns(c));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        if (w->deleting)
            explain_fk_delete(c, m, w->key, detail, sizeof detail);
        else
            explain_fk_write(c, m, w->obj, w->q, w->args, detail, sizeof detail);
        return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s %s: %s", what, m->table, detail);
    default:
        return sq_error(c, rc, err, "%s %s", what, m->table);
    }
}

/* ------------------------------------------------------------------------ */
/* Reading rows                                                              */
/* ------------------------------------------------------------------------ */

/* Steps s and decodes up to max_rows rows of m into out (empty on entry).
 * On failure out stays empty. Resets s. */
/* Reads the rows of s, whose first step returned rc. */
static dal_code read_rows_from(sq_conn *c, sqlite3_stmt *s, int rc, const dal_model *m, const char *table,
                               size_t max_rows, dal_list *out, dal_error *err)
{
    char *rows = NULL;
    size_t n = 0, cap = 0;
    dal_code code = DAL_OK;
    while (rc == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char *nr = realloc(rows, ncap * m->size);
            if (nr == NULL) {
                code = dal_set_error(err, DAL_ERR_NOMEM, "out of memory reading %s", table);
                break;
            }
            rows = nr;
            cap = ncap;
        }
        void *obj = rows + n * m->size;
        memset(obj, 0, m->size);
        if ((code = sq_read_row(s, m, table, obj, err)) != DAL_OK)
            break;
        if (++n >= max_rows)
            break;
        rc = sqlite3_step(s);
    }
    if (code == DAL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        code = sq_error(c, rc, err, "reading %s", table);
    sqlite3_reset(s);
    dal_list l = {n, rows};
    if (code != DAL_OK) {
        dal_record_list_free(m, &l);
        return code;
    }
    *out = l;
    return DAL_OK;
}

static dal_code read_rows(sq_conn *c, sqlite3_stmt *s, const dal_model *m, const char *table, size_t max_rows,
                          dal_list *out, dal_error *err)
{
    return read_rows_from(c, s, max_rows > 0 ? sq_step(c, s) : SQLITE_DONE, m, table, max_rows, out, err);
}

/* ------------------------------------------------------------------------ */
/* Per-model operations                                                      */
/* ------------------------------------------------------------------------ */

static const sq_model_sql *model_sql(sq_state *st, const dal_model *m, int *mi, dal_error *err)
{
    *mi = sq_model_index(st, m);
    if (*mi < 0 || st->models[*mi].m == NULL) {
        dal_set_error(err, DAL_ERR_INVALID, "model %s has no table in this database", m->name);
        return NULL;
    }
    return &st->models[*mi];
}

static dal_code bind_key(sqlite3_stmt *s, const dal_model *m, const dal_value *key, dal_error *err)
{
    for (size_t k = 0; k < m->n_pk; k++) {
        dal_code rc = sq_bind_value(s, (int)k + 1, &m->fields[m->pk[k]], &key[k], err);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* Reserves n values of every @sequence field of m and writes them into
 * the n objects (inside the operation's transaction). */
static dal_code take_sequences(sq_conn *c, const sq_model_sql *ms, char *objs, size_t n, dal_error *err)
{
    const dal_model *m = ms->m;
    sqlite3_stmt *s = sq_global_stmt(c, SQG_SEQ_NEXT, err);
    if (s == NULL)
        return err ? err->code : DAL_ERR_DATABASE;
    for (size_t q = 0; q < ms->n_seq; q++) {
        const dal_field *f = &m->fields[ms->seq_fields[q]];
        sqlite3_bind_text(s, 1, m->table, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, f->column, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, (int64_t)n);
        int rc = sq_step(c, s);
        int64_t last = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        if (rc == SQLITE_ROW)
            rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return sq_error(c, rc, err, "taking %zu values of the sequence %s.%s", n, m->table, f->column);
        for (size_t k = 0; k < n; k++)
            sq_store_int(f, objs + k * m->size, last - (int64_t)n + 1 + (int64_t)k);
    }
    return DAL_OK;
}

static dal_code bind_all_fields(sqlite3_stmt *s, const dal_model *m, const void *obj, dal_error *err)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        dal_code rc = sq_bind_field(s, (int)i + 1, &m->fields[i], obj, m, err);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* Runs a bound row write (insert / upsert); errors name table and column. */
static dal_code run_row_write(sq_conn *c, sqlite3_stmt *s, const dal_model *m, const void *obj, const char *what,
                              dal_error *err)
{
    int rc = sq_step(c, s);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(s);
    dal_code code = DAL_OK;
    if (rc != SQLITE_DONE) {
        write_ctx w = {.m = m, .obj = obj};
        /* explain while the failed statement's transaction is still open */
        sqlite3_reset(s);
        code = write_error(c, rc, &w, err, what);
    }
    sqlite3_reset(s);
    return code;
}

/* Gives back the n values of every @sequence field of m that
 * take_sequences reserved, when the insert that was to use them failed
 * inside the caller's transaction. That transaction holds the write lock,
 * so no one took values since. Best effort: on a failure here the sequence
 * has a gap, which is all it costs. */
static void give_back_sequences(sq_conn *c, const sq_model_sql *ms, size_t n)
{
    if (sqlite3_get_autocommit(c->db))
        return; /* the failure ended the transaction, and the values with it */
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "UPDATE \"dal_sequences\" SET \"value\" = \"value\" - ? "
                           "WHERE \"tbl\" = ? AND \"col\" = ?",
                           -1, &s, NULL) == SQLITE_OK) {
        for (size_t q = 0; q < ms->n_seq; q++) {
            sqlite3_bind_int64(s, 1, (int64_t)n);
            sqlite3_bind_text(s, 2, ms->m->table, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, ms->m->fields[ms->seq_fields[q]].column, -1, SQLITE_STATIC);
            sq_run(c, s);
        }
    }
    sqlite3_finalize(s);
}

/* give_back: on failure, return the sequence values taken (see sq_insert). */
static dal_code insert_rows(sq_call *call, int mi, const sq_model_sql *ms, char *objs, size_t n, bool give_back,
                            dal_error *err)
{
    const dal_model *m = ms->m;
    dal_code rc = DAL_OK;
    bool taken = false;
    if (ms->n_seq > 0) {
        rc = take_sequences(call->c, ms, objs, n, err);
        taken = rc == DAL_OK;
    }
    sqlite3_stmt *s = rc == DAL_OK ? sq_model_stmt(call->c, mi, SQ_INSERT, err) : NULL;
    if (rc == DAL_OK && s == NULL)
        rc = err ? err->code : DAL_ERR_DATABASE;
    for (size_t k = 0; k < n && rc == DAL_OK; k++) {
        void *obj = objs + k * m->size;
        if ((rc = bind_all_fields(s, m, obj, err)) == DAL_OK)
            rc = run_row_write(call->c, s, m, obj, "insert into", err);
    }
    if (rc != DAL_OK && taken && give_back)
        give_back_sequences(call->c, ms, n);
    return rc;
}

static dal_code sq_insert(dal_db *h, const dal_model *m, void *objs, size_t n, dal_error *err)
{
    sq_call call;
    int mi;
    const sq_model_sql *ms = model_sql(state_of(h), m, &mi, err);
    if (ms == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, true, err);
    if (rc != DAL_OK)
        return rc;
    /* One row is one INSERT, atomic by itself. Its @sequence values are
     * taken by a statement before it: on its own that pair runs in a
     * transaction; inside the caller's it needs no savepoint (whose
     * sub-journal copies every page the row touches), because a failed
     * INSERT gives the values back. */
    bool give_back = n == 1 && ms->n_seq > 0 && call.in_tx;
    bool atomic = (n > 1 || ms->n_seq > 0) && !give_back;
    if (atomic)
        rc = atomic_begin(&call, err);
    if (rc == DAL_OK) {
        rc = insert_rows(&call, mi, ms, objs, n, give_back, err);
        if (atomic)
            rc = atomic_end(&call, rc, err);
    }
    call_end(&call);
    return rc;
}

/* Begins a call on h (write: it changes rows) and gives m's prepared
 * statement for op in *stmt. On DAL_OK the caller ends the call; on an error
 * before the call began, nothing is left to end (*began false). */
static dal_code model_call(dal_db *h, const dal_model *m, sq_model_op op, bool write, sq_call *call,
                           sqlite3_stmt **stmt, bool *began, dal_error *err)
{
    int mi;
    *began = false;
    if (model_sql(state_of(h), m, &mi, err) == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, call, write, err);
    if (rc != DAL_OK)
        return rc;
    *began = true;
    *stmt = sq_model_stmt(call->c, mi, op, err);
    return *stmt ? DAL_OK : (err ? err->code : DAL_ERR_DATABASE);
}

static dal_code sq_get(dal_db *h, const dal_model *m, const dal_value *key, void *out, bool *found, dal_error *err)
{
    sq_call call;
    int mi;
    if (model_sql(state_of(h), m, &mi, err) == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, false, err);
    if (rc != DAL_OK)
        return rc;
    _Alignas(max_align_t) unsigned char local[512];
    void *tmp = m->size <= sizeof local ? local : malloc(m->size);
    sqlite3_stmt *s = sq_model_stmt(call.c, mi, SQ_GET, err);
    if (tmp == NULL)
        rc = dal_set_error(err, DAL_ERR_NOMEM, "out of memory reading %s", m->table);
    else if (s == NULL)
        rc = err ? err->code : DAL_ERR_DATABASE;
    else if ((rc = bind_key(s, m, key, err)) == DAL_OK) {
        int src = sq_step(call.c, s);
        bool row = src == SQLITE_ROW;
        if (row) {
            memset(tmp, 0, m->size);
            rc = sq_read_row(s, m, m->table, tmp, err);
        } else if (src != SQLITE_DONE) {
            rc = sq_error(call.c, src, err, "get from %s", m->table);
        }
        sqlite3_reset(s);
        if (rc == DAL_OK) {
            *found = row;
            if (row) {
                dal_record_clear(m, out);
                memcpy(out, tmp, m->size);
            }
        }
    }
    if (tmp != local)
        free(tmp);
    call_end(&call);
    return rc;
}

/* UPDATE by key: the non-key, non-@sequence fields; the stored @sequence
 * values come back into obj. *matched tells whether the row exists. */
static dal_code update_row(sq_call *call, int mi, const sq_model_sql *ms, void *obj, bool *matched, dal_error *err)
{
    const dal_model *m = ms->m;
    sqlite3_stmt *s = sq_model_stmt(call->c, mi, SQ_UPDATE, err);
    if (s == NULL)
        return err ? err->code : DAL_ERR_DATABASE;
    dal_code rc = DAL_OK;
    int idx = 1;
    for (size_t u = 0; u < ms->n_update && rc == DAL_OK; u++)
        rc = sq_bind_field(s, idx++, &m->fields[ms->update_fields[u]], obj, m, err);
    for (size_t k = 0; k < m->n_pk && rc == DAL_OK; k++)
        rc = sq_bind_field(s, idx++, &m->fields[m->pk[k]], obj, m, err);
    if (rc != DAL_OK)
        return rc;
    int src = sq_step(call->c, s);
    if (src == SQLITE_ROW) {
        for (size_t q = 0; q < ms->n_seq; q++)
            sq_store_int(&m->fields[ms->seq_fields[q]], obj, sqlite3_column_int64(s, (int)q));
        src = sqlite3_step(s);
    }
    if (src != SQLITE_DONE) {
        sqlite3_reset(s);
        write_ctx w = {.m = m, .obj = obj};
        return write_error(call->c, src, &w, err, "update");
    }
    sqlite3_reset(s);
    *matched = sqlite3_changes(call->c->db) > 0;
    return DAL_OK;
}

static dal_code sq_update(dal_db *h, const dal_model *m, void *obj, dal_error *err)
{
    sq_call call;
    int mi;
    const sq_model_sql *ms = model_sql(state_of(h), m, &mi, err);
    if (ms == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, true, err);
    if (rc != DAL_OK)
        return rc;
    bool matched = false;
    rc = update_row(&call, mi, ms, obj, &matched, err);
    if (rc == DAL_OK && !matched) {
        char key[200];
        sq_describe_key(m, obj, key, sizeof key);
        rc = dal_set_error(err, DAL_ERR_NOT_FOUND, "update %s: no row with %s", m->table, key);
    }
    call_end(&call);
    return rc;
}

/* Upsert of a model with @sequence fields: the values are taken only when
 * the row is new, so look first (inside the operation's transaction). */
static dal_code upsert_with_sequence(sq_call *call, int mi, const sq_model_sql *ms, void *obj, dal_error *err)
{
    const dal_model *m = ms->m;
    sqlite3_stmt *s = sq_model_stmt(call->c, mi, SQ_EXISTS, err);
    if (s == NULL)
        return err ? err->code : DAL_ERR_DATABASE;
    dal_code rc = DAL_OK;
    for (size_t k = 0; k < m->n_pk && rc == DAL_OK; k++)
        rc = sq_bind_field(s, (int)k + 1, &m->fields[m->pk[k]], obj, m, err);
    if (rc != DAL_OK)
        return rc;
    int src = sq_step(call->c, s);
    sqlite3_reset(s);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return sq_error(call->c, src, err, "upsert into %s", m->table);
    if (src == SQLITE_ROW) {
        bool matched = false;
        return update_row(call, mi, ms, obj, &matched, err);
    }
    return insert_rows(call, mi, ms, obj, 1, false, err);
}

static dal_code sq_upsert(dal_db *h, const dal_model *m, void *obj, dal_error *err)
{
    sq_call call;
    int mi;
    const sq_model_sql *ms = model_sql(state_of(h), m, &mi, err);
    if (ms == NULL)
        return DAL_ERR_INVALID;
    dal_code rc = call_begin(h, &call, true, err);
    if (rc != DAL_OK)
        return rc;
    if (ms->n_seq > 0) {
        if ((rc = atomic_begin(&call, err)) == DAL_OK)
            rc = atomic_end(&call, upsert_with_sequence(&call, mi, ms, obj, err), err);
    } else {
        sqlite3_stmt *s = sq_model_stmt(call.c, mi, SQ_UPSERT, err);
        if (s == NULL)
            rc = err ? err->code : DAL_ERR_DATABASE;
        else if ((rc = bind_all_fields(s, m, obj, err)) == DAL_OK)
            rc = run_row_write(call.c, s, m, obj, "upsert into", err);
    }
    call_end(&call);
    return rc;
}

static dal_code sq_remove(dal_db *h, const dal_model *m, const dal_value *key, bool *deleted, dal_error *err)
{
    sq_call call;
    sqlite3_stmt *s = NULL;
    bool began;
    dal_code rc = model_call(h, m, SQ_DELETE, true, &call, &s, &began, err);
    if (rc == DAL_OK && (rc = bind_key(s, m, key, err)) == DAL_OK) {
        int src = sq_step(call.c, s);
        sqlite3_reset(s);
        if (src == SQLITE_DONE) {
            *deleted = sqlite3_changes(call.c->db) > 0;
        } else {
            write_ctx w = {.m = m, .key = key, .deleting = true};
            rc = write_error(call.c, src, &w, err, "delete from");
        }
    }
    if (began)
        call_end(&call);
    return rc;
}

static dal_code sq_list_all(dal_db *h, const dal_model *m, dal_list *out, dal_error *err)
{
    sq_call call;
    sqlite3_stmt *s = NULL;
    bool began;
    dal_code rc = model_call(h, m, SQ_LIST, false, &call, &s, &began, err);
    if (rc == DAL_OK)
        rc = read_rows(call.c, s, m, m->table, SIZE_MAX, out, err);
    if (began)
        call_end(&call);
    return rc;
}

static dal_code sq_count(dal_db *h, const dal_model *m, int64_t *n, dal_error *err)
{
    sq_call call;
    sqlite3_stmt *s = NULL;
    bool began;
    dal_code rc = model_call(h, m, SQ_COUNT, false, &call, &s, &began, err);
    if (rc == DAL_OK) {
        int src = sq_step(call.c, s);
        if (src == SQLITE_ROW)
            *n = sqlite3_column_int64(s, 0);
        else
            rc = sq_error(call.c, src, err, "count %s", m->table);
        sqlite3_reset(s);
    }
    if (began)
        call_end(&call);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */
/* ------------------------------------------------------------------------ */

/* The plan of q: built at open for declared queries, now for the others
 * (*owned is then set and the caller frees it). */
static dal_code query_plan(sq_state *st, const dal_query *q, sq_plan *owned, const sq_plan **plan,
                           dal_error *err)
{
    const dal_schema *s = st->schema;
    if (q->id >= 0 && (size_t)q->id < s->n_queries && s->queries[q->id] == q) {
        *plan = &st->queries[q->id];
        return DAL_OK;
    }
    if (q->model->table == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "query on %s, which has no table", q->model->name);
    dal_code rc = sq_plan_build(&sq_sqlite_dialect, q, owned, err);
    *plan = owned;
    return rc;
}

static dal_code bind_plan(sqlite3_stmt *s, const sq_plan *p, const dal_value *args, dal_error *err)
{
    int64_t now = 0;
    for (size_t i = 0; i < p->n_binds; i++) {
        const sq_bind *b = &p->binds[i];
        int idx = (int)i + 1;
        dal_code rc = DAL_OK;
        switch (b->kind) {
        case SQB_PARAM: rc = sq_bind_value(s, idx, b->target, &args[b->param], err); break;
        case SQB_VALUE: rc = sq_bind_value(s, idx, b->target, b->value, err); break;
        case SQB_NOW:
            if (now == 0)
                now = dal_now_us(); /* once per call */
            sqlite3_bind_int64(s, idx, now);
            break;
        case SQB_INT: sqlite3_bind_int64(s, idx, b->i); break;
        }
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* Everything a query call does before stepping: connection, plan, statement
 * and bindings. On success the caller owns call (call_end) and plan. */
typedef struct query_call {
    sq_call call;
    sq_plan owned;
    const sq_plan *plan;
    sqlite3_stmt *stmt;
} query_call;

static dal_code query_start(dal_db *h, const dal_query *q, const dal_value *args, query_call *qc, dal_error *err)
{
    memset(qc, 0, sizeof *qc);
    dal_code rc = query_plan(state_of(h), q, &qc->owned, &qc->plan, err);
    if (rc != DAL_OK)
        return rc;
    if ((rc = call_begin(h, &qc->call, q->kind != DAL_Q_SELECT && q->kind != DAL_Q_AGGREGATE, err)) != DAL_OK) {
        sq_plan_free(&qc->owned);
        return rc;
    }
    qc->stmt = sq_query_stmt(qc->call.c, q, qc->plan, err);
    if (qc->stmt == NULL)
        rc = err ? err->code : DAL_ERR_DATABASE;
    else if ((rc = bind_plan(qc->stmt, qc->plan, args, err)) != DAL_OK)
        sqlite3_reset(qc->stmt);
    if (rc != DAL_OK) {
        call_end(&qc->call);
        sq_plan_free(&qc->owned);
    }
    return rc;
}

static void query_end(query_call *qc)
{
    call_end(&qc->call);
    sq_plan_free(&qc->owned);
}

/* A NOT NULL failure on a column that the update sets by + or -: the result
 * was out of the field's range (the SQL makes it NULL then). Fills err and
 * returns DAL_ERR_CONSTRAINT, or DAL_OK when that is not the cause. */
static dal_code arith_error(sq_conn *c, int rc, const dal_query *q, dal_error *err)
{
    if (rc != SQLITE_CONSTRAINT_NOTNULL || q->kind != DAL_Q_UPDATE)
        return DAL_OK;
    const char *msg = sqlite3_errmsg(c->db), *dot = strrchr(msg, '.');
    for (size_t i = 0; dot != NULL && i < q->n_set; i++) {
        const dal_field *f = &q->model->fields[q->set[i].field];
        if (q->set[i].op != DAL_SET_ASSIGN && strcmp(dot + 1, f->column) == 0)
            return dal_set_error(err, DAL_ERR_CONSTRAINT,
                                 "%s.%s: the new %s.%s (%s %c the amount) is out of range for %s; nothing was changed",
                                 q->model->name, q->name[0] ? q->name : "query", q->model->table, f->column,
                                 f->column, q->set[i].op == DAL_SET_ADD ? '+' : '-', dal_type_name(f->type));
    }
    return DAL_OK;
}

/* Ordering the rows an UPDATE ... RETURNING gave back (SQLite returns them in
 * the order it changed them) by the query's order, ties by primary key: the
 * same order as a select, NULLs first ascending. */
static _Thread_local const dal_query *sort_query;

static int cmp_field(const dal_field *f, const void *a, const void *b)
{
    dal_value x = dal_field_value(f, a), y = dal_field_value(f, b);
    if (x.is_null || y.is_null)
        return x.is_null == y.is_null ? 0 : x.is_null ? -1 : 1;
    switch (f->type) {
    case DAL_TEXT:
    case DAL_UUID: return strcmp(x.as.s, y.as.s);
    case DAL_REAL: return (x.as.d > y.as.d) - (x.as.d < y.as.d);
    case DAL_U32:
    case DAL_U64: return (x.as.u > y.as.u) - (x.as.u < y.as.u);
    case DAL_ENUM:
        if (f->enumt != NULL && f->enumt->values == NULL) {
            const char *p = dal_enum_name(f->enumt, (int)x.as.i), *q = dal_enum_name(f->enumt, (int)y.as.i);
            return strcmp(p ? p : "", q ? q : "");
        }
        return (x.as.i > y.as.i) - (x.as.i < y.as.i);
    default: return (x.as.i > y.as.i) - (x.as.i < y.as.i);
    }
}

static int cmp_rows(const void *a, const void *b)
{
    const dal_query *q = sort_query;
    const dal_model *m = q->model;
    for (size_t o = 0; o < q->n_order; o++) {
        int c = cmp_field(&m->fields[q->order[o].field], a, b);
        if (c != 0)
            return q->order[o].desc ? -c : c;
    }
    for (size_t k = 0; k < m->n_pk; k++) {
        int c = cmp_field(&m->fields[m->pk[k]], a, b);
        if (c != 0)
            return c;
    }
    return 0;
}

/* An update that returns its rows: one UPDATE ... RETURNING statement, in a
 * transaction of its own (a savepoint inside the caller's), so that rows it
 * could not hand back (a row that does not decode, no memory) are not
 * changed either. */
static dal_code update_rows(dal_db *h, const dal_query *q, const dal_value *args, size_t max_rows, dal_list *out,
                            dal_error *err)
{
    query_call qc;
    dal_code rc = query_start(h, q, args, &qc, err);
    if (rc != DAL_OK)
        return rc;
    if ((rc = atomic_begin(&qc.call, err)) != DAL_OK) {
        sqlite3_reset(qc.stmt);
        query_end(&qc);
        return rc;
    }
    int src = sq_step(qc.call.c, qc.stmt);
    if (src == SQLITE_ROW || src == SQLITE_DONE) {
        rc = read_rows_from(qc.call.c, qc.stmt, src, q->model, q->model->table, max_rows, out, err);
    } else {
        sqlite3_reset(qc.stmt);
        write_ctx w = {.m = q->model, .q = q, .args = args};
        char what[160];
        snprintf(what, sizeof what, "%s.%s on", q->model->name, q->name[0] ? q->name : "query");
        if ((rc = arith_error(qc.call.c, src, q, err)) == DAL_OK)
            rc = write_error(qc.call.c, src, &w, err, what);
    }
    dal_code end = atomic_end(&qc.call, rc, err);
    if (rc == DAL_OK && end != DAL_OK) {
        dal_record_list_free(q->model, out);
        rc = end;
    }
    query_end(&qc);
    if (rc == DAL_OK && out->n > 1) {
        sort_query = q;
        qsort(out->v, out->n, q->model->size, cmp_rows);
    }
    return rc;
}

static dal_code sq_select(dal_db *h, const dal_query *q, const dal_value *args, size_t max_rows, dal_list *out,
                          dal_error *err)
{
    if (q->kind == DAL_Q_UPDATE)
        return update_rows(h, q, args, max_rows, out, err);
    query_call qc;
    dal_code rc = query_start(h, q, args, &qc, err);
    if (rc != DAL_OK)
        return rc;
    rc = read_rows(qc.call.c, qc.stmt, q->model, q->model->table, max_rows, out, err);
    query_end(&qc);
    return rc;
}

static dal_code sq_exec(dal_db *h, const dal_query *q, const dal_value *args, int64_t *changed, dal_error *err)
{
    query_call qc;
    dal_code rc = query_start(h, q, args, &qc, err);
    if (rc != DAL_OK)
        return rc;
    int src = sq_step(qc.call.c, qc.stmt);
    while (src == SQLITE_ROW)
        src = sqlite3_step(qc.stmt);
    sqlite3_reset(qc.stmt);
    if (src == SQLITE_DONE) {
        *changed = (int64_t)sqlite3_changes64(qc.call.c->db);
    } else {
        write_ctx w = {.m = q->model, .q = q, .args = args, .deleting = q->kind == DAL_Q_DELETE};
        char what[160];
        snprintf(what, sizeof what, "%s.%s on", q->model->name, q->name[0] ? q->name : "query");
        if ((rc = arith_error(qc.call.c, src, q, err)) == DAL_OK)
            rc = write_error(qc.call.c, src, &w, err, what);
    }
    query_end(&qc);
    return rc;
}

static dal_code sq_aggregate(dal_db *h, const dal_query *q, const dal_value *args, dal_list *out, dal_error *err)
{
    query_call qc;
    dal_code rc = query_start(h, q, args, &qc, err);
    if (rc != DAL_OK)
        return rc;
    rc = read_rows(qc.call.c, qc.stmt, q->row, q->model->table, SIZE_MAX, out, err);
    query_end(&qc);
    return rc;
}

/* q counted by SELECT count(*) over its select (its own statement, cached
 * by SQL text like every query built at run time). */
static dal_code sq_count_query(dal_db *h, const dal_query *q, const dal_value *args, int64_t *n, dal_error *err)
{
    if (q->model->table == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "count of %s, which has no table", q->model->name);
    dal_query counted = *q;
    counted.id = -1;
    sq_plan plan;
    dal_code rc = sq_count_plan_build(&sq_sqlite_dialect, &counted, &plan, err);
    if (rc != DAL_OK)
        return rc;
    sq_call call;
    if ((rc = call_begin(h, &call, false, err)) != DAL_OK) {
        sq_plan_free(&plan);
        return rc;
    }
    sqlite3_stmt *s = sq_query_stmt(call.c, &counted, &plan, err);
    if (s == NULL)
        rc = err ? err->code : DAL_ERR_DATABASE;
    else if ((rc = bind_plan(s, &plan, args, err)) == DAL_OK) {
        int src = sq_step(call.c, s);
        if (src == SQLITE_ROW)
            *n = sqlite3_column_int64(s, 0);
        else
            rc = sq_error(call.c, src, err, "count %s.%s", q->model->name, q->name[0] ? q->name : "query");
    }
    if (s != NULL)
        sqlite3_reset(s);
    call_end(&call);
    sq_plan_free(&plan);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

static dal_code sq_begin(dal_tx *tx, dal_error *err)
{
    sq_state *st = state_of(&tx->handle);
    sq_tx *t = calloc(1, sizeof *t);
    if (t == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory beginning a transaction");
    dal_code rc;
    if (tx->parent == NULL) {
        if ((rc = check_self_wait(st, true, err)) != DAL_OK) {
            free(t);
            return rc;
        }
        t->conn = dal_pool_acquire(st->pool, err);
        if (t->conn == NULL) {
            free(t);
            return err ? err->code : DAL_ERR_POOL;
        }
        if ((rc = run_global(t->conn, SQG_BEGIN, "begin transaction", err)) != DAL_OK ||
            (rc = note_tx_thread(st, err)) != DAL_OK) {
            release_conn(st, t->conn);
            free(t);
            return rc;
        }
        t->owner = pthread_self();
    } else {
        sq_tx *pt = tx->parent->bstate;
        t->conn = pt->conn;
        snprintf(t->savepoint, sizeof t->savepoint, "SAVEPOINT \"dal_sp%u\"", tx->depth);
        int src = sq_exec_text(t->conn, t->savepoint);
        if (src != SQLITE_OK) {
            rc = sq_error(t->conn, src, err, "begin nested transaction (savepoint %u)", tx->depth);
            free(t);
            return rc;
        }
    }
    tx->bstate = t;
    return DAL_OK;
}

static dal_code savepoint_end(sq_tx *t, unsigned depth, bool commit, dal_error *err)
{
    char sql[64];
    int src = SQLITE_OK;
    if (commit) {
        snprintf(sql, sizeof sql, "RELEASE \"dal_sp%u\"", depth);
        src = sq_exec_text(t->conn, sql);
        if (src == SQLITE_OK)
            return DAL_OK;
    }
    dal_code rc = commit ? sq_error(t->conn, src, err, "commit nested transaction (savepoint %u)", depth) : DAL_OK;
    snprintf(sql, sizeof sql, "ROLLBACK TO \"dal_sp%u\"", depth);
    src = sq_exec_text(t->conn, sql);
    snprintf(sql, sizeof sql, "RELEASE \"dal_sp%u\"", depth);
    int src2 = sq_exec_text(t->conn, sql);
    if (rc == DAL_OK && (src != SQLITE_OK || src2 != SQLITE_OK))
        rc = sq_error(t->conn, src != SQLITE_OK ? src : src2, err, "rollback nested transaction (savepoint %u)",
                      depth);
    return rc;
}

static dal_code tx_end(dal_tx *tx, bool commit, dal_error *err)
{
    sq_tx *t = tx->bstate;
    if (t == NULL)
        return dal_set_error(err, DAL_ERR_TRANSACTION, "transaction has no connection");
    dal_code rc;
    if (tx->parent != NULL) {
        rc = savepoint_end(t, tx->depth, commit, err);
    } else {
        rc = commit ? run_global(t->conn, SQG_COMMIT, "commit", err) : DAL_OK;
        if (!commit || rc != DAL_OK) {
            dal_code rb = DAL_OK;
            if (!sqlite3_get_autocommit(t->conn->db))
                rb = run_global(t->conn, SQG_ROLLBACK, "rollback", commit ? NULL : err);
            if (!commit)
                rc = rb;
        }
        forget_tx_thread(state_of(&tx->handle), t->owner);
        release_conn(state_of(&tx->handle), t->conn);
    }
    free(t);
    tx->bstate = NULL;
    return rc;
}

static dal_code sq_commit(dal_tx *tx, dal_error *err)
{
    return tx_end(tx, true, err);
}

static dal_code sq_rollback(dal_tx *tx, dal_error *err)
{
    return tx_end(tx, false, err);
}

/* ------------------------------------------------------------------------ */
/* Maintenance                                                               */
/* ------------------------------------------------------------------------ */

static dal_code sq_vacuum(dal_db *db, dal_error *err)
{
    sq_call call;
    dal_code rc = call_begin(db, &call, true, err);
    if (rc != DAL_OK)
        return rc;
    int src = sq_exec_text(call.c, "VACUUM");
    if (src != SQLITE_OK)
        rc = sq_error(call.c, src, err, "vacuum '%s'", DAL_CLIPPED(call.st->path));
    call_end(&call);
    return rc;
}

/* Size of the -wal file beside path (0 when there is none). */
static uint64_t wal_file_bytes(const char *path)
{
    size_t len = strlen(path);
    char *wal = malloc(len + 5);
    struct stat sb;
    uint64_t n = 0;
    if (wal == NULL)
        return 0;
    memcpy(wal, path, len);
    memcpy(wal + len, "-wal", 5);
    if (stat(wal, &sb) == 0)
        n = (uint64_t)sb.st_size;
    free(wal);
    return n;
}

/* A passive checkpoint first (how many frames the log holds), then
 * wal_checkpoint(TRUNCATE), whose first column says whether readers kept it
 * from finishing: retried with back-off within busy_timeout, then reported
 * as info->busy. */
static dal_code sq_checkpoint_report(dal_db *db, dal_checkpoint_info *info, dal_error *err)
{
    sq_call call;
    dal_code rc = call_begin(db, &call, true, err);
    if (rc != DAL_OK)
        return rc;
    int log = 0, done = 0;
    if (!call.st->memory && sqlite3_wal_checkpoint_v2(call.c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) != SQLITE_OK)
        log = done = 0; /* busy or not in WAL mode: the truncating one below says */
    info->log_frames = log > 0 ? log : 0;
    info->checkpointed_frames = done > 0 ? done : 0;
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(call.c->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &s, NULL);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long delay_ms = 1;
    while (src == SQLITE_OK) {
        src = sq_step(call.c, s);
        int busy = src == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
        int ckpt = src == SQLITE_ROW ? sqlite3_column_int(s, 2) : 0;
        sqlite3_reset(s);
        if (src == SQLITE_ROW)
            src = SQLITE_OK;
        if (src != SQLITE_OK)
            break;
        if (!busy) {
            info->busy = false;
            info->checkpointed_frames = info->log_frames;
            break;
        }
        info->busy = true;
        if (ckpt > info->checkpointed_frames)
            info->checkpointed_frames = ckpt;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long spent = (long)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (spent >= (long)call.st->opts.busy_timeout_ms)
            break;
        struct timespec nap = {0, delay_ms * 1000000L};
        nanosleep(&nap, NULL);
        if (delay_ms < 64)
            delay_ms *= 2;
    }
    if (src != SQLITE_OK)
        rc = sq_error(call.c, src, err, "checkpoint '%s'", DAL_CLIPPED(call.st->path));
    sqlite3_finalize(s);
    call_end(&call);
    if (rc == DAL_OK)
        info->log_bytes = call.st->memory ? 0 : wal_file_bytes(call.st->path);
    return rc;
}

static dal_code sq_checkpoint(dal_db *db, dal_error *err)
{
    dal_checkpoint_info info = {0, 0, false, 0};
    dal_code rc = sq_checkpoint_report(db, &info, err);
    if (rc == DAL_OK && info.busy) {
        const sq_state *st = db->root->state;
        rc = dal_set_error(err, DAL_ERR_BUSY,
                           "checkpoint '%s': readers kept the write-ahead log busy for busy_timeout_ms=%u "
                           "(%lld of %lld frames copied)",
                           DAL_CLIPPED(st->path), st->opts.busy_timeout_ms, (long long)info.checkpointed_frames,
                           (long long)info.log_frames);
    }
    return rc;
}

static dal_code pragma_int(sq_conn *c, const char *sql, int64_t *out, dal_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (src == SQLITE_OK && (src = sq_step(c, s)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        src = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return src == SQLITE_OK ? DAL_OK : sq_error(c, src, err, "%s", sql);
}

/* Database file + WAL file bytes; for a memory database its pages. */
static dal_code sq_storage_size(dal_db *db, uint64_t *bytes, dal_error *err)
{
    sq_state *st = state_of(db);
    if (st->memory) {
        sq_call call;
        int64_t pages = 0, page_size = 0;
        dal_code rc = call_begin(db, &call, false, err);
        if (rc != DAL_OK)
            return rc;
        if ((rc = pragma_int(call.c, "PRAGMA page_count", &pages, err)) == DAL_OK &&
            (rc = pragma_int(call.c, "PRAGMA page_size", &page_size, err)) == DAL_OK)
            *bytes = (uint64_t)(pages * page_size);
        call_end(&call);
        return rc;
    }
    struct stat sb;
    if (stat(st->path, &sb) != 0)
        return dal_set_error(err, DAL_ERR_DATABASE, "storage size of '%s': %s", DAL_CLIPPED(st->path), strerror(errno));
    uint64_t total = (uint64_t)sb.st_size;
    size_t len = strlen(st->path);
    char *wal = malloc(len + 5);
    if (wal == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    memcpy(wal, st->path, len);
    memcpy(wal + len, "-wal", 5);
    if (stat(wal, &sb) == 0)
        total += (uint64_t)sb.st_size;
    free(wal);
    *bytes = total;
    return DAL_OK;
}

static dal_code sq_pool_status(dal_db *db, dal_pool_status *out, dal_error *err)
{
    (void)err;
    dal_pool_status_read(state_of(db)->pool, out);
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Open: files, schema, migrations record                                    */
/* ------------------------------------------------------------------------ */

static void state_free(sq_state *st)
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
    free(st->path);
    free(st->tx_threads);
    pthread_mutex_destroy(&st->tx_lock);
    for (int i = 0; i < SQ_WRITE_TURN_SLOTS; i++)
        pthread_cond_destroy(&st->write_turn[i]);
    pthread_mutex_destroy(&st->write_mu);
    free(st);
}

static dal_code build_sql(sq_state *st, dal_error *err)
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
        dal_code rc = sq_model_sql_build(&sq_sqlite_dialect, m, &st->models[i], err);
        if (rc != DAL_OK)
            return rc;
    }
    for (size_t i = 0; i < s->n_queries; i++) {
        const dal_query *q = s->queries[i];
        if (q->model == NULL || q->model->table == NULL)
            return dal_set_error(err, DAL_ERR_INVALID, "query %s has no table to run on", q->name);
        dal_code rc = sq_plan_build(&sq_sqlite_dialect, q, &st->queries[i], err);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* Creates the database file with mode 0600 when it does not exist (SQLite
 * would create it 0644); its -wal and -shm files take the same mode. */
static dal_code create_file(const char *path, dal_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0)
        return DAL_OK;
    if (errno != ENOENT)
        return dal_set_error(err, DAL_ERR_DATABASE, "'%s': %s", DAL_CLIPPED(path), strerror(errno));
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return dal_set_error(err, DAL_ERR_DATABASE, "cannot create '%s': %s", DAL_CLIPPED(path), strerror(errno));
    if (fd >= 0)
        close(fd);
    return DAL_OK;
}

static dal_code query_int(sq_conn *c, const char *sql, const char *text, int64_t *out, dal_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (src == SQLITE_OK && text != NULL)
        sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    if (src == SQLITE_OK && (src = sq_step(c, s)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        src = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return src == SQLITE_OK ? DAL_OK : sq_error(c, src, err, "reading the schema of '%s'", DAL_CLIPPED(c->st->path));
}

/* The newest schema_migrations name into buf ("" when the table is empty). */
static dal_code stored_schema(sq_conn *c, char *buf, size_t size, dal_error *err)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(c->db,
                                 "SELECT \"name\" FROM \"schema_migrations\" ORDER BY \"version\" DESC, rowid DESC "
                                 "LIMIT 1",
                                 -1, &s, NULL);
    buf[0] = '\0';
    if (src == SQLITE_OK && (src = sq_step(c, s)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(s, 0);
        snprintf(buf, size, "%s", name ? (const char *)name : "");
        src = SQLITE_OK;
    } else if (src == SQLITE_DONE) {
        src = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return src == SQLITE_OK ? DAL_OK : sq_error(c, src, err, "reading schema_migrations of '%s'", DAL_CLIPPED(c->st->path));
}

/* Plain indexes are not part of the schema version: a query added to the
 * schema adds its index to databases made before. The DDL is all "IF NOT
 * EXISTS", so running it again creates exactly what is missing. */
static dal_code add_missing_indexes(sq_conn *c, const char *name, dal_error *err)
{
    char *ddl = sq_schema_ddl(&sq_sqlite_dialect, c->st->schema);
    if (ddl == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    int src = sq_exec_text(c, ddl);
    free(ddl);
    return src == SQLITE_OK ? DAL_OK : sq_error(c, src, err, "adding the indexes of schema '%s'", name);
}

static dal_code create_schema(sq_conn *c, const char *name, dal_error *err)
{
    char *ddl = sq_schema_ddl(&sq_sqlite_dialect, c->st->schema);
    if (ddl == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    int src = sq_exec_text(c, ddl);
    free(ddl);
    if (src != SQLITE_OK)
        return sq_error(c, src, err, "creating the tables of schema '%s'", name);
    src = sq_exec_text(c, "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (\"version\" INTEGER NOT NULL, "
                          "\"name\" TEXT NOT NULL, \"applied_at\" INTEGER NOT NULL)");
    sqlite3_stmt *s = NULL;
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v2(c->db,
                                 "INSERT INTO \"schema_migrations\" (\"version\", \"name\", \"applied_at\") "
                                 "VALUES (?, ?, ?)",
                                 -1, &s, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, 1);
        sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, dal_now_us());
        src = sq_run(c, s);
    }
    sqlite3_finalize(s);
    return src == SQLITE_OK ? DAL_OK : sq_error(c, src, err, "recording schema '%s'", name);
}

/* Inside one write transaction: a new database gets the schema's tables and
 * a schema_migrations row "<ns>@<version>"; an existing one must carry the
 * same name. */
static dal_code setup_schema(sq_conn *c, dal_error *err)
{
    const dal_schema *sch = c->st->schema;
    char name[256], stored[256];
    snprintf(name, sizeof name, "%s@%s", sch->ns, sch->version ? sch->version : "");
    dal_code rc = run_global(c, SQG_BEGIN, "begin", err);
    if (rc != DAL_OK)
        return rc;
    int64_t has_table = 0, n_tables = 0;
    rc = query_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", "schema_migrations",
                   &has_table, err);
    if (rc == DAL_OK && has_table)
        rc = stored_schema(c, stored, sizeof stored, err);
    if (rc == DAL_OK && (!has_table || stored[0] == '\0'))
        rc = query_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE ?", "sqlite\\_%",
                       &n_tables, err);
    if (rc == DAL_OK) {
        if (has_table && stored[0] != '\0') {
            if (strcmp(stored, name) != 0)
                rc = dal_set_error(err, DAL_ERR_MIGRATION,
                                   "'%s' was made by schema '%s', this program uses schema '%s' "
                                   "(migrating between them is not supported yet)",
                                   c->st->path, stored, name);
            else
                rc = add_missing_indexes(c, name, err);
        } else if (n_tables > (has_table ? 1 : 0)) {
            rc = dal_set_error(err, DAL_ERR_MIGRATION,
                               "'%s' holds tables but no schema_migrations record: not a database made by dal "
                               "(schema '%s')",
                               c->st->path, name);
        } else {
            rc = create_schema(c, name, err);
        }
    }
    if (rc == DAL_OK)
        return run_global(c, SQG_COMMIT, "commit", err);
    run_global(c, SQG_ROLLBACK, "rollback", NULL);
    return rc;
}

static dal_code sq_open(dal_db *db, dal_error *err)
{
    if (sqlite3_threadsafe() == 0)
        return dal_set_error(err, DAL_ERR_DATABASE, "this SQLite library was built without thread support");
    if (db->path == NULL || db->path[0] == '\0')
        return dal_set_error(err, DAL_ERR_INVALID, "no database path (use sqlite:FILE or sqlite::memory:)");
    sq_state *st = calloc(1, sizeof *st);
    if (st == NULL || (st->path = malloc(strlen(db->path) + 1)) == NULL) {
        free(st);
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
    }
    strcpy(st->path, db->path);
    pthread_mutex_init(&st->tx_lock, NULL);
    pthread_mutex_init(&st->write_mu, NULL);
    for (int i = 0; i < SQ_WRITE_TURN_SLOTS; i++)
        pthread_cond_init(&st->write_turn[i], NULL);
    atomic_init(&st->n_tx, 0);
    st->schema = db->schema;
    st->opts = db->opts;
    st->memory = strcmp(st->path, ":memory:") == 0;
    if (st->memory) {
        st->opts.max_connections = 1; /* see the top of this file */
        st->opts.min_idle = 1;
    }
    dal_code rc = build_sql(st, err);
    if (rc == DAL_OK && !st->memory)
        rc = create_file(st->path, err);
    if (rc == DAL_OK) {
        dal_pool_hooks hooks = {st, sq_conn_open, sq_conn_close};
        st->pool = dal_pool_create(&hooks, &st->opts, err);
        if (st->pool == NULL)
            rc = err ? err->code : DAL_ERR_DATABASE;
    }
    if (rc == DAL_OK) {
        sq_conn *c = dal_pool_acquire(st->pool, err);
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

static void sq_close(dal_db *db)
{
    state_free(db->state);
    db->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Raw connections (dal_sqlite.h)                                            */
/* ------------------------------------------------------------------------ */

static bool is_sqlite_db(dal_db *db)
{
    return db != NULL && db->root != NULL && db->root->vt == &dal_sqlite_backend && db->root->state != NULL;
}

dal_sqlite_conn *dal_sqlite_acquire(dal_db *db, sqlite3 **handle, dal_error *err)
{
    if (!is_sqlite_db(db) || handle == NULL) {
        dal_set_error(err, DAL_ERR_INVALID, "dal_sqlite_acquire: not an open sqlite: database");
        return NULL;
    }
    sq_conn *c = dal_pool_acquire(state_of(db)->pool, err);
    if (c == NULL)
        return NULL;
    *handle = c->db;
    return (dal_sqlite_conn *)c;
}

void dal_sqlite_release(dal_db *db, dal_sqlite_conn *conn)
{
    if (is_sqlite_db(db) && conn != NULL)
        release_conn(state_of(db), (sq_conn *)conn);
}

dal_code dal_sqlite_query_sql(const dal_query *q, const dal_value *args, char **sql, char **params_json,
                              dal_error *err)
{
    return sq_query_sql_text(&sq_sqlite_dialect, q, args, sql, params_json, err);
}

const dal_backend dal_sqlite_backend = {
    .version = DAL_BACKEND_VERSION,
    .scheme = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .insert = sq_insert,
    .get = sq_get,
    .update = sq_update,
    .upsert = sq_upsert,
    .remove = sq_remove,
    .list_all = sq_list_all,
    .count = sq_count,
    .select = sq_select,
    .exec = sq_exec,
    .aggregate = sq_aggregate,
    .vacuum = sq_vacuum,
    .checkpoint = sq_checkpoint,
    .storage_size = sq_storage_size,
    .pool_status = sq_pool_status,
    .count_query = sq_count_query,
    .checkpoint_report = sq_checkpoint_report,
    .query_sql = dal_sqlite_query_sql,
};
