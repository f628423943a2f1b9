"""usb.util: the few functions pydfu calls."""

from .core import LAYOUT


def claim_interface(device, interface):
    pass


def dispose_resources(device):
    pass


def get_string(dev, index):
    return LAYOUT
