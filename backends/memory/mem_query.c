/*
 * mem_query.c - answering dal_query descriptors over the memory backend's
 * indexes: where-expressions with SQL's three-valued logic, the planner that
 * picks an index, and select / match (for update and delete) / aggregate.
 *
 * Semantics are the SQLite backend's (which is what the suite compares with):
 *   - a comparison with NULL on either side is unknown, and a where keeps only
 *     rows for which it is true (NOT unknown stays unknown);
 *   - except `=` / `!=` against an operand that may be NULL (an optional
 *     parameter or a null literal): those are IS / IS NOT, so
 *     `x = $maybe` matches rows where x is null when $maybe is null;
 *   - LIKE: % and _ (one UTF-8 character), ASCII case-insensitive, no escape;
 *   - IN over a list: false for an empty list, unknown when the field is null
 *     or no element matches and some element is null.
 *
 * The planner (one "branch" at a time; a top-level OR is split into its
 * branches, each planned on its own, their rows merged in order):
 *   1. conjuncts of the branch (a top-level AND) of the form `f = v` (or
 *      `f is null`, or `f = $maybe` holding null) fix f; `f < v` and friends
 *      bound f;
 *   2. when every field of the primary key (or of a unique index) is fixed,
 *      one hash lookup answers;
 *   3. otherwise, for each ordered index: its leading parts fixed by the
 *      branch (k), a bound on part k, and how much of the query's order
 *      (ties by primary key included; fixed fields do not count) the rest of
 *      the index yields, forwards or backwards. The entries inside the fixed
 *      prefix and bound are found by two O(log n) descents and COUNTED
 *      exactly (the trees know subtree sizes). The cost is that count, or the
 *      offset + limit when the index yields the whole order and its prefix
 *      and bound are the whole branch (the scan stops early). Cheapest wins;
 *      ties go to the index that gives the order;
 *   4. the chosen one is scanned from its first to its last entry, keeping
 *      rows the whole branch expression accepts; when the index gives the
 *      full order the scan stops as soon as offset + limit rows are kept;
 *      when it gives a prefix of it, at the end of the group of ties after
 *      that. A top-level OR whose branches together would read as much as
 *      the table is one scan instead;
 *   5. rows not already in order are sorted (stable merge sort) by the order
 *      then the primary key.
 * So `pending` (status = pending order by priority desc, created_at asc) on
 * the index (status, priority desc, created_at, id) reads exactly the
 * pending rows, and `by_agent ... limit 10` reads 10 entries.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_internal.h"

#define MAX_CONJ 32     /* conjuncts of a branch the planner looks at */
#define MAX_BRANCHES 16 /* branches of a top-level OR planned separately */
#define MAX_KEY 16      /* parts of a probe */

/* ------------------------------------------------------------------------ */
/* Row vectors and sorting                                                   */
/* ------------------------------------------------------------------------ */

void mem_rowvec_init(mem_rowvec *rv)
{
    rv->v = rv->local;
    rv->n = 0;
    rv->cap = sizeof rv->local / sizeof rv->local[0];
}

bool mem_rowvec_push(mem_rowvec *rv, mem_row *r)
{
    if (rv->n == rv->cap) {
        size_t cap = rv->cap * 2;
        mem_row **v = rv->v == rv->local ? malloc(cap * sizeof *v) : realloc(rv->v, cap * sizeof *v);
        if (v == NULL)
            return false;
        if (rv->v == rv->local)
            memcpy(v, rv->local, rv->n * sizeof *v);
        rv->v = v;
        rv->cap = cap;
    }
    rv->v[rv->n++] = r;
    return true;
}

void mem_rowvec_free(mem_rowvec *rv)
{
    if (rv->v != rv->local)
        free(rv->v);
    mem_rowvec_init(rv);
}

typedef struct sort_ctx {
    const mem_kpart *kp;
    size_t n;
    size_t data_off; /* rows: the table's data_off; records: 0 */
} sort_ctx;

static int sort_cmp(const sort_ctx *c, const void *a, const void *b)
{
    return mem_cmp_parts(c->kp, c->n, (const char *)a + c->data_off, (const char *)b + c->data_off);
}

static void merge_pass(void **a, void **tmp, size_t lo, size_t mid, size_t hi, const sort_ctx *c)
{
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        tmp[k++] = sort_cmp(c, a[j], a[i]) < 0 ? a[j++] : a[i++];
    while (i < mid)
        tmp[k++] = a[i++];
    while (j < hi)
        tmp[k++] = a[j++];
    memcpy(a + lo, tmp + lo, (hi - lo) * sizeof *a);
}

/* Stable bottom-up merge sort of n pointers. */
static bool sort_ptrs(void **a, size_t n, const sort_ctx *c)
{
    if (n < 2)
        return true;
    void **tmp = malloc(n * sizeof *tmp);
    if (tmp == NULL)
        return false;
    for (size_t w = 1; w < n; w *= 2)
        for (size_t lo = 0; lo + w < n; lo += 2 * w)
            merge_pass(a, tmp, lo, lo + w, lo + 2 * w < n ? lo + 2 * w : n, c);
    free(tmp);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Expressions                                                               */
/* ------------------------------------------------------------------------ */

enum { TRI_F = 0, TRI_T = 1, TRI_U = 2 };

typedef struct qenv {
    const mem_store *st;
    const mem_table *t;
    const dal_query *q;
    const dal_value *args;
    int64_t now;
} qenv;

static const dal_value *operand(const qenv *e, const dal_operand *o, dal_value *tmp)
{
    switch (o->kind) {
    case DAL_ARG_PARAM: return &e->args[o->param];
    case DAL_ARG_VALUE: return &o->value;
    case DAL_ARG_NOW:
        memset(tmp, 0, sizeof *tmp);
        tmp->type = DAL_TIMESTAMP;
        tmp->as.i = e->now;
        return tmp;
    default:
        memset(tmp, 0, sizeof *tmp);
        tmp->is_null = true;
        return tmp;
    }
}

/* Whether the operand may be NULL at run time (then = is IS, != is IS NOT). */
static bool operand_nullable(const qenv *e, const dal_operand *o)
{
    if (o->kind == DAL_ARG_PARAM)
        return o->param < e->q->n_params && (e->q->params[o->param].flags & DAL_F_OPTIONAL);
    if (o->kind == DAL_ARG_VALUE)
        return o->value.is_null;
    return false;
}

static const unsigned char *utf8_next(const unsigned char *s)
{
    s++;
    while ((*s & 0xC0) == 0x80)
        s++;
    return s;
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* SQL LIKE: % any run, _ one character, ASCII letters case-insensitive. */
static bool like_match(const unsigned char *p, const unsigned char *s)
{
    for (;;) {
        unsigned char pc = *p;
        if (pc == '\0')
            return *s == '\0';
        if (pc == '%') {
            while (*p == '%' || *p == '_') {
                if (*p == '_') {
                    if (*s == '\0')
                        return false;
                    s = utf8_next(s);
                }
                p++;
            }
            if (*p == '\0')
                return true;
            for (; *s != '\0'; s = utf8_next(s)) {
                if (*p < 0x80 && ascii_lower(*p) != ascii_lower(*s))
                    continue;
                if (like_match(p, s))
                    return true;
            }
            return false;
        }
        if (*s == '\0')
            return false;
        if (pc == '_') {
            p++;
            s = utf8_next(s);
            continue;
        }
        const unsigned char *pn = utf8_next(p), *sn = utf8_next(s);
        if (pc < 0x80) {
            if (ascii_lower(pc) != ascii_lower(*s))
                return false;
            sn = s + 1;
        } else if (pn - p != sn - s || memcmp(p, s, (size_t)(pn - p)) != 0) {
            return false;
        }
        p = pn;
        s = sn;
    }
}

/* The text SQLite would see for a field in LIKE. */
static const char *like_subject(const mem_kpart *kp, const void *data, char *buf, size_t size)
{
    mem_cval v = mem_field_cval(kp, data);
    switch (v.kind) {
    case CV_TEXT: return v.s;
    case CV_INT:
        if (kp->type == DAL_ENUM && kp->rank != NULL) {
            const char *name = dal_enum_name(kp->enumt, (int)v.i);
            return name != NULL ? name : "";
        }
        snprintf(buf, size, "%lld", (long long)v.i);
        return buf;
    case CV_REAL: snprintf(buf, size, "%.15g", v.d); return buf;
    default: return NULL;
    }
}

static int eval(const qenv *e, const dal_expr *x, const void *data);

static int eval_in(const qenv *e, const dal_expr *x, const mem_kpart *kp, const void *data)
{
    dal_value tmp;
    const dal_value *v = operand(e, &x->rhs, &tmp);
    if (v->is_null)
        return TRI_F; /* json_each(NULL) is empty */
    if (!v->is_list) {
        mem_cval cv = mem_value_cval(v);
        if (cv.kind == CV_NULL || !mem_present(kp, data))
            return TRI_U;
        return mem_cmp_value(kp, data, &cv) == 0 ? TRI_T : TRI_F;
    }
    if (v->as.list.n == 0)
        return TRI_F;
    if (!mem_present(kp, data))
        return TRI_U;
    bool saw_null = false;
    for (size_t i = 0; i < v->as.list.n; i++) {
        mem_cval cv = mem_list_cval(v, i);
        if (cv.kind == CV_NULL)
            saw_null = true;
        else if (mem_cmp_value(kp, data, &cv) == 0)
            return TRI_T;
    }
    return saw_null ? TRI_U : TRI_F;
}

static int eval_cmp(const qenv *e, const dal_expr *x, const mem_kpart *kp, const void *data)
{
    dal_value tmp;
    const dal_value *v = operand(e, &x->rhs, &tmp);
    mem_cval cv = mem_value_cval(v);
    if ((x->op == DAL_OP_EQ || x->op == DAL_OP_NE) && operand_nullable(e, &x->rhs)) {
        bool eq = mem_cmp_value(kp, data, &cv) == 0;
        return (x->op == DAL_OP_EQ) == eq ? TRI_T : TRI_F;
    }
    if (cv.kind == CV_NULL || !mem_present(kp, data))
        return TRI_U;
    if (x->op == DAL_OP_LIKE) {
        char a[64], b[64];
        const char *pat = cv.kind == CV_TEXT ? cv.s : NULL;
        if (cv.kind == CV_INT) {
            snprintf(b, sizeof b, "%lld", (long long)cv.i);
            pat = b;
        }
        const char *subj = like_subject(kp, data, a, sizeof a);
        if (pat == NULL || subj == NULL)
            return TRI_F;
        return like_match((const unsigned char *)pat, (const unsigned char *)subj) ? TRI_T : TRI_F;
    }
    int c = mem_cmp_value(kp, data, &cv);
    bool r;
    switch (x->op) {
    case DAL_OP_EQ: r = c == 0; break;
    case DAL_OP_NE: r = c != 0; break;
    case DAL_OP_LT: r = c < 0; break;
    case DAL_OP_LE: r = c <= 0; break;
    case DAL_OP_GT: r = c > 0; break;
    case DAL_OP_GE: r = c >= 0; break;
    default: return TRI_F;
    }
    return r ? TRI_T : TRI_F;
}

static int eval(const qenv *e, const dal_expr *x, const void *data)
{
    if (x == NULL)
        return TRI_T;
    switch (x->op) {
    case DAL_OP_AND: {
        int a = eval(e, x->a, data);
        if (a == TRI_F)
            return TRI_F;
        int b = eval(e, x->b, data);
        if (b == TRI_F)
            return TRI_F;
        return a == TRI_T && b == TRI_T ? TRI_T : TRI_U;
    }
    case DAL_OP_OR: {
        int a = eval(e, x->a, data);
        if (a == TRI_T)
            return TRI_T;
        int b = eval(e, x->b, data);
        if (b == TRI_T)
            return TRI_T;
        return a == TRI_F && b == TRI_F ? TRI_F : TRI_U;
    }
    case DAL_OP_NOT: {
        int a = eval(e, x->a, data);
        return a == TRI_U ? TRI_U : a == TRI_T ? TRI_F : TRI_T;
    }
    default: break;
    }
    const mem_kpart *kp = &e->t->fkp[x->field];
    switch (x->op) {
    case DAL_OP_IS_NULL: return mem_present(kp, data) ? TRI_F : TRI_T;
    case DAL_OP_IS_NOT_NULL: return mem_present(kp, data) ? TRI_T : TRI_F;
    case DAL_OP_IN: return eval_in(e, x, kp, data);
    default: return eval_cmp(e, x, kp, data);
    }
}

/* ------------------------------------------------------------------------ */
/* Planning                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct fixc {
    unsigned field;
    mem_cval v;
} fixc;

typedef struct rangec {
    unsigned field;
    dal_op op;
    mem_cval v;
} rangec;

typedef struct branch {
    const dal_expr *expr; /* the filter: every kept row makes it true */
    fixc fix[MAX_CONJ];
    size_t n_fix;
    rangec rg[MAX_CONJ];
    size_t n_rg;
    size_t n_other;       /* conjuncts that neither fix nor bound (extra filters) */
    bool empty;           /* a conjunct is never true (= NULL, < NULL) */
} branch;

/* The order rows must come out in: the query's order, then the primary key
 * fields it does not name (ascending). */
typedef struct ordspec {
    mem_kpart *kp;
    size_t n;
    mem_kpart local[24];
} ordspec;

typedef struct plan {
    bool hash;            /* a hash lookup on index idx */
    int idx;
    size_t cost;          /* entries it expects to read */
    size_t count;         /* entries between first and last */
    mem_rbnode *first, *last; /* the scan's ends in index order (NULL: nothing) */
    size_t k;             /* fixed leading parts */
    const rangec *lo_c, *hi_c; /* bounds on part k, in the field's own order (min, max) */
    bool backward;
    bool ordered;         /* the scan yields the whole order */
    size_t L;             /* ... or this long a prefix of it */
    size_t oprime[64];    /* the order's parts that are not fixed (indexes into ordspec) */
    size_t n_oprime;
} plan;

static const fixc *find_fix(const branch *b, unsigned field)
{
    for (size_t i = 0; i < b->n_fix; i++)
        if (b->fix[i].field == field)
            return &b->fix[i];
    return NULL;
}

static void add_fix(branch *b, unsigned field, mem_cval v)
{
    if (b->n_fix < MAX_CONJ && find_fix(b, field) == NULL) {
        b->fix[b->n_fix].field = field;
        b->fix[b->n_fix].v = v;
        b->n_fix++;
    } else {
        b->n_other++;
    }
}

/* Collects what the conjuncts of x (a top-level AND) fix and bound. */
static void collect(const qenv *e, const dal_expr *x, branch *b)
{
    if (x == NULL)
        return;
    if (x->op == DAL_OP_AND) {
        collect(e, x->a, b);
        collect(e, x->b, b);
        return;
    }
    const mem_kpart *kp;
    dal_value tmp;
    mem_cval cv;
    switch (x->op) {
    case DAL_OP_IS_NULL:
        memset(&cv, 0, sizeof cv);
        add_fix(b, x->field, cv);
        return;
    case DAL_OP_EQ:
        kp = &e->t->fkp[x->field];
        cv = mem_value_cval(operand(e, &x->rhs, &tmp));
        if (cv.kind == CV_NULL && !operand_nullable(e, &x->rhs))
            b->empty = true;
        else if (mem_cval_fits(kp, &cv))
            add_fix(b, x->field, cv);
        else
            b->n_other++;
        return;
    case DAL_OP_LT:
    case DAL_OP_LE:
    case DAL_OP_GT:
    case DAL_OP_GE:
        kp = &e->t->fkp[x->field];
        cv = mem_value_cval(operand(e, &x->rhs, &tmp));
        if (cv.kind == CV_NULL)
            b->empty = true;
        else if (mem_cval_fits(kp, &cv) && b->n_rg < MAX_CONJ) {
            b->rg[b->n_rg].field = x->field;
            b->rg[b->n_rg].op = x->op;
            b->rg[b->n_rg].v = cv;
            b->n_rg++;
        } else {
            b->n_other++;
        }
        return;
    default: b->n_other++; return;
    }
}

static void find_range(const branch *b, unsigned field, const rangec **lo, const rangec **hi)
{
    *lo = *hi = NULL;
    for (size_t i = 0; i < b->n_rg; i++) {
        if (b->rg[i].field != field)
            continue;
        if ((b->rg[i].op == DAL_OP_GT || b->rg[i].op == DAL_OP_GE) && *lo == NULL)
            *lo = &b->rg[i];
        if ((b->rg[i].op == DAL_OP_LT || b->rg[i].op == DAL_OP_LE) && *hi == NULL)
            *hi = &b->rg[i];
    }
}

/* How much of the order scanning index x (after k fixed parts) gives. */
static void match_order(const branch *b, const mem_oidx *x, size_t k, const ordspec *ord, plan *p)
{
    p->n_oprime = 0;
    p->L = 0;
    p->backward = false;
    p->ordered = true;
    if (ord == NULL)
        return;
    for (size_t i = 0; i < ord->n && p->n_oprime < sizeof p->oprime / sizeof p->oprime[0]; i++)
        if (find_fix(b, ord->kp[i].field) == NULL)
            p->oprime[p->n_oprime++] = i;
    size_t j = k;
    bool flip = false;
    while (p->L < p->n_oprime) {
        while (j < x->nkp && find_fix(b, x->kp[j].field) != NULL)
            j++;
        if (j >= x->nkp)
            break;
        const mem_kpart *o = &ord->kp[p->oprime[p->L]];
        if (o->field != x->kp[j].field)
            break;
        bool f = o->desc != x->kp[j].desc;
        if (p->L == 0)
            flip = f;
        else if (f != flip)
            break;
        p->L++;
        j++;
    }
    p->backward = flip && p->L > 0;
    p->ordered = p->L == p->n_oprime;
}

static bool hash_usable(const branch *b, const mem_hidx *h)
{
    for (size_t i = 0; i < h->nkp; i++) {
        const fixc *f = find_fix(b, h->kp[i].field);
        if (f == NULL || f->v.kind == CV_NULL)
            return false;
    }
    return true;
}

/* The first and last entries of the scan of p (in index order). */
static bool scan_bounds(const qenv *e, const branch *b, const plan *p, mem_rbnode **first, mem_rbnode **last,
                        mem_count *c)
{
    const mem_oidx *x = &e->t->oidx[p->idx];
    mem_cval lo[MAX_KEY], hi[MAX_KEY];
    size_t n_lo = p->k, n_hi = p->k;
    bool lo_strict = false, hi_strict = false;
    for (size_t j = 0; j < p->k; j++)
        lo[j] = hi[j] = find_fix(b, x->kp[j].field)->v;
    if (p->k < x->nkp) {
        /* a desc part runs from the largest value: min bounds the end */
        const rangec *start = x->kp[p->k].desc ? p->hi_c : p->lo_c;
        const rangec *end = x->kp[p->k].desc ? p->lo_c : p->hi_c;
        if (start != NULL) {
            lo[n_lo++] = start->v;
            lo_strict = start->op == DAL_OP_GT || start->op == DAL_OP_LT;
        }
        if (end != NULL) {
            hi[n_hi++] = end->v;
            hi_strict = end->op == DAL_OP_GT || end->op == DAL_OP_LT;
        }
    }
    *first = n_lo ? mem_oidx_seek_ge(x, e->t, lo, n_lo, lo_strict, c) : mem_rb_first(&x->tree);
    *last = n_hi ? mem_oidx_seek_le(x, e->t, hi, n_hi, hi_strict, c) : mem_rb_last(&x->tree);
    if (*first == NULL || *last == NULL)
        return false;
    if (*first == *last)
        return true;
    return mem_cmp_parts(x->kp, x->nkp, mem_data(e->t, mem_node_row(x, *first)),
                         mem_data(e->t, mem_node_row(x, *last))) < 0;
}

/* Sets p->first / last / count for the scan of index p->idx. */
static void measure(const qenv *e, const branch *b, plan *p, mem_count *c)
{
    const mem_oidx *x = &e->t->oidx[p->idx];
    if (p->k == 0 && p->lo_c == NULL && p->hi_c == NULL) {
        p->first = mem_rb_first(&x->tree);
        p->last = mem_rb_last(&x->tree);
        p->count = x->tree.n;
    } else if (scan_bounds(e, b, p, &p->first, &p->last, c)) {
        p->count = mem_rb_rank(p->last) - mem_rb_rank(p->first) + 1;
    } else {
        p->first = p->last = NULL;
        p->count = 0;
    }
}

/* Whether p is better than q: fewer entries expected, then the order given,
 * then a longer prefix of it. */
static bool better(const plan *p, const plan *q)
{
    if (p->cost != q->cost)
        return p->cost < q->cost;
    if (p->ordered != q->ordered)
        return p->ordered;
    return p->L > q->L;
}

/* Picks how to read the rows of branch b (see the comment at the top): a hash
 * lookup when a unique key is fixed, else the ordered index expected to read
 * the fewest entries, counted exactly from the tree (the entries inside its
 * fixed prefix and bounds, in O(log n)). An index that yields the order and
 * whose prefix and bounds are the whole branch stops after `need` rows, so it
 * costs min(count, need); any other costs its count. */
static void choose_plan(const qenv *e, const branch *b, const ordspec *ord, size_t need, plan *best, mem_count *c)
{
    const mem_table *t = e->t;
    memset(best, 0, sizeof *best);
    for (size_t h = 0; h < t->n_hidx; h++) {
        if (hash_usable(b, &t->hidx[h])) {
            best->hash = true;
            best->idx = (int)h;
            best->ordered = true;
            best->cost = 1;
            return;
        }
    }
    bool have = false;
    for (size_t i = 0; i < t->n_oidx; i++) {
        const mem_oidx *x = &t->oidx[i];
        plan p;
        memset(&p, 0, sizeof p);
        p.idx = (int)i;
        while (p.k < x->nkp && p.k < MAX_KEY - 1 && find_fix(b, x->kp[p.k].field) != NULL)
            p.k++;
        if (p.k < x->nkp)
            find_range(b, x->kp[p.k].field, &p.lo_c, &p.hi_c);
        match_order(b, x, p.k, ord, &p);
        measure(e, b, &p, c);
        size_t used = (size_t)(p.lo_c != NULL) + (size_t)(p.hi_c != NULL);
        bool covered = p.k == b->n_fix && used == b->n_rg && b->n_other == 0;
        p.cost = ord != NULL && p.ordered && covered && need < p.count ? need : p.count;
        if (!have || better(&p, best)) {
            *best = p;
            have = true;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Running a plan                                                            */
/* ------------------------------------------------------------------------ */

static dal_code nomem(const qenv *e, dal_error *err)
{
    return dal_set_error(err, DAL_ERR_NOMEM, "%s.%s: out of memory", e->t->m->name,
                         e->q->name[0] ? e->q->name : "query");
}

static dal_code run_hash(const qenv *e, const branch *b, const plan *p, mem_rowvec *out, mem_count *c,
                         dal_error *err)
{
    const mem_hidx *h = &e->t->hidx[p->idx];
    mem_cval v[MAX_KEY];
    if (h->nkp > MAX_KEY)
        return dal_set_error(err, DAL_ERR_INVALID, "%s: key of more than %d parts", h->name, MAX_KEY);
    for (size_t i = 0; i < h->nkp; i++)
        v[i] = find_fix(b, h->kp[i].field)->v;
    mem_row *r = mem_hidx_find_vals(h, e->t, mem_hash_vals(h, v), v, c);
    if (r != NULL && eval(e, b->expr, mem_data(e->t, r)) == TRI_T && !mem_rowvec_push(out, r))
        return nomem(e, err);
    return DAL_OK;
}

/* Whether rows a and b tie on the first L parts of the order p follows. */
static bool same_prefix(const qenv *e, const ordspec *ord, const plan *p, const mem_row *a, const mem_row *b)
{
    for (size_t i = 0; i < p->L; i++)
        if (mem_cmp_part(&ord->kp[p->oprime[i]], mem_data(e->t, a), mem_data(e->t, b)) != 0)
            return false;
    return true;
}

static dal_code run_scan(const qenv *e, const branch *b, const plan *p, const ordspec *ord, size_t need,
                         mem_rowvec *out, mem_count *c, dal_error *err)
{
    const mem_oidx *x = &e->t->oidx[p->idx];
    if (p->first == NULL)
        return DAL_OK;
    mem_rbnode *node = p->backward ? p->last : p->first, *stop = p->backward ? p->first : p->last;
    size_t kept = 0;
    const mem_row *boundary = NULL;
    bool can_stop = ord != NULL && (p->ordered || p->L > 0);
    for (;;) {
        mem_row *r = mem_node_row(x, node);
        c->reads++;
        if (eval(e, b->expr, mem_data(e->t, r)) == TRI_T) {
            if (boundary != NULL && !same_prefix(e, ord, p, boundary, r))
                break;
            if (!mem_rowvec_push(out, r))
                return nomem(e, err);
            if (++kept >= need && can_stop) {
                if (p->ordered)
                    break;
                if (boundary == NULL)
                    boundary = r;
            }
        }
        if (node == stop)
            break;
        node = p->backward ? mem_rb_prev(node) : mem_rb_next(node);
    }
    return DAL_OK;
}

static size_t sat_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* Splits a top-level OR into branches (NULL where: one branch, no filter). */
static size_t split_or(const dal_expr *x, const dal_expr **v, size_t n, size_t cap)
{
    if (x != NULL && x->op == DAL_OP_OR && n + 1 < cap) {
        n = split_or(x->a, v, n, cap);
        return split_or(x->b, v, n, cap);
    }
    v[n] = x;
    return n + 1;
}

/* Appends the rows the where of e->q accepts to out. *in_order: they come in
 * ord's order (always false when ord is NULL and there are several
 * branches: the caller sorts or does not care). *merged: several branches
 * contributed, so a row may appear twice (sort, then drop neighbours). */
static dal_code gather(const qenv *e, const ordspec *ord, size_t need, mem_rowvec *out, bool *in_order,
                       bool *merged, mem_count *c, dal_error *err)
{
    const dal_expr *parts[MAX_BRANCHES];
    size_t n = split_or(e->q->where, parts, 0, MAX_BRANCHES);
    branch local_b[2];
    plan local_p[2];
    branch *bs = n <= 2 ? local_b : malloc(n * sizeof *bs);
    plan *ps = n <= 2 ? local_p : malloc(n * sizeof *ps);
    dal_code rc = DAL_OK;
    if (bs == NULL || ps == NULL) {
        rc = nomem(e, err);
        goto done;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&bs[i], 0, sizeof bs[i]);
        bs[i].expr = parts[i];
        collect(e, parts[i], &bs[i]);
        if (!bs[i].empty) {
            choose_plan(e, &bs[i], ord, need, &ps[i], c);
            total = sat_add(total, ps[i].cost);
        }
    }
    if (n > 1 && total >= e->t->nrows) {
        /* one scan of everything is no worse than the branches */
        memset(&bs[0], 0, sizeof bs[0]);
        bs[0].expr = e->q->where;
        bs[0].n_other = 1;
        choose_plan(e, &bs[0], ord, need, &ps[0], c);
        n = 1;
    }
    *merged = n > 1;
    *in_order = n == 1;
    for (size_t i = 0; i < n && rc == DAL_OK; i++) {
        if (bs[i].empty)
            continue;
        if (ps[i].hash)
            rc = run_hash(e, &bs[i], &ps[i], out, c, err);
        else
            rc = run_scan(e, &bs[i], &ps[i], ord, need, out, c, err);
        if (n == 1 && !ps[i].ordered)
            *in_order = false;
    }
done:
    if (bs != local_b)
        free(bs);
    if (ps != local_p)
        free(ps);
    return rc;
}

/* Sorts rows by ord and, for merged branches, drops repeats. */
static dal_code order_rows(const qenv *e, const ordspec *ord, mem_rowvec *rows, bool dedupe, dal_error *err)
{
    sort_ctx sc = {ord->kp, ord->n, e->t->data_off};
    if (!sort_ptrs((void **)rows->v, rows->n, &sc))
        return nomem(e, err);
    if (dedupe) {
        size_t w = 0;
        for (size_t i = 0; i < rows->n; i++)
            if (w == 0 || rows->v[w - 1] != rows->v[i])
                rows->v[w++] = rows->v[i];
        rows->n = w;
    }
    return DAL_OK;
}

static void ordspec_free(ordspec *o)
{
    if (o->kp != o->local)
        free(o->kp);
}

static bool ordspec_alloc(ordspec *o, size_t n)
{
    o->n = 0;
    o->kp = n <= sizeof o->local / sizeof o->local[0] ? o->local : malloc(n * sizeof *o->kp);
    return o->kp != NULL;
}

/* The primary key fields ascending, after those already in o. */
static void ordspec_add_pk(ordspec *o, const mem_table *t)
{
    const dal_model *m = t->m;
    for (size_t k = 0; k < m->n_pk; k++) {
        bool named = false;
        for (size_t i = 0; i < o->n; i++)
            named = named || o->kp[i].field == m->pk[k];
        if (!named)
            o->kp[o->n++] = t->fkp[m->pk[k]];
    }
}

static bool select_order(const mem_table *t, const dal_query *q, ordspec *o)
{
    if (!ordspec_alloc(o, q->n_order + t->m->n_pk))
        return false;
    for (size_t i = 0; i < q->n_order; i++) {
        o->kp[o->n] = t->fkp[q->order[i].field];
        o->kp[o->n].desc = q->order[i].desc;
        o->n++;
    }
    ordspec_add_pk(o, t);
    return true;
}

static size_t operand_count(const qenv *e, const dal_operand *o, size_t none)
{
    dal_value tmp;
    if (o->kind == DAL_ARG_NONE)
        return none;
    const dal_value *v = operand(e, o, &tmp);
    if (v->is_null)
        return none;
    int64_t i = (v->type == DAL_U32 || v->type == DAL_U64) ? (int64_t)v->as.u : v->as.i;
    if (i < 0)
        return none; /* SQLite: a negative limit is no limit, a negative offset 0 */
    return (uint64_t)i > SIZE_MAX ? SIZE_MAX : (size_t)i;
}

/* Copies rows[from .. from+n) into a fresh list of m structs. */
static dal_code copy_out(const mem_table *t, mem_row *const *rows, size_t n, dal_list *out, dal_error *err)
{
    const dal_model *m = t->m;
    out->n = 0;
    out->v = NULL;
    if (n == 0)
        return DAL_OK;
    char *v = calloc(n, m->size);
    if (v == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "%s: out of memory for %zu rows", m->name, n);
    for (size_t i = 0; i < n; i++) {
        dal_code rc = dal_record_copy_fresh(m, v + i * m->size, mem_data(t, rows[i]), err);
        if (rc != DAL_OK) {
            dal_list partial = {i, v};
            dal_record_list_free(m, &partial);
            return rc;
        }
    }
    out->n = n;
    out->v = v;
    return DAL_OK;
}

dal_code mem_select(mem_store *st, mem_table *t, const dal_query *q, const dal_value *args, size_t max_rows,
                    dal_list *out, mem_count *c, dal_error *err)
{
    qenv e = {st, t, q, args, dal_now_us()};
    ordspec ord;
    if (!select_order(t, q, &ord))
        return nomem(&e, err);
    size_t limit = operand_count(&e, &q->limit, SIZE_MAX);
    size_t offset = operand_count(&e, &q->offset, 0);
    size_t take = limit < max_rows ? limit : max_rows;
    mem_rowvec rows;
    mem_rowvec_init(&rows);
    bool in_order = false, merged = false;
    dal_code rc = DAL_OK;
    if (take > 0)
        rc = gather(&e, &ord, sat_add(offset, take), &rows, &in_order, &merged, c, err);
    if (rc == DAL_OK && !in_order)
        rc = order_rows(&e, &ord, &rows, merged, err);
    if (rc == DAL_OK) {
        size_t from = offset < rows.n ? offset : rows.n;
        size_t n = rows.n - from < take ? rows.n - from : take;
        rc = copy_out(t, rows.v + from, n, out, err);
    }
    mem_rowvec_free(&rows);
    ordspec_free(&ord);
    return rc;
}

dal_code mem_count_select(mem_store *st, mem_table *t, const dal_query *q, const dal_value *args, int64_t *n,
                          mem_count *c, dal_error *err)
{
    qenv e = {st, t, q, args, dal_now_us()};
    size_t limit = operand_count(&e, &q->limit, SIZE_MAX);
    size_t offset = operand_count(&e, &q->offset, 0);
    mem_rowvec rows;
    mem_rowvec_init(&rows);
    bool in_order = false, merged = false;
    dal_code rc = DAL_OK;
    if (limit > 0)
        rc = gather(&e, NULL, sat_add(offset, limit), &rows, &in_order, &merged, c, err);
    if (rc == DAL_OK) {
        size_t after = rows.n > offset ? rows.n - offset : 0;
        *n = (int64_t)(after < limit ? after : limit);
    }
    mem_rowvec_free(&rows);
    return rc;
}

dal_code mem_copy_rows(const mem_table *t, mem_row *const *rows, size_t n, dal_list *out, dal_error *err)
{
    return copy_out(t, rows, n, out, err);
}

/* The rows an update that picks them (order by / limit) changes: the first
 * `limit` of its order, ties by primary key, as a select would find them. */
static dal_code match_picked(const qenv *e, mem_rowvec *out, mem_count *c, dal_error *err)
{
    const dal_query *q = e->q;
    size_t limit = q->result == DAL_R_FIRST ? 1 : operand_count(e, &q->limit, SIZE_MAX);
    ordspec ord;
    if (!select_order(e->t, q, &ord))
        return nomem(e, err);
    bool in_order = false, merged = false;
    dal_code rc = DAL_OK;
    if (limit > 0)
        rc = gather(e, &ord, limit, out, &in_order, &merged, c, err);
    if (rc == DAL_OK && !in_order)
        rc = order_rows(e, &ord, out, merged, err);
    if (rc == DAL_OK && out->n > limit)
        out->n = limit;
    ordspec_free(&ord);
    return rc;
}

dal_code mem_match(mem_store *st, mem_table *t, const dal_query *q, const dal_value *args, int64_t now,
                   mem_rowvec *out, mem_count *c, dal_error *err)
{
    qenv e = {st, t, q, args, now};
    if (q->kind == DAL_Q_UPDATE &&
        (q->n_order > 0 || q->limit.kind != DAL_ARG_NONE || q->result == DAL_R_FIRST))
        return match_picked(&e, out, c, err);
    bool in_order = false, merged = false;
    dal_code rc = gather(&e, NULL, SIZE_MAX, out, &in_order, &merged, c, err);
    if (rc == DAL_OK && merged) {
        ordspec pk;
        if (!ordspec_alloc(&pk, t->m->n_pk))
            return nomem(&e, err);
        ordspec_add_pk(&pk, t);
        rc = order_rows(&e, &pk, out, true, err);
        ordspec_free(&pk);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Lookups for constraints                                                   */
/* ------------------------------------------------------------------------ */

dal_code mem_rows_equal(const mem_table *t, int oidx, const mem_cval *v, mem_rowvec *out, mem_count *c,
                        dal_error *err)
{
    const mem_oidx *x = &t->oidx[oidx];
    for (mem_rbnode *n = mem_oidx_seek_ge(x, t, v, 1, false, c); n != NULL; n = mem_rb_next(n)) {
        mem_row *r = mem_node_row(x, n);
        c->reads++;
        if (mem_cmp_probe(x->kp, 1, mem_data(t, r), v) != 0)
            break;
        if (!mem_rowvec_push(out, r))
            return dal_set_error(err, DAL_ERR_NOMEM, "%s: out of memory", t->m->table);
    }
    return DAL_OK;
}

bool mem_any_equal(const mem_table *t, unsigned field, int hidx, int oidx, const mem_cval *v, mem_count *c)
{
    if (hidx >= 0) {
        const mem_hidx *h = &t->hidx[hidx];
        return mem_hidx_find_vals(h, t, mem_hash_vals(h, v), v, c) != NULL;
    }
    if (oidx >= 0) {
        const mem_oidx *x = &t->oidx[oidx];
        mem_rbnode *n = mem_oidx_seek_ge(x, t, v, 1, false, c);
        if (n == NULL)
            return false;
        c->reads++;
        return mem_cmp_probe(x->kp, 1, mem_data(t, mem_node_row(x, n)), v) == 0;
    }
    const mem_oidx *x = &t->oidx[0];
    for (mem_rbnode *n = mem_rb_first(&x->tree); n != NULL; n = mem_rb_next(n)) {
        c->reads++;
        if (mem_cmp_value(&t->fkp[field], mem_data(t, mem_node_row(x, n)), v) == 0)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* Aggregates                                                                */
/* ------------------------------------------------------------------------ */

/* One aggregate over a group's rows, as SQLite 3.40 computes it: sum keeps
 * an exact integer sum (an overflow is an error) and a double sum used once a
 * real is seen; avg is the double sum over the count. */
typedef struct acc {
    int64_t cnt, isum;
    double rsum;
    bool approx, overflow;
    const mem_row *best; /* min / max */
} acc;

static void acc_add(acc *a, const dal_agg_item *it, const mem_table *t, const mem_row *r)
{
    const mem_kpart *kp = &t->fkp[it->field];
    const void *d = mem_data(t, r);
    mem_cval v = mem_field_cval(kp, d);
    if (v.kind == CV_NULL)
        return;
    a->cnt++;
    switch (it->fn) {
    case DAL_AGG_SUM:
    case DAL_AGG_AVG:
        if (v.kind == CV_INT && !(kp->type == DAL_ENUM && kp->rank != NULL)) {
            a->rsum += (double)v.i;
            if (!a->approx && !a->overflow && __builtin_add_overflow(a->isum, v.i, &a->isum))
                a->approx = a->overflow = true;
        } else {
            a->rsum += v.kind == CV_REAL ? v.d : 0.0; /* text counts as 0 in SQLite's sum */
            a->approx = true;
        }
        break;
    case DAL_AGG_MIN:
        if (a->best == NULL || mem_cmp_part(kp, d, mem_data(t, a->best)) < 0)
            a->best = r;
        break;
    case DAL_AGG_MAX:
        if (a->best == NULL || mem_cmp_part(kp, d, mem_data(t, a->best)) > 0)
            a->best = r;
        break;
    default: break;
    }
}

static dal_code set_item(const dal_query *q, size_t i, void *rec, const dal_value *v, dal_error *err)
{
    const dal_field *f = &q->row->fields[i];
    if (v->is_null && !(f->flags & DAL_F_OPTIONAL))
        return DAL_OK; /* a required field keeps its zero */
    dal_code rc = dal_field_set(f, rec, v, err);
    if (rc != DAL_OK)
        dal_error_prefix(err, "%s.%s", q->model->name, q->name);
    return rc;
}

/* Fills record rec from the group rows[0..n). */
static dal_code fill_group(const mem_table *t, const dal_query *q, mem_row *const *rows, size_t n, void *rec,
                           dal_error *err)
{
    for (size_t i = 0; i < q->n_items; i++) {
        const dal_agg_item *it = &q->items[i];
        dal_value v;
        memset(&v, 0, sizeof v);
        if (it->fn == DAL_AGG_GROUP) {
            v = dal_field_value(&t->m->fields[it->field], mem_data(t, rows[0]));
        } else if (it->fn == DAL_AGG_COUNT && it->field < 0) {
            v.type = DAL_INT;
            v.as.i = (int64_t)n;
        } else {
            acc a;
            memset(&a, 0, sizeof a);
            for (size_t k = 0; k < n; k++)
                acc_add(&a, it, t, rows[k]);
            switch (it->fn) {
            case DAL_AGG_COUNT: v.type = DAL_INT; v.as.i = a.cnt; break;
            case DAL_AGG_SUM:
                if (a.overflow)
                    return dal_set_error(err, DAL_ERR_DATABASE, "%s.%s: integer overflow in sum(%s)",
                                         q->model->name, q->name, t->m->fields[it->field].name);
                if (a.cnt == 0)
                    v.is_null = true;
                else if (a.approx) {
                    v.type = DAL_REAL;
                    v.as.d = a.rsum;
                } else {
                    v.type = DAL_INT;
                    v.as.i = a.isum;
                }
                break;
            case DAL_AGG_AVG:
                v.type = DAL_REAL;
                v.is_null = a.cnt == 0;
                v.as.d = a.cnt ? a.rsum / (double)a.cnt : 0;
                break;
            default:
                if (a.best == NULL)
                    v.is_null = true;
                else
                    v = dal_field_value(&t->m->fields[it->field], mem_data(t, a.best));
                break;
            }
        }
        dal_code rc = set_item(q, i, rec, &v, err);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* The order of aggregate rows: the query's, then the group fields asc. */
static bool aggregate_order(const mem_store *st, const dal_query *q, ordspec *o)
{
    if (!ordspec_alloc(o, q->n_order + q->n_items))
        return false;
    const dal_model *row = q->row;
    for (size_t i = 0; i < q->n_order; i++) {
        const dal_field *f = &row->fields[q->order[i].field];
        mem_kpart_init(&o->kp[o->n++], f, q->order[i].field, q->order[i].desc, mem_store_rank(st, f->enumt));
    }
    for (size_t i = 0; i < q->n_items; i++) {
        if (q->items[i].fn != DAL_AGG_GROUP)
            continue;
        bool named = false;
        for (size_t k = 0; k < q->n_order; k++)
            named = named || q->order[k].field == i;
        if (!named)
            mem_kpart_init(&o->kp[o->n++], &row->fields[i], (unsigned)i, false,
                           mem_store_rank(st, row->fields[i].enumt));
    }
    return true;
}

/* Groups rows (sorted by the group fields) into records in recs. */
static dal_code build_groups(const qenv *e, const ordspec *grp, mem_rowvec *rows, char **recs, size_t *n_recs,
                             dal_error *err)
{
    const dal_query *q = e->q;
    size_t n_groups = 0;
    for (size_t i = 0; i < rows->n; i++)
        if (i == 0 || mem_cmp_parts(grp->kp, grp->n, mem_data(e->t, rows->v[i - 1]), mem_data(e->t, rows->v[i])))
            n_groups++;
    char *v = n_groups ? calloc(n_groups, q->row->size) : NULL;
    if (n_groups && v == NULL)
        return nomem(e, err);
    size_t g = 0, start = 0;
    for (size_t i = 1; i <= rows->n && rows->n > 0; i++) {
        if (i < rows->n &&
            mem_cmp_parts(grp->kp, grp->n, mem_data(e->t, rows->v[i - 1]), mem_data(e->t, rows->v[i])) == 0)
            continue;
        dal_code rc = fill_group(e->t, q, rows->v + start, i - start, v + g * q->row->size, err);
        if (rc != DAL_OK) {
            dal_list partial = {g + 1, v};
            dal_record_list_free(q->row, &partial);
            return rc;
        }
        g++;
        start = i;
    }
    *recs = v;
    *n_recs = n_groups;
    return DAL_OK;
}

/* Orders records, applies offset / limit, and hands the slice to out. */
static dal_code finish_groups(const qenv *e, const ordspec *ord, char *recs, size_t n, dal_list *out,
                              dal_error *err)
{
    const dal_model *row = e->q->row;
    void **ptrs = n ? malloc(n * sizeof *ptrs) : NULL;
    char *sorted = n ? malloc(n * row->size) : NULL;
    if (n && (ptrs == NULL || sorted == NULL)) {
        free(ptrs);
        free(sorted);
        dal_list all = {n, recs};
        dal_record_list_free(row, &all);
        return nomem(e, err);
    }
    for (size_t i = 0; i < n; i++)
        ptrs[i] = recs + i * row->size;
    sort_ctx sc = {ord->kp, ord->n, 0};
    bool ok = sort_ptrs(ptrs, n, &sc);
    size_t limit = operand_count(e, &e->q->limit, SIZE_MAX);
    size_t offset = operand_count(e, &e->q->offset, 0);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        /* sorted order; records outside the slice are cleared */
        char *r = ok ? ptrs[i] : recs + i * row->size;
        if (i >= offset && kept < limit)
            memcpy(sorted + (kept++) * row->size, r, row->size);
        else
            dal_record_clear(row, r);
    }
    free(ptrs);
    free(recs);
    if (!ok) {
        dal_list part = {kept, sorted};
        dal_record_list_free(row, &part);
        return nomem(e, err);
    }
    out->n = kept;
    out->v = kept ? sorted : NULL;
    if (!kept)
        free(sorted);
    return DAL_OK;
}

dal_code mem_aggregate(mem_store *st, mem_table *t, const dal_query *q, const dal_value *args, dal_list *out,
                       mem_count *c, dal_error *err)
{
    qenv e = {st, t, q, args, dal_now_us()};
    mem_rowvec rows;
    mem_rowvec_init(&rows);
    ordspec grp, ord;
    grp.kp = ord.kp = NULL;
    bool have_grp = ordspec_alloc(&grp, q->n_group), have_ord = have_grp && aggregate_order(st, q, &ord);
    dal_code rc = DAL_OK;
    if (!have_grp || !have_ord) {
        rc = nomem(&e, err);
        goto done;
    }
    for (size_t g = 0; g < q->n_group; g++)
        grp.kp[grp.n++] = t->fkp[q->group[g]];
    rc = mem_match(st, t, q, args, e.now, &rows, c, err);
    if (rc == DAL_OK && grp.n > 0)
        rc = order_rows(&e, &grp, &rows, false, err);
    char *recs = NULL;
    size_t n = 0;
    if (rc == DAL_OK && (rows.n > 0 || q->n_group > 0))
        rc = build_groups(&e, &grp, &rows, &recs, &n, err);
    else if (rc == DAL_OK) {
        /* no group by and no rows: SQLite still returns one row */
        if ((recs = calloc(1, q->row->size)) == NULL)
            rc = nomem(&e, err);
        else if ((rc = fill_group(t, q, rows.v, 0, recs, err)) != DAL_OK) {
            dal_record_clear(q->row, recs);
            free(recs);
        } else
            n = 1;
    }
    if (rc == DAL_OK)
        rc = finish_groups(&e, &ord, recs, n, out, err);
done:
    mem_rowvec_free(&rows);
    if (have_grp)
        ordspec_free(&grp);
    if (have_ord)
        ordspec_free(&ord);
    return rc;
}
