"""Not collected by the suite: test_harness.py runs it in a child pytest and kills that
child mid-test, to prove no emulator outlives it."""


def test_hang(target):
    print("started", flush=True)
    target.run("while True:\n    pass\n", timeout=600)
