/*
 * test_conformance.c - THE definition of what the swarm operations do, run
 * on every backend that is built, through the generated API (swarm/swarm.h).
 *
 * Usage: test_conformance URL-TEMPLATE
 *   The template names a backend URL; "{dir}" becomes a temporary directory
 *   made for this run (removed at the end) and "{n}" a number that differs
 *   for every database the suite opens, so each test starts empty:
 *     test_conformance 'sqlite:{dir}/c{n}.db'
 *     test_conformance 'memory:c{n}'
 *   ctest registers the program once per URL (tests/conformance/CMakeLists.txt).
 *
 * The rows of the original crate's operations table (original-crate.md),
 * each with its ordering, limits and error behaviour; expected values are
 * exact (ids, orders, counts).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "swarm_harness.h"

/* ------------------------------------------------------------------------ */
/* Opening databases from the URL template                                   */
/* ------------------------------------------------------------------------ */


/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */


static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* The constraint error's kind, table and columns (the same on every backend). */
static void assert_kind(const dal_error *err, dal_constraint kind, const char *table, const char *columns)
{
    if (backend_is("postgresql"))
        return; /* not yet: the PostgreSQL backend does not fill the constraint fields */
    assert_int_equal(err->code, DAL_ERR_CONSTRAINT);
    assert_string_equal(dal_constraint_name(err->constraint), dal_constraint_name(kind));
    assert_string_equal(err->table, table);
    assert_string_equal(err->columns, columns);
}

/* A fixed, readable uuid whose text order follows n. */
static void uuid_n(char out[DAL_UUID_SIZE], unsigned n)
{
    snprintf(out, DAL_UUID_SIZE, "00000000-0000-7000-8000-%012u", n);
}

static void agent_make(swarm_agent *a, unsigned n, const char *name, int64_t created_at)
{
    swarm_agent_init(a);
    uuid_n(a->id, 1000 + n);
    assert_true(dal_strset(&a->name, name));
    assert_true(dal_strset(&a->agent_type, "worker"));
    a->created_at = created_at;
}

static void task_make(swarm_task *t, unsigned n, swarm_task_priority prio, int64_t created_at)
{
    swarm_task_init(t);
    uuid_n(t->id, 2000 + n);
    assert_true(dal_strset(&t->task_type, "compute"));
    t->priority = prio;
    t->created_at = created_at;
}

static void event_make(swarm_event *e, unsigned n, const char *type, const char *agent, int64_t ts)
{
    swarm_event_init(e);
    uuid_n(e->id, 3000 + n);
    assert_true(dal_strset(&e->event_type, type));
    if (agent != NULL) {
        e->has_agent_id = true;
        memcpy(e->agent_id, agent, DAL_UUID_SIZE);
    }
    e->timestamp = ts;
}

static void message_make(swarm_message *m, unsigned n, const char *from, const char *to, int64_t created_at)
{
    swarm_message_init(m);
    uuid_n(m->id, 4000 + n);
    memcpy(m->from_agent, from, DAL_UUID_SIZE);
    memcpy(m->to_agent, to, DAL_UUID_SIZE);
    assert_true(dal_strset(&m->message_type, "note"));
    m->created_at = created_at;
}

static void metric_make(swarm_metric *m, unsigned n, const char *type, const char *agent, double value, int64_t ts)
{
    swarm_metric_init(m);
    uuid_n(m->id, 5000 + n);
    assert_true(dal_strset(&m->metric_type, type));
    if (agent != NULL) {
        m->has_agent_id = true;
        memcpy(m->agent_id, agent, DAL_UUID_SIZE);
    }
    m->value = value;
    assert_true(dal_strset(&m->unit, "ms"));
    m->timestamp = ts;
}

/* Inserts agents 1..n named "a1".., created at 100, 200, ... */
static void seed_agents(swarm_db *db, swarm_agent *a, unsigned n)
{
    char name[16];
    for (unsigned i = 0; i < n; i++) {
        snprintf(name, sizeof name, "a%u", i + 1);
        agent_make(&a[i], i + 1, name, 100 * (int64_t)(i + 1));
        OK(swarm_agent_insert(db, &a[i], err));
    }
}

static void clear_agents(swarm_agent *a, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        swarm_agent_clear(&a[i]);
}

static int64_t agent_count(swarm_db *db)
{
    int64_t n = -1;
    OK(swarm_agent_count(db, &n, err));
    return n;
}

static const char *const injections[] = {
    "x'); DROP TABLE agents; --",
    "\" OR 1=1 --",
    "%_\\",
    "'; DELETE FROM tasks WHERE '1'='1",
    "Robert'); DROP TABLE events;--\n\t\x01",
};
#define N_INJECTIONS (sizeof injections / sizeof injections[0])

/* ------------------------------------------------------------------------ */
/* Agents: store, get, update, delete, list, list_by_status                  */
/* ------------------------------------------------------------------------ */

static void test_agent_store_get(void **state)
{
    swarm_db *db = *state;
    swarm_agent a, out;
    agent_make(&a, 1, "alpha", 12345);
    assert_true(dal_text_list_push(&a.capabilities, "search"));
    assert_true(dal_text_list_push(&a.capabilities, "plan"));
    cJSON_AddStringToObject(a.metadata, "region", "eu");
    cJSON_AddNumberToObject(a.metadata, "cores", 8);
    a.status = SWARM_AGENT_STATUS_BUSY;
    OK(swarm_agent_insert(db, &a, err));

    bool found = false;
    swarm_agent_init(&out);
    OK(swarm_agent_get(db, a.id, &out, &found, err));
    assert_true(found);
    assert_true(swarm_agent_equal(&a, &out));
    assert_string_equal(out.name, "alpha");
    assert_int_equal(out.status, SWARM_AGENT_STATUS_BUSY);
    assert_int_equal(out.capabilities.n, 2);
    assert_string_equal(out.capabilities.v[1], "plan");
    assert_int_equal(out.created_at, 12345);

    /* a missing id is "not found", not an error; out is left as it was */
    char missing[DAL_UUID_SIZE];
    uuid_n(missing, 999);
    found = true;
    OK(swarm_agent_get(db, missing, &out, &found, err));
    assert_false(found);
    assert_string_equal(out.name, "alpha");

    /* defaults from init: a fresh agent starts initializing, with [] and {} */
    swarm_agent d;
    swarm_agent_init(&d);
    assert_true(dal_strset(&d.name, "d"));
    assert_true(dal_strset(&d.agent_type, "t"));
    OK(swarm_agent_insert(db, &d, err));
    OK(swarm_agent_get(db, d.id, &out, &found, err));
    assert_true(found);
    assert_int_equal(out.status, SWARM_AGENT_STATUS_INITIALIZING);
    assert_int_equal(out.capabilities.n, 0);
    assert_true(cJSON_IsObject(out.metadata));
    assert_true(out.created_at > 0);

    swarm_agent_clear(&a);
    swarm_agent_clear(&d);
    swarm_agent_clear(&out);
}

static void test_agent_update(void **state)
{
    swarm_db *db = *state;
    swarm_agent a, out;
    agent_make(&a, 1, "before", 100);
    a.updated_at = 1;
    OK(swarm_agent_insert(db, &a, err));
    assert_int_equal(a.updated_at, 1);
    assert_true(dal_strset(&a.name, "after"));
    a.status = SWARM_AGENT_STATUS_ACTIVE;
    int64_t before = dal_now_us();
    OK(swarm_agent_update(db, &a, err));
    assert_true(a.updated_at >= before); /* @updated_now */
    bool found = false;
    swarm_agent_init(&out);
    OK(swarm_agent_get(db, a.id, &out, &found, err));
    assert_true(found);
    assert_string_equal(out.name, "after");
    assert_int_equal(out.status, SWARM_AGENT_STATUS_ACTIVE);
    assert_int_equal(out.updated_at, a.updated_at);
    assert_int_equal(out.created_at, 100);

    /* update of a missing id: NotFound naming table and key; data unchanged */
    swarm_agent ghost;
    agent_make(&ghost, 77, "ghost", 1);
    ghost.updated_at = 5;
    dal_error err = {0};
    assert_int_equal(swarm_agent_update(db, &ghost, &err), DAL_ERR_NOT_FOUND);
    assert_contains(err.message, "agents");
    assert_contains(err.message, ghost.id);
    assert_int_equal(ghost.updated_at, 5);
    assert_int_equal(agent_count(db), 1);

    /* update heartbeat (-> one): sets heartbeat, NotFound when missing */
    before = dal_now_us();
    OK(swarm_agent_heartbeat(db, a.id, err));
    OK(swarm_agent_get(db, a.id, &out, &found, err));
    assert_true(out.heartbeat >= before);
    assert_int_equal(swarm_agent_heartbeat(db, ghost.id, &err), DAL_ERR_NOT_FOUND);
    assert_contains(err.message, ghost.id);

    swarm_agent_clear(&a);
    swarm_agent_clear(&ghost);
    swarm_agent_clear(&out);
}

static void test_agent_delete_idempotent(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[2];
    seed_agents(db, a, 2);
    OK(swarm_agent_delete(db, a[0].id, err));
    assert_int_equal(agent_count(db), 1);
    OK(swarm_agent_delete(db, a[0].id, err)); /* again: fine */
    char missing[DAL_UUID_SIZE];
    uuid_n(missing, 999);
    OK(swarm_agent_delete(db, missing, err));
    assert_int_equal(agent_count(db), 1);
    swarm_agent out;
    swarm_agent_init(&out);
    bool found = true;
    OK(swarm_agent_get(db, a[0].id, &out, &found, err));
    assert_false(found);
    clear_agents(a, 2);
    swarm_agent_clear(&out);
}

static void test_agent_lists(void **state)
{
    swarm_db *db = *state;
    /* created: a1 100, a2 300, a3 200, a4 300 (tie with a2), a5 50 */
    const int64_t created[5] = {100, 300, 200, 300, 50};
    const swarm_agent_status status[5] = {SWARM_AGENT_STATUS_IDLE, SWARM_AGENT_STATUS_BUSY, SWARM_AGENT_STATUS_IDLE,
                                          SWARM_AGENT_STATUS_IDLE, SWARM_AGENT_STATUS_BUSY};
    swarm_agent a[5];
    char name[16];
    /* inserted in an order unlike both the key and the creation order */
    const int order[5] = {3, 0, 4, 1, 2};
    for (int k = 0; k < 5; k++) {
        int i = order[k];
        snprintf(name, sizeof name, "a%d", i + 1);
        agent_make(&a[i], (unsigned)i + 1, name, created[i]);
        a[i].status = status[i];
        OK(swarm_agent_insert(db, &a[i], err));
    }
    swarm_agent_list l = {0, NULL};
    /* list: newest created first; the tie (a2, a4) by id ascending */
    OK(swarm_agent_newest(db, &l, err));
    assert_int_equal(l.n, 5);
    const char *want[5] = {"a2", "a4", "a3", "a1", "a5"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.v[i].name, want[i]);
    /* list_by_status */
    OK(swarm_agent_by_status(db, SWARM_AGENT_STATUS_IDLE, &l, err));
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].name, "a4");
    assert_string_equal(l.v[1].name, "a3");
    assert_string_equal(l.v[2].name, "a1");
    OK(swarm_agent_by_status(db, SWARM_AGENT_STATUS_SHUTDOWN, &l, err));
    assert_int_equal(l.n, 0);
    /* all: primary-key order */
    OK(swarm_agent_all(db, &l, err));
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "a%d", i + 1);
        assert_string_equal(l.v[i].name, name);
    }
    assert_int_equal(agent_count(db), 5);
    swarm_agent_list_free(&l);
    clear_agents(a, 5);
}

/* ------------------------------------------------------------------------ */
/* Tasks                                                                     */
/* ------------------------------------------------------------------------ */

static void test_task_store_get_update(void **state)
{
    swarm_db *db = *state;
    swarm_task t, out;
    task_make(&t, 1, SWARM_TASK_PRIORITY_HIGH, 10);
    cJSON_AddStringToObject(t.payload, "job", "x");
    t.max_retries = 5;
    dal_uuid dep;
    uuid_n(dep.s, 42);
    t.dependencies.v = malloc(sizeof dep);
    t.dependencies.v[0] = dep;
    t.dependencies.n = 1;
    OK(swarm_task_insert(db, &t, err));
    bool found = false;
    swarm_task_init(&out);
    OK(swarm_task_get(db, t.id, &out, &found, err));
    assert_true(found);
    assert_true(swarm_task_equal(&t, &out));
    assert_int_equal(out.status, SWARM_TASK_STATUS_PENDING);
    assert_int_equal(out.priority, SWARM_TASK_PRIORITY_HIGH);
    assert_int_equal(out.retry_count, 0);
    assert_int_equal(out.max_retries, 5);
    assert_false(out.has_assigned_to);
    assert_null(out.result);
    assert_null(out.error);
    assert_false(out.has_started_at);
    assert_int_equal(out.dependencies.n, 1);
    assert_string_equal(out.dependencies.v[0].s, dep.s);

    /* complete it: optional fields get values */
    t.status = SWARM_TASK_STATUS_COMPLETED;
    t.result = cJSON_CreateString("done");
    assert_true(dal_strset(&t.error, "none"));
    t.has_completed_at = true;
    t.completed_at = 999;
    t.retry_count = 2;
    OK(swarm_task_update(db, &t, err));
    OK(swarm_task_get(db, t.id, &out, &found, err));
    assert_true(swarm_task_equal(&t, &out));
    assert_int_equal(out.completed_at, 999);
    assert_string_equal(out.result->valuestring, "done");

    swarm_task ghost;
    task_make(&ghost, 9, SWARM_TASK_PRIORITY_LOW, 1);
    dal_error err = {0};
    assert_int_equal(swarm_task_update(db, &ghost, &err), DAL_ERR_NOT_FOUND);
    assert_contains(err.message, "tasks");
    assert_contains(err.message, ghost.id);
    swarm_task_clear(&t);
    swarm_task_clear(&out);
    swarm_task_clear(&ghost);
}

static void test_task_pending_and_by_agent(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[2];
    seed_agents(db, a, 2);
    /* n: priority, created_at, status, assigned */
    struct {
        swarm_task_priority p;
        int64_t created;
        swarm_task_status s;
        int agent;
    } spec[8] = {
        {SWARM_TASK_PRIORITY_LOW, 10, SWARM_TASK_STATUS_PENDING, -1},
        {SWARM_TASK_PRIORITY_CRITICAL, 50, SWARM_TASK_STATUS_PENDING, -1},
        {SWARM_TASK_PRIORITY_HIGH, 30, SWARM_TASK_STATUS_PENDING, -1},
        {SWARM_TASK_PRIORITY_HIGH, 20, SWARM_TASK_STATUS_PENDING, -1},
        {SWARM_TASK_PRIORITY_CRITICAL, 5, SWARM_TASK_STATUS_RUNNING, 0},
        {SWARM_TASK_PRIORITY_HIGH, 20, SWARM_TASK_STATUS_PENDING, -1}, /* tie with 3: by id */
        {SWARM_TASK_PRIORITY_MEDIUM, 1, SWARM_TASK_STATUS_ASSIGNED, 0},
        {SWARM_TASK_PRIORITY_LOW, 2, SWARM_TASK_STATUS_COMPLETED, 1},
    };
    swarm_task t[8];
    for (int i = 7; i >= 0; i--) {
        task_make(&t[i], (unsigned)i, spec[i].p, spec[i].created);
        t[i].status = spec[i].s;
        if (spec[i].agent >= 0) {
            t[i].has_assigned_to = true;
            memcpy(t[i].assigned_to, a[spec[i].agent].id, DAL_UUID_SIZE);
        }
    }
    OK(swarm_task_insert_many(db, t, 8, err));
    swarm_task_list l = {0, NULL};
    OK(swarm_task_pending(db, &l, err));
    /* priority high to low, then oldest first, then id */
    const int want[5] = {1, 3, 5, 2, 0};
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.v[i].id, t[want[i]].id);
    OK(swarm_task_by_agent(db, a[0].id, &l, err));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].id, t[4].id); /* critical before medium */
    assert_string_equal(l.v[1].id, t[6].id);
    OK(swarm_task_by_agent(db, a[1].id, &l, err));
    assert_int_equal(l.n, 1);
    char nobody[DAL_UUID_SIZE];
    uuid_n(nobody, 12345);
    OK(swarm_task_by_agent(db, nobody, &l, err));
    assert_int_equal(l.n, 0);
    swarm_task_list_free(&l);
    for (int i = 0; i < 8; i++)
        swarm_task_clear(&t[i]);
    clear_agents(a, 2);
}

static void test_task_claim(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[2];
    seed_agents(db, a, 2);
    swarm_task t[2], out;
    task_make(&t[0], 1, SWARM_TASK_PRIORITY_MEDIUM, 1);
    task_make(&t[1], 2, SWARM_TASK_PRIORITY_MEDIUM, 2);
    t[1].status = SWARM_TASK_STATUS_RUNNING;
    t[0].updated_at = 7;
    OK(swarm_task_insert_many(db, t, 2, err));
    int64_t before = dal_now_us();
    bool claimed = false;
    OK(swarm_task_claim(db, t[0].id, a[0].id, &claimed, err));
    assert_true(claimed);
    swarm_task_init(&out);
    bool found = false;
    OK(swarm_task_get(db, t[0].id, &out, &found, err));
    assert_int_equal(out.status, SWARM_TASK_STATUS_ASSIGNED);
    assert_true(out.has_assigned_to);
    assert_string_equal(out.assigned_to, a[0].id);
    assert_true(out.updated_at >= before);
    /* only a pending task can be claimed */
    claimed = true;
    OK(swarm_task_claim(db, t[0].id, a[1].id, &claimed, err));
    assert_false(claimed);
    OK(swarm_task_get(db, t[0].id, &out, &found, err));
    assert_string_equal(out.assigned_to, a[0].id);
    claimed = true;
    OK(swarm_task_claim(db, t[1].id, a[1].id, &claimed, err));
    assert_false(claimed);
    char missing[DAL_UUID_SIZE];
    uuid_n(missing, 999);
    claimed = true;
    OK(swarm_task_claim(db, missing, a[1].id, &claimed, err));
    assert_false(claimed);
    swarm_task_clear(&t[0]);
    swarm_task_clear(&t[1]);
    swarm_task_clear(&out);
    clear_agents(a, 2);
}

enum { RACE_THREADS = 8, RACE_TASKS = 1000 };

typedef struct race {
    swarm_db *db;
    swarm_task *tasks;
    atomic_int wins_per_task[RACE_TASKS];
    char agents[RACE_THREADS][DAL_UUID_SIZE];
} race;

typedef struct racer {
    race *r;
    int k;
    int wins;
    dal_code rc;
    dal_error err;
} racer;

/* Claims every task, starting at its own offset; counts its wins. */
static void *race_thread(void *arg)
{
    racer *me = arg;
    for (int j = 0; j < RACE_TASKS && me->rc == DAL_OK; j++) {
        int i = (j + me->k * (RACE_TASKS / RACE_THREADS)) % RACE_TASKS;
        bool claimed = false;
        me->rc = swarm_task_claim(me->r->db, me->r->tasks[i].id, me->r->agents[me->k], &claimed, &me->err);
        if (me->rc == DAL_OK && claimed) {
            me->wins++;
            atomic_fetch_add(&me->r->wins_per_task[i], 1);
        }
    }
    return NULL;
}

static void test_task_claim_race(void **state)
{
    swarm_db *db = *state;
#ifdef __EMSCRIPTEN__
    skip(); /* no threads in the browser build; tests/idb/cross_tab claims from two tabs */
#endif
    static race r;
    memset(&r, 0, sizeof r);
    r.db = db;
    swarm_agent a[RACE_THREADS];
    seed_agents(db, a, RACE_THREADS);
    for (int k = 0; k < RACE_THREADS; k++)
        memcpy(r.agents[k], a[k].id, DAL_UUID_SIZE);
    r.tasks = calloc(RACE_TASKS, sizeof *r.tasks);
    assert_non_null(r.tasks);
    for (int i = 0; i < RACE_TASKS; i++)
        task_make(&r.tasks[i], (unsigned)i, SWARM_TASK_PRIORITY_MEDIUM, i);
    OK(swarm_task_insert_many(db, r.tasks, RACE_TASKS, err));

    pthread_t th[RACE_THREADS];
    racer rs[RACE_THREADS];
    for (int k = 0; k < RACE_THREADS; k++) {
        rs[k] = (racer){.r = &r, .k = k};
        assert_int_equal(pthread_create(&th[k], NULL, race_thread, &rs[k]), 0);
    }
    int total = 0;
    for (int k = 0; k < RACE_THREADS; k++) {
        pthread_join(th[k], NULL);
        if (rs[k].rc != DAL_OK)
            fail_msg("claimer %d: %s", k, rs[k].err.message);
        total += rs[k].wins;
    }
    assert_int_equal(total, RACE_TASKS);
    for (int i = 0; i < RACE_TASKS; i++)
        assert_int_equal(atomic_load(&r.wins_per_task[i]), 1);
    /* the stored state agrees: nothing pending, each claimer owns its wins */
    swarm_task_list l = {0, NULL};
    OK(swarm_task_pending(db, &l, err));
    assert_int_equal(l.n, 0);
    int owned = 0;
    for (int k = 0; k < RACE_THREADS; k++) {
        OK(swarm_task_by_agent(db, r.agents[k], &l, err));
        assert_int_equal(l.n, (size_t)rs[k].wins);
        owned += (int)l.n;
    }
    assert_int_equal(owned, RACE_TASKS);
    swarm_task_list_free(&l);
    for (int i = 0; i < RACE_TASKS; i++)
        swarm_task_clear(&r.tasks[i]);
    free(r.tasks);
    clear_agents(a, RACE_THREADS);
}

/* claim_next / claim_batch: one atomic update that picks the first pending
 * task(s) by priority desc, created_at asc (ties by id) and returns them. */
static void test_task_claim_next(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[2];
    seed_agents(db, a, 2);
    enum { N = 8 };
    swarm_task t[N];
    /* expected claim order: 3 (critical), 1 and 6 (high; 1 older), 7 (high,
     * same created_at as 6 but a larger id), 0, 4 (medium), 5 (low); 2 runs */
    static const swarm_task_priority prio[N] = {SWARM_TASK_PRIORITY_MEDIUM, SWARM_TASK_PRIORITY_HIGH,
                                               SWARM_TASK_PRIORITY_CRITICAL, SWARM_TASK_PRIORITY_CRITICAL,
                                               SWARM_TASK_PRIORITY_MEDIUM, SWARM_TASK_PRIORITY_LOW,
                                               SWARM_TASK_PRIORITY_HIGH, SWARM_TASK_PRIORITY_HIGH};
    static const int64_t created[N] = {10, 20, 5, 30, 40, 1, 50, 50};
    for (int i = 0; i < N; i++) {
        task_make(&t[i], (unsigned)i, prio[i], created[i]);
        t[i].updated_at = 7;
    }
    t[2].status = SWARM_TASK_STATUS_RUNNING;
    OK(swarm_task_insert_many(db, t, N, err));

    int64_t before = dal_now_us();
    swarm_task out;
    swarm_task_init(&out);
    bool found = false;
    OK(swarm_task_claim_next(db, a[0].id, &out, &found, err));
    assert_true(found);
    assert_string_equal(out.id, t[3].id);
    assert_int_equal(out.status, SWARM_TASK_STATUS_ASSIGNED);
    assert_true(out.has_assigned_to);
    assert_string_equal(out.assigned_to, a[0].id);
    assert_true(out.updated_at >= before); /* @updated_now */
    assert_int_equal(out.created_at, 30);   /* the rest of the row as stored */
    /* the returned row is the stored one */
    swarm_task got;
    swarm_task_init(&got);
    OK(swarm_task_get(db, t[3].id, &got, &found, err));
    assert_true(swarm_task_equal(&got, &out));

    /* a batch: the next three in order, for the other agent */
    swarm_task_list l = {0, NULL};
    OK(swarm_task_claim_batch(db, a[1].id, 3, &l, err));
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].id, t[1].id);
    assert_string_equal(l.v[1].id, t[6].id);
    assert_string_equal(l.v[2].id, t[7].id);
    for (size_t i = 0; i < l.n; i++) {
        assert_int_equal(l.v[i].status, SWARM_TASK_STATUS_ASSIGNED);
        assert_string_equal(l.v[i].assigned_to, a[1].id);
    }
    /* a batch of 0 claims nothing; a negative size is refused */
    OK(swarm_task_claim_batch(db, a[1].id, 0, &l, err));
    assert_int_equal(l.n, 0);
    dal_error e = {0};
    assert_int_equal(swarm_task_claim_batch(db, a[1].id, -1, &l, &e), DAL_ERR_INVALID);
    assert_contains(e.message, "limit");

    /* an agent that does not exist: a constraint error, nothing claimed */
    char ghost[DAL_UUID_SIZE];
    uuid_n(ghost, 777);
    e = (dal_error){0};
    assert_int_equal(swarm_task_claim_next(db, ghost, &out, &found, &e), DAL_ERR_CONSTRAINT);
    OK(swarm_task_get(db, t[0].id, &got, &found, err));
    assert_int_equal(got.status, SWARM_TASK_STATUS_PENDING);

    /* inside a transaction: claimed there, undone by its rollback */
    swarm_tx *tx = swarm_begin(db, NULL);
    assert_non_null(tx);
    OK(swarm_task_claim_next(swarm_tx_db(tx), a[0].id, &out, &found, err));
    assert_true(found);
    assert_string_equal(out.id, t[0].id);
    OK(swarm_rollback(tx, err));
    swarm_tx_free(tx);
    OK(swarm_task_get(db, t[0].id, &got, &found, err));
    assert_int_equal(got.status, SWARM_TASK_STATUS_PENDING);

    /* the rest, then nothing pending: found = false, out unchanged */
    OK(swarm_task_claim_batch(db, a[0].id, 100, &l, err));
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].id, t[0].id);
    assert_string_equal(l.v[1].id, t[4].id);
    assert_string_equal(l.v[2].id, t[5].id);
    found = true;
    OK(swarm_task_claim_next(db, a[0].id, &out, &found, err));
    assert_false(found);
    assert_string_equal(out.id, t[0].id);
    OK(swarm_task_claim_batch(db, a[0].id, 5, &l, err));
    assert_int_equal(l.n, 0);
    OK(swarm_task_get(db, t[2].id, &got, &found, err));
    assert_int_equal(got.status, SWARM_TASK_STATUS_RUNNING); /* never pending: never claimed */

    swarm_task_list_free(&l);
    swarm_task_clear(&got);
    swarm_task_clear(&out);
    for (int i = 0; i < N; i++)
        swarm_task_clear(&t[i]);
    clear_agents(a, 2);
}

/* requeue: retry_count = retry_count + 1 in the same atomic update; a result
 * out of the field's range (u32) is refused with the same error on every
 * backend, and nothing changes. */
static void test_task_requeue_arithmetic(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[1];
    seed_agents(db, a, 1);
    swarm_task t[2], got;
    task_make(&t[0], 1, SWARM_TASK_PRIORITY_MEDIUM, 1);
    task_make(&t[1], 2, SWARM_TASK_PRIORITY_MEDIUM, 2);
    t[1].retry_count = UINT32_MAX;
    OK(swarm_task_insert_many(db, t, 2, err));
    swarm_task_init(&got);
    bool found = false;
    OK(swarm_task_claim_next(db, a[0].id, &got, &found, err));
    assert_string_equal(got.id, t[0].id);
    for (uint32_t i = 1; i <= 3; i++) {
        OK(swarm_task_requeue(db, t[0].id, err));
        OK(swarm_task_get(db, t[0].id, &got, &found, err));
        assert_int_equal(got.retry_count, i);
        assert_int_equal(got.status, SWARM_TASK_STATUS_PENDING);
        assert_false(got.has_assigned_to);
    }
    /* inside a transaction, undone by its rollback */
    swarm_tx *tx = swarm_begin(db, NULL);
    assert_non_null(tx);
    OK(swarm_task_requeue(swarm_tx_db(tx), t[0].id, err));
    OK(swarm_rollback(tx, err));
    swarm_tx_free(tx);
    OK(swarm_task_get(db, t[0].id, &got, &found, err));
    assert_int_equal(got.retry_count, 3);
    /* 4294967295 + 1 does not fit a u32 */
    dal_error e = {0};
    assert_int_equal(swarm_task_requeue(db, t[1].id, &e), DAL_ERR_CONSTRAINT);
    assert_string_equal(e.message, "Task.requeue: the new tasks.retry_count (retry_count + the amount) is out of "
                                   "range for u32; nothing was changed");
    OK(swarm_task_get(db, t[1].id, &got, &found, err));
    assert_int_equal(got.retry_count, UINT32_MAX);
    /* a task that does not exist: not found, as for every update -> one */
    char missing[DAL_UUID_SIZE];
    uuid_n(missing, 999);
    assert_int_equal(swarm_task_requeue(db, missing, &e), DAL_ERR_NOT_FOUND);
    swarm_task_clear(&got);
    swarm_task_clear(&t[0]);
    swarm_task_clear(&t[1]);
    clear_agents(a, 1);
}

typedef struct next_racer {
    race *r;
    int k;
    int wins;
    dal_code rc;
    dal_error err;
} next_racer;

/* Claims until the queue is empty: even threads one at a time, odd ones in
 * batches of 7. Counts each claimed task by its number. */
static void *next_race_thread(void *arg)
{
    next_racer *me = arg;
    swarm_task out;
    swarm_task_init(&out);
    swarm_task_list l = {0, NULL};
    for (;;) {
        size_t got = 0;
        if (me->k % 2 == 0) {
            bool found = false;
            me->rc = swarm_task_claim_next(me->r->db, me->r->agents[me->k], &out, &found, &me->err);
            if (me->rc != DAL_OK || !found)
                break;
            got = 1;
        } else {
            me->rc = swarm_task_claim_batch(me->r->db, me->r->agents[me->k], 7, &l, &me->err);
            if (me->rc != DAL_OK || l.n == 0)
                break;
            got = l.n;
        }
        for (size_t j = 0; j < got; j++) {
            const swarm_task *t = me->k % 2 == 0 ? &out : &l.v[j];
            unsigned n = (unsigned)strtoul(t->id + 24, NULL, 10) - 2000;
            if (n < RACE_TASKS && strcmp(t->assigned_to, me->r->agents[me->k]) == 0)
                atomic_fetch_add(&me->r->wins_per_task[n], 1);
            else
                atomic_fetch_add(&me->r->wins_per_task[0], 1000); /* a wrong row: fails the count */
            me->wins++;
        }
    }
    swarm_task_clear(&out);
    swarm_task_list_free(&l);
    return NULL;
}

static void test_task_claim_next_race(void **state)
{
    swarm_db *db = *state;
#ifdef __EMSCRIPTEN__
    skip(); /* no threads in the browser build */
#endif
    static race r;
    memset(&r, 0, sizeof r);
    r.db = db;
    swarm_agent a[RACE_THREADS];
    seed_agents(db, a, RACE_THREADS);
    for (int k = 0; k < RACE_THREADS; k++)
        memcpy(r.agents[k], a[k].id, DAL_UUID_SIZE);
    r.tasks = calloc(RACE_TASKS, sizeof *r.tasks);
    assert_non_null(r.tasks);
    for (int i = 0; i < RACE_TASKS; i++)
        task_make(&r.tasks[i], (unsigned)i, (swarm_task_priority)(i % 4), i);
    OK(swarm_task_insert_many(db, r.tasks, RACE_TASKS, err));

    pthread_t th[RACE_THREADS];
    next_racer rs[RACE_THREADS];
    for (int k = 0; k < RACE_THREADS; k++) {
        rs[k] = (next_racer){.r = &r, .k = k};
        assert_int_equal(pthread_create(&th[k], NULL, next_race_thread, &rs[k]), 0);
    }
    int total = 0;
    for (int k = 0; k < RACE_THREADS; k++) {
        pthread_join(th[k], NULL);
        if (rs[k].rc != DAL_OK)
            fail_msg("claimer %d: %s", k, rs[k].err.message);
        total += rs[k].wins;
    }
    /* every task claimed exactly once, by the worker that got it back */
    assert_int_equal(total, RACE_TASKS);
    for (int i = 0; i < RACE_TASKS; i++)
        assert_int_equal(atomic_load(&r.wins_per_task[i]), 1);
    swarm_task_list l = {0, NULL};
    OK(swarm_task_pending(db, &l, err));
    assert_int_equal(l.n, 0);
    int owned = 0;
    for (int k = 0; k < RACE_THREADS; k++) {
        OK(swarm_task_by_agent(db, r.agents[k], &l, err));
        assert_int_equal(l.n, (size_t)rs[k].wins);
        owned += (int)l.n;
    }
    assert_int_equal(owned, RACE_TASKS);
    swarm_task_list_free(&l);
    for (int i = 0; i < RACE_TASKS; i++)
        swarm_task_clear(&r.tasks[i]);
    free(r.tasks);
    clear_agents(a, RACE_THREADS);
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

static void test_event_sequence(void **state)
{
    swarm_db *db = *state;
    swarm_event e[6];
    for (unsigned i = 0; i < 3; i++) {
        event_make(&e[i], i, "boot", NULL, 10);
        e[i].sequence = 77; /* storage assigns, whatever the caller wrote */
        OK(swarm_event_insert(db, &e[i], err));
        assert_int_equal(e[i].sequence, i + 1);
    }
    for (unsigned i = 3; i < 6; i++)
        event_make(&e[i], i, "boot", NULL, 10);
    OK(swarm_event_insert_many(db, &e[3], 3, err));
    for (unsigned i = 3; i < 6; i++)
        assert_int_equal(e[i].sequence, i + 1);
    /* never reused, even after deletes */
    OK(swarm_event_delete(db, e[5].id, err));
    swarm_event f;
    event_make(&f, 6, "boot", NULL, 10);
    OK(swarm_event_insert(db, &f, err));
    assert_int_equal(f.sequence, 7);
    swarm_event out;
    swarm_event_init(&out);
    bool found = false;
    OK(swarm_event_get(db, e[1].id, &out, &found, err));
    assert_int_equal(out.sequence, 2);
    for (int i = 0; i < 6; i++)
        swarm_event_clear(&e[i]);
    swarm_event_clear(&f);
    swarm_event_clear(&out);
}

static void test_event_queries(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[2];
    seed_agents(db, a, 2);
    /* n: type, agent, timestamp; 2 and 3 share a timestamp */
    struct {
        const char *type;
        int agent;
        int64_t ts;
    } spec[7] = {
        {"start", 0, 100}, {"stop", 0, 300}, {"start", 0, 200}, {"start", 0, 200},
        {"start", 1, 400}, {"start", -1, 250}, {"stop", 1, 50},
    };
    swarm_event e[7];
    for (unsigned i = 0; i < 7; i++)
        event_make(&e[i], i, spec[i].type, spec[i].agent >= 0 ? a[spec[i].agent].id : NULL, spec[i].ts);
    OK(swarm_event_insert_many(db, e, 7, err));
    swarm_event_list l = {0, NULL};

    /* by agent: newest first (timestamp desc, id desc), at most limit */
    OK(swarm_event_by_agent(db, a[0].id, 10, &l, err));
    assert_int_equal(l.n, 4);
    const int want_a[4] = {1, 3, 2, 0};
    for (int i = 0; i < 4; i++)
        assert_string_equal(l.v[i].id, e[want_a[i]].id);
    OK(swarm_event_by_agent(db, a[0].id, 2, &l, err));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[1].id, e[3].id);
    OK(swarm_event_by_agent(db, a[0].id, 0, &l, err));
    assert_int_equal(l.n, 0);

    /* by type */
    OK(swarm_event_by_type(db, "start", 3, &l, err));
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].id, e[4].id);
    assert_string_equal(l.v[1].id, e[5].id);
    assert_string_equal(l.v[2].id, e[3].id);
    OK(swarm_event_by_type(db, "stop", 100, &l, err));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].id, e[1].id);
    assert_string_equal(l.v[1].id, e[6].id);

    /* since: timestamp >= ts (inclusive), oldest first, ties by id asc */
    OK(swarm_event_since(db, 200, &l, err));
    const int want_s[5] = {2, 3, 5, 1, 4};
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.v[i].id, e[want_s[i]].id);
    OK(swarm_event_since(db, 401, &l, err));
    assert_int_equal(l.n, 0);

    /* before: delete timestamp < ts, count */
    int64_t changed = -1;
    OK(swarm_event_before(db, 200, &changed, err));
    assert_int_equal(changed, 2); /* 100 and 50 */
    OK(swarm_event_since(db, 0, &l, err));
    assert_int_equal(l.n, 5);
    OK(swarm_event_before(db, 0, &changed, err));
    assert_int_equal(changed, 0);

    swarm_event_list_free(&l);
    for (int i = 0; i < 7; i++)
        swarm_event_clear(&e[i]);
    clear_agents(a, 2);
}

static void test_timestamps_far_past_and_future(void **state)
{
    swarm_db *db = *state;
    const int64_t ts[4] = {
        -2208988800000000 + 1, /* 1900-01-01T00:00:00.000001Z */
        -1,                    /* 1969-12-31T23:59:59.999999Z */
        4102444800000000,      /* 2100-01-01 */
        253402300799999999,    /* 9999-12-31T23:59:59.999999Z */
    };
    swarm_event e[4];
    for (unsigned i = 0; i < 4; i++)
        event_make(&e[i], i, "t", NULL, ts[3 - i]);
    OK(swarm_event_insert_many(db, e, 4, err));
    swarm_event_list l = {0, NULL};
    OK(swarm_event_since(db, INT64_MIN + 1, &l, err));
    assert_int_equal(l.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(l.v[i].timestamp, ts[i]);
    OK(swarm_event_since(db, 0, &l, err));
    assert_int_equal(l.n, 2);
    swarm_event out;
    swarm_event_init(&out);
    bool found = false;
    OK(swarm_event_get(db, e[3].id, &out, &found, err));
    assert_int_equal(out.timestamp, ts[0]);
    swarm_event_list_free(&l);
    swarm_event_clear(&out);
    for (int i = 0; i < 4; i++)
        swarm_event_clear(&e[i]);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */
/* ------------------------------------------------------------------------ */

static void test_messages(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[3];
    seed_agents(db, a, 3);
    /* from, to, created */
    struct {
        int from, to;
        int64_t created;
    } spec[6] = {
        {0, 1, 10}, {1, 0, 20}, {0, 1, 30}, {0, 2, 40}, {2, 1, 50}, {1, 0, 20},
    };
    swarm_message m[6];
    for (unsigned i = 0; i < 6; i++)
        message_make(&m[i], i, a[spec[i].from].id, a[spec[i].to].id, spec[i].created);
    m[4].priority = SWARM_MESSAGE_PRIORITY_URGENT;
    OK(swarm_message_insert_many(db, m, 6, err));
    swarm_message_list l = {0, NULL};

    /* between: both directions, newest first (ties by id), at most limit */
    OK(swarm_message_between(db, a[0].id, a[1].id, 10, &l, err));
    const int want[4] = {2, 1, 5, 0};
    assert_int_equal(l.n, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(l.v[i].id, m[want[i]].id);
    OK(swarm_message_between(db, a[1].id, a[0].id, 2, &l, err));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].id, m[2].id);
    assert_string_equal(l.v[1].id, m[1].id);

    /* unread: to the agent, not read, oldest first */
    OK(swarm_message_unread(db, a[1].id, &l, err));
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].id, m[0].id);
    assert_string_equal(l.v[1].id, m[2].id);
    assert_string_equal(l.v[2].id, m[4].id);
    assert_int_equal(l.v[2].priority, SWARM_MESSAGE_PRIORITY_URGENT);
    assert_int_equal(l.v[0].priority, SWARM_MESSAGE_PRIORITY_NORMAL);

    /* mark_read: read and read_at set; gone from unread */
    int64_t before = dal_now_us();
    OK(swarm_message_mark_read(db, m[2].id, err));
    swarm_message out;
    swarm_message_init(&out);
    bool found = false;
    OK(swarm_message_get(db, m[2].id, &out, &found, err));
    assert_true(out.read);
    assert_true(out.has_read_at);
    assert_true(out.read_at >= before && out.read_at <= dal_now_us());
    OK(swarm_message_unread(db, a[1].id, &l, err));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].id, m[0].id);
    assert_string_equal(l.v[1].id, m[4].id);
    /* NotFound when missing */
    char missing[DAL_UUID_SIZE];
    uuid_n(missing, 999);
    dal_error err = {0};
    assert_int_equal(swarm_message_mark_read(db, missing, &err), DAL_ERR_NOT_FOUND);
    assert_contains(err.message, missing);

    swarm_message_list_free(&l);
    swarm_message_clear(&out);
    for (int i = 0; i < 6; i++)
        swarm_message_clear(&m[i]);
    clear_agents(a, 3);
}

/* ------------------------------------------------------------------------ */
/* Metrics                                                                   */
/* ------------------------------------------------------------------------ */

static void test_metrics(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[2];
    seed_agents(db, a, 2);
    /* type, agent, value, timestamp */
    struct {
        const char *type;
        int agent;
        double value;
        int64_t ts;
    } spec[9] = {
        {"cpu", 0, 1.0, 1000},  /* at start: counted */
        {"cpu", 0, 2.0, 1500},
        {"cpu", 0, 4.5, 2000},  /* at end: counted */
        {"cpu", 0, 100, 999},   /* before start */
        {"cpu", 0, 100, 2001},  /* after end */
        {"cpu", 1, 8.0, 1200},
        {"mem", 0, 64, 1100},   /* other type */
        {"cpu", -1, 3.0, 1300}, /* no agent: a group of its own, first */
        {"cpu", 1, 6.0, 1700},
    };
    swarm_metric m[9];
    for (unsigned i = 0; i < 9; i++)
        metric_make(&m[i], i, spec[i].type, spec[i].agent >= 0 ? a[spec[i].agent].id : NULL, spec[i].value,
                    spec[i].ts);
    cJSON_AddStringToObject(m[0].tags, "host", "h1");
    OK(swarm_metric_insert_many(db, m, 9, err));

    /* by agent and type: newest first */
    swarm_metric_list l = {0, NULL};
    OK(swarm_metric_by_agent(db, a[0].id, "cpu", &l, err));
    const int want[5] = {4, 2, 1, 0, 3};
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.v[i].id, m[want[i]].id);
    assert_string_equal(cJSON_GetObjectItem(l.v[3].tags, "host")->valuestring, "h1");
    OK(swarm_metric_by_agent(db, a[1].id, "mem", &l, err));
    assert_int_equal(l.n, 0);

    /* summary over [1000, 2000]: per (metric_type, agent_id), by agent_id asc
     * (no agent first): average, earliest timestamp, unit, count */
    swarm_metric_summary_row_list s = {0, NULL};
    OK(swarm_metric_summary(db, "cpu", 1000, 2000, &s, err));
    assert_int_equal(s.n, 3);
    assert_false(s.v[0].has_agent_id);
    assert_string_equal(s.v[0].metric_type, "cpu");
    assert_true(s.v[0].value == 3.0);
    assert_int_equal(s.v[0].first_seen, 1300);
    assert_int_equal(s.v[0].samples, 1);
    assert_true(s.v[1].has_agent_id);
    assert_string_equal(s.v[1].agent_id, a[0].id);
    assert_true(s.v[1].value == 2.5);
    assert_int_equal(s.v[1].first_seen, 1000);
    assert_int_equal(s.v[1].samples, 3);
    assert_string_equal(s.v[1].unit, "ms");
    assert_string_equal(s.v[2].agent_id, a[1].id);
    assert_true(s.v[2].value == 7.0);
    assert_int_equal(s.v[2].first_seen, 1200);
    assert_int_equal(s.v[2].samples, 2);
    OK(swarm_metric_summary(db, "cpu", 3000, 4000, &s, err));
    assert_int_equal(s.n, 0);
    OK(swarm_metric_summary(db, "mem", 1100, 1100, &s, err));
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].samples, 1);

    swarm_metric_summary_row_list_free(&s);
    swarm_metric_list_free(&l);
    for (int i = 0; i < 9; i++)
        swarm_metric_clear(&m[i]);
    clear_agents(a, 2);
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

/* A read of the agents from another thread, while a transaction is open. */
typedef struct peek {
    swarm_db *db;
    const char *id;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    dal_code rc;
    int64_t count;
    bool found;
} peek;

static void *peek_thread(void *arg)
{
    peek *p = arg;
    dal_error err = {0};
    swarm_agent out;
    swarm_agent_init(&out);
    bool found = false;
    int64_t n = -1;
    dal_code rc = swarm_agent_count(p->db, &n, &err);
    if (rc == DAL_OK)
        rc = swarm_agent_get(p->db, p->id, &out, &found, &err);
    swarm_agent_clear(&out);
    pthread_mutex_lock(&p->mu);
    p->rc = rc;
    p->count = n;
    p->found = found;
    p->done = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void peek_start(peek *p, swarm_db *db, const char *id)
{
    memset(p, 0, sizeof *p);
    p->db = db;
    p->id = id;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    assert_int_equal(pthread_create(&p->th, NULL, peek_thread, p), 0);
}

/* True when the reader answered within ms. */
static bool peek_wait(peek *p, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    while (!p->done && pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
        ;
    bool done = p->done;
    pthread_mutex_unlock(&p->mu);
    return done;
}

static void peek_end(peek *p)
{
    pthread_join(p->th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

static void test_tx_commit_atomic_isolated(void **state)
{
    swarm_db *db = *state;
    dal_error err = {0};
    swarm_tx *tx = swarm_begin(db, &err);
    assert_non_null(tx);
    swarm_db *h = swarm_tx_db(tx);
    swarm_agent a;
    agent_make(&a, 1, "in-tx", 1);
    OK(swarm_agent_insert(h, &a, err));
    swarm_task t;
    task_make(&t, 1, SWARM_TASK_PRIORITY_LOW, 1);
    t.has_assigned_to = true;
    memcpy(t.assigned_to, a.id, DAL_UUID_SIZE);
    OK(swarm_task_insert(h, &t, err));
    /* inside: visible */
    int64_t n = 0;
    OK(swarm_agent_count(h, &n, err));
    assert_int_equal(n, 1);
    swarm_task_list l = {0, NULL};
    OK(swarm_task_by_agent(h, a.id, &l, err));
    assert_int_equal(l.n, 1);
    /* outside: not yet (a reader on another thread sees nothing, or waits
     * for the commit, as a backend with a database-wide lock does) */
#ifndef __EMSCRIPTEN__ /* no threads in the browser build */
    peek p;
    peek_start(&p, db, a.id);
    bool answered = peek_wait(&p, backend_is("sqlite") ? 5000 : 300);
    if (backend_is("sqlite"))
        assert_true(answered); /* WAL: readers never wait for a writer */
    if (answered) {
        assert_int_equal(p.rc, DAL_OK);
        assert_int_equal(p.count, 0);
        assert_false(p.found);
    }
    OK(swarm_commit(tx, err));
    peek_end(&p);
    if (!answered) { /* it read after the commit */
        assert_int_equal(p.rc, DAL_OK);
        assert_int_equal(p.count, 1);
    }
#else
    OK(swarm_commit(tx, err));
#endif
    /* after commit: both */
    assert_int_equal(agent_count(db), 1);
    OK(swarm_task_by_agent(db, a.id, &l, err));
    assert_int_equal(l.n, 1);
    /* the finished transaction's handle refuses work */
    swarm_agent b;
    agent_make(&b, 2, "late", 2);
    assert_int_equal(swarm_agent_insert(h, &b, &err), DAL_ERR_TRANSACTION);
    assert_int_equal(swarm_agent_count(h, &n, &err), DAL_ERR_TRANSACTION);
    assert_int_equal(swarm_commit(tx, &err), DAL_ERR_TRANSACTION);
    assert_int_equal(swarm_rollback(tx, &err), DAL_ERR_TRANSACTION);
    assert_int_equal(agent_count(db), 1);
    swarm_tx_free(tx);
    swarm_task_list_free(&l);
    swarm_agent_clear(&a);
    swarm_agent_clear(&b);
    swarm_task_clear(&t);
}

static void test_tx_rollback(void **state)
{
    swarm_db *db = *state;
    swarm_agent keep;
    agent_make(&keep, 1, "keep", 1);
    OK(swarm_agent_insert(db, &keep, err));
    dal_error err = {0};
    swarm_tx *tx = swarm_begin(db, &err);
    assert_non_null(tx);
    swarm_agent a;
    agent_make(&a, 2, "gone", 2);
    OK(swarm_agent_insert(swarm_tx_db(tx), &a, err));
    OK(swarm_agent_delete(swarm_tx_db(tx), keep.id, err));
    OK(swarm_rollback(tx, err));
    assert_int_equal(agent_count(db), 1);
    swarm_agent out;
    swarm_agent_init(&out);
    bool found = false;
    OK(swarm_agent_get(db, keep.id, &out, &found, err));
    assert_true(found);
    OK(swarm_agent_get(db, a.id, &out, &found, err));
    assert_false(found);
    assert_int_equal(swarm_agent_insert(swarm_tx_db(tx), &a, &err), DAL_ERR_TRANSACTION);
    swarm_tx_free(tx);

    /* rollback on free */
    tx = swarm_begin(db, &err);
    assert_non_null(tx);
    OK(swarm_agent_insert(swarm_tx_db(tx), &a, err));
    swarm_tx_free(tx);
    assert_int_equal(agent_count(db), 1);
    /* the connection went back clean: the database takes writes */
    OK(swarm_agent_insert(db, &a, err));
    assert_int_equal(agent_count(db), 2);
    swarm_agent_clear(&keep);
    swarm_agent_clear(&a);
    swarm_agent_clear(&out);
}

static void test_tx_savepoints(void **state)
{
    swarm_db *db = *state;
    dal_error err = {0};
    swarm_agent a[4];
    for (unsigned i = 0; i < 4; i++)
        agent_make(&a[i], i + 1, "x", i);
    swarm_tx *outer = swarm_begin(db, &err);
    assert_non_null(outer);
    OK(swarm_agent_insert(swarm_tx_db(outer), &a[0], err));
    /* nested, rolled back: the outer work stays */
    swarm_tx *inner = swarm_begin(swarm_tx_db(outer), &err);
    assert_non_null(inner);
    OK(swarm_agent_insert(swarm_tx_db(inner), &a[1], err));
    /* the outer handle is not usable while the nested one is active */
    assert_int_equal(swarm_agent_insert(swarm_tx_db(outer), &a[3], &err), DAL_ERR_TRANSACTION);
    int64_t n = 0;
    OK(swarm_agent_count(swarm_tx_db(inner), &n, err));
    assert_int_equal(n, 2);
    OK(swarm_rollback(inner, err));
    swarm_tx_free(inner);
    OK(swarm_agent_count(swarm_tx_db(outer), &n, err));
    assert_int_equal(n, 1);
    /* nested, committed: part of the outer */
    inner = swarm_begin(swarm_tx_db(outer), &err);
    assert_non_null(inner);
    OK(swarm_agent_insert(swarm_tx_db(inner), &a[2], err));
    OK(swarm_commit(inner, err));
    swarm_tx_free(inner);
    OK(swarm_commit(outer, err));
    swarm_tx_free(outer);
    swarm_agent_list l = {0, NULL};
    OK(swarm_agent_all(db, &l, err));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].id, a[0].id);
    assert_string_equal(l.v[1].id, a[2].id);

    /* nested committed, outer rolled back: all gone */
    outer = swarm_begin(db, &err);
    assert_non_null(outer);
    inner = swarm_begin(swarm_tx_db(outer), &err);
    assert_non_null(inner);
    OK(swarm_agent_insert(swarm_tx_db(inner), &a[3], err));
    OK(swarm_commit(inner, err));
    OK(swarm_rollback(outer, err));
    swarm_tx_free(inner);
    swarm_tx_free(outer);
    assert_int_equal(agent_count(db), 2);

    /* a failed operation inside a transaction leaves the transaction usable */
    outer = swarm_begin(db, &err);
    assert_non_null(outer);
    assert_int_equal(swarm_agent_insert(swarm_tx_db(outer), &a[0], &err), DAL_ERR_CONSTRAINT);
    OK(swarm_agent_insert(swarm_tx_db(outer), &a[3], err));
    /* a failed batch inside a transaction takes back only its own rows */
    swarm_agent batch[2];
    agent_make(&batch[0], 10, "b", 1);
    agent_make(&batch[1], 11, "b", 1);
    memcpy(batch[1].id, a[3].id, DAL_UUID_SIZE);
    assert_int_equal(swarm_agent_insert_many(swarm_tx_db(outer), batch, 2, &err), DAL_ERR_CONSTRAINT);
    OK(swarm_agent_count(swarm_tx_db(outer), &n, err));
    assert_int_equal(n, 3);
    OK(swarm_commit(outer, err));
    swarm_tx_free(outer);
    assert_int_equal(agent_count(db), 3);
    clear_agents(batch, 2);
    swarm_agent_list_free(&l);
    clear_agents(a, 4);
}

/* ------------------------------------------------------------------------ */
/* Constraints and on_delete                                                 */
/* ------------------------------------------------------------------------ */

static void test_constraint_errors(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[1];
    seed_agents(db, a, 1);
    dal_error err = {0};

    /* duplicate id: names table and column; the caller's struct unchanged */
    swarm_agent dup;
    agent_make(&dup, 1, "dup", 5);
    dup.updated_at = 3;
    assert_int_equal(swarm_agent_insert(db, &dup, &err), DAL_ERR_CONSTRAINT);
    assert_kind(&err, DAL_CONSTRAINT_UNIQUE, "agents", "id");
    assert_contains(err.message, "agents");
    assert_contains(err.message, "id");
    assert_int_equal(dup.updated_at, 3);
    assert_int_equal(agent_count(db), 1);

    /* a task assigned to an agent that does not exist */
    char ghost[DAL_UUID_SIZE];
    uuid_n(ghost, 999);
    swarm_task t;
    task_make(&t, 1, SWARM_TASK_PRIORITY_LOW, 1);
    t.has_assigned_to = true;
    memcpy(t.assigned_to, ghost, DAL_UUID_SIZE);
    assert_int_equal(swarm_task_insert(db, &t, &err), DAL_ERR_CONSTRAINT);
    assert_kind(&err, DAL_CONSTRAINT_FOREIGN_KEY, "tasks", "assigned_to");
    assert_contains(err.message, "tasks");
    assert_contains(err.message, "assigned_to");
    /* a message from nobody */
    swarm_message m;
    message_make(&m, 1, ghost, a[0].id, 1);
    assert_int_equal(swarm_message_insert(db, &m, &err), DAL_ERR_CONSTRAINT);
    assert_kind(&err, DAL_CONSTRAINT_FOREIGN_KEY, "messages", "from_agent");
    assert_contains(err.message, "messages");
    assert_contains(err.message, "from_agent");
    /* claiming for an agent that does not exist */
    t.has_assigned_to = false;
    OK(swarm_task_insert(db, &t, err));
    bool claimed = true;
    assert_int_equal(swarm_task_claim(db, t.id, ghost, &claimed, &err), DAL_ERR_CONSTRAINT);
    assert_kind(&err, DAL_CONSTRAINT_FOREIGN_KEY, "tasks", "assigned_to");
    assert_contains(err.message, "assigned_to");
    /* an event for a task that does not exist */
    swarm_event e;
    event_make(&e, 1, "x", NULL, 1);
    e.has_task_id = true;
    memcpy(e.task_id, ghost, DAL_UUID_SIZE);
    assert_int_equal(swarm_event_insert(db, &e, &err), DAL_ERR_CONSTRAINT);
    assert_kind(&err, DAL_CONSTRAINT_FOREIGN_KEY, "events", "task_id");
    assert_contains(err.message, "events");
    assert_contains(err.message, "task_id");

    swarm_agent_clear(&dup);
    swarm_task_clear(&t);
    swarm_message_clear(&m);
    swarm_event_clear(&e);
    clear_agents(a, 1);
}

static void test_on_delete(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[3];
    seed_agents(db, a, 3);
    swarm_message m[3];
    message_make(&m[0], 0, a[0].id, a[1].id, 1);
    message_make(&m[1], 1, a[1].id, a[0].id, 2);
    message_make(&m[2], 2, a[1].id, a[2].id, 3);
    OK(swarm_message_insert_many(db, m, 3, err));
    swarm_task t;
    task_make(&t, 1, SWARM_TASK_PRIORITY_LOW, 1);
    t.has_assigned_to = true;
    memcpy(t.assigned_to, a[0].id, DAL_UUID_SIZE);
    OK(swarm_task_insert(db, &t, err));
    swarm_event e;
    event_make(&e, 1, "x", a[0].id, 1);
    e.has_task_id = true;
    memcpy(e.task_id, t.id, DAL_UUID_SIZE);
    OK(swarm_event_insert(db, &e, err));
    swarm_metric mt;
    metric_make(&mt, 1, "cpu", a[0].id, 1, 1);
    OK(swarm_metric_insert(db, &mt, err));

    OK(swarm_agent_delete(db, a[0].id, err));
    /* messages: cascade (from or to the agent) */
    int64_t n = 0;
    OK(swarm_message_count(db, &n, err));
    assert_int_equal(n, 1);
    swarm_message_list ml = {0, NULL};
    OK(swarm_message_all(db, &ml, err));
    assert_string_equal(ml.v[0].id, m[2].id);
    /* tasks, events, metrics: set null */
    swarm_task to;
    swarm_task_init(&to);
    bool found = false;
    OK(swarm_task_get(db, t.id, &to, &found, err));
    assert_true(found);
    assert_false(to.has_assigned_to);
    swarm_event eo;
    swarm_event_init(&eo);
    OK(swarm_event_get(db, e.id, &eo, &found, err));
    assert_true(found);
    assert_false(eo.has_agent_id);
    assert_true(eo.has_task_id);
    OK(swarm_task_delete(db, t.id, err));
    OK(swarm_event_get(db, e.id, &eo, &found, err));
    assert_false(eo.has_task_id);
    swarm_metric mo;
    swarm_metric_init(&mo);
    OK(swarm_metric_get(db, mt.id, &mo, &found, err));
    assert_false(mo.has_agent_id);

    swarm_message_list_free(&ml);
    for (int i = 0; i < 3; i++)
        swarm_message_clear(&m[i]);
    swarm_task_clear(&t);
    swarm_task_clear(&to);
    swarm_event_clear(&e);
    swarm_event_clear(&eo);
    swarm_metric_clear(&mt);
    swarm_metric_clear(&mo);
    clear_agents(a, 3);
}

/* ------------------------------------------------------------------------ */
/* Data as data: injection strings, unicode                                  */
/* ------------------------------------------------------------------------ */

static void test_injection_strings_are_data(void **state)
{
    swarm_db *db = *state;
    for (unsigned i = 0; i < N_INJECTIONS; i++) {
        const char *s = injections[i];
        swarm_agent a, ao;
        agent_make(&a, i, s, i);
        assert_true(dal_strset(&a.agent_type, s));
        assert_true(dal_text_list_push(&a.capabilities, s));
        cJSON_AddStringToObject(a.metadata, s, s);
        OK(swarm_agent_insert(db, &a, err));
        swarm_agent_init(&ao);
        bool found = false;
        OK(swarm_agent_get(db, a.id, &ao, &found, err));
        assert_true(found);
        assert_true(swarm_agent_equal(&a, &ao));
        assert_string_equal(ao.name, s);

        swarm_task t, to;
        task_make(&t, i, SWARM_TASK_PRIORITY_LOW, i);
        assert_true(dal_strset(&t.task_type, s));
        assert_true(dal_strset(&t.error, s));
        t.result = cJSON_CreateString(s);
        OK(swarm_task_insert(db, &t, err));
        swarm_task_init(&to);
        OK(swarm_task_get(db, t.id, &to, &found, err));
        assert_true(swarm_task_equal(&t, &to));

        swarm_event e;
        event_make(&e, i, s, a.id, i);
        OK(swarm_event_insert(db, &e, err));
        swarm_event_list el = {0, NULL};
        OK(swarm_event_by_type(db, s, 10, &el, err));
        assert_int_equal(el.n, 1);
        assert_string_equal(el.v[0].event_type, s);

        swarm_message m;
        message_make(&m, i, a.id, a.id, i);
        assert_true(dal_strset(&m.message_type, s));
        OK(swarm_message_insert(db, &m, err));

        swarm_metric mt;
        metric_make(&mt, i, s, a.id, 1.0, 10);
        assert_true(dal_strset(&mt.unit, s));
        cJSON_AddStringToObject(mt.tags, s, s);
        OK(swarm_metric_insert(db, &mt, err));
        swarm_metric_list ml = {0, NULL};
        OK(swarm_metric_by_agent(db, a.id, s, &ml, err));
        assert_int_equal(ml.n, 1);
        assert_true(swarm_metric_equal(&mt, &ml.v[0]));
        swarm_metric_summary_row_list sl = {0, NULL};
        OK(swarm_metric_summary(db, s, 0, 100, &sl, err));
        assert_int_equal(sl.n, 1);
        assert_string_equal(sl.v[0].metric_type, s);
        assert_string_equal(sl.v[0].unit, s);

        /* injection strings where ids go are not uuids: refused before any
         * backend sees them, and nothing breaks */
        dal_error ie = {0}, *err = &ie;
        swarm_task_list tl = {0, NULL};
        assert_int_equal(swarm_task_by_agent(db, s, &tl, err), DAL_ERR_INVALID);
        assert_non_null(strstr(ie.message, "agent_id"));
        assert_int_equal(tl.n, 0);
        swarm_message_list msl = {0, NULL};
        assert_int_equal(swarm_message_between(db, s, a.id, 5, &msl, err), DAL_ERR_INVALID);
        assert_int_equal(msl.n, 0);
        assert_int_equal(swarm_message_unread(db, s, &msl, err), DAL_ERR_INVALID);
        assert_int_equal(msl.n, 0);
        assert_int_equal(swarm_event_by_agent(db, s, 5, &el, err), DAL_ERR_INVALID);
        assert_int_equal(el.n, 1); /* unchanged: the by_type result from above */
        bool claimed = false;
        assert_int_equal(swarm_task_claim(db, s, a.id, &claimed, err), DAL_ERR_INVALID);
        assert_false(claimed);
        found = true;
        assert_int_equal(swarm_agent_get(db, s, &ao, &found, err), DAL_ERR_INVALID);
        assert_true(found); /* untouched */
        found = false;
        assert_int_equal(swarm_agent_delete(db, s, err), DAL_ERR_INVALID);

        swarm_agent_clear(&a);
        swarm_agent_clear(&ao);
        swarm_task_clear(&t);
        swarm_task_clear(&to);
        swarm_event_clear(&e);
        swarm_event_list_free(&el);
        swarm_message_clear(&m);
        swarm_message_list_free(&msl);
        swarm_metric_clear(&mt);
        swarm_metric_list_free(&ml);
        swarm_metric_summary_row_list_free(&sl);
        swarm_task_list_free(&tl);
    }
    /* every table is still there, with every row */
    assert_int_equal(agent_count(db), (int64_t)N_INJECTIONS);
    int64_t n = 0;
    OK(swarm_task_count(db, &n, err));
    assert_int_equal(n, (int64_t)N_INJECTIONS);
    OK(swarm_event_count(db, &n, err));
    assert_int_equal(n, (int64_t)N_INJECTIONS);
    OK(swarm_message_count(db, &n, err));
    assert_int_equal(n, (int64_t)N_INJECTIONS);
}

static void test_unicode(void **state)
{
    swarm_db *db = *state;
    const char *names[3] = {"\xc3\xa9t\xc3\xa9 \xe2\x98\x83",           /* été ☃ */
                            "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",    /* 日本語 */
                            "\xf0\x9f\x90\x9d bee \xf0\x9f\x8c\xbb"}; /* 🐝 bee 🌻 */
    swarm_agent a[3], out;
    swarm_agent_init(&out);
    for (unsigned i = 0; i < 3; i++) {
        agent_make(&a[i], i, names[i], i);
        assert_true(dal_text_list_push(&a[i].capabilities, names[i]));
        cJSON_AddStringToObject(a[i].metadata, names[i], names[i]);
        OK(swarm_agent_insert(db, &a[i], err));
        bool found = false;
        OK(swarm_agent_get(db, a[i].id, &out, &found, err));
        assert_true(swarm_agent_equal(&a[i], &out));
        assert_string_equal(out.name, names[i]);
    }
    swarm_event e;
    event_make(&e, 1, names[2], NULL, 5);
    OK(swarm_event_insert(db, &e, err));
    swarm_event_list l = {0, NULL};
    OK(swarm_event_by_type(db, names[2], 5, &l, err));
    assert_int_equal(l.n, 1);
    OK(swarm_event_by_type(db, names[1], 5, &l, err));
    assert_int_equal(l.n, 0);
    swarm_event_list_free(&l);
    swarm_event_clear(&e);
    swarm_agent_clear(&out);
    clear_agents(a, 3);
}

/* ------------------------------------------------------------------------ */
/* Upsert, insert_many, count, list, maintenance                             */
/* ------------------------------------------------------------------------ */

static void test_upsert(void **state)
{
    swarm_db *db = *state;
    swarm_agent a, out;
    agent_make(&a, 1, "first", 10);
    OK(swarm_agent_upsert(db, &a, err)); /* inserts */
    assert_int_equal(agent_count(db), 1);
    assert_true(dal_strset(&a.name, "second"));
    a.status = SWARM_AGENT_STATUS_PAUSED;
    OK(swarm_agent_upsert(db, &a, err)); /* replaces */
    assert_int_equal(agent_count(db), 1);
    swarm_agent_init(&out);
    bool found = false;
    OK(swarm_agent_get(db, a.id, &out, &found, err));
    assert_string_equal(out.name, "second");
    assert_int_equal(out.status, SWARM_AGENT_STATUS_PAUSED);
    assert_int_equal(out.created_at, 10);
    /* events: the sequence is assigned on insert only */
    swarm_event e;
    event_make(&e, 1, "x", NULL, 1);
    OK(swarm_event_upsert(db, &e, err));
    assert_int_equal(e.sequence, 1);
    assert_true(dal_strset(&e.event_type, "y"));
    e.sequence = 50;
    OK(swarm_event_upsert(db, &e, err));
    assert_int_equal(e.sequence, 1);
    swarm_event e2;
    event_make(&e2, 2, "z", NULL, 1);
    OK(swarm_event_upsert(db, &e2, err));
    assert_int_equal(e2.sequence, 2);
    swarm_agent_clear(&a);
    swarm_agent_clear(&out);
    swarm_event_clear(&e);
    swarm_event_clear(&e2);
}

static void test_insert_many_atomic(void **state)
{
    swarm_db *db = *state;
    dal_error err = {0};
    swarm_agent a[3];
    for (unsigned i = 0; i < 3; i++)
        agent_make(&a[i], i + 1, "m", i);
    memcpy(a[2].id, a[0].id, DAL_UUID_SIZE); /* the third repeats the first */
    assert_int_equal(swarm_agent_insert_many(db, a, 3, &err), DAL_ERR_CONSTRAINT);
    assert_int_equal(agent_count(db), 0);
    uuid_n(a[2].id, 3);
    OK(swarm_agent_insert_many(db, a, 3, err));
    assert_int_equal(agent_count(db), 3);
    /* a bad reference in the middle of a batch: none of it */
    char ghost[DAL_UUID_SIZE];
    uuid_n(ghost, 999);
    swarm_task t[3];
    for (unsigned i = 0; i < 3; i++)
        task_make(&t[i], i, SWARM_TASK_PRIORITY_LOW, i);
    t[1].has_assigned_to = true;
    memcpy(t[1].assigned_to, ghost, DAL_UUID_SIZE);
    assert_int_equal(swarm_task_insert_many(db, t, 3, &err), DAL_ERR_CONSTRAINT);
    int64_t n = -1;
    OK(swarm_task_count(db, &n, err));
    assert_int_equal(n, 0);
    /* events: no sequence value is used up by the failed batch's rows */
    swarm_event e[2];
    event_make(&e[0], 1, "x", ghost, 1);
    event_make(&e[1], 2, "x", NULL, 1);
    assert_int_equal(swarm_event_insert_many(db, e, 2, &err), DAL_ERR_CONSTRAINT);
    assert_int_equal(e[1].sequence, 0);
    e[0].has_agent_id = false;
    OK(swarm_event_insert_many(db, e, 2, err));
    assert_true(e[0].sequence >= 1);
    assert_int_equal(e[1].sequence, e[0].sequence + 1);
    /* zero rows: fine */
    OK(swarm_agent_insert_many(db, a, 0, err));
    clear_agents(a, 3);
    for (int i = 0; i < 3; i++)
        swarm_task_clear(&t[i]);
    swarm_event_clear(&e[0]);
    swarm_event_clear(&e[1]);
}

static void test_maintenance(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[20];
    seed_agents(db, a, 20);
    OK(swarm_checkpoint(db, err));
    OK(swarm_vacuum(db, err));
    uint64_t bytes = 0;
    OK(swarm_storage_size(db, &bytes, err));
    if (backend_is("sqlite"))
        assert_true(bytes > 0);
    dal_pool_status st;
    OK(swarm_pool_status(db, &st, err));
    if (backend_is("sqlite")) {
        assert_true(st.max >= 1);
        assert_int_equal(st.active, 0);
    }
    assert_int_equal(agent_count(db), 20);
    clear_agents(a, 20);
}

/* ------------------------------------------------------------------------ */

static int suite_setup(void **state)
{
    (void)state;
    return template_dir_make("dal-conformance");
}

static int suite_teardown(void **state)
{
    (void)state;
    return template_dir_remove();
}

#define T(f) cmocka_unit_test_setup_teardown(f, db_setup, db_teardown)

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s URL-TEMPLATE   e.g. 'sqlite:{dir}/c{n}.db' or 'memory:c{n}'\n", argv[0]);
        return 2;
    }
    g_template = argv[1];
    const struct CMUnitTest tests[] = {
        T(test_agent_store_get),
        T(test_agent_update),
        T(test_agent_delete_idempotent),
        T(test_agent_lists),
        T(test_task_store_get_update),
        T(test_task_pending_and_by_agent),
        T(test_task_claim),
        T(test_task_claim_race),
        T(test_task_claim_next),
        T(test_task_requeue_arithmetic),
        T(test_task_claim_next_race),
        T(test_event_sequence),
        T(test_event_queries),
        T(test_timestamps_far_past_and_future),
        T(test_messages),
        T(test_metrics),
        T(test_tx_commit_atomic_isolated),
        T(test_tx_rollback),
        T(test_tx_savepoints),
        T(test_constraint_errors),
        T(test_on_delete),
        T(test_injection_strings_are_data),
        T(test_unicode),
        T(test_upsert),
        T(test_insert_many_atomic),
        T(test_maintenance),
    };
    char title[300];
    snprintf(title, sizeof title, "conformance %s", g_template);
    return _cmocka_run_group_tests(title, tests, sizeof tests / sizeof tests[0], suite_setup, suite_teardown);
}
