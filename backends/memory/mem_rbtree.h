/*
 * mem_rbtree.h - an intrusive red-black tree (the memory backend's ordered
 * index structure).
 *
 * Intrusive: the node lives inside the element (a stored row carries one node
 * per ordered index of its table), so linking and unlinking never allocate,
 * and unlinking needs no key comparison at all. The caller compares: it walks
 * down from root to find the empty child slot for a new node (mem_rb_link
 * then rebalances), and it positions scans itself. Every operation is
 * O(log n) worst case; next / prev walk the order in both directions.
 *
 * Order-statistic: every node knows the size of its subtree, so the position
 * of a node (mem_rb_rank), and with it the number of entries between two
 * nodes, costs O(log n). The planner uses it to count candidate ranges.
 */
#include <stdint.h>
#ifndef MEM_RBTREE_H
#define MEM_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mem_rbnode {
    struct mem_rbnode *left, *right, *parent;
    uint32_t size; /* nodes in this subtree */
    bool red;
} mem_rbnode;

typedef struct mem_rbtree {
    mem_rbnode *root;
    size_t n;
} mem_rbtree;

/* Puts node into the empty slot *link, a child slot of parent (or &t->root
 * with parent NULL), then rebalances. */
void mem_rb_link(mem_rbtree *t, mem_rbnode *node, mem_rbnode *parent, mem_rbnode **link);
/* Removes node (which must be in t). */
void mem_rb_erase(mem_rbtree *t, mem_rbnode *node);
/* Puts fresh (not in any tree) at the place of old (in t), which leaves t;
 * the caller guarantees fresh sorts where old did. */
void mem_rb_replace(mem_rbtree *t, mem_rbnode *old, mem_rbnode *fresh);

mem_rbnode *mem_rb_first(const mem_rbtree *t);
mem_rbnode *mem_rb_last(const mem_rbtree *t);
mem_rbnode *mem_rb_next(const mem_rbnode *n);
mem_rbnode *mem_rb_prev(const mem_rbnode *n);
/* Position of n in t's order, from 0. */
size_t mem_rb_rank(const mem_rbnode *n);

/* Checks the red-black invariants, parent links, subtree sizes and the count. Returns the
 * black height, or -1 when something is wrong (tests only: O(n)). */
int mem_rb_check(const mem_rbtree *t);

#endif /* MEM_RBTREE_H */
