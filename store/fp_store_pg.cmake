# SPDX-License-Identifier: BSD-3-Clause
# fp_store_pg: the PostgreSQL loader (libpq), linked by fastpath-ctl only, so that no worker
# and no supervisor links libpq. The migrations of deploy/sql/ (NNN_name.sql) are embedded
# into it at configure time (fp_store_pg_sql.c), so the loader needs no files at run time.
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)

file(GLOB fp_pg_sql CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/deploy/sql/[0-9][0-9][0-9]_*.sql)
list(SORT fp_pg_sql)
set(gen "/* Generated from deploy/sql/ by store/fp_store_pg.cmake: do not edit. */\n")
string(APPEND gen "#include \"fp_store_pg.h\"\n\n")
set(table "")
set(count 0)
foreach(f ${fp_pg_sql})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
  get_filename_component(name ${f} NAME_WE)
  string(SUBSTRING ${name} 0 3 ver)
  math(EXPR ver_num "${ver}" OUTPUT_FORMAT DECIMAL)
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND gen "static const char sql_${ver}[] = {${bytes}0x00};\n")
  string(APPEND table "\t{${ver_num}, \"${name}\", sql_${ver}},\n")
  math(EXPR count "${count} + 1")
endforeach()
string(APPEND gen "\nconst struct fp_store_pg_migration fp_store_pg_migrations[] = {\n${table}};\n")
string(APPEND gen "const unsigned fp_store_pg_nb_migrations = ${count};\n")
file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/fp_store_pg_sql.c CONTENT "${gen}" @ONLY)

# The COPY encoder uses no libpq: a library of its own, which its tests link without a server.
add_library(fp_store_pg_copy STATIC ${CMAKE_CURRENT_SOURCE_DIR}/fp_store_pg_copy.c)
target_include_directories(fp_store_pg_copy PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(fp_store_pg_copy PRIVATE ${FP_C_FLAGS})
target_link_libraries(fp_store_pg_copy PUBLIC fp_store fp_shm fp_common)
add_library(fp_store_pg STATIC ${CMAKE_CURRENT_SOURCE_DIR}/fp_store_pg_conn.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fp_store_pg_load.c ${CMAKE_CURRENT_BINARY_DIR}/fp_store_pg_sql.c)
target_include_directories(fp_store_pg PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(fp_store_pg PRIVATE ${FP_C_FLAGS})
# libpq is PUBLIC: fastpath-ctl's firm commands run statements of their own on the connection.
target_link_libraries(fp_store_pg PUBLIC fp_store_pg_copy fp_store fp_shm fp_common
  PkgConfig::PQ)
