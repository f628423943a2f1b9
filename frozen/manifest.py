# One manifest for every target. Each target's make fragment (boards/PYBV11, ports/unix,
# ports/qemu) names its own manifest in FASTPATH_PORT_MANIFEST: the port's usual frozen
# modules, plus code only that CPU can compile (inline Thumb assembler).
include("$(FASTPATH_PORT_MANIFEST)")
package("fastpath")
# Written by ./inv build into the target's build folder: the kernel index and the firmware's
# identity (tools/kernels.py).
module("fastpath/_index.py", base_path="$(FASTPATH_GEN_DIR)")
