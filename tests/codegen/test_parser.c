/* test_parser.c - grammar.y and its driver: the trees it builds for every
 * construct of DSL.md, keywords used as names, syntax errors and recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ast.h"

/* A parse of one text: the tree and the formatted diagnostics. */
typedef struct parsed {
    ast_schema *ast;
    char *diags;
    unsigned n_errors;
    char *src;
} parsed;

static parsed parse_n(const char *text, size_t len)
{
    parsed p = {0};
    p.src = malloc(len + 1);
    memcpy(p.src, text, len);
    p.src[len] = '\0';
    diag d;
    diag_init(&d, "t.dal", p.src, len);
    p.ast = dalc_parse(p.src, len, &d);
    p.n_errors = diag_count(&d);
    p.diags = diag_format(&d);
    diag_clear(&d);
    return p;
}

static parsed parse(const char *text)
{
    return parse_n(text, strlen(text));
}

static void parsed_clear(parsed *p)
{
    ast_schema_free(p->ast);
    free(p->diags);
    free(p->src);
}

/* Whether tok is the text s. */
static bool is(src_tok tok, const char *s)
{
    return tok.s && tok.n == strlen(s) && memcmp(tok.s, s, tok.n) == 0;
}

#define assert_tok(tok, text) assert_true(is((tok), (text)))

/* Parses text that must have no error. */
static parsed parse_ok(const char *text)
{
    parsed p = parse(text);
    if (p.n_errors)
        fail_msg("unexpected errors:\n%s", p.diags);
    return p;
}

/* ------------------------------------------------------------ declarations */

static void test_namespace_and_enums(void **state)
{
    (void)state;
    parsed p = parse_ok("namespace swarm;\n"
                        "enum AgentStatus { initializing, active, idle }\n"
                        "enum TaskPriority { low = 0, medium = 1, neg = -2 }\n");
    assert_int_equal(p.ast->n_ns, 1);
    assert_tok(p.ast->ns[0].name, "swarm");
    assert_int_equal(p.ast->ns[0].kw.line, 1);
    assert_int_equal(p.ast->n_enums, 2);
    const ast_enum *e = p.ast->enums[0];
    assert_tok(e->name, "AgentStatus");
    assert_int_equal(e->n, 3);
    assert_tok(e->members[2].name, "idle");
    assert_null(e->members[2].value.s);
    e = p.ast->enums[1];
    assert_int_equal(e->n, 3);
    assert_tok(e->members[1].name, "medium");
    assert_tok(e->members[1].value, "1");
    assert_tok(e->members[2].value, "-2");
    assert_int_equal(e->members[2].name.line, 3);
    assert_int_equal(e->members[2].name.col, 42);
    assert_tok(p.ast->first, "namespace");
    parsed_clear(&p);
}

static void test_model_fields(void **state)
{
    (void)state;
    parsed p = parse_ok("model Agent {\n"
                        "  id           uuid        @id @default(uuid7)\n"
                        "  assigned_to  uuid?\n"
                        "  capabilities text[]\n"
                        "  metadata     map<json>\n"
                        "  bad          text[]?\n"
                        "  @@table(\"agents\")\n"
                        "  @@index([status, created_at desc])\n"
                        "}\n");
    assert_int_equal(p.ast->n_models, 1);
    const ast_model *m = p.ast->models[0];
    assert_tok(m->kw, "model");
    assert_tok(m->name, "Agent");
    assert_int_equal(m->n_fields, 5);

    const ast_field *f = m->fields[0];
    assert_tok(f->name, "id");
    assert_tok(f->type.name, "uuid");
    assert_null(f->type.elem.s);
    assert_null(f->type.list.s);
    assert_null(f->type.optional.s);
    assert_int_equal(f->n_attrs, 2);
    assert_tok(f->attrs[0]->name, "id");
    assert_tok(f->attrs[0]->at, "@id");
    assert_false(f->attrs[0]->parens);
    assert_int_equal(f->attrs[0]->n_args, 0);
    assert_tok(f->attrs[1]->name, "default");
    assert_true(f->attrs[1]->parens);
    assert_int_equal(f->attrs[1]->n_args, 1);
    assert_int_equal(f->attrs[1]->args[0]->kind, AA_VALUE);
    assert_int_equal(f->attrs[1]->args[0]->value.kind, AV_NAME);
    assert_tok(f->attrs[1]->args[0]->value.tok, "uuid7");

    assert_tok(m->fields[1]->type.optional, "?");
    assert_int_equal(m->fields[1]->type.optional.col, 20);
    assert_tok(m->fields[2]->type.list, "[");
    assert_null(m->fields[2]->type.optional.s);
    assert_tok(m->fields[3]->type.name, "map");
    assert_tok(m->fields[3]->type.elem, "json");
    assert_tok(m->fields[4]->type.list, "[");       /* parses; the checker refuses it */
    assert_tok(m->fields[4]->type.optional, "?");

    assert_int_equal(m->n_attrs, 2);
    assert_true(m->attrs[0]->model);
    assert_tok(m->attrs[0]->name, "table");
    assert_int_equal(m->attrs[0]->args[0]->value.kind, AV_STRING);
    assert_tok(m->attrs[0]->args[0]->value.tok, "\"agents\"");
    const ast_arg *keys = m->attrs[1]->args[0];
    assert_int_equal(keys->kind, AA_LIST);
    assert_int_equal(keys->n_keys, 2);
    assert_tok(keys->keys[0].name, "status");
    assert_false(keys->keys[0].desc);
    assert_tok(keys->keys[1].name, "created_at");
    assert_true(keys->keys[1].desc);
    parsed_clear(&p);
}

static void test_attribute_arguments(void **state)
{
    (void)state;
    parsed p = parse_ok("model M {\n"
                        "  a uuid @ref(Agent.id, on_delete: set_null) @column(\"a_col\")\n"
                        "  b text[] @default([]) @index(desc)\n"
                        "  c json @default({})\n"
                        "  d int @default(-7) @unique()\n"
                        "  @@unique([a asc, b])\n"
                        "}\n");
    const ast_model *m = p.ast->models[0];
    const ast_attr *ref = m->fields[0]->attrs[0];
    assert_int_equal(ref->n_args, 2);
    assert_int_equal(ref->args[0]->kind, AA_PATH);
    assert_tok(ref->args[0]->a, "Agent");
    assert_tok(ref->args[0]->b, "id");
    assert_int_equal(ref->args[1]->kind, AA_NAMED);
    assert_tok(ref->args[1]->a, "on_delete");
    assert_tok(ref->args[1]->value.tok, "set_null");
    assert_tok(m->fields[0]->attrs[1]->args[0]->value.tok, "\"a_col\"");

    const ast_arg *empty = m->fields[1]->attrs[0]->args[0];
    assert_int_equal(empty->kind, AA_LIST);
    assert_int_equal(empty->n_keys, 0);
    assert_tok(m->fields[1]->attrs[1]->args[0]->value.tok, "desc");   /* a keyword as a value */
    assert_int_equal(m->fields[2]->attrs[0]->args[0]->kind, AA_MAP);
    assert_int_equal(m->fields[3]->attrs[0]->args[0]->value.kind, AV_INT);
    assert_tok(m->fields[3]->attrs[0]->args[0]->value.tok, "-7");
    assert_true(m->fields[3]->attrs[1]->parens);                         /* @unique() */
    assert_int_equal(m->fields[3]->attrs[1]->n_args, 0);
    assert_false(m->attrs[0]->args[0]->keys[0].desc);
    parsed_clear(&p);
}

static void test_fields_on_one_line(void **state)
{
    (void)state;
    parsed p = parse_ok("model Pair { a int @id b text c text? @default(null) @@id([a, b]) d int }");
    const ast_model *m = p.ast->models[0];
    assert_int_equal(m->n_fields, 4);
    assert_tok(m->fields[1]->name, "b");
    assert_int_equal(m->fields[1]->n_attrs, 0);
    assert_int_equal(m->fields[2]->attrs[0]->args[0]->value.kind, AV_NULL);
    assert_tok(m->fields[3]->name, "d");
    assert_int_equal(m->n_attrs, 1);
    parsed_clear(&p);
}

static void test_keywords_as_names(void **state)
{
    (void)state;
    /* every keyword is a fine field name, type name, value or parameter */
    parsed p = parse_ok(
        "model model { namespace enum model query update delete aggregate where order group by\n"
        "  asc desc select as set limit offset and or not like in is null true false int\n"
        "  timestamp timestamp type text read bool }\n"
        "enum where { order, by, desc, null }\n"
        "query model.where(limit: int, offset: where) -> many {\n"
        "  where order = by and limit = $limit and desc = desc and select is null\n"
        "  order by order desc, by asc\n"
        "  limit $limit offset $offset\n"
        "}\n"
        "aggregate model.group() { group by group select count() as as, max(select) as select }\n");
    const ast_model *m = p.ast->models[0];
    assert_tok(m->name, "model");
    assert_int_equal(m->n_fields, 17);
    assert_tok(m->fields[0]->name, "namespace");
    assert_tok(m->fields[0]->type.name, "enum");
    assert_tok(m->fields[13]->name, "false");
    assert_tok(m->fields[14]->name, "timestamp");
    assert_tok(m->fields[14]->type.name, "timestamp");
    assert_tok(m->fields[15]->name, "type");
    assert_tok(m->fields[16]->name, "read");
    assert_tok(p.ast->enums[0]->members[3].name, "null");
    const ast_query *q = p.ast->queries[0];
    assert_tok(q->name, "where");
    assert_tok(q->params[1].type.name, "where");
    assert_int_equal(q->where->op, MO_AND);
    assert_tok(q->order[0].name, "order");
    assert_true(q->order[0].desc);
    assert_tok(q->order[1].name, "by");
    const ast_query *g = p.ast->queries[1];
    assert_tok(g->group[0], "group");
    assert_tok(g->items[0].name, "as");
    assert_tok(g->items[1].arg, "select");
    parsed_clear(&p);
}

/* ------------------------------------------------------------ queries */

static void test_query_clauses(void **state)
{
    (void)state;
    parsed p = parse_ok(
        "query Event.by_agent(agent_id: uuid, limit: int, tags: text[], x: text?) -> many {\n"
        "  where agent_id = $agent_id\n"
        "  order by timestamp desc, id\n"
        "  limit $limit\n"
        "  offset 10\n"
        "}\n"
        "update Task.claim(id: uuid) -> bool {\n"
        "  where id = $id\n"                    /* clauses in any order */
        "  set assigned_to = $agent_id, status = assigned, updated_at = now()\n"
        "}\n"
        "delete Event.before(ts: timestamp) -> count { where timestamp < $ts }\n"
        "aggregate Metric.summary() { group by metric_type, agent_id select avg(value) as value,\n"
        "  count() as samples order by samples desc }\n");
    assert_int_equal(p.ast->n_queries, 4);
    const ast_query *q = p.ast->queries[0];
    assert_int_equal(q->kind, MQ_SELECT);
    assert_tok(q->kw, "query");
    assert_tok(q->model, "Event");
    assert_tok(q->name, "by_agent");
    assert_tok(q->result, "many");
    assert_int_equal(q->n_params, 4);
    assert_tok(q->params[2].name, "tags");
    assert_tok(q->params[2].type.list, "[");
    assert_tok(q->params[3].type.optional, "?");
    assert_tok(q->where_kw, "where");
    assert_int_equal(q->where->op, MO_EQ);
    assert_tok(q->where->field, "agent_id");
    assert_int_equal(q->where->rhs.kind, AV_PARAM);
    assert_tok(q->where->rhs.tok, "$agent_id");
    assert_int_equal(q->n_order, 2);
    assert_true(q->order[0].desc);
    assert_false(q->order[1].desc);
    assert_int_equal(q->limit.kind, AV_PARAM);
    assert_int_equal(q->offset.kind, AV_INT);
    assert_tok(q->offset.tok, "10");
    assert_null(q->dup.s);

    q = p.ast->queries[1];
    assert_int_equal(q->kind, MQ_UPDATE);
    assert_tok(q->result, "bool");
    assert_int_equal(q->n_set, 3);
    assert_tok(q->set[1].field, "status");
    assert_int_equal(q->set[1].value.kind, AV_NAME);
    assert_int_equal(q->set[2].value.kind, AV_CALL);
    assert_tok(q->set[2].value.tok, "now");

    q = p.ast->queries[2];
    assert_int_equal(q->kind, MQ_DELETE);
    assert_int_equal(q->where->op, MO_LT);

    q = p.ast->queries[3];
    assert_int_equal(q->kind, MQ_AGGREGATE);
    assert_null(q->result.s);
    assert_int_equal(q->n_group, 2);
    assert_int_equal(q->n_items, 2);
    assert_tok(q->items[0].fn, "avg");
    assert_tok(q->items[0].arg, "value");
    assert_tok(q->items[0].name, "value");
    assert_null(q->items[1].arg.s);
    assert_tok(q->order[0].name, "samples");
    parsed_clear(&p);
}

static void test_repeated_clause(void **state)
{
    (void)state;
    parsed p = parse_ok("query A.b() -> many { order by x where a = 1 order by y, z where b = 2 }");
    const ast_query *q = p.ast->queries[0];
    assert_tok(q->dup, "order");                /* the checker reports it */
    assert_int_equal(q->dup.col, 46);
    assert_int_equal(q->n_order, 1);            /* the repeated clause is dropped */
    assert_tok(q->order[0].name, "x");
    assert_tok(q->where->field, "a");
    parsed_clear(&p);
}

/* Prints an expression tree in prefix form. */
static void show(char *out, size_t size, const ast_expr *e)
{
    static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">=", "like", "in", "null",
                                      "notnull", "and", "or", "not"};
    size_t n = strlen(out);
    if (e->op == MO_AND || e->op == MO_OR || e->op == MO_NOT) {
        snprintf(out + n, size - n, "(%s ", ops[e->op]);
        show(out, size, e->a);
        if (e->b) {
            n = strlen(out);
            snprintf(out + n, size - n, " ");
            show(out, size, e->b);
        }
        n = strlen(out);
        snprintf(out + n, size - n, ")");
    } else if (e->op == MO_IS_NULL || e->op == MO_IS_NOT_NULL) {
        snprintf(out + n, size - n, "(%s %.*s)", ops[e->op], (int)e->field.n, e->field.s);
    } else {
        snprintf(out + n, size - n, "(%s %.*s %.*s)", ops[e->op], (int)e->field.n, e->field.s,
                 (int)e->rhs.tok.n, e->rhs.tok.s);
    }
}

static void assert_where(const char *where, const char *expected)
{
    char text[512], tree[512] = "";
    snprintf(text, sizeof text, "query A.b() -> many { where %s }", where);
    parsed p = parse_ok(text);
    show(tree, sizeof tree, p.ast->queries[0]->where);
    assert_string_equal(tree, expected);
    parsed_clear(&p);
}

static void test_expressions(void **state)
{
    (void)state;
    assert_where("a = 1 or b = 2 and c = 3", "(or (= a 1) (and (= b 2) (= c 3)))");
    assert_where("a = 1 and b = 2 or c = 3", "(or (and (= a 1) (= b 2)) (= c 3))");
    assert_where("(a = 1 or b = 2) and c = 3", "(and (or (= a 1) (= b 2)) (= c 3))");
    assert_where("a = 1 and b = 2 and c = 3", "(and (and (= a 1) (= b 2)) (= c 3))");
    assert_where("not a = 1 and b = 2", "(and (not (= a 1)) (= b 2))");
    assert_where("not (a = 1 or b = 2)", "(not (or (= a 1) (= b 2)))");
    assert_where("a != $x and b < 2 and c <= 3.5 and d > now() and e >= -1",
                 "(and (and (and (and (!= a $x) (< b 2)) (<= c 3.5)) (> d now)) (>= e -1))");
    assert_where("name like \"a%\" or id in $ids", "(or (like name \"a%\") (in id $ids))");
    assert_where("x is null or y is not null", "(or (null x) (notnull y))");
    assert_where("f = true and g = false and h = null and s = pending",
                 "(and (and (and (= f true) (= g false)) (= h null)) (= s pending))");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    /* 256 levels of parentheses parse */
    char *text = malloc(4096);
    int n = snprintf(text, 4096, "query A.b() -> many { where ");
    for (int i = 0; i < 256; i++)
        text[n++] = '(';
    n += snprintf(text + n, 4096 - (size_t)n, "a = 1");
    for (int i = 0; i < 256; i++)
        text[n++] = ')';
    snprintf(text + n, 4096 - (size_t)n, " }");
    parsed p = parse_ok(text);
    assert_int_equal(p.ast->queries[0]->where->op, MO_EQ);
    parsed_clear(&p);
    free(text);

    /* far deeper: one error, no crash, the rest of the file still read */
    size_t deep = 100000;
    text = malloc(deep * 5 + 400);
    n = snprintf(text, 200, "namespace x;\nquery A.b() -> many { where ");
    for (size_t i = 0; i < deep; i++)
        text[n++] = '(';
    n += snprintf(text + n, 200, "a = 1 }\nquery A.c() -> many { where ");
    for (size_t i = 0; i < deep; i++)
        n += snprintf(text + n, 5, "not ");
    snprintf(text + n, 200, "a = 1 }\nmodel A { a int @id }\n");
    p = parse(text);
    assert_int_equal(p.n_errors, 2);
    assert_non_null(strstr(p.diags, "t.dal:2:1024: error: expression nested too deeply\n"));
    assert_non_null(strstr(p.diags, "t.dal:3:4009: error: expression nested too deeply\n"));
    assert_int_equal(p.ast->n_models, 1);
    parsed_clear(&p);
    free(text);
}

/* ------------------------------------------------------------ errors */

static void assert_errors(const char *text, const char *expected)
{
    parsed p = parse(text);
    assert_string_equal(p.diags, expected);
    parsed_clear(&p);
}

static void test_syntax_error_messages(void **state)
{
    (void)state;
    assert_errors("namespace swarm\nmodel A {}",
                  "t.dal:2:1: error: expected ';' after 'swarm', got 'model'\n"
                  "model A {}\n"
                  "^\n");
    assert_errors("modle A {}",
                  "t.dal:1:1: error: expected a declaration (namespace, enum, model, query, "
                  "update, delete or aggregate), got 'modle'\n"
                  "modle A {}\n"
                  "^\n");
    assert_errors("model A {\n  id int @id\n",
                  "t.dal:2:13: error: expected a name, an @attribute, an @@attribute, '}' or "
                  "'(' after '@id', got end of file\n"
                  "  id int @id\n"
                  "            ^\n");
    assert_errors("query A.b() -> many { where a = }",
                  "t.dal:1:33: error: expected a value ($parameter, literal or name) after "
                  "'=', got '}'\n"
                  "query A.b() -> many { where a = }\n"
                  "                                ^\n");
    assert_errors("query A.b() -> many { where a = 1 b = 2 }",
                  "t.dal:1:35: error: expected a clause (where, order by, group by, select, set, "
                  "limit or offset), 'and', 'or' or '}' after '1', got 'b'\n"
                  "query A.b() -> many { where a = 1 b = 2 }\n"
                  "                                  ^\n");
    assert_errors("enum E { \"a\" }",
                  "t.dal:1:10: error: expected a name after '{', got \"a\"\n"
                  "enum E { \"a\" }\n"
                  "         ^\n");
}

static void test_recovery(void **state)
{
    (void)state;
    /* one error per broken declaration, none for the good ones, in order */
    parsed p = parse("namespace x;\n"
                     "model A { id int @id name text ; }\n"
                     "model B { id int @id }\n"
                     "enum E { a b }\n"
                     "query B.q( -> many {}\n"
                     "modle C { }\n"
                     "model D { id int @id }\n");
    assert_int_equal(p.n_errors, 4);
    assert_string_equal(p.diags,
        "t.dal:2:32: error: expected a name, an @attribute, an @@attribute, '}', '[', '?' or "
        "'<' after 'text', got ';'\n"
        "model A { id int @id name text ; }\n"
        "                               ^\n"
        "t.dal:4:12: error: expected '}', ',' or '=' after 'a', got 'b'\n"
        "enum E { a b }\n"
        "           ^\n"
        "t.dal:5:12: error: expected a name or ')' after '(', got '->'\n"
        "query B.q( -> many {}\n"
        "           ^\n"
        "t.dal:6:1: error: expected a declaration (namespace, enum, model, query, update, "
        "delete or aggregate), got 'modle'\n"
        "modle C { }\n"
        "^\n");
    assert_int_equal(p.ast->n_models, 2);       /* B and D */
    assert_tok(p.ast->models[0]->name, "B");
    assert_tok(p.ast->models[1]->name, "D");
    parsed_clear(&p);

    /* a lexical error stops its declaration without a syntax error on top */
    assert_errors("model A { id int @id x text # y }\nmodel B { }",
                  "t.dal:1:29: error: unexpected character '#'\n"
                  "model A { id int @id x text # y }\n"
                  "                            ^\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namespace_and_enums),
        cmocka_unit_test(test_model_fields),
        cmocka_unit_test(test_attribute_arguments),
        cmocka_unit_test(test_fields_on_one_line),
        cmocka_unit_test(test_keywords_as_names),
        cmocka_unit_test(test_query_clauses),
        cmocka_unit_test(test_repeated_clause),
        cmocka_unit_test(test_expressions),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_syntax_error_messages),
        cmocka_unit_test(test_recovery),
    };
    return cmocka_run_group_tests_name("codegen parser", tests, NULL, NULL);
}
