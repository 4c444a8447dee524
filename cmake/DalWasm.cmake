# The WebAssembly build (Emscripten): included by the top-level CMakeLists.txt
# instead of the native build when configured under emcmake. Builds the
# runtime, the memory backend and the idb backend (IndexedDB) into `dal`,
# generates the swarm schema with a HOST dalc, and builds the conformance and
# builder suites as pages run in headless Chromium (ctest label `idb`).
#
#   emcmake cmake -S . -B build/wasm [-DDAL_HOST_DALC=/path/to/dalc] [-DDAL_WASM_CJSON_DIR=dir]
#   cmake --build build/wasm -j2 && (cd build/wasm && ctest -L idb)
#
# dalc runs on the build machine: DAL_HOST_DALC names one; otherwise configure
# builds it natively into <build>/host-dalc. cJSON comes from Debian's cjson
# source package compiled with emcc (cmake/wasm-cjson.sh) unless
# DAL_WASM_CJSON_DIR holds include/cjson/cJSON.h and lib/libcjson.a.
set(DAL_HOST_DALC "" CACHE FILEPATH "dalc built for the build machine (empty: build one)")
set(DAL_WASM_CJSON_DIR "" CACHE PATH "cJSON built for wasm (empty: build from Debian's source package)")
set(dal_src ${CMAKE_CURRENT_SOURCE_DIR})

# emcc's JavaScript optimizer needs acorn (Debian: node-acorn, in
# /usr/share/nodejs), which a node not from Debian does not look for there.
if(EXISTS /usr/share/nodejs/acorn)
  set_property(GLOBAL PROPERTY RULE_LAUNCH_LINK "${CMAKE_COMMAND} -E env NODE_PATH=/usr/share/nodejs")
endif()

# --- host dalc ---------------------------------------------------------------
if(NOT DAL_HOST_DALC)
  set(host ${CMAKE_BINARY_DIR}/host-dalc)
  message(STATUS "dal: building the host dalc in ${host}")
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env --unset=CC --unset=CFLAGS --unset=LDFLAGS --unset=EMCC_CFLAGS
            ${CMAKE_COMMAND} -S ${dal_src} -B ${host} -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=cc
            -DDAL_BUILD_TESTS=OFF -DDAL_BUILD_EXAMPLES=OFF -DDAL_BUILD_BENCH=OFF
    RESULT_VARIABLE rc OUTPUT_QUIET)
  if(rc EQUAL 0)
    execute_process(COMMAND ${CMAKE_COMMAND} --build ${host} --target dalc -j2 RESULT_VARIABLE rc OUTPUT_QUIET)
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dal: building the host dalc failed (configure it yourself and pass -DDAL_HOST_DALC=...)")
  endif()
  set(DAL_HOST_DALC ${host}/codegen/dalc CACHE FILEPATH "dalc built for the build machine" FORCE)
  set(DAL_HOST_DALC_TREE ${host} CACHE INTERNAL "")
endif()
add_executable(dalc IMPORTED GLOBAL)
set_target_properties(dalc PROPERTIES IMPORTED_LOCATION ${DAL_HOST_DALC})
# The host dalc we built follows codegen/: brought up to date on every build,
# before any generation (a newer dalc then regenerates).
if(DAL_HOST_DALC_TREE)
  add_custom_target(dal_host_dalc
    COMMAND ${CMAKE_COMMAND} -E env --unset=CC --unset=CFLAGS --unset=LDFLAGS
            ${CMAKE_COMMAND} --build ${DAL_HOST_DALC_TREE} --target dalc
    BYPRODUCTS ${DAL_HOST_DALC}
    COMMENT "host dalc"
    VERBATIM)
endif()

# --- cJSON -------------------------------------------------------------------
if(NOT DAL_WASM_CJSON_DIR)
  set(DAL_WASM_CJSON_DIR ${CMAKE_BINARY_DIR}/wasm-deps/cjson)
  execute_process(COMMAND ${dal_src}/cmake/wasm-cjson.sh ${DAL_WASM_CJSON_DIR} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dal: building cJSON for wasm failed (cmake/wasm-cjson.sh)")
  endif()
endif()
add_library(cjson STATIC IMPORTED GLOBAL)
set_target_properties(cjson PROPERTIES
  IMPORTED_LOCATION ${DAL_WASM_CJSON_DIR}/lib/libcjson.a
  INTERFACE_INCLUDE_DIRECTORIES ${DAL_WASM_CJSON_DIR}/include)

# --- the runtime library -----------------------------------------------------
add_library(dal STATIC)
add_library(dal::dal ALIAS dal)
target_include_directories(dal PUBLIC ${CMAKE_CURRENT_BINARY_DIR}/include ${dal_src}/runtime)
target_link_libraries(dal PUBLIC cjson)
target_compile_definitions(dal PRIVATE _POSIX_C_SOURCE=200809L)
dal_target_warnings(dal)
add_subdirectory(runtime)
add_subdirectory(backends/memory)
add_subdirectory(backends/idb)
set(DAL_BACKEND_DECLS "extern const dal_backend dal_memory_backend;\nextern const dal_backend dal_idb_backend;\n")
set(DAL_BACKEND_ENTRIES "    &dal_idb_backend,\n    &dal_memory_backend,\n")
configure_file(cmake/dal_backends.c.in ${CMAKE_CURRENT_BINARY_DIR}/dal_backends.c @ONLY)
target_sources(dal PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/dal_backends.c)
# What every program linking dal needs: Asyncify (a C call waits for IndexedDB).
target_link_options(dal INTERFACE
  -sASYNCIFY=1 -sASYNCIFY_STACK_SIZE=65536 -sALLOW_MEMORY_GROWTH=1
  "-sEXPORTED_FUNCTIONS=_main,_malloc,_free" -sENVIRONMENT=web)

include(DalGenerate)
dal_generate(swarm SCHEMA ${dal_src}/schema/swarm.dal)
dal_target_warnings(swarm)
if(TARGET dal_host_dalc)
  add_dependencies(swarm dal_host_dalc)
endif()

if(DAL_BUILD_TESTS)
  include(CTest)
  add_subdirectory(tests/idb)
endif()
