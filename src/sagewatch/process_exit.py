"""Leaving a sagewatch command-line process once its work and output are done.

After an error, a pyarrow reader can be left open in a suspended generator; when the interpreter then finalizes,
Arrow's native thread pool may abort the process ("terminate called without an active exception", exit -6)
after the right message was already printed. The entry points therefore flush everything and leave with
``os._exit``, skipping the finalization that nothing of theirs needs (every file is written and closed by then).
Library functions (``main`` of the CLI and of the job, which tests call in process) never exit this way.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

__all__ = ["exit_process", "run_and_exit"]


def exit_process(code: int | None) -> NoReturn:
    """Flush logging, stdout and stderr, then end the process with *code* without interpreter finalization."""
    status = int(code or 0)
    try:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    finally:
        os._exit(status)


def run_and_exit(main: Callable[[], int | None]) -> NoReturn:
    """Run an entry point's *main* and leave with :func:`exit_process`, ``SystemExit`` (argparse's usage errors)
    included: its code is the exit status, a text code is printed to stderr with status 1, as Python does."""
    try:
        code = main()
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    exit_process(code)
