# Install.cmake - what `cmake --install` puts where (the programs install
# themselves: houqind into sbin, houqinctl into bin, houqin-alertd by its
# own CMakeLists.txt).  Included at the end of the top CMakeLists.txt.
#
#   <prefix>/lib/systemd/system/*.service   the units in systemd/
#   <prefix>/lib/sysusers.d/houqin.conf     the static user and group
#   <prefix>/lib/tmpfiles.d/houqin.conf     /var/lib/houqin, group-writable
#   <prefix>/share/houqin/schemas/          the event schemas (not configuration)
#   <prefix>/share/houqin/rules/            the shipped rules, pristine, for diff
#   /etc/houqin/rules/                      the rules houqind runs (configuration;
#                                           <prefix>/etc/houqin when prefix is not /usr)
#   <prefix>/share/doc/houqin/              README and docs/
#
# The rules under /etc are the administrators' once installed: an install
# over an existing /etc/houqin/rules leaves it alone and says so (compare it
# with share/houqin/rules after an upgrade).
#
# The units name /usr/sbin, /usr/share/houqin and /etc/houqin; installed
# with another prefix they are rewritten to match it.  The programs'
# compiled-in defaults come from cmake/Layout.cmake (HQ_INSTALL_LAYOUT=ON);
# the install warns when they do not point where the rules and schemas go.
#
# Paths are worked out at install time, so `cmake --install build --prefix
# /usr` works whatever prefix the build was configured with.  DESTDIR is
# honoured everywhere.
include(GNUInstallDirs)

set(HQ_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "systemd units, relative to the prefix (or absolute)")

install(FILES systemd/houqin.sysusers.conf DESTINATION lib/sysusers.d RENAME houqin.conf)
install(FILES systemd/houqin.tmpfiles.conf DESTINATION lib/tmpfiles.d RENAME houqin.conf)
install(DIRECTORY schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/houqin/schemas
        FILES_MATCHING PATTERN "*.yaml" PATTERN "README.md")
install(DIRECTORY rules/ DESTINATION ${CMAKE_INSTALL_DATADIR}/houqin/rules)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

# Units, rules in /etc and the layout check need the install-time prefix.
file(GLOB HQ_UNITS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/systemd/*.service)
install(CODE "
  set(_hq_units \"${HQ_UNITS}\")
  set(_hq_unitdir \"${HQ_SYSTEMD_UNITDIR}\")
  set(_hq_src \"${CMAKE_SOURCE_DIR}\")
  set(_hq_bin \"${CMAKE_BINARY_DIR}\")
  set(_hq_default_rules \"${HQ_DEFAULT_RULES}\")
  set(_hq_default_schemas \"${HQ_DEFAULT_SCHEMAS}\")
  include(\"${CMAKE_SOURCE_DIR}/cmake/InstallStep.cmake\")
")

# The install test and the sd_notify test (tests/systemd/).
if(BUILD_TESTING)
  add_subdirectory(tests/systemd)
endif()
