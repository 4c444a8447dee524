/*
 * fe_util.h - small helpers shared by dalc's front end: allocation that never
 * returns NULL, growable arrays, a string builder, name tables, snake_case,
 * UTF-8, edit distance.
 */
#ifndef DALC_FE_UTIL_H
#define DALC_FE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__)
#define FE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FE_PRINTF(f, a)
#endif

/* malloc / calloc / realloc / strndup that print "dalc: out of memory" and
 * abort instead of returning NULL: a compiler has nothing useful to do then. */
void *fe_malloc(size_t size);
void *fe_calloc(size_t n, size_t size);
void *fe_realloc(void *p, size_t size);
char *fe_strndup(const char *s, size_t n);
char *fe_strdup(const char *s);

/* Growable arrays without a capacity field: an array of n elements has room
 * for the next power of two, so fe_grow reallocates only when n is 0 or a
 * power of two (to 2n: an array used as a stack may shrink then, never below
 * n + 1). Returns the (possibly moved) array, with room for n + 1. Use only
 * on arrays that fe_grow made (or NULL). */
void *fe_grow(void *array, size_t n, size_t elem_size);

/* FE_PUSH(arr, n): grows arr and returns a pointer to the new last element
 * arr[n] (then n is incremented); the element is zeroed. */
#define FE_PUSH(arr, n) \
    ((arr) = fe_grow((arr), (n), sizeof *(arr)), fe_zero(&(arr)[(n)], sizeof *(arr)), &(arr)[(n)++])
void *fe_zero(void *p, size_t size);

/* A growing NUL-terminated string. Start from {0}; s is NULL until the first
 * append; fe_buf_take hands the text over (never NULL) and resets the buffer. */
typedef struct fe_buf {
    char *s;
    size_t n, cap;
} fe_buf;

void fe_buf_put(fe_buf *b, const char *s, size_t n);
void fe_buf_puts(fe_buf *b, const char *s);
void fe_buf_putc(fe_buf *b, char c);
void fe_buf_printf(fe_buf *b, const char *fmt, ...) FE_PRINTF(2, 3);
void fe_buf_vprintf(fe_buf *b, const char *fmt, va_list ap);
char *fe_buf_take(fe_buf *b);
void fe_buf_clear(fe_buf *b);

/* A table of names (slices, not copied) to values, so that duplicates are
 * found in linear time. With fold set, names compare ignoring ASCII case.
 * Start from {0} (or {.fold = true}); free with fe_names_clear. */
typedef struct fe_names {
    bool fold;
    size_t n, cap;
    struct fe_name { const char *s; size_t len; long value; } *slots;
} fe_names;

/* Adds name -> value, unless the name is there: returns the value it has
 * then, or -1 when it was added. */
long fe_names_put(fe_names *t, const char *s, size_t len, long value);

/* The value of name, or -1. */
long fe_names_get(const fe_names *t, const char *s, size_t len);

void fe_names_clear(fe_names *t);

/* snake_case of an identifier (malloc'd): "AgentStatus" -> "agent_status",
 * "HTTPError" -> "http_error", "userID" -> "user_id"; lower case and
 * underscores are kept as they are. */
char *fe_snake(const char *s, size_t n);

/* Length of the valid UTF-8 sequence of two or more bytes at p (reading at
 * most avail bytes), or 0 when p does not start one: overlong forms,
 * surrogates and code points past U+10FFFF are invalid. */
size_t fe_utf8_seq(const unsigned char *p, size_t avail);

/* Edit distance between two short names, or a large number when either is
 * long (suggestions only look at near misses). */
size_t fe_distance(const char *a, size_t na, const char *b, size_t nb);

#endif /* DALC_FE_UTIL_H */
