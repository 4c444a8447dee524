/*
 * derive.c - the indexes the declared queries need, and the names of every
 * index (docs/indexes.md).
 *
 * For each query with a where clause, and for each branch of a top-level OR:
 *   E = the fields compared with `=` among the top-level AND terms, in order
 *       of appearance, without repeats;
 *   then O = the order by fields with their directions (aggregates: the
 *       group by fields, ascending), or else R = the first field compared
 *       with < <= > >= (ascending), if any; a field already in E is skipped
 *       (it is constant within the scan, so ordering by it costs nothing);
 *   parts = E ++ (O or R), then the primary key fields (ascending) not
 *       already in the parts.
 * No index when E ++ (O or R) is empty, when it starts with the whole
 * primary key (a key lookup), or when it equals or is a prefix of an index
 * the model has (declared, unique, or derived before); a derived index that
 * is a prefix of the new one is replaced by it.
 *
 * Names: "<table>_<column>_..._idx" over the parts before the appended key
 * ("_key" for unique ones), made unique in the schema (and apart from the
 * table names) by appending _2, _3, ...
 */
#include <stdlib.h>
#include <string.h>

#include "ast.h"

/* Appends field to the index unless it has it already. */
static void add_part(m_index *x, size_t field, bool desc)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->parts[i].field == field)
            return;
    *FE_PUSH(x->parts, x->n) = (m_index_part){field, desc};
}

/* Appends to terms the operands that op (MO_AND or MO_OR) joins at the top
 * of e, in order: `(a and b) and c` gives a, b, c. With a stack of its own,
 * since chains can be long. */
static void terms_of(m_op op, const m_expr *e, const m_expr ***terms, size_t *n)
{
    const m_expr **stack = NULL;
    size_t depth = 0;
    *FE_PUSH(stack, depth) = e;
    while (depth > 0) {
        const m_expr *x = stack[--depth];
        if (x->op == op) {
            *FE_PUSH(stack, depth) = x->b;      /* a comes off first */
            *FE_PUSH(stack, depth) = x->a;
        } else {
            *FE_PUSH(*terms, *n) = x;
        }
    }
    free(stack);
}

/* Whether a's parts begin b's (same fields, same directions). */
static bool is_prefix(const m_index *a, const m_index *b)
{
    if (a->n > b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->parts[i].field != b->parts[i].field || a->parts[i].desc != b->parts[i].desc)
            return false;
    return true;
}

/* Whether the first parts of x (n_head of them) are the whole primary key. */
static bool starts_with_key(const m_model *m, const m_index *x, size_t n_head)
{
    if (n_head < m->n_pk)
        return false;
    for (size_t k = 0; k < m->n_pk; k++) {
        bool found = false;
        for (size_t i = 0; i < m->n_pk && !found; i++)
            found = x->parts[i].field == m->pk[k];
        if (!found)
            return false;
    }
    return true;
}

/* "<table>_<col>_..._idx" over the first n parts of x. */
static char *index_name(const m_model *m, const m_index *x, size_t n)
{
    fe_buf b = {0};
    fe_buf_puts(&b, m->table);
    for (size_t i = 0; i < n; i++)
        fe_buf_printf(&b, "_%s", m->fields[x->parts[i].field].column);
    fe_buf_puts(&b, x->unique ? "_key" : "_idx");
    return fe_buf_take(&b);
}

/* Adds x to m unless an index of m covers it; takes x's parts. */
static void add_derived(m_model *m, m_index x, size_t n_head)
{
    for (size_t i = 0; i < m->n_indexes; i++) {
        if (is_prefix(&x, &m->indexes[i])) {
            free(x.parts);
            return;
        }
    }
    x.derived = true;
    x.name = index_name(m, &x, n_head);
    for (size_t i = 0; i < m->n_indexes; i++) {
        m_index *old = &m->indexes[i];
        if (old->derived && is_prefix(old, &x)) {
            free(old->parts);
            free(old->name);
            *old = x;
            return;
        }
    }
    *FE_PUSH(m->indexes, m->n_indexes) = x;
}

/* The rule for one branch of the where clause of q. */
static void derive_branch(m_model *m, const m_query *q, const m_expr *branch)
{
    const m_expr **terms = NULL;
    size_t n_terms = 0;
    terms_of(MO_AND, branch, &terms, &n_terms);

    m_index x = {0};
    for (size_t i = 0; i < n_terms; i++)
        if (terms[i]->op == MO_EQ)
            add_part(&x, terms[i]->field, false);
    if (q->kind == MQ_AGGREGATE && q->n_group > 0) {
        for (size_t i = 0; i < q->n_group; i++)
            add_part(&x, q->group[i], false);
    } else if (q->kind != MQ_AGGREGATE && q->n_order > 0) {
        for (size_t i = 0; i < q->n_order; i++)
            add_part(&x, q->order[i].field, q->order[i].desc);
    } else {
        for (size_t i = 0; i < n_terms; i++) {
            m_op op = terms[i]->op;
            if (op == MO_LT || op == MO_LE || op == MO_GT || op == MO_GE) {
                add_part(&x, terms[i]->field, false);
                break;
            }
        }
    }
    free(terms);

    size_t n_head = x.n;
    if (n_head == 0 || starts_with_key(m, &x, n_head)) {
        free(x.parts);
        return;
    }
    for (size_t k = 0; k < m->n_pk; k++)
        add_part(&x, m->pk[k], false);
    add_derived(m, x, n_head);
}

/* The rule for each branch of the top-level OR of q's where clause (the
 * whole clause when it is no OR). */
static void derive_where(m_model *m, const m_query *q)
{
    const m_expr **branches = NULL;
    size_t n = 0;
    terms_of(MO_OR, q->where, &branches, &n);
    for (size_t i = 0; i < n; i++)
        derive_branch(m, q, branches[i]);
    free(branches);
}

/* Names the declared indexes, then makes every name unique in the schema
 * and apart from the table names (SQL keeps them in one namespace). */
static void name_indexes(m_schema *s)
{
    fe_names taken = {0};
    for (size_t i = 0; i < s->n_models; i++)
        fe_names_put(&taken, s->models[i].table, strlen(s->models[i].table), 0);
    for (size_t i = 0; i < s->n_models; i++) {
        m_model *m = &s->models[i];
        for (size_t j = 0; j < m->n_indexes; j++) {
            m_index *x = &m->indexes[j];
            if (!x->name)
                x->name = index_name(m, x, x->n);
            char *base = x->name;
            for (unsigned k = 2; fe_names_get(&taken, x->name, strlen(x->name)) >= 0; k++) {
                fe_buf b = {0};
                fe_buf_printf(&b, "%s_%u", base, k);
                if (x->name != base)
                    free(x->name);
                x->name = fe_buf_take(&b);
            }
            if (x->name != base)
                free(base);
            fe_names_put(&taken, x->name, strlen(x->name), 0);
        }
    }
    fe_names_clear(&taken);
}

/* A foreign-key field no index leads with gets one (field, then the key), so
 * that ON DELETE finds the rows that point at a deleted row without a scan. */
static void derive_refs(m_model *m)
{
    for (size_t f = 0; f < m->n_fields; f++) {
        if (m->fields[f].ref_model == NULL || (m->n_pk > 0 && m->pk[0] == f))
            continue;
        bool led = false;
        for (size_t i = 0; i < m->n_indexes && !led; i++)
            led = m->indexes[i].n > 0 && m->indexes[i].parts[0].field == f;
        if (led)
            continue;
        m_index x = {0};
        add_part(&x, f, false);
        for (size_t k = 0; k < m->n_pk; k++)
            if (m->pk[k] != f)
                add_part(&x, m->pk[k], false);
        add_derived(m, x, 1);
    }
}

void dalc_derive(m_schema *s)
{
    for (size_t i = 0; i < s->n_queries; i++) {
        const m_query *q = &s->queries[i];
        if (q->where)
            derive_where(q->model, q);
    }
    for (size_t i = 0; i < s->n_models; i++)
        derive_refs(&s->models[i]);
    name_indexes(s);
}
