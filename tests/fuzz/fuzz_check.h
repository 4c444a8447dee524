/*
 * fuzz_check.h - CHECK(cond) for the fuzz targets: a broken property prints
 * where and aborts, which libFuzzer (and the replay under ctest) reports.
 */
#ifndef DAL_TESTS_FUZZ_CHECK_H
#define DAL_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                               \
    do {                                                                                                          \
        if (!(cond)) {                                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                              \
            abort();                                                                                              \
        }                                                                                                         \
    } while (0)

#endif /* DAL_TESTS_FUZZ_CHECK_H */
