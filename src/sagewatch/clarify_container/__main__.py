"""``python -m sagewatch.clarify_container``: the Clarify processing container's entry point.

It ends as ``python -m sagewatch.job`` does (contract §4.4): ``/opt/ml/output/message`` and exit status 0, or a
``ClientError: …`` / ``AlgorithmError: …`` message and 255.
"""

from __future__ import annotations

from sagewatch.job.__main__ import run_entry_point


def main(environ=None) -> int:
    from sagewatch.clarify_container.run import run_clarify

    return run_entry_point(run_clarify, environ)


if __name__ == "__main__":
    from sagewatch.process_exit import run_and_exit

    run_and_exit(main)
