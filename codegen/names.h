/*
 * names.h - the one owner of the C names dalc generates.
 *
 * Every type, function, object and macro the emitters write for the
 * namespace, an enum and its members, a model and its fields, a query and an
 * aggregate's row is spelled here (the tables below) and nowhere else: the
 * emitters read the names from nm_build's result, and the checker
 * (check_generated_names in check.c) walks the same names with nm_each to
 * report two declarations that would generate one C name, or a name the C
 * library or the runtime already declares.
 *
 * A pattern is expanded with {p} = the owner's prefix ("swarm_task"), {P} =
 * its upper case, {n} = the member's name ("priority"), {N} = its upper case.
 */
#ifndef DALC_NAMES_H
#define DALC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* What a name is, for the messages and for the scopes a name lives in. */
typedef enum nm_what {
    NM_TYPE,      /* typedef / struct tag */
    NM_FUNC,      /* external function */
    NM_OBJECT,    /* object (descriptor, static table) */
    NM_MACRO,     /* #define */
    NM_CONST      /* enumeration constant */
} nm_what;

/* X(member, pattern, what) */

/* The namespace: {p} = ns. */
#define NM_NS_NAMES(X)                                                                                  \
    X(db, "{p}_db", NM_TYPE) X(tx, "{p}_tx", NM_TYPE) X(open, "{p}_open", NM_FUNC)                        \
    X(open_with, "{p}_open_with", NM_FUNC) X(close, "{p}_close", NM_FUNC) X(begin, "{p}_begin", NM_FUNC)  \
    X(tx_db, "{p}_tx_db", NM_FUNC) X(commit, "{p}_commit", NM_FUNC) X(rollback, "{p}_rollback", NM_FUNC)  \
    X(tx_free, "{p}_tx_free", NM_FUNC) X(vacuum, "{p}_vacuum", NM_FUNC)                                 \
    X(checkpoint, "{p}_checkpoint", NM_FUNC) X(storage_size, "{p}_storage_size", NM_FUNC)               \
    X(pool_status, "{p}_pool_status", NM_FUNC) X(schema, "{p}_schema", NM_OBJECT)                       \
    X(enums, "{p}_enums", NM_OBJECT) X(models, "{p}_models", NM_OBJECT)                                 \
    X(queries, "{p}_queries", NM_OBJECT) X(guard, "{P}_H", NM_MACRO)

/* An enum: {p} = ns_enum. */
#define NM_ENUM_NAMES(X)                                                                                \
    X(type, "{p}", NM_TYPE) X(list, "{p}_list", NM_TYPE) X(to_string, "{p}_to_string", NM_FUNC)           \
    X(from_string, "{p}_from_string", NM_FUNC) X(desc, "{p}_enum", NM_OBJECT)                           \
    X(names, "{p}_names", NM_OBJECT) X(values, "{p}_values", NM_OBJECT) X(count, "{P}_COUNT", NM_MACRO)

/* An enum member: {p} = ns_enum, {n} = the member's stored name. */
#define NM_MEMBER_NAMES(X) X(constant, "{P}_{N}", NM_CONST)

/* A record struct (a model, an aggregate's row): {p} = ns_model or
 * ns_model_query_row. */
#define NM_RECORD_NAMES(X)                                                                              \
    X(type, "{p}", NM_TYPE) X(list, "{p}_list", NM_TYPE) X(init, "{p}_init", NM_FUNC)                     \
    X(clear, "{p}_clear", NM_FUNC) X(new_, "{p}_new", NM_FUNC) X(free, "{p}_free", NM_FUNC)               \
    X(copy, "{p}_copy", NM_FUNC) X(equal, "{p}_equal", NM_FUNC) X(to_json, "{p}_to_json", NM_FUNC)        \
    X(to_cjson, "{p}_to_cjson", NM_FUNC) X(from_json, "{p}_from_json", NM_FUNC)                         \
    X(from_cjson, "{p}_from_cjson", NM_FUNC) X(list_free, "{p}_list_free", NM_FUNC)                     \
    X(desc, "{p}_model", NM_OBJECT) X(fields, "{p}_fields", NM_OBJECT)

/* A model besides its record names: storage, the builder. {p} = ns_model. */
#define NM_MODEL_NAMES(X)                                                                               \
    X(insert, "{p}_insert", NM_FUNC) X(insert_many, "{p}_insert_many", NM_FUNC) X(get, "{p}_get", NM_FUNC) \
    X(update, "{p}_update", NM_FUNC) X(upsert, "{p}_upsert", NM_FUNC) X(delete_, "{p}_delete", NM_FUNC)   \
    X(all, "{p}_all", NM_FUNC) X(count, "{p}_count", NM_FUNC) X(pk, "{p}_pk", NM_OBJECT)                  \
    X(indexes, "{p}_indexes", NM_OBJECT) X(field_count, "{P}_FIELD_COUNT", NM_CONST)                    \
    X(query, "{p}_query", NM_TYPE) X(cond, "{p}_cond", NM_TYPE) X(query_new, "{p}_query_new", NM_FUNC)    \
    X(query_free, "{p}_query_free", NM_FUNC) X(and_, "{p}_and", NM_FUNC) X(or_, "{p}_or", NM_FUNC)        \
    X(not_, "{p}_not", NM_FUNC) X(cond_free, "{p}_cond_free", NM_FUNC)                                  \
    X(query_where, "{p}_query_where", NM_FUNC) X(query_limit, "{p}_query_limit", NM_FUNC)               \
    X(query_offset, "{p}_query_offset", NM_FUNC) X(query_after, "{p}_query_after", NM_FUNC)             \
    X(query_fetch, "{p}_query_fetch", NM_FUNC) X(query_fetch_one, "{p}_query_fetch_one", NM_FUNC)       \
    X(query_count, "{p}_query_count", NM_FUNC) X(query_exists, "{p}_query_exists", NM_FUNC)             \
    X(query_delete, "{p}_query_delete", NM_FUNC) X(query_update, "{p}_query_update", NM_FUNC)           \
    X(query_sql, "{p}_query_sql", NM_FUNC)

/* A model's field: {p} = ns_model, {n} = the field. Which of these a field
 * gets: nm_field_has. */
#define NM_FIELD_NAMES(X)                                                                               \
    X(number, "{P}_F_{N}", NM_CONST) X(ref, "{p}_{n}_ref", NM_OBJECT) X(is, "{p}_{n}_is", NM_FUNC)        \
    X(like, "{p}_{n}_like", NM_FUNC) X(in, "{p}_{n}_in", NM_FUNC) X(null, "{p}_{n}_null", NM_FUNC)        \
    X(order_by, "{p}_query_order_by_{n}", NM_FUNC) X(set, "{p}_query_set_{n}", NM_FUNC)

/* A declared query: {p} = ns_model_query. */
#define NM_QUERY_NAMES(X)                                                                               \
    X(fn, "{p}", NM_FUNC) X(desc, "{p}_query", NM_OBJECT) X(param_table, "{p}_params", NM_OBJECT)         \
    X(where, "{p}_where", NM_OBJECT) X(order, "{p}_order", NM_OBJECT) X(set, "{p}_set", NM_OBJECT)        \
    X(group, "{p}_group", NM_OBJECT) X(item_table, "{p}_items", NM_OBJECT)

#define NM_DECLARE(member, pattern, what) char *member;

typedef struct nm_ns { NM_NS_NAMES(NM_DECLARE) } nm_ns;
typedef struct nm_record { NM_RECORD_NAMES(NM_DECLARE) } nm_record;

typedef struct nm_enum {
    NM_ENUM_NAMES(NM_DECLARE)
    char **members;       /* the constant of each member: SWARM_TASK_STATUS_PENDING */
} nm_enum;

typedef struct nm_field {
    NM_FIELD_NAMES(NM_DECLARE)
    char *member;         /* the struct member: the name, '_' added to a C keyword */
    char *has;            /* has_<name>: the presence flag of an optional scalar */
    char *param;          /* as a parameter of a generated function (key fields) */
} nm_field;

typedef struct nm_model {
    nm_record r;
    NM_MODEL_NAMES(NM_DECLARE)
    nm_field *fields;
    char **index_parts;   /* {p}_index<i>, one per index (declared and derived) */
} nm_model;

typedef struct nm_query {
    NM_QUERY_NAMES(NM_DECLARE)
    nm_record row;        /* aggregates: the row struct {p}_row; NULLs otherwise */
    char **params;        /* the C name of each parameter */
    char **items;         /* aggregates: the row member of each item */
    char **item_has;      /* ... and its has_ flag */
} nm_query;

typedef struct nm_names {
    nm_ns ns;
    nm_enum *enums;
    nm_model *models;
    nm_query *queries;
} nm_names;

#undef NM_DECLARE

/* Every name of a checked schema (after dalc_derive). Never NULL. */
nm_names *nm_build(const m_schema *s);
void nm_free(nm_names *n, const m_schema *s);

/* The field operations the typed builder has. */
bool nm_comparable(const m_type *t);     /* _is, _in, order_by */
bool nm_settable(const m_field *f);      /* query_set */

/* Which of NM_FIELD_NAMES field f of model m gets (member = the X-macro
 * member name, e.g. "like"). */
bool nm_field_has(const m_field *f, const char *member);

/* The C spelling of a schema name used as a struct member or a parameter: a
 * name that C or the included headers already give a meaning (a keyword, a
 * macro, a library name) gets a trailing '_'. */
char *nm_c_name(const char *s);
/* A parameter of a generated function: also renamed when it is one of the
 * function's own parameters or locals (db, out, found, changed, err, ...). */
char *nm_param_name(const char *s);

/* True when s is a name the C language or the headers the generated code
 * includes (<stdbool.h> <stddef.h> <stdint.h> <stdlib.h>, cJSON, dal.h)
 * declare or reserve; *why names which. */
bool nm_reserved(const char *s, const char **why);

/* Who generates a name, for nm_each. */
typedef enum nm_owner_kind {
    NO_NAMESPACE, NO_ENUM, NO_MEMBER, NO_MODEL, NO_FIELD, NO_QUERY, NO_PARAM, NO_ITEM
} nm_owner_kind;

/* The scopes names live in: one file scope, the members of each struct, the
 * parameters of each function. */
typedef enum nm_scope { NS_FILE, NS_STRUCT, NS_PARAMS } nm_scope;

typedef struct nm_owner {
    nm_owner_kind kind;
    size_t i, j;          /* enum/model/query index; member/field/param/item index */
} nm_owner;

/* Calls fn for every name generated, with its scope: NS_FILE names are the
 * globals; NS_STRUCT names (struct members) and NS_PARAMS names (parameters
 * of a query's function, key fields of get/delete) belong to the struct or
 * function of owner's model (i) or query (i). */
typedef void nm_each_fn(void *ctx, nm_owner owner, nm_scope scope, nm_what what, const char *name);
void nm_each(const nm_names *n, const m_schema *s, nm_each_fn *fn, void *ctx);

#endif /* DALC_NAMES_H */
