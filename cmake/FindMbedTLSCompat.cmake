# Find mbedTLS and define the imported target lanmsg::mbedtls.
#
# 1. find_package(MbedTLS CONFIG): mbedTLS 3.x ships a CMake package.
# 2. pkg-config (mbedtls, mbedx509, mbedcrypto), where a distribution ships it.
# 3. find_path/find_library: Debian's 2.28 ships neither of the above.
add_library(lanmsg_mbedtls INTERFACE)
add_library(lanmsg::mbedtls ALIAS lanmsg_mbedtls)

# LANMSG_MBEDTLS_VERSION (e.g. 3.6) demands that version from the CMake
# package, found through CMAKE_PREFIX_PATH (CI unpacks Debian trixie's 3.6
# under the build folder): a system 2.28 must not be picked up instead.
set(LANMSG_MBEDTLS_VERSION "" CACHE STRING "Require this mbedTLS version (CMake package), e.g. 3.6")
if(LANMSG_MBEDTLS_VERSION)
  find_package(MbedTLS ${LANMSG_MBEDTLS_VERSION} CONFIG REQUIRED)
else()
  find_package(MbedTLS CONFIG QUIET)
endif()
if(MbedTLS_FOUND)
  target_link_libraries(lanmsg_mbedtls INTERFACE MbedTLS::mbedtls MbedTLS::mbedx509
                                                 MbedTLS::mbedcrypto)
  set(LANMSG_MBEDTLS_HOW "CMake package ${MbedTLS_DIR} (${MbedTLS_VERSION})")
  # The package's include directory must win over a system /usr/include that
  # may hold another version's headers; the compat header checks that the
  # headers compiled against are the version found here.
  get_target_property(_lanmsg_mbedtls_inc MbedTLS::mbedtls INTERFACE_INCLUDE_DIRECTORIES)
  if(_lanmsg_mbedtls_inc)
    target_include_directories(lanmsg_mbedtls BEFORE INTERFACE ${_lanmsg_mbedtls_inc})
  endif()
  if(MbedTLS_VERSION MATCHES "^([0-9]+)\\.([0-9]+)")
    math(EXPR _lanmsg_mbedtls_want "(${CMAKE_MATCH_1} << 24) | (${CMAKE_MATCH_2} << 16)"
         OUTPUT_FORMAT HEXADECIMAL)
    target_compile_definitions(lanmsg_mbedtls INTERFACE LANMSG_MBEDTLS_EXPECT=${_lanmsg_mbedtls_want})
  endif()
else()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(LANMSG_PC_MBEDTLS QUIET IMPORTED_TARGET mbedtls mbedx509 mbedcrypto)
  endif()
  if(LANMSG_PC_MBEDTLS_FOUND)
    target_link_libraries(lanmsg_mbedtls INTERFACE PkgConfig::LANMSG_PC_MBEDTLS)
    set(LANMSG_MBEDTLS_HOW "pkg-config")
  else()
    find_path(LANMSG_MBEDTLS_INCLUDE mbedtls/ssl.h)
    find_library(LANMSG_MBEDTLS_LIB mbedtls)
    find_library(LANMSG_MBEDX509_LIB mbedx509)
    find_library(LANMSG_MBEDCRYPTO_LIB mbedcrypto)
    if(NOT LANMSG_MBEDTLS_INCLUDE OR NOT LANMSG_MBEDTLS_LIB OR NOT LANMSG_MBEDX509_LIB
       OR NOT LANMSG_MBEDCRYPTO_LIB)
      message(FATAL_ERROR
        "mbedTLS not found: install it (Debian/Ubuntu: apt-get install libmbedtls-dev), "
        "point CMAKE_PREFIX_PATH at it, or configure with -DLANMSG_WITH_TLS=OFF for a plain-only build")
    endif()
    target_include_directories(lanmsg_mbedtls INTERFACE ${LANMSG_MBEDTLS_INCLUDE})
    target_link_libraries(lanmsg_mbedtls INTERFACE ${LANMSG_MBEDTLS_LIB} ${LANMSG_MBEDX509_LIB}
                                                   ${LANMSG_MBEDCRYPTO_LIB})
    set(LANMSG_MBEDTLS_HOW "find_library (${LANMSG_MBEDTLS_LIB})")
  endif()
endif()
message(STATUS "lanmsg: mbedTLS via ${LANMSG_MBEDTLS_HOW}")
