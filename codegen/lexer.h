/*
 * lexer.h - dalc's tokenizer (lexer.re): turns schema text into tokens.
 *
 * Token kinds are the TK_ codes of grammar.h, plus TK_SPACE (white space and
 * comments, which the driver skips) and TK_ILLEGAL (text that is no token:
 * the lexer has reported why). Words are keywords (TK_MODEL, TK_WHERE, ...);
 * the grammar takes a keyword as a name wherever it expects a name.
 */
#ifndef DALC_LEXER_H
#define DALC_LEXER_H

#include <stddef.h>

#include "diag.h"
#include "grammar.h"

typedef struct lexer {
    const char *src;        /* the text; src[len] must be '\0' (the sentinel) */
    size_t len;
    const char *cur;        /* next byte to read */
    int line;               /* line of cur, 1-based */
    const char *line_start; /* first byte of that line */
    diag *d;                /* where lexical errors go */
} lexer;

/* Starts reading src (len bytes followed by a NUL; embedded NULs are errors). */
void lex_init(lexer *lx, const char *src, size_t len, diag *d);

/* Reads the next token into *tok and returns its kind, 0 at the end of the
 * text. Errors (a bad character, an unterminated string or comment, a bad
 * escape, invalid UTF-8, a NUL byte) are reported into lx->d; an error that
 * leaves no usable token returns TK_ILLEGAL, located at its start. */
int lex_next(lexer *lx, src_tok *tok);

#endif /* DALC_LEXER_H */
