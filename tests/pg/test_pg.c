/*
 * test_pg.c - what only the PostgreSQL backend has: URLs and connection
 * errors (never showing the password), SQLSTATEs mapped to dal codes, a
 * serialization failure returned from a caller's transaction, sequence
 * numbers never reused after a rollback, and the task claim atomic across
 * processes. Runs on the server of DAL_TEST_PG_URL, a schema per test
 * (skipped without it, see tests/url_template.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swarm_harness.h"

static void uuid_n(char out[DAL_UUID_SIZE], unsigned n)
{
    snprintf(out, DAL_UUID_SIZE, "00000000-0000-7000-8000-%012u", n);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void assert_lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle) != NULL)
        fail_msg("'%s' contains '%s'", hay, needle);
}

/* Runs SQL on a raw connection of db; fails the test unless it succeeds. */
static void raw_sql(swarm_db *db, const char *sql)
{
    PGconn *pg = NULL;
    dal_error err = {0};
    dal_pg_conn *c = dal_pg_acquire((dal_db *)db, &pg, &err);
    assert_non_null(c);
    PGresult *r = PQexec(pg, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    dal_pg_release((dal_db *)db, c);
}

static void agent_make(swarm_agent *a, unsigned n, const char *name)
{
    swarm_agent_init(a);
    uuid_n(a->id, 1000 + n);
    assert_true(dal_strset(&a->name, name));
    assert_true(dal_strset(&a->agent_type, "coder"));
}

/* ------------------------------------------------------------------------ */
/* URLs and connection errors                                                */
/* ------------------------------------------------------------------------ */

static void test_bad_urls(void **state)
{
    (void)state;
    dal_error err = {0};
    assert_null(swarm_open("postgresql:no-slashes", &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
    assert_contains(err.message, "postgresql://[user[:password]@][host]");

    assert_null(swarm_open("postgresql://u:hunter2pw@localhost:notaport/db", &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
    assert_contains(err.message, "bad PostgreSQL URL");
    assert_lacks(err.message, "hunter2pw");

    /* options neither dal nor libpq knows */
    assert_null(swarm_open("postgresql://u:hunter2pw@localhost/db?no_such_libpq_option=1", &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
    assert_contains(err.message, "no_such_libpq_option");
    assert_lacks(err.message, "hunter2pw");

    /* dal's own options are checked by dal */
    assert_null(swarm_open("postgresql://u:hunter2pw@localhost/db?max_connections=x", &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
    assert_contains(err.message, "max_connections");
    assert_lacks(err.message, "hunter2pw");
    assert_contains(err.message, "u:***@localhost");
}

static void test_refused_connection(void **state)
{
    (void)state;
    dal_error err = {0};
    /* port 1 on the loopback: nothing listens there */
    assert_null(swarm_open("postgres://someone:s3cret-pw@127.0.0.1:1/inventory?connect_timeout=5", &err));
    assert_int_equal(err.code, DAL_ERR_DATABASE);
    assert_contains(err.message, "cannot connect to PostgreSQL");
    assert_contains(err.message, "host 127.0.0.1 port 1 database inventory");
    assert_lacks(err.message, "s3cret-pw");
}

/* The test server's URL with another password. */
static void url_with_password(char *out, size_t size, const char *password)
{
    const char *base = getenv("DAL_TEST_PG_URL");
    const char *auth = strstr(base, "://");
    const char *at = auth ? strchr(auth + 3, '@') : NULL;
    const char *colon = at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
    if (colon == NULL)
        snprintf(out, size, "%s", base); /* no password in the URL */
    else
        snprintf(out, size, "%.*s:%s%s", (int)(colon - base), base, password, at);
}

static void test_wrong_password(void **state)
{
    (void)state;
    char url[600];
    url_with_password(url, sizeof url, "Wr0ng-passw0rd");
    if (strstr(url, "Wr0ng-passw0rd") == NULL)
        skip(); /* the server's URL has no password to change */
    dal_error err = {0};
    swarm_db *db = swarm_open(url, &err);
    if (db != NULL) { /* the server trusts this client: nothing to test */
        swarm_close(db);
        skip();
    }
    assert_int_equal(err.code, DAL_ERR_DATABASE);
    assert_contains(err.message, "password authentication failed");
    assert_contains(err.message, "database ");
    assert_contains(err.message, "host ");
    assert_lacks(err.message, "Wr0ng-passw0rd");
}

/* ------------------------------------------------------------------------ */
/* SQLSTATEs                                                                 */
/* ------------------------------------------------------------------------ */

static void test_sqlstate_mapping(void **state)
{
    swarm_db *db = *state;
    dal_error err = {0};
    swarm_agent a, b;
    agent_make(&a, 1, "one");
    OK(swarm_agent_insert(db, &a, err));

    /* unique violation (the key) */
    agent_make(&b, 1, "again");
    assert_int_equal(swarm_agent_insert(db, &b, &err), DAL_ERR_CONSTRAINT);
    assert_contains(err.message, "agents");
    assert_contains(err.message, "duplicate key");
    assert_contains(err.message, a.id);
    swarm_agent_clear(&b);

    /* foreign key */
    swarm_task t;
    swarm_task_init(&t);
    uuid_n(t.id, 1);
    assert_true(dal_strset(&t.task_type, "x"));
    t.has_assigned_to = true;
    uuid_n(t.assigned_to, 999);
    assert_int_equal(swarm_task_insert(db, &t, &err), DAL_ERR_CONSTRAINT);
    assert_contains(err.message, "foreign key tasks.assigned_to");
    assert_contains(err.message, t.assigned_to);

    /* not null and check: constraints added behind the schema's back */
    raw_sql(db, "ALTER TABLE \"tasks\" ALTER COLUMN \"error\" SET NOT NULL");
    t.has_assigned_to = false;
    assert_int_equal(swarm_task_insert(db, &t, &err), DAL_ERR_CONSTRAINT);
    assert_contains(err.message, "column tasks.error may not be NULL");
    raw_sql(db, "ALTER TABLE \"agents\" ADD CONSTRAINT \"short_name\" CHECK (length(\"name\") < 8)");
    agent_make(&b, 2, "a rather long name");
    assert_int_equal(swarm_agent_insert(db, &b, &err), DAL_ERR_CONSTRAINT);
    assert_contains(err.message, "short_name");
    assert_contains(err.message, "SQLSTATE 23514");

    /* a failed call inside a transaction leaves the transaction usable */
    swarm_tx *tx = swarm_begin(db, &err);
    assert_non_null(tx);
    assert_int_equal(swarm_agent_insert(swarm_tx_db(tx), &b, &err), DAL_ERR_CONSTRAINT);
    assert_true(dal_strset(&b.name, "short"));
    OK(swarm_agent_insert(swarm_tx_db(tx), &b, err));
    OK(swarm_commit(tx, err));
    swarm_tx_free(tx);
    int64_t n = 0;
    OK(swarm_agent_count(db, &n, err));
    assert_int_equal(n, 2);

    swarm_task_clear(&t);
    swarm_agent_clear(&a);
    swarm_agent_clear(&b);
}

/* A serialization failure inside the caller's transaction is returned to
 * the caller, named, and not retried (only the caller can run it again). */
static void test_serialization_failure_in_tx(void **state)
{
    (void)state;
    char url[700];
    make_url(url, sizeof url);
    size_t len = strlen(url);
    snprintf(url + len, sizeof url - len, "&options=-c%%20default_transaction_isolation%%3Dserializable");
    dal_error err = {0};
    swarm_db *db = swarm_open(url, &err);
    if (db == NULL)
        fail_msg("%s", err.message);
    swarm_agent a, b;
    agent_make(&a, 1, "mine");
    agent_make(&b, 2, "theirs");

    /* another client: reads the table, then writes it, in a transaction */
    PGconn *other = NULL;
    dal_pg_conn *oc = dal_pg_acquire((dal_db *)db, &other, &err);
    assert_non_null(oc);
    PQclear(PQexec(other, "BEGIN ISOLATION LEVEL SERIALIZABLE"));
    PGresult *r = PQexec(other, "SELECT count(*) FROM \"agents\"");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);

    swarm_tx *tx = swarm_begin(db, &err);
    assert_non_null(tx);
    int64_t n = -1;
    OK(swarm_agent_count(swarm_tx_db(tx), &n, err));
    assert_int_equal(n, 0);
    OK(swarm_agent_insert(swarm_tx_db(tx), &a, err));

    char sql[300];
    snprintf(sql, sizeof sql,
             "INSERT INTO \"agents\" (\"id\", \"name\", \"agent_type\", \"status\", \"capabilities\", \"metadata\", "
             "\"heartbeat\", \"created_at\", \"updated_at\") VALUES ('%s', 'theirs', 'coder', 'idle', '[]', '{}', 0, 0, 0)",
             b.id);
    r = PQexec(other, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s", PQresultErrorMessage(r));
    PQclear(r);
    r = PQexec(other, "COMMIT");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    dal_pg_release((dal_db *)db, oc);

    dal_code rc = swarm_commit(tx, &err);
    assert_int_equal(rc, DAL_ERR_BUSY);
    assert_contains(err.message, "serialization failure");
    assert_contains(err.message, "SQLSTATE 40001");
    swarm_tx_free(tx);
    /* the caller's row is not there; the other's is */
    bool found = true;
    swarm_agent out;
    swarm_agent_init(&out);
    OK(swarm_agent_get(db, a.id, &out, &found, err));
    assert_false(found);
    OK(swarm_agent_get(db, b.id, &out, &found, err));
    assert_true(found);
    swarm_agent_clear(&out);
    swarm_agent_clear(&a);
    swarm_agent_clear(&b);
    drop_pg_schema(db);
    swarm_close(db);
}

/* ------------------------------------------------------------------------ */
/* Sequences                                                                 */
/* ------------------------------------------------------------------------ */

static void test_sequence_not_reused_after_rollback(void **state)
{
    swarm_db *db = *state;
    dal_error err = {0};
    swarm_event e1, e2, e3;
    swarm_event_init(&e1);
    assert_true(dal_strset(&e1.event_type, "first"));
    OK(swarm_event_insert(db, &e1, err));

    swarm_tx *tx = swarm_begin(db, &err);
    assert_non_null(tx);
    swarm_event_init(&e2);
    assert_true(dal_strset(&e2.event_type, "rolled back"));
    OK(swarm_event_insert(swarm_tx_db(tx), &e2, err));
    assert_true(e2.sequence > e1.sequence);
    OK(swarm_rollback(tx, err));
    swarm_tx_free(tx);

    swarm_event_init(&e3);
    assert_true(dal_strset(&e3.event_type, "after"));
    OK(swarm_event_insert(db, &e3, err));
    assert_true(e3.sequence > e2.sequence); /* SQLite would give e2's number again */
    swarm_event_clear(&e1);
    swarm_event_clear(&e2);
    swarm_event_clear(&e3);
}

/* ------------------------------------------------------------------------ */
/* Claims across processes                                                   */
/* ------------------------------------------------------------------------ */

#define N_PROCS 4
#define N_TASKS 1000

/* One worker process: claims every task it can, starting at its own offset;
 * writes how many it won to fd. Exit status 0 on success. */
static int claim_worker(const char *url, unsigned k, int fd)
{
    dal_error err = {0};
    swarm_db *db = swarm_open(url, &err);
    if (db == NULL) {
        fprintf(stderr, "worker %u: %s\n", k, err.message);
        return 1;
    }
    char agent[DAL_UUID_SIZE];
    uuid_n(agent, 1000 + k);
    unsigned won = 0;
    for (unsigned j = 0; j < N_TASKS; j++) {
        char id[DAL_UUID_SIZE];
        uuid_n(id, (j + k * (N_TASKS / N_PROCS)) % N_TASKS);
        bool claimed = false;
        if (swarm_task_claim(db, id, agent, &claimed, &err) != DAL_OK) {
            fprintf(stderr, "worker %u: %s\n", k, err.message);
            swarm_close(db);
            return 1;
        }
        won += claimed;
    }
    swarm_close(db);
    return write(fd, &won, sizeof won) == (ssize_t)sizeof won ? 0 : 1;
}

static void test_claim_across_processes(void **state)
{
    swarm_db *db = *state;
    swarm_agent a[N_PROCS];
    for (unsigned k = 0; k < N_PROCS; k++) {
        agent_make(&a[k], k, "worker");
        OK(swarm_agent_insert(db, &a[k], err));
    }
    swarm_task *t = calloc(N_TASKS, sizeof *t);
    assert_non_null(t);
    for (unsigned i = 0; i < N_TASKS; i++) {
        swarm_task_init(&t[i]);
        uuid_n(t[i].id, i);
        assert_true(dal_strset(&t[i].task_type, "job"));
    }
    OK(swarm_task_insert_many(db, t, N_TASKS, err));

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pids[N_PROCS];
    for (unsigned k = 0; k < N_PROCS; k++) {
        fflush(NULL);
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            close(fds[0]);
            _exit(claim_worker(g_last_url, k, fds[1]));
        }
    }
    close(fds[1]);
    unsigned total = 0;
    for (unsigned k = 0; k < N_PROCS; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    unsigned won = 0;
    while (read(fds[0], &won, sizeof won) == (ssize_t)sizeof won)
        total += won;
    close(fds[0]);
    /* every task won exactly once, by one of the workers */
    assert_int_equal(total, N_TASKS);
    swarm_task_list pending = {0, NULL};
    OK(swarm_task_pending(db, &pending, err));
    assert_int_equal(pending.n, 0);
    unsigned per_agent_total = 0;
    for (unsigned k = 0; k < N_PROCS; k++) {
        swarm_task_list mine = {0, NULL};
        OK(swarm_task_by_agent(db, a[k].id, &mine, err));
        per_agent_total += (unsigned)mine.n;
        swarm_task_list_free(&mine);
    }
    assert_int_equal(per_agent_total, N_TASKS);
    for (unsigned i = 0; i < N_TASKS; i++)
        swarm_task_clear(&t[i]);
    free(t);
    for (unsigned k = 0; k < N_PROCS; k++)
        swarm_agent_clear(&a[k]);
}

/* ------------------------------------------------------------------------ */

static int suite_setup(void **state)
{
    (void)state;
    return template_dir_make("dal-pg");
}

static int suite_teardown(void **state)
{
    (void)state;
    return template_dir_remove();
}

#define T(f) cmocka_unit_test_setup_teardown(f, db_setup, db_teardown)

int main(int argc, char **argv)
{
    g_template = argc > 1 ? argv[1] : "{pg}schema=dalt_p{run}_{n}";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_refused_connection),
        cmocka_unit_test(test_wrong_password),
        T(test_sqlstate_mapping),
        cmocka_unit_test(test_serialization_failure_in_tx),
        T(test_sequence_not_reused_after_rollback),
        T(test_claim_across_processes),
    };
    return cmocka_run_group_tests_name("postgresql", tests, suite_setup, suite_teardown);
}
