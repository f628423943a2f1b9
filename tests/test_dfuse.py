"""tools.dfuse against the built firmware.dfu, files written by MicroPython's own tools/dfu.py,
and corrupted copies of both: every defect is rejected, each with its own message.

Host only: these run once, whatever --target says.
"""

import importlib.util
import struct

import pytest

from tools import dfuse
from tools.build import firmware_path

# Offsets in a file tools/dfu.py writes with one target: prefix 11 bytes, target prefix 274.
_TARGET_AT = 11
_ELEMENTS_AT = 11 + 274


@pytest.fixture(scope="module")
def upstream(layout):
    """MicroPython's tools/dfu.py: the independent writer and CRC we check against."""
    dfu_py = layout.micropython / "tools" / "dfu.py"
    if not dfu_py.exists():
        pytest.fail("no {}; run: ./inv fetch".format(layout.rel(dfu_py)))
    spec = importlib.util.spec_from_file_location("upstream_dfu", dfu_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(pybv11_dfu):
    return pybv11_dfu.read_bytes()


def write(upstream, tmp_path, elements, device="0x0483:0xdf11"):
    """A .dfu written by upstream's dfu.build() from [(address, bytes)]."""
    path = tmp_path / "made.dfu"
    upstream.build(str(path), [[{"address": a, "data": d} for a, d in elements]], device)
    return path.read_bytes()


def reseal(upstream, data):
    """data with its suffix CRC recomputed by upstream, so only the edit is wrong."""
    data = bytes(data)
    return data[:-4] + struct.pack("<I", upstream.compute_crc(data[:-4]))


def patch(data, offset, fmt, *values):
    data = bytearray(data)
    struct.pack_into(fmt, data, offset, *values)
    return bytes(data)


def pad8(data):
    return data + bytes(-len(data) % 8)


# --- good files -------------------------------------------------------------------------


def test_built_file_holds_both_firmware_parts(built, layout):
    dfu = dfuse.parse(built)
    assert (dfu.vendor, dfu.product) == (0x0483, 0xDF11)
    assert len(dfu.images) == 1 and dfu.images[0].alt == 0
    elements = dfu.images[0].elements
    assert [e.address for e in elements] == [0x08000000, 0x08020000]
    # tools/dfu.py pads each part to 8 bytes.
    out = firmware_path(layout, "pybv11").parent
    assert elements[0].data == pad8((out / "firmware0.bin").read_bytes())
    assert elements[1].data == pad8((out / "firmware1.bin").read_bytes())


def test_crc_is_the_one_upstream_writes(built, upstream):
    stored = struct.unpack("<I", built[-4:])[0]
    assert dfuse.dfu_crc(built[:-4]) == upstream.compute_crc(built[:-4]) == stored


@pytest.mark.parametrize(
    "elements",
    [
        [(0x08000000, b"\x01")],
        [(0x08000000, bytes(range(256)) * 3), (0x08020000, b"abc")],
        # The last byte of flash is fine.
        [(0x080FFFF8, bytes(8))],
        [(0x08000000, b"")],
    ],
    ids=["one-byte", "two-parts", "top-of-flash", "empty-element"],
)
def test_upstream_files_parse_back(upstream, tmp_path, elements):
    dfu = dfuse.parse(write(upstream, tmp_path, elements))
    got = [(e.address, e.data) for e in dfu.images[0].elements]
    assert got == [(a, pad8(d)) for a, d in elements]


def test_read_reports_a_missing_file(tmp_path):
    with pytest.raises(dfuse.DfuError, match="cannot read .*nothing.dfu"):
        dfuse.read(tmp_path / "nothing.dfu")


# --- corrupted copies of the built file -------------------------------------------------


def _flip_payload(data, upstream):
    data = bytearray(data)
    data[_ELEMENTS_AT + 8 + 100] ^= 0x01  # inside the first element's data
    return bytes(data)


def _truncate(data, upstream):
    return data[: len(data) // 2]


def _wrong_address(data, upstream):
    # Move the first element to just past the end of flash, CRC made valid again.
    return reseal(upstream, patch(data, _ELEMENTS_AT, "<I", 0x08100000))


def _wrong_usb_id(data, upstream):
    # Suffix: bcdDevice, idProduct, idVendor at -16; CRC made valid again.
    return reseal(upstream, patch(data, len(data) - 16, "<HHH", 0, 0x5740, 0x0483))


CORRUPTIONS = {
    "bad-crc": (_flip_payload, r"^suffix CRC mismatch: the file says 0x[0-9a-f]{8}, its "
                               r"contents give 0x[0-9a-f]{8}$"),
    "truncated": (_truncate, r"^truncated: the prefix says \d+ bytes plus a 16-byte suffix, "
                             r"the file has \d+$"),
    # {end}: past the moved element, whose size is the build's (it differs between releases).
    "wrong-address": (_wrong_address, r"^element 0 at 0x08100000-{end} is outside the "
                                      r"STM32F405 flash 0x08000000-0x08100000$"),
    "wrong-vid-pid": (_wrong_usb_id, r"^wrong VID:PID 0483:5740 in the suffix: the STM32F405's "
                                     r"DFU bootloader is 0483:df11$"),
}


def _end_of_moved_element(data):
    size = int.from_bytes(data[_ELEMENTS_AT + 4 : _ELEMENTS_AT + 8], "little")
    return "0x{:08x}".format(0x08100000 + size)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_corrupted_built_file_is_rejected(built, upstream, name):
    corrupt, message = CORRUPTIONS[name]
    message = message.replace("{end}", _end_of_moved_element(built))
    with pytest.raises(dfuse.DfuError, match=message):
        dfuse.parse(corrupt(built, upstream))


def test_each_corruption_has_its_own_message(built, upstream):
    messages = set()
    for corrupt, _ in CORRUPTIONS.values():
        with pytest.raises(dfuse.DfuError) as e:
            dfuse.parse(corrupt(built, upstream))
        messages.add(str(e.value).split(":")[0])
    assert len(messages) == len(CORRUPTIONS)


# --- every other defect, on small files upstream writes ---------------------------------


def _small(upstream, tmp_path):
    return write(upstream, tmp_path, [(0x08000000, bytes(range(16)))])


DEFECTS = [
    ("tiny", lambda d, u: d[:10], r"^truncated: 10 bytes is too short"),
    ("prefix-signature", lambda d, u: reseal(u, b"DfuXe" + d[5:]), r"^bad prefix signature"),
    ("prefix-version", lambda d, u: reseal(u, patch(d, 5, "<B", 2)),
     r"^unsupported DfuSe version 2"),
    ("prefix-size-short", lambda d, u: reseal(u, patch(d, 6, "<I", len(d) - 16 - 8)),
     r"^size fields inconsistent: the prefix says"),
    ("prefix-size-long", lambda d, u: reseal(u, patch(d, 6, "<I", len(d) - 16 + 8)),
     r"^truncated: the prefix says"),
    ("trailing-bytes", lambda d, u: reseal(u, d[:-16] + bytes(8) + d[-16:]),
     r"^size fields inconsistent: the prefix says"),
    ("suffix-signature", lambda d, u: reseal(u, d[:-8] + b"DFU" + d[-5:]), r"^bad DFU suffix"),
    ("suffix-length", lambda d, u: reseal(u, patch(d, len(d) - 5, "<B", 12)), r"^bad DFU suffix"),
    ("no-targets", lambda d, u: reseal(u, patch(d, 10, "<B", 0)), r"^no images"),
    ("target-prefix-missing", lambda d, u: reseal(u, patch(d, 10, "<B", 2)),
     r"^target 1: truncated target prefix \(0 of 274 bytes\)"),
    ("target-signature", lambda d, u: reseal(u, d[:_TARGET_AT] + b"Tarjet" + d[_TARGET_AT + 6:]),
     r"^target 0: bad target signature"),
    ("target-size-long", lambda d, u: reseal(u, patch(d, _TARGET_AT + 266, "<I", 10_000)),
     r"^target 0: size 10000 runs \d+ bytes past the end"),
    ("target-size-short", lambda d, u: reseal(u, patch(d, _TARGET_AT + 266, "<I", 8)),
     r"^target 0 element 0: size 16 runs past the end of its target"),
    ("no-elements", lambda d, u: reseal(u, patch(d, _TARGET_AT + 270, "<I", 0)),
     r"^target 0: no image elements"),
    ("element-count-high", lambda d, u: reseal(u, patch(d, _TARGET_AT + 270, "<I", 2)),
     r"^target 0: element 1 of 2 lies past"),
    ("element-size-short", lambda d, u: reseal(u, patch(d, _ELEMENTS_AT + 4, "<I", 8)),
     r"^size fields inconsistent: target 0 says 24 bytes, its elements fill 16"),
    ("alt-setting", lambda d, u: reseal(u, patch(d, _TARGET_AT + 6, "<B", 1)),
     r"^target 0 is for alternate setting 1"),
    ("below-flash", lambda d, u: reseal(u, patch(d, _ELEMENTS_AT, "<I", 0x07FFFFF0)),
     r"^element 0 at 0x07fffff0-0x08000000 is outside"),
    ("straddles-top", lambda d, u: reseal(u, patch(d, _ELEMENTS_AT, "<I", 0x080FFFF8)),
     r"^element 0 at 0x080ffff8-0x08100008 is outside"),
    ("in-sram", lambda d, u: reseal(u, patch(d, _ELEMENTS_AT, "<I", 0x20000000)),
     r"^element 0 at 0x20000000-0x20000010 is outside"),
]


@pytest.mark.parametrize("name, corrupt, message", DEFECTS, ids=[d[0] for d in DEFECTS])
def test_defect_is_rejected(upstream, tmp_path, name, corrupt, message):
    with pytest.raises(dfuse.DfuError, match=message):
        dfuse.parse(corrupt(_small(upstream, tmp_path), upstream))


def test_overlapping_elements_are_rejected(upstream, tmp_path):
    data = write(upstream, tmp_path, [(0x08000000, bytes(64)), (0x08000020, bytes(8))])
    with pytest.raises(dfuse.DfuError, match=r"^elements 0 \(0x08000000-0x08000040\) and 1 "):
        dfuse.parse(data)


def test_wrong_device_from_upstream_writer(upstream, tmp_path):
    data = write(upstream, tmp_path, [(0x08000000, b"x")], device="0x1209:0x0001")
    with pytest.raises(dfuse.DfuError, match=r"^wrong VID:PID 1209:0001"):
        dfuse.parse(data)


def test_address_past_flash_from_upstream_writer(upstream, tmp_path):
    data = write(upstream, tmp_path, [(0x08100000, b"x")])
    with pytest.raises(dfuse.DfuError, match=r"outside the STM32F405 flash"):
        dfuse.parse(data)


# --- the board's filesystem ----------------------------------------------------------------


@pytest.mark.parametrize("elements, clash", [
    ([(0x08000000, b"\x01" * 0x4000)], None),  # sector 0, up to the filesystem
    ([(0x08020000, b"\x01" * 64)], None),  # from sector 5 on
    ([(0x08000000, b"\x01" * 0x4008)], "element 0 at 0x08000000-0x08004008"),
    ([(0x08000000, b"\x01" * 8), (0x0801FFF8, b"\x02" * 16)], "element 1 at 0x0801fff8-"),
    ([(0x08010000, b"\x01" * 8)], "element 0 at 0x08010000-0x08010008"),  # sector 4
])
def test_elements_in_the_filesystem_sectors(upstream, tmp_path, elements, clash):
    # Sectors 1-4 (0x08004000-0x0801FFFF) hold /flash: a valid image that writes there wipes
    # the user's files, so flash refuses it without --force.
    dfu = dfuse.parse(write(upstream, tmp_path, elements))
    found = dfuse.filesystem_clash(dfu)
    if clash is None:
        assert found is None
    else:
        assert found.startswith(clash)
        assert found.endswith("writes the filesystem's sectors 0x08004000-0x08020000")


def test_built_image_leaves_the_filesystem_alone(built):
    assert dfuse.filesystem_clash(dfuse.parse(built)) is None
