# Finds what dal needs; a missing piece stops configure naming the Debian package.
function(dal_require_program var name package)
  find_program(${var} ${name})
  if(NOT ${var})
    message(FATAL_ERROR "dal: '${name}' not found. Install it: apt-get install ${package}")
  endif()
endfunction()

dal_require_program(DAL_RE2C re2c re2c)
dal_require_program(DAL_LEMON lemon lemon)
# lemon's parser template is kept in the tree (codegen/lempar.c, as SQLite
# does): grammar.y reads the template's tables, so it must not change with the
# lemon that happens to be installed.

find_package(SQLite3 QUIET)
if(NOT SQLite3_FOUND)
  message(FATAL_ERROR "dal: SQLite 3 headers not found. Install them: apt-get install libsqlite3-dev")
endif()

# PostgreSQL backend: ON, OFF, or AUTO (built when libpq is found).
set(DAL_WITH_POSTGRESQL AUTO CACHE STRING "Build the PostgreSQL backend: ON, OFF or AUTO (when libpq is found)")
set(DAL_HAVE_POSTGRESQL OFF)
if(NOT DAL_WITH_POSTGRESQL STREQUAL "OFF")
  find_package(PostgreSQL QUIET)
  if(PostgreSQL_FOUND)
    set(DAL_HAVE_POSTGRESQL ON)
  elseif(DAL_WITH_POSTGRESQL STREQUAL "ON")
    message(FATAL_ERROR "dal: libpq not found. Install it: apt-get install libpq-dev (or -DDAL_WITH_POSTGRESQL=OFF)")
  else()
    message(STATUS "dal: libpq not found, the PostgreSQL backend is not built (apt-get install libpq-dev)")
  endif()
endif()

find_package(cJSON CONFIG QUIET)
if(NOT cJSON_FOUND)
  message(FATAL_ERROR "dal: cJSON not found. Install it: apt-get install libcjson-dev")
endif()

if(DAL_BUILD_TESTS)
  find_package(cmocka CONFIG QUIET)
  if(NOT cmocka_FOUND)
    message(FATAL_ERROR "dal: cmocka not found. Install it: apt-get install libcmocka-dev (or configure with -DDAL_BUILD_TESTS=OFF)")
  endif()
endif()
