"""fastpath: placeholder until the kernel registry lands."""
