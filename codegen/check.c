/*
 * check.c - from syntax tree to model (model.h): resolves every name,
 * converts every literal to its field's type and reports every semantic error
 * of the schema, each at the name it is about.
 *
 * The passes: namespace, enums, model names, model bodies (types, attributes,
 * keys, declared indexes), references (once every model is known), queries.
 * A name that failed to resolve is remembered so that it causes no further
 * complaints: one mistake, one message.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ast.h"
#include "names.h"

#define T(tok) (int)(tok).n, (tok).s        /* for "%.*s" */

typedef struct model_ctx {
    const ast_model *ast;
    m_model *m;
    fe_names fields;            /* field name -> index */
    fe_names queries;           /* names of the model's queries -> index in the schema */
    bool *bad;                  /* per field: its type did not resolve */
    const ast_attr **ref;       /* per field: its @ref, resolved in a later pass */
} model_ctx;

typedef struct checker {
    diag *d;
    const ast_schema *ast;
    m_schema *s;
    model_ctx *models;          /* parallel to s->models */
    fe_names types;             /* enum and model names -> enum index, or n_enums + model index */
    fe_names *members;          /* per enum: its member names as written -> index */
} checker;

/* What a query's clauses are checked against. */
typedef struct query_ctx {
    const ast_query *ast;
    m_query *q;
    model_ctx *mc;
    fe_names params;            /* parameter name -> index */
    fe_names items;             /* aggregate: row field name -> index */
    bool *bad_param;            /* its type did not resolve */
    bool *used;                 /* the parameter appears somewhere */
    bool *named;                /* per model field: named in the clause being checked */
    const char *what;           /* "query", "update", "delete", "aggregate" */
} query_ctx;

/* ------------------------------------------------------------ names */

static char *dup_tok(src_tok t)
{
    return fe_strndup(t.s, t.n);
}

static bool tok_is(src_tok t, const char *s)
{
    size_t n = strlen(s);
    return t.n == n && memcmp(t.s, s, n) == 0;
}

/* Suggestions for a name that is not known: the closest candidate seen, if
 * it is a near miss ("did you mean 'x'?"). Start from {0}, consider() each
 * candidate, then hint(). */
typedef struct nearest {
    const char *name;
    size_t n, distance;
    long index;                 /* as given to consider() */
} nearest;

static void consider(nearest *best, src_tok t, const char *name, size_t n, long index)
{
    size_t limit = t.n < 3 ? 0 : t.n < 6 ? 1 : (t.n + 2) / 4;     /* short: no guess */
    size_t d = fe_distance(t.s, t.n, name, n);
    if (d > 0 && d <= limit && (!best->name || d < best->distance))
        *best = (nearest){name, n, d, index};
}

static void consider_str(nearest *best, src_tok t, const char *name, long index)
{
    if (name)
        consider(best, t, name, strlen(name), index);
}

/* " (did you mean 'x'?)", or "" when nothing came near. */
static const char *hint(char buf[160], const nearest *best)
{
    if (!best->name)
        return "";
    snprintf(buf, 160, " (did you mean '%.*s'?)", (int)(best->n > 120 ? 120 : best->n), best->name);
    return buf;
}

/* ------------------------------------------------------------ types */

static const struct builtin {
    const char *name;
    m_kind kind;
} builtins[] = {
    {"text", MK_TEXT}, {"int", MK_INT}, {"i32", MK_I32}, {"u32", MK_U32}, {"u64", MK_U64},
    {"real", MK_REAL}, {"bool", MK_BOOL}, {"timestamp", MK_TIMESTAMP}, {"uuid", MK_UUID},
    {"json", MK_JSON},
};
enum { N_BUILTINS = sizeof builtins / sizeof *builtins };

static bool is_builtin_name(src_tok t)
{
    for (size_t i = 0; i < N_BUILTINS; i++)
        if (tok_is(t, builtins[i].name))
            return true;
    return tok_is(t, "map");
}

static bool is_scalar(m_kind k)
{
    return k != MK_JSON && k != MK_MAP_TEXT && k != MK_MAP_JSON;
}

static bool is_integer(m_kind k)
{
    return k == MK_INT || k == MK_I32 || k == MK_U32 || k == MK_U64;
}

/* A field that can be compared, ordered and indexed: a scalar, not a list. */
static bool is_comparable(const m_type *t)
{
    return is_scalar(t->kind) && !t->list;
}

static bool same_base(const m_type *a, const m_type *b)
{
    return a->kind == b->kind && (a->kind != MK_ENUM || a->enumt == b->enumt);
}

/* A type as written, for messages: "text", "AgentStatus", "uuid[]", "map<json>?" */
typedef struct type_text {
    char s[160];
} type_text;

static type_text show_type(const m_type *t)
{
    type_text out;
    const char *base = "?";
    for (size_t i = 0; i < N_BUILTINS; i++)
        if (builtins[i].kind == t->kind)
            base = builtins[i].name;
    if (t->kind == MK_MAP_TEXT)
        base = "map<text>";
    else if (t->kind == MK_MAP_JSON)
        base = "map<json>";
    else if (t->kind == MK_ENUM)
        base = t->enumt->name;
    snprintf(out.s, sizeof out.s, "%.120s%s%s", base, t->list ? "[]" : "", t->optional ? "?" : "");
    return out;
}

static m_enum *find_enum(checker *c, src_tok name)
{
    long i = fe_names_get(&c->types, name.s, name.n);
    return i >= 0 && (size_t)i < c->s->n_enums ? &c->s->enums[i] : NULL;
}

static long find_model(checker *c, src_tok name)
{
    long i = fe_names_get(&c->types, name.s, name.n);
    return i >= (long)c->s->n_enums ? i - (long)c->s->n_enums : -1;
}

/* hint() for an unknown model name. */
static const char *model_hint(checker *c, char buf[160], src_tok name)
{
    nearest best = {0};
    for (size_t i = 0; i < c->s->n_models; i++)
        consider_str(&best, name, c->s->models[i].name, -1);
    return hint(buf, &best);
}

static void unknown_type(checker *c, src_tok name)
{
    nearest best = {0};
    for (size_t i = 0; i < N_BUILTINS; i++)
        consider_str(&best, name, builtins[i].name, -1);
    consider_str(&best, name, "map", -1);
    for (size_t i = 0; i < c->s->n_enums; i++)
        consider_str(&best, name, c->s->enums[i].name, -1);
    char buf[160];
    if (find_model(c, name) >= 0)
        diag_error_at(c->d, name, "'%.*s' is a model, not a field type: store its key with "
                      "@ref(%.*s.<key>)", T(name), T(name));
    else
        diag_error_at(c->d, name, "unknown type '%.*s'%s", T(name), hint(buf, &best));
}

/* Resolves a type as written; reports and returns false when it does not. */
static bool resolve_type(checker *c, const ast_type *t, m_type *out)
{
    *out = (m_type){0};
    if (t->elem.s) {
        if (!tok_is(t->name, "map")) {
            diag_error_at(c->d, t->name, "'%.*s<...>' is not a type: only map takes an element "
                          "type (map<text> or map<json>)", T(t->name));
            return false;
        }
        if (tok_is(t->elem, "text"))
            out->kind = MK_MAP_TEXT;
        else if (tok_is(t->elem, "json"))
            out->kind = MK_MAP_JSON;
        else {
            diag_error_at(c->d, t->elem, "a map holds text or json values: map<text> or "
                          "map<json>, not map<%.*s>", T(t->elem));
            return false;
        }
    } else if (tok_is(t->name, "map")) {
        diag_error_at(c->d, t->name, "map needs its value type: map<text> or map<json>");
        return false;
    } else if ((out->enumt = find_enum(c, t->name)) != NULL) {
        out->kind = MK_ENUM;
    } else {
        size_t i = 0;
        while (i < N_BUILTINS && !tok_is(t->name, builtins[i].name))
            i++;
        if (i == N_BUILTINS) {
            unknown_type(c, t->name);
            return false;
        }
        out->kind = builtins[i].kind;
    }
    if (t->list.s) {
        if (!is_scalar(out->kind)) {
            diag_error_at(c->d, t->list, "a list holds scalars or enum members: '%s[]' is not "
                          "a type (a json value can hold an array)", show_type(out).s);
            return false;
        }
        out->list = true;
    }
    if (t->optional.s) {
        if (out->list) {
            diag_error_at(c->d, t->optional, "a list cannot be optional: an empty list says "
                          "there is nothing");
            return false;
        }
        out->optional = true;
    }
    return true;
}

/* ------------------------------------------------------------ literals */

/* The text of a string literal (quotes included, escapes checked by the
 * lexer) with its escapes undone; malloc'd. */
static char *unescape(src_tok t)
{
    char *s = fe_malloc(t.n);
    size_t n = 0;
    for (size_t i = 1; i + 1 < t.n; i++) {
        char ch = t.s[i];
        if (ch == '\\') {
            ch = t.s[++i];
            ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
        }
        s[n++] = ch;
    }
    s[n] = '\0';
    return s;
}

static bool parse_int(src_tok t, int64_t *out)
{
    char buf[32];
    *out = 0;
    if (t.n >= sizeof buf)
        return false;
    memcpy(buf, t.s, t.n);
    buf[t.n] = '\0';
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    *out = v;
    return errno == 0;
}

static bool parse_real(src_tok t, double *out)
{
    char buf[64];
    if (t.n >= sizeof buf)
        return false;
    memcpy(buf, t.s, t.n);
    buf[t.n] = '\0';
    *out = strtod(buf, NULL);
    return isfinite(*out);
}

static bool is_uuid(const char *s)
{
    for (size_t i = 0; i < 36; i++) {
        char ch = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        bool hex = (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
        if (dash ? ch != '-' : !hex)
            return false;
    }
    return s[36] == '\0';
}

static const char *value_kind(ast_value_kind k)
{
    switch (k) {
    case AV_PARAM: return "a parameter";
    case AV_INT: return "an integer";
    case AV_REAL: return "a real number";
    case AV_STRING: return "a string";
    case AV_TRUE:
    case AV_FALSE: return "a boolean";
    case AV_NULL: return "null";
    case AV_NAME: return "a name";
    case AV_CALL: return "a function call";
    }
    return "a value";
}

static long find_member(checker *c, const m_enum *e, src_tok name)
{
    return fe_names_get(&c->members[e - c->s->enums], name.s, name.n);
}

static const ast_enum *enum_ast(checker *c, const m_enum *e)
{
    return c->ast->enums[(size_t)(e - c->s->enums)];
}

/* Converts literal v (what: "default", "value") to the type t of field
 * `field` (not a list, json or map), into out. Reports and returns false
 * when it does not fit. */
static bool convert_literal(checker *c, const ast_value *v, const m_type *t, const char *field,
                            const char *what, m_lit *out)
{
    type_text tt = show_type(t);
    *out = (m_lit){0};
    switch (v->kind) {
    case AV_NULL:
        if (!t->optional) {
            diag_error_at(c->d, v->tok, "%s null for field '%s' (%s): the field is not optional",
                          what, field, tt.s);
            return false;
        }
        out->kind = ML_NULL;
        return true;
    case AV_INT: {
        int64_t i;
        bool in_range = parse_int(v->tok, &i);
        switch (t->kind) {
        case MK_REAL:
            out->kind = ML_REAL;
            out->d = (double)i;
            break;
        case MK_INT:
        case MK_TIMESTAMP:
            break;
        case MK_I32:
            in_range = in_range && i >= INT32_MIN && i <= INT32_MAX;
            break;
        case MK_U32:
            in_range = in_range && i >= 0 && i <= UINT32_MAX;
            break;
        case MK_U64:
            in_range = in_range && i >= 0;
            break;
        default:
            goto mismatch;
        }
        if (!in_range) {
            diag_error_at(c->d, v->tok, "%s %.*s for field '%s' (%s) is out of range", what,
                          T(v->tok), field, tt.s);
            return false;
        }
        if (t->kind != MK_REAL) {
            out->kind = ML_INT;
            out->i = i;
        }
        return true;
    }
    case AV_REAL:
        if (t->kind != MK_REAL)
            goto mismatch;
        if (!parse_real(v->tok, &out->d)) {
            diag_error_at(c->d, v->tok, "%s %.*s for field '%s' (%s) is out of range", what,
                          T(v->tok), field, tt.s);
            return false;
        }
        out->kind = ML_REAL;
        return true;
    case AV_STRING:
        if (t->kind != MK_TEXT && t->kind != MK_UUID)
            goto mismatch;
        out->kind = ML_TEXT;
        out->s = unescape(v->tok);
        if (t->kind == MK_UUID && !is_uuid(out->s)) {
            diag_error_at(c->d, v->tok, "%s %.*s for field '%s' (uuid) is not a UUID "
                          "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", what, T(v->tok), field);
            free(out->s);
            out->s = NULL;
            return false;
        }
        return true;
    case AV_TRUE:
    case AV_FALSE:
        if (t->kind != MK_BOOL)
            goto mismatch;
        out->kind = ML_BOOL;
        out->b = v->kind == AV_TRUE;
        return true;
    case AV_NAME:
        if (t->kind == MK_ENUM) {
            const ast_enum *ae = enum_ast(c, t->enumt);
            long i = find_member(c, t->enumt, v->tok);
            if (i < 0) {
                nearest best = {0};
                for (size_t k = 0; k < ae->n; k++)
                    consider(&best, v->tok, ae->members[k].name.s, ae->members[k].name.n, -1);
                char buf[160];
                diag_error_at(c->d, v->tok, "unknown member '%.*s' of enum %s%s", T(v->tok),
                              t->enumt->name, hint(buf, &best));
                return false;
            }
            out->kind = ML_ENUM;
            out->i = i;
            return true;
        }
        diag_error_at(c->d, v->tok, "unknown %s '%.*s' for field '%s' (%s): only an enum field "
                      "takes a name (a parameter is written $%.*s)", what, T(v->tok), field, tt.s,
                      T(v->tok));
        return false;
    case AV_PARAM:
    case AV_CALL:
        goto mismatch;
    }
mismatch:
    diag_error_at(c->d, v->tok, "%s %.*s for field '%s' (%s) is %s", what, T(v->tok), field,
                  tt.s, value_kind(v->kind));
    return false;
}

/* ------------------------------------------------------------ namespace, enums */

static void check_namespace(checker *c)
{
    const ast_schema *a = c->ast;
    if (a->n_ns == 0) {
        src_tok at = a->first.s ? a->first : (src_tok){.line = 1, .col = 1};
        diag_error_at(c->d, at, "missing namespace: the schema must declare one, e.g. "
                      "'namespace app;' (it prefixes every generated C name)");
        return;
    }
    c->s->ns = dup_tok(a->ns[0].name);
    if (tok_is(a->ns[0].name, "dal"))
        diag_error_at(c->d, a->ns[0].name, "namespace 'dal' is reserved for the runtime");
    for (size_t i = 1; i < a->n_ns; i++)
        diag_error_at(c->d, a->ns[i].kw, "second namespace '%.*s': the schema's namespace is "
                      "already '%s' (line %d)", T(a->ns[i].name), c->s->ns, a->ns[0].kw.line);
}

/* An enum or model name, for registering them in source order. */
typedef struct type_decl {
    src_tok name;
    const char *what;           /* "enum", "model" */
    const char *snake;
    long index;                 /* in c->types: enums first, then models */
} type_decl;

static int by_position(const void *pa, const void *pb)
{
    const type_decl *a = pa, *b = pb;
    return a->name.s < b->name.s ? -1 : a->name.s > b->name.s;
}

/* Registers every enum and model name in source order, reporting a name that
 * is a built-in type, that an earlier declaration has, or whose C name
 * (snake_case) an earlier one has. */
static void check_type_names(checker *c)
{
    size_t n_enums = c->s->n_enums, n = n_enums + c->s->n_models;
    type_decl *v = fe_calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        bool is_enum = i < n_enums;
        v[i].name = is_enum ? c->ast->enums[i]->name : c->ast->models[i - n_enums]->name;
        v[i].what = is_enum ? "enum" : "model";
        v[i].snake = is_enum ? c->s->enums[i].snake : c->s->models[i - n_enums].snake;
        v[i].index = (long)i;
    }
    qsort(v, n, sizeof *v, by_position);
    fe_names snakes = {0};
    for (size_t i = 0; i < n; i++) {
        src_tok name = v[i].name;
        long prev = fe_names_put(&c->types, name.s, name.n, (long)i);
        long prev_snake = prev < 0 ? fe_names_put(&snakes, v[i].snake, strlen(v[i].snake), (long)i) : -1;
        if (is_builtin_name(name))
            diag_error_at(c->d, name, "%s name '%.*s' is a built-in type", v[i].what, T(name));
        else if (prev >= 0)
            diag_error_at(c->d, name, "duplicate name '%.*s': already declared at line %d",
                          T(name), v[prev].name.line);
        else if (prev_snake >= 0)
            diag_error_at(c->d, name, "%s '%.*s' and '%.*s' (line %d) have the same C name '%s'",
                          v[i].what, T(name), T(v[prev_snake].name), v[prev_snake].name.line,
                          v[i].snake);
    }
    /* the table maps names to places in v: make them enum / model indexes */
    for (size_t i = 0; i < c->types.cap; i++)
        if (c->types.slots[i].s)
            c->types.slots[i].value = v[c->types.slots[i].value].index;
    fe_names_clear(&snakes);
    free(v);
}

/* An enum member's value, to sort them. */
typedef struct member_value {
    int64_t value;
    size_t index;
} member_value;

static int by_value(const void *pa, const void *pb)
{
    const member_value *a = pa, *b = pb;
    if (a->value != b->value)
        return a->value < b->value ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Reports members of an integer-valued enum that share a value. */
static void check_enum_values(checker *c, const ast_enum *ae, const m_enum *e)
{
    member_value *v = fe_malloc(e->n * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->values[i] != INT64_MIN)
            v[n++] = (member_value){e->values[i], i};
    qsort(v, n, sizeof *v, by_value);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (v[i].value != v[first].value) {
            first = i;
            continue;
        }
        const ast_member *a = &ae->members[v[first].index], *b = &ae->members[v[i].index];
        diag_error_at(c->d, b->value, "enum members '%.*s' and '%.*s' of %s have the same value "
                      "%lld", T(a->name), T(b->name), e->name, (long long)v[i].value);
    }
    free(v);
}

static void check_enum(checker *c, const ast_enum *ae, m_enum *e)
{
    e->name = dup_tok(ae->name);
    e->snake = fe_snake(ae->name.s, ae->name.n);
    e->line = ae->name.line;
    e->n = ae->n;
    e->members = fe_calloc(ae->n, sizeof *e->members);
    bool valued = ae->members[0].value.s != NULL;
    if (valued)
        e->values = fe_calloc(ae->n, sizeof *e->values);
    bool mixed = false;
    fe_names *written = &c->members[e - c->s->enums];
    fe_names stored = {0};
    for (size_t i = 0; i < ae->n; i++) {
        const ast_member *am = &ae->members[i];
        e->members[i] = fe_snake(am->name.s, am->name.n);
        long j = fe_names_put(written, am->name.s, am->name.n, (long)i);
        if (j >= 0) {
            diag_error_at(c->d, am->name, "duplicate member '%.*s' in enum %s", T(am->name),
                          e->name);
        } else if ((j = fe_names_put(&stored, e->members[i], strlen(e->members[i]), (long)i)) >= 0) {
            diag_error_at(c->d, am->name, "members '%.*s' and '%.*s' of enum %s are both "
                          "stored as '%s'", T(ae->members[j].name), T(am->name), e->name,
                          e->members[i]);
        }
        if ((am->value.s != NULL) != valued) {
            if (!mixed)
                diag_error_at(c->d, am->name, "enum %s mixes members with and without values: "
                              "give every member a value (= N) or none", e->name);
            mixed = true;
            continue;
        }
        if (!valued)
            continue;
        int64_t v;
        if (!parse_int(am->value, &v) || v < INT32_MIN || v > INT32_MAX) {
            diag_error_at(c->d, am->value, "value %.*s of enum member '%.*s' does not fit in "
                          "32 bits", T(am->value), T(am->name));
            e->values[i] = INT64_MIN;           /* compares with no other */
            continue;
        }
        e->values[i] = v;
    }
    fe_names_clear(&stored);
    if (valued && !mixed)
        check_enum_values(c, ae, e);
}

/* ------------------------------------------------------------ models */

static long find_field(const model_ctx *mc, src_tok name)
{
    return fe_names_get(&mc->fields, name.s, name.n);
}

/* Reports that model m has no field `name`. */
static void unknown_field(checker *c, const m_model *m, src_tok name)
{
    nearest best = {0};
    for (size_t i = 0; i < m->n_fields; i++)
        consider_str(&best, name, m->fields[i].name, -1);
    char buf[160];
    diag_error_at(c->d, name, "model %s has no field '%.*s'%s", m->name, T(name), hint(buf, &best));
}

/* Resolves a field name of model mc; reports and returns -1 when unknown. */
static long resolve_field(checker *c, const model_ctx *mc, src_tok name)
{
    long f = find_field(mc, name);
    if (f < 0)
        unknown_field(c, mc->m, name);
    return f;
}

/* An index the model declares, with where it was declared (to sort). */
typedef struct decl_index {
    src_tok at;
    m_index index;
} decl_index;

static void add_decl_index(decl_index **v, size_t *n, src_tok at, m_index idx)
{
    decl_index *d = FE_PUSH(*v, *n);
    d->at = at;
    d->index = idx;
}

static int by_source(const void *pa, const void *pb)
{
    const decl_index *a = pa, *b = pb;
    return a->at.s < b->at.s ? -1 : a->at.s > b->at.s;
}

/* The single argument of attribute a, or NULL after reporting; `takes`
 * says what it takes, for the message. */
static const ast_arg *one_arg(checker *c, const ast_attr *a, const char *takes)
{
    if (a->n_args == 1)
        return a->args[0];
    diag_error_at(c->d, a->at, "@%s%.*s takes %s", a->model ? "@" : "", T(a->name), takes);
    return NULL;
}

static bool no_args(checker *c, const ast_attr *a)
{
    if (!a->parens)
        return true;
    diag_error_at(c->d, a->at, "@%.*s takes no arguments", T(a->name));
    return false;
}

/* [A-Za-z_][A-Za-z0-9_]*: a name SQL needs no quotes for. */
static bool is_identifier(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* The text of a string argument that names something in storage (a table,
 * a column): an identifier. Returns NULL after reporting. */
static char *storage_name(checker *c, const ast_attr *a, const char *what)
{
    const ast_arg *arg = one_arg(c, a, "a name in quotes");
    if (!arg)
        return NULL;
    if (arg->kind != AA_VALUE || arg->value.kind != AV_STRING) {
        diag_error_at(c->d, arg->at, "@%s%.*s takes a %s name in quotes, e.g. (\"name\")",
                      a->model ? "@" : "", T(a->name), what);
        return NULL;
    }
    char *s = unescape(arg->value.tok);
    if (!is_identifier(s)) {
        diag_error_at(c->d, arg->at, "%s name %.*s must be an identifier (letters, digits, _)",
                      what, T(arg->value.tok));
        free(s);
        return NULL;
    }
    return s;
}

/* @default(v) of field f (its type resolved). */
static void check_default(checker *c, const ast_attr *a, m_field *f)
{
    const ast_arg *arg = one_arg(c, a, "one value: @default(v)");
    if (!arg)
        return;
    type_text tt = show_type(&f->type);
    m_lit *out = &f->def;
    switch (arg->kind) {
    case AA_LIST:
        if (arg->n_keys > 0)
            diag_error_at(c->d, arg->at, "a list default must be empty: []");
        else if (!f->type.list)
            diag_error_at(c->d, arg->at, "default [] for field '%s' (%s): only a list field "
                          "takes []", f->name, tt.s);
        else
            out->kind = ML_EMPTY_LIST;
        return;
    case AA_MAP:
        if (f->type.list || (f->type.kind != MK_JSON && f->type.kind != MK_MAP_TEXT &&
                             f->type.kind != MK_MAP_JSON))
            diag_error_at(c->d, arg->at, "default {} for field '%s' (%s): only a map or json "
                          "field takes {}", f->name, tt.s);
        else
            out->kind = ML_EMPTY_MAP;
        return;
    case AA_PATH:
    case AA_NAMED:
        diag_error_at(c->d, arg->at, "@default takes a literal, an enum member, now, uuid7, "
                      "uuid4, [] or {}");
        return;
    case AA_VALUE:
        break;
    }
    const ast_value *v = &arg->value;
    bool word = v->kind == AV_NAME || v->kind == AV_CALL;
    bool member = v->kind == AV_NAME && f->type.kind == MK_ENUM && !f->type.list;
    if (v->kind == AV_PARAM) {
        diag_error_at(c->d, v->tok, "a default cannot be a parameter");
    } else if (word && !member && tok_is(v->tok, "now")) {
        if (f->type.kind == MK_TIMESTAMP && !f->type.list)
            out->kind = ML_NOW;
        else
            diag_error_at(c->d, v->tok, "default now for field '%s' (%s): only a timestamp "
                          "field takes now", f->name, tt.s);
    } else if (word && !member && (tok_is(v->tok, "uuid7") || tok_is(v->tok, "uuid4"))) {
        if (f->type.kind == MK_UUID && !f->type.list)
            out->kind = tok_is(v->tok, "uuid7") ? ML_UUID7 : ML_UUID4;
        else
            diag_error_at(c->d, v->tok, "default %.*s for field '%s' (%s): only a uuid field "
                          "takes %.*s", T(v->tok), f->name, tt.s, T(v->tok));
    } else if (v->kind == AV_CALL) {
        diag_error_at(c->d, v->tok, "unknown default %.*s(): a default is a literal, an enum "
                      "member, now, uuid7, uuid4, [] or {}", T(v->tok));
    } else if (f->type.list) {
        diag_error_at(c->d, v->tok, "default %.*s for field '%s' (%s): a list field's default "
                      "is []", T(v->tok), f->name, tt.s);
    } else if (!is_scalar(f->type.kind) && v->kind != AV_NULL) {
        diag_error_at(c->d, v->tok, "default %.*s for field '%s' (%s): a map or json field's "
                      "default is {}%s", T(v->tok), f->name, tt.s,
                      f->type.optional ? " or null" : "");
    } else if (word && !member) {
        diag_error_at(c->d, v->tok, "unknown default '%.*s' for field '%s' (%s)", T(v->tok),
                      f->name, tt.s);
    } else {
        convert_literal(c, v, &f->type, f->name, "default", out);
    }
}

/* @index or @index(asc|desc) on field fi. */
static void check_field_index(checker *c, const ast_attr *a, size_t fi, decl_index **v, size_t *n)
{
    m_index_part part = {fi, false};
    if (a->parens) {
        const ast_arg *arg = one_arg(c, a, "no argument, asc or desc: @index(desc)");
        if (!arg)
            return;
        bool asc = arg->kind == AA_VALUE && tok_is(arg->value.tok, "asc");
        part.desc = arg->kind == AA_VALUE && tok_is(arg->value.tok, "desc");
        if (!asc && !part.desc) {
            diag_error_at(c->d, arg->at, "@index takes asc or desc, e.g. @index(desc)");
            return;
        }
    }
    m_index idx = {.n = 1, .parts = fe_malloc(sizeof part)};
    idx.parts[0] = part;
    add_decl_index(v, n, a->at, idx);
}

/* Whether a field of type t can be a key part, ordered or indexed; reports
 * when not (what: "index", "order by", "group by", "primary key"). */
static bool keyable(checker *c, src_tok at, const m_field *f, const char *what)
{
    if (is_comparable(&f->type))
        return true;
    diag_error_at(c->d, at, "cannot use field '%s' (%s) in %s: json, map and list fields have "
                  "no order", f->name, show_type(&f->type).s, what);
    return false;
}

/* Whether field f is named[] already; marks it named. */
static bool named_again(bool *named, size_t f)
{
    bool again = named[f];
    named[f] = true;
    return again;
}

/* Resolves [a, b desc] of a model attribute into index parts; false after
 * reporting. desc_ok: whether directions are allowed (@@id: no). */
static bool key_list(checker *c, const model_ctx *mc, const ast_attr *a, bool desc_ok,
                     const char *what, m_index_part **parts, size_t *n)
{
    const ast_arg *arg = one_arg(c, a, "a list of fields, e.g. ([a, b])");
    *parts = NULL;
    *n = 0;
    if (!arg)
        return false;
    if (arg->kind != AA_LIST || arg->n_keys == 0) {
        diag_error_at(c->d, arg->at, "@@%.*s takes a list of fields, e.g. @@%.*s([a, b])",
                      T(a->name), T(a->name));
        return false;
    }
    bool ok = true;
    bool *named = fe_calloc(mc->m->n_fields, sizeof *named);
    *parts = fe_malloc(arg->n_keys * sizeof **parts);
    for (size_t i = 0; i < arg->n_keys; i++) {
        const ast_key *k = &arg->keys[i];
        long f = resolve_field(c, mc, k->name);
        if (f < 0) {
            ok = false;
            continue;
        }
        if (k->desc && !desc_ok) {
            diag_error_at(c->d, k->name, "the fields of @@%.*s take no direction", T(a->name));
            ok = false;
        }
        if (!mc->bad[f] && !keyable(c, k->name, &mc->m->fields[f], what))
            ok = false;
        if (named_again(named, (size_t)f)) {
            diag_error_at(c->d, k->name, "field '%.*s' appears twice in @@%.*s", T(k->name),
                          T(a->name));
            ok = false;
        }
        (*parts)[(*n)++] = (m_index_part){(size_t)f, k->desc};
    }
    free(named);
    return ok;
}

/* One field: name, type and attributes. @ref waits for the next pass. */
static void check_field(checker *c, model_ctx *mc, fe_names *folded, size_t fi, size_t *n_ids,
                        src_tok *second_id, decl_index **idx, size_t *n_idx)
{
    const ast_field *af = mc->ast->fields[fi];
    m_field *f = &mc->m->fields[fi];
    f->name = dup_tok(af->name);
    f->line = af->name.line;
    long j = fe_names_put(&mc->fields, af->name.s, af->name.n, (long)fi);
    if (j >= 0) {
        diag_error_at(c->d, af->name, "duplicate field '%.*s' in model %s (first at line %d)",
                      T(af->name), mc->m->name, mc->ast->fields[j]->name.line);
    } else if ((j = fe_names_put(folded, af->name.s, af->name.n, (long)fi)) >= 0) {
        diag_error_at(c->d, af->name, "fields '%.*s' and '%.*s' of model %s differ only in "
                      "case: their generated C names would clash", T(mc->ast->fields[j]->name),
                      T(af->name), mc->m->name);
    }
    mc->bad[fi] = !resolve_type(c, &af->type, &f->type);

    const ast_attr *dflt = NULL;
    bool indexed = false;
    fe_names given = {0};
    for (size_t i = 0; i < af->n_attrs; i++) {
        const ast_attr *a = af->attrs[i];
        if (fe_names_put(&given, a->name.s, a->name.n, (long)i) >= 0) {
            diag_error_at(c->d, a->at, "@%.*s is given twice on field '%s'", T(a->name), f->name);
        } else if (tok_is(a->name, "id")) {
            no_args(c, a);
            if ((*n_ids)++ == 1)
                *second_id = a->at;
            f->is_id = true;
        } else if (tok_is(a->name, "default")) {
            dflt = a;
        } else if (tok_is(a->name, "index")) {
            check_field_index(c, a, fi, idx, n_idx);
            indexed = true;
        } else if (tok_is(a->name, "unique")) {
            if (no_args(c, a)) {
                f->unique = true;
                m_index u = {.n = 1, .parts = fe_malloc(sizeof(m_index_part)), .unique = true};
                u.parts[0] = (m_index_part){fi, false};
                add_decl_index(idx, n_idx, a->at, u);
            }
        } else if (tok_is(a->name, "ref")) {
            mc->ref[fi] = a;
        } else if (tok_is(a->name, "updated_now")) {
            if (no_args(c, a))
                f->updated_now = true;
        } else if (tok_is(a->name, "sequence")) {
            if (no_args(c, a))
                f->sequence = true;
        } else if (tok_is(a->name, "column")) {
            f->column = storage_name(c, a, "column");
        } else {
            static const char *const known[] = {"id", "default", "index", "unique", "ref",
                                                "updated_now", "sequence", "column"};
            nearest best = {0};
            for (size_t k = 0; k < sizeof known / sizeof *known; k++)
                consider_str(&best, a->name, known[k], -1);
            char buf[160];
            diag_error_at(c->d, a->at, "unknown field attribute '@%.*s'%s", T(a->name), hint(buf, &best));
        }
    }
    fe_names_clear(&given);
    if (!f->column)
        f->column = fe_strdup(f->name);
    if (mc->bad[fi])
        return;

    /* what the attributes require of the type */
    type_text tt = show_type(&f->type);
    if (f->updated_now && (f->type.kind != MK_TIMESTAMP || f->type.list))
        diag_error_at(c->d, af->name, "@updated_now needs a timestamp field; '%s' is %s",
                      f->name, tt.s);
    if (f->sequence && (!is_integer(f->type.kind) || f->type.list || f->type.optional))
        diag_error_at(c->d, af->name, "@sequence needs a field of type int, i32, u32 or u64 "
                      "(not optional); '%s' is %s", f->name, tt.s);
    if (f->is_id && f->type.optional)
        diag_error_at(c->d, af->name, "@id field '%s' cannot be optional", f->name);
    else if (f->is_id && !is_comparable(&f->type))
        diag_error_at(c->d, af->name, "@id field '%s' (%s) must be a scalar: not a list, map "
                      "or json", f->name, tt.s);
    if (f->unique || indexed)
        keyable(c, af->name, f, f->unique ? "a unique index" : "an index");
    if (dflt && f->sequence)
        diag_error_at(c->d, dflt->at, "@sequence field '%s' cannot have a @default: the "
                      "storage assigns it", f->name);
    else if (dflt)
        check_default(c, dflt, f);
}

static void check_model_attrs(checker *c, model_ctx *mc, decl_index **idx, size_t *n_idx,
                              const ast_attr **ids)
{
    m_model *m = mc->m;
    const ast_attr *table = NULL;
    for (size_t i = 0; i < mc->ast->n_attrs; i++) {
        const ast_attr *a = mc->ast->attrs[i];
        m_index_part *parts;
        size_t n;
        if (tok_is(a->name, "table")) {
            if (table) {
                diag_error_at(c->d, a->at, "@@table is given twice in model %s", m->name);
                continue;
            }
            table = a;
            char *t = storage_name(c, a, "table");
            if (t) {
                free(m->table);
                m->table = t;
            }
        } else if (tok_is(a->name, "index") || tok_is(a->name, "unique")) {
            if (key_list(c, mc, a, true, "an index", &parts, &n))
                add_decl_index(idx, n_idx, a->at, (m_index){.n = n, .parts = parts,
                                                           .unique = tok_is(a->name, "unique")});
            else
                free(parts);
        } else if (tok_is(a->name, "id")) {
            if (*ids) {
                diag_error_at(c->d, a->at, "@@id is given twice in model %s", m->name);
                continue;
            }
            *ids = a;
            if (key_list(c, mc, a, false, "the primary key", &parts, &n)) {
                m->pk = fe_malloc(n * sizeof *m->pk);
                for (size_t k = 0; k < n; k++) {
                    m_field *f = &m->fields[parts[k].field];
                    m->pk[k] = parts[k].field;
                    f->is_id = true;
                    if (f->type.optional)
                        diag_error_at(c->d, a->args[0]->keys[k].name, "primary key field '%s' "
                                      "cannot be optional", f->name);
                }
                m->n_pk = n;
            }
            free(parts);
        } else {
            static const char *const known[] = {"table", "index", "unique", "id"};
            nearest best = {0};
            for (size_t k = 0; k < sizeof known / sizeof *known; k++)
                consider_str(&best, a->name, known[k], -1);
            char buf[160];
            diag_error_at(c->d, a->at, "unknown model attribute '@@%.*s'%s", T(a->name), hint(buf, &best));
        }
    }
}

/* Names that one table or struct cannot hold twice: columns, and the
 * presence flag (has_<name>) of an optional field. */
static void check_columns(checker *c, model_ctx *mc)
{
    const m_model *m = mc->m;
    fe_names columns = {0};
    for (size_t i = 0; i < m->n_fields; i++) {
        const m_field *f = &m->fields[i];
        long j = fe_names_put(&columns, f->column, strlen(f->column), (long)i);
        if (j >= 0 && strcmp(f->name, m->fields[j].name) != 0)      /* else a duplicate field */
            diag_error_at(c->d, mc->ast->fields[i]->name, "fields '%s' and '%s' of model %s have "
                          "the same column '%s'", m->fields[j].name, f->name, m->name, f->column);
        if (strncmp(f->name, "has_", 4) != 0)
            continue;
        long base = find_field(mc, (src_tok){.s = f->name + 4, .n = strlen(f->name + 4)});
        if (base >= 0 && m->fields[base].type.optional)
            diag_error_at(c->d, mc->ast->fields[i]->name, "field '%s' has the name of the "
                          "presence flag of optional field '%s' in the generated struct",
                          f->name, f->name + 4);
    }
    fe_names_clear(&columns);
}

/* Fields, attributes, primary key and declared indexes of one model. */
static void check_model_body(checker *c, model_ctx *mc)
{
    m_model *m = mc->m;
    const ast_model *am = mc->ast;
    m->n_fields = am->n_fields;
    m->fields = fe_calloc(am->n_fields, sizeof *m->fields);
    mc->bad = fe_calloc(am->n_fields, sizeof *mc->bad);
    mc->ref = fe_calloc(am->n_fields, sizeof *mc->ref);

    size_t n_ids = 0, n_idx = 0;
    src_tok second_id = {0};
    decl_index *idx = NULL;
    fe_names folded = {.fold = true};
    for (size_t i = 0; i < am->n_fields; i++)
        check_field(c, mc, &folded, i, &n_ids, &second_id, &idx, &n_idx);
    fe_names_clear(&folded);
    check_columns(c, mc);

    const ast_attr *ids = NULL;
    check_model_attrs(c, mc, &idx, &n_idx, &ids);

    /* the primary key: one @id, or @@id([...]) */
    if (ids && n_ids > 0) {
        diag_error_at(c->d, ids->at, "model %s has both @id and @@id: use one of them", m->name);
    } else if (!ids && n_ids == 0) {
        diag_error_at(c->d, am->name, "model %s has no primary key: mark a field @id (or add "
                      "@@id([a, b]) for a composite key)", m->name);
    } else if (!ids && n_ids > 1) {
        diag_error_at(c->d, second_id, "model %s has more than one @id: use @@id([a, b]) for a "
                      "composite key", m->name);
    } else if (!ids) {
        for (size_t i = 0; i < m->n_fields; i++) {
            if (m->fields[i].is_id) {
                m->pk = fe_malloc(sizeof *m->pk);
                m->pk[0] = i;
                m->n_pk = 1;
            }
        }
    }

    /* declared indexes, in source order */
    if (n_idx > 1)
        qsort(idx, n_idx, sizeof *idx, by_source);
    for (size_t i = 0; i < n_idx; i++)
        *FE_PUSH(m->indexes, m->n_indexes) = idx[i].index;
    free(idx);
}

/* @ref(Model.field[, on_delete: cascade | set_null | restrict]) of field fi. */
static void check_ref(checker *c, model_ctx *mc, size_t fi)
{
    const ast_attr *a = mc->ref[fi];
    m_field *f = &mc->m->fields[fi];
    const ast_arg *path = a->n_args >= 1 ? a->args[0] : NULL;
    const ast_arg *opt = a->n_args == 2 ? a->args[1] : NULL;
    if (!path || path->kind != AA_PATH || a->n_args > 2 ||
        (opt && (opt->kind != AA_NAMED || !tok_is(opt->a, "on_delete")))) {
        diag_error_at(c->d, a->at, "@ref takes Model.field and optionally on_delete, e.g. "
                      "@ref(Agent.id, on_delete: cascade)");
        return;
    }
    if (opt) {
        if (tok_is(opt->value.tok, "cascade"))
            f->on_delete = MOD_CASCADE;
        else if (tok_is(opt->value.tok, "set_null"))
            f->on_delete = MOD_SET_NULL;
        else if (tok_is(opt->value.tok, "restrict"))
            f->on_delete = MOD_RESTRICT;
        else
            diag_error_at(c->d, opt->value.tok, "on_delete is cascade, set_null or restrict, "
                          "not '%.*s'", T(opt->value.tok));
        if (f->on_delete == MOD_SET_NULL && !f->type.optional && !mc->bad[fi])
            diag_error_at(c->d, opt->value.tok, "on_delete: set_null needs an optional field; "
                          "'%s' is %s", f->name, show_type(&f->type).s);
    }
    long ti = find_model(c, path->a);
    if (ti < 0) {
        char buf[160];
        diag_error_at(c->d, path->a, "unknown model '%.*s' in @ref%s", T(path->a),
                      model_hint(c, buf, path->a));
        return;
    }
    model_ctx *target = &c->models[ti];
    long tf = resolve_field(c, target, path->b);
    if (tf < 0)
        return;
    const m_field *to = &target->m->fields[tf];
    bool single_key = target->m->n_pk == 1 && target->m->pk[0] == (size_t)tf;
    if (!single_key && !to->unique) {
        diag_error_at(c->d, path->b, "@ref target %s.%s is neither the primary key nor @unique",
                      target->m->name, to->name);
        return;
    }
    if (!mc->bad[fi] && !target->bad[tf] &&
        (!same_base(&f->type, &to->type) || f->type.list || to->type.list)) {
        diag_error_at(c->d, path->b, "@ref type mismatch: field '%s' is %s but %s.%s is %s",
                      f->name, show_type(&f->type).s, target->m->name, to->name,
                      show_type(&to->type).s);
        return;
    }
    f->ref_model = target->m;
    f->ref_field = (size_t)tf;
}

static void check_model_names(checker *c, size_t i)
{
    const ast_model *am = c->ast->models[i];
    m_model *m = &c->s->models[i];
    m->name = dup_tok(am->name);
    m->snake = fe_snake(am->name.s, am->name.n);
    m->line = am->name.line;
    fe_buf table = {0};
    fe_buf_printf(&table, "%ss", m->snake);
    m->table = fe_buf_take(&table);
}

/* ------------------------------------------------------------ queries */

static const char *kind_word(m_query_kind k)
{
    switch (k) {
    case MQ_SELECT: return "query";
    case MQ_UPDATE: return "update";
    case MQ_DELETE: return "delete";
    case MQ_AGGREGATE: return "aggregate";
    }
    return "query";
}

static long find_param(const query_ctx *qc, src_tok name)
{
    return fe_names_get(&qc->params, name.s, name.n);
}

/* Resolves $name; reports and returns -1 when the query has no such param. */
static long use_param(checker *c, query_ctx *qc, src_tok tok)
{
    src_tok name = {tok.s + 1, tok.n - 1, tok.line, tok.col + 1};
    long p = find_param(qc, name);
    if (p < 0) {
        nearest best = {0};
        for (size_t i = 0; i < qc->q->n_params; i++)
            consider_str(&best, name, qc->q->params[i].name, (long)i);
        char buf[160];
        diag_error_at(c->d, tok, "unknown parameter '%.*s' in %s.%s%s", T(tok), qc->q->model->name,
                      qc->q->name, hint(buf, &best));
        if (best.name)
            qc->used[best.index] = true;    /* the typo uses it: no "never used" on top */
        return -1;
    }
    qc->used[p] = true;
    return qc->bad_param[p] ? -1 : p;
}

/* Reports a parameter whose type does not fit field f. */
static void param_mismatch(checker *c, query_ctx *qc, src_tok at, long p, const m_field *f)
{
    diag_error_at(c->d, at, "parameter '%.*s' is %s, but field '%s' is %s", T(at),
                  show_type(&qc->q->params[p].type).s, f->name, show_type(&f->type).s);
}

/* A comparison's right side for field f: a parameter of its type, a literal,
 * an enum member or now(). Not null: that is `is null`. */
static void check_operand(checker *c, query_ctx *qc, const ast_value *v, const m_field *f,
                          m_operand *out)
{
    if (v->kind == AV_PARAM) {
        long p = use_param(c, qc, v->tok);
        if (p < 0)
            return;
        const m_type *pt = &qc->q->params[p].type;
        if (!same_base(pt, &f->type) || pt->list)
            param_mismatch(c, qc, v->tok, p, f);
        out->kind = MA_PARAM;
        out->param = (size_t)p;
    } else if (v->kind == AV_CALL) {
        if (!tok_is(v->tok, "now"))
            diag_error_at(c->d, v->tok, "unknown function '%.*s()': the only function is now()",
                          T(v->tok));
        else if (f->type.kind != MK_TIMESTAMP)
            diag_error_at(c->d, v->tok, "now() is a timestamp, but field '%s' is %s", f->name,
                          show_type(&f->type).s);
        else
            out->kind = MA_NOW;
    } else if (v->kind == AV_NULL) {
        diag_error_at(c->d, v->tok, "compare with null using 'is null' or 'is not null'");
    } else {
        long p = v->kind == AV_NAME && f->type.kind != MK_ENUM ? find_param(qc, v->tok) : -1;
        if (p >= 0) {
            diag_error_at(c->d, v->tok, "'%.*s' is not a value for field '%s' (%s): a parameter "
                          "is written $%.*s", T(v->tok), f->name, show_type(&f->type).s, T(v->tok));
            qc->used[p] = true;
            return;
        }
        m_type t = f->type;
        t.optional = false;
        if (convert_literal(c, v, &t, f->name, "value", &out->lit))
            out->kind = MA_LIT;
    }
}

enum { MAX_EXPR_DEPTH = 1000 };

static m_expr *check_compare(checker *c, query_ctx *qc, const ast_expr *e);

/* A where expression. `a and b and c ...` leans left (and, or associate to
 * the left), so the left spine is walked in a loop and only right operands
 * recurse: those nest only inside parentheses, which the parser's stack
 * bounds. depth counts that recursion. */
static m_expr *check_expr(checker *c, query_ctx *qc, const ast_expr *e, int depth)
{
    m_expr *root = NULL, **slot = &root;
    for (; e->op == MO_AND || e->op == MO_OR || e->op == MO_NOT; e = e->a) {
        m_expr *x = fe_calloc(1, sizeof *x);
        x->op = e->op;
        if (e->b && depth < MAX_EXPR_DEPTH)
            x->b = check_expr(c, qc, e->b, depth + 1);
        else if (e->b)
            diag_error_at(c->d, e->b->at, "expression nested too deeply");
        *slot = x;
        slot = &x->a;
    }
    *slot = check_compare(c, qc, e);
    return root;
}

/* One comparison (or like, in, is [not] null). */
static m_expr *check_compare(checker *c, query_ctx *qc, const ast_expr *e)
{
    m_expr *x = fe_calloc(1, sizeof *x);
    x->op = e->op;
    long fi = resolve_field(c, qc->mc, e->field);
    if (fi < 0) {
        if (e->op != MO_IS_NULL && e->op != MO_IS_NOT_NULL && e->rhs.kind == AV_PARAM)
            use_param(c, qc, e->rhs.tok);     /* known or not: no "never used" on top */
        return x;
    }
    x->field = (size_t)fi;
    const m_field *f = &qc->mc->m->fields[fi];
    bool bad = qc->mc->bad[fi];
    switch (e->op) {
    case MO_IS_NULL:
    case MO_IS_NOT_NULL:
        if (!bad && !f->type.optional)
            diag_error_at(c->d, e->field, "field '%s' (%s) is never null: '%s' needs an "
                          "optional field", f->name, show_type(&f->type).s,
                          e->op == MO_IS_NULL ? "is null" : "is not null");
        return x;
    case MO_LIKE:
        if (!bad && (f->type.kind != MK_TEXT || f->type.list)) {
            diag_error_at(c->d, e->field, "'like' needs a text field; '%s' is %s", f->name,
                          show_type(&f->type).s);
            bad = true;
        }
        break;
    case MO_IN:
        if (e->rhs.kind != AV_PARAM) {
            diag_error_at(c->d, e->rhs.tok, "'in' takes a list parameter, e.g. %s in $%ss",
                          f->name, f->name);
            return x;
        }
        break;
    default:
        if (!bad && !is_comparable(&f->type)) {
            diag_error_at(c->d, e->field, "cannot compare field '%s' (%s): json, map and list "
                          "fields only take 'is null' tests", f->name, show_type(&f->type).s);
            bad = true;
        }
        break;
    }
    if (e->op == MO_IN) {
        long p = use_param(c, qc, e->rhs.tok);
        if (p < 0 || bad)
            return x;
        const m_type *pt = &qc->q->params[p].type;
        if (!pt->list || !same_base(pt, &f->type) || f->type.list)
            diag_error_at(c->d, e->rhs.tok, "'in' needs a list of the field's type: parameter "
                          "'%.*s' is %s, field '%s' is %s", T(e->rhs.tok), show_type(pt).s,
                          f->name, show_type(&f->type).s);
        x->rhs.kind = MA_PARAM;
        x->rhs.param = (size_t)p;
        return x;
    }
    if (bad) {
        if (e->rhs.kind == AV_PARAM)
            use_param(c, qc, e->rhs.tok);
        return x;
    }
    check_operand(c, qc, &e->rhs, f, &x->rhs);
    return x;
}

/* limit / offset: an integer literal >= 0 or an int parameter. */
static void check_limit(checker *c, query_ctx *qc, src_tok kw, const ast_value *v, m_operand *out)
{
    if (v->kind == AV_INT) {
        int64_t n;
        if (!parse_int(v->tok, &n) || n < 0) {
            diag_error_at(c->d, v->tok, "%.*s must be an integer >= 0, not %.*s", T(kw), T(v->tok));
            return;
        }
        out->kind = MA_LIT;
        out->lit = (m_lit){.kind = ML_INT, .i = n};
    } else if (v->kind == AV_PARAM) {
        long p = use_param(c, qc, v->tok);
        if (p < 0)
            return;
        const m_type *t = &qc->q->params[p].type;
        if (t->kind != MK_INT || t->list || t->optional)
            diag_error_at(c->d, v->tok, "%.*s takes an int parameter; '%.*s' is %s", T(kw),
                          T(v->tok), show_type(t).s);
        out->kind = MA_PARAM;
        out->param = (size_t)p;
    } else {
        diag_error_at(c->d, v->tok, "%.*s takes an integer or an int parameter, not %s", T(kw),
                      value_kind(v->kind));
    }
}

/* `order by` of a select / update / delete: model fields. */
static void check_order(checker *c, query_ctx *qc)
{
    const ast_query *a = qc->ast;
    memset(qc->named, 0, qc->mc->m->n_fields * sizeof *qc->named);
    for (size_t i = 0; i < a->n_order; i++) {
        const ast_key *k = &a->order[i];
        long f = resolve_field(c, qc->mc, k->name);
        if (f < 0)
            continue;
        if (!qc->mc->bad[f])
            keyable(c, k->name, &qc->mc->m->fields[f], "order by");
        if (named_again(qc->named, (size_t)f))
            diag_error_at(c->d, k->name, "field '%.*s' appears twice in order by", T(k->name));
        *FE_PUSH(qc->q->order, qc->q->n_order) = (m_order){(size_t)f, k->desc};
    }
}

/* set f = f + operand / f - operand: an integer field that is not optional,
 * an integer literal or parameter (not optional). A negative literal turns
 * the operation around, so that the literal stored is never negative. */
static void check_arith(checker *c, query_ctx *qc, const ast_set *as, const m_field *f, m_set *s)
{
    const ast_value *v = &as->value;
    s->arith = as->op.s == NULL || as->op.s[0] == '+' ? '+' : '-';
    if (!tok_is(as->base, f->name))
        diag_error_at(c->d, as->base, "'%.*s' here must be the field being set: write '%s = %s %c ...'",
                      T(as->base), f->name, f->name, s->arith);
    else if (!is_integer(f->type.kind) || f->type.list || f->type.optional)
        diag_error_at(c->d, as->field, "'%s' is %s: + and - work on int, i32, u32 and u64 fields that are "
                      "not optional", f->name, show_type(&f->type).s);
    if (v->kind == AV_PARAM) {
        long p = use_param(c, qc, v->tok);
        if (p < 0)
            return;
        const m_type *pt = &qc->q->params[p].type;
        if (!is_integer(pt->kind) || pt->list || pt->optional)
            diag_error_at(c->d, v->tok, "parameter '%.*s' is %s: the amount of + or - is an integer "
                          "(int, i32, u32 or u64) parameter that is not optional", T(v->tok), show_type(pt).s);
        s->value = (m_operand){.kind = MA_PARAM, .param = (size_t)p};
        return;
    }
    int64_t n;
    if (v->kind != AV_INT || !parse_int(v->tok, &n) || n == INT64_MIN) {
        diag_error_at(c->d, v->tok, "the amount of + or - is an integer or an integer parameter, not '%.*s'",
                      T(v->tok));
        return;
    }
    if (as->op.s == NULL && n >= 0) {
        diag_error_at(c->d, v->tok, "expected '+' or '-' before '%.*s'", T(v->tok));
        return;
    }
    if (n < 0) {
        n = -n;
        s->arith = s->arith == '+' ? '-' : '+';
    }
    s->value = (m_operand){.kind = MA_LIT, .lit = {.kind = ML_INT, .i = n}};
}

/* set f = operand, ... then the @updated_now fields not named. */
static void check_set(checker *c, query_ctx *qc)
{
    const ast_query *a = qc->ast;
    m_query *q = qc->q;
    const m_model *m = qc->mc->m;
    memset(qc->named, 0, m->n_fields * sizeof *qc->named);
    for (size_t i = 0; i < a->n_set; i++) {
        const ast_set *as = &a->set[i];
        long fi = resolve_field(c, qc->mc, as->field);
        if (fi < 0) {
            if (as->value.kind == AV_PARAM)
                use_param(c, qc, as->value.tok);
            continue;
        }
        const m_field *f = &m->fields[fi];
        if (named_again(qc->named, (size_t)fi))
            diag_error_at(c->d, as->field, "field '%s' is set twice", f->name);
        if (f->is_id)
            diag_error_at(c->d, as->field, "cannot set '%s': it is part of the primary key", f->name);
        else if (f->sequence)
            diag_error_at(c->d, as->field, "cannot set '%s': @sequence values are assigned by "
                          "the storage", f->name);
        m_set *s = FE_PUSH(q->set, q->n_set);
        s->field = (size_t)fi;
        const ast_value *v = &as->value;
        if (as->base.s) {
            if (!qc->mc->bad[fi])
                check_arith(c, qc, as, f, s);
            else if (v->kind == AV_PARAM)
                use_param(c, qc, v->tok);
        } else if (qc->mc->bad[fi]) {
            if (v->kind == AV_PARAM)
                use_param(c, qc, v->tok);
        } else if (v->kind == AV_PARAM) {
            long p = use_param(c, qc, v->tok);
            if (p < 0)
                continue;
            const m_type *pt = &q->params[p].type;
            if (!same_base(pt, &f->type) || pt->list != f->type.list)
                param_mismatch(c, qc, v->tok, p, f);
            else if (pt->optional && !f->type.optional)
                diag_error_at(c->d, v->tok, "parameter '%.*s' is optional (%s), but field '%s' "
                              "is not", T(v->tok), show_type(pt).s, f->name);
            s->value.kind = MA_PARAM;
            s->value.param = (size_t)p;
        } else if (v->kind == AV_CALL) {
            check_operand(c, qc, v, f, &s->value);
        } else if (!is_comparable(&f->type)) {
            if (v->kind == AV_NULL && f->type.optional)
                s->value = (m_operand){.kind = MA_LIT, .lit = {.kind = ML_NULL}};
            else
                diag_error_at(c->d, v->tok, "field '%s' (%s) can only be set from a parameter "
                              "of its type", f->name, show_type(&f->type).s);
        } else if (convert_literal(c, v, &f->type, f->name, "value", &s->value.lit)) {
            s->value.kind = MA_LIT;
        }
    }
    for (size_t fi = 0; fi < m->n_fields; fi++)
        if (m->fields[fi].updated_now && !qc->named[fi])
            *FE_PUSH(q->set, q->n_set) = (m_set){fi, {.kind = MA_NOW}, 0};
}

/* An update that picks its rows (order by / limit). `-> one` then changes
 * at most one row and returns it (limit 1, or none); `-> many` returns the
 * changed rows in its order, so it may not set a field it orders by (the
 * order would be that of the new values). */
static void check_picking(checker *c, query_ctx *qc)
{
    const ast_query *a = qc->ast;
    m_query *q = qc->q;
    bool picks = a->order_kw.s || a->limit_kw.s;
    if (q->result == MR_ONE && picks) {
        q->result = MR_FIRST;
        if (q->limit.kind == MA_PARAM || (q->limit.kind == MA_LIT && q->limit.lit.i != 1))
            diag_error_at(c->d, a->limit.tok, "update %s.%s -> one changes at most one row: "
                          "write 'limit 1' or no limit", q->model->name, q->name);
        q->limit = (m_operand){.kind = MA_LIT, .lit = {.kind = ML_INT, .i = 1}};
    }
    if (q->result != MR_MANY)
        return;
    for (size_t o = 0; o < q->n_order; o++)
        for (size_t i = 0; i < q->n_set; i++)
            if (q->set[i].field == q->order[o].field) {
                const m_field *f = &q->model->fields[q->order[o].field];
                diag_error_at(c->d, a->order[o].name, "update %s.%s -> many returns its rows in "
                              "its order, so it cannot order by '%s', which it sets%s",
                              q->model->name, q->name, f->name,
                              f->updated_now ? " (@updated_now)" : "");
            }
}

static long find_item(const query_ctx *qc, src_tok name)
{
    return fe_names_get(&qc->items, name.s, name.n);
}

/* Adds a row field to an aggregate; returns the index of the row field of
 * that name already there, or -1. */
static long add_item(query_ctx *qc, src_tok name, m_agg_item item)
{
    long dup = fe_names_put(&qc->items, name.s, name.n, (long)qc->q->n_items);
    *FE_PUSH(qc->q->items, qc->q->n_items) = item;
    return dup;
}

/* One select item: count(), sum(f), avg(f), min(f) or max(f). */
static m_agg_item check_item(checker *c, query_ctx *qc, const ast_item *it)
{
    static const struct { const char *name; m_agg_fn fn; } fns[] = {
        {"count", MAGG_COUNT}, {"sum", MAGG_SUM}, {"avg", MAGG_AVG}, {"min", MAGG_MIN},
        {"max", MAGG_MAX},
    };
    m_agg_item item = {MAGG_COUNT, -1, dup_tok(it->name), {.kind = MK_INT}};
    size_t k = 0;
    while (k < sizeof fns / sizeof *fns && !tok_is(it->fn, fns[k].name))
        k++;
    if (k == sizeof fns / sizeof *fns) {
        diag_error_at(c->d, it->fn, "unknown aggregate '%.*s': use count(), sum(f), avg(f), "
                      "min(f) or max(f)", T(it->fn));
        return item;
    }
    if (fns[k].fn == MAGG_COUNT) {
        if (it->arg.s)
            diag_error_at(c->d, it->arg, "count() takes no field: it counts rows");
        return item;
    }
    if (!it->arg.s) {
        diag_error_at(c->d, it->fn, "%.*s() needs a field: %.*s(f)", T(it->fn), T(it->fn));
        return item;
    }
    long fi = resolve_field(c, qc->mc, it->arg);
    if (fi < 0)
        return item;
    const m_field *f = &qc->mc->m->fields[fi];
    item.fn = fns[k].fn;
    item.field = fi;
    item.type = f->type;
    bool numeric = (is_integer(f->type.kind) || f->type.kind == MK_REAL) && !f->type.list;
    if (qc->mc->bad[fi])
        ;                                   /* reported with the field */
    else if ((item.fn == MAGG_SUM || item.fn == MAGG_AVG) && !numeric)
        diag_error_at(c->d, it->arg, "%.*s() needs a number field; '%s' is %s", T(it->fn),
                      f->name, show_type(&f->type).s);
    else if (!is_comparable(&f->type))
        keyable(c, it->arg, f, "min() or max()");
    if (item.fn == MAGG_AVG || (item.fn == MAGG_SUM && f->type.kind == MK_REAL))
        item.type = (m_type){.kind = MK_REAL, .optional = f->type.optional};
    else if (item.fn == MAGG_SUM)
        item.type = (m_type){.kind = MK_INT, .optional = f->type.optional};
    return item;
}

/* The rows of an aggregate: the group by fields, then the select items;
 * then its order by, over those row fields. */
static void check_aggregate(checker *c, query_ctx *qc)
{
    const ast_query *a = qc->ast;
    m_query *q = qc->q;
    for (size_t i = 0; i < a->n_group; i++) {
        src_tok name = a->group[i];
        long fi = resolve_field(c, qc->mc, name);
        if (fi < 0)
            continue;
        const m_field *f = &qc->mc->m->fields[fi];
        if (!qc->mc->bad[fi])
            keyable(c, name, f, "group by");
        if (find_item(qc, name) >= 0) {
            diag_error_at(c->d, name, "field '%s' appears twice in group by", f->name);
            continue;
        }
        *FE_PUSH(q->group, q->n_group) = (size_t)fi;
        add_item(qc, name, (m_agg_item){MAGG_GROUP, fi, fe_strdup(f->name), f->type});
    }
    for (size_t i = 0; i < a->n_items; i++) {
        const ast_item *it = &a->items[i];
        long dup = add_item(qc, it->name, check_item(c, qc, it));
        if (dup >= 0)
            diag_error_at(c->d, it->name, "row field '%.*s' is already %s", T(it->name),
                          q->items[dup].fn == MAGG_GROUP ? "a group by field" : "selected");
    }
    for (size_t i = 0; i < a->n_order; i++) {
        const ast_key *k = &a->order[i];
        long r = find_item(qc, k->name);
        if (r < 0) {
            nearest best = {0};
            for (size_t j = 0; j < q->n_items; j++)
                consider_str(&best, k->name, q->items[j].name, -1);
            char buf[160];
            diag_error_at(c->d, k->name, "'%.*s' is not a field of the rows of %s.%s: order by "
                          "takes a group by field or a select name%s", T(k->name),
                          q->model->name, q->name, hint(buf, &best));
            continue;
        }
        *FE_PUSH(q->order, q->n_order) = (m_order){(size_t)r, k->desc};
    }
}

/* Reports the clauses the kind does not take, repeated ones, and missing
 * ones; returns whether there were none of those. */
static bool check_clauses(checker *c, query_ctx *qc)
{
    unsigned errors = diag_count(c->d);
    const ast_query *a = qc->ast;
    static const char *const takes[] = {
        [MQ_SELECT] = "where, order by, limit and offset",
        [MQ_UPDATE] = "set, where, order by and limit",
        [MQ_DELETE] = "where",
        [MQ_AGGREGATE] = "where, group by, select, order by, limit and offset",
    };
    const struct { src_tok kw; const char *name; unsigned kinds; } clauses[] = {
        {a->order_kw, "order by", 1u << MQ_SELECT | 1u << MQ_UPDATE | 1u << MQ_AGGREGATE},
        {a->group_kw, "group by", 1u << MQ_AGGREGATE},
        {a->select_kw, "select", 1u << MQ_AGGREGATE},
        {a->set_kw, "set", 1u << MQ_UPDATE},
        {a->limit_kw, "limit", 1u << MQ_SELECT | 1u << MQ_UPDATE | 1u << MQ_AGGREGATE},
        {a->offset_kw, "offset", 1u << MQ_SELECT | 1u << MQ_AGGREGATE},
    };
    for (size_t i = 0; i < sizeof clauses / sizeof *clauses; i++)
        if (clauses[i].kw.s && !(clauses[i].kinds & 1u << a->kind))
            diag_error_at(c->d, clauses[i].kw, "'%s' is not allowed in %s %s.%s (it takes %s)",
                          clauses[i].name, qc->what, qc->q->model->name, qc->q->name,
                          takes[a->kind]);
    if (a->dup.s)
        diag_error_at(c->d, a->dup, "second '%.*s%s' clause in %s.%s", T(a->dup),
                      tok_is(a->dup, "order") || tok_is(a->dup, "group") ? " by" : "",
                      qc->q->model->name, qc->q->name);
    if (a->kind == MQ_UPDATE && !a->set_kw.s)
        diag_error_at(c->d, a->name, "update %s.%s has no 'set' clause", qc->q->model->name,
                      qc->q->name);
    if (a->kind == MQ_AGGREGATE && !a->select_kw.s && !a->group_kw.s)
        diag_error_at(c->d, a->name, "aggregate %s.%s has no 'select' or 'group by' clause",
                      qc->q->model->name, qc->q->name);
    return diag_count(c->d) == errors;
}

static void check_result(checker *c, query_ctx *qc)
{
    const ast_query *a = qc->ast;
    static const struct { const char *word; m_result r; unsigned kinds; } words[] = {
        {"many", MR_MANY, 1u << MQ_SELECT | 1u << MQ_UPDATE | 1u << MQ_AGGREGATE},
        {"one", MR_ONE, 1u << MQ_SELECT | 1u << MQ_UPDATE},
        {"count", MR_COUNT, 1u << MQ_UPDATE | 1u << MQ_DELETE},
        {"bool", MR_BOOL, 1u << MQ_UPDATE},
    };
    static const char *const allowed[] = {
        [MQ_SELECT] = "-> many or -> one", [MQ_UPDATE] = "-> count, -> bool, -> one or -> many",
        [MQ_DELETE] = "-> count", [MQ_AGGREGATE] = "nothing (or -> many)",
    };
    qc->q->result = MR_MANY;
    if (!a->result.s) {
        if (a->kind != MQ_AGGREGATE)
            diag_error_at(c->d, a->name, "%s %s.%s needs a result: %s", qc->what,
                          qc->q->model->name, qc->q->name, allowed[a->kind]);
        return;
    }
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        if (tok_is(a->result, words[i].word) && (words[i].kinds & 1u << a->kind)) {
            qc->q->result = words[i].r;
            return;
        }
    }
    diag_error_at(c->d, a->result, "%s %s.%s cannot return '%.*s': it returns %s", qc->what,
                  qc->q->model->name, qc->q->name, T(a->result), allowed[a->kind]);
}

static void check_params(checker *c, query_ctx *qc)
{
    const ast_query *a = qc->ast;
    m_query *q = qc->q;
    q->n_params = a->n_params;
    q->params = fe_calloc(a->n_params, sizeof *q->params);
    qc->bad_param = fe_calloc(a->n_params, sizeof *qc->bad_param);
    qc->used = fe_calloc(a->n_params, sizeof *qc->used);
    for (size_t i = 0; i < a->n_params; i++) {
        const ast_param *p = &a->params[i];
        q->params[i].name = dup_tok(p->name);
        if (fe_names_put(&qc->params, p->name.s, p->name.n, (long)i) >= 0) {
            diag_error_at(c->d, p->name, "duplicate parameter '%.*s' in %s.%s", T(p->name),
                          q->model->name, q->name);
            qc->used[i] = true;         /* $name means the first one */
        }
        qc->bad_param[i] = !resolve_type(c, &p->type, &q->params[i].type);
    }
}

static void check_query(checker *c, size_t qi)
{
    const ast_query *a = c->ast->queries[qi];
    m_query *q = &c->s->queries[qi];
    q->name = dup_tok(a->name);
    q->kind = a->kind;
    q->line = a->kw.line;
    long mi = find_model(c, a->model);
    if (mi < 0) {
        char buf[160];
        diag_error_at(c->d, a->model, "unknown model '%.*s' in %s %.*s.%.*s%s", T(a->model),
                      kind_word(a->kind), T(a->model), T(a->name), model_hint(c, buf, a->model));
        return;
    }
    model_ctx *mc = &c->models[mi];
    query_ctx qc = {.ast = a, .q = q, .mc = mc, .what = kind_word(a->kind)};
    qc.named = fe_calloc(mc->m->n_fields, sizeof *qc.named);
    q->model = mc->m;

    /* a name that clashes with a generated one is reported by dalc_check_names */
    long prev = fe_names_put(&mc->queries, a->name.s, a->name.n, (long)qi);
    if (prev >= 0)
        diag_error_at(c->d, a->name, "duplicate name %s.%s: already declared at line %d",
                      q->model->name, q->name, c->ast->queries[prev]->kw.line);
    check_result(c, &qc);
    check_params(c, &qc);
    /* the clauses the kind takes; after a misplaced, repeated or missing
     * clause, an unused parameter may well be a consequence: not reported */
    bool sound = check_clauses(c, &qc);
    bool rows = a->kind == MQ_SELECT || a->kind == MQ_AGGREGATE;
    if (a->where)
        q->where = check_expr(c, &qc, a->where, 0);
    if (a->kind == MQ_AGGREGATE)
        check_aggregate(c, &qc);
    else if (a->kind == MQ_SELECT || a->kind == MQ_UPDATE)
        check_order(c, &qc);
    if (a->limit_kw.s && (rows || a->kind == MQ_UPDATE))
        check_limit(c, &qc, a->limit_kw, &a->limit, &q->limit);
    if (a->offset_kw.s && rows)
        check_limit(c, &qc, a->offset_kw, &a->offset, &q->offset);
    if (a->kind == MQ_UPDATE) {
        check_set(c, &qc);
        check_picking(c, &qc);
    }
    for (size_t i = 0; i < q->n_params && sound; i++)
        if (!qc.used[i])
            diag_error_at(c->d, a->params[i].name, "parameter '%s' of %s.%s is never used",
                          q->params[i].name, q->model->name, q->name);
    fe_names_clear(&qc.params);
    fe_names_clear(&qc.items);
    free(qc.bad_param);
    free(qc.used);
    free(qc.named);
}

/* ------------------------------------------------------------ the pass */

/* Reports models that share a table (unless their names clash already). */
static void check_tables(checker *c)
{
    fe_names tables = {0};
    for (size_t i = 0; i < c->s->n_models; i++) {
        const m_model *m = &c->s->models[i];
        if (strcmp(m->table, "schema_migrations") == 0 || strcmp(m->table, "dal_sequences") == 0) {
            diag_error_at(c->d, c->ast->models[i]->name, "model %s: table '%s' is reserved for the storage "
                          "layer (rename it with @@table)", m->name, m->table);
            continue;
        }
        long j = fe_names_put(&tables, m->table, strlen(m->table), (long)i);
        if (j >= 0 && strcmp(m->snake, c->s->models[j].snake) != 0)
            diag_error_at(c->d, c->ast->models[i]->name, "models %s and %s have the same table "
                          "'%s'", c->s->models[j].name, m->name, m->table);
    }
    fe_names_clear(&tables);
}

static void checker_clear(checker *c)
{
    for (size_t i = 0; i < c->s->n_models; i++) {
        fe_names_clear(&c->models[i].fields);
        fe_names_clear(&c->models[i].queries);
        free(c->models[i].bad);
        free(c->models[i].ref);
    }
    for (size_t i = 0; i < c->s->n_enums; i++)
        fe_names_clear(&c->members[i]);
    fe_names_clear(&c->types);
    free(c->members);
    free(c->models);
}

m_schema *dalc_check(const ast_schema *ast, const char *path, diag *d)
{
    unsigned errors = diag_count(d);
    m_schema *s = fe_calloc(1, sizeof *s);
    s->source = fe_strdup(path ? path : "<input>");
    s->n_enums = ast->n_enums;
    s->enums = fe_calloc(ast->n_enums, sizeof *s->enums);
    s->n_models = ast->n_models;
    s->models = fe_calloc(ast->n_models, sizeof *s->models);
    s->n_queries = ast->n_queries;
    s->queries = fe_calloc(ast->n_queries, sizeof *s->queries);
    checker c = {.d = d, .ast = ast, .s = s};
    c.models = fe_calloc(ast->n_models, sizeof *c.models);
    c.members = fe_calloc(ast->n_enums, sizeof *c.members);

    check_namespace(&c);
    for (size_t i = 0; i < ast->n_enums; i++)
        check_enum(&c, ast->enums[i], &s->enums[i]);
    for (size_t i = 0; i < ast->n_models; i++) {
        c.models[i] = (model_ctx){.ast = ast->models[i], .m = &s->models[i]};
        check_model_names(&c, i);
    }
    check_type_names(&c);
    for (size_t i = 0; i < ast->n_models; i++)
        check_model_body(&c, &c.models[i]);
    check_tables(&c);
    for (size_t i = 0; i < ast->n_models; i++)             /* every model known: references */
        for (size_t f = 0; f < s->models[i].n_fields; f++)
            if (c.models[i].ref[f])
                check_ref(&c, &c.models[i], f);
    for (size_t i = 0; i < ast->n_queries; i++)
        check_query(&c, i);
    checker_clear(&c);

    if (diag_count(d) > errors) {
        m_schema_free(s);
        return NULL;
    }
    return s;
}

/* ------------------------------------------------------------ generated names */

/* One generated name and the declaration that generates it. */
typedef struct gen_name {
    const char *name;
    char *key;                  /* scope + name */
    nm_what what;
    nm_scope scope;
    src_tok at;                 /* the declaration's name */
    char *who;                  /* "model Task" */
    size_t seq;
} gen_name;

typedef struct names_ctx {
    const ast_schema *ast;
    const m_schema *s;
    gen_name *v;
    size_t n;
} names_ctx;

static void owner_of(const names_ctx *x, nm_owner o, src_tok *at, fe_buf *who)
{
    const ast_schema *a = x->ast;
    const m_schema *s = x->s;
    switch (o.kind) {
    case NO_NAMESPACE:
        *at = a->ns[0].name;
        fe_buf_printf(who, "namespace %s", s->ns);
        return;
    case NO_ENUM:
        *at = a->enums[o.i]->name;
        fe_buf_printf(who, "enum %s", s->enums[o.i].name);
        return;
    case NO_MEMBER:
        *at = a->enums[o.i]->members[o.j].name;
        fe_buf_printf(who, "member %s.%.*s", s->enums[o.i].name, T(*at));
        return;
    case NO_MODEL:
        *at = a->models[o.i]->name;
        fe_buf_printf(who, "model %s", s->models[o.i].name);
        return;
    case NO_FIELD:
        *at = a->models[o.i]->fields[o.j]->name;
        fe_buf_printf(who, "field %s.%s", s->models[o.i].name, s->models[o.i].fields[o.j].name);
        return;
    case NO_QUERY:
        *at = a->queries[o.i]->name;
        fe_buf_printf(who, "%s %s.%s", kind_word(s->queries[o.i].kind), s->queries[o.i].model->name,
                      s->queries[o.i].name);
        return;
    case NO_PARAM:
        *at = a->queries[o.i]->params[o.j].name;
        fe_buf_printf(who, "parameter '%s' of %s.%s", s->queries[o.i].params[o.j].name,
                      s->queries[o.i].model->name, s->queries[o.i].name);
        return;
    case NO_ITEM: {
        const ast_query *q = a->queries[o.i];
        *at = o.j < q->n_group ? q->group[o.j] : q->items[o.j - q->n_group].name;
        fe_buf_printf(who, "row field '%s' of %s.%s", s->queries[o.i].items[o.j].name,
                      s->queries[o.i].model->name, s->queries[o.i].name);
        return;
    }
    }
}

static void collect_name(void *ctx, nm_owner o, nm_scope scope, nm_what what, const char *name)
{
    names_ctx *x = ctx;
    gen_name *g = FE_PUSH(x->v, x->n);
    *g = (gen_name){.name = name, .what = what, .scope = scope, .seq = x->n - 1};
    fe_buf who = {0};
    owner_of(x, o, &g->at, &who);
    g->who = fe_buf_take(&who);
    fe_buf key = {0};
    if (scope == NS_FILE)
        fe_buf_printf(&key, "%s", name);
    else /* the struct or the function: of model i (fields), of query i (items, params) */
        fe_buf_printf(&key, "%c%c%zu %s", scope == NS_STRUCT ? 's' : 'p', o.kind == NO_FIELD ? 'm' : 'q', o.i,
                      name);
    g->key = fe_buf_take(&key);
}

static int by_declaration(const void *pa, const void *pb)
{
    const gen_name *a = pa, *b = pb;
    if (a->at.s != b->at.s)
        return a->at.s < b->at.s ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static const char *what_text(nm_what w)
{
    switch (w) {
    case NM_TYPE: return "type";
    case NM_FUNC: return "function";
    case NM_OBJECT: return "object";
    case NM_MACRO: return "macro";
    case NM_CONST: return "constant";
    }
    return "name";
}

/* Reports, at the later declaration, two declarations that would generate
 * the same C name (in one scope), a generated name that C or an included
 * header already declares, a struct member that a generated macro would
 * replace, and a parameter that would hide a generated name its function
 * needs. One report per declaration. */
static bool reported_before(const char *const *v, size_t n, const char *at)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == at)
            return true;
    return false;
}

void dalc_check_names(const ast_schema *ast, const m_schema *s, const nm_names *names, diag *d)
{
    names_ctx x = {.ast = ast, .s = s};
    nm_each(names, s, collect_name, &x);
    qsort(x.v, x.n, sizeof *x.v, by_declaration);
    fe_names seen = {0};
    const char **reported = NULL;       /* the declarations reported, once each */
    size_t n_reported = 0;
    const char *ns_why = NULL;          /* the namespace's own names are reserved: said once */
    for (size_t i = 0; i < x.n; i++) {
        const gen_name *g = &x.v[i];
        if (reported_before(reported, n_reported, g->at.s))
            continue;
        const char *why = NULL;
        long prev = fe_names_put(&seen, g->key, strlen(g->key), (long)i);
        static const char *const scope_word[] = {[NS_FILE] = "", [NS_STRUCT] = "the struct member ",
                                                 [NS_PARAMS] = "the parameter "};
        if (prev >= 0 && x.v[prev].at.s != g->at.s) {
            const gen_name *p = &x.v[prev];
            diag_error_at(d, g->at, "%s would generate %s'%s', already generated for %s at %d:%d", g->who,
                          scope_word[g->scope], g->name, p->who, p->at.line, p->at.col);
        } else if (g->scope == NS_FILE && nm_reserved(g->name, &why)) {
            if (why == ns_why)
                continue;
            diag_error_at(d, g->at, "%s would generate '%s', which is %s", g->who, g->name, why);
            if (ns_why == NULL && g->at.s == ast->ns[0].name.s)
                ns_why = why;
        } else {
            continue;
        }
        *FE_PUSH(reported, n_reported) = g->at.s;
    }
    /* members and parameters against the file-scope names, now all known */
    for (size_t i = 0; i < x.n; i++) {
        const gen_name *g = &x.v[i];
        if (g->scope == NS_FILE || reported_before(reported, n_reported, g->at.s))
            continue;
        long prev = fe_names_get(&seen, g->name, strlen(g->name));
        if (prev < 0)
            continue;
        const gen_name *p = &x.v[prev];
        if (g->scope == NS_STRUCT && p->what != NM_MACRO)
            continue;               /* members have a name space of their own */
        if (g->scope == NS_STRUCT)
            diag_error_at(d, g->at, "%s would be the struct member '%s', which the macro generated for %s at "
                          "%d:%d replaces", g->who, g->name, p->who, p->at.line, p->at.col);
        else
            diag_error_at(d, g->at, "%s would be the C parameter '%s', hiding the %s generated for %s at "
                          "%d:%d", g->who, g->name, what_text(p->what), p->who, p->at.line, p->at.col);
        *FE_PUSH(reported, n_reported) = g->at.s;
    }
    fe_names_clear(&seen);
    for (size_t i = 0; i < x.n; i++) {
        free(x.v[i].who);
        free(x.v[i].key);
    }
    free(x.v);
    free(reported);
}
