/* Generic records over the hand-written test model: defaults, clear, copy,
 * equality, JSON both ways, field access. */
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
#include "test_fixture.h"
#include "test_model.h"

static const dal_model *M = &t_thing_model;

static const dal_field *field(int i)
{
    return &t_thing_model.fields[i];
}

static char *to_json(const t_thing *t)
{
    char *text = dal_record_to_json(M, t);
    assert_non_null(text);
    return text;
}

static void from_json_ok(t_thing *t, const char *text)
{
    dal_error err = {DAL_OK, ""};
    if (dal_record_from_json(M, t, text, &err) != DAL_OK)
        fail_msg("from_json failed: %s", err.message);
}

static bool json_is(const cJSON *j, const char *text)
{
    char *out = dal_json_print(j);
    bool same = strcmp(out, text) == 0;
    if (!same)
        print_error("json is %s, expected %s\n", out, text);
    free(out);
    return same;
}

/* ------------------------------------------------------------------------ */

static void test_init_defaults(void **state)
{
    (void)state;
    int64_t before = dal_now_us();
    t_thing t;
    memset(&t, 0xAB, sizeof t); /* init must not rely on a zeroed struct */
    dal_record_init(M, &t);
    int64_t after = dal_now_us();

    assert_true(dal_uuid_valid(t.id));
    assert_int_equal(t.id[14], '7');
    assert_true(dal_uuid_valid(t.token));
    assert_int_equal(t.token[14], '4');
    assert_null(t.name);
    assert_string_equal(t.label, "hello");
    assert_null(t.note);
    assert_int_equal(t.count, -42);
    assert_int_equal(t.small, -7);
    assert_int_equal(t.retries, 3);
    assert_true(t.seq == 0);
    assert_true(t.ratio == 0.5);
    assert_true(t.flag);
    assert_true(t.created_at >= before && t.created_at <= after);
    assert_int_equal(t.due, 0);
    assert_int_equal(t.color, T_COLOR_GREEN);
    assert_int_equal(t.level, T_LEVEL_MID);
    assert_true(json_is(t.payload, "{}"));
    assert_null(t.extra);
    assert_true(json_is(t.tags, "{}"));
    assert_null(t.meta);
    assert_false(t.has_opt_int);
    assert_true(t.has_opt_i32);
    assert_int_equal(t.opt_i32, 7);
    assert_false(t.has_opt_u32);
    assert_false(t.has_opt_u64);
    assert_false(t.has_opt_real);
    assert_false(t.has_opt_bool);
    assert_false(t.has_opt_ts);
    assert_false(t.has_opt_uuid);
    assert_false(t.has_opt_color);
    assert_true(t.has_opt_level);
    assert_int_equal(t.opt_level, T_LEVEL_HIGH);
    assert_null(t.opt_json);
    assert_null(t.opt_tags);
    assert_true(json_is(t.opt_meta, "{}"));
    assert_int_equal(t.texts.n, 0);
    assert_null(t.texts.v);
    assert_int_equal(t.levels.n, 0);

    /* two records get different ids, increasing */
    t_thing u;
    dal_record_init(M, &u);
    assert_true(strcmp(t.id, u.id) < 0);
    assert_string_not_equal(t.token, u.token);

    /* a default record serializes and reads back as itself */
    char *text = to_json(&t);
    t_thing back;
    dal_record_init(M, &back);
    from_json_ok(&back, text);
    assert_true(dal_record_equal(M, &t, &back));
    free(text);
    dal_record_clear(M, &back);
    dal_record_clear(M, &u);
    dal_record_clear(M, &t);
}

static void test_clear(void **state)
{
    (void)state;
    t_thing t, zero;
    fixture_fill(&t);
    memset(&zero, 0, sizeof zero);
    dal_record_clear(M, &t);
    assert_memory_equal(&t, &zero, sizeof t);
    dal_record_clear(M, &t); /* twice is fine */
    dal_record_clear(M, NULL);
    dal_record_clear(NULL, &t);
}

static void test_copy(void **state)
{
    (void)state;
    t_thing src, dst;
    fixture_fill(&src);
    dal_record_init(M, &dst); /* its old contents must be freed by the copy */
    dal_strset(&dst.name, "old name");
    dal_text_list_push(&dst.texts, "old");
    dal_error err;
    assert_int_equal(dal_record_copy(M, &dst, &src, &err), DAL_OK);
    assert_true(dal_record_equal(M, &src, &dst));
    /* deep: nothing is shared */
    assert_ptr_not_equal(src.name, dst.name);
    assert_ptr_not_equal(src.payload, dst.payload);
    assert_ptr_not_equal(src.texts.v, dst.texts.v);
    assert_ptr_not_equal(src.texts.v[2], dst.texts.v[2]);
    assert_ptr_not_equal(src.ints.v, dst.ints.v);
    assert_ptr_not_equal(src.levels.v, dst.levels.v);
    dst.texts.v[1][0] = 'b';
    cJSON_AddNumberToObject(dst.meta, "more", 1);
    assert_string_equal(src.texts.v[1], "a");
    assert_true(json_is(src.meta, "{\"nested\":{\"deep\":true}}"));
    assert_false(dal_record_equal(M, &src, &dst));
    /* dst == src is a no-op */
    assert_int_equal(dal_record_copy(M, &src, &src, &err), DAL_OK);
    char *text = to_json(&src);
    assert_string_equal(text, fixture_json);
    free(text);
    assert_int_equal(dal_record_copy(M, NULL, &src, &err), DAL_ERR_INVALID);
    dal_record_clear(M, &src);
    dal_record_clear(M, &dst);
}

/* A copy into a record that holds values keeps the buffers the new values
 * fit (a text no longer than the old one, JSON of the same shape whose
 * strings fit, a list of plain values no longer than the old one) and gives
 * the same record as a copy into an empty one. */
static void test_copy_reuses_fitting_buffers(void **state)
{
    (void)state;
    t_thing src, dst;
    fixture_fill(&src);
    fixture_fill(&dst);
    assert_true(dal_strset(&dst.name, "an old name, longer than the new one"));
    cJSON_Delete(dst.payload); /* the shape of src's, every string at least as long */
    dst.payload = fixture_parse("{\"a\":[7,8.5,\"xyz\"],\"big\":99999999999999999999}");
    cJSON_Delete(dst.meta); /* another shape: true where src has an object */
    dst.meta = fixture_parse("{\"nested\":true}");
    int64_t more[] = {1, 2, 3, 4};
    free(dst.ints.v);
    dst.ints.n = 4;
    dst.ints.v = fixture_dup(more, sizeof more);
    const void *name = dst.name, *payload = dst.payload, *ints_v = dst.ints.v;

    dal_error err;
    assert_int_equal(dal_record_copy(M, &dst, &src, &err), DAL_OK);
    assert_true(dal_record_equal(M, &dst, &src));
    assert_ptr_equal(dst.name, name); /* reused */
    assert_ptr_equal(dst.payload, payload);
    assert_ptr_equal(dst.ints.v, ints_v);
    assert_int_equal(dst.ints.n, 3);
    assert_ptr_not_equal(dst.meta, src.meta); /* copied, nothing shared */
    assert_true(json_is(dst.meta, "{\"nested\":{\"deep\":true}}"));
    char *text = to_json(&dst);
    assert_string_equal(text, fixture_json);
    free(text);
    /* dst owns its values: changing src leaves it alone */
    src.name[0] = 'Z';
    cJSON_ReplaceItemInObject(src.payload, "big", cJSON_CreateNumber(1));
    assert_true(json_is(dst.payload, "{\"a\":[1,2.5,\"x\"],\"big\":18446744073709551615}"));
    assert_string_equal(dst.name, "żółw 🐢");

    /* a longer text and a longer list need new buffers */
    assert_true(dal_strset(&src.name, "a name longer than any name before, by far"));
    int64_t five[] = {5, 4, 3, 2, 1};
    free(src.ints.v);
    src.ints.n = 5;
    src.ints.v = fixture_dup(five, sizeof five);
    assert_int_equal(dal_record_copy(M, &dst, &src, &err), DAL_OK);
    assert_true(dal_record_equal(M, &dst, &src));
    assert_ptr_not_equal(dst.name, src.name);
    assert_ptr_not_equal(dst.ints.v, src.ints.v);
    dal_record_clear(M, &src);
    dal_record_clear(M, &dst);
}

/* ---- random records for the copy property test ---------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* A short string from a small alphabet: shapes and lengths repeat often. */
static void rnd_word(char *buf, size_t size)
{
    size_t n = rnd(6);
    for (size_t i = 0; i < n && i + 1 < size; i++)
        buf[i] = "abxy"[rnd(4)];
    buf[n < size ? n : size - 1] = '\0';
}

/* Random JSON text; objects use distinct keys from a small set. */
static void rnd_json(char *buf, size_t size, size_t *used, int depth, bool object)
{
#define PUT(...) (*used += (size_t)snprintf(buf + *used, *used < size ? size - *used : 0, __VA_ARGS__))
    unsigned kind = object ? 6 : rnd(depth > 2 ? 5 : 7);
    char w[8];
    switch (kind) {
    case 0: PUT("null"); break;
    case 1: PUT(rnd(2) ? "true" : "false"); break;
    case 2: PUT("%d", (int)rnd(2000) - 1000); break;
    case 3: PUT("%u.%u", rnd(100), rnd(100)); break;
    case 4: rnd_word(w, sizeof w); PUT("\"%s\"", w); break;
    case 5: {
        unsigned n = rnd(4);
        PUT("[");
        for (unsigned i = 0; i < n; i++) {
            if (i)
                PUT(",");
            rnd_json(buf, size, used, depth + 1, false);
        }
        PUT("]");
        break;
    }
    default: {
        static const char *const keys[] = {"a", "b", "cc", "dd"};
        PUT("{");
        bool first = true;
        for (unsigned k = 0; k < 4; k++) {
            if (rnd(2))
                continue;
            PUT("%s\"%s\":", first ? "" : ",", keys[k]);
            first = false;
            rnd_json(buf, size, used, depth + 1, false);
        }
        PUT("}");
        break;
    }
    }
#undef PUT
}

static cJSON *rnd_tree(bool object)
{
    char buf[4096];
    size_t used = 0;
    rnd_json(buf, sizeof buf, &used, 0, object);
    assert_true(used < sizeof buf);
    return fixture_parse(buf);
}

/* t (initialized) gets random texts, JSON values and lists. */
static void rnd_thing(t_thing *t)
{
    char w[8];
    rnd_word(w, sizeof w);
    assert_true(dal_strset(&t->name, w));
    rnd_word(w, sizeof w);
    assert_true(dal_strset(&t->note, rnd(3) ? w : NULL));
    cJSON_Delete(t->payload);
    t->payload = rnd_tree(false);
    cJSON_Delete(t->meta);
    t->meta = rnd_tree(true);
    cJSON_Delete(t->opt_json);
    t->opt_json = rnd(3) ? rnd_tree(false) : NULL;
    free(t->ints.v);
    t->ints.n = rnd(5);
    t->ints.v = t->ints.n ? malloc(t->ints.n * sizeof *t->ints.v) : NULL;
    for (size_t i = 0; i < t->ints.n; i++)
        t->ints.v[i] = (int64_t)rnd(100);
    for (unsigned i = rnd(3); i > 0; i--) {
        rnd_word(w, sizeof w);
        assert_true(dal_text_list_push(&t->texts, w));
    }
}

/* Property: copying a random record into another random record (whose
 * buffers sometimes fit and sometimes do not) gives an equal record that owns
 * its values. Under ASan a wrong fit check is an overflow. */
static void test_copy_random_records(void **state)
{
    (void)state;
    t_thing src, dst;
    dal_record_init(M, &src);
    dal_record_init(M, &dst);
    int reused = 0;
    for (int round = 0; round < 3000; round++) {
        rnd_thing(&src);
        if (round % 7 == 0) { /* now and then start from an empty record */
            dal_record_clear(M, &dst);
            dal_record_init(M, &dst);
        }
        const void *old_payload = dst.payload;
        dal_error err;
        assert_int_equal(dal_record_copy(M, &dst, &src, &err), DAL_OK);
        reused += old_payload != NULL && dst.payload == old_payload;
        char *want = to_json(&src);
        char *got = to_json(&dst);
        assert_string_equal(got, want);
        assert_true(dal_record_equal(M, &dst, &src));
        dal_record_clear(M, &src); /* dst must not depend on src */
        dal_record_init(M, &src);
        free(got);
        got = to_json(&dst);
        assert_string_equal(got, want);
        free(got);
        free(want);
    }
    assert_true(reused > 100); /* the in-place path was taken, often */
    dal_record_clear(M, &src);
    dal_record_clear(M, &dst);
}

/* Changes field i of t to a different value (through dal_field_set). */
static void mutate(t_thing *t, int i)
{
    const dal_field *f = field(i);
    dal_value v = dal_field_value(f, t);
    dal_error err;
    if (f->flags & DAL_F_LIST) {
        /* the fixture's lists are non-empty: make one empty */
        assert_true(v.as.list.n > 0);
        v.as.list.n = 0;
    } else if ((f->flags & DAL_F_OPTIONAL) && dal_field_present(f, t)) {
        v.is_null = true;
    } else {
        v.is_null = false;
        switch (f->type) {
        case DAL_TEXT: v.as.s = "different"; break;
        case DAL_UUID: v.as.s = "11111111-2222-4333-8444-555555555555"; break;
        case DAL_INT:
        case DAL_I32:
        case DAL_TIMESTAMP: v.as.i = 12; break;
        case DAL_U32:
        case DAL_U64: v.as.u = 12; break;
        case DAL_REAL: v.as.d = 12.5; break;
        case DAL_BOOL: v.as.i = !v.as.i; break;
        case DAL_ENUM: v.as.i = f->enumt == &t_level_enum ? T_LEVEL_LOW : T_COLOR_GREEN; break;
        case DAL_JSON:
        case DAL_MAP_TEXT:
        case DAL_MAP_JSON: v.type = DAL_TEXT; v.as.s = "{\"other\":\"x\"}"; break;
        }
    }
    if (dal_field_set(f, t, &v, &err) != DAL_OK)
        fail_msg("mutating %s: %s", f->name, err.message);
}

static void test_equal_sees_every_field(void **state)
{
    (void)state;
    t_thing a, b;
    fixture_fill(&a);
    for (int i = 0; i < T_THING_FIELD_COUNT; i++) {
        dal_record_init(M, &b);
        assert_int_equal(dal_record_copy(M, &b, &a, NULL), DAL_OK);
        assert_true(dal_record_equal(M, &a, &b));
        mutate(&b, i);
        if (dal_record_equal(M, &a, &b))
            fail_msg("changing %s went unnoticed", field(i)->name);
        assert_false(dal_record_equal(M, &b, &a));
        dal_record_clear(M, &b);
    }
    assert_true(dal_record_equal(M, &a, &a));
    assert_false(dal_record_equal(M, &a, NULL));
    dal_record_clear(M, &a);
}

static void test_equal_semantics(void **state)
{
    (void)state;
    t_thing a, b;
    fixture_fill(&a);
    fixture_fill(&b);
    /* required text: NULL is "" */
    dal_strset(&a.label, NULL);
    assert_true(dal_record_equal(M, &a, &b));
    /* optional text: NULL (absent) is not "" */
    dal_strset(&a.note, "");
    assert_false(dal_record_equal(M, &a, &b));
    dal_strset(&a.note, NULL);
    /* absent optionals ignore their stale value */
    b.opt_i32 = -1;
    b.has_opt_color = false;
    b.opt_color = T_COLOR_GREEN;
    assert_true(dal_record_equal(M, &a, &b));
    /* NaN equals NaN; -0 equals 0 */
    a.ratio = b.ratio = NAN;
    assert_true(dal_record_equal(M, &a, &b));
    a.ratio = -0.0;
    b.ratio = 0.0;
    assert_true(dal_record_equal(M, &a, &b));
    /* uuids compare case-insensitively */
    strcpy(a.id, "0190A6B2-7C1E-7ABC-8DEF-0123456789AB");
    assert_true(dal_record_equal(M, &a, &b));
    /* json: key order does not matter; NULL is null */
    cJSON_Delete(a.meta);
    a.meta = fixture_parse("{ \"nested\" : { \"deep\" : true } }");
    assert_true(dal_record_equal(M, &a, &b));
    a.extra = cJSON_CreateNull();
    assert_true(dal_record_equal(M, &a, &b));
    cJSON_Delete(b.payload);
    b.payload = fixture_parse("{\"big\":18446744073709551615,\"a\":[1,2.5,\"x\"]}");
    assert_true(dal_record_equal(M, &a, &b));
    cJSON_Delete(b.payload);
    b.payload = fixture_parse("{\"big\":18446744073709551614,\"a\":[1,2.5,\"x\"]}");
    assert_false(dal_record_equal(M, &a, &b));
    cJSON_Delete(b.payload);
    b.payload = fixture_parse("{\"a\":[1,2.5,\"x\"],\"big\":18446744073709551615}");
    /* required map: NULL is {}; optional map: NULL (absent) is not {} */
    cJSON_Delete(a.tags);
    cJSON_Delete(b.tags);
    a.tags = NULL;
    b.tags = cJSON_CreateObject();
    assert_true(dal_record_equal(M, &a, &b));
    cJSON_Delete(a.opt_meta);
    a.opt_meta = NULL;
    assert_false(dal_record_equal(M, &a, &b));
    dal_record_clear(M, &a);
    dal_record_clear(M, &b);
}

static void test_to_json_exact(void **state)
{
    (void)state;
    t_thing t;
    fixture_fill(&t);
    char *text = to_json(&t);
    assert_string_equal(text, fixture_json);
    free(text);

    /* to_cjson: the same tree, with its own copies of the keys */
    cJSON *j = dal_record_to_cjson(M, &t);
    assert_non_null(j);
    assert_true(json_is(j, fixture_json));
    assert_ptr_not_equal(j->child->string, t_thing_model.fields[0].name);
    assert_false(j->child->type & cJSON_StringIsConst);
    cJSON_Delete(j);
    assert_null(dal_record_to_cjson(M, NULL));
    dal_record_clear(M, &t);
}

static void test_from_json_round_trip(void **state)
{
    (void)state;
    t_thing expect, t;
    fixture_fill(&expect);
    dal_record_init(M, &t);
    from_json_ok(&t, fixture_json);
    assert_true(dal_record_equal(M, &t, &expect));
    assert_true(t.seq == UINT64_MAX);
    assert_true(t.count == INT64_MIN);
    assert_true(t.u64s.v[0] == UINT64_MAX);
    assert_int_equal(t.created_at, -1);
    assert_int_equal(t.stamps.v[1], FIX_MAX_US);
    assert_string_equal(t.name, "żółw 🐢");
    assert_string_equal(t.label, "");
    assert_null(t.extra);
    assert_false(t.has_opt_i32);
    char *text = to_json(&t);
    assert_string_equal(text, fixture_json);
    free(text);

    /* from_cjson of to_cjson's tree */
    cJSON *j = dal_record_to_cjson(M, &expect);
    t_thing u;
    dal_record_init(M, &u);
    assert_int_equal(dal_record_from_cjson(M, &u, j, NULL), DAL_OK);
    assert_true(dal_record_equal(M, &u, &expect));
    cJSON_Delete(j);
    dal_record_clear(M, &u);
    dal_record_clear(M, &t);
    dal_record_clear(M, &expect);
}

/* What the original crate's serde writes: chrono timestamps with 3 or 9
 * fractional digits or +00:00, other key order, extra keys, optionals left
 * out, fields with defaults left out. */
static void test_from_json_serde_style(void **state)
{
    (void)state;
    static const char serde[] =
        "{\n  \"levels\": [], \"colors\": [\"green\"], \"stamps\": [\"2024-03-10T12:00:00+00:00\"],\n"
        "  \"bools\": [], \"reals\": [1e3, -0.0], \"u64s\": [42], \"u32s\": [], \"i32s\": [], \"ints\": [],\n"
        "  \"unknown_key\": {\"ignored\": [1, 2, 3]},\n"
        "  \"meta\": {\"x\": [1, {\"y\": null}]},\n"
        "  \"extra\": [\"any\", 1, true],\n"
        "  \"due\": \"2024-03-10T12:34:56.789Z\",\n"
        "  \"created_at\": \"2024-03-10T12:34:56.123456789+00:00\",\n"
        "  \"opt_ts\": \"1969-07-20T20:17:40.000000001-05:00\",\n"
        "  \"opt_color\": null, \"opt_real\": 3,\n"
        "  \"name\": \"agent \\u017c\\ud83d\\udc22\",\n"
        "  \"id\": \"0190A6B2-7C1E-7ABC-8DEF-0123456789AB\",\n"
        "  \"seq\": 7\n}";
    t_thing t;
    dal_record_init(M, &t);
    int64_t before = dal_now_us();
    from_json_ok(&t, serde);
    assert_string_equal(t.id, "0190a6b2-7c1e-7abc-8def-0123456789ab");
    assert_string_equal(t.name, "agent ż🐢");
    int64_t us;
    assert_true(dal_time_parse("2024-03-10T12:34:56.789000Z", &us));
    assert_int_equal(t.due, us);
    assert_true(dal_time_parse("2024-03-10T12:34:56.123456Z", &us));
    assert_int_equal(t.created_at, us);
    assert_true(t.has_opt_ts);
    assert_true(dal_time_parse("1969-07-21T01:17:40Z", &us));
    assert_int_equal(t.opt_ts, us);
    assert_true(t.has_opt_real);
    assert_true(t.opt_real == 3.0);
    assert_false(t.has_opt_color);
    assert_false(t.has_opt_int);
    assert_null(t.note);
    assert_true(t.seq == 7);
    assert_int_equal(t.reals.n, 2);
    assert_true(t.reals.v[0] == 1000.0);
    assert_int_equal(t.colors.n, 1);
    assert_int_equal(t.colors.v[0], T_COLOR_GREEN);
    assert_true(t.u64s.v[0] == 42);
    assert_true(json_is(t.extra, "[\"any\",1,true]"));
    assert_true(json_is(t.meta, "{\"x\":[1,{\"y\":null}]}"));
    /* defaults for what was left out */
    assert_true(dal_uuid_valid(t.token) && t.token[14] == '4');
    assert_string_equal(t.label, "hello");
    assert_int_equal(t.count, -42);
    assert_int_equal(t.retries, 3);
    assert_true(t.flag);
    assert_int_equal(t.color, T_COLOR_GREEN);
    assert_int_equal(t.level, T_LEVEL_MID);
    assert_true(json_is(t.payload, "{}"));
    assert_true(json_is(t.tags, "{}"));
    assert_true(t.has_opt_i32 && t.opt_i32 == 7);
    assert_true(t.has_opt_level && t.opt_level == T_LEVEL_HIGH);
    assert_false(t.has_opt_bool);
    assert_true(json_is(t.opt_meta, "{}"));
    assert_int_equal(t.texts.n, 0);
    assert_int_equal(t.uuids.n, 0);
    dal_record_clear(M, &t);

    /* only the required fields: id comes from its uuid7 default, seq is 0 */
    static const char minimal[] =
        "{\"name\":\"\",\"due\":\"2000-02-29T00:00:00Z\",\"extra\":null,\"meta\":{},\"ints\":[],\"i32s\":[],"
        "\"u32s\":[],\"u64s\":[],\"reals\":[],\"bools\":[],\"stamps\":[],\"colors\":[],\"levels\":[]}";
    dal_record_init(M, &t);
    before = dal_now_us();
    from_json_ok(&t, minimal);
    assert_true(dal_uuid_valid(t.id) && t.id[14] == '7');
    assert_true(t.seq == 0);
    assert_true(t.created_at >= before && t.created_at <= dal_now_us());
    assert_string_equal(t.name, "");
    dal_record_clear(M, &t);
}

/* from_json of the fixture with key replaced by value (NULL value: key removed). */
static char *fixture_with(const char *key, const char *value)
{
    cJSON *j = fixture_parse(fixture_json);
    if (value == NULL)
        cJSON_DeleteItemFromObjectCaseSensitive(j, key);
    else
        assert_true(cJSON_ReplaceItemInObjectCaseSensitive(j, key, fixture_parse(value)));
    char *text = dal_json_print(j);
    cJSON_Delete(j);
    return text;
}

static void check_from_json_error(const char *key, const char *value, const char *message)
{
    t_thing target, snapshot;
    dal_record_init(M, &target);
    dal_strset(&target.name, "keep me");
    dal_text_list_push(&target.texts, "still here");
    dal_record_init(M, &snapshot);
    assert_int_equal(dal_record_copy(M, &snapshot, &target, NULL), DAL_OK);
    char *text = key != NULL ? fixture_with(key, value) : fixture_str(value);
    dal_error err = {DAL_OK, ""};
    dal_code rc = dal_record_from_json(M, &target, text, &err);
    if (rc != DAL_ERR_SERIALIZATION || strcmp(err.message, message) != 0)
        fail_msg("%s = %s:\n  got      %s \"%s\"\n  expected serialization \"%s\"", key ? key : "(text)", value,
                 dal_code_name(rc), err.message, message);
    assert_int_equal(err.code, DAL_ERR_SERIALIZATION);
    assert_true(dal_record_equal(M, &target, &snapshot)); /* unchanged */
    assert_string_equal(target.name, "keep me");
    free(text);
    dal_record_clear(M, &target);
    dal_record_clear(M, &snapshot);
}

static void test_from_json_errors(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value, *message;
    } cases[] = {
        {NULL, "[]", "Thing: expected a JSON object, got an array"},
        {NULL, "null", "Thing: expected a JSON object, got null"},
        {NULL, "{", "Thing: invalid JSON at offset 1: expected a string key or '}', got end of input"},
        {NULL, "{\"a\":1} x", "Thing: invalid JSON at offset 8: expected end of input, got 'x'"},
        {"name", NULL, "Thing.name: missing required field"},
        {"due", NULL, "Thing.due: missing required field"},
        {"extra", NULL, "Thing.extra: missing required field"},
        {"ints", NULL, "Thing.ints: missing required field"},
        {"name", "5", "Thing.name: expected a string, got 5"},
        {"name", "null", "Thing.name: expected a value (the field is required), got null"},
        {"name", "[\"a\"]", "Thing.name: expected a string, got an array"},
        {"count", "1.5", "Thing.count: expected an integer in -9223372036854775808..9223372036854775807, got 1.5"},
        {"count", "\"5\"", "Thing.count: expected an integer in -9223372036854775808..9223372036854775807, got a string"},
        {"count", "9223372036854775808",
         "Thing.count: expected an integer in -9223372036854775808..9223372036854775807, got 9223372036854775808"},
        {"small", "2147483648", "Thing.small: expected an integer in -2147483648..2147483647, got 2147483648"},
        {"small", "-2147483649", "Thing.small: expected an integer in -2147483648..2147483647, got -2147483649"},
        {"retries", "-1", "Thing.retries: expected an integer in 0..4294967295, got -1"},
        {"retries", "4294967296", "Thing.retries: expected an integer in 0..4294967295, got 4294967296"},
        {"retries", "true", "Thing.retries: expected an integer in 0..4294967295, got a boolean"},
        {"seq", "18446744073709551616",
         "Thing.seq: expected an integer in 0..18446744073709551615, got 18446744073709551616"},
        {"seq", "-1", "Thing.seq: expected an integer in 0..18446744073709551615, got -1"},
        {"seq", "1e-3", "Thing.seq: expected an integer in 0..18446744073709551615, got 1e-3"},
        {"ratio", "\"x\"", "Thing.ratio: expected a finite number, got a string"},
        {"ratio", "1e400", "Thing.ratio: expected a finite number, got 1e400"},
        {"ratio", "null", "Thing.ratio: expected a finite number, got null"},
        {"flag", "1", "Thing.flag: expected true or false, got 1"},
        {"flag", "\"true\"", "Thing.flag: expected true or false, got a string"},
        {"created_at", "\"2024-13-01T00:00:00Z\"",
         "Thing.created_at: bad timestamp \"2024-13-01T00:00:00Z\" (expected RFC 3339 such as "
         "2026-11-29T05:33:30.123456Z)"},
        {"created_at", "\"2024-01-01T00:00:00\"",
         "Thing.created_at: bad timestamp \"2024-01-01T00:00:00\" (expected RFC 3339 such as "
         "2026-11-29T05:33:30.123456Z)"},
        {"created_at", "true", "Thing.created_at: expected an RFC 3339 timestamp string, got a boolean"},
        {"created_at", "1.5", "Thing.created_at: expected an RFC 3339 timestamp string, got 1.5"},
        {"color", "\"bogus\"", "Thing.color: unknown Color member \"bogus\""},
        {"color", "\"Blue_sky\"", "Thing.color: unknown Color member \"Blue_sky\""},
        {"color", "2", "Thing.color: expected a Color member name, got 2"},
        {"level", "\"BELOW\"", "Thing.level: unknown Level member \"BELOW\""},
        {"level", "5", "Thing.level: expected a Level member name, got 5"},
        {"id", "\"not-a-uuid\"", "Thing.id: not a canonical uuid: \"not-a-uuid\""},
        {"id", "\"{0190a6b2-7c1e-7abc-8def-0123456789ab}\"",
         "Thing.id: not a canonical uuid: \"{0190a6b2-7c1e-7abc-8def-0123456789ab}\""},
        {"id", "\"0190a6b27c1e7abc8def0123456789ab\"",
         "Thing.id: not a canonical uuid: \"0190a6b27c1e7abc8def0123456789ab\""},
        {"id", "5", "Thing.id: expected a uuid string, got 5"},
        {"tags", "{\"k\":1}", "Thing.tags[\"k\"]: expected a string, got 1"},
        {"tags", "{\"a\":\"b\",\"k\":null}", "Thing.tags[\"k\"]: expected a string, got null"},
        {"tags", "[]", "Thing.tags: expected an object, got an array"},
        {"tags", "null", "Thing.tags: expected a value (the field is required), got null"},
        {"meta", "\"str\"", "Thing.meta: expected an object, got a string"},
        {"opt_tags", "{\"n\":{}}", "Thing.opt_tags[\"n\"]: expected a string, got an object"},
        {"opt_meta", "[1]", "Thing.opt_meta: expected an object, got an array"},
        {"texts", "\"a\"", "Thing.texts: expected an array, got a string"},
        {"texts", "[\"a\",1]", "Thing.texts[1]: expected a string, got 1"},
        {"texts", "[null]", "Thing.texts[0]: expected a value (list elements cannot be null), got null"},
        {"ints", "[1,2.5]", "Thing.ints[1]: expected an integer in -9223372036854775808..9223372036854775807, got 2.5"},
        {"i32s", "[2147483648]", "Thing.i32s[0]: expected an integer in -2147483648..2147483647, got 2147483648"},
        {"u32s", "[-1]", "Thing.u32s[0]: expected an integer in 0..4294967295, got -1"},
        {"u64s", "[1,-1]", "Thing.u64s[1]: expected an integer in 0..18446744073709551615, got -1"},
        {"reals", "[1,\"2\"]", "Thing.reals[1]: expected a finite number, got a string"},
        {"bools", "[true,0]", "Thing.bools[1]: expected true or false, got 0"},
        {"stamps", "[\"bad\"]",
         "Thing.stamps[0]: bad timestamp \"bad\" (expected RFC 3339 such as 2026-11-29T05:33:30.123456Z)"},
        {"uuids", "[\"x\"]", "Thing.uuids[0]: not a canonical uuid: \"x\""},
        {"colors", "[\"red\",\"purple\"]", "Thing.colors[1]: unknown Color member \"purple\""},
        {"levels", "[5]", "Thing.levels[0]: expected a Level member name, got 5"},
        {"levels", "{}", "Thing.levels: expected an array, got an object"},
        {"opt_u32", "-1", "Thing.opt_u32: expected an integer in 0..4294967295, got -1"},
        {"opt_ts", "\"yesterday\"",
         "Thing.opt_ts: bad timestamp \"yesterday\" (expected RFC 3339 such as 2026-11-29T05:33:30.123456Z)"},
        {"opt_color", "\"\"", "Thing.opt_color: unknown Color member \"\""},
        {"opt_uuid", "\"00000000-0000-0000-0000-00000000000g\"",
         "Thing.opt_uuid: not a canonical uuid: \"00000000-0000-0000-0000-00000000000g\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_from_json_error(cases[i].key, cases[i].value, cases[i].message);
}

static void test_from_json_arguments(void **state)
{
    (void)state;
    t_thing t;
    dal_record_init(M, &t);
    dal_error err;
    assert_int_equal(dal_record_from_json(M, &t, NULL, &err), DAL_ERR_INVALID);
    assert_int_equal(dal_record_from_json(M, NULL, "{}", &err), DAL_ERR_INVALID);
    assert_int_equal(dal_record_from_json(NULL, &t, "{}", &err), DAL_ERR_INVALID);
    assert_int_equal(dal_record_from_cjson(M, &t, NULL, &err), DAL_ERR_SERIALIZATION);
    assert_string_equal(err.message, "Thing: expected a JSON object, got null");
    dal_record_clear(M, &t);
}

static void test_edge_values(void **state)
{
    (void)state;
    t_thing t, back;
    fixture_fill(&t);
    dal_strset(&t.name, "");
    dal_strset(&t.note, "\"quotes\" \\ back\\slash\ttab\x01 ctl \xF0\x9F\x90\xA2 \xE2\x80\xA8");
    t.created_at = INT64_C(-62135596800000000); /* 0001-01-01 */
    t.due = FIX_MAX_US;
    t.opt_ts = INT64_C(4107456000000000) + 1; /* 2100-02-28T00:00:00.000001Z */
    t.retries = 0;
    t.small = INT32_MAX;
    t.ratio = 1.7976931348623157e308;
    t.opt_real = 5e-324;
    char *text = to_json(&t);
    assert_non_null(strstr(text, "\"name\":\"\""));
    assert_non_null(strstr(text, "\"note\":\"\\\"quotes\\\" \\\\ back\\\\slash\\ttab\\u0001 ctl 🐢 \xE2\x80\xA8\""));
    assert_non_null(strstr(text, "\"created_at\":\"0001-01-01T00:00:00.000000Z\""));
    assert_non_null(strstr(text, "\"due\":\"9999-12-31T23:59:59.999999Z\""));
    assert_non_null(strstr(text, "\"opt_ts\":\"2100-02-28T00:00:00.000001Z\""));
    assert_non_null(strstr(text, "\"ratio\":1.7976931348623157e+308"));
    dal_record_init(M, &back);
    from_json_ok(&back, text);
    assert_true(dal_record_equal(M, &t, &back));
    assert_string_equal(back.note, t.note);
    assert_true(back.opt_real == 5e-324);
    free(text);
    dal_record_clear(M, &back);

    /* timestamps beyond what RFC 3339 can say are written as microseconds */
    t.due = INT64_MAX;
    t.created_at = INT64_MIN;
    text = to_json(&t);
    assert_non_null(strstr(text, "\"due\":9223372036854775807"));
    assert_non_null(strstr(text, "\"created_at\":-9223372036854775808"));
    dal_record_init(M, &back);
    from_json_ok(&back, text);
    assert_true(back.due == INT64_MAX && back.created_at == INT64_MIN);
    assert_true(dal_record_equal(M, &t, &back));
    free(text);
    dal_record_clear(M, &back);

    /* NaN and infinities have no JSON: written as null (and not read back) */
    t.ratio = NAN;
    t.opt_real = INFINITY;
    t.reals.v[0] = -INFINITY;
    text = to_json(&t);
    assert_non_null(strstr(text, "\"ratio\":null"));
    assert_non_null(strstr(text, "\"opt_real\":null"));
    assert_non_null(strstr(text, "\"reals\":[null,"));
    free(text);

    /* an enum value that is not a member is written as its number */
    t.ratio = 1;
    t.color = (t_color)17;
    text = to_json(&t);
    assert_non_null(strstr(text, "\"color\":17"));
    free(text);
    dal_record_clear(M, &t);
}

static void test_field_access(void **state)
{
    (void)state;
    t_thing t;
    fixture_fill(&t);
    dal_error err;
    /* presence */
    assert_true(dal_field_present(field(T_THING_F_NAME), &t));
    assert_false(dal_field_present(field(T_THING_F_NOTE), &t));
    assert_true(dal_field_present(field(T_THING_F_OPT_INT), &t));
    assert_false(dal_field_present(field(T_THING_F_OPT_I32), &t));
    assert_false(dal_field_present(field(T_THING_F_OPT_TAGS), &t));
    assert_true(dal_field_present(field(T_THING_F_OPT_META), &t));
    assert_true(dal_field_present(field(T_THING_F_TEXTS), &t));
    assert_true(dal_field_present(field(T_THING_F_EXTRA), &t)); /* required json null is a value */
    assert_false(dal_field_present(NULL, &t));
    assert_ptr_equal(dal_field_ptr(field(T_THING_F_SEQ), &t), &t.seq);
    assert_ptr_equal(dal_field_cptr(field(T_THING_F_LEVELS), &t), &t.levels);
    assert_null(dal_field_ptr(field(T_THING_F_SEQ), NULL));

    /* values */
    dal_value v = dal_field_value(field(T_THING_F_SEQ), &t);
    assert_int_equal(v.type, DAL_U64);
    assert_false(v.is_null);
    assert_true(v.as.u == UINT64_MAX);
    v = dal_field_value(field(T_THING_F_COUNT), &t);
    assert_true(v.as.i == INT64_MIN);
    v = dal_field_value(field(T_THING_F_LEVEL), &t);
    assert_int_equal(v.as.i, T_LEVEL_BELOW);
    v = dal_field_value(field(T_THING_F_ID), &t);
    assert_string_equal(v.as.s, "0190a6b2-7c1e-7abc-8def-0123456789ab");
    v = dal_field_value(field(T_THING_F_OPT_I32), &t);
    assert_true(v.is_null);
    v = dal_field_value(field(T_THING_F_EXTRA), &t);
    assert_false(v.is_null);
    assert_true(cJSON_IsNull(v.as.json));
    v = dal_field_value(field(T_THING_F_LABEL), &t);
    assert_string_equal(v.as.s, "");
    v = dal_field_value(field(T_THING_F_STAMPS), &t);
    assert_true(v.is_list);
    assert_int_equal(v.as.list.n, 2);
    assert_ptr_equal(v.as.list.v, t.stamps.v);
    v = dal_field_value(field(T_THING_F_FLAG), &t);
    assert_int_equal(v.as.i, 0);

    /* set: conversions and validation */
    dal_value in = {DAL_TEXT, false, false, {.s = "active"}};
    assert_int_equal(dal_field_set(field(T_THING_F_COLOR), &t, &in, &err), DAL_ERR_SERIALIZATION);
    assert_string_equal(err.message, "color: unknown Color member \"active\"");
    in.as.s = "blue_sky";
    assert_int_equal(dal_field_set(field(T_THING_F_COLOR), &t, &in, &err), DAL_OK);
    assert_int_equal(t.color, T_COLOR_BLUE_SKY);
    in = (dal_value){DAL_INT, false, false, {.i = 2}};
    assert_int_equal(dal_field_set(field(T_THING_F_LEVEL), &t, &in, &err), DAL_ERR_SERIALIZATION);
    assert_string_equal(err.message, "level: 2 is not a Level value");
    in.as.i = 1000;
    assert_int_equal(dal_field_set(field(T_THING_F_LEVEL), &t, &in, &err), DAL_OK);
    assert_int_equal(t.level, T_LEVEL_HIGH);
    in = (dal_value){DAL_INT, false, false, {.i = -1}};
    assert_int_equal(dal_field_set(field(T_THING_F_RETRIES), &t, &in, &err), DAL_ERR_SERIALIZATION);
    assert_int_equal(t.retries, UINT32_MAX);
    in.as.i = 5;
    assert_int_equal(dal_field_set(field(T_THING_F_RETRIES), &t, &in, &err), DAL_OK);
    assert_int_equal(t.retries, 5);
    in = (dal_value){DAL_INT, false, false, {.i = INT64_MIN}};
    assert_int_equal(dal_field_set(field(T_THING_F_SEQ), &t, &in, &err), DAL_ERR_SERIALIZATION);
    in = (dal_value){DAL_U64, false, false, {.u = UINT64_MAX}};
    assert_int_equal(dal_field_set(field(T_THING_F_COUNT), &t, &in, &err), DAL_ERR_SERIALIZATION);
    assert_true(t.count == INT64_MIN);
    in = (dal_value){DAL_REAL, false, false, {.d = 2.0}};
    assert_int_equal(dal_field_set(field(T_THING_F_COUNT), &t, &in, &err), DAL_OK);
    assert_int_equal(t.count, 2);
    in.as.d = 2.5;
    assert_int_equal(dal_field_set(field(T_THING_F_COUNT), &t, &in, &err), DAL_ERR_SERIALIZATION);
    in = (dal_value){DAL_TEXT, false, false, {.s = "0190A6B2-7C1E-7ABC-8DEF-0123456789AF"}};
    assert_int_equal(dal_field_set(field(T_THING_F_OPT_UUID), &t, &in, &err), DAL_OK);
    assert_string_equal(t.opt_uuid, "0190a6b2-7c1e-7abc-8def-0123456789af");
    in.as.s = "nope";
    assert_int_equal(dal_field_set(field(T_THING_F_OPT_UUID), &t, &in, &err), DAL_ERR_SERIALIZATION);
    assert_string_equal(t.opt_uuid, "0190a6b2-7c1e-7abc-8def-0123456789af");
    in = (dal_value){DAL_TEXT, false, false, {.s = "2024-01-01T00:00:00+01:00"}};
    assert_int_equal(dal_field_set(field(T_THING_F_DUE), &t, &in, &err), DAL_OK);
    assert_int_equal(t.due, INT64_C(1704063600000000));
    in = (dal_value){DAL_TEXT, false, false, {.s = "{\"a\":1}"}};
    assert_int_equal(dal_field_set(field(T_THING_F_TAGS), &t, &in, &err), DAL_ERR_SERIALIZATION);
    assert_string_equal(err.message, "tags[\"a\"]: expected a string, got 1");
    assert_true(json_is(t.tags, "{\"k\":\"v\",\"empty\":\"\"}"));
    in.as.s = "{\"a\":";
    assert_int_equal(dal_field_set(field(T_THING_F_META), &t, &in, &err), DAL_ERR_SERIALIZATION);
    assert_string_equal(err.message, "meta: invalid JSON at offset 5: expected a value, got end of input");
    in.as.s = "[1,2]";
    assert_int_equal(dal_field_set(field(T_THING_F_PAYLOAD), &t, &in, &err), DAL_OK);
    assert_true(json_is(t.payload, "[1,2]"));
    cJSON *obj = fixture_parse("{\"z\":\"y\"}");
    in = (dal_value){DAL_MAP_TEXT, false, false, {.json = obj}};
    assert_int_equal(dal_field_set(field(T_THING_F_TAGS), &t, &in, &err), DAL_OK);
    assert_ptr_not_equal(t.tags, obj);
    assert_true(json_is(t.tags, "{\"z\":\"y\"}"));
    cJSON_Delete(obj);

    /* null: optional becomes absent; required is refused (json takes null) */
    in = (dal_value){DAL_INT, true, false, {.i = 0}};
    assert_int_equal(dal_field_set(field(T_THING_F_OPT_INT), &t, &in, &err), DAL_OK);
    assert_false(t.has_opt_int);
    assert_int_equal(dal_field_set(field(T_THING_F_COUNT), &t, &in, &err), DAL_ERR_INVALID);
    in.type = DAL_JSON;
    assert_int_equal(dal_field_set(field(T_THING_F_PAYLOAD), &t, &in, &err), DAL_OK);
    assert_null(t.payload);
    in.type = DAL_TEXT;
    assert_int_equal(dal_field_set(field(T_THING_F_NOTE), &t, &in, &err), DAL_OK);
    assert_null(t.note);
    in = (dal_value){DAL_TEXT, false, false, {.s = "set"}};
    assert_int_equal(dal_field_set(field(T_THING_F_NOTE), &t, &in, &err), DAL_OK);
    assert_string_equal(t.note, "set");
    in = (dal_value){DAL_INT, false, false, {.i = 9}};
    assert_int_equal(dal_field_set(field(T_THING_F_OPT_I32), &t, &in, &err), DAL_OK);
    assert_true(t.has_opt_i32 && t.opt_i32 == 9);

    /* lists: element conversion and validation, all or nothing */
    static const int64_t levels[] = {-3, 5, 5};
    in = (dal_value){DAL_INT, false, true, {.list = {3, (void *)levels}}};
    assert_int_equal(dal_field_set(field(T_THING_F_LEVELS), &t, &in, &err), DAL_OK);
    assert_int_equal(t.levels.n, 3);
    assert_int_equal(t.levels.v[1], T_LEVEL_MID);
    static const int64_t bad_levels[] = {-3, 4};
    in.as.list = (dal_list){2, (void *)bad_levels};
    assert_int_equal(dal_field_set(field(T_THING_F_LEVELS), &t, &in, &err), DAL_ERR_SERIALIZATION);
    assert_string_equal(err.message, "levels[1]: 4 is not a Level value");
    assert_int_equal(t.levels.n, 3);
    static const char *const words[] = {"x", "żółw"};
    in = (dal_value){DAL_TEXT, false, true, {.list = {2, (void *)words}}};
    assert_int_equal(dal_field_set(field(T_THING_F_TEXTS), &t, &in, &err), DAL_OK);
    assert_int_equal(t.texts.n, 2);
    assert_string_equal(t.texts.v[1], "żółw");
    assert_ptr_not_equal(t.texts.v[1], words[1]);
    in = (dal_value){DAL_TEXT, false, false, {.s = "x"}};
    assert_int_equal(dal_field_set(field(T_THING_F_TEXTS), &t, &in, &err), DAL_ERR_INVALID);
    in.is_list = true;
    in.as.list = (dal_list){0, NULL};
    assert_int_equal(dal_field_set(field(T_THING_F_NAME), &t, &in, &err), DAL_ERR_INVALID);
    assert_int_equal(dal_field_set(field(T_THING_F_TEXTS), &t, &in, &err), DAL_OK);
    assert_int_equal(t.texts.n, 0);
    assert_null(t.texts.v);
    assert_int_equal(dal_field_set(NULL, &t, &in, &err), DAL_ERR_INVALID);
    dal_record_clear(M, &t);
}

static void test_aggregate_row(void **state)
{
    (void)state;
    t_thing_summary_row s;
    dal_record_init(&t_thing_summary_row_model, &s);
    assert_int_equal(s.color, T_COLOR_RED);
    assert_false(s.has_avg);
    s.color = T_COLOR_BLUE_SKY;
    s.samples = 3;
    char *text = dal_record_to_json(&t_thing_summary_row_model, &s);
    assert_string_equal(text, "{\"color\":\"blue_sky\",\"samples\":3,\"avg\":null}");
    free(text);
    t_thing_summary_row back;
    dal_record_init(&t_thing_summary_row_model, &back);
    dal_error err;
    assert_int_equal(dal_record_from_json(&t_thing_summary_row_model, &back, "{\"color\":\"green\",\"samples\":2,\"avg\":1.25}",
                                          &err), DAL_OK);
    assert_true(back.has_avg && back.avg == 1.25);
    assert_int_equal(dal_record_from_json(&t_thing_summary_row_model, &back, "{\"color\":\"green\"}", &err),
                     DAL_ERR_SERIALIZATION);
    assert_string_equal(err.message, "Thing.summary.samples: missing required field");
    dal_record_clear(&t_thing_summary_row_model, &back);
}

static void test_list_free(void **state)
{
    (void)state;
    dal_list l = {3, calloc(3, sizeof(t_thing))};
    t_thing *items = l.v;
    for (int i = 0; i < 3; i++)
        fixture_fill(&items[i]);
    dal_record_list_free(M, &l);
    assert_int_equal(l.n, 0);
    assert_null(l.v);
    dal_record_list_free(M, &l);
    dal_record_list_free(M, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_defaults),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_copy_reuses_fitting_buffers),
        cmocka_unit_test(test_copy_random_records),
        cmocka_unit_test(test_equal_sees_every_field),
        cmocka_unit_test(test_equal_semantics),
        cmocka_unit_test(test_to_json_exact),
        cmocka_unit_test(test_from_json_round_trip),
        cmocka_unit_test(test_from_json_serde_style),
        cmocka_unit_test(test_from_json_errors),
        cmocka_unit_test(test_from_json_arguments),
        cmocka_unit_test(test_edge_values),
        cmocka_unit_test(test_field_access),
        cmocka_unit_test(test_aggregate_row),
        cmocka_unit_test(test_list_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
