/*
 * persist.c - data written through the generated API survives the page.
 *   persist write   in one transaction: an agent, a task assigned to it and
 *                   three events (@sequence 1..3) in idb:swarm, the default
 *                   that swarm_open(NULL) opens in the browser
 *   persist check   a later page (or browser process) finds exactly that, and
 *                   the next event gets sequence 4; changes nothing
 * Exit status 0 when everything matched.
 */
#include <stdio.h>
#include <string.h>

#include "swarm/swarm.h"

static const char *AGENT = "0190a000-0000-7000-8000-000000000001";
static const char *TASK = "0190a000-0000-7000-8000-000000000002";

#define FAIL(...)                                                                                                 \
    do {                                                                                                          \
        printf("persist: " __VA_ARGS__);                                                                          \
        printf("\n");                                                                                             \
        return 1;                                                                                                 \
    } while (0)

static int write_data(swarm_db *db)
{
    dal_error err = {0};
    swarm_tx *tx = swarm_begin(db, &err);
    if (tx == NULL)
        FAIL("begin: %s", err.message);
    swarm_db *h = swarm_tx_db(tx);
    swarm_agent a;
    swarm_agent_init(&a);
    dal_uuidset(a.id, AGENT);
    dal_strset(&a.name, "persistent \xc3\xa9l\xc3\xa8ve");
    dal_strset(&a.agent_type, "coder");
    swarm_task t;
    swarm_task_init(&t);
    dal_uuidset(t.id, TASK);
    dal_strset(&t.task_type, "survive");
    t.has_assigned_to = true;
    dal_uuidset(t.assigned_to, AGENT);
    dal_code rc = swarm_agent_insert(h, &a, &err);
    if (rc == DAL_OK)
        rc = swarm_task_insert(h, &t, &err);
    for (int i = 0; i < 3 && rc == DAL_OK; i++) {
        swarm_event e;
        swarm_event_init(&e);
        dal_strset(&e.event_type, "tick");
        e.has_agent_id = true;
        dal_uuidset(e.agent_id, AGENT);
        rc = swarm_event_insert(h, &e, &err);
        swarm_event_clear(&e);
    }
    swarm_agent_clear(&a);
    swarm_task_clear(&t);
    if (rc == DAL_OK)
        rc = swarm_commit(tx, &err);
    swarm_tx_free(tx);
    if (rc != DAL_OK)
        FAIL("write: %s", err.message);
    printf("persist: wrote 1 agent, 1 task, 3 events\n");
    return 0;
}

static int check_data(swarm_db *db)
{
    dal_error err = {0};
    swarm_agent a;
    swarm_agent_init(&a);
    bool found = false;
    if (swarm_agent_get(db, AGENT, &a, &found, &err) != DAL_OK)
        FAIL("get: %s", err.message);
    if (!found)
        FAIL("the agent is gone");
    if (strcmp(a.name, "persistent \xc3\xa9l\xc3\xa8ve") != 0)
        FAIL("agent name '%s'", a.name);
    swarm_agent_clear(&a);
    swarm_task_list tl = {0};
    if (swarm_task_by_agent(db, AGENT, &tl, &err) != DAL_OK)
        FAIL("by_agent: %s", err.message);
    if (tl.n != 1 || strcmp(tl.v[0].id, TASK) != 0)
        FAIL("tasks of the agent: %zu", tl.n);
    swarm_task_list_free(&tl);
    swarm_event_list el = {0};
    if (swarm_event_all(db, &el, &err) != DAL_OK)
        FAIL("events: %s", err.message);
    int64_t n = (int64_t)el.n;
    int64_t seq_sum = 0;
    for (size_t i = 0; i < el.n; i++)
        seq_sum += el.v[i].sequence;
    swarm_event_list_free(&el);
    if (n != 3 || seq_sum != 6)
        FAIL("events: %lld rows, sequences summing to %lld (want 3, 6)", (long long)n, (long long)seq_sum);
    /* the next number continues the stored counter, inside a rolled-back transaction */
    swarm_tx *tx = swarm_begin(db, &err);
    if (tx == NULL)
        FAIL("begin: %s", err.message);
    swarm_event e;
    swarm_event_init(&e);
    dal_strset(&e.event_type, "probe");
    dal_code rc = swarm_event_insert(swarm_tx_db(tx), &e, &err);
    int64_t next = e.sequence;
    swarm_event_clear(&e);
    swarm_rollback(tx, NULL);
    swarm_tx_free(tx);
    if (rc != DAL_OK)
        FAIL("probe insert: %s", err.message);
    if (next < 4)
        FAIL("next sequence %lld reuses a stored one", (long long)next);
    printf("persist: found the agent, its task and events 1..3; next sequence %lld\n", (long long)next);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "check") != 0)) {
        printf("usage: persist write|check\n");
        return 2;
    }
    dal_error err = {0};
    swarm_db *db = swarm_open(NULL, &err);
    if (db == NULL)
        FAIL("open: %s", err.message);
    int rc = strcmp(argv[1], "write") == 0 ? write_data(db) : check_data(db);
    swarm_close(db);
    return rc;
}
