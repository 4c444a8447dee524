/*
 * main.c - a user's program on the generated "lib" schema (library.dal).
 *   library_app URL      runs a small lending-library session and checks it
 * Exit status 0 when every result is what the schema promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

static int failures = 0;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "library_app: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

#define OK(call)                                                                         \
    do {                                                                                 \
        dal_code rc_ = (call);                                                           \
        if (rc_ != DAL_OK) {                                                             \
            fprintf(stderr, "library_app: %s:%d: %s: %s\n", __FILE__, __LINE__, #call, err.message); \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: library_app URL\n");
        return 2;
    }
    dal_error err = {0};
    lib_db *db = lib_open(argv[1], &err);
    if (db == NULL) {
        fprintf(stderr, "library_app: open %s: %s\n", argv[1], err.message);
        return 1;
    }

    lib_branch br;
    lib_branch_init(&br);
    dal_strset(&br.code, "NORTH");
    dal_strset(&br.name, "North branch");
    br.opened = -86400000000LL * 365; /* 1969 */
    OK(lib_branch_insert(db, &br, &err));

    lib_member m;
    lib_member_init(&m);
    CHECK(m.credit == 0.5 && m.visits == -7 && m.quota == 5 && m.balance == 42 && m.active);
    CHECK(strlen(m.id) == 36 && m.id[14] == '4');
    dal_strset(&m.email, "ada@example.org");
    dal_strset(&m.name, "Ada");
    dal_strset(&m.home, "NORTH");
    dal_text_list_push(&m.tags, "it's; DROP TABLE members; --");
    OK(lib_member_insert(db, &m, &err));

#ifdef EXPECT_NICKNAME
    /* the field added to the schema by the test, after the first build */
    dal_strset(&m.nickname2, "countess");
    char *js = lib_member_to_json(&m);
    CHECK(js != NULL && strstr(js, "\"nickname2\":\"countess\"") != NULL);
    free(js);
#endif

    static const char *const titles[] = {"Dune", "Emma", "Beowulf", "Odes"};
    static const lib_genre genres[] = {LIB_GENRE_FICTION, LIB_GENRE_FICTION, LIB_GENRE_POETRY, LIB_GENRE_POETRY};
    for (int i = 0; i < 4; i++) {
        lib_book b;
        lib_book_init(&b);
        char isbn[16];
        snprintf(isbn, sizeof isbn, "isbn-%d", i);
        dal_strset(&b.isbn, isbn);
        dal_strset(&b.title, titles[i]);
        dal_strset(&b.branch, "NORTH");
        b.genre = genres[i];
        if (i % 2 == 0) {
            b.has_price = true;
            b.price = 10.0 * (i + 1);
        }
        OK(lib_book_insert(db, &b, &err));
        lib_book_clear(&b);
    }

    /* like + in + optional parameter + order + limit/offset */
    lib_genre_list fiction = {1, (lib_genre[]){LIB_GENRE_FICTION}};
    double max_price = 15.0;
    lib_book_list found = {0};
    OK(lib_book_search(db, "%e%", &fiction, &max_price, 10, 0, &found, &err));
    /* fiction with an 'e' in the title: Dune (10.0 <= 15), Emma (no price) */
    CHECK(found.n == 2 && strcmp(found.v[0].title, "Dune") == 0 && strcmp(found.v[1].title, "Emma") == 0);
    lib_book_list_free(&found);

    lib_loan loan;
    lib_loan_init(&loan);
    dal_uuidset(loan.member_id, m.id);
    dal_strset(&loan.isbn, "isbn-0");
    loan.due = dal_now_us() - 1000;
    OK(lib_loan_insert(db, &loan, &err));
    CHECK(loan.seq == 1);
    lib_loan_list overdue = {0};
    OK(lib_loan_overdue(db, dal_now_us(), &overdue, &err));
    CHECK(overdue.n == 1);
    lib_loan_list_free(&overdue);
    bool renewed = false;
    OK(lib_loan_renew(db, m.id, "isbn-0", dal_now_us() + 1000000, &renewed, &err));
    CHECK(renewed);
    OK(lib_loan_give_back(db, m.id, "isbn-0", &err));
    CHECK(lib_loan_give_back(db, m.id, "isbn-404", &err) == DAL_ERR_NOT_FOUND);

    lib_review r;
    lib_review_init(&r);
    dal_strset(&r.isbn, "isbn-2");
    r.has_member_id = true;
    dal_uuidset(r.member_id, m.id);
    r.stars = 4;
    OK(lib_review_insert(db, &r, &err));
    lib_review_stats_row_list stats = {0};
    OK(lib_review_stats(db, 0, &stats, &err));
    CHECK(stats.n == 1 && stats.v[0].reviews == 1 && stats.v[0].mean == 4.0 && stats.v[0].total == 4);
    lib_review_stats_row_list_free(&stats);
    int64_t gone = 0;
    OK(lib_review_by_member(db, m.id, &gone, &err));
    CHECK(gone == 1);

    /* cascade: deleting the member deletes the loan */
    OK(lib_member_delete(db, m.id, &err));
    int64_t loans = -1;
    OK(lib_loan_count(db, &loans, &err));
    CHECK(loans == 0);

    lib_member back;
    lib_member_init(&back);
    char *json = lib_member_to_json(&m);
    OK(lib_member_from_json(&back, json, &err));
    CHECK(lib_member_equal(&m, &back));
    printf("%s\n", json);
    free(json);

    lib_member_clear(&back);
    lib_loan_clear(&loan);
    lib_review_clear(&r);
    lib_member_clear(&m);
    lib_branch_clear(&br);
    lib_close(db);
    printf("library_app %s: %s\n", argv[1], failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
