"""MicroPython's tools/pydfu.py with what it lacks for a verified flash: a read-back.

pydfu writes a .dfu and leaves DFU mode in one go (``pydfu.py -u FILE``), and has no way to
read flash back. This script drives pydfu's own functions (from the fetched MicroPython tree)
the way flash.py drives dfu-util, one step per run:

    pydfu_rw.py --pydfu PATH -D FILE           write a .dfu's elements, stay in DFU mode
    pydfu_rw.py --pydfu PATH -s ADDR:LEN -U OUT read LEN bytes from ADDR into OUT
    pydfu_rw.py --pydfu PATH --leave           leave DFU mode: start the firmware

The read is DfuSe's UPLOAD (ST AN3156): set the address pointer, return to dfuIDLE, then
UPLOAD requests with block numbers from 2; block n reads wTransferSize bytes at
address + (n - 2) * wTransferSize. Exit status: 0 done, 74 a USB error, 64 bad usage.
"""

import argparse
import importlib.util
import sys

_DFU_UPLOAD = 2
EX_USAGE, EX_IOERR = 64, 74


def load_pydfu(path):
    spec = importlib.util.spec_from_file_location("pydfu", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _device(pydfu):
    # pydfu keeps its device and descriptor in module globals named __dev and __cfg_descr.
    return getattr(pydfu, "__dev"), getattr(pydfu, "__cfg_descr")


def read_memory(pydfu, address, size):
    """size bytes of the device's memory from address, by DfuSe UPLOAD."""
    dev, descr = _device(pydfu)
    block = descr.wTransferSize
    pydfu.set_address(address)
    pydfu.abort_request()  # dfuDNLOAD-IDLE -> dfuIDLE: an UPLOAD must start from there
    data = bytearray()
    n = 2
    while len(data) < size:
        want = min(block, size - len(data))
        chunk = dev.ctrl_transfer(0xA1, _DFU_UPLOAD, n, 0, want, 20000)
        if len(chunk) == 0:
            break
        data += bytes(chunk)
        n += 1
    pydfu.abort_request()
    return bytes(data[:size])


def _address_length(text):
    address, _, length = text.partition(":")
    return int(address, 0), int(length, 0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pydfu", required=True, help="MicroPython's tools/pydfu.py")
    parser.add_argument("--vid", type=lambda x: int(x, 0), default=0x0483)
    parser.add_argument("--pid", type=lambda x: int(x, 0), default=0xDF11)
    parser.add_argument("-D", dest="download", help="a .dfu file to write")
    parser.add_argument("-U", dest="upload", help="where to write what is read")
    parser.add_argument("-s", dest="span", help="ADDR:LEN to read with -U")
    parser.add_argument("--leave", action="store_true", help="leave DFU mode at the end")
    args = parser.parse_args(argv)
    if args.upload and not args.span:
        parser.error("-U needs -s ADDR:LEN")
    if not (args.download or args.upload or args.leave):
        parser.error("nothing to do: give -D, -U or --leave")

    pydfu = load_pydfu(args.pydfu)
    import usb.core

    try:
        pydfu.init(idVendor=args.vid, idProduct=args.pid)
        if args.download:
            elements = pydfu.read_dfu_file(args.download)
            if not elements:
                print("pydfu_rw: no data in {}".format(args.download), file=sys.stderr)
                return EX_USAGE
            print("Writing memory...")
            pydfu.write_elements(elements, False, progress=pydfu.cli_progress)
            print("Done writing {} elements".format(len(elements)))
        if args.upload:
            address, length = _address_length(args.span)
            data = read_memory(pydfu, address, length)
            with open(args.upload, "xb") as f:  # as dfu-util -U: never over an existing file
                f.write(data)
            print("Upload done: {} bytes from 0x{:08x}".format(len(data), address))
        if args.leave:
            print("Exiting DFU...")
            pydfu.exit_dfu()
    except (usb.core.USBError, ValueError, SystemExit) as e:
        print("pydfu_rw: {}".format(e), file=sys.stderr)
        return EX_IOERR
    return 0


if __name__ == "__main__":
    sys.exit(main())
