"""Finding data files and reading them in bounded pieces."""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from pathlib import Path

import pyarrow as pa

from sagewatch.errors import DatasetError

__all__ = ["find_data_files", "iter_line_blocks", "open_stream", "CAPTURE_SUFFIXES"]

CAPTURE_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz")
_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".lz4": "lz4"}


def _hidden(rel: Path) -> bool:
    # hidden files and Hadoop/Spark markers such as _SUCCESS or _metadata
    return any(part.startswith((".", "_")) for part in rel.parts)


def find_data_files(source: str | PathLike[str], *, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    """Return the data files of ``source``: the file itself, or every file under the folder.

    Folders are searched recursively; hidden entries and names starting with ``_`` are left
    out; files are sorted by their path relative to ``source``.

    Parameters
    ----------
    source : str or path-like
        A file or a folder.
    suffixes : tuple of str, optional
        Keep only names ending with one of these (case-insensitive).

    Raises
    ------
    DatasetError
        ``source`` does not exist, or no data file was found under it.
    """
    root = Path(source)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise DatasetError(f"dataset source not found: {root}")
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if _hidden(rel) or not path.is_file():
            continue
        if suffixes is not None and not path.name.lower().endswith(suffixes):
            continue
        found.append((rel.as_posix(), path))
    if not found:
        wanted = f" (looking for {', '.join(suffixes)})" if suffixes else ""
        raise DatasetError(f"no data files found under {root}{wanted}")
    return [path for _, path in sorted(found)]


def open_stream(path: Path) -> pa.NativeFile:
    """Open a file for reading, decompressing ``.gz``/``.bz2``/``.zst``/``.lz4`` transparently."""
    return pa.input_stream(str(path), compression=_COMPRESSED.get(path.suffix.lower()))


def iter_line_blocks(path: Path, block_bytes: int) -> Iterator[bytes]:
    """Yield the file's bytes in pieces of about ``block_bytes`` that end at a line break.

    A line longer than ``block_bytes`` is yielded whole.
    """
    with open_stream(path) as stream:
        rest = b""
        while True:
            data = stream.read(block_bytes)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            rest = data[cut + 1:]
            yield data[: cut + 1]
        if rest.strip():
            yield rest
