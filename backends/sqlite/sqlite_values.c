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

static bool *has_ptr(const dal_field *f, void *obj)
{
    return f->has_offset == DAL_NO_OFFSET ? NULL : (bool *)(void *)((char *)obj + f->has_offset);
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

static size_t elem_size(dal_type t)
{
    switch (t) {
    case DAL_TEXT: return sizeof(char *);
    case DAL_I32: return sizeof(int32_t);
    case DAL_U32: return sizeof(uint32_t);
    case DAL_U64: return sizeof(uint64_t);
    case DAL_REAL: return sizeof(double);
    case DAL_BOOL: return sizeof(bool);
    case DAL_UUID: return sizeof(dal_uuid);
    case DAL_ENUM: return sizeof(int);
    case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON: return sizeof(cJSON *);
    default: return sizeof(int64_t); /* int, timestamp */
    }
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

static void json_string(sq_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sq_buf_addc(b, '"');
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '\0' && c >= 0x20 && c != '"' && c != '\\')
            continue;
        sq_buf_addn(b, run, (size_t)(p - run));
        if (c == '\0')
            break;
        run = p + 1;
        switch (c) {
        case '"': sq_buf_add(b, "\\\""); break;
        case '\\': sq_buf_add(b, "\\\\"); break;
        case '\n': sq_buf_add(b, "\\n"); break;
        case '\t': sq_buf_add(b, "\\t"); break;
        case '\r': sq_buf_add(b, "\\r"); break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            sq_buf_add(b, u);
        }
        }
    }
    sq_buf_addc(b, '"');
}

/* The C value of an enum as stored: its member name, or its integer. */
static dal_code enum_member(const dal_enum *e, int64_t v, const char **name, dal_error *err)
{
    if (e == NULL)
        return dal_set_error(err, DAL_ERR_SERIALIZATION, "enum value %" PRId64 " without an enum type", v);
    if (e->values != NULL) {
        for (size_t i = 0; i < e->n; i++)
            if (e->values[i] == v) {
                *name = NULL;
                return DAL_OK;
            }
    } else if (v >= 0 && (uint64_t)v < e->n) {
        *name = e->names[v];
        return DAL_OK;
    }
    return dal_set_error(err, DAL_ERR_SERIALIZATION, "%" PRId64 " is not a member of enum %s", v, e->name);
}

/* Appends element i of a typed list as JSON. in_list: for an IN parameter
 * (json_each), u64 as its signed bit pattern and bools as 0 / 1, matching
 * the columns. */
static dal_code encode_elem(sq_buf *b, dal_type t, const dal_enum *e, const void *v, size_t i, bool in_list,
                            dal_error *err)
{
    char tmp[40];
    switch (t) {
    case DAL_TEXT: {
        const char *s = ((char *const *)v)[i];
        if (s == NULL)
            sq_buf_add(b, "null");
        else
            json_string(b, s);
        return DAL_OK;
    }
    case DAL_UUID: json_string(b, ((const dal_uuid *)v)[i].s); return DAL_OK;
    case DAL_I32: snprintf(tmp, sizeof tmp, "%" PRId32, ((const int32_t *)v)[i]); break;
    case DAL_U32: snprintf(tmp, sizeof tmp, "%" PRIu32, ((const uint32_t *)v)[i]); break;
    case DAL_U64:
        if (in_list)
            snprintf(tmp, sizeof tmp, "%" PRId64, (int64_t)((const uint64_t *)v)[i]);
        else
            snprintf(tmp, sizeof tmp, "%" PRIu64, ((const uint64_t *)v)[i]);
        break;
    case DAL_REAL: {
        double d = ((const double *)v)[i];
        if (!isfinite(d))
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "element %zu is %g, which JSON cannot hold", i, d);
        snprintf(tmp, sizeof tmp, "%.17g", d);
        break;
    }
    case DAL_BOOL:
        sq_buf_add(b, ((const bool *)v)[i] ? (in_list ? "1" : "true") : (in_list ? "0" : "false"));
        return DAL_OK;
    case DAL_ENUM: {
        const char *name;
        int64_t ev = ((const int *)v)[i];
        if (enum_member(e, ev, &name, err) != DAL_OK)
            return DAL_ERR_SERIALIZATION;
        if (name != NULL) {
            json_string(b, name);
            return DAL_OK;
        }
        snprintf(tmp, sizeof tmp, "%" PRId64, ev);
        break;
    }
    case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON: {
        const cJSON *j = ((const cJSON *const *)v)[i];
        char *text = j ? dal_json_print(j) : NULL;
        if (j != NULL && text == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "out of memory printing JSON");
        sq_buf_add(b, text ? text : "null");
        free(text);
        return DAL_OK;
    }
    default: snprintf(tmp, sizeof tmp, "%" PRId64, ((const int64_t *)v)[i]); break;
    }
    sq_buf_add(b, tmp);
    return DAL_OK;
}

/* A typed list as JSON array text (malloc'd) in *out. */
static dal_code encode_list(dal_type t, const dal_enum *e, const dal_list *l, bool in_list, char **out,
                            dal_error *err)
{
    sq_buf b = {0};
    sq_buf_addc(&b, '[');
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            sq_buf_addc(&b, ',');
        if (encode_elem(&b, t, e, l->v, i, in_list, err) != DAL_OK) {
            sq_buf_free(&b);
            return err ? err->code : DAL_ERR_SERIALIZATION;
        }
    }
    sq_buf_addc(&b, ']');
    *out = sq_buf_take(&b);
    if (*out == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory encoding a list");
    return DAL_OK;
}

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
    if (enum_member(e, v, &name, err) != DAL_OK)
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
        if ((rc = encode_list(f->type, f->enumt, p, false, &text, err)) == DAL_OK)
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
        dal_code rc = encode_list(v->type, e, &v->as.list, true, &text, err);
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

static dal_code enum_from_text(const dal_enum *e, const char *text, size_t len, int *out, dal_error *err)
{
    for (size_t i = 0; e != NULL && e->values == NULL && i < e->n; i++) {
        if (strlen(e->names[i]) == len && memcmp(e->names[i], text, len) == 0) {
            *out = (int)i;
            return DAL_OK;
        }
    }
    return dal_set_error(err, DAL_ERR_SERIALIZATION, "'%.*s' is not a member of enum %s", (int)(len > 64 ? 64 : len),
                         text, e ? e->name : "?");
}

static dal_code enum_from_int(const dal_enum *e, int64_t v, int *out, dal_error *err)
{
    for (size_t i = 0; e != NULL && e->values != NULL && i < e->n; i++) {
        if (e->values[i] == v) {
            *out = (int)v;
            return DAL_OK;
        }
    }
    return dal_set_error(err, DAL_ERR_SERIALIZATION, "%" PRId64 " is not a value of enum %s", v, e ? e->name : "?");
}

/* A number element of a JSON list into an int64 (or the bits of a u64). */
static bool json_number(const cJSON *j, dal_type t, int64_t *out)
{
    if (!cJSON_IsNumber(j))
        return false;
    if (t == DAL_U64) {
        uint64_t u;
        if (!dal_json_uint64(j, &u))
            return false;
        *out = (int64_t)u;
        return true;
    }
    return dal_json_int64(j, out);
}

static dal_code decode_elem(const cJSON *j, dal_type t, const dal_enum *e, void *arr, size_t i, dal_error *err)
{
    int64_t n = 0;
    switch (t) {
    case DAL_TEXT: {
        if (!cJSON_IsString(j))
            break;
        char *s = malloc(strlen(j->valuestring) + 1);
        if (s == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
        strcpy(s, j->valuestring);
        ((char **)arr)[i] = s;
        return DAL_OK;
    }
    case DAL_UUID:
        if (!cJSON_IsString(j) || strlen(j->valuestring) >= DAL_UUID_SIZE)
            break;
        strcpy(((dal_uuid *)arr)[i].s, j->valuestring);
        return DAL_OK;
    case DAL_REAL:
        if (!cJSON_IsNumber(j))
            break;
        ((double *)arr)[i] = j->valuedouble;
        return DAL_OK;
    case DAL_BOOL:
        if (!cJSON_IsBool(j))
            break;
        ((bool *)arr)[i] = cJSON_IsTrue(j);
        return DAL_OK;
    case DAL_ENUM:
        if (cJSON_IsString(j))
            return enum_from_text(e, j->valuestring, strlen(j->valuestring), &((int *)arr)[i], err);
        if (json_number(j, DAL_INT, &n))
            return enum_from_int(e, n, &((int *)arr)[i], err);
        break;
    case DAL_I32:
        if (!json_number(j, t, &n) || n < INT32_MIN || n > INT32_MAX)
            break;
        ((int32_t *)arr)[i] = (int32_t)n;
        return DAL_OK;
    case DAL_U32:
        if (!json_number(j, t, &n) || n < 0 || n > (int64_t)UINT32_MAX)
            break;
        ((uint32_t *)arr)[i] = (uint32_t)n;
        return DAL_OK;
    case DAL_U64:
        if (!json_number(j, t, &n))
            break;
        ((uint64_t *)arr)[i] = (uint64_t)n;
        return DAL_OK;
    case DAL_INT: case DAL_TIMESTAMP:
        if (!json_number(j, t, &n))
            break;
        ((int64_t *)arr)[i] = n;
        return DAL_OK;
    default:
        break;
    }
    return dal_set_error(err, DAL_ERR_SERIALIZATION, "list element %zu is not a %s", i, dal_type_name(t));
}

static void free_list(dal_type t, dal_list *l)
{
    if (t == DAL_TEXT)
        for (size_t i = 0; i < l->n; i++)
            free(((char **)l->v)[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static dal_code decode_list(const dal_field *f, const char *text, size_t len, dal_list *out, dal_error *err)
{
    cJSON *j = NULL;
    dal_code rc = dal_json_parse(text, len, &j, err);
    if (rc != DAL_OK)
        return DAL_ERR_SERIALIZATION;
    if (!cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return dal_set_error(err, DAL_ERR_SERIALIZATION, "holds JSON that is not an array");
    }
    size_t n = (size_t)cJSON_GetArraySize(j);
    dal_list l = {0, NULL};
    if (n > 0 && (l.v = calloc(n, elem_size(f->type))) == NULL) {
        cJSON_Delete(j);
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory decoding a list of %zu", n);
    }
    const cJSON *el = j->child;
    for (size_t i = 0; i < n && rc == DAL_OK; i++, el = el->next) {
        rc = decode_elem(el, f->type, f->enumt, l.v, i, err);
        l.n = i + (rc == DAL_OK);
    }
    cJSON_Delete(j);
    if (rc != DAL_OK) {
        free_list(f->type, &l);
        return rc;
    }
    *out = l;
    return DAL_OK;
}

static dal_code decode_json(const dal_field *f, const char *text, size_t len, cJSON **out, dal_error *err)
{
    cJSON *j = NULL;
    if (dal_json_parse(text, len, &j, err) != DAL_OK)
        return DAL_ERR_SERIALIZATION;
    if (f->type == DAL_JSON) {
        if (cJSON_IsNull(j)) {
            cJSON_Delete(j);
            j = NULL;
        }
        *out = j;
        return DAL_OK;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return dal_set_error(err, DAL_ERR_SERIALIZATION, "holds JSON that is not an object");
    }
    if (f->type == DAL_MAP_TEXT) {
        for (const cJSON *c = j->child; c != NULL; c = c->next) {
            if (!cJSON_IsString(c)) {
                dal_set_error(err, DAL_ERR_SERIALIZATION, "map value '%s' is not a string", c->string);
                cJSON_Delete(j);
                return DAL_ERR_SERIALIZATION;
            }
        }
    }
    *out = j;
    return DAL_OK;
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
        return decode_list(f, text, len, p, err);
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
        return enum_from_text(f->enumt, text, len, p, err);
    default:
        return decode_json(f, text, len, p, err);
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
        return enum_from_int(f->enumt, n, p, err);
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

static int describe_one(char *buf, size_t size, const char *sep, const dal_field *f, const dal_value *v)
{
    if (v->is_null)
        return snprintf(buf, size, "%s%s = null", sep, f->column);
    switch (v->type) {
    case DAL_TEXT: case DAL_UUID: return snprintf(buf, size, "%s%s = '%.80s'", sep, f->column, v->as.s);
    case DAL_U32: case DAL_U64:
        return snprintf(buf, size, "%s%s = %llu", sep, f->column, (unsigned long long)v->as.u);
    case DAL_REAL: return snprintf(buf, size, "%s%s = %g", sep, f->column, v->as.d);
    default: return snprintf(buf, size, "%s%s = %lld", sep, f->column, (long long)v->as.i);
    }
}

void sq_describe_key_values(const dal_model *m, const dal_value *key, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < m->n_pk && used < size; k++) {
        int w = describe_one(buf + used, size - used, k ? ", " : "", &m->fields[m->pk[k]], &key[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* A dal_value viewing a scalar field (key fields: text, uuid, numbers, enums). */
static dal_value scalar_value(const dal_field *f, const void *obj)
{
    dal_value v = {.type = f->type};
    const void *p = field_cptr(f, obj);
    switch (f->type) {
    case DAL_TEXT: v.as.s = *(char *const *)p; v.is_null = v.as.s == NULL; break;
    case DAL_UUID: v.as.s = p; break;
    case DAL_I32: v.as.i = *(const int32_t *)p; break;
    case DAL_U32: v.as.u = *(const uint32_t *)p; break;
    case DAL_U64: v.as.u = *(const uint64_t *)p; break;
    case DAL_REAL: v.as.d = *(const double *)p; break;
    case DAL_BOOL: v.as.i = *(const bool *)p; break;
    case DAL_ENUM: v.as.i = *(const int *)p; break;
    case DAL_INT: case DAL_TIMESTAMP: v.as.i = *(const int64_t *)p; break;
    default: v.is_null = true; break;
    }
    return v;
}

void sq_describe_key(const dal_model *m, const void *obj, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < m->n_pk && used < size; k++) {
        const dal_field *f = &m->fields[m->pk[k]];
        dal_value v = scalar_value(f, obj);
        int w = describe_one(buf + used, size - used, k ? ", " : "", f, &v);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

void sq_describe_field(const dal_field *f, const void *obj, char *buf, size_t size)
{
    dal_value v = scalar_value(f, obj);
    if (describe_one(buf, size, "", f, &v) < 0 && size > 0)
        buf[0] = '\0';
}

void sq_describe_value(const dal_field *f, const dal_value *v, char *buf, size_t size)
{
    if (describe_one(buf, size, "", f, v) < 0 && size > 0)
        buf[0] = '\0';
}

void sq_store_int(const dal_field *f, void *obj, int64_t v)
{
    void *p = field_ptr(f, obj);
    switch (f->type) {
    case DAL_I32: *(int32_t *)p = (int32_t)v; break;
    case DAL_U32: *(uint32_t *)p = (uint32_t)v; break;
    case DAL_U64: *(uint64_t *)p = (uint64_t)v; break;
    default: *(int64_t *)p = v; break;
    }
    bool *has = has_ptr(f, obj);
    if (has != NULL)
        *has = true;
}
