/*
 * dal_schema_doc.c - the canonical document of a schema (dal_migrate.h).
 *
 * Derived from the descriptors the generated code already holds, so every
 * program, whatever dalc made it, can describe its schema the same way, and
 * a database can carry the description of the schema that made it. Keys are
 * written in a fixed order and the text is compact JSON, so equal schemas
 * give equal text and equal checksums.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal_migrate.h"

static bool add_str(cJSON *o, const char *k, const char *v)
{
    return cJSON_AddStringToObject(o, k, v ? v : "") != NULL;
}

static bool add_bool(cJSON *o, const char *k, bool v)
{
    return cJSON_AddBoolToObject(o, k, v) != NULL;
}

/* "int", "enum:TaskStatus", ... */
static void type_text(const dal_field *f, char *buf, size_t size)
{
    if (f->type == DAL_ENUM && f->enumt != NULL)
        snprintf(buf, size, "enum:%s", f->enumt->name);
    else
        snprintf(buf, size, "%s", dal_type_name(f->type));
}

static cJSON *default_doc(const dal_field *f)
{
    const dal_default *d = &f->def;
    char buf[64];
    cJSON *o = NULL;
    switch (d->kind) {
    case DAL_DEF_NONE: return cJSON_CreateString("none");
    case DAL_DEF_NULL: return cJSON_CreateString("null");
    case DAL_DEF_NOW: return cJSON_CreateString("now");
    case DAL_DEF_UUID7: return cJSON_CreateString("uuid7");
    case DAL_DEF_UUID4: return cJSON_CreateString("uuid4");
    case DAL_DEF_EMPTY_LIST: return cJSON_CreateString("[]");
    case DAL_DEF_EMPTY_MAP: return cJSON_CreateString("{}");
    case DAL_DEF_INT:
        snprintf(buf, sizeof buf, "%" PRId64, d->i);
        o = cJSON_CreateObject();
        if (o && !add_str(o, "int", buf))
            goto fail;
        return o;
    case DAL_DEF_REAL:
        snprintf(buf, sizeof buf, "%.17g", d->d);
        o = cJSON_CreateObject();
        if (o && !add_str(o, "real", buf))
            goto fail;
        return o;
    case DAL_DEF_BOOL:
        o = cJSON_CreateObject();
        if (o && !add_bool(o, "bool", d->i != 0))
            goto fail;
        return o;
    case DAL_DEF_TEXT:
        o = cJSON_CreateObject();
        if (o && !add_str(o, "text", d->s))
            goto fail;
        return o;
    case DAL_DEF_ENUM: {
        const char *name = f->enumt ? dal_enum_name(f->enumt, (int)d->i) : NULL;
        o = cJSON_CreateObject();
        if (o && !add_str(o, "enum", name))
            goto fail;
        return o;
    }
    }
    return cJSON_CreateString("none");
fail:
    cJSON_Delete(o);
    return NULL;
}

static const char *on_delete_text(dal_on_delete d)
{
    switch (d) {
    case DAL_ON_DELETE_CASCADE: return "cascade";
    case DAL_ON_DELETE_SET_NULL: return "set_null";
    default: return "restrict";
    }
}

static cJSON *field_doc(const dal_field *f)
{
    char type[128];
    type_text(f, type, sizeof type);
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    bool ok = add_str(o, "name", f->name) && add_str(o, "column", f->column) && add_str(o, "type", type) &&
              add_bool(o, "optional", (f->flags & DAL_F_OPTIONAL) != 0) &&
              add_bool(o, "list", (f->flags & DAL_F_LIST) != 0) && add_bool(o, "id", (f->flags & DAL_F_ID) != 0) &&
              add_bool(o, "unique", (f->flags & DAL_F_UNIQUE) != 0) &&
              add_bool(o, "sequence", (f->flags & DAL_F_SEQUENCE) != 0) &&
              add_bool(o, "updated_now", (f->flags & DAL_F_UPDATED_NOW) != 0);
    cJSON *d = ok ? default_doc(f) : NULL;
    ok = d != NULL && cJSON_AddItemToObject(o, "default", d);
    if (d != NULL && !ok)
        cJSON_Delete(d);
    if (ok && f->ref != NULL) {
        cJSON *r = cJSON_AddObjectToObject(o, "ref");
        const dal_model *rm = f->ref->model;
        ok = r != NULL && add_str(r, "model", rm->name) && add_str(r, "table", rm->table) &&
             add_str(r, "column", rm->fields[f->ref->field].column) &&
             add_str(r, "on_delete", on_delete_text(f->ref->on_delete));
    }
    if (ok && f->renamed_from != NULL)
        ok = add_str(o, "renamed_from", f->renamed_from);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *index_doc(const dal_model *m, const dal_index *x)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *parts = o ? cJSON_AddArrayToObject(o, "parts") : NULL;
    bool ok = parts != NULL;
    for (size_t p = 0; ok && p < x->n_parts; p++) {
        cJSON *part = cJSON_CreateObject();
        ok = part != NULL && cJSON_AddItemToArray(parts, part) &&
             add_str(part, "column", m->fields[x->parts[p].field].column) && add_bool(part, "desc", x->parts[p].desc);
    }
    ok = ok && add_str(o, "name", x->name) && add_bool(o, "unique", x->unique) && add_bool(o, "derived", x->derived);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *model_doc(const dal_model *m)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    bool ok = add_str(o, "name", m->name) && add_str(o, "table", m->table);
    if (ok && m->renamed_from != NULL)
        ok = add_str(o, "renamed_from", m->renamed_from);
    cJSON *fields = ok ? cJSON_AddArrayToObject(o, "fields") : NULL;
    ok = fields != NULL;
    for (size_t i = 0; ok && i < m->n_fields; i++) {
        cJSON *f = field_doc(&m->fields[i]);
        ok = f != NULL && cJSON_AddItemToArray(fields, f);
        if (f != NULL && !ok)
            cJSON_Delete(f);
    }
    cJSON *pk = ok ? cJSON_AddArrayToObject(o, "pk") : NULL;
    ok = pk != NULL;
    for (size_t k = 0; ok && k < m->n_pk; k++) {
        cJSON *c = cJSON_CreateString(m->fields[m->pk[k]].column);
        ok = c != NULL && cJSON_AddItemToArray(pk, c);
    }
    cJSON *ix = ok ? cJSON_AddArrayToObject(o, "indexes") : NULL;
    ok = ix != NULL;
    for (size_t i = 0; ok && i < m->n_indexes; i++) {
        cJSON *x = index_doc(m, &m->indexes[i]);
        ok = x != NULL && cJSON_AddItemToArray(ix, x);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *enum_doc(const dal_enum *e)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && add_str(o, "name", e->name);
    cJSON *mem = ok ? cJSON_AddArrayToObject(o, "members") : NULL;
    ok = mem != NULL;
    for (size_t i = 0; ok && i < e->n; i++) {
        cJSON *s = cJSON_CreateString(e->names[i]);
        ok = s != NULL && cJSON_AddItemToArray(mem, s);
    }
    if (ok && e->values != NULL) {
        cJSON *vals = cJSON_AddArrayToObject(o, "values");
        ok = vals != NULL;
        for (size_t i = 0; ok && i < e->n; i++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%" PRId64, e->values[i]);
            cJSON *s = cJSON_CreateString(buf);
            ok = s != NULL && cJSON_AddItemToArray(vals, s);
        }
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *dal_schema_doc(const dal_schema *s)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && cJSON_AddNumberToObject(o, "format", 1) != NULL && add_str(o, "ns", s->ns);
    cJSON *enums = ok ? cJSON_AddArrayToObject(o, "enums") : NULL;
    ok = enums != NULL;
    for (size_t i = 0; ok && i < s->n_enums; i++) {
        cJSON *e = enum_doc(s->enums[i]);
        ok = e != NULL && cJSON_AddItemToArray(enums, e);
    }
    cJSON *models = ok ? cJSON_AddArrayToObject(o, "models") : NULL;
    ok = models != NULL;
    for (size_t i = 0; ok && i < s->n_models; i++) {
        if (s->models[i]->table == NULL)
            continue;
        cJSON *m = model_doc(s->models[i]);
        ok = m != NULL && cJSON_AddItemToArray(models, m);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

char *dal_schema_doc_text(const dal_schema *s)
{
    cJSON *doc = dal_schema_doc(s);
    if (doc == NULL)
        return NULL;
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

void dal_schema_checksum(const char *doc_text, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)doc_text; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    snprintf(out, 17, "%016" PRIx64, h);
}
