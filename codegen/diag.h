/*
 * diag.h - positions in the schema text and the error messages about them.
 *
 * Every stage of the front end reports into one diag; dalc_frontend formats
 * them all at the end, sorted in source order, as
 *     file:line:col: error: message
 *     <the source line>
 *     <spaces, tabs kept, up to the column>^
 */
#ifndef DALC_DIAG_H
#define DALC_DIAG_H

#include <stddef.h>

#include "fe_util.h"

/* A slice of the source text with its position: a token, a name. The text
 * is not NUL-terminated; s is NULL for "absent" (an optional part). */
typedef struct src_tok {
    const char *s;
    size_t n;
    int line, col;          /* 1-based; the column counts bytes */
} src_tok;

typedef struct diag_entry {
    int line, col;
    size_t seq;             /* report order, to keep the sort stable */
    char *msg;
} diag_entry;

typedef struct diag {
    const char *path;       /* as given; NULL prints as "<input>" */
    const char *text;       /* the source, len bytes */
    size_t len;
    size_t n;
    diag_entry *v;
} diag;

/* Starts an empty collection about text (borrowed: it must outlive d). */
void diag_init(diag *d, const char *path, const char *text, size_t len);

/* Frees the messages; d may be NULL. */
void diag_clear(diag *d);

/* Records one error at line:col, message printf-style. */
void diag_error(diag *d, int line, int col, const char *fmt, ...) FE_PRINTF(4, 5);

/* Records one error at the start of tok. */
void diag_error_at(diag *d, src_tok tok, const char *fmt, ...) FE_PRINTF(3, 4);

unsigned diag_count(const diag *d);

/* All errors in source order, three lines each (see above); malloc'd, never
 * NULL (empty text when there is no error). */
char *diag_format(const diag *d);

#endif /* DALC_DIAG_H */
