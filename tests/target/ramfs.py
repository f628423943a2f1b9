# A filesystem in RAM, for boards without one: upstream's qemu boards (MPS2_AN385,
# VIRT_RV32) have no writable filesystem for mip to install into. mount_ram("/ram", (address,
# size)) mounts one whose files' bytes live in RAM the firmware does not use (through
# uctypes), as a flash filesystem's would, outside the heap: a heap of 140 KB cannot hold the
# package's 40 KB of files and the code loaded from them too. /ram/lib goes on sys.path;
# mpremote writes to it (open, write, os.stat, os.mkdir), and import reads .py and .mpy files
# from it (the io.IOBase stream protocol), as upstream's
# tests/micropython/import_mpy_native.py does. It lasts until the next soft reset.

import io
import sys

import vfs

_FILE = 0x8000
_DIR = 0x4000


class RamFile(io.IOBase):
    # extent is [start, length] in the region; a file is written at the region's end, one at
    # a time (as mpremote writes them).
    def __init__(self, fs, extent, writing):
        self.fs = fs
        self.extent = extent
        self.pos = 0
        if writing:
            extent[0], extent[1] = fs.top, 0

    def readinto(self, buf):
        start, length = self.extent
        n = min(len(buf), length - self.pos)
        buf[:n] = self.fs.view[start + self.pos:start + self.pos + n]
        self.pos += n
        return n

    def read(self, n=-1):
        left = self.extent[1] - self.pos
        out = bytearray(left if n < 0 else min(n, left))
        return bytes(out[:self.readinto(out)])

    def write(self, buf):
        start, length = self.extent
        if start + length != self.fs.top or self.fs.top + len(buf) > len(self.fs.view):
            raise OSError(28)  # ENOSPC
        self.fs.view[self.fs.top:self.fs.top + len(buf)] = buf
        self.fs.top += len(buf)
        self.extent[1] += len(buf)
        return len(buf)

    def ioctl(self, req, arg):
        return 0 if req in (1, 4) else -1  # MP_STREAM_FLUSH, MP_STREAM_CLOSE

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


class RamFS:
    def __init__(self, region):
        import uctypes

        self.files = {}  # path: [start, length]
        self.dirs = {""}
        self.view = memoryview(uctypes.bytearray_at(region[0], region[1]))
        self.top = 0

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def _path(self, path):
        return path.strip("/")

    def stat(self, path):
        p = self._path(path)
        if p in self.dirs:
            return (_DIR, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        if p in self.files:
            return (_FILE, 0, 0, 0, 0, 0, self.files[p][1], 0, 0, 0)
        raise OSError(2)

    def mkdir(self, path):
        p = self._path(path)
        if p in self.dirs or p in self.files:
            raise OSError(17)
        self.dirs.add(p)

    def remove(self, path):
        del self.files[self._path(path)]

    def ilistdir(self, path):
        p = self._path(path)
        prefix = p + "/" if p else ""
        for name in list(self.dirs) + list(self.files):
            if name and name.startswith(prefix) and "/" not in name[len(prefix):]:
                kind = _DIR if name in self.dirs else _FILE
                yield (name[len(prefix):], kind, 0)

    def open(self, path, mode):
        p = self._path(path)
        if "w" in mode or ("a" in mode and p not in self.files):
            self.files[p] = [0, 0]
        elif p not in self.files:
            raise OSError(2)
        return RamFile(self, self.files[p], "w" in mode)

    def chdir(self, path):
        pass

    def getcwd(self):
        return ""


def mount_ram(point, region):
    vfs.mount(RamFS(region), point)
    sys.path.append(point + "/lib")
    print("MOUNTED", point)
