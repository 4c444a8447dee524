/* test_lexer.c - dalc's tokenizer: every token kind, positions, escapes and
 * the errors of lexer.re, with their exact messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lexer.h"

enum { MAX_TOKENS = 64 };

/* The tokens of a text (white space and comments left out unless asked for),
 * and the formatted diagnostics. */
typedef struct lexed {
    size_t n;
    int kind[MAX_TOKENS];
    char text[MAX_TOKENS][64];
    int line[MAX_TOKENS], col[MAX_TOKENS];
    char *diags;
} lexed;

static lexed *lex_n(const char *text, size_t len, bool keep_space)
{
    lexed *r = calloc(1, sizeof *r);
    char *src = malloc(len + 1);
    memcpy(src, text, len);
    src[len] = '\0';
    diag d;
    diag_init(&d, "t.dal", src, len);
    lexer lx;
    lex_init(&lx, src, len, &d);
    src_tok t;
    int kind;
    while ((kind = lex_next(&lx, &t)) != 0) {
        if (kind == TK_SPACE && !keep_space)
            continue;
        assert_true(r->n < MAX_TOKENS);
        r->kind[r->n] = kind;
        snprintf(r->text[r->n], sizeof r->text[0], "%.*s", (int)t.n, t.s);
        r->line[r->n] = t.line;
        r->col[r->n] = t.col;
        r->n++;
    }
    r->diags = diag_format(&d);
    diag_clear(&d);
    free(src);
    return r;
}

static lexed *lex(const char *text)
{
    return lex_n(text, strlen(text), false);
}

static void lexed_free(lexed *r)
{
    free(r->diags);
    free(r);
}

/* Asserts token i: kind, text, line, column. */
static void tok(const lexed *r, size_t i, int kind, const char *text, int line, int col)
{
    assert_true(i < r->n);
    assert_int_equal(r->kind[i], kind);
    assert_string_equal(r->text[i], text);
    assert_int_equal(r->line[i], line);
    assert_int_equal(r->col[i], col);
}

/* ------------------------------------------------------------ tokens */

static void test_keywords(void **state)
{
    (void)state;
    static const struct { const char *word; int kind; } kw[] = {
        {"namespace", TK_NAMESPACE}, {"enum", TK_ENUM}, {"model", TK_MODEL}, {"query", TK_QUERY},
        {"update", TK_UPDATE}, {"delete", TK_DELETE}, {"aggregate", TK_AGGREGATE},
        {"where", TK_WHERE}, {"order", TK_ORDER}, {"group", TK_GROUP}, {"by", TK_BY},
        {"asc", TK_ASC}, {"desc", TK_DESC}, {"select", TK_SELECT}, {"as", TK_AS}, {"set", TK_SET},
        {"limit", TK_LIMIT}, {"offset", TK_OFFSET}, {"and", TK_AND}, {"or", TK_OR},
        {"not", TK_NOT}, {"like", TK_LIKE}, {"in", TK_IN}, {"is", TK_IS}, {"null", TK_NULL},
        {"true", TK_TRUE}, {"false", TK_FALSE},
    };
    for (size_t i = 0; i < sizeof kw / sizeof *kw; i++) {
        lexed *r = lex(kw[i].word);
        assert_int_equal(r->n, 1);
        tok(r, 0, kw[i].kind, kw[i].word, 1, 1);
        lexed_free(r);
    }
}

static void test_names(void **state)
{
    (void)state;
    lexed *r = lex("models Model _x a1_B2 timestamp $limit @id @@table $_ @x9");
    assert_int_equal(r->n, 10);
    tok(r, 0, TK_ID, "models", 1, 1);       /* a keyword only as a whole word */
    tok(r, 1, TK_ID, "Model", 1, 8);        /* keywords are lower case */
    tok(r, 2, TK_ID, "_x", 1, 14);
    tok(r, 3, TK_ID, "a1_B2", 1, 17);
    tok(r, 4, TK_ID, "timestamp", 1, 23);
    tok(r, 5, TK_PARAM, "$limit", 1, 33);
    tok(r, 6, TK_ATTR, "@id", 1, 40);
    tok(r, 7, TK_MATTR, "@@table", 1, 44);
    tok(r, 8, TK_PARAM, "$_", 1, 52);
    tok(r, 9, TK_ATTR, "@x9", 1, 55);
    assert_string_equal(r->diags, "");
    lexed_free(r);
}

static void test_numbers(void **state)
{
    (void)state;
    lexed *r = lex("42 -7 0 007 0.5 1e3 -2.5e-3 1E+2 3.25");
    assert_int_equal(r->n, 9);
    tok(r, 0, TK_INT, "42", 1, 1);
    tok(r, 1, TK_INT, "-7", 1, 4);
    tok(r, 2, TK_INT, "0", 1, 7);
    tok(r, 3, TK_INT, "007", 1, 9);
    tok(r, 4, TK_REAL, "0.5", 1, 13);
    tok(r, 5, TK_REAL, "1e3", 1, 17);
    tok(r, 6, TK_REAL, "-2.5e-3", 1, 21);
    tok(r, 7, TK_REAL, "1E+2", 1, 29);
    tok(r, 8, TK_REAL, "3.25", 1, 34);
    assert_string_equal(r->diags, "");
    lexed_free(r);
}

static void test_punctuation(void **state)
{
    (void)state;
    lexed *r = lex("{}()[],.:;?->= != < <= > >=");
    static const int kinds[] = {TK_LBRACE, TK_RBRACE, TK_LP, TK_RP, TK_LBRACKET, TK_RBRACKET,
                                TK_COMMA, TK_DOT, TK_COLON, TK_SEMI, TK_QUESTION, TK_ARROW,
                                TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE};
    assert_int_equal(r->n, sizeof kinds / sizeof *kinds);
    for (size_t i = 0; i < r->n; i++)
        assert_int_equal(r->kind[i], kinds[i]);
    tok(r, 11, TK_ARROW, "->", 1, 12);
    tok(r, 17, TK_GE, ">=", 1, 26);
    lexed_free(r);
}

static void test_strings(void **state)
{
    (void)state;
    lexed *r = lex("\"agents\" \"\" \"a\\\"b\\\\c\\nd\\te\" \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    assert_int_equal(r->n, 4);
    tok(r, 0, TK_STRING, "\"agents\"", 1, 1);
    tok(r, 1, TK_STRING, "\"\"", 1, 10);
    tok(r, 2, TK_STRING, "\"a\\\"b\\\\c\\nd\\te\"", 1, 13);
    tok(r, 3, TK_STRING, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", 1, 29);
    assert_string_equal(r->diags, "");
    lexed_free(r);
}

static void test_space_and_comments(void **state)
{
    (void)state;
    lexed *r = lex_n("a // one \xc3\xa9\n\tb /* two\n three */ c", 33, true);
    assert_int_equal(r->n, 9);
    tok(r, 0, TK_ID, "a", 1, 1);
    tok(r, 1, TK_SPACE, " ", 1, 2);
    tok(r, 2, TK_SPACE, "// one \xc3\xa9", 1, 3);     /* the newline is white space */
    tok(r, 3, TK_SPACE, "\n\t", 1, 12);
    tok(r, 4, TK_ID, "b", 2, 2);                    /* a tab is one byte: column 2 */
    tok(r, 6, TK_SPACE, "/* two\n three */", 2, 4);
    tok(r, 8, TK_ID, "c", 3, 11);                   /* lines counted inside comments */
    assert_string_equal(r->diags, "");
    lexed_free(r);
}

static void test_positions(void **state)
{
    (void)state;
    lexed *r = lex("namespace swarm;\n\nmodel Agent {\r\n  id uuid @id\n}\n");
    assert_int_equal(r->n, 10);
    tok(r, 0, TK_NAMESPACE, "namespace", 1, 1);
    tok(r, 2, TK_SEMI, ";", 1, 16);
    tok(r, 3, TK_MODEL, "model", 3, 1);
    tok(r, 5, TK_LBRACE, "{", 3, 13);
    tok(r, 6, TK_ID, "id", 4, 3);
    tok(r, 8, TK_ATTR, "@id", 4, 11);
    tok(r, 9, TK_RBRACE, "}", 5, 1);
    lexed_free(r);
}

static void test_bom(void **state)
{
    (void)state;
    lexed *r = lex("\xef\xbb\xbfmodel");
    assert_int_equal(r->n, 1);
    tok(r, 0, TK_MODEL, "model", 1, 4);
    assert_string_equal(r->diags, "");
    lexed_free(r);
}

/* ------------------------------------------------------------ errors */

/* Lexes text (len bytes) and asserts the whole diagnostic text. */
static void errors_n(const char *text, size_t len, const char *expected)
{
    lexed *r = lex_n(text, len, false);
    assert_string_equal(r->diags, expected);
    lexed_free(r);
}

static void errors(const char *text, const char *expected)
{
    errors_n(text, strlen(text), expected);
}

static void test_unterminated_string(void **state)
{
    (void)state;
    errors("x @@table(\"agents)\n  y\n",
           "t.dal:1:11: error: unterminated string: no closing '\"' on its line\n"
           "x @@table(\"agents)\n"
           "          ^\n");
    lexed *r = lex("a \"bc\nd");
    assert_int_equal(r->n, 3);
    tok(r, 1, TK_ILLEGAL, "\"bc", 1, 3);            /* up to the end of its line */
    tok(r, 2, TK_ID, "d", 2, 1);
    lexed_free(r);
    errors("\"abc", "t.dal:1:1: error: unterminated string: no closing '\"' on its line\n"
                    "\"abc\n"
                    "^\n");
    errors("x \"abc\r\ny\r\n",                      /* a CRLF line end is the end too */
           "t.dal:1:3: error: unterminated string: no closing '\"' on its line\n"
           "x \"abc\n"
           "  ^\n");
}

static void test_unterminated_comment(void **state)
{
    (void)state;
    errors("model A {\n  /* no end\n\n}\n",
           "t.dal:2:3: error: unterminated comment: no '*/' before the end of the file\n"
           "  /* no end\n"
           "  ^\n");
    lexed *r = lex("a /* x");
    assert_int_equal(r->n, 2);
    tok(r, 1, TK_ILLEGAL, "/* x", 1, 3);
    lexed_free(r);
    errors("/* a /* b */ */",                           /* not nested */
           "t.dal:1:14: error: unexpected character '*'\n"
           "/* a /* b */ */\n"
           "             ^\n");
}

static void test_bad_escape(void **state)
{
    (void)state;
    errors("x = \"a\\qb\\zc\"",                         /* the first one only */
           "t.dal:1:7: error: unknown escape '\\q' in a string (use \\\" \\\\ \\n or \\t)\n"
           "x = \"a\\qb\\zc\"\n"
           "      ^\n");
    lexed *r = lex("\"a\\qb\" z");
    tok(r, 0, TK_STRING, "\"a\\qb\"", 1, 1);        /* still one string token */
    tok(r, 1, TK_ID, "z", 1, 8);
    lexed_free(r);
    errors("\"a\\", "t.dal:1:1: error: unterminated string: no closing '\"' on its line\n"
                    "\"a\\\n"
                    "^\n"
                    "t.dal:1:3: error: '\\' in a string must start an escape: \\\" \\\\ \\n or \\t\n"
                    "\"a\\\n"
                    "  ^\n");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    errors("name \"caf\xe9\" x",
           "t.dal:1:10: error: invalid UTF-8 byte 0xE9 in a string\n"
           "name \"caf?\" x\n"
           "         ^\n");
    errors("// \xc0\xaf overlong\nx",
           "t.dal:1:4: error: invalid UTF-8 byte 0xC0 in a comment\n"
           "// ?? overlong\n"
           "   ^\n");
    errors("/* \xed\xa0\x80 surrogate */",
           "t.dal:1:4: error: invalid UTF-8 byte 0xED in a comment\n"
           "/* ??? surrogate */\n"
           "   ^\n");
    errors("a \xff\xfe b",
           "t.dal:1:3: error: invalid UTF-8 byte 0xFF\n"
           "a ?? b\n"
           "  ^\n");
    errors("na\xc3\xafve",                              /* names are ASCII */
           "t.dal:1:3: error: unexpected character '\xc3\xaf'\n"
           "na\xc3\xafve\n"
           "  ^\n");
    errors("\"\x01\"", "t.dal:1:2: error: control character 0x01 in a string\n"
                      "\"?\"\n"
                      " ^\n");
}

static void test_nul(void **state)
{
    (void)state;
    errors_n("ab\0cd", 5, "t.dal:1:3: error: NUL byte in the text\n"
                          "ab?cd\n"
                          "  ^\n");
    lexed *r = lex_n("ab\0cd", 5, false);
    assert_int_equal(r->n, 3);                      /* not the end of the input */
    tok(r, 2, TK_ID, "cd", 1, 4);
    lexed_free(r);
    errors_n("\"a\0b\" // c\0d", 12, "t.dal:1:3: error: NUL byte in a string\n"
                                     "\"a?b\" // c?d\n"
                                     "  ^\n"
                                     "t.dal:1:11: error: NUL byte in a comment\n"
                                     "\"a?b\" // c?d\n"
                                     "          ^\n");
}

static void test_bad_characters(void **state)
{
    (void)state;
    errors("a ### b", "t.dal:1:3: error: unexpected character '#'\n"   /* one error per run */
                      "a ### b\n"
                      "  ^\n");
    errors("a == b", "t.dal:1:3: error: '==' is not an operator: write '='\n"
                     "a == b\n"
                     "  ^\n");
    errors("$ @ @@", "t.dal:1:1: error: '$' must be followed by a name\n"
                     "$ @ @@\n"
                     "^\n"
                     "t.dal:1:3: error: '@' must be followed by a name\n"
                     "$ @ @@\n"
                     "  ^\n"
                     "t.dal:1:5: error: '@@' must be followed by a name\n"
                     "$ @ @@\n"
                     "    ^\n");
    errors("limit 10x 1.2.3", "t.dal:1:7: error: malformed number '10x'\n"
                              "limit 10x 1.2.3\n"
                              "      ^\n"
                              "t.dal:1:11: error: malformed number '1.2.3'\n"
                              "limit 10x 1.2.3\n"
                              "          ^\n");
    errors("\tx % y", "t.dal:1:4: error: unexpected character '%'\n"
                      "\tx % y\n"
                      "\t  ^\n");                  /* the tab kept: the caret aligns */
    errors("a\x7f", "t.dal:1:2: error: unexpected control character 0x7F\n"
                    "a?\n"
                    " ^\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_punctuation),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_space_and_comments),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_unterminated_string),
        cmocka_unit_test(test_unterminated_comment),
        cmocka_unit_test(test_bad_escape),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_bad_characters),
    };
    return cmocka_run_group_tests_name("codegen lexer", tests, NULL, NULL);
}
