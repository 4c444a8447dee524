/*
 * swarm_demo.c - a small swarm on the generated data-access layer.
 *
 *   swarm_demo [URL]     (default: the embedded default, sqlite:swarm.db)
 *
 * Registers agents, queues tasks of mixed priorities, and runs worker threads
 * that claim tasks concurrently (claim_next / claim_batch: one atomic update
 * each, so every task goes to exactly one worker and no claim is lost), then
 * start, complete or fail them inside transactions, logging events and
 * metrics and messaging a coordinator. Ends with a report read back from the
 * database: tasks by status, unread messages, and the metric aggregate.
 * On SQLite it also watches the write-ahead log file while the swarm runs
 * and reports its peak size (it stays bounded: see docs/architecture.md).
 * Running it again on the same file adds another run.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "swarm/swarm.h"

#define N_WORKERS 4
#define N_TASKS 400

typedef struct demo {
    swarm_db *db;
    swarm_agent coordinator;
    swarm_agent workers[N_WORKERS];
    int64_t started_at;
    atomic_int claims;       /* tasks claimed (claim_next, claim_batch) */
    atomic_int outcomes;     /* completed + retried + failed */
    atomic_int failures;     /* errors from the storage layer */
    char *wal_path;          /* SQLite: the write-ahead log file; NULL otherwise */
    atomic_bool running;     /* the WAL watcher runs while set */
    long long wal_peak;      /* largest size of the log file seen, bytes */
} demo;

typedef struct worker {
    demo *d;
    int index;
    unsigned seed;
} worker;

static void die(const char *what, const dal_error *err)
{
    fprintf(stderr, "swarm_demo: %s: %s (%s)\n", what, err->message, dal_code_name(err->code));
    exit(1);
}

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

/* Logs an event for (agent, task). */
static dal_code log_event(swarm_db *db, const char *type, const char *agent_id, const char *task_id,
                          dal_error *err)
{
    swarm_event e;
    swarm_event_init(&e);
    dal_strset(&e.event_type, type);
    e.has_agent_id = true;
    dal_uuidset(e.agent_id, agent_id);
    e.has_task_id = true;
    dal_uuidset(e.task_id, task_id);
    dal_code rc = swarm_event_insert(db, &e, err);
    swarm_event_clear(&e);
    return rc;
}

/* Does the work of one claimed task inside a transaction: start it, then
 * complete it (most of the time) or fail it (retried until max_retries). */
static void run_task(worker *w, const char *task_id)
{
    demo *d = w->d;
    swarm_agent *me = &d->workers[w->index];
    dal_error err = {0};
    swarm_tx *tx = swarm_begin(d->db, &err);
    if (tx == NULL) {
        atomic_fetch_add(&d->failures, 1);
        return;
    }
    swarm_db *t = swarm_tx_db(tx);
    swarm_task task;
    swarm_task_init(&task);
    bool found = false;
    dal_code rc = swarm_task_get(t, task_id, &task, &found, &err);
    if (rc == DAL_OK && !found)
        rc = dal_set_error(&err, DAL_ERR_NOT_FOUND, "claimed task %s vanished", task_id);

    int64_t t0 = dal_now_us();
    bool ok = next_rand(&w->seed) % 100 >= 15; /* 15% of attempts fail */
    if (rc == DAL_OK) {
        task.has_started_at = true;
        task.started_at = t0;
        if (ok) {
            task.status = SWARM_TASK_STATUS_COMPLETED;
            cJSON_Delete(task.result);
            task.result = cJSON_CreateObject();
            cJSON_AddStringToObject(task.result, "worker", me->name);
            task.has_completed_at = true;
            task.completed_at = dal_now_us();
        } else {
            task.retry_count++;
            dal_strset(&task.error, "simulated failure");
            if (task.retry_count >= task.max_retries) {
                task.status = SWARM_TASK_STATUS_FAILED;
            } else {
                task.status = SWARM_TASK_STATUS_PENDING; /* back to the queue */
                task.has_assigned_to = false;
                task.assigned_to[0] = '\0';
            }
        }
        rc = swarm_task_update(t, &task, &err);
    }
    if (rc == DAL_OK)
        rc = log_event(t, ok ? "task_completed" : "task_failed", me->id, task_id, &err);
    if (rc == DAL_OK) {
        swarm_metric m;
        swarm_metric_init(&m);
        dal_strset(&m.metric_type, "task_duration");
        m.has_agent_id = true;
        dal_uuidset(m.agent_id, me->id);
        m.value = (double)(dal_now_us() - t0) / 1000.0 + (double)(next_rand(&w->seed) % 50);
        dal_strset(&m.unit, "ms");
        cJSON_AddStringToObject(m.tags, "task_type", task.task_type);
        rc = swarm_metric_insert(t, &m, &err);
        swarm_metric_clear(&m);
    }
    if (rc == DAL_OK && !ok && task.status == SWARM_TASK_STATUS_FAILED) {
        swarm_message msg;
        swarm_message_init(&msg);
        dal_uuidset(msg.from_agent, me->id);
        dal_uuidset(msg.to_agent, d->coordinator.id);
        dal_strset(&msg.message_type, "task_failed");
        msg.priority = SWARM_MESSAGE_PRIORITY_HIGH;
        cJSON_AddStringToObject(msg.content, "task", task_id);
        rc = swarm_message_insert(t, &msg, &err);
        swarm_message_clear(&msg);
    }
    if (rc == DAL_OK)
        rc = swarm_commit(tx, &err);
    swarm_tx_free(tx); /* rolls back when the commit did not happen */
    swarm_task_clear(&task);
    if (rc == DAL_OK)
        atomic_fetch_add(&d->outcomes, 1);
    else {
        fprintf(stderr, "swarm_demo: worker %d: %s\n", w->index, err.message);
        atomic_fetch_add(&d->failures, 1);
    }
}

/* Claims pending tasks (highest priority first) until none is left: workers
 * with an even index one at a time (claim_next), the others in batches of
 * three (claim_batch). Each call is one atomic update, so no claim is ever
 * lost to another worker: a call gets tasks or learns the queue is empty. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    demo *d = w->d;
    const char *me = d->workers[w->index].id;
    swarm_task_list batch = {0};
    swarm_task task;
    swarm_task_init(&task);
    dal_error err = {0};
    for (;;) {
        bool found = false;
        dal_code rc;
        if (w->index % 2 == 0) {
            rc = swarm_task_claim_next(d->db, me, &task, &found, &err);
        } else {
            rc = swarm_task_claim_batch(d->db, me, 3, &batch, &err);
            found = batch.n > 0;
        }
        if (rc != DAL_OK) {
            fprintf(stderr, "swarm_demo: worker %d: claim: %s\n", w->index, err.message);
            atomic_fetch_add(&d->failures, 1);
            break;
        }
        if (!found)
            break;
        size_t n = w->index % 2 == 0 ? 1 : batch.n;
        for (size_t k = 0; k < n; k++) {
            const char *id = w->index % 2 == 0 ? task.id : batch.v[k].id;
            atomic_fetch_add(&d->claims, 1);
            if (log_event(d->db, "task_claimed", me, id, &err) != DAL_OK)
                atomic_fetch_add(&d->failures, 1);
            run_task(w, id);
        }
    }
    swarm_task_list_free(&batch);
    swarm_task_clear(&task);
    return NULL;
}

static void register_agents(demo *d)
{
    static const char *const kinds[] = {"researcher", "coder", "analyst", "tester"};
    dal_error err = {0};
    swarm_agent_init(&d->coordinator);
    dal_strset(&d->coordinator.name, "coordinator");
    dal_strset(&d->coordinator.agent_type, "coordinator");
    d->coordinator.status = SWARM_AGENT_STATUS_ACTIVE;
    dal_text_list_push(&d->coordinator.capabilities, "planning");
    if (swarm_agent_insert(d->db, &d->coordinator, &err) != DAL_OK)
        die("register the coordinator", &err);
    for (int i = 0; i < N_WORKERS; i++) {
        swarm_agent *a = &d->workers[i];
        char name[32];
        swarm_agent_init(a);
        snprintf(name, sizeof name, "worker-%d", i + 1);
        dal_strset(&a->name, name);
        dal_strset(&a->agent_type, kinds[i % 4]);
        a->status = SWARM_AGENT_STATUS_ACTIVE;
        dal_text_list_push(&a->capabilities, kinds[i % 4]);
        dal_text_list_push(&a->capabilities, "c");
        cJSON_AddNumberToObject(a->metadata, "slot", i);
    }
    if (swarm_agent_insert_many(d->db, d->workers, N_WORKERS, &err) != DAL_OK)
        die("register the workers", &err);
}

static void queue_tasks(demo *d)
{
    static const char *const types[] = {"analyze", "build", "review", "deploy"};
    swarm_task *tasks = calloc(N_TASKS, sizeof *tasks);
    dal_error err = {0};
    unsigned seed = 42;
    if (tasks == NULL) {
        fprintf(stderr, "swarm_demo: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < N_TASKS; i++) {
        swarm_task *t = &tasks[i];
        swarm_task_init(t);
        dal_strset(&t->task_type, types[i % 4]);
        t->priority = (swarm_task_priority)(next_rand(&seed) % 4);
        t->max_retries = 2;
        cJSON_Delete(t->payload);
        t->payload = cJSON_CreateObject();
        cJSON_AddNumberToObject(t->payload, "n", i);
    }
    /* one transaction for the whole batch */
    swarm_tx *tx = swarm_begin(d->db, &err);
    if (tx == NULL)
        die("begin", &err);
    if (swarm_task_insert_many(swarm_tx_db(tx), tasks, N_TASKS, &err) != DAL_OK ||
        swarm_commit(tx, &err) != DAL_OK)
        die("queue tasks", &err);
    swarm_tx_free(tx);
    for (int i = 0; i < N_TASKS; i++)
        swarm_task_clear(&tasks[i]);
    free(tasks);
}

static void report(demo *d, const char *url)
{
    dal_error err = {0};
    /* a server URL's password is not printed */
    const char *auth = url ? strstr(url, "://") : NULL;
    const char *at = auth ? strpbrk(auth + 3, "@/?") : NULL;
    const char *colon = at && *at == '@' ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
    if (colon != NULL)
        printf("swarm demo on %.*s:***%s\n", (int)(colon - url), url, at);
    else
        printf("swarm demo on %s\n", url ? url : "sqlite:swarm.db (the embedded default)");
    printf("  this run: %d agents, %d tasks queued, %d workers\n", N_WORKERS + 1, N_TASKS, N_WORKERS);
    printf("  tasks claimed: %d (one atomic update each, none lost), outcomes recorded: %d, errors: %d\n",
           atomic_load(&d->claims), atomic_load(&d->outcomes), atomic_load(&d->failures));

    swarm_task_status_counts_row_list counts = {0};
    if (swarm_task_status_counts(d->db, &counts, &err) != DAL_OK)
        die("tasks by status", &err);
    printf("  tasks by status (whole database):");
    for (size_t i = 0; i < counts.n; i++)
        printf(" %s %lld", swarm_task_status_to_string(counts.v[i].status), (long long)counts.v[i].tasks);
    printf("\n");
    swarm_task_status_counts_row_list_free(&counts);

    swarm_message_list unread = {0};
    if (swarm_message_unread(d->db, d->coordinator.id, &unread, &err) != DAL_OK)
        die("unread messages", &err);
    printf("  unread messages for the coordinator: %zu", unread.n);
    /* the coordinator reads the oldest three */
    size_t read = 0;
    for (size_t i = 0; i < unread.n && i < 3; i++)
        if (swarm_message_mark_read(d->db, unread.v[i].id, &err) == DAL_OK)
            read++;
    printf(" (marked %zu read)\n", read);
    swarm_message_list_free(&unread);

    swarm_metric_summary_row_list summary = {0};
    if (swarm_metric_summary(d->db, "task_duration", d->started_at, dal_now_us(), &summary, &err) != DAL_OK)
        die("metric summary", &err);
    printf("  task_duration this run, per agent:\n");
    for (size_t i = 0; i < summary.n; i++) {
        const swarm_metric_summary_row *r = &summary.v[i];
        const char *name = "?";
        for (int k = 0; k < N_WORKERS; k++)
            if (r->has_agent_id && strcmp(r->agent_id, d->workers[k].id) == 0)
                name = d->workers[k].name;
        char first[DAL_TIME_SIZE];
        dal_time_format(r->first_seen, first);
        printf("    %-9s %4lld samples, avg %6.2f %s, first at %s\n", name, (long long)r->samples, r->value,
               r->unit ? r->unit : "", first);
    }
    swarm_metric_summary_row_list_free(&summary);

    swarm_event_list events = {0};
    if (swarm_event_by_agent(d->db, d->workers[0].id, 3, &events, &err) != DAL_OK)
        die("events by agent", &err);
    printf("  latest events of %s:", d->workers[0].name);
    for (size_t i = 0; i < events.n; i++)
        printf(" #%llu %s", (unsigned long long)events.v[i].sequence, events.v[i].event_type);
    printf("\n");
    swarm_event_list_free(&events);

    uint64_t bytes = 0;
    dal_pool_status ps;
    if (swarm_storage_size(d->db, &bytes, &err) != DAL_OK || swarm_pool_status(d->db, &ps, &err) != DAL_OK)
        die("maintenance figures", &err);
    printf("  storage: %llu bytes; pool: %u active, %u idle of %u, %llu waits\n", (unsigned long long)bytes,
           ps.active, ps.idle, ps.max, (unsigned long long)ps.waits);
}

/* The -wal file of a sqlite: URL (the default one for NULL), or NULL. */
static char *wal_path_of(const char *url)
{
    const char *path = url == NULL ? "swarm.db" : strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
    if (path == NULL || strncmp(path, ":memory:", 8) == 0)
        return NULL;
    size_t len = strcspn(path, "?");
    char *wal = malloc(len + 5);
    if (wal != NULL) {
        memcpy(wal, path, len);
        memcpy(wal + len, "-wal", 5);
    }
    return wal;
}

static long long file_bytes(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* Samples the log file's size every 2 ms while the swarm runs. */
static void *wal_watch(void *arg)
{
    demo *d = arg;
    struct timespec nap = {0, 2000000L};
    while (atomic_load(&d->running)) {
        long long n = file_bytes(d->wal_path);
        if (n > d->wal_peak)
            d->wal_peak = n;
        nanosleep(&nap, NULL);
    }
    return NULL;
}

static void report_wal(demo *d)
{
    if (d->wal_path == NULL)
        return;
    dal_error err = {0};
    long long end = file_bytes(d->wal_path);
    if (swarm_checkpoint(d->db, &err) != DAL_OK)
        die("checkpoint", &err);
    printf("  write-ahead log: peak %.1f MiB during the run, %.1f MiB at its end, %lld bytes after a checkpoint\n",
           (double)d->wal_peak / 1048576.0, (double)end / 1048576.0, file_bytes(d->wal_path));
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NULL;
    dal_error err = {0};
    static demo d;
    d.started_at = dal_now_us();
    d.db = swarm_open(url, &err);
    if (d.db == NULL)
        die("open", &err);
    d.wal_path = wal_path_of(url);
    pthread_t watcher;
    atomic_store(&d.running, d.wal_path != NULL);
    if (d.wal_path != NULL && pthread_create(&watcher, NULL, wal_watch, &d) != 0) {
        fprintf(stderr, "swarm_demo: cannot start the log watcher\n");
        return 1;
    }

    register_agents(&d);
    queue_tasks(&d);

    pthread_t threads[N_WORKERS];
    worker ws[N_WORKERS];
    for (int i = 0; i < N_WORKERS; i++) {
        ws[i] = (worker){&d, i, 1000u + (unsigned)i};
        if (pthread_create(&threads[i], NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "swarm_demo: cannot start worker %d\n", i);
            return 1;
        }
    }
    for (int i = 0; i < N_WORKERS; i++)
        pthread_join(threads[i], NULL);
    if (d.wal_path != NULL) {
        atomic_store(&d.running, false);
        pthread_join(watcher, NULL);
    }

    report(&d, url);
    report_wal(&d);
    int status = 0;
    /* every claim won leads to exactly one recorded outcome */
    if (atomic_load(&d.claims) != atomic_load(&d.outcomes) || atomic_load(&d.failures) != 0) {
        fprintf(stderr, "swarm_demo: %d claims but %d outcomes, %d errors\n", atomic_load(&d.claims),
                atomic_load(&d.outcomes), atomic_load(&d.failures));
        status = 1;
    }
    swarm_agent_clear(&d.coordinator);
    for (int i = 0; i < N_WORKERS; i++)
        swarm_agent_clear(&d.workers[i]);
    swarm_close(d.db);
    free(d.wal_path);
    return status;
}
