/*
 * sql_values.c - what the SQL backends share of their value encoding:
 * lists as JSON arrays, JSON and map columns, and enums by member name or
 * value (see the storage encodings in sqlite_values.c and pg_values.c).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_writer.h"

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
dal_code sq_enum_member(const dal_enum *e, int64_t v, const char **name, dal_error *err)
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
        if (sq_enum_member(e, ev, &name, err) != DAL_OK)
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
dal_code sq_encode_list(dal_type t, const dal_enum *e, const dal_list *l, bool in_list, char **out,
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


dal_code sq_enum_from_text(const dal_enum *e, const char *text, size_t len, int *out, dal_error *err)
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

dal_code sq_enum_from_int(const dal_enum *e, int64_t v, int *out, dal_error *err)
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
            return sq_enum_from_text(e, j->valuestring, strlen(j->valuestring), &((int *)arr)[i], err);
        if (json_number(j, DAL_INT, &n))
            return sq_enum_from_int(e, n, &((int *)arr)[i], err);
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

dal_code sq_decode_list(const dal_field *f, const char *text, size_t len, dal_list *out, dal_error *err)
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

dal_code sq_decode_json(const dal_field *f, const char *text, size_t len, cJSON **out, dal_error *err)
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

/* ------------------------------------------------------------------------ */
/* Keys and values in messages                                               */
/* ------------------------------------------------------------------------ */

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
