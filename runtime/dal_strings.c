/*
 * dal_strings.c - small value helpers: owned strings, UUID fields, text lists,
 * type sizes and names, enum lookups.
 *
 * Decisions:
 *   - dal_uuidset copies the text as given (no case folding, no validation;
 *     validation happens where text enters from outside: JSON, dal_field_set);
 *     NULL src makes the field "" (unset). src may overlap dst.
 *   - dal_text_list_push stores NULL as "" (a required text that is NULL
 *     serializes as "" everywhere). The array grows by one element per push
 *     (lists built elsewhere are allocated to their exact size, so no spare
 *     capacity can be assumed).
 */
#include "dal.h"

#include <stdlib.h>
#include <string.h>

/* malloc'd copy of s (not strdup: every allocation here goes through malloc). */
static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c != NULL)
        memcpy(c, s, n);
    return c;
}

bool dal_strset(char **dst, const char *src)
{
    if (dst == NULL)
        return false;
    char *copy = NULL;
    if (src != NULL && (copy = copy_string(src)) == NULL)
        return false;
    free(*dst);
    *dst = copy;
    return true;
}

void dal_uuidset(char dst[DAL_UUID_SIZE], const char *src)
{
    if (dst == NULL)
        return;
    if (src == NULL) {
        dst[0] = '\0';
        return;
    }
    size_t n = strnlen(src, DAL_UUID_SIZE - 1);
    memmove(dst, src, n);
    dst[n] = '\0';
}

bool dal_text_list_push(dal_text_list *list, const char *s)
{
    if (list == NULL)
        return false;
    char *copy = copy_string(s != NULL ? s : "");
    if (copy == NULL)
        return false;
    char **grown = realloc(list->v, (list->n + 1) * sizeof *grown);
    if (grown == NULL) {
        free(copy);
        return false;
    }
    grown[list->n] = copy;
    list->v = grown;
    list->n++;
    return true;
}

void dal_text_list_clear(dal_text_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->n; i++)
        free(list->v[i]);
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

size_t dal_type_size(dal_type t)
{
    switch (t) {
    case DAL_TEXT: return sizeof(char *);
    case DAL_INT: return sizeof(int64_t);
    case DAL_I32: return sizeof(int32_t);
    case DAL_U32: return sizeof(uint32_t);
    case DAL_U64: return sizeof(uint64_t);
    case DAL_REAL: return sizeof(double);
    case DAL_BOOL: return sizeof(bool);
    case DAL_TIMESTAMP: return sizeof(int64_t);
    case DAL_UUID: return sizeof(dal_uuid);
    case DAL_JSON:
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON: return sizeof(cJSON *);
    case DAL_ENUM: return sizeof(int);
    }
    return 0;
}

const char *dal_type_name(dal_type t)
{
    switch (t) {
    case DAL_TEXT: return "text";
    case DAL_INT: return "int";
    case DAL_I32: return "i32";
    case DAL_U32: return "u32";
    case DAL_U64: return "u64";
    case DAL_REAL: return "real";
    case DAL_BOOL: return "bool";
    case DAL_TIMESTAMP: return "timestamp";
    case DAL_UUID: return "uuid";
    case DAL_JSON: return "json";
    case DAL_MAP_TEXT: return "map<text>";
    case DAL_MAP_JSON: return "map<json>";
    case DAL_ENUM: return "enum";
    }
    return "unknown";
}

int dal_enum_index(const dal_enum *e, int value)
{
    if (e == NULL)
        return -1;
    if (e->values == NULL)
        return value >= 0 && (size_t)value < e->n ? value : -1;
    for (size_t i = 0; i < e->n; i++)
        if (e->values[i] == value)
            return (int)i;
    return -1;
}

bool dal_enum_from_name(const dal_enum *e, const char *name, int *value)
{
    if (e == NULL || name == NULL)
        return false;
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->names[i], name) == 0) {
            if (value != NULL)
                *value = e->values != NULL ? (int)e->values[i] : (int)i;
            return true;
        }
    }
    return false;
}

const char *dal_enum_name(const dal_enum *e, int value)
{
    int i = dal_enum_index(e, value);
    return i < 0 ? NULL : e->names[i];
}
