/*
 * test_validation.c - values every backend accepts and refuses alike.
 *
 * Each test runs on both built backends (SQLite in a temporary directory and
 * memory). First the defects this validation closes, one test each; then a
 * property test: random rows, valid and invalid, through insert, insert_many,
 * update, upsert and the typed builder on both backends at once, with the
 * same decision and code on both and as predicted by the rules; every
 * accepted row reads back equal through get, the list operations and
 * to_json / from_json.
 *
 * DAL_PROPERTY_ROUNDS=N (default 300) sets the property test's rounds.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "swarm/swarm.h"
#include "test_util.h"

static char g_dir[128];
static int g_counter;

/* A fresh database of backend b (0 sqlite, 1 memory). */
static swarm_db *open_fresh(int b)
{
    char url[256];
    g_counter++;
    if (b == 0)
        snprintf(url, sizeof url, "sqlite:%s/v%d.db", g_dir, g_counter);
    else
        snprintf(url, sizeof url, "memory:v%d", g_counter);
    dal_error err = {0};
    swarm_db *db = swarm_open(url, &err);
    if (db == NULL)
        fail_msg("cannot open %s: %s", url, err.message);
    return db;
}


/* call must fail with code, and its message must contain needle. */
#define REFUSED(code, needle, call)                                                                               \
    do {                                                                                                          \
        dal_error e_ = {0};                                                                                       \
        dal_error *err = &e_;                                                                                     \
        dal_code rc_ = (call);                                                                                    \
        if (rc_ != (code))                                                                                        \
            fail_msg("%s: want %s, got %s (%s)", #call, dal_code_name(code), dal_code_name(rc_), e_.message);     \
        if (strstr(e_.message, (needle)) == NULL)                                                                 \
            fail_msg("%s: message '%s' does not contain '%s'", #call, e_.message, (needle));                      \
    } while (0)

static void agent_new(swarm_agent *a, const char *id)
{
    swarm_agent_init(a);
    if (id != NULL)
        dal_uuidset(a->id, id);
    assert_true(dal_strset(&a->name, "a"));
    assert_true(dal_strset(&a->agent_type, "worker"));
}

static void task_new(swarm_task *t, const char *id)
{
    swarm_task_init(t);
    if (id != NULL)
        dal_uuidset(t->id, id);
    assert_true(dal_strset(&t->task_type, "compute"));
}

static void metric_new(swarm_metric *m, double value)
{
    swarm_metric_init(m);
    assert_true(dal_strset(&m->metric_type, "cpu"));
    assert_true(dal_strset(&m->unit, "%"));
    m->value = value;
}

/* ------------------------------------------------------------------------ */
/* The defects, one test each                                                */
/* ------------------------------------------------------------------------ */

/* A NULL where a value is needed: claim(NULL agent) used to succeed and
 * assign the task to nobody; get(NULL), claim(NULL id), by_type(NULL) were OK. */
static void test_null_arguments(void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        swarm_db *db = open_fresh(b);
        swarm_agent a;
        agent_new(&a, NULL);
        OK(swarm_agent_insert(db, &a, err));
        swarm_task t;
        task_new(&t, NULL);
        OK(swarm_task_insert(db, &t, err));

        bool claimed = false;
        REFUSED(DAL_ERR_INVALID, "agent_id", swarm_task_claim(db, t.id, NULL, &claimed, err));
        REFUSED(DAL_ERR_INVALID, "parameter id", swarm_task_claim(db, NULL, a.id, &claimed, err));
        assert_false(claimed);
        swarm_task out;
        swarm_task_init(&out);
        bool found = false;
        OK(swarm_task_get(db, t.id, &out, &found, err));
        assert_true(found);
        assert_int_equal(out.status, SWARM_TASK_STATUS_PENDING);
        assert_false(out.has_assigned_to);
        swarm_task_list pending = {0, NULL};
        OK(swarm_task_pending(db, &pending, err));
        assert_int_equal(pending.n, 1);

        found = true;
        REFUSED(DAL_ERR_INVALID, "key id", swarm_task_get(db, NULL, &out, &found, err));
        assert_true(found); /* untouched */
        REFUSED(DAL_ERR_INVALID, "key id", swarm_agent_delete(db, NULL, err));
        swarm_event_list el = {0, NULL};
        REFUSED(DAL_ERR_INVALID, "event_type", swarm_event_by_type(db, NULL, 10, &el, err));
        swarm_metric_list ml = {0, NULL};
        REFUSED(DAL_ERR_INVALID, "metric_type", swarm_metric_by_agent(db, a.id, NULL, &ml, err));

        /* a required text left NULL in a row */
        swarm_metric m;
        metric_new(&m, 1.0);
        free(m.unit);
        m.unit = NULL;
        REFUSED(DAL_ERR_INVALID, "Metric.unit", swarm_metric_insert(db, &m, err));
        assert_null(m.unit);

        swarm_metric_clear(&m);
        swarm_task_list_free(&pending);
        swarm_task_clear(&out);
        swarm_task_clear(&t);
        swarm_agent_clear(&a);
        swarm_close(db);
    }
}

/* A map value of the wrong shape used to be stored by SQLite and then make
 * every list of the table fail. */
static void test_map_shapes(void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        swarm_db *db = open_fresh(b);
        swarm_metric m;
        metric_new(&m, 1.0);
        cJSON_AddNumberToObject(m.tags, "core", 3);
        REFUSED(DAL_ERR_INVALID, "map<text> value 'core' is not a string", swarm_metric_insert(db, &m, err));
        swarm_metric_clear(&m);

        swarm_agent a;
        agent_new(&a, NULL);
        cJSON_Delete(a.metadata);
        a.metadata = cJSON_CreateArray();
        REFUSED(DAL_ERR_INVALID, "Agent.metadata", swarm_agent_insert(db, &a, err));
        cJSON_Delete(a.metadata);
        a.metadata = cJSON_CreateObject();
        cJSON_AddItemToObject(a.metadata, "list", cJSON_CreateArray()); /* any JSON inside map<json> */
        OK(swarm_agent_insert(db, &a, err));

        /* the update path and the builder refuse the same */
        cJSON_AddNumberToObject(a.metadata, "bad", NAN);
        REFUSED(DAL_ERR_INVALID, "non-finite", swarm_agent_update(db, &a, err));
        metric_new(&m, 2.0);
        OK(swarm_metric_insert(db, &m, err));
        cJSON *tags = cJSON_CreateObject();
        cJSON_AddTrueToObject(tags, "on");
        swarm_metric_query *q = swarm_metric_query_new();
        swarm_metric_query_set_tags(q, tags);
        REFUSED(DAL_ERR_INVALID, "not a string", swarm_metric_query_update(db, q, NULL, err));
        swarm_metric_query_free(q);
        cJSON_Delete(tags);

        swarm_metric_list ml = {0, NULL};
        OK(swarm_metric_all(db, &ml, err));
        assert_int_equal(ml.n, 1);
        swarm_agent_list al = {0, NULL};
        OK(swarm_agent_all(db, &al, err));
        assert_int_equal(al.n, 1);
        swarm_agent_list_free(&al);
        swarm_metric_list_free(&ml);
        swarm_metric_clear(&m);
        swarm_agent_clear(&a);
        swarm_close(db);
    }
}

/* uuids were neither checked nor normalised: "not-a-uuid" was stored, and the
 * upper-case form of an existing id made a second row. */
static void test_uuids(void **state)
{
    (void)state;
    const char *lower = "0193e5a0-0000-7000-8000-00000000abcd";
    const char *upper = "0193E5A0-0000-7000-8000-00000000ABCD";
    for (int b = 0; b < 2; b++) {
        swarm_db *db = open_fresh(b);
        swarm_agent a;
        agent_new(&a, "not-a-uuid");
        REFUSED(DAL_ERR_INVALID, "not a uuid", swarm_agent_insert(db, &a, err));
        assert_string_equal(a.id, "not-a-uuid"); /* a failed call leaves the row as it was */
        dal_uuidset(a.id, upper);
        OK(swarm_agent_insert(db, &a, err));
        assert_string_equal(a.id, lower); /* stored, and written back, in lower case */
        swarm_agent a2;
        agent_new(&a2, lower);
        REFUSED(DAL_ERR_CONSTRAINT, "", swarm_agent_insert(db, &a2, err));
        dal_uuidset(a2.id, upper);
        REFUSED(DAL_ERR_CONSTRAINT, "", swarm_agent_insert(db, &a2, err));
        int64_t n = 0;
        OK(swarm_agent_count(db, &n, err));
        assert_int_equal(n, 1);

        swarm_agent out;
        swarm_agent_init(&out);
        bool found = false;
        OK(swarm_agent_get(db, upper, &out, &found, err));
        assert_true(found);
        assert_string_equal(out.id, lower);
        char *json = swarm_agent_to_json(&out);
        assert_non_null(json);
        swarm_agent back;
        swarm_agent_init(&back);
        OK(swarm_agent_from_json(&back, json, err));
        assert_true(swarm_agent_equal(&out, &back));
        free(json);

        /* lookups and parameters by any case */
        swarm_task t;
        task_new(&t, NULL);
        OK(swarm_task_insert(db, &t, err));
        char tid_upper[DAL_UUID_SIZE];
        memcpy(tid_upper, t.id, DAL_UUID_SIZE);
        for (char *p = tid_upper; *p; p++)
            if (*p >= 'a' && *p <= 'f')
                *p = (char)(*p - 'a' + 'A');
        bool claimed = false;
        OK(swarm_task_claim(db, tid_upper, upper, &claimed, err));
        assert_true(claimed);
        swarm_task_list tl = {0, NULL};
        OK(swarm_task_by_agent(db, upper, &tl, err));
        assert_int_equal(tl.n, 1);
        assert_string_equal(tl.v[0].assigned_to, lower);
        swarm_task_query *q = swarm_task_query_new();
        swarm_task_query_where(q, swarm_task_id_is(DAL_OP_EQ, tid_upper));
        OK(swarm_task_query_count(db, q, &n, err));
        assert_int_equal(n, 1);
        swarm_task_query_free(q);

        /* uuid list elements */
        assert_true(dal_strset(&t.task_type, "again"));
        t.dependencies.v = calloc(1, sizeof *t.dependencies.v);
        t.dependencies.n = 1;
        dal_uuidset(t.dependencies.v[0].s, "123");
        REFUSED(DAL_ERR_INVALID, "Task.dependencies[0]", swarm_task_update(db, &t, err));
        dal_uuidset(t.dependencies.v[0].s, upper);
        OK(swarm_task_update(db, &t, err));
        assert_string_equal(t.dependencies.v[0].s, lower);

        swarm_task_list_free(&tl);
        swarm_task_clear(&t);
        swarm_agent_clear(&back);
        swarm_agent_clear(&out);
        swarm_agent_clear(&a2);
        swarm_agent_clear(&a);
        swarm_close(db);
    }
}

/* Non-finite numbers: JSON inf read back as null on SQLite; a NaN real was
 * refused by SQLite blaming NULL and stored by memory. One rule now. */
static void test_non_finite(void **state)
{
    (void)state;
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (int b = 0; b < 2; b++) {
        swarm_db *db = open_fresh(b);
        for (size_t i = 0; i < 3; i++) {
            swarm_metric m;
            metric_new(&m, bad[i]);
            REFUSED(DAL_ERR_INVALID, "Metric.value", swarm_metric_insert(db, &m, err));
            REFUSED(DAL_ERR_INVALID, "only finite numbers", swarm_metric_upsert(db, &m, err));
            swarm_metric_clear(&m);

            swarm_task t;
            task_new(&t, NULL);
            cJSON_AddNumberToObject(t.payload, "x", bad[i]);
            REFUSED(DAL_ERR_INVALID, "non-finite", swarm_task_insert(db, &t, err));
            swarm_task_clear(&t);

            metric_new(&m, 1.5);
            OK(swarm_metric_insert(db, &m, err));
            swarm_metric_query *q = swarm_metric_query_new();
            swarm_metric_query_set_value(q, bad[i]);
            REFUSED(DAL_ERR_INVALID, "value", swarm_metric_query_update(db, q, NULL, err));
            swarm_metric_query_free(q);
            q = swarm_metric_query_new();
            swarm_metric_query_where(q, swarm_metric_value_is(DAL_OP_LT, bad[i]));
            int64_t n = 0;
            REFUSED(DAL_ERR_INVALID, "value", swarm_metric_query_count(db, q, &n, err));
            swarm_metric_query_free(q);
            swarm_metric_clear(&m);
        }
        int64_t n = 0;
        OK(swarm_task_count(db, &n, err));
        assert_int_equal(n, 0);
        swarm_metric_list ml = {0, NULL};
        OK(swarm_metric_all(db, &ml, err));
        assert_int_equal(ml.n, 3);
        for (size_t i = 0; i < ml.n; i++)
            assert_true(ml.v[i].value == 1.5);
        swarm_metric_list_free(&ml);
        swarm_close(db);
    }
}

static void test_enum_range(void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        swarm_db *db = open_fresh(b);
        swarm_task t;
        task_new(&t, NULL);
        t.status = (swarm_task_status)42;
        REFUSED(DAL_ERR_INVALID, "42 is not a member of TaskStatus", swarm_task_insert(db, &t, err));
        t.status = SWARM_TASK_STATUS_PENDING;
        t.priority = (swarm_task_priority)4; /* values 0..3 */
        REFUSED(DAL_ERR_INVALID, "TaskPriority", swarm_task_insert(db, &t, err));
        swarm_agent_list al = {0, NULL};
        REFUSED(DAL_ERR_INVALID, "AgentStatus", swarm_agent_by_status(db, (swarm_agent_status)-1, &al, err));
        swarm_task_clear(&t);
        swarm_close(db);
    }
}

/* ------------------------------------------------------------------------ */
/* The property test                                                         */
/* ------------------------------------------------------------------------ */

static uint64_t g_rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static unsigned pick(unsigned n) { return (unsigned)(rnd() % n); }

#define N_AGENTS 4
#define N_IDS 12

static char g_agent_ids[N_AGENTS][DAL_UUID_SIZE];
static char g_metric_ids[N_IDS][DAL_UUID_SIZE];
static char g_task_ids[N_IDS][DAL_UUID_SIZE];

static void upper_case(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'f')
            *s = (char)(*s - 'a' + 'A');
}

/* A uuid field value: one of ids (sometimes upper-cased), or a bad text. */
static bool random_uuid(char out[DAL_UUID_SIZE], char ids[][DAL_UUID_SIZE], unsigned n)
{
    static const char *const bad[] = {"not-a-uuid", "0193e5a0-0000-7000-8000-00000000abc",
                                      "0193e5a0-0000-7000-8000-00000000abcg", "0193e5a0x0000-7000-8000-00000000abcd"};
    unsigned r = pick(20);
    if (r == 0) {
        dal_uuidset(out, bad[pick(4)]);
        return false;
    }
    memcpy(out, ids[pick(n)], DAL_UUID_SIZE);
    if (r < 6)
        upper_case(out);
    return true;
}

static const char *random_text(void)
{
    static const char *const texts[] = {"", "cpu", "mem", "héllo", "x'); DROP TABLE tasks; --", "a\"b\\c", "日本"};
    return texts[pick(7)];
}

/* A random JSON tree; *valid false when a non-finite number is in it. */
static cJSON *random_json(int depth, bool *valid)
{
    switch (pick(depth > 2 ? 5 : 7)) {
    case 0: return cJSON_CreateNull();
    case 1: return cJSON_CreateBool(pick(2));
    case 2: {
        if (pick(15) == 0) {
            *valid = false;
            return cJSON_CreateNumber(pick(2) ? NAN : -INFINITY);
        }
        return cJSON_CreateNumber((double)(int64_t)(rnd() % 2000001) / 8.0 - 100000.0);
    }
    case 3:
    case 4: return cJSON_CreateString(random_text());
    case 5: {
        cJSON *a = cJSON_CreateArray();
        for (unsigned i = pick(4); i > 0; i--)
            cJSON_AddItemToArray(a, random_json(depth + 1, valid));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        char key[16];
        for (unsigned i = pick(4); i > 0; i--) {
            snprintf(key, sizeof key, "k%u", i);
            cJSON_AddItemToObject(o, key, random_json(depth + 1, valid));
        }
        return o;
    }
    }
}

/* tags: a map<text>; sometimes of the wrong shape, sometimes NULL. */
static cJSON *random_tags(bool *valid, bool *is_null)
{
    unsigned r = pick(12);
    *is_null = false;
    if (r == 0) {
        *is_null = true;
        return NULL;
    }
    if (r == 1) {
        *valid = false;
        return cJSON_CreateArray();
    }
    cJSON *o = cJSON_CreateObject();
    for (unsigned i = pick(3); i > 0; i--) {
        char key[16];
        snprintf(key, sizeof key, "t%u", i);
        cJSON_AddStringToObject(o, key, random_text());
    }
    if (r == 2) {
        *valid = false;
        cJSON_AddNumberToObject(o, "n", 1);
    }
    return o;
}

static double random_real(bool *valid)
{
    unsigned r = pick(14);
    if (r == 0 || r == 1 || r == 2) {
        *valid = false;
        return r == 0 ? NAN : r == 1 ? INFINITY : -INFINITY;
    }
    if (r == 3)
        return -0.0;
    return (double)(int64_t)(rnd() % 4000001 - 2000000) / 16.0;
}

/* A metric; *valid: whether the rules accept it for op (NULL tags are
 * filled by insert and upsert, not by update). */
typedef enum op_kind { OP_INSERT, OP_INSERT_MANY, OP_UPDATE, OP_UPSERT, OP_BUILDER } op_kind;

static void random_metric(swarm_metric *m, op_kind op, bool *valid)
{
    swarm_metric_init(m);
    *valid = true;
    if (!random_uuid(m->id, g_metric_ids, N_IDS))
        *valid = false;
    if (pick(20) == 0)
        *valid = false; /* metric_type NULL */
    else
        assert_true(dal_strset(&m->metric_type, random_text()));
    if (pick(3) == 0) {
        m->has_agent_id = true;
        memcpy(m->agent_id, g_agent_ids[pick(N_AGENTS)], DAL_UUID_SIZE);
        if (pick(3) == 0)
            upper_case(m->agent_id);
    }
    m->value = random_real(valid);
    assert_true(dal_strset(&m->unit, random_text()));
    cJSON_Delete(m->tags);
    bool tags_null = false;
    m->tags = random_tags(valid, &tags_null);
    if (tags_null && op == OP_UPDATE)
        *valid = false;
    m->timestamp = (int64_t)(rnd() % 4000000000000000u);
}

static void random_task(swarm_task *t, op_kind op, bool *valid)
{
    swarm_task_init(t);
    *valid = true;
    (void)op;
    if (!random_uuid(t->id, g_task_ids, N_IDS))
        *valid = false;
    assert_true(dal_strset(&t->task_type, random_text()));
    unsigned r = pick(12);
    t->priority = (swarm_task_priority)(r < 11 ? (int)(r % 4) : 9);
    if (r >= 11)
        *valid = false;
    r = pick(12);
    t->status = (swarm_task_status)(r < 11 ? (int)(r % 6) : -3);
    if (r >= 11)
        *valid = false;
    if (pick(3) == 0) {
        t->has_assigned_to = true;
        memcpy(t->assigned_to, g_agent_ids[pick(N_AGENTS)], DAL_UUID_SIZE);
    }
    cJSON_Delete(t->payload);
    t->payload = random_json(0, valid);
    if (pick(2)) {
        t->result = random_json(1, valid);
    }
    if (pick(3) == 0)
        assert_true(dal_strset(&t->error, random_text()));
    t->retry_count = (uint32_t)pick(5);
    unsigned nd = pick(3);
    if (nd > 0) {
        t->dependencies.v = calloc(nd, sizeof *t->dependencies.v);
        t->dependencies.n = nd;
        for (unsigned i = 0; i < nd; i++)
            if (!random_uuid(t->dependencies.v[i].s, g_task_ids, N_IDS))
                *valid = false;
    }
    t->created_at = (int64_t)(rnd() % 4000000000000000u);
    if (pick(2)) {
        t->has_started_at = true;
        t->started_at = -(int64_t)(rnd() % 100000000000u);
    }
}

/* Does a row with id (any case) exist in the metric mirror? Tracks which ids
 * were written, to predict NOT_FOUND / CONSTRAINT. */
static bool g_metric_exists[N_IDS], g_task_exists[N_IDS];

static int id_slot(const char *id, char ids[][DAL_UUID_SIZE])
{
    for (int i = 0; i < N_IDS; i++)
        if (strcasecmp(id, ids[i]) == 0)
            return i;
    return -1;
}

/* Everything readable through every read path is the same on both backends,
 * and each row survives to_json / from_json. */
static void compare_metrics(swarm_db *db[2])
{
    swarm_metric_list l[2] = {{0, NULL}, {0, NULL}};
    for (int b = 0; b < 2; b++)
        OK(swarm_metric_all(db[b], &l[b], err));
    assert_int_equal(l[0].n, l[1].n);
    for (size_t i = 0; i < l[0].n; i++) {
        if (!swarm_metric_equal(&l[0].v[i], &l[1].v[i])) {
            char *a = swarm_metric_to_json(&l[0].v[i]), *c = swarm_metric_to_json(&l[1].v[i]);
            fail_msg("metric %zu differs:\n  sqlite %s\n  memory %s", i, a, c);
        }
        for (int b = 0; b < 2; b++) {
            swarm_metric got, back;
            swarm_metric_init(&got);
            swarm_metric_init(&back);
            bool found = false;
            OK(swarm_metric_get(db[b], l[b].v[i].id, &got, &found, err));
            assert_true(found);
            assert_true(swarm_metric_equal(&got, &l[b].v[i]));
            char *json = swarm_metric_to_json(&got);
            assert_non_null(json);
            OK(swarm_metric_from_json(&back, json, err));
            assert_true(swarm_metric_equal(&got, &back));
            free(json);
            if (got.has_agent_id) {
                swarm_metric_list byl = {0, NULL};
                OK(swarm_metric_by_agent(db[b], got.agent_id, got.metric_type, &byl, err));
                bool seen = false;
                for (size_t k = 0; k < byl.n; k++)
                    seen = seen || swarm_metric_equal(&byl.v[k], &got);
                assert_true(seen);
                swarm_metric_list_free(&byl);
            }
            swarm_metric_clear(&got);
            swarm_metric_clear(&back);
        }
    }
    for (int b = 0; b < 2; b++)
        swarm_metric_list_free(&l[b]);
}

static void compare_tasks(swarm_db *db[2])
{
    swarm_task_list l[2] = {{0, NULL}, {0, NULL}}, p[2] = {{0, NULL}, {0, NULL}};
    for (int b = 0; b < 2; b++) {
        OK(swarm_task_all(db[b], &l[b], err));
        OK(swarm_task_pending(db[b], &p[b], err));
    }
    assert_int_equal(l[0].n, l[1].n);
    assert_int_equal(p[0].n, p[1].n);
    /* updated_at is each backend's own clock at the update */
    for (size_t i = 0; i < p[0].n; i++) {
        p[1].v[i].updated_at = p[0].v[i].updated_at;
        assert_true(swarm_task_equal(&p[0].v[i], &p[1].v[i]));
    }
    for (size_t i = 0; i < l[0].n; i++) {
        int64_t own = l[1].v[i].updated_at;
        l[1].v[i].updated_at = l[0].v[i].updated_at;
        bool same = swarm_task_equal(&l[0].v[i], &l[1].v[i]);
        l[1].v[i].updated_at = own;
        if (!same) {
            char *a = swarm_task_to_json(&l[0].v[i]), *c = swarm_task_to_json(&l[1].v[i]);
            fail_msg("task %zu differs:\n  sqlite %s\n  memory %s", i, a, c);
        }
        for (int b = 0; b < 2; b++) {
            swarm_task got, back;
            swarm_task_init(&got);
            swarm_task_init(&back);
            bool found = false;
            OK(swarm_task_get(db[b], l[b].v[i].id, &got, &found, err));
            assert_true(found);
            assert_true(swarm_task_equal(&got, &l[b].v[i]));
            char *json = swarm_task_to_json(&got);
            assert_non_null(json);
            OK(swarm_task_from_json(&back, json, err));
            assert_true(swarm_task_equal(&got, &back));
            free(json);
            swarm_task_clear(&got);
            swarm_task_clear(&back);
        }
    }
    for (int b = 0; b < 2; b++) {
        swarm_task_list_free(&l[b]);
        swarm_task_list_free(&p[b]);
    }
}

/* Runs the same call on both backends; both codes must agree with want. */
static void same_decision(const char *what, unsigned round, dal_code got[2], dal_error e[2], dal_code want)
{
    if (got[0] != got[1])
        fail_msg("round %u %s: sqlite %s (%s), memory %s (%s)", round, what, dal_code_name(got[0]), e[0].message,
                 dal_code_name(got[1]), e[1].message);
    if (got[0] != want)
        fail_msg("round %u %s: want %s, got %s (%s)", round, what, dal_code_name(want), dal_code_name(got[0]),
                 e[0].message);
    if (got[0] != DAL_OK && strcmp(e[0].message, e[1].message) != 0 && got[0] == DAL_ERR_INVALID)
        fail_msg("round %u %s: messages differ: '%s' / '%s'", round, what, e[0].message, e[1].message);
}

static void test_property_both_backends(void **state)
{
    (void)state;
    const char *env = getenv("DAL_PROPERTY_ROUNDS");
    unsigned rounds = env ? (unsigned)strtoul(env, NULL, 10) : 300;
    swarm_db *db[2] = {open_fresh(0), open_fresh(1)};
    for (int i = 0; i < N_AGENTS; i++) {
        dal_uuid7(g_agent_ids[i]);
        for (int b = 0; b < 2; b++) {
            swarm_agent a;
            agent_new(&a, g_agent_ids[i]);
            OK(swarm_agent_insert(db[b], &a, err));
            swarm_agent_clear(&a);
        }
    }
    for (int i = 0; i < N_IDS; i++) {
        dal_uuid7(g_metric_ids[i]);
        dal_uuid7(g_task_ids[i]);
    }
    unsigned accepted = 0, refused = 0;
    for (unsigned round = 0; round < rounds; round++) {
        op_kind op = (op_kind)pick(5);
        dal_code rc[2];
        dal_error e[2];
        memset(e, 0, sizeof e);
        bool is_task = pick(2) == 1;
        if (op == OP_INSERT_MANY) {
            /* three rows, all or none; no two with the same id */
            swarm_metric ms[2][3];
            bool valid = true, dup = false;
            for (int k = 0; k < 3; k++) {
                bool v;
                random_metric(&ms[0][k], op, &v);
                valid = valid && v;
                int s = id_slot(ms[0][k].id, g_metric_ids);
                dup = dup || (s >= 0 && g_metric_exists[s]);
                for (int j = 0; j < k; j++)
                    dup = dup || strcasecmp(ms[0][j].id, ms[0][k].id) == 0;
                swarm_metric_init(&ms[1][k]);
                OK(dal_record_copy(&swarm_metric_model, &ms[1][k], &ms[0][k], err));
            }
            for (int b = 0; b < 2; b++)
                rc[b] = swarm_metric_insert_many(db[b], ms[b], 3, &e[b]);
            same_decision("insert_many", round, rc, e, !valid ? DAL_ERR_INVALID : dup ? DAL_ERR_CONSTRAINT : DAL_OK);
            if (rc[0] == DAL_OK)
                for (int k = 0; k < 3; k++)
                    g_metric_exists[id_slot(ms[0][k].id, g_metric_ids)] = true;
            for (int b = 0; b < 2; b++)
                for (int k = 0; k < 3; k++)
                    swarm_metric_clear(&ms[b][k]);
        } else if (op == OP_BUILDER) {
            /* update through the typed builder: set value and tags where id = X */
            bool valid = true, tags_null = false;
            double v = random_real(&valid);
            cJSON *tags = random_tags(&valid, &tags_null);
            char id[DAL_UUID_SIZE];
            if (!random_uuid(id, g_metric_ids, N_IDS))
                valid = false;
            for (int b = 0; b < 2; b++) {
                swarm_metric_query *q = swarm_metric_query_new();
                swarm_metric_query_where(q, swarm_metric_id_is(DAL_OP_EQ, id));
                swarm_metric_query_set_value(q, v);
                if (!tags_null)
                    swarm_metric_query_set_tags(q, tags);
                int64_t n = -1;
                rc[b] = swarm_metric_query_update(db[b], q, &n, &e[b]);
                swarm_metric_query_free(q);
            }
            same_decision("builder update", round, rc, e, valid ? DAL_OK : DAL_ERR_INVALID);
            cJSON_Delete(tags);
        } else if (!is_task) {
            swarm_metric m[2];
            bool valid;
            random_metric(&m[0], op, &valid);
            swarm_metric_init(&m[1]);
            OK(dal_record_copy(&swarm_metric_model, &m[1], &m[0], err));
            int s = id_slot(m[0].id, g_metric_ids);
            bool exists = s >= 0 && g_metric_exists[s];
            dal_code want = !valid ? DAL_ERR_INVALID
                            : op == OP_INSERT && exists ? DAL_ERR_CONSTRAINT
                            : op == OP_UPDATE && !exists ? DAL_ERR_NOT_FOUND
                                                          : DAL_OK;
            for (int b = 0; b < 2; b++)
                rc[b] = op == OP_INSERT   ? swarm_metric_insert(db[b], &m[b], &e[b])
                        : op == OP_UPDATE ? swarm_metric_update(db[b], &m[b], &e[b])
                                          : swarm_metric_upsert(db[b], &m[b], &e[b]);
            same_decision(op == OP_INSERT ? "metric insert" : op == OP_UPDATE ? "metric update" : "metric upsert",
                          round, rc, e, want);
            if (rc[0] == DAL_OK) {
                g_metric_exists[s] = true;
                swarm_metric got;
                swarm_metric_init(&got);
                bool found = false;
                OK(swarm_metric_get(db[0], m[0].id, &got, &found, err));
                assert_true(found);
                assert_true(swarm_metric_equal(&got, &m[0])); /* written back: what is stored */
                swarm_metric_clear(&got);
            }
            swarm_metric_clear(&m[0]);
            swarm_metric_clear(&m[1]);
        } else {
            swarm_task t[2];
            bool valid;
            random_task(&t[0], op, &valid);
            swarm_task_init(&t[1]);
            OK(dal_record_copy(&swarm_task_model, &t[1], &t[0], err));
            int s = id_slot(t[0].id, g_task_ids);
            bool exists = s >= 0 && g_task_exists[s];
            dal_code want = !valid ? DAL_ERR_INVALID
                            : op == OP_INSERT && exists ? DAL_ERR_CONSTRAINT
                            : op == OP_UPDATE && !exists ? DAL_ERR_NOT_FOUND
                                                          : DAL_OK;
            for (int b = 0; b < 2; b++)
                rc[b] = op == OP_INSERT   ? swarm_task_insert(db[b], &t[b], &e[b])
                        : op == OP_UPDATE ? swarm_task_update(db[b], &t[b], &e[b])
                                          : swarm_task_upsert(db[b], &t[b], &e[b]);
            same_decision(op == OP_INSERT ? "task insert" : op == OP_UPDATE ? "task update" : "task upsert", round,
                          rc, e, want);
            if (rc[0] == DAL_OK) {
                g_task_exists[s] = true;
                swarm_task got;
                swarm_task_init(&got);
                bool found = false;
                OK(swarm_task_get(db[1], t[1].id, &got, &found, err));
                assert_true(found);
                assert_true(swarm_task_equal(&got, &t[1]));
                swarm_task_clear(&got);
            }
            swarm_task_clear(&t[0]);
            swarm_task_clear(&t[1]);
        }
        if (rc[0] == DAL_OK)
            accepted++;
        else
            refused++;
        if (round % 50 == 49 || round + 1 == rounds) {
            compare_metrics(db);
            compare_tasks(db);
        }
    }
    /* the generator reaches both sides of the rules */
    assert_true(accepted > rounds / 5);
    assert_true(refused > rounds / 10);
    swarm_close(db[0]);
    swarm_close(db[1]);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/dal-validation-XXXXXX");
    if (mkdtemp(g_dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_map_shapes),
        cmocka_unit_test(test_uuids),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_enum_range),
        cmocka_unit_test(test_property_both_backends),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return failed;
}
