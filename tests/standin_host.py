"""A stand-in for what a Linux desktop shows of a Pyboard: /proc/mounts, /dev/disk/by-id and
/dev/serial/by-id, as files and links in a temporary folder, for tools.usbhost.Host.

    host = standin_host.host(tmp_path, mounted="sdb1")   # the board's drive mounted, no label

The drive is named by the board's USB identity, as udev names it from the SCSI inquiry
strings MicroPython sends ("MicroPy ", "pyboard Flash   ": ports/stm32/mpconfigboard_common.h),
whatever the FAT label: a /flash made with VfsFat.mkfs has none, an SD card has its own.
"""

from tools.usbhost import Host

SERIAL = "3276337B3234"
DISK = "usb-MicroPy_pyboard_Flash_{}-0:0".format(SERIAL)


def host(tmp_path, mounted=None, point="/media/me/4A21-0000", other=()):
    """A Host on tmp_path; mounted: "sdb" or "sdb1" (the board's disk or its partition) to
    show it mounted at point; other: more /proc/mounts lines."""
    dev = tmp_path / "dev"
    disks = tmp_path / "disk-by-id"
    serial = tmp_path / "serial-by-id"
    for d in (dev, disks, serial):
        d.mkdir(exist_ok=True)
    for name in ("sda", "sda2", "sdb", "sdb1"):
        (dev / name).touch()
    (disks / DISK).symlink_to(dev / "sdb")
    (disks / (DISK + "-part1")).symlink_to(dev / "sdb1")
    (disks / "ata-Samsung_SSD_860_S3Z1").symlink_to(dev / "sda")
    lines = ["{} / ext4 rw,relatime 0 0".format(dev / "sda2")] + list(other)
    if mounted:
        lines.append("{} {} vfat rw,nosuid,nodev 0 0".format(dev / mounted,
                                                            point.replace(" ", "\\040")))
    (tmp_path / "mounts").write_text("".join(line + "\n" for line in lines))
    return Host(mounts=tmp_path / "mounts", disk_by_id=disks, by_label=tmp_path / "by-label",
                volumes=tmp_path / "Volumes", serial_by_id=serial)
