# tests/cli/starts_as_gaussian.cmake — run with `cmake -P`: runs COMMAND (a class-conditional
# `eigenflow train --progress lines`, a ;-list) and passes only if the validation NLL it prints at
# step 0 is that of the class-conditional Gaussian it chose ("gaussian per class: NAME
# (validation nll: ... NAME V ...)"), up to 0.0002 nats (the step-0 figure has 4 decimals): the
# model starts as that Gaussian, its output linear layer at the correlation's whitening.
cmake_minimum_required(VERSION 3.21)
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "train failed (${rc}):\n${out}\n${err}")
endif()
if(NOT out MATCHES "gaussian per class: ([a-z]+) \\(validation nll: [^)]*")
  message(FATAL_ERROR "no 'gaussian per class' line in:\n${out}")
endif()
set(chosen "${CMAKE_MATCH_1}")
if(NOT CMAKE_MATCH_0 MATCHES "${chosen} ([0-9]+)\\.([0-9]+)")
  message(FATAL_ERROR "no score of the chosen Gaussian '${chosen}' in:\n${out}")
endif()
string(SUBSTRING "${CMAKE_MATCH_2}0000" 0 4 decimals)  # 4 decimals, truncated
set(gaussian_fixed "${CMAKE_MATCH_1}${decimals}")
if(NOT out MATCHES "iter 0: validation nll ([0-9]+)\\.([0-9][0-9][0-9][0-9])")
  message(FATAL_ERROR "no step-0 validation NLL in:\n${out}")
endif()
set(start_fixed "${CMAKE_MATCH_1}${CMAKE_MATCH_2}")
math(EXPR difference "${start_fixed} - ${gaussian_fixed}")
if(difference GREATER 2 OR difference LESS -2)
  message(FATAL_ERROR "the model starts at validation NLL ${start_fixed} (x 1e-4), the Gaussian it chose scores ${gaussian_fixed}:\n${out}")
endif()
message(STATUS "starts at ${start_fixed}, the Gaussian ${gaussian_fixed} (x 1e-4 nats)")
