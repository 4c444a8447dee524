/*
 * sql_writer.c - the one place SQL text is made, from the schema descriptors,
 * for both SQL backends (the differences are the sq_dialect, sql_writer.h).
 *
 * Identifiers (tables, columns, indexes) come from the descriptors and are
 * quoted; values never appear in SQL text: each becomes a placeholder whose
 * binding is recorded in a plan (sq_bind), so statements are prepared once
 * per connection and reused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_writer.h"

/* ------------------------------------------------------------------------ */
/* Strings                                                                   */
/* ------------------------------------------------------------------------ */

static bool buf_reserve(sq_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->n + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (s == NULL) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void sq_buf_addn(sq_buf *b, const char *text, size_t len)
{
    if (!buf_reserve(b, len))
        return;
    memcpy(b->s + b->n, text, len);
    b->n += len;
    b->s[b->n] = '\0';
}

void sq_buf_add(sq_buf *b, const char *text)
{
    sq_buf_addn(b, text, strlen(text));
}

void sq_buf_addc(sq_buf *b, char c)
{
    sq_buf_addn(b, &c, 1);
}

void sq_buf_ident(sq_buf *b, const char *name)
{
    sq_buf_addc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            sq_buf_addc(b, '"');
        sq_buf_addc(b, *p);
    }
    sq_buf_addc(b, '"');
}

void sq_buf_uint(sq_buf *b, unsigned long v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lu", v);
    sq_buf_add(b, tmp);
}

char *sq_buf_take(sq_buf *b)
{
    char *s = b->oom ? NULL : b->s;
    if (b->oom)
        free(b->s);
    else if (s == NULL)
        s = calloc(1, 1);
    *b = (sq_buf){0};
    return s;
}

void sq_buf_free(sq_buf *b)
{
    free(b->s);
    *b = (sq_buf){0};
}

/* ------------------------------------------------------------------------ */
/* Pieces                                                                    */
/* ------------------------------------------------------------------------ */

/* The next placeholder: "?" or "$n" (*n counts them). */
static void add_placeholder(sq_buf *b, const sq_dialect *d, unsigned *n)
{
    ++*n;
    if (d->numbered_params) {
        sq_buf_addc(b, '$');
        sq_buf_uint(b, *n);
    } else {
        sq_buf_addc(b, '?');
    }
}

/* "c1", "c2", ... for every field */
static void add_columns(sq_buf *b, const dal_model *m)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        if (i)
            sq_buf_add(b, ", ");
        sq_buf_ident(b, m->fields[i].column);
    }
}

/* "k1" = ? AND "k2" = ? */
static void add_key_match(sq_buf *b, const sq_dialect *d, const dal_model *m, unsigned *n)
{
    for (size_t k = 0; k < m->n_pk; k++) {
        if (k)
            sq_buf_add(b, " AND ");
        sq_buf_ident(b, m->fields[m->pk[k]].column);
        sq_buf_add(b, " = ");
        add_placeholder(b, d, n);
    }
}

static void add_key_list(sq_buf *b, const dal_model *m)
{
    for (size_t k = 0; k < m->n_pk; k++) {
        if (k)
            sq_buf_add(b, ", ");
        sq_buf_ident(b, m->fields[m->pk[k]].column);
    }
}

static bool is_key(const dal_model *m, size_t field)
{
    for (size_t k = 0; k < m->n_pk; k++)
        if (m->pk[k] == field)
            return true;
    return false;
}

/* ------------------------------------------------------------------------ */
/* DDL                                                                       */
/* ------------------------------------------------------------------------ */

static bool unique_index_covers(const dal_model *m, size_t field)
{
    for (size_t i = 0; i < m->n_indexes; i++) {
        const dal_index *x = &m->indexes[i];
        if (x->unique && x->n_parts == 1 && x->parts[0].field == field)
            return true;
    }
    return false;
}

static const char *on_delete_sql(dal_on_delete d)
{
    switch (d) {
    case DAL_ON_DELETE_CASCADE: return "CASCADE";
    case DAL_ON_DELETE_SET_NULL: return "SET NULL";
    default: return "RESTRICT";
    }
}

static void add_table_ddl(sq_buf *b, const sq_dialect *d, const dal_model *m)
{
    sq_table_ddl(b, d, m, m->table);
}

void sq_table_ddl(sq_buf *b, const sq_dialect *d, const dal_model *m, const char *table)
{
    sq_buf_add(b, "CREATE TABLE IF NOT EXISTS ");
    sq_buf_ident(b, table);
    sq_buf_add(b, " (\n");
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        sq_buf_add(b, "  ");
        sq_buf_ident(b, f->column);
        sq_buf_addc(b, ' ');
        sq_buf_add(b, d->column_type(f));
        if (!(f->flags & DAL_F_OPTIONAL) || (f->flags & DAL_F_LIST)) /* lists are never absent */
            sq_buf_add(b, " NOT NULL");
        if ((f->flags & DAL_F_UNIQUE) && !unique_index_covers(m, i))
            sq_buf_add(b, " UNIQUE");
        sq_buf_add(b, ",\n");
    }
    sq_buf_add(b, "  PRIMARY KEY (");
    add_key_list(b, m);
    sq_buf_addc(b, ')');
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        if (f->ref == NULL)
            continue;
        sq_buf_add(b, ",\n  FOREIGN KEY (");
        sq_buf_ident(b, f->column);
        sq_buf_add(b, ") REFERENCES ");
        sq_buf_ident(b, f->ref->model->table);
        sq_buf_add(b, " (");
        sq_buf_ident(b, f->ref->model->fields[f->ref->field].column);
        sq_buf_add(b, ") ON DELETE ");
        sq_buf_add(b, on_delete_sql(f->ref->on_delete));
    }
    sq_buf_add(b, "\n);\n");
}

static void add_index_ddl(sq_buf *b, const sq_dialect *d, const dal_model *m, const dal_index *x)
{
    sq_buf_add(b, x->unique ? "CREATE UNIQUE INDEX IF NOT EXISTS " : "CREATE INDEX IF NOT EXISTS ");
    sq_buf_ident(b, x->name);
    sq_buf_add(b, " ON ");
    sq_buf_ident(b, m->table);
    sq_buf_add(b, " (");
    for (size_t p = 0; p < x->n_parts; p++) {
        if (p)
            sq_buf_add(b, ", ");
        sq_buf_ident(b, m->fields[x->parts[p].field].column);
        sq_buf_add(b, x->parts[p].desc ? d->index_desc : d->index_asc);
    }
    sq_buf_add(b, ");\n");
}

void sq_sequence_name(sq_buf *b, const dal_model *m, const dal_field *f)
{
    size_t n = strlen(m->table) + strlen(f->column) + 6;
    char *name = malloc(n);
    if (name == NULL) {
        b->oom = true;
        return;
    }
    snprintf(name, n, "%s_%s_seq", m->table, f->column);
    sq_buf_ident(b, name);
    free(name);
}

char *sq_schema_ddl(const sq_dialect *d, const dal_schema *s)
{
    sq_buf b = {0};
    if (d->ddl_head != NULL)
        sq_buf_add(&b, d->ddl_head);
    for (size_t i = 0; i < s->n_models; i++) {
        const dal_model *m = s->models[i];
        if (m->table == NULL)
            continue;
        for (size_t f = 0; d->native_sequences && f < m->n_fields; f++) {
            if (!(m->fields[f].flags & DAL_F_SEQUENCE))
                continue;
            sq_buf_add(&b, "CREATE SEQUENCE IF NOT EXISTS ");
            sq_sequence_name(&b, m, &m->fields[f]);
            sq_buf_add(&b, ";\n");
        }
        add_table_ddl(&b, d, m);
        for (size_t x = 0; x < m->n_indexes; x++)
            add_index_ddl(&b, d, m, &m->indexes[x]);
    }
    return sq_buf_take(&b);
}

/* ------------------------------------------------------------------------ */
/* Per-model statements                                                      */
/* ------------------------------------------------------------------------ */

static char *sql_insert(const sq_dialect *d, const dal_model *m, bool upsert, const sq_model_sql *ms)
{
    sq_buf b = {0};
    unsigned n = 0;
    sq_buf_add(&b, "INSERT INTO ");
    sq_buf_ident(&b, m->table);
    sq_buf_add(&b, " (");
    add_columns(&b, m);
    sq_buf_add(&b, ") VALUES (");
    /* a plain insert takes native sequence values in the statement itself
     * (and returns them); an upsert binds the values taken before */
    bool inline_seq = d->native_sequences && !upsert;
    for (size_t i = 0; i < m->n_fields; i++) {
        if (i)
            sq_buf_add(&b, ", ");
        if (inline_seq && (m->fields[i].flags & DAL_F_SEQUENCE)) {
            sq_buf t = {0};
            sq_sequence_name(&t, m, &m->fields[i]);
            char *name = sq_buf_take(&t);
            if (name == NULL) {
                b.oom = true;
                continue;
            }
            sq_buf_add(&b, "nextval('");
            for (const char *c = name; *c; c++) { /* a string literal: quotes doubled */
                if (*c == '\'')
                    sq_buf_addc(&b, '\'');
                sq_buf_addc(&b, *c);
            }
            sq_buf_add(&b, "')");
            free(name);
        } else {
            add_placeholder(&b, d, &n);
        }
    }
    sq_buf_addc(&b, ')');
    for (size_t q = 0; inline_seq && q < ms->n_seq; q++) {
        sq_buf_add(&b, q ? ", " : " RETURNING ");
        sq_buf_ident(&b, m->fields[ms->seq_fields[q]].column);
    }
    if (upsert) {
        sq_buf_add(&b, " ON CONFLICT (");
        add_key_list(&b, m);
        if (ms->n_update == 0) {
            sq_buf_add(&b, ") DO NOTHING");
        } else {
            sq_buf_add(&b, ") DO UPDATE SET ");
            for (size_t u = 0; u < ms->n_update; u++) {
                const char *col = m->fields[ms->update_fields[u]].column;
                if (u)
                    sq_buf_add(&b, ", ");
                sq_buf_ident(&b, col);
                sq_buf_add(&b, " = excluded.");
                sq_buf_ident(&b, col);
            }
        }
        /* the stored @sequence values of a row that existed (PostgreSQL
         * takes new ones first; SQLite upserts such models otherwise) */
        for (size_t q = 0; q < ms->n_seq; q++) {
            sq_buf_add(&b, q ? ", " : " RETURNING ");
            sq_buf_ident(&b, m->fields[ms->seq_fields[q]].column);
        }
    }
    return sq_buf_take(&b);
}

static char *sql_by_key(const sq_dialect *d, const char *head, const dal_model *m, bool columns, const char *tail)
{
    sq_buf b = {0};
    unsigned n = 0;
    sq_buf_add(&b, head);
    if (columns) {
        add_columns(&b, m);
        sq_buf_add(&b, " FROM ");
    }
    sq_buf_ident(&b, m->table);
    sq_buf_add(&b, " WHERE ");
    add_key_match(&b, d, m, &n);
    sq_buf_add(&b, tail);
    return sq_buf_take(&b);
}

/* The SET of an update that changes nothing but matches the row. */
static void add_noop_set(sq_buf *b, const sq_dialect *d, const dal_model *m)
{
    if (d->noop_set != NULL) {
        sq_buf_add(b, d->noop_set);
        return;
    }
    sq_buf_ident(b, m->fields[m->pk[0]].column);
    sq_buf_add(b, " = ");
    sq_buf_ident(b, m->fields[m->pk[0]].column);
}

static char *sql_update(const sq_dialect *d, const dal_model *m, const sq_model_sql *ms)
{
    sq_buf b = {0};
    unsigned n = 0;
    sq_buf_add(&b, "UPDATE ");
    sq_buf_ident(&b, m->table);
    sq_buf_add(&b, " SET ");
    for (size_t u = 0; u < ms->n_update; u++) {
        if (u)
            sq_buf_add(&b, ", ");
        sq_buf_ident(&b, m->fields[ms->update_fields[u]].column);
        sq_buf_add(&b, " = ");
        add_placeholder(&b, d, &n);
    }
    if (ms->n_update == 0) /* every field is key or sequence: touch nothing, still match the row */
        add_noop_set(&b, d, m);
    sq_buf_add(&b, " WHERE ");
    add_key_match(&b, d, m, &n);
    for (size_t s = 0; s < ms->n_seq; s++) {
        sq_buf_add(&b, s ? ", " : " RETURNING ");
        sq_buf_ident(&b, m->fields[ms->seq_fields[s]].column);
    }
    return sq_buf_take(&b);
}

static char *sql_list(const dal_model *m)
{
    sq_buf b = {0};
    sq_buf_add(&b, "SELECT ");
    add_columns(&b, m);
    sq_buf_add(&b, " FROM ");
    sq_buf_ident(&b, m->table);
    sq_buf_add(&b, " ORDER BY ");
    add_key_list(&b, m);
    return sq_buf_take(&b);
}

static char *sql_count(const dal_model *m)
{
    sq_buf b = {0};
    sq_buf_add(&b, "SELECT count(*) FROM ");
    sq_buf_ident(&b, m->table);
    return sq_buf_take(&b);
}

void sq_model_sql_free(sq_model_sql *ms)
{
    if (ms == NULL)
        return;
    for (int op = 0; op < SQ_N_OPS; op++)
        free(ms->sql[op]);
    free(ms->update_fields);
    free(ms->seq_fields);
    *ms = (sq_model_sql){0};
}

dal_code sq_model_sql_build(const sq_dialect *d, const dal_model *m, sq_model_sql *out, dal_error *err)
{
    sq_model_sql ms = {0};
    ms.m = m;
    ms.update_fields = calloc(m->n_fields ? m->n_fields : 1, sizeof *ms.update_fields);
    ms.seq_fields = calloc(m->n_fields ? m->n_fields : 1, sizeof *ms.seq_fields);
    if (ms.update_fields == NULL || ms.seq_fields == NULL)
        goto oom;
    for (size_t i = 0; i < m->n_fields; i++) {
        if (m->fields[i].flags & DAL_F_SEQUENCE)
            ms.seq_fields[ms.n_seq++] = (unsigned)i;
        else if (!is_key(m, i))
            ms.update_fields[ms.n_update++] = (unsigned)i;
    }
    ms.sql[SQ_INSERT] = sql_insert(d, m, false, &ms);
    ms.sql[SQ_UPSERT] = sql_insert(d, m, true, &ms);
    ms.sql[SQ_GET] = sql_by_key(d, "SELECT ", m, true, "");
    ms.sql[SQ_DELETE] = sql_by_key(d, "DELETE FROM ", m, false, "");
    ms.sql[SQ_EXISTS] = sql_by_key(d, "SELECT 1 FROM ", m, false, "");
    ms.sql[SQ_UPDATE] = sql_update(d, m, &ms);
    ms.sql[SQ_LIST] = sql_list(m);
    ms.sql[SQ_COUNT] = sql_count(m);
    for (int op = 0; op < SQ_N_OPS; op++)
        if (ms.sql[op] == NULL)
            goto oom;
    *out = ms;
    return DAL_OK;
oom:
    sq_model_sql_free(&ms);
    return dal_set_error(err, DAL_ERR_NOMEM, "out of memory building the SQL of %s", m->table);
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct plan_builder {
    const sq_dialect *d;
    const dal_query *q;
    sq_buf sql;
    sq_bind *binds;
    size_t n, cap;
    bool oom;
} plan_builder;

static void add_bind(plan_builder *pb, sq_bind bind)
{
    if (pb->n == pb->cap) {
        size_t cap = pb->cap ? pb->cap * 2 : 8;
        sq_bind *nb = realloc(pb->binds, cap * sizeof *nb);
        if (nb == NULL) {
            pb->oom = true;
            return;
        }
        pb->binds = nb;
        pb->cap = cap;
    }
    pb->binds[pb->n++] = bind;
    unsigned ph = (unsigned)pb->n - 1;
    add_placeholder(&pb->sql, pb->d, &ph);
}

/* A '?' bound to an operand, encoded as the column of target. */
static void add_operand(plan_builder *pb, const dal_operand *o, const dal_field *target)
{
    sq_bind b = {.target = target};
    switch (o->kind) {
    case DAL_ARG_PARAM: b.kind = SQB_PARAM; b.param = o->param; break;
    case DAL_ARG_VALUE: b.kind = SQB_VALUE; b.value = &o->value; break;
    case DAL_ARG_NOW: b.kind = SQB_NOW; break;
    default: b.kind = SQB_INT; b.i = 0; break;
    }
    add_bind(pb, b);
}

/* Whether the operand may be NULL at run time (then = and != become IS and
 * IS NOT, so that "x = $maybe_null" matches rows where x is null). */
static bool operand_nullable(const dal_query *q, const dal_operand *o)
{
    if (o->kind == DAL_ARG_PARAM)
        return o->param < q->n_params && (q->params[o->param].flags & DAL_F_OPTIONAL);
    if (o->kind == DAL_ARG_VALUE)
        return o->value.is_null;
    return false;
}

static void add_expr(plan_builder *pb, const dal_expr *e)
{
    const dal_model *m = pb->q->model;
    static const char *const cmp[] = {" = ", " != ", " < ", " <= ", " > ", " >= "};
    switch (e->op) {
    case DAL_OP_AND:
    case DAL_OP_OR:
        sq_buf_addc(&pb->sql, '(');
        add_expr(pb, e->a);
        sq_buf_add(&pb->sql, e->op == DAL_OP_AND ? " AND " : " OR ");
        add_expr(pb, e->b);
        sq_buf_addc(&pb->sql, ')');
        return;
    case DAL_OP_NOT:
        sq_buf_add(&pb->sql, "(NOT ");
        add_expr(pb, e->a);
        sq_buf_addc(&pb->sql, ')');
        return;
    default:
        break;
    }
    const dal_field *f = &m->fields[e->field];
    sq_buf_ident(&pb->sql, f->column);
    switch (e->op) {
    case DAL_OP_IS_NULL: sq_buf_add(&pb->sql, " IS NULL"); return;
    case DAL_OP_IS_NOT_NULL: sq_buf_add(&pb->sql, " IS NOT NULL"); return;
    case DAL_OP_LIKE:
        sq_buf_add(&pb->sql, pb->d->like_op);
        add_operand(pb, &e->rhs, f);
        sq_buf_add(&pb->sql, pb->d->like_tail);
        return;
    case DAL_OP_IN:
        /* one list parameter: the statement does not depend on the list's length */
        sq_buf_add(&pb->sql, pb->d->in_head);
        add_operand(pb, &e->rhs, f);
        sq_buf_add(&pb->sql, pb->d->in_tail);
        return;
    case DAL_OP_EQ:
    case DAL_OP_NE:
        if (operand_nullable(pb->q, &e->rhs)) {
            sq_buf_add(&pb->sql, e->op == DAL_OP_EQ ? pb->d->eq_null_safe : pb->d->ne_null_safe);
            break;
        }
        /* fall through */
    default:
        sq_buf_add(&pb->sql, cmp[e->op - DAL_OP_EQ]);
        break;
    }
    add_operand(pb, &e->rhs, f);
}

static void add_where(plan_builder *pb)
{
    if (pb->q->where == NULL)
        return;
    sq_buf_add(&pb->sql, " WHERE ");
    add_expr(pb, pb->q->where);
}

static void add_limit(plan_builder *pb)
{
    const dal_query *q = pb->q;
    if (q->limit.kind == DAL_ARG_NONE && q->offset.kind == DAL_ARG_NONE)
        return;
    if (q->limit.kind != DAL_ARG_NONE) {
        sq_buf_add(&pb->sql, " LIMIT ");
        add_operand(pb, &q->limit, NULL);
    } else if (pb->d->offset_needs_limit) {
        sq_buf_add(&pb->sql, " LIMIT ");
        add_bind(pb, (sq_bind){.kind = SQB_INT, .i = -1});
    }
    if (q->offset.kind != DAL_ARG_NONE) {
        sq_buf_add(&pb->sql, " OFFSET ");
        add_operand(pb, &q->offset, NULL);
    }
}

static bool order_has(const dal_query *q, unsigned field)
{
    for (size_t o = 0; o < q->n_order; o++)
        if (q->order[o].field == field)
            return true;
    return false;
}

static void add_order(plan_builder *pb);

static void plan_select(plan_builder *pb)
{
    const dal_query *q = pb->q;
    const dal_model *m = q->model;
    sq_buf_add(&pb->sql, "SELECT ");
    add_columns(&pb->sql, m);
    sq_buf_add(&pb->sql, " FROM ");
    sq_buf_ident(&pb->sql, m->table);
    add_where(pb);
    add_order(pb);
    add_limit(pb);
}

/* ORDER BY the query's order, ties by the primary key ascending. */
static void add_order(plan_builder *pb)
{
    const dal_query *q = pb->q;
    const dal_model *m = q->model;
    sq_buf_add(&pb->sql, " ORDER BY ");
    bool first = true;
    for (size_t o = 0; o < q->n_order; o++, first = false) {
        if (!first)
            sq_buf_add(&pb->sql, ", ");
        sq_buf_ident(&pb->sql, m->fields[q->order[o].field].column);
        sq_buf_add(&pb->sql, q->order[o].desc ? pb->d->desc : pb->d->asc);
    }
    /* ties: the primary key ascending (NULLs first ascending, last
     * descending: SQLite's own order, spelled out for others) */
    for (size_t k = 0; k < m->n_pk; k++) {
        if (order_has(q, m->pk[k]))
            continue;
        if (!first)
            sq_buf_add(&pb->sql, ", ");
        first = false;
        sq_buf_ident(&pb->sql, m->fields[m->pk[k]].column);
        sq_buf_add(&pb->sql, pb->d->asc);
    }
}

static void plan_update(plan_builder *pb)
{
    const dal_query *q = pb->q;
    const dal_model *m = q->model;
    /* PostgreSQL: RETURNING hands the rows back in no particular order, so
     * an update that returns many does it in a WITH and sorts them there,
     * as a select would (SQLite's backend sorts them on the client) */
    bool sorted = q->result == DAL_R_MANY && strcmp(pb->d->name, "postgresql") == 0;
    if (sorted)
        sq_buf_add(&pb->sql, "WITH changed AS (");
    sq_buf_add(&pb->sql, "UPDATE ");
    sq_buf_ident(&pb->sql, m->table);
    sq_buf_add(&pb->sql, " SET ");
    for (size_t i = 0; i < q->n_set; i++) {
        const dal_field *f = &m->fields[q->set[i].field];
        if (i)
            sq_buf_add(&pb->sql, ", ");
        sq_buf_ident(&pb->sql, f->column);
        sq_buf_add(&pb->sql, " = ");
        if (q->set[i].op != DAL_SET_ASSIGN) {
            /* a result out of the field's range becomes NULL, which the
             * column's NOT NULL refuses (the backend names the cause) */
            const char *op = q->set[i].op == DAL_SET_ADD ? " + " : " - ";
            sq_buf_add(&pb->sql, "CASE WHEN ");
            sq_buf_ident(&pb->sql, f->column);
            sq_buf_add(&pb->sql, op);
            add_operand(pb, &q->set[i].value, NULL);
            sq_buf_add(&pb->sql, f->type == DAL_I32   ? " BETWEEN -2147483648 AND 2147483647 THEN "
                                 : f->type == DAL_U32 ? " BETWEEN 0 AND 4294967295 THEN "
                                 : f->type == DAL_U64 ? " BETWEEN 0 AND 9223372036854775807 THEN "
                                                      : " BETWEEN -9223372036854775808 AND 9223372036854775807 THEN ");
            sq_buf_ident(&pb->sql, f->column);
            sq_buf_add(&pb->sql, op);
            add_operand(pb, &q->set[i].value, NULL);
            sq_buf_add(&pb->sql, " END");
            continue;
        }
        add_operand(pb, &q->set[i].value, f);
    }
    if (q->n_set == 0)
        add_noop_set(&pb->sql, pb->d, m);
    bool first_only = q->result == DAL_R_FIRST;
    if (q->n_order > 0 || q->limit.kind != DAL_ARG_NONE || first_only) {
        /* it picks its rows: the subquery finds them in order (PostgreSQL:
         * skipping rows another transaction has locked) and the UPDATE
         * changes them, one statement; one row by "=", which needs no
         * temporary index of the subquery's rows */
        bool one = first_only && m->n_pk == 1;
        sq_buf_add(&pb->sql, m->n_pk == 1 ? " WHERE " : " WHERE (");
        add_key_list(&pb->sql, m);
        sq_buf_add(&pb->sql, m->n_pk == 1 ? "" : ")");
        sq_buf_add(&pb->sql, one ? " = (SELECT " : " IN (SELECT ");
        add_key_list(&pb->sql, m);
        sq_buf_add(&pb->sql, " FROM ");
        sq_buf_ident(&pb->sql, m->table);
        add_where(pb);
        add_order(pb);
        if (first_only || q->limit.kind != DAL_ARG_NONE) {
            sq_buf_add(&pb->sql, " LIMIT ");
            if (first_only)
                add_bind(pb, (sq_bind){.kind = SQB_INT, .i = 1});
            else
                add_operand(pb, &q->limit, NULL);
        }
        if (strcmp(pb->d->name, "postgresql") == 0)
            sq_buf_add(&pb->sql, " FOR UPDATE SKIP LOCKED");
        sq_buf_addc(&pb->sql, ')');
    } else {
        add_where(pb);
    }
    if (q->result == DAL_R_MANY || first_only) {
        sq_buf_add(&pb->sql, " RETURNING ");
        add_columns(&pb->sql, m);
    }
    if (sorted) {
        sq_buf_add(&pb->sql, ") SELECT ");
        add_columns(&pb->sql, m);
        sq_buf_add(&pb->sql, " FROM changed");
        add_order(pb);
    }
}

static void plan_delete(plan_builder *pb)
{
    sq_buf_add(&pb->sql, "DELETE FROM ");
    sq_buf_ident(&pb->sql, pb->q->model->table);
    add_where(pb);
}

static const char *agg_fn_sql(dal_agg_fn fn)
{
    switch (fn) {
    case DAL_AGG_SUM: return "sum(";
    case DAL_AGG_AVG: return "avg(";
    case DAL_AGG_MIN: return "min(";
    case DAL_AGG_MAX: return "max(";
    default: return "(";
    }
}

static void plan_aggregate(plan_builder *pb)
{
    const dal_query *q = pb->q;
    const dal_model *m = q->model;
    sq_buf_add(&pb->sql, "SELECT ");
    for (size_t i = 0; i < q->n_items; i++) {
        const dal_agg_item *it = &q->items[i];
        if (i)
            sq_buf_add(&pb->sql, ", ");
        if (it->fn == DAL_AGG_COUNT && it->field < 0) {
            sq_buf_add(&pb->sql, "count(*)");
            continue;
        }
        sq_buf_add(&pb->sql, it->fn == DAL_AGG_COUNT ? "count(" : agg_fn_sql(it->fn));
        sq_buf_ident(&pb->sql, m->fields[it->field].column);
        sq_buf_addc(&pb->sql, ')');
    }
    sq_buf_add(&pb->sql, " FROM ");
    sq_buf_ident(&pb->sql, m->table);
    add_where(pb);
    for (size_t g = 0; g < q->n_group; g++) {
        sq_buf_add(&pb->sql, g ? ", " : " GROUP BY ");
        sq_buf_ident(&pb->sql, m->fields[q->group[g]].column);
    }
    /* order: by result column position (row fields), then the group fields asc */
    bool first = true;
    for (size_t o = 0; o < q->n_order; o++, first = false) {
        sq_buf_add(&pb->sql, first ? " ORDER BY " : ", ");
        sq_buf_uint(&pb->sql, q->order[o].field + 1);
        sq_buf_add(&pb->sql, q->order[o].desc ? pb->d->desc : pb->d->asc);
    }
    for (size_t i = 0; i < q->n_items; i++) {
        if (q->items[i].fn != DAL_AGG_GROUP || order_has(q, (unsigned)i))
            continue;
        sq_buf_add(&pb->sql, first ? " ORDER BY " : ", ");
        first = false;
        sq_buf_uint(&pb->sql, i + 1);
        sq_buf_add(&pb->sql, pb->d->asc);
    }
    add_limit(pb);
}

void sq_plan_free(sq_plan *p)
{
    if (p == NULL)
        return;
    free(p->sql);
    free(p->binds);
    *p = (sq_plan){0};
}

dal_code sq_plan_build(const sq_dialect *d, const dal_query *q, sq_plan *out, dal_error *err)
{
    plan_builder pb = {.d = d, .q = q};
    switch (q->kind) {
    case DAL_Q_SELECT: plan_select(&pb); break;
    case DAL_Q_UPDATE: plan_update(&pb); break;
    case DAL_Q_DELETE: plan_delete(&pb); break;
    case DAL_Q_AGGREGATE: plan_aggregate(&pb); break;
    }
    char *sql = sq_buf_take(&pb.sql);
    if (sql == NULL || pb.oom) {
        free(sql);
        free(pb.binds);
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory building the SQL of %s.%s", q->model->name,
                             q->name);
    }
    out->sql = sql;
    out->binds = pb.binds;
    out->n_binds = pb.n;
    return DAL_OK;
}

dal_code sq_count_plan_build(const sq_dialect *d, const dal_query *q, sq_plan *out, dal_error *err)
{
    sq_plan inner;
    dal_code rc = sq_plan_build(d, q, &inner, err);
    if (rc != DAL_OK)
        return rc;
    sq_buf b = {0};
    sq_buf_add(&b, "SELECT count(*) FROM (");
    sq_buf_add(&b, inner.sql);
    sq_buf_add(&b, ") AS \"counted\"");
    char *sql = sq_buf_take(&b);
    if (sql == NULL) {
        sq_plan_free(&inner);
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory building the count of %s", q->model->name);
    }
    free(inner.sql);
    inner.sql = sql;
    *out = inner;
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* SQL text and parameters, for logs and tests                               */
/* ------------------------------------------------------------------------ */

static cJSON *scalar_json(dal_type t, const dal_enum *e, const void *p)
{
    char num[32];
    switch (t) {
    case DAL_TEXT: return *(char *const *)p ? cJSON_CreateString(*(char *const *)p) : cJSON_CreateNull();
    case DAL_UUID: return cJSON_CreateString((const char *)p);
    case DAL_BOOL: return cJSON_CreateBool(*(const bool *)p);
    case DAL_REAL: return cJSON_CreateNumber(*(const double *)p);
    case DAL_I32: snprintf(num, sizeof num, "%ld", (long)*(const int32_t *)p); break;
    case DAL_U32: snprintf(num, sizeof num, "%lu", (unsigned long)*(const uint32_t *)p); break;
    case DAL_U64: snprintf(num, sizeof num, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case DAL_ENUM: {
        /* as bound: text-valued enums by member name, the others by value */
        const char *name = e && e->values == NULL ? dal_enum_name(e, *(const int *)p) : NULL;
        if (name != NULL)
            return cJSON_CreateString(name);
        snprintf(num, sizeof num, "%d", *(const int *)p);
        break;
    }
    case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON: {
        const cJSON *j = *(const cJSON *const *)p;
        return j ? cJSON_Duplicate(j, true) : cJSON_CreateNull();
    }
    default: snprintf(num, sizeof num, "%lld", (long long)*(const int64_t *)p); break;
    }
    return cJSON_CreateRaw(num);
}

/* v as JSON, as it is bound (text-valued enum members by name). */
static cJSON *value_json(const dal_value *v, const dal_field *target)
{
    const dal_enum *e = target && target->type == DAL_ENUM ? target->enumt : NULL;
    if (v->is_null)
        return cJSON_CreateNull();
    if (v->is_list) {
        cJSON *arr = cJSON_CreateArray();
        size_t size = dal_type_size(v->type);
        for (size_t i = 0; arr != NULL && i < v->as.list.n; i++) {
            cJSON *item = scalar_json(v->type, e, (const char *)v->as.list.v + i * size);
            if (item == NULL || !cJSON_AddItemToArray(arr, item)) {
                cJSON_Delete(item);
                cJSON_Delete(arr);
                arr = NULL;
            }
        }
        return arr;
    }
    int enum_value = (int)v->as.i;
    int32_t i32 = (int32_t)v->as.i;
    uint32_t u32 = (uint32_t)v->as.u;
    bool flag = v->as.i != 0;
    switch (v->type) {
    case DAL_TEXT: return scalar_json(v->type, e, &v->as.s);
    case DAL_UUID: return cJSON_CreateString(v->as.s ? v->as.s : "");
    case DAL_ENUM: return scalar_json(v->type, e, &enum_value);
    case DAL_I32: return scalar_json(v->type, e, &i32);
    case DAL_U32: return scalar_json(v->type, e, &u32);
    case DAL_BOOL: return scalar_json(v->type, e, &flag);
    case DAL_JSON: case DAL_MAP_TEXT: case DAL_MAP_JSON: return scalar_json(v->type, e, &v->as.json);
    default: return scalar_json(v->type, e, &v->as);
    }
}

static cJSON *bind_json(const sq_bind *b, const dal_value *args)
{
    char num[32];
    switch (b->kind) {
    case SQB_PARAM: return args ? value_json(&args[b->param], b->target) : cJSON_CreateNull();
    case SQB_VALUE: return value_json(b->value, b->target);
    case SQB_NOW: return cJSON_CreateString("now");
    default:
        snprintf(num, sizeof num, "%lld", (long long)b->i);
        return cJSON_CreateRaw(num);
    }
}

dal_code sq_query_sql_text(const sq_dialect *d, const dal_query *q, const dal_value *args, char **sql,
                           char **params_json, dal_error *err)
{
    if (q == NULL || q->model == NULL || q->model->table == NULL || sql == NULL || params_json == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "query sql: a query on a table, sql and params are required");
    sq_plan plan;
    dal_code rc = sq_plan_build(d, q, &plan, err);
    if (rc != DAL_OK)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr != NULL && i < plan.n_binds; i++) {
        cJSON *item = bind_json(&plan.binds[i], args);
        if (item == NULL || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    if (text == NULL) {
        sq_plan_free(&plan);
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory writing the parameters of %s", q->model->name);
    }
    *sql = plan.sql;
    plan.sql = NULL;
    *params_json = text;
    sq_plan_free(&plan);
    return DAL_OK;
}
