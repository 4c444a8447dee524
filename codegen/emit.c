/*
 * emit.c - helpers shared by the emitters.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "names.h"

static void grow(ebuf *b, size_t need)
{
    if (b->len + need + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + need + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (s == NULL) {
        fprintf(stderr, "dalc: out of memory\n");
        exit(2);
    }
    b->s = s;
    b->cap = cap;
}

void eb_printf(ebuf *b, const char *fmt, ...)
{
    if (fmt == NULL) /* never, but gcc -O2 with UBSan warns it could be */
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void eb_puts(ebuf *b, const char *s)
{
    size_t n = strlen(s);
    grow(b, n);
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void eb_free(ebuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

void eb_cstring(ebuf *b, const char *s)
{
    eb_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': eb_puts(b, "\\\""); break;
        case '\\': eb_puts(b, "\\\\"); break;
        case '\n': eb_puts(b, "\\n"); break;
        case '\t': eb_puts(b, "\\t"); break;
        case '\r': eb_puts(b, "\\r"); break;
        default:
            /* octal for control bytes and bytes >= 0x80, so the file stays
             * ASCII whatever the schema's strings hold; three digits so the
             * next character cannot extend the escape */
            if (*p < 0x20 || *p >= 0x7f)
                eb_printf(b, "\\%03o", *p);
            else
                eb_printf(b, "%c", *p);
        }
    }
    eb_puts(b, "\"");
}

bool kind_is_scalar(m_kind k)
{
    return k != MK_TEXT && k != MK_JSON && k != MK_MAP_TEXT && k != MK_MAP_JSON;
}

const char *dal_type_const(m_kind k)
{
    switch (k) {
    case MK_TEXT: return "DAL_TEXT";
    case MK_INT: return "DAL_INT";
    case MK_I32: return "DAL_I32";
    case MK_U32: return "DAL_U32";
    case MK_U64: return "DAL_U64";
    case MK_REAL: return "DAL_REAL";
    case MK_BOOL: return "DAL_BOOL";
    case MK_TIMESTAMP: return "DAL_TIMESTAMP";
    case MK_UUID: return "DAL_UUID";
    case MK_JSON: return "DAL_JSON";
    case MK_MAP_TEXT: return "DAL_MAP_TEXT";
    case MK_MAP_JSON: return "DAL_MAP_JSON";
    case MK_ENUM: return "DAL_ENUM";
    }
    return "DAL_TEXT";
}

void c_value_type(ebuf *b, const m_schema *s, const m_type *t)
{
    switch (t->kind) {
    case MK_TEXT: eb_puts(b, "char *"); return;
    case MK_INT: eb_puts(b, "int64_t "); return;
    case MK_I32: eb_puts(b, "int32_t "); return;
    case MK_U32: eb_puts(b, "uint32_t "); return;
    case MK_U64: eb_puts(b, "uint64_t "); return;
    case MK_REAL: eb_puts(b, "double "); return;
    case MK_BOOL: eb_puts(b, "bool "); return;
    case MK_TIMESTAMP: eb_puts(b, "int64_t "); return;
    case MK_UUID: eb_puts(b, "char "); return; /* the caller adds [DAL_UUID_SIZE] */
    case MK_JSON:
    case MK_MAP_TEXT:
    case MK_MAP_JSON: eb_puts(b, "cJSON *"); return;
    case MK_ENUM: eb_printf(b, "%s ", s->names->enums[t->enumt - s->enums].type); return;
    }
}

void c_list_type(ebuf *b, const m_schema *s, const m_type *t)
{
    switch (t->kind) {
    case MK_TEXT: eb_puts(b, "dal_text_list"); return;
    case MK_INT: eb_puts(b, "dal_int_list"); return;
    case MK_I32: eb_puts(b, "dal_i32_list"); return;
    case MK_U32: eb_puts(b, "dal_u32_list"); return;
    case MK_U64: eb_puts(b, "dal_u64_list"); return;
    case MK_REAL: eb_puts(b, "dal_real_list"); return;
    case MK_BOOL: eb_puts(b, "dal_bool_list"); return;
    case MK_TIMESTAMP: eb_puts(b, "dal_timestamp_list"); return;
    case MK_UUID: eb_puts(b, "dal_uuid_list"); return;
    case MK_ENUM: eb_puts(b, s->names->enums[t->enumt - s->enums].list); return;
    case MK_JSON:
    case MK_MAP_TEXT:
    case MK_MAP_JSON: eb_puts(b, "dal_list"); return; /* rejected by the checker */
    }
}

/* ------------------------------------------------------------------------ */
/* Schema version: a hash of what the stored data depends on                 */
/* ------------------------------------------------------------------------ */

typedef struct fnv {
    uint64_t h;
} fnv;

static void fnv_add(fnv *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        f->h ^= *p;
        f->h *= 0x100000001b3ULL;
    }
    f->h ^= 0xff; /* separator, so ("ab","c") != ("a","bc") */
    f->h *= 0x100000001b3ULL;
}

static void fnv_num(fnv *f, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    fnv_add(f, buf);
}

static void fnv_type(fnv *f, const m_type *t)
{
    fnv_num(f, t->kind);
    fnv_num(f, t->optional);
    fnv_num(f, t->list);
    if (t->enumt != NULL) {
        for (size_t i = 0; i < t->enumt->n; i++) {
            fnv_add(f, t->enumt->members[i]);
            if (t->enumt->values != NULL)
                fnv_num(f, t->enumt->values[i]);
        }
    }
}

void schema_version(const m_schema *s, char out[17])
{
    fnv f = {0xcbf29ce484222325ULL};
    fnv_add(&f, s->ns);
    for (size_t i = 0; i < s->n_models; i++) {
        const m_model *m = &s->models[i];
        fnv_add(&f, m->table);
        for (size_t j = 0; j < m->n_fields; j++) {
            const m_field *fl = &m->fields[j];
            fnv_add(&f, fl->column);
            fnv_type(&f, &fl->type);
            fnv_num(&f, fl->is_id);
            fnv_num(&f, fl->unique);
            fnv_num(&f, fl->sequence);
            if (fl->ref_model != NULL) {
                fnv_add(&f, fl->ref_model->table);
                fnv_add(&f, fl->ref_model->fields[fl->ref_field].column);
                fnv_num(&f, fl->on_delete);
            }
        }
        for (size_t j = 0; j < m->n_pk; j++)
            fnv_num(&f, (long long)m->pk[j]);
        for (size_t j = 0; j < m->n_indexes; j++) {
            /* plain indexes are not part of the stored shape: backends create
             * missing ones when they open a database */
            const m_index *ix = &m->indexes[j];
            if (!ix->unique)
                continue;
            fnv_add(&f, ix->name);
            fnv_num(&f, ix->unique);
            for (size_t k = 0; k < ix->n; k++) {
                fnv_num(&f, (long long)ix->parts[k].field);
                fnv_num(&f, ix->parts[k].desc);
            }
        }
    }
    snprintf(out, 17, "%016" PRIx64, f.h);
}

/* ------------------------------------------------------------------------ */
/* Text shared by the header and the source                                  */
/* ------------------------------------------------------------------------ */

void section(ebuf *b, const char *title)
{
    eb_puts(b, "/* ------------------------------------------------------------------------\n * ");
    comment_text(b, title);
    eb_puts(b, "\n * ------------------------------------------------------------------------ */\n\n");
}

void comment_text(ebuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p[0] == '*' && p[1] == '/')
            eb_puts(b, "*\\");
        else if (p[0] == '/' && p[1] == '*')
            eb_puts(b, "/\\");
        else if ((unsigned char)*p < 0x20)
            eb_puts(b, " ");
        else
            eb_printf(b, "%c", *p);
    }
}

static const char *kind_text(m_kind k)
{
    switch (k) {
    case MK_TEXT: return "text";
    case MK_INT: return "int";
    case MK_I32: return "i32";
    case MK_U32: return "u32";
    case MK_U64: return "u64";
    case MK_REAL: return "real";
    case MK_BOOL: return "bool";
    case MK_TIMESTAMP: return "timestamp";
    case MK_UUID: return "uuid";
    case MK_JSON: return "json";
    case MK_MAP_TEXT: return "map<text>";
    case MK_MAP_JSON: return "map<json>";
    case MK_ENUM: return "enum";
    }
    return "?";
}

void type_text(ebuf *b, const m_type *t)
{
    eb_puts(b, t->kind == MK_ENUM ? t->enumt->name : kind_text(t->kind));
    if (t->list)
        eb_puts(b, "[]");
    if (t->optional)
        eb_puts(b, "?");
}

static void string_text(ebuf *b, const char *s)
{
    eb_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '"': eb_puts(b, "\\\""); break;
        case '\\': eb_puts(b, "\\\\"); break;
        case '\n': eb_puts(b, "\\n"); break;
        case '\t': eb_puts(b, "\\t"); break;
        default: eb_printf(b, "%c", *p);
        }
    }
    eb_puts(b, "\"");
}

/* A literal as the schema would write it, for a value of type t. */
static void lit_text(ebuf *b, const m_type *t, const m_lit *l)
{
    switch (l->kind) {
    case ML_NONE: break;
    case ML_NULL: eb_puts(b, "null"); break;
    case ML_INT: eb_printf(b, "%lld", (long long)l->i); break;
    case ML_REAL: eb_printf(b, "%.17g", l->d); break;
    case ML_BOOL: eb_puts(b, l->b ? "true" : "false"); break;
    case ML_TEXT: string_text(b, l->s ? l->s : ""); break;
    case ML_ENUM:
        if (t->enumt != NULL && l->i >= 0 && (size_t)l->i < t->enumt->n)
            eb_puts(b, t->enumt->members[l->i]);
        break;
    case ML_NOW: eb_puts(b, "now"); break;
    case ML_UUID7: eb_puts(b, "uuid7"); break;
    case ML_UUID4: eb_puts(b, "uuid4"); break;
    case ML_EMPTY_LIST: eb_puts(b, "[]"); break;
    case ML_EMPTY_MAP: eb_puts(b, "{}"); break;
    }
}

static const char *on_delete_text(m_on_delete d)
{
    switch (d) {
    case MOD_RESTRICT: return "restrict";
    case MOD_CASCADE: return "cascade";
    case MOD_SET_NULL: return "set_null";
    }
    return "?";
}

void field_decl_text(ebuf *b, const m_schema *s, const m_model *m, const m_field *f)
{
    (void)s;
    type_text(b, &f->type);
    if (f->is_id && m->n_pk == 1)
        eb_puts(b, " @id");
    if (f->def.kind != ML_NONE) {
        eb_puts(b, " @default(");
        lit_text(b, &f->type, &f->def);
        eb_puts(b, ")");
    }
    if (f->unique)
        eb_puts(b, " @unique");
    if (f->sequence)
        eb_puts(b, " @sequence");
    if (f->updated_now)
        eb_puts(b, " @updated_now");
    if (f->ref_model != NULL)
        eb_printf(b, " @ref(%s.%s, on_delete: %s)", f->ref_model->name, f->ref_model->fields[f->ref_field].name,
                  on_delete_text(f->on_delete));
    if (strcmp(f->column, f->name) != 0) {
        eb_puts(b, " @column(");
        string_text(b, f->column);
        eb_puts(b, ")");
    }
}

static const char *agg_fn_text(m_agg_fn fn)
{
    switch (fn) {
    case MAGG_GROUP: return "group";
    case MAGG_COUNT: return "count";
    case MAGG_SUM: return "sum";
    case MAGG_AVG: return "avg";
    case MAGG_MIN: return "min";
    case MAGG_MAX: return "max";
    }
    return "?";
}

void agg_item_text(ebuf *b, const m_model *m, const m_agg_item *it)
{
    if (it->fn == MAGG_GROUP)
        eb_printf(b, "group by %s", m->fields[it->field].name);
    else if (it->field < 0)
        eb_printf(b, "%s()", agg_fn_text(it->fn));
    else
        eb_printf(b, "%s(%s)", agg_fn_text(it->fn), m->fields[it->field].name);
    eb_puts(b, ": ");
    type_text(b, &it->type);
}

static void operand_text(ebuf *b, const m_query *q, const m_type *t, const m_operand *o)
{
    switch (o->kind) {
    case MA_NONE: break;
    case MA_PARAM: eb_printf(b, "$%s", q->params[o->param].name); break;
    case MA_LIT: lit_text(b, t, &o->lit); break;
    case MA_NOW: eb_puts(b, "now()"); break;
    }
}

static const char *op_text(m_op op)
{
    switch (op) {
    case MO_EQ: return "=";
    case MO_NE: return "!=";
    case MO_LT: return "<";
    case MO_LE: return "<=";
    case MO_GT: return ">";
    case MO_GE: return ">=";
    case MO_LIKE: return "like";
    case MO_IN: return "in";
    case MO_IS_NULL: return "is null";
    case MO_IS_NOT_NULL: return "is not null";
    case MO_AND: return "and";
    case MO_OR: return "or";
    case MO_NOT: return "not";
    }
    return "?";
}

/* prec: or 1, and 2, not 3, comparisons 4 */
static int expr_prec(const m_expr *e)
{
    return e->op == MO_OR ? 1 : e->op == MO_AND ? 2 : e->op == MO_NOT ? 3 : 4;
}

static void expr_text(ebuf *b, const m_query *q, const m_expr *e, int outer)
{
    int prec = expr_prec(e);
    bool paren = prec < outer;
    if (paren)
        eb_puts(b, "(");
    if (e->op == MO_AND || e->op == MO_OR) {
        expr_text(b, q, e->a, prec);
        eb_printf(b, " %s ", op_text(e->op));
        /* the right side of a same-precedence chain needs no parentheses */
        expr_text(b, q, e->b, prec);
    } else if (e->op == MO_NOT) {
        eb_puts(b, "not ");
        expr_text(b, q, e->a, prec + 1);
    } else {
        const m_field *f = &q->model->fields[e->field];
        eb_printf(b, "%s %s", f->name, op_text(e->op));
        if (e->op != MO_IS_NULL && e->op != MO_IS_NOT_NULL) {
            eb_puts(b, " ");
            operand_text(b, q, &f->type, &e->rhs);
        }
    }
    if (paren)
        eb_puts(b, ")");
}

static const char *result_text(m_result r)
{
    switch (r) {
    case MR_MANY: return "many";
    case MR_ONE: return "one";
    case MR_COUNT: return "count";
    case MR_BOOL: return "bool";
    case MR_FIRST: return "one";
    }
    return "?";
}

void query_text(ebuf *b, const m_schema *s, const m_query *q)
{
    (void)s;
    static const char *const kinds[] = {"query", "update", "delete", "aggregate"};
    const m_model *m = q->model;
    eb_printf(b, "%s %s.%s(", kinds[q->kind], m->name, q->name);
    for (size_t i = 0; i < q->n_params; i++) {
        eb_printf(b, "%s%s: ", i ? ", " : "", q->params[i].name);
        type_text(b, &q->params[i].type);
    }
    eb_puts(b, ")");
    if (q->kind != MQ_AGGREGATE)
        eb_printf(b, " -> %s", result_text(q->result));
    eb_puts(b, " {");
    if (q->n_set > 0) {
        eb_puts(b, "\n  set ");
        for (size_t i = 0; i < q->n_set; i++) {
            const m_field *f = &m->fields[q->set[i].field];
            eb_printf(b, "%s%s = ", i ? ", " : "", f->name);
            if (q->set[i].arith)
                eb_printf(b, "%s %c ", f->name, q->set[i].arith);
            operand_text(b, q, &f->type, &q->set[i].value);
        }
    }
    if (q->where != NULL) {
        eb_puts(b, "\n  where ");
        expr_text(b, q, q->where, 0);
    }
    if (q->n_group > 0) {
        eb_puts(b, "\n  group by ");
        for (size_t i = 0; i < q->n_group; i++)
            eb_printf(b, "%s%s", i ? ", " : "", m->fields[q->group[i]].name);
        eb_puts(b, "\n  select ");
        bool first = true;
        for (size_t i = 0; i < q->n_items; i++) {
            const m_agg_item *it = &q->items[i];
            if (it->fn == MAGG_GROUP)
                continue;
            eb_printf(b, "%s%s(%s) as %s", first ? "" : ", ", agg_fn_text(it->fn),
                      it->field >= 0 ? m->fields[it->field].name : "", it->name);
            first = false;
        }
    }
    if (q->n_order > 0) {
        eb_puts(b, "\n  order by ");
        for (size_t i = 0; i < q->n_order; i++) {
            const char *name = q->kind == MQ_AGGREGATE ? q->items[q->order[i].field].name
                                                       : m->fields[q->order[i].field].name;
            eb_printf(b, "%s%s %s", i ? ", " : "", name, q->order[i].desc ? "desc" : "asc");
        }
    }
    static const m_type int_type = {MK_INT, false, false, NULL};
    if (q->limit.kind != MA_NONE) {
        eb_puts(b, "\n  limit ");
        operand_text(b, q, &int_type, &q->limit);
    }
    if (q->offset.kind != MA_NONE) {
        eb_puts(b, "\n  offset ");
        operand_text(b, q, &int_type, &q->offset);
    }
    eb_puts(b, "\n}");
}

void param_decl(ebuf *b, const m_schema *s, const m_type *t, const char *cn)
{
    if (t->list) {
        eb_puts(b, "const ");
        c_list_type(b, s, t);
        eb_printf(b, " *%s", cn);
    } else if (t->kind == MK_TEXT || t->kind == MK_UUID) {
        eb_printf(b, "const char *%s", cn);
    } else if (t->kind == MK_JSON || t->kind == MK_MAP_TEXT || t->kind == MK_MAP_JSON) {
        eb_printf(b, "const cJSON *%s", cn);
    } else if (t->optional) {
        eb_puts(b, "const ");
        c_value_type(b, s, t);
        eb_printf(b, "*%s", cn);
    } else {
        c_value_type(b, s, t);
        eb_printf(b, "%s", cn);
    }
}

void key_params(ebuf *b, const m_schema *s, const m_model *m)
{
    const nm_model *n = &s->names->models[m - s->models];
    for (size_t i = 0; i < m->n_pk; i++) {
        const m_field *f = &m->fields[m->pk[i]];
        m_type t = f->type;
        t.optional = false;
        param_decl(b, s, &t, n->fields[m->pk[i]].param);
        eb_puts(b, ", ");
    }
}

void query_signature(ebuf *b, const m_schema *s, const m_query *q)
{
    const nm_names *n = s->names;
    const nm_query *nq = &n->queries[q - s->queries];
    const nm_model *nm = &n->models[q->model - s->models];
    eb_printf(b, "dal_code %s(%s *db, ", nq->fn, n->ns.db);
    for (size_t i = 0; i < q->n_params; i++) {
        param_decl(b, s, &q->params[i].type, nq->params[i]);
        eb_puts(b, ", ");
    }
    switch (q->kind) {
    case MQ_SELECT:
        if (q->result == MR_ONE)
            eb_printf(b, "%s *out, bool *found, ", nm->r.type);
        else
            eb_printf(b, "%s *out, ", nm->r.list);
        break;
    case MQ_UPDATE:
        if (q->result == MR_BOOL)
            eb_puts(b, "bool *changed, ");
        else if (q->result == MR_COUNT)
            eb_puts(b, "int64_t *changed, ");
        else if (q->result == MR_FIRST)
            eb_printf(b, "%s *out, bool *found, ", nm->r.type);
        else if (q->result == MR_MANY)
            eb_printf(b, "%s *out, ", nm->r.list);
        break;
    case MQ_DELETE:
        eb_puts(b, "int64_t *changed, ");
        break;
    case MQ_AGGREGATE:
        eb_printf(b, "%s *out, ", nq->row.list);
        break;
    }
    eb_puts(b, "dal_error *err)");
}
