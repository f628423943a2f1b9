"""usb.core: find() gives the one simulated bootloader while the board is in DFU mode."""

import os
import struct
from pathlib import Path

FLASH = (0x08000000, 0x08100000)
SECTORS = [(0x08000000 + i * 0x4000, 0x4000) for i in range(4)] + [(0x08010000, 0x10000)] + [
    (0x08020000 + i * 0x20000, 0x20000) for i in range(7)
]
LAYOUT = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"
XFER = 2048  # the ROM bootloader's wTransferSize
IDLE, DN_BUSY, DN_IDLE, MANIFEST, UP_IDLE = 2, 4, 5, 7, 9


class USBError(IOError):
    pass


class NoBackendError(ValueError):
    pass


class _Interface:
    bInterfaceClass, bInterfaceSubClass, iInterface = 0xFE, 1, 4
    # DFU functional descriptor: length, type 0x21, attributes, detach timeout, transfer
    # size, bcdDFU 1.1a
    extra_descriptors = list(struct.pack("<BBBHHH", 9, 0x21, 0x0B, 255, XFER, 0x011A))


class _Config(list):
    extra_descriptors = []

    def interfaces(self):
        return list(self)

    def __getitem__(self, key):
        return list.__getitem__(self, 0) if isinstance(key, tuple) else list.__getitem__(
            self, key)


class Device:
    idVendor, idProduct, bus, address = 0x0483, 0xDF11, 1, 7

    def __init__(self, state):
        self.dir = Path(state)
        self.flash_path = self.dir / "flash.bin"
        if not self.flash_path.exists():
            self.flash_path.write_bytes(b"\xff" * (FLASH[1] - FLASH[0]))
        self.state = IDLE
        self.pointer = FLASH[0]
        self.pending = None  # the DNLOAD that the next GETSTATUS executes
        self.corrupt = os.environ.get("FASTPATH_DFU_CORRUPT")

    def __iter__(self):
        return iter(self.configurations())

    def __getitem__(self, i):
        return self.configurations()[i]

    def configurations(self):
        return [_Config([_Interface()])]

    def set_configuration(self):
        pass

    def _flash(self):
        return bytearray(self.flash_path.read_bytes())

    def _execute(self, wvalue, data):
        flash = self._flash()
        if wvalue == 0 and len(data) == 5 and data[0] == 0x21:
            self.pointer = struct.unpack_from("<I", data, 1)[0]
        elif wvalue == 0 and len(data) == 5 and data[0] == 0x41:
            address = struct.unpack_from("<I", data, 1)[0]
            for start, size in SECTORS:
                if start <= address < start + size:
                    flash[start - FLASH[0] : start - FLASH[0] + size] = b"\xff" * size
        elif wvalue >= 2:
            address = self.pointer + (wvalue - 2) * XFER
            for i, b in enumerate(data):
                if self.corrupt and address + i == int(self.corrupt, 0):
                    b ^= 0x10
                flash[address - FLASH[0] + i] &= b  # programming only clears bits
        self.flash_path.write_bytes(bytes(flash))

    def ctrl_transfer(self, request_type, request, wvalue, windex, data=None, timeout=None):
        if (self.dir / "board").read_text().strip() != "dfu":
            raise USBError("[Errno 19] No such device (it may have been disconnected)")
        if request == 1:  # DNLOAD
            data = bytes(data or b"") if not isinstance(data, str) else data.encode("latin-1")
            if not data:
                self.pending, self.state = "leave", DN_BUSY
            else:
                self.pending, self.state = (wvalue, data), DN_BUSY
            return len(data)
        if request == 3:  # GETSTATUS
            state = self.state
            if self.pending == "leave":
                (self.dir / "board").write_text("app")
                self.pending, state = None, MANIFEST
            elif self.pending is not None:
                self._execute(*self.pending)
                self.pending, self.state = None, DN_IDLE
            return [0, 0, 0, 0, state, 0]
        if request in (4, 6):  # CLRSTATUS, ABORT
            self.state = IDLE
            return 0
        if request == 2:  # UPLOAD: only from dfuIDLE or dfuUPLOAD-IDLE, as the bootloader
            if self.state not in (IDLE, UP_IDLE) or wvalue < 2:
                raise USBError("[Errno 32] Pipe error")
            self.state = UP_IDLE
            address = self.pointer + (wvalue - 2) * XFER
            chunk = self._flash()[address - FLASH[0] : address - FLASH[0] + data]
            return list(chunk)
        raise USBError("[Errno 32] Pipe error")


def find(find_all=False, custom_match=None, idVendor=None, idProduct=None, **kwargs):
    state = os.environ.get("FASTPATH_DFU_STATE")
    devices = []
    board = Path(state) / "board" if state else None
    if board and board.exists() and board.read_text().strip() == "dfu":
        device = Device(state)
        if (idVendor in (None, device.idVendor) and idProduct in (None, device.idProduct)
                and (custom_match is None or custom_match(device))):
            devices.append(device)
    return devices if find_all else (devices[0] if devices else None)
