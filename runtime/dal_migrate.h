/*
 * dal_migrate.h - schema evolution, the backend-neutral half.
 *
 * Every database records the canonical form of the schema that made it (a
 * JSON document derived from the dal_schema descriptors: models, fields,
 * types, defaults, references, keys, indexes, enums) and a checksum of it.
 * On open a backend reads that record and asks this module for a plan: the
 * list of changes between the recorded schema and the program's, each marked
 * safe or needing a decision, plus per table what storage work realises
 * them (create, rename, add columns, rebuild, indexes to drop and create).
 * The backend executes the plan in ONE transaction together with the new
 * record; it never decides on its own what is safe.
 *
 * docs/migrations.md has the rules; docs/architecture.md how a backend plugs in.
 */
#ifndef DAL_MIGRATE_H
#define DAL_MIGRATE_H

#include "dal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The canonical document of s (a cJSON object the caller deletes), NULL on
 * OOM. Tables-less models (aggregate rows) are left out. */
cJSON *dal_schema_doc(const dal_schema *s);
/* Canonical text (compact JSON, malloc'd) and its checksum: 16 hex digits of
 * FNV-1a 64 over the text. */
char *dal_schema_doc_text(const dal_schema *s);
void dal_schema_checksum(const char *doc_text, char out[17]);

typedef enum dal_change_kind {
    DAL_CH_ADD_MODEL,
    DAL_CH_DROP_MODEL,     /* decision */
    DAL_CH_RENAME_MODEL,   /* safe when declared with @@renamed_from */
    DAL_CH_RENAME_TABLE,   /* @@table changed, same model */
    DAL_CH_ADD_FIELD,      /* safe when optional or defaulted, else decision */
    DAL_CH_DROP_FIELD,     /* decision */
    DAL_CH_RENAME_FIELD,   /* safe when declared with @renamed_from (or @column changed) */
    DAL_CH_CHANGE_TYPE,    /* decision */
    DAL_CH_WIDEN,          /* i32 -> int, u32 -> int / u64: safe */
    DAL_CH_MAKE_OPTIONAL,  /* safe */
    DAL_CH_MAKE_REQUIRED,  /* decision */
    DAL_CH_CHANGE_KEY,     /* primary key or @sequence changed: decision */
    DAL_CH_CHANGE_REF,     /* foreign key added, removed or changed: safe, checked */
    DAL_CH_ADD_MEMBER,     /* enum member added: safe */
    DAL_CH_REMOVE_MEMBER,  /* enum member removed or its stored value changed: decision */
    DAL_CH_ADD_INDEX,      /* unique ones are checked against existing rows */
    DAL_CH_DROP_INDEX
} dal_change_kind;

typedef struct dal_change {
    dal_change_kind kind;
    bool decision;      /* needs a decision the schema does not give */
    char *what;         /* "add field Agent.priority (int, default 0)" */
    char *fix;          /* decision only: what to write */
} dal_change;

/* Storage work for one table of the new schema, or one that goes. */
typedef struct dal_table_plan {
    const dal_model *m;   /* the program's model; NULL when the table is dropped */
    char *old_table;      /* its table in the database; NULL for a new table */
    /* [m->n_fields] when old_table: the old column that feeds field i, or
     * NULL for a new field (it gets its default, or NULL). */
    char **from;
    bool rebuild;         /* beyond renames and added columns (nullability,
                             foreign keys, key): the backend rebuilds the table */
    bool changed;         /* anything to do for this table at all */
} dal_table_plan;

typedef struct dal_plan {
    size_t n_changes;
    dal_change *changes;
    size_t n_decisions;   /* changes with decision set */
    size_t n_tables;      /* one per table of the new schema, then dropped ones */
    dal_table_plan *tables;
    size_t n_drop_indexes;
    char **drop_indexes;  /* old index names to drop (of tables that stay) */
    size_t n_new_indexes;
    const dal_index **new_indexes;       /* indexes to create on tables that already hold rows */
    const dal_model **new_index_models;  /* their models */
} dal_plan;

/* The plan from the recorded document old_doc to schema s. down: old_doc is
 * a later version and the program asks to go back to its own (renames are
 * then read from old_doc's declarations, and no change needs a decision: the
 * caller asked for exactly this). Returns DAL_ERR_MIGRATION when old_doc is
 * not a document this runtime reads. */
dal_code dal_plan_build(const cJSON *old_doc, const dal_schema *s, bool down, dal_plan *out, dal_error *err);
void dal_plan_free(dal_plan *p);
/* True when nothing changes in storage (the record alone is written). */
bool dal_plan_empty(const dal_plan *p);
/* The plan as text, one change per line ("  - add field ...", decisions
 * marked "[needs a decision] ... -> write: ..."). malloc'd. */
char *dal_plan_describe(const dal_plan *p);
/* err = DAL_ERR_MIGRATION: "<where>: N pending change(s), M need a decision:\n..."
 * listing every change. Returns DAL_ERR_MIGRATION. */
dal_code dal_plan_refuse(const dal_plan *p, const char *where, const char *why, dal_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DAL_MIGRATE_H */
