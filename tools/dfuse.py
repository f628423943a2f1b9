"""DfuSe (.dfu) files, checked before anything is sent to a board.

The layout is ST's UM0391, as MicroPython's tools/dfu.py writes it (little-endian):

    prefix   "DfuSe", version 1, size of prefix + images, number of images (targets)
    target   "Target", alternate setting, named flag, 255-byte name, size of its elements,
             number of elements; then each element: address, size, data
    suffix   bcdDevice, idProduct, idVendor, bcdDFU 0x011a, "UFD", length 16, CRC-32

The suffix CRC is the standard DFU one: CRC-32 (zlib's polynomial) without the final
inversion, over every byte of the file before it.

parse(data) returns a DfuFile (images, vendor, product) or raises DfuError naming the first
defect found; read(path) does the same for a file, and describe() lists its elements.
"""

import struct
import zlib
from collections import namedtuple

# Where an image may go: the STM32F405's 1 MiB of internal flash (sectors 0-11).
STM32F405_FLASH = (0x08000000, 0x08100000)
# The Pyboard's /flash filesystem: sectors 1-4 (FLASH_FS in ports/stm32/boards/stm32f405.ld).
# MicroPython's own image leaves them alone (sector 0, then sectors 5 on); an element there
# erases the user's files, and a partial FAT left behind is worse than none.
PYBOARD_FILESYSTEM = (0x08004000, 0x08020000)
# The USB id of the STM32's ROM DFU bootloader, and the one tools/dfu.py writes.
PYBOARD_DFU_ID = (0x0483, 0xDF11)

_PREFIX = struct.Struct("<5sBIB")  # signature, version, size, targets
_TARGET = struct.Struct("<6sBI255sII")  # signature, alt setting, named, name, size, elements
_ELEMENT = struct.Struct("<II")  # address, size
_SUFFIX = struct.Struct("<HHHH3sBI")  # bcdDevice, idProduct, idVendor, bcdDFU, sig, len, crc

Element = namedtuple("Element", "address data")
Image = namedtuple("Image", "alt name elements")  # UM0391 calls an image a "target"
DfuFile = namedtuple("DfuFile", "images vendor product")


class DfuError(ValueError):
    """The file is not a DfuSe image this board can take; the text says why."""


def dfu_crc(data):
    """The DFU suffix CRC: CRC-32 without the final inversion (DFU 1.1, appendix B)."""
    return zlib.crc32(data) ^ 0xFFFFFFFF


def _hex_range(lo, hi):
    return "0x{:08x}-0x{:08x}".format(lo, hi)


def _usb_id(vendor, product):
    return "{:04x}:{:04x}".format(vendor, product)


def parse(data, flash=STM32F405_FLASH, usb_id=PYBOARD_DFU_ID):
    """Check every field of a DfuSe file; return DfuFile(images, vendor, product)."""
    data = bytes(data)
    if len(data) < _PREFIX.size + _SUFFIX.size:
        raise DfuError("truncated: {} bytes is too short for a DfuSe file".format(len(data)))
    signature, version, size, n_images = _PREFIX.unpack_from(data)
    if signature != b"DfuSe":
        raise DfuError("bad prefix signature {!r} (expected b'DfuSe')".format(signature))
    if version != 1:
        raise DfuError("unsupported DfuSe version {} (expected 1)".format(version))

    # The prefix's size field counts everything before the 16-byte suffix.
    body = len(data) - _SUFFIX.size
    if body < size:
        raise DfuError(
            "truncated: the prefix says {} bytes plus a {}-byte suffix, the file has {}".format(
                size, _SUFFIX.size, len(data)
            )
        )
    if body > size:
        raise DfuError(
            "size fields inconsistent: the prefix says {} bytes before the suffix, "
            "the file has {}".format(size, body)
        )

    device, product, vendor, bcd_dfu, ufd, length, crc = _SUFFIX.unpack_from(data, body)
    if ufd != b"UFD" or length != _SUFFIX.size:
        raise DfuError(
            "bad DFU suffix: signature {!r}, length {} (expected b'UFD', 16)".format(ufd, length)
        )
    want = dfu_crc(data[:-4])
    if crc != want:
        raise DfuError(
            "suffix CRC mismatch: the file says 0x{:08x}, its contents give 0x{:08x}".format(
                crc, want
            )
        )
    if (vendor, product) != tuple(usb_id):
        raise DfuError(
            "wrong VID:PID {} in the suffix: the STM32F405's DFU bootloader is {}".format(
                _usb_id(vendor, product), _usb_id(*usb_id)
            )
        )

    if n_images == 0:
        raise DfuError("no images: the prefix says 0 targets")
    images = []
    pos = _PREFIX.size
    for t in range(n_images):
        if pos + _TARGET.size > body:
            raise DfuError(
                "target {}: truncated target prefix ({} of {} bytes)".format(
                    t, body - pos, _TARGET.size
                )
            )
        sig, alt, named, name, t_size, n_elements = _TARGET.unpack_from(data, pos)
        if sig != b"Target":
            raise DfuError(
                "target {}: bad target signature {!r} (expected b'Target')".format(t, sig)
            )
        pos += _TARGET.size
        end = pos + t_size
        if end > body:
            raise DfuError(
                "target {}: size {} runs {} bytes past the end of the image data".format(
                    t, t_size, end - body
                )
            )
        if n_elements == 0:
            raise DfuError("target {}: no image elements".format(t))
        elements = []
        for e in range(n_elements):
            if pos + _ELEMENT.size > end:
                raise DfuError(
                    "target {}: element {} of {} lies past the target's {} bytes".format(
                        t, e, n_elements, t_size
                    )
                )
            address, e_size = _ELEMENT.unpack_from(data, pos)
            pos += _ELEMENT.size
            if pos + e_size > end:
                raise DfuError(
                    "target {} element {}: size {} runs past the end of its target".format(
                        t, e, e_size
                    )
                )
            elements.append(Element(address, data[pos : pos + e_size]))
            pos += e_size
        if pos != end:
            raise DfuError(
                "size fields inconsistent: target {} says {} bytes, its elements fill {}".format(
                    t, t_size, t_size - (end - pos)
                )
            )
        name = name.split(b"\0", 1)[0].decode("latin-1") if named else ""
        images.append(Image(alt, name, elements))
    if pos != body:
        raise DfuError(
            "size fields inconsistent: {} bytes after the last target".format(body - pos)
        )

    _check_addresses(images, flash)
    return DfuFile(images, vendor, product)


def _check_addresses(images, flash):
    lo, hi = flash
    spans = []
    for t, image in enumerate(images):
        if image.alt != 0:
            raise DfuError(
                "target {} is for alternate setting {}; internal flash is alt 0".format(
                    t, image.alt
                )
            )
        for e, el in enumerate(image.elements):
            start, stop = el.address, el.address + len(el.data)
            if start < lo or stop > hi:
                raise DfuError(
                    "element {} at {} is outside the STM32F405 flash {}".format(
                        e, _hex_range(start, stop), _hex_range(lo, hi)
                    )
                )
            spans.append((start, stop, e))
    spans.sort()
    for (a0, a1, ea), (b0, b1, eb) in zip(spans, spans[1:]):
        if b0 < a1:
            raise DfuError(
                "elements {} ({}) and {} ({}) overlap".format(
                    ea, _hex_range(a0, a1), eb, _hex_range(b0, b1)
                )
            )


def filesystem_clash(dfu, fs=PYBOARD_FILESYSTEM):
    """Why writing dfu (a DfuFile) would erase the board's filesystem, or None when it
    leaves those sectors alone. flash refuses such an image without --force."""
    lo, hi = fs
    for image in dfu.images:
        for e, el in enumerate(image.elements):
            start, stop = el.address, el.address + len(el.data)
            if start < hi and lo < stop:
                return "element {} at {} writes the filesystem's sectors {}".format(
                    e, _hex_range(start, stop), _hex_range(lo, hi))
    return None


def read(path, **kwargs):
    """parse() the file at path; a missing or unreadable file is a DfuError too."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DfuError("cannot read {}: {}".format(path, e.strerror)) from None
    return parse(data, **kwargs)


def describe(dfu):
    """One line per element, for the log before flashing."""
    lines = []
    for image in dfu.images:
        for el in image.elements:
            span = _hex_range(el.address, el.address + len(el.data))
            lines.append("{} ({} bytes)".format(span, len(el.data)))
    return lines
