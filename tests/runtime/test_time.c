/* dal_now_us, dal_time_format, dal_time_parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dal.h"

#define MIN_US INT64_C(-62167219200000000)  /* 0000-01-01T00:00:00Z */
#define MAX_US INT64_C(253402300799999999)  /* 9999-12-31T23:59:59.999999Z */

static void check_format(int64_t us, const char *expected)
{
    char out[DAL_TIME_SIZE];
    assert_true(dal_time_format(us, out));
    assert_string_equal(out, expected);
    int64_t back = 12345;
    assert_true(dal_time_parse(out, &back));
    assert_int_equal(back, us);
}

static int64_t parsed(const char *text)
{
    int64_t us = 0;
    if (!dal_time_parse(text, &us))
        fail_msg("dal_time_parse rejected \"%s\"", text);
    return us;
}

static void test_format_known(void **state)
{
    (void)state;
    check_format(0, "1970-01-01T00:00:00.000000Z");
    check_format(1, "1970-01-01T00:00:00.000001Z");
    check_format(-1, "1969-12-31T23:59:59.999999Z");
    check_format(-999999, "1969-12-31T23:59:59.000001Z");
    check_format(-1000000, "1969-12-31T23:59:59.000000Z");
    check_format(-1000001, "1969-12-31T23:59:58.999999Z");
    check_format(INT64_C(-86400000000), "1969-12-31T00:00:00.000000Z");
    check_format(INT64_C(-86400000001), "1969-12-30T23:59:59.999999Z");
    check_format(INT64_C(951782400000000), "2000-02-29T00:00:00.000000Z");
    check_format(INT64_C(4107456000000000), "2100-02-28T00:00:00.000000Z");
    check_format(INT64_C(4107542400000000) - 1, "2100-02-28T23:59:59.999999Z");
    check_format(INT64_C(4107542400000000), "2100-03-01T00:00:00.000000Z");
    check_format(INT64_C(-2203891200000000), "1900-03-01T00:00:00.000000Z");
    check_format(INT64_C(-11670998400000000), "1600-02-29T00:00:00.000000Z");
    check_format(INT64_C(-62135596800000000), "0001-01-01T00:00:00.000000Z");
    check_format(MIN_US, "0000-01-01T00:00:00.000000Z");
    check_format(INT64_C(253402214400000000), "9999-12-31T00:00:00.000000Z");
    check_format(MAX_US, "9999-12-31T23:59:59.999999Z");
    check_format(INT64_C(1795930410123456), "2026-11-29T05:33:30.123456Z");
}

static void test_format_range(void **state)
{
    (void)state;
    char out[DAL_TIME_SIZE] = "unchanged";
    assert_false(dal_time_format(MIN_US - 1, out));
    assert_false(dal_time_format(MAX_US + 1, out));
    assert_false(dal_time_format(INT64_MIN, out));
    assert_false(dal_time_format(INT64_MAX, out));
}

/* Our calendar against the C library's gmtime over the whole range. */
static void test_format_matches_gmtime(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t span = MAX_US - MIN_US;
        int64_t us = MIN_US + (int64_t)(x % (uint64_t)span);
        if (i < 1000) /* and densely around the epoch */
            us = (int64_t)(x % 400000000000u) - 200000000000;
        char out[DAL_TIME_SIZE];
        assert_true(dal_time_format(us, out));
        int64_t secs = us / 1000000 - (us % 1000000 < 0 ? 1 : 0);
        time_t t = (time_t)secs;
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        char expect[64];
        snprintf(expect, sizeof expect, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us - secs * 1000000));
        assert_string_equal(out, expect);
        int64_t back;
        assert_true(dal_time_parse(out, &back));
        assert_int_equal(back, us);
    }
}

static void test_parse_fractions(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t us;
    } cases[] = {
        {"2024-01-02T03:04:05Z", 0},
        {"2024-01-02T03:04:05.1Z", 100000},
        {"2024-01-02T03:04:05.12Z", 120000},
        {"2024-01-02T03:04:05.123Z", 123000},
        {"2024-01-02T03:04:05.1234Z", 123400},
        {"2024-01-02T03:04:05.12345Z", 123450},
        {"2024-01-02T03:04:05.123456Z", 123456},
        {"2024-01-02T03:04:05.1234567Z", 123456},
        {"2024-01-02T03:04:05.12345678Z", 123456},
        {"2024-01-02T03:04:05.123456789Z", 123456},
        {"2024-01-02T03:04:05.999999999Z", 999999},
        {"2024-01-02T03:04:05.000000001Z", 0},
        {"2024-01-02T03:04:05.1234569999999999999999999999999999999999Z", 123456},
    };
    int64_t base = parsed("2024-01-02T03:04:05.000000Z");
    assert_int_equal(base, INT64_C(1704164645) * 1000000);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(parsed(cases[i].text), base + cases[i].us);
    /* truncation goes to the earlier instant before 1970 too */
    assert_int_equal(parsed("1969-12-31T23:59:59.9999999Z"), -1);
}

static void test_parse_offsets_and_separators(void **state)
{
    (void)state;
    int64_t utc = parsed("2024-06-01T06:30:00Z");
    assert_int_equal(parsed("2024-06-01T12:00:00+05:30"), utc);
    assert_int_equal(parsed("2024-05-31T22:30:00-08:00"), utc);
    assert_int_equal(parsed("2024-06-01T06:30:00+00:00"), utc);
    assert_int_equal(parsed("2024-06-01T06:30:00-00:00"), utc);
    assert_int_equal(parsed("2024-06-01t06:30:00z"), utc);
    assert_int_equal(parsed("2024-06-01 06:30:00Z"), utc);
    assert_int_equal(parsed("2024-06-02T05:59:00+23:29"), utc);
    /* offsets move across days, months and years */
    assert_int_equal(parsed("2000-01-01T00:30:00+01:00"), parsed("1999-12-31T23:30:00Z"));
    assert_int_equal(parsed("2000-02-28T23:00:00-02:00"), parsed("2000-02-29T01:00:00Z"));
    /* serde / chrono output */
    assert_int_equal(parsed("2026-11-29T05:33:30.123456789+00:00"), INT64_C(1795930410123456));
    assert_int_equal(parsed("2026-11-29T05:33:30.123Z"), INT64_C(1795930410123000));
}

static void test_parse_calendar(void **state)
{
    (void)state;
    assert_int_equal(parsed("2000-02-29T00:00:00Z"), INT64_C(951782400000000));
    assert_int_equal(parsed("2024-02-29T00:00:00Z"), parsed("2024-02-28T00:00:00Z") + INT64_C(86400000000));
    assert_int_equal(parsed("2100-02-28T00:00:00Z"), INT64_C(4107456000000000));
    assert_int_equal(parsed("2100-03-01T00:00:00Z"), INT64_C(4107542400000000));
    assert_int_equal(parsed("0000-02-29T00:00:00Z"), MIN_US + INT64_C(59) * 86400000000);
    assert_int_equal(parsed("0001-01-01T00:00:00Z"), INT64_C(-62135596800000000));
    assert_int_equal(parsed("9999-12-31T23:59:59.999999Z"), MAX_US);
    assert_int_equal(parsed("0000-01-01T00:00:00Z"), MIN_US);
    assert_int_equal(parsed("0000-01-01T05:00:00+05:00"), MIN_US);
    assert_int_equal(parsed("9999-12-31T23:59:59.999999-00:00"), MAX_US);
}

static void test_parse_leap_second(void **state)
{
    (void)state;
    assert_int_equal(parsed("1998-12-31T23:59:60Z"), parsed("1999-01-01T00:00:00Z"));
    assert_int_equal(parsed("1998-12-31T23:59:60.5Z"), parsed("1999-01-01T00:00:00.5Z"));
    assert_int_equal(parsed("2016-12-31T23:59:60.999999Z"), parsed("2017-01-01T00:00:00.999999Z"));
    assert_int_equal(parsed("1999-01-01T05:29:60+05:30"), parsed("1999-01-01T00:00:00Z"));
    assert_int_equal(parsed("1998-12-31T15:59:60-08:00"), parsed("1999-01-01T00:00:00Z"));
    int64_t us = 7;
    assert_false(dal_time_parse("1998-12-31T23:58:60Z", &us));
    assert_false(dal_time_parse("1998-12-31T12:59:60Z", &us));
    assert_false(dal_time_parse("1998-12-31T23:59:60+01:00", &us));
    assert_false(dal_time_parse("9999-12-31T23:59:60Z", &us)); /* would be year 10000 */
    assert_int_equal(us, 7);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " ",
        "2024",
        "2024-01",
        "2024-01-01",
        "2024-01-01T",
        "2024-01-01T00",
        "2024-01-01T00:00",
        "2024-01-01T00:00Z",
        "2024-01-01T00:00:00",           /* no offset */
        "2024-01-01T00:00:00.",          /* fraction without digits */
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00,5Z",        /* comma */
        "2024-01-01T00:00:00.5",
        "2024-1-01T00:00:00Z",
        "2024-01-1T00:00:00Z",
        "24-01-01T00:00:00Z",
        "02024-01-01T00:00:00Z",
        "+2024-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "2024/01/01T00:00:00Z",
        "2024-01-01X00:00:00Z",
        "2024-01-01T00:00:00ZZ",
        "2024-01-01T00:00:00Z ",
        " 2024-01-01T00:00:00Z",
        "2024-01-01  00:00:00Z",
        "2024-01-01T0:00:00Z",
        "2024-01-01T00:0:00Z",
        "2024-01-01T00:00:0Z",
        "2024-01-01T00-00-00Z",
        "2024-00-01T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:60:00Z",
        "2024-01-01T23:59:61Z",
        "2024-01-01T23:59:99Z",
        "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00+05:60",
        "2024-01-01T00:00:00+0530",
        "2024-01-01T00:00:00+05",
        "2024-01-01T00:00:00+5:30",
        "2024-01-01T00:00:00+05:30:00",
        "2024-01-01T00:00:00 +05:30",
        "2024-01-01T00:00:00UTC",
        "2024-01-01T00:00:00GMT",
        "2024-01-01T00:00:00.123456Zjunk",
        "2024-01-01T00:00:00.12a456Z",
        "2024-01-01T00:00:00\xEF\xBC\x9A",
        "２０２４-01-01T00:00:00Z",
        "2024-01-01T00:00:00.5\nZ",
        "0000-01-01T00:00:00+00:01", /* UTC year -1 */
        "9999-12-31T23:59:59-00:01", /* UTC year 10000 */
        "10000-01-01T00:00:00Z",
        "abcd-ef-ghTij:kl:mnZ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 424242;
        if (dal_time_parse(bad[i], &us))
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(us, 424242);
    }
    int64_t us = 5;
    assert_false(dal_time_parse(NULL, &us));
    assert_false(dal_time_parse("2024-01-01T00:00:00Z", NULL));
    assert_int_equal(us, 5);
}

static void test_now(void **state)
{
    (void)state;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t before = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    int64_t now = dal_now_us();
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t after = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    assert_true(now >= before && now <= after);
    assert_true(now > INT64_C(1700000000000000)); /* after 2023 */
    char out[DAL_TIME_SIZE];
    assert_true(dal_time_format(now, out));
    assert_int_equal(strlen(out), 27);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_format_range),
        cmocka_unit_test(test_format_matches_gmtime),
        cmocka_unit_test(test_parse_fractions),
        cmocka_unit_test(test_parse_offsets_and_separators),
        cmocka_unit_test(test_parse_calendar),
        cmocka_unit_test(test_parse_leap_second),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
