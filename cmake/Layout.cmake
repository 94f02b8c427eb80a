# Layout.cmake - where the programs look for their rules and schemas when
# no option says otherwise.  Include it before the subdirectories (the
# programs compile HQ_DEFAULT_RULES and HQ_DEFAULT_SCHEMAS in).
#
#   default (HQ_INSTALL_LAYOUT=OFF): the source tree's rules/ and schemas/,
#     so a build runs from the checkout (scripts/run.sh, the tests);
#   HQ_INSTALL_LAYOUT=ON: where cmake/Install.cmake puts them and the
#     systemd units expect them, e.g. with CMAKE_INSTALL_PREFIX=/usr:
#     /etc/houqin/rules and /usr/share/houqin/schemas.
#
# HQ_DEFAULT_RULES / HQ_DEFAULT_SCHEMAS given with -D win.  Otherwise they
# are computed on every configure, so switching the layout on an existing
# build directory takes effect (a cached source-tree value, left by the
# CACHE variables this file replaces, counts as not given).
include(GNUInstallDirs)
option(HQ_INSTALL_LAYOUT "compiled-in defaults point at the installed rules and schemas" OFF)
if(HQ_INSTALL_LAYOUT)
  set(_hq_rules "${CMAKE_INSTALL_FULL_SYSCONFDIR}/houqin/rules")
  set(_hq_schemas "${CMAKE_INSTALL_FULL_DATADIR}/houqin/schemas")
else()
  set(_hq_rules "${CMAKE_SOURCE_DIR}/rules")
  set(_hq_schemas "${CMAKE_SOURCE_DIR}/schemas")
endif()
if(NOT DEFINED HQ_DEFAULT_RULES OR HQ_DEFAULT_RULES STREQUAL ""
   OR HQ_DEFAULT_RULES STREQUAL "${CMAKE_SOURCE_DIR}/rules")
  set(HQ_DEFAULT_RULES "${_hq_rules}")
endif()
if(NOT DEFINED HQ_DEFAULT_SCHEMAS OR HQ_DEFAULT_SCHEMAS STREQUAL ""
   OR HQ_DEFAULT_SCHEMAS STREQUAL "${CMAKE_SOURCE_DIR}/schemas")
  set(HQ_DEFAULT_SCHEMAS "${_hq_schemas}")
endif()
message(STATUS "houqin: default rules ${HQ_DEFAULT_RULES}, schemas ${HQ_DEFAULT_SCHEMAS}")

# What --help shows as the default: the installed path, or, for a build
# that runs from its source tree, words instead of the build machine's
# path (which means nothing on another machine, and leaks the build
# directory into packages); --version prints the path itself.
if(HQ_DEFAULT_RULES STREQUAL "${CMAKE_SOURCE_DIR}/rules")
  set(HQ_DEFAULT_RULES_HELP "the rules directory given at build time, see --version")
else()
  set(HQ_DEFAULT_RULES_HELP "${HQ_DEFAULT_RULES}")
endif()
if(HQ_DEFAULT_SCHEMAS STREQUAL "${CMAKE_SOURCE_DIR}/schemas")
  set(HQ_DEFAULT_SCHEMAS_HELP "the schemas directory given at build time, see --version")
else()
  set(HQ_DEFAULT_SCHEMAS_HELP "${HQ_DEFAULT_SCHEMAS}")
endif()
add_compile_definitions(HQ_DEFAULT_RULES_HELP="${HQ_DEFAULT_RULES_HELP}"
                        HQ_DEFAULT_SCHEMAS_HELP="${HQ_DEFAULT_SCHEMAS_HELP}"
                        HQ_BUILD_VERSION="${PROJECT_VERSION}")
