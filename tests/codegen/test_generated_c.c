/*
 * test_generated_c.c - property: dalc never emits C that does not compile.
 *
 * A generator writes random schemas that are valid as far as the grammar
 * and the types go, with names drawn to collide: models ending in List,
 * Query, Cond or Row, queries named after generated operations and builder
 * functions, fields and parameters named after C keywords, library names and
 * macros (errno, NULL, bool, int64_t ...), namespaces that are prefixes of
 * library names. Each schema goes through dalc; it must either be rejected
 * with a diagnostic (file:line:col: error: ...) or its output must compile
 * with -Wall -Wextra -Werror -pedantic under gcc (-std=c11) and clang (its
 * default GNU dialect, which shows glibc's POSIX names too), syntax only.
 *
 * Arguments: DALC RUNTIME_DIR CASES_DIR. DAL_GENERATED_C_SCHEMAS sets how
 * many schemas (default 100), DAL_GENERATED_C_SEED the first seed (default
 * 1). A failure names its seed and keeps its schema in the work directory;
 * failures found so far are kept as CASES_DIR/<seed>.dal and run each time.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

static const char *dalc_path, *runtime_dir, *cases_dir;

/* ------------------------------------------------------------ generator */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t pick(rng *r, size_t n)
{
    return (size_t)(next(r) % n);
}

#define PICK(r, arr) (arr)[pick((r), sizeof(arr) / sizeof((arr)[0]))]
/* A name that collides often, or (two times in three) a plain one, so that
 * enough schemas pass to exercise the emitters. */
#define NAME(r, plain, wild) (pick((r), 3) ? PICK((r), plain) : PICK((r), wild))

static const char *const plain_models[] = {"Agent", "Event", "Note", "Book", "User", "Order", "Item", "Shelf"};
static const char *const plain_enums[] = {"Color", "Level", "Mode", "Shade"};
static const char *const plain_members[] = {"red", "green", "blue", "on", "off", "idle"};
static const char *const plain_fields[] = {"title", "size2", "amount", "created", "label", "score", "note",
                                           "owner", "rank", "body"};
static const char *const plain_queries[] = {"pending", "recent", "by_title", "top", "stale", "open_ones",
                                            "mine", "sweep"};

static const char *const namespaces[] = {
    "app", "app", "app", "t", "x", "db", "int8", "uint64", "size", "div", "cJSON", "dal", "Dal", "errno",
    "bool", "_x", "X", "app_task", "NULL", "true", "at_quick", "swarm", "pthread", "u", "EXIT",
};
static const char *const model_names[] = {
    "Task", "Task", "TaskList", "TaskQuery", "TaskCond", "TaskRow", "Metric", "MetricSummaryRow", "Db",
    "Tx", "Agent", "AgentKindList", "T", "Bool", "Errno", "Null", "Query", "Cond", "List", "Row", "Int8",
    "TaskPriority", "Schema", "Enums", "TaskFields", "TaskPk", "Open", "TxDb", "Task_", "TASK", "H",
    "PriorityList", "Model", "TaskModel", "TaskIndexes", "Free", "Value",
};
static const char *const enum_names[] = {
    "Priority", "TaskPriority", "Kind", "AgentKind", "Status", "T", "List", "Count", "Errno", "Task",
    "TaskF", "E", "Bool", "Names", "TaskPriorityList",
};
static const char *const member_names[] = {
    "low", "high", "count", "list", "a", "NULL", "errno", "bool", "true", "for", "EOF", "COUNT", "values",
    "id", "b", "c", "int", "F_ID", "max", "SIZE_MAX",
};
static const char *const field_names[] = {
    "name", "priority", "for", "for_", "errno", "NULL", "bool", "true", "int64_t", "size_t", "has_x", "x",
    "X", "db", "out", "err", "n", "v", "values", "q", "T_TASK_F_ID", "APP_TASK_F_ID", "count", "list",
    "query", "cond", "new", "delete", "free", "status", "kind", "value", "key", "args", "view", "rc", "obj",
    "pattern", "is_null", "desc", "limit", "offset", "row", "a", "b", "c", "json", "src", "dst", "INT8_MAX",
    "EXIT_SUCCESS", "assert", "offsetof", "cJSON", "dal_error", "app_task", "app_db", "uint8_t", "main",
    "exists", "sql", "params_json", "dialect", "found", "changed", "int", "double", "static", "name_is",
    "x_in", "id_in",
};
static const char *const query_names[] = {
    "get", "insert", "insert_many", "all", "count", "to_cjson", "to_json", "from_json", "query_new", "and",
    "or", "not", "name_is", "priority_list", "list", "fields", "pk", "indexes", "index0", "summary", "row",
    "by_name", "params", "where", "order", "set", "group", "items", "query", "model", "new", "free",
    "cond_free", "x_in", "id_in", "query_fetch", "row_list", "list_free", "pending", "recent", "by_x",
    "name_like", "query_order_by_name", "query_set_x", "copy", "equal", "init", "clear", "upsert",
    "delete", "update",
};
static const char *const item_names[] = {
    "n", "total", "count", "for", "errno", "NULL", "has_n", "value", "x", "bool", "samples", "avg", "min",
    "first_seen", "int64_t",
};

typedef enum ftype { F_TEXT, F_INT, F_I32, F_U64, F_REAL, F_BOOL, F_TS, F_UUID, F_JSON, F_LIST, F_MAP, F_ENUM } ftype;

typedef struct gfield {
    const char *name;
    ftype t;
    bool optional;
    int enum_index;
} gfield;

typedef struct gmodel {
    const char *name;
    gfield f[8];
    int n;
} gmodel;

typedef struct gen {
    rng r;
    char *s;
    size_t len, cap;
    const char *enums[3];
    int n_enums;
    gmodel models[4];
    int n_models;
} gen;

static void out(gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (g->len + (size_t)n + 1 > g->cap) {
        g->cap = (g->len + (size_t)n + 1) * 2;
        g->s = realloc(g->s, g->cap);
        assert_non_null(g->s);
    }
    va_start(ap, fmt);
    vsnprintf(g->s + g->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    g->len += (size_t)n;
}

static const char *type_text(const gen *g, const gfield *f, char *buf, size_t size)
{
    static const char *const names[] = {"text", "int", "i32", "u64", "real", "bool", "timestamp", "uuid",
                                        "json", "text[]", "map<text>", ""};
    if (f->t == F_ENUM)
        snprintf(buf, size, "%s%s", g->enums[f->enum_index], f->optional ? "?" : "");
    else
        snprintf(buf, size, "%s%s", names[f->t], f->optional ? "?" : "");
    return buf;
}

/* Types a where clause can compare with = and a parameter. */
static bool comparable(ftype t)
{
    return t != F_JSON && t != F_LIST && t != F_MAP;
}

static bool used(const gfield *f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return true;
    return false;
}

/* One schema for seed. Mostly valid: the names decide whether dalc takes it. */
static void generate(gen *g, uint64_t seed)
{
    g->r.s = seed * 0x2545f4914f6cdd1dULL + 1;
    g->len = 0;
    rng *r = &g->r;
    out(g, "// seed %llu\nnamespace %s;\n", (unsigned long long)seed, pick(r, 2) ? "app" : PICK(r, namespaces));
    g->n_enums = (int)pick(r, 3);
    for (int i = 0; i < g->n_enums; i++) {
        const char *name;
        do
            name = NAME(r, plain_enums, enum_names);
        while ((i > 0 && strcmp(name, g->enums[0]) == 0) || (i > 1 && strcmp(name, g->enums[1]) == 0));
        g->enums[i] = name;
        out(g, "enum %s {", name);
        const char *members[4];
        int n = 1 + (int)pick(r, 3);
        for (int j = 0; j < n; j++) {
            const char *m;
            bool dup;
            do {
                m = NAME(r, plain_members, member_names);
                dup = false;
                for (int k = 0; k < j; k++)
                    dup |= strcmp(m, members[k]) == 0;
            } while (dup);
            members[j] = m;
            out(g, "%s %s", j ? "," : "", m);
        }
        out(g, " }\n");
    }
    g->n_models = 1 + (int)pick(r, 3);
    for (int i = 0; i < g->n_models; i++) {
        gmodel *m = &g->models[i];
        bool dup;
        do {
            m->name = NAME(r, plain_models, model_names);
            dup = false;
            for (int k = 0; k < i; k++)
                dup |= strcmp(m->name, g->models[k].name) == 0;
            for (int k = 0; k < g->n_enums; k++)
                dup |= strcmp(m->name, g->enums[k]) == 0;
        } while (dup);
        static const ftype id_types[] = {F_INT, F_UUID, F_TEXT};
        m->n = 0;
        m->f[m->n++] = (gfield){pick(r, 4) == 0 ? PICK(r, field_names) : "id", PICK(r, id_types), false, 0};
        int extra = 1 + (int)pick(r, 5);
        for (int j = 0; j < extra; j++) {
            gfield f;
            do
                f.name = NAME(r, plain_fields, field_names);
            while (used(m->f, m->n, f.name));
            f.t = (ftype)pick(r, g->n_enums ? 12 : 11);
            f.optional = pick(r, 3) == 0;
            f.enum_index = g->n_enums ? (int)pick(r, (size_t)g->n_enums) : 0;
            if (f.t == F_LIST || f.t == F_MAP || f.t == F_JSON)
                f.optional = false;
            m->f[m->n++] = f;
        }
        out(g, "model %s {\n", m->name);
        char buf[64];
        for (int j = 0; j < m->n; j++)
            out(g, "  %s %s%s\n", m->f[j].name, type_text(g, &m->f[j], buf, sizeof buf), j == 0 ? " @id" : "");
        out(g, "}\n");
    }
    int n_queries = (int)pick(r, 6);
    const char *done[8][2];
    int n_done = 0;
    for (int i = 0; i < n_queries; i++) {
        const gmodel *m = &g->models[pick(r, (size_t)g->n_models)];
        const char *name = NAME(r, plain_queries, query_names);
        bool dup = false;
        for (int k = 0; k < n_done; k++)
            dup |= done[k][0] == m->name && strcmp(done[k][1], name) == 0;
        if (dup)
            continue;
        done[n_done][0] = m->name;
        done[n_done++][1] = name;
        /* a comparable field, and a non-key one for updates */
        const gfield *f = NULL, *set = NULL;
        for (int tries = 0; tries < 8 && f == NULL; tries++) {
            const gfield *c = &m->f[pick(r, (size_t)m->n)];
            if (comparable(c->t))
                f = c;
        }
        for (int j = 1; j < m->n && set == NULL; j++)
            if (comparable(m->f[j].t))
                set = &m->f[j];
        if (f == NULL)
            f = &m->f[0];
        char buf[64];
        gfield pt = *f;
        pt.optional = false;
        const char *param = pick(r, 2) ? NAME(r, plain_fields, field_names) : f->name;
        switch (pick(r, 5)) {
        case 0:
        case 1:
            out(g, "query %s.%s(%s: %s) -> %s { where %s = $%s%s }\n", m->name, name, param,
                type_text(g, &pt, buf, sizeof buf), pick(r, 2) ? "many" : "one", f->name, param,
                pick(r, 2) ? " limit 10" : "");
            break;
        case 2:
            if (set != NULL) {
                gfield st = *set;
                st.optional = false;
                out(g, "update %s.%s(%s: %s) -> %s { set %s = $%s }\n", m->name, name, param,
                    type_text(g, &st, buf, sizeof buf), pick(r, 2) ? "count" : "bool", set->name, param);
            } else {
                out(g, "delete %s.%s() -> count { }\n", m->name, name);
            }
            break;
        case 3:
            out(g, "delete %s.%s(%s: %s) -> count { where %s = $%s }\n", m->name, name, param,
                type_text(g, &pt, buf, sizeof buf), f->name, param);
            break;
        case 4: {
            const char *item = PICK(r, item_names);
            if (strcmp(item, f->name) == 0)
                item = "n_";
            out(g, "aggregate %s.%s() { group by %s select count() as %s }\n", m->name, name, f->name, item);
            break;
        }
        }
    }
}

/* ------------------------------------------------------------ running */

static char work[256];

static int run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    if (s != NULL && n > 0 && fread(s, 1, (size_t)n, f) != (size_t)n)
        s[0] = '\0';
    fclose(f);
    return s;
}

/* The namespace of a schema's first namespace line. */
static bool namespace_of(const char *text, char *ns, size_t size)
{
    const char *p = strstr(text, "namespace ");
    if (p == NULL)
        return false;
    p += strlen("namespace ");
    size_t n = strcspn(p, "; \n");
    if (n == 0 || n >= size)
        return false;
    memcpy(ns, p, n);
    ns[n] = '\0';
    return true;
}

typedef struct batch {
    char (*c_files)[1024];
    char (*names)[128];
    size_t n, cap;
    unsigned accepted, rejected, failed;
} batch;

/* Runs dalc on path (named label in messages): a rejection must be a
 * diagnostic; an acceptance queues the .c for compiling. */
static void dalc_one(batch *b, const char *path, const char *label, size_t id)
{
    char outdir[400], diag[400];
    snprintf(outdir, sizeof outdir, "%s/out%zu", work, id);
    snprintf(diag, sizeof diag, "%s/diag%zu.txt", work, id);
    int rc = run("'%s' --out '%s' '%s' >'%s' 2>&1", dalc_path, outdir, path, diag);
    if (rc == 1) {
        char *d = slurp(diag);
        bool ok = d != NULL && strstr(d, ": error: ") != NULL && strstr(d, ".dal:") != NULL;
        if (!ok) {
            printf("%s: dalc exited 1 without a diagnostic:\n%s\n", label, d ? d : "(none)");
            b->failed++;
        }
        free(d);
        b->rejected++;
        return;
    }
    if (rc != 0) {
        char *d = slurp(diag);
        printf("%s: dalc exited %d:\n%s\n", label, rc, d ? d : "");
        free(d);
        b->failed++;
        return;
    }
    b->accepted++;
    char *text = slurp(path);
    char ns[128];
    assert_non_null(text);
    assert_true(namespace_of(text, ns, sizeof ns));
    free(text);
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->c_files = realloc(b->c_files, b->cap * sizeof *b->c_files);
        b->names = realloc(b->names, b->cap * sizeof *b->names);
        assert_non_null(b->c_files);
        assert_non_null(b->names);
    }
    snprintf(b->c_files[b->n], sizeof b->c_files[b->n], "%s/%s/%s.c", outdir, ns, ns);
    snprintf(b->names[b->n], sizeof b->names[b->n], "%s", label);
    b->n++;
}

static const char *const compilers[] = {
    "gcc -std=c11",
    "clang",
};

/* Compiles files [from, to) with one compiler invocation; on failure, one
 * by one to name the schemas. */
static void compile(batch *b, size_t from, size_t to)
{
    for (size_t c = 0; c < sizeof compilers / sizeof compilers[0]; c++) {
        char files[65536];
        size_t used_len = 0;
        files[0] = '\0';
        for (size_t i = from; i < to; i++)
            used_len += (size_t)snprintf(files + used_len, sizeof files - used_len, " '%s'", b->c_files[i]);
        assert_true(used_len < sizeof files);
        const char *flags = "-fsyntax-only -Wall -Wextra -Werror -pedantic";
        if (run("%s %s -I'%s' %s >/dev/null 2>&1", compilers[c], flags, runtime_dir, files) == 0)
            continue;
        for (size_t i = from; i < to; i++) {
            char log[512];
            snprintf(log, sizeof log, "%s.%zu.log", b->c_files[i], c);
            if (run("%s %s -I'%s' '%s' >'%s' 2>&1", compilers[c], flags, runtime_dir, b->c_files[i], log) != 0) {
                char *l = slurp(log);
                printf("%s: accepted, but '%s' fails to compile it:\n%.2000s\n", b->names[i], compilers[c],
                       l ? l : "");
                free(l);
                b->failed++;
            }
        }
    }
}

static void compile_all(batch *b)
{
    for (size_t i = 0; i < b->n; i += 40)
        compile(b, i, i + 40 < b->n ? i + 40 : b->n);
}

static void make_work(void)
{
    snprintf(work, sizeof work, "%s/generated_c.XXXXXX", DAL_BINARY_DIR);
    assert_non_null(mkdtemp(work));
}

static void remove_work(void)
{
    run("rm -rf '%s'", work);
}

/* ------------------------------------------------------------ tests */

static void test_random_schemas(void **state)
{
    (void)state;
    const char *env = getenv("DAL_GENERATED_C_SCHEMAS");
    unsigned long count = env ? strtoul(env, NULL, 10) : 100;
    env = getenv("DAL_GENERATED_C_SEED");
    unsigned long long first = env ? strtoull(env, NULL, 10) : 1;
    make_work();
    gen g = {0};
    batch b = {0};
    for (unsigned long i = 0; i < count; i++) {
        unsigned long long seed = first + i;
        generate(&g, seed);
        char path[512], label[64];
        snprintf(path, sizeof path, "%s/s%llu.dal", work, seed);
        snprintf(label, sizeof label, "seed %llu", seed);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(g.s, 1, g.len, f);
        fclose(f);
        dalc_one(&b, path, label, (size_t)i);
        if (b.n == 200 || i + 1 == count) {
            compile_all(&b);
            b.n = 0;
        }
    }
    printf("%lu schemas from seed %llu: %u accepted and compiled with gcc and clang, %u rejected, %u "
           "failures\n",
           count, first, b.accepted, b.rejected, b.failed);
    if (b.failed == 0 && getenv("DAL_GENERATED_C_KEEP") == NULL)
        remove_work();
    else
        printf("schemas and outputs kept in %s\n", work);
    free(g.s);
    free(b.c_files);
    free(b.names);
    /* most schemas collide somewhere, but enough are accepted to test the emitters */
    assert_int_equal(b.failed, 0);
    assert_true(b.accepted >= count / 10);
    assert_true(b.rejected >= count / 10);
}

/* Schemas that once went wrong, kept as they were. */
static void test_regression_cases(void **state)
{
    (void)state;
    make_work();
    DIR *d = opendir(cases_dir);
    assert_non_null(d);
    batch b = {0};
    size_t id = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".dal") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", cases_dir, e->d_name);
        dalc_one(&b, path, e->d_name, id++);
    }
    closedir(d);
    compile_all(&b);
    printf("%zu kept cases: %u accepted and compiled, %u rejected, %u failures\n", id, b.accepted, b.rejected,
           b.failed);
    if (b.failed == 0)
        remove_work();
    free(b.c_files);
    free(b.names);
    assert_int_equal(b.failed, 0);
    assert_true(id > 0);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DALC RUNTIME_DIR CASES_DIR\n", argv[0]);
        return 2;
    }
    dalc_path = argv[1];
    runtime_dir = argv[2];
    cases_dir = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regression_cases),
        cmocka_unit_test(test_random_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
