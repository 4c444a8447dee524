/*
 * swarm_harness.h - what the programs that run the generated swarm API on a
 * backend given by URL template share (tests/conformance, tests/builder):
 * a fresh database per test (OK and EXPECT: test_util.h).
 * Include after <cmocka.h>.
 */
#ifndef DAL_TESTS_SWARM_HARNESS_H
#define DAL_TESTS_SWARM_HARNESS_H

#include "swarm/swarm.h"
#include "test_util.h"
#include "url_template.h"
#ifdef DAL_TEST_HAVE_PG
#include "dal_pg.h"
#endif

/* cmocka setup: *state becomes a fresh swarm_db opened from the template. */
static int db_setup(void **state)
{
    char url[512];
    dal_error err = {0};
    make_url(url, sizeof url);
    swarm_db *db = swarm_open(url, &err);
    if (db == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", url, err.message);
        return -1;
    }
    *state = db;
    return 0;
}

/* PostgreSQL: drops the test's schema (the schema= option of its URL). */
static void drop_pg_schema(swarm_db *db)
{
#ifdef DAL_TEST_HAVE_PG
    const char *s = strstr(g_last_url, "schema=");
    if (db == NULL || s == NULL)
        return;
    char sql[200];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%.*s\" CASCADE", (int)strcspn(s + 7, "&"), s + 7);
    PGconn *pg = NULL;
    dal_error err = {0};
    dal_pg_conn *c = dal_pg_acquire((dal_db *)db, &pg, &err);
    if (c != NULL) {
        PQclear(PQexec(pg, sql));
        dal_pg_release((dal_db *)db, c);
    }
#else
    (void)db;
#endif
}

static int db_teardown(void **state)
{
    if (backend_is("postgresql"))
        drop_pg_schema(*state);
    swarm_close(*state);
    return 0;
}

#endif /* DAL_TESTS_SWARM_HARNESS_H */
