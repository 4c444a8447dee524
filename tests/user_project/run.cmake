# Builds tests/user_project as a user would, twice:
#  1. dal through add_subdirectory(); run it on sqlite and memory; then add a
#     field to the schema, rebuild (dalc must run again) and check the new
#     field is in the struct and its JSON;
#  2. dal installed with `cmake --install`, found with find_package(dal).
# cmake -DDAL_SOURCE=<dal> -DWORK=<dir> [-DSANITIZE=ON] -P run.cmake
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}")
  endif()
endfunction()

set(flags "")
if(SANITIZE)
  set(flags "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer"
            "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")
endif()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/src")
file(COPY "${DAL_SOURCE}/tests/user_project/" DESTINATION "${WORK}/src"
     PATTERN "run.cmake" EXCLUDE)

# 1. add_subdirectory
run(${CMAKE_COMMAND} -S "${WORK}/src" -B "${WORK}/sub" "-DDAL_SOURCE=${DAL_SOURCE}" ${flags})
run(${CMAKE_COMMAND} --build "${WORK}/sub" -j2)
run("${WORK}/sub/library_app" "sqlite:${WORK}/library.db")
run("${WORK}/sub/library_app" "memory:")

file(READ "${WORK}/src/library.dal" schema)
string(REPLACE "  nickname    text?\n" "  nickname    text?\n  nickname2   text?\n" schema "${schema}")
file(WRITE "${WORK}/src/library.dal" "${schema}")
run(${CMAKE_COMMAND} -S "${WORK}/src" -B "${WORK}/sub" -DEXPECT_NICKNAME=ON)
run(${CMAKE_COMMAND} --build "${WORK}/sub" -j2)
run("${WORK}/sub/library_app" "memory:")

# 2. cmake --install + find_package(dal)
run(${CMAKE_COMMAND} -S "${DAL_SOURCE}" -B "${WORK}/dal-build" -DDAL_BUILD_TESTS=OFF
    -DDAL_BUILD_EXAMPLES=OFF -DDAL_BUILD_BENCH=OFF "-DCMAKE_INSTALL_PREFIX=${WORK}/prefix" ${flags})
run(${CMAKE_COMMAND} --build "${WORK}/dal-build" -j2)
run(${CMAKE_COMMAND} --install "${WORK}/dal-build")
run(${CMAKE_COMMAND} -S "${WORK}/src" -B "${WORK}/inst" -DDAL_FROM_INSTALL=ON
    "-DCMAKE_PREFIX_PATH=${WORK}/prefix" -DEXPECT_NICKNAME=ON ${flags})
run(${CMAKE_COMMAND} --build "${WORK}/inst" -j2)
run("${WORK}/inst/library_app" "sqlite:${WORK}/library2.db")
message(STATUS "user project: add_subdirectory, schema change and find_package all work")
