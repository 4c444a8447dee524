/*
 * ast.h - the syntax tree that grammar.y builds: the schema as written, every
 * name with its position. Names are slices of the source text (src_tok), so
 * a tree lives no longer than its text. Nothing here is checked yet; check.c
 * resolves the tree into model.h.
 *
 * The builders are the grammar's actions: each takes ownership of the nodes
 * it is given. Every _free accepts NULL.
 */
#ifndef DALC_AST_H
#define DALC_AST_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "model.h"

/* ------------------------------------------------------------ values */

typedef enum ast_value_kind {
    AV_PARAM,               /* $name (tok includes the '$') */
    AV_INT, AV_REAL,
    AV_STRING,              /* tok includes the quotes; escapes not yet undone */
    AV_TRUE, AV_FALSE, AV_NULL,
    AV_NAME,                /* an enum member, or a word: now, uuid7, desc, cascade */
    AV_CALL                 /* name(): now() */
} ast_value_kind;

typedef struct ast_value {
    ast_value_kind kind;
    src_tok tok;
} ast_value;

ast_value ast_value_make(ast_value_kind kind, src_tok tok);

/* ------------------------------------------------------------ types */

/* A type as written: name, or name<elem>, then [] and/or ?. */
typedef struct ast_type {
    src_tok name;           /* "text", "map", "AgentStatus" */
    src_tok elem;           /* map<elem>; s == NULL otherwise */
    src_tok list;           /* the "[" of T[]; s == NULL otherwise */
    src_tok optional;       /* the "?"; s == NULL otherwise */
} ast_type;

ast_type ast_type_named(src_tok name);
ast_type ast_type_generic(src_tok name, src_tok elem);
ast_type ast_type_list(ast_type t, src_tok bracket);
ast_type ast_type_optional(ast_type t, src_tok question);

/* ------------------------------------------------------------ attributes */

/* "f", "f asc", "f desc": in @@index([...]) and order by. */
typedef struct ast_key {
    src_tok name;
    bool desc;
} ast_key;

ast_key ast_key_make(src_tok name, bool desc);

typedef enum ast_arg_kind {
    AA_VALUE,               /* a value: "agents", 0, uuid7, desc */
    AA_PATH,                /* Model.field */
    AA_NAMED,               /* name: value (on_delete: cascade) */
    AA_LIST,                /* [key, ...], possibly empty */
    AA_MAP                  /* {} */
} ast_arg_kind;

typedef struct ast_arg {
    ast_arg_kind kind;
    src_tok at;             /* where the argument starts */
    ast_value value;        /* AA_VALUE, AA_NAMED */
    src_tok a, b;           /* AA_PATH: a.b; AA_NAMED: a is the name */
    size_t n_keys;          /* AA_LIST */
    ast_key *keys;
} ast_arg;

ast_arg *ast_arg_value(ast_value v);
ast_arg *ast_arg_path(src_tok model, src_tok field);
ast_arg *ast_arg_named(src_tok name, ast_value v);
ast_arg *ast_arg_list(src_tok bracket);                 /* [] */
ast_arg *ast_arg_keys(src_tok bracket, ast_key first);  /* [first, ... */
ast_arg *ast_arg_add_key(ast_arg *list, ast_key key);
ast_arg *ast_arg_map(src_tok brace);
void ast_arg_free(ast_arg *a);

/* The parenthesized arguments of an attribute. */
typedef struct ast_args {
    size_t n;
    ast_arg **v;
} ast_args;

ast_args *ast_args_new(ast_arg *first);     /* first may be NULL: () */
ast_args *ast_args_add(ast_args *l, ast_arg *a);
void ast_args_free(ast_args *l);

/* @name(args) on a field, or @@name(args) on a model. */
typedef struct ast_attr {
    src_tok at;             /* the whole "@name" / "@@name" token */
    src_tok name;           /* without the '@'s */
    bool model;             /* @@ */
    bool parens;            /* written with (...), even empty */
    size_t n_args;
    ast_arg **args;
} ast_attr;

/* Takes args (NULL: written without parentheses). */
ast_attr *ast_attr_new(src_tok at, ast_args *args);
void ast_attr_free(ast_attr *a);

/* ------------------------------------------------------------ declarations */

typedef struct ast_field {
    src_tok name;
    ast_type type;
    size_t n_attrs;
    ast_attr **attrs;
} ast_field;

ast_field *ast_field_new(src_tok name, ast_type type);
ast_field *ast_field_add_attr(ast_field *f, ast_attr *a);
void ast_field_free(ast_field *f);

typedef struct ast_model {
    src_tok kw, name;
    size_t n_fields;
    ast_field **fields;
    size_t n_attrs;         /* @@attributes, in order */
    ast_attr **attrs;
} ast_model;

ast_model *ast_model_new(src_tok kw, src_tok name);
ast_model *ast_model_add_field(ast_model *m, ast_field *f);
ast_model *ast_model_add_attr(ast_model *m, ast_attr *a);
void ast_model_free(ast_model *m);

typedef struct ast_member {
    src_tok name;
    src_tok value;          /* the integer of "= N"; s == NULL when absent */
} ast_member;

ast_member ast_member_plain(src_tok name);
ast_member ast_member_valued(src_tok name, src_tok value);

typedef struct ast_enum {
    src_tok kw, name;
    size_t n;
    ast_member *members;
} ast_enum;

ast_enum *ast_enum_new(src_tok kw, src_tok name, ast_member first);
ast_enum *ast_enum_add(ast_enum *e, ast_member m);
void ast_enum_free(ast_enum *e);

/* ------------------------------------------------------------ queries */

typedef struct ast_op {
    m_op op;
    src_tok tok;
} ast_op;

ast_op ast_op_make(m_op op, src_tok tok);

typedef struct ast_expr {
    m_op op;
    src_tok at;             /* the field (comparisons) or the operator */
    src_tok field;          /* comparisons, like, in, is [not] null */
    ast_value rhs;          /* comparisons, like, in */
    struct ast_expr *a, *b; /* and / or: both; not: a */
} ast_expr;

ast_expr *ast_expr_compare(src_tok field, ast_op op, ast_value rhs);
ast_expr *ast_expr_null(src_tok field, m_op op);
ast_expr *ast_expr_logic(ast_op op, ast_expr *a, ast_expr *b);
void ast_expr_free(ast_expr *e);

typedef struct ast_param {
    src_tok name;
    ast_type type;
} ast_param;

ast_param ast_param_make(src_tok name, ast_type type);

/* field = value, or field = base + value / base - value (op: the '+' or '-';
 * base.s set and op.s NULL for "base -1", a negative number). */
typedef struct ast_set {
    src_tok field;
    ast_value value;
    src_tok base, op;
} ast_set;

ast_set ast_set_make(src_tok field, ast_value value);
ast_set ast_set_arith(src_tok field, src_tok base, src_tok op, ast_value value);

/* fn(arg) as name; arg.s == NULL for count(). */
typedef struct ast_item {
    src_tok fn, arg, name;
} ast_item;

ast_item ast_item_make(src_tok fn, src_tok arg, src_tok name);

typedef struct ast_kind {
    m_query_kind kind;
    src_tok tok;
} ast_kind;

ast_kind ast_kind_make(m_query_kind kind, src_tok tok);

/* One query / update / delete / aggregate. Each clause remembers its
 * keyword (s == NULL when the clause is absent); a clause given twice is
 * kept once (the first) and its second keyword recorded in dup for the
 * checker. */
typedef struct ast_query {
    m_query_kind kind;
    src_tok kw, model, name;
    src_tok result;         /* the word after "->"; s == NULL when absent */
    size_t n_params;
    ast_param *params;
    src_tok where_kw;
    ast_expr *where;
    src_tok order_kw;
    size_t n_order;
    ast_key *order;
    src_tok group_kw;
    size_t n_group;
    src_tok *group;
    src_tok select_kw;
    size_t n_items;
    ast_item *items;
    src_tok set_kw;
    size_t n_set;
    ast_set *set;
    src_tok limit_kw, offset_kw;
    ast_value limit, offset;
    src_tok dup;
    bool skip;              /* while building: inside a repeated clause */
} ast_query;

ast_query *ast_query_new(ast_kind kind, src_tok model, src_tok name);
ast_query *ast_query_add_param(ast_query *q, ast_param p);
ast_query *ast_query_result(ast_query *q, src_tok result);
ast_query *ast_query_where(ast_query *q, src_tok kw, ast_expr *e);
ast_query *ast_query_order(ast_query *q, src_tok kw, ast_key first);
ast_query *ast_query_add_order(ast_query *q, ast_key key);
ast_query *ast_query_group(ast_query *q, src_tok kw, src_tok first);
ast_query *ast_query_add_group(ast_query *q, src_tok field);
ast_query *ast_query_select(ast_query *q, src_tok kw, ast_item first);
ast_query *ast_query_add_item(ast_query *q, ast_item item);
ast_query *ast_query_set(ast_query *q, src_tok kw, ast_set first);
ast_query *ast_query_add_set(ast_query *q, ast_set set);
ast_query *ast_query_limit(ast_query *q, src_tok kw, ast_value v);
ast_query *ast_query_offset(ast_query *q, src_tok kw, ast_value v);
void ast_query_free(ast_query *q);

/* ------------------------------------------------------------ the schema */

typedef struct ast_namespace {
    src_tok kw, name;
} ast_namespace;

typedef struct ast_schema {
    src_tok first;          /* keyword of the first declaration; s == NULL when none */
    size_t n_ns;
    ast_namespace *ns;
    size_t n_enums;
    ast_enum **enums;
    size_t n_models;
    ast_model **models;
    size_t n_queries;
    ast_query **queries;
} ast_schema;

ast_schema *ast_schema_new(void);
void ast_schema_add_namespace(ast_schema *s, src_tok kw, src_tok name);
void ast_schema_add_enum(ast_schema *s, ast_enum *e);
void ast_schema_add_model(ast_schema *s, ast_model *m);
void ast_schema_add_query(ast_schema *s, ast_query *q);
void ast_schema_free(ast_schema *s);

/* ------------------------------------------------------------ the stages */

/* Lexes and parses text (len bytes, then a NUL) into a tree, reporting
 * lexical and syntax errors into d. Always returns a tree (free it with
 * ast_schema_free): the declarations that parsed. */
ast_schema *dalc_parse(const char *text, size_t len, diag *d);

/* Resolves a tree (that parsed without error) into the model, reporting
 * every semantic error into d. Returns NULL when there is any. */
m_schema *dalc_check(const ast_schema *ast, const char *path, diag *d);

/* Adds the indexes that the queries need (docs/indexes.md) and names every
 * index; s has been checked. */
void dalc_derive(m_schema *s);

struct nm_names;
/* Reports every clash of the C names the declarations generate (names.h):
 * two declarations that would generate one name, a name C or an included
 * header has; s has been checked and derived. */
void dalc_check_names(const ast_schema *ast, const m_schema *s, const struct nm_names *names, diag *d);

#endif /* DALC_AST_H */
