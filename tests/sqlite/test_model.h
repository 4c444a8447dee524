/*
 * test_model.h - a small schema written by hand as descriptors (what dalc
 * would emit), so the SQLite backend is tested on something other than the
 * swarm schema: every field type, an integer-valued enum, a composite key,
 * @sequence, optional scalars, lists, refs with each on_delete, and queries
 * using every operator, limits/offsets, sets with now() and an aggregate.
 *
 *   enum Color { red, green, blue }          enum Level { low = 10, high = 20 }
 *   model Item {                              model Child {
 *     id uuid @id                               id int @id
 *     name text                                 item_id uuid @ref(Item.id, on_delete: cascade)
 *     qty int                                   label text? }
 *     price real                              model Pin {
 *     flag bool                                 item_id uuid @ref(Item.id)      // restrict
 *     ts timestamp                              slot i32
 *     color Color                               parent uuid? @ref(Item.id, on_delete: set_null)
 *     level Level                               @@id([item_id, slot]) }
 *     data json
 *     tags map<text>
 *     labels text[]
 *     seq u64 @sequence @unique
 *     note text?
 *     due timestamp?
 *     small i32
 *     count u32
 *     levels Level[]
 *     @@index([color, qty desc]) }
 */
#ifndef TEST_MODEL_H
#define TEST_MODEL_H

#include <stddef.h>

#include "dal.h"

enum { COLOR_RED, COLOR_GREEN, COLOR_BLUE };
enum { LEVEL_LOW = 10, LEVEL_HIGH = 20 };

typedef struct t_level_list {
    size_t n;
    int *v;
} t_level_list;

typedef struct t_item {
    char id[DAL_UUID_SIZE];
    char *name;
    int64_t qty;
    double price;
    bool flag;
    int64_t ts;
    int color;
    int level;
    cJSON *data;
    cJSON *tags;
    dal_text_list labels;
    uint64_t seq;
    char *note;
    bool has_due;
    int64_t due;
    int32_t small;
    uint32_t count;
    t_level_list levels;
} t_item;

typedef struct t_child {
    int64_t id;
    char item_id[DAL_UUID_SIZE];
    char *label;
} t_child;

typedef struct t_pin {
    char item_id[DAL_UUID_SIZE];
    int32_t slot;
    char parent[DAL_UUID_SIZE];
} t_pin;

typedef struct t_item_stats {
    int color;
    int64_t n;
    int64_t total;
    double avg_price;
    int64_t first;
    char *top;
} t_item_stats;

static const char *const t_color_names[] = {"red", "green", "blue"};
static const dal_enum t_color_enum = {"Color", 3, t_color_names, NULL};
static const char *const t_level_names[] = {"low", "high"};
static const int64_t t_level_values[] = {10, 20};
static const dal_enum t_level_enum = {"Level", 2, t_level_names, t_level_values};

#define NOH DAL_NO_OFFSET
#define NODEF {DAL_DEF_NONE, 0, 0, NULL}

static const dal_field t_item_fields[] = {
    {"id", "id", DAL_UUID, NULL, DAL_F_ID, offsetof(t_item, id), NOH, {DAL_DEF_UUID7, 0, 0, NULL}, NULL},
    {"name", "name", DAL_TEXT, NULL, 0, offsetof(t_item, name), NOH, NODEF, NULL},
    {"qty", "qty", DAL_INT, NULL, 0, offsetof(t_item, qty), NOH, NODEF, NULL},
    {"price", "price", DAL_REAL, NULL, 0, offsetof(t_item, price), NOH, NODEF, NULL},
    {"flag", "flag", DAL_BOOL, NULL, 0, offsetof(t_item, flag), NOH, NODEF, NULL},
    {"ts", "ts", DAL_TIMESTAMP, NULL, 0, offsetof(t_item, ts), NOH, {DAL_DEF_NOW, 0, 0, NULL}, NULL},
    {"color", "color", DAL_ENUM, &t_color_enum, 0, offsetof(t_item, color), NOH, NODEF, NULL},
    {"level", "level", DAL_ENUM, &t_level_enum, 0, offsetof(t_item, level), NOH, {DAL_DEF_ENUM, 10, 0, NULL}, NULL},
    {"data", "data", DAL_JSON, NULL, 0, offsetof(t_item, data), NOH, NODEF, NULL},
    {"tags", "tags", DAL_MAP_TEXT, NULL, 0, offsetof(t_item, tags), NOH, {DAL_DEF_EMPTY_MAP, 0, 0, NULL}, NULL},
    {"labels", "labels", DAL_TEXT, NULL, DAL_F_LIST, offsetof(t_item, labels), NOH, {DAL_DEF_EMPTY_LIST, 0, 0, NULL},
     NULL},
    {"seq", "seq", DAL_U64, NULL, DAL_F_SEQUENCE | DAL_F_UNIQUE, offsetof(t_item, seq), NOH, NODEF, NULL},
    {"note", "note", DAL_TEXT, NULL, DAL_F_OPTIONAL, offsetof(t_item, note), NOH, NODEF, NULL},
    {"due", "due_at", DAL_TIMESTAMP, NULL, DAL_F_OPTIONAL, offsetof(t_item, due), offsetof(t_item, has_due), NODEF,
     NULL},
    {"small", "small", DAL_I32, NULL, 0, offsetof(t_item, small), NOH, NODEF, NULL},
    {"count", "count", DAL_U32, NULL, 0, offsetof(t_item, count), NOH, NODEF, NULL},
    {"levels", "levels", DAL_ENUM, &t_level_enum, DAL_F_LIST, offsetof(t_item, levels), NOH,
     {DAL_DEF_EMPTY_LIST, 0, 0, NULL}, NULL},
};
enum { TI_ID, TI_NAME, TI_QTY, TI_PRICE, TI_FLAG, TI_TS, TI_COLOR, TI_LEVEL, TI_DATA, TI_TAGS, TI_LABELS, TI_SEQ,
       TI_NOTE, TI_DUE, TI_SMALL, TI_COUNT, TI_LEVELS };
static const unsigned t_item_pk[] = {TI_ID};
static const dal_index_part t_item_idx0[] = {{TI_COLOR, false}, {TI_QTY, true}};
static const dal_index_part t_item_idx1[] = {{TI_SEQ, false}};
static const dal_index t_item_indexes[] = {
    {"items_color_qty_idx", 2, t_item_idx0, false, false},
    {"items_seq_key", 1, t_item_idx1, true, false},
};
extern const dal_model t_item_model;
const dal_model t_item_model = {"Item", "items", sizeof(t_item), sizeof t_item_fields / sizeof t_item_fields[0],
                                t_item_fields, 1, t_item_pk, 2, t_item_indexes};

static const dal_ref t_child_ref = {&t_item_model, TI_ID, DAL_ON_DELETE_CASCADE};
static const dal_field t_child_fields[] = {
    {"id", "id", DAL_INT, NULL, DAL_F_ID, offsetof(t_child, id), NOH, NODEF, NULL},
    {"item_id", "item_id", DAL_UUID, NULL, 0, offsetof(t_child, item_id), NOH, NODEF, &t_child_ref},
    {"label", "label", DAL_TEXT, NULL, DAL_F_OPTIONAL, offsetof(t_child, label), NOH, NODEF, NULL},
};
static const unsigned t_child_pk[] = {0};
const dal_model t_child_model = {"Child", "children", sizeof(t_child), 3, t_child_fields, 1, t_child_pk, 0, NULL};

static const dal_ref t_pin_ref = {&t_item_model, TI_ID, DAL_ON_DELETE_RESTRICT};
static const dal_ref t_pin_parent_ref = {&t_item_model, TI_ID, DAL_ON_DELETE_SET_NULL};
static const dal_field t_pin_fields[] = {
    {"item_id", "item_id", DAL_UUID, NULL, DAL_F_ID, offsetof(t_pin, item_id), NOH, NODEF, &t_pin_ref},
    {"slot", "slot", DAL_I32, NULL, DAL_F_ID, offsetof(t_pin, slot), NOH, NODEF, NULL},
    {"parent", "parent", DAL_UUID, NULL, DAL_F_OPTIONAL, offsetof(t_pin, parent), NOH, NODEF, &t_pin_parent_ref},
};
static const unsigned t_pin_pk[] = {0, 1};
const dal_model t_pin_model = {"Pin", "pins", sizeof(t_pin), 3, t_pin_fields, 2, t_pin_pk, 0, NULL};

/* aggregate row of Item.stats */
static const dal_field t_stats_fields[] = {
    {"color", "color", DAL_ENUM, &t_color_enum, 0, offsetof(t_item_stats, color), NOH, NODEF, NULL},
    {"n", "n", DAL_INT, NULL, 0, offsetof(t_item_stats, n), NOH, NODEF, NULL},
    {"total", "total", DAL_INT, NULL, 0, offsetof(t_item_stats, total), NOH, NODEF, NULL},
    {"avg_price", "avg_price", DAL_REAL, NULL, 0, offsetof(t_item_stats, avg_price), NOH, NODEF, NULL},
    {"first", "first", DAL_TIMESTAMP, NULL, 0, offsetof(t_item_stats, first), NOH, NODEF, NULL},
    {"top", "top", DAL_TEXT, NULL, 0, offsetof(t_item_stats, top), NOH, NODEF, NULL},
};
const dal_model t_stats_model = {"Item.stats", NULL, sizeof(t_item_stats), 6, t_stats_fields, 0, NULL, 0, NULL};

/* ---- queries ---- */

/* query Item.by_color(color: Color) -> many { where color = $color order by qty desc } */
static const dal_param t_q0_params[] = {{"color", DAL_ENUM, &t_color_enum, 0}};
static const dal_expr t_q0_where = {DAL_OP_EQ, TI_COLOR, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};
static const dal_order t_q0_order[] = {{TI_QTY, true}};

/* query Item.page(p: text, lim: int, off: int) -> many
 *   { where name like $p order by name asc limit $lim offset $off } */
static const dal_param t_q1_params[] = {{"p", DAL_TEXT, NULL, 0}, {"lim", DAL_INT, NULL, 0}, {"off", DAL_INT, NULL, 0}};
static const dal_expr t_q1_where = {DAL_OP_LIKE, TI_NAME, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};
static const dal_order t_q1_order[] = {{TI_NAME, false}};

/* query Item.with_ids(ids: uuid[]) -> many { where id in $ids order by qty asc } */
static const dal_param t_q2_params[] = {{"ids", DAL_UUID, NULL, DAL_F_LIST}};
static const dal_expr t_q2_where = {DAL_OP_IN, TI_ID, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};
static const dal_order t_q2_order[] = {{TI_QTY, false}};

/* query Item.by_note(note: text?) -> many { where note = $note } (ties: id) */
static const dal_param t_q3_params[] = {{"note", DAL_TEXT, NULL, DAL_F_OPTIONAL}};
static const dal_expr t_q3_where = {DAL_OP_EQ, TI_NOTE, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};

/* update Item.restock(id: uuid, qty: int) -> one { set qty = $qty, ts = now(), flag = true where id = $id } */
static const dal_param t_q4_params[] = {{"id", DAL_UUID, NULL, 0}, {"qty", DAL_INT, NULL, 0}};
static const dal_expr t_q4_where = {DAL_OP_EQ, TI_ID, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};
static const dal_set t_q4_set[] = {
    {TI_QTY, {DAL_ARG_PARAM, 1, {0}}, DAL_SET_ASSIGN},
    {TI_TS, {DAL_ARG_NOW, 0, {0}}, DAL_SET_ASSIGN},
    {TI_FLAG, {DAL_ARG_VALUE, 0, {.type = DAL_BOOL, .as.i = 1}}, DAL_SET_ASSIGN},
};

/* delete Item.cheap(max: real) -> count { where price < $max and not (color = blue) } */
static const dal_param t_q5_params[] = {{"max", DAL_REAL, NULL, 0}};
static const dal_expr t_q5_lt = {DAL_OP_LT, TI_PRICE, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};
static const dal_expr t_q5_blue = {DAL_OP_EQ, TI_COLOR, {DAL_ARG_VALUE, 0, {.type = DAL_ENUM, .as.i = COLOR_BLUE}},
                                   NULL, NULL};
static const dal_expr t_q5_not = {DAL_OP_NOT, 0, {0}, &t_q5_blue, NULL};
static const dal_expr t_q5_where = {DAL_OP_AND, 0, {0}, &t_q5_lt, &t_q5_not};

/* aggregate Item.stats(min_qty: int) { where qty >= $min_qty group by color
 *   select count() as n, sum(qty) as total, avg(price) as avg_price, min(ts) as first, max(name) as top
 *   order by n desc } */
static const dal_param t_q6_params[] = {{"min_qty", DAL_INT, NULL, 0}};
static const dal_expr t_q6_where = {DAL_OP_GE, TI_QTY, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};
static const unsigned t_q6_group[] = {TI_COLOR};
static const dal_agg_item t_q6_items[] = {
    {DAL_AGG_GROUP, TI_COLOR}, {DAL_AGG_COUNT, -1}, {DAL_AGG_SUM, TI_QTY},
    {DAL_AGG_AVG, TI_PRICE},   {DAL_AGG_MIN, TI_TS}, {DAL_AGG_MAX, TI_NAME},
};
static const dal_order t_q6_order[] = {{1, true}};

/* query Item.levels_in(levels: Level[]) -> many { where level in $levels and due is not null order by due desc } */
static const dal_param t_q7_params[] = {{"levels", DAL_ENUM, &t_level_enum, DAL_F_LIST}};
static const dal_expr t_q7_in = {DAL_OP_IN, TI_LEVEL, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};
static const dal_expr t_q7_due = {DAL_OP_IS_NOT_NULL, TI_DUE, {0}, NULL, NULL};
static const dal_expr t_q7_where = {DAL_OP_AND, 0, {0}, &t_q7_in, &t_q7_due};
static const dal_order t_q7_order[] = {{TI_DUE, true}};

/* query Item.first_named(name: text) -> one { where name = $name } */
static const dal_param t_q8_params[] = {{"name", DAL_TEXT, NULL, 0}};
static const dal_expr t_q8_where = {DAL_OP_EQ, TI_NAME, {DAL_ARG_PARAM, 0, {0}}, NULL, NULL};

enum { TQ_BY_COLOR, TQ_PAGE, TQ_WITH_IDS, TQ_BY_NOTE, TQ_RESTOCK, TQ_CHEAP, TQ_STATS, TQ_LEVELS_IN, TQ_FIRST_NAMED,
       TQ_N };

#define Q_NONE {DAL_ARG_NONE, 0, {0}}
const dal_query t_queries[TQ_N] = {
    {"by_color", &t_item_model, DAL_Q_SELECT, DAL_R_MANY, 1, t_q0_params, &t_q0_where, 1, t_q0_order, Q_NONE,
     Q_NONE, 0, NULL, 0, NULL, 0, NULL, NULL, TQ_BY_COLOR},
    {"page", &t_item_model, DAL_Q_SELECT, DAL_R_MANY, 3, t_q1_params, &t_q1_where, 1, t_q1_order,
     {DAL_ARG_PARAM, 1, {0}}, {DAL_ARG_PARAM, 2, {0}}, 0, NULL, 0, NULL, 0, NULL, NULL, TQ_PAGE},
    {"with_ids", &t_item_model, DAL_Q_SELECT, DAL_R_MANY, 1, t_q2_params, &t_q2_where, 1, t_q2_order, Q_NONE,
     Q_NONE, 0, NULL, 0, NULL, 0, NULL, NULL, TQ_WITH_IDS},
    {"by_note", &t_item_model, DAL_Q_SELECT, DAL_R_MANY, 1, t_q3_params, &t_q3_where, 0, NULL, Q_NONE, Q_NONE, 0,
     NULL, 0, NULL, 0, NULL, NULL, TQ_BY_NOTE},
    {"restock", &t_item_model, DAL_Q_UPDATE, DAL_R_ONE, 2, t_q4_params, &t_q4_where, 0, NULL, Q_NONE, Q_NONE, 3,
     t_q4_set, 0, NULL, 0, NULL, NULL, TQ_RESTOCK},
    {"cheap", &t_item_model, DAL_Q_DELETE, DAL_R_COUNT, 1, t_q5_params, &t_q5_where, 0, NULL, Q_NONE, Q_NONE, 0,
     NULL, 0, NULL, 0, NULL, NULL, TQ_CHEAP},
    {"stats", &t_item_model, DAL_Q_AGGREGATE, DAL_R_MANY, 1, t_q6_params, &t_q6_where, 1, t_q6_order, Q_NONE,
     Q_NONE, 0, NULL, 1, t_q6_group, 6, t_q6_items, &t_stats_model, TQ_STATS},
    {"levels_in", &t_item_model, DAL_Q_SELECT, DAL_R_MANY, 1, t_q7_params, &t_q7_where, 1, t_q7_order, Q_NONE,
     Q_NONE, 0, NULL, 0, NULL, 0, NULL, NULL, TQ_LEVELS_IN},
    {"first_named", &t_item_model, DAL_Q_SELECT, DAL_R_ONE, 1, t_q8_params, &t_q8_where, 0, NULL, Q_NONE, Q_NONE,
     0, NULL, 0, NULL, 0, NULL, NULL, TQ_FIRST_NAMED},
};

static const dal_enum *const t_enums[] = {&t_color_enum, &t_level_enum};
static const dal_model *const t_models[] = {&t_item_model, &t_child_model, &t_pin_model};
static const dal_query *const t_query_ptrs[TQ_N] = {
    &t_queries[0], &t_queries[1], &t_queries[2], &t_queries[3], &t_queries[4],
    &t_queries[5], &t_queries[6], &t_queries[7], &t_queries[8],
};

const dal_schema t_schema = {"t", "v1", 2, t_enums, 3, t_models, TQ_N, t_query_ptrs};
/* the same storage under another version: a "different schema" */
const dal_schema t_schema_v2 = {"t", "v2", 2, t_enums, 3, t_models, TQ_N, t_query_ptrs};

#endif /* TEST_MODEL_H */
