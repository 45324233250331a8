"""``python -m sagewatch.job``: the Model Monitor analyzer container's entry point (contract §4).

Whatever happens, the job ends with a message in ``/opt/ml/output/message`` and exit status 0
(completed) or 255 (failed): errors of the input are ``ClientError: …``; anything else,
``SystemExit`` from user code, ``RecursionError``, ``MemoryError`` and an interrupt included,
is ``AlgorithmError: <type>: …``.
"""

from __future__ import annotations

import sys
import traceback

from sagewatch.errors import SagewatchError
from sagewatch.job.process import configure_process
from sagewatch.job.run import run_job
from sagewatch.job.spec import OptMlPaths, parse_job_spec

FAILURE_EXIT_CODE = 255


def _write_message(path, text: str, *, overwrite: bool) -> None:
    try:
        if path.exists() and not overwrite:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        print(f"sagewatch: cannot write {path}: {e}", file=sys.stderr)


def _algorithm_error(e: BaseException) -> str:
    try:
        text = f"AlgorithmError: {type(e).__name__}: {e}"
    except BaseException:  # noqa: BLE001 - str() of the exception failed too
        text = f"AlgorithmError: {type(e).__name__}"
    return text[:1024]


def export_user_environment(spec) -> None:
    """Settings of processingjobconfig.json that are not the analyzer's own reach user scripts as
    environment variables, as in the analyzer container (contract §4.3); the process environment wins."""
    import os
    for key, value in spec.extra_environment.items():
        os.environ.setdefault(key, value)


def run_entry_point(work, environ=None) -> int:
    """The container contract around ``work(env) -> exit message``: the message file and exit status 0, or a
    ``ClientError``/``AlgorithmError`` message and 255 (the Clarify container shares it)."""
    import os
    env = dict(os.environ if environ is None else environ)
    configure_process()
    paths = OptMlPaths.from_env(env)
    try:  # a message left by an earlier run in the same folder must not stand for this run
        paths.message_file.unlink(missing_ok=True)
    except OSError:
        pass
    try:
        message = work(env)
    except SagewatchError as e:
        text = f"ClientError: {e}"
        print(f"sagewatch job failed: {e}", file=sys.stderr)
        _write_message(paths.message_file, text[:1024], overwrite=False)
        return FAILURE_EXIT_CODE
    except BaseException as e:  # noqa: BLE001 - the container contract: any failure -> message + 255
        _write_message(paths.message_file, _algorithm_error(e), overwrite=False)
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001 - e.g. MemoryError again: the message is written already
            pass
        return FAILURE_EXIT_CODE
    _write_message(paths.message_file, message, overwrite=True)
    print(message)
    return 0


def _analyze(env: dict[str, str]) -> str:
    spec = parse_job_spec(env)
    export_user_environment(spec)
    return run_job(spec).message


def main(environ=None) -> int:
    return run_entry_point(_analyze, environ)


if __name__ == "__main__":
    from sagewatch.process_exit import run_and_exit

    run_and_exit(main)
