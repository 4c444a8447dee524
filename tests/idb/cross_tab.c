/*
 * cross_tab.c - a claim is atomic across two tabs of one origin (idb:race).
 *   cross_tab seed      2 agents, TASKS pending tasks
 *   cross_tab claim K   (run in two tabs at once, K = 0 and 1) agent K tries
 *                       to claim every task (tab 0 upwards, tab 1 downwards,
 *                       released together, so they meet and contend);
 *                       prints how many it won
 *   cross_tab verify    every task is assigned to exactly one agent, and the
 *                       two agents' tasks add up to TASKS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten.h>

#include "swarm/swarm.h"

#define TASKS 40

/* Both tabs start claiming together: each says it is ready, then waits for
 * the runner's go (run.mjs resolves it in both pages at once). */
EM_ASYNC_JS(void, wait_for_go, (void), {
    await new Promise(function(go) { window.dalGo = go; window.dalReady = true; });
})

static void uuid_n(char out[DAL_UUID_SIZE], unsigned n)
{
    snprintf(out, DAL_UUID_SIZE, "00000000-0000-7000-8000-%012u", n);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: cross_tab seed|claim K|verify\n");
        return 2;
    }
    dal_error err = {0};
    swarm_db *db = swarm_open("idb:race", &err);
    if (db == NULL) {
        printf("cross_tab: open: %s\n", err.message);
        return 1;
    }
    int rc = 0;
    if (strcmp(argv[1], "seed") == 0) {
        for (unsigned k = 0; k < 2 && rc == 0; k++) {
            swarm_agent a;
            swarm_agent_init(&a);
            uuid_n(a.id, 100 + k);
            dal_strset(&a.name, k ? "tab-1" : "tab-0");
            dal_strset(&a.agent_type, "worker");
            rc = swarm_agent_insert(db, &a, &err) != DAL_OK;
            swarm_agent_clear(&a);
        }
        swarm_task t[TASKS];
        for (unsigned i = 0; i < TASKS; i++) {
            swarm_task_init(&t[i]);
            uuid_n(t[i].id, 1000 + i);
            dal_strset(&t[i].task_type, "contended");
        }
        if (rc == 0)
            rc = swarm_task_insert_many(db, t, TASKS, &err) != DAL_OK;
        for (unsigned i = 0; i < TASKS; i++)
            swarm_task_clear(&t[i]);
        printf("cross_tab: seeded %d tasks%s%s\n", TASKS, rc ? ": " : "", rc ? err.message : "");
    } else if (strcmp(argv[1], "claim") == 0 && argc == 3) {
        unsigned k = (unsigned)atoi(argv[2]);
        char agent[DAL_UUID_SIZE], task[DAL_UUID_SIZE];
        uuid_n(agent, 100 + k);
        int wins = 0;
        wait_for_go();
        for (unsigned j = 0; j < TASKS && rc == 0; j++) {
            /* tab 0 from the first task up, tab 1 from the last down: they meet */
            uuid_n(task, 1000 + (k == 0 ? j : TASKS - 1 - j));
            bool claimed = false;
            if (swarm_task_claim(db, task, agent, &claimed, &err) != DAL_OK) {
                printf("cross_tab: claim: %s\n", err.message);
                rc = 1;
            }
            wins += claimed;
        }
        printf("cross_tab: agent %u won %d of %d claims\n", k, wins, TASKS);
    } else if (strcmp(argv[1], "verify") == 0) {
        size_t total = 0;
        for (unsigned k = 0; k < 2 && rc == 0; k++) {
            char agent[DAL_UUID_SIZE];
            uuid_n(agent, 100 + k);
            swarm_task_list l = {0};
            if (swarm_task_by_agent(db, agent, &l, &err) != DAL_OK) {
                printf("cross_tab: by_agent: %s\n", err.message);
                rc = 1;
            }
            printf("cross_tab: agent %u holds %zu tasks\n", k, l.n);
            total += l.n;
            swarm_task_list_free(&l);
        }
        swarm_task_list p = {0};
        if (rc == 0 && swarm_task_pending(db, &p, &err) != DAL_OK)
            rc = 1;
        if (rc == 0 && (total != TASKS || p.n != 0)) {
            printf("cross_tab: %zu tasks held, %zu pending: want %d and 0\n", total, p.n, TASKS);
            rc = 1;
        }
        swarm_task_list_free(&p);
        if (rc == 0)
            printf("cross_tab: every task claimed exactly once\n");
    } else {
        printf("usage: cross_tab seed|claim K|verify\n");
        rc = 2;
    }
    swarm_close(db);
    return rc;
}
