# Install rules and the CMake package config (docs/packaging.md).
#
# Included from the top-level CMakeLists.txt after every library folder, so
# that it sees which plugins were built. Each component is its own export
# set and targets file, so a consumer that asks for `udp` never needs
# SQLite or RocksDB installed:
#
#   component   targets (namespace gossipmonger::)     export file
#   (always)    core, storage_memory                   gossipmonger-core-targets.cmake
#   sqlite      storage_sqlite                         gossipmonger-sqlite-targets.cmake
#   rocksdb     storage_rocksdb                        gossipmonger-rocksdb-targets.cmake
#   tcp, udp    codec_msgpack, transport_core          gossipmonger-codec-targets.cmake
#               (shared by both)
#   tcp         transport_tcp                          gossipmonger-tcp-targets.cmake
#   udp         transport_udp                          gossipmonger-udp-targets.cmake
#   testing     testing (the testing kit)              gossipmonger-testing-targets.cmake
#
# Invariant: every exported target's headers compile with what the target
# carries; Asio's configuration macros (ASIO_STANDALONE, ...) are core's
# PUBLIC compile definitions and reach every other target through its
# PUBLIC link to core, so a consumer defines nothing by hand
# (scripts/example.sh checks it on examples/).
#
# Invariant: no internal-only target (gossipmonger_warnings,
# gossipmonger_rocksdb_library, the test and tool targets) is in an export
# set; the library targets name them only inside $<BUILD_INTERFACE:...>.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GOSSIPMONGER_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gossipmonger
    CACHE STRING "Where the CMake package config is installed, relative to the prefix")

# Installs `target` into the export set `set_name` and the public headers of
# `folder` into include/gossipmonger/.
function(gossipmonger_install_target target folder set_name)
  # A shared plugin finds libgossipmonger_core.so next to itself.
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN")
  endif()
  install(TARGETS ${target} EXPORT gossipmonger-${set_name}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/include/gossipmonger
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.h")
endfunction()

function(gossipmonger_install_export set_name)
  install(EXPORT gossipmonger-${set_name}-targets
    NAMESPACE gossipmonger::
    DESTINATION ${GOSSIPMONGER_INSTALL_CMAKEDIR})
endfunction()

# core and storage_memory: always built, one export set.
gossipmonger_install_target(gossipmonger_core core core)
gossipmonger_install_target(gossipmonger_storage_memory storage-memory core)
gossipmonger_install_export(core)
set(GOSSIPMONGER_BUILT_COMPONENTS core memory)

# The testing kit: headers in include/gossipmonger/testing/, its own export
# set, since a production build of a consumer never needs it.
gossipmonger_install_target(gossipmonger_testing testing testing)
gossipmonger_install_export(testing)
list(APPEND GOSSIPMONGER_BUILT_COMPONENTS testing)

if(TARGET gossipmonger_storage_sqlite)
  gossipmonger_install_target(gossipmonger_storage_sqlite storage-sqlite sqlite)
  gossipmonger_install_export(sqlite)
  list(APPEND GOSSIPMONGER_BUILT_COMPONENTS sqlite)
endif()
if(TARGET gossipmonger_storage_rocksdb)
  gossipmonger_install_target(gossipmonger_storage_rocksdb storage-rocksdb rocksdb)
  gossipmonger_install_export(rocksdb)
  list(APPEND GOSSIPMONGER_BUILT_COMPONENTS rocksdb)
endif()
if(TARGET gossipmonger_codec_msgpack)
  gossipmonger_install_target(gossipmonger_codec_msgpack codec-msgpack codec)
  gossipmonger_install_target(gossipmonger_transport_core transport-core codec)
  gossipmonger_install_export(codec)
  foreach(transport tcp udp)
    if(TARGET gossipmonger_transport_${transport})
      gossipmonger_install_target(gossipmonger_transport_${transport}
        transport-${transport} ${transport})
      gossipmonger_install_export(${transport})
      list(APPEND GOSSIPMONGER_BUILT_COMPONENTS ${transport})
    endif()
  endforeach()
endif()

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/gossipmonger-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/gossipmonger-config.cmake
  INSTALL_DESTINATION ${GOSSIPMONGER_INSTALL_CMAKEDIR})
# 0.x: a minor release may break the API (semantic versioning's rule for
# 0.y.z), so a request for 0.1 accepts 0.1.z only. Revisit at 1.0
# (SameMajorVersion).
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/gossipmonger-config-version.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/gossipmonger-config.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/gossipmonger-config-version.cmake
  DESTINATION ${GOSSIPMONGER_INSTALL_CMAKEDIR})
