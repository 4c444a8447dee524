/*
 * dal_pool.c - a connection pool, generic over what a "connection" is: the
 * backend hands in open/close hooks and gets back opaque pointers.
 *
 * One mutex guards the counters and the idle stack; one condition variable
 * (on CLOCK_MONOTONIC, so wall-clock jumps do not shorten or stretch waits)
 * wakes waiters when a connection is released or a slot frees up. Opening and
 * closing connections happen outside the lock: they can be slow.
 *
 * The idle connections form a stack: the most recently released one is
 * handed out first, so spare connections sink to the bottom, stay unused and
 * are closed once idle_timeout_ms passes (the bottom min_idle are kept).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dal_backend.h"

typedef struct idle_conn {
    void *conn;
    int64_t since_ms; /* monotonic time it was released */
} idle_conn;

struct dal_pool {
    dal_pool_hooks hooks;
    dal_options opts;
    pthread_mutex_t lock;
    pthread_cond_t freed; /* a connection was released or a slot freed */
    idle_conn *idle;      /* capacity max_connections; [0] is the oldest */
    unsigned n_idle;
    unsigned n_open;      /* open (or being opened) connections, idle included */
    unsigned active;
    uint64_t waits, timeouts;
    bool destroyed;       /* destroy was called while connections were out */
};

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
    free(p);
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
           now - p->idle[0].since_ms >= (int64_t)p->opts.idle_timeout_ms) {
        out[n++] = p->idle[0].conn;
        memmove(&p->idle[0], &p->idle[1], (p->n_idle - 1) * sizeof p->idle[0]);
        p->n_idle--;
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
    if (p == NULL || (p->idle = calloc(opts->max_connections, sizeof *p->idle)) == NULL) {
        free(p);
        dal_set_error(err, DAL_ERR_NOMEM, "pool: out of memory");
        return NULL;
    }
    p->hooks = *hooks;
    p->opts = *opts;
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
        p->idle[p->n_idle++] = (idle_conn){c, now};
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
        if (conns != NULL)
            conns[n++] = p->idle[i].conn;
        else
            p->hooks.close(p->hooks.ctx, p->idle[i].conn); /* no memory: close under the lock */
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

void *dal_pool_acquire(dal_pool *p, dal_error *err)
{
    if (p == NULL) {
        dal_set_error(err, DAL_ERR_INVALID, "pool: no pool");
        return NULL;
    }
    void *expired[EXPIRE_BATCH];
    unsigned n_expired = 0;
    void *conn = NULL;
    bool open_new = false, waited = false;
    int64_t deadline = 0;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (n_expired == 0)
            n_expired = take_expired(p, expired);
        if (p->n_idle > 0) {
            conn = p->idle[--p->n_idle].conn;
            break;
        }
        if (p->n_open < p->opts.max_connections) {
            p->n_open++; /* reserve the slot, open outside the lock */
            open_new = true;
            break;
        }
        if (!waited) {
            waited = true;
            p->waits++;
            deadline = monotonic_ms() + p->opts.connection_timeout_ms;
        }
        if (!wait_until(p, deadline) && monotonic_ms() >= deadline) {
            /* one last look: a release may have raced with the timeout */
            if (p->n_idle > 0) {
                conn = p->idle[--p->n_idle].conn;
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
    if (conn != NULL)
        p->active++;
    pthread_mutex_unlock(&p->lock);
    close_all(p, expired, n_expired);
    if (!open_new)
        return conn;

    conn = p->hooks.open(p->hooks.ctx, err);
    pthread_mutex_lock(&p->lock);
    if (conn == NULL) {
        p->n_open--;
        pthread_cond_signal(&p->freed); /* the slot is free again */
    } else {
        p->active++;
    }
    pthread_mutex_unlock(&p->lock);
    return conn;
}

void dal_pool_release(dal_pool *p, void *conn, bool broken)
{
    if (p == NULL || conn == NULL)
        return;
    void *expired[EXPIRE_BATCH];
    unsigned n_expired = 0;
    bool close_it = broken, free_pool = false;

    pthread_mutex_lock(&p->lock);
    p->active--;
    if (p->destroyed)
        close_it = true;
    if (close_it) {
        p->n_open--;
    } else {
        p->idle[p->n_idle++] = (idle_conn){conn, monotonic_ms()};
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
