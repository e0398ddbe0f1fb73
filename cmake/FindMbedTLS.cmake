# FindMbedTLS
# -----------
# Finds mbedTLS and gives three targets that look the same whichever way it
# was found, so the code that links them never knows:
#
#   MbedTLS::mbedtls   MbedTLS::mbedx509   MbedTLS::mbedcrypto
#
# The first way that applies:
#   1. LANMSG_MBEDTLS_SOURCE_DIR names an unpacked mbedTLS 3.6 source tree
#      (upstream tarball, git checkout with its framework submodule, or a
#      Debian/Ubuntu source package; tools/mbedtls-source.sh fetches one).
#      It is built here, as static libraries, by its own CMake
#      (add_subdirectory), with lanmsg's additions to its configuration
#      (mbedtls_lanmsg_config.h beside this file).
#   2. The CMake package mbedTLS 3.x installs (MbedTLSConfig.cmake: Debian
#      13, Ubuntu 25.04 and later, MSYS2, vcpkg).
#   3. pkg-config (mbedtls, mbedx509, mbedcrypto).
#   4. Headers and libraries in the usual places (Debian 12's 2.28 ships
#      neither a CMake package nor pkg-config files).
#
# Result variables:
#   MbedTLS_FOUND        the three targets exist
#   MbedTLS_VERSION      e.g. 3.6.6, read from the headers found (build_info.h
#                        or version.h), not from the package's own claim
#   MbedTLS_INCLUDE_DIR  where mbedtls/version.h is
#   MbedTLS_THREADING    1 when the library was built with MBEDTLS_THREADING_C
#                        (tried by compiling against its configuration), else 0
#   MbedTLS_FROM_SOURCE  TRUE for way 1
#   MbedTLS_HOW          how it was found, for the configure summary
#
# find_package(MbedTLS 3.6) rejects an older version the usual way; lanmsg's
# own rule (3.6, or 2.28 with LANMSG_MBEDTLS_LEGACY) is in mbedtls_policy.cmake.

include(FindPackageHandleStandardArgs)
set(_MbedTLS_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

# ---- helpers ----

# MbedTLS_VERSION from the headers in ${dir}: 3.x keeps the version in
# build_info.h, 2.x in version.h.
function(_mbedtls_read_version dir)
  foreach(h build_info.h version.h)
    if(EXISTS "${dir}/mbedtls/${h}")
      file(STRINGS "${dir}/mbedtls/${h}" _line
           REGEX "^#define[ \t]+MBEDTLS_VERSION_STRING[ \t]+\"[0-9.]+\"")
      if(_line MATCHES "\"([0-9.]+)\"")
        set(MbedTLS_VERSION ${CMAKE_MATCH_1} PARENT_SCOPE)
        return()
      endif()
    endif()
  endforeach()
endfunction()

# ${out} = 1 when ${macro} is defined once the library's configuration is
# read with the given include directories and definitions, else 0. The
# definitions matter: a user config file (MBEDTLS_USER_CONFIG_FILE) can turn
# a feature on that the main config header leaves off, so scanning one
# header would not do.
function(_mbedtls_probe out macro includes defines)
  set(_src "")
  foreach(d IN LISTS defines)
    if(d MATCHES "^\\$<") # generator expressions cannot be evaluated here
      continue()
    endif()
    if(d MATCHES "^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
      string(APPEND _src "#define ${CMAKE_MATCH_1} ${CMAKE_MATCH_2}\n")
    else()
      string(APPEND _src "#define ${d}\n")
    endif()
  endforeach()
  # 3.x: build_info.h reads the configuration; 2.x: config.h is it.
  string(APPEND _src "#include <mbedtls/version.h>\n"
         "#if MBEDTLS_VERSION_MAJOR >= 3\n#include <mbedtls/build_info.h>\n"
         "#else\n#include <mbedtls/config.h>\n#endif\n"
         "#if !defined(${macro})\n#error ${macro} is off\n#endif\n"
         "int lanmsg_mbedtls_probe;\n")
  set(_dir ${CMAKE_BINARY_DIR}${CMAKE_FILES_DIRECTORY}/FindMbedTLS)
  file(WRITE ${_dir}/probe_${macro}.c "${_src}")
  list(FILTER includes EXCLUDE REGEX "^\\$<")
  # A static library: nothing is linked, so this works for cross-compilers.
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
  try_compile(_ok ${_dir}/probe_${macro} ${_dir}/probe_${macro}.c
              CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${includes}")
  if(_ok)
    set(${out} 1 PARENT_SCOPE)
  else()
    set(${out} 0 PARENT_SCOPE)
  endif()
endfunction()

# Way 1: build the tree in ${dir} with lanmsg. A function, so that the
# variables that steer mbedTLS's CMake stay out of the caller's scope.
function(_mbedtls_add_source dir)
  # Unset policies in mbedTLS's CMake (it asks for 3.5.1) take these
  # defaults: its option() and set(CACHE) honour the variables set below.
  set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)
  set(CMAKE_POLICY_DEFAULT_CMP0126 NEW)
  set(ENABLE_PROGRAMS OFF)
  set(ENABLE_TESTING OFF)
  set(MBEDTLS_FATAL_WARNINGS OFF) # a newer compiler's new warning must not stop us
  set(USE_STATIC_MBEDTLS_LIBRARY ON) # the programs run without LD_LIBRARY_PATH
  set(USE_SHARED_MBEDTLS_LIBRARY OFF)
  set(DISABLE_PACKAGE_CONFIG_AND_INSTALL ON)
  set(MBEDTLS_USER_CONFIG_FILE ${_MbedTLS_CMAKE_DIR}/mbedtls_lanmsg_config.h)
  if(NOT MSVC)
    set(LINK_WITH_PTHREAD ON) # MBEDTLS_THREADING_PTHREAD: the library needs it
  endif()
  # Our warning flags (-Wall -Wextra -Werror, from add_compile_options) are
  # for our code; mbedTLS sets its own. Everything else is kept, so a
  # sanitizer build instruments mbedTLS too.
  get_directory_property(_saved COMPILE_OPTIONS)
  set(_kept ${_saved})
  list(FILTER _kept EXCLUDE REGEX "^-W")
  set_directory_properties(PROPERTIES COMPILE_OPTIONS "${_kept}")
  add_subdirectory(${dir} ${CMAKE_BINARY_DIR}/_deps/mbedtls-build EXCLUDE_FROM_ALL)
  set_directory_properties(PROPERTIES COMPILE_OPTIONS "${_saved}")
endfunction()

# ---- 1. a source tree ----
set(MbedTLS_FROM_SOURCE FALSE)
set(_MbedTLS_DEFINES "")
if(LANMSG_MBEDTLS_SOURCE_DIR)
  get_filename_component(_dir "${LANMSG_MBEDTLS_SOURCE_DIR}" ABSOLUTE)
  if(NOT EXISTS "${_dir}/CMakeLists.txt" OR NOT EXISTS "${_dir}/include/mbedtls/build_info.h")
    message(FATAL_ERROR
      "LANMSG_MBEDTLS_SOURCE_DIR=${LANMSG_MBEDTLS_SOURCE_DIR} is not an mbedTLS 3.6 source tree "
      "(no CMakeLists.txt and include/mbedtls/build_info.h there): point it at the unpacked "
      "source, or run tools/mbedtls-source.sh to fetch one")
  endif()
  _mbedtls_read_version("${_dir}/include")
  if(NOT MbedTLS_VERSION OR MbedTLS_VERSION VERSION_LESS 3.6)
    message(FATAL_ERROR
      "LANMSG_MBEDTLS_SOURCE_DIR=${LANMSG_MBEDTLS_SOURCE_DIR} holds mbedTLS "
      "${MbedTLS_VERSION}, not 3.6 or later: point it at a 3.6 LTS source tree")
  endif()
  if(NOT TARGET MbedTLS::mbedtls)
    _mbedtls_add_source("${_dir}")
  endif()
  set(MbedTLS_INCLUDE_DIR "${_dir}/include")
  set(_MbedTLS_DEFINES "MBEDTLS_USER_CONFIG_FILE=\"${_MbedTLS_CMAKE_DIR}/mbedtls_lanmsg_config.h\"")
  set(MbedTLS_FROM_SOURCE TRUE)
  set(MbedTLS_HOW "built from source in ${_dir}, linked statically")
else()
  # ---- 2. mbedTLS's own CMake package ----
  find_package(MbedTLS CONFIG QUIET)
  if(MbedTLS_FOUND AND TARGET MbedTLS::mbedtls)
    set(MbedTLS_HOW "CMake package ${MbedTLS_DIR}")
    foreach(_t mbedcrypto mbedx509 mbedtls)
      get_target_property(_inc MbedTLS::${_t} INTERFACE_INCLUDE_DIRECTORIES)
      get_target_property(_def MbedTLS::${_t} INTERFACE_COMPILE_DEFINITIONS)
      foreach(_i IN LISTS _inc)
        if(NOT MbedTLS_INCLUDE_DIR AND EXISTS "${_i}/mbedtls/version.h")
          set(MbedTLS_INCLUDE_DIR "${_i}")
        endif()
      endforeach()
      if(_def)
        list(APPEND _MbedTLS_DEFINES ${_def})
      endif()
    endforeach()
  else()
    # ---- 3. pkg-config ----
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(_MbedTLS_PC_crypto QUIET IMPORTED_TARGET GLOBAL mbedcrypto)
      pkg_check_modules(_MbedTLS_PC_x509 QUIET IMPORTED_TARGET GLOBAL mbedx509)
      pkg_check_modules(_MbedTLS_PC_tls QUIET IMPORTED_TARGET GLOBAL mbedtls)
    endif()
    if(_MbedTLS_PC_crypto_FOUND AND _MbedTLS_PC_x509_FOUND AND _MbedTLS_PC_tls_FOUND)
      add_library(MbedTLS::mbedcrypto INTERFACE IMPORTED GLOBAL)
      add_library(MbedTLS::mbedx509 INTERFACE IMPORTED GLOBAL)
      add_library(MbedTLS::mbedtls INTERFACE IMPORTED GLOBAL)
      set_target_properties(MbedTLS::mbedcrypto PROPERTIES
        INTERFACE_LINK_LIBRARIES PkgConfig::_MbedTLS_PC_crypto)
      set_target_properties(MbedTLS::mbedx509 PROPERTIES
        INTERFACE_LINK_LIBRARIES "PkgConfig::_MbedTLS_PC_x509;MbedTLS::mbedcrypto")
      set_target_properties(MbedTLS::mbedtls PROPERTIES
        INTERFACE_LINK_LIBRARIES "PkgConfig::_MbedTLS_PC_tls;MbedTLS::mbedx509")
      find_path(MbedTLS_INCLUDE_DIR mbedtls/version.h HINTS ${_MbedTLS_PC_tls_INCLUDE_DIRS})
      set(MbedTLS_HOW "pkg-config (${_MbedTLS_PC_tls_LINK_LIBRARIES})")
    else()
      # ---- 4. headers and libraries ----
      find_path(MbedTLS_INCLUDE_DIR mbedtls/ssl.h)
      find_library(MbedTLS_LIBRARY mbedtls)
      find_library(MbedTLS_X509_LIBRARY mbedx509)
      find_library(MbedTLS_CRYPTO_LIBRARY mbedcrypto)
      if(MbedTLS_INCLUDE_DIR AND MbedTLS_LIBRARY AND MbedTLS_X509_LIBRARY
         AND MbedTLS_CRYPTO_LIBRARY AND NOT TARGET MbedTLS::mbedtls)
        add_library(MbedTLS::mbedcrypto UNKNOWN IMPORTED GLOBAL)
        add_library(MbedTLS::mbedx509 UNKNOWN IMPORTED GLOBAL)
        add_library(MbedTLS::mbedtls UNKNOWN IMPORTED GLOBAL)
        set_target_properties(MbedTLS::mbedcrypto PROPERTIES
          IMPORTED_LOCATION "${MbedTLS_CRYPTO_LIBRARY}"
          INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}")
        set_target_properties(MbedTLS::mbedx509 PROPERTIES
          IMPORTED_LOCATION "${MbedTLS_X509_LIBRARY}"
          INTERFACE_LINK_LIBRARIES MbedTLS::mbedcrypto)
        set_target_properties(MbedTLS::mbedtls PROPERTIES
          IMPORTED_LOCATION "${MbedTLS_LIBRARY}"
          INTERFACE_LINK_LIBRARIES MbedTLS::mbedx509)
      endif()
      if(TARGET MbedTLS::mbedtls)
        set(MbedTLS_HOW "library search (${MbedTLS_LIBRARY})")
      endif()
    endif()
  endif()
endif()

if(MbedTLS_INCLUDE_DIR)
  _mbedtls_read_version("${MbedTLS_INCLUDE_DIR}")
endif()
set(MbedTLS_THREADING 0)
if(MbedTLS_INCLUDE_DIR AND TARGET MbedTLS::mbedtls)
  _mbedtls_probe(MbedTLS_THREADING MBEDTLS_THREADING_C "${MbedTLS_INCLUDE_DIR}"
                 "${_MbedTLS_DEFINES}")
endif()

find_package_handle_standard_args(MbedTLS
  REQUIRED_VARS MbedTLS_INCLUDE_DIR MbedTLS_HOW
  VERSION_VAR MbedTLS_VERSION)
if(NOT TARGET MbedTLS::mbedtls OR NOT TARGET MbedTLS::mbedx509 OR NOT TARGET MbedTLS::mbedcrypto)
  set(MbedTLS_FOUND FALSE)
endif()
mark_as_advanced(MbedTLS_INCLUDE_DIR MbedTLS_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_CRYPTO_LIBRARY)
