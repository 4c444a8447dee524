/*
 * test_builder.c - the typed run-time query builder (swarm_<model>_query_*)
 * on every backend, through the generated API.
 *
 * Usage: test_builder URL-TEMPLATE ("{dir}": a temporary directory made for
 * the run, "{n}": a number that differs for every database opened), e.g.
 *   test_builder 'sqlite:{dir}/b{n}.db'     test_builder 'memory:b{n}'
 *
 * Besides the fixed cases, a property test with a fixed seed checks a few
 * hundred random filters and orders against a brute-force evaluation here
 * (SQL's three-valued logic, NULLs first ascending and last descending, ties
 * by the primary key), and walks each by keyset pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dal_memory.h"
#include "swarm_harness.h"

/* ------------------------------------------------------------------------ */
/* Databases                                                                 */
/* ------------------------------------------------------------------------ */



/* ------------------------------------------------------------------------ */
/* Data                                                                      */
/* ------------------------------------------------------------------------ */

static const char *const TEXTS[] = {
    "alpha", "Beta", "gamma", "ALPHA", "a'b", "x%y", "Robert'); DROP TABLE tasks;--", "\" OR 1=1 --", "",
};
#define N_TEXTS (sizeof TEXTS / sizeof TEXTS[0])
static const char *const PATTERNS[] = {"%a%", "a%", "_eta", "%'%", "%", "alpha", "x%", "%--", "%1=1%"};
#define N_PATTERNS (sizeof PATTERNS / sizeof PATTERNS[0])

#define T0 1700000000000000LL

static void uuid_n(char out[DAL_UUID_SIZE], unsigned n)
{
    snprintf(out, DAL_UUID_SIZE, "00000000-0000-7000-8000-%012u", n);
}

static unsigned id_of(const swarm_task *t)
{
    return (unsigned)strtoul(t->id + 24, NULL, 10);
}

static uint64_t g_rng;

static unsigned rnd(unsigned n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng % n);
}

/* Task n with random values (rng must be seeded). */
static void task_random(swarm_task *t, unsigned n)
{
    swarm_task_init(t);
    uuid_n(t->id, n);
    assert_true(dal_strset(&t->task_type, TEXTS[rnd(N_TEXTS)]));
    t->priority = (swarm_task_priority)rnd(4);
    t->status = (swarm_task_status)rnd(6);
    if (rnd(3) != 0)
        assert_true(dal_strset(&t->error, TEXTS[rnd(N_TEXTS)]));
    t->retry_count = rnd(5);
    t->max_retries = rnd(5);
    t->created_at = T0 + (int64_t)rnd(8) * 1000;
    t->has_started_at = rnd(2) != 0;
    t->started_at = t->has_started_at ? T0 + (int64_t)rnd(6) * 1000 : 0;
}

static void insert_tasks(swarm_db *db, swarm_task *rows, size_t n)
{
    OK(swarm_task_insert_many(db, rows, n, err));
}

/* Three named tasks for the fixed cases: 1 alpha/high/err "boom",
 * 2 Beta/low/no error, 3 gamma/critical/err "a'b". */
static void three_tasks(swarm_db *db)
{
    swarm_task t[3];
    const char *types[] = {"alpha", "Beta", "gamma"};
    const char *errors[] = {"boom", NULL, "a'b"};
    swarm_task_priority prios[] = {SWARM_TASK_PRIORITY_HIGH, SWARM_TASK_PRIORITY_LOW, SWARM_TASK_PRIORITY_CRITICAL};
    for (unsigned i = 0; i < 3; i++) {
        swarm_task_init(&t[i]);
        uuid_n(t[i].id, i + 1);
        assert_true(dal_strset(&t[i].task_type, types[i]));
        if (errors[i])
            assert_true(dal_strset(&t[i].error, errors[i]));
        t[i].priority = prios[i];
        t[i].retry_count = i;
        t[i].created_at = T0 + (int64_t)(3 - i) * 1000;
        t[i].has_started_at = i != 1;
        t[i].started_at = T0 + (int64_t)i;
    }
    insert_tasks(db, t, 3);
    for (unsigned i = 0; i < 3; i++)
        swarm_task_clear(&t[i]);
}

/* "1,3" : the ids of a fetch of q, in order (q is freed). */
static void fetch_ids(swarm_db *db, swarm_task_query *q, char *buf, size_t size)
{
    swarm_task_list l = {0, NULL};
    OK(swarm_task_query_fetch(db, q, &l, err));
    swarm_task_query_free(q);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l.n && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%u", i ? "," : "", id_of(&l.v[i]));
        used += k > 0 ? (size_t)k : 0;
    }
    swarm_task_list_free(&l);
}

static void expect_ids(swarm_db *db, swarm_task_cond *c, const char *want)
{
    char got[256];
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, c);
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, want);
}

/* ------------------------------------------------------------------------ */
/* Fixed cases                                                               */
/* ------------------------------------------------------------------------ */

static void test_operators(void **state)
{
    swarm_db *db = *state;
    three_tasks(db);
    expect_ids(db, swarm_task_retry_count_is(DAL_OP_EQ, 1), "2");
    expect_ids(db, swarm_task_retry_count_is(DAL_OP_NE, 1), "1,3");
    expect_ids(db, swarm_task_retry_count_is(DAL_OP_LT, 1), "1");
    expect_ids(db, swarm_task_retry_count_is(DAL_OP_LE, 1), "1,2");
    expect_ids(db, swarm_task_retry_count_is(DAL_OP_GT, 1), "3");
    expect_ids(db, swarm_task_retry_count_is(DAL_OP_GE, 1), "2,3");
    expect_ids(db, swarm_task_task_type_is(DAL_OP_EQ, "Beta"), "2");
    expect_ids(db, swarm_task_task_type_like("%PH%"), "1");
    expect_ids(db, swarm_task_task_type_like("b_ta"), "2");
    expect_ids(db, swarm_task_priority_is(DAL_OP_EQ, SWARM_TASK_PRIORITY_CRITICAL), "3");
    expect_ids(db, swarm_task_error_null(true), "2");
    expect_ids(db, swarm_task_error_null(false), "1,3");
    expect_ids(db, swarm_task_error_is(DAL_OP_NE, "boom"), "3"); /* NULL != x is unknown */
    expect_ids(db, swarm_task_created_at_is(DAL_OP_GT, T0 + 1000), "1,2");
    swarm_task_priority prios[] = {SWARM_TASK_PRIORITY_LOW, SWARM_TASK_PRIORITY_CRITICAL};
    swarm_task_priority_list pl = {2, prios};
    expect_ids(db, swarm_task_priority_in(&pl), "2,3");
    char *types[] = {"gamma", "alpha", "none"};
    dal_text_list tl = {3, types};
    expect_ids(db, swarm_task_task_type_in(&tl), "1,3");
    dal_text_list empty = {0, NULL};
    expect_ids(db, swarm_task_task_type_in(&empty), "");
    dal_uuid ids[2];
    uuid_n(ids[0].s, 2);
    uuid_n(ids[1].s, 9);
    dal_uuid_list il = {2, ids};
    expect_ids(db, swarm_task_id_in(&il), "2");
}

static void test_and_or_not(void **state)
{
    swarm_db *db = *state;
    three_tasks(db);
    expect_ids(db, swarm_task_and(swarm_task_retry_count_is(DAL_OP_GE, 1), swarm_task_error_null(false)), "3");
    expect_ids(db, swarm_task_or(swarm_task_retry_count_is(DAL_OP_EQ, 0), swarm_task_error_null(true)), "1,2");
    expect_ids(db, swarm_task_not(swarm_task_retry_count_is(DAL_OP_EQ, 0)), "2,3");
    /* NOT of unknown stays unknown: row 2 (error NULL) matches neither */
    expect_ids(db, swarm_task_not(swarm_task_error_is(DAL_OP_EQ, "boom")), "3");
    expect_ids(db,
               swarm_task_or(swarm_task_and(swarm_task_task_type_like("a%"), swarm_task_not(swarm_task_error_null(true))),
                             swarm_task_priority_is(DAL_OP_EQ, SWARM_TASK_PRIORITY_LOW)),
               "1,2");
    /* several where calls are ANDed */
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_retry_count_is(DAL_OP_GE, 1));
    swarm_task_query_where(q, swarm_task_retry_count_is(DAL_OP_LE, 1));
    char got[64];
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, "2");
}

static void test_order_limit_offset(void **state)
{
    swarm_db *db = *state;
    three_tasks(db);
    char got[64];
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_order_by_created_at(q, false);
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, "3,2,1");
    q = swarm_task_query_new();
    swarm_task_query_order_by_error(q, false); /* NULL first ascending */
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, "2,3,1");
    q = swarm_task_query_new();
    swarm_task_query_order_by_error(q, true); /* NULL last descending */
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, "1,3,2");
    q = swarm_task_query_new();
    swarm_task_query_order_by_started_at(q, true);
    swarm_task_query_order_by_priority(q, true);
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, "3,1,2");
    q = swarm_task_query_new();
    swarm_task_query_order_by_created_at(q, true);
    swarm_task_query_limit(q, 2);
    swarm_task_query_offset(q, 1);
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, "2,3");
    q = swarm_task_query_new();
    swarm_task_query_offset(q, 2);
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, "3");
    q = swarm_task_query_new();
    swarm_task_query_limit(q, 0);
    fetch_ids(db, q, got, sizeof got);
    assert_string_equal(got, "");
}

static void test_fetch_one_count_exists(void **state)
{
    swarm_db *db = *state;
    three_tasks(db);
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_error_null(false));
    swarm_task_query_order_by_priority(q, true);
    swarm_task t;
    swarm_task_init(&t);
    bool found = false;
    OK(swarm_task_query_fetch_one(db, q, &t, &found, err));
    assert_true(found);
    assert_int_equal(id_of(&t), 3);
    int64_t n = -1;
    OK(swarm_task_query_count(db, q, &n, err));
    assert_int_equal(n, 2);
    swarm_task_query_limit(q, 1);
    OK(swarm_task_query_count(db, q, &n, err));
    assert_int_equal(n, 1);
    bool exists = false;
    OK(swarm_task_query_exists(db, q, &exists, err));
    assert_true(exists);
    swarm_task_query_free(q);

    q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_task_type_is(DAL_OP_EQ, "nothing"));
    found = true;
    OK(swarm_task_query_fetch_one(db, q, &t, &found, err));
    assert_false(found);
    assert_int_equal(id_of(&t), 3); /* unchanged */
    OK(swarm_task_query_exists(db, q, &exists, err));
    assert_false(exists);
    OK(swarm_task_query_count(db, q, &n, err));
    assert_int_equal(n, 0);
    swarm_task_query_free(q);

    /* a limit of 0 stays 0 for fetch_one and exists */
    q = swarm_task_query_new();
    swarm_task_query_limit(q, 0);
    OK(swarm_task_query_fetch_one(db, q, &t, &found, err));
    assert_false(found);
    OK(swarm_task_query_exists(db, q, &exists, err));
    assert_false(exists);
    swarm_task_query_offset(q, 2);
    swarm_task_query_limit(q, 5);
    OK(swarm_task_query_count(db, q, &n, err));
    assert_int_equal(n, 1);
    OK(swarm_task_query_fetch_one(db, q, &t, &found, err));
    assert_true(found);
    assert_int_equal(id_of(&t), 3);
    swarm_task_query_free(q);
    swarm_task_clear(&t);
}

static void test_delete_update(void **state)
{
    swarm_db *db = *state;
    three_tasks(db);
    swarm_task before, after;
    swarm_task_init(&before);
    swarm_task_init(&after);
    bool found = false;
    char id[DAL_UUID_SIZE];
    uuid_n(id, 1);
    OK(swarm_task_get(db, id, &before, &found, err));
    assert_true(found);

    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_error_null(false));
    swarm_task_query_set_status(q, SWARM_TASK_STATUS_FAILED);
    swarm_task_query_set_error(q, "it's done");
    int64_t started = T0 + 77;
    swarm_task_query_set_started_at(q, &started);
    int64_t n = -1;
    OK(swarm_task_query_update(db, q, &n, err));
    assert_int_equal(n, 2);
    swarm_task_query_free(q);

    OK(swarm_task_get(db, id, &after, &found, err));
    assert_int_equal(after.status, SWARM_TASK_STATUS_FAILED);
    assert_string_equal(after.error, "it's done");
    assert_true(after.has_started_at);
    assert_int_equal(after.started_at, T0 + 77);
    assert_true(after.updated_at >= before.updated_at);
    swarm_task_clear(&after);
    swarm_task_clear(&before);

    expect_ids(db, swarm_task_error_is(DAL_OP_EQ, "it's done"), "1,3");
    /* set to NULL */
    q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_retry_count_is(DAL_OP_EQ, 2));
    swarm_task_query_set_error(q, NULL);
    OK(swarm_task_query_update(db, q, &n, err));
    assert_int_equal(n, 1);
    swarm_task_query_free(q);
    expect_ids(db, swarm_task_error_null(true), "2,3");

    q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_retry_count_is(DAL_OP_LE, 1));
    OK(swarm_task_query_delete(db, q, &n, err));
    assert_int_equal(n, 2);
    OK(swarm_task_query_delete(db, q, &n, err));
    assert_int_equal(n, 0);
    swarm_task_query_free(q);
    int64_t left = 0;
    OK(swarm_task_count(db, &left, err));
    assert_int_equal(left, 1);
}

static void test_in_transaction(void **state)
{
    swarm_db *db = *state;
    three_tasks(db);
    dal_error err = {0};
    swarm_tx *tx = swarm_begin(db, &err);
    assert_non_null(tx);
    swarm_db *h = swarm_tx_db(tx);
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_retry_count_is(DAL_OP_GE, 1));
    int64_t n = 0;
    OK(swarm_task_query_delete(h, q, &n, err));
    assert_int_equal(n, 2);
    swarm_task_query_free(q);
    q = swarm_task_query_new();
    OK(swarm_task_query_count(h, q, &n, err));
    assert_int_equal(n, 1);
    swarm_task_query_set_max_retries(q, 9);
    OK(swarm_task_query_update(h, q, &n, err));
    assert_int_equal(n, 1);
    swarm_task_query_free(q);
    char got[64];
    q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_max_retries_is(DAL_OP_EQ, 9));
    fetch_ids(h, q, got, sizeof got);
    assert_string_equal(got, "1");
    OK(swarm_rollback(tx, err));
    swarm_tx_free(tx);
    q = swarm_task_query_new();
    OK(swarm_task_query_count(db, q, &n, err));
    assert_int_equal(n, 3);
    swarm_task_query_free(q);
    expect_ids(db, swarm_task_max_retries_is(DAL_OP_EQ, 9), "");
}

static void test_injection_is_data(void **state)
{
    swarm_db *db = *state;
    swarm_task t[N_TEXTS];
    for (unsigned i = 0; i < N_TEXTS; i++) {
        swarm_task_init(&t[i]);
        uuid_n(t[i].id, i + 1);
        assert_true(dal_strset(&t[i].task_type, TEXTS[i]));
        assert_true(dal_strset(&t[i].error, TEXTS[i]));
    }
    insert_tasks(db, t, N_TEXTS);
    for (unsigned i = 0; i < N_TEXTS; i++)
        swarm_task_clear(&t[i]);
    expect_ids(db, swarm_task_task_type_is(DAL_OP_EQ, "Robert'); DROP TABLE tasks;--"), "7");
    expect_ids(db, swarm_task_error_is(DAL_OP_EQ, "\" OR 1=1 --"), "8");
    expect_ids(db, swarm_task_task_type_like("%'%"), "5,7");
    expect_ids(db, swarm_task_error_like("%;--"), "7");
    expect_ids(db, swarm_task_task_type_is(DAL_OP_EQ, "' OR '1'='1"), "");
    char *odd[] = {"a'b", "x%y", "') OR 1=1; --"};
    dal_text_list l = {3, odd};
    expect_ids(db, swarm_task_error_in(&l), "5,6");
    /* update with an injection value stores it as data */
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_task_type_is(DAL_OP_EQ, "alpha"));
    swarm_task_query_set_task_type(q, "'; DELETE FROM tasks; --");
    int64_t n = 0;
    OK(swarm_task_query_update(db, q, &n, err));
    assert_int_equal(n, 1);
    swarm_task_query_free(q);
    expect_ids(db, swarm_task_task_type_is(DAL_OP_EQ, "'; DELETE FROM tasks; --"), "1");
    OK(swarm_task_count(db, &n, err));
    assert_int_equal(n, (int64_t)N_TEXTS);
}

static void test_sql_text(void **state)
{
    (void)state;
#ifdef __EMSCRIPTEN__
    skip(); /* the SQL text comes from the SQL backends, not built for the browser */
#endif
    char *sql = NULL, *params = NULL;
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_status_is(DAL_OP_EQ, SWARM_TASK_STATUS_RUNNING));
    OK(swarm_task_query_sql(q, DAL_DIALECT_SQLITE, &sql, &params, err));
    assert_non_null(strstr(sql, " FROM \"tasks\" WHERE \"status\" = ? ORDER BY \"id\" ASC"));
    assert_string_equal(params, "[\"running\"]");
    free(sql);
    free(params);
    swarm_task_query_free(q);

    q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_and(swarm_task_task_type_is(DAL_OP_EQ, "x' OR 1=1 --"),
                                             swarm_task_priority_is(DAL_OP_GE, SWARM_TASK_PRIORITY_HIGH)));
    swarm_task_query_order_by_created_at(q, true);
    swarm_task_query_limit(q, 10);
    OK(swarm_task_query_sql(q, DAL_DIALECT_SQLITE, &sql, &params, err));
    assert_string_equal(sql, "SELECT \"id\", \"task_type\", \"priority\", \"status\", \"assigned_to\", \"payload\", "
                             "\"result\", \"error\", \"retry_count\", \"max_retries\", \"dependencies\", \"created_at\", "
                             "\"updated_at\", \"started_at\", \"completed_at\" FROM \"tasks\" WHERE (\"task_type\" = ? "
                             "AND \"priority\" >= ?) ORDER BY \"created_at\" DESC, \"id\" ASC LIMIT ?");
    assert_string_equal(params, "[\"x' OR 1=1 --\",2,10]");
    free(sql);
    free(params);
    swarm_task_query_free(q);

    q = swarm_task_query_new();
    char *types[] = {"a", "b\"c"};
    dal_text_list tl = {2, types};
    swarm_task_query_where(q, swarm_task_or(swarm_task_task_type_in(&tl), swarm_task_not(swarm_task_error_null(true))));
    swarm_task_query_offset(q, 5);
    OK(swarm_task_query_sql(q, DAL_DIALECT_SQLITE, &sql, &params, err));
    assert_non_null(strstr(sql, " WHERE (\"task_type\" IN (SELECT value FROM json_each(?)) OR (NOT \"error\" IS NULL)) "
                                "ORDER BY \"id\" ASC LIMIT ? OFFSET ?"));
    assert_string_equal(params, "[[\"a\",\"b\\\"c\"],-1,5]");
    free(sql);
    free(params);

    /* the same query in PostgreSQL's dialect: numbered placeholders, IN over
     * an array, NULLs first ascending, no LIMIT for an offset alone */
    dal_error err = {0};
    dal_code rc = swarm_task_query_sql(q, DAL_DIALECT_POSTGRES, &sql, &params, &err);
#ifdef DAL_TEST_HAVE_PG
    assert_int_equal(rc, DAL_OK);
    assert_non_null(strstr(sql, " WHERE (\"task_type\" = ANY($1) OR (NOT \"error\" IS NULL)) "
                                "ORDER BY \"id\" ASC NULLS FIRST OFFSET $2"));
    assert_string_equal(params, "[[\"a\",\"b\\\"c\"],5]");
    free(sql);
    free(params);
#else
    assert_int_equal(rc, DAL_ERR_INVALID);
    assert_non_null(strstr(err.message, "postgresql backend is not built"));
#endif
    swarm_task_query_free(q);

    /* keyset: the after condition is part of the text, values as parameters */
    swarm_task row;
    swarm_task_init(&row);
    uuid_n(row.id, 4);
    row.created_at = 123;
    q = swarm_task_query_new();
    swarm_task_query_order_by_created_at(q, false);
    swarm_task_query_after(q, &row);
    OK(swarm_task_query_sql(q, DAL_DIALECT_SQLITE, &sql, &params, err));
    assert_non_null(strstr(sql, " WHERE (\"created_at\" > ? OR (\"created_at\" = ? AND \"id\" > ?)) ORDER BY "
                                "\"created_at\" ASC, \"id\" ASC"));
    assert_string_equal(params, "[123,123,\"00000000-0000-7000-8000-000000000004\"]");
    free(sql);
    free(params);
    swarm_task_query_free(q);
    swarm_task_clear(&row);
}

static void test_errors(void **state)
{
    swarm_db *db = *state;
    dal_error err = {0};
    swarm_task_list l = {0, NULL};
    int64_t n = 0;
    /* an operator that does not fit the field */
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_retry_count_is(DAL_OP_LIKE, 1));
    assert_int_equal(swarm_task_query_fetch(db, q, &l, &err), DAL_ERR_INVALID);
    assert_non_null(strstr(err.message, "Task"));
    swarm_task_query_free(q);
    /* a NULL value is refused (is null is _null) */
    assert_null(swarm_task_error_is(DAL_OP_EQ, NULL));
    /* and / or propagate a failed operand */
    assert_null(swarm_task_and(swarm_task_retry_count_is(DAL_OP_AND, 1), swarm_task_error_null(true)));
    /* limit on delete, update without set, negative limit */
    q = swarm_task_query_new();
    swarm_task_query_limit(q, 1);
    assert_int_equal(swarm_task_query_delete(db, q, &n, &err), DAL_ERR_INVALID);
    swarm_task_query_free(q);
    q = swarm_task_query_new();
    assert_int_equal(swarm_task_query_update(db, q, &n, &err), DAL_ERR_INVALID);
    swarm_task_query_limit(q, -1);
    assert_int_equal(swarm_task_query_count(db, q, &n, &err), DAL_ERR_INVALID);
    assert_non_null(strstr(err.message, "limit"));
    swarm_task_query_free(q);
    swarm_task_cond_free(swarm_task_error_null(true));
    swarm_task_query_free(NULL);
    swarm_task_cond_free(NULL);
}

/* On memory, a filter on an index's prefix reads only the matching entries. */
static void test_memory_uses_index(void **state)
{
    swarm_db *db = *state;
    if (!backend_is("memory"))
        skip();
    swarm_task rows[200];
    unsigned running = 0;
    for (unsigned i = 0; i < 200; i++) {
        swarm_task_init(&rows[i]);
        uuid_n(rows[i].id, i + 1);
        assert_true(dal_strset(&rows[i].task_type, "t"));
        rows[i].status = i % 10 == 3 ? SWARM_TASK_STATUS_RUNNING : SWARM_TASK_STATUS_PENDING;
        running += i % 10 == 3;
    }
    insert_tasks(db, rows, 200);
    for (unsigned i = 0; i < 200; i++)
        swarm_task_clear(&rows[i]);
    dal_memory_stats_reset((dal_db *)db);
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_status_is(DAL_OP_EQ, SWARM_TASK_STATUS_RUNNING));
    swarm_task_list l = {0, NULL};
    OK(swarm_task_query_fetch(db, q, &l, err));
    assert_int_equal(l.n, running);
    swarm_task_list_free(&l);
    int64_t n = 0;
    OK(swarm_task_query_count(db, q, &n, err));
    assert_int_equal(n, running);
    swarm_task_query_free(q);
    struct dal_memory_stats st;
    OK(dal_memory_stats((dal_db *)db, &st, err));
    assert_true(st.entries_read <= 2 * (running + 2));
    assert_true(st.seeks >= 2);
}

/* ------------------------------------------------------------------------ */
/* Keyset pagination                                                         */
/* ------------------------------------------------------------------------ */

typedef void (*order_fn)(swarm_task_query *q);

/* The ids of every page of size page (cond made by mk, orders by ord),
 * joined; and of one full fetch. */
static void walk(swarm_db *db, swarm_task_cond *(*mk)(unsigned), unsigned arg, order_fn ord, unsigned page,
                 char *pages, char *full, size_t size)
{
    swarm_task_query *q = swarm_task_query_new();
    if (mk)
        swarm_task_query_where(q, mk(arg));
    ord(q);
    fetch_ids(db, q, full, size);
    size_t used = 0;
    pages[0] = '\0';
    swarm_task last;
    bool have_last = false;
    for (int guard = 0; guard < 1000; guard++) {
        q = swarm_task_query_new();
        if (mk)
            swarm_task_query_where(q, mk(arg));
        ord(q);
        swarm_task_query_limit(q, page);
        if (have_last)
            swarm_task_query_after(q, &last);
        swarm_task_list l = {0, NULL};
        OK(swarm_task_query_fetch(db, q, &l, err));
        swarm_task_query_free(q);
        for (size_t i = 0; i < l.n && used < size; i++) {
            int k = snprintf(pages + used, size - used, "%s%u", used ? "," : "", id_of(&l.v[i]));
            used += k > 0 ? (size_t)k : 0;
        }
        if (l.n > 0) {
            if (have_last)
                swarm_task_clear(&last);
            swarm_task_init(&last);
            OK(swarm_task_copy(&last, &l.v[l.n - 1], err));
            have_last = true;
        }
        size_t got = l.n;
        swarm_task_list_free(&l);
        if (got < page)
            break;
    }
    if (have_last)
        swarm_task_clear(&last);
}

static void ord_error_created_desc(swarm_task_query *q)
{
    swarm_task_query_order_by_error(q, false);
    swarm_task_query_order_by_created_at(q, true);
}

static void ord_started_desc(swarm_task_query *q)
{
    swarm_task_query_order_by_started_at(q, true);
}

static void ord_error_desc_started(swarm_task_query *q)
{
    swarm_task_query_order_by_error(q, true);
    swarm_task_query_order_by_started_at(q, false);
}

static void test_keyset_walk(void **state)
{
    swarm_db *db = *state;
    g_rng = 0x5eed1234u;
    swarm_task rows[40];
    for (unsigned i = 0; i < 40; i++)
        task_random(&rows[i], i + 1);
    insert_tasks(db, rows, 40);
    for (unsigned i = 0; i < 40; i++)
        swarm_task_clear(&rows[i]);
    order_fn ords[] = {ord_error_created_desc, ord_started_desc, ord_error_desc_started};
    static char pages[2048], full[2048];
    for (size_t o = 0; o < 3; o++) {
        for (unsigned page = 1; page <= 7; page += 3) {
            walk(db, NULL, 0, ords[o], page, pages, full, sizeof pages);
            assert_string_equal(pages, full);
            assert_int_equal((int)strlen(full) > 0, 1);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Property test: random filters against a brute-force evaluation            */
/* ------------------------------------------------------------------------ */

enum { U = -1, F = 0, TR = 1 }; /* unknown, false, true */

typedef struct pexpr {
    int kind; /* 0 leaf, 1 and, 2 or, 3 not */
    int field;
    dal_op op;
    unsigned vi;            /* value index: into TEXTS / PATTERNS / a number */
    unsigned list[3], nlist;
    struct pexpr *a, *b;
} pexpr;

enum { PF_TYPE, PF_ERROR, PF_RETRY, PF_MAXR, PF_CREATED, PF_STARTED, PF_PRIO, PF_STATUS, PF_N };

static pexpr *gen(int depth)
{
    pexpr *e = calloc(1, sizeof *e);
    assert_non_null(e);
    unsigned pick = depth > 0 ? rnd(10) : 0;
    if (pick >= 7) {
        e->kind = pick == 9 ? 3 : pick == 8 ? 2 : 1;
        e->a = gen(depth - 1);
        e->b = e->kind == 3 ? NULL : gen(depth - 1);
        return e;
    }
    e->field = (int)rnd(PF_N);
    bool text = e->field == PF_TYPE || e->field == PF_ERROR;
    bool optional = e->field == PF_ERROR || e->field == PF_STARTED;
    bool enumf = e->field == PF_PRIO || e->field == PF_STATUS;
    unsigned r = rnd(10);
    if (r < 6)
        e->op = enumf ? (r % 2 ? DAL_OP_EQ : DAL_OP_NE) : (dal_op)(DAL_OP_EQ + r);
    else if (r == 6 && text)
        e->op = DAL_OP_LIKE;
    else if (r == 7 && optional)
        e->op = rnd(2) ? DAL_OP_IS_NULL : DAL_OP_IS_NOT_NULL;
    else
        e->op = DAL_OP_IN;
    unsigned range = text                     ? N_TEXTS
                     : e->field == PF_CREATED ? 9
                     : e->field == PF_STARTED ? 7
                     : e->field == PF_PRIO    ? 4
                                              : 6;
    e->vi = e->op == DAL_OP_LIKE ? rnd(N_PATTERNS) : rnd(range);
    e->nlist = rnd(4);
    for (unsigned i = 0; i < e->nlist; i++)
        e->list[i] = rnd(range);
    return e;
}

static void pfree(pexpr *e)
{
    if (e == NULL)
        return;
    pfree(e->a);
    pfree(e->b);
    free(e);
}

static int64_t num_value(int field, unsigned vi)
{
    if (field == PF_CREATED || field == PF_STARTED)
        return T0 + (int64_t)vi * 1000 - 500 * (vi % 2); /* hits and misses */
    return (int64_t)vi;
}

/* SQL LIKE: % and _, ASCII case-insensitive. */
static bool like(const char *s, const char *p)
{
    if (*p == '\0')
        return *s == '\0';
    if (*p == '%') {
        for (;; s++) {
            if (like(s, p + 1))
                return true;
            if (*s == '\0')
                return false;
        }
    }
    if (*s == '\0')
        return false;
    char a = *s, b = *p;
    if (a >= 'A' && a <= 'Z')
        a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
        b = (char)(b - 'A' + 'a');
    return (*p == '_' || a == b) && like(s + 1, p + 1);
}

static int cmp_result(dal_op op, int c)
{
    switch (op) {
    case DAL_OP_EQ: return c == 0;
    case DAL_OP_NE: return c != 0;
    case DAL_OP_LT: return c < 0;
    case DAL_OP_LE: return c <= 0;
    case DAL_OP_GT: return c > 0;
    default: return c >= 0;
    }
}

static int sign(int64_t d) { return d < 0 ? -1 : d > 0; }

/* The row's value of field: text (s) or number (n); false when NULL. */
static bool row_value(const swarm_task *t, int field, const char **s, int64_t *n)
{
    switch (field) {
    case PF_TYPE: *s = t->task_type; return true;
    case PF_ERROR: *s = t->error; return t->error != NULL;
    case PF_RETRY: *n = t->retry_count; return true;
    case PF_MAXR: *n = t->max_retries; return true;
    case PF_CREATED: *n = t->created_at; return true;
    case PF_STARTED: *n = t->started_at; return t->has_started_at;
    case PF_PRIO: *n = t->priority; return true;
    default: *n = t->status; return true;
    }
}

static int cmp_value(int field, const char *s, int64_t n, unsigned vi)
{
    if (field == PF_TYPE || field == PF_ERROR) {
        int c = strcmp(s, TEXTS[vi]);
        return c < 0 ? -1 : c > 0;
    }
    return sign(n - num_value(field, vi));
}

static int eval(const pexpr *e, const swarm_task *t)
{
    if (e->kind == 1 || e->kind == 2) {
        int a = eval(e->a, t), b = eval(e->b, t);
        if (e->kind == 1)
            return a == F || b == F ? F : a == U || b == U ? U : TR;
        return a == TR || b == TR ? TR : a == U || b == U ? U : F;
    }
    if (e->kind == 3) {
        int a = eval(e->a, t);
        return a == U ? U : !a;
    }
    const char *s = NULL;
    int64_t n = 0;
    bool present = row_value(t, e->field, &s, &n);
    if (e->op == DAL_OP_IS_NULL || e->op == DAL_OP_IS_NOT_NULL)
        return present == (e->op == DAL_OP_IS_NOT_NULL);
    if (e->op == DAL_OP_IN) {
        if (e->nlist == 0)
            return F;
        if (!present)
            return U;
        for (unsigned i = 0; i < e->nlist; i++)
            if (cmp_value(e->field, s, n, e->list[i]) == 0)
                return TR;
        return F;
    }
    if (!present)
        return U;
    if (e->op == DAL_OP_LIKE)
        return like(s, PATTERNS[e->vi]);
    return cmp_result(e->op, cmp_value(e->field, s, n, e->vi));
}

static swarm_task_cond *build_in(const pexpr *e)
{
    char *texts[3];
    int64_t ints[3];
    uint32_t u32s[3];
    int prios[3];
    for (unsigned i = 0; i < e->nlist; i++) {
        texts[i] = (char *)TEXTS[e->list[i]];
        ints[i] = num_value(e->field, e->list[i]);
        u32s[i] = (uint32_t)ints[i];
        prios[i] = (int)ints[i];
    }
    dal_text_list tl = {e->nlist, texts};
    dal_timestamp_list il = {e->nlist, ints};
    dal_u32_list ul = {e->nlist, u32s};
    swarm_task_priority_list pl = {e->nlist, (swarm_task_priority *)prios};
    swarm_task_status_list sl = {e->nlist, (swarm_task_status *)prios};
    switch (e->field) {
    case PF_TYPE: return swarm_task_task_type_in(&tl);
    case PF_ERROR: return swarm_task_error_in(&tl);
    case PF_RETRY: return swarm_task_retry_count_in(&ul);
    case PF_MAXR: return swarm_task_max_retries_in(&ul);
    case PF_CREATED: return swarm_task_created_at_in(&il);
    case PF_STARTED: return swarm_task_started_at_in(&il);
    case PF_PRIO: return swarm_task_priority_in(&pl);
    default: return swarm_task_status_in(&sl);
    }
}

static swarm_task_cond *build(const pexpr *e)
{
    switch (e->kind) {
    case 1: return swarm_task_and(build(e->a), build(e->b));
    case 2: return swarm_task_or(build(e->a), build(e->b));
    case 3: return swarm_task_not(build(e->a));
    default: break;
    }
    if (e->op == DAL_OP_IS_NULL || e->op == DAL_OP_IS_NOT_NULL)
        return e->field == PF_ERROR ? swarm_task_error_null(e->op == DAL_OP_IS_NULL)
                                    : swarm_task_started_at_null(e->op == DAL_OP_IS_NULL);
    if (e->op == DAL_OP_IN)
        return build_in(e);
    if (e->op == DAL_OP_LIKE)
        return e->field == PF_TYPE ? swarm_task_task_type_like(PATTERNS[e->vi]) : swarm_task_error_like(PATTERNS[e->vi]);
    int64_t n = num_value(e->field, e->vi);
    switch (e->field) {
    case PF_TYPE: return swarm_task_task_type_is(e->op, TEXTS[e->vi]);
    case PF_ERROR: return swarm_task_error_is(e->op, TEXTS[e->vi]);
    case PF_RETRY: return swarm_task_retry_count_is(e->op, (uint32_t)n);
    case PF_MAXR: return swarm_task_max_retries_is(e->op, (uint32_t)n);
    case PF_CREATED: return swarm_task_created_at_is(e->op, n);
    case PF_STARTED: return swarm_task_started_at_is(e->op, n);
    case PF_PRIO: return swarm_task_priority_is(e->op, (swarm_task_priority)n);
    default: return swarm_task_status_is(e->op, (swarm_task_status)n);
    }
}

static swarm_task *g_rows_for_order;

/* The orders of ords[] in the property test, as (field, desc) pairs. */
typedef struct okey {
    int field;
    bool desc;
} okey;
static const okey ORDER_SPECS[3][2] = {
    {{PF_ERROR, false}, {PF_CREATED, true}},
    {{PF_STARTED, true}, {-1, false}},
    {{PF_ERROR, true}, {PF_STARTED, false}},
};

/* a before b in the order: NULLs first ascending, last descending, ties by id. */
static int order_cmp(const okey *spec, const swarm_task *a, const swarm_task *b)
{
    for (int k = 0; k < 2 && spec[k].field >= 0; k++) {
        const char *sa = NULL, *sb = NULL;
        int64_t na = 0, nb = 0;
        bool pa = row_value(a, spec[k].field, &sa, &na), pb = row_value(b, spec[k].field, &sb, &nb);
        int c;
        if (!pa || !pb)
            c = pa == pb ? 0 : pa ? 1 : -1; /* NULL is smallest */
        else if (sa != NULL)
            c = strcmp(sa, sb) < 0 ? -1 : strcmp(sa, sb) > 0;
        else
            c = sign(na - nb);
        if (c != 0)
            return spec[k].desc ? -c : c;
    }
    return strcmp(a->id, b->id);
}

/* ids (comma-separated) are strictly increasing in spec's order. */
static void assert_ordered(const okey *spec, const char *ids, unsigned filter)
{
    const swarm_task *prev = NULL;
    for (const char *p = ids; *p;) {
        unsigned id = (unsigned)strtoul(p, (char **)&p, 10);
        const swarm_task *cur = &g_rows_for_order[id - 1];
        if (prev != NULL && order_cmp(spec, prev, cur) >= 0)
            fail_msg("filter %u: %u comes after %u in [%s]", filter, id_of(cur), id_of(prev), ids);
        prev = cur;
        if (*p == ',')
            p++;
    }
}

#define N_ROWS 60
#define N_FILTERS 300
static swarm_task g_rows[N_ROWS];
static const pexpr *g_filter;

static swarm_task_cond *filter_cond(unsigned unused)
{
    (void)unused;
    return build(g_filter);
}

static void test_property_random_filters(void **state)
{
    swarm_db *db = *state;
    g_rng = 0x9e3779b97f4a7c15ull; /* fixed seed */
    for (unsigned i = 0; i < N_ROWS; i++)
        task_random(&g_rows[i], i + 1);
    insert_tasks(db, g_rows, N_ROWS);
    g_rows_for_order = g_rows;
    static char want[1024], got[1024], pages[1024];
    size_t matched_total = 0, nonempty = 0, walks = 0;
    order_fn ords[] = {ord_error_created_desc, ord_started_desc, ord_error_desc_started};
    for (unsigned k = 0; k < N_FILTERS; k++) {
        pexpr *e = gen((int)rnd(4));
        size_t used = 0, matched = 0;
        want[0] = '\0';
        for (unsigned i = 0; i < N_ROWS; i++) {
            if (eval(e, &g_rows[i]) != TR)
                continue;
            int w = snprintf(want + used, sizeof want - used, "%s%u", used ? "," : "", i + 1);
            used += w > 0 ? (size_t)w : 0;
            matched++;
        }
        swarm_task_query *q = swarm_task_query_new();
        swarm_task_query_where(q, build(e));
        int64_t n = -1;
        bool exists = false;
        OK(swarm_task_query_count(db, q, &n, err));
        OK(swarm_task_query_exists(db, q, &exists, err));
        fetch_ids(db, q, got, sizeof got);
        if (strcmp(got, want) != 0)
            fail_msg("filter %u: got [%s], brute force [%s]", k, got, want);
        assert_int_equal(n, (int64_t)matched);
        assert_int_equal(exists, matched > 0);
        matched_total += matched;
        nonempty += matched > 0;
        if (k % 10 == 0) {
            g_filter = e;
            walk(db, filter_cond, 0, ords[k / 10 % 3], 1 + k % 4, pages, got, sizeof got);
            if (strcmp(pages, got) != 0)
                fail_msg("filter %u: keyset pages [%s] != full [%s]", k, pages, got);
            assert_ordered(ORDER_SPECS[k / 10 % 3], got, k);
            walks++;
        }
        pfree(e);
    }
    for (unsigned i = 0; i < N_ROWS; i++)
        swarm_task_clear(&g_rows[i]);
    printf("property: %d filters on %d rows, %zu non-empty, %zu rows matched in all, %zu keyset walks\n",
           N_FILTERS, N_ROWS, nonempty, matched_total, walks);
    assert_true(nonempty > N_FILTERS / 4);
    assert_true(nonempty < N_FILTERS);
}

/* ------------------------------------------------------------------------ */

static int suite_setup(void **state)
{
    (void)state;
    return template_dir_make("dal-builder");
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
        fprintf(stderr, "usage: %s URL-TEMPLATE   e.g. 'sqlite:{dir}/b{n}.db' or 'memory:b{n}'\n", argv[0]);
        return 2;
    }
    g_template = argv[1];
    const struct CMUnitTest tests[] = {
        T(test_operators),
        T(test_and_or_not),
        T(test_order_limit_offset),
        T(test_fetch_one_count_exists),
        T(test_delete_update),
        T(test_in_transaction),
        T(test_injection_is_data),
        T(test_sql_text),
        T(test_errors),
        T(test_memory_uses_index),
        T(test_keyset_walk),
        T(test_property_random_filters),
    };
    char title[300];
    snprintf(title, sizeof title, "builder %s", g_template);
    return _cmocka_run_group_tests(title, tests, sizeof tests / sizeof tests[0], suite_setup, suite_teardown);
}
