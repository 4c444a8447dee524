// grammar.y - the syntax of a .dal schema, for lemon. This file is the source
// of truth for the syntax (the language is described in DSL.md); checking
// what the names mean is check.c's job.
//
// Every action is one call into the tree builders of ast.c; every heap-valued
// nonterminal has a destructor, so a parse that stops half way frees what it
// built. The driver (parse.c) asks DalcParseTry before feeding each token and
// never feeds one that is a syntax error: it reports it, resets the parser and
// resumes at the next declaration.

%name DalcParse
%token_prefix TK_
%token_type {src_tok}
%extra_argument {parse_ctx *ctx}
%stack_size 1000

%include {
#include "ast.h"
#include "parse.h"
}

// Not reached: parse.c feeds only tokens that DalcParseTry accepted, at a
// depth it checked. If they were, parse.c reports an internal error.
%syntax_error { (void)yymajor; (void)TOKEN; ctx->failed = true; }
%stack_overflow { ctx->failed = true; }

// ------------------------------------------------------------------ tokens
// Keywords first: each is taken as a name (ID) where the grammar expects a
// name and not that keyword, so a field may be called `type`, `order` or
// `timestamp`. TK_SPACE and TK_ILLEGAL come from the lexer and never reach
// the parser; ILLEGAL stays last (parse.c sizes its tables by it).

%token NAMESPACE ENUM MODEL QUERY UPDATE DELETE AGGREGATE.
%token WHERE ORDER GROUP BY ASC DESC SELECT AS SET LIMIT OFFSET.
%token AND OR NOT LIKE IN IS NULL TRUE FALSE.
%token ID PARAM ATTR MATTR INT REAL STRING.
%token LBRACE RBRACE LP RP LBRACKET RBRACKET COMMA DOT COLON SEMI QUESTION ARROW PLUS MINUS.
%token EQ NE LT LE GT GE.
%token SPACE ILLEGAL.

%fallback ID NAMESPACE ENUM MODEL QUERY UPDATE DELETE AGGREGATE
             WHERE ORDER GROUP BY ASC DESC SELECT AS SET LIMIT OFFSET
             AND OR NOT LIKE IN IS NULL TRUE FALSE.

%left OR.
%left AND.
%right NOT.

// ------------------------------------------------------------------ schema

schema ::= decls.
decls ::= .
decls ::= decls decl.

decl ::= NAMESPACE(K) ID(N) SEMI.           { ast_schema_add_namespace(ctx->schema, K, N); }
decl ::= enum(E) RBRACE.                    { ast_schema_add_enum(ctx->schema, E); }
decl ::= model(M) RBRACE.                   { ast_schema_add_model(ctx->schema, M); }
decl ::= query(Q) RBRACE.                   { ast_schema_add_query(ctx->schema, Q); }

// ------------------------------------------------------------------ enums
// enum TaskPriority { low = 0, medium = 1 }

%type enum {ast_enum *}
%destructor enum { ast_enum_free($$); }
enum(E) ::= ENUM(K) ID(N) LBRACE member(M).  { E = ast_enum_new(K, N, M); }
enum(E) ::= enum(E) COMMA member(M).        { E = ast_enum_add(E, M); }

%type member {ast_member}
member(M) ::= ID(N).                        { M = ast_member_plain(N); }
member(M) ::= ID(N) EQ INT(V).              { M = ast_member_valued(N, V); }

// ------------------------------------------------------------------ models
// model Agent { id uuid @id @default(uuid7)  tags text[]  @@table("agents") }

%type model {ast_model *}
%destructor model { ast_model_free($$); }
model(M) ::= MODEL(K) ID(N) LBRACE.         { M = ast_model_new(K, N); }
model(M) ::= model(M) field(F).             { M = ast_model_add_field(M, F); }
model(M) ::= model(M) mattr(A).             { M = ast_model_add_attr(M, A); }

%type field {ast_field *}
%destructor field { ast_field_free($$); }
field(F) ::= ID(N) type(T).                 { F = ast_field_new(N, T); }
field(F) ::= field(F) attr(A).              { F = ast_field_add_attr(F, A); }

// text, AgentStatus, map<json>, text?, uuid[]; `T[]?` parses so that the
// checker can say why it is refused.
%type type {ast_type}
type(T) ::= base(T).
type(T) ::= base(B) QUESTION(Q).            { T = ast_type_optional(B, Q); }
type(T) ::= list(T).
type(T) ::= list(L) QUESTION(Q).            { T = ast_type_optional(L, Q); }

%type list {ast_type}
list(T) ::= base(B) LBRACKET(K) RBRACKET.   { T = ast_type_list(B, K); }

%type base {ast_type}
base(T) ::= ID(N).                          { T = ast_type_named(N); }
base(T) ::= ID(N) LT ID(E) GT.              { T = ast_type_generic(N, E); }

// ------------------------------------------------------------------ attributes
// @id  @default(now)  @ref(Agent.id, on_delete: cascade)  @@index([a, b desc])
// The arguments are generic; check.c knows what each attribute takes.

%type attr {ast_attr *}
%destructor attr { ast_attr_free($$); }
attr(A) ::= ATTR(N) args(L).                { A = ast_attr_new(N, L); }

%type mattr {ast_attr *}
%destructor mattr { ast_attr_free($$); }
mattr(A) ::= MATTR(N) args(L).              { A = ast_attr_new(N, L); }

%type args {ast_args *}
%destructor args { ast_args_free($$); }
args(L) ::= .                               { L = NULL; }
args(L) ::= LP RP.                          { L = ast_args_new(NULL); }
args(L) ::= arglist(L) RP.

%type arglist {ast_args *}
%destructor arglist { ast_args_free($$); }
arglist(L) ::= LP arg(A).                   { L = ast_args_new(A); }
arglist(L) ::= arglist(L) COMMA arg(A).     { L = ast_args_add(L, A); }

%type arg {ast_arg *}
%destructor arg { ast_arg_free($$); }
arg(A) ::= value(V).                        { A = ast_arg_value(V); }
arg(A) ::= ID(M) DOT ID(F).                 { A = ast_arg_path(M, F); }
arg(A) ::= ID(N) COLON value(V).            { A = ast_arg_named(N, V); }
arg(A) ::= LBRACKET(K) RBRACKET.            { A = ast_arg_list(K); }
arg(A) ::= keys(A) RBRACKET.
arg(A) ::= LBRACE(K) RBRACE.                { A = ast_arg_map(K); }

%type keys {ast_arg *}
%destructor keys { ast_arg_free($$); }
keys(A) ::= LBRACKET(K) key(F).             { A = ast_arg_keys(K, F); }
keys(A) ::= keys(A) COMMA key(F).           { A = ast_arg_add_key(A, F); }

%type key {ast_key}
key(K) ::= ID(N).                           { K = ast_key_make(N, false); }
key(K) ::= ID(N) ASC.                       { K = ast_key_make(N, false); }
key(K) ::= ID(N) DESC.                      { K = ast_key_make(N, true); }

// ------------------------------------------------------------------ values
// $param, 42, -2.5e-3, "text", true, false, null, a name, now()

%type value {ast_value}
value(V) ::= PARAM(T).                      { V = ast_value_make(AV_PARAM, T); }
value(V) ::= INT(T).                        { V = ast_value_make(AV_INT, T); }
value(V) ::= REAL(T).                       { V = ast_value_make(AV_REAL, T); }
value(V) ::= STRING(T).                     { V = ast_value_make(AV_STRING, T); }
value(V) ::= TRUE(T).                       { V = ast_value_make(AV_TRUE, T); }
value(V) ::= FALSE(T).                      { V = ast_value_make(AV_FALSE, T); }
value(V) ::= NULL(T).                       { V = ast_value_make(AV_NULL, T); }
value(V) ::= ID(T).                         { V = ast_value_make(AV_NAME, T); }
value(V) ::= ID(T) LP RP.                   { V = ast_value_make(AV_CALL, T); }

// ------------------------------------------------------------------ queries
// query Task.pending() -> many { where ... order by ... limit ... }
// Clauses come in any order; which ones a kind takes is checked later.

%type query {ast_query *}
%destructor query { ast_query_free($$); }
query(Q) ::= head(Q) LBRACE.
query(Q) ::= query(Q) WHERE(K) expr(E).     { Q = ast_query_where(Q, K, E); }
query(Q) ::= query(Q) LIMIT(K) value(V).    { Q = ast_query_limit(Q, K, V); }
query(Q) ::= query(Q) OFFSET(K) value(V).   { Q = ast_query_offset(Q, K, V); }
query(Q) ::= order(Q).
query(Q) ::= group(Q).
query(Q) ::= select(Q).
query(Q) ::= set(Q).

%type head {ast_query *}
%destructor head { ast_query_free($$); }
head(Q) ::= sig(Q).
head(Q) ::= sig(Q) ARROW ID(R).             { Q = ast_query_result(Q, R); }

%type sig {ast_query *}
%destructor sig { ast_query_free($$); }
sig(Q) ::= open(Q) RP.
sig(Q) ::= params(Q) RP.

%type params {ast_query *}
%destructor params { ast_query_free($$); }
params(Q) ::= open(Q) param(P).             { Q = ast_query_add_param(Q, P); }
params(Q) ::= params(Q) COMMA param(P).     { Q = ast_query_add_param(Q, P); }

%type open {ast_query *}
%destructor open { ast_query_free($$); }
open(Q) ::= kind(K) ID(M) DOT ID(N) LP.     { Q = ast_query_new(K, M, N); }

%type kind {ast_kind}
kind(K) ::= QUERY(T).                       { K = ast_kind_make(MQ_SELECT, T); }
kind(K) ::= UPDATE(T).                      { K = ast_kind_make(MQ_UPDATE, T); }
kind(K) ::= DELETE(T).                      { K = ast_kind_make(MQ_DELETE, T); }
kind(K) ::= AGGREGATE(T).                   { K = ast_kind_make(MQ_AGGREGATE, T); }

%type param {ast_param}
param(P) ::= ID(N) COLON type(T).           { P = ast_param_make(N, T); }

%type order {ast_query *}
%destructor order { ast_query_free($$); }
order(Q) ::= query(Q) ORDER(K) BY key(F).   { Q = ast_query_order(Q, K, F); }
order(Q) ::= order(Q) COMMA key(F).         { Q = ast_query_add_order(Q, F); }

%type group {ast_query *}
%destructor group { ast_query_free($$); }
group(Q) ::= query(Q) GROUP(K) BY ID(F).    { Q = ast_query_group(Q, K, F); }
group(Q) ::= group(Q) COMMA ID(F).          { Q = ast_query_add_group(Q, F); }

%type select {ast_query *}
%destructor select { ast_query_free($$); }
select(Q) ::= query(Q) SELECT(K) item(I).   { Q = ast_query_select(Q, K, I); }
select(Q) ::= select(Q) COMMA item(I).      { Q = ast_query_add_item(Q, I); }

%type item {ast_item}
item(I) ::= ID(F) LP RP AS ID(N).           { I = ast_item_make(F, (src_tok){0}, N); }
item(I) ::= ID(F) LP ID(A) RP AS ID(N).     { I = ast_item_make(F, A, N); }

%type set {ast_query *}
%destructor set { ast_query_free($$); }
set(Q) ::= query(Q) SET(K) assign(A).       { Q = ast_query_set(Q, K, A); }
set(Q) ::= set(Q) COMMA assign(A).          { Q = ast_query_add_set(Q, A); }

%type assign {ast_set}
assign(A) ::= ID(F) EQ value(V).            { A = ast_set_make(F, V); }
// set n = n + $k, n = n - 1 (and n = n -1, where "-1" is one number)
assign(A) ::= ID(F) EQ ID(G) PLUS(O) value(V).  { A = ast_set_arith(F, G, O, V); }
assign(A) ::= ID(F) EQ ID(G) MINUS(O) value(V). { A = ast_set_arith(F, G, O, V); }
assign(A) ::= ID(F) EQ ID(G) INT(V).        { A = ast_set_arith(F, G, (src_tok){0}, ast_value_make(AV_INT, V)); }

// ------------------------------------------------------------------ where
// status = pending and (priority >= $p or assigned_to is null)

%type expr {ast_expr *}
%destructor expr { ast_expr_free($$); }
expr(E) ::= expr(A) OR(K) expr(B).          { E = ast_expr_logic(ast_op_make(MO_OR, K), A, B); }
expr(E) ::= expr(A) AND(K) expr(B).         { E = ast_expr_logic(ast_op_make(MO_AND, K), A, B); }
expr(E) ::= NOT(K) expr(A).                 { E = ast_expr_logic(ast_op_make(MO_NOT, K), A, NULL); }
expr(E) ::= LP expr(A) RP.                 { E = A; }
expr(E) ::= ID(F) op(O) value(V).           { E = ast_expr_compare(F, O, V); }
expr(E) ::= ID(F) IS NULL.                  { E = ast_expr_null(F, MO_IS_NULL); }
expr(E) ::= ID(F) IS NOT NULL.              { E = ast_expr_null(F, MO_IS_NOT_NULL); }

%type op {ast_op}
op(O) ::= EQ(T).                            { O = ast_op_make(MO_EQ, T); }
op(O) ::= NE(T).                            { O = ast_op_make(MO_NE, T); }
op(O) ::= LT(T).                            { O = ast_op_make(MO_LT, T); }
op(O) ::= LE(T).                            { O = ast_op_make(MO_LE, T); }
op(O) ::= GT(T).                            { O = ast_op_make(MO_GT, T); }
op(O) ::= GE(T).                            { O = ast_op_make(MO_GE, T); }
op(O) ::= LIKE(T).                          { O = ast_op_make(MO_LIKE, T); }
op(O) ::= IN(T).                            { O = ast_op_make(MO_IN, T); }

// ------------------------------------------------------------------ driver
%code {
/* What the driver needs from the parser's tables, without touching the
 * parser: mirrors yy_find_shift_action and yy_reduce of the template
 * codegen/lempar.c (kept in the tree so these stay in step). */

/* The action for terminal t in state s; a keyword falls back to ID only
 * when fallback is set. */
static YYACTIONTYPE try_action(YYCODETYPE t, YYACTIONTYPE s, int fallback)
{
    if (s > YY_MAX_SHIFT)
        return s;
    for (;;) {
        int i = yy_shift_ofst[s] + t;
        if (yy_lookahead[i] == t)
            return yy_action[i];
        if (!fallback || yyFallback[t] == 0)
            return yy_default[s];
        t = yyFallback[t];
    }
}

/* Simulates feeding token major to the parser, without changing it. Returns
 * the stack depth once the token is shifted (> 0), DALC_PARSE_ACCEPT when
 * major is 0 and the input is complete, DALC_PARSE_ERROR when the token is
 * a syntax error here, DALC_PARSE_TOO_DEEP when the stack would overflow.
 * Without fallback, a keyword counts only as itself (for "expected" lists). */
int DalcParseTry(void *parser, int major, int fallback)
{
    yyParser *p = parser;
    YYACTIONTYPE above[YYSTACKDEPTH];   /* states pushed by the simulation */
    int top = (int)(p->yytos - p->yystack);
    int own = top;                      /* [0, own] are still the parser's */
#define STATE(i) ((i) <= own ? p->yystack[(i)].stateno : above[(i) - own - 1])
    for (;;) {
        YYACTIONTYPE act = try_action((YYCODETYPE)major, STATE(top), fallback);
        if (act >= YY_MIN_REDUCE) {
            unsigned rule = act - YY_MIN_REDUCE;
            top += yyRuleInfoNRhs[rule];
            if (top < own)
                own = top;
            if (top + 2 >= YYSTACKDEPTH)
                return DALC_PARSE_TOO_DEEP;
            above[top - own] = yy_find_reduce_action(STATE(top), (YYCODETYPE)yyRuleInfoLhs[rule]);
            top++;
        } else if (act <= YY_MAX_SHIFTREDUCE) {
            return top + 2 >= YYSTACKDEPTH ? DALC_PARSE_TOO_DEEP : top + 1;
        } else if (act == YY_ACCEPT_ACTION) {
            return DALC_PARSE_ACCEPT;
        } else {
            return DALC_PARSE_ERROR;
        }
    }
#undef STATE
}
}
