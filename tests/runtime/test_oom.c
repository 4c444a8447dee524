/*
 * Allocation failure: the test is linked with --wrap=malloc,calloc,realloc and
 * hands cJSON the same failing allocator, then makes the 1st, 2nd, ... nth
 * allocation of each operation fail until the operation gets through. Every
 * failure must be reported (DAL_ERR_NOMEM / NULL / false), must leave the
 * target unchanged, and must leak nothing (LeakSanitizer and valgrind check
 * the leaks; this file checks the rest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dal.h"
#include "test_fixture.h"
#include "test_model.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long fail_at = -1; /* index of the allocation to fail; -1: none */
static long calls;        /* allocations seen since arming */

static bool fail_now(void)
{
    if (fail_at < 0)
        return false;
    return calls++ == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

static void arm(long k)
{
    calls = 0;
    fail_at = k;
}

/* Disarms; true when the armed failure actually happened. */
static bool disarm(void)
{
    bool failed = fail_at >= 0 && calls > fail_at;
    fail_at = -1;
    return failed;
}

static int setup(void **state)
{
    (void)state;
    cJSON_Hooks hooks = {__wrap_malloc, free};
    cJSON_InitHooks(&hooks);
    return 0;
}

static const dal_model *M = &t_thing_model;

static void test_oom_json_parse(void **state)
{
    (void)state;
    const char *text = fixture_json;
    for (long k = 0;; k++) {
        cJSON *j = NULL;
        dal_error err;
        arm(k);
        dal_code rc = dal_json_parse(text, strlen(text), &j, &err);
        if (!disarm()) {
            assert_int_equal(rc, DAL_OK);
            cJSON_Delete(j);
            assert_true(k > 100);
            break;
        }
        assert_int_equal(rc, DAL_ERR_NOMEM);
        assert_null(j);
    }
}

static void test_oom_json_print(void **state)
{
    (void)state;
    cJSON *j = fixture_parse(fixture_json);
    for (long k = 0;; k++) {
        arm(k);
        char *out = dal_json_print(j);
        if (!disarm()) {
            assert_string_equal(out, fixture_json);
            free(out);
            break;
        }
        assert_null(out);
    }
    cJSON_Delete(j);
}

static void test_oom_to_json(void **state)
{
    (void)state;
    t_thing t;
    fixture_fill(&t);
    for (long k = 0;; k++) {
        arm(k);
        char *out = dal_record_to_json(M, &t);
        if (!disarm()) {
            assert_string_equal(out, fixture_json);
            free(out);
            break;
        }
        assert_null(out);
    }
    for (long k = 0;; k++) {
        arm(k);
        cJSON *j = dal_record_to_cjson(M, &t);
        if (!disarm()) {
            assert_non_null(j);
            cJSON_Delete(j);
            break;
        }
        assert_null(j);
    }
    dal_record_clear(M, &t);
}

static void test_oom_from_json(void **state)
{
    (void)state;
    t_thing target, snapshot, expect;
    dal_record_init(M, &target);
    dal_strset(&target.name, "before");
    dal_record_init(M, &snapshot);
    assert_int_equal(dal_record_copy(M, &snapshot, &target, NULL), DAL_OK);
    fixture_fill(&expect);
    for (long k = 0;; k++) {
        dal_error err;
        arm(k);
        dal_code rc = dal_record_from_json(M, &target, fixture_json, &err);
        if (!disarm()) {
            assert_int_equal(rc, DAL_OK);
            assert_true(dal_record_equal(M, &target, &expect));
            break;
        }
        assert_int_equal(rc, DAL_ERR_NOMEM);
        assert_int_equal(err.code, DAL_ERR_NOMEM);
        assert_true(dal_record_equal(M, &target, &snapshot));
    }
    dal_record_clear(M, &target);
    dal_record_clear(M, &snapshot);
    dal_record_clear(M, &expect);
}

/* Copies src into dst failing each allocation in turn: every failure must
 * leave dst as it was, and the last try must succeed. Clears both. */
static void check_copy_fails_cleanly(t_thing *dst, t_thing *src)
{
    t_thing snapshot;
    dal_record_init(M, &snapshot);
    assert_int_equal(dal_record_copy(M, &snapshot, dst, NULL), DAL_OK);
    for (long k = 0;; k++) {
        arm(k);
        dal_code rc = dal_record_copy(M, dst, src, NULL);
        if (!disarm()) {
            assert_int_equal(rc, DAL_OK);
            assert_true(dal_record_equal(M, dst, src));
            break;
        }
        assert_int_equal(rc, DAL_ERR_NOMEM);
        assert_true(dal_record_equal(M, dst, &snapshot));
    }
    dal_record_clear(M, src);
    dal_record_clear(M, dst);
    dal_record_clear(M, &snapshot);
}

static void test_oom_copy(void **state)
{
    (void)state;
    t_thing src, dst;
    fixture_fill(&src);
    dal_record_init(M, &dst);
    dal_strset(&dst.note, "old");
    check_copy_fails_cleanly(&dst, &src);
}

/* Into a record whose buffers partly fit: the in-place writes come only
 * after every allocation succeeded, so a failure leaves dst as it was. */
static void test_oom_copy_in_place(void **state)
{
    (void)state;
    t_thing src, dst;
    fixture_fill(&src);
    fixture_fill(&dst);
    assert_true(dal_strset(&dst.label, "a label that the new empty one fits"));
    assert_true(dal_strset(&src.name, "a name longer than the old one, so it is allocated"));
    check_copy_fails_cleanly(&dst, &src);
}

static void test_oom_init(void **state)
{
    (void)state;
    /* init cannot report failure, but must leave a valid record behind */
    for (long k = 0; k < 10; k++) {
        t_thing t;
        arm(k);
        dal_record_init(M, &t);
        disarm();
        char *text = dal_record_to_json(M, &t);
        assert_non_null(text);
        free(text);
        dal_record_clear(M, &t);
    }
}

static void test_oom_field_set(void **state)
{
    (void)state;
    t_thing t;
    fixture_fill(&t);
    const dal_field *texts = &t_thing_model.fields[T_THING_F_TEXTS];
    const dal_field *meta = &t_thing_model.fields[T_THING_F_META];
    static const char *const words[] = {"a", "b", "c", "d"};
    dal_value list = {DAL_TEXT, false, true, {.list = {4, (void *)words}}};
    dal_value json = {DAL_TEXT, false, false, {.s = "{\"x\":[1,2,{\"y\":\"z\"}]}"}};
    for (long k = 0;; k++) {
        dal_error err;
        arm(k);
        dal_code rc = dal_field_set(texts, &t, &list, &err);
        if (!disarm()) {
            assert_int_equal(rc, DAL_OK);
            assert_int_equal(t.texts.n, 4);
            break;
        }
        assert_int_equal(rc, DAL_ERR_NOMEM);
        assert_int_equal(t.texts.n, 3);
        assert_string_equal(t.texts.v[2], "żółw 🐢");
    }
    for (long k = 0;; k++) {
        dal_error err;
        arm(k);
        dal_code rc = dal_field_set(meta, &t, &json, &err);
        if (!disarm()) {
            assert_int_equal(rc, DAL_OK);
            break;
        }
        assert_int_equal(rc, DAL_ERR_NOMEM);
        char *out = dal_json_print(t.meta);
        assert_string_equal(out, "{\"nested\":{\"deep\":true}}");
        free(out);
    }
    dal_record_clear(M, &t);
}

static void test_oom_strings(void **state)
{
    (void)state;
    char *s = NULL;
    assert_true(dal_strset(&s, "keep"));
    arm(0);
    assert_false(dal_strset(&s, "new"));
    assert_true(disarm());
    assert_string_equal(s, "keep");
    free(s);

    dal_text_list l = {0, NULL};
    assert_true(dal_text_list_push(&l, "one"));
    for (long k = 0; k < 2; k++) {
        arm(k);
        assert_false(dal_text_list_push(&l, "two"));
        assert_true(disarm());
        assert_int_equal(l.n, 1);
        assert_string_equal(l.v[0], "one");
    }
    dal_text_list_clear(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_json_parse), cmocka_unit_test(test_oom_json_print),
        cmocka_unit_test(test_oom_to_json),    cmocka_unit_test(test_oom_from_json),
        cmocka_unit_test(test_oom_copy),       cmocka_unit_test(test_oom_copy_in_place),
        cmocka_unit_test(test_oom_init),
        cmocka_unit_test(test_oom_field_set),  cmocka_unit_test(test_oom_strings),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
