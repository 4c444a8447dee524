# cmake --install: the dal library, its headers, dalc, and a package config so
# that find_package(dal) gives dal::dal, dal::dalc and dal_generate().
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS dal EXPORT dalTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS dalc EXPORT dalTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES runtime/dal.h runtime/dal_backend.h runtime/dal_builder.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dal)
install(EXPORT dalTargets NAMESPACE dal:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
install(FILES cmake/DalGenerate.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
configure_package_config_file(cmake/dalConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/dalConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/dalConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dalConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/dalConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dal)
