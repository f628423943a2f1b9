"""usb.util: the few functions pydfu calls."""

import os

from .core import LAYOUT, USBError


def claim_interface(device, interface):
    pass


def dispose_resources(device):
    pass


def get_string(dev, index):
    # Reading a string descriptor opens the device: without the udev rule's permissions
    # ($FASTPATH_DFU_DENIED), libusb refuses as pyusb reports it.
    if os.environ.get("FASTPATH_DFU_DENIED"):
        raise USBError("[Errno 13] Access denied (insufficient permissions)")
    return LAYOUT
