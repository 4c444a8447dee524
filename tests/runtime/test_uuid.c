/* UUID v4 / v7 and dal_uuid_valid. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dal.h"

static bool lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Canonical lower-case text with the given version and variant 10. */
static void check_shape(const char *id, char version)
{
    assert_int_equal(strlen(id), 36);
    assert_true(dal_uuid_valid(id));
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(id[i], '-');
        else
            assert_true(lower_hex(id[i]));
    }
    assert_int_equal(id[14], version);
    assert_non_null(strchr("89ab", id[19]));
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_uuid4(void **state)
{
    (void)state;
    enum { N = 2000 };
    char (*ids)[DAL_UUID_SIZE] = malloc(N * sizeof *ids);
    assert_non_null(ids);
    unsigned bit_counts[128] = {0};
    for (int i = 0; i < N; i++) {
        dal_uuid4(ids[i]);
        check_shape(ids[i], '4');
        for (int k = 0, bit = 0; k < 36; k++) {
            if (ids[i][k] == '-')
                continue;
            int v = ids[i][k] <= '9' ? ids[i][k] - '0' : ids[i][k] - 'a' + 10;
            for (int b = 3; b >= 0; b--, bit++)
                bit_counts[bit] += (unsigned)(v >> b) & 1;
        }
    }
    qsort(ids, N, sizeof *ids, cmp_ids);
    for (int i = 1; i < N; i++)
        assert_true(strcmp(ids[i - 1], ids[i]) < 0);
    /* the 122 random bits are each set about half the time */
    for (int bit = 0; bit < 128; bit++) {
        bool fixed = (bit >= 48 && bit < 52) || bit == 64 || bit == 65;
        if (!fixed && (bit_counts[bit] < N * 4 / 10 || bit_counts[bit] > N * 6 / 10))
            fail_msg("bit %d set %u times of %d", bit, bit_counts[bit], N);
    }
    free(ids);
}

static uint64_t v7_ms(const char *id)
{
    uint64_t ms = 0;
    for (int i = 0; i < 13; i++) {
        if (id[i] == '-')
            continue;
        ms = ms * 16 + (uint64_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
    }
    return ms;
}

static void test_uuid7_shape_and_clock(void **state)
{
    (void)state;
    for (int round = 0; round < 50; round++) {
        uint64_t before = (uint64_t)(dal_now_us() / 1000);
        char id[DAL_UUID_SIZE];
        dal_uuid7(id);
        uint64_t after = (uint64_t)(dal_now_us() / 1000);
        check_shape(id, '7');
        uint64_t ms = v7_ms(id);
        /* the counter may borrow at most a few milliseconds ahead of the clock */
        assert_true(ms >= before);
        assert_true(ms <= after + 2);
    }
}

static void test_uuid7_increasing(void **state)
{
    (void)state;
    char prev[DAL_UUID_SIZE], id[DAL_UUID_SIZE];
    dal_uuid7(prev);
    for (int i = 0; i < 100000; i++) {
        dal_uuid7(id);
        if (strcmp(prev, id) >= 0)
            fail_msg("not increasing: %s then %s", prev, id);
        memcpy(prev, id, sizeof id);
    }
}

enum { PER_THREAD = 100000 };

static void *make_ids(void *arg)
{
    char (*ids)[DAL_UUID_SIZE] = arg;
    for (int i = 0; i < PER_THREAD; i++)
        dal_uuid7(ids[i]);
    return NULL;
}

static void test_uuid7_two_threads(void **state)
{
    (void)state;
    char (*a)[DAL_UUID_SIZE] = malloc(PER_THREAD * sizeof *a);
    char (*b)[DAL_UUID_SIZE] = malloc(PER_THREAD * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, make_ids, a), 0);
    assert_int_equal(pthread_create(&tb, NULL, make_ids, b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    for (int i = 1; i < PER_THREAD; i++) {
        if (strcmp(a[i - 1], a[i]) >= 0 || strcmp(b[i - 1], b[i]) >= 0)
            fail_msg("thread sequence not increasing at %d", i);
    }
    for (int i = 0; i < PER_THREAD; i++)
        check_shape(a[i], '7');
    /* merge the two increasing sequences: no id may appear twice */
    int i = 0, j = 0;
    while (i < PER_THREAD && j < PER_THREAD) {
        int c = strcmp(a[i], b[j]);
        if (c == 0)
            fail_msg("duplicate id %s", a[i]);
        if (c < 0)
            i++;
        else
            j++;
    }
    free(a);
    free(b);
}

static void test_fork_gives_fresh_randomness(void **state)
{
    (void)state;
    char warm[DAL_UUID_SIZE];
    dal_uuid4(warm); /* fill this thread's buffer before forking */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char id[DAL_UUID_SIZE];
        dal_uuid4(id);
        ssize_t w = write(fds[1], id, DAL_UUID_SIZE);
        _exit(w == DAL_UUID_SIZE ? 0 : 1);
    }
    char mine[DAL_UUID_SIZE], theirs[DAL_UUID_SIZE];
    dal_uuid4(mine);
    assert_int_equal(read(fds[0], theirs, DAL_UUID_SIZE), DAL_UUID_SIZE);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fds[0]);
    close(fds[1]);
    check_shape(theirs, '4');
    assert_string_not_equal(mine, theirs);
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(dal_uuid_valid("0190a6b2-7c1e-7abc-8def-0123456789ab"));
    assert_true(dal_uuid_valid("0190A6B2-7C1E-7ABC-8DEF-0123456789AB"));
    assert_true(dal_uuid_valid("00000000-0000-0000-0000-000000000000"));
    static const char *const bad[] = {
        "",
        "0190a6b2-7c1e-7abc-8def-0123456789a",
        "0190a6b2-7c1e-7abc-8def-0123456789abc",
        "0190a6b2-7c1e-7abc-8def-0123456789ab ",
        " 0190a6b2-7c1e-7abc-8def-0123456789ab",
        "0190a6b27c1e7abc8def0123456789ab",
        "0190a6b2-7c1e-7abc-8def0-123456789ab",
        "0190a6b2_7c1e_7abc_8def_0123456789ab",
        "{0190a6b2-7c1e-7abc-8def-0123456789ab}",
        "urn:uuid:0190a6b2-7c1e-7abc-8def-0123456789ab",
        "0190a6g2-7c1e-7abc-8def-0123456789ab",
        "0190a6b2-7c1e-7abc-8def-0123456789a\xC3\xA9",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dal_uuid_valid(bad[i]))
            fail_msg("accepted \"%s\"", bad[i]);
    assert_false(dal_uuid_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid4),
        cmocka_unit_test(test_uuid7_shape_and_clock),
        cmocka_unit_test(test_uuid7_increasing),
        cmocka_unit_test(test_uuid7_two_threads),
        cmocka_unit_test(test_fork_gives_fresh_randomness),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
