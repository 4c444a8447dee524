/*
 * dal_builder.c - run-time queries: a heap dal_query (id -1) and the
 * conditions, orders and values it points to, executed through the facade.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal_backend.h"
#include "dal_builder.h"
#include "dal_validate.h"

struct dal_cond {
    dal_expr e;          /* e.a / e.b point into the children below */
    dal_cond *a, *b;
    char *s;             /* owned text of e.rhs.value */
    cJSON *json;         /* owned JSON of e.rhs.value */
    void *list;          /* owned elements of e.rhs.value.as.list */
};

typedef struct owned_value {
    dal_value v;
    char *s;
    cJSON *json;
    void *list;
} owned_value;

struct dal_builder {
    const dal_model *m;
    dal_query q;
    dal_cond *where;
    dal_order *order;
    size_t n_order;
    unsigned *set_fields;
    owned_value *set_values;
    size_t n_set;
    void *after;         /* a copy of the row given to dal_builder_after, or NULL */
    char problem[200];   /* the first building error, "" when none */
};

/* ------------------------------------------------------------------------ */
/* Values                                                                    */
/* ------------------------------------------------------------------------ */

static void owned_clear(owned_value *o)
{
    if (o->list != NULL && o->v.type == DAL_TEXT) {
        char **items = o->list;
        for (size_t i = 0; i < o->v.as.list.n; i++)
            free(items[i]);
    }
    free(o->list);
    free(o->s);
    cJSON_Delete(o->json);
    memset(o, 0, sizeof *o);
}

static bool copy_list(owned_value *o, const dal_value *v)
{
    size_t n = v->as.list.n, size = dal_type_size(v->type);
    o->v.as.list.n = 0;
    o->v.as.list.v = NULL;
    if (n == 0)
        return true;
    o->list = calloc(n, size);
    if (o->list == NULL)
        return false;
    if (v->type != DAL_TEXT) {
        memcpy(o->list, v->as.list.v, n * size);
    } else {
        char **dst = o->list, *const *src = v->as.list.v;
        for (size_t i = 0; i < n; i++) {
            o->v.as.list.n = i;
            if (src[i] != NULL && (dst[i] = strdup(src[i])) == NULL)
                return false;
        }
    }
    o->v.as.list.n = n;
    o->v.as.list.v = o->list;
    return true;
}

/* o becomes an owning copy of v. False on OOM (o cleared). */
static bool owned_copy(owned_value *o, const dal_value *v)
{
    memset(o, 0, sizeof *o);
    o->v = *v;
    bool ok = true;
    if (v->is_null)
        return true;
    if (v->is_list)
        ok = copy_list(o, v);
    else if ((v->type == DAL_TEXT || v->type == DAL_UUID) && v->as.s != NULL)
        ok = (o->v.as.s = o->s = strdup(v->as.s)) != NULL;
    else if ((v->type == DAL_JSON || v->type == DAL_MAP_TEXT || v->type == DAL_MAP_JSON) && v->as.json != NULL)
        ok = (o->v.as.json = o->json = cJSON_Duplicate(v->as.json, true)) != NULL;
    if (!ok) {
        owned_clear(o);
        return false;
    }
    /* uuids are stored in lower case: compare with the same form */
    if (v->type == DAL_UUID && o->s != NULL)
        dal_uuid_lower(o->s);
    if (v->type == DAL_UUID && o->list != NULL) {
        dal_uuid *u = o->list;
        for (size_t i = 0; i < o->v.as.list.n; i++)
            dal_uuid_lower(u[i].s);
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Conditions                                                                */
/* ------------------------------------------------------------------------ */

void dal_cond_free(dal_cond *c)
{
    if (c == NULL)
        return;
    dal_cond_free(c->a);
    dal_cond_free(c->b);
    owned_value o = {.v = c->e.rhs.value, .s = c->s, .json = c->json, .list = c->list};
    owned_clear(&o);
    free(c);
}

static bool op_fits(const dal_field *f, dal_op op, const dal_value *v)
{
    bool scalar_cmp = !(f->flags & DAL_F_LIST) && f->type != DAL_JSON && f->type != DAL_MAP_TEXT &&
                      f->type != DAL_MAP_JSON;
    switch (op) {
    case DAL_OP_IS_NULL:
    case DAL_OP_IS_NOT_NULL: return true;
    case DAL_OP_LIKE: return scalar_cmp && f->type == DAL_TEXT && v && !v->is_list && !v->is_null;
    case DAL_OP_IN: return scalar_cmp && v && v->is_list && v->type == f->type;
    case DAL_OP_EQ: case DAL_OP_NE: case DAL_OP_LT: case DAL_OP_LE: case DAL_OP_GT: case DAL_OP_GE:
        return scalar_cmp && v && !v->is_list && !v->is_null && v->type == f->type; /* NULL: IS_NULL */
    default: return false;
    }
}

dal_cond *dal_cond_cmp(const dal_model *m, unsigned field, dal_op op, const dal_value *v)
{
    if (m == NULL || field >= m->n_fields || !op_fits(&m->fields[field], op, v))
        return NULL;
    dal_cond *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->e.op = op;
    c->e.field = field;
    if (op == DAL_OP_IS_NULL || op == DAL_OP_IS_NOT_NULL)
        return c;
    owned_value o;
    if (!owned_copy(&o, v)) {
        free(c);
        return NULL;
    }
    c->e.rhs.kind = DAL_ARG_VALUE;
    c->e.rhs.value = o.v;
    c->s = o.s;
    c->json = o.json;
    c->list = o.list;
    return c;
}

static dal_cond *join(dal_op op, dal_cond *a, dal_cond *b)
{
    dal_cond *c = NULL;
    if (a != NULL && (b != NULL || op == DAL_OP_NOT))
        c = calloc(1, sizeof *c);
    if (c == NULL) {
        dal_cond_free(a);
        dal_cond_free(b);
        return NULL;
    }
    c->e.op = op;
    c->a = a;
    c->b = b;
    c->e.a = &a->e;
    c->e.b = b ? &b->e : NULL;
    return c;
}

dal_cond *dal_cond_and(dal_cond *a, dal_cond *b) { return join(DAL_OP_AND, a, b); }
dal_cond *dal_cond_or(dal_cond *a, dal_cond *b) { return join(DAL_OP_OR, a, b); }
dal_cond *dal_cond_not(dal_cond *a) { return join(DAL_OP_NOT, a, NULL); }

/* ------------------------------------------------------------------------ */
/* Building                                                                  */
/* ------------------------------------------------------------------------ */

dal_builder *dal_builder_new(const dal_model *m)
{
    if (m == NULL)
        return NULL;
    dal_builder *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->m = m;
    b->q.name = "";
    b->q.model = m;
    b->q.kind = DAL_Q_SELECT;
    b->q.result = DAL_R_MANY;
    b->q.id = -1;
    if (m->table == NULL)
        snprintf(b->problem, sizeof b->problem, "%s has no table", m->name);
    return b;
}

void dal_builder_free(dal_builder *b)
{
    if (b == NULL)
        return;
    dal_cond_free(b->where);
    free(b->order);
    for (size_t i = 0; i < b->n_set; i++)
        owned_clear(&b->set_values[i]);
    free(b->set_fields);
    free(b->set_values);
    if (b->after != NULL) {
        dal_record_clear(b->m, b->after);
        free(b->after);
    }
    free(b);
}

const dal_model *dal_builder_model(const dal_builder *b) { return b ? b->m : NULL; }

/* Remembers the first building error. */
static void problem(dal_builder *b, const char *what)
{
    if (b->problem[0] == '\0')
        snprintf(b->problem, sizeof b->problem, "%s query: %s", b->m->name, what);
}

void dal_builder_where(dal_builder *b, dal_cond *cond)
{
    if (b == NULL) {
        dal_cond_free(cond);
        return;
    }
    if (cond == NULL) {
        problem(b, "a condition could not be made (out of memory, or an operator that does not fit its field)");
        return;
    }
    b->where = b->where ? dal_cond_and(b->where, cond) : cond;
    if (b->where == NULL)
        problem(b, "out of memory adding a condition");
    b->q.where = b->where ? &b->where->e : NULL;
}

static bool orderable(const dal_field *f)
{
    return !(f->flags & DAL_F_LIST) && f->type != DAL_JSON && f->type != DAL_MAP_TEXT && f->type != DAL_MAP_JSON;
}

void dal_builder_order(dal_builder *b, unsigned field, bool desc)
{
    if (b == NULL)
        return;
    if (field >= b->m->n_fields || !orderable(&b->m->fields[field])) {
        problem(b, "order by a field that is not orderable");
        return;
    }
    dal_order *o = realloc(b->order, (b->n_order + 1) * sizeof *o);
    if (o == NULL) {
        problem(b, "out of memory adding an order");
        return;
    }
    o[b->n_order++] = (dal_order){field, desc};
    b->order = o;
    b->q.order = o;
    b->q.n_order = b->n_order;
}

static void set_count(dal_builder *b, dal_operand *o, int64_t v, const char *what)
{
    if (v < 0) {
        char msg[80];
        snprintf(msg, sizeof msg, "%s must be >= 0, got %lld", what, (long long)v);
        problem(b, msg);
        return;
    }
    *o = (dal_operand){.kind = DAL_ARG_VALUE, .value = {.type = DAL_INT, .as.i = v}};
}

void dal_builder_limit(dal_builder *b, int64_t limit)
{
    if (b != NULL)
        set_count(b, &b->q.limit, limit, "limit");
}

void dal_builder_offset(dal_builder *b, int64_t offset)
{
    if (b != NULL)
        set_count(b, &b->q.offset, offset, "offset");
}

void dal_builder_after(dal_builder *b, const void *row)
{
    if (b == NULL)
        return;
    void *copy = row ? calloc(1, b->m->size) : NULL;
    if (copy == NULL || dal_record_copy(b->m, copy, row, NULL) != DAL_OK) {
        free(copy);
        problem(b, row ? "out of memory copying the row to continue after" : "no row to continue after");
        return;
    }
    if (b->after != NULL) {
        dal_record_clear(b->m, b->after);
        free(b->after);
    }
    b->after = copy;
}

void dal_builder_set(dal_builder *b, unsigned field, const dal_value *v)
{
    if (b == NULL)
        return;
    const dal_field *f = field < b->m->n_fields ? &b->m->fields[field] : NULL;
    if (f == NULL || v == NULL || (f->flags & (DAL_F_ID | DAL_F_SEQUENCE)) || v->type != f->type ||
        v->is_list != ((f->flags & DAL_F_LIST) != 0) || (v->is_null && !(f->flags & DAL_F_OPTIONAL))) {
        problem(b, "set of a key or @sequence field, or a value that does not fit its field");
        return;
    }
    unsigned *nf = realloc(b->set_fields, (b->n_set + 1) * sizeof *nf);
    if (nf != NULL)
        b->set_fields = nf;
    owned_value *nv = nf ? realloc(b->set_values, (b->n_set + 1) * sizeof *nv) : NULL;
    if (nv != NULL)
        b->set_values = nv;
    if (nv == NULL || !owned_copy(&nv[b->n_set], v)) {
        problem(b, "out of memory adding a set");
        return;
    }
    nf[b->n_set++] = field;
}

const dal_query *dal_builder_query(const dal_builder *b) { return b ? &b->q : NULL; }

/* ------------------------------------------------------------------------ */
/* Keyset pagination                                                         */
/* ------------------------------------------------------------------------ */

typedef struct key_part {
    unsigned field;
    bool desc;
} key_part;

/* The builder's full order: its order fields, then the primary key asc. */
static key_part *full_order(const dal_builder *b, size_t *n)
{
    key_part *k = calloc(b->n_order + b->m->n_pk, sizeof *k);
    if (k == NULL)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < b->n_order; i++)
        k[(*n)++] = (key_part){b->order[i].field, b->order[i].desc};
    for (size_t p = 0; p < b->m->n_pk; p++) {
        bool seen = false;
        for (size_t i = 0; i < b->n_order; i++)
            seen = seen || b->order[i].field == b->m->pk[p];
        if (!seen)
            k[(*n)++] = (key_part){b->m->pk[p], false};
    }
    return k;
}

static dal_cond *null_test(const dal_model *m, unsigned field, bool is_null)
{
    return dal_cond_cmp(m, field, is_null ? DAL_OP_IS_NULL : DAL_OP_IS_NOT_NULL, NULL);
}

/* field equal to the row's value (NULL matches NULL). */
static dal_cond *same_as(const dal_model *m, unsigned field, const void *row)
{
    const dal_field *f = &m->fields[field];
    if (!dal_field_present(f, row))
        return null_test(m, field, true);
    dal_value v = dal_field_value(f, row);
    return dal_cond_cmp(m, field, DAL_OP_EQ, &v);
}

/* field strictly after the row's value in direction desc; *never when no
 * value can be (NULL is last descending). */
static dal_cond *beyond(const dal_model *m, key_part k, const void *row, bool *never)
{
    const dal_field *f = &m->fields[k.field];
    *never = false;
    if (!dal_field_present(f, row)) {
        if (k.desc)
            *never = true;
        return k.desc ? NULL : null_test(m, k.field, false);
    }
    dal_value v = dal_field_value(f, row);
    dal_cond *c = dal_cond_cmp(m, k.field, k.desc ? DAL_OP_LT : DAL_OP_GT, &v);
    if (k.desc && (f->flags & DAL_F_OPTIONAL))
        c = dal_cond_or(c, null_test(m, k.field, true));
    return c;
}

/* OR over i of (k1 = r1 AND ... AND k(i-1) = r(i-1) AND ki beyond ri). */
static dal_code keyset_cond(const dal_builder *b, dal_cond **out, dal_error *err)
{
    size_t n = 0;
    key_part *keys = full_order(b, &n);
    dal_cond *any = NULL;
    bool oom = keys == NULL;
    for (size_t i = 0; i < n && !oom; i++) {
        bool never = false;
        dal_cond *term = beyond(b->m, keys[i], b->after, &never);
        if (never)
            continue;
        for (size_t j = 0; j < i && term != NULL; j++)
            term = dal_cond_and(same_as(b->m, keys[j].field, b->after), term);
        if (term == NULL)
            break;
        any = any ? dal_cond_or(any, term) : term;
        oom = any == NULL;
    }
    free(keys);
    if (oom || any == NULL) {
        dal_cond_free(any);
        return dal_set_error(err, DAL_ERR_NOMEM, "%s query: out of memory building the keyset condition",
                             b->m->name);
    }
    *out = any;
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Running                                                                   */
/* ------------------------------------------------------------------------ */

/* What a terminal runs: the builder's query plus the keyset condition and,
 * for updates, the assignments. */
typedef struct run {
    dal_query q;
    dal_cond *after;
    dal_expr both;
    dal_set *set;
} run;

static void run_free(run *r)
{
    dal_cond_free(r->after);
    free(r->set);
}

static dal_code run_sets(const dal_builder *b, run *r, dal_error *err)
{
    const dal_model *m = b->m;
    r->set = calloc(b->n_set + m->n_fields, sizeof *r->set);
    if (r->set == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "%s query: out of memory", m->name);
    size_t n = 0;
    for (size_t i = 0; i < b->n_set; i++)
        r->set[n++] = (dal_set){b->set_fields[i], {.kind = DAL_ARG_VALUE, .value = b->set_values[i].v}, DAL_SET_ASSIGN};
    for (unsigned f = 0; f < m->n_fields; f++) {
        bool given = false;
        for (size_t i = 0; i < b->n_set; i++)
            given = given || b->set_fields[i] == f;
        if ((m->fields[f].flags & DAL_F_UPDATED_NOW) && !given)
            r->set[n++] = (dal_set){f, {.kind = DAL_ARG_NOW}, DAL_SET_ASSIGN};
    }
    r->q.set = r->set;
    r->q.n_set = n;
    return DAL_OK;
}

static dal_code run_start(const dal_builder *b, dal_query_kind kind, run *r, dal_error *err)
{
    memset(r, 0, sizeof *r);
    if (b == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "no query builder");
    if (b->problem[0])
        return dal_set_error(err, DAL_ERR_INVALID, "%s", b->problem);
    r->q = b->q;
    if (kind != DAL_Q_SELECT) {
        if (b->q.limit.kind != DAL_ARG_NONE || b->q.offset.kind != DAL_ARG_NONE)
            return dal_set_error(err, DAL_ERR_INVALID, "%s query: limit and offset apply to fetch and count only",
                                 b->m->name);
        if (kind == DAL_Q_UPDATE && b->n_set == 0)
            return dal_set_error(err, DAL_ERR_INVALID, "%s query: update without any set", b->m->name);
        r->q.kind = kind;
        r->q.result = DAL_R_COUNT;
        r->q.n_order = 0;
        r->q.order = NULL;
    }
    dal_code rc;
    if (b->after != NULL) {
        if ((rc = keyset_cond(b, &r->after, err)) != DAL_OK)
            return rc;
        r->both = (dal_expr){.op = DAL_OP_AND, .a = b->q.where, .b = &r->after->e};
        r->q.where = b->q.where ? &r->both : &r->after->e;
    }
    if (kind == DAL_Q_UPDATE && (rc = run_sets(b, r, err)) != DAL_OK) {
        run_free(r);
        return rc;
    }
    return DAL_OK;
}

/* At most one row: limit 1 unless the builder's own limit is smaller. */
static void cap_at_one(run *r)
{
    if (r->q.limit.kind == DAL_ARG_NONE || r->q.limit.value.as.i > 1)
        r->q.limit = (dal_operand){.kind = DAL_ARG_VALUE, .value = {.type = DAL_INT, .as.i = 1}};
}

dal_code dal_builder_fetch(dal_db *db, dal_builder *b, dal_list *out, dal_error *err)
{
    run r;
    dal_code rc = run_start(b, DAL_Q_SELECT, &r, err);
    if (rc == DAL_OK)
        rc = dal_query_many(db, &r.q, NULL, out, err);
    run_free(&r);
    return rc;
}

dal_code dal_builder_fetch_one(dal_db *db, dal_builder *b, void *out, bool *found, dal_error *err)
{
    run r;
    dal_code rc = run_start(b, DAL_Q_SELECT, &r, err);
    if (rc == DAL_OK) {
        cap_at_one(&r);
        r.q.result = DAL_R_ONE;
        rc = dal_query_one(db, &r.q, NULL, out, found, err);
    }
    run_free(&r);
    return rc;
}

dal_code dal_builder_count(dal_db *db, dal_builder *b, int64_t *n, dal_error *err)
{
    run r;
    dal_code rc = run_start(b, DAL_Q_SELECT, &r, err);
    if (rc == DAL_OK)
        rc = dal_count_query(db, &r.q, NULL, n, err);
    run_free(&r);
    return rc;
}

dal_code dal_builder_exists(dal_db *db, dal_builder *b, bool *exists, dal_error *err)
{
    if (exists == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "exists: no output");
    run r;
    int64_t n = 0;
    dal_code rc = run_start(b, DAL_Q_SELECT, &r, err);
    if (rc == DAL_OK) {
        cap_at_one(&r);
        rc = dal_count_query(db, &r.q, NULL, &n, err);
    }
    run_free(&r);
    if (rc == DAL_OK)
        *exists = n > 0;
    return rc;
}

static dal_code change(dal_db *db, dal_builder *b, dal_query_kind kind, int64_t *n, dal_error *err)
{
    run r;
    dal_code rc = run_start(b, kind, &r, err);
    if (rc == DAL_OK)
        rc = dal_exec(db, &r.q, NULL, n, err);
    run_free(&r);
    return rc;
}

dal_code dal_builder_delete(dal_db *db, dal_builder *b, int64_t *n, dal_error *err)
{
    return change(db, b, DAL_Q_DELETE, n, err);
}

dal_code dal_builder_update(dal_db *db, dal_builder *b, int64_t *n, dal_error *err)
{
    return change(db, b, DAL_Q_UPDATE, n, err);
}

dal_code dal_builder_sql(const dal_builder *b, dal_dialect d, char **sql, char **params_json, dal_error *err)
{
    if (sql == NULL || params_json == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "builder sql: sql and params_json are required");
    /* the SQL writer of the backend that speaks the dialect */
    const char *scheme = d == DAL_DIALECT_SQLITE ? "sqlite" : d == DAL_DIALECT_POSTGRES ? "postgresql" : NULL;
    const dal_backend *vt = scheme ? dal_find_backend(scheme, strlen(scheme)) : NULL;
    if (scheme == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "builder sql: unknown dialect %d", (int)d);
    if (vt == NULL || vt->query_sql == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "builder sql: the %s backend is not built into this library",
                             scheme);
    run r;
    dal_code rc = run_start(b, DAL_Q_SELECT, &r, err);
    if (rc == DAL_OK)
        rc = vt->query_sql(&r.q, NULL, sql, params_json, err);
    run_free(&r);
    return rc;
}
