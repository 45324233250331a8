"""The entry points leave through sagewatch.process_exit: flushed output, the right status, no finalization."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAM = """
import atexit, sys
from sagewatch.process_exit import run_and_exit
atexit.register(lambda: print("finalized", file=sys.stderr))
def main():
    sys.stdout.write("partial line without a newline")
    print("to stderr", file=sys.stderr, end="")
    {body}
run_and_exit(main)
"""


@pytest.mark.parametrize("body, status, stderr_tail", [
    ("return 0", 0, ""),
    ("return None", 0, ""),
    ("return 3", 3, ""),
    ("raise SystemExit(2)", 2, ""),
    ("raise SystemExit('bad usage')", 1, "bad usage\n"),
])
def test_run_and_exit_flushes_and_exits_with_the_status_without_finalizing(body, status, stderr_tail):
    done = subprocess.run([sys.executable, "-c", PROGRAM.format(body=body)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == status
    assert done.stdout == "partial line without a newline"
    assert done.stderr == "to stderr" + stderr_tail  # no "finalized": atexit handlers do not run


def test_the_console_script_and_the_job_modules_use_it():
    from pathlib import Path
    import sagewatch
    root = Path(sagewatch.__file__).parent
    for module in ("__main__.py", "job/__main__.py", "job/merge.py"):
        assert "run_and_exit(main)" in (root / module).read_text(), module
    from sagewatch.cli import console_main
    assert "run_and_exit(main)" in Path(sys.modules[console_main.__module__].__file__).read_text()
