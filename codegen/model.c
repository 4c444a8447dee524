/* model.c - freeing the resolved model (model.h). */
#include <stdlib.h>

#include "model.h"
#include "names.h"

static void expr_free(m_expr *e)
{
    while (e) {                 /* iterative on the left: long and-chains */
        m_expr *next = e->a;
        expr_free(e->b);
        free(e->rhs.lit.s);
        free(e);
        e = next;
    }
}

static void model_free(m_model *m)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        free(m->fields[i].name);
        free(m->fields[i].column);
        free(m->fields[i].def.s);
    }
    for (size_t i = 0; i < m->n_indexes; i++) {
        free(m->indexes[i].name);
        free(m->indexes[i].parts);
    }
    free(m->name);
    free(m->snake);
    free(m->table);
    free(m->fields);
    free(m->pk);
    free(m->indexes);
}

static void query_free(m_query *q)
{
    for (size_t i = 0; i < q->n_params; i++)
        free(q->params[i].name);
    for (size_t i = 0; i < q->n_set; i++)
        free(q->set[i].value.lit.s);
    for (size_t i = 0; i < q->n_items; i++)
        free(q->items[i].name);
    free(q->name);
    free(q->params);
    expr_free(q->where);
    free(q->order);
    free(q->limit.lit.s);
    free(q->offset.lit.s);
    free(q->set);
    free(q->group);
    free(q->items);
}

void m_schema_free(m_schema *s)
{
    if (!s)
        return;
    nm_free(s->names, s);
    for (size_t i = 0; i < s->n_enums; i++) {
        m_enum *e = &s->enums[i];
        for (size_t j = 0; e->members && j < e->n; j++)
            free(e->members[j]);
        free(e->name);
        free(e->snake);
        free(e->members);
        free(e->values);
    }
    for (size_t i = 0; i < s->n_models; i++)
        model_free(&s->models[i]);
    for (size_t i = 0; i < s->n_queries; i++)
        query_free(&s->queries[i]);
    free(s->ns);
    free(s->source);
    free(s->enums);
    free(s->models);
    free(s->queries);
    free(s);
}
