/* plan.h - dalc --plan (plan.c). */
#ifndef DALC_PLAN_H
#define DALC_PLAN_H

/* Prints the migration plan from `from` (a .dal file or an SQLite database
 * made by dal) to the schema file `to`. Returns 0 when every change applies
 * by itself (or there is none), 3 when some need a decision, 1 when a schema
 * has errors, 2 on usage or I/O errors. */
int dalc_plan(const char *from, const char *to);

#endif /* DALC_PLAN_H */
