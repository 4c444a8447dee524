/* SPDX-License-Identifier: MIT */
/*
 * dal_errctx.c - context the facade adds to errors, the same on every
 * backend: the values behind a constraint violation, the key of a row that
 * was not found.
 */
#include "dal_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends printf-style text at buf[*used] (of size), never past the end. */
static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    if (*used >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (k > 0)
        *used = *used + (size_t)k < size ? *used + (size_t)k : size - 1;
}

/* "name = value" for one value: texts quoted, lists by their length. */
static void describe_named(char *buf, size_t size, size_t *used, const char *name, const dal_value *v)
{
    const char *sep = *used ? ", " : "";
    if (v->is_null)
        append(buf, size, used, "%s%s = null", sep, name);
    else if (v->is_list)
        append(buf, size, used, "%s%s = [%zu values]", sep, name, v->as.list.n);
    else if (v->type == DAL_TEXT || v->type == DAL_UUID)
        append(buf, size, used, "%s%s = '%.100s'", sep, name, v->as.s ? v->as.s : "");
    else if (v->type == DAL_REAL)
        append(buf, size, used, "%s%s = %g", sep, name, v->as.d);
    else if (v->type == DAL_U32 || v->type == DAL_U64)
        append(buf, size, used, "%s%s = %llu", sep, name, (unsigned long long)v->as.u);
    else if (v->type == DAL_JSON || v->type == DAL_MAP_TEXT || v->type == DAL_MAP_JSON)
        append(buf, size, used, "%s%s = <json>", sep, name);
    else
        append(buf, size, used, "%s%s = %lld", sep, name, (long long)v->as.i);
}

/* Whether column is one of the names in list ("a, b"). */
static bool listed(const char *list, const char *column)
{
    size_t n = strlen(column);
    for (const char *p = list; *p != '\0';) {
        const char *end = strstr(p, ", ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, column, n) == 0)
            return true;
        p = end ? end + 2 : p + len;
    }
    return false;
}

/* Appends " (values)" to err's message without touching its other fields. */
static void append_values(dal_error *err, const char *values)
{
    size_t used = strlen(err->message);
    if (values[0] != '\0')
        append(err->message, sizeof err->message, &used, " (%s)", values);
}

void dal_constraint_context(dal_error *err, const char *what, const dal_model *m, const void *obj,
                            const dal_value *key)
{
    if (err == NULL || err->code != DAL_ERR_CONSTRAINT)
        return;
    char values[256] = "";
    size_t used = 0;
    if (obj != NULL && err->constraint != DAL_CONSTRAINT_RESTRICT && strcmp(err->table, m->table) == 0) {
        for (size_t i = 0; i < m->n_fields; i++) {
            const dal_field *f = &m->fields[i];
            if (!listed(err->columns, f->column))
                continue;
            dal_value v = dal_field_value(f, obj);
            if (!dal_field_present(f, obj))
                v.is_null = true;
            describe_named(values, sizeof values, &used, f->name, &v);
        }
    } else if (key != NULL) {
        for (size_t i = 0; i < m->n_pk; i++)
            describe_named(values, sizeof values, &used, m->fields[m->pk[i]].name, &key[i]);
    }
    append_values(err, values);
    dal_error_prefix(err, "%s %s", what, m->name);
}

/* Marks in used[] the parameters the expression e reads. */
static void mark_params(const dal_expr *e, bool *used, size_t n)
{
    if (e == NULL)
        return;
    if (e->op == DAL_OP_AND || e->op == DAL_OP_OR || e->op == DAL_OP_NOT) {
        mark_params(e->a, used, n);
        mark_params(e->b, used, n);
    } else if (e->rhs.kind == DAL_ARG_PARAM && e->rhs.param < n) {
        used[e->rhs.param] = true;
    }
}

void dal_describe_where_args(const dal_query *q, const dal_value *args, char *buf, size_t size)
{
    enum { MAX_MARKED = 64 };
    bool marked[MAX_MARKED] = {false};
    mark_params(q->where, marked, MAX_MARKED);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < q->n_params; i++)
        if (i >= MAX_MARKED || marked[i])
            describe_named(buf, size, &used, q->params[i].name, &args[i]);
}

void dal_not_found_row(dal_error *err, const char *what, const dal_model *m, const void *obj)
{
    char key[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < m->n_pk; i++) {
        const dal_field *f = &m->fields[m->pk[i]];
        dal_value v = dal_field_value(f, obj);
        describe_named(key, sizeof key, &used, f->name, &v);
    }
    dal_set_error(err, DAL_ERR_NOT_FOUND, "%s %s: no row in %s with %s", what, m->name, m->table, key);
}
