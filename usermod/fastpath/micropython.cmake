# _fastpath user C module, for the CMake-based ports (esp32, rp2):
#   make USER_C_MODULES=/path/to/usermod/fastpath/micropython.cmake ...
# (Untested here; unlike micropython.mk it leaves the port's optimisation flags alone.)
add_library(usermod_fastpath INTERFACE)

# The Python-facing wrappers, and the raw loops that never see an mp_obj_t.
target_sources(usermod_fastpath INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/modfastpath.c
    ${CMAKE_CURRENT_LIST_DIR}/crc32.c
    ${CMAKE_CURRENT_LIST_DIR}/fir_q15.c
    ${CMAKE_CURRENT_LIST_DIR}/popcount.c
    ${CMAKE_CURRENT_LIST_DIR}/rgb565.c
)

target_include_directories(usermod_fastpath INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
)

target_link_libraries(usermod INTERFACE usermod_fastpath)
