"""./inv profile on the emulator: the plugin's counts add up and agree with the board's clock,
and land where each emitter puts its work (tools/profile.py, tools/insnprof.c).

The kernel is found through tools.kernels, never named: the one whose py rung is cheapest by
the committed bench baseline, so the emulator runs as little as it can.
"""

import json

import pytest

from tools import kernels
from tools import profile as profiling

TICK = profiling.tick()  # instructions per tick of the board's clock (fastpath.timing)


def _smallest_kernel(layout):
    # A kernel with py and viper rungs on the emulator, cheapest py first.
    baseline = json.loads((layout.root / "docs" / "benchmarks.json").read_text())
    rows = {(r["kernel"], r["rung"]): r["per_call"] for r in baseline["rows"]}
    names = [k for k in kernels.discover() if (k, "py") in rows and (k, "viper") in rows]
    return min(names, key=lambda k: rows[(k, "py")])


@pytest.fixture(scope="module")
def profiles(layout, qemu_firmware):
    kernel = _smallest_kernel(layout)
    folder = layout.build / "profile"
    return {rung: profiling.run(qemu_firmware.parent, kernel, rung, folder)
            for rung in ("py", "viper")}


@pytest.mark.targets("qemu")
@pytest.mark.parametrize("rung", ["py", "viper"])
def test_the_attribution_adds_up_to_the_bench_figure(profiles, rung):
    rep = profiles[rung]
    # Every table sums to what it says it covers.
    assert sum(n for _, n in rep["python"]) == rep["window"]
    assert sum(r[2] for r in rep["functions"]) == rep["rung_total"]
    assert sum(n for _, n in rep["categories"]) == rep["rung_total"]
    assert rep["rung_total"] + rep["measurement"] == rep["window"]
    # The plugin's windows agree with the board's own clock to its tick, and so the window
    # less the empty call's with the bench's figure. (The bench's own instructions in the two
    # windows differ a little, measure() calling f with arguments or without: the rung's
    # count less the empty call's is not the bench's figure to the instruction.)
    g = rep["guest"]
    assert 0 <= rep["window"] - g["count"] < TICK
    assert 0 <= rep["empty_window"] - g["empty"] < TICK
    assert abs(rep["window"] - rep["empty_window"] - g["bench"]) < TICK
    assert rep["nlr_jumps"] == 0
    assert any(name == "fastpath.timing.ticks" for name, _ in rep["python"])


@pytest.mark.targets("qemu")
def test_py_runs_in_the_vm_and_viper_in_native_code(profiles):
    def share(rep, category):
        return dict(rep["categories"]).get(category, 0) / rep["rung_total"]

    assert share(profiles["py"], "VM: bytecode dispatch") > 0.3
    assert share(profiles["py"], profiling.NATIVE) == 0
    assert share(profiles["viper"], profiling.NATIVE) > 0.5
    assert share(profiles["viper"], "VM: bytecode dispatch") < 0.2
    # The viper rung's own machine code is named after its function, from the source.
    kernel = profiles["viper"]["kernel"]
    native = [name for name, cat, *_ in profiles["viper"]["functions"]
              if cat == profiling.NATIVE]
    assert native and all(n.startswith("fastpath.") for n in native)
    assert any(n.startswith("fastpath.kernels.{}.".format(kernel)) and "_dot_py" not in n
               for n in native)


def test_firmware_functions_fall_into_categories():
    assert profiling.category("mp_execute_bytecode") == "VM: bytecode dispatch"
    assert profiling.category("mp_binary_op") == "binary and unary ops"
    assert profiling.category("gc_alloc") == "allocation and GC"
    assert profiling.category("bytes_subscr") == "subscripts and buffers"
    assert profiling.category("mp_iternext") == "iteration"
    assert profiling.category(profiling.Frozen("fastpath.x.native", True)) == profiling.NATIVE
    assert profiling.category("a_function_no_rule_names") == profiling.OTHER


def test_the_timer_address_is_read_from_the_board_module():
    assert profiling.timer_address() == 0x40000004
