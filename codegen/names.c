/*
 * names.c - the C names dalc generates (see names.h), and what C and the
 * included headers already declare.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe_util.h"
#include "names.h"

/* ------------------------------------------------------------ patterns */

static void put_case(fe_buf *b, const char *s, bool upper)
{
    for (const char *c = s; *c; c++)
        fe_buf_printf(b, "%c", upper ? toupper((unsigned char)*c) : *c);
}

/* pattern with {p} {P} {n} {N} replaced (malloc'd). */
static char *expand(const char *pattern, const char *p, const char *n)
{
    fe_buf b = {0};
    fe_buf_printf(&b, "%s", "");
    for (const char *c = pattern; *c; c++) {
        if (c[0] == '{' && c[1] && c[2] == '}') {
            char k = c[1];
            put_case(&b, k == 'p' || k == 'P' ? p : n, k == 'P' || k == 'N');
            c += 2;
        } else {
            fe_buf_printf(&b, "%c", *c);
        }
    }
    return fe_buf_take(&b);
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = fe_malloc(na + nb + 2);
    memcpy(s, a, na);
    s[na] = '_';
    memcpy(s + na + 1, b, nb + 1);
    return s;
}

/* ------------------------------------------------------------ what C has */

/* Words a struct member or a parameter cannot be: the keywords of C11, C23
 * and GNU C, and the object-like macros of the headers the generated code
 * includes (C11 <stdbool.h>, <stddef.h>, <stdint.h>, <stdlib.h>, with the
 * ones glibc's <stdlib.h> adds when no strict standard is asked for). The
 * limits of the exact-width integers are added by std_int_name. A schema
 * name that is one of these gets a trailing '_' in C. */
static const char *const c_words[] = {
    "_Alignas", "_Alignof", "_Atomic", "_BitInt", "_Bool", "_Complex", "_Decimal128", "_Decimal32",
    "_Decimal64", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local", "alignas",
    "alignof", "auto", "bool", "break", "case", "char", "const", "constexpr", "continue", "default", "do",
    "double", "else", "enum", "extern", "false", "float", "for", "goto", "if", "inline", "int", "long",
    "nullptr", "register", "restrict", "return", "short", "signed", "sizeof", "static", "static_assert",
    "struct", "switch", "thread_local", "true", "typedef", "typeof", "typeof_unqual", "union", "unsigned",
    "void", "volatile", "while", "asm", "complex", "imaginary", "noreturn", "NULL", "errno", "assert",
    "offsetof", "INTPTR_MIN", "INTPTR_MAX", "UINTPTR_MAX", "INTMAX_MIN", "INTMAX_MAX", "UINTMAX_MAX",
    "PTRDIFF_MIN", "PTRDIFF_MAX", "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX", "SIZE_MAX", "WCHAR_MIN", "WCHAR_MAX",
    "WINT_MIN", "WINT_MAX", "EXIT_FAILURE", "EXIT_SUCCESS", "RAND_MAX", "MB_CUR_MAX", "WNOHANG",
    "WUNTRACED", "FD_SETSIZE", "NFDBITS", "BIG_ENDIAN", "LITTLE_ENDIAN", "PDP_ENDIAN", "BYTE_ORDER",
};

/* Names the same headers declare as types, functions and function-like
 * macros: a generated name may not be one, a parameter is renamed. */
static const char *const c_library[] = {
    "size_t", "ptrdiff_t", "max_align_t", "wchar_t", "intptr_t", "uintptr_t", "intmax_t", "uintmax_t",
    "INTMAX_C", "UINTMAX_C", "div_t", "ldiv_t", "lldiv_t", "abort", "abs", "aligned_alloc", "at_quick_exit",
    "atexit", "atof", "atoi", "atol", "atoll", "bsearch", "calloc", "div", "exit", "free", "getenv", "labs",
    "ldiv", "llabs", "lldiv", "malloc", "mblen", "mbstowcs", "mbtowc", "qsort", "quick_exit", "rand",
    "realloc", "srand", "strtod", "strtof", "strtol", "strtold", "strtoll", "strtoul", "strtoull", "system",
    "wcstombs", "wctomb", "WEXITSTATUS", "WTERMSIG", "WSTOPSIG", "WIFEXITED", "WIFSIGNALED", "WIFSTOPPED",
    "random_r", "srandom_r", "initstate_r", "setstate_r", "random_data", "drand48_r", "erand48_r",
    "lrand48_r", "nrand48_r", "mrand48_r", "jrand48_r", "srand48_r", "seed48_r", "lcong48_r",
    "drand48_data", "rand_r", "ecvt_r", "fcvt_r", "qecvt_r", "qfcvt_r", "on_exit", "u_char", "u_short",
    "u_int", "u_long", "quad_t", "u_quad_t", "fsid_t", "loff_t", "ino_t", "dev_t", "gid_t", "mode_t",
    "nlink_t", "uid_t", "off_t", "pid_t", "id_t", "ssize_t", "daddr_t", "caddr_t", "key_t", "clock_t",
    "clockid_t", "time_t", "timer_t", "ulong", "ushort", "uint", "u_int8_t", "u_int16_t", "u_int32_t",
    "u_int64_t", "register_t", "blksize_t", "blkcnt_t", "fsblkcnt_t", "fsfilcnt_t", "fd_set", "fd_mask",
    "sigset_t", "suseconds_t", "FD_SET", "FD_CLR", "FD_ISSET", "FD_ZERO", "pthread_t", "pthread_attr_t",
    "pthread_mutex_t", "pthread_mutexattr_t", "pthread_cond_t", "pthread_condattr_t", "pthread_key_t",
    "pthread_once_t", "pthread_rwlock_t", "pthread_rwlockattr_t", "pthread_spinlock_t",
    "pthread_barrier_t", "pthread_barrierattr_t", "alloca", "cJSON", "cJSON_bool",
};

/* int8_t .. uint_fast64_t (types: *is_macro false), INT8_MIN ..
 * UINT_FAST64_MAX and INT8_C .. UINT64_C (macros). */
static bool std_int_name(const char *s, bool *is_macro)
{
    static const char *const lower[] = {"int", "uint", "int_least", "uint_least", "int_fast", "uint_fast"};
    static const char *const upper[] = {"INT", "UINT", "INT_LEAST", "UINT_LEAST", "INT_FAST", "UINT_FAST"};
    static const int bits[] = {8, 16, 32, 64};
    char buf[64];
    for (size_t i = 0; i < 6; i++) {
        for (size_t j = 0; j < 4; j++) {
            snprintf(buf, sizeof buf, "%s%d_t", lower[i], bits[j]);
            if (strcmp(s, buf) == 0) {
                *is_macro = false;
                return true;
            }
            *is_macro = true;
            static const char *const sfx[] = {"MIN", "MAX"};
            for (size_t k = 0; k < 2; k++) {
                snprintf(buf, sizeof buf, "%s%d_%s", upper[i], bits[j], sfx[k]);
                if (strcmp(s, buf) == 0)
                    return true;
            }
            if (i < 2) {
                snprintf(buf, sizeof buf, "%s%d_C", upper[i], bits[j]);
                if (strcmp(s, buf) == 0)
                    return true;
            }
        }
    }
    return false;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool in_list(const char *s, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, v[i]) == 0)
            return true;
    return false;
}

/* A keyword or an object-like macro: no C name at all can be this. */
static bool c_word(const char *s)
{
    bool is_macro = false;
    if (std_int_name(s, &is_macro))
        return is_macro;
    return in_list(s, c_words, sizeof c_words / sizeof c_words[0]) || has_prefix(s, "DAL_") ||
           has_prefix(s, "CJSON_") || has_prefix(s, "cJSON_");
}

bool nm_reserved(const char *s, const char **why)
{
    const char *w = NULL;
    bool is_macro;
    if (s[0] == '_')
        w = "reserved by C (names that begin with '_' at file scope)";
    else if (has_prefix(s, "dal_") || has_prefix(s, "DAL_") || strcmp(s, "dal") == 0)
        w = "reserved for the dal runtime (dal.h, dal_builder.h)";
    else if (has_prefix(s, "cJSON") || has_prefix(s, "CJSON"))
        w = "reserved for cJSON (cJSON.h, which dal.h includes)";
    else if (std_int_name(s, &is_macro))
        w = "declared by <stdint.h>";
    else if (c_word(s) || in_list(s, c_library, sizeof c_library / sizeof c_library[0]))
        w = "a C keyword or a name the C library declares";
    if (why)
        *why = w;
    return w != NULL;
}

char *nm_c_name(const char *s)
{
    return c_word(s) ? join(s, "") : fe_strdup(s);
}

char *nm_param_name(const char *s)
{
    /* the generated functions' own parameters and locals */
    static const char *const taken[] = {"db", "out", "found", "changed", "err", "args", "view", "rc", "key", "n"};
    if (in_list(s, taken, sizeof taken / sizeof taken[0]) || nm_reserved(s, NULL))
        return join(s, "");
    return fe_strdup(s);
}

/* ------------------------------------------------------------ building */

bool nm_comparable(const m_type *t)
{
    return !t->list && t->kind != MK_JSON && t->kind != MK_MAP_TEXT && t->kind != MK_MAP_JSON;
}

bool nm_settable(const m_field *f)
{
    return !f->is_id && !f->sequence;
}

bool nm_field_has(const m_field *f, const char *member)
{
    if (strcmp(member, "number") == 0)
        return true;
    if (strcmp(member, "ref") == 0)
        return f->ref_model != NULL;
    if (strcmp(member, "set") == 0)
        return nm_settable(f);
    if (!nm_comparable(&f->type))
        return false;
    if (strcmp(member, "like") == 0)
        return f->type.kind == MK_TEXT;
    if (strcmp(member, "null") == 0)
        return f->type.optional;
    return true; /* is, in, order_by */
}

static bool has_flag(const m_type *t)
{
    return t->optional && !t->list && t->kind != MK_TEXT && t->kind != MK_JSON && t->kind != MK_MAP_TEXT &&
           t->kind != MK_MAP_JSON;
}

static void record_build(nm_record *r, const char *p)
{
#define NM_BUILD(member, pattern, what) r->member = expand(pattern, p, "");
    NM_RECORD_NAMES(NM_BUILD)
#undef NM_BUILD
}

static void record_free(nm_record *r)
{
#define NM_FREE(member, pattern, what) free(r->member);
    NM_RECORD_NAMES(NM_FREE)
#undef NM_FREE
}

nm_names *nm_build(const m_schema *s)
{
    nm_names *n = fe_calloc(1, sizeof *n);
    const char *ns = s->ns;
    {
        nm_ns *x = &n->ns;
#define NM_BUILD(member, pattern, what) x->member = expand(pattern, ns, "");
        NM_NS_NAMES(NM_BUILD)
#undef NM_BUILD
    }
    n->enums = fe_calloc(s->n_enums ? s->n_enums : 1, sizeof *n->enums);
    for (size_t i = 0; i < s->n_enums; i++) {
        const m_enum *e = &s->enums[i];
        nm_enum *x = &n->enums[i];
        char *p = join(ns, e->snake);
#define NM_BUILD(member, pattern, what) x->member = expand(pattern, p, "");
        NM_ENUM_NAMES(NM_BUILD)
#undef NM_BUILD
        x->members = fe_calloc(e->n ? e->n : 1, sizeof *x->members);
        for (size_t j = 0; j < e->n; j++)
            x->members[j] = expand("{P}_{N}", p, e->members[j]);
        free(p);
    }
    n->models = fe_calloc(s->n_models ? s->n_models : 1, sizeof *n->models);
    for (size_t i = 0; i < s->n_models; i++) {
        const m_model *m = &s->models[i];
        nm_model *x = &n->models[i];
        char *p = join(ns, m->snake);
        record_build(&x->r, p);
#define NM_BUILD(member, pattern, what) x->member = expand(pattern, p, "");
        NM_MODEL_NAMES(NM_BUILD)
#undef NM_BUILD
        x->fields = fe_calloc(m->n_fields ? m->n_fields : 1, sizeof *x->fields);
        for (size_t j = 0; j < m->n_fields; j++) {
            const m_field *f = &m->fields[j];
            nm_field *y = &x->fields[j];
#define NM_BUILD(member, pattern, what) y->member = expand(pattern, p, f->name);
            NM_FIELD_NAMES(NM_BUILD)
#undef NM_BUILD
            y->member = nm_c_name(f->name);
            y->has = expand("has_{n}", p, f->name);
            y->param = nm_param_name(f->name);
        }
        x->index_parts = fe_calloc(m->n_indexes ? m->n_indexes : 1, sizeof *x->index_parts);
        for (size_t j = 0; j < m->n_indexes; j++) {
            fe_buf b = {0};
            fe_buf_printf(&b, "%s_index%zu", p, j);
            x->index_parts[j] = fe_buf_take(&b);
        }
        free(p);
    }
    n->queries = fe_calloc(s->n_queries ? s->n_queries : 1, sizeof *n->queries);
    for (size_t i = 0; i < s->n_queries; i++) {
        const m_query *q = &s->queries[i];
        nm_query *x = &n->queries[i];
        char *pm = join(ns, q->model->snake);
        char *p = join(pm, q->name);
#define NM_BUILD(member, pattern, what) x->member = expand(pattern, p, "");
        NM_QUERY_NAMES(NM_BUILD)
#undef NM_BUILD
        if (q->kind == MQ_AGGREGATE) {
            char *row = join(p, "row");
            record_build(&x->row, row);
            free(row);
        }
        x->params = fe_calloc(q->n_params ? q->n_params : 1, sizeof *x->params);
        for (size_t j = 0; j < q->n_params; j++)
            x->params[j] = nm_param_name(q->params[j].name);
        x->items = fe_calloc(q->n_items ? q->n_items : 1, sizeof *x->items);
        x->item_has = fe_calloc(q->n_items ? q->n_items : 1, sizeof *x->item_has);
        for (size_t j = 0; j < q->n_items; j++) {
            x->items[j] = nm_c_name(q->items[j].name);
            x->item_has[j] = expand("has_{n}", p, q->items[j].name);
        }
        free(p);
        free(pm);
    }
    return n;
}

void nm_free(nm_names *n, const m_schema *s)
{
    if (n == NULL)
        return;
    {
        nm_ns *x = &n->ns;
#define NM_FREE(member, pattern, what) free(x->member);
        NM_NS_NAMES(NM_FREE)
    }
    for (size_t i = 0; i < s->n_enums; i++) {
        nm_enum *x = &n->enums[i];
        NM_ENUM_NAMES(NM_FREE)
        for (size_t j = 0; j < s->enums[i].n; j++)
            free(x->members[j]);
        free(x->members);
    }
    for (size_t i = 0; i < s->n_models; i++) {
        nm_model *x = &n->models[i];
        record_free(&x->r);
        NM_MODEL_NAMES(NM_FREE)
        for (size_t j = 0; j < s->models[i].n_fields; j++) {
            nm_field *y = &x->fields[j];
            {
                nm_field *x = y;
                NM_FIELD_NAMES(NM_FREE)
            }
            free(y->member);
            free(y->has);
            free(y->param);
        }
        free(x->fields);
        for (size_t j = 0; j < s->models[i].n_indexes; j++)
            free(x->index_parts[j]);
        free(x->index_parts);
    }
    for (size_t i = 0; i < s->n_queries; i++) {
        nm_query *x = &n->queries[i];
        NM_QUERY_NAMES(NM_FREE)
        record_free(&x->row);
        for (size_t j = 0; j < s->queries[i].n_params; j++)
            free(x->params[j]);
        for (size_t j = 0; j < s->queries[i].n_items; j++) {
            free(x->items[j]);
            free(x->item_has[j]);
        }
        free(x->params);
        free(x->items);
        free(x->item_has);
    }
#undef NM_FREE
    free(n->enums);
    free(n->models);
    free(n->queries);
    free(n);
}

/* ------------------------------------------------------------ walking */

/* The names of NM_NS_NAMES, NM_ENUM_NAMES, NM_MODEL_NAMES that are written
 * only when there is something to put in them. */
static bool ns_has(const m_schema *s, const char *member)
{
    if (strcmp(member, "enums") == 0)
        return s->n_enums > 0;
    if (strcmp(member, "models") == 0)
        return s->n_models > 0;
    if (strcmp(member, "queries") == 0)
        return s->n_queries > 0;
    return true;
}

static bool enum_has(const m_enum *e, const char *member)
{
    return strcmp(member, "values") != 0 || e->values != NULL;
}

static bool model_has(const m_model *m, const char *member)
{
    return strcmp(member, "indexes") != 0 || m->n_indexes > 0;
}

void nm_each(const nm_names *n, const m_schema *s, nm_each_fn *fn, void *ctx)
{
    nm_owner o = {NO_NAMESPACE, 0, 0};
#define NM_EACH(member, pattern, what) fn(ctx, o, NS_FILE, what, x->member);
#define NM_EACH_IF(member, pattern, what)                                                               \
    if (HAS(#member))                                                                                   \
        fn(ctx, o, NS_FILE, what, x->member);
    {
        const nm_ns *x = &n->ns;
#define HAS(member) ns_has(s, member)
        NM_NS_NAMES(NM_EACH_IF)
#undef HAS
    }
    for (size_t i = 0; i < s->n_enums; i++) {
        const nm_enum *x = &n->enums[i];
        o = (nm_owner){NO_ENUM, i, 0};
#define HAS(member) enum_has(&s->enums[i], member)
        NM_ENUM_NAMES(NM_EACH_IF)
#undef HAS
        for (size_t j = 0; j < s->enums[i].n; j++)
            fn(ctx, (nm_owner){NO_MEMBER, i, j}, NS_FILE, NM_CONST, x->members[j]);
    }
    for (size_t i = 0; i < s->n_models; i++) {
        const m_model *m = &s->models[i];
        o = (nm_owner){NO_MODEL, i, 0};
        {
            const nm_record *x = &n->models[i].r;
            NM_RECORD_NAMES(NM_EACH)
        }
        const nm_model *x = &n->models[i];
#define HAS(member) model_has(m, member)
        NM_MODEL_NAMES(NM_EACH_IF)
#undef HAS
        for (size_t j = 0; j < m->n_indexes; j++)
            fn(ctx, o, NS_FILE, NM_OBJECT, x->index_parts[j]);
        for (size_t j = 0; j < m->n_fields; j++) {
            const m_field *f = &m->fields[j];
            const nm_field *y = &x->fields[j];
            nm_owner of = {NO_FIELD, i, j};
#define NM_EACH_FIELD(member, pattern, what)                                                            \
    if (nm_field_has(f, #member))                                                                       \
        fn(ctx, of, NS_FILE, what, y->member);
            NM_FIELD_NAMES(NM_EACH_FIELD)
#undef NM_EACH_FIELD
            fn(ctx, of, NS_STRUCT, NM_OBJECT, y->member);
            if (has_flag(&f->type))
                fn(ctx, of, NS_STRUCT, NM_OBJECT, y->has);
            if (f->is_id)
                fn(ctx, of, NS_PARAMS, NM_OBJECT, y->param);
        }
    }
    for (size_t i = 0; i < s->n_queries; i++) {
        const m_query *q = &s->queries[i];
        const nm_query *x = &n->queries[i];
        o = (nm_owner){NO_QUERY, i, 0};
        /* the tables a query has */
        fn(ctx, o, NS_FILE, NM_FUNC, x->fn);
        fn(ctx, o, NS_FILE, NM_OBJECT, x->desc);
        if (q->n_params > 0)
            fn(ctx, o, NS_FILE, NM_OBJECT, x->param_table);
        if (q->where != NULL)
            fn(ctx, o, NS_FILE, NM_OBJECT, x->where);
        if (q->n_order > 0)
            fn(ctx, o, NS_FILE, NM_OBJECT, x->order);
        if (q->n_set > 0)
            fn(ctx, o, NS_FILE, NM_OBJECT, x->set);
        if (q->n_group > 0)
            fn(ctx, o, NS_FILE, NM_OBJECT, x->group);
        if (q->kind == MQ_AGGREGATE) {
            fn(ctx, o, NS_FILE, NM_OBJECT, x->item_table);
            const nm_record *x = &n->queries[i].row;
            NM_RECORD_NAMES(NM_EACH)
        }
        for (size_t j = 0; j < q->n_params; j++)
            fn(ctx, (nm_owner){NO_PARAM, i, j}, NS_PARAMS, NM_OBJECT, x->params[j]);
        for (size_t j = 0; j < q->n_items; j++) {
            nm_owner oi = {NO_ITEM, i, j};
            fn(ctx, oi, NS_STRUCT, NM_OBJECT, x->items[j]);
            if (has_flag(&q->items[j].type))
                fn(ctx, oi, NS_STRUCT, NM_OBJECT, x->item_has[j]);
        }
    }
#undef NM_EACH
#undef NM_EACH_IF
}
