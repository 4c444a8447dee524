/*
 * emit_builder.c - the typed run-time query builder of each model: thin
 * wrappers over runtime/dal_builder.h whose names carry the field and whose
 * parameters carry its C type, so a field that does not exist or a value of
 * the wrong type is a compile error in the user's code.
 *
 * Per model (names from names.h): distinct handle types <t>_query and
 * <t>_cond; conditions <t>_<field>_is / _like / _in / _null; <t>_and / _or /
 * _not; <t>_query_where / _order_by_<field> / _limit / _offset / _after /
 * _set_<field>; terminals <t>_query_fetch / _fetch_one / _count / _exists /
 * _delete / _update / _sql.
 *
 * Each wrapper is written by one function, its signature once: the header
 * gets the signature and a ';', the source the signature and the body.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "names.h"

typedef struct bctx {
    ebuf *b;
    bool header;
    const m_schema *s;
    const m_model *m;
    const nm_model *n;
} bctx;

/* Ends a signature: with ';' in the header; with body (printf-style) in
 * braces in the source. */
static void body(bctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void body(bctx *c, const char *fmt, ...)
{
    if (c->header) {
        eb_puts(c->b, ";\n");
        return;
    }
    eb_puts(c->b, "\n{\n");
    va_list ap;
    va_start(ap, fmt);
    char tmp[1];
    int n = vsnprintf(tmp, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        char *s = malloc((size_t)n + 1);
        if (s == NULL) {
            fprintf(stderr, "dalc: out of memory\n");
            exit(2);
        }
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
        eb_puts(c->b, s);
        free(s);
    }
    eb_puts(c->b, "}\n\n");
}

/* A comment, in the header only. */
static void note(bctx *c, const char *text)
{
    if (c->header)
        eb_puts(c->b, text);
}

/* A dal_value initializer for the C parameter v of type t. */
static void value_init(ebuf *b, const m_type *t)
{
    eb_printf(b, "{.type = %s", dal_type_const(t->kind));
    if (t->list) {
        eb_puts(b, ", .is_list = true, .as.list = {v ? v->n : 0, v ? (void *)v->v : NULL}}");
        return;
    }
    switch (t->kind) {
    case MK_TEXT:
    case MK_UUID: eb_puts(b, ", .is_null = v == NULL, .as.s = v}"); return;
    case MK_JSON:
    case MK_MAP_TEXT:
    case MK_MAP_JSON: eb_puts(b, ", .is_null = v == NULL, .as.json = v}"); return;
    default: break;
    }
    const char *member = (t->kind == MK_U32 || t->kind == MK_U64) ? "u" : t->kind == MK_REAL ? "d" : "i";
    const char *cast = (t->kind == MK_U32 || t->kind == MK_U64) ? "(uint64_t)" : t->kind == MK_REAL ? "" : "(int64_t)";
    if (t->optional)
        eb_printf(b, ", .is_null = v == NULL, .as.%s = v ? %s*v : 0}", member, cast);
    else
        eb_printf(b, ", .as.%s = %sv}", member, cast);
}

/* The scalar type of a list field's elements, or the field's type without '?'. */
static m_type value_type(const m_type *t)
{
    m_type v = *t;
    v.optional = false;
    v.list = false;
    return v;
}

static m_type list_of(const m_type *t)
{
    m_type v = value_type(t);
    v.list = true;
    return v;
}

/* ------------------------------------------------------------------------ */
/* The wrappers                                                              */
/* ------------------------------------------------------------------------ */

static void handles(bctx *c)
{
    const nm_model *n = c->n;
    if (c->header)
        eb_printf(c->b,
                  "/* Run-time queries of %s (see dal_builder.h). Queries and conditions of\n"
                  " * one model cannot be given to another's functions. */\n"
                  "typedef struct %s %s;\n"
                  "typedef struct %s %s;\n",
                  c->m->name, n->query, n->query, n->cond, n->cond);
    eb_printf(c->b, "%s *%s(void)", n->query, n->query_new);
    body(c, "    return (%s *)dal_builder_new(&%s);\n", n->query, n->r.desc);
    note(c, "/* Frees the query and its conditions. NULL is fine. */\n");
    eb_printf(c->b, "void %s(%s *q)", n->query_free, n->query);
    body(c, "    dal_builder_free((dal_builder *)q);\n");
}

static void conditions(bctx *c)
{
    const nm_model *n = c->n;
    if (c->header)
        eb_printf(c->b,
                  "/* Conditions on %s fields, freed with the query they are given to (or\n"
                  " * with %s). NULL on OOM, an operator that does not fit the\n"
                  " * field or a NULL value (test for null with _null); the query's terminal\n"
                  " * then fails with DAL_ERR_INVALID. */\n",
                  c->m->name, n->cond_free);
    for (size_t i = 0; i < c->m->n_fields; i++) {
        const m_field *f = &c->m->fields[i];
        const nm_field *nf = &n->fields[i];
        if (!nm_field_has(f, "is"))
            continue;
        m_type vt = value_type(&f->type), lt = list_of(&f->type);
        ebuf v = {0};
        eb_printf(c->b, "%s *%s(dal_op op, ", n->cond, nf->is);
        param_decl(c->b, c->s, &vt, "v");
        eb_puts(c->b, ")");
        eb_puts(&v, "    const dal_value val = ");
        value_init(&v, &vt);
        eb_printf(&v, ";\n    return (%s *)dal_cond_cmp(&%s, %s, op, &val);\n", n->cond, n->r.desc, nf->number);
        body(c, "%s", v.s);
        if (nm_field_has(f, "like")) {
            eb_printf(c->b, "%s *%s(const char *pattern)", n->cond, nf->like);
            body(c,
                 "    const dal_value val = {.type = DAL_TEXT, .is_null = pattern == NULL, .as.s = pattern};\n"
                 "    return (%s *)dal_cond_cmp(&%s, %s, DAL_OP_LIKE, &val);\n",
                 n->cond, n->r.desc, nf->number);
        }
        eb_printf(c->b, "%s *%s(", n->cond, nf->in);
        param_decl(c->b, c->s, &lt, "values");
        eb_puts(c->b, ")");
        body(c,
             "    const dal_list view = {values ? values->n : 0, values ? (void *)values->v : NULL};\n"
             "    const dal_value val = {.type = %s, .is_list = true, .as.list = view};\n"
             "    return (%s *)dal_cond_cmp(&%s, %s, DAL_OP_IN, &val);\n",
             dal_type_const(f->type.kind), n->cond, n->r.desc, nf->number);
        if (nm_field_has(f, "null")) {
            eb_printf(c->b, "%s *%s(bool is_null)", n->cond, nf->null);
            body(c, "    return (%s *)dal_cond_cmp(&%s, %s, is_null ? DAL_OP_IS_NULL : DAL_OP_IS_NOT_NULL, NULL);\n",
                 n->cond, n->r.desc, nf->number);
        }
        eb_free(&v);
    }
    note(c, "/* Take ownership of their operands. */\n");
    eb_printf(c->b, "%s *%s(%s *a, %s *b)", n->cond, n->and_, n->cond, n->cond);
    body(c, "    return (%s *)dal_cond_and((dal_cond *)a, (dal_cond *)b);\n", n->cond);
    eb_printf(c->b, "%s *%s(%s *a, %s *b)", n->cond, n->or_, n->cond, n->cond);
    body(c, "    return (%s *)dal_cond_or((dal_cond *)a, (dal_cond *)b);\n", n->cond);
    eb_printf(c->b, "%s *%s(%s *a)", n->cond, n->not_, n->cond);
    body(c, "    return (%s *)dal_cond_not((dal_cond *)a);\n", n->cond);
    eb_printf(c->b, "void %s(%s *c)", n->cond_free, n->cond);
    body(c, "    dal_cond_free((dal_cond *)c);\n");
    note(c, "\n");
}

static void building(bctx *c)
{
    const nm_model *n = c->n;
    note(c, "/* Adds cond (taken) ANDed with the query's other conditions. */\n");
    eb_printf(c->b, "void %s(%s *q, %s *cond)", n->query_where, n->query, n->cond);
    body(c, "    dal_builder_where((dal_builder *)q, (dal_cond *)cond);\n");
    note(c, "/* Orders apply in call order; ties by the primary key ascending. */\n");
    for (size_t i = 0; i < c->m->n_fields; i++) {
        if (!nm_field_has(&c->m->fields[i], "order_by"))
            continue;
        eb_printf(c->b, "void %s(%s *q, bool desc)", n->fields[i].order_by, n->query);
        body(c, "    dal_builder_order((dal_builder *)q, %s, desc);\n", n->fields[i].number);
    }
    eb_printf(c->b, "void %s(%s *q, int64_t limit)", n->query_limit, n->query);
    body(c, "    dal_builder_limit((dal_builder *)q, limit);\n");
    eb_printf(c->b, "void %s(%s *q, int64_t offset)", n->query_offset, n->query);
    body(c, "    dal_builder_offset((dal_builder *)q, offset);\n");
    note(c, "/* Keyset pagination: rows strictly after row in the query's order. */\n");
    eb_printf(c->b, "void %s(%s *q, const %s *row)", n->query_after, n->query, n->r.type);
    body(c, "    dal_builder_after((dal_builder *)q, row);\n");
    note(c, "/* For _update: the values to set (copied). */\n");
    for (size_t i = 0; i < c->m->n_fields; i++) {
        const m_field *f = &c->m->fields[i];
        if (!nm_field_has(f, "set"))
            continue;
        eb_printf(c->b, "void %s(%s *q, ", n->fields[i].set, n->query);
        param_decl(c->b, c->s, &f->type, "v");
        eb_puts(c->b, ")");
        ebuf v = {0};
        eb_puts(&v, "    const dal_value val = ");
        value_init(&v, &f->type);
        eb_printf(&v, ";\n    dal_builder_set((dal_builder *)q, %s, &val);\n", n->fields[i].number);
        body(c, "%s", v.s);
        eb_free(&v);
    }
}

static void terminals(bctx *c)
{
    const nm_model *n = c->n;
    const char *db = c->s->names->ns.db;
    static const char list_body[] =
        "    dal_list view = {out ? out->n : 0, out ? (void *)out->v : NULL};\n"
        "    dal_code rc = dal_builder_fetch((dal_db *)db, (dal_builder *)q, out ? &view : NULL, err);\n"
        "    if (rc == DAL_OK) {\n        out->n = view.n;\n        out->v = view.v;\n    }\n"
        "    return rc;\n";
    note(c, "/* Terminals; db may be a transaction's handle. */\n");
    eb_printf(c->b, "dal_code %s(%s *db, %s *q, %s *out, dal_error *err)", n->query_fetch, db, n->query, n->r.list);
    body(c, "%s", list_body);
    eb_printf(c->b, "dal_code %s(%s *db, %s *q, %s *out, bool *found, dal_error *err)", n->query_fetch_one, db,
              n->query, n->r.type);
    body(c, "    return dal_builder_fetch_one((dal_db *)db, (dal_builder *)q, out, found, err);\n");
    eb_printf(c->b, "dal_code %s(%s *db, %s *q, int64_t *n, dal_error *err)", n->query_count, db, n->query);
    body(c, "    return dal_builder_count((dal_db *)db, (dal_builder *)q, n, err);\n");
    eb_printf(c->b, "dal_code %s(%s *db, %s *q, bool *exists, dal_error *err)", n->query_exists, db, n->query);
    body(c, "    return dal_builder_exists((dal_db *)db, (dal_builder *)q, exists, err);\n");
    eb_printf(c->b, "dal_code %s(%s *db, %s *q, int64_t *n, dal_error *err)", n->query_delete, db, n->query);
    body(c, "    return dal_builder_delete((dal_db *)db, (dal_builder *)q, n, err);\n");
    eb_printf(c->b, "dal_code %s(%s *db, %s *q, int64_t *n, dal_error *err)", n->query_update, db, n->query);
    body(c, "    return dal_builder_update((dal_db *)db, (dal_builder *)q, n, err);\n");
    note(c, "/* The SQL text and its parameters as a JSON array (both malloc'd). */\n");
    eb_printf(c->b, "dal_code %s(const %s *q, dal_dialect dialect, char **sql, char **params_json,\n    dal_error *err)",
              n->query_sql, n->query);
    body(c, "    return dal_builder_sql((const dal_builder *)q, dialect, sql, params_json, err);\n");
    note(c, "\n");
}

static void emit_builder(ebuf *b, bool header, const m_schema *s, const m_model *m)
{
    bctx c = {b, header, s, m, &s->names->models[m - s->models]};
    handles(&c);
    conditions(&c);
    building(&c);
    terminals(&c);
}

void emit_builder_header(ebuf *b, const m_schema *s, const m_model *m)
{
    emit_builder(b, true, s, m);
}

void emit_builder_source(ebuf *b, const m_schema *s, const m_model *m)
{
    emit_builder(b, false, s, m);
}
