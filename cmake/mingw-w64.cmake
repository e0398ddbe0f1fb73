# CMake toolchain file: cross-build lanmsg (and mbedTLS) for 64-bit Windows
# with Debian's mingw-w64, and run the .exe tests under wine.
#
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
#
# The "posix" compiler flavour is used because it ships winpthreads (the
# server's event loops are pthreads). Programs are linked statically so the
# .exe files run anywhere (and under wine) without the mingw DLLs beside them.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(LANMSG_MINGW_PREFIX x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${LANMSG_MINGW_PREFIX}-gcc-posix ${LANMSG_MINGW_PREFIX}-gcc
             REQUIRED)
find_program(CMAKE_CXX_COMPILER NAMES ${LANMSG_MINGW_PREFIX}-g++-posix ${LANMSG_MINGW_PREFIX}-g++)
find_program(CMAKE_RC_COMPILER NAMES ${LANMSG_MINGW_PREFIX}-windres)
find_program(CMAKE_AR NAMES ${LANMSG_MINGW_PREFIX}-gcc-ar-posix ${LANMSG_MINGW_PREFIX}-ar)
find_program(CMAKE_RANLIB NAMES ${LANMSG_MINGW_PREFIX}-gcc-ranlib-posix ${LANMSG_MINGW_PREFIX}-ranlib)

# Look for libraries and headers only in the mingw sysroot and in the
# prefixes the caller names in CMAKE_PREFIX_PATH (e.g. a cross-built mbedTLS),
# never in the build machine's /usr, whose headers are for Linux.
set(CMAKE_FIND_ROOT_PATH /usr/${LANMSG_MINGW_PREFIX} ${CMAKE_PREFIX_PATH})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# CTest runs target executables through wine. WINEDEBUG=-all keeps wine's
# own diagnostics out of the tests' output.
find_program(LANMSG_WINE NAMES wine wine64)
if(LANMSG_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LANMSG_WINE})
endif()
