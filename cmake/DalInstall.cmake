# cmake --install: the dal library, its headers, dalc, and a package config so
# that find_package(dal) gives dal::dal, dal::dalc and dal_generate().
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS dal EXPORT dalTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS dalc EXPORT dalTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Headers: <prefix>/include/dal/, included as <dal/dal.h>.
install(FILES runtime/dal.h runtime/dal_backend.h runtime/dal_builder.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dal)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/dal)

# pkg-config: `cc app.c gen/ns/ns.c $(pkg-config --cflags --libs dal)`. A
# static libdal needs SQLite and threads on the consumer's link line too.
if(BUILD_SHARED_LIBS)
  set(DAL_PC_REQUIRES "libcjson")
  set(DAL_PC_REQUIRES_PRIVATE "sqlite3")
  set(DAL_PC_LIBS_PRIVATE "-pthread")
  set(DAL_PC_LIBS "")
else()
  set(DAL_PC_REQUIRES "libcjson sqlite3")
  set(DAL_PC_REQUIRES_PRIVATE "")
  set(DAL_PC_LIBS_PRIVATE "")
  set(DAL_PC_LIBS "-pthread")
endif()
if(DAL_HAVE_POSTGRESQL)   # the PostgreSQL backend is compiled in: libpq too
  if(BUILD_SHARED_LIBS)
    string(APPEND DAL_PC_REQUIRES_PRIVATE " libpq")
  else()
    string(APPEND DAL_PC_REQUIRES " libpq")
  endif()
endif()
configure_file(cmake/dal.pc.in ${CMAKE_CURRENT_BINARY_DIR}/dal.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dal.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(EXPORT dalTargets NAMESPACE dal:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
install(FILES cmake/DalGenerate.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
configure_package_config_file(cmake/dalConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/dalConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/dalConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dalConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/dalConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
