"""docs/architecture.md stays true: every file or folder its map names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAP = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
# a path in the map is relative to the repository, the package, the emulator package or its sagemaker package;
# a bare file name in a table row is relative to the folder the row is about
BASES = [ROOT, ROOT / "src" / "sagewatch", ROOT / "src" / "sagewatch" / "localstack",
         ROOT / "src" / "sagewatch" / "localstack" / "sagemaker"]


def _paths(text):
    return [t for t in re.findall(r"`([^`\s]+)`", text)
            if "<" not in t and (t.endswith((".py", "/")) or "/" in t.rstrip("/")) and not t.startswith(("aws/", "s3:", "/"))]


def named_paths():
    """``(folder or "", path)`` for every path the map's tables name."""
    for line in MAP.splitlines():
        if not line.startswith("| ") or line.startswith("| ---"):
            continue
        first, _, rest = line[2:].partition(" | ")
        folders = [p for p in _paths(first) if p.endswith("/")]
        for path in _paths(first):
            yield "", path
        for path in _paths(rest):
            yield (folders[0] if folders and "/" not in path.rstrip("/") else ""), path


def test_every_path_in_the_map_exists():
    found = list(named_paths())
    missing = [folder + path for folder, path in found
               if not any((base / folder / path).exists() for base in BASES)]
    assert len(found) > 40
    assert missing == []
