"""No merge-conflict lines are ever committed: every tracked text file is free of them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)


def _tracked() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_holds_conflict_lines():
    found = []
    for path in _tracked():
        if path.suffix not in {".py", ".md", ".json", ".toml", ".txt", ".yaml", ".yml", ".sh", ".cfg", ""} \
                or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if MARKER.search(text):
            found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_the_pattern_finds_a_conflict():
    assert MARKER.search("a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> other\n")
    assert not MARKER.search("a\n======= not a marker\n")
