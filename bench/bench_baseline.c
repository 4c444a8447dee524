/*
 * bench_baseline.c - hand-written sqlite3 code for the benchmarked operations
 * (see bench_baseline.h). Same tables, columns, pragmas and value encodings
 * as backends/sqlite: enums by name in TEXT columns (TaskPriority as its
 * integer), lists and JSON as compact JSON text, timestamps as INTEGER
 * microseconds; JSON columns are decoded with cJSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "bench_baseline.h"

enum { ST_BEGIN, ST_COMMIT, ST_AGENT_INSERT, ST_TASK_GET, ST_SEQ_NEXT, ST_EVENT_INSERT, ST_TASK_CLAIM, ST_CLAIM_NEXT,
       ST_N };

static const char *const stmt_sql[ST_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_AGENT_INSERT] = "INSERT INTO agents (id, name, agent_type, status, capabilities, metadata, heartbeat, "
                        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_TASK_GET] = "SELECT id, task_type, priority, status, assigned_to, payload, result, error, retry_count, "
                    "max_retries, dependencies, created_at, updated_at, started_at, completed_at "
                    "FROM tasks WHERE id = ?",
    [ST_SEQ_NEXT] = "INSERT INTO dal_sequences (tbl, col, value) VALUES ('events', 'sequence', 1) "
                    "ON CONFLICT (tbl, col) DO UPDATE SET value = value + 1 RETURNING value",
    [ST_EVENT_INSERT] = "INSERT INTO events (id, event_type, agent_id, task_id, payload, metadata, timestamp, "
                        "sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_TASK_CLAIM] = "UPDATE tasks SET assigned_to = ?, status = 'assigned', updated_at = ? "
                      "WHERE id = ? AND status = 'pending'",
    /* the next pending task, highest priority first, then oldest: picked and
     * changed in one statement, under the write lock */
    [ST_CLAIM_NEXT] = "UPDATE tasks SET status = 'assigned', assigned_to = ?, updated_at = ? "
                      "WHERE id = (SELECT id FROM tasks WHERE status = 'pending' "
                      "ORDER BY priority DESC, created_at ASC, id ASC LIMIT 1) "
                      "RETURNING id, task_type, priority, status, assigned_to, payload, result, error, "
                      "retry_count, max_retries, dependencies, created_at, updated_at, started_at, completed_at",
};

static const char *const agent_status_names[] = {"initializing", "active", "idle", "busy",
                                                 "paused", "error", "shutdown"};
static const char *const task_status_names[] = {"pending", "assigned", "running",
                                                "completed", "failed", "cancelled"};

struct bl_db {
    sqlite3 *db;
    sqlite3_stmt *st[ST_N];
};

static int fail(bl_db *b, const char *what)
{
    fprintf(stderr, "baseline: %s: %s\n", what, sqlite3_errmsg(b->db));
    return -1;
}

bl_db *bl_open(const char *path)
{
    bl_db *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    if (sqlite3_open_v2(path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        fail(b, path);
        bl_close(b);
        return NULL;
    }
    sqlite3_busy_timeout(b->db, 30000);
    const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                          "PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=1000;";
    if (sqlite3_exec(b->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        fail(b, "pragmas");
        bl_close(b);
        return NULL;
    }
    for (int i = 0; i < ST_N; i++) {
        if (sqlite3_prepare_v3(b->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &b->st[i], NULL) != SQLITE_OK) {
            fail(b, stmt_sql[i]);
            bl_close(b);
            return NULL;
        }
    }
    return b;
}

void bl_close(bl_db *b)
{
    if (b == NULL)
        return;
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(b->st[i]);
    sqlite3_close_v2(b->db);
    free(b);
}

/* Steps a statement that returns no rows, then resets it. */
static int run(bl_db *b, int which)
{
    sqlite3_stmt *s = b->st[which];
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : fail(b, stmt_sql[which]);
}

int bl_begin(bl_db *b)
{
    return run(b, ST_BEGIN);
}

int bl_checkpoint(bl_db *b)
{
    int rc = sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(b, "checkpoint");
}

int bl_commit(bl_db *b)
{
    return run(b, ST_COMMIT);
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

/* A JSON string list, e.g. ["a","b"]; malloc'd, NULL when out of memory. */
static char *text_list_json(const dal_text_list *l)
{
    size_t cap = 3;
    for (size_t i = 0; i < l->n; i++)
        cap += 6 * strlen(l->v[i]) + 3;
    char *out = malloc(cap), *p = out;
    if (out == NULL)
        return NULL;
    *p++ = '[';
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const unsigned char *c = (const unsigned char *)l->v[i]; *c; c++) {
            if (*c == '"' || *c == '\\') {
                *p++ = '\\';
                *p++ = (char)*c;
            } else if (*c < 0x20) {
                p += sprintf(p, "\\u%04x", *c);
            } else {
                *p++ = (char)*c;
            }
        }
        *p++ = '"';
    }
    *p++ = ']';
    *p = '\0';
    return out;
}

/* Binds a JSON value as compact text (NULL: json null / empty map). */
static int bind_json(sqlite3_stmt *s, int idx, const cJSON *j, const char *if_null)
{
    if (j == NULL)
        return sqlite3_bind_text(s, idx, if_null, -1, SQLITE_STATIC);
    char *text = cJSON_PrintUnformatted(j);
    if (text == NULL)
        return SQLITE_NOMEM;
    return sqlite3_bind_text(s, idx, text, -1, cJSON_free);
}

static void bind_opt_uuid(sqlite3_stmt *s, int idx, bool has, const char *v)
{
    if (has)
        sqlite3_bind_text(s, idx, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, idx);
}

int bl_agent_insert(bl_db *b, swarm_agent *a)
{
    if (a->id[0] == '\0')
        dal_uuid7(a->id);
    sqlite3_stmt *s = b->st[ST_AGENT_INSERT];
    char *caps = text_list_json(&a->capabilities);
    if (caps == NULL)
        return -1;
    sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, a->agent_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, agent_status_names[a->status], -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, caps, -1, free);
    if (bind_json(s, 6, a->metadata, "{}") != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 7, a->heartbeat);
    sqlite3_bind_int64(s, 8, a->created_at);
    sqlite3_bind_int64(s, 9, a->updated_at);
    return run(b, ST_AGENT_INSERT);
}

int bl_event_insert(bl_db *b, swarm_event *e)
{
    sqlite3_stmt *q = b->st[ST_SEQ_NEXT];
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return fail(b, "taking a sequence value");
    }
    e->sequence = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_step(q);
    sqlite3_reset(q);
    if (e->id[0] == '\0')
        dal_uuid7(e->id);
    sqlite3_stmt *s = b->st[ST_EVENT_INSERT];
    sqlite3_bind_text(s, 1, e->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, e->event_type, -1, SQLITE_STATIC);
    bind_opt_uuid(s, 3, e->has_agent_id, e->agent_id);
    bind_opt_uuid(s, 4, e->has_task_id, e->task_id);
    if (bind_json(s, 5, e->payload, "null") != SQLITE_OK || bind_json(s, 6, e->metadata, "{}") != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 7, e->timestamp);
    sqlite3_bind_int64(s, 8, (int64_t)e->sequence);
    return run(b, ST_EVENT_INSERT);
}

int bl_task_claim(bl_db *b, const char *id, const char *agent_id, bool *changed)
{
    sqlite3_stmt *s = b->st[ST_TASK_CLAIM];
    sqlite3_bind_text(s, 1, agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, dal_now_us());
    sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
    if (run(b, ST_TASK_CLAIM) != 0)
        return -1;
    *changed = sqlite3_changes(b->db) > 0;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Decoding a task                                                           */
/* ------------------------------------------------------------------------ */

static char *col_strdup(sqlite3_stmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);
    char *out = t ? malloc(n + 1) : NULL;
    if (out != NULL)
        memcpy(out, t, n + 1);
    return out;
}

static void col_uuid(sqlite3_stmt *s, int col, char out[DAL_UUID_SIZE])
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);
    if (t == NULL || n >= DAL_UUID_SIZE)
        n = 0;
    memcpy(out, t ? t : "", n);
    out[n] = '\0';
}

/* NULL column or JSON null -> NULL; bad JSON -> -1. */
static int col_json(sqlite3_stmt *s, int col, cJSON **out)
{
    *out = NULL;
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return 0;
    const char *t = (const char *)sqlite3_column_text(s, col);
    cJSON *j = cJSON_ParseWithLength(t, (size_t)sqlite3_column_bytes(s, col));
    if (j == NULL)
        return -1;
    if (cJSON_IsNull(j))
        cJSON_Delete(j);
    else
        *out = j;
    return 0;
}

static int col_uuid_list(sqlite3_stmt *s, int col, dal_uuid_list *out)
{
    cJSON *j = NULL;
    if (col_json(s, col, &j) != 0 || !cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(j);
    out->n = 0;
    out->v = n ? calloc(n, sizeof *out->v) : NULL;
    for (const cJSON *e = j->child; e != NULL && out->v != NULL; e = e->next) {
        if (!cJSON_IsString(e) || strlen(e->valuestring) >= DAL_UUID_SIZE)
            break;
        strcpy(out->v[out->n++].s, e->valuestring);
    }
    cJSON_Delete(j);
    return out->n == n ? 0 : -1;
}

static bool col_task_status(sqlite3_stmt *s, int col, swarm_task_status *out)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    for (int i = 0; t != NULL && i < SWARM_TASK_STATUS_COUNT; i++) {
        if (strcmp(t, task_status_names[i]) == 0) {
            *out = (swarm_task_status)i;
            return true;
        }
    }
    return false;
}

static void col_opt_time(sqlite3_stmt *s, int col, bool *has, int64_t *v)
{
    *has = sqlite3_column_type(s, col) != SQLITE_NULL;
    *v = *has ? sqlite3_column_int64(s, col) : 0;
}

static int read_task(sqlite3_stmt *s, swarm_task *t)
{
    col_uuid(s, 0, t->id);
    t->task_type = col_strdup(s, 1);
    t->priority = (swarm_task_priority)sqlite3_column_int(s, 2);
    if (t->task_type == NULL || !col_task_status(s, 3, &t->status))
        return -1;
    t->has_assigned_to = sqlite3_column_type(s, 4) != SQLITE_NULL;
    if (t->has_assigned_to)
        col_uuid(s, 4, t->assigned_to);
    if (col_json(s, 5, &t->payload) != 0 || col_json(s, 6, &t->result) != 0)
        return -1;
    if (sqlite3_column_type(s, 7) != SQLITE_NULL && (t->error = col_strdup(s, 7)) == NULL)
        return -1;
    t->retry_count = (uint32_t)sqlite3_column_int64(s, 8);
    t->max_retries = (uint32_t)sqlite3_column_int64(s, 9);
    if (col_uuid_list(s, 10, &t->dependencies) != 0)
        return -1;
    t->created_at = sqlite3_column_int64(s, 11);
    t->updated_at = sqlite3_column_int64(s, 12);
    col_opt_time(s, 13, &t->has_started_at, &t->started_at);
    col_opt_time(s, 14, &t->has_completed_at, &t->completed_at);
    return 0;
}

int bl_task_get(bl_db *b, const char *id, swarm_task *out, bool *found)
{
    sqlite3_stmt *s = b->st[ST_TASK_GET];
    swarm_task_clear(out);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int res = 0;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        if (read_task(s, out) != 0) {
            swarm_task_clear(out);
            res = fail(b, "decoding a task");
        }
    } else if (rc != SQLITE_DONE) {
        res = fail(b, stmt_sql[ST_TASK_GET]);
    }
    sqlite3_reset(s);
    return res;
}

int bl_task_claim_next(bl_db *b, const char *agent_id, swarm_task *out, bool *found)
{
    sqlite3_stmt *s = b->st[ST_CLAIM_NEXT];
    sqlite3_bind_text(s, 1, agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, dal_now_us());
    int rc = sqlite3_step(s);
    int res = 0;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        swarm_task_clear(out);
        if (read_task(s, out) != 0) {
            swarm_task_clear(out);
            res = fail(b, "decoding a task");
        }
        /* step on to SQLITE_DONE: SQLite runs the commit's hooks, the
         * automatic checkpoint among them, only when a statement finishes
         * there; one reset after its row never checkpoints, and the
         * write-ahead log grows without bound */
        rc = sqlite3_step(s);
        if (rc != SQLITE_DONE && res == 0)
            res = fail(b, stmt_sql[ST_CLAIM_NEXT]);
    } else if (rc != SQLITE_DONE) {
        res = fail(b, stmt_sql[ST_CLAIM_NEXT]);
    }
    sqlite3_reset(s);
    return res;
}
