/*
 * dal_json.c - our own RFC 8259 parser and printer over cJSON trees.
 *
 * Why not cJSON_Parse / cJSON_Print: they go through a double for every
 * number (so 18446744073709551615 and INT64_MIN do not survive), accept
 * invalid UTF-8, depend on the locale's decimal point and print numbers
 * approximately. This file keeps cJSON's tree (everyone already walks it)
 * and replaces the text side.
 *
 * Parser (dal_json_parse):
 *   - number nodes keep their exact source text in valuestring (cJSON_Delete
 *     frees valuestring of every node type and cJSON_Duplicate copies it);
 *     valuedouble is the nearest double (strtod, made independent of the
 *     locale's decimal point); a number too large for a double is +-HUGE_VAL
 *     in valuedouble but still exact in valuestring;
 *   - strings must be valid UTF-8 (no overlongs, no encoded surrogates, nothing
 *     above U+10FFFF); \uXXXX escapes, surrogate pairs included, become UTF-8;
 *     unpaired surrogates, unknown escapes and raw control characters are
 *     rejected; \u0000 is rejected too, because cJSON strings are
 *     NUL-terminated and would silently lose everything after it;
 *   - duplicate keys in one object are rejected (RFC 8259 leaves their meaning
 *     open; different readers would see different values);
 *   - at most DAL_JSON_MAX_DEPTH (512) nested arrays/objects: 512 are accepted,
 *     the 513th opening bracket is an error;
 *   - a byte order mark, leading/trailing garbage and an empty input are errors;
 *   - errors are DAL_ERR_SERIALIZATION "invalid JSON at offset N: expected X,
 *     got Y" (or a description of the defect), N the byte offset from 0;
 *     DAL_ERR_NOMEM when memory runs out. *out is set only on success.
 *   - memory for nodes, keys and strings comes from cJSON's hooks
 *     (cJSON_malloc), so trees are freed with cJSON_Delete whatever hooks
 *     the program installed.
 *
 * Printer (dal_json_print): compact, no spaces. Numbers that carry valid JSON
 * number text in valuestring are printed as that text; otherwise integral
 * doubles below 2^53 in magnitude as integers ("-0" keeps its sign), other
 * finite doubles with the fewest of 15, 16 or 17 significant digits that read
 * back as the same double ("0.1", not "0.10000000000000001"), non-finite ones
 * as null. Strings are escaped per RFC 8259 (\" \\ \b \f \n \r \t, other
 * control characters as \u00XX); bytes that are not valid UTF-8 are replaced
 * by \ufffd, so the output is always valid JSON. cJSON_Raw nodes are printed
 * as they are (NULL text as null); a NULL tree and cJSON_Invalid nodes as null.
 * The result is malloc'd (free it with free); NULL only when out of memory.
 *
 * Equality (dal_json_equal): NULL and a null node are equal; objects are equal
 * when they have the same number of members and every key of one maps to an
 * equal value in the other (order ignored); arrays element by element; two
 * numbers that both carry number text are compared as exact decimals
 * ("1.0" == "1" == "1e0", "-0" == "0"), otherwise as doubles. Exponents are
 * saturated at +-10^17, far beyond any double.
 *
 * Printer and equality recurse once per nesting level: trees from
 * dal_json_parse are at most 512 deep.
 */
#include "dal.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAL_JSON_MAX_DEPTH 512
/* Objects with more members than this check duplicate keys with a hash set. */
#define KEYSET_THRESHOLD 16
#define EXP_SATURATE INT64_C(100000000000000000)

/* ------------------------------------------------------------------------ */
/* Number text                                                               */
/* ------------------------------------------------------------------------ */

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the JSON number at s[0..len), or 0 when there is none. On 0,
 * *bad is the offset of the offending byte and *what what was expected there. */
static size_t scan_number(const unsigned char *s, size_t len, size_t *bad, const char **what)
{
    size_t i = 0;
    if (i < len && s[i] == '-')
        i++;
    if (i >= len || !is_digit(s[i])) {
        *bad = i;
        *what = "a digit";
        return 0;
    }
    if (s[i] == '0') {
        i++;
        if (i < len && is_digit(s[i])) {
            *bad = i;
            *what = "no leading zeros: '.', 'e' or the end of the number";
            return 0;
        }
    } else {
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i])) {
            *bad = i;
            *what = "a digit after '.'";
            return 0;
        }
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !is_digit(s[i])) {
            *bad = i;
            *what = "a digit in the exponent";
            return 0;
        }
        while (i < len && is_digit(s[i]))
            i++;
    }
    return i;
}

/* True when text is exactly one JSON number. */
static bool valid_number_text(const char *text)
{
    if (text == NULL)
        return false;
    size_t len = strlen(text), bad;
    const char *what;
    return len > 0 && scan_number((const unsigned char *)text, len, &bad, &what) == len;
}

/* A JSON number as an exact decimal: (-1)^neg * D * 10^exp10, where D is the
 * digit stream (integer digits then fraction digits) from lead to end, with
 * no leading or trailing zeros. zero: every digit is 0. */
typedef struct decimal {
    bool neg;
    bool zero;
    const char *ip; /* integer digits */
    size_t ni;
    const char *fp; /* fraction digits */
    size_t nf;
    size_t lead, end;
    int64_t exp10;
} decimal;

static char decimal_digit(const decimal *d, size_t k)
{
    return k < d->ni ? d->ip[k] : d->fp[k - d->ni];
}

/* Splits valid number text into a decimal. */
static void decimal_read(const char *s, decimal *d)
{
    memset(d, 0, sizeof *d);
    if (*s == '-') {
        d->neg = true;
        s++;
    }
    d->ip = s;
    while (is_digit((unsigned char)*s))
        s++;
    d->ni = (size_t)(s - d->ip);
    if (*s == '.') {
        d->fp = ++s;
        while (is_digit((unsigned char)*s))
            s++;
        d->nf = (size_t)(s - d->fp);
    }
    int64_t e = 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        bool eneg = *s == '-';
        if (*s == '+' || *s == '-')
            s++;
        while (is_digit((unsigned char)*s)) {
            if (e < EXP_SATURATE)
                e = e * 10 + (*s - '0');
            s++;
        }
        if (e > EXP_SATURATE)
            e = EXP_SATURATE;
        if (eneg)
            e = -e;
    }
    size_t total = d->ni + d->nf;
    size_t lead = 0;
    while (lead < total && decimal_digit(d, lead) == '0')
        lead++;
    if (lead == total) {
        d->zero = true;
        d->neg = false;
        return;
    }
    size_t end = total;
    while (decimal_digit(d, end - 1) == '0')
        end--;
    d->lead = lead;
    d->end = end;
    /* The last significant digit sits at 10^(e - nf + (total - end)). Lengths
     * are far below 2^62, and e is saturated, so this cannot overflow. */
    d->exp10 = e - (int64_t)d->nf + (int64_t)(total - end);
}

static bool decimal_equal(const decimal *a, const decimal *b)
{
    if (a->zero || b->zero)
        return a->zero == b->zero;
    if (a->neg != b->neg || a->exp10 != b->exp10 || a->end - a->lead != b->end - b->lead)
        return false;
    for (size_t k = 0; k < a->end - a->lead; k++)
        if (decimal_digit(a, a->lead + k) != decimal_digit(b, b->lead + k))
            return false;
    return true;
}

/* Magnitude of an integral decimal when it fits in uint64_t. */
static bool decimal_magnitude(const decimal *d, uint64_t *out)
{
    if (d->zero) {
        *out = 0;
        return true;
    }
    if (d->exp10 < 0) /* D has no trailing zeros: a fraction remains */
        return false;
    if ((int64_t)(d->end - d->lead) + d->exp10 > 20)
        return false;
    uint64_t v = 0;
    for (size_t k = d->lead; k < d->end; k++) {
        unsigned digit = (unsigned)(decimal_digit(d, k) - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    for (int64_t i = 0; i < d->exp10; i++) {
        if (v > UINT64_MAX / 10)
            return false;
        v *= 10;
    }
    *out = v;
    return true;
}

/* strtod independent of the locale's decimal point. False only when out of memory. */
static bool c_strtod(const char *text, double *out)
{
    /* The common case first: an integer of at most 15 digits is exact in
     * a double, and summing its digits is a tenth of strtod's cost. */
    const char *d = text + (text[0] == '-');
    int64_t whole = 0;
    size_t n_digits = 0;
    while (d[n_digits] >= '0' && d[n_digits] <= '9' && n_digits <= 15)
        whole = whole * 10 + (d[n_digits++] - '0');
    if (d[n_digits] == '\0' && n_digits > 0 && n_digits <= 15) {
        *out = text[0] == '-' ? -(double)whole : (double)whole;
        return true;
    }
    const char *dot = strchr(text, '.');
    const struct lconv *lc = dot != NULL ? localeconv() : NULL;
    const char *dp = lc != NULL ? lc->decimal_point : NULL;
    if (dot == NULL || dp == NULL || strcmp(dp, ".") == 0 || dp[0] == '\0') {
        *out = strtod(text, NULL);
        return true;
    }
    size_t n = strlen(text), dn = strlen(dp);
    char small[128];
    char *buf = n + dn < sizeof small ? small : malloc(n + dn);
    if (buf == NULL)
        return false;
    size_t head = (size_t)(dot - text);
    memcpy(buf, text, head);
    memcpy(buf + head, dp, dn);
    memcpy(buf + head + dn, dot + 1, n - head); /* includes the NUL */
    *out = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return true;
}

/* The exact number text of a Number node (or of a Raw node holding a number), or NULL. */
static const char *number_text(const cJSON *item)
{
    if (item == NULL)
        return NULL;
    int t = item->type & 0xFF;
    if ((t == cJSON_Number || t == cJSON_Raw) && valid_number_text(item->valuestring))
        return item->valuestring;
    return NULL;
}

/* True for a finite double without a fractional part (no libm needed). */
static bool double_is_integral(double v)
{
    if (!isfinite(v))
        return false;
    double a = v < 0 ? -v : v;
    if (a >= 4503599627370496.0) /* 2^52: every double from here on is an integer */
        return true;
    return (double)(int64_t)v == v;
}

bool dal_json_int64(const cJSON *item, int64_t *out)
{
    if (item == NULL)
        return false;
    const char *text = number_text(item);
    if (text != NULL) {
        decimal d;
        decimal_read(text, &d);
        uint64_t mag;
        if (!decimal_magnitude(&d, &mag))
            return false;
        if (d.neg) {
            if (mag > (uint64_t)INT64_MAX + 1)
                return false;
            if (out != NULL)
                *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        } else {
            if (mag > (uint64_t)INT64_MAX)
                return false;
            if (out != NULL)
                *out = (int64_t)mag;
        }
        return true;
    }
    if ((item->type & 0xFF) != cJSON_Number)
        return false;
    double v = item->valuedouble;
    if (!double_is_integral(v) || v < -9223372036854775808.0 || v >= 9223372036854775808.0)
        return false;
    if (out != NULL)
        *out = (int64_t)v;
    return true;
}

bool dal_json_uint64(const cJSON *item, uint64_t *out)
{
    if (item == NULL)
        return false;
    const char *text = number_text(item);
    if (text != NULL) {
        decimal d;
        decimal_read(text, &d);
        uint64_t mag;
        if (d.neg || !decimal_magnitude(&d, &mag))
            return false;
        if (out != NULL)
            *out = mag;
        return true;
    }
    if ((item->type & 0xFF) != cJSON_Number)
        return false;
    double v = item->valuedouble;
    if (!double_is_integral(v) || v < 0 || v >= 18446744073709551616.0)
        return false;
    if (out != NULL)
        *out = (uint64_t)v;
    return true;
}

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                     */
/* ------------------------------------------------------------------------ */

/* Length (1..4) of the valid UTF-8 sequence at s[0..avail), or 0 when the
 * bytes there are not one; *bad_at (may be NULL) is the index of the first
 * offending byte. */
static size_t utf8_sequence(const unsigned char *s, size_t avail, size_t *bad_at)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlongs */
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90; /* no overlongs */
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        if (bad_at != NULL)
            *bad_at = 0;
        return 0;
    }
    for (size_t k = 1; k < need; k++) {
        unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
        if (k >= avail || s[k] < min || s[k] > max) {
            if (bad_at != NULL)
                *bad_at = k;
            return 0;
        }
    }
    return need;
}

static size_t utf8_encode(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct parser {
    const unsigned char *s;
    size_t len;
    size_t pos;
    unsigned depth;
    dal_error *err;
    dal_code code; /* DAL_OK until something fails */
} parser;

/* "'x'", "end of input" or "byte 0xNN" for the byte at offset at. */
static void describe(const parser *p, size_t at, char *buf, size_t cap)
{
    if (at >= p->len)
        snprintf(buf, cap, "end of input");
    else if (p->s[at] > 0x20 && p->s[at] < 0x7F)
        snprintf(buf, cap, "'%c'", p->s[at]);
    else
        snprintf(buf, cap, "byte 0x%02x", p->s[at]);
}

static cJSON *fail_expected(parser *p, size_t at, const char *what)
{
    char got[24];
    describe(p, at, got, sizeof got);
    p->code = dal_set_error(p->err, DAL_ERR_SERIALIZATION,
                            "invalid JSON at offset %zu: expected %s, got %s", at, what, got);
    return NULL;
}

static cJSON *fail_defect(parser *p, size_t at, const char *what)
{
    p->code = dal_set_error(p->err, DAL_ERR_SERIALIZATION, "invalid JSON at offset %zu: %s", at, what);
    return NULL;
}

static cJSON *fail_nomem(parser *p)
{
    p->code = dal_set_error(p->err, DAL_ERR_NOMEM, "out of memory parsing JSON at offset %zu", p->pos);
    return NULL;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits of a \u escape whose 'u' is at p->s[at]. */
static bool read_hex4(parser *p, size_t at, unsigned long *out)
{
    unsigned long v = 0;
    for (size_t k = 1; k <= 4; k++) {
        int h = at + k < p->len ? hex_value(p->s[at + k]) : -1;
        if (h < 0) {
            fail_expected(p, at + k, "4 hex digits after \\u");
            return false;
        }
        v = v * 16 + (unsigned long)h;
    }
    *out = v;
    return true;
}

/* Decodes the \u escape whose backslash is at *i (in the string body) into out;
 * advances *i past it (and past the low surrogate of a pair). */
static bool decode_unicode_escape(parser *p, size_t *i, char *out, size_t *outlen)
{
    size_t at = *i;
    unsigned long cp;
    if (!read_hex4(p, at + 1, &cp))
        return false;
    if (cp == 0) {
        fail_defect(p, at, "\\u0000 is not supported (strings are NUL-terminated)");
        return false;
    }
    size_t next = at + 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail_defect(p, at, "unpaired low surrogate in \\u escape");
        return false;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned long lo;
        if (next + 1 >= p->len || p->s[next] != '\\' || p->s[next + 1] != 'u') {
            fail_defect(p, at, "high surrogate in \\u escape not followed by a \\u low surrogate");
            return false;
        }
        if (!read_hex4(p, next + 1, &lo))
            return false;
        if (lo < 0xDC00 || lo > 0xDFFF) {
            fail_defect(p, next, "expected a low surrogate \\uDC00..\\uDFFF after a high surrogate");
            return false;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        next += 6;
    }
    *outlen += utf8_encode(cp, out + *outlen);
    *i = next;
    return true;
}

/* Parses the string at p->pos (a '"') into a cJSON_malloc'd, NUL-terminated
 * UTF-8 buffer. */
static char *parse_string_text(parser *p)
{
    size_t start = p->pos + 1;
    size_t end = start;
    while (end < p->len && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len) {
        char what[64];
        snprintf(what, sizeof what, "'\"' to close the string at offset %zu", p->pos);
        fail_expected(p, p->len, what);
        return NULL;
    }
    /* Escapes only shrink: the decoded text fits in the raw length. */
    char *out = cJSON_malloc(end - start + 1);
    if (out == NULL) {
        fail_nomem(p);
        return NULL;
    }
    size_t n = 0, i = start;
    while (i < end) {
        /* plain printable ASCII: copy the whole run at once */
        size_t run = i;
        while (run < end && p->s[run] >= 0x20 && p->s[run] < 0x80 && p->s[run] != '\\')
            run++;
        memcpy(out + n, p->s + i, run - i);
        n += run - i;
        i = run;
        if (i >= end)
            break;
        unsigned char c = p->s[i];
        if (c == '\\') {
            unsigned char e = p->s[i + 1];
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e != '\0' && simple != NULL) {
                static const char decoded[] = "\"\\/\b\f\n\r\t";
                out[n++] = decoded[simple - "\"\\/bfnrt"];
                i += 2;
            } else if (e == 'u') {
                if (!decode_unicode_escape(p, &i, out, &n))
                    goto fail;
                if (i > end) { /* a pair cannot straddle the closing quote */
                    fail_defect(p, end, "truncated \\u escape");
                    goto fail;
                }
            } else {
                fail_expected(p, i + 1, "an escape: one of \" \\ / b f n r t u");
                goto fail;
            }
        } else if (c < 0x20) {
            char what[64];
            snprintf(what, sizeof what, "unescaped control character 0x%02x in a string", c);
            fail_defect(p, i, what);
            goto fail;
        } else if (c < 0x80) {
            out[n++] = (char)c;
            i++;
        } else {
            size_t bad = 0;
            size_t k = utf8_sequence(p->s + i, end - i, &bad);
            if (k == 0) {
                char what[64];
                snprintf(what, sizeof what, "invalid UTF-8 %sbyte 0x%02x in a string",
                         bad == 0 ? "" : "continuation ", p->s[i + bad]);
                fail_defect(p, i + bad, what);
                goto fail;
            }
            memcpy(out + n, p->s + i, k);
            n += k;
            i += k;
        }
    }
    out[n] = '\0';
    p->pos = end + 1;
    return out;
fail:
    cJSON_free(out);
    return NULL;
}

/* A fresh node of the given type owning text (freed on failure). */
static cJSON *node_with_text(parser *p, int type, char *text, double number)
{
    cJSON *node = type == cJSON_Number ? cJSON_CreateNumber(number) : cJSON_CreateNull();
    if (node == NULL) {
        cJSON_free(text);
        return fail_nomem(p);
    }
    node->type = type;
    node->valuestring = text;
    return node;
}

static cJSON *parse_number(parser *p)
{
    size_t bad = 0;
    const char *what = NULL;
    size_t n = scan_number(p->s + p->pos, p->len - p->pos, &bad, &what);
    if (n == 0)
        return fail_expected(p, p->pos + bad, what);
    char *text = cJSON_malloc(n + 1);
    if (text == NULL)
        return fail_nomem(p);
    memcpy(text, p->s + p->pos, n);
    text[n] = '\0';
    double v;
    if (!c_strtod(text, &v)) {
        cJSON_free(text);
        return fail_nomem(p);
    }
    p->pos += n;
    return node_with_text(p, cJSON_Number, text, v);
}

static cJSON *parse_literal(parser *p)
{
    static const struct {
        const char *word;
        size_t len;
        int kind;
    } words[] = {{"true", 4, cJSON_True}, {"false", 5, cJSON_False}, {"null", 4, cJSON_NULL}};
    for (size_t k = 0; k < 3; k++) {
        if (p->s[p->pos] != (unsigned char)words[k].word[0])
            continue;
        size_t i = 1;
        while (i < words[k].len && p->pos + i < p->len && p->s[p->pos + i] == (unsigned char)words[k].word[i])
            i++;
        if (i < words[k].len) {
            char what[16];
            snprintf(what, sizeof what, "'%s'", words[k].word);
            return fail_expected(p, p->pos + i, what);
        }
        p->pos += words[k].len;
        cJSON *node = words[k].kind == cJSON_True    ? cJSON_CreateTrue()
                      : words[k].kind == cJSON_False ? cJSON_CreateFalse()
                                                     : cJSON_CreateNull();
        return node != NULL ? node : fail_nomem(p);
    }
    return fail_expected(p, p->pos, "a value");
}

static cJSON *parse_value(parser *p);

/* Opens an array or object at p->pos, enforcing the depth limit. */
static bool enter(parser *p)
{
    if (p->depth >= DAL_JSON_MAX_DEPTH) {
        char what[64];
        snprintf(what, sizeof what, "nesting deeper than %d arrays/objects", DAL_JSON_MAX_DEPTH);
        fail_defect(p, p->pos, what);
        return false;
    }
    p->depth++;
    p->pos++;
    return true;
}

static cJSON *parse_array(parser *p)
{
    if (!enter(p))
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    if (arr == NULL)
        return fail_nomem(p);
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        p->depth--;
        return arr;
    }
    for (;;) {
        cJSON *item = parse_value(p);
        if (item == NULL)
            goto fail;
        cJSON_AddItemToArray(arr, item);
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            break;
        }
        fail_expected(p, p->pos, "',' or ']'");
        goto fail;
    }
    p->depth--;
    return arr;
fail:
    cJSON_Delete(arr);
    return NULL;
}

/* Open-addressing set of keys, used for objects with many members. */
typedef struct keyset {
    const char **slots;
    size_t cap;
    size_t n;
} keyset;

static size_t key_hash(const char *s)
{
    size_t h = (size_t)1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211u;
    return h;
}

/* 1: added, 0: already there, -1: out of memory. */
static int keyset_add(keyset *ks, const char *key)
{
    if ((ks->n + 1) * 2 > ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 64;
        const char **slots = calloc(cap, sizeof *slots);
        if (slots == NULL)
            return -1;
        for (size_t i = 0; i < ks->cap; i++) {
            if (ks->slots[i] == NULL)
                continue;
            size_t h = key_hash(ks->slots[i]) & (cap - 1);
            while (slots[h] != NULL)
                h = (h + 1) & (cap - 1);
            slots[h] = ks->slots[i];
        }
        free(ks->slots);
        ks->slots = slots;
        ks->cap = cap;
    }
    size_t h = key_hash(key) & (ks->cap - 1);
    while (ks->slots[h] != NULL) {
        if (strcmp(ks->slots[h], key) == 0)
            return 0;
        h = (h + 1) & (ks->cap - 1);
    }
    ks->slots[h] = key;
    ks->n++;
    return 1;
}

/* 1: key is new in obj (which has count members), 0: duplicate, -1: out of memory. */
static int note_key(cJSON *obj, size_t count, keyset *ks, const char *key)
{
    if (count < KEYSET_THRESHOLD) {
        for (const cJSON *c = obj->child; c != NULL; c = c->next)
            if (strcmp(c->string, key) == 0)
                return 0;
        return 1;
    }
    if (ks->slots == NULL) {
        for (const cJSON *c = obj->child; c != NULL; c = c->next)
            if (keyset_add(ks, c->string) < 0)
                return -1;
    }
    return keyset_add(ks, key);
}

static cJSON *parse_object(parser *p)
{
    if (!enter(p))
        return NULL;
    cJSON *obj = cJSON_CreateObject();
    if (obj == NULL)
        return fail_nomem(p);
    keyset ks = {NULL, 0, 0};
    size_t count = 0;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        p->depth--;
        return obj;
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"') {
            fail_expected(p, p->pos, count == 0 ? "a string key or '}'" : "a string key");
            goto fail;
        }
        size_t key_at = p->pos;
        char *key = parse_string_text(p);
        if (key == NULL)
            goto fail;
        int fresh = note_key(obj, count, &ks, key);
        if (fresh <= 0) {
            if (fresh < 0) {
                fail_nomem(p);
            } else {
                char what[128];
                snprintf(what, sizeof what, "duplicate key \"%.64s\"", key);
                fail_defect(p, key_at, what);
            }
            cJSON_free(key);
            goto fail;
        }
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
            cJSON_free(key);
            fail_expected(p, p->pos, "':'");
            goto fail;
        }
        p->pos++;
        cJSON *value = parse_value(p);
        if (value == NULL) {
            cJSON_free(key);
            goto fail;
        }
        value->string = key;
        cJSON_AddItemToArray(obj, value); /* links the member; the key is already set */
        count++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            break;
        }
        fail_expected(p, p->pos, "',' or '}'");
        goto fail;
    }
    free(ks.slots);
    p->depth--;
    return obj;
fail:
    free(ks.slots);
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *parse_value(parser *p)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return fail_expected(p, p->pos, "a value");
    unsigned char c = p->s[p->pos];
    switch (c) {
    case '{':
        return parse_object(p);
    case '[':
        return parse_array(p);
    case '"': {
        char *text = parse_string_text(p);
        return text != NULL ? node_with_text(p, cJSON_String, text, 0) : NULL;
    }
    case 't':
    case 'f':
    case 'n':
        return parse_literal(p);
    default:
        if (c == '-' || is_digit(c))
            return parse_number(p);
        return fail_expected(p, p->pos, "a value");
    }
}

dal_code dal_json_parse(const char *text, size_t len, cJSON **out, dal_error *err)
{
    if (out == NULL || (text == NULL && len > 0))
        return dal_set_error(err, DAL_ERR_INVALID, "dal_json_parse: NULL %s", out == NULL ? "out" : "text");
    parser p = {(const unsigned char *)(text != NULL ? text : ""), len, 0, 0, err, DAL_OK};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        fail_defect(&p, 0, "a byte order mark is not allowed");
        return p.code;
    }
    cJSON *root = parse_value(&p);
    if (root == NULL)
        return p.code;
    skip_ws(&p);
    if (p.pos < p.len) {
        cJSON_Delete(root);
        fail_expected(&p, p.pos, "end of input");
        return p.code;
    }
    *out = root;
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Printer                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct sbuf {
    char *buf;
    size_t len;
    size_t cap;
    bool oom;
} sbuf;

static bool sb_reserve(sbuf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *grown = realloc(b->buf, cap);
    if (grown == NULL) {
        b->oom = true;
        return false;
    }
    b->buf = grown;
    b->cap = cap;
    return true;
}

/* Appends n bytes (the buffer is NUL-terminated once, at the end). */
static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n))
        return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_putc(sbuf *b, char c)
{
    if (b->len + 2 <= b->cap || sb_reserve(b, 1))
        b->buf[b->len++] = c;
}

/* Decimal text of v (no locale, no printf). */
static void sb_put_int(sbuf *b, long long v)
{
    char digits[24];
    size_t n = sizeof digits;
    unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[--n] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag != 0);
    if (v < 0)
        digits[--n] = '-';
    sb_put(b, digits + n, sizeof digits - n);
}

/* Replaces the locale's decimal point in a printf'd number with '.'. */
static void fix_decimal_point(char *num)
{
    const struct lconv *lc = localeconv();
    const char *dp = lc != NULL ? lc->decimal_point : NULL;
    if (dp == NULL || dp[0] == '\0' || strcmp(dp, ".") == 0)
        return;
    char *at = strstr(num, dp);
    if (at == NULL)
        return;
    size_t dn = strlen(dp);
    *at = '.';
    memmove(at + 1, at + dn, strlen(at + dn) + 1);
}

static void print_double(sbuf *b, double v)
{
    char num[40];
    if (!isfinite(v)) {
        sb_puts(b, "null");
        return;
    }
    if (v == 0 && signbit(v)) {
        sb_puts(b, "-0");
        return;
    }
    if (double_is_integral(v) && v > -9007199254740992.0 && v < 9007199254740992.0) {
        sb_put_int(b, (long long)v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, v);
        if (strtod(num, NULL) == v) /* same locale both ways */
            break;
    }
    fix_decimal_point(num);
    sb_puts(b, num);
}

static void print_number(sbuf *b, const cJSON *item)
{
    const char *text = number_text(item);
    if (text != NULL)
        sb_puts(b, text);
    else
        print_double(b, item->valuedouble);
}

static void print_string(sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t len = strlen((const char *)p);
    sb_putc(b, '"');
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        sb_put(b, (const char *)p + i, run - i);
        i = run;
        if (i >= len)
            break;
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sb_put(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            const char *named = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n"
                                : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            if (named != NULL) {
                sb_put(b, named, 2);
            } else {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                sb_put(b, esc, 6);
            }
            i++;
        } else {
            size_t k = utf8_sequence(p + i, len - i, NULL);
            if (k == 0) {
                sb_puts(b, "\\ufffd");
                i++;
            } else {
                sb_put(b, (const char *)p + i, k);
                i += k;
            }
        }
    }
    sb_putc(b, '"');
}

static void print_value(sbuf *b, const cJSON *item)
{
    if (item == NULL) {
        sb_puts(b, "null");
        return;
    }
    switch (item->type & 0xFF) {
    case cJSON_False:
        sb_puts(b, "false");
        break;
    case cJSON_True:
        sb_puts(b, "true");
        break;
    case cJSON_Number:
        print_number(b, item);
        break;
    case cJSON_String:
        print_string(b, item->valuestring);
        break;
    case cJSON_Raw:
        sb_puts(b, item->valuestring != NULL ? item->valuestring : "null");
        break;
    case cJSON_Array:
        sb_putc(b, '[');
        for (const cJSON *c = item->child; c != NULL && !b->oom; c = c->next) {
            if (c != item->child)
                sb_putc(b, ',');
            print_value(b, c);
        }
        sb_putc(b, ']');
        break;
    case cJSON_Object:
        sb_putc(b, '{');
        for (const cJSON *c = item->child; c != NULL && !b->oom; c = c->next) {
            if (c != item->child)
                sb_putc(b, ',');
            print_string(b, c->string);
            sb_putc(b, ':');
            print_value(b, c);
        }
        sb_putc(b, '}');
        break;
    default: /* cJSON_NULL, cJSON_Invalid */
        sb_puts(b, "null");
        break;
    }
}

char *dal_json_print(const cJSON *item)
{
    sbuf b = {NULL, 0, 0, false};
    print_value(&b, item);
    if (b.oom || !sb_reserve(&b, 0)) {
        free(b.buf);
        return NULL;
    }
    b.buf[b.len] = '\0';
    return b.buf;
}

/* ------------------------------------------------------------------------ */
/* Equality                                                                  */
/* ------------------------------------------------------------------------ */

/* The type used for comparing: NULL is null; a Raw holding number text is a number. */
static int kind_of(const cJSON *item)
{
    if (item == NULL)
        return cJSON_NULL;
    int t = item->type & 0xFF;
    if (t == cJSON_Raw && valid_number_text(item->valuestring))
        return cJSON_Number;
    return t;
}

/* The value of a number-kind node as a double. */
static bool number_double(const cJSON *item, double *out)
{
    if ((item->type & 0xFF) == cJSON_Number) {
        *out = item->valuedouble;
        return true;
    }
    return c_strtod(item->valuestring, out);
}

static bool numbers_equal(const cJSON *a, const cJSON *b)
{
    const char *ta = number_text(a), *tb = number_text(b);
    if (ta != NULL && tb != NULL) {
        decimal da, db;
        decimal_read(ta, &da);
        decimal_read(tb, &db);
        return decimal_equal(&da, &db);
    }
    double x, y;
    return number_double(a, &x) && number_double(b, &y) && x == y;
}

static bool same_key(const cJSON *a, const cJSON *b)
{
    return strcmp(a->string != NULL ? a->string : "", b->string != NULL ? b->string : "") == 0;
}

static bool objects_equal(const cJSON *a, const cJSON *b)
{
    size_t na = 0, nb = 0;
    for (const cJSON *c = a->child; c != NULL; c = c->next)
        na++;
    for (const cJSON *c = b->child; c != NULL; c = c->next)
        nb++;
    if (na != nb)
        return false;
    const cJSON *cb = b->child;
    for (const cJSON *ca = a->child; ca != NULL; ca = ca->next) {
        /* Same order is the common case: try the member at the same place first. */
        const cJSON *match = cb != NULL && same_key(ca, cb) ? cb : NULL;
        for (const cJSON *c = b->child; match == NULL && c != NULL; c = c->next)
            if (same_key(ca, c))
                match = c;
        if (match == NULL || !dal_json_equal(ca, match))
            return false;
        if (cb != NULL)
            cb = cb->next;
    }
    return true;
}

bool dal_json_equal(const cJSON *a, const cJSON *b)
{
    if (a == b)
        return true;
    int ka = kind_of(a), kb = kind_of(b);
    if (ka != kb)
        return false;
    switch (ka) {
    case cJSON_Number:
        return numbers_equal(a, b);
    case cJSON_String:
    case cJSON_Raw:
        return strcmp(a->valuestring != NULL ? a->valuestring : "",
                      b->valuestring != NULL ? b->valuestring : "") == 0;
    case cJSON_Array: {
        const cJSON *ca = a->child, *cb = b->child;
        for (; ca != NULL && cb != NULL; ca = ca->next, cb = cb->next)
            if (!dal_json_equal(ca, cb))
                return false;
        return ca == NULL && cb == NULL;
    }
    case cJSON_Object:
        return objects_equal(a, b);
    default: /* null, true, false, invalid: the kind says it all */
        return true;
    }
}
