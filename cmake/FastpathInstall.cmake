# SPDX-License-Identifier: BSD-3-Clause
# Install rules and the Debian package (CPack), included last by CMakeLists.txt.
#
#   cmake --install build [--prefix P]   (make install PREFIX=P [DESTDIR=D])
#   cpack -G DEB                         (make package: build/fastpath_<version>_amd64.deb)
#
# What goes where (prefix P: /usr for the package, /usr/local by default):
#   P/bin                          the binaries (FP_INSTALL_PROGRAMS: all of build/bin)
#   P/include/fastpath             strategies/strategy.h and the headers it includes
#   P/share/pkgconfig/fastpath.pc  `pkg-config --cflags fastpath` for strategy authors
#   P/share/fastpath/{sql,prometheus,grafana}  migrations, alert rules, dashboard
#   P/share/doc/fastpath           README, operations, postgres, strategies, copyright
#   /etc/fastpath                  the sample configs (P/etc/fastpath unless P is /usr or
#                                  /usr/local); never overwritten: an edited file stays and
#                                  the new sample lands beside it as NAME.dist (the package
#                                  marks them conffiles: dpkg asks instead)
#   /lib/systemd/system            the units (P/lib/systemd/system unless P is /usr), their
#                                  paths rewritten for P (cmake/FastpathInstallFiles.cmake)
# Everything that depends on P is written at install time, so `--prefix` and DESTDIR work
# on an already configured build. tests/install/ checks all of it.
include(GNUInstallDirs)
# `make install` / `make package` (the top Makefile) build first; cpack and `cmake --install`
# then only copy, and the package test never rebuilds binaries other tests are running.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(FP_DEB_MAINTAINER "fastpath maintainers <fastpath@example.com>" CACHE STRING
    "Maintainer field of the Debian package (set your firm's packaging contact)")

set(FP_INSTALL_PROGRAMS fastpath fastpath-ctl fastpath-md fastpath-sim fastpath-bench fastpath-floor
    fp-syscount)
foreach(prog ${FP_INSTALL_PROGRAMS})
  if(TARGET ${prog})
    install(TARGETS ${prog} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# The strategy ABI: strategy.h and every header it includes, transitively, found in the
# module folders (one source of truth: strategy.h's own #include lines).
set(fp_abi_queue ${CMAKE_SOURCE_DIR}/strategies/strategy.h)
set(FP_ABI_HEADERS "")
while(fp_abi_queue)
  list(POP_FRONT fp_abi_queue hdr)
  if(hdr IN_LIST FP_ABI_HEADERS)
    continue()
  endif()
  list(APPEND FP_ABI_HEADERS ${hdr})
  file(STRINGS ${hdr} incs REGEX "^#include \"[^\"]+\"")
  foreach(line ${incs})
    string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" name "${line}")
    set(found "")
    foreach(dir strategies shm common proto)
      if(EXISTS ${CMAKE_SOURCE_DIR}/${dir}/${name})
        set(found ${CMAKE_SOURCE_DIR}/${dir}/${name})
        break()
      endif()
    endforeach()
    if(NOT found)
      message(FATAL_ERROR "${hdr} includes \"${name}\", which no module folder holds: the "
              "strategy ABI headers must stand alone once installed")
    endif()
    list(APPEND fp_abi_queue ${found})
  endforeach()
endwhile()
install(FILES ${FP_ABI_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/fastpath)

install(DIRECTORY ${CMAKE_SOURCE_DIR}/deploy/sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/fastpath/sql
        FILES_MATCHING PATTERN "*.sql")
install(FILES ${CMAKE_SOURCE_DIR}/deploy/prometheus/alerts.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fastpath/prometheus)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/grafana/fastpath.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fastpath/grafana)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/operations.md
        ${CMAKE_SOURCE_DIR}/docs/postgres.md ${CMAKE_SOURCE_DIR}/docs/scale.md
        ${CMAKE_SOURCE_DIR}/docs/strategies.md
        ${CMAKE_SOURCE_DIR}/deploy/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Prefix-dependent files (configs, units, fastpath.pc, changelog): at install time.
set(FP_INSTALL_CONFIGS dev.conf production.conf risk.conf sim.conf)
install(CODE "
  set(FP_SOURCE_DIR \"${CMAKE_SOURCE_DIR}\")
  set(FP_STAGE_DIR \"${CMAKE_BINARY_DIR}/install-stage\")
  set(FP_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(FP_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(FP_DATADIR \"${CMAKE_INSTALL_DATADIR}\")
  set(FP_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  set(FP_CONFIGS \"${FP_INSTALL_CONFIGS}\")
  set(FP_VERSION \"${PROJECT_VERSION}\")
  set(FP_VERSION_COMMIT \"${FP_VERSION_COMMIT}\")
  set(FP_DEB_MAINTAINER \"${FP_DEB_MAINTAINER}\")
  include(\"${CMAKE_SOURCE_DIR}/cmake/FastpathInstallFiles.cmake\")
")

# ---- the Debian package ----
# Control scripts (deploy/debian/): postinst creates the `fastpath` system user and group
# (the units' User/Group, the configs' segment group), prerm stops instances on removal.
set(fp_deb ${CMAKE_BINARY_DIR}/debian-control)
file(MAKE_DIRECTORY ${fp_deb})
set(fp_conffiles "")
foreach(conf ${FP_INSTALL_CONFIGS})
  string(APPEND fp_conffiles "/etc/fastpath/${conf}\n")
endforeach()
file(CONFIGURE OUTPUT ${fp_deb}/conffiles CONTENT "${fp_conffiles}")
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_SOURCE_DIR}/deploy/debian/${script} ${fp_deb}/${script} COPYONLY
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fastpath)
set(CPACK_PACKAGE_VENDOR "fastpath")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${FP_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "low-latency trading system for colocated Linux servers")
# The extended description (CPack puts the summary above it and indents each line).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "fastpath decodes NASDAQ TotalView-ITCH 5.0 market data, builds
order books, runs strategies, checks pre-trade risk and sends OUCH 5.0
orders: each stage a CPU-pinned worker over lock-free rings in hugepage
shared memory.

This package holds the supervisor (fastpath), the control CLI
(fastpath-ctl), the exchange simulator, market-data tools, benchmarks,
systemd units, sample configurations and the strategy ABI headers
(pkg-config fastpath).")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)     # runtime libraries from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser") # postinst
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${fp_deb}/conffiles ${fp_deb}/postinst ${fp_deb}/prerm
    ${fp_deb}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# DESTDIR staging with the prefix /usr: /etc and /lib/systemd are absolute destinations.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
