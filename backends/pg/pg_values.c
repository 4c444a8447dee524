/*
 * pg_values.c - values between C structs and PostgreSQL columns, in
 * PostgreSQL's text format.
 *
 * Storage encoding (one typed column per field, see pg_column_type):
 *   text, text-valued enums    text COLLATE "C" (bytewise order, as SQLite)
 *   uuid                       uuid (the facade passes only canonical lower-case
 *                              uuids, which PostgreSQL returns unchanged and
 *                              orders as their text)
 *   int, timestamp, u32        bigint (timestamps: microseconds since 1970)
 *   u64                        bigint holding the same 64 bits (bit-cast)
 *   i32                        integer
 *   real                       double precision
 *   bool                       boolean
 *   integer-valued enums       bigint
 *   json, map<...>, T[]        jsonb (lists: a JSON array of the elements, as
 *                              the SQLite backend stores them)
 *   absent optionals           NULL
 *
 * Decoding is strict: a value that does not fit its field is an error.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_internal.h"

static bool is_optional(const dal_field *f)
{
    return (f->flags & DAL_F_OPTIONAL) && !(f->flags & DAL_F_LIST);
}

/* ------------------------------------------------------------------------ */
/* Parameters                                                                */
/* ------------------------------------------------------------------------ */

void pg_params_reset(pg_params *p)
{
    p->buf.n = 0;
    if (p->buf.s != NULL)
        p->buf.s[0] = '\0';
    p->n = 0;
    p->oom = p->buf.oom;
}

void pg_params_free(pg_params *p)
{
    sq_buf_free(&p->buf);
    free(p->off);
    free(p->v);
    *p = (pg_params){0};
}

static bool params_slot(pg_params *p)
{
    if (p->n < p->cap)
        return true;
    size_t cap = p->cap ? p->cap * 2 : 16;
    size_t *off = realloc(p->off, cap * sizeof *off);
    if (off == NULL) {
        p->oom = true;
        return false;
    }
    p->off = off;
    const char **v = realloc(p->v, cap * sizeof *v);
    if (v == NULL) {
        p->oom = true;
        return false;
    }
    p->v = v;
    p->cap = cap;
    return true;
}

void pg_param_null(pg_params *p)
{
    if (params_slot(p))
        p->off[p->n++] = SIZE_MAX;
}

/* Appends s (len bytes) as the next value. */
static void param_textn(pg_params *p, const char *s, size_t len)
{
    if (!params_slot(p))
        return;
    p->off[p->n++] = p->buf.n;
    sq_buf_addn(&p->buf, s, len);
    sq_buf_addc(&p->buf, '\0');
}

void pg_param_text(pg_params *p, const char *s)
{
    if (s == NULL)
        pg_param_null(p);
    else
        param_textn(p, s, strlen(s));
}

void pg_param_int(pg_params *p, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    param_textn(p, tmp, (size_t)n);
}

static void param_real(pg_params *p, double d)
{
    char tmp[40];
    if (isnan(d))
        snprintf(tmp, sizeof tmp, "NaN");
    else if (isinf(d))
        snprintf(tmp, sizeof tmp, "%s", d > 0 ? "Infinity" : "-Infinity");
    else
        snprintf(tmp, sizeof tmp, "%.17g", d);
    pg_param_text(p, tmp);
}

const char *const *pg_params_values(pg_params *p, dal_error *err)
{
    if (p->oom || p->buf.oom) {
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory binding values");
        return NULL;
    }
    for (size_t i = 0; i < p->n; i++)
        p->v[i] = p->off[i] == SIZE_MAX ? NULL : p->buf.s + p->off[i];
    return p->n ? p->v : NULL;
}

static dal_code param_json(pg_params *p, const cJSON *j, dal_type t, dal_error *err)
{
    if (j == NULL) {
        pg_param_text(p, t == DAL_JSON ? "null" : "{}");
        return DAL_OK;
    }
    char *text = dal_json_print(j);
    if (text == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory printing JSON");
    pg_param_text(p, text);
    free(text);
    return DAL_OK;
}

static dal_code param_enum(pg_params *p, const dal_enum *e, int64_t v, dal_error *err)
{
    const char *name;
    if (sq_enum_member(e, v, &name, err) != DAL_OK)
        return DAL_ERR_SERIALIZATION;
    if (name != NULL)
        pg_param_text(p, name);
    else
        pg_param_int(p, v);
    return DAL_OK;
}

dal_code pg_param_field(pg_params *p, const dal_field *f, const void *obj, const dal_model *m, dal_error *err)
{
    if (is_optional(f) && !dal_field_present(f, obj)) {
        pg_param_null(p);
        return DAL_OK;
    }
    const void *v = (const char *)obj + f->offset;
    dal_code rc = DAL_OK;
    if (f->flags & DAL_F_LIST) {
        char *text = NULL;
        if ((rc = sq_encode_list(f->type, f->enumt, v, false, &text, err)) == DAL_OK) {
            pg_param_text(p, text);
            free(text);
        }
    } else {
        switch (f->type) {
        case DAL_TEXT: pg_param_text(p, *(char *const *)v); break;
        case DAL_UUID: pg_param_text(p, (const char *)v); break;
        case DAL_INT: case DAL_TIMESTAMP: pg_param_int(p, *(const int64_t *)v); break;
        case DAL_I32: pg_param_int(p, *(const int32_t *)v); break;
        case DAL_U32: pg_param_int(p, *(const uint32_t *)v); break;
        case DAL_U64: pg_param_int(p, (int64_t) * (const uint64_t *)v); break;
        case DAL_REAL: param_real(p, *(const double *)v); break;
        case DAL_BOOL: pg_param_text(p, *(const bool *)v ? "true" : "false"); break;
        case DAL_ENUM: rc = param_enum(p, f->enumt, *(const int *)v, err); break;
        case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON:
            rc = param_json(p, *(const cJSON *const *)v, f->type, err);
            break;
        }
    }
    if (rc != DAL_OK)
        dal_error_prefix(err, "%s.%s", m->name, f->name);
    return rc;
}

/* An array literal element, quoted: "..." with \ and " escaped. */
static void array_quoted(sq_buf *b, const char *s)
{
    sq_buf_addc(b, '"');
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            sq_buf_addc(b, '\\');
        sq_buf_addc(b, *c);
    }
    sq_buf_addc(b, '"');
}

/* A list operand of IN (= ANY($n)) as a PostgreSQL array literal. */
static dal_code param_array(pg_params *p, const dal_enum *e, const dal_value *v, dal_error *err)
{
    sq_buf b = {0};
    char tmp[40];
    sq_buf_addc(&b, '{');
    size_t size = dal_type_size(v->type);
    for (size_t i = 0; i < v->as.list.n; i++) {
        const void *el = (const char *)v->as.list.v + i * size;
        if (i)
            sq_buf_addc(&b, ',');
        switch (v->type) {
        case DAL_TEXT: {
            const char *s = *(char *const *)el;
            if (s == NULL)
                sq_buf_add(&b, "NULL");
            else
                array_quoted(&b, s);
            break;
        }
        case DAL_UUID: array_quoted(&b, (const char *)el); break;
        case DAL_I32: snprintf(tmp, sizeof tmp, "%" PRId32, *(const int32_t *)el); sq_buf_add(&b, tmp); break;
        case DAL_U32: snprintf(tmp, sizeof tmp, "%" PRIu32, *(const uint32_t *)el); sq_buf_add(&b, tmp); break;
        case DAL_U64:
            snprintf(tmp, sizeof tmp, "%" PRId64, (int64_t) * (const uint64_t *)el);
            sq_buf_add(&b, tmp);
            break;
        case DAL_REAL: snprintf(tmp, sizeof tmp, "%.17g", *(const double *)el); sq_buf_add(&b, tmp); break;
        case DAL_BOOL: sq_buf_add(&b, *(const bool *)el ? "t" : "f"); break;
        case DAL_ENUM: {
            const char *name = NULL;
            int64_t ev = *(const int *)el;
            if (e != NULL && sq_enum_member(e, ev, &name, err) != DAL_OK) {
                sq_buf_free(&b);
                return DAL_ERR_SERIALIZATION;
            }
            if (name != NULL) {
                array_quoted(&b, name);
            } else {
                snprintf(tmp, sizeof tmp, "%" PRId64, ev);
                sq_buf_add(&b, tmp);
            }
            break;
        }
        case DAL_INT: case DAL_TIMESTAMP:
            snprintf(tmp, sizeof tmp, "%" PRId64, *(const int64_t *)el);
            sq_buf_add(&b, tmp);
            break;
        default:
            sq_buf_free(&b);
            return dal_set_error(err, DAL_ERR_INVALID, "a list of %s cannot be an IN operand",
                                 dal_type_name(v->type));
        }
    }
    sq_buf_addc(&b, '}');
    char *text = sq_buf_take(&b);
    if (text == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory encoding a list");
    pg_param_text(p, text);
    free(text);
    return DAL_OK;
}

dal_code pg_param_value(pg_params *p, const dal_field *target, const dal_value *v, dal_error *err)
{
    if (v->is_null) {
        pg_param_null(p);
        return DAL_OK;
    }
    const dal_enum *e = target && target->type == DAL_ENUM ? target->enumt : NULL;
    if (v->is_list)
        return param_array(p, e, v, err);
    switch (v->type) {
    case DAL_TEXT: case DAL_UUID: pg_param_text(p, v->as.s); break;
    case DAL_INT: case DAL_I32: case DAL_TIMESTAMP: pg_param_int(p, v->as.i); break;
    case DAL_U32: case DAL_U64: pg_param_int(p, (int64_t)v->as.u); break;
    case DAL_REAL: param_real(p, v->as.d); break;
    case DAL_BOOL: pg_param_text(p, v->as.i ? "true" : "false"); break;
    case DAL_ENUM:
        if (e == NULL) {
            pg_param_int(p, v->as.i);
            break;
        }
        return param_enum(p, e, v->as.i, err);
    case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON: return param_json(p, v->as.json, v->type, err);
    }
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */
/* ------------------------------------------------------------------------ */

/* An integer column (numeric results of sum() accepted when whole). */
static dal_code text_int(const char *text, int64_t *out, dal_error *err)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0') {
        *out = v;
        return DAL_OK;
    }
    errno = 0;
    double d = strtod(text, &end);
    if (errno == 0 && end != text && *end == '\0' && d == floor(d) && d >= -9.2233720368547758e18 &&
        d < 9.2233720368547758e18) {
        *out = (int64_t)d;
        return DAL_OK;
    }
    return dal_set_error(err, DAL_ERR_SERIALIZATION, "holds '%.40s' where an integer was expected", text);
}

static dal_code read_field(const char *text, size_t len, const dal_field *f, void *obj, dal_error *err)
{
    void *p = (char *)obj + f->offset;
    int64_t n = 0;
    dal_code rc = DAL_OK;
    if (f->flags & DAL_F_LIST)
        return sq_decode_list(f, text, len, p, err);
    switch (f->type) {
    case DAL_TEXT: {
        char *copy = malloc(len + 1);
        if (copy == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
        memcpy(copy, text, len + 1);
        *(char **)p = copy;
        return DAL_OK;
    }
    case DAL_UUID:
        if (len >= DAL_UUID_SIZE)
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "holds %zu characters, too long for a uuid", len);
        memcpy(p, text, len + 1);
        return DAL_OK;
    case DAL_REAL: {
        char *end = NULL;
        double d = strtod(text, &end);
        if (end == text || *end != '\0')
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "holds '%.40s' where a real was expected", text);
        *(double *)p = d;
        return DAL_OK;
    }
    case DAL_BOOL:
        if (strcmp(text, "t") != 0 && strcmp(text, "f") != 0)
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "holds '%.40s' where a bool was expected", text);
        *(bool *)p = text[0] == 't';
        return DAL_OK;
    case DAL_ENUM:
        if (f->enumt == NULL || f->enumt->values == NULL)
            return sq_enum_from_text(f->enumt, text, len, p, err);
        if ((rc = text_int(text, &n, err)) != DAL_OK)
            return rc;
        return sq_enum_from_int(f->enumt, n, p, err);
    case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON:
        return sq_decode_json(f, text, len, p, err);
    default:
        break;
    }
    if ((rc = text_int(text, &n, err)) != DAL_OK)
        return rc;
    switch (f->type) {
    case DAL_I32:
        if (n < INT32_MIN || n > INT32_MAX)
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "%" PRId64 " does not fit i32", n);
        *(int32_t *)p = (int32_t)n;
        return DAL_OK;
    case DAL_U32:
        if (n < 0 || n > (int64_t)UINT32_MAX)
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "%" PRId64 " does not fit u32", n);
        *(uint32_t *)p = (uint32_t)n;
        return DAL_OK;
    case DAL_U64:
        *(uint64_t *)p = (uint64_t)n; /* stored bit-cast */
        return DAL_OK;
    default: /* int, timestamp */
        *(int64_t *)p = n;
        return DAL_OK;
    }
}

dal_code pg_read_row(const PGresult *r, int row, const dal_model *m, const char *table, void *obj, dal_error *err)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        dal_code rc = DAL_OK;
        if (PQgetisnull(r, row, (int)i)) {
            if (is_optional(f))
                continue; /* obj is zeroed: absent */
            rc = dal_set_error(err, DAL_ERR_SERIALIZATION, "holds NULL but the field is required");
        } else {
            rc = read_field(PQgetvalue(r, row, (int)i), (size_t)PQgetlength(r, row, (int)i), f, obj, err);
            if (rc == DAL_OK && f->has_offset != DAL_NO_OFFSET)
                *(bool *)((char *)obj + f->has_offset) = true;
        }
        if (rc == DAL_OK)
            continue;
        if (err != NULL) {
            char key[200] = "";
            size_t used = 0;
            for (size_t k = 0; k < m->n_pk && used < sizeof key; k++) {
                int c = (int)m->pk[k];
                int w = snprintf(key + used, sizeof key - used, "%s%s = '%.80s'", k ? ", " : "",
                                 m->fields[c].column, PQgetisnull(r, row, c) ? "null" : PQgetvalue(r, row, c));
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            if (m->n_pk > 0)
                dal_error_prefix(err, "%s: row with %s: column %s", table, key, f->column);
            else
                dal_error_prefix(err, "%s: column %s", table, f->name);
        }
        dal_record_clear(m, obj);
        return rc;
    }
    return DAL_OK;
}
