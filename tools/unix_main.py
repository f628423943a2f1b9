"""What UnixTarget runs on the unix port: `micropython unix_main.py TEST.py` executes TEST.py
and, when it raises, prints the traceback to stderr and exits with status 1.

The unix port prints an uncaught exception to stderr up to MicroPython v1.26, and to stdout
from v1.27 on (its main.c now runs files through shared/runtime/pyexec.c, which prints with
mp_plat_print). Catching the exception here gives the harness the same streams and exit
status on every release, whatever the interpreter's own wording. MicroPython only.
"""

import sys


def main(path):
    # Imports look beside the test, as when the test itself is the script, not in tools/.
    sys.path[0] = path.rsplit("/", 1)[0] or "/"
    with open(path) as f:
        code = compile(f.read(), "<test>", "exec")
    try:
        exec(code, {"__name__": "__main__"})
    except SystemExit:
        raise
    except BaseException as e:
        sys.print_exception(e, sys.stderr)
        sys.exit(1)


main(sys.argv[1])
