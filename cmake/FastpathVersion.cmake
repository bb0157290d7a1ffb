# SPDX-License-Identifier: BSD-3-Clause
# The version of every binary, from one place: project(VERSION) in CMakeLists.txt and the
# git commit of the source tree, read at configure time. Without git or a .git (a tarball
# of the sources), the commit is FP_GIT_COMMIT when given (-DFP_GIT_COMMIT=...), else
# "unknown". The result is ${CMAKE_BINARY_DIR}/generated/fp_version.h (cmake/fp_version.h.in),
# which every program's main() includes (fp_program adds the folder) for `--version`.
set(FP_GIT_COMMIT "" CACHE STRING "Commit printed by --version when the tree has no .git")
set(fp_commit "${FP_GIT_COMMIT}")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} rev-parse --short=12 HEAD
    OUTPUT_VARIABLE git_commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
    RESULT_VARIABLE git_rc)
  if(git_rc EQUAL 0 AND git_commit)
    set(fp_commit "${git_commit}")
    # Reconfigure when HEAD moves (commit, checkout, reset), so --version never goes stale.
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} rev-parse
      --path-format=absolute --git-path logs/HEAD
      OUTPUT_VARIABLE git_log OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(git_log AND EXISTS "${git_log}")
      set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
        "${git_log}")
    endif()
  endif()
endif()
if(NOT fp_commit)
  set(fp_commit "unknown")
endif()
set(FP_VERSION_COMMIT "${fp_commit}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/fp_version.h.in
  ${CMAKE_BINARY_DIR}/generated/fp_version.h @ONLY)
message(STATUS "fastpath ${PROJECT_VERSION} (git ${FP_VERSION_COMMIT})")
