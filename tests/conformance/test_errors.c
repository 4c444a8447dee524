/* SPDX-License-Identifier: MIT */
/*
 * test_errors.c - errors a program can act on, checked the same way on every
 * backend: the code, the constraint kind, the table and columns, and the
 * exact message (one wording everywhere).
 *
 * Usage: test_errors URL-TEMPLATE   ('sqlite:{dir}/e{n}.db', 'memory:e{n}')
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dal/dal.h>
#include <dal/dal_builder.h>

#include "errs/errs.h"
#include "url_template.h"

static int db_setup(void **state)
{
    char url[300];
    make_url(url, sizeof url);
    dal_error err = {0};
    errs_db *db = errs_open(url, &err);
    if (db == NULL) {
        fprintf(stderr, "open %s: %s\n", url, err.message);
        return -1;
    }
    *state = db;
    return 0;
}

static int db_teardown(void **state)
{
    errs_close(*state);
    return 0;
}

static void warehouse(errs_db *db, const char *code, const char *name)
{
    errs_warehouse w;
    errs_warehouse_init(&w);
    assert_true(dal_strset(&w.code, code));
    assert_true(dal_strset(&w.name, name));
    dal_error err = {0};
    assert_int_equal(errs_warehouse_insert(db, &w, &err), DAL_OK);
    errs_warehouse_clear(&w);
}

static void level_make(errs_level *l, const char *wh, const char *sku, const char *bin)
{
    errs_level_init(l);
    assert_true(dal_strset(&l->warehouse, wh));
    assert_true(dal_strset(&l->sku, sku));
    assert_true(dal_strset(&l->bin, bin));
}

static void level(errs_db *db, const char *wh, const char *sku, const char *bin)
{
    errs_level l;
    level_make(&l, wh, sku, bin);
    dal_error err = {0};
    assert_int_equal(errs_level_insert(db, &l, &err), DAL_OK);
    errs_level_clear(&l);
}

static void expect_constraint(const dal_error *err, dal_constraint kind, const char *table, const char *columns,
                              const char *message)
{
    assert_int_equal(err->code, DAL_ERR_CONSTRAINT);
    assert_string_equal(dal_constraint_name(err->constraint), dal_constraint_name(kind));
    assert_string_equal(err->table, table);
    assert_string_equal(err->columns, columns);
    assert_string_equal(err->message, message);
}

static void test_unique(void **state)
{
    errs_db *db = *state;
    warehouse(db, "W1", "Main");
    dal_error err = {0};
    errs_warehouse w;
    errs_warehouse_init(&w);
    assert_true(dal_strset(&w.code, "W2"));
    assert_true(dal_strset(&w.name, "Main"));
    assert_int_equal(errs_warehouse_insert(db, &w, &err), DAL_ERR_CONSTRAINT);
    expect_constraint(&err, DAL_CONSTRAINT_UNIQUE, "warehouses", "name",
                      "insert Warehouse: unique constraint failed on warehouses(name): another row has the same "
                      "value (name = 'Main')");
    /* the primary key is a unique constraint too */
    assert_true(dal_strset(&w.code, "W1"));
    assert_true(dal_strset(&w.name, "Other"));
    assert_int_equal(errs_warehouse_insert(db, &w, &err), DAL_ERR_CONSTRAINT);
    expect_constraint(&err, DAL_CONSTRAINT_UNIQUE, "warehouses", "code",
                      "insert Warehouse: unique constraint failed on warehouses(code): another row has the same "
                      "value (code = 'W1')");
    errs_warehouse_clear(&w);

    /* two columns */
    level(db, "W1", "bolt", "A1");
    errs_level l;
    level_make(&l, "W1", "nut", "A1");
    assert_int_equal(errs_level_insert(db, &l, &err), DAL_ERR_CONSTRAINT);
    expect_constraint(&err, DAL_CONSTRAINT_UNIQUE, "levels", "warehouse, bin",
                      "insert Level: unique constraint failed on levels(warehouse, bin): another row has the same "
                      "value (warehouse = 'W1', bin = 'A1')");
    errs_level_clear(&l);
}

static void test_insert_many_names_the_row(void **state)
{
    errs_db *db = *state;
    warehouse(db, "W1", "Main");
    errs_warehouse w[3];
    const char *codes[3] = {"W2", "W3", "W4"}, *names[3] = {"A", "B", "Main"};
    for (int i = 0; i < 3; i++) {
        errs_warehouse_init(&w[i]);
        assert_true(dal_strset(&w[i].code, codes[i]));
        assert_true(dal_strset(&w[i].name, names[i]));
    }
    dal_error err = {0};
    assert_int_equal(errs_warehouse_insert_many(db, w, 3, &err), DAL_ERR_CONSTRAINT);
    expect_constraint(&err, DAL_CONSTRAINT_UNIQUE, "warehouses", "name",
                      "insert_many Warehouse: row 3 of 3: unique constraint failed on warehouses(name): another "
                      "row has the same value");
    int64_t n = 0;
    assert_int_equal(errs_warehouse_count(db, &n, &err), DAL_OK);
    assert_int_equal(n, 1); /* all or nothing */
    for (int i = 0; i < 3; i++)
        errs_warehouse_clear(&w[i]);
}

static void test_foreign_key_and_restrict(void **state)
{
    errs_db *db = *state;
    warehouse(db, "W1", "Main");
    dal_error err = {0};
    errs_level l;
    level_make(&l, "nowhere", "bolt", NULL);
    assert_int_equal(errs_level_insert(db, &l, &err), DAL_ERR_CONSTRAINT);
    expect_constraint(&err, DAL_CONSTRAINT_FOREIGN_KEY, "levels", "warehouse",
                      "insert Level: foreign key constraint failed on levels(warehouse): the value has no row in "
                      "warehouses(code) (warehouse = 'nowhere')");
    errs_level_clear(&l);

    level(db, "W1", "bolt", NULL);
    int64_t changed = -1;
    assert_int_equal(errs_level_back_up(db, "bolt", "nowhere", &changed, &err), DAL_ERR_CONSTRAINT);
    expect_constraint(&err, DAL_CONSTRAINT_FOREIGN_KEY, "levels", "backup",
                      "Level.back_up: foreign key constraint failed on levels(backup): the value has no row in "
                      "warehouses(code)");

    bool deleted = true;
    assert_int_equal(errs_warehouse_delete_found(db, "W1", &deleted, &err), DAL_ERR_CONSTRAINT);
    expect_constraint(&err, DAL_CONSTRAINT_RESTRICT, "levels", "warehouse",
                      "delete Warehouse: restrict constraint failed: a row of warehouses(code) is still referenced "
                      "by levels(warehouse) (code = 'W1')");
    assert_true(deleted); /* unchanged on failure */
}

static void test_delete_found(void **state)
{
    errs_db *db = *state;
    warehouse(db, "W1", "Main");
    dal_error err = {0};
    bool deleted = false;
    assert_int_equal(errs_warehouse_delete_found(db, "W1", &deleted, &err), DAL_OK);
    assert_true(deleted);
    assert_int_equal(errs_warehouse_delete_found(db, "W1", &deleted, &err), DAL_OK);
    assert_false(deleted);
    assert_int_equal(errs_warehouse_delete(db, "W1", &err), DAL_OK);
}

static void test_one_matching_two_is_ambiguous(void **state)
{
    errs_db *db = *state;
    warehouse(db, "W1", "Main");
    warehouse(db, "W2", "Annex");
    level(db, "W1", "bolt", NULL);
    dal_error err = {0};
    errs_level got = {0};
    bool found = false;
    assert_int_equal(errs_level_by_sku(db, "bolt", &got, &found, &err), DAL_OK);
    assert_true(found);
    assert_string_equal(got.warehouse, "W1");
    level(db, "W2", "bolt", NULL);
    found = false;
    assert_int_equal(errs_level_by_sku(db, "bolt", &got, &found, &err), DAL_ERR_AMBIGUOUS);
    assert_string_equal(err.message, "Level.by_sku: expected at most one row, found more");
    assert_string_equal(dal_code_name(err.code), "ambiguous");
    assert_false(found);
    assert_string_equal(got.warehouse, "W1"); /* unchanged */
    errs_level_clear(&got);
}

static void test_not_found_names_the_key(void **state)
{
    errs_db *db = *state;
    warehouse(db, "W1", "Main");
    dal_error err = {0};
    assert_int_equal(errs_level_set_qty(db, "W1", "zz", 99, &err), DAL_ERR_NOT_FOUND);
    assert_string_equal(err.message, "Level.set_qty: no row in levels with warehouse = 'W1', sku = 'zz'");
    errs_level l;
    level_make(&l, "W1", "ghost", NULL);
    l.qty = 7;
    assert_int_equal(errs_level_update(db, &l, &err), DAL_ERR_NOT_FOUND);
    assert_string_equal(err.message, "update Level: no row in levels with warehouse = 'W1', sku = 'ghost'");
    assert_int_equal(err.constraint, DAL_CONSTRAINT_NONE);
    assert_string_equal(err.table, "");
    errs_level_clear(&l);
}

static void test_bad_builder_condition_says_which(void **state)
{
    errs_db *db = *state;
    dal_error err = {0};
    dal_builder *b = dal_builder_new(&errs_level_model);
    dal_value pattern = {.type = DAL_TEXT, .as.s = "%1"};
    dal_builder_where(b, dal_cond_cmp(&errs_level_model, ERRS_LEVEL_F_QTY, DAL_OP_LIKE, &pattern));
    dal_list out = {0, NULL};
    assert_int_equal(dal_builder_fetch((dal_db *)db, b, &out, &err), DAL_ERR_INVALID);
    assert_string_equal(err.message, "Level query: operator LIKE on Level.qty (int) needs a text field");
    dal_builder_free(b);

    b = dal_builder_new(&errs_level_model);
    dal_value wrong = {.type = DAL_INT, .as.i = 3};
    dal_builder_where(b, dal_cond_and(dal_cond_cmp(&errs_level_model, ERRS_LEVEL_F_SKU, DAL_OP_EQ, &wrong),
                                      dal_cond_cmp(&errs_level_model, ERRS_LEVEL_F_QTY, DAL_OP_GT, &wrong)));
    assert_int_equal(dal_builder_fetch((dal_db *)db, b, &out, &err), DAL_ERR_INVALID);
    assert_string_equal(err.message, "Level query: operator EQ (=) on Level.sku (text) got a value of another type");
    dal_builder_free(b);
    assert_int_equal(out.n, 0);
}

static void test_uninitialised_list_refused(void **state)
{
    errs_db *db = *state;
    dal_error err = {0};
    errs_warehouse_list list = {3, NULL};
    assert_int_equal(errs_warehouse_all(db, &list, &err), DAL_ERR_INVALID);
    assert_string_equal(err.message, "list Warehouse: the output list is not initialised (n = 3 with no array): "
                                     "set it to {0} before the first call");
    assert_int_equal(list.n, 3);
}

static void test_json_default_empty_array(void **state)
{
    errs_db *db = *state;
    errs_doc d;
    errs_doc_init(&d);
    assert_true(cJSON_IsArray(d.body));
    assert_int_equal(cJSON_GetArraySize(d.body), 0);
    d.id = 1;
    dal_error err = {0};
    assert_int_equal(errs_doc_insert(db, &d, &err), DAL_OK);
    errs_doc_clear(&d);
    errs_doc got = {0};
    bool found = false;
    assert_int_equal(errs_doc_get(db, 1, &got, &found, &err), DAL_OK);
    assert_true(found);
    char *json = errs_doc_to_json(&got);
    assert_string_equal(json, "{\"id\":1,\"body\":[]}");
    free(json);
    errs_doc_clear(&got);
    /* missing from JSON: the default applies */
    assert_int_equal(errs_doc_from_json(&got, "{\"id\":2}", &err), DAL_OK);
    assert_true(cJSON_IsArray(got.body));
    errs_doc_clear(&got);
}

static void test_url_path_percent_decoded(void **state)
{
    (void)state;
    dal_error err = {0};
    char url[400];
    const char *scheme = backend_is("sqlite") ? "sqlite" : "memory";
    snprintf(url, sizeof url, "%s:%s/bad%%zz.db", scheme, g_dir);
    assert_null(errs_open(url, &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
    char expected[600];
    snprintf(expected, sizeof expected,
             "URL '%s': '%%' in the path must start an escape of two hex digits (%%20 is a space, %%25 is "
             "'%%'), got '%%zz'",
             url);
    assert_string_equal(err.message, expected);

    snprintf(url, sizeof url, "%s:%s/my%%20data%%25.db", scheme, g_dir);
    errs_db *db = errs_open(url, &err);
    assert_non_null(db);
    errs_close(db);
    if (backend_is("sqlite")) {
        char path[300];
        snprintf(path, sizeof path, "%s/my data%%.db", g_dir);
        FILE *f = fopen(path, "rb");
        assert_non_null(f); /* the decoded name is the file's name */
        fclose(f);
    }
}

static int suite_setup(void **state)
{
    (void)state;
    return template_dir_make("dal-errors");
}

static int suite_teardown(void **state)
{
    (void)state;
    return template_dir_remove();
}

#define T(f) cmocka_unit_test_setup_teardown(f, db_setup, db_teardown)

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s URL-TEMPLATE   e.g. 'sqlite:{dir}/e{n}.db' or 'memory:e{n}'\n", argv[0]);
        return 2;
    }
    g_template = argv[1];
    const struct CMUnitTest tests[] = {
        T(test_unique),
        T(test_insert_many_names_the_row),
        T(test_foreign_key_and_restrict),
        T(test_delete_found),
        T(test_one_matching_two_is_ambiguous),
        T(test_not_found_names_the_key),
        T(test_bad_builder_condition_says_which),
        T(test_uninitialised_list_refused),
        T(test_json_default_empty_array),
        T(test_url_path_percent_decoded),
    };
    char title[300];
    snprintf(title, sizeof title, "errors %s", g_template);
    return _cmocka_run_group_tests(title, tests, sizeof tests / sizeof tests[0], suite_setup, suite_teardown);
}
