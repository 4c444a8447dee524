/*
 * dal_uuid.c - RFC 9562 UUIDs: version 4 (random) and version 7 (time-ordered).
 *
 * Randomness: each thread keeps a small buffer filled from the kernel
 * (getrandom on Linux, getentropy elsewhere, /dev/urandom as a second try).
 * A fork makes the child refill its buffer (pthread_atfork bumps a generation
 * counter), so parent and child never hand out the same bytes. If the kernel
 * gives nothing, a mutex-protected splitmix64 generator seeded from the clocks,
 * the pid and an address fills in (reseeded after a fork); such ids are still
 * unique in practice but no longer unpredictable.
 *
 * Version 7 layout (RFC 9562 section 5.7 with section 6.2 methods 1 and 3):
 *   48 bits unix milliseconds | ver 7 | 12-bit rand_a | var 10 | 62 random bits.
 * rand_a is a counter seeded from the sub-millisecond clock (microseconds
 * scaled to 0..4095). The (milliseconds, rand_a) pair is one 60-bit state
 * advanced with a compare-and-swap: every id takes max(clock, previous + 1),
 * so ids made by one process are strictly increasing across threads, even
 * within one millisecond and when the clock steps back. A counter overflow
 * borrows the next millisecond (the id then runs slightly ahead of the clock).
 */
#include "dal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/random.h>
#define DAL_HAVE_GETRANDOM 1
#elif defined(__APPLE__) || defined(__EMSCRIPTEN__) || defined(__OpenBSD__) || defined(__FreeBSD__)
#include <sys/random.h>
#define DAL_HAVE_GETENTROPY 1
#endif

/* ------------------------------------------------------------------------ */
/* Random bytes                                                              */
/* ------------------------------------------------------------------------ */

/* Bytes from the kernel; false when no source works. */
static bool os_random(unsigned char *buf, size_t n)
{
#if defined(DAL_HAVE_GETRANDOM)
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        got += (size_t)r;
    }
    if (got == n)
        return true;
#elif defined(DAL_HAVE_GETENTROPY)
    if (n <= 256 && getentropy(buf, n) == 0)
        return true;
#endif
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, buf + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    close(fd);
    return done == n;
}

/* The fallback generator (splitmix64), shared by all threads. */
static pthread_mutex_t fallback_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t fallback_state;
static pid_t fallback_pid;
static bool fallback_seeded;

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void fallback_random(unsigned char *buf, size_t n)
{
    pthread_mutex_lock(&fallback_lock);
    pid_t pid = getpid();
    if (!fallback_seeded || pid != fallback_pid) {
        struct timespec rt = {0, 0}, mono = {0, 0};
        clock_gettime(CLOCK_REALTIME, &rt);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        uint64_t seed = (uint64_t)rt.tv_sec * UINT64_C(1000000007) ^ (uint64_t)rt.tv_nsec;
        seed ^= ((uint64_t)mono.tv_nsec << 20) ^ (uint64_t)mono.tv_sec;
        seed ^= (uint64_t)pid << 40;
        seed ^= (uint64_t)(uintptr_t)&seed;
        fallback_state ^= seed;
        fallback_pid = pid;
        fallback_seeded = true;
    }
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = splitmix64(&fallback_state);
        size_t k = n - i < 8 ? n - i : 8;
        memcpy(buf + i, &r, k);
    }
    pthread_mutex_unlock(&fallback_lock);
}

/* A fork makes every buffer of the child stale. */
static atomic_uint fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
    atomic_fetch_add(&fork_generation, 1);
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, on_fork_child);
}

#define RANDOM_BUFFER_SIZE 256

static _Thread_local struct {
    unsigned char bytes[RANDOM_BUFFER_SIZE];
    size_t used;        /* bytes already handed out */
    unsigned generation;
    bool filled;
} rnd;

/* n (<= RANDOM_BUFFER_SIZE) random bytes for this thread. */
static void random_bytes(unsigned char *out, size_t n)
{
    pthread_once(&atfork_once, register_atfork);
    unsigned gen = atomic_load(&fork_generation);
    if (!rnd.filled || rnd.generation != gen || RANDOM_BUFFER_SIZE - rnd.used < n) {
        if (!os_random(rnd.bytes, sizeof rnd.bytes))
            fallback_random(rnd.bytes, sizeof rnd.bytes);
        rnd.used = 0;
        rnd.generation = gen;
        rnd.filled = true;
    }
    memcpy(out, rnd.bytes + rnd.used, n);
    /* Wipe what was handed out so it cannot leak into a later id. */
    memset(rnd.bytes + rnd.used, 0, n);
    rnd.used += n;
}

/* ------------------------------------------------------------------------ */
/* Text form                                                                 */
/* ------------------------------------------------------------------------ */

static void uuid_to_text(const unsigned char b[16], char out[DAL_UUID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

void dal_uuid4(char out[DAL_UUID_SIZE])
{
    unsigned char b[16];
    random_bytes(b, sizeof b);
    b[6] = (unsigned char)(0x40 | (b[6] & 0x0F)); /* version 4 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3F)); /* variant 10 */
    uuid_to_text(b, out);
}

/* (unix milliseconds << 12) | rand_a of the last version 7 id. */
static _Atomic uint64_t v7_state;

/* The next (milliseconds, counter) pair: the clock, or previous + 1 if that is later. */
static uint64_t v7_next_state(void)
{
    int64_t now = dal_now_us();
    uint64_t us = now > 0 ? (uint64_t)now : 0;
    uint64_t ms = us / 1000;
    uint64_t sub = (us % 1000) * 4096 / 1000; /* 0..4095: the sub-millisecond clock */
    uint64_t clock_state = (ms << 12) | sub;
    uint64_t old = atomic_load(&v7_state);
    uint64_t next;
    do {
        next = clock_state > old ? clock_state : old + 1;
    } while (!atomic_compare_exchange_weak(&v7_state, &old, next));
    return next;
}

void dal_uuid7(char out[DAL_UUID_SIZE])
{
    uint64_t state = v7_next_state();
    uint64_t ms = state >> 12;
    unsigned counter = (unsigned)(state & 0xFFF);
    unsigned char b[16];
    random_bytes(b + 8, 8);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (counter >> 8)); /* version 7, rand_a high bits */
    b[7] = (unsigned char)(counter & 0xFF);
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3F)); /* variant 10 */
    uuid_to_text(b, out);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool dal_uuid_valid(const char *text)
{
    if (text == NULL)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !is_hex(text[i]))
            return false;
    }
    return text[36] == '\0';
}
