/*
 * sqlite_values.c - values between C structs and SQLite columns.
 *
 * Storage encoding (one typed column per field, no JSON copy of the row):
 *   text, uuid                 TEXT
 *   int, i32, u32, timestamp   INTEGER (timestamps: microseconds since 1970)
 *   u64                        INTEGER holding the same 64 bits (bit-cast)
 *   real                       REAL
 *   bool                       INTEGER 0 / 1
 *   enum                       TEXT member name, or INTEGER for integer-valued enums
 *   json, map<...>             TEXT holding the JSON (a required json that is
 *                              NULL in C is the JSON text "null")
 *   T[]                        TEXT holding a JSON array of the elements in the
 *                              encoding above (u64 as its unsigned number,
 *                              bools as true / false)
 *   absent optionals           NULL
 *
 * Decoding is strict: a value that does not fit its field (bad JSON, unknown
 * enum member, a number out of range, a wrong column type) is an error, never
 * a silently dropped or defaulted value.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_internal.h"

static void *field_ptr(const dal_field *f, void *obj)
{
    return (char *)obj + f->offset;
}

static const void *field_cptr(const dal_field *f, const void *obj)
{
    return (const char *)obj + f->offset;
}

/* Lists are never absent (an empty list is a value), as in dal_record.c. */
static bool is_optional(const dal_field *f)
{
    return (f->flags & DAL_F_OPTIONAL) && !(f->flags & DAL_F_LIST);
}

bool sq_field_present(const dal_field *f, const void *obj)
{
    return !is_optional(f) || dal_field_present(f, obj);
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

static dal_code bind_json(sqlite3_stmt *s, int idx, const cJSON *j, dal_type t, dal_error *err)
{
    if (j == NULL)
        return sqlite3_bind_text(s, idx, t == DAL_JSON ? "null" : "{}", -1, SQLITE_STATIC) == SQLITE_OK
                   ? DAL_OK
                   : dal_set_error(err, DAL_ERR_NOMEM, "out of memory binding JSON");
    char *text = dal_json_print(j);
    if (text == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory printing JSON");
    if (sqlite3_bind_text(s, idx, text, -1, free) != SQLITE_OK)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory binding JSON");
    return DAL_OK;
}

static dal_code bind_text_owned(sqlite3_stmt *s, int idx, char *text, dal_error *err)
{
    if (sqlite3_bind_text(s, idx, text, -1, free) != SQLITE_OK)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory binding a value");
    return DAL_OK;
}

static dal_code bind_enum(sqlite3_stmt *s, int idx, const dal_enum *e, int64_t v, dal_error *err)
{
    const char *name;
    if (sq_enum_member(e, v, &name, err) != DAL_OK)
        return DAL_ERR_SERIALIZATION;
    if (name != NULL)
        sqlite3_bind_text(s, idx, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, idx, v);
    return DAL_OK;
}

dal_code sq_bind_field(sqlite3_stmt *s, int idx, const dal_field *f, const void *obj, const dal_model *m,
                       dal_error *err)
{
    if (is_optional(f) && !dal_field_present(f, obj)) {
        sqlite3_bind_null(s, idx);
        return DAL_OK;
    }
    const void *p = field_cptr(f, obj);
    dal_code rc = DAL_OK;
    if (f->flags & DAL_F_LIST) {
        char *text = NULL;
        if ((rc = sq_encode_list(f->type, f->enumt, p, false, &text, err)) == DAL_OK)
            rc = bind_text_owned(s, idx, text, err);
    } else {
        switch (f->type) {
        case DAL_TEXT: sqlite3_bind_text(s, idx, *(char *const *)p, -1, SQLITE_STATIC); break;
        case DAL_UUID: sqlite3_bind_text(s, idx, (const char *)p, -1, SQLITE_STATIC); break;
        case DAL_INT: case DAL_TIMESTAMP: sqlite3_bind_int64(s, idx, *(const int64_t *)p); break;
        case DAL_I32: sqlite3_bind_int64(s, idx, *(const int32_t *)p); break;
        case DAL_U32: sqlite3_bind_int64(s, idx, *(const uint32_t *)p); break;
        case DAL_U64: sqlite3_bind_int64(s, idx, (int64_t) * (const uint64_t *)p); break;
        case DAL_REAL: sqlite3_bind_double(s, idx, *(const double *)p); break;
        case DAL_BOOL: sqlite3_bind_int(s, idx, *(const bool *)p ? 1 : 0); break;
        case DAL_ENUM: rc = bind_enum(s, idx, f->enumt, *(const int *)p, err); break;
        case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON:
            rc = bind_json(s, idx, *(const cJSON *const *)p, f->type, err);
            break;
        }
    }
    if (rc != DAL_OK)
        dal_error_prefix(err, "%s.%s", m->name, f->name);
    return rc;
}

dal_code sq_bind_value(sqlite3_stmt *s, int idx, const dal_field *target, const dal_value *v, dal_error *err)
{
    if (v->is_null) {
        sqlite3_bind_null(s, idx);
        return DAL_OK;
    }
    const dal_enum *e = target && target->type == DAL_ENUM ? target->enumt : NULL;
    if (v->is_list) {
        char *text = NULL;
        dal_code rc = sq_encode_list(v->type, e, &v->as.list, true, &text, err);
        return rc != DAL_OK ? rc : bind_text_owned(s, idx, text, err);
    }
    switch (v->type) {
    case DAL_TEXT: case DAL_UUID: sqlite3_bind_text(s, idx, v->as.s, -1, SQLITE_STATIC); break;
    case DAL_INT: case DAL_I32: case DAL_TIMESTAMP: sqlite3_bind_int64(s, idx, v->as.i); break;
    case DAL_U32: case DAL_U64: sqlite3_bind_int64(s, idx, (int64_t)v->as.u); break;
    case DAL_REAL: sqlite3_bind_double(s, idx, v->as.d); break;
    case DAL_BOOL: sqlite3_bind_int(s, idx, v->as.i ? 1 : 0); break;
    case DAL_ENUM:
        if (e == NULL) {
            sqlite3_bind_int64(s, idx, v->as.i);
            break;
        }
        return bind_enum(s, idx, e, v->as.i, err);
    case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON: return bind_json(s, idx, v->as.json, v->type, err);
    }
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */
/* ------------------------------------------------------------------------ */

static const char *sqlite_type_name(int t)
{
    switch (t) {
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT: return "a real";
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "a blob";
    default: return "NULL";
    }
}

static dal_code wrong_type(int t, const char *want, dal_error *err)
{
    return dal_set_error(err, DAL_ERR_SERIALIZATION, "holds %s where %s was expected", sqlite_type_name(t), want);
}

/* An integer column value (reals accepted when whole, as aggregates give). */
static dal_code column_int(sqlite3_value *v, int t, int64_t *out, dal_error *err)
{
    if (t == SQLITE_INTEGER) {
        *out = sqlite3_value_int64(v);
        return DAL_OK;
    }
    if (t == SQLITE_FLOAT) {
        double d = sqlite3_value_double(v);
        if (d == floor(d) && d >= -9.2233720368547758e18 && d < 9.2233720368547758e18) {
            *out = (int64_t)d;
            return DAL_OK;
        }
    }
    return wrong_type(t, "an integer", err);
}

static dal_code read_text_column(sqlite3_value *v, int t, const char **text, size_t *len, dal_error *err)
{
    if (t != SQLITE_TEXT)
        return wrong_type(t, "text", err);
    *text = (const char *)sqlite3_value_text(v);
    *len = (size_t)sqlite3_value_bytes(v);
    if (*text == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory reading a column");
    return DAL_OK;
}

/* text, uuid, text-valued enums, json, maps and lists: TEXT columns */
static dal_code read_textual(sqlite3_value *v, int t, const dal_field *f, void *p, dal_error *err)
{
    const char *text = NULL;
    size_t len = 0;
    dal_code rc = read_text_column(v, t, &text, &len, err);
    if (rc != DAL_OK)
        return rc;
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
    case DAL_ENUM:
        return sq_enum_from_text(f->enumt, text, len, p, err);
    default:
        return sq_decode_json(f, text, len, p, err);
    }
}

/* int, i32, u32, u64, timestamp, bool, integer-valued enums: INTEGER columns */
static dal_code read_integral(sqlite3_value *v, int t, const dal_field *f, void *p, dal_error *err)
{
    int64_t n = 0;
    dal_code rc = column_int(v, t, &n, err);
    if (rc != DAL_OK)
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
    case DAL_BOOL:
        if (n != 0 && n != 1)
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "%" PRId64 " is not a bool (0 or 1)", n);
        *(bool *)p = n == 1;
        return DAL_OK;
    case DAL_ENUM:
        return sq_enum_from_int(f->enumt, n, p, err);
    default: /* int, timestamp */
        *(int64_t *)p = n;
        return DAL_OK;
    }
}

dal_code sq_read_field(sqlite3_stmt *s, int col, const dal_field *f, void *obj, dal_error *err)
{
    /* One column lookup, then the value's own accessors: each
     * sqlite3_column_* call looks the column up again. The value is
     * "unprotected", which is safe here: a connection is used by one
     * thread at a time (NOMUTEX, see sqlite_conn.c). */
    sqlite3_value *v = sqlite3_column_value(s, col);
    int t = sqlite3_value_type(v);
    void *p = field_ptr(f, obj);
    if (t == SQLITE_NULL) {
        if (!is_optional(f))
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "holds NULL but the field is required");
        return DAL_OK; /* obj is zeroed: absent */
    }
    dal_code rc;
    switch ((f->flags & DAL_F_LIST) ? DAL_JSON : f->type) {
    case DAL_INT:
    case DAL_TIMESTAMP:
        if (t == SQLITE_INTEGER) { /* the common case, inline */
            *(int64_t *)p = sqlite3_value_int64(v);
            rc = DAL_OK;
        } else { /* a whole real, or an error */
            rc = read_integral(v, t, f, p, err);
        }
        break;
    case DAL_I32: case DAL_U32: case DAL_U64: case DAL_BOOL:
        rc = read_integral(v, t, f, p, err);
        break;
    case DAL_REAL:
        if (t != SQLITE_FLOAT && t != SQLITE_INTEGER)
            return wrong_type(t, "a real", err);
        *(double *)p = sqlite3_value_double(v);
        rc = DAL_OK;
        break;
    case DAL_ENUM:
        rc = f->enumt != NULL && f->enumt->values != NULL ? read_integral(v, t, f, p, err)
                                                          : read_textual(v, t, f, p, err);
        break;
    default: /* text, uuid, json, maps and lists */
        rc = read_textual(v, t, f, p, err);
        break;
    }
    if (rc == DAL_OK && f->has_offset != DAL_NO_OFFSET)
        *(bool *)((char *)obj + f->has_offset) = true;
    return rc;
}

/* "id = 'x', n = 3" from columns cols[0..n) of the current row. */
static void describe_columns(sqlite3_stmt *s, const dal_model *m, const unsigned *cols, size_t n, char *buf,
                             size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n && used < size; k++) {
        const dal_field *f = &m->fields[cols[k]];
        int t = sqlite3_column_type(s, (int)cols[k]);
        int w;
        const char *sep = k ? ", " : "";
        if (t == SQLITE_NULL)
            w = snprintf(buf + used, size - used, "%s%s = null", sep, f->column);
        else if (t == SQLITE_INTEGER)
            w = snprintf(buf + used, size - used, "%s%s = %lld", sep, f->column,
                         (long long)sqlite3_column_int64(s, (int)cols[k]));
        else
            w = snprintf(buf + used, size - used, "%s%s = '%.80s'", sep, f->column,
                         (const char *)sqlite3_column_text(s, (int)cols[k]));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

dal_code sq_read_row(sqlite3_stmt *s, const dal_model *m, const char *table, void *obj, dal_error *err)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        if (sq_read_field(s, (int)i, &m->fields[i], obj, err) == DAL_OK)
            continue;
        dal_code code = err ? err->code : DAL_ERR_SERIALIZATION;
        if (err != NULL) {
            char key[200];
            if (m->n_pk > 0) {
                describe_columns(s, m, m->pk, m->n_pk, key, sizeof key);
                dal_error_prefix(err, "%s: row with %s: column %s", table, key, m->fields[i].column);
            } else {
                dal_error_prefix(err, "%s: column %s", table, m->fields[i].name);
            }
        }
        dal_record_clear(m, obj);
        return code;
    }
    return DAL_OK;
}
