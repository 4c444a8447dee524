/* diag.c - collecting and printing the front end's error messages. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(diag *d, const char *path, const char *text, size_t len)
{
    *d = (diag){.path = path, .text = text, .len = len};
}

void diag_clear(diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].msg);
    free(d->v);
    d->v = NULL;
    d->n = 0;
}

static void add(diag *d, int line, int col, const char *fmt, va_list ap)
{
    fe_buf b = {0};
    fe_buf_vprintf(&b, fmt, ap);
    size_t seq = d->n;
    diag_entry *e = FE_PUSH(d->v, d->n);
    *e = (diag_entry){.line = line, .col = col, .seq = seq, .msg = fe_buf_take(&b)};
}

void diag_error(diag *d, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(d, line, col, fmt, ap);
    va_end(ap);
}

void diag_error_at(diag *d, src_tok tok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(d, tok.line, tok.col, fmt, ap);
    va_end(ap);
}

unsigned diag_count(const diag *d)
{
    return (unsigned)d->n;
}

/* ------------------------------------------------------------ printing */

static int by_position(const void *pa, const void *pb)
{
    const diag_entry *a = pa, *b = pb;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Appends the source line [line, end) made printable (control bytes and
 * invalid UTF-8 as '?', tabs kept), then a caret line under byte column col:
 * one space (or the tab) per character before it. */
static void put_source(fe_buf *b, const char *line, const char *end, int col)
{
    fe_buf caret = {0};
    size_t len = (size_t)(end - line);
    size_t at = col > 0 ? (size_t)col - 1 : 0;     /* byte offset of the caret */
    size_t i = 0;
    while (i < len) {
        const unsigned char *p = (const unsigned char *)line + i;
        size_t n = *p >= 0x80 ? fe_utf8_seq(p, len - i) : 1;
        if (n > 1)
            fe_buf_put(b, (const char *)p, n);
        else if (*p == '\t' || (*p >= 0x20 && *p < 0x7f))
            fe_buf_putc(b, (char)*p);
        else
            fe_buf_putc(b, '?');                     /* control byte, invalid UTF-8 */
        n = n ? n : 1;
        if (i < at)
            fe_buf_putc(&caret, *p == '\t' ? '\t' : ' ');
        i += n;
    }
    for (; i < at; i++)                             /* a column past the end of the line */
        fe_buf_putc(&caret, ' ');
    fe_buf_putc(b, '\n');
    if (caret.s)
        fe_buf_put(b, caret.s, caret.n);
    fe_buf_puts(b, "^\n");
    fe_buf_clear(&caret);
}

char *diag_format(const diag *d)
{
    diag_entry *sorted = fe_malloc((d->n ? d->n : 1) * sizeof *sorted);
    if (d->n)
        memcpy(sorted, d->v, d->n * sizeof *sorted);
    qsort(sorted, d->n, sizeof *sorted, by_position);

    fe_buf b = {0};
    const char *text = d->text ? d->text : "";
    const char *end = text + (d->text ? d->len : 0);
    const char *line = text;       /* start of line number `at` */
    int at = 1;
    for (size_t i = 0; i < d->n; i++) {
        const diag_entry *e = &sorted[i];
        while (at < e->line) {
            const char *nl = memchr(line, '\n', (size_t)(end - line));
            if (!nl)
                break;
            line = nl + 1;
            at++;
        }
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        if (eol > line && eol[-1] == '\r')
            eol--;
        fe_buf_printf(&b, "%s:%d:%d: error: %s\n", d->path ? d->path : "<input>",
                      e->line, e->col, e->msg);
        put_source(&b, line, eol, e->col);
    }
    free(sorted);
    return fe_buf_take(&b);
}
