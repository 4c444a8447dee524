/*
 * pg_internal.h - what the files of the PostgreSQL backend share.
 *
 *   ../sql/        every SQL text, in the PostgreSQL dialect (pg_backend.c)
 *   pg_values.c    values between C structs and PostgreSQL's text format
 *   pg_backend.c   connections, statements, errors, transactions and the
 *                  dal_backend table
 *
 * Every value is a parameter of a prepared statement, sent in text format;
 * results come back in text format and are decoded strictly.
 */
#ifndef DAL_PG_INTERNAL_H
#define DAL_PG_INTERNAL_H

#include <libpq-fe.h>

#include "dal_backend.h"
#include "sql_writer.h"

/* The parameters of one statement: text values (NULL for SQL NULL). */
typedef struct pg_params {
    sq_buf buf;        /* the values, each ended by '\0' */
    size_t *off;       /* [n]: offset in buf, or SIZE_MAX for NULL */
    const char **v;    /* [n], made by pg_params_values */
    size_t n, cap;
    bool oom;
} pg_params;

/* Empties p for the next statement (keeps its memory). */
void pg_params_reset(pg_params *p);
void pg_params_free(pg_params *p);
void pg_param_null(pg_params *p);
void pg_param_text(pg_params *p, const char *s);
void pg_param_int(pg_params *p, int64_t v);
/* Field f of obj in its storage encoding (see pg_values.c). */
dal_code pg_param_field(pg_params *p, const dal_field *f, const void *obj, const dal_model *m, dal_error *err);
/* v encoded as the column of target (NULL: v as it is); a list (an IN
 * operand) becomes a PostgreSQL array literal. */
dal_code pg_param_value(pg_params *p, const dal_field *target, const dal_value *v, dal_error *err);
/* The value pointers for PQexecPrepared; NULL with err filled on OOM. */
const char *const *pg_params_values(pg_params *p, dal_error *err);

/* Decodes row `row` of r (column i = field i) into obj, which must be
 * zeroed. On failure clears obj and names table, key and column in err. */
dal_code pg_read_row(const PGresult *r, int row, const dal_model *m, const char *table, void *obj, dal_error *err);

/* The PostgreSQL dialect of the SQL writer. */
extern const sq_dialect pg_dialect;

#endif /* DAL_PG_INTERNAL_H */
