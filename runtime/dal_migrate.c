/*
 * dal_migrate.c - the plan between a recorded schema document and the
 * program's schema (dal_migrate.h). Backend-neutral: it reads JSON and
 * descriptors and writes a list of changes plus per-table storage work.
 *
 * The rules (docs/migrations.md):
 *   safe, applied on open: a new model; a new field that is optional or has a
 *   @default; a new enum member; new or removed indexes; a new unique index
 *   (existing rows are checked); a field made optional; an integer widened
 *   (i32 -> int, u32 -> int or u64); a declared rename (@renamed_from,
 *   @@renamed_from, a changed @column or @@table); a foreign key added,
 *   removed or changed (existing rows are checked).
 *   needs a decision: a dropped model or field, a changed type, a field made
 *   required, a new required field without @default, an enum member removed
 *   or re-valued, a changed primary key or @sequence.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal_migrate.h"

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jbool(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static char *fmt(const char *f, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

static char *dupstr(const char *s)
{
    return s ? fmt("%s", s) : NULL;
}

typedef struct builder {
    dal_plan *p;
    bool oom;
    bool down;
    const cJSON *old_doc;
} builder;

static void change(builder *b, dal_change_kind kind, bool decision, char *what, char *fix)
{
    dal_plan *p = b->p;
    if (b->oom || what == NULL || (decision && fix == NULL)) {
        b->oom = true;
        free(what);
        free(fix);
        return;
    }
    dal_change *grown = realloc(p->changes, (p->n_changes + 1) * sizeof *grown);
    if (grown == NULL) {
        b->oom = true;
        free(what);
        free(fix);
        return;
    }
    p->changes = grown;
    p->changes[p->n_changes++] = (dal_change){kind, decision, what, decision ? fix : NULL};
    if (!decision)
        free(fix);
    if (decision)
        p->n_decisions++;
}

static dal_table_plan *add_table(builder *b)
{
    dal_plan *p = b->p;
    dal_table_plan *grown = realloc(p->tables, (p->n_tables + 1) * sizeof *grown);
    if (grown == NULL) {
        b->oom = true;
        return NULL;
    }
    p->tables = grown;
    dal_table_plan *t = &p->tables[p->n_tables++];
    memset(t, 0, sizeof *t);
    return t;
}

static void add_drop_index(builder *b, const char *name)
{
    dal_plan *p = b->p;
    char **grown = realloc(p->drop_indexes, (p->n_drop_indexes + 1) * sizeof *grown);
    char *copy = dupstr(name);
    if (grown == NULL || copy == NULL) {
        if (grown)
            p->drop_indexes = grown;
        free(copy);
        b->oom = true;
        return;
    }
    p->drop_indexes = grown;
    p->drop_indexes[p->n_drop_indexes++] = copy;
}

static void add_new_index(builder *b, const dal_model *m, const dal_index *x)
{
    dal_plan *p = b->p;
    const dal_index **gx = realloc(p->new_indexes, (p->n_new_indexes + 1) * sizeof *gx);
    if (gx == NULL) {
        b->oom = true;
        return;
    }
    p->new_indexes = gx;
    const dal_model **gm = realloc(p->new_index_models, (p->n_new_indexes + 1) * sizeof *gm);
    if (gm == NULL) {
        b->oom = true;
        return;
    }
    p->new_index_models = gm;
    p->new_indexes[p->n_new_indexes] = x;
    p->new_index_models[p->n_new_indexes] = m;
    p->n_new_indexes++;
}

/* The old model's name as the new schema calls it (through model renames). */
typedef struct model_pair {
    const dal_model *m;   /* new */
    const cJSON *old;     /* old model doc or NULL */
} model_pair;

static void field_type_text(const dal_field *f, char *buf, size_t size)
{
    const char *t = f->type == DAL_ENUM && f->enumt ? f->enumt->name : dal_type_name(f->type);
    snprintf(buf, size, "%s%s%s", t, (f->flags & DAL_F_LIST) ? "[]" : "",
             (f->flags & DAL_F_OPTIONAL) ? "?" : "");
}

static void old_type_text(const cJSON *of, char *buf, size_t size)
{
    const char *t = jstr(of, "type");
    if (t != NULL && strncmp(t, "enum:", 5) == 0)
        t += 5;
    snprintf(buf, size, "%s%s%s", t ? t : "?", jbool(of, "list") ? "[]" : "", jbool(of, "optional") ? "?" : "");
}

static bool widens(const char *from, const char *to)
{
    static const char *const ok[][2] = {{"i32", "int"}, {"u32", "int"}, {"u32", "u64"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(from, ok[i][0]) == 0 && strcmp(to, ok[i][1]) == 0)
            return true;
    return false;
}

static void describe_default(const dal_field *f, char *buf, size_t size)
{
    const dal_default *d = &f->def;
    switch (d->kind) {
    case DAL_DEF_NOW: snprintf(buf, size, "now"); return;
    case DAL_DEF_UUID7: snprintf(buf, size, "uuid7"); return;
    case DAL_DEF_UUID4: snprintf(buf, size, "uuid4"); return;
    case DAL_DEF_EMPTY_LIST: snprintf(buf, size, "[]"); return;
    case DAL_DEF_EMPTY_MAP: snprintf(buf, size, "{}"); return;
    case DAL_DEF_INT: snprintf(buf, size, "%" PRId64, d->i); return;
    case DAL_DEF_REAL: snprintf(buf, size, "%g", d->d); return;
    case DAL_DEF_BOOL: snprintf(buf, size, "%s", d->i ? "true" : "false"); return;
    case DAL_DEF_TEXT: snprintf(buf, size, "\"%s\"", d->s ? d->s : ""); return;
    case DAL_DEF_ENUM: {
        const char *n = f->enumt ? dal_enum_name(f->enumt, (int)d->i) : NULL;
        snprintf(buf, size, "%s", n ? n : "?");
        return;
    }
    default: snprintf(buf, size, "null"); return;
    }
}

static bool has_default(const dal_field *f)
{
    return f->def.kind != DAL_DEF_NONE && f->def.kind != DAL_DEF_NULL;
}

/* ------------------------------------------------------------------------ */
/* Fields of a model that stays                                              */
/* ------------------------------------------------------------------------ */

static const cJSON *old_field_named(const cJSON *ofields, const char *name)
{
    const cJSON *of;
    cJSON_ArrayForEach(of, ofields) if (same(jstr(of, "name"), name)) return of;
    return NULL;
}

static bool model_has_field(const dal_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (strcmp(m->fields[i].name, name) == 0)
            return true;
    return false;
}

/* Name of the new model an old model name maps to (model renames). */
static const char *mapped_model_name(builder *b, const model_pair *pairs, size_t n, const char *old_name)
{
    (void)b;
    for (size_t i = 0; i < n; i++)
        if (pairs[i].old != NULL && same(jstr(pairs[i].old, "name"), old_name))
            return pairs[i].m->name;
    return old_name;
}

static void diff_fields(builder *b, dal_table_plan *t, const dal_model *m, const cJSON *om, const model_pair *pairs,
                        size_t n_pairs)
{
    const cJSON *ofields = cJSON_GetObjectItemCaseSensitive(om, "fields");
    int n_old = cJSON_GetArraySize(ofields);
    bool *used = calloc((size_t)n_old + 1, sizeof *used);
    t->from = calloc(m->n_fields + 1, sizeof *t->from);
    if (used == NULL || t->from == NULL) {
        free(used);
        b->oom = true;
        return;
    }
    for (size_t k = 0; k < m->n_fields && !b->oom; k++) {
        const dal_field *f = &m->fields[k];
        const cJSON *of = old_field_named(ofields, f->name);
        bool renamed = false;
        if (of == NULL && !b->down && f->renamed_from != NULL && !model_has_field(m, f->renamed_from)) {
            of = old_field_named(ofields, f->renamed_from);
            renamed = of != NULL;
        }
        if (of == NULL && b->down) {
            const cJSON *x;
            cJSON_ArrayForEach(x, ofields) if (same(jstr(x, "renamed_from"), f->name)) of = x;
            renamed = of != NULL;
        }
        char type[160];
        field_type_text(f, type, sizeof type);
        if (of == NULL) {
            t->changed = true;
            if (f->ref != NULL)
                t->rebuild = true; /* the reference belongs to the table's definition */
            bool key = (f->flags & (DAL_F_ID | DAL_F_SEQUENCE)) != 0;
            bool ok = !key && ((f->flags & DAL_F_OPTIONAL) || has_default(f));
            char dflt[96];
            describe_default(f, dflt, sizeof dflt);
            if (ok || b->down) {
                change(b, DAL_CH_ADD_FIELD, false,
                       fmt("add field %s.%s (%s%s%s)", m->name, f->name, type, has_default(f) ? ", default " : "",
                           has_default(f) ? dflt : ""),
                       NULL);
            } else if (key) {
                change(b, DAL_CH_CHANGE_KEY, true, fmt("add key field %s.%s (%s)", m->name, f->name, type),
                       fmt("a new @id or @sequence field needs a migration written by hand; keep the key as it "
                           "was, or if %s.%s was renamed, write @renamed_from(\"old_name\") on it",
                           m->name, f->name));
            } else {
                change(b, DAL_CH_ADD_FIELD, true, fmt("add required field %s.%s (%s) without a default", m->name,
                                                      f->name, type),
                       fmt("give it a value for existing rows: @default(...) on %s.%s, or make it optional "
                           "(%s?); if it is an old field renamed, write @renamed_from(\"old_name\")",
                           m->name, f->name, type));
            }
            continue;
        }
        size_t oi = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, ofields)
        {
            if (x == of)
                break;
            oi++;
        }
        used[oi] = true;
        const char *ocol = jstr(of, "column");
        t->from[k] = dupstr(ocol ? ocol : "");
        if (t->from[k] == NULL) {
            b->oom = true;
            break;
        }
        if (renamed || !same(ocol, f->column)) {
            t->changed = true;
            if (renamed)
                change(b, DAL_CH_RENAME_FIELD, false,
                       fmt("rename field %s.%s to %s", m->name, jstr(of, "name"), f->name), NULL);
            else
                change(b, DAL_CH_RENAME_FIELD, false,
                       fmt("rename column %s.%s to %s (@column)", m->table, ocol ? ocol : "?", f->column), NULL);
        }
        char otype[160];
        old_type_text(of, otype, sizeof otype);
        const char *ot = jstr(of, "type");
        char nt[128];
        snprintf(nt, sizeof nt, "%s%s", f->type == DAL_ENUM ? "enum:" : "",
                 f->type == DAL_ENUM && f->enumt ? f->enumt->name : dal_type_name(f->type));
        bool olist = jbool(of, "list"), nlist = (f->flags & DAL_F_LIST) != 0;
        if (!same(ot, nt) || olist != nlist) {
            t->changed = true;
            if (ot != NULL && olist == nlist && !nlist && (b->down ? widens(nt, ot) : widens(ot, nt))) {
                change(b, DAL_CH_WIDEN, false, fmt("widen %s.%s from %s to %s", m->name, f->name, otype, type),
                       NULL);
            } else {
                change(b, DAL_CH_CHANGE_TYPE, !b->down,
                       fmt("change the type of %s.%s from %s to %s", m->name, f->name, otype, type),
                       fmt("changing a stored type is not automatic: keep %s.%s as %s and add a new field of type %s "
                           "(optional or with @default) beside it",
                           m->name, f->name, otype, type));
                t->rebuild = true;
            }
        }
        bool oopt = jbool(of, "optional"), nopt = (f->flags & DAL_F_OPTIONAL) != 0;
        if (oopt && !nopt) {
            t->changed = t->rebuild = true;
            change(b, DAL_CH_MAKE_REQUIRED, !b->down, fmt("make %s.%s required (was %s)", m->name, f->name, otype),
                   fmt("rows may hold no value: keep %s.%s optional (%s?)", m->name, f->name, type));
        } else if (!oopt && nopt) {
            t->changed = true;
            if (!nlist)
                t->rebuild = true; /* lists are stored NOT NULL either way */
            change(b, DAL_CH_MAKE_OPTIONAL, false, fmt("make %s.%s optional", m->name, f->name), NULL);
        }
        if (jbool(of, "id") != ((f->flags & DAL_F_ID) != 0) ||
            jbool(of, "sequence") != ((f->flags & DAL_F_SEQUENCE) != 0)) {
            t->changed = t->rebuild = true;
            change(b, DAL_CH_CHANGE_KEY, !b->down,
                   fmt("change @id / @sequence of %s.%s", m->name, f->name),
                   fmt("a changed primary key or @sequence needs a migration written by hand; keep %s.%s as it was",
                       m->name, f->name));
        }
        const cJSON *oref = cJSON_GetObjectItemCaseSensitive(of, "ref");
        bool ref_same;
        if (oref == NULL || f->ref == NULL) {
            ref_same = oref == NULL && f->ref == NULL;
        } else {
            const dal_model *rm = f->ref->model;
            const char *od = jstr(oref, "on_delete");
            static const char *const odn[] = {"restrict", "cascade", "set_null"};
            ref_same = same(mapped_model_name(b, pairs, n_pairs, jstr(oref, "model")), rm->name) &&
                       same(jstr(oref, "column"), rm->fields[f->ref->field].column) &&
                       same(od, odn[f->ref->on_delete <= DAL_ON_DELETE_SET_NULL ? f->ref->on_delete : 0]);
        }
        if (!ref_same) {
            t->changed = t->rebuild = true;
            change(b, DAL_CH_CHANGE_REF, false,
                   fmt("%s the reference of %s.%s (existing rows are checked)",
                       oref == NULL ? "add" : f->ref == NULL ? "remove" : "change", m->name, f->name),
                   NULL);
        }
    }
    int oi = 0;
    const cJSON *of;
    cJSON_ArrayForEach(of, ofields)
    {
        if (!b->oom && !used[oi]) {
            t->changed = t->rebuild = true;
            char otype[160];
            old_type_text(of, otype, sizeof otype);
            const char *on = jstr(of, "name");
            change(b, DAL_CH_DROP_FIELD, !b->down, fmt("drop field %s.%s (%s) and its data", m->name, on, otype),
                   fmt("if it was renamed, write @renamed_from(\"%s\") on its new name; otherwise keep %s.%s in "
                       "the schema (optional if it is no longer used): dropping stored data is never automatic",
                       on, m->name, on));
        }
        oi++;
    }
    free(used);
    /* primary key columns, in order */
    const cJSON *opk = cJSON_GetObjectItemCaseSensitive(om, "pk");
    bool pk_same = (size_t)cJSON_GetArraySize(opk) == m->n_pk;
    for (size_t k = 0; pk_same && k < m->n_pk; k++) {
        const char *oc = cJSON_IsString(cJSON_GetArrayItem(opk, (int)k)) ? cJSON_GetArrayItem(opk, (int)k)->valuestring
                                                                         : NULL;
        const char *src = t->from[m->pk[k]];
        pk_same = same(oc, src);
    }
    if (!pk_same && !b->oom) {
        bool listed = false;
        for (size_t i = 0; i < b->p->n_changes; i++)
            listed |= b->p->changes[i].kind == DAL_CH_CHANGE_KEY;
        t->changed = t->rebuild = true;
        if (!listed)
            change(b, DAL_CH_CHANGE_KEY, !b->down, fmt("change the primary key of %s", m->name),
                   fmt("a changed primary key needs a migration written by hand; keep the key of %s as it was",
                       m->name));
    }
}

/* Index identity: name, uniqueness and parts, compared with the old parts'
 * columns mapped through the renames of this table. */
static bool index_same(const dal_table_plan *t, const dal_model *m, const dal_index *x, const cJSON *ox)
{
    if (!same(jstr(ox, "name"), x->name) || jbool(ox, "unique") != x->unique)
        return false;
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(ox, "parts");
    if ((size_t)cJSON_GetArraySize(parts) != x->n_parts)
        return false;
    for (size_t p = 0; p < x->n_parts; p++) {
        const cJSON *op = cJSON_GetArrayItem(parts, (int)p);
        const char *src = t->from ? t->from[x->parts[p].field] : NULL;
        if (!same(jstr(op, "column"), src) || jbool(op, "desc") != x->parts[p].desc)
            return false;
        if (!same(src, m->fields[x->parts[p].field].column))
            return false; /* a renamed column: the index is made again under the new name */
    }
    return true;
}

static void diff_indexes(builder *b, dal_table_plan *t, const dal_model *m, const cJSON *om)
{
    const cJSON *oxs = cJSON_GetObjectItemCaseSensitive(om, "indexes");
    const cJSON *ox;
    bool table_renamed = !same(t->old_table, m->table);
    cJSON_ArrayForEach(ox, oxs)
    {
        bool kept = false;
        for (size_t i = 0; i < m->n_indexes && !kept; i++)
            kept = index_same(t, m, &m->indexes[i], ox);
        if (!kept) {
            t->changed = true;
            change(b, DAL_CH_DROP_INDEX, false, fmt("drop index %s", jstr(ox, "name") ? jstr(ox, "name") : "?"),
                   NULL);
            if (!t->rebuild)
                add_drop_index(b, jstr(ox, "name") ? jstr(ox, "name") : "");
        }
    }
    for (size_t i = 0; i < m->n_indexes; i++) {
        const dal_index *x = &m->indexes[i];
        bool existed = false;
        cJSON_ArrayForEach(ox, oxs) existed |= index_same(t, m, x, ox);
        if (!existed) {
            t->changed = true;
            change(b, DAL_CH_ADD_INDEX, false,
                   fmt("add %sindex %s on %s%s", x->unique ? "unique " : "", x->name, m->table,
                       x->unique ? " (existing rows are checked for duplicates)" : ""),
                   NULL);
        }
        if (!existed || t->rebuild)
            add_new_index(b, m, x);
    }
    (void)table_renamed;
}

/* ------------------------------------------------------------------------ */
/* Enums                                                                     */
/* ------------------------------------------------------------------------ */

static void diff_enums(builder *b, const dal_schema *s)
{
    const cJSON *oenums = cJSON_GetObjectItemCaseSensitive(b->old_doc, "enums");
    for (size_t i = 0; i < s->n_enums && !b->oom; i++) {
        const dal_enum *e = s->enums[i];
        const cJSON *oe = NULL, *x;
        cJSON_ArrayForEach(x, oenums) if (same(jstr(x, "name"), e->name)) oe = x;
        if (oe == NULL)
            continue; /* a new enum: fields of it are new or changed types */
        const cJSON *om = cJSON_GetObjectItemCaseSensitive(oe, "members");
        const cJSON *ov = cJSON_GetObjectItemCaseSensitive(oe, "values");
        if ((ov != NULL) != (e->values != NULL)) {
            change(b, DAL_CH_REMOVE_MEMBER, !b->down,
                   fmt("store enum %s as %s instead of %s", e->name, e->values ? "integers" : "names",
                       ov ? "integers" : "names"),
                   fmt("stored values of %s would be read differently: keep every member of %s %s", e->name, e->name,
                       ov ? "with its = value" : "without values"));
            continue;
        }
        int oi = 0;
        cJSON_ArrayForEach(x, om)
        {
            const char *name = cJSON_IsString(x) ? x->valuestring : "?";
            size_t k = 0;
            while (k < e->n && strcmp(e->names[k], name) != 0)
                k++;
            if (k == e->n) {
                change(b, DAL_CH_REMOVE_MEMBER, !b->down, fmt("remove member %s.%s", e->name, name),
                       fmt("rows may still hold %s.%s: keep the member in enum %s", e->name, name, e->name));
            } else if (ov != NULL) {
                const cJSON *v = cJSON_GetArrayItem(ov, oi);
                char buf[32];
                snprintf(buf, sizeof buf, "%" PRId64, e->values[k]);
                if (!cJSON_IsString(v) || strcmp(v->valuestring, buf) != 0)
                    change(b, DAL_CH_REMOVE_MEMBER, !b->down,
                           fmt("change the stored value of %s.%s from %s to %s", e->name, name,
                               cJSON_IsString(v) ? v->valuestring : "?", buf),
                           fmt("stored rows would change meaning: give %s.%s its old value = %s", e->name, name,
                               cJSON_IsString(v) ? v->valuestring : "?"));
            }
            oi++;
        }
        for (size_t k = 0; k < e->n; k++) {
            bool found = false;
            cJSON_ArrayForEach(x, om) found |= cJSON_IsString(x) && strcmp(x->valuestring, e->names[k]) == 0;
            if (!found)
                change(b, DAL_CH_ADD_MEMBER, false, fmt("add member %s.%s", e->name, e->names[k]), NULL);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The plan                                                                  */
/* ------------------------------------------------------------------------ */

dal_code dal_plan_build(const cJSON *old_doc, const dal_schema *s, bool down, dal_plan *out, dal_error *err)
{
    memset(out, 0, sizeof *out);
    const cJSON *fmtv = cJSON_GetObjectItemCaseSensitive(old_doc, "format");
    const cJSON *omodels = cJSON_GetObjectItemCaseSensitive(old_doc, "models");
    if (!cJSON_IsNumber(fmtv) || fmtv->valuedouble != 1 || !cJSON_IsArray(omodels))
        return dal_set_error(err, DAL_ERR_MIGRATION, "the recorded schema is not a format-1 schema document");
    builder b = {out, false, down, old_doc};
    size_t n_old = (size_t)cJSON_GetArraySize(omodels);
    bool *used = calloc(n_old + 1, sizeof *used);
    model_pair *pairs = calloc(s->n_models + 1, sizeof *pairs);
    if (used == NULL || pairs == NULL) {
        free(used);
        free(pairs);
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory planning a migration");
    }
    size_t n_pairs = 0;
    /* match models first (so references can follow renames) */
    for (size_t i = 0; i < s->n_models; i++) {
        const dal_model *m = s->models[i];
        if (m->table == NULL)
            continue;
        const cJSON *om = NULL, *x;
        size_t j = 0;
        cJSON_ArrayForEach(x, omodels)
        {
            if (!used[j] && same(jstr(x, "name"), m->name))
                om = x;
            j++;
        }
        if (om == NULL && !down && m->renamed_from != NULL) {
            j = 0;
            cJSON_ArrayForEach(x, omodels)
            {
                if (!used[j] && same(jstr(x, "name"), m->renamed_from))
                    om = x;
                j++;
            }
        }
        if (om == NULL && down) {
            j = 0;
            cJSON_ArrayForEach(x, omodels)
            {
                if (!used[j] && same(jstr(x, "renamed_from"), m->name))
                    om = x;
                j++;
            }
        }
        if (om != NULL) {
            j = 0;
            cJSON_ArrayForEach(x, omodels)
            {
                if (x == om)
                    used[j] = true;
                j++;
            }
        }
        pairs[n_pairs++] = (model_pair){m, om};
    }
    for (size_t i = 0; i < n_pairs && !b.oom; i++) {
        const dal_model *m = pairs[i].m;
        const cJSON *om = pairs[i].old;
        dal_table_plan *t = add_table(&b);
        if (t == NULL)
            break;
        t->m = m;
        if (om == NULL) {
            t->changed = true;
            change(&b, DAL_CH_ADD_MODEL, false, fmt("add model %s (table %s)", m->name, m->table), NULL);
            continue;
        }
        t->old_table = dupstr(jstr(om, "table") ? jstr(om, "table") : "");
        if (t->old_table == NULL) {
            b.oom = true;
            break;
        }
        if (!same(jstr(om, "name"), m->name)) {
            t->changed = true;
            change(&b, DAL_CH_RENAME_MODEL, false,
                   fmt("rename model %s to %s (table %s to %s)", jstr(om, "name"), m->name, t->old_table, m->table),
                   NULL);
        } else if (!same(t->old_table, m->table)) {
            t->changed = true;
            change(&b, DAL_CH_RENAME_TABLE, false, fmt("rename table %s to %s", t->old_table, m->table), NULL);
        }
        diff_fields(&b, t, m, om, pairs, n_pairs);
        if (!b.oom)
            diff_indexes(&b, t, m, om);
    }
    size_t j = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, omodels)
    {
        if (!b.oom && !used[j]) {
            const char *name = jstr(x, "name") ? jstr(x, "name") : "?";
            change(&b, DAL_CH_DROP_MODEL, !down, fmt("drop model %s (table %s) and its rows", name, jstr(x, "table")),
                   fmt("if it was renamed, write @@renamed_from(\"%s\") in the model's new declaration; otherwise "
                       "keep model %s in the schema: dropping stored rows is never automatic",
                       name, name));
            dal_table_plan *t = add_table(&b);
            if (t != NULL) {
                t->changed = true;
                t->old_table = dupstr(jstr(x, "table") ? jstr(x, "table") : "");
                b.oom |= t->old_table == NULL;
            }
        }
        j++;
    }
    if (!b.oom)
        diff_enums(&b, s);
    free(used);
    free(pairs);
    if (b.oom) {
        dal_plan_free(out);
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory planning a migration");
    }
    return DAL_OK;
}

void dal_plan_free(dal_plan *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_changes; i++) {
        free(p->changes[i].what);
        free(p->changes[i].fix);
    }
    for (size_t i = 0; i < p->n_tables; i++) {
        dal_table_plan *t = &p->tables[i];
        if (t->from != NULL && t->m != NULL)
            for (size_t k = 0; k < t->m->n_fields; k++)
                free(t->from[k]);
        free(t->from);
        free(t->old_table);
    }
    for (size_t i = 0; i < p->n_drop_indexes; i++)
        free(p->drop_indexes[i]);
    free(p->changes);
    free(p->tables);
    free(p->drop_indexes);
    free(p->new_indexes);
    free(p->new_index_models);
    memset(p, 0, sizeof *p);
}

bool dal_plan_empty(const dal_plan *p)
{
    for (size_t i = 0; i < p->n_tables; i++)
        if (p->tables[i].changed)
            return false;
    return p->n_drop_indexes == 0 && p->n_new_indexes == 0;
}

char *dal_plan_describe(const dal_plan *p)
{
    size_t len = 1;
    for (size_t i = 0; i < p->n_changes; i++)
        len += strlen(p->changes[i].what) + (p->changes[i].fix ? strlen(p->changes[i].fix) : 0) + 48;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    size_t at = 0;
    s[0] = '\0';
    for (size_t i = 0; i < p->n_changes; i++) {
        const dal_change *c = &p->changes[i];
        int k;
        if (c->decision)
            k = snprintf(s + at, len - at, "  - [needs a decision] %s -> %s\n", c->what, c->fix);
        else
            k = snprintf(s + at, len - at, "  - %s\n", c->what);
        if (k > 0)
            at += (size_t)k;
    }
    return s;
}

dal_code dal_plan_refuse(const dal_plan *p, const char *where, const char *why, dal_error *err)
{
    char *list = dal_plan_describe(p);
    dal_set_error(err, DAL_ERR_MIGRATION, "%s: %s: %zu pending change%s, %zu need%s a decision:\n%s", where, why,
                  p->n_changes, p->n_changes == 1 ? "" : "s", p->n_decisions, p->n_decisions == 1 ? "s" : "",
                  list ? list : "(out of memory listing them)\n");
    free(list);
    return DAL_ERR_MIGRATION;
}

