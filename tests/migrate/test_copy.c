/*
 * test_copy.c - dal_copy_all between backends on the swarm schema: memory to
 * SQLite and back, every row equal (ids, timestamps, @sequence numbers), the
 * target's sequences continuing after the copied numbers, and the refusals
 * (a target holding rows, a different schema) leaving the target unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "swarm/swarm.h"

static char g_db[256];

static void populate(swarm_db *db)
{
    dal_error err = {0};
    swarm_agent a[3];
    for (int i = 0; i < 3; i++) {
        swarm_agent_init(&a[i]);
        char name[16];
        snprintf(name, sizeof name, "agent-%d", i);
        dal_strset(&a[i].name, name);
        dal_strset(&a[i].agent_type, "coder");
        a[i].created_at = 1700000000000000LL + i; /* kept exactly by the copy */
        assert_int_equal(swarm_agent_insert(db, &a[i], &err), DAL_OK);
    }
    for (int i = 0; i < 7; i++) {
        swarm_task t;
        swarm_task_init(&t);
        dal_strset(&t.task_type, "build");
        if (i % 2)
            dal_uuidset(t.assigned_to, a[i % 3].id);
        assert_int_equal(swarm_task_insert(db, &t, &err), DAL_OK);
        swarm_event e;
        swarm_event_init(&e);
        dal_strset(&e.event_type, "queued");
        dal_uuidset(e.task_id, t.id);
        assert_int_equal(swarm_event_insert(db, &e, &err), DAL_OK);
        if (i == 3) { /* a gap in the sequence: the copy keeps the numbers */
            assert_int_equal(swarm_event_delete(db, e.id, &err), DAL_OK);
        }
        swarm_event_clear(&e);
        swarm_task_clear(&t);
    }
    for (int i = 0; i < 3; i++)
        swarm_agent_clear(&a[i]);
}

/* Every row of every model of a equals the row of b at the same place. */
static void assert_same_rows(swarm_db *a, swarm_db *b)
{
    const dal_schema *s = &swarm_schema;
    dal_error err = {0};
    for (size_t i = 0; i < s->n_models; i++) {
        const dal_model *m = s->models[i];
        if (m->table == NULL)
            continue;
        dal_list x = {0}, y = {0};
        assert_int_equal(dal_list_all((dal_db *)a, m, &x, &err), DAL_OK);
        assert_int_equal(dal_list_all((dal_db *)b, m, &y, &err), DAL_OK);
        assert_int_equal(x.n, y.n);
        for (size_t k = 0; k < x.n; k++)
            if (!dal_record_equal(m, (char *)x.v + k * m->size, (char *)y.v + k * m->size))
                fail_msg("%s row %zu differs", m->table, k);
        dal_record_list_free(m, &x);
        dal_record_list_free(m, &y);
    }
}

static uint64_t next_sequence(swarm_db *db)
{
    dal_error err = {0};
    swarm_event e;
    swarm_event_init(&e);
    dal_strset(&e.event_type, "after");
    assert_int_equal(swarm_event_insert(db, &e, &err), DAL_OK);
    uint64_t seq = e.sequence;
    swarm_event_clear(&e);
    return seq;
}

static void test_memory_to_sqlite_and_back(void **state)
{
    (void)state;
    dal_error err = {0};
    swarm_db *mem = swarm_open("memory:", &err);
    assert_non_null(mem);
    populate(mem);
    char url[300];
    snprintf(url, sizeof url, "sqlite:%s", g_db);
    swarm_db *sq = swarm_open(url, &err);
    assert_non_null(sq);
    assert_int_equal(dal_copy_all((dal_db *)mem, (dal_db *)sq, &err), DAL_OK);
    assert_same_rows(mem, sq);
    int64_t n = 0;
    assert_int_equal(swarm_event_count(sq, &n, &err), DAL_OK);
    assert_int_equal(n, 6);

    /* back into another memory store */
    swarm_db *mem2 = swarm_open("memory:copy_back", &err);
    assert_non_null(mem2);
    assert_int_equal(dal_copy_all((dal_db *)sq, (dal_db *)mem2, &err), DAL_OK);
    assert_same_rows(sq, mem2);

    /* sequences continue after the copied numbers, on both backends */
    uint64_t a = next_sequence(mem), b = next_sequence(sq), c = next_sequence(mem2);
    assert_int_equal(a, 8);
    assert_int_equal(b, 8);
    assert_int_equal(c, 8);

    /* a target holding rows is refused and left as it was */
    assert_int_equal(dal_copy_all((dal_db *)mem, (dal_db *)sq, &err), DAL_ERR_INVALID);
    assert_non_null(strstr(err.message, "already holds"));
    assert_int_equal(swarm_event_count(sq, &n, &err), DAL_OK);
    assert_int_equal(n, 7);
    /* so is the same database, and a transaction's handle */
    assert_int_equal(dal_copy_all((dal_db *)sq, (dal_db *)sq, &err), DAL_ERR_INVALID);
    swarm_tx *tx = swarm_begin(mem2, &err);
    assert_int_equal(dal_copy_all((dal_db *)sq, (dal_db *)swarm_tx_db(tx), &err), DAL_ERR_INVALID);
    swarm_tx_free(tx);
    assert_int_equal(dal_copy_all(NULL, (dal_db *)sq, &err), DAL_ERR_INVALID);

    swarm_close(mem);
    swarm_close(mem2);
    swarm_close(sq);
}

/* A schema of another shape is refused with DAL_ERR_MIGRATION. */
static void test_other_schema_refused(void **state)
{
    (void)state;
    static const dal_model *const one[] = {&swarm_agent_model};
    static const dal_schema other = {"other", "1", 0, NULL, 1, one, 0, NULL};
    dal_error err = {0};
    swarm_db *mem = swarm_open("memory:", &err);
    dal_db *o = dal_open(&other, "memory:", NULL, &err);
    assert_non_null(o);
    assert_int_equal(dal_copy_all((dal_db *)mem, o, &err), DAL_ERR_MIGRATION);
    assert_non_null(strstr(err.message, "different schemas"));
    dal_close(o);
    swarm_close(mem);
}

int main(void)
{
    snprintf(g_db, sizeof g_db, "/tmp/dal_test_copy_%ld.db", (long)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_to_sqlite_and_back),
        cmocka_unit_test(test_other_schema_refused),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char side[300];
    unlink(g_db);
    snprintf(side, sizeof side, "%s-wal", g_db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", g_db);
    unlink(side);
    return rc;
}
