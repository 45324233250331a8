"""Writing and reading the emulator's state file safely.

:func:`write_atomically` writes a temporary file next to the target, flushes it to disk (``fsync``), renames it
over the target and syncs the folder: a reader (or the next emulator after a ``kill -9`` or a power cut) sees
the old file or the new one, never half of one. A temporary file a killed writer left is ignored and removed.

:func:`read_state` reads and checks the file; a file that cannot be read is moved aside
(``<name>.unreadable-<UTC time>``), never deleted, and reported with :class:`StateFileError`.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sagewatch.errors import SagewatchError

__all__ = ["StateFileError", "read_state", "set_aside", "write_atomically"]

TEMP_SUFFIX = ".tmp"


class StateFileError(SagewatchError):
    """The state file cannot be read; ``kept`` is where the damaged file was moved (None if it could not be)."""

    def __init__(self, message: str, kept: Path | None = None) -> None:
        super().__init__(message)
        self.kept = kept


def write_atomically(path: Path, data: bytes) -> None:
    """Replace *path* with *data* so that a crash at any moment leaves the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # some file systems cannot open folders; the rename is then as durable as they make it
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def set_aside(path: Path) -> Path | None:
    """Move a damaged file out of the way (kept for inspection); where it went, or None if it could not move."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.unreadable-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.unreadable-{stamp}-{counter}")
    try:
        os.replace(path, target)
    except OSError:
        return None
    return target


def read_state(path: Path, format_name: str, version: int) -> dict[str, Any] | None:
    """The JSON document of *path*, or None when there is none; leftover temporary files are removed.

    Raises
    ------
    StateFileError
        The file is not JSON, not a *format_name* document, or of another *version*; it was moved aside.
    """
    for leftover in path.parent.glob(f"{path.name}.*{TEMP_SUFFIX}"):  # a write a killed emulator did not finish
        leftover.unlink(missing_ok=True)
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(document, dict) or document.get("format") != format_name:
            raise ValueError(f"not a {format_name} document")
        if document.get("version") != version:
            raise ValueError(f"format version {document.get('version')!r}; this emulator reads version {version}")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        kept = set_aside(path)
        where = f"; it was moved to {kept.name}" if kept else ""
        raise StateFileError(f"The emulator's state file {path.name} cannot be read ({error}){where}.", kept) from error
    return document
