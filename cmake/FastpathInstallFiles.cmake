# SPDX-License-Identifier: BSD-3-Clause
# Install-time part of cmake/FastpathInstall.cmake: the files whose content or place
# depends on the install prefix, which is only known now (`cmake --install --prefix`,
# CPack's /usr). Run by install(CODE); DESTDIR is honoured by file(INSTALL).
#
# Inputs: FP_SOURCE_DIR FP_STAGE_DIR FP_BINDIR FP_INCLUDEDIR FP_DATADIR FP_DOCDIR FP_CONFIGS
#         FP_VERSION FP_VERSION_COMMIT FP_DEB_MAINTAINER, and CMAKE_INSTALL_PREFIX.
set(prefix "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/+$" "" prefix "${prefix}")
if(prefix STREQUAL "" OR prefix STREQUAL "/usr" OR prefix STREQUAL "/usr/local")
  set(sysconfdir "/etc")
else()
  set(sysconfdir "${prefix}/etc")
endif()
if(prefix STREQUAL "" OR prefix STREQUAL "/usr")
  set(unitdir "/lib/systemd/system")
else()
  set(unitdir "${prefix}/lib/systemd/system")
endif()
set(bindir "${prefix}/${FP_BINDIR}")
set(docdir "${prefix}/${FP_DOCDIR}")
set(stage "${FP_STAGE_DIR}${prefix}")
file(REMOVE_RECURSE "${stage}")
set(destdir "$ENV{DESTDIR}")

# Replace @p from by @p to in @p text, failing when @p from is absent: a sample edited so
# that the rewrite no longer applies must not install silently wrong.
function(fp_rewrite var file from to)
  string(FIND "${${var}}" "${from}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install: ${file} no longer holds '${from}' "
            "(cmake/FastpathInstallFiles.cmake rewrites it for the installed copy)")
  endif()
  string(REPLACE "${from}" "${to}" text "${${var}}")
  set(${var} "${text}" PARENT_SCOPE)
endfunction()

# Units: the files of deploy/systemd name the /usr/local layout; point them at this one.
file(GLOB units "${FP_SOURCE_DIR}/deploy/systemd/*.service")
foreach(unit ${units})
  get_filename_component(name "${unit}" NAME)
  file(READ "${unit}" text)
  string(REPLACE "/usr/local/bin/" "${bindir}/" text "${text}")
  string(REPLACE "/etc/fastpath/" "${sysconfdir}/fastpath/" text "${text}")
  string(REPLACE "file:/usr/share/doc/fastpath/" "file:${docdir}/" text "${text}")
  file(WRITE "${stage}/units/${name}" "${text}")
  file(INSTALL "${stage}/units/${name}" DESTINATION "${unitdir}" PERMISSIONS OWNER_READ
       OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()

# Configs. Paths inside them resolve against their folder (fp_cfg_get_path), so the
# samples work in place (config/) and here alike, but for the journal: an installed
# instance keeps it in its systemd StateDirectory, not beside the repository's build/.
foreach(conf ${FP_CONFIGS})
  file(READ "${FP_SOURCE_DIR}/config/${conf}" text)
  if(conf STREQUAL "dev.conf")
    fp_rewrite(text ${conf} "dir = \"../build/journal\";"
               "dir = \"/var/lib/fastpath/dev/journal\";")
  endif()
  file(WRITE "${stage}/etc/${conf}" "${text}")
  set(dest "${destdir}${sysconfdir}/fastpath/${conf}")
  set(name "${conf}")
  if(EXISTS "${dest}")
    file(READ "${dest}" old)
    if(NOT old STREQUAL text)
      # An operator's edit: keep it, put the new sample beside it.
      set(name "${conf}.dist")
      file(WRITE "${stage}/etc/${name}" "${text}")
      message(STATUS "Kept: ${dest} (edited); the new sample is ${name}")
    endif()
  endif()
  file(INSTALL "${stage}/etc/${name}" DESTINATION "${sysconfdir}/fastpath"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()

# pkg-config: the strategy ABI is headers only (a strategy links nothing of ours).
file(WRITE "${stage}/fastpath.pc"
  "prefix=${prefix}\n"
  "includedir=\${prefix}/${FP_INCLUDEDIR}/fastpath\n\n"
  "Name: fastpath\n"
  "Description: fastpath strategy ABI (strategy.h): build a strategy shared object\n"
  "Version: ${FP_VERSION}\n"
  "Cflags: -I\${includedir}\n")
file(INSTALL "${stage}/fastpath.pc" DESTINATION "${prefix}/${FP_DATADIR}/pkgconfig")

# Debian wants a changelog (changelog.gz, gzip -n: no timestamp) for a native package.
string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${stage}/changelog"
  "fastpath (${FP_VERSION}) unstable; urgency=medium\n\n"
  "  * Release ${FP_VERSION} (git ${FP_VERSION_COMMIT}); see the git history.\n\n"
  " -- ${FP_DEB_MAINTAINER}  ${date}\n")
execute_process(COMMAND gzip -9nf "${stage}/changelog" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install: gzip of the changelog failed (${rc})")
endif()
file(INSTALL "${stage}/changelog.gz" DESTINATION "${docdir}")
