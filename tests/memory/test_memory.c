/*
 * test_memory.c - the memory backend through the generic dal API, on the
 * hand-written schema of mem_test_model.h: stores, CRUD, constraints,
 * @sequence, ON DELETE, every query shape, transactions (isolation between
 * threads, the same-thread error, rollback restoring rows and indexes,
 * savepoints, rollback on free), maintenance, and how many index entries
 * queries read (counted, not timed).
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "mem_test_util.h"

/* ------------------------------------------------------------------------ */
/* Stores                                                                    */
/* ------------------------------------------------------------------------ */

static void test_named_store_shared(void **state)
{
    (void)state;
    dal_db *a = open_db("memory:shared1");
    dal_db *b = open_db("memory:shared1");
    dal_db *c = open_db("memory:");
    dal_db *d = open_db("memory:");
    insert_owner(a, 1, "ann");
    int64_t n = -1;
    OK(dal_count(b, &m_owner_model, &n, err));
    assert_int_equal(n, 1);
    OK(dal_count(c, &m_owner_model, &n, err));
    assert_int_equal(n, 0);
    insert_owner(c, 2, "bob");
    OK(dal_count(d, &m_owner_model, &n, err));
    assert_int_equal(n, 0); /* two private stores */
    dal_close(a);
    OK(dal_count(b, &m_owner_model, &n, err));
    assert_int_equal(n, 1); /* still open through b */
    dal_close(b);
    dal_db *e = open_db("memory:shared1?max_connections=4");
    OK(dal_count(e, &m_owner_model, &n, err));
    assert_int_equal(n, 0); /* the last close freed it */
    dal_close(e);
    dal_close(c);
    dal_close(d);
}

static void test_named_store_other_schema(void **state)
{
    (void)state;
    static const dal_model *const one[] = {&m_owner_model};
    static const dal_schema other = {"other", "1", 0, NULL, 1, one, 0, NULL};
    dal_db *a = open_db("memory:shared2");
    dal_error err = {0};
    assert_null(dal_open(&other, "memory:shared2", NULL, &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
    assert_has(err.message, "shared2");
    dal_close(a);
}

/* ------------------------------------------------------------------------ */
/* Per-model operations and constraints                                      */
/* ------------------------------------------------------------------------ */

static void test_crud(void **state)
{
    (void)state;
    char msg[DAL_ERROR_MESSAGE_SIZE];
    dal_db *db = open_db("memory:");
    insert_owner(db, 1, "ann");
    m_task t;
    task_make(&t, 5, M_STATUS_TODO, M_PRIO_HIGH, 1, 1000);
    t.payload = cJSON_Parse("{\"k\":[1,2]}");
    assert_true(dal_text_list_push(&t.tags, "x"));
    t.has_score = true;
    t.score = 2.5;
    OK(dal_insert(db, &m_task_model, &t, err));
    assert_int_equal(t.seq, 1);

    m_task got;
    memset(&got, 0, sizeof got);
    bool found = false;
    dal_value key = v_uuid(t.id);
    OK(dal_get(db, &m_task_model, &key, &got, &found, err));
    assert_true(found);
    assert_true(dal_record_equal(&m_task_model, &t, &got));
    assert_ptr_not_equal(got.payload, t.payload); /* a copy */

    /* update: the stored row changes, seq keeps its stored value */
    free(t.title);
    t.title = strdup("renamed");
    t.seq = 99;
    OK(dal_update(db, &m_task_model, &t, err));
    assert_int_equal(t.seq, 1);
    OK(dal_get(db, &m_task_model, &key, &got, &found, err));
    assert_string_equal(got.title, "renamed");
    assert_int_equal(got.seq, 1);

    /* update of a missing row names table and key */
    m_task missing;
    task_make(&missing, 6, M_STATUS_TODO, M_PRIO_LOW, 0, 1);
    EXPECT(DAL_ERR_NOT_FOUND, msg, dal_update(db, &m_task_model, &missing, err));
    assert_has(msg, "tasks");
    assert_has(msg, "00000000-0000-7000-8000-000000000006");

    /* get of a missing row: found false, out unchanged */
    dal_value key6 = v_uuid(missing.id);
    OK(dal_get(db, &m_task_model, &key6, &got, &found, err));
    assert_false(found);
    assert_string_equal(got.title, "renamed");

    /* upsert inserts, then replaces */
    OK(dal_upsert(db, &m_task_model, &missing, err));
    assert_int_equal(missing.seq, 2);
    free(missing.title);
    missing.title = strdup("six");
    OK(dal_upsert(db, &m_task_model, &missing, err));
    assert_int_equal(missing.seq, 2);
    int64_t n = 0;
    OK(dal_count(db, &m_task_model, &n, err));
    assert_int_equal(n, 2);

    /* list in primary-key order */
    dal_list all = {0, NULL};
    OK(dal_list_all(db, &m_task_model, &all, err));
    unsigned want[] = {5, 6};
    assert_ids(&all, want, 2);
    assert_string_equal(((m_task *)all.v)[1].title, "six");

    /* delete is idempotent */
    bool deleted = false;
    OK(dal_delete(db, &m_task_model, &key6, &deleted, err));
    assert_true(deleted);
    OK(dal_delete(db, &m_task_model, &key6, &deleted, err));
    assert_false(deleted);
    OK(dal_count(db, &m_task_model, &n, err));
    assert_int_equal(n, 1);
    check_store(db);

    dal_record_list_free(&m_task_model, &all);
    dal_record_clear(&m_task_model, &got);
    dal_record_clear(&m_task_model, &missing);
    dal_record_clear(&m_task_model, &t);
    dal_close(db);
}

static void test_constraints(void **state)
{
    (void)state;
    char msg[DAL_ERROR_MESSAGE_SIZE];
    dal_db *db = open_db("memory:");
    insert_owner(db, 1, "ann");
    m_owner o;
    owner_make(&o, 1, "other");
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_insert(db, &m_owner_model, &o, err));
    assert_has(msg, "owners.id");
    dal_record_clear(&m_owner_model, &o);
    owner_make(&o, 2, "ann");
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_insert(db, &m_owner_model, &o, err));
    assert_has(msg, "owners.name");
    dal_record_clear(&m_owner_model, &o);

    /* foreign key on insert and on update */
    m_task t;
    task_make(&t, 1, M_STATUS_TODO, M_PRIO_LOW, 7, 10);
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_insert(db, &m_task_model, &t, err));
    assert_has(msg, "tasks.owner_id");
    assert_has(msg, "owners");
    assert_int_equal(t.seq, 0); /* the caller's struct is as it was */
    uuid_n(t.owner, 100000001);
    t.has_owner = true;
    OK(dal_insert(db, &m_task_model, &t, err));
    assert_int_equal(t.seq, 1);
    uuid_n(t.owner, 100000009);
    t.has_owner = true;
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_update(db, &m_task_model, &t, err));
    assert_has(msg, "tasks.owner_id");
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_upsert(db, &m_task_model, &t, err));

    /* a duplicate is never an overwrite */
    uuid_n(t.owner, 100000001);
    t.has_owner = true;
    free(t.title);
    t.title = strdup("dup");
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_insert(db, &m_task_model, &t, err));
    assert_has(msg, "tasks.id");
    m_task got;
    memset(&got, 0, sizeof got);
    bool found;
    dal_value key = v_uuid(t.id);
    OK(dal_get(db, &m_task_model, &key, &got, &found, err));
    assert_string_equal(got.title, "task 1");

    /* insert_many is all or none, and gives back its sequence values */
    m_task many[3];
    task_make(&many[0], 2, M_STATUS_TODO, M_PRIO_LOW, 0, 20);
    task_make(&many[1], 3, M_STATUS_TODO, M_PRIO_LOW, 0, 30);
    task_make(&many[2], 1, M_STATUS_TODO, M_PRIO_LOW, 0, 40); /* duplicate id */
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_insert_many(db, &m_task_model, many, 3, err));
    assert_has(msg, "row 3 of 3");
    int64_t n;
    OK(dal_count(db, &m_task_model, &n, err));
    assert_int_equal(n, 1);
    assert_int_equal(many[0].seq, 0);
    uuid_n(many[2].id, 4);
    OK(dal_insert_many(db, &m_task_model, many, 3, err));
    assert_int_equal(many[0].seq, 2);
    assert_int_equal(many[2].seq, 4);
    check_store(db);

    /* composite key */
    m_note note = {{0}, 1, NULL, false, {0}};
    uuid_n(note.task, 2);
    OK(dal_insert(db, &m_note_model, &note, err));
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_insert(db, &m_note_model, &note, err));
    assert_has(msg, "notes.task_id, notes.n");
    note.n = 2;
    OK(dal_insert(db, &m_note_model, &note, err));
    dal_value nkey[2] = {v_uuid(note.task), v_int(DAL_I32, 2)};
    m_note gn;
    memset(&gn, 0, sizeof gn);
    OK(dal_get(db, &m_note_model, nkey, &gn, &found, err));
    assert_true(found);
    assert_int_equal(gn.n, 2);

    for (int i = 0; i < 3; i++)
        dal_record_clear(&m_task_model, &many[i]);
    dal_record_clear(&m_task_model, &got);
    dal_record_clear(&m_task_model, &t);
    dal_close(db);
}

static void test_sequence_never_reused(void **state)
{
    (void)state;
    dal_db *db = open_db("memory:");
    insert_task(db, 1, M_STATUS_TODO, M_PRIO_LOW, 0, 1);
    insert_task(db, 2, M_STATUS_TODO, M_PRIO_LOW, 0, 2);
    char id[DAL_UUID_SIZE];
    uuid_n(id, 2);
    dal_value key = v_uuid(id);
    OK(dal_delete(db, &m_task_model, &key, NULL, err));
    insert_task(db, 3, M_STATUS_TODO, M_PRIO_LOW, 0, 3);
    dal_error err = {0};
    dal_tx *tx = dal_begin(db, &err);
    assert_non_null(tx);
    insert_task(dal_tx_db(tx), 4, M_STATUS_TODO, M_PRIO_LOW, 0, 4);
    OK(dal_rollback(tx, err));
    dal_tx_free(tx);
    insert_task(db, 5, M_STATUS_TODO, M_PRIO_LOW, 0, 5);
    dal_list all = {0, NULL};
    OK(dal_list_all(db, &m_task_model, &all, err));
    assert_int_equal(all.n, 3);
    const m_task *t = all.v;
    assert_int_equal(t[0].seq, 1);
    assert_int_equal(t[1].seq, 3);
    assert_int_equal(t[2].seq, 5);
    dal_record_list_free(&m_task_model, &all);
    dal_close(db);
}

static void test_on_delete(void **state)
{
    (void)state;
    char msg[DAL_ERROR_MESSAGE_SIZE];
    dal_db *db = open_db("memory:");
    insert_owner(db, 1, "ann");
    insert_owner(db, 2, "bob");
    insert_task(db, 1, M_STATUS_TODO, M_PRIO_LOW, 1, 10);
    insert_task(db, 2, M_STATUS_TODO, M_PRIO_LOW, 1, 20);
    insert_task(db, 3, M_STATUS_TODO, M_PRIO_LOW, 2, 30);
    m_note note = {{0}, 1, NULL, false, {0}};
    uuid_n(note.task, 1);
    OK(dal_insert(db, &m_note_model, &note, err));
    note.n = 2;
    uuid_n(note.author, 100000002);
    note.has_author = true;
    OK(dal_insert(db, &m_note_model, &note, err));

    /* restrict: bob wrote a note */
    char bob[DAL_UUID_SIZE], ann[DAL_UUID_SIZE];
    uuid_n(bob, 100000002);
    uuid_n(ann, 100000001);
    dal_value kb = v_uuid(bob), ka = v_uuid(ann);
    bool deleted = true;
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_delete(db, &m_owner_model, &kb, &deleted, err));
    assert_false(deleted);
    assert_has(msg, "notes.author");
    assert_has(msg, "owners");
    check_store(db);

    /* set null: ann's tasks lose their owner */
    OK(dal_delete(db, &m_owner_model, &ka, &deleted, err));
    assert_true(deleted);
    dal_value args[1] = {v_null(DAL_UUID)};
    dal_list l = {0, NULL};
    OK(dal_query_many(db, &m_task_of_owner_query, args, &l, err));
    unsigned want[] = {1, 2};
    assert_ids(&l, want, 2);

    /* cascade: task 1's notes go with it (and then bob is free to go) */
    char t1[DAL_UUID_SIZE];
    uuid_n(t1, 1);
    dal_value k1 = v_uuid(t1);
    OK(dal_delete(db, &m_task_model, &k1, &deleted, err));
    int64_t n;
    OK(dal_count(db, &m_note_model, &n, err));
    assert_int_equal(n, 0);
    OK(dal_delete(db, &m_owner_model, &kb, &deleted, err));
    assert_true(deleted);
    check_store(db);
    dal_record_list_free(&m_task_model, &l);
    dal_close(db);
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */
/* ------------------------------------------------------------------------ */

/* Owners 1..3; tasks 1..12 spread over them, statuses, priorities, times. */
static dal_db *populated(void)
{
    dal_db *db = open_db("memory:");
    insert_owner(db, 1, "ann");
    insert_owner(db, 2, "bob");
    insert_owner(db, 3, "cy");
    static const struct {
        int status, prio;
        unsigned owner;
        int64_t ts;
        const char *title;
        int has_score;
        double score;
        bool flag;
    } rows[] = {
        {M_STATUS_TODO, M_PRIO_LOW, 1, 500, "Alpha", 1, 1.5, false},   /* 1 */
        {M_STATUS_TODO, M_PRIO_HIGH, 1, 300, "beta", 1, 9.0, true},    /* 2 */
        {M_STATUS_DONE, M_PRIO_MID, 2, 300, "gamma", 0, 0, false},     /* 3 */
        {M_STATUS_DOING, M_PRIO_HIGH, 0, 100, "delta", 1, 4.0, false}, /* 4 */
        {M_STATUS_TODO, M_PRIO_HIGH, 2, 200, "Älpha", 1, 4.0, false},  /* 5 */
        {M_STATUS_DONE, M_PRIO_LOW, 1, 700, "alphabet", 0, 0, true},   /* 6 */
        {M_STATUS_TODO, M_PRIO_MID, 3, 300, "a_c", 1, 2.0, false},     /* 7 */
        {M_STATUS_DOING, M_PRIO_LOW, 2, 900, "abc", 1, 7.5, false},    /* 8 */
        {M_STATUS_DONE, M_PRIO_HIGH, 2, 800, "x%y", 1, 3.0, false},    /* 9 */
        {M_STATUS_TODO, M_PRIO_MID, 0, 50, "zeta", 0, 0, false},       /* 10 */
        {M_STATUS_TODO, M_PRIO_HIGH, 1, 300, "eta", 1, 5.0, false},    /* 11 */
        {M_STATUS_DONE, M_PRIO_MID, 1, 600, "theta", 1, 6.0, true},    /* 12 */
    };
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        m_task t;
        task_make(&t, i + 1, rows[i].status, rows[i].prio, rows[i].owner, rows[i].ts);
        free(t.title);
        t.title = strdup(rows[i].title);
        t.has_score = rows[i].has_score;
        t.score = rows[i].score;
        t.flag = rows[i].flag;
        OK(dal_insert(db, &m_task_model, &t, err));
        dal_record_clear(&m_task_model, &t);
    }
    return db;
}

static void run(dal_db *db, const dal_query *q, const dal_value *args, const unsigned *want, size_t n)
{
    dal_list l = {0, NULL};
    OK(dal_query_many(db, q, args, &l, err));
    assert_ids(&l, want, n);
    dal_record_list_free(&m_task_model, &l);
}

static void test_query_orders_and_limits(void **state)
{
    (void)state;
    dal_db *db = populated();
    char owner[DAL_UUID_SIZE], owner2[DAL_UUID_SIZE];
    uuid_n(owner, 100000001);
    uuid_n(owner2, 100000002);

    /* todo by prio desc (int enum by value), ts asc, id asc */
    unsigned open[] = {5, 2, 11, 10, 7, 1};
    run(db, &m_task_open_query, NULL, open, 6);

    /* ts desc, id desc, limit */
    dal_value a1[] = {v_uuid(owner), v_int(DAL_INT, 3)};
    unsigned by_owner[] = {6, 12, 1};
    run(db, &m_task_by_owner_query, a1, by_owner, 3);
    a1[1].as.i = 0;
    run(db, &m_task_by_owner_query, a1, NULL, 0);
    a1[1].as.i = 100;
    unsigned by_owner_all[] = {6, 12, 1, 11, 2};
    run(db, &m_task_by_owner_query, a1, by_owner_all, 5);

    /* ts >= 300, asc, ties by id */
    dal_value a2[] = {v_int(DAL_TIMESTAMP, 300)};
    unsigned since[] = {2, 3, 7, 11, 1, 12, 6, 9, 8};
    run(db, &m_task_since_query, a2, since, 9);

    /* 200 < ts <= 700, desc, ties by id asc (not desc), offset 2 limit 4 */
    dal_value a3[] = {v_int(DAL_TIMESTAMP, 200), v_int(DAL_TIMESTAMP, 700), v_int(DAL_INT, 4), v_int(DAL_INT, 2)};
    unsigned window[] = {1, 2, 3, 7};
    run(db, &m_task_window_query, a3, window, 4);
    a3[3].as.i = 20;
    run(db, &m_task_window_query, a3, NULL, 0);

    /* LIKE: ASCII case-insensitive, _ one character (UTF-8 aware), no escape */
    dal_value a4[] = {v_text("al%")};
    unsigned like1[] = {1, 6}; /* "Alpha", "alphabet"; not "Älpha" */
    run(db, &m_task_titled_query, a4, like1, 2);
    a4[0].as.s = "_lpha";
    unsigned like2[] = {1, 5}; /* "Alpha" < "Älpha" bytewise */
    run(db, &m_task_titled_query, a4, like2, 2);
    a4[0].as.s = "a_c";
    unsigned like3[] = {7, 8};
    run(db, &m_task_titled_query, a4, like3, 2);
    a4[0].as.s = "%\\%%";
    run(db, &m_task_titled_query, a4, NULL, 0);
    a4[0].as.s = "x%y";
    unsigned like4[] = {9};
    run(db, &m_task_titled_query, a4, like4, 1);
    a4[0].as.s = "%ETA";
    unsigned like5[] = {2, 11, 12, 10}; /* beta, eta, theta, zeta */
    run(db, &m_task_titled_query, a4, like5, 4);

    /* a top-level OR, each branch on its index, merged in order */
    dal_value a5[] = {v_uuid(owner), v_uuid(owner2), v_int(DAL_INT, 10)};
    unsigned either[] = {9, 1, 2, 3, 11}; /* ann's todo + bob's done by ts desc, id asc */
    run(db, &m_task_either_query, a5, either, 5);
    a5[2].as.i = 2;
    unsigned either2[] = {9, 1};
    run(db, &m_task_either_query, a5, either2, 2);
    dal_close(db);
}

static void test_query_null_semantics(void **state)
{
    (void)state;
    dal_db *db = populated();
    /* IN over an enum list, ordered by the text enum's member NAME */
    int sv[] = {M_STATUS_TODO, M_STATUS_DOING};
    dal_value in;
    memset(&in, 0, sizeof in);
    in.type = DAL_ENUM;
    in.is_list = true;
    in.as.list.n = 2;
    in.as.list.v = sv;
    unsigned doing_todo[] = {4, 8, 1, 2, 5, 7, 10, 11}; /* "doing" < "todo" */
    run(db, &m_task_in_status_query, &in, doing_todo, 8);
    in.as.list.n = 0;
    run(db, &m_task_in_status_query, &in, NULL, 0);

    /* = against an optional parameter is IS: null matches the null owners */
    dal_value o = v_null(DAL_UUID);
    unsigned no_owner[] = {4, 10};
    run(db, &m_task_of_owner_query, &o, no_owner, 2);
    char owner3[DAL_UUID_SIZE];
    uuid_n(owner3, 100000003);
    o = v_uuid(owner3);
    unsigned of3[] = {7};
    run(db, &m_task_of_owner_query, &o, of3, 1);
    o = v_uuid(""); /* an unset uuid is null too */
    run(db, &m_task_of_owner_query, &o, no_owner, 2);

    /* NOT of unknown is unknown: null scores are in neither */
    dal_value x = v_real(4.0);
    unsigned not_above[] = {1, 4, 5, 7, 9};
    run(db, &m_task_not_above_query, &x, not_above, 5);
    unsigned ne[] = {1, 2, 7, 8, 9, 11, 12};
    run(db, &m_task_score_ne_query, &x, ne, 7);
    x = v_int(DAL_INT, 4); /* an integer against a real field */
    run(db, &m_task_score_ne_query, &x, ne, 7);

    /* no where: prio asc (by value), then status desc (by name), then id */
    unsigned by_prio[] = {1, 6, 8, 7, 10, 3, 12, 2, 5, 11, 9, 4};
    run(db, &m_task_by_prio_query, NULL, by_prio, 12);

    /* OR with an unindexable branch: one scan; nulls last in desc */
    dal_value p = v_text("%ta");
    unsigned fot[] = {2, 12, 11, 4, 6, 10}; /* flagged or ends in "ta" */
    run(db, &m_task_flagged_or_titled_query, &p, fot, 6);

    /* -> one */
    m_task t;
    memset(&t, 0, sizeof t);
    bool found = false;
    dal_value s = v_int(DAL_U64, 7);
    s.as.u = 7;
    OK(dal_query_one(db, &m_task_one_by_seq_query, &s, &t, &found, err));
    assert_true(found);
    assert_string_equal(t.title, "a_c");
    s.as.u = 70;
    OK(dal_query_one(db, &m_task_one_by_seq_query, &s, &t, &found, err));
    assert_false(found);
    dal_record_clear(&m_task_model, &t);
    dal_close(db);
}

static void test_exec_and_aggregate(void **state)
{
    (void)state;
    dal_db *db = populated();
    char id[DAL_UUID_SIZE];
    uuid_n(id, 1);
    dal_value a[] = {v_uuid(id)};
    int64_t changed = -1;
    OK(dal_exec(db, &m_task_finish_query, a, &changed, err));
    assert_int_equal(changed, 1);
    OK(dal_exec(db, &m_task_finish_query, a, &changed, err));
    assert_int_equal(changed, 0);
    m_task t;
    memset(&t, 0, sizeof t);
    bool found;
    OK(dal_get(db, &m_task_model, a, &t, &found, err));
    assert_int_equal(t.status, M_STATUS_DONE);
    assert_true(t.ts > 1000000000000000LL); /* now() */

    /* reassign null owners to owner 3, then owner 3's to null */
    char o3[DAL_UUID_SIZE];
    uuid_n(o3, 100000003);
    dal_value r[] = {v_null(DAL_UUID), v_uuid(o3)};
    OK(dal_exec(db, &m_task_reassign_query, r, &changed, err));
    assert_int_equal(changed, 2);
    dal_value r2[] = {v_uuid(o3), v_null(DAL_UUID)};
    OK(dal_exec(db, &m_task_reassign_query, r2, &changed, err));
    assert_int_equal(changed, 3);
    /* a set that breaks a foreign key fails as a whole */
    char ghost[DAL_UUID_SIZE];
    uuid_n(ghost, 100000077);
    char msg[DAL_ERROR_MESSAGE_SIZE];
    dal_value r3[] = {v_null(DAL_UUID), v_uuid(ghost)};
    EXPECT(DAL_ERR_CONSTRAINT, msg, dal_exec(db, &m_task_reassign_query, r3, &changed, err));
    assert_has(msg, "tasks.owner_id");
    dal_value o = v_null(DAL_UUID);
    unsigned no_owner[] = {4, 7, 10};
    run(db, &m_task_of_owner_query, &o, no_owner, 3);
    check_store(db);

    /* aggregate: per status, ordered by count desc then status (by name) */
    dal_value since = v_int(DAL_TIMESTAMP, 100);
    dal_list l = {0, NULL};
    OK(dal_aggregate(db, &m_task_stats_query, &since, &l, err));
    assert_int_equal(l.n, 3);
    const m_task_stats_row *s = l.v;
    /* done: 1(now),3,6,9,12  todo: 2,5,7,11  doing: 4,8 (10 is before 100) */
    assert_int_equal(s[0].status, M_STATUS_DONE);
    assert_int_equal(s[0].n, 5);
    assert_true(s[0].has_avg_score);
    assert_true(s[0].avg_score == (1.5 + 3.0 + 6.0) / 3);
    assert_int_equal(s[0].first, 300);
    assert_string_equal(s[0].top, "x%y");
    assert_int_equal(s[0].total, 1 + 3 + 6 + 9 + 12);
    assert_int_equal(s[1].status, M_STATUS_TODO);
    assert_int_equal(s[1].n, 4);
    assert_true(s[1].avg_score == (9.0 + 4.0 + 2.0 + 5.0) / 4);
    assert_string_equal(s[1].top, "Älpha");
    assert_int_equal(s[2].status, M_STATUS_DOING);
    assert_int_equal(s[2].n, 2);
    assert_int_equal(s[2].first, 100);
    dal_record_list_free(&m_task_stats_row_model, &l);

    /* delete by query */
    dal_value before = v_int(DAL_TIMESTAMP, 300);
    OK(dal_exec(db, &m_task_older_query, &before, &changed, err));
    assert_int_equal(changed, 3); /* 4, 5, 10 */
    int64_t n;
    OK(dal_count(db, &m_task_model, &n, err));
    assert_int_equal(n, 9);
    dal_value far = v_int(DAL_TIMESTAMP, 0);
    OK(dal_aggregate(db, &m_task_stats_query, &far, &l, err));
    assert_int_equal(l.n, 3);
    dal_record_list_free(&m_task_stats_row_model, &l);
    check_store(db);
    dal_record_clear(&m_task_model, &t);
    dal_close(db);
}

/* ------------------------------------------------------------------------ */
/* Entries read (counted, not timed)                                        */
/* ------------------------------------------------------------------------ */

/* n tasks: the first `todo` are todo, the rest done; owners 1..4 round robin;
 * time i. */
static dal_db *big(unsigned n, unsigned todo)
{
    dal_db *db = open_db("memory:");
    for (unsigned o = 1; o <= 4; o++) {
        char name[16];
        snprintf(name, sizeof name, "o%u", o);
        insert_owner(db, o, name);
    }
    enum { BATCH = 1000 };
    m_task *batch = calloc(BATCH, sizeof *batch);
    assert_non_null(batch);
    for (unsigned i = 0; i < n;) {
        size_t k = 0;
        for (; k < BATCH && i < n; k++, i++)
            task_make(&batch[k], i + 1, i < todo ? M_STATUS_TODO : M_STATUS_DONE, (int)(i % 3), 1 + i % 4, (int64_t)i);
        OK(dal_insert_many(db, &m_task_model, batch, k, err));
        for (size_t j = 0; j < k; j++)
            dal_record_clear(&m_task_model, &batch[j]);
    }
    free(batch);
    return db;
}

static struct dal_memory_stats measure(dal_db *db, const dal_query *q, const dal_value *args, size_t want_rows)
{
    dal_list l = {0, NULL};
    dal_memory_stats_reset(db);
    OK(dal_query_many(db, q, args, &l, err));
    assert_int_equal(l.n, want_rows);
    dal_record_list_free(&m_task_model, &l);
    return stats_of(db);
}

static void test_entries_read(void **state)
{
    (void)state;
    dal_db *small = big(1000, 10), *large = big(100000, 10);
    struct dal_memory_stats s1 = measure(small, &m_task_open_query, NULL, 10);
    struct dal_memory_stats s2 = measure(large, &m_task_open_query, NULL, 10);
    print_message("pending-like query: 1k rows: %llu entries, %llu steps; 100k rows: %llu entries, %llu steps\n",
                  (unsigned long long)s1.entries_read, (unsigned long long)s1.seek_steps,
                  (unsigned long long)s2.entries_read, (unsigned long long)s2.seek_steps);
    assert_int_equal(s1.entries_read, 10);
    assert_int_equal(s2.entries_read, 10);
    /* the planner measures the two indexes that start with status (open's and
     * in_status's) with two descents each, in a balanced tree of 100k */
    assert_int_equal(s2.seeks, 4);
    assert_true(s2.seek_steps <= 4 * 2 * 17 + 8);
    assert_true(s2.seek_steps > s1.seek_steps);
    assert_int_equal(s2.rows, 100004);

    /* by owner, limit 7: reads 7 of owner 1's 25,000 tasks */
    char owner[DAL_UUID_SIZE];
    uuid_n(owner, 100000001);
    dal_value a[] = {v_uuid(owner), v_int(DAL_INT, 7)};
    struct dal_memory_stats s3 = measure(large, &m_task_by_owner_query, a, 7);
    assert_int_equal(s3.entries_read, 7);

    /* since: the last k rows by time */
    dal_value ts = v_int(DAL_TIMESTAMP, 100000 - 25);
    struct dal_memory_stats s4 = measure(large, &m_task_since_query, &ts, 25);
    assert_int_equal(s4.entries_read, 25);
    struct dal_memory_stats s5 = measure(small, &m_task_since_query, &ts, 0);
    assert_int_equal(s5.entries_read, 0);

    /* window with offset: reads offset + limit entries */
    dal_value w[] = {v_int(DAL_TIMESTAMP, 50000), v_int(DAL_TIMESTAMP, 60000), v_int(DAL_INT, 5),
                     v_int(DAL_INT, 3)};
    struct dal_memory_stats s6 = measure(large, &m_task_window_query, w, 5);
    /* offset + limit: dalc derives window's own index (ts desc, id), which
     * gives the order with its ties, so no entry past the limit is read */
    assert_int_equal(s6.entries_read, 8);

    /* OR branches, each on the owner index, limit 4 each */
    char owner2[DAL_UUID_SIZE];
    uuid_n(owner2, 100000002);
    dal_value e[] = {v_uuid(owner), v_uuid(owner2), v_int(DAL_INT, 4)};
    struct dal_memory_stats s7 = measure(large, &m_task_either_query, e, 4);
    /* owner 1's todo rows are 3 of 10 todo rows: the status index (10 entries)
     * beats owner 1's 25,000; owner 2's done rows come newest first */
    assert_true(s7.entries_read <= 10 + 4 + 1);

    /* a point lookup on the primary key reads one row */
    char id[DAL_UUID_SIZE];
    uuid_n(id, 77777);
    dal_value k = v_uuid(id);
    m_task t;
    memset(&t, 0, sizeof t);
    bool found;
    dal_memory_stats_reset(large);
    OK(dal_get(large, &m_task_model, &k, &t, &found, err));
    assert_true(found);
    assert_int_equal(stats_of(large).entries_read, 1);
    int64_t changed;
    dal_memory_stats_reset(large);
    OK(dal_exec(large, &m_task_finish_query, &k, &changed, err));
    assert_int_equal(changed, 0); /* done already */
    assert_int_equal(stats_of(large).entries_read, 1);

    /* a query no index serves reads everything */
    dal_value p = v_text("task 9999_");
    struct dal_memory_stats s8 = measure(large, &m_task_titled_query, &p, 10);
    assert_int_equal(s8.entries_read, 100000);
    dal_record_clear(&m_task_model, &t);
    dal_close(small);
    dal_close(large);
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

typedef struct reader_arg {
    dal_db *db;
    atomic_int done;
    int64_t seen;
    dal_code rc;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    dal_error err = {0};
    a->rc = dal_count(a->db, &m_owner_model, &a->seen, &err);
    atomic_store(&a->done, 1);
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_tx_isolation_threads(void **state)
{
    (void)state;
    dal_db *db = open_db("memory:iso");
    dal_db *other = open_db("memory:iso"); /* another handle on the same store */
    insert_owner(db, 1, "ann");
    dal_error err = {0};
    dal_tx *tx = dal_begin(db, &err);
    assert_non_null(tx);
    insert_owner(dal_tx_db(tx), 2, "bob");
    reader_arg ra = {other, 0, -1, DAL_OK};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader, &ra), 0);
    sleep_ms(50);
    assert_int_equal(atomic_load(&ra.done), 0); /* blocked: never sees uncommitted rows */
    int64_t n;
    OK(dal_count(dal_tx_db(tx), &m_owner_model, &n, err));
    assert_int_equal(n, 2);
    OK(dal_commit(tx, err));
    pthread_join(th, NULL);
    assert_int_equal(ra.rc, DAL_OK);
    assert_int_equal(ra.seen, 2);
    dal_tx_free(tx);

    /* rolled back: the other thread sees the old state */
    tx = dal_begin(db, &err);
    insert_owner(dal_tx_db(tx), 3, "cy");
    ra.done = 0;
    ra.seen = -1;
    assert_int_equal(pthread_create(&th, NULL, reader, &ra), 0);
    sleep_ms(20);
    assert_int_equal(atomic_load(&ra.done), 0);
    dal_tx_free(tx); /* rollback on free */
    pthread_join(th, NULL);
    assert_int_equal(ra.seen, 2);
    dal_close(other);
    dal_close(db);
}

static void test_tx_same_thread_error(void **state)
{
    (void)state;
    char msg[DAL_ERROR_MESSAGE_SIZE];
    dal_db *db = open_db("memory:same");
    dal_db *other = open_db("memory:same");
    dal_error err = {0};
    dal_tx *tx = dal_begin(db, &err);
    assert_non_null(tx);
    int64_t n;
    EXPECT(DAL_ERR_TRANSACTION, msg, dal_count(db, &m_owner_model, &n, err));
    assert_has(msg, "this thread has an open transaction on memory store 'same'; use its handle");
    EXPECT(DAL_ERR_TRANSACTION, msg, dal_count(other, &m_owner_model, &n, err));
    m_owner o;
    owner_make(&o, 1, "ann");
    EXPECT(DAL_ERR_TRANSACTION, msg, dal_insert(other, &m_owner_model, &o, err));
    dal_record_clear(&m_owner_model, &o);
    assert_null(dal_begin(other, &err));
    assert_int_equal(err.code, DAL_ERR_TRANSACTION);
    uint64_t size = 0;
    OK(dal_storage_size(db, &size, err)); /* read-only maintenance is allowed */
    assert_true(size > 0);
    OK(dal_count(dal_tx_db(tx), &m_owner_model, &n, err));
    OK(dal_commit(tx, err));
    dal_tx_free(tx);
    OK(dal_count(db, &m_owner_model, &n, err));
    dal_close(other);
    dal_close(db);
}

/* Everything observable about the store's content, as JSON text. */
static char *snapshot(dal_db *db)
{
    size_t cap = 1 << 16, used = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    buf[0] = '\0';
    const dal_model *models[] = {&m_owner_model, &m_task_model, &m_note_model};
    for (int m = 0; m < 3; m++) {
        dal_list l = {0, NULL};
        OK(dal_list_all(db, models[m], &l, err));
        for (size_t i = 0; i < l.n; i++) {
            char *j = dal_record_to_json(models[m], (char *)l.v + i * models[m]->size);
            assert_non_null(j);
            size_t k = strlen(j);
            while (used + k + 2 > cap)
                buf = realloc(buf, cap *= 2);
            memcpy(buf + used, j, k);
            used += k;
            buf[used++] = '\n';
            buf[used] = '\0';
            free(j);
        }
        dal_record_list_free(models[m], &l);
    }
    /* and what the ordered indexes answer */
    const dal_query *qs[] = {&m_task_open_query, &m_task_by_prio_query, &m_task_since_query};
    dal_value ts = v_int(DAL_TIMESTAMP, 0);
    for (int q = 0; q < 3; q++) {
        dal_list l = {0, NULL};
        OK(dal_query_many(db, qs[q], &ts, &l, err));
        for (size_t i = 0; i < l.n; i++) {
            const m_task *t = (const m_task *)l.v + i;
            while (used + 64 > cap)
                buf = realloc(buf, cap *= 2);
            used += (size_t)snprintf(buf + used, cap - used, "%d:%s ", q, t->id + 24);
        }
        dal_record_list_free(&m_task_model, &l);
    }
    return buf;
}

static void test_tx_rollback_restores_exactly(void **state)
{
    (void)state;
    dal_db *db = populated();
    m_note note = {{0}, 1, NULL, false, {0}};
    uuid_n(note.task, 3);
    OK(dal_insert(db, &m_note_model, &note, err));
    char *before = snapshot(db);
    uint64_t size_before;
    OK(dal_storage_size(db, &size_before, err));

    dal_error err = {0};
    dal_tx *tx = dal_begin(db, &err);
    dal_db *h = dal_tx_db(tx);
    insert_task(h, 50, M_STATUS_TODO, M_PRIO_HIGH, 1, 1);
    insert_owner(h, 9, "zed");
    m_task t;
    task_make(&t, 2, M_STATUS_DONE, M_PRIO_LOW, 3, 5); /* update: moves in every index */
    OK(dal_update(h, &m_task_model, &t, err));
    OK(dal_update(h, &m_task_model, &t, err)); /* twice */
    dal_record_clear(&m_task_model, &t);
    char id[DAL_UUID_SIZE];
    uuid_n(id, 3);
    dal_value k = v_uuid(id);
    OK(dal_delete(h, &m_task_model, &k, NULL, err)); /* cascades to the note */
    uuid_n(id, 100000001);
    k = v_uuid(id);
    OK(dal_delete(h, &m_owner_model, &k, NULL, err)); /* sets owners null */
    uuid_n(id, 7);
    k = v_uuid(id);
    int64_t changed;
    OK(dal_exec(h, &m_task_finish_query, &k, &changed, err));
    dal_value old = v_int(DAL_TIMESTAMP, 400);
    OK(dal_exec(h, &m_task_older_query, &old, &changed, err));
    check_store(db);
    char *during = snapshot(h);
    assert_true(strcmp(before, during) != 0);
    OK(dal_rollback(tx, err));
    dal_tx_free(tx);

    char *after = snapshot(db);
    assert_string_equal(before, after);
    check_store(db);
    uint64_t size_after;
    OK(dal_storage_size(db, &size_after, err));
    assert_int_equal(size_before, size_after);
    free(before);
    free(during);
    free(after);
    dal_close(db);
}

static void test_tx_savepoints(void **state)
{
    (void)state;
    dal_db *db = open_db("memory:");
    dal_error err = {0};
    dal_tx *tx = dal_begin(db, &err);
    insert_owner(dal_tx_db(tx), 1, "a");
    dal_tx *sp = dal_begin(dal_tx_db(tx), &err);
    assert_non_null(sp);
    insert_owner(dal_tx_db(sp), 2, "b");
    OK(dal_rollback(sp, err));
    dal_tx_free(sp);
    insert_owner(dal_tx_db(tx), 3, "c");
    sp = dal_begin(dal_tx_db(tx), &err);
    insert_owner(dal_tx_db(sp), 4, "d");
    dal_tx *sp2 = dal_begin(dal_tx_db(sp), &err);
    insert_owner(dal_tx_db(sp2), 5, "e");
    OK(dal_commit(sp2, err));
    dal_tx_free(sp2);
    OK(dal_commit(sp, err));
    dal_tx_free(sp);
    OK(dal_commit(tx, err));
    dal_tx_free(tx);
    dal_list l = {0, NULL};
    OK(dal_list_all(db, &m_owner_model, &l, err));
    assert_int_equal(l.n, 4);
    const m_owner *o = l.v;
    assert_string_equal(o[0].name, "a");
    assert_string_equal(o[1].name, "c");
    assert_string_equal(o[2].name, "d");
    assert_string_equal(o[3].name, "e");
    dal_record_list_free(&m_owner_model, &l);

    /* an outer rollback undoes a committed savepoint */
    tx = dal_begin(db, &err);
    sp = dal_begin(dal_tx_db(tx), &err);
    insert_owner(dal_tx_db(sp), 6, "f");
    OK(dal_commit(sp, err));
    dal_tx_free(sp);
    /* and a savepoint left open is rolled back with its transaction */
    sp = dal_begin(dal_tx_db(tx), &err);
    insert_owner(dal_tx_db(sp), 7, "g");
    dal_tx_free(tx); /* rolls back tx and sp */
    dal_tx_free(sp);
    int64_t n;
    OK(dal_count(db, &m_owner_model, &n, err));
    assert_int_equal(n, 4);
    check_store(db);

    /* closing the database rolls back what is open */
    tx = dal_begin(db, &err);
    insert_owner(dal_tx_db(tx), 8, "h");
    dal_close(db);
    dal_tx_free(tx);
}

typedef struct claim_arg {
    dal_db *db;
    const char *id;
    int wins;
    atomic_int *go;
} claim_arg;

static void *claimer(void *p)
{
    claim_arg *a = p;
    while (!atomic_load(a->go))
        ;
    dal_value k = v_uuid(a->id);
    int64_t changed = 0;
    dal_error err = {0};
    if (dal_exec(a->db, &m_task_finish_query, &k, &changed, &err) == DAL_OK)
        a->wins = (int)changed;
    return NULL;
}

static void test_concurrent_claims(void **state)
{
    (void)state;
    dal_db *db = open_db("memory:");
    enum { THREADS = 4, TASKS = 50 };
    for (unsigned i = 1; i <= TASKS; i++)
        insert_task(db, i, M_STATUS_TODO, M_PRIO_LOW, 0, i);
    char ids[TASKS][DAL_UUID_SIZE];
    for (unsigned i = 0; i < TASKS; i++) {
        uuid_n(ids[i], i + 1);
        atomic_int go = 0;
        claim_arg args[THREADS];
        pthread_t th[THREADS];
        for (int k = 0; k < THREADS; k++) {
            args[k] = (claim_arg){db, ids[i], 0, &go};
            assert_int_equal(pthread_create(&th[k], NULL, claimer, &args[k]), 0);
        }
        atomic_store(&go, 1);
        int wins = 0;
        for (int k = 0; k < THREADS; k++) {
            pthread_join(th[k], NULL);
            wins += args[k].wins;
        }
        assert_int_equal(wins, 1);
    }
    check_store(db);
    dal_close(db);
}

typedef struct mix_arg {
    dal_db *db;
    int id;
    int failures;
} mix_arg;

/* Writers insert and delete their own tasks, one of them in transactions;
 * readers run indexed queries and counts meanwhile. */
static void *mixer(void *p)
{
    mix_arg *a = p;
    dal_error err = {0};
    for (unsigned i = 0; i < 300; i++) {
        unsigned n = 1000000u * (unsigned)(a->id + 1) + i;
        if (a->id == 0) {
            m_task t;
            task_make(&t, n, M_STATUS_TODO, M_PRIO_LOW, 1, (int64_t)i);
            a->failures += dal_insert(a->db, &m_task_model, &t, &err) != DAL_OK;
            if (i % 3 == 0) {
                dal_value k = v_uuid(t.id);
                a->failures += dal_delete(a->db, &m_task_model, &k, NULL, &err) != DAL_OK;
            }
            dal_record_clear(&m_task_model, &t);
        } else if (a->id == 1) {
            dal_tx *tx = dal_begin(a->db, &err);
            if (tx == NULL) {
                a->failures++;
                continue;
            }
            m_task t;
            task_make(&t, n, M_STATUS_DOING, M_PRIO_HIGH, 1, (int64_t)i);
            a->failures += dal_insert(dal_tx_db(tx), &m_task_model, &t, &err) != DAL_OK;
            a->failures += (i % 2 ? dal_commit(tx, &err) : dal_rollback(tx, &err)) != DAL_OK;
            dal_tx_free(tx);
            dal_record_clear(&m_task_model, &t);
        } else {
            char owner[DAL_UUID_SIZE];
            uuid_n(owner, 100000001);
            dal_value args[] = {v_uuid(owner), v_int(DAL_INT, 5)};
            dal_list l = {0, NULL};
            a->failures += dal_query_many(a->db, &m_task_by_owner_query, args, &l, &err) != DAL_OK;
            dal_record_list_free(&m_task_model, &l);
            a->failures += dal_query_many(a->db, &m_task_open_query, NULL, &l, &err) != DAL_OK;
            dal_record_list_free(&m_task_model, &l);
            int64_t c;
            a->failures += dal_count(a->db, &m_task_model, &c, &err) != DAL_OK;
        }
    }
    return NULL;
}

static void test_concurrent_mix(void **state)
{
    (void)state;
    dal_db *db = open_db("memory:mix");
    dal_db *db2 = open_db("memory:mix");
    insert_owner(db, 1, "ann");
    enum { N = 4 };
    mix_arg args[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        args[i] = (mix_arg){i % 2 ? db2 : db, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, mixer, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    int64_t n;
    OK(dal_count(db, &m_task_model, &n, err));
    assert_int_equal(n, 200 + 150); /* writer: 300 - 100 deleted; tx: 150 committed */
    check_store(db);
    dal_close(db2);
    dal_close(db);
}

/* Readers never see half a transaction: writers insert owners two at a time,
 * each pair in one transaction (committed, or every fourth rolled back),
 * while readers on their own handles count without one; every count is even.
 * This drives the lock's one-atomic reader path against writers that hold it
 * across calls. A transaction begun on one thread is then ended on another.
 * Nothing here depends on how the threads are scheduled: the writers start
 * once every reader has counted once, each reader counts at least once more
 * after that, and an odd count is wrong whenever it is seen. */
typedef struct pair_arg {
    dal_db *db;
    int id;
    atomic_int *stop;
    atomic_int *ready;          /* readers that have counted once */
    int readers;
    long failures, odd, reads;
} pair_arg;

static void *pair_writer(void *p)
{
    pair_arg *a = p;
    dal_error err = {0};
    while (atomic_load(a->ready) < a->readers)
        sched_yield();
    for (unsigned i = 0; i < 400; i++) {
        dal_tx *tx = dal_begin(a->db, &err);
        if (tx == NULL) {
            a->failures++;
            continue;
        }
        for (unsigned k = 0; k < 2; k++) {
            unsigned n = 1000000u * (unsigned)(a->id + 1) + 2 * i + k;
            char name[32];
            snprintf(name, sizeof name, "pair-%u", n);
            m_owner o;
            owner_make(&o, n, name);
            a->failures += dal_insert(dal_tx_db(tx), &m_owner_model, &o, &err) != DAL_OK;
            dal_record_clear(&m_owner_model, &o);
        }
        a->failures += (i % 4 == 3 ? dal_rollback(tx, &err) : dal_commit(tx, &err)) != DAL_OK;
        dal_tx_free(tx);
    }
    return NULL;
}

static void *pair_reader(void *p)
{
    pair_arg *a = p;
    dal_error err = {0};
    bool stopping = false;
    do {
        stopping = atomic_load(a->stop); /* read before the count: one more after stop */
        int64_t n;
        if (dal_count(a->db, &m_owner_model, &n, &err) != DAL_OK)
            a->failures++;
        else if (n % 2 != 0)
            a->odd++;
        if (a->reads++ == 0)
            atomic_fetch_add(a->ready, 1);
    } while (!stopping);
    return NULL;
}

static void *commit_elsewhere(void *p)
{
    dal_error err = {0};
    return dal_commit(p, &err) == DAL_OK ? p : NULL;
}

static void test_readers_never_see_half_a_tx(void **state)
{
    (void)state;
    enum { WRITERS = 2, READERS = 3 };
    atomic_int stop = 0, ready = 0;
    pair_arg args[WRITERS + READERS];
    pthread_t th[WRITERS + READERS];
    for (int i = 0; i < WRITERS + READERS; i++) {
        args[i] = (pair_arg){open_db("memory:pairs"), i, &stop, &ready, READERS, 0, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, i < WRITERS ? pair_writer : pair_reader, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&stop, 1);
    for (int i = WRITERS; i < WRITERS + READERS; i++) {
        pthread_join(th[i], NULL);
        assert_true(args[i].reads >= 2); /* once before the writers, once after */
        assert_int_equal(args[i].odd, 0);
    }
    for (int i = 0; i < WRITERS + READERS; i++)
        assert_int_equal(args[i].failures, 0);
    int64_t n;
    OK(dal_count(args[0].db, &m_owner_model, &n, err));
    assert_int_equal(n, WRITERS * 300 * 2);

    /* begun here, committed by another thread: the lock is free afterwards */
    dal_error e = {0};
    dal_tx *tx = dal_begin(args[0].db, &e);
    assert_non_null(tx);
    insert_owner(dal_tx_db(tx), 7, "seven");
    pthread_t other;
    void *res = NULL;
    assert_int_equal(pthread_create(&other, NULL, commit_elsewhere, tx), 0);
    pthread_join(other, &res);
    assert_ptr_equal(res, tx);
    dal_tx_free(tx);
    OK(dal_count(args[1].db, &m_owner_model, &n, err)); /* would block if still held */
    assert_int_equal(n, WRITERS * 300 * 2 + 1);
    insert_owner(args[0].db, 8, "eight"); /* no longer this thread's transaction */
    for (int i = 0; i < WRITERS + READERS; i++)
        dal_close(args[i].db);
}

/* ------------------------------------------------------------------------ */
/* Maintenance                                                               */
/* ------------------------------------------------------------------------ */

static void test_vacuum_and_size(void **state)
{
    (void)state;
    dal_db *db = big(20000, 100);
    uint64_t full, after_delete, after_vacuum;
    OK(dal_storage_size(db, &full, err));
    assert_true(full > 20000 * sizeof(m_task));
    dal_value ts = v_int(DAL_TIMESTAMP, 19000);
    int64_t changed;
    OK(dal_exec(db, &m_task_older_query, &ts, &changed, err));
    assert_int_equal(changed, 19000);
    OK(dal_storage_size(db, &after_delete, err));
    OK(dal_vacuum(db, err));
    OK(dal_storage_size(db, &after_vacuum, err));
    OK(dal_checkpoint(db, err));
    print_message("storage: %llu bytes full, %llu after deleting 95%%, %llu after vacuum\n",
                  (unsigned long long)full, (unsigned long long)after_delete, (unsigned long long)after_vacuum);
    assert_true(after_delete < full / 2);      /* the rows went; the hash tables keep their size */
    assert_true(after_vacuum < after_delete / 2); /* vacuum shrinks them to fit */
    assert_true(after_vacuum < full / 10);
    int64_t n;
    OK(dal_count(db, &m_task_model, &n, err));
    assert_int_equal(n, 1000);
    check_store(db);
    insert_task(db, 999999, M_STATUS_TODO, M_PRIO_LOW, 0, 1);
    dal_pool_status ps;
    memset(&ps, 0xff, sizeof ps);
    OK(dal_pool_status_get(db, &ps, err));
    assert_int_equal(ps.max, 0);
    assert_int_equal(ps.active, 0);
    dal_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_store_shared),
        cmocka_unit_test(test_named_store_other_schema),
        cmocka_unit_test(test_crud),
        cmocka_unit_test(test_constraints),
        cmocka_unit_test(test_sequence_never_reused),
        cmocka_unit_test(test_on_delete),
        cmocka_unit_test(test_query_orders_and_limits),
        cmocka_unit_test(test_query_null_semantics),
        cmocka_unit_test(test_exec_and_aggregate),
        cmocka_unit_test(test_entries_read),
        cmocka_unit_test(test_tx_isolation_threads),
        cmocka_unit_test(test_tx_same_thread_error),
        cmocka_unit_test(test_tx_rollback_restores_exactly),
        cmocka_unit_test(test_tx_savepoints),
        cmocka_unit_test(test_concurrent_claims),
        cmocka_unit_test(test_concurrent_mix),
        cmocka_unit_test(test_readers_never_see_half_a_tx),
        cmocka_unit_test(test_vacuum_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
