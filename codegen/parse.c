/*
 * parse.c - the front end's driver.
 *
 * dalc_parse lexes the whole text, then pushes the tokens into the lemon
 * parser one by one. Before each token it asks the parser whether the token
 * fits (DalcParseTry); when it does not, it reports "expected X, got Y" with
 * X computed from the parser's tables, drops the half-built declaration
 * (the parser's destructors free it), and resumes at the next tokens that
 * look like the start of a declaration. So every declaration yields at most one syntax error,
 * and one mistake never produces a cascade of bogus ones.
 *
 * dalc_frontend runs the stages: parse, check, derive.
 */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "names.h"
#include "frontend.h"
#include "lexer.h"
#include "parse.h"

typedef struct token {
    int kind;               /* TK_ code; 0 for the end of the text */
    src_tok tok;
} token;

/* Lexes all of text; white space and comments are dropped. The last token is
 * the end (kind 0), placed just after the last real token. */
static token *lex_all(const char *text, size_t len, diag *d, size_t *n)
{
    lexer lx;
    token *v = NULL;
    *n = 0;
    lex_init(&lx, text, len, d);
    for (;;) {
        src_tok t;
        int kind = lex_next(&lx, &t);
        if (kind == TK_SPACE)
            continue;
        if (kind == 0 && *n > 0) {
            const src_tok *last = &v[*n - 1].tok;
            t.line = last->line;
            t.col = last->col + (int)last->n;
        }
        token *tk = FE_PUSH(v, *n);
        tk->kind = kind;
        tk->tok = t;
        if (kind == 0)
            return v;
    }
}

/* ------------------------------------------------------------ messages */

static bool is_word(int kind)
{
    return kind == TK_ID || DalcParseFallback(kind) == TK_ID;
}

/* How a token kind reads in "expected ..." (NULL: never listed). */
static const char *kind_name(int kind)
{
    static const char *const names[] = {
        [TK_NAMESPACE] = "'namespace'", [TK_ENUM] = "'enum'", [TK_MODEL] = "'model'",
        [TK_QUERY] = "'query'", [TK_UPDATE] = "'update'", [TK_DELETE] = "'delete'",
        [TK_AGGREGATE] = "'aggregate'", [TK_WHERE] = "'where'", [TK_ORDER] = "'order'",
        [TK_GROUP] = "'group'", [TK_BY] = "'by'", [TK_ASC] = "'asc'", [TK_DESC] = "'desc'",
        [TK_SELECT] = "'select'", [TK_AS] = "'as'", [TK_SET] = "'set'", [TK_LIMIT] = "'limit'",
        [TK_OFFSET] = "'offset'", [TK_AND] = "'and'", [TK_OR] = "'or'", [TK_NOT] = "'not'",
        [TK_LIKE] = "'like'", [TK_IN] = "'in'", [TK_IS] = "'is'", [TK_NULL] = "'null'",
        [TK_TRUE] = "'true'", [TK_FALSE] = "'false'",
        [TK_ID] = "a name", [TK_PARAM] = "a $parameter", [TK_ATTR] = "an @attribute",
        [TK_MATTR] = "an @@attribute", [TK_INT] = "an integer", [TK_REAL] = "a real number",
        [TK_STRING] = "a string",
        [TK_LBRACE] = "'{'", [TK_RBRACE] = "'}'", [TK_LP] = "'('", [TK_RP] = "')'",
        [TK_LBRACKET] = "'['", [TK_RBRACKET] = "']'", [TK_COMMA] = "','", [TK_DOT] = "'.'",
        [TK_COLON] = "':'", [TK_SEMI] = "';'", [TK_QUESTION] = "'?'", [TK_ARROW] = "'->'", [TK_PLUS] = "'+'", [TK_MINUS] = "'-'",
        [TK_EQ] = "'='", [TK_NE] = "'!='", [TK_LT] = "'<'", [TK_LE] = "'<='",
        [TK_GT] = "'>'", [TK_GE] = "'>='",
    };
    return kind > 0 && kind < (int)(sizeof names / sizeof *names) ? names[kind] : NULL;
}

/* Sets of tokens that read better as one phrase when all are expected. */
static const struct group {
    const char *text;
    int kinds[9];           /* 0-terminated */
} groups[] = {
    {"a declaration (namespace, enum, model, query, update, delete or aggregate)",
     {TK_NAMESPACE, TK_ENUM, TK_MODEL, TK_QUERY, TK_UPDATE, TK_DELETE, TK_AGGREGATE}},
    {"a clause (where, order by, group by, select, set, limit or offset)",
     {TK_WHERE, TK_ORDER, TK_GROUP, TK_SELECT, TK_SET, TK_LIMIT, TK_OFFSET}},
    {"a value ($parameter, literal or name)",
     {TK_PARAM, TK_INT, TK_REAL, TK_STRING, TK_TRUE, TK_FALSE, TK_NULL, TK_ID}},
};

enum { N_KINDS = TK_ILLEGAL + 1 };      /* TK_ILLEGAL is the last token (grammar.y) */

/* The group that kind k is in, when all of that group is ok; or NULL. */
static const struct group *whole_group(int k, const bool ok[N_KINDS])
{
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        bool all = true, member = false;
        for (const int *m = groups[g].kinds; *m; m++) {
            all = all && ok[*m];
            member = member || *m == k;
        }
        if (all && member)
            return &groups[g];
    }
    return NULL;
}

/* Appends "X, Y or Z" for the expected kinds (ok[kind]); returns whether
 * they are the start of a declaration (the parser is between declarations). */
static bool put_expected(fe_buf *b, const bool ok[N_KINDS])
{
    const char *items[N_KINDS];
    size_t n = 0;
    bool listed[N_KINDS] = {false};
    bool top = false;
    for (int k = 1; k < N_KINDS; k++) {
        if (!ok[k] || listed[k] || !kind_name(k))
            continue;
        const struct group *g = whole_group(k, ok);
        for (const int *m = g ? g->kinds : NULL; m && *m; m++)
            listed[*m] = true;
        top = top || g == &groups[0];
        items[n++] = g ? g->text : kind_name(k);
    }
    for (size_t i = 0; i < n; i++)
        fe_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", items[i]);
    return top;
}

/* Appends how token t reads in a message: its text, quoted and shortened. */
static void put_token(fe_buf *b, const token *t)
{
    if (t->kind == 0) {
        fe_buf_puts(b, "end of file");
        return;
    }
    size_t n = t->tok.n;
    const char *more = "";
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)t->tok.s[n] & 0xc0) == 0x80)
            n--;                    /* do not cut a UTF-8 character */
        more = "...";
    }
    if (t->kind == TK_STRING)
        fe_buf_printf(b, "%.*s%s", (int)n, t->tok.s, more);
    else
        fe_buf_printf(b, "'%.*s%s'", (int)n, t->tok.s, more);
}

/* Reports that token t does not fit: "expected X [after P], got T". */
static void syntax_error(void *lemon, diag *d, const token *t, const token *prev)
{
    bool ok[N_KINDS] = {false};
    for (int k = 1; k < N_KINDS; k++) {
        int r = DalcParseTry(lemon, k, 0);
        ok[k] = r > 0 || r == DALC_PARSE_TOO_DEEP;
    }
    fe_buf b = {0};
    fe_buf_puts(&b, "expected ");
    bool top = put_expected(&b, ok);
    if (prev && !top) {
        fe_buf_puts(&b, " after ");
        put_token(&b, prev);
    }
    fe_buf_puts(&b, ", got ");
    put_token(&b, t);
    diag_error_at(d, t->tok, "%s", b.s);
    fe_buf_clear(&b);
}

/* ------------------------------------------------------------ recovery */

/* Whether the tokens at t (n of them, the last being the end) look like the
 * start of a declaration: two words, then '{' (enum, model), '.' (query,
 * update, delete, aggregate) or ';' (namespace). Misspelled keywords count,
 * so that `modle M {` is reported too; nothing else in a schema looks so. */
static bool starts_decl(const token *t, size_t n)
{
    if (n < 3 || !is_word(t[0].kind) || !is_word(t[1].kind))
        return false;
    return t[2].kind == TK_LBRACE || t[2].kind == TK_DOT || t[2].kind == TK_SEMI;
}

/* The index of the first token at or after i that starts a declaration, or
 * of the end token. */
static size_t resync(const token *toks, size_t n, size_t i)
{
    while (i + 1 < n && !starts_decl(&toks[i], n - i))
        i++;
    return i < n ? i : n - 1;
}

/* ------------------------------------------------------------ parsing */

typedef struct parser {
    void *lemon;
    parse_ctx ctx;
    const token *prev;          /* last token fed since the parser (re)started */
    const token *reported;      /* last token reported */
} parser;

/* Token toks[i] does not fit (why: DALC_PARSE_ERROR or _TOO_DEEP): reports
 * it unless the lexer did or it was reported already, drops what the parser
 * holds, and returns the index to resume at. */
static size_t recover(parser *p, diag *d, const token *toks, size_t n, size_t i, int why)
{
    const token *t = &toks[i];
    if (t == p->reported || t->kind == TK_ILLEGAL)
        ;
    else if (why == DALC_PARSE_TOO_DEEP)
        diag_error_at(d, t->tok, "expression nested too deeply");
    else
        syntax_error(p->lemon, d, t, p->prev);
    p->reported = t;
    DalcParseFree(p->lemon, free);          /* the destructors free the tree */
    p->lemon = DalcParseAlloc(fe_malloc);
    i = resync(toks, n, p->prev ? i : i + 1);
    p->prev = NULL;
    return i;
}

ast_schema *dalc_parse(const char *text, size_t len, diag *d)
{
    size_t n;
    token *toks = lex_all(text, len, d, &n);
    parser p = {DalcParseAlloc(fe_malloc), {ast_schema_new(), false}, NULL, NULL};
    for (size_t i = 0; i < n;) {
        const token *t = &toks[i];
        int r = t->kind == TK_ILLEGAL ? DALC_PARSE_ERROR : DalcParseTry(p.lemon, t->kind, 1);
        if (r == DALC_PARSE_ERROR || r == DALC_PARSE_TOO_DEEP) {
            i = recover(&p, d, toks, n, i, r);
            continue;
        }
        DalcParse(p.lemon, t->kind, t->tok, &p.ctx);
        if (p.ctx.failed) {             /* a bug: DalcParseTry said yes */
            diag_error_at(d, t->tok, "internal error: the parser refused this token");
            break;
        }
        if (t->kind == 0)
            break;
        p.prev = t;
        i++;
    }
    DalcParseFree(p.lemon, free);
    free(toks);
    return p.ctx.schema;
}

/* ------------------------------------------------------------ the front end */

m_schema *dalc_frontend(const char *path, const char *text, size_t len,
                        char **diags, unsigned *n_errors)
{
    char *src = fe_malloc(len + 1);     /* with the lexer's NUL sentinel */
    if (len)
        memcpy(src, text, len);
    src[len] = '\0';

    diag d;
    diag_init(&d, path, src, len);
    ast_schema *ast = dalc_parse(src, len, &d);
    m_schema *s = diag_count(&d) ? NULL : dalc_check(ast, path, &d);
    if (s) {
        dalc_derive(s);
        s->names = nm_build(s);
        dalc_check_names(ast, s, s->names, &d);
        if (diag_count(&d)) {
            m_schema_free(s);
            s = NULL;
        }
    }
    ast_schema_free(ast);

    unsigned count = diag_count(&d);
    if (n_errors)
        *n_errors = count;
    if (diags)
        *diags = count ? diag_format(&d) : NULL;
    diag_clear(&d);
    free(src);
    return s;
}
