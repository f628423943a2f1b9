"""A stand-in for dfu-util that plays a Pyboard's STM32 ROM bootloader over a simulated flash.

tests/test_flash.py installs it as `dfu-util` first on PATH. It writes DfuSe elements into
flash.bin (1 MiB, 0xFF where erased, erased by the STM32F405's sectors as the bootloader
does), reads them back for -U with -s ADDR:LEN, and on request misbehaves as a real board
can. Its state is a folder (--state):

    board        "dfu" (in DFU mode), "app" (running its firmware) or "gone" (off the bus)
    listing      if present, what -l prints instead of the board's own listing
    config.json  {"version": "0.11" or "0.9" (0.9 prints "done parsing" in lowercase, and
                  a device it may not open without the reason),
                  "denied": the first N listings (-1: all) cannot open the board (udev has
                  not applied the rule's permissions yet, or there is no rule): it is left
                  out of the list with dfu-util's warning,
                  "other_denied": true (another DFU-class device, a Bluetooth adapter's
                  runtime DFU interface, that the user may not open; listed even with -d,
                  the worst case),
                  "corrupt": [element, offset] (that byte is written wrong),
                  "cut": element (the board drops off the bus halfway through it),
                  "leave": "ok" or "error" (the leave request ends in exit 74, as the
                  ROM bootloader often does, though the board does leave)}
    calls.jsonl  the arguments of every run

Exit codes as dfu-util's: 74 (EX_IOERR) for a USB failure, 64 (EX_USAGE) for bad usage.
"""

import json
import struct
import sys
from pathlib import Path

FLASH = (0x08000000, 0x08100000)
# STM32F405 flash sectors: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB.
SECTORS = [(0x08000000 + i * 0x4000, 0x4000) for i in range(4)] + [(0x08010000, 0x10000)] + [
    (0x08020000 + i * 0x20000, 0x20000) for i in range(7)
]
LISTING = (
    'Found DFU: [0483:df11] ver=2200, devnum=7, cfg=1, intf=0, path="1-1", alt=3, '
    'name="@Device Feature/0xFFFF0000/01*004 e", serial="3276337B3234"\n'
    'Found DFU: [0483:df11] ver=2200, devnum=7, cfg=1, intf=0, path="1-1", alt=0, '
    'name="@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", serial="3276337B3234"\n'
)
EX_USAGE, EX_CANTCREAT, EX_IOERR = 64, 73, 74
BLUETOOTH = ("8087:0a2b", 3)  # an Intel Bluetooth adapter: id, devnum


def cannot_open(usb_id, devnum, old):
    # dfu-util's warnx() from probe_devices(); 0.9 gives no devnum and no reason.
    if old:
        return "dfu-util: Cannot open DFU device {}\n".format(usb_id)
    return "dfu-util: Cannot open DFU device {} found on devnum {} (LIBUSB_ERROR_ACCESS)\n" \
        .format(usb_id, devnum)


class Board:
    def __init__(self, state):
        self.dir = Path(state)
        self.config = {"version": "0.11", "corrupt": None, "cut": None, "leave": "ok",
                       "denied": 0, "other_denied": False}
        path = self.dir / "config.json"
        if path.exists():
            self.config.update(json.loads(path.read_text()))
        self.flash_path = self.dir / "flash.bin"
        if not self.flash_path.exists():
            self.flash_path.write_bytes(b"\xff" * (FLASH[1] - FLASH[0]))

    @property
    def state(self):
        path = self.dir / "board"
        return path.read_text().strip() if path.exists() else "dfu"

    @state.setter
    def state(self, value):
        (self.dir / "board").write_text(value)

    def read(self, address, length):
        data = self.flash_path.read_bytes()
        return data[address - FLASH[0] : address - FLASH[0] + length]

    def write(self, address, data):
        flash = bytearray(self.flash_path.read_bytes())
        flash[address - FLASH[0] : address - FLASH[0] + len(data)] = data
        self.flash_path.write_bytes(bytes(flash))

    def erase(self, address, length):
        for start, size in SECTORS:
            if start < address + length and address < start + size:
                self.write(start, b"\xff" * size)


def elements(data):
    """[(address, bytes)] of a DfuSe file (its own small parser, independent of tools/)."""
    _, _, _, targets = struct.unpack_from("<5sBIB", data)
    pos, found = 11, []
    for _ in range(targets):
        n = struct.unpack_from("<I", data, pos + 270)[0]
        pos += 274
        for _ in range(n):
            address, size = struct.unpack_from("<II", data, pos)
            found.append((address, data[pos + 8 : pos + 8 + size]))
            pos += 8 + size
    return found


def bar(what, size):
    return "{}\t[=========================] 100%     {:8d} bytes".format(what, size)


def leave(board):
    print("Submitting leave request...")
    board.state = "app"  # the board leaves DFU mode even when the request's status is lost
    if board.config["leave"] == "error":
        print("dfu-util: Error during download get_status", file=sys.stderr)
        return EX_IOERR
    print("Transitioning to dfuMANIFEST state")
    return 0


def download(board, path, options):
    old = board.config["version"] == "0.9"
    data = Path(path).read_bytes()
    found = elements(data)
    print("Opening DFU capable USB device...")
    print("File contains 1 DFU images")
    print("{}arsing DFU image 1".format("p" if old else "P"))
    for i, (address, payload) in enumerate(found):
        print("{}arsing element {}, address = 0x{:08x}, size = {}".format(
            "p" if old else "P", i + 1, address, len(payload)))
        board.erase(address, len(payload))
        print(bar("Erase   ", len(payload)))
        if board.config["cut"] == i:
            half = len(payload) // 2
            board.write(address, payload[:half])
            print("Download\t[============             ]  50%     {:8d} bytes".format(half),
                  flush=True)
            print("dfu-util: Error during download get_status", file=sys.stderr)
            board.state = "gone"  # dropped off the bus mid-transfer
            return EX_IOERR
        if board.config["corrupt"] and board.config["corrupt"][0] == i:
            at = board.config["corrupt"][1]
            payload = payload[:at] + bytes([payload[at] ^ 0x10]) + payload[at + 1 :]
        board.write(address, payload)
        print(bar("Download", len(payload)))
        print("Download done.")
    print("{}one parsing DfuSe file".format("d" if old else "D"))
    return leave(board) if "leave" in options else 0


def upload(board, path, options):
    address, length = int(options[0], 0), int(options[1], 0)
    if Path(path).exists():
        print("dfu-util: Cannot open file {} for writing".format(path), file=sys.stderr)
        return EX_CANTCREAT
    print("Opening DFU capable USB device...")
    data = board.read(address, length)
    Path(path).write_bytes(data)
    print(bar("Upload  ", len(data)))
    print("Upload done.")
    return leave(board) if "leave" in options else 0


def list_devices(board):
    old = board.config["version"] == "0.9"
    if board.config["other_denied"]:
        sys.stderr.write(cannot_open(*BLUETOOTH, old))
    listing = board.dir / "listing"
    if listing.exists():
        sys.stdout.write(listing.read_text())
        return 0
    if board.state != "dfu":
        return 0
    polls = board.dir / "polls"
    n = int(polls.read_text()) + 1 if polls.exists() else 1
    polls.write_text(str(n))
    denied = board.config["denied"]
    if denied == -1 or n <= denied:
        sys.stderr.write(cannot_open("0483:df11", 7, old))
    else:
        sys.stdout.write(LISTING)
    return 0


def main(argv):
    state = argv[argv.index("--state") + 1]
    args = argv[: argv.index("--state")] + argv[argv.index("--state") + 2 :]
    board = Board(state)
    with open(board.dir / "calls.jsonl", "a") as f:
        f.write(json.dumps(args) + "\n")
    print("dfu-util {}\n".format(board.config["version"]))
    if "-l" in args:
        return list_devices(board)
    options = args[args.index("-s") + 1].split(":") if "-s" in args else []
    # 0.10 and later take -s alone ("DfuSe command mode"); 0.9 wants -D or -U.
    command_mode = options and board.config["version"] != "0.9"
    if "-D" not in args and "-U" not in args and not command_mode:
        print("You need to specify one of -D or -U", file=sys.stderr)
        return EX_USAGE
    if board.state != "dfu":
        print("dfu-util: No DFU capable USB device available", file=sys.stderr)
        return EX_IOERR
    if "-D" not in args and "-U" not in args:
        print("DfuSe command mode")
        return leave(board) if "leave" in options else 0
    if "-D" in args:
        return download(board, args[args.index("-D") + 1], options)
    return upload(board, args[args.index("-U") + 1], options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
