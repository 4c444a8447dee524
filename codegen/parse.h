/*
 * parse.h - the parser that lemon makes of grammar.y, as parse.c drives it.
 */
#ifndef DALC_PARSE_H
#define DALC_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"

/* What the grammar's actions build into (lemon's %extra_argument). */
typedef struct parse_ctx {
    ast_schema *schema;     /* complete declarations are added here */
    bool failed;            /* the parser met an error DalcParseTry did not foresee */
} parse_ctx;

/* lemon's interface (%name DalcParse). */
void *DalcParseAlloc(void *(*alloc)(size_t));
void DalcParseFree(void *parser, void (*release)(void *));
void DalcParse(void *parser, int major, src_tok minor, parse_ctx *ctx);

/* Results of DalcParseTry besides a stack depth (> 0). */
enum {
    DALC_PARSE_ACCEPT = 0,      /* end of input: the schema is complete */
    DALC_PARSE_ERROR = -1,      /* a syntax error */
    DALC_PARSE_TOO_DEEP = -2    /* nested deeper than the parser's stack */
};

/* Whether token `major` (0: end of input) would be accepted next, without
 * changing the parser: the stack depth after shifting it, or one of the
 * values above. fallback: let a keyword stand for a name where the grammar
 * wants one (as parsing does); without it a keyword counts as itself. */
int DalcParseTry(void *parser, int major, int fallback);

/* The token a keyword stands for where a name is expected (TK_ID), or 0. */
int DalcParseFallback(int kind);

#endif /* DALC_PARSE_H */
