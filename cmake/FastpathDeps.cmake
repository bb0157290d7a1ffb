# SPDX-License-Identifier: BSD-3-Clause
# Every external dependency, found through pkg-config (packages: deploy/packages.d/).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(DPDK REQUIRED IMPORTED_TARGET libdpdk)
pkg_check_modules(URCU REQUIRED IMPORTED_TARGET liburcu-qsbr)
pkg_check_modules(URCU_CDS REQUIRED IMPORTED_TARGET liburcu-cds)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
pkg_check_modules(LIBXDP REQUIRED IMPORTED_TARGET libxdp)
pkg_check_modules(CHECK REQUIRED IMPORTED_TARGET check)
pkg_check_modules(LIBCONFIG REQUIRED IMPORTED_TARGET libconfig)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
