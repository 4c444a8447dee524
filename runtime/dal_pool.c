/*
 * dal_pool.c - a connection pool, generic over what a "connection" is: the
 * backend hands in open/close hooks and gets back opaque pointers.
 *
 * Every connection lives in a slot (max_connections of them, fixed for the
 * pool's life). One mutex guards the slots, the counters and the idle stack;
 * one condition variable (on CLOCK_MONOTONIC, so wall-clock jumps do not
 * shorten or stretch waits) wakes waiters when a connection is released or a
 * slot frees up. Opening and closing connections happen outside the lock:
 * they can be slow.
 *
 * Affinity: a thread that releases a connection gets the same one back on
 * its next acquire while it is idle (each thread remembers, per pool, the
 * slot it last released), so a connection, its statement cache and its
 * pages stay with one thread and its CPU cache instead of moving between
 * threads on every call. Otherwise the most recently released idle
 * connection is handed out: the idle stack keeps release order, so spare
 * connections sink to the bottom, stay unused and are closed once
 * idle_timeout_ms passes (the bottom min_idle are kept).
 *
 * A thread that already holds every connection (max_connections reached, all
 * of them taken by this thread, say by a transaction it has open) would wait
 * for itself: such an acquire fails at once with DAL_ERR_POOL instead of
 * after connection_timeout_ms. It counts neither as a wait nor a timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dal_backend.h"

typedef enum slot_state { SLOT_EMPTY = 0, SLOT_OPENING, SLOT_IDLE, SLOT_BUSY } slot_state;

typedef struct slot {
    void *conn;
    slot_state state;
    pthread_t holder;     /* SLOT_BUSY / SLOT_OPENING: the thread that acquired it */
    int64_t since_ms;     /* SLOT_IDLE: monotonic time it was released */
} slot;

struct dal_pool {
    dal_pool_hooks hooks;
    dal_options opts;
    uint64_t serial;      /* unique per pool ever made: the key of a thread's affinity */
    pthread_mutex_t lock;
    pthread_cond_t freed; /* a connection was released or a slot freed */
    slot *slots;          /* [max_connections] */
    unsigned *idle;       /* slot indexes of idle connections; [0] released longest ago */
    unsigned n_idle;
    unsigned n_open;      /* open (or being opened) connections, idle included */
    unsigned active;
    uint64_t waits, timeouts;
    bool destroyed;       /* destroy was called while connections were out */
};

static atomic_uint_fast64_t pool_serials = 1;

/* Per thread: the slot it last released, for the few pools it used last. */
#define AFFINITY_WAYS 4
static _Thread_local struct {
    uint64_t serial;
    unsigned slot;
} affinity[AFFINITY_WAYS];
static _Thread_local unsigned affinity_next;

static bool affinity_get(const dal_pool *p, unsigned *slot_index)
{
    for (unsigned i = 0; i < AFFINITY_WAYS; i++) {
        if (affinity[i].serial == p->serial) {
            *slot_index = affinity[i].slot;
            return true;
        }
    }
    return false;
}

static void affinity_set(const dal_pool *p, unsigned slot_index)
{
    for (unsigned i = 0; i < AFFINITY_WAYS; i++) {
        if (affinity[i].serial == p->serial) {
            affinity[i].slot = slot_index;
            return;
        }
    }
    unsigned i = affinity_next++ % AFFINITY_WAYS;
    affinity[i].serial = p->serial;
    affinity[i].slot = slot_index;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pool_free(dal_pool *p)
{
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
    free(p->idle);
    free(p->slots);
    free(p);
}

/* Under the lock: a slot without a connection. One exists whenever
 * n_open < max_connections. */
static unsigned empty_slot(const dal_pool *p)
{
    unsigned i = 0;
    while (p->slots[i].state != SLOT_EMPTY)
        i++;
    return i;
}

/* Under the lock: takes idle stack entry k out; returns its slot. */
static unsigned idle_take(dal_pool *p, unsigned k)
{
    unsigned s = p->idle[k];
    memmove(&p->idle[k], &p->idle[k + 1], (p->n_idle - 1 - k) * sizeof p->idle[0]);
    p->n_idle--;
    return s;
}

#define EXPIRE_BATCH 16

/* Under the lock: moves up to EXPIRE_BATCH idle connections beyond min_idle
 * that stayed unused for idle_timeout_ms into out (to be closed after
 * unlocking); returns how many. */
static unsigned take_expired(dal_pool *p, void **out)
{
    unsigned n = 0;
    if (p->n_idle <= p->opts.min_idle)
        return 0;
    int64_t now = monotonic_ms();
    while (n < EXPIRE_BATCH && p->n_idle > p->opts.min_idle &&
           now - p->slots[p->idle[0]].since_ms >= (int64_t)p->opts.idle_timeout_ms) {
        slot *s = &p->slots[idle_take(p, 0)];
        out[n++] = s->conn;
        *s = (slot){0};
        p->n_open--;
    }
    return n;
}

static void close_all(dal_pool *p, void **conns, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p->hooks.close(p->hooks.ctx, conns[i]);
}

dal_pool *dal_pool_create(const dal_pool_hooks *hooks, const dal_options *opts, dal_error *err)
{
    if (hooks == NULL || hooks->open == NULL || hooks->close == NULL || opts == NULL) {
        dal_set_error(err, DAL_ERR_INVALID, "pool: hooks and options are required");
        return NULL;
    }
    if (opts->max_connections == 0 || opts->min_idle > opts->max_connections) {
        dal_set_error(err, DAL_ERR_INVALID, "pool: max_connections %u, min_idle %u: want 1 <= max and min_idle <= max",
                      opts->max_connections, opts->min_idle);
        return NULL;
    }
    dal_pool *p = calloc(1, sizeof *p);
    if (p == NULL || (p->idle = calloc(opts->max_connections, sizeof *p->idle)) == NULL ||
        (p->slots = calloc(opts->max_connections, sizeof *p->slots)) == NULL) {
        if (p != NULL)
            free(p->idle);
        free(p);
        dal_set_error(err, DAL_ERR_NOMEM, "pool: out of memory");
        return NULL;
    }
    p->hooks = *hooks;
    p->opts = *opts;
    p->serial = atomic_fetch_add(&pool_serials, 1);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->freed, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&p->lock, NULL);

    int64_t now = monotonic_ms();
    for (unsigned i = 0; i < opts->min_idle; i++) {
        void *c = hooks->open(hooks->ctx, i == 0 ? err : NULL);
        if (c == NULL) {
            if (i == 0) {
                pool_free(p);
                return NULL;
            }
            break; /* the first opened: later ones are opened on demand */
        }
        p->slots[i] = (slot){.conn = c, .state = SLOT_IDLE, .since_ms = now};
        p->idle[p->n_idle++] = i;
        p->n_open++;
    }
    return p;
}

void dal_pool_destroy(dal_pool *p)
{
    if (p == NULL)
        return;
    void **conns = NULL;
    unsigned n = 0;
    pthread_mutex_lock(&p->lock);
    conns = malloc((p->n_idle ? p->n_idle : 1) * sizeof *conns);
    for (unsigned i = 0; i < p->n_idle; i++) {
        slot *s = &p->slots[p->idle[i]];
        if (conns != NULL)
            conns[n++] = s->conn;
        else
            p->hooks.close(p->hooks.ctx, s->conn); /* no memory: close under the lock */
        *s = (slot){0};
    }
    p->n_open -= p->n_idle;
    p->n_idle = 0;
    bool last = p->active == 0;
    p->destroyed = true;
    pthread_mutex_unlock(&p->lock);
    close_all(p, conns, n);
    free(conns);
    if (last)
        pool_free(p);
}

/* Under the lock: waits for a release until deadline_ms; false on timeout. */
static bool wait_until(dal_pool *p, int64_t deadline_ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(deadline_ms / 1000);
    ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
    int rc = pthread_cond_timedwait(&p->freed, &p->lock, &ts);
    return rc != ETIMEDOUT;
}

/* Under the lock: whether every open connection is held by the calling
 * thread (none idle, none opening for another thread), so that a wait
 * could only end by this thread releasing one. */
static bool all_held_by_self(const dal_pool *p)
{
    if (p->n_idle > 0 || p->n_open < p->opts.max_connections)
        return false;
    pthread_t self = pthread_self();
    for (unsigned i = 0; i < p->opts.max_connections; i++)
        if (!pthread_equal(p->slots[i].holder, self))
            return false;
    return true;
}

/* Under the lock: hands out an idle connection, this thread's own when it is
 * idle, else the most recently released. */
static void *take_idle(dal_pool *p)
{
    unsigned want, k = p->n_idle - 1;
    if (affinity_get(p, &want) && want < p->opts.max_connections && p->slots[want].state == SLOT_IDLE) {
        while (p->idle[k] != want)
            k--;
    }
    slot *s = &p->slots[idle_take(p, k)];
    s->state = SLOT_BUSY;
    s->holder = pthread_self();
    p->active++;
    return s->conn;
}

void *dal_pool_acquire(dal_pool *p, dal_error *err)
{
    if (p == NULL) {
        dal_set_error(err, DAL_ERR_INVALID, "pool: no pool");
        return NULL;
    }
    void *expired[EXPIRE_BATCH];
    unsigned n_expired = 0;
    void *conn = NULL;
    unsigned opening = 0;
    bool open_new = false, waited = false;
    int64_t deadline = 0;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (n_expired == 0)
            n_expired = take_expired(p, expired);
        if (p->n_idle > 0) {
            conn = take_idle(p);
            break;
        }
        if (p->n_open < p->opts.max_connections) {
            opening = empty_slot(p); /* reserve the slot, open outside the lock */
            p->slots[opening] = (slot){.state = SLOT_OPENING, .holder = pthread_self()};
            p->n_open++;
            open_new = true;
            break;
        }
        if (all_held_by_self(p)) {
            unsigned max = p->opts.max_connections;
            pthread_mutex_unlock(&p->lock);
            close_all(p, expired, n_expired);
            dal_set_error(err, DAL_ERR_POOL,
                          "this thread holds every connection (max %u), so waiting for one would never end: "
                          "run the call through the handle of the transaction that holds it (dal_tx_db), or "
                          "raise max_connections",
                          max);
            return NULL;
        }
        if (!waited) {
            waited = true;
            p->waits++;
            deadline = monotonic_ms() + p->opts.connection_timeout_ms;
        }
        if (!wait_until(p, deadline) && monotonic_ms() >= deadline) {
            /* one last look: a release may have raced with the timeout */
            if (p->n_idle > 0) {
                conn = take_idle(p);
                break;
            }
            p->timeouts++;
            unsigned max = p->opts.max_connections, ms = p->opts.connection_timeout_ms;
            pthread_mutex_unlock(&p->lock);
            close_all(p, expired, n_expired);
            dal_set_error(err, DAL_ERR_POOL, "no connection free within %u ms (max %u)", ms, max);
            return NULL;
        }
    }
    pthread_mutex_unlock(&p->lock);
    close_all(p, expired, n_expired);
    if (!open_new)
        return conn;

    conn = p->hooks.open(p->hooks.ctx, err);
    pthread_mutex_lock(&p->lock);
    if (conn == NULL) {
        p->slots[opening] = (slot){0};
        p->n_open--;
        pthread_cond_signal(&p->freed); /* the slot is free again */
    } else {
        p->slots[opening].conn = conn;
        p->slots[opening].state = SLOT_BUSY;
        p->active++;
    }
    pthread_mutex_unlock(&p->lock);
    return conn;
}

/* Under the lock: the slot of a connection handed out, or max_connections. */
static unsigned slot_of(const dal_pool *p, const void *conn)
{
    unsigned i = 0;
    while (i < p->opts.max_connections && !(p->slots[i].conn == conn && p->slots[i].state == SLOT_BUSY))
        i++;
    return i;
}

void dal_pool_release(dal_pool *p, void *conn, bool broken)
{
    if (p == NULL || conn == NULL)
        return;
    void *expired[EXPIRE_BATCH];
    unsigned n_expired = 0;
    bool close_it = broken, free_pool = false;

    pthread_mutex_lock(&p->lock);
    unsigned si = slot_of(p, conn);
    if (si == p->opts.max_connections) { /* not one of ours: never expected, closed */
        pthread_mutex_unlock(&p->lock);
        p->hooks.close(p->hooks.ctx, conn);
        return;
    }
    slot *s = &p->slots[si];
    p->active--;
    if (p->destroyed)
        close_it = true;
    if (close_it) {
        *s = (slot){0};
        p->n_open--;
    } else {
        *s = (slot){.conn = conn, .state = SLOT_IDLE, .since_ms = monotonic_ms()};
        p->idle[p->n_idle++] = si;
        affinity_set(p, si);
        n_expired = take_expired(p, expired);
    }
    pthread_cond_signal(&p->freed);
    free_pool = p->destroyed && p->active == 0;
    pthread_mutex_unlock(&p->lock);

    if (close_it)
        p->hooks.close(p->hooks.ctx, conn);
    close_all(p, expired, n_expired);
    if (free_pool)
        pool_free(p);
}

void dal_pool_status_read(dal_pool *p, dal_pool_status *st)
{
    if (p == NULL || st == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    st->active = p->active;
    st->idle = p->n_idle;
    st->max = p->opts.max_connections;
    st->waits = p->waits;
    st->timeouts = p->timeouts;
    pthread_mutex_unlock(&p->lock);
}
