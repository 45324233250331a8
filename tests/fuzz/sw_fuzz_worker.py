"""A fuzz worker: ``python sw_fuzz_worker.py TMPDIR`` reads one case a line on stdin (JSON:
``{"family": ..., "seed": ...}`` or ``{"family": ..., "fixed": ...}``), builds its input from the seed,
runs it in this process and answers one JSON line per case on stdout.

Reproduce one case by hand: ``python tests/fuzz/sw_fuzz_worker.py --case capture_file:123`` (or
``--case fixed:null_capture_file``) runs it and shows the outcome: a traceback only for an exception other than
sagewatch's clear errors.
"""

from __future__ import annotations

import faulthandler
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sw_fuzz_inputs import FuzzFailure  # noqa: E402


def families() -> dict[str, tuple[Callable, Callable]]:
    import sw_fuzz_datasets as datasets
    import sw_fuzz_job as job
    import sw_fuzz_records as records
    import sw_fuzz_serving as serving
    return {
        "capture_line": (records.generate_capture_line, records.run_capture_line),
        "ground_truth_line": (records.generate_ground_truth_line, records.run_ground_truth_line),
        "dataset_format": (records.generate_dataset_format, records.run_dataset_format),
        "statistics": (records.generate_statistics, records.run_statistics),
        "constraints": (records.generate_constraints, records.run_constraints),
        "dataset": (datasets.generate_dataset, datasets.run_dataset),
        "job": (job.generate_job, job.run_job),
        "cli": (job.generate_cli, job.run_cli),
        "monitor": (job.generate_monitor, job.run_cli),
        "serving": (serving.generate_request, serving.run_request),
        "selftest": (lambda rng, ctx: "ok", _selftest),
    }


def _selftest(action: str, ctx: Any) -> tuple[str, Any]:
    """Misbehaviour on request, to prove that the runner reports it (tests/fuzz/test_fuzz_runner.py)."""
    import signal
    if action == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif action == "hang":
        time.sleep(3600)
    elif action == "exit":
        os._exit(7)
    elif action == "raise":
        raise KeyError("a plain bug")
    elif action == "error":
        from sagewatch.errors import DatasetError
        raise DatasetError("a clear error")
    elif action == "wrong":
        raise FuzzFailure("a wrong result")
    elif action == "system_exit":
        raise SystemExit(3)
    return "ok", action


class Context:
    """What the cases of one worker share: a scratch folder and valid baseline documents."""

    def __init__(self, root: Path) -> None:
        import pyarrow as pa

        from sagewatch.constraints.suggest import suggest_constraints
        from sagewatch.profile.dataset import profile_tables
        from sagewatch.schemas.statistics import statistics_document
        self.root = root
        self._count = 0
        self._current: Path | None = None
        self.server = None
        rng = random.Random(11)
        table = pa.table({"x": [rng.gauss(5, 2) for _ in range(200)] + [None],
                          "n": [rng.randint(0, 9) for _ in range(201)],
                          "s": [rng.choice("ab") for _ in range(200)] + [None]})
        profile = profile_tables([table])
        self.valid_statistics = json.loads(json.dumps(statistics_document(profile)))
        self.valid_constraints = suggest_constraints(profile).to_dict()
        # a baseline large enough that KLL sketches compact when partial profiles merge (issue 11 §1)
        n = 6000
        self.identical_table = pa.table({
            "x": [round(rng.gauss(50, 20), 6) if i % 97 else None for i in range(n)],
            "n": [rng.randint(0, 10_000) for _ in range(n)],
            "s": [rng.choice(["a", "b", "c", "d"]) if i % 89 else None for i in range(n)]})
        identical = profile_tables([self.identical_table])
        self.identical_statistics = json.loads(json.dumps(statistics_document(identical)))
        self.identical_constraints = suggest_constraints(identical).to_dict()

    def fresh_dir(self) -> Path:
        """An empty folder for one case; the previous case's folder is removed."""
        if self._current is not None:
            shutil.rmtree(self._current, ignore_errors=True)
        self._count += 1
        self._current = self.root / f"case{self._count}"
        self._current.mkdir()
        return self._current


def build(case: dict[str, Any], ctx: Context) -> tuple[str, Any]:
    """The family and input of a case, a pure function of the case's seed or fixed name."""
    if "action" in case:
        return "selftest", case["action"]
    if "fixed" in case:
        from sw_fuzz_fixed import FIXED
        family, make = FIXED[case["fixed"]]
        return family, make(ctx)
    generate, _ = families()[case["family"]]
    return case["family"], generate(random.Random(f"{case['family']}:{case['seed']}"), ctx)


def run_case(case: dict[str, Any], ctx: Context) -> dict[str, Any]:
    from sagewatch.errors import SagewatchError
    started = time.perf_counter()
    try:
        family, value = build(case, ctx)
    except Exception as e:  # noqa: BLE001 - a defect of the fuzz itself, reported like any other
        return {"outcome": "bad", "detail": f"the fuzz could not build this case: {type(e).__name__}: {e}",
                "seconds": 0.0}
    _, run = families()[family]
    try:
        outcome, detail = run(value, ctx)
    except FuzzFailure as e:
        outcome, detail = "bad", f"wrong result: {e}"
    except SagewatchError as e:
        message = str(e).strip()
        outcome, detail = ("error", message[:300]) if message else ("bad", f"{type(e).__name__} with no message")
    except BaseException as e:  # noqa: BLE001 - every other exception is a defect the fuzz reports
        if isinstance(e, KeyboardInterrupt):
            raise
        frames = traceback.extract_tb(e.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)
                      if "/sagewatch/" in f.filename), frames[-1].name if frames else "?")
        outcome, detail = "bad", f"{type(e).__name__}: {str(e)[:200]} (at {where})"
    detail = str(detail).replace(str(ctx.root), "<scratch>")  # so that one cause reads the same in every case
    detail = re.sub(r"<scratch>/case\d+", "<case>", detail)
    return {"outcome": outcome, "detail": detail[:400], "seconds": round(time.perf_counter() - started, 3)}


def serve(root: Path) -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # code under test prints; keep the protocol stream clean
    faulthandler.enable(file=sys.stderr)
    ctx = Context(root)
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        case = json.loads(line)
        result = run_case(case, ctx)
        result["id"] = case["id"]
        protocol.write(json.dumps(result) + "\n")


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--case":
        family, _, key = argv[1].partition(":")
        case = {"id": argv[1], "family": family, **({"fixed": key} if family == "fixed" else {"seed": int(key)})}
        with tempfile.TemporaryDirectory() as folder:
            ctx = Context(Path(folder))
            print("input:", repr(build(case, ctx)[1])[:2000])
            family, value = build(case, ctx)
            from sagewatch.errors import SagewatchError
            try:
                print("outcome:", families()[family][1](value, ctx))
            except SagewatchError as e:  # a clear error is a correct outcome: no traceback for it
                print(f"outcome: error: {type(e).__name__}: {e}")
        return 0
    serve(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
