/*
 * test_migrate.c - schema evolution end to end: the programs of versions 1..6
 * of tests/migrate/vN/schema.dal (each its own dal_generate) take turns on one
 * database file; refusals leave the file byte-identical; a newer database is
 * refused by an older program and taken back with migrate=down; a migration
 * killed with SIGKILL leaves the old version or the new one.
 *
 * Environment: MIG_ROWS (rows of the chain, default 300), MIG_CRASH_ROWS
 * (rows of the crash test, default 20000; the full-size run is 100000),
 * MIG_CRASH_ROUNDS (default 20), MIG_SEED.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

static char g_dir[256];

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", g_dir, name);
}

static void prog(char *buf, size_t size, const char *v)
{
    snprintf(buf, size, "%s/%s/mig_%s", MIG_BIN_DIR, v, v);
}

/* Starts version v with args (NULL-terminated), stdout to out (may be NULL). */
static pid_t spawn(const char *v, const char *out, const char *const *args)
{
    char exe[512];
    prog(exe, sizeof exe, v);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (out != NULL) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) {
                dup2(fd, 1);
                close(fd);
            }
        }
        const char *argv[8] = {exe};
        for (int i = 0; args[i] != NULL && i < 6; i++)
            argv[i + 1] = args[i];
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_v(const char *v, const char *out, ...)
{
    const char *args[8] = {0};
    va_list ap;
    va_start(ap, out);
    for (int i = 0; i < 6; i++) {
        args[i] = va_arg(ap, const char *);
        if (args[i] == NULL)
            break;
    }
    va_end(ap);
    return wait_exit(spawn(v, out, args));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    if (len)
        *len = got;
    return buf;
}

static void assert_file_contains(const char *path, const char *needle)
{
    char *text = slurp(path, NULL);
    assert_non_null(text);
    if (strstr(text, needle) == NULL)
        fail_msg("'%s' not in:\n%s", needle, text);
    free(text);
}

static void assert_same_bytes(const char *a_text, size_t a_len, const char *path)
{
    size_t len = 0;
    char *now = slurp(path, &len);
    assert_non_null(now);
    assert_int_equal(len, a_len);
    assert_memory_equal(now, a_text, a_len);
    free(now);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/dal_test_migrate_XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void expect_ok(int rc, const char *what, const char *out)
{
    if (rc != 0) {
        char *text = out ? slurp(out, NULL) : NULL;
        print_error("%s exited %d: %s\n", what, rc, text ? text : "");
        free(text);
        fail();
    }
}

/* ------------------------------------------------------------------------ */

static void test_chain_up_and_down(void **state)
{
    (void)state;
    char db[300], url[400], url_down[400], out[300], orig[300], back[300], rows[32];
    path_in(db, sizeof db, "chain.db");
    path_in(out, sizeof out, "chain.out");
    path_in(orig, sizeof orig, "orig.jsonl");
    path_in(back, sizeof back, "back.jsonl");
    snprintf(url, sizeof url, "sqlite:%s", db);
    snprintf(url_down, sizeof url_down, "sqlite:%s?migrate=down", db);
    snprintf(rows, sizeof rows, "%ld", env_long("MIG_ROWS", 300));

    expect_ok(run_v("v1", out, url, "populate", rows, NULL), "v1 populate", out);
    expect_ok(run_v("v1", out, url, "check", NULL), "v1 check", out);
    expect_ok(run_v("v1", out, url, "dump", orig, NULL), "v1 dump", out);
    setenv("MIG_EXPECT_COLOR", "1", 1); /* version 2 colours item-0, the later ones check it */
    static const char *const up[] = {"v2", "v3", "v4", "v5", "v6"};
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s check (migrating up)", up[i]);
        expect_ok(run_v(up[i], out, url, "check", NULL), what, out);
        /* and again: the database is at that version now, nothing to do */
        expect_ok(run_v(up[i], out, url, "check", NULL), what, out);
    }
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*), max(level), group_concat(direction) FROM "
                                             "schema_migrations", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 6);
    assert_int_equal(sqlite3_column_int(s, 1), 6);
    assert_string_equal((const char *)sqlite3_column_text(s, 2), "create,up,up,up,up,up");
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    sqlite3_close(raw);

    /* dalc --plan reads the database's record and agrees with the program */
    {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "'%s' --plan '%s' '%s/tests/migrate/v6/schema.dal' > '%s'", MIG_DALC, db,
                 DAL_SOURCE_DIR, out);
        assert_int_equal(system(cmd), 0);
        assert_file_contains(out, "v6/schema.dal: no changes");
        snprintf(cmd, sizeof cmd, "'%s' --plan '%s' '%s/tests/migrate/v1/schema.dal' > '%s'", MIG_DALC, db,
                 DAL_SOURCE_DIR, out);
        assert_int_equal(WEXITSTATUS(system(cmd)), 3);
        assert_file_contains(out, "[needs a decision] drop model Audit (table audits)");
    }

    /* version 1 refuses the newer database and leaves it as it was */
    size_t len = 0;
    char *before = slurp(db, &len);
    assert_int_equal(run_v("v1", out, url, "open", NULL), 3);
    assert_file_contains(out, "OPEN FAILED migration");
    assert_file_contains(out, "newer schema");
    assert_file_contains(out, "migrate=down");
    assert_same_bytes(before, len, db);
    /* migrate=check and migrate=off refuse it too */
    free(before);

    /* migrate=down takes it back to version 1: the same rows as before */
    expect_ok(run_v("v1", out, url_down, "dump", back, NULL), "v1 migrate=down", out);
    char *a = slurp(orig, NULL), *b = slurp(back, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    expect_ok(run_v("v1", out, url, "check", NULL), "v1 check after down", out);
    /* and up again, from the version it went down to */
    expect_ok(run_v("v2", out, url, "check", NULL), "v2 after down", out);
    expect_ok(run_v("v3", out, url, "check", NULL), "v3 after down", out);
    unsetenv("MIG_EXPECT_COLOR");
}

static void test_decisions_refused_byte_identical(void **state)
{
    (void)state;
    char db[300], url[400], out[300];
    path_in(db, sizeof db, "refuse.db");
    path_in(out, sizeof out, "refuse.out");
    snprintf(url, sizeof url, "sqlite:%s", db);
    expect_ok(run_v("v1", out, url, "populate", "20", NULL), "v1 populate", out);
    size_t len = 0;
    char *before = slurp(db, &len);
    assert_non_null(before);

    assert_int_equal(run_v("vbad", out, url, "open", NULL), 3);
    assert_file_contains(out, "OPEN FAILED migration");
    assert_file_contains(out, "refused, the file is unchanged");
    assert_file_contains(out, "need a decision");
    assert_file_contains(out, "drop model Owner (table owners) and its rows -> if it was renamed, write "
                              "@@renamed_from(\"Owner\")");
    assert_file_contains(out, "drop field Item.note (text?) and its data -> if it was renamed, write "
                              "@renamed_from(\"note\")");
    assert_file_contains(out, "[needs a decision] change the type of Item.qty from i32 to text");
    assert_file_contains(out, "[needs a decision] add required field Item.weight (real) without a default -> give "
                              "it a value for existing rows: @default(...) on Item.weight");
    assert_file_contains(out, "[needs a decision] remove member Status.closed");
    assert_file_contains(out, "  - remove the reference of Item.owner_id");
    assert_same_bytes(before, len, db);

    /* check and off refuse even safe changes, listing them */
    char url_check[440], url_off[440];
    snprintf(url_check, sizeof url_check, "%s?migrate=check", url);
    snprintf(url_off, sizeof url_off, "%s?migrate=off", url);
    assert_int_equal(run_v("v2", out, url_check, "open", NULL), 3);
    assert_file_contains(out, "migrate=check refuses pending changes");
    assert_file_contains(out, "0 need a decision");
    assert_file_contains(out, "  - add field Item.priority (int, default 5)");
    assert_file_contains(out, "  - add model Tag (table tags)");
    assert_file_contains(out, "  - add member Status.archived");
    assert_same_bytes(before, len, db);
    assert_int_equal(run_v("v2", out, url_off, "open", NULL), 3);
    assert_file_contains(out, "migrate=off opens only a database at exactly this schema");
    assert_same_bytes(before, len, db);
    /* a bad option value */
    char url_bad[440];
    snprintf(url_bad, sizeof url_bad, "%s?migrate=sometimes", url);
    assert_int_equal(run_v("v2", out, url_bad, "open", NULL), 3);
    assert_file_contains(out, "option migrate wants auto, check, off or down, got 'sometimes'");
    free(before);
}

/* A new unique constraint that existing rows break: the error names a
 * duplicate, and the migration (renames already done in its transaction)
 * is rolled back whole. */
static void test_unique_violation_rolled_back(void **state)
{
    (void)state;
    char db[300], url[400], out[300];
    path_in(db, sizeof db, "unique.db");
    path_in(out, sizeof out, "unique.out");
    snprintf(url, sizeof url, "sqlite:%s", db);
    expect_ok(run_v("v1", out, url, "populate", "10", NULL), "v1 populate", out);
    expect_ok(run_v("v2", out, url, "open", NULL), "v2 open", out);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "UPDATE owners SET name = 'owner-1' WHERE id = 3", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    size_t len = 0;
    char *before = slurp(db, &len);
    assert_int_equal(run_v("v3", out, url, "open", NULL), 3);
    assert_file_contains(out, "OPEN FAILED migration");
    assert_file_contains(out, "cannot add unique index people_name_key: existing rows of people violate it, e.g. "
                              "name = 'owner-1' is held by 2 rows");
    assert_same_bytes(before, len, db);
    free(before);
    /* fixed by hand, the migration goes through */
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "UPDATE owners SET name = 'owner-3' WHERE id = 3", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    expect_ok(run_v("v3", out, url, "check", NULL), "v3 check", out);
}

/* Opening a database already at this schema takes no write lock: a reader
 * opens while another connection holds a write transaction. */
static void test_open_does_not_wait_for_writers(void **state)
{
    (void)state;
    char db[300], url[400], out[300];
    path_in(db, sizeof db, "busy.db");
    path_in(out, sizeof out, "busy.out");
    snprintf(url, sizeof url, "sqlite:%s", db);
    expect_ok(run_v("v1", out, url, "populate", "5", NULL), "v1 populate", out);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "BEGIN IMMEDIATE; UPDATE owners SET name = 'writer' WHERE id = 1", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    char url_short[440];
    snprintf(url_short, sizeof url_short, "%s?busy_timeout_ms=100", url);
    expect_ok(run_v("v1", out, url_short, "open", NULL), "v1 open beside a writer", out);
    /* and reads what was committed */
    expect_ok(run_v("v1", out, url_short, "check", NULL), "v1 check beside a writer", out);
    assert_int_equal(sqlite3_exec(raw, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
}

/* A plain SQLite file that is not ours: refused, and not a byte changed
 * (it stays in its rollback-journal mode). */
static void test_foreign_file_untouched(void **state)
{
    (void)state;
    char db[300], url[400], out[300];
    path_in(db, sizeof db, "foreign.db");
    path_in(out, sizeof out, "foreign.out");
    snprintf(url, sizeof url, "sqlite:%s", db);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me')", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    size_t len = 0;
    char *before = slurp(db, &len);
    assert_int_equal(run_v("v1", out, url, "open", NULL), 3);
    assert_file_contains(out, "OPEN FAILED migration");
    assert_file_contains(out, "not a database made by dal");
    assert_same_bytes(before, len, db);
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", db);
    struct stat sb;
    assert_int_not_equal(stat(wal, &sb), 0);
    free(before);
}

/* A database of an earlier dal records only "<ns>@<hash>": the same schema
 * adopts it (records its document), another schema cannot know its shape. */
static void test_earlier_dal_database(void **state)
{
    (void)state;
    char db[300], url[400], out[300];
    path_in(db, sizeof db, "legacy.db");
    path_in(out, sizeof out, "legacy.out");
    snprintf(url, sizeof url, "sqlite:%s", db);
    expect_ok(run_v("v1", out, url, "populate", "12", NULL), "v1 populate", out);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "ALTER TABLE schema_migrations DROP COLUMN checksum;"
                                       "ALTER TABLE schema_migrations DROP COLUMN canonical;"
                                       "ALTER TABLE schema_migrations DROP COLUMN level;"
                                       "ALTER TABLE schema_migrations DROP COLUMN direction;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    size_t len = 0;
    char *before = slurp(db, &len);
    assert_int_equal(run_v("v2", out, url, "open", NULL), 3);
    assert_file_contains(out, "with an earlier dal that did not record the schema's shape");
    assert_same_bytes(before, len, db);
    free(before);
    expect_ok(run_v("v1", out, url, "check", NULL), "v1 adopts", out);
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT group_concat(coalesce(direction, '-')) FROM schema_migrations",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "-,adopt");
    sqlite3_finalize(s);
    sqlite3_close(raw);
    expect_ok(run_v("v2", out, url, "check", NULL), "v2 after adoption", out);
}

/* ------------------------------------------------------------------------ */
/* Crash safety                                                              */
/* ------------------------------------------------------------------------ */

static char *checksum_of(const char *v)
{
    char out[300];
    path_in(out, sizeof out, "sum.out");
    expect_ok(run_v(v, out, "-", "checksum", NULL), "checksum", out);
    char *s = slurp(out, NULL);
    s[strcspn(s, "\n")] = '\0';
    return s;
}

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *bytes = slurp(from, &len);
    assert_non_null(bytes);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
    free(bytes);
    char side[340];
    snprintf(side, sizeof side, "%s-wal", to);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", to);
    unlink(side);
}

static void test_crash_during_migration(void **state)
{
    (void)state;
    long n = env_long("MIG_CRASH_ROWS", 10000), rounds = env_long("MIG_CRASH_ROUNDS", 20);
    unsigned seed = (unsigned)env_long("MIG_SEED", 12345);
    char seed_db[300], db[300], url[400], out[300], rows[32];
    path_in(seed_db, sizeof seed_db, "crash_seed.db");
    path_in(db, sizeof db, "crash.db");
    path_in(out, sizeof out, "crash.out");
    snprintf(rows, sizeof rows, "%ld", n);
    snprintf(url, sizeof url, "sqlite:%s", seed_db);
    expect_ok(run_v("v1", out, url, "populate", rows, NULL), "v1 populate", out);
    snprintf(url, sizeof url, "sqlite:%s", db);
    char *old_sum = checksum_of("v1"), *new_sum = checksum_of("v4");

    /* how long one whole migration v1 -> v4 (renames, added columns, two
     * rebuilds) takes here: the kill moments spread over it */
    copy_file(seed_db, db);
    int64_t t0 = monotonic_us();
    expect_ok(run_v("v4", out, url, "open", NULL), "v4 open", out);
    int64_t full = monotonic_us() - t0;
    srand(seed);
    int saw_old = 0, saw_new = 0;
    for (long r = 0; r < rounds; r++) {
        copy_file(seed_db, db);
        const char *args[] = {url, "open", NULL};
        pid_t pid = spawn("v4", out, args);
        int64_t delay = (int64_t)((0.2 + 0.9 * (double)rand() / RAND_MAX) * (double)full);
        struct timespec ts = {(time_t)(delay / 1000000), (long)(delay % 1000000) * 1000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        wait_exit(pid);

        sqlite3 *raw = NULL;
        assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
        sqlite3_stmt *s = NULL;
        assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
        sqlite3_finalize(s);
        assert_int_equal(sqlite3_prepare_v2(raw, "SELECT checksum FROM schema_migrations ORDER BY version DESC "
                                                 "LIMIT 1", -1, &s, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        const char *sum = (const char *)sqlite3_column_text(s, 0);
        bool is_new = strcmp(sum, new_sum) == 0;
        if (!is_new && strcmp(sum, old_sum) != 0)
            fail_msg("round %ld: the database is at %s, neither version 1 (%s) nor 4 (%s)", r, sum, old_sum, new_sum);
        sqlite3_finalize(s);
        saw_new += is_new;
        saw_old += !is_new;
        const char *count_sql = is_new ? "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM people)"
                                       : "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM owners)";
        assert_int_equal(sqlite3_prepare_v2(raw, count_sql, -1, &s, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int64(s, 0), n);
        assert_int_equal(sqlite3_column_int64(s, 1), 3);
        sqlite3_finalize(s);
        sqlite3_close(raw);
        /* either way, the program of version 4 opens it and finds every row as it should be */
        if (r % 5 == 0)
            expect_ok(run_v("v4", out, url, "check", NULL), "v4 check after a crash", out);
    }
    print_message("crash test: %ld rounds of %ld rows, migration %.2f s; %d at the old version, %d at the new\n",
                  rounds, n, full / 1e6, saw_old, saw_new);
    free(old_sum);
    free(new_sum);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_up_and_down),
        cmocka_unit_test(test_decisions_refused_byte_identical),
        cmocka_unit_test(test_unique_violation_rolled_back),
        cmocka_unit_test(test_open_does_not_wait_for_writers),
        cmocka_unit_test(test_foreign_file_untouched),
        cmocka_unit_test(test_earlier_dal_database),
        cmocka_unit_test(test_crash_during_migration),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
