"""Reading SageMaker JSON files with errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagewatch.errors import SchemaError

__all__ = ["read_json_file"]


def read_json_file(path: str | Path, what: str) -> Any:
    """Parse a JSON file; a missing, unreadable or malformed file raises :class:`SchemaError`."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SchemaError(f"{what} file not found", source=str(path)) from e
    except (OSError, UnicodeDecodeError) as e:
        raise SchemaError(f"cannot read {what}: {e}", source=str(path)) from e
    except json.JSONDecodeError as e:
        raise SchemaError(f"invalid JSON: {e.msg}", source=str(path), line=e.lineno) from e
