"""Mutation testing of the engine's core with mutmut, one package at a time.

Usage (from the repository root, with the interpreter that has sagewatch's dependencies)::

    .venv/bin/python scripts/mutation_test.py constraints [schemas drift ...] [--max-children 1]
    .venv/bin/python scripts/mutation_test.py constraints --survivors   # also print each survivor's diff

For each package it

1. creates (or reuses) a tool virtualenv under ``benchmarks/.work/mutation/venv`` holding mutmut
   (pinned below). The venv sees this interpreter's site-packages through a ``.pth`` file, so the
   project's own dependencies (pytest, numpy, pyarrow, ...) are the ones the tests normally run with
   and nothing is installed into the project environment;
2. prepares a scratch folder ``benchmarks/.work/mutation/<package>/`` whose ``pyproject.toml`` tells
   mutmut which files to mutate (``src/sagewatch/<package>/*``) and which test folders to run
   (``PACKAGES`` below), so a run stays within one package and its tests;
3. runs ``mutmut run`` there under a time limit and counts killed / survived / timeout / no-tests
   mutants, takes the equivalent mutants listed in ``scripts/mutation_equivalents.json`` (each with the
   changed source line it must still match, and why it is equivalent) out of the survivors, and prints
   the score ``killed / (all - equivalent)``.

Mutant names (``sagewatch.constraints.check.x__drift__mutmut_5``) are numbered per function, so an
edit to a function renumbers its mutants: an equivalents entry whose line no longer matches is reported
as stale and not subtracted. The results and the list of equivalents are kept in docs/mutation.md.
It is not run in CI: a package takes one to ten minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work" / "mutation"
VENV = WORK / "venv"
MUTMUT = "mutmut==3.8.1"
EQUIVALENTS = Path(__file__).resolve().parent / "mutation_equivalents.json"

# package -> the test files and folders that exercise it (mutmut runs, per mutant, only those of
# them that reach the mutated function)
PACKAGES: dict[str, list[str]] = {
    "constraints": ["tests/unit/constraints", "tests/unit/test_doctests.py"],
    # the statistics writer and reader are exercised from the profile, sketch, dataset and job tests too
    "schemas": ["tests/unit/schemas", "tests/unit/constraints", "tests/contract", "tests/unit/profile",
                "tests/unit/sketches", "tests/unit/datasets", "tests/unit/job", "tests/property",
                "tests/unit/test_doctests.py"],
    "drift": ["tests/unit/drift", "tests/unit/constraints", "tests/unit/test_doctests.py"],
    # tests/integration runs the entry point in child interpreters, which never see a mutant: the job is
    # tested in process by tests/unit/job
    "job": ["tests/unit/job", "tests/unit/test_doctests.py"],
    "profile": ["tests/unit/profile", "tests/unit/sketches", "tests/property", "tests/unit/constraints",
                "tests/contract", "tests/unit/test_doctests.py"],
    "sketches": ["tests/unit/sketches", "tests/unit/profile", "tests/property", "tests/unit/drift",
                 "tests/unit/test_doctests.py"],
}

# Tests left out of every run, with the reason: a test that fails on unmutated code stops mutmut.
DESELECT = {
    # fails on CPUs whose BLAS kernel rounds np.dot's last digit differently (issue 11 section 2)
    "tests/contract/test_file_formats.py::test_statistics_matches_golden_bytes",
    # imports sagewatch in a child interpreter, which sees the unmutated sources (or fails on mutmut's
    # trampolines), so it can neither kill a mutant nor pass mutmut's stats run
    "tests/unit/datasets/test_dataset_malformed_text.py::test_json_array_file_nested_100000_deep_does_not_crash",
    # loads benchmarks/calibrate_drift.py next to the tests, and mutmut copies only src/ and tests/
    "tests/unit/drift/test_calibrate_script.py",
}

# mutmut's exit code per mutant -> status (as mutmut.stats.status_by_exit_code); a mutant that
# crashes the test process (a signal) is detected, so it counts as killed
STATUS = {0: "survived", 1: "killed", 3: "killed", -11: "killed", -9: "killed",
          -24: "timeout", 24: "timeout", 36: "timeout", 152: "timeout", 255: "timeout",
          5: "no_tests", 33: "no_tests", 34: "skipped", 35: "suspicious", 37: "killed"}


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_tool_venv() -> Path:
    """Create (or reuse) the mutmut venv; it sees this interpreter's packages through a .pth file."""
    python = venv_python()
    marker = VENV / "mutmut.installed"
    if marker.exists() and marker.read_text() == MUTMUT and python.exists():
        return python
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"creating the mutmut venv under {VENV.relative_to(ROOT)} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, timeout=600)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # "zz" sorts last, so the venv's own packages (mutmut and its dependencies) come first
    Path(site, "zz-sagewatch-host.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", MUTMUT],
                   check=True, timeout=1800)
    marker.write_text(MUTMUT)
    return python


def prepare(package: str) -> Path:
    """A scratch folder with links to src/ and tests/ and a pyproject.toml that configures mutmut."""
    folder = WORK / package
    if folder.exists():
        shutil.rmtree(folder)  # a fresh run: mutmut's cache would keep results of older sources
    folder.mkdir(parents=True)
    for name in ("src", "tests", "docs"):  # docs: some tests check that a behaviour is documented
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    selection = ", ".join(json.dumps(t) for t in PACKAGES[package])
    deselect = "".join(f', "--deselect", {json.dumps(t)}' for t in sorted(DESELECT))
    (folder / "pyproject.toml").write_text(f"""\
[tool.pytest.ini_options]
markers = ["e2e: needs LocalStack", "slow: long-running"]

[tool.mutmut]
source_paths = ["src"]
only_mutate = ["src/sagewatch/{package}/*"]
also_copy = ["docs"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-m", "not e2e and not slow", "-q"{deselect}]
pytest_add_cli_args_test_selection = [{selection}]
use_git_change_detection = false
""")
    return folder


def collect(folder: Path) -> dict[str, str]:
    """mutant name -> status, read from mutmut's per-file .meta results."""
    statuses: dict[str, str] = {}
    for meta in (folder / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text())
        for name, code in data.get("exit_code_by_key", {}).items():
            statuses[name] = "not_run" if code is None else STATUS.get(code, f"exit_{code}")
    return statuses


def diff(tool: Path, folder: Path, name: str) -> str:
    out = subprocess.run([str(tool.parent / "mutmut"), "show", name], cwd=folder, capture_output=True, text=True,
                         timeout=120).stdout
    return "\n".join(line for line in out.splitlines() if re.match(r"^[-+](?![-+])", line))


def run_package(package: str, tool: Path, *, max_children: int, timeout: int, show: bool,
                mutants: list[str] | None = None) -> dict:
    folder = prepare(package)
    print(f"[{package}] mutmut run (max {max_children} children, time limit {timeout} s) ...", flush=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)  # mutmut puts its mutants/src first; the original src must not be importable
    # names or fnmatch patterns of mutants ("sagewatch.schemas.validation.*"): only those run, the others count
    # as "not run"
    selected = [m for m in mutants or [] if m.startswith(f"sagewatch.{package}.")]
    if mutants and not selected:
        raise SystemExit(f"--mutants names no mutant of {package} (names start with sagewatch.{package}.)")
    # its own process group, so that at the time limit mutmut's forked workers stop with it
    proc = subprocess.Popen([str(tool.parent / "mutmut"), "run", "--max-children", str(max_children), *selected],
                            cwd=folder,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
        if proc.returncode:
            tail = output.strip().splitlines()[-3:]
            print(f"[{package}] mutmut exited {proc.returncode}: " + " | ".join(tail))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate()
        print(f"[{package}] time limit reached; counting the mutants that finished")
    statuses = collect(folder)
    equivalents = json.loads(EQUIVALENTS.read_text()).get(package, {}) if EQUIVALENTS.exists() else {}
    counts = {"killed": 0, "survived": 0, "equivalent": 0, "timeout": 0, "not_run": 0, "other": 0}
    survivors, stale = [], []
    for name, status in sorted(statuses.items()):
        if status == "survived":
            entry = equivalents.get(name)
            if entry and entry["line"] in diff(tool, folder, name):
                counts["equivalent"] += 1
                continue
            if entry:
                stale.append(name)
            survivors.append(name)
            counts["survived"] += 1
        elif status in counts:
            counts[status] += 1
        else:
            counts["other"] += 1
    for name in sorted(set(equivalents) - set(statuses)):
        stale.append(name)
    considered = counts["killed"] + counts["survived"] + counts["timeout"] + counts["other"]
    score = counts["killed"] / considered if considered else 0.0
    print(f"[{package}] mutants {len(statuses)}: killed {counts['killed']}, survived {counts['survived']}, "
          f"equivalent {counts['equivalent']}, timeout {counts['timeout']}, other {counts['other']}, "
          f"not run (time limit) {counts['not_run']}; "
          f"score {counts['killed']}/{considered} = {score:.1%} of non-equivalent mutants killed")
    for name in survivors:
        print(f"  survived: {name}")
        if show:
            print("    " + diff(tool, folder, name).replace("\n", "\n    "))
    for name in stale:
        print(f"  stale equivalents entry (renumbered or gone): {name}")
    return {"package": package, **counts, "score": score}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", default=list(PACKAGES), help=f"any of {', '.join(PACKAGES)}")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutant workers (default 1)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per package (default 1800)")
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's diff")
    parser.add_argument("--mutants", "--only", dest="mutants", nargs="+", metavar="NAME",
                        help="(also --only) run only these mutants (names or patterns such as 'sagewatch.schemas.validation.*'; "
                             "each applies to the package it names), e.g. the survivors of an earlier run")
    args = parser.parse_args(argv)
    unknown = [p for p in args.packages if p not in PACKAGES]
    if unknown:
        parser.error(f"unknown package(s) {unknown}; choose from {list(PACKAGES)}")
    tool = ensure_tool_venv()
    results = [run_package(p, tool, max_children=args.max_children, timeout=args.timeout, show=args.survivors,
                           mutants=args.mutants)
               for p in args.packages]
    print("\n| package | killed | survived | equivalent | timeout | other | not run | score |\n"
          "|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['package']} | {r['killed']} | {r['survived']} | {r['equivalent']} | {r['timeout']} "
              f"| {r['other']} | {r['not_run']} | {r['score']:.1%} |")
    return 0 if all(r["score"] >= 0.9 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
