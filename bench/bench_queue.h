/*
 * bench_queue.h - the task-queue and multi-thread part of dal_bench
 * (bench_queue.c): claims/s of Task.claim_next against the same statement
 * hand-written and against the two-step pattern, workers' shares, and gets
 * from several threads against one hand-written connection per thread.
 */
#ifndef BENCH_QUEUE_H
#define BENCH_QUEUE_H

#include <stdbool.h>
#include <stdio.h>

/* Runs in dir (a fresh database there, removed at the end); JSON lines on
 * stdout when json, the table on table. */
void bench_queue_run(const char *dir, bool quick, bool json, FILE *table);

#endif
