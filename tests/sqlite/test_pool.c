/*
 * test_pool.c - runtime/dal_pool.c on its own, with fake connections: limits,
 * waiting and timing out, failures to open, idle expiry, destroy while
 * connections are out, and many threads at once. (It lives beside the
 * SQLite tests because the SQLite backend is the pool's user.)
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dal_backend.h"

typedef struct fake {
    pthread_mutex_t mu;
    int opened, closed, live, max_live;
    int fail_from; /* opens number fail_from and later fail (0: never) */
} fake;

static void *fake_open(void *ctx, dal_error *err)
{
    fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    int n = ++f->opened;
    bool fail = f->fail_from > 0 && n >= f->fail_from;
    if (!fail && ++f->live > f->max_live)
        f->max_live = f->live;
    pthread_mutex_unlock(&f->mu);
    if (fail) {
        dal_set_error(err, DAL_ERR_DATABASE, "fake open %d refused", n);
        return NULL;
    }
    int *conn = malloc(sizeof *conn);
    *conn = n;
    return conn;
}

static void fake_close(void *ctx, void *conn)
{
    fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->closed++;
    f->live--;
    pthread_mutex_unlock(&f->mu);
    free(conn);
}

static dal_pool *make_pool(fake *f, unsigned max, unsigned min_idle, unsigned timeout_ms, unsigned idle_ms,
                           dal_error *err)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    dal_pool_hooks hooks = {f, fake_open, fake_close};
    dal_options o;
    dal_options_default(&o);
    o.max_connections = max;
    o.min_idle = min_idle;
    o.connection_timeout_ms = timeout_ms;
    o.idle_timeout_ms = idle_ms;
    return dal_pool_create(&hooks, &o, err);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One acquire on a thread of its own, timed. */
typedef struct acquirer {
    dal_pool *p;
    void *conn;
    dal_error err;
    int64_t ms;
} acquirer;

static void *acquire_thread(void *arg)
{
    acquirer *a = arg;
    int64_t t0 = now_ms();
    a->conn = dal_pool_acquire(a->p, &a->err);
    a->ms = now_ms() - t0;
    if (a->conn != NULL)
        dal_pool_release(a->p, a->conn, false);
    return NULL;
}

static void test_limits_and_status(void **state)
{
    (void)state;
    fake f;
    dal_error err = {0};
    dal_pool *p = make_pool(&f, 3, 2, 100, 60000, &err);
    assert_non_null(p);
    assert_int_equal(f.opened, 2); /* min_idle at once */
    dal_pool_status st;
    dal_pool_status_read(p, &st);
    assert_int_equal(st.idle, 2);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.max, 3);
    void *c[3];
    for (int i = 0; i < 3; i++)
        assert_non_null(c[i] = dal_pool_acquire(p, &err));
    assert_int_equal(f.opened, 3);
    dal_pool_status_read(p, &st);
    assert_int_equal(st.active, 3);
    assert_int_equal(st.idle, 0);
    /* full: another thread waits connection_timeout_ms, then a pool error */
    acquirer other = {.p = p};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, acquire_thread, &other), 0);
    pthread_join(th, NULL);
    assert_null(other.conn);
    assert_int_equal(other.err.code, DAL_ERR_POOL);
    assert_string_equal(other.err.message, "no connection free within 100 ms (max 3)");
    assert_in_range(other.ms, 90, 1500);
    dal_pool_status_read(p, &st);
    assert_int_equal(st.waits, 1);
    assert_int_equal(st.timeouts, 1);
    /* the most recently released is handed out first */
    dal_pool_release(p, c[1], false);
    void *again = dal_pool_acquire(p, &err);
    assert_ptr_equal(again, c[1]);
    /* a broken connection is closed, and its slot reopened on demand */
    dal_pool_release(p, again, true);
    assert_int_equal(f.closed, 1);
    void *fresh = dal_pool_acquire(p, &err);
    assert_non_null(fresh);
    assert_int_equal(f.opened, 4);
    dal_pool_release(p, fresh, false);
    dal_pool_release(p, c[0], false);
    dal_pool_release(p, c[2], false);
    dal_pool_status_read(p, &st);
    assert_int_equal(st.idle, 3);
    assert_int_equal(st.active, 0);
    dal_pool_destroy(p);
    assert_int_equal(f.live, 0);
    assert_int_equal(f.max_live, 3);
}

static void test_open_failures(void **state)
{
    (void)state;
    fake f;
    dal_error err = {0};
    /* the first connection of min_idle cannot open: no pool */
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.mu, NULL);
    f.fail_from = 1;
    dal_pool_hooks hooks = {&f, fake_open, fake_close};
    dal_options o;
    dal_options_default(&o);
    assert_null(dal_pool_create(&hooks, &o, &err));
    assert_int_equal(err.code, DAL_ERR_DATABASE);
    assert_string_equal(err.message, "fake open 1 refused");
    /* later opens fail: the error comes back and the slot is free again */
    dal_pool *p = make_pool(&f, 2, 1, 50, 60000, &err);
    assert_non_null(p);
    f.fail_from = 2;
    void *a = dal_pool_acquire(p, &err);
    assert_non_null(a);
    assert_null(dal_pool_acquire(p, &err));
    assert_string_equal(err.message, "fake open 2 refused");
    f.fail_from = 0;
    void *b = dal_pool_acquire(p, &err);
    assert_non_null(b);
    dal_pool_release(p, a, false);
    dal_pool_release(p, b, false);
    dal_pool_destroy(p);
    assert_int_equal(f.live, 0);
    /* bad options */
    o.max_connections = 0;
    assert_null(dal_pool_create(&hooks, &o, &err));
    assert_int_equal(err.code, DAL_ERR_INVALID);
}

static void test_idle_expiry(void **state)
{
    (void)state;
    fake f;
    dal_error err = {0};
    dal_pool *p = make_pool(&f, 5, 1, 100, 300, &err);
    assert_non_null(p);
    void *c[4];
    for (int i = 0; i < 4; i++)
        c[i] = dal_pool_acquire(p, &err);
    for (int i = 0; i < 4; i++)
        dal_pool_release(p, c[i], false);
    assert_int_equal(f.live, 4);
    sleep_ms(450);
    /* on the next acquire, spares idle past the timeout close; min_idle stays */
    void *x = dal_pool_acquire(p, &err);
    assert_non_null(x);
    dal_pool_status st;
    dal_pool_status_read(p, &st);
    assert_int_equal(st.idle, 0);
    assert_int_equal(st.active, 1);
    assert_int_equal(f.live, 1);
    dal_pool_release(p, x, false);
    sleep_ms(450);
    x = dal_pool_acquire(p, &err);
    dal_pool_release(p, x, false);
    assert_int_equal(f.live, 1); /* never below min_idle */
    dal_pool_destroy(p);
    assert_int_equal(f.live, 0);
}

static void test_destroy_with_connections_out(void **state)
{
    (void)state;
    fake f;
    dal_error err = {0};
    dal_pool *p = make_pool(&f, 2, 2, 100, 60000, &err);
    void *a = dal_pool_acquire(p, &err);
    dal_pool_destroy(p);
    assert_int_equal(f.live, 1); /* the idle one closed */
    dal_pool_release(p, a, false); /* closed when it comes back; the pool goes */
    assert_int_equal(f.live, 0);
    dal_pool_destroy(NULL);
    dal_pool_release(NULL, NULL, false);
}

/* A thread that holds every connection and asks for one more would wait for
 * itself: it is told at once, and nothing counts as a wait or a timeout. */
static void test_self_wait(void **state)
{
    (void)state;
    fake f;
    dal_error err = {0};
    dal_pool *p = make_pool(&f, 2, 1, 5000, 60000, &err);
    void *a = dal_pool_acquire(p, &err), *b = dal_pool_acquire(p, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(dal_pool_acquire(p, &err)); /* at once: no wait counted below */
    assert_int_equal(err.code, DAL_ERR_POOL);
    assert_string_equal(err.message, "this thread holds every connection (max 2), so waiting for one would never "
                                     "end: run the call through the handle of the transaction that holds it "
                                     "(dal_tx_db), or raise max_connections");
    dal_pool_status st;
    dal_pool_status_read(p, &st);
    assert_int_equal(st.active, 2);
    assert_int_equal(st.waits, 0);
    assert_int_equal(st.timeouts, 0);
    /* one released: served again */
    dal_pool_release(p, b, false);
    void *c = dal_pool_acquire(p, &err);
    assert_ptr_equal(c, b);
    dal_pool_release(p, c, false);
    dal_pool_release(p, a, false);
    dal_pool_destroy(p);
    assert_int_equal(f.live, 0);
}

/* A thread of its own that runs the steps it is given, one at a time, so
 * that a test decides the order of everything (no dependence on scheduling). */
typedef struct runner {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*step)(struct runner *);
    bool quit;
    dal_pool *p;
    void *conn;
} runner;

static void *runner_main(void *arg)
{
    runner *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->step == NULL && !r->quit)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->step == NULL)
            break;
        r->step(r);
        r->step = NULL;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Runs step on r's thread and returns once it is done. */
static void run_step(runner *r, void (*step)(runner *))
{
    pthread_mutex_lock(&r->mu);
    r->step = step;
    pthread_cond_broadcast(&r->cv);
    while (r->step != NULL)
        pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

static void step_acquire(runner *r)
{
    dal_error err = {0};
    r->conn = dal_pool_acquire(r->p, &err);
}

static void step_release(runner *r)
{
    dal_pool_release(r->p, r->conn, false);
}

/* Affinity: each thread gets back the connection it released last while it
 * is idle, even when another was released more recently; a thread whose own
 * is taken gets the most recently released one. */
static void test_affinity(void **state)
{
    (void)state;
    fake f;
    dal_error err = {0};
    dal_pool *p = make_pool(&f, 4, 0, 1000, 60000, &err);
    runner r[2];
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof r[i]);
        pthread_mutex_init(&r[i].mu, NULL);
        pthread_cond_init(&r[i].cv, NULL);
        r[i].p = p;
        assert_int_equal(pthread_create(&r[i].th, NULL, runner_main, &r[i]), 0);
    }
    run_step(&r[0], step_acquire);
    run_step(&r[1], step_acquire);
    void *mine0 = r[0].conn, *mine1 = r[1].conn;
    assert_non_null(mine0);
    assert_non_null(mine1);
    assert_ptr_not_equal(mine0, mine1);
    run_step(&r[0], step_release);
    run_step(&r[1], step_release); /* the most recently released: mine1 */
    for (int round = 0; round < 3; round++) {
        run_step(&r[0], step_acquire);
        assert_ptr_equal(r[0].conn, mine0); /* not mine1, though it is on top */
        run_step(&r[0], step_release);
        run_step(&r[1], step_acquire);
        assert_ptr_equal(r[1].conn, mine1);
        run_step(&r[1], step_release);
    }
    /* thread 0's own is out (held by the main thread): it gets the top one */
    void *held = NULL;
    run_step(&r[1], step_acquire);  /* thread 1 holds mine1 */
    run_step(&r[0], step_acquire);
    assert_ptr_equal(r[0].conn, mine0);
    run_step(&r[0], step_release);
    held = dal_pool_acquire(p, &err); /* the main thread has no affinity: the top, mine0 */
    assert_ptr_equal(held, mine0);
    run_step(&r[0], step_acquire);    /* its own is held: none idle, so a new one */
    assert_non_null(r[0].conn);
    assert_ptr_not_equal(r[0].conn, mine0);
    assert_ptr_not_equal(r[0].conn, mine1);
    assert_int_equal(f.opened, 3);
    dal_pool_status st;
    dal_pool_status_read(p, &st);
    assert_int_equal(st.active, 3);
    assert_int_equal(st.idle, 0);
    assert_int_equal(st.waits, 0);
    run_step(&r[0], step_release);
    run_step(&r[1], step_release);
    dal_pool_release(p, held, false);
    dal_pool_status_read(p, &st);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.idle, 3);
    for (int i = 0; i < 2; i++) {
        pthread_mutex_lock(&r[i].mu);
        r[i].quit = true;
        pthread_cond_broadcast(&r[i].cv);
        pthread_mutex_unlock(&r[i].mu);
        pthread_join(r[i].th, NULL);
        pthread_cond_destroy(&r[i].cv);
        pthread_mutex_destroy(&r[i].mu);
    }
    dal_pool_destroy(p);
    assert_int_equal(f.live, 0);
}

enum { N_THREADS = 8, N_ROUNDS = 2000, MAX = 3 };

typedef struct stress {
    dal_pool *p;
    pthread_mutex_t mu;
    int in_use, max_in_use, failures;
} stress;

static void *stress_thread(void *arg)
{
    stress *s = arg;
    for (int i = 0; i < N_ROUNDS; i++) {
        dal_error err = {0};
        void *c = dal_pool_acquire(s->p, &err);
        pthread_mutex_lock(&s->mu);
        if (c == NULL)
            s->failures++;
        else if (++s->in_use > s->max_in_use)
            s->max_in_use = s->in_use;
        pthread_mutex_unlock(&s->mu);
        if (c == NULL)
            continue;
        pthread_mutex_lock(&s->mu);
        s->in_use--;
        pthread_mutex_unlock(&s->mu);
        dal_pool_release(s->p, c, i % 97 == 0); /* now and then a broken one */
    }
    return NULL;
}

static void test_many_threads(void **state)
{
    (void)state;
    fake f;
    dal_error err = {0};
    stress s = {0};
    pthread_mutex_init(&s.mu, NULL);
    s.p = make_pool(&f, MAX, 1, 10000, 1, &err);
    assert_non_null(s.p);
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, stress_thread, &s), 0);
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(s.failures, 0);
    assert_true(s.max_in_use <= MAX);
    assert_true(f.max_live <= MAX);
    dal_pool_status st;
    dal_pool_status_read(s.p, &st);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.timeouts, 0);
    assert_int_equal((int)st.idle, f.live);
    dal_pool_destroy(s.p);
    assert_int_equal(f.live, 0);
    assert_int_equal(f.opened, f.closed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_and_status),
        cmocka_unit_test(test_open_failures),
        cmocka_unit_test(test_idle_expiry),
        cmocka_unit_test(test_destroy_with_connections_out),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_self_wait),
        cmocka_unit_test(test_affinity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
