/*
 * plan.c - `dalc --plan FROM TO`: the migration plan from one schema (a .dal
 * file, or an SQLite database that records its schema) to another .dal file,
 * exactly as a program built from TO would compute it when opening a
 * database of FROM (the same runtime code: runtime/dal_migrate.c, fed with
 * descriptors built here from the checked model instead of generated code).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dal_migrate.h"
#include "emit.h"
#include "frontend.h"
#include "plan.h"

/* Descriptors of a checked schema, owned in one place. */
typedef struct built {
    m_schema *m;
    dal_schema s;
    dal_enum *enums;
    const dal_enum **enum_ptrs;
    dal_model *models;
    const dal_model **model_ptrs;
    char version[17];
} built;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL) {
        fputs("dalc: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

static dal_default to_default(const m_field *f)
{
    dal_default d = {DAL_DEF_NONE, 0, 0, NULL};
    switch (f->def.kind) {
    case ML_NONE: break;
    case ML_NULL: d.kind = DAL_DEF_NULL; break;
    case ML_INT: d.kind = DAL_DEF_INT; d.i = f->def.i; break;
    case ML_REAL: d.kind = DAL_DEF_REAL; d.d = f->def.d; break;
    case ML_BOOL: d.kind = DAL_DEF_BOOL; d.i = f->def.b; break;
    case ML_TEXT: d.kind = DAL_DEF_TEXT; d.s = f->def.s; break;
    case ML_ENUM:
        d.kind = DAL_DEF_ENUM;
        d.i = f->type.enumt && f->type.enumt->values ? f->type.enumt->values[f->def.i] : f->def.i;
        break;
    case ML_NOW: d.kind = DAL_DEF_NOW; break;
    case ML_UUID7: d.kind = DAL_DEF_UUID7; break;
    case ML_UUID4: d.kind = DAL_DEF_UUID4; break;
    case ML_EMPTY_LIST: d.kind = DAL_DEF_EMPTY_LIST; break;
    case ML_EMPTY_MAP: d.kind = DAL_DEF_EMPTY_MAP; break;
    }
    return d;
}

static dal_type to_type(m_kind k)
{
    switch (k) {
    case MK_TEXT: return DAL_TEXT;
    case MK_INT: return DAL_INT;
    case MK_I32: return DAL_I32;
    case MK_U32: return DAL_U32;
    case MK_U64: return DAL_U64;
    case MK_REAL: return DAL_REAL;
    case MK_BOOL: return DAL_BOOL;
    case MK_TIMESTAMP: return DAL_TIMESTAMP;
    case MK_UUID: return DAL_UUID;
    case MK_JSON: return DAL_JSON;
    case MK_MAP_TEXT: return DAL_MAP_TEXT;
    case MK_MAP_JSON: return DAL_MAP_JSON;
    case MK_ENUM: return DAL_ENUM;
    }
    return DAL_TEXT;
}

static void build(built *b, m_schema *m)
{
    memset(b, 0, sizeof *b);
    b->m = m;
    b->enums = xcalloc(m->n_enums, sizeof *b->enums);
    b->enum_ptrs = xcalloc(m->n_enums, sizeof *b->enum_ptrs);
    for (size_t i = 0; i < m->n_enums; i++) {
        const m_enum *e = &m->enums[i];
        b->enums[i] = (dal_enum){e->name, e->n, (const char *const *)e->members, e->values};
        b->enum_ptrs[i] = &b->enums[i];
    }
    b->models = xcalloc(m->n_models, sizeof *b->models);
    b->model_ptrs = xcalloc(m->n_models, sizeof *b->model_ptrs);
    for (size_t i = 0; i < m->n_models; i++) {
        const m_model *mm = &m->models[i];
        dal_model *d = &b->models[i];
        dal_field *fields = xcalloc(mm->n_fields, sizeof *fields);
        for (size_t k = 0; k < mm->n_fields; k++) {
            const m_field *f = &mm->fields[k];
            unsigned flags = (f->type.optional ? DAL_F_OPTIONAL : 0) | (f->type.list ? DAL_F_LIST : 0) |
                             (f->is_id ? DAL_F_ID : 0) | (f->unique ? DAL_F_UNIQUE : 0) |
                             (f->sequence ? DAL_F_SEQUENCE : 0) | (f->updated_now ? DAL_F_UPDATED_NOW : 0);
            dal_ref *ref = NULL;
            if (f->ref_model != NULL) {
                ref = xcalloc(1, sizeof *ref);
                ref->model = &b->models[f->ref_model - m->models];
                ref->field = (unsigned)f->ref_field;
                ref->on_delete = f->on_delete == MOD_CASCADE    ? DAL_ON_DELETE_CASCADE
                                 : f->on_delete == MOD_SET_NULL ? DAL_ON_DELETE_SET_NULL
                                                                : DAL_ON_DELETE_RESTRICT;
            }
            const dal_enum *et = NULL;
            if (f->type.kind == MK_ENUM && f->type.enumt != NULL)
                et = &b->enums[f->type.enumt - m->enums];
            fields[k] = (dal_field){f->name, f->column, to_type(f->type.kind), et, flags, 0, DAL_NO_OFFSET,
                                    to_default(f), ref, f->renamed_from};
        }
        unsigned *pk = xcalloc(mm->n_pk, sizeof *pk);
        for (size_t k = 0; k < mm->n_pk; k++)
            pk[k] = (unsigned)mm->pk[k];
        dal_index *ix = xcalloc(mm->n_indexes, sizeof *ix);
        for (size_t k = 0; k < mm->n_indexes; k++) {
            const m_index *x = &mm->indexes[k];
            dal_index_part *parts = xcalloc(x->n, sizeof *parts);
            for (size_t p = 0; p < x->n; p++)
                parts[p] = (dal_index_part){(unsigned)x->parts[p].field, x->parts[p].desc};
            ix[k] = (dal_index){x->name, x->n, parts, x->unique, x->derived};
        }
        *d = (dal_model){mm->name, mm->table, 0, mm->n_fields, fields, mm->n_pk, pk, mm->n_indexes, ix,
                         mm->renamed_from};
        b->model_ptrs[i] = d;
    }
    schema_version(m, b->version);
    b->s = (dal_schema){m->ns, b->version, m->n_enums, b->enum_ptrs, m->n_models, b->model_ptrs, 0, NULL};
}

static void unbuild(built *b)
{
    for (size_t i = 0; b->models && i < b->m->n_models; i++) {
        dal_model *d = &b->models[i];
        for (size_t k = 0; k < d->n_fields; k++)
            free((void *)d->fields[k].ref);
        for (size_t k = 0; k < d->n_indexes; k++)
            free((void *)d->indexes[k].parts);
        free((void *)d->fields);
        free((void *)d->pk);
        free((void *)d->indexes);
    }
    free(b->models);
    free(b->model_ptrs);
    free(b->enums);
    free(b->enum_ptrs);
    m_schema_free(b->m);
}

static bool is_dal_file(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".dal") == 0;
}

/* Compiles a schema file; 1 (diagnostics printed) or 2 on failure. */
static int compile(const char *path, built *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "dalc: cannot open %s\n", path);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = xcalloc((size_t)(n > 0 ? n : 0) + 1, 1);
    size_t got = fread(text, 1, (size_t)(n > 0 ? n : 0), f);
    fclose(f);
    char *diags = NULL;
    unsigned n_errors = 0;
    m_schema *m = dalc_frontend(path, text, got, &diags, &n_errors);
    free(text);
    if (m == NULL) {
        if (diags)
            fputs(diags, stderr);
        fprintf(stderr, "%u error%s\n", n_errors, n_errors == 1 ? "" : "s");
        free(diags);
        return 1;
    }
    build(out, m);
    return 0;
}

/* The newest recorded schema document of an SQLite database (read-only). */
static cJSON *recorded_doc(const char *path)
{
    sqlite3 *db = NULL;
    cJSON *doc = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "dalc: cannot open the database %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT canonical FROM schema_migrations WHERE canonical IS NOT NULL ORDER BY version DESC "
                           "LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK)
        fprintf(stderr, "dalc: %s records no schema document (%s)\n", path, sqlite3_errmsg(db));
    else if (sqlite3_step(s) != SQLITE_ROW)
        fprintf(stderr, "dalc: %s records no schema document\n", path);
    else if ((doc = cJSON_Parse((const char *)sqlite3_column_text(s, 0))) == NULL)
        fprintf(stderr, "dalc: the schema document recorded in %s is not JSON\n", path);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return doc;
}

int dalc_plan(const char *from, const char *to)
{
    if (!is_dal_file(to)) {
        fprintf(stderr, "dalc: --plan FROM TO: TO must be a .dal schema (got %s)\n", to);
        return 2;
    }
    built nb, ob;
    int rc = compile(to, &nb);
    if (rc != 0)
        return rc;
    cJSON *old = NULL;
    if (is_dal_file(from)) {
        if ((rc = compile(from, &ob)) != 0) {
            unbuild(&nb);
            return rc;
        }
        old = dal_schema_doc(&ob.s);
        unbuild(&ob);
    } else {
        old = recorded_doc(from);
    }
    if (old == NULL) {
        unbuild(&nb);
        return 2;
    }
    dal_plan p;
    dal_error err = {0};
    if (dal_plan_build(old, &nb.s, false, &p, &err) != DAL_OK) {
        fprintf(stderr, "dalc: %s: %s\n", from, err.message);
        cJSON_Delete(old);
        unbuild(&nb);
        return 2;
    }
    char *text = dal_plan_describe(&p);
    if (p.n_changes == 0)
        printf("%s -> %s: no changes\n", from, to);
    else
        printf("%s -> %s: %zu change%s, %zu need%s a decision%s\n%s", from, to, p.n_changes,
               p.n_changes == 1 ? "" : "s", p.n_decisions, p.n_decisions == 1 ? "s" : "",
               p.n_decisions ? " (a program of the new schema refuses to open such a database)"
                             : " (applied by themselves when a program of the new schema opens the database)",
               text ? text : "");
    rc = p.n_decisions > 0 ? 3 : 0;
    free(text);
    dal_plan_free(&p);
    cJSON_Delete(old);
    unbuild(&nb);
    return rc;
}
