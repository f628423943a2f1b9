"""One suite, three targets.

    pytest --target unix,qemu,device --port /dev/ttyACM0

A test that takes the ``target`` fixture runs once per selected target (default: all three;
the real board is skipped, saying which port was tried, when none is connected). Restrict a
test with ``@pytest.mark.targets("qemu", "device")``.
"""

import os

import pytest

from tools.targets import QEMU_FIRMWARE, UNIX_BINARY, DeviceTarget, QemuTarget, UnixTarget

ALL_TARGETS = ("unix", "qemu", "device")


def pytest_addoption(parser):
    group = parser.getgroup("fastpath")
    group.addoption(
        "--target",
        default=",".join(ALL_TARGETS),
        help="comma-separated targets to run on: unix, qemu, device (default: all; device "
        "is skipped when no board is connected)",
    )
    group.addoption(
        "--target-tests-only",
        action="store_true",
        help="run only the tests that run on a target (take the `target` fixture or are "
        "marked targets(...)), not the host-only ones: what ./inv flash --test runs",
    )
    group.addoption(
        "--port",
        default=os.environ.get("FASTPATH_PORT", "/dev/ttyACM0"),
        help="serial port of a real Pyboard for --target device (default /dev/ttyACM0)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "targets(*names): run only on these targets")
    names = [n.strip() for n in config.getoption("--target").split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_TARGETS]
    if unknown:
        raise pytest.UsageError(
            "unknown --target {}; choose from {}".format(unknown[0], ", ".join(ALL_TARGETS))
        )
    config.fastpath_targets = names


def pytest_generate_tests(metafunc):
    if "target" not in metafunc.fixturenames:
        return
    names = metafunc.config.fastpath_targets
    marker = metafunc.definition.get_closest_marker("targets")
    if marker:
        names = [n for n in names if n in marker.args]
    metafunc.parametrize("target", names, indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    # A test marked targets(...) runs only when one of its targets was selected: it is
    # deselected, not skipped, otherwise (also one that starts its own emulator).
    only_targets = config.getoption("--target-tests-only")
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("targets")
        if marker and not any(t in config.fastpath_targets for t in marker.args):
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
        self.made = {}

    def get(self, name):
        if name not in self.made:
            self.made[name] = self._make(name)
        return self.made[name]

    def _make(self, name):
        if name == "unix":
            if not UNIX_BINARY.exists():
                pytest.fail("no {}; run: ./inv build --target unix".format(UNIX_BINARY))
            return UnixTarget()
        if name == "qemu":
            if not QEMU_FIRMWARE.exists():
                pytest.fail("no {}; run: ./inv build --target qemu".format(QEMU_FIRMWARE))
            return QemuTarget()
        port = self.config.getoption("--port")
        if not os.path.exists(port):
            pytest.skip("device: no Pyboard at {} (connect one, or pass --port)".format(port))
        return DeviceTarget(port)

    def close(self):
        for t in self.made.values():
            t.close()
        self.made.clear()


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
