# Installation: the decree binary, libdecree (shared and static), the self-contained public
# headers, find_package(Decree) and pkg-config files; CPack turns the same into a .deb.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS decree RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Generated from the verb tables after each link of decree (cli/CMakeLists.txt).
install(DIRECTORY ${PROJECT_BINARY_DIR}/cli-docs/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_BINARY_DIR}/cli-docs/completions/decree DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${PROJECT_BINARY_DIR}/cli-docs/completions/_decree DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(TARGETS decree_runtime decree_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# Every public header: self-contained, including only each other (scripts/check-layers).
install(DIRECTORY runtime/include/decree/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/decree FILES_MATCHING PATTERN "*.h")

configure_file(cmake/DecreeConfig.cmake.in ${PROJECT_BINARY_DIR}/DecreeConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/DecreeConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/DecreeConfig.cmake ${PROJECT_BINARY_DIR}/DecreeConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Decree)
configure_file(cmake/decree.pc.in ${PROJECT_BINARY_DIR}/decree.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/decree.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY rulesets/ DESTINATION ${CMAKE_INSTALL_DATADIR}/decree/rulesets)

set(CPACK_PACKAGE_NAME decree)
set(CPACK_PACKAGE_CONTACT "Decree maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Regulatory rules compiler, checker and runtime")
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the binaries' shared libraries (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_STRIP_FILES TRUE)  # the build keeps debug info; the package does not
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
