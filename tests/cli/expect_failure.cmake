# tests/cli/expect_failure.cmake — run with `cmake -P`: runs COMMAND (a ;-list) and passes only if
# it fails the way the command line promises: a non-zero exit code (not a crash), nothing on
# stdout after the failure but one line on stderr, matching EXPECT.
cmake_minimum_required(VERSION 3.21)
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a failure, the command succeeded:\n${out}")
endif()
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "the command crashed (${rc}) instead of failing cleanly:\n${err}")
endif()
string(REGEX REPLACE "\n$" "" line "${err}")
if(line MATCHES "\n" OR line STREQUAL "")
  message(FATAL_ERROR "expected one line on stderr, got:\n${err}")
endif()
if(NOT line MATCHES "${EXPECT}")
  message(FATAL_ERROR "stderr '${line}' does not match '${EXPECT}'")
endif()
message(STATUS "exit ${rc}: ${line}")
