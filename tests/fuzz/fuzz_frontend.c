/*
 * fuzz_frontend.c - libFuzzer target: the whole front end (dalc_frontend) on
 * any bytes. Besides not crashing, hanging or leaking: a result comes with no
 * diagnostics and a failure with some, never an internal error (the parser
 * refusing a token its driver let through), and a resolved model is consistent
 * (every index it holds points inside its array), which is what the emitters
 * rely on.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void check_operand(const m_query *q, const m_operand *o)
{
    CHECK(o->kind != MA_PARAM || o->param < q->n_params);
    CHECK(o->kind != MA_LIT || o->lit.kind != ML_NONE);
}

/* Walks the left spine in a loop (and-chains lean left and can be long). */
static void check_expr(const m_query *q, const m_expr *e)
{
    for (; e->op == MO_AND || e->op == MO_OR || e->op == MO_NOT; e = e->a) {
        CHECK(e->a && (e->op == MO_NOT) == (e->b == NULL));
        if (e->b)
            check_expr(q, e->b);
    }
    switch (e->op) {
    case MO_IS_NULL:
    case MO_IS_NOT_NULL:
        CHECK(e->field < q->model->n_fields);
        return;
    default:
        CHECK(e->field < q->model->n_fields && e->rhs.kind != MA_NONE);
        check_operand(q, &e->rhs);
        return;
    }
}

static void check_model(const m_model *m)
{
    CHECK(m->name && m->snake && m->table && m->n_pk > 0);
    for (size_t i = 0; i < m->n_pk; i++)
        CHECK(m->pk[i] < m->n_fields && m->fields[m->pk[i]].is_id);
    for (size_t i = 0; i < m->n_fields; i++) {
        const m_field *f = &m->fields[i];
        CHECK(f->name && f->column && (f->type.kind != MK_ENUM || f->type.enumt));
        CHECK(!f->ref_model || f->ref_field < f->ref_model->n_fields);
    }
    for (size_t i = 0; i < m->n_indexes; i++) {
        CHECK(m->indexes[i].name && m->indexes[i].n > 0);
        for (size_t k = 0; k < m->indexes[i].n; k++)
            CHECK(m->indexes[i].parts[k].field < m->n_fields);
    }
}

static void check_query(const m_query *q)
{
    CHECK(q->name && q->model);
    if (q->where)
        check_expr(q, q->where);
    for (size_t i = 0; i < q->n_order; i++)
        CHECK(q->order[i].field < (q->kind == MQ_AGGREGATE ? q->n_items : q->model->n_fields));
    for (size_t i = 0; i < q->n_set; i++) {
        CHECK(q->set[i].field < q->model->n_fields && q->set[i].value.kind != MA_NONE);
        check_operand(q, &q->set[i].value);
    }
    for (size_t i = 0; i < q->n_group; i++)
        CHECK(q->group[i] < q->model->n_fields);
    for (size_t i = 0; i < q->n_items; i++)
        CHECK(q->items[i].name && q->items[i].field < (long)q->model->n_fields);
    check_operand(q, &q->limit);
    check_operand(q, &q->offset);
}

/* Whether a message says "internal error". Diagnostics are three lines each
 * (message, source line, caret): only the first of each is a message; the
 * source line may say anything. */
static bool internal_error(const char *diags)
{
    static const char sep[] = ": error: ";
    for (unsigned line = 0; *diags; line++) {
        const char *end = strchr(diags, '\n');
        CHECK(end);
        if (line % 3 == 0) {
            const char *msg = strstr(diags, sep);  /* the path has no ": error: " */
            CHECK(msg && msg < end);
            if (strncmp(msg + sizeof sep - 1, "internal error", 14) == 0)
                return true;
        }
        diags = end + 1;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *diags = NULL;
    unsigned n_errors = 0;
    m_schema *s = dalc_frontend("fuzz.dal", (const char *)data, size, &diags, &n_errors);
    CHECK((s != NULL) == (n_errors == 0) && (diags != NULL) == (n_errors > 0));
    CHECK(!diags || !internal_error(diags));
    if (s) {
        CHECK(s->ns);
        for (size_t i = 0; i < s->n_models; i++)
            check_model(&s->models[i]);
        for (size_t i = 0; i < s->n_queries; i++)
            check_query(&s->queries[i]);
        for (size_t i = 0; i < s->n_models; i++)     /* index names: unique in the schema */
            for (size_t j = 0; j < s->models[i].n_indexes; j++)
                for (size_t k = 0; k <= i; k++)
                    for (size_t l = 0; l < (k == i ? j : s->models[k].n_indexes); l++)
                        CHECK(strcmp(s->models[i].indexes[j].name, s->models[k].indexes[l].name) != 0);
    }
    m_schema_free(s);
    free(diags);
    return 0;
}
