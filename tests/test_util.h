/*
 * test_util.h - the assertion helpers every cmocka test of dal shares.
 * Include after <cmocka.h> and dal.h.
 *
 *   OK(call)                 runs call, which may use `err` (a dal_error *),
 *                            and fails the test unless it returns DAL_OK,
 *                            naming the call, the message and the code
 *   EXPECT(code, msg, call)  the same, expecting code; the error message is
 *                            left in the char array msg
 *   assert_has(hay, needle)  fails unless needle occurs in hay
 */
#ifndef DAL_TESTS_TEST_UTIL_H
#define DAL_TESTS_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#define OK(call)                                                                                                  \
    do {                                                                                                          \
        dal_error e_ = {0};                                                                                       \
        dal_error *err = &e_;                                                                                     \
        dal_code rc_ = (call);                                                                                    \
        if (rc_ != DAL_OK)                                                                                        \
            fail_msg("%s: %s (%s)", #call, e_.message, dal_code_name(rc_));                                       \
    } while (0)

#define EXPECT(code, msg, call)                                                                                   \
    do {                                                                                                          \
        dal_error e_ = {0};                                                                                       \
        dal_error *err = &e_;                                                                                     \
        dal_code rc_ = (call);                                                                                    \
        if (rc_ != (code))                                                                                        \
            fail_msg("%s: got %s (%s), want %s", #call, dal_code_name(rc_), e_.message, dal_code_name(code));     \
        snprintf(msg, sizeof msg, "%s", e_.message);                                                              \
    } while (0)

static inline void assert_has(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

#endif /* DAL_TESTS_TEST_UTIL_H */
