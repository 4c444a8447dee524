/*
 * dal_error.c - error codes and the caller-owned dal_error.
 *
 * Messages are formatted into a local buffer first and then copied, so the
 * arguments may point into err->message itself (dal_set_error(err, c, "%s",
 * err->message) is fine). A message longer than the buffer is cut at a UTF-8
 * character boundary and ends in "..." so the reader can tell it was cut.
 */
#include "dal_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *dal_code_name(dal_code code)
{
    switch (code) {
    case DAL_OK: return "ok";
    case DAL_ERR_DATABASE: return "database";
    case DAL_ERR_SERIALIZATION: return "serialization";
    case DAL_ERR_NOT_FOUND: return "not_found";
    case DAL_ERR_TRANSACTION: return "transaction";
    case DAL_ERR_MIGRATION: return "migration";
    case DAL_ERR_POOL: return "pool";
    case DAL_ERR_CONSTRAINT: return "constraint";
    case DAL_ERR_INVALID: return "invalid";
    case DAL_ERR_NOMEM: return "nomem";
    case DAL_ERR_OTHER: return "other";
    case DAL_ERR_BUSY: return "busy";
    }
    return "unknown";
}

/* Cuts buf (of capacity cap, holding a string that was truncated) so that it
 * ends on a whole UTF-8 character followed by "...". */
static void mark_truncated(char *buf, size_t cap)
{
    static const char ellipsis[] = "...";
    size_t end = cap - sizeof ellipsis; /* room for "..." and the NUL */
    /* Step back over continuation bytes so no character is cut in half. */
    while (end > 0 && ((unsigned char)buf[end] & 0xC0) == 0x80)
        end--;
    memcpy(buf + end, ellipsis, sizeof ellipsis);
}

/* vsnprintf into buf[cap] with the truncation marker; "" on encoding errors. */
static void format_into(char *buf, size_t cap, const char *fmt, va_list ap)
{
    if (fmt == NULL) {
        buf[0] = '\0';
        return;
    }
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n < 0)
        buf[0] = '\0';
    else if ((size_t)n >= cap)
        mark_truncated(buf, cap);
}

dal_code dal_set_error(dal_error *err, dal_code code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    char tmp[DAL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    format_into(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    err->code = code;
    memcpy(err->message, tmp, sizeof tmp);
    return code;
}

const char *dal_clip(const char *s, char buf[DAL_CLIP_SIZE])
{
    if (s == NULL)
        return "(null)";
    size_t n = strlen(s);
    if (n < DAL_CLIP_SIZE)
        return s;
    size_t head = (DAL_CLIP_SIZE - 4) / 2, tail = DAL_CLIP_SIZE - 4 - head;
    /* whole UTF-8 characters on both sides */
    while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80)
        head--;
    while (tail > 0 && ((unsigned char)s[n - tail] & 0xC0) == 0x80)
        tail--;
    memcpy(buf, s, head);
    memcpy(buf + head, "...", 3);
    memcpy(buf + head + 3, s + n - tail, tail);
    buf[head + 3 + tail] = '\0';
    return buf;
}

dal_code dal_error_prefix(dal_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return DAL_OK;
    char prefix[DAL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    format_into(prefix, sizeof prefix, fmt, ap);
    va_end(ap);

    char old[DAL_ERROR_MESSAGE_SIZE];
    memcpy(old, err->message, sizeof old);
    old[sizeof old - 1] = '\0';

    /* the old message holds the cause: when both do not fit, the prefix
     * (context) is cut, never the cause */
    size_t olen = strlen(old), plen = strlen(prefix);
    if (old[0] != '\0' && plen + 2 + olen >= sizeof prefix) {
        size_t room = olen + 2 + 4 <= sizeof prefix - 1 ? sizeof prefix - 1 - 2 - olen : 0;
        size_t keep = room >= 3 ? room - 3 : 0;
        while (keep > 0 && ((unsigned char)prefix[keep] & 0xC0) == 0x80)
            keep--;
        if (room == 0)
            prefix[0] = '\0';
        else
            memcpy(prefix + keep, "...", 4);
    }
    char joined[DAL_ERROR_MESSAGE_SIZE];
    int n = old[0] != '\0' && prefix[0] == '\0' ? snprintf(joined, sizeof joined, "%s", old)
            : old[0] != '\0' ? snprintf(joined, sizeof joined, "%s: %s", prefix, old)
                           : snprintf(joined, sizeof joined, "%s", prefix);
    if (n < 0)
        joined[0] = '\0';
    else if ((size_t)n >= sizeof joined)
        mark_truncated(joined, sizeof joined);
    memcpy(err->message, joined, sizeof joined);
    return err->code;
}

void dal_error_clear(dal_error *err)
{
    if (err == NULL)
        return;
    err->code = DAL_OK;
    memset(err->message, 0, sizeof err->message);
}
