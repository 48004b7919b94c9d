# cmake/EigenflowTargetOptions.cmake — compile options for eigenflow's own tests, examples and
# benchmarks. None of this reaches the eigenflow target, so consumers get no flags from us.
include_guard(GLOBAL)
include(CheckCXXCompilerFlag)

# Warnings are errors in our own code; Eigen and Boost come in as system headers (imported
# targets), so their warnings stay theirs.
function(eigenflow_target_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
    # GCC 12 at -O2/-O3 reports -Wrestrict and -Wstringop-overflow inside libstdc++'s own
    # `"literal" + std::string` (GCC bugs 105329, 105651), depending on what got inlined where
    # (unity builds move that): false positives in the standard library, not in our code.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
       AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE -Wno-restrict -Wno-stringop-overflow)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX /permissive-)
  endif()
endfunction()

check_cxx_compiler_flag(-march=native EIGENFLOW_COMPILER_HAS_MARCH_NATIVE)

# Examples and benchmarks measure speed: build them for the CPU they run on (Eigen falls back to
# SSE2 otherwise, several times slower).
function(eigenflow_target_optimize_for_host target)
  if(EIGENFLOW_NATIVE AND EIGENFLOW_COMPILER_HAS_MARCH_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
    # GCC 12's own AVX-512 intrinsic headers trip -W(maybe-)uninitialized once inlined into Eigen's
    # kernels (GCC bug 105593, the _mm512_undefined_* idiom). Tests, built without -march=native,
    # keep the warning.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-uninitialized)
    endif()
  endif()
endfunction()
