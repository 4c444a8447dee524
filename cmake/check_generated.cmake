# cmake -DDALC=<dalc> -DSCHEMA=<file.dal> -DEXPECTED=<dir> -DWORK=<dir> -P check_generated.cmake
# Fails when EXPECTED (the committed generated/ folder) differs from what dalc
# makes of SCHEMA now.
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND "${DALC}" --out "${WORK}" "${SCHEMA}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dalc failed on ${SCHEMA}")
endif()
file(GLOB_RECURSE made RELATIVE "${WORK}" "${WORK}/*")
file(GLOB_RECURSE kept RELATIVE "${EXPECTED}" "${EXPECTED}/*")
list(SORT made)
list(SORT kept)
if(NOT made STREQUAL kept)
  message(FATAL_ERROR "generated/ is stale: files differ (dalc makes: ${made}; generated/ has: ${kept}).\n"
                      "Regenerate: build/<dir>/codegen/dalc --out generated ${SCHEMA}")
endif()
foreach(f IN LISTS made)
  file(READ "${WORK}/${f}" a)
  file(READ "${EXPECTED}/${f}" b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "generated/${f} is stale: it differs from what dalc makes of ${SCHEMA} now.\n"
                        "Regenerate: build/<dir>/codegen/dalc --out generated ${SCHEMA}")
  endif()
endforeach()
message(STATUS "generated/ matches dalc's output for ${SCHEMA}")
