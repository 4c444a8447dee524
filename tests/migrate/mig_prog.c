/*
 * mig_prog.c - one program per version of the migration test schema
 * (tests/migrate/vN/schema.dal, built with MIG_VERSION=N). Generic over the
 * descriptors, so the same source reads every version:
 *
 *   mig_vN URL populate N   (version 1) owners 1..3 and N items with known values
 *   mig_vN URL check        opens (migrating), checks what version N promises of
 *                           rows made by version 1, writes a little of its own
 *   mig_vN URL dump FILE    every row of every model as JSON lines
 *   mig_vN URL open         opens and closes
 *   mig_vN - checksum       prints the checksum of this version's schema
 *
 * Exit status: 0 ok, 3 the open failed (code and message on stdout), 1 a
 * check failed (what on stderr), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal_migrate.h"
#include "mig/mig.h"

#define FAIL(...)                                                                                                      \
    do {                                                                                                               \
        fprintf(stderr, "mig_v%d: ", MIG_VERSION);                                                                     \
        fprintf(stderr, __VA_ARGS__);                                                                                  \
        fputc('\n', stderr);                                                                                           \
        exit(1);                                                                                                       \
    } while (0)

static const dal_schema *S = &mig_schema;

static const dal_model *model(const char *name)
{
    for (size_t i = 0; i < S->n_models; i++)
        if (strcmp(S->models[i]->name, name) == 0)
            return S->models[i];
    FAIL("no model %s", name);
}

static const dal_field *field(const dal_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (strcmp(m->fields[i].name, name) == 0)
            return &m->fields[i];
    FAIL("no field %s.%s", m->name, name);
}

static void set(const dal_model *m, void *row, const char *name, dal_value v)
{
    dal_error err = {0};
    if (dal_field_set(field(m, name), row, &v, &err) != DAL_OK)
        FAIL("set %s.%s: %s", m->name, name, err.message);
}

static dal_value text(const char *s)
{
    return (dal_value){.type = DAL_TEXT, .as.s = s};
}

static dal_value num(dal_type t, int64_t i)
{
    return (dal_value){.type = t, .as.i = i};
}

static dal_value get(const dal_model *m, const void *row, const char *name)
{
    const dal_field *f = field(m, name);
    dal_value v = dal_field_value(f, row);
    if (!dal_field_present(f, row))
        v.is_null = true;
    return v;
}

typedef struct rows {
    size_t n;
    char *v;
} rows;

static rows all(dal_db *db, const dal_model *m)
{
    rows r = {0};
    dal_error err = {0};
    if (dal_list_all(db, m, (dal_list *)&r, &err) != DAL_OK)
        FAIL("list %s: %s", m->name, err.message);
    return r;
}

static void *row_at(const dal_model *m, rows r, size_t i)
{
    return r.v + i * m->size;
}

static dal_db *open_db(const char *url)
{
    dal_error err = {0};
    dal_db *db = dal_open(S, url, NULL, &err);
    if (db == NULL) {
        printf("OPEN FAILED %s: %s\n", dal_code_name(err.code), err.message);
        exit(3);
    }
    return db;
}

/* Item number of a row made by version 1 ("item-<k>"), or -1. */
static long item_no(const dal_model *items, const void *row)
{
    const char *name = get(items, row, MIG_VERSION >= 3 ? "name" : "title").as.s;
    return name && strncmp(name, "item-", 5) == 0 ? strtol(name + 5, NULL, 10) : -1;
}

static void populate(const char *url, long n)
{
    dal_db *db = open_db(url);
    dal_error err = {0};
    const dal_model *owners = model("Owner"), *items = model("Item");
    char *o = calloc(1, owners->size), *it = calloc(1, items->size);
    for (int k = 1; k <= 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "owner-%d", k);
        dal_record_init(owners, o);
        set(owners, o, "id", num(DAL_INT, k));
        set(owners, o, "name", text(name));
        if (dal_insert(db, owners, o, &err) != DAL_OK)
            FAIL("insert owner: %s", err.message);
        dal_record_clear(owners, o);
    }
    dal_tx *tx = dal_begin(db, &err);
    for (long i = 0; i < n; i++) {
        char title[32], note[32];
        snprintf(title, sizeof title, "item-%ld", i);
        snprintf(note, sizeof note, "n%ld", i);
        dal_record_init(items, it);
        set(items, it, "title", text(title));
        set(items, it, "qty", num(DAL_I32, 3 * i));
        if (i % 2)
            set(items, it, "note", text(note));
        set(items, it, "status", num(DAL_ENUM, i % 2)); /* open, closed */
        set(items, it, "owner_id", num(DAL_INT, 1 + i % 3));
        set(items, it, "created_at", num(DAL_TIMESTAMP, 1700000000000000LL + i));
        if (dal_insert(dal_tx_db(tx), items, it, &err) != DAL_OK)
            FAIL("insert item: %s", err.message);
        dal_record_clear(items, it);
    }
    if (dal_commit(tx, &err) != DAL_OK)
        FAIL("commit: %s", err.message);
    dal_tx_free(tx);
    free(o);
    free(it);
    dal_close(db);
}

static void free_rows(const dal_model *m, rows *r)
{
    dal_record_list_free(m, (dal_list *)r);
}

#if MIG_VERSION >= 2
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
#endif

static void check(const char *url)
{
    dal_db *db = open_db(url);
    dal_error err = {0};
    (void)err;
    const dal_model *items = model("Item");
    const dal_model *owners = model(MIG_VERSION >= 3 ? "Person" : "Owner");
    rows o = all(db, owners);
    if (o.n != 3)
        FAIL("%zu owners, want 3", o.n);
    for (size_t k = 0; k < o.n; k++) {
        char want[32];
        snprintf(want, sizeof want, "owner-%zu", k + 1);
        if (strcmp(get(owners, row_at(owners, o, k), "name").as.s, want) != 0)
            FAIL("owner %zu is %s", k, get(owners, row_at(owners, o, k), "name").as.s);
    }
    free_rows(owners, &o);
    rows r = all(db, items);
    if (r.n == 0)
        FAIL("no items");
    int64_t seen = 0;
    (void)seen;
    for (size_t i = 0; i < r.n; i++) {
        void *row = row_at(items, r, i);
        long k = item_no(items, row);
        if (k < 0)
            FAIL("item %zu has no item- name", i);
        if (get(items, row, "qty").as.i != 3 * k)
            FAIL("item-%ld qty %lld", k, (long long)get(items, row, "qty").as.i);
        dal_value note = get(items, row, "note");
        if ((k % 2) != !note.is_null)
            FAIL("item-%ld note presence", k);
        if (!note.is_null) {
            char want[32];
            snprintf(want, sizeof want, "n%ld", k);
            if (strcmp(note.as.s, want) != 0)
                FAIL("item-%ld note %s", k, note.as.s);
        }
        if (get(items, row, "status").as.i != k % 2)
            FAIL("item-%ld status", k);
        if (get(items, row, "owner_id").as.i != 1 + k % 3)
            FAIL("item-%ld owner", k);
        if (get(items, row, "created_at").as.i != 1700000000000000LL + k)
            FAIL("item-%ld created_at", k);
#if MIG_VERSION >= 2
        dal_value pr = get(items, row, "priority");
        if (pr.is_null || pr.as.i != 5)
            FAIL("item-%ld priority not the default 5", k);
        if (get(items, row, "tags").as.list.n != 0)
            FAIL("item-%ld tags not empty", k);
        const char *token = get(items, row, "token").as.s;
        if (!dal_uuid_valid(token))
            FAIL("item-%ld token '%s' not a uuid", k, token);
        int64_t s = get(items, row, "seen_at").as.i;
        if (seen == 0)
            seen = s;
        if (s != seen || s < 1700000000000000LL)
            FAIL("item-%ld seen_at %lld, others %lld: now defaults are one value per migration", k, (long long)s,
                 (long long)seen);
        dal_value color = get(items, row, "color");
        if (k == 0 && MIG_VERSION >= 3 && getenv("MIG_EXPECT_COLOR") != NULL &&
            (color.is_null || strcmp(color.as.s, "red") != 0))
            FAIL("item-0 lost the color version 2 gave it");
        if (k != 0 && !color.is_null)
            FAIL("item-%ld has a color", k);
#endif
    }
#if MIG_VERSION >= 2
    {
        const char **tokens = calloc(r.n, sizeof *tokens);
        for (size_t i = 0; i < r.n; i++)
            tokens[i] = get(items, row_at(items, r, i), "token").as.s;
        qsort(tokens, r.n, sizeof *tokens, cmp_str);
        for (size_t i = 1; i < r.n; i++)
            if (strcmp(tokens[i - 1], tokens[i]) == 0)
                FAIL("two rows have token %s: uuid7 defaults are one per row", tokens[i]);
        free(tokens);
    }
#endif
#if MIG_VERSION == 2
    /* the new field is usable: version 3 checks it survives */
    for (size_t i = 0; i < r.n; i++) {
        void *row = row_at(items, r, i);
        if (item_no(items, row) == 0) {
            set(items, row, "color", text("red"));
            if (dal_update(db, items, row, &err) != DAL_OK)
                FAIL("update color: %s", err.message);
        }
    }
#endif
#if MIG_VERSION >= 4
    {
        const dal_model *tags = model("Tag");
        char *t = calloc(1, tags->size);
        dal_record_init(tags, t);
        set(tags, t, "id", num(DAL_INT, MIG_VERSION));
        set(tags, t, "label", text("v"));
        set(tags, t, "item_id", text(get(items, row_at(items, r, 0), "id").as.s));
        if (dal_upsert(db, tags, t, &err) != DAL_OK)
            FAIL("upsert tag: %s", err.message);
        dal_record_clear(tags, t);
        set(tags, t, "id", num(DAL_INT, 100 + MIG_VERSION));
        set(tags, t, "label", text("dangling"));
        set(tags, t, "item_id", text("00000000-0000-7000-8000-000000000000"));
        if (dal_insert(db, tags, t, &err) != DAL_ERR_CONSTRAINT)
            FAIL("a tag referencing no item was not refused: the rebuilt table lost its foreign key");
        dal_record_clear(tags, t);
        free(t);
    }
#endif
#if MIG_VERSION >= 5
    {
        dal_value arg = num(DAL_ENUM, 1);
        rows closed = {0};
        if (dal_query_many(db, S->queries[0], &arg, (dal_list *)&closed, &err) != DAL_OK)
            FAIL("by_status: %s", err.message);
        if (closed.n != r.n / 2)
            FAIL("by_status(closed): %zu rows of %zu", closed.n, r.n);
        free_rows(items, &closed);
        /* the new unique index holds */
        char *dup = calloc(1, items->size);
        dal_record_init(items, dup);
        set(items, dup, "name", text("item-0"));
        set(items, dup, "owner_id", num(DAL_INT, 1));
        if (dal_insert(db, items, dup, &err) != DAL_ERR_CONSTRAINT)
            FAIL("a duplicate (owner_id, name) was not refused");
        dal_record_clear(items, dup);
        free(dup);
    }
#endif
#if MIG_VERSION >= 6
    {
        const dal_model *audits = model("Audit");
        char *a = calloc(1, audits->size);
        dal_record_init(audits, a);
        set(audits, a, "what", text("checked"));
        if (dal_insert(db, audits, a, &err) != DAL_OK)
            FAIL("insert audit: %s", err.message);
        if (get(audits, a, "seq").as.i < 1)
            FAIL("audit seq not assigned");
        dal_record_clear(audits, a);
        free(a);
    }
#endif
    free_rows(items, &r);
    dal_close(db);
}

static void dump(const char *url, const char *path)
{
    dal_db *db = open_db(url);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        FAIL("cannot write %s", path);
    for (size_t i = 0; i < S->n_models; i++) {
        const dal_model *m = S->models[i];
        if (m->table == NULL)
            continue;
        rows r = all(db, m);
        for (size_t k = 0; k < r.n; k++) {
            char *json = dal_record_to_json(m, row_at(m, r, k));
            fprintf(f, "%s %s\n", m->name, json);
            free(json);
        }
        free_rows(m, &r);
    }
    fclose(f);
    dal_close(db);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[2], "checksum") == 0) {
        char *doc = dal_schema_doc_text(S);
        char sum[17];
        dal_schema_checksum(doc, sum);
        printf("%s\n", sum);
        free(doc);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[2], "populate") == 0) {
        populate(argv[1], strtol(argv[3], NULL, 10));
        return 0;
    }
    if (argc >= 3 && strcmp(argv[2], "check") == 0) {
        check(argv[1]);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[2], "dump") == 0) {
        dump(argv[1], argv[3]);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[2], "open") == 0) {
        dal_close(open_db(argv[1]));
        return 0;
    }
    fprintf(stderr, "usage: %s URL populate N | check | dump FILE | open ; %s - checksum\n", argv[0], argv[0]);
    return 2;
}
