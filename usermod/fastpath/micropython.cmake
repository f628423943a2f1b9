# _fastpath user C module, for the CMake-based ports (esp32, rp2):
#   make USER_C_MODULES=/path/to/usermod/fastpath/micropython.cmake ...
# As micropython.mk: every .c file here but modfastpath.c is one kernel's c rung, put in the
# module under the file's name. (Not built here; it leaves the port's optimisation flags alone.)
add_library(usermod_fastpath INTERFACE)

file(GLOB FASTPATH_SRC CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
list(SORT FASTPATH_SRC)
set(FASTPATH_LIST "")
foreach(src ${FASTPATH_SRC})
    get_filename_component(name ${src} NAME_WE)
    if(NOT name STREQUAL "modfastpath")
        string(APPEND FASTPATH_LIST "FASTPATH_KERNEL(${name}) ")
    endif()
endforeach()
# modfastpath.c's module table, as X-macro lines (rewritten only when the list changes).
set(FASTPATH_LIST_DIR ${CMAKE_CURRENT_BINARY_DIR}/fastpath)
file(CONFIGURE OUTPUT ${FASTPATH_LIST_DIR}/fastpath_kernels.h CONTENT "${FASTPATH_LIST}\n")

target_sources(usermod_fastpath INTERFACE ${FASTPATH_SRC})
target_include_directories(usermod_fastpath INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${FASTPATH_LIST_DIR}
)
target_compile_definitions(usermod_fastpath INTERFACE FASTPATH_BINDING=1)

target_link_libraries(usermod INTERFACE usermod_fastpath)
