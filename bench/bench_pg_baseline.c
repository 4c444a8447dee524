/*
 * bench_pg_baseline.c - hand-written libpq code for the benchmarked
 * operations on PostgreSQL (see bench_pg_baseline.h): prepared statements,
 * text-format values, the same tables, columns and encodings as
 * backends/pg (enums by name, TaskPriority as its integer, lists and JSON as
 * jsonb, timestamps as bigint microseconds, events.sequence from its
 * sequence). JSON columns are decoded with cJSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "bench_pg_baseline.h"

enum { ST_AGENT_INSERT, ST_TASK_GET, ST_EVENT_INSERT, ST_TASK_CLAIM, ST_N };

static const char *const stmt_sql[ST_N] = {
    [ST_AGENT_INSERT] = "INSERT INTO agents (id, name, agent_type, status, capabilities, metadata, heartbeat, "
                        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [ST_TASK_GET] = "SELECT id, task_type, priority, status, assigned_to, payload, result, error, retry_count, "
                    "max_retries, dependencies, created_at, updated_at, started_at, completed_at "
                    "FROM tasks WHERE id = $1",
    [ST_EVENT_INSERT] = "INSERT INTO events (id, event_type, agent_id, task_id, payload, metadata, timestamp, "
                        "sequence) VALUES ($1, $2, $3, $4, $5, $6, $7, nextval('events_sequence_seq')) "
                        "RETURNING sequence",
    [ST_TASK_CLAIM] = "UPDATE tasks SET assigned_to = $1, status = 'assigned', updated_at = $2 "
                      "WHERE id = $3 AND status = 'pending'",
};

static const char *const agent_status_names[] = {"initializing", "active", "idle", "busy",
                                                 "paused", "error", "shutdown"};
static const char *const task_status_names[] = {"pending", "assigned", "running",
                                                "completed", "failed", "cancelled"};

struct pbl_db {
    PGconn *pg;
};

static int fail(pbl_db *b, const char *what, PGresult *r)
{
    fprintf(stderr, "pg baseline: %s: %s", what, r ? PQresultErrorMessage(r) : PQerrorMessage(b->pg));
    PQclear(r);
    return -1;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

pbl_db *pbl_open(const char *url)
{
    pbl_db *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->pg = PQconnectdb(url);
    if (PQstatus(b->pg) != CONNECTION_OK) {
        fail(b, "connect", NULL);
        pbl_close(b);
        return NULL;
    }
    PQsetNoticeProcessor(b->pg, quiet, NULL);
    for (int i = 0; i < ST_N; i++) {
        char name[16];
        snprintf(name, sizeof name, "b%d", i);
        PGresult *r = PQprepare(b->pg, name, stmt_sql[i], 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fail(b, stmt_sql[i], r);
            pbl_close(b);
            return NULL;
        }
        PQclear(r);
    }
    return b;
}

void pbl_close(pbl_db *b)
{
    if (b == NULL)
        return;
    PQfinish(b->pg);
    free(b);
}

int pbl_exec(pbl_db *b, const char *sql)
{
    PGresult *r = PQexec(b->pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return fail(b, sql, r);
    PQclear(r);
    return 0;
}

int pbl_begin(pbl_db *b)
{
    return pbl_exec(b, "BEGIN");
}

int pbl_commit(pbl_db *b)
{
    return pbl_exec(b, "COMMIT");
}

/* Runs prepared statement `which`; the result, or NULL after reporting. */
static PGresult *run(pbl_db *b, int which, int n, const char *const *v, ExecStatusType want)
{
    char name[16];
    snprintf(name, sizeof name, "b%d", which);
    PGresult *r = PQexecPrepared(b->pg, name, n, v, NULL, NULL, 0);
    if (PQresultStatus(r) != want) {
        fail(b, stmt_sql[which], r);
        return NULL;
    }
    return r;
}

/* A JSON string list, e.g. ["a","b"]; malloc'd, NULL when out of memory. */
static char *text_list_json(const dal_text_list *l)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr != NULL && i < l->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(l->v[i]));
    char *out = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return out;
}

int pbl_agent_insert(pbl_db *b, swarm_agent *a)
{
    if (a->id[0] == '\0')
        dal_uuid7(a->id);
    char hb[24], ca[24], ua[24];
    snprintf(hb, sizeof hb, "%lld", (long long)a->heartbeat);
    snprintf(ca, sizeof ca, "%lld", (long long)a->created_at);
    snprintf(ua, sizeof ua, "%lld", (long long)a->updated_at);
    char *caps = text_list_json(&a->capabilities);
    char *meta = a->metadata ? cJSON_PrintUnformatted(a->metadata) : NULL;
    const char *v[9] = {a->id, a->name, a->agent_type, agent_status_names[a->status], caps, meta ? meta : "{}",
                        hb, ca, ua};
    PGresult *r = caps ? run(b, ST_AGENT_INSERT, 9, v, PGRES_COMMAND_OK) : NULL;
    free(caps);
    cJSON_free(meta);
    PQclear(r);
    return r ? 0 : -1;
}

int pbl_event_insert(pbl_db *b, swarm_event *e)
{
    if (e->id[0] == '\0')
        dal_uuid7(e->id);
    char ts[24];
    snprintf(ts, sizeof ts, "%lld", (long long)e->timestamp);
    char *payload = e->payload ? cJSON_PrintUnformatted(e->payload) : NULL;
    char *meta = e->metadata ? cJSON_PrintUnformatted(e->metadata) : NULL;
    const char *v[7] = {e->id, e->event_type, e->has_agent_id ? e->agent_id : NULL,
                        e->has_task_id ? e->task_id : NULL, payload ? payload : "null", meta ? meta : "{}", ts};
    PGresult *r = run(b, ST_EVENT_INSERT, 7, v, PGRES_TUPLES_OK);
    cJSON_free(payload);
    cJSON_free(meta);
    if (r == NULL)
        return -1;
    e->sequence = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

int pbl_task_claim(pbl_db *b, const char *id, const char *agent_id, bool *changed)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)dal_now_us());
    const char *v[3] = {agent_id, now, id};
    PGresult *r = run(b, ST_TASK_CLAIM, 3, v, PGRES_COMMAND_OK);
    if (r == NULL)
        return -1;
    *changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Decoding a task                                                           */
/* ------------------------------------------------------------------------ */

static char *col_strdup(const PGresult *r, int col)
{
    const char *t = PQgetvalue(r, 0, col);
    size_t n = (size_t)PQgetlength(r, 0, col);
    char *out = malloc(n + 1);
    if (out != NULL)
        memcpy(out, t, n + 1);
    return out;
}

static void col_uuid(const PGresult *r, int col, char out[DAL_UUID_SIZE])
{
    size_t n = (size_t)PQgetlength(r, 0, col);
    if (n >= DAL_UUID_SIZE)
        n = 0;
    memcpy(out, PQgetvalue(r, 0, col), n);
    out[n] = '\0';
}

/* NULL column or JSON null -> NULL; bad JSON -> -1. */
static int col_json(const PGresult *r, int col, cJSON **out)
{
    *out = NULL;
    if (PQgetisnull(r, 0, col))
        return 0;
    cJSON *j = cJSON_ParseWithLength(PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col));
    if (j == NULL)
        return -1;
    if (cJSON_IsNull(j))
        cJSON_Delete(j);
    else
        *out = j;
    return 0;
}

static int col_uuid_list(const PGresult *r, int col, dal_uuid_list *out)
{
    cJSON *j = NULL;
    if (col_json(r, col, &j) != 0 || !cJSON_IsArray(j)) {
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

static bool col_task_status(const PGresult *r, int col, swarm_task_status *out)
{
    const char *t = PQgetvalue(r, 0, col);
    for (int i = 0; i < SWARM_TASK_STATUS_COUNT; i++) {
        if (strcmp(t, task_status_names[i]) == 0) {
            *out = (swarm_task_status)i;
            return true;
        }
    }
    return false;
}

static void col_opt_time(const PGresult *r, int col, bool *has, int64_t *v)
{
    *has = !PQgetisnull(r, 0, col);
    *v = *has ? strtoll(PQgetvalue(r, 0, col), NULL, 10) : 0;
}

static int read_task(const PGresult *r, swarm_task *t)
{
    col_uuid(r, 0, t->id);
    t->task_type = col_strdup(r, 1);
    t->priority = (swarm_task_priority)atoi(PQgetvalue(r, 0, 2));
    if (t->task_type == NULL || !col_task_status(r, 3, &t->status))
        return -1;
    t->has_assigned_to = !PQgetisnull(r, 0, 4);
    if (t->has_assigned_to)
        col_uuid(r, 4, t->assigned_to);
    if (col_json(r, 5, &t->payload) != 0 || col_json(r, 6, &t->result) != 0)
        return -1;
    if (!PQgetisnull(r, 0, 7) && (t->error = col_strdup(r, 7)) == NULL)
        return -1;
    t->retry_count = (uint32_t)strtoul(PQgetvalue(r, 0, 8), NULL, 10);
    t->max_retries = (uint32_t)strtoul(PQgetvalue(r, 0, 9), NULL, 10);
    if (col_uuid_list(r, 10, &t->dependencies) != 0)
        return -1;
    t->created_at = strtoll(PQgetvalue(r, 0, 11), NULL, 10);
    t->updated_at = strtoll(PQgetvalue(r, 0, 12), NULL, 10);
    col_opt_time(r, 13, &t->has_started_at, &t->started_at);
    col_opt_time(r, 14, &t->has_completed_at, &t->completed_at);
    return 0;
}

int pbl_task_get(pbl_db *b, const char *id, swarm_task *out, bool *found)
{
    const char *v[1] = {id};
    PGresult *r = run(b, ST_TASK_GET, 1, v, PGRES_TUPLES_OK);
    if (r == NULL)
        return -1;
    swarm_task_clear(out);
    *found = PQntuples(r) > 0;
    int rc = *found ? read_task(r, out) : 0;
    PQclear(r);
    if (rc != 0) {
        swarm_task_clear(out);
        fprintf(stderr, "pg baseline: task %s: a column does not decode\n", id);
    }
    return rc;
}
