"""fastpath on firmware that is not ours: the mip package and the native modules.

`./inv package --arch A` (tools/package.py) writes the package for arch A and the kernels' C
rungs as native .mpy modules (tools/natmod.py, from the firmware's own usermod/fastpath
sources); `./inv install --port P` installs it on a board with `mpremote mip install`. Here
that runs against firmware built without any of fastpath, and every kernel's generated cases
(tests/ladder.py, as tests/test_kernels.py runs them on our firmware) run against the
installed rungs, the native c rung included:

- armv7emsp: our emulated Cortex-M4 without our module and package (build target
  qemu-stock): `./inv install` end to end, from a local package.json and from an HTTP server
  on 127.0.0.1; the contract's errors; the heap each native module takes, and the c rung's
  count per unit against our firmware's.

Those build firmware and packages and boot emulators: slow, so marked `full`.
"""

import contextlib
import http.server
import json
import re
import socket
import subprocess
import threading
import time

import pytest

import ladder
from invoke_cli import inv
from test_kernels import seed
from test_memory import IMPORT_HEAP, KERNEL_HEAP
from tools import build as building
from tools import natmod, package
from tools.platforms import PLATFORMS
from tools.targets import (QemuTarget, SerialTarget, UnixTarget, _open_repl, from_literal,
                           runner)

# The native modules' heap goal on the emulated Cortex-M4: code, tables and module, each.
HEAP_GOAL = 4096
# The heap a kernel's first use may take on stock firmware with the package installed: its
# module's bytecode and native code, loaded from the filesystem (crc32's, the largest, was
# 13,200 bytes when this was set).
FIRST_USE_HEAP = 16 * 1024
# The c rung's count per unit, native module against our firmware's built-in C: within 2%,
# except crc32, whose tables are smaller in RAM (tools/natmod.py; docs/stock-firmware.md).
COUNT_TOLERANCE = 0.02
RAM_LAYOUT = ("crc32",)
CASES = 100


def _built(layout, name):
    """The firmware of build target name, built if it is missing."""
    path = building.firmware_path(layout, name)
    if not path.exists():
        building.build(layout, [PLATFORMS[name]], 2)
    return path


@contextlib.contextmanager
def http_server(folder):
    """An HTTP server of folder on 127.0.0.1 at a free port, stopped on leaving: its URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:{}".format(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


WIPE = """\
import os
def _wipe(path):
    for name, kind, *_ in os.ilistdir(path):
        full = path + "/" + name
        if kind == 0x4000:
            _wipe(full)
            os.rmdir(full)
        else:
            os.remove(full)
try:
    _wipe("/flash/lib")
except OSError:  # no /flash/lib yet: this test run alone, on a board nothing was installed on
    pass
print(sorted(os.listdir("/flash/lib")) if "lib" in os.listdir("/flash") else [])
"""

HEAP = """\
import gc
from array import array
ARGS = {"crc32": (b"123456789",), "popcount": (b"abc",), "rgb565": (b"abc", bytearray(2)),
        "fir_q15": (array("h", [1, 2, 3, 4]), array("h", [1, 2]), array("h", [0, 0, 0]))}
def heap(name):
    args = ARGS.get(name, ())
    gc.collect()
    a0 = gc.mem_alloc()
    m = __import__("_fastpath_" + name if name else "_fastpath")
    gc.collect()
    a1 = gc.mem_alloc()
    if name:
        getattr(m, name)(*args)
    gc.collect()
    print("HEAP", repr((name, a1 - a0, gc.mem_alloc() - a0)))
"""


# --- armv7emsp: our emulated board, without fastpath -----------------------------------------


@pytest.fixture(scope="module")
def stock_board(layout):
    """qemu-stock booted, nothing of fastpath on it: the QemuTarget (its pty is .device)."""
    board = QemuTarget(_built(layout, "qemu-stock"))
    board.start()
    yield board
    board.stop()


def _release(board):
    # Let another client (mpremote) have the pty: drop our connection, keep the emulator.
    SerialTarget.close(board)


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_the_stock_board_has_no_fastpath(stock_board):
    out = stock_board.run("import sys\nfor m in ('_fastpath', 'fastpath', 'fastpath_thumb'):\n"
                          "    try:\n        __import__(m)\n        print(m, 'present')\n"
                          "    except ImportError:\n        print(m, 'absent')\n"
                          "print(sys.implementation._mpy >> 10)\n")
    assert out.split() == ["_fastpath", "absent", "fastpath", "absent", "fastpath_thumb",
                           "absent", "7"], out  # 7: armv7emsp


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_install_task_from_a_local_package_json(stock_board, layout):
    _release(stock_board)
    code, out = inv("install", "--port", stock_board.device, timeout=1800)
    assert code == 0, out
    assert "needs armv7emsp (.mpy v6.3)" in out
    assert "mpremote mip install build/package/armv7emsp/package.json" in out
    for kernel in ladder.KERNELS:
        line = re.search(r"\[install\] {}: (.*) equal py".format(kernel), out)
        assert line, out
        rungs = line.group(1).split()
        assert "asm" in rungs and "viper" in rungs
        if ladder.KERNELS[kernel].c_source:
            assert "c" in rungs
    listed = stock_board.run("import os\nprint(sorted(os.listdir('/flash/lib')))")
    for mod in [None] + natmod.kernels(layout.root):
        assert natmod.module_name(mod) + ".mpy" in listed


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_installed_rungs_equal_the_reference(stock_board, kernel):
    stock_board.soft_reset()
    _installed_rungs_equal(stock_board, kernel, PLATFORMS["qemu-stock"].board, CASES, asm=True)


def _installed_rungs_equal(board, kernel, name, cases, asm=False):
    # On a stock board (fastpath.board.NAME name) with the package installed: a kernel that
    # board cannot run is absent, name and all; one it runs has every rung the package gives
    # it (the native module's c rung, asm where asm), each equal to the reference.
    k = ladder.KERNELS[kernel]
    if not k.runs_on(name):
        out = board.run("import fastpath\nprint({0!r} in fastpath.KERNELS, "
                        "hasattr(fastpath, {0!r}))".format(kernel))
        assert out.split() == ["False", "False"], out
        return
    if k.c_source:  # the c rung is the native module, not some other _fastpath
        out = board.run("import fastpath\nprint(fastpath.KERNELS[{0!r}]['c'] is "
                        "__import__('_fastpath_{0}').{0})".format(kernel))
        assert out.strip() == "True"
    results = ladder.run_rungs(board, kernel, seed(kernel), cases)
    expected = ladder.expected_outcomes(kernel, seed(kernel), cases)
    must = {"py", "opt", "native", "viper"} | ({"c"} if k.c_source else set())
    must |= {"asm"} if asm and k.asm_source else set()
    assert must <= set(results), "missing rungs: {}".format(sorted(must - set(results)))
    if not asm:
        assert "asm" not in results  # the asm rungs need the Cortex-M4's DSP instructions
    ladder.assert_rungs_agree(results, expected, kernel)


def _check_contract(board, kernel):
    # The native module's binding behaves as the firmware's: messages, types, bool and
    # subclasses, long-int ranges (tests/target/contract.py's bad calls, every rung).
    by_rung = ladder.assert_contract(board, kernel)
    if ladder.KERNELS[kernel].c_source:
        assert "c" in by_rung


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_installed_rungs_raise_the_contracts_errors(stock_board, kernel):
    _check_contract(stock_board, kernel)


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_native_modules_heap_at_import_and_first_use(stock_board, layout):
    stock_board.soft_reset()
    out = stock_board.run(HEAP + "".join("heap({!r})\n".format(k) for k in
                                         [None] + natmod.kernels(layout.root)))
    rows = [from_literal(line[5:]) for line in out.splitlines() if line.startswith("HEAP ")]
    assert len(rows) == 1 + len(natmod.kernels(layout.root))
    for name, at_import, first_use in rows:
        assert 0 < at_import <= first_use <= HEAP_GOAL, (name, at_import, first_use)


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_the_packages_heap_at_import_and_first_use(stock_board):
    # From a filesystem, a module's code is loaded into the heap (our firmware keeps it in
    # flash): `import fastpath` within its platform's budget, each kernel's first use within
    # FIRST_USE_HEAP. pytest -s prints the figures docs/stock-firmware.md gives.
    stock_board.soft_reset()
    used = int(stock_board.run(IMPORT_HEAP).split()[-1])
    stock_board.soft_reset()
    first = dict(line.split() for line in stock_board.run(KERNEL_HEAP).splitlines())
    first = {k: int(n) for k, n in first.items()}
    print("qemu-stock: import fastpath", used, "bytes; first use", first)
    platform = PLATFORMS["qemu-stock"]
    assert 0 < used <= platform.import_heap, used
    assert sorted(first) == sorted(k for k, d in ladder.KERNELS.items()
                                   if d.runs_on(platform.board))
    assert all(0 < n <= FIRST_USE_HEAP for n in first.values()), first


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_native_c_rung_counts_match_the_firmware(stock_board, layout):
    # Per unit of work, the native module's c rung against our firmware's built-in one, in
    # instructions (-icount shift=0): the same loops, so within 2%.
    def c_count(board):
        counts = {}
        for kernel in natmod.kernels(layout.root):
            out = board.run("import fastpath.bench\nfastpath.bench.once({!r}, 'c')".format(
                kernel), timeout=600)
            row = from_literal(out.split("PROFILE ", 1)[1].splitlines()[0])
            counts[kernel] = (row[4] - row[3]) / row[2]
        return counts

    stock_board.soft_reset()
    stock = c_count(stock_board)
    ours_board = QemuTarget(_built(layout, "qemu"))
    try:
        ours = c_count(ours_board)
    finally:
        ours_board.stop()
    for kernel, n in stock.items():
        if kernel in RAM_LAYOUT:
            assert ours[kernel] < n < 2 * ours[kernel], (kernel, n, ours[kernel])
        else:
            assert abs(n - ours[kernel]) <= COUNT_TOLERANCE * ours[kernel], (
                kernel, n, ours[kernel])


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_install_from_an_http_server(stock_board, layout):
    stock_board.soft_reset()
    assert stock_board.run(WIPE).strip() == "[]"
    _release(stock_board)
    folder = package.out_dir(layout, "armv7emsp")
    if not (folder / "package.json").exists():  # written by the install test, run alone
        package.package(layout, "armv7emsp")
    with http_server(folder) as url:
        out = package.mip_install(stock_board.device, url + "/package.json")
    names = json.loads((folder / "package.json").read_text())["urls"]
    assert out.count("Installing: ") == len(names), out
    rungs = package.check(lambda code: stock_board.run(code, timeout=600))
    assert set(rungs) == set(ladder.KERNELS)
    assert all("c" in rungs[k] for k in natmod.kernels(layout.root))


# --- x64: upstream's unix standard variant ------------------------------------------------


def _unix(binary, lib):
    # The stock unix binary with lib as its library folder (and its frozen modules).
    return UnixTarget(binary, env={"MICROPYPATH": ".frozen:{}".format(lib)})


@pytest.fixture(scope="module")
def stock_unix(layout, tmp_path_factory):
    """The package installed on upstream's unix port by its own mip: a UnixTarget."""
    binary = _built(layout, "unix-stock")
    path = package.package(layout, "x64")
    lib = tmp_path_factory.mktemp("unix-stock") / "lib"
    with http_server(path.parent) as url:
        r = subprocess.run([str(binary), "-m", "mip", "install", "--target", str(lib),
                            url + "/package.json"], capture_output=True, text=True,
                           timeout=600, stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and "Done" in r.stdout, r.stdout + r.stderr
    for dest, _ in json.loads(path.read_text())["urls"]:
        assert (lib / dest).is_file(), dest
    return _unix(binary, lib)


@pytest.mark.full
@pytest.mark.targets("unix")
def test_unix_stock_has_no_fastpath_of_its_own(layout):
    out = _unix(_built(layout, "unix-stock"), "/nonexistent").run(
        "import sys\ntry:\n    import _fastpath\nexcept ImportError:\n    print('absent')\n"
        "print(sys.implementation._mpy >> 10)")
    assert out.split() == ["absent", "2"]  # 2: x64


@pytest.mark.full
@pytest.mark.targets("unix")
def test_unix_installed_rungs_equal_the_reference(stock_unix, kernel):
    _installed_rungs_equal(stock_unix, kernel, PLATFORMS["unix-stock"].board, 200)


@pytest.mark.full
@pytest.mark.targets("unix")
def test_unix_installed_rungs_raise_the_contracts_errors(stock_unix, kernel):
    if ladder.KERNELS[kernel].runs_on(PLATFORMS["unix-stock"].board):
        _check_contract(stock_unix, kernel)


NATIVE_BINDING = """\
TypeError = RuntimeError  # a caller's globals: the native module raises the builtin still
import _fastpath_crc32
class I(int):
    pass
class J(I):
    pass
try:
    _fastpath_crc32.crc32("text")
except Exception as e:
    print(type(e).__name__ == "TypeError", e)
print(_fastpath_crc32.crc32(b"123456789", J(0)) == 0xCBF43926)
print(_fastpath_crc32.crc32(b"", True), _fastpath_crc32.crc32(b"", 0xFFFFFFFF))
for bad in (-1, 2**32, 2**100, -(2**100)):
    try:
        _fastpath_crc32.crc32(b"", bad)
    except ValueError as e:
        print(e)
"""


@pytest.mark.full
@pytest.mark.targets("unix")
def test_unix_native_binding_details(stock_unix):
    out = stock_unix.run(NATIVE_BINDING).splitlines()
    assert out[:3] == ["True data must be a buffer", "True", "1 4294967295"], out
    assert out[3:] == ["crc must be in range 0..0xFFFFFFFF"] * 4, out


@pytest.mark.full
@pytest.mark.targets("unix")
def test_unix_runs_the_package_folder_itself(layout):
    # The package folder is a library folder as it stands: the local install of the unix port.
    path = package.package(layout, "x64")
    rungs = package.check(_unix(_built(layout, "unix-stock"), path.parent).run)
    assert all("c" in rungs[k] for k in natmod.kernels(layout.root))


# --- armv7m (and armv6m): upstream's MPS2_AN385 ------------------------------------------


def _ram_board(layout, name):
    """Upstream's qemu board of build target name, booted, with a filesystem in RAM at /ram
    (tests/target/ramfs.py): a QemuTarget holding the REPL without a soft reset, which would
    unmount it."""
    platform = PLATFORMS[name]
    board = runner(name, _built(layout, name))
    board.start()
    call = "mount_ram('/ram', {!r})".format(platform.ram)
    assert "MOUNTED /ram" in board.run(ladder.program("ramfs", call=call))
    return board


def _mip_into_ram(board, source):
    _release(board)
    out = package.mip_install(board.device, source, target="/ram/lib", resume=True)
    board.transport = _open_repl(board.device, soft_reset=False)
    return out


@pytest.fixture(scope="module")
def an385(layout):
    """MPS2_AN385 with the armv7m package installed from a local package.json."""
    board = _ram_board(layout, "qemu-an385")
    _mip_into_ram(board, package.package(layout, "armv7m"))
    yield board
    board.stop()


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_an385_installed_rungs_equal_the_reference(an385, kernel):
    # Its peripherals are our emulated board's (fastpath.board.NAME "qemu"): toggle runs too.
    _installed_rungs_equal(an385, kernel, PLATFORMS["qemu-an385"].board, 60)


IMPORT_RAW = """\
import sys
for mod in {mods!r}:
    try:
        m = __import__(mod)
        print(mod, "loaded", getattr(m, mod.split("_")[-1])(b"123456789") if "crc" in mod else "")
    except ValueError as e:
        print(mod, "ValueError", e)
    sys.modules.pop(mod, None)
"""


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_an385_runs_armv6m_and_refuses_armv7emsp_native_modules(layout):
    # crc32's module built for other arches, under names of their own, on a board of its own
    # (the installed package fills most of the heap).
    natmod.build(layout, "armv6m,armv7emsp", 2)
    board = _ram_board(layout, "qemu-an385")
    try:
        for arch in ("armv6m", "armv7emsp"):
            data = (natmod.out_dir(layout, arch) / "_fastpath_crc32.mpy").read_bytes()
            for i in range(0, len(data), 512):
                board.run("with open('/ram/lib/_{}_crc32.mpy', '{}') as f:\n    f.write({!r})"
                          .format(arch, "ab" if i else "wb", data[i:i + 512]))
        out = board.run(IMPORT_RAW.format(mods=["_armv6m_crc32", "_armv7emsp_crc32"]))
    finally:
        board.stop()
    assert "_armv6m_crc32 loaded {}".format(0xCBF43926) in out, out
    assert "_armv7emsp_crc32 ValueError incompatible .mpy arch" in out, out


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_install_names_the_arch_the_an385_needs(layout):
    board = runner("qemu-an385", _built(layout, "qemu-an385"))
    board.start()
    try:
        code, out = inv("install", "--port", board.device, "--arch", "armv7emsp", timeout=1800)
    finally:
        board.stop()
    assert code != 0
    lines = [line for line in out.splitlines() if line.startswith("install:")]
    assert len(lines) == 1, out
    # MicroPython calls a Cortex-M3 armv7em (any Thumb-2 core without an FPU).
    assert "native code for armv7emsp, but the board is armv7em" in lines[0]
    assert "needs armv7em (.mpy v6.3; the armv7m package)" in lines[0]


# --- rv32imc: upstream's VIRT_RV32 -----------------------------------------------------------


@pytest.fixture(scope="module")
def rv32(layout):
    """VIRT_RV32 with the rv32imc package installed from a local package.json."""
    board = _ram_board(layout, "qemu-rv32")
    _mip_into_ram(board, package.package(layout, "rv32imc"))
    yield board
    board.stop()


@pytest.mark.full
@pytest.mark.targets("qemu")
def test_rv32_installed_rungs_equal_the_reference(rv32, kernel):
    board = PLATFORMS["qemu-rv32"].board
    assert rv32.run("import fastpath\nprint(fastpath.board.NAME)").strip() == board
    _installed_rungs_equal(rv32, kernel, board, 60)


@pytest.mark.full
@pytest.mark.targets("qemu")
@pytest.mark.parametrize("firmware, arch", [(n, PLATFORMS[n].arch)
                                            for n in ("qemu-an385", "qemu-rv32")])
def test_upstream_boards_install_from_an_http_server(layout, firmware, arch):
    # Upstream's qemu boards, a RAM filesystem mounted: mip from 127.0.0.1, then the check.
    board = _ram_board(layout, firmware)
    try:
        folder = package.package(layout, arch).parent
        with http_server(folder) as url:
            out = _mip_into_ram(board, url + "/package.json")
        assert "Installing: /ram/lib/_fastpath_crc32.mpy" in out
        rungs = package.check(lambda code: board.run(code, timeout=600))
        assert all("c" in rungs[k] for k in natmod.kernels(layout.root))
    finally:
        board.stop()


# --- a new kernel is in both deliveries ------------------------------------------------------


@pytest.mark.full
@pytest.mark.targets("unix")
def test_a_new_c_kernel_is_a_native_module_too(tmp_path, layout):
    # ./inv new-kernel NAME --c, then ./inv natmod: its module exists with nothing added.
    import os
    import shutil
    import sys

    from test_new_kernel import _copy_project

    project = tmp_path / "project"
    _copy_project(project)
    build = tmp_path / "build"
    (build / "mpy-cross").mkdir(parents=True)
    shutil.copy2(layout.mpy_cross, build / "mpy-cross" / "mpy-cross")
    env = dict(os.environ, INVOKE_FASTPATH_MICROPYTHON_DIR=str(layout.micropython),
               INVOKE_FASTPATH_BUILD_DIR=str(build))
    for args in (["new-kernel", "demo", "--c"], ["natmod", "--arch", "x64"]):
        proc = subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=1800,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "_fastpath_demo" in proc.stdout
    out = _unix(_built(layout, "unix-stock"), build / "natmod" / "x64").run(
        "import _fastpath_demo\nprint(_fastpath_demo.demo(bytes(range(200))))\n"
        "try:\n    _fastpath_demo.demo('x')\nexcept TypeError as e:\n    print(e)")
    assert out.split("\n")[:2] == [str(sum(range(200))), "data must be a byte buffer"]


def test_the_http_server_stops(tmp_path):
    # The server the tests start is bounded: gone when its block ends.
    (tmp_path / "x").write_text("y")
    with http_server(tmp_path) as url:
        port = int(url.rsplit(":", 1)[1])
        import urllib.request

        assert urllib.request.urlopen(url + "/x", timeout=10).read() == b"y"
    time.sleep(0.2)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_package_json_lists_every_file(layout):
    path = package.package(layout, package.PY)
    urls = json.loads(path.read_text())["urls"]
    assert ["fastpath/__init__.py", "fastpath/__init__.py"] in urls
    assert all((path.parent / dest).exists() for dest, _ in urls)
    assert not any(d.startswith("fastpath_thumb/") or d.endswith(".mpy") for d, _ in urls)
    # Every kernel is in it.
    for kernel in ladder.KERNELS:
        assert ["fastpath/kernels/{}.py".format(kernel)] * 2 in urls


@pytest.mark.parametrize("args, message", [
    (("natmod", "--arch", "xtensa"),
     "natmod: unknown arch 'xtensa'; choose from: x64, armv6m, armv7m, armv7emsp, rv32imc"),
    (("package", "--arch", "arm"),
     "package: unknown arch 'arm'; choose from: x64, armv6m, armv7m, armv7emsp, rv32imc"),
    (("install", "--port", "/dev/nonexistent-fastpath"),
     "install: no MicroPython REPL on /dev/nonexistent-fastpath (failed to access "
     "/dev/nonexistent-fastpath); check the port"),
])
def test_task_failures_are_one_line(args, message):
    code, out = inv(*args)
    assert code != 0
    assert out.strip().splitlines() == [message]
