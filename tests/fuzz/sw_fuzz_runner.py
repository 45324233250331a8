"""Run fuzz cases in worker subprocesses, so that a crash or a hang of one case is a reported result.

Each worker answers one case at a time; a case that takes longer than its limit is a hang (the worker is
killed), a worker that dies is a crash (its exit status or signal is recorded); either way a fresh worker
takes the next case.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

WORKER = Path(__file__).resolve().parent / "sw_fuzz_worker.py"
STARTUP_SECONDS = 120.0


class _Worker:
    def __init__(self, scratch: Path, log: Path) -> None:
        scratch.mkdir(parents=True, exist_ok=True)
        self.log_path = log
        self._log = open(log, "ab")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.process = subprocess.Popen([sys.executable, str(WORKER), str(scratch)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self._log, env=env, start_new_session=True)
        self._buffer = b""
        try:
            line = self.read_line(STARTUP_SECONDS)
        except EOFError:
            line = None
        if line is None or not line.get("ready"):
            self.stop()
            raise RuntimeError(f"a fuzz worker did not start: {self.log_tail()}")

    def read_line(self, timeout: float) -> dict[str, Any] | None:
        """The next JSON line, or None on a time-out; EOFError when the worker is gone."""
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError("the worker closed its output")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def send(self, case: dict[str, Any]) -> None:
        self.process.stdin.write((json.dumps(case) + "\n").encode())
        self.process.stdin.flush()

    def log_tail(self, size: int = 600) -> str:
        data = self.log_path.read_bytes()[-size:]
        return data.decode("utf-8", "replace").strip().replace("\n", " | ")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        self._log.close()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"worker exited with status {code}"


def run_cases(cases: list[dict[str, Any]], scratch: Path, *, workers: int = 2, case_seconds: float = 20.0,
              deadline_seconds: float = 900.0) -> list[dict[str, Any]]:
    """Run every case; return one result a case (``id``, ``outcome``, ``detail``, ``seconds``)."""
    queue = deque(cases)
    lock = threading.Lock()
    results: list[dict[str, Any]] = []
    stop_at = time.monotonic() + deadline_seconds
    failures: list[BaseException] = []

    def take() -> dict[str, Any] | None:
        with lock:
            return queue.popleft() if queue else None

    def slot(number: int) -> None:
        worker: _Worker | None = None
        restarts = 0
        try:
            while (case := take()) is not None:
                if time.monotonic() > stop_at:
                    results.append({"id": case["id"], "outcome": "bad", "detail": "not run: the fuzz run's "
                                    "time budget was used up by earlier cases", "seconds": 0})
                    continue
                if worker is None:
                    worker = _Worker(scratch / f"w{number}-{restarts}", scratch / f"w{number}.log")
                    restarts += 1
                try:
                    worker.send(case)
                    answer = worker.read_line(case_seconds)
                    detail = f"hang: no answer within {case_seconds:.0f} s"
                except (EOFError, BrokenPipeError):
                    answer = None
                    try:
                        worker.process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        pass
                    detail = f"crash: {_describe_exit(worker.process.poll())}; {worker.log_tail()}"
                if answer is None:
                    worker.stop()
                    results.append({"id": case["id"], "outcome": "bad", "detail": detail,
                                    "seconds": case_seconds})
                    worker = None
                    continue
                results.append(answer)
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            failures.append(e)
        finally:
            if worker is not None:
                worker.stop()

    threads = [threading.Thread(target=slot, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results
