/*
 * builder_demo.c - a search screen over tasks, decided at run time with the
 * typed query builder: tasks of the chosen types, priority at least X,
 * created after T, newest first, shown page by page (keyset pagination: each
 * page continues after the last row of the previous one).
 *
 *   builder_demo [URL]     (default: memory:, a fresh in-memory database)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/swarm.h"

#define PAGE 3

static const char *const TYPES[] = {"build", "test", "deploy", "lint"};

static int fail(const char *what, const dal_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err->message);
    return 1;
}

/* Sixteen tasks of mixed types and priorities, one second apart. */
static dal_code seed(swarm_db *db, int64_t t0, dal_error *err)
{
    swarm_task tasks[16];
    for (int i = 0; i < 16; i++) {
        swarm_task_init(&tasks[i]);
        dal_strset(&tasks[i].task_type, TYPES[i % 4]);
        tasks[i].priority = (swarm_task_priority)((i * 3 + i / 4) % 4);
        tasks[i].created_at = t0 + (int64_t)i * 1000000;
    }
    dal_code rc = swarm_task_insert_many(db, tasks, 16, err);
    for (int i = 0; i < 16; i++)
        swarm_task_clear(&tasks[i]);
    return rc;
}

/* The search: the filter the screen's controls chose. */
static swarm_task_query *search(const dal_text_list *types, swarm_task_priority min_priority, int64_t after_time)
{
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_task_type_in(types));
    swarm_task_query_where(q, swarm_task_priority_is(DAL_OP_GE, min_priority));
    swarm_task_query_where(q, swarm_task_created_at_is(DAL_OP_GT, after_time));
    swarm_task_query_order_by_created_at(q, true);
    return q;
}

int main(int argc, char **argv)
{
    dal_error err = {0};
    swarm_db *db = swarm_open(argc > 1 ? argv[1] : "memory:", &err);
    if (db == NULL)
        return fail("open", &err);
    int64_t t0 = dal_now_us();
    if (seed(db, t0, &err) != DAL_OK)
        return fail("seed", &err);

    char *chosen[] = {"build", "test"};
    dal_text_list types = {2, chosen};
    swarm_task_query *q = search(&types, SWARM_TASK_PRIORITY_MEDIUM, t0 + 2000000);

    char *sql = NULL, *params = NULL;
    if (swarm_task_query_sql(q, DAL_DIALECT_SQLITE, &sql, &params, &err) != DAL_OK)
        return fail("sql", &err);
    printf("SQL:    %s\nparams: %s\n", sql, params);
    free(sql);
    free(params);

    int64_t total = 0;
    if (swarm_task_query_count(db, q, &total, &err) != DAL_OK)
        return fail("count", &err);
    printf("%lld matching tasks, %d per page\n", (long long)total, PAGE);
    swarm_task_query_limit(q, PAGE);

    swarm_task last;
    swarm_task_init(&last);
    for (int page = 1;; page++) {
        swarm_task_list rows = {0, NULL};
        if (swarm_task_query_fetch(db, q, &rows, &err) != DAL_OK)
            return fail("fetch", &err);
        if (rows.n == 0)
            break;
        printf("page %d:\n", page);
        for (size_t i = 0; i < rows.n; i++)
            printf("  %-6s %-8s +%llds\n", rows.v[i].task_type, swarm_task_priority_to_string(rows.v[i].priority),
                   (long long)((rows.v[i].created_at - t0) / 1000000));
        swarm_task_copy(&last, &rows.v[rows.n - 1], &err);
        size_t n = rows.n;
        swarm_task_list_free(&rows);
        if (n < PAGE)
            break;
        swarm_task_query_after(q, &last); /* the next page continues after it */
    }
    swarm_task_clear(&last);
    swarm_task_query_free(q);
    swarm_close(db);
    return 0;
}
