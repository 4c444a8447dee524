/* SPDX-License-Identifier: MIT */
/*
 * habits.c - see habits.h. Lookups are exact (case-sensitive): these are
 * spellings of other languages, not typos of ours, which the checker's
 * nearest-name hint already covers.
 */
#include "habits.h"

#include <string.h>

typedef struct habit {
    const char *written;
    const char *advice;
} habit;

static const char *lookup(const habit *table, size_t n, src_tok name)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(table[i].written) == name.n && memcmp(table[i].written, name.s, name.n) == 0)
            return table[i].advice;
    return NULL;
}

#define LOOKUP(table, name) lookup((table), sizeof(table) / sizeof *(table), (name))

const char *habit_type(src_tok name)
{
    static const habit types[] = {
        {"String", "text"},   {"string", "text"},   {"varchar", "text"},   {"Text", "text"},
        {"Int", "int"},       {"Integer", "int"},   {"integer", "int"},    {"BigInt", "int"},
        {"bigint", "int"},    {"Long", "int"},      {"int64", "int"},      {"int32", "i32"},
        {"uint32", "u32"},    {"uint64", "u64"},    {"Float", "real"},     {"float", "real"},
        {"Double", "real"},   {"double", "real"},   {"Decimal", "real"},   {"Boolean", "bool"},
        {"boolean", "bool"},  {"Bool", "bool"},     {"DateTime", "timestamp"},
        {"datetime", "timestamp"}, {"Date", "timestamp"}, {"Timestamp", "timestamp"},
        {"UUID", "uuid"},     {"Uuid", "uuid"},     {"Json", "json"},      {"JSON", "json"},
        {"jsonb", "json"},
    };
    return LOOKUP(types, name);
}

const char *habit_field_attr(src_tok name)
{
    static const habit attrs[] = {
        {"relation", ": dal has no relation fields; put @ref(Model.field) on the field that holds the "
                     "other row's key"},
        {"updatedAt", " (did you mean '@updated_now'?)"},
        {"updated_at", " (did you mean '@updated_now'?)"},
        {"map", " (did you mean '@column'?)"},
        {"primary", " (did you mean '@id'?)"},
        {"primary_key", " (did you mean '@id'?)"},
        {"autoincrement", " (did you mean '@sequence'?)"},
        {"references", " (did you mean '@ref(Model.field)'?)"},
        {"foreign_key", " (did you mean '@ref(Model.field)'?)"},
    };
    return LOOKUP(attrs, name);
}

const char *habit_model_attr(src_tok name)
{
    static const habit attrs[] = {
        {"map", " (did you mean '@@table'?)"},
        {"schema", ": dal has no schemas; the namespace prefixes every generated name"},
    };
    return LOOKUP(attrs, name);
}

const char *habit_default_call(src_tok name)
{
    static const habit calls[] = {
        {"uuid", " (did you mean uuid7 or uuid4?)"},
        {"cuid", " (did you mean uuid7?)"},
        {"autoincrement", ": put @sequence on the field instead"},
        {"current_timestamp", " (did you mean now?)"},
    };
    return LOOKUP(calls, name);
}
