/*
 * fuzz_lexer.c - libFuzzer target: the lexer alone, on any bytes. Besides
 * not crashing, every token must lie inside the text, be non-empty, and
 * start where the previous one ended; positions must count up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    if (size)
        memcpy(src, data, size);
    src[size] = '\0';

    diag d;
    diag_init(&d, "fuzz.dal", src, size);
    lexer lx;
    lex_init(&lx, src, size, &d);
    const char *next = src;
    int line = 1;
    src_tok t;
    while (lex_next(&lx, &t) != 0) {
        if (t.s != next || t.n == 0 || t.s + t.n > src + size || t.line < line || t.col < 1)
            abort();
        next = t.s + t.n;
        line = t.line;
    }
    if (t.s != src + size)      /* the end is at the end */
        abort();
    free(diag_format(&d));
    diag_clear(&d);
    free(src);
    return 0;
}
