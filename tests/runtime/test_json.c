/* dal_json_parse / print / equal / int64 / uint64. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dal.h"

static cJSON *parse_ok(const char *text)
{
    cJSON *j = NULL;
    dal_error err = {0};
    if (dal_json_parse(text, strlen(text), &j, &err) != DAL_OK)
        fail_msg("parse of %s failed: %s", text, err.message);
    assert_non_null(j);
    return j;
}

/* print(parse(text)) == expected (text itself when expected is NULL). */
static void check_round_trip(const char *text, const char *expected)
{
    cJSON *j = parse_ok(text);
    char *out = dal_json_print(j);
    assert_non_null(out);
    assert_string_equal(out, expected != NULL ? expected : text);
    cJSON *again = parse_ok(out);
    assert_true(dal_json_equal(j, again));
    char *out2 = dal_json_print(again);
    assert_string_equal(out, out2);
    free(out);
    free(out2);
    cJSON_Delete(j);
    cJSON_Delete(again);
}

static void check_error(const char *text, size_t len, const char *message)
{
    cJSON *j = (cJSON *)&j; /* must stay untouched */
    cJSON *sentinel = j;
    dal_error err = {0};
    assert_int_equal(dal_json_parse(text, len, &j, &err), DAL_ERR_SERIALIZATION);
    assert_int_equal(err.code, DAL_ERR_SERIALIZATION);
    assert_ptr_equal(j, sentinel);
    if (strcmp(err.message, message) != 0)
        fail_msg("input %.40s:\n  got      \"%s\"\n  expected \"%s\"", text, err.message, message);
}

#define CHECK_ERROR(text, message) check_error(text, sizeof(text) - 1, message)

static void test_round_trips(void **state)
{
    (void)state;
    check_round_trip("null", NULL);
    check_round_trip("true", NULL);
    check_round_trip("false", NULL);
    check_round_trip("0", NULL);
    check_round_trip("-0", NULL);
    check_round_trip("\"\"", NULL);
    check_round_trip("[]", NULL);
    check_round_trip("{}", NULL);
    check_round_trip("[1,2.5,-3e10,1E+2,0.000001,\"x\",null,true,false,[],{}]", NULL);
    check_round_trip("{\"a\":{\"b\":[{\"c\":\"d\"}]},\"\":0}", NULL);
    check_round_trip(" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : \"c\" } \n", "{\"a\":[1,2],\"b\":\"c\"}");
    check_round_trip("18446744073709551615", NULL);
    check_round_trip("-9223372036854775808", NULL);
    check_round_trip("123456789012345678901234567890.123456789e-5", NULL);
    check_round_trip("1e400", NULL); /* too big for a double, kept exactly as text */
    check_round_trip("\"\\u00e9\\u017c\\ud83d\\udc22\"", "\"éż🐢\"");
    check_round_trip("\"żółw 🐢\"", NULL);
    check_round_trip("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
    check_round_trip("{\"k\\u0041\\n\":\"v\"}", "{\"kA\\n\":\"v\"}");
    check_round_trip("\"\xEF\xBF\xBF\xF4\x8F\xBF\xBF\xE0\xA0\x80\xC2\x80\"", NULL); /* edge code points */
}

static void test_number_text_kept(void **state)
{
    (void)state;
    cJSON *j = parse_ok("[18446744073709551615,-9223372036854775808,9223372036854775807,1.5,1e2]");
    cJSON *u = cJSON_GetArrayItem(j, 0);
    assert_true(cJSON_IsNumber(u));
    assert_string_equal(u->valuestring, "18446744073709551615");
    assert_true(u->valuedouble == 18446744073709551616.0);
    uint64_t uv = 0;
    int64_t iv = 0;
    assert_true(dal_json_uint64(u, &uv));
    assert_true(uv == UINT64_MAX);
    assert_false(dal_json_int64(u, &iv));

    assert_true(dal_json_int64(cJSON_GetArrayItem(j, 1), &iv));
    assert_true(iv == INT64_MIN);
    assert_false(dal_json_uint64(cJSON_GetArrayItem(j, 1), &uv));
    assert_true(dal_json_int64(cJSON_GetArrayItem(j, 2), &iv));
    assert_true(iv == INT64_MAX);
    assert_false(dal_json_int64(cJSON_GetArrayItem(j, 3), &iv));
    assert_true(dal_json_int64(cJSON_GetArrayItem(j, 4), &iv));
    assert_int_equal(iv, 100);
    assert_true(cJSON_GetArrayItem(j, 3)->valuedouble == 1.5);

    /* cJSON_Duplicate keeps the text */
    cJSON *dup = cJSON_Duplicate(j, true);
    assert_string_equal(cJSON_GetArrayItem(dup, 0)->valuestring, "18446744073709551615");
    assert_true(dal_json_equal(j, dup));
    cJSON_Delete(dup);
    cJSON_Delete(j);
}

static void check_int64(const char *text, bool ok, int64_t expected)
{
    cJSON *j = parse_ok(text);
    int64_t v = 77;
    if (dal_json_int64(j, &v) != ok)
        fail_msg("dal_json_int64(%s) should %s", text, ok ? "succeed" : "fail");
    assert_int_equal(v, ok ? expected : 77);
    cJSON_Delete(j);
}

static void check_uint64(const char *text, bool ok, uint64_t expected)
{
    cJSON *j = parse_ok(text);
    uint64_t v = 77;
    if (dal_json_uint64(j, &v) != ok)
        fail_msg("dal_json_uint64(%s) should %s", text, ok ? "succeed" : "fail");
    assert_true(v == (ok ? expected : 77));
    cJSON_Delete(j);
}

static void test_exact_integers(void **state)
{
    (void)state;
    check_int64("0", true, 0);
    check_int64("-0", true, 0);
    check_int64("0.0e99", true, 0);
    check_int64("1.0", true, 1);
    check_int64("1.50e1", true, 15);
    check_int64("100e-2", true, 1);
    check_int64("1e18", true, INT64_C(1000000000000000000));
    check_int64("12345678901234567890e-1", true, INT64_C(1234567890123456789));
    check_int64("-9223372036854775808", true, INT64_MIN);
    check_int64("-9223372036854775808.000", true, INT64_MIN);
    check_int64("9223372036854775807", true, INT64_MAX);
    check_int64("9223372036854775808", false, 0);
    check_int64("-9223372036854775809", false, 0);
    check_int64("1e19", false, 0);
    check_int64("1e99999999999999999999", false, 0);
    check_int64("1.5", false, 0);
    check_int64("1e-1", false, 0);
    check_int64("10e-2", false, 0);
    check_int64("\"1\"", false, 0);
    check_int64("true", false, 0);
    check_int64("null", false, 0);
    check_uint64("18446744073709551615", true, UINT64_MAX);
    check_uint64("1844674407370955161.5e1", true, UINT64_MAX);
    check_uint64("18446744073709551616", false, 0);
    check_uint64("-1", false, 0);
    check_uint64("-0", true, 0);
    check_uint64("1e19", true, UINT64_C(10000000000000000000));
    check_uint64("0.5", false, 0);

    /* numbers made by cJSON (no text): from the double when integral */
    cJSON *n = cJSON_CreateNumber(42);
    int64_t iv;
    uint64_t uv;
    assert_true(dal_json_int64(n, &iv));
    assert_int_equal(iv, 42);
    cJSON_SetNumberValue(n, -1.0);
    assert_false(dal_json_uint64(n, &uv));
    cJSON_SetNumberValue(n, 0.5);
    assert_false(dal_json_int64(n, &iv));
    cJSON_SetNumberValue(n, 9223372036854775808.0);
    assert_false(dal_json_int64(n, &iv));
    assert_true(dal_json_uint64(n, &uv));
    assert_true(uv == UINT64_C(9223372036854775808));
    cJSON_SetNumberValue(n, -9223372036854775808.0);
    assert_true(dal_json_int64(n, &iv));
    assert_true(iv == INT64_MIN);
    cJSON_SetNumberValue(n, 18446744073709551616.0);
    assert_false(dal_json_uint64(n, &uv));
    cJSON_SetNumberValue(n, NAN);
    assert_false(dal_json_int64(n, &iv));
    cJSON_SetNumberValue(n, INFINITY);
    assert_false(dal_json_uint64(n, &uv));
    cJSON_Delete(n);
    cJSON *s = cJSON_CreateString("12");
    assert_false(dal_json_int64(s, &iv));
    cJSON_Delete(s);
    cJSON *raw = cJSON_CreateRaw("18446744073709551615");
    assert_true(dal_json_uint64(raw, &uv));
    assert_true(uv == UINT64_MAX);
    cJSON_Delete(raw);
    assert_false(dal_json_int64(NULL, &iv));
    assert_false(dal_json_uint64(NULL, &uv));
}

static void check_print_double(double d, const char *expected)
{
    cJSON *n = cJSON_CreateNumber(d);
    char *out = dal_json_print(n);
    assert_non_null(out);
    assert_string_equal(out, expected);
    free(out);
    cJSON_Delete(n);
}

static void test_print_numbers(void **state)
{
    (void)state;
    check_print_double(0, "0");
    check_print_double(-0.0, "-0");
    check_print_double(42, "42");
    check_print_double(-42, "-42");
    check_print_double(0.1, "0.1");
    check_print_double(0.5, "0.5");
    check_print_double(1.0 / 3.0, "0.3333333333333333");
    check_print_double(1e300, "1e+300");
    check_print_double(-1.5e-300, "-1.5e-300");
    check_print_double(9007199254740991.0, "9007199254740991");
    check_print_double(9007199254740992.0, "9007199254740992");
    check_print_double(18446744073709551616.0, "1.8446744073709552e+19");
    check_print_double(5e-324, "4.94065645841247e-324");
    check_print_double(NAN, "null");
    check_print_double(INFINITY, "null");
    check_print_double(-INFINITY, "null");
    /* every printed double reads back as itself */
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d))
            continue;
        cJSON *n = cJSON_CreateNumber(d);
        char *out = dal_json_print(n);
        cJSON *back = parse_ok(out);
        assert_true(back->valuedouble == d);
        free(out);
        cJSON_Delete(back);
        cJSON_Delete(n);
    }
    /* a number whose text is not JSON is printed from its double */
    cJSON *n = cJSON_CreateNumber(7);
    n->valuestring = malloc(4);
    memcpy(n->valuestring, "0x7", 4);
    char *out = dal_json_print(n);
    assert_string_equal(out, "7");
    free(out);
    cJSON_Delete(n);
}

static void test_print_strings_and_raw(void **state)
{
    (void)state;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "q\"k", cJSON_CreateString("a\"b\\c\x01\x1f\n/"));
    cJSON_AddItemToObject(o, "bad", cJSON_CreateString("x\xFFy\xC3z\xED\xA0\x80w"));
    cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("[1, 2]"));
    cJSON_AddItemToObject(o, "uni", cJSON_CreateString("żółw 🐢"));
    char *out = dal_json_print(o);
    assert_string_equal(out, "{\"q\\\"k\":\"a\\\"b\\\\c\\u0001\\u001f\\n/\","
                             "\"bad\":\"x\\ufffdy\\ufffdz\\ufffd\\ufffd\\ufffdw\","
                             "\"raw\":[1, 2],\"uni\":\"żółw 🐢\"}");
    free(out);
    cJSON_Delete(o);
    out = dal_json_print(NULL);
    assert_string_equal(out, "null");
    free(out);
}

static void test_depth_limit(void **state)
{
    (void)state;
    char buf[2 * 513 + 1];
    for (int depth = 511; depth <= 513; depth++) {
        memset(buf, '[', (size_t)depth);
        memset(buf + depth, ']', (size_t)depth);
        cJSON *j = NULL;
        dal_error err;
        dal_code rc = dal_json_parse(buf, 2 * (size_t)depth, &j, &err);
        if (depth <= 512) {
            assert_int_equal(rc, DAL_OK);
            char *out = dal_json_print(j);
            assert_int_equal(strlen(out), 2 * (size_t)depth);
            free(out);
            cJSON_Delete(j);
        } else {
            assert_int_equal(rc, DAL_ERR_SERIALIZATION);
            assert_string_equal(err.message,
                                "invalid JSON at offset 512: nesting deeper than 512 arrays/objects");
        }
    }
    /* objects count too */
    char obj[6 * 513 + 1 + 513];
    size_t n = 0;
    for (int i = 0; i < 513; i++)
        n += (size_t)sprintf(obj + n, "{\"a\":");
    n += (size_t)sprintf(obj + n, "1");
    for (int i = 0; i < 513; i++)
        obj[n++] = '}';
    dal_error err;
    cJSON *j = NULL;
    assert_int_equal(dal_json_parse(obj, n, &j, &err), DAL_ERR_SERIALIZATION);
    assert_string_equal(err.message, "invalid JSON at offset 2560: nesting deeper than 512 arrays/objects");
    assert_null(j);
}

static void test_malformed(void **state)
{
    (void)state;
    CHECK_ERROR("", "invalid JSON at offset 0: expected a value, got end of input");
    CHECK_ERROR("   ", "invalid JSON at offset 3: expected a value, got end of input");
    CHECK_ERROR("\xEF\xBB\xBF{}", "invalid JSON at offset 0: a byte order mark is not allowed");
    CHECK_ERROR("{} x", "invalid JSON at offset 3: expected end of input, got 'x'");
    CHECK_ERROR("1 2", "invalid JSON at offset 2: expected end of input, got '2'");
    CHECK_ERROR("nulls", "invalid JSON at offset 4: expected end of input, got 's'");
    CHECK_ERROR("tru", "invalid JSON at offset 3: expected 'true', got end of input");
    CHECK_ERROR("trUe", "invalid JSON at offset 2: expected 'true', got 'U'");
    CHECK_ERROR("nul", "invalid JSON at offset 3: expected 'null', got end of input");
    CHECK_ERROR("False", "invalid JSON at offset 0: expected a value, got 'F'");
    CHECK_ERROR("NaN", "invalid JSON at offset 0: expected a value, got 'N'");
    CHECK_ERROR("Infinity", "invalid JSON at offset 0: expected a value, got 'I'");
    CHECK_ERROR("-Infinity", "invalid JSON at offset 1: expected a digit, got 'I'");
    CHECK_ERROR("'a'", "invalid JSON at offset 0: expected a value, got '''");
    CHECK_ERROR("+1", "invalid JSON at offset 0: expected a value, got '+'");
    CHECK_ERROR(".5", "invalid JSON at offset 0: expected a value, got '.'");
    CHECK_ERROR("-", "invalid JSON at offset 1: expected a digit, got end of input");
    CHECK_ERROR("01", "invalid JSON at offset 1: expected no leading zeros: '.', 'e' or the end of the number, got '1'");
    CHECK_ERROR("-00", "invalid JSON at offset 2: expected no leading zeros: '.', 'e' or the end of the number, got '0'");
    CHECK_ERROR("1.", "invalid JSON at offset 2: expected a digit after '.', got end of input");
    CHECK_ERROR("1.e5", "invalid JSON at offset 2: expected a digit after '.', got 'e'");
    CHECK_ERROR("1e", "invalid JSON at offset 2: expected a digit in the exponent, got end of input");
    CHECK_ERROR("1e+", "invalid JSON at offset 3: expected a digit in the exponent, got end of input");
    CHECK_ERROR("0x10", "invalid JSON at offset 1: expected end of input, got 'x'");
    CHECK_ERROR("[", "invalid JSON at offset 1: expected a value, got end of input");
    CHECK_ERROR("[1", "invalid JSON at offset 2: expected ',' or ']', got end of input");
    CHECK_ERROR("[1,]", "invalid JSON at offset 3: expected a value, got ']'");
    CHECK_ERROR("[1 2]", "invalid JSON at offset 3: expected ',' or ']', got '2'");
    CHECK_ERROR("[1,,2]", "invalid JSON at offset 3: expected a value, got ','");
    CHECK_ERROR("]", "invalid JSON at offset 0: expected a value, got ']'");
    CHECK_ERROR("{", "invalid JSON at offset 1: expected a string key or '}', got end of input");
    CHECK_ERROR("{a:1}", "invalid JSON at offset 1: expected a string key or '}', got 'a'");
    CHECK_ERROR("{\"a\" 1}", "invalid JSON at offset 5: expected ':', got '1'");
    CHECK_ERROR("{\"a\":}", "invalid JSON at offset 5: expected a value, got '}'");
    CHECK_ERROR("{\"a\":1,}", "invalid JSON at offset 7: expected a string key, got '}'");
    CHECK_ERROR("{\"a\":1 \"b\":2}", "invalid JSON at offset 7: expected ',' or '}', got '\"'");
    CHECK_ERROR("{\"a\":1,\"a\":2}", "invalid JSON at offset 7: duplicate key \"a\"");
    CHECK_ERROR("{1:2}", "invalid JSON at offset 1: expected a string key or '}', got '1'");
    CHECK_ERROR("\"abc", "invalid JSON at offset 4: expected '\"' to close the string at offset 0, got end of input");
    CHECK_ERROR("\"abc\\\"", "invalid JSON at offset 6: expected '\"' to close the string at offset 0, got end of input");
    CHECK_ERROR("\"a\nb\"", "invalid JSON at offset 2: unescaped control character 0x0a in a string");
    CHECK_ERROR("\"a\tb\"", "invalid JSON at offset 2: unescaped control character 0x09 in a string");
    CHECK_ERROR("\"\\x\"", "invalid JSON at offset 2: expected an escape: one of \" \\ / b f n r t u, got 'x'");
    CHECK_ERROR("\"\\u12\"", "invalid JSON at offset 5: expected 4 hex digits after \\u, got '\"'");
    CHECK_ERROR("\"\\u12G4\"", "invalid JSON at offset 5: expected 4 hex digits after \\u, got 'G'");
    CHECK_ERROR("\"\\u0000\"", "invalid JSON at offset 1: \\u0000 is not supported (strings are NUL-terminated)");
    CHECK_ERROR("\"\\udc00\"", "invalid JSON at offset 1: unpaired low surrogate in \\u escape");
    CHECK_ERROR("\"\\ud800\"",
                "invalid JSON at offset 1: high surrogate in \\u escape not followed by a \\u low surrogate");
    CHECK_ERROR("\"\\ud800x\"",
                "invalid JSON at offset 1: high surrogate in \\u escape not followed by a \\u low surrogate");
    CHECK_ERROR("\"\\ud800\\n\"",
                "invalid JSON at offset 1: high surrogate in \\u escape not followed by a \\u low surrogate");
    CHECK_ERROR("\"\\ud800\\ud800\"",
                "invalid JSON at offset 7: expected a low surrogate \\uDC00..\\uDFFF after a high surrogate");
    CHECK_ERROR("\"\\ud800\\u00\"", "invalid JSON at offset 11: expected 4 hex digits after \\u, got '\"'");
    CHECK_ERROR("\"\xFF\"", "invalid JSON at offset 1: invalid UTF-8 byte 0xff in a string");
    CHECK_ERROR("\"\x80\"", "invalid JSON at offset 1: invalid UTF-8 byte 0x80 in a string");
    CHECK_ERROR("\"\xC0\x80\"", "invalid JSON at offset 1: invalid UTF-8 byte 0xc0 in a string");
    CHECK_ERROR("\"\xC1\xBF\"", "invalid JSON at offset 1: invalid UTF-8 byte 0xc1 in a string");
    CHECK_ERROR("\"\xE0\x80\xAF\"", "invalid JSON at offset 2: invalid UTF-8 continuation byte 0x80 in a string");
    CHECK_ERROR("\"\xED\xA0\x80\"", "invalid JSON at offset 2: invalid UTF-8 continuation byte 0xa0 in a string");
    CHECK_ERROR("\"\xF0\x80\x80\x80\"", "invalid JSON at offset 2: invalid UTF-8 continuation byte 0x80 in a string");
    CHECK_ERROR("\"\xF4\x90\x80\x80\"", "invalid JSON at offset 2: invalid UTF-8 continuation byte 0x90 in a string");
    CHECK_ERROR("\"\xF5\x80\x80\x80\"", "invalid JSON at offset 1: invalid UTF-8 byte 0xf5 in a string");
    CHECK_ERROR("\"\xE2\x82\"", "invalid JSON at offset 3: invalid UTF-8 continuation byte 0x22 in a string");
    CHECK_ERROR("\"\xE2\x82x\"", "invalid JSON at offset 3: invalid UTF-8 continuation byte 0x78 in a string");
    CHECK_ERROR("[\x01]", "invalid JSON at offset 1: expected a value, got byte 0x01");
    CHECK_ERROR("[1]\x00", "invalid JSON at offset 3: expected end of input, got byte 0x00");
    CHECK_ERROR("\"a\000b\"", "invalid JSON at offset 2: unescaped control character 0x00 in a string");
    CHECK_ERROR("\xC3\xA9", "invalid JSON at offset 0: expected a value, got byte 0xc3");
    CHECK_ERROR("[1]\xC2\xA0", "invalid JSON at offset 3: expected end of input, got byte 0xc2");
    CHECK_ERROR("\f1", "invalid JSON at offset 0: expected a value, got byte 0x0c");
}

static void test_duplicate_keys_large_object(void **state)
{
    (void)state;
    char text[4096];
    size_t n = 0;
    text[n++] = '{';
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(text + n, "%s\"k%d\":%d", i ? "," : "", i, i);
    text[n++] = '}';
    text[n] = '\0';
    cJSON *j = parse_ok(text);
    assert_int_equal(cJSON_GetArraySize(j), 100);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "k57")->valueint, 57);
    cJSON_Delete(j);
    /* the same with k3 again at the end */
    n--;
    size_t at = n + 1;
    n += (size_t)sprintf(text + n, ",\"k3\":0}");
    dal_error err;
    j = NULL;
    assert_int_equal(dal_json_parse(text, n, &j, &err), DAL_ERR_SERIALIZATION);
    char expected[96];
    snprintf(expected, sizeof expected, "invalid JSON at offset %zu: duplicate key \"k3\"", at);
    assert_string_equal(err.message, expected);
    /* keys differing only in case or escapes of the same text */
    CHECK_ERROR("{\"A\":1,\"\\u0041\":2}", "invalid JSON at offset 7: duplicate key \"A\"");
    j = parse_ok("{\"a\":1,\"A\":2}");
    cJSON_Delete(j);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    dal_error err;
    cJSON *j = NULL;
    assert_int_equal(dal_json_parse("1", 1, NULL, &err), DAL_ERR_INVALID);
    assert_int_equal(dal_json_parse(NULL, 3, &j, &err), DAL_ERR_INVALID);
    assert_int_equal(dal_json_parse(NULL, 0, &j, &err), DAL_ERR_SERIALIZATION);
    assert_int_equal(dal_json_parse("[1,2]", 2, &j, NULL), DAL_ERR_SERIALIZATION); /* length is honoured */
    assert_int_equal(dal_json_parse("[1,2]xyz", 5, &j, NULL), DAL_OK);
    cJSON_Delete(j);
}

static bool eq(const char *a, const char *b)
{
    cJSON *x = parse_ok(a), *y = parse_ok(b);
    bool r = dal_json_equal(x, y);
    assert_true(dal_json_equal(y, x) == r);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return r;
}

static void test_equal(void **state)
{
    (void)state;
    assert_true(eq("{\"a\":1,\"b\":[1,2,{\"c\":null}]}", "{\"b\":[1,2,{\"c\":null}],\"a\":1}"));
    assert_false(eq("[1,2]", "[2,1]"));
    assert_false(eq("{\"a\":1}", "{\"a\":1,\"b\":2}"));
    assert_false(eq("{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":2}"));
    assert_true(eq("1", "1.0"));
    assert_true(eq("100", "1e2"));
    assert_true(eq("0.5", "5e-1"));
    assert_true(eq("-0", "0"));
    assert_true(eq("0.0", "-0e10"));
    assert_false(eq("1", "-1"));
    assert_false(eq("0.1", "0.10000000000000001")); /* the same double, different numbers */
    assert_false(eq("18446744073709551615", "18446744073709551614"));
    assert_true(eq("18446744073709551615", "1844674407370955161.5e1"));
    assert_false(eq("1", "\"1\""));
    assert_false(eq("true", "1"));
    assert_false(eq("null", "false"));
    assert_false(eq("[]", "{}"));
    assert_true(eq("\"żółw\"", "\"\\u017c\\u00f3\\u0142w\""));
    assert_false(eq("\"a\"", "\"A\""));

    /* NULL is JSON null; numbers without text compare as doubles */
    cJSON *null_node = cJSON_CreateNull();
    assert_true(dal_json_equal(NULL, null_node));
    assert_true(dal_json_equal(NULL, NULL));
    cJSON *parsed = parse_ok("0.5");
    cJSON *made = cJSON_CreateNumber(0.5);
    assert_true(dal_json_equal(parsed, made));
    cJSON_SetNumberValue(made, 0.25);
    assert_false(dal_json_equal(parsed, made));
    cJSON *raw = cJSON_CreateRaw("5e-1");
    assert_true(dal_json_equal(parsed, raw));
    cJSON_Delete(raw);
    cJSON_Delete(made);
    cJSON_Delete(parsed);
    cJSON_Delete(null_node);
}

/* Every number's double is strtod's, on both sides of the short-integer path
 * (at most 15 digits are summed, longer texts go to strtod). */
static void test_number_doubles_match_strtod(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "0", "-0", "7", "-7", "999999999999999", "-999999999999999", "100000000000000",
        "1000000000000000", "9007199254740993", "-9007199254740993", "123456789012345678901234567890",
        "1.5", "-0.25", "1e3", "12E-2", "00", "0.1", "18446744073709551615",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cJSON *j = NULL;
        dal_error err;
        dal_code rc = dal_json_parse(texts[i], strlen(texts[i]), &j, &err);
        if (strcmp(texts[i], "00") == 0) { /* a leading zero is not JSON */
            assert_int_equal(rc, DAL_ERR_SERIALIZATION);
            continue;
        }
        assert_int_equal(rc, DAL_OK);
        double want = strtod(texts[i], NULL);
        if (j->valuedouble != want || signbit(j->valuedouble) != signbit(want))
            fail_msg("%s: parsed %.17g, strtod gives %.17g", texts[i], j->valuedouble, want);
        cJSON_Delete(j);
    }
}

/* The decimal point of the locale must not leak into JSON. */
static void test_locale_independent(void **state)
{
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8"};
    const char *found = NULL;
    for (size_t i = 0; i < 4 && found == NULL; i++)
        found = setlocale(LC_NUMERIC, names[i]);
    if (found == NULL || strcmp(localeconv()->decimal_point, ".") == 0) {
        setlocale(LC_NUMERIC, "C");
        skip();
    }
    cJSON *j = parse_ok("[1.5,2.25e1]");
    assert_true(cJSON_GetArrayItem(j, 0)->valuedouble == 1.5);
    assert_true(cJSON_GetArrayItem(j, 1)->valuedouble == 22.5);
    cJSON_Delete(j);
    check_print_double(0.1, "0.1");
    check_print_double(-2.5e-7, "-2.5e-07");
    setlocale(LC_NUMERIC, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_number_text_kept),
        cmocka_unit_test(test_exact_integers),
        cmocka_unit_test(test_print_numbers),
        cmocka_unit_test(test_print_strings_and_raw),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_duplicate_keys_large_object),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_number_doubles_match_strtod),
        cmocka_unit_test(test_locale_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
