# A filesystem in the heap, for boards without one: upstream's qemu boards (MPS2_AN385,
# VIRT_RV32) have no writable filesystem for mip to install into. mount_ram("/ram") mounts
# it, with /ram/lib on sys.path; mpremote then writes to it (open, write, os.stat, os.mkdir)
# and import reads .py and .mpy files from it (the io.IOBase stream protocol), as upstream's
# tests/micropython/import_mpy_native.py does. It lasts until the next soft reset.

import io
import sys

import vfs

_FILE = 0x8000
_DIR = 0x4000


class RamFile(io.IOBase):
    def __init__(self, data, writing):
        self.data = data  # a bytearray, shared with the filesystem's entry
        self.pos = 0
        if writing:
            data[:] = b""

    def readinto(self, buf):
        n = min(len(buf), len(self.data) - self.pos)
        buf[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n

    def read(self, n=-1):
        end = len(self.data) if n < 0 else min(len(self.data), self.pos + n)
        out = bytes(self.data[self.pos:end])
        self.pos = end
        return out

    def write(self, buf):
        self.data.extend(buf)
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
    def __init__(self):
        self.files = {}
        self.dirs = {""}

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
            return (_FILE, 0, 0, 0, 0, 0, len(self.files[p]), 0, 0, 0)
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
            self.files[p] = bytearray()
        elif p not in self.files:
            raise OSError(2)
        return RamFile(self.files[p], "w" in mode)

    def chdir(self, path):
        pass

    def getcwd(self):
        return ""


def mount_ram(point="/ram"):
    vfs.mount(RamFS(), point)
    sys.path.append(point + "/lib")
    print("MOUNTED", point)
