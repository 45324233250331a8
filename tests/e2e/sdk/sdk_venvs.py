"""Virtual environments holding a SageMaker Python SDK, made by the test setup and cached per checkout.

Each SDK line (``requirements-v2.txt``, ``requirements-v3.txt`` next to this file) gets its own venv under
``.sdk-venvs/<name>-<hash>/`` at the repository root (gitignored). The hash covers the requirements file and
the interpreter version, so a changed pin makes a new venv and an unchanged one is reused across runs. An
exclusive file lock per name keeps parallel pytest processes from building the same venv twice; a venv counts
as ready only when its stamp file exists, so a half-built one (interrupted install) is rebuilt. The venv is made
without pip of its own (``--without-pip``, seconds instead of ~20 s of ensurepip) and filled by the test
interpreter's pip through ``pip --python <venv>``, from the package index pip is configured with; nothing is
ever installed into the interpreter running pytest.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[2]
CACHE = REPOSITORY / ".sdk-venvs"
STAMP = ".sdk-venv-ready"
INSTALL_TIMEOUT = 1200.0


class SdkVenvError(RuntimeError):
    """A venv could not be made: names the step, the requirements file and the install log."""


def requirements_path(name: str) -> Path:
    """``requirements-<name>.txt`` next to this module."""
    return HERE / f"requirements-{name}.txt"


def venv_key(requirements: Path, python: str = sys.executable) -> str:
    """First 16 hex digits of SHA-256 over the requirements bytes and the interpreter's version."""
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True,
                             check=True).stdout
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(version.encode())
    return digest.hexdigest()[:16]


def venv_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def ensure_venv(name: str, requirements: Path, *, cache: Path = CACHE, python: str = sys.executable,
                timeout: float = INSTALL_TIMEOUT) -> Path:
    """The interpreter of the venv ``<cache>/<name>-<hash>`` with *requirements* installed, made if needed.

    *python* (default: the interpreter running the tests, which must have pip) makes the venv and runs pip.
    Other venvs of the same *name* (older requirements) are removed. Raises :class:`SdkVenvError` naming the
    failed step and the log file when ``python -m venv`` or ``pip install -r`` fails.
    """
    if not requirements.is_file():
        raise SdkVenvError(f"no requirements file {requirements}")
    folder = cache / f"{name}-{venv_key(requirements, python)}"
    with _locked(cache / f"{name}.lock"):
        if (folder / STAMP).is_file() and venv_python(folder).exists():
            return venv_python(folder)
        for stale in cache.glob(f"{name}-*"):
            if stale.is_dir() and stale != folder:
                shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
        log = cache / f"{name}-install.log"
        steps = [
            ("python -m venv", [python, "-m", "venv", "--without-pip", str(folder)]),
            ("pip install", [python, "-m", "pip", "--python", str(venv_python(folder)), "install",
                             "--disable-pip-version-check", "--no-input", "-r", str(requirements)]),
        ]
        with log.open("w") as out:
            for step, command in steps:
                out.write(f"$ {' '.join(command)}\n")
                out.flush()
                try:
                    subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=timeout)
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
                    out.flush()
                    shutil.rmtree(folder, ignore_errors=True)
                    raise SdkVenvError(
                        f"could not make the {name} SDK venv from {requirements.name}: {step} failed ({error}); "
                        f"full output in {log}\n{_tail(log)}") from error
        (folder / STAMP).write_text(requirements.read_text())
    return venv_python(folder)
