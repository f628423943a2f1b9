"""The pinned upstream sources besides MicroPython: the peers the bench measures ours against
(tools/peers.py), and what a firmware builds from (ulab in qemu-ulab, tools/platforms.py).

Each is pinned here, in PINS, and nowhere else; `fetch` clones each at its pin into
lib/peers/<name>/ (git-ignored, never committed), shallow, with only the paths the build uses.
"""

import shutil

from tools.util import git, say


class PeerError(Exception):
    """A step failed; str() is one line saying what to do next."""


class Pin:
    """One peer's source: upstream URL, pinned tag and the paths the build needs of it."""

    def __init__(self, name, url, ref, paths, what):
        self.name = name
        self.url = url
        self.ref = ref
        self.paths = paths
        self.what = what

    def __repr__(self):
        return "Pin({!r}, {!r})".format(self.name, self.ref)


PINS = {
    p.name: p
    for p in (
        Pin("CMSIS-DSP", "https://github.com/ARM-software/CMSIS-DSP", "v1.17.1",
            ("Include", "PrivateInclude", "Source/FilteringFunctions"),
            "arm_fir_q15, arm_fir_fast_q15"),
        Pin("CMSIS_6", "https://github.com/ARM-software/CMSIS_6", "v6.3.0",
            ("CMSIS/Core/Include",), "CMSIS-Core headers for CMSIS-DSP"),
        Pin("zlib", "https://github.com/madler/zlib", "v1.3.1",
            ("crc32.c", "crc32.h", "zutil.h", "zlib.h", "zconf.h"), "crc32()"),
        Pin("micropython-ulab", "https://github.com/v923z/micropython-ulab", "6.12",
            ("code",), "ulab.numpy, built into the qemu-ulab firmware"),
    )
}


def folder(layout, name):
    """lib/peers/<name>/: where a peer's pinned source is fetched to."""
    return layout.root / "lib" / "peers" / name


def fetch(layout, names=None):
    """Clone each peer (all of PINS, or names) at its pin into lib/peers/<name>/, shallow and
    sparse; a tree at another commit is fetched again. Idempotent."""
    if not shutil.which("git"):
        raise PeerError("peers: git is missing; run: ./inv setup")
    for name in names or PINS:
        pin = PINS[name]
        dest = folder(layout, name)
        if (dest / ".git").exists():
            want = git(["rev-parse", "-q", "--verify", "refs/tags/{}^{{commit}}".format(
                pin.ref)], dest).stdout.strip()
            head = git(["rev-parse", "HEAD"], dest).stdout.strip()
            missing = [p for p in pin.paths if not (dest / p).exists()]
            if want and want == head and not missing:
                continue
            say("peers", "{} is not at {}: fetching it again".format(
                layout.rel(dest), pin.ref))
            shutil.rmtree(dest)
        tmp = dest.with_name(dest.name + ".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        say("peers", "cloning {} at {}".format(pin.url, pin.ref))
        r = git(["clone", "-q", "--depth", "1", "--branch", pin.ref, "--no-checkout",
                 "--no-recurse-submodules", pin.url, str(tmp)], None)
        if r.returncode:
            err = (r.stderr.strip().splitlines() or ["no output"])[-1]
            raise PeerError("peers: could not clone {} at {} ({}); check the network, or "
                            "point git at a mirror with url.<dir>.insteadOf (see README)".format(
                                pin.url, pin.ref, err))
        # Only what the build uses: a sparse checkout of the pinned paths.
        for args in (["sparse-checkout", "init", "--no-cone"],
                     ["sparse-checkout", "set", "--no-cone", *("/" + p for p in pin.paths)],
                     ["checkout", "-q", pin.ref]):
            r = git(args, tmp)
            if r.returncode:
                raise PeerError("peers: git {} failed in {}: {}".format(
                    args[0], layout.rel(tmp), r.stderr.strip()[-200:]))
        tmp.rename(dest)
    return {name: folder(layout, name) for name in names or PINS}
