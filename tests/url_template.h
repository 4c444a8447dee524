/*
 * url_template.h - the backend a parameterized test program runs on.
 *
 * Such a program (tests/conformance, tests/builder) takes a URL template:
 * "{dir}" becomes a temporary directory made for the run and removed at its
 * end, "{n}" a number that differs for every database opened, e.g.
 * 'sqlite:{dir}/c{n}.db' or 'memory:c{n}'. Included by one .c file each.
 *
 * PostgreSQL: "{pg}" becomes the server's URL from the environment variable
 * DAL_TEST_PG_URL followed by '?' or '&' (to add options), "{run}" a number
 * that differs for every run (the process id), e.g.
 * '{pg}schema=dalt_c{run}_{n}': a PostgreSQL schema per test. Without
 * DAL_TEST_PG_URL such a program exits at once with 77 (ctest reports the
 * test as skipped, with the reason on its output), or with 1 when
 * DAL_TEST_PG_REQUIRED=1 (CI: the server must be there).
 */
#ifndef DAL_TESTS_URL_TEMPLATE_H
#define DAL_TESTS_URL_TEMPLATE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *g_template;
static char g_dir[128];
static int g_counter;
static char g_last_url[1024];

/* The template with {dir} and {n} substituted. */
static void make_url(char *out, size_t size)
{
    char n[16], run[16], pg[512];
    snprintf(n, sizeof n, "%d", ++g_counter);
    snprintf(run, sizeof run, "%ld", (long)getpid());
    const char *env = getenv("DAL_TEST_PG_URL");
    snprintf(pg, sizeof pg, "%s%c", env ? env : "", env && strchr(env, '?') ? '&' : '?');
    size_t used = 0;
    for (const char *p = g_template; *p && used + 1 < size;) {
        const char *rep = NULL;
        size_t skip = 0;
        if (strncmp(p, "{dir}", 5) == 0)
            rep = g_dir, skip = 5;
        else if (strncmp(p, "{n}", 3) == 0)
            rep = n, skip = 3;
        else if (strncmp(p, "{run}", 5) == 0)
            rep = run, skip = 5;
        else if (strncmp(p, "{pg}", 4) == 0)
            rep = pg, skip = 4;
        if (rep != NULL) {
            int k = snprintf(out + used, size - used, "%s", rep);
            used += k > 0 ? (size_t)k : 0;
            p += skip;
        } else {
            out[used++] = *p++;
        }
    }
    out[used < size ? used : size - 1] = '\0';
    snprintf(g_last_url, sizeof g_last_url, "%s", out);
}

/* Whether the template's scheme is `scheme` ("sqlite", "memory", "postgresql"). */
static bool backend_is(const char *scheme)
{
    size_t n = strlen(scheme);
    const char *t = g_template;
    if (strncmp(t, "{pg}", 4) == 0) /* the server's URL: postgresql:// or postgres:// */
        return strcmp(scheme, "postgresql") == 0;
    return strncmp(t, scheme, n) == 0 && t[n] == ':';
}

/* Makes the run's temporary directory, /tmp/<prefix>-XXXXXX. 0 on success.
 * A template of the PostgreSQL server without DAL_TEST_PG_URL ends the
 * program here: skipped (77), or failed when DAL_TEST_PG_REQUIRED=1. */
static int template_dir_make(const char *prefix)
{
    if (strstr(g_template, "{pg}") != NULL && (getenv("DAL_TEST_PG_URL") == NULL || !*getenv("DAL_TEST_PG_URL"))) {
        const char *req = getenv("DAL_TEST_PG_REQUIRED");
        bool required = req != NULL && strcmp(req, "1") == 0;
        printf("%s: no PostgreSQL server: DAL_TEST_PG_URL is not set (tests/run_tests.sh starts one when the "
               "postgresql package is installed)\n",
               required ? "FAILED" : "SKIPPED");
        fflush(stdout);
        exit(required ? 1 : 77);
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/%s-XXXXXX", prefix);
    return mkdtemp(g_dir) ? 0 : -1;
}

/* Removes it with everything the run left in it. 0 on success. */
static int template_dir_remove(void)
{
#ifdef __EMSCRIPTEN__
    return rmdir(g_dir) == 0 || !backend_is("sqlite") ? 0 : -1; /* no shell in the browser */
#else
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
#endif
}

#endif /* DAL_TESTS_URL_TEMPLATE_H */
