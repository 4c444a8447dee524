/*
 * model.h - the resolved model: what the checker makes of a schema and the
 * only thing the emitters read (never the AST).
 *
 * Everything here is checked: names resolve, types match, defaults fit their
 * field. Indexes include the ones derived from queries (see docs/indexes.md).
 * All arrays are owned by the m_schema and freed by m_schema_free.
 */
#ifndef DALC_MODEL_H
#define DALC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum m_kind {
    MK_TEXT, MK_INT, MK_I32, MK_U32, MK_U64, MK_REAL, MK_BOOL,
    MK_TIMESTAMP, MK_UUID, MK_JSON, MK_MAP_TEXT, MK_MAP_JSON, MK_ENUM
} m_kind;

typedef struct m_enum {
    char *name;           /* "AgentStatus" */
    char *snake;          /* "agent_status" */
    size_t n;
    char **members;       /* serialized names: the snake_case of each member as written */
    int64_t *values;      /* integer-valued enums: the values; NULL otherwise */
    int line;
} m_enum;

typedef struct m_type {
    m_kind kind;
    bool optional;        /* T? */
    bool list;            /* T[] */
    m_enum *enumt;        /* MK_ENUM */
} m_type;

typedef enum m_lit_kind {
    ML_NONE = 0,
    ML_NULL,
    ML_INT,      /* i */
    ML_REAL,     /* d */
    ML_BOOL,     /* b */
    ML_TEXT,     /* s (unescaped, UTF-8) */
    ML_ENUM,     /* i: member index in the field's enum */
    ML_NOW,      /* now / now() */
    ML_UUID7,
    ML_UUID4,
    ML_EMPTY_LIST,
    ML_EMPTY_MAP
} m_lit_kind;

/* A literal, already converted to its field's type (an int literal given to a
 * real field is ML_REAL; an enum member is ML_ENUM). */
typedef struct m_lit {
    m_lit_kind kind;
    int64_t i;
    double d;
    bool b;
    char *s;
} m_lit;

typedef enum m_on_delete { MOD_RESTRICT = 0, MOD_CASCADE, MOD_SET_NULL } m_on_delete;

struct m_model;

typedef struct m_field {
    char *name;
    char *column;         /* @column or the name */
    m_type type;
    bool is_id;           /* part of the primary key (@id or @@id) */
    bool unique;          /* @unique */
    bool sequence;        /* @sequence */
    bool updated_now;     /* @updated_now */
    m_lit def;            /* @default; ML_NONE when absent */
    struct m_model *ref_model;   /* @ref, or NULL */
    size_t ref_field;
    m_on_delete on_delete;
    int line;
} m_field;

typedef struct m_index_part {
    size_t field;
    bool desc;
} m_index_part;

typedef struct m_index {
    char *name;           /* "<table>_<col>_<col>_idx" (unique: "_key"), unique in the schema */
    size_t n;
    m_index_part *parts;
    bool unique;
    bool derived;         /* derived from a query, not declared */
} m_index;

typedef struct m_model {
    char *name;           /* "Agent" */
    char *snake;          /* "agent" */
    char *table;          /* @@table or snake + "s" */
    size_t n_fields;
    m_field *fields;
    size_t n_pk;
    size_t *pk;           /* field indexes, key order */
    size_t n_indexes;
    m_index *indexes;     /* declared (@index, @@index, @unique, @@unique) then derived */
    int line;
} m_model;

typedef enum m_op {
    MO_EQ, MO_NE, MO_LT, MO_LE, MO_GT, MO_GE, MO_LIKE, MO_IN,
    MO_IS_NULL, MO_IS_NOT_NULL, MO_AND, MO_OR, MO_NOT
} m_op;

typedef enum m_operand_kind { MA_NONE = 0, MA_PARAM, MA_LIT, MA_NOW } m_operand_kind;

typedef struct m_operand {
    m_operand_kind kind;
    size_t param;         /* MA_PARAM: index in the query's params */
    m_lit lit;            /* MA_LIT, converted to the field's type */
} m_operand;

typedef struct m_expr {
    m_op op;
    size_t field;         /* comparisons */
    m_operand rhs;        /* comparisons except IS_NULL / IS_NOT_NULL */
    struct m_expr *a, *b; /* AND / OR: both; NOT: a */
} m_expr;

/* For select / update / delete: a model field. For aggregates: an index into
 * the query's items (the row fields), so a row can be ordered by a group-by
 * field or by an aggregate ("order by samples desc"). */
typedef struct m_order {
    size_t field;
    bool desc;
} m_order;

typedef struct m_set {
    size_t field;
    m_operand value;
    char arith;           /* 0: field = value; '+' / '-': field = field + / - value */
} m_set;

typedef enum m_agg_fn { MAGG_GROUP = 0, MAGG_COUNT, MAGG_SUM, MAGG_AVG, MAGG_MIN, MAGG_MAX } m_agg_fn;

/* One field of an aggregate's row struct: the group-by fields first (in group
 * by order, named as the field), then the select items (named by "as"). */
typedef struct m_agg_item {
    m_agg_fn fn;
    long field;           /* source field index; -1 for count() */
    char *name;           /* row field name */
    m_type type;          /* count: int; avg: real; sum: int or real; min/max/group: the field's */
} m_agg_item;

typedef enum m_query_kind { MQ_SELECT, MQ_UPDATE, MQ_DELETE, MQ_AGGREGATE } m_query_kind;
/* MR_FIRST: an update -> one that picks its row (order by / limit): changes
 * at most one row and returns it. An update -> many returns the rows it changed. */
typedef enum m_result { MR_MANY, MR_ONE, MR_COUNT, MR_BOOL, MR_FIRST } m_result;

typedef struct m_param {
    char *name;
    m_type type;
} m_param;

typedef struct m_query {
    char *name;           /* "pending" */
    m_model *model;
    m_query_kind kind;
    m_result result;      /* aggregate: MR_MANY */
    size_t n_params;
    m_param *params;
    m_expr *where;        /* NULL: all rows */
    size_t n_order;
    m_order *order;
    m_operand limit;      /* MA_NONE, MA_PARAM (an int param) or MA_LIT (ML_INT) */
    m_operand offset;
    size_t n_set;         /* update: declared sets, then @updated_now fields not named (as MA_NOW) */
    m_set *set;
    size_t n_group;
    size_t *group;
    size_t n_items;       /* aggregate: row fields (group fields first) */
    m_agg_item *items;
    int line;
} m_query;

typedef struct m_schema {
    char *ns;             /* "swarm" */
    char *source;         /* the schema file path as given */
    size_t n_enums;
    m_enum *enums;
    size_t n_models;
    m_model *models;
    size_t n_queries;
    m_query *queries;     /* in declaration order */
    struct nm_names *names;   /* the C names generated (names.h) */
} m_schema;

void m_schema_free(m_schema *s);

#endif /* DALC_MODEL_H */
