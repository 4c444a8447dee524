/*
 * test_sqlite.c - what only the SQLite backend promises: settings on every
 * pooled connection, the file's mode, the schema record, the pool's limits,
 * strict decoding of stored values, busy retry, memory databases; plus the
 * backend's operations on a hand-written schema (test_model.h) that uses
 * every field type, to show the backend is generic over the descriptors.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "dal_sqlite.h"
#include "test_model.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static char g_dir[256];
static int g_seq;

/* A fresh database path for one test. */
static void db_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/t%d.db", g_dir, ++g_seq);
}

static dal_db *open_path(const char *path, const char *query, dal_error *err)
{
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s%s%s", path, query ? "?" : "", query ? query : "");
    return dal_open(&t_schema, url, NULL, err);
}

static dal_db *open_fresh(char *path, size_t size, const char *query)
{
    dal_error err = {0};
    db_path(path, size);
    dal_db *db = open_path(path, query, &err);
    if (db == NULL)
        fail_msg("open %s: %s", path, err.message);
    return db;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static dal_value uuid_value(const char *s)
{
    dal_value v = {.type = DAL_UUID};
    v.as.s = s;
    return v;
}

static dal_value int_value(int64_t i)
{
    dal_value v = {.type = DAL_INT};
    v.as.i = i;
    return v;
}

static dal_value text_value(const char *s)
{
    dal_value v = {.type = DAL_TEXT};
    v.as.s = s;
    v.is_null = s == NULL;
    return v;
}

/* An item with the schema defaults and the given name and quantity. */
static void item_make(t_item *it, const char *name, int64_t qty)
{
    dal_record_init(&t_item_model, it);
    assert_true(dal_strset(&it->name, name));
    it->qty = qty;
    it->price = 1.5;
    it->color = T_COLOR_RED;
    it->data = cJSON_CreateObject();
}

static void insert_ok(dal_db *db, t_item *it)
{
    dal_error err = {0};
    if (dal_insert(db, &t_item_model, it, &err) != DAL_OK)
        fail_msg("insert %s: %s", it->name, err.message);
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(raw, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(raw);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/dal-sqlite-test-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* Generic operations on the hand-written schema                             */
/* ------------------------------------------------------------------------ */

static void test_roundtrip_every_type(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    t_item a;
    item_make(&a, "caf\xc3\xa9 \xe2\x98\x83 x'); DROP TABLE items; --", -42);
    a.price = -0.125;
    a.flag = true;
    a.ts = -123456789012345; /* before 1970 */
    a.color = T_COLOR_BLUE;
    a.level = T_LEVEL_HIGH;
    cJSON_Delete(a.data);
    const char *json = "{\"n\":9007199254740993,\"s\":\"\\\" OR 1=1 --\",\"a\":[1,null,true]}";
    assert_int_equal(dal_json_parse(json, strlen(json), &a.data, &err), DAL_OK);
    cJSON_AddStringToObject(a.tags, "k", "%_\\");
    assert_true(dal_text_list_push(&a.labels, "one"));
    assert_true(dal_text_list_push(&a.labels, "t\"w\no"));
    assert_true(dal_strset(&a.note, "a note"));
    a.has_due = true;
    a.due = 4102444800000000 + 1; /* after 2100 */
    a.small = -2147483647 - 1;
    a.count = 4294967295u;
    a.levels.v = malloc(2 * sizeof(int));
    a.levels.v[0] = T_LEVEL_HIGH;
    a.levels.v[1] = T_LEVEL_LOW;
    a.levels.n = 2;
    insert_ok(db, &a);
    assert_int_equal(a.seq, 1);

    t_item b = {0};
    bool found = false;
    dal_value key = uuid_value(a.id);
    assert_int_equal(dal_get(db, &t_item_model, &key, &b, &found, &err), DAL_OK);
    assert_true(found);
    assert_true(dal_record_equal(&t_item_model, &a, &b));
    assert_string_equal(b.name, a.name);
    assert_int_equal(b.ts, -123456789012345);
    assert_int_equal(b.due, 4102444800000001);
    assert_int_equal(b.count, 4294967295u);
    assert_int_equal(b.small, INT32_MIN);
    assert_int_equal(b.levels.n, 2);
    assert_int_equal(b.levels.v[0], T_LEVEL_HIGH);
    int64_t big = 0;
    assert_true(dal_json_int64(cJSON_GetObjectItem(b.data, "n"), &big));
    assert_int_equal(big, 9007199254740993);

    /* the optional fields absent come back absent */
    t_item c;
    item_make(&c, "plain", 1);
    insert_ok(db, &c);
    key = uuid_value(c.id);
    assert_int_equal(dal_get(db, &t_item_model, &key, &b, &found, &err), DAL_OK);
    assert_null(b.note);
    assert_false(b.has_due);
    assert_int_equal(b.seq, 2);
    assert_int_equal(b.labels.n, 0);

    /* stored as typed columns, no JSON copy of the row */
    sqlite3 *raw;
    dal_sqlite_conn *conn = dal_sqlite_acquire(db, &raw, &err);
    assert_non_null(conn);
    assert_int_equal(raw_int(raw, "SELECT count(*) FROM pragma_table_info('items')"), 17);
    assert_int_equal(raw_int(raw, "SELECT level FROM items WHERE seq = 1"), 20);
    assert_int_equal(raw_int(raw, "SELECT typeof(color) = 'text' AND color = 'blue' FROM items WHERE seq = 1"), 1);
    assert_int_equal(raw_int(raw, "SELECT count(*) FROM pragma_index_list('items') WHERE name = "
                                  "'items_color_qty_idx'"),
                     1);
    assert_int_equal(raw_int(raw, "SELECT \"desc\" FROM pragma_index_xinfo('items_color_qty_idx') WHERE name = 'qty'"),
                     1);
    dal_sqlite_release(db, conn);

    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &b);
    dal_record_clear(&t_item_model, &c);
    dal_close(db);
}

static void test_sequence_never_reused(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    t_item one[3];
    for (int i = 0; i < 3; i++) {
        item_make(&one[i], "s", i);
        insert_ok(db, &one[i]);
        assert_int_equal(one[i].seq, (uint64_t)i + 1);
    }
    t_item many[3];
    for (int i = 0; i < 3; i++)
        item_make(&many[i], "m", i);
    assert_int_equal(dal_insert_many(db, &t_item_model, many, 3, &err), DAL_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(many[i].seq, (uint64_t)i + 4);
    /* deleting the last does not give its number back */
    dal_value key = uuid_value(many[2].id);
    bool deleted = false;
    assert_int_equal(dal_delete(db, &t_item_model, &key, &deleted, &err), DAL_OK);
    assert_true(deleted);
    t_item next;
    item_make(&next, "n", 0);
    insert_ok(db, &next);
    assert_int_equal(next.seq, 7);
    /* update and upsert of an existing row keep the stored value */
    next.seq = 99;
    next.qty = 5;
    assert_int_equal(dal_update(db, &t_item_model, &next, &err), DAL_OK);
    assert_int_equal(next.seq, 7);
    next.seq = 98;
    assert_int_equal(dal_upsert(db, &t_item_model, &next, &err), DAL_OK);
    assert_int_equal(next.seq, 7);
    /* upsert of a new row takes the next */
    t_item fresh;
    item_make(&fresh, "u", 0);
    assert_int_equal(dal_upsert(db, &t_item_model, &fresh, &err), DAL_OK);
    assert_int_equal(fresh.seq, 8);
    /* a failed insert_many (duplicate in the batch) inserts nothing and
     * leaves the callers' structs as they were */
    t_item bad[2];
    item_make(&bad[0], "b0", 0);
    item_make(&bad[1], "b1", 0);
    memcpy(bad[1].id, bad[0].id, sizeof bad[0].id);
    assert_int_equal(dal_insert_many(db, &t_item_model, bad, 2, &err), DAL_ERR_CONSTRAINT);
    assert_int_equal(bad[0].seq, 0);
    assert_int_equal(bad[1].seq, 0);
    int64_t n = 0;
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(n, 7);
    t_item after;
    item_make(&after, "a", 0);
    insert_ok(db, &after);
    assert_int_equal(after.seq, 9);

    for (int i = 0; i < 3; i++) {
        dal_record_clear(&t_item_model, &one[i]);
        dal_record_clear(&t_item_model, &many[i]);
    }
    dal_record_clear(&t_item_model, &bad[0]);
    dal_record_clear(&t_item_model, &bad[1]);
    dal_record_clear(&t_item_model, &next);
    dal_record_clear(&t_item_model, &fresh);
    dal_record_clear(&t_item_model, &after);
    dal_close(db);
}

static void test_errors_name_table_and_column(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    t_item a;
    item_make(&a, "a", 1);
    insert_ok(db, &a);

    /* duplicate primary key */
    t_item dup;
    item_make(&dup, "dup", 1);
    memcpy(dup.id, a.id, sizeof a.id);
    assert_int_equal(dal_insert(db, &t_item_model, &dup, &err), DAL_ERR_CONSTRAINT);
    assert_contains(err.message, "items.id");
    assert_contains(err.message, a.id);

    /* update of a missing row */
    t_item ghost;
    item_make(&ghost, "ghost", 1);
    assert_int_equal(dal_update(db, &t_item_model, &ghost, &err), DAL_ERR_NOT_FOUND);
    assert_contains(err.message, "items");
    assert_contains(err.message, ghost.id);

    /* get of a missing row: not an error, out unchanged */
    t_item out;
    item_make(&out, "keep", 7);
    bool found = true;
    dal_value key = uuid_value(ghost.id);
    assert_int_equal(dal_get(db, &t_item_model, &key, &out, &found, &err), DAL_OK);
    assert_false(found);
    assert_string_equal(out.name, "keep");

    /* foreign key that points nowhere */
    t_child ch = {.id = 1};
    memcpy(ch.item_id, ghost.id, sizeof ghost.id);
    assert_int_equal(dal_insert(db, &t_child_model, &ch, &err), DAL_ERR_CONSTRAINT);
    assert_contains(err.message, "children.item_id");
    assert_contains(err.message, "items.id");
    assert_contains(err.message, ghost.id);

    /* composite key duplicate; restrict on delete names the referencing column */
    t_pin p = {.slot = 3};
    memcpy(p.item_id, a.id, sizeof a.id);
    assert_int_equal(dal_insert(db, &t_pin_model, &p, &err), DAL_OK);
    assert_int_equal(dal_insert(db, &t_pin_model, &p, &err), DAL_ERR_CONSTRAINT);
    assert_contains(err.message, "pins.item_id, pins.slot");
    key = uuid_value(a.id);
    bool deleted = true;
    assert_int_equal(dal_delete(db, &t_item_model, &key, &deleted, &err), DAL_ERR_CONSTRAINT);
    assert_contains(err.message, "pins.item_id");
    /* composite key get */
    dal_value pk[2] = {uuid_value(a.id), {.type = DAL_I32, .as.i = 3}};
    t_pin got = {0};
    assert_int_equal(dal_get(db, &t_pin_model, pk, &got, &found, &err), DAL_OK);
    assert_true(found);
    assert_int_equal(got.slot, 3);

    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &dup);
    dal_record_clear(&t_item_model, &ghost);
    dal_record_clear(&t_item_model, &out);
    dal_close(db);
}

static void test_on_delete(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    t_item a, b;
    item_make(&a, "a", 1);
    item_make(&b, "b", 1);
    insert_ok(db, &a);
    insert_ok(db, &b);
    t_child ch[2] = {{.id = 1}, {.id = 2}};
    memcpy(ch[0].item_id, a.id, sizeof a.id);
    memcpy(ch[1].item_id, b.id, sizeof b.id);
    assert_int_equal(dal_insert_many(db, &t_child_model, ch, 2, &err), DAL_OK);
    t_pin p = {.slot = 1};
    memcpy(p.item_id, b.id, sizeof b.id);
    memcpy(p.parent, a.id, sizeof a.id);
    assert_int_equal(dal_insert(db, &t_pin_model, &p, &err), DAL_OK);

    dal_value key = uuid_value(a.id);
    bool deleted = false;
    assert_int_equal(dal_delete(db, &t_item_model, &key, &deleted, &err), DAL_OK);
    assert_true(deleted);
    /* idempotent */
    assert_int_equal(dal_delete(db, &t_item_model, &key, &deleted, &err), DAL_OK);
    assert_false(deleted);
    int64_t n = 0;
    assert_int_equal(dal_count(db, &t_child_model, &n, &err), DAL_OK);
    assert_int_equal(n, 1); /* cascade */
    dal_value pk[2] = {uuid_value(b.id), {.type = DAL_I32, .as.i = 1}};
    t_pin got = {0};
    bool found = false;
    assert_int_equal(dal_get(db, &t_pin_model, pk, &got, &found, &err), DAL_OK);
    assert_true(found);
    assert_string_equal(got.parent, ""); /* set null */

    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &b);
    dal_close(db);
}

static void test_queries(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    enum { N = 6 };
    t_item it[N];
    const char *names[N] = {"alpha", "Beta", "gamma", "delta", "al%pha", "zeta"};
    const int64_t qty[N] = {5, 7, 5, 1, 9, 7};
    const int colors[N] = {T_COLOR_RED, T_COLOR_RED, T_COLOR_RED, T_COLOR_GREEN, T_COLOR_BLUE, T_COLOR_GREEN};
    const double price[N] = {1.0, 2.0, 3.0, 4.0, 0.5, 0.25};
    for (int i = 0; i < N; i++) {
        item_make(&it[i], names[i], qty[i]);
        it[i].color = colors[i];
        it[i].price = price[i];
        it[i].ts = 1000 + i;
        it[i].level = i % 2 ? T_LEVEL_HIGH : T_LEVEL_LOW;
        if (i >= 3) {
            it[i].has_due = true;
            it[i].due = 100 - i;
        }
        if (i == 1)
            assert_true(dal_strset(&it[i].note, "n"));
    }
    assert_int_equal(dal_insert_many(db, &t_item_model, it, N, &err), DAL_OK);

    /* order by qty desc, ties by id (uuid7 ids increase in insert order) */
    dal_list out = {0, NULL};
    dal_value color = {.type = DAL_ENUM, .as.i = T_COLOR_RED};
    assert_int_equal(dal_query_many(db, &t_item_by_color_query, &color, &out, &err), DAL_OK);
    assert_int_equal(out.n, 3);
    t_item *r = out.v;
    assert_string_equal(r[0].name, "Beta");
    assert_string_equal(r[1].name, "alpha");
    assert_string_equal(r[2].name, "gamma");

    /* LIKE is ASCII case-insensitive; limit and offset */
    dal_value args[3] = {text_value("%a%"), int_value(2), int_value(1)};
    assert_int_equal(dal_query_many(db, &t_item_page_query, args, &out, &err), DAL_OK);
    assert_int_equal(out.n, 2);
    r = out.v;
    assert_string_equal(r[0].name, "al%pha"); /* BINARY collation: "Beta" < "al%pha" < "alpha" */
    assert_string_equal(r[1].name, "alpha");
    args[0] = text_value("b%");
    args[1] = int_value(10);
    args[2] = int_value(0);
    assert_int_equal(dal_query_many(db, &t_item_page_query, args, &out, &err), DAL_OK);
    assert_int_equal(out.n, 1);
    /* a LIKE pattern is data: "x'; --" matches nothing, breaks nothing */
    args[0] = text_value("x'); DROP TABLE items; --");
    assert_int_equal(dal_query_many(db, &t_item_page_query, args, &out, &err), DAL_OK);
    assert_int_equal(out.n, 0);

    /* IN with a list: one JSON parameter */
    dal_uuid ids[3];
    memcpy(ids[0].s, it[5].id, DAL_UUID_SIZE);
    memcpy(ids[1].s, it[0].id, DAL_UUID_SIZE);
    memcpy(ids[2].s, it[3].id, DAL_UUID_SIZE);
    dal_value list = {.type = DAL_UUID, .is_list = true};
    list.as.list.n = 3;
    list.as.list.v = ids;
    assert_int_equal(dal_query_many(db, &t_item_with_ids_query, &list, &out, &err), DAL_OK);
    assert_int_equal(out.n, 3);
    r = out.v;
    assert_string_equal(r[0].name, "delta");
    assert_string_equal(r[1].name, "alpha");
    assert_string_equal(r[2].name, "zeta");
    list.as.list.n = 0;
    assert_int_equal(dal_query_many(db, &t_item_with_ids_query, &list, &out, &err), DAL_OK);
    assert_int_equal(out.n, 0);

    /* integer-valued enum list */
    int lv[1] = {T_LEVEL_HIGH};
    dal_value levels = {.type = DAL_ENUM, .is_list = true};
    levels.as.list.n = 1;
    levels.as.list.v = lv;
    assert_int_equal(dal_query_many(db, &t_item_levels_in_query, &levels, &out, &err), DAL_OK);
    assert_int_equal(out.n, 2); /* i = 3 (due 97), 5 (due 95) */
    r = out.v;
    assert_string_equal(r[0].name, "delta");
    assert_string_equal(r[1].name, "zeta");

    /* an optional parameter: NULL matches the absent ones */
    dal_value note = text_value(NULL);
    assert_int_equal(dal_query_many(db, &t_item_by_note_query, &note, &out, &err), DAL_OK);
    assert_int_equal(out.n, 5);
    note = text_value("n");
    assert_int_equal(dal_query_many(db, &t_item_by_note_query, &note, &out, &err), DAL_OK);
    assert_int_equal(out.n, 1);

    /* -> one: at most one row */
    t_item one = {0};
    bool found = false;
    dal_value nm = text_value("gamma");
    assert_int_equal(dal_query_one(db, &t_item_first_named_query, &nm, &one, &found, &err), DAL_OK);
    assert_true(found);
    assert_string_equal(one.name, "gamma");

    /* update with now() and a literal; -> one on a missing row is NOT_FOUND */
    dal_value up[2] = {uuid_value(it[3].id), int_value(40)};
    int64_t changed = 0;
    int64_t before = dal_now_us();
    assert_int_equal(dal_exec(db, &t_item_restock_query, up, &changed, &err), DAL_OK);
    assert_int_equal(changed, 1);
    dal_value key = uuid_value(it[3].id);
    assert_int_equal(dal_get(db, &t_item_model, &key, &one, &found, &err), DAL_OK);
    assert_int_equal(one.qty, 40);
    assert_true(one.flag);
    assert_true(one.ts >= before && one.ts <= dal_now_us());
    up[0] = uuid_value("00000000-0000-0000-0000-000000000000");
    assert_int_equal(dal_exec(db, &t_item_restock_query, up, &changed, &err), DAL_ERR_NOT_FOUND);
    assert_int_equal(changed, 0);

    /* aggregate: group by color, order by count desc, ties by group asc */
    dal_value minq = int_value(0);
    dal_list stats = {0, NULL};
    assert_int_equal(dal_aggregate(db, &t_item_stats_query, &minq, &stats, &err), DAL_OK);
    assert_int_equal(stats.n, 3);
    t_item_stats_row *s = stats.v;
    assert_int_equal(s[0].color, T_COLOR_RED);
    assert_int_equal(s[0].n, 3);
    assert_int_equal(s[0].total, 17);
    assert_true(s[0].avg_price == 2.0);
    assert_int_equal(s[0].first, 1000);
    assert_string_equal(s[0].top, "gamma");
    assert_int_equal(s[1].color, T_COLOR_GREEN);
    assert_int_equal(s[1].n, 2);
    assert_int_equal(s[1].total, 47);
    assert_int_equal(s[2].color, T_COLOR_BLUE);
    assert_int_equal(s[2].n, 1);
    dal_record_list_free(&t_item_stats_row_model, &stats);

    /* delete with and / not and a literal enum */
    dal_value maxp = {.type = DAL_REAL, .as.d = 1.0};
    assert_int_equal(dal_exec(db, &t_item_cheap_query, &maxp, &changed, &err), DAL_OK);
    assert_int_equal(changed, 1); /* zeta (0.25, green); al%pha is blue */

    /* a query built at run time (id -1) runs and is cached by its SQL */
    dal_query adhoc = t_item_by_color_query;
    adhoc.name = "";
    adhoc.id = -1;
    color.as.i = T_COLOR_GREEN;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dal_query_many(db, &adhoc, &color, &out, &err), DAL_OK);
        assert_int_equal(out.n, 1);
    }

    dal_record_list_free(&t_item_model, &out);
    dal_record_clear(&t_item_model, &one);
    for (int i = 0; i < N; i++)
        dal_record_clear(&t_item_model, &it[i]);
    dal_close(db);
}

/* ------------------------------------------------------------------------ */
/* Connections, file, schema record                                          */
/* ------------------------------------------------------------------------ */

static void test_pragmas_on_every_connection(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, "max_connections=4&min_idle=1&busy_timeout_ms=4321");
    dal_error err = {0};
    dal_sqlite_conn *conns[4];
    sqlite3 *raw[4];
    for (int i = 0; i < 4; i++) {
        conns[i] = dal_sqlite_acquire(db, &raw[i], &err);
        assert_non_null(conns[i]);
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(raw[i], raw[j]);
    }
    dal_pool_status st;
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.active, 4);
    assert_int_equal(st.idle, 0);
    for (int i = 0; i < 4; i++) {
        sqlite3_stmt *s = NULL;
        assert_int_equal(sqlite3_prepare_v2(raw[i], "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
        sqlite3_finalize(s);
        assert_int_equal(raw_int(raw[i], "PRAGMA synchronous"), 1);   /* NORMAL */
        assert_int_equal(raw_int(raw[i], "PRAGMA busy_timeout"), 4321);
        assert_int_equal(raw_int(raw[i], "PRAGMA foreign_keys"), 1);
        assert_int_equal(raw_int(raw[i], "PRAGMA temp_store"), 2);    /* MEMORY */
        assert_int_equal(raw_int(raw[i], "PRAGMA journal_size_limit"), 4194304);
        /* SQLite's automatic checkpoint is replaced by the backend's own
         * commit hook (test_wal_bounded_and_checkpoint_report) */
        assert_int_equal(raw_int(raw[i], "PRAGMA wal_autocheckpoint"), 0);
        assert_true(sqlite3_threadsafe() != 0);
    }
    for (int i = 0; i < 4; i++)
        dal_sqlite_release(db, conns[i]);
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.idle, 4);
    assert_int_equal(st.max, 4);
    dal_close(db);
}

static void test_file_mode_0600(void **state)
{
    (void)state;
    char path[300], wal[320];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    t_item a;
    item_make(&a, "a", 1);
    insert_ok(db, &a);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_equal(stat(wal, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    dal_record_clear(&t_item_model, &a);
    dal_close(db);
}

static void test_schema_record_and_mismatch(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    sqlite3 *raw;
    dal_sqlite_conn *c = dal_sqlite_acquire(db, &raw, &err);
    assert_non_null(c);
    assert_int_equal(raw_int(raw, "SELECT count(*) FROM schema_migrations"), 1);
    assert_int_equal(raw_int(raw, "SELECT version FROM schema_migrations"), 1);
    char named[128];
    snprintf(named, sizeof named, "SELECT name = 't@%s' FROM schema_migrations", t_schema.version);
    assert_int_equal(raw_int(raw, named), 1);
    assert_int_equal(raw_int(raw, "SELECT abs(applied_at - (strftime('%s','now') * 1000000)) < 60000000 FROM "
                                  "schema_migrations"),
                     1);
    dal_sqlite_release(db, c);
    dal_close(db);

    /* the same schema opens it again */
    db = open_path(path, NULL, &err);
    assert_non_null(db);
    dal_close(db);

    /* another schema version does not */
    char url[400];
    snprintf(url, sizeof url, "sqlite:%s", path);
    assert_null(dal_open(&t_schema_v2, url, NULL, &err));
    assert_int_equal(err.code, DAL_ERR_MIGRATION);
    char v1[64];
    snprintf(v1, sizeof v1, "t@%s", t_schema.version);
    assert_contains(err.message, v1);
    assert_contains(err.message, "t@v2");

    /* nor does a tampered record */
    raw_exec(path, "UPDATE schema_migrations SET name = 't@tampered'");
    assert_null(open_path(path, NULL, &err));
    assert_int_equal(err.code, DAL_ERR_MIGRATION);
    assert_contains(err.message, "t@tampered");
    assert_contains(err.message, v1);

    /* a database with tables of its own but no record */
    char other[300];
    db_path(other, sizeof other);
    raw_exec(other, "CREATE TABLE stuff (x)");
    assert_null(open_path(other, NULL, &err));
    assert_int_equal(err.code, DAL_ERR_MIGRATION);
    assert_contains(err.message, "schema_migrations");
}

static void test_not_sqlite_file(void **state)
{
    (void)state;
    char path[300];
    db_path(path, sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database, just text. ", f);
    fclose(f);
    dal_error err = {0};
    assert_null(open_path(path, NULL, &err));
    assert_int_equal(err.code, DAL_ERR_DATABASE);
    assert_contains(err.message, "not an SQLite database");
    assert_contains(err.message, path);

    /* a directory that does not exist */
    char missing[400];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.db", g_dir);
    assert_null(open_path(missing, NULL, &err));
    assert_int_equal(err.code, DAL_ERR_DATABASE);
    assert_contains(err.message, "no/such/dir");
    /* no path at all */
    assert_null(dal_open(&t_schema, "sqlite:", NULL, &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
}

/* An index missing from a database of the same schema (a query added to
 * the schema since) is created when the database opens. */
static void test_missing_index_added_on_open(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    dal_close(db);
    raw_exec(path, "DROP INDEX \"items_color_qty_idx\"");
    db = open_path(path, NULL, &err);
    assert_non_null(db);
    dal_close(db);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                  "name = 'items_color_qty_idx'"),
                     1);
    sqlite3_close(raw);
}

static void test_survives_reopen(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    t_item a;
    item_make(&a, "kept", 11);
    assert_true(dal_text_list_push(&a.labels, "x"));
    insert_ok(db, &a);
    dal_close(db);
    db = open_path(path, NULL, &err);
    assert_non_null(db);
    t_item b = {0};
    bool found = false;
    dal_value key = uuid_value(a.id);
    assert_int_equal(dal_get(db, &t_item_model, &key, &b, &found, &err), DAL_OK);
    assert_true(found);
    assert_true(dal_record_equal(&t_item_model, &a, &b));
    /* the sequence continues after reopening */
    t_item c;
    item_make(&c, "next", 1);
    insert_ok(db, &c);
    assert_int_equal(c.seq, 2);
    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &b);
    dal_record_clear(&t_item_model, &c);
    dal_close(db);
}

/* ------------------------------------------------------------------------ */
/* Pool                                                                      */
/* ------------------------------------------------------------------------ */

typedef struct count_job {
    dal_db *db;
    dal_code rc;
    dal_error err;
    int64_t ms;
} count_job;

static void *count_thread(void *arg)
{
    count_job *j = arg;
    int64_t n = 0;
    int64_t t0 = now_ms();
    j->rc = dal_count(j->db, &t_item_model, &n, &j->err);
    j->ms = now_ms() - t0;
    return NULL;
}

static void test_pool_exhaustion(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, "max_connections=1&min_idle=1&connection_timeout_ms=200");
    dal_error err = {0};
    dal_tx *tx = dal_begin(db, &err);
    assert_non_null(tx);
    count_job job = {.db = db};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, count_thread, &job), 0);
    pthread_join(th, NULL);
    assert_int_equal(job.rc, DAL_ERR_POOL);
    assert_in_range(job.ms, 150, 2000);
    assert_contains(job.err.message, "no connection free within 200 ms (max 1)");
    dal_pool_status st;
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.active, 1);
    assert_int_equal(st.idle, 0);
    assert_int_equal(st.waits, 1);
    assert_int_equal(st.timeouts, 1);
    /* the transaction's own handle still works; after commit the pool serves again */
    int64_t n = -1;
    assert_int_equal(dal_count(dal_tx_db(tx), &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(dal_commit(tx, &err), DAL_OK);
    dal_tx_free(tx);
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(n, 0);

    /* a waiter is served when the holder lets go in time */
    tx = dal_begin(db, &err);
    assert_non_null(tx);
    job = (count_job){.db = db};
    assert_int_equal(pthread_create(&th, NULL, count_thread, &job), 0);
    sleep_ms(50);
    assert_int_equal(dal_rollback(tx, &err), DAL_OK);
    pthread_join(th, NULL);
    assert_int_equal(job.rc, DAL_OK);
    dal_tx_free(tx);
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.waits, 2);
    assert_int_equal(st.timeouts, 1);
    dal_close(db);
}

/* An update that returns its row and cannot hand it back (a stored value
 * that does not decode) changes nothing: the row is still there to claim. */
static void test_update_returning_is_atomic(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    t_item a, b, out;
    item_make(&a, "small", 1);
    item_make(&b, "big", 9);
    insert_ok(db, &a);
    insert_ok(db, &b);
    sqlite3 *raw;
    dal_sqlite_conn *conn = dal_sqlite_acquire(db, &raw, &err);
    assert_non_null(conn);
    assert_int_equal(sqlite3_exec(raw, "UPDATE items SET data = '{not json' WHERE name = 'big'", NULL, NULL, NULL),
                     SQLITE_OK);
    dal_sqlite_release(db, conn);
    dal_value red = {.type = DAL_ENUM, .as.i = T_COLOR_RED};
    bool found = false;
    dal_record_init(&t_item_model, &out);
    assert_int_equal(dal_query_one(db, &t_item_first_of_query, &red, &out, &found, &err), DAL_ERR_SERIALIZATION);
    assert_false(found);
    conn = dal_sqlite_acquire(db, &raw, &err);
    assert_int_equal(raw_int(raw, "SELECT count(*) FROM items WHERE flag = 1"), 0); /* not changed */
    assert_int_equal(sqlite3_exec(raw, "UPDATE items SET data = '{}' WHERE name = 'big'", NULL, NULL, NULL),
                     SQLITE_OK);
    dal_sqlite_release(db, conn);
    assert_int_equal(dal_query_one(db, &t_item_first_of_query, &red, &out, &found, &err), DAL_OK);
    assert_true(found);
    assert_string_equal(out.name, "big");
    assert_true(out.flag);
    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &b);
    dal_record_clear(&t_item_model, &out);
    dal_close(db);
}

/* max_connections=1 alone is accepted (min_idle follows it down); a root
 * read from the thread whose transaction holds the only connection fails at
 * once with a pool error that says why, instead of waiting
 * connection_timeout_ms for itself; the transaction goes on unharmed. */
static void test_pool_one_connection_self_wait(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, "max_connections=1&connection_timeout_ms=5000");
    dal_error err = {0};
    dal_pool_status st;
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.max, 1);
    assert_int_equal(st.idle, 1);
    dal_tx *tx = dal_begin(db, &err);
    assert_non_null(tx);
    int64_t n = -1;
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_ERR_POOL); /* at once: no wait counted below */
    assert_contains(err.message, "this thread holds every connection (max 1)");
    assert_contains(err.message, "dal_tx_db");
    assert_int_equal(n, -1);
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.waits, 0);
    assert_int_equal(st.timeouts, 0);
    assert_int_equal(dal_count(dal_tx_db(tx), &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(dal_commit(tx, &err), DAL_OK);
    dal_tx_free(tx);
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_OK);
    dal_close(db);
    /* min_idle named in the URL above max_connections is still refused */
    assert_null(open_path(path, "max_connections=1&min_idle=2", &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
    assert_contains(err.message, "min_idle (2) exceeds max_connections (1)");
}

static void test_pool_idle_timeout(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, "max_connections=4&min_idle=1&idle_timeout_ms=100");
    dal_error err = {0};
    dal_pool_status st;
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.idle, 1);
    assert_int_equal(st.active, 0);
    dal_sqlite_conn *c[3];
    sqlite3 *raw;
    for (int i = 0; i < 3; i++)
        assert_non_null(c[i] = dal_sqlite_acquire(db, &raw, &err));
    for (int i = 0; i < 3; i++)
        dal_sqlite_release(db, c[i]);
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.idle, 3);
    sleep_ms(160);
    /* the next acquire closes the spares that stayed idle too long */
    int64_t n;
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.idle, 1);
    assert_int_equal(st.active, 0);
    dal_close(db);
}

static void test_pool_status_figures(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, "max_connections=3&min_idle=2");
    dal_error err = {0};
    dal_pool_status st;
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.max, 3);
    assert_int_equal(st.idle, 2);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.waits, 0);
    assert_int_equal(st.timeouts, 0);
    dal_tx *tx = dal_begin(db, &err);
    assert_non_null(tx);
    assert_int_equal(dal_pool_status_get(dal_tx_db(tx), &st, &err), DAL_OK);
    assert_int_equal(st.active, 1);
    assert_int_equal(st.idle, 1);
    dal_tx_free(tx);
    assert_int_equal(dal_pool_status_get(db, &st, &err), DAL_OK);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.idle, 2);
    dal_close(db);
}

/* ------------------------------------------------------------------------ */
/* Stored values that cannot be decoded                                      */
/* ------------------------------------------------------------------------ */

static void expect_bad_row(const char *path, dal_db *db, const char *id, const char *sql, const char *column)
{
    raw_exec(path, sql);
    dal_error err = {0};
    t_item out = {0};
    bool found = false;
    dal_value key = uuid_value(id);
    assert_int_equal(dal_get(db, &t_item_model, &key, &out, &found, &err), DAL_ERR_SERIALIZATION);
    assert_false(found);
    assert_contains(err.message, "items");
    assert_contains(err.message, id);
    assert_contains(err.message, column);
    /* lists fail too: no row is dropped silently */
    dal_list all = {0, NULL};
    assert_int_equal(dal_list_all(db, &t_item_model, &all, &err), DAL_ERR_SERIALIZATION);
    assert_int_equal(all.n, 0);
    assert_null(all.v);
    dal_uuid ids[1];
    memcpy(ids[0].s, id, DAL_UUID_SIZE);
    dal_value list = {.type = DAL_UUID, .is_list = true};
    list.as.list.n = 1;
    list.as.list.v = ids;
    assert_int_equal(dal_query_many(db, &t_item_with_ids_query, &list, &all, &err), DAL_ERR_SERIALIZATION);
    assert_contains(err.message, column);
}

static void test_corrupt_values(void **state)
{
    (void)state;
    char path[300], sql[300];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    t_item a, b;
    item_make(&a, "good", 1);
    item_make(&b, "bad", 2);
    insert_ok(db, &a);
    insert_ok(db, &b);
    snprintf(sql, sizeof sql, "UPDATE items SET data = '{\"unterminated' WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "data");
    snprintf(sql, sizeof sql, "UPDATE items SET data = '{}', tags = '{\"k\": 1}' WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "tags");
    snprintf(sql, sizeof sql, "UPDATE items SET tags = '{}', labels = 'not json' WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "labels");
    snprintf(sql, sizeof sql, "UPDATE items SET labels = '[]', color = 'purple' WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "color");
    snprintf(sql, sizeof sql, "UPDATE items SET color = 'red', level = 15 WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "level");
    snprintf(sql, sizeof sql, "UPDATE items SET level = 10, qty = 'many' WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "qty");
    snprintf(sql, sizeof sql, "UPDATE items SET qty = 1, small = 5000000000 WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "small");
    snprintf(sql, sizeof sql, "UPDATE items SET small = 1, flag = 2 WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "flag");
    snprintf(sql, sizeof sql, "UPDATE items SET flag = 0, levels = '[\"medium\"]' WHERE id = '%s'", b.id);
    expect_bad_row(path, db, b.id, sql, "levels");
    /* repaired, it reads again */
    snprintf(sql, sizeof sql, "UPDATE items SET levels = '[20]' WHERE id = '%s'", b.id);
    raw_exec(path, sql);
    dal_error err = {0};
    dal_list all = {0, NULL};
    assert_int_equal(dal_list_all(db, &t_item_model, &all, &err), DAL_OK);
    assert_int_equal(all.n, 2);
    dal_record_list_free(&t_item_model, &all);
    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &b);
    dal_close(db);
}

/* ------------------------------------------------------------------------ */
/* Long paths: the message keeps its cause                                   */
/* ------------------------------------------------------------------------ */

static void test_long_path_keeps_cause(void **state)
{
    (void)state;
    size_t n = 10000;
    char *url = malloc(n + 64);
    assert_non_null(url);
    int k = snprintf(url, n + 64, "sqlite:/tmp/");
    memset(url + k, 'p', n);
    strcpy(url + k + n, ".db");
    dal_error err = {0};
    assert_null(dal_open(&t_schema, url, NULL, &err));
    assert_int_equal(err.code, DAL_ERR_DATABASE);
    assert_contains(err.message, "cannot open 'sqlite:/tmp/ppp");
    assert_contains(err.message, strerror(ENAMETOOLONG));
    assert_true(strlen(err.message) < DAL_ERROR_MESSAGE_SIZE);

    /* a bad option after a long path: the option and the reason stay */
    strcpy(url + k + n, ".db?busy_timeout_ms=soon");
    assert_null(dal_open(&t_schema, url, NULL, &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
    assert_contains(err.message, "wants a whole number");
    assert_contains(err.message, "'soon'");

    /* a long directory path of short parts that does not exist */
    k = snprintf(url, n + 64, "sqlite:/tmp/no-such-dir-dal");
    for (size_t i = (size_t)k; i + 2 < n; i += 2)
        memcpy(url + i, "/d", 2), url[i + 2] = '\0';
    strcat(url, "/x.db");
    assert_null(dal_open(&t_schema, url, NULL, &err));
    assert_int_equal(err.code, DAL_ERR_DATABASE);
    assert_true(strstr(err.message, strerror(ENAMETOOLONG)) != NULL ||
                strstr(err.message, strerror(ENOENT)) != NULL);
    free(url);
}

/* ------------------------------------------------------------------------ */
/* Busy retry                                                                */
/* ------------------------------------------------------------------------ */

typedef struct lock_job {
    const char *path;
    long hold_ms;
    int rc;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool locked;
} lock_job;

/* Holds SQLite's write lock on path (a raw connection of its own) for
 * hold_ms, writing one child row meanwhile. No cmocka asserts here: they
 * must not run off the main thread. */
static void *lock_thread(void *arg)
{
    lock_job *j = arg;
    sqlite3 *raw = NULL;
    j->rc = sqlite3_open(j->path, &raw);
    if (j->rc == SQLITE_OK)
        j->rc = sqlite3_exec(raw,
                             "BEGIN IMMEDIATE; INSERT INTO children (id, item_id) "
                             "SELECT (SELECT coalesce(max(id), 0) + 1 FROM children), id FROM items LIMIT 1;",
                             NULL, NULL, NULL);
    pthread_mutex_lock(&j->mu);
    j->locked = true;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (j->rc == SQLITE_OK) {
        sleep_ms(j->hold_ms);
        j->rc = sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL);
    }
    sqlite3_close(raw);
    return NULL;
}

static void start_lock(lock_job *j, pthread_t *th)
{
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    assert_int_equal(pthread_create(th, NULL, lock_thread, j), 0);
    pthread_mutex_lock(&j->mu);
    while (!j->locked)
        pthread_cond_wait(&j->cv, &j->mu);
    pthread_mutex_unlock(&j->mu);
    assert_int_equal(j->rc, SQLITE_OK);
}

static void end_lock(lock_job *j, pthread_t th)
{
    pthread_join(th, NULL);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    assert_int_equal(j->rc, SQLITE_OK);
}

static void test_busy_retry(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, "busy_timeout_ms=5000");
    dal_error err = {0};
    t_item a, b;
    item_make(&a, "a", 1);
    insert_ok(db, &a);

    lock_job j = {.path = path, .hold_ms = 300};
    pthread_t th;
    start_lock(&j, &th);
    int64_t t0 = now_ms();
    item_make(&b, "b", 2);
    assert_int_equal(dal_insert(db, &t_item_model, &b, &err), DAL_OK); /* waits for the lock */
    int64_t waited = now_ms() - t0;
    end_lock(&j, th);
    assert_in_range(waited, 200, 4000);
    int64_t n = 0;
    assert_int_equal(dal_count(db, &t_child_model, &n, &err), DAL_OK);
    assert_int_equal(n, 1);
    dal_close(db);

    /* held longer than busy_timeout: DAL_ERR_BUSY (safe to retry), saying so */
    db = open_path(path, "busy_timeout_ms=100", &err);
    assert_non_null(db);
    lock_job k = {.path = path, .hold_ms = 1500};
    start_lock(&k, &th);
    t_item c;
    item_make(&c, "c", 3);
    t0 = now_ms();
    assert_int_equal(dal_insert(db, &t_item_model, &c, &err), DAL_ERR_BUSY);
    waited = now_ms() - t0;
    assert_contains(err.message, "busy");
    assert_in_range(waited, 80, 1200);
    /* a transaction's BEGIN waits the same way */
    assert_null(dal_begin(db, &err));
    assert_int_equal(err.code, DAL_ERR_BUSY);
    assert_contains(err.message, "busy_timeout_ms=100");
    end_lock(&k, th);
    /* the lock gone, the same call succeeds: nothing was half done */
    assert_int_equal(dal_insert(db, &t_item_model, &c, &err), DAL_OK);
    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &b);
    dal_record_clear(&t_item_model, &c);
    dal_close(db);
}

typedef struct insert_job {
    dal_db *db;
    dal_code rc;
    dal_error err;
    int64_t done_ms; /* when the insert returned */
} insert_job;

static void *insert_thread(void *arg)
{
    insert_job *j = arg;
    t_item it;
    item_make(&it, "other thread", 1);
    j->rc = dal_insert(j->db, &t_item_model, &it, &j->err);
    j->done_ms = now_ms();
    dal_record_clear(&t_item_model, &it);
    return NULL;
}

static void test_transaction_owner_thread(void **state)
{
    (void)state;
    char path[300];
    dal_db *db = open_fresh(path, sizeof path, "busy_timeout_ms=5000");
    dal_error err = {0};
    dal_tx *tx = dal_begin(db, &err);
    assert_non_null(tx);
    t_item a;
    item_make(&a, "in tx", 1);
    insert_ok(dal_tx_db(tx), &a);
    /* this thread reading through the root handle: its own snapshot, at once */
    int64_t n = -1;
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(n, 0);
    /* writing through the root handle would wait for itself: refused at once */
    t_item b;
    item_make(&b, "root", 2);
    int64_t t0 = now_ms();
    assert_int_equal(dal_insert(db, &t_item_model, &b, &err), DAL_ERR_TRANSACTION);
    assert_true(now_ms() - t0 < 1000);
    assert_contains(err.message, "dal_tx_db");
    assert_null(dal_begin(db, &err));
    assert_int_equal(err.code, DAL_ERR_TRANSACTION);
    /* another thread's write waits for the commit, then succeeds */
    insert_job job = {.db = db};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, insert_thread, &job), 0);
    sleep_ms(150);
    int64_t commit_ms = now_ms();
    assert_int_equal(dal_commit(tx, &err), DAL_OK);
    pthread_join(th, NULL);
    assert_int_equal(job.rc, DAL_OK);
    assert_true(job.done_ms >= commit_ms); /* it could not finish before */
    dal_tx_free(tx);
    /* after the commit this thread writes through the root handle again */
    insert_ok(db, &b);
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(n, 3);
    dal_close(db);

    /* a memory database has one connection: the owner's root calls are refused */
    db = dal_open(&t_schema, "sqlite::memory:", NULL, &err);
    assert_non_null(db);
    tx = dal_begin(db, &err);
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_ERR_TRANSACTION);
    assert_int_equal(dal_count(dal_tx_db(tx), &t_item_model, &n, &err), DAL_OK);
    dal_tx_free(tx);
    assert_int_equal(dal_count(db, &t_item_model, &n, &err), DAL_OK);
    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &b);
    dal_close(db);
}

/* ------------------------------------------------------------------------ */
/* Memory databases and maintenance                                          */
/* ------------------------------------------------------------------------ */

static void test_memory_database(void **state)
{
    (void)state;
    dal_error err = {0};
    dal_db *m1 = dal_open(&t_schema, "sqlite::memory:?max_connections=8&min_idle=0&idle_timeout_ms=0", NULL, &err);
    assert_non_null(m1);
    dal_db *m2 = dal_open(&t_schema, "sqlite::memory:", NULL, &err);
    assert_non_null(m2);
    t_item a;
    item_make(&a, "mem", 1);
    insert_ok(m1, &a);
    /* one connection, kept: the data stays, whatever the options */
    dal_pool_status st;
    assert_int_equal(dal_pool_status_get(m1, &st, &err), DAL_OK);
    assert_int_equal(st.max, 1);
    assert_int_equal(st.idle, 1);
    int64_t n = 0;
    assert_int_equal(dal_count(m1, &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(n, 1);
    /* two memory databases are two databases */
    assert_int_equal(dal_count(m2, &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(n, 0);
    /* transactions work on the one connection */
    dal_tx *tx = dal_begin(m1, &err);
    assert_non_null(tx);
    t_item b;
    item_make(&b, "mem2", 2);
    insert_ok(dal_tx_db(tx), &b);
    assert_int_equal(dal_rollback(tx, &err), DAL_OK);
    dal_tx_free(tx);
    assert_int_equal(dal_count(m1, &t_item_model, &n, &err), DAL_OK);
    assert_int_equal(n, 1);
    uint64_t bytes = 0;
    assert_int_equal(dal_storage_size(m1, &bytes, &err), DAL_OK);
    assert_true(bytes > 0);
    assert_int_equal(dal_checkpoint(m1, &err), DAL_OK);
    assert_int_equal(dal_vacuum(m1, &err), DAL_OK);
    dal_record_clear(&t_item_model, &a);
    dal_record_clear(&t_item_model, &b);
    dal_close(m1);
    dal_close(m2);
}

static void test_maintenance(void **state)
{
    (void)state;
    char path[300], wal[320];
    dal_db *db = open_fresh(path, sizeof path, NULL);
    dal_error err = {0};
    t_item it[50];
    for (int i = 0; i < 50; i++)
        item_make(&it[i], "x", i);
    assert_int_equal(dal_insert_many(db, &t_item_model, it, 50, &err), DAL_OK);
    uint64_t before = 0, after = 0;
    assert_int_equal(dal_storage_size(db, &before, &err), DAL_OK);
    struct stat sdb, swal;
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_equal(stat(path, &sdb), 0);
    assert_int_equal(stat(wal, &swal), 0);
    assert_true(swal.st_size > 0);
    assert_int_equal(before, (uint64_t)(sdb.st_size + swal.st_size));
    assert_int_equal(dal_checkpoint(db, &err), DAL_OK);
    assert_int_equal(stat(wal, &swal), 0);
    assert_int_equal(swal.st_size, 0); /* TRUNCATE */
    assert_int_equal(dal_vacuum(db, &err), DAL_OK);
    assert_int_equal(dal_storage_size(db, &after, &err), DAL_OK);
    assert_true(after > 0);
    /* maintenance inside a transaction is refused (by the facade) */
    dal_tx *tx = dal_begin(db, &err);
    assert_int_equal(dal_vacuum(dal_tx_db(tx), &err), DAL_ERR_TRANSACTION);
    dal_tx_free(tx);
    for (int i = 0; i < 50; i++)
        dal_record_clear(&t_item_model, &it[i]);
    dal_close(db);
}

/* ------------------------------------------------------------------------ */
/* The write-ahead log stays bounded; checkpoint reports what it did         */
/* ------------------------------------------------------------------------ */

static int64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* n commits of one item each with a long name (about five pages a row). */
static void insert_pages(dal_db *db, int n)
{
    static char big[16000];
    memset(big, 'w', sizeof big - 1);
    for (int i = 0; i < n; i++) {
        t_item it;
        item_make(&it, big, i);
        insert_ok(db, &it);
        dal_record_clear(&t_item_model, &it);
    }
}

static void test_wal_bounded_and_checkpoint_report(void **state)
{
    (void)state;
    char path[300], wal[320];
    dal_db *db = open_fresh(path, sizeof path, "busy_timeout_ms=20");
    snprintf(wal, sizeof wal, "%s-wal", path);
    dal_error err = {0};

    /* a reader that holds its snapshot keeps every checkpoint from reaching
     * the end of the log: the log grows, and checkpoint says it is busy */
    sqlite3 *reader = NULL;
    assert_int_equal(sqlite3_open(path, &reader), SQLITE_OK);
    assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM items;", NULL, NULL, NULL), SQLITE_OK);
    insert_pages(db, 500);
    int64_t grown = file_size(wal);
    assert_true(grown > 2200 * 4096); /* past the point where commits try to reset it */
    dal_checkpoint_info info = {-1, -1, false, 1};
    assert_int_equal(dal_checkpoint_report(db, &info, &err), DAL_OK);
    assert_true(info.busy);
    assert_true(info.log_frames >= 2200);
    assert_true(info.checkpointed_frames < info.log_frames);
    assert_int_equal((int64_t)info.log_bytes, file_size(wal));
    assert_int_equal(dal_checkpoint(db, &err), DAL_ERR_BUSY);
    assert_contains(err.message, "busy");

    /* the reader gone, the next commits reset the log by themselves: its
     * file shrinks without anyone calling checkpoint */
    assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(reader);
    insert_pages(db, 30);
    assert_true(file_size(wal) <= 4194304 + 300 * 4200); /* journal_size_limit, then 30 rows */

    /* a checkpoint with nothing in the way: everything copied, log truncated */
    insert_pages(db, 10);
    assert_int_equal(dal_checkpoint_report(db, &info, &err), DAL_OK);
    assert_false(info.busy);
    assert_true(info.log_frames > 0);
    assert_int_equal(info.checkpointed_frames, info.log_frames);
    assert_int_equal(info.log_bytes, 0);
    assert_int_equal(file_size(wal), 0);
    assert_int_equal(dal_checkpoint_report(db, NULL, &err), DAL_OK);
    /* refused inside a transaction, like the other maintenance calls */
    dal_tx *tx = dal_begin(db, &err);
    assert_int_equal(dal_checkpoint_report(dal_tx_db(tx), &info, &err), DAL_ERR_TRANSACTION);
    dal_tx_free(tx);
    dal_close(db);

    /* a backend without a log reports zeros */
    db = dal_open(&t_schema, "memory:", NULL, &err);
    assert_non_null(db);
    info = (dal_checkpoint_info){7, 7, true, 7};
    assert_int_equal(dal_checkpoint_report(db, &info, &err), DAL_OK);
    assert_int_equal(info.log_frames, 0);
    assert_int_equal(info.checkpointed_frames, 0);
    assert_false(info.busy);
    dal_close(db);
}

int main(void)
{
    test_model_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_type),
        cmocka_unit_test(test_sequence_never_reused),
        cmocka_unit_test(test_errors_name_table_and_column),
        cmocka_unit_test(test_on_delete),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_pragmas_on_every_connection),
        cmocka_unit_test(test_file_mode_0600),
        cmocka_unit_test(test_schema_record_and_mismatch),
        cmocka_unit_test(test_not_sqlite_file),
        cmocka_unit_test(test_survives_reopen),
        cmocka_unit_test(test_missing_index_added_on_open),
        cmocka_unit_test(test_pool_exhaustion),
        cmocka_unit_test(test_pool_one_connection_self_wait),
        cmocka_unit_test(test_update_returning_is_atomic),
        cmocka_unit_test(test_pool_idle_timeout),
        cmocka_unit_test(test_pool_status_figures),
        cmocka_unit_test(test_corrupt_values),
        cmocka_unit_test(test_busy_retry),
        cmocka_unit_test(test_long_path_keeps_cause),
        cmocka_unit_test(test_transaction_owner_thread),
        cmocka_unit_test(test_memory_database),
        cmocka_unit_test(test_maintenance),
        cmocka_unit_test(test_wal_bounded_and_checkpoint_report),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
