/*
 * dal_builder.h - queries decided at run time (a search screen, an admin
 * filter), built over a model's descriptors and run by every backend.
 *
 * A builder owns a dal_query (id -1) and everything it points to: conditions,
 * orders, assignments and copies of every value given to it. Fields are model
 * field indexes: the generated wrappers (<ns>_<model>_query) pass them, so
 * user code names fields and value types checked by the compiler.
 *
 * Errors while building (no memory, a field that does not exist, an operator
 * that does not fit the field) are remembered by the builder and returned by
 * the next terminal call, so building code needs no checks; the message names
 * the operator, the field and why ("operator LIKE on Task.priority (enum)
 * needs a text field").
 *
 * Ownership and threads: a builder and its conditions are plain heap data,
 * owned by whoever made them until handed to a function that takes them
 * (dal_builder_where, dal_cond_and/or/not). A builder is used by one thread
 * at a time; different builders may run on one dal_db from many threads.
 * Terminal outputs follow dal.h: the output list or struct must start
 * initialised and is replaced (its old contents freed) on success.
 */
#ifndef DAL_BUILDER_H
#define DAL_BUILDER_H

#include "dal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dal_builder dal_builder;
typedef struct dal_cond dal_cond;

typedef enum dal_dialect {
    DAL_DIALECT_SQLITE,
    DAL_DIALECT_POSTGRES /* not built yet: DAL_ERR_INVALID */
} dal_dialect;

/* A builder selecting every row of m (which must have a table). NULL on OOM. */
dal_builder *dal_builder_new(const dal_model *m);
/* Frees the builder and every condition attached to it. NULL is fine. */
void dal_builder_free(dal_builder *b);
const dal_model *dal_builder_model(const dal_builder *b);

/* Conditions. A condition not attached to a builder is freed with
 * dal_cond_free. Constructors return NULL on OOM or when the operator does not
 * fit the field (like: text only; in: v->is_list; cmp: not json, map or list);
 * a NULL handed to and/or/not or to dal_builder_where propagates, and the
 * builder's terminals then fail with DAL_ERR_INVALID. */
/* field op v; v is copied (strings, JSON, lists). v must hold a value of
 * the field's type (a NULL value is refused: use IS_NULL / IS_NOT_NULL, which
 * ignore v, and v may be NULL for them). */
dal_cond *dal_cond_cmp(const dal_model *m, unsigned field, dal_op op, const dal_value *v);
/* Take ownership of their operands (also on failure). */
dal_cond *dal_cond_and(dal_cond *a, dal_cond *b);
dal_cond *dal_cond_or(dal_cond *a, dal_cond *b);
dal_cond *dal_cond_not(dal_cond *a);
void dal_cond_free(dal_cond *c);

/* Adds cond (taking ownership) ANDed with the conditions already there. */
void dal_builder_where(dal_builder *b, dal_cond *cond);
/* Appends an order field (ties are always broken by the primary key asc). */
void dal_builder_order(dal_builder *b, unsigned field, bool desc);
/* Negative values are an error at the terminal. */
void dal_builder_limit(dal_builder *b, int64_t limit);
void dal_builder_offset(dal_builder *b, int64_t offset);
/* Keyset pagination: only rows strictly after row (a struct of the model,
 * copied) in the builder's full order - its order fields, then the primary
 * key ascending - with NULLs first ascending and last descending. */
void dal_builder_after(dal_builder *b, const void *row);
/* Update: field = v (copied). @updated_now fields are set to now as well. */
void dal_builder_set(dal_builder *b, unsigned field, const dal_value *v);

/* The query as built (where, order, limit, offset; without the keyset
 * condition, which terminals add), for inspection. */
const dal_query *dal_builder_query(const dal_builder *b);

/* Terminals: through the facade, so db may be a transaction's handle. */
/* out: a list of the model's struct, replaced on success. */
dal_code dal_builder_fetch(dal_db *db, dal_builder *b, dal_list *out, dal_error *err);
/* The first row in order, if any (*found false otherwise; out unchanged). */
dal_code dal_builder_fetch_one(dal_db *db, dal_builder *b, void *out, bool *found, dal_error *err);
/* Rows fetch would return (limit and offset apply). */
dal_code dal_builder_count(dal_db *db, dal_builder *b, int64_t *n, dal_error *err);
dal_code dal_builder_exists(dal_db *db, dal_builder *b, bool *exists, dal_error *err);
/* Delete / update the matching rows; *n (may be NULL) rows changed. Limit and
 * offset are DAL_ERR_INVALID here; update needs at least one set. */
dal_code dal_builder_delete(dal_db *db, dal_builder *b, int64_t *n, dal_error *err);
dal_code dal_builder_update(dal_db *db, dal_builder *b, int64_t *n, dal_error *err);

/* The select's SQL text in dialect d and its bound values as a JSON array
 * (both malloc'd; the caller frees them). Identifiers come from the schema
 * only; every value is a parameter. */
dal_code dal_builder_sql(const dal_builder *b, dal_dialect d, char **sql, char **params_json, dal_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DAL_BUILDER_H */
