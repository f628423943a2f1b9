# fastpath unix-asan variant: the fastpath unix variant (same modules, C module and frozen
# package) built with AddressSanitizer and UndefinedBehaviorSanitizer: the suite's unix-asan
# target (tests/conftest.py).
# Any report aborts the process with a non-zero exit status and the report on stderr.
include $(VARIANT_DIR)/../unix/mpconfigvariant.mk

# As MicroPython's own CI builds the unix port with sanitizers (tools/ci.sh after v1.25,
# CI_UNIX_OPTS_SANITIZE_ADDRESS and _UNDEFINED), with two differences: UBSan does not recover
# (a report is an exit, not a message), and frames keep their pointers so that reports name
# the call chain.
# asan-use-after-return=0: no instrumentation for stack-use-after-return, whose fake stack
# frames live on the heap where MicroPython's conservative GC, scanning the C stack, would not
# see the pointers they hold (and would free live objects).
# nonnull-attribute: left out as upstream does (the runtime hands NULL with length 0 to libc
# functions declared nonnull, such as memcpy).
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize=nonnull-attribute \
	-fno-sanitize-recover=all --param asan-use-after-return=0
CFLAGS += $(SANITIZE_FLAGS) -fno-omit-frame-pointer
LDFLAGS += $(SANITIZE_FLAGS)

# Keep the symbols, so that a report names functions and lines.
STRIP =
