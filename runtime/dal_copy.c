/*
 * dal_copy.c - dal_copy_all: every row of one open database into another of
 * the same schema (memory <-> SQLite, or two files), in one transaction on
 * the target, values kept exactly (keys, @sequence numbers, timestamps).
 */
#include <stdlib.h>
#include <string.h>

#include "dal_backend.h"
#include "dal_migrate.h"

/* Same storage shape and the same struct layout: equal canonical documents,
 * and every model of the same size with its fields at the same offsets. */
static dal_code same_schema(const dal_schema *a, const dal_schema *b, dal_error *err)
{
    if (a == b)
        return DAL_OK;
    char *ta = dal_schema_doc_text(a), *tb = dal_schema_doc_text(b);
    bool same = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;
    bool oom = ta == NULL || tb == NULL;
    free(ta);
    free(tb);
    if (oom)
        return dal_set_error(err, DAL_ERR_NOMEM, "dal_copy_all: out of memory");
    if (!same || a->n_models != b->n_models)
        return dal_set_error(err, DAL_ERR_MIGRATION,
                             "dal_copy_all: the databases have different schemas ('%s@%s' and '%s@%s'): open the "
                             "target with the source's program first, so that it migrates",
                             a->ns, a->version ? a->version : "", b->ns, b->version ? b->version : "");
    for (size_t i = 0; i < a->n_models; i++) {
        const dal_model *x = a->models[i], *y = b->models[i];
        bool ok = x->size == y->size && x->n_fields == y->n_fields;
        for (size_t k = 0; ok && k < x->n_fields; k++)
            ok = x->fields[k].offset == y->fields[k].offset && x->fields[k].has_offset == y->fields[k].has_offset;
        if (!ok)
            return dal_set_error(err, DAL_ERR_INVALID,
                                 "dal_copy_all: model %s has another struct layout in the two programs' code", x->name);
    }
    return DAL_OK;
}

/* Models with tables, parents before the models that reference them
 * (references to itself aside); a cycle keeps the schema's order. */
static size_t copy_order(const dal_schema *s, size_t *order)
{
    size_t n = 0;
    bool *done = calloc(s->n_models + 1, sizeof *done);
    if (done == NULL)
        return (size_t)-1;
    for (bool progress = true; progress;) {
        progress = false;
        for (size_t i = 0; i < s->n_models; i++) {
            const dal_model *m = s->models[i];
            if (done[i] || m->table == NULL)
                continue;
            bool ready = true;
            for (size_t k = 0; k < m->n_fields && ready; k++) {
                const dal_ref *r = m->fields[k].ref;
                if (r == NULL || r->model == m)
                    continue;
                for (size_t j = 0; j < s->n_models; j++)
                    if (s->models[j] == r->model && !done[j])
                        ready = false;
            }
            if (ready) {
                done[i] = true;
                order[n++] = i;
                progress = true;
            }
        }
    }
    for (size_t i = 0; i < s->n_models; i++)
        if (!done[i] && s->models[i]->table != NULL)
            order[n++] = i;
    free(done);
    return n;
}

dal_code dal_copy_all(dal_db *src, dal_db *dst, dal_error *err)
{
    if (src == NULL || dst == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_copy_all: no %s database", src == NULL ? "source" : "target");
    if (dst->tx != NULL || dst->root != dst)
        return dal_set_error(err, DAL_ERR_INVALID,
                             "dal_copy_all: the target must be a database handle, not a transaction's (the copy is "
                             "one transaction of its own)");
    if (src->root == dst)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_copy_all: source and target are the same database");
    if (dst->vt->import == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_copy_all: backend '%s' cannot import rows", dst->vt->scheme);
    const dal_schema *s = dst->schema;
    dal_code rc = same_schema(src->schema, s, err);
    if (rc != DAL_OK)
        return rc;
    size_t *order = calloc(s->n_models + 1, sizeof *order);
    size_t n = order ? copy_order(s, order) : (size_t)-1;
    if (n == (size_t)-1) {
        free(order);
        return dal_set_error(err, DAL_ERR_NOMEM, "dal_copy_all: out of memory");
    }
    dal_tx *tx = dal_begin(dst, err);
    if (tx == NULL) {
        free(order);
        return err ? err->code : DAL_ERR_TRANSACTION;
    }
    dal_db *t = dal_tx_db(tx);
    for (size_t i = 0; i < n && rc == DAL_OK; i++) {
        const dal_model *m = s->models[order[i]];
        int64_t have = 0;
        rc = dal_count(t, m, &have, err);
        if (rc == DAL_OK && have > 0)
            rc = dal_set_error(err, DAL_ERR_INVALID,
                               "dal_copy_all: the target already holds %lld rows of %s: copy into an empty database",
                               (long long)have, m->table);
    }
    for (size_t i = 0; i < n && rc == DAL_OK; i++) {
        const dal_model *m = s->models[order[i]];
        const dal_model *sm = src->schema->models[order[i]];
        dal_list rows = {0};
        rc = dal_list_all(src, sm, &rows, err);
        if (rc == DAL_OK && rows.n > 0)
            rc = dst->vt->import(t, m, rows.v, rows.n, err);
        if (rc != DAL_OK)
            dal_error_prefix(err, "dal_copy_all: %s", m->table);
        dal_record_list_free(sm, &rows);
    }
    free(order);
    if (rc == DAL_OK)
        rc = dal_commit(tx, err);
    dal_tx_free(tx); /* rolls back when the copy failed */
    return rc;
}
