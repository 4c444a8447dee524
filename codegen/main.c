/*
 * main.c - the dalc command line.
 *
 *   dalc [--out DIR] [--check] [--version] [--help] FILE.dal
 *   dalc --plan FROM TO.dal
 *
 * Writes DIR/<namespace>/<namespace>.h and .c. Exit status: 0 done, 1 the
 * schema has errors (all of them printed, nothing written), 2 usage or I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "emit.h"
#include "frontend.h"
#include "plan.h"

#define MAX_SCHEMA_BYTES (64u * 1024u * 1024u)

static void usage(FILE *to)
{
    fputs("usage: dalc [--out DIR] [--check] [--version] [--help] FILE.dal\n"
          "       dalc --plan FROM TO.dal\n"
          "\n"
          "Compiles a .dal schema into C: DIR/<namespace>/<namespace>.h and .c\n"
          "(DIR defaults to the current directory).\n"
          "\n"
          "  --out DIR   where to write the generated files\n"
          "  --check     check the schema only; write nothing\n"
          "  --plan FROM TO.dal\n"
          "              print the migration plan from FROM (an earlier .dal file, or an\n"
          "              SQLite database made by dal: its recorded schema) to TO.dal: every\n"
          "              change a program of TO makes when it opens such a database, and\n"
          "              those that need a decision with what to write (exit status 3)\n"
          "  --version   print dalc's version\n"
          "  --help      print this help\n"
          "\n"
          "Exit status: 0 ok, 1 the schema has errors, 2 usage or I/O error,\n"
          "3 (--plan) a change needs a decision.\n",
          to);
}

/* Reads a whole file; NULL (with a message printed) on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "dalc: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n == cap) {
            if (cap >= MAX_SCHEMA_BYTES) {
                fprintf(stderr, "dalc: %s: larger than %u bytes\n", path, MAX_SCHEMA_BYTES);
                break;
            }
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL)
                break;
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "dalc: cannot read %s: %s\n", path, strerror(errno));
                break;
            }
            fclose(f);
            *len = n;
            return buf;
        }
    }
    if (buf == NULL)
        fprintf(stderr, "dalc: out of memory reading %s\n", path);
    free(buf);
    fclose(f);
    return NULL;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "dalc: cannot create directory %s: %s\n", path, strerror(errno));
    return -1;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char *p = strdup(path);
    if (p == NULL)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (make_dir(p) != 0) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = make_dir(p);
    free(p);
    return rc;
}

/* Writes text to path through a temporary file and a rename, so a reader
 * never sees half a file. */
static int write_file(const char *path, const ebuf *text)
{
    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    if (tmp == NULL)
        return -1;
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int rc = -1;
    if (f == NULL) {
        fprintf(stderr, "dalc: cannot write %s: %s\n", tmp, strerror(errno));
    } else {
        bool ok = fwrite(text->s, 1, text->len, f) == text->len;
        ok = (fclose(f) == 0) && ok;
        if (!ok)
            fprintf(stderr, "dalc: cannot write %s: %s\n", tmp, strerror(errno));
        else if (rename(tmp, path) != 0)
            fprintf(stderr, "dalc: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
        else
            rc = 0;
        if (rc != 0)
            remove(tmp);
    }
    free(tmp);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int generate(const m_schema *s, const char *schema_path, const char *outdir)
{
    const char *src = base_name(schema_path);
    size_t n = strlen(outdir) + 2 * strlen(s->ns) + 8;
    char *dir = malloc(n), *file = malloc(n);
    int rc = 2;
    ebuf h = {0}, c = {0};
    if (dir == NULL || file == NULL)
        goto done;
    snprintf(dir, n, "%s/%s", outdir, s->ns);
    if (make_dirs(dir) != 0)
        goto done;
    emit_header(&h, s, src);
    emit_source(&c, s, src);
    snprintf(file, n, "%s/%s.h", dir, s->ns);
    if (write_file(file, &h) != 0)
        goto done;
    snprintf(file, n, "%s/%s.c", dir, s->ns);
    if (write_file(file, &c) != 0)
        goto done;
    rc = 0;
done:
    eb_free(&h);
    eb_free(&c);
    free(dir);
    free(file);
    return rc;
}

int main(int argc, char **argv)
{
    const char *outdir = ".";
    const char *input = NULL;
    bool check_only = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("dalc %s (dal ABI %d)\n", DALC_VERSION, DAL_ABI_EXPECTED);
            return 0;
        } else if (strcmp(a, "--plan") == 0) {
            if (i + 2 >= argc || i + 3 != argc) {
                fprintf(stderr, "dalc: --plan takes two arguments: FROM (a .dal file or a database) and TO.dal\n");
                usage(stderr);
                return 2;
            }
            return dalc_plan(argv[i + 1], argv[i + 2]);
        } else if (strcmp(a, "--check") == 0) {
            check_only = true;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "-o") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "dalc: %s needs a directory\n", a);
                usage(stderr);
                return 2;
            }
            outdir = argv[++i];
        } else if (strncmp(a, "--out=", 6) == 0) {
            outdir = a + 6;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "dalc: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (input != NULL) {
            fprintf(stderr, "dalc: one schema file at a time (got '%s' and '%s')\n", input, a);
            return 2;
        } else {
            input = a;
        }
    }
    if (input == NULL) {
        fprintf(stderr, "dalc: no schema file given\n");
        usage(stderr);
        return 2;
    }

    size_t len = 0;
    char *text = read_file(input, &len);
    if (text == NULL)
        return 2;
    char *diags = NULL;
    unsigned n_errors = 0;
    m_schema *s = dalc_frontend(input, text, len, &diags, &n_errors);
    free(text);
    if (s == NULL) {
        if (diags != NULL)
            fputs(diags, stderr);
        fprintf(stderr, "%u error%s\n", n_errors, n_errors == 1 ? "" : "s");
        free(diags);
        return 1;
    }
    int rc = check_only ? 0 : generate(s, input, outdir);
    m_schema_free(s);
    return rc;
}
