/*
 * dal_record.c - generic operations over a generated struct described by a
 * dal_model: defaults, clear, deep copy, equality, JSON, field access.
 *
 * Representation (what dalc emits; see dal.h):
 *   text char* | int, timestamp int64_t | i32 int32_t | u32 uint32_t |
 *   u64 uint64_t | real double | bool bool | uuid char[DAL_UUID_SIZE] ("" unset) |
 *   json, map<text>, map<json> cJSON* | enum int.
 *   Optional scalars have a bool at has_offset; optional pointers use NULL.
 *   Lists (never optional) are {size_t n; T *v;} at offset.
 *
 * Decisions where dal.h is silent (what a careful user expects):
 *   - A required text that is NULL means "" (serialized as "", equal to "").
 *     A required json that is NULL means JSON null; a required map that is
 *     NULL means {} (serialized as {}, equal to {}).
 *   - json fields: NULL and a cJSON null node are the same value (both print
 *     null; from_json stores null as NULL), for optional json fields too.
 *   - A required uuid that is "" (unset) is written as "" and "" reads back as
 *     unset; any other text must be a canonical 8-4-4-4-12 uuid (either case)
 *     and is stored in lower case. uuids compare case-insensitively.
 *   - Reals that are NaN or infinite are written as null (as serde_json does);
 *     from_json rejects null and out-of-double-range numbers for a real.
 *     NaN equals NaN in dal_record_equal.
 *   - Timestamps outside 0000..9999 (which RFC 3339 cannot express) are
 *     written as their exact integer microseconds, and from_json accepts an
 *     integer number of microseconds for any timestamp, so they round-trip.
 *   - An enum value that is not a member is written as its integer; from_json
 *     accepts member names only.
 *   - from_json: a missing field takes its @default when it has one (now and
 *     uuid7 are taken fresh), a missing optional without default is absent,
 *     a missing @sequence field is 0; anything else missing is an error.
 *     null is accepted for optionals and json fields only. List elements cannot
 *     be null. Duplicate keys in a cJSON tree: the first one counts.
 *   - dal_record_init cannot report failure: if memory runs out while applying
 *     a text or {} default, the field stays NULL, which means "" / {} / absent.
 *   - dal_field_value never shows a required field as null: a NULL required
 *     text is viewed as "", a NULL required json as a (static) null node and
 *     a NULL required map as a (static) empty object; do not modify them.
 *   - dal_field_set converts between compatible types (any integer type to
 *     another with a range check, integers to real, text to uuid/enum/timestamp,
 *     text to json by parsing it) and validates enum members and uuids; a
 *     failure (DAL_ERR_INVALID for misuse, DAL_ERR_SERIALIZATION for a bad
 *     value, DAL_ERR_NOMEM) leaves the field unchanged.
 * Every function frees what it allocated when it fails and leaves its target
 * unchanged.
 */
#include "dal.h"
#include "dal_backend.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A null node and an empty object that required json/map fields stand for. */
static const cJSON null_node = {.type = cJSON_NULL};
static const cJSON empty_object = {.type = cJSON_Object};

/* ------------------------------------------------------------------------ */
/* Field layout                                                              */
/* ------------------------------------------------------------------------ */

static void *slot_of(const dal_field *f, void *obj)
{
    return (char *)obj + f->offset;
}

static const void *cslot_of(const dal_field *f, const void *obj)
{
    return (const char *)obj + f->offset;
}

static bool is_list(const dal_field *f)
{
    return (f->flags & DAL_F_LIST) != 0;
}

static bool is_optional(const dal_field *f)
{
    return (f->flags & DAL_F_OPTIONAL) != 0 && !is_list(f);
}

static bool is_pointer_type(dal_type t)
{
    return t == DAL_TEXT || t == DAL_JSON || t == DAL_MAP_TEXT || t == DAL_MAP_JSON;
}

static bool is_json_type(dal_type t)
{
    return t == DAL_JSON || t == DAL_MAP_TEXT || t == DAL_MAP_JSON;
}

static void set_present(const dal_field *f, void *obj, bool present)
{
    if (f->has_offset != DAL_NO_OFFSET)
        *(bool *)((char *)obj + f->has_offset) = present;
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c != NULL)
        memcpy(c, s, n);
    return c;
}

/* Copies a canonical uuid (or "") in lower case. */
static void store_uuid(char dst[DAL_UUID_SIZE], const char *src)
{
    size_t i = 0;
    for (; i < DAL_UUID_SIZE - 1 && src[i] != '\0'; i++) {
        char c = src[i];
        dst[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    dst[i] = '\0';
}

static bool uuid_equal(const char *a, const char *b)
{
    for (size_t i = 0; i < DAL_UUID_SIZE - 1; i++) {
        char x = a[i] >= 'A' && a[i] <= 'F' ? (char)(a[i] - 'A' + 'a') : a[i];
        char y = b[i] >= 'A' && b[i] <= 'F' ? (char)(b[i] - 'A' + 'a') : b[i];
        if (x != y)
            return false;
        if (x == '\0')
            return true;
    }
    return true;
}

/* Frees what one value of type t at slot owns and resets it. */
static void free_value(dal_type t, void *slot)
{
    if (t == DAL_TEXT) {
        free(*(char **)slot);
        *(char **)slot = NULL;
    } else if (is_json_type(t)) {
        cJSON_Delete(*(cJSON **)slot);
        *(cJSON **)slot = NULL;
    }
}

static void free_list(dal_type t, dal_list *l)
{
    if (is_pointer_type(t)) {
        size_t size = dal_type_size(t);
        for (size_t i = 0; i < l->n; i++)
            free_value(t, (char *)l->v + i * size);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void free_field(const dal_field *f, void *obj)
{
    if (is_list(f))
        free_list(f->type, slot_of(f, obj));
    else
        free_value(f->type, slot_of(f, obj));
}

/* ------------------------------------------------------------------------ */
/* Presence and access                                                       */
/* ------------------------------------------------------------------------ */

bool dal_field_present(const dal_field *f, const void *obj)
{
    if (f == NULL || obj == NULL)
        return false;
    if (!is_optional(f))
        return true;
    if (f->has_offset != DAL_NO_OFFSET)
        return *(const bool *)((const char *)obj + f->has_offset);
    if (is_pointer_type(f->type))
        return *(void *const *)cslot_of(f, obj) != NULL;
    if (f->type == DAL_UUID)
        return ((const char *)cslot_of(f, obj))[0] != '\0';
    return true;
}

void *dal_field_ptr(const dal_field *f, void *obj)
{
    return f != NULL && obj != NULL ? slot_of(f, obj) : NULL;
}

const void *dal_field_cptr(const dal_field *f, const void *obj)
{
    return f != NULL && obj != NULL ? cslot_of(f, obj) : NULL;
}

/* A view of one value of type t at slot (a field or a list element). */
static dal_value slot_value(dal_type t, const void *slot)
{
    dal_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    switch (t) {
    case DAL_TEXT: {
        const char *s = *(char *const *)slot;
        v.as.s = s != NULL ? s : "";
        break;
    }
    case DAL_INT:
    case DAL_TIMESTAMP: v.as.i = *(const int64_t *)slot; break;
    case DAL_I32: v.as.i = *(const int32_t *)slot; break;
    case DAL_U32: v.as.u = *(const uint32_t *)slot; break;
    case DAL_U64: v.as.u = *(const uint64_t *)slot; break;
    case DAL_REAL: v.as.d = *(const double *)slot; break;
    case DAL_BOOL: v.as.i = *(const bool *)slot ? 1 : 0; break;
    case DAL_UUID: v.as.s = (const char *)slot; break;
    case DAL_JSON: {
        const cJSON *j = *(cJSON *const *)slot;
        v.as.json = j != NULL ? j : &null_node;
        break;
    }
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON: {
        const cJSON *j = *(cJSON *const *)slot;
        v.as.json = j != NULL ? j : &empty_object;
        break;
    }
    case DAL_ENUM: v.as.i = *(const int *)slot; break;
    }
    return v;
}

dal_value dal_field_value(const dal_field *f, const void *obj)
{
    dal_value v;
    memset(&v, 0, sizeof v);
    if (f == NULL || obj == NULL) {
        v.is_null = true;
        return v;
    }
    v.type = f->type;
    if (is_list(f)) {
        v.is_list = true;
        v.as.list = *(const dal_list *)cslot_of(f, obj);
        return v;
    }
    if (!dal_field_present(f, obj)) {
        v.is_null = true;
        return v;
    }
    return slot_value(f->type, cslot_of(f, obj));
}

/* ------------------------------------------------------------------------ */
/* Defaults                                                                  */
/* ------------------------------------------------------------------------ */

/* Stores integer i into a zeroed slot of type t; false when t holds no integer. */
static bool store_integer(dal_type t, void *slot, int64_t i)
{
    switch (t) {
    case DAL_INT:
    case DAL_TIMESTAMP: *(int64_t *)slot = i; return true;
    case DAL_I32: *(int32_t *)slot = (int32_t)i; return true;
    case DAL_U32: *(uint32_t *)slot = (uint32_t)i; return true;
    case DAL_U64: *(uint64_t *)slot = (uint64_t)i; return true;
    case DAL_REAL: *(double *)slot = (double)i; return true;
    case DAL_BOOL: *(bool *)slot = i != 0; return true;
    case DAL_ENUM: *(int *)slot = (int)i; return true;
    default: return false;
    }
}

/* Applies f's default to its zeroed slot in obj; now is the clock for DAL_DEF_NOW.
 * false only when memory ran out (the slot then stays zero). */
static bool apply_default(const dal_field *f, void *obj, int64_t now)
{
    if (is_list(f))
        return true; /* [] is the zeroed list; no other list default exists */
    void *slot = slot_of(f, obj);
    bool set = false;
    switch (f->def.kind) {
    case DAL_DEF_NONE:
    case DAL_DEF_NULL:
        return true;
    case DAL_DEF_EMPTY_LIST: /* json @default([]): an empty array */
        if (is_json_type(f->type)) {
            if ((*(cJSON **)slot = cJSON_CreateArray()) == NULL)
                return false;
            set = true;
        }
        break;
    case DAL_DEF_NOW:
        set = store_integer(f->type, slot, now);
        break;
    case DAL_DEF_UUID7:
    case DAL_DEF_UUID4: {
        char id[DAL_UUID_SIZE];
        if (f->def.kind == DAL_DEF_UUID7)
            dal_uuid7(id);
        else
            dal_uuid4(id);
        if (f->type == DAL_UUID) {
            memcpy(slot, id, sizeof id);
            set = true;
        } else if (f->type == DAL_TEXT) {
            if ((*(char **)slot = copy_string(id)) == NULL)
                return false;
            set = true;
        }
        break;
    }
    case DAL_DEF_EMPTY_MAP:
        if (is_json_type(f->type)) {
            if ((*(cJSON **)slot = cJSON_CreateObject()) == NULL)
                return false;
            set = true;
        }
        break;
    case DAL_DEF_INT:
    case DAL_DEF_BOOL:
    case DAL_DEF_ENUM:
        set = store_integer(f->type, slot, f->def.i);
        break;
    case DAL_DEF_REAL:
        if (f->type == DAL_REAL) {
            *(double *)slot = f->def.d;
            set = true;
        }
        break;
    case DAL_DEF_TEXT:
        if (f->type == DAL_TEXT && f->def.s != NULL) {
            if ((*(char **)slot = copy_string(f->def.s)) == NULL)
                return false;
            set = true;
        } else if (f->type == DAL_UUID && f->def.s != NULL) {
            store_uuid(slot, f->def.s);
            set = true;
        }
        break;
    }
    if (set)
        set_present(f, obj, true);
    return true;
}

void dal_record_init(const dal_model *m, void *obj)
{
    if (m == NULL || obj == NULL)
        return;
    memset(obj, 0, m->size);
    int64_t now = dal_now_us(); /* one instant: created_at == updated_at */
    for (size_t i = 0; i < m->n_fields; i++)
        (void)apply_default(&m->fields[i], obj, now);
}

void dal_record_clear(const dal_model *m, void *obj)
{
    if (m == NULL || obj == NULL)
        return;
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        /* only what holds memory: most fields are plain values, and a
         * record read in place of another often owns nothing now */
        if (is_list(f) ? ((dal_list *)slot_of(f, obj))->v != NULL
                       : is_pointer_type(f->type) && *(void **)slot_of(f, obj) != NULL)
            free_field(f, obj);
    }
    memset(obj, 0, m->size);
}

void dal_record_list_free(const dal_model *m, dal_list *list)
{
    if (list == NULL)
        return;
    if (m != NULL) {
        for (size_t i = 0; i < list->n; i++)
            dal_record_clear(m, (char *)list->v + i * m->size);
    }
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

/* ------------------------------------------------------------------------ */
/* Copy and equality                                                         */
/* ------------------------------------------------------------------------ */

/* Deep-copies one value of type t from src into the empty slot dst. */
static bool copy_value(dal_type t, void *dst, const void *src)
{
    if (t == DAL_TEXT) {
        const char *s = *(char *const *)src;
        *(char **)dst = NULL;
        return s == NULL || (*(char **)dst = copy_string(s)) != NULL;
    }
    if (is_json_type(t)) {
        const cJSON *j = *(cJSON *const *)src;
        *(cJSON **)dst = NULL;
        return j == NULL || (*(cJSON **)dst = cJSON_Duplicate(j, true)) != NULL;
    }
    memcpy(dst, src, dal_type_size(t));
    return true;
}

static bool copy_list(dal_type t, dal_list *dst, const dal_list *src)
{
    dst->n = 0;
    dst->v = NULL;
    if (src->n == 0)
        return true;
    size_t size = dal_type_size(t);
    char *v = calloc(src->n, size);
    if (v == NULL)
        return false;
    if (!is_pointer_type(t)) {
        memcpy(v, src->v, src->n * size);
    } else {
        for (size_t i = 0; i < src->n; i++) {
            if (!copy_value(t, v + i * size, (const char *)src->v + i * size)) {
                dal_list partial = {i, v};
                free_list(t, &partial);
                return false;
            }
        }
    }
    dst->n = src->n;
    dst->v = v;
    return true;
}

/* What dst owns is src's until copied: forget it without freeing. */
static void detach_field(const dal_field *f, void *dst)
{
    if (is_list(f))
        *(dal_list *)slot_of(f, dst) = (dal_list){0, NULL};
    else if (is_pointer_type(f->type))
        *(void **)slot_of(f, dst) = NULL;
}

/* A copy into rec failed at field failed: the fields after it still hold
 * the source's pointers. Detaches them and frees the copies made so far. */
static void free_partial_copy(const dal_model *m, void *rec, size_t failed)
{
    for (size_t k = failed + 1; k < m->n_fields; k++)
        detach_field(&m->fields[k], rec);
    dal_record_clear(m, rec);
}

dal_code dal_record_copy_fresh(const dal_model *m, void *dst, const void *src, dal_error *err)
{
    /* One pass: the bytes first, then each owned value replaced by its copy. */
    memcpy(dst, src, m->size);
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        bool ok;
        if (is_list(f))
            ok = copy_list(f->type, slot_of(f, dst), cslot_of(f, src));
        else if (is_pointer_type(f->type))
            ok = copy_value(f->type, slot_of(f, dst), cslot_of(f, src));
        else
            continue;
        if (!ok) {
            free_partial_copy(m, dst, i);
            return dal_set_error(err, DAL_ERR_NOMEM, "%s.%s: out of memory copying a record", m->name, f->name);
        }
    }
    return DAL_OK;
}

/* ---- copying into a record that holds values: reuse what fits ----------- */

/* Whether src fits the buffer of old: both NULL, or src no longer than old. */
static bool string_fits(const char *old, const char *src)
{
    if (old == NULL || src == NULL)
        return old == src;
    return strlen(src) <= strlen(old);
}

/* Whether the nodes from old on can take the values of the nodes from src on
 * in place: the same shape (types, keys, lengths of every list) and strings
 * that fit. Nodes whose buffers cJSON does not own are never reused. */
static bool json_fits(const cJSON *old, const cJSON *src, bool siblings)
{
    for (; old != NULL && src != NULL; old = old->next, src = src->next) {
        if (old->type != src->type || (old->type & (cJSON_IsReference | cJSON_StringIsConst)) != 0)
            return false;
        if ((old->string == NULL) != (src->string == NULL) ||
            (old->string != NULL && strcmp(old->string, src->string) != 0))
            return false;
        if (!string_fits(old->valuestring, src->valuestring) || !json_fits(old->child, src->child, true))
            return false;
        if (!siblings)
            return true;
    }
    return old == NULL && src == NULL;
}

/* Writes src's values into old, which json_fits accepted. */
static void json_overwrite(cJSON *old, const cJSON *src, bool siblings)
{
    for (; old != NULL; old = old->next, src = src->next) {
        old->valueint = src->valueint;
        old->valuedouble = src->valuedouble;
        if (src->valuestring != NULL)
            memmove(old->valuestring, src->valuestring, strlen(src->valuestring) + 1);
        json_overwrite(old->child, src->child, true);
        if (!siblings)
            return;
    }
}

/* Whether field f of dst can take src's value without allocating. */
static bool field_fits(const dal_field *f, const void *dst, const void *src)
{
    const void *d = cslot_of(f, dst), *q = cslot_of(f, src);
    if (is_list(f)) {
        const dal_list *ld = d, *lq = q;
        return !is_pointer_type(f->type) && lq->n > 0 && ld->n >= lq->n;
    }
    if (f->type == DAL_TEXT)
        return *(char *const *)d != NULL && string_fits(*(char *const *)d, *(char *const *)q);
    const cJSON *jd = *(cJSON *const *)d, *jq = *(cJSON *const *)q;
    return jd != NULL && jq != NULL && json_fits(jd, jq, false);
}

/* Gives dst's buffer of field f src's value (field_fits said it fits) and
 * moves it into the slot of tmp. memmove: the two may be one buffer when a
 * caller copied a record shallowly. */
static void field_overwrite(const dal_field *f, void *dst, const void *src, void *tmp)
{
    void *d = slot_of(f, dst), *t = slot_of(f, tmp);
    const void *q = cslot_of(f, src);
    if (is_list(f)) {
        dal_list *ld = d;
        const dal_list *lq = q;
        memmove(ld->v, lq->v, lq->n * dal_type_size(f->type));
        *(dal_list *)t = (dal_list){lq->n, ld->v};
        *ld = (dal_list){0, NULL};
    } else if (f->type == DAL_TEXT) {
        const char *s = *(char *const *)q;
        memmove(*(char **)d, s, strlen(s) + 1);
        *(char **)t = *(char **)d;
        *(char **)d = NULL;
    } else {
        json_overwrite(*(cJSON **)d, *(cJSON *const *)q, false);
        *(cJSON **)t = *(cJSON **)d;
        *(cJSON **)d = NULL;
    }
}

/* A record read again and again into the same struct (a worker's loop) keeps
 * its buffers: a text, list or JSON value whose new contents fit the old
 * buffers is overwritten in place instead of freed and allocated again.
 * Everything that may fail (the other copies) happens before dst changes. */
dal_code dal_record_copy(const dal_model *m, void *dst, const void *src, dal_error *err)
{
    if (m == NULL || dst == NULL || src == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_record_copy: NULL argument");
    if (dst == src)
        return DAL_OK;
    union {
        max_align_t align;
        char bytes[1024];
    } local;
    void *tmp = m->size <= sizeof local.bytes ? local.bytes : malloc(m->size);
    if (tmp == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "%s: out of memory copying a record", m->name);
    uint64_t reuse = 0; /* fields 0..63 whose dst buffers take the new value */
    memcpy(tmp, src, m->size);
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        if (!is_list(f) && !is_pointer_type(f->type))
            continue;
        if (i < 64 && field_fits(f, dst, src)) {
            reuse |= UINT64_C(1) << i;
            detach_field(f, tmp);
            continue;
        }
        bool ok = is_list(f) ? copy_list(f->type, slot_of(f, tmp), cslot_of(f, src))
                             : copy_value(f->type, slot_of(f, tmp), cslot_of(f, src));
        if (!ok) {
            free_partial_copy(m, tmp, i); /* dst is as it was */
            if (tmp != local.bytes)
                free(tmp);
            return dal_set_error(err, DAL_ERR_NOMEM, "%s.%s: out of memory copying a record", m->name, f->name);
        }
    }
    for (size_t i = 0; i < m->n_fields && i < 64; i++)
        if (reuse & (UINT64_C(1) << i))
            field_overwrite(&m->fields[i], dst, src, tmp);
    dal_record_clear(m, dst); /* what was not reused */
    memcpy(dst, tmp, m->size);
    if (tmp != local.bytes)
        free(tmp);
    return DAL_OK;
}

static bool value_equal(dal_type t, const void *a, const void *b)
{
    switch (t) {
    case DAL_TEXT: {
        const char *x = *(char *const *)a, *y = *(char *const *)b;
        return strcmp(x != NULL ? x : "", y != NULL ? y : "") == 0;
    }
    case DAL_INT:
    case DAL_TIMESTAMP: return *(const int64_t *)a == *(const int64_t *)b;
    case DAL_I32: return *(const int32_t *)a == *(const int32_t *)b;
    case DAL_U32: return *(const uint32_t *)a == *(const uint32_t *)b;
    case DAL_U64: return *(const uint64_t *)a == *(const uint64_t *)b;
    case DAL_REAL: {
        double x = *(const double *)a, y = *(const double *)b;
        return x == y || (isnan(x) && isnan(y));
    }
    case DAL_BOOL: return *(const bool *)a == *(const bool *)b;
    case DAL_UUID: return uuid_equal(a, b);
    case DAL_JSON: return dal_json_equal(*(cJSON *const *)a, *(cJSON *const *)b);
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON: {
        const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
        return dal_json_equal(x != NULL ? x : &empty_object, y != NULL ? y : &empty_object);
    }
    case DAL_ENUM: return *(const int *)a == *(const int *)b;
    }
    return false;
}

static bool field_equal(const dal_field *f, const void *a, const void *b)
{
    const void *sa = cslot_of(f, a), *sb = cslot_of(f, b);
    if (is_list(f)) {
        const dal_list *la = sa, *lb = sb;
        if (la->n != lb->n)
            return false;
        size_t size = dal_type_size(f->type);
        for (size_t i = 0; i < la->n; i++)
            if (!value_equal(f->type, (const char *)la->v + i * size, (const char *)lb->v + i * size))
                return false;
        return true;
    }
    if (f->type == DAL_JSON) /* absent and null are one value */
        return value_equal(f->type, sa, sb);
    bool pa = dal_field_present(f, a), pb = dal_field_present(f, b);
    if (pa != pb)
        return false;
    return !pa || value_equal(f->type, sa, sb);
}

bool dal_record_equal(const dal_model *m, const void *a, const void *b)
{
    if (a == b)
        return true;
    if (m == NULL || a == NULL || b == NULL)
        return false;
    for (size_t i = 0; i < m->n_fields; i++)
        if (!field_equal(&m->fields[i], a, b))
            return false;
    return true;
}

/* ------------------------------------------------------------------------ */
/* To JSON                                                                   */
/* ------------------------------------------------------------------------ */

/* A number node that carries its exact decimal text (printed as such). */
static cJSON *exact_number(const char *text, double approx)
{
    size_t n = strlen(text) + 1;
    char *copy = cJSON_malloc(n);
    if (copy == NULL)
        return NULL;
    memcpy(copy, text, n);
    cJSON *node = cJSON_CreateNumber(approx);
    if (node == NULL) {
        cJSON_free(copy);
        return NULL;
    }
    node->valuestring = copy;
    return node;
}

/* Decimal text of a magnitude with an optional minus, into buf[24]. */
static const char *decimal_text(uint64_t mag, bool neg, char buf[24])
{
    char *p = buf + 23;
    *p = '\0';
    do {
        *--p = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag != 0);
    if (neg)
        *--p = '-';
    return p;
}

static cJSON *exact_int64(int64_t v)
{
    char buf[24];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return exact_number(decimal_text(mag, v < 0, buf), (double)v);
}

static cJSON *exact_uint64(uint64_t v)
{
    char buf[24];
    return exact_number(decimal_text(v, false, buf), (double)v);
}

/* JSON for one value of field f's type at slot; NULL when out of memory. */
static cJSON *value_to_cjson(const dal_field *f, const void *slot)
{
    switch (f->type) {
    case DAL_TEXT: {
        const char *s = *(char *const *)slot;
        return cJSON_CreateString(s != NULL ? s : "");
    }
    case DAL_INT: return exact_int64(*(const int64_t *)slot);
    case DAL_I32: return cJSON_CreateNumber(*(const int32_t *)slot);
    case DAL_U32: return cJSON_CreateNumber(*(const uint32_t *)slot);
    case DAL_U64: return exact_uint64(*(const uint64_t *)slot);
    case DAL_REAL: {
        double d = *(const double *)slot;
        return isfinite(d) ? cJSON_CreateNumber(d) : cJSON_CreateNull();
    }
    case DAL_BOOL: return cJSON_CreateBool(*(const bool *)slot);
    case DAL_TIMESTAMP: {
        char text[DAL_TIME_SIZE];
        int64_t us = *(const int64_t *)slot;
        return dal_time_format(us, text) ? cJSON_CreateString(text) : exact_int64(us);
    }
    case DAL_UUID: {
        char text[DAL_UUID_SIZE];
        store_uuid(text, slot); /* bounded: the field may lack its NUL */
        return cJSON_CreateString(text);
    }
    case DAL_JSON: {
        const cJSON *j = *(cJSON *const *)slot;
        return j != NULL ? cJSON_Duplicate(j, true) : cJSON_CreateNull();
    }
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON: {
        const cJSON *j = *(cJSON *const *)slot;
        return j != NULL ? cJSON_Duplicate(j, true) : cJSON_CreateObject();
    }
    case DAL_ENUM: {
        int v = *(const int *)slot;
        const char *name = dal_enum_name(f->enumt, v);
        return name != NULL ? cJSON_CreateString(name) : exact_int64(v);
    }
    }
    return cJSON_CreateNull();
}

static cJSON *field_to_cjson(const dal_field *f, const void *obj)
{
    if (is_list(f)) {
        const dal_list *l = cslot_of(f, obj);
        cJSON *arr = cJSON_CreateArray();
        size_t size = dal_type_size(f->type);
        for (size_t i = 0; arr != NULL && i < l->n; i++) {
            cJSON *item = value_to_cjson(f, (const char *)l->v + i * size);
            if (item == NULL) {
                cJSON_Delete(arr);
                return NULL;
            }
            cJSON_AddItemToArray(arr, item);
        }
        return arr;
    }
    if (!dal_field_present(f, obj))
        return cJSON_CreateNull();
    return value_to_cjson(f, cslot_of(f, obj));
}

/* const_keys: reference the model's field names instead of copying them
 * (only for trees that do not outlive the call). */
static cJSON *record_to_cjson(const dal_model *m, const void *obj, bool const_keys)
{
    if (m == NULL || obj == NULL)
        return NULL;
    cJSON *json = cJSON_CreateObject();
    if (json == NULL)
        return NULL;
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        cJSON *item = field_to_cjson(f, obj);
        if (item == NULL) {
            cJSON_Delete(json);
            return NULL;
        }
        bool added = const_keys ? cJSON_AddItemToObjectCS(json, f->name, item)
                                : cJSON_AddItemToObject(json, f->name, item);
        if (!added) {
            cJSON_Delete(item);
            cJSON_Delete(json);
            return NULL;
        }
    }
    return json;
}

cJSON *dal_record_to_cjson(const dal_model *m, const void *obj)
{
    return record_to_cjson(m, obj, false);
}

char *dal_record_to_json(const dal_model *m, const void *obj)
{
    cJSON *json = record_to_cjson(m, obj, true);
    if (json == NULL)
        return NULL;
    char *text = dal_json_print(json);
    cJSON_Delete(json);
    return text;
}

/* ------------------------------------------------------------------------ */
/* From JSON                                                                 */
/* ------------------------------------------------------------------------ */

/* "a string", "an object", ... or the number itself, for messages. */
static const char *describe_json(const cJSON *item, char *buf, size_t cap)
{
    switch (item != NULL ? item->type & 0xFF : cJSON_NULL) {
    case cJSON_False:
    case cJSON_True: return "a boolean";
    case cJSON_NULL: return "null";
    case cJSON_String: return "a string";
    case cJSON_Array: return "an array";
    case cJSON_Object: return "an object";
    case cJSON_Number: {
        char *text = dal_json_print(item);
        if (text == NULL)
            return "a number";
        snprintf(buf, cap, "%s", text);
        free(text);
        return buf;
    }
    default: return "an invalid node";
    }
}

/* Where a value sits, for messages: "Model.field", "Model.field[3]",
 * "Model.field[\"key\"]" (model may be NULL). Turned into text only when an
 * error is reported, so the success path formats nothing. */
typedef struct place {
    const char *model;
    const char *field;
    size_t index;
    bool indexed;
    const char *key;
} place;

static const char *place_text(const place *p, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s%s%s", p->model != NULL ? p->model : "", p->model != NULL ? "." : "", p->field);
    if (n >= 0 && (size_t)n < cap && p->indexed)
        n += snprintf(buf + n, cap - (size_t)n, "[%zu]", p->index);
    if (n >= 0 && (size_t)n < cap && p->key != NULL)
        snprintf(buf + n, cap - (size_t)n, "[\"%.64s\"]", p->key);
    return buf;
}

/* Sets err to "<place>: <message>". */
static dal_code place_error(dal_error *err, dal_code code, const place *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static dal_code place_error(dal_error *err, dal_code code, const place *p, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    char where[256], message[DAL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return dal_set_error(err, code, "%s: %s", place_text(p, where, sizeof where), message);
}

static dal_code type_error(dal_error *err, const place *where, const char *expected, const cJSON *item)
{
    char buf[64];
    return place_error(err, DAL_ERR_SERIALIZATION, where, "expected %s, got %s", expected,
                       describe_json(item, buf, sizeof buf));
}

static dal_code nomem_error(dal_error *err, const place *where)
{
    return place_error(err, DAL_ERR_NOMEM, where, "out of memory");
}

/* Integers with a range check; lo/hi as text for the message. */
static dal_code json_signed(const cJSON *item, int64_t lo, int64_t hi, int64_t *out, const place *where,
                            dal_error *err)
{
    int64_t v;
    if (!cJSON_IsNumber(item) || !dal_json_int64(item, &v) || v < lo || v > hi) {
        char expected[80];
        snprintf(expected, sizeof expected, "an integer in %" PRId64 "..%" PRId64, lo, hi);
        return type_error(err, where, expected, item);
    }
    *out = v;
    return DAL_OK;
}

static dal_code json_unsigned(const cJSON *item, uint64_t hi, uint64_t *out, const place *where, dal_error *err)
{
    uint64_t v;
    if (!cJSON_IsNumber(item) || !dal_json_uint64(item, &v) || v > hi) {
        char expected[80];
        snprintf(expected, sizeof expected, "an integer in 0..%" PRIu64, hi);
        return type_error(err, where, expected, item);
    }
    *out = v;
    return DAL_OK;
}

static dal_code json_timestamp(const cJSON *item, int64_t *out, const place *where, dal_error *err)
{
    if (cJSON_IsString(item)) {
        if (!dal_time_parse(item->valuestring, out))
            return place_error(err, DAL_ERR_SERIALIZATION, where,
                               "bad timestamp \"%.64s\" (expected RFC 3339 such as 2026-11-29T05:33:30.123456Z)",
                               item->valuestring);
        return DAL_OK;
    }
    if (cJSON_IsNumber(item) && dal_json_int64(item, out))
        return DAL_OK; /* microseconds: how out-of-range timestamps are written */
    return type_error(err, where, "an RFC 3339 timestamp string", item);
}

/* Checks that item fits a map field: an object, of strings for map<text>. */
static dal_code check_map(const dal_field *f, const cJSON *item, const place *where, dal_error *err)
{
    if (!cJSON_IsObject(item))
        return type_error(err, where, "an object", item);
    if (f->type == DAL_MAP_TEXT) {
        for (const cJSON *c = item->child; c != NULL; c = c->next) {
            if (!cJSON_IsString(c)) {
                place inner = *where;
                inner.key = c->string != NULL ? c->string : "";
                return type_error(err, &inner, "a string", c);
            }
        }
    }
    return DAL_OK;
}

static dal_code json_map(const dal_field *f, const cJSON *item, cJSON **out, const place *where, dal_error *err)
{
    dal_code rc = check_map(f, item, where, err);
    if (rc != DAL_OK)
        return rc;
    if ((*out = cJSON_Duplicate(item, true)) == NULL)
        return nomem_error(err, where);
    return DAL_OK;
}

/* Reads one non-null JSON value into the empty slot of field f's type. */
static dal_code value_from_cjson(const dal_field *f, void *slot, const cJSON *item, const place *where,
                                 dal_error *err)
{
    int64_t i = 0;
    uint64_t u = 0;
    dal_code rc = DAL_OK;
    switch (f->type) {
    case DAL_TEXT:
        if (!cJSON_IsString(item))
            return type_error(err, where, "a string", item);
        if ((*(char **)slot = copy_string(item->valuestring)) == NULL)
            return nomem_error(err, where);
        return DAL_OK;
    case DAL_INT:
        if ((rc = json_signed(item, INT64_MIN, INT64_MAX, &i, where, err)) == DAL_OK)
            *(int64_t *)slot = i;
        return rc;
    case DAL_I32:
        if ((rc = json_signed(item, INT32_MIN, INT32_MAX, &i, where, err)) == DAL_OK)
            *(int32_t *)slot = (int32_t)i;
        return rc;
    case DAL_U32:
        if ((rc = json_unsigned(item, UINT32_MAX, &u, where, err)) == DAL_OK)
            *(uint32_t *)slot = (uint32_t)u;
        return rc;
    case DAL_U64:
        if ((rc = json_unsigned(item, UINT64_MAX, &u, where, err)) == DAL_OK)
            *(uint64_t *)slot = u;
        return rc;
    case DAL_REAL:
        if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
            return type_error(err, where, "a finite number", item);
        *(double *)slot = item->valuedouble;
        return DAL_OK;
    case DAL_BOOL:
        if (!cJSON_IsBool(item))
            return type_error(err, where, "true or false", item);
        *(bool *)slot = cJSON_IsTrue(item);
        return DAL_OK;
    case DAL_TIMESTAMP:
        if ((rc = json_timestamp(item, &i, where, err)) == DAL_OK)
            *(int64_t *)slot = i;
        return rc;
    case DAL_UUID:
        if (!cJSON_IsString(item))
            return type_error(err, where, "a uuid string", item);
        if (item->valuestring[0] != '\0' && !dal_uuid_valid(item->valuestring))
            return place_error(err, DAL_ERR_SERIALIZATION, where, "not a canonical uuid: \"%.64s\"",
                               item->valuestring);
        store_uuid(slot, item->valuestring);
        return DAL_OK;
    case DAL_JSON:
        if ((*(cJSON **)slot = cJSON_Duplicate(item, true)) == NULL)
            return nomem_error(err, where);
        return DAL_OK;
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON:
        return json_map(f, item, (cJSON **)slot, where, err);
    case DAL_ENUM: {
        const char *ename = f->enumt != NULL ? f->enumt->name : "enum";
        if (!cJSON_IsString(item)) {
            char expected[96];
            snprintf(expected, sizeof expected, "a %s member name", ename);
            return type_error(err, where, expected, item);
        }
        int v;
        if (!dal_enum_from_name(f->enumt, item->valuestring, &v))
            return place_error(err, DAL_ERR_SERIALIZATION, where, "unknown %s member \"%.64s\"", ename,
                               item->valuestring);
        *(int *)slot = v;
        return DAL_OK;
    }
    }
    return place_error(err, DAL_ERR_INVALID, where, "unknown field type %d", (int)f->type);
}

static dal_code list_from_cjson(const dal_field *f, dal_list *out, const cJSON *item, const place *where,
                                dal_error *err)
{
    if (!cJSON_IsArray(item))
        return type_error(err, where, "an array", item);
    size_t n = 0;
    for (const cJSON *c = item->child; c != NULL; c = c->next)
        n++;
    if (n == 0)
        return DAL_OK;
    size_t size = dal_type_size(f->type);
    dal_list l = {0, calloc(n, size)};
    if (l.v == NULL)
        return nomem_error(err, where);
    for (const cJSON *c = item->child; c != NULL; c = c->next, l.n++) {
        place elem = *where;
        elem.index = l.n;
        elem.indexed = true;
        dal_code rc = cJSON_IsNull(c) ? type_error(err, &elem, "a value (list elements cannot be null)", c)
                                      : value_from_cjson(f, (char *)l.v + l.n * size, c, &elem, err);
        if (rc != DAL_OK) {
            free_list(f->type, &l);
            return rc;
        }
    }
    *out = l;
    return DAL_OK;
}

/* Fills field f of the zeroed record tmp from item (NULL when the key is missing). */
static dal_code field_from_cjson(const dal_model *m, const dal_field *f, void *tmp, const cJSON *item,
                                 int64_t now, dal_error *err)
{
    place where = {m->name, f->name, 0, false, NULL};
    if (item == NULL) {
        if (f->def.kind != DAL_DEF_NONE)
            return apply_default(f, tmp, now) ? DAL_OK : nomem_error(err, &where);
        if (is_optional(f) || (f->flags & DAL_F_SEQUENCE) != 0)
            return DAL_OK;
        return place_error(err, DAL_ERR_SERIALIZATION, &where, "missing required field");
    }
    if (is_list(f))
        return list_from_cjson(f, slot_of(f, tmp), item, &where, err);
    if (cJSON_IsNull(item)) {
        if (is_optional(f) || f->type == DAL_JSON)
            return DAL_OK; /* absent / JSON null: the zeroed slot */
        return type_error(err, &where, f->type == DAL_REAL ? "a finite number" : "a value (the field is required)",
                          item);
    }
    dal_code rc = value_from_cjson(f, slot_of(f, tmp), item, &where, err);
    if (rc == DAL_OK)
        set_present(f, tmp, true);
    return rc;
}

/* The member named key, looking first at *cursor (members usually come in
 * field order, as dal_record_to_json writes them); advances *cursor past it. */
static const cJSON *find_member(const cJSON *obj, const char *key, const cJSON **cursor)
{
    const cJSON *hit = NULL;
    if (*cursor != NULL && (*cursor)->string != NULL && strcmp((*cursor)->string, key) == 0)
        hit = *cursor;
    for (const cJSON *c = obj->child; hit == NULL && c != NULL; c = c->next)
        if (c->string != NULL && strcmp(c->string, key) == 0)
            hit = c;
    if (hit != NULL)
        *cursor = hit->next;
    return hit;
}

dal_code dal_record_from_cjson(const dal_model *m, void *obj, const cJSON *json, dal_error *err)
{
    if (m == NULL || obj == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_record_from_cjson: NULL argument");
    if (!cJSON_IsObject(json)) {
        char buf[64];
        return dal_set_error(err, DAL_ERR_SERIALIZATION, "%s: expected a JSON object, got %s", m->name,
                             describe_json(json, buf, sizeof buf));
    }
    void *tmp = calloc(1, m->size);
    if (tmp == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "%s: out of memory", m->name);
    int64_t now = dal_now_us();
    const cJSON *cursor = json->child;
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        dal_code rc = field_from_cjson(m, f, tmp, find_member(json, f->name, &cursor), now, err);
        if (rc != DAL_OK) {
            dal_record_clear(m, tmp);
            free(tmp);
            return rc;
        }
    }
    dal_record_clear(m, obj);
    memcpy(obj, tmp, m->size);
    free(tmp);
    return DAL_OK;
}

dal_code dal_record_from_json(const dal_model *m, void *obj, const char *text, dal_error *err)
{
    if (m == NULL || obj == NULL || text == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_record_from_json: NULL argument");
    cJSON *json = NULL;
    dal_code rc = dal_json_parse(text, strlen(text), &json, err);
    if (rc != DAL_OK) {
        dal_error_prefix(err, "%s", m->name);
        return rc;
    }
    rc = dal_record_from_cjson(m, obj, json, err);
    cJSON_Delete(json);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* dal_field_set                                                             */
/* ------------------------------------------------------------------------ */

static bool is_signed_source(dal_type t)
{
    return t == DAL_INT || t == DAL_I32 || t == DAL_TIMESTAMP || t == DAL_ENUM || t == DAL_BOOL;
}

/* v as an integer: *neg/mag, for any integer type (or an integral real). */
static bool value_integer(const dal_value *v, bool *neg, uint64_t *mag)
{
    if (is_signed_source(v->type)) {
        *neg = v->as.i < 0;
        *mag = *neg ? (uint64_t)0 - (uint64_t)v->as.i : (uint64_t)v->as.i;
        return true;
    }
    if (v->type == DAL_U32 || v->type == DAL_U64) {
        *neg = false;
        *mag = v->as.u;
        return true;
    }
    if (v->type == DAL_REAL) {
        double d = v->as.d;
        double a = d < 0 ? -d : d;
        if (!isfinite(d) || a >= 18446744073709551616.0)
            return false;
        *mag = (uint64_t)a;
        if ((double)*mag != a) /* a fraction was cut off */
            return false;
        *neg = d < 0;
        return true;
    }
    return false;
}

/* The integer in v when it lies in lo..hi (signed view). */
static bool integer_in(const dal_value *v, int64_t lo, int64_t hi, int64_t *out)
{
    bool neg;
    uint64_t mag;
    if (!value_integer(v, &neg, &mag))
        return false;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return false;
        int64_t x = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        if (x < lo)
            return false;
        *out = x;
        return true;
    }
    if (mag > (uint64_t)hi)
        return false;
    *out = (int64_t)mag;
    return true;
}

static dal_code bad_value(const char *where, const dal_value *v, const char *expected, dal_error *err)
{
    return dal_set_error(err, DAL_ERR_SERIALIZATION, "%s: expected %s, got a %s value", where, expected,
                         dal_type_name(v->type));
}

static dal_code json_value_copy(const dal_field *f, const dal_value *v, cJSON **out, const char *where,
                                dal_error *err)
{
    cJSON *copy = NULL;
    if (v->type == DAL_TEXT || v->type == DAL_UUID) {
        const char *s = v->as.s != NULL ? v->as.s : "";
        dal_code rc = dal_json_parse(s, strlen(s), &copy, err);
        if (rc != DAL_OK) {
            dal_error_prefix(err, "%s", where);
            return rc;
        }
    } else if (is_json_type(v->type)) {
        if (v->as.json != NULL && (copy = cJSON_Duplicate(v->as.json, true)) == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "%s: out of memory", where);
    } else {
        return bad_value(where, v, "json", err);
    }
    if (f->type != DAL_JSON) {
        place pl = {NULL, where, 0, false, NULL};
        dal_code rc = check_map(f, copy != NULL ? copy : &null_node, &pl, err);
        if (rc != DAL_OK) {
            cJSON_Delete(copy);
            return rc;
        }
    } else if (cJSON_IsNull(copy)) {
        cJSON_Delete(copy);
        copy = NULL;
    }
    *out = copy;
    return DAL_OK;
}

/* Converts v (not null, not a list) into the empty slot of type f->type. */
static dal_code value_from_dal(const dal_field *f, void *slot, const dal_value *v, const char *where,
                               dal_error *err)
{
    int64_t i;
    switch (f->type) {
    case DAL_TEXT:
        if (v->type != DAL_TEXT && v->type != DAL_UUID)
            return bad_value(where, v, "text", err);
        if ((*(char **)slot = copy_string(v->as.s != NULL ? v->as.s : "")) == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "%s: out of memory", where);
        return DAL_OK;
    case DAL_UUID: {
        const char *s = v->as.s != NULL ? v->as.s : "";
        if (v->type != DAL_TEXT && v->type != DAL_UUID)
            return bad_value(where, v, "a uuid", err);
        if (s[0] != '\0' && !dal_uuid_valid(s))
            return dal_set_error(err, DAL_ERR_SERIALIZATION, "%s: not a canonical uuid: \"%.64s\"", where, s);
        store_uuid(slot, s);
        return DAL_OK;
    }
    case DAL_INT:
        if (!integer_in(v, INT64_MIN, INT64_MAX, &i))
            return bad_value(where, v, "an integer in -9223372036854775808..9223372036854775807", err);
        *(int64_t *)slot = i;
        return DAL_OK;
    case DAL_TIMESTAMP:
        if (v->type == DAL_TEXT) {
            if (v->as.s == NULL || !dal_time_parse(v->as.s, &i))
                return dal_set_error(err, DAL_ERR_SERIALIZATION, "%s: bad timestamp \"%.64s\"", where,
                                     v->as.s != NULL ? v->as.s : "");
        } else if (!integer_in(v, INT64_MIN, INT64_MAX, &i)) {
            return bad_value(where, v, "a timestamp", err);
        }
        *(int64_t *)slot = i;
        return DAL_OK;
    case DAL_I32:
        if (!integer_in(v, INT32_MIN, INT32_MAX, &i))
            return bad_value(where, v, "an integer in -2147483648..2147483647", err);
        *(int32_t *)slot = (int32_t)i;
        return DAL_OK;
    case DAL_U32:
        if (!integer_in(v, 0, UINT32_MAX, &i))
            return bad_value(where, v, "an integer in 0..4294967295", err);
        *(uint32_t *)slot = (uint32_t)i;
        return DAL_OK;
    case DAL_U64: {
        bool neg;
        uint64_t mag;
        if (!value_integer(v, &neg, &mag) || (neg && mag != 0))
            return bad_value(where, v, "an integer in 0..18446744073709551615", err);
        *(uint64_t *)slot = mag;
        return DAL_OK;
    }
    case DAL_REAL:
        if (v->type == DAL_REAL)
            *(double *)slot = v->as.d;
        else if (v->type == DAL_U32 || v->type == DAL_U64)
            *(double *)slot = (double)v->as.u;
        else if (is_signed_source(v->type))
            *(double *)slot = (double)v->as.i;
        else
            return bad_value(where, v, "a number", err);
        return DAL_OK;
    case DAL_BOOL:
        if (!integer_in(v, 0, 1, &i))
            return bad_value(where, v, "a bool (0 or 1)", err);
        *(bool *)slot = i != 0;
        return DAL_OK;
    case DAL_ENUM: {
        const char *ename = f->enumt != NULL ? f->enumt->name : "enum";
        int e;
        if (v->type == DAL_TEXT) {
            if (!dal_enum_from_name(f->enumt, v->as.s, &e))
                return dal_set_error(err, DAL_ERR_SERIALIZATION, "%s: unknown %s member \"%.64s\"", where, ename,
                                     v->as.s != NULL ? v->as.s : "");
        } else {
            if (!integer_in(v, INT32_MIN, INT32_MAX, &i))
                return bad_value(where, v, "an enum value", err);
            e = (int)i;
            if (dal_enum_index(f->enumt, e) < 0)
                return dal_set_error(err, DAL_ERR_SERIALIZATION, "%s: %d is not a %s value", where, e, ename);
        }
        *(int *)slot = e;
        return DAL_OK;
    }
    case DAL_JSON:
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON:
        return json_value_copy(f, v, (cJSON **)slot, where, err);
    }
    return dal_set_error(err, DAL_ERR_INVALID, "%s: unknown field type %d", where, (int)f->type);
}

static dal_code list_from_dal(const dal_field *f, dal_list *out, const dal_value *v, dal_error *err)
{
    dal_list src = v->is_null ? (dal_list){0, NULL} : v->as.list;
    dal_list l = {0, NULL};
    if (src.n > 0 && src.v == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "%s: list of %zu elements without storage", f->name, src.n);
    if (src.n > 0 && (l.v = calloc(src.n, dal_type_size(f->type))) == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "%s: out of memory", f->name);
    size_t src_size = dal_type_size(v->type), size = dal_type_size(f->type);
    for (; l.n < src.n; l.n++) {
        char where[160];
        snprintf(where, sizeof where, "%s[%zu]", f->name, l.n);
        dal_value ev = slot_value(v->type, (const char *)src.v + l.n * src_size);
        dal_code rc = value_from_dal(f, (char *)l.v + l.n * size, &ev, where, err);
        if (rc != DAL_OK) {
            free_list(f->type, &l);
            return rc;
        }
    }
    *out = l;
    return DAL_OK;
}

dal_code dal_field_set(const dal_field *f, void *obj, const dal_value *v, dal_error *err)
{
    if (f == NULL || obj == NULL || v == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_field_set: NULL argument");
    if (is_list(f) != v->is_list && !(is_list(f) && v->is_null))
        return dal_set_error(err, DAL_ERR_INVALID, "%s: %s", f->name,
                             is_list(f) ? "the field is a list, the value is not" : "the value is a list, the field is not");
    if (is_list(f)) {
        dal_list l;
        dal_code rc = list_from_dal(f, &l, v, err);
        if (rc != DAL_OK)
            return rc;
        free_list(f->type, slot_of(f, obj));
        *(dal_list *)slot_of(f, obj) = l;
        return DAL_OK;
    }
    /* A NULL string is null for an optional field, "" for a required one. */
    bool null_text = (v->type == DAL_TEXT || v->type == DAL_UUID) && v->as.s == NULL && is_optional(f);
    if (v->is_null || null_text) {
        if (!is_optional(f) && f->type != DAL_JSON)
            return dal_set_error(err, DAL_ERR_INVALID, "%s: the field is required and cannot be null", f->name);
        free_field(f, obj);
        memset(slot_of(f, obj), 0, dal_type_size(f->type));
        set_present(f, obj, false);
        return DAL_OK;
    }
    union {
        char *s;
        char uuid[DAL_UUID_SIZE];
        int64_t i;
        int32_t i32;
        uint64_t u;
        double d;
        bool b;
        cJSON *json;
        int e;
    } fresh;
    memset(&fresh, 0, sizeof fresh);
    dal_code rc = value_from_dal(f, &fresh, v, f->name, err);
    if (rc != DAL_OK)
        return rc;
    free_field(f, obj);
    memcpy(slot_of(f, obj), &fresh, dal_type_size(f->type));
    set_present(f, obj, true);
    return DAL_OK;
}
