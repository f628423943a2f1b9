"""The baseline: what upstream's own builds of the same MicroPython give in the same modes
(unix: ports/unix VARIANT=standard; qemu: BOARD=MPS2_AN385), in upstream.json. Its builds are
made here from the fetched tree, unchanged; `./inv conformance --record-upstream` runs them
and record_upstream() writes what they gave. A skip upstream's own build has too is
expected (reports.py)."""

import json
import subprocess
from pathlib import Path

from tools.conformance.results import ConformanceError
from tools.conformance.runs import UPSTREAM_QEMU_ARGS, TestedBuild
from tools.platforms import PLATFORMS
from tools.util import git_describe

UPSTREAM_FILE = Path(__file__).resolve().with_name("upstream.json")


def load_upstream(path=UPSTREAM_FILE):
    """What upstream's own builds gave, by kind ("unix", "qemu") and mode; {} if unrecorded."""
    path = Path(path)
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def upstream_builds(mp_dir, out_dir, mpy_cross, kinds=("unix", "qemu"), jobs=2, echo=print):
    """Build upstream's own unix standard variant and qemu MPS2_AN385 board (those of kinds)
    from the fetched tree, unchanged, into out_dir; [TestedBuild] to record."""
    mp_dir, out_dir = Path(mp_dir), Path(out_dir)
    # Upstream's unchanged builds are platforms of their own (tools/platforms.py): unix-stock
    # and qemu-an385. btree and ssl need lib/berkeley-db-1.xx and lib/mbedtls, which fetch does
    # not clone: those tests skip here, and expected.py lists them for our build.
    builds = (("upstream-unix", PLATFORMS["unix-stock"]),
              ("upstream-qemu", PLATFORMS["qemu-an385"]))
    fws = []
    for name, platform in builds:
        port, artifact = platform.port, platform.artifacts[-1]
        args = ["{}={}".format(k, v) for k, v in platform.make_args.items()]
        kind = port  # ports/unix builds the unix kind, ports/qemu the qemu kind
        if kind not in kinds:
            continue
        build = out_dir / name
        build.mkdir(parents=True, exist_ok=True)
        cmd = ["make", "-C", str(mp_dir / "ports" / port), "-j{}".format(jobs),
               "BUILD={}".format(build), "MICROPY_MPYCROSS={}".format(mpy_cross),
               "MICROPY_MPYCROSS_DEPENDENCY={}".format(mpy_cross)] + args
        echo("[conformance] building {} ({})".format(name, " ".join(args)))
        with open(build / "build.log", "w") as log:
            if subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT):
                raise ConformanceError("conformance: building {} failed; see {}".format(
                    name, build / "build.log"))
        fws.append(TestedBuild(name, kind, build / artifact,
                               qemu_args=UPSTREAM_QEMU_ARGS if kind == "qemu" else (),
                               note="make -C ports/{} {}".format(port, " ".join(args))))
    return fws


def record_upstream(runs, fws, mp_dir, upstream, path=UPSTREAM_FILE, echo=print):
    """Write what upstream's own builds gave (runs) to path, over what it held for them."""
    describe = git_describe(mp_dir, "--tags")
    data = dict(upstream or {}, micropython=describe)
    data.setdefault("builds", {}).update({fw.kind: fw.note for fw in fws})
    kinds = {fw.name: fw.kind for fw in fws}
    for r in runs:
        data.setdefault("runs", {}).setdefault(kinds[r.target], {})[r.mode] = dict(
            r.counts(), seconds=round(r.seconds), failed_tests=r.tests("fail"),
            skipped_tests=r.tests("skip"), flaky=r.flaky)
    Path(path).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    echo("[conformance] wrote {}".format(path))
    return data
