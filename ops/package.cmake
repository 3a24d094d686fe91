# Install rules and the Debian package (cpack -G DEB): the operator's way to
# install pricelane (docs/operations.md). Programs, man pages and units go
# under the prefix (/usr in the package); the configuration file and the
# state directory have fixed system paths.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
include(GNUInstallDirs)

install(TARGETS pricelaned pricelane-load pricelane_cli pricelane-bench
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages from each program's --help (ops/manpage.py), compressed as
# Debian's policy asks.
set(PL_MAN_PAGES
  "pricelaned|pricelaned|retail price and barcode lookup server"
  "pricelane-load|pricelane-load|create, load, back up and maintain a pricelane catalogue"
  "pricelane_cli|pricelane|look up prices in a catalogue or a running server"
  "pricelane-bench|pricelane-bench|load generator and benchmarks for pricelane")
set(PL_MAN_FILES "")
foreach(entry ${PL_MAN_PAGES})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 target)
  list(GET parts 1 prog)
  list(GET parts 2 summary)
  set(out ${CMAKE_BINARY_DIR}/man/${prog}.1.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/ops/manpage.py --prog $<TARGET_FILE:${target}>
            --version ${PROJECT_VERSION} --summary "${summary}" ${CMAKE_BINARY_DIR}/man/${prog}.1
    COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/man/${prog}.1
    DEPENDS ${target} ${CMAKE_SOURCE_DIR}/ops/manpage.py VERBATIM)
  list(APPEND PL_MAN_FILES ${out})
endforeach()
add_custom_target(man ALL DEPENDS ${PL_MAN_FILES})
install(FILES ${PL_MAN_FILES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${CMAKE_SOURCE_DIR}/ops/systemd/pricelaned.service
  ${CMAKE_SOURCE_DIR}/ops/systemd/pricelane-watch.service
  ${CMAKE_SOURCE_DIR}/ops/systemd/pricelane-follow@.service
  DESTINATION lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/docs/operations.md ${CMAKE_SOURCE_DIR}/docs/loader.md
  ${CMAKE_SOURCE_DIR}/docs/labels.md ${CMAKE_SOURCE_DIR}/docs/batch-format.md
  ${CMAKE_SOURCE_DIR}/docs/protocol.md ${CMAKE_SOURCE_DIR}/README.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/ops/pricelaned.conf DESTINATION /etc/pricelane)
install(DIRECTORY DESTINATION /var/lib/pricelane)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pricelane)
set(CPACK_PACKAGE_VENDOR pricelane)
set(CPACK_PACKAGE_CONTACT "pricelane maintainers <pricelane@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "retail price and barcode lookup server")
set(CPACK_PACKAGE_DESCRIPTION "pricelaned answers price lookups from lane terminals, price checkers\n\
and phones over UDP, TCP and RESP2 from an LMDB catalogue; pricelane-load\n\
creates the catalogue, applies change batches atomically and keeps the\n\
shelf-label queue; pricelane looks prices up; pricelane-bench measures.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "lmdb-utils")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/ops/debian/conffiles
  ${CMAKE_SOURCE_DIR}/ops/debian/postinst
  ${CMAKE_SOURCE_DIR}/ops/debian/prerm ${CMAKE_SOURCE_DIR}/ops/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
