# tests/cli/no_worse_than_gaussian.cmake — run with `cmake -P`: runs COMMAND (an `eigenflow train`,
# a ;-list) and passes only if the held-out test_nll it prints is no worse than the gaussian_nll
# of the Gaussian it started as, up to TOLERANCE nats; with -DTWO_SIDED=1, only if it is within
# TOLERANCE of it either way (a run that kept the Gaussian: the model is then that Gaussian).
#
# Why a tolerance: every model kind starts as that Gaussian exactly and keep-best chooses on the
# validation rows, so on them the result is never worse; the test rows are other rows, and a model
# chosen on validation can lose a little on them by sampling noise alone.
cmake_minimum_required(VERSION 3.21)
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "train failed (${rc}):\n${out}\n${err}")
endif()
if(NOT out MATCHES "gaussian_nll: ([-0-9.]+)\ntest_nll: ([-0-9.]+)")
  message(FATAL_ERROR "no gaussian_nll/test_nll lines in:\n${out}")
endif()
set(gaussian "${CMAKE_MATCH_1}")
set(test "${CMAKE_MATCH_2}")
# Fixed point with 4 decimals: both numbers are printed with 4.
foreach(v gaussian test)
  string(REGEX REPLACE "^(-?)([0-9]+)\\.([0-9][0-9][0-9][0-9])$" "\\1\\2\\3" ${v}_fixed "${${v}}")
endforeach()
string(REGEX REPLACE "^([0-9]+)\\.([0-9][0-9][0-9][0-9])$" "\\1\\2" tolerance_fixed "${TOLERANCE}")
math(EXPR margin "${gaussian_fixed} + ${tolerance_fixed} - ${test_fixed}")
if(margin LESS 0)
  message(FATAL_ERROR "test_nll ${test} is worse than the Gaussian's ${gaussian} by more than ${TOLERANCE}:\n${out}")
endif()
if(TWO_SIDED)
  math(EXPR margin "${test_fixed} + ${tolerance_fixed} - ${gaussian_fixed}")
  if(margin LESS 0)
    message(FATAL_ERROR "test_nll ${test} is better than the Gaussian's ${gaussian} by more than ${TOLERANCE}:\n${out}")
  endif()
endif()
message(STATUS "test_nll ${test} <= gaussian_nll ${gaussian} + ${TOLERANCE}")
