# Which mbedTLS lanmsg builds against (README: "Which mbedTLS, and why").
#
# 3.6 LTS or later: the system's (Debian 13, Ubuntu 25.04+), or a source tree
# built with lanmsg (LANMSG_MBEDTLS_SOURCE_DIR; tools/setup.sh fetches the
# distribution's source package where the system's is older). 2.28 only when
# asked for (LANMSG_MBEDTLS_LEGACY): it is end-of-life upstream.
#
# Gives:
#   MbedTLS::mbedtls, MbedTLS::mbedx509, MbedTLS::mbedcrypto (FindMbedTLS.cmake)
#   LANMSG_MBEDTLS_DEFINITIONS  for the lanmsg library: LANMSG_MBEDTLS_LEGACY=1 on 2.28
# Whether --threads > 1 may share a TLS configuration is the library's own
# MBEDTLS_THREADING_C, which the code reads (lm_tls_thread_safe); configure
# only reports it.
option(LANMSG_MBEDTLS_LEGACY "Accept mbedTLS 2.28 (end-of-life upstream, unmaintained)" OFF)
set(LANMSG_MBEDTLS_SOURCE_DIR "" CACHE PATH
    "Unpacked mbedTLS 3.6 source tree to build with lanmsg (tools/setup.sh fills it in)")

find_package(MbedTLS)

# The one line that says what to do, with the exact path when tools/setup.sh
# has already fetched a source tree.
set(_lanmsg_fetched "${PROJECT_SOURCE_DIR}/build/_deps/mbedtls/current")
set(_lanmsg_src_hint "-DLANMSG_MBEDTLS_SOURCE_DIR=DIR (an unpacked mbedTLS 3.6 source)")
if(EXISTS "${_lanmsg_fetched}")
  file(STRINGS "${_lanmsg_fetched}" _lanmsg_line LIMIT_COUNT 1)
  if(_lanmsg_line MATCHES "^([^ ]+)")
    set(_lanmsg_src_hint
        "-DLANMSG_MBEDTLS_SOURCE_DIR=${PROJECT_SOURCE_DIR}/build/_deps/mbedtls/${CMAKE_MATCH_1}")
  endif()
endif()

if(NOT MbedTLS_FOUND)
  message(FATAL_ERROR
    "mbedTLS not found: run tools/setup.sh (it installs or builds mbedTLS 3.6), configure with "
    "${_lanmsg_src_hint}, or with -DLANMSG_WITH_TLS=OFF for a plain-only build")
endif()

set(LANMSG_MBEDTLS_IS_LEGACY 0)
if(MbedTLS_VERSION VERSION_LESS 3.6)
  if(NOT LANMSG_MBEDTLS_LEGACY)
    message(FATAL_ERROR
      "mbedTLS ${MbedTLS_VERSION} found (${MbedTLS_HOW}) is older than 3.6 LTS: run "
      "tools/setup.sh (it builds 3.6 from your distribution's source package), configure with "
      "${_lanmsg_src_hint}, or accept the end-of-life 2.28 with -DLANMSG_MBEDTLS_LEGACY=ON")
  endif()
  message(WARNING
    "lanmsg: building against mbedTLS ${MbedTLS_VERSION} (-DLANMSG_MBEDTLS_LEGACY=ON). 2.28 is "
    "end-of-life upstream and unmaintained: no security fixes, no TLS 1.3. Use 3.6 LTS "
    "(tools/setup.sh, or ${_lanmsg_src_hint}).")
  set(LANMSG_MBEDTLS_IS_LEGACY 1)
endif()

# src/transport/mbedtls_compat.h refuses to compile when the headers it sees
# are not the version found here (e.g. a system 2.28 in /usr/include
# shadowing another 3.6). On MbedTLS::mbedcrypto, so that every target that
# links any of the three gets it.
if(MbedTLS_VERSION MATCHES "^([0-9]+)\\.([0-9]+)")
  math(EXPR _lanmsg_expect "(${CMAKE_MATCH_1} << 24) | (${CMAKE_MATCH_2} << 16)"
       OUTPUT_FORMAT HEXADECIMAL)
  get_target_property(_lanmsg_crypto MbedTLS::mbedcrypto ALIASED_TARGET)
  if(NOT _lanmsg_crypto)
    set(_lanmsg_crypto MbedTLS::mbedcrypto)
  endif()
  set_property(TARGET ${_lanmsg_crypto} APPEND PROPERTY
               INTERFACE_COMPILE_DEFINITIONS LANMSG_MBEDTLS_EXPECT=${_lanmsg_expect})
endif()

set(LANMSG_MBEDTLS_DEFINITIONS "")
if(LANMSG_MBEDTLS_IS_LEGACY)
  set(LANMSG_MBEDTLS_DEFINITIONS LANMSG_MBEDTLS_LEGACY=1)
endif()

if(MbedTLS_THREADING)
  set(_lanmsg_threads "yes")
else()
  set(_lanmsg_threads "no (mbedTLS built without MBEDTLS_THREADING_C)")
endif()
message(STATUS "lanmsg: mbedTLS ${MbedTLS_VERSION}, ${MbedTLS_HOW}")
message(STATUS "lanmsg: TLS with --threads > 1: ${_lanmsg_threads}")
