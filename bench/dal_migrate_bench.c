/*
 * dal_migrate_bench - what migrating a large table on open costs, against the
 * same change hand-written in sqlite3 C, in the same run on copies of the
 * same file:
 *
 *   add field   mb1 -> mb2: a field with @default(7) (ALTER TABLE ADD COLUMN)
 *   rebuild     mb1 -> mb3: a field made optional (new table, copy, drop,
 *               rename, index, foreign_key_check)
 *
 * Each measurement is a whole open: dal_open + dal_close (which reads the
 * record, plans, migrates in one transaction, records, checkpoints) against
 * sqlite3_open, the pragmas dal sets, the hand-written transaction including
 * a record row, sqlite3_close. Medians of --rounds runs, alternating which
 * goes first. Ratio = hand-written time / dal time (>= 1: dal as fast).
 *
 *   dal_migrate_bench [--rows N] [--rounds R] [--quick] [--dir DIR]
 *   defaults: 1,000,000 rows, 5 rounds; --quick: 100,000 rows, 3 rounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mb1/mb1.h"
#include "mb2/mb2.h"
#include "mb3/mb3.h"

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "dal_migrate_bench: %s: %s\n", what, msg);
    exit(1);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        die(sql, msg ? msg : "?");
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (in == NULL || out == NULL)
        die("copy", from);
    static char buf[1 << 20];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            die("copy", to);
    fclose(in);
    fclose(out);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", to);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", to);
    unlink(side);
}

/* The seed: mb1's database with n rows. */
static void make_seed(const char *path, long n)
{
    unlink(path);
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s", path);
    dal_error err = {0};
    mb1_db *db = mb1_open(url, &err);
    if (db == NULL)
        die("open mb1", err.message);
    mb1_close(db);
    sqlite3 *raw = NULL;
    if (sqlite3_open(path, &raw) != SQLITE_OK)
        die("open", path);
    exec_sql(raw, "PRAGMA synchronous=NORMAL; BEGIN");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(raw, "INSERT INTO rows (id, name, qty, note, at) VALUES (?, ?, ?, ?, ?)", -1, &s, NULL) !=
        SQLITE_OK)
        die("prepare", sqlite3_errmsg(raw));
    for (long i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "row-%ld", i);
        sqlite3_bind_int64(s, 1, i + 1);
        sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 3, (i * 7919) % 100000);
        if (i % 3)
            sqlite3_bind_text(s, 4, "a note of some length", -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 4);
        sqlite3_bind_int64(s, 5, 1700000000000000LL + i);
        if (sqlite3_step(s) != SQLITE_DONE)
            die("insert", sqlite3_errmsg(raw));
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    exec_sql(raw, "COMMIT");
    sqlite3_close(raw);
}

static double dal_migrate(const dal_schema *to, const char *path)
{
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s", path);
    dal_error err = {0};
    int64_t t0 = now_us();
    dal_db *db = dal_open(to, url, NULL, &err);
    if (db == NULL)
        die("dal migrate", err.message);
    dal_close(db);
    return (double)(now_us() - t0) / 1e6;
}

static const char *const add_field_sql =
    "BEGIN IMMEDIATE;"
    "ALTER TABLE \"rows\" ADD COLUMN \"score\" INTEGER NOT NULL DEFAULT 7;"
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (2, 'hand', 0);"
    "COMMIT;";

static const char *const rebuild_sql =
    "PRAGMA foreign_keys=OFF;"
    "BEGIN IMMEDIATE;"
    "CREATE TABLE \"rows_new\" (\"id\" INTEGER NOT NULL, \"name\" TEXT NOT NULL, \"qty\" INTEGER, \"note\" TEXT, "
    "\"at\" INTEGER NOT NULL, PRIMARY KEY (\"id\"));"
    "INSERT INTO \"rows_new\" (\"id\", \"name\", \"qty\", \"note\", \"at\") "
    "SELECT \"id\", \"name\", \"qty\", \"note\", \"at\" FROM \"rows\";"
    "DROP TABLE \"rows\";"
    "ALTER TABLE \"rows_new\" RENAME TO \"rows\";"
    "CREATE INDEX \"rows_qty_idx\" ON \"rows\" (\"qty\");"
    "PRAGMA foreign_key_check;"
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (2, 'hand', 0);"
    "COMMIT;"
    "PRAGMA foreign_keys=ON;";

static double hand_migrate(const char *sql, const char *path)
{
    int64_t t0 = now_us();
    sqlite3 *raw = NULL;
    if (sqlite3_open_v2(path, &raw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        die("open", path);
    exec_sql(raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                  "PRAGMA temp_store=MEMORY;");
    exec_sql(raw, sql);
    sqlite3_close(raw);
    return (double)(now_us() - t0) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    long rows = 1000000;
    int rounds = 5;
    const char *dir = ".";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--quick") == 0) {
            rows = 100000;
            rounds = 3;
        } else {
            fprintf(stderr, "usage: dal_migrate_bench [--rows N] [--rounds R] [--quick] [--dir DIR]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 99 || rows < 1)
        die("arguments", "rounds 1..99, rows >= 1");
    char seed[512], work[512];
    snprintf(seed, sizeof seed, "%s/migbench_seed.db", dir);
    snprintf(work, sizeof work, "%s/migbench_work.db", dir);
    fprintf(stderr, "seeding %ld rows ...\n", rows);
    make_seed(seed, rows);

    static const char *const names[2] = {"add defaulted field", "table rebuild"};
    const dal_schema *targets[2] = {&mb2_schema, &mb3_schema};
    const char *hand[2] = {add_field_sql, rebuild_sql};
    double d[2][99], h[2][99];
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            for (int turn = 0; turn < 2; turn++) {
                copy_file(seed, work);
                if ((turn + r) % 2 == 0)
                    d[k][r] = dal_migrate(targets[k], work);
                else
                    h[k][r] = hand_migrate(hand[k], work);
            }
        }
    }
    printf("| migration (%ld rows) | dal, s | rows/s | hand-written sqlite3, s | rows/s | hand / dal |\n", rows);
    printf("|---|---|---|---|---|---|\n");
    for (int k = 0; k < 2; k++) {
        double dm = median(d[k], rounds), hm = median(h[k], rounds);
        printf("| %s | %.3f | %.0f | %.3f | %.0f | %.2f |\n", names[k], dm, rows / dm, hm, rows / hm, hm / dm);
        fprintf(stderr, "{\"bench\":\"migrate\",\"case\":\"%s\",\"rows\":%ld,\"dal_s\":%.4f,\"hand_s\":%.4f,"
                        "\"ratio\":%.3f}\n",
                names[k], rows, dm, hm, hm / dm);
    }
    unlink(seed);
    unlink(work);
    return 0;
}
