# tests/package/consumer_test.cmake — run with `cmake -P`: installs eigenflow into a fresh prefix
# (MODE=find_package) or points at the source tree (MODE=add_subdirectory), then configures,
# builds and runs the consumer project, which must print the expected version (and, with
# EXPECT_MPI, its program of the MPI component).
cmake_minimum_required(VERSION 3.21)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${what} failed (${result}):\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")

if(MODE STREQUAL "find_package")
  run_step("installing eigenflow" "${CMAKE_COMMAND}" --install "${EIGENFLOW_BINARY_DIR}" --prefix "${prefix}")
  if(NOT EXISTS "${prefix}/include/eigenflow/eigenflow.hpp")
    message(FATAL_ERROR "the install did not put the headers under ${prefix}/include")
  endif()
  set(consumer_args "-DCMAKE_PREFIX_PATH=${prefix}")
  if(EXPECT_CLI)  # the command line is installed beside the headers
    run_step("running the installed eigenflow --version" "${prefix}/bin/eigenflow" --version)
    if(NOT step_output STREQUAL "eigenflow ${EXPECTED_VERSION}\n")
      message(FATAL_ERROR "the installed eigenflow printed '${step_output}'")
    endif()
  endif()
elseif(MODE STREQUAL "add_subdirectory")
  set(consumer_args "-DEIGENFLOW_SOURCE_DIR=${EIGENFLOW_SOURCE_DIR}")
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()

run_step("configuring the consumer"
  "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
  # No optimization: this checks that a project finds, compiles, links and runs against the
  # package, not the optimizer, and an unoptimized build of the consumer takes half the time.
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" -DCMAKE_BUILD_TYPE=None
  "-DCONSUME_WITH=${MODE}" "-DWITH_MPI=${EXPECT_MPI}" ${consumer_args})
run_step("building the consumer" "${CMAKE_COMMAND}" --build "${build}")
run_step("running the consumer" "${build}/consumer")
string(STRIP "${step_output}" printed)
if(NOT printed STREQUAL "eigenflow ${EXPECTED_VERSION}")
  message(FATAL_ERROR "the consumer printed '${printed}', expected 'eigenflow ${EXPECTED_VERSION}'")
endif()
if(EXPECT_MPI)  # the MPI component, as one process (a singleton MPI job, no mpirun)
  run_step("running the MPI consumer" "${build}/consumer_mpi")
  if(NOT step_output STREQUAL "mpi ranks 1\n")
    message(FATAL_ERROR "the MPI consumer printed '${step_output}'")
  endif()
endif()
message(STATUS "consumer (${MODE}) printed: ${printed}")
