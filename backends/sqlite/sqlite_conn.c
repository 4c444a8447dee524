/*
 * sqlite_conn.c - one SQLite connection: opening it with the settings every
 * pooled connection gets, its statement cache, stepping with busy retry, and
 * turning SQLite's errors into dal errors that name what failed.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_internal.h"

/* ------------------------------------------------------------------------ */
/* Opening and closing                                                       */
/* ------------------------------------------------------------------------ */

/* Applied to EVERY connection the pool opens (the original applied
 * foreign_keys and busy_timeout to one pooled connection only). The busy
 * timeout is set through sqlite3_busy_timeout (a number is never formatted
 * into SQL); journal_mode is checked separately. */
static const char *const conn_pragmas =
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA temp_store=MEMORY;"
    /* when the log restarts from its beginning, its file is cut back to 4 MiB */
    "PRAGMA journal_size_limit=4194304;";

/* After every commit: notes the log's size; the checkpoint it may call for
 * (sq_wal_upkeep) runs when the connection goes back to the pool, after the
 * call has let other writers of this process go on. Replaces SQLite's own
 * wal_autocheckpoint hook. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((sq_conn *)ctx)->wal_frames = frames;
    return SQLITE_OK;
}

/* See SQ_WAL_TRUNCATE_FRAMES. */
static void wal_upkeep(sq_conn *c, sqlite3 *db, const char *name, int frames)
{
    /* the upkeep counters are the only fields of the shared state written
     * after open; they are atomics */
    sq_state *st = (sq_state *)(uintptr_t)c->st;
    if (frames < SQ_WAL_PASSIVE_FRAMES)
        return;
    int retry_at = atomic_load(&st->wal_retry_at);
    if (frames < SQ_WAL_TRUNCATE_FRAMES || frames < retry_at) {
        if (!atomic_load(&st->wal_truncating))
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return;
    }
    if (atomic_exchange(&st->wal_truncating, 1))
        return; /* another connection is at it */
    unsigned bt = st->opts.busy_timeout_ms;
    sqlite3_busy_timeout(db, bt < SQ_WAL_TRUNCATE_WAIT_MS ? (int)bt : SQ_WAL_TRUNCATE_WAIT_MS);
    int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
    sqlite3_busy_timeout(db, bt > INT_MAX ? INT_MAX : (int)bt);
    if (rc == SQLITE_OK)
        atomic_fetch_add(&st->wal_truncations, 1);
    atomic_store(&st->wal_retry_at, rc == SQLITE_OK ? 0 : frames + SQ_WAL_RETRY_FRAMES);
    atomic_store(&st->wal_truncating, 0);
}

void sq_wal_upkeep(sq_conn *c)
{
    int frames = c->wal_frames;
    if (frames == 0)
        return;
    c->wal_frames = 0;
    wal_upkeep(c, c->db, "main", frames);
}

static const char *const global_sql[SQG_N] = {
    [SQG_BEGIN] = "BEGIN IMMEDIATE",
    [SQG_COMMIT] = "COMMIT",
    [SQG_ROLLBACK] = "ROLLBACK",
    [SQG_SP_BEGIN] = "SAVEPOINT \"dal_op\"",
    [SQG_SP_RELEASE] = "RELEASE \"dal_op\"",
    [SQG_SP_ROLLBACK] = "ROLLBACK TO \"dal_op\"",
    [SQG_SEQ_NEXT] = "INSERT INTO \"dal_sequences\" (\"tbl\", \"col\", \"value\") VALUES (?, ?, ?) "
                     "ON CONFLICT (\"tbl\", \"col\") DO UPDATE SET \"value\" = \"value\" + excluded.\"value\" "
                     "RETURNING \"value\"",
};

/* journal_mode=WAL (memory databases stay "memory"). */
static dal_code set_wal(sq_conn *c, dal_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sq_step(c, s);
    dal_code code = DAL_OK;
    if (rc == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(s, 0);
        const char *want = c->st->memory ? "memory" : "wal";
        if (mode == NULL || strcmp(mode, want) != 0)
            code = dal_set_error(err, DAL_ERR_DATABASE, "'%s': journal_mode is '%s', not '%s'", DAL_CLIPPED(c->st->path),
                                 mode ? mode : "?", want);
    } else if ((rc & 0xff) == SQLITE_NOTADB) {
        code = dal_set_error(err, DAL_ERR_DATABASE, "'%s' is not an SQLite database (%s)", DAL_CLIPPED(c->st->path),
                             sqlite3_errmsg(c->db));
    } else {
        code = sq_error(c, rc, err, "'%s': setting journal_mode=WAL", DAL_CLIPPED(c->st->path));
    }
    sqlite3_finalize(s);
    return code;
}

static void conn_free(sq_conn *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; c->model_stmts && i < c->n_model_stmts; i++)
        sqlite3_finalize(c->model_stmts[i]);
    for (size_t i = 0; c->query_stmts && i < c->n_query_stmts; i++)
        sqlite3_finalize(c->query_stmts[i]);
    for (int i = 0; i < SQG_N; i++)
        sqlite3_finalize(c->global[i]);
    for (int i = 0; i < SQ_ADHOC_SLOTS; i++) {
        sqlite3_finalize(c->adhoc[i].stmt);
        free(c->adhoc[i].sql);
    }
    sqlite3_close_v2(c->db);
    free(c->model_stmts);
    free(c->query_stmts);
    free(c);
}

void *sq_conn_open(void *ctx, dal_error *err)
{
    const sq_state *st = ctx;
    sq_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening a connection");
        return NULL;
    }
    c->st = st;
    c->n_model_stmts = st->schema->n_models * SQ_N_OPS;
    c->n_query_stmts = st->schema->n_queries;
    c->model_stmts = calloc(c->n_model_stmts + 1, sizeof *c->model_stmts);
    c->query_stmts = calloc(c->n_query_stmts + 1, sizeof *c->query_stmts);
    if (c->model_stmts == NULL || c->query_stmts == NULL) {
        conn_free(c);
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening a connection");
        return NULL;
    }
    /* NOMUTEX: the pool hands a connection to one thread at a time; the
     * library itself is checked to be thread-safe at open. The file exists
     * already (made 0600 by the backend), so no CREATE for it. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (st->memory ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(st->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        dal_set_error(err, rc == SQLITE_NOMEM ? DAL_ERR_NOMEM : DAL_ERR_DATABASE, "cannot open '%s': %s", DAL_CLIPPED(st->path),
                      c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        conn_free(c);
        return NULL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    unsigned bt = st->opts.busy_timeout_ms;
    sqlite3_busy_timeout(c->db, bt > INT_MAX ? INT_MAX : (int)bt);
    if (set_wal(c, err) != DAL_OK) {
        conn_free(c);
        return NULL;
    }
    rc = sqlite3_exec(c->db, conn_pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sq_error(c, rc, err, "'%s': applying the connection settings", DAL_CLIPPED(st->path));
        conn_free(c);
        return NULL;
    }
    if (!st->memory)
        sqlite3_wal_hook(c->db, wal_hook, c);
    return c;
}

void sq_conn_close(void *ctx, void *conn)
{
    (void)ctx;
    conn_free(conn);
}

/* ------------------------------------------------------------------------ */
/* Statement cache                                                           */
/* ------------------------------------------------------------------------ */

int sq_model_index(const sq_state *st, const dal_model *m)
{
    const dal_schema *s = st->schema;
    for (size_t i = 0; i < s->n_models; i++)
        if (s->models[i] == m)
            return (int)i;
    return -1;
}

static sqlite3_stmt *prepare(sq_conn *c, const char *sql, bool persistent, dal_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &s, NULL);
    if (rc != SQLITE_OK) {
        sq_error(c, rc, err, "preparing \"%.200s\"", sql);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

sqlite3_stmt *sq_model_stmt(sq_conn *c, int mi, sq_model_op op, dal_error *err)
{
    sqlite3_stmt **slot = &c->model_stmts[(size_t)mi * SQ_N_OPS + op];
    if (*slot == NULL)
        *slot = prepare(c, c->st->models[mi].sql[op], true, err);
    return *slot;
}

sqlite3_stmt *sq_global_stmt(sq_conn *c, sq_global_op op, dal_error *err)
{
    if (c->global[op] == NULL)
        c->global[op] = prepare(c, global_sql[op], true, err);
    return c->global[op];
}

/* Queries built at run time (id -1): a small per-connection cache keyed by
 * SQL text, least recently used slot replaced. */
static sqlite3_stmt *adhoc_stmt(sq_conn *c, const char *sql, dal_error *err)
{
    sq_adhoc *victim = &c->adhoc[0];
    c->tick++;
    for (int i = 0; i < SQ_ADHOC_SLOTS; i++) {
        sq_adhoc *a = &c->adhoc[i];
        if (a->sql != NULL && strcmp(a->sql, sql) == 0) {
            a->used = c->tick;
            return a->stmt;
        }
        if (a->used < victim->used)
            victim = a;
    }
    size_t len = strlen(sql);
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory caching a statement");
        return NULL;
    }
    memcpy(copy, sql, len + 1);
    sqlite3_stmt *s = prepare(c, sql, true, err);
    if (s == NULL) {
        free(copy);
        return NULL;
    }
    sqlite3_finalize(victim->stmt);
    free(victim->sql);
    *victim = (sq_adhoc){copy, s, c->tick};
    return s;
}

sqlite3_stmt *sq_query_stmt(sq_conn *c, const dal_query *q, const sq_plan *plan, dal_error *err)
{
    const dal_schema *s = c->st->schema;
    if (q->id >= 0 && (size_t)q->id < s->n_queries && s->queries[q->id] == q) {
        sqlite3_stmt **slot = &c->query_stmts[q->id];
        if (*slot == NULL)
            *slot = prepare(c, plan->sql, true, err);
        return *slot;
    }
    return adhoc_stmt(c, plan->sql, err);
}

/* ------------------------------------------------------------------------ */
/* Stepping with busy retry                                                  */
/* ------------------------------------------------------------------------ */

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* xorshift64 per thread: jitter only, no need for quality. */
static _Thread_local uint64_t jitter_state;

static uint64_t jitter_next(void)
{
    if (jitter_state == 0)
        jitter_state = (uint64_t)monotonic_us() ^ (uint64_t)(uintptr_t)&jitter_state ^ 0x9e3779b97f4a7c15ull;
    jitter_state ^= jitter_state << 13;
    jitter_state ^= jitter_state >> 7;
    jitter_state ^= jitter_state << 17;
    return jitter_state;
}

static bool is_busy(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* SQLite's own busy handler (busy_timeout) already waits for most lock
 * conflicts; some come back at once (a snapshot that went stale, a lock
 * upgrade that would deadlock, shared-cache locks). Those are retried here:
 * reset, sleep 1, 2, 4 ... ms (capped at 100) plus up to as much again of
 * random jitter, until busy_timeout has passed since the first try. */
static int retry_busy(sq_conn *c, sqlite3_stmt *s, int rc, int64_t start_us)
{
    int64_t budget = (int64_t)c->st->opts.busy_timeout_ms * 1000;
    int64_t delay = 1000;
    for (;;) {
        int64_t left = start_us + budget - monotonic_us();
        if (left <= 0 || !is_busy(rc))
            return rc;
        int64_t nap = delay + (int64_t)(jitter_next() % (uint64_t)delay);
        sleep_us(nap < left ? nap : left);
        if (delay < 100000)
            delay *= 2;
        sqlite3_reset(s);
        rc = sqlite3_step(s);
    }
}

int sq_step(sq_conn *c, sqlite3_stmt *s)
{
    /* writes count the budget from the first try (SQLite's handler may
     * already have waited); reads in WAL mode practically never wait, so a
     * lookup does not pay for a clock read: its budget starts at the first
     * busy answer */
    int64_t start = sqlite3_stmt_readonly(s) ? 0 : monotonic_us();
    int rc = sqlite3_step(s);
    if (!is_busy(rc))
        return rc;
    return retry_busy(c, s, rc, start ? start : monotonic_us());
}

/* For statements SQLite calls read-only but that wait on locks: BEGIN
 * IMMEDIATE, COMMIT. */
static int step_timed(sq_conn *c, sqlite3_stmt *s)
{
    int64_t start = monotonic_us();
    int rc = sqlite3_step(s);
    return is_busy(rc) ? retry_busy(c, s, rc, start) : rc;
}

int sq_run(sq_conn *c, sqlite3_stmt *s)
{
    int rc = step_timed(c, s);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_reset(s);
    return rc;
}

int sq_exec_text(sq_conn *c, const char *sql)
{
    sqlite3_stmt *s = NULL;
    const char *tail = sql;
    int rc = SQLITE_OK;
    while (rc == SQLITE_OK && tail && *tail) {
        rc = sqlite3_prepare_v2(c->db, tail, -1, &s, &tail);
        if (rc != SQLITE_OK || s == NULL)
            break;
        rc = sq_run(c, s);
        sqlite3_finalize(s);
        s = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

dal_code sq_error(sq_conn *c, int rc, dal_error *err, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    int primary = rc & 0xff;
    if (primary == SQLITE_NOMEM)
        return dal_set_error(err, DAL_ERR_NOMEM, "%s: out of memory", what);
    if (primary == SQLITE_CONSTRAINT)
        return dal_set_error(err, DAL_ERR_CONSTRAINT, "%s: %s", what, msg);
    if (is_busy(rc))
        return dal_set_error(err, DAL_ERR_BUSY, "%s: %s (still busy after busy_timeout_ms=%u)", what, msg,
                             c ? c->st->opts.busy_timeout_ms : 0);
    if (primary == SQLITE_NOTADB)
        return dal_set_error(err, DAL_ERR_DATABASE, "%s: '%s' is not an SQLite database", what,
                             c ? DAL_CLIPPED(c->st->path) : "?");
    return dal_set_error(err, DAL_ERR_DATABASE, "%s: %s", what, msg);
}
