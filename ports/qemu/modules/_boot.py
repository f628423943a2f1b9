# The emulated board's filesystem, mounted at every reset (hard or soft) before boot.py, as
# upstream boards' frozen _boot.py mounts theirs (ports/rp2, ports/samd): littlefs on a 1 MiB
# RAM disk (qemu.RAMDisk, ramdisk.c) at /flash, the working folder, where a Pyboard has its
# flash drive; its files last over soft resets.


def _mount():
    import os
    import sys

    import vfs
    from qemu import RAMDisk

    disk = RAMDisk()
    try:
        fs = vfs.VfsLfs1(disk)
    except OSError:  # a new emulator: the RAM holds no filesystem yet
        vfs.VfsLfs1.mkfs(disk)
        fs = vfs.VfsLfs1(disk)
    vfs.mount(fs, "/flash")
    os.chdir("/flash")
    sys.path.append("/flash")
    sys.path.append("/flash/lib")


_mount()
del _mount
