/*
 * lexer.re - the tokens of a .dal schema (re2c; see lexer.h).
 *
 * The text ends with a NUL sentinel; a NUL before the end is an error.
 * Strings and comments are read by small scanners of their own so that an
 * error inside them (a bad escape, invalid UTF-8) points at the offending
 * byte, and an unterminated one points at where it starts.
 */
#include "lexer.h"

#include <string.h>

typedef const unsigned char *cursor;

/*!re2c
    re2c:define:YYCTYPE  = "unsigned char";
    re2c:define:YYCURSOR = "p";
    re2c:define:YYMARKER = "q";
    re2c:yyfill:enable   = 0;

    nul     = "\x00";
    space   = [ \t\r\n\v\f]+;
    ident   = [A-Za-z_][A-Za-z0-9_]*;
    digits  = [0-9]+;
    exp     = [eE] [+-]? digits;
    int     = "-"? digits;
    real    = "-"? digits ("." digits exp? | exp);
    badnum  = "-"? [0-9] [A-Za-z0-9_.]*;

    tail    = [\x80-\xbf];
    utf8    = [\xc2-\xdf] tail                     // no overlong forms, no surrogates
            | "\xe0" [\xa0-\xbf] tail | [\xe1-\xec\xee\xef] tail tail
            | "\xed" [\x80-\x9f] tail
            | "\xf0" [\x90-\xbf] tail tail | [\xf1-\xf3] tail tail tail
            | "\xf4" [\x80-\x8f] tail tail;
*/

void lex_init(lexer *lx, const char *src, size_t len, diag *d)
{
    *lx = (lexer){.src = src, .len = len, .cur = src, .line = 1, .line_start = src, .d = d};
}

static int at_end(const lexer *lx, cursor p)
{
    return (const char *)p >= lx->src + lx->len;
}

/* The position of byte p (on the current line). */
static src_tok here(const lexer *lx, cursor p)
{
    return (src_tok){(const char *)p, 1, lx->line, (int)((const char *)p - lx->line_start) + 1};
}

/* Reports a byte that has no place in a string or comment: only the first
 * one of each string or comment, which is enough to find the others. */
static void bad_byte(lexer *lx, int *reported, cursor at, const char *where)
{
    if (*reported)
        return;
    *reported = 1;
    if (*at == 0)
        diag_error_at(lx->d, here(lx, at), "NUL byte in %s", where);
    else if (*at < 0x20 || *at == 0x7f)
        diag_error_at(lx->d, here(lx, at), "control character 0x%02X in %s", *at, where);
    else
        diag_error_at(lx->d, here(lx, at), "invalid UTF-8 byte 0x%02X in %s", *at, where);
}

/* Reports a backslash that starts no escape (the first one of the string). */
static void bad_escape(lexer *lx, int *reported, cursor at)
{
    if (*reported)
        return;
    *reported = 1;
    if (at[1] > 0x20 && at[1] < 0x7f)
        diag_error_at(lx->d, here(lx, at),
                      "unknown escape '\\%c' in a string (use \\\" \\\\ \\n or \\t)", at[1]);
    else
        diag_error_at(lx->d, here(lx, at),
                      "'\\' in a string must start an escape: \\\" \\\\ \\n or \\t");
}

/* Ends the current token just before byte end. */
static int finish(lexer *lx, cursor end, int kind)
{
    lx->cur = (const char *)end;
    return kind;
}

/* Reports a string or comment (what) that does not end, at its start. */
static int unterminated(lexer *lx, src_tok start, cursor end, const char *what)
{
    diag_error_at(lx->d, start, "unterminated %s", what);
    return finish(lx, end, TK_ILLEGAL);
}

/* After "//": the rest of the line (the newline is white space). */
static int line_comment(lexer *lx, cursor p)
{
    cursor q;
    int reported = 0;
    for (;;) {
        cursor at = p;
        /*!re2c
            [\n]                    { return finish(lx, at, TK_SPACE); }
            nul                     { if (at_end(lx, at)) return finish(lx, at, TK_SPACE);
                                      bad_byte(lx, &reported, at, "a comment"); continue; }
            ([\x01-\x09\x0b-\x7f] | utf8)+
                                    { continue; }
            [^]                     { bad_byte(lx, &reported, at, "a comment"); continue; }
        */
    }
}

/* After "/" "*": up to and including the closing star-slash (not nested). */
static int block_comment(lexer *lx, cursor p, src_tok start)
{
    cursor q;
    int reported = 0;
    for (;;) {
        cursor at = p;
        /*!re2c
            "*" "/"                 { return finish(lx, p, TK_SPACE); }
            nul                     { if (at_end(lx, at))
                                          return unterminated(lx, start, at, "comment: no '*/' "
                                                              "before the end of the file");
                                      bad_byte(lx, &reported, at, "a comment"); continue; }
            ([\x01-\x29\x2b-\x7f] | utf8)+
                                    { continue; }
            "*"                     { continue; }
            [^]                     { bad_byte(lx, &reported, at, "a comment"); continue; }
        */
    }
}

/* After the opening quote: up to and including the closing one. A string
 * ends on its line; its content is checked here and unescaped later. */
static int string(lexer *lx, cursor p, src_tok start)
{
    cursor q;
    int reported = 0;
    for (;;) {
        cursor at = p;
        /*!re2c
            ["]                     { return finish(lx, p, TK_STRING); }
            "\\" ["\\nt]            { continue; }
            "\\"                    { bad_escape(lx, &reported, at); continue; }
            [\r]? [\n]              { return unterminated(lx, start, at, "string: no closing "
                                                          "'\"' on its line"); }
            nul                     { if (at_end(lx, at))
                                          return unterminated(lx, start, at, "string: no closing "
                                                              "'\"' on its line");
                                      bad_byte(lx, &reported, at, "a string"); continue; }
            ([\t\x20-\x21\x23-\x5b\x5d-\x7e] | utf8)+
                                    { continue; }
            [^]                     { bad_byte(lx, &reported, at, "a string"); continue; }
        */
    }
}

/* Whether a token (or white space) can start at p: a run of anything else
 * is reported once, as one error. */
static int starts_token(cursor p)
{
    unsigned char c = p[0], next = p[1];    /* p < end: next is at most the NUL */
    if (c == '/')
        return next == '/' || next == '*';
    if (c == '!')
        return next == '=';
    return c != 0 && c < 0x80 && (strchr(" \t\r\n\v\f_$@\"{}()[],.:;?<>=+-", c) ||
                                  (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'));
}

/* Text that is no token, starting at `start`: one error naming its first
 * character; the run extends to the next thing that can start a token. */
static int junk(lexer *lx, src_tok start)
{
    cursor p = (cursor)start.s;
    size_t seq = fe_utf8_seq(p, lx->len - (size_t)((const char *)p - lx->src));
    if (*p == 0)
        diag_error_at(lx->d, start, "NUL byte in the text");
    else if (seq)
        diag_error_at(lx->d, start, "unexpected character '%.*s'", (int)seq, start.s);
    else if (*p >= 0x80)
        diag_error_at(lx->d, start, "invalid UTF-8 byte 0x%02X", *p);
    else if (*p < 0x20 || *p == 0x7f)
        diag_error_at(lx->d, start, "unexpected control character 0x%02X", *p);
    else if (*p == '$' || *p == '@')
        diag_error_at(lx->d, start, "'%s' must be followed by a name",
                      *p == '$' ? "$" : p[1] == '@' ? "@@" : "@");
    else
        diag_error_at(lx->d, start, "unexpected character '%c'", *p);
    p += seq ? seq : p[0] == '@' && p[1] == '@' ? 2 : 1;
    while (!at_end(lx, p) && !starts_token(p))
        p++;
    return finish(lx, p, TK_ILLEGAL);
}

static int token(lexer *lx, src_tok start)
{
    cursor p = (cursor)lx->cur, q;
    (void)q;
#define TOKEN(kind) return finish(lx, p, (kind))
    /*!re2c
        nul             { if (!at_end(lx, p - 1)) return junk(lx, start);
                          return finish(lx, p - 1, 0); }
        space           { TOKEN(TK_SPACE); }
        "\xef\xbb\xbf"  { if (start.s != lx->src) return junk(lx, start); TOKEN(TK_SPACE); }
        "//"            { return line_comment(lx, p); }
        "/*"            { return block_comment(lx, p, start); }
        ["]             { return string(lx, p, start); }

        "namespace"     { TOKEN(TK_NAMESPACE); }
        "enum"          { TOKEN(TK_ENUM); }
        "model"         { TOKEN(TK_MODEL); }
        "query"         { TOKEN(TK_QUERY); }
        "update"        { TOKEN(TK_UPDATE); }
        "delete"        { TOKEN(TK_DELETE); }
        "aggregate"     { TOKEN(TK_AGGREGATE); }
        "where"         { TOKEN(TK_WHERE); }
        "order"         { TOKEN(TK_ORDER); }
        "group"         { TOKEN(TK_GROUP); }
        "by"            { TOKEN(TK_BY); }
        "asc"           { TOKEN(TK_ASC); }
        "desc"          { TOKEN(TK_DESC); }
        "select"        { TOKEN(TK_SELECT); }
        "as"            { TOKEN(TK_AS); }
        "set"           { TOKEN(TK_SET); }
        "limit"         { TOKEN(TK_LIMIT); }
        "offset"        { TOKEN(TK_OFFSET); }
        "and"           { TOKEN(TK_AND); }
        "or"            { TOKEN(TK_OR); }
        "not"           { TOKEN(TK_NOT); }
        "like"          { TOKEN(TK_LIKE); }
        "in"            { TOKEN(TK_IN); }
        "is"            { TOKEN(TK_IS); }
        "null"          { TOKEN(TK_NULL); }
        "true"          { TOKEN(TK_TRUE); }
        "false"         { TOKEN(TK_FALSE); }

        ident           { TOKEN(TK_ID); }
        "$" ident       { TOKEN(TK_PARAM); }
        "@" ident       { TOKEN(TK_ATTR); }
        "@@" ident      { TOKEN(TK_MATTR); }
        int             { TOKEN(TK_INT); }
        real            { TOKEN(TK_REAL); }
        badnum          { diag_error_at(lx->d, start, "malformed number '%.*s'",
                                        (int)((const char *)p - start.s), start.s);
                          TOKEN(TK_ILLEGAL); }

        "{"             { TOKEN(TK_LBRACE); }
        "}"             { TOKEN(TK_RBRACE); }
        "("             { TOKEN(TK_LP); }
        ")"             { TOKEN(TK_RP); }
        "["             { TOKEN(TK_LBRACKET); }
        "]"             { TOKEN(TK_RBRACKET); }
        ","             { TOKEN(TK_COMMA); }
        "."             { TOKEN(TK_DOT); }
        ":"             { TOKEN(TK_COLON); }
        ";"             { TOKEN(TK_SEMI); }
        "?"             { TOKEN(TK_QUESTION); }
        "->"            { TOKEN(TK_ARROW); }
        "+"             { TOKEN(TK_PLUS); }
        "-"             { TOKEN(TK_MINUS); }
        "="             { TOKEN(TK_EQ); }
        "!="            { TOKEN(TK_NE); }
        "<"             { TOKEN(TK_LT); }
        "<="            { TOKEN(TK_LE); }
        ">"             { TOKEN(TK_GT); }
        ">="            { TOKEN(TK_GE); }
        "=="            { diag_error_at(lx->d, start, "'==' is not an operator: write '='");
                          TOKEN(TK_ILLEGAL); }

        [^]             { return junk(lx, start); }
    */
#undef TOKEN
}

int lex_next(lexer *lx, src_tok *tok)
{
    src_tok start = here(lx, (cursor)lx->cur);
    int kind = token(lx, start);
    start.n = (size_t)(lx->cur - start.s);
    *tok = start;
    /* keep line and line_start in step with what the token spanned */
    for (const char *nl = start.s; (nl = memchr(nl, '\n', (size_t)(lx->cur - nl))) != NULL;) {
        lx->line++;
        lx->line_start = ++nl;
    }
    return kind;
}
