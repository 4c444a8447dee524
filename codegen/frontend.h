/*
 * frontend.h - dalc's front end: lexer (lexer.re) -> parser (grammar.y) ->
 * AST (ast.h) -> checker (check.c) -> derived indexes (derive.c) -> model.h.
 */
#ifndef DALC_FRONTEND_H
#define DALC_FRONTEND_H

#include <stddef.h>

#include "model.h"

/* Lexes, parses and checks one schema; path is used in messages only.
 * On success returns the resolved schema (free with m_schema_free), sets
 * *n_errors to 0 and *diags to NULL.
 * On any error returns NULL, sets *n_errors to the number of errors and *diags
 * to a malloc'd text holding every diagnostic of the file in source order,
 * each as three lines:
 *     file:line:col: error: message
 *     <the source line>
 *     <spaces (tabs kept as tabs) up to the column>^
 * Never crashes, hangs or leaks, whatever the input (fuzzed). */
m_schema *dalc_frontend(const char *path, const char *text, size_t len,
                        char **diags, unsigned *n_errors);

#endif /* DALC_FRONTEND_H */
