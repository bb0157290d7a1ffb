# SPDX-License-Identifier: BSD-3-Clause
# Helpers shared by every module's CMakeLists.txt.

# Flags for our own targets only (never for imported ones).
set(FP_C_FLAGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wformat=2 -Wno-missing-field-initializers -march=${FP_MARCH})
if(FP_WERROR)
  list(APPEND FP_C_FLAGS -Werror)
endif()
if(FP_SANITIZE)
  list(APPEND FP_C_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
       -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# fp_module(NAME <lib> [SOURCES ...] [LIBS ...])
# One static library per module folder; its folder is the public include directory.
# Without SOURCES the library is every fp_*.c of the folder, so that several people can add
# files to one module without touching a shared list.
function(fp_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT M_SOURCES)
    file(GLOB M_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fp_*.c)
    list(SORT M_SOURCES)
  endif()
  if(M_SOURCES)
    add_library(${M_NAME} STATIC ${M_SOURCES})
    target_include_directories(${M_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_options(${M_NAME} PRIVATE ${FP_C_FLAGS})
    target_link_libraries(${M_NAME} PUBLIC ${M_LIBS})
  else() # header-only so far
    add_library(${M_NAME} INTERFACE)
    target_include_directories(${M_NAME} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${M_NAME} INTERFACE ${M_LIBS})
  endif()
  file(GLOB hdrs ${CMAKE_CURRENT_SOURCE_DIR}/*.h)
  set_property(GLOBAL APPEND PROPERTY FP_PUBLIC_HEADERS ${hdrs})
  set_property(GLOBAL APPEND PROPERTY FP_HEADER_LIBS ${M_NAME})
endfunction()

# fp_program(NAME <exe> SOURCES ... [LIBS ...]): a binary installed in build/bin.
function(fp_program)
  cmake_parse_arguments(P "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${P_NAME} ${P_SOURCES})
  target_compile_options(${P_NAME} PRIVATE ${FP_C_FLAGS})
  # fp_version.h (cmake/FastpathVersion.cmake): every binary answers --version.
  target_include_directories(${P_NAME} PRIVATE ${CMAKE_BINARY_DIR}/generated)
  target_link_libraries(${P_NAME} PRIVATE ${P_LIBS})
endfunction()

# fp_programs([LIBS ...]): every fastpath_<name>.c of the folder becomes build/bin/fastpath-<name>
# (underscores become dashes), linked with LIBS.
function(fp_programs)
  cmake_parse_arguments(P "" "" "LIBS" ${ARGN})
  file(GLOB mains CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fastpath_*.c)
  foreach(src ${mains})
    get_filename_component(stem ${src} NAME_WE)
    string(REPLACE "_" "-" exe ${stem})
    fp_program(NAME ${exe} SOURCES ${src} LIBS ${P_LIBS})
  endforeach()
endfunction()

# fp_check_test(NAME <test> SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s])
# A Check test executable registered with ctest. Tests find ../shared/data through
# FP_SHARED_DATA and skip with a message where it is absent.
get_filename_component(FP_SHARED_DATA_DEFAULT ${CMAKE_SOURCE_DIR}/../shared/data ABSOLUTE)
set(FP_SHARED_DATA ${FP_SHARED_DATA_DEFAULT} CACHE PATH "Third-party test material")
function(fp_check_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_compile_options(${T_NAME} PRIVATE ${FP_C_FLAGS})
  target_compile_definitions(${T_NAME} PRIVATE
    FP_SHARED_DATA="${FP_SHARED_DATA}" FP_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    FP_BINARY_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CHECK)
  # the tests' shared helpers (fp_test_ports.h: ports of a test's own)
  target_include_directories(${T_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/tests/common)
  set_target_properties(${T_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "CK_DEFAULT_TIMEOUT=${T_TIMEOUT};FP_SANITIZE=$<BOOL:${FP_SANITIZE}>")
  if(T_LABELS)
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

# Every public header must compile on its own (DPDK's check_includes): one object per header.
function(fp_add_header_check)
  get_property(hdrs GLOBAL PROPERTY FP_PUBLIC_HEADERS)
  get_property(libs GLOBAL PROPERTY FP_HEADER_LIBS)
  set(srcs "")
  foreach(h ${hdrs})
    get_filename_component(name ${h} NAME_WE)
    # *_core.h and *_pvt.h are included through their public header only.
    if(name MATCHES "_(core|pvt)$")
      continue()
    endif()
    set(src ${CMAKE_BINARY_DIR}/header_check/${name}.c)
    file(WRITE ${src}.tmp "#include \"${h}\"\n")
    configure_file(${src}.tmp ${src} COPYONLY)
    list(APPEND srcs ${src})
  endforeach()
  if(srcs)
    add_library(fp_header_check OBJECT ${srcs})
    target_compile_options(fp_header_check PRIVATE ${FP_C_FLAGS})
    # Linking the module libraries brings their include paths and flags (DPDK's too).
    target_link_libraries(fp_header_check PRIVATE ${libs})
  endif()
endfunction()
