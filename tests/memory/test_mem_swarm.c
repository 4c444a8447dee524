/*
 * test_mem_swarm.c - how many index entries the swarm queries read on the
 * memory backend, through the generated API (counted with dal_memory_stats,
 * not timed): `pending` over 100,000 tasks of which 10 are pending, the
 * limited event queries, `since`, the two-branch `between`, `claim`, and the
 * same queries at 1,000 rows to show the O(log n + k) shape: the entries read
 * stay k, only the descents (seek_steps, about log2 n) grow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dal_memory.h"
#include "swarm/swarm.h"
#include "test_util.h"

enum { AGENTS = 4 };

typedef struct world {
    swarm_db *db;
    char agent[AGENTS][DAL_UUID_SIZE];
    char task0[DAL_UUID_SIZE]; /* a pending task */
    unsigned n;
} world;

static void id_n(char out[DAL_UUID_SIZE], unsigned kind, unsigned n)
{
    snprintf(out, DAL_UUID_SIZE, "00000000-0000-7000-800%u-%012u", kind, n);
}

/* n tasks (the first 10 pending, the rest completed, round robin over the
 * agents), n events (time i + 1, agent i % 4) and n / 10 messages. */
static void build(world *w, unsigned n)
{
    dal_error err = {0};
    w->n = n;
    w->db = swarm_open("memory:", &err);
    assert_non_null(w->db);
    for (unsigned a = 0; a < AGENTS; a++) {
        swarm_agent ag;
        swarm_agent_init(&ag);
        id_n(ag.id, 1, a);
        memcpy(w->agent[a], ag.id, DAL_UUID_SIZE);
        assert_true(dal_strset(&ag.name, "worker"));
        assert_true(dal_strset(&ag.agent_type, "w"));
        OK(swarm_agent_insert(w->db, &ag, err));
        swarm_agent_clear(&ag);
    }
    enum { BATCH = 500 };
    static swarm_task t[BATCH];
    static swarm_event e[BATCH];
    for (unsigned i = 0; i < n;) {
        unsigned k = 0;
        for (; k < BATCH && i < n; k++, i++) {
            swarm_task_init(&t[k]);
            id_n(t[k].id, 2, i);
            assert_true(dal_strset(&t[k].task_type, "job"));
            t[k].priority = (swarm_task_priority)(i % 4);
            t[k].created_at = i + 1; /* 0 would mean "unset": @default(now) */
            if (i >= 10) {
                t[k].status = SWARM_TASK_STATUS_COMPLETED;
                t[k].has_assigned_to = true;
                memcpy(t[k].assigned_to, w->agent[i % AGENTS], DAL_UUID_SIZE);
            }
            swarm_event_init(&e[k]);
            id_n(e[k].id, 3, i);
            assert_true(dal_strset(&e[k].event_type, i % 2 ? "tick" : "tock"));
            e[k].has_agent_id = true;
            memcpy(e[k].agent_id, w->agent[i % AGENTS], DAL_UUID_SIZE);
            e[k].timestamp = i + 1;
        }
        OK(swarm_task_insert_many(w->db, t, k, err));
        OK(swarm_event_insert_many(w->db, e, k, err));
        for (unsigned j = 0; j < k; j++) {
            swarm_task_clear(&t[j]);
            swarm_event_clear(&e[j]);
        }
    }
    for (unsigned i = 0; i < n / 10; i++) {
        swarm_message m;
        swarm_message_init(&m);
        id_n(m.id, 4, i);
        memcpy(m.from_agent, w->agent[i % AGENTS], DAL_UUID_SIZE);
        memcpy(m.to_agent, w->agent[(i + 1) % AGENTS], DAL_UUID_SIZE);
        assert_true(dal_strset(&m.message_type, "hi"));
        m.created_at = i + 1;
        OK(swarm_message_insert(w->db, &m, err));
        swarm_message_clear(&m);
    }
    id_n(w->task0, 2, 0);
}

static struct dal_memory_stats take(world *w)
{
    struct dal_memory_stats s;
    OK(dal_memory_stats((dal_db *)w->db, &s, err));
    dal_memory_stats_reset((dal_db *)w->db);
    return s;
}

typedef struct figures {
    struct dal_memory_stats pending, next, by_agent, by_type, since, between, unread, claim;
} figures;

static void measure_all(world *w, figures *f)
{
    swarm_task_list tl = {0, NULL};
    swarm_event_list el = {0, NULL};
    swarm_message_list ml = {0, NULL};
    take(w);
    OK(swarm_task_pending(w->db, &tl, err));
    assert_int_equal(tl.n, 10);
    assert_int_equal(tl.v[0].priority, SWARM_TASK_PRIORITY_CRITICAL); /* priority desc, then oldest */
    assert_int_equal(tl.v[0].created_at, 4);
    f->pending = take(w);
    OK(swarm_task_next(w->db, 3, &tl, err));
    assert_int_equal(tl.n, 3);
    f->next = take(w);
    OK(swarm_event_by_agent(w->db, w->agent[1], 10, &el, err));
    assert_int_equal(el.n, 10);
    assert_int_equal(el.v[0].timestamp, (int64_t)w->n - 2); /* newest of agent 1 */
    f->by_agent = take(w);
    OK(swarm_event_by_type(w->db, "tick", 5, &el, err));
    assert_int_equal(el.n, 5);
    f->by_type = take(w);
    OK(swarm_event_since(w->db, (int64_t)w->n - 24, &el, err));
    assert_int_equal(el.n, 25);
    f->since = take(w);
    OK(swarm_message_between(w->db, w->agent[0], w->agent[1], 6, &ml, err));
    assert_int_equal(ml.n, 6);
    f->between = take(w);
    OK(swarm_message_unread(w->db, w->agent[2], &ml, err));
    assert_int_equal(ml.n, w->n / 40);
    f->unread = take(w);
    bool claimed = false;
    OK(swarm_task_claim(w->db, w->task0, w->agent[0], &claimed, err));
    assert_true(claimed);
    f->claim = take(w);
    swarm_task_list_free(&tl);
    swarm_event_list_free(&el);
    swarm_message_list_free(&ml);
}

static void print_figures(const char *what, unsigned n, const figures *f)
{
    const struct dal_memory_stats *s[] = {&f->pending, &f->next, &f->by_agent, &f->by_type,
                                          &f->since,   &f->between, &f->unread, &f->claim};
    const char *names[] = {"pending", "next(3)", "event.by_agent(10)", "event.by_type(5)",
                           "event.since(k=25)", "message.between(6)", "message.unread", "task.claim"};
    print_message("%s (%u tasks, %u events, %u messages):\n", what, n, n, n / 10);
    for (int i = 0; i < 8; i++)
        print_message("  %-20s %6llu entries read, %3llu seeks, %4llu seek steps\n", names[i],
                      (unsigned long long)s[i]->entries_read, (unsigned long long)s[i]->seeks,
                      (unsigned long long)s[i]->seek_steps);
}

static void test_entries_read_swarm(void **state)
{
    (void)state;
    world small, large;
    figures fs, fl;
    build(&small, 1000);
    build(&large, 100000);
    measure_all(&small, &fs);
    measure_all(&large, &fl);
    print_figures("1k", 1000, &fs);
    print_figures("100k", 100000, &fl);

    /* the example of the issue: 10 pending of 100,000 */
    assert_int_equal(fl.pending.entries_read, 10);
    assert_int_equal(fl.next.entries_read, 3);
    assert_int_equal(fl.by_agent.entries_read, 10);
    assert_int_equal(fl.by_type.entries_read, 5);
    assert_int_equal(fl.since.entries_read, 25);
    assert_true(fl.between.entries_read <= 2 * 6); /* each branch stops at its 6th */
    assert_int_equal(fl.unread.entries_read, 100000 / 40);
    assert_int_equal(fl.claim.entries_read, 2); /* the task, and the agent its new assigned_to names */
    /* O(log n + k): the same k at 1k and 100k rows; only the descents grow
     * (a red-black tree of n entries is at most 2 log2(n + 1) deep) */
    assert_int_equal(fs.pending.entries_read, fl.pending.entries_read);
    assert_int_equal(fs.by_agent.entries_read, fl.by_agent.entries_read);
    assert_int_equal(fs.since.entries_read, fl.since.entries_read);
    assert_int_equal(fs.between.entries_read, fl.between.entries_read);
    assert_true(fl.pending.seek_steps > fs.pending.seek_steps);
    assert_true(fs.pending.seek_steps <= fs.pending.seeks * 2 * 10);
    assert_true(fl.pending.seek_steps <= fl.pending.seeks * 2 * 17);
    assert_true(fl.by_agent.seek_steps <= fl.by_agent.seeks * 2 * 17);

    swarm_close(small.db);
    swarm_close(large.db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries_read_swarm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
