/*
 * test_model.h - a hand-written model in the shape dalc emits: one field of
 * every type, optional variants, every list type, a text enum and an
 * integer-valued enum, and every default kind. In the DSL it would read:
 *
 *   enum Color { red, green, blue_sky }
 *   enum Level { below = -3, low = 0, mid = 5, high = 1000 }
 *   model Thing {
 *     id uuid @id @default(uuid7)      token uuid @default(uuid4)
 *     name text                        label text @default("hello")
 *     note text?                       count int @default(-42)
 *     small i32 @default(-7)           retries u32 @default(3)
 *     seq u64 @sequence                ratio real @default(0.5)
 *     flag bool @default(true)         created_at timestamp @default(now)
 *     due timestamp                    color Color @default(green)
 *     level Level @default(mid)        payload json @default({})
 *     extra json                       tags map<text> @default({})
 *     meta map<json>
 *     opt_int int?                     opt_i32 i32? @default(7)
 *     opt_u32 u32?                     opt_u64 u64?
 *     opt_real real?                   opt_bool bool? @default(null)
 *     opt_ts timestamp?                opt_uuid uuid?
 *     opt_color Color?                 opt_level Level? @default(high)
 *     opt_json json?                   opt_tags map<text>?
 *     opt_meta map<json>? @default({})
 *     texts text[] @default([])        ints int[]      i32s i32[]
 *     u32s u32[]   u64s u64[]   reals real[]   bools bool[]
 *     stamps timestamp[]   uuids uuid[] @default([])
 *     colors Color[]       levels Level[]
 *   }
 * plus an aggregate row "Thing.summary" { color Color, samples int, avg real? }.
 */
#ifndef TEST_MODEL_H
#define TEST_MODEL_H

#include <stddef.h>

#include "dal.h"

typedef enum t_color { T_COLOR_RED, T_COLOR_GREEN, T_COLOR_BLUE_SKY } t_color;
typedef enum t_level { T_LEVEL_BELOW = -3, T_LEVEL_LOW = 0, T_LEVEL_MID = 5, T_LEVEL_HIGH = 1000 } t_level;

typedef struct t_color_list { size_t n; t_color *v; } t_color_list;
typedef struct t_level_list { size_t n; t_level *v; } t_level_list;

typedef struct t_thing {
    char id[DAL_UUID_SIZE];
    char token[DAL_UUID_SIZE];
    char *name;
    char *label;
    char *note;
    int64_t count;
    int32_t small;
    uint32_t retries;
    uint64_t seq;
    double ratio;
    bool flag;
    int64_t created_at;
    int64_t due;
    t_color color;
    t_level level;
    cJSON *payload;
    cJSON *extra;
    cJSON *tags;
    cJSON *meta;
    bool has_opt_int;
    int64_t opt_int;
    bool has_opt_i32;
    int32_t opt_i32;
    bool has_opt_u32;
    uint32_t opt_u32;
    bool has_opt_u64;
    uint64_t opt_u64;
    bool has_opt_real;
    double opt_real;
    bool has_opt_bool;
    bool opt_bool;
    bool has_opt_ts;
    int64_t opt_ts;
    bool has_opt_uuid;
    char opt_uuid[DAL_UUID_SIZE];
    bool has_opt_color;
    t_color opt_color;
    bool has_opt_level;
    t_level opt_level;
    cJSON *opt_json;
    cJSON *opt_tags;
    cJSON *opt_meta;
    dal_text_list texts;
    dal_int_list ints;
    dal_i32_list i32s;
    dal_u32_list u32s;
    dal_u64_list u64s;
    dal_real_list reals;
    dal_bool_list bools;
    dal_timestamp_list stamps;
    dal_uuid_list uuids;
    t_color_list colors;
    t_level_list levels;
} t_thing;

typedef struct t_summary {
    t_color color;
    int64_t samples;
    bool has_avg;
    double avg;
} t_summary;

static const char *const t_color_names[] = {"red", "green", "blue_sky"};
static const dal_enum t_color_enum = {"Color", 3, t_color_names, NULL};

static const char *const t_level_names[] = {"below", "low", "mid", "high"};
static const int64_t t_level_values[] = {-3, 0, 5, 1000};
static const dal_enum t_level_enum = {"Level", 4, t_level_names, t_level_values};

#define T_DEF(kind, i, d, s) {kind, i, d, s}
#define T_NODEF T_DEF(DAL_DEF_NONE, 0, 0, NULL)
#define T_FIELD(name, type, enumt, flags, def) \
    {#name, #name, type, enumt, flags, offsetof(t_thing, name), DAL_NO_OFFSET, def, NULL, NULL}
#define T_OPT(name, type, enumt, def) \
    {#name, #name, type, enumt, DAL_F_OPTIONAL, offsetof(t_thing, name), offsetof(t_thing, has_##name), def, NULL, NULL}

enum {
    T_F_ID, T_F_TOKEN, T_F_NAME, T_F_LABEL, T_F_NOTE, T_F_COUNT, T_F_SMALL, T_F_RETRIES, T_F_SEQ,
    T_F_RATIO, T_F_FLAG, T_F_CREATED_AT, T_F_DUE, T_F_COLOR, T_F_LEVEL, T_F_PAYLOAD, T_F_EXTRA,
    T_F_TAGS, T_F_META, T_F_OPT_INT, T_F_OPT_I32, T_F_OPT_U32, T_F_OPT_U64, T_F_OPT_REAL,
    T_F_OPT_BOOL, T_F_OPT_TS, T_F_OPT_UUID, T_F_OPT_COLOR, T_F_OPT_LEVEL, T_F_OPT_JSON,
    T_F_OPT_TAGS, T_F_OPT_META, T_F_TEXTS, T_F_INTS, T_F_I32S, T_F_U32S, T_F_U64S, T_F_REALS,
    T_F_BOOLS, T_F_STAMPS, T_F_UUIDS, T_F_COLORS, T_F_LEVELS, T_N_FIELDS
};

static const dal_field t_thing_fields[] = {
    T_FIELD(id, DAL_UUID, NULL, DAL_F_ID, T_DEF(DAL_DEF_UUID7, 0, 0, NULL)),
    T_FIELD(token, DAL_UUID, NULL, 0, T_DEF(DAL_DEF_UUID4, 0, 0, NULL)),
    T_FIELD(name, DAL_TEXT, NULL, 0, T_NODEF),
    T_FIELD(label, DAL_TEXT, NULL, 0, T_DEF(DAL_DEF_TEXT, 0, 0, "hello")),
    {"note", "note", DAL_TEXT, NULL, DAL_F_OPTIONAL, offsetof(t_thing, note), DAL_NO_OFFSET, T_NODEF, NULL, NULL},
    T_FIELD(count, DAL_INT, NULL, 0, T_DEF(DAL_DEF_INT, -42, 0, NULL)),
    T_FIELD(small, DAL_I32, NULL, 0, T_DEF(DAL_DEF_INT, -7, 0, NULL)),
    T_FIELD(retries, DAL_U32, NULL, 0, T_DEF(DAL_DEF_INT, 3, 0, NULL)),
    T_FIELD(seq, DAL_U64, NULL, DAL_F_SEQUENCE | DAL_F_UNIQUE, T_NODEF),
    T_FIELD(ratio, DAL_REAL, NULL, 0, T_DEF(DAL_DEF_REAL, 0, 0.5, NULL)),
    T_FIELD(flag, DAL_BOOL, NULL, 0, T_DEF(DAL_DEF_BOOL, 1, 0, NULL)),
    T_FIELD(created_at, DAL_TIMESTAMP, NULL, 0, T_DEF(DAL_DEF_NOW, 0, 0, NULL)),
    T_FIELD(due, DAL_TIMESTAMP, NULL, 0, T_NODEF),
    T_FIELD(color, DAL_ENUM, &t_color_enum, 0, T_DEF(DAL_DEF_ENUM, T_COLOR_GREEN, 0, NULL)),
    T_FIELD(level, DAL_ENUM, &t_level_enum, 0, T_DEF(DAL_DEF_ENUM, T_LEVEL_MID, 0, NULL)),
    T_FIELD(payload, DAL_JSON, NULL, 0, T_DEF(DAL_DEF_EMPTY_MAP, 0, 0, NULL)),
    T_FIELD(extra, DAL_JSON, NULL, 0, T_NODEF),
    T_FIELD(tags, DAL_MAP_TEXT, NULL, 0, T_DEF(DAL_DEF_EMPTY_MAP, 0, 0, NULL)),
    T_FIELD(meta, DAL_MAP_JSON, NULL, 0, T_NODEF),
    T_OPT(opt_int, DAL_INT, NULL, T_NODEF),
    T_OPT(opt_i32, DAL_I32, NULL, T_DEF(DAL_DEF_INT, 7, 0, NULL)),
    T_OPT(opt_u32, DAL_U32, NULL, T_NODEF),
    T_OPT(opt_u64, DAL_U64, NULL, T_NODEF),
    T_OPT(opt_real, DAL_REAL, NULL, T_NODEF),
    T_OPT(opt_bool, DAL_BOOL, NULL, T_DEF(DAL_DEF_NULL, 0, 0, NULL)),
    T_OPT(opt_ts, DAL_TIMESTAMP, NULL, T_NODEF),
    T_OPT(opt_uuid, DAL_UUID, NULL, T_NODEF),
    T_OPT(opt_color, DAL_ENUM, &t_color_enum, T_NODEF),
    T_OPT(opt_level, DAL_ENUM, &t_level_enum, T_DEF(DAL_DEF_ENUM, T_LEVEL_HIGH, 0, NULL)),
    T_FIELD(opt_json, DAL_JSON, NULL, DAL_F_OPTIONAL, T_NODEF),
    T_FIELD(opt_tags, DAL_MAP_TEXT, NULL, DAL_F_OPTIONAL, T_NODEF),
    T_FIELD(opt_meta, DAL_MAP_JSON, NULL, DAL_F_OPTIONAL, T_DEF(DAL_DEF_EMPTY_MAP, 0, 0, NULL)),
    T_FIELD(texts, DAL_TEXT, NULL, DAL_F_LIST, T_DEF(DAL_DEF_EMPTY_LIST, 0, 0, NULL)),
    T_FIELD(ints, DAL_INT, NULL, DAL_F_LIST, T_NODEF),
    T_FIELD(i32s, DAL_I32, NULL, DAL_F_LIST, T_NODEF),
    T_FIELD(u32s, DAL_U32, NULL, DAL_F_LIST, T_NODEF),
    T_FIELD(u64s, DAL_U64, NULL, DAL_F_LIST, T_NODEF),
    T_FIELD(reals, DAL_REAL, NULL, DAL_F_LIST, T_NODEF),
    T_FIELD(bools, DAL_BOOL, NULL, DAL_F_LIST, T_NODEF),
    T_FIELD(stamps, DAL_TIMESTAMP, NULL, DAL_F_LIST, T_NODEF),
    T_FIELD(uuids, DAL_UUID, NULL, DAL_F_LIST, T_DEF(DAL_DEF_EMPTY_LIST, 0, 0, NULL)),
    T_FIELD(colors, DAL_ENUM, &t_color_enum, DAL_F_LIST, T_NODEF),
    T_FIELD(levels, DAL_ENUM, &t_level_enum, DAL_F_LIST, T_NODEF),
};

static const unsigned t_thing_pk[] = {T_F_ID};

static const dal_model t_thing_model = {
    "Thing", "things", sizeof(t_thing), T_N_FIELDS, t_thing_fields, 1, t_thing_pk, 0, NULL, NULL,
};

static const dal_field t_summary_fields[] = {
    {"color", "color", DAL_ENUM, &t_color_enum, 0, offsetof(t_summary, color), DAL_NO_OFFSET, T_NODEF, NULL, NULL},
    {"samples", "samples", DAL_INT, NULL, 0, offsetof(t_summary, samples), DAL_NO_OFFSET, T_NODEF, NULL, NULL},
    {"avg", "avg", DAL_REAL, NULL, DAL_F_OPTIONAL, offsetof(t_summary, avg), offsetof(t_summary, has_avg),
     T_NODEF, NULL, NULL},
};

static const dal_model t_summary_model = {
    "Thing.summary", NULL, sizeof(t_summary), 3, t_summary_fields, 0, NULL, 0, NULL, NULL,
};

#endif /* TEST_MODEL_H */
