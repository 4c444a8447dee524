/*
 * dal_validate.c - checks every value before a backend sees it, so that all
 * backends accept and refuse exactly the same values (rules: dal_validate.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal_validate.h"

/* Where a value sits, for messages: "insert Agent.metadata", "get Task: key
 * id", "Task.claim: parameter agent_id", "Task query: value for status";
 * index >= 0 for a list element. Formatted only when a value is refused. */
typedef enum label_kind { L_ROW, L_KEY, L_PARAM, L_LITERAL } label_kind;

typedef struct label {
    label_kind kind;
    const char *a, *b, *c;
    long index;
} label;

static void label_text(const label *l, char *buf, size_t size)
{
    int k = 0;
    switch (l->kind) {
    case L_ROW: k = snprintf(buf, size, "%s %.80s.%.80s", l->a, l->b, l->c); break;
    case L_KEY: k = snprintf(buf, size, "%s %.80s: key %.80s", l->a, l->b, l->c); break;
    case L_PARAM: k = snprintf(buf, size, "%.80s.%.60s: parameter %.80s", l->a, l->b, l->c); break;
    case L_LITERAL: k = snprintf(buf, size, "%.80s query: value for %.80s", l->a, l->c); break;
    }
    if (k > 0 && (size_t)k < size && l->index >= 0)
        snprintf(buf + k, size - (size_t)k, "[%ld]", l->index);
}

static dal_code refuse(dal_error *err, const label *l, const char *fmt, const char *detail)
{
    char where[300];
    label_text(l, where, sizeof where);
    return dal_set_error(err, DAL_ERR_INVALID, "%s: %s%s", where, fmt, detail ? detail : "");
}

void dal_uuid_lower(char *s)
{
    for (; *s != '\0'; s++)
        if (*s >= 'A' && *s <= 'F')
            *s = (char)(*s - 'A' + 'a');
}

/* One pass over a uuid text: 0 when it is not 8-4-4-4-12 hex digits, 1 when
 * it is in lower case, 2 when it has upper-case digits. */
static int uuid_scan(const char *s)
{
    int upper = 0;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if ((unsigned)(c - '0') <= 9u || (unsigned)(c - 'a') <= 5u) {
            continue;
        } else if ((unsigned)(c - 'A') <= 5u) {
            upper = 1;
        } else {
            return 0;
        }
    }
    return s[36] == '\0' ? 1 + upper : 0;
}

static dal_code check_uuid_text(const char *s, const label *l, dal_error *err)
{
    if (s == NULL)
        return refuse(err, l, "the uuid is a NULL string", NULL);
    if (uuid_scan(s) == 0) {
        char shown[80];
        snprintf(shown, sizeof shown, "\"%.40s%s\"", s, strlen(s) > 40 ? "..." : "");
        return refuse(err, l, "not a uuid (want 8-4-4-4-12 hex digits): ", shown);
    }
    return DAL_OK;
}

static dal_code check_real(double d, const label *l, dal_error *err)
{
    if (isfinite(d))
        return DAL_OK;
    return refuse(err, l, isnan(d) ? "NaN" : "an infinity", " is not a value a real field holds (only finite numbers)");
}

static dal_code check_enum(const dal_enum *e, int64_t v, const label *l, dal_error *err)
{
    if (e == NULL || (v >= INT32_MIN && v <= INT32_MAX && dal_enum_index(e, (int)v) >= 0))
        return DAL_OK;
    char detail[96];
    snprintf(detail, sizeof detail, "%lld is not a member of %s", (long long)v, e->name);
    return refuse(err, l, detail, NULL);
}

/* A JSON tree: no non-finite number, no node without a type, no object
 * member without a key, at most DAL_VALIDATE_MAX_DEPTH containers deep. */
static dal_code check_json(const cJSON *j, unsigned depth, const label *l, dal_error *err)
{
    if (cJSON_IsNumber(j)) {
        if (!isfinite(j->valuedouble))
            return refuse(err, l, "JSON holds a non-finite number (NaN or an infinity), which JSON cannot represent",
                          NULL);
        return DAL_OK;
    }
    if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
        if (depth >= DAL_VALIDATE_MAX_DEPTH) {
            char detail[96];
            snprintf(detail, sizeof detail, "JSON nests deeper than %d arrays/objects", DAL_VALIDATE_MAX_DEPTH);
            return refuse(err, l, detail, NULL);
        }
        for (const cJSON *c = j->child; c != NULL; c = c->next) {
            if (cJSON_IsObject(j) && c->string == NULL)
                return refuse(err, l, "JSON object member without a key", NULL);
            dal_code rc = check_json(c, depth + 1, l, err);
            if (rc != DAL_OK)
                return rc;
        }
        return DAL_OK;
    }
    if ((j->type & 0xFF) == cJSON_Invalid)
        return refuse(err, l, "JSON node without a type", NULL);
    return DAL_OK;
}

static dal_code check_map(dal_type t, const cJSON *j, const label *l, dal_error *err)
{
    if (!cJSON_IsObject(j))
        return refuse(err, l, t == DAL_MAP_TEXT ? "a map<text> must be a JSON object" : "a map<json> must be a JSON object",
                      NULL);
    if (t == DAL_MAP_TEXT) {
        for (const cJSON *c = j->child; c != NULL; c = c->next) {
            if (c->string != NULL && !cJSON_IsString(c)) {
                char detail[96];
                snprintf(detail, sizeof detail, "map<text> value '%.48s' is not a string", c->string);
                return refuse(err, l, detail, NULL);
            }
        }
    }
    return check_json(j, 0, l, err);
}

/* One non-null scalar at p, laid out as in a struct or list of type t. Lowers uuids in place when fix. */
static dal_code check_slot(dal_type t, const dal_enum *e, void *p, bool fix, const label *l, dal_error *err)
{
    switch (t) {
    case DAL_TEXT:
        if (*(char **)p == NULL)
            return refuse(err, l, "a text is a NULL string", NULL);
        return DAL_OK;
    case DAL_UUID: {
        int scan = uuid_scan(p);
        if (scan == 0)
            return check_uuid_text(p, l, err);
        if (scan == 2 && fix)
            dal_uuid_lower(p);
        return DAL_OK;
    }
    case DAL_REAL: return check_real(*(double *)p, l, err);
    case DAL_ENUM: return check_enum(e, *(int *)p, l, err);
    case DAL_JSON: return *(cJSON **)p == NULL ? DAL_OK : check_json(*(cJSON **)p, 0, l, err);
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON:
        if (*(cJSON **)p == NULL)
            return refuse(err, l, "a map is NULL (use an empty object)", NULL);
        return check_map(t, *(cJSON **)p, l, err);
    default: return DAL_OK;
    }
}

static dal_code check_list(dal_type t, const dal_enum *e, dal_list *list, bool fix, const label *l, dal_error *err)
{
    if (list->n == 0)
        return DAL_OK;
    if (list->v == NULL) {
        char detail[96];
        snprintf(detail, sizeof detail, "a list of %zu values has no array", list->n);
        return refuse(err, l, detail, NULL);
    }
    size_t size = dal_type_size(t);
    for (size_t i = 0; i < list->n; i++) {
        label inner = *l;
        inner.index = (long)i;
        dal_code rc = check_slot(t, e, (char *)list->v + i * size, fix, &inner, err);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

dal_code dal_validate_row(const dal_model *m, void *obj, const char *what, dal_error *err)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        label l = {L_ROW, what, m->name, f->name, -1};
        void *p = dal_field_ptr(f, obj);
        dal_code rc;
        if (f->flags & DAL_F_LIST) {
            rc = check_list(f->type, f->enumt, p, true, &l, err);
        } else if (!dal_field_present(f, obj)) {
            continue;
        } else if (!(f->flags & DAL_F_OPTIONAL) && f->type == DAL_TEXT && *(char **)p == NULL) {
            rc = refuse(err, &l, "required but NULL", NULL);
        } else if (!(f->flags & DAL_F_OPTIONAL) && f->type == DAL_UUID && ((char *)p)[0] == '\0') {
            rc = refuse(err, &l, "required but empty", NULL);
        } else if (!(f->flags & DAL_F_OPTIONAL) && (f->type == DAL_MAP_TEXT || f->type == DAL_MAP_JSON) &&
                   *(cJSON **)p == NULL) {
            rc = refuse(err, &l, "required but NULL (use an empty object)", NULL);
        } else {
            rc = check_slot(f->type, f->enumt, p, true, &l, err);
        }
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Values: keys, parameters, literals                                        */
/* ------------------------------------------------------------------------ */

void dal_checked_args_free(dal_checked_args *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_bufs; i++)
        free(c->bufs[i]);
    free(c->bufs);
    free(c->copy);
    memset(c, 0, sizeof *c);
}

static bool numeric(dal_type t)
{
    return t == DAL_INT || t == DAL_I32 || t == DAL_U32 || t == DAL_U64 || t == DAL_REAL || t == DAL_TIMESTAMP;
}

/* v described by (type, enumt, optional, list). A number of another numeric
 * type is compared by value, so it is accepted; the value's own type decides
 * its checks. An empty uuid is an unset one: null. */
static dal_code check_value(const dal_value *v, dal_type type, const dal_enum *enumt, bool optional, bool list,
                            bool *upper, const label *l, dal_error *err)
{
    *upper = false;
    if (v->type != type && !(numeric(v->type) && numeric(type))) {
        char detail[96];
        snprintf(detail, sizeof detail, "a %s value is expected, got a %s", dal_type_name(type),
                 dal_type_name(v->type));
        return refuse(err, l, detail, NULL);
    }
    if (v->is_null)
        return optional ? DAL_OK : refuse(err, l, "required but NULL", NULL);
    if (type == DAL_UUID && !v->is_list && v->as.s != NULL && v->as.s[0] == '\0')
        return optional ? DAL_OK : refuse(err, l, "required but empty", NULL);
    if (v->is_list != list)
        return refuse(err, l, list ? "a list is expected, got a single value" : "a single value is expected, got a list",
                      NULL);
    if (list) {
        dal_list view = v->as.list;
        dal_code rc = check_list(v->type, enumt, &view, false, l, err);
        if (rc == DAL_OK && v->type == DAL_UUID) {
            const dal_uuid *u = view.v;
            for (size_t i = 0; i < view.n && !*upper; i++)
                *upper = uuid_scan(u[i].s) == 2;
        }
        return rc;
    }
    switch (v->type) {
    case DAL_TEXT:
        return v->as.s == NULL ? refuse(err, l, "required but NULL", NULL) : DAL_OK;
    case DAL_UUID: {
        if (v->as.s == NULL)
            return refuse(err, l, "required but NULL", NULL);
        int scan = uuid_scan(v->as.s);
        *upper = scan == 2;
        return scan == 0 ? check_uuid_text(v->as.s, l, err) : DAL_OK;
    }
    case DAL_REAL: return check_real(v->as.d, l, err);
    case DAL_ENUM: return check_enum(enumt, v->as.i, l, err);
    case DAL_BOOL:
        return v->as.i == 0 || v->as.i == 1 ? DAL_OK : refuse(err, l, "a bool value is 0 or 1", NULL);
    case DAL_JSON: return v->as.json == NULL ? DAL_OK : check_json(v->as.json, 0, l, err);
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON:
        return v->as.json == NULL ? refuse(err, l, "a map is NULL (use an empty object)", NULL)
                                  : check_map(type, v->as.json, l, err);
    default: return DAL_OK;
    }
}

/* Makes out->copy (once) and stores a lower-case copy of args[i]'s uuids in it. */
static dal_code lower_arg(dal_checked_args *out, size_t i, dal_error *err)
{
    if (out->copy == NULL) {
        out->copy = malloc(out->n * sizeof *out->copy);
        if (out->copy == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "out of memory normalising uuids");
        memcpy(out->copy, out->args, out->n * sizeof *out->copy);
    }
    void **bufs = realloc(out->bufs, (out->n_bufs + 1) * sizeof *bufs);
    if (bufs == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory normalising uuids");
    out->bufs = bufs;
    dal_value *v = &out->copy[i];
    if (!v->is_list) {
        char *s = malloc(DAL_UUID_SIZE);
        if (s == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "out of memory normalising uuids");
        memcpy(s, v->as.s, DAL_UUID_SIZE);
        dal_uuid_lower(s);
        out->bufs[out->n_bufs++] = s;
        v->as.s = s;
        return DAL_OK;
    }
    dal_uuid *u = malloc(v->as.list.n * sizeof *u);
    if (u == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory normalising uuids");
    memcpy(u, v->as.list.v, v->as.list.n * sizeof *u);
    for (size_t k = 0; k < v->as.list.n; k++)
        dal_uuid_lower(u[k].s);
    out->bufs[out->n_bufs++] = u;
    v->as.list.v = u;
    return DAL_OK;
}

dal_code dal_validate_key(const dal_model *m, const dal_value *key, const char *what, dal_checked_args *out,
                          dal_error *err)
{
    memset(out, 0, sizeof *out);
    out->args = key;
    out->n = m->n_pk;
    for (size_t i = 0; i < m->n_pk; i++) {
        const dal_field *f = &m->fields[m->pk[i]];
        label l = {L_KEY, what, m->name, f->name, -1};
        bool upper;
        dal_code rc = check_value(&key[i], f->type, f->enumt, false, false, &upper, &l, err);
        if (rc == DAL_OK && upper)
            rc = lower_arg(out, i, err);
        if (rc != DAL_OK) {
            dal_checked_args_free(out);
            return rc;
        }
    }
    if (out->copy != NULL)
        out->args = out->copy;
    return DAL_OK;
}

/* The literal operand of a condition or assignment on field fi of m. */
static dal_code check_literal(const dal_model *m, unsigned fi, const dal_operand *o, bool list, bool optional,
                              const char *qname, dal_error *err)
{
    if (o->kind != DAL_ARG_VALUE)
        return DAL_OK;
    if (fi >= m->n_fields)
        return dal_set_error(err, DAL_ERR_INVALID, "%s.%s: field %u does not exist", m->name, qname, fi);
    const dal_field *f = &m->fields[fi];
    label l = {L_LITERAL, m->name, qname, f->name, -1};
    bool upper; /* the builder lowers the uuids it copies */
    return check_value(&o->value, f->type, f->enumt, optional, list, &upper, &l, err);
}

static dal_code check_tree(const dal_model *m, const dal_expr *e, const char *qname, unsigned depth, dal_error *err)
{
    if (e == NULL)
        return DAL_OK;
    if (depth > 10000)
        return dal_set_error(err, DAL_ERR_INVALID, "%s.%s: conditions nested too deeply", m->name, qname);
    switch (e->op) {
    case DAL_OP_AND:
    case DAL_OP_OR: {
        dal_code rc = check_tree(m, e->a, qname, depth + 1, err);
        return rc != DAL_OK ? rc : check_tree(m, e->b, qname, depth + 1, err);
    }
    case DAL_OP_NOT: return check_tree(m, e->a, qname, depth + 1, err);
    case DAL_OP_IS_NULL:
    case DAL_OP_IS_NOT_NULL: return DAL_OK;
    case DAL_OP_IN: return check_literal(m, e->field, &e->rhs, true, false, qname, err);
    default: return check_literal(m, e->field, &e->rhs, false, false, qname, err);
    }
}

dal_code dal_validate_args(const dal_query *q, const dal_value *args, dal_checked_args *out, dal_error *err)
{
    memset(out, 0, sizeof *out);
    const char *qname = q->name[0] ? q->name : "query";
    out->args = args;
    out->n = q->n_params;
    dal_code rc = DAL_OK;
    for (size_t i = 0; i < q->n_params && rc == DAL_OK; i++) {
        const dal_param *p = &q->params[i];
        label l = {L_PARAM, q->model->name, qname, p->name, -1};
        bool upper;
        rc = check_value(&args[i], p->type, p->enumt, (p->flags & DAL_F_OPTIONAL) != 0, (p->flags & DAL_F_LIST) != 0,
                         &upper, &l, err);
        if (rc == DAL_OK && upper)
            rc = lower_arg(out, i, err);
    }
    if (rc == DAL_OK && q->id < 0) {
        rc = check_tree(q->model, q->where, qname, 0, err);
        for (size_t i = 0; i < q->n_set && rc == DAL_OK; i++) {
            const dal_set *s = &q->set[i];
            bool list = s->field < q->model->n_fields && (q->model->fields[s->field].flags & DAL_F_LIST);
            bool optional = s->field < q->model->n_fields && (q->model->fields[s->field].flags & DAL_F_OPTIONAL);
            rc = check_literal(q->model, s->field, &s->value, list, optional, qname, err);
        }
    }
    if (rc != DAL_OK) {
        dal_checked_args_free(out);
        return rc;
    }
    if (out->copy != NULL)
        out->args = out->copy;
    return DAL_OK;
}
