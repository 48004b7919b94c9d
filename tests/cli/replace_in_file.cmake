# tests/cli/replace_in_file.cmake — run with `cmake -P`: replaces the text FROM with TO in FILE
# (a test's way to change a data file in place, keeping its path and row count).
cmake_minimum_required(VERSION 3.21)
file(READ "${FILE}" contents)
string(FIND "${contents}" "${FROM}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${FILE} does not contain '${FROM}'")
endif()
string(REPLACE "${FROM}" "${TO}" contents "${contents}")
file(WRITE "${FILE}" "${contents}")
