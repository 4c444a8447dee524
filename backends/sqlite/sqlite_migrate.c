/*
 * sqlite_migrate.c - the schema record of an SQLite database and the
 * execution of a migration plan (runtime/dal_migrate.h) on it.
 *
 * The record is the table schema_migrations, one row per version the
 * database went through: (version, name, applied_at) as dal has always
 * written them, plus checksum, canonical (the schema document), level (how
 * far along its history the version is: 1 for the first, +1 per step up, the
 * earlier level again when it steps down) and direction (create, adopt, up,
 * down). The newest row is the database's schema.
 *
 * Open:
 *   1. a raw connection reads the record (no journal-mode switch, no write,
 *      no checkpoint on close): an empty file, a file of ours, of an older
 *      dal (no canonical column), or a foreign one;
 *   2. same checksum as the program: done, nothing written, no write lock;
 *      foreign, newer, or changes needing a decision (or migrate=check/off):
 *      refused, the file untouched;
 *   3. otherwise the pool opens and one BEGIN IMMEDIATE transaction reads the
 *      record again (another process may have migrated meanwhile), applies
 *      every step and writes the new row; a crash leaves either version.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal_migrate.h"
#include "sqlite_internal.h"

typedef enum rec_kind { REC_EMPTY, REC_OURS, REC_LEGACY, REC_FOREIGN } rec_kind;

typedef struct sq_record {
    rec_kind kind;
    int64_t version;      /* newest row's version */
    int64_t level;
    char name[256];
    char checksum[17];
    char *canonical;      /* REC_OURS */
    bool has_table;       /* schema_migrations exists */
} sq_record;

typedef enum action { ACT_NONE, ACT_REPAIR, ACT_CREATE, ACT_ADOPT, ACT_MIGRATE } action;

static void record_clear(sq_record *r)
{
    free(r->canonical);
    memset(r, 0, sizeof *r);
}

static dal_code db_error(sq_conn *c, int rc, dal_error *err, const char *what)
{
    return sq_error(c, rc, err, "%s of '%s'", what, DAL_CLIPPED(c->st->path));
}

/* Runs sql with one optional text parameter; *out = first column of the first row. */
static int query_int(sq_conn *c, const char *sql, const char *text, int64_t *out, bool *found)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK && text != NULL)
        rc = sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    if (found)
        *found = false;
    if (rc == SQLITE_OK) {
        rc = sq_step(c, s);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(s, 0);
            if (found)
                *found = sqlite3_column_type(s, 0) != SQLITE_NULL;
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    return rc;
}

/* Reads what the database is (see the top of this file). */
static dal_code read_record(sq_conn *c, sq_record *r, dal_error *err)
{
    memset(r, 0, sizeof *r);
    int64_t n_tables = 0, has = 0;
    int rc = query_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
                          "ESCAPE '\\'",
                       NULL, &n_tables, NULL);
    if (rc == SQLITE_OK)
        rc = query_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                       NULL, &has, NULL);
    if (rc != SQLITE_OK)
        return db_error(c, rc, err, "reading the schema");
    r->has_table = has != 0;
    if (n_tables == 0) {
        r->kind = REC_EMPTY;
        return DAL_OK;
    }
    if (!has) {
        r->kind = REC_FOREIGN;
        return DAL_OK;
    }
    /* a database of an earlier dal has no checksum / canonical columns (asked
     * by name: SQLite would read a missing "column" as a string) */
    int64_t n_new_cols = 0;
    rc = query_int(c, "SELECT count(*) FROM pragma_table_info('schema_migrations') WHERE name IN ('checksum', "
                      "'canonical', 'level', 'direction')",
                   NULL, &n_new_cols, NULL);
    if (rc != SQLITE_OK)
        return db_error(c, rc, err, "reading schema_migrations");
    bool legacy = n_new_cols != 4;
    sqlite3_stmt *s = NULL;
    if (!legacy)
        rc = sqlite3_prepare_v2(c->db,
                                "SELECT \"version\", \"name\", \"checksum\", \"canonical\", \"level\" "
                                "FROM \"schema_migrations\" ORDER BY \"version\" DESC, rowid DESC LIMIT 1",
                                -1, &s, NULL);
    else {
        rc = sqlite3_prepare_v2(c->db,
                                "SELECT \"version\", \"name\", NULL, NULL, NULL FROM \"schema_migrations\" "
                                "ORDER BY \"version\" DESC, rowid DESC LIMIT 1",
                                -1, &s, NULL);
    }
    if (rc == SQLITE_OK) {
        rc = sq_step(c, s);
        if (rc == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(s, 1);
            const char *sum = (const char *)sqlite3_column_text(s, 2);
            const char *canon = (const char *)sqlite3_column_text(s, 3);
            r->version = sqlite3_column_int64(s, 0);
            r->level = sqlite3_column_int64(s, 4);
            snprintf(r->name, sizeof r->name, "%s", name ? name : "");
            snprintf(r->checksum, sizeof r->checksum, "%s", sum ? sum : "");
            if (canon != NULL && (r->canonical = malloc(strlen(canon) + 1)) != NULL)
                strcpy(r->canonical, canon);
            r->kind = canon == NULL || legacy ? REC_LEGACY : r->canonical ? REC_OURS : REC_EMPTY;
            if (canon != NULL && r->canonical == NULL) {
                sqlite3_finalize(s);
                return dal_set_error(err, DAL_ERR_NOMEM, "out of memory reading the schema record");
            }
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            r->kind = REC_FOREIGN; /* a record table with no row */
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_OK)
        return db_error(c, rc, err, "reading schema_migrations");
    if (r->kind == REC_OURS) {
        char sum[17];
        dal_schema_checksum(r->canonical, sum);
        if (strcmp(sum, r->checksum) != 0) {
            dal_code code = dal_set_error(err, DAL_ERR_MIGRATION,
                                          "'%s': the recorded schema (version %" PRId64 ") does not match its "
                                          "checksum %s (it hashes to %s): the record was edited or damaged",
                                          DAL_CLIPPED(c->st->path), r->version, r->checksum, sum);
            record_clear(r);
            return code;
        }
    }
    return DAL_OK;
}

/* Whether a table or index of the schema is missing from a database that
 * records this very schema (dropped by hand): read-only, one query. */
static dal_code missing_objects(sq_conn *c, bool *missing, dal_error *err)
{
    const dal_schema *s = c->st->schema;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(c->db, "SELECT count(*) FROM sqlite_master WHERE name = ? AND type = ?", -1, &q, NULL);
    *missing = false;
    for (size_t i = 0; rc == SQLITE_OK && i < s->n_models && !*missing; i++) {
        const dal_model *m = s->models[i];
        if (m->table == NULL)
            continue;
        for (size_t x = 0; rc == SQLITE_OK && x <= m->n_indexes && !*missing; x++) {
            sqlite3_reset(q);
            sqlite3_bind_text(q, 1, x == 0 ? m->table : m->indexes[x - 1].name, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, x == 0 ? "table" : "index", -1, SQLITE_STATIC);
            rc = sq_step(c, q);
            if (rc == SQLITE_ROW) {
                *missing = sqlite3_column_int64(q, 0) == 0;
                rc = SQLITE_OK;
            }
        }
    }
    sqlite3_finalize(q);
    return rc == SQLITE_OK ? DAL_OK : db_error(c, rc, err, "reading the schema");
}

/* The decision for record r (see the top of this file); *plan filled for
 * ACT_MIGRATE. *down: a step down to this program's earlier version. */
static dal_code decide(sq_conn *c, const sq_record *r, const char *checksum, action *act, dal_plan *plan, bool *down,
                       dal_error *err)
{
    const sq_state *st = c->st;
    const dal_schema *s = st->schema;
    char name[256];
    snprintf(name, sizeof name, "%s@%s", s->ns, s->version ? s->version : "");
    *down = false;
    switch (r->kind) {
    case REC_EMPTY:
        *act = ACT_CREATE;
        return DAL_OK;
    case REC_FOREIGN:
        return dal_set_error(err, DAL_ERR_MIGRATION,
                             "'%s' holds tables but no schema_migrations record: not a database made by dal "
                             "(schema '%s'); it was left unchanged",
                             DAL_CLIPPED(st->path), name);
    case REC_LEGACY:
        if (strcmp(r->name, name) == 0) {
            *act = ACT_ADOPT;
            return DAL_OK;
        }
        return dal_set_error(err, DAL_ERR_MIGRATION,
                             "'%s' was made by schema '%s' with an earlier dal that did not record the schema's "
                             "shape, this program uses schema '%s': open it once with the program that made it "
                             "(rebuilt with this dal) so that it records its schema, then with this one",
                             DAL_CLIPPED(st->path), r->name, name);
    case REC_OURS:
        break;
    }
    if (strcmp(r->checksum, checksum) == 0) {
        bool missing = false;
        dal_code code = missing_objects(c, &missing, err);
        *act = missing ? ACT_REPAIR : ACT_NONE;
        return code;
    }
    int64_t level = 0;
    bool found = false;
    int rc = query_int(c,
                       "SELECT \"level\" FROM \"schema_migrations\" WHERE \"checksum\" = ? ORDER BY \"version\" DESC, "
                       "rowid DESC LIMIT 1",
                       checksum, &level, &found);
    if (rc != SQLITE_OK)
        return db_error(c, rc, err, "reading schema_migrations");
    bool newer = found && level < r->level;
    if (newer && st->opts.migrate != DAL_MIGRATE_DOWN)
        return dal_set_error(err, DAL_ERR_MIGRATION,
                             "'%s' is at a newer schema (record version %" PRId64 ", %s, checksum %s) than this "
                             "program's (%s, checksum %s, recorded earlier at level %" PRId64
                             "): refused, the file is unchanged; use the newer program, or open with "
                             "migrate=down to take the database back to this version",
                             DAL_CLIPPED(st->path), r->version, r->name, r->checksum, name, checksum, level);
    cJSON *old = NULL;
    dal_code code = dal_json_parse(r->canonical, strlen(r->canonical), &old, err);
    if (code != DAL_OK)
        return dal_error_prefix(err, "'%s': the recorded schema document", DAL_CLIPPED(st->path));
    *down = newer;
    code = dal_plan_build(old, s, newer, plan, err);
    cJSON_Delete(old);
    if (code != DAL_OK)
        return dal_error_prefix(err, "'%s'", DAL_CLIPPED(st->path));
    char where[1024];
    snprintf(where, sizeof where, "'%s' (schema %s, record version %" PRId64 ") -> this program's schema %s",
             DAL_CLIPPED(st->path), r->name, r->version, name);
    if (st->opts.migrate == DAL_MIGRATE_OFF || st->opts.migrate == DAL_MIGRATE_CHECK) {
        code = dal_plan_refuse(plan, where,
                               st->opts.migrate == DAL_MIGRATE_OFF ? "migrate=off opens only a database at exactly "
                                                                     "this schema"
                                                                   : "migrate=check refuses pending changes",
                               err);
        dal_plan_free(plan);
        return code;
    }
    if (st->opts.migrate == DAL_MIGRATE_DOWN && !newer) {
        code = dal_plan_refuse(plan, where, "migrate=down only steps back to an earlier recorded version", err);
        dal_plan_free(plan);
        return code;
    }
    if (plan->n_decisions > 0) {
        code = dal_plan_refuse(plan, where, "refused, the file is unchanged", err);
        dal_plan_free(plan);
        return code;
    }
    *act = ACT_MIGRATE;
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Executing a plan                                                          */
/* ------------------------------------------------------------------------ */

static void uuid7_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    char u[DAL_UUID_SIZE];
    dal_uuid7(u);
    sqlite3_result_text(ctx, u, -1, SQLITE_TRANSIENT);
}

static void uuid4_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    char u[DAL_UUID_SIZE];
    dal_uuid4(u);
    sqlite3_result_text(ctx, u, -1, SQLITE_TRANSIENT);
}

static void sql_text(sq_buf *b, const char *s)
{
    sq_buf_addc(b, '\'');
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\'')
            sq_buf_addc(b, '\'');
        sq_buf_addc(b, *p);
    }
    sq_buf_addc(b, '\'');
}

/* The value rows that existed before field f get, as SQL: its @default
 * (now: the migration's one time, see docs/migrations.md; uuid: one per row),
 * NULL for an optional field without one, else the type's zero. */
static void default_expr(sq_buf *b, const dal_field *f, int64_t now)
{
    const dal_default *d = &f->def;
    char num[64];
    bool list = (f->flags & DAL_F_LIST) != 0;
    switch (d->kind) {
    case DAL_DEF_NOW:
        if (f->type == DAL_TIMESTAMP) {
            snprintf(num, sizeof num, "%" PRId64, now);
            sq_buf_add(b, num);
        } else {
            char t[DAL_TIME_SIZE];
            dal_time_format(now, t);
            sql_text(b, t);
        }
        return;
    case DAL_DEF_UUID7: sq_buf_add(b, "dal_uuid7()"); return;
    case DAL_DEF_UUID4: sq_buf_add(b, "dal_uuid4()"); return;
    case DAL_DEF_EMPTY_LIST: sql_text(b, "[]"); return;
    case DAL_DEF_EMPTY_MAP: sql_text(b, "{}"); return;
    case DAL_DEF_INT:
        if (f->type == DAL_REAL)
            snprintf(num, sizeof num, "%.17g", (double)d->i);
        else
            snprintf(num, sizeof num, "%" PRId64, d->i);
        sq_buf_add(b, num);
        return;
    case DAL_DEF_REAL: snprintf(num, sizeof num, "%.17g", d->d); sq_buf_add(b, num); return;
    case DAL_DEF_BOOL: sq_buf_add(b, d->i ? "1" : "0"); return;
    case DAL_DEF_TEXT: sql_text(b, d->s); return;
    case DAL_DEF_ENUM:
        if (f->enumt != NULL && f->enumt->values != NULL) {
            snprintf(num, sizeof num, "%" PRId64, d->i);
            sq_buf_add(b, num);
        } else {
            sql_text(b, f->enumt ? dal_enum_name(f->enumt, (int)d->i) : "");
        }
        return;
    default: break;
    }
    if (list) {
        sql_text(b, "[]");
    } else if (f->flags & DAL_F_OPTIONAL) {
        sq_buf_add(b, "NULL");
    } else {
        switch (f->type) { /* a step down re-adding a required field without a default */
        case DAL_TEXT: case DAL_UUID: sql_text(b, ""); break;
        case DAL_JSON: sql_text(b, "null"); break;
        case DAL_MAP_TEXT: case DAL_MAP_JSON: sql_text(b, "{}"); break;
        case DAL_ENUM:
            if (f->enumt && f->enumt->values && f->enumt->n > 0) {
                snprintf(num, sizeof num, "%" PRId64, f->enumt->values[0]);
                sq_buf_add(b, num);
            } else {
                sql_text(b, f->enumt && f->enumt->n > 0 ? f->enumt->names[0] : "");
            }
            break;
        default: sq_buf_add(b, "0"); break;
        }
    }
}

static bool per_row(const dal_field *f)
{
    return f->def.kind == DAL_DEF_UUID7 || f->def.kind == DAL_DEF_UUID4;
}

typedef struct runner {
    sq_conn *c;
    dal_error *err;
    dal_code rc;
} runner;

/* Runs the SQL in b (freed); on failure sets the error with what. */
static bool run(runner *r, sq_buf *b, const char *what, const char *table)
{
    if (r->rc != DAL_OK) {
        sq_buf_free(b);
        return false;
    }
    char *sql = sq_buf_take(b);
    if (sql == NULL) {
        r->rc = dal_set_error(r->err, DAL_ERR_NOMEM, "out of memory migrating %s", table);
        return false;
    }
    int rc = sq_exec_text(r->c, sql);
    free(sql);
    if (rc != SQLITE_OK) {
        r->rc = sq_error(r->c, rc, r->err, "migrating '%s': %s %s", DAL_CLIPPED(r->c->st->path), what, table);
        return false;
    }
    return true;
}

/* ALTER TABLE for a table whose changes are renames and added columns. */
static void alter_table(runner *r, const dal_table_plan *t, int64_t now)
{
    const dal_model *m = t->m;
    sq_buf b = {0};
    for (size_t k = 0; k < m->n_fields && r->rc == DAL_OK; k++) {
        const dal_field *f = &m->fields[k];
        const char *src = t->from[k];
        if (src != NULL && strcmp(src, f->column) != 0) {
            sq_buf_add(&b, "ALTER TABLE ");
            sq_buf_ident(&b, m->table);
            sq_buf_add(&b, " RENAME COLUMN ");
            sq_buf_ident(&b, src);
            sq_buf_add(&b, " TO ");
            sq_buf_ident(&b, f->column);
            sq_buf_add(&b, ";\nUPDATE \"dal_sequences\" SET \"col\" = ");
            sql_text(&b, f->column);
            sq_buf_add(&b, " WHERE \"tbl\" = ");
            sql_text(&b, m->table);
            sq_buf_add(&b, " AND \"col\" = ");
            sql_text(&b, src);
            sq_buf_add(&b, ";\n");
            run(r, &b, "renaming a column of", m->table);
        } else if (src == NULL) {
            bool required = !(f->flags & DAL_F_OPTIONAL) || (f->flags & DAL_F_LIST);
            sq_buf_add(&b, "ALTER TABLE ");
            sq_buf_ident(&b, m->table);
            sq_buf_add(&b, " ADD COLUMN ");
            sq_buf_ident(&b, f->column);
            sq_buf_addc(&b, ' ');
            sq_buf_add(&b, sq_sqlite_dialect.column_type(f));
            if (required) {
                sq_buf_add(&b, " NOT NULL DEFAULT ");
                if (per_row(f))
                    sq_buf_add(&b, "''");
                else
                    default_expr(&b, f, now);
            }
            sq_buf_add(&b, ";\n");
            if (per_row(f) || (!required && f->def.kind != DAL_DEF_NONE && f->def.kind != DAL_DEF_NULL)) {
                sq_buf_add(&b, "UPDATE ");
                sq_buf_ident(&b, m->table);
                sq_buf_add(&b, " SET ");
                sq_buf_ident(&b, f->column);
                sq_buf_add(&b, " = ");
                default_expr(&b, f, now);
                sq_buf_add(&b, ";\n");
            }
            run(r, &b, "adding a column to", m->table);
        }
    }
}

/* New table beside the old, copy, drop, rename (the rows keep their rowids
 * only through their keys: every table has an explicit primary key). */
static void rebuild_table(runner *r, const dal_table_plan *t, int64_t now)
{
    const dal_model *m = t->m;
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s__dal_new", m->table);
    sq_buf b = {0};
    sq_buf_add(&b, "DROP TABLE IF EXISTS ");
    sq_buf_ident(&b, tmp);
    sq_buf_add(&b, ";\n");
    sq_table_ddl(&b, &sq_sqlite_dialect, m, tmp);
    sq_buf_add(&b, "INSERT INTO ");
    sq_buf_ident(&b, tmp);
    sq_buf_add(&b, " (");
    for (size_t k = 0; k < m->n_fields; k++) {
        if (k)
            sq_buf_add(&b, ", ");
        sq_buf_ident(&b, m->fields[k].column);
    }
    sq_buf_add(&b, ") SELECT ");
    for (size_t k = 0; k < m->n_fields; k++) {
        const dal_field *f = &m->fields[k];
        if (k)
            sq_buf_add(&b, ", ");
        if (t->from[k] != NULL && !(f->flags & DAL_F_OPTIONAL) && !(f->flags & DAL_F_LIST)) {
            /* a field made required on the way down: absent values get the default */
            sq_buf_add(&b, "coalesce(");
            sq_buf_ident(&b, t->from[k]);
            sq_buf_add(&b, ", ");
            default_expr(&b, f, now);
            sq_buf_addc(&b, ')');
        } else if (t->from[k] != NULL) {
            sq_buf_ident(&b, t->from[k]);
        } else {
            default_expr(&b, f, now);
        }
    }
    sq_buf_add(&b, " FROM ");
    sq_buf_ident(&b, t->old_table);
    sq_buf_add(&b, ";\nDROP TABLE ");
    sq_buf_ident(&b, t->old_table);
    sq_buf_add(&b, ";\nALTER TABLE ");
    sq_buf_ident(&b, tmp);
    sq_buf_add(&b, " RENAME TO ");
    sq_buf_ident(&b, m->table);
    sq_buf_add(&b, ";\n");
    if (strcmp(t->old_table, m->table) != 0) {
        sq_buf_add(&b, "UPDATE \"dal_sequences\" SET \"tbl\" = ");
        sql_text(&b, m->table);
        sq_buf_add(&b, " WHERE \"tbl\" = ");
        sql_text(&b, t->old_table);
        sq_buf_add(&b, ";\n");
    }
    run(r, &b, "rebuilding table", m->table);
}

/* Existing rows against a new unique index: the first duplicate, named. */
static void check_unique(runner *r, const dal_model *m, const dal_index *x)
{
    if (r->rc != DAL_OK || !x->unique)
        return;
    sq_buf b = {0};
    sq_buf_add(&b, "SELECT ");
    for (size_t p = 0; p < x->n_parts; p++) {
        sq_buf_add(&b, "quote(");
        sq_buf_ident(&b, m->fields[x->parts[p].field].column);
        sq_buf_add(&b, "), ");
    }
    sq_buf_add(&b, "count(*) FROM ");
    sq_buf_ident(&b, m->table);
    sq_buf_add(&b, " GROUP BY ");
    for (size_t p = 0; p < x->n_parts; p++) {
        if (p)
            sq_buf_add(&b, ", ");
        sq_buf_ident(&b, m->fields[x->parts[p].field].column);
    }
    sq_buf_add(&b, " HAVING count(*) > 1 LIMIT 1");
    char *sql = sq_buf_take(&b);
    if (sql == NULL) {
        r->rc = dal_set_error(r->err, DAL_ERR_NOMEM, "out of memory checking %s", x->name);
        return;
    }
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->c->db, sql, -1, &s, NULL);
    free(sql);
    if (rc == SQLITE_OK)
        rc = sq_step(r->c, s);
    if (rc == SQLITE_ROW) {
        char key[512];
        size_t at = 0;
        key[0] = '\0';
        for (size_t p = 0; p < x->n_parts && at < sizeof key; p++) {
            const char *v = (const char *)sqlite3_column_text(s, (int)p);
            int k = snprintf(key + at, sizeof key - at, "%s%s = %s", p ? ", " : "",
                             m->fields[x->parts[p].field].name, v ? v : "NULL");
            if (k > 0)
                at += (size_t)k;
        }
        r->rc = dal_set_error(r->err, DAL_ERR_MIGRATION,
                              "migrating '%s': cannot add unique index %s: existing rows of %s violate it, e.g. %s "
                              "is held by %lld rows; the database is unchanged",
                              DAL_CLIPPED(r->c->st->path), x->name, m->table, key,
                              (long long)sqlite3_column_int64(s, (int)x->n_parts));
    } else if (rc != SQLITE_DONE) {
        r->rc = sq_error(r->c, rc, r->err, "migrating '%s': checking unique index %s", DAL_CLIPPED(r->c->st->path), x->name);
    }
    sqlite3_finalize(s);
}

/* PRAGMA foreign_key_check: any row names the table and its missing parent. */
static void check_foreign_keys(runner *r)
{
    if (r->rc != DAL_OK)
        return;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->c->db, "PRAGMA foreign_key_check", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sq_step(r->c, s);
    if (rc == SQLITE_ROW) {
        const char *tbl = (const char *)sqlite3_column_text(s, 0);
        const char *parent = (const char *)sqlite3_column_text(s, 2);
        r->rc = dal_set_error(r->err, DAL_ERR_MIGRATION,
                              "migrating '%s': a row of %s (rowid %lld) references a row of %s that does not exist; "
                              "the database is unchanged",
                              DAL_CLIPPED(r->c->st->path), tbl ? tbl : "?", (long long)sqlite3_column_int64(s, 1),
                              parent ? parent : "?");
    } else if (rc != SQLITE_DONE) {
        r->rc = sq_error(r->c, rc, r->err, "migrating '%s': foreign_key_check", DAL_CLIPPED(r->c->st->path));
    }
    sqlite3_finalize(s);
}

static void apply_plan(runner *r, const dal_plan *p, int64_t now)
{
    sq_buf b = {0};
    /* tables renamed without a rebuild keep their rows where they are */
    for (size_t i = 0; i < p->n_tables && r->rc == DAL_OK; i++) {
        const dal_table_plan *t = &p->tables[i];
        if (t->m == NULL || t->old_table == NULL || t->rebuild || strcmp(t->old_table, t->m->table) == 0)
            continue;
        sq_buf_add(&b, "ALTER TABLE ");
        sq_buf_ident(&b, t->old_table);
        sq_buf_add(&b, " RENAME TO ");
        sq_buf_ident(&b, t->m->table);
        sq_buf_add(&b, ";\nUPDATE \"dal_sequences\" SET \"tbl\" = ");
        sql_text(&b, t->m->table);
        sq_buf_add(&b, " WHERE \"tbl\" = ");
        sql_text(&b, t->old_table);
        sq_buf_add(&b, ";\n");
        run(r, &b, "renaming table", t->old_table);
    }
    for (size_t i = 0; i < p->n_drop_indexes && r->rc == DAL_OK; i++) {
        sq_buf_add(&b, "DROP INDEX IF EXISTS ");
        sq_buf_ident(&b, p->drop_indexes[i]);
        run(r, &b, "dropping index", p->drop_indexes[i]);
    }
    for (size_t i = 0; i < p->n_tables && r->rc == DAL_OK; i++) {
        const dal_table_plan *t = &p->tables[i];
        if (!t->changed || t->old_table == NULL)
            continue; /* new tables come with the schema DDL below */
        if (t->m == NULL) {
            sq_buf_add(&b, "DROP TABLE IF EXISTS ");
            sq_buf_ident(&b, t->old_table);
            sq_buf_add(&b, ";\nDELETE FROM \"dal_sequences\" WHERE \"tbl\" = ");
            sql_text(&b, t->old_table);
            run(r, &b, "dropping table", t->old_table);
        } else if (t->rebuild) {
            rebuild_table(r, t, now);
        } else {
            alter_table(r, t, now);
        }
    }
    for (size_t i = 0; i < p->n_new_indexes && r->rc == DAL_OK; i++)
        check_unique(r, p->new_index_models[i], p->new_indexes[i]);
    if (r->rc == DAL_OK) {
        char *ddl = sq_schema_ddl(&sq_sqlite_dialect, r->c->st->schema);
        if (ddl == NULL) {
            r->rc = dal_set_error(r->err, DAL_ERR_NOMEM, "out of memory migrating");
            return;
        }
        sq_buf_add(&b, ddl);
        free(ddl);
        run(r, &b, "creating the tables and indexes of schema", r->c->st->schema->ns);
    }
    check_foreign_keys(r);
}

static dal_code write_record(sq_conn *c, const sq_record *old, const char *canonical, const char *checksum,
                             const char *direction, int64_t level, dal_error *err)
{
    const dal_schema *s = c->st->schema;
    char name[256];
    snprintf(name, sizeof name, "%s@%s", s->ns, s->version ? s->version : "");
    int rc = SQLITE_OK;
    if (!old->has_table)
        rc = sq_exec_text(c, "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (\"version\" INTEGER NOT NULL, "
                             "\"name\" TEXT NOT NULL, \"applied_at\" INTEGER NOT NULL, \"checksum\" TEXT, "
                             "\"canonical\" TEXT, \"level\" INTEGER, \"direction\" TEXT)");
    else if (old->kind == REC_LEGACY)
        rc = sq_exec_text(c, "ALTER TABLE \"schema_migrations\" ADD COLUMN \"checksum\" TEXT;"
                             "ALTER TABLE \"schema_migrations\" ADD COLUMN \"canonical\" TEXT;"
                             "ALTER TABLE \"schema_migrations\" ADD COLUMN \"level\" INTEGER;"
                             "ALTER TABLE \"schema_migrations\" ADD COLUMN \"direction\" TEXT");
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(c->db,
                                "INSERT INTO \"schema_migrations\" (\"version\", \"name\", \"applied_at\", "
                                "\"checksum\", \"canonical\", \"level\", \"direction\") VALUES "
                                "((SELECT coalesce(max(\"version\"), 0) + 1 FROM \"schema_migrations\"), ?, ?, ?, ?, "
                                "?, ?)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, dal_now_us());
        sqlite3_bind_text(st, 3, checksum, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, canonical, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, level);
        sqlite3_bind_text(st, 6, direction, -1, SQLITE_STATIC);
        rc = sq_run(c, st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? DAL_OK : sq_error(c, rc, err, "recording schema '%s' in '%s'", name, DAL_CLIPPED(c->st->path));
}

/* The write half of open: inside one IMMEDIATE transaction on c. */
static dal_code create_or_migrate(sq_conn *c, const char *canonical, const char *checksum, dal_error *err)
{
    const sq_state *st = c->st;
    bool fk_off = !st->memory;
    if (fk_off && sq_exec_text(c, "PRAGMA foreign_keys=OFF") != SQLITE_OK)
        return sq_error(c, SQLITE_ERROR, err, "'%s': turning foreign keys off for the migration", DAL_CLIPPED(st->path));
    sqlite3_create_function(c->db, "dal_uuid7", 0, SQLITE_UTF8, NULL, uuid7_fn, NULL, NULL);
    sqlite3_create_function(c->db, "dal_uuid4", 0, SQLITE_UTF8, NULL, uuid4_fn, NULL, NULL);
    int src = sq_exec_text(c, "BEGIN IMMEDIATE");
    dal_code rc = src == SQLITE_OK ? DAL_OK : sq_error(c, src, err, "'%s': beginning the schema transaction", DAL_CLIPPED(st->path));
    sq_record r = {0};
    dal_plan plan = {0};
    bool down = false;
    action act = ACT_NONE;
    if (rc == DAL_OK)
        rc = read_record(c, &r, err);
    if (rc == DAL_OK)
        rc = decide(c, &r, checksum, &act, &plan, &down, err);
    if (rc == DAL_OK) {
        runner run_state = {c, err, DAL_OK};
        int64_t level = r.level > 0 ? r.level : 1;
        const char *dir = "up";
        switch (act) {
        case ACT_NONE: break;
        case ACT_REPAIR: /* tables or indexes dropped by hand: made again, no new record */
        case ACT_CREATE: {
            char *ddl = sq_schema_ddl(&sq_sqlite_dialect, st->schema);
            if (ddl == NULL) {
                rc = dal_set_error(err, DAL_ERR_NOMEM, "out of memory");
                break;
            }
            src = sq_exec_text(c, ddl);
            free(ddl);
            if (src != SQLITE_OK)
                rc = sq_error(c, src, err, "'%s': creating the tables of schema '%s'", DAL_CLIPPED(st->path), st->schema->ns);
            level = 1;
            dir = "create";
            if (act == ACT_REPAIR)
                act = ACT_NONE;
            break;
        }
        case ACT_ADOPT: { /* an earlier dal's database of this very schema: its document is recorded */
            char *ddl = sq_schema_ddl(&sq_sqlite_dialect, st->schema);
            src = ddl ? sq_exec_text(c, ddl) : SQLITE_NOMEM;
            free(ddl);
            if (src != SQLITE_OK)
                rc = sq_error(c, src, err, "'%s': completing the tables of schema '%s'", DAL_CLIPPED(st->path), st->schema->ns);
            level = 1;
            dir = "adopt";
            break;
        }
        case ACT_MIGRATE: {
            apply_plan(&run_state, &plan, dal_now_us());
            rc = run_state.rc;
            if (down) {
                bool found = false;
                query_int(c,
                          "SELECT \"level\" FROM \"schema_migrations\" WHERE \"checksum\" = ? ORDER BY \"version\" "
                          "DESC, rowid DESC LIMIT 1",
                          checksum, &level, &found);
                dir = "down";
            } else {
                level = r.level + 1;
            }
            break;
        }
        }
        if (rc == DAL_OK && act != ACT_NONE)
            rc = write_record(c, &r, canonical, checksum, dir, level, err);
    }
    dal_plan_free(&plan);
    record_clear(&r);
    if (rc == DAL_OK) {
        src = sq_exec_text(c, "COMMIT");
        if (src != SQLITE_OK)
            rc = sq_error(c, src, err, "'%s': committing the schema", DAL_CLIPPED(st->path));
    }
    if (rc != DAL_OK && !sqlite3_get_autocommit(c->db))
        sq_exec_text(c, "ROLLBACK");
    if (fk_off)
        sq_exec_text(c, "PRAGMA foreign_keys=ON");
    return rc;
}

/* The read half: a raw connection that writes nothing. *act tells what the
 * write half has to do (ACT_NONE: nothing, open without the write lock). */
static dal_code probe(sq_state *st, const char *checksum, action *act, dal_error *err)
{
    sq_conn c = {0};
    c.st = st;
    int rc = sqlite3_open_v2(st->path, &c.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        dal_code code = dal_set_error(err, rc == SQLITE_NOMEM ? DAL_ERR_NOMEM : DAL_ERR_DATABASE,
                                      "cannot open '%s': %s", DAL_CLIPPED(st->path),
                                      c.db ? sqlite3_errmsg(c.db) : sqlite3_errstr(rc));
        sqlite3_close_v2(c.db);
        return code;
    }
    sqlite3_extended_result_codes(c.db, 1);
    sqlite3_db_config(c.db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    unsigned bt = st->opts.busy_timeout_ms;
    sqlite3_busy_timeout(c.db, bt > 0x7fffffff ? 0x7fffffff : (int)bt);
    sq_record r;
    dal_code code = read_record(&c, &r, err);
    dal_plan plan = {0};
    bool down = false;
    if (code == DAL_OK)
        code = decide(&c, &r, checksum, act, &plan, &down, err);
    dal_plan_free(&plan);
    record_clear(&r);
    sqlite3_close_v2(c.db);
    return code;
}

dal_code sq_schema_open(sq_state *st, dal_code (*make_pool)(sq_state *, dal_error *), dal_error *err)
{
    char *canonical = dal_schema_doc_text(st->schema);
    if (canonical == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory describing schema '%s'", st->schema->ns);
    char checksum[17];
    dal_schema_checksum(canonical, checksum);
    action act = ACT_CREATE;
    dal_code rc = st->memory ? DAL_OK : probe(st, checksum, &act, err);
    if (rc == DAL_OK)
        rc = make_pool(st, err);
    if (rc == DAL_OK && act != ACT_NONE) {
        sq_conn *c = dal_pool_acquire(st->pool, err);
        if (c == NULL) {
            rc = err ? err->code : DAL_ERR_POOL;
        } else {
            rc = create_or_migrate(c, canonical, checksum, err);
            dal_pool_release(st->pool, c, !sqlite3_get_autocommit(c->db));
        }
    }
    free(canonical);
    return rc;
}
