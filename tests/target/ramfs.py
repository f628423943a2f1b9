# A filesystem in the heap, for boards without one: upstream's qemu boards (MPS2_AN385,
# VIRT_RV32) have no writable filesystem for mip to install into. mount_ram("/ram") mounts
# it, with /ram/lib on sys.path; mpremote then writes to it (open, write, os.stat, os.mkdir)
# and import reads .py and .mpy files from it (the io.IOBase stream protocol), as upstream's
# tests/micropython/import_mpy_native.py does. It lasts until the next soft reset.
# mount_ram("/ram", (address, size)) keeps the files' bytes in RAM outside the heap instead
# (memory the firmware does not use, through uctypes), for a heap too small to hold both the
# package's files and the code loaded from them.

import io
import sys

import vfs

_FILE = 0x8000
_DIR = 0x4000


class RamFile(io.IOBase):
    # A file is the list of the chunks written to it, kept as they came: growing one buffer
    # would leave the heap too fragmented for the native code loaded next.
    def __init__(self, chunks, writing):
        self.chunks = chunks  # shared with the filesystem's entry
        self.index = 0  # reading: the chunk, and the offset in it
        self.offset = 0
        if writing:
            chunks.clear()

    def readinto(self, buf):
        n = 0
        while n < len(buf) and self.index < len(self.chunks):
            chunk = self.chunks[self.index]
            k = min(len(buf) - n, len(chunk) - self.offset)
            buf[n:n + k] = chunk[self.offset:self.offset + k]
            n += k
            self.offset += k
            if self.offset == len(chunk):
                self.index += 1
                self.offset = 0
        return n

    def read(self, n=-1):
        size = sum(len(c) for c in self.chunks)
        out = bytearray(size if n < 0 else min(n, size))
        return bytes(out[:self.readinto(out)])

    def write(self, buf):
        self.chunks.append(bytes(buf))
        return len(buf)


class RegionFile(RamFile):
    # A file in the region: chunks is [start, length] there, written at the region's end.
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
            raise OSError(28)  # ENOSPC: one file is written at a time, at the end
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
    def __init__(self, region=None):
        self.files = {}
        self.dirs = {""}
        self.view = None
        if region:
            import uctypes

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
            size = self.files[p][1] if self.view else sum(len(c) for c in self.files[p])
            return (_FILE, 0, 0, 0, 0, 0, size, 0, 0, 0)
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
            self.files[p] = [0, 0] if self.view else []
        elif p not in self.files:
            raise OSError(2)
        if self.view:
            return RegionFile(self, self.files[p], "w" in mode)
        return RamFile(self.files[p], "w" in mode)

    def chdir(self, path):
        pass

    def getcwd(self):
        return ""


def mount_ram(point="/ram", region=None):
    vfs.mount(RamFS(region), point)
    sys.path.append(point + "/lib")
    print("MOUNTED", point)
