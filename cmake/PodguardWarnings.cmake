# One warnings function for every podguard target (third-party headers are included as SYSTEM).
function(podguard_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports -Wrestrict false positives inside libstdc++'s std::string operator+ at -O2/-O3
    # (GCC bug 105329); they are in the standard library's code, not ours.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(PODGUARD_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's -Wmaybe-uninitialized misfires inside Beast's basic_parser once ASan/UBSan instrument it.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(PODGUARD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
