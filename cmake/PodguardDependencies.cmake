# Dependencies come from Debian packages only (scripts/install-deps.sh installs them).
# Static builds: spdlog and fmt are used header-only (Debian ships them as shared libraries only),
# OpenSSL and libpq from their .a archives; libpq's GSSAPI and LDAP references are satisfied by
# common/static_link/, which fails those code paths cleanly (see docs/design/static-build.md).

find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)          # Asio and Beast are header-only
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)

# PODGUARD_OPENSSL_ROOT: an OpenSSL installation to link instead of the system's. The `static` preset
# names the one scripts/openssl-trimmed.sh builds (only what libpq's TLS client uses: about 1.5 MB
# less code, and as much less idle RSS; bench/results/gaps.md).
set(PODGUARD_OPENSSL_ROOT "" CACHE PATH "OpenSSL installation to link (empty: the system's)")
if(PODGUARD_STATIC)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
endif()
if(PODGUARD_OPENSSL_ROOT)
  if(NOT PODGUARD_STATIC)
    message(FATAL_ERROR "PODGUARD_OPENSSL_ROOT is for static builds: a dynamic libpq brings the system's libssl.so")
  endif()
  cmake_path(SET PODGUARD_OPENSSL_ROOT NORMALIZE "${PODGUARD_OPENSSL_ROOT}")
  string(REGEX REPLACE "(.)/+$" "\\1" PODGUARD_OPENSSL_ROOT "${PODGUARD_OPENSSL_ROOT}")  # a trailing slash
  if(NOT EXISTS "${PODGUARD_OPENSSL_ROOT}/lib/libcrypto.a")
    message(FATAL_ERROR "PODGUARD_OPENSSL_ROOT=${PODGUARD_OPENSSL_ROOT} holds no OpenSSL build: "
      "run `bash scripts/openssl-trimmed.sh ${PODGUARD_OPENSSL_ROOT}` (scripts/install-deps.sh does), "
      "or configure with -DPODGUARD_OPENSSL_ROOT= for the system's")
  endif()
  set(OPENSSL_ROOT_DIR "${PODGUARD_OPENSSL_ROOT}")
endif()
# FindOpenSSL caches what it found: search again whenever the root changed (to the system's too).
if(NOT "${PODGUARD_OPENSSL_ROOT}" STREQUAL "${PODGUARD_OPENSSL_ROOT_FOUND}")
  unset(OPENSSL_CRYPTO_LIBRARY CACHE)
  unset(OPENSSL_SSL_LIBRARY CACHE)
  unset(OPENSSL_INCLUDE_DIR CACHE)
endif()
find_package(OpenSSL REQUIRED)
if(PODGUARD_OPENSSL_ROOT)
  foreach(found IN ITEMS "${OPENSSL_CRYPTO_LIBRARY}" "${OPENSSL_SSL_LIBRARY}" "${OPENSSL_INCLUDE_DIR}")
    cmake_path(IS_PREFIX PODGUARD_OPENSSL_ROOT "${found}" NORMALIZE inside)
    if(NOT inside)  # PODGUARD_OPENSSL_ROOT_FOUND stays as it was: the next configure searches again
      message(FATAL_ERROR "found ${found}, not the one in PODGUARD_OPENSSL_ROOT=${PODGUARD_OPENSSL_ROOT}")
    endif()
  endforeach()
endif()
set(PODGUARD_OPENSSL_ROOT_FOUND "${PODGUARD_OPENSSL_ROOT}" CACHE INTERNAL "the root the cached OpenSSL was found for")

add_library(podguard_third_party INTERFACE)
add_library(podguard::third_party ALIAS podguard_third_party)
target_compile_definitions(podguard_third_party INTERFACE
  SPDLOG_HEADER_ONLY FMT_HEADER_ONLY SPDLOG_FMT_EXTERNAL
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
target_include_directories(podguard_third_party SYSTEM INTERFACE ${Boost_INCLUDE_DIRS})
target_link_libraries(podguard_third_party INTERFACE CLI11::CLI11 Threads::Threads)

# libpq
execute_process(COMMAND pg_config --includedir OUTPUT_VARIABLE PG_INCLUDEDIR OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND pg_config --pkglibdir OUTPUT_VARIABLE PG_PKGLIBDIR OUTPUT_STRIP_TRAILING_WHITESPACE)
add_library(podguard_libpq INTERFACE)
add_library(podguard::libpq ALIAS podguard_libpq)
target_include_directories(podguard_libpq SYSTEM INTERFACE ${PG_INCLUDEDIR})
if(PODGUARD_STATIC)
  find_library(PQ_STATIC NAMES libpq.a REQUIRED)
  find_library(PGCOMMON_STATIC NAMES libpgcommon.a HINTS ${PG_PKGLIBDIR} /usr/lib/postgresql/15/lib REQUIRED)
  find_library(PGPORT_STATIC NAMES libpgport.a HINTS ${PG_PKGLIBDIR} /usr/lib/postgresql/15/lib REQUIRED)
  find_library(Z_STATIC NAMES libz.a REQUIRED)
  target_link_libraries(podguard_libpq INTERFACE
    ${PQ_STATIC} ${PGCOMMON_STATIC} ${PGPORT_STATIC} OpenSSL::SSL OpenSSL::Crypto ${Z_STATIC} ${CMAKE_DL_LIBS})
else()
  pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
  target_link_libraries(podguard_libpq INTERFACE PkgConfig::LIBPQ)
endif()

if(PODGUARD_BUILD_TESTS)
  find_package(doctest REQUIRED)
  include(doctest)
endif()

# Every executable we ship goes through this so that static linking is applied in one place.
function(podguard_executable target)
  if(PODGUARD_STATIC)
    target_link_options(${target} PRIVATE -static -Wl,--gc-sections)
    target_link_libraries(${target} PRIVATE podguard::static_link)
  endif()
endfunction()

# One doctest executable of unit tests, each test case registered with CTest as PREFIX/<name>.
#   podguard_unit_tests(TARGET PREFIX name SOURCES a_test.cpp ... LIBS podguard::x ...)
function(podguard_unit_tests target)
  cmake_parse_arguments(ARG "" "PREFIX" "SOURCES;LIBS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} podguard_test_main)
  podguard_warnings(${target})
  podguard_executable(${target})
  # A test that ran no test case failed: its name did not reach doctest whole (a ";" splits it in CMake).
  doctest_discover_tests(${target} TEST_PREFIX "${ARG_PREFIX}/" PROPERTIES LABELS unit FAIL_REGULAR_EXPRESSION "test cases: +0 [|]")
endfunction()
