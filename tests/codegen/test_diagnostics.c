/* test_diagnostics.c - the exact text of every diagnostic of the front end:
 * one schema per check (DSL.md's list and the rest of check.c), each giving
 * exactly one error, printed as file:line:col, message, source line, caret.
 * Then files with several errors, and bytes that are not text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"

typedef struct diag_case {
    const char *name;
    const char *schema;
    size_t len;             /* 0: strlen(schema) (a schema with a NUL gives it) */
    const char *expected;   /* the whole diagnostic text */
} diag_case;

#define NS "namespace t;\n"
#define MA "model A { id int @id }\n"

static const diag_case cases[] = {
    /* ---- lexical */
    {"unterminated_string",
     NS "model A { id int @id @@table(\"as) }\n",
     0,
     "t.dal:2:30: error: unterminated string: no closing '\"' on its line\n"
     "model A { id int @id @@table(\"as) }\n"
     "                             ^\n"},
    {"unterminated_comment",
     NS MA "/* the end\n",
     0,
     "t.dal:3:1: error: unterminated comment: no '*/' before the end of the file\n"
     "/* the end\n"
     "^\n"},
    {"bad_escape",
     NS "model A { id int @id  s text @default(\"a\\qb\") }\n",
     0,
     "t.dal:2:41: error: unknown escape '\\q' in a string (use \\\" \\\\ \\n or \\t)\n"
     "model A { id int @id  s text @default(\"a\\qb\") }\n"
     "                                        ^\n"},
    {"invalid_utf8",
     NS "model A { id int @id  s text @default(\"caf\351\") }\n",
     0,
     "t.dal:2:43: error: invalid UTF-8 byte 0xE9 in a string\n"
     "model A { id int @id  s text @default(\"caf?\") }\n"
     "                                          ^\n"},
    {"nul_byte",
     NS "model A { id int @id\000 }\n",
     37,
     "t.dal:2:21: error: NUL byte in the text\n"
     "model A { id int @id? }\n"
     "                    ^\n"},
    {"unexpected_character",
     NS "model A { id int @id # }\n",
     0,
     "t.dal:2:22: error: unexpected character '#'\n"
     "model A { id int @id # }\n"
     "                     ^\n"},
    {"malformed_number",
     NS "model A { id int @id @default(12ab) }\n",
     0,
     "t.dal:2:31: error: malformed number '12ab'\n"
     "model A { id int @id @default(12ab) }\n"
     "                              ^\n"},
    {"double_equals",
     NS MA "query A.q() -> many { where id == 1 }\n",
     0,
     "t.dal:3:32: error: '==' is not an operator: write '='\n"
     "query A.q() -> many { where id == 1 }\n"
     "                               ^\n"},

    /* ---- syntax */
    {"syntax_namespace",
     "namespace t\n"
     "model A { id int @id }\n",
     0,
     "t.dal:2:1: error: expected ';' after 't', got 'model'\n"
     "model A { id int @id }\n"
     "^\n"},
    {"syntax_declaration",
     NS "modle A { id int @id }\n",
     0,
     "t.dal:2:1: error: expected a declaration (namespace, enum, model, query, update, delete "
     "or aggregate), got 'modle'\n"
     "modle A { id int @id }\n"
     "^\n"},
    {"syntax_field",
     NS "model A { id int @id, name text }\n",
     0,
     "t.dal:2:21: error: expected a name, an @attribute, an @@attribute, '}' or '(' after "
     "'@id', got ','\n"
     "model A { id int @id, name text }\n"
     "                    ^\n"},
    {"syntax_value",
     NS MA "query A.q() -> many { where id = }\n",
     0,
     "t.dal:3:34: error: expected a value ($parameter, literal or name) after '=', got '}'\n"
     "query A.q() -> many { where id = }\n"
     "                                 ^\n"},
    {"syntax_end_of_file",
     NS "model A {\n"
     "  id int @id\n",
     0,
     "t.dal:3:13: error: expected a name, an @attribute, an @@attribute, '}' or '(' after "
     "'@id', got end of file\n"
     "  id int @id\n"
     "            ^\n"},
    {"syntax_order_by",
     NS MA "query A.q() -> many { order id }\n",
     0,
     "t.dal:3:29: error: expected 'by' after 'order', got 'id'\n"
     "query A.q() -> many { order id }\n"
     "                            ^\n"},
    {"syntax_enum",
     NS "enum E { a; b }\n",
     0,
     "t.dal:2:11: error: expected '}', ',' or '=' after 'a', got ';'\n"
     "enum E { a; b }\n"
     "          ^\n"},
    {"syntax_param",
     NS MA "query A.q(x int) -> many { where id = $x }\n",
     0,
     "t.dal:3:13: error: expected ':' after 'x', got 'int'\n"
     "query A.q(x int) -> many { where id = $x }\n"
     "            ^\n"},

    /* ---- namespace */
    {"missing_namespace",
     "// no namespace\n"
     "model A { id int @id }\n",
     0,
     "t.dal:2:1: error: missing namespace: the schema must declare one, e.g. 'namespace app;' "
     "(it prefixes every generated C name)\n"
     "model A { id int @id }\n"
     "^\n"},
    {"missing_namespace_empty",
     "",
     0,
     "t.dal:1:1: error: missing namespace: the schema must declare one, e.g. 'namespace app;' "
     "(it prefixes every generated C name)\n"
     "\n"
     "^\n"},
    {"second_namespace",
     NS MA "namespace u;\n",
     0,
     "t.dal:3:1: error: second namespace 'u': the schema's namespace is already 't' (line 1)\n"
     "namespace u;\n"
     "^\n"},
    {"namespace_dal",
     "namespace dal;\n"
     "model A { id int @id }\n",
     0,
     "t.dal:1:11: error: namespace 'dal' is reserved for the runtime\n"
     "namespace dal;\n"
     "          ^\n"},

    /* ---- enums and type names */
    {"duplicate_enum",
     NS "enum E { a }\n"
     "enum E { b }\n",
     0,
     "t.dal:3:6: error: duplicate name 'E': already declared at line 2\n"
     "enum E { b }\n"
     "     ^\n"},
    {"duplicate_model",
     NS MA "model A { id int @id }\n",
     0,
     "t.dal:3:7: error: duplicate name 'A': already declared at line 2\n"
     "model A { id int @id }\n"
     "      ^\n"},
    {"model_named_like_enum",
     NS "enum A { a }\n"
     "model A { id int @id }\n",
     0,
     "t.dal:3:7: error: duplicate name 'A': already declared at line 2\n"
     "model A { id int @id }\n"
     "      ^\n"},
    {"builtin_type_name",
     NS "model text { id int @id }\n",
     0,
     "t.dal:2:7: error: model name 'text' is a built-in type\n"
     "model text { id int @id }\n"
     "      ^\n"},
    {"same_c_name",
     NS "model FooBar { id int @id }\n"
     "model Foo_bar { id int @id }\n",
     0,
     "t.dal:3:7: error: model 'Foo_bar' and 'FooBar' (line 2) have the same C name 'foo_bar'\n"
     "model Foo_bar { id int @id }\n"
     "      ^\n"},
    {"duplicate_member",
     NS "enum E { a, b, a }\n",
     0,
     "t.dal:2:16: error: duplicate member 'a' in enum E\n"
     "enum E { a, b, a }\n"
     "               ^\n"},
    {"member_snake_clash",
     NS "enum E { darkRed, dark_red }\n",
     0,
     "t.dal:2:19: error: members 'darkRed' and 'dark_red' of enum E are both stored as "
     "'dark_red'\n"
     "enum E { darkRed, dark_red }\n"
     "                  ^\n"},
    {"mixed_enum_forms",
     NS "enum E { a = 1, b, c = 3 }\n",
     0,
     "t.dal:2:17: error: enum E mixes members with and without values: give every member a "
     "value (= N) or none\n"
     "enum E { a = 1, b, c = 3 }\n"
     "                ^\n"},
    {"enum_value_range",
     NS "enum E { a = 1, b = 3000000000 }\n",
     0,
     "t.dal:2:21: error: value 3000000000 of enum member 'b' does not fit in 32 bits\n"
     "enum E { a = 1, b = 3000000000 }\n"
     "                    ^\n"},
    {"enum_duplicate_value",
     NS "enum E { a = 1, b = 2, c = 1 }\n",
     0,
     "t.dal:2:28: error: enum members 'a' and 'c' of E have the same value 1\n"
     "enum E { a = 1, b = 2, c = 1 }\n"
     "                           ^\n"},

    /* ---- fields and types */
    {"duplicate_field",
     NS "model A {\n"
     "  id int @id\n"
     "  name text\n"
     "  name int\n"
     "}\n",
     0,
     "t.dal:5:3: error: duplicate field 'name' in model A (first at line 4)\n"
     "  name int\n"
     "  ^\n"},
    {"field_case_clash",
     NS "model A { id int @id  name text  Name text }\n",
     0,
     "t.dal:2:34: error: fields 'name' and 'Name' of model A differ only in case: their "
     "generated C names would clash\n"
     "model A { id int @id  name text  Name text }\n"
     "                                 ^\n"},
    {"unknown_type",
     NS "model A { id int @id  name txt }\n",
     0,
     "t.dal:2:28: error: unknown type 'txt' (did you mean 'text'?)\n"
     "model A { id int @id  name txt }\n"
     "                           ^\n"},
    {"unknown_type_far",
     NS "model A { id int @id  name string }\n",
     0,
     "t.dal:2:28: error: unknown type 'string'\n"
     "model A { id int @id  name string }\n"
     "                           ^\n"},
    {"model_as_type",
     NS MA "model B { id int @id  owner A }\n",
     0,
     "t.dal:3:29: error: 'A' is a model, not a field type: store its key with @ref(A.<key>)\n"
     "model B { id int @id  owner A }\n"
     "                            ^\n"},
    {"map_element",
     NS "model A { id int @id  m map<int> }\n",
     0,
     "t.dal:2:29: error: a map holds text or json values: map<text> or map<json>, not "
     "map<int>\n"
     "model A { id int @id  m map<int> }\n"
     "                            ^\n"},
    {"map_without_element",
     NS "model A { id int @id  m map }\n",
     0,
     "t.dal:2:25: error: map needs its value type: map<text> or map<json>\n"
     "model A { id int @id  m map }\n"
     "                        ^\n"},
    {"generic_not_map",
     NS "model A { id int @id  m list<text> }\n",
     0,
     "t.dal:2:25: error: 'list<...>' is not a type: only map takes an element type (map<text> "
     "or map<json>)\n"
     "model A { id int @id  m list<text> }\n"
     "                        ^\n"},
    {"list_of_json",
     NS "model A { id int @id  m json[] }\n",
     0,
     "t.dal:2:29: error: a list holds scalars or enum members: 'json[]' is not a type (a json "
     "value can hold an array)\n"
     "model A { id int @id  m json[] }\n"
     "                            ^\n"},
    {"optional_list",
     NS "model A { id int @id  tags text[]? }\n",
     0,
     "t.dal:2:34: error: a list cannot be optional: an empty list says there is nothing\n"
     "model A { id int @id  tags text[]? }\n"
     "                                 ^\n"},
    {"unknown_field_attribute",
     NS "model A { id int @id  n int @indexx }\n",
     0,
     "t.dal:2:29: error: unknown field attribute '@indexx' (did you mean 'index'?)\n"
     "model A { id int @id  n int @indexx }\n"
     "                            ^\n"},
    {"unknown_model_attribute",
     NS "model A { id int @id  @@tabel(\"as\") }\n",
     0,
     "t.dal:2:23: error: unknown model attribute '@@tabel'\n"
     "model A { id int @id  @@tabel(\"as\") }\n"
     "                      ^\n"},
    {"repeated_attribute",
     NS "model A { id int @id  n int @index @index }\n",
     0,
     "t.dal:2:36: error: @index is given twice on field 'n'\n"
     "model A { id int @id  n int @index @index }\n"
     "                                   ^\n"},
    {"attribute_without_arguments",
     NS "model A { id int @id(1) }\n",
     0,
     "t.dal:2:18: error: @id takes no arguments\n"
     "model A { id int @id(1) }\n"
     "                 ^\n"},
    {"column_not_identifier",
     NS "model A { id int @id  n int @column(\"a b\") }\n",
     0,
     "t.dal:2:37: error: column name \"a b\" must be an identifier (letters, digits, _)\n"
     "model A { id int @id  n int @column(\"a b\") }\n"
     "                                    ^\n"},
    {"column_not_string",
     NS "model A { id int @id  n int @column(nn) }\n",
     0,
     "t.dal:2:37: error: @column takes a column name in quotes, e.g. (\"name\")\n"
     "model A { id int @id  n int @column(nn) }\n"
     "                                    ^\n"},
    {"duplicate_column",
     NS "model A { id int @id  a int  b int @column(\"a\") }\n",
     0,
     "t.dal:2:30: error: fields 'a' and 'b' of model A have the same column 'a'\n"
     "model A { id int @id  a int  b int @column(\"a\") }\n"
     "                             ^\n"},
    {"has_flag_clash",
     NS "model A { id int @id  x int?  has_x bool }\n",
     0,
     "t.dal:2:31: error: field 'has_x' has the name of the presence flag of optional field "
     "'x' in the generated struct\n"
     "model A { id int @id  x int?  has_x bool }\n"
     "                              ^\n"},

    /* ---- keys */
    {"no_primary_key",
     NS "model A { name text }\n",
     0,
     "t.dal:2:7: error: model A has no primary key: mark a field @id (or add @@id([a, b]) for "
     "a composite key)\n"
     "model A { name text }\n"
     "      ^\n"},
    {"two_ids",
     NS "model A { a int @id  b int @id }\n",
     0,
     "t.dal:2:28: error: model A has more than one @id: use @@id([a, b]) for a composite key\n"
     "model A { a int @id  b int @id }\n"
     "                           ^\n"},
    {"id_and_model_id",
     NS "model A { a int @id  b int  @@id([a, b]) }\n",
     0,
     "t.dal:2:29: error: model A has both @id and @@id: use one of them\n"
     "model A { a int @id  b int  @@id([a, b]) }\n"
     "                            ^\n"},
    {"optional_id",
     NS "model A { id int? @id }\n",
     0,
     "t.dal:2:11: error: @id field 'id' cannot be optional\n"
     "model A { id int? @id }\n"
     "          ^\n"},
    {"id_not_scalar",
     NS "model A { id json @id }\n",
     0,
     "t.dal:2:11: error: @id field 'id' (json) must be a scalar: not a list, map or json\n"
     "model A { id json @id }\n"
     "          ^\n"},
    {"model_id_optional",
     NS "model A { a int  b int?  @@id([a, b]) }\n",
     0,
     "t.dal:2:35: error: primary key field 'b' cannot be optional\n"
     "model A { a int  b int?  @@id([a, b]) }\n"
     "                                  ^\n"},
    {"model_id_direction",
     NS "model A { a int  b int  @@id([a, b desc]) }\n",
     0,
     "t.dal:2:34: error: the fields of @@id take no direction\n"
     "model A { a int  b int  @@id([a, b desc]) }\n"
     "                                 ^\n"},
    {"model_id_twice",
     NS "model A { a int  b int  @@id([a]) @@id([b]) }\n",
     0,
     "t.dal:2:35: error: @@id is given twice in model A\n"
     "model A { a int  b int  @@id([a]) @@id([b]) }\n"
     "                                  ^\n"},
    {"model_id_not_list",
     NS "model A { a int  @@id(a) }\n",
     0,
     "t.dal:2:23: error: @@id takes a list of fields, e.g. @@id([a, b])\n"
     "model A { a int  @@id(a) }\n"
     "                      ^\n"},
    {"table_twice",
     NS "model A { id int @id  @@table(\"a\") @@table(\"b\") }\n",
     0,
     "t.dal:2:36: error: @@table is given twice in model A\n"
     "model A { id int @id  @@table(\"a\") @@table(\"b\") }\n"
     "                                   ^\n"},
    {"table_not_identifier",
     NS "model A { id int @id  @@table(\"my-table\") }\n",
     0,
     "t.dal:2:31: error: table name \"my-table\" must be an identifier (letters, digits, _)\n"
     "model A { id int @id  @@table(\"my-table\") }\n"
     "                              ^\n"},
    {"same_table",
     NS MA "model B { id int @id  @@table(\"as\") }\n",
     0,
     "t.dal:3:7: error: models A and B have the same table 'as'\n"
     "model B { id int @id  @@table(\"as\") }\n"
     "      ^\n"},
    {"reserved_table",
     NS "model SchemaMigration { id int @id }\n",
     0,
     "t.dal:2:7: error: model SchemaMigration: table 'schema_migrations' is reserved for the storage layer "
     "(rename it with @@table)\n"
     "model SchemaMigration { id int @id }\n"
     "      ^\n"},

    /* ---- defaults */
    {"default_wrong_type",
     NS "model A { id int @id  n int @default(\"5\") }\n",
     0,
     "t.dal:2:38: error: default \"5\" for field 'n' (int) is a string\n"
     "model A { id int @id  n int @default(\"5\") }\n"
     "                                     ^\n"},
    {"default_out_of_range",
     NS "model A { id int @id  n u32 @default(-1) }\n",
     0,
     "t.dal:2:38: error: default -1 for field 'n' (u32) is out of range\n"
     "model A { id int @id  n u32 @default(-1) }\n"
     "                                     ^\n"},
    {"default_i32_range",
     NS "model A { id int @id  n i32 @default(2147483648) }\n",
     0,
     "t.dal:2:38: error: default 2147483648 for field 'n' (i32) is out of range\n"
     "model A { id int @id  n i32 @default(2147483648) }\n"
     "                                     ^\n"},
    {"default_int64_range",
     NS "model A { id int @id  n int @default(9223372036854775808) }\n",
     0,
     "t.dal:2:38: error: default 9223372036854775808 for field 'n' (int) is out of range\n"
     "model A { id int @id  n int @default(9223372036854775808) }\n"
     "                                     ^\n"},
    {"default_real_for_int",
     NS "model A { id int @id  n int @default(1.5) }\n",
     0,
     "t.dal:2:38: error: default 1.5 for field 'n' (int) is a real number\n"
     "model A { id int @id  n int @default(1.5) }\n"
     "                                     ^\n"},
    {"default_real_range",
     NS "model A { id int @id  r real @default(1e999) }\n",
     0,
     "t.dal:2:39: error: default 1e999 for field 'r' (real) is out of range\n"
     "model A { id int @id  r real @default(1e999) }\n"
     "                                      ^\n"},
    {"default_unknown_member",
     NS "enum E { red, green }\n"
     "model A { id int @id  e E @default(gren) }\n",
     0,
     "t.dal:3:36: error: unknown member 'gren' of enum E (did you mean 'green'?)\n"
     "model A { id int @id  e E @default(gren) }\n"
     "                                   ^\n"},
    {"default_member_for_text",
     NS "model A { id int @id  s text @default(red) }\n",
     0,
     "t.dal:2:39: error: unknown default 'red' for field 's' (text)\n"
     "model A { id int @id  s text @default(red) }\n"
     "                                      ^\n"},
    {"default_now_not_timestamp",
     NS "model A { id int @id  n int @default(now) }\n",
     0,
     "t.dal:2:38: error: default now for field 'n' (int): only a timestamp field takes now\n"
     "model A { id int @id  n int @default(now) }\n"
     "                                     ^\n"},
    {"default_uuid7_not_uuid",
     NS "model A { id int @id  s text @default(uuid7) }\n",
     0,
     "t.dal:2:39: error: default uuid7 for field 's' (text): only a uuid field takes uuid7\n"
     "model A { id int @id  s text @default(uuid7) }\n"
     "                                      ^\n"},
    {"default_empty_list_not_list",
     NS "model A { id int @id  s text @default([]) }\n",
     0,
     "t.dal:2:39: error: default [] for field 's' (text): only a list field takes []\n"
     "model A { id int @id  s text @default([]) }\n"
     "                                      ^\n"},
    {"default_list_not_empty",
     NS "model A { id int @id  s text[] @default([a]) }\n",
     0,
     "t.dal:2:41: error: a list default must be empty: []\n"
     "model A { id int @id  s text[] @default([a]) }\n"
     "                                        ^\n"},
    {"default_empty_map_not_map",
     NS "model A { id int @id  s text @default({}) }\n",
     0,
     "t.dal:2:39: error: default {} for field 's' (text): only a map or json field takes {}\n"
     "model A { id int @id  s text @default({}) }\n"
     "                                      ^\n"},
    {"default_null_not_optional",
     NS "model A { id int @id  s text @default(null) }\n",
     0,
     "t.dal:2:39: error: default null for field 's' (text): the field is not optional\n"
     "model A { id int @id  s text @default(null) }\n"
     "                                      ^\n"},
    {"default_parameter",
     NS "model A { id int @id  s text @default($x) }\n",
     0,
     "t.dal:2:39: error: a default cannot be a parameter\n"
     "model A { id int @id  s text @default($x) }\n"
     "                                      ^\n"},
    {"default_call",
     NS "model A { id int @id  s text @default(lower()) }\n",
     0,
     "t.dal:2:39: error: unknown default lower(): a default is a literal, an enum member, "
     "now, uuid7, uuid4, [] or {}\n"
     "model A { id int @id  s text @default(lower()) }\n"
     "                                      ^\n"},
    {"default_value_for_list",
     NS "model A { id int @id  s int[] @default(1) }\n",
     0,
     "t.dal:2:40: error: default 1 for field 's' (int[]): a list field's default is []\n"
     "model A { id int @id  s int[] @default(1) }\n"
     "                                       ^\n"},
    {"default_json_literal",
     NS "model A { id int @id  j json @default(1) }\n",
     0,
     "t.dal:2:39: error: default 1 for field 'j' (json): a map or json field's default is {}\n"
     "model A { id int @id  j json @default(1) }\n"
     "                                      ^\n"},
    {"default_bad_uuid",
     NS "model A { id uuid @id @default(\"not-a-uuid\") }\n",
     0,
     "t.dal:2:32: error: default \"not-a-uuid\" for field 'id' (uuid) is not a UUID "
     "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n"
     "model A { id uuid @id @default(\"not-a-uuid\") }\n"
     "                               ^\n"},
    {"default_two_values",
     NS "model A { id int @id  n int @default(1, 2) }\n",
     0,
     "t.dal:2:29: error: @default takes one value: @default(v)\n"
     "model A { id int @id  n int @default(1, 2) }\n"
     "                            ^\n"},
    {"default_path",
     NS "model A { id int @id  n int @default(A.id) }\n",
     0,
     "t.dal:2:38: error: @default takes a literal, an enum member, now, uuid7, uuid4, [] or "
     "{}\n"
     "model A { id int @id  n int @default(A.id) }\n"
     "                                     ^\n"},
    {"default_bool_for_text",
     NS "model A { id int @id  s text @default(true) }\n",
     0,
     "t.dal:2:39: error: default true for field 's' (text) is a boolean\n"
     "model A { id int @id  s text @default(true) }\n"
     "                                      ^\n"},
    {"default_int_for_text",
     NS "model A { id int @id  s text @default(1) }\n",
     0,
     "t.dal:2:39: error: default 1 for field 's' (text) is an integer\n"
     "model A { id int @id  s text @default(1) }\n"
     "                                      ^\n"},

    /* ---- attribute rules */
    {"sequence_with_default",
     NS "model A { id int @id  n u64 @sequence @default(1) }\n",
     0,
     "t.dal:2:39: error: @sequence field 'n' cannot have a @default: the storage assigns it\n"
     "model A { id int @id  n u64 @sequence @default(1) }\n"
     "                                      ^\n"},
    {"sequence_type",
     NS "model A { id int @id  n text @sequence }\n",
     0,
     "t.dal:2:23: error: @sequence needs a field of type int, i32, u32 or u64 (not optional); "
     "'n' is text\n"
     "model A { id int @id  n text @sequence }\n"
     "                      ^\n"},
    {"sequence_optional",
     NS "model A { id int @id  n int? @sequence }\n",
     0,
     "t.dal:2:23: error: @sequence needs a field of type int, i32, u32 or u64 (not optional); "
     "'n' is int?\n"
     "model A { id int @id  n int? @sequence }\n"
     "                      ^\n"},
    {"updated_now_type",
     NS "model A { id int @id  n int @updated_now }\n",
     0,
     "t.dal:2:23: error: @updated_now needs a timestamp field; 'n' is int\n"
     "model A { id int @id  n int @updated_now }\n"
     "                      ^\n"},
    {"index_argument",
     NS "model A { id int @id  n int @index(up) }\n",
     0,
     "t.dal:2:36: error: @index takes asc or desc, e.g. @index(desc)\n"
     "model A { id int @id  n int @index(up) }\n"
     "                                   ^\n"},
    {"index_on_json",
     NS "model A { id int @id  j json  @@index([j]) }\n",
     0,
     "t.dal:2:40: error: cannot use field 'j' (json) in an index: json, map and list fields "
     "have no order\n"
     "model A { id int @id  j json  @@index([j]) }\n"
     "                                       ^\n"},
    {"index_unknown_field",
     NS "model A { id int @id  @@index([nme]) }\n",
     0,
     "t.dal:2:32: error: model A has no field 'nme'\n"
     "model A { id int @id  @@index([nme]) }\n"
     "                               ^\n"},
    {"index_field_twice",
     NS "model A { id int @id  n int  @@unique([n, n]) }\n",
     0,
     "t.dal:2:43: error: field 'n' appears twice in @@unique\n"
     "model A { id int @id  n int  @@unique([n, n]) }\n"
     "                                          ^\n"},
    {"index_empty",
     NS "model A { id int @id  @@index([]) }\n",
     0,
     "t.dal:2:31: error: @@index takes a list of fields, e.g. @@index([a, b])\n"
     "model A { id int @id  @@index([]) }\n"
     "                              ^\n"},
    {"unique_on_list",
     NS "model A { id int @id  t text[] @unique }\n",
     0,
     "t.dal:2:23: error: cannot use field 't' (text[]) in a unique index: json, map and list "
     "fields have no order\n"
     "model A { id int @id  t text[] @unique }\n"
     "                      ^\n"},
    {"index_on_map",
     NS "model A { id int @id  m map<text> @index }\n",
     0,
     "t.dal:2:23: error: cannot use field 'm' (map<text>) in an index: json, map and list "
     "fields have no order\n"
     "model A { id int @id  m map<text> @index }\n"
     "                      ^\n"},

    /* ---- references */
    {"ref_unknown_model",
     NS MA "model B { id int @id  a int @ref(Aa.id) }\n",
     0,
     "t.dal:3:34: error: unknown model 'Aa' in @ref\n"
     "model B { id int @id  a int @ref(Aa.id) }\n"
     "                                 ^\n"},
    {"ref_unknown_field",
     NS MA "model B { id int @id  a int @ref(A.idd) }\n",
     0,
     "t.dal:3:36: error: model A has no field 'idd' (did you mean 'id'?)\n"
     "model B { id int @id  a int @ref(A.idd) }\n"
     "                                   ^\n"},
    {"ref_not_key",
     NS "model A { id int @id  n int }\n"
     "model B { id int @id  a int @ref(A.n) }\n",
     0,
     "t.dal:3:36: error: @ref target A.n is neither the primary key nor @unique\n"
     "model B { id int @id  a int @ref(A.n) }\n"
     "                                   ^\n"},
    {"ref_type_mismatch",
     NS MA "model B { id int @id  a text @ref(A.id) }\n",
     0,
     "t.dal:3:37: error: @ref type mismatch: field 'a' is text but A.id is int\n"
     "model B { id int @id  a text @ref(A.id) }\n"
     "                                    ^\n"},
    {"ref_set_null_not_optional",
     NS MA "model B { id int @id  a int @ref(A.id, on_delete: set_null) }\n",
     0,
     "t.dal:3:51: error: on_delete: set_null needs an optional field; 'a' is int\n"
     "model B { id int @id  a int @ref(A.id, on_delete: set_null) }\n"
     "                                                  ^\n"},
    {"ref_bad_on_delete",
     NS MA "model B { id int @id  a int @ref(A.id, on_delete: drop) }\n",
     0,
     "t.dal:3:51: error: on_delete is cascade, set_null or restrict, not 'drop'\n"
     "model B { id int @id  a int @ref(A.id, on_delete: drop) }\n"
     "                                                  ^\n"},
    {"ref_bad_arguments",
     NS MA "model B { id int @id  a int @ref(A) }\n",
     0,
     "t.dal:3:29: error: @ref takes Model.field and optionally on_delete, e.g. @ref(Agent.id, "
     "on_delete: cascade)\n"
     "model B { id int @id  a int @ref(A) }\n"
     "                            ^\n"},

    /* ---- queries: names and results */
    {"query_unknown_model",
     NS MA "query B.q() -> many {}\n",
     0,
     "t.dal:3:7: error: unknown model 'B' in query B.q\n"
     "query B.q() -> many {}\n"
     "      ^\n"},
    {"query_duplicate_name",
     NS MA "query A.q() -> many {}\n"
     "delete A.q() -> count {}\n",
     0,
     "t.dal:4:10: error: duplicate name A.q: already declared at line 3\n"
     "delete A.q() -> count {}\n"
     "         ^\n"},
    {"query_generated_name",
     NS MA "query A.get(id: int) -> one { where id = $id }\n",
     0,
     "t.dal:3:9: error: query A.get would generate 't_a_get', already generated for model A at 2:7\n"
     "query A.get(id: int) -> one { where id = $id }\n"
     "        ^\n"},

    /* ---- generated C names: each clash at the later declaration */
#define TASK "model Task { id int @id  name text  priority TaskPriority }\n"
#define PRIO "enum TaskPriority { low, high }\n"
    {"names_query_to_cjson",
     NS TASK PRIO "query Task.to_cjson() -> many {}\n",
     0,
     "t.dal:4:12: error: query Task.to_cjson would generate 't_task_to_cjson', already generated "
     "for model Task at 2:7\n"
     "query Task.to_cjson() -> many {}\n"
     "           ^\n"},
    {"names_query_query_new",
     NS TASK PRIO "query Task.query_new() -> many {}\n",
     0,
     "t.dal:4:12: error: query Task.query_new would generate 't_task_query_new', already "
     "generated for model Task at 2:7\n"
     "query Task.query_new() -> many {}\n"
     "           ^\n"},
    {"names_query_and",
     NS TASK PRIO "query Task.and() -> many {}\n",
     0,
     "t.dal:4:12: error: query Task.and would generate 't_task_and', already generated for "
     "model Task at 2:7\n"
     "query Task.and() -> many {}\n"
     "           ^\n"},
    {"names_query_name_is",
     NS TASK PRIO "query Task.name_is() -> many {}\n",
     0,
     "t.dal:4:12: error: query Task.name_is would generate 't_task_name_is', already generated "
     "for field Task.name at 2:26\n"
     "query Task.name_is() -> many {}\n"
     "           ^\n"},
    {"names_model_list",
     NS TASK PRIO "model TaskList { id int @id }\n",
     0,
     "t.dal:4:7: error: model TaskList would generate 't_task_list', already generated for "
     "model Task at 2:7\n"
     "model TaskList { id int @id }\n"
     "      ^\n"},
    {"names_model_query",
     NS TASK PRIO "model TaskQuery { id int @id }\n",
     0,
     "t.dal:4:7: error: model TaskQuery would generate 't_task_query', already generated for "
     "model Task at 2:7\n"
     "model TaskQuery { id int @id }\n"
     "      ^\n"},
    {"names_model_cond",
     NS TASK PRIO "model TaskCond { id int @id }\n",
     0,
     "t.dal:4:7: error: model TaskCond would generate 't_task_cond', already generated for "
     "model Task at 2:7\n"
     "model TaskCond { id int @id }\n"
     "      ^\n"},
    {"names_query_enum_list",
     NS TASK PRIO "query Task.priority_list() -> many {}\n",
     0,
     "t.dal:4:12: error: query Task.priority_list would generate 't_task_priority_list', "
     "already generated for enum TaskPriority at 3:6\n"
     "query Task.priority_list() -> many {}\n"
     "           ^\n"},
    {"names_model_enum_list",
     NS "enum AgentKind { a, b }\nmodel AgentKindList { id int @id }\n",
     0,
     "t.dal:3:7: error: model AgentKindList would generate 't_agent_kind_list', already "
     "generated for enum AgentKind at 2:6\n"
     "model AgentKindList { id int @id }\n"
     "      ^\n"},
    {"names_model_aggregate_row",
     NS "model Metric { id int @id  v real }\n"
     "aggregate Metric.summary() { group by v select count() as n }\n"
     "model MetricSummaryRow { id int @id }\n",
     0,
     "t.dal:4:7: error: model MetricSummaryRow would generate 't_metric_summary_row', already "
     "generated for aggregate Metric.summary at 3:18\n"
     "model MetricSummaryRow { id int @id }\n"
     "      ^\n"},
    {"names_model_db",
     NS "model Db { id int @id }\n",
     0,
     "t.dal:2:7: error: model Db would generate 't_db', already generated for namespace t at "
     "1:11\n"
     "model Db { id int @id }\n"
     "      ^\n"},
    {"names_model_tx",
     NS "model Tx { id int @id }\n",
     0,
     "t.dal:2:7: error: model Tx would generate 't_tx', already generated for namespace t at "
     "1:11\n"
     "model Tx { id int @id }\n"
     "      ^\n"},
    {"names_member_keyword_twice",
     NS "model A { id int @id  for int  for_ int }\n",
     0,
     "t.dal:2:32: error: field A.for_ would generate the struct member 'for_', already "
     "generated for field A.for at 2:23\n"
     "model A { id int @id  for int  for_ int }\n"
     "                               ^\n"},
    {"names_member_is_a_macro",
     NS "enum E { a }\nmodel A { id int @id  T_E_COUNT int }\n",
     0,
     "t.dal:3:23: error: field A.T_E_COUNT would be the struct member 'T_E_COUNT', which the "
     "macro generated for enum E at 2:6 replaces\n"
     "model A { id int @id  T_E_COUNT int }\n"
     "                      ^\n"},
    {"names_param_hides_a_type",
     NS MA "query A.q(t_a_list: int) -> many { where id = $t_a_list }\n",
     0,
     "t.dal:3:11: error: parameter 't_a_list' of A.q would be the C parameter 't_a_list', "
     "hiding the type generated for model A at 2:7\n"
     "query A.q(t_a_list: int) -> many { where id = $t_a_list }\n"
     "          ^\n"},
    {"names_c_library",
     "namespace int8;\nmodel T { id int @id }\n",
     0,
     "t.dal:2:7: error: model T would generate 'int8_t', which is declared by <stdint.h>\n"
     "model T { id int @id }\n"
     "      ^\n"},
    {"names_cjson_namespace",
     "namespace cJSON;\nmodel A { id int @id }\n",
     0,
     "t.dal:1:11: error: namespace cJSON would generate 'cJSON_db', which is reserved for cJSON "
     "(cJSON.h, which dal.h includes)\n"
     "namespace cJSON;\n"
     "          ^\n"},
    {"names_enum_member_count",
     NS "enum E { count, a }\nmodel A { id int @id }\n",
     0,
     "t.dal:2:10: error: member E.count would generate 'T_E_COUNT', already generated for enum E "
     "at 2:6\n"
     "enum E { count, a }\n"
     "         ^\n"},
#undef TASK
#undef PRIO
    {"query_without_result",
     NS MA "query A.q() { where id = 1 }\n",
     0,
     "t.dal:3:9: error: query A.q needs a result: -> many or -> one\n"
     "query A.q() { where id = 1 }\n"
     "        ^\n"},
    {"query_bad_result",
     NS MA "query A.q() -> count { where id = 1 }\n",
     0,
     "t.dal:3:16: error: query A.q cannot return 'count': it returns -> many or -> one\n"
     "query A.q() -> count { where id = 1 }\n"
     "               ^\n"},
    {"update_bad_result",
     NS "model A { id int @id  n int }\n"
     "update A.q() -> rows { set n = 1 }\n",
     0,
     "t.dal:3:17: error: update A.q cannot return 'rows': it returns -> count, -> bool, -> one "
     "or -> many\n"
     "update A.q() -> rows { set n = 1 }\n"
     "                ^\n"},
    {"update_one_limit",
     NS "model A { id int @id  n int }\n"
     "update A.q(k: int) -> one { set n = 1 order by n limit $k }\n",
     0,
     "t.dal:3:56: error: update A.q -> one changes at most one row: write 'limit 1' or no "
     "limit\n"
     "update A.q(k: int) -> one { set n = 1 order by n limit $k }\n"
     "                                                       ^\n"},
    {"update_many_orders_by_set_field",
     NS "model A { id int @id  n int  at timestamp @updated_now }\n"
     "update A.q() -> many { set n = 1 order by at limit 3 }\n",
     0,
     "t.dal:3:43: error: update A.q -> many returns its rows in its order, so it cannot order "
     "by 'at', which it sets (@updated_now)\n"
     "update A.q() -> many { set n = 1 order by at limit 3 }\n"
     "                                          ^\n"},
    {"delete_bad_result",
     NS MA "delete A.q() -> bool { where id = 1 }\n",
     0,
     "t.dal:3:17: error: delete A.q cannot return 'bool': it returns -> count\n"
     "delete A.q() -> bool { where id = 1 }\n"
     "                ^\n"},
    {"aggregate_result",
     NS MA "aggregate A.q() -> one { select count() as n }\n",
     0,
     "t.dal:3:20: error: aggregate A.q cannot return 'one': it returns nothing (or -> many)\n"
     "aggregate A.q() -> one { select count() as n }\n"
     "                   ^\n"},

    /* ---- parameters */
    {"duplicate_param",
     NS MA "query A.q(x: int, x: int) -> many { where id = $x }\n",
     0,
     "t.dal:3:19: error: duplicate parameter 'x' in A.q\n"
     "query A.q(x: int, x: int) -> many { where id = $x }\n"
     "                  ^\n"},
    {"unused_param",
     NS MA "query A.q(x: int, y: int) -> many { where id = $x }\n",
     0,
     "t.dal:3:19: error: parameter 'y' of A.q is never used\n"
     "query A.q(x: int, y: int) -> many { where id = $x }\n"
     "                  ^\n"},
    {"unknown_param",
     NS MA "query A.q(value: int) -> many { where id = $vlue }\n",
     0,
     "t.dal:3:44: error: unknown parameter '$vlue' in A.q (did you mean 'value'?)\n"
     "query A.q(value: int) -> many { where id = $vlue }\n"
     "                                           ^\n"},
    {"param_unknown_type",
     NS MA "query A.q(x: integer) -> many { where id = $x }\n",
     0,
     "t.dal:3:14: error: unknown type 'integer'\n"
     "query A.q(x: integer) -> many { where id = $x }\n"
     "             ^\n"},
    {"param_type_mismatch",
     NS "model A { id int @id  at timestamp }\n"
     "query A.q(t: int) -> many { where at > $t }\n",
     0,
     "t.dal:3:40: error: parameter '$t' is int, but field 'at' is timestamp\n"
     "query A.q(t: int) -> many { where at > $t }\n"
     "                                       ^\n"},
    {"param_list_for_equals",
     NS MA "query A.q(x: int[]) -> many { where id = $x }\n",
     0,
     "t.dal:3:42: error: parameter '$x' is int[], but field 'id' is int\n"
     "query A.q(x: int[]) -> many { where id = $x }\n"
     "                                         ^\n"},
    {"param_optional_list",
     NS MA "query A.q(x: int[]?) -> many { where id in $x }\n",
     0,
     "t.dal:3:19: error: a list cannot be optional: an empty list says there is nothing\n"
     "query A.q(x: int[]?) -> many { where id in $x }\n"
     "                  ^\n"},
    {"name_without_dollar",
     NS "model A { id int @id  name text }\n"
     "query A.q(name: text) -> one { where name = name }\n",
     0,
     "t.dal:3:45: error: 'name' is not a value for field 'name' (text): a parameter is "
     "written $name\n"
     "query A.q(name: text) -> one { where name = name }\n"
     "                                            ^\n"},

    /* ---- where */
    {"where_unknown_field",
     NS "model A { id int @id  status text }\n"
     "query A.q() -> many { where stauts = \"x\" }\n",
     0,
     "t.dal:3:29: error: model A has no field 'stauts' (did you mean 'status'?)\n"
     "query A.q() -> many { where stauts = \"x\" }\n"
     "                            ^\n"},
    {"where_unknown_field_param",
     NS MA "query A.q(x: int) -> many { where nme = $x }\n",
     0,
     "t.dal:3:35: error: model A has no field 'nme'\n"
     "query A.q(x: int) -> many { where nme = $x }\n"
     "                                  ^\n"},
    {"like_not_text",
     NS MA "query A.q() -> many { where id like \"1%\" }\n",
     0,
     "t.dal:3:29: error: 'like' needs a text field; 'id' is int\n"
     "query A.q() -> many { where id like \"1%\" }\n"
     "                            ^\n"},
    {"like_param_type",
     NS "model A { id int @id  s text }\n"
     "query A.q(p: int) -> many { where s like $p }\n",
     0,
     "t.dal:3:42: error: parameter '$p' is int, but field 's' is text\n"
     "query A.q(p: int) -> many { where s like $p }\n"
     "                                         ^\n"},
    {"in_not_param",
     NS MA "query A.q() -> many { where id in 1 }\n",
     0,
     "t.dal:3:35: error: 'in' takes a list parameter, e.g. id in $ids\n"
     "query A.q() -> many { where id in 1 }\n"
     "                                  ^\n"},
    {"in_not_list",
     NS MA "query A.q(x: int) -> many { where id in $x }\n",
     0,
     "t.dal:3:41: error: 'in' needs a list of the field's type: parameter '$x' is int, field "
     "'id' is int\n"
     "query A.q(x: int) -> many { where id in $x }\n"
     "                                        ^\n"},
    {"in_wrong_element",
     NS MA "query A.q(x: text[]) -> many { where id in $x }\n",
     0,
     "t.dal:3:44: error: 'in' needs a list of the field's type: parameter '$x' is text[], "
     "field 'id' is int\n"
     "query A.q(x: text[]) -> many { where id in $x }\n"
     "                                           ^\n"},
    {"is_null_not_optional",
     NS MA "query A.q() -> many { where id is null }\n",
     0,
     "t.dal:3:29: error: field 'id' (int) is never null: 'is null' needs an optional field\n"
     "query A.q() -> many { where id is null }\n"
     "                            ^\n"},
    {"compare_json",
     NS "model A { id int @id  j json }\n"
     "query A.q() -> many { where j = 1 }\n",
     0,
     "t.dal:3:29: error: cannot compare field 'j' (json): json, map and list fields only take "
     "'is null' tests\n"
     "query A.q() -> many { where j = 1 }\n"
     "                            ^\n"},
    {"compare_list",
     NS "model A { id int @id  t text[] }\n"
     "query A.q(x: text[]) -> many { where t = $x }\n",
     0,
     "t.dal:3:38: error: cannot compare field 't' (text[]): json, map and list fields only "
     "take 'is null' tests\n"
     "query A.q(x: text[]) -> many { where t = $x }\n"
     "                                     ^\n"},
    {"compare_null",
     NS "model A { id int @id  s text? }\n"
     "query A.q() -> many { where s = null }\n",
     0,
     "t.dal:3:33: error: compare with null using 'is null' or 'is not null'\n"
     "query A.q() -> many { where s = null }\n"
     "                                ^\n"},
    {"where_unknown_member",
     NS "enum E { on, off }\n"
     "model A { id int @id  e E }\n"
     "query A.q() -> many { where e = onn }\n",
     0,
     "t.dal:4:33: error: unknown member 'onn' of enum E (did you mean 'on'?)\n"
     "query A.q() -> many { where e = onn }\n"
     "                                ^\n"},
    {"where_literal_mismatch",
     NS MA "query A.q() -> many { where id = \"1\" }\n",
     0,
     "t.dal:3:34: error: value \"1\" for field 'id' (int) is a string\n"
     "query A.q() -> many { where id = \"1\" }\n"
     "                                 ^\n"},
    {"where_name_for_int",
     NS MA "query A.q() -> many { where id = one }\n",
     0,
     "t.dal:3:34: error: unknown value 'one' for field 'id' (int): only an enum field takes a "
     "name (a parameter is written $one)\n"
     "query A.q() -> many { where id = one }\n"
     "                                 ^\n"},
    {"where_now_not_timestamp",
     NS MA "query A.q() -> many { where id < now() }\n",
     0,
     "t.dal:3:34: error: now() is a timestamp, but field 'id' is int\n"
     "query A.q() -> many { where id < now() }\n"
     "                                 ^\n"},
    {"where_unknown_function",
     NS "model A { id int @id  t timestamp }\n"
     "query A.q() -> many { where t < today() }\n",
     0,
     "t.dal:3:33: error: unknown function 'today()': the only function is now()\n"
     "query A.q() -> many { where t < today() }\n"
     "                                ^\n"},

    /* ---- order, limit, clauses */
    {"order_by_json",
     NS "model A { id int @id  j json }\n"
     "query A.q() -> many { order by j }\n",
     0,
     "t.dal:3:32: error: cannot use field 'j' (json) in order by: json, map and list fields "
     "have no order\n"
     "query A.q() -> many { order by j }\n"
     "                               ^\n"},
    {"order_by_unknown",
     NS MA "query A.q() -> many { order by nme }\n",
     0,
     "t.dal:3:32: error: model A has no field 'nme'\n"
     "query A.q() -> many { order by nme }\n"
     "                               ^\n"},
    {"order_by_twice",
     NS MA "query A.q() -> many { order by id, id desc }\n",
     0,
     "t.dal:3:36: error: field 'id' appears twice in order by\n"
     "query A.q() -> many { order by id, id desc }\n"
     "                                   ^\n"},
    {"limit_negative",
     NS MA "query A.q() -> many { limit -1 }\n",
     0,
     "t.dal:3:29: error: limit must be an integer >= 0, not -1\n"
     "query A.q() -> many { limit -1 }\n"
     "                            ^\n"},
    {"limit_param_type",
     NS MA "query A.q(n: u32) -> many { limit $n }\n",
     0,
     "t.dal:3:35: error: limit takes an int parameter; '$n' is u32\n"
     "query A.q(n: u32) -> many { limit $n }\n"
     "                                  ^\n"},
    {"limit_string",
     NS MA "query A.q() -> many { limit \"10\" }\n",
     0,
     "t.dal:3:29: error: limit takes an integer or an int parameter, not a string\n"
     "query A.q() -> many { limit \"10\" }\n"
     "                            ^\n"},
    {"offset_name",
     NS MA "query A.q() -> many { offset ten }\n",
     0,
     "t.dal:3:30: error: offset takes an integer or an int parameter, not a name\n"
     "query A.q() -> many { offset ten }\n"
     "                             ^\n"},
    {"clause_not_allowed",
     NS MA "query A.q() -> many { set id = 1 }\n",
     0,
     "t.dal:3:23: error: 'set' is not allowed in query A.q (it takes where, order by, limit "
     "and offset)\n"
     "query A.q() -> many { set id = 1 }\n"
     "                      ^\n"},
    {"arith_other_field",
     NS "model A { id int @id  n int  k int }\n"
     "update A.q() -> count { set n = k + 1 }\n",
     0,
     "t.dal:3:33: error: 'k' here must be the field being set: write 'n = n + ...'\n"
     "update A.q() -> count { set n = k + 1 }\n"
     "                                ^\n"},
    {"arith_not_integer",
     NS "model A { id int @id  s text }\n"
     "update A.q() -> count { set s = s + 1 }\n",
     0,
     "t.dal:3:29: error: 's' is text: + and - work on int, i32, u32 and u64 fields that are not optional\n"
     "update A.q() -> count { set s = s + 1 }\n"
     "                            ^\n"},
    {"arith_optional_param",
     NS "model A { id int @id  n int }\n"
     "update A.q(k: int?) -> count { set n = n - $k }\n",
     0,
     "t.dal:3:44: error: parameter '$k' is int?: the amount of + or - is an integer (int, i32, u32 or u64) "
     "parameter that is not optional\n"
     "update A.q(k: int?) -> count { set n = n - $k }\n"
     "                                           ^\n"},
    {"arith_without_operator",
     NS "model A { id int @id  n int }\n"
     "update A.q() -> count { set n = n 1 }\n",
     0,
     "t.dal:3:35: error: expected '+' or '-' before '1'\n"
     "update A.q() -> count { set n = n 1 }\n"
     "                                  ^\n"},
    {"offset_in_update",
     NS "model A { id int @id  n int }\n"
     "update A.q() -> count { set n = 1 limit 5 offset 2 }\n",
     0,
     "t.dal:3:43: error: 'offset' is not allowed in update A.q (it takes set, where, order by "
     "and limit)\n"
     "update A.q() -> count { set n = 1 limit 5 offset 2 }\n"
     "                                          ^\n"},
    {"group_in_query",
     NS MA "query A.q() -> many { group by id }\n",
     0,
     "t.dal:3:23: error: 'group by' is not allowed in query A.q (it takes where, order by, "
     "limit and offset)\n"
     "query A.q() -> many { group by id }\n"
     "                      ^\n"},
    {"second_clause",
     NS MA "query A.q() -> many { where id = 1 where id = 2 }\n",
     0,
     "t.dal:3:36: error: second 'where' clause in A.q\n"
     "query A.q() -> many { where id = 1 where id = 2 }\n"
     "                                   ^\n"},
    {"second_order_by",
     NS MA "query A.q() -> many { order by id order by id }\n",
     0,
     "t.dal:3:35: error: second 'order by' clause in A.q\n"
     "query A.q() -> many { order by id order by id }\n"
     "                                  ^\n"},

    /* ---- set */
    {"update_without_set",
     NS MA "update A.q() -> count { where id = 1 }\n",
     0,
     "t.dal:3:10: error: update A.q has no 'set' clause\n"
     "update A.q() -> count { where id = 1 }\n"
     "         ^\n"},
    {"set_primary_key",
     NS MA "update A.q(x: int) -> count { set id = $x }\n",
     0,
     "t.dal:3:35: error: cannot set 'id': it is part of the primary key\n"
     "update A.q(x: int) -> count { set id = $x }\n"
     "                                  ^\n"},
    {"set_sequence",
     NS "model A { id int @id  n u64 @sequence }\n"
     "update A.q() -> count { set n = 1 }\n",
     0,
     "t.dal:3:29: error: cannot set 'n': @sequence values are assigned by the storage\n"
     "update A.q() -> count { set n = 1 }\n"
     "                            ^\n"},
    {"set_unknown_field",
     NS MA "update A.q() -> count { set nme = 1 }\n",
     0,
     "t.dal:3:29: error: model A has no field 'nme'\n"
     "update A.q() -> count { set nme = 1 }\n"
     "                            ^\n"},
    {"set_unknown_field_param",
     NS MA "update A.q(x: int) -> count { set nme = $x }\n",
     0,
     "t.dal:3:35: error: model A has no field 'nme'\n"
     "update A.q(x: int) -> count { set nme = $x }\n"
     "                                  ^\n"},
    {"set_twice",
     NS "model A { id int @id  n int }\n"
     "update A.q() -> count { set n = 1, n = 2 }\n",
     0,
     "t.dal:3:36: error: field 'n' is set twice\n"
     "update A.q() -> count { set n = 1, n = 2 }\n"
     "                                   ^\n"},
    {"set_param_mismatch",
     NS "model A { id int @id  n int }\n"
     "update A.q(x: text) -> count { set n = $x }\n",
     0,
     "t.dal:3:40: error: parameter '$x' is text, but field 'n' is int\n"
     "update A.q(x: text) -> count { set n = $x }\n"
     "                                       ^\n"},
    {"set_optional_param",
     NS "model A { id int @id  n int }\n"
     "update A.q(x: int?) -> count { set n = $x }\n",
     0,
     "t.dal:3:40: error: parameter '$x' is optional (int?), but field 'n' is not\n"
     "update A.q(x: int?) -> count { set n = $x }\n"
     "                                       ^\n"},
    {"set_list_literal",
     NS "model A { id int @id  t text[] }\n"
     "update A.q() -> count { set t = \"a\" }\n",
     0,
     "t.dal:3:33: error: field 't' (text[]) can only be set from a parameter of its type\n"
     "update A.q() -> count { set t = \"a\" }\n"
     "                                ^\n"},
    {"set_null_not_optional",
     NS "model A { id int @id  n int }\n"
     "update A.q() -> count { set n = null }\n",
     0,
     "t.dal:3:33: error: value null for field 'n' (int): the field is not optional\n"
     "update A.q() -> count { set n = null }\n"
     "                                ^\n"},
    {"set_now_not_timestamp",
     NS "model A { id int @id  n int }\n"
     "update A.q() -> count { set n = now() }\n",
     0,
     "t.dal:3:33: error: now() is a timestamp, but field 'n' is int\n"
     "update A.q() -> count { set n = now() }\n"
     "                                ^\n"},

    /* ---- aggregates */
    {"aggregate_empty",
     NS MA "aggregate A.q() { where id > 0 }\n",
     0,
     "t.dal:3:13: error: aggregate A.q has no 'select' or 'group by' clause\n"
     "aggregate A.q() { where id > 0 }\n"
     "            ^\n"},
    {"group_by_json",
     NS "model A { id int @id  j json }\n"
     "aggregate A.q() { group by j }\n",
     0,
     "t.dal:3:28: error: cannot use field 'j' (json) in group by: json, map and list fields "
     "have no order\n"
     "aggregate A.q() { group by j }\n"
     "                           ^\n"},
    {"group_by_twice",
     NS "model A { id int @id  k int }\n"
     "aggregate A.q() { group by k, k }\n",
     0,
     "t.dal:3:31: error: field 'k' appears twice in group by\n"
     "aggregate A.q() { group by k, k }\n"
     "                              ^\n"},
    {"group_by_unknown",
     NS MA "aggregate A.q() { group by kk }\n",
     0,
     "t.dal:3:28: error: model A has no field 'kk'\n"
     "aggregate A.q() { group by kk }\n"
     "                           ^\n"},
    {"select_unknown_function",
     NS MA "aggregate A.q() { select median(id) as m }\n",
     0,
     "t.dal:3:26: error: unknown aggregate 'median': use count(), sum(f), avg(f), min(f) or "
     "max(f)\n"
     "aggregate A.q() { select median(id) as m }\n"
     "                         ^\n"},
    {"count_with_field",
     NS MA "aggregate A.q() { select count(id) as n }\n",
     0,
     "t.dal:3:32: error: count() takes no field: it counts rows\n"
     "aggregate A.q() { select count(id) as n }\n"
     "                               ^\n"},
    {"sum_without_field",
     NS MA "aggregate A.q() { select sum() as n }\n",
     0,
     "t.dal:3:26: error: sum() needs a field: sum(f)\n"
     "aggregate A.q() { select sum() as n }\n"
     "                         ^\n"},
    {"sum_not_number",
     NS "model A { id int @id  s text }\n"
     "aggregate A.q() { select sum(s) as n }\n",
     0,
     "t.dal:3:30: error: sum() needs a number field; 's' is text\n"
     "aggregate A.q() { select sum(s) as n }\n"
     "                             ^\n"},
    {"max_json",
     NS "model A { id int @id  j json }\n"
     "aggregate A.q() { select max(j) as n }\n",
     0,
     "t.dal:3:30: error: cannot use field 'j' (json) in min() or max(): json, map and list "
     "fields have no order\n"
     "aggregate A.q() { select max(j) as n }\n"
     "                             ^\n"},
    {"select_unknown_field",
     NS MA "aggregate A.q() { select max(nn) as n }\n",
     0,
     "t.dal:3:30: error: model A has no field 'nn'\n"
     "aggregate A.q() { select max(nn) as n }\n"
     "                             ^\n"},
    {"select_name_is_group_field",
     NS "model A { id int @id  k int }\n"
     "aggregate A.q() { group by k select count() as k }\n",
     0,
     "t.dal:3:48: error: row field 'k' is already a group by field\n"
     "aggregate A.q() { group by k select count() as k }\n"
     "                                               ^\n"},
    {"select_name_twice",
     NS MA "aggregate A.q() { select count() as n, max(id) as n }\n",
     0,
     "t.dal:3:51: error: row field 'n' is already selected\n"
     "aggregate A.q() { select count() as n, max(id) as n }\n"
     "                                                  ^\n"},
    {"aggregate_order_unknown",
     NS "model A { id int @id  k int }\n"
     "aggregate A.q() { group by k select count() as n order by id }\n",
     0,
     "t.dal:3:59: error: 'id' is not a field of the rows of A.q: order by takes a group by "
     "field or a select name\n"
     "aggregate A.q() { group by k select count() as n order by id }\n"
     "                                                          ^\n"},

};

/* Runs the front end on text and asserts the diagnostics: exactly
 * `expected`, with n errors, and no schema. */
static void assert_diags(const char *text, size_t len, const char *expected, unsigned n)
{
    char *diags = NULL;
    unsigned n_errors = 0;
    m_schema *s = dalc_frontend("t.dal", text, len, &diags, &n_errors);
    assert_null(s);
    assert_non_null(diags);
    assert_string_equal(diags, expected);
    assert_int_equal(n_errors, n);
    free(diags);
}

static void run_case(void **state)
{
    const diag_case *c = *state;
    assert_diags(c->schema, c->len ? c->len : strlen(c->schema), c->expected, 1);
}

/* ------------------------------------------------------------ several errors */

/* Semantic errors all over one file: all reported, in source order, each once. */
static void test_all_errors_in_order(void **state)
{
    (void)state;
    const char *text =
        "namespace t;\n"
        "query Task.q(x: int) -> many { where status = $x order by payload }\n"
        "enum Status { open, closed, open }\n"
        "model Task {\n"
        "  id uuid @id\n"
        "  status Status @default(opn)\n"
        "  payload json\n"
        "  owner User\n"
        "}\n"
        "model Task { id int @id }\n";
    assert_diags(text, strlen(text),
        "t.dal:2:47: error: parameter '$x' is int, but field 'status' is Status\n"
        "query Task.q(x: int) -> many { where status = $x order by payload }\n"
        "                                              ^\n"
        "t.dal:2:59: error: cannot use field 'payload' (json) in order by: json, map and list "
        "fields have no order\n"
        "query Task.q(x: int) -> many { where status = $x order by payload }\n"
        "                                                          ^\n"
        "t.dal:3:29: error: duplicate member 'open' in enum Status\n"
        "enum Status { open, closed, open }\n"
        "                            ^\n"
        "t.dal:6:26: error: unknown member 'opn' of enum Status (did you mean 'open'?)\n"
        "  status Status @default(opn)\n"
        "                         ^\n"
        "t.dal:8:9: error: unknown type 'User'\n"
        "  owner User\n"
        "        ^\n"
        "t.dal:10:7: error: duplicate name 'Task': already declared at line 4\n"
        "model Task { id int @id }\n"
        "      ^\n", 6);
}

/* Syntax and lexical errors: one per broken declaration, in order. */
static void test_several_syntax_errors(void **state)
{
    (void)state;
    const char *text =
        "namespace t\n"
        "model A {\n"
        "  id int @id\n"
        "  name \"text\n"
        "}\n"
        "model B { id int @id }\n"
        "query B.q() -> many { where id = 1 order id }\n"
        "enum E { a b }\n";
    assert_diags(text, strlen(text),
        "t.dal:2:1: error: expected ';' after 't', got 'model'\n"
        "model A {\n"
        "^\n"
        "t.dal:4:8: error: unterminated string: no closing '\"' on its line\n"
        "  name \"text\n"
        "       ^\n"
        "t.dal:7:42: error: expected 'by' after 'order', got 'id'\n"
        "query B.q() -> many { where id = 1 order id }\n"
        "                                         ^\n"
        "t.dal:8:12: error: expected '}', ',' or '=' after 'a', got 'b'\n"
        "enum E { a b }\n"
        "           ^\n", 4);
}

/* A tab before the column is kept, so the caret lines up in a terminal; a
 * multi-byte character takes one column. */
static void test_caret_alignment(void **state)
{
    (void)state;
    const char *text = "namespace t;\n"
                       "model A {\n"
                       "\tid int @id\n"
                       "\t// caf\xc3\xa9\n"
                       "\tx\ttxt @default(\"\xc3\xa9t\xc3\xa9\") }\n";
    assert_diags(text, strlen(text),
                 "t.dal:5:4: error: unknown type 'txt' (did you mean 'text'?)\n"
                 "\tx\ttxt @default(\"\xc3\xa9t\xc3\xa9\") }\n"
                 "\t \t^\n", 1);
}

/* ------------------------------------------------------------ not text */

/* Embedded NULs and invalid UTF-8: clear errors, no crash, printable lines. */
static void test_binary_input(void **state)
{
    (void)state;
    static const char nul[] = "namespace t;\n\0\0\0model A { id int @id }\n";
    assert_diags(nul, sizeof nul - 1,
                 "t.dal:2:1: error: NUL byte in the text\n"
                 "???model A { id int @id }\n"
                 "^\n", 1);
    static const char bytes[] = "namespace t;\nmodel \xff\xfe A { id int @id }\n";
    assert_diags(bytes, sizeof bytes - 1,
                 "t.dal:2:7: error: invalid UTF-8 byte 0xFF\n"
                 "model ?? A { id int @id }\n"
                 "      ^\n", 1);
    /* every byte value, and a text that is all NULs */
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    char *diags = NULL;
    unsigned n = 0;
    assert_null(dalc_frontend("t.dal", all, sizeof all, &diags, &n));
    assert_true(n > 0);
    assert_int_equal(strlen(diags) > 0, 1);
    free(diags);
    char zeros[64] = {0};
    assert_null(dalc_frontend("t.dal", zeros, sizeof zeros, &diags, &n));
    assert_int_equal(n, 1);
    free(diags);
}

/* Success: no text, no count; a NULL path prints as <input>. */
static void test_success_and_defaults(void **state)
{
    (void)state;
    const char *ok = "namespace t;\nmodel A { id int @id }\n";
    char *diags = (char *)"untouched";
    unsigned n = 99;
    m_schema *s = dalc_frontend("t.dal", ok, strlen(ok), &diags, &n);
    assert_non_null(s);
    assert_null(diags);
    assert_int_equal(n, 0);
    m_schema_free(s);
    assert_null(dalc_frontend(NULL, "model", 5, &diags, &n));
    assert_string_equal(diags, "<input>:1:6: error: expected a name after 'model', got end of file\n"
                               "model\n"
                               "     ^\n");
    free(diags);
    assert_null(dalc_frontend("t.dal", NULL, 0, NULL, NULL));    /* missing namespace */
}

int main(void)
{
    enum { N_CASES = sizeof cases / sizeof *cases };
    static struct CMUnitTest tests[N_CASES + 5];
    size_t n = 0;
    for (size_t i = 0; i < N_CASES; i++)
        tests[n++] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_all_errors_in_order);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_several_syntax_errors);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_caret_alignment);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_binary_input);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_success_and_defaults);
    return _cmocka_run_group_tests("codegen diagnostics", tests, n, NULL, NULL);
}
