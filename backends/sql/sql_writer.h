/*
 * sql_writer.h - the SQL writer both SQL backends share (sql_writer.c).
 *
 * Every SQL text (DDL, the per-model statements, declared and built queries)
 * is made here from the schema descriptors, in the dialect of one engine.
 * Identifiers come only from the descriptors and are always quoted; values
 * never appear in SQL text: each becomes a placeholder whose binding is
 * recorded in a plan (sq_bind), so statements are prepared once per
 * connection and reused. A backend binds the plan with its own value
 * encoder.
 *
 * SQLite and PostgreSQL differ only in the sq_dialect below.
 */
#ifndef DAL_SQL_WRITER_H
#define DAL_SQL_WRITER_H

#include "dal_backend.h"

/* How one SQL engine spells what the writer needs. */
typedef struct sq_dialect {
    const char *name;                          /* "sqlite", "postgresql" */
    /* placeholders: "$1", "$2", ... (numbered) or "?" */
    bool numbered_params;
    /* column type of a field in CREATE TABLE (collation included) */
    const char *(*column_type)(const dal_field *f);
    /* "x = $p" where $p may be NULL at run time: NULL-safe (in)equality */
    const char *eq_null_safe, *ne_null_safe;   /* " IS ", " IS NOT " */
    /* LIKE: ASCII case-insensitive, no escape character: op before the
     * pattern placeholder, and what follows it */
    const char *like_op, *like_tail;           /* " LIKE ", "" */
    /* IN over a list parameter bound as one value: before and after it */
    const char *in_head, *in_tail;             /* " IN (SELECT value FROM json_each(", "))" */
    /* ORDER BY directions; NULLs first ascending, last descending */
    const char *asc, *desc;                    /* " ASC", " DESC" */
    /* the same for the parts of CREATE INDEX */
    const char *index_asc, *index_desc;        /* "", " DESC" */
    /* an OFFSET without LIMIT needs "LIMIT -1" (SQLite) */
    bool offset_needs_limit;
    /* SET of an UPDATE that changes nothing but must match the row; NULL:
     * the first key column set to itself */
    const char *noop_set;                      /* "rowid = rowid" */
    /* DDL run before the tables (e.g. the sequences table), or NULL */
    const char *ddl_head;
    /* @sequence fields get a native sequence each ("<table>_<column>_seq") */
    bool native_sequences;
} sq_dialect;

/* ------------------------------------------------------------------------ */
/* Strings                                                                   */
/* ------------------------------------------------------------------------ */

/* A growing string; oom is set (and later appends ignored) when malloc fails. */
typedef struct sq_buf {
    char *s;
    size_t n, cap;
    bool oom;
} sq_buf;

void sq_buf_add(sq_buf *b, const char *text);
void sq_buf_addn(sq_buf *b, const char *text, size_t len);
void sq_buf_addc(sq_buf *b, char c);
/* Appends an identifier quoted with "" (embedded quotes doubled). */
void sq_buf_ident(sq_buf *b, const char *name);
void sq_buf_uint(sq_buf *b, unsigned long v);
/* Returns the string (the caller frees it) or NULL on OOM; resets b. */
char *sq_buf_take(sq_buf *b);
void sq_buf_free(sq_buf *b);

/* What one placeholder of a query's SQL is bound to. */
typedef enum sq_bind_kind {
    SQB_PARAM,  /* args[param], encoded as target's column (a list: JSON array) */
    SQB_VALUE,  /* *value (a literal of the query), encoded as target's column */
    SQB_NOW,    /* the call's current time */
    SQB_INT     /* the integer i (SQLite: LIMIT -1 when only an offset is given) */
} sq_bind_kind;

typedef struct sq_bind {
    sq_bind_kind kind;
    const dal_field *target; /* the column the value is compared with or stored in; NULL for limits */
    unsigned param;
    const dal_value *value;
    int64_t i;
} sq_bind;

typedef struct sq_plan {
    char *sql;
    size_t n_binds;
    sq_bind *binds;
} sq_plan;

/* Built-in statements of a model. Bind order:
 *   INSERT   every field, in field order (with native_sequences: but the
 *            @sequence ones, which take nextval() and come back RETURNING)
 *   GET, DELETE, EXISTS   the primary-key fields, in key order
 *   UPDATE   the fields that are neither key nor @sequence, then the key
 *            (RETURNING the @sequence fields)
 *   UPSERT   every field (models without @sequence only)
 *   LIST, COUNT   nothing */
typedef enum sq_model_op {
    SQ_INSERT, SQ_GET, SQ_UPDATE, SQ_UPSERT, SQ_DELETE, SQ_LIST, SQ_COUNT, SQ_EXISTS, SQ_N_OPS
} sq_model_op;

typedef struct sq_model_sql {
    const dal_model *m;
    char *sql[SQ_N_OPS];
    size_t n_update;        /* UPDATE's SET fields, in bind order */
    unsigned *update_fields;
    size_t n_seq;           /* @sequence fields */
    unsigned *seq_fields;
} sq_model_sql;

/* Per-model SQL for every model of the schema that has a table. */
dal_code sq_model_sql_build(const sq_dialect *d, const dal_model *m, sq_model_sql *out, dal_error *err);
void sq_model_sql_free(sq_model_sql *ms);

/* SQL + bind plan of a select, update, delete or aggregate query. */
dal_code sq_plan_build(const sq_dialect *d, const dal_query *q, sq_plan *out, dal_error *err);
void sq_plan_free(sq_plan *p);
/* The plan of a select query counted: SELECT count(*) FROM (select). */
dal_code sq_count_plan_build(const sq_dialect *d, const dal_query *q, sq_plan *out, dal_error *err);

/* The DDL of the whole schema, statements separated by ";\n". */
char *sq_schema_ddl(const sq_dialect *d, const dal_schema *s);

/* The SQL text of q in dialect d and the values bound to its placeholders as
 * a JSON array (text-valued enum members by name, "now" for the call's
 * time); both malloc'd. args may be NULL when q has no parameters. */
dal_code sq_query_sql_text(const sq_dialect *d, const dal_query *q, const dal_value *args, char **sql,
                           char **params_json, dal_error *err);

/* ------------------------------------------------------------------------ */
/* Values the SQL backends encode alike (sql_values.c)                       */
/* ------------------------------------------------------------------------ */

/* The stored form of enum value v: *name is its member name for text-valued
 * enums, NULL for integer-valued ones (stored as the integer). */
dal_code sq_enum_member(const dal_enum *e, int64_t v, const char **name, dal_error *err);
dal_code sq_enum_from_text(const dal_enum *e, const char *text, size_t len, int *out, dal_error *err);
dal_code sq_enum_from_int(const dal_enum *e, int64_t v, int *out, dal_error *err);
/* A typed list as JSON array text (malloc'd) in *out. in_list: for an IN
 * parameter of SQLite (json_each): u64 as its signed bits, bools as 0 / 1. */
dal_code sq_encode_list(dal_type t, const dal_enum *e, const dal_list *l, bool in_list, char **out,
                        dal_error *err);
/* A JSON array text into the list of field f (strict: DAL_ERR_SERIALIZATION). */
dal_code sq_decode_list(const dal_field *f, const char *text, size_t len, dal_list *out, dal_error *err);
/* A JSON text into the json / map field f (JSON null: NULL for json). */
dal_code sq_decode_json(const dal_field *f, const char *text, size_t len, cJSON **out, dal_error *err);

/* "id = '…'" from the key fields of obj, for messages. */
void sq_describe_key(const dal_model *m, const void *obj, char *buf, size_t size);
void sq_describe_key_values(const dal_model *m, const dal_value *key, char *buf, size_t size);
/* "col = 'value'" for one scalar field of obj, or for a value. */
void sq_describe_field(const dal_field *f, const void *obj, char *buf, size_t size);
void sq_describe_value(const dal_field *f, const dal_value *v, char *buf, size_t size);
/* Writes the integer v into a numeric field (sequence values). */
void sq_store_int(const dal_field *f, void *obj, int64_t v);

/* The name of the native sequence of @sequence field f of m, quoted, into b. */
void sq_sequence_name(sq_buf *b, const dal_model *m, const dal_field *f);

#endif /* DAL_SQL_WRITER_H */
