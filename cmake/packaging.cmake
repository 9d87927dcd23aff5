# The .deb: pushcheck and nowtime-server in bin/, the suite (scenarios, profiles and their
# JSON Schemas) in share/pushcheck/scenarios where pushcheck looks next to its executable
# (clients/run/src/data_dirs.cpp), and the report schemas in share/pushcheck/schemas.
# The two executables and scenarios/ are installed by their own folders' CMakeLists.txt.
install(FILES ${PROJECT_SOURCE_DIR}/reports/junit.xsd ${PROJECT_SOURCE_DIR}/reports/results.schema.json
        DESTINATION share/pushcheck/schemas)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/NOTICE
        DESTINATION share/doc/pushcheck)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pushcheck)
set(CPACK_PACKAGE_VENDOR "pushcheck")
set(CPACK_PACKAGE_CONTACT "pushcheck developers <dev@pushcheck.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "conformance suite and test harness for room-based WebSocket push servers")
set(CPACK_PACKAGE_DESCRIPTION
    "pushcheck drives scripted WebSocket clients against a push server, judges what they see against a declarative suite and writes JUnit, HTML and JSON reports. The package also carries nowtime-server, the reference server.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# dpkg-shlibdeps (dpkg-dev) derives Depends from the linked libraries, so the package
# names libssl3, libfmt9, ... exactly as the Debian release it was built on has them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
