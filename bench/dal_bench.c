/*
 * dal_bench.c - the original's four operations on the swarm schema through
 * the generated API, per backend (SQLite file, memory), against hand-written
 * sqlite3 C (bench_baseline.c); and how two queries scale with n.
 *
 *   dal_bench [--quick] [--json] [--only OP] [--backend sqlite|memory|postgresql]
 *
 * --json: one JSON object per result line on stdout, the table on stderr.
 * --quick: fewer rounds and operations (under a minute on 2 cores).
 * --only OP: that operation of the four alone, no scaling (for profiling);
 *   --only queue: the task queue and the threaded gets alone.
 * --backend sqlite|memory|postgresql: that backend alone.
 *
 * PostgreSQL runs when DAL_BENCH_PG_URL names a server (a URL without options):
 * the four operations in a schema of their own (dropped at the end), against
 * hand-written libpq C (bench_pg_baseline.c); no scaling.
 *
 * Generated and baseline runs alternate (their order swaps every round) on
 * the same database file; every figure is the median over the rounds. The
 * task queue and gets from several threads: bench_queue.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_baseline.h"
#include "bench_queue.h"
#ifdef DAL_BENCH_HAVE_PG
#include "bench_pg_baseline.h"
#endif
#include "swarm/swarm.h"

/* ------------------------------------------------------------------------ */
/* Settings, timing, output                                                  */
/* ------------------------------------------------------------------------ */

typedef struct config {
    bool quick, json;
    const char *only;    /* --only OP: that operation alone, no scaling (for profiling) */
    const char *backend; /* --backend NAME: that backend alone */
    int rounds;
    int inserts;       /* agent inserts per round */
    int gets;          /* task gets per round */
    int batches;       /* event batches (of BATCH events) per round */
    int txs;           /* transactions per round */
    int tasks;         /* tasks the gets choose from */
    int scale_reps;    /* repetitions of a scaling measurement */
    double scale_secs; /* minimum duration of one */
} config;

enum { BATCH = 1000, N_SIZES = 3 };
static const int sizes[N_SIZES] = {1000, 10000, 100000};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static void die(const char *what, const dal_error *err)
{
    fprintf(stderr, "dal_bench: %s: %s\n", what, err && err->message[0] ? err->message : "failed");
    exit(1);
}

#define CHECK(call, what)                                                                                         \
    do {                                                                                                          \
        dal_error err_ = {0};                                                                                     \
        (void)err_;                                                                                               \
        if ((call) != DAL_OK)                                                                                     \
            die(what, &err_);                                                                                     \
    } while (0)

static void progress(const config *c, const char *fmt, const char *arg)
{
    if (c->json)
        return;
    fprintf(stderr, fmt, arg);
    fflush(stderr);
}

/* One result row, printed as a table line or a JSON line. */
typedef struct result {
    const char *op, *backend, *unit;
    double ops, base; /* base 0: no baseline */
    int n;            /* 0: not a scaling row */
    double vs_1k;     /* scaling: time per op / time per op at n=1000 */
} result;

static result results[64];
static int n_results;

static void add_result(result r)
{
    if (n_results < (int)(sizeof results / sizeof results[0]))
        results[n_results++] = r;
}

static void print_json(const result *r)
{
    printf("{\"op\":\"%s\",\"backend\":\"%s\",\"ops_per_s\":%.1f", r->op, r->backend, r->ops);
    if (r->base > 0)
        printf(",\"baseline_ops_per_s\":%.1f,\"ratio\":%.3f", r->base, r->ops / r->base);
    if (r->n > 0)
        printf(",\"n\":%d,\"time_vs_1k\":%.3f", r->n, r->vs_1k);
    printf("}\n");
}

static const result *find(const char *op, const char *backend, int n)
{
    for (int i = 0; i < n_results; i++)
        if (strcmp(results[i].op, op) == 0 && strcmp(results[i].backend, backend) == 0 && results[i].n == n)
            return &results[i];
    return NULL;
}

/* The readable table (stdout, or stderr beside --json). */
static void print_table(FILE *out, const config *c)
{
    fprintf(out, "\n%-14s %-8s %16s %16s %8s\n", "operation", "backend", "generated", "hand-written", "ratio");
    for (int i = 0; i < n_results; i++) {
        const result *r = &results[i];
        if (r->n)
            continue;
        fprintf(out, "%-14s %-8s %12.0f %-3s", r->op, r->backend, r->ops, r->unit);
        if (r->base > 0)
            fprintf(out, " %12.0f %-3s %8.3f\n", r->base, r->unit, r->ops / r->base);
        else
            fprintf(out, " %16s %8s\n", "-", "-");
    }
    fprintf(out, "\n%-14s %-8s %8s %14s %12s %10s\n", "scaling", "backend", "n", "queries/s", "us/query", "vs n=1k");
    for (int i = 0; i < n_results; i++) {
        const result *r = &results[i];
        if (r->n)
            fprintf(out, "%-14s %-8s %8d %14.0f %12.2f %9.2fx\n", r->op, r->backend, r->n, r->ops, 1e6 / r->ops,
                   r->vs_1k);
    }
    fprintf(out, "\ntargets (medians of %d rounds, this run):\n", c->rounds);
    static const char *const four[] = {"agent_insert", "task_get", "event_batch", "transaction"};
    for (int b = 0; b < 2; b++) {
        const char *backend = b ? "postgresql" : "sqlite";
        for (int i = 0; i < 4; i++) {
            const result *r = find(four[i], backend, 0);
            if (r && r->base > 0)
                fprintf(out, "  %s generated/hand-written %-12s %.3f  (>= 0.90: %s)\n", backend, four[i],
                        r->ops / r->base, r->ops / r->base >= 0.90 ? "met" : "MISSED");
        }
    }
    for (int i = 0; i < 2; i++) {
        const result *m = find(four[i], "memory", 0), *s = find(four[i], "sqlite", 0);
        if (m && s)
            fprintf(out, "  memory/sqlite %-12s %.1fx  (>= 10x: %s)\n", four[i], m->ops / s->ops,
                   m->ops / s->ops >= 10 ? "met" : "MISSED");
    }
    const result *p = find("task_pending", "memory", 100000);
    if (p)
        fprintf(out, "  memory task_pending time at 100k / 1k  %.2fx  (<= 2x: %s)\n", p->vs_1k,
               p->vs_1k <= 2 ? "met" : "MISSED");
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                      */
/* ------------------------------------------------------------------------ */

static void make_agent(swarm_agent *a, int i)
{
    char name[32];
    snprintf(name, sizeof name, "agent-%d", i);
    swarm_agent_init(a);
    if (!dal_strset(&a->name, name) || !dal_strset(&a->agent_type, "researcher") ||
        !dal_text_list_push(&a->capabilities, "search") || !dal_text_list_push(&a->capabilities, "summarize"))
        die("make_agent", NULL);
    cJSON_AddNumberToObject(a->metadata, "region", 1);
}

static void make_task(swarm_task *t, int i, swarm_task_status status)
{
    swarm_task_init(t);
    if (!dal_strset(&t->task_type, "analyze"))
        die("make_task", NULL);
    t->priority = (swarm_task_priority)(i % 4);
    t->status = status;
    if (t->payload == NULL) /* init gave it the schema default, {} */
        t->payload = cJSON_CreateObject();
    cJSON_AddNumberToObject(t->payload, "n", i);
    cJSON_AddStringToObject(t->payload, "input", "s3://bucket/object");
}

static void make_event(swarm_event *e, int i, int64_t ts)
{
    swarm_event_init(e);
    if (!dal_strset(&e->event_type, "tick"))
        die("make_event", NULL);
    if (e->payload == NULL) /* init gave it the schema default, {} */
        e->payload = cJSON_CreateObject();
    cJSON_AddNumberToObject(e->payload, "i", i);
    if (ts)
        e->timestamp = ts;
}

/* Inserts n tasks (status chosen by status_of) in transactions of BATCH;
 * their ids go to ids (may be NULL). */
static void fill_tasks(swarm_db *db, int n, swarm_task_status (*status_of)(int, int), char (*ids)[DAL_UUID_SIZE])
{
    swarm_task *rows = calloc(BATCH, sizeof *rows);
    if (rows == NULL)
        die("fill_tasks", NULL);
    for (int done = 0; done < n;) {
        int k = n - done < BATCH ? n - done : BATCH;
        for (int j = 0; j < k; j++)
            make_task(&rows[j], done + j, status_of(done + j, n));
        CHECK(swarm_task_insert_many(db, rows, (size_t)k, &err_), "inserting tasks");
        for (int j = 0; j < k; j++) {
            if (ids)
                memcpy(ids[done + j], rows[j].id, DAL_UUID_SIZE);
            swarm_task_clear(&rows[j]);
        }
        done += k;
    }
    free(rows);
}

static swarm_task_status all_pending(int i, int n)
{
    (void)i, (void)n;
    return SWARM_TASK_STATUS_PENDING;
}

/* 10 pending tasks spread over n, the rest completed. */
static swarm_task_status ten_pending(int i, int n)
{
    return i % (n / 10) == 0 ? SWARM_TASK_STATUS_PENDING : SWARM_TASK_STATUS_COMPLETED;
}

/* ------------------------------------------------------------------------ */
/* The four operations: generated and hand-written                           */
/* ------------------------------------------------------------------------ */

typedef struct env {
    const config *c;
    swarm_db *db;
    bl_db *bl; /* NULL: no SQLite baseline */
#ifdef DAL_BENCH_HAVE_PG
    pbl_db *pbl; /* the PostgreSQL baseline, or NULL */
#endif
    char (*task_ids)[DAL_UUID_SIZE];
    int n_tasks;
    char (*claim_ids)[DAL_UUID_SIZE];
    int n_claims, next_claim;
    int serial;
    unsigned rng;
} env;

static unsigned next_rand(env *e)
{
    e->rng = e->rng * 1103515245u + 12345u;
    return (e->rng >> 8) & 0xffffff;
}

/* The baseline's calls: PostgreSQL's when it runs, else SQLite's. */
#ifdef DAL_BENCH_HAVE_PG
#define BASE(e, sqlite_call, pg_call) ((e)->pbl ? (pg_call) : (sqlite_call))
#else
#define BASE(e, sqlite_call, pg_call) (sqlite_call)
#endif

static double gen_insert(env *e)
{
    double t0 = now_s();
    for (int i = 0; i < e->c->inserts; i++) {
        swarm_agent a;
        make_agent(&a, e->serial++);
        CHECK(swarm_agent_insert(e->db, &a, &err_), "agent insert");
        swarm_agent_clear(&a);
    }
    return e->c->inserts / (now_s() - t0);
}

static double bl_insert(env *e)
{
    double t0 = now_s();
    for (int i = 0; i < e->c->inserts; i++) {
        swarm_agent a;
        make_agent(&a, e->serial++);
        if (BASE(e, bl_agent_insert(e->bl, &a), pbl_agent_insert(e->pbl, &a)) != 0)
            die("baseline agent insert", NULL);
        swarm_agent_clear(&a);
    }
    return e->c->inserts / (now_s() - t0);
}

static double gen_get(env *e)
{
    swarm_task t;
    swarm_task_init(&t);
    bool found = false;
    double t0 = now_s();
    for (int i = 0; i < e->c->gets; i++) {
        CHECK(swarm_task_get(e->db, e->task_ids[next_rand(e) % (unsigned)e->n_tasks], &t, &found, &err_),
              "task get");
        if (!found)
            die("task get: not found", NULL);
    }
    double r = e->c->gets / (now_s() - t0);
    swarm_task_clear(&t);
    return r;
}

static double bl_get(env *e)
{
    swarm_task t;
    swarm_task_init(&t);
    bool found = false;
    double t0 = now_s();
    for (int i = 0; i < e->c->gets; i++) {
        const char *id = e->task_ids[next_rand(e) % (unsigned)e->n_tasks];
        if (BASE(e, bl_task_get(e->bl, id, &t, &found), pbl_task_get(e->pbl, id, &t, &found)) != 0 || !found)
            die("baseline task get", NULL);
    }
    double r = e->c->gets / (now_s() - t0);
    swarm_task_clear(&t);
    return r;
}

/* events per second */
static double gen_batch(env *e)
{
    double t0 = now_s();
    for (int b = 0; b < e->c->batches; b++) {
        dal_error err = {0};
        swarm_tx *tx = swarm_begin(e->db, &err);
        if (tx == NULL)
            die("begin", &err);
        for (int i = 0; i < BATCH; i++) {
            swarm_event ev;
            make_event(&ev, i, 0);
            CHECK(swarm_event_insert(swarm_tx_db(tx), &ev, &err_), "event insert");
            swarm_event_clear(&ev);
        }
        CHECK(swarm_commit(tx, &err_), "commit");
        swarm_tx_free(tx);
    }
    return (double)e->c->batches * BATCH / (now_s() - t0);
}

static double bl_batch(env *e)
{
    double t0 = now_s();
    for (int b = 0; b < e->c->batches; b++) {
        if (BASE(e, bl_begin(e->bl), pbl_begin(e->pbl)) != 0)
            die("baseline begin", NULL);
        for (int i = 0; i < BATCH; i++) {
            swarm_event ev;
            make_event(&ev, i, 0);
            if (BASE(e, bl_event_insert(e->bl, &ev), pbl_event_insert(e->pbl, &ev)) != 0)
                die("baseline event insert", NULL);
            swarm_event_clear(&ev);
        }
        if (BASE(e, bl_commit(e->bl), pbl_commit(e->pbl)) != 0)
            die("baseline commit", NULL);
    }
    return (double)e->c->batches * BATCH / (now_s() - t0);
}

static const char *claim_id(env *e)
{
    if (e->next_claim >= e->n_claims)
        die("ran out of pending tasks to claim", NULL);
    return e->claim_ids[e->next_claim++];
}

static double gen_tx(env *e)
{
    double t0 = now_s();
    for (int i = 0; i < e->c->txs; i++) {
        dal_error err = {0};
        swarm_tx *tx = swarm_begin(e->db, &err);
        if (tx == NULL)
            die("begin", &err);
        swarm_agent a;
        make_agent(&a, e->serial++);
        bool claimed = false;
        CHECK(swarm_agent_insert(swarm_tx_db(tx), &a, &err_), "tx agent insert");
        CHECK(swarm_task_claim(swarm_tx_db(tx), claim_id(e), a.id, &claimed, &err_), "tx claim");
        CHECK(swarm_commit(tx, &err_), "tx commit");
        swarm_tx_free(tx);
        swarm_agent_clear(&a);
        if (!claimed)
            die("claim: task was not pending", NULL);
    }
    return e->c->txs / (now_s() - t0);
}

static double bl_tx(env *e)
{
    double t0 = now_s();
    for (int i = 0; i < e->c->txs; i++) {
        swarm_agent a;
        make_agent(&a, e->serial++);
        bool claimed = false;
        const char *id = claim_id(e);
        if (BASE(e, bl_begin(e->bl), pbl_begin(e->pbl)) != 0 ||
            BASE(e, bl_agent_insert(e->bl, &a), pbl_agent_insert(e->pbl, &a)) != 0 ||
            BASE(e, bl_task_claim(e->bl, id, a.id, &claimed), pbl_task_claim(e->pbl, id, a.id, &claimed)) != 0 ||
            BASE(e, bl_commit(e->bl), pbl_commit(e->pbl)) != 0)
            die("baseline transaction", NULL);
        swarm_agent_clear(&a);
        if (!claimed)
            die("baseline claim: task was not pending", NULL);
    }
    return e->c->txs / (now_s() - t0);
}

typedef double (*op_fn)(env *);

/* Every timed SQLite segment starts from a restarted write-ahead log, so
 * that the checkpoints (and their fsync) that writes cause fall on the side
 * that caused them, not on whichever runs next. */
static double timed(env *e, op_fn f)
{
    if (e->bl != NULL && bl_checkpoint(e->bl) != 0)
        die("checkpoint", NULL);
    return f(e);
}

/* Runs one operation for every round, generated and baseline alternating
 * (order swapped each round), and records the medians. */
static void measure(env *e, const char *backend, const char *op, const char *unit, op_fn gen, op_fn base)
{
    const config *c = e->c;
    double g[32], b[32];
    if (c->only != NULL && strcmp(c->only, op) != 0)
        return;
    int rounds = c->rounds < 32 ? c->rounds : 32;
    progress(c, "  %s", op);
    for (int r = 0; r < rounds; r++) {
        if (base && r % 2) {
            b[r] = timed(e, base);
            g[r] = timed(e, gen);
        } else {
            g[r] = timed(e, gen);
            if (base)
                b[r] = timed(e, base);
        }
        progress(c, "%s", ".");
    }
    progress(c, "%s", "\n");
    add_result((result){op, backend, unit, median(g, rounds), base ? median(b, rounds) : 0, 0, 0});
}

/* path: the SQLite file of the baseline; pg_url: libpq's URL of the
 * PostgreSQL baseline (NULL: none). */
static void run_four(const config *c, const char *backend, const char *url, const char *path, const char *pg_url)
{
    dal_error err = {0};
    env e = {.c = c, .rng = 12345};
    progress(c, "%s: the four operations\n", backend);
    e.db = swarm_open(url, &err);
    if (e.db == NULL)
        die(backend, &err); /* the URL may hold a password */
    if (path != NULL && (e.bl = bl_open(path)) == NULL)
        die("baseline open", NULL);
    bool baseline = path != NULL;
#ifdef DAL_BENCH_HAVE_PG
    if (pg_url != NULL && (e.pbl = pbl_open(pg_url)) == NULL)
        die("pg baseline open", NULL);
    baseline = baseline || e.pbl != NULL;
#else
    (void)pg_url;
#endif
    e.n_tasks = c->tasks;
    e.n_claims = c->rounds * c->txs * (baseline ? 2 : 1);
    e.task_ids = calloc((size_t)e.n_tasks, sizeof *e.task_ids);
    e.claim_ids = calloc((size_t)e.n_claims, sizeof *e.claim_ids);
    if (e.task_ids == NULL || e.claim_ids == NULL)
        die("out of memory", NULL);
    fill_tasks(e.db, e.n_tasks, all_pending, e.task_ids);
    fill_tasks(e.db, e.n_claims, all_pending, e.claim_ids);
    op_fn b_insert = baseline ? bl_insert : NULL, b_get = baseline ? bl_get : NULL;
    op_fn b_batch = baseline ? bl_batch : NULL, b_tx = baseline ? bl_tx : NULL;
    measure(&e, backend, "agent_insert", "/s", gen_insert, b_insert);
    measure(&e, backend, "task_get", "/s", gen_get, b_get);
    measure(&e, backend, "event_batch", "ev/s", gen_batch, b_batch);
    measure(&e, backend, "transaction", "/s", gen_tx, b_tx);
    bl_close(e.bl);
#ifdef DAL_BENCH_HAVE_PG
    pbl_close(e.pbl);
#endif
    swarm_close(e.db);
    free(e.task_ids);
    free(e.claim_ids);
}

/* ------------------------------------------------------------------------ */
/* Scaling                                                                   */
/* ------------------------------------------------------------------------ */

enum { SINCE_ROWS = 100, EVENT_STEP_US = 1000 };
static const int64_t event_t0 = 1700000000000000;

static void fill_events(swarm_db *db, int n)
{
    swarm_event *rows = calloc(BATCH, sizeof *rows);
    if (rows == NULL)
        die("fill_events", NULL);
    for (int done = 0; done < n;) {
        int k = n - done < BATCH ? n - done : BATCH;
        for (int j = 0; j < k; j++)
            make_event(&rows[j], done + j, event_t0 + (int64_t)(done + j) * EVENT_STEP_US);
        CHECK(swarm_event_insert_many(db, rows, (size_t)k, &err_), "inserting events");
        for (int j = 0; j < k; j++)
            swarm_event_clear(&rows[j]);
        done += k;
    }
    free(rows);
}

/* queries per second of one query, repeated until it ran for secs */
static double rate(swarm_db *db, bool pending, int n, double secs)
{
    int64_t since = event_t0 + (int64_t)(n - SINCE_ROWS) * EVENT_STEP_US;
    long count = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 10; i++) {
            if (pending) {
                swarm_task_list l = {0};
                CHECK(swarm_task_pending(db, &l, &err_), "pending");
                if (l.n != 10)
                    die("pending: expected 10 rows", NULL);
                swarm_task_list_free(&l);
            } else {
                swarm_event_list l = {0};
                CHECK(swarm_event_since(db, since, &l, &err_), "since");
                if (l.n != SINCE_ROWS)
                    die("since: expected 100 rows", NULL);
                swarm_event_list_free(&l);
            }
        }
        count += 10;
    } while ((t = now_s() - t0) < secs);
    return count / t;
}

static void run_scaling(const config *c, const char *backend, const char *dir)
{
    double per_op_1k[2] = {0, 0};
    for (int s = 0; s < N_SIZES; s++) {
        int n = sizes[s];
        char url[512];
        if (dir)
            snprintf(url, sizeof url, "sqlite:%s/scale-%d.db", dir, n);
        else
            snprintf(url, sizeof url, "memory:");
        char label[64];
        snprintf(label, sizeof label, "%d", n);
        progress(c, "%s: scaling", backend);
        progress(c, " n=%s\n", label);
        dal_error err = {0};
        swarm_db *db = swarm_open(url, &err);
        if (db == NULL)
            die(url, &err);
        fill_tasks(db, n, ten_pending, NULL);
        fill_events(db, n);
        for (int q = 0; q < 2; q++) {
            double v[16];
            int reps = c->scale_reps < 16 ? c->scale_reps : 16;
            rate(db, q == 0, n, c->scale_secs / 4); /* warm up */
            for (int r = 0; r < reps; r++)
                v[r] = rate(db, q == 0, n, c->scale_secs);
            double ops = median(v, reps);
            if (s == 0)
                per_op_1k[q] = 1 / ops;
            add_result((result){q == 0 ? "task_pending" : "event_since", backend, "/s", ops, 0, n,
                                (1 / ops) / per_op_1k[q]});
        }
        swarm_close(db);
    }
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

static void remove_dir(const char *dir)
{
    static const char *const names[] = {"bench.db", "scale-1000.db", "scale-10000.db", "scale-100000.db"};
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[600];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
            snprintf(p, sizeof p, "%s/%s%s", dir, names[i], suffixes[k]);
            unlink(p);
        }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    config c = {.rounds = 15, .inserts = 2000, .gets = 30000, .batches = 2, .txs = 1000, .tasks = 10000,
                .scale_reps = 5, .scale_secs = 0.4};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            c.quick = true;
        else if (strcmp(argv[i], "--json") == 0)
            c.json = true;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            c.only = argv[++i];
        else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
            c.backend = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--quick] [--json] [--only OP] [--backend sqlite|memory|postgresql]\n",
                    argv[0]);
            return 2;
        }
    }
    if (c.quick) {
        c.rounds = 9;
        c.inserts = 1000;
        c.gets = 10000;
        c.batches = 1;
        c.txs = 500;
        c.scale_reps = 3;
        c.scale_secs = 0.15;
    }
    char dir[] = "/tmp/dal_bench.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char path[600], url[620];
    snprintf(path, sizeof path, "%s/bench.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    double t0 = now_s();
    bool sqlite = c.backend == NULL || strcmp(c.backend, "sqlite") == 0;
    bool memory = c.backend == NULL || strcmp(c.backend, "memory") == 0;
    bool queue_only = c.only != NULL && strcmp(c.only, "queue") == 0;
    bool pg = c.backend == NULL || strcmp(c.backend, "postgresql") == 0;
    if (sqlite && !queue_only)
        run_four(&c, "sqlite", url, path, NULL);
    if (memory && !queue_only)
        run_four(&c, "memory", "memory:", NULL, NULL);
    const char *pg_server = getenv("DAL_BENCH_PG_URL");
#ifdef DAL_BENCH_HAVE_PG
    if (pg && !queue_only && pg_server != NULL && *pg_server && strchr(pg_server, '?') == NULL) {
        /* a schema of its own: the generated side by dal's schema= option,
         * the baseline by its search_path */
        char pg_url[700], base_url[760];
        long pid = (long)getpid();
        snprintf(pg_url, sizeof pg_url, "%s?schema=dal_bench_%ld", pg_server, pid);
        snprintf(base_url, sizeof base_url, "%s?options=-csearch_path%%3Ddal_bench_%ld", pg_server, pid);
        run_four(&c, "postgresql", pg_url, NULL, base_url);
        pbl_db *drop = pbl_open(base_url);
        char sql[80];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS dal_bench_%ld CASCADE", pid);
        if (drop == NULL || pbl_exec(drop, sql) != 0)
            fprintf(stderr, "could not drop schema dal_bench_%ld\n", pid);
        pbl_close(drop);
    } else if (pg && c.backend != NULL) {
        fprintf(stderr, "postgresql: set DAL_BENCH_PG_URL to a server URL without options\n");
        return 2;
    }
#else
    if (pg && c.backend != NULL) {
        fprintf(stderr, "postgresql: this build has no PostgreSQL backend\n");
        return 2;
    }
    (void)pg_server;
#endif
    if (c.only == NULL && sqlite)
        run_scaling(&c, "sqlite", dir);
    if (c.only == NULL && memory)
        run_scaling(&c, "memory", NULL);
    FILE *table = c.json ? stderr : stdout;
    if (c.json)
        for (int i = 0; i < n_results; i++)
            print_json(&results[i]);
    if (!queue_only)
        print_table(table, &c);
    if (sqlite && (c.only == NULL || queue_only))
        bench_queue_run(dir, c.quick, c.json, table);
    remove_dir(dir);
    fprintf(table, "\n%s run: %.1f s, %d rounds\n", c.quick ? "quick" : "full", now_s() - t0, c.rounds);
    return 0;
}
