/*
 * mem_rbtree.c - intrusive red-black tree with parent links (see mem_rbtree.h).
 * Absent children are NULL and count as black.
 */
#include "mem_rbtree.h"

static bool is_red(const mem_rbnode *n)
{
    return n != NULL && n->red;
}

/* Makes v take u's place under u's parent (v may be NULL). */
static void transplant(mem_rbtree *t, mem_rbnode *u, mem_rbnode *v)
{
    if (u->parent == NULL)
        t->root = v;
    else if (u == u->parent->left)
        u->parent->left = v;
    else
        u->parent->right = v;
    if (v != NULL)
        v->parent = u->parent;
}

static uint32_t size_of(const mem_rbnode *n)
{
    return n != NULL ? n->size : 0;
}

/* After a rotation y took x's place: y has x's old subtree, x is recounted. */
static void resize(mem_rbnode *x, mem_rbnode *y)
{
    y->size = x->size;
    x->size = size_of(x->left) + size_of(x->right) + 1;
}

static void rotate_left(mem_rbtree *t, mem_rbnode *x)
{
    mem_rbnode *y = x->right;
    x->right = y->left;
    if (y->left != NULL)
        y->left->parent = x;
    transplant(t, x, y);
    y->left = x;
    x->parent = y;
    resize(x, y);
}

static void rotate_right(mem_rbtree *t, mem_rbnode *x)
{
    mem_rbnode *y = x->left;
    x->left = y->right;
    if (y->right != NULL)
        y->right->parent = x;
    transplant(t, x, y);
    y->right = x;
    x->parent = y;
    resize(x, y);
}

static void insert_fixup(mem_rbtree *t, mem_rbnode *z)
{
    mem_rbnode *p;
    while ((p = z->parent) != NULL && p->red) {
        mem_rbnode *g = p->parent; /* exists: a red node is never the root */
        if (p == g->left) {
            mem_rbnode *u = g->right;
            if (is_red(u)) {
                p->red = false;
                u->red = false;
                g->red = true;
                z = g;
                continue;
            }
            if (z == p->right) {
                rotate_left(t, p);
                z = p;
                p = z->parent;
            }
            p->red = false;
            g->red = true;
            rotate_right(t, g);
        } else {
            mem_rbnode *u = g->left;
            if (is_red(u)) {
                p->red = false;
                u->red = false;
                g->red = true;
                z = g;
                continue;
            }
            if (z == p->left) {
                rotate_right(t, p);
                z = p;
                p = z->parent;
            }
            p->red = false;
            g->red = true;
            rotate_left(t, g);
        }
    }
    t->root->red = false;
}

void mem_rb_link(mem_rbtree *t, mem_rbnode *node, mem_rbnode *parent, mem_rbnode **link)
{
    node->left = node->right = NULL;
    node->parent = parent;
    node->red = true;
    node->size = 1;
    for (mem_rbnode *p = parent; p != NULL; p = p->parent)
        p->size++;
    *link = node;
    t->n++;
    insert_fixup(t, node);
}

static mem_rbnode *leftmost(mem_rbnode *n)
{
    while (n->left != NULL)
        n = n->left;
    return n;
}

static mem_rbnode *rightmost(mem_rbnode *n)
{
    while (n->right != NULL)
        n = n->right;
    return n;
}

/* x (possibly NULL) under xp carries an extra black; push it up or fix it. */
static void erase_fixup(mem_rbtree *t, mem_rbnode *x, mem_rbnode *xp)
{
    while (x != t->root && !is_red(x)) {
        if (x == xp->left) {
            mem_rbnode *w = xp->right;
            if (w->red) {
                w->red = false;
                xp->red = true;
                rotate_left(t, xp);
                w = xp->right;
            }
            if (!is_red(w->left) && !is_red(w->right)) {
                w->red = true;
                x = xp;
                xp = x->parent;
                continue;
            }
            if (!is_red(w->right)) {
                w->left->red = false;
                w->red = true;
                rotate_right(t, w);
                w = xp->right;
            }
            w->red = xp->red;
            xp->red = false;
            w->right->red = false;
            rotate_left(t, xp);
        } else {
            mem_rbnode *w = xp->left;
            if (w->red) {
                w->red = false;
                xp->red = true;
                rotate_right(t, xp);
                w = xp->left;
            }
            if (!is_red(w->left) && !is_red(w->right)) {
                w->red = true;
                x = xp;
                xp = x->parent;
                continue;
            }
            if (!is_red(w->left)) {
                w->right->red = false;
                w->red = true;
                rotate_left(t, w);
                w = xp->left;
            }
            w->red = xp->red;
            xp->red = false;
            w->left->red = false;
            rotate_right(t, xp);
        }
        x = t->root;
        break;
    }
    if (x != NULL)
        x->red = false;
}

void mem_rb_erase(mem_rbtree *t, mem_rbnode *z)
{
    mem_rbnode *x, *xp;
    bool removed_red = z->red;
    mem_rbnode *gone = (z->left == NULL || z->right == NULL) ? z : leftmost(z->right);
    for (mem_rbnode *p = gone->parent; p != NULL; p = p->parent)
        p->size--; /* the subtrees that lose a node (z's, when gone is its successor) */
    if (z->left == NULL) {
        x = z->right;
        xp = z->parent;
        transplant(t, z, z->right);
    } else if (z->right == NULL) {
        x = z->left;
        xp = z->parent;
        transplant(t, z, z->left);
    } else {
        mem_rbnode *y = gone;
        removed_red = y->red;
        x = y->right;
        if (y->parent == z) {
            xp = y;
        } else {
            xp = y->parent;
            transplant(t, y, y->right);
            y->right = z->right;
            y->right->parent = y;
        }
        transplant(t, z, y);
        y->left = z->left;
        y->left->parent = y;
        y->red = z->red;
        y->size = z->size;
    }
    t->n--;
    if (!removed_red)
        erase_fixup(t, x, xp);
    z->left = z->right = z->parent = NULL;
}

void mem_rb_replace(mem_rbtree *t, mem_rbnode *old, mem_rbnode *fresh)
{
    *fresh = *old;
    if (old->parent == NULL)
        t->root = fresh;
    else if (old->parent->left == old)
        old->parent->left = fresh;
    else
        old->parent->right = fresh;
    if (old->left != NULL)
        old->left->parent = fresh;
    if (old->right != NULL)
        old->right->parent = fresh;
    old->left = old->right = old->parent = NULL;
}

mem_rbnode *mem_rb_first(const mem_rbtree *t)
{
    return t->root != NULL ? leftmost(t->root) : NULL;
}

mem_rbnode *mem_rb_last(const mem_rbtree *t)
{
    return t->root != NULL ? rightmost(t->root) : NULL;
}

mem_rbnode *mem_rb_next(const mem_rbnode *n)
{
    if (n->right != NULL)
        return leftmost(n->right);
    const mem_rbnode *p = n->parent;
    while (p != NULL && n == p->right) {
        n = p;
        p = p->parent;
    }
    return (mem_rbnode *)p;
}

mem_rbnode *mem_rb_prev(const mem_rbnode *n)
{
    if (n->left != NULL)
        return rightmost(n->left);
    const mem_rbnode *p = n->parent;
    while (p != NULL && n == p->left) {
        n = p;
        p = p->parent;
    }
    return (mem_rbnode *)p;
}

size_t mem_rb_rank(const mem_rbnode *n)
{
    size_t r = size_of(n->left);
    for (; n->parent != NULL; n = n->parent)
        if (n == n->parent->right)
            r += size_of(n->parent->left) + 1;
    return r;
}

/* Black height of the subtree at n, or -1; counts its nodes into *count. */
static int check_subtree(const mem_rbnode *n, const mem_rbnode *parent, size_t *count)
{
    if (n == NULL)
        return 1;
    if (n->parent != parent)
        return -1;
    if (n->red && (is_red(n->left) || is_red(n->right)))
        return -1;
    size_t before = *count;
    int l = check_subtree(n->left, n, count);
    int r = check_subtree(n->right, n, count);
    if (l < 0 || r < 0 || l != r)
        return -1;
    (*count)++;
    if (n->size != *count - before)
        return -1;
    return l + (n->red ? 0 : 1);
}

int mem_rb_check(const mem_rbtree *t)
{
    size_t count = 0;
    if (t->root != NULL && t->root->red)
        return -1;
    int h = check_subtree(t->root, NULL, &count);
    return count == t->n ? h : -1;
}
