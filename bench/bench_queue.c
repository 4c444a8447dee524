/*
 * bench_queue.c - the task queue and reads from several threads, on SQLite:
 *
 *   claims/s with 1, 2 and 4 workers emptying a queue of pending tasks, by
 *     - Task.claim_next (one atomic UPDATE ... RETURNING per claim),
 *     - the same statement hand-written in sqlite3 C, one connection per worker,
 *     - the two-step pattern (read the next few pending tasks with Task.next,
 *       then Task.claim one by id; a claim another worker won first is lost);
 *   each worker's share of the claims (claim_next);
 *   task gets/s with 1, 2 and 4 threads: the generated get on one shared
 *   handle against hand-written sqlite3 C with one connection per thread.
 *
 * Every variant runs once per round, in an order that rotates every round,
 * on the same database file; every figure is the median over the rounds.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_baseline.h"
#include "bench_queue.h"
#include "swarm/swarm.h"

enum { MAX_WORKERS = 4, N_COUNTS = 3, MAX_ROUNDS = 32 };
static const int counts[N_COUNTS] = {1, 2, 4};

typedef enum variant { V_CLAIM_NEXT, V_CLAIM_HAND, V_TWO_STEP, V_GET, V_GET_HAND, N_VARIANTS } variant;

typedef struct queue_env {
    const char *path;
    swarm_db *db;
    bl_db *main_bl; /* checkpoints between runs */
    char agents[MAX_WORKERS][DAL_UUID_SIZE];
    char (*task_ids)[DAL_UUID_SIZE]; /* tasks for the gets */
    int n_tasks;
    int queue;   /* tasks per claim run */
    int gets;    /* gets per thread per run */
    int serial;
} queue_env;

typedef struct worker {
    queue_env *q;
    variant v;
    int k, n_workers;
    pthread_barrier_t *start;
    bl_db *bl;
    long claims, lost, gets;
    unsigned rng;
    int failed;
} worker;

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
    fprintf(stderr, "dal_bench: queue: %s: %s\n", what, err && err->message[0] ? err->message : "failed");
    exit(1);
}

static void claim_next_loop(worker *w)
{
    swarm_task t;
    swarm_task_init(&t);
    dal_error err = {0};
    for (;;) {
        bool found = false;
        if (swarm_task_claim_next(w->q->db, w->q->agents[w->k], &t, &found, &err) != DAL_OK)
            die("claim_next", &err);
        if (!found)
            break;
        w->claims++;
    }
    swarm_task_clear(&t);
}

static void claim_hand_loop(worker *w)
{
    swarm_task t;
    swarm_task_init(&t);
    for (;;) {
        bool found = false;
        if (bl_task_claim_next(w->bl, w->q->agents[w->k], &t, &found) != 0)
            die("hand-written claim", NULL);
        if (!found)
            break;
        w->claims++;
    }
    swarm_task_clear(&t);
}

/* Today's pattern without claim_next (the demo's workers before it): read the
 * next few pending tasks, claim one by id, starting at a different place
 * than the other workers. */
static void two_step_loop(worker *w)
{
    swarm_task_list next = {0};
    dal_error err = {0};
    for (;;) {
        if (swarm_task_next(w->q->db, w->n_workers * 2, &next, &err) != DAL_OK)
            die("next", &err);
        if (next.n == 0)
            break;
        size_t start = (size_t)w->k % next.n;
        for (size_t i = 0; i < next.n; i++) {
            bool claimed = false;
            if (swarm_task_claim(w->q->db, next.v[(start + i) % next.n].id, w->q->agents[w->k], &claimed, &err) !=
                DAL_OK)
                die("claim", &err);
            if (claimed) {
                w->claims++;
                break;
            }
            w->lost++;
        }
    }
    swarm_task_list_free(&next);
}

static unsigned next_rand(worker *w)
{
    w->rng = w->rng * 1103515245u + 12345u;
    return (w->rng >> 8) & 0xffffff;
}

static void get_loop(worker *w)
{
    swarm_task t;
    swarm_task_init(&t);
    queue_env *q = w->q;
    for (int i = 0; i < q->gets; i++) {
        bool found = false;
        const char *id = q->task_ids[next_rand(w) % (unsigned)q->n_tasks];
        if (w->v == V_GET) {
            dal_error err = {0};
            if (swarm_task_get(q->db, id, &t, &found, &err) != DAL_OK)
                die("get", &err);
        } else if (bl_task_get(w->bl, id, &t, &found) != 0) {
            die("hand-written get", NULL);
        }
        if (!found)
            die("get: not found", NULL);
        w->gets++;
    }
    swarm_task_clear(&t);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    switch (w->v) {
    case V_CLAIM_NEXT: claim_next_loop(w); break;
    case V_CLAIM_HAND: claim_hand_loop(w); break;
    case V_TWO_STEP: two_step_loop(w); break;
    default: get_loop(w); break;
    }
    return NULL;
}

/* Inserts n tasks of the given status (outside the timing). */
static void fill_queue(queue_env *q, int n, swarm_task_status status, char (*ids)[DAL_UUID_SIZE])
{
    enum { CHUNK = 1000 };
    swarm_task *rows = calloc(CHUNK, sizeof *rows);
    if (rows == NULL)
        die("out of memory", NULL);
    for (int done = 0; done < n;) {
        int k = n - done < CHUNK ? n - done : CHUNK;
        for (int j = 0; j < k; j++) {
            swarm_task_init(&rows[j]);
            if (!dal_strset(&rows[j].task_type, "analyze"))
                die("out of memory", NULL);
            rows[j].priority = (swarm_task_priority)(q->serial++ % 4);
            rows[j].status = status;
        }
        dal_error err = {0};
        if (swarm_task_insert_many(q->db, rows, (size_t)k, &err) != DAL_OK)
            die("queueing tasks", &err);
        for (int j = 0; j < k; j++) {
            if (ids != NULL)
                memcpy(ids[done + j], rows[j].id, DAL_UUID_SIZE);
            swarm_task_clear(&rows[j]);
        }
        done += k;
    }
    free(rows);
}

/* One timed run of variant v with n workers: ops/s; per-worker claims into
 * share (claims / fair share), lost claims into *lost. */
static double run_once(queue_env *q, variant v, int n, double *share, long *lost)
{
    bool claims = v == V_CLAIM_NEXT || v == V_CLAIM_HAND || v == V_TWO_STEP;
    if (claims)
        fill_queue(q, q->queue, SWARM_TASK_STATUS_PENDING, NULL);
    if (bl_checkpoint(q->main_bl) != 0) /* each run starts from a restarted log */
        die("checkpoint", NULL);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n + 1);
    worker w[MAX_WORKERS];
    pthread_t th[MAX_WORKERS];
    for (int k = 0; k < n; k++) {
        w[k] = (worker){.q = q, .v = v, .k = k, .n_workers = n, .start = &start, .rng = 777u * (unsigned)(k + 1)};
        if ((v == V_CLAIM_HAND || v == V_GET_HAND) && (w[k].bl = bl_open(q->path)) == NULL)
            die("baseline open", NULL);
        if (pthread_create(&th[k], NULL, worker_main, &w[k]) != 0)
            die("pthread_create", NULL);
    }
    pthread_barrier_wait(&start);
    double t0 = now_s();
    for (int k = 0; k < n; k++)
        pthread_join(th[k], NULL);
    double secs = now_s() - t0;
    pthread_barrier_destroy(&start);
    long total = 0;
    *lost = 0;
    for (int k = 0; k < n; k++) {
        total += claims ? w[k].claims : w[k].gets;
        *lost += w[k].lost;
        bl_close(w[k].bl);
    }
    if (claims && total != q->queue)
        die("a claim run did not claim every task exactly once", NULL);
    for (int k = 0; k < n && share; k++)
        share[k] = (double)w[k].claims * n / (double)total;
    return (double)total / secs;
}

typedef struct figures {
    double ops[N_VARIANTS][N_COUNTS];
    double min_share[N_COUNTS], max_share[N_COUNTS]; /* claim_next, as a fraction of the fair share */
    double lost[N_COUNTS];                           /* two-step: median lost claims per run */
} figures;

void bench_queue_run(const char *dir, bool quick, bool json, FILE *table)
{
    queue_env q = {.queue = quick ? 600 : 8000, .gets = quick ? 1500 : 20000, .n_tasks = 10000};
    int rounds = quick ? 3 : 7;
    char path[600], url[620];
    snprintf(path, sizeof path, "%s/queue.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    q.path = path;
    dal_error err = {0};
    if ((q.db = swarm_open(url, &err)) == NULL)
        die(url, &err);
    for (int k = 0; k < MAX_WORKERS; k++) {
        swarm_agent a;
        swarm_agent_init(&a);
        char name[32];
        snprintf(name, sizeof name, "worker-%d", k);
        if (!dal_strset(&a.name, name) || !dal_strset(&a.agent_type, "worker"))
            die("out of memory", NULL);
        if (swarm_agent_insert(q.db, &a, &err) != DAL_OK)
            die("agent insert", &err);
        memcpy(q.agents[k], a.id, DAL_UUID_SIZE);
        swarm_agent_clear(&a);
    }
    q.task_ids = calloc((size_t)q.n_tasks, sizeof *q.task_ids);
    if (q.task_ids == NULL)
        die("out of memory", NULL);
    fill_queue(&q, q.n_tasks, SWARM_TASK_STATUS_COMPLETED, q.task_ids); /* for the gets, never queued */
    if ((q.main_bl = bl_open(path)) == NULL)
        die("baseline open", NULL);
    long lost;
    run_once(&q, V_CLAIM_NEXT, MAX_WORKERS, NULL, &lost); /* warm-up: the pool's connections open */

    static double v[N_VARIANTS][N_COUNTS][MAX_ROUNDS], mins[N_COUNTS][MAX_ROUNDS], maxs[N_COUNTS][MAX_ROUNDS],
        losts[N_COUNTS][MAX_ROUNDS];
    if (!json) {
        fprintf(stderr, "sqlite: task queue and threads");
        fflush(stderr);
    }
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N_VARIANTS; i++) {
            variant var = (variant)((i + r) % N_VARIANTS); /* the order rotates every round */
            for (int c = 0; c < N_COUNTS; c++) {
                int n = counts[c];
                double share[MAX_WORKERS];
                v[var][c][r] = run_once(&q, var, n, var == V_CLAIM_NEXT ? share : NULL, &lost);
                if (var == V_TWO_STEP)
                    losts[c][r] = (double)lost;
                if (var == V_CLAIM_NEXT) {
                    mins[c][r] = maxs[c][r] = share[0];
                    for (int k = 1; k < n; k++) {
                        mins[c][r] = share[k] < mins[c][r] ? share[k] : mins[c][r];
                        maxs[c][r] = share[k] > maxs[c][r] ? share[k] : maxs[c][r];
                    }
                }
            }
        }
        if (!json) {
            fputc('.', stderr);
            fflush(stderr);
        }
    }
    if (!json)
        fputc('\n', stderr);
    figures f;
    for (int c = 0; c < N_COUNTS; c++) {
        for (int i = 0; i < N_VARIANTS; i++)
            f.ops[i][c] = median(v[i][c], rounds);
        f.min_share[c] = median(mins[c], rounds);
        f.max_share[c] = median(maxs[c], rounds);
        f.lost[c] = median(losts[c], rounds);
    }

    if (json) {
        for (int c = 0; c < N_COUNTS; c++) {
            printf("{\"op\":\"task_claim_next\",\"backend\":\"sqlite\",\"workers\":%d,\"ops_per_s\":%.1f,"
                   "\"baseline_ops_per_s\":%.1f,\"ratio\":%.3f,\"two_step_ops_per_s\":%.1f,\"vs_two_step\":%.3f,"
                   "\"two_step_lost\":%.0f,\"min_share\":%.3f,\"max_share\":%.3f}\n",
                   counts[c], f.ops[V_CLAIM_NEXT][c], f.ops[V_CLAIM_HAND][c],
                   f.ops[V_CLAIM_NEXT][c] / f.ops[V_CLAIM_HAND][c], f.ops[V_TWO_STEP][c],
                   f.ops[V_CLAIM_NEXT][c] / f.ops[V_TWO_STEP][c], f.lost[c], f.min_share[c], f.max_share[c]);
            printf("{\"op\":\"task_get_threads\",\"backend\":\"sqlite\",\"threads\":%d,\"ops_per_s\":%.1f,"
                   "\"baseline_ops_per_s\":%.1f,\"ratio\":%.3f}\n",
                   counts[c], f.ops[V_GET][c], f.ops[V_GET_HAND][c], f.ops[V_GET][c] / f.ops[V_GET_HAND][c]);
        }
    }
    fprintf(table, "\ntask queue, sqlite: %d tasks per run, medians of %d rounds\n", q.queue, rounds);
    fprintf(table, "%-8s %12s %12s %7s %12s %8s %10s %18s\n", "workers", "claim_next/s", "hand-written", "ratio",
            "two-step/s", "ratio", "lost/run", "shares (of fair)");
    for (int c = 0; c < N_COUNTS; c++)
        fprintf(table, "%-8d %12.0f %12.0f %7.3f %12.0f %8.3f %10.0f %9.2f..%-7.2f\n", counts[c],
                f.ops[V_CLAIM_NEXT][c], f.ops[V_CLAIM_HAND][c], f.ops[V_CLAIM_NEXT][c] / f.ops[V_CLAIM_HAND][c],
                f.ops[V_TWO_STEP][c], f.ops[V_CLAIM_NEXT][c] / f.ops[V_TWO_STEP][c], f.lost[c], f.min_share[c],
                f.max_share[c]);
    fprintf(table, "\n%-8s %12s %12s %7s   (%d gets per thread; hand-written: one connection per thread)\n",
            "threads", "get/s", "hand-written", "ratio", q.gets);
    for (int c = 0; c < N_COUNTS; c++)
        fprintf(table, "%-8d %12.0f %12.0f %7.3f\n", counts[c], f.ops[V_GET][c], f.ops[V_GET_HAND][c],
                f.ops[V_GET][c] / f.ops[V_GET_HAND][c]);
    fprintf(table, "\nqueue targets (this run):\n");
    for (int c = 0; c < N_COUNTS; c++) {
        double r = f.ops[V_CLAIM_NEXT][c] / f.ops[V_CLAIM_HAND][c];
        fprintf(table, "  claim_next / hand-written, %d worker%s  %.3f  (>= 0.95: %s)\n", counts[c],
                counts[c] > 1 ? "s" : " ", r, r >= 0.95 ? "met" : "MISSED");
    }
    double two = f.ops[V_CLAIM_NEXT][2] / f.ops[V_TWO_STEP][2];
    fprintf(table, "  claim_next / two-step, 4 workers     %.3f  (>= 1.3: %s)\n", two, two >= 1.3 ? "met" : "MISSED");
    double g2 = f.ops[V_GET][1] / f.ops[V_GET_HAND][1];
    fprintf(table, "  get / hand-written, 2 threads        %.3f  (>= 0.95: %s)\n", g2, g2 >= 0.95 ? "met" : "MISSED");
    fprintf(table, "  smallest share of a claim_next worker, 4 workers  %.2f of fair  (>= 0.5: %s)\n",
            f.min_share[2], f.min_share[2] >= 0.5 ? "met" : "MISSED");

    bl_close(q.main_bl);
    swarm_close(q.db);
    free(q.task_ids);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char p[640];
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        remove(p);
    }
}
