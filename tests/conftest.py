"""One suite, four targets, two lengths.

    pytest --target unix,unix-asan,qemu,device --port /dev/ttyACM0 [--full]

Without --full the suite is the loop a kernel author works in (./inv test: minutes); the
tests marked `full` (slow: MicroPython's own suite, other releases, rebuilds, long fuzzing)
run only with it (./inv test --full: what CI runs).

A test that takes the ``target`` fixture runs once per selected target (default: all four;
the real board is skipped, saying which port was tried, when none is connected). Restrict a
test with ``@pytest.mark.targets("qemu", "device")``. A test that takes ``kernel`` runs once
per kernel the project declares (tools/kernels.py), with the kernel's name in its id, so
``-k crc32`` selects one kernel's tests.

Where the firmware is comes from the settings (tools/settings.py: invoke.yaml and
INVOKE_FASTPATH_* as for every task), or from --build-dir and --micropython-dir, which
`./inv test` passes; the session's `layout` fixture hands it to the tests.
"""

import os
import sys

import pytest

from tools import settings
from tools.build import firmware_path
from tools.kernels import discover
from tools.platforms import TARGETS
from tools.targets import runner

ALL_TARGETS = tuple(TARGETS)
# Fixtures that hand a test a build, by the firmware they need.
FIRMWARE_FIXTURES = {"qemu_firmware": "qemu", "pybv11_dfu": "pybv11"}



def pytest_addoption(parser):
    defaults = settings.load()
    group = parser.getgroup("fastpath")
    group.addoption(
        "--target",
        default=",".join(ALL_TARGETS),
        help="comma-separated targets to run on: unix, unix-asan, qemu, device (default: all; "
        "device is skipped when no board is connected)",
    )
    group.addoption(
        "--target-tests-only",
        action="store_true",
        help="run only the tests that run on a target (take the `target` fixture or are "
        "marked targets(...)), not the host-only ones: what ./inv flash --test runs",
    )
    group.addoption(
        "--full",
        action="store_true",
        help="also run the slow tests (marked full): MicroPython's own suite in every mode, the "
        "newest release, the reproducible rebuild, new-kernel end to end, the peers, long "
        "fuzzing. What CI runs (./inv test --full)",
    )
    group.addoption(
        "--port",
        default=os.environ.get("FASTPATH_PORT", defaults["port"]),
        help="serial port of a real Pyboard for --target device (default /dev/ttyACM0)",
    )
    group.addoption("--build-dir", default=defaults["build_dir"],
                    help="the build folder (default: fastpath.build_dir, build)")
    group.addoption("--micropython-dir", default=defaults["micropython_dir"],
                    help="the fetched MicroPython tree (default: fastpath.micropython_dir)")
    group.addoption("--ref", default=defaults["micropython_ref"],
                    help="the release of that tree (default: fastpath.micropython_ref)")


def pytest_configure(config):
    config.addinivalue_line("markers", "targets(*names): run only on these targets")
    config.addinivalue_line("markers", "full: slow; runs only with --full (./inv test --full)")
    config.addinivalue_line("markers", "firmware(*names): reads these builds (pybv11, unix, "
                            "unix-asan, qemu): runs only when the targets run build them all")
    names = [n.strip() for n in config.getoption("--target").split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_TARGETS]
    if unknown:
        raise pytest.UsageError(
            "unknown --target {}; choose from {}".format(unknown[0], ", ".join(ALL_TARGETS))
        )
    config.fastpath_targets = names
    config.fastpath_full = config.getoption("--full")
    # The firmwares this run's targets run, which ./inv test built (--full: all of them).
    config.fastpath_firmwares = {p.name for p in TARGETS.values()} if config.fastpath_full else {
        TARGETS[n].name for n in names}
    config.fastpath_layout = settings.Layout(
        config.getoption("--build-dir"), config.getoption("--micropython-dir"),
        config.getoption("--ref"))
    # Tasks the tests run (tests/invoke_cli.py) work on the same firmware: passed down as
    # their settings, which a test may still override for its own run.
    os.environ.update(config.fastpath_layout.env())


def pytest_generate_tests(metafunc):
    if "kernel" in metafunc.fixturenames:
        kernels = sorted(discover())
        metafunc.parametrize("kernel", kernels, ids=kernels)
    if "target" not in metafunc.fixturenames:
        return
    names = metafunc.config.fastpath_targets
    marker = metafunc.definition.get_closest_marker("targets")
    if marker:
        names = [n for n in names if n in marker.args]
    metafunc.parametrize("target", names, indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    # A test marked targets(...) runs only when one of its targets was selected: it is
    # deselected, not skipped, otherwise (also one that starts its own emulator). A test
    # marked full runs only with --full; one that reads a build (marked firmware(...), or
    # taking a fixture of FIRMWARE_FIXTURES) only when the run's targets build it.
    only_targets = config.getoption("--target-tests-only")
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("targets")
        needs = {f for m in item.iter_markers("firmware") for f in m.args}
        needs |= {f for fixture, f in FIRMWARE_FIXTURES.items()
                  if fixture in getattr(item, "fixturenames", ())}
        if item.get_closest_marker("full") and not config.fastpath_full:
            drop.append(item)
        elif not needs <= config.fastpath_firmwares:
            drop.append(item)
        elif marker and not any(t in config.fastpath_targets for t in marker.args):
            drop.append(item)
        elif only_targets and not marker and "target" not in getattr(item, "fixturenames", ()):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class _Targets:
    """The session's target instances, made on first use and closed at the end."""

    def __init__(self, config):
        self.config = config
        self.layout = config.fastpath_layout
        self.made = {}

    def get(self, name):
        if name not in self.made:
            self.made[name] = self._make(name)
        return self.made[name]

    def _make(self, name):
        platform = TARGETS[name]
        if platform.runner != "board":
            path = firmware_path(self.layout, platform.name)
            if not path.exists():
                pytest.fail("no {}; run: ./inv build --target {}".format(
                    self.layout.rel(path), platform.name), pytrace=False)
            return runner(name, path)
        port = self.config.getoption("--port")
        if not os.path.exists(port):
            pytest.skip("{}: no Pyboard at {} (connect one, or pass --port)".format(name, port))
        return runner(name, port=port)

    def close(self):
        for t in self.made.values():
            t.close()
        self.made.clear()


@pytest.fixture(scope="session")
def layout(request):
    """The settings.Layout of this session: where the firmware and MicroPython tree are."""
    return request.config.fastpath_layout


@pytest.fixture(scope="session")
def _targets(request):
    targets = _Targets(request.config)
    yield targets
    targets.close()


@pytest.fixture(scope="session")
def target(request, _targets):
    """The target this test runs on: run(code) -> stdout, call(module, func, *args)."""
    return _targets.get(request.param)


@pytest.fixture
def fresh(target):
    """The target after a soft reset: nothing left over from earlier tests."""
    if hasattr(target, "soft_reset"):
        target.soft_reset()
    return target


@pytest.fixture(scope="session")
def qemu_firmware(layout):
    """The emulator's firmware, for tests that boot emulators of their own."""
    path = firmware_path(layout, "qemu")
    if not path.exists():
        pytest.fail("no {}; run: ./inv build --target qemu".format(layout.rel(path)),
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def pybv11_dfu(layout):
    """The Pyboard's built build/PYBV11/firmware.dfu."""
    path = firmware_path(layout, "pybv11").with_name("firmware.dfu")
    if not path.exists():
        pytest.fail("no {}; run: ./inv build".format(layout.rel(path)), pytrace=False)
    return path


def frozen_package():
    """Make the frozen package importable under CPython (its py and opt rungs run there)."""
    frozen = str(settings.ROOT / "frozen")
    if frozen not in sys.path:
        sys.path.insert(0, frozen)
