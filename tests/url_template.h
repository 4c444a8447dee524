/*
 * url_template.h - the backend a parameterized test program runs on.
 *
 * Such a program (tests/conformance, tests/builder) takes a URL template:
 * "{dir}" becomes a temporary directory made for the run and removed at its
 * end, "{n}" a number that differs for every database opened, e.g.
 * 'sqlite:{dir}/c{n}.db' or 'memory:c{n}'. Included by one .c file each.
 */
#ifndef DAL_TESTS_URL_TEMPLATE_H
#define DAL_TESTS_URL_TEMPLATE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __EMSCRIPTEN__
#include <unistd.h>
#endif

static const char *g_template;
static char g_dir[128];
static int g_counter;

/* The template with {dir} and {n} substituted. */
static void make_url(char *out, size_t size)
{
    char n[16];
    snprintf(n, sizeof n, "%d", ++g_counter);
    size_t used = 0;
    for (const char *p = g_template; *p && used + 1 < size;) {
        const char *rep = strncmp(p, "{dir}", 5) == 0 ? g_dir : strncmp(p, "{n}", 3) == 0 ? n : NULL;
        if (rep != NULL) {
            int k = snprintf(out + used, size - used, "%s", rep);
            used += k > 0 ? (size_t)k : 0;
            p += rep == g_dir ? 5 : 3;
        } else {
            out[used++] = *p++;
        }
    }
    out[used < size ? used : size - 1] = '\0';
}

/* Whether the template's scheme is `scheme` ("sqlite", "memory"). */
static bool backend_is(const char *scheme)
{
    size_t n = strlen(scheme);
    return strncmp(g_template, scheme, n) == 0 && g_template[n] == ':';
}

/* Makes the run's temporary directory, /tmp/<prefix>-XXXXXX. 0 on success. */
static int template_dir_make(const char *prefix)
{
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
