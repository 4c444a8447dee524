# dal_generate(<target> SCHEMA <file.dal> [NAMESPACE <ns>])
#
# Runs dalc on the schema at build time (again whenever the schema or dalc
# changes) into <build>/dal_generated/<ns>/, and makes <target> a static
# library of the generated code linked to dal::dal. Code that links <target>
# includes "<ns>/<ns>.h".
include_guard(GLOBAL)

function(dal_generate target)
  cmake_parse_arguments(ARG "" "SCHEMA;NAMESPACE" "" ${ARGN})
  if(NOT ARG_SCHEMA)
    message(FATAL_ERROR "dal_generate(${target}): SCHEMA <file.dal> is required")
  endif()
  get_filename_component(schema "${ARG_SCHEMA}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${schema}")
    message(FATAL_ERROR "dal_generate(${target}): schema '${schema}' does not exist")
  endif()
  # The namespace names the output files, so it is read at configure time;
  # editing the schema re-runs configure.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${schema}")
  set(ns "${ARG_NAMESPACE}")
  if(NOT ns)
    file(READ "${schema}" text)
    # drop comments so a commented-out namespace is not taken
    string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" text "${text}")
    string(REGEX REPLACE "//[^\n]*" "" text "${text}")
    string(REGEX MATCH "namespace[ \t\r\n]+([A-Za-z_][A-Za-z0-9_]*)" m "${text}")
    set(ns "${CMAKE_MATCH_1}")
    if(NOT ns)
      message(FATAL_ERROR "dal_generate(${target}): no 'namespace NAME;' in ${schema}")
    endif()
  endif()

  if(TARGET dalc)
    set(dalc_cmd $<TARGET_FILE:dalc>)
    set(dalc_dep dalc)
  elseif(TARGET dal::dalc)
    set(dalc_cmd $<TARGET_FILE:dal::dalc>)
    set(dalc_dep dal::dalc)
  else()
    message(FATAL_ERROR "dal_generate: no dalc target (add_subdirectory(dal) or find_package(dal))")
  endif()

  set(outdir "${CMAKE_CURRENT_BINARY_DIR}/dal_generated")
  set(outputs "${outdir}/${ns}/${ns}.h" "${outdir}/${ns}/${ns}.c")
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${dalc_cmd} --out "${outdir}" "${schema}"
    DEPENDS "${schema}" ${dalc_dep}
    COMMENT "dalc: generating ${ns}/ from ${ARG_SCHEMA}"
    VERBATIM)
  add_library(${target} STATIC ${outputs})
  target_include_directories(${target} PUBLIC "${outdir}")
  if(TARGET dal::dal)
    target_link_libraries(${target} PUBLIC dal::dal)
  endif()
endfunction()
