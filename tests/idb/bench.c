/*
 * bench.c - the original crate's browser operations through the generated
 * API, in the page (run by `run.mjs DIR --bench`, next to a hand-written
 * IndexedDB baseline doing the same in the same page). Speed is measured,
 * never tested.
 *   bench URL N    N agent inserts (each its own commit), N gets by id,
 *                  N / 10 `pending` queries over N tasks, and event batches
 *                  of 1,000 in one transaction; one JSON line per operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten.h>

#include "swarm/swarm.h"

static void id_n(char out[DAL_UUID_SIZE], unsigned kind, unsigned n)
{
    snprintf(out, DAL_UUID_SIZE, "00000000-0000-7000-800%u-%012u", kind, n);
}

static void report(const char *url, const char *op, unsigned n, double ms)
{
    printf("{\"url\":\"%s\",\"op\":\"%s\",\"n\":%u,\"ms\":%.1f,\"per_s\":%.0f}\n", url, op, n, ms,
           ms > 0 ? n * 1000.0 / ms : 0.0);
}

#define CHECK(call)                                                                                               \
    do {                                                                                                          \
        if ((call) != DAL_OK) {                                                                                   \
            printf("bench: %s: %s\n", #call, err.message);                                                        \
            return 1;                                                                                             \
        }                                                                                                         \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 3) {
        printf("usage: bench URL N\n");
        return 2;
    }
    const char *url = argv[1];
    unsigned n = (unsigned)atoi(argv[2]);
    dal_error err = {0};
    swarm_db *db = swarm_open(url, &err);
    if (db == NULL) {
        printf("bench: open %s: %s\n", url, err.message);
        return 1;
    }
    /* agent insert: each its own commit */
    double t0 = emscripten_get_now();
    for (unsigned i = 0; i < n; i++) {
        swarm_agent a;
        swarm_agent_init(&a);
        id_n(a.id, 1, i);
        dal_strset(&a.name, "bench");
        dal_strset(&a.agent_type, "worker");
        dal_code rc = swarm_agent_insert(db, &a, &err);
        swarm_agent_clear(&a);
        CHECK(rc);
    }
    report(url, "agent_insert", n, emscripten_get_now() - t0);
    /* get by id */
    t0 = emscripten_get_now();
    for (unsigned i = 0; i < n; i++) {
        char id[DAL_UUID_SIZE];
        id_n(id, 1, (i * 7919u) % n);
        swarm_agent a;
        swarm_agent_init(&a);
        bool found = false;
        dal_code rc = swarm_agent_get(db, id, &a, &found, &err);
        swarm_agent_clear(&a);
        CHECK(rc);
        if (!found) {
            printf("bench: agent %s missing\n", id);
            return 1;
        }
    }
    report(url, "agent_get", n, emscripten_get_now() - t0);
    /* pending over n tasks (10 pending), one transaction to fill */
    swarm_tx *tx = swarm_begin(db, &err);
    if (tx == NULL) {
        printf("bench: begin: %s\n", err.message);
        return 1;
    }
    swarm_task *t = calloc(n, sizeof *t);
    for (unsigned i = 0; i < n; i++) {
        swarm_task_init(&t[i]);
        id_n(t[i].id, 2, i);
        dal_strset(&t[i].task_type, "bench");
        t[i].status = i < 10 ? SWARM_TASK_STATUS_PENDING : SWARM_TASK_STATUS_COMPLETED;
    }
    dal_code rc = swarm_task_insert_many(swarm_tx_db(tx), t, n, &err);
    for (unsigned i = 0; i < n; i++)
        swarm_task_clear(&t[i]);
    free(t);
    if (rc == DAL_OK)
        rc = swarm_commit(tx, &err);
    swarm_tx_free(tx);
    CHECK(rc);
    unsigned q = n / 10 ? n / 10 : 1;
    t0 = emscripten_get_now();
    for (unsigned i = 0; i < q; i++) {
        swarm_task_list l = {0};
        CHECK(swarm_task_pending(db, &l, &err));
        swarm_task_list_free(&l);
    }
    report(url, "task_pending", q, emscripten_get_now() - t0);
    /* event batches of 1,000 in one transaction each */
    enum { BATCH = 1000, BATCHES = 3 };
    swarm_event *e = calloc(BATCH, sizeof *e);
    t0 = emscripten_get_now();
    for (unsigned b = 0; b < BATCHES; b++) {
        for (unsigned i = 0; i < BATCH; i++) {
            swarm_event_init(&e[i]);
            id_n(e[i].id, 3, b * BATCH + i);
            dal_strset(&e[i].event_type, "tick");
        }
        tx = swarm_begin(db, &err);
        if (tx == NULL) {
            printf("bench: begin: %s\n", err.message);
            return 1;
        }
        rc = swarm_event_insert_many(swarm_tx_db(tx), e, BATCH, &err);
        if (rc == DAL_OK)
            rc = swarm_commit(tx, &err);
        swarm_tx_free(tx);
        for (unsigned i = 0; i < BATCH; i++)
            swarm_event_clear(&e[i]);
        CHECK(rc);
    }
    report(url, "event_batch_1000", BATCH * BATCHES, emscripten_get_now() - t0);
    free(e);
    swarm_close(db);
    return 0;
}
