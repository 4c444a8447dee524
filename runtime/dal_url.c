/* SPDX-License-Identifier: MIT */
/*
 * dal_url.c - the path part of a database URL, percent-decoded: a file name
 * with a space is written "sqlite:my%20data.db", one with a '?' or a '%'
 * as %3F and %25 (a raw '?' starts the options).
 */
#include "dal_backend.h"

#include <string.h>

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

dal_code dal_url_decode_path(char *path, const char *url, dal_error *err)
{
    char *out = path;
    for (const char *p = path; *p != '\0'; p++) {
        if (*p != '%') {
            *out++ = *p;
            continue;
        }
        int hi = hex_digit(p[1]), lo = hi < 0 ? -1 : hex_digit(p[2]);
        if (hi < 0 || lo < 0)
            return dal_set_error(err, DAL_ERR_INVALID,
                                 "URL '%s': '%%' in the path must start an escape of two hex digits (%%20 is a "
                                 "space, %%25 is '%%'), got '%.3s'",
                                 url, p);
        if (hi == 0 && lo == 0)
            return dal_set_error(err, DAL_ERR_INVALID, "URL '%s': %%00 (a NUL byte) cannot be part of a path", url);
        *out++ = (char)(hi * 16 + lo);
        p += 2;
    }
    *out = '\0';
    return DAL_OK;
}
