/*
 * emit_builder.c - the typed run-time query builder of each model: thin
 * wrappers over runtime/dal_builder.h whose names carry the field and whose
 * parameters carry its C type, so a field that does not exist or a value of
 * the wrong type is a compile error in the user's code.
 *
 * Per model <t> (= <ns>_<model>): distinct handle types <t>_query and
 * <t>_cond; conditions <t>_<field>_is / _like / _in / _null; <t>_and / _or /
 * _not; <t>_query_where / _order_by_<field> / _limit / _offset / _after /
 * _set_<field>; terminals <t>_query_fetch / _fetch_one / _count / _exists /
 * _delete / _update / _sql.
 */
#include <stdio.h>
#include <string.h>

#include "emit.h"

/* Compared with = != < <= > >= and usable in in / order by. */
static bool comparable(const m_type *t)
{
    return !t->list && t->kind != MK_JSON && t->kind != MK_MAP_TEXT && t->kind != MK_MAP_JSON;
}

static bool settable(const m_field *f)
{
    return !f->is_id && !f->sequence;
}

/* "SWARM_TASK_F_PRIORITY" */
static void field_const_name(ebuf *b, const char *ns, const m_model *m, const m_field *f)
{
    char u[NAME_MAX_LEN], um[NAME_MAX_LEN], uf[NAME_MAX_LEN];
    eb_printf(b, "%s_%s_F_%s", up(ns, u, sizeof u), up(m->snake, um, sizeof um), up(f->name, uf, sizeof uf));
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
/* Header                                                                    */
/* ------------------------------------------------------------------------ */

static void header_conditions(ebuf *b, const char *ns, const char *t, const m_model *m)
{
    eb_printf(b,
              "/* Conditions on %s fields, freed with the query they are given to (or\n"
              " * with %s_cond_free). NULL on OOM, an operator that does not fit the\n"
              " * field or a NULL value (test for null with _null); the query's terminal\n"
              " * then fails with DAL_ERR_INVALID. */\n",
              m->name, t);
    for (size_t i = 0; i < m->n_fields; i++) {
        const m_field *f = &m->fields[i];
        if (!comparable(&f->type))
            continue;
        m_type vt = value_type(&f->type), lt = list_of(&f->type);
        eb_printf(b, "%s_cond *%s_%s_is(dal_op op, ", t, t, f->name);
        param_decl(b, ns, &vt, "v");
        eb_puts(b, ");\n");
        if (f->type.kind == MK_TEXT)
            eb_printf(b, "%s_cond *%s_%s_like(const char *pattern);\n", t, t, f->name);
        eb_printf(b, "%s_cond *%s_%s_in(", t, t, f->name);
        param_decl(b, ns, &lt, "values");
        eb_puts(b, ");\n");
        if (f->type.optional)
            eb_printf(b, "%s_cond *%s_%s_null(bool is_null);\n", t, t, f->name);
    }
    eb_printf(b,
              "/* Take ownership of their operands. */\n"
              "%s_cond *%s_and(%s_cond *a, %s_cond *b);\n"
              "%s_cond *%s_or(%s_cond *a, %s_cond *b);\n"
              "%s_cond *%s_not(%s_cond *a);\n"
              "void %s_cond_free(%s_cond *c);\n\n",
              t, t, t, t, t, t, t, t, t, t, t, t, t);
}

static void header_building(ebuf *b, const char *ns, const char *t, const m_model *m)
{
    eb_printf(b,
              "/* Adds cond (taken) ANDed with the query's other conditions. */\n"
              "void %s_query_where(%s_query *q, %s_cond *cond);\n"
              "/* Orders apply in call order; ties by the primary key ascending. */\n",
              t, t, t);
    for (size_t i = 0; i < m->n_fields; i++)
        if (comparable(&m->fields[i].type))
            eb_printf(b, "void %s_query_order_by_%s(%s_query *q, bool desc);\n", t, m->fields[i].name, t);
    eb_printf(b,
              "void %s_query_limit(%s_query *q, int64_t limit);\n"
              "void %s_query_offset(%s_query *q, int64_t offset);\n"
              "/* Keyset pagination: rows strictly after row in the query's order. */\n"
              "void %s_query_after(%s_query *q, const %s *row);\n"
              "/* For _update: the values to set (copied). */\n",
              t, t, t, t, t, t, t);
    for (size_t i = 0; i < m->n_fields; i++) {
        const m_field *f = &m->fields[i];
        if (!settable(f))
            continue;
        eb_printf(b, "void %s_query_set_%s(%s_query *q, ", t, f->name, t);
        param_decl(b, ns, &f->type, "v");
        eb_puts(b, ");\n");
    }
}

static void header_terminals(ebuf *b, const char *ns, const char *t)
{
    eb_printf(b,
              "/* Terminals; db may be a transaction's handle. */\n"
              "dal_code %s_query_fetch(%s_db *db, %s_query *q, %s_list *out, dal_error *err);\n"
              "dal_code %s_query_fetch_one(%s_db *db, %s_query *q, %s *out, bool *found, dal_error *err);\n"
              "dal_code %s_query_count(%s_db *db, %s_query *q, int64_t *n, dal_error *err);\n"
              "dal_code %s_query_exists(%s_db *db, %s_query *q, bool *exists, dal_error *err);\n"
              "dal_code %s_query_delete(%s_db *db, %s_query *q, int64_t *n, dal_error *err);\n"
              "dal_code %s_query_update(%s_db *db, %s_query *q, int64_t *n, dal_error *err);\n"
              "/* The SQL text and its parameters as a JSON array (both malloc'd). */\n"
              "dal_code %s_query_sql(const %s_query *q, dal_dialect dialect, char **sql, char **params_json,\n"
              "    dal_error *err);\n\n",
              t, ns, t, t, t, ns, t, t, t, ns, t, t, ns, t, t, ns, t, t, ns, t, t, t);
}

void emit_builder_header(ebuf *b, const m_schema *s, const m_model *m)
{
    const char *ns = s->ns;
    char t[NAME_MAX_LEN];
    snprintf(t, sizeof t, "%s_%s", ns, m->snake);
    eb_printf(b,
              "/* Run-time queries of %s (see dal_builder.h). Queries and conditions of\n"
              " * one model cannot be given to another's functions. */\n"
              "typedef struct %s_query %s_query;\n"
              "typedef struct %s_cond %s_cond;\n"
              "%s_query *%s_query_new(void);\n"
              "/* Frees the query and its conditions. NULL is fine. */\n"
              "void %s_query_free(%s_query *q);\n",
              m->name, t, t, t, t, t, t, t, t);
    header_conditions(b, ns, t, m);
    header_building(b, ns, t, m);
    header_terminals(b, ns, t);
}

/* ------------------------------------------------------------------------ */
/* Source                                                                    */
/* ------------------------------------------------------------------------ */

static void cond_open(ebuf *b, const char *t, const m_field *f, const char *suffix)
{
    eb_printf(b, "%s_cond *%s_%s_%s(", t, t, f->name, suffix);
}

static void cond_call(ebuf *b, const char *ns, const char *t, const m_model *m, const m_field *f, const char *op,
                      const char *value)
{
    eb_printf(b, "    return (%s_cond *)dal_cond_cmp(&%s_model, ", t, t);
    field_const_name(b, ns, m, f);
    eb_printf(b, ", %s, %s);\n}\n\n", op, value);
}

static void source_conditions(ebuf *b, const char *ns, const char *t, const m_model *m)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const m_field *f = &m->fields[i];
        if (!comparable(&f->type))
            continue;
        m_type vt = value_type(&f->type), lt = list_of(&f->type);
        cond_open(b, t, f, "is");
        eb_puts(b, "dal_op op, ");
        param_decl(b, ns, &vt, "v");
        eb_puts(b, ")\n{\n    const dal_value val = ");
        value_init(b, &vt);
        eb_puts(b, ";\n");
        cond_call(b, ns, t, m, f, "op", "&val");
        if (f->type.kind == MK_TEXT) {
            cond_open(b, t, f, "like");
            eb_puts(b, "const char *pattern)\n{\n"
                       "    const dal_value val = {.type = DAL_TEXT, .is_null = pattern == NULL, .as.s = pattern};\n");
            cond_call(b, ns, t, m, f, "DAL_OP_LIKE", "&val");
        }
        cond_open(b, t, f, "in");
        param_decl(b, ns, &lt, "values");
        eb_puts(b, ")\n{\n    const dal_list view = {values ? values->n : 0, values ? (void *)values->v : NULL};\n");
        eb_printf(b, "    const dal_value val = {.type = %s, .is_list = true, .as.list = view};\n",
                  dal_type_const(f->type.kind));
        cond_call(b, ns, t, m, f, "DAL_OP_IN", "&val");
        if (f->type.optional) {
            cond_open(b, t, f, "null");
            eb_puts(b, "bool is_null)\n{\n");
            cond_call(b, ns, t, m, f, "is_null ? DAL_OP_IS_NULL : DAL_OP_IS_NOT_NULL", "NULL");
        }
    }
    eb_printf(b,
              "%s_cond *%s_and(%s_cond *a, %s_cond *b)\n{\n"
              "    return (%s_cond *)dal_cond_and((dal_cond *)a, (dal_cond *)b);\n}\n\n"
              "%s_cond *%s_or(%s_cond *a, %s_cond *b)\n{\n"
              "    return (%s_cond *)dal_cond_or((dal_cond *)a, (dal_cond *)b);\n}\n\n"
              "%s_cond *%s_not(%s_cond *a)\n{\n"
              "    return (%s_cond *)dal_cond_not((dal_cond *)a);\n}\n\n"
              "void %s_cond_free(%s_cond *c)\n{\n    dal_cond_free((dal_cond *)c);\n}\n\n",
              t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t);
}

static void source_building(ebuf *b, const char *ns, const char *t, const m_model *m)
{
    eb_printf(b,
              "%s_query *%s_query_new(void)\n{\n    return (%s_query *)dal_builder_new(&%s_model);\n}\n\n"
              "void %s_query_free(%s_query *q)\n{\n    dal_builder_free((dal_builder *)q);\n}\n\n"
              "void %s_query_where(%s_query *q, %s_cond *cond)\n{\n"
              "    dal_builder_where((dal_builder *)q, (dal_cond *)cond);\n}\n\n",
              t, t, t, t, t, t, t, t, t);
    for (size_t i = 0; i < m->n_fields; i++) {
        const m_field *f = &m->fields[i];
        if (!comparable(&f->type))
            continue;
        eb_printf(b, "void %s_query_order_by_%s(%s_query *q, bool desc)\n{\n    dal_builder_order((dal_builder *)q, ",
                  t, f->name, t);
        field_const_name(b, ns, m, f);
        eb_puts(b, ", desc);\n}\n\n");
    }
    eb_printf(b,
              "void %s_query_limit(%s_query *q, int64_t limit)\n{\n    dal_builder_limit((dal_builder *)q, limit);\n}\n\n"
              "void %s_query_offset(%s_query *q, int64_t offset)\n{\n"
              "    dal_builder_offset((dal_builder *)q, offset);\n}\n\n"
              "void %s_query_after(%s_query *q, const %s *row)\n{\n    dal_builder_after((dal_builder *)q, row);\n}\n\n",
              t, t, t, t, t, t, t);
    for (size_t i = 0; i < m->n_fields; i++) {
        const m_field *f = &m->fields[i];
        if (!settable(f))
            continue;
        eb_printf(b, "void %s_query_set_%s(%s_query *q, ", t, f->name, t);
        param_decl(b, ns, &f->type, "v");
        eb_puts(b, ")\n{\n    const dal_value val = ");
        value_init(b, &f->type);
        eb_puts(b, ";\n    dal_builder_set((dal_builder *)q, ");
        field_const_name(b, ns, m, f);
        eb_puts(b, ", &val);\n}\n\n");
    }
}

static void source_terminals(ebuf *b, const char *ns, const char *t)
{
    eb_printf(b,
              "dal_code %s_query_fetch(%s_db *db, %s_query *q, %s_list *out, dal_error *err)\n{\n"
              "    dal_list view = {out ? out->n : 0, out ? (void *)out->v : NULL};\n"
              "    dal_code rc = dal_builder_fetch((dal_db *)db, (dal_builder *)q, out ? &view : NULL, err);\n"
              "    if (rc == DAL_OK) {\n        out->n = view.n;\n        out->v = view.v;\n    }\n"
              "    return rc;\n}\n\n",
              t, ns, t, t);
    eb_printf(b,
              "dal_code %s_query_fetch_one(%s_db *db, %s_query *q, %s *out, bool *found, dal_error *err)\n{\n"
              "    return dal_builder_fetch_one((dal_db *)db, (dal_builder *)q, out, found, err);\n}\n\n",
              t, ns, t, t);
    static const char *const names[] = {"count", "delete", "update"};
    for (int i = 0; i < 3; i++)
        eb_printf(b,
                  "dal_code %s_query_%s(%s_db *db, %s_query *q, int64_t *n, dal_error *err)\n{\n"
                  "    return dal_builder_%s((dal_db *)db, (dal_builder *)q, n, err);\n}\n\n",
                  t, names[i], ns, t, names[i]);
    eb_printf(b,
              "dal_code %s_query_exists(%s_db *db, %s_query *q, bool *exists, dal_error *err)\n{\n"
              "    return dal_builder_exists((dal_db *)db, (dal_builder *)q, exists, err);\n}\n\n"
              "dal_code %s_query_sql(const %s_query *q, dal_dialect dialect, char **sql, char **params_json,\n"
              "    dal_error *err)\n{\n"
              "    return dal_builder_sql((const dal_builder *)q, dialect, sql, params_json, err);\n}\n\n",
              t, ns, t, t, t);
}

void emit_builder_source(ebuf *b, const m_schema *s, const m_model *m)
{
    const char *ns = s->ns;
    char t[NAME_MAX_LEN];
    snprintf(t, sizeof t, "%s_%s", ns, m->snake);
    source_building(b, ns, t, m);
    source_conditions(b, ns, t, m);
    source_terminals(b, ns, t);
}
