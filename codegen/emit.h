/*
 * emit.h - what the emitters share: an output buffer, C naming, and the
 * mapping from model types to C types and runtime descriptors.
 *
 * The emitters read only the resolved model (model.h). Output is
 * deterministic: the same schema gives the same bytes.
 */
#ifndef DALC_EMIT_H
#define DALC_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "names.h"

/* A growing text buffer. Allocation failure is fatal in dalc (it prints and
 * exits 2): the generator is a short-lived build tool. */
typedef struct ebuf {
    char *s;
    size_t len, cap;
} ebuf;

void eb_printf(ebuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void eb_puts(ebuf *b, const char *s);
void eb_free(ebuf *b);

/* A C string literal for s (quotes and escapes included). */
void eb_cstring(ebuf *b, const char *s);

/* C type of one value of t inside a struct: "char *", "int64_t", ... For an
 * enum, the generated enum type. */
void c_value_type(ebuf *b, const m_schema *s, const m_type *t);
/* C type of a list of t: "dal_text_list", "swarm_agent_status_list". */
void c_list_type(ebuf *b, const m_schema *s, const m_type *t);
/* "DAL_TEXT", ... */
const char *dal_type_const(m_kind k);
/* True for the kinds stored inline with a has_ flag when optional. */
bool kind_is_scalar(m_kind k);

/* FNV-1a 64 of the storage shape of the schema (tables, columns, types, keys,
 * unique constraints, references; not plain indexes, which backends add when
 * missing), as 16 hex digits in out. */
void schema_version(const m_schema *s, char out[17]);

/* The runtime ABI this dalc writes code for (dal.h's DAL_ABI_VERSION). */
#define DAL_ABI_EXPECTED 1

/* A section banner. */
void section(ebuf *b, const char *title);
/* s with comment delimiters defused, for use inside a C comment. */
void comment_text(ebuf *b, const char *s);
/* "uuid?", "text[]", "map<json>", "AgentStatus" */
void type_text(ebuf *b, const m_type *t);
/* A field as declared: "uuid @id @default(uuid7)". */
void field_decl_text(ebuf *b, const m_schema *s, const m_model *m, const m_field *f);
/* An aggregate row field: "avg(value)", "count()", "group by agent_id". */
void agg_item_text(ebuf *b, const m_model *m, const m_agg_item *it);
/* The whole declaration of a query, update, delete or aggregate, as DSL text
 * (several lines, no trailing newline). */
void query_text(ebuf *b, const m_schema *s, const m_query *q);
/* "const char *id, " for each primary-key field. */
void key_params(ebuf *b, const m_schema *s, const m_model *m);
/* The C parameter declaration of a value of type t: "const char *agent_id"
 * (cname: the parameter's C name, from names.h). */
void param_decl(ebuf *b, const m_schema *s, const m_type *t, const char *cname);
/* "dal_code swarm_task_claim(swarm_db *db, const char *id, ..., dal_error *err)" */
void query_signature(ebuf *b, const m_schema *s, const m_query *q);

/* The two output files. */
void emit_header(ebuf *b, const m_schema *s, const char *source_name);
void emit_source(ebuf *b, const m_schema *s, const char *source_name);

/* The typed run-time query builder of model m (emit_builder.c): its
 * declarations in the header, its wrappers in the source. */
void emit_builder_header(ebuf *b, const m_schema *s, const m_model *m);
void emit_builder_source(ebuf *b, const m_schema *s, const m_model *m);

#endif /* DALC_EMIT_H */
