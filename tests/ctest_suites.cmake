# Registers seg_tests with CTest one GoogleTest suite a test (tests/CMakeLists.txt runs this
# after each link of seg_tests): `seg_tests --gtest_list_tests` read, one add_test per suite
# running `--gtest_filter=Suite.*`. A process per case cost about 0.1 s of CPU each in the
# Release build and 0.25 s under ASan (start-up, the sanitizer's shadow memory), for 730 cases
# (docs/fuzzing.md, "CI time"). SEG_CTEST_PER_TEST=ON keeps a test per case.
# Inputs: TEST_EXECUTABLE, CTEST_FILE, WORKING_DIR, EXCLUDE (GoogleTest names, `:`-separated,
# never run: the sanitizer builds' size checks).
execute_process(COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests OUTPUT_VARIABLE listing RESULT_VARIABLE status
                TIMEOUT 60)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${status}):\n${listing}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
foreach(line IN LISTS lines)
  # A suite's line is its name and a dot (and for parameterized suites a comment); its cases
  # follow, indented.
  if(line MATCHES "^([^ #][^ ]*)\\.")
    set(suite "${CMAKE_MATCH_1}")
    list(APPEND suites "${suite}")
    set(count_${suite} 0)
  elseif(line MATCHES "^  [^ ]" AND DEFINED suite)
    math(EXPR count_${suite} "${count_${suite}} + 1")
  endif()
endforeach()
set(negative "")
if(EXCLUDE)
  set(negative ":-${EXCLUDE}")
endif()
set(content "# Written by tests/ctest_suites.cmake from ${TEST_EXECUTABLE} --gtest_list_tests\n")
foreach(suite IN LISTS suites)
  # COST: on a fresh clone (no timings kept yet) the suites with the most cases start first.
  string(APPEND content "add_test([=[${suite}]=] [=[${TEST_EXECUTABLE}]=] [=[--gtest_filter=${suite}.*${negative}]=] --gtest_brief=1)\n"
         "set_tests_properties([=[${suite}]=] PROPERTIES WORKING_DIRECTORY [=[${WORKING_DIR}]=] TIMEOUT 1800 COST ${count_${suite}})\n")
endforeach()
file(WRITE "${CTEST_FILE}" "${content}")
