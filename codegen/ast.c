/* ast.c - building and freeing the syntax tree (the grammar's actions). */
#include "ast.h"

#include <stdlib.h>
#include <string.h>

#define NEW(T) ((T *)fe_calloc(1, sizeof(T)))

/* ------------------------------------------------------------ values, types */

ast_value ast_value_make(ast_value_kind kind, src_tok tok)
{
    return (ast_value){kind, tok};
}

ast_type ast_type_named(src_tok name)
{
    return (ast_type){.name = name};
}

ast_type ast_type_generic(src_tok name, src_tok elem)
{
    return (ast_type){.name = name, .elem = elem};
}

ast_type ast_type_list(ast_type t, src_tok bracket)
{
    t.list = bracket;
    return t;
}

ast_type ast_type_optional(ast_type t, src_tok question)
{
    t.optional = question;
    return t;
}

ast_key ast_key_make(src_tok name, bool desc)
{
    return (ast_key){name, desc};
}

/* ------------------------------------------------------------ attributes */

static ast_arg *arg_new(ast_arg_kind kind, src_tok at)
{
    ast_arg *a = NEW(ast_arg);
    a->kind = kind;
    a->at = at;
    return a;
}

ast_arg *ast_arg_value(ast_value v)
{
    ast_arg *a = arg_new(AA_VALUE, v.tok);
    a->value = v;
    return a;
}

ast_arg *ast_arg_path(src_tok model, src_tok field)
{
    ast_arg *a = arg_new(AA_PATH, model);
    a->a = model;
    a->b = field;
    return a;
}

ast_arg *ast_arg_named(src_tok name, ast_value v)
{
    ast_arg *a = arg_new(AA_NAMED, name);
    a->a = name;
    a->value = v;
    return a;
}

ast_arg *ast_arg_list(src_tok bracket)
{
    return arg_new(AA_LIST, bracket);
}

ast_arg *ast_arg_keys(src_tok bracket, ast_key first)
{
    return ast_arg_add_key(ast_arg_list(bracket), first);
}

ast_arg *ast_arg_add_key(ast_arg *list, ast_key key)
{
    *FE_PUSH(list->keys, list->n_keys) = key;
    return list;
}

ast_arg *ast_arg_map(src_tok brace)
{
    return arg_new(AA_MAP, brace);
}

void ast_arg_free(ast_arg *a)
{
    if (!a)
        return;
    free(a->keys);
    free(a);
}

ast_args *ast_args_new(ast_arg *first)
{
    ast_args *l = NEW(ast_args);
    return first ? ast_args_add(l, first) : l;
}

ast_args *ast_args_add(ast_args *l, ast_arg *a)
{
    *FE_PUSH(l->v, l->n) = a;
    return l;
}

void ast_args_free(ast_args *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        ast_arg_free(l->v[i]);
    free(l->v);
    free(l);
}

ast_attr *ast_attr_new(src_tok at, ast_args *args)
{
    ast_attr *a = NEW(ast_attr);
    size_t skip = at.n > 1 && at.s[1] == '@' ? 2 : 1;
    a->at = at;
    a->name = at;
    a->name.s += skip;
    a->name.n -= skip;
    a->model = skip == 2;
    if (args) {
        a->parens = true;
        a->n_args = args->n;
        a->args = args->v;
        free(args);
    }
    return a;
}

void ast_attr_free(ast_attr *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_args; i++)
        ast_arg_free(a->args[i]);
    free(a->args);
    free(a);
}

/* ------------------------------------------------------------ declarations */

ast_field *ast_field_new(src_tok name, ast_type type)
{
    ast_field *f = NEW(ast_field);
    f->name = name;
    f->type = type;
    return f;
}

ast_field *ast_field_add_attr(ast_field *f, ast_attr *a)
{
    *FE_PUSH(f->attrs, f->n_attrs) = a;
    return f;
}

void ast_field_free(ast_field *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_attrs; i++)
        ast_attr_free(f->attrs[i]);
    free(f->attrs);
    free(f);
}

ast_model *ast_model_new(src_tok kw, src_tok name)
{
    ast_model *m = NEW(ast_model);
    m->kw = kw;
    m->name = name;
    return m;
}

ast_model *ast_model_add_field(ast_model *m, ast_field *f)
{
    *FE_PUSH(m->fields, m->n_fields) = f;
    return m;
}

ast_model *ast_model_add_attr(ast_model *m, ast_attr *a)
{
    *FE_PUSH(m->attrs, m->n_attrs) = a;
    return m;
}

void ast_model_free(ast_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_fields; i++)
        ast_field_free(m->fields[i]);
    for (size_t i = 0; i < m->n_attrs; i++)
        ast_attr_free(m->attrs[i]);
    free(m->fields);
    free(m->attrs);
    free(m);
}

ast_member ast_member_plain(src_tok name)
{
    return (ast_member){.name = name};
}

ast_member ast_member_valued(src_tok name, src_tok value)
{
    return (ast_member){.name = name, .value = value};
}

ast_enum *ast_enum_new(src_tok kw, src_tok name, ast_member first)
{
    ast_enum *e = NEW(ast_enum);
    e->kw = kw;
    e->name = name;
    return ast_enum_add(e, first);
}

ast_enum *ast_enum_add(ast_enum *e, ast_member m)
{
    *FE_PUSH(e->members, e->n) = m;
    return e;
}

void ast_enum_free(ast_enum *e)
{
    if (!e)
        return;
    free(e->members);
    free(e);
}

/* ------------------------------------------------------------ expressions */

ast_op ast_op_make(m_op op, src_tok tok)
{
    return (ast_op){op, tok};
}

ast_expr *ast_expr_compare(src_tok field, ast_op op, ast_value rhs)
{
    ast_expr *e = NEW(ast_expr);
    e->op = op.op;
    e->at = field;
    e->field = field;
    e->rhs = rhs;
    return e;
}

ast_expr *ast_expr_null(src_tok field, m_op op)
{
    ast_expr *e = NEW(ast_expr);
    e->op = op;
    e->at = field;
    e->field = field;
    return e;
}

ast_expr *ast_expr_logic(ast_op op, ast_expr *a, ast_expr *b)
{
    ast_expr *e = NEW(ast_expr);
    e->op = op.op;
    e->at = op.tok;
    e->a = a;
    e->b = b;
    return e;
}

void ast_expr_free(ast_expr *e)
{
    /* iterative on the left spine, so long `a and b and c ...` chains (left
     * deep by associativity) do not recurse deeply */
    while (e) {
        ast_expr *next = e->a;
        ast_expr_free(e->b);
        free(e);
        e = next;
    }
}

/* ------------------------------------------------------------ queries */

ast_param ast_param_make(src_tok name, ast_type type)
{
    return (ast_param){name, type};
}

ast_set ast_set_make(src_tok field, ast_value value)
{
    return (ast_set){field, value, {0}, {0}};
}

ast_set ast_set_arith(src_tok field, src_tok base, src_tok op, ast_value value)
{
    return (ast_set){field, value, base, op};
}

ast_item ast_item_make(src_tok fn, src_tok arg, src_tok name)
{
    return (ast_item){fn, arg, name};
}

ast_kind ast_kind_make(m_query_kind kind, src_tok tok)
{
    return (ast_kind){kind, tok};
}

ast_query *ast_query_new(ast_kind kind, src_tok model, src_tok name)
{
    ast_query *q = NEW(ast_query);
    q->kind = kind.kind;
    q->kw = kind.tok;
    q->model = model;
    q->name = name;
    return q;
}

ast_query *ast_query_add_param(ast_query *q, ast_param p)
{
    *FE_PUSH(q->params, q->n_params) = p;
    return q;
}

ast_query *ast_query_result(ast_query *q, src_tok result)
{
    q->result = result;
    return q;
}

/* Starts clause kw (stored in *slot). Returns false when the query has the
 * clause already: the checker reports the repeated keyword (kept in dup), and
 * the items of the repeated clause are dropped (q->skip) until the next one. */
static bool clause(ast_query *q, src_tok *slot, src_tok kw)
{
    q->skip = slot->s != NULL;
    if (q->skip) {
        if (!q->dup.s)
            q->dup = kw;
        return false;
    }
    *slot = kw;
    return true;
}

ast_query *ast_query_where(ast_query *q, src_tok kw, ast_expr *e)
{
    if (clause(q, &q->where_kw, kw))
        q->where = e;
    else
        ast_expr_free(e);
    return q;
}

ast_query *ast_query_order(ast_query *q, src_tok kw, ast_key first)
{
    clause(q, &q->order_kw, kw);
    return ast_query_add_order(q, first);
}

ast_query *ast_query_add_order(ast_query *q, ast_key key)
{
    if (!q->skip)
        *FE_PUSH(q->order, q->n_order) = key;
    return q;
}

ast_query *ast_query_group(ast_query *q, src_tok kw, src_tok first)
{
    clause(q, &q->group_kw, kw);
    return ast_query_add_group(q, first);
}

ast_query *ast_query_add_group(ast_query *q, src_tok field)
{
    if (!q->skip)
        *FE_PUSH(q->group, q->n_group) = field;
    return q;
}

ast_query *ast_query_select(ast_query *q, src_tok kw, ast_item first)
{
    clause(q, &q->select_kw, kw);
    return ast_query_add_item(q, first);
}

ast_query *ast_query_add_item(ast_query *q, ast_item item)
{
    if (!q->skip)
        *FE_PUSH(q->items, q->n_items) = item;
    return q;
}

ast_query *ast_query_set(ast_query *q, src_tok kw, ast_set first)
{
    clause(q, &q->set_kw, kw);
    return ast_query_add_set(q, first);
}

ast_query *ast_query_add_set(ast_query *q, ast_set set)
{
    if (!q->skip)
        *FE_PUSH(q->set, q->n_set) = set;
    return q;
}

ast_query *ast_query_limit(ast_query *q, src_tok kw, ast_value v)
{
    if (clause(q, &q->limit_kw, kw))
        q->limit = v;
    return q;
}

ast_query *ast_query_offset(ast_query *q, src_tok kw, ast_value v)
{
    if (clause(q, &q->offset_kw, kw))
        q->offset = v;
    return q;
}

void ast_query_free(ast_query *q)
{
    if (!q)
        return;
    free(q->params);
    ast_expr_free(q->where);
    free(q->order);
    free(q->group);
    free(q->items);
    free(q->set);
    free(q);
}

/* ------------------------------------------------------------ the schema */

ast_schema *ast_schema_new(void)
{
    return NEW(ast_schema);
}

static void first_decl(ast_schema *s, src_tok kw)
{
    if (!s->first.s)
        s->first = kw;
}

void ast_schema_add_namespace(ast_schema *s, src_tok kw, src_tok name)
{
    first_decl(s, kw);
    ast_namespace *ns = FE_PUSH(s->ns, s->n_ns);
    ns->kw = kw;
    ns->name = name;
}

void ast_schema_add_enum(ast_schema *s, ast_enum *e)
{
    first_decl(s, e->kw);
    *FE_PUSH(s->enums, s->n_enums) = e;
}

void ast_schema_add_model(ast_schema *s, ast_model *m)
{
    first_decl(s, m->kw);
    *FE_PUSH(s->models, s->n_models) = m;
}

void ast_schema_add_query(ast_schema *s, ast_query *q)
{
    first_decl(s, q->kw);
    *FE_PUSH(s->queries, s->n_queries) = q;
}

void ast_schema_free(ast_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_enums; i++)
        ast_enum_free(s->enums[i]);
    for (size_t i = 0; i < s->n_models; i++)
        ast_model_free(s->models[i]);
    for (size_t i = 0; i < s->n_queries; i++)
        ast_query_free(s->queries[i]);
    free(s->ns);
    free(s->enums);
    free(s->models);
    free(s->queries);
    free(s);
}
