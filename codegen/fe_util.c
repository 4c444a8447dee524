/* fe_util.c - allocation, arrays, strings for dalc's front end. */
#include "fe_util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void out_of_memory(void)
{
    fputs("dalc: out of memory\n", stderr);
    abort();
}

void *fe_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *fe_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *fe_realloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *fe_strndup(const char *s, size_t n)
{
    char *d = fe_malloc(n + 1);
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *fe_strdup(const char *s)
{
    return fe_strndup(s, strlen(s));
}

void *fe_grow(void *array, size_t n, size_t elem_size)
{
    if (n & (n - 1))
        return array;               /* not a power of two: room is left */
    size_t cap = n ? 2 * n : 1;
    if (cap > SIZE_MAX / elem_size)
        out_of_memory();
    return fe_realloc(array, cap * elem_size);
}

void *fe_zero(void *p, size_t size)
{
    return memset(p, 0, size);
}

/* ------------------------------------------------------------ strings */

static void buf_reserve(fe_buf *b, size_t more)
{
    if (b->n + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + more + 1) {
        if (cap > SIZE_MAX / 2)
            out_of_memory();
        cap *= 2;
    }
    b->s = fe_realloc(b->s, cap);
    b->cap = cap;
}

void fe_buf_put(fe_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

void fe_buf_puts(fe_buf *b, const char *s)
{
    fe_buf_put(b, s, strlen(s));
}

void fe_buf_putc(fe_buf *b, char c)
{
    fe_buf_put(b, &c, 1);
}

void fe_buf_vprintf(fe_buf *b, const char *fmt, va_list ap)
{
    if (fmt == NULL) /* never, but gcc -O2 with UBSan warns it could be */
        return;
    va_list copy;
    char probe[1];
    va_copy(copy, ap);
    int n = vsnprintf(probe, sizeof probe, fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
    b->n += (size_t)n;
}

void fe_buf_printf(fe_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fe_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *fe_buf_take(fe_buf *b)
{
    char *s = b->s ? b->s : fe_strdup("");
    *b = (fe_buf){0};
    return s;
}

void fe_buf_clear(fe_buf *b)
{
    free(b->s);
    *b = (fe_buf){0};
}

/* ------------------------------------------------------------ name tables */

static size_t name_hash(const fe_names *t, const char *s, size_t len)
{
    size_t h = 2166136261u;                 /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        h = (h ^ (t->fold ? (unsigned char)tolower(c) : c)) * 16777619u;
    }
    return h;
}

static bool name_equal(const fe_names *t, const struct fe_name *slot, const char *s, size_t len)
{
    if (slot->len != len)
        return false;
    return t->fold ? strncasecmp(slot->s, s, len) == 0 : memcmp(slot->s, s, len) == 0;
}

/* The slot of name s: the one holding it, or the empty one it would take. */
static struct fe_name *name_slot(const fe_names *t, const char *s, size_t len)
{
    size_t i = name_hash(t, s, len) & (t->cap - 1);
    while (t->slots[i].s && !name_equal(t, &t->slots[i], s, len))
        i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

long fe_names_put(fe_names *t, const char *s, size_t len, long value)
{
    if (2 * (t->n + 1) > t->cap) {          /* at most half full */
        fe_names bigger = {t->fold, 0, t->cap ? 2 * t->cap : 16, NULL};
        bigger.slots = fe_calloc(bigger.cap, sizeof *bigger.slots);
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].s)
                *name_slot(&bigger, t->slots[i].s, t->slots[i].len) = t->slots[i];
        bigger.n = t->n;
        free(t->slots);
        *t = bigger;
    }
    struct fe_name *slot = name_slot(t, s, len);
    if (slot->s)
        return slot->value;
    *slot = (struct fe_name){s, len, value};
    t->n++;
    return -1;
}

long fe_names_get(const fe_names *t, const char *s, size_t len)
{
    if (t->cap == 0)
        return -1;
    const struct fe_name *slot = name_slot(t, s, len);
    return slot->s ? slot->value : -1;
}

void fe_names_clear(fe_names *t)
{
    free(t->slots);
    *t = (fe_names){.fold = t->fold};
}

/* ------------------------------------------------------------ names */

char *fe_snake(const char *s, size_t n)
{
    fe_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isupper(c) && i > 0) {
            /* a word starts: after a lower case letter or digit ("userId"),
             * or at the last capital of an acronym ("HTTPError") */
            unsigned char prev = (unsigned char)s[i - 1];
            int next_lower = i + 1 < n && islower((unsigned char)s[i + 1]);
            if (islower(prev) || isdigit(prev) || (isupper(prev) && next_lower))
                fe_buf_putc(&b, '_');
        }
        fe_buf_putc(&b, (char)tolower(c));
    }
    return fe_buf_take(&b);
}

size_t fe_utf8_seq(const unsigned char *p, size_t avail)
{
    size_t n;
    unsigned min;
    if (avail == 0)
        return 0;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2, min = 0x80;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3, min = 0x800;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    if (avail < n)
        return 0;
    unsigned cp = p[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

size_t fe_distance(const char *a, size_t na, const char *b, size_t nb)
{
    enum { MAX = 64 };
    if (na > MAX || nb > MAX)
        return SIZE_MAX;
    size_t row[MAX + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}
