/* SPDX-License-Identifier: MIT */
/*
 * habits.h - what people coming from other schema languages write, and what
 * to write in dal instead: the "did you mean" of the checker for names that
 * are no spelling mistake (String, DateTime, @relation, @updatedAt, ...).
 */
#ifndef DALC_HABITS_H
#define DALC_HABITS_H

#include "diag.h"

/* The dal type for a type name of another language ("String" -> "text"), or NULL. */
const char *habit_type(src_tok name);
/* Advice for an unknown field attribute (without '@'): " (did you mean ...?)"
 * or a sentence starting with ": ", or NULL. */
const char *habit_field_attr(src_tok name);
/* The same for a model attribute (without "@@"). */
const char *habit_model_attr(src_tok name);
/* Advice for an unknown default function ("uuid" of uuid()), or NULL. */
const char *habit_default_call(src_tok name);

#endif
