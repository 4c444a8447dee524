/*
 * test_fixture.h - a fully populated t_thing with edge values in every field,
 * and the exact JSON dal_record_to_json must write for it.
 */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "test_model.h"

#define FIX_MIN_US INT64_C(-62167219200000000) /* 0000-01-01T00:00:00Z */
#define FIX_MAX_US INT64_C(253402300799999999) /* 9999-12-31T23:59:59.999999Z */

static const char fixture_json[] =
    "{\"id\":\"0190a6b2-7c1e-7abc-8def-0123456789ab\","
    "\"token\":\"5f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b\","
    "\"name\":\"żółw 🐢\",\"label\":\"\",\"note\":null,"
    "\"count\":-9223372036854775808,\"small\":-2147483648,\"retries\":4294967295,"
    "\"seq\":18446744073709551615,\"ratio\":0.1,\"flag\":false,"
    "\"created_at\":\"1969-12-31T23:59:59.999999Z\",\"due\":\"2100-03-01T00:00:00.123456Z\","
    "\"color\":\"blue_sky\",\"level\":\"below\","
    "\"payload\":{\"a\":[1,2.5,\"x\"],\"big\":18446744073709551615},\"extra\":null,"
    "\"tags\":{\"k\":\"v\",\"empty\":\"\"},\"meta\":{\"nested\":{\"deep\":true}},"
    "\"opt_int\":9223372036854775807,\"opt_i32\":null,\"opt_u32\":0,"
    "\"opt_u64\":18446744073709551615,\"opt_real\":-2.5,\"opt_bool\":true,"
    "\"opt_ts\":\"0000-01-01T00:00:00.000000Z\",\"opt_uuid\":\"00000000-0000-0000-0000-000000000000\","
    "\"opt_color\":null,\"opt_level\":\"high\",\"opt_json\":\"hi \\\"there\\\"\\n\","
    "\"opt_tags\":null,\"opt_meta\":{},"
    "\"texts\":[\"\",\"a\",\"żółw 🐢\"],"
    "\"ints\":[-9223372036854775808,0,9223372036854775807],"
    "\"i32s\":[-1,2147483647],\"u32s\":[0,4294967295],\"u64s\":[18446744073709551615,0],"
    "\"reals\":[0.5,-1e-300,3],\"bools\":[true,false],"
    "\"stamps\":[\"1969-12-31T23:59:59.999999Z\",\"9999-12-31T23:59:59.999999Z\"],"
    "\"uuids\":[\"0190a6b2-7c1e-7abc-8def-0123456789ac\"],"
    "\"colors\":[\"red\",\"blue_sky\"],\"levels\":[\"below\",\"high\",\"low\"]}";

static void *fixture_dup(const void *src, size_t size)
{
    void *p = malloc(size);
    if (p != NULL)
        memcpy(p, src, size);
    return p;
}

static char *fixture_str(const char *s)
{
    return fixture_dup(s, strlen(s) + 1);
}

static cJSON *fixture_parse(const char *text)
{
    cJSON *j = NULL;
    if (dal_json_parse(text, strlen(text), &j, NULL) != DAL_OK)
        abort();
    return j;
}

#define FIX_LIST(list, ...)                                                        \
    do {                                                                           \
        static const __typeof__(*(list).v) items_[] = {__VA_ARGS__};               \
        (list).n = sizeof items_ / sizeof items_[0];                               \
        (list).v = fixture_dup(items_, sizeof items_);                             \
    } while (0)

/* Fills t (uninitialized) with the values fixture_json describes. */
static void fixture_fill(t_thing *t)
{
    memset(t, 0, sizeof *t);
    strcpy(t->id, "0190a6b2-7c1e-7abc-8def-0123456789ab");
    strcpy(t->token, "5f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b");
    t->name = fixture_str("żółw 🐢");
    t->label = fixture_str("");
    t->note = NULL;
    t->count = INT64_MIN;
    t->small = INT32_MIN;
    t->retries = UINT32_MAX;
    t->seq = UINT64_MAX;
    t->ratio = 0.1;
    t->flag = false;
    t->created_at = -1;
    t->due = INT64_C(4107542400000000) + 123456;
    t->color = T_COLOR_BLUE_SKY;
    t->level = T_LEVEL_BELOW;
    t->payload = fixture_parse("{\"a\":[1,2.5,\"x\"],\"big\":18446744073709551615}");
    t->extra = NULL;
    t->tags = fixture_parse("{\"k\":\"v\",\"empty\":\"\"}");
    t->meta = fixture_parse("{\"nested\":{\"deep\":true}}");
    t->has_opt_int = true;
    t->opt_int = INT64_MAX;
    t->has_opt_i32 = false;
    t->opt_i32 = 99; /* stale value behind an absent flag: ignored */
    t->has_opt_u32 = true;
    t->opt_u32 = 0;
    t->has_opt_u64 = true;
    t->opt_u64 = UINT64_MAX;
    t->has_opt_real = true;
    t->opt_real = -2.5;
    t->has_opt_bool = true;
    t->opt_bool = true;
    t->has_opt_ts = true;
    t->opt_ts = FIX_MIN_US;
    t->has_opt_uuid = true;
    strcpy(t->opt_uuid, "00000000-0000-0000-0000-000000000000");
    t->has_opt_color = false;
    t->has_opt_level = true;
    t->opt_level = T_LEVEL_HIGH;
    t->opt_json = fixture_parse("\"hi \\\"there\\\"\\n\"");
    t->opt_tags = NULL;
    t->opt_meta = fixture_parse("{}");
    t->texts.n = 3;
    t->texts.v = malloc(3 * sizeof(char *));
    t->texts.v[0] = fixture_str("");
    t->texts.v[1] = fixture_str("a");
    t->texts.v[2] = fixture_str("żółw 🐢");
    FIX_LIST(t->ints, INT64_MIN, 0, INT64_MAX);
    FIX_LIST(t->i32s, -1, INT32_MAX);
    FIX_LIST(t->u32s, 0, UINT32_MAX);
    FIX_LIST(t->u64s, UINT64_MAX, 0);
    FIX_LIST(t->reals, 0.5, -1e-300, 3.0);
    FIX_LIST(t->bools, true, false);
    FIX_LIST(t->stamps, -1, FIX_MAX_US);
    FIX_LIST(t->uuids, {"0190a6b2-7c1e-7abc-8def-0123456789ac"});
    FIX_LIST(t->colors, T_COLOR_RED, T_COLOR_BLUE_SKY);
    FIX_LIST(t->levels, T_LEVEL_BELOW, T_LEVEL_HIGH, T_LEVEL_LOW);
}

#endif /* TEST_FIXTURE_H */
