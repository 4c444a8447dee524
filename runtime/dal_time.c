/*
 * dal_time.c - the microsecond clock and RFC 3339 text, with our own civil
 * calendar arithmetic (proleptic Gregorian, no timegm, no locale, no TZ).
 *
 * Decisions where RFC 3339 leaves room:
 *   - the representable range is 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z
 *     (what dal_time_format can print); dal_time_parse rejects text whose UTC
 *     instant falls outside it, even when the local date is in range
 *     ("0000-01-01T00:00:00+01:00" is year -1 in UTC);
 *   - fractions: one or more digits; digits beyond the sixth are truncated
 *     (towards the earlier instant), never rounded;
 *   - offsets: Z, z, +hh:mm, -hh:mm with hh 00..23 and mm 00..59 ("-00:00" is UTC);
 *   - leap seconds: second 60 is accepted only where a leap second can be,
 *     at 23:59:60 UTC (after applying the offset), and is counted as the first
 *     second of the next day: "1998-12-31T23:59:60.5Z" is the same instant as
 *     "1999-01-01T00:00:00.5Z". This is what timegm and Rust's chrono produce
 *     for such text, and it keeps order: :59.999999 < :60 == next :00;
 *   - 'T', 't' or one space between date and time; nothing before or after.
 */
#include "dal.h"

#include <time.h>

#define US_PER_SEC INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)

/* Years are shifted by one 400-year cycle so every quantity below stays
 * non-negative and plain division is floor division. */
#define YEAR_SHIFT 400

/* Days from the start of March to the start of each month, counting the
 * year from March so that February (and its leap day) comes last. */
static const int march_month_start[12] = {0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337};

/* Days from March 1 of (shifted) year 0 to March 1 of (shifted) year y:
 * 365 a year plus one for every leap February passed, i.e. for every leap
 * calendar year in 1..y. */
static int64_t days_before_march_year(int64_t y)
{
    return 365 * y + y / 4 - y / 100 + y / 400;
}

static bool is_leap(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int64_t year, int month)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : len[month - 1];
}

/* Day number of a calendar date, counted from the shifted origin. Needs year >= 0. */
static int64_t day_number(int64_t year, int month, int day)
{
    /* January and February belong to the March-based year before. */
    int64_t my = year + YEAR_SHIFT - (month <= 2 ? 1 : 0);
    int mm = month >= 3 ? month - 3 : month + 9;
    return days_before_march_year(my) + march_month_start[mm] + (day - 1);
}

/* Inverse of day_number for any n >= 0. */
static void civil_from_day_number(int64_t n, int64_t *year, int *month, int *day)
{
    int64_t my = n * 400 / 146097; /* 146097 days per 400 years: a close guess */
    while (days_before_march_year(my + 1) <= n)
        my++;
    while (days_before_march_year(my) > n)
        my--;
    int doy = (int)(n - days_before_march_year(my));
    int mm = 11;
    while (march_month_start[mm] > doy)
        mm--;
    *day = doy - march_month_start[mm] + 1;
    *month = mm < 10 ? mm + 3 : mm - 9;
    *year = my - YEAR_SHIFT + (mm >= 10 ? 1 : 0);
}

/* Day number of 1970-01-01, the Unix epoch. */
static int64_t epoch_day(void)
{
    return day_number(1970, 1, 1);
}

/* The representable range, in microseconds since the epoch. */
static int64_t min_us(void)
{
    return (day_number(0, 1, 1) - epoch_day()) * SEC_PER_DAY * US_PER_SEC;
}

static int64_t max_us(void)
{
    return (day_number(10000, 1, 1) - epoch_day()) * SEC_PER_DAY * US_PER_SEC - 1;
}

int64_t dal_now_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

/* Writes v as exactly width decimal digits (v >= 0 and fits). */
static char *put_digits(char *p, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool dal_time_format(int64_t us, char out[DAL_TIME_SIZE])
{
    if (us < min_us() || us > max_us())
        return false;
    int64_t secs = floor_div(us, US_PER_SEC);
    int64_t frac = us - secs * US_PER_SEC;
    int64_t days = floor_div(secs, SEC_PER_DAY);
    int64_t sod = secs - days * SEC_PER_DAY;

    int64_t year;
    int month, day;
    civil_from_day_number(days + epoch_day(), &year, &month, &day);

    char *p = out;
    p = put_digits(p, year, 4);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    *p++ = '.';
    p = put_digits(p, frac, 6);
    *p++ = 'Z';
    *p = '\0';
    return true;
}

/* Reads exactly n ASCII digits at *pp into *out; advances *pp. */
static bool read_digits(const char **pp, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*pp)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *pp += n;
    *out = v;
    return true;
}

static bool expect_char(const char **pp, char c)
{
    if (**pp != c)
        return false;
    (*pp)++;
    return true;
}

/* Fraction after the '.': one or more digits, kept to microseconds. */
static bool read_fraction(const char **pp, int64_t *frac_us)
{
    const char *p = *pp;
    int64_t f = 0;
    int n = 0;
    while (*p >= '0' && *p <= '9') {
        if (n < 6)
            f = f * 10 + (*p - '0');
        n++;
        p++;
    }
    if (n == 0)
        return false;
    for (int i = n; i < 6; i++)
        f *= 10;
    *pp = p;
    *frac_us = f;
    return true;
}

/* Z / z / +hh:mm / -hh:mm, as seconds east of UTC. */
static bool read_offset(const char **pp, int64_t *offset_s)
{
    const char *p = *pp;
    if (*p == 'Z' || *p == 'z') {
        *pp = p + 1;
        *offset_s = 0;
        return true;
    }
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p == '-' ? -1 : 1;
    p++;
    int oh, om;
    if (!read_digits(&p, 2, &oh) || !expect_char(&p, ':') || !read_digits(&p, 2, &om))
        return false;
    if (oh > 23 || om > 59)
        return false;
    *pp = p;
    *offset_s = sign * (oh * 3600 + om * 60);
    return true;
}

bool dal_time_parse(const char *text, int64_t *us)
{
    if (text == NULL || us == NULL)
        return false;
    const char *p = text;
    int year, month, day, hour, minute, second;
    if (!read_digits(&p, 4, &year) || !expect_char(&p, '-') || !read_digits(&p, 2, &month) ||
        !expect_char(&p, '-') || !read_digits(&p, 2, &day))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!read_digits(&p, 2, &hour) || !expect_char(&p, ':') || !read_digits(&p, 2, &minute) ||
        !expect_char(&p, ':') || !read_digits(&p, 2, &second))
        return false;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        if (!read_fraction(&p, &frac))
            return false;
    }
    int64_t offset = 0;
    if (!read_offset(&p, &offset) || *p != '\0')
        return false;

    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return false;
    if (hour > 23 || minute > 59 || second > 60)
        return false;

    bool leap = second == 60;
    int64_t secs = (day_number(year, month, day) - epoch_day()) * SEC_PER_DAY +
                   hour * 3600 + minute * 60 + (leap ? 59 : second) - offset;
    if (leap) {
        /* Only 23:59:60 UTC can be a leap second; it counts as the next day's 00:00:00. */
        if (secs - floor_div(secs, SEC_PER_DAY) * SEC_PER_DAY != SEC_PER_DAY - 1)
            return false;
        secs += 1;
    }
    int64_t v = secs * US_PER_SEC + frac;
    if (v < min_us() || v > max_us())
        return false;
    *us = v;
    return true;
}
