# Builds tests/user_project as a user would, twice:
#  1. dal through add_subdirectory(); run it on sqlite and memory; then add a
#     field to the schema, rebuild (dalc must run again) and check the new
#     field is in the struct and its JSON;
#  2. dal built as a shared library and installed with `cmake --install`,
#     found with find_package(dal);
#  3. the same installation used without CMake: dalc from <prefix>/bin, then
#     `cc main.c lib.c $(pkg-config --cflags --libs dal)`.
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

# 2. cmake --install (shared) + find_package(dal)
run(${CMAKE_COMMAND} -S "${DAL_SOURCE}" -B "${WORK}/dal-build" -DDAL_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_LIBDIR=lib
    -DDAL_BUILD_EXAMPLES=OFF -DDAL_BUILD_BENCH=OFF "-DCMAKE_INSTALL_PREFIX=${WORK}/prefix" ${flags})
run(${CMAKE_COMMAND} --build "${WORK}/dal-build" -j2)
run(${CMAKE_COMMAND} --install "${WORK}/dal-build")
# the shared library: SONAME libdal.so.1, and only dal_* symbols exported
find_program(NM nm REQUIRED)
find_program(OBJDUMP objdump REQUIRED)
execute_process(COMMAND ${OBJDUMP} -p "${WORK}/prefix/lib/libdal.so" OUTPUT_VARIABLE dyn)
if(NOT dyn MATCHES "SONAME +libdal\\.so\\.1\n")
  message(FATAL_ERROR "libdal.so has no SONAME libdal.so.1:\n${dyn}")
endif()
execute_process(COMMAND ${NM} -D --defined-only "${WORK}/prefix/lib/libdal.so" OUTPUT_VARIABLE syms)
string(REGEX REPLACE "[^\n]* (dal_[A-Za-z0-9_]*(@@?DAL_1)?|DAL_1)\n" "" others "${syms}")
if(NOT others STREQUAL "")
  message(FATAL_ERROR "libdal.so exports symbols outside dal_*:\n${others}")
endif()
run(${CMAKE_COMMAND} -S "${WORK}/src" -B "${WORK}/inst" -DDAL_FROM_INSTALL=ON
    "-DCMAKE_PREFIX_PATH=${WORK}/prefix" -DEXPECT_NICKNAME=ON ${flags})
run(${CMAKE_COMMAND} --build "${WORK}/inst" -j2)
run("${WORK}/inst/library_app" "sqlite:${WORK}/library2.db")

# 3. pkg-config, plain cc
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} "${WORK}/prefix/lib/pkgconfig")
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs dal OUTPUT_VARIABLE pc RESULT_VARIABLE rc
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not find dal in ${WORK}/prefix/lib/pkgconfig")
endif()
separate_arguments(pc UNIX_COMMAND "${pc}")
run("${WORK}/prefix/bin/dalc" --out "${WORK}/pc" "${WORK}/src/library.dal")
set(cc_flags "")
if(SANITIZE)
  set(cc_flags -fsanitize=address,undefined -fno-omit-frame-pointer)
endif()
run(cc -std=c11 -Wall -Wextra -Werror -pedantic -DEXPECT_NICKNAME=1 ${cc_flags} -I "${WORK}/pc"
    "${WORK}/src/main.c" "${WORK}/pc/lib/lib.c" -o "${WORK}/pc/library_app" ${pc}
    "-Wl,-rpath,${WORK}/prefix/lib")
run("${WORK}/pc/library_app" "memory:")
message(STATUS "user project: add_subdirectory, schema change, find_package and pkg-config all work")
