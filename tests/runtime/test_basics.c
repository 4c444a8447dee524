/* Errors, owned strings, UUID fields, text lists, type and enum helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dal.h"
#include "test_model.h"

/* True when s is well-formed UTF-8. */
static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : *p >= 0xF0 ? 3 : *p >= 0xE0 ? 2 : *p >= 0xC0 ? 1 : -1;
        if (n < 0)
            return false;
        p++;
        for (int k = 0; k < n; k++, p++)
            if ((*p & 0xC0) != 0x80)
                return false;
    }
    return true;
}

static void test_code_names(void **state)
{
    (void)state;
    assert_string_equal(dal_code_name(DAL_OK), "ok");
    assert_string_equal(dal_code_name(DAL_ERR_DATABASE), "database");
    assert_string_equal(dal_code_name(DAL_ERR_SERIALIZATION), "serialization");
    assert_string_equal(dal_code_name(DAL_ERR_NOT_FOUND), "not_found");
    assert_string_equal(dal_code_name(DAL_ERR_TRANSACTION), "transaction");
    assert_string_equal(dal_code_name(DAL_ERR_MIGRATION), "migration");
    assert_string_equal(dal_code_name(DAL_ERR_POOL), "pool");
    assert_string_equal(dal_code_name(DAL_ERR_CONSTRAINT), "constraint");
    assert_string_equal(dal_code_name(DAL_ERR_INVALID), "invalid");
    assert_string_equal(dal_code_name(DAL_ERR_NOMEM), "nomem");
    assert_string_equal(dal_code_name(DAL_ERR_OTHER), "other");
    assert_string_equal(dal_code_name(DAL_ERR_BUSY), "busy");
    assert_string_equal(dal_code_name((dal_code)99), "unknown");
}

static void test_set_error(void **state)
{
    (void)state;
    dal_error err = {DAL_OK, ""};
    assert_int_equal(dal_set_error(NULL, DAL_ERR_POOL, "x %d", 1), DAL_ERR_POOL);
    assert_int_equal(dal_set_error(&err, DAL_ERR_NOT_FOUND, "agents: key %s %d", "abc", 42), DAL_ERR_NOT_FOUND);
    assert_int_equal(err.code, DAL_ERR_NOT_FOUND);
    assert_string_equal(err.message, "agents: key abc 42");

    /* arguments may point into the message itself */
    assert_int_equal(dal_set_error(&err, DAL_ERR_OTHER, "again: %s", err.message), DAL_ERR_OTHER);
    assert_string_equal(err.message, "again: agents: key abc 42");

    dal_set_error(&err, DAL_ERR_DATABASE, NULL);
    assert_int_equal(err.code, DAL_ERR_DATABASE);
    assert_string_equal(err.message, "");
}

static void test_set_error_truncates(void **state)
{
    (void)state;
    /* 400 two-byte characters (800 bytes) cannot fit in 512: the cut must not
     * split a character, and "..." marks it. */
    char big[801];
    for (int i = 0; i < 400; i++) {
        big[2 * i] = (char)0xC5;
        big[2 * i + 1] = (char)0xBC; /* ż */
    }
    big[800] = '\0';
    for (int shift = 0; shift < 4; shift++) {
        dal_error err;
        char pad[4] = "xxx";
        pad[shift < 3 ? shift : 3] = '\0';
        dal_set_error(&err, DAL_ERR_SERIALIZATION, "%s%s", pad, big);
        size_t len = strlen(err.message);
        assert_true(len < DAL_ERROR_MESSAGE_SIZE);
        assert_true(len >= DAL_ERROR_MESSAGE_SIZE - 6);
        assert_true(valid_utf8(err.message));
        assert_string_equal(err.message + len - 3, "...");
        assert_int_equal(err.code, DAL_ERR_SERIALIZATION);
    }
}

static void test_error_prefix(void **state)
{
    (void)state;
    dal_error err;
    assert_int_equal(dal_error_prefix(NULL, "x"), DAL_OK);
    dal_set_error(&err, DAL_ERR_CONSTRAINT, "duplicate key");
    assert_int_equal(dal_error_prefix(&err, "insert %s", "agents"), DAL_ERR_CONSTRAINT);
    assert_string_equal(err.message, "insert agents: duplicate key");
    assert_int_equal(err.code, DAL_ERR_CONSTRAINT);

    dal_set_error(&err, DAL_ERR_OTHER, "%s", "");
    dal_error_prefix(&err, "only");
    assert_string_equal(err.message, "only");

    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dal_set_error(&err, DAL_ERR_OTHER, "tail");
    dal_error_prefix(&err, "%s", big);
    /* the context is cut, never the cause */
    assert_int_equal(strlen(err.message), DAL_ERROR_MESSAGE_SIZE - 1);
    assert_string_equal(err.message + strlen(err.message) - 9, "...: tail");

    /* a cause that fills the message alone keeps it (no room for context) */
    dal_set_error(&err, DAL_ERR_OTHER, "%s", big);
    char cause[DAL_ERROR_MESSAGE_SIZE];
    memcpy(cause, err.message, sizeof cause);
    dal_error_prefix(&err, "context");
    assert_string_equal(err.message, cause);

    dal_error_clear(&err);
    assert_int_equal(err.code, DAL_OK);
    assert_string_equal(err.message, "");
    dal_error_clear(NULL);
}

static void test_strset(void **state)
{
    (void)state;
    char *s = NULL;
    assert_true(dal_strset(&s, "hello"));
    assert_string_equal(s, "hello");
    const char *lit = "żółw 🐢";
    assert_true(dal_strset(&s, lit));
    assert_ptr_not_equal(s, lit); /* a copy */
    assert_string_equal(s, "żółw 🐢");
    assert_true(dal_strset(&s, s)); /* aliasing is fine */
    assert_string_equal(s, "żółw 🐢");
    assert_true(dal_strset(&s, ""));
    assert_string_equal(s, "");
    assert_true(dal_strset(&s, NULL));
    assert_null(s);
    assert_false(dal_strset(NULL, "x"));
}

static void test_uuidset(void **state)
{
    (void)state;
    char id[DAL_UUID_SIZE];
    dal_uuidset(id, "0190a6b2-7c1e-7abc-8def-0123456789ab");
    assert_string_equal(id, "0190a6b2-7c1e-7abc-8def-0123456789ab");
    dal_uuidset(id, "0190a6b2-7c1e-7abc-8def-0123456789abEXTRA");
    assert_string_equal(id, "0190a6b2-7c1e-7abc-8def-0123456789ab");
    dal_uuidset(id, "short");
    assert_string_equal(id, "short");
    dal_uuidset(id, NULL);
    assert_string_equal(id, "");
    dal_uuidset(id, "0190a6b2-7c1e-7abc-8def-0123456789ab");
    dal_uuidset(id, id + 9); /* overlapping source */
    assert_string_equal(id, "7c1e-7abc-8def-0123456789ab");
    dal_uuidset(NULL, "x");
}

static void test_text_list(void **state)
{
    (void)state;
    dal_text_list l = {0, NULL};
    assert_true(dal_text_list_push(&l, "a"));
    assert_true(dal_text_list_push(&l, "żółw"));
    assert_true(dal_text_list_push(&l, NULL));
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0], "a");
    assert_string_equal(l.v[1], "żółw");
    assert_string_equal(l.v[2], "");
    for (int i = 0; i < 1000; i++)
        assert_true(dal_text_list_push(&l, "x"));
    assert_int_equal(l.n, 1003);
    dal_text_list_clear(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.v);
    dal_text_list_clear(&l);
    dal_text_list_clear(NULL);
    assert_false(dal_text_list_push(NULL, "x"));
}

static void test_types(void **state)
{
    (void)state;
    static const struct {
        dal_type t;
        size_t size;
        const char *name;
    } cases[] = {
        {DAL_TEXT, sizeof(char *), "text"},       {DAL_INT, 8, "int"},
        {DAL_I32, 4, "i32"},                      {DAL_U32, 4, "u32"},
        {DAL_U64, 8, "u64"},                      {DAL_REAL, sizeof(double), "real"},
        {DAL_BOOL, sizeof(bool), "bool"},         {DAL_TIMESTAMP, 8, "timestamp"},
        {DAL_UUID, DAL_UUID_SIZE, "uuid"},        {DAL_JSON, sizeof(cJSON *), "json"},
        {DAL_MAP_TEXT, sizeof(cJSON *), "map<text>"}, {DAL_MAP_JSON, sizeof(cJSON *), "map<json>"},
        {DAL_ENUM, sizeof(int), "enum"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(dal_type_size(cases[i].t), cases[i].size);
        assert_string_equal(dal_type_name(cases[i].t), cases[i].name);
    }
    assert_int_equal(dal_type_size((dal_type)77), 0);
    assert_string_equal(dal_type_name((dal_type)77), "unknown");
    assert_int_equal(sizeof(dal_uuid), DAL_UUID_SIZE);
    assert_int_equal(sizeof(t_color), sizeof(int));
}

static void test_enums(void **state)
{
    (void)state;
    int v = -99;
    /* text-valued: C value = index */
    assert_int_equal(dal_enum_index(&t_color_enum, T_COLOR_BLUE_SKY), 2);
    assert_int_equal(dal_enum_index(&t_color_enum, 3), -1);
    assert_int_equal(dal_enum_index(&t_color_enum, -1), -1);
    assert_string_equal(dal_enum_name(&t_color_enum, T_COLOR_RED), "red");
    assert_null(dal_enum_name(&t_color_enum, 3));
    assert_true(dal_enum_from_name(&t_color_enum, "blue_sky", &v));
    assert_int_equal(v, T_COLOR_BLUE_SKY);
    v = -99;
    assert_false(dal_enum_from_name(&t_color_enum, "Blue_sky", &v));
    assert_false(dal_enum_from_name(&t_color_enum, "", &v));
    assert_false(dal_enum_from_name(&t_color_enum, NULL, &v));
    assert_int_equal(v, -99);
    /* integer-valued: C value = values[i] */
    assert_int_equal(dal_enum_index(&t_level_enum, T_LEVEL_HIGH), 3);
    assert_int_equal(dal_enum_index(&t_level_enum, T_LEVEL_BELOW), 0);
    assert_int_equal(dal_enum_index(&t_level_enum, 1), -1);
    assert_string_equal(dal_enum_name(&t_level_enum, 5), "mid");
    assert_null(dal_enum_name(&t_level_enum, 2));
    assert_true(dal_enum_from_name(&t_level_enum, "below", &v));
    assert_int_equal(v, -3);
    assert_true(dal_enum_from_name(&t_level_enum, "high", &v));
    assert_int_equal(v, 1000);
    assert_int_equal(dal_enum_index(NULL, 0), -1);
    assert_null(dal_enum_name(NULL, 0));
    assert_false(dal_enum_from_name(NULL, "red", &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_names),  cmocka_unit_test(test_set_error),
        cmocka_unit_test(test_set_error_truncates), cmocka_unit_test(test_error_prefix),
        cmocka_unit_test(test_strset),      cmocka_unit_test(test_uuidset),
        cmocka_unit_test(test_text_list),   cmocka_unit_test(test_types),
        cmocka_unit_test(test_enums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
