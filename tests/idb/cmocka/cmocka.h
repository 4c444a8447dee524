/*
 * cmocka.h - the part of cmocka's API the conformance and builder suites use,
 * for their WebAssembly build (tests/idb). Same output lines as cmocka, so the
 * same eyes (and the browser runner) read both:
 *   [==========] / [ RUN      ] / [       OK ] / [  FAILED  ] / [  SKIPPED ] / [  PASSED  ]
 * A failed assertion prints where and why, then longjmps back to the runner,
 * which runs the test's teardown and goes on with the next test. The program
 * exits with the number of failed tests (0: all passed).
 *
 * Why not cmocka itself: its unit-test runner installs signal handlers and
 * mock/expect machinery the suites do not use; this header is the small,
 * dependency-free subset (no library to cross-compile).
 */
#ifndef DAL_TESTS_CMOCKA_SHIM_H
#define DAL_TESTS_CMOCKA_SHIM_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
    CMFixtureFunction setup_func;
    CMFixtureFunction teardown_func;
    void *initial_state;
};

#define cmocka_unit_test(f) {#f, f, NULL, NULL, NULL}
#define cmocka_unit_test_setup_teardown(f, setup, teardown) {#f, f, setup, teardown, NULL}

static jmp_buf cm_jmp;
static int cm_skipped;

static void cm_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("[   ERROR  ] --- ");
    vprintf(fmt, ap);
    printf("\n[   LINE   ] --- %s:%d: error: Failure!\n", file, line);
    va_end(ap);
    fflush(stdout);
    longjmp(cm_jmp, 1);
}

#define print_message(...) printf(__VA_ARGS__)
#define fail_msg(...) cm_fail(__FILE__, __LINE__, __VA_ARGS__)
#define fail() cm_fail(__FILE__, __LINE__, "fail()")
#define skip()                                                                                                    \
    do {                                                                                                          \
        cm_skipped = 1;                                                                                           \
        longjmp(cm_jmp, 2);                                                                                       \
    } while (0)
#define assert_true(c)                                                                                            \
    do {                                                                                                          \
        if (!(c))                                                                                                 \
            cm_fail(__FILE__, __LINE__, "%s", #c);                                                                \
    } while (0)
#define assert_false(c)                                                                                           \
    do {                                                                                                          \
        if (c)                                                                                                    \
            cm_fail(__FILE__, __LINE__, "%s", #c);                                                                \
    } while (0)
#define assert_non_null(p) assert_true((p) != NULL)
#define assert_null(p) assert_true((p) == NULL)
#define assert_int_equal(a, b)                                                                                    \
    do {                                                                                                          \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                                          \
        if (a_ != b_)                                                                                             \
            cm_fail(__FILE__, __LINE__, "%" PRIdMAX " != %" PRIdMAX, a_, b_);                                    \
    } while (0)
#define assert_int_not_equal(a, b)                                                                                \
    do {                                                                                                          \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                                          \
        if (a_ == b_)                                                                                             \
            cm_fail(__FILE__, __LINE__, "%" PRIdMAX " == %" PRIdMAX, a_, b_);                                    \
    } while (0)
#define assert_string_equal(a, b)                                                                                 \
    do {                                                                                                          \
        const char *a_ = (a), *b_ = (b);                                                                          \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                                                      \
            cm_fail(__FILE__, __LINE__, "\"%s\" != \"%s\"", a_ ? a_ : "(null)", b_ ? b_ : "(null)");              \
    } while (0)
#define assert_memory_equal(a, b, n)                                                                              \
    do {                                                                                                          \
        if (memcmp((a), (b), (n)) != 0)                                                                           \
            cm_fail(__FILE__, __LINE__, "memory differs: %s, %s", #a, #b);                                        \
    } while (0)

static int _cmocka_run_group_tests(const char *group, const struct CMUnitTest *tests, size_t n,
                                   CMFixtureFunction setup, CMFixtureFunction teardown)
{
    void *gstate = NULL;
    size_t failed = 0, passed = 0, skipped = 0;
    printf("[==========] %s: Running %zu test(s).\n", group, n);
    if (setup != NULL && setup(&gstate) != 0) {
        printf("[  ERROR   ] %s: group setup failed\n", group);
        return 1;
    }
    static const char *failed_names[256];
    for (size_t i = 0; i < n; i++) {
        const struct CMUnitTest *t = &tests[i];
        void *state = t->initial_state;
        printf("[ RUN      ] %s\n", t->name);
        fflush(stdout);
        if (t->setup_func != NULL && t->setup_func(&state) != 0) {
            printf("[  ERROR   ] %s: setup failed\n[  FAILED  ] %s\n", t->name, t->name);
            if (failed < 256)
                failed_names[failed] = t->name;
            failed++;
            continue;
        }
        cm_skipped = 0;
        int how = setjmp(cm_jmp);
        if (how == 0)
            t->test_func(&state);
        if (t->teardown_func != NULL && t->teardown_func(&state) != 0 && how == 0)
            how = 1;
        if (how == 2 && cm_skipped) {
            printf("[  SKIPPED ] %s\n", t->name);
            skipped++;
        } else if (how == 0) {
            printf("[       OK ] %s\n", t->name);
            passed++;
        } else {
            printf("[  FAILED  ] %s\n", t->name);
            if (failed < 256)
                failed_names[failed] = t->name;
            failed++;
        }
        fflush(stdout);
    }
    if (teardown != NULL && teardown(&gstate) != 0) {
        printf("[  ERROR   ] %s: group teardown failed\n", group);
        failed++;
    }
    printf("[==========] %s: %zu test(s) run.\n", group, n);
    printf("[  PASSED  ] %zu test(s).\n", passed);
    if (skipped)
        printf("[  SKIPPED ] %zu test(s).\n", skipped);
    if (failed) {
        printf("[  FAILED  ] %zu test(s), listed below:\n", failed);
        for (size_t i = 0; i < failed && i < 256; i++)
            if (failed_names[i] != NULL)
                printf("[  FAILED  ] %s\n", failed_names[i]);
    }
    fflush(stdout);
    return (int)failed;
}

#define cmocka_run_group_tests(tests, setup, teardown)                                                            \
    _cmocka_run_group_tests(#tests, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)

#endif /* DAL_TESTS_CMOCKA_SHIM_H */
