"""./inv matrix: releases side by side. The newest release is built for unix and the emulator,
and the kernel suite and the bench pass on it, as on the pinned one (the rest of this suite)."""

import json
import textwrap

import pytest

from invoke_cli import run_task
from tools import matrix
from tools.settings import Layout
from tools.util import ElfSize

TAGS = ["v1.23.0", "v1.24.0-preview", "v1.24.0", "v1.24.1", "v1.25.0", "v1.26.0",
        "v1.26.1", "v1.27.0-preview", "v1.27.0", "v1.28.0", "v1.29.0-preview", "nonsense"]


def test_default_refs_are_the_newest_patch_of_each_minor_release():
    assert matrix.default_refs(TAGS) == ["v1.24.1", "v1.25.0", "v1.26.1", "v1.27.0", "v1.28.0"]
    assert [tag for _, tag in matrix.pick(TAGS)][0] == "v1.24.0"  # ports/qemu's first


def test_each_test_is_counted_for_its_target(tmp_path):
    junit = tmp_path / "r.xml"
    junit.write_text(textwrap.dedent("""\
        <testsuites><testsuite>
        <testcase name="test_a[k-unix]"/>
        <testcase name="test_a[k-unix-asan]"><failure/></testcase>
        <testcase name="test_b[qemu-ctrl-c]"/>
        <testcase name="test_c[qemu]"><skipped/></testcase>
        <testcase name="test_host"/>
        </testsuite></testsuites>"""))
    counts = matrix.count_by_target(junit, ["unix", "unix-asan", "qemu"])
    assert counts["unix"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert counts["unix-asan"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert counts["qemu"] == {"passed": 1, "failed": 0, "skipped": 1}
    assert counts["host"] == {"passed": 1, "failed": 0, "skipped": 0}


@pytest.mark.full  # fetches and builds another release
def test_newest_release_on_unix_and_the_emulator(layout):
    r = run_task("matrix", "--refs", "newest", "--target", "unix,qemu", timeout=3600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    report = json.loads((layout.build / "matrix" / "matrix.json").read_text())
    (entry,) = report["releases"]
    assert entry["built"] == {"unix": "yes", "qemu": "yes"}
    for target in ("unix", "qemu"):
        counts = entry["tests"][target]
        assert counts["failed"] == 0 and counts["passed"] > 20, (target, counts)
    assert entry["bench"] and "error" not in entry["bench"]
    assert (layout.build / entry["ref"] / "qemu" / "firmware.elf").exists()


def test_a_submodule_that_cannot_be_fetched_costs_only_its_target(tmp_path, monkeypatch):
    # v1.26+ pin a newer stm32lib: where it cannot be fetched, unix and qemu still build.
    def fetch(layout, url, firmwares):
        if any(f.submodules for f in firmwares if f.name == "pybv11"):
            raise matrix.building.BuildError(
                "fetch: submodule lib/stm32lib failed: ['fatal: /local/mirror: bad object']; "
                "check the network")
    built = []
    monkeypatch.setattr(matrix.building, "fetch", fetch)
    monkeypatch.setattr(matrix.building, "build", lambda layout, fs, jobs: built.extend(fs))
    monkeypatch.setattr(matrix, "elf_size", lambda path: ElfSize(1000, 0, 0))
    base = Layout(tmp_path / "build", tmp_path / "lib" / "micropython", "v1.25.0", tmp_path)
    report = matrix.run(base, ["v1.28.0"], "pybv11,unix", "url", 1, tests=False, bench=False,
                        echo=lambda *a: None)
    (entry,) = report["releases"]
    assert [f.name for f in built] == ["unix"]
    assert entry["built"]["unix"] == "yes"
    assert entry["built"]["pybv11"] == ("not fetched: fetch: submodule lib/stm32lib failed: "
                                        "['fatal: <local path>: bad object']; check the network")
    assert "not built: not fetched" in matrix.markdown(report)
    assert "/local/mirror" not in json.dumps(report)
