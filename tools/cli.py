"""The command line of ./inv: invoke's own, on tasks.py, with one addition.

invoke spells a one-letter option only short (new-kernel's -c); this program takes the long
spelling too (--c), as the README writes it. Run as `python -m tools.cli TASK ...`.
"""

from invoke import Program


class FastpathProgram(Program):
    def _make_parser(self):
        parser = super()._make_parser()
        for context in parser.contexts.values():
            for name in list(context.args):
                if len(name) == 1 and "--" + name not in context.flags:
                    context.flags.alias("--" + name, to="-" + name)
        return parser


program = FastpathProgram(name="fastpath", binary="inv", binary_names=["inv"])

if __name__ == "__main__":
    program.run()
