# Run by `cmake --install` (and by cpack, which installs the same way): the
# files whose place, or content, depends on the prefix chosen at install
# time. The prefix /usr (the .deb's) puts the config in /etc; any other
# prefix P in P/etc. The unit gets the binary's and the config's paths.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc "/etc")
else()
  set(etc "${CMAKE_INSTALL_PREFIX}/etc")
endif()
set(BINDIR "${CMAKE_INSTALL_PREFIX}/bin")
set(DOCDIR "${CMAKE_INSTALL_PREFIX}/share/doc/shiprelay")
set(CONFIG "${etc}/shiprelay/shiprelay.conf")
configure_file("${SHIPRELAY_SOURCE}/systemd/shiprelay.service.in" "${SHIPRELAY_BINARY}/shiprelay.service" @ONLY)
file(INSTALL "${SHIPRELAY_BINARY}/shiprelay.service" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
# The config holds secrets once it is filled in: 0640, and never replaced by
# an install over an existing one (the .deb marks it a conffile instead).
if(EXISTS "$ENV{DESTDIR}${CONFIG}")
  message(STATUS "Keeping: $ENV{DESTDIR}${CONFIG} (the documented defaults are in ${DOCDIR})")
else()
  file(INSTALL "${SHIPRELAY_SOURCE}/config/shiprelay.conf" DESTINATION "${etc}/shiprelay"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
endif()
