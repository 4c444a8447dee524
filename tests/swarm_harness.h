/*
 * swarm_harness.h - what the programs that run the generated swarm API on a
 * backend given by URL template share (tests/conformance, tests/builder):
 * a fresh database per test (OK and EXPECT: test_util.h).
 * Include after <cmocka.h>.
 */
#ifndef DAL_TESTS_SWARM_HARNESS_H
#define DAL_TESTS_SWARM_HARNESS_H

#include "swarm/swarm.h"
#include "test_util.h"
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

#endif /* DAL_TESTS_SWARM_HARNESS_H */
