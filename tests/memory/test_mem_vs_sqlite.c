/*
 * test_mem_vs_sqlite.c - the memory backend against the SQLite backend:
 * the same random rows (fixed seeds) go into "memory:" and "sqlite::memory:",
 * then every query of mem_test_model.h runs with many random arguments on
 * both, and random writes (updates, upserts, deletes with cascade / set null
 * / restrict, update and delete queries) are applied to both. Results,
 * their order, return codes and the tables' contents must be identical.
 *
 * One known, intended difference: after a transaction rolls back, SQLite
 * hands out the @sequence values of the undone rows again and the memory
 * backend does not (its values are never reused). The transaction test
 * therefore compares @sequence values (and sums of them) only up to the
 * first rollback.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mem_test_util.h"

static uint64_t rng;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)((rng >> 11) % n);
}

enum { N_OWNERS = 6, N_TASKS = 300, TS_RANGE = 40 };

static const char *const words[] = {"alpha", "Alpha", "ALPHA", "beta", "Äpfel", "äpfel", "a_c", "abc", "a%c",
                                    "zeta", "Zeta", "", "x", "eta", "theta", "ß", "ab", "b"};
static const double scores[] = {0.5, 1.0, 2.0, 2.0, -1.5, 3.25, 0.0, 8.0};
static const char *const patterns[] = {"%a%", "_eta", "a%", "A%", "%%", "", "%", "a_c", "%pfel", "_pfel",
                                       "Ä%", "b", "%ß", "__", "%_%", "z%a", "%c"};

static void rand_task(m_task *t, unsigned n)
{
    char title[64];
    task_make(t, n, (int)rnd(3), (int)rnd(3), rnd(N_OWNERS + 2) % (N_OWNERS + 1), (int64_t)rnd(TS_RANGE));
    snprintf(title, sizeof title, "%s%s%s", words[rnd(18)], rnd(2) ? " " : "", words[rnd(18)]);
    free(t->title);
    t->title = strdup(title);
    if (rnd(4) != 0) {
        t->has_score = true;
        t->score = scores[rnd(8)];
    }
    t->flag = rnd(3) == 0;
    t->payload = rnd(2) ? cJSON_CreateNumber(rnd(5)) : NULL;
    if (rnd(2))
        assert_true(dal_text_list_push(&t->tags, words[rnd(18)]));
}

typedef struct pair {
    dal_db *mem, *sql;
} pair;

static bool g_ignore_seq; /* see the top of the file */

static void normalize(const dal_model *m, dal_list *l)
{
    for (size_t i = 0; g_ignore_seq && i < l->n; i++) {
        if (m == &m_task_model)
            ((m_task *)l->v)[i].seq = 0;
        else if (m == &m_task_stats_row_model)
            ((m_task_stats_row *)l->v)[i].total = 0;
    }
}

static const dal_model *const models[] = {&m_owner_model, &m_task_model, &m_note_model};

static void fail_lists(const dal_model *m, const dal_list *a, const dal_list *b, const char *what, size_t at)
{
    print_error("%s differs at row %zu (memory %zu rows, sqlite %zu rows)\n", what, at, a->n, b->n);
    for (size_t i = 0; i < a->n || i < b->n; i++) {
        char *x = i < a->n ? dal_record_to_json(m, (char *)a->v + i * m->size) : NULL;
        char *y = i < b->n ? dal_record_to_json(m, (char *)b->v + i * m->size) : NULL;
        print_error("  %zu memory %s\n  %zu sqlite %s\n", i, x ? x : "-", i, y ? y : "-");
        free(x);
        free(y);
    }
    fail();
}

static void same_lists(const dal_model *m, dal_list *a, dal_list *b, const char *what)
{
    normalize(m, a);
    normalize(m, b);
    for (size_t i = 0; i < a->n || i < b->n; i++)
        if (i >= a->n || i >= b->n || !dal_record_equal(m, (char *)a->v + i * m->size, (char *)b->v + i * m->size))
            fail_lists(m, a, b, what, i);
    dal_record_list_free(m, a);
    dal_record_list_free(m, b);
}

static void same_tables(pair *p, const char *after)
{
    for (int i = 0; i < 3; i++) {
        dal_list a = {0, NULL}, b = {0, NULL};
        OK(dal_list_all(p->mem, models[i], &a, err));
        OK(dal_list_all(p->sql, models[i], &b, err));
        char what[128];
        snprintf(what, sizeof what, "table %s after %s", models[i]->table, after);
        same_lists(models[i], &a, &b, what);
    }
}

static void same_select(pair *p, const dal_query *q, const dal_value *args)
{
    dal_list a = {0, NULL}, b = {0, NULL};
    OK(dal_query_many(p->mem, q, args, &a, err));
    OK(dal_query_many(p->sql, q, args, &b, err));
    same_lists(q->model, &a, &b, q->name);
}

static void same_aggregate(pair *p, const dal_query *q, const dal_value *args)
{
    dal_list a = {0, NULL}, b = {0, NULL};
    OK(dal_aggregate(p->mem, q, args, &a, err));
    OK(dal_aggregate(p->sql, q, args, &b, err));
    same_lists(q->row, &a, &b, q->name);
}

/* Runs a write on both; the codes must agree (messages may differ). */
#define BOTH(call_mem, call_sql, what)                                                                            \
    do {                                                                                                          \
        dal_error ea = {0}, eb = {0};                                                                             \
        dal_code ra = (call_mem), rb = (call_sql);                                                                \
        if (ra != rb)                                                                                             \
            fail_msg("%s: memory %s (%s), sqlite %s (%s)", what, dal_code_name(ra), ea.message,                  \
                     dal_code_name(rb), eb.message);                                                             \
    } while (0)

static void owner_id(char out[DAL_UUID_SIZE], unsigned n)
{
    uuid_n(out, 100000000u + n);
}

static void populate(pair *p)
{
    for (unsigned o = 1; o <= N_OWNERS; o++) {
        char name[16];
        snprintf(name, sizeof name, "owner%u", o);
        insert_owner(p->mem, o, name);
        insert_owner(p->sql, o, name);
    }
    for (unsigned i = 1; i <= N_TASKS; i++) {
        m_task t, u;
        rand_task(&t, i);
        memset(&u, 0, sizeof u);
        OK(dal_record_copy(&m_task_model, &u, &t, err));
        OK(dal_insert(p->mem, &m_task_model, &t, err));
        OK(dal_insert(p->sql, &m_task_model, &u, err));
        assert_int_equal(t.seq, u.seq);
        dal_record_clear(&m_task_model, &t);
        dal_record_clear(&m_task_model, &u);
    }
    for (unsigned i = 0; i < 80; i++) {
        m_note n = {{0}, (int32_t)rnd(4), NULL, false, {0}};
        uuid_n(n.task, 1 + rnd(N_TASKS));
        if (rnd(3) == 0) {
            owner_id(n.author, 1 + rnd(N_OWNERS));
            n.has_author = true;
        }
        if (rnd(2))
            n.body = strdup(words[rnd(18)]);
        BOTH(dal_insert(p->mem, &m_note_model, &n, &ea), dal_insert(p->sql, &m_note_model, &n, &eb),
             "insert note");
        free(n.body);
    }
    same_tables(p, "populate");
}

static void random_queries(pair *p, int rounds)
{
    char o1[DAL_UUID_SIZE], o2[DAL_UUID_SIZE];
    for (int r = 0; r < rounds; r++) {
        owner_id(o1, 1 + rnd(N_OWNERS + 1)); /* sometimes an owner that does not exist */
        owner_id(o2, 1 + rnd(N_OWNERS));
        same_select(p, &m_task_open_query, NULL);
        dal_value a1[] = {v_uuid(o1), v_int(DAL_INT, rnd(12))};
        same_select(p, &m_task_by_owner_query, a1);
        dal_value a2[] = {v_int(DAL_TIMESTAMP, (int64_t)rnd(TS_RANGE + 4) - 2)};
        same_select(p, &m_task_since_query, a2);
        int64_t lo = (int64_t)rnd(TS_RANGE) - 2;
        dal_value a3[] = {v_int(DAL_TIMESTAMP, lo), v_int(DAL_TIMESTAMP, lo + rnd(20)), v_int(DAL_INT, rnd(15)),
                          v_int(DAL_INT, rnd(6))};
        same_select(p, &m_task_window_query, a3);
        dal_value a4[] = {v_text(patterns[rnd(17)])};
        same_select(p, &m_task_titled_query, a4);
        same_select(p, &m_task_flagged_or_titled_query, a4);
        dal_value a5[] = {v_uuid(o1), v_uuid(o2), v_int(DAL_INT, rnd(30))};
        same_select(p, &m_task_either_query, a5);
        int sv[3];
        size_t ns = 0;
        for (int s = 0; s < 3; s++)
            if (rnd(2))
                sv[ns++] = s;
        dal_value in;
        memset(&in, 0, sizeof in);
        in.type = DAL_ENUM;
        in.is_list = true;
        in.as.list.n = ns;
        in.as.list.v = sv;
        same_select(p, &m_task_in_status_query, &in);
        dal_value o = rnd(3) == 0 ? v_null(DAL_UUID) : v_uuid(o1);
        same_select(p, &m_task_of_owner_query, &o);
        dal_value x = rnd(4) == 0 ? v_int(DAL_INT, (int64_t)rnd(4)) : v_real(scores[rnd(8)]);
        same_select(p, &m_task_not_above_query, &x);
        same_select(p, &m_task_score_ne_query, &x);
        same_select(p, &m_task_by_prio_query, NULL);
        dal_value since = v_int(DAL_TIMESTAMP, (int64_t)rnd(TS_RANGE));
        same_aggregate(p, &m_task_stats_query, &since);

        m_task a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        bool fa = false, fb = false;
        dal_value s = v_int(DAL_U64, 0);
        s.as.u = rnd(N_TASKS + 20);
        OK(dal_query_one(p->mem, &m_task_one_by_seq_query, &s, &a, &fa, err));
        OK(dal_query_one(p->sql, &m_task_one_by_seq_query, &s, &b, &fb, err));
        if (!g_ignore_seq) {
            assert_int_equal(fa, fb);
            assert_true(!fa || dal_record_equal(&m_task_model, &a, &b));
        }
        dal_record_clear(&m_task_model, &a);
        dal_record_clear(&m_task_model, &b);
    }
}

static void random_writes(pair *p, int rounds, unsigned *next_task)
{
    for (int r = 0; r < rounds; r++) {
        char id[DAL_UUID_SIZE], what[64];
        unsigned kind = rnd(8);
        snprintf(what, sizeof what, "write %d kind %u", r, kind);
        if (kind <= 2) { /* update, upsert or insert of a task (maybe a new one) */
            m_task t, u;
            unsigned n = rnd(4) == 0 ? (*next_task)++ : 1 + rnd(*next_task - 1);
            rand_task(&t, n);
            memset(&u, 0, sizeof u);
            OK(dal_record_copy(&m_task_model, &u, &t, err));
            if (kind == 0)
                BOTH(dal_update(p->mem, &m_task_model, &t, &ea), dal_update(p->sql, &m_task_model, &u, &eb), what);
            else if (kind == 1)
                BOTH(dal_upsert(p->mem, &m_task_model, &t, &ea), dal_upsert(p->sql, &m_task_model, &u, &eb), what);
            else
                BOTH(dal_insert(p->mem, &m_task_model, &t, &ea), dal_insert(p->sql, &m_task_model, &u, &eb), what);
            if (g_ignore_seq)
                t.seq = u.seq = 0;
            assert_true(dal_record_equal(&m_task_model, &t, &u)); /* written back alike */
            dal_record_clear(&m_task_model, &t);
            dal_record_clear(&m_task_model, &u);
        } else if (kind == 3) { /* delete a task: its notes cascade */
            uuid_n(id, 1 + rnd(*next_task));
            dal_value k = v_uuid(id);
            bool da = false, db = false;
            BOTH(dal_delete(p->mem, &m_task_model, &k, &da, &ea), dal_delete(p->sql, &m_task_model, &k, &db, &eb),
                 what);
            assert_int_equal(da, db);
        } else if (kind == 4) { /* delete an owner: set null, or restricted by notes */
            owner_id(id, 1 + rnd(N_OWNERS));
            dal_value k = v_uuid(id);
            bool da = false, db = false;
            BOTH(dal_delete(p->mem, &m_owner_model, &k, &da, &ea), dal_delete(p->sql, &m_owner_model, &k, &db, &eb),
                 what);
            assert_int_equal(da, db);
            if (da && rnd(2)) { /* bring it back */
                char name[16];
                snprintf(name, sizeof name, "back%d", r);
                m_owner o;
                owner_make(&o, (unsigned)(strtoul(id + 24, NULL, 10) - 100000000u), name);
                BOTH(dal_insert(p->mem, &m_owner_model, &o, &ea), dal_insert(p->sql, &m_owner_model, &o, &eb), what);
                dal_record_clear(&m_owner_model, &o);
            }
        } else if (kind == 5) { /* reassign (IS semantics on both sides) */
            char from[DAL_UUID_SIZE], to[DAL_UUID_SIZE];
            owner_id(from, 1 + rnd(N_OWNERS));
            owner_id(to, 1 + rnd(N_OWNERS + 1));
            dal_value a[] = {rnd(3) == 0 ? v_null(DAL_UUID) : v_uuid(from), rnd(4) == 0 ? v_null(DAL_UUID) : v_uuid(to)};
            int64_t ca = -1, cb = -2;
            BOTH(dal_exec(p->mem, &m_task_reassign_query, a, &ca, &ea), dal_exec(p->sql, &m_task_reassign_query, a, &cb, &eb), what);
            if (ca >= 0 || cb >= 0)
                assert_int_equal(ca, cb);
        } else if (kind == 6) { /* delete by query */
            dal_value ts = v_int(DAL_TIMESTAMP, (int64_t)rnd(4));
            int64_t ca = -1, cb = -2;
            BOTH(dal_exec(p->mem, &m_task_older_query, &ts, &ca, &ea), dal_exec(p->sql, &m_task_older_query, &ts, &cb, &eb), what);
            assert_int_equal(ca, cb);
        } else { /* a note, maybe a dangling one */
            m_note n = {{0}, (int32_t)rnd(4), NULL, false, {0}};
            uuid_n(n.task, 1 + rnd(*next_task));
            if (rnd(2)) {
                owner_id(n.author, 1 + rnd(N_OWNERS + 1));
                n.has_author = true;
            }
            BOTH(dal_insert(p->mem, &m_note_model, &n, &ea), dal_insert(p->sql, &m_note_model, &n, &eb), what);
        }
        same_tables(p, what);
    }
}

static void test_differential(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        rng = 0x9e3779b97f4a7c15ULL * seed;
        pair p = {open_db("memory:"), open_db("sqlite::memory:")};
        populate(&p);
        random_queries(&p, 60);
        unsigned next_task = N_TASKS + 1;
        random_writes(&p, 150, &next_task);
        random_queries(&p, 40);
        check_store(p.mem);
        dal_close(p.mem);
        dal_close(p.sql);
    }
}

/* The same inside transactions: a rolled-back one leaves both as they were. */
static void test_differential_transactions(void **state)
{
    (void)state;
    rng = 12345;
    g_ignore_seq = false;
    pair p = {open_db("memory:"), open_db("sqlite::memory:")};
    populate(&p);
    unsigned next_task = N_TASKS + 1;
    for (int round = 0; round < 6; round++) {
        dal_error err = {0};
        dal_tx *ta = dal_begin(p.mem, &err), *tb = dal_begin(p.sql, &err);
        assert_non_null(ta);
        assert_non_null(tb);
        pair in = {dal_tx_db(ta), dal_tx_db(tb)};
        random_writes(&in, 25, &next_task);
        random_queries(&in, 3);
        if (round % 2) {
            OK(dal_commit(ta, err));
            OK(dal_commit(tb, err));
        } else {
            OK(dal_rollback(ta, err));
            OK(dal_rollback(tb, err));
            g_ignore_seq = true;
        }
        dal_tx_free(ta);
        dal_tx_free(tb);
        same_tables(&p, round % 2 ? "commit" : "rollback");
        check_store(p.mem);
    }
    random_queries(&p, 10);
    g_ignore_seq = false;
    dal_close(p.mem);
    dal_close(p.sql);
}

/* An optional real set to NaN or an infinity: SQLite used to store it as
 * absent (NaN) and memory kept it. Both refuse it now, naming the field, and
 * leave the row (and the table) as they were. */
static void test_optional_real_not_finite(void **state)
{
    (void)state;
    const double bad[] = {NAN, INFINITY, -INFINITY};
    pair p = {open_db("memory:"), open_db("sqlite::memory:")};
    populate(&p);
    dal_db *dbs[2] = {p.mem, p.sql};
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < 3; i++) {
            m_task t;
            rand_task(&t, 900 + (unsigned)i);
            t.has_score = true;
            t.score = bad[i];
            dal_error e = {0};
            assert_int_equal(dal_insert(dbs[b], &m_task_model, &t, &e), DAL_ERR_INVALID);
            assert_non_null(strstr(e.message, "Task.score"));
            assert_true(t.has_score);
            assert_true(isnan(t.score) == isnan(bad[i]));
            assert_int_equal(dal_upsert(dbs[b], &m_task_model, &t, &e), DAL_ERR_INVALID);
            dal_record_clear(&m_task_model, &t);
        }
    }
    same_tables(&p, "refused non-finite scores");
    dal_close(p.mem);
    dal_close(p.sql);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_differential_transactions),
        cmocka_unit_test(test_optional_real_not_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
