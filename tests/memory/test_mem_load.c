/*
 * test_mem_load.c - dal_memory_load and dal_memory_sequence, what a backend
 * that keeps a memory store as its working set (idb:) uses to fill it: rows
 * keep their @sequence values, counters move past them (and can be raised),
 * references are not checked, unique keys are, all or none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dal_memory.h"
#include "swarm/swarm.h"

static void event_make(swarm_event *e, unsigned n, uint64_t seq)
{
    swarm_event_init(e);
    snprintf(e->id, DAL_UUID_SIZE, "00000000-0000-7000-8000-%012u", n);
    assert_true(dal_strset(&e->event_type, "loaded"));
    e->sequence = seq;
}

static void test_load_keeps_sequences(void **state)
{
    (void)state;
    dal_error err = {0};
    swarm_db *db = swarm_open("memory:", &err);
    assert_non_null(db);
    swarm_event e[2];
    event_make(&e[0], 1, 9);
    event_make(&e[1], 2, 5);
    /* an agent that does not exist: loading does not check references */
    e[1].has_agent_id = true;
    dal_uuidset(e[1].agent_id, "00000000-0000-7000-8000-000000000999");
    assert_int_equal(dal_memory_load((dal_db *)db, &swarm_event_model, e, 2, &err), DAL_OK);
    swarm_event got;
    swarm_event_init(&got);
    bool found = false;
    assert_int_equal(swarm_event_get(db, e[1].id, &got, &found, &err), DAL_OK);
    assert_true(found);
    assert_int_equal(got.sequence, 5);
    swarm_event_clear(&got);
    /* the counter moved past the largest */
    swarm_event next;
    event_make(&next, 3, 0);
    assert_int_equal(swarm_event_insert(db, &next, &err), DAL_OK);
    assert_int_equal(next.sequence, 10);
    swarm_event_clear(&next);
    /* raised by hand; never lowered */
    unsigned f = 0;
    while (strcmp(swarm_event_model.fields[f].name, "sequence") != 0)
        f++;
    uint64_t v = 20;
    assert_int_equal(dal_memory_sequence((dal_db *)db, &swarm_event_model, f, &v, true, &err), DAL_OK);
    assert_int_equal(v, 20);
    v = 3;
    assert_int_equal(dal_memory_sequence((dal_db *)db, &swarm_event_model, f, &v, true, &err), DAL_OK);
    assert_int_equal(v, 20);
    event_make(&next, 4, 0);
    assert_int_equal(swarm_event_insert(db, &next, &err), DAL_OK);
    assert_int_equal(next.sequence, 21);
    swarm_event_clear(&next);
    swarm_event_clear(&e[0]);
    swarm_event_clear(&e[1]);
    swarm_close(db);
}

static void test_load_all_or_none(void **state)
{
    (void)state;
    dal_error err = {0};
    swarm_db *db = swarm_open("memory:", &err);
    assert_non_null(db);
    swarm_event e[3];
    event_make(&e[0], 1, 1);
    event_make(&e[1], 2, 2);
    event_make(&e[2], 1, 3); /* the id of the first again */
    assert_int_equal(dal_memory_load((dal_db *)db, &swarm_event_model, e, 3, &err), DAL_ERR_CONSTRAINT);
    assert_non_null(strstr(err.message, "events"));
    int64_t n = -1;
    assert_int_equal(swarm_event_count(db, &n, &err), DAL_OK);
    assert_int_equal(n, 0);
    for (int i = 0; i < 3; i++)
        swarm_event_clear(&e[i]);
    swarm_close(db);
}

static void test_not_memory(void **state)
{
    (void)state;
    dal_error err = {0};
    char path[] = "/tmp/dal-mem-load-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char url[64];
    snprintf(url, sizeof url, "sqlite:%s", path);
    swarm_db *db = swarm_open(url, &err);
    assert_non_null(db);
    swarm_event e;
    event_make(&e, 1, 1);
    assert_int_equal(dal_memory_load((dal_db *)db, &swarm_event_model, &e, 1, &err), DAL_ERR_INVALID);
    assert_non_null(strstr(err.message, "not a memory database"));
    uint64_t v = 0;
    assert_int_equal(dal_memory_sequence((dal_db *)db, &swarm_event_model, 0, &v, false, &err), DAL_ERR_INVALID);
    swarm_event_clear(&e);
    swarm_close(db);
    remove(path);
    char side[96];
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    remove(side);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_keeps_sequences),
        cmocka_unit_test(test_load_all_or_none),
        cmocka_unit_test(test_not_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
