/*
 * swarm_harness.h - what the programs that run the generated swarm API on a
 * backend given by URL template share (tests/conformance, tests/builder):
 * a fresh database per test, and CHECK for calls that must succeed.
 * Include after <cmocka.h>.
 */
#ifndef DAL_TESTS_SWARM_HARNESS_H
#define DAL_TESTS_SWARM_HARNESS_H

#include "swarm/swarm.h"
#include "url_template.h"

/* cmocka setup: *state becomes a fresh swarm_db opened from the template. */
static int db_setup(void **state)
{
    char url[512];
    dal_error err = {0};
    make_url(url, sizeof url);
    swarm_db *db = swarm_open(url, &err);
    if (db == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", url, err.message);
        return -1;
    }
    *state = db;
    return 0;
}

static int db_teardown(void **state)
{
    swarm_close(*state);
    return 0;
}

/* Runs call (which may use `err`) and fails the test unless it returns DAL_OK. */
#define CHECK(call)                                                                                               \
    do {                                                                                                          \
        dal_error e_ = {0};                                                                                       \
        dal_error *err = &e_;                                                                                     \
        dal_code rc_ = (call);                                                                                    \
        if (rc_ != DAL_OK)                                                                                        \
            fail_msg("%s: %s (%s)", #call, e_.message, dal_code_name(rc_));                                       \
    } while (0)

#endif /* DAL_TESTS_SWARM_HARNESS_H */
