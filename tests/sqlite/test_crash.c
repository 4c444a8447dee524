/*
 * test_crash.c - a writer process killed with SIGKILL at random moments.
 *
 * Each round forks a child that opens the swarm database (sqlite) and runs
 * numbered transactions until it is killed: transaction i inserts task T_i,
 * event E_i (about T_i) and metric M_i, and sets the ledger agent's name to
 * "tx i"; after each commit returns DAL_OK the child writes i to a pipe. The
 * parent kills it after a random delay (sometimes before it has even opened
 * the database), then reopens the file and checks:
 *   - PRAGMA integrity_check is "ok" and the database opens through dal;
 *   - every transaction whose commit returned is there, whole;
 *   - no transaction is there in part: for every i, T_i, E_i and M_i are all
 *     present or all absent, the present ones are 1..n with no gap, and the
 *     ledger names the last of them.
 * The kill times are random; what is asserted does not depend on them.
 *
 * Rounds: 20, or argv[1], or DAL_CRASH_ROUNDS.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "swarm/swarm.h"

static char g_dir[128];
static char g_url[256];
static char g_path[200];
static unsigned g_rounds = 20;

static const char *const LEDGER = "00000000-0000-7000-8000-000000000001";

static void id_of(char out[DAL_UUID_SIZE], unsigned kind, long i)
{
    /* both parts cut to their width, so the text always fits (and says so to -Wformat-truncation) */
    snprintf(out, DAL_UUID_SIZE, "%08u-0000-7000-8000-%012llu", kind % 100000000u,
             (unsigned long long)i % 1000000000000ull);
}

/* ------------------------------------------------------------------------ */
/* The child: writes until killed                                            */
/* ------------------------------------------------------------------------ */

static dal_code one_tx(swarm_db *db, long i, dal_error *err)
{
    swarm_tx *tx = swarm_begin(db, err);
    if (tx == NULL)
        return err->code;
    swarm_db *t = swarm_tx_db(tx);
    dal_code rc;
    swarm_task task;
    swarm_task_init(&task);
    id_of(task.id, 2, i);
    dal_strset(&task.task_type, "crash");
    cJSON_AddNumberToObject(task.payload, "i", (double)i);
    rc = swarm_task_insert(t, &task, err);
    swarm_event e;
    swarm_event_init(&e);
    if (rc == DAL_OK) {
        id_of(e.id, 3, i);
        dal_strset(&e.event_type, "crash");
        e.has_task_id = true;
        memcpy(e.task_id, task.id, DAL_UUID_SIZE);
        rc = swarm_event_insert(t, &e, err);
    }
    swarm_metric m;
    swarm_metric_init(&m);
    if (rc == DAL_OK) {
        id_of(m.id, 5, i);
        dal_strset(&m.metric_type, "crash");
        dal_strset(&m.unit, "tx");
        m.value = (double)i;
        m.has_agent_id = true;
        memcpy(m.agent_id, LEDGER, DAL_UUID_SIZE);
        rc = swarm_metric_insert(t, &m, err);
    }
    swarm_agent ledger;
    swarm_agent_init(&ledger);
    bool found = false;
    if (rc == DAL_OK)
        rc = swarm_agent_get(t, LEDGER, &ledger, &found, err);
    if (rc == DAL_OK) {
        char name[32];
        snprintf(name, sizeof name, "tx %ld", i);
        dal_strset(&ledger.name, name);
        rc = swarm_agent_update(t, &ledger, err);
    }
    if (rc == DAL_OK)
        rc = swarm_commit(tx, err);
    swarm_tx_free(tx);
    swarm_agent_clear(&ledger);
    swarm_metric_clear(&m);
    swarm_event_clear(&e);
    swarm_task_clear(&task);
    return rc;
}

static void child(int fd, long first)
{
    dal_error err = {0};
    swarm_db *db = swarm_open(g_url, &err);
    if (db == NULL) {
        fprintf(stderr, "crash child: open: %s\n", err.message);
        _exit(3);
    }
    long ready = 0;
    if (write(fd, &ready, sizeof ready) != (ssize_t)sizeof ready)
        _exit(4);
    for (long i = first;; i++) {
        if (one_tx(db, i, &err) != DAL_OK) {
            fprintf(stderr, "crash child: tx %ld: %s\n", i, err.message);
            _exit(5);
        }
        if (write(fd, &i, sizeof i) != (ssize_t)sizeof i)
            _exit(6);
    }
}

/* ------------------------------------------------------------------------ */
/* The parent                                                                */
/* ------------------------------------------------------------------------ */

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static long count_rows(sqlite3 *raw, const char *sql)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    long n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* Checks the file after a crash; returns the last transaction present. */
static long verify(long acked, long before)
{
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open_v2(g_path, &raw, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    long tasks = count_rows(raw, "SELECT count(*) FROM tasks");
    long events = count_rows(raw, "SELECT count(*) FROM events");
    long metrics = count_rows(raw, "SELECT count(*) FROM metrics");
    sqlite3_close(raw);
    /* whole transactions only */
    assert_int_equal(tasks, events);
    assert_int_equal(tasks, metrics);

    /* through dal: it opens, and the rows are 1..n, each whole */
    dal_error err = {0};
    swarm_db *db = swarm_open(g_url, &err);
    if (db == NULL)
        fail_msg("reopen after the crash: %s", err.message);
    long n = tasks;
    assert_true(n >= acked);  /* every commit that returned is there */
    assert_true(n >= before); /* nothing committed earlier was lost */
    for (long i = 1; i <= n; i++) {
        char id[DAL_UUID_SIZE];
        bool found = false;
        swarm_task t;
        swarm_task_init(&t);
        id_of(id, 2, i);
        if (swarm_task_get(db, id, &t, &found, &err) != DAL_OK || !found)
            fail_msg("task of tx %ld (of %ld) missing: %s", i, n, err.message);
        swarm_task_clear(&t);
        swarm_event e;
        swarm_event_init(&e);
        id_of(id, 3, i);
        if (swarm_event_get(db, id, &e, &found, &err) != DAL_OK || !found)
            fail_msg("event of tx %ld missing", i);
        swarm_event_clear(&e);
        swarm_metric m;
        swarm_metric_init(&m);
        id_of(id, 5, i);
        if (swarm_metric_get(db, id, &m, &found, &err) != DAL_OK || !found)
            fail_msg("metric of tx %ld missing", i);
        assert_true(m.value == (double)i);
        swarm_metric_clear(&m);
    }
    swarm_agent ledger;
    swarm_agent_init(&ledger);
    bool found = false;
    if (swarm_agent_get(db, LEDGER, &ledger, &found, &err) != DAL_OK || !found)
        fail_msg("ledger agent missing: %s", err.message);
    char want[32];
    snprintf(want, sizeof want, "tx %ld", n);
    assert_string_equal(ledger.name, n == 0 ? "ledger" : want);
    swarm_agent_clear(&ledger);
    swarm_close(db);
    return n;
}

static void test_sigkill_writer(void **state)
{
    (void)state;
    /* the ledger agent the transactions update */
    dal_error err = {0};
    swarm_db *db = swarm_open(g_url, &err);
    if (db == NULL)
        fail_msg("open: %s", err.message);
    swarm_agent ledger;
    swarm_agent_init(&ledger);
    dal_uuidset(ledger.id, LEDGER);
    dal_strset(&ledger.name, "ledger");
    dal_strset(&ledger.agent_type, "ledger");
    if (swarm_agent_insert(db, &ledger, &err) != DAL_OK)
        fail_msg("ledger: %s", err.message);
    swarm_agent_clear(&ledger);
    swarm_close(db);

    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    printf("crash test: %u rounds, seed %u\n", g_rounds, seed);
    long present = 0, total_acked = 0;
    for (unsigned round = 0; round < g_rounds; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child(fds[1], present + 1);
        }
        close(fds[1]);
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 8) % 1000;
        /* one round in four is killed at any moment, maybe while opening;
         * the others some time after the child reports it is writing */
        if (r % 4 != 0) {
            struct pollfd p = {fds[0], POLLIN, 0};
            assert_int_equal(poll(&p, 1, 30000), 1);
        }
        sleep_us((long)(r * 150)); /* 0 .. 150 ms */
        kill(pid, SIGKILL);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fail_msg("round %u: the writer ended by itself (status %d)", round, status);
        long acked = 0, v;
        ssize_t k;
        while ((k = read(fds[0], &v, sizeof v)) == (ssize_t)sizeof v)
            if (v > acked)
                acked = v;
        close(fds[0]);
        if (acked > 0)
            total_acked += acked - present;
        present = verify(acked, present);
    }
    printf("crash test: %ld transactions committed and acknowledged, %ld present at the end\n", total_acked,
           present);
}

int main(int argc, char **argv)
{
    const char *env = getenv("DAL_CRASH_ROUNDS");
    if (argc > 1)
        g_rounds = (unsigned)strtoul(argv[1], NULL, 10);
    else if (env != NULL)
        g_rounds = (unsigned)strtoul(env, NULL, 10);
    snprintf(g_dir, sizeof g_dir, "/tmp/dal-crash-XXXXXX");
    if (mkdtemp(g_dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(g_path, sizeof g_path, "%s/crash.db", g_dir);
    snprintf(g_url, sizeof g_url, "sqlite:%s", g_path);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sigkill_writer)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return failed;
}
