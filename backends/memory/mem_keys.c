/*
 * mem_keys.c - comparing and hashing fields straight from the generated
 * structs (through the offsets of the descriptors), and the two index
 * structures built on that: the hash index (primary and unique keys) and the
 * ordered index (an intrusive red-black tree, see mem_rbtree.h).
 *
 * Comparison follows SQLite's, so that both backends return rows in the same
 * order: NULL first (a desc part inverts, so NULLs come last), numbers by
 * value (a u64 as the signed 64-bit integer the SQLite backend stores), text
 * and uuids bytewise, bools false < true, integer-valued enums by value and
 * text-valued enums by their member name (what SQLite stores and compares).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_internal.h"

/* ------------------------------------------------------------------------ */
/* Key parts                                                                 */
/* ------------------------------------------------------------------------ */

void mem_kpart_init(mem_kpart *kp, const dal_field *f, unsigned field, bool desc, const int *rank)
{
    memset(kp, 0, sizeof *kp);
    kp->off = f->offset;
    kp->has_off = f->has_offset;
    kp->type = f->type;
    kp->desc = desc;
    kp->field = field;
    kp->rank = f->type == DAL_ENUM ? rank : NULL;
    kp->enumt = f->type == DAL_ENUM ? f->enumt : NULL;
    kp->nullk = MEM_NULL_NEVER;
    if ((f->flags & DAL_F_OPTIONAL) && !(f->flags & DAL_F_LIST)) {
        if (f->has_offset != DAL_NO_OFFSET)
            kp->nullk = MEM_NULL_HAS;
        else if (f->type == DAL_TEXT || f->type == DAL_JSON || f->type == DAL_MAP_TEXT || f->type == DAL_MAP_JSON)
            kp->nullk = MEM_NULL_PTR;
        else if (f->type == DAL_UUID)
            kp->nullk = MEM_NULL_UUID;
    }
}

bool mem_present(const mem_kpart *kp, const void *data)
{
    const char *p = (const char *)data;
    switch (kp->nullk) {
    case MEM_NULL_HAS: return *(const bool *)(const void *)(p + kp->has_off);
    case MEM_NULL_PTR: return *(void *const *)(const void *)(p + kp->off) != NULL;
    case MEM_NULL_UUID: return p[kp->off] != '\0';
    default: return true;
    }
}

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

/* The integer a field of an integer family holds (u64: its signed bits). */
static int64_t read_int(const mem_kpart *kp, const void *p)
{
    switch (kp->type) {
    case DAL_INT:
    case DAL_TIMESTAMP: return *(const int64_t *)p;
    case DAL_I32: return *(const int32_t *)p;
    case DAL_U32: return *(const uint32_t *)p;
    case DAL_U64: return (int64_t)*(const uint64_t *)p;
    case DAL_BOOL: return *(const bool *)p ? 1 : 0;
    case DAL_ENUM: return *(const int *)p;
    default: return 0;
    }
}

static bool is_int_family(dal_type t)
{
    return t == DAL_INT || t == DAL_TIMESTAMP || t == DAL_I32 || t == DAL_U32 || t == DAL_U64 || t == DAL_BOOL ||
           t == DAL_ENUM;
}

static bool is_json_family(dal_type t)
{
    return t == DAL_JSON || t == DAL_MAP_TEXT || t == DAL_MAP_JSON;
}

/* Order position of an enum's C value: its name's rank (text-valued) or the
 * value itself (integer-valued). */
static int64_t enum_ord(const mem_kpart *kp, int64_t v)
{
    if (kp->rank != NULL && kp->enumt != NULL && v >= 0 && (uint64_t)v < kp->enumt->n)
        return kp->rank[v];
    return v;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

static int cmp_dbl(double a, double b)
{
    return (a > b) - (a < b);
}

/* An integer vs a double, exactly. */
static int cmp_int_real(int64_t i, double d)
{
    if (isnan(d))
        return 1;
    if (d < -9223372036854775808.0)
        return 1;
    if (d >= 9223372036854775808.0)
        return -1;
    int64_t di = (int64_t)d;
    if (i != di)
        return cmp_i64(i, di);
    double frac = d - (double)di;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* Compact JSON text of a field's tree (NULL: "null" for json, "{}" for maps). */
static char *json_text(dal_type t, const cJSON *j)
{
    if (j != NULL)
        return dal_json_print(j);
    const char *s = t == DAL_JSON ? "null" : "{}";
    char *c = malloc(strlen(s) + 1);
    if (c != NULL)
        strcpy(c, s);
    return c;
}

static int cmp_json_text(char *a, char *b)
{
    int c = (a != NULL && b != NULL) ? sign(strcmp(a, b)) : 0;
    free(a);
    free(b);
    return c;
}

static const char *text_of(const mem_kpart *kp, const void *p)
{
    if (kp->type == DAL_UUID)
        return (const char *)p;
    const char *s = *(char *const *)p;
    return s != NULL ? s : "";
}

int mem_cmp_part(const mem_kpart *kp, const void *a, const void *b)
{
    bool pa = mem_present(kp, a), pb = mem_present(kp, b);
    int c;
    if (!pa || !pb) {
        c = (int)pa - (int)pb;
    } else {
        const char *x = (const char *)a + kp->off, *y = (const char *)b + kp->off;
        switch (kp->type) {
        case DAL_TEXT:
        case DAL_UUID: c = sign(strcmp(text_of(kp, x), text_of(kp, y))); break;
        case DAL_REAL: c = cmp_dbl(*(const double *)(const void *)x, *(const double *)(const void *)y); break;
        case DAL_ENUM: c = cmp_i64(enum_ord(kp, read_int(kp, x)), enum_ord(kp, read_int(kp, y))); break;
        case DAL_JSON:
        case DAL_MAP_TEXT:
        case DAL_MAP_JSON:
            c = cmp_json_text(json_text(kp->type, *(const cJSON *const *)(const void *)x),
                              json_text(kp->type, *(const cJSON *const *)(const void *)y));
            break;
        default: c = cmp_i64(read_int(kp, x), read_int(kp, y)); break;
        }
    }
    return kp->desc ? -c : c;
}

int mem_cmp_parts(const mem_kpart *kp, size_t n, const void *a, const void *b)
{
    for (size_t i = 0; i < n; i++) {
        int c = mem_cmp_part(&kp[i], a, b);
        if (c != 0)
            return c;
    }
    return 0;
}

/* SQLite's order of storage classes: NULL, numbers, text (JSON is text). */
static int cval_class(int kind)
{
    switch (kind) {
    case CV_NULL: return 0;
    case CV_INT:
    case CV_REAL: return 1;
    default: return 2;
    }
}

static int field_class(dal_type t)
{
    return t == DAL_TEXT || t == DAL_UUID || is_json_family(t) ? 2 : 1;
}

int mem_cmp_value(const mem_kpart *kp, const void *data, const mem_cval *v)
{
    if (!mem_present(kp, data))
        return v->kind == CV_NULL ? 0 : -1;
    if (v->kind == CV_NULL)
        return 1;
    const char *p = (const char *)data + kp->off;
    switch (kp->type) {
    case DAL_TEXT:
    case DAL_UUID:
        if (v->kind == CV_TEXT)
            return sign(strcmp(text_of(kp, p), v->s));
        break;
    case DAL_REAL: {
        double d = *(const double *)(const void *)p;
        if (v->kind == CV_REAL)
            return cmp_dbl(d, v->d);
        if (v->kind == CV_INT)
            return -cmp_int_real(v->i, d);
        break;
    }
    case DAL_ENUM:
        if (v->kind == CV_INT)
            return cmp_i64(enum_ord(kp, read_int(kp, p)), enum_ord(kp, v->i));
        if (v->kind == CV_TEXT && kp->rank != NULL) {
            const char *name = dal_enum_name(kp->enumt, (int)read_int(kp, p));
            return sign(strcmp(name != NULL ? name : "", v->s));
        }
        break;
    case DAL_JSON:
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON: {
        if (v->kind != CV_JSON && v->kind != CV_TEXT)
            break;
        char *other;
        if (v->kind == CV_JSON)
            other = json_text(DAL_JSON, v->j);
        else if ((other = malloc(strlen(v->s) + 1)) != NULL)
            strcpy(other, v->s);
        return cmp_json_text(json_text(kp->type, *(const cJSON *const *)(const void *)p), other);
    }
    default:
        if (v->kind == CV_INT)
            return cmp_i64(read_int(kp, p), v->i);
        if (v->kind == CV_REAL)
            return cmp_int_real(read_int(kp, p), v->d);
        break;
    }
    return sign(field_class(kp->type) - cval_class(v->kind));
}

int mem_cmp_probe(const mem_kpart *kp, size_t n, const void *data, const mem_cval *v)
{
    for (size_t i = 0; i < n; i++) {
        int c = mem_cmp_value(&kp[i], data, &v[i]);
        if (c != 0)
            return kp[i].desc ? -c : c;
    }
    return 0;
}

mem_cval mem_field_cval(const mem_kpart *kp, const void *data)
{
    mem_cval v;
    memset(&v, 0, sizeof v);
    if (!mem_present(kp, data))
        return v;
    const char *p = (const char *)data + kp->off;
    switch (kp->type) {
    case DAL_TEXT:
    case DAL_UUID: v.kind = CV_TEXT; v.s = text_of(kp, p); break;
    case DAL_REAL: v.kind = CV_REAL; v.d = *(const double *)(const void *)p; break;
    case DAL_JSON:
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON: v.kind = CV_JSON; v.j = *(const cJSON *const *)(const void *)p; break;
    default: v.kind = CV_INT; v.i = read_int(kp, p); break;
    }
    return v;
}

mem_cval mem_value_cval(const dal_value *x)
{
    mem_cval v;
    memset(&v, 0, sizeof v);
    if (x->is_null || x->is_list)
        return v;
    switch (x->type) {
    case DAL_TEXT:
        if (x->as.s != NULL) {
            v.kind = CV_TEXT;
            v.s = x->as.s;
        }
        break;
    case DAL_UUID: /* "" is an unset uuid: NULL */
        if (x->as.s != NULL && x->as.s[0] != '\0') {
            v.kind = CV_TEXT;
            v.s = x->as.s;
        }
        break;
    case DAL_U32:
    case DAL_U64: v.kind = CV_INT; v.i = (int64_t)x->as.u; break;
    case DAL_REAL: v.kind = CV_REAL; v.d = x->as.d; break;
    case DAL_JSON:
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON: v.kind = CV_JSON; v.j = x->as.json; break;
    default: v.kind = CV_INT; v.i = x->as.i; break;
    }
    return v;
}

mem_cval mem_list_cval(const dal_value *x, size_t i)
{
    mem_cval v;
    memset(&v, 0, sizeof v);
    const char *p = (const char *)x->as.list.v + i * dal_type_size(x->type);
    switch (x->type) {
    case DAL_TEXT: {
        const char *s = *(char *const *)(const void *)p;
        if (s != NULL) {
            v.kind = CV_TEXT;
            v.s = s;
        }
        break;
    }
    case DAL_UUID:
        if (p[0] != '\0') {
            v.kind = CV_TEXT;
            v.s = p;
        }
        break;
    case DAL_INT:
    case DAL_TIMESTAMP: v.kind = CV_INT; v.i = *(const int64_t *)(const void *)p; break;
    case DAL_I32: v.kind = CV_INT; v.i = *(const int32_t *)(const void *)p; break;
    case DAL_U32: v.kind = CV_INT; v.i = *(const uint32_t *)(const void *)p; break;
    case DAL_U64: v.kind = CV_INT; v.i = (int64_t)*(const uint64_t *)(const void *)p; break;
    case DAL_REAL: v.kind = CV_REAL; v.d = *(const double *)(const void *)p; break;
    case DAL_BOOL: v.kind = CV_INT; v.i = *(const bool *)(const void *)p ? 1 : 0; break;
    case DAL_ENUM: v.kind = CV_INT; v.i = *(const int *)(const void *)p; break;
    default: v.kind = CV_JSON; v.j = *(const cJSON *const *)(const void *)p; break;
    }
    return v;
}

bool mem_cval_fits(const mem_kpart *kp, const mem_cval *v)
{
    if (v->kind == CV_NULL)
        return true;
    if (kp->type == DAL_TEXT || kp->type == DAL_UUID)
        return v->kind == CV_TEXT;
    if (kp->type == DAL_REAL || is_int_family(kp->type))
        return v->kind == CV_INT || v->kind == CV_REAL;
    return false;
}

/* ------------------------------------------------------------------------ */
/* Hashing                                                                   */
/* ------------------------------------------------------------------------ */

static uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    const unsigned char *p = (const unsigned char *)s;
    while (n >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        h = (h ^ (k * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k |= (uint64_t)p[i] << (8 * i);
    h = (h ^ (k * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
    return fmix64(h);
}

static uint64_t hash_int(int64_t i)
{
    return fmix64((uint64_t)i ^ 0x2545f4914f6cdd1dULL);
}

/* Numbers that compare equal hash alike: an integral double as its integer. */
static uint64_t hash_real(double d)
{
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && floor(d) == d)
        return hash_int((int64_t)d);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return fmix64(bits);
}

static uint64_t hash_cval(const mem_cval *v)
{
    switch (v->kind) {
    case CV_TEXT: return hash_bytes(v->s);
    case CV_INT: return hash_int(v->i);
    case CV_REAL: return hash_real(v->d);
    default: return 0; /* NULL and JSON: never keys of a hash index */
    }
}

static uint64_t hash_combine(uint64_t h, uint64_t part)
{
    return (h ^ part) * 0x9e3779b97f4a7c15ULL + (h >> 29);
}

uint64_t mem_hash_row(const mem_hidx *h, const void *data, bool *has_null)
{
    uint64_t x = 0;
    *has_null = false;
    for (size_t i = 0; i < h->nkp; i++) {
        mem_cval v = mem_field_cval(&h->kp[i], data);
        if (v.kind == CV_NULL)
            *has_null = true;
        x = hash_combine(x, hash_cval(&v));
    }
    return fmix64(x);
}

uint64_t mem_hash_vals(const mem_hidx *h, const mem_cval *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < h->nkp; i++)
        x = hash_combine(x, hash_cval(&v[i]));
    return fmix64(x);
}

/* ------------------------------------------------------------------------ */
/* Hash index                                                                */
/* ------------------------------------------------------------------------ */

/* At most 5/8 of the slots used: short probe sequences, misses included
 * (every insert looks for a duplicate first). */
static bool load_ok(size_t n, size_t cap)
{
    return n * 8 <= cap * 5;
}

static bool rehash(mem_hidx *h, size_t cap)
{
    mem_hslot *slots = NULL;
    if (cap > 0 && (slots = calloc(cap, sizeof *slots)) == NULL)
        return false;
    for (size_t i = 0; i < h->cap; i++) {
        if (h->slots[i].row == NULL)
            continue;
        size_t j = (size_t)h->slots[i].h & (cap - 1);
        while (slots[j].row != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = h->slots[i];
    }
    free(h->slots);
    h->slots = slots;
    h->cap = cap;
    return true;
}

bool mem_hidx_reserve(mem_hidx *h, size_t more)
{
    size_t need = h->n + more;
    if (h->cap > 0 && load_ok(need, h->cap))
        return true;
    size_t cap = h->cap ? h->cap : 16;
    while (!load_ok(need, cap))
        cap *= 2;
    return rehash(h, cap);
}

bool mem_hidx_fit(mem_hidx *h)
{
    if (h->n == 0) {
        free(h->slots);
        h->slots = NULL;
        h->cap = 0;
        return true;
    }
    size_t cap = 16;
    while (!load_ok(h->n, cap))
        cap *= 2;
    return cap == h->cap || rehash(h, cap);
}

void mem_hidx_put(mem_hidx *h, uint64_t hash, mem_row *row)
{
    size_t mask = h->cap - 1, i = (size_t)hash & mask;
    while (h->slots[i].row != NULL)
        i = (i + 1) & mask;
    h->slots[i].h = hash;
    h->slots[i].row = row;
    h->n++;
}

static size_t slot_of_row(const mem_hidx *h, uint64_t hash, const mem_row *row)
{
    if (h->cap == 0)
        return SIZE_MAX;
    size_t mask = h->cap - 1, i = (size_t)hash & mask;
    while (h->slots[i].row != NULL) {
        if (h->slots[i].row == row)
            return i;
        i = (i + 1) & mask;
    }
    return SIZE_MAX;
}

bool mem_hidx_remove(mem_hidx *h, uint64_t hash, const mem_row *row)
{
    size_t i = slot_of_row(h, hash, row);
    if (i == SIZE_MAX)
        return false;
    size_t mask = h->cap - 1, j = i;
    /* backward shift: move later entries of the run into the hole when
     * their home slot is not cyclically inside (hole, entry] */
    for (;;) {
        j = (j + 1) & mask;
        if (h->slots[j].row == NULL)
            break;
        size_t k = (size_t)h->slots[j].h & mask;
        bool movable = j > i ? (k <= i || k > j) : (k <= i && k > j);
        if (movable) {
            h->slots[i] = h->slots[j];
            i = j;
        }
    }
    h->slots[i].row = NULL;
    h->slots[i].h = 0;
    h->n--;
    return true;
}

void mem_hidx_swap(mem_hidx *h, uint64_t hash, const mem_row *old, mem_row *fresh)
{
    size_t i = slot_of_row(h, hash, old);
    if (i != SIZE_MAX)
        h->slots[i].row = fresh;
}

mem_row *mem_hidx_find_row(const mem_hidx *h, const mem_table *t, uint64_t hash, const void *data,
                           const mem_row *except, mem_count *c)
{
    if (h->cap == 0)
        return NULL;
    size_t mask = h->cap - 1, i = (size_t)hash & mask;
    for (; h->slots[i].row != NULL; i = (i + 1) & mask) {
        mem_row *r = h->slots[i].row;
        if (h->slots[i].h != hash || r == except)
            continue;
        c->reads++;
        if (mem_cmp_parts(h->kp, h->nkp, mem_data(t, r), data) == 0)
            return r;
    }
    return NULL;
}

/* Asks the CPU to start loading the first lines of a row's data (its key,
 * the struct, the packed strings) at once, so that their cache misses
 * overlap instead of coming one after the other. Only a hint: prefetching
 * past the end of the block is harmless. */
static void prefetch_row(const mem_table *t, const mem_row *r)
{
#if defined(__GNUC__)
    const char *p = (const char *)r + t->data_off;
    for (int line = 0; line < 6; line++)
        __builtin_prefetch(p + 64 * line);
#else
    (void)t;
    (void)r;
#endif
}

mem_row *mem_hidx_find_vals(const mem_hidx *h, const mem_table *t, uint64_t hash, const mem_cval *v,
                            mem_count *c)
{
    if (h->cap == 0)
        return NULL;
    size_t mask = h->cap - 1, i = (size_t)hash & mask;
    for (; h->slots[i].row != NULL; i = (i + 1) & mask) {
        mem_row *r = h->slots[i].row;
        if (h->slots[i].h != hash)
            continue;
        prefetch_row(t, r);
        c->reads++;
        if (mem_cmp_probe(h->kp, h->nkp, mem_data(t, r), v) == 0)
            return r;
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Ordered index                                                             */
/* ------------------------------------------------------------------------ */

void mem_oidx_insert(mem_oidx *x, const mem_table *t, mem_row *row)
{
    const void *d = mem_data(t, row);
    mem_rbnode **link = &x->tree.root, *parent = NULL;
    while (*link != NULL) {
        parent = *link;
        int c = mem_cmp_parts(x->kp, x->nkp, d, mem_data(t, mem_node_row(x, parent)));
        link = c < 0 ? &parent->left : &parent->right;
    }
    mem_rb_link(&x->tree, &row->node[x->slot], parent, link);
}

mem_rbnode *mem_oidx_seek_ge(const mem_oidx *x, const mem_table *t, const mem_cval *v, size_t n, bool strict,
                             mem_count *c)
{
    mem_rbnode *node = x->tree.root, *best = NULL;
    c->seeks++;
    while (node != NULL) {
        c->steps++;
        int r = mem_cmp_probe(x->kp, n, mem_data(t, mem_node_row(x, node)), v);
        if (r > 0 || (r == 0 && !strict)) {
            best = node;
            node = node->left;
        } else {
            node = node->right;
        }
    }
    return best;
}

mem_rbnode *mem_oidx_seek_le(const mem_oidx *x, const mem_table *t, const mem_cval *v, size_t n, bool strict,
                             mem_count *c)
{
    mem_rbnode *node = x->tree.root, *best = NULL;
    c->seeks++;
    while (node != NULL) {
        c->steps++;
        int r = mem_cmp_probe(x->kp, n, mem_data(t, mem_node_row(x, node)), v);
        if (r < 0 || (r == 0 && !strict)) {
            best = node;
            node = node->right;
        } else {
            node = node->left;
        }
    }
    return best;
}

/* ------------------------------------------------------------------------ */
/* Messages and sizes                                                        */
/* ------------------------------------------------------------------------ */

static void describe_cval(const mem_kpart *kp, const mem_cval *v, char *buf, size_t size)
{
    switch (v->kind) {
    case CV_NULL: snprintf(buf, size, "null"); break;
    case CV_TEXT: snprintf(buf, size, "'%.80s'", v->s); break;
    case CV_REAL: snprintf(buf, size, "%.17g", v->d); break;
    case CV_JSON: snprintf(buf, size, "(json)"); break;
    default:
        if (kp->type == DAL_ENUM && dal_enum_name(kp->enumt, (int)v->i) != NULL)
            snprintf(buf, size, "%s", dal_enum_name(kp->enumt, (int)v->i));
        else if (kp->type == DAL_U64)
            snprintf(buf, size, "%" PRIu64, (uint64_t)v->i);
        else
            snprintf(buf, size, "%" PRId64, v->i);
        break;
    }
}

void mem_describe_vals(const mem_table *t, const mem_kpart *kp, size_t n, const mem_cval *v, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        char val[128];
        describe_cval(&kp[i], &v[i], val, sizeof val);
        int k = snprintf(buf + used, size - used, "%s%s = %s", i ? ", " : "", t->m->fields[kp[i].field].name, val);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

void mem_describe_key(const mem_table *t, const mem_kpart *kp, size_t n, const void *data, char *buf, size_t size)
{
    mem_cval v[16];
    if (n > 16)
        n = 16;
    for (size_t i = 0; i < n; i++)
        v[i] = mem_field_cval(&kp[i], data);
    mem_describe_vals(t, kp, n, v, buf, size);
}

static bool is_pointer_type(dal_type t)
{
    return t == DAL_TEXT || is_json_family(t);
}

/* ------------------------------------------------------------------------ */
/* Packed rows                                                               */
/* ------------------------------------------------------------------------ */

/* A bump allocator over the tail of a row block. A dry run (base NULL) only
 * measures, taking exactly the same steps as the real one. */
typedef struct arena {
    char *base;
    size_t used;
} arena;

static void *arena_take(arena *a, size_t size, size_t align)
{
    a->used = (a->used + align - 1) & ~(align - 1);
    void *p = a->base != NULL ? a->base + a->used : NULL;
    a->used += size;
    return p;
}

static char *arena_str(arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = arena_take(a, n, 1);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* One JSON node and its children, laid out as cJSON_Duplicate would link
 * them (the first child's prev is the last child). */
static cJSON *arena_json(arena *a, const cJSON *src)
{
    cJSON *n = arena_take(a, sizeof(cJSON), _Alignof(cJSON));
    if (n != NULL) {
        memset(n, 0, sizeof *n);
        n->type = src->type & ~(cJSON_IsReference | cJSON_StringIsConst);
        n->valueint = src->valueint;
        n->valuedouble = src->valuedouble;
    }
    char *vs = src->valuestring != NULL ? arena_str(a, src->valuestring) : NULL;
    char *ks = src->string != NULL ? arena_str(a, src->string) : NULL;
    cJSON *first = NULL, *last = NULL;
    for (const cJSON *c = src->child; c != NULL; c = c->next) {
        cJSON *k = arena_json(a, c);
        if (n == NULL)
            continue;
        if (first == NULL) {
            first = k;
        } else {
            last->next = k;
            k->prev = last;
        }
        last = k;
    }
    if (n != NULL) {
        n->valuestring = vs;
        n->string = ks;
        n->child = first;
        if (first != NULL)
            first->prev = last;
    }
    return n;
}

static void arena_value(arena *a, dal_type t, void *dst, const void *src)
{
    if (t == DAL_TEXT) {
        const char *s = *(char *const *)src;
        char *c = s != NULL ? arena_str(a, s) : NULL;
        if (a->base != NULL)
            *(char **)dst = c;
    } else if (is_json_family(t)) {
        const cJSON *j = *(const cJSON *const *)src;
        cJSON *c = j != NULL ? arena_json(a, j) : NULL;
        if (a->base != NULL)
            *(cJSON **)dst = c;
    }
}

/* Copies (or, dry, measures) what src's fields own into the arena and points
 * dst's fields at the copies. */
static void arena_record(arena *a, const dal_model *m, void *dst, const void *src)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        const void *sp = (const char *)src + f->offset;
        void *dp = dst != NULL ? (char *)dst + f->offset : NULL;
        if (f->flags & DAL_F_LIST) {
            const dal_list *sl = sp;
            size_t es = dal_type_size(f->type);
            char *v = sl->n ? arena_take(a, sl->n * es, 8) : NULL;
            if (v != NULL)
                memcpy(v, sl->v, sl->n * es);
            if (is_pointer_type(f->type))
                for (size_t k = 0; k < sl->n; k++)
                    arena_value(a, f->type, v != NULL ? v + k * es : NULL, (const char *)sl->v + k * es);
            if (dp != NULL)
                *(dal_list *)dp = (dal_list){sl->n, v};
        } else if (is_pointer_type(f->type)) {
            arena_value(a, f->type, dp, sp);
        }
    }
}

size_t mem_packed_extra(const dal_model *m, const void *src)
{
    arena a = {NULL, 0};
    arena_record(&a, m, NULL, src);
    return a.used;
}

void mem_pack_record(const dal_model *m, void *dst, const void *src, char *extra)
{
    memcpy(dst, src, m->size);
    arena a = {extra, 0};
    arena_record(&a, m, dst, src);
}
