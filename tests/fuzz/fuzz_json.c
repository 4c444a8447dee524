/*
 * fuzz_json.c - libFuzzer target for the JSON side of the runtime.
 *
 * For every input: dal_json_parse; when it succeeds, dal_json_print must give
 * text that parses again to an equal tree and prints identically, and the
 * tree goes through dal_record_from_cjson into the test model (on success the
 * record must survive to_json / from_json unchanged). The input as a C string
 * also goes through dal_time_parse (format / parse must then round-trip) and
 * dal_record_from_json. Any broken property aborts.
 *
 * Built with clang -fsanitize=fuzzer when DAL_FUZZ is on; replay.c gives
 * it a plain main that replays the seed corpus under ctest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal.h"
#include "fuzz_check.h"
#include "test_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void check_record(const cJSON *tree)
{
    t_thing t;
    dal_record_init(&t_thing_model, &t);
    dal_error err;
    if (dal_record_from_cjson(&t_thing_model, &t, tree, &err) == DAL_OK) {
        char *text = dal_record_to_json(&t_thing_model, &t);
        CHECK(text != NULL);
        t_thing back;
        dal_record_init(&t_thing_model, &back);
        CHECK(dal_record_from_json(&t_thing_model, &back, text, &err) == DAL_OK);
        CHECK(dal_record_equal(&t_thing_model, &t, &back));
        char *again = dal_record_to_json(&t_thing_model, &back);
        CHECK(again != NULL && strcmp(text, again) == 0);
        free(again);
        free(text);
        t_thing copy;
        dal_record_init(&t_thing_model, &copy);
        CHECK(dal_record_copy(&t_thing_model, &copy, &t, &err) == DAL_OK);
        CHECK(dal_record_equal(&t_thing_model, &copy, &t));
        dal_record_clear(&t_thing_model, &copy);
        dal_record_clear(&t_thing_model, &back);
    } else {
        CHECK(err.code == DAL_ERR_SERIALIZATION);
    }
    dal_record_clear(&t_thing_model, &t);
}

static void check_json(const uint8_t *data, size_t size)
{
    cJSON *tree = NULL;
    dal_error err;
    if (dal_json_parse((const char *)data, size, &tree, &err) != DAL_OK) {
        CHECK(err.code == DAL_ERR_SERIALIZATION);
        CHECK(strstr(err.message, "invalid JSON at offset ") == err.message);
        return;
    }
    char *text = dal_json_print(tree);
    CHECK(text != NULL);
    cJSON *again = NULL;
    CHECK(dal_json_parse(text, strlen(text), &again, &err) == DAL_OK);
    CHECK(dal_json_equal(tree, again));
    CHECK(dal_json_equal(again, tree));
    char *text2 = dal_json_print(again);
    CHECK(text2 != NULL && strcmp(text, text2) == 0);
    cJSON *dup = cJSON_Duplicate(tree, 1);
    CHECK(dup != NULL && dal_json_equal(dup, tree));
    cJSON_Delete(dup);
    if (cJSON_IsNumber(tree)) {
        int64_t i;
        uint64_t u;
        if (dal_json_int64(tree, &i) && i >= 0)
            CHECK(dal_json_uint64(tree, &u) && u == (uint64_t)i);
    }
    check_record(tree);
    free(text2);
    cJSON_Delete(again);
    free(text);
    cJSON_Delete(tree);
}

static void check_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t us;
    if (dal_time_parse(s, &us)) {
        char out[DAL_TIME_SIZE];
        CHECK(dal_time_format(us, out));
        int64_t back;
        CHECK(dal_time_parse(out, &back) && back == us);
    }
    if (strlen(s) == size) {
        t_thing t;
        dal_record_init(&t_thing_model, &t);
        (void)dal_record_from_json(&t_thing_model, &t, s, NULL);
        dal_record_clear(&t_thing_model, &t);
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_json(data, size);
    check_text(data, size);
    return 0;
}
