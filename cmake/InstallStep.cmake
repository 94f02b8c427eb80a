# InstallStep.cmake - the install-time part of cmake/Install.cmake (run by
# cmake_install.cmake; CMAKE_INSTALL_PREFIX is the install-time prefix).
# In: _hq_units, _hq_unitdir, _hq_src, _hq_bin, _hq_default_rules,
# _hq_default_schemas.

set(_p "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/+$" "" _p "${_p}")
if(_p STREQUAL "/usr")
  set(_etc "/etc")
elseif(_p STREQUAL "")
  set(_p "/")
  set(_etc "/etc")
else()
  set(_etc "${_p}/etc")
endif()
set(_pp "${_p}")
if(_pp STREQUAL "/")
  set(_pp "")
endif()
if(IS_ABSOLUTE "${_hq_unitdir}")
  set(_unitdir "${_hq_unitdir}")
else()
  set(_unitdir "${_pp}/${_hq_unitdir}")
endif()

# Units: the files name /usr/...; rewrite them for another prefix.
set(_stage "${_hq_bin}/hq-install-units")
file(REMOVE_RECURSE "${_stage}")
file(MAKE_DIRECTORY "${_stage}")
foreach(_u IN LISTS _hq_units)
  get_filename_component(_n "${_u}" NAME)
  file(READ "${_u}" _text)
  if(NOT _p STREQUAL "/usr")
    string(REPLACE "/usr/sbin/" "${_pp}/sbin/" _text "${_text}")
    string(REPLACE "/usr/bin/houqin" "${_pp}/bin/houqin" _text "${_text}")
    string(REPLACE "/usr/share/houqin" "${_pp}/share/houqin" _text "${_text}")
    string(REPLACE "/usr/share/doc/houqin" "${_pp}/share/doc/houqin" _text "${_text}")
    string(REPLACE "/etc/houqin" "${_etc}/houqin" _text "${_text}")
  endif()
  file(WRITE "${_stage}/${_n}" "${_text}")
endforeach()
file(GLOB _staged "${_stage}/*.service")
if(_staged)
  file(INSTALL DESTINATION "${_unitdir}" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES ${_staged})
endif()

# Rules: configuration.  Installed once; never overwritten.
set(_rules "${_etc}/houqin/rules")
if(EXISTS "$ENV{DESTDIR}${_rules}")
  message(STATUS "Kept: $ENV{DESTDIR}${_rules} (administrators' rules; the shipped ones are in "
                 "${_pp}/share/houqin/rules)")
else()
  file(INSTALL DESTINATION "${_etc}/houqin" TYPE DIRECTORY FILES "${_hq_src}/rules"
       DIR_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endif()

# Where the programs will look when given no --rules / --schemas.
set(_schemas "${_pp}/share/houqin/schemas")
if(NOT _hq_default_rules STREQUAL _rules OR NOT _hq_default_schemas STREQUAL _schemas)
  message(WARNING "houqind and houqinctl were built with the default rules ${_hq_default_rules} and "
                  "schemas ${_hq_default_schemas}, not the installed ${_rules} and ${_schemas}: "
                  "configure with -DHQ_INSTALL_LAYOUT=ON -DCMAKE_INSTALL_PREFIX=${_p} for an installed "
                  "build (the units pass --rules and --schemas, so they work either way)")
endif()
