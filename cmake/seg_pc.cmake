# Writes seg.pc from cmake/seg.pc.in: included by CMakeLists.txt, and run with `cmake -P` by
# tests/embed_test.sh for a libdir this build does not use (Debian's multiarch one).
# Inputs: SEG_PC_IN, SEG_PC_OUT, CMAKE_INSTALL_PREFIX, CMAKE_INSTALL_LIBDIR,
# CMAKE_INSTALL_INCLUDEDIR, PROJECT_VERSION.
#
# The prefix is relative to the .pc file (pkg-config's ${pcfiledir}), so an installed tree can
# move: two levels up from lib/pkgconfig, three from lib/x86_64-linux-gnu/pkgconfig (the fixed
# `../..` pointed inside lib there; found by a review). An absolute libdir or includedir is
# written as it is.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SEG_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(SEG_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
  set(SEG_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
  if(NOT IS_ABSOLUTE "${SEG_PC_LIBDIR}")
    set(SEG_PC_LIBDIR "${CMAKE_INSTALL_PREFIX}/${SEG_PC_LIBDIR}")
  endif()
  if(NOT IS_ABSOLUTE "${SEG_PC_INCLUDEDIR}")
    set(SEG_PC_INCLUDEDIR "${CMAKE_INSTALL_PREFIX}/${SEG_PC_INCLUDEDIR}")
  endif()
else()
  file(RELATIVE_PATH SEG_PC_UP /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
  string(REGEX REPLACE "/$" "" SEG_PC_UP "${SEG_PC_UP}")
  set(SEG_PC_PREFIX "\${pcfiledir}/${SEG_PC_UP}")
  set(SEG_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(SEG_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${SEG_PC_IN} ${SEG_PC_OUT} @ONLY)
