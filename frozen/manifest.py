# One manifest for every target. Each target's make fragment (boards/PYBV11, ports/unix,
# ports/qemu) names its own manifest in FASTPATH_PORT_MANIFEST: the port's usual frozen
# modules, plus code only that CPU can compile (inline Thumb assembler).
include("$(FASTPATH_PORT_MANIFEST)")
package("fastpath")
# The firmware's identity (fastpath.BUILD), written by tasks.py into the build folder
# (tools/identity.py).
module("fastpath/_build.py", base_path="$(FASTPATH_GEN_DIR)")
