/*
 * test_mem_rbtree.c - the memory backend's ordered index structure on its own:
 * 100,000 random inserts and deletes (fixed seed) checked against a sorted
 * reference array, with the red-black invariants verified as it goes, plus
 * replace, ranks (subtree sizes) and both scan directions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem_rbtree.h"

typedef struct elem {
    int key;
    int id; /* tie-break: keys repeat, (key, id) does not */
    bool in;
    mem_rbnode node;
} elem;

static elem *of(mem_rbnode *n)
{
    return (elem *)(void *)((char *)n - offsetof(elem, node));
}

static int cmp(const elem *a, const elem *b)
{
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static void insert(mem_rbtree *t, elem *e)
{
    mem_rbnode **link = &t->root, *parent = NULL;
    while (*link != NULL) {
        parent = *link;
        link = cmp(e, of(parent)) < 0 ? &parent->left : &parent->right;
    }
    mem_rb_link(t, &e->node, parent, link);
    e->in = true;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static int cmp_ptr(const void *a, const void *b)
{
    return cmp(*(elem *const *)a, *(elem *const *)b);
}

/* The tree, read forwards and backwards, equals the sorted members. */
static void check_against_reference(mem_rbtree *t, elem *pool, size_t n_pool)
{
    elem **ref = malloc(n_pool * sizeof *ref);
    assert_non_null(ref);
    size_t n = 0;
    for (size_t i = 0; i < n_pool; i++)
        if (pool[i].in)
            ref[n++] = &pool[i];
    qsort(ref, n, sizeof *ref, cmp_ptr);
    assert_int_equal(t->n, n);
    assert_true(mem_rb_check(t) >= 0);
    size_t i = 0;
    for (mem_rbnode *x = mem_rb_first(t); x != NULL; x = mem_rb_next(x), i++) {
        assert_ptr_equal(of(x), ref[i]);
        assert_int_equal(mem_rb_rank(x), i);
    }
    assert_int_equal(i, n);
    for (mem_rbnode *x = mem_rb_last(t); x != NULL; x = mem_rb_prev(x))
        assert_ptr_equal(of(x), ref[--i]);
    assert_int_equal(i, 0);
    free(ref);
}

static void test_random_ops(void **state)
{
    (void)state;
    enum { POOL = 20000, OPS = 100000 };
    elem *pool = calloc(POOL, sizeof *pool);
    assert_non_null(pool);
    for (int i = 0; i < POOL; i++) {
        pool[i].key = (int)(rnd() % 5000); /* many equal keys */
        pool[i].id = i;
    }
    mem_rbtree t = {NULL, 0};
    size_t inserts = 0, erases = 0;
    for (int op = 0; op < OPS; op++) {
        elem *e = &pool[rnd() % POOL];
        if (e->in) {
            mem_rb_erase(&t, &e->node);
            e->in = false;
            erases++;
        } else {
            insert(&t, e);
            inserts++;
        }
        if (op % 997 == 0)
            assert_true(mem_rb_check(&t) >= 0);
        if (op % 20011 == 0)
            check_against_reference(&t, pool, POOL);
    }
    check_against_reference(&t, pool, POOL);
    assert_true(inserts > 40000 && erases > 30000);
    /* empty it completely */
    for (int i = 0; i < POOL; i++)
        if (pool[i].in) {
            mem_rb_erase(&t, &pool[i].node);
            pool[i].in = false;
        }
    assert_int_equal(t.n, 0);
    assert_null(t.root);
    assert_null(mem_rb_first(&t));
    assert_int_equal(mem_rb_check(&t), 1);
    free(pool);
}

static void test_sequential_and_replace(void **state)
{
    (void)state;
    enum { N = 4096 };
    elem *a = calloc(N, sizeof *a), *b = calloc(N, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    mem_rbtree t = {NULL, 0};
    for (int i = 0; i < N; i++) { /* ascending keys: the worst case for a plain BST */
        a[i].key = i;
        a[i].id = 0;
        insert(&t, &a[i]);
    }
    int h = mem_rb_check(&t);
    assert_true(h > 0 && h <= 13); /* black height <= log2(n + 1) */
    /* replace every other element by an equal-keyed twin */
    for (int i = 0; i < N; i += 2) {
        b[i] = a[i];
        mem_rb_replace(&t, &a[i].node, &b[i].node);
        a[i].in = false;
        b[i].in = true;
    }
    assert_true(mem_rb_check(&t) >= 0);
    int i = 0;
    for (mem_rbnode *x = mem_rb_first(&t); x != NULL; x = mem_rb_next(x), i++)
        assert_ptr_equal(of(x), i % 2 == 0 ? &b[i] : &a[i]);
    assert_int_equal(i, N);
    /* descending erase from the back */
    for (int k = N - 1; k >= 0; k--) {
        mem_rbnode *last = mem_rb_last(&t);
        assert_int_equal(of(last)->key, k);
        mem_rb_erase(&t, last);
        if (k % 511 == 0)
            assert_true(mem_rb_check(&t) >= 0);
    }
    assert_int_equal(t.n, 0);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_sequential_and_replace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
