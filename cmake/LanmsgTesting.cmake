# The one test helper: a Python test script run against the real programs.
#
#   lanmsg_py_test(NAME SCRIPT [ARGS a...] [ENV VAR=value...] [LABELS l...]
#                  [TIMEOUT seconds] [SKIP_RETURN_CODE n] [PYTHON interpreter])
#
# PYTHON names another interpreter, e.g. the system's /usr/bin/python3 for a
# test that imports a module Debian packages (python3-zeroconf).
#
# The script runs from its own folder with LANMSG_BIN pointing at the built
# programs and tests/integration (harness.py) on PYTHONPATH. A script that
# finds what it needs missing exits 77 (SKIP_RETURN_CODE's default), which
# CTest reports as skipped, not passed.
find_package(Python3 REQUIRED COMPONENTS Interpreter)

function(lanmsg_py_test name script)
  cmake_parse_arguments(T "" "TIMEOUT;SKIP_RETURN_CODE;PYTHON" "ARGS;ENV;LABELS" ${ARGN})
  if(NOT T_PYTHON)
    set(T_PYTHON ${Python3_EXECUTABLE})
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_SKIP_RETURN_CODE)
    set(T_SKIP_RETURN_CODE 77)
  endif()
  add_test(NAME ${name}
           COMMAND ${T_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/${script} ${T_ARGS}
           WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set(env "LANMSG_BIN=$<TARGET_FILE_DIR:lanmsg-server>"
          "PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/integration" ${T_ENV})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${env}" TIMEOUT ${T_TIMEOUT}
                                          SKIP_RETURN_CODE ${T_SKIP_RETURN_CODE})
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
