"""What this computer shows of a Pyboard on USB: its drive, and its serial port by identity.

A Pyboard running MicroPython is one USB device (VID f055) with two faces: a CDC-ACM serial
port and, by default (pyb.usb_mode() == 'VCP+MSC'), a USB drive of its /flash (or of its SD
card, when one is inserted: ports/stm32/main.c). Both carry the board's USB serial number, so
udev names them by it:

    /dev/disk/by-id/usb-MicroPy_pyboard_Flash_<serial>-0:0[-partN]    the drive
    /dev/serial/by-id/usb-MicroPython_<product>_<serial>-if0N         the serial port

The drive's name comes from its SCSI inquiry strings, "MicroPy " and "pyboard Flash   "
(MICROPY_HW_USB_MSC_INQUIRY_{VENDOR,PRODUCT}_STRING, ports/stm32/mpconfigboard_common.h),
whichever medium it offers and whatever its FAT label (a /flash made with VfsFat.mkfs has
none). The port keeps its by-id name when the kernel gives the board another ttyACM after a
reset (the old one still held by a program).

Host holds the paths (injectable for tests); the defaults are Linux's and macOS's.
"""

import os
import re
import sys
from collections import namedtuple
from pathlib import Path

# The by-id names of a Pyboard's drive (udev: usb-<vendor>_<model>_<serial>-<lun>).
DRIVE_BY_ID = "usb-MicroPy_pyboard_"
FLASH_LABEL = "PYBFLASH"  # MICROPY_HW_FLASH_FS_LABEL "pybflash"; FAT stores labels upper-case

Mount = namedtuple("Mount", "device point")


def _unescape_mount(field):
    # /proc/mounts writes a space as \040, a tab as \011, a backslash as \134.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _link_target(link):
    """Where a udev link points, one level (udev writes ../../ttyACM1), as a path."""
    return os.path.normpath(os.path.join(os.path.dirname(link), os.readlink(link)))


class Host:
    def __init__(self, mounts="/proc/mounts", disk_by_id="/dev/disk/by-id",
                 by_label="/dev/disk/by-label", volumes="/Volumes",
                 serial_by_id="/dev/serial/by-id"):
        self.mounts = mounts
        self.disk_by_id = Path(disk_by_id)
        self.by_label = Path(by_label)
        self.volumes = Path(volumes)
        self.serial_by_id = Path(serial_by_id)

    def _board_disks(self):
        """Real paths of every Pyboard disk and partition udev names by USB identity, plus
        the filesystem labelled PYBFLASH."""
        found = set()
        try:
            links = [p for p in self.disk_by_id.iterdir() if p.name.startswith(DRIVE_BY_ID)]
        except OSError:
            links = []
        labelled = self.by_label / FLASH_LABEL
        for link in links + ([labelled] if labelled.exists() else []):
            found.add(os.path.realpath(link))
        return found

    def drive(self):
        """Mount(device, point) where this computer has a Pyboard's drive mounted, or None
        where it cannot tell or finds none. Linux: a /proc/mounts entry whose device is a
        Pyboard's disk or partition (by USB identity, or labelled PYBFLASH), or whose mount
        point is named PYBFLASH. macOS: /Volumes/PYBFLASH. Windows: None (drive letters
        carry no identity here); docs/flashing.md says what to do there."""
        disks = self._board_disks()
        try:
            with open(self.mounts) as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            fields = line.split()
            if len(fields) < 2:
                continue
            device, point = _unescape_mount(fields[0]), _unescape_mount(fields[1])
            if disks and os.path.realpath(device) in disks:
                return Mount(device, point)
            if os.path.basename(point).upper() == FLASH_LABEL:
                return Mount(device, point)
        mac = self.volumes / FLASH_LABEL
        if mac.is_dir():
            return Mount(None, str(mac))
        return None

    def port_link(self, port):
        """The by-id link that names the board on port (the port itself when it is one), or
        None where udev gives none (macOS, Windows, a pty)."""
        if Path(port).parent == self.serial_by_id:
            return str(port)
        try:
            links = sorted(self.serial_by_id.iterdir())
        except OSError:
            return None
        real = os.path.realpath(port)
        for link in links:
            if os.path.realpath(link) == real:
                return str(link)
        return None

    def port_now(self, port, link):
        """Where the board named by link (from port_link) is now: another ttyACM after a
        reset when the old one is still held; port when there is no link."""
        if link and os.path.lexists(link):
            return link if link == str(port) else _link_target(link)
        return port


def unmount_command(mount):
    """The command that unmounts mount (a Mount) on this system."""
    if sys.platform == "darwin":
        return "diskutil eject {}".format(mount.point)
    if mount.device and mount.device.startswith("/"):
        return "udisksctl unmount -b {}".format(mount.device)
    return "umount {}".format(mount.point)
